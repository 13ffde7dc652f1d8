//! Two- and three-phase commit, through their textbook scenarios and seed
//! sweeps.

mod common;

use common::*;
use splitbrain_core::rng::Rng;
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

/// 2PC blocks: with the coordinator down mid-vote, every prepared
/// participant stays in doubt for as long as it is down, and learns the
/// outcome (presumed abort) only when it returns.
#[test]
fn two_phase_participants_block_in_doubt_until_coordinator_returns() {
    let s = example("two-phase-blocking.json");
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(secs(2.9), u64::MAX);
    assert_eq!(labels(&sim), ["down", "in doubt", "in doubt", "in doubt"]);
    let detail = sim.node_detail(NodeId(1));
    assert!(
        detail
            .fields
            .iter()
            .any(|(k, v)| *k == "in doubt" && v.contains("since 110ms")),
        "{:?}",
        detail.fields
    );
    sim.run_until(secs(3.5), u64::MAX);
    assert_eq!(
        labels(&sim),
        ["coordinator", "aborted", "aborted", "aborted"]
    );
    assert!(sim.violation().is_none());
}

/// One no vote aborts the transaction everywhere, and the client is told.
#[test]
fn two_phase_one_no_vote_aborts_everywhere() {
    let sim = run(&example("two-phase-no-vote.json"), secs(1.0));
    assert_eq!(labels(&sim)[1..], ["aborted", "aborted", "aborted"]);
    assert!(matches!(
        &sim.history()[0].result,
        Some((_, OpResult::Fail { reason })) if reason.contains("n2 voted no")
    ));
}

/// 3PC does not block: the coordinator crashes after PreCommit, and the
/// participants run the termination protocol and commit without it.
#[test]
fn three_phase_participants_finish_without_the_coordinator() {
    let sim = run(&example("three-phase-coordinator-crash.json"), secs(2.0));
    assert_eq!(
        labels(&sim),
        ["down", "committed", "committed", "committed"]
    );
    assert!(sim.violation().is_none());
}

/// 3PC under a partition during PreCommit: the side that saw PreCommit
/// commits, the other side aborts, and the checker says so.
#[test]
fn three_phase_partition_breaks_atomicity() {
    let sim = run(&example("three-phase-partition-broken.json"), secs(2.0));
    let v = sim.violation().expect("atomicity must break");
    assert_eq!(v.invariant, "atomicity");
    assert_eq!(
        labels(&sim),
        ["coordinator", "committed", "aborted", "aborted"]
    );
}

/// The same partition does not break 2PC: the cut-off side blocks instead.
#[test]
fn two_phase_under_the_same_partition_blocks_instead() {
    let mut s = example("three-phase-partition-broken.json");
    s.protocol = ProtocolConfig::TwoPhase(Default::default());
    let sim = run(&s, secs(2.0));
    assert!(sim.violation().is_none());
    let l = labels(&sim);
    assert_eq!(l[2], "in doubt", "{l:?}");
}

fn commit_scenario(protocol: ProtocolConfig, seed: u64) -> Scenario {
    let mut s = Scenario::new(protocol, 4, seed);
    s.workload = Some(scenario::Workload {
        clients: 2,
        ..Default::default()
    });
    s.until = Some(secs(10.0));
    s
}

/// 2PC is safe whatever happens: partitions, crashes of anyone, loss and
/// duplication never break atomicity or validity.
#[test]
fn sweep_two_phase_is_always_safe() {
    let mut failures = Vec::new();
    for seed in 0..2_000 {
        let mut s = commit_scenario(
            ProtocolConfig::TwoPhase(protocols::commit::two_phase::TwoPhaseConfig {
                votes: protocols::commit::VotePolicy {
                    no_probability: 0.1,
                    ..Default::default()
                },
                ..Default::default()
            }),
            seed,
        );
        s.network.duplicate = 0.02;
        s.faults = Some(scenario::Faults {
            until: secs(8.0),
            every: Span::from_millis(300),
            max_down: Some(3),
            loss: 0.05,
            ..Default::default()
        });
        let sim = run(&s, secs(10.0));
        if let Some(v) = sim.violation() {
            failures.push(format!("seed {seed}: {}", v.violation.message));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// 3PC is safe under the failures it was designed for: any site, the
/// coordinator or a participant, crashing and recovering at any moment, on
/// a network that neither loses messages nor partitions and delivers well
/// within the timeout (5 to 15 ms against 300 ms).
#[test]
fn sweep_three_phase_is_safe_when_sites_crash() {
    let mut failures = Vec::new();
    let mut decided = 0;
    let mut participant_crashes = 0;
    for seed in 0..2_000 {
        let mut s = commit_scenario(ProtocolConfig::ThreePhase(Default::default()), seed);
        let mut rng = Rng::new(seed);
        for _ in 0..4 {
            let node = NodeId(rng.range_inclusive(0, 3) as u16);
            participant_crashes += u32::from(node != NodeId(0));
            let at = rng.range_inclusive(200_000, 8_000_000);
            let down = rng.range_inclusive(1_000, 1_500_000);
            s.actions.push(TimedAction {
                at: Time(at),
                action: Action::Crash { node },
            });
            s.actions.push(TimedAction {
                at: Time(at + down),
                action: Action::Restart { node },
            });
        }
        s.actions.sort_by_key(|a| a.at);
        let sim = run(&s, secs(10.0));
        decided += sim.decided();
        if let Some(v) = sim.violation() {
            failures.push(format!("seed {seed}: {}", v.violation.message));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(participant_crashes > 4_000, "participants crash too");
    assert!(decided > 2_000, "the sweep should decide many transactions");
}

/// Issue 16's run, timed: n2 crashes before PreCommit reaches it, the
/// coordinator's acknowledgement timeout commits, n1 commits and then
/// crashes, and n2 restarts. n2 asks every site; the coordinator knows,
/// and n2 commits. Before recovery asked the coordinator, n2 heard no one,
/// terminated alone and aborted.
#[test]
fn three_phase_recovering_participant_learns_the_commit() {
    let mut s = Scenario::new(ProtocolConfig::ThreePhase(Default::default()), 3, 1);
    s.network.latency = scenario::Latency {
        min: Span::from_millis(10),
        max: Span::from_millis(10),
    };
    let at = |ms: u64, action| TimedAction {
        at: Time(ms * 1000),
        action,
    };
    s.actions = vec![
        at(
            100,
            Action::Request {
                node: NodeId(0),
                client: None,
                op: protocol::Op::Put {
                    key: "x".into(),
                    value: "1".into(),
                },
            },
        ),
        // CanCommit arrives at 110, the votes at 120, PreCommit at 130.
        at(125, Action::Crash { node: NodeId(2) }),
        // The coordinator's acknowledgement timeout (420) commits; n1
        // commits at 430.
        at(500, Action::Crash { node: NodeId(1) }),
        at(600, Action::Restart { node: NodeId(2) }),
    ];
    s.until = Some(secs(2.0));
    let sim = run(&s, secs(2.0));
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    assert_eq!(labels(&sim), ["coordinator", "down", "committed"]);
}
