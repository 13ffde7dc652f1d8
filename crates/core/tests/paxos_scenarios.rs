//! Paxos and Multi-Paxos, scenario by scenario: each test drives a whole
//! simulated cluster through one situation and asserts one property.

mod common;

use common::*;
use splitbrain_core::protocol::RoleKind;
use splitbrain_core::protocols::multi_paxos::MultiPaxosConfig;
use splitbrain_core::protocols::paxos::PaxosConfig;
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

fn load(file: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/scenarios")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn paxos(nodes: u16, seed: u64) -> Scenario {
    Scenario::new(ProtocolConfig::Paxos(PaxosConfig::default()), nodes, seed)
}

fn multi_paxos(nodes: u16, seed: u64) -> Scenario {
    Scenario::new(
        ProtocolConfig::MultiPaxos(MultiPaxosConfig::default()),
        nodes,
        seed,
    )
}

/// What each node learned, as the inspector shows it.
fn learned(sim: &Sim) -> Vec<Option<String>> {
    (0..sim.node_count() as u16)
        .map(|n| {
            sim.node_detail(NodeId(n))
                .kv
                .into_iter()
                .find(|(k, _)| k == "chosen")
                .map(|(_, v)| v)
        })
        .collect()
}

fn ok(op: &splitbrain_core::sim::ClientOp) -> bool {
    matches!(op.result, Some((_, OpResult::Ok { .. })))
}

/// Two proposers, five acceptors: one value is chosen, every node learns
/// it, and it is one of the two proposed.
#[test]
fn two_proposers_one_value_learned_everywhere() {
    for seed in 0..50 {
        let sim = run(&paxos(5, seed), secs(2.0));
        assert!(sim.violation().is_none(), "seed {seed}");
        let learned = learned(&sim);
        let first = learned[0].clone().expect("n0 learned");
        assert!(first == "v0" || first == "v1", "seed {seed}: {first}");
        assert!(
            learned.iter().all(|v| v.as_deref() == Some(&*first)),
            "seed {seed}: {learned:?}"
        );
    }
}

/// A proposer cut off while another gets "v0" chosen comes back with a
/// higher ballot, finds "v0" in the promises, and proposes it again instead
/// of its own value. The naive variant, given the same run, overwrites it
/// (`paxos-naive-broken.json`).
#[test]
fn a_late_proposer_adopts_the_chosen_value() {
    let sim = run(&load("paxos-late-proposer.json"), secs(2.0));
    assert!(sim.violation().is_none());
    assert_eq!(learned(&sim)[1].as_deref(), Some("v0"));
    assert!(
        sim.node_view(NodeId(1)).term > 3,
        "n1 went to a higher ballot"
    );
    let naive = run(&load("paxos-naive-broken.json"), secs(2.0));
    let v = naive.violation().expect("the naive variant chooses twice");
    assert_eq!(v.invariant, "agreement");
}

/// Dueling proposers: each one's Prepare lands just before the other's
/// Accept, so ballot after ballot is preempted. Nothing unsafe happens, and
/// the randomised retries end the duel, but only after many rounds.
#[test]
fn dueling_proposers_take_many_ballots_to_decide() {
    let scenario = load("paxos-duel.json");
    let mut sim = build(&scenario, RunOptions::default()).unwrap();
    while sim.decided() == 0 && sim.step() {}
    let decided_at = sim.now();
    let ballot = (0..3).map(|n| sim.node_view(NodeId(n)).term).max().unwrap();
    let rounds = ballot / 3;
    assert!(sim.violation().is_none());
    assert!(
        rounds >= 20 && decided_at > secs(0.5),
        "decided in round {rounds} at {decided_at}"
    );
    // Uncontended, the same cluster decides within two round trips.
    let mut alone = scenario.clone();
    let ProtocolConfig::Paxos(config) = &mut alone.protocol else {
        unreachable!()
    };
    config.proposers = Some(vec![NodeId(0)]);
    let mut sim = build(&alone, RunOptions::default()).unwrap();
    while sim.decided() == 0 && sim.step() {}
    assert!(sim.now() < secs(0.08), "alone, decided at {}", sim.now());
}

