//! Raft is explorable: its node, durable and checker states hash and
//! compare, so the explorer can search a small cluster exhaustively. Within
//! small bounds (three nodes, two timer firings: an election, a leader and
//! its first AppendEntries, or a competing election) every reachable state
//! keeps Raft's six safety properties, breadth- and depth-first agreeing
//! on the count (pinned); so it does with a client write the explorer
//! makes when it chooses, which it replicates and applies.
//!
//! Figure 8 (a leader commits an old-term entry by counting replicas) takes
//! four elections and three crashes on three nodes, some 33 steps: deeper
//! than an exhaustive search of these bounds reaches (breadth-first passes
//! 16 million states by depth 14). Its schedule is written here step by
//! step in the explorer's words; the explorer's model takes it, the broken
//! variant breaks state machine safety at its last step and the
//! counterexample replays in the simulator, while correct Raft takes the
//! same schedule and breaks nothing.

mod common;

use splitbrain_core::explore::protocol::{Bounds, Links, ProtocolModel, Step};
use splitbrain_core::explore::{explore, Model, Options, Strategy, Verdict};
use splitbrain_core::protocol::{Checker, Protocol};
use splitbrain_core::protocols::raft::{Raft, RaftConfig, RaftVariant};
use splitbrain_core::registry::{self, Variant};
use splitbrain_core::scenario::Scripted;
use splitbrain_core::{Action, ProtocolConfig, Scenario};

fn model(bounds: Bounds) -> ProtocolModel<Raft> {
    let config = RaftConfig::default();
    let scenario = Scenario::new(ProtocolConfig::Raft(config.clone()), 3, 0);
    ProtocolModel::<Raft>::new(&scenario, config, bounds).unwrap()
}

fn holds(bounds: Bounds, strategy: Strategy) -> usize {
    let report = explore(
        &model(bounds),
        Options {
            strategy,
            max_states: Some(3_000_000),
            ..Options::default()
        },
    );
    assert!(report.complete, "bounded: the search must finish");
    for (name, _, verdict) in &report.verdicts {
        assert!(
            matches!(verdict, Verdict::Holds { .. }),
            "{name}: {verdict:?}"
        );
    }
    assert_eq!(report.verdicts.len(), 7, "Raft's seven properties");
    report.unique_states
}

#[test]
fn raft_is_safe_within_small_bounds() {
    let bounds = Bounds {
        max_timer_fires: 2,
        max_in_flight: 4,
        ..Bounds::default()
    };
    let bfs = holds(bounds, Strategy::BreadthFirst);
    let dfs = holds(bounds, Strategy::DepthFirst);
    println!("raft, 3 nodes, 2 timer firings, 4 in flight: {bfs} states");
    assert_eq!(bfs, dfs);
    assert_eq!(bfs, 7_852);
}

#[test]
fn raft_with_a_crash_is_safe_within_small_bounds() {
    let bounds = Bounds {
        max_timer_fires: 2,
        max_in_flight: 3,
        max_crashes: 1,
        ..Bounds::default()
    };
    let n = holds(bounds, Strategy::BreadthFirst);
    println!("raft, 3 nodes, 2 timer firings, 3 in flight, 1 crash: {n} states");
    assert_eq!(n, 16_667);
}

/// The `raft-write` explorer preset (three nodes, one client write to n0
/// that the explorer makes when it chooses, one entry per message) running
/// `variant`, within `bounds`.
fn with_a_write(variant: RaftVariant, bounds: Bounds) -> (Scenario, ProtocolModel<Raft>) {
    let (_, preset) = registry::explore_presets()
        .find(|(_, p)| p.id == "raft-write")
        .expect("the raft-write preset");
    let mut scenario = (preset.scenario)();
    let config = RaftConfig::of_mut(&mut scenario.protocol).unwrap();
    config.variant = variant;
    let config = config.clone();
    let model = ProtocolModel::<Raft>::new(&scenario, config, bounds).unwrap();
    (scenario, model)
}

