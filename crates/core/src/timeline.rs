//! Time travel: a run's timeline, kept as periodic snapshots plus the trace,
//! so any instant can be rebuilt by restoring the nearest earlier snapshot
//! and replaying from it. Replay is exact because the simulator is
//! deterministic; the cost of a seek is bounded by the snapshot interval.
//!
//! The timeline never owns the simulation being shown (the *cursor*): the
//! caller holds it, advances it through [`Timeline::advance`] and
//! [`Timeline::step`] so that what it computes past the known end (the
//! *head*) is recorded, and replaces it with what the seek methods return.
//!
//! Acting while the cursor is behind the head starts a new branch: its
//! scenario is the old one's actions up to that point plus the new action.
//! Branches are kept (sharing the snapshots before their fork) and can be
//! returned to.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::ops::Range;

use serde::Serialize;

use crate::id::NodeId;
use crate::scenario::{Action, Scenario, ScenarioError, TimedAction};
use crate::sim::Sim;
use crate::time::Time;
use crate::trace::{EventKind, TraceEvent};

mod events;

use events::EventLog;
pub use events::CHUNK;

/// Events between snapshots. Replaying this many events bounds a seek;
/// the benchmark (`benches/timeline.rs`) prints what it costs in time and
/// memory for a million-event run. Snapshots share logs and the checker's
/// records with each other (`crate::pvec`), so one costs little (~120 KB
/// late in a million-event Raft run) and they can be close together.
pub const DEFAULT_INTERVAL: u64 = 5_000;

/// What a marker on the timeline stands for; also what "jump to the next
/// event of a kind" jumps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MarkKind {
    /// A node became leader (of a new term), by [`crate::Protocol::leads`].
    LeaderChange,
    /// A node crashed.
    Crash,
    /// The partition or a link changed (cut, heal, restore).
    Partition,
    /// The first broken invariant.
    Violation,
    /// A client operation completed (ok, failed or timed out). Not stored
    /// as markers (there are many); found by scanning the trace.
    ClientReply,
}

impl MarkKind {
    pub const ALL: [MarkKind; 5] = [
        MarkKind::LeaderChange,
        MarkKind::Crash,
        MarkKind::Partition,
        MarkKind::Violation,
        MarkKind::ClientReply,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MarkKind::LeaderChange => "leader change",
            MarkKind::Crash => "crash",
            MarkKind::Partition => "partition",
            MarkKind::Violation => "violation",
            MarkKind::ClientReply => "client reply",
        }
    }

    /// The kind a trace event marks, if any.
    pub fn of_event(kind: EventKind) -> Option<MarkKind> {
        match kind {
            EventKind::Crash => Some(MarkKind::Crash),
            EventKind::Network => Some(MarkKind::Partition),
            EventKind::ClientReturn => Some(MarkKind::ClientReply),
            _ => None,
        }
    }
}

/// Something worth finding again on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Marker {
    pub kind: MarkKind,
    /// The trace length just after it: seek to this index to see it.
    pub at: u64,
    pub time: Time,
    pub node: NodeId,
    /// The new leader's term; the network change's tag; else 0.
    pub arg: u64,
}

#[derive(Clone)]
struct Snap {
    len: u64,
    time: Time,
    sim: Rc<Sim>,
}

/// One line of history: a scenario's action list and what it computed.
pub struct Branch {
    id: u32,
    parent: Option<u32>,
    /// Trace length and time where it left its parent.
    fork: Option<(u64, Time)>,
    actions: Vec<TimedAction>,
    snaps: Vec<Snap>,
    events: EventLog,
    markers: Vec<Marker>,
    /// Every crash, restart and network change (trace index, event): few,
    /// and what the space-time diagram's bands are made of, so it never
    /// has to read a long run's events from the start.
    node_events: Vec<(u64, TraceEvent)>,
    head_time: Time,
    head_hash: u64,
    /// Who leads at the head, per node, to see changes as the head grows.
    leaders: Vec<Option<u64>>,
    violation_seen: bool,
    /// Where the user was when they left this branch.
    left_at: (u64, Time),
}

