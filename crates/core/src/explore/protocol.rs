//! Exhaustive exploration of a real protocol over the simulator's own
//! nondeterminism: instead of letting the seed pick which message arrives
//! next, which timer fires, who crashes and where the network splits, the
//! explorer tries every choice, within bounds.
//!
//! A state ([`World`]) is every node (running, or crashed with its durable
//! state), the messages in flight as a multiset, the armed timers with
//! their deadlines, the partition, the simulated time, the protocol's
//! checker (its history matters: which ballot chose what), and how much of
//! each fault budget is spent. A step ([`Step`]) delivers, drops or
//! duplicates one message, fires a timer, crashes or restarts a node,
//! splits or heals the network, or makes a client request. The checker
//! runs after every handler, as in the simulator, and each of its
//! invariants is a property to explore.
//!
//! Time: the network is asynchronous, so a delivery, drop, crash or
//! partition happens at the current instant, and any message may wait for
//! any number of other steps. Timers are where time passes: a timer set
//! for `min..=max` is due `max` later, and only the timers due first may
//! fire, moving the clock to their deadline. Protocols that read the clock
//! (leases, 3PC's timeouts) see the same times in a scripted replay.
//!
//! Client requests: those a scenario makes at time zero are made before
//! exploring; each later one is a step the explorer may take at any
//! moment, in the scenario's order, since when a client speaks is as
//! free as when a message arrives. That is how a write reaches whichever
//! node leads by then (Raft's Figure 8 needs one in the log). Membership
//! changes are made the same way, each asked of the node that leads in
//! the highest term when the explorer makes it, as the simulator asks.
//!
//! Symmetry reduction is not offered here: node ids carry meaning in these
//! protocols (ballot numbers, the coordinator is node 0), so permuting
//! nodes would merge states that behave differently.
//!
//! A counterexample path becomes an ordinary scenario with a `script`
//! ([`to_scenario`]): the simulator replays it step for step, so it plays
//! in the app like any other run.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::hash::{Hash, Hasher};
use core::ops::Range;

use crate::cluster::{react, route, Input, Sink};
use crate::id::{ClientId, MessageId, NodeId, RequestId};
use crate::protocol::{
    Checker, ClientRequest, MemberChange, OpDetail, Out, Outcome, Protocol, Slot, TimerId,
};
use crate::scenario::{Action, Scenario, ScenarioError, ScriptStep, Scripted};
use crate::sim::USER_CLIENT;
use crate::time::{Span, Time};
use crate::trace::stable_hash;

use super::directed::{Beam, Directed};
use super::{Expectation, Model, Options, Progress, Property, Report, Search, Workers};
use crate::registry::Variant;

/// How much of each kind of nondeterminism the explorer may use. Depth and
/// state-count bounds are in [`super::Options`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub max_crashes: u8,
    pub max_drops: u8,
    pub max_duplicates: u8,
    /// How many times the network may split (each split may later heal).
    pub max_partitions: u8,
    /// A step that would leave more messages than this in flight is not
    /// taken.
    pub max_in_flight: usize,
    /// How many timers may fire in all (bounds Paxos's ballots and 3PC's
    /// ticks).
    pub max_timer_fires: u8,
    /// The synchronous network 3PC assumes: every message arrives before
    /// the next timeout, so a timer fires only when no message can be
    /// delivered, and a message to a crashed node is lost (it would have
    /// arrived while the node was down). Off: any message may wait past
    /// any number of timeouts.
    pub synchronous: bool,
    /// How links behave beyond that; all off by default.
    pub links: Links,
}

/// Narrower networks than the fully asynchronous one, each a model of
/// real links that a search may choose to cut its state space down to
/// (`Default`: all off, the asynchronous network of every pinned count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// Each link delivers in the order it was sent on, as a TCP
    /// connection does: only the oldest message from one node to another
    /// may arrive. Messages of different links still race.
    pub fifo: bool,
    /// A crash closes the node's connections: what is in flight to or
    /// from it is lost, and so is anything sent to it while it is down.
    /// Without this, a crashed leader's messages may still arrive long
    /// after, which is the rarer failure and the costlier one to search.
    pub crash_closes: bool,
    /// Forget a message as soon as its receiver ignores it for good
    /// ([`Protocol::ignores`]): a reduction, not a restriction, since
    /// delivering it would change nothing. States that differ only in
    /// such a message are then one state.
    pub forget_ignored: bool,
}

impl Links {
    /// The fully asynchronous network.
    pub const NONE: Links = Links {
        fifo: false,
        crash_closes: false,
        forget_ignored: false,
    };
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_crashes: 0,
            max_drops: 0,
            max_duplicates: 0,
            max_partitions: 0,
            max_in_flight: 16,
            max_timer_fires: 4,
            synchronous: false,
            links: Links::default(),
        }
    }
}

