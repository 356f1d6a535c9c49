//! Entra's OAuth error body (`error`, `error_description`, `error_codes`, ...) as data, with a
//! fix hint for the AADSTS codes users hit most.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// An OAuth error answered by the token endpoint, parsed from Entra's JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraError {
    /// HTTP status of the answer.
    pub status: u16,
    /// OAuth `error`, e.g. `invalid_client`.
    pub error: String,
    /// `error_description`, which starts with `AADSTS<code>: ` on Entra. Truncated to 512 bytes.
    pub description: String,
    /// `error_codes` (or the code parsed from the description).
    pub codes: Vec<u32>,
    /// `trace_id`, for Microsoft support.
    pub trace_id: Option<String>,
    /// `correlation_id` (our `client-request-id` when Entra echoes it).
    pub correlation_id: Option<String>,
    /// The server's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

#[derive(Deserialize)]
struct Body {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    correlation_id: Option<String>,
}

const MAX_DESCRIPTION: usize = 512;

impl EntraError {
    /// Parses an error body; `None` when it is not an OAuth error JSON object.
    pub fn parse(status: u16, body: &[u8], retry_after: Option<Duration>) -> Option<Self> {
        let body: Body = serde_json::from_slice(body).ok()?;
        let mut description = body.error_description.unwrap_or_default();
        if description.len() > MAX_DESCRIPTION {
            let mut cut = MAX_DESCRIPTION;
            while !description.is_char_boundary(cut) {
                cut -= 1;
            }
            description.truncate(cut);
        }
        let mut codes: Vec<u32> = body
            .error_codes
            .unwrap_or_default()
            .iter()
            .filter_map(|v| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .or_else(|| v.as_str()?.parse().ok())
            })
            .collect();
        if codes.is_empty() {
            codes.extend(code_in_description(&description));
        }
        Some(EntraError {
            status,
            error: body.error,
            description,
            codes,
            trace_id: body.trace_id,
            correlation_id: body.correlation_id,
            retry_after,
        })
    }

    /// True when Entra reported this AADSTS code.
    pub fn has_code(&self, code: u32) -> bool {
        self.codes.contains(&code)
    }

    /// The first AADSTS code, if any.
    pub fn code(&self) -> Option<u32> {
        self.codes.first().copied()
    }

    /// What usually fixes this error, for the codes users hit most.
    pub fn hint(&self) -> Option<&'static str> {
        self.codes
            .iter()
            .find_map(|c| hint_for(*c))
            .or(match self.error.as_str() {
                "invalid_scope" => Some(
                    "client credentials need exactly one scope of the form {resource}/.default",
                ),
                "unauthorized_client" => {
                    Some("the app is not allowed this grant; check the app registration")
                }
                _ => None,
            })
    }
}

/// The fix for an AADSTS code, per DOMAIN.md's table.
pub fn hint_for(code: u32) -> Option<&'static str> {
    Some(match code {
        700027 => "Entra does not know this certificate: upload its public part (.cer) to the app registration, check it has not expired there, and compare x5t vs x5t#S256 (try --alg RS256)",
        700024 => "the assertion is outside its valid time range: fix this machine's clock (NTP) or shorten the time between signing and sending",
        7000215 => "the client secret is wrong: use the secret's value (not its ID) and check it has not expired",
        700016 => "the application was not found in this tenant: check the client ID and the tenant",
        90002 => "the tenant was not found: check the tenant ID or domain, and the cloud (authority host)",
        1002012 | 70011 => "the scope is invalid: client credentials need {resource}/.default, e.g. https://graph.microsoft.com/.default",
        500011 => "the resource was not found in this tenant: check the resource URI, or consent to the API in this tenant",
        50027 => "the assertion JWT is invalid (often a wrong aud): aud must be this tenant's v2 token URL",
        5002730 => "the assertion's algorithm or format was rejected: try RS256 with x5t (--alg RS256)",
        _ => return None,
    })
}

fn code_in_description(description: &str) -> Option<u32> {
    let rest = description.strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

impl fmt::Display for EntraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first_line = self.description.lines().next().unwrap_or("");
        write!(
            f,
            "the token endpoint refused the request (HTTP {}, {}",
            self.status, self.error
        )?;
        if !first_line.is_empty() {
            write!(f, ": {first_line}")?;
        }
        write!(f, ")")?;
        if let Some(hint) = self.hint() {
            write!(f, ": {hint}")?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " [correlation id {id}]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entra_shape_and_hints() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS700027: Client assertion contains an invalid signature.\r\nTrace ID: x","error_codes":[700027],"timestamp":"2024-01-01 00:00:00Z","trace_id":"t-1","correlation_id":"c-1","error_uri":"https://login.microsoftonline.com/error?code=700027"}"#;
        let e = EntraError::parse(401, body, None).unwrap();
        assert_eq!(e.code(), Some(700027));
        assert_eq!(e.trace_id.as_deref(), Some("t-1"));
        assert!(e.hint().unwrap().contains("upload its public part"));
        let shown = e.to_string();
        assert!(shown.starts_with("the token endpoint refused the request (HTTP 401, invalid_client: AADSTS700027: Client assertion contains an invalid signature.)"), "{shown}");
        assert!(shown.ends_with("[correlation id c-1]"));
    }

    #[test]
    fn code_from_description_when_codes_absent() {
        let e = EntraError::parse(
            400,
            br#"{"error":"invalid_scope","error_description":"AADSTS1002012: bad scope"}"#,
            None,
        )
        .unwrap();
        assert_eq!(e.codes, vec![1002012]);
        assert!(EntraError::parse(400, b"<html>", None).is_none());
        assert!(EntraError::parse(400, b"{}", None).is_none());
    }
}
