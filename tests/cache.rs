//! The credential's token cache through the public API, against the strict local emulator:
//! single flight, per-scope independence, background refresh, outages, `refresh_in`, CAE
//! claims and forced refreshes, the size bound, shared failures and backoff, and prefetch.
//!
//! Time: tests that depend on it run on tokio's paused clock and move it with
//! [`advance`]. While a request is on the wire the test never lets the runtime park (it polls
//! and yields, see [`on_the_wire`] and [`until`]): a parked runtime with a paused clock jumps
//! to the next timer, which would move the cache's deadlines by an arbitrary amount. The
//! emulator runs on its own thread in real time (`start_in_background`), and validates
//! assertions against the wall clock, which the paused tokio clock does not touch.
//!
//! Every credential has one try per request (no retry backoff, whose timers would not fire
//! while the clock is held), so each request of the cache is exactly one request the emulator
//! counts. Retries themselves are covered by `tests/exchange.rs`.
#![cfg(feature = "emulator")]

use std::collections::HashSet;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use entra_token::emulator::{Emulator, EmulatorBuilder, Fault};
use entra_token::{
    AccessToken, ClientCertificate, Credential, CredentialBuilder, ErrorKind, RetryPolicy,
    TokenOptions,
};
use tokio::task::JoinHandle;
use tokio::time::advance;

const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const GRAPH: &str = "https://graph.microsoft.com/.default";
const VAULT: &str = "https://vault.azure.net/.default";
const STORAGE: &str = "https://storage.azure.com/.default";

/// The emulator's token lifetime in these tests. With the default policy (`src/refresh.rs`)
/// a one-hour token is refreshed 5 minutes before expiry, at 55 min (3300 s), and no longer
/// served 1 minute before expiry, at 59 min (3540 s).
const HOUR: Duration = Duration::from_secs(3600);
const REFRESH_AFTER: u64 = 3300;
const UNUSABLE_AFTER: u64 = 3540;

/// Real (wall-clock) time allowed for anything waiting on the emulator before a test fails.
const PATIENCE: Duration = Duration::from_secs(30);

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn app() -> ClientCertificate {
    let path = format!(
        "{}/fixtures/pem/rsa2048-combined.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    ClientCertificate::from_file(path, None).unwrap()
}

/// An emulator for `TENANT`/`CLIENT` with [`app`] registered, configured further by `more`.
fn emulator(more: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder) -> Emulator {
    more(
        Emulator::builder()
            .tenant(TENANT)
            .client_id(CLIENT)
            .register_client_certificate(&app()),
    )
    .start_in_background()
    .unwrap()
}

/// A credential for `emu`: no HTTP timers (they would fire early on the paused clock), one
/// try per request, no refresh jitter.
fn credential(emu: &Emulator) -> CredentialBuilder {
    Credential::builder(TENANT, CLIENT, app())
        .authority_host(emu.authority_host())
        .timeout(None)
        .connect_timeout(None)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(1)
                .max_total(Duration::from_secs(24 * 3600)),
        )
        .refresh_jitter(false)
}

/// Polls `fut` once: its output if it completed without waiting for anything.
fn now_or_never<F: Future>(fut: F) -> Option<F::Output> {
    match pin!(fut).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// The token `get_token` returns *at once* (first poll, no I/O, no waiting); panics when it
/// would have waited or failed.
fn at_once(credential: &Credential, scope: &str) -> AccessToken {
    now_or_never(credential.get_token(scope))
        .unwrap_or_else(|| panic!("get_token({scope}) waited instead of answering at once"))
        .unwrap_or_else(|e| panic!("get_token({scope}) failed: {e:?}"))
}

/// The error `get_token` returns at once (from the backoff, without a request).
fn error_at_once(credential: &Credential, scope: &str) -> entra_token::Error {
    match now_or_never(credential.get_token(scope)) {
        Some(Err(e)) => e,
        Some(Ok(t)) => panic!("expected an error, got {t:?}"),
        None => panic!("get_token({scope}) waited instead of failing at once"),
    }
}

/// Awaits `fut` without ever letting the runtime park: the paused clock stays where it is
/// while the request is on the wire.
async fn on_the_wire<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if let Poll::Ready(output) = poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await {
            return output;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no answer within {PATIENCE:?}"
        );
        tokio::task::yield_now().await;
    }
}

/// Yields (never parks, so the paused clock holds) until `done`.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited {PATIENCE:?} for: {what}"
        );
        tokio::task::yield_now().await;
    }
}

