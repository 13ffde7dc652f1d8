//! What the canvas shows, worked out from the model in CSS pixels: node
//! glyphs, messages at their interpolated positions, group outlines, cut
//! links. The renderer only draws a [`Scene`]; every decision about what
//! appears where (and what is left out when the view is crowded) is made
//! here, where it can be tested without a browser.

use std::collections::BTreeMap;

use splitbrain_core::protocol::RoleKind;
use splitbrain_core::{MessageId, NodeId, Time};

use crate::geometry::{convex_hull, message_position, node_radius, Vec2};
use crate::layout::{canonical_groups, members};
use crate::model::{Hover, Model};

/// Entries shown in a node's log strip.
pub const LOG_STRIP: usize = 8;
/// Above this many messages in flight, labels are left out: they would
/// only cover each other.
pub const MAX_LABELLED: usize = 14;
/// Links are drawn for clusters up to this size; beyond, only the cut and
/// hovered ones (a 51-node cluster has 1,275 links).
pub const MAX_DRAWN_LINKS: usize = 9;
/// Where along its link a message lost from the start stops and fades.
const LOST_AT: f64 = 0.45;

/// One cell of a node's log strip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub index: u64,
    pub term: u64,
    pub committed: bool,
    /// Named in the broken invariant.
    pub flagged: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeGlyph {
    pub id: u16,
    pub at: Vec2,
    pub role: RoleKind,
    pub role_label: &'static str,
    pub term: u64,
    pub commit_index: u64,
    pub log_len: u64,
    /// Elapsed fraction of the election timer, when it is running.
    pub timer: Option<f64>,
    /// Range of this node's cells in [`Scene::cells`].
    pub cells: (usize, usize),
    pub selected: bool,
    pub hovered: bool,
    pub dragged: bool,
    /// Named in the broken invariant.
    pub flagged: bool,
    /// Served the client operation highlighted in the history view.
    pub served: bool,
    /// The logical clock's short name: `t` (term), `b` (ballot), `T` (txn).
    pub clock: &'static str,
    /// How long it has been in doubt (2PC), live.
    pub in_doubt: Option<splitbrain_core::Span>,
    /// Its clock is off true time (an offset or a drift): drawn with a
    /// small clock mark.
    pub off_clock: bool,
    /// Where it stands in the configuration the cluster goes by.
    pub standing: Standing,
}

/// A node's place in the configuration of the node in charge, for
/// protocols whose voters change (every node is a voter in the rest).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Voter,
    /// Not in the configuration: a spare, or removed.
    Spare,
    /// Only in the new set of a joint configuration (C_old,new).
    Joining,
    /// Only in the old set of a joint configuration.
    Leaving,
}

impl Standing {
    /// How the canvas label and the inspector name it, in the page's
    /// language (none for a voter).
    pub fn word(self) -> Option<&'static str> {
        use crate::i18n::t;
        match self {
            Standing::Voter => None,
            Standing::Spare => Some(t("not a member")),
            Standing::Joining => Some(t("joining")),
            Standing::Leaving => Some(t("leaving")),
        }
    }
}

/// Every node's standing in the configuration of the leader of the highest
/// term (else of the running node with the highest term): what an
/// operator's view of the cluster would show. All voters for protocols
/// that do not change membership.
pub fn standings(sim: &splitbrain_core::Sim) -> Vec<Standing> {
    let n = sim.node_count();
    let source = sim.in_charge().or_else(|| {
        (0..n as u16)
            .map(NodeId)
            .filter(|id| sim.is_up(*id))
            .max_by_key(|id| (sim.node_view(*id).term, core::cmp::Reverse(id.0)))
    });
    let Some(members) = source.and_then(|id| sim.members(id)) else {
        return vec![Standing::Voter; n];
    };
    (0..n)
        .map(|i| {
            let bit = 1u64 << i;
            let old = members.members & bit != 0;
            match members.joining.map(|new| new & bit != 0) {
                None if old => Standing::Voter,
                None => Standing::Spare,
                Some(true) if old => Standing::Voter,
                Some(true) => Standing::Joining,
                Some(false) if old => Standing::Leaving,
                Some(false) => Standing::Spare,
            }
        })
        .collect()
}

