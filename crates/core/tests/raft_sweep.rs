//! The seed sweep: thousands of runs under random partitions, crashes,
//! message loss and duplication, each checked after every event. Any failure
//! prints its seed and the command that replays it.
//!
//! `SPLITBRAIN_SEEDS=N` changes how many seeds run (default 2,000).

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use common::*;
use splitbrain_core::protocols::raft::RaftConfig;
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

const SWEEP: &str = "web/scenarios/raft-sweep.json";

fn sweep_scenario() -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(SWEEP);
    let text = std::fs::read_to_string(&path).expect("the sweep scenario exists");
    serde_json::from_str(&text).expect("the sweep scenario parses")
}

fn seeds() -> u64 {
    std::env::var("SPLITBRAIN_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000)
}

fn reproduce(seed: u64) -> String {
    format!("cargo run --release -p splitbrain-cli -- run {SWEEP} --seed {seed}")
}

/// Runs `f` over `0..count` on both cores; collects the failures.
fn par_seeds(count: u64, f: impl Fn(u64) -> Result<(), String> + Sync) -> Vec<String> {
    let next = AtomicU64::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(4)
        {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= count {
                    break;
                }
                if let Err(e) = f(seed) {
                    failures.lock().unwrap().push(e);
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    failures
}

/// Safety under faults, liveness after them, and convergence.
fn check_seed(base: &Scenario, seed: u64) -> Result<(), String> {
    let mut s = base.clone();
    s.seed = seed;
    let faults_end = s.faults.as_ref().unwrap().until;
    let until = s.until.unwrap();
    let mut sim = build(
        &s,
        RunOptions {
            keep_trace: false,
            recent_events: 0,
        },
    )
    .unwrap();
    sim.run_until(until, u64::MAX);
    if let Some(v) = sim.violation() {
        return Err(format!(
            "seed {seed}: {} violated at event {} (t={}): {}\n  reproduce: {}",
            v.invariant,
            v.event_index,
            v.time,
            v.violation.message,
            reproduce(seed)
        ));
    }
    // Liveness: within 3s of the faults stopping, a request commits.
    let bound = faults_end + Span::from_secs(3);
    let committed = sim.history().iter().any(|op| {
        op.invoke >= faults_end
            && matches!(op.result, Some((done, OpResult::Ok { .. })) if done <= bound)
    });
    if !committed {
        return Err(format!(
            "seed {seed}: no client request committed between {faults_end} and {bound}\n  reproduce: {}",
            reproduce(seed)
        ));
    }
    // Convergence: once clients stop, every node ends with the same log,
    // all of it committed, and the same state machine.
    let reference = sim.node_detail(NodeId(0));
    for n in 0..s.nodes {
        let d = sim.node_detail(NodeId(n));
        let v = sim.node_view(NodeId(n));
        if d.log != reference.log || d.kv != reference.kv || v.commit_index != v.log_len {
            return Err(format!(
                "seed {seed}: n{n} has not converged by {until} (log {} entries, commit {}; n0 has {})\n  reproduce: {}",
                v.log_len,
                v.commit_index,
                reference.log.len(),
                reproduce(seed)
            ));
        }
    }
    if current_leader(&sim).is_none() {
        return Err(format!(
            "seed {seed}: no leader at {until}\n  reproduce: {}",
            reproduce(seed)
        ));
    }
    Ok(())
}

#[test]
fn sweep_raft_has_no_violations_and_recovers() {
    let base = sweep_scenario();
    let count = seeds();
    let start = std::time::Instant::now();
    let failures = par_seeds(count, |seed| check_seed(&base, seed));
    println!(
        "raft sweep: {count} seeds in {:.1}s, {} failures",
        start.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {count} seeds failed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The checker can fail: Raft that commits old-term entries by counting
/// replicas (the Figure 8 bug) is caught by a sweep of its own scenario
/// within a bounded number of seeds, always by state machine safety (its
/// leader applies an entry that was never committed, a later leader
/// overwrites it, and the nodes' applied states part), and correct Raft is
/// clean on the seeds that catch it.
#[test]
fn sweep_catches_raft_that_commits_old_terms_by_counting() {
    const BOUND: u64 = 1_000;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/scenarios/raft-broken-figure8.json");
    let mut s: Scenario = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let run = |s: &Scenario| {
        let mut sim = build(
            s,
            RunOptions {
                keep_trace: false,
                recent_events: 0,
            },
        )
        .unwrap();
        sim.run_until(s.until.unwrap(), u64::MAX);
        sim.violation().map(|v| v.invariant)
    };
    let caught: Vec<(u64, &str)> = (0..BOUND)
        .filter_map(|seed| {
            s.seed = seed;
            run(&s).map(|invariant| (seed, invariant))
        })
        .collect();
    println!(
        "broken raft: caught by {} of {BOUND} seeds, first {:?}",
        caught.len(),
        caught.first()
    );
    assert!(
        !caught.is_empty(),
        "the broken variant survived {BOUND} seeds"
    );
    assert!(
        caught.iter().all(|(_, inv)| *inv == "state machine safety"),
        "{caught:?}"
    );
    s.protocol = ProtocolConfig::Raft(RaftConfig {
        max_batch: 1,
        ..RaftConfig::default()
    });
    for &(seed, _) in &caught {
        s.seed = seed;
        assert_eq!(run(&s), None, "correct Raft violated on seed {seed}");
    }
}
