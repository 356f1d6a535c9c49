//! The emulator over real HTTP: assertions signed here with the `rsa` crate directly (not the
//! crate's own signer), posted with reqwest, answered the way Entra answers.
#![cfg(feature = "emulator")]

mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use entra_token::emulator::{Emulator, Fault, RetryAfter, OVERSIZED_FAULT_BYTES};
use entra_token::{ClientCertificate, EntraError};
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

const SCOPE: &str = "https://graph.microsoft.com/.default";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A certificate and its private key, loaded from PEM.
struct Identity {
    cert: ClientCertificate,
    key: RsaPrivateKey,
}

fn identity(pem_bytes: &[u8]) -> Identity {
    let cert = ClientCertificate::from_pem(pem_bytes).unwrap();
    let block = pem::parse_many(pem_bytes)
        .unwrap()
        .into_iter()
        .find(|b| b.tag() == "PRIVATE KEY")
        .expect("a PKCS#8 key");
    let key = RsaPrivateKey::from_pkcs8_der(block.contents()).unwrap();
    Identity { cert, key }
}

/// The registered identity: the shared fixture key.
fn client() -> Identity {
    identity(&support::read_fixture("pem/rsa2048-combined.pem"))
}

/// A key and certificate the emulator does not know.
fn stranger() -> Identity {
    identity(&std::fs::read(support::crate_dir().join("tests/data/emulator/other.pem")).unwrap())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Compact JWS over `header` and `claims`, signed with `key` as `alg` says.
fn sign(key: &RsaPrivateKey, header: &Value, claims: &Value) -> String {
    let signed = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = match header["alg"].as_str() {
        Some("PS256") => rsa::pss::BlindedSigningKey::<Sha256>::new(key.clone())
            .sign_with_rng(&mut rand::thread_rng(), signed.as_bytes())
            .to_vec(),
        _ => rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone())
            .sign(signed.as_bytes())
            .to_vec(),
    };
    format!("{signed}.{}", b64url(&signature))
}

fn ps256_header(id: &Identity) -> Value {
    json!({"alg": "PS256", "typ": "JWT", "x5t#S256": id.cert.x5t_s256()})
}