/// Lets the runtime run for a moment of real time with the paused clock held: long enough for
/// a request that was started by mistake to reach the emulator. For negative checks only.
async fn settle() {
    let end = std::time::Instant::now() + Duration::from_millis(150);
    while std::time::Instant::now() < end {
        tokio::task::yield_now().await;
    }
}

/// Waits for the outcome of the refresh in flight for `scope`, or, during the backoff after a
/// failed one, returns its error: a forced refresh joins the request in flight and does not
/// send a new one during the backoff, so this sends no request of its own.
async fn refresh_outcome(credential: &Credential, scope: &str) -> entra_token::Result<AccessToken> {
    let forced = TokenOptions::new().force_refresh(true);
    on_the_wire(credential.get_token_with(scope, &forced)).await
}

/// `n` tasks calling `get_token(scope)`.
fn callers(
    credential: &Credential,
    scope: &'static str,
    n: usize,
) -> Vec<JoinHandle<entra_token::Result<AccessToken>>> {
    (0..n)
        .map(|_| {
            let credential = credential.clone();
            tokio::spawn(async move { credential.get_token(scope).await })
        })
        .collect()
}

/// The results of `tasks`, waiting for them without letting the runtime park.
async fn results<T>(tasks: Vec<JoinHandle<T>>) -> Vec<T> {
    until("every caller to finish", || {
        tasks.iter().all(JoinHandle::is_finished)
    })
    .await;
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

/// (total, issued) requests seen by the emulator.
fn requests(emu: &Emulator) -> (u64, u64) {
    let c = emu.counters();
    (c.total, c.issued)
}

// ---------------------------------------------------------------------------------------
// Single flight
// ---------------------------------------------------------------------------------------

/// 1,000 tasks on a multi-thread runtime call `get_token` together on a cold cache: the
/// emulator holds the one request for a moment so that every caller arrives while it is in
/// flight. Exactly one request is made and every caller gets the same token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_callers_on_a_cold_cache_make_one_request() {
    const CALLERS: usize = 1000;
    let emu = emulator(|b| b);
    emu.inject(Fault::Delay(Duration::from_millis(500)));
    let credential = credential(&emu).build().unwrap();
    let start = Arc::new(tokio::sync::Barrier::new(CALLERS));
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (credential, emu, start) = (credential.clone(), emu.clone(), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                // Whether this caller came before any token existed (a true cold-cache caller).
                let cold = emu.counters().issued == 0;
                (cold, credential.get_token(GRAPH).await)
            })
        })
        .collect();
    let mut secrets = HashSet::new();
    let mut cold = 0;
    for task in tasks {
        let (was_cold, token) = task.await.unwrap();
        cold += usize::from(was_cold);
        secrets.insert(token.unwrap().secret().to_owned());
    }
    assert_eq!(
        cold, CALLERS,
        "every caller must have called before the token was issued"
    );
    assert_eq!(secrets.len(), 1, "every caller gets the same token");
    assert_eq!(requests(&emu), (1, 1), "one request for all callers");
}

/// The same on a current-thread runtime: every spawned caller is polled before the request
/// can even start, so all of them wait for the one request.
#[tokio::test]
async fn a_thousand_concurrent_callers_on_one_thread_make_one_request() {
    let emu = emulator(|b| b);
    let credential = credential(&emu).build().unwrap();
    let tokens = results(callers(&credential, GRAPH, 1000)).await;
    let secrets: HashSet<String> = tokens
        .into_iter()
        .map(|t| t.unwrap().secret().to_owned())
        .collect();
    assert_eq!(secrets.len(), 1);
    assert_eq!(requests(&emu), (1, 1));
    // Later callers hit the cache.
    assert!(secrets.contains(at_once(&credential, GRAPH).secret()));
    assert_eq!(requests(&emu), (1, 1));
}

