//! # entra-token
//!
//! OAuth 2.0 access tokens from Microsoft Entra ID with a certificate, for programs that run
//! unattended. Pure Rust: no OpenSSL, no system libraries.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod assertion;
mod authority;
mod base64url;
mod cache;
mod challenge;
mod convert;
mod credential;
#[cfg(feature = "emulator")]
pub mod emulator;
mod entra_error;
mod error;
mod exchange;
mod material;
mod refresh;
pub mod retry;
mod secret;
mod thumbprint;
mod token;

pub use crate::assertion::{
    client_assertion, decode_unverified, AssertionOptions, SigningAlgorithm, ThumbprintHeader,
    CLIENT_ASSERTION_TYPE, DEFAULT_ASSERTION_LIFETIME, MAX_ASSERTION_LIFETIME,
    MIN_ASSERTION_LIFETIME,
};
pub use crate::authority::{
    AuthorityHost, AZURE_AUTHORITY_HOST, AZURE_CHINA, AZURE_PUBLIC_CLOUD, AZURE_US_GOVERNMENT,
};
pub use crate::challenge::{Challenge, MAX_CHALLENGE_BYTES};
pub use crate::convert::{export_pem, export_pfx, PemExport, EXPORT_KDF_ITERATIONS};
#[cfg(feature = "new-cert")]
pub use crate::convert::{new_self_signed, KEY_BITS_CHOICES, MAX_CERT_DAYS};
pub use crate::credential::{
    CertificateCredential, CertificateProvider, Credential, CredentialBuilder, ProviderFuture,
    ProviderResult, TokenOptions, AZURE_CLIENT_CERTIFICATE_PASSWORD, AZURE_CLIENT_CERTIFICATE_PATH,
    AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN, AZURE_TENANT_ID,
    DEFAULT_EXPIRY_WARNING, DEFAULT_FILE_CHECK_INTERVAL, DEFAULT_PROVIDER_CHECK_INTERVAL,
};
pub use crate::entra_error::{hint_for, EntraError};
pub use crate::error::{Error, ErrorKind, Result};
pub use crate::exchange::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};
pub use crate::material::{
    read_certificates, read_material_file, CertificateInfo, ClientCertificate, MaterialFormat,
    MAX_KDF_ITERATIONS, MAX_MATERIAL_BYTES, MAX_RSA_BITS, MIN_RSA_BITS,
};
pub use crate::retry::RetryPolicy;
pub use crate::secret::Secret;
pub use crate::thumbprint::Thumbprints;
pub use crate::token::AccessToken;

/// Hooks for this crate's benchmarks. Not part of the API: may change in any release.
#[doc(hidden)]
pub mod __bench {
    pub use crate::cache::bench::FakeCache;
}

/// Largest token-endpoint response body read: 1 MiB. Real responses are a few kilobytes.
pub const MAX_RESPONSE_BYTES: u64 = 1 << 20;
