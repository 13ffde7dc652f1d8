//! # Multi-Paxos
//!
//! A replicated log is a sequence of single-decree Paxos instances, one per
//! *slot*: slot 1 chooses the first command, slot 2 the second, and so on.
//! Run naively that costs two round trips per command. Multi-Paxos (Lamport,
//! "Paxos Made Simple" §3, 2001) notices that phase 1 can be run once for
//! all slots at once, after which a proposer that stays in charge needs only
//! phase 2 for each new command: one round trip, as in Raft.
//!
//! - **Leader election is phase 1.** A node that hears from no leader for a
//!   randomized election timeout picks a ballot higher than any it has seen
//!   (ballots are `round * n + id`, so they are unique per node) and sends
//!   `Prepare(b, from)`, where `from` is the first slot it does not know to
//!   be chosen. The prepare covers that slot and every slot after it. An
//!   acceptor that has promised nothing higher promises `b` for all those
//!   slots at once, and reports, per slot, the command it last accepted and
//!   in which ballot (or that it knows the slot is chosen).
//! - **Recovery.** With promises from a majority, the new leader goes slot
//!   by slot, exactly as single-decree Paxos does: a slot reported chosen is
//!   learned; a slot with accepted reports gets the command with the
//!   highest ballot, proposed again under the new ballot; a slot nobody
//!   reported is a hole left by the previous leader (it assigned the slot
//!   but its Accept reached nobody who answered), and is filled with a
//!   no-op, so that the slots after it can be applied.
//! - **Normal operation is phase 2.** While its leadership holds, the leader
//!   skips phase 1: it gives each client command the next free slot and
//!   sends `Accept(b, slot, command)`. Acceptors accept it unless they have
//!   promised a higher ballot, and reply `Accepted` to the leader. A
//!   majority makes the command chosen in that slot.
//! - **Learning.** The leader tells the others how far the log is chosen
//!   (`commit`) on every `Accept` and `Heartbeat`. A follower that accepted
//!   a slot in the leader's own ballot knows that command is the chosen
//!   one. For anything else (slots it missed while partitioned or down, or
//!   accepted from an older ballot) it asks the leader with `CatchUp` and
//!   receives the chosen commands in `Chosen` batches.
//! - **Leadership holds while heartbeats arrive.** There are no leases: the
//!   leader sends `Heartbeat` every `heartbeat`, followers that hear one
//!   reset their election timer, and a leader learns it was replaced when an
//!   acceptor refuses it with a `Nack` naming a higher ballot. Two leaders
//!   may think they lead at once. That is safe: once the newer one has
//!   finished phase 1, a majority has promised to refuse the older one, and
//!   whatever the older one got chosen before, the promises reported.
//! - **State machine**: the same key-value map as Raft, with get, put and
//!   append, applied in slot order once every slot before is chosen. Reads
//!   go through the log too, so the two protocols serve the same workload
//!   and can be compared side by side.
//! - **Persistence**: an acceptor's promise and its accepted `(ballot,
//!   command)` per slot survive a crash, as in single-decree Paxos; so does
//!   what the node learned was chosen. The key-value map is rebuilt by
//!   replaying the chosen prefix on restart.
//!
//! Unlike Raft, an acceptor accepts any slot on its own, holes and all; and
//! any node can win an election, however far behind, because the promises
//! bring it up to date. Raft instead elects only an up-to-date node and
//! ships the log from leader to follower.
//!
//! [`MultiPaxosVariant::IgnorePromisedValues`] deliberately skips recovery:
//! the new leader fills every reported slot with a no-op instead of
//! adopting what the promises carried, overwriting commands already chosen.

mod checker;
mod descriptor;
#[cfg(test)]
mod tests;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

pub use checker::MultiPaxosChecker;

use crate::id::{NodeId, RequestId};
pub use crate::protocols::election::Role;
use crate::protocols::election::ElectionConfig;
use crate::protocols::state_machine::{self, Store};
pub use crate::protocols::state_machine::Command;
use crate::protocol::{
    ClientRequest, EntryView, NodeDetail, NodeView, Out, Outcome, Protocol, TimerId,
};

/// A ballot number: `round * nodes + node`. 0 means none.
pub type Ballot = u64;
/// A log position. Slots start at 1; 0 means "before the first slot".
pub type LogSlot = u64;

