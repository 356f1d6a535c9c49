//! Certificate rotation against the strict local Entra emulator: a file swapped under a
//! running credential, reloads that fail and keep the working certificate in service,
//! AADSTS700027 reload-and-retry (file and provider), an async provider, and expiry (refusal
//! at build, the warning window).
//!
//! Tests that rely on the background watcher run on tokio's paused clock, so "wait past the
//! check interval" takes no real time; tests that must keep the watcher quiet run on the real
//! clock with a long interval (the paused clock jumps to pending timers, the watcher's
//! included, whenever the runtime waits on I/O).
#![cfg(all(feature = "emulator", feature = "new-cert"))]

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entra_token::emulator::Emulator;
use entra_token::{export_pfx, ClientCertificate, Credential, Error, ErrorKind, ProviderResult};
use support::{against, file_credential, forced, pem, pem_bytes, replace, wait_until, Logs};

const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const SCOPE: &str = "https://graph.microsoft.com/.default";
const OTHER_SCOPE: &str = "https://vault.azure.net/.default";
/// The password of the PFX files these tests write.
const PFX_PASSWORD: &str = "rotation-pfx-password";
/// Long enough that the watcher never runs during a real-clock test.
const QUIET: Duration = Duration::from_secs(3600);

/// `fixtures/pem/expired.pem`: certificate and key, expired long ago.
fn expired_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pem/expired.pem")
}

fn expired() -> ClientCertificate {
    let cert = ClientCertificate::from_file(expired_path(), None).unwrap();
    assert!(!cert.is_valid_at(std::time::SystemTime::now()));
    cert
}

/// An emulator for TENANT/CLIENT that knows `registered` (and a client secret).
fn emulator(registered: &[&ClientCertificate]) -> Emulator {
    let mut b = Emulator::builder()
        .tenant(TENANT)
        .client_id(CLIENT)
        .client_secret("unused-secret");
    for certificate in registered {
        b = b.register_client_certificate(certificate);
    }
    b.start_in_background().unwrap()
}

/// A credential for `emu` reading `client.pem` in a new directory (gone with the `TempDir`),
/// which holds `app.pem` to begin with and is checked every `check_interval`.
fn from_app_pem_file(
    emu: &Emulator,
    check_interval: Duration,
) -> (tempfile::TempDir, PathBuf, Credential) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.pem");
    std::fs::write(&path, pem_bytes("app.pem")).unwrap();
    let credential = file_credential(emu, (TENANT, CLIENT), &path, None, check_interval);
    (dir, path, credential)
}

/// The `x5t#S256` of the last assertion the emulator received.
fn signed_with(emu: &Emulator) -> String {
    let header = emu
        .last_request()
        .expect("a request was made")
        .assertion_header
        .expect("the request carried an assertion");
    header["x5t#S256"]
        .as_str()
        .expect("a PS256 assertion carries x5t#S256")
        .to_owned()
}

/// The SHA-1 thumbprint of the certificate `credential` uses.
fn in_use(credential: &Credential) -> String {
    credential
        .certificate()
        .expect("a certificate credential")
        .sha1_hex()
        .to_owned()
}

/// Waits (on the paused clock, in steps) until `credential` uses the certificate `sha1`;
/// panics after ten seconds of real time. The watcher reads the file in `spawn_blocking`,
/// which the paused clock does not wait for, hence the loop.
async fn wait_for_certificate(credential: &Credential, sha1: &str) {
    wait_until(
        Duration::from_millis(200),
        || in_use(credential) == sha1,
        || {
            format!(
                "the watcher did not take {sha1} into use; still {}",
                in_use(credential)
            )
        },
    )
    .await;
}

