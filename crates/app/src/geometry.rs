//! Plane geometry for the cluster view: where nodes sit, what a pointer is
//! over, which links a drawn line crosses, and the outline of a group.
//!
//! Positions are kept in *world* units, a square from -1 to 1 on both axes
//! centred on the canvas, so a layout survives resizes and rotations of a
//! phone. [`Viewport`] maps world units to CSS pixels. Nothing here knows
//! about the DOM, so all of it is tested natively.

use core::f64::consts::{PI, TAU};
use core::ops::{Add, Mul, Sub};

/// Trigonometry for layouts. In the browser it is the JS engine's `Math`,
/// so the download carries no copy of libm's (surprisingly large) sine,
/// cosine and arctangent; natively it is the standard library's.
pub mod trig {
    #[cfg(target_arch = "wasm32")]
    pub use js_sys::Math::{atan2, cos, exp, sin};

    #[cfg(not(target_arch = "wasm32"))]
    pub fn sin(x: f64) -> f64 {
        x.sin()
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub fn cos(x: f64) -> f64 {
        x.cos()
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub fn atan2(y: f64, x: f64) -> f64 {
        y.atan2(x)
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub fn exp(x: f64) -> f64 {
        x.exp()
    }
}

/// The unit vector at `angle` radians (clockwise from +x on screen).
pub fn unit(angle: f64) -> Vec2 {
    Vec2::new(trig::cos(angle), trig::sin(angle))
}

/// A point or a vector, in world units or CSS pixels depending on context.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Vec2 {
    pub x: f64,
    pub y: f64,
}

impl Vec2 {
    pub const fn new(x: f64, y: f64) -> Vec2 {
        Vec2 { x, y }
    }

    pub fn dot(self, other: Vec2) -> f64 {
        self.x * other.x + self.y * other.y
    }

    /// The z component of the 3D cross product: positive when `other` turns
    /// counter-clockwise from `self` (in a y-up frame).
    pub fn cross(self, other: Vec2) -> f64 {
        self.x * other.y - self.y * other.x
    }

    pub fn length(self) -> f64 {
        self.dot(self).sqrt()
    }

    pub fn distance(self, other: Vec2) -> f64 {
        (self - other).length()
    }

    /// The unit vector in the same direction, or zero for the zero vector.
    pub fn normalized(self) -> Vec2 {
        let len = self.length();
        if len > 0.0 {
            self * (1.0 / len)
        } else {
            Vec2::default()
        }
    }

    /// Rotated a quarter turn, for offsetting along a link's normal.
    pub fn perpendicular(self) -> Vec2 {
        Vec2::new(-self.y, self.x)
    }

    pub fn lerp(self, to: Vec2, t: f64) -> Vec2 {
        self + (to - self) * t
    }
}

impl Add for Vec2 {
    type Output = Vec2;
    fn add(self, rhs: Vec2) -> Vec2 {
        Vec2::new(self.x + rhs.x, self.y + rhs.y)
    }
}

impl Sub for Vec2 {
    type Output = Vec2;
    fn sub(self, rhs: Vec2) -> Vec2 {
        Vec2::new(self.x - rhs.x, self.y - rhs.y)
    }
}

impl Mul<f64> for Vec2 {
    type Output = Vec2;
    fn mul(self, k: f64) -> Vec2 {
        Vec2::new(self.x * k, self.y * k)
    }
}

/// Radius of the ring the nodes start on, in world units: small enough to
/// leave room around it for labels, log strips and dragged-out groups.
pub const RING_RADIUS: f64 = 0.62;

/// The ring for `n` nodes: big clusters show no labels under their nodes,
/// so their ring spreads wider to give each node more room.
pub fn ring_radius(n: usize) -> f64 {
    let crowding = ((n as f64 - 9.0) / 20.0).clamp(0.0, 1.0);
    RING_RADIUS + 0.2 * crowding
}

/// Where node `i` of `n` sits when the cluster is whole: on a circle,
/// node 0 at the top, numbered clockwise like a clock face.
pub fn ring_position(i: usize, n: usize) -> Vec2 {
    if n <= 1 {
        return Vec2::default();
    }
    let angle = -PI / 2.0 + TAU * i as f64 / n as f64;
    unit(angle) * ring_radius(n)
}

/// Radius of a node, in world units. Shrinks with the cluster so that
/// neighbours on the ring never overlap (51 nodes still leave a gap).
pub fn node_radius(n: usize) -> f64 {
    let spacing = TAU * ring_radius(n) / n.max(1) as f64;
    (spacing * 0.32).min(0.1)
}

/// The canvas in CSS pixels, and the map from world units to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewport {
    pub width: f64,
    pub height: f64,
}

impl Default for Viewport {
    fn default() -> Self {
        Viewport {
            width: 800.0,
            height: 600.0,
        }
    }
}

impl Viewport {
    /// CSS pixels per world unit: the world square fits the shorter side.
    pub fn scale(&self) -> f64 {
        (self.width.min(self.height) / 2.0).max(1.0)
    }