const ELECTION: TimerId = 0;
const HEARTBEAT: TimerId = 1;

/// Which Multi-Paxos to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MultiPaxosVariant {
    #[default]
    Correct,
    /// Broken on purpose: a new leader ignores the commands its promises
    /// report and fills those slots with no-ops, so a command already chosen
    /// can be replaced.
    IgnorePromisedValues,
}

/// The election timing, batching and variant to run.
pub type MultiPaxosConfig = ElectionConfig<MultiPaxosVariant>;

/// An acceptor's vote in one slot: the command it accepted last, and in
/// which ballot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Vote {
    pub ballot: Ballot,
    pub command: Arc<Command>,
}

/// What a promise says about one slot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Report {
    pub slot: LogSlot,
    /// The ballot of the accepted command (unused when `chosen`).
    pub ballot: Ballot,
    pub command: Arc<Command>,
    /// The acceptor knows this command is chosen.
    pub chosen: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiPaxosMsg {
    /// Phase 1a for every slot from `from` on.
    Prepare { ballot: Ballot, from: LogSlot },
    /// Phase 1b: promised, with what this acceptor knows of those slots.
    Promise {
        ballot: Ballot,
        reports: Vec<Report>,
    },
    /// Phase 2a for the slots `first..first + commands.len()`, with the
    /// leader's chosen prefix.
    Accept {
        ballot: Ballot,
        first: LogSlot,
        commands: Vec<Arc<Command>>,
        commit: LogSlot,
    },
    /// Phase 2b, to the leader: accepted slots `first..=last`.
    Accepted {
        ballot: Ballot,
        first: LogSlot,
        last: LogSlot,
    },
    /// The leader is alive; every slot up to `commit` is chosen.
    Heartbeat { ballot: Ballot, commit: LogSlot },
    /// `ballot` was refused: this acceptor has promised `promised`.
    Nack { ballot: Ballot, promised: Ballot },
    /// A learner asks for the chosen commands from `from` on.
    CatchUp { from: LogSlot },
    /// Chosen commands for slots `first..first + commands.len()`.
    Chosen {
        first: LogSlot,
        commands: Vec<Arc<Command>>,
    },
}

/// What survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MultiPaxosDurable {
    pub promised: Ballot,
    /// `accepted[s - 1]`: the vote in slot `s`.
    pub accepted: Vec<Option<Vote>>,
    /// `chosen[s - 1]`: the command known chosen in slot `s`.
    pub chosen: Vec<Option<Arc<Command>>>,
}

/// A command the leader proposed in its ballot, waiting for a majority.
#[derive(Clone, Debug)]
struct Proposal {
    command: Arc<Command>,
    /// Who accepted it, as a bitset of node ids.
    acks: u64,
}

/// One node: proposer, acceptor and learner.
#[derive(Clone, Debug)]
pub struct MultiPaxos {
    id: NodeId,
    nodes: usize,
    config: MultiPaxosConfig,
    // Acceptor (durable).
    pub(crate) promised: Ballot,
    pub(crate) accepted: Vec<Option<Vote>>,
    // Learner (`chosen` is durable).
    pub(crate) chosen: Vec<Option<Arc<Command>>>,
    /// Every slot up to here is known chosen.
    pub(crate) chosen_through: LogSlot,
    pub(crate) applied: LogSlot,
    kv: Store,
    /// The leader ballot whose `commit` we follow, how far it said, and
    /// how far our own votes have been compared against it.
    commit_ballot: Ballot,
    known_commit: LogSlot,
    scanned: LogSlot,
    // Proposer.
    pub(crate) role: Role,
    pub(crate) leader: Option<NodeId>,
    /// Our ballot while a candidate or leader.
    ballot: Ballot,
    highest_seen: Ballot,
    promises: u64,
    prepare_from: LogSlot,
    /// What the promises so far report, merged per slot.
    reports: BTreeMap<LogSlot, Report>,
    /// While leading: the next slot to give a command.
    next_slot: LogSlot,
    proposals: BTreeMap<LogSlot, Proposal>,
    /// Proposals below this slot were already in flight at the last
    /// heartbeat; the next one resends those still unanswered.
    stale_below: LogSlot,
    /// Client requests waiting for their slot to apply.
    waiting: BTreeMap<LogSlot, RequestId>,
    // What the last handler changed, for the incremental checker: slots
    // whose vote changed, slots newly learned, and the apply point before.
    pub(crate) accepted_range: (LogSlot, LogSlot),
    pub(crate) learned_range: (LogSlot, LogSlot),
    pub(crate) applied_before: LogSlot,
}

