//! The token exchange on the wire, against a scripted loopback server: the request's shape,
//! response parsing, size caps, retries, timeouts. No emulator needed.

#[path = "exchange_raw/server.rs"]
mod server;

use std::time::{Duration, SystemTime};

use entra_token::retry::RetryPolicy;
use entra_token::{decode_unverified, ClientCertificate, Credential, ErrorKind};
use server::{RawServer, Reply};

const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const SCOPE: &str = "https://graph.microsoft.com/.default";
const TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.SECRET-ACCESS-TOKEN.sig";

fn certificate() -> ClientCertificate {
    ClientCertificate::from_pem(include_bytes!("data/exchange/app.pem")).unwrap()
}

/// A credential for `server` with fast retries and no timeouts (paused-clock safe).
fn credential(server: &RawServer) -> Credential {
    Credential::builder(TENANT, CLIENT, certificate())
        .authority_host(server.authority_host())
        .timeout(None)
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .refresh_jitter(false)
        .build()
        .unwrap()
}

#[tokio::test]
async fn sends_a_client_credentials_form_with_a_fresh_assertion() {
    let server = RawServer::start(vec![Reply::token(TOKEN, 3599)]);
    let credential = credential(&server);
    let before = SystemTime::now();
    let token = credential.get_token(SCOPE).await.unwrap();
    let after = SystemTime::now();
    assert_eq!(token.secret(), TOKEN);
    assert_eq!(token.token_type(), "Bearer");
    let issued = token.expires_at() - Duration::from_secs(3599);
    assert!(
        before <= issued && issued <= after,
        "expiry counts from the sending"
    );
    assert_eq!(
        token.refresh_at(),
        token.expires_at() - Duration::from_secs(300)
    );

    let got = server.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert_eq!(
        r.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(r.headers["return-client-request-id"], "true");
    assert_eq!(r.headers["client-request-id"].len(), 36);
    assert!(r.headers["user-agent"].starts_with("entra-token/"));
    assert_eq!(r.form["grant_type"], "client_credentials");
    assert_eq!(r.form["client_id"], CLIENT);
    assert_eq!(r.form["scope"], SCOPE);
    assert_eq!(
        r.form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert!(!r.form.contains_key("client_secret"));
    let (header, claims) = decode_unverified(&r.form["client_assertion"]).unwrap();
    assert_eq!(header["alg"], "PS256");
    assert_eq!(claims["aud"], credential.token_endpoint());
    assert_eq!(claims["iss"], CLIENT);
}

#[tokio::test]
async fn secret_credentials_send_the_secret_and_no_assertion() {
    let server = RawServer::start(vec![Reply::token(TOKEN, 3599)]);
    let credential = Credential::secret_builder(TENANT, CLIENT, "s3cr3t")
        .authority_host(server.authority_host())
        .build()
        .unwrap();
    credential.get_token(SCOPE).await.unwrap();
    let r = &server.received()[0];
    assert_eq!(r.form["client_secret"], "s3cr3t");
    assert!(!r.form.contains_key("client_assertion"));
    assert!(!r.form.contains_key("client_assertion_type"));
}

#[tokio::test]
async fn v1_style_string_numbers_are_accepted() {
    let body = format!(
        r#"{{"token_type":"Bearer","expires_in":"3600","ext_expires_in":"3600","expires_on":"1700003600","access_token":"{TOKEN}"}}"#
    );
    let server = RawServer::start(vec![Reply::json(200, &body)]);
    let token = credential(&server).get_token(SCOPE).await.unwrap();
    assert_eq!(token.secret(), TOKEN);
}

#[tokio::test]
async fn garbage_success_is_an_invalid_response_and_not_retried() {
    let server = RawServer::start(vec![Reply::Http(
        200,
        vec![],
        b"<html><body>Sign in to your proxy</body></html>".to_vec(),
    )]);
    let err = credential(&server).get_token(SCOPE).await.unwrap_err();
    match err.kind() {
        ErrorKind::InvalidResponse { reason } => {
            assert!(reason.contains("<html><body>Sign in"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_truncated_token_body_is_never_quoted() {
    let body = format!(r#"{{"token_type":"Bearer","access_token":"{TOKEN}"#);
    let server = RawServer::start(vec![Reply::json(200, &body)]);
    let err = credential(&server).get_token(SCOPE).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidResponse { .. }));
    assert!(!format!("{err} {err:?}").contains("SECRET"));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let big = vec![b' '; (entra_token::MAX_RESPONSE_BYTES + 1) as usize];
    // Announced by Content-Length: refused before reading.
    let server = RawServer::start(vec![Reply::Http(200, vec![], big)]);
    let err = credential(&server).get_token(SCOPE).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ResponseTooLarge { limit } if *limit == 1 << 20));
    assert_eq!(server.count(), 1);
    // Chunked without a length, endless: reading stops at the cap.
    let server = RawServer::start(vec![Reply::Chunked(200, vec![b'x'; 64 * 1024], 1_000)]);
    let err = credential(&server).get_token(SCOPE).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ResponseTooLarge { .. }),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_after_retry_after_with_a_new_assertion() {
    let server = RawServer::start(vec![
        Reply::json(
            429,
            r#"{"error":"temporarily_unavailable","error_description":"AADSTS50196: throttled"}"#,
        )
        .with_header("Retry-After", "3"),
        Reply::token(TOKEN, 3599),
    ]);
    let started = tokio::time::Instant::now();
    let token = credential(&server).get_token(SCOPE).await.unwrap();
    assert_eq!(token.secret(), TOKEN);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "Retry-After honoured"
    );
    let got = server.received();
    assert_eq!(got.len(), 2);
    let jti = |i: usize| {
        decode_unverified(&got[i].form["client_assertion"])
            .unwrap()
            .1["jti"]
            .clone()
    };
    assert_ne!(jti(0), jti(1), "each try signs a new assertion");
    assert_ne!(
        got[0].headers["client-request-id"],
        got[1].headers["client-request-id"]
    );
}

#[tokio::test(start_paused = true)]
async fn outages_are_retried_then_succeed() {
    let html = Reply::Http(503, vec![], b"<h1>Service Unavailable</h1>".to_vec());
    let server = RawServer::start(vec![html.clone(), html, Reply::token(TOKEN, 3599)]);
    credential(&server).get_token(SCOPE).await.unwrap();
    assert_eq!(server.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_attempt_bound() {
    let server = RawServer::start(vec![Reply::Http(502, vec![], b"bad gateway".to_vec())]);
    let err = credential(&server).get_token(SCOPE).await.unwrap_err();
    match err.kind() {
        ErrorKind::HttpStatus {
            status,
            body_prefix,
            ..
        } => {
            assert_eq!(*status, 502);
            assert_eq!(body_prefix, "bad gateway");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.count(), 4, "DEFAULT_MAX_ATTEMPTS tries");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn refused_credentials_are_never_retried() {
    let body = r#"{"error":"invalid_client","error_description":"AADSTS700027: Client assertion contains an invalid signature.","error_codes":[700027],"correlation_id":"c-1"}"#;
    let server = RawServer::start(vec![Reply::json(401, body)]);
    let err = credential(&server).get_token(SCOPE).await.unwrap_err();
    assert_eq!(server.count(), 1);
    assert!(err.is_key_not_found());
    let shown = err.to_string();
    assert!(shown.contains("AADSTS700027"), "{shown}");
    assert!(shown.contains("upload its public part"), "{shown}");
}

#[tokio::test]
async fn a_hung_server_times_out() {
    let server = RawServer::start(vec![Reply::Hang]);
    let credential = Credential::builder(TENANT, CLIENT, certificate())
        .authority_host(server.authority_host())
        .timeout(Some(Duration::from_millis(300)))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = credential.get_token(SCOPE).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(server.count(), 2, "a timeout is retried");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn dropped_and_refused_connections_are_transport_errors() {
    let server = RawServer::start(vec![Reply::Close, Reply::token(TOKEN, 3599)]);
    credential(&server).get_token(SCOPE).await.unwrap();
    assert_eq!(server.count(), 2, "a dropped connection is retried");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let credential = Credential::builder(TENANT, CLIENT, certificate())
        .authority_host(format!("http://127.0.0.1:{port}"))
        .timeout(None)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = credential.get_token(SCOPE).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Transport), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = RawServer::start(vec![Reply::Http(
        307,
        vec![("Location", "http://127.0.0.1:9/steal".into())],
        Vec::new(),
    )]);
    let err = credential(&server).get_token(SCOPE).await.unwrap_err();
    assert_eq!(err.status(), Some(307));
    assert_eq!(server.count(), 1);
}
