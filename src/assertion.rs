//! The client assertion (RFC 7523, OpenID Connect `private_key_jwt`): a JWT signed with the
//! certificate's key that proves the caller holds it.
//!
//! Header and claims are typed structs serialised with serde, encoded as base64url without
//! padding (RFC 7515). Building an assertion is a pure function of the certificate, the client
//! ID, the audience, the time and the `jti`; the random generator used for RSA blinding is the
//! only other input.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use rsa::pss::BlindedSigningKey;
use rsa::rand_core::{CryptoRngCore, OsRng};
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use serde::Serialize;
use uuid::Uuid;

use crate::base64url;
use crate::error::{Error, Result};
use crate::material::ClientCertificate;
use crate::secret::Secret;

mod options;
#[cfg(test)]
mod tests;

pub use self::options::{
    AssertionOptions, ThumbprintHeader, DEFAULT_ASSERTION_LIFETIME, MAX_ASSERTION_LIFETIME,
    MIN_ASSERTION_LIFETIME,
};

/// `client_assertion_type` for a JWT client assertion (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The JWS algorithm that signs the assertion.
///
/// [`Ps256`](Self::Ps256) is what Microsoft documents today; [`Rs256`](Self::Rs256) is the
/// older form Entra still accepts and what ADFS and most other RFC 7523 servers expect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// RSASSA-PSS with SHA-256, salt length 32 (the digest length). Sends `x5t#S256`.
    #[default]
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256. Sends `x5t` (SHA-1 thumbprint).
    Rs256,
}

impl SigningAlgorithm {
    /// The JWS `alg` name: `PS256` or `RS256`.
    ///
    /// ```
    /// assert_eq!(entra_token::SigningAlgorithm::default().as_str(), "PS256");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::Ps256 => "PS256",
            SigningAlgorithm::Rs256 => "RS256",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = Error;

    /// Parses `PS256` or `RS256`, ignoring case.
    ///
    /// ```
    /// use entra_token::SigningAlgorithm;
    /// assert_eq!("rs256".parse::<SigningAlgorithm>().unwrap(), SigningAlgorithm::Rs256);
    /// assert!("ES256".parse::<SigningAlgorithm>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "PS256" => Ok(SigningAlgorithm::Ps256),
            "RS256" => Ok(SigningAlgorithm::Rs256),
            _ => Err(Error::config(format!(
                "unknown signing algorithm {s:?}: use PS256 or RS256"
            ))),
        }
    }
}

/// JOSE header (RFC 7515 §4). Field order is serialisation order.
#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5t: Option<&'a str>,
    #[serde(rename = "x5t#S256", skip_serializing_if = "Option::is_none")]
    x5t_s256: Option<&'a str>,
    /// Standard base64 (not url) DER certificates, leaf first (RFC 7515 §4.1.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    x5c: Option<Vec<String>>,
}

/// Assertion claims (RFC 7523 §3). Dates are JSON numbers (seconds since the epoch).
#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

/// Signs a fresh client assertion for `client_id` with audience `audience` (the exact token
/// endpoint URL): new `jti`, `nbf = iat = now`, `exp = now + lifetime`.
///
/// This is what the credential sends on every token request (a new one per attempt); it is
/// public for tools that hand the assertion to something else. Treat the result as a
/// credential: anyone holding it can get tokens until it expires.
///
/// # Errors
/// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when the
/// options are out of range or the client ID or audience is empty.
///
/// ```
/// # fn main() -> Result<(), entra_token::Error> {
/// use entra_token::{client_assertion, decode_unverified, AssertionOptions, ClientCertificate};
/// let cert = ClientCertificate::from_pem(&std::fs::read("tests/data/exchange/app.pem").unwrap())?;
/// let aud = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
/// let jwt = client_assertion(&cert, "00000000-0000-0000-0000-000000000001", aud, &AssertionOptions::new())?;
/// let (header, claims) = decode_unverified(jwt.secret())?;
/// assert_eq!(header["alg"], "PS256");
/// assert_eq!(claims["aud"], aud);
/// # Ok(()) }
/// ```
pub fn client_assertion(
    certificate: &ClientCertificate,
    client_id: &str,
    audience: &str,
    options: &AssertionOptions,
) -> Result<Secret> {
    sign(
        certificate,
        client_id,
        audience,
        SystemTime::now(),
        Uuid::new_v4(),
        options,
        &mut OsRng,
    )
}