fn bit(node: NodeId) -> u64 {
    1u64 << node.0
}

const NOTHING: (LogSlot, LogSlot) = (LogSlot::MAX, 0);

fn widen(range: &mut (LogSlot, LogSlot), slot: LogSlot) {
    range.0 = range.0.min(slot);
    range.1 = range.1.max(slot);
}

fn get<T>(v: &[Option<T>], slot: LogSlot) -> Option<&T> {
    if slot == 0 {
        return None;
    }
    v.get(slot as usize - 1).and_then(Option::as_ref)
}

fn put<T>(v: &mut Vec<Option<T>>, slot: LogSlot, value: T) {
    let i = slot as usize - 1;
    if v.len() <= i {
        v.resize_with(i + 1, || None);
    }
    v[i] = Some(value);
}

impl MultiPaxos {
    fn majority(&self) -> usize {
        crate::protocols::quorums::majority(self.nodes)
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn promised(&self) -> Ballot {
        self.promised
    }

    pub fn chosen_through(&self) -> LogSlot {
        self.chosen_through
    }

    pub fn kv(&self) -> &Store {
        &self.kv
    }

    pub fn vote(&self, slot: LogSlot) -> Option<&Vote> {
        get(&self.accepted, slot)
    }

    pub fn chosen_at(&self, slot: LogSlot) -> Option<&Arc<Command>> {
        get(&self.chosen, slot)
    }

    /// The highest slot this node knows anything about.
    fn last_slot(&self) -> LogSlot {
        self.accepted.len().max(self.chosen.len()) as LogSlot
    }

    fn begin(&mut self) {
        self.accepted_range = NOTHING;
        self.learned_range = NOTHING;
        self.applied_before = self.applied;
    }

    fn reset_election_timer(&self, out: &mut Out<MultiPaxosMsg>) {
        let t = &self.config.election_timeout;
        out.set_timer(ELECTION, t.min, t.max);
    }

    fn next_ballot(&self) -> Ballot {
        let n = self.nodes as u64;
        let round = self.highest_seen.max(self.promised) / n + 1;
        round * n + u64::from(self.id.0)
    }

    fn accept(&mut self, slot: LogSlot, ballot: Ballot, command: Arc<Command>) {
        put(&mut self.accepted, slot, Vote { ballot, command });
        widen(&mut self.accepted_range, slot);
    }

    fn learn(&mut self, slot: LogSlot, command: Arc<Command>) {
        if self.chosen_at(slot).is_some() {
            return;
        }
        put(&mut self.chosen, slot, command);
        widen(&mut self.learned_range, slot);
        while self.chosen_at(self.chosen_through + 1).is_some() {
            self.chosen_through += 1;
        }
    }

    /// Applies the chosen prefix in slot order, answering waiting clients.
    fn apply(&mut self, out: &mut Out<MultiPaxosMsg>) {
        while self.applied < self.chosen_through {
            self.applied += 1;
            let slot = self.applied;
            let command = self.chosen[slot as usize - 1]
                .clone()
                .expect("every slot up to chosen_through is chosen");
            let Command::Client { request, op } = &*command else {
                continue;
            };
            let value = state_machine::apply(&mut self.kv, op);
            // Another command may have taken the slot we proposed it in.
            if self.waiting.get(&slot) == Some(request) {
                self.waiting.remove(&slot);
                out.reply(*request, Outcome::Ok { value });
            }
        }
    }

    /// Stops leading or campaigning.
    fn step_down(&mut self, out: &mut Out<MultiPaxosMsg>) {
        if self.role == Role::Leader {
            out.cancel_timer(HEARTBEAT);
            // Their commands may still be chosen under the next leader, or
            // not: the clients time out and learn nothing.
            self.waiting.clear();
            self.proposals.clear();
        }
        if self.role != Role::Follower {
            self.reset_election_timer(out);
        }
        self.reports.clear();
        self.role = Role::Follower;
    }

    /// Hears of `ballot` from an acceptor, proposer or leader; a higher one
    /// than ours ends our leadership or campaign.
    fn observe(&mut self, ballot: Ballot, out: &mut Out<MultiPaxosMsg>) {
        self.highest_seen = self.highest_seen.max(ballot);
        if self.role != Role::Follower && ballot > self.ballot {
            self.step_down(out);
        }
    }

    fn own_reports(&self, from: LogSlot) -> Vec<Report> {
        (from.max(1)..=self.last_slot())
            .filter_map(|slot| {
                if let Some(command) = self.chosen_at(slot) {
                    Some(Report {
                        slot,
                        ballot: 0,
                        command: command.clone(),
                        chosen: true,
                    })
                } else {
                    self.vote(slot).map(|v| Report {
                        slot,
                        ballot: v.ballot,
                        command: v.command.clone(),
                        chosen: false,
                    })
                }
            })
            .collect()
    }

    fn merge(&mut self, report: Report) {
        match self.reports.get(&report.slot) {
            Some(old) if old.chosen || (!report.chosen && report.ballot <= old.ballot) => {}
            _ => {
                self.reports.insert(report.slot, report);
            }
        }
    }

    fn start_election(&mut self, out: &mut Out<MultiPaxosMsg>) {
        if self.role == Role::Leader {
            self.step_down(out);
        }
        self.ballot = self.next_ballot();
        // Our own promise, written down like any acceptor's.
        self.promised = self.ballot;
        self.role = Role::Candidate;
        self.leader = None;
        self.promises = bit(self.id);
        self.prepare_from = self.chosen_through + 1;
        self.reports.clear();
        for report in self.own_reports(self.prepare_from) {
            self.merge(report);
        }
        self.reset_election_timer(out);
        if self.majority() == 1 {
            self.become_leader(out);
            return;
        }
        out.broadcast(MultiPaxosMsg::Prepare {
            ballot: self.ballot,
            from: self.prepare_from,
        });
    }

    fn on_prepare(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        first: LogSlot,
        out: &mut Out<MultiPaxosMsg>,
    ) {
        self.observe(ballot, out);
        let fresh = ballot > self.promised;
        // Equal: a duplicate of a Prepare we promised (ballots are unique).
        if fresh || (ballot == self.promised && self.role == Role::Follower) {
            if fresh {
                self.promised = ballot;
                self.leader = None;
            }
            self.reset_election_timer(out);
            let reports = self.own_reports(first);
            out.send(from, MultiPaxosMsg::Promise { ballot, reports });
        } else {
            let promised = self.promised;
            out.send(from, MultiPaxosMsg::Nack { ballot, promised });
        }
    }

    fn on_promise(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        reports: Vec<Report>,
        out: &mut Out<MultiPaxosMsg>,
    ) {
        if self.role != Role::Candidate || ballot != self.ballot {
            return;
        }
        if self.promises & bit(from) != 0 {
            return; // a duplicate
        }
        self.promises |= bit(from);
        for report in reports {
            self.merge(report);
        }
        if self.promises.count_ones() as usize >= self.majority() {
            self.become_leader(out);
        }
    }

    /// Phase 1 succeeded: recover every slot from `prepare_from` on.
    fn become_leader(&mut self, out: &mut Out<MultiPaxosMsg>) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        out.cancel_timer(ELECTION);
        let reports = core::mem::take(&mut self.reports);
        let top = reports
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .max(self.last_slot());
        self.proposals.clear();
        self.next_slot = self.prepare_from;
        for slot in self.prepare_from..=top {
            if self.chosen_at(slot).is_some() {
                continue;
            }
            let report = match self.config.variant {
                MultiPaxosVariant::Correct => reports.get(&slot),
                MultiPaxosVariant::IgnorePromisedValues => None,
            };
            match report {
                Some(r) if r.chosen => self.learn(slot, r.command.clone()),
                // The highest-ballot command reported may be chosen
                // already: propose it again, never anything else.
                Some(r) => self.propose(slot, r.command.clone()),
                // A hole: nobody in this majority accepted anything here,
                // so nothing can have been chosen.
                None => self.propose(slot, Arc::new(Command::Noop)),
            }
        }
        self.next_slot = top + 1;
        self.stale_below = 0;
        for peer in 0..self.nodes as u16 {
            if peer != self.id.0 {
                self.send_proposals(NodeId(peer), LogSlot::MAX, false, out);
            }
        }
        out.set_timer(HEARTBEAT, self.config.heartbeat, self.config.heartbeat);
        self.apply(out);
    }