    pub fn center(&self) -> Vec2 {
        Vec2::new(self.width / 2.0, self.height / 2.0)
    }

    pub fn to_screen(&self, world: Vec2) -> Vec2 {
        self.center() + world * self.scale()
    }

    pub fn to_world(&self, screen: Vec2) -> Vec2 {
        (screen - self.center()) * (1.0 / self.scale())
    }

    /// The world rectangle the canvas shows: wider than the unit square on
    /// a landscape canvas, taller on a portrait one.
    pub fn world_bounds(&self) -> (Vec2, Vec2) {
        (
            self.to_world(Vec2::new(0.0, 0.0)),
            self.to_world(Vec2::new(self.width, self.height)),
        )
    }

    /// Keeps a world point inside the visible canvas, `margin` world units
    /// from its edges, so a node cannot be dragged out of sight.
    pub fn clamp_world(&self, p: Vec2, margin: f64) -> Vec2 {
        let (lo, hi) = self.world_bounds();
        let clamp = |v: f64, lo: f64, hi: f64| {
            if lo + margin > hi - margin {
                (lo + hi) / 2.0
            } else {
                v.clamp(lo + margin, hi - margin)
            }
        };
        Vec2::new(clamp(p.x, lo.x, hi.x), clamp(p.y, lo.y, hi.y))
    }
}

/// The index of the node under `p`, the closest one if several overlap.
/// `slack` widens the target (fingers are wider than a mouse pointer).
pub fn node_at(positions: &[Vec2], radius: f64, slack: f64, p: Vec2) -> Option<usize> {
    positions
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.distance(p)))
        .filter(|(_, d)| *d <= radius + slack)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Distance from `p` to the segment `a`–`b`, and how far along it (0 at
/// `a`, 1 at `b`) the closest point lies.
pub fn distance_to_segment(p: Vec2, a: Vec2, b: Vec2) -> (f64, f64) {
    let ab = b - a;
    let len2 = ab.dot(ab);
    let t = if len2 > 0.0 {
        ((p - a).dot(ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.distance(a + ab * t), t)
}

/// The link (unordered pair `(i, j)`, `i < j`) nearest to `p`, if one runs
/// within `tolerance` of it. The ends of a link are inside its nodes, so
/// points over a node (within `node_radius` of either end) do not count.
pub fn link_at(
    positions: &[Vec2],
    node_radius: f64,
    tolerance: f64,
    p: Vec2,
) -> Option<(usize, usize)> {
    let mut best: Option<(f64, (usize, usize))> = None;
    for i in 0..positions.len() {
        for j in i + 1..positions.len() {
            let (a, b) = (positions[i], positions[j]);
            if p.distance(a) <= node_radius || p.distance(b) <= node_radius {
                continue;
            }
            let (d, _) = distance_to_segment(p, a, b);
            if d <= tolerance && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, (i, j)));
            }
        }
    }
    best.map(|(_, link)| link)
}

/// Whether the segments `a1`–`a2` and `b1`–`b2` cross (touching counts).
pub fn segments_cross(a1: Vec2, a2: Vec2, b1: Vec2, b2: Vec2) -> bool {
    let d1 = (a2 - a1).cross(b1 - a1);
    let d2 = (a2 - a1).cross(b2 - a1);
    let d3 = (b2 - b1).cross(a1 - b1);
    let d4 = (b2 - b1).cross(a2 - b1);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    let on = |d: f64, p: Vec2, q: Vec2, r: Vec2| {
        d == 0.0
            && r.x >= p.x.min(q.x)
            && r.x <= p.x.max(q.x)
            && r.y >= p.y.min(q.y)
            && r.y <= p.y.max(q.y)
    };
    on(d1, a1, a2, b1) || on(d2, a1, a2, b2) || on(d3, b1, b2, a1) || on(d4, b1, b2, a2)
}

