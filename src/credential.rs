//! [`Credential`]: the crate's entry type. Built once, cloned freely, asked for tokens.
//!
//! `get_token` first looks in the cache synchronously (no `.await`, no lock held across one);
//! only a miss goes to the slow path, where the cache runs one shared request per key. The
//! request itself ([`CredentialInner::fetch`]) checks the certificate's expiry, signs, sends,
//! and on AADSTS700027 reloads a rotating certificate once and retries once.

mod builder;
mod env;
mod scopes;
mod source;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use tracing::Instrument;

pub use self::builder::CredentialBuilder;
pub use self::env::{
    AZURE_CLIENT_CERTIFICATE_PASSWORD, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_ID,
    AZURE_CLIENT_SECRET, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN, AZURE_TENANT_ID,
};
pub use self::source::{
    CertificateProvider, ProviderFuture, ProviderResult, DEFAULT_FILE_CHECK_INTERVAL,
    DEFAULT_PROVIDER_CHECK_INTERVAL,
};
use self::source::{FileCheck, Source};
use crate::cache::{Identity, TokenCache};
use crate::error::{Error, Result};
use crate::exchange::{ClientAuth, Exchange};
use crate::material::ClientCertificate;
use crate::secret::Secret;
use crate::token::{AccessToken, IssuedToken};

/// Default warning window before a certificate expires: 30 days, the lead time most
/// organisations need to issue, upload and roll out a new certificate.
pub const DEFAULT_EXPIRY_WARNING: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// An app registration's credential against one tenant: a certificate (the point of this
/// crate) or a client secret.
///
/// Cheap to clone (clones share one inner `Arc`, and one token cache), `Send + Sync`. `Debug`
/// shows the client ID, the endpoint and the certificate thumbprint, never a key or a secret.
///
/// **Call [`get_token`](Self::get_token) every time you need a token; do not keep tokens
/// yourself.** A cached token is returned in well under a microsecond, refreshed in the
/// background before it expires, and concurrent callers share one request.
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

/// The name Azure Identity users look for; the same type.
pub type CertificateCredential = Credential;

/// What clones share.
pub(crate) struct CredentialInner {
    /// The token request: endpoint, client, HTTP client, retries.
    pub(crate) exchange: Exchange,
    /// The tenant as configured (also with a full token-endpoint override).
    pub(crate) tenant_id: String,
    pub(crate) cache: TokenCache,
    /// The key or secret in use and its cache identity; replaced on rotation.
    current: ArcSwap<Current>,
    /// The same `Current` when the source is fixed, so that the hit path skips the swap.
    fixed: Option<Arc<Current>>,
    source: Source,
    check_interval: Duration,
    expiry_warning: Duration,
    watcher_started: AtomicBool,
}

/// The key or secret in use, and the part of the cache key it determines.
pub(crate) struct Current {
    pub(crate) auth: ClientAuth,
    pub(crate) identity: Arc<Identity>,
}

impl Current {
    /// `auth` for `client_id` at `endpoint` (the authority, tenant and client of the key).
    pub(crate) fn new(auth: ClientAuth, endpoint: &str, tenant: &str, client_id: &str) -> Self {
        let fingerprint = match &auth {
            ClientAuth::Certificate { certificate, .. } => certificate.x5t_s256().to_owned(),
            // A secret never rotates within a credential: a random name keeps its tokens
            // apart from other credentials' without deriving anything from the secret.
            ClientAuth::Secret(_) => format!("secret:{}", uuid::Uuid::new_v4()),
        };
        Current {
            identity: Arc::new(Identity::new(endpoint, tenant, client_id, fingerprint)),
            auth,
        }
    }

    fn certificate(&self) -> Option<&ClientCertificate> {
        match &self.auth {
            ClientAuth::Certificate { certificate, .. } => Some(certificate),
            ClientAuth::Secret(_) => None,
        }
    }

    /// The same settings with another certificate; `None` for a secret (which never rotates).
    fn with_certificate(
        &self,
        certificate: ClientCertificate,
        inner: &CredentialInner,
    ) -> Option<Self> {
        let ClientAuth::Certificate { options, .. } = &self.auth else {
            return None;
        };
        let auth = ClientAuth::Certificate {
            certificate,
            options: options.clone(),
        };
        Some(Current::new(
            auth,
            inner.exchange.token_endpoint.as_str(),
            &inner.tenant_id,
            &inner.exchange.client_id,
        ))
    }
}

