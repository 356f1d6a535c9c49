use std::time::UNIX_EPOCH;

use super::*;
use crate::entra_error::EntraError;

const S: Duration = Duration::from_secs(1);

fn status(status: u16, retry_after: Option<Duration>) -> Error {
    Error::new(ErrorKind::HttpStatus {
        status,
        body_prefix: String::new(),
        retry_after,
    })
}

fn entra(status: u16, error: &str, retry_after: Option<Duration>) -> Error {
    let body = format!(r#"{{"error":"{error}","error_description":"AADSTS1: x"}}"#);
    let e = EntraError::parse(status, body.as_bytes(), retry_after).unwrap();
    Error::new(ErrorKind::Entra(Box::new(e)))
}

fn wait(d: Decision) -> Duration {
    match d {
        Decision::RetryAfter(d) => d,
        Decision::GiveUp => panic!("expected a retry"),
    }
}

#[test]
fn transient_failures_are_retried() {
    let p = RetryPolicy::default();
    for e in [
        Error::new(ErrorKind::Timeout),
        Error::new(ErrorKind::Transport),
        status(408, None),
        status(429, None),
        status(500, None),
        status(502, None),
        status(503, None),
        status(504, None),
        entra(503, "temporarily_unavailable", None),
        entra(429, "too_many_requests", None),
    ] {
        assert!(
            matches!(
                p.decide(1, &e, Duration::ZERO, 0.5),
                Decision::RetryAfter(_)
            ),
            "{e:?}"
        );
    }
}

#[test]
fn permanent_failures_are_never_retried() {
    let p = RetryPolicy::default();
    for e in [
        entra(401, "invalid_client", None),
        entra(400, "invalid_scope", None),
        entra(400, "unauthorized_client", None),
        entra(400, "invalid_request", None),
        // Even when the status is in the list, or comes with Retry-After.
        entra(500, "invalid_client", Some(S)),
        entra(429, "invalid_scope", Some(S)),
        status(400, None),
        status(401, Some(S)),
        status(404, None),
        status(501, None),
        Error::new(ErrorKind::InvalidResponse { reason: "x".into() }),
        Error::new(ErrorKind::ResponseTooLarge { limit: 1 }),
        Error::config("x"),
    ] {
        assert_eq!(
            p.decide(1, &e, Duration::ZERO, 0.5),
            Decision::GiveUp,
            "{e:?}"
        );
    }
}

#[test]
fn configured_statuses_replace_the_defaults() {
    let p = RetryPolicy::default().statuses([423, 503]);
    assert!(matches!(
        p.decide(1, &status(423, None), Duration::ZERO, 0.5),
        Decision::RetryAfter(_)
    ));
    assert_eq!(
        p.decide(1, &status(500, None), Duration::ZERO, 0.5),
        Decision::GiveUp
    );
    // Connection failures do not depend on the list.
    assert!(matches!(
        p.decide(1, &Error::new(ErrorKind::Transport), Duration::ZERO, 0.5),
        Decision::RetryAfter(_)
    ));
}

#[test]
fn backoff_is_exponential_capped_and_jittered() {
    let p = RetryPolicy::default();
    let e = status(503, None);
    assert_eq!(wait(p.decide(1, &e, Duration::ZERO, 0.5)), S);
    assert_eq!(wait(p.decide(2, &e, Duration::ZERO, 0.5)), 2 * S);
    assert_eq!(wait(p.decide(3, &e, Duration::ZERO, 0.5)), 4 * S);
    // ±20 %.
    assert_eq!(
        wait(p.decide(1, &e, Duration::ZERO, 0.0)),
        Duration::from_millis(800)
    );
    let high = wait(p.decide(1, &e, Duration::ZERO, 0.999_999));
    assert!(high > Duration::from_millis(1199) && high < Duration::from_millis(1200));
    // Jitter out of range is treated as the midpoint.
    assert_eq!(wait(p.decide(1, &e, Duration::ZERO, f64::NAN)), S);
    assert_eq!(wait(p.decide(1, &e, Duration::ZERO, 7.0)), S);
    // Capped at max_backoff, jitter included.
    let p = RetryPolicy::default()
        .max_attempts(100)
        .max_total(Duration::MAX);
    assert_eq!(
        wait(p.decide(20, &e, Duration::ZERO, 0.999)),
        DEFAULT_MAX_BACKOFF
    );
    assert_eq!(
        wait(p.decide(99, &e, Duration::ZERO, 0.0)),
        DEFAULT_MAX_BACKOFF.mul_f64(0.8)
    );
    // Multiplier below 1 counts as 1: constant waits.
    let p = RetryPolicy::default().multiplier(0.1);
    assert_eq!(wait(p.decide(3, &e, Duration::ZERO, 0.5)), S);
}

#[test]
fn retry_after_is_honoured_up_to_the_cap() {
    let p = RetryPolicy::default();
    let e = status(429, Some(Duration::from_secs(7)));
    assert_eq!(
        wait(p.decide(1, &e, Duration::ZERO, 0.0)),
        Duration::from_secs(7)
    );
    let e = entra(429, "too_many_requests", Some(Duration::from_secs(60)));
    assert_eq!(
        wait(p.decide(1, &e, Duration::ZERO, 0.0)),
        Duration::from_secs(60)
    );
    let e = entra(429, "too_many_requests", Some(Duration::from_secs(61)));
    assert_eq!(p.decide(1, &e, Duration::ZERO, 0.0), Decision::GiveUp);
    let p = p
        .max_retry_after(Duration::from_secs(120))
        .max_total(Duration::from_secs(300));
    assert_eq!(
        wait(p.decide(1, &e, Duration::ZERO, 0.0)),
        Duration::from_secs(61)
    );
}

#[test]
fn attempts_are_bounded() {
    let e = Error::new(ErrorKind::Timeout);
    let p = RetryPolicy::default();
    assert!(matches!(
        p.decide(3, &e, Duration::ZERO, 0.5),
        Decision::RetryAfter(_)
    ));
    assert_eq!(p.decide(4, &e, Duration::ZERO, 0.5), Decision::GiveUp);
    assert_eq!(
        RetryPolicy::none().decide(1, &e, Duration::ZERO, 0.5),
        Decision::GiveUp
    );
    assert_eq!(RetryPolicy::default().max_attempts(0), RetryPolicy::none());
}

#[test]
fn total_time_is_bounded() {
    let p = RetryPolicy::default().max_total(Duration::from_secs(10));
    let e = status(503, None);
    assert_eq!(wait(p.decide(1, &e, Duration::from_secs(9), 0.5)), S);
    assert_eq!(
        p.decide(1, &e, Duration::from_millis(9_001), 0.5),
        Decision::GiveUp
    );
    let e = status(503, Some(Duration::from_secs(5)));
    assert_eq!(
        p.decide(1, &e, Duration::from_secs(6), 0.5),
        Decision::GiveUp
    );
    assert_eq!(p.decide(1, &e, Duration::MAX, 0.5), Decision::GiveUp);
}

#[test]
fn retry_after_values() {
    let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 2015-10-21 07:27:50 UTC
    assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after(" 120 ", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
        Some(Duration::from_secs(10))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
        Some(Duration::ZERO),
        "a date in the past means now"
    );
    for bad in ["", "-1", "1.5", "soon", "99999999999999999999999", "+3"] {
        assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
    }
}
