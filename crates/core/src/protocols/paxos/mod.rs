//! # Paxos (single-decree)
//!
//! Paxos (Lamport, "The Part-Time Parliament", 1998, and "Paxos Made
//! Simple", 2001) gets a set of unreliable nodes to choose exactly one value,
//! even though messages are lost, duplicated and reordered, nodes crash and
//! come back, and several nodes try to get their own value chosen at once.
//! Nobody needs a clock and nobody needs to be in charge; all that is needed
//! for safety is that every node remembers a few facts across crashes.
//!
//! There are three roles, and one node may play all of them:
//!
//! - **Proposers** try to get a value chosen. Here the nodes listed in
//!   [`PaxosConfig::proposers`] propose; each starts with a value of its own
//!   (`"v0"` for node 0, or the value of a client's `put`).
//! - **Acceptors** vote. Every node is an acceptor. A value is *chosen* the
//!   moment a majority of acceptors has accepted it in the same ballot.
//! - **Learners** find out what was chosen. Every node is a learner.
//!
//! Every attempt runs under a *ballot* number. Ballots are totally ordered
//! and never shared between proposers: proposer `p` in a cluster of `n` uses
//! `round * n + p`, and keeps its round on disk, so even a proposer that
//! crashed never reuses a ballot.
//!
//! ## Phase 1: prepare and promise
//!
//! A proposer picks a ballot `b` higher than any it has seen and sends
//! `Prepare(b)` to every acceptor. An acceptor that has not promised a
//! higher ballot *promises* `b`: it will never again accept a proposal
//! numbered below `b`. With the promise it reports the proposal it last
//! accepted, if any, as `(ballot, value)`. An acceptor that has promised a
//! higher ballot says so with a `Nack`, which tells the proposer how high it
//! has to go next time.
//!
//! ## Phase 2: accept and accepted
//!
//! With promises from a majority, the proposer has to be careful about which
//! value it asks for. If any of those acceptors reported an accepted
//! proposal, a value may already have been chosen, and if one was, it is the
//! one with the highest ballot among the reports: the proposer must *adopt*
//! that value, giving up its own. Only if none reported anything may it
//! propose its own value. It sends `Accept(b, v)`; an acceptor accepts
//! unless it has promised a ballot above `b`, and announces `Accepted(b, v)`
//! to every learner. A learner that hears `Accepted` for the same ballot from
//! a majority of acceptors has learned the chosen value.
//!
//! Why this is safe: suppose `v` was chosen in ballot `b`, so a majority
//! accepted it. Any later ballot's phase 1 hears from a majority too, and
//! the two majorities share an acceptor. That acceptor accepted `b` before
//! it promised the later ballot (after the promise it would have refused
//! `b`), so it reports a proposal numbered at least `b`. By induction on
//! the ballots after `b`, every proposal numbered `b` or higher carries
//! `v`, so the highest reported one does, and the new proposer adopts `v`
//! again. No ballot can choose anything else.
//!
//! ## What survives a crash
//!
//! An acceptor's promise and its accepted proposal are written down before
//! it answers: forgetting a promise would let it accept a lower ballot that
//! a proposer was told it never would. The proposer's round and the learned
//! value are kept too. Everything else (which phase a proposer is in, the
//! learners' tallies) is rebuilt.
//!
//! ## Liveness, or the lack of it
//!
//! Two proposers can preempt each other forever: each one's `Prepare`
//! arrives just before the other's `Accept`, which is then refused. These
//! *dueling proposers* break no safety property, and no deterministic
//! protocol can rule them out (the FLP impossibility result). Here the
//! retry timeouts are randomised, so a duel ends eventually;
//! `web/scenarios/paxos-duel.json` shows one lasting a while.
//!
//! ## The naive variant
//!
//! Articles often "simplify" Paxos to one round: the proposer sends
//! `Accept(n, its own value)` straight away, and an acceptor accepts any
//! proposal numbered higher than anything it has seen (the acceptor's rule
//! is unchanged; with no `Prepare`, the promise is just the highest number
//! seen).
//! [`PaxosVariant::NaiveNoPromise`] is exactly that, so the checker can show
//! what goes wrong: once a value is chosen, a proposer with a higher number
//! simply overwrites it, and a second, different value is chosen.
//!
//! ## Here
//!
//! Proposers start after a random delay ([`PaxosConfig::start`]) and retry
//! with a higher ballot when a ballot has not succeeded within
//! [`PaxosConfig::retry`]. A user may force any node to propose (the
//! `propose` timer), even after a value is chosen: Paxos then chooses the
//! same value again. A learner that missed the `Accepted` messages of the
//! deciding ballot (it was down or cut off) finds out only when some
//! proposer runs another ballot; proposers keep retrying until they learn,
//! but a node that proposes nothing may stay in the dark, which is the
//! textbook trade-off of broadcasting `Accepted` once instead of having
//! learners ask. Clients see a key-value store with room for one pair,
//! written once: a `put k=v` to a proposer proposes the value `"k=v"` and
//! succeeds if that is the value chosen (and definitely fails otherwise); a
//! `get k` on a node that has learned the value returns `v` if the chosen
//! pair is for `k`, and nothing for any other key.

