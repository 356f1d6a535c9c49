//! Single-flight: one request per key however many callers; keys never block each other.

use std::sync::Arc;

use super::*;

#[tokio::test(start_paused = true)]
async fn a_thousand_callers_on_a_cold_cache_make_one_request() {
    let rig = Arc::new(Rig::new());
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let rig = Arc::clone(&rig);
            tokio::spawn(async move { rig.get("https://graph.microsoft.com/.default").await })
        })
        .collect();
    for t in tasks {
        assert_eq!(secret(&t.await.unwrap()), "token-1");
    }
    assert_eq!(rig.fake.calls(), 1);
    assert_eq!(rig.cache.len(), 1);
    // And the next call is a hit.
    assert_eq!(
        secret(&rig.get_now("https://graph.microsoft.com/.default")),
        "token-1"
    );
    assert_eq!(rig.fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_slow_key_does_not_block_another() {
    let rig = Arc::new(Rig::new());
    let gate = rig.fake.hold();
    let slow = {
        let rig = Arc::clone(&rig);
        tokio::spawn(async move { rig.get("a/.default").await })
    };
    settle().await;
    assert!(!slow.is_finished());
    // Key B's load must not wait for A's.
    let (gate_b, b) = (rig.fake.hold(), {
        let rig = Arc::clone(&rig);
        tokio::spawn(async move { rig.get("b/.default").await })
    });
    settle().await;
    gate_b.add_permits(1);
    assert_eq!(secret(&b.await.unwrap()), "token-2");
    assert!(!slow.is_finished(), "A is still loading");
    gate.add_permits(1);
    assert_eq!(secret(&slow.await.unwrap()), "token-1");
    assert_eq!(rig.fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn spellings_of_one_scope_set_share_an_entry_and_the_loader_gets_the_normal_form() {
    let rig = Rig::new();
    rig.get("B/.default a/.default").await.unwrap();
    rig.get("a/.default  B/.default a/.default").await.unwrap();
    rig.get_now("B/.default a/.default").unwrap();
    rig.get_now("B/.default a/.default").unwrap();
    assert_eq!(rig.fake.calls(), 1);
    assert_eq!(rig.fake.scopes(), ["B/.default a/.default"]);
    rig.get("HTTPS://Graph.Microsoft.com/.default")
        .await
        .unwrap();
    rig.get_now("https://graph.microsoft.com/.default").unwrap();
    assert_eq!(rig.fake.calls(), 2);
    assert_eq!(rig.fake.scopes()[1], "https://graph.microsoft.com/.default");
    // Another identity (e.g. a rotated certificate) is another key.
    let other = Arc::new(Identity::new(
        "https://login.example",
        "tenant",
        "client",
        "new",
    ));
    let t = rig
        .cache
        .get(&other, "a/.default B/.default", false, |_| rig.fake.load())
        .await;
    assert_eq!(secret(&t), "token-3");
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_first_caller_does_not_strand_the_others() {
    let rig = Arc::new(Rig::new());
    let gate = rig.fake.hold();
    let first = {
        let rig = Arc::clone(&rig);
        tokio::spawn(async move { rig.get("s").await })
    };
    settle().await;
    let second = {
        let rig = Arc::clone(&rig);
        tokio::spawn(async move { rig.get("s").await })
    };
    settle().await;
    first.abort();
    gate.add_permits(1);
    assert_eq!(secret(&second.await.unwrap()), "token-1");
    assert_eq!(rig.fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn hits_complete_on_the_first_poll_from_any_thread() {
    let rig = Arc::new(Rig::new());
    rig.get("s").await.unwrap();
    // Other threads read their own shard and their own copy of the token.
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let rig = Arc::clone(&rig);
            std::thread::spawn(move || secret(&rig.get_now("s")).to_owned())
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "token-1");
    }
    assert_eq!(rig.fake.calls(), 1);
}
