//! Chain replication's seed sweep: runs under random partitions, crashes,
//! message loss and duplication. Each run must keep the protocol's
//! invariants after every event, its clients' history must be
//! linearizable, a request must succeed soon after the faults stop, and
//! by the end every running server must be back in one chain holding the
//! same history, all of it at the tail. The broken variants are caught,
//! each by the invariant it breaks.
//!
//! Any failure prints its seed and the command that replays it.
//! `SPLITBRAIN_SEEDS=N` changes how many seeds run (default 500).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use splitbrain_core::check::{self, CheckOptions, History, Verdict};
use splitbrain_core::protocol::RoleKind;
use splitbrain_core::protocols::chain::{ChainConfig, ChainVariant};
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

const SWEEP: &str = "web/scenarios/chain-sweep.json";

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
        .unwrap_or(500)
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

fn run(s: &Scenario) -> Sim {
    let mut sim = build(
        s,
        RunOptions {
            keep_trace: false,
            recent_events: 0,
        },
    )
    .unwrap();
    sim.run_until(s.until.unwrap(), u64::MAX);
    sim
}

fn with_variant(base: &Scenario, variant: ChainVariant) -> Scenario {
    let mut s = base.clone();
    s.protocol = ChainConfig {
        variant,
        ..ChainConfig::default()
    }
    .into();
    s
}

fn linearizable(sim: &Sim) -> Verdict {
    let history = History::from_client_ops(&sim.history().to_vec());
    check::linearizability(&history, &CheckOptions::default()).verdict
}

fn check_seed(base: &Scenario, seed: u64) -> Result<(), String> {
    let mut s = base.clone();
    s.seed = seed;
    let faults_end = s.faults.as_ref().unwrap().until;
    let until = s.until.unwrap();
    let fail = |what: String| {
        Err(format!(
            "seed {seed}: {what}\n  reproduce: {}",
            reproduce(seed)
        ))
    };
    let sim = run(&s);
    if let Some(v) = sim.violation() {
        return fail(format!(
            "{} violated at event {} (t={}): {}",
            v.invariant, v.event_index, v.time, v.violation.message
        ));
    }
    let verdict = linearizable(&sim);
    if verdict != Verdict::Holds {
        return fail(format!("the history is not linearizable: {verdict:?}"));
    }
    // Liveness: within 3s of the faults stopping, a request succeeds.
    let bound = faults_end + Span::from_secs(3);
    let served = sim.history().iter().any(|op| {
        op.invoke >= faults_end
            && matches!(op.result, Some((done, OpResult::Ok { .. })) if done <= bound)
    });
    if !served {
        return fail(format!(
            "no request succeeded between {faults_end} and {bound}"
        ));
    }
    // Repair: every running server is back in the chain, holding the same
    // history, all of it at the tail.
    let mut reference = None;
    for n in 1..s.nodes {
        let view = sim.node_view(NodeId(n));
        if view.role == RoleKind::Down {
            continue;
        }
        if !["head", "middle", "tail", "head and tail"].contains(&view.role_label) {
            return fail(format!("n{n} is {} at {until}", view.role_label));
        }
        if view.commit_index != view.log_len {
            return fail(format!(
                "n{n} holds {} updates, {} at the tail",
                view.log_len, view.commit_index
            ));
        }
        let detail = sim.node_detail(NodeId(n));
        match &reference {
            None => reference = Some((n, detail)),
            Some((r, d)) if d.log != detail.log || d.kv != detail.kv => {
                return fail(format!("n{n} and n{r} hold different histories"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[test]
fn sweep_chain_is_safe_linearizable_and_repairs_itself() {
    let base = sweep_scenario();
    let count = seeds();
    let start = std::time::Instant::now();
    let failures = par_seeds(count, |seed| check_seed(&base, seed));
    println!(
        "chain sweep: {count} seeds in {:.1}s, {} failures",
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

/// A head that acknowledges writes before the tail holds them is caught
/// without any fault: a client's next read, at the tail, misses its own
/// write. The checker names the read invariant, and the linearizability
/// checker finds the same history not linearizable.
#[test]
fn acknowledging_at_the_head_breaks_reads_and_linearizability() {
    let mut s = with_variant(&sweep_scenario(), ChainVariant::AckAtHead);
    s.faults = None;
    let mut caught = 0;
    for seed in 0..10 {
        s.seed = seed;
        let sim = run(&s);
        let v = sim
            .violation()
            .unwrap_or_else(|| panic!("seed {seed}: the broken chain was not caught"));
        assert_eq!(
            v.invariant, "A read returns every acknowledged write",
            "seed {seed}: {}",
            v.violation.message
        );
        assert_eq!(linearizable(&sim), Verdict::Violated, "seed {seed}");
        caught += 1;
    }
    assert_eq!(caught, 10);
}

/// A server that rejoins with the history it had (which may hold an
/// update it took as head and never passed on) breaks update propagation;
/// the sweep's faults find it, and correct chain replication is clean on
/// the same seeds.
#[test]
fn rejoining_with_a_stale_history_breaks_update_propagation() {
    const BOUND: u64 = 100;
    let base = sweep_scenario();
    let broken = with_variant(&base, ChainVariant::RejoinStale);
    let caught: Vec<(u64, String)> = (0..BOUND)
        .filter_map(|seed| {
            let mut s = broken.clone();
            s.seed = seed;
            run(&s)
                .violation()
                .map(|v| (seed, format!("{}: {}", v.invariant, v.violation.message)))
        })
        .collect();
    println!(
        "stale rejoin: caught by {} of {BOUND} seeds, first {:?}",
        caught.len(),
        caught.first()
    );
    assert!(
        !caught.is_empty(),
        "the broken variant survived {BOUND} seeds"
    );
    for (seed, v) in &caught {
        assert!(
            v.starts_with("Each node's history is a prefix of its predecessor's"),
            "seed {seed}: {v}"
        );
        let mut s = base.clone();
        s.seed = *seed;
        assert!(
            run(&s).violation().is_none(),
            "correct chain violated on seed {seed}"
        );
    }
}
