//! Exhaustive exploration speed: unique states per second for the
//! Gray–Lamport two-phase commit model, and memory per stored state.
//! Prints numbers; asserts nothing. For comparison (from the issue): an
//! established Rust model checker explores this model at 7 RMs (296,448
//! unique states) at about 655,000 states/s on one core of this kind of
//! machine, and 494,000 at 8.

use std::time::Instant;

use splitbrain_core::explore::two_phase::TwoPhaseSpec;
use splitbrain_core::explore::{explore, Options, Strategy};

fn main() {
    // `cargo bench` passes `--bench`; accept and ignore harness flags.
    println!("two-phase commit model (TLA+ TwoPhase), one core:");
    for (rms, symmetry, strategy) in [
        (7, false, Strategy::BreadthFirst),
        (8, false, Strategy::BreadthFirst),
        (7, false, Strategy::DepthFirst),
        (8, true, Strategy::BreadthFirst),
    ] {
        let spec = TwoPhaseSpec::new(rms);
        let options = Options {
            strategy,
            symmetry,
            ..Options::default()
        };
        explore(&spec, options); // warm up
        let mut best = f64::MAX;
        let mut report = None;
        for _ in 0..5 {
            let start = Instant::now();
            let r = explore(&spec, options);
            best = best.min(start.elapsed().as_secs_f64());
            report = Some(r);
        }
        let r = report.unwrap();
        println!(
            "  {rms} RMs{}{}: {} unique states in {:.1} ms: {:.0} states/s, {} bytes/state",
            if symmetry { " with symmetry" } else { "" },
            if strategy == Strategy::DepthFirst {
                " (DFS)"
            } else {
                ""
            },
            r.unique_states,
            best * 1e3,
            r.unique_states as f64 / best,
            r.bytes_per_state,
        );
    }
}
