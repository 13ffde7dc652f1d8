//! The ring view's model: the consistent-hashing ring the quorum store
//! places keys with, its virtual nodes and a set of sample keys, and what
//! happens to them when a node joins or leaves.
//!
//! Plain Rust so that the numbers the view shows (moved fraction against
//! modulo hashing, load spread) and where it draws things are tested
//! natively; the canvas component only paints [`RingView::picture`].

use std::collections::BTreeMap;
use std::f64::consts::TAU;

use splitbrain_core::ring::{key_hash, load, modulo_moved_fraction, sample_keys, Ring};
use splitbrain_core::NodeId;

/// Keys drawn on the ring: enough to see arcs fill, few enough to tell
/// apart on a small screen.
pub const SAMPLE_KEYS: usize = 96;
/// The most virtual nodes per node the view offers (the store's limit is
/// higher, but past this the ring is a solid circle).
pub const MAX_VNODES: u32 = 256;
/// Fewest and most physical nodes the add / remove buttons allow.
pub const MIN_NODES: usize = 1;
pub const MAX_NODES: usize = 12;

/// The last membership change, for highlighting.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// `true`: `node` joined; `false`: it left.
    pub joined: bool,
    pub node: NodeId,
    /// Indices in [`RingView::keys`] whose owner changed.
    pub moved: Vec<usize>,
    /// Share of the sample keys that moved on the ring.
    pub fraction: f64,
    /// Share that would have moved with `hash(key) mod nodes`.
    pub modulo: f64,
}

/// The state behind the ring view.
#[derive(Clone, Debug, PartialEq)]
pub struct RingView {
    ring: Ring,
    keys: Vec<String>,
    pub change: Option<Change>,
}

/// Something to draw, at an angle (radians, clockwise from 12 o'clock,
/// token 0 at the top).
#[derive(Clone, Debug, PartialEq)]
pub struct RingPoint {
    pub angle: f64,
    pub node: NodeId,
}

/// A sample key on the ring.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyPoint {
    pub angle: f64,
    pub owner: NodeId,
    /// It changed owner in the last join or leave.
    pub moved: bool,
}

/// What the canvas draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RingPicture {
    pub vnodes: Vec<RingPoint>,
    pub keys: Vec<KeyPoint>,
}

/// A 64-bit ring position as an angle.
pub fn angle(token: u64) -> f64 {
    token as f64 / 18_446_744_073_709_551_616.0 * TAU
}

/// Cartesian point for `angle` on a circle of radius `r` around `(cx, cy)`
/// (screen coordinates: y grows downwards, angle 0 at the top).
pub fn at(cx: f64, cy: f64, r: f64, angle: f64) -> (f64, f64) {
    (cx + r * angle.sin(), cy - r * angle.cos())
}

impl RingView {
    /// `nodes` nodes `n0..`, `vnodes` virtual nodes each.
    pub fn new(nodes: usize, vnodes: u32) -> RingView {
        let nodes = nodes.clamp(MIN_NODES, MAX_NODES) as u16;
        RingView {
            ring: Ring::with_nodes(nodes, vnodes.clamp(1, MAX_VNODES)),
            keys: sample_keys(SAMPLE_KEYS),
            change: None,
        }
    }

    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    pub fn nodes(&self) -> usize {
        self.ring.members().len()
    }

    pub fn vnodes(&self) -> u32 {
        self.ring.vnodes()
    }

    /// Most keys on one node over the mean: 1 is a perfect spread.
    pub fn spread(&self) -> f64 {
        let (max, mean) = load(&self.ring, &self.keys);
        if mean > 0.0 {
            max as f64 / mean
        } else {
            0.0
        }
    }

    /// Keys per node, every member listed (possibly with 0).
    pub fn counts(&self) -> BTreeMap<NodeId, usize> {
        let mut counts: BTreeMap<NodeId, usize> =
            self.ring.members().iter().map(|n| (*n, 0)).collect();
        for k in &self.keys {
            if let Some(o) = self.ring.owner(k) {
                *counts.entry(o).or_default() += 1;
            }
        }
        counts
    }

    /// A new node (the lowest free number) joins. Refused at [`MAX_NODES`].
    pub fn add_node(&mut self) -> Result<NodeId, String> {
        if self.nodes() >= MAX_NODES {
            return Err(format!("The ring view shows at most {MAX_NODES} nodes."));
        }
        let node = (0..)
            .map(NodeId)
            .find(|n| !self.ring.members().contains(n))
            .expect("fewer than MAX_NODES members");
        let before = self.ring.clone();
        self.ring.add(node);
        self.record(before, true, node);
        Ok(node)
    }

    /// The highest-numbered node leaves. Refused at [`MIN_NODES`].
    pub fn remove_node(&mut self) -> Result<NodeId, String> {
        if self.nodes() <= MIN_NODES {
            return Err("The ring needs at least one node.".to_owned());
        }
        let node = *self.ring.members().iter().next_back().expect("a member");
        let before = self.ring.clone();
        self.ring.remove(node);
        self.record(before, false, node);
        Ok(node)
    }

    /// A new virtual node count for every node; the highlight is cleared
    /// (which keys moved is about membership, not this).
    pub fn set_vnodes(&mut self, vnodes: u32) {
        let vnodes = vnodes.clamp(1, MAX_VNODES);
        if vnodes != self.ring.vnodes() {
            self.ring = Ring::new(self.ring.members().iter().copied(), vnodes);
            self.change = None;
        }
    }

