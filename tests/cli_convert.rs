//! The `convert` and `new-cert` commands, run as the built binary with the documented command
//! lines: passwords only through environment variables, refusal to overwrite, 0600 key files.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use entra_token::{CertificateInfo, ClientCertificate};

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/convert")
        .join(name)
        .display()
        .to_string()
}

/// Runs the CLI with a clean password environment and stdin that is not a terminal.
fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_entra-token"));
    command
        .args(args)
        .env_remove("AZURE_CLIENT_CERTIFICATE_PASSWORD")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run entra-token")
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "unexpected success: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn pfx_to_pem_and_back() {
    let original = ClientCertificate::from_file(data("chain.pfx"), Some("convert-test")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let name = path(dir.path(), "app");
    let name = name.to_str().unwrap();
    let env = [("IN_PW", "convert-test"), ("OUT_PW", "out-secret")];
    let args = [
        "convert",
        &data("chain.pfx"),
        "--password-env",
        "IN_PW",
        "--to",
        "pem",
        "--out",
        name,
        "--out-password-env",
        "OUT_PW",
    ];
    let stdout = ok(&cli(&args, &env));
    assert!(
        stdout.contains(&format!("sha1: {}", original.sha1_hex())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("x5t#S256: {}", original.x5t_s256())),
        "{stdout}"
    );
    assert!(
        stdout.contains("app.crt.pem") && stdout.contains("app.key.pem"),
        "{stdout}"
    );
    assert!(!stdout.contains("out-secret") && !stdout.contains("PRIVATE KEY"));
    let (crt, key) = (
        path(dir.path(), "app.crt.pem"),
        path(dir.path(), "app.key.pem"),
    );
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);
    let loaded = ClientCertificate::from_pem_parts_files(&crt, &key, Some("out-secret")).unwrap();
    assert_eq!(loaded.x5t_s256(), original.x5t_s256());
    assert_eq!(loaded.chain().len(), 2);

    // Refuses to overwrite without --force; overwrites with it.
    assert!(failed(&cli(&args, &env)).contains("exists: pass --force"));
    let mut forced = args.to_vec();
    forced.push("--force");
    ok(&cli(&forced, &env));

    // And back to a PFX from the two PEM files.
    let back = path(dir.path(), "back");
    let args = [
        "convert",
        crt.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--password-env",
        "OUT_PW",
        "--to",
        "pfx",
        "--out",
        back.to_str().unwrap(),
        "--out-password-env",
        "IN_PW",
    ];
    ok(&cli(&args, &env));
    let pfx = path(dir.path(), "back.pfx");
    #[cfg(unix)]
    assert_eq!(mode(&pfx), 0o600);
    let again = ClientCertificate::from_pfx_file(&pfx, Some("convert-test")).unwrap();
    assert_eq!(again.sha1_hex(), original.sha1_hex());
    assert_eq!(again.chain().len(), 2);
}

#[test]
fn pem_to_pfx_without_encryption_and_default_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = path(dir.path(), "single.pem");
    std::fs::copy(data("single.pem"), &input).unwrap();
    let stdout = ok(&cli(
        &[
            "convert",
            input.to_str().unwrap(),
            "--to",
            "pfx",
            "--no-encrypt",
        ],
        &[],
    ));
    assert!(stdout.contains("EMPTY password"), "{stdout}");
    let pfx = ClientCertificate::from_pfx_file(path(dir.path(), "single.pfx"), None).unwrap();
    assert_eq!(
        pfx.sha1_hex(),
        ClientCertificate::from_file(&input, None)
            .unwrap()
            .sha1_hex()
    );
    // Never writes over its input, not even with --force.
    let pfx_path = path(dir.path(), "single.pfx");
    let e = failed(&cli(
        &[
            "convert",
            pfx_path.to_str().unwrap(),
            "--to",
            "pfx",
            "--no-encrypt",
            "--force",
        ],
        &[],
    ));
    assert!(e.contains("is the input file"), "{e}");
}

#[test]
fn output_passwords_never_come_from_argv_or_emptiness() {
    let dir = tempfile::tempdir().unwrap();
    let out = path(dir.path(), "x");
    let out = out.to_str().unwrap();
    let pem = data("single.pem");
    // No terminal, no variable: a clear error, nothing written.
    let e = failed(&cli(&["convert", &pem, "--to", "pem", "--out", out], &[]));
    assert!(e.contains("set --out-password-env VAR"), "{e}");
    assert!(!path(dir.path(), "x.crt.pem").exists());
    let e = failed(&cli(
        &[
            "convert",
            &pem,
            "--to",
            "pfx",
            "--out",
            out,
            "--out-password-env",
            "EMPTY",
        ],
        &[("EMPTY", "")],
    ));
    assert!(e.contains("empty password"), "{e}");
    let e = failed(&cli(
        &[
            "convert",
            &pem,
            "--to",
            "pfx",
            "--out",
            out,
            "--out-password-env",
            "UNSET_VAR_FOR_TEST",
        ],
        &[],
    ));
    assert!(e.contains("UNSET_VAR_FOR_TEST"), "{e}");
    let e = failed(&cli(
        &[
            "convert",
            &pem,
            "--to",
            "pfx",
            "--out",
            out,
            "--no-encrypt",
            "--out-password-env",
            "X",
        ],
        &[],
    ));
    assert!(e.contains("cannot be used with"), "{e}");
    assert!(failed(&cli(
        &["convert", &pem, "--to", "pfx", "--password", "x"],
        &[]
    ))
    .contains("unexpected argument"));
}