/// A message in flight. `id` is the id the simulator would have given it;
/// it is bookkeeping for replay and not part of the state's identity.
#[derive(Clone, Debug)]
pub struct InFlight<M> {
    pub from: NodeId,
    pub to: NodeId,
    pub msg: M,
    pub id: MessageId,
    /// Hash of (from, to, msg): the sort key that makes the multiset canonical.
    key: u64,
}

/// Fault budgets spent so far, and how many of the later client
/// requests are made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Spent {
    pub crashes: u8,
    pub drops: u8,
    pub duplicates: u8,
    pub partitions: u8,
    pub timer_fires: u8,
    pub requests: u8,
}

/// One explored state of a protocol's cluster.
#[derive(Clone, Debug)]
pub struct World<P: Protocol> {
    pub now: Time,
    pub nodes: Vec<Slot<P>>,
    /// Armed timers of each node, with their deadlines.
    pub timers: Timers,
    /// Sorted by hash, so equal multisets compare equal.
    pub flight: Vec<InFlight<P::Msg>>,
    /// The nodes split off from the rest (0: no partition).
    pub isolated: u64,
    pub checker: P::Checker,
    pub spent: Spent,
    /// The first invariant broken on the way here, with its message.
    pub violation: Option<(usize, String)>,
    /// The id the next send gets (bookkeeping, not identity).
    next_message: u64,
    /// The model's `Bounds::synchronous`, copied here so that sends can
    /// see it; the same in every state, so not part of a state's identity.
    synchronous: bool,
    /// The model's `Bounds::links`, likewise.
    links: Links,
}

impl<P> PartialEq for World<P>
where
    P: Protocol + Eq,
    P::Durable: Eq,
    P::Msg: Eq,
    P::Checker: Eq,
{
    fn eq(&self, other: &Self) -> bool {
        let slots_eq = |a: &Slot<P>, b: &Slot<P>| match (a, b) {
            (Slot::Up(x), Slot::Up(y)) => x == y,
            (Slot::Down(x), Slot::Down(y)) => x == y,
            _ => false,
        };
        self.now == other.now
            && self.isolated == other.isolated
            && self.spent == other.spent
            && self.violation.as_ref().map(|v| v.0) == other.violation.as_ref().map(|v| v.0)
            && self.timers == other.timers
            && self.flight.len() == other.flight.len()
            && self
                .flight
                .iter()
                .zip(&other.flight)
                .all(|(a, b)| a.key == b.key && a.from == b.from && a.to == b.to && a.msg == b.msg)
            && self.nodes.len() == other.nodes.len()
            && self
                .nodes
                .iter()
                .zip(&other.nodes)
                .all(|(a, b)| slots_eq(a, b))
            && self.checker == other.checker
    }
}

impl<P> Eq for World<P>
where
    P: Protocol + Eq,
    P::Durable: Eq,
    P::Msg: Eq,
    P::Checker: Eq,
{
}

impl<P> Hash for World<P>
where
    P: Protocol + Hash,
    P::Durable: Hash,
    P::Checker: Hash,
{
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.now.hash(h);
        self.isolated.hash(h);
        self.spent.hash(h);
        self.violation.as_ref().map(|v| v.0).hash(h);
        self.timers.hash(h);
        for m in &self.flight {
            m.key.hash(h);
        }
        for slot in &self.nodes {
            match slot {
                Slot::Up(p) => {
                    0u8.hash(h);
                    p.hash(h);
                }
                Slot::Down(d) => {
                    1u8.hash(h);
                    d.hash(h);
                }
            }
        }
        self.checker.hash(h);
    }
}

/// The armed timers of every node, in one vector sorted by node and timer
/// (a vector per node cost an allocation per node in every state copied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timers {
    nodes: u16,
    /// (node, timer, deadline).
    armed: Vec<(u16, TimerId, Time)>,
}

impl Timers {
    fn new(nodes: usize) -> Timers {
        Timers {
            nodes: nodes as u16,
            armed: Vec::new(),
        }
    }

    /// Where `node`'s timers sit in `armed`.
    fn range(&self, node: NodeId) -> Range<usize> {
        let start = self.armed.partition_point(|t| t.0 < node.0);
        let end = start + self.armed[start..].partition_point(|t| t.0 == node.0);
        start..end
    }