mod checker;
mod descriptor;
#[cfg(test)]
mod tests;
mod value;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

pub use checker::PaxosChecker;
pub use value::Value;

use crate::id::{NodeId, RequestId};
use crate::protocol::{
    ClientRequest, EntryView, NodeDetail, NodeView, Op, Out, Outcome, Protocol, RoleKind, TimerId,
};
use crate::scenario::{Latency, ScenarioError};
use crate::time::Span;
use crate::vecmap::VecMap;

/// A ballot number. 0 means "none yet": real ballots start at `nodes`.
pub type Ballot = u64;

/// Fires to start a ballot: first after `start`, then after `retry` until
/// a value is learned. The timer a user may force.
const PROPOSE: TimerId = 0;

/// Which Paxos to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PaxosVariant {
    /// Lamport's Paxos: prepare and promise, then accept.
    #[default]
    Classic,
    /// Broken on purpose: no promise phase. Proposers send `Accept` with
    /// their own value at once and never adopt an accepted one, so a later,
    /// higher proposal overwrites a value already chosen.
    NaiveNoPromise,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaxosConfig {
    /// The nodes that propose. Left out: nodes 0 and 1 (node 0 alone in a
    /// one-node cluster). Every node is an acceptor and a learner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposers: Option<Vec<NodeId>>,
    /// How long after starting a proposer first proposes, drawn per
    /// proposer. `null`: only when a client puts a value or a user forces
    /// it.
    pub start: Option<Latency>,
    /// How long a proposer gives a ballot before trying a higher one.
    pub retry: Latency,
    pub variant: PaxosVariant,
}

impl Default for PaxosConfig {
    fn default() -> Self {
        PaxosConfig {
            proposers: None,
            start: Some(Latency {
                min: Span::ZERO,
                max: Span::from_millis(100),
            }),
            retry: Latency {
                min: Span::from_millis(100),
                max: Span::from_millis(200),
            },
            variant: PaxosVariant::Classic,
        }
    }
}