/// Every link (unordered pair, `i < j`) that the stroke `from`–`to` crosses.
pub fn links_crossed(positions: &[Vec2], from: Vec2, to: Vec2) -> Vec<(usize, usize)> {
    let mut crossed = Vec::new();
    for i in 0..positions.len() {
        for j in i + 1..positions.len() {
            if segments_cross(from, to, positions[i], positions[j]) {
                crossed.push((i, j));
            }
        }
    }
    crossed
}

/// The convex hull of `points`, counter-clockwise in a y-down frame,
/// without collinear points (Andrew's monotone chain). One or two points
/// come back as they are: a group's outline is then a dot or a capsule.
pub fn convex_hull(points: &[Vec2]) -> Vec<Vec2> {
    let mut pts: Vec<Vec2> = points.to_vec();
    pts.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let mut lower = half_hull(pts.iter().copied());
    let mut upper = half_hull(pts.iter().rev().copied());
    // Each chain ends where the other starts.
    lower.pop();
    upper.pop();
    lower.append(&mut upper);
    lower
}

/// One chain of the monotone-chain hull: the points that keep turning the
/// same way.
fn half_hull(points: impl Iterator<Item = Vec2>) -> Vec<Vec2> {
    let mut chain: Vec<Vec2> = Vec::new();
    for p in points {
        while chain.len() >= 2 {
            let a = chain[chain.len() - 2];
            let b = chain[chain.len() - 1];
            if (b - a).cross(p - a) <= 0.0 {
                chain.pop();
            } else {
                break;
            }
        }
        chain.push(p);
    }
    chain
}

/// Whether `p` lies inside the convex polygon `hull` grown by `pad` (or
/// within `pad` of it when the hull is a point or a segment).
pub fn near_hull(hull: &[Vec2], pad: f64, p: Vec2) -> bool {
    match hull.len() {
        0 => false,
        1 => p.distance(hull[0]) <= pad,
        _ => {
            let n = hull.len();
            let edge_distance = (0..n)
                .map(|i| distance_to_segment(p, hull[i], hull[(i + 1) % n]).0)
                .fold(f64::INFINITY, f64::min);
            if edge_distance <= pad {
                return true;
            }
            if n < 3 {
                return false;
            }
            // Inside a convex polygon: on the same side of every edge.
            let side = |i: usize| (hull[(i + 1) % n] - hull[i]).cross(p - hull[i]);
            let first = side(0);
            (1..n).all(|i| side(i) * first > 0.0)
        }
    }
}

