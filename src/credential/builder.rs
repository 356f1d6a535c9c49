//! [`CredentialBuilder`]: setters that cannot fail, one `build()` that checks everything.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::source::{
    CertificateProvider, FileSource, Source, DEFAULT_FILE_CHECK_INTERVAL,
    DEFAULT_PROVIDER_CHECK_INTERVAL,
};
use super::{Credential, CredentialInner, DEFAULT_EXPIRY_WARNING};
use crate::assertion::{AssertionOptions, SigningAlgorithm, ThumbprintHeader};
use crate::authority::{Authority, AuthorityHost};
use crate::cache::{CacheConfig, TokenCache, DEFAULT_MAX_ENTRIES};
use crate::error::{Error, Result};
use crate::exchange::{
    default_http_client, ClientAuth, Exchange, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
};
use crate::material::ClientCertificate;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

pub(super) enum Auth {
    Certificate(ClientCertificate),
    File(FileSource, ClientCertificate),
    Provider(Arc<dyn CertificateProvider>, ClientCertificate),
    Secret(Secret),
}

/// Configures a [`Credential`]. Every setter accepts any value; [`build`](Self::build)
/// checks them all at once.
///
/// ```
/// # fn main() -> Result<(), entra_token::Error> {
/// use std::time::Duration;
/// use entra_token::{AuthorityHost, ClientCertificate, Credential, RetryPolicy, SigningAlgorithm};
/// let pem = std::fs::read("tests/data/exchange/app.pem").unwrap();
/// let credential = Credential::builder(
///     "72f988bf-86f1-41af-91ab-2d7cd011db47",
///     "00000000-0000-0000-0000-000000000001",
///     ClientCertificate::from_pem(&pem)?,
/// )
/// .authority_host(AuthorityHost::UsGovernment)
/// .algorithm(SigningAlgorithm::Rs256)
/// .send_certificate_chain(true)
/// .timeout(Some(Duration::from_secs(10)))
/// .retry_policy(RetryPolicy::default().max_attempts(2))
/// .build()?;
/// assert_eq!(
///     credential.token_endpoint(),
///     "https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
/// );
/// # Ok(()) }
/// ```
pub struct CredentialBuilder {
    tenant_id: String,
    client_id: String,
    auth: Auth,
    authority_host: AuthorityHost,
    token_endpoint: Option<String>,
    algorithm: Option<SigningAlgorithm>,
    /// Thumbprint header, `x5c` and lifetime; the algorithm is resolved at build (its
    /// default depends on the endpoint).
    assertion: AssertionOptions,
    http_client: Option<reqwest::Client>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    root_certificates: Vec<Vec<u8>>,
    cache_capacity: usize,
    refresh_jitter: bool,
    check_interval: Option<Duration>,
    expiry_warning: Duration,
}

impl CredentialBuilder {
    pub(super) fn new(tenant_id: String, client_id: String, auth: Auth) -> Self {
        CredentialBuilder {
            tenant_id,
            client_id,
            auth,
            authority_host: AuthorityHost::default(),
            token_endpoint: None,
            algorithm: None,
            assertion: AssertionOptions::default(),
            http_client: None,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            retry: RetryPolicy::default(),
            root_certificates: Vec::new(),
            cache_capacity: DEFAULT_MAX_ENTRIES,
            refresh_jitter: true,
            check_interval: None,
            expiry_warning: DEFAULT_EXPIRY_WARNING,
        }
    }

    /// The cloud: [`AuthorityHost::Public`] (default), a national cloud, or any `https://`
    /// host (`http://` only on loopback). Pass `AuthorityHost::from_env()?` to honour
    /// `AZURE_AUTHORITY_HOST`.
    pub fn authority_host(mut self, host: impl Into<AuthorityHost>) -> Self {
        self.authority_host = host.into();
        self
    }

