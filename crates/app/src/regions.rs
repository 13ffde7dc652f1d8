//! Regions on the cluster canvas: when a scenario places nodes in regions
//! (`network.regions`), each region is drawn as a neutral tinted area
//! behind its nodes with a label, and one line says how far apart they
//! are, so a slow request is visibly one that crossed from one tint to
//! another. Worked out here in CSS pixels; `web/regions.rs` only draws.

use splitbrain_core::Scenario;

use crate::geometry::{convex_hull, Vec2};
use crate::i18n::{t, tf};

/// One region's area: its members' convex hull (drawn with a wide round
/// pen, as partition groups are) and where its label goes.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionTint {
    pub region: u8,
    pub points: Vec<Vec2>,
    pub label: String,
    pub label_at: Vec2,
}

/// A generous average width of one character of the 12 px label font.
pub const LABEL_CHAR_WIDTH: f64 = 7.0;

/// How far the tint reaches beyond a node's centre, for a node radius.
/// Less than a partition group's padding, so a group drawn over a region
/// still shows the region's edge inside it.
pub fn padding(radius: f64) -> f64 {
    radius + 8.0
}

/// The tints for the nodes at `screen` (by node index), or none when the
/// scenario has no regions or puts every node in one region.
pub fn tints(scenario: &Scenario, screen: &[Vec2], radius: f64) -> Vec<RegionTint> {
    let Some(regions) = &scenario.network.regions else {
        return Vec::new();
    };
    let of = |i: usize| regions.of.get(i).copied();
    let mut ids: Vec<u8> = (0..screen.len()).filter_map(of).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < 2 {
        return Vec::new();
    }
    let centre = screen.iter().fold(Vec2::default(), |a, p| a + *p) * (1.0 / screen.len() as f64);
    ids.into_iter()
        .map(|region| {
            let members: Vec<Vec2> = (0..screen.len())
                .filter(|i| of(*i) == Some(region))
                .map(|i| screen[i])
                .collect();
            let mid =
                members.iter().fold(Vec2::default(), |a, p| a + *p) * (1.0 / members.len() as f64);
            // The label goes outside the cluster, beyond the region's
            // farthest member in the direction away from the centre.
            let out = (mid - centre).normalized();
            let out = if out == Vec2::default() {
                Vec2::new(0.0, 1.0)
            } else {
                out
            };
            let reach = members
                .iter()
                .map(|p| (*p - mid).dot(out))
                .fold(0.0, f64::max);
            let names: Vec<String> = (0..screen.len())
                .filter(|i| of(*i) == Some(region))
                .map(|i| format!("n{i}"))
                .collect();
            let label = tf("region {0} ({1})", &[&region, &names.join(", ")]);
            // Centred text reaches half its width sideways: move it that
            // much further out when the label goes off to a side.
            let half_width = LABEL_CHAR_WIDTH * label.chars().count() as f64 / 2.0;
            RegionTint {
                region,
                points: convex_hull(&members),
                label_at: mid + out * (reach + padding(radius) + 12.0 + out.x.abs() * half_width),
                label,
            }
        })
        .collect()
}

/// The line under the cluster: "Regions: 1ms within, 80ms across".
pub fn legend(scenario: &Scenario) -> Option<String> {
    let r = scenario.network.regions.as_ref()?;
    let range = |l: splitbrain_core::scenario::Latency| {
        if l.min == l.max {
            l.min.to_string()
        } else {
            format!("{}–{}", l.min, l.max)
        }
    };
    let mut s = tf(
        "Regions: {0} within, {1} across",
        &[&range(r.within), &range(r.across)],
    );
    if !r.matrix.is_empty() {
        s.push_str(t(" (some pairs differ)"));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacelc() -> Scenario {
        serde_json::from_str(crate::gallery::file("pacelc-raft-regions.json").unwrap()).unwrap()
    }

    fn ring(n: usize) -> Vec<Vec2> {
        (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                Vec2::new(300.0 + 200.0 * a.cos(), 300.0 + 200.0 * a.sin())
            })
            .collect()
    }

    #[test]
    fn each_region_gets_a_tint_around_its_own_nodes() {
        let s = pacelc();
        let screen = ring(5);
        let t = tints(&s, &screen, 20.0);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].label, "region 0 (n0, n1)");
        assert_eq!(t[2].label, "region 2 (n4)");
        assert_eq!(t[2].points, vec![screen[4]]);
        for tint in &t {
            // Labels sit outside the cluster, not on top of the nodes: the
            // text's box (centred on label_at) clears every node's circle.
            let half = LABEL_CHAR_WIDTH * tint.label.len() as f64 / 2.0;
            for p in &screen {
                let dx = (p.x - tint.label_at.x).abs() - half;
                let dy = (p.y - tint.label_at.y).abs() - 7.0;
                let gap = dx.max(0.0).hypot(dy.max(0.0));
                assert!(gap > 20.0, "{tint:?} vs node at {p:?}");
            }
        }
        assert_eq!(
            legend(&s).as_deref(),
            Some("Regions: 1ms within, 80ms across")
        );
    }

    #[test]
    fn no_regions_or_a_single_region_draws_nothing() {
        let mut s = pacelc();
        let screen = ring(5);
        s.network.regions.as_mut().unwrap().of = vec![0; 5];
        assert!(tints(&s, &screen, 20.0).is_empty());
        s.network.regions = None;
        assert!(tints(&s, &screen, 20.0).is_empty());
        assert!(legend(&s).is_none());
    }
}
