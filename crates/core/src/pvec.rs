//! `PVec`: a vector whose clones share their contents in fixed-size chunks.
//!
//! Time travel keeps a copy of the whole simulation every few thousand
//! events. Most of what grows in a long run (a Raft log, the checker's
//! record of every committed entry) only ever grows at the end, so two
//! copies taken a while apart agree on all but their last few entries. A
//! `PVec` keeps its elements in chunks behind reference counts: cloning it
//! copies one pointer per chunk, and a write copies only the chunk it
//! touches, if another clone still holds it (copy on write). Reading an
//! element is one extra indirection.
//!
//! Every chunk but the last is full, so element `i` is in chunk
//! `i / CHUNK` at `i % CHUNK`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::{Index, Range};

/// Elements per chunk: small enough that copying the one being written is
/// cheap, large enough that the pointers cost little (8 bytes per 256
/// elements).
const CHUNK: usize = 256;

pub struct PVec<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> PVec<T> {
    pub const fn new() -> PVec<T> {
        PVec {
            chunks: Vec::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The elements in `range` (clamped to the length), in order, without
    /// walking the ones before it.
    pub fn range(&self, range: Range<usize>) -> impl Iterator<Item = &T> + '_ {
        let end = range.end.min(self.len);
        let start = range.start.min(end);
        self.chunks[(start / CHUNK).min(self.chunks.len())..]
            .iter()
            .flat_map(|c| c.iter())
            .skip(start % CHUNK)
            .take(end - start)
    }

    /// Chunks shared with another clone: what a clone saves.
    pub fn shared_chunks(&self) -> usize {
        self.chunks
            .iter()
            .filter(|c| Arc::strong_count(c) > 1)
            .count()
    }
}

impl<T: Clone> PVec<T> {
    pub fn push(&mut self, value: T) {
        if self.len % CHUNK == 0 {
            self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        // Not empty: a chunk was pushed above if the last one was full.
        let last = self.chunks.last_mut().expect("a chunk to push into");
        Arc::make_mut(last).push(value);
        self.len += 1;
    }

    /// Keeps the first `len` elements.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        self.chunks.truncate(len.div_ceil(CHUNK));
        if len % CHUNK != 0 {
            if let Some(last) = self.chunks.last_mut() {
                Arc::make_mut(last).truncate(len % CHUNK);
            }
        }
        self.len = len;
    }

    /// The element at `i`, copying its chunk first if it is shared.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        Arc::make_mut(&mut self.chunks[i / CHUNK]).get_mut(i % CHUNK)
    }

    /// Grows (with `value`) or shrinks to `len` elements.
    pub fn resize(&mut self, len: usize, value: T) {
        if len < self.len {
            self.truncate(len);
        }
        while self.len < len {
            self.push(value.clone());
        }
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

impl<T> Default for PVec<T> {
    fn default() -> Self {
        PVec::new()
    }
}

/// Cheap: shares every chunk.
impl<T> Clone for PVec<T> {
    fn clone(&self) -> Self {
        PVec {
            chunks: self.chunks.clone(),
            len: self.len,
        }
    }
}

impl<T> Index<usize> for PVec<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        match self.get(i) {
            Some(v) => v,
            None => panic!("index {i} out of range for a PVec of length {}", self.len),
        }
    }
}

impl<T: PartialEq> PartialEq for PVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .chunks
                .iter()
                .zip(&other.chunks)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
    }
}

impl<T: Eq> Eq for PVec<T> {}

/// As a slice hashes: the length, then the elements.
impl<T: Hash> Hash for PVec<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.len.hash(state);
        for v in self.iter() {
            v.hash(state);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for PVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Clone> FromIterator<T> for PVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = PVec::new();
        v.extend(iter);
        v
    }
}

impl<T: Clone> Extend<T> for PVec<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for value in iter {
            self.push(value);
        }
    }
}

impl<T: Clone> From<Vec<T>> for PVec<T> {
    fn from(v: Vec<T>) -> Self {
        v.into_iter().collect()
    }
}

impl<'a, T> IntoIterator for &'a PVec<T> {
    type Item = &'a T;
    type IntoIter = core::iter::FlatMap<
        core::slice::Iter<'a, Arc<Vec<T>>>,
        core::slice::Iter<'a, T>,
        fn(&'a Arc<Vec<T>>) -> core::slice::Iter<'a, T>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        fn chunk<T>(c: &Arc<Vec<T>>) -> core::slice::Iter<'_, T> {
            c.iter()
        }
        self.chunks
            .iter()
            .flat_map(chunk as fn(&'a Arc<Vec<T>>) -> _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec() {
        let mut p: PVec<u32> = PVec::new();
        let mut v: Vec<u32> = Vec::new();
        // Pseudo-random pushes, truncations and writes, against a Vec.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 10 {
                0 if !v.is_empty() => {
                    let n = (x >> 8) as usize % (v.len() + 1);
                    v.truncate(n);
                    p.truncate(n);
                }
                1 if !v.is_empty() => {
                    let i = (x >> 8) as usize % v.len();
                    v[i] = step;
                    *p.get_mut(i).unwrap() = step;
                }
                _ => {
                    v.push(step);
                    p.push(step);
                }
            }
            assert_eq!(p.len(), v.len());
        }
        assert_eq!(p.to_vec(), v);
        assert_eq!(p.iter().rev().copied().collect::<Vec<_>>(), {
            let mut r = v.clone();
            r.reverse();
            r
        });
        for (a, b) in [(0, 0), (0, 5), (3, 700), (255, 257), (600, 100_000)] {
            let want: Vec<u32> = v[a.min(v.len())..b.min(v.len())].to_vec();
            assert_eq!(p.range(a..b).copied().collect::<Vec<_>>(), want, "{a}..{b}");
        }
        assert_eq!(p.last(), v.last());
        assert_eq!(p.get(v.len()), None);
    }

    #[test]
    fn a_clone_shares_its_chunks_until_written() {
        let mut a: PVec<u64> = (0..1000).collect();
        let b = a.clone();
        assert_eq!(a.shared_chunks(), 4);
        // Growing the end copies the last chunk only.
        a.push(1000);
        assert_eq!(b.shared_chunks(), 3);
        // A write in the middle copies that chunk; the clone is unchanged.
        *a.get_mut(10).unwrap() = 7;
        assert_eq!(b[10], 10);
        assert_eq!(a[10], 7);
        assert_eq!(b.shared_chunks(), 2);
        assert_ne!(a, b);
        a.truncate(1000);
        *a.get_mut(10).unwrap() = 10;
        assert_eq!(a, b);
    }
}
