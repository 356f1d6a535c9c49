//! `WWW-Authenticate` challenges from Entra-protected APIs, pure: which authority and tenant
//! to ask, for which scope, and the claims a continuous-access-evaluation (CAE) challenge
//! demands.
//!
//! The grammar is RFC 9110 §11.6.1, read leniently the way real services write it: several
//! challenges in one value, parameters in any order with case-insensitive names, quoted
//! strings with backslash escapes, unquoted URLs, and Azure Storage's parameters separated by
//! spaces instead of commas.

mod grammar;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use self::grammar::{tokenize, Raw};
use crate::error::{Error, ErrorKind, Result};

/// Longest header value parsed: 8 KiB. Real challenges are 100–1,500 bytes (a CAE `claims`
/// value is a few hundred); 8 KiB is also the usual per-header limit of HTTP servers and
/// proxies (nginx `large_client_header_buffers`, Apache `LimitRequestFieldSize`).
pub const MAX_CHALLENGE_BYTES: usize = 8 * 1024;

/// Servers send `claims` in standard base64, with or without padding; some send base64url.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64_STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const BASE64_URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// One `Bearer` challenge from a `WWW-Authenticate` header, with Entra's parameters typed.
///
/// Graph, ARM and most Entra-protected APIs send `authorization_uri` (and sometimes
/// `resource_id` or `scope`); Key Vault sends `authorization` and `resource`; both spellings
/// are read. Empty values (`realm=""`) count as absent.
///
/// **Security:** the authority comes from the API, not from your configuration. Before
/// requesting a token from it, check that [`authority`](Self::authority) is the cloud you
/// configured; never follow a challenge to an unknown host.
///
/// ```
/// use entra_token::Challenge;
/// # fn main() -> Result<(), entra_token::Error> {
/// let header = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ==""#;
/// let challenge = Challenge::parse(header)?.expect("a Bearer challenge");
/// assert_eq!(challenge.authority(), Some("https://login.microsoftonline.com"));
/// assert_eq!(challenge.tenant(), Some("contoso.onmicrosoft.com"));
/// assert!(challenge.is_claims_challenge());
/// assert_eq!(challenge.claims(), Some(r#"{"access_token":{"acrs":{"essential":true,"value":"cp1"}}}"#));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    authorization_uri: Option<String>,
    authority: Option<String>,
    tenant: Option<String>,
    resource_scope: Option<String>,
    realm: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    claims: Option<String>,
}

impl Challenge {
    /// Parses a `WWW-Authenticate` value and returns its Bearer challenge: the first one that
    /// names an authorization URI, else the first Bearer one. `Ok(None)` when the value holds
    /// only other schemes (`Basic`, `Negotiate`, ...).
    ///
    /// ```
    /// # fn main() -> Result<(), entra_token::Error> {
    /// let h = r#"Basic realm="x", Bearer authorization="https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#;
    /// let c = entra_token::Challenge::parse(h)?.unwrap();
    /// assert_eq!(c.tenant(), Some("72f988bf-86f1-41af-91ab-2d7cd011db47"));
    /// assert_eq!(c.resource_scope(), Some("https://vault.azure.net/.default"));
    /// assert!(entra_token::Challenge::parse("Basic realm=\"x\"")?.is_none());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidResponse`] when the value is longer than [`MAX_CHALLENGE_BYTES`],
    /// does not follow the grammar (an unterminated quoted string, a parameter before any
    /// scheme), repeats a Bearer parameter, or carries an unusable authorization URI or
    /// `claims` value. Never panics, whatever the input.
    pub fn parse(header_value: &str) -> Result<Option<Challenge>> {
        let all = Self::parse_all(header_value)?;
        let index = all.iter().position(|c| c.authority.is_some()).unwrap_or(0);
        Ok(all.into_iter().nth(index))
    }

