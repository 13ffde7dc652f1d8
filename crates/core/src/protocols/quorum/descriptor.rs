//! The quorum store, as the registry lists it.

use super::{Quorum, QuorumConfig};
use crate::registry::{
    Capabilities, Clock, Column, Descriptor, Facts, Preset, Registered, Variant, Words,
};
use crate::scenario::{in_protocol, ScenarioError};

/// The board of a replicated store: every node is a replica.
pub const REPLICA_BOARD: &[(&str, Column)] = &[
    ("role", Column::Role),
    ("writes", Column::Term),
    ("keys", Column::Keys),
    ("siblings", Column::Siblings),
    ("hints", Column::Hints),
];

impl Registered for Quorum {
    const DESCRIPTOR: Descriptor = Descriptor {
        id: "quorum",
        facts: Facts::of::<Quorum>(),
        presets: &[Preset {
            id: "quorum",
            label: "Quorum store (Dynamo style)",
            board_title: "Replicas",
            nodes: 5,
            config: || QuorumConfig::default().into(),
            claims: |_| false,
        }],
        can: Capabilities {
            versions: Some(|c| QuorumConfig::of(c).map(|q| q.versioning)),
            ring: Some(|c| QuorumConfig::of(c).map(|q| q.vnodes)),
            ..Capabilities::NONE
        },
        words: Words {
            legend: "Every node is a replica; the one a client asks coordinates (its label says so) and waits for R of N replicas on a read, W on a write. The number under a node counts the writes it stored; the inspector lists its versions, with siblings.",
            progress: "writes stored",
            log: "log length",
            // Leaderless: any replica coordinates the request it receives.
            in_charge: "leader",
            in_charge_clock: Clock::Ballot,
            clock_prefix: "t",
            decision: "write",
        },
        board: REPLICA_BOARD,
        explore: None,
    };

    fn validate(config: &QuorumConfig, nodes: u16) -> Result<(), ScenarioError> {
        config.validate(nodes).map_err(in_protocol)
    }
}
