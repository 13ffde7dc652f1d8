//! Consistency verdicts from the command line: `splitbrain check-history`
//! on a history recorded elsewhere, and the `linearizable:` line (and
//! `--history` export) of `splitbrain run`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use splitbrain_core::check::{
    self, CheckOptions, Explanation, Format, History, Outcome, PropertyVerdict, TimeBase, Verdict,
};
use splitbrain_core::Simulation;

use crate::{bad_input, Failure};

pub(crate) const USAGE: &str = "\
usage: splitbrain check-history FILE [--format jepsen-etcd|porcupine-kv] [--max-steps N]

  --format F      the history's format (default: detected from the first line)
                  jepsen-etcd: Jepsen's etcd log lines
                  porcupine-kv: Jepsen EDN maps, one per line (also what
                  `splitbrain run --history` writes)
  --max-steps N   search steps before giving up with `unknown` (default 5000000)

prints `linearizable`, `not linearizable` or `unknown` first, then why.
exit status: 0 linearizable, 1 not linearizable, 2 bad input (FILE:LINE: reason),
3 unknown (the step budget ran out)";

struct Args {
    file: PathBuf,
    format: Option<Format>,
    options: CheckOptions,
}

fn parse_args(args: &[String]) -> Result<Args, Failure> {
    let mut file = None;
    let mut format = None;
    let mut options = CheckOptions::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| bad_input(format!("{name} needs a value\n\n{USAGE}")))
        };
        match arg.as_str() {
            "--format" => {
                let name = value("--format")?;
                format = Some(Format::from_name(&name).ok_or_else(|| {
                    bad_input(format!(
                        "--format `{name}`: expected one of {}",
                        Format::ALL.map(Format::name).join(", ")
                    ))
                })?);
            }
            "--max-steps" => {
                let text = value("--max-steps")?;
                options.max_steps = text.parse().map_err(|_| {
                    bad_input(format!("--max-steps `{text}`: expected a positive integer"))
                })?;
            }
            "-h" | "--help" => return Err(Failure(USAGE.to_string(), 0)),
            flag if flag.starts_with('-') => {
                return Err(bad_input(format!("unknown option `{flag}`\n\n{USAGE}")))
            }
            path => {
                if file.replace(PathBuf::from(path)).is_some() {
                    return Err(bad_input(format!("one history at a time\n\n{USAGE}")));
                }
            }
        }
    }
    let file = file.ok_or_else(|| bad_input(format!("no history file given\n\n{USAGE}")))?;
    Ok(Args {
        file,
        format,
        options,
    })
}

/// `splitbrain check-history FILE`.
pub(crate) fn check_history(args: &[String]) -> Result<u8, Failure> {
    let args = parse_args(args)?;
    let path = &args.file;
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("{}: cannot read: {e}", path.display())))?;
    let format = args.format.or_else(|| Format::detect(&text));
    let history = check::parse(&text, format)
        .map_err(|e| bad_input(format!("{}:{}: {}", path.display(), e.line, e.message)))?;

    let start = Instant::now();
    let report = check::check(&history, &args.options);
    let elapsed = start.elapsed();

    let lin = &report.linearizable;
    println!(
        "{}",
        match lin.verdict {
            Verdict::Holds => "linearizable",
            Verdict::Violated => "not linearizable",
            Verdict::Unknown => "unknown",
        }
    );
    let count = |f: fn(&Outcome) -> bool| history.ops.iter().filter(|o| f(&o.outcome)).count();
    println!(
        "history: {} ({}; {} operations: {} ok, {} failed, {} unknown; {} key{})",
        path.display(),
        format.map_or("?", Format::name),
        history.ops.len(),
        count(|o| matches!(o, Outcome::Ok { .. })),
        count(|o| matches!(o, Outcome::Fail)),
        count(|o| matches!(o, Outcome::Unknown)),
        lin.keys.len(),
        if lin.keys.len() == 1 { "" } else { "s" }
    );
    println!(
        "checked in {:.1} ms ({} search steps for linearizability)",
        elapsed.as_secs_f64() * 1e3,
        lin.steps
    );
    for key in &lin.keys {
        if key.verdict == Verdict::Holds {
            continue;
        }
        let name = key_name(key.key.as_deref());
        match (key.verdict, &key.explanation) {
            (Verdict::Violated, Some(e)) => {
                println!("{name}: not linearizable");
                explain(&history, e, &|i| format!("line {}", history.ops[i].source));
            }
            (Verdict::Unknown, _) => println!(
                "{name}: unknown: gave up after {} steps (raise --max-steps)",
                key.steps
            ),
            _ => println!("{name}: {}", key.verdict.name()),
        }
    }
    print_property("sequential consistency", &report.sequential, &history);
    print_property("read-your-writes", &report.read_your_writes, &history);
    print_property("monotonic reads", &report.monotonic_reads, &history);
    print_property("convergence", &report.convergence, &history);
    Ok(match lin.verdict {
        Verdict::Holds => 0,
        Verdict::Violated => 1,
        Verdict::Unknown => 3,
    })
}