/// What the branch list shows of a branch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BranchInfo {
    pub id: u32,
    pub parent: Option<u32>,
    /// Where it left its parent, if it did.
    pub fork_time: Option<Time>,
    /// Its latest action (the one that made the branch, if it forked).
    pub last_action: Option<TimedAction>,
    pub actions: usize,
    pub head_events: u64,
    pub head_time: Time,
    pub current: bool,
}

/// Sizes for the memory report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TimelineStats {
    pub branches: usize,
    /// Distinct snapshots (shared ones counted once).
    pub snapshots: usize,
    pub events: u64,
    /// Sealed chunks of events held (of the current branch), and those
    /// let go, which a read replays from a snapshot.
    pub resident_chunks: usize,
    pub evicted_chunks: usize,
    /// Chunks replayed since the timeline started.
    pub replayed_chunks: u64,
}

/// What [`Timeline::shed`] let go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shed {
    /// A chunk of old events (this many bytes, if no one else held it).
    Events(usize),
    /// A snapshot where they were closest together.
    Snapshot,
    /// Only the start, the recent past and what branches share are left.
    Nothing,
}

/// Sealed chunks of the current branch always kept, back from the head:
/// the live diagram and event log read them every frame.
const KEEP_RECENT_CHUNKS: usize = 32;
/// Snapshots always kept, back from the head, at their own spacing.
const KEEP_RECENT_SNAPS: usize = 8;
/// Replayed chunks kept for the next read (the diagram asks every frame).
const CACHED_CHUNKS: usize = 8;

/// A replayed chunk: branch id, chunk index, its events.
type Replayed = (u32, usize, Rc<[TraceEvent]>);

/// A run's branches, snapshots and trace; see the module docs.
pub struct Timeline {
    branches: Vec<Branch>,
    current: usize,
    interval: u64,
    /// Snapshots wait for [`Timeline::take_due_snapshot`] instead of being
    /// taken inside [`Timeline::sync`].
    deferred: bool,
    /// Replayed chunks, most recent last.
    cache: RefCell<Vec<Replayed>>,
    replayed: core::cell::Cell<u64>,
}

impl Timeline {
    /// Starts a timeline at `cursor`, a freshly built simulation, taking a
    /// snapshot every `interval` events.
    pub fn new(cursor: &mut Sim, interval: u64) -> Timeline {
        let nodes = cursor.node_count();
        let mut events = EventLog::default();
        let trace = cursor.trace_mut();
        trace.set_keep(true);
        if trace.first_kept() == 0 {
            events.push(trace.events());
        }
        // Built without keeping events, the few start-up events are gone.
        // A fresh build keeps them; the app builds that way.
        trace.drain_events(None);
        // The branch keeps the action list; the cursor and every copy of
        // it stop keeping their own (a long run's requests are many).
        let actions = cursor.scenario().actions.clone();
        cursor.forget_actions();
        let snap = Snap {
            len: cursor.trace().len(),
            time: cursor.now(),
            sim: Rc::from(cursor.snapshot()),
        };
        let branch = Branch {
            id: 0,
            parent: None,
            fork: None,
            actions,
            snaps: alloc::vec![snap],
            events,
            markers: Vec::new(),
            node_events: Vec::new(),
            head_time: cursor.now(),
            head_hash: cursor.trace().hash(),
            leaders: (0..nodes).map(|n| cursor.leads(NodeId(n as u16))).collect(),
            violation_seen: cursor.violation().is_some(),
            left_at: (cursor.trace().len(), cursor.now()),
        };
        Timeline {
            branches: alloc::vec![branch],
            current: 0,
            interval: interval.max(1),
            deferred: false,
            cache: RefCell::new(Vec::new()),
            replayed: core::cell::Cell::new(0),
        }
    }

