//! Cache tests with a scripted fake loader and tokio's paused clock: no sleeps, no network.

mod bound;
mod failures;
mod herd;
mod refresh;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::{CacheConfig, Identity, TokenCache};
use crate::error::{Error, ErrorKind, Result};
use crate::token::{AccessToken, IssuedToken};

pub(super) const HOUR: Duration = Duration::from_secs(3599);

pub(super) const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// What the next loads do.
#[derive(Clone)]
pub(super) enum Answer {
    Token {
        expires_in: Duration,
        refresh_in: Option<Duration>,
    },
    Status(u16, Option<Duration>),
    Panic,
}

#[derive(Clone)]
pub(super) struct Plan {
    pub(super) answer: Answer,
    /// Time the request takes.
    pub(super) delay: Duration,
    /// When set, each load first takes a permit from it (i.e. hangs until released).
    pub(super) gate: Option<Arc<Semaphore>>,
}

/// A loader that counts calls and answers from its current plan: `token-1`, `token-2`, …
#[derive(Clone)]
pub(super) struct Fake {
    calls: Arc<AtomicUsize>,
    scopes: Arc<Mutex<Vec<String>>>,
    plan: Arc<Mutex<Plan>>,
}

impl Fake {
    pub(super) fn new() -> Self {
        Fake {
            calls: Arc::default(),
            scopes: Arc::default(),
            plan: Arc::new(Mutex::new(Plan {
                answer: Answer::Token {
                    expires_in: HOUR,
                    refresh_in: None,
                },
                delay: Duration::from_millis(100),
                gate: None,
            })),
        }
    }

    pub(super) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub(super) fn set(&self, f: impl FnOnce(&mut Plan)) {
        f(&mut self.plan.lock().unwrap());
    }

    pub(super) fn answer(&self, answer: Answer) {
        self.set(|p| p.answer = answer);
    }

    /// Future loads hang until `release` is called on the returned gate.
    pub(super) fn hold(&self) -> Arc<Semaphore> {
        let gate = Arc::new(Semaphore::new(0));
        self.set(|p| p.gate = Some(Arc::clone(&gate)));
        gate
    }

    /// The scopes each load was asked for.
    pub(super) fn scopes(&self) -> Vec<String> {
        self.scopes.lock().unwrap().clone()
    }

    /// `make_load`, recording the scopes.
    pub(super) fn load_for(
        &self,
        scopes: &str,
    ) -> impl Future<Output = Result<IssuedToken>> + Send + 'static {
        self.scopes.lock().unwrap().push(scopes.to_owned());
        self.load()
    }

    /// A load, as the cache's `make_load` returns it.
    pub(super) fn load(&self) -> impl Future<Output = Result<IssuedToken>> + Send + 'static {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let plan = self.plan.lock().unwrap().clone();
        async move {
            let (sent_wall, sent_at) = (SystemTime::now(), Instant::now());
            if let Some(gate) = &plan.gate {
                gate.acquire().await.unwrap().forget();
            }
            tokio::time::sleep(plan.delay).await;
            match plan.answer {
                Answer::Token {
                    expires_in,
                    refresh_in,
                } => Ok(IssuedToken {
                    access_token: format!("token-{n}").into(),
                    token_type: "Bearer".into(),
                    expires_in,
                    ext_expires_in: None,
                    refresh_in,
                    sent_wall,
                    sent_at,
                    correlation_id: String::new(),
                }),
                Answer::Status(status, retry_after) => Err(Error::new(ErrorKind::HttpStatus {
                    status,
                    body_prefix: String::new(),
                    retry_after,
                })),
                Answer::Panic => panic!("loader panicked (on purpose)"),
            }
        }
    }
}

/// One cache and one identity for a test.
pub(super) struct Rig {
    pub(super) cache: TokenCache,
    pub(super) id: Arc<Identity>,
    pub(super) fake: Fake,
}

impl Rig {
    pub(super) fn new() -> Self {
        Rig::with(CacheConfig {
            jitter: false,
            ..CacheConfig::default()
        })
    }

    pub(super) fn with(config: CacheConfig) -> Self {
        Rig {
            cache: TokenCache::new(config),
            id: Arc::new(Identity::new(
                "https://login.example",
                "tenant",
                "client",
                "x5t",
            )),
            fake: Fake::new(),
        }
    }

    pub(super) async fn get(&self, scopes: &str) -> Result<AccessToken> {
        self.cache
            .get(&self.id, scopes, false, |s| self.fake.load_for(s))
            .await
    }

    pub(super) async fn force(&self, scopes: &str) -> Result<AccessToken> {
        self.cache
            .get(&self.id, scopes, true, |s| self.fake.load_for(s))
            .await
    }

    /// `get` that must complete without waiting on anything.
    pub(super) fn get_now(&self, scopes: &str) -> Result<AccessToken> {
        poll_once(self.get(scopes)).expect("the call waited")
    }
}

/// Polls a future once: `Some` when it completed without waiting.
pub(super) fn poll_once<F: Future>(fut: F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(fut).poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// Lets spawned tasks run (the paused clock does not move).
pub(super) async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

pub(super) fn secret(t: &Result<AccessToken>) -> &str {
    t.as_ref().expect("a token").secret()
}