/// Two scopes are two keys: each gets its own request, and a slow request for one does not
/// hold up the other.
#[tokio::test]
async fn two_scopes_are_fetched_independently_and_concurrently() {
    let emu = emulator(|b| b);
    let credential = credential(&emu).build().unwrap();
    // Graph's request is held for two seconds at the emulator.
    emu.inject(Fault::Delay(secs(2)));
    let slow = tokio::spawn({
        let credential = credential.clone();
        async move { credential.get_token(GRAPH).await }
    });
    until("Graph's request to reach the emulator", || {
        emu.counters().faults == 1
    })
    .await;
    let vault = credential.get_token(VAULT).await.unwrap();
    assert!(
        !slow.is_finished(),
        "Vault's token must not wait for Graph's request"
    );
    assert_eq!(requests(&emu), (2, 1), "only Vault's token is issued yet");
    let graph = slow.await.unwrap().unwrap();
    assert_ne!(graph.secret(), vault.secret());
    assert_eq!(requests(&emu), (2, 2));
    // Each is cached under its own scope.
    assert_eq!(at_once(&credential, GRAPH).secret(), graph.secret());
    assert_eq!(at_once(&credential, VAULT).secret(), vault.secret());
    assert_eq!(requests(&emu), (2, 2));
}

// ---------------------------------------------------------------------------------------
// Refresh
// ---------------------------------------------------------------------------------------

/// Before the refresh time the token is simply served. Past it (and before the token stops
/// being served) callers keep getting the old token at once while exactly one background
/// refresh runs; once it completes they get the new token.
#[tokio::test(start_paused = true)]
async fn past_the_refresh_time_the_old_token_is_served_while_one_refresh_runs() {
    let emu = emulator(|b| b.token_lifetime(HOUR));
    let credential = credential(&emu).build().unwrap();
    let old = on_the_wire(credential.get_token(GRAPH)).await.unwrap();
    // The default policy: refresh 5 minutes before expiry.
    assert_eq!(
        old.expires_at().duration_since(old.refresh_at()).unwrap(),
        secs(HOUR.as_secs() - REFRESH_AFTER)
    );

    // One second before the refresh time: served, nothing sent.
    advance(secs(REFRESH_AFTER - 1)).await;
    for _ in 0..100 {
        assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    }
    settle().await;
    assert_eq!(requests(&emu), (1, 1), "no refresh before the refresh time");

    // A minute past the refresh time (two before the token stops being served). The refresh
    // request is held at the emulator for a second.
    advance(secs(61)).await;
    emu.inject(Fault::Delay(secs(1)));
    for _ in 0..100 {
        assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    }
    until("the refresh to reach the emulator", || {
        emu.counters().faults == 1
    })
    .await;
    // Callers on other tasks get the old token too, without waiting for the refresh.
    let others = results(callers(&credential, GRAPH, 100)).await;
    assert_eq!(
        emu.counters().issued,
        1,
        "the callers finished while the refresh was still held"
    );
    for token in others {
        assert_eq!(token.unwrap().secret(), old.secret());
    }
    assert_eq!(requests(&emu), (2, 1), "exactly one refresh request");

    until("the new token to be served", || {
        at_once(&credential, GRAPH).secret() != old.secret()
    })
    .await;
    let new = at_once(&credential, GRAPH);
    assert!(new.expires_at() > old.expires_at());
    for _ in 0..100 {
        assert_eq!(at_once(&credential, GRAPH).secret(), new.secret());
    }
    settle().await;
    assert_eq!(requests(&emu), (2, 2), "one refresh, no more");
}

/// An outage (HTTP 503) during the refresh: the old token is served until it is unusable
/// (expiry minus one minute), failed refreshes are retried every 30 s meanwhile; then callers
/// get the typed error; once the outage ends, a token is fetched again.
#[tokio::test(start_paused = true)]
async fn an_outage_during_refresh_serves_the_old_token_until_it_is_unusable() {
    let emu = emulator(|b| b.token_lifetime(HOUR));
    let credential = credential(&emu).build().unwrap();
    let old = on_the_wire(credential.get_token(GRAPH)).await.unwrap();
    emu.set_outage(Some(503));

    // t = 55m01s: the first caller starts the refresh; it fails.
    advance(secs(REFRESH_AFTER + 1)).await;
    assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    let err = refresh_outcome(&credential, GRAPH).await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err:?}");
    assert!(matches!(err.kind(), ErrorKind::Entra(_)), "{err:?}");
    assert_eq!(requests(&emu), (2, 1));

    // 29 s later: still served, and no new request within the 30 s retry interval.
    advance(secs(29)).await;
    assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    refresh_outcome(&credential, GRAPH).await.unwrap_err();
    assert_eq!(
        requests(&emu),
        (2, 1),
        "no refresh during the retry interval"
    );

    // 31 s after the failure: the next caller starts another refresh; it fails too.
    advance(secs(2)).await;
    assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    refresh_outcome(&credential, GRAPH).await.unwrap_err();
    assert_eq!(requests(&emu), (3, 1));

    // One second before the token is unusable: still served (and one more refresh fails).
    advance(secs(UNUSABLE_AFTER - 1 - (REFRESH_AFTER + 32))).await;
    assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    refresh_outcome(&credential, GRAPH).await.unwrap_err();
    assert_eq!(requests(&emu), (4, 1));

    // One second after: no longer served. Callers get the refresh's error at once, typed,
    // without a new request (the backoff of the last failure runs).
    advance(secs(2)).await;
    for _ in 0..10 {
        let err = error_at_once(&credential, GRAPH);
        assert_eq!(err.status(), Some(503), "{err:?}");
        assert_eq!(err.entra().and_then(|e| e.code()), Some(90033), "{err:?}");
        assert!(err.is_retryable());
    }
    assert_eq!(requests(&emu), (4, 1));

    // The outage ends; after the backoff, a new token.
    emu.set_outage(None);
    error_at_once(&credential, GRAPH);
    advance(secs(30)).await;
    let new = on_the_wire(credential.get_token(GRAPH)).await.unwrap();
    assert_ne!(new.secret(), old.secret());
    assert_eq!(requests(&emu), (5, 2));
    assert_eq!(at_once(&credential, GRAPH).secret(), new.secret());
}

