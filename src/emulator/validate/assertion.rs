//! Client assertion (RFC 7523) checks, in the order Entra makes them: compact-JWS shape,
//! header, key lookup by thumbprint, `x5c`, signature, then claims and replay.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use serde_json::{Map, Value};

use super::claims::{check_claims, number};
use super::ledger::JtiLedger;
use super::{system_time, Accepted, Policy, RegisteredCertificate, Rejection};
use crate::base64url;
use crate::thumbprint::Thumbprints;

type Object = Map<String, Value>;

/// Verifies a compact JWS client assertion; records its `jti` in `ledger` when it passes.
pub(crate) fn verify(
    policy: &Policy,
    jwt: &str,
    now: i64,
    ledger: &mut JtiLedger,
) -> Result<Accepted, Rejection> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = parts[..] else {
        return Err(Rejection::malformed(format!(
            "a compact JWS has three base64url parts separated by '.', found {}",
            parts.len()
        )));
    };
    let header = object(&decode_part(header_b64, "header")?, "header")?;
    let claims_bytes = decode_part(claims_b64, "payload")?;
    let signature = decode_part(signature_b64, "signature")?;

    let alg = check_header(&header)?;
    let cert = find_certificate(policy, &header)?;
    check_x5c(&header, cert)?;
    if !cert.info.is_valid_at(system_time(now)) {
        let (reason, when) = if system_time(now) > cert.info.not_after() {
            ("The key used is expired.", cert.info.not_after_rfc3339())
        } else {
            (
                "The key used is not yet valid.",
                cert.info.not_before_rfc3339(),
            )
        };
        return Err(Rejection::new(
            "invalid_client",
            700027,
            format!("Client assertion contains an invalid signature. [Reason - {reason} Thumbprint of key used by client: '{}', validity boundary (UTC): '{when}']", cert.info.thumbprints().sha1_hex()),
        ));
    }
    let signed = &jwt[..header_b64.len() + 1 + claims_b64.len()];
    verify_signature(alg, cert, signed.as_bytes(), &signature)?;

    let claims = object(&claims_bytes, "payload")?;
    let jti = check_claims(policy, &claims, now, ledger)?;
    let exp = number(&claims, "exp")?.unwrap_or(now);
    ledger.insert(jti, exp, now);
    Ok(Accepted::Assertion {
        alg: alg.to_owned(),
        sha1_hex: cert.info.thumbprints().sha1_hex().to_owned(),
    })
}

/// Decodes one part: base64url, no padding, canonical (RFC 7515 §2).
fn decode_part(part: &str, what: &str) -> Result<Vec<u8>, Rejection> {
    if part.contains('=') {
        return Err(Rejection::malformed(format!(
            "the {what} has '=' padding: JWS uses base64url without padding (RFC 7515 §2)"
        )));
    }
    if part.contains(['+', '/']) {
        return Err(Rejection::malformed(format!(
            "the {what} uses the standard base64 alphabet ('+' or '/'): JWS uses base64url ('-' and '_')"
        )));
    }
    base64url::decode(part)
        .map_err(|_| Rejection::malformed(format!("the {what} is not valid base64url")))
}

fn object(bytes: &[u8], what: &str) -> Result<Object, Rejection> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Rejection::malformed(format!(
            "the {what} is not a JSON object"
        ))),
    }
}

/// `typ` (if present) must be JWT; `alg` must be RS256 or PS256. Returns `alg`.
fn check_header(header: &Object) -> Result<&str, Rejection> {
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") => {}
        Some(other) => {
            return Err(Rejection::malformed(format!(
                "header 'typ' is {other}, expected \"JWT\""
            )))
        }
    }
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "RS256" || alg == "PS256" => Ok(alg),
        Some(Value::String(alg)) => Err(Rejection::new(
            "invalid_client",
            5002730,
            format!(
                "Invalid JWT token. Unsupported signing algorithm '{alg}': use PS256 or RS256."
            ),
        )),
        _ => Err(Rejection::malformed("header 'alg' is missing")),
    }
}

fn key_not_found(message: String) -> Rejection {
    Rejection::new("invalid_client", 700027, format!("Client assertion failed signature validation. {message} Upload this certificate's public part to the app registration, and check x5t (base64url SHA-1) vs x5t#S256 (base64url SHA-256)."))
}

