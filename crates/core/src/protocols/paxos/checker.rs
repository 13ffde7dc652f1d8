//! Paxos's safety properties, checked after every event.
//!
//! - **Agreement**: at most one value is chosen. Checked twice over. First
//!   at the source, independent of how learners hear about it: per ballot,
//!   the checker records which acceptors accepted which value, durably (a
//!   crashed acceptor's vote still counts), and a value is chosen the moment
//!   one ballot has a majority; a second ballot reaching a majority with a
//!   different value is a violation. Then at the learners: no two nodes
//!   learn different values.
//! - **Validity**: only a proposed value can be chosen or learned. The
//!   checker records every node's own proposal as it appears (its initial
//!   value, or a client's put), and every accepted or learned value must be
//!   one of them. A learner may only learn a value a majority accepted, and
//!   one ballot carries one value.
//!
//! Each check looks only at the node that just handled an input, and only
//! at what changed there since the checker last looked.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::protocols::quorums::{list, members};
use crate::id::NodeId;
use crate::protocol::{Checker, Slot, Violation};
use crate::trace::stable_hash;
use crate::vecmap::{VecMap, VecSet};

use super::{Ballot, Paxos, PaxosConfig, Value};

const AGREEMENT: usize = 0;
const VALIDITY: usize = 1;

/// The acceptors that accepted a ballot's value.
// Hash and Eq: the explorer stores the checker with each state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Vote {
    value: Value,
    acceptors: u64,
}

/// What the checker last saw of one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Seen {
    accepted: Ballot,
    learned: bool,
    proposal: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PaxosChecker {
    majority: usize,
    /// Digests of every value some node set out to propose.
    proposed: VecSet<u64>,
    votes: VecMap<Ballot, Vote>,
    /// The first ballot in which a majority accepted, and its value.
    chosen: Option<(Ballot, Value)>,
    /// The first node to learn a value, and the value.
    learned: Option<(NodeId, Value)>,
    seen: Vec<Seen>,
}

fn violation(invariant: usize, message: String, nodes: Vec<NodeId>) -> Violation {
    // Single-decree: the one decision sits at position 1.
    Violation::at(invariant, message, nodes, 1)
}

impl PaxosChecker {
    fn check_proposed(&self, id: NodeId, what: &str, value: &Value) -> Result<(), Violation> {
        if self.proposed.contains(&stable_hash(&**value)) {
            Ok(())
        } else {
            Err(violation(
                VALIDITY,
                format!("{id} {what} {value:?}, which no node proposed"),
                vec![id],
            ))
        }
    }

    fn check_accepted(
        &mut self,
        id: NodeId,
        ballot: Ballot,
        value: &Value,
    ) -> Result<(), Violation> {
        self.check_proposed(id, "accepted", value)?;
        let vote = self.votes.get_or_insert_with(ballot, || Vote {
            value: value.clone(),
            acceptors: 0,
        });
        if vote.value != *value {
            let mut nodes = members(vote.acceptors);
            nodes.push(id);
            return Err(violation(
                VALIDITY,
                format!(
                    "ballot b{ballot} carries two values: {} accepted {:?}, {id} accepted {value:?}",
                    list(vote.acceptors),
                    vote.value
                ),
                nodes,
            ));
        }
        vote.acceptors |= 1 << id.0;
        if (vote.acceptors.count_ones() as usize) < self.majority {
            return Ok(());
        }
        let acceptors = vote.acceptors;
        match &self.chosen {
            None => self.chosen = Some((ballot, value.clone())),
            Some((first, v)) if v != value => {
                let theirs = self.votes.get(first).map_or(0, |v| v.acceptors);
                return Err(violation(
                    AGREEMENT,
                    format!(
                        "two values chosen: {v:?} in ballot b{first} (accepted by {}) and \
                         {value:?} in ballot b{ballot} (accepted by {})",
                        list(theirs),
                        list(acceptors)
                    ),
                    members(theirs | acceptors),
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn check_learned(&mut self, id: NodeId, value: &Value) -> Result<(), Violation> {
        self.check_proposed(id, "learned", value)?;
        match &self.learned {
            None => self.learned = Some((id, value.clone())),
            Some((other, v)) if v != value => {
                return Err(violation(
                    AGREEMENT,
                    format!("{other} learned {v:?} but {id} learned {value:?}"),
                    vec![*other, id],
                ));
            }
            Some(_) => {}
        }
        match &self.chosen {
            Some((_, v)) if v == value => Ok(()),
            _ => Err(violation(
                VALIDITY,
                format!("{id} learned {value:?}, which no majority accepted in any one ballot"),
                vec![id],
            )),
        }
    }
}

impl Checker<Paxos> for PaxosChecker {
    const INVARIANTS: &'static [&'static str] = &["agreement", "validity"];

    fn new(nodes: usize, _config: &PaxosConfig) -> PaxosChecker {
        PaxosChecker {
            majority: crate::protocols::quorums::majority(nodes),
            proposed: VecSet::new(),
            votes: VecMap::new(),
            chosen: None,
            learned: None,
            seen: vec![Seen::default(); nodes],
        }
    }

    fn check(&mut self, nodes: &[Slot<Paxos>], id: NodeId) -> Result<(), Violation> {
        let Some(node) = nodes[id.index()].up() else {
            return Ok(());
        };
        let seen = self.seen[id.index()];
        let proposal = stable_hash(&*node.proposal);
        if proposal != seen.proposal {
            self.proposed.insert(proposal);
            self.seen[id.index()].proposal = proposal;
        }
        if let Some((ballot, value)) = &node.accepted {
            if *ballot != seen.accepted {
                self.seen[id.index()].accepted = *ballot;
                self.check_accepted(id, *ballot, value)?;
            }
        }
        if let Some(value) = &node.chosen {
            if !seen.learned {
                self.seen[id.index()].learned = true;
                self.check_learned(id, value)?;
            }
        }
        Ok(())
    }
}
