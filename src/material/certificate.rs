//! One parsed X.509 certificate and the facts users ask about it.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use der::{Decode, Encode};
use x509_cert::Certificate;

use crate::error::{Error, Result};
use crate::material::key;
use crate::thumbprint::Thumbprints;

/// A parsed X.509 certificate: its DER bytes and the facts `inspect` shows.
///
/// Cheap to clone (the DER is shared).
#[derive(Clone)]
pub struct CertificateInfo {
    der: Arc<[u8]>,
    subject: String,
    issuer: String,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    serial_hex: String,
    not_before: SystemTime,
    not_after: SystemTime,
    not_before_text: String,
    not_after_text: String,
    key: key::PublicKeyFacts,
    spki_der: Vec<u8>,
    thumbprints: Thumbprints,
}

impl CertificateInfo {
    /// Parses a DER-encoded X.509 certificate.
    ///
    /// # Errors
    /// [`ErrorKind::Malformed`](crate::ErrorKind::Malformed) when the bytes are not a certificate.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert = Certificate::from_der(der).map_err(|_| Error::malformed("X.509 certificate"))?;
        let tbs = cert.tbs_certificate();
        let spki_der = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|_| Error::malformed("certificate public key"))?;
        let validity = tbs.validity();
        let serial_hex = tbs
            .serial_number()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        Ok(CertificateInfo {
            der: Arc::from(der),
            subject: tbs.subject().to_string(),
            issuer: tbs.issuer().to_string(),
            subject_der: tbs.subject().to_der().unwrap_or_default(),
            issuer_der: tbs.issuer().to_der().unwrap_or_default(),
            serial_hex,
            not_before: validity.not_before.to_system_time(),
            not_after: validity.not_after.to_system_time(),
            not_before_text: validity.not_before.to_date_time().to_string(),
            not_after_text: validity.not_after.to_date_time().to_string(),
            key: key::PublicKeyFacts::of_spki(&spki_der),
            spki_der,
            thumbprints: Thumbprints::of_der(der),
        })
    }

    /// The certificate's DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Subject distinguished name, RFC 4514 (`CN=app,O=Contoso`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Issuer distinguished name, RFC 4514.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Serial number as uppercase hex, as Windows shows it.
    pub fn serial_hex(&self) -> &str {
        &self.serial_hex
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }

    /// End of the validity period.
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// `notBefore` as RFC 3339 UTC.
    pub fn not_before_rfc3339(&self) -> &str {
        &self.not_before_text
    }

    /// `notAfter` as RFC 3339 UTC.
    pub fn not_after_rfc3339(&self) -> &str {
        &self.not_after_text
    }

    /// True when `time` lies within `[notBefore, notAfter]`.
    pub fn is_valid_at(&self, time: SystemTime) -> bool {
        self.not_before <= time && time <= self.not_after
    }

    /// The public key's algorithm, e.g. `RSA` or `EC P-256`.
    pub fn key_algorithm(&self) -> &str {
        &self.key.algorithm
    }

    /// The public key's size in bits, when known (RSA modulus size; EC curve size).
    pub fn key_bits(&self) -> Option<usize> {
        self.key.bits
    }

    /// The thumbprints of this certificate.
    pub fn thumbprints(&self) -> &Thumbprints {
        &self.thumbprints
    }

    /// True when subject and issuer are the same name.
    pub fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    pub(crate) fn issued(&self, child: &CertificateInfo) -> bool {
        self.subject_der == child.issuer_der
    }
}

impl fmt::Debug for CertificateInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateInfo")
            .field("subject", &self.subject)
            .field("sha1", &self.thumbprints.sha1_hex())
            .finish()
    }
}

impl PartialEq for CertificateInfo {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for CertificateInfo {}
