//! The token cache: per key, single-flight, refreshed in the background, tolerant of outages.
//!
//! * **Hit** (before the refresh time): one uncontended read lock on this thread's shard, one
//!   hash lookup, one clock read and one `Arc` clone of a per-shard token copy. No `.await`,
//!   no async lock, no allocation (see [`shards`]).
//! * **Stale hit** (past the refresh time, still usable): the cached token is returned at once;
//!   the first such caller spawns the one background refresh for that key.
//! * **Miss** (no usable token): callers of that key share one in-flight request (a spawned
//!   task, so a cancelled caller cancels nothing); other keys are never blocked. A failure is
//!   shared by every waiter, and later callers get it again without a request until the
//!   backoff of [`crate::refresh::retry_delay`] has passed.
//!
//! Deadlines use [`tokio::time::Instant`], so tests drive the cache with a paused clock.

#[doc(hidden)]
pub mod bench;
mod flight;
pub(crate) mod key;
mod map;
mod prefetch;
mod shards;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;
use tokio::time::Instant;

use self::flight::{Flight, Outcome};
use self::key::{CacheKey, KeyRef};
use self::shards::{Cached, Entry, Shards, WriteGuard};
use crate::error::{Error, Result};
use crate::token::{AccessToken, IssuedToken};

pub(crate) use self::key::{normalize_scopes, Identity};
pub(crate) use self::prefetch::keep_warm;

/// Default bound on the number of cached keys (scope sets × identities) per credential. A
/// daemon typically asks for one to five scopes; a rotated certificate adds a key.
pub(crate) const DEFAULT_MAX_ENTRIES: usize = 128;

/// Cache settings.
#[derive(Clone, Debug)]
pub(crate) struct CacheConfig {
    /// At most this many keys are kept (at least 1).
    pub(crate) max_entries: usize,
    /// Whether refresh times are jittered ([`crate::refresh::REFRESH_JITTER_MAX`]).
    pub(crate) jitter: bool,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_entries: DEFAULT_MAX_ENTRIES,
            jitter: true,
        }
    }
}

/// A per-key, single-flight, background-refreshing token cache. Cheap to clone (shared).
#[derive(Clone)]
pub(crate) struct TokenCache {
    shared: Arc<Shared>,
}

struct Shared {
    shards: Shards,
    config: CacheConfig,
    /// Origin of the atomic nanosecond deadlines in [`Slot`].
    epoch: Instant,
}

/// The per-key state that is not copied per shard: the in-flight request and the failure
/// backoff. The two atomics mirror `state` so that a stale hit can decide without locking.
pub(super) struct Slot {
    key: CacheKey,
    in_flight: AtomicBool,
    /// No new request before this, as nanoseconds after the epoch; 0 when none.
    retry_at: AtomicU64,
    state: Mutex<FlightState>,
}

#[derive(Default)]
struct FlightState {
    inflight: Option<watch::Receiver<Option<Outcome>>>,
    failures: u32,
    retry_at: Option<Instant>,
    /// When callers *without* a usable token may start a new request: the cold backoff,
    /// never later than `retry_at`.
    cold_retry_at: Option<Instant>,
    last_error: Option<Arc<Error>>,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, FlightState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What this thread's shard says about a key.
enum Probe {
    Fresh(AccessToken),
    /// Usable but past its refresh time; the slot when a background refresh is due.
    Stale(AccessToken, Option<Arc<Slot>>),
    Miss,
}

impl TokenCache {
    pub(crate) fn new(config: CacheConfig) -> Self {
        TokenCache {
            shared: Arc::new(Shared {
                shards: Shards::new(),
                config,
                epoch: Instant::now(),
            }),
        }
    }

    /// The token for `scopes` (space-separated, spelled as the caller likes) of `identity`:
    /// from the cache when usable, else from one shared call of the future that
    /// `make_load(normalised_scopes)` returns. `make_load` is called only when a request must
    /// start (at most once per call), and its future runs in a spawned task.
    ///
    /// With `force_refresh`, a new token is fetched (joining a request already in flight)
    /// and replaces the cached one; a failure leaves the cached one in service.
    pub(crate) async fn get<M, Fut>(
        &self,
        identity: &Arc<Identity>,
        scopes: &str,
        force_refresh: bool,
        make_load: M,
    ) -> Result<AccessToken>
    where
        M: FnOnce(&str) -> Fut,
        Fut: Future<Output = Result<IssuedToken>> + Send + 'static,
    {
        let make_load = if force_refresh {
            make_load
        } else {
            match self.lookup(identity, scopes, make_load) {
                Ok(token) => return Ok(token),
                Err(m) => m,
            }
        };
        let normal = normalize_scopes(scopes);
        // Boxed: keeps the slow path's state out of the future every hit creates.
        Box::pin(self.load(KeyRef::new(identity, &normal), force_refresh, make_load)).await
    }