// ---- a file swapped under a running credential ----------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_file_swapped_under_a_running_credential_is_used_after_the_check_interval() {
    let (app, other) = (pem("app.pem"), pem("other.pem"));
    let emu = emulator(&[&app, &other]);
    let (_dir, path, credential) = from_app_pem_file(&emu, Duration::from_secs(5));
    let earlier_clone = credential.clone();
    let first = credential.get_token(SCOPE).await.unwrap();
    assert_eq!(signed_with(&emu), app.x5t_s256());
    assert_eq!(in_use(&credential), app.sha1_hex());

    replace(&path, &pem_bytes("other.pem"));
    // Nothing has run since the swap: the watcher, not the write, changes the certificate.
    assert_eq!(in_use(&credential), app.sha1_hex());
    wait_for_certificate(&credential, other.sha1_hex()).await;
    assert_eq!(
        in_use(&earlier_clone),
        other.sha1_hex(),
        "clones share the rotation"
    );
    assert_eq!(emu.counters().total, 1, "the watcher itself sends nothing");

    // The next request is signed by the new key, by the same credential object.
    let forced_token = credential.get_token_with(SCOPE, &forced()).await.unwrap();
    assert_eq!(signed_with(&emu), other.x5t_s256());
    assert_ne!(forced_token.secret(), first.secret());
    earlier_clone.get_token(OTHER_SCOPE).await.unwrap();
    assert_eq!(signed_with(&emu), other.x5t_s256());
    let counters = emu.counters();
    assert_eq!((counters.total, counters.issued), (3, 3), "{counters:?}");
}

// ---- failed reloads keep the working certificate -------------------------------------------

