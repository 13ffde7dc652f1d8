//! `PVec`: a vector whose clones share their contents in fixed-size chunks.
//!
//! Time travel keeps a copy of the whole simulation every few thousand
//! events. Most of what grows in a long run (a Raft log, the checker's
//! record of every committed entry, the client history) only ever grows at
//! the end, so two copies taken a while apart agree on all but their last
//! few entries. A `PVec` keeps its elements in chunks behind reference
//! counts, and the chunks in blocks behind reference counts too: cloning
//! it copies one pointer per block, and a write copies only the block and
//! the chunk it touches, if another clone still holds them (copy on
//! write). Reading an element is two extra indirections.
//!
//! With one level, a clone copied one pointer per chunk: a copy of a run
//! of 30 million events cost a millisecond, a cost per snapshot that grew
//! with the run. Blocks make it one pointer per 16,384 elements.
//!
//! Every chunk but the last is full, and every block but the last, so
//! element `i` is in chunk `c = i / CHUNK` at `i % CHUNK`, and that chunk
//! in block `c / BLOCK` at `c % BLOCK`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::{Index, Range};

/// Elements per chunk: small enough that copying the one being written is
/// cheap, large enough that the pointers cost little (8 bytes per 256
/// elements).
const CHUNK: usize = 256;
/// Chunks per block: copying a shared block on a write is 64 pointers, and
/// a clone is one pointer per 16,384 elements.
const BLOCK: usize = 64;

type Chunk<T> = Arc<Vec<T>>;
type Block<T> = Arc<Vec<Chunk<T>>>;

pub struct PVec<T> {
    blocks: Vec<Block<T>>,
    len: usize,
}

fn chunk_iter<T>(c: &Chunk<T>) -> core::slice::Iter<'_, T> {
    c.iter()
}

fn block_iter<T>(b: &Block<T>) -> core::slice::Iter<'_, Chunk<T>> {
    b.iter()
}