    /// `node`'s armed timers: (timer, deadline), by timer.
    pub fn of(&self, node: NodeId) -> impl Iterator<Item = (TimerId, Time)> + '_ {
        self.armed[self.range(node)].iter().map(|t| (t.1, t.2))
    }

    fn find(&self, node: NodeId, timer: TimerId) -> Result<usize, usize> {
        self.armed
            .binary_search_by(|t| (t.0, t.1).cmp(&(node.0, timer)))
    }

    fn deadline(&self, node: NodeId, timer: TimerId) -> Option<Time> {
        self.find(node, timer).ok().map(|i| self.armed[i].2)
    }

    fn set(&mut self, node: NodeId, timer: TimerId, at: Time) {
        match self.find(node, timer) {
            Ok(i) => self.armed[i].2 = at,
            Err(i) => self.armed.insert(i, (node.0, timer, at)),
        }
    }

    fn cancel(&mut self, node: NodeId, timer: TimerId) {
        if let Ok(i) = self.find(node, timer) {
            self.armed.remove(i);
        }
    }

    fn clear(&mut self, node: NodeId) {
        let range = self.range(node);
        self.armed.drain(range);
    }
}

/// Hashes as the vector of per-node vectors it replaced did, so that a
/// state's fingerprint (and with it every pinned search result) stays put.
impl Hash for Timers {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_usize(usize::from(self.nodes));
        for n in 0..self.nodes {
            let range = self.range(NodeId(n));
            h.write_usize(range.len());
            for &(_, timer, at) in &self.armed[range] {
                timer.hash(h);
                at.hash(h);
            }
        }
    }
}

/// A handler's effects on an explored state. Time does not pass between
/// steps, so a timer set for `min..=max` is due `max` later.
impl<P: Protocol> Sink<P::Msg> for World<P> {
    fn send(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        let id = MessageId(self.next_message);
        self.next_message += 1;
        // Sent into a partition: the simulator loses it on arrival, so it
        // never enters the state. Nor, on a synchronous network or one
        // whose crashes close links, does one sent to a crashed node.
        let lost =
            (self.synchronous || self.links.crash_closes) && self.nodes[to.index()].up().is_none();
        if connected(self.isolated, from, to) && !lost {
            let key = stable_hash(&(from, to, &msg));
            // A FIFO link's messages stay in the order sent, after the
            // link's earlier ones; otherwise the multiset is sorted by key.
            let at = if self.links.fifo {
                self.flight
                    .partition_point(|m| (m.from, m.to) <= (from, to))
            } else {
                self.flight.partition_point(|m| m.key <= key)
            };
            self.flight.insert(
                at,
                InFlight {
                    from,
                    to,
                    msg,
                    id,
                    key,
                },
            );
        }
    }

    fn set_timer(&mut self, node: NodeId, timer: TimerId, _min: Span, max: Span) {
        let at = self.now + Span(max.0.max(1));
        self.timers.set(node, timer, at);
    }

    fn cancel_timer(&mut self, node: NodeId, timer: TimerId) {
        self.timers.cancel(node, timer);
    }

    // What a client is told is not part of the explored state.
    fn reply(&mut self, _node: NodeId, _request: RequestId, _outcome: Outcome) {}

    fn detail(&mut self, _node: NodeId, _request: RequestId, _detail: OpDetail) {}
}

/// One nondeterministic choice. Messages are named by their position in
/// the state's (sorted) flight list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Deliver(u16),
    Drop(u16),
    Duplicate(u16),
    Fire {
        node: NodeId,
        timer: TimerId,
    },
    Crash(NodeId),
    Restart(NodeId),
    /// Split these nodes (a bitset) off from the rest.
    Partition(u64),
    Heal,
    /// Make the scenario's next later client request or membership change
    /// ([`ProtocolModel::later`]; its position there).
    Request(u8),
}

/// What a scenario asks for after time zero, made when the explorer
/// chooses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Later {
    Request(NodeId, Option<ClientId>, crate::protocol::Op),
    /// Asked of the node that leads in the highest term.
    Change(MemberChange),
}

/// The largest cluster the explorer takes: partitions are enumerated as
/// subsets, and state spaces past this are out of reach anyway.
pub const MAX_EXPLORE_NODES: u16 = 9;

/// A protocol and a starting scenario, as a [`Model`] to explore.
#[derive(Clone, Debug)]
pub struct ProtocolModel<P: Protocol> {
    pub config: P::Config,
    pub nodes: usize,
    /// Client requests to make, in order, at their times, before exploring.
    pub requests: Vec<(Time, NodeId, Option<ClientId>, crate::protocol::Op)>,
    /// Client requests scheduled after time zero, and membership changes:
    /// the explorer makes each, in this order, whenever it chooses
    /// ([`Step::Request`]).
    pub later: Vec<Later>,
    pub bounds: Bounds,
}

