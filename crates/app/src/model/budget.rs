//! The memory budget: what a long run keeps for time travel stays within
//! a bound the person can set (a phone's worth by default).
//!
//! The page tells the model how many bytes its heap holds (a counting
//! allocator, `web/memory.rs`); past a share of the budget the timeline
//! lets old detail go ([`Timeline::shed`]: old chunks of events, then
//! snapshots where they are closest), which it replays when asked. The
//! share leaves room for the allocator's slack and one frame's growth:
//! the budget is for the wasm memory in all, which never shrinks (the
//! soak test, `web/e2e/longrun.test.mjs`, saw it at 1.1 times the heap
//! at 51 nodes and 1.3 times with the default cluster's many actions).
//!
//! What cannot be let go is the simulation itself (its logs, its client
//! history, the action list that replays it). If that alone outgrows the
//! budget, the run pauses with a notice instead of running out of memory.
//!
//! [`Timeline::shed`]: splitbrain_core::timeline::Timeline::shed

use splitbrain_core::timeline::Shed;

use super::Model;

/// The budget a page starts with, in megabytes of wasm memory.
pub const DEFAULT_BUDGET_MB: u32 = 256;
pub const MIN_BUDGET_MB: u32 = 64;
pub const MAX_BUDGET_MB: u32 = 4_000;
/// The heap is kept under this share of the budget.
const HEAP_SHARE: f64 = 0.75;
/// Pieces let go at most per frame (each a chunk of events or a snapshot).
const SHED_PER_FRAME: usize = 64;

/// What the budget has done so far in this run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub budget_mb: u32,
    /// The heap after the last frame, in bytes (0 without a measure).
    pub heap_bytes: u64,
    /// The most the heap held.
    pub peak_heap_bytes: u64,
    pub shed_chunks: u64,
    pub shed_snapshots: u64,
    /// Nothing was left to let go and the heap was still over: the run
    /// was paused.
    pub exhausted: bool,
}

impl Budget {
    pub fn new() -> Budget {
        Budget {
            budget_mb: DEFAULT_BUDGET_MB,
            ..Budget::default()
        }
    }

    fn heap_limit(&self) -> u64 {
        (f64::from(self.budget_mb) * 1e6 * HEAP_SHARE) as u64
    }
}

impl Model {
    /// The end of a frame: lets old detail go while the heap is over its
    /// share of the budget.
    pub(super) fn keep_within_budget(&mut self) {
        let Some(heap) = self.heap else {
            return;
        };
        let limit = self.budget.heap_limit();
        let mut live = heap() as u64;
        let mut shed = 0;
        while live > limit && shed < SHED_PER_FRAME {
            match self.travel.timeline.shed() {
                Shed::Events(_) => self.budget.shed_chunks += 1,
                Shed::Snapshot => self.budget.shed_snapshots += 1,
                Shed::Nothing => {
                    if !self.budget.exhausted {
                        self.budget.exhausted = true;
                        self.playing = false;
                        self.say(
                            crate::i18n::tf(
                                "Paused: this run has reached its memory budget of {0} MB. \
                                 Everything that can be replayed was let go; what is left \
                                 is the simulation itself. Raise the budget under Timeline, \
                                 or start over.",
                                &[&self.budget.budget_mb],
                            ),
                            true,
                        );
                    }
                    break;
                }
            }
            shed += 1;
            live = heap() as u64;
        }
        self.budget.heap_bytes = live;
        self.budget.peak_heap_bytes = self.budget.peak_heap_bytes.max(live);
    }

    /// Sets the budget (megabytes, clamped to what makes sense).
    pub(super) fn set_memory_budget(&mut self, mb: u32) {
        self.budget.budget_mb = mb.clamp(MIN_BUDGET_MB, MAX_BUDGET_MB);
        // A larger budget may let a paused run go on.
        if self.budget.heap_bytes < self.budget.heap_limit() {
            self.budget.exhausted = false;
        }
    }

