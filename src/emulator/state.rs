//! What the running emulator shares between its handle and its connections: the policy, the
//! adjustable clock, the fault queue, the counters and the last request seen.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::faults::Fault;
use super::validate::ledger::JtiLedger;
use super::validate::{unix_seconds, Policy, RegisteredCertificate};

/// Requests the emulator has answered, by outcome. A snapshot: see [`Emulator::counters`].
///
/// ```
/// let counters = entra_token::emulator::Counters::default();
/// assert_eq!(counters.rejected_with(700027), 0);
/// assert_eq!(counters.rejected_total(), 0);
/// ```
///
/// [`Emulator::counters`]: super::Emulator::counters
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Every HTTP request received, whatever its outcome.
    pub total: u64,
    /// Requests answered with a token.
    pub issued: u64,
    /// Requests refused with an Entra error, by AADSTS code.
    pub rejected: BTreeMap<u32, u64>,
    /// Requests answered by a fault ([`Fault`] or the outage switch) instead of the endpoint.
    pub faults: u64,
}

impl Counters {
    /// How many requests were refused with this AADSTS code.
    pub fn rejected_with(&self, code: u32) -> u64 {
        self.rejected.get(&code).copied().unwrap_or(0)
    }

    /// How many requests were refused, all codes together.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// The last token request received, minus its secrets: the client secret, the assertion's
/// signature and the assertion itself are never kept. See [`Emulator::last_request`].
///
/// ```
/// let last = entra_token::emulator::LastRequest::default();
/// assert!(last.assertion_claims.is_none());
/// ```
///
/// [`Emulator::last_request`]: super::Emulator::last_request
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct LastRequest {
    /// The tenant from the URL path.
    pub tenant: String,
    /// `grant_type` form field.
    pub grant_type: Option<String>,
    /// `client_id` form field.
    pub client_id: Option<String>,
    /// `scope` form field.
    pub scope: Option<String>,
    /// `claims` form field (claims challenge from continuous access evaluation).
    pub claims: Option<String>,
    /// `client_assertion_type` form field.
    pub client_assertion_type: Option<String>,
    /// True when a `client_assertion` was sent.
    pub has_client_assertion: bool,
    /// True when a `client_secret` was sent (its value is not kept).
    pub has_client_secret: bool,
    /// The `client-request-id` header.
    pub client_request_id: Option<String>,
    /// True when `return-client-request-id: true` was sent.
    pub return_client_request_id: bool,
    /// The assertion's decoded JOSE header, even when the assertion was refused.
    pub assertion_header: Option<Value>,
    /// The assertion's decoded claims, even when the assertion was refused.
    pub assertion_claims: Option<Value>,
}

/// State shared by the [`Emulator`](super::Emulator) handle and every connection.
pub(crate) struct Shared {
    /// What is validated; certificates can be added and removed while serving.
    policy: RwLock<Policy>,
    /// The tenant and client ID of the policy, which never change.
    pub(crate) tenant: String,
    pub(crate) client_id: String,
    pub(crate) token_lifetime: Duration,
    pub(crate) refresh_in: Option<Duration>,
    clock_offset_ms: AtomicI64,
    faults: Mutex<VecDeque<Fault>>,
    outage: Mutex<Option<u16>>,
    counters: Mutex<Counters>,
    last: Mutex<Option<LastRequest>>,
    pub(crate) ledger: Mutex<JtiLedger>,
}

/// Locks, recovering from poisoning: every critical section leaves the data consistent.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(
        policy: Policy,
        token_lifetime: Duration,
        refresh_in: Option<Duration>,
    ) -> Self {
        let ledger = JtiLedger::new(policy.clock_skew);
        Shared {
            tenant: policy.tenant.clone(),
            client_id: policy.client_id.clone(),
            policy: RwLock::new(policy),
            token_lifetime,
            refresh_in,
            clock_offset_ms: AtomicI64::new(0),
            faults: Mutex::new(VecDeque::new()),
            outage: Mutex::new(None),
            counters: Mutex::new(Counters::default()),
            last: Mutex::new(None),
            ledger: Mutex::new(ledger),
        }
    }

    /// The emulator's clock: the wall clock plus the offset set by `advance_clock`.
    pub(crate) fn now(&self) -> SystemTime {
        let offset = self.clock_offset_ms.load(Ordering::Relaxed);
        let magnitude = Duration::from_millis(offset.unsigned_abs());
        let wall = SystemTime::now();
        if offset >= 0 {
            wall + magnitude
        } else {
            wall.checked_sub(magnitude)
                .unwrap_or(SystemTime::UNIX_EPOCH)
        }
    }

    pub(crate) fn now_unix(&self) -> i64 {
        unix_seconds(self.now())
    }

    /// Moves the clock by `by`, forwards or (when `forward` is false) backwards.
    pub(crate) fn shift_clock(&self, by: Duration, forward: bool) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let ms = if forward { ms } else { -ms };
        self.clock_offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    pub(crate) fn push_fault(&self, fault: Fault) {
        lock(&self.faults).push_back(fault);
    }

    pub(crate) fn pop_fault(&self) -> Option<Fault> {
        lock(&self.faults).pop_front()
    }

    pub(crate) fn pending_faults(&self) -> usize {
        lock(&self.faults).len()
    }

    pub(crate) fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    pub(crate) fn set_outage(&self, status: Option<u16>) {
        *lock(&self.outage) = status;
    }

    pub(crate) fn outage(&self) -> Option<u16> {
        *lock(&self.outage)
    }

    pub(crate) fn count(&self, update: impl FnOnce(&mut Counters)) {
        update(&mut lock(&self.counters));
    }

    pub(crate) fn counters(&self) -> Counters {
        lock(&self.counters).clone()
    }

    pub(crate) fn reset_counters(&self) {
        *lock(&self.counters) = Counters::default();
    }

    pub(crate) fn record_last(&self, last: LastRequest) {
        *lock(&self.last) = Some(last);
    }

    pub(crate) fn last(&self) -> Option<LastRequest> {
        lock(&self.last).clone()
    }

    /// The policy, for one validation.
    pub(crate) fn policy(&self) -> RwLockReadGuard<'_, Policy> {
        self.policy.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a certificate (once: a certificate already registered is not added again).
    pub(crate) fn add_certificate(&self, certificate: RegisteredCertificate) {
        let mut policy = self.policy.write().unwrap_or_else(PoisonError::into_inner);
        let sha1 = certificate.info.thumbprints().sha1_hex();
        if !policy
            .certificates
            .iter()
            .any(|c| c.info.thumbprints().sha1_hex() == sha1)
        {
            policy.certificates.push(certificate);
        }
    }

    /// Removes the certificate with this SHA-1 thumbprint; whether one was registered.
    pub(crate) fn remove_certificate(&self, sha1_hex: &str) -> bool {
        let mut policy = self.policy.write().unwrap_or_else(PoisonError::into_inner);
        let before = policy.certificates.len();
        policy.certificates.retain(|c| {
            !c.info
                .thumbprints()
                .sha1_hex()
                .eq_ignore_ascii_case(sha1_hex)
        });
        policy.certificates.len() != before
    }
}