    /// Proposes `command` in `slot` under our ballot, accepting it ourselves.
    fn propose(&mut self, slot: LogSlot, command: Arc<Command>) {
        self.accept(slot, self.ballot, command.clone());
        if self.majority() == 1 {
            self.learn(slot, command);
        } else {
            self.proposals.insert(
                slot,
                Proposal {
                    command,
                    acks: bit(self.id),
                },
            );
        }
    }

    /// Sends `peer` our proposals below `below` in runs of consecutive
    /// slots, only those it has not acknowledged if `unacked`.
    fn send_proposals(
        &self,
        peer: NodeId,
        below: LogSlot,
        unacked: bool,
        out: &mut Out<MultiPaxosMsg>,
    ) {
        let max = self.config.max_batch as usize;
        let mut run: Option<(LogSlot, Vec<Arc<Command>>)> = None;
        let flush = |run: &mut Option<(LogSlot, Vec<Arc<Command>>)>, out: &mut Out<_>| {
            if let Some((first, commands)) = run.take() {
                out.send(
                    peer,
                    MultiPaxosMsg::Accept {
                        ballot: self.ballot,
                        first,
                        commands,
                        commit: self.chosen_through,
                    },
                );
            }
        };
        for (&slot, p) in self.proposals.range(..below) {
            if unacked && p.acks & bit(peer) != 0 {
                flush(&mut run, out);
                continue;
            }
            match &mut run {
                Some((first, commands))
                    if *first + commands.len() as LogSlot == slot && commands.len() < max =>
                {
                    commands.push(p.command.clone());
                }
                _ => {
                    flush(&mut run, out);
                    run = Some((slot, vec![p.command.clone()]));
                }
            }
        }
        flush(&mut run, out);
    }