impl PaxosConfig {
    /// Validates against a cluster of `nodes` nodes.
    pub fn validate(&self, nodes: u16) -> Result<(), ScenarioError> {
        if let Some(proposers) = &self.proposers {
            if proposers.is_empty() {
                return Err(ScenarioError::new(
                    "proposers",
                    "name at least one node, or leave it out for nodes 0 and 1",
                ));
            }
            for (i, p) in proposers.iter().enumerate() {
                if p.0 >= nodes {
                    return Err(ScenarioError::new(
                        format!("proposers[{i}]"),
                        format!(
                            "node {} does not exist: this cluster has nodes 0 to {}",
                            p.0,
                            nodes.saturating_sub(1)
                        ),
                    ));
                }
                if proposers[..i].contains(p) {
                    return Err(ScenarioError::new(
                        format!("proposers[{i}]"),
                        format!("node {} is listed twice", p.0),
                    ));
                }
            }
        }
        if let Some(s) = &self.start {
            if s.min > s.max {
                return Err(ScenarioError::new(
                    "start",
                    format!("min ({}) is greater than max ({})", s.min, s.max),
                ));
            }
        }
        let r = &self.retry;
        if r.min.0 == 0 || r.min > r.max {
            return Err(ScenarioError::new(
                "retry",
                format!("needs 0 < min <= max, got min {} and max {}", r.min, r.max),
            ));
        }
        Ok(())
    }

    /// Whether `node` proposes on its own.
    pub fn is_proposer(&self, node: NodeId, nodes: usize) -> bool {
        match &self.proposers {
            Some(list) => list.contains(&node),
            None => usize::from(node.0) < nodes.min(2),
        }
    }

    fn first_proposer(&self) -> NodeId {
        match &self.proposers {
            Some(list) => list.first().copied().unwrap_or(NodeId(0)),
            None => NodeId(0),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PaxosMsg {
    /// Phase 1a: promise not to accept anything below `ballot`.
    Prepare { ballot: Ballot },
    /// Phase 1b: promised, and the proposal this acceptor last accepted.
    Promise {
        ballot: Ballot,
        accepted: Option<(Ballot, Value)>,
    },
    /// Phase 2a: please accept `value` in `ballot`.
    Accept { ballot: Ballot, value: Value },
    /// Phase 2b, sent to every learner: accepted `value` in `ballot`.
    Accepted { ballot: Ballot, value: Value },
    /// `ballot` was refused: this acceptor has promised `promised`.
    Nack { ballot: Ballot, promised: Ballot },
}

/// Where a proposer is with its current ballot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Not proposing: waiting to start or retry, preempted, or done.
    Idle,
    /// Phase 1: collecting promises.
    Preparing {
        ballot: Ballot,
        /// Who promised, as a bitset of node ids.
        promises: u64,
        /// The highest-numbered proposal the promises reported.
        highest: Option<(Ballot, Value)>,
    },
    /// Phase 2: asked acceptors to accept `value`.
    Accepting { ballot: Ballot, value: Value },
}

/// What survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PaxosDurable {
    pub promised: Ballot,
    pub accepted: Option<(Ballot, Value)>,
    /// The proposer's last round, so it never reuses a ballot.
    pub round: u64,
    pub chosen: Option<Value>,
}

/// One node: acceptor and learner, and proposer if configured so.
#[derive(Clone, Debug)]
pub struct Paxos {
    id: NodeId,
    nodes: usize,
    config: PaxosConfig,
    proposer: bool,
    // Acceptor (durable).
    pub(crate) promised: Ballot,
    pub(crate) accepted: Option<(Ballot, Value)>,
    // Proposer.
    round: u64,
    /// This node's own value, proposed when no accepted value must be
    /// adopted.
    pub(crate) proposal: Value,
    pub(crate) phase: Phase,
    /// The highest ballot heard of, so the next one can be higher.
    highest_seen: Ballot,
    /// Client puts waiting for the decision, with the value each put.
    waiting: Vec<(RequestId, Value)>,
    // Learner.
    pub(crate) chosen: Option<Value>,
    /// `Accepted` heard per (ballot, value): who sent it, as a bitset.
    tally: VecMap<(Ballot, Value), u64>,
}

// The explorer stores node states and merges equal ones. Identity, cluster
// size, configuration and role are fixed for a node, so they are left out.
impl PartialEq for Paxos {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.promised == other.promised
            && self.accepted == other.accepted
            && self.round == other.round
            && self.proposal == other.proposal
            && self.phase == other.phase
            && self.highest_seen == other.highest_seen
            && self.waiting == other.waiting
            && self.chosen == other.chosen
            && self.tally == other.tally
    }
}
impl Eq for Paxos {}
impl core::hash::Hash for Paxos {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h);
        self.promised.hash(h);
        self.accepted.hash(h);
        self.round.hash(h);
        self.proposal.hash(h);
        self.phase.hash(h);
        self.highest_seen.hash(h);
        self.waiting.hash(h);
        self.chosen.hash(h);
        self.tally.hash(h);
    }
}

