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
use splitbrain_core::protocol::NodeDetail;
use splitbrain_core::sim::Flight;
use splitbrain_core::timeline::{BranchInfo, MarkKind, Marker, Timeline, CHUNK, DEFAULT_INTERVAL};
use splitbrain_core::trace::{EventKind, TraceEvent};
use splitbrain_core::{Action, MessageId, NodeId, Sim, Time};

use crate::geometry::{message_position, node_radius, Vec2};
use crate::i18n::{t, tf};

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
    /// Select the next (`true`) or previous message in flight on the
    /// cluster, by message id, wrapping around (keyboard).
    CycleMessage(bool),
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
    /// Bumped when the cluster selects a message, so the diagram unfolds
    /// to show it.
    pub reveal: u64,
    /// A far seek waiting for the page to show that it is working: the
    /// time to go to, and frames to wait first.
    pub pending_seek: Option<(u64, u8)>,
}

/// Default width of the space-time diagram's window.
pub const DEFAULT_WINDOW: u64 = 400_000;
/// A seek that replays more events than this says so first (with the
/// page's clock only: the page needs a frame to show it).
const FAR_SEEK_EVENTS: u64 = 300_000;
/// How long after its send a selected message's delivery is looked for
/// (simulated microseconds): far longer than any latency a scenario sets.
const FATE_HORIZON: u64 = 60_000_000;

impl TimeTravel {
    pub fn new(cursor: &mut Sim) -> TimeTravel {
        TimeTravel {
            timeline: Timeline::new(cursor, DEFAULT_INTERVAL),
            kind: MarkKind::LeaderChange,
            selected_event: None,
            window: None,
            last_seek_ms: None,
            reveal: 0,
            pending_seek: None,
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
    /// The selected message's id, when the selection is a message.
    pub selected_message: Option<u64>,
    /// Whether that message is in flight in the state shown.
    pub selected_in_flight: bool,
    /// The messages in flight as the cluster draws them, in page pixels
    /// from the canvas's corner, for tests to click.
    pub flights: Vec<FlightSpot>,
}

/// A message in flight and where the cluster draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlightSpot {
    pub id: u64,
    pub x: f64,
    pub y: f64,
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
            behind: t.is_behind(&model.sim),
            kind: model.travel.kind,
            markers: t.markers().to_vec(),
            branches: t.branches(),
            branch: t.current_branch(),
            selected_event: model.travel.selected_event,
            selected_message: model.selected_message_id().map(|m| m.0),
            selected_in_flight: model.selected_in_flight(),
            flights: model
                .flight_spots()
                .into_iter()
                .map(|(f, at)| FlightSpot {
                    id: f.id.0,
                    x: at.x,
                    y: at.y,
                })
                .collect(),
        }
    }
}

/// How a node's log differs from the leader's, for the inspector. Built
/// from the two nodes' `NodeDetail` logs only (index and term), so it is
/// the same for every protocol that shows a log (Raft, Multi-Paxos).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogDiff {
    pub leader: NodeId,
    /// The last index of the common prefix: every entry up to it agrees
    /// with the leader's on index and term (an entry either has compacted
    /// into a snapshot counts as agreeing: only committed entries are).
    pub common: u64,
    /// After the common prefix, the node's entries at indices where the
    /// leader holds another entry (the first of them has another term).
    /// The leader will overwrite them.
    pub conflicting: u64,
    /// The node's entries past the leader's last index, which the leader
    /// lacks.
    pub extra: u64,
    /// The leader's entries past the node's last index, which the node
    /// still has to receive.
    pub missing: u64,
    /// The terms of the conflicting and extra entries, in log order.
    pub diverged_terms: Vec<u64>,
    /// The last indexes of the two logs.
    pub node_len: u64,
    pub leader_len: u64,
}