    fn branch(&self) -> &Branch {
        &self.branches[self.current]
    }

    /// Trace length of the furthest point computed on the current branch.
    pub fn head_len(&self) -> u64 {
        self.branch().events.len()
    }

    /// Simulated time of the furthest point computed on this branch.
    pub fn head_time(&self) -> Time {
        self.branch().head_time
    }

    /// The trace hash at the head.
    pub fn head_hash(&self) -> u64 {
        self.branch().head_hash
    }

    /// The sparse markers of the current branch (not client replies), in
    /// trace order.
    pub fn markers(&self) -> &[Marker] {
        &self.branch().markers
    }

    /// The current branch's whole action list (its scenario's actions).
    pub fn actions(&self) -> &[TimedAction] {
        &self.branch().actions
    }

    /// The current branch as a scenario that replays it: `base` with this
    /// branch's actions.
    pub fn scenario(&self, base: &Scenario) -> Scenario {
        let mut s = base.clone();
        s.actions = self.branch().actions.clone();
        s
    }

    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Whether `cursor` is behind the head, where acting starts a branch.
    pub fn is_behind(&self, cursor: &Sim) -> bool {
        cursor.trace().len() < self.head_len()
            || (cursor.trace().len() == self.head_len() && cursor.now() < self.head_time())
    }

    pub fn stats(&self) -> TimelineStats {
        let mut seen: Vec<*const ()> = Vec::new();
        for b in &self.branches {
            for s in &b.snaps {
                let p = Rc::as_ptr(&s.sim) as *const ();
                if !seen.contains(&p) {
                    seen.push(p);
                }
            }
        }
        let b = self.branch();
        TimelineStats {
            branches: self.branches.len(),
            snapshots: seen.len(),
            events: self.branches.iter().map(|b| b.events.len()).sum(),
            resident_chunks: b.events.resident_chunks(),
            evicted_chunks: b.events.sealed_chunks() - b.events.resident_chunks(),
            replayed_chunks: self.replayed.get(),
        }
    }

    /// Runs `cursor` one event forward (see [`Sim::step`]),
    /// recording it if it extends the branch.
    pub fn step(&mut self, cursor: &mut Sim) -> bool {
        let stepped = cursor.step();
        self.sync(cursor);
        stepped
    }

    /// [`Timeline::step`] that never passes `limit` (see
    /// [`Sim::step_within`]).
    pub fn step_within(&mut self, cursor: &mut Sim, limit: Time) -> bool {
        let stepped = cursor.step_within(limit);
        self.sync(cursor);
        stepped
    }

    /// [`Sim::run_until`], one event at a time so that every step
    /// past the head is recorded (and snapshotted on the interval). The
    /// clock ends exactly at `until`, never past it.
    pub fn advance(&mut self, cursor: &mut Sim, until: Time, max_events: u64) -> bool {
        let start = cursor.trace().len();
        while let Some(next) = cursor.next_event_time() {
            if next > until {
                break;
            }
            if cursor.trace().len() - start >= max_events {
                return false;
            }
            cursor.step_within(until);
            self.sync(cursor);
        }
        // Nothing is due by `until`: this only moves the clock.
        cursor.run_until(until, u64::MAX);
        self.sync(cursor);
        true
    }

