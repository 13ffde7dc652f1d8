//! `splitbrain explore`: exhaustive exploration of the two-phase commit
//! reference model (`--model two-phase`) or of a real protocol over the
//! simulator's nondeterminism (`--protocol P`, in `explore_protocol.rs`).
//! Both share the search options and the way a search is run here: on
//! every core, within a memory bound, with a progress line on stderr.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use splitbrain_core::explore::protocol::{ProtocolSearch, Step};
use splitbrain_core::explore::two_phase::{TwoPhaseSpec, MAX_RMS};
use splitbrain_core::explore::{
    thousands, Expectation, Model, Options, Progress, Report, Search, Stop, Strategy, Verdict,
    Workers,
};
use splitbrain_core::registry;
use splitbrain_core::time::parse_micros;

use crate::memory;
use crate::{bad_input, Failure};

/// The usage text; the explorable protocols come from the registry.
pub fn usage() -> String {
    let presets: Vec<String> = registry::explore_presets()
        .map(|(_, p)| format!("{} ({})", p.id, p.label))
        .collect();
    format!(
        "\
usage: splitbrain explore --model two-phase [--rms N] [--symmetry] [search options]
       splitbrain explore --protocol P [--scenario FILE] [protocol bounds]
                          [search options] [--out FILE]
       splitbrain explore --protocol P --swarm RUNS [--seed N] [--out FILE]

Visits every state reachable within the bounds and checks each property in
each; breadth-first, a violation comes with a shortest path to it.

the reference model:
  --model two-phase  the Gray-Lamport two-phase commit spec (TLA+ TwoPhase)
  --rms N            resource managers, 1 to 15 (default 3)
  --symmetry         treat resource managers as interchangeable

a protocol, over the simulator's nondeterminism (which message arrives,
which timer fires, who crashes, where the network splits):
  --protocol P       {}
  --scenario FILE    start from this scenario (its protocol, cluster and
                     client requests) instead of the preset's own
  --max-timers N     timer firings in all (bounds ballots, ticks); default 4
  --max-in-flight N  messages in flight at once; default 16
  --max-crashes N, --max-drops N, --max-duplicates N, --max-partitions N
                     faults the explorer may inject; default 0 each
  --synchronous      every message arrives before the next timeout (and one
                     sent to a crashed node is lost): the network 3PC assumes
  --out FILE         write the (shortest) counterexample as a scenario that
                     `splitbrain run FILE` and the app replay
  --swarm RUNS       instead of exploring, simulate RUNS seeded runs with
                     random faults and report the failing seeds
  --directed WIDTH   instead of a complete search, a directed one: keep the
                     WIDTH states a level whose logs disagree most (finds
                     deep counterexamples such as Figure 8; finding none
                     proves nothing); --max-depth defaults to 40 here
  --seed N           the swarm's seed (default 1)

search options:
  --bfs              breadth-first: shortest counterexample first (default)
  --dfs              depth-first, on one thread
  --threads N        threads for breadth-first search (default: every core);
                     the result is the same on any number
  --max-depth N      expand no state N or more steps from the start
  --max-states N     store at most N states
  --max-memory SIZE  store no more states than SIZE holds, counted at the
                     most a state can cost (default 1G; 512M, 4G, ...)
  --max-time TIME    stop after this long (90s, 10m; default: no limit)
  --quiet            no progress line on stderr

A search cut short by a bound says which; its verdicts then cover the states
visited. Memory is what the process allocated at its peak, measured.

exit status: 0 every property as expected, 1 a property failed, 2 bad input",
        presets.join(",\n                     ")
    )
}

/// The default for `--max-memory`: a search that is not told otherwise
/// stops long before it troubles the machine, and says so.
pub const DEFAULT_MAX_MEMORY: usize = 1 << 30;

/// States per worker between looks at the clock: a few hundred
/// milliseconds of the slowest model, so progress and `--max-time` stay
/// responsive without stopping the workers often.
const SLICE_PER_THREAD: usize = 1 << 15;

pub(crate) fn number<T: std::str::FromStr>(
    flag: &str,
    value: Option<&String>,
) -> Result<T, Failure> {
    let text = value.ok_or_else(|| bad_input(format!("{flag} needs a value\n\n{}", usage())))?;
    text.parse().map_err(|_| {
        bad_input(format!(
            "{flag} `{text}`: expected a small non-negative integer"
        ))
    })
}