/// The same with connections dropped without an answer: the failure is a transport error.
#[tokio::test(start_paused = true)]
async fn dropped_connections_during_refresh_serve_the_old_token_until_it_is_unusable() {
    let emu = emulator(|b| b.token_lifetime(HOUR));
    let credential = credential(&emu).build().unwrap();
    let old = on_the_wire(credential.get_token(GRAPH)).await.unwrap();

    emu.inject(Fault::DropConnection);
    advance(secs(REFRESH_AFTER + 1)).await;
    assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    let err = refresh_outcome(&credential, GRAPH).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Transport), "{err:?}");
    assert_eq!(err.status(), None);
    assert_eq!(requests(&emu), (2, 1));

    emu.inject(Fault::DropConnection);
    advance(secs(UNUSABLE_AFTER - 1 - (REFRESH_AFTER + 1))).await;
    assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    refresh_outcome(&credential, GRAPH).await.unwrap_err();
    assert_eq!(requests(&emu), (3, 1));
    assert_eq!(emu.pending_faults(), 0);

    // Unusable now, and within the cold backoff of the last failure (2 s after two
    // failures): the error at once, without a request.
    advance(secs(1)).await;
    let err = error_at_once(&credential, GRAPH);
    assert!(matches!(err.kind(), ErrorKind::Transport), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(requests(&emu), (3, 1));

    // No more faults queued: after the backoff, a new token.
    advance(secs(30)).await;
    let new = on_the_wire(credential.get_token(GRAPH)).await.unwrap();
    assert_ne!(new.secret(), old.secret());
    assert_eq!(requests(&emu), (4, 2));
}

/// A server's `refresh_in` sets the refresh time (10 minutes here), not the default policy
/// (55 minutes for a one-hour token).
#[tokio::test(start_paused = true)]
async fn the_servers_refresh_in_is_honoured() {
    let emu = emulator(|b| b.token_lifetime(HOUR).refresh_in(Some(secs(600))));
    let credential = credential(&emu).build().unwrap();
    let old = on_the_wire(credential.get_token(GRAPH)).await.unwrap();
    assert_eq!(
        old.expires_at().duration_since(old.refresh_at()).unwrap(),
        secs(3000),
        "refresh 600 s after issue, 3000 s before expiry"
    );

    advance(secs(599)).await;
    assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    settle().await;
    assert_eq!(requests(&emu), (1, 1), "no refresh before refresh_in");

    advance(secs(2)).await;
    assert_eq!(at_once(&credential, GRAPH).secret(), old.secret());
    until("the refresh at refresh_in", || {
        at_once(&credential, GRAPH).secret() != old.secret()
    })
    .await;
    assert_eq!(requests(&emu), (2, 2));
    let new = at_once(&credential, GRAPH);
    assert_eq!(
        new.expires_at().duration_since(new.refresh_at()).unwrap(),
        secs(3000)
    );
}

// ---------------------------------------------------------------------------------------
// Options: claims and forced refresh
// ---------------------------------------------------------------------------------------

