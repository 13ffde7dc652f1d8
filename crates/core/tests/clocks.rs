//! Local clocks: each node reads time through its own clock (an offset and
//! a drift); handlers see local time, timer delays are local durations,
//! messages travel in true time. A perfect clock changes nothing.

mod common;

use common::*;
use splitbrain_core::clock::Clock;
use splitbrain_core::cluster::Nodes;
use splitbrain_core::protocols::lock::{LockService, STORAGE};
use splitbrain_core::time::Offset;
use splitbrain_core::*;

fn with_clocks(mut s: Scenario, clocks: &str) -> Scenario {
    s.clocks = serde_json::from_str(clocks).expect("clock settings parse");
    s
}

fn hash_and_len(s: &Scenario, until: Time) -> (u64, u64) {
    let sim = run(s, until);
    (sim.trace().hash(), sim.trace().len())
}

#[test]
fn perfect_clocks_leave_every_run_as_it_was() {
    for name in [
        "raft-workload.json",
        "lock-service-fencing.json",
        "lock-service-replicated-leader-crash.json",
    ] {
        let plain = example(name);
        let until = plain.until.unwrap_or(secs(5.0));
        let listed = with_clocks(
            plain.clone(),
            r#"[{"node": 0}, {"node": 1, "offset": "0ms", "drift_ppm": 0}]"#,
        );
        assert_eq!(
            hash_and_len(&plain, until),
            hash_and_len(&listed, until),
            "{name}"
        );
    }
}

#[test]
fn a_drifting_run_is_deterministic_and_differs() {
    let plain = example("raft-workload.json");
    let until = secs(5.0);
    let drifting = with_clocks(
        plain.clone(),
        r#"[{"node": 0, "drift_ppm": 100000}, {"node": 2, "offset": "3s", "drift_ppm": -50000}]"#,
    );
    assert_eq!(
        hash_and_len(&drifting, until),
        hash_and_len(&drifting, until)
    );
    assert_ne!(hash_and_len(&plain, until), hash_and_len(&drifting, until));
}

#[test]
fn handlers_see_their_nodes_local_time() {
    // The storage node stamps each version of the file with its own clock.
    let s = with_clocks(
        example("lock-service-fencing.json"),
        r#"[{"node": 1, "offset": "5s", "drift_ppm": 100000}]"#,
    );
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(s.until.unwrap(), u64::MAX);
    let nodes = sim
        .cluster()
        .as_any()
        .downcast_ref::<Nodes<LockService>>()
        .unwrap();
    let history = nodes.node(STORAGE).unwrap().file_history();
    assert!(!history.is_empty());
    for v in history {
        // True time t reads 5s + 1.1 t; every write lands after 1s.
        assert!(v.at > secs(6.1), "{v:?}");
    }
    let now = sim.now();
    let expected = Time(5_000_000 + now.0 + now.0 / 10);
    assert_eq!(sim.local_time(STORAGE), expected);
    assert_eq!(
        sim.local_time(NodeId(0)),
        now,
        "an unlisted node reads true time"
    );
}

/// Raft's election timer is the user-forceable one: (set at, fires at).
fn election_deadline(sim: &Sim, node: u16) -> Time {
    sim.user_timer(NodeId(node)).expect("armed at start").1
}

