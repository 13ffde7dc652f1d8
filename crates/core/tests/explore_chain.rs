//! The explorer on chain replication, from its registered presets: the
//! correct chain holds both invariants in every order of one write's,
//! one read's and one probe round's messages; the chain that acknowledges
//! at the head breaks the read invariant, and the counterexample replays
//! in the simulator.

use splitbrain_core::explore::protocol::{to_scenario, Bounds, ProtocolModel};
use splitbrain_core::explore::{explore, Options, Strategy, Verdict};
use splitbrain_core::protocols::chain::{Chain, ChainConfig};
use splitbrain_core::registry::{self, Variant};
use splitbrain_core::sim::Sim;
use splitbrain_core::*;

const ALL: Options = Options {
    strategy: Strategy::BreadthFirst,
    symmetry: false,
    max_depth: None,
    max_states: Some(2_000_000),
    max_memory: None,
    stop_at_violation: true,
};

/// The preset `id` as the app and the CLI start it: its scenario, config
/// and bounds.
fn model(id: &str) -> (Scenario, ProtocolModel<Chain>) {
    let (_, preset) = registry::explore_presets()
        .find(|(_, p)| p.id == id)
        .unwrap_or_else(|| panic!("no explorer preset {id}"));
    let scenario = (preset.scenario)();
    let config = ChainConfig::of(&scenario.protocol).unwrap().clone();
    let bounds = Bounds {
        max_timer_fires: preset.max_timers,
        max_in_flight: preset.max_in_flight,
        ..Bounds::default()
    };
    let model = ProtocolModel::<Chain>::new(&scenario, config, bounds).unwrap();
    (scenario, model)
}

#[test]
fn the_correct_chain_holds_in_every_order() {
    let (_, model) = model("chain");
    let report = explore(&model, ALL);
    println!("chain: {} states", report.unique_states);
    for (name, _, verdict) in &report.verdicts {
        assert!(
            !matches!(verdict, Verdict::Violated { .. }),
            "{name}: {verdict:?}"
        );
    }
    // Pinned: a change of the protocol's messages or state shows here.
    assert_eq!(report.unique_states, 1635);
}

#[test]
fn acknowledging_at_the_head_is_found_and_replays() {
    let (scenario, model) = model("chain-ack-at-head");
    let report = explore(&model, ALL);
    let (name, path) = report
        .verdicts
        .iter()
        .find_map(|(name, _, v)| match v {
            Verdict::Violated { path } => Some((*name, path)),
            _ => None,
        })
        .expect("a violation");
    assert_eq!(name, "A read returns every acknowledged write");
    // The write is acknowledged at the head before the read reaches the
    // tail: no message needs to move.
    assert!(path.is_empty(), "{path:?}");
    let replay = to_scenario(&model, &scenario, path);
    let mut sim = Sim::new(&replay, RunOptions::default());
    sim.run_until(Time(1_000), u64::MAX);
    assert_eq!(sim.violation().map(|v| v.invariant), Some(name));
}
