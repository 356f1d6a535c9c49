//! Helpers shared by the integration tests: where the fixtures are, the fixture manifest that
//! `fixtures/gen.sh` writes (one entry per case, facts computed by openssl), and for the tests
//! against the emulator (feature `emulator`) credentials pointed at it and captured logs.
//!
//! Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
#[cfg(feature = "emulator")]
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[cfg(feature = "emulator")]
use entra_token::emulator::Emulator;
use entra_token::retry::RetryPolicy;
use entra_token::{ClientCertificate, Error, ErrorKind, TokenOptions};
#[cfg(feature = "emulator")]
use entra_token::{Credential, CredentialBuilder, Secret};
use serde::Deserialize;
#[cfg(feature = "emulator")]
use tracing_subscriber::fmt::format::FmtSpan;

/// The password of most fixtures (see `fixtures/README.md`).
pub const PASSWORD: &str = "fixture-password";
/// The password of the non-ASCII fixtures.
pub const NON_ASCII_PASSWORD: &str = "pässwörd-日本";
/// The password the wrong-password cases give.
pub const WRONG_PASSWORD: &str = "not-the-password";

/// The crate's root directory.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/` in the crate.
pub fn fixtures_dir() -> PathBuf {
    crate_dir().join("fixtures")
}

/// A fixture's path from its path relative to `fixtures/`, e.g. `pfx/openssl-default.pfx`.
pub fn fixture(relative: &str) -> PathBuf {
    fixtures_dir().join(relative)
}

/// A fixture's bytes.
pub fn read_fixture(relative: &str) -> Vec<u8> {
    let path = fixture(relative);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read fixture {}: {e} (regenerate with fixtures/gen.sh)",
            path.display()
        )
    })
}

/// `fixtures/manifest.json`.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// Every case, in the order gen.sh made them.
    pub cases: Vec<Case>,
}

/// One fixture case. The facts are present when `expect` is `"ok"`.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub name: String,
    /// Relative to `fixtures/`.
    pub file: String,
    /// A separate key file: the case loads with `from_pem_parts_files`.
    #[serde(default)]
    pub key_file: Option<String>,
    /// `None`: no password given.
    pub password: Option<String>,
    /// `"ok"` or the name of the expected `ErrorKind` variant.
    pub expect: String,
    pub format: Option<String>,
    pub sha1: Option<String>,
    pub x5t: Option<String>,
    pub x5t_s256: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// Serial as openssl prints it: uppercase hex, no leading zero bytes.
    pub serial: Option<String>,
    pub key_bits: Option<usize>,
    pub chain_len: Option<usize>,
    #[serde(default)]
    pub chain_subjects: Vec<String>,
    /// Unix seconds.
    pub not_before: Option<u64>,
    /// Unix seconds.
    pub not_after: Option<u64>,
}

impl Case {
    pub fn path(&self) -> PathBuf {
        fixture(&self.file)
    }

    pub fn key_path(&self) -> Option<PathBuf> {
        self.key_file.as_deref().map(fixture)
    }

    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    pub fn expects_ok(&self) -> bool {
        self.expect == "ok"
    }

    /// Loads the case the way a user would: `from_file`, or `from_pem_parts_files` when the
    /// key is in its own file.
    pub fn load(&self) -> Result<ClientCertificate, Error> {
        match self.key_path() {
            Some(key) => ClientCertificate::from_pem_parts_files(self.path(), key, self.password()),
            None => ClientCertificate::from_file(self.path(), self.password()),
        }
    }

    /// The facts of an `ok` case; panics on an error case.
    pub fn sha1(&self) -> &str {
        self.sha1.as_deref().expect("an ok case has a sha1")
    }
}

/// The parsed manifest.
pub fn manifest() -> Manifest {
    let bytes = read_fixture("manifest.json");
    serde_json::from_slice(&bytes).expect("fixtures/manifest.json parses")
}