    fn on_accept(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        first: LogSlot,
        commands: Vec<Arc<Command>>,
        commit: LogSlot,
        out: &mut Out<MultiPaxosMsg>,
    ) {
        if !self.follow(from, ballot, out) {
            return;
        }
        if commands.is_empty() || first == 0 {
            return;
        }
        let last = first + commands.len() as LogSlot - 1;
        for (slot, command) in (first..).zip(commands) {
            if ballot == self.commit_ballot && slot <= self.known_commit {
                self.learn(slot, command.clone());
            }
            self.accept(slot, ballot, command);
        }
        out.send(
            from,
            MultiPaxosMsg::Accepted {
                ballot,
                first,
                last,
            },
        );
        self.learn_commit(ballot, commit, out);
    }

    /// Checks a leader's ballot against our promise. If it holds, follows
    /// that leader and returns true; else refuses it.
    fn follow(&mut self, from: NodeId, ballot: Ballot, out: &mut Out<MultiPaxosMsg>) -> bool {
        self.observe(ballot, out);
        if ballot < self.promised {
            let promised = self.promised;
            out.send(from, MultiPaxosMsg::Nack { ballot, promised });
            return false;
        }
        self.promised = ballot;
        self.leader = Some(from);
        self.reset_election_timer(out);
        true
    }

    /// Learns what the leader of `ballot` says is chosen: every slot up to
    /// `commit` where we accepted that leader's command.
    fn learn_commit(&mut self, ballot: Ballot, commit: LogSlot, out: &mut Out<MultiPaxosMsg>) {
        if ballot != self.commit_ballot {
            self.commit_ballot = ballot;
            self.known_commit = 0;
            self.scanned = self.chosen_through;
        }
        if commit > self.known_commit {
            self.known_commit = commit;
            let start = self.scanned.max(self.chosen_through) + 1;
            let end = commit.min(self.accepted.len() as LogSlot);
            for slot in start..=end {
                if self.chosen_at(slot).is_some() {
                    continue;
                }
                if let Some(v) = self.vote(slot).filter(|v| v.ballot == ballot) {
                    let command = v.command.clone();
                    self.learn(slot, command);
                }
            }
            self.scanned = self.scanned.max(commit);
        }
        self.apply(out);
    }

    fn on_heartbeat(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        commit: LogSlot,
        out: &mut Out<MultiPaxosMsg>,
    ) {
        if !self.follow(from, ballot, out) {
            return;
        }
        self.learn_commit(ballot, commit, out);
        self.catch_up(out);
    }