#[tokio::test]
async fn a_broken_replacement_is_refused_and_the_old_certificate_keeps_serving() {
    let (app, other) = (pem("app.pem"), pem("other.pem"));
    let emu = emulator(&[&app, &other]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.pfx");
    std::fs::write(&path, export_pfx(&app, Some(PFX_PASSWORD)).unwrap()).unwrap();
    let credential = file_credential(&emu, (TENANT, CLIENT), &path, Some(PFX_PASSWORD), QUIET);
    credential.get_token(SCOPE).await.unwrap();
    assert_eq!(signed_with(&emu), app.x5t_s256());

    let other_pfx = export_pfx(&other, Some(PFX_PASSWORD)).unwrap();
    type Expected = fn(&ErrorKind) -> bool;
    let refusals: [(&str, Vec<u8>, Expected); 3] = [
        (
            "half written",
            other_pfx[..other_pfx.len() / 2].to_vec(),
            |k| matches!(k, ErrorKind::Malformed { .. }),
        ),
        (
            "another password",
            export_pfx(&other, Some("not-the-configured-password"))
                .unwrap()
                .to_vec(),
            |k| matches!(k, ErrorKind::WrongPassword),
        ),
        (
            "expired",
            export_pfx(&expired(), Some(PFX_PASSWORD)).unwrap().to_vec(),
            |k| matches!(k, ErrorKind::CertificateExpired { .. }),
        ),
    ];
    for (what, contents, expected) in refusals {
        replace(&path, &contents);
        let err = match credential.reload_certificate().await {
            Ok(changed) => panic!("a {what} file was accepted (changed: {changed})"),
            Err(e) => e,
        };
        assert!(expected(err.kind()), "{what}: {err:?}");
        assert_eq!(err.path(), Some(path.as_path()), "{what}: {err}");
        assert_eq!(in_use(&credential), app.sha1_hex(), "{what}");
        // The same bad contents are not reported again, and change nothing.
        assert!(!credential.reload_certificate().await.unwrap(), "{what}");
        // Tokens still come, signed by the old key.
        credential.get_token_with(SCOPE, &forced()).await.unwrap();
        assert_eq!(signed_with(&emu), app.x5t_s256(), "{what}");
    }

    // A good file, completely written: taken into use.
    replace(&path, &other_pfx);
    assert!(credential.reload_certificate().await.unwrap());
    assert_eq!(in_use(&credential), other.sha1_hex());
    assert!(!credential.reload_certificate().await.unwrap(), "once only");
    credential.get_token_with(SCOPE, &forced()).await.unwrap();
    assert_eq!(signed_with(&emu), other.x5t_s256());
    let counters = emu.counters();
    assert_eq!((counters.total, counters.issued), (5, 5), "{counters:?}");
}

#[tokio::test(start_paused = true)]
async fn the_watcher_reports_a_half_written_file_once_and_keeps_serving() {
    let (logs, _guard) = Logs::capture();
    let (app, other) = (pem("app.pem"), pem("other.pem"));
    let emu = emulator(&[&app, &other]);
    let (_dir, path, credential) = from_app_pem_file(&emu, Duration::from_secs(5));
    credential.get_token(SCOPE).await.unwrap();

    let other_pem = pem_bytes("other.pem");
    replace(&path, &other_pem[..other_pem.len() / 2]);
    let refused = "could not be reloaded";
    wait_until(
        Duration::from_millis(200),
        || !logs.lines_with(refused).is_empty(),
        || {
            format!(
                "the watcher never reported the half-written file:\n{}",
                logs.text()
            )
        },
    )
    .await;
    // Several more intervals: still the old certificate, reported once.
    tokio::time::sleep(Duration::from_secs(30)).await;
    for _ in 0..20 {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reports = logs.lines_with(refused);
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert!(reports[0].contains("ERROR"), "{}", reports[0]);
    assert!(
        reports[0].contains(&path.display().to_string()),
        "the report names the file: {}",
        reports[0]
    );
    assert_eq!(in_use(&credential), app.sha1_hex());
    credential.get_token_with(SCOPE, &forced()).await.unwrap();
    assert_eq!(signed_with(&emu), app.x5t_s256());

    // The deploy finishes: the watcher takes the new certificate into use.
    replace(&path, &other_pem);
    wait_for_certificate(&credential, other.sha1_hex()).await;
    credential.get_token_with(SCOPE, &forced()).await.unwrap();
    assert_eq!(signed_with(&emu), other.x5t_s256());
    assert_eq!(logs.lines_with("client certificate rotated").len(), 1);
}

// ---- AADSTS700027: reload once and retry once ---------------------------------------------

/// A forced request, rejected once with AADSTS700027 and then answered with a token (the
/// certificate reloaded in between): two requests, one token, since the counters' reset.
async fn succeeds_after_one_key_not_found(emu: &Emulator, credential: &Credential) {
    credential.get_token_with(SCOPE, &forced()).await.unwrap();
    let counters = emu.counters();
    assert_eq!(counters.rejected_with(700027), 1, "{counters:?}");
    assert_eq!((counters.total, counters.issued), (2, 1), "{counters:?}");
}

/// Deletes `certificate` from the app registration, resets the emulator's counters and sends a
/// forced request: it fails with AADSTS700027 (key not found).
async fn unregister_and_expect_key_not_found(
    emu: &Emulator,
    credential: &Credential,
    certificate: &ClientCertificate,
) {
    assert!(emu.remove_certificate(certificate.certificate()));
    emu.reset_counters();
    let err = credential
        .get_token_with(SCOPE, &forced())
        .await
        .unwrap_err();
    assert!(err.is_key_not_found(), "{err:?}");
}

#[tokio::test]
async fn key_not_found_reloads_a_changed_file_and_retries_in_the_same_call() {
    let (app, other) = (pem("app.pem"), pem("other.pem"));
    let emu = emulator(&[&app]);
    let (_dir, path, credential) = from_app_pem_file(&emu, QUIET);
    credential.get_token(SCOPE).await.unwrap();
    assert_eq!(signed_with(&emu), app.x5t_s256());

    // The new certificate is deployed and uploaded, the old one deleted from the app
    // registration; the watcher has not looked yet.
    replace(&path, &pem_bytes("other.pem"));
    emu.add_certificate(other.certificate()).unwrap();
    assert!(emu.remove_certificate(app.certificate()));
    emu.reset_counters();
    assert_eq!(in_use(&credential), app.sha1_hex());

    succeeds_after_one_key_not_found(&emu, &credential).await;
    assert_eq!(signed_with(&emu), other.x5t_s256());
    assert_eq!(in_use(&credential), other.sha1_hex());
}

#[tokio::test]
async fn key_not_found_with_an_unchanged_file_is_returned_without_a_retry() {
    let app = pem("app.pem");
    let emu = emulator(&[&app]);
    let (_dir, _path, credential) = from_app_pem_file(&emu, QUIET);
    credential.get_token(SCOPE).await.unwrap();

    unregister_and_expect_key_not_found(&emu, &credential, &app).await;
    let counters = emu.counters();
    assert_eq!(
        (counters.total, counters.rejected_with(700027)),
        (1, 1),
        "no pointless retry: {counters:?}"
    );
    assert_eq!(in_use(&credential), app.sha1_hex());
}

// ---- an async provider ---------------------------------------------------------------------

/// What the fake vault answers.
#[derive(Clone)]
enum Vault {
    Serve(ClientCertificate),
    /// A foreign error (a vault client's).
    Unreachable,
    /// One of ours, passed through unchanged.
    Ours(ErrorKind),
}

#[tokio::test]
async fn a_provider_rotates_refuses_failures_and_answers_key_not_found() {
    let (app, other, chain) = (pem("app.pem"), pem("other.pem"), pem("chain.pem"));
    let emu = emulator(&[&app, &other]);
    let vault = Arc::new(Mutex::new(Vault::Serve(app.clone())));
    let calls = Arc::new(AtomicUsize::new(0));
    let provider = {
        let (vault, calls) = (Arc::clone(&vault), Arc::clone(&calls));
        move || {
            let answer = vault.lock().unwrap().clone();
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                let result: ProviderResult = match answer {
                    Vault::Serve(certificate) => Ok(certificate),
                    Vault::Unreachable => Err("vault unreachable".into()),
                    Vault::Ours(kind) => Err(Box::new(Error::new(kind))),
                };
                result
            }
        }
    };
    let set = |answer: Vault| *vault.lock().unwrap() = answer;
    let credential = against(
        Credential::builder_from_provider(TENANT, CLIENT, provider)
            .await
            .unwrap(),
        &emu,
    )
    .build()
    .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    credential.get_token(SCOPE).await.unwrap();
    assert_eq!(signed_with(&emu), app.x5t_s256());

    // The same certificate again: nothing changes.
    assert!(!credential.reload_certificate().await.unwrap());

    // Rotation.
    set(Vault::Serve(other.clone()));
    assert!(credential.reload_certificate().await.unwrap());
    assert_eq!(in_use(&credential), other.sha1_hex());
    credential.get_token_with(SCOPE, &forced()).await.unwrap();
    assert_eq!(signed_with(&emu), other.x5t_s256());

    // Failures keep the current certificate.
    set(Vault::Unreachable);
    let err = credential.reload_certificate().await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::CertificateProvider),
        "{err:?}"
    );
    let cause = std::error::Error::source(&err).expect("the vault's error is the source");
    assert_eq!(cause.to_string(), "vault unreachable");
    set(Vault::Ours(ErrorKind::WrongPassword));
    let err = credential.reload_certificate().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::WrongPassword), "{err:?}");
    set(Vault::Serve(expired()));
    let err = credential.reload_certificate().await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::CertificateExpired { .. }),
        "{err:?}"
    );
    assert_eq!(in_use(&credential), other.sha1_hex());
    credential.get_token_with(SCOPE, &forced()).await.unwrap();
    assert_eq!(signed_with(&emu), other.x5t_s256());

    // AADSTS700027: the provider is asked once more and the request retried once.
    set(Vault::Serve(chain.clone()));
    emu.add_certificate(chain.certificate()).unwrap();
    assert!(emu.remove_certificate(other.certificate()));
    emu.reset_counters();
    let before = calls.load(Ordering::SeqCst);
    succeeds_after_one_key_not_found(&emu, &credential).await;
    assert_eq!(calls.load(Ordering::SeqCst), before + 1);
    assert_eq!(signed_with(&emu), chain.x5t_s256());
    assert_eq!(in_use(&credential), chain.sha1_hex());

    // ... and when the provider still has the rejected certificate, the error comes back
    // after one request.
    unregister_and_expect_key_not_found(&emu, &credential, &chain).await;
    assert_eq!(emu.counters().total, 1);
    assert_eq!(in_use(&credential), chain.sha1_hex());
}

