//! Small open-addressing hash tables for the searches, since core has no
//! `HashMap`. Every table stores its keys in full and compares them on a
//! hash match: a memo that trusted hashes alone could, on a collision, skip
//! a configuration it never explored and call a linearizable history
//! broken.

use alloc::vec;
use alloc::vec::Vec;
use core::hash::{Hash, Hasher};

use crate::trace::StableHasher;

/// A 64-bit finaliser (splitmix64's): spreads every input bit.
pub(crate) fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

const EMPTY: u32 = u32::MAX;

/// Slots of an open-addressing table: indices into the owner's entries.
#[derive(Clone, Debug)]
struct Slots {
    slots: Vec<u32>,
}

impl Slots {
    fn new(capacity: usize) -> Slots {
        Slots {
            slots: vec![EMPTY; capacity.next_power_of_two().max(16)],
        }
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Probes from `hash`'s slot: `Ok(entry)` for the first entry `same`
    /// accepts, `Err(slot)` for the empty slot that ends the probe (where
    /// an entry with this hash goes).
    fn find(&self, hash: u64, mut same: impl FnMut(usize) -> bool) -> Result<u32, usize> {
        let mask = self.mask();
        let mut i = (hash as usize) & mask;
        loop {
            let e = self.slots[i];
            if e == EMPTY {
                return Err(i);
            }
            if same(e as usize) {
                return Ok(e);
            }
            i = (i + 1) & mask;
        }
    }

    /// Whether adding one more of `len` entries keeps the load under 1/2.
    fn has_room(&self, len: usize) -> bool {
        (len + 1) * 2 <= self.slots.len()
    }

    /// Points slot `i` (found empty) at `entry`, the newest of `hashes`,
    /// or, when that would load the table past 1/2, rebuilds it instead
    /// (which places the entry too).
    fn place(&mut self, i: usize, entry: u32, hashes: &[u64]) {
        if self.has_room(hashes.len()) {
            self.slots[i] = entry;
        } else {
            self.grow(hashes);
        }
    }

    /// Rebuilds at twice the size from the entries' hashes.
    fn grow(&mut self, hashes: &[u64]) {
        let mut next = Slots::new(self.slots.len() * 2);
        let mask = next.mask();
        for (entry, h) in hashes.iter().enumerate() {
            let mut i = (*h as usize) & mask;
            while next.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            next.slots[i] = entry as u32;
        }
        *self = next;
    }
}

/// The searches' memo: the set of configurations (operations linearized so
/// far as a bitset, model state as an interned id) already explored.
#[derive(Clone, Debug)]
pub(crate) struct ConfigSet {
    words: usize,
    /// Entry `e` is `bits[e * words..][..words]` and `states[e]`.
    bits: Vec<u64>,
    states: Vec<u32>,
    hashes: Vec<u64>,
    slots: Slots,
}

/// The most memory a memo may take. A search adds at most one
/// configuration per step, so searches cap their step budget at
/// [`ConfigSet::max_entries`] and answer `Unknown` rather than exhaust
/// memory (a browser tab has far less than a workstation).
const MEMO_BYTES: u64 = 256 << 20;

impl ConfigSet {
    /// How many configurations of `words` bitset words fit in the memory
    /// allowed to a memo, counting the table's own overhead.
    pub fn max_entries(words: usize) -> u64 {
        MEMO_BYTES / (words as u64 * 8 + 32)
    }

