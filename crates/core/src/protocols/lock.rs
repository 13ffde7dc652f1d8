//! # A lock service with leases and fencing tokens
//!
//! The file-system case (Kleppmann, "How to do distributed locking", 2016;
//! Burrows, "The Chubby lock service", 2006). Three kinds of node:
//!
//! - **n0, the lock server**, grants a lease on the lock for `lease`, with a
//!   fencing token one higher than any before. It grants again only once
//!   the lease is released or has expired by its own clock.
//! - **n1, the storage node**, holds one file and its history of versions.
//!   With `fencing` on it rejects any write whose token is lower than one it
//!   has already accepted; with fencing off it accepts everything.
//! - **n2 and up, workers**: a client's `put file=v` (or append) to a
//!   worker makes it take the lock, write to the storage node with its
//!   token, and release the lock. A worker listed in `pauses` stalls for
//!   that long after being granted the lock, as a process does in a long
//!   garbage-collection pause: it cannot notice its lease running out.
//!
//! A paused worker whose lease expired writes anyway. Fencing turns that
//! stale write away; without it the stale write lands after the next
//! holder's, and the file is corrupted. The checker reports it as a
//! violation of "writes land in lease order".
//!
//! By default the lock server is a single node: its state survives a
//! crash (it is on disk) but nothing replicates it, and while it is down
//! nobody gets a lease.
//!
//! ## The replicated lock service (`replicas: 3` or more)
//!
//! With `replicas` set above 1 the lock table lives in a small replicated
//! log, the way Chubby keeps it in Paxos or etcd in Raft: n0 to n(k-1) are
//! lock replicas, n(k) is the storage node, the rest are workers. The
//! replicas run a compact Raft (Ongaro and Ousterhout, 2014): a leader per
//! term elected by a majority, with the election restriction (vote only
//! for a log at least as up to date as your own, section 5.4.1). Every
//! grant and release is a log entry; a grant is sent to the worker only
//! once a majority stores it (committed), and **its fencing token is its
//! log index**. Committed entries survive every later leader, so a token
//! is never issued twice and tokens grow across leaders: a new leader
//! first commits an entry of its own term (a no-op), then keeps granting
//! at higher indexes. By default it honours the lease recorded in the last
//! grant, which is right only while every node shares one clock: the
//! expiry the old leader wrote down is a reading of the old leader's clock.
//!
//! ## Clocks that drift (`drift_bound`)
//!
//! Each node reads its own clock, which may run fast or slow. Set
//! `drift_bound`, and the service allows for it, as Chubby does:
//!
//! - a worker times its own lease on its own clock, from when it sent the
//!   Acquire the grant answers (never later than the server's start), and
//!   holds the lock until that runs out or it lets go;
//! - the lock server (or the leader that granted it) takes a lease back
//!   only `drift_bound` after its recorded end, by its own clock;
//! - a new leader cannot read the old leader's clock: while its log shows
//!   a lease granted in an earlier term, it grants nothing before it has
//!   waited out a whole lease plus `drift_bound` from its election
//!   (`leader_wait`; off is the broken variant, which compares the old
//!   leader's recorded end with its own clock).
//!
//! Safe while the clocks of a lease's granter and holder together drift by
//! less than `drift_bound` over one lease: ±10% each against a 1s lease
//! needs about 250ms. Otherwise two workers can hold the lock at once
//! ("One lease holder at a time" breaks), and fencing still keeps the
//! stale write out of the file.
//!
//! Log repair is simpler than Raft's next-index walk: a new leader sends
//! each follower its whole log until the follower answers, then only the
//! entries after what that follower is known to store in this term. A
//! follower synced in the term holds a prefix of the leader's log and takes
//! only appends that lengthen it (an older, shorter one arrived late).

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::id::{NodeId, RequestId};
use crate::protocol::{
    Checker, ClientRequest, EntryView, NodeDetail, NodeView, Op, Out, Outcome, Protocol, RoleKind,
    Slot, TimerId, Violation,
};
use crate::scenario::ScenarioError;
use crate::time::{Span, Time};

pub const LOCK_SERVER: NodeId = NodeId(0);
pub const STORAGE: NodeId = NodeId(1);

const RETRY: TimerId = 0;
const WAKE: TimerId = 1;
const ELECTION: TimerId = 2;
const HEARTBEAT: TimerId = 3;
/// A worker's own lease, timed on its own clock (with `drift_bound`).
const LEASE: TimerId = 4;
const ELECTION_MIN: Span = Span::from_millis(300);
const ELECTION_MAX: Span = Span::from_millis(600);
const HEARTBEAT_EVERY: Span = Span::from_millis(100);

/// A worker that stalls after it is granted the lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pause {
    pub node: NodeId,
    pub pause: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockConfig {
    /// How long a grant lasts, by the lock server's clock.
    pub lease: Span,
    /// Whether the storage node checks fencing tokens.
    pub fencing: bool,
    pub pauses: Vec<Pause>,
    /// How many nodes hold the lock table: 1 is the single lock server;
    /// 3 or more replicate it in a Raft-style log (n0 to n(k-1)), with the
    /// storage node next and the workers after it.
    #[serde(skip_serializing_if = "is_one")]
    pub replicas: u16,
    /// Set, the service allows for clocks that drift by up to this much
    /// over one lease (see the module's notes); absent, it assumes one
    /// shared clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_bound: Option<Span>,
    /// With `drift_bound`, a new leader waits out a lease plus the bound
    /// before granting a lock an earlier term granted. Off is broken on
    /// purpose: it trusts the old leader's recorded expiry.
    #[serde(skip_serializing_if = "is_true")]
    pub leader_wait: bool,
}

