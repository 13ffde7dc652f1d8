//! Frame-time bookkeeping: how long each frame's simulation and drawing
//! took, summarised as percentiles for the test hook and the status line.

use serde::Serialize;

/// The last [`FrameTimes::CAPACITY`] frame durations, in milliseconds.
#[derive(Clone, Debug, Default)]
pub struct FrameTimes {
    samples: Vec<f64>,
    next: usize,
    total: u64,
}

/// Percentiles of recent frame work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct FrameSummary {
    pub frames: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

impl FrameTimes {
    /// About ten seconds at 60 frames per second.
    pub const CAPACITY: usize = 600;

    pub fn record(&mut self, ms: f64) {
        if self.samples.len() < Self::CAPACITY {
            self.samples.push(ms);
        } else {
            self.samples[self.next] = ms;
        }
        self.next = (self.next + 1) % Self::CAPACITY;
        self.total += 1;
    }

    pub fn clear(&mut self) {
        *self = FrameTimes::default();
    }

    pub fn summary(&self) -> FrameSummary {
        if self.samples.is_empty() {
            return FrameSummary::default();
        }
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        // Nearest-rank percentile: the smallest sample with at least p% of
        // the samples at or below it.
        let rank = |p: f64| {
            let k = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
            sorted[k.clamp(1, sorted.len()) - 1]
        };
        FrameSummary {
            frames: self.total,
            p50_ms: rank(50.0),
            p95_ms: rank(95.0),
            max_ms: sorted[sorted.len() - 1],
        }
    }
}

/// Frame work split by phase, to see where the time goes.
///
/// A frame is all the main-thread work from the start of the frame (the
/// animation-frame timestamp, or the start of the cluster's callback if
/// that is earlier) until the page is ready for the next task:
/// simulating, drawing the cluster, then everything that follows in the
/// same frame (the other panels' frame callbacks, the page's re-render,
/// style, layout and paint), measured by a task queued at the end of the
/// callback. Time between frames (`interval`) and frames per second show
/// what blocks the page outside them.
#[derive(Clone, Debug, Default)]
pub struct FrameProfile {
    pub total: FrameTimes,
    pub simulate: FrameTimes,
    pub draw: FrameTimes,
    /// Everything after the cluster's draw until the frame is done.
    pub panels: FrameTimes,
    /// From the start of one measured frame to the start of the next.
    pub interval: FrameTimes,
    /// Start of the first and of the last frame since the last reset.
    first_ms: Option<f64>,
    last_ms: f64,
    counted: u64,
}

/// Percentiles of the whole frame and of each phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ProfileSummary {
    pub frames: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub simulate: FrameSummary,
    pub draw: FrameSummary,
    pub panels: FrameSummary,
    pub interval: FrameSummary,
    /// Frames drawn per second since the last reset.
    pub fps: f64,
}

impl FrameProfile {
    /// One frame that started at `start_ms` (the page's clock) and took
    /// `total_ms` of which the phases are parts.
    pub fn record(
        &mut self,
        start_ms: f64,
        total_ms: f64,
        simulate_ms: f64,
        draw_ms: f64,
        after_ms: f64,
    ) {
        self.total.record(total_ms);
        self.simulate.record(simulate_ms);
        self.draw.record(draw_ms);
        self.panels.record(after_ms);
        match self.first_ms {
            None => self.first_ms = Some(start_ms),
            Some(_) => self.interval.record(start_ms - self.last_ms),
        }
        self.last_ms = start_ms;
        self.counted += 1;
    }

    pub fn clear(&mut self) {
        *self = FrameProfile::default();
    }

    pub fn summary(&self) -> ProfileSummary {
        let total = self.total.summary();
        let fps = match self.first_ms {
            Some(first) if self.last_ms > first => {
                (self.counted - 1) as f64 * 1000.0 / (self.last_ms - first)
            }
            _ => 0.0,
        };
        ProfileSummary {
            frames: total.frames,
            p50_ms: total.p50_ms,
            p95_ms: total.p95_ms,
            max_ms: total.max_ms,
            simulate: self.simulate.summary(),
            draw: self.draw.summary(),
            panels: self.panels.summary(),
            interval: self.interval.summary(),
            fps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut t = FrameTimes::default();
        for ms in 1..=100 {
            t.record(f64::from(ms));
        }
        let s = t.summary();
        assert_eq!(
            (s.p50_ms, s.p95_ms, s.max_ms, s.frames),
            (50.0, 95.0, 100.0, 100)
        );
    }

    #[test]
    fn only_recent_frames_count() {
        let mut t = FrameTimes::default();
        for _ in 0..FrameTimes::CAPACITY {
            t.record(50.0);
        }
        for _ in 0..FrameTimes::CAPACITY {
            t.record(1.0);
        }
        assert_eq!(t.summary().max_ms, 1.0);
        assert_eq!(t.summary().frames, 2 * FrameTimes::CAPACITY as u64);
    }

    #[test]
    fn frames_per_second_and_gaps() {
        let mut p = FrameProfile::default();
        // 61 frames 1/60 s apart, one of them after a 500 ms stall.
        let mut t = 1000.0;
        for i in 0..61 {
            p.record(t, 6.0, 2.0, 3.0, 1.0);
            t += if i == 30 { 500.0 } else { 1000.0 / 60.0 };
        }
        let s = p.summary();
        assert_eq!(s.frames, 61);
        assert_eq!(s.p95_ms, 6.0);
        assert_eq!(s.interval.max_ms, 500.0);
        let expect = 60.0 * 1000.0 / (59.0 * 1000.0 / 60.0 + 500.0);
        assert!((s.fps - expect).abs() < 1e-9, "{}", s.fps);
        p.clear();
        assert_eq!(p.summary().fps, 0.0);
    }
}
