//! Consistency checking speed: the 70 etcd histories and the 4 key-value
//! histories of the corpus, and a 10,000-operation history of a simulated
//! Raft run. Prints the best of several runs; asserts nothing.
//!
//! `cargo bench -p splitbrain-core --bench check`. The corpus is found at
//! `../shared/corpus` next to the checkout, or at `SPLITBRAIN_CORPUS`.
//!
//! Targets: all 70 etcd histories in under 100 ms on one core, each c10
//! key-value history in under 2 ms, the large history in under 1 s. (For
//! scale: Porcupine is reported at about 290 ms for its 102 etcd histories
//! on an Apple M1.)

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use splitbrain_core::check::{self, CheckOptions, History, Outcome, Verdict};
use splitbrain_core::protocols::raft::RaftConfig;
use splitbrain_core::scenario::{Faults, Latency, Workload};
use splitbrain_core::*;

fn corpus() -> Option<PathBuf> {
    let dir = match std::env::var_os("SPLITBRAIN_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    dir.join("README.md").is_file().then_some(dir)
}

fn read_dir(dir: PathBuf, ext: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// The fastest of `runs` timings of `f`.
fn best<T>(runs: u32, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut fastest = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = black_box(f());
        fastest = fastest.min(start.elapsed());
        last = Some(out);
    }
    (fastest, last.expect("at least one run"))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// The same run as `tests/check_sim.rs` checks: 10 clients on 10 keys
/// against 5 Raft nodes, with partitions and crashes for the first 10 s.
fn large_scenario() -> Scenario {
    let mut s = Scenario::new(ProtocolConfig::Raft(RaftConfig::default()), 5, 3);
    s.network.latency = Latency {
        min: Span::from_millis(1),
        max: Span::from_millis(5),
    };
    s.workload = Some(Workload {
        clients: 10,
        think: Latency {
            min: Span::from_millis(1),
            max: Span::from_millis(5),
        },
        keys: 10,
        reads: 0.3,
        start: Time(300_000),
        stop: Some(Time(14_500_000)),
    });
    s.faults = Some(Faults {
        until: Time(10_000_000),
        every: Span::from_millis(700),
        ..Faults::default()
    });
    s.until = Some(Time(16_000_000));
    s
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument, if any, is ignored.
    let options = CheckOptions::default();
    match corpus() {
        None => println!("corpus: not found (set SPLITBRAIN_CORPUS); skipping the corpus numbers"),
        Some(dir) => {
            let logs = read_dir(dir.join("jepsen-etcd"), "log");
            let (parse_time, histories) = best(20, || {
                logs.iter()
                    .map(|(_, text)| check::parse(text, None).unwrap())
                    .collect::<Vec<History>>()
            });
            let (check_time, verdicts) = best(20, || {
                histories
                    .iter()
                    .map(|h| check::linearizability(h, &options).verdict)
                    .collect::<Vec<Verdict>>()
            });
            let holds = verdicts.iter().filter(|v| **v == Verdict::Holds).count();
            println!(
                "jepsen-etcd: {} histories ({} linearizable): check {} total, parse {} total",
                histories.len(),
                holds,
                ms(check_time),
                ms(parse_time)
            );
            let mut slowest: Vec<(Duration, &str, u64)> = histories
                .iter()
                .zip(&logs)
                .map(|(h, (name, _))| {
                    let (t, r) = best(5, || check::linearizability(h, &options));
                    (t, name.as_str(), r.steps)
                })
                .collect();
            slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
            for (t, name, steps) in slowest.iter().take(3) {
                println!("  slowest: {name} {} ({steps} steps)", ms(*t));
            }

            let kv = read_dir(dir.join("porcupine-kv"), "txt");
            let everything: Vec<History> = histories
                .iter()
                .cloned()
                .chain(kv.iter().map(|(_, text)| check::parse(text, None).unwrap()))
                .collect();
            let (t, _) = best(3, || {
                everything
                    .iter()
                    .map(|h| check::check(h, &options).sequential.verdict)
                    .collect::<Vec<Verdict>>()
            });
            println!(
                "every property (sequential consistency, sessions, convergence too), all {} corpus histories: {}",
                everything.len(),
                ms(t)
            );

            for (name, text) in kv {
                let history = check::parse(&text, None).unwrap();
                let (t, result) = best(50, || check::linearizability(&history, &options));
                println!(
                    "porcupine-kv {name}: {} ops, {:?}, check {} ({} steps)",
                    history.ops.len(),
                    result.verdict,
                    ms(t),
                    result.steps
                );
            }
        }
    }

    let start = Instant::now();
    let mut sim = build(
        &large_scenario(),
        RunOptions {
            keep_trace: false,
            recent_events: 0,
        },
    )
    .unwrap();
    sim.run_until(Time(16_000_000), u64::MAX);
    let history = History::from_client_ops(&sim.history().to_vec());
    let simulated = start.elapsed();
    let unknown = history
        .ops
        .iter()
        .filter(|o| o.outcome == Outcome::Unknown)
        .count();
    let (t, result) = best(5, || check::linearizability(&history, &options));
    println!(
        "raft run: {} ops ({unknown} unknown) over {} keys: {:?}, check {} ({} steps; simulating took {})",
        history.ops.len(),
        result.keys.len(),
        result.verdict,
        ms(t),
        result.steps,
        ms(simulated)
    );
    let (t, report) = best(3, || check::check(&history, &options));
    println!(
        "raft run, every property: {} (sequential {:?}, read-your-writes {:?}, monotonic reads {:?}, convergence {:?})",
        ms(t),
        report.sequential.verdict,
        report.read_your_writes.verdict,
        report.monotonic_reads.verdict,
        report.convergence.verdict
    );
    let (t, edn) = best(5, || check::to_edn(&history));
    let (p, _) = best(5, || check::parse(&edn, None).unwrap());
    println!(
        "raft run EDN: {} bytes, export {}, parse {}",
        edn.len(),
        ms(t),
        ms(p)
    );
}
