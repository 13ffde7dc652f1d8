//! The configuration shared by the protocols that elect a leader to run a
//! replicated log (Raft, Multi-Paxos): election timing, batching, and which
//! variant to run. One struct, so the defaults and the checks of a timing
//! a person wrote are written once; each protocol names its own variants.

use alloc::format;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::id::NodeId;
use crate::protocol::RoleKind;
use crate::scenario::{Latency, ScenarioError};
use crate::time::Span;

/// A leader-based log's configuration; `V` is the protocol's variants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ElectionConfig<V> {
    /// Drawn anew each time the timer is reset.
    pub election_timeout: Latency,
    /// How often a leader speaks when it has nothing new (heartbeats,
    /// resent accepts).
    pub heartbeat: Span,
    /// The most entries (commands) one message carries.
    pub max_batch: u32,
    pub variant: V,
    /// The voting members a run starts with; the other nodes are spares a
    /// membership change may add. `None`: every node votes. Raft only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<NodeId>>,
    /// Change membership by joint consensus (C_old,new, then C_new) rather
    /// than one server per change. Raft only.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub joint: bool,
}

impl<V: Default> Default for ElectionConfig<V> {
    fn default() -> Self {
        ElectionConfig {
            election_timeout: Latency {
                min: Span::from_millis(150),
                max: Span::from_millis(300),
            },
            heartbeat: Span::from_millis(50),
            max_batch: 64,
            variant: V::default(),
            members: None,
            joint: false,
        }
    }
}

impl<V> ElectionConfig<V> {
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let e = &self.election_timeout;
        if e.min.0 == 0 || e.min > e.max {
            return Err(ScenarioError::new(
                "election_timeout",
                format!("needs 0 < min <= max, got min {} and max {}", e.min, e.max),
            ));
        }
        if self.heartbeat.0 == 0 {
            return Err(ScenarioError::new("heartbeat", "must be greater than zero"));
        }
        if self.heartbeat >= e.min {
            return Err(ScenarioError::new(
                "heartbeat",
                format!(
                    "must be shorter than the minimum election timeout ({}), or followers \
                     will start elections against a healthy leader",
                    e.min
                ),
            ));
        }
        if self.max_batch == 0 {
            return Err(ScenarioError::new("max_batch", "must be at least 1"));
        }
        Ok(())
    }

    /// Rejects the membership settings, for a protocol whose voters are
    /// every node, always.
    pub fn fixed_membership(&self, protocol: &str) -> Result<(), ScenarioError> {
        if self.members.is_some() {
            return Err(ScenarioError::new(
                "members",
                format!("{protocol} counts every node as a member; remove `members`"),
            ));
        }
        if self.joint {
            return Err(ScenarioError::new(
                "joint",
                format!("{protocol} does not change membership; remove `joint`"),
            ));
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
}

/// Where a node of a leader-based protocol stands: Raft's three states, and
/// Multi-Paxos's (a candidate is running phase 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

impl Role {
    /// The engine's protocol-independent kind, for drawing and counting.
    pub fn kind(self) -> RoleKind {
        match self {
            Role::Follower => RoleKind::Follower,
            Role::Candidate => RoleKind::Candidate,
            Role::Leader => RoleKind::Leader,
        }
    }

    /// The word the canvas and inspector show.
    pub fn label(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}