impl<P: Protocol> ProtocolModel<P> {
    /// The model of `scenario`, whose protocol config is `config`. The
    /// scenario's actions may only be client requests: the explorer makes
    /// every other choice itself.
    pub fn new(
        scenario: &Scenario,
        config: P::Config,
        bounds: Bounds,
    ) -> Result<ProtocolModel<P>, ScenarioError> {
        scenario.validate()?;
        if scenario.nodes > MAX_EXPLORE_NODES {
            return Err(ScenarioError::new(
                "nodes",
                format!(
                    "the explorer takes at most {MAX_EXPLORE_NODES} nodes, got {}",
                    scenario.nodes
                ),
            ));
        }
        let mut requests = Vec::new();
        let mut later = Vec::new();
        for (i, timed) in scenario.actions.iter().enumerate() {
            match &timed.action {
                Action::Request { node, client, op } if timed.at == Time::ZERO => {
                    requests.push((timed.at, *node, *client, op.clone()))
                }
                Action::Request { node, client, op } => {
                    later.push(Later::Request(*node, *client, op.clone()))
                }
                Action::AddServer { node } => later.push(Later::Change(MemberChange::Add(*node))),
                Action::RemoveServer { node } => {
                    later.push(Later::Change(MemberChange::Remove(*node)))
                }
                _ => {
                    return Err(ScenarioError::new(
                        format!("actions[{i}]"),
                        "the explorer chooses crashes, partitions and drops itself: \
                         only client requests and membership changes may be scripted",
                    ))
                }
            }
        }
        if later.len() > usize::from(u8::MAX) {
            return Err(ScenarioError::new(
                "actions",
                format!(
                    "the explorer makes at most {} client requests after time zero, got {}",
                    u8::MAX,
                    later.len()
                ),
            ));
        }
        if !scenario.script.is_empty() || scenario.faults.is_some() {
            return Err(ScenarioError::new(
                "script",
                "explore a scenario without `script` or `faults`",
            ));
        }
        Ok(ProtocolModel {
            config,
            nodes: usize::from(scenario.nodes),
            requests,
            later,
            bounds,
        })
    }

    /// Runs one handler of `node` and carries out its effects, through the
    /// simulator's own [`route`], then asks the checker.
    fn call(&self, w: &mut World<P>, node: NodeId, input: Input<P::Msg>) -> bool {
        let mut out = Out::new(node, self.nodes as u16);
        if !react(&mut w.nodes[node.index()], &mut out, node, w.now, input) {
            return true;
        }
        route(node, out.drain(), w);
        if w.violation.is_none() {
            if let Err(v) = w.checker.check(&w.nodes, node) {
                w.violation = Some((v.invariant, v.message));
            }
        }
        w.flight.len() <= self.bounds.max_in_flight
    }

    /// The earliest deadline of any running node's armed timer.
    fn next_deadline(w: &World<P>) -> Option<Time> {
        w.timers
            .armed
            .iter()
            .filter(|t| w.nodes[usize::from(t.0)].up().is_some())
            .map(|t| t.2)
            .min()
    }

    fn start(&self) -> World<P> {
        let n = self.nodes;
        let mut w = World {
            now: Time::ZERO,
            nodes: (0..n)
                .map(|i| Slot::Up(P::new(NodeId(i as u16), n, &self.config)))
                .collect(),
            timers: Timers::new(n),
            flight: Vec::new(),
            isolated: 0,
            checker: P::Checker::new(n, &self.config),
            spent: Spent::default(),
            violation: None,
            next_message: 0,
            synchronous: self.bounds.synchronous,
            links: self.bounds.links,
        };
        for i in 0..n {
            self.call(&mut w, NodeId(i as u16), Input::Start);
        }
        for (i, (at, node, client, op)) in self.requests.iter().enumerate() {
            w.now = w.now.max(*at);
            let request = ClientRequest {
                id: RequestId(i as u64),
                client: client.unwrap_or(USER_CLIENT),
                op: op.clone(),
            };
            self.call(&mut w, *node, Input::Request(request));
        }
        w
    }

