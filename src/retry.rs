//! Retry policy for the token endpoint: which failures to retry and how long to wait. Pure:
//! the attempt number, the failure, the elapsed time and the jitter are all inputs.
//!
//! Only transient failures are retried: connection errors, timeouts, and the configured
//! statuses (by default 408, 429, 500, 502, 503, 504). A refused credential
//! (`invalid_client`, `invalid_scope`, `unauthorized_client`, ...) is never retried, whatever
//! its status: sending the same request again cannot succeed and only feeds throttling.

use std::time::{Duration, SystemTime};

use crate::error::{Error, ErrorKind};

/// Statuses retried by default: 408, 429, 500, 502, 503, 504.
pub const DEFAULT_RETRY_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];

/// Default number of tries, the first included: 4 (one try and up to three retries).
///
/// Azure Core's pipelines retry 3 times; MSAL.NET retries the token endpoint only once on 5xx,
/// which is too little for a daemon that has nothing better to do than wait.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;

/// Default wait before the first retry: 1 s (MSAL.NET's and Azure Core JS's delay), then
/// doubled each time ([`DEFAULT_BACKOFF_MULTIPLIER`]), each wait jittered by ±20 %.
///
/// With the defaults the waits are about 1 s, 2 s and 4 s.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_secs(1);

/// Default backoff multiplier: 2 (exponential backoff).
pub const DEFAULT_BACKOFF_MULTIPLIER: f64 = 2.0;

/// Default longest computed backoff: 30 s (Azure SDK for Rust's `max_delay`).
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Default longest `Retry-After` honoured: 60 s. A server asking for a longer pause gets it:
/// we give up and return its answer (with [`Error::retry_after`]) instead of blocking the
/// caller that long.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Default budget for all tries and waits of one token request: 60 s (Azure SDK for Rust's
/// `max_elapsed`). A retry whose wait would end past it is not made.
pub const DEFAULT_MAX_TOTAL: Duration = Duration::from_secs(60);

/// OAuth errors that no retry can fix.
const PERMANENT_OAUTH_ERRORS: &[&str] = &[
    "invalid_client",
    "invalid_scope",
    "unauthorized_client",
    "invalid_grant",
    "invalid_request",
    "unsupported_grant_type",
];

/// What to do after a failed try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again (with a freshly signed assertion).
    RetryAfter(Duration),
    /// Return the failure to the caller.
    GiveUp,
}

/// When and how often a failed token request is tried again. Setters cannot fail.
///
/// ```
/// use std::time::Duration;
/// use entra_token::RetryPolicy;
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .statuses([429, 503, 423])
///     .initial_backoff(Duration::from_millis(500))
///     .max_total(Duration::from_secs(20));
/// assert_ne!(policy, RetryPolicy::none());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    statuses: Vec<u16>,
    initial_backoff: Duration,
    multiplier: f64,
    max_backoff: Duration,
    max_retry_after: Duration,
    max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            statuses: DEFAULT_RETRY_STATUSES.to_vec(),
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            multiplier: DEFAULT_BACKOFF_MULTIPLIER,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            max_total: DEFAULT_MAX_TOTAL,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries (one try).
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Tries in total, the first included; `0` counts as `1`. Default
    /// [`DEFAULT_MAX_ATTEMPTS`].
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The HTTP statuses to retry, replacing [`DEFAULT_RETRY_STATUSES`]. OAuth errors that no
    /// retry can fix (`invalid_client`, `invalid_scope`, ...) are never retried anyway.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// The wait before the first retry; default [`DEFAULT_INITIAL_BACKOFF`].
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The factor between consecutive waits; default 2. Values below 1 (and NaN) count as 1.
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = if multiplier >= 1.0 { multiplier } else { 1.0 };
        self
    }

    /// The longest computed wait; default [`DEFAULT_MAX_BACKOFF`].
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` honoured; a longer one ends the retries. Default
    /// [`DEFAULT_MAX_RETRY_AFTER`].
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// The budget for all tries and waits; default [`DEFAULT_MAX_TOTAL`].
    pub fn max_total(mut self, budget: Duration) -> Self {
        self.max_total = budget;
        self
    }

    /// What to do after try number `attempt` (1 for the first) failed with `error`, `elapsed`
    /// after the first try started. `jitter` is a random number in `[0, 1)` that spreads the
    /// wait over ±20 % so that many clients do not retry in step.
    ///
    /// ```
    /// use std::time::Duration;
    /// use entra_token::retry::{Decision, RetryPolicy};
    /// use entra_token::{Error, ErrorKind};
    /// let policy = RetryPolicy::default();
    /// let timeout = Error::new(ErrorKind::Timeout);
    /// assert_eq!(
    ///     policy.decide(1, &timeout, Duration::ZERO, 0.5),
    ///     Decision::RetryAfter(Duration::from_secs(1)),
    /// );
    /// assert_eq!(policy.decide(4, &timeout, Duration::ZERO, 0.5), Decision::GiveUp);
    /// ```
    pub fn decide(&self, attempt: u32, error: &Error, elapsed: Duration, jitter: f64) -> Decision {
        if attempt >= self.max_attempts || !self.is_transient(error) {
            return Decision::GiveUp;
        }
        let wait = match error.retry_after() {
            Some(asked) if asked > self.max_retry_after => return Decision::GiveUp,
            Some(asked) => asked,
            None => self.backoff(attempt, jitter),
        };
        match elapsed.checked_add(wait) {
            Some(end) if end <= self.max_total => Decision::RetryAfter(wait),
            _ => Decision::GiveUp,
        }
    }

    /// True for failures worth trying again unchanged.
    fn is_transient(&self, error: &Error) -> bool {
        match error.kind() {
            ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::Entra(e) => {
                !PERMANENT_OAUTH_ERRORS.contains(&e.error.as_str())
                    && self.statuses.contains(&e.status)
            }
            ErrorKind::HttpStatus { status, .. } => self.statuses.contains(status),
            _ => false,
        }
    }

    /// `initial * multiplier^(attempt-1)`, capped, then jittered by ±20 % and capped again.
    fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let jitter = if (0.0..1.0).contains(&jitter) {
            jitter
        } else {
            0.5
        };
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let base = self.initial_backoff.as_secs_f64() * self.multiplier.powi(exponent);
        let capped = base.min(self.max_backoff.as_secs_f64());
        let jittered = (capped * (0.8 + 0.4 * jitter)).min(self.max_backoff.as_secs_f64());
        Duration::try_from_secs_f64(jittered).unwrap_or(self.max_backoff)
    }
}

/// Parses a `Retry-After` value: delay seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), relative to `now`. A date in the past means zero.
/// `None` for anything else.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use entra_token::retry::parse_retry_after;
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470);
/// assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
///     Some(Duration::from_secs(10)),
/// );
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().ok().map(Duration::from_secs);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests;
