//! Consistent hashing: a ring of 64-bit tokens, each physical node owning
//! several virtual nodes, and keys placed on the first token clockwise of
//! their hash.
//!
//! Why virtual nodes: with one token per node the arcs between tokens are
//! very uneven, so one node may own several times its share of keys. With
//! `v` tokens per node each node's share is the sum of `v` arcs and the
//! spread shrinks roughly like `1/sqrt(v)`. Why a ring at all: when a node
//! joins, only keys on the arcs its tokens take over move (about `K/N` of
//! `K` keys), while `hash(key) mod N` moves almost every key.
//!
//! Everything here is deterministic: tokens are a fixed hash of
//! `(node, virtual index)`, keys a fixed hash of their bytes.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::id::NodeId;

/// The 64-bit finaliser of SplitMix64: spreads nearby inputs (node 1 and
/// node 2, key `k1` and `k2`) all over the ring.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A key's position on the ring: FNV-1a over its bytes, then mixed.
pub fn key_hash(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// The token of virtual node `v` of `node`.
pub fn token(node: NodeId, v: u32) -> u64 {
    mix((u64::from(node.0) << 32) | u64::from(v))
}

/// One virtual node: a token and the physical node that owns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VNode {
    pub token: u64,
    pub node: NodeId,
    /// Which of the node's virtual nodes this is.
    pub index: u32,
}

/// A consistent-hashing ring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ring {
    vnodes: u32,
    /// Sorted by token (ties, vanishingly rare, by node).
    points: Vec<VNode>,
    members: BTreeSet<NodeId>,
}

impl Ring {
    /// A ring of `nodes`, each with `vnodes` virtual nodes (at least 1).
    pub fn new(nodes: impl IntoIterator<Item = NodeId>, vnodes: u32) -> Ring {
        let mut ring = Ring {
            vnodes: vnodes.max(1),
            points: Vec::new(),
            members: BTreeSet::new(),
        };
        for n in nodes {
            ring.add(n);
        }
        ring
    }

    /// Nodes `0..count`.
    pub fn with_nodes(count: u16, vnodes: u32) -> Ring {
        Ring::new((0..count).map(NodeId), vnodes)
    }

    pub fn vnodes(&self) -> u32 {
        self.vnodes
    }

    pub fn members(&self) -> &BTreeSet<NodeId> {
        &self.members
    }

    /// Every virtual node, in ring order: what a ring view draws.
    pub fn points(&self) -> &[VNode] {
        &self.points
    }

    pub fn add(&mut self, node: NodeId) {
        if !self.members.insert(node) {
            return;
        }
        for index in 0..self.vnodes {
            self.points.push(VNode {
                token: token(node, index),
                node,
                index,
            });
        }
        self.points.sort();
    }

    pub fn remove(&mut self, node: NodeId) {
        if self.members.remove(&node) {
            self.points.retain(|p| p.node != node);
        }
    }

    /// Index in `points` of the first virtual node at or after `hash`,
    /// wrapping around.
    fn successor(&self, hash: u64) -> usize {
        let i = self.points.partition_point(|p| p.token < hash);
        if i == self.points.len() {
            0
        } else {
            i
        }
    }

    /// The node that owns `key`, if the ring has any.
    pub fn owner(&self, key: &str) -> Option<NodeId> {
        if self.points.is_empty() {
            return None;
        }
        Some(self.points[self.successor(key_hash(key))].node)
    }

    /// The first `n` distinct physical nodes clockwise from `key`: its
    /// replicas, in preference order (fewer if the ring has fewer nodes).
    pub fn preference_list(&self, key: &str, n: usize) -> Vec<NodeId> {
        self.walk(key, n, |_| true)
    }

    /// Like [`Ring::preference_list`], but only nodes `usable` accepts:
    /// a sloppy quorum skips nodes it cannot reach and takes the next ones.
    pub fn walk(&self, key: &str, n: usize, mut usable: impl FnMut(NodeId) -> bool) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = Vec::new();
        if self.points.is_empty() || n == 0 {
            return out;
        }
        let start = self.successor(key_hash(key));
        for k in 0..self.points.len() {
            let node = self.points[(start + k) % self.points.len()].node;
            if !out.contains(&node) && usable(node) {
                out.push(node);
                if out.len() == n {
                    break;
                }
            }
        }
        out
    }
}

/// The keys `k0..k{count-1}`, the same names the simulator's workload uses.
pub fn sample_keys(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("k{i}")).collect()
}

/// The share of `keys` whose owner differs between two rings.
pub fn moved_fraction(before: &Ring, after: &Ring, keys: &[String]) -> f64 {
    if keys.is_empty() {
        return 0.0;
    }
    let moved = keys
        .iter()
        .filter(|k| before.owner(k) != after.owner(k))
        .count();
    moved as f64 / keys.len() as f64
}