    /// Applies a user action at the cursor. At the head it extends the
    /// branch; behind it, it starts a new branch (the current one is kept).
    /// Returns whether a branch was started. An invalid action changes
    /// nothing.
    pub fn act(&mut self, cursor: &mut Sim, action: Action) -> Result<bool, ScenarioError> {
        if !self.is_behind(cursor) {
            let now = cursor.now();
            cursor.act(action.clone())?;
            // Where a rebuilt scenario schedules it: after the actions at
            // or before `now` (as `Sim::act` records it).
            Self::record(&mut self.branches[self.current].actions, now, action);
            self.sync(cursor);
            return Ok(false);
        }
        let applied = cursor.applied_user_actions();
        let old_actions = self.branch().actions.clone();
        let prefix = &old_actions[..applied.min(old_actions.len())];
        cursor.set_future_actions(prefix);
        let fork_len = cursor.trace().len();
        let fork_time = cursor.now();
        let leaders: Vec<Option<u64>> = (0..cursor.node_count())
            .map(|n| cursor.leads(NodeId(n as u16)))
            .collect();
        let violation_seen = cursor.violation().is_some();
        let fork_hash = cursor.trace().hash();
        if let Err(e) = cursor.act(action.clone()) {
            cursor.set_future_actions(&old_actions);
            return Err(e);
        }
        let mut actions = prefix.to_vec();
        Self::record(&mut actions, fork_time, action);
        let id = self.branches.iter().map(|b| b.id).max().unwrap_or(0) + 1;
        // The fork's own chunk is copied, so it must be here.
        self.make_resident(self.current, fork_len as usize / CHUNK);
        let parent = &mut self.branches[self.current];
        parent.left_at = (fork_len, fork_time);
        let branch = Branch {
            id,
            parent: Some(parent.id),
            fork: Some((fork_len, fork_time)),
            actions,
            snaps: parent
                .snaps
                .iter()
                .filter(|s| s.len <= fork_len && s.time <= fork_time)
                .cloned()
                .collect(),
            events: parent.events.truncated(fork_len),
            markers: parent
                .markers
                .iter()
                .filter(|m| m.at <= fork_len)
                .copied()
                .collect(),
            node_events: parent
                .node_events
                .iter()
                .filter(|(i, _)| *i < fork_len)
                .copied()
                .collect(),
            head_time: fork_time,
            head_hash: fork_hash,
            leaders,
            violation_seen,
            left_at: (fork_len, fork_time),
        };
        self.branches.push(branch);
        self.current = self.branches.len() - 1;
        self.sync(cursor);
        Ok(true)
    }

    /// Inserts `action`, applied at `now`, into an action list.
    fn record(actions: &mut Vec<TimedAction>, now: Time, action: Action) {
        let k = actions.partition_point(|a| a.at <= now);
        actions.insert(k, TimedAction { at: now, action });
    }

    /// Records what `cursor` computed past the head: its events, markers,
    /// and a snapshot when one is due. Behind the head, only drops the
    /// events the cursor kept (the branch has them).
    pub fn sync(&mut self, cursor: &mut Sim) {
        let interval = self.interval;
        let b = &mut self.branches[self.current];
        let head = b.events.len();
        let len = cursor.trace().len();
        if len < head || (len == head && cursor.now() <= b.head_time) {
            cursor.trace_mut().drain_events(None);
            return;
        }
        let first = cursor.trace().first_kept();
        debug_assert!(first <= head, "events past the head were not kept");
        let kept = cursor.trace().events();
        let new = &kept[(head.saturating_sub(first) as usize).min(kept.len())..];
        b.events.push(new);
        let mut touched: Vec<NodeId> = Vec::new();
        for (i, e) in new.iter().enumerate() {
            let index = head + i as u64;
            if matches!(
                e.kind,
                EventKind::Crash | EventKind::Restart | EventKind::Network
            ) {
                b.node_events.push((index, *e));
            }
            if let Some(kind) = MarkKind::of_event(e.kind) {
                if kind != MarkKind::ClientReply {
                    b.markers.push(Marker {
                        kind,
                        at: index + 1,
                        time: e.time,
                        node: e.node,
                        arg: u64::from(e.tag),
                    });
                }
            }
            if !touched.contains(&e.node) {
                touched.push(e.node);
            }
        }
        cursor.trace_mut().drain_events(None);
        for node in touched {
            let Some(slot) = b.leaders.get_mut(node.index()) else {
                continue;
            };
            let now = cursor.leads(node);
            if now != *slot {
                if let Some(term) = now {
                    b.markers.push(Marker {
                        kind: MarkKind::LeaderChange,
                        at: len,
                        time: cursor.now(),
                        node,
                        arg: term,
                    });
                }
                *slot = now;
            }
        }
        if !b.violation_seen {
            if let Some(v) = cursor.violation() {
                b.violation_seen = true;
                b.markers.push(Marker {
                    kind: MarkKind::Violation,
                    at: len,
                    time: v.time,
                    node: v.violation.nodes.first().copied().unwrap_or(NodeId(0)),
                    arg: v.event_index,
                });
            }
        }
        b.head_time = cursor.now();
        b.head_hash = cursor.trace().hash();
        let last = b.snaps.last().map_or(0, |s| s.len);
        if !self.deferred && len >= last + interval {
            b.snaps.push(Snap {
                len,
                time: cursor.now(),
                sim: Rc::from(cursor.snapshot()),
            });
        }
    }

