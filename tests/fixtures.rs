//! Key material against the fixtures that `fixtures/gen.sh` made with OpenSSL, keytool and
//! python: every case of `fixtures/manifest.json` (so adding a fixture adds a check), then the
//! behaviours no single fixture shows (size cap, redaction, sniffing, error messages).

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use entra_token::{
    ClientCertificate, Error, ErrorKind, MaterialFormat, MAX_KDF_ITERATIONS, MAX_MATERIAL_BYTES,
};
use support::{Case, PASSWORD};

#[test]
fn every_manifest_case_behaves_as_recorded() {
    let cases = support::manifest().cases;
    assert!(
        cases.len() >= 60,
        "the manifest lost cases: {}",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check_case(case)
                .err()
                .map(|e| format!("  {}: {e}", case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixture cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn check_case(case: &Case) -> Result<(), String> {
    match case.load() {
        Ok(cert) if case.expects_ok() => {
            check_facts(case, &cert)?;
            check_other_constructors(case, &cert)
        }
        Ok(cert) => Err(format!("expected {}, but it loaded: {cert:?}", case.expect)),
        Err(e) if case.expects_ok() => Err(format!("expected ok, got {:?}: {e}", e.kind())),
        Err(e) => check_error(case, &e),
    }
}

fn check_facts(case: &Case, cert: &ClientCertificate) -> Result<(), String> {
    let mut wrong = Vec::new();
    macro_rules! check {
        ($what:expr, $expected:expr, $actual:expr) => {{
            let (expected, actual) = ($expected, $actual);
            if expected != actual {
                wrong.push(format!("{}: expected {expected:?}, got {actual:?}", $what));
            }
        }};
    }
    check!("sha1", case.sha1.as_deref(), Some(cert.sha1_hex()));
    check!("x5t", case.x5t.as_deref(), Some(cert.x5t()));
    check!("x5t#S256", case.x5t_s256.as_deref(), Some(cert.x5t_s256()));
    check!("subject", case.subject.as_deref(), Some(cert.subject()));
    check!("issuer", case.issuer.as_deref(), Some(cert.issuer()));
    // openssl drops a serial's sign-padding zero byte: compare without leading zeros.
    let serial = case.serial.as_deref().map(|s| s.trim_start_matches('0'));
    check!(
        "serial",
        serial,
        Some(cert.serial_hex().trim_start_matches('0'))
    );
    check!("key bits", case.key_bits, Some(cert.key_bits()));
    check!(
        "format",
        case.format.clone(),
        Some(format!("{:?}", cert.format()))
    );
    check!("chain length", case.chain_len, Some(cert.chain().len()));
    let chain: Vec<&str> = cert.chain().iter().map(|c| c.subject()).collect();
    check!("chain order", &case.chain_subjects, &chain);
    check!(
        "x5c length",
        cert.chain().len() + 1,
        cert.chain_der().count()
    );
    check!(
        "leaf",
        cert.sha1_hex(),
        cert.certificate().thumbprints().sha1_hex()
    );

    let not_before = support::unix_time(case.not_before.unwrap_or_default());
    let not_after = support::unix_time(case.not_after.unwrap_or_default());
    check!("not_before", not_before, cert.not_before());
    check!("not_after", not_after, cert.not_after());
    let second = Duration::from_secs(1);
    let now = SystemTime::now();
    let instants = [
        (not_before - second, false),
        (not_before, true),
        (not_after, true),
        (not_after + second, false),
        (now, not_before <= now && now <= not_after),
    ];
    for (at, valid) in instants {
        check!(format!("is_valid_at({at:?})"), valid, cert.is_valid_at(at));
    }

    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

/// The format-specific constructors must agree with `from_file`.
fn check_other_constructors(case: &Case, cert: &ClientCertificate) -> Result<(), String> {
    let bytes = std::fs::read(case.path()).map_err(|e| e.to_string())?;
    let password = case.password();
    let mut results = vec![(
        "from_bytes",
        ClientCertificate::from_bytes(&bytes, password),
    )];
    let is_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    match (&case.key_file, cert.format()) {
        (Some(key_file), _) if is_pem => {
            let key = support::read_fixture(key_file);
            let loaded = ClientCertificate::from_pem_parts_with_password(&bytes, &key, password);
            results = vec![("from_pem_parts_with_password", loaded)];
            if password.is_none() {
                results.push((
                    "from_pem_parts",
                    ClientCertificate::from_pem_parts(&bytes, &key),
                ));
            }
        }
        (Some(_), _) => results.clear(),
        (None, MaterialFormat::Pem) => {
            let loaded = ClientCertificate::from_pem_with_password(&bytes, password);
            results.push(("from_pem_with_password", loaded));
            if password.is_none() {
                results.push(("from_pem", ClientCertificate::from_pem(&bytes)));
            }
        }
        (None, _) if !case.file.ends_with(".b64") => {
            results.push(("from_pfx", ClientCertificate::from_pfx(&bytes, password)));
            results.push((
                "from_pfx_file",
                ClientCertificate::from_pfx_file(case.path(), password),
            ));
        }
        (None, _) => {}
    }
    for (how, result) in results {
        match result {
            Ok(other) if other.sha1_hex() == cert.sha1_hex() && other.format() == cert.format() => {
            }
            Ok(other) => return Err(format!("{how} loaded {other:?}, from_file {cert:?}")),
            Err(e) => return Err(format!("{how} failed with {:?}: {e}", e.kind())),
        }
    }
    Ok(())
}

fn check_error(case: &Case, error: &Error) -> Result<(), String> {
    let got = support::kind_name(error.kind());
    if got != case.expect {
        return Err(format!(
            "expected {}, got {:?}: {error}",
            case.expect,
            error.kind()
        ));
    }
    let paths: Vec<_> = std::iter::once(case.path())
        .chain(case.key_path())
        .collect();
    let named = error.path().is_some_and(|p| paths.iter().any(|q| q == p));
    let message = error.to_string();
    if !named
        || !paths
            .iter()
            .any(|p| message.contains(&p.display().to_string()))
    {
        return Err(format!(
            "the error does not name the file: {error:?} / {message}"
        ));
    }
    if case.key_file.is_some() {
        return Ok(());
    }
    // The in-memory and format-specific constructors report the same failure.
    let bytes = std::fs::read(case.path()).map_err(|e| e.to_string())?;
    let password = case.password();
    let mut others = vec![(
        "from_bytes",
        ClientCertificate::from_bytes(&bytes, password),
    )];
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        let loaded = ClientCertificate::from_pem_with_password(&bytes, password);
        others.push(("from_pem_with_password", loaded));
    } else if case.file.ends_with(".pfx") {
        others.push(("from_pfx", ClientCertificate::from_pfx(&bytes, password)));
        others.push((
            "from_pfx_file",
            ClientCertificate::from_pfx_file(case.path(), password),
        ));
    }
    for (how, result) in others {
        match result {
            Ok(cert) => return Err(format!("{how} loaded it: {cert:?}")),
            Err(e) if support::kind_name(e.kind()) != case.expect => {
                return Err(format!("{how} failed differently: {:?}", e.kind()))
            }
            Err(_) => {}
        }
    }
    Ok(())
}

// ---- focused tests ------------------------------------------------------------------------------

/// One error of every material kind, each produced the way users meet it.
fn one_error_of_each_kind() -> BTreeMap<String, Error> {
    let mut errors = BTreeMap::new();
    for case in support::manifest().cases.iter().filter(|c| !c.expects_ok()) {
        let error = case.load().expect_err(&case.name);
        errors
            .entry(support::kind_name(error.kind()))
            .or_insert(error);
    }
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.pfx");
    std::fs::write(&big, vec![0u8; MAX_MATERIAL_BYTES as usize + 1]).unwrap();
    errors.insert(
        "FileTooLarge".into(),
        ClientCertificate::from_file(&big, None).unwrap_err(),
    );
    let missing = dir.path().join("missing.pfx");
    errors.insert(
        "Io".into(),
        ClientCertificate::from_file(&missing, None).unwrap_err(),
    );
    let expired = ErrorKind::CertificateExpired {
        not_after: "2001-01-01T00:00:00Z".into(),
    };
    errors.insert("CertificateExpired".into(), Error::new(expired));
    errors
}

#[test]
fn error_messages_are_distinct_one_line_and_say_what_to_do_next() {
    let next_steps = [
        ("EmptyInput", "point to the PFX or PEM file"),
        ("FileTooLarge", "check that the path"),
        ("UnrecognizedFormat", "give a .pfx/.p12 file or PEM"),
        ("Malformed", "export the file again"),
        ("PasswordRequired", "pass it with"),
        ("WrongPassword", "pass it with"),
        ("UnsupportedAlgorithm", "re-export the file"),
        ("IterationCountTooHigh", "re-export it"),
        ("NoCertificate", "give the certificate too"),
        ("NoPrivateKey", "export the PFX with its private key"),
        (
            "KeyCertificateMismatch",
            "pair the key with its own certificate",
        ),
        ("UnsupportedKeyType", "need an RSA key"),
        ("UnsupportedKeySize", "create a new certificate"),
        ("CertificateExpired", "create a new one"),
        ("Io", "check the path"),
    ];
    let errors = one_error_of_each_kind();
    let mut seen = BTreeMap::new();
    for (kind, step) in next_steps {
        let error = errors
            .get(kind)
            .unwrap_or_else(|| panic!("no fixture produces {kind}"));
        let message = error.to_string();
        assert!(!message.contains('\n'), "{kind}: not one line: {message}");
        assert!(
            message.contains(step),
            "{kind}: {message:?} lacks the next step {step:?}"
        );
        if let Some(path) = error.path() {
            assert!(
                message.contains(&path.display().to_string()),
                "{kind}: {message}"
            );
        }
        let template = error.path().map_or(message.clone(), |p| {
            message.replace(&p.display().to_string(), "FILE")
        });
        if let Some(other) = seen.insert(template.clone(), kind) {
            panic!("{kind} and {other} print the same message: {template}");
        }
    }
}

#[test]
fn hostile_iteration_counts_are_refused_before_deriving() {
    let hostile = support::cases_expecting("IterationCountTooHigh");
    assert!(
        hostile.len() >= 4,
        "MAC, PBES2 bag, PKCS#12 PBE bag, PKCS#8 PEM"
    );
    for case in hostile {
        for password in [case.password(), Some(support::WRONG_PASSWORD), None] {
            let started = Instant::now();
            let error = match case.key_path() {
                Some(key) => ClientCertificate::from_pem_parts_files(case.path(), key, password),
                None => ClientCertificate::from_file(case.path(), password),
            }
            .expect_err(&case.name);
            // 2^31-1 iterations would take hours; refusing takes microseconds.
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{}: too slow",
                case.name
            );
            let expected = ErrorKind::IterationCountTooHigh {
                found: 2_147_483_647,
                limit: MAX_KDF_ITERATIONS,
            };
            if case.name == "bad-pfx-mac-iterations" || password == case.password() {
                assert_eq!(error.kind(), &expected, "{} with {password:?}", case.name);
                assert!(error.to_string().contains("2147483647"), "{error}");
            }
        }
    }
}

#[test]
fn files_over_the_cap_are_refused_and_the_cap_itself_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let too_large = ErrorKind::FileTooLarge {
        limit: MAX_MATERIAL_BYTES,
    };
    let big = dir.path().join("big.pem");
    let mut bytes = support::read_fixture("pem/rsa2048-combined.pem");
    bytes.resize(MAX_MATERIAL_BYTES as usize + 1, b'\n');
    std::fs::write(&big, &bytes).unwrap();
    let key = support::fixture("pem/rsa2048.key.pem");
    let cert = support::fixture("pem/rsa2048.crt.pem");
    let results = [
        ClientCertificate::from_file(&big, None),
        ClientCertificate::from_pfx_file(&big, None),
        ClientCertificate::from_pem_parts_files(&big, &key, None),
        ClientCertificate::from_pem_parts_files(&cert, &big, None),
    ];
    for result in results {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), &too_large);
        assert_eq!(error.path(), Some(big.as_path()));
    }

    // Exactly at the cap: read in full and loaded.
    bytes.truncate(MAX_MATERIAL_BYTES as usize);
    std::fs::write(&big, &bytes).unwrap();
    let loaded = ClientCertificate::from_file(&big, None).unwrap();
    assert_eq!(loaded.sha1_hex(), support::case("pem-combined").sha1());
}

