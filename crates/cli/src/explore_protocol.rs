//! `splitbrain explore --protocol P [bounds]`: exhaustive exploration of a
//! real protocol over the simulator's nondeterminism, or (`--swarm RUNS`)
//! many seeded random runs with randomly chosen faults. A violation is
//! written as an ordinary scenario that `splitbrain run` (and the app)
//! replays.

use std::hash::Hash;
use std::path::PathBuf;
use std::time::Instant;

use splitbrain_core::explore::protocol::{to_scenario, Bounds, ProtocolModel};
use splitbrain_core::explore::swarm::swarm;
use splitbrain_core::explore::{Options, Verdict};
use splitbrain_core::protocol::{Op, Protocol};
use splitbrain_core::protocols::commit::three_phase::{ThreePhase, ThreePhaseConfig};
use splitbrain_core::protocols::paxos::{Paxos, PaxosConfig, PaxosVariant};
use splitbrain_core::protocols::raft::{Raft, RaftConfig};
use splitbrain_core::{Action, NodeId, ProtocolConfig, Scenario, Time, TimedAction};

use crate::explore::{number, print_summary, search, SearchArgs, USAGE};
use crate::{bad_input, load_scenario, Failure};

struct Args {
    protocol: String,
    scenario: Option<PathBuf>,
    search: SearchArgs,
    bounds: Bounds,
    out: Option<PathBuf>,
    swarm: Option<usize>,
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
                    .ok_or_else(|| bad_input(format!("--protocol needs a value\n\n{USAGE}")))?
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
            "--out" => a.out = it.next().map(PathBuf::from),
            "--swarm" => a.swarm = Some(number(arg, it.next())?),
            "--seed" => a.seed = number(arg, it.next())?,
            "-h" | "--help" => return Err(Failure(USAGE.to_string(), 0)),
            other => return Err(bad_input(format!("unknown option `{other}`\n\n{USAGE}"))),
        }
    }
    Ok(a)
}

/// The scenario to start from: the file's, or the protocol's default.
fn base(a: &Args) -> Result<Scenario, Failure> {
    if let Some(path) = &a.scenario {
        let s = load_scenario(path)?;
        if s.protocol.name() != protocol_name(&a.protocol) {
            return Err(bad_input(format!(
                "{}: is a {} scenario, not {}",
                path.display(),
                s.protocol.name(),
                a.protocol
            )));
        }
        return Ok(s);
    }
    Ok(match a.protocol.as_str() {
        "paxos" | "naive-paxos" => {
            let variant = if a.protocol == "paxos" {
                PaxosVariant::Classic
            } else {
                PaxosVariant::NaiveNoPromise
            };
            let config = PaxosConfig {
                variant,
                ..PaxosConfig::default()
            };
            Scenario::new(ProtocolConfig::Paxos(config), 3, 0)
        }
        "raft" => Scenario::new(ProtocolConfig::Raft(RaftConfig::default()), 3, 0),
        "three-phase" => {
            let mut s = Scenario::new(
                ProtocolConfig::ThreePhase(ThreePhaseConfig::default()),
                3,
                0,
            );
            s.actions.push(TimedAction {
                at: Time::ZERO,
                action: Action::Request {
                    node: NodeId(0),
                    client: None,
                    op: Op::Put {
                        key: "x".into(),
                        value: "1".into(),
                    },
                },
            });
            s
        }
        "" => return Err(bad_input(format!("which protocol?\n\n{USAGE}"))),
        other => {
            return Err(bad_input(format!(
                "unknown protocol `{other}`: the explorable protocols are paxos, \
                 naive-paxos, three-phase and raft"
            )))
        }
    })
}

fn protocol_name(arg: &str) -> &str {
    match arg {
        "naive-paxos" => "paxos",
        other => other,
    }
}

fn write_scenario(path: &PathBuf, scenario: &Scenario) -> Result<(), Failure> {
    let json = serde_json::to_string_pretty(scenario).expect("scenarios serialise");
    std::fs::write(path, json + "\n")
        .map_err(|e| bad_input(format!("{}: cannot write: {e}", path.display())))
}

pub fn run(args: &[String]) -> Result<u8, Failure> {
    let a = parse(args)?;
    let scenario = base(&a)?;
    if let Some(runs) = a.swarm {
        return run_swarm(&a, &scenario, runs);
    }
    match &scenario.protocol {
        ProtocolConfig::Paxos(c) => exhaustive::<Paxos>(&a, &scenario, c.clone()),
        ProtocolConfig::ThreePhase(c) => exhaustive::<ThreePhase>(&a, &scenario, c.clone()),
        ProtocolConfig::Raft(c) => exhaustive::<Raft>(&a, &scenario, c.clone()),
        other => Err(bad_input(format!(
            "{} cannot be explored exhaustively yet (try --swarm RUNS)",
            other.name()
        ))),
    }
}

fn exhaustive<P>(a: &Args, scenario: &Scenario, config: P::Config) -> Result<u8, Failure>
where
    P: Protocol + Hash + Eq + Send + Sync,
    P::Config: Sync,
    P::Durable: Hash + Eq + Send + Sync,
    P::Msg: Eq + Send + Sync,
    P::Checker: Hash + Eq + Send + Sync,
{
    let model = ProtocolModel::<P>::new(scenario, config, a.bounds)
        .map_err(|e| bad_input(format!("scenario: {e}")))?;
    let ran = search(&model, &a.search);
    print_summary::<ProtocolModel<P>>(&ran, &a.search);
    let report = &ran.report;
    let mut failed = false;
    for (name, _, verdict) in &report.verdicts {
        match verdict {
            Verdict::Violated { path } => {
                println!("always {name}: VIOLATED after {} steps:", path.len());
                let states = model.replay(path);
                for (i, (w, step)) in states.iter().zip(path).enumerate() {
                    println!("  {}. {}", i + 1, model.describe_in(w, *step));
                }
                if let Some((_, message)) = states.last().and_then(|w| w.violation.as_ref()) {
                    println!("  => {message}");
                }
                if !failed {
                    if let Some(out) = &a.out {
                        let mut s = to_scenario(&model, scenario, path);
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