    /// Events between snapshots from now on. Seeks stay exact whatever the
    /// spacing; a longer one makes them replay more and snapshots rarer.
    pub fn set_interval(&mut self, interval: u64) {
        self.interval = interval.max(1);
    }

    /// When on, stepping and advancing take no snapshots: the caller takes
    /// them with [`Timeline::take_due_snapshot`] when it suits it (a page,
    /// at the start of a frame, where it can count the cost).
    pub fn defer_snapshots(&mut self, deferred: bool) {
        self.deferred = deferred;
    }

    /// Takes a snapshot of `cursor` if it is at the head and the head is
    /// at least the interval past the branch's last snapshot. Returns
    /// whether it took one.
    pub fn take_due_snapshot(&mut self, cursor: &Sim) -> bool {
        let len = cursor.trace().len();
        let b = &mut self.branches[self.current];
        let at_head = len == b.events.len() && cursor.now() == b.head_time;
        let last = b.snaps.last().map_or(0, |s| s.len);
        if !at_head || len < last + self.interval {
            return false;
        }
        b.snaps.push(Snap {
            len,
            time: cursor.now(),
            sim: Rc::from(cursor.snapshot()),
        });
        true
    }

    /// A fresh cursor restored from `snap` with this branch's future.
    fn restore(&self, snap: &Snap) -> Sim {
        Self::restore_in(self.branch(), snap)
    }

    fn restore_in(b: &Branch, snap: &Snap) -> Sim {
        let mut sim = snap.sim.snapshot();
        sim.set_future_actions(&b.actions);
        // Replaying known ground: keep nothing until the caller moves on.
        sim.trace_mut().set_keep(false);
        sim
    }

    fn finish(mut sim: Sim) -> Sim {
        sim.trace_mut().set_keep(true);
        sim
    }

    /// About how many events a seek to `t` replays: from the snapshot it
    /// starts at to the chunk holding `t` (a lower bound, read from
    /// what the timeline holds without replaying anything).
    pub fn replay_cost(&self, t: Time) -> u64 {
        let b = self.branch();
        let i = b.snaps.partition_point(|s| s.time <= t).max(1) - 1;
        let reach = (b.events.chunk_reaching(t) * CHUNK) as u64;
        reach.min(b.events.len()).saturating_sub(b.snaps[i].len)
    }

    /// The state at simulated time `t` (clamped to the head): everything
    /// due at or before `t` has run, as after `run_until(t)`.
    pub fn seek_time(&self, t: Time) -> Sim {
        if t >= self.head_time() {
            let mut sim = self.seek_index(self.head_len());
            // Short of the head's time, every event
            // due by then left no trace (the head got there by `advance`,
            // which never passes its limit), so running them is safe.
            if sim.now() < self.head_time() || sim.next_event_time().is_none_or(|n| n > t) {
                sim.run_until(t.min(self.head_time()).max(sim.now()), u64::MAX);
            }
            return sim;
        }
        let b = self.branch();
        let i = b.snaps.partition_point(|s| s.time <= t).max(1) - 1;
        let mut sim = self.restore(&b.snaps[i]);
        sim.run_until(t, u64::MAX);
        Self::finish(sim)
    }

