//! Time travel: seeking, stepping back, jumping to marked events and
//! branching all land on exactly the state a fresh run reaches.

mod common;

use common::*;
use splitbrain_core::protocol::NodeView;
use splitbrain_core::timeline::{MarkKind, Timeline};
use splitbrain_core::trace::EventKind;
use splitbrain_core::*;

fn scenario(name: &str) -> Scenario {
    let path = format!(
        "{}/../../web/scenarios/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

type State = (
    u64,
    u64,
    Time,
    Vec<NodeView>,
    Vec<bool>,
    Vec<sim::ClientOp>,
    sim::Stats,
);

/// Everything the UI shows of a state, to compare two states.
fn state(sim: &Sim) -> State {
    let n = sim.node_count() as u16;
    (
        sim.trace().len(),
        sim.trace().hash(),
        sim.now(),
        (0..n).map(|i| sim.node_view(NodeId(i))).collect(),
        (0..n).map(|i| sim.is_up(NodeId(i))).collect(),
        sim.history().to_vec(),
        sim.stats(),
    )
}

/// A timeline of `s` run to `until`, with a small snapshot interval so that
/// seeks cross many snapshots.
fn recorded(s: &Scenario, until: Time, interval: u64) -> (Timeline, Sim) {
    let mut cursor = build(s, RunOptions::default()).unwrap();
    let mut tl = Timeline::new(&mut cursor, interval);
    // In uneven slices, like animation frames.
    let mut t = Time::ZERO;
    while t < until {
        t = Time((t.0 + 37_123).min(until.0));
        tl.advance(&mut cursor, t, u64::MAX);
    }
    (tl, cursor)
}

/// A fresh run stepped until its trace has `index` events.
fn fresh_to_index(s: &Scenario, index: u64) -> Sim {
    let mut sim = build(s, RunOptions::default()).unwrap();
    while sim.trace().len() < index && sim.step() {}
    sim
}

#[test]
fn the_head_is_the_run() {
    let s = scenario("raft-sweep");
    let (tl, cursor) = recorded(&s, secs(6.0), 700);
    let fresh = run(&s, secs(6.0));
    assert_eq!(state(&cursor), state(&fresh));
    assert_eq!(tl.head_hash(), fresh.trace().hash());
    assert_eq!(tl.head_len(), fresh.trace().len());
    assert_eq!(tl.events_in(0..tl.head_len()), fresh.trace().events());
    assert!(tl.stats().snapshots > 5, "{:?}", tl.stats());
}

#[test]
fn seeking_by_time_gives_a_fresh_runs_state() {
    let s = scenario("raft-sweep");
    let (tl, _) = recorded(&s, secs(6.0), 700);
    for t in [0.0, 0.0004, 0.3, 1.234567, 2.5, 3.9, 5.5, 6.0] {
        let at = tl.seek_time(secs(t));
        let fresh = run(&s, secs(t));
        assert_eq!(state(&at), state(&fresh), "at {t}s");
    }
    // Back and forth: each seek is independent of the last.
    let a = state(&tl.seek_time(secs(4.0)));
    let _ = tl.seek_time(secs(1.0));
    assert_eq!(state(&tl.seek_time(secs(4.0))), a);
}

#[test]
fn seeking_by_index_gives_a_fresh_runs_state() {
    let s = scenario("raft-sweep");
    let (tl, _) = recorded(&s, secs(4.0), 500);
    for k in [
        0,
        1,
        17,
        499,
        500,
        501,
        2_345,
        tl.head_len() - 1,
        tl.head_len(),
    ] {
        let at = tl.seek_index(k);
        let fresh = fresh_to_index(&s, k);
        assert!(at.trace().len() >= k);
        assert_eq!(state(&at), state(&fresh), "at event {k}");
    }
}

#[test]
fn stepping_back_then_forward_returns_to_the_same_state() {
    let s = scenario("raft-sweep");
    let (mut tl, _) = recorded(&s, secs(3.0), 400);
    let mut cursor = tl.seek_time(secs(2.0));
    let here = state(&cursor);
    let mut back = tl.step_back(&cursor).expect("not at the start");
    assert!(back.trace().len() < here.0);
    // It is the state a fresh run has one step earlier.
    assert_eq!(state(&back), state(&fresh_to_index(&s, back.trace().len())));
    tl.step(&mut back);
    assert_eq!(state(&back).0, here.0);
    assert_eq!(state(&back).1, here.1);
    assert_eq!(state(&back).3, here.3);
    // Many steps back, across a snapshot, then as many forward.
    let start = state(&cursor);
    let mut path = vec![start.1];
    for _ in 0..60 {
        cursor = tl.step_back(&cursor).unwrap();
        path.push(cursor.trace().hash());
    }
    for _ in 0..60 {
        tl.step(&mut cursor);
    }
    assert_eq!(state(&cursor).1, start.1);
    assert_eq!(state(&cursor).3, start.3);
    // Stepping back stops at the start.
    let first = tl.seek_index(0);
    assert!(tl.step_back(&first).is_none());
}

#[test]
fn jumps_land_on_events_of_each_kind() {
    let s = scenario("raft-sweep");
    let (tl, _) = recorded(&s, secs(9.0), 1_000);
    for kind in [
        MarkKind::Crash,
        MarkKind::Partition,
        MarkKind::ClientReply,
        MarkKind::LeaderChange,
    ] {
        let mut from = 0;
        let mut seen = 0;
        while let Some(at) = tl.next_mark(kind, from) {
            assert!(at > from);
            let sim = tl.seek_index(at);
            assert!(sim.trace().len() >= at, "{kind:?} lands on its step's end");
            assert!(tl.step_back(&sim).unwrap().trace().len() < at);
            // Jumping gets there too, and back.
            let prev = tl.jump(kind, &sim, false);
            let prev_len = prev.as_ref().map(|p| p.trace().len());
            assert!(prev_len.is_none_or(|l| l < sim.trace().len()), "{kind:?}");
            if let Some(prev) = prev {
                let next = tl.jump(kind, &prev, true).unwrap();
                assert_eq!(next.trace().len(), sim.trace().len(), "{kind:?}");
            }
            match kind {
                MarkKind::Crash => {
                    assert_eq!(tl.event(at - 1).unwrap().kind, EventKind::Crash);
                    assert!(!sim.is_up(tl.event(at - 1).unwrap().node));
                }
                MarkKind::Partition => {
                    assert_eq!(tl.event(at - 1).unwrap().kind, EventKind::Network)
                }
                MarkKind::ClientReply => {
                    assert_eq!(tl.event(at - 1).unwrap().kind, EventKind::ClientReturn)
                }
                MarkKind::LeaderChange => {
                    let m = tl
                        .markers()
                        .iter()
                        .find(|m| m.at == at && m.kind == kind)
                        .unwrap();
                    assert_eq!(sim.leads(m.node), Some(m.arg), "{m:?}");
                    let before = tl.step_back(&sim).unwrap();
                    assert_ne!(before.leads(m.node), Some(m.arg), "{m:?}");
                }
                MarkKind::Violation => unreachable!(),
            }
            // Previous from just after it comes back to it.
            assert_eq!(tl.previous_mark(kind, at + 1), Some(at), "{kind:?}");
            from = at;
            seen += 1;
            if seen == 40 {
                break;
            }
        }
        assert!(seen > 1, "{kind:?} should occur in this run");
    }
    assert_eq!(tl.next_mark(MarkKind::Violation, 0), None);
}

#[test]
fn the_violation_is_marked() {
    let s = scenario("raft-broken-figure8");
    let (tl, cursor) = recorded(&s, s.until.unwrap(), 2_000);
    let v = cursor
        .violation()
        .expect("the broken variant is caught")
        .clone();
    let at = tl.next_mark(MarkKind::Violation, 0).unwrap();
    assert!(tl.seek_index(at).violation().is_some());
    let before = tl.step_back(&tl.seek_index(at)).unwrap();
    assert!(before.violation().is_none());
    assert_eq!(tl.seek_index(at).violation(), Some(&v));
    assert_eq!(
        tl.previous_mark(MarkKind::Violation, tl.head_len()),
        Some(at)
    );
}

/// Acting live at the head records actions; a seek before them replays
/// them (the snapshots predate them).
#[test]
fn replaying_from_before_live_actions_runs_them() {
    let s = scenario("raft-election");
    let mut cursor = build(&s, RunOptions::default()).unwrap();
    let mut tl = Timeline::new(&mut cursor, 300);
    tl.advance(&mut cursor, secs(1.5), u64::MAX);
    tl.act(
        &mut cursor,
        Action::Partition {
            groups: vec![vec![NodeId(0), NodeId(1)]],
        },
    )
    .unwrap();
    tl.advance(&mut cursor, secs(3.0), u64::MAX);
    assert!(!tl.act(&mut cursor, Action::Heal).unwrap(), "at the head");
    tl.advance(&mut cursor, secs(4.0), u64::MAX);
    assert_eq!(tl.actions().len(), s.actions.len() + 2);
    let head = state(&cursor);

    let mut again = tl.seek_time(secs(0.5));
    tl.advance(&mut again, secs(4.0), u64::MAX);
    assert_eq!(state(&again), head);
    // And the recorded scenario replays it natively.
    let fresh = run(&tl.scenario(&s), secs(4.0));
    assert_eq!(state(&fresh), head);
}

#[test]
fn acting_in_the_past_branches_and_the_old_branch_stays() {
    let s = scenario("raft-sweep");
    let (mut tl, cursor) = recorded(&s, secs(6.0), 600);
    let old_head = (tl.head_len(), tl.head_hash());
    assert_eq!(tl.current_branch(), 0);

    // Back to 3 s, partition there: a new branch.
    let mut past = tl.seek_time(secs(3.0));
    let groups = vec![vec![NodeId(0), NodeId(1)]];
    let branched = tl
        .act(
            &mut past,
            Action::Partition {
                groups: groups.clone(),
            },
        )
        .unwrap();
    assert!(branched);
    assert_eq!(tl.branches().len(), 2);
    assert_eq!(tl.current_branch(), 1);
    let last = tl.actions().last().unwrap().clone();
    assert_eq!(last.at, secs(3.0));
    assert_eq!(last.action, Action::Partition { groups });
    tl.advance(&mut past, secs(5.0), u64::MAX);

    // The branch's scenario, run natively, is the branch.
    let fresh = run(&tl.scenario(&s), secs(5.0));
    assert_eq!(state(&past), state(&fresh));
    assert_eq!(tl.head_hash(), fresh.trace().hash());
    assert_ne!(tl.head_hash(), old_head.1);
    // Seeking within the new branch, before and after the fork.
    for t in [1.0, 2.9, 3.0, 3.5, 4.5] {
        assert_eq!(
            state(&tl.seek_time(secs(t))),
            state(&run(&tl.scenario(&s), secs(t))),
            "at {t}s"
        );
    }

    // Return to the first branch: its run is intact, and the cursor is
    // where the user left it (the fork point).
    let back = tl.switch(0, &past).unwrap();
    assert_eq!(tl.current_branch(), 0);
    assert_eq!((tl.head_len(), tl.head_hash()), old_head);
    assert_eq!(state(&back), state(&run(&s, secs(3.0))));
    assert_eq!(state(&tl.seek_time(secs(6.0))), state(&cursor));
    // And to the second again.
    let branch = tl.switch(1, &back).unwrap();
    assert_eq!(state(&branch), state(&fresh));

    // A bad action in the past starts no branch.
    let mut past = tl.seek_time(secs(1.0));
    let crashed = (0..5u16).map(NodeId).find(|n| !past.is_up(*n));
    if let Some(node) = crashed {
        assert!(tl.act(&mut past, Action::Crash { node }).is_err());
    }
    assert!(tl
        .act(&mut past, Action::Crash { node: NodeId(9) })
        .is_err());
    assert_eq!(tl.branches().len(), 2);
    assert_eq!(tl.current_branch(), 1);
}

#[test]
fn deferred_snapshots_at_uneven_spacing_still_seek_exactly() {
    let s = scenario("raft-sweep");
    let mut cursor = build(&s, RunOptions::default()).unwrap();
    let mut tl = Timeline::new(&mut cursor, 400);
    tl.defer_snapshots(true);
    let mut t = Time::ZERO;
    let mut taken = 0;
    let mut frame = 0u64;
    while t < secs(5.0) {
        // As a page does: the snapshot at the start of a frame, the
        // spacing changed on the way.
        if tl.take_due_snapshot(&cursor) {
            taken += 1;
        }
        frame += 1;
        tl.set_interval(if frame < 60 { 400 } else { 1_500 });
        t = Time((t.0 + 37_123).min(secs(5.0).0));
        tl.advance(&mut cursor, t, u64::MAX);
    }
    assert!(taken > 3, "{taken} snapshots");
    assert_eq!(tl.stats().snapshots, taken + 1, "none taken while deferred");
    // Not behind the head: nothing taken.
    let behind = tl.seek_time(secs(2.0));
    assert!(!tl.take_due_snapshot(&behind));
    for t in [0.0, 0.3, 1.234567, 2.5, 3.9, 4.99, 5.0] {
        let at = tl.seek_time(secs(t));
        let fresh = run(&s, secs(t));
        assert_eq!(state(&at), state(&fresh), "at {t}s");
    }
    for k in [0, 401, 2_345, tl.head_len() - 1, tl.head_len()] {
        let at = tl.seek_index(k);
        assert_eq!(state(&at), state(&fresh_to_index(&s, k)), "at event {k}");
    }
}

/// Shedding everything it may (old chunks of events, then snapshots down
/// to the first and the recent ones) changes no answer: the events read
/// back, seeks, jumps and branches are those of a fresh run.
#[test]
fn letting_old_detail_go_changes_no_answer() {
    use splitbrain_core::timeline::{Shed, CHUNK};
    // raft-sweep's faults and load, for minutes: ~60 chunks.
    let s: Scenario = serde_json::from_str(
        r#"{"protocol": {"name": "raft"}, "nodes": 5, "seed": 3,
            "network": {"latency": {"min": "2ms", "max": "20ms"}, "duplicate": 0.01},
            "workload": {"clients": 8, "keys": 3},
            "faults": {"until": "150s", "every": "400ms", "loss": 0.05}}"#,
    )
    .unwrap();
    let (mut tl, mut cursor) = recorded(&s, secs(200.0), 500);
    let all = tl.events_in(0..tl.head_len());
    assert!(all.len() > 48 * CHUNK, "{} events", all.len());
    let replies: Vec<u64> = (0..all.len())
        .filter(|&i| all[i].kind == EventKind::ClientReturn)
        .map(|i| i as u64 + 1)
        .collect();
    let snapshots = tl.stats().snapshots;
    let (mut chunks, mut snaps) = (0, 0);
    loop {
        match tl.shed() {
            Shed::Events(_) => chunks += 1,
            Shed::Snapshot => snaps += 1,
            Shed::Nothing => break,
        }
    }
    let st = tl.stats();
    assert!(
        chunks >= 16 && snaps > 10,
        "{chunks} chunks, {snaps} snapshots"
    );
    assert!(st.evicted_chunks >= 16, "{st:?}");
    assert_eq!(st.snapshots, snapshots - snaps);
    assert!(st.snapshots <= 10, "{st:?}");

    assert_eq!(tl.events_in(0..tl.head_len()), all);
    for (a, b) in [
        (0, 10),
        (4_000, 9_000),
        (CHUNK as u64 * 3 - 1, CHUNK as u64 * 7 + 5),
    ] {
        assert_eq!(tl.events_in(a..b), all[a as usize..b as usize]);
    }
    assert!(tl.stats().replayed_chunks > 0);
    for t in [secs(0.5), secs(17.3), secs(133.0), secs(199.9)] {
        let want = all.partition_point(|e| e.time < t) as u64;
        assert_eq!(tl.index_at(t, false), want);
        let want = all.partition_point(|e| e.time <= t) as u64;
        assert_eq!(tl.index_at(t, true), want);
    }
    for t in [0.3, 12.5, 71.0, 147.25, 199.0] {
        assert_eq!(
            state(&tl.seek_time(secs(t))),
            state(&run(&s, secs(t))),
            "at {t}s"
        );
    }
    // Client replies are found through chunks let go too.
    let mut from = 0;
    for want in replies.iter().take(30) {
        let at = tl.next_mark(MarkKind::ClientReply, from).unwrap();
        assert_eq!(at, *want);
        from = at;
    }
    let mid = replies[replies.len() / 2];
    assert_eq!(tl.previous_mark(MarkKind::ClientReply, mid + 1), Some(mid));

    // The run goes on, and a branch forks inside a chunk that was let go.
    tl.advance(&mut cursor, secs(202.0), u64::MAX);
    assert_eq!(tl.head_hash(), run(&s, secs(202.0)).trace().hash());
    let mut past = tl.seek_time(secs(5.0));
    assert!(
        tl.act(&mut past, Action::Crash { node: NodeId(1) })
            .unwrap()
            || !past.is_up(NodeId(1))
    );
    tl.advance(&mut past, secs(9.0), u64::MAX);
    let fresh = run(&tl.scenario(&s), secs(9.0));
    assert_eq!(state(&past), state(&fresh));
    assert_eq!(tl.events_in(0..tl.head_len()), fresh.trace().events());
}
