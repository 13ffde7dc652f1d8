//! Raft's safety properties (Figure 3 of the paper), checked after every
//! event. Each check looks only at what the last handler changed on one node
//! (new log entries, a commit or apply advance, a new leader), against a
//! record of everything seen so far, so checking costs little per event
//! however long the run.
//!
//! Two words mean what the paper means, not what a node believes:
//! - *Committed* (§5.3, §5.4.2): an entry of the current term that its
//!   leader has replicated on a majority, and everything before it. When a
//!   leader's commit index advances, the checker counts the logs that
//!   actually hold the entry (crashed nodes' logs included) rather than
//!   taking the commit index on trust; a leader that counts an old-term
//!   entry (Figure 8) has not committed it.
//! - *Applied* (state machine safety): what a node's key-value state holds
//!   after applying up to an index. Nodes that stop applying at the same
//!   index must hold the same state there.
//!
//! Election safety is kept across configurations: one leader per term,
//! whatever configuration elected it. A majority is the leader's
//! configuration's (both sets during a joint change). A sixth invariant
//! holds configuration entries to the change rule: with single-server
//! changes each differs from the one before it in the log by exactly one
//! server; with joint consensus, C_old is followed by C_old,new and that
//! by C_new.
//!
//! Compacted logs (§7) are checked on what they still hold. An index a
//! snapshot covers counts as held, with the entry recorded committed
//! there: a seventh invariant, "snapshot safety", holds every snapshot, when
//! it is taken or installed, to covering only what is committed (no
//! further than the node's commit index, ending on the committed entry,
//! holding the state applied there) and to dropping no entry the node had
//! committed. State machine safety compares an installed snapshot's state
//! with what other nodes applied at its index, as it compares any apply.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::id::NodeId;
use crate::protocol::{Checker, Slot, Violation};
use crate::pvec::PVec;
use crate::trace::stable_hash;

use super::{Command, LogIndex, Raft, RaftConfig, Role, Term};
use crate::protocols::state_machine::Store;
use crate::protocols::quorums::{list, Configuration};

const ELECTION_SAFETY: usize = 0;
const LEADER_APPEND_ONLY: usize = 1;
const LOG_MATCHING: usize = 2;
const LEADER_COMPLETENESS: usize = 3;
const STATE_MACHINE_SAFETY: usize = 4;
const ONE_CHANGE_AT_A_TIME: usize = 5;
const SNAPSHOT_SAFETY: usize = 6;

/// An entry's identity: its term and a digest of its command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Fingerprint {
    term: Term,
    command: u64,
}

// Hash and Eq: the checker is part of an explored
// state, since its history decides violations.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Seen {
    fingerprint: Fingerprint,
    node: NodeId,
    /// The term of the node that saw it. For commits, the first node to see
    /// an entry committed is the leader that committed it, so this is the
    /// term in which it was committed.
    term: Term,
}

/// An `(index, term)` as first seen in some log: its command's digest, the
/// term of the entry before it, and the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct EntrySeen {
    term: Term,
    command: u64,
    prev: Term,
    node: NodeId,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftChecker {
    /// The leader of each term seen so far.
    leaders: BTreeMap<Term, NodeId>,
    /// For log matching: every `(index, term)` ever in any log, with its
    /// command and the term of the entry before it. If these agree wherever
    /// two logs share an `(index, term)`, the logs match up to there, by
    /// induction on the index. The first term seen at an index is kept by
    /// index (`entries[i - 1]`), in a `PVec` so that time travel's copies
    /// of the checker share it; the rare later ones (a log overwritten
    /// after a partition) in `more_entries`.
    entries: PVec<Option<EntrySeen>>,
    more_entries: BTreeMap<(LogIndex, Term), EntrySeen>,
    /// The entry known committed at each index (`committed[i - 1]`).
    committed: PVec<Option<Seen>>,
    /// The key-value state first seen applied up to each index, as a
    /// digest, with the node that held it.
    applied: PVec<Option<(u64, NodeId)>>,
    /// Per node: `(term, log length)` while it leads, for append-only.
    leading: Vec<Option<(Term, LogIndex)>>,
    /// The nodes leading now (rarely more than two), so a commit is checked
    /// against them without a scan over the cluster.
    leaders_now: Vec<NodeId>,
    /// Changes go through a joint configuration.
    joint: bool,
}

/// The identity of the entry at `index`, which must be in `node`'s log
/// (after its snapshot).
fn fingerprint(node: &Raft, index: LogIndex) -> Fingerprint {
    let entry = node.entry(index);
    Fingerprint {
        term: entry.term,
        command: stable_hash(&*entry.command),
    }
}

/// Values only grow at their end (appends) or are replaced whole (puts), so
/// a difference anywhere shows in the tail at the index that made it; the
/// digest reads at most this much of each value, to keep long runs cheap.
const VALUE_TAIL: usize = 4096;