    /// The cached token for `scopes` of `identity` when one is usable (starting its one
    /// background refresh with `make_load` when due), else `make_load` back. Synchronous:
    /// no `.await`, no async lock, no allocation when the scopes are spelled in normal form.
    pub(crate) fn lookup<M, Fut>(
        &self,
        identity: &Arc<Identity>,
        scopes: &str,
        make_load: M,
    ) -> std::result::Result<AccessToken, M>
    where
        M: FnOnce(&str) -> Fut,
        Fut: Future<Output = Result<IssuedToken>> + Send + 'static,
    {
        // Callers normally spell their scopes the same way every time, and in normal form, so
        // the spelling as given finds the entry without normalising (the map holds only
        // normal forms, so a match is always right).
        let make_load = match self.serve(KeyRef::new(identity, scopes), make_load) {
            Ok(token) => return Ok(token),
            Err(m) => m,
        };
        match normalize_scopes(scopes) {
            Cow::Owned(normal) => self.serve(KeyRef::new(identity, &normal), make_load),
            Cow::Borrowed(_) => Err(make_load),
        }
    }

    /// A usable cached token (starting its background refresh when due), or `make_load` back.
    fn serve<M, Fut>(&self, key: KeyRef<'_>, make_load: M) -> std::result::Result<AccessToken, M>
    where
        M: FnOnce(&str) -> Fut,
        Fut: Future<Output = Result<IssuedToken>> + Send + 'static,
    {
        match self.probe(key, Instant::now()) {
            Probe::Fresh(token) => Ok(token),
            Probe::Stale(token, due) => {
                if let Some(slot) = due {
                    self.refresh_in_background(&slot, key, make_load);
                }
                Ok(token)
            }
            Probe::Miss => Err(make_load),
        }
    }

    /// Turns a token fetched outside the cache (e.g. with CAE claims) into an
    /// [`AccessToken`] under the same refresh policy. Nothing is cached.
    pub(crate) fn issue_uncached(&self, issued: IssuedToken) -> AccessToken {
        self.shared.issue(issued).token
    }

    /// The number of cached keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shared.shards.len()
    }

    fn probe(&self, key: KeyRef<'_>, now: Instant) -> Probe {
        let shard = self.shared.shards.read();
        let Some(Entry {
            slot,
            cached: Some(c),
        }) = shard.get(key)
        else {
            return Probe::Miss;
        };
        if now < c.refresh_at {
            Probe::Fresh(c.token.clone())
        } else if now < c.unusable_at {
            let due = !slot.in_flight.load(Ordering::Acquire)
                && self.shared.nanos(now) >= slot.retry_at.load(Ordering::Acquire);
            Probe::Stale(c.token.clone(), due.then(|| Arc::clone(slot)))
        } else {
            Probe::Miss
        }
    }

