//! Password-based decryption shared by PFX bags and encrypted PKCS#8 PEM keys: PBES2
//! (RFC 8018, via `pkcs5`) and the PKCS#12 PBE schemes (RFC 7292 appendix B/C: 3DES, RC2).
//!
//! Every scheme's cost parameter is checked against [`MAX_KDF_ITERATIONS`] *before* any key
//! derivation runs, so a hostile file cannot make us spin for minutes. Decrypted bytes live in
//! zeroizing buffers.

use cbc::cipher::{block_padding::Pkcs7, BlockCipherDecrypt, BlockModeDecrypt, KeyInit, KeyIvInit};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use pkcs12::kdf::{derive_key, Pkcs12KeyType};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::secret::SecretBytes;

/// Largest PBKDF2, PKCS#12-KDF or MAC iteration count we run. Producers use 1 (Key Vault
/// MACs) to 10,000 (Java keytool); OWASP's 2023 figure for PBKDF2-SHA256 is 600,000. A million
/// costs under a second; a hostile 2^31−1 would cost hours, so it is refused before deriving.
pub const MAX_KDF_ITERATIONS: u64 = 1_000_000;

/// Largest scrypt memory cost (128·N·r bytes) we accept: 256 MiB.
const MAX_SCRYPT_MEMORY: u64 = 256 << 20;

pub(crate) const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const PBKDF2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");
const SCRYPT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11591.4.11");
const PBE_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const PBE_SHA1_2DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.4");
const PBE_SHA1_RC2_128: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.5");
const PBE_SHA1_RC2_40: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");

/// What we can decrypt, for error messages.
pub(crate) const SUPPORTED_ENCRYPTION: &str = "PBES2 (PBKDF2 with HMAC-SHA1/SHA-224/SHA-256/SHA-384/SHA-512 or scrypt; \
     AES-128/192/256-CBC, 3DES-CBC, DES-CBC), PKCS#12 PBE with SHA-1 and 3DES, 2-key 3DES, RC2-128 or RC2-40";

/// One way of turning the user's password into bytes. PKCS#12 has two spellings of "no
/// password": the empty string (encoded as a BMPString terminator, two zero bytes) and the
/// absent password (zero bytes), which OpenSSL also accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Password<'a> {
    /// A password string, possibly empty.
    Text(&'a str),
    /// The absent ("NULL") password.
    Absent,
}

impl std::fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Password::Text("") => "Password::Empty",
            Password::Text(_) => "Password::Text([redacted])",
            Password::Absent => "Password::Absent",
        })
    }
}

impl Password<'_> {
    /// The candidates to try for what the user gave: a given password as is (and, if empty,
    /// also the absent one); no password means the empty and the absent ones.
    pub(crate) fn candidates(given: Option<&str>) -> Vec<Password<'_>> {
        match given {
            Some("") | None => vec![Password::Text(""), Password::Absent],
            Some(p) => vec![Password::Text(p)],
        }
    }

    /// RFC 7292 B.1: big-endian UTF-16 with a two-byte terminator; the absent password is empty.
    pub(crate) fn bmp(&self) -> SecretBytes {
        let mut out = Zeroizing::new(Vec::new());
        if let Password::Text(text) = self {
            for unit in text.encode_utf16() {
                out.extend_from_slice(&unit.to_be_bytes());
            }
            out.extend_from_slice(&[0, 0]);
        }
        out
    }

    /// PBES2 takes the password's UTF-8 bytes.
    fn utf8(&self) -> &[u8] {
        match self {
            Password::Text(text) => text.as_bytes(),
            Password::Absent => &[],
        }
    }
}

/// Refuses an iteration count above [`MAX_KDF_ITERATIONS`] (or below 1).
pub(crate) fn check_iterations(count: i64) -> Result<()> {
    if count < 1 {
        return Err(Error::malformed("iteration count below 1"));
    }
    let count = count as u64;
    if count > MAX_KDF_ITERATIONS {
        return Err(Error::new(ErrorKind::IterationCountTooHigh {
            found: count,
            limit: MAX_KDF_ITERATIONS,
        }));
    }
    Ok(())
}

fn unsupported(oid: ObjectIdentifier) -> Error {
    Error::new(ErrorKind::UnsupportedAlgorithm {
        oid: describe_oid(oid),
        supported: SUPPORTED_ENCRYPTION,
    })
}

/// `1.2.3 (name)` when the OID database knows the name.
pub(crate) fn describe_oid(oid: ObjectIdentifier) -> String {
    match const_oid::db::DB.by_oid(&oid) {
        Some(name) => format!("{oid} ({name})"),
        None => oid.to_string(),
    }
}

