//! Versions for eventually consistent stores: vector clocks, last-writer-wins
//! stamps, sibling sets, and an audit of a run's history that counts stale
//! reads, lost updates and reads that returned siblings.
//!
//! Every stored version carries both a vector clock (what the writer knew)
//! and a stamp (a hybrid timestamp, for last-writer-wins). The store's
//! [`Versioning`] decides which one resolves conflicts; the other is kept so
//! the audit can tell the truth: a last-writer-wins store that drops a
//! version whose clock nobody dominates has lost an update.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::id::{NodeId, RequestId};
use crate::protocol::{NodeView, Op, RoleKind};
use crate::sim::{ClientOp, OpResult};

/// How concurrent writes are resolved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Versioning {
    /// Keep every version no other version's clock dominates: concurrent
    /// writes come back to readers as siblings.
    #[default]
    VectorClock,
    /// Keep only the version with the highest stamp: concurrent writes are
    /// silently lost.
    LastWriterWins,
}

/// A vector clock: how many writes each coordinator had made, as far as
/// the writer knew. Absent entries are zero.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct VClock(pub BTreeMap<u16, u64>);

impl VClock {
    pub fn get(&self, node: NodeId) -> u64 {
        self.0.get(&node.0).copied().unwrap_or(0)
    }

    pub fn set(&mut self, node: NodeId, count: u64) {
        self.0.insert(node.0, count);
    }

    /// The entry-wise maximum.
    pub fn merge(&mut self, other: &VClock) {
        for (n, c) in &other.0 {
            let e = self.0.entry(*n).or_insert(0);
            *e = (*e).max(*c);
        }
    }

    /// `self >= other` entry-wise: `self` was written knowing `other`.
    pub fn dominates(&self, other: &VClock) -> bool {
        other
            .0
            .iter()
            .all(|(n, c)| self.0.get(n).copied().unwrap_or(0) >= *c)
    }

    /// `Some(order)` when one dominates the other, `None` when concurrent.
    pub fn compare(&self, other: &VClock) -> Option<Ordering> {
        match (self.dominates(other), other.dominates(self)) {
            (true, true) => Some(Ordering::Equal),
            (true, false) => Some(Ordering::Greater),
            (false, true) => Some(Ordering::Less),
            (false, false) => None,
        }
    }
}

impl core::fmt::Display for VClock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("{")?;
        for (i, (n, c)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "n{n}:{c}")?;
        }
        f.write_str("}")
    }
}

/// A hybrid timestamp `(microseconds, writer)`: totally ordered, ties broken
/// by the writer's id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Stamp {
    pub micros: u64,
    pub node: u16,
}

/// One version of a key's value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Version {
    pub value: String,
    pub clock: VClock,
    pub stamp: Stamp,
}

impl Version {
    /// Whether `self` makes `older` obsolete under `mode` (equal counts).
    pub fn supersedes(&self, older: &Version, mode: Versioning) -> bool {
        match mode {
            Versioning::VectorClock => self.clock.dominates(&older.clock),
            Versioning::LastWriterWins => self.stamp >= older.stamp,
        }
    }

    /// A short label such as `"1.3" {n0:2,n1:1}` or `"1.3" @1.250s/n2`.
    pub fn label(&self, mode: Versioning) -> String {
        match mode {
            Versioning::VectorClock => format!("{:?} {}", self.value, self.clock),
            Versioning::LastWriterWins => format!(
                "{:?} @{}.{:03}s/n{}",
                self.value,
                self.stamp.micros / 1_000_000,
                self.stamp.micros / 1_000 % 1_000,
                self.stamp.node
            ),
        }
    }
}

/// Folds `incoming` into the sibling set `set`: keeps every version nothing
/// else supersedes, sorted by stamp. Returns whether `set` changed.
/// A key's versions as the inspector lists them, siblings side by side.
pub fn siblings_label(versions: &[Version], mode: Versioning) -> String {
    versions
        .iter()
        .map(|v| v.label(mode))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// How a leaderless replica of a versioned store shows on the canvas: no
/// leader, no log, and the writes it has coordinated as its counter.
pub fn replica_view(role_label: &'static str, writes: u64) -> NodeView {
    NodeView {
        role: RoleKind::Follower,
        role_label,
        term: writes,
        term_label: "writes",
        log_len: 0,
        commit_index: 0,
        log_tail: Vec::new(),
        leader: None,
        in_doubt_since: None,
    }
}

pub fn merge_into(set: &mut Vec<Version>, incoming: &[Version], mode: Versioning) -> bool {
    let mut changed = false;
    for v in incoming {
        if set.iter().any(|s| s.supersedes(v, mode)) {
            continue; // already known, or obsolete
        }
        set.retain(|s| !v.supersedes(s, mode));
        set.push(v.clone());
        changed = true;
    }
    if changed {
        set.sort_by(|a, b| a.stamp.cmp(&b.stamp).then_with(|| a.cmp(b)));
    }
    changed
}

/// Whether two sibling sets hold the same versions.
pub fn same_versions(a: &[Version], b: &[Version]) -> bool {
    a.len() == b.len() && a.iter().all(|v| b.contains(v))
}

/// A key's versions on one node, for display and for audits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyVersions {
    pub key: String,
    pub versions: Vec<Version>,
    /// Held on behalf of this node (a hinted handoff), not as a replica.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint_for: Option<NodeId>,
}

