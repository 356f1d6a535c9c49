//! PFX / PKCS#12 (RFC 7292) decoding, pure: bytes and a password in, certificates and
//! PKCS#8 keys out.
//!
//! Built on RustCrypto's `pkcs12`/`cms` ASN.1 types, `pkcs5` (PBES2) and the PKCS#12 KDF
//! rather than on `p12-keystore`'s reader, because the reader must (a) try both spellings of
//! an empty password (RFC 7292's two-zero-byte BMPString and OpenSSL's zero-length one),
//! (b) refuse hostile iteration counts under *our* documented cap before deriving anything,
//! (c) name an unsupported OID, and (d) keep decrypted bags in zeroizing buffers.

use der::asn1::{ContextSpecific, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode};
use hmac::{KeyInit, Mac};
use pkcs12::kdf::{derive_key, Pkcs12KeyType};
use pkcs12::pbe_params::EncryptedPrivateKeyInfo;
use pkcs12::{CertBag, MacData, Pfx, SafeBag};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::material::ber;
use crate::material::pbe::{check_iterations, describe_oid, Password, Scheme};
use crate::secret::SecretBytes;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
const SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const SAFE_CONTENTS_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.6");
const X509_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");

const SUPPORTED_MACS: &str = "HMAC with SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512";

/// How deep `safeContentsBag`s may nest before we call the file hostile.
const MAX_NESTING: usize = 4;

/// What a PFX holds, before pairing keys with certificates.
#[derive(Default)]
pub(crate) struct PfxContents {
    /// DER certificates in file order.
    pub(crate) certificates: Vec<Vec<u8>>,
    /// Unencrypted PKCS#8 `PrivateKeyInfo` DER, in zeroizing buffers.
    pub(crate) keys: Vec<SecretBytes>,
}

/// Decodes a PFX. `password: None` tries the empty password in both spellings (Key Vault
/// downloads and `openssl pkcs12 -passout pass:` files open without one).
pub(crate) fn decode(bytes: &[u8], password: Option<&str>) -> Result<PfxContents> {
    let pfx: Pfx = decode_lenient(bytes, "PFX structure")?;
    if pfx.auth_safe.content_type != ID_DATA {
        return Err(Error::new(ErrorKind::UnsupportedAlgorithm {
            oid: describe_oid(pfx.auth_safe.content_type),
            supported: "password integrity (id-data); public-key integrity is not supported",
        }));
    }
    let auth_safe = octets(&pfx.auth_safe.content, "authenticated safe")?;

    let mut candidates = Password::candidates(password);
    if let Some(mac) = &pfx.mac_data {
        let chosen = candidates
            .iter()
            .copied()
            .map(|p| verify_mac(mac, p, &auth_safe).map(|ok| ok.then_some(p)))
            .find_map(|r| r.transpose())
            .transpose()?
            .ok_or_else(|| password_error(password))?;
        candidates.retain(|p| *p != chosen);
        candidates.insert(0, chosen);
    }

    let infos: Vec<pkcs12::cms::content_info::ContentInfo> =
        decode_lenient(&auth_safe, "authenticated safe")?;
    let mut out = PfxContents::default();
    let mac_checked = pfx.mac_data.is_some();
    for info in infos {
        let safe_contents = match info.content_type {
            ID_DATA => Zeroizing::new(octets(&info.content, "safe contents")?),
            ID_ENCRYPTED_DATA => {
                let data = pkcs12::cms::encrypted_data::EncryptedData::from_der(
                    &info
                        .content
                        .to_der()
                        .map_err(|e| malformed_der("encrypted data", &e))?,
                )
                .map_err(|e| malformed_der("encrypted data", &e))?;
                let eci = data.enc_content_info;
                let Some(ciphertext) = eci.encrypted_content else {
                    continue;
                };
                let scheme = Scheme::from_algorithm(&eci.content_enc_alg)?;
                decrypt_any(
                    &scheme,
                    &candidates,
                    ciphertext.as_bytes(),
                    mac_checked,
                    password,
                )?
            }
            other => {
                return Err(Error::new(ErrorKind::UnsupportedAlgorithm {
                    oid: describe_oid(other),
                    supported: "data and password-encrypted data content",
                }))
            }
        };
        read_bags(
            &safe_contents,
            &candidates,
            mac_checked,
            password,
            &mut out,
            0,
        )?;
    }
    Ok(out)
}