    /// A full token endpoint instead of `{host}/{tenant}/oauth2/v2.0/token`, for ADFS
    /// (`https://adfs.contoso.com/adfs/oauth2/token`) and other RFC 7523 servers. The
    /// assertion's `aud` is then this URL, and the default algorithm becomes RS256.
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }

    /// The assertion's signing algorithm. Default: PS256 for Entra, RS256 with
    /// [`token_endpoint`](Self::token_endpoint).
    pub fn algorithm(mut self, algorithm: SigningAlgorithm) -> Self {
        self.algorithm = Some(algorithm);
        self
    }

    /// Which thumbprint header(s) the assertion carries; default: the algorithm's own.
    pub fn thumbprint_header(mut self, thumbprints: ThumbprintHeader) -> Self {
        self.assertion = self.assertion.thumbprint_header(thumbprints);
        self
    }

    /// Sends the certificate chain (`x5c`) for subject name / issuer authentication.
    /// Default `false`.
    pub fn send_certificate_chain(mut self, send: bool) -> Self {
        self.assertion = self.assertion.send_certificate_chain(send);
        self
    }

    /// The assertion's lifetime; default 5 minutes, accepted 1 to 60 minutes.
    pub fn assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.assertion = self.assertion.lifetime(lifetime);
        self
    }

    /// Uses this HTTP client instead of the default one (rustls, system roots, proxy
    /// variables, no redirects). Its own connect timeout, roots, proxy and redirect policy then
    /// apply; [`connect_timeout`](Self::connect_timeout) does not.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Connect timeout of the default client; default
    /// [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT) (10 s); `None` waits as
    /// long as the system does.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Timeout of each try, from sending to the last byte of the answer; default
    /// [`DEFAULT_REQUEST_TIMEOUT`](crate::DEFAULT_REQUEST_TIMEOUT) (30 s); `None` disables
    /// it (tests on tokio's paused clock need that). Retries have their own budget, see
    /// [`RetryPolicy::max_total`].
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// When to retry; default [`RetryPolicy::default`], [`RetryPolicy::none`] for never.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Also trusts the CA certificate(s) in this PEM, e.g. the local emulator's (`ca_pem()`)
    /// or a TLS-inspecting proxy's.
    /// Only for the default HTTP client.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.root_certificates.push(pem.to_vec());
        self
    }

    /// At most this many tokens (scope sets × certificates) are cached; default 128. When
    /// full, expired entries go first, then the one that expires soonest.
    pub fn cache_capacity(mut self, entries: usize) -> Self {
        self.cache_capacity = entries;
        self
    }

    /// Whether refresh times get a random delay of up to a minute, so a fleet started
    /// together does not refresh in lockstep; default `true`. Turn off for deterministic
    /// tests.
    pub fn refresh_jitter(mut self, jitter: bool) -> Self {
        self.refresh_jitter = jitter;
        self
    }

    /// How often a rotating certificate (see [`Credential::builder_from_file`] and
    /// [`Credential::builder_from_provider`]) is checked; default
    /// [`DEFAULT_FILE_CHECK_INTERVAL`] for a file, [`DEFAULT_PROVIDER_CHECK_INTERVAL`] for a
    /// provider; at least one second. No effect on a fixed certificate.
    pub fn check_interval(mut self, interval: Duration) -> Self {
        self.check_interval = Some(interval);
        self
    }

    /// How long before the certificate expires `tracing::warn!` starts announcing it (at
    /// build, and with each token request); default
    /// [`DEFAULT_EXPIRY_WARNING`](crate::DEFAULT_EXPIRY_WARNING) (30 days).
    pub fn expiry_warning(mut self, window: Duration) -> Self {
        self.expiry_warning = window;
        self
    }

    /// Checks every setting and builds the credential.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration): an empty
    /// or malformed client ID or tenant, a multi-tenant alias (`common`, ...), a host that is
    /// not `https://` (or `http://` on loopback), an assertion lifetime out of range, a PEM
    /// without a certificate, or root certificates together with a custom HTTP client.
    pub fn build(self) -> Result<Credential> {
        let client_id = self.client_id.trim().to_owned();
        if client_id.is_empty()
            || client_id
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::config(format!(
                "client ID {:?} is empty or contains spaces: give the application (client) ID",
                self.client_id
            )));
        }
        let authority = match &self.token_endpoint {
            Some(url) => Authority::endpoint(url)?,
            None => Authority::entra(&self.authority_host, &self.tenant_id)?,
        };
        let default_algorithm = if authority.is_overridden() {
            SigningAlgorithm::Rs256
        } else {
            SigningAlgorithm::Ps256
        };
        let options = self
            .assertion
            .algorithm(self.algorithm.unwrap_or(default_algorithm));
        let expiry_warning = self.expiry_warning;
        let client = client_id.clone();
        let certificate_auth =
            |certificate, path: Option<&std::path::Path>| -> Result<ClientAuth> {
                options.validate()?;
                let now = SystemTime::now();
                let certificate =
                    super::source::refuse_expired(certificate, now).map_err(|e| match path {
                        Some(path) => e.with_path(path),
                        None => e,
                    })?;
                super::warn_if_expiring(&certificate, now, expiry_warning, &client);
                Ok(ClientAuth::Certificate {
                    certificate,
                    options: options.clone(),
                })
            };
        let (auth, source) = match self.auth {
            Auth::Certificate(c) => (certificate_auth(c, None)?, Source::Fixed),
            Auth::File(file, c) => {
                let auth = certificate_auth(c, Some(&file.path))?;
                (auth, Source::File(file))
            }
            Auth::Provider(provider, c) => (certificate_auth(c, None)?, Source::Provider(provider)),
            Auth::Secret(secret) if secret.secret().is_empty() => {
                return Err(Error::config("the client secret is empty"));
            }
            Auth::Secret(secret) => (ClientAuth::Secret(secret), Source::Fixed),
        };
        let check_interval = match (&source, self.check_interval) {
            (_, Some(interval)) => interval.max(Duration::from_secs(1)),
            (Source::Provider(_), None) => DEFAULT_PROVIDER_CHECK_INTERVAL,
            _ => DEFAULT_FILE_CHECK_INTERVAL,
        };
        let http = match self.http_client {
            Some(_) if !self.root_certificates.is_empty() => {
                return Err(Error::config(
                    "root certificates were added but a custom HTTP client was given: add them \
                     to that client instead",
                ));
            }
            Some(client) => client,
            None => {
                default_http_client(self.connect_timeout, &parse_roots(&self.root_certificates)?)?
            }
        };
        let exchange = Exchange {
            http,
            token_endpoint: authority.token_endpoint().clone(),
            client_id,
            timeout: self.timeout,
            retry: self.retry,
        };
        let cache = TokenCache::new(CacheConfig {
            max_entries: self.cache_capacity.max(1),
            jitter: self.refresh_jitter,
        });
        Ok(Credential {
            inner: Arc::new(CredentialInner::new(
                exchange,
                self.tenant_id.trim().to_owned(),
                cache,
                auth,
                source,
                check_interval,
                self.expiry_warning,
            )),
        })
    }
}

/// Every `CERTIFICATE` block of each PEM; a PEM without one is an error.
fn parse_roots(pems: &[Vec<u8>]) -> Result<Vec<reqwest::Certificate>> {
    let mut roots = Vec::new();
    for pem in pems {
        let blocks = ::pem::parse_many(pem).unwrap_or_default();
        let before = roots.len();
        for block in blocks.iter().filter(|b| b.tag() == "CERTIFICATE") {
            let cert = reqwest::Certificate::from_der(block.contents())
                .map_err(|e| Error::config("a root certificate cannot be loaded").with_source(e))?;
            roots.push(cert);
        }
        if roots.len() == before {
            return Err(Error::config(
                "a root certificate PEM holds no -----BEGIN CERTIFICATE----- block",
            ));
        }
    }
    Ok(roots)
}

impl fmt::Debug for CredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("authority_host", &self.authority_host)
            .field("token_endpoint", &self.token_endpoint)
            .finish_non_exhaustive()
    }
}
