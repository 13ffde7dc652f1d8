//! Raft, scenario by scenario: each test drives a whole simulated cluster
//! through one situation from the paper and asserts one property.

mod common;

use common::*;
use splitbrain_core::protocol::RoleKind;
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

/// Reference: §5.2. A fresh cluster elects exactly one leader, within a few
/// election timeouts.
#[test]
fn s5_2_a_fresh_cluster_elects_one_leader() {
    for seed in 0..50 {
        let mut sim = build(&raft(5, seed), RunOptions::default()).unwrap();
        let at = await_leader(&mut sim, secs(3.0));
        assert!(at.is_some(), "seed {seed}: no leader within 3s");
        sim.run_until(secs(3.0), u64::MAX);
        let l = leaders(&sim);
        assert_eq!(l.len(), 1, "seed {seed}: leaders {l:?}");
        assert!(sim.violation().is_none());
    }
}

/// Reference: §5.2 and §5.4. After its leader crashes, the cluster elects a
/// new one in a later term.
#[test]
fn s5_2_leader_crash_leads_to_new_leader() {
    let mut sim = run(&raft(5, 3), secs(2.0));
    let (old, old_term) = leaders(&sim)[0];
    sim.act(Action::Crash { node: old }).unwrap();
    sim.run_until(secs(5.0), u64::MAX);
    let (new, new_term) = leaders(&sim)[0];
    assert_ne!(new, old);
    assert!(new_term > old_term);
}

/// Reference: §5.3 and §5.4.2. A leader isolated in a minority cannot commit:
/// its client's request never succeeds, while the majority elects a new
/// leader that commits.
#[test]
fn s5_3_leader_isolated_in_minority_cannot_commit() {
    for seed in 0..20 {
        let mut sim = run(&raft(5, seed), secs(2.0));
        let old = current_leader(&sim).expect("a leader by 2s");
        let other = NodeId(((old.0 as usize + 1) % 5) as u16);
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
        sim.run_until(secs(6.0), u64::MAX);
        let history = sim.history();
        let minority = &history[history.len() - 2];
        let majority = &history[history.len() - 1];
        assert!(
            !matches!(minority.result, Some((_, OpResult::Ok { .. }))),
            "seed {seed}: the minority leader committed {minority:?}"
        );
        assert!(
            matches!(majority.result, Some((_, OpResult::Ok { .. }))),
            "seed {seed}: the majority did not commit: {majority:?}"
        );
        assert_eq!(
            sim.node_view(old).commit_index,
            1,
            "seed {seed}: only the first no-op"
        );
    }
}

/// Reference: §5.1. When the partition heals, the stale leader sees a
/// higher term, steps down, and its log is repaired to match (§5.3).
#[test]
fn s5_1_after_heal_stale_leader_steps_down_and_logs_converge() {
    let mut sim = run(&raft(5, 11), secs(2.0));
    let old = current_leader(&sim).unwrap();
    let other = NodeId(((old.0 as usize + 1) % 5) as u16);
    sim.act(Action::Partition {
        groups: vec![vec![old, other]],
    })
    .unwrap();
    sim.act(put(old.0, "x", "lost")).unwrap();
    sim.run_until(secs(3.0), u64::MAX);
    let new = leaders(&sim)
        .into_iter()
        .find(|(n, _)| *n != old && *n != other)
        .unwrap()
        .0;
    sim.act(put(new.0, "x", "kept")).unwrap();
    sim.run_until(secs(4.0), u64::MAX);
    assert_eq!(
        sim.node_view(old).role,
        RoleKind::Leader,
        "still leads its minority"
    );
    sim.act(Action::Heal).unwrap();
    sim.run_until(secs(6.0), u64::MAX);
    assert_eq!(sim.node_view(old).role, RoleKind::Follower);
    let reference = sim.node_detail(new).log;
    for n in 0..5 {
        let node = NodeId(n);
        assert_eq!(sim.node_detail(node).log, reference, "{node}'s log differs");
        let kv = sim.node_detail(node).kv;
        assert_eq!(kv, vec![("x".to_string(), "kept".to_string())], "{node}");
    }
    assert!(sim.violation().is_none());
}

