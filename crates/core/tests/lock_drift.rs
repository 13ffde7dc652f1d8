//! The lock service under drifting clocks. A new lock leader must wait out
//! a lease plus the drift bound on its own clock before granting a lock an
//! earlier term granted; with the wait off, two workers hold the lock at
//! once, and fencing still keeps the stale write out of the file.

mod common;

use common::*;
use splitbrain_core::cluster::Nodes;
use splitbrain_core::protocol::{Checker, Slot};
use splitbrain_core::protocols::lock::{LockChecker, LockService};
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

const STORAGE: NodeId = NodeId(3);

fn run_to_end(s: &Scenario) -> Sim {
    let mut sim = build(s, RunOptions::default()).unwrap();
    sim.run_until(s.until.unwrap(), u64::MAX);
    sim
}

fn slots(sim: &Sim) -> &[Slot<LockService>] {
    sim.cluster()
        .as_any()
        .downcast_ref::<Nodes<LockService>>()
        .expect("a lock service run")
        .slots()
}

/// "Writes land in lease order" over the storage node's whole file history
/// as the run left it, whatever broke first.
fn file_check(sim: &Sim) -> Result<(), protocol::Violation> {
    let s = sim.scenario();
    let ProtocolConfig::LockService(config) = &s.protocol else {
        panic!("a lock service scenario")
    };
    let mut checker = LockChecker::new(usize::from(s.nodes), config);
    checker.check(slots(sim), STORAGE)
}

fn result(sim: &Sim, client: u32) -> Option<OpResult> {
    sim.history()
        .iter()
        .find(|o| o.client == id::ClientId(client))
        .and_then(|o| o.result.as_ref().map(|(_, r)| r.clone()))
}

#[test]
fn without_the_wait_two_workers_hold_the_lock_and_fencing_saves_the_file() {
    let sim = run_to_end(&example("lock-service-drift-overlap-broken.json"));
    let v = sim.violation().expect("the leases overlap");
    assert_eq!(v.invariant, "One lease holder at a time");
    assert_eq!(v.violation.nodes, [NodeId(4), NodeId(5)]);
    // The new leader granted before n4's lease ran out by n4's slow clock.
    assert!(v.time < secs(2.2), "{:?}", v.time);
    // n5 wrote; n4 woke from its pause and wrote with its stale token,
    // which the storage node turned away.
    assert!(matches!(result(&sim, 2), Some(OpResult::Ok { .. })));
    match result(&sim, 1) {
        Some(OpResult::Fail { reason }) => assert!(reason.contains("fencing token"), "{reason}"),
        other => panic!("the stale write must be rejected: {other:?}"),
    }
    assert!(
        matches!(result(&sim, 3), Some(OpResult::Ok { value: Some(v) }) if v == "from n5"),
        "{:?}",
        result(&sim, 3)
    );
    file_check(&sim).expect("the fenced file never accepts a stale write");
}

#[test]
fn without_fencing_the_overlap_corrupts_the_file() {
    let mut s = example("lock-service-drift-overlap-broken.json");
    let ProtocolConfig::LockService(config) = &mut s.protocol else {
        unreachable!()
    };
    config.fencing = false;
    let sim = run_to_end(&s);
    assert_eq!(
        sim.violation().unwrap().invariant,
        "One lease holder at a time"
    );
    let e = file_check(&sim).expect_err("n4's stale write lands after n5's");
    assert_eq!(e.invariant, 0);
    assert_eq!(e.nodes, [STORAGE, NodeId(4)]);
    assert!(
        matches!(result(&sim, 3), Some(OpResult::Ok { value: Some(v) }) if v == "from n4"),
        "{:?}",
        result(&sim, 3)
    );
}

#[test]
fn with_the_wait_and_drift_within_the_bound_leases_never_overlap() {
    let sim = run_to_end(&example("lock-service-drift-wait.json"));
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    file_check(&sim).unwrap();
    assert!(matches!(result(&sim, 2), Some(OpResult::Ok { .. })));
    assert!(matches!(result(&sim, 1), Some(OpResult::Fail { .. })));
    // The wait is why: n5's write waits for the new leader's wait.
    let n5 = sim
        .history()
        .iter()
        .find(|o| o.client == id::ClientId(2))
        .unwrap();
    let (done, _) = n5.result.as_ref().unwrap();
    assert!(*done > secs(2.5), "granted only after the wait: {done:?}");
}