/// Builds and signs an assertion. Pure apart from `rng`, which only blinds the RSA operation.
pub(crate) fn sign(
    certificate: &ClientCertificate,
    client_id: &str,
    audience: &str,
    now: SystemTime,
    jti: Uuid,
    options: &AssertionOptions,
    rng: &mut impl CryptoRngCore,
) -> Result<Secret> {
    let input = signing_input(certificate, client_id, audience, now, jti, options)?;
    let signature = sign_bytes(certificate, options.algorithm, input.as_bytes(), rng)?;
    let mut jwt = input;
    jwt.push('.');
    jwt.push_str(&base64url::encode(&signature));
    Ok(Secret::new(jwt))
}

/// `base64url(header) "." base64url(claims)`: everything the signature covers.
pub(crate) fn signing_input(
    certificate: &ClientCertificate,
    client_id: &str,
    audience: &str,
    now: SystemTime,
    jti: Uuid,
    options: &AssertionOptions,
) -> Result<String> {
    options.validate()?;
    if client_id.trim().is_empty() {
        return Err(Error::config("the client ID is empty"));
    }
    if audience.trim().is_empty() {
        return Err(Error::config(
            "the assertion audience (token endpoint) is empty",
        ));
    }
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Error::config("the system clock is set before 1970"))?
        .as_secs();
    let (x5t, x5t_s256) = options.thumbprints.select(options.algorithm);
    let header = Header {
        alg: options.algorithm.as_str(),
        typ: "JWT",
        x5t: x5t.then(|| certificate.x5t()),
        x5t_s256: x5t_s256.then(|| certificate.x5t_s256()),
        x5c: options.send_x5c.then(|| {
            certificate
                .chain_der()
                .map(base64url::encode_standard)
                .collect()
        }),
    };
    let claims = Claims {
        aud: audience,
        iss: client_id,
        sub: client_id,
        jti: jti.hyphenated().to_string(),
        nbf: now,
        iat: now,
        exp: now + options.lifetime.as_secs(),
    };
    let mut input = base64url::encode(&to_json(&header)?);
    input.push('.');
    input.push_str(&base64url::encode(&to_json(&claims)?));
    Ok(input)
}

fn to_json(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| Error::config("cannot serialise the assertion").with_source(e))
}

/// Signs `message` with the certificate's key, blinded.
fn sign_bytes(
    certificate: &ClientCertificate,
    algorithm: SigningAlgorithm,
    message: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>> {
    let key = certificate.signing_key().clone();
    let signature = match algorithm {
        SigningAlgorithm::Rs256 => rsa::pkcs1v15::SigningKey::<Sha256>::new(key)
            .try_sign_with_rng(rng, message)
            .map(|s| s.to_vec()),
        SigningAlgorithm::Ps256 => {
            // `new` uses the digest length (32 for SHA-256) as the salt length, as RFC 7518
            // §3.5 requires for PS256; a unit test pins it.
            BlindedSigningKey::<Sha256>::new(key)
                .try_sign_with_rng(rng, message)
                .map(|s| s.to_vec())
        }
    };
    signature.map_err(|e| Error::config("cannot sign the client assertion").with_source(e))
}

/// Decodes a compact JWT's header and claims **without verifying anything**: not the
/// signature, not the dates. For showing what an assertion or token contains, never for
/// trusting it.
///
/// # Errors
/// [`ErrorKind::Malformed`](crate::ErrorKind::Malformed) when `jwt` is not three base64url
/// parts whose first two are JSON objects.
///
/// ```
/// let (header, claims) = entra_token::decode_unverified(
///     "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhYmMifQ.",
/// ).unwrap();
/// assert_eq!(header["alg"], "none");
/// assert_eq!(claims["sub"], "abc");
/// ```
pub fn decode_unverified(jwt: &str) -> Result<(serde_json::Value, serde_json::Value)> {
    let mut parts = jwt.trim().split('.');
    let (Some(header), Some(claims), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::malformed("a JWT has three parts separated by dots"));
    };
    Ok((
        decode_part(header, "header")?,
        decode_part(claims, "claims")?,
    ))
}

fn decode_part(part: &str, what: &str) -> Result<serde_json::Value> {
    let bytes = base64url::decode(part)
        .map_err(|_| Error::malformed(format!("the JWT {what} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        _ => Err(Error::malformed(format!(
            "the JWT {what} is not a JSON object"
        ))),
    }
}
