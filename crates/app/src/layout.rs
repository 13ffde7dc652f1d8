//! Where each node is drawn, and what dragging one means for the network.
//!
//! The network's partition groups are the truth; the layout follows them.
//! A person dragging nodes apart *makes* the groups (see [`regroup`]); a
//! partition that comes from elsewhere (a scenario, random faults, heal)
//! moves the nodes into place by itself (see [`arrange`]), gliding there
//! over a few frames so the change can be followed by eye.

use crate::geometry::{convex_hull, near_hull, node_radius, ring_position, trig, unit, Vec2};

/// Renumbers groups by first appearance (`[2, 2, 0, 1]` → `[0, 0, 1, 2]`),
/// so two assignments that split the nodes the same way compare equal
/// whatever the numbers.
pub fn canonical_groups(groups: &[u8]) -> Vec<u8> {
    let mut seen: Vec<u8> = Vec::new();
    groups
        .iter()
        .map(|g| match seen.iter().position(|s| s == g) {
            Some(i) => i as u8,
            None => {
                seen.push(*g);
                (seen.len() - 1) as u8
            }
        })
        .collect()
}

/// The members of each group, in group order.
pub fn members(groups: &[u8]) -> Vec<Vec<usize>> {
    let count = groups
        .iter()
        .map(|g| usize::from(*g) + 1)
        .max()
        .unwrap_or(0);
    let mut out = vec![Vec::new(); count];
    for (node, g) in groups.iter().enumerate() {
        out[usize::from(*g)].push(node);
    }
    out.retain(|m| !m.is_empty());
    out
}

/// How far from a group's outline a dropped node still joins it: a few
/// node radii, and never less than a fingertip's worth of world units for
/// the small nodes of a big cluster.
fn join_reach(radius: f64) -> f64 {
    (radius * 3.5).max(0.18)
}

/// The groups after `node` is dropped at `at`: it joins the group whose
/// outline (drawn without it) it landed on or next to, or else leaves its
/// group to start a new one. A node already alone just moves.
pub fn regroup(groups: &[u8], positions: &[Vec2], node: usize, at: Vec2) -> Vec<u8> {
    let radius = node_radius(groups.len());
    let mut best: Option<(f64, u8)> = None;
    for (g, list) in members(&canonical_groups(groups)).iter().enumerate() {
        let others: Vec<Vec2> = list
            .iter()
            .filter(|m| **m != node)
            .map(|m| positions[*m])
            .collect();
        if others.is_empty() {
            continue;
        }
        let hull = convex_hull(&others);
        if near_hull(&hull, join_reach(radius), at) {
            let nearest = others
                .iter()
                .map(|p| p.distance(at))
                .fold(f64::INFINITY, f64::min);
            if best.is_none_or(|(d, _)| nearest < d) {
                best = Some((nearest, g as u8));
            }
        }
    }
    let mut next = canonical_groups(groups);
    match best {
        Some((_, g)) => next[node] = g,
        None => {
            let alone = next.iter().filter(|g| **g == next[node]).count() == 1;
            if !alone {
                next[node] = next.iter().copied().max().unwrap_or(0) + 1;
            }
        }
    }
    canonical_groups(&next)
}

/// Positions that show `groups` at a glance: one group is the ring; several
/// are set apart evenly around the centre, each on its own small circle,
/// turned so that the first group goes where most of its nodes already were.
pub fn arrange(groups: &[u8]) -> Vec<Vec2> {
    use core::f64::consts::{FRAC_PI_2, PI, TAU};
    let n = groups.len();
    let lists = members(&canonical_groups(groups));
    if lists.len() <= 1 {
        return (0..n).map(|i| ring_position(i, n)).collect();
    }
    let radius = node_radius(n);
    // Each group's own circle is just big enough for its nodes.
    let spreads: Vec<f64> = lists
        .iter()
        .map(|list| {
            if list.len() == 1 {
                0.0
            } else {
                (radius * 3.0 * list.len() as f64 / TAU).max(radius * 1.8)
            }
        })
        .collect();
    let count = lists.len() as f64;
    let widest = spreads.iter().copied().fold(0.0, f64::max);
    // Neighbouring centres are 2·d·sin(π/count) apart: far enough that the
    // widest circles keep a node's width between them.
    let distance = ((widest + radius * 1.5) / trig::sin(PI / count)).min(0.75);
    let first: Vec2 = lists[0]
        .iter()
        .fold(Vec2::default(), |acc, i| acc + ring_position(*i, n));
    let base = if first.length() > 1e-6 {
        trig::atan2(first.y, first.x)
    } else {
        -FRAC_PI_2
    };
    let mut out = vec![Vec2::default(); n];
    for (g, list) in lists.iter().enumerate() {
        let angle = base + TAU * g as f64 / count;
        let center = unit(angle) * distance;
        let m = list.len();
        for (k, node) in list.iter().enumerate() {
            let a = -FRAC_PI_2 + TAU * k as f64 / m as f64;
            out[*node] = center + unit(a) * spreads[g];
        }
    }
    out
}

