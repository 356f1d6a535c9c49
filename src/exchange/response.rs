//! Pure parsing of token-endpoint answers: a token response, or the error it stands for.
//!
//! Nothing here quotes a body that may hold a token: a success body is only quoted when it is
//! not JSON and does not mention `access_token`, and then at most [`QUOTE_CHARS`] characters.

use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::entra_error::EntraError;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use crate::token::IssuedToken;

/// Most characters of a body quoted in an error.
const QUOTE_CHARS: usize = 64;

/// Longest `expires_in` accepted: one year. Entra issues 60–90 minute tokens; anything larger
/// is a broken server, and would overflow time arithmetic if unbounded.
const MAX_EXPIRES_IN: u64 = 366 * 24 * 60 * 60;

/// The fields we read. Numbers may come as JSON numbers or, v1-style, as strings.
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    ext_expires_in: Option<Value>,
    #[serde(default)]
    refresh_in: Option<Value>,
}

/// Parses a 2xx body into the issued token; times are those of the request's sending.
pub(crate) fn parse_success(
    body: &[u8],
    sent_wall: SystemTime,
    sent_at: Instant,
) -> Result<IssuedToken> {
    let response: TokenResponse = match serde_json::from_slice(body) {
        Ok(response) => response,
        Err(_) => return Err(invalid(not_a_token_response(body))),
    };
    let access_token = match response.access_token {
        Some(token) if !token.is_empty() => Secret::new(token),
        _ => return Err(invalid("no access_token".to_owned())),
    };
    let token_type = match response.token_type {
        Some(t) if !t.trim().is_empty() => t,
        _ => return Err(invalid("no token_type".to_owned())),
    };
    let expires_in = match response.expires_in.as_ref().map(seconds) {
        Some(Some(secs)) if (1..=MAX_EXPIRES_IN).contains(&secs) => Duration::from_secs(secs),
        Some(Some(secs)) => return Err(invalid(format!("expires_in {secs} is out of range"))),
        Some(None) => return Err(invalid("expires_in is not a number".to_owned())),
        None => return Err(invalid("no expires_in".to_owned())),
    };
    // Optional hints: a malformed one is ignored rather than failing a usable token.
    let optional = |v: Option<Value>| {
        v.as_ref()
            .and_then(seconds)
            .filter(|s| *s <= MAX_EXPIRES_IN)
            .map(Duration::from_secs)
    };
    Ok(IssuedToken {
        access_token,
        token_type,
        expires_in,
        ext_expires_in: optional(response.ext_expires_in),
        refresh_in: optional(response.refresh_in),
        sent_wall,
        sent_at,
        correlation_id: String::new(),
    })
}

/// The error for a non-2xx answer: Entra's OAuth error if the body is one, else the status.
pub(crate) fn error_from_status(status: u16, body: &[u8], retry_after: Option<Duration>) -> Error {
    match EntraError::parse(status, body, retry_after) {
        Some(entra) => Error::new(ErrorKind::Entra(Box::new(entra))),
        None => Error::new(ErrorKind::HttpStatus {
            status,
            body_prefix: printable_prefix(body),
            retry_after,
        }),
    }
}

/// Whole seconds from a JSON number or a string of digits (v1 endpoint style).
fn seconds(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

fn invalid(reason: String) -> Error {
    Error::new(ErrorKind::InvalidResponse { reason })
}

fn not_a_token_response(body: &[u8]) -> String {
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        return "the JSON is not a token response object".to_owned();
    }
    if body
        .windows(b"access_token".len())
        .any(|w| w == b"access_token")
    {
        // Malformed JSON that may carry a token: never quote it.
        return "malformed JSON".to_owned();
    }
    if body.is_empty() {
        return "empty body".to_owned();
    }
    format!("expected JSON, got {:?}", printable_prefix(body))
}

/// At most [`QUOTE_CHARS`] characters of `body`, control characters replaced by spaces, with
/// `…` when cut.
pub(crate) fn printable_prefix(body: &[u8]) -> String {
    let head = &body[..body.len().min(QUOTE_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    let mut out: String = text
        .chars()
        .take(QUOTE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > QUOTE_CHARS || body.len() > head.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
