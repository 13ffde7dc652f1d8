//! Chain replication, as the registry lists it.

use alloc::format;
use alloc::string::String;
use alloc::vec;

use super::{Chain, ChainConfig, ChainVariant};
use crate::explore::protocol::{new_search, NewSearch};
use crate::id::{ClientId, NodeId};
use crate::protocol::Op;
use crate::registry::{
    Broken, Capabilities, Clock, Column, Descriptor, ExplorePreset, Facts, Links, Preset,
    ProtocolConfig, Registered, Variant, Words,
};
use crate::scenario::{in_protocol, Action, Scenario, ScenarioError, TimedAction};
use crate::time::Time;

/// The master and a chain of three; one client writes `x` at the head,
/// another reads it at the tail.
fn explored(variant: ChainVariant) -> Scenario {
    let config: ProtocolConfig = ChainConfig {
        variant,
        ..ChainConfig::default()
    }
    .into();
    let mut s = Scenario::new(config, 4, 0);
    let request = |node, client, op| TimedAction {
        at: Time::ZERO,
        action: Action::Request {
            node: NodeId(node),
            client: Some(ClientId(client)),
            op,
        },
    };
    s.actions = vec![
        request(
            1,
            1,
            Op::Put {
                key: String::from("x"),
                value: String::from("1"),
            },
        ),
        request(
            3,
            2,
            Op::Get {
                key: String::from("x"),
            },
        ),
    ];
    s
}

impl Registered for Chain {
    const DESCRIPTOR: Descriptor = Descriptor {
        id: "chain",
        facts: Facts::of::<Chain>(),
        presets: &[Preset {
            id: "chain",
            label: "Chain replication",
            board_title: "Chain replication",
            nodes: 5,
            config: || ChainConfig::default().into(),
            claims: |_| false,
        }],
        can: Capabilities {
            broken: Some(Broken {
                label: "Run the broken chain whose head acknowledges writes before the tail has them",
                get: |c| ChainConfig::of(c).is_some_and(|c| c.variant == ChainVariant::AckAtHead),
                set: |c, broken| {
                    if let Some(c) = ChainConfig::of_mut(c) {
                        c.variant = if broken {
                            ChainVariant::AckAtHead
                        } else {
                            ChainVariant::Correct
                        };
                    }
                },
            }),
            ..Capabilities::NONE
        },
        words: Words {
            legend: "n0 is the master ◇, which probes the servers and reconfigures the chain. Writes enter at the head ▢ and flow down; the tail answers reads and acknowledges writes. e is the epoch (the master's configuration); squares are a server's last updates, filled once the tail holds them.",
            progress: "updates at the tail",
            log: "history length",
            in_charge: "head",
            // The registry's clocks are terms and ballots; the epoch is
            // under every node instead.
            in_charge_clock: Clock::None,
            clock_prefix: "e",
            decision: "update",
        },
        board: &[
            ("role", Column::Role),
            ("epoch", Column::Term),
            ("at the tail", Column::CommitIndex),
            ("history", Column::LogLength),
        ],
        // One write at the head and one read at the tail, with a probe
        // round: every order of their messages, 1,635 states.
        explore: Some(&[
            ExplorePreset {
                id: "chain",
                label: "Chain replication (master + 3)",
                scenario: || explored(ChainVariant::Correct),
                max_timers: 1,
                max_in_flight: 6,
                max_crashes: 0,
                links: Links::NONE,
                directed: None,
                first: false,
            },
            ExplorePreset {
                id: "chain-ack-at-head",
                label: "Chain replication acknowledging at the head",
                scenario: || explored(ChainVariant::AckAtHead),
                max_timers: 1,
                max_in_flight: 6,
                max_crashes: 0,
                links: Links::NONE,
                directed: None,
                first: false,
            },
        ]),
    };

    fn validate(config: &ChainConfig, nodes: u16) -> Result<(), ScenarioError> {
        // n0 is the master; the chain's members are a bitset of 64.
        if !(2..=64).contains(&nodes) {
            return Err(ScenarioError::new(
                "nodes",
                format!(
                    "chain replication needs the master and 1 to 63 servers (2 to 64 nodes), \
                     got {nodes}"
                ),
            ));
        }
        config.validate().map_err(in_protocol)
    }

    const SEARCH: Option<NewSearch> = Some(new_search::<Chain>);
}
