//! The cache stays bounded and drops entries whose tokens are no longer usable.

use std::sync::Arc;

use tokio::time::advance;

use super::*;

#[tokio::test(start_paused = true)]
async fn the_bound_holds_and_the_soonest_to_expire_goes_first() {
    let rig = Rig::with(CacheConfig {
        max_entries: 3,
        jitter: false,
    });
    for i in 0..10 {
        // Later keys live longer, so the oldest is always the one evicted.
        rig.fake.answer(Answer::Token {
            expires_in: HOUR + secs(i),
            refresh_in: None,
        });
        rig.get(&format!("scope-{i}")).await.unwrap();
        assert!(rig.cache.len() <= 3);
    }
    assert_eq!(rig.cache.len(), 3);
    let calls = rig.fake.calls();
    for i in 7..10 {
        rig.get_now(&format!("scope-{i}")).unwrap();
    }
    assert_eq!(rig.fake.calls(), calls, "the newest three are still cached");
    rig.get("scope-0").await.unwrap();
    assert_eq!(rig.fake.calls(), calls + 1, "the oldest was evicted");
}

#[tokio::test(start_paused = true)]
async fn expired_entries_are_evicted_when_room_is_made() {
    let rig = Rig::new();
    rig.fake.answer(Answer::Token {
        expires_in: secs(120),
        refresh_in: None,
    });
    rig.get("short").await.unwrap();
    rig.fake.answer(Answer::Token {
        expires_in: HOUR,
        refresh_in: None,
    });
    rig.get("long").await.unwrap();
    assert_eq!(rig.cache.len(), 2);
    advance(secs(200)).await;
    rig.get("new").await.unwrap();
    assert_eq!(
        rig.cache.len(),
        2,
        "`short` is gone, `long` and `new` remain"
    );
    rig.get_now("long").unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_failing_key_keeps_its_backoff_while_it_is_running() {
    let rig = Rig::new();
    rig.fake.answer(Answer::Status(503, Some(secs(60))));
    assert!(rig.get("failing").await.is_err());
    rig.fake.answer(Answer::Token {
        expires_in: HOUR,
        refresh_in: None,
    });
    rig.get("other").await.unwrap();
    // Making room for `other` did not forget `failing`'s backoff.
    assert!(rig.get_now("failing").is_err());
    assert_eq!(rig.fake.calls(), 2);
    advance(secs(61)).await;
    rig.get("third").await.unwrap();
    assert_eq!(
        rig.cache.len(),
        2,
        "a failed key is dropped once its backoff ends"
    );
}

#[tokio::test(start_paused = true)]
async fn an_entry_with_a_request_in_flight_is_not_evicted_while_an_idle_one_remains() {
    let rig = Arc::new(Rig::with(CacheConfig {
        max_entries: 2,
        jitter: false,
    }));
    rig.get("idle").await.unwrap();
    let gate = rig.fake.hold();
    let busy = {
        let rig = Arc::clone(&rig);
        tokio::spawn(async move { rig.get("busy").await })
    };
    settle().await;
    // Room for `third`: `idle` goes, not `busy` (whose token does not exist yet).
    let third_gate = rig.fake.hold();
    third_gate.add_permits(1);
    rig.get("third").await.unwrap();
    let joined = {
        let rig = Arc::clone(&rig);
        tokio::spawn(async move { rig.get("busy").await })
    };
    settle().await;
    assert_eq!(
        rig.fake.calls(),
        3,
        "a second caller of `busy` joined its flight"
    );
    gate.add_permits(1);
    assert_eq!(secret(&busy.await.unwrap()), "token-2");
    assert_eq!(secret(&joined.await.unwrap()), "token-2");
    rig.get_now("busy").unwrap();
    rig.get_now("third").unwrap();
    assert_eq!(rig.fake.calls(), 3);
}
