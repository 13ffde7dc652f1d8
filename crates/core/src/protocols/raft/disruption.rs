//! Keeping a server that cannot hear the leader from deposing it: PreVote
//! (thesis §9.6) and CheckQuorum with its companion rule, a server that has
//! heard from a leader within a minimum election timeout ignores vote
//! requests (§4.2.3, as etcd pairs them). Both are off by default.
//!
//! Without them, a server whose incoming links are cut times out again and
//! again, each time with a higher term; the others adopt its term on its
//! RequestVote and their leader steps down, though nothing was wrong.

use super::{Raft, RaftMsg, Role, Term, CHECK_QUORUM};
use crate::id::NodeId;
use crate::protocol::Out;

impl Raft {
    /// The election timer fired on a follower or candidate: an election,
    /// or with PreVote first a poll that raises no term.
    pub(super) fn campaign(&mut self, out: &mut Out<RaftMsg>) {
        if !self.config.pre_vote || self.is_quorum(1u64 << self.id.0) {
            self.start_election(out);
            return;
        }
        self.role = Role::Follower;
        self.prevoting = true;
        self.leader = None;
        self.votes = 1u64 << self.id.0;
        self.reset_election_timer(out);
        out.broadcast(RaftMsg::PreVote {
            term: self.term + 1,
            last_index: self.last_index(),
            last_term: self.last_term(),
        });
    }

    /// Whether a vote request (real or pre-) goes unanswered, changing
    /// nothing: while this server has heard from a leader lately, or leads
    /// itself, when the config asks for it.
    pub(super) fn ignores_votes(&self, out: &Out<RaftMsg>) -> bool {
        if !self.config.sticky_leader() {
            return false;
        }
        if self.role == Role::Leader {
            // CheckQuorum makes it step down once it stops hearing from a
            // majority; until then it is the leader everyone hears.
            return true;
        }
        self.heard_leader_at
            .is_some_and(|at| out.now().since(at) < self.config.election_timeout.min)
    }

    pub(super) fn on_pre_vote(
        &mut self,
        from: NodeId,
        term: Term,
        last_index: u64,
        last_term: Term,
        out: &mut Out<RaftMsg>,
    ) {
        if self.ignores_votes(out) {
            return;
        }
        // The same test as a vote, for a term the asker has not entered:
        // nothing is recorded, so a later real vote is still free.
        let up_to_date = (last_term, last_index) >= (self.last_term(), self.last_index());
        let granted = term > self.term && up_to_date;
        out.send(
            from,
            RaftMsg::PreVoteReply {
                term: if granted { term } else { self.term },
                granted,
            },
        );
    }

    pub(super) fn on_pre_vote_reply(
        &mut self,
        from: NodeId,
        term: Term,
        granted: bool,
        out: &mut Out<RaftMsg>,
    ) {
        if !granted {
            if term > self.term {
                self.step_down(term, out);
            }
            return;
        }
        if !self.prevoting || term != self.term + 1 {
            return;
        }
        self.votes |= 1u64 << from.0;
        if self.is_quorum(self.votes) {
            self.start_election(out);
        }
    }

    /// A new leader starts counting who it hears from.
    pub(super) fn start_quorum_check(&mut self, out: &mut Out<RaftMsg>) {
        if self.config.check_quorum {
            self.heard = 0;
            let every = self.config.election_timeout.min;
            out.set_timer(CHECK_QUORUM, every, every);
        }
    }

    /// CheckQuorum's timer: step down unless a quorum of its configuration
    /// (counting itself) answered since the last check.
    pub(super) fn check_quorum(&mut self, out: &mut Out<RaftMsg>) {
        if !self.is_quorum(self.heard | 1u64 << self.id.0) {
            self.step_down(self.term, out);
        } else {
            self.start_quorum_check(out);
        }
    }
}
