//! [`Emulator`]: the handle to a running emulator (shared state, fault queue, clock, stop).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use super::builder::Parts;
use super::state::{lock, Counters, LastRequest};
use super::validate::RegisteredCertificate;
use super::{EmulatorBuilder, Fault};
use crate::error::Result;
use crate::material::CertificateInfo;

/// A running emulator. Cheap to clone (clones share one server); the server stops when
/// [`shutdown`](Self::shutdown) is called or the last clone is dropped.
///
/// ```
/// # fn main() -> entra_token::Result<()> {
/// use entra_token::emulator::{Emulator, Fault};
///
/// let emulator = Emulator::builder().client_secret("s").start_in_background()?;
/// emulator.inject(Fault::Status(503));
/// emulator.set_outage(Some(500));
/// emulator.set_outage(None);
/// assert_eq!(emulator.counters().total, 0);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Running>,
}

struct Running {
    parts: Parts,
    stop: Mutex<Option<watch::Sender<bool>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Emulator {
    /// A builder with the defaults: [`DEFAULT_TENANT`](super::DEFAULT_TENANT), [`DEFAULT_CLIENT_ID`](super::DEFAULT_CLIENT_ID), plain HTTP on
    /// an ephemeral port.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    pub(crate) fn new(
        parts: Parts,
        stop: watch::Sender<bool>,
        thread: Option<JoinHandle<()>>,
    ) -> Self {
        Emulator {
            inner: Arc::new(Running {
                parts,
                stop: Mutex::new(Some(stop)),
                thread: Mutex::new(thread),
            }),
        }
    }

    /// Scheme, host and port, e.g. `http://127.0.0.1:49152`: the authority host to configure
    /// a client with.
    ///
    /// ```
    /// # fn main() -> entra_token::Result<()> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("s")
    ///     .start_in_background()?;
    /// let host = emulator.authority_host();
    /// assert!(host.starts_with("http://127.0.0.1:"));
    /// assert_eq!(
    ///     emulator.token_endpoint(),
    ///     format!("{host}/{}/oauth2/v2.0/token", emulator.tenant())
    /// );
    /// # Ok(()) }
    /// ```
    pub fn authority_host(&self) -> String {
        self.inner.parts.authority_host.clone()
    }

