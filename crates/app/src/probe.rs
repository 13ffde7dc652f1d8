//! What the page tells its tests: the state behind the picture as JSON
//! (`window.splitbrain.state()`), the protocol menu
//! (`window.splitbrain.protocols()`), and a headless run of a scenario that
//! must give the CLI's trace hash (`window.splitbrain.runScenario`). Read
//! only: tests act through the page like a person, with pointer and keys.

use serde::Serialize;
use splitbrain_core::protocol::RoleKind;
use splitbrain_core::trace::StableHasher;
use splitbrain_core::{NodeId, RunOptions, Scenario, Time};

use crate::frames::ProfileSummary;
use crate::layout::canonical_groups;
use crate::model::{build_sim, Menu, Model, Overlay};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeState {
    pub now_micros: u64,
    pub playing: bool,
    pub speed: f64,
    pub seed: u64,
    pub events: u64,
    /// The trace hash so far, as the CLI prints it.
    pub trace_hash: String,
    pub leader: Option<u16>,
    pub nodes: Vec<ProbeNode>,
    /// Canonical partition group of each node.
    pub groups: Vec<u8>,
    /// Links cut by hand, `[from, to]`, one direction each.
    pub cuts: Vec<[u16; 2]>,
    pub in_flight: usize,
    pub violation: Option<String>,
    pub selected: Option<u16>,
    pub overlay: &'static str,
    pub menu: Option<&'static str>,
    pub notice: Option<String>,
    pub theme: Option<&'static str>,
    pub steady_load: bool,
    pub frames: ProfileSummary,
    pub lagging: bool,
    /// The protocol menu's id for this run (`two-phase`, `naive-paxos`, ...).
    pub protocol: &'static str,
    /// Decisions, messages and bytes, for the cost per decision.
    pub decided: u64,
    pub sent: u64,
    pub bytes: u64,
    /// The gallery entry this run came from, if any.
    pub gallery: Option<String>,
    /// The interface language asked for (`en`, `zh-Hans`). `<html lang>`
    /// equals it once that language's text is on the page (Chinese is
    /// fetched on first use).
    pub lang: &'static str,
}

/// One entry of the protocol menu, as the registry gives it: what the
/// browser tests walk through (`window.splitbrain.protocols()`), so they
/// never keep a list of their own.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeProtocol {
    /// The menu's id (`naive-paxos`).
    pub id: &'static str,
    pub label: &'static str,
    /// The scenario name of its protocol (`paxos`).
    pub protocol: &'static str,
}