/// Why a token request is made, for telemetry.
#[derive(Clone, Copy, Debug)]
enum Reason {
    /// No usable token was cached.
    Miss,
    /// The cached token passed its refresh time (background).
    Refresh,
    /// [`TokenOptions::force_refresh`].
    Forced,
    /// [`TokenOptions::claims`]: never cached.
    Claims,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Miss => "miss",
            Reason::Refresh => "refresh",
            Reason::Forced => "force_refresh",
            Reason::Claims => "claims",
        }
    }
}

/// Options of [`Credential::get_token_with`].
///
/// ```
/// use entra_token::TokenOptions;
/// let forced = TokenOptions::new().force_refresh(true);
/// let cae = TokenOptions::new().claims(r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#);
/// assert!(forced.is_force_refresh() && cae.claims_json().is_some());
/// ```
#[derive(Clone, Debug, Default)]
pub struct TokenOptions {
    force_refresh: bool,
    claims: Option<String>,
}

impl TokenOptions {
    /// No options: the same as [`Credential::get_token`].
    pub fn new() -> Self {
        TokenOptions::default()
    }

    /// Fetches a new token even if a cached one is usable, and caches it (callers already
    /// waiting for a request share it). A failure leaves the cached token in service.
    pub fn force_refresh(mut self, force: bool) -> Self {
        self.force_refresh = force;
        self
    }

