//! The store's own invariants, checked after every event on the node that
//! changed. The read-after-write guarantee of strict quorums and
//! convergence are properties of whole runs: the sweep test checks them
//! with [`crate::version::audit`] and [`super::divergence`].

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::id::NodeId;
use crate::protocol::{Checker, Slot, Violation};
use crate::version::{Version, Versioning};

use super::{Quorum, QuorumConfig};

const CONCURRENT_SIBLINGS: usize = 0;
const NO_REGRESSION: usize = 1;

/// Checks a key's sibling set: under vector clocks no sibling supersedes
/// another, under last-writer-wins there is at most one.
pub(crate) fn check_siblings(
    key: &str,
    set: &[Version],
    mode: Versioning,
    node: NodeId,
) -> Result<(), Violation> {
    let bad = match mode {
        Versioning::LastWriterWins => set.len() > 1,
        Versioning::VectorClock => set.iter().enumerate().any(|(i, a)| {
            set.iter()
                .enumerate()
                .any(|(j, b)| i != j && a.supersedes(b, mode))
        }),
    };
    if bad {
        return Err(Violation::of_nodes(CONCURRENT_SIBLINGS, format!(
                "{node} keeps {} versions of {key} although one supersedes another",
                set.len()
            ), vec![node]));
    }
    Ok(())
}

/// A node's store: each key's sibling versions.
type Store = BTreeMap<String, Vec<Version>>;

#[derive(Clone, Debug)]
pub struct QuorumChecker {
    mode: Versioning,
    /// Each node's store as last checked, and its change count then.
    seen: Vec<(Option<u64>, Store)>,
}

impl Checker<Quorum> for QuorumChecker {
    const INVARIANTS: &'static [&'static str] = &[
        "Siblings are concurrent",
        "A replica never loses a version it stored, unless a newer one replaces it",
    ];

    fn new(nodes: usize, config: &QuorumConfig) -> Self {
        QuorumChecker {
            mode: config.versioning,
            seen: vec![(Some(0), BTreeMap::new()); nodes],
        }
    }

    fn check(&mut self, nodes: &[Slot<Quorum>], changed: NodeId) -> Result<(), Violation> {
        let Some(node) = nodes[changed.index()].up() else {
            return Ok(());
        };
        let (seen_changes, before) = &mut self.seen[changed.index()];
        if *seen_changes == Some(node.changes) {
            return Ok(());
        }
        for (key, set) in node.store() {
            check_siblings(key, set, self.mode, changed)?;
        }
        for (key, old) in before.iter() {
            let now = node.store().get(key).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(lost) = old
                .iter()
                .find(|v| !now.iter().any(|n| n.supersedes(v, self.mode)))
            {
                return Err(Violation::of_nodes(NO_REGRESSION, format!(
                        "{changed} dropped {} of {key} with nothing newer in its place",
                        lost.label(self.mode)
                    ), vec![changed]));
            }
        }
        *seen_changes = Some(node.changes);
        *before = node.store().clone();
        Ok(())
    }

    fn on_crash(&mut self, node: NodeId) {
        // The change counter restarts with the node; compare afresh.
        self.seen[node.index()].0 = None;
    }
}
