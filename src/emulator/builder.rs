//! [`EmulatorBuilder`]: infallible setters, then `start()` (on the caller's tokio runtime) or
//! `start_in_background()` (on the emulator's own thread and runtime).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::state::Shared;
use super::validate::{Policy, RegisteredCertificate};
use super::{server, tls, Emulator};
use crate::error::{Error, Result};
use crate::material::{CertificateInfo, ClientCertificate};
use crate::secret::Secret;

/// Tenant the emulator serves unless told otherwise: an obviously fake, fixed GUID.
pub const DEFAULT_TENANT: &str = "00000000-0000-0000-0000-000000000001";
/// Client (application) ID registered unless told otherwise.
pub const DEFAULT_CLIENT_ID: &str = "00000000-0000-0000-0000-000000000002";
/// `expires_in` of issued tokens: 3599 s, what Entra answers for app-only tokens.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3599);
/// Clock difference tolerated on `nbf`/`exp`: 5 minutes, Entra's documented skew.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(300);
/// Longest accepted `exp - nbf`: 1 hour. Entra sets no limit today; peers sign for 5 to 10
/// minutes, so anything longer is a bug worth catching in tests.
pub const DEFAULT_MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// Configures and starts an [`Emulator`]. Setters never fail; [`start`](Self::start) and
/// [`start_in_background`](Self::start_in_background) check the whole configuration.
///
/// ```
/// use std::time::Duration;
/// use entra_token::emulator::Emulator;
///
/// # fn main() -> entra_token::Result<()> {
/// let pem = std::fs::read("tests/data/emulator/client.pem").unwrap();
/// let cert = entra_token::ClientCertificate::from_pem(&pem)?;
/// let emulator = Emulator::builder()
///     .tenant("contoso.onmicrosoft.com")
///     .client_id("11111111-2222-3333-4444-555555555555")
///     .register_certificate(cert.certificate().der())
///     .token_lifetime(Duration::from_secs(600))
///     .refresh_in(Some(Duration::from_secs(300)))
///     .start_in_background()?;
/// assert!(emulator.token_endpoint().ends_with("/contoso.onmicrosoft.com/oauth2/v2.0/token"));
/// # Ok(()) }
/// ```
#[must_use]
#[derive(Clone)]
pub struct EmulatorBuilder {
    tenant: String,
    client_id: String,
    certificates: Vec<Vec<u8>>,
    secret: Option<Secret>,
    token_lifetime: Duration,
    refresh_in: Option<Duration>,
    clock_skew: Duration,
    max_assertion_lifetime: Duration,
    https: bool,
    port: u16,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            tenant: DEFAULT_TENANT.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            certificates: Vec::new(),
            secret: None,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            refresh_in: None,
            clock_skew: DEFAULT_CLOCK_SKEW,
            max_assertion_lifetime: DEFAULT_MAX_ASSERTION_LIFETIME,
            https: false,
            port: 0,
        }
    }
}

impl EmulatorBuilder {
    /// The tenant served at `/{tenant}/oauth2/v2.0/token` (default [`DEFAULT_TENANT`]).
    /// Other tenants get AADSTS90002.
    pub fn tenant(mut self, tenant: &str) -> Self {
        self.tenant = tenant.to_owned();
        self
    }

    /// The registered application's client ID (default [`DEFAULT_CLIENT_ID`]). Other IDs get
    /// AADSTS700016.
    pub fn client_id(mut self, client_id: &str) -> Self {
        self.client_id = client_id.to_owned();
        self
    }

    /// Uploads a certificate (DER) to the app registration; may be called several times, as
    /// during a rotation. Its RSA key verifies assertions whose `x5t`/`x5t#S256` name it.
    pub fn register_certificate(mut self, der: &[u8]) -> Self {
        self.certificates.push(der.to_vec());
        self
    }

    /// [`register_certificate`](Self::register_certificate) with a parsed certificate.
    pub fn register_certificate_info(self, certificate: &CertificateInfo) -> Self {
        self.register_certificate(certificate.der())
    }

    /// Registers the leaf certificate of loaded key material (never its private key).
    pub fn register_client_certificate(self, certificate: &ClientCertificate) -> Self {
        self.register_certificate(certificate.certificate().der())
    }

    /// Registers a client secret, accepted as `client_secret` in place of an assertion. A
    /// wrong secret gets AADSTS7000215.
    pub fn client_secret(mut self, secret: &str) -> Self {
        self.secret = Some(Secret::new(secret));
        self
    }

    /// `expires_in` (and `ext_expires_in`) of issued tokens (default
    /// [`DEFAULT_TOKEN_LIFETIME`]); at least one second.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// `refresh_in` sent with issued tokens, or `None` to omit it (the default).
    pub fn refresh_in(mut self, refresh_in: Option<Duration>) -> Self {
        self.refresh_in = refresh_in;
        self
    }

