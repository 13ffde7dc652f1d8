//! The simulator: a discrete-event queue ordered by (time, sequence number),
//! the network, the clients, and the nodes' timers. It owns time and
//! randomness; the protocol only reacts.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Ordering;

use serde::Serialize;

use crate::id::{ClientId, MessageId, NodeId, RequestId};
use crate::net::Network;
use crate::protocol::{
    Checker, ClientRequest, Effect, NodeDetail, NodeView, Op, OpDetail, Out, Outcome, Protocol,
    RoleKind, Slot, TimerId, Violation,
};
use crate::pvec::PVec;
use crate::rng::{Rng, Stream};
use crate::scenario::{Action, Faults, Scenario, ScenarioError, TimedAction};
use crate::time::{Span, Time};
use crate::trace::{stable_hash, DropReason, EventKind, NetChange, OutcomeTag, Trace, TraceEvent};

// --- explore: scripted schedules ---
mod script;

/// The client id user-issued requests get when the scenario names none.
pub const USER_CLIENT: ClientId = ClientId(1000);

/// A message on its way, as the UI draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Flight {
    pub id: MessageId,
    pub from: NodeId,
    pub to: NodeId,
    pub sent_at: Time,
    pub deliver_at: Time,
    /// Index into the protocol's `MSG_KINDS`.
    pub kind: u8,
    /// It will not arrive (lost, or its link is cut): the UI fades it out.
    pub doomed: bool,
}

/// A client operation from invocation to completion: one line of the
/// history that consistency checkers read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientOp {
    pub id: RequestId,
    pub client: ClientId,
    pub op: Op,
    /// The node the client first asked.
    pub node: NodeId,
    pub invoke: Time,
    /// When and how it ended; `None` while pending.
    pub result: Option<(Time, OpResult)>,
    /// The node whose answer completed it.
    pub served_by: Option<NodeId>,
    // --- quorum stores ---
    /// Replicas and versions behind the answer, from stores that report them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Box<OpDetail>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OpResult {
    /// It happened; reads carry what they read.
    Ok { value: Option<String> },
    /// It definitely did not happen.
    Fail { reason: String },
    /// Timed out: it may have happened.
    Unknown,
}

/// The first broken invariant of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FoundViolation {
    pub invariant: &'static str,
    /// Index in the trace of the event after which it was found.
    pub event_index: u64,
    pub time: Time,
    pub violation: Violation,
}

/// Counters for comparing protocols.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub sent: u64,
    /// Bytes of all messages sent, by the protocol's wire-size estimate.
    pub bytes: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub timers: u64,
    pub requests: u64,
    pub ok: u64,
    pub failed: u64,
    pub unknown: u64,
}

/// One recent event, rendered for the event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventLine {
    pub index: u64,
    pub event: TraceEvent,
    pub text: String,
}

#[derive(Clone, Debug)]
enum Item<M> {
    Deliver {
        id: MessageId,
        from: NodeId,
        to: NodeId,
        sent_at: Time,
        msg: M,
        /// Why it will be dropped on arrival, if it will.
        doomed: Option<DropReason>,
    },
    Timer {
        node: NodeId,
        timer: TimerId,
        generation: u32,
    },
    ClientArrive {
        node: NodeId,
        request: RequestId,
        hops: u8,
    },
    ClientTimeout {
        request: RequestId,
    },
    ClientNext {
        client: u32,
    },
}

#[derive(Clone, Debug)]
struct Queued<M> {
    time: Time,
    seq: u64,
    item: Item<M>,
}

impl<M> PartialEq for Queued<M> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<M> Eq for Queued<M> {}
impl<M> PartialOrd for Queued<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Queued<M> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct TimerSlot {
    generation: u32,
    set_at: Time,
    fires_at: Option<Time>,
    /// When the queue entry of the current generation is due. Resetting a
    /// timer to a later deadline keeps that entry and moves `fires_at`;
    /// the entry re-queues itself when it pops early. Raft followers reset
    /// their election timer on every AppendEntries, and without this each
    /// reset would leave a dead entry in the queue.
    queued: Option<Time>,
}

impl TimerSlot {
    /// Forgets any pending firing; queued entries become stale.
    fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.fires_at = None;
        self.queued = None;
    }
}

#[derive(Clone, Debug)]
struct Scheduled {
    at: Time,
    action: Action,
    /// From the scenario's user actions, not generated from `faults`.
    user: bool,
}

/// Puts a schedule in time order, generated faults before user actions at
/// the same instant. Stable: user actions keep their order within an
/// instant. Not a method of the generic `Sim<P>`, so the page carries one
/// copy of the sort rather than one per protocol.
fn sort_schedule(schedule: &mut [Scheduled]) {
    schedule.sort_by_key(|s| (s.at, s.user));
}

#[derive(Clone, Debug)]
struct Pending {
    history: usize,
    workload: Option<u32>,
    /// Redirects followed so far.
    hops: u8,
}

#[derive(Clone, Debug, Default)]
struct WorkloadClient {
    sent: u64,
    leader: Option<NodeId>,
}

