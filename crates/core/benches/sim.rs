//! Simulator throughput: delivered events per second for Raft under a
//! steady client workload, and the simulated-time to wall-time ratio as the
//! cluster grows. Prints numbers; asserts nothing.
//!
//! `cargo bench -p splitbrain-core` (or `cargo xtask bench`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

fn run(s: &Scenario, until: Time, keep_trace: bool) -> Box<dyn Simulation> {
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
    ];
    for (name, s) in cases {
        let events = run(&s, until, true).trace().len();
        let mut group = c.benchmark_group("simulator");
        group.throughput(Throughput::Elements(events));
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(5));
        group.bench_function(name, |b| {
            b.iter(|| black_box(run(black_box(&s), until, true).trace().hash()))
        });
        group.finish();
    }
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

fn benches(c: &mut Criterion) {
    report();
    events_per_second(c);
}

criterion_group!(sim, benches);
criterion_main!(sim);
