//! [`Credential`]: the crate's entry type. Built once, cloned freely, asked for tokens.

mod builder;
mod scopes;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use self::builder::CredentialBuilder;
use crate::error::Result;
use crate::exchange::{ClientAuth, Exchange};
use crate::material::ClientCertificate;
use crate::secret::Secret;
use crate::token::{AccessToken, IssuedToken};

/// The longest a token is refreshed before it expires: 5 minutes (MSAL's and Azure
/// Identity's margin). Short-lived tokens are refreshed at half their life instead.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// An app registration's credential against one tenant: a certificate (the point of this
/// crate) or a client secret.
///
/// Cheap to clone (clones share one inner `Arc`), `Send + Sync`. `Debug` shows the client ID,
/// the endpoint and the certificate thumbprint, never a key or a secret.
///
/// ```no_run
/// # async fn run() -> Result<(), entra_token::Error> {
/// use entra_token::{ClientCertificate, Credential};
/// let certificate = ClientCertificate::from_file("app.pfx", None)?;
/// let credential = Credential::builder(
///     "contoso.onmicrosoft.com",
///     "00000000-0000-0000-0000-000000000001",
///     certificate,
/// )
/// .build()?;
/// let token = credential.get_token("https://graph.microsoft.com/.default").await?;
/// println!("Authorization: Bearer {}", token.secret());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Credential {
    pub(crate) inner: Arc<CredentialInner>,
}

/// What clones share. The cache sits between [`Credential::get_token_for_scopes`] and
/// [`CredentialInner::fetch`].
pub(crate) struct CredentialInner {
    /// The token request: endpoint, client, key or secret, HTTP client, retries.
    pub(crate) exchange: Exchange,
    /// The tenant as configured (also with a full token-endpoint override).
    pub(crate) tenant_id: String,
}

impl CredentialInner {
    /// Asks the token endpoint for a token for `scopes` (already checked), with the CAE
    /// `claims` challenge if any. Retries per the credential's policy; no caching.
    pub(crate) async fn fetch(&self, scopes: &[&str], claims: Option<&str>) -> Result<IssuedToken> {
        self.exchange.request_token(&scopes.join(" "), claims).await
    }
}

impl Credential {
    /// Starts configuring a certificate credential for `client_id` in `tenant_id` (a tenant
    /// GUID or a verified domain such as `contoso.onmicrosoft.com`).
    pub fn builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate: ClientCertificate,
    ) -> CredentialBuilder {
        CredentialBuilder::new(
            tenant_id.into(),
            client_id.into(),
            builder::Auth::Certificate(certificate),
        )
    }

    /// Starts configuring a client-secret credential. Prefer a certificate: a secret crosses
    /// the wire on every request. The secret is zeroized when dropped and never shown.
    ///
    /// Certificate settings of the builder (algorithm, `x5c`, assertion lifetime) do not apply.
    pub fn secret_builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<Secret>,
    ) -> CredentialBuilder {
        CredentialBuilder::new(
            tenant_id.into(),
            client_id.into(),
            builder::Auth::Secret(secret.into()),
        )
    }

    /// A token for one scope, normally `{resource}/.default` (e.g.
    /// `https://graph.microsoft.com/.default`): client credentials receive the application
    /// permissions granted to the app for that resource.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for an
    /// empty or malformed scope; otherwise the exchange's errors:
    /// [`ErrorKind::Entra`](crate::ErrorKind::Entra) with the AADSTS code and a hint,
    /// [`ErrorKind::HttpStatus`](crate::ErrorKind::HttpStatus),
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), ...
    pub async fn get_token(&self, scope: &str) -> Result<AccessToken> {
        self.get_token_for_scopes(&[scope]).await
    }

    /// A token for several scopes of **one** resource (e.g. `api://app/read` and
    /// `api://app/write` for servers that take them; Entra wants `api://app/.default`).
    /// Scopes of different resources are refused: a token is for one resource.
    ///
    /// # Errors
    /// As [`get_token`](Self::get_token).
    pub async fn get_token_for_scopes(&self, scopes: &[&str]) -> Result<AccessToken> {
        scopes::scope_param(scopes)?;
        let issued = self.inner.fetch(scopes, None).await?;
        let refresh_after = refresh_after(issued.expires_in);
        Ok(AccessToken::new(
            issued.access_token,
            issued.token_type,
            issued.sent_wall,
            issued.sent_at,
            issued.expires_in,
            refresh_after,
        ))
    }

    /// The token endpoint URL, which is also the assertion's `aud`.
    pub fn token_endpoint(&self) -> &str {
        self.inner.exchange.token_endpoint.as_str()
    }

    /// The application (client) ID.
    pub fn client_id(&self) -> &str {
        &self.inner.exchange.client_id
    }

    /// The tenant as configured.
    pub fn tenant_id(&self) -> &str {
        &self.inner.tenant_id
    }

    /// The certificate, for a certificate credential.
    pub fn certificate(&self) -> Option<&ClientCertificate> {
        match &self.inner.exchange.auth {
            ClientAuth::Certificate { certificate, .. } => Some(certificate),
            ClientAuth::Secret(_) => None,
        }
    }
}

/// `expires_in - min(5 min, expires_in / 2)`.
fn refresh_after(expires_in: Duration) -> Duration {
    expires_in - REFRESH_MARGIN.min(expires_in / 2)
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Credential");
        d.field("client_id", &self.client_id())
            .field("token_endpoint", &self.token_endpoint());
        match &self.inner.exchange.auth {
            ClientAuth::Certificate {
                certificate,
                options,
            } => d
                .field("certificate", &certificate.sha1_hex())
                .field("algorithm", &options.algorithm),
            ClientAuth::Secret(secret) => d.field("secret", secret),
        };
        d.finish()
    }
}