    /// Asks the leader for chosen slots we lack below its commit point.
    fn catch_up(&mut self, out: &mut Out<MultiPaxosMsg>) {
        if self.chosen_through < self.known_commit {
            if let Some(leader) = self.leader.filter(|l| *l != self.id) {
                out.send(
                    leader,
                    MultiPaxosMsg::CatchUp {
                        from: self.chosen_through + 1,
                    },
                );
            }
        }
    }

    fn on_accepted(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        first: LogSlot,
        last: LogSlot,
        out: &mut Out<MultiPaxosMsg>,
    ) {
        if self.role != Role::Leader || ballot != self.ballot {
            return;
        }
        let majority = self.majority();
        let mut now_chosen = Vec::new();
        for (&slot, p) in self.proposals.range_mut(first..=last) {
            p.acks |= bit(from);
            if p.acks.count_ones() as usize >= majority {
                now_chosen.push(slot);
            }
        }
        for slot in now_chosen {
            let p = self
                .proposals
                .remove(&slot)
                .expect("the slot was just found among the proposals");
            self.learn(slot, p.command);
        }
        self.apply(out);
    }

    fn on_nack(&mut self, ballot: Ballot, promised: Ballot, out: &mut Out<MultiPaxosMsg>) {
        self.highest_seen = self.highest_seen.max(promised);
        if self.role != Role::Follower && ballot == self.ballot && promised > ballot {
            self.step_down(out);
            self.leader = None;
        }
    }

    fn on_catch_up(&mut self, from: NodeId, first: LogSlot, out: &mut Out<MultiPaxosMsg>) {
        let first = first.max(1);
        let commands: Vec<Arc<Command>> = (first..)
            .take(self.config.max_batch as usize)
            .map_while(|slot| self.chosen_at(slot).cloned())
            .collect();
        if !commands.is_empty() {
            out.send(from, MultiPaxosMsg::Chosen { first, commands });
        }
    }

    fn on_chosen(
        &mut self,
        first: LogSlot,
        commands: Vec<Arc<Command>>,
        out: &mut Out<MultiPaxosMsg>,
    ) {
        if first == 0 {
            return;
        }
        for (slot, command) in (first..).zip(commands) {
            self.learn(slot, command);
        }
        self.apply(out);
        self.catch_up(out);
    }

    fn heartbeat(&mut self, out: &mut Out<MultiPaxosMsg>) {
        let message = MultiPaxosMsg::Heartbeat {
            ballot: self.ballot,
            commit: self.chosen_through,
        };
        for peer in 0..self.nodes as u16 {
            if peer != self.id.0 {
                let peer = NodeId(peer);
                self.send_proposals(peer, self.stale_below, true, out);
                out.send(peer, message.clone());
            }
        }
        self.stale_below = self.next_slot;
        out.set_timer(HEARTBEAT, self.config.heartbeat, self.config.heartbeat);
    }

    fn entry_view(&self, slot: LogSlot) -> EntryView {
        let vote = self.vote(slot);
        let chosen = self.chosen_at(slot);
        let (term, label) = match (vote, chosen) {
            (Some(v), Some(c)) if v.command == *c => (v.ballot, c.label()),
            (_, Some(c)) => (0, c.label()),
            (Some(v), None) => (v.ballot, v.command.label()),
            (None, None) => (0, String::from("—")),
        };
        EntryView {
            index: slot,
            term,
            committed: chosen.is_some(),
            label,
        }
    }
}

impl Protocol for MultiPaxos {
    type Config = MultiPaxosConfig;
    type Msg = MultiPaxosMsg;
    type Durable = MultiPaxosDurable;
    type Checker = MultiPaxosChecker;

