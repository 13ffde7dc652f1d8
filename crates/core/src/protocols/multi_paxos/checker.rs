//! Multi-Paxos's safety properties, checked after every event.
//!
//! - **Agreement per slot**: no slot ever has two different commands
//!   chosen. Checked at the source, whatever learners are told: for every
//!   `(slot, ballot)` the checker records which acceptors accepted which
//!   command (votes of crashed acceptors keep counting: they are durable),
//!   and the command of the first ballot to reach a majority is the slot's
//!   chosen one; any later majority with another command is a violation.
//!   No two learners may learn different commands for one slot either.
//! - **Validity**: one ballot proposes one command per slot, so two
//!   acceptors accepting different commands in the same slot and ballot is
//!   a violation; and a learner may only learn a command that a majority
//!   accepted.
//! - **State machine safety**: every node applies the same command at the
//!   same slot.
//!
//! Each check looks only at the slots the last handler touched on one node
//! (its new votes, newly learned slots, the apply advance), so the cost per
//! event does not grow with the log.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use crate::protocols::quorums::{list, members};
use crate::id::NodeId;
use crate::protocol::{Checker, Slot, Violation};
use crate::trace::stable_hash;

use super::{Ballot, Command, LogSlot, MultiPaxos, MultiPaxosConfig};

const AGREEMENT: usize = 0;
const VALIDITY: usize = 1;
const STATE_MACHINE_SAFETY: usize = 2;

/// The acceptors that accepted a command in one slot and ballot.
#[derive(Clone, Copy, Debug)]
struct Vote {
    command: u64,
    acceptors: u64,
}

/// A slot's command as first seen, and where.
#[derive(Clone, Copy, Debug)]
struct Seen {
    command: u64,
    node: NodeId,
}

/// The command a majority accepted first in a slot.
#[derive(Clone, Debug)]
struct Chosen {
    command: Arc<Command>,
    digest: u64,
    ballot: Ballot,
}

#[derive(Clone, Debug)]
pub struct MultiPaxosChecker {
    majority: usize,
    votes: BTreeMap<(LogSlot, Ballot), Vote>,
    /// `chosen[s - 1]`: the command a majority accepted first in slot `s`.
    chosen: Vec<Option<Chosen>>,
    /// The first node to learn each slot.
    learned: Vec<Option<Seen>>,
    /// The first node to apply each slot.
    applied: Vec<Option<Seen>>,
}

fn slot_of<T>(v: &mut Vec<Option<T>>, slot: LogSlot) -> &mut Option<T> {
    let i = slot as usize - 1;
    if v.len() <= i {
        v.resize_with(i + 1, || None);
    }
    &mut v[i]
}

fn violation(invariant: usize, message: String, nodes: Vec<NodeId>, slot: LogSlot) -> Violation {
    Violation::at(invariant, message, nodes, slot)
}