/// A decryption scheme whose parameters have been checked, ready to run with a password.
pub(crate) enum Scheme {
    Pbes2(Box<pkcs5::pbes2::Parameters>),
    Pkcs12 {
        cipher: Pkcs12Cipher,
        salt: Vec<u8>,
        iterations: i32,
    },
}

#[derive(Clone, Copy)]
pub(crate) enum Pkcs12Cipher {
    TripleDes3Key,
    TripleDes2Key,
    Rc2_128,
    Rc2_40,
}

impl Scheme {
    /// Reads and checks an encryption `AlgorithmIdentifier`: known scheme, sane cost.
    pub(crate) fn from_algorithm(alg: &AlgorithmIdentifierOwned) -> Result<Scheme> {
        let params = alg
            .parameters
            .as_ref()
            .ok_or_else(|| Error::malformed("encryption parameters missing"))?
            .to_der()
            .map_err(|_| Error::malformed("encryption parameters"))?;
        let cipher = match alg.oid {
            PBES2 => return Self::pbes2(&params),
            PBE_SHA1_3DES => Pkcs12Cipher::TripleDes3Key,
            PBE_SHA1_2DES => Pkcs12Cipher::TripleDes2Key,
            PBE_SHA1_RC2_128 => Pkcs12Cipher::Rc2_128,
            PBE_SHA1_RC2_40 => Pkcs12Cipher::Rc2_40,
            other => return Err(unsupported(other)),
        };
        let pbe = pkcs12::pbe_params::Pkcs12PbeParams::from_der(&params)
            .map_err(|_| Error::malformed("PKCS#12 PBE parameters"))?;
        check_iterations(pbe.iterations.into())?;
        Ok(Scheme::Pkcs12 {
            cipher,
            salt: pbe.salt.as_bytes().to_vec(),
            iterations: pbe.iterations,
        })
    }

    fn pbes2(params: &[u8]) -> Result<Scheme> {
        // Look at the OIDs and cost with a permissive structure first, so that an unknown
        // PRF or cipher is reported by name and a huge count is refused before `pkcs5` runs.
        let outline = pkcs12::pbe_params::Pbes2Params::from_der(params)
            .map_err(|_| Error::malformed("PBES2 parameters"))?;
        let kdf_params = outline
            .kdf
            .parameters
            .as_ref()
            .ok_or_else(|| Error::malformed("KDF parameters missing"))?
            .to_der()
            .map_err(|_| Error::malformed("KDF parameters"))?;
        match outline.kdf.oid {
            PBKDF2 => {
                let count = pbkdf2_iterations(&kdf_params)?;
                check_iterations(count)?;
            }
            SCRYPT => {}
            other => return Err(unsupported(other)),
        }
        let parsed = pkcs5::pbes2::Parameters::from_der(params).map_err(|e| match e.kind() {
            der::ErrorKind::OidUnknown { oid } => unsupported(oid),
            _ => match (outline.kdf.oid, prf_oid(&kdf_params)) {
                (PBKDF2, Some(prf)) if !known_prf(prf) => unsupported(prf),
                _ if !known_cipher(outline.encryption.oid) => unsupported(outline.encryption.oid),
                _ => Error::malformed("PBES2 parameters"),
            },
        })?;
        if let pkcs5::pbes2::Kdf::Scrypt(s) = &parsed.kdf {
            let memory = 128u64
                .saturating_mul(s.cost_parameter)
                .saturating_mul(u64::from(s.block_size));
            if memory > MAX_SCRYPT_MEMORY || s.parallelization > 16 {
                return Err(Error::new(ErrorKind::IterationCountTooHigh {
                    found: s.cost_parameter,
                    limit: MAX_SCRYPT_MEMORY / 128 / u64::from(s.block_size.max(1)),
                }));
            }
        }
        Ok(Scheme::Pbes2(Box::new(parsed)))
    }