/// Node positions, animated towards their targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Where each node is drawn now, in world units.
    pub positions: Vec<Vec2>,
    targets: Vec<Vec2>,
    /// The grouping (canonical) the targets were made for.
    groups: Vec<u8>,
}

impl Layout {
    /// Every node on the ring, at rest.
    pub fn ring(n: usize) -> Layout {
        let positions: Vec<Vec2> = (0..n).map(|i| ring_position(i, n)).collect();
        Layout {
            targets: positions.clone(),
            positions,
            groups: vec![0; n],
        }
    }

    /// Moves the nodes into place when the network's groups changed behind
    /// the layout's back. Returns whether it did.
    pub fn follow(&mut self, network_groups: &[u8]) -> bool {
        let groups = canonical_groups(network_groups);
        if groups == self.groups {
            return false;
        }
        self.targets = arrange(&groups);
        self.groups = groups;
        true
    }

    /// Records that `groups` was made by hand, where the nodes now are.
    pub fn adopt(&mut self, groups: &[u8]) {
        self.groups = canonical_groups(groups);
        self.targets = self.positions.clone();
    }

    /// Puts `node` at `at` at once (it is being dragged).
    pub fn place(&mut self, node: usize, at: Vec2) {
        self.positions[node] = at;
        self.targets[node] = at;
    }

    /// Advances the glide by `dt_ms`. Returns whether anything moved.
    pub fn animate(&mut self, dt_ms: f64) -> bool {
        // Exponential approach: fast at first, settling softly, and the
        // same path whatever the frame rate.
        let k = 1.0 - trig::exp(-dt_ms / 90.0);
        let mut moving = false;
        for (p, t) in self.positions.iter_mut().zip(&self.targets) {
            if p.distance(*t) < 1e-4 {
                *p = *t;
            } else {
                *p = p.lerp(*t, k);
                moving = true;
            }
        }
        moving
    }

    pub fn is_settled(&self) -> bool {
        self.positions == self.targets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_groups_ignore_numbering() {
        assert_eq!(canonical_groups(&[2, 2, 0, 1]), vec![0, 0, 1, 2]);
        assert_eq!(canonical_groups(&[5, 3, 5]), canonical_groups(&[0, 1, 0]));
    }

    #[test]
    fn dragging_a_node_out_of_the_ring_starts_a_new_group() {
        let layout = Layout::ring(5);
        let groups = regroup(&[0; 5], &layout.positions, 3, Vec2::new(-1.4, 0.9));
        assert_eq!(groups, vec![0, 0, 0, 1, 0]);
    }

    #[test]
    fn dropping_next_to_a_group_joins_it() {
        let mut layout = Layout::ring(5);
        let away = Vec2::new(-1.4, 0.9);
        let groups = regroup(&[0; 5], &layout.positions, 3, away);
        layout.place(3, away);
        let groups = regroup(&groups, &layout.positions, 4, away + Vec2::new(0.15, 0.0));
        assert_eq!(members(&groups), vec![vec![0, 1, 2], vec![3, 4]]);
    }

    #[test]
    fn dropping_inside_the_ring_keeps_a_node_in_it() {
        let layout = Layout::ring(5);
        let groups = regroup(&[0; 5], &layout.positions, 2, Vec2::new(0.05, 0.0));
        assert_eq!(groups, vec![0; 5]);
    }

    #[test]
    fn a_lone_node_dropped_in_the_open_stays_alone() {
        let mut layout = Layout::ring(3);
        layout.place(2, Vec2::new(1.5, 0.0));
        let groups = regroup(&[0, 0, 1], &layout.positions, 2, Vec2::new(1.5, -0.5));
        assert_eq!(groups, vec![0, 0, 1]);
    }

    #[test]
    fn a_node_dragged_back_rejoins_the_majority() {
        let mut layout = Layout::ring(5);
        layout.place(3, Vec2::new(-1.4, 0.9));
        let groups = regroup(&[0, 0, 0, 1, 0], &layout.positions, 3, Vec2::new(0.0, 0.1));
        assert_eq!(groups, vec![0; 5]);
    }

    #[test]
    fn arranged_groups_do_not_overlap() {
        for n in [5usize, 51] {
            let groups: Vec<u8> = (0..n).map(|i| u8::from(i % 3 == 0)).collect();
            let pos = arrange(&groups);
            let r = node_radius(n);
            for i in 0..n {
                for j in i + 1..n {
                    assert!(
                        pos[i].distance(pos[j]) > 2.0 * r,
                        "{n}: {i} and {j} overlap"
                    );
                }
            }
        }
    }

    #[test]
    fn follow_moves_nodes_only_when_the_grouping_changes() {
        let mut layout = Layout::ring(4);
        assert!(!layout.follow(&[0, 0, 0, 0]));
        assert!(layout.follow(&[1, 1, 0, 0]));
        assert!(!layout.follow(&[0, 0, 1, 1]), "same split, other numbers");
        while layout.animate(16.0) {}
        assert!(layout.is_settled());
        assert!(layout.follow(&[0; 4]));
        while layout.animate(16.0) {}
        assert_eq!(layout.positions, Layout::ring(4).positions);
    }
}