/// A message drawn between its two nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Sprite {
    pub at: Vec2,
    /// Index into the protocol's message kinds (and the palette).
    pub kind: u8,
    /// 1 in flight; shrinking towards 0 as a dropped message fades.
    pub size: f64,
    pub doomed: bool,
    /// Where along its link it is drawn, from 0 (sender) to 1 (receiver).
    pub progress: f64,
    pub label: Option<String>,
    /// Sent by a node serving the highlighted operation while it was
    /// outstanding (see `history::Served`).
    pub served: bool,
    /// The message selected here or in the space-time diagram.
    pub selected: bool,
}

/// A partition group's outline.
#[derive(Clone, Debug, PartialEq)]
pub struct Hull {
    pub points: Vec<Vec2>,
    /// Which colour: groups are numbered by their first node.
    pub index: usize,
    pub label: String,
    pub label_at: Vec2,
    /// Has a majority of the cluster, so it can elect and commit.
    pub quorum: bool,
}

/// A link cut by hand, in one or both directions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CutLink {
    pub a: Vec2,
    pub b: Vec2,
    pub a_to_b: bool,
    pub b_to_a: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Scene {
    pub width: f64,
    pub height: f64,
    /// Node radius in CSS pixels.
    pub radius: f64,
    /// Enough room for labels, terms and log strips around each node.
    pub roomy: bool,
    pub nodes: Vec<NodeGlyph>,
    pub cells: Vec<Cell>,
    pub sprites: Vec<Sprite>,
    pub hulls: Vec<Hull>,
    pub links: Vec<(Vec2, Vec2)>,
    pub cuts: Vec<CutLink>,
    pub hover_link: Option<(Vec2, Vec2)>,
    pub stroke: Option<(Vec2, Vec2)>,
    pub in_flight: usize,
    /// Where each dropped message stopped, as a fraction of its link.
    lost_at: BTreeMap<MessageId, f64>,
    /// The scenario's regions, drawn under everything else.
    pub regions: Vec<crate::regions::RegionTint>,
    /// How far apart the regions are, when there are any.
    pub region_legend: Option<String>,
}

impl Scene {
    /// Rebuilds the scene for the model's current state, reusing buffers.
    pub fn rebuild(&mut self, model: &Model) {
        let sim = model.sim();
        let viewport = model.viewport;
        let n = sim.node_count();
        let now = sim.now();
        self.width = viewport.width;
        self.height = viewport.height;
        self.radius = node_radius(n) * viewport.scale();
        self.roomy = self.radius >= 15.0;
        let screen: Vec<Vec2> = model
            .layout
            .positions
            .iter()
            .map(|p| viewport.to_screen(*p))
            .collect();

        let violation = sim.violation().map(|v| &v.violation);
        let clock = sim.protocol().words.clock_prefix;
        self.nodes.clear();
        self.cells.clear();
        let standings = standings(sim);
        for (i, at) in screen.iter().enumerate() {
            let id = NodeId(i as u16);
            let view = sim.node_view(id);
            let flagged = violation.is_some_and(|v| v.nodes.contains(&id));
            let start = self.cells.len();
            let skip = view.log_tail.len().saturating_sub(LOG_STRIP);
            for e in &view.log_tail[skip..] {
                self.cells.push(Cell {
                    index: e.index,
                    term: e.term,
                    committed: e.committed,
                    flagged: violation.is_some_and(|v| v.entries.contains(&(id, e.index))),
                });
            }
            let timer = sim
                .user_timer(id)
                .filter(|_| view.role != RoleKind::Leader)
                .map(|(set, fires)| fraction(now, set, fires));
            self.nodes.push(NodeGlyph {
                id: id.0,
                at: *at,
                role: view.role,
                role_label: view.role_label,
                term: view.term,
                commit_index: view.commit_index,
                log_len: view.log_len,
                timer,
                cells: (start, self.cells.len()),
                selected: model.selected == Some(id),
                hovered: model.hover == Hover::Node(i),
                dragged: model.dragging() == Some(i),
                flagged,
                served: model.served.as_ref().is_some_and(|s| s.nodes.contains(&id)),
                clock,
                in_doubt: view.in_doubt_since.map(|since| now.since(since)),
                off_clock: !sim.clock(id).is_perfect(),
                standing: standings[i],
            });
        }

        self.rebuild_groups(model, &screen);
        self.regions = crate::regions::tints(sim.scenario(), &screen, self.radius);
        self.region_legend = if self.regions.is_empty() {
            None
        } else {
            crate::regions::legend(sim.scenario())
        };

        self.links.clear();
        if n <= MAX_DRAWN_LINKS {
            for i in 0..n {
                for j in i + 1..n {
                    self.links.push((screen[i], screen[j]));
                }
            }
        }
        self.cuts.clear();
        let network = sim.network();
        for i in 0..n {
            for j in i + 1..n {
                let (a, b) = (NodeId(i as u16), NodeId(j as u16));
                let (ab, ba) = (network.is_cut(a, b), network.is_cut(b, a));
                if ab || ba {
                    self.cuts.push(CutLink {
                        a: screen[i],
                        b: screen[j],
                        a_to_b: ab,
                        b_to_a: ba,
                    });
                }
            }
        }
        self.hover_link = match model.hover {
            Hover::Link(a, b) => Some((screen[a], screen[b])),
            _ => None,
        };
        self.stroke = model
            .cut_stroke()
            .map(|(a, b)| (viewport.to_screen(a), viewport.to_screen(b)));

        self.rebuild_sprites(model, &screen, now);
    }

