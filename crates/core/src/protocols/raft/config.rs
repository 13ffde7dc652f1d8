//! Raft's configuration: the election timing it shares with Multi-Paxos
//! (same fields, same checks), the variant, and the options production
//! systems add around Figure 2, each off by default so a scenario that
//! does not name them runs the paper's Raft.

use alloc::format;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::id::NodeId;
use crate::protocols::election::{validate_timing, ElectionConfig};
use crate::scenario::{Latency, ScenarioError};
use crate::time::Span;

/// Which Raft to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RaftVariant {
    #[default]
    Correct,
    /// Broken on purpose: the leader commits any entry stored on a majority,
    /// whatever its term, which Figure 8 of the paper shows is unsafe.
    CommitOldTermByCount,
    /// Broken on purpose: a new leader may change the configuration before
    /// it has committed an entry of its own term (single-server changes as
    /// first published; Ongaro, raft-dev, 2015). Two leaders' changes from
    /// one configuration can then elect two leaders in one term.
    ChangeBeforeOwnTermCommit,
}

/// How a leader answers a read (a `get`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadPath {
    /// As a log entry, answered when it applies: one replication round
    /// and a disk write per read, linearizable.
    #[default]
    Log,
    /// §6.4: note the commit index, confirm leadership with a round of
    /// heartbeats a majority answers, answer once applied up to the noted
    /// index. Linearizable, no log entry.
    ReadIndex,
    /// §6.4.1: answer at once while a lease, counted on the leader's own
    /// clock from the start of a heartbeat round a majority answered,
    /// lasts; otherwise as ReadIndex. Linearizable only while clocks
    /// drift within `lease.drift_bound_ppm`.
    Lease,
    /// Broken on purpose: the leader answers from its own state without
    /// asking anyone, so a deposed leader that has not heard of its
    /// successor serves stale values.
    LeaderLocal,
}

/// The leader lease (§6.4.1), used when `reads` is `lease`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lease {
    /// How long a lease lasts on the leader's clock before the drift
    /// allowance is taken off; below the minimum election timeout, which
    /// is how long a follower that has heard from the leader refuses to
    /// help elect another.
    pub duration: Span,
    /// The most a clock may run fast or slow, in parts per million. The
    /// leader shortens its lease so that a slow leader clock and a fast
    /// follower clock within this bound still cannot overlap two leaders'
    /// terms.
    pub drift_bound_ppm: u32,
}

impl Default for Lease {
    fn default() -> Self {
        Lease {
            duration: Span::from_millis(120),
            drift_bound_ppm: 1_000,
        }
    }
}

/// How often the settings form's switch snapshots: often enough to see
/// on the canvas within seconds of client traffic.
pub const DEFAULT_SNAPSHOT_EVERY: u32 = 16;

/// The longest interval between snapshots accepted: beyond it a run's log
/// is as good as uncompacted.
pub const MAX_SNAPSHOT_EVERY: u32 = 1_000_000;

/// The largest drift bound accepted: a clock running at half or double
/// speed leaves no lease worth having.
pub const MAX_DRIFT_PPM: u32 = 500_000;

impl Lease {
    /// What the leader counts on its own clock: `duration` scaled by
    /// `(1 - ρ) / (1 + ρ)`, so that it ends, in true time, before a
    /// follower clock running fast by ρ can count out the minimum election
    /// timeout, even when the leader's clock runs slow by ρ.
    pub fn on_leader_clock(&self) -> Span {
        let rho = u128::from(self.drift_bound_ppm);
        let scaled = u128::from(self.duration.0) * (1_000_000 - rho) / (1_000_000 + rho);
        // At most `duration`, which is a u64.
        Span(scaled as u64)
    }
}

