//! The cache stays bounded and drops entries whose tokens are no longer usable.

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