/// The same for plain `hash(key) mod nodes` placement.
pub fn modulo_moved_fraction(before: u16, after: u16, keys: &[String]) -> f64 {
    if keys.is_empty() || before == 0 || after == 0 {
        return 0.0;
    }
    let moved = keys
        .iter()
        .filter(|k| key_hash(k) % u64::from(before) != key_hash(k) % u64::from(after))
        .count();
    moved as f64 / keys.len() as f64
}

/// How evenly `keys` spread over the ring's nodes: `(max, mean)` keys per
/// node. `max / mean` is 1 for a perfect spread.
pub fn load(ring: &Ring, keys: &[String]) -> (usize, f64) {
    let mut counts: alloc::collections::BTreeMap<NodeId, usize> =
        ring.members().iter().map(|n| (*n, 0)).collect();
    for k in keys {
        if let Some(owner) = ring.owner(k) {
            *counts.entry(owner).or_default() += 1;
        }
    }
    let max = counts.values().copied().max().unwrap_or(0);
    let mean = if counts.is_empty() {
        0.0
    } else {
        keys.len() as f64 / counts.len() as f64
    };
    (max, mean)
}

/// One line of the comparison the CLI prints and the ring view shows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RingRow {
    pub vnodes: u32,
    /// Most keys on one node, over the mean.
    pub spread: f64,
    /// Share of keys that move when node `nodes` joins.
    pub moved_on_join: f64,
    /// Share that move when node 0 leaves.
    pub moved_on_leave: f64,
}

/// The numbers for `nodes` nodes and `keys` keys at one vnode count.
pub fn measure(nodes: u16, vnodes: u32, keys: &[String]) -> RingRow {
    let ring = Ring::with_nodes(nodes, vnodes);
    let (max, mean) = load(&ring, keys);
    let mut joined = ring.clone();
    joined.add(NodeId(nodes));
    let mut left = ring.clone();
    left.remove(NodeId(0));
    RingRow {
        vnodes,
        spread: if mean > 0.0 { max as f64 / mean } else { 0.0 },
        moved_on_join: moved_fraction(&ring, &joined, keys),
        moved_on_leave: moved_fraction(&ring, &left, keys),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_list_has_distinct_nodes_in_ring_order() {
        let ring = Ring::with_nodes(5, 16);
        for k in sample_keys(200) {
            let list = ring.preference_list(&k, 3);
            assert_eq!(list.len(), 3);
            let set: BTreeSet<_> = list.iter().collect();
            assert_eq!(set.len(), 3, "{k}: {list:?}");
            assert_eq!(Some(list[0]), ring.owner(&k));
        }
        // More replicas asked for than nodes: every node once.
        assert_eq!(ring.preference_list("x", 9).len(), 5);
        assert!(Ring::new([], 4).preference_list("x", 3).is_empty());
    }

    #[test]
    fn a_join_moves_about_k_over_n_keys_never_all() {
        let keys = sample_keys(10_000);
        for vnodes in [64u32, 256] {
            let row = measure(5, vnodes, &keys);
            // Ideal: the new node takes 1/6 of the keys.
            let ideal = 1.0 / 6.0;
            assert!(
                (row.moved_on_join - ideal).abs() < 0.06,
                "{vnodes} vnodes: {} moved, ideal {ideal}",
                row.moved_on_join
            );
            // Removing node 0 moves exactly its keys, about 1/5.
            assert!((row.moved_on_leave - 0.2).abs() < 0.06, "{row:?}");
        }
        let modulo = modulo_moved_fraction(5, 6, &keys);
        assert!(modulo > 0.7, "modulo hashing moves most keys: {modulo}");
        assert!(measure(5, 1, &keys).moved_on_join < 1.0);
    }

    #[test]
    fn only_keys_of_the_changed_node_move() {
        let keys = sample_keys(2_000);
        let ring = Ring::with_nodes(4, 8);
        let mut joined = ring.clone();
        joined.add(NodeId(4));
        for k in &keys {
            let (a, b) = (ring.owner(k).unwrap(), joined.owner(k).unwrap());
            assert!(a == b || b == NodeId(4), "{k} moved {a} -> {b}");
        }
    }

    #[test]
    fn more_vnodes_spread_load_more_evenly() {
        let keys = sample_keys(10_000);
        let one = measure(5, 1, &keys).spread;
        let many = measure(5, 256, &keys).spread;
        assert!(many < one, "1 vnode: {one}, 256: {many}");
        assert!(
            many < 1.2,
            "256 vnodes should be within 20% of even: {many}"
        );
    }

    #[test]
    fn walk_skips_unusable_nodes() {
        let ring = Ring::with_nodes(5, 8);
        let strict = ring.preference_list("k1", 3);
        let down = strict[0];
        let sloppy = ring.walk("k1", 3, |n| n != down);
        assert!(!sloppy.contains(&down));
        assert_eq!(sloppy[..2], strict[1..]);
    }
}
