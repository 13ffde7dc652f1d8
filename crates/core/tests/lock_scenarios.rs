//! The lock service: a worker paused past its lease writes late. With
//! fencing the storage node rejects the stale write; without it the file
//! is corrupted and the checker says so.

mod common;

use common::*;
use splitbrain_core::protocols::lock::{LockConfig, STORAGE};
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

fn run_example(name: &str) -> Box<dyn Simulation> {
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
