//! The lock service: a worker paused past its lease writes late. With
//! fencing the storage node rejects the stale write; without it the file
//! is corrupted and the checker says so.

mod common;

use common::*;
use splitbrain_core::protocols::lock::{LockConfig, STORAGE};
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

fn run_example(name: &str) -> Sim {
    let s = example(name);
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(s.until.unwrap(), u64::MAX);
    sim
}

#[test]
fn fencing_rejects_the_paused_workers_stale_write() {
    let sim = run_example("lock-service-fencing.json");
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    let h = sim.history();
    match &h[0].result {
        Some((_, OpResult::Fail { reason })) => assert!(reason.contains("token 1"), "{reason}"),
        other => panic!("the paused write should fail: {other:?}"),
    }
    assert!(matches!(h[1].result, Some((_, OpResult::Ok { .. }))));
    assert!(
        matches!(&h[2].result, Some((_, OpResult::Ok { value: Some(v) })) if v == "from n3"),
        "{:?}",
        h[2]
    );
    // The file's history: n3's write with token 2, then n2's rejected one.
    let log = sim.node_detail(STORAGE).log;
    let rows: Vec<(u64, bool)> = log.iter().map(|e| (e.term, e.committed)).collect();
    assert_eq!(rows, [(2, true), (1, false)], "{log:?}");
    assert!(
        log[1].label.starts_with("rejected by n2"),
        "{}",
        log[1].label
    );
}

#[test]
fn without_fencing_the_stale_write_corrupts_the_file() {
    let sim = run_example("lock-service-no-fencing-broken.json");
    let v = sim.violation().expect("the checker catches the corruption");
    assert_eq!(v.invariant, "Writes land in lease order");
    assert_eq!(v.violation.nodes, [STORAGE, NodeId(2)]);
    let h = sim.history();
    assert!(
        matches!(&h[2].result, Some((_, OpResult::Ok { value: Some(v) })) if v == "from n2"),
        "the stale write won: {:?}",
        h[2]
    );
    let log = sim.node_detail(STORAGE).log;
    let rows: Vec<(u64, bool)> = log.iter().map(|e| (e.term, e.committed)).collect();
    assert_eq!(rows, [(2, true), (1, true)]);
}

#[test]
fn a_pause_shorter_than_the_lease_is_harmless_either_way() {
    for fencing in [true, false] {
        let mut s = example("lock-service-no-fencing-broken.json");
        s.protocol = ProtocolConfig::LockService(LockConfig {
            fencing,
            pauses: vec![splitbrain_core::protocols::lock::Pause {
                node: NodeId(2),
                pause: Span::from_millis(300),
            }],
            ..LockConfig::default()
        });
        let mut sim = build(&s, RunOptions::default()).unwrap();
        sim.run_until(s.until.unwrap(), u64::MAX);
        assert!(sim.violation().is_none());
        assert_eq!(sim.stats().ok, 3, "fencing {fencing}");
    }
}

#[test]
fn lock_service_validation_names_the_field() {
    let text =
        r#"{"protocol":{"name":"lock-service","pauses":[{"node":1,"pause":"1s"}]},"nodes":4}"#;
    let s: Scenario = serde_json::from_str(text).unwrap();
    assert_eq!(s.validate().unwrap_err().path, "protocol.pauses[0].node");
    let text = r#"{"protocol":{"name":"lock-service"},"nodes":2}"#;
    let s: Scenario = serde_json::from_str(text).unwrap();
    assert!(s.validate().unwrap_err().message.contains("at least 3"));
}

fn storage_rows(sim: &Sim, storage: NodeId) -> Vec<(u64, bool)> {
    let log = sim.node_detail(storage).log;
    log.iter().map(|e| (e.term, e.committed)).collect()
}

