//! `export_pem`, `export_pfx` and `new_self_signed`: round trips keep the thumbprints and the
//! chain, and what we write opens in OpenSSL and Java's keytool (skipped, with a note, where
//! a tool is not installed).

use std::path::Path;
use std::process::Command;

use entra_token::{export_pem, export_pfx, ClientCertificate, ErrorKind};

const PW: &str = "conv€rt pässword";

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/convert")
        .join(name)
}

fn chain_pem() -> ClientCertificate {
    ClientCertificate::from_file(data("chain.pem"), None).unwrap()
}

fn assert_same(a: &ClientCertificate, b: &ClientCertificate) {
    assert_eq!(a.sha1_hex(), b.sha1_hex());
    assert_eq!(a.x5t(), b.x5t());
    assert_eq!(a.x5t_s256(), b.x5t_s256());
    assert_eq!(
        a.chain_der().collect::<Vec<_>>(),
        b.chain_der().collect::<Vec<_>>()
    );
}

/// Runs a tool with PW in its environment; `None` when the tool is not installed.
fn run(tool: &str, args: &[&str], password: &str) -> Option<std::process::Output> {
    match Command::new(tool).args(args).env("PW", password).output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("note: {tool} is not installed; skipping its check");
            None
        }
        Err(e) => panic!("cannot run {tool}: {e}"),
    }
}

#[test]
fn pem_round_trip_keeps_thumbprints_and_chain() {
    let cert = chain_pem();
    assert_eq!(cert.chain().len(), 2);
    let out = export_pem(&cert, Some(PW)).unwrap();
    assert!(out.is_encrypted());
    assert_eq!(
        out.certificates()
            .matches("-----BEGIN CERTIFICATE-----")
            .count(),
        3
    );
    let key = out.private_key().secret();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    assert!(key.lines().all(|l| l.len() <= 64));
    let again = ClientCertificate::from_pem_parts_with_password(
        out.certificates().as_bytes(),
        key.as_bytes(),
        Some(PW),
    )
    .unwrap();
    assert_same(&cert, &again);
    let wrong = ClientCertificate::from_pem_parts_with_password(
        out.certificates().as_bytes(),
        key.as_bytes(),
        Some("nope"),
    );
    assert_eq!(wrong.unwrap_err().kind(), &ErrorKind::WrongPassword);
    assert!(format!("{out:?}").contains("Secret([redacted])"));
}

