//! Replays every input in `fuzz/corpus/<target>/` through the same calls as the cargo-fuzz
//! target of that name, in a plain `cargo test`: seeds and anything the fuzzer saved must
//! never panic. A corpus directory without a matching target here fails the test.

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use entra_token::{CertificateInfo, Challenge, ClientCertificate};

/// The body of each fuzz target in `fuzz/fuzz_targets/`.
fn run_target(target: &str, data: &[u8]) {
    match target {
        "pfx" => {
            let _ = ClientCertificate::from_pfx(data, Some("fuzz"));
            let _ = ClientCertificate::from_pfx(data, None);
        }
        "pem" => {
            let _ = ClientCertificate::from_pem_with_password(data, Some("fuzz"));
        }
        "der_certificate" => {
            let _ = CertificateInfo::from_der(data);
        }
        "from_bytes" => {
            let _ = ClientCertificate::from_bytes(data, Some("fuzz"));
        }
        "challenge" => {
            if let Ok(header) = std::str::from_utf8(data) {
                let _ = Challenge::parse_all(header);
                let _ = Challenge::parse(header);
            }
        }
        other => panic!("fuzz/corpus/{other}/ has no fuzz target; add it to run_target"),
    }
}

fn sorted_entries(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    entries
}

#[test]
fn fuzz_corpus_replays_without_panicking() {
    let corpus = support::crate_dir().join("fuzz").join("corpus");
    let mut replayed = 0;
    let mut panicked = Vec::new();
    for target_dir in sorted_entries(&corpus).into_iter().filter(|p| p.is_dir()) {
        let target = target_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let inputs: Vec<_> = sorted_entries(&target_dir)
            .into_iter()
            .filter(|p| p.is_file())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        assert!(!inputs.is_empty(), "fuzz/corpus/{target}/ holds no seeds");
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            if catch_unwind(AssertUnwindSafe(|| run_target(&target, &data))).is_err() {
                panicked.push(input.display().to_string());
            }
            replayed += 1;
        }
    }
    assert!(
        replayed >= 50,
        "only {replayed} corpus inputs: regenerate with fixtures/gen.sh"
    );
    assert!(
        panicked.is_empty(),
        "these corpus inputs panic:\n{}",
        panicked.join("\n")
    );
}

#[test]
fn every_fuzz_target_has_a_seed_corpus() {
    let targets = support::crate_dir().join("fuzz").join("fuzz_targets");
    for target in sorted_entries(&targets) {
        let name = target.file_stem().unwrap().to_string_lossy().into_owned();
        let seeds = support::crate_dir().join("fuzz").join("corpus").join(&name);
        assert!(
            seeds.is_dir(),
            "fuzz target {name} has no fuzz/corpus/{name}/"
        );
        run_target(&name, b""); // and run_target knows it
    }
}
