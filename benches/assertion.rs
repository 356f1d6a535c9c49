//! Signing a client assertion (RS256 / PS256, RSA 2048 / 4096) and, with the `emulator`
//! feature, a full token exchange against the local emulator on loopback.
//!
//! `cargo bench --bench assertion --features emulator -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use entra_token::{client_assertion, AssertionOptions, ClientCertificate, SigningAlgorithm};

const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const AUD: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";

fn certificate(file: &str) -> ClientCertificate {
    let path = format!("{}/tests/data/exchange/{file}", env!("CARGO_MANIFEST_DIR"));
    ClientCertificate::from_pem(&std::fs::read(path).unwrap()).unwrap()
}

fn signing(c: &mut Criterion) {
    let mut group = c.benchmark_group("client_assertion");
    for (bits, file) in [(2048, "app.pem"), (4096, "rsa4096.pem")] {
        let cert = certificate(file);
        assert_eq!(cert.key_bits(), bits);
        for alg in [SigningAlgorithm::Rs256, SigningAlgorithm::Ps256] {
            let options = AssertionOptions::new().algorithm(alg);
            group.bench_with_input(BenchmarkId::new(alg.as_str(), bits), &options, |b, o| {
                b.iter(|| client_assertion(&cert, CLIENT, AUD, o).unwrap())
            });
        }
    }
    group.finish();
}

#[cfg(feature = "emulator")]
fn exchange(c: &mut Criterion) {
    use entra_token::emulator::Emulator;
    use entra_token::Credential;

    let cert = certificate("app.pem");
    let emulator = Emulator::builder()
        .register_client_certificate(&cert)
        .start_in_background()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // One HTTP client for all iterations (keep-alive, as a real daemon has); a new credential
    // per iteration so that no cache can answer: every iteration signs and POSTs.
    let http = reqwest::Client::new();
    let scope = "https://graph.microsoft.com/.default";
    let mut group = c.benchmark_group("exchange_loopback");
    for alg in [SigningAlgorithm::Rs256, SigningAlgorithm::Ps256] {
        group.bench_function(BenchmarkId::new(alg.as_str(), 2048), |b| {
            b.to_async(&runtime).iter(|| async {
                let credential =
                    Credential::builder(emulator.tenant(), emulator.client_id(), cert.clone())
                        .authority_host(emulator.authority_host())
                        .algorithm(alg)
                        .http_client(http.clone())
                        .build()
                        .unwrap();
                credential.get_token(scope).await.unwrap()
            })
        });
    }
    group.finish();
}

#[cfg(not(feature = "emulator"))]
fn exchange(_: &mut Criterion) {}

criterion_group!(benches, signing, exchange);
criterion_main!(benches);
