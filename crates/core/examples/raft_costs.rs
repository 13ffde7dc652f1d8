//! What Raft's options cost, in simulated terms (deterministic, so the
//! figures are the same on every machine):
//!
//! - messages per decided entry and per answered request, under a steady
//!   load on 5 nodes, for each option;
//! - read latency by read path (log, ReadIndex, lease) across three
//!   regions, with a WAN election timing.
//!
//! `cargo run --release -p splitbrain-core --example raft_costs`

use splitbrain_core::protocols::raft::{RaftConfig, ReadPath};
use splitbrain_core::registry::Variant;
use splitbrain_core::scenario::{Latency, Workload};
use splitbrain_core::sim::{ClientOp, OpResult};
use splitbrain_core::*;

fn run(s: &Scenario) -> Sim {
    let mut sim = build(
        s,
        RunOptions {
            keep_trace: false,
            recent_events: 0,
        },
    )
    .expect("a valid scenario");
    sim.run_until(s.until.expect("the scenarios here set until"), u64::MAX);
    assert!(sim.violation().is_none());
    sim
}

fn with(mut s: Scenario, f: impl Fn(&mut RaftConfig)) -> Scenario {
    f(RaftConfig::of_mut(&mut s.protocol).expect("a Raft scenario"));
    s
}

/// 5 nodes, 10 clients sending again 1-5 ms after each answer, half of
/// them reads, 10 s, no faults (the simulator benchmark's load, with more
/// reads).
fn steady() -> Scenario {
    let mut s = Scenario::new(ProtocolConfig::Raft(RaftConfig::default()), 5, 7);
    s.workload = Some(Workload {
        clients: 10,
        think: Latency {
            min: Span::from_millis(1),
            max: Span::from_millis(5),
        },
        keys: 10,
        reads: 0.5,
        start: Time(300_000),
        ..Workload::default()
    });
    s.until = Some(Time(10_000_000));
    s
}

/// The PACELC tour's three regions (2, 2 and 1 nodes; 1 ms within, 80 ms
/// across; clients next to each node), with the timing a WAN needs: an
/// election timeout of several round trips, and a lease that outlasts the
/// round trip that renews it.
fn regions() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/scenarios/pacelc-raft-regions.json"
    );
    let s: Scenario = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    with(s, |c| {
        c.election_timeout = Latency {
            min: Span::from_millis(1_000),
            max: Span::from_millis(2_000),
        };
        c.heartbeat = Span::from_millis(100);
        c.lease.duration = Span::from_millis(800);
    })
}

fn latencies(history: &[ClientOp], reads: bool) -> Vec<u64> {
    let mut took: Vec<u64> = history
        .iter()
        .filter(|o| o.op.is_read() == reads)
        .filter_map(|o| match &o.result {
            Some((done, OpResult::Ok { .. })) => Some(done.since(o.invoke).0),
            _ => None,
        })
        .collect();
    took.sort_unstable();
    took
}

fn summary(took: &[u64]) -> String {
    if took.is_empty() {
        return "none answered".into();
    }
    let ms = |us: u64| us as f64 / 1000.0;
    let mean = took.iter().sum::<u64>() / took.len() as u64;
    format!(
        "{:>5} ok, mean {:>6.1} ms, p50 {:>6.1} ms, p99 {:>6.1} ms",
        took.len(),
        ms(mean),
        ms(took[took.len() / 2]),
        ms(took[(took.len() * 99 / 100).min(took.len() - 1)]),
    )
}

/// An option's name and how it changes the config.
type Switch = fn(&mut RaftConfig);

fn main() {
    println!("messages per decided entry (5 nodes, 10 clients, 50% reads, 10 s, no faults):");
    let options: [(&str, Switch); 7] = [
        ("plain Raft (reads in the log)", |_| {}),
        ("PreVote", |c| c.pre_vote = true),
        ("CheckQuorum", |c| c.check_quorum = true),
        ("PreVote + CheckQuorum", |c| {
            c.pre_vote = true;
            c.check_quorum = true;
        }),
        ("ReadIndex reads", |c| c.reads = ReadPath::ReadIndex),
        ("lease reads", |c| c.reads = ReadPath::Lease),
        ("leader-local reads (broken)", |c| {
            c.reads = ReadPath::LeaderLocal
        }),
    ];
    for (name, f) in options {
        let sim = run(&with(steady(), f));
        let stats = sim.stats();
        let decided = sim.decided().max(1) as f64;
        println!(
            "  {name:<32} {:>6} entries, {:>6.2} messages and {:>5.0} bytes per entry, \
             {:>6} requests ok, {:>5.2} messages per ok request",
            sim.decided(),
            stats.sent as f64 / decided,
            stats.bytes as f64 / decided,
            stats.ok,
            stats.sent as f64 / stats.ok.max(1) as f64,
        );
    }

    println!(
        "\nread latency by read path (3 regions of 2, 2 and 1 nodes, 1 ms within, 80 ms across; \
         election timeout 1-2 s, heartbeat 100 ms, lease 800 ms; 10 pinned clients, 50% reads, 10 s):"
    );
    for (name, reads) in [
        ("log", ReadPath::Log),
        ("ReadIndex", ReadPath::ReadIndex),
        ("lease", ReadPath::Lease),
    ] {
        let sim = run(&with(regions(), |c| c.reads = reads));
        let history = sim.history().to_vec();
        println!(
            "  {name:<10} reads:  {} ({} log entries in all)",
            summary(&latencies(&history, true)),
            sim.decided()
        );
        println!(
            "  {name:<10} writes: {}",
            summary(&latencies(&history, false))
        );
    }
}