/// A simulation of protocol `P` on one scenario.
#[derive(Clone, Debug)]
pub struct Sim<P: Protocol> {
    scenario: Scenario,
    config: P::Config,
    now: Time,
    nodes: Vec<Slot<P>>,
    timers: Vec<Vec<TimerSlot>>,
    queue: BinaryHeap<Queued<P::Msg>>,
    seq: u64,
    next_message: u64,
    next_request: u64,
    network: Network,
    rng_network: Rng,
    rng_timers: Rng,
    rng_workload: Rng,
    /// What is scheduled from `next_action` on; what came before it has
    /// been applied and is let go now and then ([`Sim::take_scheduled`]),
    /// so a long run's thousands of recorded requests are not kept twice.
    schedule: Vec<Scheduled>,
    next_action: usize,
    /// User actions applied so far (the scenario's first this many).
    applied_user: usize,
    /// The scenario's action list is kept elsewhere (by a timeline), so
    /// acting does not add to `scenario.actions` ([`Sim::forget_actions`]).
    actions_elsewhere: bool,
    out: Out<P::Msg>,
    checker: P::Checker,
    violation: Option<FoundViolation>,
    trace: Trace,
    /// In shared chunks: a snapshot shares all but the chunks written
    /// after it, so a long run's history is held once.
    history: PVec<ClientOp>,
    pending: BTreeMap<RequestId, Pending>,
    workload: Vec<WorkloadClient>,
    user_dropped: BTreeSet<MessageId>,
    recent: VecDeque<(u64, TraceEvent, Option<P::Msg>)>,
    recent_capacity: usize,
    stats: Stats,
    // --- explore: scripted schedules ---
    /// The next step of the scenario's script to take.
    script_next: usize,
}

impl<P: Protocol> Sim<P> {
    /// Builds a simulation. The scenario must be valid
    /// ([`Scenario::validate`]); `config` is its protocol configuration.
    pub fn new(scenario: &Scenario, config: P::Config, keep_trace: bool) -> Sim<P> {
        let n = usize::from(scenario.nodes);
        let seed = scenario.seed;
        let mut schedule: Vec<Scheduled> = scenario
            .actions
            .iter()
            .map(|a| Scheduled {
                at: a.at,
                action: a.action.clone(),
                user: true,
            })
            .collect();
        if let Some(faults) = &scenario.faults {
            schedule.extend(generate_faults(faults, scenario.nodes, seed));
        }
        // Generated faults go before user actions at the same instant, so a
        // user action recorded live (after everything due at that instant)
        // lands in the same place when the scenario is rebuilt.
        sort_schedule(&mut schedule);

        let checker = P::Checker::new(n, &config);
        let mut sim = Sim {
            scenario: scenario.clone(),
            nodes: (0..n)
                .map(|i| Slot::Up(P::new(NodeId(i as u16), n, &config)))
                .collect(),
            config,
            now: Time::ZERO,
            timers: vec![Vec::new(); n],
            queue: BinaryHeap::new(),
            seq: 0,
            next_message: 0,
            next_request: 0,
            network: Network::new(n, &scenario.network),
            rng_network: Rng::stream(seed, Stream::Network),
            rng_timers: Rng::stream(seed, Stream::Timers),
            rng_workload: Rng::stream(seed, Stream::Workload),
            schedule,
            next_action: 0,
            applied_user: 0,
            actions_elsewhere: false,
            out: Out::new(NodeId(0), scenario.nodes),
            checker,
            violation: None,
            trace: Trace::new(keep_trace),
            history: PVec::new(),
            pending: BTreeMap::new(),
            workload: Vec::new(),
            user_dropped: BTreeSet::new(),
            recent: VecDeque::new(),
            recent_capacity: 0,
            stats: Stats::default(),
            script_next: 0,
        };
        if let Some(w) = &scenario.workload {
            sim.workload = vec![WorkloadClient::default(); w.clients as usize];
            for c in 0..w.clients {
                let think = sim
                    .rng_workload
                    .range_inclusive(w.think.min.0, w.think.max.0);
                sim.push(w.start + Span(think), Item::ClientNext { client: c });
            }
        }
        for i in 0..n {
            sim.call(NodeId(i as u16), |node, out| node.on_start(out));
        }
        sim
    }

    fn push(&mut self, time: Time, item: Item<P::Msg>) {
        self.seq += 1;
        self.queue.push(Queued {
            time,
            seq: self.seq,
            item,
        });
    }

    fn record(&mut self, event: TraceEvent, digest: u64, msg: Option<&P::Msg>) {
        let index = self.trace.len();
        self.trace.push(event, digest);
        if self.recent_capacity > 0 {
            if self.recent.len() == self.recent_capacity {
                self.recent.pop_front();
            }
            self.recent.push_back((index, event, msg.cloned()));
        }
    }

    fn event(
        kind: EventKind,
        time: Time,
        node: NodeId,
        peer: NodeId,
        arg: u64,
        tag: u8,
    ) -> TraceEvent {
        TraceEvent {
            time,
            arg,
            node,
            peer,
            kind,
            tag,
        }
    }

    /// Runs one handler of `node` and carries out its effects, then checks
    /// the invariants.
    fn call(&mut self, node: NodeId, f: impl FnOnce(&mut P, &mut Out<P::Msg>)) {
        let Slot::Up(state) = &mut self.nodes[node.index()] else {
            return;
        };
        // Take the buffer out so effects can be applied to `self` while it
        // drains; it goes back with its capacity kept.
        let mut out = core::mem::replace(&mut self.out, Out::new(node, 0));
        out.reset(node, self.now);
        f(state, &mut out);
        for effect in out.drain() {
            self.apply_effect(node, effect);
        }
        self.out = out;
        self.check(node);
    }

    fn check(&mut self, node: NodeId) {
        if self.violation.is_some() {
            return;
        }
        if let Err(violation) = self.checker.check(&self.nodes, node) {
            self.violation = Some(FoundViolation {
                invariant: <P::Checker as Checker<P>>::INVARIANTS
                    .get(violation.invariant)
                    .copied()
                    .unwrap_or("invariant"),
                event_index: self.trace.len().saturating_sub(1),
                time: self.now,
                violation,
            });
        }
    }

