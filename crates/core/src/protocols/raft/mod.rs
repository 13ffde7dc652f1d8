//! # Raft
//!
//! Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus
//! Algorithm", 2014) keeps a replicated log consistent across a cluster with
//! a single leader per term.
//!
//! - **Leader election** (§5.2): a follower that hears nothing from a leader
//!   for a randomized election timeout becomes a candidate, increments its
//!   term, votes for itself and asks the others for votes. A node grants at
//!   most one vote per term, and only to a candidate whose log is at least as
//!   up to date as its own (§5.4.1). A majority makes a leader.
//! - **Log replication** (§5.3): the leader appends client commands to its
//!   log and sends them in AppendEntries. A follower accepts entries only if
//!   its log holds the entry just before them with the same term (the
//!   consistency check); otherwise the leader backs up and retries, and
//!   conflicting entries on the follower are overwritten.
//! - **Commitment** (§5.3, §5.4.2): an entry is committed once the leader
//!   that created it has stored it on a majority. A leader never commits an
//!   entry from an earlier term by counting replicas (Figure 8): earlier
//!   entries commit only indirectly, when an entry of its own term does. A
//!   new leader appends a no-op so that happens promptly (§8).
//! - **State machine**: a key-value map with get, put and append. Reads go
//!   through the log too, so they are linearizable.
//! - **Persistence** (Figure 2): currentTerm, votedFor and the log survive a
//!   crash; everything else is rebuilt.
//!
//! - **Membership changes** (thesis, chapter 4): the servers that vote are
//!   a configuration in the log; a leader adds or removes one server at a
//!   time, or changes through a joint configuration (`membership.rs`).
//! - **Log compaction** (§7): with `snapshot_every`, a server replaces its
//!   applied prefix with a snapshot and a leader sends it to a follower
//!   that needs what was dropped (`snapshot.rs`).
//!
//! [`RaftVariant::CommitOldTermByCount`] deliberately breaks the Figure 8
//! rule, to prove the invariant checker catches the bug;
//! [`RaftVariant::ChangeBeforeOwnTermCommit`] breaks single-server changes
//! the way the thesis first described them.
//!
//! Options production systems add, each off by default ([`RaftConfig`]):
//! PreVote and CheckQuorum against disruptive servers (`disruption.rs`),
//! and reads by ReadIndex or a leader lease instead of through the log,
//! plus a broken leader-local read (`reads.rs`).

mod checker;
mod config;
mod descriptor;
mod disruption;
mod membership;
mod reads;
mod snapshot;
#[cfg(test)]
mod tests;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use crate::pvec::PVec;

pub use checker::RaftChecker;
pub use config::{
    Lease, RaftConfig, RaftVariant, ReadPath, DEFAULT_SNAPSHOT_EVERY, MAX_DRIFT_PPM,
    MAX_SNAPSHOT_EVERY,
};
pub use snapshot::Snapshot;
pub use reads::Round;
use reads::Reads;

use crate::id::{NodeId, RequestId};
use crate::time::Time;
pub use crate::protocols::election::Role;
use crate::protocols::state_machine::{self, Store};
pub use crate::protocols::state_machine::Command;
use crate::protocol::{
    ClientRequest, EntryView, MemberChange, MembersView, NodeDetail, NodeView, Out, Outcome,
    Protocol, Slot, TimerId,
};
use crate::protocols::quorums::Configuration;
use membership::Configurations;

pub type Term = u64;
/// Log positions start at 1; 0 means "before the first entry".
pub type LogIndex = u64;

const ELECTION: TimerId = 0;
const HEARTBEAT: TimerId = 1;
/// CheckQuorum's: a leader counts who it has heard from once per minimum
/// election timeout.
const CHECK_QUORUM: TimerId = 2;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub term: Term,
    /// Shared: entries are sent many times and never change.
    pub command: Arc<Command>,
}

impl Entry {
    /// Term, a kind byte, and the command's request id and operation.
    fn wire_size(&self) -> usize {
        8 + self.command.wire_size()
    }

