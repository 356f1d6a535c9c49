//! Client assertion rejections: encoding, header, key lookup, `x5c`, signature, claims,
//! time range and replay.

use serde_json::{json, Value};

use super::*;

#[test]
fn compact_serialization_must_be_strict_base64url() {
    let f = fixture();
    let jwt = sign(
        f.client.signing_key(),
        "PS256",
        &header(&f.client, "PS256"),
        &claims("a"),
    );
    let parts: Vec<&str> = jwt.split('.').collect();
    let cases = [
        format!("{}.{}", parts[0], parts[1]),
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}==", parts[0], parts[1], parts[2]),
        format!("{}.{}.+{}", parts[0], parts[1], &parts[2][1..]),
        format!(
            "{}.{}.{}",
            base64url::encode(b"not json"),
            parts[1],
            parts[2]
        ),
        format!("{}.{}.{}", parts[0], base64url::encode(b"[1,2]"), parts[2]),
        format!("{}.{}.{}.{}", parts[0], parts[1], parts[2], parts[2]),
    ];
    for (i, case) in cases.iter().enumerate() {
        let r = run(&f, &assertion_form(case)).unwrap_err();
        // The payload case fails the signature first: the signed bytes changed.
        let expected = if i == 5 { 700027 } else { 50027 };
        assert_eq!((i, r.code, r.status()), (i, expected, 401), "{}", r.message);
    }
    let padded = run(&f, &assertion_form(&cases[2])).unwrap_err();
    assert!(padded.message.contains("padding"), "{}", padded.message);
}

#[test]
fn header_rejections() {
    let f = fixture();
    let x5t = f.client.x5t_s256();
    assert_eq!(
        code_of(
            &f,
            json!({"alg": "PS256", "typ": "JOSE+JSON", "x5t#S256": x5t}),
            claims("a")
        ),
        50027
    );
    assert_eq!(
        code_of(&f, json!({"typ": "JWT", "x5t#S256": x5t}), claims("a")),
        50027
    );
    assert_eq!(
        code_of(&f, json!({"alg": "RS512", "x5t#S256": x5t}), claims("a")),
        5002730
    );
    assert_eq!(
        code_of(&f, json!({"alg": "none", "x5t#S256": x5t}), claims("a")),
        5002730
    );
    assert_eq!(
        code_of(&f, json!({"alg": "HS256", "x5t#S256": x5t}), claims("a")),
        5002730
    );
    assert_eq!(
        code_of(&f, json!({"alg": "PS256", "x5t#S256": 5}), claims("a")),
        50027
    );
}

#[test]
fn key_lookup_rejections() {
    let mut f = fixture();
    let unknown = code_of(
        &f,
        json!({"alg": "PS256", "x5t#S256": f.other.x5t_s256()}),
        claims("a"),
    );
    assert_eq!(unknown, 700027);
    assert_eq!(
        code_of(
            &f,
            json!({"alg": "RS256", "x5t": f.other.x5t()}),
            claims("a")
        ),
        700027
    );
    assert_eq!(code_of(&f, json!({"alg": "RS256"}), claims("a")), 700027);
    // A padded or hex thumbprint is named in the message.
    let padded = format!("{}=", f.client.x5t());
    let jwt = sign(
        f.client.signing_key(),
        "RS256",
        &json!({"alg": "RS256", "x5t": padded}),
        &claims("a"),
    );
    let r = run(&f, &assertion_form(&jwt)).unwrap_err();
    assert!(
        r.code == 700027 && r.message.contains("without padding"),
        "{}",
        r.message
    );
    let jwt = sign(
        f.client.signing_key(),
        "RS256",
        &json!({"alg": "RS256", "x5t": f.client.sha1_hex()}),
        &claims("a"),
    );
    assert!(run(&f, &assertion_form(&jwt))
        .unwrap_err()
        .message
        .contains("hex thumbprint"));
    // Both thumbprints present but naming different registered certificates.
    f.policy
        .certificates
        .push(RegisteredCertificate::from_der(f.other.certificate().der()).unwrap());
    let h = json!({"alg": "PS256", "x5t#S256": f.client.x5t_s256(), "x5t": f.other.x5t()});
    assert_eq!(code_of(&f, h, claims("a")), 700027);
}

#[test]
fn x5c_rejections() {
    let f = fixture();
    let good = base64url::encode_standard(f.client.certificate().der());
    let with_x5c = |x5c: Value| {
        let mut h = header(&f.client, "PS256");
        h["x5c"] = x5c;
        code_of(&f, h, claims("a"))
    };
    assert_eq!(
        with_x5c(json!(good)),
        50027,
        "x5c as one string (MSAL .NET)"
    );
    assert_eq!(with_x5c(json!([])), 50027);
    assert_eq!(
        with_x5c(json!([base64url::encode(f.client.certificate().der())])),
        50027
    );
    assert_eq!(with_x5c(json!([good, 7])), 50027);
    assert_eq!(
        with_x5c(json!([base64url::encode_standard(
            f.other.certificate().der()
        )])),
        700027
    );
    let unregistered =
        json!({"alg": "PS256", "x5c": [base64url::encode_standard(f.other.certificate().der())]});
    assert_eq!(code_of(&f, unregistered, claims("a")), 700027);
}

