//! `splitbrain explore --protocol P [bounds]`: exhaustive exploration of a
//! real protocol over the simulator's nondeterminism, or (`--swarm RUNS`)
//! many seeded random runs with randomly chosen faults. A violation is
//! written as an ordinary scenario that `splitbrain run` (and the app)
//! replays. `P` is one of the registry's explorer presets.

use std::path::PathBuf;
use std::time::Instant;

use splitbrain_core::explore::protocol::{Bounds, ProtocolSearch};
use splitbrain_core::explore::swarm::swarm;
use splitbrain_core::explore::thousands;
use splitbrain_core::explore::{Options, Verdict};
use splitbrain_core::registry::{self, Descriptor, ExplorePreset};
use splitbrain_core::Scenario;

use crate::explore::{number, print_summary, search, usage, SearchArgs};
use crate::{bad_input, load_scenario, Failure};

struct Args {
    protocol: String,
    scenario: Option<PathBuf>,
    search: SearchArgs,
    bounds: Bounds,
    out: Option<PathBuf>,
    swarm: Option<usize>,
    /// A directed search keeping this many states a level.
    directed: Option<usize>,
    seed: u64,
}

fn parse(args: &[String]) -> Result<Args, Failure> {
    let mut a = Args {
        protocol: String::new(),
        scenario: None,
        search: SearchArgs::new(Options {
            stop_at_violation: true,
            ..Options::default()
        }),
        bounds: Bounds::default(),
        out: None,
        swarm: None,
        directed: None,
        seed: 1,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if a.search.take(arg, &mut it)? {
            continue;
        }
        match arg.as_str() {
            "--protocol" => {
                a.protocol = it
                    .next()
                    .cloned()
                    .ok_or_else(|| bad_input(format!("--protocol needs a value\n\n{}", usage())))?
            }
            "--scenario" => a.scenario = it.next().map(PathBuf::from),
            "--symmetry" => {
                return Err(bad_input(
                    "--symmetry: not offered for protocols, whose node ids carry meaning \
                     (ballot numbers, the coordinator); it applies to --model two-phase",
                ))
            }
            "--max-crashes" => a.bounds.max_crashes = number(arg, it.next())?,
            "--max-drops" => a.bounds.max_drops = number(arg, it.next())?,
            "--max-duplicates" => a.bounds.max_duplicates = number(arg, it.next())?,
            "--max-partitions" => a.bounds.max_partitions = number(arg, it.next())?,
            "--max-in-flight" => a.bounds.max_in_flight = number(arg, it.next())?,
            "--max-timers" => a.bounds.max_timer_fires = number(arg, it.next())?,
            "--synchronous" => a.bounds.synchronous = true,
            "--out" => a.out = it.next().map(PathBuf::from),
            "--swarm" => a.swarm = Some(number(arg, it.next())?),
            "--directed" => {
                let width: usize = number(arg, it.next())?;
                if width == 0 {
                    return Err(bad_input("--directed 0: keep at least one state a level"));
                }
                a.directed = Some(width);
            }
            "--seed" => a.seed = number(arg, it.next())?,
            "-h" | "--help" => return Err(Failure(usage(), 0)),
            other => {
                return Err(bad_input(format!(
                    "unknown option `{other}`\n\n{}",
                    usage()
                )))
            }
        }
    }
    Ok(a)
}

/// The explorer preset `--protocol` names, with its protocol.
fn preset(a: &Args) -> Result<(&'static Descriptor, &'static ExplorePreset), Failure> {
    if a.protocol.is_empty() {
        return Err(bad_input(format!("which protocol?\n\n{}", usage())));
    }
    registry::explore_presets()
        .find(|(_, p)| p.id == a.protocol)
        .ok_or_else(|| {
            let ids: Vec<&str> = registry::explore_presets().map(|(_, p)| p.id).collect();
            bad_input(format!(
                "unknown protocol `{}`: the explorable protocols are {}",
                a.protocol,
                ids.join(", ")
            ))
        })
}

/// The scenario to start from: the file's, or the preset's.
fn base(a: &Args) -> Result<Scenario, Failure> {
    let (protocol, preset) = preset(a)?;
    let Some(path) = &a.scenario else {
        return Ok((preset.scenario)());
    };
    let s = load_scenario(path)?;
    if s.protocol.name() != protocol.id {
        return Err(bad_input(format!(
            "{}: is a {} scenario, not {}",
            path.display(),
            s.protocol.name(),
            a.protocol
        )));
    }
    Ok(s)
}

fn write_scenario(path: &PathBuf, scenario: &Scenario) -> Result<(), Failure> {
    let json = serde_json::to_string_pretty(scenario).expect("scenarios serialise");
    std::fs::write(path, json + "\n")
        .map_err(|e| bad_input(format!("{}: cannot write: {e}", path.display())))
}

pub fn run(args: &[String]) -> Result<u8, Failure> {
    let mut a = parse(args)?;
    let scenario = base(&a)?;
    // The network is the preset's (TCP-like links for the Figure 8
    // presets); the other bounds are the command line's.
    a.bounds.links = preset(&a)?.1.links;
    if let Some(runs) = a.swarm {
        return run_swarm(&a, &scenario, runs);
    }
    exhaustive(&a, &scenario)
}

