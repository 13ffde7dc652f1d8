//! Chain replication's invariants, checked after every event on the node
//! that changed.
//!
//! - **Update propagation** (the paper's §3, "Update Propagation
//!   Invariant"): each server's history is a prefix of its predecessor's,
//!   for neighbours in the same epoch. Histories carry a digest per entry
//!   that folds in every entry before it, so the check is two lookups.
//! - **Reads see acknowledged writes**: a server answers a read only while
//!   it holds every update any node has acknowledged to a client. Together
//!   with the prefix invariant this is "a read at the tail returns the last
//!   acknowledged write"; the tests also run the linearizability checker
//!   on the clients' history.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use crate::id::NodeId;
use crate::protocol::{Checker, Slot, Violation};

use super::{Chain, ChainConfig};

const PROPAGATION: usize = 0;
const READS: usize = 1;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChainChecker {
    /// The most updates any node has acknowledged to a client, and who.
    acked: u64,
    acked_by: NodeId,
    /// Each node's read count as last checked.
    reads: Vec<u64>,
}

/// Whether `succ`'s history is a prefix of `pred`'s.
fn is_prefix(succ: &Chain, pred: &Chain) -> bool {
    let n = succ.history.len();
    n == 0
        || (n <= pred.history.len() && succ.history[n - 1].digest == pred.history[n - 1].digest)
}

/// The first position where two histories differ (1-based).
fn first_difference(succ: &Chain, pred: &Chain) -> u64 {
    let common = succ
        .history
        .iter()
        .zip(pred.history.iter())
        .take_while(|(a, b)| a.digest == b.digest)
        .count();
    common as u64 + 1
}

fn check_pair(nodes: &[Slot<Chain>], pred: NodeId, succ: NodeId) -> Result<(), Violation> {
    let (Some(p), Some(s)) = (nodes[pred.index()].up(), nodes[succ.index()].up()) else {
        return Ok(());
    };
    // Neighbours by both their configurations.
    if p.epoch != s.epoch || s.predecessor() != Some(pred) || is_prefix(s, p) {
        return Ok(());
    }
    let at = first_difference(s, p);
    let message = if at > p.history.len() as u64 {
        format!(
            "{succ} holds {} updates but its predecessor {pred} only {} (epoch {})",
            s.history.len(),
            p.history.len(),
            s.epoch
        )
    } else {
        format!(
            "{succ}'s history is not a prefix of its predecessor {pred}'s: update {at} differs \
             (epoch {})",
            s.epoch
        )
    };
    Err(Violation {
        invariant: PROPAGATION,
        message,
        nodes: vec![pred, succ],
        entries: vec![(pred, at), (succ, at)],
    })
}

impl Checker<Chain> for ChainChecker {
    const INVARIANTS: &'static [&'static str] = &[
        "Each node's history is a prefix of its predecessor's",
        "A read returns every acknowledged write",
    ];

    fn new(nodes: usize, _config: &ChainConfig) -> Self {
        ChainChecker {
            acked: 0,
            acked_by: NodeId(0),
            reads: vec![0; nodes],
        }
    }

    fn check(&mut self, nodes: &[Slot<Chain>], changed: NodeId) -> Result<(), Violation> {
        let Some(node) = nodes[changed.index()].up() else {
            return Ok(());
        };
        if node.replied > self.acked {
            self.acked = node.replied;
            self.acked_by = changed;
        }
        if node.reads != self.reads[changed.index()] {
            self.reads[changed.index()] = node.reads;
            if node.read_at < self.acked {
                return Err(Violation {
                    invariant: READS,
                    message: format!(
                        "{changed} answered a read holding {} updates, but {} acknowledged \
                         update {} to its client",
                        node.read_at, self.acked_by, self.acked
                    ),
                    nodes: vec![changed, self.acked_by],
                    entries: vec![(self.acked_by, self.acked)],
                });
            }
        }
        if let Some(pred) = node.predecessor() {
            check_pair(nodes, pred, changed)?;
        }
        if let Some(succ) = node.successor() {
            check_pair(nodes, changed, succ)?;
        }
        Ok(())
    }

    fn on_crash(&mut self, node: NodeId) {
        // Its read count restarts with it.
        self.reads[node.index()] = 0;
    }
}
