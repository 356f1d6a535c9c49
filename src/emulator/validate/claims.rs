//! Claim checks of a client assertion: `iss`, `sub`, `aud`, the NumericDates against the
//! emulator's clock and skew, the lifetime cap, and `jti` replay.

use serde_json::{Map, Value};

use super::ledger::JtiLedger;
use super::{Policy, Rejection};

type Object = Map<String, Value>;

/// A NumericDate claim: absent, or a JSON number (seconds; fractions are truncated).
pub(crate) fn number(claims: &Object, name: &str) -> Result<Option<i64>, Rejection> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))),
        Some(other) => Err(Rejection::malformed(format!(
            "claim '{name}' is {other}: dates must be JSON numbers (NumericDate), not strings"
        ))),
    }
}

fn string_claim<'c>(claims: &'c Object, name: &str) -> Result<&'c str, Rejection> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(Rejection::malformed(format!(
            "claim '{name}' is missing or not a string"
        ))),
    }
}

fn out_of_range(message: String) -> Rejection {
    Rejection::new(
        "invalid_client",
        700024,
        format!("Client assertion is not within its valid time range. {message}"),
    )
}

/// `iss`, `sub`, `aud`, the dates and `jti`. Returns the `jti`.
pub(crate) fn check_claims<'c>(
    policy: &Policy,
    claims: &'c Object,
    now: i64,
    ledger: &JtiLedger,
) -> Result<&'c str, Rejection> {
    for name in ["iss", "sub"] {
        let value = string_claim(claims, name)?;
        if !value.eq_ignore_ascii_case(&policy.client_id) {
            return Err(Rejection::new(
                "invalid_client",
                700021,
                format!("Client assertion application identifier doesn't match 'client_id' parameter: claim '{name}' is '{value}', both 'iss' and 'sub' must be '{}'.", policy.client_id),
            ));
        }
    }
    let aud = match claims.get("aud") {
        Some(Value::String(aud)) => aud,
        _ => return Err(Rejection::malformed("claim 'aud' must be a string")),
    };
    if !policy.audiences.iter().any(|a| a == aud) {
        return Err(Rejection::new(
            "invalid_client",
            700023,
            format!("Client assertion audience claim does not match Realm issuer: 'aud' is '{aud}', expected the token endpoint '{}'.", policy.audiences.first().map_or("", String::as_str)),
        ));
    }
    let exp =
        number(claims, "exp")?.ok_or_else(|| Rejection::malformed("claim 'exp' is missing"))?;
    let nbf = number(claims, "nbf")?;
    let iat = number(claims, "iat")?;
    let skew = policy.clock_skew;
    let at = |t: i64| format!("{t} (server time {now}, allowed skew {skew} s)");
    if let Some(nbf) = nbf.filter(|&nbf| nbf > now + skew) {
        return Err(out_of_range(format!(
            "The assertion is not valid before {}: check the client's clock.",
            at(nbf)
        )));
    }
    if let Some(iat) = iat.filter(|&iat| iat > now + skew) {
        return Err(out_of_range(format!(
            "The assertion was issued in the future at {}: check the client's clock.",
            at(iat)
        )));
    }
    if exp <= now - skew {
        return Err(out_of_range(format!(
            "The assertion expired at {}: sign a fresh assertion for each request.",
            at(exp)
        )));
    }
    let start = nbf.or(iat).unwrap_or(now);
    if exp - start > policy.max_assertion_lifetime {
        return Err(out_of_range(format!("The assertion is valid for {} s, longer than the allowed {} s: keep exp - nbf short (5 to 10 minutes).", exp - start, policy.max_assertion_lifetime)));
    }
    let jti = string_claim(claims, "jti")?;
    if ledger.contains(jti) {
        return Err(out_of_range(format!("The assertion with jti '{jti}' was already used (replay): sign a new assertion with a fresh jti for every request.")));
    }
    Ok(jti)
}