/// How to run a search: its options and what the command adds to them.
pub(crate) struct SearchArgs {
    pub options: Options,
    pub threads: usize,
    pub max_time: Option<Duration>,
    pub quiet: bool,
}

impl SearchArgs {
    pub fn new(options: Options) -> SearchArgs {
        SearchArgs {
            options: Options {
                max_memory: Some(DEFAULT_MAX_MEMORY),
                ..options
            },
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_time: None,
            quiet: false,
        }
    }

    /// Takes `arg` (and its value from `it`) if it is a search option;
    /// false if it is not one.
    pub fn take<'a>(
        &mut self,
        arg: &str,
        it: &mut impl Iterator<Item = &'a String>,
    ) -> Result<bool, Failure> {
        match arg {
            "--bfs" => self.options.strategy = Strategy::BreadthFirst,
            "--dfs" => self.options.strategy = Strategy::DepthFirst,
            "--max-depth" => self.options.max_depth = Some(number(arg, it.next())?),
            "--max-states" => self.options.max_states = Some(number(arg, it.next())?),
            "--max-memory" => {
                let text = it
                    .next()
                    .ok_or_else(|| bad_input(format!("{arg} needs a value\n\n{}", usage())))?;
                let size = memory::parse_bytes(text).ok_or_else(|| {
                    bad_input(format!(
                        "{arg} `{text}`: expected a size such as 512M or 4G"
                    ))
                })?;
                self.options.max_memory = Some(size);
            }
            "--max-time" => {
                let text = it
                    .next()
                    .ok_or_else(|| bad_input(format!("{arg} needs a value\n\n{}", usage())))?;
                let micros = if text.trim().bytes().all(|b| b.is_ascii_digit()) {
                    None // a bare number would be microseconds: ask for a unit
                } else {
                    parse_micros(text).ok().filter(|&m| m > 0)
                };
                let micros = micros.ok_or_else(|| {
                    bad_input(format!(
                        "{arg} `{text}`: expected a duration with its unit, such as 90s or 10m"
                    ))
                })?;
                self.max_time = Some(Duration::from_micros(micros));
            }
            "--threads" => {
                let n: usize = number(arg, it.next())?;
                if n == 0 {
                    return Err(bad_input("--threads 0: at least one thread"));
                }
                self.threads = n;
            }
            "--quiet" => self.quiet = true,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Threads for the core's search: the caller's and `count - 1` scoped
/// ones, each taking the next task until none is left.
struct Threads(usize);

impl Workers for Threads {
    fn count(&self) -> usize {
        self.0
    }

    fn join<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
        let helpers = self.0.min(tasks.len()).saturating_sub(1);
        let queue = Mutex::new(tasks.into_iter());
        let work = || loop {
            // The lock is held only to take a task, never while one runs,
            // so a panicking task cannot poison it for the others.
            let next = queue.lock().expect("never poisoned").next();
            match next {
                Some(task) => task(),
                None => break,
            }
        };
        std::thread::scope(|scope| {
            for _ in 0..helpers {
                scope.spawn(work);
            }
            work();
        });
    }
}

/// A search the command runs a slice at a time: the reference model's or,
/// behind the registry, a protocol's.
pub(crate) trait Driven {
    type Action;
    /// Expands at most `budget` states on `workers`; true when done.
    fn run_on(&mut self, budget: usize, workers: &dyn Workers) -> bool;
    fn progress(&self) -> Progress;
    fn stop(&mut self);
    fn report(&self) -> Report<Self::Action>;
    /// What `--max-memory` is counted in.
    fn bytes_per_state_bound(&self) -> usize;
}

/// A model with its search.
pub(crate) struct Modelled<'m, M: Model> {
    model: &'m M,
    search: Search<M>,
}

impl<'m, M: Model> Modelled<'m, M> {
    pub fn new(model: &'m M, options: Options) -> Self {
        Modelled {
            model,
            search: Search::new(model, options),
        }
    }
}