    fn apply_effect(&mut self, from: NodeId, effect: Effect<P::Msg>) {
        match effect {
            Effect::Send { to, msg } => self.send(from, to, msg),
            Effect::SetTimer { timer, min, max } => {
                let delay = Span(self.rng_timers.range_inclusive(min.0, max.0).max(1));
                let slots = &mut self.timers[from.index()];
                if slots.len() <= usize::from(timer) {
                    slots.resize(usize::from(timer) + 1, TimerSlot::default());
                }
                let slot = &mut slots[usize::from(timer)];
                let fires = self.now + delay;
                slot.set_at = self.now;
                slot.fires_at = Some(fires);
                if slot.queued.is_some_and(|q| q <= fires) {
                    return; // the pending entry will re-queue itself
                }
                slot.generation = slot.generation.wrapping_add(1);
                slot.queued = Some(fires);
                let generation = slot.generation;
                self.push(
                    fires,
                    Item::Timer {
                        node: from,
                        timer,
                        generation,
                    },
                );
            }
            Effect::CancelTimer { timer } => {
                if let Some(slot) = self.timers[from.index()].get_mut(usize::from(timer)) {
                    // Keep the queued entry: a later reset may reuse it.
                    slot.fires_at = None;
                }
            }
            Effect::Reply { request, outcome } => self.client_reply(from, request, outcome),
            // --- quorum stores ---
            Effect::Detail { request, detail } => {
                if let Some(p) = self.pending.get(&request) {
                    if let Some(op) = self.history.get_mut(p.history) {
                        op.detail = Some(Box::new(detail));
                    }
                }
            }
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        if usize::from(to.0) >= self.nodes.len() || to == from {
            // A protocol bug, not user input: surface it loudly in tests.
            debug_assert!(false, "{from} sent to invalid node {to}");
            return;
        }
        let id = MessageId(self.next_message);
        self.next_message += 1;
        self.stats.sent += 1;
        self.stats.bytes += P::msg_size(&msg) as u64;
        let kind = P::msg_kind(&msg);
        self.record(
            Self::event(EventKind::Send, self.now, from, to, id.0, kind),
            stable_hash(&msg),
            Some(&msg),
        );
        if self.rng_network.chance(self.network.duplicate()) {
            self.enqueue(id, from, to, msg.clone());
        }
        self.enqueue(id, from, to, msg);
    }

    fn loss_now(&self) -> f64 {
        let extra = match &self.scenario.faults {
            Some(f) if self.now < f.until => f.loss,
            _ => 0.0,
        };
        self.network.loss() + extra
    }

    fn enqueue(&mut self, id: MessageId, from: NodeId, to: NodeId, msg: P::Msg) {
        let doomed = if !self.network.connected(from, to) {
            Some(DropReason::Partition)
        } else if self.rng_network.chance(self.loss_now()) {
            Some(DropReason::Loss)
        } else {
            None
        };
        let delay = self.network.delay(from, to, &mut self.rng_network);
        self.push(
            self.now + delay,
            Item::Deliver {
                id,
                from,
                to,
                sent_at: self.now,
                msg,
                doomed,
            },
        );
    }

    // ---- clients -------------------------------------------------------

    fn invoke(
        &mut self,
        node: NodeId,
        client: ClientId,
        op: Op,
        workload: Option<u32>,
    ) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.stats.requests += 1;
        let digest = stable_hash(&op);
        self.history.push(ClientOp {
            id,
            client,
            op,
            node,
            invoke: self.now,
            result: None,
            served_by: None,
            detail: None,
        });
        self.pending.insert(
            id,
            Pending {
                history: self.history.len() - 1,
                workload,
                hops: 0,
            },
        );
        self.push(
            self.now + self.scenario.clients.timeout,
            Item::ClientTimeout { request: id },
        );
        self.record(
            Self::event(EventKind::ClientInvoke, self.now, node, node, id.0, 0),
            digest,
            None,
        );
        self.arrive(node, id, 0);
        id
    }

    /// The request reaches `node` (first try, or after a redirect).
    fn arrive(&mut self, node: NodeId, request: RequestId, hops: u8) {
        let Some(pending) = self.pending.get(&request) else {
            return;
        };
        let op = &self.history[pending.history];
        if self.nodes[node.index()].up().is_none() {
            let reason = format!("{node} is down");
            self.complete(request, node, OpResult::Fail { reason });
            return;
        }
        let req = ClientRequest {
            id: request,
            client: op.client,
            op: op.op.clone(),
        };
        if hops > 0 {
            self.record(
                Self::event(
                    EventKind::ClientInvoke,
                    self.now,
                    node,
                    node,
                    request.0,
                    hops,
                ),
                0,
                None,
            );
        }
        self.call(node, |state, out| state.on_client_request(req, out));
    }

    fn client_reply(&mut self, from: NodeId, request: RequestId, outcome: Outcome) {
        if !self.pending.contains_key(&request) {
            // Answered after the client gave up, or a duplicate answer.
            return;
        }
        match outcome {
            Outcome::Ok { value } => self.complete(request, from, OpResult::Ok { value }),
            Outcome::Fail { reason } => self.complete(request, from, OpResult::Fail { reason }),
            Outcome::Redirect { leader } => {
                let hops = self.pending.get(&request).map_or(0, |p| p.hops);
                // --- pinned clients ---
                let home = self.home(self.pending.get(&request).and_then(|p| p.workload));
                if let (Some(home), Some(next)) = (home, leader) {
                    if !self.network.connected(home, next) {
                        let reason = format!("{next} is out of the client's reach");
                        self.complete(request, from, OpResult::Fail { reason });
                        return;
                    }
                }
                match leader {
                    Some(next) if next != from && hops < self.scenario.clients.redirects => {
                        if let Some(p) = self.pending.get_mut(&request) {
                            p.hops = hops + 1;
                        }
                        let delay = self.network.delay(from, next, &mut self.rng_network);
                        self.push(
                            self.now + delay,
                            Item::ClientArrive {
                                node: next,
                                request,
                                hops: hops + 1,
                            },
                        );
                    }
                    _ => {
                        let reason = String::from("no leader known");
                        self.complete(request, from, OpResult::Fail { reason });
                    }
                }
            }
        }
    }