    /// The state just after event `index - 1` (the end of the step that
    /// recorded it), so the trace has at least `index` events; clamped to
    /// the head.
    pub fn seek_index(&self, index: u64) -> Sim {
        let index = index.min(self.head_len());
        let b = self.branch();
        let i = b.snaps.partition_point(|s| s.len <= index).max(1) - 1;
        let mut sim = self.restore(&b.snaps[i]);
        while sim.trace().len() < index {
            if !sim.step() {
                break;
            }
        }
        Self::finish(sim)
    }

    /// The state one event before `cursor`'s (the end of the previous
    /// step), or `None` at the start.
    pub fn step_back(&self, cursor: &Sim) -> Option<Sim> {
        let here = cursor.trace().len();
        let b = self.branch();
        let i = b.snaps.partition_point(|s| s.len < here);
        if i == 0 {
            return None;
        }
        let mut sim = self.restore(&b.snaps[i - 1]);
        // Which step ends last before `here` is known only after the next
        // one, so keep one copy from shortly before `here` and finish from
        // it: one replay plus a short one, not two replays.
        const NEAR: u64 = 64;
        let mut near: Option<Sim> = None;
        let mut previous = sim.trace().len();
        loop {
            if near.is_none() && sim.trace().len() + NEAR >= here {
                near = Some(sim.snapshot());
            }
            if !sim.step() || sim.trace().len() >= here {
                break;
            }
            previous = sim.trace().len();
        }
        let mut back = match near {
            Some(mut near) if near.trace().len() <= previous => {
                // A snapshot leaves out what the timeline gives back.
                near.set_future_actions(&b.actions);
                near
            }
            _ => return Some(self.seek_index(previous)),
        };
        while back.trace().len() < previous {
            if !back.step() {
                break;
            }
        }
        Some(Self::finish(back))
    }

    /// Where the next event of `kind` after trace length `from` is, as an
    /// index for [`Timeline::seek_index`].
    pub fn next_mark(&self, kind: MarkKind, from: u64) -> Option<u64> {
        if kind == MarkKind::ClientReply {
            let b = self.branch();
            let start = from.min(b.events.len());
            for c in start as usize / CHUNK..=b.events.sealed_chunks() {
                if b.events.replies(c) == Some(0) {
                    continue;
                }
                let base = (c * CHUNK) as u64;
                let chunk = self.chunk(c);
                let skip = start.saturating_sub(base) as usize;
                if let Some(p) = chunk
                    .get(skip..)
                    .and_then(|rest| rest.iter().position(|e| e.kind == EventKind::ClientReturn))
                {
                    return Some(base + (skip + p) as u64 + 1);
                }
            }
            return None;
        }
        self.markers()
            .iter()
            .find(|m| m.kind == kind && m.at > from)
            .map(|m| m.at)
    }

    /// Where the last event of `kind` before trace length `from` is.
    pub fn previous_mark(&self, kind: MarkKind, from: u64) -> Option<u64> {
        if kind == MarkKind::ClientReply {
            let b = self.branch();
            // The event at index `from - 1` is the one being looked at.
            let end = from.saturating_sub(1).min(b.events.len());
            if end == 0 {
                return None;
            }
            for c in (0..=(end - 1) as usize / CHUNK).rev() {
                if b.events.replies(c) == Some(0) {
                    continue;
                }
                let base = (c * CHUNK) as u64;
                let chunk = self.chunk(c);
                let upto = ((end - base) as usize).min(chunk.len());
                if let Some(p) = chunk[..upto]
                    .iter()
                    .rposition(|e| e.kind == EventKind::ClientReturn)
                {
                    return Some(base + p as u64 + 1);
                }
            }
            return None;
        }
        self.markers()
            .iter()
            .rev()
            .find(|m| m.kind == kind && m.at < from)
            .map(|m| m.at)
    }

