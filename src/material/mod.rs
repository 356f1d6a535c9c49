//! Key material: from PFX or PEM bytes to a [`ClientCertificate`] (leaf certificate, chain,
//! RSA key). Pure apart from the `*_file` constructors, which only read bytes under a cap.

mod ber;
mod certificate;
mod key;
pub(crate) mod pbe;
mod pem;
mod pfx;

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine;
use rsa::RsaPrivateKey;
use zeroize::Zeroizing;

pub use self::certificate::CertificateInfo;
pub use self::key::{MAX_RSA_BITS, MIN_RSA_BITS};
pub use self::pbe::MAX_KDF_ITERATIONS;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::SecretBytes;
use crate::thumbprint::Thumbprints;

/// Largest key-material file we read: 1 MiB. Real PFX and PEM files, chains included, are a
/// few kilobytes; reading stops at the cap so a wrong path (a disk image, `/dev/zero`) fails
/// at once instead of exhausting memory.
pub const MAX_MATERIAL_BYTES: u64 = 1 << 20;

/// How key material was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MaterialFormat {
    /// PKCS#12 / PFX (binary DER, or its base64 text as Key Vault secrets hold it).
    Pfx,
    /// PEM text.
    Pem,
    /// A bare DER certificate (`.cer`/`.crt`).
    DerCertificate,
}

/// A certificate credential's key material: the leaf certificate, the rest of its chain, and
/// the RSA private key that belongs to the leaf.
///
/// Cheap to clone: clones share one key. The key is zeroized when the last clone drops, and
/// `Debug` never shows it.
///
/// ```
/// # fn main() -> Result<(), entra_token::Error> {
/// let pem = std::fs::read("fixtures/pem/rsa2048-combined.pem").unwrap();
/// let cert = entra_token::ClientCertificate::from_pem(&pem)?;
/// println!("upload the certificate with thumbprint {}", cert.sha1_hex());
/// assert_eq!(cert.x5t().len(), 27);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientCertificate {
    inner: Arc<Inner>,
}

struct Inner {
    leaf: CertificateInfo,
    chain: Vec<CertificateInfo>,
    key: RsaPrivateKey,
    format: MaterialFormat,
}

/// Certificates and keys found in the input, before pairing.
#[derive(Default)]
struct Found {
    certificates: Vec<Vec<u8>>,
    keys: Vec<ParsedKey>,
}

enum ParsedKey {
    Pkcs8(SecretBytes),
    Pkcs1(SecretBytes),
    Unsupported(String),
}

impl ClientCertificate {
    /// Loads a PFX/PKCS#12 file's bytes. `None` opens files protected by the empty password
    /// (Key Vault downloads) and reports [`ErrorKind::PasswordRequired`] otherwise.
    ///
    /// # Errors
    /// Any material [`ErrorKind`]: wrong password, corrupt file, no key, mismatch, ...
    pub fn from_pfx(bytes: &[u8], password: Option<&str>) -> Result<Self> {
        if bytes.is_empty() {
            return Err(Error::new(ErrorKind::EmptyInput));
        }
        let contents = pfx::decode(bytes, password)?;
        let found = Found {
            certificates: contents.certificates,
            keys: contents.keys.into_iter().map(ParsedKey::Pkcs8).collect(),
        };
        found.into_credential(MaterialFormat::Pfx)
    }

    /// Reads and loads a PFX file (at most [`MAX_MATERIAL_BYTES`]).
    ///
    /// # Errors
    /// As [`from_pfx`](Self::from_pfx); errors name the file.
    pub fn from_pfx_file(path: impl AsRef<Path>, password: Option<&str>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = read_material_file(path)?;
        Self::from_pfx(&bytes, password).map_err(|e| e.with_path(path))
    }

    /// Loads PEM holding the certificate(s) and an unencrypted private key, in any order.
    ///
    /// # Errors
    /// Any material [`ErrorKind`]; an encrypted key gives [`ErrorKind::PasswordRequired`].
    pub fn from_pem(bytes: &[u8]) -> Result<Self> {
        Self::from_pem_with_password(bytes, None)
    }

    /// Loads PEM whose private key may be encrypted (`ENCRYPTED PRIVATE KEY`).
    ///
    /// # Errors
    /// Any material [`ErrorKind`].
    pub fn from_pem_with_password(bytes: &[u8], password: Option<&str>) -> Result<Self> {
        found_in_pem(bytes, password)?.into_credential(MaterialFormat::Pem)
    }

