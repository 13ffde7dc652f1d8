//! Paxos, as the registry lists it, with the broken "naive Paxos" (no
//! promise phase) as its own menu entry and explorer target, so that it
//! can be chosen, and named, for what it is.

use super::{Paxos, PaxosConfig, PaxosVariant};
use crate::explore::protocol::{new_search, NewSearch};
use crate::registry::{
    Capabilities, Clock, Column, Descriptor, ExplorePreset, Facts, Links, Preset, ProtocolConfig,
    Registered, Variant, Words,
};
use crate::scenario::{in_protocol, Scenario, ScenarioError};

fn naive() -> ProtocolConfig {
    PaxosConfig {
        variant: PaxosVariant::NaiveNoPromise,
        ..PaxosConfig::default()
    }
    .into()
}

impl Registered for Paxos {
    const DESCRIPTOR: Descriptor = Descriptor {
        id: "paxos",
        facts: Facts::of::<Paxos>(),
        presets: &[
            Preset {
                id: "paxos",
                label: "Paxos",
                board_title: "Paxos",
                nodes: 5,
                config: || PaxosConfig::default().into(),
                claims: |_| false,
            },
            Preset {
                id: "naive-paxos",
                label: "Naive Paxos: no promise phase",
                board_title: "Naive Paxos: no promise phase",
                nodes: 5,
                config: naive,
                claims: |c| {
                    PaxosConfig::of(c).is_some_and(|p| p.variant == PaxosVariant::NaiveNoPromise)
                },
            },
        ],
        can: Capabilities::NONE,
        words: Words {
            legend: "Proposers and acceptors; ◇ a proposer in phase 1 (prepare), ▢ in phase 2 (accept). b is the ballot a node has promised; the square is its accepted value, filled once chosen.",
            progress: "value chosen",
            log: "value accepted",
            in_charge: "accepting",
            in_charge_clock: Clock::Ballot,
            clock_prefix: "b",
            decision: "value",
        },
        board: &[
            ("role", Column::Role),
            ("promised", Column::Field("promised")),
            ("accepted", Column::Field("accepted")),
            ("chosen", Column::Field("chosen")),
        ],
        // Three nodes, each proposing. Naive Paxos breaks with two timer
        // firings (one ballot per proposer); real Paxos holds in all 19,050
        // states with 5 messages in flight.
        explore: Some(&[
            ExplorePreset {
                id: "naive-paxos",
                label: "Naive Paxos (no promise phase)",
                scenario: || Scenario::new(naive(), 3, 0),
                max_timers: 2,
                max_in_flight: 16,
                max_crashes: 0,
                links: Links::NONE,
                directed: None,
                first: true,
            },
            ExplorePreset {
                id: "paxos",
                label: "Paxos (3 acceptors)",
                scenario: || Scenario::new(PaxosConfig::default().into(), 3, 0),
                max_timers: 2,
                max_in_flight: 5,
                max_crashes: 0,
                links: Links::NONE,
                directed: None,
                first: false,
            },
        ]),
    };

    fn validate(config: &PaxosConfig, nodes: u16) -> Result<(), ScenarioError> {
        config.validate(nodes).map_err(in_protocol)
    }

    const SEARCH: Option<NewSearch> = Some(new_search::<Paxos>);
}