    /// The state after `step`, or `None` if it is not enabled or breaks a
    /// bound.
    pub fn apply(&self, w: &World<P>, step: Step) -> Option<World<P>> {
        let b = &self.bounds;
        let mut w = w.clone();
        let ok = match step {
            Step::Deliver(i) => {
                let m = w.flight.get(usize::from(i))?;
                if !deliverable(&w, m) {
                    return None;
                }
                let m = w.flight.remove(usize::from(i));
                self.call(
                    &mut w,
                    m.to,
                    Input::Message {
                        from: m.from,
                        msg: m.msg,
                    },
                )
            }
            Step::Drop(i) => {
                if w.spent.drops >= b.max_drops || usize::from(i) >= w.flight.len() {
                    return None;
                }
                w.spent.drops += 1;
                w.flight.remove(usize::from(i));
                true
            }
            Step::Duplicate(i) => {
                if w.spent.duplicates >= b.max_duplicates || w.flight.len() >= b.max_in_flight {
                    return None;
                }
                w.spent.duplicates += 1;
                let copy = w.flight.get(usize::from(i))?.clone();
                w.flight.insert(usize::from(i), copy);
                true
            }
            Step::Fire { node, timer } => {
                if w.spent.timer_fires >= b.max_timer_fires || w.nodes[node.index()].up().is_none()
                {
                    return None;
                }
                let deadline = w.timers.deadline(node, timer)?;
                if Some(deadline) != Self::next_deadline(&w) {
                    return None; // another timer is due first
                }
                if b.synchronous && w.flight.iter().any(|m| deliverable(&w, m)) {
                    return None; // a message arrives before any timeout
                }
                w.timers.cancel(node, timer);
                w.spent.timer_fires += 1;
                w.now = w.now.max(deadline);
                self.call(&mut w, node, Input::Timer(timer))
            }
            Step::Crash(node) => {
                if w.spent.crashes >= b.max_crashes {
                    return None;
                }
                let Slot::Up(p) = &w.nodes[node.index()] else {
                    return None;
                };
                w.nodes[node.index()] = Slot::Down(p.durable());
                w.timers.clear(node);
                if b.synchronous || b.links.crash_closes {
                    let closes = b.links.crash_closes;
                    w.flight
                        .retain(|m| m.to != node && !(closes && m.from == node));
                }
                w.checker.on_crash(node);
                w.spent.crashes += 1;
                true
            }
            Step::Restart(node) => {
                let Slot::Down(d) = &w.nodes[node.index()] else {
                    return None;
                };
                let p = P::recover(node, self.nodes, &self.config, d.clone());
                w.nodes[node.index()] = Slot::Up(p);
                self.call(&mut w, node, Input::Start)
            }
            Step::Partition(set) => {
                if w.spent.partitions >= b.max_partitions || w.isolated != 0 {
                    return None;
                }
                w.spent.partitions += 1;
                w.isolated = set;
                true
            }
            Step::Heal => {
                if w.isolated == 0 {
                    return None;
                }
                w.isolated = 0;
                true
            }
            Step::Request(k) => {
                if k != w.spent.requests {
                    return None; // made in the scenario's order
                }
                match self.later.get(usize::from(k))? {
                    Later::Request(node, client, op) => {
                        w.spent.requests += 1;
                        let request = ClientRequest {
                            id: RequestId((self.requests.len() + usize::from(k)) as u64),
                            client: client.unwrap_or(USER_CLIENT),
                            op: op.clone(),
                        };
                        self.call(&mut w, *node, Input::Request(request))
                    }
                    Later::Change(change) => {
                        // Not made while nobody leads: the simulator would
                        // find nobody to ask.
                        let leader = in_charge(&w)?;
                        w.spent.requests += 1;
                        self.call(&mut w, leader, Input::Reconfigure(*change))
                    }
                }
            }
        };
        if ok && b.links.forget_ignored {
            let nodes = &w.nodes;
            w.flight
                .retain(|m| !P::ignores(&nodes[m.to.index()], &m.msg));
        }
        ok.then_some(w)
    }

    /// How promising `w` looks to a directed search
    /// ([`super::directed`]) hunting for a broken log: nodes whose logs
    /// disagree at an index weigh most, then the distinct terms in the
    /// logs, then what is committed, then log length. Read from the
    /// running nodes' views, so it knows no protocol in particular and
    /// no answer in advance.
    pub fn interest(&self, w: &World<P>) -> i64 {
        let mut terms: Vec<u64> = Vec::new();
        let mut at: Vec<(u64, u64)> = Vec::new();
        let (mut committed, mut length) = (0i64, 0i64);
        for p in w.nodes.iter().filter_map(Slot::up) {
            let view = p.view();
            committed += view.commit_index as i64;
            length += view.log_len as i64;
            for e in &view.log_tail {
                terms.push(e.term);
                at.push((e.index, e.term));
            }
        }
        terms.sort_unstable();
        terms.dedup();
        at.sort_unstable();
        at.dedup();
        // Each index held with k different terms counts k - 1 conflicts.
        let mut conflicts = 0i64;
        for pair in at.windows(2) {
            if pair[0].0 == pair[1].0 {
                conflicts += 1;
            }
        }
        conflicts * 20 + terms.len() as i64 * 10 + committed * 3 + length
    }

    /// Replays `path` from the start, returning every state on the way
    /// (the start first).
    pub fn replay(&self, path: &[Step]) -> Vec<World<P>> {
        let mut states = vec![self.start()];
        for step in path {
            let last = states.last().expect("starts with the initial state");
            match self.apply(last, *step) {
                Some(next) => states.push(next),
                None => break,
            }
        }
        states
    }