fn claims(emulator: &Emulator) -> Value {
    let now = now();
    json!({
        "aud": emulator.token_endpoint(),
        "iss": emulator.client_id(),
        "sub": emulator.client_id(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": now,
        "iat": now,
        "exp": now + 600,
    })
}

async fn start() -> (Emulator, Identity) {
    let id = client();
    let emulator = Emulator::builder()
        .tenant("contoso.onmicrosoft.com")
        .client_id("11111111-2222-3333-4444-555555555555")
        .register_certificate_info(id.cert.certificate())
        .client_secret("s3cret-value")
        .start()
        .await
        .unwrap();
    (emulator, id)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn post_to(client: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Answer {
    let response = client.post(url).form(form).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

fn assertion_form<'a>(emulator: &'a Emulator, jwt: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", emulator.client_id()),
        ("scope", SCOPE),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", jwt),
    ]
}

async fn post_assertion(emulator: &Emulator, jwt: &str) -> Answer {
    post_to(
        &http(),
        &emulator.token_endpoint(),
        &assertion_form(emulator, jwt),
    )
    .await
}

/// Checks Entra's error shape and returns the AADSTS code.
fn entra_code(answer: &Answer) -> u32 {
    let v = answer.json();
    let code = v["error_codes"][0].as_u64().expect("error_codes") as u32;
    let description = v["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    for field in [
        "error",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    ] {
        assert!(v[field].is_string(), "{field} missing in {v}");
    }
    let parsed = EntraError::parse(answer.status, &answer.body, None).unwrap();
    assert!(parsed.has_code(code));
    code
}

#[tokio::test]
async fn issues_tokens_for_ps256_and_rs256() {
    let (emulator, id) = start().await;
    let headers = [
        ps256_header(&id),
        json!({"alg": "RS256", "typ": "JWT", "x5t": id.cert.x5t()}),
        json!({"alg": "PS256", "x5t#S256": id.cert.x5t_s256(), "x5c": [STANDARD.encode(id.cert.certificate().der())]}),
    ];
    let mut tokens = Vec::new();
    for header in headers {
        let answer = post_assertion(&emulator, &sign(&id.key, &header, &claims(&emulator))).await;
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let v = answer.json();
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["expires_in"], 3599);
        assert_eq!(v["ext_expires_in"], 3599);
        assert!(v.get("refresh_in").is_none());
        tokens.push(v["access_token"].as_str().unwrap().to_owned());
        assert_eq!(answer.headers["cache-control"], "no-store, no-cache");
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 3, "every token is unique");
    let counters = emulator.counters();
    assert_eq!(
        (counters.total, counters.issued, counters.rejected_total()),
        (3, 3, 0)
    );
    let last = emulator.last_request().unwrap();
    assert_eq!(last.tenant, "contoso.onmicrosoft.com");
    assert_eq!(last.scope.as_deref(), Some(SCOPE));
    assert_eq!(last.assertion_header.unwrap()["alg"], "PS256");
    assert_eq!(last.assertion_claims.unwrap()["iss"], emulator.client_id());
    assert!(last.has_client_assertion && !last.has_client_secret);
}

#[tokio::test]
async fn localhost_audience_is_accepted() {
    let (emulator, id) = start().await;
    let mut c = claims(&emulator);
    c["aud"] = json!(emulator.token_endpoint().replace("127.0.0.1", "localhost"));
    let answer = post_assertion(&emulator, &sign(&id.key, &ps256_header(&id), &c)).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn every_assertion_rejection_has_entra_shape() {
    let (emulator, id) = start().await;
    let other = stranger();
    let base = || claims(&emulator);
    let with = |name: &str, value: Value| {
        let mut c = base();
        c[name] = value;
        c
    };
    let header = ps256_header(&id);
    let padded = {
        let jwt = sign(&id.key, &header, &base());
        let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
        parts[1] = STANDARD.encode(base().to_string()); // padded standard base64
        if !parts[1].ends_with('=') {
            parts[1].push_str("==");
        }
        parts.join(".")
    };
    let cases: Vec<(&str, String, u16, u32)> = vec![
        ("wrong x5t", sign(&id.key, &json!({"alg": "RS256", "x5t": other.cert.x5t()}), &base()), 401, 700027),
        ("bad signature", sign(&other.key, &header, &base()), 401, 700027),
        ("wrong aud", sign(&id.key, &header, &with("aud", json!("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"))), 401, 700023),
        ("wrong iss", sign(&id.key, &header, &with("iss", json!("someone"))), 401, 700021),
        ("wrong sub", sign(&id.key, &header, &with("sub", json!("someone"))), 401, 700021),
        ("expired", sign(&id.key, &header, &json!({"aud": emulator.token_endpoint(), "iss": emulator.client_id(), "sub": emulator.client_id(), "jti": "e", "nbf": now() - 1200, "exp": now() - 600})), 401, 700024),
        ("not yet valid", sign(&id.key, &header, &with("nbf", json!(now() + 900))), 401, 700024),
        ("string exp", sign(&id.key, &header, &with("exp", json!((now() + 600).to_string()))), 401, 50027),
        ("too long", sign(&id.key, &header, &with("exp", json!(now() + 7200))), 401, 700024),
        ("padded base64", padded, 401, 50027),
        ("RS512", sign(&id.key, &json!({"alg": "RS512", "x5t#S256": id.cert.x5t_s256()}), &base()), 401, 5002730),
    ];
    for (name, jwt, status, code) in &cases {
        let answer = post_assertion(&emulator, jwt).await;
        assert_eq!(
            (*name, answer.status, entra_code(&answer)),
            (*name, *status, *code),
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(answer.json()["error"], "invalid_client", "{name}");
    }
    let counters = emulator.counters();
    assert_eq!(counters.issued, 0);
    assert_eq!(counters.rejected_with(700027), 2);
    assert_eq!(counters.rejected_with(700024), 3);
    assert_eq!(counters.rejected_total(), cases.len() as u64);
}

#[tokio::test]
async fn replayed_assertion_is_refused() {
    let (emulator, id) = start().await;
    let jwt = sign(&id.key, &ps256_header(&id), &claims(&emulator));
    assert_eq!(post_assertion(&emulator, &jwt).await.status, 200);
    let replay = post_assertion(&emulator, &jwt).await;
    assert_eq!((replay.status, entra_code(&replay)), (401, 700024));
    assert!(replay.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("replay"));
}

#[tokio::test]
async fn request_rejections() {
    let (emulator, id) = start().await;
    let jwt = sign(&id.key, &ps256_header(&id), &claims(&emulator));
    let endpoint = emulator.token_endpoint();
    let client = http();
    let replace = |name: &str, value: &'static str| {
        let mut form = assertion_form(&emulator, &jwt);
        for pair in &mut form {
            if pair.0 == name {
                pair.1 = value;
            }
        }
        form
    };
    let cases = [
        (
            "wrong client id",
            endpoint.clone(),
            replace("client_id", "99999999-2222-3333-4444-555555555555"),
            400,
            700016,
            "unauthorized_client",
        ),
        (
            "scope without /.default",
            endpoint.clone(),
            replace("scope", "https://graph.microsoft.com/User.Read"),
            400,
            1002012,
            "invalid_scope",
        ),
        (
            "two scopes",
            endpoint.clone(),
            replace("scope", "api://a/.default api://b/.default"),
            400,
            70011,
            "invalid_scope",
        ),
        (
            "wrong grant type",
            endpoint.clone(),
            replace("grant_type", "password"),
            400,
            70003,
            "unsupported_grant_type",
        ),
        (
            "wrong assertion type",
            endpoint.clone(),
            replace("client_assertion_type", "urn:x"),
            401,
            7000219,
            "invalid_client",
        ),
        (
            "wrong tenant",
            endpoint.replace("contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"),
            assertion_form(&emulator, &jwt),
            400,
            90002,
            "invalid_request",
        ),
    ];
    for (name, url, form, status, code, error) in cases {
        let answer = post_to(&client, &url, &form).await;
        assert_eq!(
            (name, answer.status, entra_code(&answer)),
            (name, status, code)
        );
        assert_eq!(answer.json()["error"], error, "{name}");
    }
    let missing = post_to(&client, &endpoint, &[("client_id", emulator.client_id())]).await;
    assert_eq!((missing.status, entra_code(&missing)), (400, 900144));
    let no_credential = post_to(
        &client,
        &endpoint,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("scope", SCOPE),
        ],
    )
    .await;
    assert_eq!(
        (no_credential.status, entra_code(&no_credential)),
        (401, 7000218)
    );
    // Nothing was issued, so the assertion's jti is still fresh.
    assert_eq!(post_assertion(&emulator, &jwt).await.status, 200);
}

#[tokio::test]
async fn unknown_routes_get_404_in_entra_shape() {
    let (emulator, _) = start().await;
    let client = http();
    let host = emulator.authority_host();
    let v1 = post_to(
        &client,
        &format!("{host}/contoso.onmicrosoft.com/oauth2/token"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!((v1.status, entra_code(&v1)), (404, 9002313));
    let get = client.get(emulator.token_endpoint()).send().await.unwrap();
    assert_eq!(get.status(), 404);
    let body = get.bytes().await.unwrap();
    assert_eq!(
        EntraError::parse(404, &body, None).unwrap().codes,
        vec![900561]
    );
}

#[tokio::test]
async fn client_secret_mode() {
    let (emulator, _) = start().await;
    let form = |secret: &'static str| {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("scope", SCOPE),
            ("client_secret", secret),
        ]
    };
    let ok = post_to(&http(), &emulator.token_endpoint(), &form("s3cret-value")).await;
    assert_eq!(ok.status, 200);
    let wrong = post_to(&http(), &emulator.token_endpoint(), &form("guess")).await;
    assert_eq!((wrong.status, entra_code(&wrong)), (401, 7000215));
    let last = emulator.last_request().unwrap();
    assert!(last.has_client_secret);
    assert!(
        !format!("{last:?}").contains("guess"),
        "the secret is never kept"
    );
}

#[tokio::test]
async fn correlation_id_is_echoed_on_request() {
    let (emulator, _) = start().await;
    let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let response = http()
        .post(emulator.token_endpoint())
        .header("client-request-id", id)
        .header("return-client-request-id", "true")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["client-request-id"], id);
    let v: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(v["correlation_id"], id);
    assert_eq!(
        emulator
            .last_request()
            .unwrap()
            .client_request_id
            .as_deref(),
        Some(id)
    );
    let response = http()
        .post(emulator.token_endpoint())
        .header("client-request-id", id)
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("client-request-id").is_none());
}