    fn record(&mut self, before: Ring, joined: bool, node: NodeId) {
        let moved: Vec<usize> = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| before.owner(k) != self.ring.owner(k))
            .map(|(i, _)| i)
            .collect();
        let fraction = moved.len() as f64 / self.keys.len() as f64;
        let modulo = modulo_moved_fraction(
            before.members().len() as u16,
            self.ring.members().len() as u16,
            &self.keys,
        );
        self.change = Some(Change {
            joined,
            node,
            moved,
            fraction,
            modulo,
        });
    }

    /// Where everything goes.
    pub fn picture(&self) -> RingPicture {
        let moved = self.change.as_ref().map(|c| &c.moved[..]).unwrap_or(&[]);
        RingPicture {
            vnodes: self
                .ring
                .points()
                .iter()
                .map(|p| RingPoint {
                    angle: angle(p.token),
                    node: p.node,
                })
                .collect(),
            keys: self
                .keys
                .iter()
                .enumerate()
                .filter_map(|(i, k)| {
                    Some(KeyPoint {
                        angle: angle(key_hash(k)),
                        owner: self.ring.owner(k)?,
                        moved: moved.contains(&i),
                    })
                })
                .collect(),
        }
    }

    /// One sentence about the last change, for the page and screen readers.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} nodes × {} virtual nodes, {} keys. Load spread (most keys on one node / mean): {:.2}.",
            self.nodes(),
            self.vnodes(),
            self.keys.len(),
            self.spread()
        );
        if let Some(c) = &self.change {
            s.push_str(&format!(
                " n{} {}: {} of {} keys moved ({:.0}%); modulo hashing would move {:.0}%.",
                c.node.0,
                if c.joined { "joined" } else { "left" },
                c.moved.len(),
                self.keys.len(),
                c.fraction * 100.0,
                c.modulo * 100.0
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_a_node_moves_only_its_keys_and_fewer_than_modulo() {
        let mut v = RingView::new(5, 32);
        let owned_by_n4: Vec<usize> = v
            .keys()
            .iter()
            .enumerate()
            .filter(|(_, k)| v.ring().owner(k) == Some(NodeId(4)))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(v.remove_node(), Ok(NodeId(4)));
        let c = v.change.clone().unwrap();
        assert!(!c.joined);
        assert_eq!(c.moved, owned_by_n4);
        assert!(c.fraction > 0.0 && c.fraction < 0.4, "{}", c.fraction);
        assert!(c.modulo > c.fraction, "{} vs {}", c.modulo, c.fraction);
        assert!(v.summary().contains("n4 left"), "{}", v.summary());
    }

    /// What the page shows for the quorum store's default ring (five
    /// nodes, 8 virtual nodes each, the 96 sample keys) when n4 leaves:
    /// measured 16 keys (17%), near the fifth a leaving node of five
    /// should own; modulo hashing moves 80 (83%). The ring and the keys
    /// are deterministic, so the bounds are tight.
    #[test]
    fn the_default_ring_moves_about_a_fifth() {
        let mut v = RingView::new(5, 8);
        v.remove_node().unwrap();
        let c = v.change.clone().unwrap();
        assert_eq!((c.moved.len(), SAMPLE_KEYS), (16, 96));
        assert!((0.15..=0.20).contains(&c.fraction), "{}", c.fraction);
        assert!(c.modulo > 0.8, "{}", c.modulo);
    }

    #[test]
    fn joining_moves_keys_only_to_the_new_node() {
        let mut v = RingView::new(4, 16);
        let before = v.ring().clone();
        assert_eq!(v.add_node(), Ok(NodeId(4)));
        let c = v.change.clone().unwrap();
        assert!(c.joined && !c.moved.is_empty());
        for &i in &c.moved {
            let k = &v.keys()[i];
            assert_ne!(before.owner(k), v.ring().owner(k));
            assert_eq!(v.ring().owner(k), Some(NodeId(4)));
        }
        // Modulo 4 -> 5 moves most keys.
        assert!(c.modulo > 0.6, "{}", c.modulo);
    }

    #[test]
    fn limits_are_refused_with_a_reason() {
        let mut v = RingView::new(1, 4);
        assert!(v.remove_node().is_err());
        let mut v = RingView::new(MAX_NODES, 4);
        assert!(v.add_node().is_err());
        assert!(v.change.is_none());
    }

    #[test]
    fn more_vnodes_spread_the_keys_more_evenly() {
        let mut v = RingView::new(5, 1);
        let one = v.spread();
        v.set_vnodes(128);
        let many = v.spread();
        assert_eq!(v.vnodes(), 128);
        assert!(many < one, "1 vnode {one}, 128 vnodes {many}");
        assert_eq!(v.counts().values().sum::<usize>(), SAMPLE_KEYS);
        v.set_vnodes(0);
        assert_eq!(v.vnodes(), 1);
    }

    #[test]
    fn the_picture_has_every_vnode_and_key_on_the_circle() {
        let mut v = RingView::new(3, 8);
        v.add_node().unwrap();
        let p = v.picture();
        assert_eq!(p.vnodes.len(), 4 * 8);
        assert_eq!(p.keys.len(), SAMPLE_KEYS);
        assert!(p.keys.iter().any(|k| k.moved));
        for a in p
            .vnodes
            .iter()
            .map(|x| x.angle)
            .chain(p.keys.iter().map(|k| k.angle))
        {
            assert!((0.0..TAU).contains(&a));
        }
        // Each key lies on the arc that ends at its owner's next vnode.
        let (x, y) = at(0.0, 0.0, 1.0, 0.0);
        assert!(x.abs() < 1e-12 && (y + 1.0).abs() < 1e-12);
        let (x, _) = at(0.0, 0.0, 1.0, TAU / 4.0);
        assert!((x - 1.0).abs() < 1e-12);
    }
}