    /// The state at the next (or previous) event of `kind` from `cursor`,
    /// if there is one on the branch. An event lands at the end of the
    /// step that recorded it, so going back skips events of the cursor's
    /// own step.
    pub fn jump(&self, kind: MarkKind, cursor: &Sim, forward: bool) -> Option<Sim> {
        let here = cursor.trace().len();
        if forward {
            return self.next_mark(kind, here).map(|at| self.seek_index(at));
        }
        let mut from = here;
        loop {
            let at = self.previous_mark(kind, from + 1)?;
            let sim = self.seek_index(at);
            if sim.trace().len() < here {
                return Some(sim);
            }
            from = at - 1;
        }
    }

    /// The events of the current branch in `range` (clamped to the head),
    /// replaying any chunk that was let go.
    pub fn events_in(&self, range: Range<u64>) -> Vec<TraceEvent> {
        let end = range.end.min(self.head_len());
        let start = range.start.min(end);
        let mut out = Vec::with_capacity((end - start) as usize);
        let mut at = start;
        while at < end {
            let c = at as usize / CHUNK;
            let base = (c * CHUNK) as u64;
            let upto = end.min(base + CHUNK as u64);
            let (from, to) = ((at - base) as usize, (upto - base) as usize);
            match self.branch().events.resident(c) {
                Some(events) => out.extend_from_slice(&events[from..to]),
                None => out.extend_from_slice(&self.chunk(c)[from..to]),
            }
            at = upto;
        }
        out
    }

    /// The event at `index` of the current branch.
    pub fn event(&self, index: u64) -> Option<TraceEvent> {
        (index < self.head_len()).then(|| self.events_in(index..index + 1)[0])
    }

    /// The index of the first event at `t` or later (`after`: later than
    /// `t`), or the head's length if there is none.
    pub fn index_at(&self, t: Time, after: bool) -> u64 {
        let log = &self.branch().events;
        let c = if after {
            log.chunk_after(t)
        } else {
            log.chunk_reaching(t)
        };
        let base = (c * CHUNK) as u64;
        let in_chunk = |events: &[TraceEvent]| {
            events.partition_point(|e| if after { e.time <= t } else { e.time < t })
        };
        let p = match log.resident(c) {
            Some(events) => in_chunk(events),
            None => in_chunk(&self.chunk(c)),
        };
        (base + p as u64).min(log.len())
    }

    /// Every crash, restart and network change of the current branch, as
    /// (trace index, event), in order.
    pub fn node_events(&self) -> &[(u64, TraceEvent)] {
        &self.branch().node_events
    }

    /// Chunk `c` of the current branch: held, cached, or replayed.
    fn chunk(&self, c: usize) -> Rc<[TraceEvent]> {
        let b = self.branch();
        if let Some(held) = b.events.shared(c) {
            return held;
        }
        if c == b.events.sealed_chunks() {
            return Rc::from(b.events.resident(c).unwrap_or(&[]));
        }
        let mut cache = self.cache.borrow_mut();
        if let Some(i) = cache.iter().position(|(id, k, _)| *id == b.id && *k == c) {
            let hit = cache.remove(i);
            let events = hit.2.clone();
            cache.push(hit);
            return events;
        }
        let events = Self::replay_chunk(b, c);
        self.replayed.set(self.replayed.get() + 1);
        if cache.len() >= CACHED_CHUNKS {
            cache.remove(0);
        }
        cache.push((b.id, c, events.clone()));
        events
    }

    /// Replays sealed chunk `c` of `b` from the latest snapshot before it.
    fn replay_chunk(b: &Branch, c: usize) -> Rc<[TraceEvent]> {
        let (start, end) = ((c * CHUNK) as u64, ((c + 1) * CHUNK) as u64);
        let i = b.snaps.partition_point(|s| s.len <= start).max(1) - 1;
        let mut sim = Self::restore_in(b, &b.snaps[i]);
        sim.trace_mut().set_keep(true);
        let mut steps = 0u32;
        while sim.trace().len() < end {
            if !sim.step() {
                break;
            }
            steps += 1;
            // Keep only what leads into the chunk: a thinned snapshot may
            // be a million events before it.
            if steps % 1024 == 0 && sim.trace().len() <= start {
                sim.trace_mut().drain_events(None);
            }
        }
        let trace = sim.trace();
        let from = (start - trace.first_kept()) as usize;
        let events = trace.events();
        Rc::from(&events[from.min(events.len())..(from + CHUNK).min(events.len())])
    }