    fn label(&self) -> String {
        self.command.label()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RaftMsg {
    RequestVote {
        term: Term,
        last_index: LogIndex,
        last_term: Term,
    },
    Vote {
        term: Term,
        granted: bool,
    },
    AppendEntries(AppendEntries),
    AppendReply {
        term: Term,
        success: bool,
        /// On success, the follower's last matching index. On failure, the
        /// index the leader should back up to (the follower's hint).
        index: LogIndex,
        /// The round of the AppendEntries answered, echoed.
        round: Round,
    },
    /// Thesis §9.6: would you vote for me in `term` (one more than the
    /// sender's own)? Changes nothing at the receiver.
    PreVote {
        term: Term,
        last_index: LogIndex,
        last_term: Term,
    },
    /// A pre-vote's answer: `term` is the term asked about when granted,
    /// else the answerer's own.
    PreVoteReply {
        term: Term,
        granted: bool,
    },
    /// Figure 13, in one chunk: the leader's snapshot, for a follower that
    /// needs entries the leader has compacted away.
    InstallSnapshot {
        term: Term,
        snapshot: Arc<Snapshot>,
        round: Round,
    },
    /// The follower's answer: it now holds everything up to `index` (0
    /// when it refused a stale term).
    SnapshotReply {
        term: Term,
        index: LogIndex,
        round: Round,
    },
}

/// The leader's replication message; with no entries, a heartbeat.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AppendEntries {
    pub term: Term,
    pub prev_index: LogIndex,
    pub prev_term: Term,
    pub entries: Vec<Entry>,
    /// The leader's commit index.
    pub commit: LogIndex,
    /// Which of the leader's heartbeat rounds this belongs to, when reads
    /// need to know (ReadIndex, leases); else 0.
    pub round: Round,
}

/// What survives a crash (Figure 2's "persistent state on all servers",
/// and §7's snapshot).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RaftDurable {
    pub term: Term,
    pub voted_for: Option<NodeId>,
    /// The entries after the snapshot. Shared with the live log (and with
    /// time travel's snapshots) in chunks: see [`PVec`].
    pub log: PVec<Entry>,
    /// The configuration entries in `log`, by index: derived from it, and
    /// kept so that a restart (and every look at a crashed node) need not
    /// read the whole log. [`RaftDurable::new`] derives it.
    pub configs: Vec<(LogIndex, Configuration)>,
    /// The compacted prefix, if any.
    pub snapshot: Option<Arc<Snapshot>>,
}

impl RaftDurable {
    /// What survives, with the configuration entries read from `log`,
    /// which starts at index 1.
    pub fn new(term: Term, voted_for: Option<NodeId>, log: PVec<Entry>) -> RaftDurable {
        let configs = membership::configs_in(&log, 0);
        RaftDurable {
            term,
            voted_for,
            log,
            configs,
            snapshot: None,
        }
    }

    /// The last index the snapshot covers; 0 without one.
    pub fn snapshot_index(&self) -> LogIndex {
        self.snapshot.as_ref().map_or(0, |s| s.index)
    }
}

/// One Raft server.
#[derive(Clone, Debug)]
pub struct Raft {
    id: NodeId,
    nodes: usize,
    config: RaftConfig,
    // Persistent.
    pub(crate) term: Term,
    pub(crate) voted_for: Option<NodeId>,
    /// The entries after the snapshot: `log[i - 1]` is the entry at index
    /// `snapshot_index() + i`. A `PVec`, so a copy of the node (a
    /// time-travel snapshot) shares the entries instead of copying them.
    pub(crate) log: PVec<Entry>,
    /// The log's compacted prefix (§7), if any.
    pub(crate) snapshot: Option<Arc<Snapshot>>,
    // Volatile.
    pub(crate) role: Role,
    pub(crate) leader: Option<NodeId>,
    pub(crate) commit: LogIndex,
    pub(crate) applied: LogIndex,
    votes: u64,
    next_index: Vec<LogIndex>,
    match_index: Vec<LogIndex>,
    /// While leading: `acks[k]` is how many servers are known to hold the
    /// entry at `commit + 1 + k`. Kept up to date as replies arrive, so
    /// finding the commit point costs no scan over the cluster.
    acks: VecDeque<u16>,
    kv: Store,
    /// Client requests waiting for their entry to apply, by log index.
    waiting: BTreeMap<LogIndex, RequestId>,
    /// PreVote: asking whether it could win, before raising its term.
    pub(crate) prevoting: bool,
    /// When this server last heard from a leader of its term (or started),
    /// on its own clock: while less than a minimum election timeout ago it
    /// ignores vote requests, if the config asks for that.
    heard_leader_at: Option<Time>,
    /// CheckQuorum, while leading: the servers heard from since the last
    /// check, as a bitmask.
    heard: u64,
    /// Reads that do not go through the log, and the heartbeat rounds and
    /// lease they count on.
    reads: Reads,
    /// The configurations in the log (derived from it, so neither durable
    /// nor part of the state's identity).
    pub(crate) configs: Configurations,
    /// While leading: a membership change asked for and not yet started.
    pending: Option<MemberChange>,
    /// Snapshots received from a leader and installed since this server
    /// started (for the inspector: not part of the state's identity).
    installed: u32,
    // What the last handler changed, for the incremental invariant checker.
    pub(crate) changed_from: LogIndex,
    pub(crate) commit_before: LogIndex,
    pub(crate) applied_before: LogIndex,
    pub(crate) snapshot_before: LogIndex,
}