#[tokio::test]
async fn configured_lifetime_and_refresh_in() {
    let id = client();
    let emulator = Emulator::builder()
        .register_client_certificate(&id.cert)
        .token_lifetime(Duration::from_secs(600))
        .refresh_in(Some(Duration::from_secs(300)))
        .start()
        .await
        .unwrap();
    let answer = post_assertion(
        &emulator,
        &sign(&id.key, &ps256_header(&id), &claims(&emulator)),
    )
    .await;
    let v = answer.json();
    assert_eq!(
        (v["expires_in"].as_u64(), v["refresh_in"].as_u64()),
        (Some(600), Some(300))
    );
}

#[tokio::test]
async fn emulator_clock_can_be_moved() {
    let (emulator, id) = start().await;
    emulator.advance_clock(Duration::from_secs(1200));
    let old = post_assertion(
        &emulator,
        &sign(&id.key, &ps256_header(&id), &claims(&emulator)),
    )
    .await;
    assert_eq!(entra_code(&old), 700024, "client clock behind the server's");
    emulator.rewind_clock(Duration::from_secs(2400));
    let early = post_assertion(
        &emulator,
        &sign(&id.key, &ps256_header(&id), &claims(&emulator)),
    )
    .await;
    assert_eq!(
        entra_code(&early),
        700024,
        "client clock ahead of the server's"
    );
    emulator.advance_clock(Duration::from_secs(1200));
    let on_time = post_assertion(
        &emulator,
        &sign(&id.key, &ps256_header(&id), &claims(&emulator)),
    )
    .await;
    assert_eq!(on_time.status, 200);
}

