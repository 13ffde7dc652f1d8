//! Snapshot pacing: when the timeline snapshots the run, and how often.
//!
//! A snapshot copies the whole simulation (Raft logs share their chunks,
//! see core's `PVec`, but messages in flight and the rest are copied). At
//! five nodes that is nothing; at 51 nodes under load it took tens of
//! milliseconds, and at the timeline's default spacing a fast run took one
//! every few frames. With a clock (the page
//! gives one), a frame first takes the snapshot that came due during the
//! previous one, before it simulates, so the frame's simulation budget
//! absorbs it; then the spacing adapts so that snapshots cost about 2.5 to
//! 10% of the time spent simulating, never closer than the default and at
//! most [`MAX_STRETCH`] times wider (seeks replay at most that many
//! events). Without a clock (native tests) the timeline snapshots on its
//! own as before. Where snapshots fall never changes what a seek shows.

use splitbrain_core::timeline::DEFAULT_INTERVAL;

use super::Model;

/// The spacing may grow to this many times the default.
pub const MAX_STRETCH: u64 = 8;
/// Above this share of simulating time the spacing doubles...
const TOO_COSTLY: f64 = 0.10;
/// ...and below this one it halves (not below the default).
const CHEAP: f64 = 0.025;

/// What pacing keeps between frames.
#[derive(Clone, Debug, Default)]
pub struct Pacing {
    /// The run this pacing is for; a new run starts over.
    run: u64,
    interval: u64,
    /// Milliseconds spent simulating since the last snapshot.
    simulated_ms: f64,
    /// The last snapshot's cost, and the most any took (milliseconds).
    pub last_ms: f64,
    pub max_ms: f64,
    pub taken: u64,
}

impl Pacing {
    /// The spacing after a snapshot that took `took_ms` when simulating
    /// since the one before took `simulated_ms`.
    pub fn next_interval(interval: u64, took_ms: f64, simulated_ms: f64) -> u64 {
        let share = took_ms / simulated_ms.max(0.001);
        let interval = if share > TOO_COSTLY {
            interval.saturating_mul(2)
        } else if share < CHEAP {
            interval / 2
        } else {
            interval
        };
        interval.clamp(DEFAULT_INTERVAL, DEFAULT_INTERVAL * MAX_STRETCH)
    }
}

impl Model {
    /// The start of a frame: takes the snapshot due, timed by `clock`,
    /// adapts the spacing, and defers the next one to the next frame.
    pub(super) fn pace_snapshots(&mut self, clock: fn() -> f64) {
        if self.pacing.run != self.run || self.pacing.interval == 0 {
            self.pacing = Pacing {
                run: self.run,
                interval: DEFAULT_INTERVAL,
                ..Pacing::default()
            };
        }
        let timeline = &mut self.travel.timeline;
        timeline.set_interval(self.pacing.interval);
        let started = clock();
        if timeline.take_due_snapshot(&self.sim) {
            let took = clock() - started;
            let p = &mut self.pacing;
            p.interval = Pacing::next_interval(p.interval, took, p.simulated_ms);
            p.simulated_ms = 0.0;
            p.last_ms = took;
            p.max_ms = p.max_ms.max(took);
            p.taken += 1;
            timeline.set_interval(p.interval);
        }
        timeline.defer_snapshots(true);
    }

    /// The end of a frame's simulation, which took `ms` (`None` when it
    /// did not play): snapshots are taken as they come due again (steps,
    /// seeks and links opened between frames).
    pub(super) fn paced(&mut self, ms: Option<f64>) {
        self.pacing.simulated_ms += ms.unwrap_or(0.0);
        self.travel.timeline.defer_snapshots(false);
    }

    pub fn pacing(&self) -> &Pacing {
        &self.pacing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Msg;
    use std::cell::Cell;

    #[test]
    fn costly_snapshots_spread_out_and_cheap_ones_come_back() {
        let d = DEFAULT_INTERVAL;
        assert_eq!(Pacing::next_interval(d, 30.0, 100.0), 2 * d);
        assert_eq!(Pacing::next_interval(2 * d, 5.0, 100.0), 2 * d);
        assert_eq!(Pacing::next_interval(2 * d, 1.0, 100.0), d);
        assert_eq!(Pacing::next_interval(d, 1.0, 100.0), d, "never below");
        assert_eq!(
            Pacing::next_interval(MAX_STRETCH * d, 90.0, 100.0),
            MAX_STRETCH * d,
            "never above"
        );
    }

    thread_local! {
        static NOW: Cell<f64> = const { Cell::new(0.0) };
    }

    /// A clock where every reading moves 7 ms on.
    fn slow_clock() -> f64 {
        NOW.with(|n| {
            n.set(n.get() + 7.0);
            n.get()
        })
    }

    #[test]
    fn a_paced_run_is_the_same_run_and_seeks_the_same() {
        let mut plain = Model::new(1);
        let mut paced = Model::new(1);
        paced.clock = Some(slow_clock);
        for m in [&mut plain, &mut paced] {
            m.update(Msg::ToggleSteadyLoad);
            m.update(Msg::SetSpeed(10.0));
            for _ in 0..600 {
                m.frame(50.0);
            }
        }
        assert_eq!(plain.sim().trace().hash(), paced.sim().trace().hash());
        assert!(paced.pacing().taken > 0, "{:?}", paced.pacing());
        // Every snapshot but the first (at the start) was taken at the
        // start of a frame.
        assert_eq!(
            paced.travel().timeline.stats().snapshots as u64,
            paced.pacing().taken + 1
        );
        for t in [1_000_000, 7_654_321, 14_000_000] {
            let a = plain.travel().timeline.seek_time(splitbrain_core::Time(t));
            let b = paced.travel().timeline.seek_time(splitbrain_core::Time(t));
            assert_eq!(a.trace().hash(), b.trace().hash(), "at {t}");
            assert_eq!(a.now(), b.now());
        }
    }
}