    /// Loads a certificate PEM and a separate key PEM.
    ///
    /// # Errors
    /// Any material [`ErrorKind`].
    pub fn from_pem_parts(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        Self::from_pem_parts_with_password(cert_pem, key_pem, None)
    }

    /// Loads a certificate PEM and a separate, possibly encrypted, key PEM.
    ///
    /// # Errors
    /// Any material [`ErrorKind`].
    pub fn from_pem_parts_with_password(
        cert_pem: &[u8],
        key_pem: &[u8],
        password: Option<&str>,
    ) -> Result<Self> {
        let mut found = found_in_pem(cert_pem, password)?;
        let keys = found_in_pem(key_pem, password)?;
        found.keys.extend(keys.keys);
        found.certificates.extend(keys.certificates);
        found.into_credential(MaterialFormat::Pem)
    }

    /// Reads a certificate file (PEM or DER) and a key file (PEM).
    ///
    /// # Errors
    /// As [`from_pem_parts_with_password`](Self::from_pem_parts_with_password); errors name
    /// the file they concern.
    pub fn from_pem_parts_files(
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
        password: Option<&str>,
    ) -> Result<Self> {
        let (cert_path, key_path) = (cert_path.as_ref(), key_path.as_ref());
        let cert_bytes = read_material_file(cert_path)?;
        let key_bytes = read_material_file(key_path)?;
        let mut found = found_in_any(&cert_bytes, password).map_err(|e| e.with_path(cert_path))?;
        let keys = found_in_pem(&key_bytes, password).map_err(|e| e.with_path(key_path))?;
        if keys.keys.is_empty() {
            return Err(Error::new(ErrorKind::NoPrivateKey).with_path(key_path));
        }
        found.keys.extend(keys.keys);
        found.certificates.extend(keys.certificates);
        found
            .into_credential(MaterialFormat::Pem)
            .map_err(|e| e.with_path(cert_path))
    }

    /// Loads PFX or PEM bytes, telling them apart by content. Also accepts the base64 text of
    /// a PFX (how Key Vault stores certificates as secrets).
    ///
    /// # Errors
    /// Any material [`ErrorKind`]; [`ErrorKind::UnrecognizedFormat`] for anything else.
    pub fn from_bytes(bytes: &[u8], password: Option<&str>) -> Result<Self> {
        match sniff(bytes)? {
            Sniffed::Pem => Self::from_pem_with_password(bytes, password),
            Sniffed::Pfx(der) => Self::from_pfx(&der, password),
            Sniffed::DerCertificate => Err(Error::new(ErrorKind::NoPrivateKey)),
        }
    }

    /// Reads a PFX or PEM file, telling them apart by content, not by extension.
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes); errors name the file.
    pub fn from_file(path: impl AsRef<Path>, password: Option<&str>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = read_material_file(path)?;
        Self::from_bytes(&bytes, password).map_err(|e| e.with_path(path))
    }

    /// The leaf certificate: the one whose public key matches the private key.
    pub fn certificate(&self) -> &CertificateInfo {
        &self.inner.leaf
    }

    /// The other certificates, ordered from the leaf's issuer towards the root where the
    /// issuer names allow, then any unrelated ones in file order.
    pub fn chain(&self) -> &[CertificateInfo] {
        &self.inner.chain
    }

    /// How the material was encoded.
    pub fn format(&self) -> MaterialFormat {
        self.inner.format
    }

    /// The leaf's thumbprints.
    pub fn thumbprints(&self) -> &Thumbprints {
        self.inner.leaf.thumbprints()
    }

    /// SHA-1 thumbprint as uppercase hex, as the Azure portal shows it.
    pub fn sha1_hex(&self) -> &str {
        self.thumbprints().sha1_hex()
    }

    /// JOSE `x5t`: base64url of the SHA-1 thumbprint, no padding.
    pub fn x5t(&self) -> &str {
        self.thumbprints().x5t()
    }

    /// JOSE `x5t#S256`: base64url of the SHA-256 thumbprint, no padding.
    pub fn x5t_s256(&self) -> &str {
        self.thumbprints().x5t_s256()
    }

    /// The leaf's subject, RFC 4514.
    pub fn subject(&self) -> &str {
        self.inner.leaf.subject()
    }

    /// The leaf's issuer, RFC 4514.
    pub fn issuer(&self) -> &str {
        self.inner.leaf.issuer()
    }

    /// The leaf's serial number, uppercase hex.
    pub fn serial_hex(&self) -> &str {
        self.inner.leaf.serial_hex()
    }

    /// Start of the leaf's validity.
    pub fn not_before(&self) -> SystemTime {
        self.inner.leaf.not_before()
    }

    /// End of the leaf's validity.
    pub fn not_after(&self) -> SystemTime {
        self.inner.leaf.not_after()
    }

    /// Size of the RSA key in bits.
    pub fn key_bits(&self) -> usize {
        use rsa::traits::PublicKeyParts;
        self.inner.key.n().bits()
    }

    /// True when `time` lies within the leaf's validity period.
    pub fn is_valid_at(&self, time: SystemTime) -> bool {
        self.inner.leaf.is_valid_at(time)
    }

    /// The leaf and chain as DER, leaf first (what `x5c` carries).
    pub fn chain_der(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::once(self.inner.leaf.der()).chain(self.inner.chain.iter().map(|c| c.der()))
    }

    pub(crate) fn signing_key(&self) -> &RsaPrivateKey {
        &self.inner.key
    }

    /// The private key as unencrypted PKCS#8 DER, for `convert` to re-encode; zeroized on drop.
    pub(crate) fn private_key_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        use rsa::pkcs8::EncodePrivateKey;
        let document = self
            .inner
            .key
            .to_pkcs8_der()
            .map_err(|_| Error::malformed("RSA private key (PKCS#8 encoding)"))?;
        Ok(Zeroizing::new(document.as_bytes().to_vec()))
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.subject())
            .field("sha1", &self.sha1_hex())
            .field("chain_len", &self.inner.chain.len())
            .field("key", &format_args!("[secret key elided]"))
            .finish()
    }
}

