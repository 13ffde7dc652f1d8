//! Raft is explorable: its node, durable and checker states hash and
//! compare, so the explorer can search a small cluster exhaustively. Within
//! small bounds (three nodes, two timer firings: an election, a leader and
//! its first AppendEntries, or a competing election) every reachable state
//! keeps Raft's five safety properties, breadth- and depth-first agreeing
//! on the count (pinned).

use splitbrain_core::explore::protocol::{Bounds, ProtocolModel};
use splitbrain_core::explore::{explore, Options, Strategy, Verdict};
use splitbrain_core::protocols::raft::{Raft, RaftConfig};
use splitbrain_core::{ProtocolConfig, Scenario};

fn model(bounds: Bounds) -> ProtocolModel<Raft> {
    let config = RaftConfig::default();
    let scenario = Scenario::new(ProtocolConfig::Raft(config.clone()), 3, 0);
    ProtocolModel::<Raft>::new(&scenario, config, bounds).unwrap()
}

fn holds(bounds: Bounds, strategy: Strategy) -> usize {
    let report = explore(
        &model(bounds),
        Options {
            strategy,
            max_states: Some(3_000_000),
            ..Options::default()
        },
    );
    assert!(report.complete, "bounded: the search must finish");
    for (name, _, verdict) in &report.verdicts {
        assert!(
            matches!(verdict, Verdict::Holds { .. }),
            "{name}: {verdict:?}"
        );
    }
    assert_eq!(report.verdicts.len(), 5, "Raft's five properties");
    report.unique_states
}

#[test]
fn raft_is_safe_within_small_bounds() {
    let bounds = Bounds {
        max_timer_fires: 2,
        max_in_flight: 4,
        ..Bounds::default()
    };
    let bfs = holds(bounds, Strategy::BreadthFirst);
    let dfs = holds(bounds, Strategy::DepthFirst);
    println!("raft, 3 nodes, 2 timer firings, 4 in flight: {bfs} states");
    assert_eq!(bfs, dfs);
    assert_eq!(bfs, 7_852);
}

#[test]
fn raft_with_a_crash_is_safe_within_small_bounds() {
    let bounds = Bounds {
        max_timer_fires: 2,
        max_in_flight: 3,
        max_crashes: 1,
        ..Bounds::default()
    };
    let n = holds(bounds, Strategy::BreadthFirst);
    println!("raft, 3 nodes, 2 timer firings, 3 in flight, 1 crash: {n} states");
    assert_eq!(n, 16_667);
}