    /// A step in words, in the state it is taken from.
    pub fn describe_in(&self, w: &World<P>, step: Step) -> String {
        let msg = |i: u16| {
            w.flight
                .get(usize::from(i))
                .map(|m| format!("{} → {}: {}", m.from, m.to, P::msg_label(&m.msg)))
                .unwrap_or_else(|| format!("message #{i}"))
        };
        match step {
            Step::Deliver(i) => format!("deliver {}", msg(i)),
            Step::Drop(i) => format!("drop {}", msg(i)),
            Step::Duplicate(i) => format!("duplicate {}", msg(i)),
            Step::Fire { node, timer } => format!("{node}: timer {timer} fires"),
            Step::Crash(node) => format!("{node} crashes"),
            Step::Restart(node) => format!("{node} restarts"),
            Step::Partition(set) => format!("partition {{{}}} from the rest", list(set)),
            Step::Heal => String::from("heal the network"),
            Step::Request(k) => match self.later.get(usize::from(k)) {
                Some(Later::Request(node, _, op)) => format!("a client asks {node}: {op}"),
                Some(Later::Change(change)) => {
                    let leader =
                        in_charge(w).map_or(String::from("the leader"), |n| format!("{n}"));
                    match change {
                        MemberChange::Add(n) => format!("{leader} is asked to add {n}"),
                        MemberChange::Remove(n) => format!("{leader} is asked to remove {n}"),
                    }
                }
                None => format!("client request #{k}"),
            },
        }
    }
}

/// The running node that leads in the highest term (the lowest id of
/// two), as `Sim::in_charge` finds it.
fn in_charge<P: Protocol>(w: &World<P>) -> Option<NodeId> {
    w.nodes
        .iter()
        .enumerate()
        .filter_map(|(i, slot)| Some((slot.up()?.leads()?, NodeId(i as u16))))
        .min_by_key(|&(term, n)| (core::cmp::Reverse(term), n))
        .map(|(_, n)| n)
}

