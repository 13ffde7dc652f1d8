//! Exhaustive exploration speed: unique states per second for the
//! Gray–Lamport two-phase commit model and for Paxos, on one thread and
//! on two, and the bytes the search holds per stored state.
//! Prints numbers; asserts nothing. For comparison: Stateright, an
//! established Rust model checker, explores this model at 7 RMs (296,448
//! unique states) at about 655,000 states/s on one core of this kind of
//! machine, takes 6.0 s at 8 RMs and 44 s (169 MB) at 9 RMs.
//!
//! Each configuration runs several times; the best and median are printed,
//! in wall-clock time and in the process's CPU time (which other processes
//! on a shared machine disturb less; CPU states/s is per core busy), with
//! the load average.

use std::time::Instant;

use splitbrain_core::explore::protocol::{Bounds, ProtocolModel};
use splitbrain_core::explore::two_phase::TwoPhaseSpec;
use splitbrain_core::explore::{explore, explore_on, Model, Options, Report, Strategy, Workers};
use splitbrain_core::protocols::paxos::{Paxos, PaxosConfig, PaxosVariant};
use splitbrain_core::{ProtocolConfig, Scenario};

/// The process's CPU time in seconds, every thread's.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| String::from("unknown"))
}

/// Scoped threads, as `splitbrain explore` runs a search.
struct Threads(usize);

impl Workers for Threads {
    fn count(&self) -> usize {
        self.0
    }
    fn join<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
        let mut tasks = tasks.into_iter();
        let Some(first) = tasks.next() else {
            return;
        };
        std::thread::scope(|s| {
            for task in tasks {
                s.spawn(task);
            }
            first();
        });
    }
}

/// Runs `f` `runs` times; returns (best, median) of wall and CPU seconds.
pub fn measure<A>(runs: usize, mut f: impl FnMut() -> Report<A>) -> (Report<A>, [f64; 4]) {
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut report = f(); // warm up
    for _ in 0..runs {
        let (w, c) = (Instant::now(), cpu_seconds());
        report = f();
        cpus.push(cpu_seconds() - c);
        walls.push(w.elapsed().as_secs_f64());
    }
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    let m = runs / 2;
    (report, [walls[0], walls[m], cpus[0], cpus[m]])
}

pub fn print<A>(label: &str, r: &Report<A>, t: [f64; 4]) {
    let n = r.unique_states as f64;
    println!(
        "  {label}: {} unique states, {} bytes/state, best {:.3} s\n    wall: best {:.0} states/s, median {:.0}; cpu: best {:.0} states/s, median {:.0}",
        r.unique_states,
        r.bytes_per_state,
        t[0],
        n / t[0],
        n / t[1],
        n / t[2],
        n / t[3],
    );
}

fn run<M>(label: &str, model: &M, options: Options, threads: usize, runs: usize)
where
    M: Model + Sync,
    M::State: Send + Sync,
    M::Action: Send,
{
    let (r, t) = if threads == 1 {
        measure(runs, || explore(model, options))
    } else {
        measure(runs, || {
            explore_on(model, options, &Threads(threads), &mut |_| true)
        })
    };
    let label = format!(
        "{label}, {threads} thread{}",
        if threads == 1 { "" } else { "s" }
    );
    print(&label, &r, t);
}

fn main() {
    // `cargo bench` passes `--bench`; other arguments pick the groups to run
    // (`two-phase`, `paxos`), all of them when none is named.
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wants = |group: &str| picked.is_empty() || picked.iter().any(|p| p == group);
    if wants("two-phase") {
        two_phase();
    }
    if wants("paxos") {
        paxos();
    }
}

fn two_phase() {
    println!(
        "two-phase commit model (TLA+ TwoPhase); load {}:",
        load_average()
    );
    let bfs = Options::default();
    let dfs = Options {
        strategy: Strategy::DepthFirst,
        ..bfs
    };
    let sym = Options {
        symmetry: true,
        ..bfs
    };
    for (rms, runs) in [(7, 9), (8, 5), (9, 3)] {
        for threads in [1, 2] {
            run(
                &format!("{rms} RMs"),
                &TwoPhaseSpec::new(rms),
                bfs,
                threads,
                runs,
            );
        }
    }
    run("7 RMs (DFS)", &TwoPhaseSpec::new(7), dfs, 1, 5);
    run("8 RMs with symmetry", &TwoPhaseSpec::new(8), sym, 1, 5);
    println!("load afterwards {}", load_average());
}

fn paxos() {
    let bfs = Options::default();
    println!("\nPaxos over the simulator's nondeterminism, 3 nodes (states rebuilt");
    println!("from their parents; bytes/state: fingerprints, links, rebuild paths):");
    let config = PaxosConfig {
        variant: PaxosVariant::Classic,
        ..PaxosConfig::default()
    };
    let scenario = Scenario::new(ProtocolConfig::Paxos(config.clone()), 3, 0);
    let two_ballots = Bounds {
        max_timer_fires: 2,
        max_in_flight: 5,
        ..Bounds::default()
    };
    let model = ProtocolModel::<Paxos>::new(&scenario, config.clone(), two_ballots).unwrap();
    for threads in [1, 2] {
        run("2 ballots, 5 in flight", &model, bfs, threads, 3);
    }
    // The command's defaults (4 timer firings, 16 in flight) have no end
    // in sight: the first million states.
    let model = ProtocolModel::<Paxos>::new(&scenario, config, Bounds::default()).unwrap();
    let million = Options {
        max_states: Some(1_000_000),
        ..bfs
    };
    for threads in [1, 2] {
        run(
            "defaults, first 1,000,000 states",
            &model,
            million,
            threads,
            3,
        );
    }
    println!("load afterwards {}", load_average());
}
