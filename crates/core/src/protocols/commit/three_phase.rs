//! # Three-phase commit
//!
//! Skeen's protocol ("Nonblocking Commit Protocols", SIGMOD 1981; the
//! termination and recovery rules as in Bernstein, Hadzilacos and Goodman,
//! "Concurrency Control and Recovery in Database Systems", §7.5) adds a
//! round between the vote and the commit so that no participant that stays
//! up is left unable to decide when the coordinator fails:
//!
//! 1. `CanCommit(T)`: participants vote; a yes voter is *uncertain*.
//! 2. `PreCommit(T)` once every vote is yes: participants become
//!    *pre-committed* and acknowledge. No one commits before everyone has at
//!    least voted yes, and no one aborts after anyone is pre-committed.
//! 3. `DoCommit(T)` once the acknowledgements are in (or their timeout
//!    passes: a silent participant has crashed and will ask on recovery).
//!
//! Timeouts at every phase. The coordinator aborts if votes are missing,
//! and commits if acknowledgements are. A participant that hears nothing
//! runs the **termination protocol**: it asks every other site for its
//! state; a site that knows the outcome ends it at once, and otherwise the
//! lowest-numbered participant that answered leads and decides from the
//! states it holds *at that moment*, its own included: anyone
//! pre-committed → commit; everyone uncertain → abort. Alone, this is the
//! standard timeout action: a pre-committed participant commits, an
//! uncertain one aborts. (The leader sends `DoCommit` directly rather than
//! a fresh pre-commit round; a handler's messages leave together, so no
//! site can see half of them.)
//!
//! **Recovery.** A participant that restarts with an undecided transaction
//! does not know what the others decided while it was down: it stays
//! uncertain (or pre-committed), takes no part in termination, and asks
//! every site, the coordinator included, again and again until one that
//! knows the outcome answers. The coordinator answers from its decisions,
//! which it logs, including those it learns from a termination leader.
//! A crash of every site can therefore block, as Skeen proved it must.
//!
//! The famous failure: 3PC assumes a synchronous network, where a message
//! arrives before any timeout and silence means a crash. Partition the
//! participants during the pre-commit round, or delay a message past a
//! timeout, and a site decides alone from what it sees: the side that saw
//! `PreCommit` commits, the side that did not aborts, and atomicity is
//! gone.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::{
    admit, answer, log_entries, node_detail, node_view, participants, vote, CommitInvariants,
    CommitNode,
    Ledger, Stage, Txn, VotePolicy, COORDINATOR,
};
use crate::id::{NodeId, RequestId};
use crate::protocol::{
    ClientRequest, EntryView, NodeDetail, NodeView, Out, Protocol, RoleKind, TimerId,
};
use crate::scenario::ScenarioError;
use crate::time::{Span, Time};

const TICK: TimerId = 0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThreePhaseConfig {
    pub votes: VotePolicy,
    /// How long anyone waits for the next message of the protocol.
    pub timeout: Span,
}

impl Default for ThreePhaseConfig {
    fn default() -> Self {
        ThreePhaseConfig {
            votes: VotePolicy::default(),
            timeout: Span::from_millis(300),
        }
    }
}

impl ThreePhaseConfig {
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.votes.validate()?;
        if self.timeout.0 < 4 {
            return Err(ScenarioError::new("timeout", "must be at least 4us"));
        }
        Ok(())
    }
}

/// A node's stage in one transaction. The coordinator's ledger holds only
/// its decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Local {
    /// Voted yes; may still abort.
    Uncertain,
    /// Every participant voted yes; may no longer abort.
    PreCommitted,
    Committed,
    Aborted,
}

impl Stage for Local {
    fn voted_yes(self) -> bool {
        matches!(self, Local::Uncertain | Local::PreCommitted)
    }
    fn outcome(self) -> Option<bool> {
        match self {
            Local::Uncertain | Local::PreCommitted => None,
            Local::Committed => Some(true),
            Local::Aborted => Some(false),
        }
    }
}