impl LogDiff {
    /// How the node's entry at `index` stands against the leader's.
    pub fn entry_state(&self, index: u64) -> EntryState {
        if index <= self.common {
            EntryState::Matching
        } else if index <= self.leader_len {
            EntryState::Conflicting
        } else {
            EntryState::Extra
        }
    }

    /// Nothing to reconcile.
    pub fn same(&self) -> bool {
        self.conflicting == 0 && self.extra == 0 && self.missing == 0
    }
}

/// One entry of a node's log against the leader's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryState {
    Matching,
    Conflicting,
    Extra,
}

/// Compares `node`'s log with `leader`'s, entry by entry (index, term).
/// `node_last` and `leader_last` are the logs' last indexes: with log
/// compaction a log shows only the entries after its snapshot, maybe none.
pub fn log_diff(
    leader: NodeId,
    node: &NodeDetail,
    node_last: u64,
    lead: &NodeDetail,
    leader_last: u64,
) -> LogDiff {
    let overlap = node_last.min(leader_last);
    let lead_term = |index: u64| {
        lead.log
            .binary_search_by_key(&index, |e| e.index)
            .ok()
            .map(|k| lead.log[k].term)
    };
    let first = node.log.first().map_or(node_last + 1, |e| e.index);
    let mut common = (first - 1).min(overlap);
    for e in node.log.iter().take_while(|e| e.index <= overlap) {
        if lead_term(e.index).is_some_and(|t| t != e.term) {
            break;
        }
        common = e.index;
    }
    LogDiff {
        leader,
        common,
        conflicting: overlap - common,
        extra: node_last - overlap,
        missing: leader_last - overlap,
        diverged_terms: node
            .log
            .iter()
            .filter(|e| e.index > common)
            .map(|e| e.term)
            .collect(),
        node_len: node_last,
        leader_len: leader_last,
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
            tf("partition {0}", &[&format!("{{{}}}", groups.join("} {"))])
        }
        Action::Heal => t("heal").to_owned(),
        Action::CutLink { from, to, both } => {
            tf("cut {0}", &[&format!("{from}{}{to}", arrow(*both))])
        }
        Action::RestoreLink { from, to, both } => {
            tf("restore {0}", &[&format!("{from}{}{to}", arrow(*both))])
        }
        Action::Crash { node } => tf("crash {0}", &[node]),
        Action::Restart { node } => tf("restart {0}", &[node]),
        Action::Timeout { node } => tf("timeout {0}", &[node]),
        Action::Request { node, op, .. } => tf("{0} to {1}", &[op, node]),
        Action::DropMessage { id } => tf("drop {0}", &[id]),
        Action::Vote { node, yes } => {
            if *yes {
                tf("{0} votes yes", &[node])
            } else {
                tf("{0} votes no", &[node])
            }
        }
        Action::AddServer { node } => tf("add {0}", &[node]),
        Action::RemoveServer { node } => tf("remove {0}", &[node]),
        Action::Clock {
            node,
            offset,
            drift_ppm,
        } => tf("{0}'s clock: {1}, {2} ppm", &[node, offset, drift_ppm]),
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
        let e = self.travel.timeline.event(index)?;
        if e.kind != splitbrain_core::trace::EventKind::Send {
            return None;
        }
        let kind = self
            .sim
            .msg_kinds()
            .get(usize::from(e.tag))
            .copied()
            .unwrap_or("message");
        let fate = self
            .fate_of(index, &e)
            .map(|d| match d.kind {
                splitbrain_core::trace::EventKind::Drop => {
                    tf("dropped at {0}", &[&crate::panel::format_time(d.time)])
                }
                _ => tf("delivered at {0}", &[&crate::panel::format_time(d.time)]),
            })
            .unwrap_or_else(|| t("not yet arrived").to_owned());
        // Where it is at the instant shown, which scrubbing moves.
        let now = if self.sim.trace().len() <= index {
            t("not sent yet at this time")
        } else if self.selected_in_flight() {
            t("in flight at this time")
        } else {
            t("not in flight at this time")
        };
        Some((
            tf(
                "{0} m{1} {2} → {3}, sent at {4}, {5}; {6}",
                &[
                    &kind,
                    &e.arg,
                    &e.node,
                    &e.peer,
                    &crate::panel::format_time(e.time),
                    &fate,
                    &now,
                ],
            ),
            index,
        ))
    }

    /// The delivery or drop of the message sent at `index`, looked for a
    /// chunk of events at a time and no further than [`FATE_HORIZON`] of
    /// simulated time after its send.
    fn fate_of(&self, index: u64, send: &TraceEvent) -> Option<TraceEvent> {
        let timeline = &self.travel.timeline;
        let mut from = index + 1;
        while from < timeline.head_len() {
            let batch = timeline.events_in(from..from + CHUNK as u64);
            for d in &batch {
                if d.time.0 > send.time.0.saturating_add(FATE_HORIZON) {
                    return None;
                }
                if d.arg == send.arg && matches!(d.kind, EventKind::Deliver | EventKind::Drop) {
                    return Some(*d);
                }
            }
            from += batch.len().max(1) as u64;
        }
        None
    }

    /// The selected message's id, when the selection is a message send.
    pub fn selected_message_id(&self) -> Option<MessageId> {
        let index = self.travel.selected_event?;
        let e = self.travel.timeline.event(index)?;
        (e.kind == EventKind::Send).then_some(MessageId(e.arg))
    }

    /// Whether the selected message is in flight in the state shown. A
    /// message not sent yet, or already delivered or dropped, at the
    /// scrubbed time is not.
    pub fn selected_in_flight(&self) -> bool {
        let Some(id) = self.selected_message_id() else {
            return false;
        };
        let mut found = false;
        self.sim.for_each_in_flight(&mut |f| found |= f.id == id);
        found
    }

    /// The messages in flight and where the cluster draws them (CSS px),
    /// computed as the scene places them. A message being dropped is put
    /// where it stops if it was doomed from the start; the scene may
    /// stop it further along, so picking one is a little approximate.
    pub fn flight_spots(&self) -> Vec<(Flight, Vec2)> {
        let sim = self.sim();
        let viewport = self.viewport;
        let n = sim.node_count();
        let radius = node_radius(n) * viewport.scale();
        let rim = radius + 2.0;
        let lane = (radius * 0.18).clamp(2.0, 5.0);
        let now = sim.now();
        let screen = |node: NodeId| {
            self.layout
                .positions
                .get(node.index())
                .map(|p| viewport.to_screen(*p))
        };
        let mut spots = Vec::new();
        sim.for_each_in_flight(&mut |f| {
            let (Some(a), Some(b)) = (screen(f.from), screen(f.to)) else {
                return;
            };
            let total = f.deliver_at.0.saturating_sub(f.sent_at.0).max(1);
            let mut progress =
                (now.0.saturating_sub(f.sent_at.0) as f64 / total as f64).clamp(0.0, 1.0);
            if f.doomed || !sim.is_up(f.to) {
                progress = progress.min(0.45);
            }
            spots.push((*f, message_position(a, b, rim, lane, progress)));
        });
        spots
    }

    /// The trace index of the send of message `id`, sent at `sent_at`.
    fn send_index(&self, id: MessageId, sent_at: Time) -> Option<u64> {
        let timeline = &self.travel.timeline;
        // Events are in time order: look only among those of its instant.
        let from = timeline.index_at(sent_at, false);
        let until = timeline.index_at(sent_at, true);
        timeline
            .events_in(from..until)
            .iter()
            .position(|e| e.kind == EventKind::Send && e.arg == id.0)
            .map(|p| from + p as u64)
    }

    /// Selects a message in flight, as the cluster shows it: the diagram
    /// highlights its arrow, unfolds and pans so the arrow is in view.
    fn select_flight(&mut self, flight: &Flight) {
        let Some(index) = self.send_index(flight.id, flight.sent_at) else {
            return;
        };
        self.travel.selected_event = Some(index);
        self.travel.reveal += 1;
        let now = self.sim.now();
        let (a, b) = self.travel.window_at(now);
        if flight.sent_at < a || flight.sent_at > b || now > b {
            // Keep the zoom unless the flight is longer than the window.
            let width = (b.0 - a.0).max((now.0 - flight.sent_at.0) * 5 / 4);
            let start = flight.sent_at.0.saturating_sub(width / 8);
            self.travel.window = Some((Time(start), Time(start + width)));
        }
    }

    /// A click on the cluster at `at` (CSS px) away from any node: selects
    /// the message in flight under it, if any.
    pub(super) fn pick_message(&mut self, at: Vec2, touch: bool) -> bool {
        let reach: f64 = if touch { 14.0 } else { 8.0 };
        let hit = self
            .flight_spots()
            .into_iter()
            .map(|(f, spot)| (spot.distance(at), f))
            .filter(|(d, _)| *d <= reach)
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match hit {
            Some((_, flight)) => {
                self.select_flight(&flight);
                true
            }
            None => false,
        }
    }

    /// Selects an event picked in the diagram (or clears the selection).
    /// A crash, a restart or a new leader also selects its node, so the
    /// cluster and the inspector show it.
    fn select_event(&mut self, index: Option<u64>) {
        self.travel.selected_event = index;
        let Some(index) = index else {
            return;
        };
        let timeline = &self.travel.timeline;
        let node = match timeline.event(index) {
            Some(e) if matches!(e.kind, EventKind::Crash | EventKind::Restart) => Some(e.node),
            _ => timeline
                .markers()
                .iter()
                .find(|m| m.kind == MarkKind::LeaderChange && m.at == index + 1)
                .map(|m| m.node),
        };
        if let Some(node) = node.filter(|n| n.index() < self.node_count()) {
            self.selected = Some(node);
            self.menu = None;
        }
    }

    /// The next or previous message in flight after the selected one, by
    /// id, wrapping around.
    fn cycle_message(&mut self, forward: bool) {
        let mut flights: Vec<Flight> = Vec::new();
        self.sim.for_each_in_flight(&mut |f| flights.push(*f));
        if flights.is_empty() {
            return self.say(t("No message is in flight at this moment."), false);
        }
        flights.sort_by_key(|f| f.id);
        let current = self.selected_message_id();
        let pick = match (current, forward) {
            (Some(c), true) => flights.iter().find(|f| f.id > c).or(flights.first()),
            (Some(c), false) => flights.iter().rev().find(|f| f.id < c).or(flights.last()),
            (None, true) => flights.first(),
            (None, false) => flights.last(),
        };
        if let Some(f) = pick.copied() {
            self.select_flight(&f);
        }
    }

    /// Messages in flight whose fate the branch's trace does not hold yet:
    /// at the end of the run, every one in flight.
    pub fn pending_flights(&self) -> Vec<(u64, Time)> {
        let mut out = Vec::new();
        if !self.travel.timeline.is_behind(&self.sim) {
            self.sim
                .for_each_in_flight(&mut |f| out.push((f.id.0, f.deliver_at)));
        }
        out
    }

    /// The trace events the space-time diagram needs for `window`.
    pub fn diagram_events(&self, window: (Time, Time)) -> crate::spacetime::Fetched {
        crate::spacetime::Fetched::fetch(&self.travel.timeline, window)
    }

    /// The selected node's log against the leader's, if there is another
    /// node leading and either has a log (protocols without one show
    /// none: their views have no entries).
    pub fn selected_log_diff(&self) -> Option<LogDiff> {
        let node = self.selected.filter(|n| n.index() < self.node_count())?;
        let leader = self.leader().filter(|l| *l != node)?;
        if self.sim.node_view(node).log_len == 0 && self.sim.node_view(leader).log_len == 0 {
            return None;
        }
        // A down node shows its durable log, which is what it restarts with.
        Some(log_diff(
            leader,
            &self.sim.node_detail(node),
            self.sim.node_view(node).log_len,
            &self.sim.node_detail(leader),
            self.sim.node_view(leader).log_len,
        ))
    }

    /// The current branch as a scenario that replays it (JSON).
    pub fn branch_scenario_json(&self) -> String {
        serde_json::to_string_pretty(&self.travel.timeline.scenario(&self.base)).unwrap_or_default()
    }

    /// Puts `sim` on screen in place of the cursor.
    fn show(&mut self, sim: Sim) {
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
                let cost = t.replay_cost(Time(micros));
                if self.clock.is_some() && cost > FAR_SEEK_EVENTS {
                    self.playing = false;
                    // Two frames: one to paint the notice, then the work.
                    self.travel.pending_seek = Some((micros, 2));
                    self.say(
                        crate::i18n::tf(
                            "Going to {0}: replaying about {1} events from the nearest kept snapshot…",
                            &[&crate::panel::format_time(Time(micros)), &cost],
                        ),
                        false,
                    );
                    return;
                }
                self.travel.pending_seek = None;
                let sim = t.seek_time(Time(micros));
                self.show(sim);
            }
            TravelMsg::Live => {
                let sim = t.seek_time(t.head_time());
                self.show(sim);
            }
            TravelMsg::StepBack => match t.step_back(&self.sim) {
                Some(sim) => self.show(sim),
                None => self.say(crate::i18n::t("This is the start of the run."), false),
            },
            TravelMsg::StepForward => self.step(),
            TravelMsg::Jump(forward) => {
                let kind = self.travel.kind;
                match t.jump(kind, &self.sim, forward) {
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
                let picked = self.travel.selected_event.and_then(|i| t.event(i));
                match self.travel.timeline.switch(id, &self.sim) {
                    Some(sim) => {
                        // The selection survives if the other branch has
                        // the same event there (before the fork).
                        if let (Some(i), Some(e)) = (self.travel.selected_event, picked) {
                            if self.travel.timeline.event(i) != Some(e) {
                                self.travel.selected_event = None;
                            }
                        }
                        self.show(sim);
                        self.say(crate::i18n::tf("Back on branch {0}.", &[&id]), false);
                    }
                    None => self.say(crate::i18n::tf("There is no branch {0}.", &[&id]), true),
                }
            }
            TravelMsg::SelectEvent(index) => self.select_event(index),
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
            TravelMsg::CycleMessage(forward) => self.cycle_message(forward),
        }
    }

    /// The start of a frame: a far seek asked for earlier goes ahead once
    /// the page has had a frame to say it is working.
    pub(super) fn pending_seek_tick(&mut self) {
        let Some((micros, wait)) = self.travel.pending_seek else {
            return;
        };
        if wait > 0 {
            self.travel.pending_seek = Some((micros, wait - 1));
            return;
        }
        self.travel.pending_seek = None;
        let sim = self.travel.timeline.seek_time(Time(micros));
        self.show(sim);
        self.notice = None;
        self.version += 1;
    }

    /// Applies a user action through the timeline: at the head it extends
    /// the branch, behind it starts a new one. Refusals become a notice.
    pub(super) fn travel_act(&mut self, action: Action) -> bool {
        let now = self.sim.now();
        let fork = self.sim.trace().len();
        match self.travel.timeline.act(&mut self.sim, action) {
            Ok(branched) => {
                if branched && self.travel.selected_event.is_some_and(|i| i >= fork) {
                    // That event belonged to the branch just left.
                    self.travel.selected_event = None;
                }
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
        let all = m.travel.timeline.events_in(0..m.travel.timeline.head_len());
        let (index, id) = all
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
        use splitbrain_core::protocol::EntryView;
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
        let d = log_diff(NodeId(0), &node, 3, &lead, 4);
        assert_eq!((d.common, d.conflicting, d.extra, d.missing), (1, 2, 0, 1));
        assert_eq!(d.diverged_terms, vec![2, 2]);
        assert_eq!(d.entry_state(1), EntryState::Matching);
        assert_eq!(d.entry_state(3), EntryState::Conflicting);
        // A stale leader's longer log: entries past the leader's end.
        let stale = detail(vec![entry(1, 1), entry(2, 1), entry(3, 1)]);
        let lead = detail(vec![entry(1, 1), entry(2, 2)]);
        let d = log_diff(NodeId(1), &stale, 3, &lead, 2);
        assert_eq!((d.common, d.conflicting, d.extra, d.missing), (1, 1, 1, 0));
        assert_eq!(d.entry_state(3), EntryState::Extra);
        assert!(!d.same());
        assert!(log_diff(NodeId(1), &lead, 2, &lead, 2).same());
        // Compacted logs, compared by index: the leader's snapshot covers
        // 1-4 and it shows 5-6; the node's covers 1-2 and it shows 3-5,
        // with a conflicting entry at 5 and lacking 6.
        let lead = detail(vec![entry(5, 3), entry(6, 3)]);
        let node = detail(vec![entry(3, 1), entry(4, 2), entry(5, 2)]);
        let d = log_diff(NodeId(0), &node, 5, &lead, 6);
        assert_eq!((d.common, d.conflicting, d.extra, d.missing), (4, 1, 0, 1));
        assert_eq!(d.diverged_terms, vec![2]);
        assert_eq!(d.entry_state(4), EntryState::Matching);
        assert_eq!(d.entry_state(5), EntryState::Conflicting);
        // A node caught up by a snapshot shows no entries of its own.
        let empty = detail(Vec::new());
        assert!(log_diff(NodeId(0), &empty, 6, &lead, 6).same());
        assert!(log_diff(NodeId(0), &lead, 6, &empty, 6).same());
    }

    fn resized(mut m: Model) -> Model {
        m.update(Msg::Resize(crate::geometry::Viewport {
            width: 800.0,
            height: 600.0,
        }));
        m
    }

    /// Steps until a message is in flight, returning one.
    fn with_a_message_in_flight(m: &mut Model) -> Flight {
        for _ in 0..500 {
            let mut first = None;
            m.sim().for_each_in_flight(&mut |f| {
                if first.is_none() && (0.3..0.7).contains(&progress(m.sim().now(), f)) {
                    first = Some(*f);
                }
            });
            if let Some(f) = first {
                return f;
            }
            m.update(Msg::Step);
        }
        panic!("no message in flight");
    }

    fn progress(now: Time, f: &Flight) -> f64 {
        (now.0 - f.sent_at.0) as f64 / (f.deliver_at.0 - f.sent_at.0).max(1) as f64
    }

    #[test]
    fn clicking_a_message_on_the_cluster_selects_it_in_the_diagram() {
        let mut m = resized(played(2));
        let flight = with_a_message_in_flight(&mut m);
        let (_, at) = m
            .flight_spots()
            .into_iter()
            .find(|(f, _)| f.id == flight.id)
            .unwrap();
        let pointer = |m: &mut Model, p| m.update(Msg::Pointer(p));
        pointer(
            &mut m,
            crate::model::PointerMsg::Down {
                at,
                button: 0,
                touch: false,
                time_ms: 0.0,
            },
        );
        pointer(&mut m, crate::model::PointerMsg::Up { at, time_ms: 50.0 });
        assert_eq!(m.selected_message_id(), Some(flight.id));
        assert!(m.selected_in_flight());
        assert!(m.menu.is_none(), "no link menu over a message");
        let index = m.travel.selected_event.unwrap();
        let send = m.travel.timeline.event(index).unwrap();
        assert_eq!((send.kind, send.arg), (EventKind::Send, flight.id.0));
        // The diagram draws its arrow (towards a delivery still to come)
        // highlighted; the cluster rings its dot.
        let view = m.travel_view();
        let spec = crate::spacetime::DiagramSpec {
            nodes: m.node_count(),
            window: m.travel.window_at(view.now),
            cursor: view.now,
            selected: view.selected_event,
            msg_kinds: m.sim().msg_kinds(),
            width: 900.0,
            colors: crate::spacetime::Colors::Css,
            marks: &view.markers,
            pending: &m.pending_flights(),
        };
        let fetched = m.diagram_events(spec.window);
        let (svg, drawn) =
            crate::spacetime::svg(&fetched.stretch(m.travel.timeline.node_events()), &spec);
        assert!(drawn.pending > 0);
        assert!(
            svg.contains(&format!(
                r#"class="msg pending selected" data-event="{index}""#
            )),
            "the arrow is highlighted"
        );
        let mut scene = crate::scene::Scene::default();
        scene.rebuild(&m);
        assert_eq!(scene.sprites.iter().filter(|s| s.selected).count(), 1);
        assert!(m.travel.reveal > 0, "the diagram unfolds");
        // A click on empty canvas clears the selection.
        let corner = Vec2::new(2.0, 2.0);
        pointer(
            &mut m,
            crate::model::PointerMsg::Down {
                at: corner,
                button: 0,
                touch: false,
                time_ms: 0.0,
            },
        );
        pointer(
            &mut m,
            crate::model::PointerMsg::Up {
                at: corner,
                time_ms: 50.0,
            },
        );
        assert_eq!(m.travel.selected_event, None);
    }

    #[test]
    fn the_keyboard_cycles_through_messages_in_flight() {
        let mut m = resized(played(2));
        with_a_message_in_flight(&mut m);
        let mut ids = Vec::new();
        m.sim().for_each_in_flight(&mut |f| ids.push(f.id));
        ids.sort();
        m.update(Msg::Travel(TravelMsg::CycleMessage(true)));
        assert_eq!(m.selected_message_id(), Some(ids[0]));
        m.update(Msg::Travel(TravelMsg::CycleMessage(false)));
        assert_eq!(m.selected_message_id(), ids.last().copied(), "wraps around");
        m.update(Msg::Escape);
        m.update(Msg::Escape);
        assert_eq!(m.selected_message_id(), None);
    }

    #[test]
    fn a_selected_message_follows_scrubbing() {
        let mut m = resized(played(2));
        with_a_message_in_flight(&mut m);
        m.update(Msg::Travel(TravelMsg::CycleMessage(true)));
        let id = m.selected_message_id().unwrap();
        let mut sent = Time::ZERO;
        m.sim().for_each_in_flight(&mut |f| {
            if f.id == id {
                sent = f.sent_at;
            }
        });
        // Before its send: selected, but not in flight.
        m.travel_update(TravelMsg::SeekTime(sent.0 - 1));
        assert_eq!(m.selected_message_id(), Some(id));
        assert_eq!(m.sim().now(), Time(sent.0 - 1));
        assert!(!m.selected_in_flight());
        assert!(m.selected_message().unwrap().0.contains("not sent yet"));
        // Long after: delivered or dropped, not in flight; nothing panics.
        m.travel_update(TravelMsg::Live);
        m.update(Msg::SetSpeed(1.0));
        m.update(Msg::TogglePlay);
        for _ in 0..20 {
            m.frame(50.0);
        }
        assert!(!m.selected_in_flight());
        assert!(m.selected_message().unwrap().0.contains("not in flight"));
        let mut scene = crate::scene::Scene::default();
        scene.rebuild(&m);
        assert!(scene.sprites.iter().all(|s| !s.selected));
        // Back to the instant it was picked: in flight again.
        m.travel_update(TravelMsg::SeekTime(sent.0 + 1));
        assert!(m.selected_in_flight());
    }

    #[test]
    fn a_node_event_picked_in_the_diagram_selects_its_node() {
        let mut m = played(2);
        m.update(Msg::Node(NodeId(3), crate::model::NodeCommand::ToggleCrash));
        m.update(Msg::Step);
        let crash = m
            .travel
            .timeline
            .node_events()
            .iter()
            .rfind(|(_, e)| e.kind == EventKind::Crash)
            .unwrap()
            .0;
        m.update(Msg::Select(None));
        m.travel_update(TravelMsg::SelectEvent(Some(crash)));
        assert_eq!(m.selected, Some(NodeId(3)));
        let leader = m
            .travel
            .timeline
            .markers()
            .iter()
            .find(|mk| mk.kind == MarkKind::LeaderChange)
            .copied()
            .unwrap();
        m.travel_update(TravelMsg::SelectEvent(Some(leader.at - 1)));
        assert_eq!(m.selected, Some(leader.node));
        // The diagram draws both, the picked one ringed.
        let spec = crate::spacetime::DiagramSpec {
            nodes: m.node_count(),
            window: (Time::ZERO, m.sim().now()),
            cursor: m.sim().now(),
            selected: Some(leader.at - 1),
            msg_kinds: m.sim().msg_kinds(),
            width: 900.0,
            colors: crate::spacetime::Colors::Css,
            marks: m.travel.timeline.markers(),
            pending: &[],
        };
        let fetched = m.diagram_events(spec.window);
        let (svg, drawn) =
            crate::spacetime::svg(&fetched.stretch(m.travel.timeline.node_events()), &spec);
        assert!(drawn.node_events >= 2, "{drawn:?}");
        assert!(svg.contains(&format!(
            r#"class="node-event leader-event selected" data-event="{}""#,
            leader.at - 1
        )));
        assert!(svg.contains(&format!(
            r#"class="node-event crash-event" data-event="{crash}""#
        )));
    }

    #[test]
    fn a_branch_drops_a_selection_from_the_future_it_leaves() {
        let mut m = played(3);
        let late = m.travel.timeline.head_len() - 5;
        m.travel_update(TravelMsg::SelectEvent(Some(late)));
        m.travel_update(TravelMsg::SeekTime(1_000_000));
        m.update(Msg::Node(NodeId(0), crate::model::NodeCommand::ToggleCrash));
        assert_eq!(m.travel_view().branches.len(), 2);
        assert_eq!(m.travel.selected_event, None);
        // An early one is shared by both branches and stays across a switch.
        m.travel_update(TravelMsg::SelectEvent(Some(10)));
        m.travel_update(TravelMsg::SwitchBranch(0));
        assert_eq!(m.travel.selected_event, Some(10));
    }

    #[test]
    fn the_inspector_compares_with_the_leader_at_the_scrubbed_time() {
        let json = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../web/scenarios/raft-log-repair.json"
        ))
        .unwrap();
        let mut m = Model::new(1);
        m.update(Msg::LoadScenario(json));
        m.travel
            .timeline
            .advance(&mut m.sim, Time(5_000_000), u64::MAX);
        // During the partition, the stale leader n0's side has an entry
        // the majority's leader overwrites later.
        m.travel_update(TravelMsg::SeekTime(2_500_000));
        let leader = m.leader().unwrap();
        let stale = NodeId(0);
        assert_ne!(leader, stale);
        m.update(Msg::Select(Some(stale)));
        let panel = crate::panel::Panel::of(&m);
        let d = panel.inspector.unwrap().log_diff.unwrap();
        let mine = m.sim().node_detail(stale).log;
        let theirs = m.sim().node_detail(leader).log;
        assert_eq!(d.node_len, mine.len() as u64);
        assert_eq!(d.leader_len, theirs.len() as u64);
        assert!(d.conflicting + d.extra > 0, "{d:?}");
        assert!(d.missing > 0, "{d:?}");
        // After the heal, the leader repaired it.
        m.travel_update(TravelMsg::SeekTime(4_500_000));
        let d = crate::panel::Panel::of(&m).inspector.unwrap().log_diff;
        assert!(d.is_some_and(|d| d.same()));
    }
}