    fn complete(&mut self, request: RequestId, by: NodeId, result: OpResult) {
        let Some(pending) = self.pending.remove(&request) else {
            return;
        };
        let tag = match &result {
            OpResult::Ok { .. } => {
                self.stats.ok += 1;
                OutcomeTag::Ok
            }
            OpResult::Fail { .. } => {
                self.stats.failed += 1;
                OutcomeTag::Fail
            }
            OpResult::Unknown => {
                self.stats.unknown += 1;
                OutcomeTag::Unknown
            }
        };
        let digest = stable_hash(&match &result {
            OpResult::Ok { value } => value.as_deref(),
            _ => None,
        });
        let entry = self
            .history
            .get_mut(pending.history)
            .expect("a pending operation is in the history");
        entry.result = Some((self.now, result));
        entry.served_by = Some(by);
        self.record(
            Self::event(
                EventKind::ClientReturn,
                self.now,
                by,
                by,
                request.0,
                tag as u8,
            ),
            digest,
            None,
        );
        if let Some(client) = pending.workload {
            if tag == OutcomeTag::Ok {
                self.workload[client as usize].leader = Some(by);
            } else {
                self.workload[client as usize].leader = None;
            }
            if let Some(w) = &self.scenario.workload {
                let think = self
                    .rng_workload
                    .range_inclusive(w.think.min.0, w.think.max.0);
                self.push(self.now + Span(think), Item::ClientNext { client });
            }
        }
    }

    // --- pinned clients ---
    /// The node a pinned workload client sits next to.
    fn home(&self, workload: Option<u32>) -> Option<NodeId> {
        let client = workload?;
        self.scenario
            .clients
            .pinned
            .then(|| NodeId((client as usize % self.nodes.len()) as u16))
    }

    fn workload_next(&mut self, client: u32) {
        let Some(w) = self.scenario.workload.clone() else {
            return;
        };
        if w.stop.is_some_and(|stop| self.now >= stop) {
            return;
        }
        let state = &mut self.workload[client as usize];
        state.sent += 1;
        let seq = state.sent;
        let known = state.leader;
        let key = format!("k{}", self.rng_workload.index(w.keys as usize));
        let roll = self.rng_workload.unit();
        let op = if roll < w.reads {
            Op::Get { key }
        } else if roll < w.reads + (1.0 - w.reads) / 2.0 {
            Op::Put {
                key,
                value: format!("{client}.{seq}"),
            }
        } else {
            Op::Append {
                key,
                value: format!("{client}.{seq};"),
            }
        };
        let node = match known {
            Some(n) => n,
            None => NodeId(self.rng_workload.index(self.nodes.len()) as u16),
        };
        // --- pinned clients ---
        let node = match self.home(Some(client)) {
            Some(home) if !self.network.connected(home, node) => home,
            _ => node,
        };
        self.invoke(node, ClientId(client), op, Some(client));
    }

    // ---- the event loop -------------------------------------------------

    /// When the next event is due, if anything is left to happen.
    pub fn next_event_time(&self) -> Option<Time> {
        if let Some(at) = self.scripted_next_time() {
            return Some(at);
        }
        let action = self.schedule.get(self.next_action).map(|s| s.at);
        let queued = self.queue.peek().map(|q| q.time);
        match (action, queued) {
            (Some(a), Some(q)) => Some(a.min(q)),
            (a, q) => a.or(q),
        }
    }

    /// Processes the next event. Returns false when nothing is left.
    pub fn step(&mut self) -> bool {
        if let Some(stepped) = self.script_step() {
            return stepped;
        }
        loop {
            let before = self.trace.len();
            if !self.take_next() {
                return false;
            }
            if self.trace.len() > before {
                return true;
            }
        }
    }

    /// Takes the next scheduled action or queued item, whichever is due
    /// first; it may record nothing (a stale timer). Returns false when
    /// neither is left. `step` and `step_within` share it so that both
    /// take events in one order.
    fn take_next(&mut self) -> bool {
        let action = self.schedule.get(self.next_action).map(|s| s.at);
        let queued = self.queue.peek().map(|q| q.time);
        // Queued events due at the same instant as an action go first:
        // that is the order a user acting live sees.
        let take_action = match (action, queued) {
            (None, None) => return false,
            (Some(a), Some(q)) => a < q,
            (Some(_), None) => true,
            (None, Some(_)) => false,
        };
        if take_action {
            let scheduled = self.take_scheduled();
            self.now = self.now.max(scheduled.at);
            self.apply_action(&scheduled.action);
        } else {
            let Some(q) = self.queue.pop() else {
                return false;
            };
            self.now = self.now.max(q.time);
            self.process(q.item);
        }
        true
    }

    /// The next scheduled action, which is due (the caller checked).
    /// Applied entries are dropped in batches, so the schedule holds what
    /// is still to come and never a long run's whole past.
    fn take_scheduled(&mut self) -> Scheduled {
        let scheduled = self.schedule[self.next_action].clone();
        self.next_action += 1;
        if scheduled.user {
            self.applied_user += 1;
        }
        if self.next_action >= 1024 && self.next_action * 2 >= self.schedule.len() {
            self.schedule.drain(..self.next_action);
            self.next_action = 0;
        }
        scheduled
    }

    // --- exact stops ---
    /// Like [`Sim::step`], but never takes an event due after `limit`:
    /// `step` runs on through events that leave no trace (a stale timer, a
    /// message to a crashed node) to the next one that does, which may lie
    /// past a time the caller must stop at (a tour caption, a steady
    /// request). Returns true when an event was recorded, false when
    /// nothing traced happened by `limit`; the clock never passes `limit`.
    ///
    /// The events taken, and their order, are those `step` takes: where a
    /// run stops never changes its trace.
    pub fn step_within(&mut self, limit: Time) -> bool {
        loop {
            if self.next_event_time().is_none_or(|t| t > limit) {
                return false;
            }
            let before = self.trace.len();
            match self.script_step() {
                Some(false) => return false,
                Some(true) => {}
                None => {
                    if !self.take_next() {
                        return false;
                    }
                }
            }
            if self.trace.len() > before {
                return true;
            }
        }
    }