impl MultiPaxosChecker {
    fn check_vote(
        &mut self,
        node: &MultiPaxos,
        id: NodeId,
        slot: LogSlot,
    ) -> Result<(), Violation> {
        let Some(vote) = node.vote(slot) else {
            return Ok(());
        };
        let ballot = vote.ballot;
        let command = stable_hash(&*vote.command);
        let entry = self.votes.entry((slot, ballot)).or_insert(Vote {
            command,
            acceptors: 0,
        });
        if entry.command != command {
            let mut nodes = members(entry.acceptors);
            nodes.push(id);
            return Err(violation(
                VALIDITY,
                format!(
                    "ballot b{ballot} proposed two commands for slot {slot}: {} accepted one, \
                     {id} accepted another ({})",
                    list(entry.acceptors),
                    vote.command.label()
                ),
                nodes,
                slot,
            ));
        }
        entry.acceptors |= 1 << id.0;
        if (entry.acceptors.count_ones() as usize) < self.majority {
            return Ok(());
        }
        let acceptors = entry.acceptors;
        match slot_of(&mut self.chosen, slot) {
            none @ None => {
                *none = Some(Chosen {
                    command: vote.command.clone(),
                    digest: command,
                    ballot,
                })
            }
            Some(first) if first.digest != command => {
                let theirs = self
                    .votes
                    .get(&(slot, first.ballot))
                    .map_or(0, |v| v.acceptors);
                return Err(violation(
                    AGREEMENT,
                    format!(
                        "slot {slot} chose two commands: {} in ballot b{} (accepted by {}) \
                         and {} in ballot b{ballot} (accepted by {})",
                        first.command.label(),
                        first.ballot,
                        list(theirs),
                        vote.command.label(),
                        list(acceptors)
                    ),
                    members(theirs | acceptors),
                    slot,
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn check_learned(
        &mut self,
        node: &MultiPaxos,
        id: NodeId,
        slot: LogSlot,
    ) -> Result<(), Violation> {
        let Some(command) = node.chosen_at(slot) else {
            return Ok(());
        };
        let digest = stable_hash(&**command);
        match slot_of(&mut self.chosen, slot) {
            None => {
                return Err(violation(
                    VALIDITY,
                    format!(
                        "{id} learned {} in slot {slot}, which no majority accepted",
                        command.label()
                    ),
                    vec![id],
                    slot,
                ))
            }
            Some(c) if c.digest != digest => {
                return Err(violation(
                    AGREEMENT,
                    format!(
                        "{id} learned {} in slot {slot}, but a majority chose {} there in \
                         ballot b{}",
                        command.label(),
                        c.command.label(),
                        c.ballot
                    ),
                    vec![id],
                    slot,
                ))
            }
            Some(_) => {}
        }
        let seen = Seen {
            command: digest,
            node: id,
        };
        match *slot_of(&mut self.learned, slot) {
            ref mut none @ None => *none = Some(seen),
            Some(first) if first.command != digest => {
                return Err(violation(
                    AGREEMENT,
                    format!(
                        "{} and {id} learned different commands in slot {slot}",
                        first.node
                    ),
                    vec![first.node, id],
                    slot,
                ))
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn check_applied(
        &mut self,
        node: &MultiPaxos,
        id: NodeId,
        slot: LogSlot,
    ) -> Result<(), Violation> {
        let command = node
            .chosen_at(slot)
            .expect("a node applies only chosen slots");
        let digest = stable_hash(&**command);
        let seen = Seen {
            command: digest,
            node: id,
        };
        match *slot_of(&mut self.applied, slot) {
            ref mut none @ None => *none = Some(seen),
            Some(first) if first.command != digest => {
                return Err(violation(
                    STATE_MACHINE_SAFETY,
                    format!(
                        "{} and {id} applied different commands at slot {slot} ({id}: {})",
                        first.node,
                        command.label()
                    ),
                    vec![first.node, id],
                    slot,
                ))
            }
            Some(_) => {}
        }
        Ok(())
    }
}

impl Checker<MultiPaxos> for MultiPaxosChecker {
    const INVARIANTS: &'static [&'static str] =
        &["agreement per slot", "validity", "state machine safety"];

    fn new(nodes: usize, _config: &MultiPaxosConfig) -> MultiPaxosChecker {
        MultiPaxosChecker {
            majority: crate::protocols::quorums::majority(nodes),
            votes: BTreeMap::new(),
            chosen: Vec::new(),
            learned: Vec::new(),
            applied: Vec::new(),
        }
    }

    fn check(&mut self, nodes: &[Slot<MultiPaxos>], id: NodeId) -> Result<(), Violation> {
        let Some(node) = nodes[id.index()].up() else {
            return Ok(());
        };
        let (lo, hi) = node.accepted_range;
        for slot in lo.max(1)..=hi {
            self.check_vote(node, id, slot)?;
        }
        let (lo, hi) = node.learned_range;
        for slot in lo.max(1)..=hi {
            self.check_learned(node, id, slot)?;
        }
        for slot in node.applied_before + 1..=node.applied {
            self.check_applied(node, id, slot)?;
        }
        Ok(())
    }
}