/// What a run's history says about consistency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// Successful reads with version details.
    pub reads: u64,
    /// Reads that began after a write completed and returned neither it
    /// nor anything that supersedes it.
    pub stale: Vec<RequestId>,
    /// Reads that returned more than one version.
    pub siblings: Vec<RequestId>,
    /// Successful writes with version details.
    pub writes: u64,
    /// Acknowledged writes that no surviving version's clock knows of.
    pub lost: Vec<RequestId>,
}

fn versions_of(op: &ClientOp) -> Option<&[Version]> {
    match (&op.result, &op.detail) {
        (Some((_, OpResult::Ok { .. })), Some(d)) => Some(&d.versions),
        _ => None,
    }
}

/// Audits a history whose operations carry [`crate::protocol::OpDetail`]s.
/// `surviving` is every version still stored anywhere at the end (lost
/// updates are only meaningful once anti-entropy has run).
pub fn audit(history: &[ClientOp], surviving: &[KeyVersions], mode: Versioning) -> Audit {
    let mut a = Audit::default();
    // Successful writes per key: (completed at, version written).
    let mut writes: BTreeMap<&str, Vec<(crate::time::Time, &Version, RequestId)>> = BTreeMap::new();
    for op in history {
        if op.op.is_read() {
            continue;
        }
        if let (Some(vs), Some((done, _))) = (versions_of(op), &op.result) {
            if let Some(v) = vs.first() {
                a.writes += 1;
                writes
                    .entry(op.op.key())
                    .or_default()
                    .push((*done, v, op.id));
            }
        }
    }
    for op in history {
        let Op::Get { key } = &op.op else { continue };
        let Some(returned) = versions_of(op) else {
            continue;
        };
        a.reads += 1;
        if returned.len() > 1 {
            a.siblings.push(op.id);
        }
        let stale = writes.get(key.as_str()).is_some_and(|ws| {
            ws.iter().any(|(done, w, _)| {
                *done < op.invoke && !returned.iter().any(|r| r.supersedes(w, mode))
            })
        });
        if stale {
            a.stale.push(op.id);
        }
    }
    for (key, ws) in &writes {
        for (_, w, id) in ws {
            let known = surviving
                .iter()
                .filter(|kv| kv.key == *key)
                .flat_map(|kv| kv.versions.iter())
                .any(|s| s.clock.dominates(&w.clock));
            if !known {
                a.lost.push(*id);
            }
        }
    }
    a.lost.sort();
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn v(value: &str, clock: &[(u16, u64)], micros: u64) -> Version {
        Version {
            value: value.into(),
            clock: VClock(clock.iter().copied().collect()),
            stamp: Stamp { micros, node: 0 },
        }
    }

    #[test]
    fn vector_clocks_keep_concurrent_versions_as_siblings() {
        let mut set = vec![v("a", &[(0, 1)], 10)];
        assert!(merge_into(
            &mut set,
            &[v("b", &[(1, 1)], 5)],
            Versioning::VectorClock
        ));
        assert_eq!(set.len(), 2);
        // A version that knew both replaces both.
        merge_into(
            &mut set,
            &[v("c", &[(0, 1), (1, 1)], 1)],
            Versioning::VectorClock,
        );
        assert_eq!(set, vec![v("c", &[(0, 1), (1, 1)], 1)]);
        // An old one changes nothing.
        assert!(!merge_into(
            &mut set,
            &[v("a", &[(0, 1)], 10)],
            Versioning::VectorClock
        ));
    }

    #[test]
    fn last_writer_wins_keeps_one_version() {
        let mut set = vec![v("a", &[(0, 1)], 10)];
        merge_into(
            &mut set,
            &[v("b", &[(1, 1)], 5)],
            Versioning::LastWriterWins,
        );
        assert_eq!(set, vec![v("a", &[(0, 1)], 10)]);
        merge_into(
            &mut set,
            &[v("c", &[(2, 1)], 20)],
            Versioning::LastWriterWins,
        );
        assert_eq!(set, vec![v("c", &[(2, 1)], 20)]);
    }

    #[test]
    fn clock_order() {
        let a = VClock([(0, 2), (1, 1)].into_iter().collect());
        let b = VClock([(0, 1)].into_iter().collect());
        assert_eq!(a.compare(&b), Some(Ordering::Greater));
        assert_eq!(b.compare(&a), Some(Ordering::Less));
        let c = VClock([(2, 1)].into_iter().collect());
        assert_eq!(a.compare(&c), None);
        assert_eq!(alloc::string::ToString::to_string(&a), "{n0:2,n1:1}");
    }
}