    /// Every Bearer challenge in the value, in order.
    ///
    /// ```
    /// # fn main() -> Result<(), entra_token::Error> {
    /// let all = entra_token::Challenge::parse_all("Bearer realm=\"a\", Bearer realm=\"b\"")?;
    /// assert_eq!(all.len(), 2);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub fn parse_all(header_value: &str) -> Result<Vec<Challenge>> {
        if header_value.len() > MAX_CHALLENGE_BYTES {
            return Err(invalid(format!("longer than {MAX_CHALLENGE_BYTES} bytes")));
        }
        tokenize(header_value)?
            .into_iter()
            .filter(|raw| raw.scheme.eq_ignore_ascii_case("bearer"))
            .map(Challenge::from_raw)
            .collect()
    }

    fn from_raw(raw: Raw<'_>) -> Result<Challenge> {
        for (i, (name, _)) in raw.params.iter().enumerate() {
            if raw.params[..i]
                .iter()
                .any(|(seen, _)| seen.eq_ignore_ascii_case(name))
            {
                return Err(invalid(format!("parameter {name} appears twice")));
            }
        }
        let get = |name: &str| {
            raw.params
                .iter()
                .find(|(n, v)| n.eq_ignore_ascii_case(name) && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        let authorization_uri = get("authorization_uri").or_else(|| get("authorization"));
        let (authority, tenant) = match &authorization_uri {
            Some(uri) => {
                let (authority, tenant) = split_authorization_uri(uri)?;
                (Some(authority), tenant)
            }
            None => (None, None),
        };
        let resource_scope = get("scope").or_else(|| {
            get("resource_id")
                .or_else(|| get("resource"))
                .map(|r| format!("{r}/.default"))
        });
        let claims = get("claims").map(|c| decode_claims(&c)).transpose()?;
        Ok(Challenge {
            authorization_uri,
            authority,
            tenant,
            resource_scope,
            realm: get("realm"),
            error: get("error"),
            error_description: get("error_description"),
            claims,
        })
    }

    /// The `authorization_uri` (or Key Vault's `authorization`) exactly as sent.
    pub fn authorization_uri(&self) -> Option<&str> {
        self.authorization_uri.as_deref()
    }

    /// Scheme and host (and port, if not the default) of the authorization URI, e.g.
    /// `https://login.microsoftonline.com`: the authority host to request tokens from.
    pub fn authority(&self) -> Option<&str> {
        self.authority.as_deref()
    }

    /// The first path segment of the authorization URI: a tenant GUID or domain, or `common`
    /// (Graph's unauthenticated answer). `None` when the URI has no path (ARM sends
    /// `https://login.windows.net/`).
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The scope to request: the `scope` parameter as sent, else `{resource_id}/.default`
    /// (or `{resource}/.default`). A resource ending in `/` keeps it, as Entra expects
    /// (`https://management.core.windows.net//.default`).
    pub fn resource_scope(&self) -> Option<&str> {
        self.resource_scope.as_deref()
    }

    /// The `realm` parameter, when not empty.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// The `error` parameter (`invalid_token`, `insufficient_claims`, ...).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The `error_description` parameter.
    pub fn error_description(&self) -> Option<&str> {
        self.error_description.as_deref()
    }

    /// The claims the API demands, decoded from base64 to JSON text and checked to be a JSON
    /// object: pass it unchanged as the token request's `claims`, bypassing any cache.
    pub fn claims(&self) -> Option<&str> {
        self.claims.as_deref()
    }

    /// True for a CAE / Conditional Access claims challenge (`error="insufficient_claims"`
    /// with `claims`): the cached token was revoked and a new one with these claims is needed.
    pub fn is_claims_challenge(&self) -> bool {
        self.error.as_deref() == Some("insufficient_claims") && self.claims.is_some()
    }
}

fn invalid(reason: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidResponse {
        reason: format!("WWW-Authenticate challenge {reason}"),
    })
}

/// `https://login.microsoftonline.com/{tenant}/oauth2/authorize` → (authority, tenant).
fn split_authorization_uri(uri: &str) -> Result<(String, Option<String>)> {
    let url = url::Url::parse(uri)
        .map_err(|e| invalid(format!("authorization URI is not a URL ({e})")))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    if !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) || host.is_empty() {
        return Err(invalid("authorization URI must be https with a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("authorization URI must not carry user information"));
    }
    let authority = match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    };
    let tenant = url
        .path_segments()
        .and_then(|mut s| s.next())
        .filter(|t| !t.is_empty());
    if let Some(t) = tenant {
        let plausible = t.len() <= 256
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
        if !plausible {
            return Err(invalid(
                "authorization URI's tenant is not a GUID or domain name",
            ));
        }
    }
    Ok((authority, tenant.map(str::to_owned)))
}

/// base64 (standard or url alphabet, padding optional) → JSON object text. A value that is
/// already a JSON object is accepted as is.
fn decode_claims(value: &str) -> Result<String> {
    let value = value.trim();
    let text = if value.starts_with('{') {
        value.to_owned()
    } else {
        let bytes = BASE64_STANDARD
            .decode(value)
            .or_else(|_| BASE64_URL.decode(value))
            .map_err(|_| invalid("claims value is not base64"))?;
        String::from_utf8(bytes).map_err(|_| invalid("claims value is not UTF-8 JSON"))?
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(_)) => Ok(text),
        _ => Err(invalid("claims value is not a JSON object")),
    }
}

#[cfg(test)]
mod tests;