/// Takes, in the last state of `path`, the step whose description starts
/// with `what`: a schedule written the way the CLI prints one.
fn take(model: &ProtocolModel<Raft>, path: &mut Vec<Step>, what: &str) {
    let w = model.replay(path).pop().unwrap();
    assert_eq!(
        model.replay(path).len(),
        path.len() + 1,
        "every step applied"
    );
    let mut steps = Vec::new();
    model.actions(&w, &mut steps);
    let found: Vec<Step> = steps
        .into_iter()
        .filter(|s| model.describe_in(&w, *s).starts_with(what))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "step {}: `{what}` among {:?}",
        path.len() + 1,
        {
            let mut all = Vec::new();
            model.actions(&w, &mut all);
            all.iter()
                .map(|s| model.describe_in(&w, *s))
                .collect::<Vec<_>>()
        }
    );
    path.push(found[0]);
}

/// Figure 8 on three nodes, as the paper tells it: n0 leads term 1 and
/// takes a client's write that no one else receives; n1 leads term 2 with
/// its no-op alone; n0 leads term 3 and copies the term-1 write to n2, a
/// majority, then (broken) commits and applies it by counting; n1 leads
/// term 4 with n2's vote and overwrites index 2 with its own no-op.
fn figure_8(model: &ProtocolModel<Raft>) -> Vec<Step> {
    let mut path = Vec::new();
    for what in [
        "n0: timer 0 fires",
        "deliver n0 → n1: Vote? t1",
        "deliver n1 → n0: Vote✓ t1",
        "a client asks n0: put x=1",
        "n0 crashes",
        "deliver n0 → n2: Vote? t1",
        "n1: timer 0 fires",
        "deliver n1 → n2: Vote? t2",
        "deliver n2 → n1: Vote✓ t2",
        "n1 crashes",
        "n0 restarts",
        "deliver n1 → n0: Vote? t2",
        "n0: timer 0 fires",
        "deliver n0 → n2: Vote? t3",
        "deliver n2 → n0: Vote✓ t3",
        "deliver n0 → n2: AE t3 [3]",
        "deliver n2 → n0: AE✗ t3",
        "deliver n0 → n2: AE t3 [1]",
        "deliver n2 → n0: AE✓ t3 ≤1",
        "deliver n0 → n2: AE t3 [2]",
        "deliver n2 → n0: AE✓ t3 ≤2",
        "n0 crashes",
        "n1 restarts",
        "deliver n0 → n1: AE t3 [3]",
        "n1: timer 0 fires",
        "deliver n1 → n2: Vote? t4",
        "deliver n2 → n1: Vote✓ t4",
        "deliver n1 → n2: AE t4 [2]",
        "deliver n2 → n1: AE✗ t4",
        "deliver n1 → n2: AE t4 [1]",
        "deliver n2 → n1: AE✓ t4 ≤1",
        "deliver n1 → n2: AE t4 [2]",
        "deliver n2 → n1: AE✓ t4 ≤2",
    ] {
        take(model, &mut path, what);
    }
    path
}

const FIGURE_8_BOUNDS: Bounds = Bounds {
    max_crashes: 3,
    max_drops: 0,
    max_duplicates: 0,
    max_partitions: 0,
    max_in_flight: 16,
    max_timer_fires: 4,
    synchronous: false,
    links: Links::NONE,
};

/// The schedule above breaks state machine safety on the broken variant,
/// at its last step and not before (n0 applied the write at index 2; n1
/// applies its no-op there), and the counterexample replays in the
/// simulator as a scenario with the write in its script.
#[test]
fn figure_8_breaks_raft_that_commits_old_terms_by_counting() {
    let (scenario, model) = with_a_write(RaftVariant::CommitOldTermByCount, FIGURE_8_BOUNDS);
    let path = figure_8(&model);
    let states = model.replay(&path);
    assert_eq!(states.len(), path.len() + 1);
    let before = &states[states.len() - 2];
    assert_eq!(before.violation, None);
    let (invariant, message) = states.last().unwrap().violation.clone().unwrap();
    assert_eq!(
        <Raft as Protocol>::Checker::INVARIANTS[invariant],
        "state machine safety",
        "{message}"
    );
    let replay = common::replays(&model, &scenario, &path, "state machine safety");
    assert!(
        replay.actions.is_empty(),
        "the write is made where the script makes it: {:?}",
        replay.actions
    );
    assert!(replay.script.iter().any(|s| matches!(
        s.step,
        Scripted::Act {
            action: Action::Request { .. }
        }
    )));
}

