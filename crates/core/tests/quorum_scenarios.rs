//! The quorum store's and the gossip cache's example scenarios, each
//! showing one behaviour, and regions.

mod common;

use common::*;
use splitbrain_core::protocol::RoleKind;
use splitbrain_core::protocols::gossip::GossipConfig;
use splitbrain_core::protocols::quorum::{divergence, QuorumConfig};
use splitbrain_core::scenario::{Latency, Regions, Workload};
use splitbrain_core::sim::{ClientOp, OpResult};
use splitbrain_core::version::{audit, Audit, KeyVersions, Versioning};
use splitbrain_core::*;

fn run_example(name: &str) -> Sim {
    let s = example(name);
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(s.until.unwrap(), u64::MAX);
    assert!(sim.violation().is_none(), "{name}: {:?}", sim.violation());
    sim
}

fn surviving(sim: &Sim) -> Vec<KeyVersions> {
    (0..sim.node_count() as u16)
        .flat_map(|n| sim.stored_versions(NodeId(n)))
        .collect()
}

fn audit_of(sim: &Sim, mode: Versioning) -> Audit {
    audit(&sim.history().to_vec(), &surviving(sim), mode)
}

fn value(op: &ClientOp) -> Option<String> {
    match &op.result {
        Some((_, OpResult::Ok { value })) => value.clone(),
        other => panic!("{} did not succeed: {other:?}", op.op),
    }
}

#[test]
fn r_plus_w_at_most_n_shows_a_stale_read() {
    let sim = run_example("quorum-stale-read.json");
    let h = sim.history();
    // The put, then the read on n1 (cut off with its own stale copy) and
    // the read on the majority side.
    assert_eq!(value(&h[1]), None, "n1 answers from its own copy");
    assert_eq!(h[1].detail.as_ref().unwrap().replicas, [NodeId(1)]);
    assert_eq!(value(&h[2]).as_deref(), Some("1"));
    // After the heal, anti-entropy has brought n1 up to date.
    assert_eq!(value(&h[3]).as_deref(), Some("1"));
    let a = audit_of(&sim, Versioning::VectorClock);
    assert_eq!(a.stale, [h[1].id], "{a:?}");

    // The same script with R+W>N: the cut-off read fails instead of lying.
    let mut s = example("quorum-stale-read.json");
    s.protocol = ProtocolConfig::Quorum(QuorumConfig::default());
    let mut strict = build(&s, RunOptions::default()).unwrap();
    strict.run_until(s.until.unwrap(), u64::MAX);
    let h = strict.history();
    assert!(
        matches!(h[1].result, Some((_, OpResult::Fail { .. }))),
        "{:?}",
        h[1]
    );
    assert!(audit_of(&strict, Versioning::VectorClock).stale.is_empty());
}

#[test]
fn vector_clocks_keep_both_concurrent_writes_where_lww_loses_one() {
    let vc = run_example("quorum-siblings.json");
    let read = &vc.history()[2];
    assert_eq!(value(read).as_deref(), Some("left | right"));
    let a = audit_of(&vc, Versioning::VectorClock);
    assert_eq!(a.siblings, [read.id]);
    assert!(a.lost.is_empty(), "{a:?}");

    let lww = run_example("quorum-lww-lost-update.json");
    let read = &lww.history()[2];
    assert_eq!(
        value(read).as_deref(),
        Some("right"),
        "the later stamp wins"
    );
    let a = audit_of(&lww, Versioning::LastWriterWins);
    assert!(a.siblings.is_empty());
    // The write of "left" was acknowledged, and is gone everywhere.
    assert_eq!(a.lost, [lww.history()[0].id], "{a:?}");
    let s = example("quorum-lww-lost-update.json");
    let ProtocolConfig::Quorum(c) = &s.protocol else {
        unreachable!()
    };
    let stored: Vec<_> = (0..s.nodes)
        .map(|n| lww.stored_versions(NodeId(n)))
        .collect();
    assert!(divergence(c, &stored).is_empty());
}

#[test]
fn the_raft_cap_scenario_partitions_off_the_leader() {
    // The CAP comparison relies on the leader being in the minority.
    let s = example("cap-raft-partition.json");
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(secs(1.99), u64::MAX);
    let leader = current_leader(&sim).expect("a leader by 2s");
    assert!([NodeId(1), NodeId(4)].contains(&leader), "leader {leader}");
    assert_eq!(sim.node_view(leader).role, RoleKind::Leader);
}