impl<M> Driven for Modelled<'_, M>
where
    M: Model + Sync,
    M::State: Send + Sync,
    M::Action: Send,
{
    type Action = M::Action;
    fn run_on(&mut self, budget: usize, workers: &dyn Workers) -> bool {
        self.search.run_on(self.model, budget, workers)
    }
    fn progress(&self) -> Progress {
        self.search.progress()
    }
    fn stop(&mut self) {
        self.search.stop()
    }
    fn report(&self) -> Report<M::Action> {
        self.search.report()
    }
    fn bytes_per_state_bound(&self) -> usize {
        Search::<M>::bytes_per_state_bound()
    }
}

impl Driven for dyn ProtocolSearch + '_ {
    type Action = Step;
    fn run_on(&mut self, budget: usize, workers: &dyn Workers) -> bool {
        ProtocolSearch::run_on(self, budget, workers)
    }
    fn progress(&self) -> Progress {
        ProtocolSearch::progress(self)
    }
    fn stop(&mut self) {
        ProtocolSearch::stop(self)
    }
    fn report(&self) -> Report<Step> {
        ProtocolSearch::report(self)
    }
    fn bytes_per_state_bound(&self) -> usize {
        ProtocolSearch::bytes_per_state_bound(self)
    }
}

/// A finished search, with what the command measured around it.
pub(crate) struct Ran<A> {
    pub report: Report<A>,
    pub seconds: f64,
    pub threads: usize,
    /// The most bytes the process had allocated during the search.
    pub peak_bytes: usize,
    pub timed_out: bool,
    /// The search's own cost bound per state ([`Driven::bytes_per_state_bound`]).
    pub bytes_per_state_bound: usize,
}

/// The progress line: states, rate, depth, frontier and memory.
pub(crate) fn progress_line(p: &Progress, seconds: f64, allocated: usize) -> String {
    format!(
        "explore: {} states, {} states/s, depth {}, {} to expand, {} allocated",
        thousands(p.unique_states),
        thousands((p.unique_states as f64 / seconds.max(1e-9)) as usize),
        p.depth,
        thousands(p.frontier),
        memory::bytes(allocated)
    )
}