#[tokio::test]
async fn faults_are_served_in_order() {
    let (emulator, id) = start().await;
    let good = || sign(&id.key, &ps256_header(&id), &claims(&emulator));
    let soon = SystemTime::now() + Duration::from_secs(30);
    emulator.inject(Fault::TooManyRequests {
        retry_after: RetryAfter::Seconds(2),
    });
    emulator.inject(Fault::TooManyRequests {
        retry_after: RetryAfter::HttpDate(soon),
    });
    emulator.inject(Fault::Status(503));
    emulator.inject(Fault::PlainStatus(502));
    emulator.inject(Fault::Garbage);
    assert_eq!(emulator.pending_faults(), 5);

    let throttled = post_assertion(&emulator, &good()).await;
    assert_eq!((throttled.status, entra_code(&throttled)), (429, 90055));
    assert_eq!(throttled.headers["retry-after"], "2");
    let dated = post_assertion(&emulator, &good()).await;
    assert_eq!(dated.status, 429);
    let date = httpdate::parse_http_date(dated.headers["retry-after"].to_str().unwrap()).unwrap();
    assert!(date.duration_since(SystemTime::now()).unwrap() > Duration::from_secs(20));
    let unavailable = post_assertion(&emulator, &good()).await;
    assert_eq!((unavailable.status, entra_code(&unavailable)), (503, 90033));
    let gateway = post_assertion(&emulator, &good()).await;
    assert_eq!(gateway.status, 502);
    assert!(String::from_utf8_lossy(&gateway.body).contains("502 Bad Gateway"));
    let garbage = post_assertion(&emulator, &good()).await;
    assert_eq!(garbage.status, 200);
    assert!(serde_json::from_slice::<Value>(&garbage.body).is_err());
    assert_eq!(
        post_assertion(&emulator, &good()).await.status,
        200,
        "queue drained"
    );
    let counters = emulator.counters();
    assert_eq!(
        (counters.total, counters.faults, counters.issued),
        (6, 5, 1)
    );
    emulator.reset_counters();
    assert_eq!(emulator.counters(), Default::default());
}