/// A digest of a key-value state: every key, each value's length and its
/// last [`VALUE_TAIL`] bytes.
fn kv_digest(kv: &Store) -> u64 {
    let parts: Vec<(&str, usize, &[u8])> = kv
        .iter()
        .map(|(k, v)| {
            let bytes = v.as_bytes();
            (
                k.as_str(),
                bytes.len(),
                &bytes[bytes.len().saturating_sub(VALUE_TAIL)..],
            )
        })
        .collect();
    stable_hash(&parts)
}

/// Records `seen` at `index` unless another is there; returns the other
/// if `same` says it differs.
fn record<T: Clone>(
    slots: &mut PVec<Option<T>>,
    index: LogIndex,
    seen: T,
    same: impl Fn(&T, &T) -> bool,
) -> Result<(), T> {
    let i = index as usize - 1;
    if slots.len() <= i {
        slots.resize(i + 1, None);
    }
    match &slots[i] {
        Some(old) if !same(old, &seen) => Err(old.clone()),
        Some(_) => Ok(()),
        None => {
            // Only a new slot is written: shared chunks are left alone.
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(seen);
            }
            Ok(())
        }
    }
}

/// The nodes whose logs (a crashed node's durable one included) hold the
/// entry of `term` at `index`, as a bitmask. A snapshot that covers
/// `index` holds it if the entry recorded committed there is of `term`
/// (snapshots are held to covering only committed entries).
fn holders(
    nodes: &[Slot<Raft>],
    committed: &PVec<Option<Seen>>,
    index: LogIndex,
    term: Term,
) -> u64 {
    let committed_term = || {
        committed
            .get(index as usize - 1)
            .and_then(|s| s.as_ref())
            .map(|s| s.fingerprint.term)
    };
    nodes
        .iter()
        .enumerate()
        .filter(|(_, slot)| {
            let (log, base) = match slot {
                Slot::Up(n) => (&n.log, n.snapshot_index()),
                Slot::Down(d) => (&d.log, d.snapshot_index()),
            };
            if index <= base {
                return committed_term() == Some(term);
            }
            log.get((index - base) as usize - 1)
                .is_some_and(|e| e.term == term)
        })
        .fold(0, |set, (i, _)| set | 1u64 << i)
}

/// How far `leader`'s log is committed in the paper's sense, looking no
/// further than its commit index nor back past `from`: up to the last entry
/// of its own term that a majority of logs hold (a majority of the
/// leader's configuration: of each set, during a joint change). The
/// configuration is the one the leader counted in: its latest, or, when
/// the handler went on to append a configuration after committing (the
/// next step of a change), the one before that.
fn truly_committed(
    nodes: &[Slot<Raft>],
    committed: &PVec<Option<Seen>>,
    leader: &Raft,
    from: LogIndex,
) -> LogIndex {
    let mut index = leader.commit.min(leader.last_index());
    while index > from {
        let term = leader.term_at(index);
        if term < leader.term {
            break; // the entries before it are of older terms too
        }
        let set = holders(nodes, committed, index, term);
        let latest = leader.configs.index();
        let appended_now = latest > 0 && latest >= leader.changed_from;
        if leader.is_quorum(set) || (appended_now && leader.configs.before(latest).quorum(set)) {
            return index;
        }
        index -= 1;
    }
    from
}

/// Whether `next` follows `prev` by the change rule: one server added or
/// removed, or (joint consensus) C_old to C_old,new to C_new.
fn one_step(prev: &Configuration, next: &Configuration, joint: bool) -> bool {
    match (joint, prev.new, next.new) {
        (false, None, None) => (prev.old ^ next.old).count_ones() == 1,
        (true, None, Some(new)) => next.old == prev.old && new != prev.old,
        (true, Some(new), None) => next.old == new,
        _ => false,
    }
}

impl RaftChecker {
    fn violation(
        invariant: usize,
        message: alloc::string::String,
        nodes: Vec<NodeId>,
        entries: Vec<(NodeId, LogIndex)>,
    ) -> Violation {
        Violation {
            invariant,
            message,
            nodes,
            entries,
        }
    }

