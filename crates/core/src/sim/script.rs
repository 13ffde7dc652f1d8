//! Scripted runs: when a scenario carries a `script` (the schedule the
//! explorer found), the simulator takes its steps in order, instead of
//! popping its queue by time, until the script is used up; then the run
//! carries on as usual. Scheduled user actions still happen at their
//! times, before a script step at the same instant, as in a live run.
//!
//! Kept apart from the event loop it hooks into so that unscripted runs
//! read exactly as before.

use alloc::collections::BinaryHeap;

use super::queue::Delivery;
use super::{Item, Queued, Sim};
use crate::id::{MessageId, NodeId};
use crate::scenario::Scripted;
use crate::time::Time;
use crate::trace::DropReason;

impl Sim {
    /// How many script steps have been taken.
    pub fn script_position(&self) -> usize {
        self.script_next
    }

    /// While a script lasts, when the next thing happens: a scheduled
    /// action or the next script step. `None` when there is no script left.
    pub(super) fn scripted_next_time(&self) -> Option<Time> {
        let step = self.scenario.script.get(self.script_next)?;
        let action = self.schedule.get(self.next_action).map(|s| s.at);
        Some(action.map_or(step.at, |a| a.min(step.at)))
    }

    /// Takes the next scheduled action or script step. `None` when there
    /// is no script left, and the usual event loop takes over.
    pub(super) fn script_step(&mut self) -> Option<bool> {
        let step = self.scenario.script.get(self.script_next)?.clone();
        if let Some(scheduled) = self.schedule.get(self.next_action) {
            if scheduled.at <= step.at {
                let scheduled = self.take_scheduled();
                self.now = self.now.max(scheduled.at);
                self.apply_action(&scheduled.action);
                return Some(true);
            }
        }
        self.script_next += 1;
        self.now = self.now.max(step.at);
        // A step that no longer applies (the message is gone, the timer is
        // not armed) does nothing: a script is replayed, never trusted.
        match step.step {
            Scripted::Deliver { id } => {
                if let Some(q) = self.take_message(id) {
                    self.process(q.item);
                }
            }
            Scripted::Drop { id } => {
                if let Some(Item::Deliver(d)) = self.take_message(id).map(|q| q.item) {
                    self.drop_message(&d, DropReason::User);
                }
            }
            Scripted::Duplicate { id } => {
                if let Some(Item::Deliver(d)) = self.queued_message(id).map(|q| q.item) {
                    let msg = self.cluster.copy_msg(d.msg);
                    self.push(self.now, Item::Deliver(Delivery { msg, ..d }));
                }
            }
            Scripted::Fire { node, timer } => self.fire_scripted(node, timer),
            Scripted::Act { action } => self.apply_action(&action),
        }
        Some(true)
    }

    /// Removes one queued copy of message `id`.
    fn take_message(&mut self, id: MessageId) -> Option<Queued> {
        if self.user_dropped.contains(&id) {
            return None;
        }
        let mut items = core::mem::take(&mut self.queue).into_vec();
        let at = items
            .iter()
            .position(|q| matches!(q.item, Item::Deliver(d) if d.id == id));
        let taken = at.map(|i| items.swap_remove(i));
        self.queue = BinaryHeap::from(items);
        taken
    }

    fn fire_scripted(&mut self, node: NodeId, timer: u8) {
        if !self.cluster.is_up(node) {
            return;
        }
        let Some(slot) = self.timers[node.index()].get_mut(usize::from(timer)) else {
            return;
        };
        if slot.fires_at.is_none() {
            return; // not armed
        }
        // Its queued entry goes stale: the script, not the clock, fired it.
        slot.clear();
        self.fire_timer(node, timer);
    }
}
