//! Every rejection path of the pure validator, with assertions signed here: request-level
//! checks in this file, assertion checks in `assertion.rs`.

use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

mod jwt;

use super::ledger::JtiLedger;
use super::*;
use crate::base64url;
use crate::material::ClientCertificate;

const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const AUD: &str = "http://127.0.0.1:4000/contoso.onmicrosoft.com/oauth2/v2.0/token";
// After the test certificates were made (2026), long before they expire.
const NOW: i64 = 1_830_000_000;

struct Fixture {
    policy: Policy,
    client: ClientCertificate,
    other: ClientCertificate,
}

fn fixture() -> Fixture {
    let client =
        ClientCertificate::from_pem(include_bytes!("../../../../tests/data/emulator/client.pem"))
            .unwrap();
    let other =
        ClientCertificate::from_pem(include_bytes!("../../../../tests/data/emulator/other.pem"))
            .unwrap();
    let policy = Policy {
        tenant: TENANT.to_owned(),
        client_id: CLIENT.to_owned(),
        certificates: vec![RegisteredCertificate::from_der(client.certificate().der()).unwrap()],
        secret: Some(Secret::new("s3cret")),
        clock_skew: 300,
        max_assertion_lifetime: 3600,
        audiences: vec![AUD.to_owned()],
    };
    Fixture {
        policy,
        client,
        other,
    }
}

fn header(cert: &ClientCertificate, alg: &str) -> Value {
    json!({"alg": alg, "typ": "JWT", "x5t#S256": cert.x5t_s256()})
}

fn claims(jti: &str) -> Value {
    json!({"aud": AUD, "iss": CLIENT, "sub": CLIENT, "jti": jti, "nbf": NOW, "iat": NOW, "exp": NOW + 600})
}

fn sign(key: &RsaPrivateKey, alg: &str, header: &Value, claims: &Value) -> String {
    let signed = format!(
        "{}.{}",
        base64url::encode(header.to_string().as_bytes()),
        base64url::encode(claims.to_string().as_bytes())
    );
    let signature = if alg == "PS256" {
        let key = rsa::pss::BlindedSigningKey::<Sha256>::new(key.clone());
        key.sign_with_rng(&mut rand::thread_rng(), signed.as_bytes())
            .to_vec()
    } else {
        let key = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
        key.sign(signed.as_bytes()).to_vec()
    };
    format!("{signed}.{}", base64url::encode(&signature))
}

fn form(pairs: &[(&str, &str)]) -> Form {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Form::parse(body.as_bytes()).unwrap()
}

fn assertion_form(jwt: &str) -> Form {
    form(&[
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT),
        ("scope", "https://graph.microsoft.com/.default"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", jwt),
    ])
}

fn run(f: &Fixture, form: &Form) -> Result<Accepted, Rejection> {
    validate_request(&f.policy, TENANT, form, NOW, &mut JtiLedger::new(300))
}

/// Signs with the registered key and checks the assertion; returns the AADSTS code.
fn code_of(f: &Fixture, header: Value, claims: Value) -> u32 {
    let alg = header["alg"].as_str().unwrap_or("RS256").to_owned();
    let jwt = sign(f.client.signing_key(), &alg, &header, &claims);
    run(f, &assertion_form(&jwt)).unwrap_err().code
}

#[test]
fn accepts_ps256_and_rs256_with_either_thumbprint() {
    let f = fixture();
    for (alg, header) in [
        ("PS256", header(&f.client, "PS256")),
        (
            "RS256",
            json!({"alg": "RS256", "typ": "JWT", "x5t": f.client.x5t()}),
        ),
        (
            "RS256",
            json!({"alg": "RS256", "x5t": f.client.x5t(), "x5t#S256": f.client.x5t_s256()}),
        ),
    ] {
        let jwt = sign(f.client.signing_key(), alg, &header, &claims("a"));
        let accepted = run(&f, &assertion_form(&jwt)).unwrap();
        assert_eq!(
            accepted,
            Accepted::Assertion {
                alg: alg.to_owned(),
                sha1_hex: f.client.sha1_hex().to_owned()
            }
        );
    }
}

#[test]
fn accepts_x5c_with_or_without_thumbprint() {
    let f = fixture();
    let x5c = base64url::encode_standard(f.client.certificate().der());
    let mut h = header(&f.client, "PS256");
    h["x5c"] = json!([x5c]);
    let jwt = sign(f.client.signing_key(), "PS256", &h, &claims("a"));
    assert!(run(&f, &assertion_form(&jwt)).is_ok());
    let h = json!({"alg": "PS256", "x5c": [x5c]});
    let jwt = sign(f.client.signing_key(), "PS256", &h, &claims("b"));
    assert!(run(&f, &assertion_form(&jwt)).is_ok());
}

