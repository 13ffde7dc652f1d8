//! A breadth-first search split among workers finds exactly what one
//! thread finds: the same number of states, the same depth, the same
//! verdicts with the same paths, the same bound stopping it, whatever the
//! number of workers, the order their tasks run in and the slice size.

use std::num::NonZeroUsize;

use splitbrain_core::explore::protocol::{Bounds, ProtocolModel, Step};
use splitbrain_core::explore::two_phase::TwoPhaseSpec;
use splitbrain_core::explore::{
    explore, explore_on, Model, Options, Report, Search, Stop, Verdict, Workers,
};
use splitbrain_core::protocols::commit::three_phase::{ThreePhase, ThreePhaseConfig};
use splitbrain_core::protocols::paxos::{Paxos, PaxosConfig, PaxosVariant};
use splitbrain_core::protocols::raft::{Raft, RaftConfig};
use splitbrain_core::{NodeId, ProtocolConfig, Scenario, Time, TimedAction};

/// Real threads, as the command line runs them.
struct Threads(usize);

impl Workers for Threads {
    fn count(&self) -> usize {
        self.0
    }
    fn join<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
        std::thread::scope(|s| {
            for task in tasks {
                s.spawn(task);
            }
        });
    }
}

/// One thread running the tasks last first: whichever task finishes
/// first, the outcome is the same.
struct Backwards(usize);

impl Workers for Backwards {
    fn count(&self) -> usize {
        self.0
    }
    fn join<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
        for task in tasks.into_iter().rev() {
            task();
        }
    }
}

fn same<A: PartialEq + core::fmt::Debug>(what: &str, one: &Report<A>, many: &Report<A>) {
    assert_eq!(one.unique_states, many.unique_states, "{what}: states");
    assert_eq!(one.depth, many.depth, "{what}: depth");
    assert_eq!(one.complete, many.complete, "{what}: complete");
    assert_eq!(one.stopped, many.stopped, "{what}: stopped");
    assert_eq!(one.depth_cut, many.depth_cut, "{what}: depth cut");
    assert_eq!(one.verdicts, many.verdicts, "{what}: verdicts");
}

/// Runs `model` one-threaded, then on 2, 3 and 5 threads and backwards
/// with several slice sizes, and checks every run agrees; returns the
/// one-threaded report.
fn agree<M>(what: &str, model: &M, options: Options) -> Report<M::Action>
where
    M: Model + Sync,
    M::State: Send + Sync,
    M::Action: Send + PartialEq,
{
    let one = explore(model, options);
    let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
    for threads in [2, 3, 5, cores] {
        let many = explore_on(model, options, &Threads(threads), &mut |_| true);
        same(&format!("{what}, {threads} threads"), &one, &many);
    }
    for slice in [1, 40, 333, 100_000] {
        let workers = Backwards(3);
        let mut search = Search::new(model, options);
        while !search.run_on(model, slice, &workers) {}
        same(
            &format!("{what}, backwards, slices of {slice}"),
            &one,
            &search.report(),
        );
    }
    one
}

fn violation<A: Clone>(report: &Report<A>) -> Option<(&'static str, Vec<A>)> {
    report.verdicts.iter().find_map(|(name, _, v)| match v {
        Verdict::Violated { path } => Some((*name, path.clone())),
        _ => None,
    })
}

#[test]
fn two_phase_agrees_on_any_number_of_threads() {
    let spec = TwoPhaseSpec::new(6);
    let full = agree("6 RMs", &spec, Options::default());
    assert!(full.complete);
    let sym = agree(
        "6 RMs, symmetry",
        &spec,
        Options {
            symmetry: true,
            ..Options::default()
        },
    );
    assert!(sym.unique_states < full.unique_states);
    // Cut short by each bound: the cut falls on the same state.
    let states = agree(
        "6 RMs, 5,000 states",
        &spec,
        Options {
            max_states: Some(5_000),
            ..Options::default()
        },
    );
    assert_eq!(
        (states.unique_states, states.stopped),
        (5_000, Some(Stop::States))
    );
    let bound = Search::<TwoPhaseSpec>::bytes_per_state_bound();
    let memory = agree(
        "6 RMs, memory for 7,000 states",
        &spec,
        Options {
            max_memory: Some(7_000 * bound + bound / 2),
            ..Options::default()
        },
    );
    assert_eq!(
        (memory.unique_states, memory.stopped),
        (7_000, Some(Stop::Memory))
    );
    let shallow = agree(
        "6 RMs, depth 4",
        &spec,
        Options {
            max_depth: Some(4),
            ..Options::default()
        },
    );
    assert!(shallow.depth_cut && !shallow.complete);
    assert_eq!(shallow.depth, 4);
}

fn paxos(variant: PaxosVariant, bounds: Bounds) -> ProtocolModel<Paxos> {
    let config = PaxosConfig {
        variant,
        ..PaxosConfig::default()
    };
    let scenario = Scenario::new(ProtocolConfig::Paxos(config.clone()), 3, 0);
    ProtocolModel::<Paxos>::new(&scenario, config, bounds).unwrap()
}

/// The pinned protocol results come out the same on every number of
/// threads: real Paxos's 19,050 states, naive Paxos's 4-step violation,
/// Raft's 7,852 states.
#[test]
fn protocols_agree_on_any_number_of_threads() {
    let two_ballots = Bounds {
        max_timer_fires: 2,
        max_in_flight: 5,
        ..Bounds::default()
    };
    let real = agree(
        "real Paxos",
        &paxos(PaxosVariant::Classic, two_ballots),
        Options::default(),
    );
    assert_eq!((real.unique_states, real.complete), (19_050, true));

    let naive = agree(
        "naive Paxos",
        &paxos(
            PaxosVariant::NaiveNoPromise,
            Bounds {
                max_timer_fires: 2,
                ..Bounds::default()
            },
        ),
        Options {
            stop_at_violation: true,
            ..Options::default()
        },
    );
    let (name, path) = violation(&naive).expect("a violation");
    assert_eq!((name, path.len()), ("agreement", 4));
    assert_eq!(naive.stopped, Some(Stop::Violation));

    let config = RaftConfig::default();
    let scenario = Scenario::new(ProtocolConfig::Raft(config.clone()), 3, 0);
    let raft = ProtocolModel::<Raft>::new(
        &scenario,
        config,
        Bounds {
            max_timer_fires: 2,
            max_in_flight: 4,
            ..Bounds::default()
        },
    )
    .unwrap();
    let raft = agree("Raft", &raft, Options::default());
    assert_eq!(raft.unique_states, 7_852);
}

/// 3PC's counterexample under asynchrony: the same path on any number of
/// threads. (Its length is pinned in `explore_protocols.rs`.)
#[test]
fn three_phase_counterexample_agrees_on_any_number_of_threads() {
    let config = ThreePhaseConfig::default();
    let mut scenario = Scenario::new(ProtocolConfig::ThreePhase(config.clone()), 3, 0);
    scenario
        .actions
        .push(TimedAction::put(Time::ZERO, NodeId(0), "x", "1"));
    let model = ProtocolModel::<ThreePhase>::new(
        &scenario,
        config,
        Bounds {
            max_timer_fires: 10,
            max_in_flight: 4,
            ..Bounds::default()
        },
    )
    .unwrap();
    let report = agree(
        "3PC",
        &model,
        Options {
            stop_at_violation: true,
            ..Options::default()
        },
    );
    let found: Option<(&str, Vec<Step>)> = violation(&report);
    assert!(found.is_some(), "{:?}", report.verdicts);
}
