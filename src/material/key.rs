//! Private keys: PKCS#8 and PKCS#1 DER to an RSA key ready to sign, and the public-key facts
//! used to pair a key with its certificate.
//!
//! The key types here come from the der 0.8 generation (pkcs8 0.11, spki 0.8); signing uses
//! rsa 0.9 (der 0.7). The two meet only as DER bytes, held in zeroizing buffers.

use der::asn1::ObjectIdentifier;
use der::Decode;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::error::{Error, ErrorKind, Result};
use crate::material::pbe::describe_oid;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// Smallest RSA key we sign with; Entra refuses smaller ones.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA key we sign with; bigger keys only slow every signature.
pub const MAX_RSA_BITS: usize = 4096;

/// Decodes an unencrypted PKCS#8 `PrivateKeyInfo` into an RSA key of a supported size.
pub(crate) fn rsa_from_pkcs8(der: &[u8]) -> Result<RsaPrivateKey> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|_| Error::malformed("PKCS#8 private key"))?;
    let oid = info.algorithm.oid;
    if oid != RSA_ENCRYPTION {
        return Err(Error::new(ErrorKind::UnsupportedKeyType {
            found: algorithm_name(
                oid,
                info.algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok()),
            ),
        }));
    }
    let key =
        RsaPrivateKey::from_pkcs8_der(der).map_err(|_| Error::malformed("RSA private key"))?;
    checked_size(key)
}

/// Decodes a PKCS#1 `RSAPrivateKey`.
pub(crate) fn rsa_from_pkcs1(der: &[u8]) -> Result<RsaPrivateKey> {
    let key = RsaPrivateKey::from_pkcs1_der(der)
        .map_err(|_| Error::malformed("PKCS#1 RSA private key"))?;
    checked_size(key)
}

fn checked_size(key: RsaPrivateKey) -> Result<RsaPrivateKey> {
    let bits = key.n().bits();
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(Error::new(ErrorKind::UnsupportedKeySize { bits }));
    }
    Ok(key)
}

/// True when the certificate's `SubjectPublicKeyInfo` holds this key's public half.
pub(crate) fn matches(key: &RsaPrivateKey, spki_der: &[u8]) -> bool {
    RsaPublicKey::from_public_key_der(spki_der).is_ok_and(|public| public == key.to_public_key())
}

/// The public key's algorithm and size, for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PublicKeyFacts {
    pub(crate) algorithm: String,
    pub(crate) bits: Option<usize>,
}

impl PublicKeyFacts {
    pub(crate) fn of_spki(spki_der: &[u8]) -> Self {
        if let Ok(public) = RsaPublicKey::from_public_key_der(spki_der) {
            return PublicKeyFacts {
                algorithm: "RSA".to_owned(),
                bits: Some(public.n().bits()),
            };
        }
        let Ok(spki) = spki::SubjectPublicKeyInfoRef::from_der(spki_der) else {
            return PublicKeyFacts {
                algorithm: "unknown".to_owned(),
                bits: None,
            };
        };
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        let bits = match curve.map(|c| c.to_string()) {
            Some(c) if c == "1.2.840.10045.3.1.7" => Some(256),
            Some(c) if c == "1.3.132.0.34" => Some(384),
            Some(c) if c == "1.3.132.0.35" => Some(521),
            _ => None,
        };
        PublicKeyFacts {
            algorithm: algorithm_name(spki.algorithm.oid, curve),
            bits,
        }
    }
}

/// A readable name for a key algorithm, e.g. `EC P-256` or `Ed25519 (1.3.101.112)`.
fn algorithm_name(oid: ObjectIdentifier, curve: Option<ObjectIdentifier>) -> String {
    if oid == RSA_ENCRYPTION {
        return "RSA".to_owned();
    }
    if oid == EC_PUBLIC_KEY {
        let name = match curve.map(|c| c.to_string()).as_deref() {
            Some("1.2.840.10045.3.1.7") => "P-256".to_owned(),
            Some("1.3.132.0.34") => "P-384".to_owned(),
            Some("1.3.132.0.35") => "P-521".to_owned(),
            Some(other) => other.to_owned(),
            None => "unknown curve".to_owned(),
        };
        return format!("EC {name}");
    }
    match oid.to_string().as_str() {
        "1.3.101.112" => "Ed25519".to_owned(),
        "1.3.101.113" => "Ed448".to_owned(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS-only (1.2.840.113549.1.1.10)".to_owned(),
        "1.2.840.10040.4.1" => "DSA".to_owned(),
        _ => describe_oid(oid),
    }
}
