//! # entra-token
//!
//! OAuth 2.0 access tokens from Microsoft Entra ID (Azure AD) with a certificate, for programs
//! that run unattended: daemons, workers, schedulers, connectors. Pure Rust: no OpenSSL, no
//! system libraries.
//!
//! ```no_run
//! # async fn run() -> Result<(), entra_token::Error> {
//! use entra_token::{ClientCertificate, Credential};
//!
//! // 1. Load the key material you were handed: PFX or PEM, told apart by content.
//! let certificate = ClientCertificate::from_file("app.pfx", Some("pfx password"))?;
//! println!("upload the certificate with thumbprint {}", certificate.sha1_hex());
//!
//! // 2. Build the credential once; clones share it (and its token cache).
//! let credential = Credential::builder(
//!     "contoso.onmicrosoft.com",
//!     "00000000-0000-0000-0000-000000000001",
//!     certificate,
//! )
//! .build()?;
//!
//! // 3. Ask for a token every time you need one, from any task.
//! let token = credential.get_token("https://graph.microsoft.com/.default").await?;
//! let header = format!("Bearer {}", token.secret());
//! # let _ = header; Ok(()) }
//! ```
//!
//! ## The caching contract
//!
//! **Call [`Credential::get_token`] every time; do not cache tokens yourself.** Tokens are
//! cached per authority, tenant, client, certificate thumbprint and scope set. A cached token
//! is returned without I/O, async locks or allocation; past its refresh time it is still
//! returned while one background refresh runs; callers without a usable token share one
//! request. The rules (in order): the server's `refresh_in`; half-life for tokens of 2 hours
//! or more; otherwise 5 minutes (at most half the lifetime) before expiry; minus up to 60 s of
//! jitter. A token is not served in the last minute (at most a quarter of its lifetime)
//! before expiry.
//!
//! ## What else is here
//!
//! * [`ClientCertificate`]: every PFX and PEM shape (PBES2, 3DES, RC2-40, BER, encrypted
//!   PKCS#8, ...), thumbprints, clear errors for every failure.
//! * [`client_assertion`]: the RFC 7523 assertion on its own (PS256 + `x5t#S256` by default).
//! * [`Credential::builder_from_file`], [`Credential::builder_from_provider`]: rotation
//!   without restart; [`Credential::from_env`]: Azure Identity's variables.
//! * [`Challenge`]: `WWW-Authenticate` parsing, including CAE claims challenges.
//! * [`export_pem`], [`export_pfx`] and (feature `new-cert`) `new_self_signed`.
//! * `emulator` (feature `emulator`): a strict local Entra token endpoint for tests.
//!
//! ## Security
//!
//! Keys, passwords, assertions, secrets and tokens are zeroized when dropped and never appear
//! in `Debug`, `Display`, errors or logs. RSA signing is always blinded; the `rsa` crate's
//! timing advisory RUSTSEC-2023-0071 concerns unblinded/decryption use and is listed by
//! `cargo audit` all the same. Inputs are capped (1 MiB files and responses, 1,000,000 KDF
//! iterations).
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

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