#[test]
fn request_level_rejections() {
    let f = fixture();
    let ok = |name: &str| match name {
        "grant_type" => "client_credentials",
        "client_id" => CLIENT,
        "scope" => "api://x/.default",
        _ => "s3cret",
    };
    let with = |name: &str, value: Option<&str>| {
        let mut pairs = Vec::new();
        for field in ["grant_type", "client_id", "scope", "client_secret"] {
            match (field == name, value) {
                (true, Some(v)) => pairs.push((field, v)),
                (true, None) => {}
                (false, _) => pairs.push((field, ok(field))),
            }
        }
        run(&f, &form(&pairs))
    };
    let code = |r: Result<Accepted, Rejection>| {
        let r = r.unwrap_err();
        (r.code, r.error, r.status())
    };
    assert_eq!(with("none", None), Ok(Accepted::Secret));
    assert_eq!(
        code(with("grant_type", None)),
        (900144, "invalid_request", 400)
    );
    assert_eq!(
        code(with("grant_type", Some("password"))),
        (70003, "unsupported_grant_type", 400)
    );
    assert_eq!(
        code(with("client_id", None)),
        (900144, "invalid_request", 400)
    );
    assert_eq!(
        code(with(
            "client_id",
            Some("99999999-2222-3333-4444-555555555555")
        )),
        (700016, "unauthorized_client", 400)
    );
    assert_eq!(code(with("scope", None)), (900144, "invalid_request", 400));
    assert_eq!(
        code(with("scope", Some("https://graph.microsoft.com/User.Read"))),
        (1002012, "invalid_scope", 400)
    );
    assert_eq!(
        code(with("scope", Some("api://a/.default api://b/.default"))),
        (70011, "invalid_scope", 400)
    );
    assert_eq!(
        code(with("scope", Some("/.default"))),
        (70011, "invalid_scope", 400)
    );
    assert_eq!(
        code(with("client_secret", Some("wrong"))),
        (7000215, "invalid_client", 401)
    );
    assert_eq!(
        code(with("client_secret", None)),
        (7000218, "invalid_client", 401)
    );
    // Client IDs compare case-insensitively, as GUIDs do on Entra.
    assert!(with("client_id", Some(&CLIENT.to_uppercase())).is_ok());
}

#[test]
fn tenant_must_be_the_configured_one() {
    let f = fixture();
    let form = form(&[("grant_type", "client_credentials")]);
    let r = validate_request(
        &f.policy,
        "fabrikam.com",
        &form,
        NOW,
        &mut JtiLedger::new(0),
    )
    .unwrap_err();
    assert_eq!((r.code, r.status()), (90002, 400));
    let r = check_tenant(&f.policy, "common").unwrap_err();
    assert!(r.message.contains("specific tenant"), "{}", r.message);
    assert!(check_tenant(&f.policy, "CONTOSO.onmicrosoft.com").is_ok());
}

#[test]
fn secret_needs_a_registered_secret_and_credentials_are_exclusive() {
    let mut f = fixture();
    let both = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT),
        ("scope", "a/.default"),
        ("client_secret", "s3cret"),
        ("client_assertion", "x.y.z"),
        ("client_assertion_type", JWT_BEARER),
    ]);
    assert_eq!(run(&f, &both).unwrap_err().code, 7000218);
    f.policy.secret = None;
    let secret = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT),
        ("scope", "a/.default"),
        ("client_secret", "s3cret"),
    ]);
    assert_eq!(run(&f, &secret).unwrap_err().code, 7000215);
}

#[test]
fn assertion_type_is_required_and_exact() {
    let f = fixture();
    let jwt = sign(
        f.client.signing_key(),
        "PS256",
        &header(&f.client, "PS256"),
        &claims("a"),
    );
    let base = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT),
        ("scope", "a/.default"),
        ("client_assertion", jwt.as_str()),
    ];
    assert_eq!(run(&f, &form(&base)).unwrap_err().code, 900144);
    let mut wrong = base.to_vec();
    wrong.push((
        "client_assertion_type",
        "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
    ));
    assert_eq!(run(&f, &form(&wrong)).unwrap_err().code, 7000219);
}

#[test]
fn form_rejects_repeats_and_treats_empty_as_absent() {
    let r = Form::parse(b"grant_type=client_credentials&grant_type=password").unwrap_err();
    assert_eq!((r.code, r.status()), (9002313, 400));
    let form = Form::parse(b"scope=&client_id=abc").unwrap();
    assert_eq!(form.get("scope"), None);
    assert_eq!(form.get("client_id"), Some("abc"));
}

#[test]
fn peek_decodes_even_sloppy_assertions() {
    let (h, c) = assertion::peek("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0=.sig");
    assert_eq!(h, Some(json!({"alg": "RS256"})));
    assert_eq!(c, Some(json!({"sub": "x"})));
    assert_eq!(assertion::peek("garbage"), (None, None));
}
