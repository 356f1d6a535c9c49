//! Helpers shared by the integration tests: where the fixtures are, and the fixture manifest
//! that `fixtures/gen.sh` writes (one entry per case, facts computed by openssl).
//!
//! Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use entra_token::{ClientCertificate, Error, ErrorKind};
use serde::Deserialize;

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
