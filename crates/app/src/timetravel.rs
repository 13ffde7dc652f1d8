//! Time travel in the app: the run's [`Timeline`], the scrubber's
//! messages, and what they do to the model. A child module of
//! [`crate::model`], so it reaches the model's state without widening its
//! public surface.
//!
//! The model's `sim` is always the state on screen (the *cursor*). Every
//! step it takes goes through the timeline, which records what is new
//! (events, snapshots, markers). Scrubbing replaces the cursor with the
//! state at the chosen instant; playing from there replays the branch,
//! recorded actions included, until it reaches the end and runs on live.
//! Acting while scrubbed back starts a new branch.

use serde::Serialize;
use splitbrain_core::protocol::{EntryView, NodeDetail};
use splitbrain_core::timeline::{BranchInfo, MarkKind, Marker, Timeline, DEFAULT_INTERVAL};
use splitbrain_core::trace::TraceEvent;
use splitbrain_core::{Action, NodeId, Simulation, Time};

use super::Model;

/// What the scrubber and its keys ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum TravelMsg {
    /// Show the state at this simulated time (microseconds).
    SeekTime(u64),
    /// Back to the furthest point computed on this branch.
    Live,
    StepBack,
    StepForward,
    /// To the next (`true`) or previous event of the chosen kind.
    Jump(bool),
    /// Choose which kind `Jump` looks for.
    SetKind(MarkKind),
    /// The next kind, in [`MarkKind::ALL`] order (a key cycles them).
    CycleKind,
    SwitchBranch(u32),
    /// Select a message or event by its trace index (diagram or log).
    SelectEvent(Option<u64>),
    /// Zoom the space-time diagram by this factor around its centre.
    Zoom(f64),
    /// Pan the diagram by this fraction of its visible window.
    Pan(f64),
    /// The diagram follows the cursor again.
    Follow,
    /// Show the state just after event `index` (a message's send, so the
    /// cluster draws it in flight).
    SeekEvent(u64),
}

/// The app's time-travel state.
pub struct TimeTravel {
    pub timeline: Timeline,
    pub kind: MarkKind,
    /// The selected message send or event (trace index), highlighted in the
    /// diagram and the cluster.
    pub selected_event: Option<u64>,
    /// The diagram's visible span of simulated time; `None` follows the
    /// cursor with a default width.
    pub window: Option<(Time, Time)>,
    /// How long the last seeks took, in milliseconds, when the page
    /// measures them (the model itself has no clock).
    pub last_seek_ms: Option<f64>,
}

/// Default width of the space-time diagram's window.
pub const DEFAULT_WINDOW: u64 = 400_000;

impl TimeTravel {
    pub fn new(cursor: &mut dyn Simulation) -> TimeTravel {
        TimeTravel {
            timeline: Timeline::new(cursor, DEFAULT_INTERVAL),
            kind: MarkKind::LeaderChange,
            selected_event: None,
            window: None,
            last_seek_ms: None,
        }
    }

    /// The diagram's window for a cursor at `now`.
    pub fn window_at(&self, now: Time) -> (Time, Time) {
        self.window.unwrap_or_else(|| {
            let end = now.0.max(DEFAULT_WINDOW / 2);
            (
                Time(end.saturating_sub(DEFAULT_WINDOW)),
                Time(end + DEFAULT_WINDOW / 8),
            )
        })
    }
}

/// What the scrubber shows; compared to skip re-rendering.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TravelView {
    pub now: Time,
    pub head_time: Time,
    /// `head_time` in microseconds, for tests.
    pub head_micros: u64,
    pub events: u64,
    pub head_events: u64,
    /// Scrubbed back: playing replays the branch.
    pub behind: bool,
    pub kind: MarkKind,
    pub markers: Vec<Marker>,
    pub branches: Vec<BranchInfo>,
    pub branch: u32,
    pub selected_event: Option<u64>,
}

impl TravelView {
    pub fn of(model: &Model) -> TravelView {
        let t = &model.travel.timeline;
        TravelView {
            now: model.sim.now(),
            head_time: t.head_time(),
            head_micros: t.head_time().0,
            events: model.sim.trace().len(),
            head_events: t.head_len(),
            behind: t.is_behind(&*model.sim),
            kind: model.travel.kind,
            markers: t.markers().to_vec(),
            branches: t.branches(),
            branch: t.current_branch(),
            selected_event: model.travel.selected_event,
        }
    }
}

