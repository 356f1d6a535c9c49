//! Telemetry of a full run against the strict local Entra emulator, every log line captured
//! (TRACE and up, every target, span events included): no secret that existed during the run
//! may appear in it, and the metadata the crate promises (scope, tenant, client ID, why the
//! token was requested, attempt, HTTP status, duration, correlation ID, token expiry) must,
//! so that telemetry silently dropped fails this test as surely as a leak does.
#![cfg(feature = "emulator")]

mod support;

use std::time::Duration;

use entra_token::emulator::{Emulator, Fault, RetryAfter};
use entra_token::{export_pfx, AccessToken, Credential, TokenOptions};
use support::{against, file_credential, forced, pem, replace, wait_until, Logs};

const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const SCOPE: &str = "https://graph.microsoft.com/.default";
const THROTTLED_SCOPE: &str = "https://vault.azure.net/.default";
const SECRET: &str = "telemetry-client-secret-Q7v~9xP2";
const WRONG_SECRET: &str = "telemetry-wrong-secret-M4k~1zR8";
const PFX_PASSWORD: &str = "telemetry-pfx-password-H3j5";
const CLAIMS: &str = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;
/// `refresh_in` the emulator sends: the cached token is refreshed after this long.
const REFRESH_IN: Duration = Duration::from_secs(1200);

/// What the run saw: secrets that must not be logged, and facts that must.
#[derive(Default)]
struct Run {
    tokens: Vec<String>,
    /// `client-request-id`s the emulator received.
    correlation_ids: Vec<String>,
}

impl Run {
    fn token(&mut self, token: AccessToken) -> AccessToken {
        self.tokens.push(token.secret().to_owned());
        token
    }

    /// Notes the emulator's last request: its correlation ID, and that no assertion or
    /// secret value was kept.
    fn saw(&mut self, emu: &Emulator) {
        let last = emu.last_request().expect("a request was made");
        self.correlation_ids
            .push(last.client_request_id.clone().expect("client-request-id"));
    }
}

/// `name=value` as the fmt layer writes a field: `Display` values bare, strings quoted.
fn has_field(log: &str, name: &str, value: &str) -> bool {
    log.contains(&format!("{name}={value}")) || log.contains(&format!("{name}=\"{value}\""))
}

/// The lines with all of `needles`.
fn lines_with<'a>(log: &'a str, needles: &[&str]) -> Vec<&'a str> {
    log.lines()
        .filter(|l| needles.iter().all(|n| l.contains(n)))
        .collect()
}