/// The chunks of a run of blocks, in order.
type Chunks<'a, T> = core::iter::FlatMap<
    core::slice::Iter<'a, Block<T>>,
    core::slice::Iter<'a, Chunk<T>>,
    fn(&'a Block<T>) -> core::slice::Iter<'a, Chunk<T>>,
>;

/// The elements of a [`PVec`], in order.
pub type Iter<'a, T> = core::iter::FlatMap<
    Chunks<'a, T>,
    core::slice::Iter<'a, T>,
    fn(&'a Chunk<T>) -> core::slice::Iter<'a, T>,
>;

impl<T> PVec<T> {
    pub const fn new() -> PVec<T> {
        PVec {
            blocks: Vec::new(),
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
        let c = i / CHUNK;
        self.blocks.get(c / BLOCK)?.get(c % BLOCK)?.get(i % CHUNK)
    }

    pub fn last(&self) -> Option<&T> {
        self.blocks.last()?.last()?.last()
    }

    fn chunks_from<'a>(&'a self, block: usize) -> Chunks<'a, T> {
        self.blocks[block.min(self.blocks.len())..]
            .iter()
            .flat_map(block_iter as fn(&'a Block<T>) -> _)
    }

    pub fn iter<'a>(&'a self) -> Iter<'a, T> {
        self.chunks_from(0)
            .flat_map(chunk_iter as fn(&'a Chunk<T>) -> _)
    }

    /// The elements in `range` (clamped to the length), in order, without
    /// walking the ones before it.
    pub fn range(&self, range: Range<usize>) -> impl Iterator<Item = &T> + '_ {
        let end = range.end.min(self.len);
        let start = range.start.min(end);
        let c = start / CHUNK;
        self.chunks_from(c / BLOCK)
            .skip(c % BLOCK)
            .flat_map(|c| c.iter())
            .skip(start % CHUNK)
            .take(end - start)
    }

    /// Chunks shared with another clone (directly or through their block):
    /// what a clone saves.
    pub fn shared_chunks(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| {
                if Arc::strong_count(b) > 1 {
                    b.len()
                } else {
                    b.iter().filter(|c| Arc::strong_count(c) > 1).count()
                }
            })
            .sum()
    }
}

impl<T: Clone> PVec<T> {
    pub fn push(&mut self, value: T) {
        if self.len % CHUNK == 0 {
            if (self.len / CHUNK) % BLOCK == 0 {
                self.blocks.push(Arc::new(Vec::with_capacity(BLOCK)));
            }
            // Not empty: a block was pushed above if the last one was full.
            let block = self.blocks.last_mut().expect("a block to push into");
            Arc::make_mut(block).push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        // Not empty: a chunk was pushed above if the last one was full.
        let block = self.blocks.last_mut().expect("a block to push into");
        let chunk = Arc::make_mut(block)
            .last_mut()
            .expect("a chunk to push into");
        Arc::make_mut(chunk).push(value);
        self.len += 1;
    }

    /// Keeps the first `len` elements.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let chunks = len.div_ceil(CHUNK);
        self.blocks.truncate(chunks.div_ceil(BLOCK));
        if let Some(last) = self.blocks.last_mut() {
            if chunks % BLOCK != 0 {
                Arc::make_mut(last).truncate(chunks % BLOCK);
            }
            if len % CHUNK != 0 {
                if let Some(chunk) = Arc::make_mut(last).last_mut() {
                    Arc::make_mut(chunk).truncate(len % CHUNK);
                }
            }
        }
        self.len = len;
    }

    /// The element at `i`, copying its block and chunk first if they are
    /// shared.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        let c = i / CHUNK;
        let block = Arc::make_mut(&mut self.blocks[c / BLOCK]);
        Arc::make_mut(&mut block[c % BLOCK]).get_mut(i % CHUNK)
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

/// Cheap: shares every block.
impl<T> Clone for PVec<T> {
    fn clone(&self) -> Self {
        PVec {
            blocks: self.blocks.clone(),
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

/// Equal lengths have the same shape, so blocks and chunks pair up; shared
/// ones are equal without a look inside.
impl<T: PartialEq> PartialEq for PVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self.blocks.iter().zip(&other.blocks).all(|(a, b)| {
                Arc::ptr_eq(a, b)
                    || a.iter()
                        .zip(b.iter())
                        .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
            })
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
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
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
        for step in 0..60_000u32 {
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

    /// Across blocks: a clone shares them all, and a write copies one
    /// block and one chunk, whatever the length.
    #[test]
    fn a_clone_shares_its_blocks_until_written() {
        let n = 3 * CHUNK * BLOCK + 1000;
        let mut a: PVec<u32> = (0..n as u32).collect();
        assert_eq!(a.blocks.len(), 4);
        let b = a.clone();
        assert_eq!(b.shared_chunks(), n.div_ceil(CHUNK));
        let mid = CHUNK * BLOCK + 5;
        *a.get_mut(mid).unwrap() = 0;
        assert_eq!((a[mid], b[mid]), (0, mid as u32));
        // Its block is a's own now (its other chunks still shared), and
        // one chunk of it is a's alone.
        assert!(!Arc::ptr_eq(&a.blocks[1], &b.blocks[1]));
        assert!(Arc::ptr_eq(&a.blocks[0], &b.blocks[0]));
        assert_eq!(b.shared_chunks(), n.div_ceil(CHUNK) - 1);
        assert_ne!(a, b);
        a.truncate(2 * CHUNK * BLOCK);
        assert_eq!(a.len(), 2 * CHUNK * BLOCK);
        assert_eq!(a.blocks.len(), 2);
        a.truncate(mid + 1);
        assert_eq!(a.blocks.len(), 2);
        assert_eq!(a.last(), Some(&0));
        assert_eq!(b.len(), n, "the clone keeps its length");
        a.resize(n, 9);
        assert_eq!(a[n - 1], 9);
        let want: Vec<u32> = (mid as u32 - 2..mid as u32 + 2).collect();
        assert_eq!(b.range(mid - 2..mid + 2).copied().collect::<Vec<_>>(), want);
        assert_eq!(b.iter().next_back(), Some(&(n as u32 - 1)));
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
