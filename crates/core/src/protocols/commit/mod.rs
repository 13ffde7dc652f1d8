//! Atomic commitment: two-phase and three-phase commit.
//!
//! A transaction touches every participant; either all of them commit it or
//! all abort it (atomicity), and it commits only if every participant voted
//! yes (validity). Node 0 coordinates; nodes 1.. participate. A client
//! request sent to the coordinator starts a transaction whose id is the
//! request's id; participants redirect clients to the coordinator. Commit
//! answers the client `ok`; abort answers `fail` (it definitely did not
//! happen).
//!
//! Both protocols share the vote policy, the transaction vocabulary, the
//! stable storage ([`Ledger`]), how a request becomes a transaction, how a
//! node shows, and the invariant checker here; [`two_phase`] and
//! [`three_phase`] differ in how they recover from a node that stops
//! answering.

mod descriptor;
pub mod three_phase;
pub mod two_phase;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::id::NodeId;
use crate::protocol::{
    Checker, ClientRequest, EntryView, NodeDetail, NodeView, Out, Outcome, Protocol, RoleKind, Slot, Violation,
};
use crate::pvec::PVec;
use crate::scenario::ScenarioError;
use crate::time::Time;
use crate::trace::stable_hash;

/// A transaction, numbered by the client request that started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Txn(pub u64);

impl fmt::Display for Txn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}", self.0)
    }
}

pub const COORDINATOR: NodeId = NodeId(0);

/// How participants vote. Protocols have no randomness of their own, so a
/// "random" vote is a hash of the transaction, the participant and the
/// salt: the same scenario always votes the same way, and a new salt gives
/// other votes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VotePolicy {
    /// Probability that a participant votes no on a transaction.
    pub no_probability: f64,
    /// Participants that vote no on every transaction.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub always_no: Vec<NodeId>,
    pub salt: u64,
}

impl Default for VotePolicy {
    fn default() -> Self {
        VotePolicy {
            no_probability: 0.0,
            always_no: Vec::new(),
            salt: 0,
        }
    }
}

impl VotePolicy {
    pub fn votes_yes(&self, txn: Txn, node: NodeId) -> bool {
        if self.always_no.contains(&node) {
            return false;
        }
        let h = stable_hash(&(txn.0, node.0, self.salt));
        let unit = (h >> 11) as f64 / (1u64 << 53) as f64;
        unit >= self.no_probability
    }

    pub fn validate(&self) -> Result<(), ScenarioError> {
        if !(0.0..=1.0).contains(&self.no_probability) {
            return Err(ScenarioError::new(
                "votes.no_probability",
                format!("must be between 0 and 1, got {}", self.no_probability),
            ));
        }
        for (i, n) in self.always_no.iter().enumerate() {
            if *n == COORDINATOR {
                return Err(ScenarioError::new(
                    format!("votes.always_no[{i}]"),
                    "node 0 is the coordinator; it does not vote",
                ));
            }
        }
        Ok(())
    }
}

/// Checks what the whole scenario needs that one config cannot see.
pub fn validate_cluster(nodes: u16, votes: &VotePolicy) -> Result<(), ScenarioError> {
    if nodes < 2 {
        return Err(ScenarioError::new(
            "nodes",
            "atomic commit needs a coordinator and at least one participant (2 nodes or more)",
        ));
    }
    for (i, n) in votes.always_no.iter().enumerate() {
        if n.0 >= nodes {
            return Err(ScenarioError::new(
                format!("protocol.votes.always_no[{i}]"),
                format!("node {} does not exist", n.0),
            ));
        }
    }
    Ok(())
}

/// Where a node stands on one transaction, as its stable storage records
/// it. The checker reads only this; the protocols' own words for each stage
/// differ.
pub trait Stage: Copy + PartialEq + fmt::Debug {
    /// A participant at this stage has voted yes (and not decided yet).
    fn voted_yes(self) -> bool;
    /// `Some(commit)` once the transaction is decided here.
    fn outcome(self) -> Option<bool>;
}

/// A node's stable storage: the stage of every transaction it has seen and
/// every write in order, as a node that logs before it acts would have
/// forced them to disk. Handlers change a transaction's stage only through
/// [`Ledger::write`], so the checker, which reads the writes, sees every
/// change whether or not the handler meant to report one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ledger<S> {
    stages: BTreeMap<Txn, S>,
    writes: PVec<(Txn, S)>,
}

