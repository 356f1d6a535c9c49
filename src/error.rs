//! The crate's one error type: a boxed [`Error`] around a `#[non_exhaustive]` [`ErrorKind`].
//!
//! Errors carry data (the file, the OID, the HTTP status, the AADSTS code), and their
//! `Display` is one lowercase line that says what went wrong *and what to do next*. No error
//! ever contains a password, a key, an assertion or a token.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::entra_error::EntraError;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure of this crate: loading key material, configuring a credential, or
/// exchanging an assertion for a token.
///
/// Match on [`Error::kind`] to react to a specific failure; print it with `{}` for a
/// message meant for the person running the program.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    path: Option<PathBuf>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What went wrong. New variants may be added in minor releases.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    // ---- key material ----------------------------------------------------------------
    /// The input was empty.
    EmptyInput,
    /// The input is larger than [`crate::MAX_MATERIAL_BYTES`]; nothing past the cap was read.
    FileTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The input is neither a PFX/PKCS#12 file nor PEM.
    UnrecognizedFormat,
    /// The input looks like PFX or PEM but is truncated or corrupt.
    Malformed {
        /// Which structure failed to decode (never secret data).
        what: String,
    },
    /// The file is protected by a password and none was given.
    PasswordRequired,
    /// The password did not open the file (its MAC or padding check failed).
    WrongPassword,
    /// The file uses an algorithm this crate does not implement.
    UnsupportedAlgorithm {
        /// The dotted OID found in the file.
        oid: String,
        /// Which algorithms are supported for this role.
        supported: &'static str,
    },
    /// A key derivation or MAC asks for more iterations than [`crate::MAX_KDF_ITERATIONS`].
    IterationCountTooHigh {
        /// The count found in the file.
        found: u64,
        /// The cap.
        limit: u64,
    },
    /// The input holds no certificate.
    NoCertificate,
    /// The input holds no private key.
    NoPrivateKey,
    /// The private key matches none of the certificates.
    KeyCertificateMismatch,
    /// The key is not RSA (Entra certificate credentials need RSA).
    UnsupportedKeyType {
        /// The key algorithm found, e.g. `EC (1.2.840.10045.2.1)`.
        found: String,
    },
    /// The RSA key size is outside 2048..=4096 bits.
    UnsupportedKeySize {
        /// The key's modulus size in bits.
        bits: usize,
    },
    /// The certificate is outside its validity period.
    CertificateExpired {
        /// The certificate's `notAfter`, RFC 3339.
        not_after: String,
    },
    /// Reading a file failed.
    Io,

    // ---- configuration ---------------------------------------------------------------
    /// The credential or command was configured with an invalid value.
    InvalidConfiguration {
        /// Which setting is wrong and why.
        reason: String,
    },
    /// A required environment variable is missing or malformed.
    Environment {
        /// The variable's name.
        variable: String,
        /// What is wrong with it.
        reason: String,
    },

    // ---- token exchange --------------------------------------------------------------
    /// The token endpoint answered with an OAuth error (Entra's JSON error shape).
    Entra(Box<EntraError>),
    /// The token endpoint answered with an error status and a body that is not Entra's JSON.
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// At most a short, printable prefix of the body.
        body_prefix: String,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// A success response that is not a valid token response.
    InvalidResponse {
        /// What was wrong, with at most a short prefix of the body.
        reason: String,
    },
    /// The response body exceeded [`crate::MAX_RESPONSE_BYTES`]; nothing past it was read.
    ResponseTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The request timed out.
    Timeout,
    /// The connection failed (DNS, TCP, TLS, or the peer hung up).
    Transport,
    /// The token is no longer usable and refreshing it failed; carries the last failure.
    RefreshFailed,
    /// A [`CertificateProvider`](crate::CertificateProvider) failed; its error is the source.
    CertificateProvider,
}