    const NAME: &'static str = "Multi-Paxos";
    const MSG_KINDS: &'static [&'static str] = &[
        "Prepare",
        "Promise",
        "Accept",
        "Accepted",
        "Heartbeat",
        "Nack",
        "CatchUp",
        "Chosen",
    ];
    const USER_TIMER: Option<(TimerId, &'static str)> = Some((ELECTION, "election timeout"));

    fn recover(
        id: NodeId,
        nodes: usize,
        config: &MultiPaxosConfig,
        durable: MultiPaxosDurable,
    ) -> MultiPaxos {
        let chosen_through = durable.chosen.iter().take_while(|c| c.is_some()).count() as LogSlot;
        let accepted_len = durable.accepted.len() as LogSlot;
        let chosen_len = durable.chosen.len() as LogSlot;
        MultiPaxos {
            id,
            nodes,
            config: config.clone(),
            promised: durable.promised,
            accepted: durable.accepted,
            chosen: durable.chosen,
            chosen_through,
            applied: 0,
            kv: BTreeMap::new(),
            commit_ballot: 0,
            known_commit: 0,
            scanned: 0,
            role: Role::Follower,
            leader: None,
            ballot: 0,
            highest_seen: durable.promised,
            promises: 0,
            prepare_from: 0,
            reports: BTreeMap::new(),
            next_slot: 0,
            proposals: BTreeMap::new(),
            stale_below: 0,
            waiting: BTreeMap::new(),
            // The checker sees everything a restarted node holds as new.
            accepted_range: (1, accepted_len),
            learned_range: (1, chosen_len),
            applied_before: 0,
        }
    }

    fn durable(&self) -> MultiPaxosDurable {
        MultiPaxosDurable {
            promised: self.promised,
            accepted: self.accepted.clone(),
            chosen: self.chosen.clone(),
        }
    }

    fn on_start(&mut self, out: &mut Out<MultiPaxosMsg>) {
        // Keep the ranges `recover` set; rebuild the state machine from
        // the chosen prefix.
        self.applied_before = self.applied;
        self.apply(out);
        self.reset_election_timer(out);
    }

    fn on_message(&mut self, from: NodeId, msg: MultiPaxosMsg, out: &mut Out<MultiPaxosMsg>) {
        self.begin();
        match msg {
            MultiPaxosMsg::Prepare {
                ballot,
                from: first,
            } => self.on_prepare(from, ballot, first, out),
            MultiPaxosMsg::Promise { ballot, reports } => {
                self.on_promise(from, ballot, reports, out)
            }
            MultiPaxosMsg::Accept {
                ballot,
                first,
                commands,
                commit,
            } => self.on_accept(from, ballot, first, commands, commit, out),
            MultiPaxosMsg::Accepted {
                ballot,
                first,
                last,
            } => self.on_accepted(from, ballot, first, last, out),
            MultiPaxosMsg::Heartbeat { ballot, commit } => {
                self.on_heartbeat(from, ballot, commit, out)
            }
            MultiPaxosMsg::Nack { ballot, promised } => self.on_nack(ballot, promised, out),
            MultiPaxosMsg::CatchUp { from: first } => self.on_catch_up(from, first, out),
            MultiPaxosMsg::Chosen { first, commands } => self.on_chosen(first, commands, out),
        }
    }

    fn on_timer(&mut self, timer: TimerId, out: &mut Out<MultiPaxosMsg>) {
        self.begin();
        match (timer, self.role) {
            // On a leader only when a user forces it: it abdicates and
            // campaigns, as a real node would if its timer misfired.
            (ELECTION, _) => self.start_election(out),
            (HEARTBEAT, Role::Leader) => self.heartbeat(out),
            _ => {}
        }
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<MultiPaxosMsg>) {
        self.begin();
        if self.role != Role::Leader {
            out.redirect(request.id, self.leader);
            return;
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        let command = Arc::new(Command::Client {
            request: request.id,
            op: request.op,
        });
        self.propose(slot, command.clone());
        self.waiting.insert(slot, request.id);
        let accept = MultiPaxosMsg::Accept {
            ballot: self.ballot,
            first: slot,
            commands: vec![command],
            commit: self.chosen_through,
        };
        out.broadcast(accept);
        self.apply(out);
    }

    // The timeline asks after every event; the default would build a whole
    // view (eight log entries with their commands) to read two fields.
    fn leads(&self) -> Option<u64> {
        (self.role == Role::Leader).then_some(self.promised)
    }

    fn view(&self) -> NodeView {
        const TAIL: u64 = 8;
        let last = self.last_slot();
        NodeView {
            role: self.role.kind(),
            // Paxos's own words for the same three places.
            role_label: match self.role {
                Role::Follower => "acceptor",
                Role::Candidate => "proposer",
                Role::Leader => "leader",
            },
            term: self.promised,
            term_label: "ballot",
            log_len: last,
            commit_index: self.chosen_through,
            log_tail: (last.saturating_sub(TAIL - 1).max(1)..=last)
                .map(|s| self.entry_view(s))
                .collect(),
            leader: self.leader,
            in_doubt_since: None,
        }
    }

    fn detail(&self) -> NodeDetail {
        let mut fields = vec![
            (
                "promised",
                if self.promised == 0 {
                    String::from("none")
                } else {
                    format!("b{}", self.promised)
                },
            ),
            ("chosenThrough", format!("{}", self.chosen_through)),
            ("applied", format!("{}", self.applied)),
        ];
        match self.role {
            Role::Candidate => fields.push((
                "phase 1",
                format!(
                    "b{} from slot {}: {} of {} promises",
                    self.ballot,
                    self.prepare_from,
                    self.promises.count_ones(),
                    self.majority()
                ),
            )),
            Role::Leader => {
                fields.push(("ballot", format!("b{}", self.ballot)));
                fields.push(("nextSlot", format!("{}", self.next_slot)));
                fields.push(("inFlight", format!("{}", self.proposals.len())));
            }
            Role::Follower => {}
        }
        NodeDetail {
            log: (1..=self.last_slot()).map(|s| self.entry_view(s)).collect(),
            kv: state_machine::view(&self.kv),
            fields,
        }
    }

    fn decided(&self) -> u64 {
        self.chosen_through
    }

    fn msg_kind(msg: &MultiPaxosMsg) -> u8 {
        match msg {
            MultiPaxosMsg::Prepare { .. } => 0,
            MultiPaxosMsg::Promise { .. } => 1,
            MultiPaxosMsg::Accept { .. } => 2,
            MultiPaxosMsg::Accepted { .. } => 3,
            MultiPaxosMsg::Heartbeat { .. } => 4,
            MultiPaxosMsg::Nack { .. } => 5,
            MultiPaxosMsg::CatchUp { .. } => 6,
            MultiPaxosMsg::Chosen { .. } => 7,
        }
    }

    fn msg_size(msg: &MultiPaxosMsg) -> usize {
        // A kind byte, 8-byte ballots and slots, 4-byte list lengths.
        let commands = |c: &[Arc<Command>]| 4 + c.iter().map(|c| c.wire_size()).sum::<usize>();
        1 + match msg {
            MultiPaxosMsg::Prepare { .. } => 16,
            MultiPaxosMsg::Promise { reports, .. } => {
                8 + 4
                    + reports
                        .iter()
                        .map(|r| 8 + 8 + 1 + r.command.wire_size())
                        .sum::<usize>()
            }
            MultiPaxosMsg::Accept { commands: c, .. } => 8 + 8 + 8 + commands(c),
            MultiPaxosMsg::Accepted { .. } => 24,
            MultiPaxosMsg::Heartbeat { .. } | MultiPaxosMsg::Nack { .. } => 16,
            MultiPaxosMsg::CatchUp { .. } => 8,
            MultiPaxosMsg::Chosen { commands: c, .. } => 8 + commands(c),
        }
    }

    fn msg_label(msg: &MultiPaxosMsg) -> String {
        let range = |first: LogSlot, len: usize| {
            let last = first + (len as LogSlot).saturating_sub(1);
            if len <= 1 {
                format!("[{first}]")
            } else {
                format!("[{first}..{last}]")
            }
        };
        match msg {
            MultiPaxosMsg::Prepare { ballot, from } => format!("Prepare b{ballot} [{from}..]"),
            MultiPaxosMsg::Promise { ballot, reports } => {
                format!("Promise b{ballot} ({} accepted)", reports.len())
            }
            MultiPaxosMsg::Accept {
                ballot,
                first,
                commands,
                ..
            } => match commands.as_slice() {
                [one] => format!("Accept b{ballot} [{first}] {}", one.label()),
                _ => format!("Accept b{ballot} {}", range(*first, commands.len())),
            },
            MultiPaxosMsg::Accepted {
                ballot,
                first,
                last,
            } => {
                format!(
                    "Accepted b{ballot} {}",
                    range(*first, (last - first + 1) as usize)
                )
            }
            MultiPaxosMsg::Heartbeat { ballot, commit } => format!("♥ b{ballot} ≤{commit}"),
            MultiPaxosMsg::Nack { ballot, promised } => {
                format!("Nack b{ballot} (promised b{promised})")
            }
            MultiPaxosMsg::CatchUp { from } => format!("CatchUp [{from}..]"),
            MultiPaxosMsg::Chosen { first, commands } => {
                format!("Chosen {}", range(*first, commands.len()))
            }
        }
    }
}
