//! PEM decoding, pure: any mix of certificates and keys, in any order, with the `Bag
//! Attributes` text `openssl pkcs12 -nodes` writes between blocks, and CRLF line endings.

use der::{Decode, Encode};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::material::pbe::{Password, Scheme};
use crate::secret::SecretBytes;

/// A private key found in PEM, not yet checked for type or size.
pub(crate) enum PemKey {
    /// PKCS#8 `PrivateKeyInfo` DER (from `PRIVATE KEY` or a decrypted `ENCRYPTED PRIVATE KEY`).
    Pkcs8(SecretBytes),
    /// PKCS#1 `RSAPrivateKey` DER (`RSA PRIVATE KEY`).
    Pkcs1(SecretBytes),
    /// A key type we cannot sign with (`EC PRIVATE KEY`, `DSA PRIVATE KEY`...).
    Unsupported(String),
}

/// What a PEM buffer holds.
#[derive(Default)]
pub(crate) struct PemContents {
    pub(crate) certificates: Vec<Vec<u8>>,
    pub(crate) keys: Vec<PemKey>,
}

/// True when the bytes contain a PEM block.
pub(crate) fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Decodes every PEM block; blocks of other kinds (public keys, CSRs) are skipped.
pub(crate) fn decode(bytes: &[u8], password: Option<&str>) -> Result<PemContents> {
    let blocks = pem::parse_many(bytes).map_err(|_| Error::malformed("PEM base64"))?;
    let begins = bytes.windows(11).filter(|w| *w == b"-----BEGIN ").count();
    if blocks.len() < begins {
        return Err(Error::malformed(
            "PEM block without its END line; the file is truncated",
        ));
    }
    let mut out = PemContents::default();
    for block in blocks {
        let encrypted_legacy = block
            .headers()
            .get("Proc-Type")
            .is_some_and(|v| v.contains("ENCRYPTED"));
        let tag = block.tag().to_owned();
        let contents = Zeroizing::new(block.into_contents());
        match tag.as_str() {
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                out.certificates.push(first_tlv(&contents)?.to_vec());
            }
            _ if encrypted_legacy => {
                return Err(Error::new(ErrorKind::UnsupportedAlgorithm {
                    oid: "legacy OpenSSL PEM encryption (Proc-Type: 4,ENCRYPTED)".to_owned(),
                    supported: "unencrypted PEM or PKCS#8 `ENCRYPTED PRIVATE KEY`; convert with \
                                `openssl pkcs8 -topk8 -in KEY -out KEY8`",
                }));
            }
            "PRIVATE KEY" => out.keys.push(PemKey::Pkcs8(contents)),
            "RSA PRIVATE KEY" => out.keys.push(PemKey::Pkcs1(contents)),
            "ENCRYPTED PRIVATE KEY" => out.keys.push(PemKey::Pkcs8(decrypt(&contents, password)?)),
            "EC PRIVATE KEY" => out.keys.push(PemKey::Unsupported("EC".to_owned())),
            "DSA PRIVATE KEY" => out.keys.push(PemKey::Unsupported("DSA".to_owned())),
            "OPENSSH PRIVATE KEY" => out
                .keys
                .push(PemKey::Unsupported("OpenSSH-format".to_owned())),
            _ => {}
        }
    }
    Ok(out)
}

/// Decrypts an `EncryptedPrivateKeyInfo`. With no password, the empty one is tried first.
fn decrypt(der: &[u8], password: Option<&str>) -> Result<SecretBytes> {
    let epki = pkcs12::pbe_params::EncryptedPrivateKeyInfo::from_der(der)
        .map_err(|_| Error::malformed("encrypted private key"))?;
    let scheme = Scheme::from_algorithm(&epki.encryption_algorithm)?;
    for candidate in Password::candidates(password) {
        if let Some(plain) = scheme.decrypt(candidate, epki.encrypted_data.as_bytes()) {
            if pkcs8::PrivateKeyInfoRef::from_der(&plain).is_ok() {
                return Ok(plain);
            }
        }
    }
    Err(match password {
        None => Error::new(ErrorKind::PasswordRequired),
        Some(_) => Error::new(ErrorKind::WrongPassword),
    })
}

/// The first DER TLV of `bytes` (OpenSSL's `TRUSTED CERTIFICATE` appends trust settings).
fn first_tlv(bytes: &[u8]) -> Result<&[u8]> {
    let mut reader =
        der::SliceReader::new(bytes).map_err(|_| Error::malformed("PEM certificate"))?;
    let header =
        der::Header::decode(&mut reader).map_err(|_| Error::malformed("PEM certificate"))?;
    let total = usize::try_from(
        header
            .encoded_len()
            .and_then(|h| h + header.length())
            .map_err(|_| Error::malformed("PEM certificate"))?,
    )
    .map_err(|_| Error::malformed("PEM certificate"))?;
    bytes
        .get(..total)
        .ok_or_else(|| Error::malformed("PEM certificate is truncated"))
}
