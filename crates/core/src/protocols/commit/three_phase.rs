//! # Three-phase commit
//!
//! Skeen's protocol ("Nonblocking Commit Protocols", SIGMOD 1981) adds a
//! round between the vote and the commit so that no participant can be
//! left unable to decide when the coordinator fails:
//!
//! 1. `CanCommit(T)`: participants vote; a yes voter is *uncertain*.
//! 2. `PreCommit(T)` once every vote is yes: participants become
//!    *pre-committed* and acknowledge. No one commits before everyone has at
//!    least voted yes, and no one aborts after anyone is pre-committed.
//! 3. `DoCommit(T)` once the acknowledgements are in (or their timeout
//!    passes).
//!
//! Timeouts at every phase. The coordinator aborts if votes are missing,
//! and commits if acknowledgements are. A participant that hears nothing
//! runs the **termination protocol**: it asks the other participants for
//! their state; the lowest-numbered participant that answered leads, and
//! decides by the rule: anyone aborted → abort; anyone committed or
//! pre-committed → commit; everyone uncertain → abort. Alone, this is the
//! standard timeout action: a pre-committed participant commits, an
//! uncertain one aborts. (The new leader sends `DoCommit` directly rather
//! than a fresh pre-commit round; the difference matters only for further
//! failures during termination.)
//!
//! The famous failure: 3PC assumes a synchronous network where silence
//! means a crash. Partition the participants during the pre-commit round
//! and each side terminates on its own: the side that saw `PreCommit`
//! commits, the side that did not aborts, and atomicity is gone.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::{Change, CommitInvariants, CommitNode, Txn, VotePolicy, COORDINATOR};
use crate::id::{NodeId, RequestId};
use crate::protocol::{
    ClientRequest, EntryView, NodeDetail, NodeView, Out, Outcome, Protocol, RoleKind, TimerId,
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

/// A participant's state in one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Local {
    /// Voted yes; may still abort.
    Uncertain,
    /// Every participant voted yes; may no longer abort.
    PreCommitted,
    Committed,
    Aborted,
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
        matches!(self, Local::Committed | Local::Aborted)
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
    /// Termination protocol: what is your state?
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

/// A participant's transaction: its state and when it last heard of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Held {
    pub state: Local,
    pub since: Time,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Terminating {
    /// States reported by other participants (and our own, at the start).
    states: BTreeMap<NodeId, Local>,
    deadline: Time,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ThreePhaseDurable {
    decisions: BTreeMap<Txn, bool>,
    local: BTreeMap<Txn, Held>,
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
    terminating: BTreeMap<Txn, Terminating>,
    /// Undecided transactions, so timers need not scan every transaction
    /// this node ever saw.
    open: BTreeSet<Txn>,
    changes: Vec<(Txn, Change)>,
}

// The explorer stores node states and merges equal ones. Identity, cluster
// size and configuration are the same in every state of one exploration,
// and the configuration holds a float, so they are left out.
impl PartialEq for ThreePhase {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.durable == other.durable
            && self.coordinating == other.coordinating
            && self.terminating == other.terminating
            && self.open == other.open
            && self.changes == other.changes
    }
}
impl Eq for ThreePhase {}
impl core::hash::Hash for ThreePhase {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h);
        self.durable.hash(h);
        self.coordinating.hash(h);
        self.terminating.hash(h);
        self.open.hash(h);
        self.changes.hash(h);
    }
}

impl ThreePhase {
    fn is_coordinator(&self) -> bool {
        self.id == COORDINATOR
    }

    fn participants(&self) -> u64 {
        let all = if self.nodes >= 64 {
            u64::MAX
        } else {
            (1u64 << self.nodes) - 1
        };
        all & !1
    }

    fn broadcast_participants(&self, msg: ThreePhaseMsg, out: &mut Out<ThreePhaseMsg>) {
        for n in 1..self.nodes as u16 {
            if n != self.id.0 {
                out.send(NodeId(n), msg.clone());
            }
        }
    }

    fn arm(&self, out: &mut Out<ThreePhaseMsg>) {
        let busy = !self.coordinating.is_empty() || !self.open.is_empty();
        if busy {
            let period = Span(self.config.timeout.0 / 4);
            out.set_timer(TICK, period, period);
        }
    }