    /// A CAE / Conditional Access claims challenge (JSON, as
    /// [`Challenge::claims`](crate::Challenge::claims) returns it), sent as the `claims`
    /// parameter. The request bypasses the cache and its token is not cached.
    pub fn claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into());
        self
    }

    /// Whether a refresh is forced.
    pub fn is_force_refresh(&self) -> bool {
        self.force_refresh
    }

    /// The claims challenge, if any.
    pub fn claims_json(&self) -> Option<&str> {
        self.claims.as_deref()
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

    /// Starts configuring a certificate credential whose certificate is read from `path`
    /// (PFX or PEM, told apart by content) and **reloaded when the file changes**: the file
    /// is checked every [`check_interval`](CredentialBuilder::check_interval) (default
    /// [`DEFAULT_FILE_CHECK_INTERVAL`]), and again when Entra answers AADSTS700027. A file
    /// that fails to load (half written, wrong password, expired) is reported with
    /// `tracing::error!` and the current certificate stays in use.
    ///
    /// # Errors
    /// The file's errors, now: a credential never starts without a working certificate.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), entra_token::Error> {
    /// use entra_token::{Credential, Secret};
    /// let password = Secret::new(std::env::var("PFX_PASSWORD").unwrap_or_default());
    /// let credential = Credential::builder_from_file(
    ///     "contoso.onmicrosoft.com",
    ///     "00000000-0000-0000-0000-000000000001",
    ///     "/etc/app/cert.pfx",
    ///     Some(password),
    /// )?
    /// .build()?;
    /// # Ok(()) }
    /// ```
    pub fn builder_from_file(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        path: impl Into<std::path::PathBuf>,
        password: Option<Secret>,
    ) -> Result<CredentialBuilder> {
        let (file, certificate) = source::FileSource::open(path.into(), password)?;
        Ok(CredentialBuilder::new(
            tenant_id.into(),
            client_id.into(),
            builder::Auth::File(file, certificate),
        ))
    }

    /// Starts configuring a certificate credential whose certificate comes from an async
    /// `provider`, e.g. a read of a Key Vault secret: it is called now for the first
    /// certificate, then every [`check_interval`](CredentialBuilder::check_interval)
    /// (default [`DEFAULT_PROVIDER_CHECK_INTERVAL`]) and when Entra answers AADSTS700027. A
    /// new thumbprint is taken into use; a failing provider or an expired certificate is
    /// reported with `tracing::error!` and the current certificate stays in use.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), entra_token::Error> {
    /// use entra_token::{ClientCertificate, Credential};
    /// let credential = Credential::builder_from_provider(
    ///     "contoso.onmicrosoft.com",
    ///     "00000000-0000-0000-0000-000000000001",
    ///     || async {
    ///         let pfx: Vec<u8> = fetch_from_vault().await?; // your vault client
    ///         Ok(ClientCertificate::from_pfx(&pfx, None)?)
    ///     },
    /// )
    /// .await?
    /// .build()?;
    /// # Ok(()) }
    /// # async fn fetch_from_vault() -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> { Ok(vec![]) }
    /// ```
    ///
    /// # Errors
    /// The provider's first failure ([`ErrorKind::CertificateProvider`](crate::ErrorKind::CertificateProvider)
    /// wrapping it, or its own [`Error`] unchanged).
    pub async fn builder_from_provider(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        provider: impl CertificateProvider,
    ) -> Result<CredentialBuilder> {
        let certificate = provider
            .certificate()
            .await
            .map_err(source::provider_error)?;
        Ok(CredentialBuilder::new(
            tenant_id.into(),
            client_id.into(),
            builder::Auth::Provider(Arc::new(provider), certificate),
        ))
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
    /// From the cache when a token is usable (no I/O, no lock held across an `.await`);
    /// past its refresh time the cached token is still returned at once and one background
    /// refresh starts. Otherwise the callers of a scope share one request.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for an
    /// empty or malformed scope;
    /// [`ErrorKind::CertificateExpired`](crate::ErrorKind::CertificateExpired) before any
    /// request with an expired certificate; otherwise the exchange's errors:
    /// [`ErrorKind::Entra`](crate::ErrorKind::Entra) with the AADSTS code and a hint,
    /// [`ErrorKind::HttpStatus`](crate::ErrorKind::HttpStatus),
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), ... A request that failed is not
    /// repeated for the next callers until a short backoff has passed: they get its error.
    pub async fn get_token(&self, scope: &str) -> Result<AccessToken> {
        if let Some(token) = self.cached(scope) {
            return Ok(token);
        }
        Box::pin(self.acquire(&[scope], false, None)).await
    }

    /// A token for several scopes of **one** resource (e.g. `api://app/read` and
    /// `api://app/write` for servers that take them; Entra wants `api://app/.default`).
    /// Scopes of different resources are refused: a token is for one resource. Cached under
    /// the scope set, whatever the order or case of its items.
    ///
    /// # Errors
    /// As [`get_token`](Self::get_token).
    pub async fn get_token_for_scopes(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.acquire(scopes, false, None).await
    }

    /// [`get_token`](Self::get_token) with options: force a refresh, or answer a CAE claims
    /// challenge (bypassing the cache).
    ///
    /// ```no_run
    /// # async fn run(credential: entra_token::Credential, www_authenticate: &str) -> entra_token::Result<()> {
    /// use entra_token::{Challenge, TokenOptions};
    /// if let Some(challenge) = Challenge::parse(www_authenticate)? {
    ///     if let Some(claims) = challenge.claims() {
    ///         let options = TokenOptions::new().claims(claims);
    ///         let token = credential
    ///             .get_token_with("https://graph.microsoft.com/.default", &options)
    ///             .await?;
    ///         // retry the API call with `token`
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`get_token`](Self::get_token).
    pub async fn get_token_with(&self, scope: &str, options: &TokenOptions) -> Result<AccessToken> {
        self.acquire(&[scope], options.force_refresh, options.claims.as_deref())
            .await
    }

    /// Keeps the token for `scope` fresh in the background, without callers, so that even the
    /// first `get_token` after a quiet period never waits: the token is fetched now and again
    /// at each refresh time (failed refreshes are retried with backoff). The task ends when
    /// the last clone of this credential is dropped, or when the handle is aborted.
    ///
    /// Needs a tokio runtime.
    pub fn prefetch(&self, scope: impl Into<String>) -> tokio::task::JoinHandle<()> {
        let scope = scope.into();
        let owner = Arc::downgrade(&self.inner);
        tokio::spawn(crate::cache::keep_warm(owner, move |inner, force| {
            let credential = Credential { inner };
            let scope = scope.clone();
            async move {
                let options = TokenOptions::new().force_refresh(force);
                credential.get_token_with(&scope, &options).await
            }
        }))
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

    /// The certificate in use (after any rotation), for a certificate credential.
    pub fn certificate(&self) -> Option<ClientCertificate> {
        self.inner.current.load().certificate().cloned()
    }

    /// Checks a rotating certificate (file or provider) now instead of at the next interval;
    /// returns whether a new certificate was taken into use. A fixed certificate or a secret
    /// never changes.
    ///
    /// # Errors
    /// The reason a changed certificate was refused (it stays out of use), or the provider's
    /// failure.
    pub async fn reload_certificate(&self) -> Result<bool> {
        Ok(self.inner.reload().await?.is_some())
    }

    /// The synchronous hit path: a usable cached token for `scopes` as spelled, starting the
    /// background refresh when due.
    fn cached(&self, scopes: &str) -> Option<AccessToken> {
        match &self.inner.fixed {
            Some(current) => self.cached_with(current, scopes),
            None => {
                self.inner.start_watcher();
                self.cached_with(&self.inner.current.load(), scopes)
            }
        }
    }

    fn cached_with(&self, current: &Arc<Current>, scopes: &str) -> Option<AccessToken> {
        let refresh = |normal: &str| {
            let (inner, current) = (Arc::clone(&self.inner), Arc::clone(current));
            let scopes = normal.to_owned();
            async move { inner.fetch(current, &scopes, None, Reason::Refresh).await }
        };
        let token = self
            .inner
            .cache
            .lookup(&current.identity, scopes, refresh)
            .ok()?;
        tracing::trace!(
            scope = scopes,
            tenant = %self.inner.tenant_id,
            client_id = %self.inner.exchange.client_id,
            cache = "hit",
            "token served from the cache"
        );
        Some(token)
    }

    async fn acquire(
        &self,
        scopes: &[&str],
        force: bool,
        claims: Option<&str>,
    ) -> Result<AccessToken> {
        let joined = scopes::scope_param(scopes)?;
        self.inner.start_watcher();
        let current = self.inner.current.load_full();
        if let Some(claims) = claims {
            let issued = Arc::clone(&self.inner)
                .fetch(current, &joined, Some(claims), Reason::Claims)
                .await?;
            return Ok(self.inner.cache.issue_uncached(issued));
        }
        let reason = if force { Reason::Forced } else { Reason::Miss };
        let identity = Arc::clone(&current.identity);
        let load = |normal: &str| {
            let inner = Arc::clone(&self.inner);
            let scopes = normal.to_owned();
            async move { inner.fetch(current, &scopes, None, reason).await }
        };
        self.inner.cache.get(&identity, &joined, force, load).await
    }
}

