//! [`AccessToken`]: what `get_token` returns. Cheap to clone, redacted `Debug`, no `Display`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::secret::Secret;

/// An access token and when it expires and should be refreshed.
///
/// Cloning shares one allocation. `Debug` shows the expiry, never the token; there is no
/// `Display`, so the token reaches output only through [`secret`](Self::secret).
#[derive(Clone)]
pub struct AccessToken {
    inner: Arc<TokenInner>,
}

struct TokenInner {
    secret: Secret,
    token_type: String,
    expires_at: SystemTime,
    refresh_at: SystemTime,
    expires_deadline: Instant,
    refresh_deadline: Instant,
}

impl AccessToken {
    /// Builds a token issued at (`issued_wall`, `issued_at`) — the moment the request was
    /// sent — that expires `expires_in` later and should be refreshed `refresh_after` later.
    pub(crate) fn new(
        secret: Secret,
        token_type: String,
        issued_wall: SystemTime,
        issued_at: Instant,
        expires_in: Duration,
        refresh_after: Duration,
    ) -> Self {
        let refresh_after = refresh_after.min(expires_in);
        AccessToken {
            inner: Arc::new(TokenInner {
                secret,
                token_type,
                expires_at: issued_wall + expires_in,
                refresh_at: issued_wall + refresh_after,
                expires_deadline: issued_at + expires_in,
                refresh_deadline: issued_at + refresh_after,
            }),
        }
    }

    /// Builds the token the exchange returned, to be refreshed `refresh_after` after the
    /// request was sent (see [`crate::refresh`]).
    pub(crate) fn from_issued(issued: IssuedToken, refresh_after: Duration) -> Self {
        AccessToken::new(
            issued.access_token,
            issued.token_type,
            issued.sent_wall,
            issued.sent_at,
            issued.expires_in,
            refresh_after,
        )
    }

    /// A copy with its own allocation (and so its own reference count). The cache keeps one
    /// per shard so that threads cloning "the same" token do not contend on one counter.
    pub(crate) fn duplicate(&self) -> Self {
        let i = &self.inner;
        AccessToken {
            inner: Arc::new(TokenInner {
                secret: i.secret.clone(),
                token_type: i.token_type.clone(),
                expires_at: i.expires_at,
                refresh_at: i.refresh_at,
                expires_deadline: i.expires_deadline,
                refresh_deadline: i.refresh_deadline,
            }),
        }
    }

    /// The bearer token to put in `Authorization: Bearer …`.
    pub fn secret(&self) -> &str {
        self.inner.secret.secret()
    }

    /// The token type, normally `Bearer`.
    pub fn token_type(&self) -> &str {
        &self.inner.token_type
    }

    /// When the token expires (wall clock).
    pub fn expires_at(&self) -> SystemTime {
        self.inner.expires_at
    }

    /// When the credential will start refreshing it in the background (wall clock).
    pub fn refresh_at(&self) -> SystemTime {
        self.inner.refresh_at
    }

    /// Monotonic expiry, for the cache.
    pub(crate) fn expires_deadline(&self) -> Instant {
        self.inner.expires_deadline
    }

    /// Monotonic refresh time, for the cache.
    pub(crate) fn refresh_deadline(&self) -> Instant {
        self.inner.refresh_deadline
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &format_args!("[redacted]"))
            .field("token_type", &self.inner.token_type)
            .field("expires_at", &self.inner.expires_at)
            .finish()
    }
}

/// A successful token response as the exchange parsed it, before the cache's refresh policy
/// turns it into an [`AccessToken`]. Times are those of the moment the request was *sent*, so
/// network latency only ever makes us refresh early, never late.
pub(crate) struct IssuedToken {
    /// The access token.
    pub(crate) access_token: Secret,
    /// `token_type`, normally `Bearer`.
    pub(crate) token_type: String,
    /// `expires_in`.
    pub(crate) expires_in: Duration,
    /// `ext_expires_in`, if sent.
    #[allow(dead_code)]
    pub(crate) ext_expires_in: Option<Duration>,
    /// `refresh_in`, if sent: the server's suggestion of when to refresh.
    pub(crate) refresh_in: Option<Duration>,
    /// Wall-clock time the request was sent.
    pub(crate) sent_wall: SystemTime,
    /// Monotonic (tokio) time the request was sent.
    pub(crate) sent_at: Instant,
    /// The `client-request-id` sent with the request that got this token.
    pub(crate) correlation_id: String,
}