/// Runs the search on `args.threads` threads, printing progress to stderr
/// on long runs (rewritten in place on a terminal, a line every ten
/// seconds otherwise), and stopping at `--max-time`.
pub(crate) fn search<D: Driven + ?Sized>(search: &mut D, args: &SearchArgs) -> Ran<D::Action> {
    memory::reset_peak();
    let start = Instant::now();
    let threads = Threads(args.threads);
    let terminal = std::io::stderr().is_terminal();
    let every = Duration::from_millis(if terminal { 500 } else { 10_000 });
    let mut last_shown = start;
    let mut shown = false;
    let mut timed_out = false;
    while !search.run_on(SLICE_PER_THREAD * args.threads, &threads) {
        let now = Instant::now();
        let elapsed = now - start;
        if args.max_time.is_some_and(|t| elapsed >= t) {
            timed_out = true;
            search.stop();
            break;
        }
        if !args.quiet && now - last_shown >= every {
            last_shown = now;
            let line = progress_line(
                &search.progress(),
                elapsed.as_secs_f64(),
                memory::allocated(),
            );
            let mut err = std::io::stderr().lock();
            // Progress is a courtesy: a closed stderr must not end the search.
            let _ = if terminal {
                write!(err, "\r\x1b[K{line}")
            } else {
                writeln!(err, "{line}")
            };
            let _ = err.flush();
            shown = true;
        }
    }
    if shown && terminal {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    Ran {
        report: search.report(),
        seconds: start.elapsed().as_secs_f64(),
        threads: if args.options.strategy == Strategy::DepthFirst {
            1
        } else {
            args.threads
        },
        peak_bytes: memory::peak(),
        timed_out,
        bytes_per_state_bound: search.bytes_per_state_bound(),
    }
}

/// The lines every search prints: the state count, speed, memory and, if
/// a bound cut it short, which.
pub(crate) fn print_summary<A>(ran: &Ran<A>, args: &SearchArgs) {
    let r = &ran.report;
    println!("unique states: {}", r.unique_states);
    println!(
        "explored in {:.1} ms ({:.0} states/s on {} thread{}), depth {}",
        ran.seconds * 1e3,
        r.unique_states as f64 / ran.seconds.max(1e-9),
        ran.threads,
        if ran.threads == 1 { "" } else { "s" },
        r.depth,
    );
    println!(
        "memory: {} allocated at peak ({} bytes/state)",
        memory::bytes(ran.peak_bytes),
        ran.peak_bytes / r.unique_states.max(1)
    );
    let o = &args.options;
    let mut bounds = Vec::new();
    match r.stopped {
        Some(Stop::States) => bounds.push(format!(
            "--max-states {}",
            o.max_states.unwrap_or(r.unique_states)
        )),
        Some(Stop::Memory) => bounds.push(format!(
            "--max-memory {} ({} states at up to {} bytes each)",
            memory::bytes(o.max_memory.unwrap_or(0)),
            thousands(r.unique_states),
            ran.bytes_per_state_bound
        )),
        Some(Stop::Cancelled) if ran.timed_out => bounds.push(format!(
            "--max-time {:?}",
            args.max_time.unwrap_or_default()
        )),
        Some(Stop::Cancelled) => bounds.push(String::from("interrupted")),
        Some(Stop::Violation) | None => {}
    }
    if r.depth_cut {
        bounds.push(format!(
            "--max-depth {} (deeper states not expanded)",
            o.max_depth.unwrap_or(r.depth)
        ));
    }
    if !bounds.is_empty() {
        println!(
            "stopped at a bound: {}; verdicts cover the states visited",
            bounds.join(", ")
        );
    }
}

pub fn run(args: &[String]) -> Result<u8, Failure> {
    if args.iter().any(|a| a == "--protocol") {
        return crate::explore_protocol::run(args);
    }
    let mut model = None;
    let mut rms = 3;
    let mut search_args = SearchArgs::new(Options::default());
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if search_args.take(arg, &mut it)? {
            continue;
        }
        match arg.as_str() {
            "--model" => model = it.next().cloned(),
            "--rms" => rms = number("--rms", it.next())?,
            "--symmetry" => search_args.options.symmetry = true,
            "-h" | "--help" => return Err(Failure(usage(), 0)),
            other => {
                return Err(bad_input(format!(
                    "unknown option `{other}`\n\n{}",
                    usage()
                )))
            }
        }
    }
    match model.as_deref() {
        Some("two-phase") => {}
        Some(other) => {
            return Err(bad_input(format!(
                "unknown model `{other}`: the models are: two-phase \
                 (for a protocol, use --protocol P)"
            )))
        }
        None => return Err(bad_input(format!("which model?\n\n{}", usage()))),
    }
    if !(1..=MAX_RMS).contains(&rms) {
        return Err(bad_input(format!(
            "--rms {rms}: must be between 1 and {MAX_RMS}"
        )));
    }
    let spec = TwoPhaseSpec::new(rms);
    let ran = search(&mut Modelled::new(&spec, search_args.options), &search_args);
    print_summary(&ran, &search_args);
    let mut failed = false;
    for (name, expectation, verdict) in &ran.report.verdicts {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_names_states_rate_depth_and_memory() {
        let p = Progress {
            unique_states: 1_234_567,
            frontier: 4_000,
            depth: 12,
            bytes: 0,
        };
        assert_eq!(
            progress_line(&p, 2.0, 3 << 20),
            "explore: 1,234,567 states, 617,283 states/s, depth 12, 4,000 to expand, \
             3.0 MiB allocated"
        );
    }

    #[test]
    fn search_options_are_taken_and_checked() {
        let mut a = SearchArgs::new(Options::default());
        assert_eq!(a.options.max_memory, Some(DEFAULT_MAX_MEMORY));
        let args: Vec<String> = ["4G", "90s", "3"].iter().map(|s| s.to_string()).collect();
        let mut it = args.iter();
        assert!(matches!(a.take("--max-memory", &mut it), Ok(true)));
        assert!(matches!(a.take("--max-time", &mut it), Ok(true)));
        assert!(matches!(a.take("--threads", &mut it), Ok(true)));
        assert_eq!(a.options.max_memory, Some(4 << 30));
        assert_eq!(a.max_time, Some(Duration::from_secs(90)));
        assert_eq!(a.threads, 3);
        assert!(matches!(a.take("--model", &mut it), Ok(false)));
        for (flag, value) in [
            ("--max-time", "90"),
            ("--threads", "0"),
            ("--max-memory", "x"),
        ] {
            let v = [value.to_string()];
            let refused = matches!(a.take(flag, &mut v.iter()), Err(Failure(_, 2)));
            assert!(refused, "{flag} {value}");
        }
    }
}
