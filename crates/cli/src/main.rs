//! `splitbrain`: run scenarios headless.
//!
//! ```text
//! splitbrain run SCENARIO.json [--until TIME] [--seed N] [--trace OUT.jsonl] [--history OUT.edn]
//! splitbrain check-history FILE [--format F] [--model M] [--fail R] [--initial V] [--all-keys]
//! splitbrain ring [--nodes N] [--vnodes 1,8,64,256] [--keys K]
//! ```
//!
//! `run` exits 0 when every invariant held, 1 when one was violated, 2 on
//! bad input (with the file, and the field or line, that is wrong); it also
//! prints whether the clients' history is linearizable. `check-history`
//! exits 0 linearizable, 1 not, 2 malformed input (FILE:LINE: reason), 3
//! unknown (the step budget ran out).

mod cap;
mod explore;
mod explore_protocol;
mod history;
mod logs;
mod memory;
mod ring;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use splitbrain_core::time::parse_micros;
use splitbrain_core::trace::{DropReason, EventKind, TraceEvent};
use splitbrain_core::{build, RunOptions, Scenario, Sim, Time};

/// Counts every allocation, so `explore` can say how much memory it held.
#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;

const USAGE: &str = "\
usage: splitbrain run SCENARIO.json [--until TIME] [--seed N] [--trace OUT.jsonl] [--history OUT.edn] [--reads]
       splitbrain check-history FILE [--format F] [--model M] [--fail R] [--initial V]
                                [--all-keys] [--max-steps N]   (see check-history --help)
       splitbrain explore --model two-phase --rms N [--symmetry] [--dfs]
       splitbrain ring [--nodes N] [--vnodes 1,8,64,256] [--keys K] [--key NAME]
       splitbrain explore --protocol P [bounds] [--swarm RUNS] [--out FILE]

  --until TIME    simulated time to run to, such as 10s or 500ms
                  (default: the scenario's `until`, else 10s)
  --seed N        override the scenario's seed
  --trace FILE    write every event as one JSON object per line
  --history FILE  write the clients' history as Jepsen EDN
  --reads         list every read: replicas that answered, stale or not
  --logs          print every node's log (index:term) and who leads

exit status: 0 all invariants hold, 1 an invariant was violated, 2 bad input\n(`linearizable: yes|no|unknown` reports on the clients' history)";

/// A failure to report: the message and the exit status.
pub(crate) struct Failure(pub(crate) String, pub(crate) u8);

pub(crate) fn bad_input(message: impl Into<String>) -> Failure {
    Failure(message.into(), 2)
}

/// The value after option `name`, or an error that shows `usage`.
pub(crate) fn option_value(
    args: &mut std::slice::Iter<'_, String>,
    name: &str,
    usage: &str,
) -> Result<String, Failure> {
    args.next()
        .cloned()
        .ok_or_else(|| bad_input(format!("{name} needs a value\n\n{usage}")))
}

/// An argument that is no known option: the command's one input file
/// (a `what`), unless it looks like an option.
pub(crate) fn operand(
    arg: &str,
    file: &mut Option<PathBuf>,
    what: &str,
    usage: &str,
) -> Result<(), Failure> {
    if arg.starts_with('-') {
        return Err(bad_input(format!("unknown option `{arg}`\n\n{usage}")));
    }
    if file.replace(PathBuf::from(arg)).is_some() {
        return Err(bad_input(format!("one {what} at a time\n\n{usage}")));
    }
    Ok(())
}

struct RunArgs {
    scenario: PathBuf,
    until: Option<Time>,
    seed: Option<u64>,
    trace: Option<PathBuf>,
    history: Option<PathBuf>,
    reads: bool,
    logs: bool,
}

fn parse_run_args(args: &[String]) -> Result<RunArgs, Failure> {
    let mut scenario = None;
    let mut until = None;
    let mut seed = None;
    let mut trace = None;
    let mut history = None;
    let mut reads = false;
    let mut logs = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| option_value(&mut it, name, USAGE);
        match arg.as_str() {
            "--until" => {
                let text = value("--until")?;
                let us =
                    parse_micros(&text).map_err(|e| bad_input(format!("--until `{text}`: {e}")))?;
                until = Some(Time(us));
            }
            "--seed" => {
                let text = value("--seed")?;
                seed = Some(text.parse::<u64>().map_err(|_| {
                    bad_input(format!("--seed `{text}`: expected a non-negative integer"))
                })?);
            }
            "--trace" => trace = Some(PathBuf::from(value("--trace")?)),
            "--history" => history = Some(PathBuf::from(value("--history")?)),
            "--reads" => reads = true,
            "--logs" => logs = true,
            "-h" | "--help" => return Err(Failure(USAGE.to_string(), 0)),
            other => operand(other, &mut scenario, "scenario", USAGE)?,
        }
    }
    let scenario = scenario.ok_or_else(|| bad_input(format!("no scenario given\n\n{USAGE}")))?;
    Ok(RunArgs {
        scenario,
        until,
        seed,
        trace,
        history,
        reads,
        logs,
    })
}

/// Reads and validates a scenario, naming the file and the field or line
/// that is wrong.
fn load_scenario(path: &Path) -> Result<Scenario, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("{}: cannot read: {e}", path.display())))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let scenario: Scenario = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        let field = e.path().to_string();
        let location = format!("{}:{}:{}", path.display(), inner.line(), inner.column());
        // The location is already in front; drop serde_json's own copy.
        let text = inner.to_string();
        let reason = match text.rfind(" at line ") {
            Some(cut) => &text[..cut],
            None => &text,
        };
        if matches!(field.as_str(), "." | "?" | "") {
            bad_input(format!("{location}: {reason}"))
        } else {
            bad_input(format!("{location}: {field}: {reason}"))
        }
    })?;
    scenario
        .validate()
        .map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
    Ok(scenario)
}