/// Reference: Figure 2. A restarted node keeps its term and log, and
/// catches up with what it missed.
#[test]
fn fig2_restarted_node_keeps_its_log_and_catches_up() {
    let mut sim = run(&raft(3, 5), secs(2.0));
    let leader = current_leader(&sim).unwrap();
    let follower = NodeId((leader.0 + 1) % 3);
    sim.act(put(leader.0, "a", "1")).unwrap();
    sim.run_until(secs(2.5), u64::MAX);
    let before = sim.node_view(follower);
    sim.act(Action::Crash { node: follower }).unwrap();
    let down = sim.node_view(follower);
    assert_eq!(down.role, RoleKind::Down);
    assert_eq!((down.term, down.log_len), (before.term, before.log_len));
    sim.act(put(leader.0, "b", "2")).unwrap();
    sim.run_until(secs(3.0), u64::MAX);
    sim.act(Action::Restart { node: follower }).unwrap();
    sim.run_until(secs(4.0), u64::MAX);
    let kv = sim.node_detail(follower).kv;
    assert_eq!(kv.len(), 2, "{kv:?}");
}

/// Same seed, same scenario: same trace hash. Different seed: different.
#[test]
fn determinism_same_scenario_same_trace_hash() {
    let mut s = raft(5, 21);
    s.workload = Some(scenario::Workload::default());
    s.faults = Some(scenario::Faults::default());
    s.network.loss = 0.05;
    s.network.duplicate = 0.02;
    let a = run(&s, secs(12.0));
    let b = run(&s, secs(12.0));
    assert!(a.trace().len() > 5_000);
    assert_eq!(a.trace().hash(), b.trace().hash());
    assert_eq!(a.trace().events(), b.trace().events());
    s.seed = 22;
    assert_ne!(run(&s, secs(12.0)).trace().hash(), a.trace().hash());
}

/// A run driven live with `act` (after stepping to odd instants) and the
/// scenario it recorded replay to the same trace: this is what makes a
/// shared link reproduce what its author saw.
#[test]
fn live_actions_replay_exactly() {
    let mut s = raft(5, 8);
    s.workload = Some(scenario::Workload::default());
    let mut live = build(&s, RunOptions::default()).unwrap();
    live.run_until(secs(1.0), u64::MAX);
    for _ in 0..7 {
        live.step();
    }
    live.act(Action::Partition {
        groups: vec![vec![NodeId(0), NodeId(1)]],
    })
    .unwrap();
    live.run_until(secs(2.345), u64::MAX);
    live.act(put(3, "k", "v")).unwrap();
    live.act(Action::Crash { node: NodeId(4) }).unwrap();
    live.run_until(secs(3.0), u64::MAX);
    live.act(Action::Heal).unwrap();
    live.act(Action::Restart { node: NodeId(4) }).unwrap();
    live.run_until(secs(5.0), u64::MAX);
    let recorded = live.scenario().clone();
    assert_eq!(recorded.actions.len(), 5);
    let replay = run(&recorded, secs(5.0));
    assert_eq!(replay.trace().hash(), live.trace().hash());
}

/// Actions that would do nothing are refused with a reason, and not recorded.
#[test]
fn pointless_actions_are_refused() {
    let mut sim = run(&raft(3, 1), secs(1.0));
    assert!(sim.act(Action::Restart { node: NodeId(1) }).is_err());
    sim.act(Action::Crash { node: NodeId(1) }).unwrap();
    let err = sim.act(Action::Crash { node: NodeId(1) }).unwrap_err();
    assert!(err.message.contains("already down"), "{err}");
    let err = sim.act(Action::Crash { node: NodeId(9) }).unwrap_err();
    assert!(err.message.contains("does not exist"), "{err}");
    assert_eq!(sim.scenario().actions.len(), 1);
}

/// Forcing a follower's election timeout makes it campaign in a new term.
#[test]
fn forced_timeout_starts_an_election() {
    let mut sim = run(&raft(5, 2), secs(2.0));
    let leader = current_leader(&sim).unwrap();
    let term = sim.node_view(leader).term;
    let follower = NodeId((leader.0 + 1) % 5);
    sim.act(Action::Timeout { node: follower }).unwrap();
    let v = sim.node_view(follower);
    assert_eq!((v.role, v.term), (RoleKind::Candidate, term + 1));
}

/// A single-node cluster elects itself and commits alone.
#[test]
fn single_node_cluster_commits() {
    let mut sim = run(&raft(1, 4), secs(1.0));
    sim.act(put(0, "x", "1")).unwrap();
    sim.run_until(secs(1.5), u64::MAX);
    assert!(matches!(
        sim.history()[0].result,
        Some((_, OpResult::Ok { .. }))
    ));
}