impl<S> Default for Ledger<S> {
    fn default() -> Self {
        Ledger {
            stages: BTreeMap::new(),
            writes: PVec::new(),
        }
    }
}

impl<S: Stage> Ledger<S> {
    pub fn get(&self, txn: Txn) -> Option<S> {
        self.stages.get(&txn).copied()
    }

    pub fn write(&mut self, txn: Txn, stage: S) {
        self.stages.insert(txn, stage);
        self.writes.push((txn, stage));
    }

    /// Every transaction and its stage, by transaction.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (Txn, S)> + '_ {
        self.stages.iter().map(|(t, s)| (*t, *s))
    }

    /// Transactions still undecided here.
    pub fn undecided(&self) -> impl Iterator<Item = Txn> + '_ {
        self.iter()
            .filter(|(_, s)| s.outcome().is_none())
            .map(|(t, _)| t)
    }

    /// How many transactions are decided here.
    pub fn decided(&self) -> u64 {
        self.stages
            .values()
            .filter(|s| s.outcome().is_some())
            .count() as u64
    }

    /// The writes from the `from`-th on.
    pub fn writes_from(&self, from: usize) -> impl Iterator<Item = &(Txn, S)> + '_ {
        self.writes.range(from..self.writes.len())
    }

    pub fn write_count(&self) -> usize {
        self.writes.len()
    }
}

/// What the shared checker and views need from a commit protocol's node.
pub trait CommitNode {
    type Stage: Stage;
    /// The node's stable storage.
    fn ledger(&self) -> &Ledger<Self::Stage>;
}

/// The participants (every node but the coordinator) as a bitset.
pub fn participants(nodes: usize) -> u64 {
    let all = if nodes >= 64 {
        u64::MAX
    } else {
        (1u64 << nodes) - 1
    };
    all & !1
}

/// The vote of participant `node` on `txn`: the user's choice if there is
/// one, else the policy's.
pub fn vote(chosen: Option<bool>, policy: &VotePolicy, txn: Txn, node: NodeId) -> bool {
    chosen.unwrap_or_else(|| policy.votes_yes(txn, node))
}

/// The transaction a client request starts, if this node coordinates and
/// has participants; otherwise answers the client itself (a redirect to the
/// coordinator, or `ok` in a cluster of one).
pub fn admit<M>(
    me: NodeId,
    nodes: usize,
    request: &ClientRequest,
    out: &mut Out<M>,
) -> Option<Txn> {
    if me != COORDINATOR {
        out.redirect(request.id, Some(COORDINATOR));
        return None;
    }
    if nodes == 1 {
        out.reply(request.id, Outcome::Ok { value: None });
        return None;
    }
    Some(Txn(request.id.0))
}

/// What the client hears once its transaction is decided.
pub fn answer(commit: bool, why: String) -> Outcome {
    if commit {
        Outcome::Ok { value: None }
    } else {
        Outcome::Fail { reason: why }
    }
}