    fn refresh_in_background<M, Fut>(&self, slot: &Arc<Slot>, key: KeyRef<'_>, make_load: M)
    where
        M: FnOnce(&str) -> Fut,
        Fut: Future<Output = Result<IssuedToken>> + Send + 'static,
    {
        let mut state = slot.lock();
        let now = Instant::now();
        if state.inflight.is_some() || state.retry_at.is_some_and(|at| now < at) {
            return;
        }
        // Another refresh may have completed since the probe.
        if let Probe::Stale(..) = self.probe(key, now) {
            self.start(slot, &mut state, make_load(key.scopes()), true);
        }
    }

    async fn load<M, Fut>(&self, key: KeyRef<'_>, force: bool, make_load: M) -> Result<AccessToken>
    where
        M: FnOnce(&str) -> Fut,
        Fut: Future<Output = Result<IssuedToken>> + Send + 'static,
    {
        let slot = self.slot_for(key);
        let rx = {
            let mut state = slot.lock();
            match &state.inflight {
                Some(rx) => rx.clone(),
                None => {
                    let now = Instant::now();
                    let usable = match self.probe(key, now) {
                        Probe::Fresh(t) | Probe::Stale(t, _) => Some(t),
                        Probe::Miss => None,
                    };
                    if let (false, Some(token)) = (force, &usable) {
                        return Ok(token.clone());
                    }
                    let gate = if usable.is_some() {
                        state.retry_at
                    } else {
                        state.cold_retry_at
                    };
                    if let (Some(at), Some(e)) = (gate, &state.last_error) {
                        if now < at {
                            return Err(flight::rebuild(e));
                        }
                    }
                    self.start(&slot, &mut state, make_load(key.scopes()), usable.is_some())
                }
            }
        };
        flight::wait(rx).await
    }

    fn start<Fut>(
        &self,
        slot: &Arc<Slot>,
        state: &mut FlightState,
        load: Fut,
        background: bool,
    ) -> watch::Receiver<Option<Outcome>>
    where
        Fut: Future<Output = Result<IssuedToken>> + Send + 'static,
    {
        let (tx, rx) = watch::channel(None);
        state.inflight = Some(rx.clone());
        slot.in_flight.store(true, Ordering::Release);
        let flight = Flight::new(Arc::clone(&self.shared), Arc::clone(slot), tx, background);
        tokio::spawn(async move {
            let result = load.await;
            flight.finish(result);
        });
        rx
    }

    /// The slot of `key`, inserting an empty entry (and making room) when absent.
    fn slot_for(&self, key: KeyRef<'_>) -> Arc<Slot> {
        if let Some(e) = self.shared.shards.read().get(key) {
            return Arc::clone(&e.slot);
        }
        let owned = key.to_owned();
        let now = Instant::now();
        self.shared.shards.write_all(|guards| {
            if let Some(e) = guards[0].get(key) {
                return Arc::clone(&e.slot);
            }
            self.shared.make_room(guards, now);
            let slot = Arc::new(Slot {
                key: owned.clone(),
                in_flight: AtomicBool::new(false),
                retry_at: AtomicU64::new(0),
                state: Mutex::default(),
            });
            for g in guards.iter_mut() {
                let entry = Entry {
                    slot: Arc::clone(&slot),
                    cached: None,
                };
                g.insert(owned.clone(), entry);
            }
            slot
        })
    }
}

impl Shared {
    fn nanos(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    fn issue(&self, issued: IssuedToken) -> Cached {
        let jitter = if self.config.jitter {
            rand::random::<f64>()
        } else {
            0.0
        };
        let sch = crate::refresh::schedule(issued.expires_in, issued.refresh_in, jitter);
        let margin = issued.expires_in - sch.unusable_after;
        let token = AccessToken::from_issued(issued, sch.refresh_after);
        Cached {
            refresh_at: token.refresh_deadline(),
            unusable_at: token.expires_deadline() - margin,
            token,
        }
    }

    /// Evicts dead entries (no usable token, nothing in flight, no backoff running), then,
    /// while still full, the entry whose token stops being served first.
    fn make_room(&self, guards: &mut [WriteGuard<'_>], now: Instant) {
        let now_nanos = self.nanos(now);
        let dead: Vec<CacheKey> = guards[0]
            .iter()
            .filter(|(_, e)| {
                e.cached.as_ref().is_none_or(|c| now >= c.unusable_at)
                    && !e.slot.in_flight.load(Ordering::Acquire)
                    && e.slot.retry_at.load(Ordering::Acquire) <= now_nanos
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in &dead {
            guards.iter_mut().for_each(|g| drop(g.remove(k.as_ref())));
        }
        let max = self.config.max_entries.max(1);
        while guards[0].len() >= max {
            // Idle entries first, the one whose token stops being served soonest; an entry
            // with a request in flight or a backoff running only when every entry is busy
            // (evicting it would start a second request or skip the backoff).
            let victim = guards[0]
                .iter()
                .min_by_key(|(_, e)| {
                    let busy = e.slot.in_flight.load(Ordering::Acquire)
                        || e.slot.retry_at.load(Ordering::Acquire) > now_nanos;
                    (busy, e.cached.as_ref().map(|c| c.unusable_at))
                })
                .map(|(k, _)| k.clone());
            let Some(victim) = victim else { break };
            guards
                .iter_mut()
                .for_each(|g| drop(g.remove(victim.as_ref())));
        }
    }
}
