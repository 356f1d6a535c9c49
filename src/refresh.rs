//! The refresh policy: when a cached token should be refreshed, when it stops being served,
//! and how long to wait after a failed request. Pure functions of durations; no clock, no I/O.
//!
//! All offsets are measured from the moment the token request was *sent* (see
//! [`IssuedToken`](crate::token::IssuedToken)), so network latency only ever makes the cache
//! act early, never late.
//!
//! A typical Entra token (`expires_in` = 3599 s, no `refresh_in`, jitter 0):
//!
//! ```text
//! t = 0        issued: served from the cache, no I/O
//! t = 54m59s   refresh_after: still served; one background refresh starts
//! t = 58m59s   unusable_after: no longer served; callers wait for a new token (single-flight)
//! t = 59m59s   expires_in: Entra's expiry
//! ```

use std::time::Duration;

/// Tokens lasting at least this long are refreshed at half-life.
///
/// MSAL applies the same rule (`refresh_in = expires_in / 2` for tokens over 2 h, e.g.
/// managed-identity tokens that live 24 h). Azure Identity refreshes 5 minutes before expiry
/// whatever the lifetime, which leaves a 24-hour token only 5 minutes of outage tolerance;
/// half-life leaves 12 hours.
pub(crate) const HALF_LIFE_THRESHOLD: Duration = Duration::from_secs(2 * 60 * 60);

/// Shorter tokens are refreshed this long before expiry (at most half their lifetime).
///
/// Azure Identity's figure. Unlike MSAL, which also treats a token as *expired* 5 minutes
/// before `exp` (so its refresh blocks the caller), we keep serving the old token while the
/// refresh runs in the background.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A token is no longer served this long before its expiry (at most a quarter of its
/// lifetime), so that it does not expire on the way to the API or on a resource server
/// whose clock runs ahead.
///
/// MSAL uses 5 minutes, the same as its refresh point, which leaves no window for a
/// background refresh; Azure Identity serves a token until the last second. One minute keeps
/// four minutes of outage tolerance on a one-hour token without sending tokens about to expire.
pub(crate) const UNUSABLE_MARGIN: Duration = Duration::from_secs(60);

/// The refresh point moves *earlier* by up to this much (at most a tenth of it), chosen at
/// random per token, so a fleet started together does not refresh in lockstep.
///
/// The AWS SDK's lazy identity cache jitters its expiry buffer the same way; MSAL and Azure
/// Identity do not jitter.
pub(crate) const REFRESH_JITTER_MAX: Duration = Duration::from_secs(60);

/// A server's `refresh_in` shorter than this is raised to it (unless the token becomes
/// unusable sooner), so a misbehaving server cannot make us refresh in a tight loop.
pub(crate) const MIN_REFRESH_AFTER: Duration = Duration::from_secs(30);

/// After a failed *background* refresh, the next one starts no sooner than this (or the
/// server's `Retry-After`, if longer). The old token stays in service meanwhile.
///
/// Azure Identity (.NET, Python) waits the same 30 s; MSAL retries on every call.
pub(crate) const REFRESH_RETRY_INTERVAL: Duration = Duration::from_secs(30);

/// After a failed request with no usable token, callers get the same error without a new
/// request for this long, doubling with each consecutive failure up to
/// [`COLD_RETRY_MAX`]. Peers retry on every call, so a herd of callers hammers a failing
/// endpoint (and earns 429s).
pub(crate) const COLD_RETRY_BASE: Duration = Duration::from_secs(1);

/// Upper bound of the doubling backoff after failed requests with no usable token.
pub(crate) const COLD_RETRY_MAX: Duration = Duration::from_secs(30);

/// A server's `Retry-After` is honoured up to this long, so one bogus header cannot lock a
/// daemon out for a day.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

/// When a token should be refreshed and when it stops being served, as offsets from the
/// moment its request was sent. Always `refresh_after <= unusable_after <= expires_in`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// From then on, the first caller starts one background refresh.
    pub(crate) refresh_after: Duration,
    /// From then on, the token is not served.
    pub(crate) unusable_after: Duration,
}

