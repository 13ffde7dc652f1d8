//! Consistency verdicts from the command line: `splitbrain check-history`
//! on a history recorded elsewhere, and the `linearizable:` line (and
//! `--history` export) of `splitbrain run`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use splitbrain_core::check::{
    self, CheckOptions, Explanation, FailReading, Format, History, Model, Outcome, ParseOptions,
    PropertyVerdict, Scope, TimeBase, Verdict,
};
use splitbrain_core::Sim;

use crate::{bad_input, operand, option_value, Failure};

pub(crate) const USAGE: &str = "\
usage: splitbrain check-history FILE [--format F] [--model M] [--fail R] [--initial V]
                                [--all-keys] [--max-steps N]

Checks a history recorded by Jepsen (or written by `splitbrain run --history`)
for linearizability, sequential consistency and the session guarantees.

  --format F      jepsen-etcd: Jepsen's etcd log lines
                  edn: Jepsen EDN, a vector or list of operation maps (what
                  Jepsen and Knossos write, and `run --history`) or one map
                  per line (Porcupine's key-value files; `porcupine-kv`)
                  (default: detected)
  --model M       register, cas-register, kv, mutex or multi-register
                  (default: from the operations: :txn multi-register,
                  :acquire/:release mutex, :get/:put/:append kv (Porcupine's
                  key-value store), otherwise a register); keys come from
                  :key or from jepsen.independent's [key value] tuples
  --fail R        what an operation that completed with :fail means:
                  did-not-happen (Jepsen, Knossos) or cas-observed (a failed
                  cas saw another value: Porcupine's etcd model)
                  (default: cas-observed for jepsen-etcd, else did-not-happen)
  --initial V     every register's value before the first write, in EDN
                  (0), or a map of registers ({:x 0 :y 0}) (default: unset)
  --all-keys      decide every key, each with its own explanation (default:
                  stop at the first key that is not linearizable)
  --max-steps N   search steps per property before giving up with `unknown`
                  (default 5000000)

:info operations, and invocations that never completed, may take effect at
any later time or never; nemesis events are skipped; a read of nil says
nothing in Jepsen's register models. prints `linearizable`, `not linearizable`
or `unknown` first, then why.
exit status: 0 linearizable, 1 not linearizable, 2 bad input
(FILE:LINE:COLUMN: reason), 3 unknown (the step budget ran out)";

struct Args {
    file: PathBuf,
    parse: ParseOptions,
    options: CheckOptions,
}

/// `name`'s value among `choices`, or an error listing them.
fn choice<T: Copy>(
    flag: &str,
    name: &str,
    choices: &[T],
    name_of: fn(T) -> &'static str,
) -> Result<T, Failure> {
    choices
        .iter()
        .copied()
        .find(|c| name_of(*c) == name)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|c| name_of(*c)).collect();
            bad_input(format!(
                "{flag} `{name}`: expected one of {}",
                names.join(", ")
            ))
        })
}

fn parse_args(args: &[String]) -> Result<Args, Failure> {
    let mut file = None;
    let mut parse = ParseOptions::default();
    let mut options = CheckOptions {
        scope: Scope::FirstViolation,
        ..CheckOptions::default()
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| option_value(&mut it, name, USAGE);
        match arg.as_str() {
            "--format" => {
                let name = value("--format")?;
                parse.format = Some(Format::from_name(&name).ok_or_else(|| {
                    bad_input(format!(
                        "--format `{name}`: expected one of {} (porcupine-kv is edn)",
                        Format::ALL.map(Format::name).join(", ")
                    ))
                })?);
            }
            "--model" => {
                parse.model = Some(choice(
                    "--model",
                    &value("--model")?,
                    &Model::ALL,
                    Model::name,
                )?)
            }
            "--fail" => {
                parse.fail = Some(choice(
                    "--fail",
                    &value("--fail")?,
                    &FailReading::ALL,
                    FailReading::name,
                )?)
            }
            "--initial" => {
                let text = value("--initial")?;
                parse
                    .set_initial(&text)
                    .map_err(|e| bad_input(format!("--initial `{text}`: {e}")))?;
            }
            "--all-keys" => options.scope = Scope::EveryKey,
            "--max-steps" => {
                let text = value("--max-steps")?;
                options.max_steps = text.parse().map_err(|_| {
                    bad_input(format!("--max-steps `{text}`: expected a positive integer"))
                })?;
            }
            "-h" | "--help" => return Err(Failure(USAGE.to_string(), 0)),
            other => operand(other, &mut file, "history", USAGE)?,
        }
    }
    let file = file.ok_or_else(|| bad_input(format!("no history file given\n\n{USAGE}")))?;
    Ok(Args {
        file,
        parse,
        options,
    })
}

