//! Consistency verdicts on simulated runs: Raft, whose reads go through the
//! log, must be linearizable on every example scenario and every seed of
//! the sweep; a history tampered with must not be; the EDN export reads
//! back to the same history.
//!
//! `SPLITBRAIN_CHECK_SEEDS=N` changes how many sweep seeds are checked
//! (default 200).

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use splitbrain_core::check::{self, CheckOptions, History, Outcome, Value, Verdict};
use splitbrain_core::protocols::raft::{RaftConfig, ReadPath};
use splitbrain_core::scenario::{Faults, Latency, Workload};
use splitbrain_core::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(path: &str) -> Scenario {
    let text = std::fs::read_to_string(repo().join(path)).expect("the scenario exists");
    serde_json::from_str(&text).expect("the scenario parses")
}

fn run_to_end(s: &Scenario) -> Sim {
    let mut sim = build(
        s,
        RunOptions {
            keep_trace: false,
            recent_events: 0,
        },
    )
    .unwrap();
    sim.run_until(s.until.unwrap_or(Time(10_000_000)), u64::MAX);
    sim
}

fn history_of(s: &Scenario) -> History {
    History::from_client_ops(&run_to_end(s).history().to_vec())
}

/// 10 clients on 10 keys against 5 Raft nodes, with partitions and crashes
/// for the first 10 s, until about 10,000 operations have been issued.
pub fn large_scenario() -> Scenario {
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

#[test]
fn raft_is_linearizable_on_every_example_scenario() {
    let dir = repo().join("web/scenarios");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // The gallery's index lives with the scenarios but is not one.
        if name == "gallery.json" {
            continue;
        }
        let scenario = load(&format!("web/scenarios/{name}"));
        let raft = matches!(scenario.protocol, ProtocolConfig::Raft(_));
        let history = history_of(&scenario);
        let result = check::linearizability(&history, &CheckOptions::default());
        println!("{name}: {} ops, {:?}", history.ops.len(), result.verdict);
        // Lease reads are linearizable only while clocks drift within the
        // lease's bound; the stale lease read's tour breaks it on purpose.
        let beyond_lease = match &scenario.protocol {
            ProtocolConfig::Raft(c) if c.reads == ReadPath::Lease => {
                let bound = c.lease.drift_bound_ppm;
                scenario
                    .clocks
                    .iter()
                    .any(|k| k.drift_ppm.unsigned_abs() > bound)
                    || scenario.actions.iter().any(|a| {
                        matches!(a.action, Action::Clock { drift_ppm, .. }
                            if drift_ppm.unsigned_abs() > bound)
                    })
            }
            _ => false,
        };
        if raft && !name.contains("broken") && !beyond_lease {
            assert_eq!(
                result.verdict,
                Verdict::Holds,
                "{name}: {:#?}",
                result.explanations().collect::<Vec<_>>()
            );
            checked += 1;
        }
    }
    assert!(checked >= 3);
}

#[test]
fn raft_is_linearizable_on_every_sweep_seed() {
    let base = load("web/scenarios/raft-sweep.json");
    let count: u64 = std::env::var("SPLITBRAIN_CHECK_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let next = AtomicU64::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..std::thread::available_parallelism().map_or(2, |n| n.get().min(4)) {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= count {
                    break;
                }
                let mut s = base.clone();
                s.seed = seed;
                let history = history_of(&s);
                let result = check::linearizability(&history, &CheckOptions::default());
                if result.verdict != Verdict::Holds {
                    failures.lock().unwrap().push(format!(
                        "seed {seed}: {:?}; reproduce: cargo run --release -p splitbrain-cli -- \
                         run web/scenarios/raft-sweep.json --seed {seed} --history h.edn",
                        result.verdict
                    ));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_tampered_read_is_caught_and_explained() {
    let mut history = history_of(&load("web/scenarios/raft-sweep.json"));
    // The last successful read of a key that has been written: make it
    // return something nobody wrote.
    let victim = history
        .ops
        .iter()
        .rposition(|o| {
            o.call.is_read() && matches!(&o.outcome, Outcome::Ok { value } if *value != Value::Nil)
        })
        .expect("the sweep reads written keys");
    history.ops[victim].outcome = Outcome::Ok {
        value: Value::Str("never written".into()),
    };
    let result = check::linearizability(&history, &CheckOptions::default());
    assert_eq!(result.verdict, Verdict::Violated);
    let e = result.explanations().next().unwrap();
    assert_eq!(e.stuck, victim, "{e:#?}");
    assert_eq!(e.key, history.ops[victim].key);
}

#[test]
fn the_edn_export_reads_back_as_the_same_history() {
    let history = history_of(&load("web/scenarios/raft-sweep.json"));
    let edn = check::to_edn(&history);
    assert!(
        edn.starts_with("; splitbrain semantics {:model :kv"),
        "{}",
        &edn[..80]
    );
    assert!(
        edn.contains("\n[{:process "),
        "a vector of maps: {}",
        &edn[..200]
    );
    let mut again = check::parse(&edn, None).unwrap();
    assert_eq!(again.ops.len(), history.ops.len());
    // Times come back in nanoseconds, sources as line numbers.
    for (a, b) in again.ops.iter_mut().zip(&history.ops) {
        assert_eq!(a.invoke, b.invoke * 1000);
        assert_eq!(a.complete, b.complete.map(|t| t * 1000));
        a.invoke = b.invoke;
        a.complete = b.complete;
        a.source = b.source;
    }
    again.time_base = history.time_base;
    assert_eq!(again, history);
}

#[test]
fn ten_thousand_operations_check_quickly() {
    let history = history_of(&large_scenario());
    assert!(history.ops.len() >= 10_000, "{} ops", history.ops.len());
    let start = Instant::now();
    let result = check::linearizability(&history, &CheckOptions::default());
    let elapsed = start.elapsed();
    let unknown = history
        .ops
        .iter()
        .filter(|o| o.outcome == Outcome::Unknown)
        .count();
    println!(
        "{} ops ({unknown} unknown) over {} keys: {:?} in {elapsed:?}, {} steps",
        history.ops.len(),
        result.keys.len(),
        result.verdict,
        result.steps
    );
    assert_eq!(result.verdict, Verdict::Holds);
    // The target is 1 s natively in release; leave room for a slow CI box
    // and debug builds.
    let bound = if cfg!(debug_assertions) { 30 } else { 5 };
    assert!(elapsed.as_secs() < bound, "{elapsed:?}");
}

#[test]
fn the_full_report_on_a_raft_run() {
    let history = history_of(&load("web/scenarios/raft-sweep.json"));
    let report = check::check(&history, &CheckOptions::default());
    assert_eq!(report.linearizable.verdict, Verdict::Holds);
    assert_eq!(report.sequential.verdict, Verdict::Holds);
    // Linearizable implies the session guarantees.
    assert_eq!(report.read_your_writes.verdict, Verdict::Holds);
    assert_eq!(report.monotonic_reads.verdict, Verdict::Holds);
    assert_ne!(report.convergence.verdict, Verdict::Violated);
    let marks = report.marks(&history);
    assert_eq!(marks.len(), history.ops.len());
    assert!(marks.iter().any(|m| m.order.is_some()));
    assert!(marks.iter().all(|m| !m.stuck && m.flagged == 0));
}