fn is_one(n: &u16) -> bool {
    *n == 1
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Default for LockConfig {
    fn default() -> Self {
        LockConfig {
            lease: Span::from_secs(1),
            fencing: true,
            pauses: Vec::new(),
            replicas: 1,
            drift_bound: None,
            leader_wait: true,
        }
    }
}

impl LockConfig {
    /// The storage node: right after the lock replicas.
    pub fn storage(&self) -> NodeId {
        NodeId(self.replicas.max(1))
    }

    /// When a lease recorded to end at `until` on the granter's clock may
    /// be granted again, by the same clock.
    fn taken_back(&self, until: Time) -> Time {
        until + self.drift_bound.unwrap_or(Span::ZERO)
    }

    /// Whether `node` holds (a replica of) the lock table.
    pub fn is_lock_node(&self, node: NodeId) -> bool {
        node.0 < self.replicas.max(1)
    }

    pub fn validate(&self, nodes: u16) -> Result<(), ScenarioError> {
        if self.replicas == 0 || self.replicas == 2 {
            return Err(ScenarioError::new(
                "replicas",
                format!(
                    "must be 1 (a single lock server) or 3 or more (a majority survives a crash), got {}",
                    self.replicas
                ),
            ));
        }
        // In u32: a mutated scenario may ask for u16::MAX replicas.
        let needed = u32::from(self.replicas) + 2;
        if self.replicas > 1 && u32::from(nodes) < needed {
            return Err(ScenarioError::new(
                "name",
                format!(
                    "{} lock replicas need at least {} nodes (the replicas, storage, a worker), got {nodes}",
                    self.replicas,
                    needed
                ),
            ));
        }
        if nodes < 3 {
            return Err(ScenarioError::new(
                "name",
                format!(
                    "the lock service needs at least 3 nodes (lock server, storage, a worker), got {nodes}"
                ),
            ));
        }
        if self.lease.0 == 0 {
            return Err(ScenarioError::new("lease", "must be greater than zero"));
        }
        for (i, p) in self.pauses.iter().enumerate() {
            let first = self.storage().0 + 1;
            if p.node.0 < first || p.node.0 >= nodes {
                return Err(ScenarioError::new(
                    format!("pauses[{i}].node"),
                    format!(
                        "must be a worker, n{first} to n{}, got {}",
                        nodes - 1,
                        p.node
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockMsg {
    Acquire,
    Grant {
        token: u64,
        until: Time,
    },
    Denied,
    Release {
        token: u64,
    },
    Write {
        token: u64,
        op: Op,
    },
    Written {
        accepted: bool,
    },
    /// A candidate asks for a vote (Raft's RequestVote).
    Vote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    VoteReply {
        term: u64,
        granted: bool,
    },
    /// The leader's log from index `from + 1` on (everything after what
    /// the follower is known to store) and its commit index: AppendEntries
    /// and heartbeat in one.
    Append {
        term: u64,
        from: u64,
        entries: Vec<LockEntry>,
        commit: u64,
    },
    AppendReply {
        term: u64,
        len: u64,
    },
    /// To a worker that asked a replica which does not lead.
    NotLeader {
        leader: Option<NodeId>,
    },
}

/// One entry of the replicated lock log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LockEntry {
    pub term: u64,
    pub cmd: LockCmd,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockCmd {
    /// A new leader's first entry: committing it commits everything before.
    Noop,
    /// A lease for `holder` until `until`; its token is the entry's index.
    Grant {
        holder: NodeId,
        until: Time,
    },
    Release {
        token: u64,
    },
}

/// Who holds the lock after applying `log`: `(holder, until, token)`.
fn lock_state(log: &[LockEntry]) -> Option<(NodeId, Time, u64)> {
    let mut held = None;
    for (i, e) in log.iter().enumerate() {
        match e.cmd {
            LockCmd::Grant { holder, until } => held = Some((holder, until, i as u64 + 1)),
            LockCmd::Release { token } if held.is_some_and(|(_, _, t)| t == token) => held = None,
            _ => {}
        }
    }
    held
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReplicaRole {
    Follower,
    Candidate,
    Leader,
}

/// One write that reached the storage node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileVersion {
    pub version: u64,
    pub token: u64,
    pub writer: NodeId,
    pub at: Time,
    /// The file's content after the write (unchanged if rejected).
    pub content: String,
    pub accepted: bool,
}

#[derive(Clone, Debug, Default)]
pub struct LockDurable {
    /// Lock server: last token issued and the lease it is under.
    token: u64,
    holder: Option<(NodeId, Time)>,
    /// Storage: the file's history and the highest token accepted.
    history: Vec<FileVersion>,
    highest: u64,
    /// Lock replicas: Raft's persistent state.
    term: u64,
    voted_for: Option<NodeId>,
    log: Vec<LockEntry>,
    /// The term whose leader this replica's log last came from.
    synced_term: u64,
}

#[derive(Clone, Debug)]
enum Work {
    Idle,
    Acquiring {
        request: RequestId,
        op: Op,
    },
    Paused {
        request: RequestId,
        op: Op,
        token: u64,
    },
    Writing {
        request: RequestId,
        token: u64,
    },
}

#[derive(Clone, Debug)]
pub struct LockService {
    id: NodeId,
    config: LockConfig,
    d: LockDurable,
    work: Work,
    done: u64,
    role: ReplicaRole,
    leader: Option<NodeId>,
    votes: Vec<NodeId>,
    /// Leader: how much of its log each replica is known to store.
    matched: Vec<u64>,
    commit: u64,
    /// Leader: grants waiting to be committed before they are sent.
    pending: Vec<u64>,
    /// Worker: the replica it believes leads, and whether any replica
    /// answered since it last asked (silence means try another).
    guess: NodeId,
    answered: bool,
    /// Worker, with `drift_bound`: when (by its clock) it sent the Acquire
    /// its lease counts from: the first since it was last denied, since
    /// a grant may answer any Acquire sent after that.
    asked_at: Option<Time>,
    /// Worker, with `drift_bound`: the token of the lease it holds, while
    /// that lease lasts by its own clock and it has not let go.
    holds: Option<u64>,
    /// Leader, with `drift_bound` and `leader_wait`: before this time (its
    /// clock) it grants no lock that an earlier term granted.
    wait_until: Time,
}

impl LockService {
    /// The storage node's file history, oldest first.
    pub fn file_history(&self) -> &[FileVersion] {
        &self.d.history
    }

    fn content(&self) -> String {
        self.d
            .history
            .iter()
            .rev()
            .find(|v| v.accepted)
            .map(|v| v.content.clone())
            .unwrap_or_default()
    }

    fn pause(&self) -> Span {
        self.config
            .pauses
            .iter()
            .find(|p| p.node == self.id)
            .map_or(Span::ZERO, |p| p.pause)
    }

    /// The lease this worker holds, if any (with `drift_bound`).
    pub fn holds(&self) -> Option<u64> {
        self.holds
    }

    /// A worker asks for the lock, noting when if its lease will count
    /// from this Acquire.
    fn ask(&mut self, out: &mut Out<LockMsg>) {
        if self.config.drift_bound.is_some() && self.asked_at.is_none() {
            self.asked_at = Some(out.now());
        }
        out.send(self.guess, LockMsg::Acquire);
    }

    /// A worker was granted the lease `token`: it holds it for `lease`
    /// from when it asked, by its own clock, if any of that is left.
    fn granted(&mut self, token: u64, out: &mut Out<LockMsg>) {
        let Some(asked) = self.asked_at.take() else {
            return;
        };
        let ends = asked + self.config.lease;
        let now = out.now();
        if now < ends {
            self.holds = Some(token);
            let left = ends - now;
            out.set_timer(LEASE, left, left);
        }
    }

    /// A worker lets go of its lease.
    fn let_go(&mut self, out: &mut Out<LockMsg>) {
        if self.holds.take().is_some() {
            out.cancel_timer(LEASE);
        }
    }

    fn write(&mut self, token: u64, op: Op, out: &mut Out<LockMsg>) {
        if let Work::Paused { request, .. } | Work::Acquiring { request, .. } = &self.work {
            self.work = Work::Writing {
                request: *request,
                token,
            };
        }
        out.send(self.config.storage(), LockMsg::Write { token, op });
    }

    fn replicated(&self) -> bool {
        self.config.replicas > 1
    }

    fn majority(&self) -> usize {
        crate::protocols::quorums::majority(usize::from(self.config.replicas))
    }

    fn send_replicas(&self, msg: &LockMsg, out: &mut Out<LockMsg>) {
        for n in (0..self.config.replicas)
            .map(NodeId)
            .filter(|n| *n != self.id)
        {
            out.send(n, msg.clone());
        }
    }

    fn last(&self) -> (u64, u64) {
        (
            self.d.log.len() as u64,
            self.d.log.last().map_or(0, |e| e.term),
        )
    }

    fn become_follower(&mut self, term: u64, out: &mut Out<LockMsg>) {
        if term > self.d.term {
            self.d.term = term;
            self.d.voted_for = None;
        }
        if self.role == ReplicaRole::Leader {
            out.cancel_timer(HEARTBEAT);
            // Grants not yet committed are never sent: their indexes may
            // be overwritten by the next leader, so they are no tokens.
            self.pending.clear();
            // A leader runs no election timer; a follower must, or it
            // could never stand again if the new leader fails.
            self.reset_election(out);
        }
        self.role = ReplicaRole::Follower;
    }

    fn reset_election(&self, out: &mut Out<LockMsg>) {
        out.set_timer(ELECTION, ELECTION_MIN, ELECTION_MAX);
    }

    /// To each other replica, the entries after what it is known to
    /// store in this term: a heartbeat carries nothing once it has caught
    /// up, so messages stay small however long the log grows.
    fn append_entries(&self, out: &mut Out<LockMsg>) {
        for n in (0..self.config.replicas)
            .map(NodeId)
            .filter(|n| *n != self.id)
        {
            let from = self.matched.get(n.index()).copied().unwrap_or(0);
            let msg = LockMsg::Append {
                term: self.d.term,
                from,
                entries: self.d.log[from as usize..].to_vec(),
                commit: self.commit,
            };
            out.send(n, msg);
        }
    }

    fn become_leader(&mut self, out: &mut Out<LockMsg>) {
        self.role = ReplicaRole::Leader;
        self.leader = Some(self.id);
        self.pending.clear();
        self.d.log.push(LockEntry {
            term: self.d.term,
            cmd: LockCmd::Noop,
        });
        self.matched = vec![0; usize::from(self.config.replicas)];
        self.matched[self.id.index()] = self.d.log.len() as u64;
        self.wait_until = match self.config.drift_bound {
            Some(bound) if self.config.leader_wait => out.now() + self.config.lease + bound,
            _ => Time::ZERO,
        };
        out.cancel_timer(ELECTION);
        self.append_entries(out);
        out.set_timer(HEARTBEAT, HEARTBEAT_EVERY, HEARTBEAT_EVERY);
        self.advance_commit(out);
    }

    /// The highest index a majority stores, if it is of this term (Raft's
    /// rule: older entries are committed only through a current one).
    fn advance_commit(&mut self, out: &mut Out<LockMsg>) {
        let mut stored = self.matched.clone();
        stored.sort_unstable_by(|a, b| b.cmp(a));
        let Some(&n) = stored.get(self.majority() - 1) else {
            return;
        };
        let current = n > self.commit
            && self
                .d
                .log
                .get(n as usize - 1)
                .is_some_and(|e| e.term == self.d.term);
        if !current {
            return;
        }
        self.commit = n;
        let log = &self.d.log;
        let ready: Vec<u64> = self.pending.iter().copied().filter(|i| *i <= n).collect();
        self.pending.retain(|i| *i > n);
        // With drift allowed, a grant that a later one superseded, or whose
        // lease ran out while it waited to commit, is not sent: its worker
        // would count the lease from a later Acquire than the one it
        // answers.
        let current = self
            .config
            .drift_bound
            .map(|_| (lock_state(log).map(|(_, _, t)| t), out.now()));
        for token in ready {
            if let Some(LockCmd::Grant { holder, until }) =
                log.get(token as usize - 1).map(|e| &e.cmd)
            {
                if current.is_some_and(|(latest, now)| latest != Some(token) || now >= *until) {
                    continue;
                }
                out.send(
                    *holder,
                    LockMsg::Grant {
                        token,
                        until: *until,
                    },
                );
            }
        }
    }

    /// A replica's handling of a worker's Acquire.
    fn replica_acquire(&mut self, from: NodeId, out: &mut Out<LockMsg>) {
        if self.role != ReplicaRole::Leader {
            return out.send(
                from,
                LockMsg::NotLeader {
                    leader: self.leader,
                },
            );
        }
        let now = out.now();
        let drift = self.config.drift_bound.is_some();
        if let Some((holder, until, token)) = lock_state(&self.d.log) {
            // A grant of this term ends by this clock; with drift allowed,
            // one of an earlier term ends by another clock, which this
            // leader waits out (unless it trusts the recorded end).
            let this_term = self.d.log[token as usize - 1].term == self.d.term;
            let free_at = match self.config.drift_bound {
                None => until,
                Some(_) if this_term || !self.config.leader_wait => self.config.taken_back(until),
                Some(_) => self.wait_until,
            };
            if now < free_at && holder != from {
                return out.send(from, LockMsg::Denied);
            }
            if now < free_at {
                // Already this worker's: answer again with the same token
                // once it is committed (a retried Acquire), never a second
                // grant. With drift allowed the worker would count that
                // lease from its new Acquire, later than it began: a
                // committed grant of this term is renewed instead, and one
                // of an earlier term waits like any other.
                let committed = token <= self.commit;
                if !drift && committed {
                    out.send(from, LockMsg::Grant { token, until });
                }
                if !(drift && this_term && committed) {
                    return;
                }
            }
        }
        let until = now + self.config.lease;
        self.d.log.push(LockEntry {
            term: self.d.term,
            cmd: LockCmd::Grant {
                holder: from,
                until,
            },
        });
        let index = self.d.log.len() as u64;
        self.pending.push(index);
        self.matched[self.id.index()] = index;
        self.append_entries(out);
        self.advance_commit(out);
    }

    fn replica_release(&mut self, from: NodeId, token: u64, out: &mut Out<LockMsg>) {
        if self.role != ReplicaRole::Leader {
            return;
        }
        if lock_state(&self.d.log).is_some_and(|(h, _, t)| h == from && t == token) {
            self.d.log.push(LockEntry {
                term: self.d.term,
                cmd: LockCmd::Release { token },
            });
            self.matched[self.id.index()] = self.d.log.len() as u64;
            self.append_entries(out);
            self.advance_commit(out);
        }
    }

    /// Raft's replica side: votes, appends, their replies.
    fn replica_message(&mut self, from: NodeId, msg: LockMsg, out: &mut Out<LockMsg>) {
        match msg {
            LockMsg::Vote {
                term,
                last_index,
                last_term,
            } => {
                if term > self.d.term {
                    self.become_follower(term, out);
                }
                let (my_index, my_term) = self.last();
                let up_to_date = (last_term, last_index) >= (my_term, my_index);
                let granted =
                    term == self.d.term && up_to_date && self.d.voted_for.is_none_or(|v| v == from);
                if granted {
                    self.d.voted_for = Some(from);
                    self.reset_election(out);
                }
                out.send(
                    from,
                    LockMsg::VoteReply {
                        term: self.d.term,
                        granted,
                    },
                );
            }
            LockMsg::VoteReply { term, granted } => {
                if term > self.d.term {
                    self.become_follower(term, out);
                    return self.reset_election(out);
                }
                if self.role == ReplicaRole::Candidate && term == self.d.term && granted {
                    if !self.votes.contains(&from) {
                        self.votes.push(from);
                    }
                    if self.votes.len() >= self.majority() {
                        self.become_leader(out);
                    }
                }
            }
            LockMsg::Append {
                term,
                from: start,
                entries,
                commit,
            } => {
                if term < self.d.term {
                    return out.send(
                        from,
                        LockMsg::AppendReply {
                            term: self.d.term,
                            len: 0,
                        },
                    );
                }
                self.become_follower(term, out);
                self.leader = Some(from);
                self.reset_election(out);
                // Once synced with this term's leader, this log is a prefix
                // of the leader's, which only grows within the term: an
                // append that would not lengthen it is an older message
                // that arrived late. Before that, only a whole log (from
                // index 0, sent until this replica first answers) is
                // taken, replacing whatever an older term left here.
                let start = start as usize;
                let synced = self.d.synced_term == term;
                let fits = if synced {
                    start <= self.d.log.len() && start + entries.len() > self.d.log.len()
                } else {
                    start == 0
                };
                if fits {
                    self.d.log.truncate(start);
                    self.d.log.extend(entries);
                    self.d.synced_term = term;
                }
                self.commit = self.commit.max(commit.min(self.d.log.len() as u64));
                // Only a log synced in this term is a prefix of the
                // leader's; an unsynced one reports nothing stored.
                let len = if self.d.synced_term == term {
                    self.d.log.len() as u64
                } else {
                    0
                };
                out.send(from, LockMsg::AppendReply { term, len });
            }
            LockMsg::AppendReply { term, len } => {
                if term > self.d.term {
                    self.become_follower(term, out);
                    return self.reset_election(out);
                }
                if self.role == ReplicaRole::Leader && term == self.d.term {
                    let m = &mut self.matched[from.index()];
                    *m = (*m).max(len);
                    self.advance_commit(out);
                }
            }
            _ => {}
        }
    }

    fn replica_timer(&mut self, timer: TimerId, out: &mut Out<LockMsg>) {
        match timer {
            ELECTION if self.role != ReplicaRole::Leader => {
                self.d.term += 1;
                self.d.voted_for = Some(self.id);
                self.role = ReplicaRole::Candidate;
                self.leader = None;
                self.votes = vec![self.id];
                let (last_index, last_term) = self.last();
                let msg = LockMsg::Vote {
                    term: self.d.term,
                    last_index,
                    last_term,
                };
                self.send_replicas(&msg, out);
                self.reset_election(out);
            }
            HEARTBEAT if self.role == ReplicaRole::Leader => {
                self.append_entries(out);
                out.set_timer(HEARTBEAT, HEARTBEAT_EVERY, HEARTBEAT_EVERY);
            }
            _ => {}
        }
    }

    /// The lock replica's log, for the node's view and the inspector.
    fn lock_log(&self) -> Vec<EntryView> {
        self.d
            .log
            .iter()
            .enumerate()
            .map(|(i, e)| EntryView {
                index: i as u64 + 1,
                term: e.term,
                committed: (i as u64) < self.commit,
                label: match e.cmd {
                    LockCmd::Noop => String::from("no-op (new leader)"),
                    LockCmd::Grant { holder, until } => {
                        format!("grant token {} to {holder} until {until}", i + 1)
                    }
                    LockCmd::Release { token } => format!("release token {token}"),
                },
            })
            .collect()
    }

    /// The highest token committed so far (the last committed grant).
    pub fn committed_token(&self) -> u64 {
        self.d.log[..self.commit as usize]
            .iter()
            .enumerate()
            .rev()
            .find(|(_, e)| matches!(e.cmd, LockCmd::Grant { .. }))
            .map_or(0, |(i, _)| i as u64 + 1)
    }

    /// Lock replicas: the committed part of the log.
    pub fn committed_log(&self) -> &[LockEntry] {
        &self.d.log[..(self.commit as usize).min(self.d.log.len())]
    }
}

impl Protocol for LockService {
    type Config = LockConfig;
    type Msg = LockMsg;
    type Durable = LockDurable;
    type Checker = LockChecker;

    const NAME: &'static str = "Lock service";
    const MSG_KINDS: &'static [&'static str] = &[
        "Acquire",
        "Grant",
        "Denied",
        "Release",
        "Write",
        "Written",
        "Vote",
        "VoteReply",
        "Append",
        "AppendReply",
        "NotLeader",
    ];
    const USER_TIMER: Option<(TimerId, &'static str)> = None;

    fn recover(id: NodeId, _nodes: usize, config: &LockConfig, d: LockDurable) -> Self {
        LockService {
            id,
            config: config.clone(),
            d,
            work: Work::Idle,
            done: 0,
            role: ReplicaRole::Follower,
            leader: None,
            votes: Vec::new(),
            matched: Vec::new(),
            commit: 0,
            pending: Vec::new(),
            guess: LOCK_SERVER,
            answered: false,
            asked_at: None,
            holds: None,
            wait_until: Time::ZERO,
        }
    }

    fn durable(&self) -> LockDurable {
        self.d.clone()
    }

    fn on_start(&mut self, out: &mut Out<LockMsg>) {
        if self.replicated() && self.config.is_lock_node(self.id) {
            self.reset_election(out);
        }
    }

    fn on_message(&mut self, from: NodeId, msg: LockMsg, out: &mut Out<LockMsg>) {
        if self.replicated() && self.config.is_lock_node(self.id) {
            return match msg {
                LockMsg::Acquire => self.replica_acquire(from, out),
                LockMsg::Release { token } => self.replica_release(from, token, out),
                other => self.replica_message(from, other, out),
            };
        }
        match msg {
            LockMsg::Acquire => {
                let now = out.now();
                let free = match self.d.holder {
                    None => true,
                    Some((holder, until)) => holder == from || now >= self.config.taken_back(until),
                };
                if free {
                    self.d.token += 1;
                    let until = now + self.config.lease;
                    self.d.holder = Some((from, until));
                    let token = self.d.token;
                    out.send(from, LockMsg::Grant { token, until });
                } else {
                    out.send(from, LockMsg::Denied);
                }
            }
            LockMsg::Release { token } => {
                if self.d.holder.is_some_and(|(h, _)| h == from) && token == self.d.token {
                    self.d.holder = None;
                }
            }
            LockMsg::Grant { token, .. } => {
                self.answered = true;
                if let Work::Acquiring { request, op } = &self.work {
                    let (request, op) = (*request, op.clone());
                    out.cancel_timer(RETRY);
                    self.granted(token, out);
                    let pause = self.pause();
                    if pause.0 > 0 {
                        self.work = Work::Paused { request, op, token };
                        out.set_timer(WAKE, pause, pause);
                    } else {
                        self.write(token, op, out);
                    }
                }
            }
            LockMsg::Denied => {
                // The retry timer asks again; no grant answers an Acquire
                // sent before this, so a lease counts from the next one.
                self.answered = true;
                self.asked_at = None;
            }
            LockMsg::NotLeader { leader } => {
                self.answered = true;
                // Ask the named leader next time, or the next replica.
                self.guess =
                    leader.unwrap_or(NodeId((self.guess.0 + 1) % self.config.replicas.max(1)));
            }
            LockMsg::Vote { .. }
            | LockMsg::VoteReply { .. }
            | LockMsg::Append { .. }
            | LockMsg::AppendReply { .. } => {}
            LockMsg::Write { token, op } => {
                let accepted = !self.config.fencing || token >= self.d.highest;
                let mut content = self.content();
                if accepted {
                    match &op {
                        Op::Put { value, .. } => content = value.clone(),
                        Op::Append { value, .. } => content.push_str(value),
                        Op::Get { .. } => {}
                    }
                    self.d.highest = self.d.highest.max(token);
                }
                self.d.history.push(FileVersion {
                    version: self.d.history.len() as u64 + 1,
                    token,
                    writer: from,
                    at: out.now(),
                    content,
                    accepted,
                });
                out.send(from, LockMsg::Written { accepted });
            }
            LockMsg::Written { accepted } => {
                if let Work::Writing { request, token } = self.work {
                    let outcome = if accepted {
                        self.done += 1;
                        Outcome::Ok { value: None }
                    } else {
                        Outcome::Fail {
                            reason: format!(
                                "the storage node rejected fencing token {token}: a newer lease holder has written"
                            ),
                        }
                    };
                    out.reply(request, outcome);
                    self.let_go(out);
                    out.send(self.guess, LockMsg::Release { token });
                    self.work = Work::Idle;
                }
            }
        }
    }

    fn on_timer(&mut self, timer: TimerId, out: &mut Out<LockMsg>) {
        if self.replicated() && self.config.is_lock_node(self.id) {
            return self.replica_timer(timer, out);
        }
        match (timer, &self.work) {
            (RETRY, Work::Acquiring { .. }) => {
                // No answer at all: the replica asked may be down.
                if self.replicated() && !self.answered {
                    self.guess = NodeId((self.guess.0 + 1) % self.config.replicas);
                }
                self.answered = false;
                self.ask(out);
                out.set_timer(RETRY, Span::from_millis(100), Span::from_millis(200));
            }
            (LEASE, _) => self.holds = None,
            (WAKE, Work::Paused { op, token, .. }) => {
                // The pause is over. The worker does not know how long it
                // was gone, and writes with the token it holds.
                let (op, token) = (op.clone(), *token);
                self.write(token, op, out);
            }
            _ => {}
        }
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<LockMsg>) {
        let fail = |out: &mut Out<LockMsg>, reason: &str| {
            out.reply(
                request.id,
                Outcome::Fail {
                    reason: String::from(reason),
                },
            )
        };
        let storage = self.config.storage();
        if self.config.is_lock_node(self.id) {
            return fail(
                out,
                &format!(
                    "the lock service takes no client operations; ask a worker (n{} and up)",
                    storage.0 + 1
                ),
            );
        }
        if self.id == storage || request.op.is_read() {
            if self.id == storage && request.op.is_read() {
                let value = Some(self.content()).filter(|c| !c.is_empty());
                return out.reply(request.id, Outcome::Ok { value });
            }
            return fail(
                out,
                &format!(
                    "reads go to the storage node ({storage}), writes to a worker (n{} and up)",
                    storage.0 + 1
                ),
            );
        }
        if !matches!(self.work, Work::Idle) {
            return fail(out, "this worker is busy with another write");
        }
        self.work = Work::Acquiring {
            request: request.id,
            op: request.op,
        };
        self.answered = false;
        self.asked_at = None;
        self.ask(out);
        out.set_timer(RETRY, Span::from_millis(100), Span::from_millis(200));
    }

    fn view(&self) -> NodeView {
        if self.replicated() && self.config.is_lock_node(self.id) {
            let (role, label) = match self.role {
                ReplicaRole::Leader => (RoleKind::Leader, "lock leader"),
                ReplicaRole::Candidate => (RoleKind::Candidate, "candidate"),
                ReplicaRole::Follower => (RoleKind::Follower, "lock replica"),
            };
            let log = self.lock_log();
            let len = log.len();
            return NodeView {
                role,
                role_label: label,
                term: self.d.term,
                term_label: "term",
                log_len: len as u64,
                commit_index: self.commit,
                log_tail: log.into_iter().skip(len.saturating_sub(8)).collect(),
                leader: self.leader,
                in_doubt_since: None,
            };
        }
        let storage = self.config.storage();
        let (role, label) = match (self.id, &self.work) {
            (id, _) if id == storage => (RoleKind::Follower, "storage"),
            (LOCK_SERVER, _) => (RoleKind::Leader, "lock server"),
            (_, Work::Idle) => (RoleKind::Follower, "idle"),
            (_, Work::Acquiring { .. }) => (RoleKind::Candidate, "acquiring"),
            (_, Work::Paused { .. }) => (RoleKind::Candidate, "paused"),
            (_, Work::Writing { .. }) => (RoleKind::Candidate, "writing"),
        };
        let term = match (self.id, &self.work) {
            (id, _) if id == storage => self.d.highest,
            (LOCK_SERVER, _) => self.d.token,
            (_, Work::Paused { token, .. } | Work::Writing { token, .. }) => *token,
            _ => 0,
        };
        let log: Vec<EntryView> = self.detail().log;
        let len = log.len();
        NodeView {
            role,
            role_label: label,
            term,
            term_label: "token",
            log_len: len as u64,
            commit_index: len as u64,
            log_tail: log.into_iter().skip(len.saturating_sub(8)).collect(),
            leader: Some(if self.replicated() {
                self.guess
            } else {
                LOCK_SERVER
            }),
            in_doubt_since: None,
        }
    }

    /// The storage node's log is the file's history: one entry per write,
    /// its term the fencing token, uncommitted if rejected.
    fn detail(&self) -> NodeDetail {
        if self.replicated() && self.config.is_lock_node(self.id) {
            let holder = match lock_state(self.committed_log()) {
                Some((n, until, token)) => format!("{n} with token {token} until {until}"),
                None => String::from("none"),
            };
            return NodeDetail {
                log: self.lock_log(),
                kv: Vec::new(),
                fields: vec![
                    ("term", format!("{}", self.d.term)),
                    ("commit index", format!("{}", self.commit)),
                    (
                        "last token committed",
                        format!("{}", self.committed_token()),
                    ),
                    ("holder (committed)", holder),
                ],
            };
        }
        let storage = self.config.storage();
        let log = self
            .d
            .history
            .iter()
            .map(|v| EntryView {
                index: v.version,
                term: v.token,
                committed: v.accepted,
                label: format!(
                    "{} by {} with token {}: {:?}",
                    if v.accepted { "written" } else { "rejected" },
                    v.writer,
                    v.token,
                    v.content
                ),
            })
            .collect();
        let mut fields = Vec::new();
        match self.id {
            id if id == storage => {
                fields.push(("highest token", format!("{}", self.d.highest)));
                fields.push((
                    "fencing",
                    String::from(if self.config.fencing { "on" } else { "off" }),
                ));
            }
            LOCK_SERVER => {
                fields.push(("token", format!("{}", self.d.token)));
                fields.push((
                    "holder",
                    match self.d.holder {
                        Some((n, until)) => format!("{n} until {until}"),
                        None => String::from("none"),
                    },
                ));
            }
            _ => fields.push(("pause", format!("{}", self.pause()))),
        }
        NodeDetail {
            log,
            kv: if self.id == storage {
                vec![(String::from("file"), self.content())]
            } else {
                Vec::new()
            },
            fields,
        }
    }

    fn decided(&self) -> u64 {
        self.done
    }

    fn msg_kind(msg: &LockMsg) -> u8 {
        match msg {
            LockMsg::Acquire => 0,
            LockMsg::Grant { .. } => 1,
            LockMsg::Denied => 2,
            LockMsg::Release { .. } => 3,
            LockMsg::Write { .. } => 4,
            LockMsg::Written { .. } => 5,
            LockMsg::Vote { .. } => 6,
            LockMsg::VoteReply { .. } => 7,
            LockMsg::Append { .. } => 8,
            LockMsg::AppendReply { .. } => 9,
            LockMsg::NotLeader { .. } => 10,
        }
    }

    fn msg_size(msg: &LockMsg) -> usize {
        1 + match msg {
            LockMsg::Acquire | LockMsg::Denied => 0,
            LockMsg::Grant { .. } => 16,
            LockMsg::Release { .. } => 8,
            LockMsg::Write { op, .. } => 8 + 8 + op.key().len() + 16,
            LockMsg::Written { .. } => 1,
            LockMsg::Vote { .. } => 24,
            LockMsg::VoteReply { .. } => 9,
            LockMsg::Append { entries, .. } => 24 + 25 * entries.len(),
            LockMsg::AppendReply { .. } => 16,
            LockMsg::NotLeader { .. } => 3,
        }
    }

    fn msg_label(msg: &LockMsg) -> String {
        match msg {
            LockMsg::Acquire => String::from("Acquire"),
            LockMsg::Grant { token, until } => format!("Grant token {token} until {until}"),
            LockMsg::Denied => String::from("Denied"),
            LockMsg::Release { token } => format!("Release {token}"),
            LockMsg::Write { token, op } => format!("Write {op} token {token}"),
            LockMsg::Written { accepted } => {
                String::from(if *accepted { "Written" } else { "Rejected" })
            }
            LockMsg::Vote { term, .. } => format!("Vote? t{term}"),
            LockMsg::VoteReply { granted, .. } => {
                String::from(if *granted { "Vote yes" } else { "Vote no" })
            }
            LockMsg::Append {
                entries, commit, ..
            } => match entries.len() {
                0 => format!("Heartbeat commit {commit}"),
                n => format!("Append {n} commit {commit}"),
            },
            LockMsg::AppendReply { len, .. } => format!("Stored {len}"),
            LockMsg::NotLeader { leader } => match leader {
                Some(l) => format!("Ask {l}"),
                None => String::from("No leader"),
            },
        }
    }
}

/// Writes land in lease order: once a write with token `t` has been
/// accepted, no write with a lower token is. Fencing guarantees it;
/// without fencing a paused worker breaks it.
///
/// With `drift_bound`, also: one lease holder at a time. Workers then time
/// their own leases, and no two may believe they hold the lock at once.
///
/// With replicated locks, also: a token is granted once. Every entry a
/// replica has committed is remembered by index (= token); a replica that
/// later shows a different committed entry at that index, say after a new
/// leader took over, would have granted the token again.
#[derive(Clone, Debug)]
pub struct LockChecker {
    seen: usize,
    highest: u64,
    storage: NodeId,
    replicas: u16,
    committed: Vec<LockEntry>,
}

impl Checker<LockService> for LockChecker {
    const INVARIANTS: &'static [&'static str] = &[
        "Writes land in lease order",
        "A fencing token is granted once",
        "One lease holder at a time",
    ];

    fn new(_nodes: usize, config: &LockConfig) -> Self {
        LockChecker {
            seen: 0,
            highest: 0,
            storage: config.storage(),
            replicas: config.replicas,
            committed: Vec::new(),
        }
    }

    fn check(&mut self, nodes: &[Slot<LockService>], changed: NodeId) -> Result<(), Violation> {
        if let Some(token) = nodes[changed.index()].up().and_then(LockService::holds) {
            let other = nodes.iter().enumerate().find_map(|(i, slot)| {
                let held = slot.up().and_then(LockService::holds)?;
                (i != changed.index()).then_some((NodeId(i as u16), held))
            });
            if let Some((other, held)) = other {
                return Err(Violation {
                    invariant: 2,
                    message: format!(
                        "{changed} holds the lock with token {token} while {other}'s lease (token {held}) has not run out by {other}'s clock: two workers hold the lock at once"
                    ),
                    nodes: vec![other, changed],
                    entries: Vec::new(),
                });
            }
        }
        if self.replicas > 1 && changed.0 < self.replicas {
            let Some(replica) = nodes[changed.index()].up() else {
                return Ok(());
            };
            let log = replica.committed_log();
            for (i, e) in log.iter().enumerate() {
                match self.committed.get(i) {
                    Some(seen) if seen != e => {
                        return Err(Violation {
                            invariant: 1,
                            message: format!(
                                "{changed} committed {:?} at index {}, where {:?} was committed before: token {} would be granted twice",
                                e.cmd,
                                i + 1,
                                seen.cmd,
                                i + 1
                            ),
                            nodes: vec![changed],
                            entries: vec![(changed, i as u64 + 1)],
                        })
                    }
                    Some(_) => {}
                    None => self.committed.push(e.clone()),
                }
            }
            return Ok(());
        }
        let storage_id = self.storage;
        if changed != storage_id {
            return Ok(());
        }
        let Some(storage) = nodes[storage_id.index()].up() else {
            return Ok(());
        };
        let history = storage.file_history();
        for v in history.iter().skip(self.seen) {
            if v.accepted && v.token < self.highest {
                return Err(Violation {
                    invariant: 0,
                    message: format!(
                        "the storage node accepted {}'s write with token {} after a write with token {}: \
                         a lease holder's write was overwritten by a stale one, the file is corrupted",
                        v.writer, v.token, self.highest
                    ),
                    nodes: vec![storage_id, v.writer],
                    entries: vec![(storage_id, v.version)],
                });
            }
            if v.accepted {
                self.highest = self.highest.max(v.token);
            }
        }
        self.seen = history.len();
        Ok(())
    }
}

/// The lock service, as the registry lists it.
impl crate::registry::Registered for LockService {
    const DESCRIPTOR: crate::registry::Descriptor = crate::registry::Descriptor {
        id: "lock-service",
        facts: crate::registry::Facts::of::<LockService>(),
        presets: &[crate::registry::Preset {
            id: "lock-service",
            label: "Lock service: leases and fencing",
            board_title: "Locks and the file",
            // Three lock replicas (n0–n2), the storage node (n3), two
            // workers: the lock table survives a replica's crash.
            nodes: 6,
            config: || {
                LockConfig {
                    replicas: 3,
                    ..LockConfig::default()
                }
                .into()
            },
            claims: |_| false,
        }],
        can: crate::registry::Capabilities::NONE,
        words: crate::registry::Words {
            legend: "n0–n2 replicate the lock table in a Raft-style log (▢ leads; t is the term; squares are grants and releases, filled once committed, and a grant's fencing token is its log index), n3 is the storage node holding the file; the others are workers that take a lease, write with its token, and let it go. The storage node's number is the highest token it accepted, its squares the file's versions, hollow when a stale token was rejected. A single lock server (n0, storage n1) is replicas: 1.",
            progress: "file versions",
            log: "file versions",
            in_charge: "lock leader",
            // A single server's number is its last token, not a term.
            in_charge_clock: crate::registry::Clock::None,
            clock_prefix: "t",
            decision: "write",
        },
        // Replicas show their term and lock log; storage its highest token
        // and the file's versions; workers their token.
        board: &[
            ("role", crate::registry::Column::Role),
            ("term or token", crate::registry::Column::Term),
            ("log or file versions", crate::registry::Column::LogLength),
        ],
        explore: None,
    };

    fn validate(config: &LockConfig, nodes: u16) -> Result<(), ScenarioError> {
        config.validate(nodes).map_err(crate::scenario::in_protocol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(term: u64, holder: u16) -> LockEntry {
        LockEntry {
            term,
            cmd: LockCmd::Grant {
                holder: NodeId(holder),
                until: Time(1_000_000),
            },
        }
    }

    fn replica(id: u16, log: Vec<LockEntry>, commit: u64) -> Slot<LockService> {
        let config = LockConfig {
            replicas: 3,
            ..LockConfig::default()
        };
        let d = LockDurable {
            log,
            ..LockDurable::default()
        };
        let mut r = LockService::recover(NodeId(id), 6, &config, d);
        r.commit = commit;
        Slot::Up(r)
    }

    /// The "granted once" invariant fires when two replicas have committed
    /// different grants at one index: the same token for two holders.
    #[test]
    fn the_checker_catches_a_token_granted_twice() {
        let config = LockConfig {
            replicas: 3,
            ..LockConfig::default()
        };
        let mut checker = LockChecker::new(6, &config);
        let noop = LockEntry {
            term: 1,
            cmd: LockCmd::Noop,
        };
        let mut nodes: Vec<Slot<LockService>> = (0..6)
            .map(|n| replica(n, vec![noop.clone(), grant(1, 4)], 2))
            .collect();
        for n in 0..3 {
            checker.check(&nodes, NodeId(n)).unwrap();
        }
        // An uncommitted difference is fine: it was never a token.
        nodes[1] = replica(1, vec![noop.clone(), grant(2, 5)], 1);
        checker.check(&nodes, NodeId(1)).unwrap();
        nodes[2] = replica(2, vec![noop, grant(2, 5)], 2);
        let v = checker.check(&nodes, NodeId(2)).unwrap_err();
        assert_eq!(
            LockChecker::INVARIANTS[v.invariant],
            "A fencing token is granted once"
        );
        assert!(v.message.contains("token 2"), "{}", v.message);
    }

    #[test]
    fn the_lock_state_follows_grants_and_matching_releases() {
        let log = vec![
            grant(1, 4),
            LockEntry {
                term: 1,
                cmd: LockCmd::Release { token: 7 },
            },
        ];
        assert_eq!(
            lock_state(&log).map(|(h, _, t)| (h, t)),
            Some((NodeId(4), 1))
        );
        let released = [
            grant(1, 4),
            LockEntry {
                term: 1,
                cmd: LockCmd::Release { token: 1 },
            },
        ];
        assert_eq!(lock_state(&released), None);
    }
}
