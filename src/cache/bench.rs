//! Hooks for `benches/cache.rs`: the cache alone, with a fake loader. Not part of the API.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::{CacheConfig, Identity, TokenCache};
use crate::error::Result;
use crate::token::{AccessToken, IssuedToken};

/// A token cache whose loader waits `delay` and issues tokens living `lifetime`.
pub struct FakeCache {
    cache: TokenCache,
    id: Arc<Identity>,
    loads: Arc<AtomicUsize>,
    lifetime: Duration,
    delay: Duration,
}

impl FakeCache {
    /// A cold cache (refresh jitter on, as in production).
    pub fn new(lifetime: Duration, delay: Duration) -> Self {
        FakeCache {
            cache: TokenCache::new(CacheConfig::default()),
            id: Arc::new(Identity::new("https://login.bench", "t", "c", "x5t")),
            loads: Arc::default(),
            lifetime,
            delay,
        }
    }

    /// What a credential's `get_token` does, minus the credential.
    pub async fn get(&self, scope: &str) -> Result<AccessToken> {
        self.cache
            .get(&self.id, scope, false, |_| self.load())
            .await
    }

    /// Loads so far.
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    fn load(&self) -> impl std::future::Future<Output = Result<IssuedToken>> + Send + 'static {
        self.loads.fetch_add(1, Ordering::SeqCst);
        let (lifetime, delay) = (self.lifetime, self.delay);
        async move {
            let (sent_wall, sent_at) = (SystemTime::now(), Instant::now());
            tokio::time::sleep(delay).await;
            Ok(IssuedToken {
                access_token: "bench-token".into(),
                token_type: "Bearer".into(),
                expires_in: lifetime,
                ext_expires_in: None,
                refresh_in: None,
                sent_wall,
                sent_at,
                correlation_id: String::new(),
            })
        }
    }
}