/// `splitbrain check-history FILE`.
pub(crate) fn check_history(args: &[String]) -> Result<u8, Failure> {
    let args = parse_args(args)?;
    let path = &args.file;
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("{}: cannot read: {e}", path.display())))?;
    let format = args.parse.format.or_else(|| Format::detect(&text));
    let history = check::parse_with(&text, &args.parse)
        .map_err(|e| bad_input(format!("{}:{e}", path.display())))?;

    // Linearizability first, printed before the other properties are
    // searched: a reader (or `| head -1`) has the verdict at once.
    let start = Instant::now();
    let linearizable = check::linearizability(&history, &args.options);
    let elapsed = start.elapsed();

    let lin = &linearizable;
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
        "history: {} ({}; {}; {} operations: {} ok, {} failed, {} unknown; {} key{})",
        path.display(),
        format.map_or("?", Format::name),
        history.semantics.describe(),
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
    let place = |i: usize| {
        let op = &history.ops[i];
        match (history.time_base, op.complete) {
            // Positions count every map of the file, as Jepsen's :index
            // and Knossos's reports do.
            (TimeBase::Positions, Some(done)) if format == Some(Format::Edn) => {
                format!("line {} (completed at #{done})", op.source)
            }
            _ => format!("line {}", op.source),
        }
    };
    let model = history.semantics.model;
    for key in &lin.keys {
        // After an early stop, keys not decided are only counted.
        if key.verdict == Verdict::Holds || (lin.stopped_early && key.verdict == Verdict::Unknown) {
            continue;
        }
        let name = key_name(model, key.key.as_deref());
        match (key.verdict, &key.explanation) {
            (Verdict::Violated, Some(e)) => {
                println!("{name}: not linearizable");
                explain(&history, e, &place);
            }
            (Verdict::Unknown, _) => println!(
                "{name}: unknown: gave up after {} steps (raise --max-steps)",
                key.steps
            ),
            _ => println!("{name}: {}", key.verdict.name()),
        }
    }
    if lin.stopped_early {
        let unchecked = lin
            .keys
            .iter()
            .filter(|k| k.verdict == Verdict::Unknown)
            .count();
        if unchecked > 0 {
            println!(
                "stopped at the first key that is not linearizable; {unchecked} of {} keys not decided (--all-keys decides every key)",
                lin.keys.len()
            );
        }
    }
    let verdict = lin.verdict;
    let report = check::check_after(&history, &args.options, linearizable);
    print_property("sequential consistency", &report.sequential, &history);
    print_property("read-your-writes", &report.read_your_writes, &history);
    print_property("monotonic reads", &report.monotonic_reads, &history);
    print_property("convergence", &report.convergence, &history);
    Ok(match verdict {
        Verdict::Holds => 0,
        Verdict::Violated => 1,
        Verdict::Unknown => 3,
    })
}

fn key_name(model: Model, key: Option<&str>) -> String {
    match (key, model) {
        (Some(k), _) => format!("key {k:?}"),
        (None, Model::Mutex) => "the mutex".to_string(),
        (None, Model::MultiRegister) => "the registers".to_string(),
        (None, _) => "the register".to_string(),
    }
}

/// Prints an explanation; `name` says where an operation came from.
fn explain(history: &History, e: &Explanation, name: &dyn Fn(usize) -> String) {
    const SHOWN: usize = 5;
    let op = |i: usize| format!("{}: {}", name(i), history.describe(i));
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
            println!("    {place}: {}", history.describe(i));
        }
    }
}

/// For `splitbrain run`: prints `linearizable: yes|no|unknown` for the
/// run's own history (with the reason when not), and writes the history as
/// EDN to `export` if asked. Returns the verdict.
pub(crate) fn report_run(sim: &Sim, export: Option<&Path>) -> Result<Verdict, Failure> {
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
        println!(
            "{}: not linearizable",
            key_name(history.semantics.model, e.key.as_deref())
        );
        explain(&history, e, &request);
    }
    if let Some(path) = export {
        std::fs::write(path, check::to_edn(&history))
            .map_err(|e| bad_input(format!("{}: cannot write: {e}", path.display())))?;
        println!("history written to {}", path.display());
    }
    Ok(result.verdict)
}
