//! Reads that do not go through the log (thesis §6.4), chosen by
//! [`ReadPath`]:
//!
//! - **ReadIndex**: the leader notes its commit index (once an entry of its
//!   own term has committed, so the index covers every earlier leader's
//!   commitments), starts a heartbeat round, and answers once a majority
//!   has answered that round or a later one (so no other leader had been
//!   elected when the read arrived) and it has applied up to the noted
//!   index.
//! - **Lease**: a round a majority answered proves that, from the moment
//!   the round started, every one of them ignores vote requests for a
//!   minimum election timeout on its own clock; the leader answers at once
//!   until the round's start plus [`Lease::on_leader_clock`] on its own
//!   clock, and otherwise as ReadIndex. Each heartbeat starts a round, so a
//!   leader that hears from a majority keeps its lease.
//! - **LeaderLocal** (broken): the leader answers from its own state.
//!
//! Rounds are numbered per term; AppendEntries carry the current round and
//! their replies echo it. A round of 0 means "not counted" and leaves a
//! message's digest and size as they were without the option.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::hash::{Hash, Hasher};

use super::{Lease, LogIndex, Raft, RaftConfig, RaftMsg, ReadPath};
use crate::id::{NodeId, RequestId};
use crate::protocol::{ClientRequest, Op, Out, Outcome};
use crate::time::Time;

/// A leader's heartbeat round, carried in AppendEntries and echoed in the
/// replies. Round 0 is "not counted": it hashes as nothing and takes no
/// bytes on the wire, so runs without these reads keep their messages'
/// digests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Round(pub u64);

impl Hash for Round {
    fn hash<H: Hasher>(&self, h: &mut H) {
        if self.0 != 0 {
            self.0.hash(h);
        }
    }
}

impl Round {
    pub(super) fn wire_size(&self) -> usize {
        if self.0 == 0 {
            0
        } else {
            8
        }
    }
}

/// A read waiting for its round to be answered and its index applied.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Pending {
    request: RequestId,
    key: String,
    round: u64,
    index: LogIndex,
}

/// A leader's state for reads off the log. Empty while following.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(super) struct Reads {
    /// Whether rounds are counted (ReadIndex and leases).
    counted: bool,
    /// The latest round started in this term.
    round: u64,
    /// Rounds started and not yet answered by a majority, with when they
    /// started on the leader's clock, oldest first.
    started: VecDeque<(u64, Time)>,
    /// Per server: the latest round it answered (the leader's own entry is
    /// unused: it is in every round).
    answered: Vec<u64>,
    /// The latest round a majority answered.
    confirmed: u64,
    /// Until when reads are answered at once (leases).
    lease_until: Option<Time>,
    /// The index of this term's first entry: until it applies, the commit
    /// index may miss what earlier leaders committed.
    term_start: LogIndex,
    pending: VecDeque<Pending>,
}

impl Reads {
    /// A server has just become leader, its first entry of the term at
    /// `term_start`; the first round starts with its first AppendEntries.
    pub(super) fn lead(&mut self, term_start: LogIndex, nodes: usize, config: &RaftConfig, now: Time) {
        *self = Reads {
            counted: matches!(config.reads, ReadPath::ReadIndex | ReadPath::Lease),
            term_start,
            ..Reads::default()
        };
        if self.counted {
            self.answered = alloc::vec![0; nodes];
            self.start_round(now);
        }
    }

    /// Forgets everything on losing the lead; waiting reads go unanswered.
    pub(super) fn clear(&mut self) {
        *self = Reads::default();
    }

    /// The round AppendEntries sent now belong to.
    pub(super) fn current(&self) -> super::Round {
        Round(self.round)
    }

    fn start_round(&mut self, now: Time) -> u64 {
        // Reads arriving at one instant share a round.
        if let Some(&(round, at)) = self.started.back() {
            if at == now {
                return round;
            }
        }
        self.round += 1;
        self.started.push_back((self.round, now));
        self.round
    }

