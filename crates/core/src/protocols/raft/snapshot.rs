//! Log compaction (§7 of the paper, Figure 13), when
//! [`RaftConfig::snapshot_every`] asks for it.
//!
//! Every `snapshot_every` applied entries a server replaces the applied
//! prefix of its log with a [`Snapshot`]: the key-value state it reached,
//! the index and term of the last entry it covers, and the configuration in
//! force there (membership changes live in the log, so a compacted log must
//! remember which servers vote). Log positions keep their numbers: the log
//! holds the entries after the snapshot's index.
//!
//! A leader whose next index for a follower falls at or below its own
//! snapshot's index can no longer send the entries that follower needs; it
//! sends the snapshot instead, in one message. The follower keeps the
//! entries after the snapshot if its log agrees at the snapshot's index
//! (it may already hold more), else drops its whole log, takes the
//! snapshot's state, and answers with the index it now matches up to. A
//! snapshot covering no more than the follower has committed is only
//! acknowledged: installing it would take committed entries away.

use alloc::sync::Arc;

use super::{Entry, LogIndex, Raft, RaftMsg, Round, Term};
use crate::id::NodeId;
use crate::protocol::Out;
use crate::protocols::quorums::Configuration;
use crate::protocols::state_machine::Store;
use crate::pvec::PVec;

/// A compacted prefix of the log: what applying it produced.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Snapshot {
    /// The last index it covers.
    pub index: LogIndex,
    /// The term of the entry at `index`.
    pub term: Term,
    /// The key-value state after applying every entry up to `index`.
    pub kv: Store,
    /// The configuration in force at `index`, and the index of the entry
    /// that made it (0: the scenario's initial members).
    pub config: (LogIndex, Configuration),
}

impl Snapshot {
    /// Index, term, the configuration's entry index and sets, then each
    /// key and value with their lengths: one chunk holds it all.
    pub fn wire_size(&self) -> usize {
        8 + 8
            + 8
            + 1
            + 16
            + self
                .kv
                .iter()
                .map(|(k, v)| 8 + k.len() + v.len())
                .sum::<usize>()
    }
}

impl Raft {
    /// The last index the snapshot covers; 0 without one.
    pub fn snapshot_index(&self) -> LogIndex {
        self.snapshot.as_ref().map_or(0, |s| s.index)
    }

    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_deref()
    }

    /// The entry at `index`, which must be in the log: after the snapshot,
    /// at most the last index.
    pub(crate) fn entry(&self, index: LogIndex) -> &Entry {
        &self.log[(index - self.snapshot_index()) as usize - 1]
    }

    /// At the start of a handler: a new snapshot once `snapshot_every`
    /// entries have applied since the last one. (Not right after applying:
    /// the checker reads the entries a handler committed from the log.)
    pub(super) fn maybe_compact(&mut self) {
        let Some(every) = self.config.snapshot_every else {
            return;
        };
        if self.applied < self.snapshot_index() + u64::from(every) {
            return;
        }
        let index = self.applied;
        let config = self.configs.at(index);
        let snapshot = Snapshot {
            index,
            term: self.term_at(index),
            kv: self.kv.clone(),
            config,
        };
        self.keep_after(index);
        self.configs.compacted(index, config);
        self.snapshot = Some(Arc::new(snapshot));
    }

    /// Drops the log's entries up to `index` (which must be in it or the
    /// snapshot), keeping the rest. The rest is short (what is not yet
    /// applied), so it is copied into a log of its own.
    fn keep_after(&mut self, index: LogIndex) {
        let from = (index - self.snapshot_index()) as usize;
        let len = self.log.len();
        self.log = self.log.range(from.min(len)..len).cloned().collect::<PVec<Entry>>();
    }

    /// Sends `peer` the snapshot, since the entries it needs are compacted
    /// away; assumes it arrives, as AppendEntries do (a failed
    /// AppendEntries later brings the next index back down).
    pub(super) fn send_snapshot(&mut self, peer: NodeId, out: &mut Out<RaftMsg>) {
        let Some(snapshot) = self.snapshot.clone() else {
            unreachable!("only a log with a snapshot has a prefix to send this way")
        };
        self.next_index[peer.index()] = snapshot.index + 1;
        out.send(
            peer,
            RaftMsg::InstallSnapshot {
                term: self.term,
                snapshot,
                round: self.reads.current(),
            },
        );
    }

    /// Figure 13's receiver.
    pub(super) fn on_install_snapshot(
        &mut self,
        from: NodeId,
        term: Term,
        snapshot: Arc<Snapshot>,
        round: Round,
        out: &mut Out<RaftMsg>,
    ) {
        if !self.heard_from_leader(from, term, out) {
            out.send(
                from,
                RaftMsg::SnapshotReply {
                    term: self.term,
                    index: 0,
                    round,
                },
            );
            return;
        }
        let index = snapshot.index;
        if index > self.commit {
            if index <= self.last_index() && self.term_at(index) == snapshot.term {
                // Our log agrees there and holds more: keep what follows.
                self.keep_after(index);
            } else {
                self.log = PVec::new();
            }
            self.configs.replaced(snapshot.config, &self.log, index);
            self.kv = snapshot.kv.clone();
            self.commit = index;
            self.applied = index;
            self.snapshot = Some(snapshot);
            self.installed += 1;
        }
        out.send(
            from,
            RaftMsg::SnapshotReply {
                term: self.term,
                index,
                round,
            },
        );
    }

    /// The leader hears that `from` now holds everything up to `index`.
    pub(super) fn on_snapshot_reply(
        &mut self,
        from: NodeId,
        term: Term,
        index: LogIndex,
        round: Round,
        out: &mut Out<RaftMsg>,
    ) {
        if self.leads_for_reply(term, out) {
            self.answered(from, round, out);
            self.matched(from, index, out);
        }
    }
}