impl Found {
    fn into_credential(self, format: MaterialFormat) -> Result<ClientCertificate> {
        if self.keys.is_empty() {
            return Err(Error::new(ErrorKind::NoPrivateKey));
        }
        if self.certificates.is_empty() {
            return Err(Error::new(ErrorKind::NoCertificate));
        }
        let mut certificates = self
            .certificates
            .iter()
            .map(|der| CertificateInfo::from_der(der))
            .collect::<Result<Vec<_>>>()?;
        let mut first_error = None;
        for parsed in &self.keys {
            let key = match parsed {
                ParsedKey::Pkcs8(der) => key::rsa_from_pkcs8(der),
                ParsedKey::Pkcs1(der) => key::rsa_from_pkcs1(der),
                ParsedKey::Unsupported(found) => Err(Error::new(ErrorKind::UnsupportedKeyType {
                    found: found.clone(),
                })),
            };
            let key = match key {
                Ok(key) => key,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            if let Some(i) = certificates
                .iter()
                .position(|c| key::matches(&key, c.spki_der()))
            {
                let leaf = certificates.remove(i);
                let chain = order_chain(&leaf, certificates);
                return Ok(ClientCertificate {
                    inner: Arc::new(Inner {
                        leaf,
                        chain,
                        key,
                        format,
                    }),
                });
            }
            first_error.get_or_insert(Error::new(ErrorKind::KeyCertificateMismatch));
        }
        Err(first_error.unwrap_or_else(|| Error::new(ErrorKind::KeyCertificateMismatch)))
    }
}

/// Orders `rest` from the leaf's issuer upwards; certificates outside that path follow in
/// their original order.
fn order_chain(leaf: &CertificateInfo, mut rest: Vec<CertificateInfo>) -> Vec<CertificateInfo> {
    let mut ordered = Vec::with_capacity(rest.len());
    let mut current = leaf.clone();
    while !current.is_self_issued() {
        let Some(i) = rest.iter().position(|c| c.issued(&current)) else {
            break;
        };
        let issuer = rest.remove(i);
        current = issuer.clone();
        ordered.push(issuer);
    }
    ordered.extend(rest);
    ordered
}

fn found_in_pem(bytes: &[u8], password: Option<&str>) -> Result<Found> {
    if bytes.trim_ascii().is_empty() {
        return Err(Error::new(ErrorKind::EmptyInput));
    }
    if !pem::looks_like_pem(bytes) {
        return Err(Error::new(ErrorKind::UnrecognizedFormat));
    }
    let contents = pem::decode(bytes, password)?;
    Ok(Found {
        certificates: contents.certificates,
        keys: contents
            .keys
            .into_iter()
            .map(|k| match k {
                pem::PemKey::Pkcs8(der) => ParsedKey::Pkcs8(der),
                pem::PemKey::Pkcs1(der) => ParsedKey::Pkcs1(der),
                pem::PemKey::Unsupported(name) => ParsedKey::Unsupported(name),
            })
            .collect(),
    })
}

/// Certificates (and keys) from a file that may be PEM, PFX or a DER certificate.
fn found_in_any(bytes: &[u8], password: Option<&str>) -> Result<Found> {
    match sniff(bytes)? {
        Sniffed::Pem => found_in_pem(bytes, password),
        Sniffed::DerCertificate => Ok(Found {
            certificates: vec![bytes.to_vec()],
            keys: Vec::new(),
        }),
        Sniffed::Pfx(der) => {
            let contents = pfx::decode(&der, password)?;
            Ok(Found {
                certificates: contents.certificates,
                keys: contents.keys.into_iter().map(ParsedKey::Pkcs8).collect(),
            })
        }
    }
}

enum Sniffed {
    Pem,
    Pfx(SecretBytes),
    DerCertificate,
}

/// Tells the format from the content: PEM text, binary DER (PFX or certificate), or the
/// base64 text of a PFX.
fn sniff(bytes: &[u8]) -> Result<Sniffed> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Err(Error::new(ErrorKind::EmptyInput));
    }
    if pem::looks_like_pem(bytes) {
        return Ok(Sniffed::Pem);
    }
    if trimmed[0] == 0x30 {
        return Ok(classify_der(bytes));
    }
    // Key Vault's secret value for a certificate is the PFX in standard base64.
    let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
        trimmed
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect(),
    );
    if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(&*compact) {
        let der = Zeroizing::new(der);
        if der.first() == Some(&0x30) {
            return Ok(match classify_der(&der) {
                Sniffed::DerCertificate => Sniffed::DerCertificate,
                _ => Sniffed::Pfx(der),
            });
        }
    }
    Err(Error::new(ErrorKind::UnrecognizedFormat))
}

