//! A search run a slice at a time (as the browser's explorer worker runs
//! it, reporting progress between slices) finds exactly what one call to
//! `explore` finds: same states, same depth, same verdicts and paths.

use splitbrain_core::explore::protocol::{Bounds, ProtocolModel};
use splitbrain_core::explore::two_phase::TwoPhaseSpec;
use splitbrain_core::explore::{explore, Model, Options, Report, Search, Strategy};
use splitbrain_core::protocols::paxos::{Paxos, PaxosConfig, PaxosVariant};
use splitbrain_core::{ProtocolConfig, Scenario};

fn in_slices<M: Model>(model: &M, options: Options, slice: usize) -> (Report<M::Action>, usize) {
    let mut search = Search::new(model, options);
    let mut slices = 0;
    let mut last = 0;
    while !search.run(model, slice) {
        slices += 1;
        let p = search.progress();
        assert!(p.unique_states >= last, "progress never goes back");
        last = p.unique_states;
    }
    (search.report(), slices)
}

fn same<A: PartialEq + core::fmt::Debug>(a: &Report<A>, b: &Report<A>) {
    assert_eq!(a.unique_states, b.unique_states);
    assert_eq!(a.depth, b.depth);
    assert_eq!(a.complete, b.complete);
    assert_eq!(a.verdicts, b.verdicts);
}

#[test]
fn two_phase_in_slices_matches_one_shot() {
    for strategy in [Strategy::BreadthFirst, Strategy::DepthFirst] {
        for symmetry in [false, true] {
            let options = Options {
                strategy,
                symmetry,
                ..Options::default()
            };
            let spec = TwoPhaseSpec::new(4);
            let whole = explore(&spec, options);
            for slice in [1, 7, 100, 1 << 20] {
                let (sliced, slices) = in_slices(&spec, options, slice);
                same(&whole, &sliced);
                if slice == 1 {
                    assert!(slices > 100, "one state per slice: {slices} slices");
                }
            }
        }
    }
    let (three, _) = in_slices(&TwoPhaseSpec::new(3), Options::default(), 5);
    assert_eq!(three.unique_states, 288);
}

/// Naive Paxos's shortest counterexample, found slice by slice, is the
/// same path, and stopping at the violation leaves the same state count.
#[test]
fn paxos_violation_in_slices_matches_one_shot() {
    let config = PaxosConfig {
        variant: PaxosVariant::NaiveNoPromise,
        ..PaxosConfig::default()
    };
    let scenario = Scenario::new(ProtocolConfig::Paxos(config.clone()), 3, 0);
    let bounds = Bounds {
        max_timer_fires: 2,
        ..Bounds::default()
    };
    let model = ProtocolModel::<Paxos>::new(&scenario, config, bounds).unwrap();
    let options = Options {
        stop_at_violation: true,
        ..Options::default()
    };
    let whole = explore(&model, options);
    assert!(!whole.complete);
    for slice in [1, 3, 64] {
        let (sliced, _) = in_slices(&model, options, slice);
        same(&whole, &sliced);
    }
}

/// Giving up midway reports what was seen, as incomplete.
#[test]
fn stopping_midway_is_incomplete() {
    let spec = TwoPhaseSpec::new(5);
    let mut search = Search::new(&spec, Options::default());
    assert!(!search.run(&spec, 50));
    search.stop();
    assert!(search.is_done());
    let report = search.report();
    assert!(!report.complete);
    assert!(report.unique_states > 50);
    assert!(report.unique_states < explore(&spec, Options::default()).unique_states);
}