#[tokio::test]
async fn a_provider_failing_at_the_start_is_the_builders_error() {
    let err = Credential::builder_from_provider(TENANT, CLIENT, || async {
        let result: ProviderResult = Err("vault unreachable".into());
        result
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::CertificateProvider),
        "{err:?}"
    );
}

// ---- expiry --------------------------------------------------------------------------------

#[tokio::test]
async fn an_expired_certificate_is_refused_at_build_with_what_to_do() {
    let check = |err: Error| {
        assert!(
            matches!(err.kind(), ErrorKind::CertificateExpired { .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("expired at"), "{message}");
        assert!(message.contains("create a new one"), "{message}");
        assert!(
            message.contains("upload it to the app registration"),
            "{message}"
        );
    };
    check(
        Credential::builder(TENANT, CLIENT, expired())
            .build()
            .unwrap_err(),
    );
    let from_file = Credential::builder_from_file(TENANT, CLIENT, expired_path(), None)
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(
        from_file.path(),
        Some(expired_path().as_path()),
        "names the file"
    );
    check(from_file);
    let from_provider = Credential::builder_from_provider(TENANT, CLIENT, || async {
        let result: ProviderResult = Ok(expired());
        result
    })
    .await
    .unwrap();
    check(from_provider.build().unwrap_err());
}

#[tokio::test]
async fn a_certificate_expiring_within_the_window_is_announced_at_build_and_with_each_request() {
    let (logs, _guard) = Logs::capture();
    let soon = entra_token::new_self_signed("CN=expires-in-ten-days", 10, 2048).unwrap();
    let app = pem("app.pem");
    let emu = emulator(&[&app]);
    emu.add_certificate(soon.certificate()).unwrap();
    let announcement = "expires soon";

    // Outside the window: silent.
    let long_lived = against(Credential::builder(TENANT, CLIENT, app), &emu)
        .build()
        .unwrap();
    long_lived.get_token(SCOPE).await.unwrap();
    let narrow = against(Credential::builder(TENANT, CLIENT, soon.clone()), &emu)
        .expiry_warning(Duration::from_secs(5 * 86_400))
        .build()
        .unwrap();
    narrow.get_token(SCOPE).await.unwrap();
    assert!(logs.lines_with(announcement).is_empty(), "{}", logs.text());

    // Within the default 30 days: a WARN at build, and again with the request.
    let credential = against(Credential::builder(TENANT, CLIENT, soon.clone()), &emu)
        .build()
        .unwrap();
    let at_build = logs.lines_with(announcement);
    assert_eq!(at_build.len(), 1, "{}", logs.text());
    let line = &at_build[0];
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains(soon.sha1_hex()), "{line}");
    assert!(line.contains("days_left=9"), "{line}");
    assert!(
        line.contains(soon.certificate().not_after_rfc3339()),
        "{line}"
    );
    credential.get_token(SCOPE).await.unwrap();
    assert_eq!(logs.lines_with(announcement).len(), 2, "{}", logs.text());
    assert_eq!(signed_with(&emu), soon.x5t_s256());
}

/// BUG (src/credential.rs, `CredentialInner::fetch`): two requests rejected with AADSTS700027
/// at the same time (two scopes, or a request in flight while the watcher rotates) both
/// reload; the first takes the new certificate into use, the second finds nothing new
/// (`reload` returns `Ok(None)`: the file is already the one in use) and returns the 700027
/// error, although the certificate now in use is not the one that was rejected.
#[tokio::test]
async fn concurrent_key_not_found_all_succeed_after_one_rotation() {
    let (app, other) = (pem("app.pem"), pem("other.pem"));
    let emu = emulator(&[&app]);
    let (_dir, path, credential) = from_app_pem_file(&emu, QUIET);
    credential.get_token(SCOPE).await.unwrap();

    replace(&path, &pem_bytes("other.pem"));
    emu.add_certificate(other.certificate()).unwrap();
    assert!(emu.remove_certificate(app.certificate()));
    let force = forced();
    let (a, b) = tokio::join!(
        credential.get_token(OTHER_SCOPE),
        credential.get_token_with(SCOPE, &force),
    );
    assert_eq!(in_use(&credential), other.sha1_hex());
    a.expect("the first scope");
    b.expect("the second scope");
}
