//! [`AssertionOptions`]: how the client assertion is signed and what its header carries.

use std::time::Duration;

use super::SigningAlgorithm;
use crate::error::{Error, Result};

/// Default assertion lifetime: 5 minutes (`exp = nbf + 300 s`).
///
/// The assertion is used once, seconds after it is signed, so a short life limits what a leaked
/// assertion is worth. Five minutes is MSAL's and Azure Identity's choice (peers use 300–600 s)
/// and leaves room for a slow network and a few minutes of clock skew (AADSTS700024).
pub const DEFAULT_ASSERTION_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Shortest accepted assertion lifetime: 1 minute. Shorter lives fail on ordinary clock skew.
pub const MIN_ASSERTION_LIFETIME: Duration = Duration::from_secs(60);

/// Longest accepted assertion lifetime: 60 minutes. Entra sets no limit today, but an
/// assertion is a bearer credential until it expires; nothing needs longer.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// Which certificate thumbprint(s) the assertion header names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ThumbprintHeader {
    /// The one that goes with the algorithm: `x5t#S256` for PS256, `x5t` for RS256.
    #[default]
    Auto,
    /// Only `x5t` (SHA-1), whatever the algorithm.
    Sha1,
    /// Only `x5t#S256` (SHA-256), whatever the algorithm.
    Sha256,
    /// Both `x5t` and `x5t#S256`, for servers that look for either.
    Both,
}

impl ThumbprintHeader {
    /// `(send x5t, send x5t#S256)` for `algorithm`.
    pub(crate) fn select(self, algorithm: SigningAlgorithm) -> (bool, bool) {
        match self {
            ThumbprintHeader::Auto => match algorithm {
                SigningAlgorithm::Rs256 => (true, false),
                SigningAlgorithm::Ps256 => (false, true),
            },
            ThumbprintHeader::Sha1 => (true, false),
            ThumbprintHeader::Sha256 => (false, true),
            ThumbprintHeader::Both => (true, true),
        }
    }
}

/// How to sign the client assertion. Setters cannot fail; the lifetime is checked when the
/// assertion is built (or when a credential is built).
///
/// ```
/// use std::time::Duration;
/// use entra_token::{AssertionOptions, SigningAlgorithm, ThumbprintHeader};
/// let options = AssertionOptions::new()
///     .algorithm(SigningAlgorithm::Rs256)
///     .thumbprint_header(ThumbprintHeader::Both)
///     .send_certificate_chain(true)
///     .lifetime(Duration::from_secs(600));
/// assert_eq!(options.algorithm, SigningAlgorithm::Rs256);
/// assert!(options.send_x5c);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssertionOptions {
    /// The signing algorithm; default [`SigningAlgorithm::Ps256`].
    pub algorithm: SigningAlgorithm,
    /// Which thumbprint header(s) to send; default [`ThumbprintHeader::Auto`].
    pub thumbprints: ThumbprintHeader,
    /// Whether to send the certificate chain as `x5c` (subject name / issuer authentication);
    /// default `false`.
    pub send_x5c: bool,
    /// `exp - nbf`; default [`DEFAULT_ASSERTION_LIFETIME`], accepted
    /// [`MIN_ASSERTION_LIFETIME`]`..=`[`MAX_ASSERTION_LIFETIME`], whole seconds.
    pub lifetime: Duration,
}

impl Default for AssertionOptions {
    fn default() -> Self {
        AssertionOptions {
            algorithm: SigningAlgorithm::default(),
            thumbprints: ThumbprintHeader::default(),
            send_x5c: false,
            lifetime: DEFAULT_ASSERTION_LIFETIME,
        }
    }
}

impl AssertionOptions {
    /// The defaults: PS256, `x5t#S256`, no `x5c`, 5 minutes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the signing algorithm.
    pub fn algorithm(mut self, algorithm: SigningAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Sets which thumbprint header(s) to send.
    pub fn thumbprint_header(mut self, thumbprints: ThumbprintHeader) -> Self {
        self.thumbprints = thumbprints;
        self
    }

    /// Sends the certificate chain as `x5c` (standard base64 DER, leaf first). Needed for
    /// subject name / issuer (SNI) authentication.
    pub fn send_certificate_chain(mut self, send: bool) -> Self {
        self.send_x5c = send;
        self
    }

    /// Sets the assertion lifetime (`exp - nbf`), truncated to whole seconds. Accepted range:
    /// 1 to 60 minutes; anything else fails when the assertion or the credential is built.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Checks the lifetime range.
    pub(crate) fn validate(&self) -> Result<()> {
        let secs = Duration::from_secs(self.lifetime.as_secs());
        if !(MIN_ASSERTION_LIFETIME..=MAX_ASSERTION_LIFETIME).contains(&secs) {
            return Err(Error::config(format!(
                "assertion lifetime {} s is outside {}..={} s",
                self.lifetime.as_secs(),
                MIN_ASSERTION_LIFETIME.as_secs(),
                MAX_ASSERTION_LIFETIME.as_secs()
            )));
        }
        Ok(())
    }
}
