//! The simulator: one engine, compiled once, for every protocol. It owns
//! time (a discrete-event queue ordered by time and sequence number), the
//! network, randomness, the clients, user actions and faults, the trace and
//! snapshots; the protocol's nodes sit behind [`Cluster`] and only react.
//!
//! By concern: `queue` (the event queue and its order), `timers` (lazy
//! re-arming), `messages` (sending, delivery, drops), `clients` (history,
//! pending requests, redirects, the workload, pinned clients), `actions`
//! (user actions, `act`, the schedule), `faults` (random fault
//! generation), `describe` (events in words), `snapshot` (copies for time
//! travel) and `script` (scripted runs).
//!
//! The clock boundary: the engine keeps true time, and messages, client
//! timeouts and actions run on it. Each node reads its own [`Clock`]: the
//! handlers see the node's local time (`Out::now`), and the delays they
//! ask timers for are local durations, turned into true time when armed
//! (`timers`). A node whose clock has no offset and no drift sees true
//! time, bit for bit.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::clock::Clock;
use crate::cluster::{route, Cluster, Filed, Input, MsgRef, Sink};
use crate::id::{MessageId, NodeId, RequestId};
use crate::net::Network;
use crate::protocol::{Effect, NodeDetail, NodeView, OpDetail, Outcome, TimerId, Violation};
use crate::pvec::PVec;
use crate::registry::Descriptor;
use crate::rng::{Rng, Stream};
use crate::scenario::{Scenario, ScenarioError};
use crate::time::{Span, Time};
use crate::trace::{EventKind, Trace, TraceEvent};

mod actions;
mod clients;
mod describe;
mod faults;
mod messages;
mod queue;
mod script;
mod snapshot;
mod timers;

use actions::{sort_schedule, Scheduled};
pub use clients::{ClientOp, OpResult, USER_CLIENT};
use clients::{Pending, WorkloadClient};
pub use describe::EventLine;
use queue::{Item, Queued};
use timers::TimerSlot;

/// A message on its way, as the UI draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Flight {
    pub id: MessageId,
    pub from: NodeId,
    pub to: NodeId,
    pub sent_at: Time,
    pub deliver_at: Time,
    /// Index into the protocol's message kinds.
    pub kind: u8,
    /// It will not arrive (lost, or its link is cut): the UI fades it out.
    pub doomed: bool,
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

/// Options that change what a run keeps, never what it does.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Keep every trace event (else only count and hash them).
    pub keep_trace: bool,
    /// How many recent events to keep with their messages, for an event log.
    pub recent_events: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            keep_trace: true,
            recent_events: 0,
        }
    }
}

/// A trace event; every one the engine records is made here.
fn event(kind: EventKind, time: Time, node: NodeId, peer: NodeId, arg: u64, tag: u8) -> TraceEvent {
    TraceEvent {
        time,
        arg,
        node,
        peer,
        kind,
        tag,
    }
}

/// Validates `scenario` and builds its simulation.
pub fn build(scenario: &Scenario, options: RunOptions) -> Result<Sim, ScenarioError> {
    scenario.validate()?;
    Ok(Sim::new(scenario, options))
}

/// A simulation of one scenario, whatever its protocol.
pub struct Sim {
    scenario: Scenario,
    protocol: &'static Descriptor,
    cluster: Box<dyn Cluster>,
    now: Time,
    /// Each node's clock, by index; empty while every clock is perfect,
    /// so a run without clocks converts nothing.
    clocks: Vec<Clock>,
    timers: Vec<Vec<TimerSlot>>,
    queue: BinaryHeap<Queued>,
    seq: u64,
    next_message: u64,
    next_request: u64,
    network: Network,
    rng_network: Rng,
    rng_timers: Rng,
    rng_workload: Rng,
    /// What is scheduled from `next_action` on; what came before it has
    /// been applied and is let go now and then (`take_scheduled`), so a
    /// long run's thousands of recorded requests are not kept twice.
    schedule: Vec<Scheduled>,
    next_action: usize,
    /// User actions applied so far (the scenario's first this many).
    applied_user: usize,
    /// The scenario's action list is kept elsewhere (by a timeline), so
    /// acting does not add to `scenario.actions` ([`Sim::forget_actions`]).
    actions_elsewhere: bool,
    /// The effects of the handler call being carried out; kept for its
    /// capacity.
    effects: Vec<Effect<Filed>>,
    violation: Option<FoundViolation>,
    trace: Trace,
    /// In shared chunks: a snapshot shares all but the chunks written
    /// after it, so a long run's history is held once.
    history: PVec<ClientOp>,
    pending: BTreeMap<RequestId, Pending>,
    workload: Vec<WorkloadClient>,
    user_dropped: BTreeSet<MessageId>,
    recent: VecDeque<describe::Recent>,
    recent_capacity: usize,
    stats: Stats,
    /// The next step of the scenario's script to take.
    script_next: usize,
}

