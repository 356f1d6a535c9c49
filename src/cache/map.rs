//! One shard's map from key to entry. Credentials hold a handful of keys, and for a handful a
//! linear scan (compare the identity pointer, then the scope bytes) beats hashing; past
//! [`LINEAR_MAX`] keys an index by hash takes over. Writes rebuild the index: they are rare.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::key::{CacheKey, KeyRef, KeyView};
use super::shards::Entry;

/// Up to this many keys, lookups scan.
const LINEAR_MAX: usize = 8;

type Index = HashMap<CacheKey, usize, BuildHasherDefault<FastHasher>>;

#[derive(Default)]
pub(super) struct Map {
    entries: Vec<(CacheKey, Entry)>,
    index: Option<Index>,
}

impl Map {
    fn position(&self, key: KeyRef<'_>) -> Option<usize> {
        match &self.index {
            None => self.entries.iter().position(|(k, _)| k.matches(key)),
            Some(index) => index.get(&key as &dyn KeyView).copied(),
        }
    }

    pub(super) fn get(&self, key: KeyRef<'_>) -> Option<&Entry> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    pub(super) fn get_mut(&mut self, key: KeyRef<'_>) -> Option<&mut Entry> {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    pub(super) fn insert(&mut self, key: CacheKey, entry: Entry) {
        match self.position(key.as_ref()) {
            Some(i) => self.entries[i].1 = entry,
            None => {
                self.entries.push((key, entry));
                self.reindex();
            }
        }
    }

    pub(super) fn remove(&mut self, key: KeyRef<'_>) -> Option<Entry> {
        let i = self.position(key)?;
        let (_, entry) = self.entries.swap_remove(i);
        self.reindex();
        Some(entry)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&CacheKey, &Entry)> {
        self.entries.iter().map(|(k, e)| (k, e))
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    fn reindex(&mut self) {
        self.index = (self.entries.len() > LINEAR_MAX).then(|| {
            let entries = self.entries.iter().enumerate();
            entries.map(|(i, (k, _))| (k.clone(), i)).collect()
        });
    }
}

/// A fast hash for the cache's keys: each 8-byte word is multiplied (independently, so the
/// multiplications overlap) and folded in with an add and a rotate, then the murmur3 finaliser
/// mixes the result. A few nanoseconds for a scope string where SipHash takes tens. Keys are
/// the application's own scope strings, never input from a network peer, so SipHash's
/// flooding resistance buys nothing here.
#[derive(Default)]
pub(super) struct FastHasher(u64);

const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = self.0.wrapping_add(word.wrapping_mul(K)).rotate_left(26);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word) ^ ((bytes.len() as u64) << 56));
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn finish(&self) -> u64 {
        // murmur3's fmix64.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}