    /// A snapshot `id` just took or installed covers only committed
    /// entries and holds the state applied there, and the node still holds
    /// every entry it had committed.
    fn check_snapshot(&self, id: NodeId, node: &Raft) -> Result<(), Violation> {
        let Some(snapshot) = node.snapshot() else {
            return Ok(());
        };
        let index = snapshot.index;
        let fail = |message: String| {
            Err(Self::violation(
                SNAPSHOT_SAFETY,
                message,
                vec![id],
                vec![(id, index)],
            ))
        };
        if index > node.commit {
            return fail(format!(
                "{id}'s snapshot covers up to index {index}, beyond its commit index {}",
                node.commit
            ));
        }
        match self.committed.get(index as usize - 1).and_then(|s| s.as_ref()) {
            None => {
                return fail(format!(
                    "{id}'s snapshot covers up to index {index}, which no leader has committed"
                ))
            }
            Some(seen) if seen.fingerprint.term != snapshot.term => {
                return fail(format!(
                    "{id}'s snapshot ends at index {index} with an entry of term {}, but the \
                     entry committed there (by {}) is of term {}",
                    snapshot.term, seen.node, seen.fingerprint.term
                ))
            }
            Some(_) => {}
        }
        if let Some(Some((digest, other))) = self.applied.get(index as usize - 1) {
            if *digest != kv_digest(&snapshot.kv) {
                return fail(format!(
                    "{id}'s snapshot at index {index} holds a key-value state other than the \
                     one {other} applied there"
                ));
            }
        }
        if node.last_index() < node.commit_before {
            return fail(format!(
                "{id} dropped committed entries: it had committed up to index {}, and now \
                 holds up to {} (snapshot to {index})",
                node.commit_before,
                node.last_index()
            ));
        }
        Ok(())
    }

    /// Every entry committed in a term before `leader`'s must be in its log
    /// (§5.4: "that entry will be present in the logs of the leaders for
    /// all higher-numbered terms"). A deposed leader of an older term that
    /// has not heard the news yet is not held to later commits.
    fn check_completeness(
        &self,
        id: NodeId,
        leader: &Raft,
        from: LogIndex,
    ) -> Result<(), Violation> {
        // What its snapshot covers was checked committed when taken.
        let from = from.max(leader.snapshot_index()) as usize;
        for (i, seen) in self.committed.range(from..usize::MAX).enumerate() {
            let Some(seen) = seen else { continue };
            let index = (from + i) as LogIndex + 1;
            if seen.term >= leader.term {
                continue;
            }
            let has =
                index <= leader.last_index() && fingerprint(leader, index) == seen.fingerprint;
            if !has {
                return Err(Self::violation(
                    LEADER_COMPLETENESS,
                    format!(
                        "{id} leads term {} but lacks the entry at index {index} (term {}) \
                         committed in term {} (first seen committed on {})",
                        leader.term, seen.fingerprint.term, seen.term, seen.node
                    ),
                    vec![id, seen.node],
                    vec![(id, index), (seen.node, index)],
                ));
            }
        }
        Ok(())
    }
}