/// Where the run stands, not the nodes: formatting them would link every
/// protocol's debug formatting into the page.
impl core::fmt::Debug for Sim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sim")
            .field("protocol", &self.protocol.id)
            .field("nodes", &self.cluster.len())
            .field("now", &self.now)
            .field("events", &self.trace.len())
            .field("violation", &self.violation)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Builds the simulation of a valid scenario ([`Scenario::validate`];
    /// [`build`] checks first).
    pub fn new(scenario: &Scenario, options: RunOptions) -> Sim {
        let cluster = scenario.protocol.cluster(scenario.nodes);
        let mut sim = Sim::with_cluster(scenario, cluster, options.keep_trace);
        sim.set_recent_capacity(options.recent_events);
        sim
    }

    /// Builds a simulation of `scenario` over `cluster`, freshly made for
    /// its nodes.
    fn with_cluster(scenario: &Scenario, cluster: Box<dyn Cluster>, keep_trace: bool) -> Sim {
        let n = usize::from(scenario.nodes);
        debug_assert_eq!(cluster.len(), n, "a cluster of the scenario's size");
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
            schedule.extend(faults::generate_faults(faults, scenario.nodes, seed));
        }
        // Generated faults go before user actions at the same instant, so a
        // user action recorded live (after everything due at that instant)
        // lands in the same place when the scenario is rebuilt.
        sort_schedule(&mut schedule);

        let mut sim = Sim {
            scenario: scenario.clone(),
            protocol: scenario.protocol.descriptor(),
            cluster,
            now: Time::ZERO,
            clocks: Vec::new(),
            timers: alloc::vec![Vec::new(); n],
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
            effects: Vec::new(),
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
        for setting in &scenario.clocks {
            sim.set_clock(setting.node, setting.offset, setting.drift_ppm);
        }
        sim.start_workload();
        for i in 0..n {
            sim.call(NodeId(i as u16), Input::Start);
        }
        sim
    }

    fn record(&mut self, event: TraceEvent, digest: u64, label: Option<String>) {
        let index = self.trace.len();
        self.trace.push(event, digest);
        if self.recent_capacity > 0 {
            if self.recent.len() == self.recent_capacity {
                self.recent.pop_front();
            }
            self.recent.push_back((index, event, label));
        }
    }

    /// Runs one handler of `node` and carries out its effects, then checks
    /// the invariants.
    fn call(&mut self, node: NodeId, input: Input<MsgRef>) {
        // Take the buffer out so effects can be applied to `self` while it
        // drains; it goes back with its capacity kept.
        let mut effects = core::mem::take(&mut self.effects);
        let local = self.local_time(node);
        let ran = self.cluster.react(node, local, input, &mut effects);
        route(node, effects.drain(..), self);
        self.effects = effects;
        if ran {
            self.check(node);
        }
    }

    fn check(&mut self, node: NodeId) {
        if self.violation.is_some() {
            return;
        }
        if let Err(violation) = self.cluster.check(node) {
            self.violation = Some(FoundViolation {
                invariant: self
                    .protocol
                    .facts
                    .invariants
                    .get(violation.invariant)
                    .copied()
                    .unwrap_or("invariant"),
                event_index: self.trace.len().saturating_sub(1),
                time: self.now,
                violation,
            });
        }
    }

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
            // Never past `until`, even through events that leave no trace.
            self.step_within(until);
        }
        self.now = self.now.max(until);
        true
    }

    fn process(&mut self, item: Item) {
        match item {
            Item::Deliver(delivery) => self.arrive_message(delivery),
            Item::Timer {
                node,
                timer,
                generation,
            } => self.timer_due(node, timer, generation),
            Item::ClientArrive {
                node,
                request,
                hops,
            } => self.arrive(node, request, hops),
            Item::ClientTimeout { request } => self.client_timeout(request),
            Item::ClientNext { client } => self.workload_next(client),
        }
    }

    /// True time: what messages, client timeouts and actions run on.
    pub fn now(&self) -> Time {
        self.now
    }

    /// What `node`'s clock reads now: the time its handlers see.
    pub fn local_time(&self, node: NodeId) -> Time {
        match self.clocks.get(node.index()) {
            Some(clock) => clock.local(self.now),
            None => self.now,
        }
    }

    /// `node`'s clock.
    pub fn clock(&self, node: NodeId) -> Clock {
        self.clocks.get(node.index()).copied().unwrap_or_default()
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The protocol's nodes, for what the engine does not say of them.
    pub fn cluster(&self) -> &dyn Cluster {
        self.cluster.as_ref()
    }

    /// What the protocol is and can do, from its registration.
    pub fn protocol(&self) -> &'static Descriptor {
        self.protocol
    }

    pub fn protocol_name(&self) -> &'static str {
        self.protocol.facts.name
    }

    pub fn invariant_names(&self) -> &'static [&'static str] {
        self.protocol.facts.invariants
    }

    pub fn msg_kinds(&self) -> &'static [&'static str] {
        self.protocol.facts.msg_kinds
    }

    /// The name of the timer a user may force, if the protocol has one.
    pub fn user_timer_name(&self) -> Option<&'static str> {
        self.protocol.facts.user_timer.map(|(_, name)| name)
    }

    pub fn node_count(&self) -> usize {
        self.cluster.len()
    }

    pub fn is_up(&self, node: NodeId) -> bool {
        self.cluster.is_up(node)
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The trace, to start or stop keeping events or hand them over.
    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }

    pub fn violation(&self) -> Option<&FoundViolation> {
        self.violation.as_ref()
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The most decisions any node has learned (running nodes only).
    pub fn decided(&self) -> u64 {
        self.cluster.decided()
    }

    /// What the UI may know of a node (a crashed one shows what survives).
    pub fn node_view(&self, id: NodeId) -> NodeView {
        self.cluster.view(id)
    }

    pub fn node_detail(&self, id: NodeId) -> NodeDetail {
        self.cluster.detail(id)
    }

    /// The versions `node` stores (its durable state, if it is down).
    pub fn stored_versions(&self, id: NodeId) -> Vec<crate::version::KeyVersions> {
        self.cluster.stored_versions(id)
    }

    /// The term `node` leads in, if it is up and leads.
    pub fn leads(&self, node: NodeId) -> Option<u64> {
        self.cluster.leads(node)
    }

    /// The configuration `node` goes by, if its protocol changes
    /// membership (a crashed node's, from what survives).
    pub fn members(&self, node: NodeId) -> Option<crate::protocol::MembersView> {
        self.cluster.members(node)
    }
}

/// A handler's effects, as the engine carries them out.
impl Sink<Filed> for Sim {
    #[inline]
    fn send(&mut self, from: NodeId, to: NodeId, msg: Filed) {
        Sim::send(self, from, to, msg);
    }

    #[inline]
    fn set_timer(&mut self, node: NodeId, timer: TimerId, min: Span, max: Span) {
        Sim::set_timer(self, node, timer, min, max);
    }

    #[inline]
    fn cancel_timer(&mut self, node: NodeId, timer: TimerId) {
        Sim::cancel_timer(self, node, timer);
    }

    #[inline]
    fn reply(&mut self, node: NodeId, request: RequestId, outcome: Outcome) {
        self.client_reply(node, request, outcome);
    }

    fn detail(&mut self, _node: NodeId, request: RequestId, detail: OpDetail) {
        self.client_detail(request, detail);
    }
}
