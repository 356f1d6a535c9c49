//! Where a certificate credential's certificate comes from, and how it is reloaded: a fixed
//! certificate, a file polled for changes, or an async provider (a vault). Reloads never
//! replace a working certificate with a broken or expired one.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::material::{read_material_file, ClientCertificate};
use crate::secret::Secret;

/// Default interval between checks of a certificate file: 30 seconds. A check reads a file
/// of a few kilobytes and hashes it; a rotated file is in use within half a minute.
pub const DEFAULT_FILE_CHECK_INTERVAL: Duration = Duration::from_secs(30);

/// Default interval between calls of a certificate provider: 10 minutes. Vaults bill and
/// throttle calls; a rotation also reloads at once when Entra answers AADSTS700027.
pub const DEFAULT_PROVIDER_CHECK_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// The boxed future a [`CertificateProvider`] returns.
pub type ProviderFuture = Pin<Box<dyn Future<Output = ProviderResult> + Send + 'static>>;

/// What a [`CertificateProvider`] yields: the current certificate, or why it cannot be had
/// (any error type; an [`Error`] is passed through unchanged).
pub type ProviderResult =
    std::result::Result<ClientCertificate, Box<dyn std::error::Error + Send + Sync + 'static>>;

/// An async source of the current certificate, e.g. a Key Vault secret read, called when the
/// credential is first used, every check interval, and when Entra no longer knows the key.
///
/// Any `Fn() -> impl Future<Output = ProviderResult>` closure is a provider; see
/// [`Credential::builder_from_provider`](crate::Credential::builder_from_provider).
pub trait CertificateProvider: Send + Sync + 'static {
    /// Fetches the current certificate.
    fn certificate(&self) -> ProviderFuture;
}

impl<F, Fut> CertificateProvider for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ProviderResult> + Send + 'static,
{
    fn certificate(&self) -> ProviderFuture {
        Box::pin(self())
    }
}

/// Where the certificate comes from.
pub(crate) enum Source {
    /// Given once; never reloaded.
    Fixed,
    /// A file, polled.
    File(FileSource),
    /// A provider, called.
    Provider(Arc<dyn CertificateProvider>),
}

impl Source {
    /// Whether this source can produce a different certificate later.
    pub(crate) fn reloads(&self) -> bool {
        !matches!(self, Source::Fixed)
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Fixed => f.write_str("Fixed"),
            Source::File(file) => f.debug_tuple("File").field(&file.path).finish(),
            Source::Provider(_) => f.write_str("Provider"),
        }
    }
}

/// A certificate file and what was last seen in it.
pub(crate) struct FileSource {
    pub(crate) path: PathBuf,
    password: Option<Secret>,
    seen: Mutex<Seen>,
}

/// The last contents read: in use, or refused (so one bad file is reported once).
#[derive(Default)]
struct Seen {
    in_use: Option<Fingerprint>,
    refused: Option<Fingerprint>,
}

/// Modification time, length and SHA-256 of the contents.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Fingerprint {
    modified: Option<SystemTime>,
    len: usize,
    sha256: [u8; 32],
}

impl Fingerprint {
    fn of(bytes: &[u8], modified: Option<SystemTime>) -> Self {
        Fingerprint {
            modified,
            len: bytes.len(),
            sha256: Sha256::digest(bytes).into(),
        }
    }

    /// Same contents: the hash decides; a touched file with the same bytes is unchanged.
    fn same_contents(&self, other: &Fingerprint) -> bool {
        self.len == other.len && self.sha256 == other.sha256
    }
}

/// What a check of the file found.
pub(crate) enum FileCheck {
    /// The contents are those in use, or those already refused.
    Unchanged,
    /// New contents that load.
    Changed(ClientCertificate),
}