/// The case with this name; panics when there is none.
pub fn case(name: &str) -> Case {
    manifest()
        .cases
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no fixture case named {name} in fixtures/manifest.json"))
}

/// The cases expecting this outcome (`"ok"` or an `ErrorKind` variant name).
pub fn cases_expecting(expect: &str) -> Vec<Case> {
    manifest()
        .cases
        .into_iter()
        .filter(|c| c.expect == expect)
        .collect()
}

/// The variant name of an error kind: `Malformed { what: ".." }` gives `Malformed`.
pub fn kind_name(kind: &ErrorKind) -> String {
    let debug = format!("{kind:?}");
    debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Unix seconds as a `SystemTime`.
pub fn unix_time(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

// ---- the emulator tests: certificates, files, credentials, logs -----------------------------

/// The bytes of `tests/data/exchange/{name}` (certificate and key, PEM).
pub fn pem_bytes(name: &str) -> Vec<u8> {
    let path = crate_dir().join("tests/data/exchange").join(name);
    std::fs::read(path).unwrap()
}

/// The certificate in `tests/data/exchange/{name}`.
pub fn pem(name: &str) -> ClientCertificate {
    ClientCertificate::from_pem(&pem_bytes(name)).unwrap()
}

/// Replaces `path`'s contents the way deploy tools do: a new file, renamed over the old one.
pub fn replace(path: &Path, contents: &[u8]) {
    let staged = path.with_extension("staged");
    std::fs::write(&staged, contents).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

/// Options that refresh whatever is cached.
pub fn forced() -> TokenOptions {
    TokenOptions::new().force_refresh(true)
}

/// Retries after 20 ms, with a generous time budget: on tokio's paused clock, time jumps to
/// pending HTTP timers (pool idle, connect) while a request is in flight.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(20))
        .max_total(Duration::from_secs(24 * 3600))
}

/// Points `b` at `emu`, with [`fast_retries`], no per-try timeout (the paused clock jumps to
/// pending HTTP timers while a request is in flight) and no refresh jitter.
#[cfg(feature = "emulator")]
pub fn against(b: CredentialBuilder, emu: &Emulator) -> CredentialBuilder {
    b.authority_host(emu.authority_host())
        .timeout(None)
        .refresh_jitter(false)
        .retry_policy(fast_retries())
}

/// A credential for `emu` ([`against`]) from the certificate file `path`, with its password if
/// any, checked every `check_interval`.
#[cfg(feature = "emulator")]
pub fn file_credential(
    emu: &Emulator,
    (tenant, client): (&str, &str),
    path: &Path,
    password: Option<&str>,
    check_interval: Duration,
) -> Credential {
    against(
        Credential::builder_from_file(tenant, client, path, password.map(Secret::new)).unwrap(),
        emu,
    )
    .check_interval(check_interval)
    .build()
    .unwrap()
}

/// Waits on tokio's clock (paused or not), `step` at a time, until `done` holds; after ten
/// seconds of real time, panics with `why()`.
pub async fn wait_until(step: Duration, mut done: impl FnMut() -> bool, why: impl Fn() -> String) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{}", why());
        tokio::time::sleep(step).await;
    }
}

/// Everything logged while it is the default subscriber, TRACE and up, all targets.
#[cfg(feature = "emulator")]
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

#[cfg(feature = "emulator")]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

#[cfg(feature = "emulator")]
impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(feature = "emulator")]
impl Logs {
    /// Starts capturing events on this thread (and so on a current-thread runtime's tasks).
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        Self::start(FmtSpan::NONE)
    }

    /// [`Logs::capture`], span events included: every span's opening, entries, exits and
    /// closing, with its busy and idle times.
    pub fn capture_with_span_events() -> (Self, tracing::subscriber::DefaultGuard) {
        Self::start(FmtSpan::FULL)
    }

    fn start(span_events: FmtSpan) -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let buffer = Arc::clone(&logs.0);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(span_events)
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&buffer)))
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (logs, guard)
    }

    /// What was written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }

    /// What was written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The lines containing `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}