#[tokio::test]
async fn delay_then_normal_answer() {
    let (emulator, id) = start().await;
    emulator.inject(Fault::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    let answer = post_assertion(
        &emulator,
        &sign(&id.key, &ps256_header(&id), &claims(&emulator)),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer.status, 200);
    assert_eq!(emulator.counters().faults, 1);
}

#[tokio::test]
async fn oversized_body_is_streamed() {
    let (emulator, _) = start().await;
    emulator.inject(Fault::Oversized);
    let response = http().post(emulator.token_endpoint()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.content_length().is_none(),
        "no Content-Length: chunked"
    );
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), OVERSIZED_FAULT_BYTES);
    assert!(body.len() > 2 << 20);
    assert!(body.starts_with(br#"{"token_type":"Bearer""#));
}

#[tokio::test]
async fn dropped_connection_gets_no_answer() {
    let (emulator, id) = start().await;
    emulator.inject(Fault::DropConnection);
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let jwt = sign(&id.key, &ps256_header(&id), &claims(&emulator));
    let error = client
        .post(emulator.token_endpoint())
        .form(&assertion_form(&emulator, &jwt))
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_status() && error.status().is_none(), "{error:?}");
    assert_eq!(
        post_assertion(&emulator, &jwt).await.status,
        200,
        "the next request is served"
    );
}

#[tokio::test]
async fn outage_switch_fails_everything_until_cleared() {
    let (emulator, id) = start().await;
    emulator.inject(Fault::Status(500));
    emulator.set_outage(Some(503));
    for _ in 0..3 {
        let answer = post_assertion(
            &emulator,
            &sign(&id.key, &ps256_header(&id), &claims(&emulator)),
        )
        .await;
        assert_eq!((answer.status, entra_code(&answer)), (503, 90033));
    }
    emulator.set_outage(None);
    assert_eq!(
        emulator.pending_faults(),
        1,
        "queued faults wait out the outage"
    );
    emulator.clear_faults();
    let answer = post_assertion(
        &emulator,
        &sign(&id.key, &ps256_header(&id), &claims(&emulator)),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(emulator.counters().faults, 3);
}

#[tokio::test]
async fn https_with_the_generated_ca() {
    let id = client();
    let emulator = Emulator::builder()
        .register_client_certificate(&id.cert)
        .https(true)
        .start()
        .await
        .unwrap();
    assert!(emulator.token_endpoint().starts_with("https://127.0.0.1:"));
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().unwrap().as_bytes()).unwrap();
    let trusting = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let jwt = sign(&id.key, &ps256_header(&id), &claims(&emulator));
    let answer = post_to(
        &trusting,
        &emulator.token_endpoint(),
        &assertion_form(&emulator, &jwt),
    )
    .await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    // The localhost name is in the certificate too.
    let jwt = sign(&id.key, &ps256_header(&id), &claims(&emulator));
    let localhost = emulator.token_endpoint().replace("127.0.0.1", "localhost");
    assert_eq!(
        post_to(&trusting, &localhost, &assertion_form(&emulator, &jwt))
            .await
            .status,
        200
    );
    // A client that does not trust the CA cannot connect.
    let error = http()
        .post(emulator.token_endpoint())
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect() || error.is_request(), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn background_emulator_runs_in_real_time_beside_a_paused_clock() {
    let id = client();
    let emulator = Emulator::builder()
        .register_client_certificate(&id.cert)
        .start_in_background()
        .unwrap();
    emulator.inject(Fault::Delay(Duration::from_millis(50)));
    let jwt = sign(&id.key, &ps256_header(&id), &claims(&emulator));
    let answer = post_assertion(&emulator, &jwt).await;
    assert_eq!(answer.status, 200);
    let endpoint = emulator.token_endpoint();
    let clone = emulator.clone();
    drop(emulator);
    assert_eq!(clone.counters().issued, 1, "a clone keeps it running");
    clone.shutdown();
    let refused = http().post(&endpoint).send().await;
    assert!(refused.is_err(), "stopped after shutdown");
}