    /// Moves a participant's transaction to `state`, telling the checker
    /// about votes and decisions.
    fn set(&mut self, txn: Txn, state: Local, now: Time) {
        let old = self.durable.local.get(&txn).map(|h| h.state);
        if old.is_some_and(Local::is_final) || old == Some(state) {
            return;
        }
        self.durable.local.insert(txn, Held { state, since: now });
        if state.is_final() {
            self.open.remove(&txn);
        } else {
            self.open.insert(txn);
        }
        match state {
            Local::Committed => self.changes.push((txn, Change::Decided { commit: true })),
            Local::Aborted => self.changes.push((txn, Change::Decided { commit: false })),
            _ => {}
        }
        if state.is_final() {
            self.terminating.remove(&txn);
        }
    }

    fn coordinator_decide(
        &mut self,
        txn: Txn,
        commit: bool,
        why: &str,
        out: &mut Out<ThreePhaseMsg>,
    ) {
        self.durable.decisions.insert(txn, commit);
        self.changes.push((txn, Change::Decided { commit }));
        let msg = if commit {
            ThreePhaseMsg::DoCommit { txn }
        } else {
            ThreePhaseMsg::Abort { txn }
        };
        self.broadcast_participants(msg, out);
        if let Some(c) = self.coordinating.remove(&txn) {
            let outcome = if commit {
                Outcome::Ok { value: None }
            } else {
                Outcome::Fail {
                    reason: String::from(why),
                }
            };
            out.reply(c.request, outcome);
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

    fn participant_tick(&mut self, out: &mut Out<ThreePhaseMsg>) {
        let now = out.now();
        let timeout = self.config.timeout;
        let stalled: Vec<(Txn, Local)> = self
            .open
            .iter()
            .filter_map(|t| self.durable.local.get(t).map(|h| (t, h)))
            .filter(|(t, h)| now.since(h.since) >= timeout && !self.terminating.contains_key(t))
            .map(|(t, h)| (*t, h.state))
            .collect();
        for (txn, state) in stalled {
            let mut states = BTreeMap::new();
            states.insert(self.id, state);
            self.terminating.insert(
                txn,
                Terminating {
                    states,
                    deadline: now + timeout,
                },
            );
            self.broadcast_participants(ThreePhaseMsg::StateReq { txn }, out);
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
            let leader = term.states.keys().next().copied();
            if leader != Some(self.id) {
                // A lower-numbered participant answered: it leads. Wait a
                // full timeout for its decision before trying again.
                if let Some(h) = self.durable.local.get_mut(&txn) {
                    h.since = now;
                }
                continue;
            }
            let any = |s: Local| term.states.values().any(|x| *x == s);
            let commit = if any(Local::Aborted) {
                false
            } else {
                any(Local::Committed) || any(Local::PreCommitted)
            };
            self.set(
                txn,
                if commit {
                    Local::Committed
                } else {
                    Local::Aborted
                },
                now,
            );
            let msg = if commit {
                ThreePhaseMsg::DoCommit { txn }
            } else {
                ThreePhaseMsg::Abort { txn }
            };
            self.broadcast_participants(msg.clone(), out);
            out.send(COORDINATOR, msg);
        }
    }
}

impl CommitNode for ThreePhase {
    fn id(&self) -> NodeId {
        self.id
    }
    fn changes(&self) -> &[(Txn, Change)] {
        &self.changes
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

    fn new(id: NodeId, nodes: usize, config: &ThreePhaseConfig) -> ThreePhase {
        ThreePhase::recover(id, nodes, config, ThreePhaseDurable::default())
    }

    fn recover(
        id: NodeId,
        nodes: usize,
        config: &ThreePhaseConfig,
        durable: ThreePhaseDurable,
    ) -> ThreePhase {
        let open = durable
            .local
            .iter()
            .filter(|(_, h)| !h.state.is_final())
            .map(|(t, _)| *t)
            .collect();
        ThreePhase {
            id,
            nodes,
            config: config.clone(),
            open,
            durable,
            coordinating: BTreeMap::new(),
            terminating: BTreeMap::new(),
            changes: Vec::new(),
        }
    }

    fn durable(&self) -> ThreePhaseDurable {
        self.durable.clone()
    }

    fn on_start(&mut self, out: &mut Out<ThreePhaseMsg>) {
        self.changes.clear();
        // Undecided transactions restart their wait from now; if nothing
        // arrives, termination runs as after any other timeout.
        let now = out.now();
        for t in &self.open {
            if let Some(h) = self.durable.local.get_mut(t) {
                h.since = now;
            }
        }
        self.arm(out);
    }

    fn on_message(&mut self, from: NodeId, msg: ThreePhaseMsg, out: &mut Out<ThreePhaseMsg>) {
        self.changes.clear();
        let now = out.now();
        if self.is_coordinator() {
            let everyone = self.participants();
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
                _ => {}
            }
            self.arm(out);
            return;
        }
        match msg {
            ThreePhaseMsg::CanCommit { txn } => {
                let yes = match self.durable.local.get(&txn) {
                    Some(h) => h.state != Local::Aborted,
                    None => {
                        let yes = self
                            .durable
                            .vote
                            .unwrap_or_else(|| self.config.votes.votes_yes(txn, self.id));
                        self.changes.push((txn, Change::Voted { yes }));
                        self.set(
                            txn,
                            if yes {
                                Local::Uncertain
                            } else {
                                Local::Aborted
                            },
                            now,
                        );
                        yes
                    }
                };
                out.send(from, ThreePhaseMsg::Vote { txn, yes });
            }
            ThreePhaseMsg::PreCommit { txn } => {
                if self.durable.local.get(&txn).map(|h| h.state) == Some(Local::Uncertain) {
                    self.set(txn, Local::PreCommitted, now);
                }
                if self.durable.local.get(&txn).map(|h| h.state) != Some(Local::Aborted) {
                    out.send(from, ThreePhaseMsg::Ack { txn });
                }
            }
            ThreePhaseMsg::DoCommit { txn } => self.set(txn, Local::Committed, now),
            ThreePhaseMsg::Abort { txn } => self.set(txn, Local::Aborted, now),
            ThreePhaseMsg::StateReq { txn } => {
                if let Some(h) = self.durable.local.get(&txn) {
                    out.send(
                        from,
                        ThreePhaseMsg::State {
                            txn,
                            state: h.state,
                        },
                    );
                }
            }
            ThreePhaseMsg::State { txn, state } => {
                if let Some(t) = self.terminating.get_mut(&txn) {
                    t.states.insert(from, state);
                }
            }
            ThreePhaseMsg::Vote { .. } | ThreePhaseMsg::Ack { .. } => {}
        }
        self.arm(out);
    }

    fn on_timer(&mut self, _timer: TimerId, out: &mut Out<ThreePhaseMsg>) {
        self.changes.clear();
        if self.is_coordinator() {
            self.coordinator_tick(out);
        } else {
            self.participant_tick(out);
        }
        self.arm(out);
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<ThreePhaseMsg>) {
        self.changes.clear();
        if !self.is_coordinator() {
            out.reply(
                request.id,
                Outcome::Redirect {
                    leader: Some(COORDINATOR),
                },
            );
            return;
        }
        if self.nodes == 1 {
            out.reply(request.id, Outcome::Ok { value: None });
            return;
        }
        let txn = Txn(request.id.0);
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
        const TAIL: usize = 8;
        let log = self.log_views();
        let (role, role_label) = if self.is_coordinator() {
            (RoleKind::Leader, "coordinator")
        } else if !self.terminating.is_empty() {
            (RoleKind::Candidate, "terminating")
        } else {
            let label = self
                .durable
                .local
                .values()
                .next_back()
                .map_or("working", |h| h.state.name());
            (RoleKind::Follower, label)
        };
        NodeView {
            role,
            role_label,
            term: log.last().map_or(0, |e| e.index),
            term_label: "txn",
            log_len: log.len() as u64,
            commit_index: log.iter().filter(|e| e.committed).count() as u64,
            log_tail: log[log.len().saturating_sub(TAIL)..].to_vec(),
            leader: Some(COORDINATOR),
            in_doubt_since: None,
        }
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
        NodeDetail {
            log: self.log_views(),
            kv: Vec::new(),
            fields,
        }
    }

    fn decided(&self) -> u64 {
        if self.is_coordinator() {
            self.durable.decisions.len() as u64
        } else {
            self.durable
                .local
                .values()
                .filter(|h| h.state.is_final())
                .count() as u64
        }
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
            let mut all: BTreeMap<Txn, &'static str> = BTreeMap::new();
            for (t, commit) in &self.durable.decisions {
                all.insert(*t, if *commit { "commit" } else { "abort" });
            }
            for (t, c) in &self.coordinating {
                all.insert(
                    *t,
                    match c.phase {
                        Phase::Votes => "voting",
                        Phase::Acks => "pre-commit",
                    },
                );
            }
            all.into_iter()
                .map(|(t, label)| EntryView {
                    index: t.0,
                    term: 0,
                    committed: label == "commit",
                    label: format!("{t} {label}"),
                })
                .collect()
        } else {
            self.durable
                .local
                .iter()
                .map(|(t, h)| EntryView {
                    index: t.0,
                    term: 0,
                    committed: h.state == Local::Committed,
                    label: format!("{t} {}", h.state.name()),
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn participant(id: u16) -> (ThreePhase, Out<ThreePhaseMsg>) {
        let mut p = ThreePhase::new(NodeId(id), 4, &ThreePhaseConfig::default());
        let mut out = Out::new(NodeId(id), 4);
        p.on_start(&mut out);
        (p, out)
    }

    fn tick_at(p: &mut ThreePhase, out: &mut Out<ThreePhaseMsg>, ms: u64) {
        out.reset(p.id, Time(ms * 1000));
        p.on_timer(TICK, out);
    }

    /// Alone, a pre-committed participant commits on timeout.
    #[test]
    fn lone_precommitted_participant_commits_on_timeout() {
        let (mut p, mut out) = participant(1);
        p.on_message(
            COORDINATOR,
            ThreePhaseMsg::CanCommit { txn: Txn(1) },
            &mut out,
        );
        p.on_message(
            COORDINATOR,
            ThreePhaseMsg::PreCommit { txn: Txn(1) },
            &mut out,
        );
        tick_at(&mut p, &mut out, 400); // timeout: termination starts
        tick_at(&mut p, &mut out, 800); // nobody answered: decide alone
        assert_eq!(p.durable.local[&Txn(1)].state, Local::Committed);
    }

    /// Alone, an uncertain participant aborts on timeout.
    #[test]
    fn lone_uncertain_participant_aborts_on_timeout() {
        let (mut p, mut out) = participant(1);
        p.on_message(
            COORDINATOR,
            ThreePhaseMsg::CanCommit { txn: Txn(1) },
            &mut out,
        );
        tick_at(&mut p, &mut out, 400);
        tick_at(&mut p, &mut out, 800);
        assert_eq!(p.durable.local[&Txn(1)].state, Local::Aborted);
    }

    /// In termination, one pre-committed report is enough to commit, and a
    /// participant defers to a lower-numbered one that answered.
    #[test]
    fn termination_rule_and_leader() {
        let (mut p, mut out) = participant(1);
        p.on_message(
            COORDINATOR,
            ThreePhaseMsg::CanCommit { txn: Txn(1) },
            &mut out,
        );
        tick_at(&mut p, &mut out, 400);
        let report = |state| ThreePhaseMsg::State { txn: Txn(1), state };
        p.on_message(NodeId(3), report(Local::PreCommitted), &mut out);
        tick_at(&mut p, &mut out, 800);
        assert_eq!(p.durable.local[&Txn(1)].state, Local::Committed);

        let (mut q, mut out) = participant(3);
        q.on_message(
            COORDINATOR,
            ThreePhaseMsg::CanCommit { txn: Txn(1) },
            &mut out,
        );
        tick_at(&mut q, &mut out, 400);
        q.on_message(NodeId(1), report(Local::Uncertain), &mut out);
        tick_at(&mut q, &mut out, 800);
        assert_eq!(q.durable.local[&Txn(1)].state, Local::Uncertain, "n1 leads");
    }
}