#[test]
fn debug_output_is_pinned_and_no_secret_reaches_debug_or_errors() {
    let case = support::case("pem-combined");
    let cert = case.load().unwrap();
    assert_eq!(
        format!("{cert:?}"),
        format!(
            "ClientCertificate {{ subject: \"CN=entra-token fixture rsa2048\", sha1: \"{}\", \
             chain_len: 0, key: [secret key elided] }}",
            case.sha1()
        )
    );

    let mut printed = vec![format!("{cert:?}"), format!("{cert:#?}")];
    let chain = support::case("pfx-chain3-scrambled").load().unwrap();
    printed.push(format!(
        "{chain:#?} {:?} {:?}",
        chain.certificate(),
        chain.chain()
    ));
    for (kind, error) in one_error_of_each_kind() {
        printed.push(format!("{kind}: {error} / {error:?} / {error:#?}"));
    }
    for case in support::manifest().cases.iter().filter(|c| !c.expects_ok()) {
        let error = case.load().unwrap_err();
        printed.push(format!("{}: {error} / {error:?}", case.name));
    }

    let secrets = secret_fragments(&[
        "keys/rsa2048.key.pem",
        "keys/chain-leaf.key.pem",
        "keys/rsa2048-other.key.pem",
    ]);
    let passwords = [
        PASSWORD,
        support::NON_ASCII_PASSWORD,
        support::WRONG_PASSWORD,
    ];
    for text in &printed {
        for secret in secrets.iter().map(String::as_str).chain(passwords) {
            assert!(!text.contains(secret), "{secret:?} leaked into: {text}");
        }
    }
}