/// The value survives the crash of acceptors that accepted it: their
/// votes are on disk. A proposal forced after everyone restarted chooses
/// the same value again.
#[test]
fn chosen_value_survives_crashes_and_later_proposals() {
    let mut sim = run(&paxos(3, 4), secs(1.0));
    let value = learned(&sim)[0].clone().expect("decided by 1s");
    for n in 0..3 {
        sim.act(Action::Crash { node: NodeId(n) }).unwrap();
    }
    let down = sim.node_view(NodeId(2));
    assert_eq!(down.role, RoleKind::Down);
    assert_eq!(down.commit_index, 1, "the learned value is durable too");
    for n in 0..3 {
        sim.act(Action::Restart { node: NodeId(n) }).unwrap();
    }
    sim.act(Action::Timeout { node: NodeId(2) }).unwrap();
    sim.run_until(secs(2.0), u64::MAX);
    assert!(sim.node_view(NodeId(2)).term > 3, "n2 ran a new ballot");
    assert!(sim.violation().is_none());
    assert!(learned(&sim).iter().all(|v| v.as_deref() == Some(&*value)));
}

/// A client's put to a proposer proposes its pair: the first put wins, a
/// later put fails, and reads return the winner for its key and nothing
/// for any other.
#[test]
fn client_puts_race_for_the_register() {
    let mut s = paxos(3, 9);
    let ProtocolConfig::Paxos(config) = &mut s.protocol else {
        unreachable!()
    };
    config.start = None; // only clients propose
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.act(put(0, "k", "first")).unwrap();
    sim.run_until(secs(0.5), u64::MAX);
    sim.act(put(1, "k", "second")).unwrap();
    for key in ["k", "other"] {
        sim.act(Action::Request {
            node: NodeId(2),
            client: None,
            op: protocol::Op::Get { key: key.into() },
        })
        .unwrap();
    }
    sim.run_until(secs(1.0), u64::MAX);
    let h = sim.history();
    assert!(ok(&h[0]), "{:?}", h[0]);
    assert!(
        matches!(h[1].result, Some((_, OpResult::Fail { .. }))),
        "{:?}",
        h[1]
    );
    assert!(
        matches!(&h[2].result, Some((_, OpResult::Ok { value: Some(v) })) if v == "first"),
        "{:?}",
        h[2]
    );
    assert!(
        matches!(h[3].result, Some((_, OpResult::Ok { value: None }))),
        "{:?}",
        h[3]
    );
}

/// Cost per decision: one uncontended ballot on five nodes is 4 Prepare,
/// 4 Promise, 4 Accept and 5 × 4 Accepted (every acceptor tells every
/// learner): 32 messages.
#[test]
fn one_uncontended_ballot_costs_32_messages_on_five_nodes() {
    let mut s = paxos(5, 1);
    let ProtocolConfig::Paxos(config) = &mut s.protocol else {
        unreachable!()
    };
    config.proposers = Some(vec![NodeId(0)]);
    let sim = run(&s, secs(1.0));
    assert_eq!(sim.decided(), 1);
    assert_eq!(sim.stats().sent, 32);
}

/// A fresh cluster elects one leader through phase 1, which then serves
/// clients with phase 2 alone.
#[test]
fn multi_paxos_elects_one_leader_and_serves_clients() {
    for seed in 0..20 {
        let mut sim = build(&multi_paxos(5, seed), RunOptions::default()).unwrap();
        assert!(await_leader(&mut sim, secs(3.0)).is_some(), "seed {seed}");
        sim.run_until(secs(2.0), u64::MAX);
        let l = leaders(&sim);
        assert_eq!(l.len(), 1, "seed {seed}: {l:?}");
        let leader = l[0].0;
        sim.act(put(leader.0, "x", "1")).unwrap();
        sim.run_until(secs(2.5), u64::MAX);
        assert!(ok(&sim.history()[0]), "seed {seed}: {:?}", sim.history()[0]);
        assert!(sim.violation().is_none());
    }
}

/// After its leader crashes, the cluster elects another with a higher
/// ballot, and what was chosen before is still there.
#[test]
fn multi_paxos_leader_crash_keeps_the_log() {
    let mut sim = run(&multi_paxos(5, 3), secs(2.0));
    let (old, ballot) = leaders(&sim)[0];
    sim.act(put(old.0, "a", "1")).unwrap();
    sim.run_until(secs(2.5), u64::MAX);
    sim.act(Action::Crash { node: old }).unwrap();
    sim.run_until(secs(5.0), u64::MAX);
    let (new, new_ballot) = leaders(&sim)[0];
    assert_ne!(new, old);
    assert!(new_ballot > ballot);
    sim.act(put(new.0, "a", "2")).unwrap();
    sim.run_until(secs(5.5), u64::MAX);
    assert!(ok(&sim.history()[1]));
    let kv = sim.node_detail(new).kv;
    assert_eq!(kv, vec![("a".to_string(), "2".to_string())]);
}

