//! A user chooses a commit participant's vote (`Action::Vote`): the choice
//! decides the next transactions, survives a crash, and replays.

mod common;

use common::*;
use splitbrain_core::protocol::Op;
use splitbrain_core::protocols::commit::two_phase::TwoPhaseConfig;
use splitbrain_core::protocols::raft::RaftConfig;
use splitbrain_core::*;

fn put(node: u16) -> Action {
    Action::Request {
        node: NodeId(node),
        client: None,
        op: Op::Put {
            key: "k".into(),
            value: "v".into(),
        },
    }
}

fn labels(sim: &Sim) -> Vec<&'static str> {
    (0..sim.node_count() as u16)
        .map(|n| sim.node_view(NodeId(n)).role_label)
        .collect()
}

#[test]
fn a_chosen_no_vote_aborts_and_the_choice_survives_a_crash() {
    let s = Scenario::new(ProtocolConfig::TwoPhase(TwoPhaseConfig::default()), 3, 1);
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.act(put(0)).unwrap();
    sim.run_until(secs(0.2), u64::MAX);
    assert_eq!(labels(&sim)[1..], ["committed", "committed"]);

    sim.act(Action::Vote {
        node: NodeId(2),
        yes: false,
    })
    .unwrap();
    sim.act(Action::Crash { node: NodeId(2) }).unwrap();
    sim.act(Action::Restart { node: NodeId(2) }).unwrap();
    sim.act(put(0)).unwrap();
    sim.run_until(secs(0.4), u64::MAX);
    assert_eq!(labels(&sim)[1..], ["aborted", "aborted"]);

    sim.act(Action::Vote {
        node: NodeId(2),
        yes: true,
    })
    .unwrap();
    sim.act(put(0)).unwrap();
    sim.run_until(secs(0.6), u64::MAX);
    assert_eq!(labels(&sim)[1..], ["committed", "committed"]);
    assert!(sim.violation().is_none());

    // Recorded like any action: the scenario replays the run to the hash.
    let recorded = sim.scenario().clone();
    assert_eq!(
        recorded
            .actions
            .iter()
            .filter(|a| matches!(a.action, Action::Vote { .. }))
            .count(),
        2
    );
    let json = serde_json::to_string(&recorded).unwrap();
    assert!(json.contains("\"kind\":\"vote\""), "{json}");
    let replay = run(&serde_json::from_str(&json).unwrap(), secs(0.6));
    assert_eq!(replay.trace().hash(), sim.trace().hash());
}

#[test]
fn votes_are_refused_where_there_is_nothing_to_vote_on() {
    let s = Scenario::new(ProtocolConfig::TwoPhase(TwoPhaseConfig::default()), 3, 1);
    let mut sim = build(&s, RunOptions::default()).unwrap();
    let coordinator = sim.act(Action::Vote {
        node: NodeId(0),
        yes: true,
    });
    assert!(coordinator.unwrap_err().message.contains("no vote"));
    sim.act(Action::Crash { node: NodeId(1) }).unwrap();
    let down = sim.act(Action::Vote {
        node: NodeId(1),
        yes: true,
    });
    assert!(down.unwrap_err().message.contains("down"));
    let far = sim.act(Action::Vote {
        node: NodeId(9),
        yes: true,
    });
    assert!(far.unwrap_err().path.contains("node"));

    let raft = Scenario::new(ProtocolConfig::Raft(RaftConfig::default()), 3, 1);
    let mut sim = build(&raft, RunOptions::default()).unwrap();
    assert!(sim
        .act(Action::Vote {
            node: NodeId(1),
            yes: true
        })
        .is_err());
    assert!(sim.scenario().actions.is_empty(), "refused, not recorded");
}

#[test]
fn three_phase_takes_the_chosen_vote_too() {
    use splitbrain_core::protocols::commit::three_phase::ThreePhaseConfig;
    let s = Scenario::new(
        ProtocolConfig::ThreePhase(ThreePhaseConfig::default()),
        4,
        1,
    );
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.act(Action::Vote {
        node: NodeId(3),
        yes: false,
    })
    .unwrap();
    sim.act(put(0)).unwrap();
    sim.run_until(secs(0.5), u64::MAX);
    assert_eq!(labels(&sim)[1..], ["aborted", "aborted", "aborted"]);
}