impl Raft {
    fn majority(&self) -> usize {
        crate::protocols::quorums::majority(self.nodes)
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn term(&self) -> Term {
        self.term
    }

    /// The entries after the snapshot (the whole log without one).
    pub fn log(&self) -> &PVec<Entry> {
        &self.log
    }

    pub fn commit_index(&self) -> LogIndex {
        self.commit
    }

    pub fn kv(&self) -> &Store {
        &self.kv
    }

    pub(crate) fn last_index(&self) -> LogIndex {
        self.snapshot_index() + self.log.len() as LogIndex
    }

    /// The term of the entry at `index`: the snapshot's at its index, 0
    /// before it (compacted away: callers look no further back than the
    /// snapshot) and past the end.
    pub(crate) fn term_at(&self, index: LogIndex) -> Term {
        match &self.snapshot {
            Some(s) if index == s.index => s.term,
            Some(s) if index < s.index => 0,
            _ if index == 0 => 0,
            _ => self
                .log
                .get((index - self.snapshot_index()) as usize - 1)
                .map_or(0, |e| e.term),
        }
    }

    fn last_term(&self) -> Term {
        self.term_at(self.last_index())
    }

    /// Marks the start of a handler, for the checker's "what changed".
    /// Compaction is due here too, before anything else: what the last
    /// handler applied is compacted by the next, once the checker has seen
    /// it committed and applied in the log.
    fn begin(&mut self) {
        self.changed_from = LogIndex::MAX;
        self.commit_before = self.commit;
        self.applied_before = self.applied;
        self.snapshot_before = self.snapshot_index();
        self.maybe_compact();
    }

    fn touched(&mut self, index: LogIndex) {
        self.changed_from = self.changed_from.min(index);
    }

    fn reset_election_timer(&self, out: &mut Out<RaftMsg>) {
        if !self.is_voter() {
            // A spare or a removed server never campaigns.
            out.cancel_timer(ELECTION);
            return;
        }
        let t = &self.config.election_timeout;
        out.set_timer(ELECTION, t.min, t.max);
    }

    fn step_down(&mut self, term: Term, out: &mut Out<RaftMsg>) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
        }
        if self.role == Role::Leader {
            self.stop_leading(out);
        }
        if self.role != Role::Follower {
            self.reset_election_timer(out);
        }
        self.role = Role::Follower;
        self.leader = None;
        self.prevoting = false;
    }

    /// What a leader drops on losing the lead.
    fn stop_leading(&mut self, out: &mut Out<RaftMsg>) {
        out.cancel_timer(HEARTBEAT);
        if self.config.check_quorum {
            out.cancel_timer(CHECK_QUORUM);
        }
        // Requests we accepted may still commit under the next leader,
        // or not: their clients will time out and learn nothing. Reads
        // waiting for a round or an index are dropped alike.
        self.waiting.clear();
        self.reads.clear();
        self.pending = None;
    }

    fn start_election(&mut self, out: &mut Out<RaftMsg>) {
        self.term += 1;
        self.prevoting = false;
        self.role = Role::Candidate;
        self.voted_for = Some(self.id);
        self.leader = None;
        self.votes = 1u64 << self.id.0;
        self.reset_election_timer(out);
        if self.is_quorum(self.votes) {
            self.become_leader(out);
            return;
        }
        let ask = RaftMsg::RequestVote {
            term: self.term,
            last_index: self.last_index(),
            last_term: self.last_term(),
        };
        if self.configs.everyone {
            out.broadcast(ask);
        } else {
            let servers = self.conf().servers();
            for peer in 0..self.nodes as u16 {
                if peer != self.id.0 && servers & (1u64 << peer) != 0 {
                    out.send(NodeId(peer), ask.clone());
                }
            }
        }
    }

    fn become_leader(&mut self, out: &mut Out<RaftMsg>) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        out.cancel_timer(ELECTION);
        let next = self.last_index() + 1;
        self.next_index = vec![next; self.nodes];
        self.match_index = vec![0; self.nodes];
        self.match_index[self.id.index()] = self.last_index();
        // Only our own copy is known so far.
        self.acks = (self.commit..self.last_index()).map(|_| 1).collect();
        self.pending = None;
        // §8: a no-op of our own term lets earlier entries commit now.
        let noop = self.append(Command::Noop);
        self.reads.lead(noop, self.nodes, &self.config, out.now());
        self.replicate_all(out);
        out.set_timer(HEARTBEAT, self.config.heartbeat, self.config.heartbeat);
        self.start_quorum_check(out);
        self.advance_commit(out);
    }

    fn append(&mut self, command: Command) -> LogIndex {
        self.log.push(Entry {
            term: self.term,
            command: Arc::new(command),
        });
        let index = self.last_index();
        self.match_index[self.id.index()] = index;
        self.acks.push_back(1);
        self.touched(index);
        self.note_entry(index);
        index
    }

    fn replicate_all(&mut self, out: &mut Out<RaftMsg>) {
        let replicas = self.replicas();
        for peer in 0..self.nodes as u16 {
            if peer != self.id.0 && replicas & (1u64 << peer) != 0 {
                self.replicate(NodeId(peer), out);
            }
        }
    }

    /// Sends `peer` the entries from its next index on (none: a heartbeat).
    fn replicate(&mut self, peer: NodeId, out: &mut Out<RaftMsg>) {
        let next = self.next_index[peer.index()].clamp(1, self.last_index() + 1);
        let base = self.snapshot_index();
        if next <= base {
            self.send_snapshot(peer, out);
            return;
        }
        let prev_index = next - 1;
        let end = (prev_index + u64::from(self.config.max_batch)).min(self.last_index());
        let entries: Vec<Entry> = self
            .log
            .range((prev_index - base) as usize..(end - base) as usize)
            .cloned()
            .collect();
        // Optimistic pipelining: what was just sent is not sent again unless
        // the follower says it is missing. Without this, every reply while
        // entries were in flight re-sent them, and duplicated replies
        // started chains of AppendEntries that never ended.
        self.next_index[peer.index()] = end + 1;
        out.send(
            peer,
            RaftMsg::AppendEntries(AppendEntries {
                term: self.term,
                prev_index,
                prev_term: self.term_at(prev_index),
                entries,
                commit: self.commit,
                round: self.reads.current(),
            }),
        );
    }

    fn advance_commit(&mut self, out: &mut Out<RaftMsg>) {
        let stored = if self.configs.everyone {
            // `acks` never increases with the index (a server holding entry
            // i holds all before it), so the majority-stored prefix is a
            // scan from the front, short in practice: it stops at the first
            // entry not yet on a majority.
            let majority = self.majority();
            self.acks
                .iter()
                .take_while(|&&a| usize::from(a) >= majority)
                .count() as LogIndex
        } else {
            self.quorum_index() - self.commit
        };
        if stored == 0 {
            return;
        }
        let candidate = self.commit + stored;
        let allowed = match self.config.variant {
            // Figure 8: count replicas only for an entry of our own term;
            // everything before it then commits with it.
            RaftVariant::Correct | RaftVariant::ChangeBeforeOwnTermCommit => {
                self.term_at(candidate) == self.term
            }
            RaftVariant::CommitOldTermByCount => true,
        };
        if allowed {
            self.acks.drain(..(stored as usize).min(self.acks.len()));
            self.commit = candidate;
            self.apply(out);
            if !self.configs.everyone || self.pending.is_some() {
                self.continue_changes(out);
            }
        }
    }

    fn apply(&mut self, out: &mut Out<RaftMsg>) {
        let base = self.snapshot_index();
        while self.applied < self.commit {
            self.applied += 1;
            // The log itself, not `entry`: the store is written below.
            let entry = &self.log[(self.applied - base) as usize - 1];
            let Command::Client { request, op } = &*entry.command else {
                continue;
            };
            let value = state_machine::apply(&mut self.kv, op);
            let request = *request;
            if self.waiting.remove(&self.applied).is_some() {
                out.reply(request, Outcome::Ok { value });
            }
        }
        if self.role == Role::Leader {
            self.serve_reads(out);
        }
    }

    fn on_request_vote(
        &mut self,
        from: NodeId,
        term: Term,
        last_index: LogIndex,
        last_term: Term,
        out: &mut Out<RaftMsg>,
    ) {
        if self.ignores_votes(out) {
            return;
        }
        if term > self.term {
            self.step_down(term, out);
        }
        // §5.4.1: only vote for a candidate whose log is at least as up to
        // date as ours.
        let up_to_date = (last_term, last_index) >= (self.last_term(), self.last_index());
        let granted = term == self.term && self.voted_for.is_none_or(|v| v == from) && up_to_date;
        if granted {
            self.voted_for = Some(from);
            self.reset_election_timer(out);
        }
        out.send(
            from,
            RaftMsg::Vote {
                term: self.term,
                granted,
            },
        );
    }

    fn on_vote(&mut self, from: NodeId, term: Term, granted: bool, out: &mut Out<RaftMsg>) {
        if term > self.term {
            self.step_down(term, out);
            return;
        }
        if self.role != Role::Candidate || term != self.term || !granted {
            return;
        }
        self.votes |= 1u64 << from.0;
        if self.is_quorum(self.votes) {
            self.become_leader(out);
        }
    }

    fn on_append_entries(&mut self, from: NodeId, ae: AppendEntries, out: &mut Out<RaftMsg>) {
        let AppendEntries {
            term,
            prev_index,
            prev_term,
            entries,
            commit,
            round,
        } = ae;
        if !self.heard_from_leader(from, term, out) {
            out.send(
                from,
                RaftMsg::AppendReply {
                    term: self.term,
                    success: false,
                    index: 0,
                    round,
                },
            );
            return;
        }

        // The consistency check (§5.3). Entries up to the snapshot are
        // committed here, and so match the leader's (leader completeness):
        // the check passes there and they are skipped.
        let base = self.snapshot_index();
        if prev_index > self.last_index() {
            let index = self.last_index();
            out.send(
                from,
                RaftMsg::AppendReply {
                    term: self.term,
                    success: false,
                    index,
                    round,
                },
            );
            return;
        }
        if prev_index >= base && self.term_at(prev_index) != prev_term {
            // Skip the whole conflicting term at once rather than one entry
            // per round trip (the optimisation at the end of §5.3).
            let conflict_term = self.term_at(prev_index);
            let mut index = prev_index - 1;
            while index > self.commit && self.term_at(index) == conflict_term {
                index -= 1;
            }
            out.send(
                from,
                RaftMsg::AppendReply {
                    term: self.term,
                    success: false,
                    index,
                    round,
                },
            );
            return;
        }
        let mut index = prev_index;
        for entry in entries {
            index += 1;
            if index <= base {
                continue;
            }
            if index <= self.last_index() {
                if self.term_at(index) == entry.term {
                    continue; // already have it
                }
                // Conflict: drop this entry and all that follow (§5.3). In
                // correct Raft this never touches a committed entry; the
                // checker, not an assert, says so when a variant breaks it.
                self.log.truncate((index - base) as usize - 1);
                self.configs.truncated(index - 1);
                self.touched(index);
            }
            self.log.push(entry);
            self.touched(index);
            self.note_entry(index);
        }
        // Figure 2 has the commit index only grow, but a stale
        // AppendEntries (its last entry behind what this server has
        // committed) used to pull it back, harmlessly: nothing applied is
        // undone. Runs without compaction keep doing so, so their traces
        // stay as pinned; with compaction the applied prefix may be
        // snapshotted at any moment and must stay within the commit index.
        if commit > self.commit {
            let to = commit.min(index);
            if to > self.commit || self.config.snapshot_every.is_none() {
                self.commit = to;
                self.apply(out);
            }
        }
        out.send(
            from,
            RaftMsg::AppendReply {
                term: self.term,
                success: true,
                index,
                round,
            },
        );
    }

    fn on_append_reply(
        &mut self,
        from: NodeId,
        term: Term,
        success: bool,
        index: LogIndex,
        round: Round,
        out: &mut Out<RaftMsg>,
    ) {
        if !self.leads_for_reply(term, out) {
            return;
        }
        self.answered(from, round, out);
        let peer = from.index();
        if success {
            self.matched(from, index, out);
        } else {
            // Back up, never below what is known to match.
            let floor = self.match_index[peer] + 1;
            let back = (index + 1).max(floor);
            if back < self.next_index[peer] {
                self.next_index[peer] = back;
                self.replicate(from, out);
            }
        }
    }

    /// AppendEntries' and InstallSnapshot's start: false if `term` is
    /// stale; else `from` leads `term`, and this server follows it.
    fn heard_from_leader(&mut self, from: NodeId, term: Term, out: &mut Out<RaftMsg>) -> bool {
        if term < self.term {
            return false;
        }
        if term > self.term || self.role != Role::Follower {
            self.step_down(term, out);
        }
        self.leader = Some(from);
        self.prevoting = false;
        if self.config.sticky_leader() {
            self.heard_leader_at = Some(out.now());
        }
        self.reset_election_timer(out);
        true
    }

    /// A follower's reply in `term` reached this server: it steps down if
    /// the term is newer; true if it leads `term` and so reads the reply.
    fn leads_for_reply(&mut self, term: Term, out: &mut Out<RaftMsg>) -> bool {
        if term > self.term {
            self.step_down(term, out);
            return false;
        }
        self.role == Role::Leader && term == self.term
    }

    /// A follower answered in our term (success or not): it still takes us
    /// for its leader.
    fn answered(&mut self, from: NodeId, round: Round, out: &mut Out<RaftMsg>) {
        // Kept only when CheckQuorum reads it: the explorer would otherwise
        // tell apart states that differ only in it.
        if self.config.check_quorum {
            self.heard |= 1u64 << from.0;
        }
        self.round_answered(from, round, out);
    }

    /// `from` holds our log up to `index`: count it, commit what that
    /// allows, and send it what it lacks.
    fn matched(&mut self, from: NodeId, index: LogIndex, out: &mut Out<RaftMsg>) {
        let peer = from.index();
        let old = self.match_index[peer];
        if index > old {
            self.match_index[peer] = index;
            for i in old.max(self.commit) + 1..=index.min(self.last_index()) {
                if let Some(a) = self.acks.get_mut((i - self.commit - 1) as usize) {
                    *a += 1;
                }
            }
        }
        self.next_index[peer] = self.next_index[peer].max(index + 1);
        self.advance_commit(out);
        // Only entries never sent go out here; a stale or duplicated
        // reply finds nothing new and sends nothing.
        if self.next_index[peer] <= self.last_index() {
            self.replicate(from, out);
        }
    }

    fn entry_views(&self, from: LogIndex) -> Vec<EntryView> {
        (from.max(self.snapshot_index() + 1)..=self.last_index())
            .map(|i| {
                let e = self.entry(i);
                EntryView {
                    index: i,
                    term: e.term,
                    committed: i <= self.commit,
                    label: e.label(),
                }
            })
            .collect()
    }
}

