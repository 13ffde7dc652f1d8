//! Raft membership changes (Ongaro's thesis, chapter 4) driven through
//! whole clusters: a scenario starts with some slots as voters and the
//! rest as spares, and a user asks the leader to add or remove one.
//! Single-server changes without the rule that a new leader first commits
//! an entry of its own term elect two leaders in one term; with the rule,
//! or with joint consensus, the same changes are safe.

mod common;

use common::{current_leader, leaders, membership_changes, run, secs};
use splitbrain_core::protocol::MembersView;
use splitbrain_core::protocols::raft::{RaftConfig, RaftVariant};
use splitbrain_core::registry::Variant;
use splitbrain_core::*;

fn scenario_file(name: &str) -> Scenario {
    let path = format!("{}/../../web/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn set_variant(s: &mut Scenario, variant: RaftVariant) {
    RaftConfig::of_mut(&mut s.protocol)
        .expect("a Raft scenario")
        .variant = variant;
}

fn voters(sim: &Sim, node: u16) -> u64 {
    sim.members(NodeId(node))
        .expect("Raft reports members")
        .members
}

/// Five slots, n0..n3 voting and n4 spare.
fn four_of_five(seed: u64) -> Scenario {
    let mut s = Scenario::new(
        ProtocolConfig::Raft(RaftConfig {
            members: Some((0..4).map(NodeId).collect()),
            ..RaftConfig::default()
        }),
        5,
        seed,
    );
    s.until = Some(secs(10.0));
    s
}

#[test]
fn a_spare_never_campaigns_and_is_not_counted() {
    let sim = run(&four_of_five(3), secs(3.0));
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    let leader = current_leader(&sim).expect("the four voters elect a leader");
    assert_ne!(leader, NodeId(4));
    let spare = sim.node_view(NodeId(4));
    assert_eq!(spare.term, 0, "nobody asked the spare for anything");
    assert_eq!(spare.log_len, 0, "nobody replicates to a spare");
    assert_eq!(voters(&sim, leader.0), 0b01111);
}

#[test]
fn a_leader_adds_a_server_and_then_removes_one() {
    let mut sim = build(&four_of_five(5), RunOptions::default()).unwrap();
    sim.run_until(secs(2.0), u64::MAX);
    let leader = current_leader(&sim).expect("a leader");
    sim.act(Action::AddServer { node: NodeId(4) }).unwrap();
    sim.run_until(secs(3.0), u64::MAX);
    let view = sim.members(leader).unwrap();
    assert_eq!(
        view,
        MembersView {
            members: 0b11111,
            joining: None,
            committed: true
        }
    );
    let spare = sim.node_view(NodeId(4));
    assert_eq!(spare.log_len, sim.node_view(leader).log_len, "n4 caught up");

    // Remove a follower: the configuration shrinks by one, and the
    // removed server stops campaigning once it holds the entry.
    let gone = (0..4).find(|n| NodeId(*n) != leader).unwrap();
    sim.act(Action::RemoveServer { node: NodeId(gone) })
        .unwrap();
    sim.run_until(secs(8.0), u64::MAX);
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    let leader = current_leader(&sim).expect("still a leader");
    assert_eq!(voters(&sim, leader.0), 0b11111 & !(1 << gone));
    assert_eq!(
        voters(&sim, gone),
        0b11111 & !(1 << gone),
        "the removed server learned it was removed"
    );
    assert_eq!(
        sim.node_view(NodeId(gone)).role,
        protocol::RoleKind::Follower
    );
}

#[test]
fn a_removed_leader_steps_down_once_the_change_commits() {
    let mut sim = build(&four_of_five(9), RunOptions::default()).unwrap();
    sim.run_until(secs(2.0), u64::MAX);
    let leader = current_leader(&sim).expect("a leader");
    sim.act(Action::RemoveServer { node: leader }).unwrap();
    sim.run_until(secs(6.0), u64::MAX);
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    let next = current_leader(&sim).expect("the others elect a leader");
    assert_ne!(next, leader);
    assert_eq!(voters(&sim, next.0), 0b01111 & !(1 << leader.0));
    assert_eq!(sim.node_view(leader).role, protocol::RoleKind::Follower);
}

#[test]
fn joint_consensus_goes_through_c_old_new_to_c_new() {
    let mut s = four_of_five(5);
    RaftConfig::of_mut(&mut s.protocol).unwrap().joint = true;
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(secs(2.0), u64::MAX);
    let leader = current_leader(&sim).expect("a leader");
    sim.act(Action::AddServer { node: NodeId(4) }).unwrap();
    // Right after the request the leader holds C_old,new.
    let joint = sim.members(leader).unwrap();
    assert_eq!(joint.members, 0b01111);
    assert_eq!(joint.joining, Some(0b11111));
    assert!(!joint.committed);
    let log = sim.node_detail(leader).log;
    assert!(log.last().unwrap().label.contains('→'), "{:?}", log.last());
    sim.run_until(secs(4.0), u64::MAX);
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    let done = sim.members(leader).unwrap();
    assert_eq!(
        (done.members, done.joining, done.committed),
        (0b11111, None, true)
    );
    let labels: Vec<String> = sim
        .node_detail(leader)
        .log
        .iter()
        .map(|e| e.label.clone())
        .filter(|l| l.starts_with("config"))
        .collect();
    assert_eq!(
        labels,
        [
            "config {n0, n1, n2, n3} → {n0, n1, n2, n3, n4}",
            "config {n0, n1, n2, n3, n4}"
        ]
    );
}

#[test]
fn a_change_asked_while_nobody_leads_is_refused_live() {
    let mut sim = build(&four_of_five(5), RunOptions::default()).unwrap();
    let err = sim.act(Action::AddServer { node: NodeId(4) }).unwrap_err();
    assert!(err.message.contains("nobody leads"), "{err}");
    assert!(
        sim.scenario().actions.is_empty(),
        "a refused action is not recorded"
    );
}

#[test]
fn protocols_with_fixed_voters_reject_membership_actions() {
    let mut s = common::raft(3, 1);
    s.protocol = ProtocolConfig::default_for("paxos").unwrap();
    s.actions.push(TimedAction {
        at: secs(1.0),
        action: Action::AddServer { node: NodeId(1) },
    });
    let err = s.validate().unwrap_err();
    assert_eq!(err.path, "actions[0].action.kind");
    let mut s = four_of_five(1);
    RaftConfig::of_mut(&mut s.protocol).unwrap().members = Some(vec![NodeId(0), NodeId(7)]);
    let err = s.validate().unwrap_err();
    assert_eq!(err.path, "protocol.members[1]", "{err}");
}

/// The bug, step by step (`web/scenarios/raft-membership-two-leaders-broken.json`):
/// n0 adds n4 but only n4 hears of it; n1 is elected by n1, n2, n3 and at
/// once removes n0, committing {n1, n2, n3} with n2 before n3 hears of
/// term 2. {n0..n4} and {n1, n2, n3} differ by two servers: n2 is elected
/// in term 3 by n1 and n2, n0 by n0, n3 and n4.
#[test]
fn back_to_back_single_server_changes_elect_two_leaders_in_one_term() {
    let s = scenario_file("raft-membership-two-leaders-broken.json");
    let sim = run(&s, secs(1.0));
    let v = sim.violation().expect("election safety breaks");
    assert_eq!(v.invariant, "election safety", "{}", v.violation.message);
    assert!(
        v.violation.message.contains("term 3"),
        "{}",
        v.violation.message
    );
}

/// The same schedule with the rule: n1 may not remove n0 before its term-2
/// no-op is committed, which needs n3 or n0; n3 never hears of it and n0
/// is cut off, so the removal waits, and n0's election in term 3 is the
/// only one.
#[test]
fn the_same_changes_with_the_own_term_rule_are_safe() {
    let mut s = scenario_file("raft-membership-two-leaders-broken.json");
    set_variant(&mut s, RaftVariant::Correct);
    let sim = run(&s, secs(1.0));
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    let by_term: Vec<u64> = leaders(&sim).iter().map(|l| l.1).collect();
    let mut unique = by_term.clone();
    unique.dedup();
    assert_eq!(by_term.len(), unique.len(), "{:?}", leaders(&sim));
    assert_eq!(
        voters(&sim, 1),
        0b01111,
        "n1 never removed n0: its no-op of term 2 never committed"
    );

    // Joint consensus: the same requests, also safe.
    let mut s = scenario_file("raft-membership-two-leaders-broken.json");
    set_variant(&mut s, RaftVariant::ChangeBeforeOwnTermCommit);
    RaftConfig::of_mut(&mut s.protocol).unwrap().joint = true;
    let sim = run(&s, secs(1.0));
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
}

/// The seed sweep with membership changes: the sweep scenario's random
/// partitions, crashes, loss and duplication, four of five slots voting,
/// and six changes per run at times and of servers drawn from the seed
/// (adding a spare or removing a voter, whichever the draw finds). Correct
/// Raft, with single-server changes and with joint consensus, stays safe;
/// each run's changes must also have changed something somewhere.
/// `SPLITBRAIN_SEEDS=N` changes how many seeds run per mode (default 300).
#[test]
fn sweep_with_membership_changes_stays_safe() {
    let path = format!(
        "{}/../../web/scenarios/raft-sweep.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let base: Scenario = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let seeds: u64 = std::env::var("SPLITBRAIN_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let mut failures = Vec::new();
    let mut changed_runs = 0;
    for joint in [false, true] {
        for seed in 0..seeds {
            let mut s = base.clone();
            s.seed = seed;
            let config = RaftConfig::of_mut(&mut s.protocol).unwrap();
            config.members = Some((0..4).map(NodeId).collect());
            config.joint = joint;
            membership_changes(&mut s, seed);
            let mut sim = build(
                &s,
                RunOptions {
                    keep_trace: false,
                    recent_events: 0,
                },
            )
            .unwrap();
            sim.run_until(s.until.unwrap(), u64::MAX);
            if let Some(v) = sim.violation() {
                failures.push(format!(
                    "joint {joint}, seed {seed}: {}: {}",
                    v.invariant, v.violation.message
                ));
            }
            let configs: Vec<u64> = (0..5)
                .filter_map(|n| sim.members(NodeId(n)))
                .map(|m| m.members)
                .collect();
            if configs.iter().any(|c| *c != 0b01111) {
                changed_runs += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        changed_runs * 2 > seeds,
        "the changes took effect in only {changed_runs} of {} runs",
        2 * seeds
    );
}

/// What a change costs: the messages sent from the request until the
/// leader's new configuration is committed, with no client load (so
/// heartbeats are the only other traffic), for adding a fifth voter one
/// server at a time and by joint consensus (two entries). Printed for the
/// record; the assertions only say that the change committed and that
/// joint consensus, with its second entry, costs more.
#[test]
fn messages_per_membership_change() {
    let mut cost = Vec::new();
    for joint in [false, true] {
        let mut s = four_of_five(5);
        RaftConfig::of_mut(&mut s.protocol).unwrap().joint = joint;
        let mut sim = build(&s, RunOptions::default()).unwrap();
        sim.run_until(secs(2.0), u64::MAX);
        let leader = current_leader(&sim).unwrap();
        let before = sim.stats().sent;
        sim.act(Action::AddServer { node: NodeId(4) }).unwrap();
        while sim
            .members(leader)
            .is_some_and(|m| m.members != 0b11111 || !m.committed)
        {
            assert!(sim.step() && sim.now() < secs(3.0), "the change commits");
        }
        let sent = sim.stats().sent - before;
        println!(
            "add a fifth voter ({}): {sent} messages until committed, {} simulated",
            if joint {
                "joint consensus"
            } else {
                "one server"
            },
            sim.now().since(secs(2.0))
        );
        cost.push(sent);
    }
    assert!(cost[1] > cost[0], "{cost:?}");
}