    /// Runs every event due at or before `until`, at most `max_events` of
    /// them. Returns true when it got to `until` (and the clock is then at
    /// `until`), false when it stopped early at the event bound.
    pub fn run_until(&mut self, until: Time, max_events: u64) -> bool {
        let start = self.trace.len();
        while let Some(next) = self.next_event_time() {
            if next > until {
                break;
            }
            if self.trace.len() - start >= max_events {
                return false;
            }
            // --- exact stops --- (never past `until`)
            self.step_within(until);
        }
        self.now = self.now.max(until);
        true
    }

    fn process(&mut self, item: Item<P::Msg>) {
        match item {
            Item::Deliver {
                id,
                from,
                to,
                msg,
                doomed,
                ..
            } => {
                if self.user_dropped.contains(&id) {
                    return;
                }
                let reason = if let Some(reason) = doomed {
                    Some(reason)
                } else if !self.network.connected(from, to) {
                    Some(DropReason::Partition)
                } else if self.nodes[to.index()].up().is_none() {
                    Some(DropReason::NodeDown)
                } else {
                    None
                };
                let kind = P::msg_kind(&msg);
                if let Some(reason) = reason {
                    self.stats.dropped += 1;
                    self.record(
                        Self::event(EventKind::Drop, self.now, to, from, id.0, reason as u8),
                        u64::from(kind),
                        Some(&msg),
                    );
                    return;
                }
                self.stats.delivered += 1;
                self.record(
                    Self::event(EventKind::Deliver, self.now, to, from, id.0, kind),
                    0,
                    Some(&msg),
                );
                self.call(to, |state, out| state.on_message(from, msg, out));
            }
            Item::Timer {
                node,
                timer,
                generation,
            } => {
                let Some(slot) = self.timers[node.index()].get_mut(usize::from(timer)) else {
                    return;
                };
                if slot.generation != generation || self.nodes[node.index()].up().is_none() {
                    return; // superseded, or its node crashed
                }
                slot.queued = None;
                match slot.fires_at {
                    None => {} // cancelled
                    Some(at) if at > self.now => {
                        // Reset to a later deadline since this was queued.
                        slot.queued = Some(at);
                        self.push(
                            at,
                            Item::Timer {
                                node,
                                timer,
                                generation,
                            },
                        );
                    }
                    Some(_) => {
                        slot.fires_at = None;
                        self.fire_timer(node, timer);
                    }
                }
            }
            Item::ClientArrive {
                node,
                request,
                hops,
            } => self.arrive(node, request, hops),
            Item::ClientTimeout { request } => {
                if self.pending.contains_key(&request) {
                    let node = self
                        .pending
                        .get(&request)
                        .map_or(NodeId(0), |p| self.history[p.history].node);
                    self.complete(request, node, OpResult::Unknown);
                }
            }
            Item::ClientNext { client } => self.workload_next(client),
        }
    }

    fn fire_timer(&mut self, node: NodeId, timer: TimerId) {
        self.stats.timers += 1;
        self.record(
            Self::event(EventKind::Timer, self.now, node, node, 0, timer),
            0,
            None,
        );
        self.call(node, |state, out| state.on_timer(timer, out));
    }

    fn apply_action(&mut self, action: &Action) {
        let digest = stable_hash(action);
        let now = self.now;
        let net_event = |change: NetChange, a: NodeId, b: NodeId| {
            Self::event(EventKind::Network, now, a, b, 0, change as u8)
        };
        match action {
            Action::Partition { groups } => {
                self.network.partition(groups);
                self.record(
                    net_event(NetChange::Partition, NodeId(0), NodeId(0)),
                    digest,
                    None,
                );
            }
            Action::Heal => {
                self.network.heal();
                self.record(
                    net_event(NetChange::Heal, NodeId(0), NodeId(0)),
                    digest,
                    None,
                );
            }
            Action::CutLink { from, to, both } | Action::RestoreLink { from, to, both } => {
                let cut = matches!(action, Action::CutLink { .. });
                self.network.set_cut(*from, *to, cut);
                if *both {
                    self.network.set_cut(*to, *from, cut);
                }
                let change = if cut {
                    NetChange::Cut
                } else {
                    NetChange::Restore
                };
                self.record(net_event(change, *from, *to), digest, None);
            }
            Action::Crash { node } => {
                let slot = &mut self.nodes[node.index()];
                if let Slot::Up(state) = slot {
                    *slot = Slot::Down(state.durable());
                    for t in &mut self.timers[node.index()] {
                        t.clear();
                    }
                    self.checker.on_crash(*node);
                    self.record(
                        Self::event(EventKind::Crash, now, *node, *node, 0, 0),
                        digest,
                        None,
                    );
                }
            }
            Action::Restart { node } => {
                if let Slot::Down(durable) = &self.nodes[node.index()] {
                    let state = P::recover(*node, self.nodes.len(), &self.config, durable.clone());
                    self.nodes[node.index()] = Slot::Up(state);
                    self.record(
                        Self::event(EventKind::Restart, now, *node, *node, 0, 0),
                        digest,
                        None,
                    );
                    self.call(*node, |state, out| state.on_start(out));
                }
            }
            Action::Timeout { node } => {
                if let Some((timer, _)) = P::USER_TIMER {
                    if self.nodes[node.index()].up().is_some() {
                        if let Some(slot) = self.timers[node.index()].get_mut(usize::from(timer)) {
                            slot.clear();
                        }
                        self.fire_timer(*node, timer);
                    }
                }
            }
            Action::Request { node, client, op } => {
                let client = client.unwrap_or(USER_CLIENT);
                self.invoke(*node, client, op.clone(), None);
            }
            Action::DropMessage { id } => {
                let found = self.queue.iter().find_map(|q| match &q.item {
                    Item::Deliver {
                        id: m,
                        from,
                        to,
                        msg,
                        ..
                    } if m == id => Some((*from, *to, P::msg_kind(msg))),
                    _ => None,
                });
                if let Some((from, to, kind)) = found {
                    if self.user_dropped.insert(*id) {
                        self.stats.dropped += 1;
                        self.record(
                            Self::event(
                                EventKind::Drop,
                                now,
                                to,
                                from,
                                id.0,
                                DropReason::User as u8,
                            ),
                            u64::from(kind),
                            None,
                        );
                    }
                }
            }
            // --- user votes (atomic commit) ---
            Action::Vote { node, yes } => {
                // Nothing is sent: the choice shows in the votes that follow,
                // which the trace records.
                if let Slot::Up(state) = &mut self.nodes[node.index()] {
                    if state.votes() {
                        state.set_vote(*yes);
                    }
                }
            }
        }
    }