    fn rebuild_groups(&mut self, model: &Model, screen: &[Vec2]) {
        self.hulls.clear();
        let groups = canonical_groups(model.sim().network().groups());
        let lists = members(&groups);
        if lists.len() < 2 {
            return;
        }
        let n = screen.len();
        for (index, list) in lists.iter().enumerate() {
            let points: Vec<Vec2> = list.iter().map(|i| screen[*i]).collect();
            let hull = convex_hull(&points);
            // The label sits above the group's top node.
            let top = points
                .iter()
                .copied()
                .min_by(|a, b| a.y.total_cmp(&b.y))
                .unwrap_or_default();
            let quorum = list.len() * 2 > n;
            self.hulls.push(Hull {
                points: hull,
                index,
                label: if quorum {
                    crate::i18n::tf("{0} of {1} · majority", &[&list.len(), &n])
                } else {
                    crate::i18n::tf("{0} of {1} · minority", &[&list.len(), &n])
                },
                label_at: top - Vec2::new(0.0, self.radius * 2.2 + 10.0),
                quorum,
            });
        }
    }

    fn rebuild_sprites(&mut self, model: &Model, screen: &[Vec2], now: Time) {
        let sim = model.sim();
        self.sprites.clear();
        let rim = self.radius + 2.0;
        let lane = (self.radius * 0.18).clamp(2.0, 5.0);
        let mut lost_at = core::mem::take(&mut self.lost_at);
        let picked = model.selected_message_id();
        let mut still_lost = BTreeMap::new();
        sim.for_each_in_flight(&mut |f| {
            let progress = fraction(now, f.sent_at, f.deliver_at);
            // A message to a crashed node is as good as lost.
            let doomed = f.doomed || !sim.is_up(f.to);
            let (shown, size) = if doomed {
                // It travels to where it was lost (halfway if it never had
                // a chance) and shrinks away there until its delivery time.
                let stop = *lost_at.entry(f.id).or_insert(progress.max(LOST_AT));
                still_lost.insert(f.id, stop);
                let left = ((1.0 - progress) / (1.0 - stop).max(1e-9)).clamp(0.0, 1.0);
                (
                    progress.min(stop),
                    if progress <= stop { 1.0 } else { left },
                )
            } else {
                (progress, 1.0)
            };
            let at = message_position(
                screen[f.from.index()],
                screen[f.to.index()],
                rim,
                lane,
                shown,
            );
            self.sprites.push(Sprite {
                at,
                kind: f.kind,
                size,
                doomed,
                progress: shown,
                label: None,
                served: model
                    .served
                    .as_ref()
                    .is_some_and(|s| s.covers(f.from, f.sent_at)),
                selected: picked == Some(f.id),
            });
        });
        self.lost_at = still_lost;
        self.in_flight = self.sprites.len();
        // Labels only when they can be read: few messages, and big nodes.
        if self.in_flight <= MAX_LABELLED && self.roomy {
            let mut labels: Vec<String> = Vec::new();
            sim.for_each_in_flight(&mut |f| {
                labels.push(sim.message_label(f.id).unwrap_or_default());
            });
            for (sprite, label) in self.sprites.iter_mut().zip(labels) {
                // Messages just leaving or arriving crowd their node: their
                // labels would pile up on it.
                let clear = (0.12..=0.88).contains(&sprite.progress);
                if clear && (!sprite.doomed || sprite.size > 0.5) {
                    sprite.label = Some(label);
                }
            }
        }
    }

