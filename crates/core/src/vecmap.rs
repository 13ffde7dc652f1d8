//! A map kept as one sorted vector, for the small maps inside protocol
//! state that the explorer copies with every state it visits.
//!
//! A `BTreeMap` with a handful of entries costs a node allocation per copy
//! and a walk of its tree to drop; a sorted vector costs one allocation and
//! one `memcpy`. Lookups are binary searches, fine for the few entries these
//! maps hold. Iteration order, equality and [`Hash`] are those of a
//! `BTreeMap` with the same entries (a length, then each key and value in
//! key order), so swapping one for the other moves no fingerprint.

use alloc::vec::Vec;
use core::fmt;
use core::hash::{Hash, Hasher};

#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    pub const fn new() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }

    fn find(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// The value at `key`, made by `make` if there is none yet.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(core::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

// Written out rather than derived: a vector of integers hashes as one
// `write` of all its bytes, a `BTreeSet` as one `write_u64` per member,
// and hashers that fold words (the explorer's fingerprints) tell the two
// apart.
impl<K: Hash, V: Hash> Hash for VecMap<K, V> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.entries.len());
        for (k, v) in &self.entries {
            k.hash(state);
            v.hash(state);
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

/// A set kept as one sorted vector; see [`VecMap`]. Hashes as a `BTreeSet`
/// with the same members does.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct VecSet<T> {
    members: Vec<T>,
}

impl<T: Ord> VecSet<T> {
    pub const fn new() -> Self {
        VecSet {
            members: Vec::new(),
        }
    }

    pub fn contains(&self, value: &T) -> bool {
        self.members.binary_search(value).is_ok()
    }

    /// Adds `value`; whether it was new.
    pub fn insert(&mut self, value: T) -> bool {
        match self.members.binary_search(&value) {
            Ok(_) => false,
            Err(i) => {
                self.members.insert(i, value);
                true
            }
        }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl<T: Hash> Hash for VecSet<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.members.len());
        for m in &self.members {
            m.hash(state);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.members).finish()
    }
}

#[cfg(test)]
mod tests {
    use alloc::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// Records each call a value's `hash` makes, so that two hash inputs
    /// compare equal only if every hasher sees the same calls.
    #[derive(Default)]
    struct Tape(Vec<u8>);

    impl Tape {
        fn call(&mut self, kind: u8, bytes: &[u8]) {
            self.0.push(kind);
            self.0.extend_from_slice(bytes);
        }
    }

    impl Hasher for Tape {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.call(0, bytes);
        }
        fn write_u32(&mut self, i: u32) {
            self.call(4, &i.to_le_bytes());
        }
        fn write_u64(&mut self, i: u64) {
            self.call(8, &i.to_le_bytes());
        }
        fn write_usize(&mut self, i: usize) {
            self.call(9, &i.to_le_bytes());
        }
    }

    fn tape(value: &impl Hash) -> Vec<u8> {
        let mut t = Tape::default();
        value.hash(&mut t);
        t.0
    }

    #[test]
    fn behaves_and_hashes_as_the_btree_collections_do() {
        let mut ours = VecMap::new();
        let mut theirs = BTreeMap::new();
        let mut set = VecSet::new();
        let mut tree_set = BTreeSet::new();
        let mut wide = VecSet::new();
        let mut wide_tree = BTreeSet::new();
        // A fixed scramble of keys with repeats, inserts and removals.
        for step in 0u32..200 {
            let key = (step * 37) % 23;
            match step % 5 {
                0 | 1 => assert_eq!(ours.insert(key, step), theirs.insert(key, step)),
                2 => assert_eq!(ours.remove(&key), theirs.remove(&key)),
                3 => {
                    *ours.get_or_insert_with(key, || 0) += 1;
                    *theirs.entry(key).or_insert(0) += 1;
                }
                _ => assert_eq!(ours.get(&key), theirs.get(&key)),
            }
            assert_eq!(set.insert(key), tree_set.insert(key));
            assert_eq!(
                wide.insert(u64::from(key)),
                wide_tree.insert(u64::from(key))
            );
            assert_eq!(tape(&wide), tape(&wide_tree));
            assert_eq!(ours.len(), theirs.len());
            assert!(ours.iter().eq(theirs.iter()));
            assert_eq!(tape(&ours), tape(&theirs));
            assert_eq!(tape(&set), tape(&tree_set));
            assert_eq!(set.contains(&(key + 1)), tree_set.contains(&(key + 1)));
        }
        assert_eq!(
            alloc::format!("{ours:?}"),
            alloc::format!("{theirs:?}"),
            "Debug prints a map"
        );
        ours.clear();
        assert!(ours.is_empty());
    }
}