#[test]
fn timer_delays_are_local_durations_never_reached_early() {
    let plain = build(&raft(3, 7), RunOptions::default()).unwrap();
    let fast = build(
        &with_clocks(raft(3, 7), r#"[{"node": 0, "drift_ppm": 100000}]"#),
        RunOptions::default(),
    )
    .unwrap();
    // The same draw: a delay d on a clock 10% fast ends at ceil(d / 1.1).
    let d = election_deadline(&plain, 0).0;
    let expected = Time((d * 1_000_000).div_ceil(1_100_000));
    assert_eq!(election_deadline(&fast, 0), expected);
    assert!(Clock::set_at(Time::ZERO, Offset::ZERO, 100_000).local(expected) >= Time(d));
    // Other nodes draw the same delays on true time.
    assert_eq!(election_deadline(&plain, 1), election_deadline(&fast, 1));
}

#[test]
fn setting_a_clock_moves_armed_timers_and_is_recorded() {
    let mut plain = build(&raft(3, 7), RunOptions::default()).unwrap();
    let d = election_deadline(&plain, 0).0;
    let mut live = plain.clone();
    live.set_recent_capacity(8);
    let slow = Action::Clock {
        node: NodeId(0),
        offset: Offset::ZERO,
        drift_ppm: -100_000,
    };
    live.act(slow.clone()).unwrap();
    // The armed timer keeps its local deadline, now reached at d / 0.9.
    assert_eq!(
        election_deadline(&live, 0),
        Time((d * 1_000_000).div_ceil(900_000))
    );
    let line = live.recent_events(1).pop().unwrap();
    assert_eq!(line.event.kind, trace::EventKind::Clock);
    assert_eq!(line.text, "n0's clock set: offset 0us, drift -100000 ppm");

    // Set faster and ahead mid-run: its deadline comes sooner.
    plain.run_until(secs(0.05), u64::MAX);
    let before = election_deadline(&plain, 0);
    plain
        .act(Action::Clock {
            node: NodeId(0),
            offset: Offset(1_000_000),
            drift_ppm: 0,
        })
        .unwrap();
    assert_eq!(plain.local_time(NodeId(0)), secs(1.05));
    assert_eq!(election_deadline(&plain, 0), plain.now(), "jumped past it");
    assert!(before > plain.now());

    // The action recorded live replays to the same run.
    let recorded = live.scenario().clone();
    assert_eq!(recorded.actions.len(), 1);
    live.run_until(secs(3.0), u64::MAX);
    let replay = run(&recorded, secs(3.0));
    assert_eq!(replay.trace().hash(), live.trace().hash());
}

#[test]
fn a_restarted_node_keeps_its_clock() {
    let mut sim = build(
        &with_clocks(
            raft(3, 1),
            r#"[{"node": 1, "offset": "2s", "drift_ppm": 1000}]"#,
        ),
        RunOptions::default(),
    )
    .unwrap();
    sim.run_until(secs(1.0), u64::MAX);
    sim.act(Action::Crash { node: NodeId(1) }).unwrap();
    sim.run_until(secs(2.0), u64::MAX);
    sim.act(Action::Restart { node: NodeId(1) }).unwrap();
    assert_eq!(sim.local_time(NodeId(1)), Time(2_000_000 + 2_002_000));
    assert_eq!(sim.clock(NodeId(1)).drift_ppm(), 1000);
}

#[test]
fn bad_clocks_are_refused_naming_the_field() {
    let err = |clocks: &str| {
        with_clocks(raft(3, 1), clocks)
            .validate()
            .unwrap_err()
            .to_string()
    };
    let e = err(r#"[{"node": 0, "drift_ppm": 100001}]"#);
    assert!(e.starts_with("clocks[0].drift_ppm: "), "{e}");
    let e = err(r#"[{"node": 0, "offset": "-1ms"}]"#);
    assert!(e.starts_with("clocks[0].offset: "), "{e}");
    let e = err(r#"[{"node": 3}]"#);
    assert!(e.starts_with("clocks[0].node: "), "{e}");
    let e = err(r#"[{"node": 1}, {"node": 1, "drift_ppm": 5}]"#);
    assert!(e.starts_with("clocks[1].node: "), "{e}");
    let unknown = serde_json::from_str::<Vec<clock::ClockSetting>>(r#"[{"node": 1, "skew": 5}]"#);
    assert!(unknown.unwrap_err().to_string().contains("skew"));

    let mut s = raft(3, 1);
    s.actions = vec![TimedAction {
        at: secs(1.0),
        action: Action::Clock {
            node: NodeId(2),
            offset: Offset(-1_000_001),
            drift_ppm: 0,
        },
    }];
    let e = s.validate().unwrap_err().to_string();
    assert!(e.starts_with("actions[0].action.offset: "), "{e}");
    // A second earlier would do: the clock then reads zero.
    s.actions[0].action = Action::Clock {
        node: NodeId(2),
        offset: Offset(-1_000_000),
        drift_ppm: -100_000,
    };
    s.validate().unwrap();
    let mut sim = build(&s, RunOptions::default()).unwrap();
    let e = sim
        .act(Action::Clock {
            node: NodeId(0),
            offset: Offset::ZERO,
            drift_ppm: -200_000,
        })
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("action.drift_ppm: "), "{e}");
}

#[test]
fn clock_actions_round_trip_through_json() {
    let s: Scenario = serde_json::from_str(
        r#"{"protocol": {"name": "raft"}, "nodes": 3,
            "clocks": [{"node": 2, "offset": "-0ms", "drift_ppm": -20}],
            "actions": [{"at": "1s", "action": {"kind": "clock", "node": 1, "offset": "-500ms", "drift_ppm": 250}}]}"#,
    )
    .unwrap();
    s.validate().unwrap();
    let back: Scenario = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}
