//! Consistency checking speed, next to the targets and to the figures of
//! the starting point (commit 456d3a9's bench, run three times alternating
//! with this one on the same 2-core machine under a load of about 10,
//! the best of the three): the corpus (70
//! jepsen-etcd logs, 4 key-value histories, 63 Knossos histories), a large
//! key-value history with one violated key (50 clients; Porcupine's own
//! such file is not public), and a 10,000-operation history of a simulated
//! Raft run. Prints the best of several runs; asserts nothing but the
//! verdicts.
//!
//! `cargo bench -p splitbrain-core --bench check` (or `cargo xtask bench`).
//! The corpus is found at `../shared/corpus` next to the checkout, or at
//! `SPLITBRAIN_CORPUS`; without it the bench stops with an error.

#[path = "../tests/common/corpus.rs"]
mod corpus;
#[path = "../tests/common/kv_workload.rs"]
mod kv_workload;

use std::hint::black_box;
use std::time::{Duration, Instant};

use splitbrain_core::check::{self, CheckOptions, History, Outcome, Scope, Verdict};
use splitbrain_core::protocols::raft::RaftConfig;
use splitbrain_core::scenario::{Faults, Latency, Workload};
use splitbrain_core::*;

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

const VERDICT: CheckOptions = CheckOptions {
    max_steps: 5_000_000,
    scope: Scope::FirstViolation,
};

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

/// Parses every entry, checks them all for the verdict, and prints the
/// totals beside the target and the starting point's figure.
fn corpus_part(part: &str, entries: &[corpus::Entry], target: &str, before: &str) {
    let texts: Vec<String> = entries.iter().map(corpus::Entry::text).collect();
    let (parse_time, histories) = best(10, || {
        entries
            .iter()
            .zip(&texts)
            .map(|(e, text)| check::parse_with(text, &e.parse_options()).unwrap())
            .collect::<Vec<History>>()
    });
    let (check_time, verdicts) = best(10, || {
        histories
            .iter()
            .map(|h| check::linearizability(h, &VERDICT).verdict)
            .collect::<Vec<Verdict>>()
    });
    for (e, v) in entries.iter().zip(&verdicts) {
        assert_eq!(*v, e.expected, "{}", e.name);
    }
    println!(
        "{part}: {} files, all verdicts as expected: check {} total (target {target}; before: {before}), parse {} total",
        entries.len(),
        ms(check_time),
        ms(parse_time)
    );
    let mut slowest: Vec<(Duration, &str, u64)> = histories
        .iter()
        .zip(entries)
        .map(|(h, e)| {
            let (t, r) = best(3, || check::linearizability(h, &VERDICT));
            (t, e.name.as_str(), r.steps)
        })
        .collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (t, name, steps) in slowest.iter().take(2) {
        println!("  slowest: {name} {} ({steps} steps)", ms(*t));
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument, if any, is ignored.
    let root = corpus::dir().unwrap_or_else(|e| {
        eprintln!("check bench: {e}");
        std::process::exit(1);
    });
    println!(
        "(before: the starting point, 456d3a9, on this machine; it could not read Knossos's files)"
    );
    corpus_part("jepsen-etcd", &corpus::etcd(&root), "<= 50 ms", "11.1 ms");
    corpus_part(
        "knossos",
        &corpus::knossos(&root),
        "<= 50 ms",
        "refused every file",
    );

    let kv = corpus::kv(&root);
    for (entry, before) in kv
        .iter()
        .zip(["0.010 ms", "0.015 ms", "0.113 ms", "0.108 ms"])
    {
        let history = check::parse(&entry.text(), None).unwrap();
        let (t, verdict) = best(200, || check::linearizability(&history, &VERDICT));
        let (every, report) = best(50, || {
            check::linearizability(&history, &CheckOptions::default())
        });
        let (all, _) = best(10, || check::check(&history, &CheckOptions::default()));
        assert_eq!(verdict.verdict, entry.expected);
        assert_eq!(report.verdict, entry.expected);
        let target = if entry.name.ends_with("c10-bad.txt") {
            " (target <= 0.2 ms)"
        } else {
            ""
        };
        println!(
            "{}: {} ops, {:?}: verdict {}{target} ({} steps); every key {} (before: {before}); \
             every property, as the CLI prints them, {}",
            entry.name,
            history.ops.len(),
            verdict.verdict,
            ms(t),
            verdict.steps,
            ms(every),
            ms(all)
        );
    }

    let (history, _) = kv_workload::generate(kv_workload::Workload::default());
    let keys = history.keys().len();
    let (t, verdict) = best(5, || check::linearizability(&history, &VERDICT));
    assert_eq!(verdict.verdict, Verdict::Violated);
    let (every, report) = best(3, || {
        check::linearizability(&history, &CheckOptions::default())
    });
    let unknown = report
        .keys
        .iter()
        .filter(|k| k.verdict == Verdict::Unknown)
        .count();
    println!(
        "generated key-value history, 50 clients, {} ops on {keys} keys, one stale read: \
         verdict {} ({} steps; target: milliseconds); every key {} ({} steps, {unknown} unknown) \
         (before: 4 of the 8 keys unknown after the 5,000,000-step budget; check-history took 13 s of CPU and 640 MiB)",
        history.ops.len(),
        ms(t),
        verdict.steps,
        ms(every),
        report.steps
    );

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
    let (t, result) = best(5, || {
        check::linearizability(&history, &CheckOptions::default())
    });
    println!(
        "raft run: {} ops ({unknown} unknown) over {} keys: {:?}, check {} ({} steps; before: 2.33 ms; simulating took {})",
        history.ops.len(),
        result.keys.len(),
        result.verdict,
        ms(t),
        result.steps,
        ms(simulated)
    );
    let (t, report) = best(3, || check::check(&history, &CheckOptions::default()));
    println!(
        "raft run, every property: {} (before: 31.8 ms; sequential {:?}, read-your-writes {:?}, monotonic reads {:?}, convergence {:?})",
        ms(t),
        report.sequential.verdict,
        report.read_your_writes.verdict,
        report.monotonic_reads.verdict,
        report.convergence.verdict
    );
    let (t, edn) = best(5, || check::to_edn(&history));
    let (p, _) = best(5, || check::parse(&edn, None).unwrap());
    println!(
        "raft run EDN: {} bytes, export {} (before: 7.6 ms), parse {} (before: 55.9 ms)",
        edn.len(),
        ms(t),
        ms(p)
    );
    if let Some(path) = std::env::var_os("SPLITBRAIN_WRITE_WORKLOAD") {
        let (history, _) = kv_workload::generate(kv_workload::Workload::default());
        std::fs::write(&path, check::to_edn(&history)).unwrap();
        println!("generated history written to {}", path.to_string_lossy());
    }
}
