//! Retry policy for the token endpoint: which failures to retry and how long to wait. Pure.

/// Statuses retried by default: 408, 429, 500, 502, 503, 504.
pub const DEFAULT_RETRY_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];