fn gossip_scenario(versioning: Versioning) -> Scenario {
    let mut s = Scenario::new(
        ProtocolConfig::Gossip(GossipConfig {
            versioning,
            ..GossipConfig::default()
        }),
        5,
        3,
    );
    s.workload = Some(Workload {
        clients: 4,
        keys: 3,
        reads: 0.5,
        stop: Some(Time(6_000_000)),
        ..Workload::default()
    });
    s.actions = vec![
        TimedAction {
            at: secs(1.0),
            action: Action::Partition {
                groups: vec![vec![NodeId(0), NodeId(1)]],
            },
        },
        TimedAction {
            at: secs(4.0),
            action: Action::Heal,
        },
    ];
    s
}

#[test]
fn the_gossip_cache_is_always_available_and_converges() {
    for mode in [Versioning::LastWriterWins, Versioning::VectorClock] {
        let s = gossip_scenario(mode);
        let mut sim = build(&s, RunOptions::default()).unwrap();
        sim.run_until(secs(10.0), u64::MAX);
        assert!(sim.violation().is_none());
        let stats = sim.stats();
        assert_eq!(stats.ok, stats.requests, "every request answered at once");
        let a = audit_of(&sim, mode);
        assert!(!a.stale.is_empty(), "reads miss writes made elsewhere");
        if mode == Versioning::LastWriterWins {
            assert!(!a.lost.is_empty(), "concurrent writes lose all but one");
        } else {
            assert!(a.lost.is_empty(), "{a:?}");
        }
        // Every node holds the same versions of every key.
        let first = sim.stored_versions(NodeId(0));
        for n in 1..5 {
            assert_eq!(sim.stored_versions(NodeId(n)), first, "n{n} differs");
        }
        println!(
            "gossip {mode:?}: {} stale of {} reads, {} lost of {} writes",
            a.stale.len(),
            a.reads,
            a.lost.len(),
            a.writes
        );
    }
}

#[test]
fn regions_set_latencies_deterministically() {
    let mut s = example("quorum-sweep.json");
    s.faults = None;
    s.network.loss = 0.0;
    s.network.duplicate = 0.0;
    s.network.regions = Some(Regions {
        of: vec![0, 0, 0, 1, 1],
        within: Latency {
            min: Span::from_millis(1),
            max: Span::from_millis(1),
        },
        across: Latency {
            min: Span::from_millis(80),
            max: Span::from_millis(80),
        },
        matrix: Vec::new(),
    });
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(secs(3.0), u64::MAX);
    let mut seen = (0, 0);
    let mut flights = Vec::new();
    sim.for_each_in_flight(&mut |f| flights.push(*f));
    // Every delivery took exactly the latency of its region pair.
    let trace = sim.trace().events();
    let mut sent = std::collections::BTreeMap::new();
    for e in trace {
        match e.kind {
            trace::EventKind::Send => {
                sent.insert(e.arg, e.time);
            }
            trace::EventKind::Deliver => {
                let took = e.time.since(sent[&e.arg]);
                let across = (e.node.0 >= 3) != (e.peer.0 >= 3);
                let expect = if across { 80 } else { 1 };
                assert_eq!(took, Span::from_millis(expect), "{e:?}");
                if across {
                    seen.1 += 1
                } else {
                    seen.0 += 1
                }
            }
            _ => {}
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "{seen:?}");
    // The same scenario, the same trace.
    let mut again = build(&s, RunOptions::default()).unwrap();
    again.run_until(secs(3.0), u64::MAX);
    assert_eq!(again.trace().hash(), sim.trace().hash());
    // Slower links make the same workload's requests slower.
    let mean = |sim: &Sim| {
        let done: Vec<u64> = sim
            .history()
            .iter()
            .filter_map(|o| o.result.as_ref().map(|(t, _)| t.since(o.invoke).0))
            .collect();
        done.iter().sum::<u64>() as f64 / done.len() as f64
    };
    let mut flat = s.clone();
    flat.network.regions = None;
    let mut near = build(&flat, RunOptions::default()).unwrap();
    near.run_until(secs(3.0), u64::MAX);
    assert!(mean(&sim) > mean(&near));
    let _ = flights;
}

#[test]
fn region_validation_names_the_field() {
    let mut s = example("quorum-sweep.json");
    s.network.regions = Some(Regions {
        of: vec![0, 1],
        within: Latency::default(),
        across: Latency::default(),
        matrix: Vec::new(),
    });
    assert_eq!(s.validate().unwrap_err().path, "network.regions.of");
    let text = r#"{"protocol":{"name":"quorum","r":4},"nodes":5}"#;
    let bad: Scenario = serde_json::from_str(text).unwrap();
    let e = bad.validate().unwrap_err();
    assert_eq!(e.path, "protocol.r", "{e}");
    let weak = r#"{"protocol":{"name":"quorum","n":3,"r":1,"w":1},"nodes":3}"#;
    let weak: Scenario = serde_json::from_str(weak).unwrap();
    assert!(weak.validate().is_ok(), "R+W<=N is allowed");
}