fn bit(node: NodeId) -> u64 {
    1u64 << node.0
}

fn value_size(v: &str) -> usize {
    4 + v.len()
}

impl Paxos {
    fn majority(&self) -> usize {
        crate::protocols::quorums::majority(self.nodes)
    }

    pub fn promised(&self) -> Ballot {
        self.promised
    }

    pub fn accepted(&self) -> Option<&(Ballot, Value)> {
        self.accepted.as_ref()
    }

    pub fn chosen(&self) -> Option<&Value> {
        self.chosen.as_ref()
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The ballot this node is proposing in, if any.
    pub fn ballot(&self) -> Option<Ballot> {
        match &self.phase {
            Phase::Idle => None,
            Phase::Preparing { ballot, .. } | Phase::Accepting { ballot, .. } => Some(*ballot),
        }
    }

    /// Sends `msg` to `to`; to ourselves, handles it on the spot.
    fn send(&mut self, to: NodeId, msg: PaxosMsg, out: &mut Out<PaxosMsg>) {
        if to == self.id {
            self.handle(to, msg, out);
        } else {
            out.send(to, msg);
        }
    }

    /// Sends `msg` to every node, this one included.
    fn send_all(&mut self, msg: PaxosMsg, out: &mut Out<PaxosMsg>) {
        out.broadcast(msg.clone());
        self.handle(self.id, msg, out);
    }

    /// A ballot of our own above every ballot we have seen.
    fn next_ballot(&mut self) -> Ballot {
        let n = self.nodes as u64;
        let seen = self.highest_seen.max(self.promised);
        self.round = self.round.max(seen / n) + 1;
        self.round * n + u64::from(self.id.0)
    }

    fn start_ballot(&mut self, out: &mut Out<PaxosMsg>) {
        let ballot = self.next_ballot();
        match self.config.variant {
            PaxosVariant::Classic => {
                self.phase = Phase::Preparing {
                    ballot,
                    promises: 0,
                    highest: None,
                };
                self.send_all(PaxosMsg::Prepare { ballot }, out);
            }
            PaxosVariant::NaiveNoPromise => {
                let value = self.proposal.clone();
                self.phase = Phase::Accepting {
                    ballot,
                    value: value.clone(),
                };
                self.send_all(PaxosMsg::Accept { ballot, value }, out);
            }
        }
    }

    fn handle(&mut self, from: NodeId, msg: PaxosMsg, out: &mut Out<PaxosMsg>) {
        match msg {
            PaxosMsg::Prepare { ballot } => self.on_prepare(from, ballot, out),
            PaxosMsg::Promise { ballot, accepted } => self.on_promise(from, ballot, accepted, out),
            PaxosMsg::Accept { ballot, value } => self.on_accept(from, ballot, value, out),
            PaxosMsg::Accepted { ballot, value } => self.on_accepted(from, ballot, value, out),
            PaxosMsg::Nack { ballot, promised } => self.on_nack(ballot, promised),
        }
    }

    fn on_prepare(&mut self, from: NodeId, ballot: Ballot, out: &mut Out<PaxosMsg>) {
        self.highest_seen = self.highest_seen.max(ballot);
        // Equal: a duplicate of the Prepare we promised; promising again is
        // harmless, since only its proposer uses that ballot.
        if ballot >= self.promised {
            self.promised = ballot;
            let accepted = self.accepted.clone();
            self.send(from, PaxosMsg::Promise { ballot, accepted }, out);
        } else {
            let promised = self.promised;
            self.send(from, PaxosMsg::Nack { ballot, promised }, out);
        }
    }

    fn on_accept(&mut self, from: NodeId, ballot: Ballot, value: Value, out: &mut Out<PaxosMsg>) {
        self.highest_seen = self.highest_seen.max(ballot);
        if ballot >= self.promised {
            self.promised = ballot;
            self.accepted = Some((ballot, value.clone()));
            self.send_all(PaxosMsg::Accepted { ballot, value }, out);
        } else {
            let promised = self.promised;
            self.send(from, PaxosMsg::Nack { ballot, promised }, out);
        }
    }

    fn on_promise(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        accepted: Option<(Ballot, Value)>,
        out: &mut Out<PaxosMsg>,
    ) {
        let majority = self.majority();
        let Phase::Preparing {
            ballot: current,
            promises,
            highest,
        } = &mut self.phase
        else {
            return;
        };
        if *current != ballot {
            return; // a promise for a ballot we gave up
        }
        *promises |= bit(from);
        if let Some((b, v)) = accepted {
            if highest.as_ref().is_none_or(|(h, _)| b > *h) {
                *highest = Some((b, v));
            }
        }
        if promises.count_ones() as usize >= majority {
            // Adopt the highest-numbered accepted value: it is the only one
            // that may already be chosen.
            let value = match highest.take() {
                Some((_, v)) => v,
                None => self.proposal.clone(),
            };
            self.phase = Phase::Accepting {
                ballot,
                value: value.clone(),
            };
            self.send_all(PaxosMsg::Accept { ballot, value }, out);
        }
    }

    fn on_nack(&mut self, ballot: Ballot, promised: Ballot) {
        self.highest_seen = self.highest_seen.max(promised);
        if self.ballot() == Some(ballot) && promised > ballot {
            // Preempted: wait for the retry timer, then go higher.
            self.phase = Phase::Idle;
        }
    }

    fn on_accepted(&mut self, from: NodeId, ballot: Ballot, value: Value, out: &mut Out<PaxosMsg>) {
        self.highest_seen = self.highest_seen.max(ballot);
        if self.chosen.is_some() && self.ballot() != Some(ballot) {
            return; // learned already, and not about a ballot of ours
        }
        let key = (ballot, value);
        let voters = self.tally.get_or_insert_with(key.clone(), || 0);
        *voters |= bit(from);
        if (voters.count_ones() as usize) < self.majority() {
            return;
        }
        if self.chosen.is_none() {
            self.learn(key.1, out);
        } else {
            // A ballot forced after the decision: it chose the same value
            // again, and this proposer is done with it.
            self.tally.remove(&key);
            if self.ballot() == Some(ballot) {
                self.phase = Phase::Idle;
            }
        }
    }

    fn learn(&mut self, value: Value, out: &mut Out<PaxosMsg>) {
        self.tally.clear();
        self.phase = Phase::Idle;
        out.cancel_timer(PROPOSE);
        for (request, wanted) in self.waiting.drain(..) {
            out.reply(request, put_outcome(&value, &wanted));
        }
        self.chosen = Some(value);
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            (
                "roles",
                String::from(if self.proposer {
                    "proposer, acceptor, learner"
                } else {
                    "acceptor, learner"
                }),
            ),
            ("promised", ballot_text(self.promised)),
            (
                "accepted",
                match &self.accepted {
                    Some((b, v)) => format!("(b{b}, {v:?})"),
                    None => String::from("none"),
                },
            ),
            (
                "chosen",
                match &self.chosen {
                    Some(v) => format!("{v:?}"),
                    None => String::from("not yet learned"),
                },
            ),
        ];
        if self.proposer || self.phase != Phase::Idle {
            fields.push(("proposal", format!("{:?}", &*self.proposal)));
            fields.push((
                "phase",
                match &self.phase {
                    Phase::Idle => String::from("idle"),
                    Phase::Preparing {
                        ballot, promises, ..
                    } => format!(
                        "1 (prepare) in b{ballot}: {} of {} promises",
                        promises.count_ones(),
                        self.majority()
                    ),
                    Phase::Accepting { ballot, value } => {
                        format!("2 (accept) in b{ballot} with {value:?}")
                    }
                },
            ));
        }
        fields
    }
}