/// Transactions as log entries, the same for both protocols: index is the
/// transaction, `committed` whether it committed, the label what this node
/// knows. `pending` adds or relabels the coordinator's undecided ones.
pub fn log_entries<S: Stage>(
    ledger: &Ledger<S>,
    label: impl Fn(S) -> &'static str,
    pending: impl Iterator<Item = (Txn, &'static str)>,
) -> Vec<EntryView> {
    let mut all: BTreeMap<Txn, (&'static str, bool)> = ledger
        .iter()
        .map(|(t, s)| (t, (label(s), s.outcome() == Some(true))))
        .collect();
    for (t, l) in pending {
        all.insert(t, (l, false));
    }
    all.into_iter()
        .map(|(t, (label, committed))| EntryView {
            index: t.0,
            term: 0,
            committed,
            label: format!("{t} {label}"),
        })
        .collect()
}

/// A commit node's view: the coordinator leads, everyone names it, and the
/// log strip shows the latest transactions.
pub fn node_view(
    role: RoleKind,
    role_label: &'static str,
    log: &[EntryView],
    in_doubt_since: Option<Time>,
) -> NodeView {
    const TAIL: usize = 8;
    NodeView {
        role,
        role_label,
        term: log.last().map_or(0, |e| e.index),
        term_label: "txn",
        log_len: log.len() as u64,
        commit_index: log.iter().filter(|e| e.committed).count() as u64,
        log_tail: log[log.len().saturating_sub(TAIL)..].to_vec(),
        leader: Some(COORDINATOR),
        in_doubt_since,
    }
}

/// A commit node's detail: its transactions' log and what it is doing about
/// each (`fields`); commit nodes keep no key-value store.
pub fn node_detail(log: Vec<EntryView>, fields: Vec<(&'static str, String)>) -> NodeDetail {
    NodeDetail {
        log,
        kv: Vec::new(),
        fields,
    }
}

const ATOMICITY: usize = 0;
const VALIDITY: usize = 1;

// Hash and Eq: the explorer stores the checker with each state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct TxnRecord {
    /// Participants that voted yes (a bitset).
    yes: u64,
    /// The first commit and the first abort seen, by whom.
    committed: Option<NodeId>,
    aborted: Option<NodeId>,
}

/// Atomicity and validity, from what each node wrote to stable storage.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CommitChecker {
    participants: u64,
    txns: BTreeMap<Txn, TxnRecord>,
    /// How many of each node's writes have been read.
    read: Vec<usize>,
}

impl CommitChecker {
    pub const INVARIANTS: &'static [&'static str] = &["atomicity", "validity"];

    pub fn new(nodes: usize) -> CommitChecker {
        CommitChecker {
            participants: participants(nodes),
            txns: BTreeMap::new(),
            read: vec![0; nodes],
        }
    }

    /// Reads what node `id` wrote since the last look. A ledger shorter
    /// than what was read (a node restored from other storage) is read
    /// again from the start: the records are sets, so reading twice is
    /// harmless.
    pub fn check<S: Stage>(&mut self, id: NodeId, ledger: &Ledger<S>) -> Result<(), Violation> {
        let from = match self.read[id.index()] {
            n if n > ledger.write_count() => 0,
            n => n,
        };
        self.read[id.index()] = ledger.write_count();
        for &(txn, stage) in ledger.writes_from(from) {
            let record = self.txns.entry(txn).or_default();
            if stage.voted_yes() {
                record.yes |= 1u64 << id.0;
            }
            match stage.outcome() {
                None => {}
                Some(true) => {
                    record.committed.get_or_insert(id);
                    if let Some(other) = record.aborted {
                        return Err(Violation::of_nodes(
                            ATOMICITY,
                            format!("{id} committed {txn}, which {other} aborted"),
                            vec![other, id],
                        ));
                    }
                    let missing = self.participants & !record.yes;
                    if missing != 0 {
                        let culprits = crate::protocols::quorums::members(missing);
                        let named: Vec<String> = culprits.iter().map(|n| format!("{n}")).collect();
                        return Err(Violation::of_nodes(
                            VALIDITY,
                            format!(
                                "{id} committed {txn} without a yes vote from {}",
                                named.join(", ")
                            ),
                            [vec![id], culprits].concat(),
                        ));
                    }
                }
                Some(false) => {
                    record.aborted.get_or_insert(id);
                    if let Some(other) = record.committed {
                        return Err(Violation::of_nodes(
                            ATOMICITY,
                            format!("{id} aborted {txn}, which {other} committed"),
                            vec![other, id],
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Implements [`Checker`] for a commit protocol with the shared checker.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CommitInvariants(CommitChecker);

impl<P> Checker<P> for CommitInvariants
where
    P: Protocol<Checker = CommitInvariants> + CommitNode,
{
    const INVARIANTS: &'static [&'static str] = CommitChecker::INVARIANTS;

    fn new(nodes: usize, _config: &P::Config) -> Self {
        CommitInvariants(CommitChecker::new(nodes))
    }

    fn check(&mut self, nodes: &[Slot<P>], changed: NodeId) -> Result<(), Violation> {
        match nodes[changed.index()].up() {
            Some(node) => self.0.check(changed, node.ledger()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vote_policy_is_deterministic_and_roughly_fair() {
        let p = VotePolicy {
            no_probability: 0.3,
            ..VotePolicy::default()
        };
        let noes = (0..1000)
            .filter(|t| !p.votes_yes(Txn(*t), NodeId(1)))
            .count();
        assert!((200..400).contains(&noes), "{noes}");
        let never = VotePolicy {
            always_no: vec![NodeId(2)],
            ..VotePolicy::default()
        };
        assert!(!never.votes_yes(Txn(1), NodeId(2)));
        assert!(never.votes_yes(Txn(1), NodeId(1)));
    }
}
