//! Raft's log compaction (§7) in whole runs: off by default and validated;
//! a follower back from a long outage catches up by InstallSnapshot; the
//! seed sweep with snapshots (crashes, restarts, partitions, membership
//! changes) stays safe and converges; a million-event run keeps every log
//! within a bound set by `snapshot_every`.
//!
//! `SPLITBRAIN_SEEDS=N` changes how many seeds the sweep runs per setting
//! (default 300).

mod common;

use common::*;
use splitbrain_core::cluster::Nodes;
use splitbrain_core::protocol::Slot;
use splitbrain_core::protocols::raft::{Raft, RaftConfig};
use splitbrain_core::registry::Variant;
use splitbrain_core::sim::OpResult;
use splitbrain_core::trace::EventKind;
use splitbrain_core::*;

fn scenario_file(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/scenarios")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("the scenario file exists");
    serde_json::from_str(&text).expect("the scenario parses")
}

fn with(mut s: Scenario, f: impl FnOnce(&mut RaftConfig)) -> Scenario {
    f(RaftConfig::of_mut(&mut s.protocol).expect("a Raft scenario"));
    s
}

fn rafts(sim: &Sim) -> &Nodes<Raft> {
    sim.cluster()
        .as_any()
        .downcast_ref::<Nodes<Raft>>()
        .expect("a Raft run")
}

/// Entries each node keeps in its log (a crashed node's durable one).
fn log_lengths(sim: &Sim) -> Vec<usize> {
    rafts(sim)
        .slots()
        .iter()
        .map(|slot| match slot {
            Slot::Up(r) => r.log().len(),
            Slot::Down(d) => d.log.len(),
        })
        .collect()
}

const INSTALL_SNAPSHOT: &str = "InstallSnapshot";

/// How many InstallSnapshot messages went to `to`, read off the trace.
fn snapshots_sent_to(sim: &Sim, to: NodeId) -> usize {
    let kind = sim
        .msg_kinds()
        .iter()
        .position(|k| *k == INSTALL_SNAPSHOT)
        .expect("Raft has InstallSnapshot") as u8;
    sim.trace()
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::Send && e.tag == kind && e.peer == to)
        .count()
}

#[test]
fn compaction_is_off_by_default_and_bad_intervals_name_the_field() {
    assert_eq!(RaftConfig::default().snapshot_every, None);
    let json = serde_json::to_string(&ProtocolConfig::Raft(RaftConfig::default())).unwrap();
    assert!(!json.contains("snapshot"), "{json}");
    let on: ProtocolConfig =
        serde_json::from_str(r#"{"name":"raft","snapshot_every":20}"#).unwrap();
    assert_eq!(RaftConfig::of(&on).unwrap().snapshot_every, Some(20));
    let back: ProtocolConfig = serde_json::from_str(&serde_json::to_string(&on).unwrap()).unwrap();
    assert_eq!(back, on);
    for bad in ["0", "1000001"] {
        let text = format!(r#"{{"protocol":{{"name":"raft","snapshot_every":{bad}}},"nodes":5}}"#);
        let s: Scenario = serde_json::from_str(&text).unwrap();
        let e = build(&s, RunOptions::default()).err().unwrap().to_string();
        assert!(e.starts_with("protocol.snapshot_every:"), "{e}");
        assert!(e.contains(bad), "{e}");
    }
    let text = r#"{"protocol":{"name":"raft","snapshot_every":-1},"nodes":5}"#;
    assert!(serde_json::from_str::<Scenario>(text).is_err());
}

/// The gallery's tour: n4 is down from 1 s to 6 s while the others commit
/// and compact; back, it needs entries the leader no longer has, gets the
/// snapshot, and ends with everyone's state. Without compaction the same
/// run repairs n4 by AppendEntries alone.
#[test]
fn a_follower_back_from_a_long_outage_catches_up_by_snapshot() {
    let s = scenario_file("raft-snapshot-catch-up.json");
    let until = s.until.unwrap();
    let sim = run(&s, until);
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    let sent = snapshots_sent_to(&sim, NodeId(4));
    let installed = sim
        .node_detail(NodeId(4))
        .fields
        .into_iter()
        .find(|(k, _)| *k == "snapshots installed")
        .map(|(_, v)| v);
    println!("catch-up: {sent} InstallSnapshot to n4, installed {installed:?}");
    assert!(sent >= 1);
    assert_eq!(installed.as_deref(), Some("1"));
    let leader = current_leader(&sim).expect("a leader at the end");
    let want = sim.node_detail(leader);
    let n4 = sim.node_detail(NodeId(4));
    assert_eq!(n4.kv, want.kv);
    assert_eq!(
        sim.node_view(NodeId(4)).commit_index,
        sim.node_view(leader).commit_index
    );
    assert!(!want.kv.is_empty());

    let plain = run(&with(s.clone(), |c| c.snapshot_every = None), until);
    assert!(plain.violation().is_none());
    assert_eq!(snapshots_sent_to(&plain, NodeId(4)), 0);
    assert_eq!(
        plain.node_detail(NodeId(4)).log.len() as u64,
        plain.node_view(NodeId(4)).log_len,
        "without compaction n4 holds every entry"
    );
}
