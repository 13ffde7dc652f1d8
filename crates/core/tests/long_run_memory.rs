//! A timeline of 100 million events keeps its memory flat when its owner
//! sheds old detail past a budget, as the page does: a counting allocator
//! measures everything this test binary holds. The run is a Raft cluster
//! that only keeps its leadership (heartbeats, no clients), so the
//! simulation's own state stays the same size and what is measured is what
//! the timeline keeps: events, snapshots, markers.
//!
//! One test in its own binary: the allocator counts every thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use splitbrain_core::timeline::{Shed, Timeline, DEFAULT_INTERVAL};
use splitbrain_core::*;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes straight to the system allocator; the counting
// is an atomic add on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.realloc(ptr, layout, new)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

const EVENTS: u64 = 100_000_000;
/// What the owner keeps the timeline under.
const BUDGET: usize = 48_000_000;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

#[test]
fn a_hundred_million_events_keep_memory_flat() {
    let scenario = Scenario::new(ProtocolConfig::Raft(Default::default()), 5, 7);
    let mut cursor = build(&scenario, RunOptions::default()).unwrap();
    let mut tl = Timeline::new(&mut cursor, DEFAULT_INTERVAL);
    let mut samples: Vec<(u64, usize)> = Vec::new();
    let mut next = 10_000_000;
    let mut peak = 0;
    while tl.head_len() < EVENTS {
        let until = tl.head_time() + Span::from_millis(30_000);
        tl.advance(&mut cursor, until, u64::MAX);
        while live() > BUDGET && tl.shed() != Shed::Nothing {}
        peak = peak.max(live());
        if tl.head_len() >= next {
            samples.push((tl.head_len(), live()));
            next += 10_000_000;
        }
    }
    for (events, bytes) in &samples {
        println!("{events:>11} events: {:.1} MB held", *bytes as f64 / 1e6);
    }
    let st = tl.stats();
    println!("peak {:.1} MB; {st:?}", peak as f64 / 1e6);
    assert!(peak < BUDGET + 4_000_000, "peak {peak} bytes");
    assert!(st.evicted_chunks > 20_000, "{st:?}");
    // Flat: the last half of the run added nothing that stays.
    let (_, at_half) = samples[samples.len() / 2 - 1];
    let (_, at_end) = samples[samples.len() - 1];
    assert!(
        at_end < at_half + 2_000_000,
        "grew from {at_half} to {at_end} bytes in the second half"
    );

    // Nothing was lost: the run is the run, and an old stretch reads back
    // as a fresh run records it.
    let mut fresh = build(&scenario, RunOptions::default()).unwrap();
    while fresh.trace().len() < 1_000_000 && fresh.step() {}
    let early = fresh.trace().events()[400_000..400_100].to_vec();
    assert_eq!(tl.events_in(400_000..400_100), early);
    drop(fresh);
    let mut fresh = build(
        &scenario,
        RunOptions {
            keep_trace: false,
            recent_events: 0,
        },
    )
    .unwrap();
    fresh.run_until(tl.head_time(), u64::MAX);
    assert_eq!(fresh.trace().len(), tl.head_len());
    assert_eq!(fresh.trace().hash(), tl.head_hash());
}