    /// Makes sealed chunk `c` of branch `bi` resident again.
    fn make_resident(&mut self, bi: usize, c: usize) {
        if self.branches[bi].events.evicted(c) {
            let events = Self::replay_chunk(&self.branches[bi], c);
            self.replayed.set(self.replayed.get() + 1);
            self.branches[bi].events.restore(c, events);
        }
    }

    /// Lets one piece of old detail go, to stay within a memory budget the
    /// caller measures: first replayed chunks kept for reading, then the
    /// oldest chunk of events held (any branch; the recent ones of the
    /// current branch stay), then one snapshot where they are closest
    /// together (the first and the recent ones stay). Every instant stays
    /// reachable: what is let go is replayed when it is asked for.
    pub fn shed(&mut self) -> Shed {
        if self.cache.borrow_mut().pop().is_some() {
            return Shed::Events(0);
        }
        for (bi, b) in self.branches.iter_mut().enumerate() {
            let sealed = b.events.sealed_chunks();
            let keep_from = if bi == self.current {
                sealed.saturating_sub(KEEP_RECENT_CHUNKS)
            } else {
                sealed
            };
            // A chunk before the first snapshot could not be replayed.
            let first_snap = b.snaps.first().map_or(u64::MAX, |s| s.len);
            let replayable = (first_snap as usize).div_ceil(CHUNK);
            if let Some(c) = b.events.oldest_resident(replayable, keep_from) {
                return Shed::Events(b.events.evict(c));
            }
        }
        let current = self.current;
        let order =
            core::iter::once(current).chain((0..self.branches.len()).filter(|i| *i != current));
        for bi in order.collect::<Vec<_>>() {
            let snaps = &mut self.branches[bi].snaps;
            let n = snaps.len();
            if n < KEEP_RECENT_SNAPS + 2 {
                continue;
            }
            // Drop the one whose neighbours are closest: the spacing of
            // the older ones evens out as they thin.
            let Some(drop) =
                (1..n - KEEP_RECENT_SNAPS).min_by_key(|&i| snaps[i + 1].len - snaps[i - 1].len)
            else {
                continue;
            };
            snaps.remove(drop);
            return Shed::Snapshot;
        }
        Shed::Nothing
    }

    pub fn branches(&self) -> Vec<BranchInfo> {
        self.branches
            .iter()
            .enumerate()
            .map(|(i, b)| BranchInfo {
                id: b.id,
                parent: b.parent,
                fork_time: b.fork.map(|(_, t)| t),
                last_action: b.actions.last().cloned(),
                actions: b.actions.len(),
                head_events: b.events.len(),
                head_time: b.head_time,
                current: i == self.current,
            })
            .collect()
    }

    pub fn current_branch(&self) -> u32 {
        self.branch().id
    }

    /// Switches to branch `id`, returning a cursor where the user left it;
    /// `cursor` is where they leave the current one. `None` if there is no
    /// such branch.
    pub fn switch(&mut self, id: u32, cursor: &Sim) -> Option<Sim> {
        let to = self.branches.iter().position(|b| b.id == id)?;
        self.branches[self.current].left_at = (cursor.trace().len(), cursor.now());
        self.current = to;
        let (len, time) = self.branches[to].left_at;
        let mut sim = self.seek_index(len);
        if sim.now() < time && sim.next_event_time().is_none_or(|n| n > time) {
            sim.run_until(time, u64::MAX);
        }
        Some(sim)
    }
}
