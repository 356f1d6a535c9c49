//! Outages: the old token stays in service; retries are spaced; errors are shared and typed.

use std::sync::Arc;

use tokio::time::advance;

use super::*;

const REFRESH_AT: Duration = Duration::from_secs(3299);
const UNUSABLE_AT: Duration = Duration::from_secs(3539);

#[tokio::test(start_paused = true)]
async fn outage_during_refresh_serves_the_old_token_until_unusable_then_a_typed_error() {
    let rig = Rig::new();
    let start = Instant::now();
    rig.get("s").await.unwrap();
    rig.fake.answer(Answer::Status(503, None));
    advance(REFRESH_AT).await;
    let mut attempts = Vec::new();
    // Call every second through the outage.
    while Instant::now() < start + UNUSABLE_AT {
        let before = rig.fake.calls();
        assert_eq!(secret(&rig.get_now("s")), "token-1");
        settle().await;
        if rig.fake.calls() > before {
            attempts.push((Instant::now() - start).as_secs());
        }
        advance(secs(1)).await;
    }
    // One attempt at the refresh time, then no more often than every 30 s.
    assert_eq!(attempts[0], REFRESH_AT.as_secs());
    assert!(
        attempts.windows(2).all(|w| w[1] - w[0] >= 30),
        "{attempts:?}"
    );
    assert_eq!(attempts.len(), 8, "{attempts:?}");

    // Unusable now: callers get the endpoint's error, with its kind and status.
    let e = rig.get("s").await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert!(e.is_retryable());
    assert!(matches!(
        e.kind(),
        ErrorKind::HttpStatus { status: 503, .. }
    ));

    // The endpoint recovers: the next attempt after the backoff succeeds.
    rig.fake.answer(Answer::Token {
        expires_in: HOUR,
        refresh_in: None,
    });
    advance(secs(30)).await;
    assert_eq!(
        secret(&rig.get("s").await),
        format!("token-{}", rig.fake.calls())
    );
}

#[tokio::test(start_paused = true)]
async fn background_retries_honour_retry_after() {
    let rig = Rig::new();
    rig.get("s").await.unwrap();
    rig.fake.answer(Answer::Status(429, Some(secs(100))));
    advance(REFRESH_AT).await;
    rig.get_now("s").unwrap();
    settle().await;
    advance(secs(1)).await; // the failed request completes
    assert_eq!(rig.fake.calls(), 2);
    for _ in 0..98 {
        rig.get_now("s").unwrap();
        settle().await;
        advance(secs(1)).await;
    }
    assert_eq!(rig.fake.calls(), 2, "nothing before Retry-After");
    advance(secs(2)).await;
    rig.get_now("s").unwrap();
    settle().await;
    assert_eq!(rig.fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn every_waiter_of_a_failed_request_gets_the_same_kind_and_later_callers_back_off() {
    let rig = Arc::new(Rig::new());
    rig.fake.answer(Answer::Status(500, Some(secs(3))));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let rig = Arc::clone(&rig);
            tokio::spawn(async move { rig.get("s").await })
        })
        .collect();
    for t in tasks {
        let e = t.await.unwrap().unwrap_err();
        assert_eq!((e.status(), e.retry_after()), (Some(500), Some(secs(3))));
    }
    assert_eq!(rig.fake.calls(), 1);

    // Within the backoff (here Retry-After: 3 s) callers get the error without a request.
    let e = rig.get_now("s").unwrap_err();
    assert_eq!(e.status(), Some(500));
    advance(secs(2)).await;
    assert!(rig.get_now("s").is_err());
    assert_eq!(rig.fake.calls(), 1);
    advance(secs(2)).await;
    assert!(rig.get("s").await.is_err());
    assert_eq!(rig.fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn cold_backoff_doubles_and_resets_on_success() {
    let rig = Rig::new();
    rig.fake.answer(Answer::Status(503, None));
    let start = Instant::now();
    let mut attempts = Vec::new();
    while Instant::now() < start + secs(40) {
        let (before, at) = (rig.fake.calls(), Instant::now() - start);
        let _ = rig.get("s").await;
        if rig.fake.calls() > before {
            attempts.push(at.as_millis() / 100);
        }
        advance(Duration::from_millis(100)).await;
    }
    // Each request takes 0.1 s; then 1, 2, 4, 8, 16 s of backoff.
    assert_eq!(attempts, [0, 11, 32, 73, 154, 315]);
    rig.fake.answer(Answer::Token {
        expires_in: HOUR,
        refresh_in: None,
    });
    advance(secs(30)).await;
    assert!(rig.get("s").await.is_ok());
    assert!(rig.get_now("s").is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_panicking_loader_releases_its_waiters_and_the_key_recovers() {
    let rig = Arc::new(Rig::new());
    rig.fake.answer(Answer::Panic);
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let rig = Arc::clone(&rig);
            tokio::spawn(async move { rig.get("s").await })
        })
        .collect();
    for w in waiters {
        let e = w.await.unwrap().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::RefreshFailed));
    }
    rig.fake.answer(Answer::Token {
        expires_in: HOUR,
        refresh_in: None,
    });
    advance(secs(2)).await;
    assert_eq!(secret(&rig.get("s").await), "token-2");
}

#[test]
fn shared_errors_keep_kind_path_and_source_chain_without_repeating_themselves() {
    let io = std::io::Error::other("connection reset");
    let original = Error::new(ErrorKind::Transport)
        .with_path("/x")
        .with_source(io);
    let shared = Arc::new(original);
    let e = super::super::flight::rebuild(&shared);
    assert_eq!(e.kind(), shared.kind());
    assert_eq!(e.path(), shared.path());
    assert_eq!(e.to_string(), shared.to_string());
    let source = std::error::Error::source(&e).expect("source");
    assert_eq!(source.to_string(), "connection reset");
    assert!(source.source().is_none());
    // Without a source, none is invented.
    let bare = Arc::new(Error::new(ErrorKind::Timeout));
    assert!(std::error::Error::source(&super::super::flight::rebuild(&bare)).is_none());
}

#[tokio::test(start_paused = true)]
async fn once_the_token_is_unusable_callers_wait_only_the_cold_backoff() {
    let rig = Rig::new();
    let start = Instant::now();
    rig.get("s").await.unwrap();
    // The last background refresh before the token becomes unusable fails...
    rig.fake.answer(Answer::Status(503, None));
    advance(UNUSABLE_AT - secs(2)).await;
    rig.get_now("s").unwrap();
    settle().await;
    advance(Duration::from_millis(200)).await;
    settle().await; // the failed refresh completes
    assert_eq!(rig.fake.calls(), 2);
    // ...then the endpoint recovers just as the token becomes unusable.
    rig.fake.answer(Answer::Token {
        expires_in: HOUR,
        refresh_in: None,
    });
    advance(start + UNUSABLE_AT + secs(1) - Instant::now()).await;
    // Not 30 s of stale errors (the background interval): the cold backoff of the first
    // failure (1 s) has passed, so this caller gets a new token.
    assert_eq!(secret(&rig.get("s").await), "token-3");
}
