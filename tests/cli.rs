//! The `entra-token` binary, run as a user would: thumbprints and inspection of fixtures,
//! password handling, failure paragraphs, and `assertion`/`token` against the emulator.
#![cfg(feature = "cli")]

mod support;

use std::process::{Command, Output};

use entra_token::emulator::Emulator;
use entra_token::ClientCertificate;
use support::{fixture, PASSWORD};

fn entra_token(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_entra-token"));
    cmd.args(args);
    for var in [
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_CLIENT_SECRET",
        "AZURE_AUTHORITY_HOST",
        "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.stdin(std::process::Stdio::null());
    cmd.output().expect("run entra-token")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn path(relative: &str) -> String {
    fixture(relative).display().to_string()
}

#[test]
fn thumbprint_prints_three_lines_matching_openssl() {
    let out = entra_token(
        &[
            "thumbprint",
            &path("pfx/openssl-default.pfx"),
            "--password-env",
            "PFX_PW",
        ],
        &[("PFX_PW", PASSWORD)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // Facts from fixtures/manifest.json, computed by openssl.
    assert_eq!(
        stdout(&out),
        "sha1: CF6532114E0B827E94D244890963C2FAABF2C3F8\n\
         x5t: z2UyEU4Lgn6U0kSJCWPC-qvyw_g\n\
         x5t#S256: WQguA-0hZwRYnnhOcI5gEyqwqnLXUbDym0fBzc2lUpA\n"
    );
}

#[test]
fn thumbprint_reads_the_azure_password_variable_and_bare_certificates() {
    let out = entra_token(
        &["thumbprint", &path("pfx/openssl-legacy.pfx")],
        &[("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let der_only = entra_token(&["thumbprint", &path("certs/rsa2048.cer")], &[]);
    assert!(der_only.status.success(), "{}", stderr(&der_only));
    assert_eq!(stdout(&out), stdout(&der_only));
}

#[test]
fn inspect_json_reports_chain_validity_and_key_match() {
    let out = entra_token(
        &["inspect", &path("pfx/chain3-scrambled.pfx"), "--json"],
        &[("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["key_matches_certificate"], true);
    assert_eq!(v["chain_length"], 2);
    assert_eq!(v["key_bits"], 2048);
    assert_eq!(v["validity"], "valid");
    assert!(
        v["chain"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("ntermediate"),
        "{v}"
    );
}

#[test]
fn inspect_flags_expired_and_mismatched_material() {
    let out = entra_token(&["inspect", &path("pem/expired.pem")], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("validity:     EXPIRED"),
        "{}",
        stdout(&out)
    );

    let out = entra_token(&["inspect", &path("bad/mismatch.pem")], &[]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("DOES NOT MATCH"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("belongs to no certificate"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn failures_are_one_paragraph_without_panic_or_secrets() {
    for (args, env, expect) in [
        (
            vec!["inspect", "fixtures/does-not-exist.pfx"],
            vec![],
            "cannot read",
        ),
        (
            vec!["thumbprint", "bad/garbage.bin"],
            vec![],
            "neither a PFX",
        ),
        (
            vec!["thumbprint", "pfx/openssl-default.pfx"],
            vec![],
            "protected by a password and none was given",
        ),
        (
            vec!["thumbprint", "pfx/openssl-default.pfx"],
            vec![("AZURE_CLIENT_CERTIFICATE_PASSWORD", "wrong-password-123")],
            "the password is wrong",
        ),
        (
            vec!["thumbprint", "bad/mac-iterations.pfx"],
            vec![("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD)],
            "iterations",
        ),
    ] {
        let mut args = args.clone();
        let file = if args[1].starts_with("fixtures/") {
            args[1].to_owned()
        } else {
            path(args[1])
        };
        args[1] = &file;
        let out = entra_token(&args, &env);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(expect),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "one paragraph: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
        assert!(
            !err.contains("wrong-password-123"),
            "password leaked: {err}"
        );
    }
}

#[test]
fn a_password_is_never_accepted_on_the_command_line() {
    let out = entra_token(
        &[
            "thumbprint",
            &path("pfx/openssl-default.pfx"),
            "--password",
            PASSWORD,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "clap usage error expected");
}

fn emulator_for(cert: &ClientCertificate) -> Emulator {
    Emulator::builder()
        .register_client_certificate(cert)
        .start_in_background()
        .expect("emulator")
}

#[test]
fn assertion_and_token_against_the_emulator() {
    let cert = ClientCertificate::from_file(fixture("pem/rsa2048-combined.pem"), None).unwrap();
    let emu = emulator_for(&cert);
    let host = emu.authority_host();
    let cert_path = path("pem/rsa2048-combined.pem");
    let env = [
        ("AZURE_TENANT_ID", emu.tenant()),
        ("AZURE_CLIENT_ID", emu.client_id()),
        ("AZURE_CLIENT_CERTIFICATE_PATH", cert_path.as_str()),
        ("AZURE_AUTHORITY_HOST", host.as_str()),
    ];

    let out = entra_token(&["assertion", "--alg", "RS256"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let jwt = stdout(&out).trim().to_owned();
    let (header, claims) = entra_token::decode_unverified(&jwt).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["x5t"], cert.x5t());
    assert_eq!(claims["aud"], emu.token_endpoint());

    let out = entra_token(&["token", "--scope", "api://demo/.default", "--json"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["access_token"].as_str().unwrap().len() > 10);
    assert!(v["expires_on"].as_u64().unwrap() > 1_700_000_000);

    let out = entra_token(&["token", "--scope", "api://demo"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("AADSTS1002012") && stderr(&out).contains("/.default"),
        "{}",
        stderr(&out)
    );
    assert_eq!(emu.counters().issued, 1);
}

#[test]
fn token_with_a_client_secret_from_the_environment() {
    let emu = Emulator::builder()
        .client_secret("s3cr3t-value")
        .start_in_background()
        .unwrap();
    let host = emu.authority_host();
    let base = [
        ("AZURE_TENANT_ID", emu.tenant()),
        ("AZURE_CLIENT_ID", emu.client_id()),
        ("AZURE_AUTHORITY_HOST", host.as_str()),
    ];
    let mut env = base.to_vec();
    env.push(("MY_SECRET", "s3cr3t-value"));
    let out = entra_token(
        &[
            "token",
            "--scope",
            "api://demo/.default",
            "--secret-env",
            "MY_SECRET",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let mut env = base.to_vec();
    env.push(("AZURE_CLIENT_SECRET", "not-it"));
    let out = entra_token(&["token", "--scope", "api://demo/.default"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("AADSTS7000215"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("not-it"));
}

#[test]
fn demo_runs_offline() {
    let out = entra_token(&["demo"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "x5t#S256",
        "\"alg\":\"PS256\"",
        "expires in",
        "served from the cache",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