impl CredentialInner {
    pub(crate) fn new(
        exchange: Exchange,
        tenant_id: String,
        cache: TokenCache,
        auth: ClientAuth,
        source: Source,
        check_interval: Duration,
        expiry_warning: Duration,
    ) -> Self {
        let current = Current::new(
            auth,
            exchange.token_endpoint.as_str(),
            &tenant_id,
            &exchange.client_id,
        );
        let current = Arc::new(current);
        CredentialInner {
            exchange,
            tenant_id,
            cache,
            fixed: (!source.reloads()).then(|| Arc::clone(&current)),
            current: ArcSwap::new(current),
            source,
            check_interval,
            expiry_warning,
            watcher_started: AtomicBool::new(false),
        }
    }

    /// One token request with `current`'s key or secret, outside the cache: refuses an
    /// expired certificate, warns of one about to expire, and on AADSTS700027 reloads a
    /// rotating certificate once and retries once with the new one.
    async fn fetch(
        self: Arc<Self>,
        current: Arc<Current>,
        scopes: &str,
        claims: Option<&str>,
        reason: Reason,
    ) -> Result<IssuedToken> {
        let span = tracing::info_span!(
            "entra_token.acquire",
            scope = scopes,
            tenant = %self.tenant_id,
            client_id = %self.exchange.client_id,
            cache = reason.as_str(),
            thumbprint = current.certificate().map(ClientCertificate::sha1_hex),
        );
        async {
            let started = tokio::time::Instant::now();
            let result = match self.request(&current, scopes, claims).await {
                Err(e) if e.is_key_not_found() && self.source.reloads() => {
                    tracing::warn!(
                        "Entra does not know the certificate (AADSTS700027): reloading it once"
                    );
                    match self.reload().await {
                        Ok(Some(new)) => self.request(&new, scopes, claims).await,
                        // Another request (or the watcher) already rotated: use that one.
                        Ok(None) if !Arc::ptr_eq(&self.current.load(), &current) => {
                            let now = self.current.load_full();
                            self.request(&now, scopes, claims).await
                        }
                        Ok(None) => {
                            tracing::error!("the certificate source still holds the rejected certificate: upload it to the app registration or rotate the file");
                            Err(e)
                        }
                        Err(reload) => {
                            tracing::error!("reloading the certificate failed: {reload}");
                            Err(e)
                        }
                    }
                }
                other => other,
            };
            let elapsed_ms = started.elapsed().as_millis() as u64;
            match &result {
                Ok(token) => tracing::info!(
                    elapsed_ms,
                    expires_in = token.expires_in.as_secs(),
                    correlation_id = %token.correlation_id,
                    "token acquired"
                ),
                Err(e) => tracing::warn!(elapsed_ms, "token request failed: {e}"),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn request(
        &self,
        current: &Current,
        scopes: &str,
        claims: Option<&str>,
    ) -> Result<IssuedToken> {
        if let Some(certificate) = current.certificate() {
            self.check_expiry(certificate)?;
        }
        self.exchange
            .request_token(&current.auth, scopes, claims)
            .await
    }

    /// Refuses an expired certificate; warns within the warning window.
    fn check_expiry(&self, certificate: &ClientCertificate) -> Result<()> {
        let now = SystemTime::now();
        source::refuse_expired(certificate.clone(), now)?;
        warn_if_expiring(
            certificate,
            now,
            self.expiry_warning,
            &self.exchange.client_id,
        );
        Ok(())
    }

    /// Checks the certificate source; a new certificate is swapped in and returned.
    async fn reload(self: &Arc<Self>) -> Result<Option<Arc<Current>>> {
        let certificate = match &self.source {
            Source::Fixed => return Ok(None),
            Source::File(_) => {
                let inner = Arc::clone(self);
                let check = tokio::task::spawn_blocking(move || match &inner.source {
                    Source::File(file) => file.check(SystemTime::now()),
                    _ => Ok(FileCheck::Unchanged),
                })
                .await
                .map_err(|e| {
                    Error::config("the certificate file check was cancelled").with_source(e)
                })?;
                match check? {
                    FileCheck::Unchanged => return Ok(None),
                    FileCheck::Changed(certificate) => certificate,
                }
            }
            Source::Provider(provider) => {
                let certificate = provider
                    .certificate()
                    .await
                    .map_err(source::provider_error)?;
                source::refuse_expired(certificate, SystemTime::now())?
            }
        };
        let old = self.current.load();
        if old.certificate().map(ClientCertificate::sha1_hex) == Some(certificate.sha1_hex()) {
            return Ok(None);
        }
        let Some(new) = old.with_certificate(certificate, self) else {
            return Ok(None);
        };
        let new = Arc::new(new);
        tracing::info!(
            tenant = %self.tenant_id,
            client_id = %self.exchange.client_id,
            old = old.certificate().map(ClientCertificate::sha1_hex),
            new = new.certificate().map(ClientCertificate::sha1_hex),
            "client certificate rotated"
        );
        self.current.store(Arc::clone(&new));
        Ok(Some(new))
    }

    /// Starts the background check of a rotating source, once, on first use (when a tokio
    /// runtime is sure to exist). It holds only a `Weak` between checks.
    fn start_watcher(self: &Arc<Self>) {
        if !self.source.reloads() || self.watcher_started.load(Ordering::Relaxed) {
            return;
        }
        if self.watcher_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak = Arc::downgrade(self);
        let interval = self.check_interval;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(inner) = weak.upgrade() else { return };
                if let Err(e) = inner.reload().await {
                    tracing::error!(
                        tenant = %inner.tenant_id,
                        client_id = %inner.exchange.client_id,
                        "the certificate could not be reloaded; the current one stays in use: {e}"
                    );
                }
            }
        });
    }
}

/// `tracing::warn!` when `certificate` expires within `window` of `now`.
fn warn_if_expiring(
    certificate: &ClientCertificate,
    now: SystemTime,
    window: Duration,
    client_id: &str,
) {
    if let Some(left) = source::expires_within(certificate, now, window) {
        tracing::warn!(
            client_id,
            thumbprint = certificate.sha1_hex(),
            days_left = left.as_secs() / 86_400,
            not_after = certificate.certificate().not_after_rfc3339(),
            "the client certificate expires soon: create a new one and upload it to the app registration"
        );
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Credential");
        d.field("client_id", &self.client_id())
            .field("token_endpoint", &self.token_endpoint());
        let current = self.inner.current.load();
        match &current.auth {
            ClientAuth::Certificate {
                certificate,
                options,
            } => d
                .field("certificate", &certificate.sha1_hex())
                .field("algorithm", &options.algorithm)
                .field("source", &self.inner.source),
            ClientAuth::Secret(secret) => d.field("secret", secret),
        };
        d.finish()
    }
}