/// Where a message is drawn: `progress` (0 at send, 1 at delivery) of the
/// way between the rims of its two nodes, shifted to the right of its
/// direction of travel so the two directions of a link do not overlap.
pub fn message_position(from: Vec2, to: Vec2, rim: f64, lane: f64, progress: f64) -> Vec2 {
    let dir = (to - from).normalized();
    let start = from + dir * rim;
    let end = to - dir * rim;
    start.lerp(end, progress.clamp(0.0, 1.0)) + dir.perpendicular() * lane
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-9;

    #[test]
    fn ring_puts_node_zero_on_top_and_goes_clockwise() {
        let top = ring_position(0, 4);
        assert!(top.x.abs() < EPS && (top.y + RING_RADIUS).abs() < EPS);
        // y grows downwards on screen, so clockwise from the top is +x.
        let right = ring_position(1, 4);
        assert!((right.x - RING_RADIUS).abs() < EPS && right.y.abs() < EPS);
    }

    #[test]
    fn nodes_on_a_full_ring_do_not_overlap() {
        for n in [2, 5, 13, 51] {
            let r = node_radius(n);
            let gap = ring_position(0, n).distance(ring_position(1, n));
            assert!(gap > 2.0 * r, "{n} nodes: gap {gap} vs radius {r}");
        }
    }

    #[test]
    fn viewport_round_trips_and_fits_the_shorter_side() {
        let v = Viewport {
            width: 1000.0,
            height: 500.0,
        };
        assert_eq!(v.scale(), 250.0);
        let p = Vec2::new(0.3, -0.7);
        let back = v.to_world(v.to_screen(p));
        assert!(back.distance(p) < EPS);
        assert_eq!(v.to_screen(Vec2::default()), Vec2::new(500.0, 250.0));
        let clamped = v.clamp_world(Vec2::new(9.0, 9.0), 0.1);
        assert!((clamped.x - 1.9).abs() < EPS && (clamped.y - 0.9).abs() < EPS);
    }

    #[test]
    fn node_at_picks_the_nearest_within_reach() {
        let pos = [Vec2::new(0.0, 0.0), Vec2::new(0.25, 0.0)];
        assert_eq!(node_at(&pos, 0.1, 0.0, Vec2::new(0.05, 0.0)), Some(0));
        assert_eq!(node_at(&pos, 0.1, 0.0, Vec2::new(0.2, 0.0)), Some(1));
        assert_eq!(node_at(&pos, 0.1, 0.0, Vec2::new(0.125, 0.2)), None);
        assert_eq!(node_at(&pos, 0.1, 0.2, Vec2::new(0.125, 0.2)), Some(0));
    }

    #[test]
    fn link_at_ignores_points_over_nodes() {
        let pos = [
            Vec2::new(-0.5, 0.0),
            Vec2::new(0.5, 0.0),
            Vec2::new(0.0, 0.8),
        ];
        assert_eq!(
            link_at(&pos, 0.05, 0.02, Vec2::new(0.0, 0.01)),
            Some((0, 1))
        );
        assert_eq!(link_at(&pos, 0.05, 0.02, Vec2::new(-0.49, 0.0)), None);
        assert_eq!(link_at(&pos, 0.05, 0.02, Vec2::new(0.0, 0.3)), None);
    }

    #[test]
    fn crossing_segments() {
        let o = Vec2::new(0.0, 0.0);
        assert!(segments_cross(
            o,
            Vec2::new(1.0, 1.0),
            Vec2::new(0.0, 1.0),
            Vec2::new(1.0, 0.0)
        ));
        assert!(!segments_cross(
            o,
            Vec2::new(1.0, 0.0),
            Vec2::new(0.0, 1.0),
            Vec2::new(1.0, 1.0)
        ));
        // Touching at an end counts: a stroke that ends on a link cuts it.
        assert!(segments_cross(
            o,
            Vec2::new(1.0, 0.0),
            Vec2::new(1.0, 0.0),
            Vec2::new(1.0, 1.0)
        ));
    }

    #[test]
    fn a_vertical_stroke_through_a_square_cuts_the_links_across_it() {
        // 0 1
        // 3 2
        let pos = [
            Vec2::new(-1.0, -1.0),
            Vec2::new(1.0, -1.0),
            Vec2::new(1.0, 1.0),
            Vec2::new(-1.0, 1.0),
        ];
        let cut = links_crossed(&pos, Vec2::new(0.0, -2.0), Vec2::new(0.0, 2.0));
        assert_eq!(cut, vec![(0, 1), (0, 2), (1, 3), (2, 3)]);
    }

    #[test]
    fn hull_drops_inner_and_collinear_points() {
        let pts = [
            Vec2::new(0.0, 0.0),
            Vec2::new(2.0, 0.0),
            Vec2::new(1.0, 0.0),
            Vec2::new(2.0, 2.0),
            Vec2::new(0.0, 2.0),
            Vec2::new(1.0, 1.0),
        ];
        let hull = convex_hull(&pts);
        assert_eq!(hull.len(), 4);
        assert!(!hull.contains(&Vec2::new(1.0, 1.0)));
        assert!(!hull.contains(&Vec2::new(1.0, 0.0)));
        assert!(near_hull(&hull, 0.1, Vec2::new(1.0, 1.0)));
        assert!(near_hull(&hull, 0.5, Vec2::new(2.3, 1.0)));
        assert!(!near_hull(&hull, 0.1, Vec2::new(3.0, 1.0)));
    }

    #[test]
    fn degenerate_hulls_are_dots_and_capsules() {
        let one = convex_hull(&[Vec2::new(1.0, 1.0)]);
        assert!(near_hull(&one, 0.2, Vec2::new(1.1, 1.1)));
        let two = convex_hull(&[Vec2::new(0.0, 0.0), Vec2::new(1.0, 0.0)]);
        assert!(near_hull(&two, 0.2, Vec2::new(0.5, 0.1)));
        assert!(!near_hull(&two, 0.2, Vec2::new(0.5, 0.3)));
    }

    #[test]
    fn messages_travel_rim_to_rim_on_their_own_lane() {
        let a = Vec2::new(0.0, 0.0);
        let b = Vec2::new(10.0, 0.0);
        assert_eq!(message_position(a, b, 1.0, 0.0, 0.0), Vec2::new(1.0, 0.0));
        assert_eq!(message_position(a, b, 1.0, 0.0, 1.0), Vec2::new(9.0, 0.0));
        // Going right, "right of travel" is +y on a y-down screen.
        let there = message_position(a, b, 1.0, 0.5, 0.5);
        let back = message_position(b, a, 1.0, 0.5, 0.5);
        assert!(there.y > 0.0 && back.y < 0.0);
    }
}