/// Pieces of the private keys as they could leak: each base64 line of the PEM, and the DER in
/// hex, in 32-digit windows.
fn secret_fragments(key_files: &[&str]) -> Vec<String> {
    let mut fragments = Vec::new();
    for file in key_files {
        let pem = String::from_utf8(support::read_fixture(file)).unwrap();
        let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        fragments.extend(body.iter().filter(|l| l.len() >= 32).map(|l| l.to_string()));
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.concat())
            .unwrap();
        let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
        for start in (0..hex.len().saturating_sub(32)).step_by(32) {
            fragments.push(hex[start..start + 32].to_owned());
            fragments.push(hex[start..start + 32].to_uppercase());
        }
    }
    fragments
}

#[test]
fn key_vault_base64_text_of_a_pfx_loads_with_from_bytes() {
    let pfx = support::read_fixture("pfx/openssl-default.pfx");
    let expected = support::case("pfx-openssl-default");
    let text = base64::engine::general_purpose::STANDARD.encode(&pfx);
    let wrapped: String = text
        .as_bytes()
        .chunks(64)
        .map(|line| format!("{}\r\n", std::str::from_utf8(line).unwrap()))
        .collect();
    for secret_value in [text.clone(), format!("{text}\n"), wrapped] {
        let cert = ClientCertificate::from_bytes(secret_value.as_bytes(), Some(PASSWORD)).unwrap();
        assert_eq!(cert.sha1_hex(), expected.sha1());
        assert_eq!(cert.format(), MaterialFormat::Pfx);
    }
    let error = ClientCertificate::from_bytes(text.as_bytes(), Some("wrong")).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::WrongPassword);
}

