//! The set of `jti` values already accepted, so a captured assertion cannot be replayed.
//!
//! An entry is only needed while its assertion could still pass the `exp` check, so entries
//! are pruned once `exp + skew` has passed; the set is also capped so a flood of long-lived
//! assertions cannot exhaust memory (the soonest-expiring entries go first).

use std::collections::HashMap;

/// Most `jti` values remembered at once.
pub(crate) const MAX_REMEMBERED_JTIS: usize = 100_000;

/// Accepted `jti` values with their assertion's `exp` (Unix seconds).
#[derive(Debug)]
pub(crate) struct JtiLedger {
    seen: HashMap<String, i64>,
    skew: i64,
    cap: usize,
}

impl JtiLedger {
    /// An empty ledger; `skew` (seconds) is the clock skew the `exp` check tolerates.
    pub(crate) fn new(skew: i64) -> Self {
        Self::with_capacity(skew, MAX_REMEMBERED_JTIS)
    }

    pub(crate) fn with_capacity(skew: i64, cap: usize) -> Self {
        JtiLedger {
            seen: HashMap::new(),
            skew,
            cap: cap.max(1),
        }
    }

    /// True when `jti` was accepted before and may still be replayed.
    pub(crate) fn contains(&self, jti: &str) -> bool {
        self.seen.contains_key(jti)
    }

    /// Records an accepted `jti`, pruning entries that can no longer pass the `exp` check.
    pub(crate) fn insert(&mut self, jti: &str, exp: i64, now: i64) {
        if self.seen.len() >= self.cap {
            let skew = self.skew;
            self.seen.retain(|_, exp| exp.saturating_add(skew) > now);
        }
        while self.seen.len() >= self.cap {
            let soonest = self
                .seen
                .iter()
                .min_by_key(|(_, exp)| **exp)
                .map(|(jti, _)| jti.clone());
            match soonest {
                Some(jti) => self.seen.remove(&jti),
                None => break,
            };
        }
        self.seen.insert(jti.to_owned(), exp);
    }

    /// How many `jti` values are remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_pruned_by_expiry() {
        let mut ledger = JtiLedger::with_capacity(300, 2);
        ledger.insert("a", 1_000, 900);
        ledger.insert("b", 5_000, 900);
        assert!(ledger.contains("a") && ledger.contains("b"));
        // Full: "a" (exp 1000 + skew 300 <= now 1300) is pruned, "b" kept.
        ledger.insert("c", 5_000, 1_300);
        assert!(!ledger.contains("a"));
        assert!(ledger.contains("b") && ledger.contains("c"));
        assert_eq!(ledger.len(), 2);
    }

    #[test]
    fn cap_evicts_the_soonest_expiring() {
        let mut ledger = JtiLedger::with_capacity(0, 2);
        ledger.insert("late", 9_000, 0);
        ledger.insert("soon", 2_000, 0);
        ledger.insert("new", 5_000, 0);
        assert!(!ledger.contains("soon"));
        assert!(ledger.contains("late") && ledger.contains("new"));
    }
}
