//! One HTTP request: outage switch, queued fault, routing, then the pure validator.

use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};

use super::body::{Body, Reply, JSON};
use super::faults::{self, Fault};
use super::response::{error_body, new_access_token, token_body, Ids};
use super::state::{lock, LastRequest, Shared};
use super::validate::{assertion, validate_request, Form, Rejection};

/// Largest request body read: 64 KiB. A token request with a 4096-bit certificate chain in
/// `x5c` is well under 16 KiB.
pub const MAX_REQUEST_BYTES: usize = 64 << 10;

/// Returned to hyper to close the connection without an answer.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    shared.count(|c| c.total += 1);
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let client_request_id = header("client-request-id");
    let return_id =
        header("return-client-request-id").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let ids = Ids::new(client_request_id.as_deref(), return_id);

    if let Some(status) = shared.outage() {
        shared.count(|c| c.faults += 1);
        return Ok(faults::entra_status(status, &ids, shared.now_unix()).into_response(&ids));
    }
    if let Some(fault) = shared.pop_fault() {
        shared.count(|c| c.faults += 1);
        match fault {
            Fault::Delay(duration) => tokio::time::sleep(duration).await,
            Fault::DropConnection => return Err(DropConnection),
            other => {
                if let Some(reply) = faults::reply(&other, &ids, shared.now_unix()) {
                    return Ok(reply.into_response(&ids));
                }
            }
        }
    }
    let headers = Headers {
        client_request_id,
        return_id,
    };
    Ok(answer(&shared, request, &ids, headers)
        .await
        .into_response(&ids))
}

struct Headers {
    client_request_id: Option<String>,
    return_id: bool,
}

/// The tenant of a `/{tenant}/oauth2/v2.0/token` path.
pub(crate) fn token_path_tenant(path: &str) -> Option<&str> {
    let (tenant, rest) = path.strip_prefix('/')?.split_once('/')?;
    (!tenant.is_empty() && rest == "oauth2/v2.0/token").then_some(tenant)
}

async fn answer(shared: &Shared, request: Request<Incoming>, ids: &Ids, headers: Headers) -> Reply {
    let Some(tenant) = token_path_tenant(request.uri().path()).map(str::to_owned) else {
        return reject(shared, ids, 404, Rejection::new(
            "invalid_request",
            9002313,
            format!("Invalid request. Request is malformed or invalid: no endpoint at '{}'; the emulator serves POST /{{tenant}}/oauth2/v2.0/token.", request.uri().path()),
        ));
    };
    if request.method() != Method::POST {
        return reject(
            shared,
            ids,
            404,
            Rejection::new(
                "invalid_request",
                900561,
                format!(
                    "The endpoint only accepts POST requests. Received a {} request.",
                    request.method()
                ),
            ),
        );
    }
    let is_form = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let bytes = match Limited::new(request.into_body(), MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return reject(shared, ids, 413, Rejection::new(
                "invalid_request",
                9002313,
                format!("Invalid request. Request is malformed or invalid: the body exceeds {MAX_REQUEST_BYTES} bytes."),
            ))
        }
    };
    let form = if is_form {
        match Form::parse(&bytes) {
            Ok(form) => form,
            Err(rejection) => return reject(shared, ids, rejection.status(), rejection),
        }
    } else {
        // Entra reads no form from any other content type, so grant_type is "missing".
        Form::default()
    };
    shared.record_last(last_request(&tenant, &form, headers));

    let now = shared.now_unix();
    let verdict = {
        let mut ledger = lock(&shared.ledger);
        validate_request(&shared.policy(), &tenant, &form, now, &mut ledger)
    };
    match verdict {
        Ok(accepted) => {
            shared.count(|c| c.issued += 1);
            tracing::debug!(target: "entra_token::emulator", ?accepted, "emulator issued a token");
            let expires_in = shared.token_lifetime.as_secs();
            let refresh_in = shared.refresh_in.map(|d| d.as_secs());
            let body = token_body(&new_access_token(), expires_in, refresh_in);
            Reply::new(200, JSON, Body::full(body))
        }
        Err(rejection) => reject(shared, ids, rejection.status(), rejection),
    }
}

fn reject(shared: &Shared, ids: &Ids, status: u16, rejection: Rejection) -> Reply {
    shared.count(|c| *c.rejected.entry(rejection.code).or_default() += 1);
    tracing::debug!(
        target: "entra_token::emulator",
        status,
        code = rejection.code,
        correlation_id = %ids.correlation_id,
        "emulator refused a request"
    );
    let body = error_body(&rejection, ids, shared.now_unix());
    Reply::new(status, JSON, Body::full(body))
}

/// What tests may inspect: the form minus secrets, plus the assertion's decoded header and
/// claims (never the assertion or its signature).
fn last_request(tenant: &str, form: &Form, headers: Headers) -> LastRequest {
    let owned = |name: &str| form.get(name).map(str::to_owned);
    let (assertion_header, assertion_claims) = form
        .get("client_assertion")
        .map(assertion::peek)
        .unwrap_or_default();
    LastRequest {
        tenant: tenant.to_owned(),
        grant_type: owned("grant_type"),
        client_id: owned("client_id"),
        scope: owned("scope"),
        claims: owned("claims"),
        client_assertion_type: owned("client_assertion_type"),
        has_client_assertion: form.get("client_assertion").is_some(),
        has_client_secret: form.get("client_secret").is_some(),
        client_request_id: headers.client_request_id,
        return_client_request_id: headers.return_id,
        assertion_header,
        assertion_claims,
    }
}

#[cfg(test)]
mod tests {
    use super::token_path_tenant;

    #[test]
    fn routes_only_the_v2_token_path() {
        assert_eq!(
            token_path_tenant("/contoso.onmicrosoft.com/oauth2/v2.0/token"),
            Some("contoso.onmicrosoft.com")
        );
        assert_eq!(token_path_tenant("/t/oauth2/token"), None);
        assert_eq!(token_path_tenant("//oauth2/v2.0/token"), None);
        assert_eq!(token_path_tenant("/t/oauth2/v2.0/token/"), None);
        assert_eq!(token_path_tenant("/"), None);
    }
}