#[test]
fn signature_must_verify_with_the_registered_key() {
    let f = fixture();
    let jwt = sign(
        f.other.signing_key(),
        "PS256",
        &header(&f.client, "PS256"),
        &claims("a"),
    );
    assert_eq!(run(&f, &assertion_form(&jwt)).unwrap_err().code, 700027);
    // An RS256 signature under a PS256 header does not verify, nor the reverse.
    let jwt = sign(
        f.client.signing_key(),
        "RS256",
        &header(&f.client, "PS256"),
        &claims("a"),
    );
    let r = run(&f, &assertion_form(&jwt)).unwrap_err();
    assert!(
        r.code == 700027 && r.message.contains("signature"),
        "{}",
        r.message
    );
    let jwt = sign(
        f.client.signing_key(),
        "PS256",
        &header(&f.client, "RS256"),
        &claims("a"),
    );
    assert_eq!(run(&f, &assertion_form(&jwt)).unwrap_err().code, 700027);
}

#[test]
fn claim_rejections() {
    let f = fixture();
    let h = || header(&f.client, "PS256");
    let with = |name: &str, value: Value| {
        let mut c = claims("a");
        if value.is_null() {
            c.as_object_mut().unwrap().remove(name);
        } else {
            c[name] = value;
        }
        code_of(&f, h(), c)
    };
    assert_eq!(with("iss", json!("someone-else")), 700021);
    assert_eq!(with("sub", json!("someone-else")), 700021);
    assert_eq!(with("iss", Value::Null), 50027);
    assert_eq!(
        with(
            "aud",
            json!("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        ),
        700023
    );
    assert_eq!(with("aud", json!([AUD])), 50027);
    assert_eq!(with("exp", json!((NOW + 600).to_string())), 50027);
    assert_eq!(with("nbf", json!(NOW.to_string())), 50027);
    assert_eq!(with("iat", json!(NOW.to_string())), 50027);
    assert_eq!(with("exp", Value::Null), 50027);
    assert_eq!(with("jti", Value::Null), 50027);
    assert_eq!(with("jti", json!("")), 50027);
}

#[test]
fn time_range_rejections() {
    let f = fixture();
    let at = |nbf: i64, exp: i64| {
        let mut c = claims("a");
        c["nbf"] = json!(nbf);
        c["iat"] = json!(nbf);
        c["exp"] = json!(exp);
        let jwt = sign(
            f.client.signing_key(),
            "PS256",
            &header(&f.client, "PS256"),
            &c,
        );
        run(&f, &assertion_form(&jwt)).map_err(|r| r.code)
    };
    assert_eq!(
        at(NOW - 900, NOW - 301),
        Err(700024),
        "expired beyond the skew"
    );
    assert!(at(NOW - 900, NOW - 299).is_ok(), "expired within the skew");
    assert_eq!(
        at(NOW + 301, NOW + 900),
        Err(700024),
        "not yet valid beyond the skew"
    );
    assert!(
        at(NOW + 299, NOW + 900).is_ok(),
        "not yet valid within the skew"
    );
    assert_eq!(
        at(NOW, NOW + 3601),
        Err(700024),
        "lifetime over the maximum"
    );
    assert!(at(NOW, NOW + 3600).is_ok());
    // iat in the future alone.
    let mut c = claims("a");
    c.as_object_mut().unwrap().remove("nbf");
    c["iat"] = json!(NOW + 400);
    assert_eq!(code_of(&f, header(&f.client, "PS256"), c), 700024);
    // Fractional NumericDates are numbers too.
    let mut c = claims("a");
    c["exp"] = json!(NOW as f64 + 600.5);
    let jwt = sign(
        f.client.signing_key(),
        "PS256",
        &header(&f.client, "PS256"),
        &c,
    );
    assert!(run(&f, &assertion_form(&jwt)).is_ok());
}

#[test]
fn replayed_jti_is_refused() {
    let f = fixture();
    let mut ledger = JtiLedger::new(300);
    let jwt = sign(
        f.client.signing_key(),
        "PS256",
        &header(&f.client, "PS256"),
        &claims("once"),
    );
    let form = assertion_form(&jwt);
    assert!(validate_request(&f.policy, TENANT, &form, NOW, &mut ledger).is_ok());
    let r = validate_request(&f.policy, TENANT, &form, NOW + 1, &mut ledger).unwrap_err();
    assert!(
        r.code == 700024 && r.message.contains("replay"),
        "{}",
        r.message
    );
    // A refused assertion does not burn its jti.
    let mut c = claims("fresh");
    c["aud"] = json!("https://elsewhere/");
    let bad = assertion_form(&sign(
        f.client.signing_key(),
        "PS256",
        &header(&f.client, "PS256"),
        &c,
    ));
    assert!(validate_request(&f.policy, TENANT, &bad, NOW, &mut ledger).is_err());
    assert!(!ledger.contains("fresh"));
}

#[test]
fn registered_certificate_must_be_within_its_validity() {
    let f = fixture();
    // The test certificates are valid for 100 years from 2026: expired in 2200, not yet
    // valid in 2023.
    for (at, why) in [(7_258_118_400, "expired"), (1_700_000_000, "not yet valid")] {
        let mut c = claims("a");
        c["nbf"] = json!(at);
        c["iat"] = json!(at);
        c["exp"] = json!(at + 600);
        let jwt = sign(
            f.client.signing_key(),
            "PS256",
            &header(&f.client, "PS256"),
            &c,
        );
        let form = assertion_form(&jwt);
        let r = validate_request(&f.policy, TENANT, &form, at, &mut JtiLedger::new(0)).unwrap_err();
        assert!(r.code == 700027 && r.message.contains(why), "{}", r.message);
    }
}