fn list(set: u64) -> String {
    (0..64u16)
        .filter(|i| set & (1 << i) != 0)
        .map(|i| format!("{}", NodeId(i)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn connected(isolated: u64, a: NodeId, b: NodeId) -> bool {
    (isolated >> a.0) & 1 == (isolated >> b.0) & 1
}

/// Whether `m` could be delivered now: its node is up and reachable,
/// and on a FIFO link it is the oldest message.
fn deliverable<P: Protocol>(w: &World<P>, m: &InFlight<P::Msg>) -> bool {
    w.nodes[m.to.index()].up().is_some()
        && connected(w.isolated, m.from, m.to)
        && (!w.links.fifo
            || w.flight
                .iter()
                .find(|x| x.from == m.from && x.to == m.to)
                .is_some_and(|first| core::ptr::eq(first, m)))
}

/// `holds::<P, I>`: invariant `I` of `P`'s checker is not broken. One
/// function per index, since a property's condition is a plain `fn`.
fn holds<P: Protocol, const I: usize>(_: &ProtocolModel<P>, w: &World<P>) -> bool {
    w.violation.as_ref().is_none_or(|v| v.0 != I)
}

impl<P> Model for ProtocolModel<P>
where
    P: Protocol + Hash + Eq,
    P::Durable: Hash + Eq,
    P::Msg: Eq,
    P::Checker: Hash + Eq,
{
    type State = World<P>;
    type Action = Step;

    fn init(&self, out: &mut Vec<World<P>>) {
        out.push(self.start());
    }

    fn actions(&self, w: &World<P>, out: &mut Vec<Step>) {
        if w.violation.is_some() {
            return; // the run is over: the checker has spoken
        }
        let b = &self.bounds;
        for (i, m) in w.flight.iter().enumerate() {
            let i = i as u16;
            // Equal copies are interchangeable: offer the first only.
            let repeat = i > 0 && {
                let p = &w.flight[usize::from(i) - 1];
                p.key == m.key && p.from == m.from && p.to == m.to && p.msg == m.msg
            };
            if repeat {
                continue;
            }
            if deliverable(w, m) {
                out.push(Step::Deliver(i));
            }
            if w.spent.drops < b.max_drops {
                out.push(Step::Drop(i));
            }
            if w.spent.duplicates < b.max_duplicates && w.flight.len() < b.max_in_flight {
                out.push(Step::Duplicate(i));
            }
        }
        if w.spent.timer_fires < b.max_timer_fires {
            if let Some(due) = Self::next_deadline(w) {
                for &(node, timer, at) in &w.timers.armed {
                    if at == due && w.nodes[usize::from(node)].up().is_some() {
                        out.push(Step::Fire {
                            node: NodeId(node),
                            timer,
                        });
                    }
                }
            }
        }
        for (n, slot) in w.nodes.iter().enumerate() {
            let node = NodeId(n as u16);
            match slot {
                Slot::Up(_) if w.spent.crashes < b.max_crashes => out.push(Step::Crash(node)),
                Slot::Down(_) => out.push(Step::Restart(node)),
                _ => {}
            }
        }
        if usize::from(w.spent.requests) < self.later.len() {
            out.push(Step::Request(w.spent.requests));
        }
        if w.isolated != 0 {
            out.push(Step::Heal);
        } else if w.spent.partitions < b.max_partitions {
            // Every minority (and, for an even split, the half holding
            // node 0): the same cut named from the other side is the same
            // partition.
            let n = self.nodes;
            for set in 1u64..(1 << n) {
                let size = set.count_ones() as usize;
                if 2 * size < n || (2 * size == n && set & 1 == 1) {
                    out.push(Step::Partition(set));
                }
            }
        }
    }

    fn next(&self, w: &World<P>, step: &Step) -> Option<World<P>> {
        self.apply(w, *step)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let names = <P::Checker as Checker<P>>::INVARIANTS;
        let conditions: [fn(&Self, &World<P>) -> bool; 8] = [
            holds::<P, 0>,
            holds::<P, 1>,
            holds::<P, 2>,
            holds::<P, 3>,
            holds::<P, 4>,
            holds::<P, 5>,
            holds::<P, 6>,
            holds::<P, 7>,
        ];
        names
            .iter()
            .zip(conditions)
            .map(|(name, condition)| Property {
                name,
                expectation: Expectation::Always,
                condition,
            })
            .collect()
    }

    fn describe(&self, step: &Step) -> String {
        format!("{step:?}")
    }
}

/// Turns `path` into `base` plus a script that makes the simulator take
/// exactly these steps: an ordinary scenario that replays the
/// counterexample. Messages get the ids the simulator will give them.
pub fn to_scenario<P: Protocol>(
    model: &ProtocolModel<P>,
    base: &Scenario,
    path: &[Step],
) -> Scenario {
    let states = model.replay(path);
    let mut script = Vec::new();
    for (w, step) in states.iter().zip(path) {
        let Some(after) = model.apply(w, *step) else {
            break;
        };
        let id = |i: u16| w.flight[usize::from(i)].id;
        let step = match *step {
            Step::Deliver(i) => Scripted::Deliver { id: id(i) },
            Step::Drop(i) => Scripted::Drop { id: id(i) },
            Step::Duplicate(i) => Scripted::Duplicate { id: id(i) },
            Step::Fire { node, timer } => Scripted::Fire { node, timer },
            Step::Crash(node) => Scripted::Act {
                action: Action::Crash { node },
            },
            Step::Restart(node) => Scripted::Act {
                action: Action::Restart { node },
            },
            Step::Partition(set) => Scripted::Act {
                action: Action::Partition {
                    groups: vec![(0..model.nodes as u16)
                        .filter(|n| set & (1 << n) != 0)
                        .map(NodeId)
                        .collect()],
                },
            },
            Step::Heal => Scripted::Act {
                action: Action::Heal,
            },
            Step::Request(k) => Scripted::Act {
                action: match model.later[usize::from(k)].clone() {
                    Later::Request(node, client, op) => Action::Request { node, client, op },
                    Later::Change(MemberChange::Add(node)) => Action::AddServer { node },
                    Later::Change(MemberChange::Remove(node)) => Action::RemoveServer { node },
                },
            },
        };
        script.push(ScriptStep {
            at: after.now,
            step,
        });
    }
    let mut scenario = base.clone();
    // The later requests and changes happen where the script makes them,
    // or not at all.
    scenario.actions.retain(|a| match a.action {
        Action::Request { .. } => a.at == Time::ZERO,
        Action::AddServer { .. } | Action::RemoveServer { .. } => false,
        _ => true,
    });
    scenario.script = script;
    scenario.faults = None;
    scenario.network.loss = 0.0;
    scenario.network.duplicate = 0.0;
    // Leave time after the script for the app to show the aftermath.
    let end = scenario.script.last().map_or(Time::ZERO, |s| s.at);
    scenario.until = Some(end + Span::from_secs(1));
    scenario
}

/// An exhaustive search of some protocol, whatever the protocol: what the
/// CLI, the browser's explorer worker and tests drive through a
/// protocol's registration ([`crate::registry::Registered::SEARCH`]).
pub trait ProtocolSearch {
    /// Expands at most `budget` states; true when the search is over.
    fn run(&mut self, budget: usize) -> bool;
    /// Expands at most `budget` states like [`ProtocolSearch::run`], each
    /// step split among `workers`; the same states come out in the same
    /// order ([`Search::run_on`]).
    fn run_on(&mut self, budget: usize, workers: &dyn Workers) -> bool;
    /// Gives up: the report will say the search is incomplete.
    fn stop(&mut self);
    /// What [`Options::max_memory`] is counted in
    /// ([`Search::bytes_per_state_bound`]).
    fn bytes_per_state_bound(&self) -> usize;
    fn progress(&self) -> Progress;
    fn report(&self) -> Report<Step>;
    /// Each step of `path` in words, in the state it is taken from.
    fn describe(&self, path: &[Step]) -> Vec<String>;
    /// The checker's explanation, if the state `path` leads to broke an
    /// invariant.
    fn violation(&self, path: &[Step]) -> Option<String>;
    /// `path` as a scenario the simulator replays ([`to_scenario`]).
    fn scenario(&self, path: &[Step]) -> Scenario;
    /// A directed search of the same model and bounds
    /// ([`super::directed::Beam`], ranked by [`ProtocolModel::interest`]),
    /// keeping `width` states a level, to `max_depth` steps.
    fn beam(&self, width: usize, max_depth: usize) -> Box<dyn DirectedSearch>;
}

/// A directed search of some protocol, run a level at a time.
pub trait DirectedSearch {
    /// Expands one level; true when the search is over.
    fn level(&mut self) -> bool;
    fn progress(&self) -> Progress;
    fn found(&self) -> &Directed<Step>;
}

struct Directing<P: Explorable> {
    model: ProtocolModel<P>,
    beam: Beam<ProtocolModel<P>>,
}

impl<P: Explorable> DirectedSearch for Directing<P> {
    fn level(&mut self) -> bool {
        let model = &self.model;
        self.beam.level(model, &|w| model.interest(w))
    }

    fn progress(&self) -> Progress {
        self.beam.progress()
    }

    fn found(&self) -> &Directed<Step> {
        self.beam.found()
    }
}

/// Starts a search of a scenario's protocol within `bounds`.
pub type NewSearch =
    fn(&Scenario, Bounds, Options) -> Result<Box<dyn ProtocolSearch>, ScenarioError>;

/// A part of an explored state: stored by fingerprint, compared in full,
/// shared between threads.
pub trait StatePart: Hash + Eq + Send + Sync {}

impl<T: Hash + Eq + Send + Sync> StatePart for T {}

/// A protocol whose states the explorer can store, compare and share
/// between threads: every protocol with hashable, comparable state.
pub trait Explorable:
    Protocol<Config: Sync, Durable: StatePart, Msg: Eq + Send + Sync, Checker: StatePart> + StatePart
{
}

impl<P> Explorable for P where
    P: Protocol<Config: Sync, Durable: StatePart, Msg: Eq + Send + Sync, Checker: StatePart>
        + StatePart
{
}

/// The [`NewSearch`] of protocol `P`.
pub fn new_search<P>(
    scenario: &Scenario,
    bounds: Bounds,
    options: Options,
) -> Result<Box<dyn ProtocolSearch>, ScenarioError>
where
    P: Explorable,
    P::Config: Variant,
{
    let config = P::Config::of(&scenario.protocol).cloned().ok_or_else(|| {
        ScenarioError::new(
            "protocol.name",
            format!("{} is not a {} scenario", scenario.protocol.name(), P::NAME),
        )
    })?;
    let model = ProtocolModel::<P>::new(scenario, config, bounds)?;
    let search = Search::new(&model, options);
    Ok(Box::new(Searching {
        model,
        base: scenario.clone(),
        search,
    }))
}

struct Searching<P: Explorable> {
    model: ProtocolModel<P>,
    base: Scenario,
    search: Search<ProtocolModel<P>>,
}

impl<P: Explorable> ProtocolSearch for Searching<P> {
    fn run(&mut self, budget: usize) -> bool {
        self.search.run(&self.model, budget)
    }

    fn run_on(&mut self, budget: usize, workers: &dyn Workers) -> bool {
        self.search.run_on(&self.model, budget, workers)
    }

    fn stop(&mut self) {
        self.search.stop()
    }

    fn bytes_per_state_bound(&self) -> usize {
        Search::<ProtocolModel<P>>::bytes_per_state_bound()
    }

    fn progress(&self) -> Progress {
        self.search.progress()
    }

    fn report(&self) -> Report<Step> {
        self.search.report()
    }

    fn describe(&self, path: &[Step]) -> Vec<String> {
        self.model
            .replay(path)
            .iter()
            .zip(path)
            .map(|(w, s)| self.model.describe_in(w, *s))
            .collect()
    }

    fn violation(&self, path: &[Step]) -> Option<String> {
        let states = self.model.replay(path);
        states.last()?.violation.as_ref().map(|v| v.1.clone())
    }

    fn scenario(&self, path: &[Step]) -> Scenario {
        to_scenario(&self.model, &self.base, path)
    }

    fn beam(&self, width: usize, max_depth: usize) -> Box<dyn DirectedSearch> {
        Box::new(Directing {
            beam: Beam::new(&self.model, width, max_depth),
            model: self.model.clone(),
        })
    }
}