    /// Applies a user action now and records it in the scenario, so the
    /// scenario replays this run exactly. Everything already due at this
    /// instant runs first, which is where a replay will put the action.
    pub fn act(&mut self, action: Action) -> Result<(), ScenarioError> {
        // The probe is the scenario with this one action; not a copy of
        // every action so far (a long run has tens of thousands).
        let actions = core::mem::take(&mut self.scenario.actions);
        let mut probe = self.scenario.clone();
        self.scenario.actions = actions;
        probe.actions = vec![TimedAction {
            at: self.now,
            action: action.clone(),
        }];
        probe.validate().map_err(|mut e| {
            e.path = e.path.replacen("actions[0].", "", 1);
            e
        })?;
        self.check_applicable(&action)?;
        let now = self.now;
        self.run_until(now, u64::MAX);
        if !self.actions_elsewhere {
            let at_or_before = self.scenario.actions.partition_point(|a| a.at <= now);
            self.scenario.actions.insert(
                at_or_before,
                TimedAction {
                    at: now,
                    action: action.clone(),
                },
            );
        }
        // Applied at once: it joins the scenario, not the schedule.
        self.applied_user += 1;
        self.apply_action(&action);
        Ok(())
    }

    /// Rejects actions that would do nothing, so they are not recorded.
    fn check_applicable(&self, action: &Action) -> Result<(), ScenarioError> {
        let up = |n: &NodeId| self.nodes[n.index()].up().is_some();
        match action {
            Action::Crash { node } if !up(node) => Err(ScenarioError::new(
                "node",
                format!("{node} is already down"),
            )),
            Action::Restart { node } if up(node) => {
                Err(ScenarioError::new("node", format!("{node} is running")))
            }
            Action::Timeout { node } if !up(node) => Err(ScenarioError::new(
                "node",
                format!("{node} is down; restart it first"),
            )),
            Action::Timeout { .. } if P::USER_TIMER.is_none() => Err(ScenarioError::new(
                "kind",
                format!("{} has no timer to force", P::NAME),
            )),
            // --- user votes (atomic commit) ---
            Action::Vote { node, .. } if !up(node) => Err(ScenarioError::new(
                "node",
                format!("{node} is down; restart it first"),
            )),
            Action::Vote { node, .. } if !self.nodes[node.index()].up().is_some_and(P::votes) => {
                Err(ScenarioError::new(
                    "node",
                    format!("{node} casts no vote to choose in {}", P::NAME),
                ))
            }
            Action::DropMessage { id } => {
                let in_flight = !self.user_dropped.contains(id)
                    && self
                        .queue
                        .iter()
                        .any(|q| matches!(&q.item, Item::Deliver { id: m, .. } if m == id));
                if in_flight {
                    Ok(())
                } else {
                    Err(ScenarioError::new("id", format!("{id} is not in flight")))
                }
            }
            _ => Ok(()),
        }
    }

    // ---- what the outside may look at -----------------------------------

