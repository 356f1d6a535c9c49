//! Writing key material out again, pure (bytes in memory; the CLI writes the files): PEM (the
//! certificate chain and a PKCS#8 key, encrypted unless asked not to) and PFX (PBES2 with
//! AES-256-CBC and an HMAC-SHA256 MAC), plus, with feature `new-cert`, new self-signed
//! certificates for an app registration.
//!
//! Both formats use PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, which OpenSSL 1.1+ and 3,
//! Java 8u301+, .NET, Windows 10+ and this crate read. Older Windows (Server 2016 and before)
//! imports only 3DES PFX files; export from that machine's own tools if it must import one.

#[cfg(feature = "new-cert")]
mod new_cert;
#[cfg(feature = "new-cert")]
mod subject;

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use der::Encode;
use rand::RngCore;
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

#[cfg(feature = "new-cert")]
pub use self::new_cert::{new_self_signed, KEY_BITS_CHOICES, MAX_CERT_DAYS};
use crate::error::{Error, Result};
use crate::material::ClientCertificate;
use crate::secret::Secret;

/// PBKDF2 iterations for exported keys and PFX files (and the PFX MAC): 100,000.
///
/// OpenSSL 3 uses 2,048 and `keytool` 10,000; OWASP asks 600,000 for *stored passwords*,
/// which are checked on every login. A key file is decrypted once per process start (or
/// certificate rotation), where 100,000 costs about 30 ms per derivation, while each offline
/// password guess costs 50 times what it costs against an OpenSSL 3 file. It stays far below
/// this crate's read limit ([`crate::MAX_KDF_ITERATIONS`]) and those of other readers.
pub const EXPORT_KDF_ITERATIONS: u32 = 100_000;

/// PEM text of a [`ClientCertificate`]: the chain (leaf first) and the private key.
///
/// The key text is a [`Secret`]: zeroized on drop, redacted in `Debug`.
///
/// ```
/// # fn main() -> Result<(), entra_token::Error> {
/// let pem = std::fs::read("fixtures/pem/rsa2048-combined.pem").unwrap();
/// let cert = entra_token::ClientCertificate::from_pem(&pem)?;
/// let out = entra_token::export_pem(&cert, Some("correct horse"))?;
/// assert!(out.certificates().starts_with("-----BEGIN CERTIFICATE-----\n"));
/// assert!(out.private_key().secret().starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
/// let again = entra_token::ClientCertificate::from_pem_parts_with_password(
///     out.certificates().as_bytes(),
///     out.private_key().secret().as_bytes(),
///     Some("correct horse"),
/// )?;
/// assert_eq!(again.x5t_s256(), cert.x5t_s256());
/// # Ok(()) }
/// ```
pub struct PemExport {
    certificates: String,
    private_key: Secret,
    encrypted: bool,
}

impl PemExport {
    /// `CERTIFICATE` blocks, leaf first, then the chain in [`ClientCertificate::chain`] order.
    pub fn certificates(&self) -> &str {
        &self.certificates
    }

    /// The key: `ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2) or, without a password,
    /// `PRIVATE KEY`.
    pub fn private_key(&self) -> &Secret {
        &self.private_key
    }

    /// True when the key block is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }
}

impl fmt::Debug for PemExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PemExport")
            .field(
                "certificates",
                &self.certificates.matches("-----BEGIN ").count(),
            )
            .field("private_key", &self.private_key)
            .field("encrypted", &self.encrypted)
            .finish()
    }
}

/// The certificate chain and private key as PEM. With a password, the key is PKCS#8
/// `ENCRYPTED PRIVATE KEY`: PBES2, PBKDF2-HMAC-SHA256 with [`EXPORT_KDF_ITERATIONS`] and a
/// random 16-byte salt, AES-256-CBC with a random IV (what `openssl pkcs8 -topk8 -v2
/// aes-256-cbc` writes). Without one it is a plain `PRIVATE KEY`.
///
/// See [`PemExport`] for an example.
///
/// # Errors
/// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for an empty password (give none to write the key
/// unencrypted); encoding failures as [`ErrorKind::Malformed`](crate::ErrorKind::Malformed).
pub fn export_pem(cert: &ClientCertificate, password: Option<&str>) -> Result<PemExport> {
    if password == Some("") {
        return Err(Error::config(
            "an empty password cannot protect a key: give a password, or none to write the key unencrypted",
        ));
    }
    let mut certificates = String::new();
    for der in cert.chain_der() {
        certificates.push_str(&pem_block("CERTIFICATE", der));
    }
    let key = cert.private_key_pkcs8_der()?;
    let private_key = match password {
        Some(password) => {
            let encrypted = encrypt_pkcs8(&key, password)?;
            pem_block("ENCRYPTED PRIVATE KEY", &encrypted)
        }
        None => pem_block("PRIVATE KEY", &key),
    };
    Ok(PemExport {
        certificates,
        private_key: into_secret(private_key),
        encrypted: password.is_some(),
    })
}

