//! The nodes' timers. A protocol sets a timer for a delay drawn from a
//! range; the engine draws it from its timer stream and queues the firing.
//! Re-arming is lazy: resetting a timer to a later deadline keeps the
//! queued entry, which re-queues itself for the new deadline when it pops
//! early. Raft followers reset their election timer on every
//! AppendEntries, and without this each reset would leave a dead entry in
//! the queue.
//!
//! A delay is a local duration on the node's clock: armed at true time
//! `now`, it ends at the first true instant at which the clock reads its
//! local time at `now` plus the delay (`Clock::after`, rounded up, so a
//! timer never fires before its local deadline). Setting a node's clock
//! re-converts its armed timers' local deadlines to the new rate and
//! offset: a clock set ahead fires them sooner. A crash or restart leaves
//! the clock as it was: it is the node's hardware.

use super::queue::Item;
use super::{event, Sim};
use crate::clock::Clock;
use crate::cluster::Input;
use crate::id::NodeId;
use crate::protocol::TimerId;
use crate::time::{Offset, Span, Time};
use crate::trace::EventKind;

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TimerSlot {
    pub generation: u32,
    pub set_at: Time,
    /// When it fires, in true time.
    pub fires_at: Option<Time>,
    /// When it fires by its node's clock.
    pub deadline: Time,
    /// When the queue entry of the current generation is due.
    pub queued: Option<Time>,
}

impl TimerSlot {
    /// Forgets any pending firing; queued entries become stale.
    pub fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.fires_at = None;
        self.queued = None;
    }
}

impl Sim {
    pub(super) fn set_timer(&mut self, node: NodeId, timer: TimerId, min: Span, max: Span) {
        let delay = Span(self.rng_timers.range_inclusive(min.0, max.0).max(1));
        let (deadline, fires) = match self.clocks.get(node.index()) {
            Some(clock) => (clock.local(self.now) + delay, clock.after(self.now, delay)),
            None => (self.now + delay, self.now + delay),
        };
        let slots = &mut self.timers[node.index()];
        if slots.len() <= usize::from(timer) {
            slots.resize(usize::from(timer) + 1, TimerSlot::default());
        }
        slots[usize::from(timer)].set_at = self.now;
        slots[usize::from(timer)].deadline = deadline;
        self.arm(node, timer, fires);
    }

    /// Makes `node`'s timer fire at true time `fires`, queueing an entry
    /// unless the pending one is due no later (it re-queues itself).
    fn arm(&mut self, node: NodeId, timer: TimerId, fires: Time) {
        let slot = &mut self.timers[node.index()][usize::from(timer)];
        slot.fires_at = Some(fires);
        if slot.queued.is_some_and(|q| q <= fires) {
            return; // the pending entry will re-queue itself
        }
        slot.generation = slot.generation.wrapping_add(1);
        slot.queued = Some(fires);
        let generation = slot.generation;
        self.push(
            fires,
            Item::Timer {
                node,
                timer,
                generation,
            },
        );
    }

    pub(super) fn cancel_timer(&mut self, node: NodeId, timer: TimerId) {
        if let Some(slot) = self.timers[node.index()].get_mut(usize::from(timer)) {
            // Keep the queued entry: a later reset may reuse it.
            slot.fires_at = None;
        }
    }

    /// A queued timer entry popped: fire it if it is still current and
    /// due, re-queue it if it was reset to later, else let it go.
    pub(super) fn timer_due(&mut self, node: NodeId, timer: TimerId, generation: u32) {
        let Some(slot) = self.timers[node.index()].get_mut(usize::from(timer)) else {
            return;
        };
        if slot.generation != generation || !self.cluster.is_up(node) {
            return; // superseded, or its node crashed
        }
        slot.queued = None;
        match slot.fires_at {
            None => {} // cancelled
            Some(at) if at > self.now => {
                // Reset to a later deadline since this was queued.
                slot.queued = Some(at);
                self.push(
                    at,
                    Item::Timer {
                        node,
                        timer,
                        generation,
                    },
                );
            }
            Some(_) => {
                slot.fires_at = None;
                self.fire_timer(node, timer);
            }
        }
    }

    pub(super) fn fire_timer(&mut self, node: NodeId, timer: TimerId) {
        self.stats.timers += 1;
        self.record(
            event(EventKind::Timer, self.now, node, node, 0, timer),
            0,
            None,
        );
        self.call(node, Input::Timer(timer));
    }

    /// Fires `node`'s user-forceable timer now (`Action::Timeout`), its
    /// queued entry made stale.
    pub(super) fn force_timer(&mut self, node: NodeId) {
        if let Some((timer, _)) = self.protocol.facts.user_timer {
            if self.cluster.is_up(node) {
                if let Some(slot) = self.timers[node.index()].get_mut(usize::from(timer)) {
                    slot.clear();
                }
                self.fire_timer(node, timer);
            }
        }
    }

    /// From now on `node`'s clock reads true time plus `offset` and runs
    /// `drift_ppm` fast. Its armed timers keep their local deadlines, which
    /// fall at new true instants.
    pub(super) fn set_clock(&mut self, node: NodeId, offset: Offset, drift_ppm: i32) {
        let clock = Clock::set_at(self.now, offset, drift_ppm);
        if self.clocks.is_empty() {
            if clock.is_perfect() {
                return; // every clock is still perfect
            }
            self.clocks = alloc::vec![Clock::PERFECT; self.timers.len()];
        }
        self.clocks[node.index()] = clock;
        for timer in 0..self.timers[node.index()].len() {
            let slot = self.timers[node.index()][timer];
            if slot.fires_at.is_some() {
                let fires = clock.when_reads(slot.deadline, self.now);
                // A timer re-armed for sooner gets a fresh queue entry;
                // for later, the pending one re-queues itself.
                if slot.queued.is_some_and(|q| q > fires) {
                    self.timers[node.index()][timer].queued = None;
                }
                self.arm(node, timer as TimerId, fires);
            }
        }
    }

    /// Forgets every timer of a node that crashed.
    pub(super) fn clear_timers(&mut self, node: NodeId) {
        for t in &mut self.timers[node.index()] {
            t.clear();
        }
    }

    /// The user-forceable timer of `node`: when it was set and when it fires.
    pub fn user_timer(&self, id: NodeId) -> Option<(Time, Time)> {
        let (timer, _) = self.protocol.facts.user_timer?;
        let slot = self.timers[id.index()].get(usize::from(timer))?;
        slot.fires_at.map(|at| (slot.set_at, at))
    }
}