fn trace_line(out: &mut String, index: u64, e: &TraceEvent, kinds: &[&str]) {
    out.clear();
    let _ = write!(
        out,
        "{{\"i\":{index},\"t\":{},\"kind\":\"{}\",\"node\":{},\"peer\":{},\"arg\":{}",
        e.time.0,
        e.kind.name(),
        e.node.0,
        e.peer.0,
        e.arg
    );
    match e.kind {
        EventKind::Send | EventKind::Deliver => {
            let kind = kinds.get(usize::from(e.tag)).copied().unwrap_or("?");
            let _ = write!(out, ",\"msg\":\"{kind}\"");
        }
        EventKind::Drop => {
            let _ = write!(
                out,
                ",\"reason\":\"{}\"",
                DropReason::from_tag(e.tag).name()
            );
        }
        _ => {
            let _ = write!(out, ",\"tag\":{}", e.tag);
        }
    }
    out.push('}');
}

/// Events run between two writes of a streamed trace: the run holds at
/// most this many (1.5 MB) whatever its length.
const TRACE_SLICE: u64 = 65_536;

/// Runs `sim` to `until`, writing its trace to `path` as it goes (one JSON
/// line per event) instead of holding it: memory stays flat for any run.
fn run_streaming(path: &Path, sim: &mut Sim, until: Time) -> Result<(), Failure> {
    let failed = |e: std::io::Error| bad_input(format!("{}: write failed: {e}", path.display()));
    let file = std::fs::File::create(path)
        .map_err(|e| bad_input(format!("{}: cannot write: {e}", path.display())))?;
    let mut w = std::io::BufWriter::new(file);
    let mut line = String::new();
    let kinds = sim.msg_kinds();
    loop {
        let done = sim.run_until(until, TRACE_SLICE);
        let first = sim.trace().first_kept();
        for (i, e) in sim.trace().events().iter().enumerate() {
            trace_line(&mut line, first + i as u64, e, kinds);
            writeln!(w, "{line}").map_err(failed)?;
        }
        sim.trace_mut().drain_events(None);
        if done {
            break;
        }
    }
    w.flush().map_err(failed)
}

fn run(args: &[String]) -> Result<u8, Failure> {
    let args = parse_run_args(args)?;
    let mut scenario = load_scenario(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let until = args.until.or(scenario.until).unwrap_or(Time(10_000_000));
    let options = RunOptions {
        keep_trace: args.trace.is_some(),
        recent_events: 0,
    };
    let mut sim = build(&scenario, options)
        .map_err(|e| bad_input(format!("{}: {e}", args.scenario.display())))?;
    match &args.trace {
        Some(path) => run_streaming(path, &mut sim, until)?,
        None => {
            sim.run_until(until, u64::MAX);
        }
    }

    println!(
        "scenario: {} ({}, {} nodes, seed {})",
        args.scenario.display(),
        sim.protocol_name(),
        scenario.nodes,
        scenario.seed
    );
    println!("ran until: {until}");
    println!("events: {}", sim.trace().len());
    println!("trace hash: {:016x}", sim.trace().hash());
    let stats = sim.stats();
    println!(
        "messages: {} sent, {} delivered, {} dropped; {} bytes sent",
        stats.sent, stats.delivered, stats.dropped, stats.bytes
    );
    let decided = sim.decided();
    if decided > 0 {
        println!(
            "decisions: {decided} ({:.1} messages, {:.0} bytes per decision)",
            stats.sent as f64 / decided as f64,
            stats.bytes as f64 / decided as f64
        );
    }
    println!(
        "client requests: {} ({} ok, {} failed, {} unknown)",
        stats.requests, stats.ok, stats.failed, stats.unknown
    );
    cap::report(&sim, until, args.reads);
    println!("invariants:");
    let violation = sim.violation();
    for (i, name) in sim.invariant_names().iter().enumerate() {
        match violation {
            Some(v) if v.violation.invariant == i => println!(
                "  {name}: VIOLATED at event {} (t={}): {}",
                v.event_index, v.time, v.violation.message
            ),
            // After the first violation the run is no longer checked.
            Some(_) => println!("  {name}: not checked after the first violation"),
            None => println!("  {name}: holds"),
        }
    }
    history::report_run(&sim, args.history.as_deref())?;
    if args.logs {
        logs::report(&sim);
    }
    if let Some(path) = &args.trace {
        println!("trace written to {}", path.display());
    }
    Ok(if violation.is_some() { 1 } else { 0 })
}

/// Rust ignores SIGPIPE, which turns a write to a closed pipe
/// (`splitbrain ... | head -1`) into an error that `println!` panics on.
/// With the default action back, the process ends quietly instead, as
/// other Unix tools do, whichever command was writing.
fn end_quietly_on_closed_pipes() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any thread exists;
    // SIG_DFL is a valid action for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    end_quietly_on_closed_pipes();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("explore") => explore::run(&args[1..]),
        Some("check-history") => history::check_history(&args[1..]),
        Some("ring") => ring::run(&args[1..]),
        Some("-h" | "--help") => Err(Failure(USAGE.to_string(), 0)),
        Some(other) => Err(bad_input(format!("unknown command `{other}`\n\n{USAGE}"))),
        None => Err(bad_input(USAGE)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure(message, 0)) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(Failure(message, code)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}