    pub fn budget(&self) -> &Budget {
        &self.budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Msg;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    /// Counts what each thread holds, so that a test measures its own
    /// model while others run beside it.
    struct PerThread;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
        static FAKE: Cell<Option<usize>> = const { Cell::new(None) };
    }

    fn count(delta: isize) {
        // Not during a thread's teardown, when the counter may be gone.
        let _ = LIVE.try_with(|l| l.set(l.get() + delta));
    }

    // SAFETY: every call goes straight to the system allocator; the
    // counting touches only a thread-local integer.
    unsafe impl GlobalAlloc for PerThread {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count(layout.size() as isize);
            System.alloc(layout)
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            count(-(layout.size() as isize));
            System.dealloc(ptr, layout)
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
            count(new as isize - layout.size() as isize);
            System.realloc(ptr, layout, new)
        }
    }

    #[global_allocator]
    static COUNTING: PerThread = PerThread;

    /// This thread's heap, or a made-up size when a test sets one.
    fn heap() -> usize {
        FAKE.with(Cell::get)
            .unwrap_or_else(|| LIVE.with(Cell::get).max(0) as usize)
    }

    #[test]
    fn over_the_budget_old_detail_goes_and_the_run_stays_the_same() {
        let mut kept = Model::new(1);
        kept.heap = Some(heap);
        // Smaller than a page may set, to be over it soon.
        kept.budget.budget_mb = 40;
        kept.update(Msg::ToggleSteadyLoad);
        kept.update(Msg::SetSpeed(200.0));
        for _ in 0..300 {
            kept.frame(50.0);
        }
        let b = kept.budget().clone();
        assert!(b.shed_chunks > 0 && b.shed_snapshots > 0, "{b:?}");
        assert!(b.heap_bytes <= kept.budget.heap_limit(), "{b:?}");
        assert!(!b.exhausted, "{b:?}");
        let st = kept.travel().timeline.stats();
        assert!(st.evicted_chunks > 0, "{st:?}");

        // The same run without a budget: the same run, the same seeks and
        // the same events, some of them replayed.
        let mut plain = Model::new(1);
        plain.update(Msg::ToggleSteadyLoad);
        plain.update(Msg::SetSpeed(200.0));
        for _ in 0..300 {
            plain.frame(50.0);
        }
        assert_eq!(plain.sim().trace().hash(), kept.sim().trace().hash());
        let head = kept.travel().timeline.head_time().0;
        for t in [1_000_000, head / 3, head / 2, head - 1] {
            let a = plain.travel().timeline.seek_time(splitbrain_core::Time(t));
            let b = kept.travel().timeline.seek_time(splitbrain_core::Time(t));
            assert_eq!(a.trace().hash(), b.trace().hash(), "at {t}");
        }
        let n = kept.travel().timeline.head_len();
        for (a, b) in [(0, 100), (n / 2, n / 2 + 9_000)] {
            assert_eq!(
                plain.travel().timeline.events_in(a..b),
                kept.travel().timeline.events_in(a..b)
            );
        }
        assert!(kept.travel().timeline.stats().replayed_chunks > 0);
    }

    #[test]
    fn a_run_that_outgrows_the_budget_by_itself_pauses_and_says_so() {
        let mut m = Model::new(1);
        m.heap = Some(heap);
        FAKE.with(|f| f.set(Some(10_000_000_000)));
        m.frame(50.0);
        assert!(m.budget().exhausted);
        assert!(!m.playing);
        let notice = m.notice.clone().unwrap();
        assert!(
            notice.error && notice.text.contains("memory budget"),
            "{notice:?}"
        );
        // A budget that fits lets it play on.
        FAKE.with(|f| f.set(Some(1_000)));
        m.frame(50.0);
        m.update(Msg::SetMemoryBudget(1_000));
        assert!(!m.budget().exhausted);
    }
}
