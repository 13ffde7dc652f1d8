//! Seed sweeps for Paxos and Multi-Paxos: thousands of runs under random
//! partitions, crashes, message loss and duplication, each checked after
//! every event. Any failure prints its seed and the command that replays
//! it.
//!
//! `SPLITBRAIN_SEEDS=N` changes how many seeds each sweep runs (default
//! 2,000). A single-decree run is about a hundred times cheaper than a
//! replicated-log run, so the Paxos sweep runs ten times as many seeds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use splitbrain_core::protocol::RoleKind;
use splitbrain_core::protocols::multi_paxos::{MultiPaxosConfig, MultiPaxosVariant};
use splitbrain_core::protocols::paxos::{PaxosConfig, PaxosVariant};
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

const PAXOS_SWEEP: &str = "web/scenarios/paxos-sweep.json";
const MULTI_SWEEP: &str = "web/scenarios/multi-paxos-sweep.json";

fn load(file: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("the scenario exists");
    serde_json::from_str(&text).expect("the scenario parses")
}

fn seeds() -> u64 {
    std::env::var("SPLITBRAIN_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000)
}

fn reproduce(file: &str, seed: u64) -> String {
    format!("cargo run --release -p splitbrain-cli -- run {file} --seed {seed}")
}

/// Runs `f` over `0..count` on every core (at most four); collects the
/// failures.
fn par_seeds<T: Send>(count: u64, f: impl Fn(u64) -> T + Sync) -> Vec<(u64, T)> {
    let next = AtomicU64::new(0);
    let results = Mutex::new(Vec::new());
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
                let r = f(seed);
                results.lock().unwrap().push((seed, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(seed, _)| *seed);
    results
}

fn run_seed(base: &Scenario, seed: u64) -> Sim {
    let mut s = base.clone();
    s.seed = seed;
    let mut sim = build(
        &s,
        RunOptions {
            keep_trace: false,
            recent_events: 0,
        },
    )
    .unwrap();
    sim.run_until(s.until.unwrap(), u64::MAX);
    sim
}

fn violated(file: &str, seed: u64, sim: &Sim) -> Result<(), String> {
    match sim.violation() {
        Some(v) => Err(format!(
            "seed {seed}: {} violated at event {} (t={}): {}\n  reproduce: {}",
            v.invariant,
            v.event_index,
            v.time,
            v.violation.message,
            reproduce(file, seed)
        )),
        None => Ok(()),
    }
}

fn report(name: &str, count: u64, start: std::time::Instant, failures: &[String]) {
    println!(
        "{name} sweep: {count} seeds in {:.1}s, {} failures",
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

/// Single-decree safety under faults, and liveness after them: once the
/// network heals, every proposer learns the value, and it is one value.
fn check_paxos_seed(base: &Scenario, seed: u64) -> Result<(), String> {
    let sim = run_seed(base, seed);
    violated(PAXOS_SWEEP, seed, &sim)?;
    let ProtocolConfig::Paxos(config) = &base.protocol else {
        unreachable!("the Paxos sweep runs Paxos")
    };
    let n = usize::from(base.nodes);
    for node in (0..base.nodes).map(NodeId) {
        if config.is_proposer(node, n) && sim.node_view(node).commit_index != 1 {
            return Err(format!(
                "seed {seed}: proposer {node} has not learned a value by {}\n  reproduce: {}",
                base.until.unwrap(),
                reproduce(PAXOS_SWEEP, seed)
            ));
        }
    }
    Ok(())
}

/// Multi-Paxos: safety under faults, liveness after them (a client request
/// commits within 3s of the faults stopping), and convergence (once clients
/// stop, every node has chosen the same prefix and holds the same map).
fn check_multi_seed(base: &Scenario, seed: u64) -> Result<(), String> {
    let sim = run_seed(base, seed);
    violated(MULTI_SWEEP, seed, &sim)?;
    let faults_end = base.faults.as_ref().unwrap().until;
    let until = base.until.unwrap();
    let bound = faults_end + Span::from_secs(3);
    let committed = sim.history().iter().any(|op| {
        op.invoke >= faults_end
            && matches!(op.result, Some((done, OpResult::Ok { .. })) if done <= bound)
    });
    if !committed {
        return Err(format!(
            "seed {seed}: no client request committed between {faults_end} and {bound}\n  reproduce: {}",
            reproduce(MULTI_SWEEP, seed)
        ));
    }
    let reference = sim.node_detail(NodeId(0)).kv;
    let chosen = sim.node_view(NodeId(0)).commit_index;
    for n in (0..base.nodes).map(NodeId) {
        let v = sim.node_view(n);
        if v.commit_index != chosen || sim.node_detail(n).kv != reference {
            return Err(format!(
                "seed {seed}: {n} has not converged by {until} (chosen through {}; n0 through {chosen})\n  reproduce: {}",
                v.commit_index,
                reproduce(MULTI_SWEEP, seed)
            ));
        }
    }
    let leaders = (0..base.nodes)
        .filter(|n| sim.node_view(NodeId(*n)).role == RoleKind::Leader)
        .count();
    if leaders == 0 {
        return Err(format!(
            "seed {seed}: no leader at {until}\n  reproduce: {}",
            reproduce(MULTI_SWEEP, seed)
        ));
    }
    Ok(())
}

#[test]
fn sweep_paxos_chooses_one_value_and_every_proposer_learns_it() {
    let base = load(PAXOS_SWEEP);
    let count = 10 * seeds();
    let start = std::time::Instant::now();
    let failures: Vec<String> = par_seeds(count, |seed| check_paxos_seed(&base, seed))
        .into_iter()
        .filter_map(|(_, r)| r.err())
        .collect();
    report("paxos", count, start, &failures);
}

#[test]
fn sweep_multi_paxos_has_no_violations_and_recovers() {
    let base = load(MULTI_SWEEP);
    let count = seeds();
    let start = std::time::Instant::now();
    let failures: Vec<String> = par_seeds(count, |seed| check_multi_seed(&base, seed))
        .into_iter()
        .filter_map(|(_, r)| r.err())
        .collect();
    report("multi-paxos", count, start, &failures);
}

/// Runs the sweep scenario `file` with a deliberately broken `broken`
/// protocol over the first `bound` seeds and returns the seeds on which the
/// checker caught it; then runs the correct protocol on exactly those
/// seeds, which must all be clean.
fn caught_then_clean(file: &str, bound: u64, broken: ProtocolConfig) -> Vec<u64> {
    let correct = load(file);
    let mut buggy = correct.clone();
    buggy.protocol = broken;
    let caught: Vec<u64> = par_seeds(bound, |seed| run_seed(&buggy, seed).violation().is_some())
        .into_iter()
        .filter_map(|(seed, hit)| hit.then_some(seed))
        .collect();
    for &seed in &caught {
        let sim = run_seed(&correct, seed);
        assert!(
            sim.violation().is_none(),
            "the correct protocol violated {:?} on seed {seed}",
            sim.violation().map(|v| &v.violation.message)
        );
    }
    caught
}

/// The sweep can fail: Paxos without the promise phase (proposers send
/// their own value straight away, acceptors take any higher number)
/// chooses two values on many of the sweep's seeds. Classic Paxos on the
/// same seeds is clean. (`paxos-naive-broken.json` shows one such run step
/// by step.)
#[test]
fn sweep_catches_naive_paxos_choosing_two_values() {
    const BOUND: u64 = 500;
    let ProtocolConfig::Paxos(classic) = load(PAXOS_SWEEP).protocol else {
        unreachable!("the Paxos sweep runs Paxos")
    };
    let naive = ProtocolConfig::Paxos(PaxosConfig {
        variant: PaxosVariant::NaiveNoPromise,
        ..classic
    });
    let caught = caught_then_clean(PAXOS_SWEEP, BOUND, naive);
    println!(
        "naive paxos: caught by {} of {BOUND} seeds, first {:?}",
        caught.len(),
        caught.first()
    );
    assert!(
        caught.len() as u64 >= BOUND / 10,
        "the naive variant survived too often: caught on {} of {BOUND} seeds",
        caught.len()
    );
}

/// The per-slot checker can fail too: a new leader that ignores what its
/// promises report, and fills those slots with no-ops, replaces commands
/// already chosen; the Multi-Paxos sweep catches it.
/// (`multi-paxos-broken-no-recovery.json` is one such run.)
#[test]
fn sweep_catches_multi_paxos_leader_that_ignores_promises() {
    const BOUND: u64 = 200;
    let broken = ProtocolConfig::MultiPaxos(MultiPaxosConfig {
        variant: MultiPaxosVariant::IgnorePromisedValues,
        ..MultiPaxosConfig::default()
    });
    let caught = caught_then_clean(MULTI_SWEEP, BOUND, broken);
    println!(
        "multi-paxos without recovery: caught by {} of {BOUND} seeds, first {:?}",
        caught.len(),
        caught.first()
    );
    assert!(
        caught.len() as u64 >= BOUND / 10,
        "the broken variant survived too often: caught on {} of {BOUND} seeds",
        caught.len()
    );
}
