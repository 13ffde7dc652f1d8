//! The history view's linearizability badge on Raft's read paths: a stale
//! read from a deposed leader that reads locally turns it red, and the
//! explanation names that read; ReadIndex and lease reads in the same run
//! keep it green.

use splitbrain_app::history::{HistoryView, Property};
use splitbrain_core::check::Verdict;
use splitbrain_core::protocol::{Op, RoleKind};
use splitbrain_core::protocols::raft::{RaftConfig, ReadPath};
use splitbrain_core::registry::Variant;
use splitbrain_core::{build, Action, NodeId, ProtocolConfig, RunOptions, Scenario, Sim, Time};

fn leader(sim: &Sim) -> NodeId {
    (0..5)
        .map(NodeId)
        .filter(|n| sim.node_view(*n).role == RoleKind::Leader)
        .max_by_key(|n| sim.node_view(*n).term)
        .expect("a leader")
}

fn request(sim: &mut Sim, node: NodeId, op: Op) {
    sim.act(Action::Request {
        node,
        client: None,
        op,
    })
    .unwrap();
}

/// The old leader (with one follower) is cut off; the majority elects a
/// new one that commits `x=2`; then a client asks the old leader for `x`.
fn run(reads: ReadPath) -> Sim {
    let mut s = Scenario::new(ProtocolConfig::Raft(RaftConfig::default()), 5, 3);
    RaftConfig::of_mut(&mut s.protocol).unwrap().reads = reads;
    let mut sim = build(&s, RunOptions::default()).unwrap();
    let put = |v: &str| Op::Put {
        key: "x".into(),
        value: v.into(),
    };
    sim.run_until(Time(1_000_000), u64::MAX);
    let old = leader(&sim);
    request(&mut sim, old, put("1"));
    sim.run_until(Time(1_200_000), u64::MAX);
    sim.act(Action::Partition {
        groups: vec![vec![old, NodeId((old.0 + 1) % 5)]],
    })
    .unwrap();
    sim.run_until(Time(2_000_000), u64::MAX);
    let new = leader(&sim);
    assert_ne!(new, old);
    request(&mut sim, new, put("2"));
    sim.run_until(Time(2_500_000), u64::MAX);
    request(&mut sim, old, Op::Get { key: "x".into() });
    sim.run_until(Time(5_000_000), u64::MAX);
    sim
}

/// The view after its live check: asked for as the page asks, answered
/// here by the function the check worker runs.
fn checked(sim: &Sim) -> HistoryView {
    let mut view = HistoryView::new();
    view.sync_live(1, sim.history());
    let request = view
        .check_live(sim.history(), 0.0)
        .expect("a run with requests asks for a check");
    let answer = splitbrain_app::checks::answer(&request.job, &|| 0.0);
    view.accept(request.seq, answer);
    view
}

#[test]
fn a_stale_local_read_turns_the_badge_red_and_the_explanation_names_it() {
    let sim = run(ReadPath::LeaderLocal);
    let mut view = checked(&sim);
    let badge = &view.badges()[0];
    assert_eq!(badge.property, Property::Linearizable);
    assert_eq!(badge.verdict, Verdict::Violated, "{badge:?}");
    let read = view
        .ops()
        .iter()
        .position(|o| o.label.starts_with("get x"))
        .expect("the read is in the view");
    assert!(
        view.ops()[read].label.contains("→ \"1\""),
        "{:?}",
        view.ops()[read]
    );
    assert!(view.offending(Property::Linearizable).contains(&read));
    view.toggle(Property::Linearizable);
    let text = view.explanation().join("\n");
    assert!(
        text.contains(&format!("Cannot be placed next: {}", view.describe(read))),
        "{text}"
    );
}

#[test]
fn read_index_and_lease_reads_keep_the_badge_green() {
    for reads in [ReadPath::ReadIndex, ReadPath::Lease] {
        let view = checked(&run(reads));
        assert_eq!(view.badges()[0].verdict, Verdict::Holds, "{reads:?}");
    }
}