/// The lock leader (n0) crashes while n4 holds a lease and is paused. The
/// other two replicas elect a new leader, which first commits a no-op and
/// then grants n5 a larger token than any before; n4 wakes and writes
/// with its old token, and the storage node rejects it.
#[test]
fn a_new_lock_leader_grants_larger_tokens_and_fencing_still_holds() {
    let s = example("lock-service-replicated-leader-crash.json");
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(Time(1_400_000), u64::MAX);
    let v = sim.node_view(NodeId(0));
    assert_eq!((v.role_label, v.term), ("lock leader", 1));
    assert_eq!(sim.node_view(NodeId(4)).role_label, "paused");
    sim.run_until(s.until.unwrap(), u64::MAX);
    assert!(sim.violation().is_none(), "{:?}", sim.violation());

    let h = sim.history();
    match &h[0].result {
        Some((_, OpResult::Fail { reason })) => assert!(reason.contains("token 2"), "{reason}"),
        other => panic!("the paused write should fail: {other:?}"),
    }
    assert!(matches!(h[1].result, Some((_, OpResult::Ok { .. }))));
    assert!(
        matches!(&h[2].result, Some((_, OpResult::Ok { value: Some(v) })) if v == "from n5"),
        "{:?}",
        h[2]
    );
    // The file's history: n5's write with the new leader's token 4, then
    // n4's rejected one with the old leader's token 2.
    assert_eq!(storage_rows(&sim, NodeId(3)), [(4, true), (2, false)]);

    // Every replica, the restarted old leader included, ends with the same
    // committed log: token 2 granted in term 1, token 4 in term 2.
    let logs: Vec<Vec<(u64, u64, String)>> = (0..3)
        .map(|n| {
            sim.node_detail(NodeId(n))
                .log
                .into_iter()
                .filter(|e| e.committed)
                .map(|e| (e.index, e.term, e.label))
                .collect()
        })
        .collect();
    assert!(logs.iter().all(|l| *l == logs[0]), "{logs:#?}");
    let grants: Vec<(u64, u64)> = logs[0]
        .iter()
        .filter(|(_, _, l)| l.starts_with("grant"))
        .map(|(i, t, _)| (*i, *t))
        .collect();
    assert_eq!(grants, [(2, 1), (4, 2)]);
    let leaders: Vec<u16> = (0..3)
        .filter(|n| sim.node_view(NodeId(*n)).role_label == "lock leader")
        .collect();
    assert_eq!(leaders.len(), 1);
    assert_ne!(leaders[0], 0, "the old leader came back as a follower");
}

/// Replicating the lock does not make the pause safe: without fencing the
/// paused worker's late write still lands after the new holder's.
#[test]
fn a_replicated_lock_without_fencing_still_corrupts_the_file() {
    let mut s = example("lock-service-replicated-leader-crash.json");
    let ProtocolConfig::LockService(c) = &mut s.protocol else {
        unreachable!()
    };
    c.fencing = false;
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(s.until.unwrap(), u64::MAX);
    let v = sim.violation().expect("the checker catches the corruption");
    assert_eq!(v.invariant, "Writes land in lease order");
    assert_eq!(v.violation.nodes, [NodeId(3), NodeId(4)]);
}

