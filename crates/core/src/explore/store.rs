//! What the search keeps of every state it has seen: a 64-bit fingerprint
//! in a hash set, and a parent link to rebuild the state (and the path to
//! it) when needed. A state itself is kept only while it waits to be
//! expanded, and not even then for models that rebuild their frontier.
//!
//! Two distinct states share a fingerprint with probability about
//! 2^-64 per pair, so among a billion states the chance that one is
//! wrongly taken for another and left unexplored is about 3%; TLC and
//! Stateright make the same trade. The fingerprint's hash is not the
//! trace's: it only needs to be good and deterministic, not stable across
//! versions.

use alloc::vec;
use alloc::vec::Vec;
use core::hash::{Hash, Hasher};

/// A fingerprint hasher. Words are mixed into two lanes in turn, each by
/// a folded 64×64→128-bit multiply, so that the multiplies of consecutive
/// words overlap instead of waiting on each other (hashing a protocol's
/// state is a long chain of small writes); `finish` folds the lanes
/// together and avalanches. 0 is never returned: it marks an empty slot.
pub(super) struct Fingerprinter {
    /// The lane the next word goes into, and the other.
    next: u64,
    other: u64,
}

const K0: u64 = 0x243F_6A88_85A3_08D3;
const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xD6E8_FEB8_6659_FD93;
const K3: u64 = 0x1319_8A2E_0370_7344;

fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

impl Hasher for Fingerprinter {
    fn finish(&self) -> u64 {
        let mut x = fold(self.next ^ K2, self.other ^ K3);
        x ^= x >> 33;
        x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        x ^= x >> 33;
        x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        x ^= x >> 33;
        x.max(1)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.write_u64(word);
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.write_u64(u64::from_le_bytes(word) ^ ((bytes.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        let mixed = fold(self.next ^ i, K1);
        self.next = self.other;
        self.other = mixed;
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// The fingerprint of `state`: never 0.
pub(super) fn fingerprint<S: Hash>(state: &S) -> u64 {
    let mut h = Fingerprinter {
        next: K0,
        other: K0.rotate_left(32),
    };
    state.hash(&mut h);
    h.finish()
}

/// The set is split by a fingerprint's top bits into this many shards, so
/// that each grows on its own (growing one briefly holds its old and new
/// slots, 1/64 of the set rather than all of it) and so that a parallel
/// merge gives each thread shards of its own.
pub(super) const SHARD_BITS: u32 = 6;
pub(super) const SHARDS: usize = 1 << SHARD_BITS;

pub(super) fn shard_of(fp: u64) -> usize {
    (fp >> (64 - SHARD_BITS)) as usize
}

/// One shard: open addressing with linear probing over fingerprints, 0
/// meaning empty. It grows by half when three quarters full, so its slots
/// are 1/2 to 3/4 used: 10.7 to 16 bytes per fingerprint.
#[derive(Clone, Debug)]
pub(super) struct Shard {
    slots: Vec<u64>,
    len: usize,
}

const MIN_SLOTS: usize = 16;

impl Shard {
    fn new() -> Shard {
        Shard {
            slots: vec![0; MIN_SLOTS],
            len: 0,
        }
    }

    /// The first slot to probe: the fingerprint's bits below the shard's
    /// scaled to the slot count (no power of two needed).
    fn home(fp: u64, slots: usize) -> usize {
        ((u128::from(fp << SHARD_BITS) * slots as u128) >> 64) as usize
    }

    /// The slot `fp` is looked up in first, read so that it is in cache
    /// when the lookup comes (see [`Seen::touch`]).
    pub(super) fn touch(&self, fp: u64) -> u64 {
        self.slots[Self::home(fp, self.slots.len())]
    }

    pub(super) fn contains(&self, fp: u64) -> bool {
        let n = self.slots.len();
        let mut at = Self::home(fp, n);
        loop {
            let slot = self.slots[at];
            if slot == fp {
                return true;
            }
            if slot == 0 {
                return false;
            }
            at += 1;
            if at == n {
                at = 0;
            }
        }
    }

    /// Adds `fp`; false if it was already there.
    pub(super) fn insert(&mut self, fp: u64) -> bool {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let n = self.slots.len();
        let mut at = Self::home(fp, n);
        loop {
            let slot = self.slots[at];
            if slot == fp {
                return false;
            }
            if slot == 0 {
                self.slots[at] = fp;
                self.len += 1;
                return true;
            }
            at += 1;
            if at == n {
                at = 0;
            }
        }
    }

    fn grow(&mut self) {
        let n = self.slots.len() + self.slots.len() / 2;
        let mut slots = vec![0u64; n];
        for &fp in self.slots.iter().filter(|&&fp| fp != 0) {
            let mut at = Self::home(fp, n);
            while slots[at] != 0 {
                at += 1;
                if at == n {
                    at = 0;
                }
            }
            slots[at] = fp;
        }
        self.slots = slots;
    }

    fn bytes(&self) -> usize {
        self.slots.capacity() * 8
    }
}

/// Every fingerprint seen.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub(super) shards: Vec<Shard>,
}

impl Seen {
    pub(super) fn new() -> Seen {
        Seen {
            shards: (0..SHARDS).map(|_| Shard::new()).collect(),
        }
    }

    pub(super) fn contains(&self, fp: u64) -> bool {
        self.shards[shard_of(fp)].contains(fp)
    }

    pub(super) fn insert(&mut self, fp: u64) -> bool {
        self.shards[shard_of(fp)].insert(fp)
    }

    /// Reads the first slot each of `fps` would be looked up in, all
    /// before any is needed: the reads go out to memory together, and the
    /// lookups that follow find their slots in cache.
    pub(super) fn touch(&self, fps: impl Iterator<Item = u64>) {
        let mut any = 0;
        for fp in fps {
            any ^= self.shards[shard_of(fp)].touch(fp);
        }
        core::hint::black_box(any);
    }

    pub(super) fn bytes(&self) -> usize {
        self.shards.iter().map(Shard::bytes).sum::<usize>()
            + self.shards.capacity() * core::mem::size_of::<Shard>()
    }
}

/// How a stored state was reached: its parent's index and the position,
/// in what [`super::Model::actions`] lists for the parent, of the action
/// that leads to it. An initial state has no parent and its position
/// among the initial states. Ordered as a breadth-first search finds
/// states: by parent, then by action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Link(u64);

pub(super) const ROOT: u32 = u32::MAX;

impl Link {
    pub(super) fn new(parent: u32, action: u32) -> Link {
        Link(u64::from(parent) << 32 | u64::from(action))
    }
    pub(super) fn parent(self) -> u32 {
        (self.0 >> 32) as u32
    }
    pub(super) fn action(self) -> u32 {
        self.0 as u32
    }
}

/// Links per chunk: the links are kept in chunks so that growing never
/// copies (or briefly doubles) all of them.
const CHUNK: usize = 1 << 16;

/// Every stored state's link, by state index (the order states were
/// stored in).
#[derive(Clone, Debug, Default)]
pub(super) struct Links {
    chunks: Vec<Vec<Link>>,
    len: usize,
}

impl Links {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn push(&mut self, link: Link) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(link),
            _ => {
                let mut c = Vec::with_capacity(if self.chunks.is_empty() { 256 } else { CHUNK });
                c.push(link);
                self.chunks.push(c);
            }
        }
        // The first chunk starts small (most searches are small) and grows
        // as a vector does up to a full chunk.
        self.len += 1;
    }

    pub(super) fn get(&self, index: u32) -> Link {
        let i = index as usize;
        self.chunks[i / CHUNK][i % CHUNK]
    }

    pub(super) fn bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity() * 8).sum::<usize>()
            + self.chunks.capacity() * core::mem::size_of::<Vec<Link>>()
    }
}

