//! Entra's response bodies, as pure functions: the token response and the JSON error shape
//! (`error`, `error_description` starting `AADSTS<code>: `, `error_codes`, `timestamp`,
//! `trace_id`, `correlation_id`, `error_uri`).

use serde::Serialize;

use super::validate::Rejection;

/// The request identifiers of one exchange.
#[derive(Clone, Debug)]
pub(crate) struct Ids {
    /// Fresh per request; sent as `trace_id` and the `x-ms-request-id` header.
    pub(crate) trace_id: String,
    /// The client's `client-request-id` when it is a GUID, else a fresh GUID.
    pub(crate) correlation_id: String,
    /// The `client-request-id` to send back, when the client asked with
    /// `return-client-request-id: true`.
    pub(crate) echo: Option<String>,
}

impl Ids {
    /// From the `client-request-id` and `return-client-request-id` header values. Like Entra,
    /// only a GUID is adopted as the correlation id.
    pub(crate) fn new(client_request_id: Option<&str>, return_it: bool) -> Self {
        let client = client_request_id
            .map(str::trim)
            .filter(|id| uuid::Uuid::parse_str(id).is_ok());
        Ids {
            trace_id: uuid::Uuid::new_v4().to_string(),
            correlation_id: client.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned),
            echo: client.filter(|_| return_it).map(str::to_owned),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: String,
    error_codes: [u32; 1],
    timestamp: &'a str,
    trace_id: &'a str,
    correlation_id: &'a str,
    error_uri: String,
}

/// Entra's JSON error body for `rejection`, stamped with `now` (Unix seconds).
pub(crate) fn error_body(rejection: &Rejection, ids: &Ids, now: i64) -> Vec<u8> {
    let timestamp = entra_timestamp(now);
    let body = ErrorBody {
        error: rejection.error,
        error_description: format!(
            "AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
            rejection.code, rejection.message, ids.trace_id, ids.correlation_id, timestamp
        ),
        error_codes: [rejection.code],
        timestamp: &timestamp,
        trace_id: &ids.trace_id,
        correlation_id: &ids.correlation_id,
        error_uri: format!(
            "https://login.microsoftonline.com/error?code={}",
            rejection.code
        ),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

#[derive(Serialize)]
struct TokenBody<'a> {
    token_type: &'a str,
    expires_in: u64,
    ext_expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_in: Option<u64>,
    access_token: &'a str,
}

/// The success body: `token_type`, `expires_in`, `ext_expires_in`, optional `refresh_in`,
/// `access_token`.
pub(crate) fn token_body(access_token: &str, expires_in: u64, refresh_in: Option<u64>) -> Vec<u8> {
    let body = TokenBody {
        token_type: "Bearer",
        expires_in,
        ext_expires_in: expires_in,
        refresh_in,
        access_token,
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// A fresh opaque access token: 256 random bits, base64url, never reused.
pub(crate) fn new_access_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("emulator.{}", crate::base64url::encode(&bytes))
}

/// The rejection Entra-shaped fault bodies carry for an HTTP status.
pub(crate) fn status_rejection(status: u16) -> Rejection {
    match status {
        429 => Rejection::new(
            "temporarily_unavailable",
            90055,
            "There are too many incoming requests (throttled by the emulator). Retry after the time in Retry-After.",
        ),
        503 | 504 => Rejection::new(
            "temporarily_unavailable",
            90033,
            "A transient error has occurred (emulated outage). Please try again.",
        ),
        s if s >= 500 => Rejection::new(
            "server_error",
            90033,
            "A transient error has occurred (emulated server error). Please try again.",
        ),
        _ => Rejection::new(
            "invalid_request",
            9002313,
            "Invalid request. Request is malformed or invalid (emulated fault).",
        ),
    }
}

/// Entra's `timestamp` format, `YYYY-MM-DD hh:mm:ssZ`, of Unix seconds.
pub(crate) fn entra_timestamp(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_entra_format() {
        assert_eq!(entra_timestamp(0), "1970-01-01 00:00:00Z");
        assert_eq!(entra_timestamp(1_566_160_708), "2019-08-18 20:38:28Z");
        assert_eq!(entra_timestamp(951_782_400), "2000-02-29 00:00:00Z");
    }

    #[test]
    fn error_body_has_entra_shape() {
        let ids = Ids::new(Some("8b0b1a3e-6f5f-4a8e-9d59-3b8e3c7a1c11"), true);
        assert_eq!(
            ids.echo.as_deref(),
            Some("8b0b1a3e-6f5f-4a8e-9d59-3b8e3c7a1c11")
        );
        let r = Rejection::new("invalid_client", 700027, "bad key");
        let v: serde_json::Value = serde_json::from_slice(&error_body(&r, &ids, 0)).unwrap();
        assert_eq!(v["error"], "invalid_client");
        assert!(v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS700027: bad key\r\nTrace ID: "));
        assert_eq!(v["error_codes"], serde_json::json!([700027]));
        assert_eq!(v["correlation_id"], "8b0b1a3e-6f5f-4a8e-9d59-3b8e3c7a1c11");
        assert_eq!(v["timestamp"], "1970-01-01 00:00:00Z");
        assert_eq!(
            v["error_uri"],
            "https://login.microsoftonline.com/error?code=700027"
        );
    }

    #[test]
    fn non_guid_request_ids_are_not_adopted() {
        let ids = Ids::new(Some("not-a-guid"), true);
        assert!(ids.echo.is_none());
        assert_ne!(ids.correlation_id, "not-a-guid");
    }

    #[test]
    fn token_body_shape() {
        let v: serde_json::Value =
            serde_json::from_slice(&token_body("t", 3599, Some(1800))).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"refresh_in":1800,"access_token":"t"})
        );
        let v: serde_json::Value = serde_json::from_slice(&token_body("t", 60, None)).unwrap();
        assert!(v.get("refresh_in").is_none());
        assert_ne!(new_access_token(), new_access_token());
    }
}
