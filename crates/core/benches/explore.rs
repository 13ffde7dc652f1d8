//! Exhaustive exploration speed: unique states per second for the
//! Gray–Lamport two-phase commit model and for Paxos at small bounds, and
//! memory per stored state.
//! Prints numbers; asserts nothing. For comparison (from the issue): an
//! established Rust model checker explores this model at 7 RMs (296,448
//! unique states) at about 655,000 states/s on one core of this kind of
//! machine, and 494,000 at 8.
//!
//! Each configuration runs several times; the best and median are printed,
//! in wall-clock time and in this thread's CPU time (which other processes
//! on a shared machine disturb less), with the load average.

use std::time::Instant;

use splitbrain_core::explore::protocol::{Bounds, ProtocolModel};
use splitbrain_core::explore::two_phase::TwoPhaseSpec;
use splitbrain_core::explore::{explore, Model, Options, Report, Strategy};
use splitbrain_core::protocols::paxos::{Paxos, PaxosConfig, PaxosVariant};
use splitbrain_core::{ProtocolConfig, Scenario};

/// This thread's CPU time in seconds.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| String::from("unknown"))
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
        "  {label}: {} unique states, {} bytes/state\n    wall: best {:.0} states/s, median {:.0}; cpu: best {:.0} states/s, median {:.0}",
        r.unique_states,
        r.bytes_per_state,
        n / t[0],
        n / t[1],
        n / t[2],
        n / t[3],
    );
}

fn run<M: Model>(label: &str, model: &M, options: Options, runs: usize) {
    let (r, t) = measure(runs, || explore(model, options));
    print(label, &r, t);
}

fn main() {
    // `cargo bench` passes `--bench`; accept and ignore harness flags.
    println!(
        "two-phase commit model (TLA+ TwoPhase), one core; load {}:",
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
    run("7 RMs", &TwoPhaseSpec::new(7), bfs, 9);
    run("8 RMs", &TwoPhaseSpec::new(8), bfs, 5);
    run("7 RMs (DFS)", &TwoPhaseSpec::new(7), dfs, 5);
    run("8 RMs with symmetry", &TwoPhaseSpec::new(8), sym, 5);
    println!("load afterwards {}", load_average());

    println!("\nprotocols over the simulator's nondeterminism (bytes/state: inline");
    println!("state, parent link and table share; node states' heap not counted):");
    let paxos = |variant| {
        let config = PaxosConfig {
            variant,
            ..PaxosConfig::default()
        };
        (
            Scenario::new(ProtocolConfig::Paxos(config.clone()), 3, 0),
            config,
        )
    };
    let (scenario, config) = paxos(PaxosVariant::Classic);
    for in_flight in [5, 6] {
        let bounds = Bounds {
            max_timer_fires: 2,
            max_in_flight: in_flight,
            ..Bounds::default()
        };
        let model = ProtocolModel::<Paxos>::new(&scenario, config.clone(), bounds).unwrap();
        run(
            &format!("Paxos, 3 nodes, 2 ballots, {in_flight} in flight"),
            &model,
            bfs,
            3,
        );
    }
    println!("load afterwards {}", load_average());
}