    pub fn now(&self) -> Time {
        self.now
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn nodes(&self) -> &[Slot<P>] {
        &self.nodes
    }

    pub fn node(&self, id: NodeId) -> Option<&P> {
        self.nodes.get(id.index()).and_then(Slot::up)
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn violation(&self) -> Option<&FoundViolation> {
        self.violation.as_ref()
    }

    pub fn history(&self) -> &PVec<ClientOp> {
        &self.history
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The most decisions any node has learned (running nodes only).
    pub fn decided(&self) -> u64 {
        self.nodes
            .iter()
            .filter_map(Slot::up)
            .map(P::decided)
            .max()
            .unwrap_or(0)
    }

    pub fn node_view(&self, id: NodeId) -> NodeView {
        match &self.nodes[id.index()] {
            Slot::Up(p) => p.view(),
            Slot::Down(durable) => {
                // Show what survives: rebuild a node from its durable state
                // without starting it.
                let p = P::recover(id, self.nodes.len(), &self.config, durable.clone());
                let mut view = p.view();
                view.role = RoleKind::Down;
                view.role_label = "down";
                view.leader = None;
                view
            }
        }
    }

    pub fn node_detail(&self, id: NodeId) -> NodeDetail {
        match &self.nodes[id.index()] {
            Slot::Up(p) => p.detail(),
            Slot::Down(durable) => {
                P::recover(id, self.nodes.len(), &self.config, durable.clone()).detail()
            }
        }
    }

    // --- quorum stores ---
    /// The versions `node` stores (its durable state, if it is down).
    pub fn stored_versions(&self, id: NodeId) -> Vec<crate::version::KeyVersions> {
        match &self.nodes[id.index()] {
            Slot::Up(p) => p.stored_versions(),
            Slot::Down(durable) => {
                P::recover(id, self.nodes.len(), &self.config, durable.clone()).stored_versions()
            }
        }
    }

    /// The user-forceable timer of `node`: when it was set and when it fires.
    pub fn user_timer(&self, id: NodeId) -> Option<(Time, Time)> {
        let (timer, _) = P::USER_TIMER?;
        let slot = self.timers[id.index()].get(usize::from(timer))?;
        slot.fires_at.map(|at| (slot.set_at, at))
    }

    /// Visits every message in flight (not yet delivered or dropped).
    pub fn for_each_in_flight(&self, mut f: impl FnMut(&Flight)) {
        for q in self.queue.iter() {
            if let Item::Deliver {
                id,
                from,
                to,
                sent_at,
                msg,
                doomed,
            } = &q.item
            {
                if self.user_dropped.contains(id) {
                    continue;
                }
                f(&Flight {
                    id: *id,
                    from: *from,
                    to: *to,
                    sent_at: *sent_at,
                    deliver_at: q.time,
                    kind: P::msg_kind(msg),
                    doomed: doomed.is_some() || !self.network.connected(*from, *to),
                });
            }
        }
    }

    pub fn message_label(&self, id: MessageId) -> Option<String> {
        self.queue.iter().find_map(|q| match &q.item {
            Item::Deliver { id: m, msg, .. } if *m == id => Some(P::msg_label(msg)),
            _ => None,
        })
    }

    /// Keeps the last `n` events with their messages, for an event log.
    pub fn set_recent_capacity(&mut self, n: usize) {
        self.recent_capacity = n;
        while self.recent.len() > n {
            self.recent.pop_front();
        }
    }

    /// The last `max` events, newest last, in words.
    pub fn recent_events(&self, max: usize) -> Vec<EventLine> {
        let skip = self.recent.len().saturating_sub(max);
        self.recent
            .iter()
            .skip(skip)
            .map(|(index, event, msg)| EventLine {
                index: *index,
                event: *event,
                text: self.describe(event, msg.as_ref()),
            })
            .collect()
    }

    /// Request ids are handed out in history order, so an id is its index.
    fn op_by_id(&self, id: u64) -> Option<&ClientOp> {
        self.history.get(id as usize).filter(|o| o.id.0 == id)
    }

    fn describe(&self, e: &TraceEvent, msg: Option<&P::Msg>) -> String {
        let label = || msg.map(P::msg_label).unwrap_or_default();
        match e.kind {
            EventKind::Send => format!("{} → {}: {}", e.node, e.peer, label()),
            EventKind::Deliver => format!("{} ← {}: {}", e.node, e.peer, label()),
            EventKind::Drop => format!(
                "{} → {} dropped ({}): {}",
                e.peer,
                e.node,
                DropReason::from_tag(e.tag).name(),
                label()
            ),
            EventKind::Timer => {
                let name = match P::USER_TIMER {
                    Some((t, name)) if t == e.tag => name,
                    _ => "timer",
                };
                format!("{}: {name} fired", e.node)
            }
            EventKind::Crash => format!("{} crashed", e.node),
            EventKind::Restart => format!("{} restarted", e.node),
            EventKind::Network => match e.tag {
                0 => String::from("network partitioned"),
                1 => String::from("network healed"),
                2 => format!("link {} → {} cut", e.node, e.peer),
                _ => format!("link {} → {} restored", e.node, e.peer),
            },
            EventKind::ClientInvoke => {
                let op = self.op_by_id(e.arg);
                match op {
                    Some(op) => format!("{} asks {}: {}", op.client, e.node, op.op),
                    None => format!("request r{} reaches {}", e.arg, e.node),
                }
            }
            EventKind::ClientReturn => {
                let op = self.op_by_id(e.arg);
                match op.and_then(|o| o.result.as_ref().map(|r| (o, r))) {
                    Some((op, (_, OpResult::Ok { value }))) => match (&op.op, value) {
                        (Op::Get { .. }, Some(v)) => {
                            format!("{} ← {}: {} = {v:?}", op.client, e.node, op.op)
                        }
                        (Op::Get { .. }, None) => {
                            format!("{} ← {}: {} = nothing", op.client, e.node, op.op)
                        }
                        _ => format!("{} ← {}: {} ok", op.client, e.node, op.op),
                    },
                    Some((op, (_, OpResult::Fail { reason }))) => {
                        format!("{} ← {}: {} failed: {reason}", op.client, e.node, op.op)
                    }
                    Some((op, (_, OpResult::Unknown))) => {
                        format!("{}: {} timed out (outcome unknown)", op.client, op.op)
                    }
                    None => format!("request r{} answered", e.arg),
                }
            }
        }
    }

    // --- time travel ---

    /// A copy of this simulation that keeps the trace's count and hash but
    /// not its events, nor the scenario's action list: a timeline holds
    /// those once for many snapshots, and gives the list back to the copy
    /// it restores (`set_future_actions`), which is then the same as the
    /// original.
    pub fn snapshot(&self) -> Sim<P> {
        let s = &self.scenario;
        Sim {
            // Without its action list, which grows with every request a
            // long run records: the timeline holds one copy per branch and
            // gives it back on restoring (`set_future_actions`).
            scenario: Scenario {
                title: s.title.clone(),
                protocol: s.protocol.clone(),
                nodes: s.nodes,
                seed: s.seed,
                network: s.network.clone(),
                clients: s.clients.clone(),
                workload: s.workload.clone(),
                faults: s.faults.clone(),
                actions: Vec::new(),
                until: s.until,
                script: s.script.clone(),
                captions: s.captions.clone(),
            },
            config: self.config.clone(),
            now: self.now,
            nodes: self.nodes.clone(),
            timers: self.timers.clone(),
            queue: self.queue.clone(),
            seq: self.seq,
            next_message: self.next_message,
            next_request: self.next_request,
            network: self.network.clone(),
            rng_network: self.rng_network.clone(),
            rng_timers: self.rng_timers.clone(),
            rng_workload: self.rng_workload.clone(),
            // What is still to come; the past and the scenario's action
            // list are the timeline's to give back (`set_future_actions`).
            schedule: self.schedule[self.next_action..].to_vec(),
            next_action: 0,
            applied_user: self.applied_user,
            actions_elsewhere: self.actions_elsewhere,
            out: Out::new(NodeId(0), self.scenario.nodes),
            checker: self.checker.clone(),
            violation: self.violation.clone(),
            trace: self.trace.without_events(),
            // Shares its chunks: cheap, and the copy keeps the results of
            // the operations pending now unset, as they are in this state.
            history: self.history.clone(),
            pending: self.pending.clone(),
            workload: self.workload.clone(),
            user_dropped: self.user_dropped.clone(),
            recent: self.recent.clone(),
            recent_capacity: self.recent_capacity,
            stats: self.stats,
            // A scripted run restored mid-script goes on from the same step.
            script_next: self.script_next,
        }
    }

    /// How many of the scenario's user actions have been applied.
    pub fn applied_user_actions(&self) -> usize {
        self.applied_user
    }

    /// Replaces the user actions still to come: `actions` is a whole action
    /// list whose first [`Sim::applied_user_actions`] entries are the ones
    /// already applied, the rest are scheduled as a rebuilt scenario would
    /// schedule them. A snapshot taken before the user acted learns the
    /// later actions this way, and a branch drops the old branch's future.
    pub fn set_future_actions(&mut self, actions: &[TimedAction]) {
        let applied = self.applied_user_actions().min(actions.len());
        let mut rest: Vec<Scheduled> = self.schedule[self.next_action..]
            .iter()
            .filter(|s| !s.user)
            .cloned()
            .collect();
        rest.extend(actions[applied..].iter().map(|a| Scheduled {
            at: a.at,
            action: a.action.clone(),
            user: true,
        }));
        sort_schedule(&mut rest);
        self.schedule.truncate(self.next_action);
        self.schedule.extend(rest);
        if !self.actions_elsewhere {
            self.scenario.actions = actions.to_vec();
        }
    }

    /// Stops keeping the scenario's action list (and drops it): the caller
    /// keeps it, as a timeline does for every branch. The run is the same;
    /// only [`Sim::scenario`]'s `actions` is then empty. A long run of
    /// steady requests would otherwise hold each of them twice.
    pub fn forget_actions(&mut self) {
        self.actions_elsewhere = true;
        self.scenario.actions = Vec::new();
    }

    /// The term `node` leads in, if it is up and leads.
    pub fn leads(&self, node: NodeId) -> Option<u64> {
        self.node(node).and_then(P::leads)
    }

    /// The trace, to start or stop keeping events or hand them over.
    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }
}

/// Draws the random faults of a scenario from its seed: crashes (never more
/// than `max_down` at once), restarts, partitions into two groups, single
/// link cuts and heals; then, at `until`, a heal and a restart of every node
/// still down.
fn generate_faults(faults: &Faults, nodes: u16, seed: u64) -> Vec<Scheduled> {
    let mut rng = Rng::stream(seed, Stream::Faults);
    let n = usize::from(nodes);
    let max_down = usize::from(faults.max_down.unwrap_or((nodes.saturating_sub(1)) / 2));
    let mut down: Vec<bool> = vec![false; n];
    let mut out = Vec::new();
    let mut t = Time::ZERO;
    let every = faults.every.0.max(2);
    loop {
        t += Span(rng.range_inclusive(every / 2, every.saturating_add(every / 2)));
        if t >= faults.until {
            break;
        }
        let down_count = down.iter().filter(|d| **d).count();
        let mut options: Vec<u8> = Vec::new();
        if faults.crashes && down_count < max_down {
            options.push(0);
        }
        if faults.crashes && down_count > 0 {
            options.push(1);
        }
        if faults.partitions && n > 1 {
            options.extend([2, 3, 4]);
        }
        if options.is_empty() {
            break;
        }
        let action = match options[rng.index(options.len())] {
            0 => {
                let up: Vec<usize> = (0..n).filter(|i| !down[*i]).collect();
                let pick = up[rng.index(up.len())];
                down[pick] = true;
                Action::Crash {
                    node: NodeId(pick as u16),
                }
            }
            1 => {
                let gone: Vec<usize> = (0..n).filter(|i| down[*i]).collect();
                let pick = gone[rng.index(gone.len())];
                down[pick] = false;
                Action::Restart {
                    node: NodeId(pick as u16),
                }
            }
            2 => {
                // A random minority split off from the rest.
                let size = 1 + rng.index((n / 2).max(1));
                let mut members: Vec<NodeId> = Vec::new();
                while members.len() < size {
                    let pick = NodeId(rng.index(n) as u16);
                    if !members.contains(&pick) {
                        members.push(pick);
                    }
                }
                members.sort();
                Action::Partition {
                    groups: vec![members],
                }
            }
            3 => Action::Heal,
            _ => {
                let from = rng.index(n);
                let mut to = rng.index(n - 1);
                if to >= from {
                    to += 1;
                }
                Action::CutLink {
                    from: NodeId(from as u16),
                    to: NodeId(to as u16),
                    both: rng.chance(0.5),
                }
            }
        };
        out.push(Scheduled {
            at: t,
            action,
            user: false,
        });
    }
    out.push(Scheduled {
        at: faults.until,
        action: Action::Heal,
        user: false,
    });
    for (i, d) in down.iter().enumerate() {
        if *d {
            out.push(Scheduled {
                at: faults.until,
                action: Action::Restart {
                    node: NodeId(i as u16),
                },
                user: false,
            });
        }
    }
    out
}