fn exhaustive(a: &Args, scenario: &Scenario) -> Result<u8, Failure> {
    let Some(new_search) = scenario.protocol.search() else {
        return Err(bad_input(format!(
            "{} cannot be explored exhaustively yet (try --swarm RUNS)",
            scenario.protocol.name()
        )));
    };
    let mut explorer = new_search(scenario, a.bounds, a.search.options)
        .map_err(|e| bad_input(format!("scenario: {e}")))?;
    if let Some(width) = a.directed {
        return directed(a, explorer.as_ref(), width);
    }
    let ran = search(explorer.as_mut(), &a.search);
    print_summary(&ran, &a.search);
    let report = &ran.report;
    let mut failed = false;
    for (name, _, verdict) in &report.verdicts {
        match verdict {
            Verdict::Violated { path } => {
                println!("always {name}: VIOLATED after {} steps:", path.len());
                for (i, step) in explorer.describe(path).iter().enumerate() {
                    println!("  {}. {step}", i + 1);
                }
                if let Some(message) = explorer.violation(path) {
                    println!("  => {message}");
                }
                if !failed {
                    if let Some(out) = &a.out {
                        let mut s = explorer.scenario(path);
                        s.title = Some(format!(
                            "Counterexample: {name} broken in {} steps",
                            path.len()
                        ));
                        write_scenario(out, &s)?;
                        println!(
                            "  counterexample scenario written to {}; replay it with: \
                             splitbrain run {}",
                            out.display(),
                            out.display()
                        );
                    }
                }
                failed = true;
            }
            _ if !report.complete && failed => {
                println!("always {name}: not checked (stopped at the first violation)")
            }
            _ => println!("always {name}: holds"),
        }
    }
    Ok(u8::from(failed))
}

/// The directed search (`--directed WIDTH`): a counterexample if it finds
/// one, and otherwise a reminder that finding none proves nothing.
fn directed(a: &Args, explorer: &dyn ProtocolSearch, width: usize) -> Result<u8, Failure> {
    crate::memory::reset_peak();
    let start = Instant::now();
    let max_depth = a.search.options.max_depth.unwrap_or(DIRECTED_DEPTH);
    let quiet = a.search.quiet;
    let mut beam = explorer.beam(width, max_depth);
    while !beam.level() {
        if !quiet {
            let p = beam.progress();
            eprintln!(
                "directed: depth {}, {} states seen, {} kept",
                p.depth,
                thousands(p.unique_states),
                thousands(p.frontier)
            );
        }
    }
    let found = beam.found().clone();
    println!(
        "directed search: {} states seen to depth {} keeping {} a level, {:.1} s, {} allocated at the peak",
        thousands(found.states),
        found.depth,
        thousands(width),
        start.elapsed().as_secs_f64(),
        crate::memory::bytes(crate::memory::peak())
    );
    let Some((name, path)) = found.violation else {
        println!(
            "no violation found; a directed search skips states, so this proves nothing \
             (a complete search does: drop --directed)"
        );
        return Ok(0);
    };
    println!("always {name}: VIOLATED after {} steps:", path.len());
    for (i, step) in explorer.describe(&path).iter().enumerate() {
        println!("  {}. {step}", i + 1);
    }
    if let Some(message) = explorer.violation(&path) {
        println!("  => {message}");
    }
    if let Some(out) = &a.out {
        let mut s = explorer.scenario(&path);
        s.title = Some(format!(
            "Counterexample: {name} broken in {} steps",
            path.len()
        ));
        write_scenario(out, &s)?;
        println!(
            "  counterexample scenario written to {}; replay it with: splitbrain run {}",
            out.display(),
            out.display()
        );
    }
    Ok(1)
}

/// How deep `--directed` goes without `--max-depth`: past Figure 8's 33
/// steps.
const DIRECTED_DEPTH: usize = 40;

fn run_swarm(a: &Args, scenario: &Scenario, runs: usize) -> Result<u8, Failure> {
    let start = Instant::now();
    let report = swarm(scenario, a.seed, runs, 1, &mut |_| true)
        .map_err(|e| bad_input(format!("scenario: {e}")))?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "swarm: {} runs, {} events in {:.1} s ({:.0} runs/s), swarm seed {}",
        report.runs,
        report.events,
        seconds,
        report.runs as f64 / seconds.max(1e-9),
        a.seed
    );
    let Some(f) = report.failures.first() else {
        println!("no violation in {} runs", report.runs);
        return Ok(0);
    };
    println!(
        "run {} (seed {}) VIOLATED {} at t={}: {}",
        f.run,
        f.scenario.seed,
        f.violation.invariant,
        f.violation.time,
        f.violation.violation.message
    );
    match &a.out {
        Some(out) => {
            write_scenario(out, &f.scenario)?;
            println!("reproduce: splitbrain run {}", out.display());
        }
        None => println!(
            "reproduce: splitbrain explore --protocol {} --swarm {} --seed {} --out failing.json \
             && splitbrain run failing.json",
            a.protocol,
            f.run + 1,
            a.seed
        ),
    }
    Ok(1)
}
