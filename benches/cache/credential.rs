//! The same measurements through the public API: a [`Credential`]'s `get_token` against the
//! local emulator (real HTTP, real signing, real validation), counting the emulator's
//! requests.

use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use entra_token::emulator::Emulator;
use entra_token::{ClientCertificate, Credential, RetryPolicy};

use super::{poll_once, straddle_callers, Hit, Load, SCOPE};

const PEM: &[u8] = include_bytes!("../../fixtures/pem/rsa2048-combined.pem");

fn emulator(lifetime: Duration) -> (Emulator, ClientCertificate) {
    let certificate = ClientCertificate::from_pem(PEM).unwrap();
    let emulator = Emulator::builder()
        .register_client_certificate(&certificate)
        .token_lifetime(lifetime)
        .start_in_background()
        .unwrap();
    (emulator, certificate)
}

fn credential(emulator: &Emulator, certificate: ClientCertificate) -> Credential {
    Credential::builder(emulator.tenant(), emulator.client_id(), certificate)
        .authority_host(emulator.authority_host())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// A credential with a cached token for [`SCOPE`].
pub(super) struct Warm {
    credential: Credential,
    _emulator: Emulator,
}

impl Warm {
    pub(super) fn new(rt: &tokio::runtime::Runtime) -> Self {
        let (emulator, certificate) = emulator(Duration::from_secs(3600));
        let credential = credential(&emulator, certificate);
        rt.block_on(credential.get_token(SCOPE)).unwrap();
        Warm {
            credential,
            _emulator: emulator,
        }
    }
}

impl Hit for Warm {
    fn hit(&self) -> bool {
        std::hint::black_box(poll_once(
            self.credential.get_token(std::hint::black_box(SCOPE)),
        ))
        .is_some_and(|r| r.is_ok())
    }
}

/// Herds of 200 and 1,000 tasks on a cold credential: counts the emulator's requests.
pub(super) fn herd(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let (emulator, certificate) = emulator(Duration::from_secs(3600));
    let mut g = c.benchmark_group("herd");
    g.sample_size(10);
    let mut worst = 0;
    for n in [200usize, 1000] {
        g.bench_function(BenchmarkId::new("credential (emulator)", n), |b| {
            b.iter(|| {
                let credential = credential(&emulator, certificate.clone());
                let before = emulator.counters().total;
                rt.block_on(async {
                    let tasks: Vec<_> = (0..n)
                        .map(|_| {
                            let credential = credential.clone();
                            tokio::spawn(async move { credential.get_token(SCOPE).await.is_ok() })
                        })
                        .collect();
                    for t in tasks {
                        assert!(t.await.unwrap());
                    }
                });
                let requests = emulator.counters().total - before;
                worst = worst.max(requests);
                assert_eq!(requests, 1, "herd of {n}: one token request");
            })
        });
    }
    g.finish();
    println!(
        "herd/credential: every herd of 200 and of 1000 tasks sent {worst} token request to the emulator"
    );
}

/// The straddle callers with 2-second tokens: every refresh is a real HTTP exchange.
pub(super) fn straddle(rt: &tokio::runtime::Runtime) {
    for load in [Load::Paced, Load::Saturated] {
        let (emulator, certificate) = emulator(Duration::from_secs(2));
        let credential = Arc::new(credential(&emulator, certificate));
        rt.block_on(credential.get_token(SCOPE)).unwrap();
        let stats = rt.block_on(straddle_callers(
            |c: Arc<Credential>| async move { c.get_token(SCOPE).await },
            &credential,
            load,
        ));
        println!(
            "straddle/credential {}: {} calls over 5 s, {} token requests, {} calls waited for HTTP, {} calls over 1 ms, worst call {:?}",
            load.name(),
            stats.calls,
            emulator.counters().total,
            stats.waited,
            stats.slow,
            stats.worst
        );
    }
}
