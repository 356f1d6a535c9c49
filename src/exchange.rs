//! The token request: the only code in this crate that does HTTP.
//!
//! One `POST` of an `application/x-www-form-urlencoded` client-credentials request per try,
//! with a freshly signed assertion (new `jti`, new `iat`) each time, retried per
//! [`RetryPolicy`]. Responses are read chunk by chunk up to [`MAX_RESPONSE_BYTES`] and parsed
//! by the pure functions of [`response`]. Logs carry metadata only (endpoint, status, attempt,
//! duration, correlation id): never a body, a token, an assertion or a secret.

mod response;

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use url::Url;
use uuid::Uuid;

use crate::assertion::{self, AssertionOptions, CLIENT_ASSERTION_TYPE};
use crate::error::{Error, ErrorKind, Result};
use crate::material::ClientCertificate;
use crate::retry::{parse_retry_after, Decision, RetryPolicy};
use crate::secret::{Secret, SecretBytes};
use crate::token::IssuedToken;
use crate::MAX_RESPONSE_BYTES;

/// Default TCP + TLS connect timeout: 10 s. A healthy Entra front door answers in well under
/// a second; ten leaves room for a slow proxy while failing fast on a black-holed route.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default timeout of one try, from sending the request to the last byte of the answer: 30 s.
/// Entra normally answers within a second; Azure Core's 100 s network timeout would block a
/// caller for minutes across retries.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

const USER_AGENT: &str = concat!("entra-token/", env!("CARGO_PKG_VERSION"));

/// How the client proves its identity.
#[derive(Clone)]
pub(crate) enum ClientAuth {
    /// A signed assertion per request.
    Certificate {
        certificate: ClientCertificate,
        options: AssertionOptions,
    },
    /// `client_secret=...`.
    Secret(Secret),
}

/// Everything needed to send token requests to one endpoint for one client, except the
/// [`ClientAuth`], which rotation may replace and each request names.
#[derive(Clone)]
pub(crate) struct Exchange {
    pub(crate) http: reqwest::Client,
    pub(crate) token_endpoint: Url,
    pub(crate) client_id: String,
    /// Per-try timeout; `None` disables it.
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
}

impl Exchange {
    /// Requests a token for `scope` (space-separated scopes of one resource), retrying
    /// transient failures. `claims` is the CAE claims challenge, sent as-is.
    pub(crate) async fn request_token(
        &self,
        auth: &ClientAuth,
        scope: &str,
        claims: Option<&str>,
    ) -> Result<IssuedToken> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let error = match self.try_once(auth, scope, claims, attempt).await {
                Ok(token) => return Ok(token),
                Err(error) => error,
            };
            match self
                .retry
                .decide(attempt, &error, started.elapsed(), rand::random())
            {
                Decision::RetryAfter(wait) => {
                    tracing::warn!(
                        endpoint = %self.token_endpoint,
                        attempt,
                        status = error.status(),
                        wait_ms = wait.as_millis() as u64,
                        "token request failed, retrying: {}",
                        summary(&error)
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Decision::GiveUp => return Err(error),
            }
        }
    }

    /// Signs a fresh assertion on tokio's blocking pool: an RSA signature takes milliseconds
    /// (about 1 ms at 2048 bits, 15 ms at 4096), too long to hold an async worker that is
    /// serving other tasks (and the cache hits of other callers).
    async fn sign_off_the_runtime(
        &self,
        certificate: &ClientCertificate,
        options: &AssertionOptions,
    ) -> Result<Secret> {
        let (certificate, options) = (certificate.clone(), options.clone());
        let (client_id, audience) = (self.client_id.clone(), self.token_endpoint.to_string());
        let signing = tokio::task::spawn_blocking(move || {
            assertion::client_assertion(&certificate, &client_id, &audience, &options)
        });
        match signing.await {
            Ok(signed) => signed,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(Error::config(
                "the assertion was not signed: the runtime is shutting down",
            )
            .with_source(e)),
        }
    }