/// A CAE claims request is sent every time (with the `claims` field) and never cached: the
/// cached token is left alone. A forced refresh sends a request and replaces the cached token.
#[tokio::test]
async fn claims_bypass_the_cache_and_force_refresh_replaces_the_cached_token() {
    const CLAIMS: &str = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;
    let emu = emulator(|b| b);
    let credential = credential(&emu).build().unwrap();
    let with_claims = TokenOptions::new().claims(CLAIMS);

    // On a cold cache: the claims token is not cached for the next plain caller.
    let claimed = credential
        .get_token_with(GRAPH, &with_claims)
        .await
        .unwrap();
    assert_eq!(emu.last_request().unwrap().claims.as_deref(), Some(CLAIMS));
    let cached = credential.get_token(GRAPH).await.unwrap();
    assert_ne!(cached.secret(), claimed.secret());
    assert_eq!(emu.last_request().unwrap().claims, None);
    assert_eq!(requests(&emu), (2, 2));

    // With a token cached: each claims request is sent, and returns its own token.
    let mut seen = HashSet::from([cached.secret().to_owned()]);
    for n in 0..3 {
        let t = credential
            .get_token_with(GRAPH, &with_claims)
            .await
            .unwrap();
        assert!(seen.insert(t.secret().to_owned()), "a new token each time");
        assert_eq!(emu.last_request().unwrap().claims.as_deref(), Some(CLAIMS));
        assert_eq!(requests(&emu), (3 + n, 3 + n));
    }
    assert_eq!(at_once(&credential, GRAPH).secret(), cached.secret());
    assert_eq!(requests(&emu), (5, 5));

    // A forced refresh: a request without claims, whose token replaces the cached one.
    let forced = credential
        .get_token_with(GRAPH, &TokenOptions::new().force_refresh(true))
        .await
        .unwrap();
    assert!(!seen.contains(forced.secret()));
    assert_eq!(emu.last_request().unwrap().claims, None);
    assert_eq!(requests(&emu), (6, 6));
    assert_eq!(at_once(&credential, GRAPH).secret(), forced.secret());
    assert_eq!(requests(&emu), (6, 6));
}

// ---------------------------------------------------------------------------------------
// Size bound
// ---------------------------------------------------------------------------------------

/// With room for two tokens, a third scope evicts the token that stops being served first;
/// asking for the evicted scope again makes a request. Tokens are fetched a second apart on
/// the paused clock, so which one goes first is never a tie.
#[tokio::test(start_paused = true)]
async fn the_cache_holds_at_most_its_capacity() {
    let emu = emulator(|b| b);
    let credential = credential(&emu).cache_capacity(2).build().unwrap();
    let mut tokens = Vec::new();
    for scope in [GRAPH, VAULT, STORAGE] {
        tokens.push(on_the_wire(credential.get_token(scope)).await.unwrap());
        advance(secs(1)).await;
    }
    assert_eq!(requests(&emu), (3, 3));

    // Vault and Storage are cached; Graph (the oldest) was evicted for Storage.
    assert_eq!(at_once(&credential, STORAGE).secret(), tokens[2].secret());
    assert_eq!(at_once(&credential, VAULT).secret(), tokens[1].secret());
    assert_eq!(requests(&emu), (3, 3));
    assert!(
        now_or_never(credential.get_token(GRAPH)).is_none(),
        "Graph was evicted: a request is needed"
    );
    let graph = on_the_wire(credential.get_token(GRAPH)).await.unwrap();
    assert_ne!(graph.secret(), tokens[0].secret());
    assert_eq!(requests(&emu), (4, 4));

    // Graph took Vault's place (Vault's token was the older of the two).
    advance(secs(1)).await;
    assert_eq!(at_once(&credential, STORAGE).secret(), tokens[2].secret());
    assert_eq!(at_once(&credential, GRAPH).secret(), graph.secret());
    let vault = on_the_wire(credential.get_token(VAULT)).await.unwrap();
    assert_ne!(vault.secret(), tokens[1].secret());
    assert_eq!(requests(&emu), (5, 5));
}

// ---------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------