fn classify_der(der: &[u8]) -> Sniffed {
    use der::Decode;
    if x509_cert::Certificate::from_der(der).is_ok() {
        Sniffed::DerCertificate
    } else {
        Sniffed::Pfx(Zeroizing::new(der.to_vec()))
    }
}

/// Reads every certificate in PFX, PEM or DER bytes, in file order, without needing (or
/// checking) a private key: what `inspect` and `thumbprint` show for a `.cer` file.
///
/// # Errors
/// Format, password and corruption errors as for [`ClientCertificate::from_bytes`];
/// [`ErrorKind::NoCertificate`] when there is none.
pub fn read_certificates(bytes: &[u8], password: Option<&str>) -> Result<Vec<CertificateInfo>> {
    let found = found_in_any(bytes, password)?;
    if found.certificates.is_empty() {
        return Err(Error::new(ErrorKind::NoCertificate));
    }
    found
        .certificates
        .iter()
        .map(|der| CertificateInfo::from_der(der))
        .collect()
}

/// Reads a key-material file into a zeroizing buffer, stopping at [`MAX_MATERIAL_BYTES`].
///
/// # Errors
/// [`ErrorKind::Io`] when the file cannot be read, [`ErrorKind::FileTooLarge`] past the cap.
pub fn read_material_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::new(ErrorKind::Io).with_path(path).with_source(e))?;
    // Reserve up front so the zeroizing buffer never reallocates and leaves a copy behind.
    let expected = file
        .metadata()
        .map(|m| m.len())
        .unwrap_or(0)
        .min(MAX_MATERIAL_BYTES);
    let mut bytes = Zeroizing::new(Vec::with_capacity(expected as usize + 1));
    file.take(MAX_MATERIAL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::new(ErrorKind::Io).with_path(path).with_source(e))?;
    if bytes.len() as u64 > MAX_MATERIAL_BYTES {
        return Err(Error::new(ErrorKind::FileTooLarge {
            limit: MAX_MATERIAL_BYTES,
        })
        .with_path(path));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_format_loaders_name_the_real_problem() {
        let kind = |r: Result<ClientCertificate>| r.unwrap_err().kind().clone();
        assert_eq!(
            kind(ClientCertificate::from_pem(b"")),
            ErrorKind::EmptyInput
        );
        assert_eq!(
            kind(ClientCertificate::from_pem(b" \r\n")),
            ErrorKind::EmptyInput
        );
        assert_eq!(
            kind(ClientCertificate::from_pem(b"\x30\x82garbage")),
            ErrorKind::UnrecognizedFormat
        );
        assert_eq!(
            kind(ClientCertificate::from_pfx(b"", None)),
            ErrorKind::EmptyInput
        );
        assert_eq!(
            kind(ClientCertificate::from_bytes(b"\xff\xfe", None)),
            ErrorKind::UnrecognizedFormat
        );
    }
}