impl Checker<Raft> for RaftChecker {
    const INVARIANTS: &'static [&'static str] = &[
        "election safety",
        "leader append-only",
        "log matching",
        "leader completeness",
        "state machine safety",
        "one change at a time",
        "snapshot safety",
    ];

    fn new(nodes: usize, config: &RaftConfig) -> RaftChecker {
        RaftChecker {
            leaders: BTreeMap::new(),
            entries: PVec::new(),
            more_entries: BTreeMap::new(),
            committed: PVec::new(),
            applied: PVec::new(),
            leading: vec![None; nodes],
            leaders_now: Vec::new(),
            joint: config.joint,
        }
    }

    fn on_crash(&mut self, node: NodeId) {
        self.leading[node.index()] = None;
        self.leaders_now.retain(|n| *n != node);
    }

    fn check(&mut self, nodes: &[Slot<Raft>], id: NodeId) -> Result<(), Violation> {
        let Some(node) = nodes[id.index()].up() else {
            return Ok(());
        };
        // A leader may commit and step down in one handler (the committed
        // configuration left it out): its commits count all the same.
        let was_leading = self.leading[id.index()].is_some_and(|(term, _)| term == node.term);

        // Election safety first: two leaders of one term each append their
        // own entry of that term, which log matching would report as the
        // symptom.
        if node.role == Role::Leader {
            match self.leaders.get(&node.term) {
                Some(&other) if other != id => {
                    return Err(Self::violation(
                        ELECTION_SAFETY,
                        format!(
                            "{other} and {id} were both elected leader in term {}",
                            node.term
                        ),
                        vec![other, id],
                        Vec::new(),
                    ));
                }
                Some(_) => {}
                None => {
                    self.leaders.insert(node.term, id);
                }
            }
        }

        // Log matching, over the entries this event wrote.
        let from = node.changed_from.max(node.snapshot_index() + 1);
        for index in from..=node.last_index() {
            let f = fingerprint(node, index);
            let prev = node.term_at(index - 1);
            let i = index as usize - 1;
            let first = self.entries.get(i).copied().flatten();
            let known = match first {
                Some(e) if e.term == f.term => Some(e),
                Some(_) => self.more_entries.get(&(index, f.term)).copied(),
                None => None,
            };
            match known {
                Some(EntrySeen {
                    command,
                    prev: prev_term,
                    node: other,
                    ..
                }) if (command, prev_term) != (f.command, prev) => {
                    return Err(Self::violation(
                        LOG_MATCHING,
                        format!(
                            "{id} and {other} both hold an entry at index {index} in term {} \
                             but their logs differ there or before it",
                            f.term
                        ),
                        vec![id, other],
                        vec![(id, index), (other, index)],
                    ));
                }
                Some(_) => {}
                None => {
                    // A configuration first seen: it follows the one before
                    // it in this log by the change rule. (Where logs match,
                    // what precedes it matches too.)
                    if let Command::Config(next) = &*node.entry(index).command {
                        let prev = node.configs.before(index);
                        if !one_step(prev, next, self.joint) {
                            return Err(Self::violation(
                                ONE_CHANGE_AT_A_TIME,
                                format!(
                                    "{id} holds configuration {} at index {index} right after {}: \
                                     {}",
                                    next.label(),
                                    prev.label(),
                                    if self.joint {
                                        String::from(
                                            "a joint change goes C_old, C_old,new, C_new",
                                        )
                                    } else {
                                        format!(
                                            "they differ by {{{}}}, not by one server",
                                            list((prev.servers()) ^ next.servers())
                                        )
                                    }
                                ),
                                vec![id],
                                vec![(id, index)],
                            ));
                        }
                    }
                    let seen = EntrySeen {
                        term: f.term,
                        command: f.command,
                        prev,
                        node: id,
                    };
                    if first.is_some() {
                        self.more_entries.insert((index, f.term), seen);
                    } else {
                        if self.entries.len() <= i {
                            self.entries.resize(i + 1, None);
                        }
                        if let Some(slot) = self.entries.get_mut(i) {
                            *slot = Some(seen);
                        }
                    }
                }
            }
        }

        // Leader append-only.
        if node.role == Role::Leader {
            match self.leading[id.index()] {
                Some((term, len)) if term == node.term => {
                    if node.changed_from <= len {
                        return Err(Self::violation(
                            LEADER_APPEND_ONLY,
                            format!(
                                "{id}, leader of term {term}, changed its own entry at index {}",
                                node.changed_from
                            ),
                            vec![id],
                            vec![(id, node.changed_from)],
                        ));
                    }
                }
                _ => {
                    // Newly leader: it must hold every committed entry.
                    self.check_completeness(id, node, 0)?;
                }
            }
            self.leading[id.index()] = Some((node.term, node.last_index()));
            if !self.leaders_now.contains(&id) {
                self.leaders_now.push(id);
            }
        } else if self.leading[id.index()].take().is_some() {
            self.leaders_now.retain(|n| *n != id);
        }

        // Newly committed entries, counted by the logs that hold them: no
        // index commits two different entries, and every current leader of
        // a later term must hold them.
        let known = self.committed.len() as LogIndex;
        if (node.role == Role::Leader || was_leading) && node.commit > node.commit_before {
            let from = node
                .commit_before
                .min(known)
                .max(node.snapshot_index());
            for index in from + 1..=truly_committed(nodes, &self.committed, node, from) {
                let seen = Seen {
                    fingerprint: fingerprint(node, index),
                    node: id,
                    term: node.term,
                };
                if let Err(old) = record(&mut self.committed, index, seen, |a, b| {
                    a.fingerprint == b.fingerprint
                }) {
                    return Err(Self::violation(
                        LEADER_COMPLETENESS,
                        format!(
                            "index {index} was committed with an entry of term {} by {} and \
                             with a different entry of term {} by {id}",
                            old.fingerprint.term,
                            old.node,
                            fingerprint(node, index).term
                        ),
                        vec![old.node, id],
                        vec![(old.node, index), (id, index)],
                    ));
                }
            }
            for &other in &self.leaders_now {
                if let Some(leader) = nodes[other.index()].up() {
                    self.check_completeness(other, leader, from)?;
                }
            }
        }

        if node.snapshot_index() != node.snapshot_before {
            self.check_snapshot(id, node)?;
        }

        // State machine safety: the state this node reached by applying up
        // to its applied index (or installing a snapshot there) is the
        // state every node reached there.
        if node.applied > node.applied_before {
            let index = node.applied;
            if let Err((_, other)) =
                record(&mut self.applied, index, (kv_digest(node.kv()), id), |a, b| {
                    a.0 == b.0
                })
            {
                return Err(Self::violation(
                    STATE_MACHINE_SAFETY,
                    format!(
                        "{other} and {id} applied the log up to index {index} but hold \
                         different key-value states"
                    ),
                    vec![other, id],
                    vec![(other, index), (id, index)],
                ));
            }
        }
        Ok(())
    }
}