    pub fn new(words: usize) -> ConfigSet {
        ConfigSet {
            words,
            bits: Vec::new(),
            states: Vec::new(),
            hashes: Vec::new(),
            slots: Slots::new(1024),
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Adds the configuration; false if it was already there. `hash` must
    /// be a function of `(bits, state)` only.
    pub fn insert(&mut self, hash: u64, bits: &[u64], state: u32) -> bool {
        debug_assert_eq!(bits.len(), self.words);
        let words = self.words;
        let found = self.slots.find(hash, |e| {
            self.hashes[e] == hash
                && self.states[e] == state
                && self.bits[e * words..][..words] == *bits
        });
        let Err(i) = found else {
            return false;
        };
        let entry = self.states.len() as u32;
        self.bits.extend_from_slice(bits);
        self.states.push(state);
        self.hashes.push(hash);
        self.slots.place(i, entry, &self.hashes);
        true
    }
}

/// A map from `u64` keys to `u32` values.
#[derive(Clone, Debug)]
pub(crate) struct U64Map {
    keys: Vec<u64>,
    values: Vec<u32>,
    hashes: Vec<u64>,
    slots: Slots,
}

impl U64Map {
    pub fn new() -> U64Map {
        U64Map {
            keys: Vec::new(),
            values: Vec::new(),
            hashes: Vec::new(),
            slots: Slots::new(64),
        }
    }

    pub fn get(&self, key: u64) -> Option<u32> {
        let e = self.slots.find(mix64(key), |e| self.keys[e] == key).ok()?;
        Some(self.values[e as usize])
    }

    /// Inserts a key that is not in the map yet.
    pub fn insert_new(&mut self, key: u64, value: u32) {
        debug_assert!(self.get(key).is_none());
        let hash = mix64(key);
        // A probe that accepts nothing ends at the first empty slot.
        let Err(i) = self.slots.find(hash, |_| false) else {
            unreachable!("no entry is accepted")
        };
        let entry = self.keys.len() as u32;
        self.keys.push(key);
        self.values.push(value);
        self.hashes.push(hash);
        self.slots.place(i, entry, &self.hashes);
    }
}

/// Gives each distinct value a dense `u32` id, so searches compare and
/// store states as integers.
#[derive(Clone, Debug)]
pub(crate) struct Interner<T> {
    items: Vec<T>,
    hashes: Vec<u64>,
    slots: Slots,
}

impl<T: Hash + Eq> Interner<T> {
    pub fn new() -> Interner<T> {
        Interner {
            items: Vec::new(),
            hashes: Vec::new(),
            slots: Slots::new(64),
        }
    }

    pub fn get(&self, id: u32) -> &T {
        &self.items[id as usize]
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The id of `item`, adding it if new.
    pub fn intern(&mut self, item: T) -> u32 {
        let mut h = StableHasher::new();
        item.hash(&mut h);
        let hash = h.finish();
        let found = self
            .slots
            .find(hash, |e| self.hashes[e] == hash && self.items[e] == item);
        let i = match found {
            Ok(id) => return id,
            Err(i) => i,
        };
        let id = self.items.len() as u32;
        self.items.push(item);
        self.hashes.push(hash);
        self.slots.place(i, id, &self.hashes);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn config_set_compares_exactly_even_when_hashes_collide() {
        let mut set = ConfigSet::new(2);
        // The same (deliberately bad) hash for everything.
        assert!(set.insert(7, &[1, 0], 0));
        assert!(set.insert(7, &[0, 1], 0));
        assert!(set.insert(7, &[1, 0], 1));
        assert!(!set.insert(7, &[1, 0], 0));
        for i in 0..5000u64 {
            assert!(set.insert(i % 3, &[i, 0], 0));
        }
        assert!(!set.insert(4999 % 3, &[4999, 0], 0));
        assert_eq!(set.len(), 5003);
    }

    #[test]
    fn interner_and_map_round_trip() {
        let mut names: Interner<String> = Interner::new();
        let mut map = U64Map::new();
        for i in 0..1000u32 {
            let id = names.intern(alloc::format!("v{}", i % 100));
            assert_eq!(names.get(id), &alloc::format!("v{}", i % 100));
            if map.get(u64::from(i % 100)).is_none() {
                map.insert_new(u64::from(i % 100), id);
            }
            assert_eq!(map.get(u64::from(i % 100)), Some(id));
        }
        assert_eq!(names.len(), 100);
    }
}
