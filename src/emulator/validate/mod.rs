//! The emulator's pure core: every check Entra makes on a client-credentials token request,
//! as functions of the request, the registration and `now`. No sockets, no clocks, no locks.
//!
//! [`validate_request`] checks the form (grant type, client, scope, credential) and hands a
//! client assertion to [`assertion::verify`]. Each failure is a [`Rejection`] carrying the
//! AADSTS code, the OAuth `error` and a message that says what to fix.

pub(crate) mod assertion;
mod claims;
pub(crate) mod ledger;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::SystemTime;

use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;

use self::ledger::JtiLedger;
use crate::error::{Error, Result};
use crate::material::CertificateInfo;
use crate::secret::Secret;

/// The only `client_assertion_type` Entra accepts (RFC 7523 §2.2).
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A request Entra refuses: the AADSTS code, the OAuth `error`, and what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) error: &'static str,
    pub(crate) code: u32,
    pub(crate) message: String,
}

impl Rejection {
    pub(crate) fn new(error: &'static str, code: u32, message: impl Into<String>) -> Self {
        Rejection {
            error,
            code,
            message: message.into(),
        }
    }

    /// `invalid_client` (AADSTS50027): the JWT itself is malformed.
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Rejection::new(
            "invalid_client",
            50027,
            format!("JWT token is invalid or malformed: {}", message.into()),
        )
    }

    /// `invalid_request` (AADSTS900144): a required form field is missing.
    pub(crate) fn missing(field: &str) -> Self {
        Rejection::new(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{field}'."),
        )
    }

    /// The HTTP status Entra answers with: 401 for `invalid_client`, 400 otherwise.
    pub(crate) fn status(&self) -> u16 {
        if self.error == "invalid_client" {
            401
        } else {
            400
        }
    }
}

/// One certificate uploaded to the app registration: its thumbprints and RSA public key.
#[derive(Clone)]
pub(crate) struct RegisteredCertificate {
    pub(crate) info: CertificateInfo,
    pub(crate) key: RsaPublicKey,
}

impl RegisteredCertificate {
    /// Parses a DER certificate; only RSA keys are accepted, as Entra requires.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self> {
        let info = CertificateInfo::from_der(der)
            .map_err(|e| Error::config(format!("registered certificate: {e}")))?;
        let key = RsaPublicKey::from_public_key_der(info.spki_der()).map_err(|_| {
            Error::config(format!(
                "registered certificate {} has a {} key: Entra certificate credentials need RSA",
                info.thumbprints().sha1_hex(),
                info.key_algorithm()
            ))
        })?;
        Ok(RegisteredCertificate { info, key })
    }
}

/// The app registration and the emulator's rules: what a request is checked against.
pub(crate) struct Policy {
    pub(crate) tenant: String,
    pub(crate) client_id: String,
    pub(crate) certificates: Vec<RegisteredCertificate>,
    pub(crate) secret: Option<Secret>,
    /// Tolerated clock difference, seconds.
    pub(crate) clock_skew: i64,
    /// Longest accepted `exp - nbf`, seconds.
    pub(crate) max_assertion_lifetime: i64,
    /// Accepted `aud` values: the token endpoint URL in each host spelling.
    pub(crate) audiences: Vec<String>,
}

/// How the client authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Accepted {
    Secret,
    Assertion { alg: String, sha1_hex: String },
}

/// The decoded form body. Every field appears at most once (Entra rejects repeats).
#[derive(Debug, Default)]
pub(crate) struct Form {
    fields: HashMap<String, String>,
}

impl Form {
    /// Parses `application/x-www-form-urlencoded` bytes.
    pub(crate) fn parse(body: &[u8]) -> Result<Form, Rejection> {
        let mut fields = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if fields
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(Rejection::new(
                    "invalid_request",
                    9002313,
                    format!("Invalid request. Request is malformed or invalid: the parameter '{name}' appears more than once."),
                ));
            }
        }
        Ok(Form { fields })
    }

    /// A field's value; empty values count as absent, as on Entra.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Checks a token request for `tenant` (from the URL path) at `now` (Unix seconds). On
