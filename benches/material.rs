//! Key-material loading: the load time of each PFX flavour in fixtures/, and how fast hostile
//! input fails (2^31−1 iteration counts, a file over the size cap). Targets: hostile input
//! fails in well under 100 ms.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use entra_token::{ClientCertificate, ErrorKind};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// (name, file, password) of every loadable PFX case in the manifest.
fn pfx_cases() -> Vec<(String, PathBuf, Option<String>)> {
    let text = std::fs::read_to_string(fixtures().join("manifest.json")).expect("manifest");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest JSON");
    manifest["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["expect"] == "ok" && c["format"] == "Pfx" && c.get("key_file").is_none())
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                fixtures().join(c["file"].as_str().unwrap_or_default()),
                c["password"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn load_pfx_flavours(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_pfx");
    group.sample_size(20);
    for (name, path, password) in pfx_cases() {
        let bytes = std::fs::read(&path).expect("fixture");
        group.bench_with_input(BenchmarkId::from_parameter(&name), &bytes, |b, bytes| {
            b.iter(|| ClientCertificate::from_bytes(bytes, password.as_deref()).expect("loads"));
        });
    }
    group.finish();
}

fn hostile_inputs_fail_fast(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile");
    for (name, file) in [
        ("pfx_mac_iterations_2^31-1", "bad/mac-iterations.pfx"),
        (
            "pfx_pbes2_iterations_2^31-1",
            "bad/pbes2-keybag-iterations.pfx",
        ),
        (
            "pfx_pkcs12_pbe_iterations_2^31-1",
            "bad/pkcs12-pbe-keybag-iterations.pfx",
        ),
        ("pem_pbkdf2_iterations_2^31-1", "bad/pbkdf2-iterations.pem"),
    ] {
        let path = fixtures().join(file);
        group.bench_function(name, |b| {
            b.iter(|| {
                let err =
                    ClientCertificate::from_file(&path, Some("fixture-password")).unwrap_err();
                assert!(
                    matches!(err.kind(), ErrorKind::IterationCountTooHigh { .. }),
                    "{err}"
                );
            });
        });
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let huge = dir.path().join("huge.pfx");
    std::fs::write(&huge, vec![0x30u8; 64 << 20]).expect("write 64 MiB");
    group.bench_function("file_64MiB_over_cap", |b| {
        b.iter(|| {
            let err = ClientCertificate::from_file(&huge, None).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::FileTooLarge { .. }),
                "{err}"
            );
        });
    });
    group.finish();
}

criterion_group!(benches, load_pfx_flavours, hostile_inputs_fail_fast);
criterion_main!(benches);