/// Correct Raft takes the same schedule (it never commits the term-1 write
/// by counting, so n0 never applies it) and nothing breaks.
#[test]
fn figure_8_schedule_is_safe_on_correct_raft() {
    let (_, model) = with_a_write(RaftVariant::Correct, FIGURE_8_BOUNDS);
    let path = figure_8(&model);
    let states = model.replay(&path);
    assert_eq!(states.len(), path.len() + 1, "the whole schedule applies");
    for w in &states {
        assert_eq!(w.violation, None);
    }
}

/// The write reaches the log and is checked: within the preset's bounds
/// without crashes (an election, the write, its replication) every state
/// of correct Raft keeps the six properties, and the count is pinned.
#[test]
fn raft_with_a_client_write_is_safe_within_small_bounds() {
    let (_, preset) = registry::explore_presets()
        .find(|(_, p)| p.id == "raft-write")
        .unwrap();
    let bounds = Bounds {
        max_timer_fires: preset.max_timers,
        max_in_flight: preset.max_in_flight,
        ..Bounds::default()
    };
    let (_, model) = with_a_write(RaftVariant::Correct, bounds);
    let report = explore(&model, Options::default());
    assert!(report.complete);
    for (name, _, verdict) in &report.verdicts {
        assert!(
            matches!(verdict, Verdict::Holds { .. }),
            "{name}: {verdict:?}"
        );
    }
    println!("raft with a write: {} states", report.unique_states);
    assert_eq!(report.unique_states, 74_640);
    // Among those states: n0 leads, takes the write, replicates it to n1
    // and applies it.
    let mut path = Vec::new();
    for what in [
        "n0: timer 0 fires",
        "deliver n0 → n1: Vote? t1",
        "deliver n0 → n2: Vote? t1",
        "deliver n1 → n0: Vote✓ t1",
        "deliver n2 → n0: Vote✓ t1",
        "a client asks n0: put x=1",
        "deliver n0 → n1: AE t1 [1]",
        "deliver n1 → n0: AE✓ t1 ≤1",
        "deliver n0 → n1: AE t1 [2]",
        "deliver n1 → n0: AE✓ t1 ≤2",
    ] {
        take(&model, &mut path, what);
    }
    let last = model.replay(&path).pop().unwrap();
    let n0 = last.nodes[0].up().expect("n0 runs");
    assert_eq!(n0.commit_index(), 2);
    assert_eq!(n0.kv().get("x").map(String::as_str), Some("1"));
}

/// The bounds an explorer preset names, with its network.
fn preset_bounds(id: &str) -> (Scenario, ProtocolModel<Raft>) {
    let (_, preset) = registry::explore_presets()
        .find(|(_, p)| p.id == id)
        .unwrap_or_else(|| panic!("the {id} preset"));
    let scenario = (preset.scenario)();
    let config = RaftConfig::of(&scenario.protocol).unwrap().clone();
    let bounds = Bounds {
        max_timer_fires: preset.max_timers,
        max_in_flight: preset.max_in_flight,
        max_crashes: preset.max_crashes,
        links: preset.links,
        ..Bounds::default()
    };
    let model = ProtocolModel::<Raft>::new(&scenario, config, bounds).unwrap();
    (scenario, model)
}

/// How many states a level the directed search of the Figure 8 presets
/// keeps, and how deep it goes: what the CLI's `--directed` defaults to.
const WIDTH: usize = 20_000;
const DEPTH: usize = 40;

