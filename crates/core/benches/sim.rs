//! Simulator throughput: delivered events per second for Raft under a
//! steady client workload, and the simulated-time to wall-time ratio as the
//! cluster grows. Prints numbers; asserts nothing.
//!
//! `cargo bench -p splitbrain-core` (or `cargo xtask bench`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use splitbrain_core::protocols::multi_paxos::MultiPaxosConfig;
use splitbrain_core::protocols::raft::RaftConfig;
use splitbrain_core::scenario::{Latency, Workload};
use splitbrain_core::*;

/// A cluster under steady load: clients that send again 1–5 ms after each
/// answer, no faults.
fn steady(nodes: u16, clients: u32) -> Scenario {
    let mut s = Scenario::new(ProtocolConfig::Raft(RaftConfig::default()), nodes, 7);
    s.workload = Some(Workload {
        clients,
        think: Latency {
            min: Span::from_millis(1),
            max: Span::from_millis(5),
        },
        keys: 10,
        start: Time(300_000),
        ..Workload::default()
    });
    s
}

/// The same load on Multi-Paxos, for a side-by-side comparison with Raft.
fn steady_multi_paxos(nodes: u16, clients: u32) -> Scenario {
    let mut s = steady(nodes, clients);
    s.protocol = ProtocolConfig::MultiPaxos(MultiPaxosConfig::default());
    s
}

/// The single-decree Paxos sweep scenario: three proposers, faults, slow
/// and lossy links.
fn paxos_sweep() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/scenarios/paxos-sweep.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `base` on seeds `0..seeds`, since a single-decree run is too short
/// to time on its own: the events, and the traces' hashes folded together.
fn run_seeds(base: &Scenario, seeds: u64) -> (u64, u64) {
    let (mut events, mut hash) = (0, 0);
    for seed in 0..seeds {
        let mut s = base.clone();
        s.seed = seed;
        let sim = run(&s, s.until.unwrap(), true);
        events += sim.trace().len();
        hash ^= sim.trace().hash();
    }
    (events, hash)
}

fn run(s: &Scenario, until: Time, keep_trace: bool) -> Sim {
    let mut sim = build(
        s,
        RunOptions {
            keep_trace,
            recent_events: 0,
        },
    )
    .unwrap();
    sim.run_until(until, u64::MAX);
    sim
}

/// Criterion's events per second for each scenario, run to `until` with
/// the trace kept, as the app keeps it.
fn simulate(c: &mut Criterion, cases: &[(&str, Scenario)], until: Time) {
    for (name, s) in cases {
        let events = run(s, until, true).trace().len();
        let mut group = c.benchmark_group("simulator");
        group.throughput(Throughput::Elements(events));
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(5));
        group.bench_function(*name, |b| {
            b.iter(|| black_box(run(black_box(s), until, true).trace().hash()))
        });
        group.finish();
    }
}

fn events_per_second(c: &mut Criterion) {
    let until = Time(2_000_000);
    let with = |protocol: ProtocolConfig, nodes: u16| {
        let mut s = steady(nodes, 10);
        s.protocol = protocol;
        s
    };
    let cases = [
        ("raft_5_nodes", steady(5, 10)),
        ("raft_51_nodes", steady(51, 10)),
        (
            "two_phase_4_nodes",
            with(ProtocolConfig::TwoPhase(Default::default()), 4),
        ),
        (
            "three_phase_4_nodes",
            with(ProtocolConfig::ThreePhase(Default::default()), 4),
        ),
        ("multi_paxos_5_nodes", steady_multi_paxos(5, 10)),
        ("multi_paxos_51_nodes", steady_multi_paxos(51, 10)),
    ];
    simulate(c, &cases, until);
}

/// One-off measurements criterion does not report: the simulated-to-wall
/// time ratio, cost per event by cluster size, and trace memory per event.
fn report() {
    println!("\nsimulated time vs wall time (Raft, 10 clients, trace kept, invariants on):");
    for nodes in [5u16, 51] {
        let s = steady(nodes, 10);
        let until = Time(10_000_000);
        // Warm up once, then take the best of three.
        run(&s, Time(1_000_000), true);
        let mut best = f64::MAX;
        let mut sim = None;
        for _ in 0..3 {
            let start = Instant::now();
            let done = run(&s, until, true);
            best = best.min(start.elapsed().as_secs_f64());
            sim = Some(done);
        }
        let sim = sim.unwrap();
        let events = sim.trace().len() as f64;
        println!(
            "  {nodes:>2} nodes: {:.0} events in {:.1} ms wall for {} simulated: \
             {:.2} M events/s, {:.0} ns/event, sim/wall ratio {:.0}x, trace {:.1} bytes/event",
            events,
            best * 1e3,
            until,
            events / best / 1e6,
            best / events * 1e9,
            until.as_secs_f64() / best,
            sim.trace().bytes_per_event(),
        );
    }
}