/// success the assertion's `jti` is recorded in `ledger` so it cannot be replayed.
pub(crate) fn validate_request(
    policy: &Policy,
    tenant: &str,
    form: &Form,
    now: i64,
    ledger: &mut JtiLedger,
) -> Result<Accepted, Rejection> {
    check_tenant(policy, tenant)?;
    match form.get("grant_type") {
        None => return Err(Rejection::missing("grant_type")),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(Rejection::new(
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{other}': this endpoint serves 'client_credentials' only."),
            ))
        }
    }
    match form.get("client_id") {
        None => return Err(Rejection::missing("client_id")),
        Some(id) if id.eq_ignore_ascii_case(&policy.client_id) => {}
        Some(id) => {
            return Err(Rejection::new(
                "unauthorized_client",
                700016,
                format!("Application with identifier '{id}' was not found in the directory '{}'. Check the client ID and the tenant.", policy.tenant),
            ))
        }
    }
    check_scope(form.get("scope"))?;
    match (form.get("client_assertion"), form.get("client_secret")) {
        (None, None) => Err(Rejection::new(
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )),
        (Some(_), Some(_)) => Err(Rejection::new(
            "invalid_client",
            7000218,
            "The request body must contain 'client_assertion' or 'client_secret', not both.",
        )),
        (None, Some(secret)) => check_secret(policy, secret),
        (Some(jwt), None) => {
            match form.get("client_assertion_type") {
                None => return Err(Rejection::missing("client_assertion_type")),
                Some(JWT_BEARER) => {}
                Some(other) => {
                    return Err(Rejection::new(
                        "invalid_client",
                        7000219,
                        format!("The client_assertion_type '{other}' is not supported: use '{JWT_BEARER}'."),
                    ))
                }
            }
            assertion::verify(policy, jwt, now, ledger)
        }
    }
}

/// AADSTS90002 unless the path's tenant is the configured one (GUIDs and domains compare
/// case-insensitively, as on Entra).
pub(crate) fn check_tenant(policy: &Policy, tenant: &str) -> Result<(), Rejection> {
    if tenant.eq_ignore_ascii_case(&policy.tenant) {
        return Ok(());
    }
    let hint = match tenant.to_ascii_lowercase().as_str() {
        "common" | "organizations" | "consumers" => {
            " Client credentials need a specific tenant: use the tenant ID or its verified domain."
        }
        _ => " Check the tenant ID and the cloud (authority host).",
    };
    Err(Rejection::new(
        "invalid_request",
        90002,
        format!("Tenant '{tenant}' not found.{hint}"),
    ))
}

fn check_scope(scope: Option<&str>) -> Result<(), Rejection> {
    let Some(scope) = scope else {
        return Err(Rejection::missing("scope"));
    };
    let invalid = |why: &str| {
        Rejection::new(
            "invalid_scope",
            70011,
            format!("The provided value for the input parameter 'scope' is not valid: {why}."),
        )
    };
    let mut scopes = scope.split_whitespace();
    let (Some(only), None) = (scopes.next(), scopes.next()) else {
        return Err(invalid(
            "client credentials take exactly one scope, '{resource}/.default'",
        ));
    };
    match only.strip_suffix("/.default") {
        None => Err(Rejection::new(
            "invalid_scope",
            1002012,
            format!("The provided value for scope {only} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
        )),
        Some("") => Err(invalid("'/.default' must follow a resource identifier")),
        Some(_) => Ok(()),
    }
}

fn check_secret(policy: &Policy, presented: &str) -> Result<Accepted, Rejection> {
    let matches = policy
        .secret
        .as_ref()
        .is_some_and(|s| constant_time_eq(s.secret().as_bytes(), presented.as_bytes()));
    if matches {
        return Ok(Accepted::Secret);
    }
    Err(Rejection::new(
        "invalid_client",
        7000215,
        format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.", policy.client_id),
    ))
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Unix seconds of a `SystemTime` (negative before 1970).
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The `SystemTime` of Unix seconds (negative before 1970).
pub(crate) fn system_time(unix: i64) -> SystemTime {
    let magnitude = std::time::Duration::from_secs(unix.unsigned_abs());
    if unix >= 0 {
        SystemTime::UNIX_EPOCH + magnitude
    } else {
        SystemTime::UNIX_EPOCH - magnitude
    }
}