/// The explorer finds Figure 8 by itself: a directed search of the
/// `raft-figure8-broken` preset (four elections, three crashes, one write,
/// TCP-like links), ranking states by how much the logs disagree, reaches
/// a state machine safety violation and the path replays in the
/// simulator. Nothing in the search knows the schedule.
#[test]
fn a_directed_search_finds_figure_8() {
    let (scenario, model) = preset_bounds("raft-figure8-broken");
    let found = splitbrain_core::explore::directed::directed(
        &model,
        WIDTH,
        DEPTH,
        &|w| model.interest(w),
        &mut |_| true,
    );
    let (name, path) = found.violation.expect("Figure 8 is found");
    println!(
        "figure 8: {} steps, {} states seen, depth {}",
        path.len(),
        found.states,
        found.depth
    );
    assert_eq!(name, "state machine safety");
    let states = model.replay(&path);
    let (invariant, message) = states.last().unwrap().violation.clone().unwrap();
    assert_eq!(
        <Raft as Protocol>::Checker::INVARIANTS[invariant],
        "state machine safety",
        "{message}"
    );
    let steps: Vec<String> = states
        .iter()
        .zip(&path)
        .map(|(w, s)| model.describe_in(w, *s))
        .collect();
    assert!(
        steps.iter().filter(|s| s.ends_with("crashes")).count() >= 2,
        "leaders make way by crashing: {steps:#?}"
    );
    assert!(steps.iter().any(|s| s.starts_with("a client asks n0")));
    let replay = common::replays(&model, &scenario, &path, "state machine safety");
    assert!(replay.actions.is_empty(), "{:?}", replay.actions);
}

/// The same search on correct Raft, as wide and as deep, finds nothing.
/// This is no proof (the search drops all but the best states of each
/// level); a complete search of these bounds does not finish, which is
/// why the directed one exists.
#[test]
fn the_same_directed_search_finds_nothing_on_correct_raft() {
    let (_, model) = preset_bounds("raft-figure8");
    let found = splitbrain_core::explore::directed::directed(
        &model,
        WIDTH,
        DEPTH,
        &|w| model.interest(w),
        &mut |_| true,
    );
    println!(
        "correct raft, directed: {} states seen, depth {}",
        found.states, found.depth
    );
    assert!(found.violation.is_none(), "{:?}", found.violation);
    assert!(found.depth >= 33, "it went as deep as Figure 8 needs");
}

/// `Raft::ignores` is what lets the explorer forget a message: in every
/// state of a small search with crashes and a write, each message it
/// says its (running) receiver ignores changes nothing when delivered:
/// the state after is the state with the message gone.
#[test]
fn messages_raft_ignores_change_nothing_when_delivered() {
    let bounds = Bounds {
        max_timer_fires: 3,
        max_in_flight: 4,
        max_crashes: 1,
        ..Bounds::default()
    };
    let (_, model) = with_a_write(RaftVariant::Correct, bounds);
    let mut level = Vec::new();
    model.init(&mut level);
    let mut seen = std::collections::HashSet::new();
    let (mut checked, mut states) = (0, 0);
    let mut steps = Vec::new();
    for _ in 0..12 {
        let mut next = Vec::new();
        for w in &level {
            for (i, m) in w.flight.iter().enumerate() {
                let slot = &w.nodes[m.to.index()];
                if slot.up().is_none() || !Raft::ignores(slot, &m.msg) {
                    continue;
                }
                let mut gone = w.clone();
                gone.flight.remove(i);
                let delivered = model.apply(w, Step::Deliver(i as u16)).unwrap();
                assert!(
                    delivered == gone,
                    "{} changes its receiver",
                    Raft::msg_label(&m.msg)
                );
                checked += 1;
            }
            steps.clear();
            model.actions(w, &mut steps);
            for s in &steps {
                if let Some(n) = model.next(w, s) {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    std::hash::Hash::hash(&n, &mut h);
                    if seen.insert(std::hash::Hasher::finish(&h)) {
                        next.push(n);
                    }
                }
            }
        }
        states += next.len();
        level = next;
    }
    println!("{checked} ignored messages delivered in {states} states");
    assert!(checked > 1_000, "only {checked} ignored messages seen");
}
