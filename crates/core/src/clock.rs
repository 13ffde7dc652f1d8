//! A node's local clock: an offset from true time and a rate (drift, in
//! parts per million). The simulator keeps true time; each node reads its
//! own clock, and the delays it asks timers for are local durations.
//!
//! All arithmetic is on integers (microseconds, ppm, widened to `u128`), so
//! a drifting run is as reproducible as any other. A clock with no offset
//! and no drift reads true time exactly: `local(t) = t` and a delay `d`
//! ends at `t + d`, bit for bit what a run without clocks computes.

use serde::{Deserialize, Serialize};

use crate::time::{Offset, Span, Time};

/// The largest drift a clock may have, either way: ±10%.
pub const MAX_DRIFT_PPM: i32 = 100_000;

const MILLION: u128 = 1_000_000;

/// A node's clock: from true time `since` on, it read `read_then` and
/// gains `1_000_000 + drift_ppm` local microseconds per million true ones.
/// Setting a clock mid-run moves this anchor, so the local time never
/// jumps except by the offset a user sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    since: Time,
    read_then: Time,
    drift_ppm: i32,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::PERFECT
    }
}

impl Clock {
    /// True time, exactly.
    pub const PERFECT: Clock = Clock {
        since: Time::ZERO,
        read_then: Time::ZERO,
        drift_ppm: 0,
    };

    /// A clock that from true time `now` on reads `now + offset` and runs
    /// `drift_ppm` parts per million fast (negative: slow). A clock cannot
    /// read before zero: an offset further behind than `now` reads zero
    /// (validation refuses such offsets in scenarios).
    pub fn set_at(now: Time, offset: Offset, drift_ppm: i32) -> Clock {
        let read = i128::from(now.0) + i128::from(offset.0);
        Clock {
            since: now,
            read_then: Time(u64::try_from(read.max(0)).unwrap_or(u64::MAX)),
            drift_ppm: drift_ppm.clamp(-MAX_DRIFT_PPM, MAX_DRIFT_PPM),
        }
    }

    pub fn is_perfect(&self) -> bool {
        self.drift_ppm == 0 && self.read_then == self.since
    }

    pub fn drift_ppm(&self) -> i32 {
        self.drift_ppm
    }

    /// Local microseconds per million true ones; positive, since drift is
    /// bounded well inside ±100%.
    fn rate(&self) -> u128 {
        // MAX_DRIFT_PPM keeps this between 900_000 and 1_100_000.
        (1_000_000 + i64::from(self.drift_ppm)) as u128
    }

    /// What the clock reads at true time `t` (not before its anchor),
    /// rounded down to the microsecond.
    pub fn local(&self, t: Time) -> Time {
        let elapsed = u128::from(t.0.saturating_sub(self.since.0));
        let gained = elapsed * self.rate() / MILLION;
        Time(self.read_then.0.saturating_add(clamp_u64(gained)))
    }

    /// How far the clock reads ahead of true time at `t` (negative: behind).
    pub fn offset(&self, t: Time) -> Offset {
        Offset(i64::try_from(i128::from(self.local(t).0) - i128::from(t.0)).unwrap_or(i64::MAX))
    }

    /// The first true instant, not before `now`, at which the clock reads
    /// `deadline` or later. Rounded up, so a local deadline is never
    /// reached early: when a timer set for it fires, the node's clock
    /// already shows at least `deadline`.
    pub fn when_reads(&self, deadline: Time, now: Time) -> Time {
        let Some(to_gain) = deadline.0.checked_sub(self.read_then.0) else {
            return now;
        };
        // local(since + x) = read_then + floor(x * rate / M) >= deadline
        // exactly when x * rate >= to_gain * M, i.e. x >= ceil(to_gain * M / rate).
        let rate = self.rate();
        let x = (u128::from(to_gain) * MILLION).div_ceil(rate);
        Time(self.since.0.saturating_add(clamp_u64(x))).max(now)
    }

    /// The true instant at which a local delay `delay` started at `now`
    /// ends: the clock's reading at `now` plus `delay`, in true time.
    pub fn after(&self, now: Time, delay: Span) -> Time {
        self.when_reads(self.local(now) + delay, now)
    }
}

fn clamp_u64(x: u128) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

/// A node's clock as a scenario sets it at the start of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSetting {
    pub node: crate::id::NodeId,
    /// How far ahead of true time the clock reads at the start (not
    /// negative: a clock cannot read before the run began).
    #[serde(default, skip_serializing_if = "is_zero_offset")]
    pub offset: Offset,
    /// How fast it runs, in parts per million: 100 gains 0.1ms a second,
    /// -50000 loses 5%. At most ±100000 (10%).
    #[serde(default, skip_serializing_if = "is_zero_ppm")]
    pub drift_ppm: i32,
}

pub(crate) fn is_zero_offset(o: &Offset) -> bool {
    o.0 == 0
}

pub(crate) fn is_zero_ppm(p: &i32) -> bool {
    *p == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_clock_reads_true_time() {
        let c = Clock::PERFECT;
        for t in [0, 1, 999_999, 1_000_001, u64::MAX / 2] {
            assert_eq!(c.local(Time(t)), Time(t));
            assert_eq!(c.after(Time(t), Span(150_000)), Time(t) + Span(150_000));
        }
        // Set mid-run to no offset and no drift, it is still exact.
        let c = Clock::set_at(Time(5_000), Offset::ZERO, 0);
        assert!(c.is_perfect());
        assert_eq!(c.after(Time(7_000), Span(3)), Time(7_003));
    }

    #[test]
    fn a_fast_clock_ends_delays_early_in_true_time_never_early_locally() {
        let fast = Clock::set_at(Time::ZERO, Offset::ZERO, 100_000);
        assert_eq!(fast.local(Time(1_000_000)), Time(1_100_000));
        let slow = Clock::set_at(Time::ZERO, Offset(2_000), -50_000);
        assert_eq!(slow.local(Time(1_000_000)), Time(952_000));
        for clock in [fast, slow, Clock::set_at(Time(3), Offset(7), 333)] {
            for now in [0u64, 1, 17, 999_983] {
                for delay in [1u64, 2, 3, 9, 150_000, 1_000_003] {
                    let now = Time(now).max(Time(3));
                    let at = clock.after(now, Span(delay));
                    let deadline = clock.local(now) + Span(delay);
                    assert!(clock.local(at) >= deadline, "reached late enough");
                    assert!(at > now, "a timer never fires at the instant it is set");
                    // One microsecond earlier the clock had not got there.
                    assert!(at.0 == now.0 || clock.local(Time(at.0 - 1)) < deadline);
                }
            }
        }
    }

    #[test]
    fn setting_a_clock_moves_its_anchor_without_a_jump_in_rate() {
        let c = Clock::set_at(Time(10_000_000), Offset(-2_000_000), 0);
        assert_eq!(c.local(Time(10_000_000)), Time(8_000_000));
        assert_eq!(c.offset(Time(11_000_000)), Offset(-2_000_000));
        let behind_zero = Clock::set_at(Time(1_000), Offset(-5_000), 0);
        assert_eq!(behind_zero.local(Time(1_000)), Time::ZERO);
    }
}