/// The fingerprints a search task met last, in a small direct-mapped
/// table that stays in cache: most successors are found again by the
/// next few states (two orders of the same two steps), and this answers
/// for them without a look into the shared set. A fingerprint in here is
/// in the shared set or among the task's candidates already; one pushed
/// out is only looked up again.
#[derive(Debug)]
pub(super) struct Recent {
    slots: Vec<u64>,
}

/// 4096 slots: 32 KiB, within a core's first-level cache.
const RECENT: usize = 1 << 12;

impl Default for Recent {
    fn default() -> Self {
        Recent {
            slots: vec![0; RECENT],
        }
    }
}

impl Recent {
    /// Notes `fp`; false if it was met recently.
    pub(super) fn insert(&mut self, fp: u64) -> bool {
        let slot = &mut self.slots[fp as usize & (RECENT - 1)];
        if *slot == fp {
            return false;
        }
        *slot = fp;
        true
    }

    pub(super) fn bytes(&self) -> usize {
        self.slots.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_keep_every_fingerprint_once() {
        let mut seen = Seen::new();
        let fps: Vec<u64> = (0..100_000u64).map(|i| fingerprint(&i)).collect();
        for &fp in &fps {
            assert!(seen.insert(fp));
        }
        for &fp in &fps {
            assert!(seen.contains(fp));
            assert!(!seen.insert(fp));
        }
        assert!(!seen.contains(fingerprint(&100_001u64)));
        // 1/2 to 3/4 full, plus sixty-four small shards' minimum.
        let per = seen.bytes() as f64 / fps.len() as f64;
        assert!((10.0..=17.0).contains(&per), "{per} bytes per fingerprint");
    }

    #[test]
    fn fingerprints_are_spread_over_shards() {
        let mut counts = [0usize; SHARDS];
        for i in 0..64_000u64 {
            counts[shard_of(fingerprint(&(i, "x")))] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn links_round_trip_across_chunks() {
        let mut links = Links::default();
        for i in 0..(CHUNK as u32 * 2 + 5) {
            links.push(Link::new(i / 3, i % 7));
        }
        assert_eq!(links.len(), CHUNK * 2 + 5);
        let l = links.get(CHUNK as u32 + 1);
        assert_eq!(
            (l.parent(), l.action()),
            ((CHUNK as u32 + 1) / 3, (CHUNK as u32 + 1) % 7)
        );
        assert!(Link::new(1, 9) < Link::new(2, 0));
        assert_eq!(Link::new(ROOT, 3).parent(), ROOT);
    }

    #[test]
    fn recent_fingerprints_are_recognised_until_pushed_out() {
        let mut recent = Recent::default();
        assert!(recent.insert(5));
        assert!(!recent.insert(5));
        assert!(recent.insert(5 + RECENT as u64)); // the same slot
        assert!(recent.insert(5));
    }
}
