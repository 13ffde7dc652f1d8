//! Two- and three-phase commit, as the registry lists them.

use super::three_phase::{ThreePhase, ThreePhaseConfig};
use super::two_phase::{TwoPhase, TwoPhaseConfig};
use super::validate_cluster;
use crate::explore::protocol::{new_search, NewSearch};
use crate::id::NodeId;
use crate::registry::{
    Capabilities, Clock, Column, Descriptor, ExplorePreset, Facts, Links, Preset, Registered, Variant,
    Words,
};
use crate::scenario::{in_protocol, Scenario, ScenarioError, TimedAction};
use crate::time::Time;

/// A transaction's words: n0 coordinates, a decision is a transaction.
const fn words(legend: &'static str) -> Words {
    Words {
        legend,
        progress: "committed transactions",
        log: "transactions seen",
        in_charge: "coordinator",
        in_charge_clock: Clock::None,
        clock_prefix: "T",
        decision: "transaction",
    }
}

impl Registered for TwoPhase {
    const DESCRIPTOR: Descriptor = Descriptor {
        id: "two-phase",
        facts: Facts::of::<TwoPhase>(),
        presets: &[Preset {
            id: "two-phase",
            label: "Two-phase commit",
            board_title: "Transactions",
            // A coordinator and three participants.
            nodes: 4,
            config: || TwoPhaseConfig::default().into(),
            claims: |_| false,
        }],
        can: Capabilities {
            transactions: true,
            votes: Some(|c| TwoPhaseConfig::of(c).map(|c| &c.votes)),
            ..Capabilities::NONE
        },
        words: words("n0 coordinates (▢); participants are working, prepared (voted yes), in doubt (prepared, and the outcome is late: it may not decide alone), committed or aborted. T is the transaction number."),
        board: &[
            ("state", Column::Role),
            ("txn", Column::Transaction),
            ("vote", Column::Vote),
            ("in doubt for", Column::InDoubtFor),
        ],
        explore: None,
    };

    fn validate(config: &TwoPhaseConfig, nodes: u16) -> Result<(), ScenarioError> {
        config.validate().map_err(in_protocol)?;
        validate_cluster(nodes, &config.votes)
    }
}

impl Registered for ThreePhase {
    const DESCRIPTOR: Descriptor = Descriptor {
        id: "three-phase",
        facts: Facts::of::<ThreePhase>(),
        presets: &[Preset {
            id: "three-phase",
            label: "Three-phase commit",
            board_title: "Transactions",
            nodes: 4,
            config: || ThreePhaseConfig::default().into(),
            claims: |_| false,
        }],
        can: Capabilities {
            transactions: true,
            votes: Some(|c| ThreePhaseConfig::of(c).map(|c| &c.votes)),
            ..Capabilities::NONE
        },
        words: words("n0 coordinates (▢); participants are working, uncertain (voted yes), pre-committed (everyone voted yes), committed or aborted; terminating (◇) while they decide without the coordinator. T is the transaction number."),
        board: &[
            ("state", Column::Role),
            ("txn", Column::Transaction),
            ("vote", Column::Vote),
        ],
        // Three nodes, one transaction at time zero: 3PC breaks in 19 steps
        // with 4 messages in flight and 10 firings.
        explore: Some(&[ExplorePreset {
            id: "three-phase",
            label: "Three-phase commit",
            scenario: one_transaction,
            max_timers: 10,
            max_in_flight: 4,
            max_crashes: 0,
            links: Links::NONE,
            directed: None,
            first: false,
        }]),
    };

    fn validate(config: &ThreePhaseConfig, nodes: u16) -> Result<(), ScenarioError> {
        config.validate().map_err(in_protocol)?;
        validate_cluster(nodes, &config.votes)
    }

    const SEARCH: Option<NewSearch> = Some(new_search::<ThreePhase>);
}

/// Three nodes, one transaction at time zero.
fn one_transaction() -> Scenario {
    let mut s = Scenario::new(ThreePhaseConfig::default().into(), 3, 0);
    s.actions.push(TimedAction::put(Time::ZERO, NodeId(0), "x", "1"));
    s
}