    /// The token endpoint URL, `{authority_host}/{tenant}/oauth2/v2.0/token`: also the `aud`
    /// assertions must carry (`localhost` in place of `127.0.0.1` is accepted too).
    pub fn token_endpoint(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.inner.parts.authority_host,
            self.tenant()
        )
    }

    /// The tenant served ([`DEFAULT_TENANT`](super::DEFAULT_TENANT) unless configured).
    pub fn tenant(&self) -> &str {
        &self.inner.parts.shared.tenant
    }

    /// The registered client ID ([`DEFAULT_CLIENT_ID`](super::DEFAULT_CLIENT_ID) unless configured).
    pub fn client_id(&self) -> &str {
        &self.inner.parts.shared.client_id
    }

    /// PEM of the CA that issued the HTTPS certificate, for clients to trust; `None` over
    /// plain HTTP.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("s")
    ///     .https(true)
    ///     .start_in_background()?;
    /// let ca = reqwest::Certificate::from_pem(emulator.ca_pem().unwrap().as_bytes())?;
    /// let client = reqwest::Client::builder().add_root_certificate(ca).build()?;
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub fn ca_pem(&self) -> Option<String> {
        self.inner.parts.ca_pem.clone()
    }

    /// Queues a fault for a coming request (first in, first out; one request each).
    ///
    /// ```
    /// # fn main() -> entra_token::Result<()> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("s")
    ///     .start_in_background()?;
    /// emulator.inject(entra_token::emulator::Fault::DropConnection);
    /// assert_eq!(emulator.pending_faults(), 1);
    /// emulator.clear_faults();
    /// assert_eq!(emulator.pending_faults(), 0);
    /// # Ok(()) }
    /// ```
    pub fn inject(&self, fault: Fault) {
        self.inner.parts.shared.push_fault(fault);
    }

    /// How many queued faults have not been served yet.
    pub fn pending_faults(&self) -> usize {
        self.inner.parts.shared.pending_faults()
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.inner.parts.shared.clear_faults();
    }

    /// Registers another certificate while serving, as uploading one to the app registration
    /// does (for rotation tests). Registering the same certificate twice changes nothing.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for a
    /// certificate without an RSA key.
    pub fn add_certificate(&self, certificate: &CertificateInfo) -> Result<()> {
        let registered = RegisteredCertificate::from_der(certificate.der())?;
        self.inner.parts.shared.add_certificate(registered);
        Ok(())
    }

    /// Removes a registered certificate, as deleting it from the app registration does:
    /// assertions signed with its key then get AADSTS700027. Returns whether it was
    /// registered.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use entra_token::{emulator::Emulator, ClientCertificate};
    /// let app = ClientCertificate::from_file("fixtures/pem/rsa2048-combined.pem", None)?;
    /// let emulator = Emulator::builder().client_secret("s").start().await?;
    /// emulator.add_certificate(app.certificate())?;
    /// assert!(emulator.remove_certificate(app.certificate()));
    /// assert!(!emulator.remove_certificate(app.certificate()));
    /// # Ok(()) }
    /// ```
    pub fn remove_certificate(&self, certificate: &CertificateInfo) -> bool {
        self.inner
            .parts
            .shared
            .remove_certificate(certificate.thumbprints().sha1_hex())
    }

    /// `Some(status)`: answer every request with this status and an Entra-shaped body until
    /// cleared with `None` (queued faults wait meanwhile).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("s")
    ///     .start()
    ///     .await?;
    /// emulator.set_outage(Some(503));
    /// let response = reqwest::Client::new().post(emulator.token_endpoint()).send().await?;
    /// assert_eq!(response.status(), 503);
    /// emulator.set_outage(None);
    /// assert_eq!(emulator.counters().faults, 1);
    /// # Ok(()) }
    /// ```
    pub fn set_outage(&self, status: Option<u16>) {
        self.inner.parts.shared.set_outage(status);
    }

    /// A snapshot of the request counters.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("s")
    ///     .start()
    ///     .await?;
    /// let form = [("grant_type", "password")];
    /// let response = reqwest::Client::new().post(emulator.token_endpoint()).form(&form).send().await?;
    /// assert_eq!(response.status(), 400);
    /// let counters = emulator.counters();
    /// assert_eq!((counters.total, counters.rejected_with(70003)), (1, 1));
    /// emulator.reset_counters();
    /// assert_eq!(emulator.counters().total, 0);
    /// # Ok(()) }
    /// ```
    pub fn counters(&self) -> Counters {
        self.inner.parts.shared.counters()
    }

    /// Sets every counter back to zero.
    pub fn reset_counters(&self) {
        self.inner.parts.shared.reset_counters();
    }

    /// The last token request received, minus secrets; `None` before the first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("s")
    ///     .start()
    ///     .await?;
    /// let form = [("grant_type", "client_credentials"), ("client_secret", "guess")];
    /// reqwest::Client::new().post(emulator.token_endpoint()).form(&form).send().await?;
    /// let last = emulator.last_request().unwrap();
    /// assert_eq!(last.grant_type.as_deref(), Some("client_credentials"));
    /// assert!(last.has_client_secret && !format!("{last:?}").contains("guess"));
    /// # Ok(()) }
    /// ```
    pub fn last_request(&self) -> Option<LastRequest> {
        self.inner.parts.shared.last()
    }

    /// Moves the emulator's clock forward: assertions now look older (simulates a client
    /// clock running behind).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # fn main() -> entra_token::Result<()> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("s")
    ///     .start_in_background()?;
    /// emulator.advance_clock(Duration::from_secs(600));
    /// assert!(emulator.now() > SystemTime::now() + Duration::from_secs(590));
    /// emulator.rewind_clock(Duration::from_secs(1200));
    /// assert!(emulator.now() < SystemTime::now());
    /// # Ok(()) }
    /// ```
    pub fn advance_clock(&self, by: Duration) {
        self.inner.parts.shared.shift_clock(by, true);
    }

    /// Moves the emulator's clock backward: assertions now look issued in the future
    /// (simulates a client clock running ahead).
    pub fn rewind_clock(&self, by: Duration) {
        self.inner.parts.shared.shift_clock(by, false);
    }

    /// The emulator's current time: the wall clock plus the offset.
    pub fn now(&self) -> SystemTime {
        self.inner.parts.shared.now()
    }

    /// Stops serving: open connections are cut and the port is released (at once for
    /// `start_in_background`; when the runtime next polls the server for `start`).
    /// Idempotent; also done when the last clone is dropped.
    ///
    /// ```
    /// # fn main() -> entra_token::Result<()> {
    /// let emulator = entra_token::emulator::Emulator::builder()
    ///     .client_secret("s")
    ///     .start_in_background()?;
    /// let endpoint = emulator.token_endpoint();
    /// emulator.shutdown();
    /// let port = endpoint.split(':').nth(2).unwrap().split('/').next().unwrap();
    /// assert!(std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err());
    /// # Ok(()) }
    /// ```
    pub fn shutdown(&self) {
        self.inner.stop();
    }
}

impl Running {
    fn stop(&self) {
        if let Some(stop) = lock(&self.stop).take() {
            let _ = stop.send(true);
        }
        let thread = lock(&self.thread).take();
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("token_endpoint", &self.token_endpoint())
            .field("client_id", &self.client_id())
            .field("https", &self.inner.parts.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulator_is_send_sync_and_debug_is_quiet() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Emulator>();
        let builder = Emulator::builder().client_secret("hunter2");
        assert!(!format!("{builder:?}").contains("hunter2"));
    }

    #[test]
    fn start_refuses_an_unusable_configuration() {
        let e = Emulator::builder().start_in_background().unwrap_err();
        assert!(
            e.to_string()
                .contains("register a certificate or a client secret"),
            "{e}"
        );
        let e = Emulator::builder()
            .client_secret("s")
            .tenant("a/b")
            .start_in_background()
            .unwrap_err();
        assert!(e.to_string().contains("tenant"), "{e}");
        let e = Emulator::builder()
            .register_certificate(b"junk")
            .start_in_background()
            .unwrap_err();
        assert!(e.to_string().contains("registered certificate"), "{e}");
    }
}
