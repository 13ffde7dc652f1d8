//! The explorer on real protocols: it finds the known bugs with the
//! shortest schedule, proves real Paxos safe within small bounds, and each
//! counterexample replays in the simulator as an ordinary scenario.

mod common;

use splitbrain_core::explore::protocol::{Bounds, ProtocolModel, Step};
use splitbrain_core::explore::{explore, Options, Report, Strategy, Verdict};
use splitbrain_core::protocol::{Protocol, Slot};
use splitbrain_core::protocols::commit::three_phase::{ThreePhase, ThreePhaseConfig};
use splitbrain_core::protocols::paxos::{Paxos, PaxosConfig, PaxosVariant};
use splitbrain_core::registry::{self, Variant};
use splitbrain_core::scenario::{ScriptStep, Scripted};
use splitbrain_core::*;

const FIRST: Options = Options {
    strategy: Strategy::BreadthFirst,
    symmetry: false,
    max_depth: None,
    max_states: Some(2_000_000),
    max_memory: None,
    stop_at_violation: true,
};

/// The explorer preset `id` (the one the CLI and the app start from), with
/// its protocol's config.
fn preset<C: Variant + Clone>(id: &str) -> (Scenario, C) {
    let (_, preset) = registry::explore_presets()
        .find(|(_, p)| p.id == id)
        .unwrap_or_else(|| panic!("no explorer preset {id}"));
    let scenario = (preset.scenario)();
    let config = C::of(&scenario.protocol).expect("its protocol").clone();
    (scenario, config)
}

fn paxos(variant: PaxosVariant) -> (Scenario, PaxosConfig) {
    preset(match variant {
        PaxosVariant::NaiveNoPromise => "naive-paxos",
        _ => "paxos",
    })
}

fn three_phase() -> (Scenario, ThreePhaseConfig) {
    preset("three-phase")
}

fn violated(report: &Report<Step>) -> Option<(&'static str, &Vec<Step>)> {
    report.verdicts.iter().find_map(|(name, _, v)| match v {
        Verdict::Violated { path } => Some((*name, path)),
        _ => None,
    })
}

/// Naive Paxos (no promise phase) chooses two values. Shortest schedule:
/// n0 proposes b3 and n1 accepts (chosen: n0, n1); n1 proposes b7 and n2
/// accepts (chosen again, another value).
#[test]
fn naive_paxos_agreement_violation() {
    let (scenario, config) = paxos(PaxosVariant::NaiveNoPromise);
    let bounds = Bounds {
        max_timer_fires: 2,
        ..Bounds::default()
    };
    let model = ProtocolModel::<Paxos>::new(&scenario, config.clone(), bounds).unwrap();
    let report = explore(&model, FIRST);
    let (name, path) = violated(&report).expect("a violation");
    assert_eq!((name, path.len()), ("agreement", 4), "{path:?}");
    let states = model.replay(path);
    let words: Vec<String> = states
        .iter()
        .zip(path)
        .map(|(w, s)| model.describe_in(w, *s))
        .collect();
    assert_eq!(
        words,
        [
            "n0: timer 0 fires",
            "deliver n0 → n1: Accept b3 \"v0\"",
            "n1: timer 0 fires",
            "deliver n1 → n2: Accept b7 \"v1\"",
        ]
    );
    common::replays(&model, &scenario, path, name);
}

/// 3PC assumes a synchronous network. Here messages may wait arbitrarily
/// long, and the explorer finds atomicity broken in 11 steps without a
/// crash or a partition: the coordinator's CanCommit to n2 is slower than
/// n1's timeout, so n1, uncertain and hearing from no one who knows,
/// terminates alone and aborts; n2's vote then arrives, the coordinator
/// pre-commits, and its acknowledgement timeout commits.
#[test]
fn three_phase_atomicity_violation_under_asynchrony() {
    let (scenario, config) = three_phase();
    let bounds = Bounds {
        max_partitions: 0,
        max_timer_fires: 10,
        max_in_flight: 4,
        ..Bounds::default()
    };
    let model = ProtocolModel::<ThreePhase>::new(&scenario, config.clone(), bounds).unwrap();
    let report = explore(&model, FIRST);
    let (name, path) = violated(&report).expect("a violation");
    let states = model.replay(path);
    let words: Vec<String> = states
        .iter()
        .zip(path)
        .map(|(w, s)| model.describe_in(w, *s))
        .collect();
    assert_eq!(name, "atomicity");
    assert_eq!(
        words,
        [
            "deliver n0 → n1: CanCommit? T0",
            "deliver n1 → n0: Yes T0",
            "n1: timer 0 fires",
            "deliver n1 → n0: State? T0",
            "deliver n1 → n2: State? T0",
            "deliver n0 → n2: CanCommit? T0",
            "deliver n2 → n0: Yes T0",
            "n1: timer 0 fires",
            "deliver n0 → n1: PreCommit T0",
            "deliver n1 → n2: Abort T0",
            "n0: timer 0 fires",
        ]
    );
    common::replays(&model, &scenario, path, name);
}

/// On the network 3PC assumes (every message arrives before the next
/// timeout), crashes and restarts of any site, coordinator and
/// participants alike, never break atomicity: every reachable state with
/// up to two crashes holds. The same bounds without synchrony do break.
#[test]
fn three_phase_holds_with_crashes_on_a_synchronous_network() {
    let (scenario, config) = three_phase();
    let bounds = Bounds {
        synchronous: true,
        max_crashes: 2,
        max_timer_fires: 12,
        max_in_flight: 6,
        ..Bounds::default()
    };
    let model = ProtocolModel::<ThreePhase>::new(&scenario, config.clone(), bounds).unwrap();
    let report = explore(&model, Options::default());
    assert!(report.complete);
    assert!(violated(&report).is_none(), "{:?}", violated(&report));
    assert_eq!(report.unique_states, 11_279);

    let asynchronous = Bounds {
        synchronous: false,
        ..bounds
    };
    let model = ProtocolModel::<ThreePhase>::new(&scenario, config, asynchronous).unwrap();
    assert!(violated(&explore(&model, FIRST)).is_some());
}