/// Raft's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftConfig {
    /// Drawn anew each time the timer is reset.
    pub election_timeout: Latency,
    /// How often a leader speaks when it has nothing new.
    pub heartbeat: Span,
    /// The most entries one AppendEntries carries.
    pub max_batch: u32,
    pub variant: RaftVariant,
    /// Thesis §9.6: a server whose election timer fires first asks
    /// whether it could win, without raising its term; only a majority of
    /// yeses starts a real election.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub pre_vote: bool,
    /// A leader that has not heard from a majority within a minimum
    /// election timeout steps down; and a server that has heard from a
    /// leader within one ignores vote requests (thesis §4.2.3), so a
    /// server that cannot hear the leader cannot depose it.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub check_quorum: bool,
    #[serde(skip_serializing_if = "ReadPath::is_log")]
    pub reads: ReadPath,
    #[serde(skip_serializing_if = "Lease::is_default")]
    pub lease: Lease,
    /// The voting members a run starts with; the other nodes are spares a
    /// membership change may add. `None`: every node votes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<NodeId>>,
    /// Change membership by joint consensus (C_old,new, then C_new) rather
    /// than one server per change.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub joint: bool,
    /// Log compaction (§7): every this many applied entries a server
    /// snapshots its key-value state and drops the log up to there; a
    /// leader sends its snapshot to a follower that needs a dropped entry.
    /// `None`: the log is kept whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_every: Option<u32>,
}

impl ReadPath {
    fn is_log(&self) -> bool {
        *self == ReadPath::Log
    }
}

impl Lease {
    fn is_default(&self) -> bool {
        *self == Lease::default()
    }
}

impl Default for RaftConfig {
    fn default() -> Self {
        let ElectionConfig {
            election_timeout,
            heartbeat,
            max_batch,
            variant,
        } = ElectionConfig::<RaftVariant>::default();
        RaftConfig {
            election_timeout,
            heartbeat,
            max_batch,
            variant,
            pre_vote: false,
            check_quorum: false,
            reads: ReadPath::Log,
            lease: Lease::default(),
            members: None,
            joint: false,
            snapshot_every: None,
        }
    }
}

impl RaftConfig {
    /// The checks of a configuration a person wrote; errors name the
    /// field as the scenario file does, without the `protocol.` prefix.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        validate_timing(&self.election_timeout, self.heartbeat, self.max_batch)?;
        if let Some(every) = self.snapshot_every {
            if every == 0 || every > MAX_SNAPSHOT_EVERY {
                return Err(ScenarioError::new(
                    "snapshot_every",
                    format!(
                        "must be from 1 to {MAX_SNAPSHOT_EVERY} applied entries between \
                         snapshots, got {every}"
                    ),
                ));
            }
        }
        // The lease's fields matter only to lease reads: a scenario that
        // shortens its election timeout need not also shorten a lease it
        // does not use.
        if self.reads == ReadPath::Lease {
            let lease = &self.lease;
            if lease.drift_bound_ppm > MAX_DRIFT_PPM {
                return Err(ScenarioError::new(
                    "lease.drift_bound_ppm",
                    format!(
                        "must be at most {MAX_DRIFT_PPM} (50%), got {}",
                        lease.drift_bound_ppm
                    ),
                ));
            }
            if lease.duration >= self.election_timeout.min {
                return Err(ScenarioError::new(
                    "lease.duration",
                    format!(
                        "must be shorter than the minimum election timeout ({}), or a new \
                         leader may be elected while the old one still serves reads, got {}",
                        self.election_timeout.min, lease.duration
                    ),
                ));
            }
            if lease.on_leader_clock() <= self.heartbeat {
                return Err(ScenarioError::new(
                    "lease.duration",
                    format!(
                        "after the drift allowance it lasts {}, not longer than the heartbeat \
                         ({}): every lease would lapse before the next round renews it",
                        lease.on_leader_clock(),
                        self.heartbeat
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The voting members a run starts with, as a bitmask, for a cluster
    /// of `nodes`.
    pub fn initial_members(&self, nodes: usize) -> u64 {
        match &self.members {
            Some(list) => list.iter().fold(0, |set, n| set | 1u64 << n.0),
            None if nodes >= 64 => u64::MAX,
            None => (1u64 << nodes) - 1,
        }
    }

    /// The timing a settings form edits: the timeout range and the
    /// heartbeat.
    pub fn timing_mut(&mut self) -> (&mut Latency, &mut Span) {
        (&mut self.election_timeout, &mut self.heartbeat)
    }

    /// Whether a server that has heard from a leader lately ignores vote
    /// requests: CheckQuorum asks for it (as etcd does), and leases need
    /// it, since a lease counts on followers not electing anyone else.
    pub(crate) fn sticky_leader(&self) -> bool {
        self.check_quorum || self.reads == ReadPath::Lease
    }
}