fn key_name(key: Option<&str>) -> String {
    match key {
        Some(k) => format!("key {k:?}"),
        None => "the register".to_string(),
    }
}

/// Prints an explanation; `name` says where an operation came from.
fn explain(history: &History, e: &Explanation, name: &dyn Fn(usize) -> String) {
    const SHOWN: usize = 5;
    let op = |i: usize| format!("{}: {}", name(i), history.ops[i].describe());
    println!(
        "  longest linearizable prefix: {} operation{}{}",
        e.prefix.len(),
        if e.prefix.len() == 1 { "" } else { "s" },
        if e.prefix.len() > SHOWN {
            format!(", the last {SHOWN}:")
        } else if e.prefix.is_empty() {
            String::new()
        } else {
            ":".to_string()
        }
    );
    for &i in e.prefix.iter().skip(e.prefix.len().saturating_sub(SHOWN)) {
        println!("    {}", op(i));
    }
    println!("  after which it holds {}", e.state);
    println!("  cannot be placed: {}", op(e.stuck));
    if !e.candidates.is_empty() {
        println!("  nor helped by any order of the concurrent:");
        for &i in e.candidates.iter().take(SHOWN) {
            println!("    {}", op(i));
        }
        if e.candidates.len() > SHOWN {
            println!("    ... and {} more", e.candidates.len() - SHOWN);
        }
    }
}

fn print_property(name: &str, v: &PropertyVerdict, history: &History) {
    println!("{name}: {} ({})", v.verdict.name(), v.detail);
    if v.verdict == Verdict::Violated {
        for &i in v.offending.iter().take(4) {
            let op = &history.ops[i];
            let place = match history.time_base {
                TimeBase::Micros => format!("op {i}"),
                _ => format!("line {}", op.source),
            };
            println!("    {place}: {}", op.describe());
        }
    }
}

/// For `splitbrain run`: prints `linearizable: yes|no|unknown` for the
/// run's own history (with the reason when not), and writes the history as
/// EDN to `export` if asked. Returns the verdict.
pub(crate) fn report_run(sim: &dyn Simulation, export: Option<&Path>) -> Result<Verdict, Failure> {
    let client_ops = &sim.history().to_vec();
    let history = History::from_client_ops(client_ops);
    let result = check::linearizability(&history, &CheckOptions::default());
    let word = match result.verdict {
        Verdict::Holds => "yes",
        Verdict::Violated => "no",
        Verdict::Unknown => "unknown",
    };
    println!(
        "linearizable: {word} ({} operations, {} keys, {} search steps)",
        history.ops.len(),
        result.keys.len(),
        result.steps
    );
    let request = |i: usize| {
        let op = &history.ops[i];
        let id = client_ops[op.source].id;
        format!("{id} at t={}", splitbrain_core::Time(op.invoke))
    };
    for e in result.explanations() {
        println!("{}: not linearizable", key_name(e.key.as_deref()));
        explain(&history, e, &request);
    }
    if let Some(path) = export {
        std::fs::write(path, check::to_edn(&history))
            .map_err(|e| bad_input(format!("{}: cannot write: {e}", path.display())))?;
        println!("history written to {}", path.display());
    }
    Ok(result.verdict)
}
