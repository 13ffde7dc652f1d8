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
#[derive(Clone, Debug, Default)]
pub struct FrameProfile {
    pub total: FrameTimes,
    pub simulate: FrameTimes,
    pub draw: FrameTimes,
    /// Rebuilding the HTML panels (a few times a second).
    pub panels: FrameTimes,
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
}

impl FrameProfile {
    pub fn record(&mut self, simulate_ms: f64, draw_ms: f64, panels_ms: f64) {
        self.total.record(simulate_ms + draw_ms + panels_ms);
        self.simulate.record(simulate_ms);
        self.draw.record(draw_ms);
        self.panels.record(panels_ms);
    }

    pub fn clear(&mut self) {
        *self = FrameProfile::default();
    }

    pub fn summary(&self) -> ProfileSummary {
        let total = self.total.summary();
        ProfileSummary {
            frames: total.frames,
            p50_ms: total.p50_ms,
            p95_ms: total.p95_ms,
            max_ms: total.max_ms,
            simulate: self.simulate.summary(),
            draw: self.draw.summary(),
            panels: self.panels.summary(),
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
}