/// Random crashes and partitions of every node (lock replicas, storage,
/// workers) while workers take turns: after every event no token is
/// committed twice and no stale write is accepted, and once the faults
/// stop a worker gets the lock again.
#[test]
fn replicated_lock_sweep_keeps_tokens_unique_and_writes_in_order() {
    let seeds: u64 = std::env::var("SPLITBRAIN_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000);
    let mut leader_changes = 0;
    for seed in 0..seeds {
        let text = format!(
            r#"{{
  "protocol": {{ "name": "lock-service", "lease": "500ms", "replicas": 3,
                "pauses": [{{ "node": 4, "pause": "1200ms" }}] }},
  "nodes": 7, "seed": {seed},
  "clients": {{ "timeout": "3s" }},
  "faults": {{ "until": "6s", "every": "400ms" }},
  "until": "10s"
}}"#
        );
        let mut s: Scenario = serde_json::from_str(&text).unwrap();
        // Writes from workers n4 and n5 every 300 ms (client numbers
        // unique per request), and one from n6 after the faults stop.
        let mut actions = Vec::new();
        for i in 0..18u64 {
            let node = 4 + (i + seed) % 2;
            actions.push(format!(
                r#"{{ "at": "{}ms", "action": {{ "kind": "request", "node": {node}, "client": {}, "op": {{ "op": "put", "key": "file", "value": "w{i}" }} }} }}"#,
                500 + 300 * i,
                i + 1
            ));
        }
        actions.push(r#"{ "at": "7s", "action": { "kind": "request", "node": 6, "client": 99, "op": { "op": "put", "key": "file", "value": "after" } } }"#.to_owned());
        s.actions = serde_json::from_str(&format!("[{}]", actions.join(","))).unwrap();
        s.validate().unwrap();
        let mut sim = build(&s, RunOptions::default()).unwrap();
        sim.run_until(s.until.unwrap(), u64::MAX);
        if let Some(v) = sim.violation() {
            panic!(
                "seed {seed}: {} at {}: {}",
                v.invariant, v.time, v.violation.message
            );
        }
        let last = sim
            .history()
            .iter()
            .find(|o| o.client == ClientId(99))
            .unwrap();
        assert!(
            matches!(last.result, Some((_, OpResult::Ok { .. }))),
            "seed {seed}: after the faults the lock is granted again: {:?}",
            last.result
        );
        if (0..3).any(|n| sim.node_view(NodeId(n)).term > 1) {
            leader_changes += 1;
        }
    }
    println!("{leader_changes} of {seeds} runs changed lock leader");
    assert!(
        leader_changes * 2 > seeds,
        "the faults must reach the leader"
    );
}

#[test]
fn replicated_lock_validation_names_the_field() {
    let bad = |text: &str| {
        let s: Scenario = serde_json::from_str(text).unwrap();
        s.validate().unwrap_err()
    };
    let e = bad(r#"{"protocol":{"name":"lock-service","replicas":2},"nodes":6}"#);
    assert_eq!(e.path, "protocol.replicas");
    let e = bad(r#"{"protocol":{"name":"lock-service","replicas":3},"nodes":4}"#);
    assert!(e.message.contains("at least 5"), "{}", e.message);
    let e = bad(
        r#"{"protocol":{"name":"lock-service","replicas":3,"pauses":[{"node":3,"pause":"1s"}]},"nodes":6}"#,
    );
    assert_eq!(e.path, "protocol.pauses[0].node");
    assert!(e.message.contains("n4"), "{}", e.message);
    // The single server stays the default, and is not written out.
    let s: Scenario =
        serde_json::from_str(r#"{"protocol":{"name":"lock-service"},"nodes":4}"#).unwrap();
    assert!(!serde_json::to_string(&s).unwrap().contains("replicas"));
}

/// Appends carry only what a follower lacks: however long the lock log
/// grows under steady load, heartbeats stay a few bytes.
#[test]
fn replicated_lock_messages_stay_small_as_the_log_grows() {
    let text = r#"{
  "protocol": { "name": "lock-service", "replicas": 3 },
  "nodes": 6, "seed": 3,
  "workload": { "clients": 4, "reads": 0.0 }
}"#;
    let s: Scenario = serde_json::from_str(text).unwrap();
    let mut sim = build(&s, RunOptions::default()).unwrap();
    let mut sizes = Vec::new();
    for secs in [10u64, 40] {
        sim.run_until(Time(secs * 1_000_000), u64::MAX);
        let st = sim.stats();
        sizes.push(st.bytes as f64 / st.sent as f64);
    }
    let log = sim.node_detail(NodeId(0)).log.len();
    println!("lock log {log} entries; mean message size {sizes:?} bytes");
    assert!(log > 100, "the log grew: {log}");
    assert!(sizes[1] < 40.0 && sizes[1] <= sizes[0] * 1.2, "{sizes:?}");
}