#[test]
fn from_file_tells_pfx_from_pem_by_content_not_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let pfx_named_pem = dir.path().join("client.pem");
    std::fs::copy(support::fixture("pfx/openssl-default.pfx"), &pfx_named_pem).unwrap();
    let pem_named_pfx = dir.path().join("client.pfx");
    std::fs::copy(support::fixture("pem/rsa2048-combined.pem"), &pem_named_pfx).unwrap();
    let der_named_pem = dir.path().join("cert.pem");
    std::fs::copy(support::fixture("certs/rsa2048.cer"), &der_named_pem).unwrap();
    let sha1 = support::case("pem-combined").sha1().to_owned();

    let cert = ClientCertificate::from_file(&pfx_named_pem, Some(PASSWORD)).unwrap();
    assert_eq!(
        (cert.format(), cert.sha1_hex()),
        (MaterialFormat::Pfx, sha1.as_str())
    );
    let cert = ClientCertificate::from_file(&pem_named_pfx, None).unwrap();
    assert_eq!(
        (cert.format(), cert.sha1_hex()),
        (MaterialFormat::Pem, sha1.as_str())
    );
    let error = ClientCertificate::from_file(&der_named_pem, None).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::NoPrivateKey);
    let key = support::fixture("pem/rsa2048.key.pem");
    let cert = ClientCertificate::from_pem_parts_files(&der_named_pem, key, None).unwrap();
    assert_eq!(cert.sha1_hex(), sha1);
}

#[test]
fn empty_password_files_open_with_the_empty_password_or_none() {
    for name in ["pfx-empty-password", "pfx-zero-length-mac-password"] {
        let case = support::case(name);
        let expected = case.sha1().to_owned();
        for password in [None, Some("")] {
            let cert = ClientCertificate::from_pfx_file(case.path(), password).unwrap();
            assert_eq!(cert.sha1_hex(), expected, "{name} with {password:?}");
        }
        let error = ClientCertificate::from_pfx_file(case.path(), Some("x")).unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::WrongPassword, "{name}");
    }
}