/// The certificate chain and private key as a PFX/PKCS#12 file: certificates and key each
/// encrypted with PBES2 (PBKDF2-HMAC-SHA256, [`EXPORT_KDF_ITERATIONS`], AES-256-CBC) and an
/// HMAC-SHA256 MAC: what OpenSSL 3 `pkcs12 -export` writes. The key bag and the leaf share a
/// `localKeyId` (the leaf's SHA-1), and the friendly name is the leaf's CN.
///
/// `None` (or `Some("")`) writes the empty password, as Key Vault does: anyone holding the
/// file holds the key.
///
/// ```
/// # fn main() -> Result<(), entra_token::Error> {
/// let pem = std::fs::read("fixtures/pem/rsa2048-combined.pem").unwrap();
/// let cert = entra_token::ClientCertificate::from_pem(&pem)?;
/// let pfx = entra_token::export_pfx(&cert, Some("correct horse"))?;
/// let again = entra_token::ClientCertificate::from_pfx(&pfx, Some("correct horse"))?;
/// assert_eq!(again.sha1_hex(), cert.sha1_hex());
/// # Ok(()) }
/// ```
///
/// Java's `keytool` and `KeyStore` refuse PBES2 files whose password is not ASCII; choose an
/// ASCII password when Java must read the file.
///
/// The returned bytes are zeroized on drop. One transient copy of the key inside
/// `p12-keystore`'s writer is freed, but not zeroized, before this function returns.
///
/// # Errors
/// Encoding failures as [`ErrorKind::Malformed`](crate::ErrorKind::Malformed).
pub fn export_pfx(cert: &ClientCertificate, password: Option<&str>) -> Result<Zeroizing<Vec<u8>>> {
    use p12_keystore::{
        EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKeyChain,
    };
    let pfx_error = |_| Error::malformed("PFX encoding");
    let key = cert.private_key_pkcs8_der()?;
    let key = p12_keystore::PrivateKey::from_der(&key).map_err(pfx_error)?;
    let certificates = cert
        .chain_der()
        .map(p12_keystore::Certificate::from_der)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(pfx_error)?;
    let local_key_id = Sha1::digest(cert.certificate().der()).to_vec();
    let mut store = KeyStore::new();
    let entry = PrivateKeyChain::new(local_key_id, key, certificates);
    store.add_entry(&friendly_name(cert), KeyStoreEntry::PrivateKeyChain(entry));
    let bytes = store
        .writer(password.unwrap_or(""))
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(EXPORT_KDF_ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .mac_iterations(EXPORT_KDF_ITERATIONS)
        .write()
        .map_err(pfx_error)?;
    Ok(Zeroizing::new(bytes))
}

/// The leaf's CN for the PFX friendly name (what Windows and `keytool -list` show), or
/// `entra-token` when there is none or it cannot be a BMPString.
fn friendly_name(cert: &ClientCertificate) -> String {
    cert.subject()
        .split(',')
        .find_map(|rdn| rdn.strip_prefix("CN="))
        .filter(|cn| {
            !cn.is_empty() && !cn.contains('\\') && cn.chars().all(|c| u32::from(c) <= 0xFFFF)
        })
        .unwrap_or("entra-token")
        .to_owned()
}

/// PKCS#8 `EncryptedPrivateKeyInfo` DER: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC.
fn encrypt_pkcs8(key_der: &[u8], password: &str) -> Result<Vec<u8>> {
    let encoding = |_| Error::malformed("encrypted PKCS#8 encoding");
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let params = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
        EXPORT_KDF_ITERATIONS,
        &salt,
        iv,
    )
    .map_err(|_| Error::malformed("PBES2 parameters"))?;
    let ciphertext = params
        .encrypt(password.as_bytes(), key_der)
        .map_err(|_| Error::malformed("PBES2 encryption"))?;
    let info = pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: params.into(),
        encrypted_data: der::asn1::OctetString::new(ciphertext).map_err(encoding)?,
    };
    info.to_der().map_err(encoding)
}

/// One PEM block (RFC 7468: 64-character lines, `\n` endings), built in buffers sized up
/// front so key text is never reallocated and left behind un-zeroized.
pub(crate) fn pem_block(label: &str, der: &[u8]) -> Zeroizing<String> {
    let mut body = Zeroizing::new(String::with_capacity(der.len().div_ceil(3) * 4));
    STANDARD.encode_string(der, &mut body);
    let lines = body.len().div_ceil(64);
    let mut out = Zeroizing::new(String::with_capacity(
        body.len() + lines + 2 * label.len() + 40,
    ));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every 64-byte chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// Moves the text into a [`Secret`] without copying it.
fn into_secret(mut text: Zeroizing<String>) -> Secret {
    Secret::new(std::mem::take(&mut *text))
}