    /// Decrypts `ciphertext` with one password candidate. `None` means the password (or the
    /// padding it produced) was wrong; errors are for things a password cannot fix.
    pub(crate) fn decrypt(&self, password: Password<'_>, ciphertext: &[u8]) -> Option<SecretBytes> {
        let mut buffer = Zeroizing::new(ciphertext.to_vec());
        let len = match self {
            Scheme::Pbes2(params) => params
                .decrypt_in_place(password.utf8(), &mut buffer)
                .ok()?
                .len(),
            Scheme::Pkcs12 {
                cipher,
                salt,
                iterations,
            } => {
                let bmp = password.bmp();
                let (key_len, iv_len) = match cipher {
                    Pkcs12Cipher::TripleDes3Key => (24, 8),
                    Pkcs12Cipher::TripleDes2Key | Pkcs12Cipher::Rc2_128 => (16, 8),
                    Pkcs12Cipher::Rc2_40 => (5, 8),
                };
                let key = Zeroizing::new(derive_key::<sha1::Sha1>(
                    &bmp,
                    salt,
                    Pkcs12KeyType::EncryptionKey,
                    *iterations,
                    key_len,
                ));
                let iv =
                    derive_key::<sha1::Sha1>(&bmp, salt, Pkcs12KeyType::Iv, *iterations, iv_len);
                match cipher {
                    Pkcs12Cipher::TripleDes3Key => {
                        cbc_decrypt::<des::TdesEde3>(&key, &iv, &mut buffer)
                    }
                    Pkcs12Cipher::TripleDes2Key => {
                        cbc_decrypt::<des::TdesEde2>(&key, &iv, &mut buffer)
                    }
                    Pkcs12Cipher::Rc2_128 | Pkcs12Cipher::Rc2_40 => {
                        cbc_decrypt::<rc2::Rc2>(&key, &iv, &mut buffer)
                    }
                }?
            }
        };
        buffer.truncate(len);
        Some(buffer)
    }
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], buffer: &mut [u8]) -> Option<usize>
where
    C: BlockCipherDecrypt + KeyInit,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    decryptor
        .decrypt_padded::<Pkcs7>(buffer)
        .ok()
        .map(|pt| pt.len())
}

fn pbkdf2_iterations(kdf_params: &[u8]) -> Result<i64> {
    // PBKDF2-params ::= SEQUENCE { salt, iterationCount INTEGER, keyLength OPTIONAL, prf DEFAULT }
    // Decode generically so a count beyond u32 is still reported as "too high".
    let seq: Vec<der::Any> =
        Vec::from_der(kdf_params).map_err(|_| Error::malformed("PBKDF2 parameters"))?;
    let count = seq
        .get(1)
        .ok_or_else(|| Error::malformed("PBKDF2 iteration count missing"))?;
    let int = der::asn1::IntRef::try_from(count)
        .map_err(|_| Error::malformed("PBKDF2 iteration count"))?;
    let bytes = int.as_bytes();
    if bytes.len() > 8 {
        return Ok(i64::MAX);
    }
    let mut value: i64 = 0;
    for b in bytes {
        value = value.saturating_mul(256).saturating_add(i64::from(*b));
    }
    Ok(if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        -1
    } else {
        value
    })
}

fn prf_oid(kdf_params: &[u8]) -> Option<ObjectIdentifier> {
    let seq: Vec<der::Any> = Vec::from_der(kdf_params).ok()?;
    let last = seq.last()?;
    let alg = AlgorithmIdentifierOwned::from_der(&last.to_der().ok()?).ok()?;
    Some(alg.oid)
}

fn known_prf(oid: ObjectIdentifier) -> bool {
    matches!(
        oid.to_string().as_str(),
        "1.2.840.113549.2.7"
            | "1.2.840.113549.2.8"
            | "1.2.840.113549.2.9"
            | "1.2.840.113549.2.10"
            | "1.2.840.113549.2.11"
    )
}

fn known_cipher(oid: ObjectIdentifier) -> bool {
    matches!(
        oid.to_string().as_str(),
        "2.16.840.1.101.3.4.1.2"
            | "2.16.840.1.101.3.4.1.22"
            | "2.16.840.1.101.3.4.1.42"
            | "2.16.840.1.101.3.4.1.6"
            | "2.16.840.1.101.3.4.1.46"
            | "1.2.840.113549.3.7"
            | "1.3.14.3.2.7"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_encoding_follows_rfc7292() {
        assert_eq!(&**Password::Text("").bmp(), &[0, 0]);
        assert!(Password::Absent.bmp().is_empty());
        assert_eq!(&**Password::Text("aé").bmp(), &[0, b'a', 0, 0xE9, 0, 0]);
    }

    #[test]
    fn candidates_cover_both_empty_spellings() {
        assert_eq!(
            Password::candidates(None),
            vec![Password::Text(""), Password::Absent]
        );
        assert_eq!(
            Password::candidates(Some("")),
            vec![Password::Text(""), Password::Absent]
        );
        assert_eq!(Password::candidates(Some("x")), vec![Password::Text("x")]);
    }

    #[test]
    fn iteration_cap() {
        assert!(check_iterations(2048).is_ok());
        assert!(check_iterations(MAX_KDF_ITERATIONS as i64).is_ok());
        let e = check_iterations(i64::from(i32::MAX)).unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::IterationCountTooHigh {
                found: i32::MAX as u64,
                limit: MAX_KDF_ITERATIONS
            }
        );
        assert!(matches!(
            check_iterations(0).unwrap_err().kind(),
            ErrorKind::Malformed { .. }
        ));
    }
}