#[test]
fn drift_settings_are_validated_and_stay_out_of_old_configs() {
    let config: protocols::lock::LockConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(config.drift_bound, None);
    assert!(config.leader_wait);
    let json = serde_json::to_string(&config).unwrap();
    assert!(!json.contains("drift") && !json.contains("wait"), "{json}");
}

/// A small deterministic generator for the sweep's clocks.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The sweep's scenario: three lock replicas, storage, three workers (n4
/// pauses past its lease), random crashes and partitions, and every node's
/// clock off by up to 2s and drifting by up to `max_ppm` either way.
fn sweep_scenario(seed: u64, drift_bound: &str, leader_wait: bool, max_ppm: i64) -> Scenario {
    let text = format!(
        r#"{{
  "protocol": {{ "name": "lock-service", "lease": "1s", "replicas": 3,
                "drift_bound": "{drift_bound}", "leader_wait": {leader_wait},
                "pauses": [{{ "node": 4, "pause": "2500ms" }}] }},
  "nodes": 7, "seed": {seed},
  "clients": {{ "timeout": "3s" }},
  "faults": {{ "until": "6s", "every": "400ms" }},
  "until": "10s"
}}"#
    );
    let mut s: Scenario = serde_json::from_str(&text).unwrap();
    let mut state = seed ^ 0x5eed;
    let mut clocks = Vec::new();
    for node in 0..7 {
        let offset = splitmix(&mut state) % 2_000_000;
        let ppm = (splitmix(&mut state) % (2 * max_ppm as u64 + 1)) as i64 - max_ppm;
        clocks.push(format!(
            r#"{{ "node": {node}, "offset": {offset}, "drift_ppm": {ppm} }}"#
        ));
    }
    s.clocks = serde_json::from_str(&format!("[{}]", clocks.join(","))).unwrap();
    let mut actions = Vec::new();
    for i in 0..18u64 {
        let node = 4 + (i + seed) % 3;
        actions.push(format!(
            r#"{{ "at": "{}ms", "action": {{ "kind": "request", "node": {node}, "client": {}, "op": {{ "op": "put", "key": "file", "value": "w{i}" }} }} }}"#,
            500 + 300 * i,
            i + 1
        ));
    }
    s.actions = serde_json::from_str(&format!("[{}]", actions.join(","))).unwrap();
    s.validate().unwrap();
    s
}

fn seeds(default: u64) -> u64 {
    std::env::var("SPLITBRAIN_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs the sweep; the seeds whose run broke an invariant, with its name.
fn sweep(drift_bound: &str, leader_wait: bool, max_ppm: i64) -> Vec<(u64, &'static str)> {
    (0..seeds(300))
        .filter_map(|seed| {
            let s = sweep_scenario(seed, drift_bound, leader_wait, max_ppm);
            let sim = run_to_end(&s);
            file_check(&sim).unwrap_or_else(|e| {
                panic!("seed {seed}: fencing let a stale write in: {}", e.message)
            });
            sim.violation().map(|v| (seed, v.invariant))
        })
        .collect()
}

/// Drift of ±10% against a 500ms lease needs about 110ms of bound; 125ms
/// is within it. Every seed stays clean.
#[test]
fn sweep_with_drift_within_the_bound_stays_clean() {
    let broken = sweep("250ms", true, 100_000);
    assert!(broken.is_empty(), "{broken:?}");
}

/// The same faults and clocks with the wait off: some seed's new leader
/// grants over a live lease. Fencing keeps every file in order (checked
/// in `sweep`).
#[test]
fn sweep_without_the_wait_finds_the_overlap() {
    let broken = sweep("250ms", false, 100_000);
    println!("{} seeds overlapped without the wait", broken.len());
    assert!(!broken.is_empty());
    assert!(
        broken
            .iter()
            .all(|(_, inv)| *inv == "One lease holder at a time"),
        "{broken:?}"
    );
}

/// A bound of zero is beyond what ±10% drift needs: leases overlap too.
#[test]
fn sweep_with_drift_beyond_the_bound_finds_the_overlap() {
    let broken = sweep("0ms", true, 100_000);
    println!("{} seeds overlapped beyond the bound", broken.len());
    assert!(!broken.is_empty());
    assert!(
        broken
            .iter()
            .all(|(_, inv)| *inv == "One lease holder at a time"),
        "{broken:?}"
    );
}