    pub fn cells_of(&self, node: &NodeGlyph) -> &[Cell] {
        &self.cells[node.cells.0..node.cells.1]
    }
}

/// How far `now` is from `start` to `end`, between 0 and 1.
fn fraction(now: Time, start: Time, end: Time) -> f64 {
    let total = end.0.saturating_sub(start.0);
    if total == 0 {
        return 1.0;
    }
    (now.0.saturating_sub(start.0) as f64 / total as f64).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Viewport;
    use crate::model::{Msg, NodeCommand};

    fn model() -> Model {
        let mut m = Model::new(1);
        m.update(Msg::Resize(Viewport {
            width: 800.0,
            height: 600.0,
        }));
        m.update(Msg::SetSpeed(1.0));
        m
    }

    fn run(m: &mut Model, ms: u64) {
        for _ in 0..ms / 16 {
            m.frame(16.0);
        }
    }

    #[test]
    fn a_fresh_cluster_has_every_node_following_with_a_running_timer() {
        let m = model();
        let mut scene = Scene::default();
        scene.rebuild(&m);
        assert_eq!(scene.nodes.len(), 5);
        assert!(scene.roomy);
        assert!(scene
            .nodes
            .iter()
            .all(|n| n.role == RoleKind::Follower && n.timer.is_some()));
        assert_eq!(scene.links.len(), 10);
        assert!(scene.hulls.is_empty(), "no outlines for a whole cluster");
    }

    #[test]
    fn messages_are_labelled_only_when_few() {
        let mut m = model();
        run(&mut m, 1500);
        let mut scene = Scene::default();
        // Pause right after a heartbeat is sent, when 4 are in flight.
        for _ in 0..200 {
            m.update(Msg::Step);
            scene.rebuild(&m);
            if scene.in_flight > 0 {
                break;
            }
        }
        assert!(scene.in_flight > 0 && scene.in_flight <= MAX_LABELLED);
        // Run on until the messages are mid-way, where labels show.
        let sent = m.sim().now();
        m.update(Msg::TogglePlay);
        while m.sim().now().0 < sent.0 + 4_000 {
            m.frame(1.0);
        }
        scene.rebuild(&m);
        assert!(scene.sprites.iter().any(|s| s.label.is_some()));
        assert!(scene
            .sprites
            .iter()
            .all(|s| s.label.is_some() == (0.12..=0.88).contains(&s.progress)));

        let mut busy = Model::new(1);
        busy.update(Msg::SetNodes("51".into()));
        busy.update(Msg::SetSpeed(1.0));
        run(&mut busy, 1200);
        scene.rebuild(&busy);
        assert!(!scene.roomy);
        assert!(scene.sprites.iter().all(|s| s.label.is_none()));
    }

    #[test]
    fn messages_to_a_crashed_node_stop_and_shrink() {
        let mut m = model();
        run(&mut m, 1500);
        let leader = m.leader().unwrap();
        let follower = NodeId((leader.0 + 1) % 5);
        m.update(Msg::Node(follower, NodeCommand::ToggleCrash));
        let mut scene = Scene::default();
        let mut seen = false;
        for _ in 0..400 {
            m.update(Msg::Step);
            scene.rebuild(&m);
            if scene.sprites.iter().any(|s| s.doomed && s.size < 1.0) {
                seen = true;
                break;
            }
        }
        assert!(seen, "no message to the crashed node faded");
    }

    #[test]
    fn a_partition_draws_one_outline_per_group_with_its_quorum() {
        let mut m = model();
        m.update(Msg::Node(NodeId(0), NodeCommand::QuickRequest));
        let groups = vec![vec![NodeId(3), NodeId(4)]];
        m.update(Msg::LoadScenario(
            serde_json::json!({
                "protocol": {"name": "raft"},
                "nodes": 5,
                "actions": [{"at": "10ms", "action": {"kind": "partition", "groups": groups}}]
            })
            .to_string(),
        ));
        run(&mut m, 100);
        let mut scene = Scene::default();
        scene.rebuild(&m);
        assert_eq!(scene.hulls.len(), 2);
        assert!(scene.hulls[0].quorum && !scene.hulls[1].quorum);
        assert_eq!(scene.hulls[1].label, "2 of 5 · minority");
    }
}