impl FileSource {
    /// Loads `path` now (with `password`), remembering what was read.
    pub(crate) fn open(
        path: PathBuf,
        password: Option<Secret>,
    ) -> Result<(Self, ClientCertificate)> {
        let source = FileSource {
            path,
            password,
            seen: Mutex::default(),
        };
        let (fingerprint, bytes) = source.snapshot()?;
        let certificate = source.parse(&bytes)?;
        source.seen().in_use = Some(fingerprint);
        Ok((source, certificate))
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the file (blocking I/O: call from `spawn_blocking`).
    fn snapshot(&self) -> Result<(Fingerprint, Zeroizing<Vec<u8>>)> {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let bytes = read_material_file(&self.path)?;
        Ok((Fingerprint::of(&bytes, modified), bytes))
    }

    fn parse(&self, bytes: &[u8]) -> Result<ClientCertificate> {
        let password = self.password.as_ref().map(Secret::secret);
        ClientCertificate::from_bytes(bytes, password).map_err(|e| {
            if e.path().is_some() {
                e
            } else {
                e.with_path(&self.path)
            }
        })
    }

    /// Checks the file (blocking). New contents that fail to load, or hold an expired
    /// certificate, are an error and are remembered, so the same bad contents are reported
    /// once; the certificate in use stays in use.
    pub(crate) fn check(&self, now: SystemTime) -> Result<FileCheck> {
        let (fingerprint, bytes) = self.snapshot()?;
        {
            let seen = self.seen();
            let known = [seen.in_use, seen.refused];
            if known
                .iter()
                .flatten()
                .any(|f| f.same_contents(&fingerprint))
            {
                return Ok(FileCheck::Unchanged);
            }
        }
        let loaded = self
            .parse(&bytes)
            .and_then(|c| refuse_expired(c, now).map_err(|e| e.with_path(&self.path)));
        let mut seen = self.seen();
        match loaded {
            Ok(certificate) => {
                seen.in_use = Some(fingerprint);
                seen.refused = None;
                Ok(FileCheck::Changed(certificate))
            }
            Err(e) => {
                seen.refused = Some(fingerprint);
                Err(e)
            }
        }
    }
}

/// `certificate` unless it has expired at `now`.
pub(crate) fn refuse_expired(
    certificate: ClientCertificate,
    now: SystemTime,
) -> Result<ClientCertificate> {
    if certificate.not_after() <= now {
        return Err(Error::new(ErrorKind::CertificateExpired {
            not_after: certificate.certificate().not_after_rfc3339().to_owned(),
        }));
    }
    Ok(certificate)
}

/// How long until `certificate` expires, when that is within `window` (and not yet past).
pub(crate) fn expires_within(
    certificate: &ClientCertificate,
    now: SystemTime,
    window: Duration,
) -> Option<Duration> {
    let left = certificate.not_after().duration_since(now).ok()?;
    (left <= window).then_some(left)
}

/// Turns a provider's error into ours: an [`Error`] as is, anything else wrapped.
pub(crate) fn provider_error(e: Box<dyn std::error::Error + Send + Sync + 'static>) -> Error {
    match e.downcast::<Error>() {
        Ok(ours) => *ours,
        Err(other) => Error::new(ErrorKind::CertificateProvider).with_source(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &[u8] = include_bytes!("../../tests/data/exchange/app.pem");
    const CHAIN: &[u8] = include_bytes!("../../tests/data/exchange/chain.pem");

    #[test]
    fn a_touched_file_with_the_same_bytes_is_unchanged() {
        let a = Fingerprint::of(b"abc", Some(SystemTime::UNIX_EPOCH));
        let b = Fingerprint::of(b"abc", Some(SystemTime::now()));
        assert!(a.same_contents(&b));
        assert!(!a.same_contents(&Fingerprint::of(b"abd", None)));
    }

    #[test]
    fn checks_report_bad_contents_once_and_keep_what_works() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.pem");
        std::fs::write(&path, APP).unwrap();
        let (source, first) = FileSource::open(path.clone(), None).unwrap();
        let now = SystemTime::now();
        assert!(matches!(source.check(now).unwrap(), FileCheck::Unchanged));

        // Half-written: an error naming the file, once.
        std::fs::write(&path, &APP[..APP.len() / 2]).unwrap();
        let e = source
            .check(now)
            .err()
            .expect("a truncated file is refused");
        assert_eq!(e.path(), Some(path.as_path()));
        assert!(matches!(source.check(now).unwrap(), FileCheck::Unchanged));

        // Restored: the contents in use, unchanged.
        std::fs::write(&path, APP).unwrap();
        assert!(matches!(source.check(now).unwrap(), FileCheck::Unchanged));

        // A new certificate, completely written: loads.
        std::fs::write(&path, CHAIN).unwrap();
        match source.check(now).unwrap() {
            FileCheck::Changed(c) => assert_ne!(c.sha1_hex(), first.sha1_hex()),
            FileCheck::Unchanged => panic!("a new certificate was not seen"),
        }
        assert!(matches!(source.check(now).unwrap(), FileCheck::Unchanged));
    }

    #[test]
    fn expired_certificates_are_refused_and_expiry_is_announced() {
        let cert = ClientCertificate::from_pem(APP).unwrap();
        let after = cert.not_after() + Duration::from_secs(1);
        let e = refuse_expired(cert.clone(), after).err().unwrap();
        assert!(matches!(e.kind(), ErrorKind::CertificateExpired { .. }));
        let day = Duration::from_secs(86_400);
        let ten_days_before = cert.not_after() - 10 * day;
        assert_eq!(
            expires_within(&cert, ten_days_before, 30 * day),
            Some(10 * day)
        );
        assert_eq!(expires_within(&cert, ten_days_before, 5 * day), None);
        assert_eq!(expires_within(&cert, after, 30 * day), None);
    }

    #[test]
    fn provider_errors_keep_ours_and_wrap_theirs() {
        let ours = provider_error(Box::new(Error::config("x")));
        assert!(matches!(
            ours.kind(),
            ErrorKind::InvalidConfiguration { .. }
        ));
        let theirs = provider_error("vault unreachable".into());
        assert!(matches!(theirs.kind(), ErrorKind::CertificateProvider));
        assert!(std::error::Error::source(&theirs).is_some());
    }
}
