//! `splitbrain explore --model two-phase --rms N [--symmetry] [--dfs]
//! [--max-depth D] [--max-states S]`: exhaustive exploration of a reference
//! model, printing the unique state count and each property's verdict.

use std::time::Instant;

use splitbrain_core::explore::two_phase::{TwoPhaseSpec, MAX_RMS};
use splitbrain_core::explore::{explore, Expectation, Model, Options, Strategy, Verdict};

use crate::{bad_input, Failure};

pub const USAGE: &str = "\
usage: splitbrain explore --model two-phase --rms N [--symmetry] [--dfs]
                          [--max-depth D] [--max-states S]

  --model two-phase  the Gray-Lamport two-phase commit spec (TLA+ TwoPhase)
  --rms N            resource managers, 1 to 15 (default 3)
  --symmetry         treat resource managers as interchangeable
  --dfs              depth-first (less memory) instead of breadth-first
                     (shortest counterexample first)

exit status: 0 every property as expected, 1 a property failed, 2 bad input";

fn number(flag: &str, value: Option<&String>) -> Result<usize, Failure> {
    let text = value.ok_or_else(|| bad_input(format!("{flag} needs a value\n\n{USAGE}")))?;
    text.parse()
        .map_err(|_| bad_input(format!("{flag} `{text}`: expected a non-negative integer")))
}

pub fn run(args: &[String]) -> Result<u8, Failure> {
    // --- explore: protocols ---
    if args.iter().any(|a| a == "--protocol") {
        return crate::explore_protocol::run(args);
    }
    let mut model = None;
    let mut rms = 3;
    let mut options = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--model" => model = it.next().cloned(),
            "--rms" => rms = number("--rms", it.next())?,
            "--symmetry" => options.symmetry = true,
            "--dfs" => options.strategy = Strategy::DepthFirst,
            "--max-depth" => options.max_depth = Some(number("--max-depth", it.next())?),
            "--max-states" => options.max_states = Some(number("--max-states", it.next())?),
            "-h" | "--help" => return Err(Failure(USAGE.to_string(), 0)),
            other => return Err(bad_input(format!("unknown option `{other}`\n\n{USAGE}"))),
        }
    }
    match model.as_deref() {
        Some("two-phase") => {}
        Some(other) => {
            return Err(bad_input(format!(
                "unknown model `{other}`: the models are: two-phase"
            )))
        }
        None => return Err(bad_input(format!("which model?\n\n{USAGE}"))),
    }
    if !(1..=MAX_RMS).contains(&rms) {
        return Err(bad_input(format!(
            "--rms {rms}: must be between 1 and {MAX_RMS}"
        )));
    }
    let spec = TwoPhaseSpec::new(rms);
    let start = Instant::now();
    let report = explore(&spec, options);
    let seconds = start.elapsed().as_secs_f64();
    println!("unique states: {}", report.unique_states);
    println!(
        "explored in {:.1} ms ({:.0} states/s), depth {}{}",
        seconds * 1e3,
        report.unique_states as f64 / seconds.max(1e-9),
        report.depth,
        if report.complete {
            ""
        } else {
            ", stopped at a bound: verdicts cover the states visited"
        }
    );
    let mut failed = false;
    for (name, expectation, verdict) in &report.verdicts {
        let kind = match expectation {
            Expectation::Always => "always",
            Expectation::Sometimes => "sometimes",
        };
        match verdict {
            Verdict::Holds { example } => match example {
                Some(path) => println!("{kind} {name}: holds (reached in {} steps)", path.len()),
                None => println!("{kind} {name}: holds"),
            },
            Verdict::Violated { path } => {
                failed = true;
                println!("{kind} {name}: VIOLATED after {} steps:", path.len());
                for (i, a) in path.iter().enumerate() {
                    println!("  {}. {}", i + 1, spec.describe(a));
                }
            }
            Verdict::NeverReached => {
                failed = true;
                println!("{kind} {name}: NEVER REACHED");
            }
        }
    }
    Ok(u8::from(failed))
}