fn paxos_events_per_second(c: &mut Criterion) {
    const SEEDS: u64 = 100;
    let base = paxos_sweep();
    let (events, _) = run_seeds(&base, SEEDS);
    let mut group = c.benchmark_group("simulator");
    group.throughput(Throughput::Elements(events));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("paxos_3_nodes_faults_100_seeds", |b| {
        b.iter(|| black_box(run_seeds(black_box(&base), SEEDS).1))
    });
    group.finish();
}

/// Cost per decision on comparable runs: Raft and Multi-Paxos under the
/// same steady load, and single-decree Paxos alone and contended.
fn cost_report() {
    println!("\ncost per decision (5 nodes, 10 clients, 10s, no faults):");
    let until = Time(10_000_000);
    for (name, s) in [
        ("raft", steady(5, 10)),
        ("multi-paxos", steady_multi_paxos(5, 10)),
    ] {
        let start = Instant::now();
        let sim = run(&s, until, true);
        let wall = start.elapsed().as_secs_f64();
        let stats = sim.stats();
        let decided = sim.decided().max(1) as f64;
        println!(
            "  {name:>11}: {} decisions, {:.2} messages and {:.0} bytes per decision, \
             {} requests ok, {:.2} M events/s",
            sim.decided(),
            stats.sent as f64 / decided,
            stats.bytes as f64 / decided,
            stats.ok,
            sim.trace().len() as f64 / wall / 1e6,
        );
    }
    let mut alone = paxos_sweep();
    alone.faults = None;
    alone.network = Default::default();
    if let ProtocolConfig::Paxos(c) = &mut alone.protocol {
        c.proposers = Some(vec![NodeId(0)]);
    }
    for (name, s, seeds) in [
        ("paxos, 1 proposer, no faults", alone, 100),
        ("paxos, 3 proposers, sweep faults", paxos_sweep(), 1000),
    ] {
        let (mut sent, mut bytes, mut decided) = (0, 0, 0);
        for seed in 0..seeds {
            let mut s = s.clone();
            s.seed = seed;
            let sim = run(&s, s.until.unwrap(), false);
            sent += sim.stats().sent;
            bytes += sim.stats().bytes;
            decided += sim.decided();
        }
        println!(
            "  {name}: {:.1} messages and {:.0} bytes per decision ({} nodes, {seeds} seeds)",
            sent as f64 / decided as f64,
            bytes as f64 / decided as f64,
            s.nodes,
        );
    }
}

/// A 9-node store (or gossip cache) under the same steady load.
fn steady_store(protocol: ProtocolConfig) -> Scenario {
    let mut s = steady(9, 10);
    s.protocol = protocol;
    s
}

fn store_events_per_second(c: &mut Criterion) {
    use splitbrain_core::protocols::gossip::GossipConfig;
    use splitbrain_core::protocols::quorum::QuorumConfig;
    let until = Time(2_000_000);
    let cases = [
        (
            "quorum_9_nodes",
            steady_store(ProtocolConfig::Quorum(QuorumConfig::default())),
        ),
        (
            "quorum_9_nodes_sloppy",
            steady_store(ProtocolConfig::Quorum(QuorumConfig {
                sloppy: true,
                ..QuorumConfig::default()
            })),
        ),
        (
            "gossip_9_nodes",
            steady_store(ProtocolConfig::Gossip(GossipConfig::default())),
        ),
    ];
    println!("\nstores, 9 nodes, 10 clients, 10s, no faults:");
    for (name, s) in &cases {
        let start = Instant::now();
        let sim = run(s, Time(10_000_000), true);
        let wall = start.elapsed().as_secs_f64();
        println!(
            "  {name}: {} requests ok, {:.1} messages per request, {:.2} M events/s",
            sim.stats().ok,
            sim.stats().sent as f64 / sim.stats().ok.max(1) as f64,
            sim.trace().len() as f64 / wall / 1e6,
        );
    }
    simulate(c, &cases, until);
}

fn benches(c: &mut Criterion) {
    report();
    cost_report();
    events_per_second(c);
    paxos_events_per_second(c);
    store_events_per_second(c);
}

criterion_group!(sim, benches);
criterion_main!(sim);