    /// Clock difference tolerated when checking `nbf`, `iat` and `exp` (default
    /// [`DEFAULT_CLOCK_SKEW`]).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Longest accepted assertion lifetime, `exp - nbf` (default
    /// [`DEFAULT_MAX_ASSERTION_LIFETIME`]); longer ones get AADSTS700024.
    pub fn max_assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_assertion_lifetime = lifetime;
        self
    }

    /// Serves HTTPS with a certificate generated at start for `127.0.0.1` and `localhost`;
    /// trust [`Emulator::ca_pem`]. Default: plain HTTP.
    pub fn https(mut self, https: bool) -> Self {
        self.https = https;
        self
    }

    /// Listens on this port of 127.0.0.1; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts the emulator on the current tokio runtime and returns once it listens. It
    /// stops when the [`Emulator`] is dropped or the runtime shuts down.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when the
    /// configuration is invalid, the port is taken, or no tokio runtime is running.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> entra_token::Result<()> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("not-a-real-secret")
    ///     .start()
    ///     .await?;
    /// assert!(emulator.authority_host().starts_with("http://127.0.0.1:"));
    /// # Ok(()) }
    /// ```
    pub async fn start(self) -> Result<Emulator> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::config("Emulator start() needs a tokio runtime: use start_in_background()")
        })?;
        let prepared = self.prepare()?;
        let (stop, stopped) = watch::channel(false);
        let acceptor = prepared.tls.as_ref().map(|t| t.acceptor.clone());
        let shared = Arc::clone(&prepared.shared);
        runtime.spawn(server::serve(prepared.listener, acceptor, shared, stopped));
        Ok(Emulator::new(prepared.parts, stop, None))
    }

    /// Starts the emulator on its own OS thread with its own multi-thread tokio runtime, so it
    /// runs in real time whatever the caller does (a paused tokio clock, no runtime at all).
    ///
    /// # Errors
    /// As [`start`](Self::start), plus failures to create the thread or runtime.
    ///
    /// ```
    /// # fn main() -> entra_token::Result<()> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("not-a-real-secret")
    ///     .https(true)
    ///     .start_in_background()?;
    /// assert!(emulator.ca_pem().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    /// emulator.shutdown();
    /// # Ok(()) }
    /// ```
    pub fn start_in_background(self) -> Result<Emulator> {
        let prepared = self.prepare()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("entra-token-emulator")
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("emulator runtime: {e}")).with_source(e))?;
        let (stop, stopped) = watch::channel(false);
        let acceptor = prepared.tls.as_ref().map(|t| t.acceptor.clone());
        let shared = Arc::clone(&prepared.shared);
        let listener = prepared.listener;
        let thread = std::thread::Builder::new()
            .name("entra-token-emulator".to_owned())
            .spawn(move || runtime.block_on(server::serve(listener, acceptor, shared, stopped)))
            .map_err(|e| Error::config(format!("emulator thread: {e}")).with_source(e))?;
        Ok(Emulator::new(prepared.parts, stop, Some(thread)))
    }

    fn check(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::config(format!("emulator: {what}")));
        if self.tenant.is_empty() || self.tenant.contains(['/', '?', '#', ' ']) {
            return bad("the tenant must be a GUID or domain, without '/', '?', '#' or spaces");
        }
        if self.client_id.trim().is_empty() {
            return bad("the client ID is empty");
        }
        if self.certificates.is_empty() && self.secret.is_none() {
            return bad("register a certificate or a client secret");
        }
        if self.token_lifetime < Duration::from_secs(1) {
            return bad("the token lifetime must be at least one second");
        }
        if self.max_assertion_lifetime < Duration::from_secs(1) {
            return bad("the maximum assertion lifetime must be at least one second");
        }
        Ok(())
    }

    /// Checks the configuration, binds the port and builds the shared state.
    fn prepare(self) -> Result<Prepared> {
        self.check()?;
        let certificates = self
            .certificates
            .iter()
            .map(|der| RegisteredCertificate::from_der(der))
            .collect::<Result<Vec<_>>>()?;
        let tls = if self.https {
            Some(tls::generate()?)
        } else {
            None
        };
        let listener = server::bind(self.port)?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::config(format!("emulator address: {e}")).with_source(e))?;
        let scheme = if self.https { "https" } else { "http" };
        let path = format!("/{}/oauth2/v2.0/token", self.tenant);
        let audiences = vec![
            format!("{scheme}://127.0.0.1:{}{path}", addr.port()),
            format!("{scheme}://localhost:{}{path}", addr.port()),
        ];
        let seconds = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let policy = Policy {
            tenant: self.tenant,
            client_id: self.client_id,
            certificates,
            secret: self.secret,
            clock_skew: seconds(self.clock_skew),
            max_assertion_lifetime: seconds(self.max_assertion_lifetime),
            audiences,
        };
        let shared = Arc::new(Shared::new(policy, self.token_lifetime, self.refresh_in));
        Ok(Prepared {
            listener,
            parts: Parts {
                shared: Arc::clone(&shared),
                authority_host: format!("{scheme}://127.0.0.1:{}", addr.port()),
                ca_pem: tls.as_ref().map(|t| t.ca_pem.clone()),
            },
            shared,
            tls,
        })
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("certificates", &self.certificates.len())
            .field("secret", &self.secret)
            .field("token_lifetime", &self.token_lifetime)
            .field("refresh_in", &self.refresh_in)
            .field("clock_skew", &self.clock_skew)
            .field("max_assertion_lifetime", &self.max_assertion_lifetime)
            .field("https", &self.https)
            .field("port", &self.port)
            .finish()
    }
}

struct Prepared {
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<tls::Tls>,
    parts: Parts,
}

/// What the [`Emulator`] handle keeps.
pub(crate) struct Parts {
    pub(crate) shared: Arc<Shared>,
    pub(crate) authority_host: String,
    pub(crate) ca_pem: Option<String>,
}