/// The schedule of a token that lives `expires_in`, with the server's `refresh_in` if sent
/// and `jitter` in `[0, 1)` (values outside are clamped).
pub(crate) fn schedule(
    expires_in: Duration,
    refresh_in: Option<Duration>,
    jitter: f64,
) -> Schedule {
    Schedule {
        refresh_after: refresh_after(expires_in, refresh_in, jitter),
        unusable_after: unusable_after(expires_in),
    }
}

/// How long after issue a token stops being served: `expires_in − min(60 s, expires_in / 4)`.
///
/// ```text
/// expires_in 3599 s  → 3539 s   (one minute early)
/// expires_in 24 h    → 24 h − 60 s
/// expires_in 120 s   → 90 s     (a quarter of the lifetime)
/// ```
pub(crate) fn unusable_after(expires_in: Duration) -> Duration {
    expires_in - UNUSABLE_MARGIN.min(expires_in / 4)
}

/// How long after issue a token should be refreshed in the background:
///
/// 1. the server's `refresh_in`, if sent, kept within
///    `[min(30 s, unusable_after), unusable_after]`;
/// 2. otherwise half the lifetime for tokens lasting at least 2 h;
/// 3. otherwise `expires_in − min(5 min, expires_in / 2)`;
///
/// then moved earlier by `jitter × min(60 s, result / 10)`.
///
/// ```text
/// expires_in 3599 s, no refresh_in, jitter 0    → 3299 s  (54m59s)
/// expires_in 3599 s, no refresh_in, jitter 0.5  → 3269 s
/// expires_in 24 h,   no refresh_in, jitter 0    → 12 h
/// expires_in 3599 s, refresh_in 1800 s, jitter 0 → 1800 s
/// expires_in 300 s,  no refresh_in, jitter 0    → 150 s   (half the lifetime)
/// ```
pub(crate) fn refresh_after(
    expires_in: Duration,
    refresh_in: Option<Duration>,
    jitter: f64,
) -> Duration {
    let unusable = unusable_after(expires_in);
    let base = match refresh_in {
        Some(r) => r.max(MIN_REFRESH_AFTER.min(unusable)),
        None if expires_in >= HALF_LIFE_THRESHOLD => expires_in / 2,
        None => expires_in - REFRESH_MARGIN.min(expires_in / 2),
    }
    .min(unusable);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    base - REFRESH_JITTER_MAX.min(base / 10).mul_f64(jitter)
}