#[test]
fn new_cert_writes_pfx_and_cer() {
    let dir = tempfile::tempdir().unwrap();
    let name = path(dir.path(), "daemon");
    let args = [
        "new-cert",
        "--subject",
        "CN=cli-daemon,O=Contoso",
        "--days",
        "30",
        "--out",
        name.to_str().unwrap(),
        "--password-env",
        "PFX_PW",
    ];
    let stdout = ok(&cli(&args, &[("PFX_PW", "new-cert-pw")]));
    let pfx_path = path(dir.path(), "daemon.pfx");
    let cert = ClientCertificate::from_pfx_file(&pfx_path, Some("new-cert-pw")).unwrap();
    assert_eq!(cert.subject(), "CN=cli-daemon,O=Contoso");
    assert_eq!(cert.key_bits(), 2048);
    for line in [
        format!("sha1: {}", cert.sha1_hex()),
        format!("x5t: {}", cert.x5t()),
        format!("x5t#S256: {}", cert.x5t_s256()),
    ] {
        assert!(stdout.contains(&line), "missing {line}: {stdout}");
    }
    assert!(
        stdout.contains("daemon.cer")
            && stdout.contains("Grant admin consent")
            && stdout.contains("/.default")
    );
    let cer =
        CertificateInfo::from_der(&std::fs::read(path(dir.path(), "daemon.cer")).unwrap()).unwrap();
    assert_eq!(cer.thumbprints(), cert.thumbprints());
    #[cfg(unix)]
    assert_eq!(mode(&pfx_path), 0o600);
    let e = failed(&cli(&args, &[("PFX_PW", "new-cert-pw")]));
    assert!(e.contains("exists: pass --force"), "{e}");
}

#[test]
fn new_cert_rejects_bad_arguments_before_generating() {
    let dir = tempfile::tempdir().unwrap();
    let out = path(dir.path(), "n");
    let out = out.to_str().unwrap();
    let env = [("PW", "x-pw")];
    let base = |extra: &[&str]| {
        let mut a = vec!["new-cert", "--out", out, "--password-env", "PW"];
        a.extend_from_slice(extra);
        failed(&cli(&a, &env))
    };
    assert!(base(&["--subject", "CN=a", "--key-bits", "1024"]).contains("2048, 3072 or 4096"));
    assert!(base(&["--subject", "CN=a", "--days", "3651"]).contains("3651"));
    assert!(base(&["--subject", "O=Contoso"]).contains("CN is missing"));
    assert!(!path(dir.path(), "n.pfx").exists());
}

/// Runs an external tool; `None` (with a note) when it is not installed.
fn tool(program: &str, args: &[&str], env: &[(&str, &str)]) -> Option<Output> {
    let mut command = Command::new(program);
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    match command.output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("note: {program} is not installed; skipping its check");
            None
        }
        Err(e) => panic!("cannot run {program}: {e}"),
    }
}

#[tokio::test]
async fn new_cert_output_opens_in_openssl_and_keytool_and_is_accepted_once_registered() {
    let dir = tempfile::tempdir().unwrap();
    let name = path(dir.path(), "svc");
    let env = [("PFX_PW", "svc-password")];
    ok(&cli(
        &[
            "new-cert",
            "--subject",
            "CN=svc",
            "--out",
            name.to_str().unwrap(),
            "--password-env",
            "PFX_PW",
        ],
        &env,
    ));
    let pfx = path(dir.path(), "svc.pfx");
    let cer = path(dir.path(), "svc.cer");
    let (pfx_s, cer_s) = (pfx.to_str().unwrap(), cer.to_str().unwrap());

    if let Some(out) = tool(
        "openssl",
        &["pkcs12", "-in", pfx_s, "-passin", "env:PFX_PW", "-nodes"],
        &env,
    ) {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("BEGIN PRIVATE KEY") && text.contains("BEGIN CERTIFICATE"));
    }
    if let Some(out) = tool(
        "openssl",
        &["x509", "-inform", "DER", "-in", cer_s, "-noout", "-subject"],
        &[],
    ) {
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("CN = svc"));
    }
    let keytool_args = [
        "-list",
        "-keystore",
        pfx_s,
        "-storetype",
        "PKCS12",
        "-storepass:env",
        "PFX_PW",
    ];
    if let Some(out) = tool("keytool", &keytool_args, &env) {
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{listing}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(listing.contains("PrivateKeyEntry"), "{listing}");
    }

    // Registered (the .cer, as uploaded to the app registration), the PFX gets a token.
    let uploaded = CertificateInfo::from_der(&std::fs::read(&cer).unwrap()).unwrap();
    let emulator = entra_token::emulator::Emulator::builder()
        .register_certificate_info(&uploaded)
        .start()
        .await
        .unwrap();
    let certificate = ClientCertificate::from_file(&pfx, Some("svc-password")).unwrap();
    let credential =
        entra_token::Credential::builder(emulator.tenant(), emulator.client_id(), certificate)
            .authority_host(emulator.authority_host())
            .build()
            .unwrap();
    credential
        .get_token("api://svc/.default")
        .await
        .expect("the emulator accepts the new certificate");
    assert_eq!(emulator.counters().issued, 1);
}