impl Local {
    fn name(self) -> &'static str {
        match self {
            Local::Uncertain => "uncertain",
            Local::PreCommitted => "pre-committed",
            Local::Committed => "committed",
            Local::Aborted => "aborted",
        }
    }

    fn is_final(self) -> bool {
        self.outcome().is_some()
    }

    fn decided(commit: bool) -> Local {
        if commit {
            Local::Committed
        } else {
            Local::Aborted
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThreePhaseMsg {
    CanCommit {
        txn: Txn,
    },
    Vote {
        txn: Txn,
        yes: bool,
    },
    PreCommit {
        txn: Txn,
    },
    Ack {
        txn: Txn,
    },
    DoCommit {
        txn: Txn,
    },
    Abort {
        txn: Txn,
    },
    /// Termination and recovery: what is your state?
    StateReq {
        txn: Txn,
    },
    State {
        txn: Txn,
        state: Local,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    Votes,
    Acks,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Coordinating {
    request: RequestId,
    phase: Phase,
    got: u64,
    deadline: Time,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Terminating {
    /// Undecided states reported by other participants.
    states: BTreeMap<NodeId, Local>,
    deadline: Time,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ThreePhaseDurable {
    ledger: Ledger<Local>,
    /// The vote a user chose for this participant, overriding the policy.
    vote: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct ThreePhase {
    id: NodeId,
    nodes: usize,
    config: ThreePhaseConfig,
    durable: ThreePhaseDurable,
    coordinating: BTreeMap<Txn, Coordinating>,
    /// Undecided transactions and when this participant last heard of
    /// each, so timers need not scan every transaction it ever saw.
    waiting: BTreeMap<Txn, Time>,
    terminating: BTreeMap<Txn, Terminating>,
    /// Undecided transactions this participant held when it restarted: it
    /// cannot tell what was decided while it was down, so it only asks.
    recovering: BTreeSet<Txn>,
}

// The explorer stores node states and merges equal ones. Cluster size and
// configuration are the same in every state of one exploration, and the
// configuration holds a float, so they are left out.
impl PartialEq for ThreePhase {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.durable == other.durable
            && self.coordinating == other.coordinating
            && self.waiting == other.waiting
            && self.terminating == other.terminating
            && self.recovering == other.recovering
    }
}
impl Eq for ThreePhase {}
impl core::hash::Hash for ThreePhase {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h);
        self.durable.hash(h);
        self.coordinating.hash(h);
        self.waiting.hash(h);
        self.terminating.hash(h);
        self.recovering.hash(h);
    }
}

impl ThreePhase {
    fn is_coordinator(&self) -> bool {
        self.id == COORDINATOR
    }

    fn stage(&self, txn: Txn) -> Option<Local> {
        self.durable.ledger.get(txn)
    }

    fn broadcast_participants(&self, msg: ThreePhaseMsg, out: &mut Out<ThreePhaseMsg>) {
        for n in 1..self.nodes as u16 {
            if n != self.id.0 {
                out.send(NodeId(n), msg.clone());
            }
        }
    }

    /// Sets the one timer for the earliest deadline: a phase's, a silent
    /// wait's, or a termination's. Exact deadlines, rather than a periodic
    /// tick, make each timeout one timer event, which keeps runs short and
    /// the explorer's search small.
    fn arm(&self, out: &mut Out<ThreePhaseMsg>) {
        let timeout = self.config.timeout;
        let next = self
            .coordinating
            .values()
            .map(|c| c.deadline)
            .chain(
                self.waiting
                    .iter()
                    .filter(|(t, _)| !self.terminating.contains_key(t))
                    .map(|(_, since)| *since + timeout),
            )
            .chain(self.terminating.values().map(|t| t.deadline))
            .min();
        match next {
            Some(at) => {
                let delay = Span(at.since(out.now()).0.max(1));
                out.set_timer(TICK, delay, delay);
            }
            None => out.cancel_timer(TICK),
        }
    }

    /// Moves a participant's transaction to `state`. A decided transaction
    /// stays decided, and a pre-committed one never aborts: every
    /// participant voted yes, and someone may already have committed.
    fn set(&mut self, txn: Txn, state: Local, now: Time) {
        let old = self.stage(txn);
        if old.is_some_and(Local::is_final)
            || old == Some(state)
            || (old == Some(Local::PreCommitted) && state == Local::Aborted)
        {
            return;
        }
        self.durable.ledger.write(txn, state);
        if state.is_final() {
            self.waiting.remove(&txn);
            self.terminating.remove(&txn);
            self.recovering.remove(&txn);
        } else {
            self.waiting.insert(txn, now);
        }
    }

    /// The coordinator logs `commit` (its own decision, or one a
    /// termination leader made without it) and tells everyone.
    fn coordinator_decide(
        &mut self,
        txn: Txn,
        commit: bool,
        why: &str,
        out: &mut Out<ThreePhaseMsg>,
    ) {
        if self.stage(txn).is_some() {
            return;
        }
        self.durable.ledger.write(txn, Local::decided(commit));
        let msg = if commit {
            ThreePhaseMsg::DoCommit { txn }
        } else {
            ThreePhaseMsg::Abort { txn }
        };
        self.broadcast_participants(msg, out);
        if let Some(c) = self.coordinating.remove(&txn) {
            out.reply(c.request, answer(commit, String::from(why)));
        }
    }

    fn coordinator_tick(&mut self, out: &mut Out<ThreePhaseMsg>) {
        let now = out.now();
        let late: Vec<(Txn, Phase)> = self
            .coordinating
            .iter()
            .filter(|(_, c)| c.deadline <= now)
            .map(|(t, c)| (*t, c.phase))
            .collect();
        for (txn, phase) in late {
            match phase {
                Phase::Votes => self.coordinator_decide(
                    txn,
                    false,
                    "aborted: a vote did not arrive in time",
                    out,
                ),
                // Everyone voted yes; a silent participant has crashed and
                // will learn the outcome when it recovers.
                Phase::Acks => self.coordinator_decide(txn, true, "", out),
            }
        }
    }

    /// Asks every other site, the coordinator included, for its state.
    fn ask_everyone(&self, txn: Txn, out: &mut Out<ThreePhaseMsg>) {
        out.send(COORDINATOR, ThreePhaseMsg::StateReq { txn });
        self.broadcast_participants(ThreePhaseMsg::StateReq { txn }, out);
    }

    fn participant_tick(&mut self, out: &mut Out<ThreePhaseMsg>) {
        let now = out.now();
        let timeout = self.config.timeout;
        let stalled: Vec<Txn> = self
            .waiting
            .iter()
            .filter(|(t, since)| now.since(**since) >= timeout && !self.terminating.contains_key(t))
            .map(|(t, _)| *t)
            .collect();
        for txn in stalled {
            if self.recovering.contains(&txn) {
                self.waiting.insert(txn, now);
            } else {
                self.terminating.insert(
                    txn,
                    Terminating {
                        states: BTreeMap::new(),
                        deadline: now + timeout,
                    },
                );
            }
            self.ask_everyone(txn, out);
        }
        let due: Vec<Txn> = self
            .terminating
            .iter()
            .filter(|(_, t)| t.deadline <= now)
            .map(|(t, _)| *t)
            .collect();
        for txn in due {
            let Some(term) = self.terminating.remove(&txn) else {
                continue;
            };
            // Decided or recovering since: the states no longer matter.
            let Some(own) = self.stage(txn).filter(|s| !s.is_final()) else {
                continue;
            };
            if term.states.keys().next().is_some_and(|n| *n < self.id) {
                // A lower-numbered participant answered: it leads. Wait a
                // full timeout for its decision before trying again.
                self.waiting.insert(txn, now);
                continue;
            }
            // Decide from the states now: our own as it is (a PreCommit
            // may have arrived since termination began), and the reports.
            let commit = own == Local::PreCommitted
                || term.states.values().any(|s| *s == Local::PreCommitted);
            self.set(txn, Local::decided(commit), now);
            let msg = if commit {
                ThreePhaseMsg::DoCommit { txn }
            } else {
                ThreePhaseMsg::Abort { txn }
            };
            self.broadcast_participants(msg.clone(), out);
            out.send(COORDINATOR, msg);
        }
    }

    fn on_coordinator_message(
        &mut self,
        from: NodeId,
        msg: ThreePhaseMsg,
        out: &mut Out<ThreePhaseMsg>,
    ) {
        let now = out.now();
        let everyone = participants(self.nodes);
        match msg {
            ThreePhaseMsg::Vote { txn, yes } => {
                let Some(c) = self.coordinating.get_mut(&txn) else {
                    return;
                };
                if c.phase != Phase::Votes {
                    return;
                }
                if !yes {
                    let why = format!("aborted: {from} voted no");
                    self.coordinator_decide(txn, false, &why, out);
                    return;
                }
                c.got |= 1u64 << from.0;
                if c.got == everyone {
                    c.phase = Phase::Acks;
                    c.got = 0;
                    c.deadline = now + self.config.timeout;
                    self.broadcast_participants(ThreePhaseMsg::PreCommit { txn }, out);
                }
            }
            ThreePhaseMsg::Ack { txn } => {
                let Some(c) = self.coordinating.get_mut(&txn) else {
                    return;
                };
                c.got |= 1u64 << from.0;
                if c.phase == Phase::Acks && c.got == everyone {
                    self.coordinator_decide(txn, true, "", out);
                }
            }
            // A termination leader decided without us.
            ThreePhaseMsg::DoCommit { txn } => self.coordinator_decide(txn, true, "", out),
            ThreePhaseMsg::Abort { txn } => {
                let why = format!("aborted: {from} terminated it");
                self.coordinator_decide(txn, false, &why, out);
            }
            ThreePhaseMsg::StateReq { txn } => {
                if let Some(state) = self.stage(txn) {
                    out.send(from, ThreePhaseMsg::State { txn, state });
                }
            }
            _ => {}
        }
    }

    fn on_participant_message(
        &mut self,
        from: NodeId,
        msg: ThreePhaseMsg,
        out: &mut Out<ThreePhaseMsg>,
    ) {
        let now = out.now();
        match msg {
            ThreePhaseMsg::CanCommit { txn } => {
                let yes = match self.stage(txn) {
                    Some(s) => s != Local::Aborted,
                    None => {
                        let yes = vote(self.durable.vote, &self.config.votes, txn, self.id);
                        let state = if yes {
                            Local::Uncertain
                        } else {
                            Local::Aborted
                        };
                        self.set(txn, state, now);
                        yes
                    }
                };
                out.send(from, ThreePhaseMsg::Vote { txn, yes });
            }
            ThreePhaseMsg::PreCommit { txn } => {
                if self.stage(txn) == Some(Local::Uncertain) {
                    self.set(txn, Local::PreCommitted, now);
                }
                if self.stage(txn) != Some(Local::Aborted) {
                    out.send(from, ThreePhaseMsg::Ack { txn });
                }
            }
            ThreePhaseMsg::DoCommit { txn } => self.set(txn, Local::Committed, now),
            ThreePhaseMsg::Abort { txn } => self.set(txn, Local::Aborted, now),
            ThreePhaseMsg::StateReq { txn } => {
                // A recovering participant knows only what it is told: it
                // answers once it knows the outcome, so it is never taken
                // for a site that can lead termination.
                if let Some(state) = self.stage(txn) {
                    if state.is_final() || !self.recovering.contains(&txn) {
                        out.send(from, ThreePhaseMsg::State { txn, state });
                    }
                }
            }
            ThreePhaseMsg::State { txn, state } => {
                if state.is_final() {
                    self.set(txn, state, now);
                } else if from != COORDINATOR {
                    if let Some(t) = self.terminating.get_mut(&txn) {
                        t.states.insert(from, state);
                    }
                }
            }
            ThreePhaseMsg::Vote { .. } | ThreePhaseMsg::Ack { .. } => {}
        }
    }
}

impl CommitNode for ThreePhase {
    type Stage = Local;
    fn ledger(&self) -> &Ledger<Local> {
        &self.durable.ledger
    }
}

impl Protocol for ThreePhase {
    type Config = ThreePhaseConfig;
    type Msg = ThreePhaseMsg;
    type Durable = ThreePhaseDurable;
    type Checker = CommitInvariants;

    const NAME: &'static str = "Three-phase commit";
    const MSG_KINDS: &'static [&'static str] = &[
        "CanCommit",
        "Vote",
        "PreCommit",
        "Ack",
        "DoCommit",
        "Abort",
        "State?",
        "State",
    ];
    const USER_TIMER: Option<(TimerId, &'static str)> = None;

    fn recover(
        id: NodeId,
        nodes: usize,
        config: &ThreePhaseConfig,
        durable: ThreePhaseDurable,
    ) -> ThreePhase {
        // Every undecided transaction a participant comes back with was
        // undecided when it went down: it recovers by asking.
        let recovering: BTreeSet<Txn> = durable.ledger.undecided().collect();
        ThreePhase {
            id,
            nodes,
            config: config.clone(),
            waiting: recovering.iter().map(|t| (*t, Time::ZERO)).collect(),
            recovering,
            durable,
            coordinating: BTreeMap::new(),
            terminating: BTreeMap::new(),
        }
    }

    fn durable(&self) -> ThreePhaseDurable {
        self.durable.clone()
    }

    fn on_start(&mut self, out: &mut Out<ThreePhaseMsg>) {
        // A recovering participant asks at once, then after every timeout.
        let now = out.now();
        let open: Vec<Txn> = self.waiting.keys().copied().collect();
        for txn in open {
            self.waiting.insert(txn, now);
            self.ask_everyone(txn, out);
        }
        self.arm(out);
    }

    fn on_message(&mut self, from: NodeId, msg: ThreePhaseMsg, out: &mut Out<ThreePhaseMsg>) {
        if self.is_coordinator() {
            self.on_coordinator_message(from, msg, out);
        } else {
            self.on_participant_message(from, msg, out);
        }
        self.arm(out);
    }

    fn on_timer(&mut self, _timer: TimerId, out: &mut Out<ThreePhaseMsg>) {
        if self.is_coordinator() {
            self.coordinator_tick(out);
        } else {
            self.participant_tick(out);
        }
        self.arm(out);
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<ThreePhaseMsg>) {
        let Some(txn) = admit(self.id, self.nodes, &request, out) else {
            return;
        };
        self.coordinating.insert(
            txn,
            Coordinating {
                request: request.id,
                phase: Phase::Votes,
                got: 0,
                deadline: out.now() + self.config.timeout,
            },
        );
        self.broadcast_participants(ThreePhaseMsg::CanCommit { txn }, out);
        self.arm(out);
    }

    fn view(&self) -> NodeView {
        let (role, role_label) = if self.is_coordinator() {
            (RoleKind::Leader, "coordinator")
        } else if !self.terminating.is_empty() {
            (RoleKind::Candidate, "terminating")
        } else if !self.recovering.is_empty() {
            (RoleKind::Follower, "recovering")
        } else {
            let label = self
                .durable
                .ledger
                .iter()
                .next_back()
                .map_or("working", |(_, s)| s.name());
            (RoleKind::Follower, label)
        };
        node_view(role, role_label, &self.log_views(), None)
    }

    fn detail(&self) -> NodeDetail {
        let mut fields = Vec::new();
        for (txn, c) in &self.coordinating {
            let phase = match c.phase {
                Phase::Votes => "collecting votes",
                Phase::Acks => "collecting acks",
            };
            fields.push((
                phase,
                format!("{txn}: {} of {}", c.got.count_ones(), self.nodes - 1),
            ));
        }
        for (txn, t) in &self.terminating {
            let states: Vec<String> = t
                .states
                .iter()
                .map(|(n, s)| format!("{n} {}", s.name()))
                .collect();
            fields.push(("terminating", format!("{txn}: {}", states.join(", "))));
        }
        for txn in &self.recovering {
            fields.push((
                "recovering",
                format!("{txn}: asking every site until one knows the outcome"),
            ));
        }
        node_detail(self.log_views(), fields)
    }

    fn decided(&self) -> u64 {
        self.durable.ledger.decided()
    }

    fn msg_kind(msg: &ThreePhaseMsg) -> u8 {
        match msg {
            ThreePhaseMsg::CanCommit { .. } => 0,
            ThreePhaseMsg::Vote { .. } => 1,
            ThreePhaseMsg::PreCommit { .. } => 2,
            ThreePhaseMsg::Ack { .. } => 3,
            ThreePhaseMsg::DoCommit { .. } => 4,
            ThreePhaseMsg::Abort { .. } => 5,
            ThreePhaseMsg::StateReq { .. } => 6,
            ThreePhaseMsg::State { .. } => 7,
        }
    }

    fn msg_size(msg: &ThreePhaseMsg) -> usize {
        match msg {
            ThreePhaseMsg::Vote { .. } | ThreePhaseMsg::State { .. } => 10,
            _ => 9,
        }
    }

    fn msg_label(msg: &ThreePhaseMsg) -> String {
        match msg {
            ThreePhaseMsg::CanCommit { txn } => format!("CanCommit? {txn}"),
            ThreePhaseMsg::Vote { txn, yes } => {
                format!("{} {txn}", if *yes { "Yes" } else { "No" })
            }
            ThreePhaseMsg::PreCommit { txn } => format!("PreCommit {txn}"),
            ThreePhaseMsg::Ack { txn } => format!("Ack {txn}"),
            ThreePhaseMsg::DoCommit { txn } => format!("DoCommit {txn}"),
            ThreePhaseMsg::Abort { txn } => format!("Abort {txn}"),
            ThreePhaseMsg::StateReq { txn } => format!("State? {txn}"),
            ThreePhaseMsg::State { txn, state } => format!("{txn} {}", state.name()),
        }
    }

    fn votes(&self) -> bool {
        !self.is_coordinator()
    }

    fn set_vote(&mut self, yes: bool) {
        self.durable.vote = Some(yes);
    }
}

impl ThreePhase {
    fn log_views(&self) -> Vec<EntryView> {
        if self.is_coordinator() {
            let label = |s: Local| match s {
                Local::Committed => "commit",
                _ => "abort",
            };
            let pending = self.coordinating.iter().map(|(t, c)| {
                let label = match c.phase {
                    Phase::Votes => "voting",
                    Phase::Acks => "pre-commit",
                };
                (*t, label)
            });
            log_entries(&self.durable.ledger, label, pending)
        } else {
            log_entries(&self.durable.ledger, Local::name, core::iter::empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Checker, Effect, Slot};
    use alloc::vec;

    fn node(id: u16) -> (ThreePhase, Out<ThreePhaseMsg>) {
        let mut p = ThreePhase::new(NodeId(id), 4, &ThreePhaseConfig::default());
        let mut out = Out::new(NodeId(id), 4);
        p.on_start(&mut out);
        (p, out)
    }

    fn tick_at(p: &mut ThreePhase, out: &mut Out<ThreePhaseMsg>, ms: u64) {
        out.reset(p.id, Time(ms * 1000));
        p.on_timer(TICK, out);
    }

    /// Delivers `msg` at the time of the last input; `out` then holds only
    /// what this delivery did.
    fn deliver(p: &mut ThreePhase, out: &mut Out<ThreePhaseMsg>, from: u16, msg: ThreePhaseMsg) {
        out.reset(p.id, out.now());
        p.on_message(NodeId(from), msg, out);
    }

    fn sent(out: &Out<ThreePhaseMsg>) -> Vec<(NodeId, ThreePhaseMsg)> {
        out.effects()
            .iter()
            .filter_map(|e| match e {
                Effect::Send { to, msg } => Some((*to, msg.clone())),
                _ => None,
            })
            .collect()
    }

    fn state(p: &ThreePhase) -> Option<Local> {
        p.stage(T1)
    }

    const T1: Txn = Txn(1);

    fn uncertain(id: u16) -> (ThreePhase, Out<ThreePhaseMsg>) {
        let (mut p, mut out) = node(id);
        deliver(&mut p, &mut out, 0, ThreePhaseMsg::CanCommit { txn: T1 });
        (p, out)
    }

    /// Alone, a pre-committed participant commits on timeout.
    #[test]
    fn lone_precommitted_participant_commits_on_timeout() {
        let (mut p, mut out) = uncertain(1);
        deliver(&mut p, &mut out, 0, ThreePhaseMsg::PreCommit { txn: T1 });
        tick_at(&mut p, &mut out, 400); // timeout: termination starts
        tick_at(&mut p, &mut out, 800); // nobody answered: decide alone
        assert_eq!(state(&p), Some(Local::Committed));
    }

    /// Alone, an uncertain participant aborts on timeout.
    #[test]
    fn lone_uncertain_participant_aborts_on_timeout() {
        let (mut p, mut out) = uncertain(1);
        tick_at(&mut p, &mut out, 400);
        tick_at(&mut p, &mut out, 800);
        assert_eq!(state(&p), Some(Local::Aborted));
    }

    /// Termination asks every site, the coordinator included; one
    /// pre-committed report is enough to commit, and a participant defers
    /// to a lower-numbered one that answered.
    #[test]
    fn termination_rule_and_leader() {
        let (mut p, mut out) = uncertain(1);
        tick_at(&mut p, &mut out, 400);
        let asked: Vec<NodeId> = sent(&out).into_iter().map(|(to, _)| to).collect();
        assert_eq!(asked, [NodeId(0), NodeId(2), NodeId(3)]);
        let report = |state| ThreePhaseMsg::State { txn: T1, state };
        deliver(&mut p, &mut out, 3, report(Local::PreCommitted));
        tick_at(&mut p, &mut out, 800);
        assert_eq!(state(&p), Some(Local::Committed));

        let (mut q, mut out) = uncertain(3);
        tick_at(&mut q, &mut out, 400);
        deliver(&mut q, &mut out, 1, report(Local::Uncertain));
        tick_at(&mut q, &mut out, 800);
        assert_eq!(state(&q), Some(Local::Uncertain), "n1 leads");
    }

    /// The leader decides from its state when it decides, not when it
    /// began: a PreCommit that arrives during termination makes it commit.
    #[test]
    fn termination_decides_from_the_current_state() {
        let (mut p, mut out) = uncertain(1);
        tick_at(&mut p, &mut out, 400);
        deliver(&mut p, &mut out, 0, ThreePhaseMsg::PreCommit { txn: T1 });
        tick_at(&mut p, &mut out, 800);
        assert_eq!(state(&p), Some(Local::Committed));
    }

    /// Once pre-committed, a participant does not abort, whoever says so.
    #[test]
    fn a_precommitted_participant_never_aborts() {
        let (mut p, mut out) = uncertain(2);
        deliver(&mut p, &mut out, 0, ThreePhaseMsg::PreCommit { txn: T1 });
        deliver(&mut p, &mut out, 1, ThreePhaseMsg::Abort { txn: T1 });
        let aborted = ThreePhaseMsg::State {
            txn: T1,
            state: Local::Aborted,
        };
        deliver(&mut p, &mut out, 1, aborted);
        assert_eq!(state(&p), Some(Local::PreCommitted));
    }

    /// A participant that restarts undecided asks every site, the
    /// coordinator included, takes no part in termination and never
    /// decides alone; the first site that knows the outcome settles it.
    #[test]
    fn a_recovering_participant_asks_until_someone_knows() {
        let (p, _) = uncertain(2);
        let mut r = ThreePhase::recover(NodeId(2), 4, &p.config, p.durable());
        let mut out = Out::new(NodeId(2), 4);
        r.on_start(&mut out);
        let asked: Vec<NodeId> = sent(&out).into_iter().map(|(to, _)| to).collect();
        assert_eq!(asked, [NodeId(0), NodeId(1), NodeId(3)]);
        for ms in (400..=4000).step_by(75) {
            tick_at(&mut r, &mut out, ms);
        }
        assert_eq!(state(&r), Some(Local::Uncertain), "it never decides alone");
        assert!(r.terminating.is_empty());
        assert!(
            sent(&out).iter().any(|(to, _)| *to == COORDINATOR),
            "it keeps asking the coordinator"
        );
        // It does not pass for a site that could lead termination...
        deliver(&mut r, &mut out, 1, ThreePhaseMsg::StateReq { txn: T1 });
        assert!(sent(&out).is_empty());
        // ...and an uncertain answer teaches it nothing; a decided one does.
        let answer = |state| ThreePhaseMsg::State { txn: T1, state };
        deliver(&mut r, &mut out, 1, answer(Local::Uncertain));
        assert_eq!(state(&r), Some(Local::Uncertain));
        deliver(&mut r, &mut out, 0, answer(Local::Committed));
        assert_eq!(state(&r), Some(Local::Committed));
        assert_eq!(r.view().role_label, "committed");
    }

    /// The coordinator answers a state request once it has decided (or has
    /// learnt a termination leader's decision), and not before.
    #[test]
    fn the_coordinator_answers_after_its_decision() {
        let (mut c, mut out) = node(0);
        deliver(&mut c, &mut out, 2, ThreePhaseMsg::StateReq { txn: T1 });
        assert!(sent(&out).is_empty());
        deliver(&mut c, &mut out, 1, ThreePhaseMsg::DoCommit { txn: T1 });
        deliver(&mut c, &mut out, 2, ThreePhaseMsg::StateReq { txn: T1 });
        assert_eq!(
            sent(&out),
            [(
                NodeId(2),
                ThreePhaseMsg::State {
                    txn: T1,
                    state: Local::Committed
                }
            )]
        );
        let back = ThreePhase::recover(NodeId(0), 4, &c.config, c.durable());
        assert_eq!(back.stage(T1), Some(Local::Committed), "logged");
    }

    fn check(
        checker: &mut CommitInvariants,
        nodes: &[Slot<ThreePhase>],
        n: u16,
    ) -> Result<(), crate::protocol::Violation> {
        <CommitInvariants as Checker<ThreePhase>>::check(checker, nodes, NodeId(n))
    }

    /// The checker reads what each node holds in stable storage, not what
    /// a handler says it did: a stage written behind the handlers' backs,
    /// or one a node comes back with from a crash, is seen all the same.
    #[test]
    fn the_checker_observes_stable_storage() {
        let config = ThreePhaseConfig::default();
        let mut checker = <CommitInvariants as Checker<ThreePhase>>::new(4, &config);
        let mut nodes: Vec<Slot<ThreePhase>> = (0..4)
            .map(|i| Slot::Up(ThreePhase::new(NodeId(i), 4, &config)))
            .collect();
        for i in 1..4 {
            let Slot::Up(p) = &mut nodes[usize::from(i)] else {
                unreachable!("every node starts up")
            };
            let mut out = Out::new(NodeId(i), 4);
            p.on_message(COORDINATOR, ThreePhaseMsg::CanCommit { txn: T1 }, &mut out);
            check(&mut checker, &nodes, i).unwrap();
        }
        // n1 commits without any message saying so.
        if let Slot::Up(p) = &mut nodes[1] {
            p.durable.ledger.write(T1, Local::Committed);
        }
        check(&mut checker, &nodes, 1).unwrap();
        // n2 crashes and comes back from storage that says it aborted.
        let mut durable = nodes[2].up().map(ThreePhase::durable).unwrap();
        durable.ledger.write(T1, Local::Aborted);
        nodes[2] = Slot::Up(ThreePhase::recover(NodeId(2), 4, &config, durable));
        let v = check(&mut checker, &nodes, 2).expect_err("atomicity is broken");
        assert_eq!(v.invariant, 0, "{v:?}");
        assert_eq!(v.nodes, vec![NodeId(1), NodeId(2)]);

        // Validity: a commit written while n3 never voted.
        let mut checker = <CommitInvariants as Checker<ThreePhase>>::new(4, &config);
        let mut fresh: Vec<Slot<ThreePhase>> = (0..4)
            .map(|i| Slot::Up(ThreePhase::new(NodeId(i), 4, &config)))
            .collect();
        for i in 1..3 {
            if let Slot::Up(p) = &mut fresh[i] {
                p.durable.ledger.write(T1, Local::Uncertain);
            }
            check(&mut checker, &fresh, i as u16).unwrap();
        }
        if let Slot::Up(c) = &mut fresh[0] {
            c.durable.ledger.write(T1, Local::Committed);
        }
        let v = check(&mut checker, &fresh, 0).expect_err("validity is broken");
        assert_eq!(v.invariant, 1, "{v:?}");
        assert!(v.message.contains("without a yes vote from n3"), "{v:?}");
    }
}