/// How long to wait before the next request after `consecutive_failures` (≥ 1) failed ones.
///
/// `background` is true when a usable token was still in service: then the wait is
/// [`REFRESH_RETRY_INTERVAL`]. Otherwise it is [`COLD_RETRY_BASE`] doubled per consecutive
/// failure, up to [`COLD_RETRY_MAX`]. A `Retry-After` longer than either is honoured, up to
/// [`MAX_RETRY_AFTER`].
///
/// ```text
/// background, any count, no Retry-After   → 30 s
/// background, Retry-After 120 s           → 120 s
/// cold, failures 1, 2, 3, …, 6+           → 1 s, 2 s, 4 s, …, 30 s
/// cold, failures 1, Retry-After 1 h       → 5 min
/// ```
pub(crate) fn retry_delay(
    background: bool,
    consecutive_failures: u32,
    retry_after: Option<Duration>,
) -> Duration {
    let own = if background {
        REFRESH_RETRY_INTERVAL
    } else {
        let doublings = consecutive_failures.saturating_sub(1).min(16);
        (COLD_RETRY_BASE * (1u32 << doublings)).min(COLD_RETRY_MAX)
    };
    own.max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn one_hour_token_refreshes_five_minutes_early_and_is_served_until_one_minute_before() {
        assert_eq!(
            schedule(s(3599), None, 0.0),
            Schedule {
                refresh_after: s(3299),
                unusable_after: s(3539)
            }
        );
    }

    #[test]
    fn long_tokens_refresh_at_half_life() {
        assert_eq!(refresh_after(s(2 * 3600), None, 0.0), s(3600));
        assert_eq!(refresh_after(s(24 * 3600), None, 0.0), s(12 * 3600));
        // Just under the threshold: five minutes before expiry.
        assert_eq!(
            refresh_after(s(2 * 3600 - 1), None, 0.0),
            s(2 * 3600 - 1 - 300)
        );
    }

    #[test]
    fn short_tokens_refresh_at_half_life_and_stop_a_quarter_early() {
        assert_eq!(refresh_after(s(300), None, 0.0), s(150));
        assert_eq!(unusable_after(s(300)), s(240));
        assert_eq!(unusable_after(s(120)), s(90));
        assert_eq!(schedule(s(0), None, 0.5), schedule(s(0), Some(s(5)), 0.0));
    }

    #[test]
    fn server_refresh_in_is_honoured_within_bounds() {
        assert_eq!(refresh_after(s(3599), Some(s(1800)), 0.0), s(1800));
        // Beyond the point where the token stops being served: clamped to it.
        assert_eq!(refresh_after(s(3599), Some(s(3590)), 0.0), s(3539));
        // Absurdly small: raised to the floor.
        assert_eq!(refresh_after(s(3599), Some(s(0)), 0.0), s(30));
        // ... unless the token is itself that short.
        assert_eq!(refresh_after(s(20), Some(s(0)), 0.0), s(15));
    }

    #[test]
    fn jitter_only_moves_the_refresh_earlier_and_by_at_most_a_minute() {
        let base = refresh_after(s(3599), None, 0.0);
        let max = refresh_after(s(3599), None, 1.0);
        assert_eq!(base - max, s(60));
        assert_eq!(refresh_after(s(3599), None, 0.5), s(3269));
        // A tenth of a short refresh interval at most.
        assert_eq!(refresh_after(s(300), None, 1.0), s(135));
        // Out-of-range jitter is clamped, NaN ignored.
        assert_eq!(refresh_after(s(3599), None, 7.0), max);
        assert_eq!(refresh_after(s(3599), None, -1.0), base);
        assert_eq!(refresh_after(s(3599), None, f64::NAN), base);
    }

    #[test]
    fn refresh_never_after_unusable_never_after_expiry() {
        for secs in [
            0, 1, 2, 59, 60, 61, 119, 240, 599, 3599, 5399, 7199, 7200, 86400,
        ] {
            for refresh_in in [None, Some(s(0)), Some(s(secs / 2)), Some(s(secs * 2))] {
                for jitter in [0.0, 0.3, 0.999] {
                    let sch = schedule(s(secs), refresh_in, jitter);
                    assert!(
                        sch.refresh_after <= sch.unusable_after,
                        "{secs} {refresh_in:?}"
                    );
                    assert!(sch.unusable_after <= s(secs));
                }
            }
        }
    }

    #[test]
    fn background_failures_retry_every_thirty_seconds_or_retry_after() {
        assert_eq!(retry_delay(true, 1, None), s(30));
        assert_eq!(retry_delay(true, 9, None), s(30));
        assert_eq!(retry_delay(true, 1, Some(s(5))), s(30));
        assert_eq!(retry_delay(true, 1, Some(s(120))), s(120));
        assert_eq!(retry_delay(true, 1, Some(s(86400))), MAX_RETRY_AFTER);
    }

    #[test]
    fn cold_failures_back_off_exponentially() {
        let got: Vec<u64> = (1..=7)
            .map(|n| retry_delay(false, n, None).as_secs())
            .collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(retry_delay(false, u32::MAX, None), s(30));
        assert_eq!(retry_delay(false, 0, None), s(1));
        assert_eq!(retry_delay(false, 1, Some(s(10))), s(10));
        assert_eq!(retry_delay(false, 1, Some(s(3600))), s(300));
    }
}