#[test]
fn pem_without_password_is_a_plain_pkcs8_key() {
    let cert = ClientCertificate::from_file(data("single.pem"), None).unwrap();
    let out = export_pem(&cert, None).unwrap();
    assert!(!out.is_encrypted());
    assert!(out
        .private_key()
        .secret()
        .starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let both = format!("{}{}", out.certificates(), out.private_key().secret());
    assert_same(
        &cert,
        &ClientCertificate::from_pem(both.as_bytes()).unwrap(),
    );
    let empty = export_pem(&cert, Some("")).unwrap_err();
    assert!(matches!(
        empty.kind(),
        ErrorKind::InvalidConfiguration { .. }
    ));
}

#[test]
fn pfx_to_pem_to_pfx_keeps_thumbprints_and_chain() {
    let original = ClientCertificate::from_file(data("chain.pfx"), Some("convert-test")).unwrap();
    assert_same(&original, &chain_pem());
    let pem = export_pem(&original, Some(PW)).unwrap();
    let from_pem = ClientCertificate::from_pem_parts_with_password(
        pem.certificates().as_bytes(),
        pem.private_key().secret().as_bytes(),
        Some(PW),
    )
    .unwrap();
    let pfx = export_pfx(&from_pem, Some(PW)).unwrap();
    let from_pfx = ClientCertificate::from_pfx(&pfx, Some(PW)).unwrap();
    assert_same(&original, &from_pfx);
    assert_eq!(
        ClientCertificate::from_pfx(&pfx, Some("nope"))
            .unwrap_err()
            .kind(),
        &ErrorKind::WrongPassword
    );
}

#[test]
fn pfx_with_the_empty_password_opens_without_one() {
    let cert = chain_pem();
    let pfx = export_pfx(&cert, None).unwrap();
    assert_same(&cert, &ClientCertificate::from_pfx(&pfx, None).unwrap());
    assert_same(&cert, &ClientCertificate::from_pfx(&pfx, Some("")).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.pfx");
    std::fs::write(&path, &*pfx).unwrap();
    if let Some(out) = run(
        "openssl",
        &[
            "pkcs12",
            "-in",
            path.to_str().unwrap(),
            "-passin",
            "pass:",
            "-noout",
        ],
        "",
    ) {
        assert!(
            out.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn written_pfx_opens_in_openssl_with_modern_algorithms() {
    let pfx = export_pfx(&chain_pem(), Some(PW)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.pfx");
    std::fs::write(&path, &*pfx).unwrap();
    let path = path.to_str().unwrap();
    let Some(out) = run(
        "openssl",
        &[
            "pkcs12", "-in", path, "-passin", "env:PW", "-info", "-noout",
        ],
        PW,
    ) else {
        return;
    };
    let info = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "openssl: {info}");
    assert!(info.contains("MAC: sha256, Iteration 100000"), "{info}");
    assert_eq!(
        info.matches("PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256")
            .count(),
        2,
        "{info}"
    );
    let out = run(
        "openssl",
        &["pkcs12", "-in", path, "-passin", "env:PW", "-nokeys"],
        PW,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("-----BEGIN CERTIFICATE-----")
            .count(),
        3
    );
    let out = run(
        "openssl",
        &["pkcs12", "-in", path, "-passin", "pass:wrong", "-noout"],
        PW,
    )
    .unwrap();
    assert!(!out.status.success());
}

#[test]
fn written_pfx_opens_in_keytool() {
    // Java derives PBES2 keys from ASCII passwords only ("Password is not ASCII").
    const PW: &str = "convert-test password";
    let pfx = export_pfx(&chain_pem(), Some(PW)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.pfx");
    std::fs::write(&path, &*pfx).unwrap();
    let args = [
        "-list",
        "-v",
        "-keystore",
        path.to_str().unwrap(),
        "-storetype",
        "PKCS12",
        "-storepass:env",
        "PW",
    ];
    let Some(out) = run("keytool", &args, PW) else {
        return;
    };
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "keytool: {listing}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(listing.contains("PrivateKeyEntry"), "{listing}");
    assert!(listing.contains("Certificate chain length: 3"), "{listing}");
    assert!(listing.contains("convert-test-app"), "{listing}");
}

#[test]
fn written_encrypted_pem_key_opens_in_openssl() {
    let out = export_pem(&chain_pem(), Some(PW)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.key.pem");
    std::fs::write(&path, out.private_key().secret()).unwrap();
    let path = path.to_str().unwrap();
    if let Some(out) = run(
        "openssl",
        &["pkey", "-in", path, "-passin", "env:PW", "-noout"],
        PW,
    ) {
        assert!(
            out.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let wrong = run(
            "openssl",
            &["pkey", "-in", path, "-passin", "pass:wrong", "-noout"],
            PW,
        )
        .unwrap();
        assert!(!wrong.status.success());
    }
}

#[cfg(feature = "new-cert")]
mod new_cert {
    use std::time::{Duration, SystemTime};

    use super::*;
    use entra_token::{new_self_signed, CertificateInfo};

    #[test]
    fn new_certificate_loads_and_has_what_was_asked() {
        let cert = new_self_signed("CN=nightly-export,OU=Data,O=Contoso,C=us", 30, 2048).unwrap();
        assert_eq!(cert.subject(), "CN=nightly-export,OU=Data,O=Contoso,C=US");
        assert_eq!(cert.issuer(), cert.subject());
        assert_eq!(cert.key_bits(), 2048);
        assert!(cert.chain().is_empty());
        let now = SystemTime::now();
        let nb = now.duration_since(cert.not_before()).unwrap();
        assert!(
            (Duration::from_secs(290)..Duration::from_secs(310)).contains(&nb),
            "{nb:?}"
        );
        let lifetime = cert.not_after().duration_since(cert.not_before()).unwrap();
        assert_eq!(lifetime.as_secs(), 30 * 86_400 + 300);

        // The .cer is the leaf's DER: it parses and has the same thumbprints.
        let cer = CertificateInfo::from_der(cert.certificate().der()).unwrap();
        assert_eq!(cer.thumbprints(), cert.thumbprints());
        assert_eq!(cer.key_bits(), Some(2048));

        // Through PFX and back, and OpenSSL reads the extensions we promise.
        let pfx = export_pfx(&cert, Some(PW)).unwrap();
        assert_same(&cert, &ClientCertificate::from_pfx(&pfx, Some(PW)).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.cer");
        std::fs::write(&path, cert.certificate().der()).unwrap();
        let args = [
            "x509",
            "-inform",
            "DER",
            "-in",
            path.to_str().unwrap(),
            "-noout",
            "-text",
        ];
        if let Some(out) = run("openssl", &args, "") {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success());
            for expected in [
                "Version: 3",
                "sha256WithRSAEncryption",
                "Digital Signature",
                "TLS Web Client Authentication",
                "CA:FALSE",
            ] {
                assert!(text.contains(expected), "missing {expected}: {text}");
            }
        }
    }

    #[test]
    fn key_bits_are_as_asked_and_serials_differ() {
        let a = new_self_signed("CN=a", 1, 3072).unwrap();
        assert_eq!(a.key_bits(), 3072);
        assert_eq!(a.certificate().key_bits(), Some(3072));
        let b = new_self_signed("CN=a", 1, 2048).unwrap();
        assert_ne!(a.serial_hex(), b.serial_hex());
        assert_eq!(a.serial_hex().len(), 32);
    }

    #[test]
    fn invalid_requests_are_refused_before_generating_a_key() {
        for (subject, days, bits, expected) in [
            ("CN=a", 0, 2048, "--days must be 1 to 3650"),
            ("CN=a", 3651, 2048, "--days must be 1 to 3650"),
            ("CN=a", 365, 1024, "--key-bits must be 2048, 3072 or 4096"),
            ("O=Contoso", 365, 2048, "CN is missing"),
            ("nonsense", 365, 2048, "is not NAME=value"),
        ] {
            let e = new_self_signed(subject, days, bits).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::InvalidConfiguration { .. }));
            assert!(e.to_string().contains(expected), "{e}");
        }
    }
}
