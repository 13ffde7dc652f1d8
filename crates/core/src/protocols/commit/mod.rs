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
//! Both protocols share the vote policy, the transaction vocabulary and the
//! invariant checker here; [`two_phase`] and [`three_phase`] differ in how
//! they recover from a coordinator that stops answering.

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
use crate::protocol::{Checker, Protocol, Slot, Violation};
use crate::scenario::ScenarioError;
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

/// Something a handler did to a transaction that the checker must see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    Voted { yes: bool },
    Decided { commit: bool },
}

/// What the shared checker needs from a commit protocol's node.
pub trait CommitNode {
    fn id(&self) -> NodeId;
    /// What the last handler did, in order.
    fn changes(&self) -> &[(Txn, Change)];
}

const ATOMICITY: usize = 0;
const VALIDITY: usize = 1;

// Hash and Eq: the explorer stores the checker with each state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct TxnRecord {
    /// Participants that voted yes, and no (bitsets).
    yes: u64,
    no: u64,
    /// The first commit and the first abort seen, by whom.
    committed: Option<NodeId>,
    aborted: Option<NodeId>,
}

/// Atomicity and validity, from the changes each handler reports.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CommitChecker {
    participants: u64,
    txns: BTreeMap<Txn, TxnRecord>,
}

impl CommitChecker {
    pub const INVARIANTS: &'static [&'static str] = &["atomicity", "validity"];

    pub fn new(nodes: usize) -> CommitChecker {
        let all = if nodes >= 64 {
            u64::MAX
        } else {
            (1u64 << nodes) - 1
        };
        CommitChecker {
            participants: all & !1,
            txns: BTreeMap::new(),
        }
    }

    pub fn check<N: CommitNode>(&mut self, node: &N) -> Result<(), Violation> {
        let id = node.id();
        for &(txn, change) in node.changes() {
            let record = self.txns.entry(txn).or_default();
            match change {
                Change::Voted { yes } => {
                    let bit = 1u64 << id.0;
                    if yes {
                        record.yes |= bit;
                    } else {
                        record.no |= bit;
                    }
                }
                Change::Decided { commit: true } => {
                    record.committed.get_or_insert(id);
                    if let Some(other) = record.aborted {
                        return Err(violation(
                            ATOMICITY,
                            format!("{id} committed {txn}, which {other} aborted"),
                            vec![other, id],
                        ));
                    }
                    let missing = self.participants & !record.yes;
                    if missing != 0 {
                        let culprits = nodes_of(missing);
                        let named: Vec<String> = culprits.iter().map(|n| format!("{n}")).collect();
                        return Err(violation(
                            VALIDITY,
                            format!(
                                "{id} committed {txn} without a yes vote from {}",
                                named.join(", ")
                            ),
                            [vec![id], culprits].concat(),
                        ));
                    }
                }
                Change::Decided { commit: false } => {
                    record.aborted.get_or_insert(id);
                    if let Some(other) = record.committed {
                        return Err(violation(
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

fn nodes_of(bits: u64) -> Vec<NodeId> {
    (0..64u16)
        .filter(|i| bits & (1u64 << i) != 0)
        .map(NodeId)
        .collect()
}

fn violation(invariant: usize, message: String, nodes: Vec<NodeId>) -> Violation {
    Violation {
        invariant,
        message,
        nodes,
        entries: Vec::new(),
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
            Some(node) => self.0.check(node),
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
        assert_eq!(
            p.votes_yes(Txn(5), NodeId(2)),
            p.votes_yes(Txn(5), NodeId(2))
        );
        let never = VotePolicy {
            always_no: vec![NodeId(2)],
            ..VotePolicy::default()
        };
        assert!(!never.votes_yes(Txn(1), NodeId(2)));
        assert!(never.votes_yes(Txn(1), NodeId(1)));
    }
}
