//! The map behind the cache: a "big-reader" lock. Each shard is a full copy of the map under
//! its own cache-line-padded `RwLock`, and each thread reads only its own shard, so a cache hit
//! writes to no memory another thread touches: no contended reference count, no contended
//! lock word. Writers (a new key, a new token, an eviction) are rare and lock every shard in
//! order; they never hold a lock across an `.await`.
//!
//! Each shard also holds its *own copy* of each token ([`AccessToken::duplicate`]), so the
//! `Arc` clone a hit returns increments a counter that only this shard's threads use.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::time::Instant;

use super::key::KeyRef;
use super::map::Map;
use super::Slot;
use crate::token::AccessToken;

/// Shards beyond this bring nothing but memory: threads above it share shards.
const MAX_SHARDS: usize = 64;

/// One cached token as a shard sees it.
#[derive(Clone)]
pub(super) struct Cached {
    pub(super) token: AccessToken,
    pub(super) refresh_at: Instant,
    pub(super) unusable_at: Instant,
}

/// One key's entry in a shard.
pub(super) struct Entry {
    pub(super) slot: Arc<Slot>,
    pub(super) cached: Option<Cached>,
}

#[repr(align(128))]
struct Shard(RwLock<Map>);

pub(super) struct Shards {
    shards: Box<[Shard]>,
}

impl Shards {
    pub(super) fn new() -> Self {
        let n = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .next_power_of_two()
            .min(MAX_SHARDS);
        Shards {
            shards: (0..n).map(|_| Shard(RwLock::default())).collect(),
        }
    }

    /// Read access to this thread's shard.
    pub(super) fn read(&self) -> RwLockReadGuard<'_, Map> {
        let i = thread_index() & (self.shards.len() - 1);
        self.shards[i]
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The number of keys.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.read().len()
    }

    /// Write access to every shard, in order. Keep the closure short: every reader waits.
    pub(super) fn write_all<R>(&self, f: impl FnOnce(&mut [WriteGuard<'_>]) -> R) -> R {
        let mut guards: Vec<WriteGuard<'_>> = self
            .shards
            .iter()
            .map(|s| s.0.write().unwrap_or_else(PoisonError::into_inner))
            .collect();
        f(&mut guards)
    }

    /// The number of shards (and so of token copies).
    pub(super) fn count(&self) -> usize {
        self.shards.len()
    }

    /// Publishes a new token for `slot`'s key in every shard, unless the key was evicted (or
    /// evicted and re-added with another slot) meanwhile.
    pub(super) fn publish(&self, key: KeyRef<'_>, slot: &Arc<Slot>, cached: Cached) {
        // Copies are made before the locks are taken; the last shard takes the original.
        let n = self.count();
        let mut copies: Vec<Cached> = (1..n)
            .map(|_| Cached {
                token: cached.token.duplicate(),
                refresh_at: cached.refresh_at,
                unusable_at: cached.unusable_at,
            })
            .collect();
        copies.push(cached);
        self.write_all(|guards| {
            for (guard, copy) in guards.iter_mut().zip(copies) {
                if let Some(e) = guard.get_mut(key) {
                    if Arc::ptr_eq(&e.slot, slot) {
                        e.cached = Some(copy);
                    }
                }
            }
        });
    }
}

pub(super) type WriteGuard<'a> = RwLockWriteGuard<'a, Map>;

/// A small number fixed per thread, handed out round-robin, that picks the thread's shard.
fn thread_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    INDEX.with(|i| *i)
}