/// The crash-only run that broke 3PC before participants recovered by
/// asking (issue 16): n2 crashes before PreCommit reaches it, the
/// coordinator's acknowledgement timeout commits, n1 commits and crashes,
/// and n2 restarts. The explorer takes exactly these steps, and n2, now
/// recovering, asks the coordinator and commits.
#[test]
fn three_phase_crash_only_run_keeps_atomicity() {
    let (scenario, config) = three_phase();
    let bounds = Bounds {
        synchronous: true,
        max_crashes: 2,
        max_timer_fires: 12,
        ..Bounds::default()
    };
    let model = ProtocolModel::<ThreePhase>::new(&scenario, config, bounds).unwrap();
    let mut w = model.replay(&[]).pop().unwrap();
    let mut take = |want: &str| {
        let step = (0..8u16)
            .flat_map(|i| [Step::Deliver(i)])
            .chain((0..3).map(|n| Step::Fire {
                node: NodeId(n),
                timer: 0,
            }))
            .chain((0..3).flat_map(|n| [Step::Crash(NodeId(n)), Step::Restart(NodeId(n))]))
            .find(|s| model.apply(&w, *s).is_some() && model.describe_in(&w, *s) == want)
            .unwrap_or_else(|| panic!("no step `{want}`"));
        w = model.apply(&w, step).unwrap();
        assert!(w.violation.is_none(), "after `{want}`: {:?}", w.violation);
    };
    for step in [
        "deliver n0 → n1: CanCommit? T0",
        "deliver n0 → n2: CanCommit? T0",
        "deliver n1 → n0: Yes T0",
        "deliver n2 → n0: Yes T0",
        "n2 crashes",
        "deliver n0 → n1: PreCommit T0",
        "deliver n1 → n0: Ack T0",
        "n0: timer 0 fires",
        "deliver n0 → n1: DoCommit T0",
        "n1 crashes",
        "n2 restarts",
        "deliver n2 → n0: State? T0",
        "deliver n0 → n2: T0 committed",
    ] {
        take(step);
    }
    let stage = |n: usize| match &w.nodes[n] {
        Slot::Up(p) => p.view().role_label,
        Slot::Down(_) => "down",
    };
    assert_eq!(
        [stage(0), stage(1), stage(2)],
        ["coordinator", "down", "committed"]
    );
}

/// Real Paxos with 3 acceptors, 2 proposers and one ballot each (two
/// timer firings), at most 5 messages in flight: every reachable state
/// keeps agreement and validity. Breadth-first and depth-first agree on
/// the count, pinned.
#[test]
fn real_paxos_is_safe_within_bounds() {
    let (scenario, config) = paxos(PaxosVariant::Classic);
    let bounds = Bounds {
        max_timer_fires: 2,
        max_in_flight: 5,
        ..Bounds::default()
    };
    let model = ProtocolModel::<Paxos>::new(&scenario, config, bounds).unwrap();
    let report = explore(&model, Options::default());
    assert!(report.complete);
    assert!(violated(&report).is_none(), "{:?}", violated(&report));
    assert_eq!(report.unique_states, 19_050);
    let dfs = explore(
        &model,
        Options {
            strategy: Strategy::DepthFirst,
            ..Options::default()
        },
    );
    assert_eq!(dfs.unique_states, 19_050);
}

/// The explorer's own bounds bite: with crashes allowed, real Paxos still
/// holds (its promises are durable), over more states.
#[test]
fn real_paxos_survives_a_crash_within_bounds() {
    let (scenario, config) = paxos(PaxosVariant::Classic);
    let bounds = Bounds {
        max_timer_fires: 2,
        max_in_flight: 4,
        max_crashes: 1,
        ..Bounds::default()
    };
    let model = ProtocolModel::<Paxos>::new(&scenario, config, bounds).unwrap();
    let report = explore(&model, Options::default());
    assert!(report.complete);
    assert!(violated(&report).is_none(), "{:?}", violated(&report));
    assert_eq!(report.unique_states, 1_754);
}

/// Scripts are validated like the rest of a scenario.
#[test]
fn bad_scripts_are_rejected_with_a_path() {
    let (mut s, _) = paxos(PaxosVariant::Classic);
    s.script = vec![
        ScriptStep {
            at: Time(10),
            step: Scripted::Deliver { id: MessageId(0) },
        },
        ScriptStep {
            at: Time(5),
            step: Scripted::Deliver { id: MessageId(1) },
        },
    ];
    assert_eq!(s.validate().unwrap_err().path, "script[1].at");
    s.script[1].at = Time(10);
    s.script[1].step = Scripted::Fire {
        node: NodeId(7),
        timer: 0,
    };
    assert_eq!(s.validate().unwrap_err().path, "script[1].do.node");
    s.script.truncate(1);
    s.faults = Some(Default::default());
    assert_eq!(s.validate().unwrap_err().path, "script");
}

/// The explorer takes only client requests from a scenario: it chooses
/// faults itself.
#[test]
fn explorer_rejects_scenarios_with_faults_of_their_own() {
    let (mut s, config) = paxos(PaxosVariant::Classic);
    s.actions.push(TimedAction {
        at: Time::ZERO,
        action: Action::Crash { node: NodeId(1) },
    });
    let err = ProtocolModel::<Paxos>::new(&s, config, Bounds::default()).unwrap_err();
    assert_eq!(err.path, "actions[0]");
}