/// The app registration lost its certificate (AADSTS700027): 100 callers on a cold cache
/// share one request and its error; callers right after get the error without a request;
/// the next requests come after a backoff of 1 s, then 2 s, then 4 s.
#[tokio::test(start_paused = true)]
async fn a_refusal_is_shared_by_waiting_callers_and_backed_off() {
    let emu = emulator(|b| b);
    assert!(emu.remove_certificate(app().certificate()));
    let credential = credential(&emu).build().unwrap();
    let code = |e: &entra_token::Error| e.entra().and_then(|e| e.code());

    for result in results(callers(&credential, GRAPH, 100)).await {
        let err = result.unwrap_err();
        assert_eq!(code(&err), Some(700027), "{err:?}");
        assert!(!err.is_retryable());
    }
    assert_eq!(requests(&emu), (1, 0), "one request for 100 callers");
    for _ in 0..10 {
        assert_eq!(code(&error_at_once(&credential, GRAPH)), Some(700027));
    }
    assert_eq!(requests(&emu), (1, 0), "no new request during the backoff");

    // t = 1 s: backoff over, a new request (failing again: backoff 2 s).
    advance(secs(1)).await;
    let err = on_the_wire(credential.get_token(GRAPH)).await.unwrap_err();
    assert_eq!(code(&err), Some(700027));
    assert_eq!(requests(&emu), (2, 0));
    // t = 2 s: still backing off.
    advance(secs(1)).await;
    error_at_once(&credential, GRAPH);
    assert_eq!(requests(&emu), (2, 0));
    // t = 3 s: a third request (backoff 4 s).
    advance(secs(1)).await;
    on_the_wire(credential.get_token(GRAPH)).await.unwrap_err();
    assert_eq!(requests(&emu), (3, 0));

    // The certificate is uploaded again; after the backoff the token comes.
    emu.add_certificate(app().certificate()).unwrap();
    advance(secs(3)).await;
    error_at_once(&credential, GRAPH);
    advance(secs(1)).await;
    on_the_wire(credential.get_token(GRAPH)).await.unwrap();
    assert_eq!(requests(&emu), (4, 1));
}

/// A permanent HTTP 400 on every request: one request for all waiting callers, the same
/// typed error for each, no request for the callers right after.
#[tokio::test(start_paused = true)]
async fn a_permanent_error_is_shared_by_waiting_callers() {
    let emu = emulator(|b| b);
    emu.set_outage(Some(400));
    let credential = credential(&emu).build().unwrap();
    for result in results(callers(&credential, GRAPH, 100)).await {
        let err = result.unwrap_err();
        assert_eq!(err.status(), Some(400), "{err:?}");
        assert!(matches!(err.kind(), ErrorKind::Entra(_)), "{err:?}");
        assert!(!err.is_retryable());
    }
    assert_eq!(emu.counters().total, 1);
    assert_eq!(error_at_once(&credential, GRAPH).status(), Some(400));
    assert_eq!(emu.counters().total, 1);

    emu.set_outage(None);
    advance(secs(1)).await;
    on_the_wire(credential.get_token(GRAPH)).await.unwrap();
    assert_eq!(requests(&emu), (2, 1));
}

// ---------------------------------------------------------------------------------------
// Prefetch
// ---------------------------------------------------------------------------------------

/// `prefetch` fetches the token at once and again at each refresh time with nobody calling
/// `get_token`; `get_token` answers at once whenever it is called; the task ends when the
/// last clone of the credential is dropped.
#[tokio::test(start_paused = true)]
async fn prefetch_keeps_the_token_fresh_without_callers() {
    let emu = emulator(|b| b.token_lifetime(HOUR));
    let credential = credential(&emu).build().unwrap();
    let task = credential.prefetch(GRAPH);

    until("the prefetch's first token", || emu.counters().issued == 1).await;
    // Until the answer is processed, get_token joins the prefetch's request (no new one).
    until("get_token to answer at once", || {
        now_or_never(credential.get_token(GRAPH)).is_some()
    })
    .await;
    let mut current = at_once(&credential, GRAPH);
    assert_eq!(requests(&emu), (1, 1));

    for refreshes in 2..=3 {
        // Let the prefetch task go back to sleep, then pass its refresh time; nobody calls
        // get_token until the refresh request has been answered.
        settle().await;
        advance(secs(REFRESH_AFTER + 1)).await;
        until("the prefetch's refresh", || {
            emu.counters().issued == refreshes
        })
        .await;
        until("the refreshed token to be served", || {
            at_once(&credential, GRAPH).secret() != current.secret()
        })
        .await;
        current = at_once(&credential, GRAPH);
        assert_eq!(requests(&emu), (refreshes, refreshes));
    }

    // Dropping the last clone ends the task at its next wake-up, without a request.
    drop(credential);
    settle().await;
    advance(secs(REFRESH_AFTER + 1)).await;
    until("the prefetch task to end", || task.is_finished()).await;
    settle().await;
    assert_eq!(requests(&emu), (3, 3));
}
