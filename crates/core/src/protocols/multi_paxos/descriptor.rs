//! Multi-Paxos, as the registry lists it.

use super::{MultiPaxos, MultiPaxosConfig};
use crate::registry::{
    Capabilities, Clock, Column, Descriptor, Facts, Preset, Registered, Variant, Words,
};
use crate::scenario::{in_protocol, ScenarioError};

impl Registered for MultiPaxos {
    const DESCRIPTOR: Descriptor = Descriptor {
        id: "multi-paxos",
        facts: Facts::of::<MultiPaxos>(),
        presets: &[Preset {
            id: "multi-paxos",
            label: "Multi-Paxos",
            board_title: "Multi-Paxos",
            nodes: 5,
            config: || MultiPaxosConfig::default().into(),
            claims: |_| false,
        }],
        can: Capabilities {
            election: Some(|c| MultiPaxosConfig::of_mut(c).map(MultiPaxosConfig::timing_mut)),
            ..Capabilities::NONE
        },
        words: Words {
            legend: "Acceptors ○, a candidate running phase 1 ◇, the leader ▢ (it skips phase 1 while it leads). b is the ballot; squares are log slots, filled once chosen.",
            progress: "chosen slots",
            log: "log length",
            in_charge: "leader",
            in_charge_clock: Clock::Ballot,
            clock_prefix: "b",
            decision: "value",
        },
        board: &[
            ("role", Column::Role),
            ("ballot", Column::Ballot),
            ("chosen slots", Column::CommitIndex),
            ("log", Column::LogLength),
        ],
        explore: None,
    };

    fn validate(config: &MultiPaxosConfig, _nodes: u16) -> Result<(), ScenarioError> {
        config.validate().map_err(in_protocol)?;
        config.fixed_membership("Multi-Paxos").map_err(in_protocol)
    }
}