/// How a node's log differs from the leader's, for the inspector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogDiff {
    pub leader: NodeId,
    /// Entries (from index 1) that agree on index and term.
    pub common: u64,
    /// The node's entries after the common prefix that the leader lacks
    /// or has with another term.
    pub extra: Vec<EntryView>,
    /// The leader's entries after the common prefix the node lacks.
    pub missing: u64,
}

/// Compares `node`'s log with `leader`'s, entry by entry (index, term).
pub fn log_diff(leader: NodeId, node: &NodeDetail, lead: &NodeDetail) -> LogDiff {
    let common = node
        .log
        .iter()
        .zip(&lead.log)
        .take_while(|(a, b)| a.index == b.index && a.term == b.term)
        .count();
    LogDiff {
        leader,
        common: common as u64,
        extra: node.log[common..].to_vec(),
        missing: (lead.log.len() - common) as u64,
    }
}

/// An action in a few words, for the branch list.
pub fn action_text(action: &Action) -> String {
    let arrow = |both: bool| if both { "↔" } else { "→" };
    match action {
        Action::Partition { groups } => {
            let groups: Vec<String> = groups
                .iter()
                .map(|g| {
                    g.iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            format!("partition {{{}}}", groups.join("} {"))
        }
        Action::Heal => String::from("heal"),
        Action::CutLink { from, to, both } => format!("cut {from}{}{to}", arrow(*both)),
        Action::RestoreLink { from, to, both } => format!("restore {from}{}{to}", arrow(*both)),
        Action::Crash { node } => format!("crash {node}"),
        Action::Restart { node } => format!("restart {node}"),
        Action::Timeout { node } => format!("timeout {node}"),
        Action::Request { node, op, .. } => format!("{op} to {node}"),
        Action::DropMessage { id } => format!("drop {id}"),
        Action::Vote { node, yes } => {
            format!("{node} votes {}", if *yes { "yes" } else { "no" })
        }
    }
}

impl Model {
    pub fn travel(&self) -> &TimeTravel {
        &self.travel
    }

    pub fn travel_view(&self) -> TravelView {
        TravelView::of(self)
    }

    /// The selected message in words, with where its send is, if a send
    /// is selected.
    pub fn selected_message(&self) -> Option<(String, u64)> {
        let index = self.travel.selected_event?;
        let e = self.travel.timeline.events().get(index as usize)?;
        if e.kind != splitbrain_core::trace::EventKind::Send {
            return None;
        }
        let kind = self
            .sim
            .msg_kinds()
            .get(usize::from(e.tag))
            .copied()
            .unwrap_or("message");
        let fate = self.travel.timeline.events()[index as usize..]
            .iter()
            .find(|d| {
                d.arg == e.arg
                    && matches!(
                        d.kind,
                        splitbrain_core::trace::EventKind::Deliver
                            | splitbrain_core::trace::EventKind::Drop
                    )
            })
            .map(|d| match d.kind {
                splitbrain_core::trace::EventKind::Drop => {
                    format!("dropped at {}", crate::panel::format_time(d.time))
                }
                _ => format!("delivered at {}", crate::panel::format_time(d.time)),
            })
            .unwrap_or_else(|| String::from("not yet arrived"));
        Some((
            format!(
                "{kind} m{} {} → {}, sent at {}, {fate}",
                e.arg,
                e.node,
                e.peer,
                crate::panel::format_time(e.time)
            ),
            index,
        ))
    }

    /// The trace events of the current branch, for the diagram and export.
    pub fn branch_events(&self) -> &[TraceEvent] {
        self.travel.timeline.events()
    }

    /// The selected node's log against the leader's, if both exist.
    pub fn selected_log_diff(&self) -> Option<LogDiff> {
        let node = self.selected?;
        let leader = self.leader().filter(|l| *l != node)?;
        // A down node shows its durable log, which is what it restarts with.
        Some(log_diff(
            leader,
            &self.sim.node_detail(node),
            &self.sim.node_detail(leader),
        ))
    }

    /// The current branch as a scenario that replays it (JSON).
    pub fn branch_scenario_json(&self) -> String {
        serde_json::to_string_pretty(&self.travel.timeline.scenario(&self.base)).unwrap_or_default()
    }

    /// Puts `sim` on screen in place of the cursor.
    fn show(&mut self, sim: Box<dyn Simulation>) {
        self.sim = sim;
        self.playing = false;
        self.carry = 0.0;
        self.lagging = false;
        // The steady stream restarts from here if the person plays on at
        // the head; behind it the recorded requests replay instead.
        self.steady.waiting = None;
        self.steady.next_at = self.sim.now();
        self.violation_seen = self.sim.violation().is_some();
        self.menu = None;
    }

    pub fn travel_update(&mut self, msg: TravelMsg) {
        self.version += 1;
        let t = &self.travel.timeline;
        match msg {
            TravelMsg::SeekTime(micros) => {
                let sim = t.seek_time(Time(micros));
                self.show(sim);
            }
            TravelMsg::Live => {
                let sim = t.seek_time(t.head_time());
                self.show(sim);
            }
            TravelMsg::StepBack => match t.step_back(&*self.sim) {
                Some(sim) => self.show(sim),
                None => self.say(crate::i18n::t("This is the start of the run."), false),
            },
            TravelMsg::StepForward => {
                self.playing = false;
                if !self.travel.timeline.step(&mut *self.sim) {
                    self.say(
                        crate::i18n::t("Nothing left to happen: the run is idle."),
                        false,
                    );
                }
                self.check_violation();
            }
            TravelMsg::Jump(forward) => {
                let kind = self.travel.kind;
                match t.jump(kind, &*self.sim, forward) {
                    Some(sim) => self.show(sim),
                    None => self.say(
                        if forward {
                            crate::i18n::tf(
                                "No {0} after this point yet.",
                                &[&crate::i18n::t_dyn(kind.name())],
                            )
                        } else {
                            crate::i18n::tf(
                                "No {0} before this point.",
                                &[&crate::i18n::t_dyn(kind.name())],
                            )
                        },
                        false,
                    ),
                }
            }
            TravelMsg::SetKind(kind) => self.travel.kind = kind,
            TravelMsg::CycleKind => {
                let all = MarkKind::ALL;
                let i = all.iter().position(|k| *k == self.travel.kind).unwrap_or(0);
                self.travel.kind = all[(i + 1) % all.len()];
                self.say(
                    crate::i18n::tf(
                        "[ and ] now jump to: {0}.",
                        &[&crate::i18n::t_dyn(self.travel.kind.name())],
                    ),
                    false,
                );
            }
            TravelMsg::SwitchBranch(id) => {
                if id == t.current_branch() {
                    return;
                }
                match self.travel.timeline.switch(id, &*self.sim) {
                    Some(sim) => {
                        self.show(sim);
                        self.say(crate::i18n::tf("Back on branch {0}.", &[&id]), false);
                    }
                    None => self.say(crate::i18n::tf("There is no branch {0}.", &[&id]), true),
                }
            }
            TravelMsg::SelectEvent(index) => self.travel.selected_event = index,
            TravelMsg::Zoom(factor) => {
                let (a, b) = self.travel.window_at(self.sim.now());
                let mid = (a.0 + b.0) / 2;
                let half = (((b.0 - a.0) as f64 / factor) / 2.0).clamp(500.0, 3.6e9) as u64;
                self.travel.window = Some((Time(mid.saturating_sub(half)), Time(mid + half)));
            }
            TravelMsg::Follow => self.travel.window = None,
            TravelMsg::SeekEvent(index) => {
                let sim = t.seek_index(index + 1);
                self.show(sim);
            }
            TravelMsg::Pan(fraction) => {
                let (a, b) = self.travel.window_at(self.sim.now());
                let width = (b.0 - a.0) as f64;
                let shift = (width * fraction) as i64;
                let start = (a.0 as i64 + shift).max(0) as u64;
                self.travel.window = Some((Time(start), Time(start + (b.0 - a.0))));
            }
        }
    }

    /// Applies a user action through the timeline: at the head it extends
    /// the branch, behind it starts a new one. Refusals become a notice.
    pub(super) fn travel_act(&mut self, action: Action) -> bool {
        let now = self.sim.now();
        match self.travel.timeline.act(&mut *self.sim, action) {
            Ok(branched) => {
                if branched {
                    let id = self.travel.timeline.current_branch();
                    self.say(
                        crate::i18n::tf(
                            "Branch {0} starts here, at {1}; the earlier run is kept in the branch list.",
                            &[&id, &crate::panel::format_time(now)],
                        ),
                        false,
                    );
                }
                self.check_violation();
                true
            }
            Err(e) => {
                self.say(super::capitalize(&e.message), true);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Msg;
    use splitbrain_core::RunOptions;

    fn played(seconds: u64) -> Model {
        let mut m = Model::new(1);
        m.update(Msg::SetSpeed(1.0));
        for _ in 0..(seconds * 20) {
            m.frame(50.0);
        }
        m
    }

    #[test]
    fn scrubbing_shows_the_state_of_a_fresh_run() {
        let mut m = played(3);
        let scenario: splitbrain_core::Scenario =
            serde_json::from_str(&m.branch_scenario_json()).unwrap();
        for t in [2_500_000, 400_000, 1_234_567] {
            m.travel_update(TravelMsg::SeekTime(t));
            assert!(!m.playing);
            let mut fresh = splitbrain_core::build(&scenario, RunOptions::default()).unwrap();
            fresh.run_until(Time(t), u64::MAX);
            assert_eq!(m.sim().trace().hash(), fresh.trace().hash(), "at {t}");
            assert_eq!(m.sim().now(), Time(t));
            assert!(m.travel_view().behind);
        }
        m.travel_update(TravelMsg::Live);
        assert!(!m.travel_view().behind);
    }

    #[test]
    fn keys_step_back_and_forward() {
        let mut m = played(2);
        let here = m.sim().trace().hash();
        m.travel_update(TravelMsg::StepBack);
        assert_ne!(m.sim().trace().hash(), here);
        m.travel_update(TravelMsg::StepForward);
        assert_eq!(m.sim().trace().hash(), here);
    }

    #[test]
    fn acting_in_the_past_branches_and_playing_replays() {
        let mut m = played(3);
        let head = m.travel.timeline.head_hash();
        m.travel_update(TravelMsg::SeekTime(1_500_000));
        m.update(Msg::Node(NodeId(0), crate::model::NodeCommand::ToggleCrash));
        let view = m.travel_view();
        assert_eq!(view.branches.len(), 2);
        assert_eq!(view.branch, 1);
        assert!(m.notice.as_ref().unwrap().text.contains("Branch 1"));
        // Play on the new branch, then go back to the first one.
        m.update(Msg::TogglePlay);
        for _ in 0..10 {
            m.frame(50.0);
        }
        m.travel_update(TravelMsg::SwitchBranch(0));
        assert_eq!(m.travel.timeline.head_hash(), head);
        assert_eq!(m.sim().now(), Time(1_500_000));
        // Playing from the past along branch 0 replays it: the head again.
        m.travel_update(TravelMsg::SeekTime(500_000));
        let end = m.travel.timeline.head_time();
        m.update(Msg::TogglePlay);
        for _ in 0..200 {
            m.frame(50.0);
            if m.sim().now() >= end {
                break;
            }
        }
        let again = m.travel.timeline.seek_time(end);
        assert_eq!(again.trace().hash(), head);
        assert_eq!(m.travel_view().branches.len(), 2, "playing made no branch");
    }

    #[test]
    fn a_message_picked_in_the_diagram_shows_in_flight_in_the_cluster() {
        let mut m = played(2);
        let (index, id) = m
            .branch_events()
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == splitbrain_core::trace::EventKind::Send)
            .map(|(i, e)| (i as u64, e.arg))
            .nth(40)
            .unwrap();
        m.travel_update(TravelMsg::SelectEvent(Some(index)));
        let (text, at) = m.selected_message().unwrap();
        assert_eq!(at, index);
        assert!(text.contains(&format!("m{id}")), "{text}");
        m.travel_update(TravelMsg::SeekEvent(index));
        assert!(m.sim().trace().len() > index);
        let mut flying = false;
        m.sim().for_each_in_flight(&mut |f| flying |= f.id.0 == id);
        assert!(flying, "the message is on its way in the state shown");
    }

    #[test]
    fn a_diverged_log_shows_against_the_leaders() {
        let entry = |index, term| EntryView {
            index,
            term,
            committed: false,
            label: String::new(),
        };
        let detail = |log| NodeDetail {
            log,
            kv: Vec::new(),
            fields: Vec::new(),
        };
        let node = detail(vec![entry(1, 1), entry(2, 2), entry(3, 2)]);
        let lead = detail(vec![entry(1, 1), entry(2, 3), entry(3, 3), entry(4, 3)]);
        let d = log_diff(NodeId(0), &node, &lead);
        assert_eq!(d.common, 1);
        assert_eq!(d.extra.len(), 2);
        assert_eq!(d.missing, 3);
    }
}
