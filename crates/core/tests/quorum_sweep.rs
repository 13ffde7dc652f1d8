//! The quorum store's seed sweep: thousands of runs under random
//! partitions, crashes, message loss and duplication. Each run must keep
//! the store's invariants after every event, and its history must show:
//!
//! - with strict quorums (`r + w > n`), no stale read: a read that begins
//!   after a write completed returns that write or a version superseding it;
//! - with vector clocks, no lost update: every acknowledged write is known
//!   to some surviving version;
//! - convergence: `until - faults.until` after the faults stop, every
//!   replica of every key holds the same versions and no hint is left.
//!
//! Any failure prints its seed and the command that replays it.
//! `SPLITBRAIN_SEEDS=N` changes how many seeds run (default 1,000).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use splitbrain_core::protocols::quorum::{divergence, QuorumConfig};
use splitbrain_core::sim::OpResult;
use splitbrain_core::version::{audit, KeyVersions, Versioning};
use splitbrain_core::*;

const SWEEP: &str = "web/scenarios/quorum-sweep.json";

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
        .unwrap_or(1_000)
}

fn reproduce(seed: u64) -> String {
    format!("cargo run --release -p splitbrain-cli -- run {SWEEP} --seed {seed}")
}

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

fn config(s: &Scenario) -> QuorumConfig {
    match &s.protocol {
        ProtocolConfig::Quorum(c) => c.clone(),
        other => panic!("not a quorum scenario: {other:?}"),
    }
}

fn check_seed(base: &Scenario, seed: u64, label: &str) -> Result<(), String> {
    let mut s = base.clone();
    s.seed = seed;
    let c = config(&s);
    let faults_end = s.faults.as_ref().unwrap().until;
    let until = s.until.unwrap();
    let fail = |what: String| {
        Err(format!(
            "{label} seed {seed}: {what}\n  reproduce: {}{}",
            reproduce(seed),
            if label == "default" {
                String::new()
            } else {
                format!(" (with the {label} settings of quorum_sweep.rs)")
            }
        ))
    };
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
        return fail(format!(
            "{} violated at event {} (t={}): {}",
            v.invariant, v.event_index, v.time, v.violation.message
        ));
    }
    let stored: Vec<Vec<KeyVersions>> = (0..s.nodes)
        .map(|n| sim.stored_versions(NodeId(n)))
        .collect();
    let surviving: Vec<KeyVersions> = stored.iter().flatten().cloned().collect();
    let a = audit(&sim.history().to_vec(), &surviving, c.versioning);
    if c.strict() {
        if let Some(id) = a.stale.first() {
            let op = &sim.history()[id.0 as usize];
            return fail(format!(
                "{} stale reads with R+W>N; first {id} ({} at {}, answered by {:?})",
                a.stale.len(),
                op.op,
                op.invoke,
                op.detail.as_ref().map(|d| &d.replicas)
            ));
        }
    }
    if c.versioning == Versioning::VectorClock && !a.lost.is_empty() {
        return fail(format!(
            "{} acknowledged writes lost under vector clocks: {:?}",
            a.lost.len(),
            a.lost
        ));
    }
    let diverged = divergence(&c, &stored);
    if !diverged.is_empty() {
        return fail(format!(
            "not converged {} after the faults stopped: {}",
            until.since(faults_end),
            diverged.join("; ")
        ));
    }
    // Liveness: within 2s of the faults stopping, a request succeeds.
    let bound = faults_end + Span::from_secs(2);
    let served = sim.history().iter().any(|op| {
        op.invoke >= faults_end
            && matches!(op.result, Some((done, OpResult::Ok { .. })) if done <= bound)
    });
    if !served {
        return fail(format!(
            "no request succeeded between {faults_end} and {bound}"
        ));
    }
    if a.reads == 0 || a.writes == 0 {
        return fail(String::from("the history has no audited reads or writes"));
    }
    Ok(())
}

fn sweep(label: &str, base: &Scenario, count: u64) {
    let start = std::time::Instant::now();
    let failures = par_seeds(count, |seed| check_seed(base, seed, label));
    println!(
        "quorum sweep ({label}): {count} seeds in {:.1}s, {} failures",
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

#[test]
fn sweep_strict_quorum_reads_its_writes_and_converges() {
    sweep("default", &sweep_scenario(), seeds());
}

/// Last-writer-wins may lose concurrent updates but still reads its writes
/// under strict quorums and converges.
#[test]
fn sweep_last_writer_wins_reads_its_writes_and_converges() {
    let mut s = sweep_scenario();
    s.protocol = ProtocolConfig::Quorum(QuorumConfig {
        versioning: Versioning::LastWriterWins,
        clock_skew: Span::from_millis(3),
        ..config(&s)
    });
    sweep("lww", &s, (seeds() / 4).max(1));
}

/// Sloppy quorums promise no read-your-writes, but hinted handoff and
/// anti-entropy must still drain every hint and converge.
#[test]
fn sweep_sloppy_quorum_hands_off_hints_and_converges() {
    let mut s = sweep_scenario();
    s.protocol = ProtocolConfig::Quorum(QuorumConfig {
        sloppy: true,
        ..config(&s)
    });
    sweep("sloppy", &s, (seeds() / 4).max(1));
}

/// The checks can fail: with R+W<=N the same sweep finds stale reads.
#[test]
fn weak_quorums_show_stale_reads_in_the_sweep() {
    let mut s = sweep_scenario();
    s.protocol = ProtocolConfig::Quorum(QuorumConfig {
        r: 1,
        w: 1,
        read_repair: false,
        ..config(&s)
    });
    let stale: u64 = (0..50)
        .map(|seed| {
            s.seed = seed;
            let mut sim = build(&s, RunOptions::default()).unwrap();
            sim.run_until(s.until.unwrap(), u64::MAX);
            audit(&sim.history().to_vec(), &[], Versioning::VectorClock)
                .stale
                .len() as u64
        })
        .sum();
    println!("weak quorums: {stale} stale reads over 50 seeds");
    assert!(stale > 0);
}

/// The convergence check can fail: without anti-entropy or read repair,
/// replicas that missed writes during the faults stay behind.
#[test]
fn without_anti_entropy_replicas_stay_diverged() {
    let mut s = sweep_scenario();
    s.protocol = ProtocolConfig::Quorum(QuorumConfig {
        anti_entropy: Span::ZERO,
        read_repair: false,
        ..config(&s)
    });
    let diverged = (0..50)
        .filter(|&seed| {
            check_seed(&s, seed, "no-anti-entropy").is_err_and(|e| e.contains("converged"))
        })
        .count();
    println!("without anti-entropy: {diverged} of 50 seeds diverged");
    assert!(diverged > 0);
}