/// A leader cut off in a minority keeps believing it leads (there are no
/// leases) but cannot get anything chosen; the majority elects a leader
/// that can, and after the heal the old leader is refused, steps down and
/// catches up.
#[test]
fn multi_paxos_minority_leader_cannot_commit() {
    for seed in 0..10 {
        let mut sim = run(&multi_paxos(5, seed), secs(2.0));
        let old = current_leader(&sim).expect("a leader by 2s");
        let other = NodeId((old.0 + 1) % 5);
        sim.act(Action::Partition {
            groups: vec![vec![old, other]],
        })
        .unwrap();
        sim.act(put(old.0, "x", "minority")).unwrap();
        sim.run_until(secs(3.0), u64::MAX);
        let majority_leader = leaders(&sim)
            .into_iter()
            .find(|(n, _)| *n != old && *n != other)
            .map(|(n, _)| n)
            .expect("the majority elects a leader");
        sim.act(put(majority_leader.0, "x", "majority")).unwrap();
        sim.run_until(secs(4.0), u64::MAX);
        assert_eq!(sim.node_view(old).role, RoleKind::Leader, "seed {seed}");
        sim.act(Action::Heal).unwrap();
        sim.run_until(secs(6.0), u64::MAX);
        let history = sim.history();
        assert!(!ok(&history[0]), "seed {seed}: {:?}", history[0]);
        assert!(ok(&history[1]), "seed {seed}: {:?}", history[1]);
        assert_ne!(sim.node_view(old).role, RoleKind::Leader, "seed {seed}");
        for n in 0..5 {
            let kv = sim.node_detail(NodeId(n)).kv;
            assert_eq!(
                kv,
                vec![("x".into(), "majority".into())],
                "seed {seed} n{n}"
            );
        }
        assert!(sim.violation().is_none());
    }
}

/// A follower that was down while the log grew learns what it missed
/// from the leader (`CatchUp` / `Chosen`) and rebuilds the same map.
#[test]
fn multi_paxos_restarted_follower_catches_up() {
    let mut s = multi_paxos(3, 5);
    s.workload = Some(scenario::Workload {
        stop: Some(secs(3.0)),
        ..scenario::Workload::default()
    });
    let mut sim = run(&s, secs(1.0));
    let leader = current_leader(&sim).unwrap();
    let follower = NodeId((leader.0 + 1) % 3);
    sim.act(Action::Crash { node: follower }).unwrap();
    sim.run_until(secs(2.5), u64::MAX);
    let behind = sim.node_view(follower).commit_index;
    sim.act(Action::Restart { node: follower }).unwrap();
    sim.run_until(secs(4.0), u64::MAX);
    let lead = sim.node_view(leader);
    let caught_up = sim.node_view(follower);
    assert!(lead.commit_index > behind + 10, "the log grew meanwhile");
    assert_eq!(caught_up.commit_index, lead.commit_index);
    assert_eq!(sim.node_detail(follower).kv, sim.node_detail(leader).kv);
}

/// The same closed-loop workload on Raft and on Multi-Paxos: both serve it
/// with the same interface, and neither loses a write.
#[test]
fn multi_paxos_and_raft_serve_the_same_workload() {
    for protocol in [
        ProtocolConfig::Raft(splitbrain_core::protocols::raft::RaftConfig::default()),
        ProtocolConfig::MultiPaxos(MultiPaxosConfig::default()),
    ] {
        let mut s = Scenario::new(protocol, 5, 12);
        s.workload = Some(scenario::Workload {
            stop: Some(secs(4.0)),
            ..scenario::Workload::default()
        });
        let sim = run(&s, secs(5.0));
        let done = sim.history().iter().filter(|op| ok(op)).count();
        assert!(done > 50, "{}: {done} requests ok", s.protocol.name());
        assert!(sim.violation().is_none());
        assert_eq!(sim.stats().unknown, 0, "{}", s.protocol.name());
    }
}

/// Same seed, same trace; a different seed, a different one.
#[test]
fn paxos_runs_are_deterministic() {
    for base in [load("paxos-sweep.json"), load("multi-paxos-sweep.json")] {
        let until = base.until.unwrap();
        let a = run(&base, until);
        let b = run(&base, until);
        assert_eq!(a.trace().hash(), b.trace().hash());
        let mut other = base.clone();
        other.seed += 1;
        assert_ne!(run(&other, until).trace().hash(), a.trace().hash());
    }
}