/// Waits, on the paused clock, until `done` holds; panics after ten seconds of real time.
async fn until(what: &str, done: impl FnMut() -> bool) {
    wait_until(Duration::from_millis(100), done, || {
        format!("timed out: {what}")
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_full_run_logs_its_metadata_and_none_of_its_secrets() {
    // A current-thread runtime: the credential's spawned tasks log on this thread too.
    let (logs, guard) = Logs::capture_with_span_events();

    let (app, other) = (pem("app.pem"), pem("other.pem"));
    let emu = Emulator::builder()
        .tenant(TENANT)
        .client_id(CLIENT)
        .register_client_certificate(&app)
        .register_client_certificate(&other)
        .client_secret(SECRET)
        .refresh_in(Some(REFRESH_IN))
        .start_in_background()
        .unwrap();
    let mut run = Run::default();

    // A certificate credential from a password-protected PFX file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.pfx");
    std::fs::write(&path, export_pfx(&app, Some(PFX_PASSWORD)).unwrap()).unwrap();
    let credential = file_credential(
        &emu,
        (TENANT, CLIENT),
        &path,
        Some(PFX_PASSWORD),
        Duration::from_secs(5),
    );

    // 1. A miss.
    let first = run.token(credential.get_token(SCOPE).await.unwrap());
    run.saw(&emu);
    // 2. A hit: no request.
    let hit = run.token(credential.get_token(SCOPE).await.unwrap());
    assert_eq!(hit.secret(), first.secret());
    assert_eq!(emu.counters().total, 1);
    // 3. A 503, retried, then a token (forced refresh).
    emu.inject(Fault::Status(503));
    run.token(credential.get_token_with(SCOPE, &forced()).await.unwrap());
    run.saw(&emu);
    // 4. Throttled with Retry-After, then a token.
    emu.inject(Fault::TooManyRequests {
        retry_after: RetryAfter::Seconds(2),
    });
    run.token(credential.get_token(THROTTLED_SCOPE).await.unwrap());
    run.saw(&emu);
    assert_eq!(emu.counters().faults, 2);
    // 5. Past the refresh time: the cached token is served and refreshed in the background.
    let issued = emu.counters().issued;
    tokio::time::advance(REFRESH_IN + Duration::from_secs(100)).await;
    let stale = run.token(credential.get_token(SCOPE).await.unwrap());
    until("the background refresh", || emu.counters().issued > issued).await;
    run.saw(&emu);
    // The emulator counts the token before the credential has cached it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let token = run.token(credential.get_token(SCOPE).await.unwrap());
        if token.secret() != stale.secret() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not refreshed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(emu.counters().issued, issued + 1, "one background refresh");
    // 6. Rotation: a new PFX (same password) is deployed and reloaded.
    replace(&path, &export_pfx(&other, Some(PFX_PASSWORD)).unwrap());
    credential.reload_certificate().await.unwrap();
    until("the rotation", || {
        credential.certificate().unwrap().sha1_hex() == other.sha1_hex()
    })
    .await;
    run.token(credential.get_token_with(SCOPE, &forced()).await.unwrap());
    run.saw(&emu);
    // 7. A CAE claims challenge.
    run.token(
        credential
            .get_token_with(SCOPE, &TokenOptions::new().claims(CLAIMS))
            .await
            .unwrap(),
    );
    assert_eq!(emu.last_request().unwrap().claims.as_deref(), Some(CLAIMS));
    run.saw(&emu);
    // 8. A client secret, right and wrong.
    let secret = against(Credential::secret_builder(TENANT, CLIENT, SECRET), &emu)
        .build()
        .unwrap();
    run.token(secret.get_token(SCOPE).await.unwrap());
    run.saw(&emu);
    let wrong = against(
        Credential::secret_builder(TENANT, CLIENT, WRONG_SECRET),
        &emu,
    )
    .build()
    .unwrap();
    let err = wrong.get_token(SCOPE).await.unwrap_err();
    assert_eq!(err.entra().and_then(|e| e.code()), Some(7000215), "{err}");
    run.saw(&emu);

    drop((credential, secret, wrong));
    drop(guard);
    if std::env::var_os("TELEMETRY_DUMP").is_some() {
        std::fs::write("/tmp/telemetry.log", logs.bytes()).unwrap();
    }
    let log = String::from_utf8(logs.bytes()).unwrap();
    let counters = emu.counters();
    assert_eq!(counters.issued, 7, "{counters:?}");
    assert_eq!(counters.rejected_with(7000215), 1, "{counters:?}");

    // ---- nothing secret --------------------------------------------------------------------
    assert!(run.tokens.len() >= 8);
    for token in &run.tokens {
        assert!(token.starts_with("emulator."), "an emulator token: {token}");
        let random = token.trim_start_matches("emulator.");
        assert!(!log.contains(random), "an access token was logged");
    }
    assert!(!log.contains("emulator."), "an access token was logged");
    for (what, secret) in [
        ("the client secret", SECRET),
        ("the wrong client secret", WRONG_SECRET),
        ("the PFX password", PFX_PASSWORD),
    ] {
        assert!(!log.contains(secret), "{what} was logged");
    }
    // Every JWT (the assertions) starts with the base64url of `{"`.
    assert!(!log.contains("eyJ"), "a JWT was logged");
    for form in ["client_assertion=", "client_secret=", "grant_type="] {
        assert!(!log.contains(form), "a request body was logged ({form})");
    }
    assert!(!log.contains("BEGIN"), "key material was logged");

    // ---- the promised metadata -------------------------------------------------------------
    let acquire = lines_with(&log, &["entra_token.acquire"]);
    assert!(!acquire.is_empty(), "no acquire span:\n{log}");
    for line in &acquire {
        assert!(has_field(line, "tenant", TENANT), "{line}");
        assert!(has_field(line, "client_id", CLIENT), "{line}");
    }
    for scope in [SCOPE, THROTTLED_SCOPE] {
        assert!(has_field(&log, "scope", scope), "scope {scope}:\n{log}");
    }
    // Why each request was made (a hit makes none).
    for reason in ["miss", "force_refresh", "refresh", "claims"] {
        assert!(has_field(&log, "cache", reason), "cache={reason}:\n{log}");
    }
    // Span events: opened and closed with their busy/idle times.
    for span_event in [": new", ": close"] {
        assert!(
            !lines_with(&log, &["entra_token.acquire", span_event]).is_empty(),
            "{span_event}:\n{log}"
        );
    }
    assert!(log.contains("time.busy"), "{log}");
    // Which key signed: the thumbprint before and after the rotation.
    for sha1 in [app.sha1_hex(), other.sha1_hex()] {
        assert!(has_field(&log, "thumbprint", sha1), "thumbprint {sha1}");
    }
    let rotated = lines_with(&log, &["client certificate rotated"]);
    assert_eq!(rotated.len(), 1, "{log}");
    assert!(
        has_field(rotated[0], "old", app.sha1_hex())
            && has_field(rotated[0], "new", other.sha1_hex()),
        "{}",
        rotated[0]
    );
    // Attempts, statuses and durations.
    let retried = lines_with(&log, &["retrying"]);
    assert_eq!(retried.len(), 2, "the 503 and the 429:\n{log}");
    for (status, wait) in [("503", None), ("429", Some("2000"))] {
        let line = retried
            .iter()
            .find(|l| has_field(l, "status", status))
            .unwrap_or_else(|| panic!("no retry line with status {status}:\n{log}"));
        assert!(has_field(line, "attempt", "1"), "{line}");
        if let Some(wait) = wait {
            assert!(has_field(line, "wait_ms", wait), "{line}");
        }
    }
    for status in ["200", "401", "429", "503"] {
        let answered = lines_with(&log, &["token endpoint answered"]);
        assert!(
            answered.iter().any(|l| has_field(l, "status", status)
                && l.contains("elapsed_ms=")
                && l.contains("attempt=")),
            "status {status}:\n{log}"
        );
    }
    assert!(
        lines_with(&log, &["token endpoint answered"])
            .iter()
            .any(|l| has_field(l, "attempt", "2")),
        "{log}"
    );
    // The outcome of each acquisition: duration and expiry; failures too.
    let acquired = lines_with(&log, &["token acquired", "elapsed_ms="]);
    assert!(
        acquired.iter().any(|l| has_field(l, "expires_in", "3599")),
        "{log}"
    );
    assert!(
        lines_with(
            &log,
            &["token request failed", "elapsed_ms=", "AADSTS7000215"]
        )
        .len()
            == 1,
        "{log}"
    );
    // The background refresh is reported as one (so is the forced refresh, which also
    // replaced a token still in service).
    assert!(
        !lines_with(&log, &["cache::flight", "token cached", "background=true"]).is_empty(),
        "{log}"
    );
    // The correlation ID of every request the emulator saw is in the log.
    for id in &run.correlation_ids {
        assert!(has_field(&log, "correlation_id", id), "correlation id {id}");
    }
}

/// GAP: a cache hit leaves no trace at any level (`Credential::cached` in src/credential.rs and
/// `TokenCache::serve` in src/cache/mod.rs log nothing; the `cache` field of the
/// `entra_token.acquire` span only ever says miss, refresh, force_refresh or claims), so hit
/// rates cannot be told from the logs.
#[tokio::test]
async fn a_cache_hit_is_logged() {
    let (logs, _guard) = Logs::capture_with_span_events();
    let app = pem("app.pem");
    let emu = Emulator::builder()
        .tenant(TENANT)
        .client_id(CLIENT)
        .register_client_certificate(&app)
        .start_in_background()
        .unwrap();
    let credential = against(Credential::builder(TENANT, CLIENT, app), &emu)
        .build()
        .unwrap();
    credential.get_token(SCOPE).await.unwrap();
    let before = logs.bytes().len();
    credential.get_token(SCOPE).await.unwrap();
    assert_eq!(emu.counters().total, 1, "a hit");
    let after = String::from_utf8(logs.bytes()[before..].to_vec()).unwrap();
    assert!(
        after.contains("hit"),
        "nothing logged for a cache hit: {after:?}"
    );
}