fn read_bags(
    safe_contents: &[u8],
    candidates: &[Password<'_>],
    mac_checked: bool,
    password: Option<&str>,
    out: &mut PfxContents,
    depth: usize,
) -> Result<()> {
    if depth > MAX_NESTING {
        return Err(Error::malformed("safe contents nested too deeply"));
    }
    let bags: Vec<SafeBag> = decode_lenient(safe_contents, "safe contents")?;
    for bag in bags {
        let value = explicit_value(&bag.bag_value)?;
        match bag.bag_id {
            KEY_BAG => out.keys.push(value),
            SHROUDED_KEY_BAG => {
                let epki = EncryptedPrivateKeyInfo::from_der(&value)
                    .map_err(|e| malformed_der("shrouded key bag", &e))?;
                let scheme = Scheme::from_algorithm(&epki.encryption_algorithm)?;
                let key = decrypt_any(
                    &scheme,
                    candidates,
                    epki.encrypted_data.as_bytes(),
                    mac_checked,
                    password,
                )?;
                out.keys.push(key);
            }
            CERT_BAG => {
                let cert_bag =
                    CertBag::from_der(&value).map_err(|e| malformed_der("certificate bag", &e))?;
                if cert_bag.cert_id == X509_CERTIFICATE {
                    out.certificates
                        .push(cert_bag.cert_value.as_bytes().to_vec());
                }
            }
            SAFE_CONTENTS_BAG => {
                read_bags(&value, candidates, mac_checked, password, out, depth + 1)?
            }
            _ => {} // CRL and secret bags carry nothing we sign with.
        }
    }
    Ok(())
}

/// Decrypts with the first candidate that yields well-formed DER.
fn decrypt_any(
    scheme: &Scheme,
    candidates: &[Password<'_>],
    ciphertext: &[u8],
    mac_checked: bool,
    password: Option<&str>,
) -> Result<SecretBytes> {
    for candidate in candidates {
        if let Some(plain) = scheme.decrypt(*candidate, ciphertext) {
            // A wrong key passes the padding check about once in 256 tries; the DER check
            // catches that.
            if Any::from_der(&plain).is_ok() {
                return Ok(plain);
            }
        }
    }
    if mac_checked {
        // The MAC proved the password right, so the ciphertext itself is damaged.
        Err(Error::malformed("encrypted content does not decrypt"))
    } else {
        Err(password_error(password))
    }
}

fn password_error(password: Option<&str>) -> Error {
    match password {
        None => Error::new(ErrorKind::PasswordRequired),
        Some(_) => Error::new(ErrorKind::WrongPassword),
    }
}

macro_rules! hmac_check {
    ($digest:ty, $mac:expr, $password:expr, $data:expr) => {{
        let bmp = $password.bmp();
        let len = <$digest as sha2::digest::OutputSizeUser>::output_size();
        let key = Zeroizing::new(derive_key::<$digest>(
            &bmp,
            $mac.mac_salt.as_bytes(),
            Pkcs12KeyType::Mac,
            $mac.iterations,
            len,
        ));
        let mut hmac =
            hmac::Hmac::<$digest>::new_from_slice(&key).map_err(|_| Error::malformed("MAC key"))?;
        hmac.update($data);
        hmac.verify_slice($mac.mac.digest.as_bytes()).is_ok()
    }};
}

/// Verifies the PFX MAC with one password candidate; `Ok(false)` means a wrong password.
fn verify_mac(mac: &MacData, password: Password<'_>, data: &[u8]) -> Result<bool> {
    check_iterations(mac.iterations.into())?;
    let ok = match mac.mac.algorithm.oid.to_string().as_str() {
        "1.3.14.3.2.26" => hmac_check!(sha1::Sha1, mac, password, data),
        "2.16.840.1.101.3.4.2.4" => hmac_check!(sha2::Sha224, mac, password, data),
        "2.16.840.1.101.3.4.2.1" => hmac_check!(sha2::Sha256, mac, password, data),
        "2.16.840.1.101.3.4.2.2" => hmac_check!(sha2::Sha384, mac, password, data),
        "2.16.840.1.101.3.4.2.3" => hmac_check!(sha2::Sha512, mac, password, data),
        _ => {
            return Err(Error::new(ErrorKind::UnsupportedAlgorithm {
                oid: describe_oid(mac.mac.algorithm.oid),
                supported: SUPPORTED_MACS,
            }))
        }
    };
    Ok(ok)
}

/// The bytes inside an `OCTET STRING` held in an `ANY`.
fn octets(any: &Any, what: &'static str) -> Result<Vec<u8>> {
    let der = any.to_der().map_err(|e| malformed_der(what, &e))?;
    let os = OctetString::from_der(&der).map_err(|e| malformed_der(what, &e))?;
    Ok(os.into_bytes().into_vec())
}

/// The DER inside a `[0] EXPLICIT` wrapper.
fn explicit_value(tlv: &[u8]) -> Result<SecretBytes> {
    let wrapped =
        ContextSpecific::<Any>::from_der(tlv).map_err(|e| malformed_der("bag value", &e))?;
    Ok(Zeroizing::new(
        wrapped
            .value
            .to_der()
            .map_err(|e| malformed_der("bag value", &e))?,
    ))
}

/// Decodes DER, or BER re-encoded as DER (see [`ber`]); reports the DER error if both fail.
fn decode_lenient<T: for<'a> Decode<'a, Error = der::Error>>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T> {
    match T::from_der(bytes) {
        Ok(value) => Ok(value),
        Err(der_error) => {
            let reencoded =
                Zeroizing::new(ber::to_der(bytes).map_err(|_| malformed_der(what, &der_error))?);
            T::from_der(&reencoded).map_err(|_| malformed_der(what, &der_error))
        }
    }
}

fn malformed_der(what: &'static str, err: &der::Error) -> Error {
    match err.kind() {
        der::ErrorKind::Incomplete { .. } => Error::malformed(format!("{what} is truncated")),
        _ => Error::malformed(what),
    }
}
