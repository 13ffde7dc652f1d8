//! Messages on the network: sending (with the network's duplication, loss
//! and delay drawn from its stream), delivering or dropping them when they
//! are due, and what the outside may see of those in flight.

use alloc::string::String;

use super::queue::{Delivery, Item};
use super::{event, Flight, Sim};
use crate::cluster::{Filed, Input, MsgRef};
use crate::id::{MessageId, NodeId};
use crate::trace::{DropReason, EventKind};

impl Sim {
    pub(super) fn send(&mut self, from: NodeId, to: NodeId, filed: Filed) {
        if to.index() >= self.cluster.len() || to == from {
            // A protocol bug, not user input: surface it loudly in tests.
            debug_assert!(false, "{from} sent to invalid node {to}");
            self.cluster.discard(filed.msg);
            return;
        }
        let id = MessageId(self.next_message);
        self.next_message += 1;
        self.stats.sent += 1;
        self.stats.bytes += filed.size;
        let label = self.label(filed.msg);
        self.record(
            event(EventKind::Send, self.now, from, to, id.0, filed.kind),
            filed.digest,
            label,
        );
        if self.rng_network.chance(self.network.duplicate()) {
            let copy = self.cluster.copy_msg(filed.msg);
            self.enqueue(id, from, to, copy, filed.kind);
        }
        self.enqueue(id, from, to, filed.msg, filed.kind);
    }

    fn loss_now(&self) -> f64 {
        let extra = match &self.scenario.faults {
            Some(f) if self.now < f.until => f.loss,
            _ => 0.0,
        };
        self.network.loss() + extra
    }

    fn enqueue(&mut self, id: MessageId, from: NodeId, to: NodeId, msg: MsgRef, kind: u8) {
        let doomed = if !self.network.connected(from, to) {
            Some(DropReason::Partition)
        } else if self.rng_network.chance(self.loss_now()) {
            Some(DropReason::Loss)
        } else {
            None
        };
        let delay = self.network.delay(from, to, &mut self.rng_network);
        self.push(
            self.now + delay,
            Item::Deliver(Delivery {
                id,
                from,
                to,
                sent_at: self.now,
                msg,
                kind,
                doomed,
            }),
        );
    }

    /// A message is due at its receiver: it arrives, unless it was doomed
    /// when sent, its link is cut now or its receiver is down.
    pub(super) fn arrive_message(&mut self, d: Delivery) {
        if self.user_dropped.contains(&d.id) {
            self.cluster.discard(d.msg);
            return;
        }
        let reason = if let Some(reason) = d.doomed {
            Some(reason)
        } else if !self.network.connected(d.from, d.to) {
            Some(DropReason::Partition)
        } else if !self.cluster.is_up(d.to) {
            Some(DropReason::NodeDown)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.drop_message(&d, reason);
            return;
        }
        self.stats.delivered += 1;
        let label = self.label(d.msg);
        self.record(
            event(EventKind::Deliver, self.now, d.to, d.from, d.id.0, d.kind),
            0,
            label,
        );
        let (from, msg) = (d.from, d.msg);
        self.call(d.to, Input::Message { from, msg });
    }

    /// Loses a message that was due, for `reason`.
    pub(super) fn drop_message(&mut self, d: &Delivery, reason: DropReason) {
        self.stats.dropped += 1;
        let label = self.label(d.msg);
        self.record(
            event(
                EventKind::Drop,
                self.now,
                d.to,
                d.from,
                d.id.0,
                reason as u8,
            ),
            u64::from(d.kind),
            label,
        );
        self.cluster.discard(d.msg);
    }

    /// The message's label, when an event log keeps recent events.
    fn label(&self, msg: MsgRef) -> Option<String> {
        (self.recent_capacity > 0).then(|| self.cluster.msg_label(msg))
    }

    /// Visits every message in flight (not yet delivered or dropped).
    pub fn for_each_in_flight(&self, f: &mut dyn FnMut(&Flight)) {
        for q in self.queue.iter() {
            if let Item::Deliver(d) = q.item {
                if self.user_dropped.contains(&d.id) {
                    continue;
                }
                f(&Flight {
                    id: d.id,
                    from: d.from,
                    to: d.to,
                    sent_at: d.sent_at,
                    deliver_at: q.time,
                    kind: d.kind,
                    doomed: d.doomed.is_some() || !self.network.connected(d.from, d.to),
                });
            }
        }
    }

    pub fn message_label(&self, id: MessageId) -> Option<String> {
        match self.queued_message(id)?.item {
            Item::Deliver(d) => Some(self.cluster.msg_label(d.msg)),
            _ => None,
        }
    }
}
