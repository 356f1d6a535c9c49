//! One in-flight token request for one key: its completion (publish the token or record the
//! failure and its backoff), and how each waiter receives the shared outcome.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;

use super::{Shared, Slot};
use crate::error::{Error, ErrorKind, Result};
use crate::refresh;
use crate::token::{AccessToken, IssuedToken};

/// What every waiter of one request receives. [`Error`] is not `Clone`, so a failure is
/// shared behind an `Arc` and rebuilt for each waiter by [`rebuild`].
pub(super) type Outcome = std::result::Result<AccessToken, Arc<Error>>;

/// Completes a request exactly once: normally through [`Flight::finish`]; if the task is
/// dropped first (a panicking loader, a runtime shutting down), through `Drop`, so that
/// waiters are released and the key can be loaded again.
pub(super) struct Flight {
    shared: Arc<Shared>,
    slot: Arc<Slot>,
    tx: Option<watch::Sender<Option<Outcome>>>,
    background: bool,
}

impl Flight {
    pub(super) fn new(
        shared: Arc<Shared>,
        slot: Arc<Slot>,
        tx: watch::Sender<Option<Outcome>>,
        background: bool,
    ) -> Self {
        Flight {
            shared,
            slot,
            tx: Some(tx),
            background,
        }
    }

    pub(super) fn finish(mut self, result: Result<IssuedToken>) {
        self.complete(result);
    }

    fn complete(&mut self, result: Result<IssuedToken>) {
        let Some(tx) = self.tx.take() else { return };
        let slot = &self.slot;
        let scopes = slot.key.scopes();
        let outcome = match result {
            Ok(issued) => {
                let (expires_in, refresh_in) = (issued.expires_in, issued.refresh_in);
                let cached = self.shared.issue(issued);
                let token = cached.token.clone();
                tracing::debug!(
                    scopes,
                    expires_in_s = expires_in.as_secs(),
                    refresh_in_s = refresh_in.map(|d| d.as_secs()),
                    refresh_after_s = cached
                        .refresh_at
                        .saturating_duration_since(Instant::now())
                        .as_secs(),
                    background = self.background,
                    "token cached"
                );
                self.shared.shards.publish(slot.key.as_ref(), slot, cached);
                Ok(token)
            }
            Err(e) => Err(Arc::new(e)),
        };
        let now = Instant::now();
        let mut state = slot.lock();
        state.inflight = None;
        match &outcome {
            Ok(_) => {
                state.failures = 0;
                state.retry_at = None;
                state.cold_retry_at = None;
                state.last_error = None;
                slot.retry_at.store(0, Ordering::Release);
            }
            Err(e) => {
                state.failures = state.failures.saturating_add(1);
                let delay = refresh::retry_delay(self.background, state.failures, e.retry_after());
                let at = now + delay;
                state.retry_at = Some(at);
                // Once no token is usable, callers wait only the cold backoff, even after a
                // failed background refresh (whose interval is longer).
                let cold = refresh::retry_delay(false, state.failures, e.retry_after());
                state.cold_retry_at = Some(now + cold.min(delay));
                state.last_error = Some(Arc::clone(e));
                slot.retry_at
                    .store(self.shared.nanos(at).max(1), Ordering::Release);
                let failures = state.failures;
                if self.background {
                    tracing::warn!(
                        scopes,
                        error = %e,
                        failures,
                        retry_in_s = delay.as_secs(),
                        "token refresh failed; the cached token stays in service until it expires"
                    );
                } else {
                    tracing::debug!(
                        scopes,
                        error = %e,
                        failures,
                        retry_in_s = delay.as_secs(),
                        "token request failed"
                    );
                }
            }
        }
        slot.in_flight.store(false, Ordering::Release);
        drop(state);
        tx.send_replace(Some(outcome));
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        if self.tx.is_some() {
            self.complete(Err(Error::new(ErrorKind::RefreshFailed)));
        }
    }
}

/// Waits for the request behind `rx` and returns its outcome as this waiter's own result.
pub(super) async fn wait(mut rx: watch::Receiver<Option<Outcome>>) -> Result<AccessToken> {
    let outcome = match rx.wait_for(Option::is_some).await {
        Ok(v) => v.clone(),
        // Unreachable: `Flight` always sends before its sender drops.
        Err(_) => None,
    };
    match outcome {
        Some(Ok(token)) => Ok(token),
        Some(Err(e)) => Err(rebuild(&e)),
        None => Err(Error::new(ErrorKind::RefreshFailed)),
    }
}

/// An error of the same kind (so `status()`, `retry_after()`, `is_retryable()` and
/// `entra()` answer the same) and path as the shared one, whose `source()` chain is the
/// shared error's chain. `Display` is the kind's own one line, so nothing prints twice.
pub(super) fn rebuild(shared: &Arc<Error>) -> Error {
    let mut e = Error::new(shared.kind().clone());
    if let Some(p) = shared.path() {
        e = e.with_path(p);
    }
    if std::error::Error::source(&**shared).is_some() {
        e = e.with_source(SharedCause(Arc::clone(shared)));
    }
    e
}

/// The `source()` of a shared error, shown and chained as itself.
struct SharedCause(Arc<Error>);

impl SharedCause {
    fn cause(&self) -> &(dyn std::error::Error + 'static) {
        std::error::Error::source(&*self.0).expect("only built when the error has a source")
    }
}

impl fmt::Display for SharedCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.cause(), f)
    }
}

impl fmt::Debug for SharedCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.cause(), f)
    }
}

impl std::error::Error for SharedCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause().source()
    }
}