    pub(super) fn detail(&self, config: &RaftConfig, fields: &mut Vec<(&'static str, String)>) {
        if !self.counted {
            return;
        }
        fields.push(("read round", format!("{} (confirmed {})", self.round, self.confirmed)));
        fields.push(("reads waiting", format!("{}", self.pending.len())));
        if config.reads == ReadPath::Lease {
            fields.push((
                "lease until",
                self.lease_until
                    .map_or(String::from("none"), |t| format!("{t}")),
            ));
        }
    }
}

impl Raft {
    /// A read reaching the leader, when reads do not go through the log.
    pub(super) fn read(&mut self, request: ClientRequest, out: &mut Out<RaftMsg>) {
        let Op::Get { key } = request.op else {
            unreachable!("only reads come here: `on_client_request` checks `is_read`")
        };
        let now = out.now();
        match self.config.reads {
            ReadPath::Log => unreachable!("log reads are appended like writes"),
            ReadPath::LeaderLocal => {
                let value = self.kv.get(&key).cloned();
                out.reply(request.id, Outcome::Ok { value });
            }
            ReadPath::Lease if self.holds_lease(now) => {
                let value = self.kv.get(&key).cloned();
                out.reply(request.id, Outcome::Ok { value });
            }
            ReadPath::ReadIndex | ReadPath::Lease => {
                let round = self.reads.start_round(now);
                let index = self.commit.max(self.reads.term_start);
                self.reads.pending.push_back(Pending {
                    request: request.id,
                    key,
                    round,
                    index,
                });
                if self.is_quorum(1u64 << self.id.0) {
                    self.reads.confirmed = round;
                    self.reads.started.clear();
                    self.serve_reads(out);
                } else {
                    self.replicate_all(out);
                }
            }
        }
    }

    /// Whether the lease covers `now` and this term's first entry has
    /// applied (so the state holds everything committed before the term).
    fn holds_lease(&self, now: Time) -> bool {
        self.reads.lease_until.is_some_and(|until| now < until)
            && self.applied >= self.reads.term_start
    }

    /// A heartbeat is due: with leases, it starts a round that renews the
    /// lease once a majority answers.
    pub(super) fn heartbeat_round(&mut self, now: Time) {
        if self.config.reads == ReadPath::Lease {
            self.reads.start_round(now);
        }
    }

    /// `from` answered an AppendEntries of round `round` in our term.
    pub(super) fn round_answered(&mut self, from: NodeId, round: super::Round, out: &mut Out<RaftMsg>) {
        let me = 1u64 << self.id.0;
        if !self.reads.counted
            || self.is_quorum(me)
            || round.0 <= self.reads.answered[from.index()]
        {
            return;
        }
        self.reads.answered[from.index()] = round.0;
        // The latest round a quorum of the configuration answered: the
        // leader counts for every round; a round is confirmed when those
        // who answered it or a later one make a quorum. Candidates are the
        // rounds someone answered, tried without allocating (at most 51
        // nodes, so the quadratic scan is a few thousand steps).
        let answered = &self.reads.answered;
        let confirmed = answered.iter().fold(0, |best, &r| {
            if r <= best {
                return best;
            }
            let set = answered
                .iter()
                .enumerate()
                .filter(|&(_, &a)| a >= r)
                .fold(me, |set, (i, _)| set | 1u64 << i);
            if self.is_quorum(set) {
                r
            } else {
                best
            }
        });
        let reads = &mut self.reads;
        if confirmed <= reads.confirmed {
            return;
        }
        reads.confirmed = confirmed;
        let mut start = None;
        while let Some(&(round, at)) = reads.started.front() {
            if round > confirmed {
                break;
            }
            start = Some(at);
            reads.started.pop_front();
        }
        if self.config.reads == ReadPath::Lease {
            if let Some(at) = start {
                let until = at + Lease::on_leader_clock(&self.config.lease);
                reads.lease_until = Some(reads.lease_until.map_or(until, |u| u.max(until)));
            }
        }
        self.serve_reads(out);
    }

    /// Answers the waiting reads whose round a majority answered and whose
    /// index has applied, in arrival order.
    pub(super) fn serve_reads(&mut self, out: &mut Out<RaftMsg>) {
        while let Some(p) = self.reads.pending.front() {
            if p.round > self.reads.confirmed || p.index > self.applied {
                break;
            }
            let p = self.reads.pending.pop_front().expect("front was just seen");
            let value = self.kv.get(&p.key).cloned();
            out.reply(p.request, Outcome::Ok { value });
        }
    }
}