impl Protocol for Raft {
    type Config = RaftConfig;
    type Msg = RaftMsg;
    type Durable = RaftDurable;
    type Checker = RaftChecker;

    const NAME: &'static str = "Raft";
    const MSG_KINDS: &'static [&'static str] = &[
        "RequestVote",
        "Vote",
        "AppendEntries",
        "AppendEntries reply",
        "PreVote",
        "PreVote reply",
        "InstallSnapshot",
        "InstallSnapshot reply",
    ];
    const USER_TIMER: Option<(TimerId, &'static str)> = Some((ELECTION, "election timeout"));

    fn recover(id: NodeId, nodes: usize, config: &RaftConfig, durable: RaftDurable) -> Raft {
        let initial = Configuration::simple(config.initial_members(nodes));
        let mut configs = Configurations::new(initial, nodes);
        // The snapshot holds what was applied, and it was committed: both
        // indexes start there.
        let (mut commit, mut kv) = (0, BTreeMap::new());
        if let Some(s) = &durable.snapshot {
            configs.replaced(s.config, &PVec::new(), s.index);
            (commit, kv) = (s.index, s.kv.clone());
        }
        for (index, c) in durable.configs {
            configs.appended(index, c);
        }
        Raft {
            id,
            nodes,
            config: config.clone(),
            term: durable.term,
            voted_for: durable.voted_for,
            log: durable.log,
            snapshot: durable.snapshot,
            role: Role::Follower,
            leader: None,
            commit,
            applied: commit,
            votes: 0,
            next_index: Vec::new(),
            match_index: Vec::new(),
            acks: VecDeque::new(),
            kv,
            waiting: BTreeMap::new(),
            prevoting: false,
            heard_leader_at: None,
            heard: 0,
            reads: Reads::default(),
            configs,
            pending: None,
            installed: 0,
            // The checker sees a restarted node's whole log as new.
            changed_from: 1,
            commit_before: commit,
            applied_before: commit,
            snapshot_before: commit,
        }
    }

    fn durable(&self) -> RaftDurable {
        RaftDurable {
            term: self.term,
            voted_for: self.voted_for,
            log: self.log.clone(),
            configs: self.configs.entries().to_vec(),
            snapshot: self.snapshot.clone(),
        }
    }

    fn on_start(&mut self, out: &mut Out<RaftMsg>) {
        // Keep `changed_from` as set by `recover`: the whole log is new to
        // the checker.
        self.commit_before = self.commit;
        self.applied_before = self.applied;
        self.snapshot_before = self.snapshot_index();
        if self.config.reads == ReadPath::Lease {
            // A lease counts on every server that answered its round
            // refusing votes for a minimum election timeout; one that
            // restarts has forgotten when it answered, so it refuses from
            // its start.
            self.heard_leader_at = Some(out.now());
        }
        self.reset_election_timer(out);
    }

    fn on_message(&mut self, from: NodeId, msg: RaftMsg, out: &mut Out<RaftMsg>) {
        self.begin();
        match msg {
            RaftMsg::RequestVote {
                term,
                last_index,
                last_term,
            } => self.on_request_vote(from, term, last_index, last_term, out),
            RaftMsg::Vote { term, granted } => self.on_vote(from, term, granted, out),
            RaftMsg::AppendEntries(ae) => self.on_append_entries(from, ae, out),
            RaftMsg::AppendReply {
                term,
                success,
                index,
                round,
            } => self.on_append_reply(from, term, success, index, round, out),
            RaftMsg::PreVote {
                term,
                last_index,
                last_term,
            } => self.on_pre_vote(from, term, last_index, last_term, out),
            RaftMsg::PreVoteReply { term, granted } => {
                self.on_pre_vote_reply(from, term, granted, out)
            }
            RaftMsg::InstallSnapshot {
                term,
                snapshot,
                round,
            } => self.on_install_snapshot(from, term, snapshot, round, out),
            RaftMsg::SnapshotReply { term, index, round } => {
                self.on_snapshot_reply(from, term, index, round, out)
            }
        }
    }

    fn on_timer(&mut self, timer: TimerId, out: &mut Out<RaftMsg>) {
        self.begin();
        match (timer, self.role) {
            (ELECTION, Role::Follower | Role::Candidate) if self.is_voter() => self.campaign(out),
            (ELECTION, Role::Leader) => {
                // Forced by a user on a leader: it abdicates and campaigns,
                // as a real server would if its timer misfired.
                self.stop_leading(out);
                self.start_election(out);
            }
            (HEARTBEAT, Role::Leader) => {
                self.heartbeat_round(out.now());
                self.replicate_all(out);
                out.set_timer(HEARTBEAT, self.config.heartbeat, self.config.heartbeat);
            }
            (CHECK_QUORUM, Role::Leader) => self.check_quorum(out),
            _ => {}
        }
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<RaftMsg>) {
        self.begin();
        if self.role != Role::Leader {
            out.redirect(request.id, self.leader);
            return;
        }
        if self.config.reads != ReadPath::Log && request.op.is_read() {
            self.read(request, out);
            return;
        }
        let index = self.append(Command::Client {
            request: request.id,
            op: request.op,
        });
        self.waiting.insert(index, request.id);
        // Send right away to followers that are caught up; the others are
        // mid-transfer and will get it with their next batch.
        let replicas = self.replicas();
        for peer in 0..self.nodes as u16 {
            if peer != self.id.0
                && replicas & (1u64 << peer) != 0
                && self.next_index[usize::from(peer)] == index
            {
                self.replicate(NodeId(peer), out);
            }
        }
        self.advance_commit(out);
    }

    fn view(&self) -> NodeView {
        const TAIL: u64 = 8;
        let (role, role_label) = if self.prevoting {
            (crate::protocol::RoleKind::Candidate, "pre-candidate")
        } else {
            (self.role.kind(), self.role.label())
        };
        NodeView {
            role,
            role_label,
            term: self.term,
            term_label: "term",
            log_len: self.last_index(),
            commit_index: self.commit,
            log_tail: self.entry_views(self.last_index().saturating_sub(TAIL - 1)),
            leader: self.leader,
            in_doubt_since: None,
        }
    }

    fn detail(&self) -> NodeDetail {
        let mut fields = vec![
            (
                "votedFor",
                self.voted_for
                    .map_or(String::from("none"), |v| format!("{v}")),
            ),
            ("lastApplied", format!("{}", self.applied)),
        ];
        if self.role == Role::Leader {
            let list = |v: &[LogIndex]| {
                v.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != self.id.index())
                    .map(|(i, x)| format!("n{i}:{x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            fields.push(("nextIndex", list(&self.next_index)));
            fields.push(("matchIndex", list(&self.match_index)));
            self.reads.detail(&self.config, &mut fields);
        }
        if let Some(s) = &self.snapshot {
            fields.push(("snapshot", format!("index {}, term {}", s.index, s.term)));
        }
        if self.installed > 0 {
            fields.push(("snapshots installed", format!("{}", self.installed)));
        }
        if !self.configs.everyone || self.configs.index() > 0 {
            let state = if self.configs.index() > self.commit {
                "uncommitted"
            } else {
                "committed"
            };
            fields.push((
                "configuration",
                format!("{} ({state})", self.conf().label()),
            ));
        }
        NodeDetail {
            log: self.entry_views(1),
            kv: state_machine::view(&self.kv),
            fields,
        }
    }

    fn decided(&self) -> u64 {
        self.commit
    }

    fn leads(&self) -> Option<u64> {
        (self.role == Role::Leader).then_some(self.term)
    }

    fn reconfigure(&mut self, change: MemberChange, out: &mut Out<RaftMsg>) {
        self.begin();
        self.request_change(change, out);
    }

    fn members(&self) -> Option<MembersView> {
        Some(self.members_view())
    }

    /// A vote or an AppendEntries reply from an earlier term, or one its
    /// receiver can no longer use: terms only grow (they are durable), a
    /// node is a candidate only in the term it raised, and leads only in
    /// a term it was a candidate in. A follower (or a crashed node, which
    /// comes back a follower in its durable term) therefore never counts a
    /// vote or a reply of its own term, and nobody acts on one of an
    /// earlier term. Requests are never ignored: a stale one is answered
    /// with the newer term.
    fn ignores(slot: &Slot<Raft>, msg: &RaftMsg) -> bool {
        let (term, role) = match slot {
            Slot::Up(p) => (p.term, p.role),
            Slot::Down(d) => (d.term, Role::Follower),
        };
        match *msg {
            RaftMsg::Vote { term: t, granted } => {
                t < term || (t == term && (!granted || role != Role::Candidate))
            }
            RaftMsg::AppendReply { term: t, .. } => {
                t < term || (t == term && role == Role::Follower)
            }
            _ => false,
        }
    }

    fn msg_size(msg: &RaftMsg) -> usize {
        // A kind byte, then fixed-width fields.
        1 + match msg {
            RaftMsg::RequestVote { .. } | RaftMsg::PreVote { .. } => 24,
            RaftMsg::Vote { .. } | RaftMsg::PreVoteReply { .. } => 9,
            RaftMsg::AppendEntries(ae) => {
                32 + 4
                    + ae.round.wire_size()
                    + ae.entries.iter().map(Entry::wire_size).sum::<usize>()
            }
            RaftMsg::AppendReply { round, .. } => 17 + round.wire_size(),
            RaftMsg::InstallSnapshot {
                snapshot, round, ..
            } => 8 + round.wire_size() + snapshot.wire_size(),
            RaftMsg::SnapshotReply { round, .. } => 16 + round.wire_size(),
        }
    }

    fn msg_kind(msg: &RaftMsg) -> u8 {
        match msg {
            RaftMsg::RequestVote { .. } => 0,
            RaftMsg::Vote { .. } => 1,
            RaftMsg::AppendEntries(_) => 2,
            RaftMsg::AppendReply { .. } => 3,
            RaftMsg::PreVote { .. } => 4,
            RaftMsg::PreVoteReply { .. } => 5,
            RaftMsg::InstallSnapshot { .. } => 6,
            RaftMsg::SnapshotReply { .. } => 7,
        }
    }

    fn msg_label(msg: &RaftMsg) -> String {
        match msg {
            RaftMsg::RequestVote { term, .. } => format!("Vote? t{term}"),
            RaftMsg::Vote { term, granted } => {
                format!("Vote{} t{term}", if *granted { "✓" } else { "✗" })
            }
            RaftMsg::AppendEntries(AppendEntries {
                term,
                prev_index,
                entries,
                ..
            }) => {
                if entries.is_empty() {
                    format!("AE t{term} ♥")
                } else {
                    let first = prev_index + 1;
                    let last = prev_index + entries.len() as u64;
                    if first == last {
                        format!("AE t{term} [{first}]")
                    } else {
                        format!("AE t{term} [{first}..{last}]")
                    }
                }
            }
            RaftMsg::PreVote { term, .. } => format!("PreVote? t{term}"),
            RaftMsg::PreVoteReply { term, granted } => {
                format!("PreVote{} t{term}", if *granted { "✓" } else { "✗" })
            }
            RaftMsg::AppendReply {
                term,
                success,
                index,
                ..
            } => {
                if *success {
                    format!("AE✓ t{term} ≤{index}")
                } else {
                    format!("AE✗ t{term}")
                }
            }
            RaftMsg::InstallSnapshot { term, snapshot, .. } => {
                format!("Snap t{term} ≤{}", snapshot.index)
            }
            RaftMsg::SnapshotReply { term, index, .. } => format!("Snap✓ t{term} ≤{index}"),
        }
    }
}

// The explorer stores node states and merges equal ones. Cluster size and
// configuration are fixed for a run; `changed_from`, `commit_before`,
// `applied_before` and `snapshot_before` are rewritten at the start of
// every handler (they only tell the checker what the last one changed);
// `installed` only counts for the inspector: all are left out.
impl PartialEq for Raft {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.term == other.term
            && self.voted_for == other.voted_for
            && self.log == other.log
            && self.role == other.role
            && self.leader == other.leader
            && self.commit == other.commit
            && self.applied == other.applied
            && self.votes == other.votes
            && self.next_index == other.next_index
            && self.match_index == other.match_index
            && self.acks == other.acks
            && self.kv == other.kv
            && self.waiting == other.waiting
            && self.prevoting == other.prevoting
            && self.heard_leader_at == other.heard_leader_at
            && self.heard == other.heard
            && self.reads == other.reads
            && self.pending == other.pending
            && self.snapshot == other.snapshot
    }
}
impl Eq for Raft {}
impl core::hash::Hash for Raft {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h);
        self.term.hash(h);
        self.voted_for.hash(h);
        self.log.hash(h);
        self.role.hash(h);
        self.leader.hash(h);
        self.commit.hash(h);
        self.applied.hash(h);
        self.votes.hash(h);
        self.next_index.hash(h);
        self.match_index.hash(h);
        self.acks.hash(h);
        self.kv.hash(h);
        self.waiting.hash(h);
        self.prevoting.hash(h);
        self.heard_leader_at.hash(h);
        self.heard.hash(h);
        self.reads.hash(h);
        self.pending.hash(h);
        // Only when there is one, so states without compaction hash as
        // they did before it existed.
        if let Some(s) = &self.snapshot {
            s.hash(h);
        }
    }
}
