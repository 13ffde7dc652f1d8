//! Time travel: how long a seek takes anywhere in a million-event run, and
//! what the snapshots cost in memory, for a few snapshot intervals. Prints
//! numbers; asserts nothing. The target: every seek at most 50 ms natively
//! (the browser's budget, 150 ms, is measured by web/e2e/timetravel).
//!
//! `cargo bench -p splitbrain-core --bench timeline`

use std::time::Instant;

use splitbrain_core::protocols::raft::RaftConfig;
use splitbrain_core::scenario::{Faults, Latency, Workload};
use splitbrain_core::timeline::{MarkKind, Timeline, DEFAULT_INTERVAL};
use splitbrain_core::*;

/// Counts live heap bytes, to weigh the snapshots.
#[path = "../examples/support/counting.rs"]
mod counting;
use counting::live;

const EVENTS: u64 = 1_000_000;

/// Raft, 5 nodes, steady clients, random crashes and partitions: the kind
/// of run a user scrubs through.
fn scenario() -> Scenario {
    let mut s = Scenario::new(ProtocolConfig::Raft(RaftConfig::default()), 5, 11);
    s.workload = Some(Workload {
        clients: 5,
        think: Latency {
            min: Span::from_millis(1),
            max: Span::from_millis(20),
        },
        keys: 10,
        ..Workload::default()
    });
    s.faults = Some(Faults {
        until: Time(60_000_000),
        every: Span::from_millis(2_000),
        ..Faults::default()
    });
    s
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

fn stats(name: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "  {name:<22} n={:<3} mean {mean:6.2} ms   p50 {:6.2}   max {:6.2}",
        v.len(),
        v[v.len() / 2],
        v[v.len() - 1]
    );
}

fn main() {
    let s = scenario();
    let intervals: Vec<u64> = match std::env::var("TIMELINE_INTERVALS") {
        Ok(list) => list.split(',').map(|x| x.parse().unwrap()).collect(),
        Err(_) => vec![2_000, DEFAULT_INTERVAL, 10_000, 20_000],
    };
    println!("timeline: Raft, 5 nodes, workload and faults, {EVENTS} events");
    // Everything a timeline holds besides its snapshots (the trace, the
    // client history, markers, the live cursor): the same run with only
    // the first snapshot. The rest of each run's memory is snapshots.
    let without_snapshots = {
        let base = live();
        let mut cursor = build(&s, RunOptions::default()).unwrap();
        let mut tl = Timeline::new(&mut cursor, u64::MAX);
        while tl.head_len() < EVENTS {
            let until = tl.head_time() + Span::from_millis(100);
            tl.advance(&mut cursor, until, EVENTS - tl.head_len());
        }
        live() - base
    };
    println!(
        "  without snapshots: {:.1} MB (trace, history, markers, the live state)",
        without_snapshots as f64 / 1e6
    );
    for interval in intervals {
        let base = live();
        let start = Instant::now();
        let mut cursor = build(&s, RunOptions::default()).unwrap();
        let mut tl = Timeline::new(&mut cursor, interval);
        while tl.head_len() < EVENTS {
            let until = tl.head_time() + Span::from_millis(100);
            tl.advance(&mut cursor, until, EVENTS - tl.head_len());
        }
        let record = ms(start);
        let with_all = live() - base;
        let events_bytes =
            tl.head_len() as usize * std::mem::size_of::<splitbrain_core::trace::TraceEvent>();
        let cursor_bytes = {
            let before = live();
            let copy = cursor.snapshot();
            let b = live() - before;
            drop(copy);
            b
        };
        let st = tl.stats();
        // The live state's own copy is in `without_snapshots` too.
        let snaps = with_all.saturating_sub(without_snapshots);
        println!(
            "interval {interval}: recorded {} events to {} in {record:.0} ms; {} snapshots; {} client ops",
            tl.head_len(),
            tl.head_time(),
            st.snapshots,
            cursor.history().len()
        );
        println!(
            "  memory: snapshots {:.1} MB ({:.0} KB each), trace {:.1} MB, a copy of the head state {:.0} KB (shared parts not counted), all {:.1} MB",
            snaps as f64 / 1e6,
            snaps as f64 / 1e3 / st.snapshots as f64,
            events_bytes as f64 / 1e6,
            cursor_bytes as f64 / 1e3,
            with_all as f64 / 1e6
        );

        // Deterministic pseudo-random points, spread over the whole run.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let head_time = tl.head_time().0;
        let head_len = tl.head_len();
        let mut by_time = Vec::new();
        for _ in 0..40 {
            let t = Time(next(head_time));
            let now = Instant::now();
            let sim = tl.seek_time(t);
            by_time.push(ms(now));
            std::hint::black_box(sim.trace().hash());
        }
        let mut by_index = Vec::new();
        let mut back = Vec::new();
        for _ in 0..40 {
            let k = next(head_len);
            let now = Instant::now();
            let sim = tl.seek_index(k);
            by_index.push(ms(now));
            let now = Instant::now();
            let prev = tl.step_back(&sim);
            back.push(ms(now));
            std::hint::black_box(prev.map(|p| p.trace().hash()));
        }
        // Seeks that land on a snapshot: no replay, only restoring it (its
        // copy, the branch's actions and the history prefix).
        let mut restore = Vec::new();
        for _ in 0..20 {
            let k = next(head_len / interval).max(1) * interval;
            let now = Instant::now();
            let sim = tl.seek_index(k);
            restore.push(ms(now));
            std::hint::black_box(sim.trace().hash());
        }
        let mut jumps = Vec::new();
        let mid = tl.seek_index(head_len / 2);
        for kind in MarkKind::ALL {
            for forward in [true, false] {
                let now = Instant::now();
                let sim = tl.jump(kind, &mid, forward);
                jumps.push(ms(now));
                std::hint::black_box(sim.map(|p| p.trace().hash()));
            }
        }
        stats("seek by time", by_time);
        stats("seek by event index", by_index);
        stats("step back one event", back);
        stats("jump to a kind", jumps);
        stats("restore a snapshot", restore);
        let markers = tl.markers().len();
        println!("  markers: {markers}");
    }
}
