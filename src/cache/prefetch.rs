//! Keeping a key warm without callers: a loop that sleeps until the token's refresh time and
//! then waits for the (single-flight) refresh, holding only a `Weak` to its owner in between.

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Result;
use crate::refresh;
use crate::token::AccessToken;

/// The loop never wakes more often than this, whatever tokens it gets.
const MIN_PAUSE: Duration = Duration::from_secs(1);

/// Keeps one key warm for as long as `owner` lives: gets the token now and again at each
/// refresh time, retrying a failed refresh at the cache's retry interval. `get(owner, force)`
/// is the owner's `get_token` (with `force_refresh` when `force`).
///
/// The owner is held only while a `get` runs, so dropping its last clone ends the loop at its
/// next wake-up.
pub(crate) async fn keep_warm<T, G, Fut>(owner: Weak<T>, get: G)
where
    G: Fn(Arc<T>, bool) -> Fut,
    Fut: Future<Output = Result<AccessToken>>,
{
    let mut failures = 0u32;
    loop {
        // `strong` lives only in this block: never across the sleep.
        let result = {
            let Some(strong) = owner.upgrade() else {
                return;
            };
            match get(Arc::clone(&strong), false).await {
                // Stale: that call started the background refresh; join it.
                Ok(token) if token.refresh_deadline() <= Instant::now() => get(strong, true).await,
                other => other,
            }
        };
        let now = Instant::now();
        let wake = match result {
            Ok(token) => {
                failures = 0;
                token.refresh_deadline()
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                now + refresh::retry_delay(true, failures, e.retry_after())
            }
        };
        tokio::time::sleep_until(wake.max(now + MIN_PAUSE)).await;
    }
}