/// Finds the registered certificate named by `x5t#S256` and/or `x5t` (both must agree), or
/// by the first `x5c` certificate when neither is present.
fn find_certificate<'p>(
    policy: &'p Policy,
    header: &Object,
) -> Result<&'p RegisteredCertificate, Rejection> {
    let mut found: Option<&RegisteredCertificate> = None;
    for (name, pick) in [
        (
            "x5t#S256",
            Thumbprints::x5t_s256 as fn(&Thumbprints) -> &str,
        ),
        ("x5t", Thumbprints::x5t),
    ] {
        let Some(value) = header.get(name) else {
            continue;
        };
        let Value::String(value) = value else {
            return Err(Rejection::malformed(format!(
                "header '{name}' must be a string"
            )));
        };
        let cert = policy
            .certificates
            .iter()
            .find(|c| pick(c.info.thumbprints()) == value)
            .ok_or_else(|| {
                key_not_found(format!(
                    "No key with {name} '{value}' is registered for app '{}'.{}",
                    policy.client_id,
                    encoding_hint(value)
                ))
            })?;
        if found.is_some_and(|f| f.info != cert.info) {
            return Err(key_not_found(
                "x5t and x5t#S256 name different certificates.".to_owned(),
            ));
        }
        found = Some(cert);
    }
    if let Some(cert) = found {
        return Ok(cert);
    }
    let der = first_x5c(header)?.ok_or_else(|| {
        key_not_found("The header names no key: send x5t#S256 (or x5t).".to_owned())
    })?;
    policy
        .certificates
        .iter()
        .find(|c| c.info.der() == der.as_slice())
        .ok_or_else(|| {
            key_not_found(format!(
                "The x5c certificate (SHA-1 {}) is not registered.",
                Thumbprints::of_der(&der).sha1_hex()
            ))
        })
}

/// Why a presented thumbprint might not match: the encodings peers get wrong.
fn encoding_hint(value: &str) -> &'static str {
    if value.ends_with('=') || value.contains(['+', '/']) {
        " It is standard base64 or padded: thumbprints in JOSE headers are base64url without padding."
    } else if value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        " It looks like a hex thumbprint: JOSE headers carry the base64url of the digest bytes."
    } else {
        ""
    }
}

/// The first `x5c` certificate's DER, if the header has `x5c`. `x5c` must be a non-empty JSON
/// array of standard (padded) base64 strings (RFC 7515 §4.1.6).
fn first_x5c(header: &Object) -> Result<Option<Vec<u8>>, Rejection> {
    let Some(x5c) = header.get("x5c") else {
        return Ok(None);
    };
    let Value::Array(items) = x5c else {
        return Err(Rejection::malformed(
            "header 'x5c' must be a JSON array of base64 certificates, not a single string",
        ));
    };
    let mut first = None;
    for item in items {
        let der = item
            .as_str()
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or_else(|| {
                Rejection::malformed(
                    "header 'x5c' entries must be standard base64 (with padding) DER certificates",
                )
            })?;
        first.get_or_insert(der);
    }
    first
        .map(Some)
        .ok_or_else(|| Rejection::malformed("header 'x5c' is empty"))
}

fn check_x5c(header: &Object, cert: &RegisteredCertificate) -> Result<(), Rejection> {
    match first_x5c(header)? {
        Some(der) if der.as_slice() != cert.info.der() => Err(key_not_found(format!(
            "The first x5c certificate (SHA-1 {}) is not the one named by the thumbprint ({}).",
            Thumbprints::of_der(&der).sha1_hex(),
            cert.info.thumbprints().sha1_hex()
        ))),
        _ => Ok(()),
    }
}

fn verify_signature(
    alg: &str,
    cert: &RegisteredCertificate,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), Rejection> {
    let ok = if alg == "PS256" {
        let key = rsa::pss::VerifyingKey::<Sha256>::new(cert.key.clone());
        rsa::pss::Signature::try_from(signature).is_ok_and(|s| key.verify(signed, &s).is_ok())
    } else {
        let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(cert.key.clone());
        rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| key.verify(signed, &s).is_ok())
    };
    if ok {
        return Ok(());
    }
    Err(Rejection::new(
        "invalid_client",
        700027,
        format!("Client assertion contains an invalid signature. [Reason - The {alg} signature does not verify with the public key of the certificate '{}'; PS256 is RSASSA-PSS with SHA-256 and a 32-byte salt, RS256 is RSASSA-PKCS1-v1_5 with SHA-256.]", cert.info.thumbprints().sha1_hex()),
    ))
}

/// The header and claims of an assertion, decoded leniently (padding and the standard
/// alphabet tolerated) for test inspection, whether or not it is valid.
pub(crate) fn peek(jwt: &str) -> (Option<Value>, Option<Value>) {
    let decode = |part: &str| -> Option<Value> {
        let cleaned: String = part
            .trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cleaned)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let mut parts = jwt.split('.');
    let header = parts.next().and_then(decode);
    let claims = parts.next().and_then(decode);
    (header, claims)
}
