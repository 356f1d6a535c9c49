//! Background refresh: exactly one, callers never wait; `refresh_in`; force; prefetch.

use std::sync::Arc;

use tokio::time::advance;

use super::*;
use crate::cache::keep_warm;

/// 3599 s token, no jitter: refresh at 3299 s, unusable at 3539 s (from the request's start).
const REFRESH_AT: Duration = Duration::from_secs(3299);

#[tokio::test(start_paused = true)]
async fn around_the_refresh_time_one_refresh_runs_while_callers_keep_the_old_token() {
    let rig = Rig::new();
    rig.get("s").await.unwrap(); // sent at t0, done at t0 + 100 ms
    let gate = rig.fake.hold();
    advance(REFRESH_AT - secs(1)).await;
    assert_eq!(secret(&rig.get_now("s")), "token-1");
    assert_eq!(rig.fake.calls(), 1, "not yet due");

    advance(secs(1)).await;
    for _ in 0..500 {
        // Every call completes on its first poll (the refresh hangs on the gate).
        assert_eq!(secret(&rig.get_now("s")), "token-1");
    }
    settle().await;
    assert_eq!(rig.fake.calls(), 2, "exactly one refresh started");
    advance(secs(10)).await;
    assert_eq!(secret(&rig.get_now("s")), "token-1");

    gate.add_permits(1);
    settle().await;
    advance(secs(1)).await; // the fake request takes 100 ms
    settle().await;
    let t = rig.get_now("s");
    assert_eq!(secret(&t), "token-2");
    assert_eq!(rig.fake.calls(), 2);
    // The new token's own schedule starts at its request.
    let refreshed_at = t.unwrap().refresh_deadline();
    assert!(refreshed_at > Instant::now() + secs(3200));
}

#[tokio::test(start_paused = true)]
async fn server_refresh_in_is_honoured() {
    let rig = Rig::new();
    rig.fake.answer(Answer::Token {
        expires_in: HOUR,
        refresh_in: Some(secs(600)),
    });
    rig.get("s").await.unwrap();
    advance(secs(599)).await;
    rig.get_now("s").unwrap();
    settle().await;
    assert_eq!(rig.fake.calls(), 1);
    advance(secs(1)).await;
    rig.get_now("s").unwrap();
    settle().await;
    assert_eq!(rig.fake.calls(), 2, "refreshed at refresh_in");
}

#[tokio::test(start_paused = true)]
async fn jittered_refresh_times_fall_in_the_last_minute_before_the_policy_point() {
    let rig = Rig::with(CacheConfig::default());
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..20 {
        let sent = Instant::now();
        let t = rig.force(&format!("s{i}")).await.unwrap();
        let after = t.refresh_deadline() - sent;
        assert!(
            after <= REFRESH_AT && after >= REFRESH_AT - secs(60),
            "{after:?}"
        );
        seen.insert(after);
    }
    assert!(seen.len() > 1, "jitter varies");
}

#[tokio::test(start_paused = true)]
async fn force_refresh_fetches_anew_once_and_replaces_the_entry() {
    let rig = Arc::new(Rig::new());
    assert_eq!(secret(&rig.get("s").await), "token-1");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let rig = Arc::clone(&rig);
            tokio::spawn(async move { rig.force("s").await })
        })
        .collect();
    for t in tasks {
        assert_eq!(secret(&t.await.unwrap()), "token-2");
    }
    assert_eq!(rig.fake.calls(), 2, "forced callers share one request");
    assert_eq!(secret(&rig.get_now("s")), "token-2");

    // A failed forced refresh leaves the cached token in service.
    rig.fake.answer(Answer::Status(503, None));
    assert_eq!(rig.force("s").await.unwrap_err().status(), Some(503));
    assert_eq!(secret(&rig.get_now("s")), "token-2");
}

#[tokio::test(start_paused = true)]
async fn tokens_fetched_outside_the_cache_are_not_cached() {
    // What `get_token_with` does for CAE claims: fetch and convert, never store.
    let rig = Rig::new();
    let issued = rig.fake.load().await.unwrap();
    let t = rig.cache.issue_uncached(issued);
    assert_eq!(t.secret(), "token-1");
    assert!(t.refresh_deadline() > Instant::now() + secs(3000));
    assert_eq!(rig.cache.len(), 0);
    assert_eq!(secret(&rig.get("s").await), "token-2");
}

/// Advances the paused clock in one-second steps, letting tasks run at each.
async fn run_for(d: Duration) {
    for _ in 0..d.as_secs() {
        advance(secs(1)).await;
        settle().await;
    }
}

struct Owner {
    rig: Rig,
}

#[tokio::test(start_paused = true)]
async fn prefetch_keeps_a_key_warm_without_callers_and_stops_with_its_owner() {
    let owner = Arc::new(Owner { rig: Rig::new() });
    let fake = owner.rig.fake.clone();
    let task = tokio::spawn(keep_warm(
        Arc::downgrade(&owner),
        |o: Arc<Owner>, force| async move {
            if force {
                o.rig.force("s").await
            } else {
                o.rig.get("s").await
            }
        },
    ));
    run_for(secs(1)).await;
    assert_eq!(fake.calls(), 1, "fetched at once");
    // Three refresh periods with no caller: one refresh each.
    for n in 2..=4 {
        run_for(REFRESH_AT).await;
        assert_eq!(fake.calls(), n);
    }
    // A caller at any time gets a fresh token without waiting.
    assert!(owner.rig.get_now("s").is_ok());
    assert_eq!(fake.calls(), 4);

    // Refresh failures are retried at the background interval, not in a loop.
    fake.answer(Answer::Status(503, None));
    run_for(REFRESH_AT).await;
    assert_eq!(fake.calls(), 5);
    run_for(secs(29)).await;
    assert_eq!(fake.calls(), 5);
    run_for(secs(2)).await;
    assert_eq!(fake.calls(), 6);

    drop(owner);
    run_for(secs(60)).await;
    assert!(task.is_finished(), "the loop ends once the owner is gone");
}