    /// One try: sign, send, read, parse.
    async fn try_once(
        &self,
        auth: &ClientAuth,
        scope: &str,
        claims: Option<&str>,
        attempt: u32,
    ) -> Result<IssuedToken> {
        let credential = match auth {
            ClientAuth::Certificate {
                certificate,
                options,
            } => self.sign_off_the_runtime(certificate, options).await?,
            ClientAuth::Secret(secret) => secret.clone(),
        };
        let is_assertion = matches!(auth, ClientAuth::Certificate { .. });
        let form = form(&self.client_id, scope, is_assertion, &credential, claims);
        let correlation_id = Uuid::new_v4().hyphenated().to_string();
        let request = self
            .http
            .post(self.token_endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .header("client-request-id", &correlation_id)
            .header("return-client-request-id", "true")
            .form(&form);

        tracing::debug!(endpoint = %self.token_endpoint, attempt, correlation_id, "sending token request");
        let sent_wall = SystemTime::now();
        let sent_at = Instant::now();
        let exchange = async {
            let response = request.send().await.map_err(transport_error)?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            let body = read_capped(response, MAX_RESPONSE_BYTES).await?;
            Ok::<_, Error>((status, retry_after, body))
        };
        let outcome = match self.timeout {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or_else(|_| Err(Error::new(ErrorKind::Timeout))),
            None => exchange.await,
        };
        let elapsed_ms = sent_at.elapsed().as_millis() as u64;
        let (status, retry_after, body) = match outcome {
            Ok(parts) => parts,
            Err(error) => {
                tracing::debug!(endpoint = %self.token_endpoint, attempt, correlation_id, elapsed_ms, "token request failed: {}", summary(&error));
                return Err(error);
            }
        };
        tracing::debug!(endpoint = %self.token_endpoint, attempt, correlation_id, status, elapsed_ms, "token endpoint answered");
        if (200..300).contains(&status) {
            let mut token = response::parse_success(&body, sent_wall, sent_at)?;
            token.correlation_id = correlation_id.clone();
            tracing::debug!(
                endpoint = %self.token_endpoint,
                correlation_id,
                expires_in = token.expires_in.as_secs(),
                "token issued"
            );
            Ok(token)
        } else {
            Err(response::error_from_status(status, &body, retry_after))
        }
    }
}

/// The client-credentials form. `credential` is the signed assertion or the client secret.
fn form<'a>(
    client_id: &'a str,
    scope: &'a str,
    is_assertion: bool,
    credential: &'a Secret,
    claims: Option<&'a str>,
) -> Vec<(&'static str, &'a str)> {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("scope", scope),
    ];
    if is_assertion {
        form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
        form.push(("client_assertion", credential.secret()));
    } else {
        form.push(("client_secret", credential.secret()));
    }
    if let Some(claims) = claims {
        form.push(("claims", claims));
    }
    form
}

/// The default client: rustls with the system's roots plus `extra_roots`, proxies from the
/// environment, no redirects (a redirected POST could carry the assertion elsewhere).
pub(crate) fn default_http_client(
    connect_timeout: Option<Duration>,
    extra_roots: &[reqwest::Certificate],
) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(timeout) = connect_timeout {
        builder = builder.connect_timeout(timeout);
    }
    for root in extra_roots {
        builder = builder.add_root_certificate(root.clone());
    }
    builder
        .build()
        .map_err(|e| Error::config("cannot set up the HTTP client").with_source(e))
}

/// A log-safe one-word summary of a failure: its kind, status and AADSTS code, nothing else.
fn summary(error: &Error) -> String {
    match error.kind() {
        ErrorKind::Entra(e) => match e.code() {
            Some(code) => format!("{} AADSTS{code}", e.error),
            None => e.error.clone(),
        },
        ErrorKind::HttpStatus { status, .. } => format!("HTTP {status}"),
        ErrorKind::Timeout => "timeout".to_owned(),
        ErrorKind::Transport => "connection error".to_owned(),
        ErrorKind::ResponseTooLarge { .. } => "response too large".to_owned(),
        ErrorKind::InvalidResponse { .. } => "invalid response".to_owned(),
        _ => "error".to_owned(),
    }
}

fn transport_error(error: reqwest::Error) -> Error {
    let kind = if error.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    Error::new(kind).with_source(error)
}

/// Reads the body, refusing an announced or actual size above `limit` without reading past it.
async fn read_capped(mut response: reqwest::Response, limit: u64) -> Result<SecretBytes> {
    let too_large = || Error::new(ErrorKind::ResponseTooLarge { limit });
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    // Reserve up front so the buffer (which may hold a token) is not reallocated and copied.
    let mut body = SecretBytes::new(Vec::with_capacity(
        usize::try_from(announced.unwrap_or(8 * 1024)).unwrap_or(0),
    ));
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields() {
        let jwt = Secret::new("a.b.c");
        let claims = r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#;
        assert_eq!(
            form("app", "api://x/.default", true, &jwt, Some(claims)),
            [
                ("grant_type", "client_credentials"),
                ("client_id", "app"),
                ("scope", "api://x/.default"),
                ("client_assertion_type", CLIENT_ASSERTION_TYPE),
                ("client_assertion", "a.b.c"),
                ("claims", claims),
            ]
        );
        let secret = Secret::new("s");
        assert_eq!(
            form("app", "api://x/.default", false, &secret, None)[3..],
            [("client_secret", "s")]
        );
    }

    #[test]
    fn log_summaries_carry_no_body() {
        let body =
            br#"{"error":"invalid_client","error_description":"AADSTS700027: secret detail"}"#;
        let e = response::error_from_status(401, body, None);
        assert_eq!(summary(&e), "invalid_client AADSTS700027");
        let e = response::error_from_status(502, b"<html>secret detail</html>", None);
        assert_eq!(summary(&e), "HTTP 502");
    }
}