/// Every menu entry, in order.
pub fn protocols() -> Vec<ProbeProtocol> {
    crate::protocols::all()
        .into_iter()
        .map(|c| ProbeProtocol {
            id: c.id(),
            label: c.label(),
            protocol: c.protocol.id,
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeNode {
    pub id: u16,
    pub role: RoleKind,
    pub term: u64,
    pub up: bool,
    pub commit_index: u64,
    pub log_len: u64,
    /// A digest of the whole log (index, term, command), to compare logs.
    pub log_hash: String,
    /// Centre in CSS pixels, relative to the canvas's top-left corner.
    pub x: f64,
    pub y: f64,
    /// Radius in CSS pixels.
    pub r: f64,
    /// The protocol's word for its state: `leader`, `in doubt`, ...
    pub role_label: &'static str,
    /// How long it has been in doubt (2PC), in simulated microseconds.
    pub in_doubt_micros: Option<u64>,
    /// Its clock: drift in ppm and offset from true time in microseconds.
    pub drift_ppm: i32,
    pub clock_offset_micros: i64,
}

impl ProbeState {
    pub fn of(model: &Model) -> ProbeState {
        let sim = model.sim();
        let n = sim.node_count();
        let radius = crate::geometry::node_radius(n) * model.viewport.scale();
        let nodes = (0..n)
            .map(|i| {
                let id = NodeId(i as u16);
                let view = sim.node_view(id);
                let at = model.viewport.to_screen(model.layout.positions[i]);
                ProbeNode {
                    id: id.0,
                    role: view.role,
                    term: view.term,
                    up: sim.is_up(id),
                    commit_index: view.commit_index,
                    log_len: view.log_len,
                    log_hash: log_hash(model, id),
                    x: at.x,
                    y: at.y,
                    r: radius,
                    role_label: view.role_label,
                    in_doubt_micros: view.in_doubt_since.map(|s| sim.now().since(s).0),
                    drift_ppm: sim.clock(id).drift_ppm(),
                    clock_offset_micros: sim.clock(id).offset(sim.now()).0,
                }
            })
            .collect();
        let network = sim.network();
        let mut cuts = Vec::new();
        for a in 0..n as u16 {
            for b in 0..n as u16 {
                if a != b && network.is_cut(NodeId(a), NodeId(b)) {
                    cuts.push([a, b]);
                }
            }
        }
        let mut in_flight = 0;
        sim.for_each_in_flight(&mut |_| in_flight += 1);
        ProbeState {
            now_micros: sim.now().0,
            playing: model.playing,
            speed: model.speed,
            seed: sim.scenario().seed,
            events: sim.trace().len(),
            trace_hash: format!("{:016x}", sim.trace().hash()),
            leader: model.leader().map(|n| n.0),
            nodes,
            groups: canonical_groups(network.groups()),
            cuts,
            in_flight,
            violation: sim
                .violation()
                .map(|v| format!("{}: {}", v.invariant, v.violation.message)),
            selected: model.selected.map(|n| n.0),
            overlay: match model.overlay {
                Overlay::None => "none",
                Overlay::Help => "help",
                Overlay::Settings => "settings",
                Overlay::Scenario => "scenario",
                Overlay::Gallery => "gallery",
                Overlay::Explorer => "explorer",
            },
            menu: model.menu.map(|m| match m {
                Menu::Node { .. } => "node",
                Menu::Link { .. } => "link",
            }),
            notice: model.notice.as_ref().map(|n| n.text.clone()),
            theme: model.theme.map(|t| match t {
                crate::model::Theme::Light => "light",
                crate::model::Theme::Dark => "dark",
            }),
            steady_load: model.steady_load(),
            frames: model.frame_times.summary(),
            lagging: model.lagging,
            protocol: model.protocol().id(),
            decided: sim.decided(),
            sent: sim.stats().sent,
            bytes: sim.stats().bytes,
            gallery: model.story.as_ref().map(|e| e.id.clone()),
            lang: crate::i18n::current().code(),
        }
    }
}

fn log_hash(model: &Model, node: NodeId) -> String {
    use core::hash::{Hash, Hasher};
    let mut h = StableHasher::new();
    for e in model.sim().node_detail(node).log {
        (e.index, e.term, e.label.as_str()).hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

/// Runs `json` headless until `until_micros` (or the scenario's own
/// `until`, or 10 s) and returns its trace hash as the CLI prints it.
pub fn run_scenario(json: &str, until_micros: Option<u64>) -> Result<String, String> {
    let scenario: Scenario =
        serde_json::from_str(json).map_err(|e| format!("not a scenario: {e}"))?;
    let until = until_micros
        .map(Time)
        .or(scenario.until)
        .unwrap_or(Time(10_000_000));
    let options = RunOptions {
        keep_trace: false,
        recent_events: 0,
    };
    let mut sim = build_sim(&scenario, options).map_err(|e| e.to_string())?;
    sim.run_until(until, u64::MAX);
    Ok(format!("{:016x}", sim.trace().hash()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headless_run_is_deterministic_and_needs_a_valid_scenario() {
        let json = include_str!("../../../web/scenarios/raft-election.json");
        let a = run_scenario(json, Some(2_000_000)).unwrap();
        assert_eq!(a, run_scenario(json, None).unwrap(), "its own until is 2s");
        assert_eq!(a.len(), 16);
        assert_ne!(a, run_scenario(json, Some(1_000_000)).unwrap());
        assert!(run_scenario("{\"nodes\": 0}", None).is_err());
    }

    #[test]
    fn the_probe_reports_positions_in_canvas_pixels() {
        let m = Model::new(1);
        let state = ProbeState::of(&m);
        assert_eq!(state.nodes.len(), 5);
        // Node 0 sits at the top centre of the default 800 x 600 canvas.
        assert!((state.nodes[0].x - 400.0).abs() < 1e-6);
        assert!(state.nodes[0].y < 300.0);
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains("\"traceHash\""));
    }
}

/// The history view's state for the browser tests
/// (`window.splitbrain.historyState()`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryProbe {
    /// `live`, or the imported file's name.
    pub source: String,
    pub ops: usize,
    pub lanes: usize,
    /// Bars drawn, and operations in the window left out.
    pub bars: usize,
    pub thinned: usize,
    pub badges: Vec<ProbeBadge>,
    pub selected: Option<&'static str>,
    pub explanation: Vec<String>,
    pub focused: Option<usize>,
    /// The nodes highlighted on the cluster for the focused operation.
    pub served: Option<Vec<u16>>,
    /// The first drawn bars, in CSS pixels from the history canvas's
    /// top-left corner, to point at.
    pub first_bars: Vec<ProbeBar>,
    /// The operations the selected badge blames.
    pub offending: Vec<usize>,
    /// Milliseconds the view spent syncing, checking and drawing.
    pub times: crate::history::WorkTimes,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeBadge {
    pub id: &'static str,
    pub verdict: &'static str,
    pub detail: String,
    /// A check is in flight; `verdict` is the last one.
    pub checking: bool,
}

#[derive(Serialize)]
pub struct ProbeBar {
    pub op: usize,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub outcome: &'static str,
}

impl HistoryProbe {
    pub fn of(view: &crate::history::HistoryView, picture: &crate::history::Picture) -> Self {
        use crate::history::{Shown, Source};
        HistoryProbe {
            source: match &view.source {
                Source::Live => "live".to_owned(),
                Source::Imported { name } => name.clone(),
            },
            ops: view.ops().len(),
            lanes: view.lane_count(),
            bars: picture.bars.len(),
            thinned: picture.thinned,
            badges: view
                .badges()
                .into_iter()
                .map(|b| ProbeBadge {
                    id: b.property.id(),
                    verdict: b.verdict.name(),
                    detail: b.detail,
                    checking: b.checking,
                })
                .collect(),
            selected: view.selected.map(|p| p.id()),
            explanation: view.explanation(),
            focused: view.focused,
            served: view
                .focused
                .and_then(|op| view.served(op))
                .map(|s| s.nodes.iter().map(|n| n.0).collect()),
            first_bars: picture
                .bars
                .iter()
                .take(50)
                .map(|b| ProbeBar {
                    op: b.op,
                    x: b.x,
                    y: b.y,
                    w: b.w,
                    h: b.h,
                    outcome: match b.shown {
                        Shown::Ok => "ok",
                        Shown::Fail => "fail",
                        Shown::Unknown => "unknown",
                        Shown::Pending => "pending",
                    },
                })
                .collect(),
            offending: view.selected.map(|p| view.offending(p)).unwrap_or_default(),
            times: view.times,
        }
    }
}