fn ballot_text(b: Ballot) -> String {
    if b == 0 {
        String::from("none")
    } else {
        format!("b{b}")
    }
}

/// A put succeeded if its value is the one chosen; otherwise it did not
/// happen, and never will.
fn put_outcome(chosen: &Value, wanted: &Value) -> Outcome {
    if chosen == wanted {
        Outcome::Ok { value: None }
    } else {
        Outcome::Fail {
            reason: format!("{chosen:?} was chosen"),
        }
    }
}

impl Protocol for Paxos {
    type Config = PaxosConfig;
    type Msg = PaxosMsg;
    type Durable = PaxosDurable;
    type Checker = PaxosChecker;

    const NAME: &'static str = "Paxos";
    const MSG_KINDS: &'static [&'static str] =
        &["Prepare", "Promise", "Accept", "Accepted", "Nack"];
    const USER_TIMER: Option<(TimerId, &'static str)> = Some((PROPOSE, "propose"));

    fn recover(id: NodeId, nodes: usize, config: &PaxosConfig, durable: PaxosDurable) -> Paxos {
        Paxos {
            id,
            nodes,
            config: config.clone(),
            proposer: config.is_proposer(id, nodes),
            promised: durable.promised,
            accepted: durable.accepted,
            round: durable.round,
            proposal: Value::from(format!("v{}", id.0)),
            phase: Phase::Idle,
            highest_seen: 0,
            waiting: Vec::new(),
            chosen: durable.chosen,
            tally: VecMap::new(),
        }
    }

    fn durable(&self) -> PaxosDurable {
        PaxosDurable {
            promised: self.promised,
            accepted: self.accepted.clone(),
            round: self.round,
            chosen: self.chosen.clone(),
        }
    }

    fn on_start(&mut self, out: &mut Out<PaxosMsg>) {
        if self.proposer && self.chosen.is_none() {
            if let Some(start) = self.config.start {
                out.set_timer(PROPOSE, start.min, start.max);
            }
        }
    }

    fn on_message(&mut self, from: NodeId, msg: PaxosMsg, out: &mut Out<PaxosMsg>) {
        self.handle(from, msg, out);
    }

    fn on_timer(&mut self, timer: TimerId, out: &mut Out<PaxosMsg>) {
        if timer != PROPOSE {
            return;
        }
        // Once learned, the timer is cancelled: a firing now was forced by
        // a user, and proposes once more without retrying.
        let retry = self.chosen.is_none();
        self.start_ballot(out);
        if retry && self.chosen.is_none() {
            let r = self.config.retry;
            out.set_timer(PROPOSE, r.min, r.max);
        }
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<PaxosMsg>) {
        match request.op {
            Op::Get { key } => {
                let outcome = match &self.chosen {
                    Some(v) => Outcome::Ok {
                        value: v
                            .strip_prefix(key.as_str())
                            .and_then(|rest| rest.strip_prefix('='))
                            .map(String::from),
                    },
                    None => Outcome::Fail {
                        reason: String::from("no value learned here yet"),
                    },
                };
                out.reply(request.id, outcome);
            }
            Op::Append { .. } => out.reply(
                request.id,
                Outcome::Fail {
                    reason: String::from("Paxos chooses one value: use put"),
                },
            ),
            Op::Put { key, .. } if key.contains('=') => out.reply(
                request.id,
                Outcome::Fail {
                    reason: String::from("Paxos proposes `key=value`: keys cannot hold '='"),
                },
            ),
            Op::Put { key, value } => {
                let value = Value::from(format!("{key}={value}"));
                if let Some(chosen) = &self.chosen {
                    out.reply(request.id, put_outcome(chosen, &value));
                } else if !self.proposer {
                    out.redirect(request.id, Some(self.config.first_proposer()));
                } else {
                    self.proposal = value.clone();
                    self.waiting.push((request.id, value));
                    self.start_ballot(out);
                    if self.chosen.is_none() {
                        let r = self.config.retry;
                        out.set_timer(PROPOSE, r.min, r.max);
                    }
                }
            }
        }
    }

    fn view(&self) -> NodeView {
        let entry = match (&self.accepted, &self.chosen) {
            (Some((b, v)), chosen) => Some(EntryView {
                index: 1,
                term: *b,
                committed: chosen.as_ref() == Some(v),
                label: format!("{v:?}"),
            }),
            (None, Some(v)) => Some(EntryView {
                index: 1,
                term: 0,
                committed: true,
                label: format!("{v:?}"),
            }),
            (None, None) => None,
        };
        NodeView {
            role: match self.phase {
                Phase::Idle => RoleKind::Follower,
                Phase::Preparing { .. } => RoleKind::Candidate,
                Phase::Accepting { .. } => RoleKind::Leader,
            },
            role_label: if self.proposer {
                "proposer"
            } else {
                "acceptor"
            },
            term: self.promised,
            term_label: "ballot",
            log_len: u64::from(entry.is_some()),
            commit_index: u64::from(self.chosen.is_some()),
            log_tail: entry.into_iter().collect(),
            leader: None,
            in_doubt_since: None,
        }
    }

    fn detail(&self) -> NodeDetail {
        NodeDetail {
            log: self.view().log_tail,
            kv: self
                .chosen
                .iter()
                .map(|v| (String::from("chosen"), String::from(&**v)))
                .collect(),
            fields: self.fields(),
        }
    }

    fn decided(&self) -> u64 {
        u64::from(self.chosen.is_some())
    }

    fn msg_kind(msg: &PaxosMsg) -> u8 {
        match msg {
            PaxosMsg::Prepare { .. } => 0,
            PaxosMsg::Promise { .. } => 1,
            PaxosMsg::Accept { .. } => 2,
            PaxosMsg::Accepted { .. } => 3,
            PaxosMsg::Nack { .. } => 4,
        }
    }

    fn msg_size(msg: &PaxosMsg) -> usize {
        // A kind byte, 8-byte ballots, length-prefixed values.
        1 + match msg {
            PaxosMsg::Prepare { .. } => 8,
            PaxosMsg::Promise { accepted, .. } => {
                8 + 1 + accepted.as_ref().map_or(0, |(_, v)| 8 + value_size(v))
            }
            PaxosMsg::Accept { value, .. } | PaxosMsg::Accepted { value, .. } => {
                8 + value_size(value)
            }
            PaxosMsg::Nack { .. } => 16,
        }
    }

    fn msg_label(msg: &PaxosMsg) -> String {
        match msg {
            PaxosMsg::Prepare { ballot } => format!("Prepare b{ballot}"),
            PaxosMsg::Promise { ballot, accepted } => match accepted {
                Some((b, v)) => format!("Promise b{ballot} (b{b},{v:?})"),
                None => format!("Promise b{ballot} (none)"),
            },
            PaxosMsg::Accept { ballot, value } => format!("Accept b{ballot} {value:?}"),
            PaxosMsg::Accepted { ballot, .. } => format!("Accepted b{ballot}"),
            PaxosMsg::Nack { ballot, promised } => format!("Nack b{ballot} (promised b{promised})"),
        }
    }
}
