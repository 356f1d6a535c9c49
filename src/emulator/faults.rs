//! Fault injection: answers a real endpoint gives on a bad day (throttling, outages, proxies
//! that answer HTML, runaway bodies, dropped connections), queued by tests.

use std::time::{Duration, SystemTime};

use super::body::{Body, Reply, HTML, JSON};
use super::response::{error_body, status_rejection, Ids};

/// One misbehaviour, consumed by the next request. Queue them with
/// [`Emulator::inject`](super::Emulator::inject); they are served first in, first out.
///
/// ```
/// use std::time::Duration;
/// use entra_token::emulator::{Fault, RetryAfter};
///
/// let faults = [
///     Fault::TooManyRequests { retry_after: RetryAfter::Seconds(2) },
///     Fault::Status(503),
///     Fault::Delay(Duration::from_millis(200)),
/// ];
/// assert_eq!(faults.len(), 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests` with an Entra-shaped body (AADSTS90055) and `Retry-After`.
    TooManyRequests {
        /// What the `Retry-After` header says.
        retry_after: RetryAfter,
    },
    /// This status (typically 500, 502, 503 or 504) with Entra's JSON error shape
    /// (AADSTS90033 for 5xx).
    Status(u16),
    /// This status with a plain HTML body, as a gateway or proxy in front of Entra sends.
    PlainStatus(u16),
    /// Waits this long, then answers the request normally (validating it).
    Delay(Duration),
    /// `200 OK` whose body is HTML, not JSON (a captive portal or misrouted proxy).
    Garbage,
    /// `200 OK` streaming [`OVERSIZED_FAULT_BYTES`](super::OVERSIZED_FAULT_BYTES) of JSON-looking
    /// bytes without a `Content-Length`.
    Oversized,
    /// Closes the connection without answering.
    DropConnection,
}

/// The `Retry-After` header of [`Fault::TooManyRequests`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>` naming this instant.
    HttpDate(SystemTime),
    /// No `Retry-After` header.
    Omitted,
}

/// The reply for a fault that answers at once (not `Delay` or `DropConnection`).
pub(crate) fn reply(fault: &Fault, ids: &Ids, now: i64) -> Option<Reply> {
    Some(match fault {
        Fault::TooManyRequests { retry_after } => {
            let reply = entra_status(429, ids, now);
            match retry_after {
                RetryAfter::Seconds(s) => reply.header("retry-after", s.to_string()),
                RetryAfter::HttpDate(at) => reply.header("retry-after", httpdate::fmt_http_date(*at)),
                RetryAfter::Omitted => reply,
            }
        }
        Fault::Status(status) => entra_status(*status, ids, now),
        Fault::PlainStatus(status) => plain_status(*status),
        Fault::Garbage => Reply::new(
            200,
            HTML,
            Body::full("<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in to continue to the network.</body></html>"),
        ),
        Fault::Oversized => Reply::new(200, JSON, Body::Oversized { sent: 0 }),
        Fault::Delay(_) | Fault::DropConnection => return None,
    })
}

/// `status` with Entra's JSON error shape; what the outage switch answers.
pub(crate) fn entra_status(status: u16, ids: &Ids, now: i64) -> Reply {
    let body = error_body(&status_rejection(status), ids, now);
    Reply::new(status, JSON, Body::full(body))
}

fn plain_status(status: u16) -> Reply {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    Reply::new(
        status,
        HTML,
        Body::full(format!(
            "<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>"
        )),
    )
}