impl Error {
    /// A new error of this kind.
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                path: None,
                source: None,
            }),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The file this error is about, if it came from one.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The parsed Entra error body, for [`ErrorKind::Entra`].
    pub fn entra(&self) -> Option<&EntraError> {
        match &self.inner.kind {
            ErrorKind::Entra(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the token endpoint's answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        match &self.inner.kind {
            ErrorKind::Entra(e) => Some(e.status),
            ErrorKind::HttpStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's `Retry-After`, if it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.inner.kind {
            ErrorKind::Entra(e) => e.retry_after,
            ErrorKind::HttpStatus { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True for failures that may succeed when tried again unchanged: timeouts, connection
    /// errors, and statuses 408, 429, 500, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        match &self.inner.kind {
            ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::ResponseTooLarge { .. } | ErrorKind::InvalidResponse { .. } => false,
            _ => self
                .status()
                .is_some_and(|s| crate::retry::DEFAULT_RETRY_STATUSES.contains(&s)),
        }
    }

    /// True when the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Timeout)
    }

    /// True when the certificate's key was rejected by Entra (AADSTS700027): typically the
    /// certificate was rotated. Credentials built from a file reload it once on this error.
    pub fn is_key_not_found(&self) -> bool {
        self.entra().is_some_and(|e| e.has_code(700027))
    }

    /// Names the file this error concerns (it then appears in the message).
    #[must_use]
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.inner.path = Some(path.into());
        self
    }

    /// Attaches the underlying cause, reported by [`source`](std::error::Error::source).
    #[must_use]
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn malformed(what: impl Into<String>) -> Self {
        Error::new(ErrorKind::Malformed { what: what.into() })
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidConfiguration {
            reason: reason.into(),
        })
    }

    fn file(&self) -> String {
        match &self.inner.path {
            Some(p) => p.display().to_string(),
            None => "the input".to_owned(),
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

const PASSWORD_HOW: &str = "pass it with --password-env or AZURE_CLIENT_CERTIFICATE_PASSWORD";

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file();
        match &self.inner.kind {
            ErrorKind::EmptyInput => write!(f, "{file} is empty: point to the PFX or PEM file that holds the certificate and its private key"),
            ErrorKind::FileTooLarge { limit } => write!(f, "{file} is larger than {limit} bytes, far more than any certificate file: check that the path names the PFX or PEM file"),
            ErrorKind::UnrecognizedFormat => write!(f, "{file} is neither a PFX (PKCS#12) nor a PEM file: give a .pfx/.p12 file or PEM with -----BEGIN lines"),
            ErrorKind::Malformed { what } => write!(f, "{file} is truncated or corrupt ({what}): copy or export the file again"),
            ErrorKind::PasswordRequired => write!(f, "{file} is protected by a password and none was given: {PASSWORD_HOW}"),
            ErrorKind::WrongPassword => write!(f, "the password is wrong for {file}: {PASSWORD_HOW}"),
            ErrorKind::UnsupportedAlgorithm { oid, supported } => write!(f, "{file} uses an unsupported algorithm {oid}: supported are {supported}; re-export the file with one of them"),
            ErrorKind::IterationCountTooHigh { found, limit } => write!(f, "{file} asks for {found} key-derivation iterations, above the limit of {limit}: re-export it with a normal count (OpenSSL uses 2048)"),
            ErrorKind::NoCertificate => write!(f, "{file} holds no certificate: give the certificate too (PEM: --key for a separate key file; PFX: export it including the certificate)"),
            ErrorKind::NoPrivateKey => write!(f, "{file} holds no private key: export the PFX with its private key, or pass the key file with --key"),
            ErrorKind::KeyCertificateMismatch => write!(f, "the private key belongs to no certificate in {file}: export the PFX again including its certificate, or pair the key with its own certificate"),
            ErrorKind::UnsupportedKeyType { found } => write!(f, "{file} holds a {found} key: Entra certificate credentials need an RSA key of 2048 to 4096 bits"),
            ErrorKind::UnsupportedKeySize { bits } => write!(f, "{file} holds a {bits}-bit RSA key: RSA keys of 2048 to 4096 bits are supported; create a new certificate"),
            ErrorKind::CertificateExpired { not_after } => write!(f, "the certificate in {file} expired at {not_after}: create a new one (entra-token new-cert) and upload it to the app registration"),
            ErrorKind::Io => write!(f, "cannot read {file}: check the path and its permissions"),
            ErrorKind::InvalidConfiguration { reason } => write!(f, "invalid configuration: {reason}"),
            ErrorKind::Environment { variable, reason } => write!(f, "environment variable {variable} {reason}"),
            ErrorKind::Entra(e) => fmt::Display::fmt(e, f),
            ErrorKind::HttpStatus { status, body_prefix, .. } => write!(f, "the token endpoint answered HTTP {status} without an OAuth error body ({body_prefix:?}): check the authority host or proxy"),
            ErrorKind::InvalidResponse { reason } => write!(f, "the token endpoint sent an invalid token response ({reason}): check the authority host or proxy"),
            ErrorKind::ResponseTooLarge { limit } => write!(f, "the token endpoint sent more than {limit} bytes: check the authority host or proxy"),
            ErrorKind::Timeout => write!(f, "the token endpoint did not answer in time: check the network, proxy, or raise the timeout"),
            ErrorKind::Transport => write!(f, "cannot reach the token endpoint: check the network, proxy, and authority host"),
            ErrorKind::RefreshFailed => write!(f, "no usable token: the cached token expired and refreshing it failed"),
            ErrorKind::CertificateProvider => write!(f, "the certificate provider returned no certificate: check its access to the vault (cause below)"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(p) = &self.inner.path {
            d.field("path", p);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_the_next_step() {
        let e = Error::new(ErrorKind::KeyCertificateMismatch).with_path("/k/app.pfx");
        assert_eq!(
            e.to_string(),
            "the private key belongs to no certificate in /k/app.pfx: export the PFX again \
             including its certificate, or pair the key with its own certificate"
        );
        let e = Error::new(ErrorKind::WrongPassword);
        assert_eq!(
            e.to_string(),
            "the password is wrong for the input: pass it with --password-env or \
             AZURE_CLIENT_CERTIFICATE_PASSWORD"
        );
    }

    #[test]
    fn error_is_small_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
