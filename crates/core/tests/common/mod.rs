//! Helpers shared by the integration tests.
#![allow(dead_code)]

use splitbrain_core::protocol::RoleKind;
use splitbrain_core::protocols::raft::RaftConfig;
use splitbrain_core::*;

pub fn raft(nodes: u16, seed: u64) -> Scenario {
    Scenario::new(ProtocolConfig::Raft(RaftConfig::default()), nodes, seed)
}

pub fn run(scenario: &Scenario, until: Time) -> Sim {
    let mut sim = build(scenario, RunOptions::default()).expect("valid scenario");
    sim.run_until(until, u64::MAX);
    sim
}

pub fn secs(s: f64) -> Time {
    Time((s * 1e6) as u64)
}

/// The running leaders, with their terms.
pub fn leaders(sim: &Sim) -> Vec<(NodeId, u64)> {
    (0..sim.node_count() as u16)
        .map(NodeId)
        .filter(|n| sim.is_up(*n))
        .filter_map(|n| {
            let v = sim.node_view(n);
            (v.role == RoleKind::Leader).then_some((n, v.term))
        })
        .collect()
}

/// The leader of the highest term, if any node leads.
pub fn current_leader(sim: &Sim) -> Option<NodeId> {
    leaders(sim)
        .into_iter()
        .max_by_key(|(_, t)| *t)
        .map(|(n, _)| n)
}

/// Runs until a leader appears or `limit` passes; the time it appeared.
pub fn await_leader(sim: &mut Sim, limit: Time) -> Option<Time> {
    while sim.now() < limit {
        if current_leader(sim).is_some() {
            return Some(sim.now());
        }
        if !sim.step() {
            return None;
        }
    }
    None
}

pub fn put(node: u16, key: &str, value: &str) -> Action {
    Action::Request {
        node: NodeId(node),
        client: None,
        op: protocol::Op::Put {
            key: key.into(),
            value: value.into(),
        },
    }
}

/// Loads an example scenario from web/scenarios.
pub fn example(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/scenarios")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The role label each node shows.
pub fn labels(sim: &Sim) -> Vec<&'static str> {
    (0..sim.node_count() as u16)
        .map(|n| sim.node_view(NodeId(n)).role_label)
        .collect()
}

/// Replays an explorer's counterexample as a scenario in the simulator
/// (what the CLI's `--out` writes and the app's Play loads): it
/// round-trips through JSON, nothing breaks before its last script step,
/// and `invariant` breaks at it.
pub fn replays<P: splitbrain_core::protocol::Protocol>(
    model: &splitbrain_core::explore::protocol::ProtocolModel<P>,
    base: &Scenario,
    path: &[splitbrain_core::explore::protocol::Step],
    invariant: &str,
) -> Scenario {
    let scenario = splitbrain_core::explore::protocol::to_scenario(model, base, path);
    scenario.validate().expect("a valid scenario");
    let json = serde_json::to_string(&scenario).unwrap();
    let back: Scenario = serde_json::from_str(&json).unwrap();
    assert_eq!(back, scenario, "round-trips through JSON");
    let mut sim = Sim::new(&scenario, RunOptions::default());
    while sim.script_position() < path.len() {
        assert!(
            sim.violation().is_none(),
            "broke early, at script step {}",
            sim.script_position()
        );
        assert!(sim.step());
    }
    let found = sim.violation().expect("the replay breaks the invariant");
    assert_eq!(found.invariant, invariant);
    scenario
}

/// Six membership changes at times (0.5 s to 7.5 s) and of servers drawn
/// from `seed`, for a five-slot cluster whose first four slots vote: adding
/// a spare or removing a voter, whichever the draw finds, never leaving
/// fewer than three voters. A small generator of its own, so the draws do
/// not depend on the simulator's streams. Inserted into `s.actions` in
/// time order.
pub fn membership_changes(s: &mut Scenario, seed: u64) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut draw = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut voters = 0b01111u64;
    for _ in 0..6 {
        let at = secs(0.5 + draw(7_000) as f64 / 1000.0);
        let node = draw(5) as u16;
        let action = if voters & (1 << node) == 0 {
            voters |= 1 << node;
            Action::AddServer { node: NodeId(node) }
        } else if voters.count_ones() > 3 {
            voters &= !(1 << node);
            Action::RemoveServer { node: NodeId(node) }
        } else {
            continue;
        };
        let i = s.actions.partition_point(|a| a.at <= at);
        s.actions.insert(i, TimedAction { at, action });
    }
}
