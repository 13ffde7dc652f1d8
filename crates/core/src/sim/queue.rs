//! The event queue: what is due when, in the one order every run takes.
//! Entries are ordered by time, then by the order they were queued in
//! (`seq`), so two events due at the same instant always run in the same
//! order and a run is a function of its scenario.

use core::cmp::Ordering;

use super::Sim;
use crate::cluster::MsgRef;
use crate::id::{MessageId, NodeId, RequestId};
use crate::protocol::TimerId;
use crate::time::Time;
use crate::trace::DropReason;

/// A message on its way: what the queue holds of it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Delivery {
    pub id: MessageId,
    pub from: NodeId,
    pub to: NodeId,
    pub sent_at: Time,
    pub msg: MsgRef,
    /// The message's kind, kept here so that drawing the messages in
    /// flight asks the protocol nothing.
    pub kind: u8,
    /// Why it will be dropped on arrival, if it will.
    pub doomed: Option<DropReason>,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Item {
    Deliver(Delivery),
    Timer {
        node: NodeId,
        timer: TimerId,
        generation: u32,
    },
    ClientArrive {
        node: NodeId,
        request: RequestId,
        hops: u8,
    },
    ClientTimeout {
        request: RequestId,
    },
    ClientNext {
        client: u32,
    },
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Queued {
    pub time: Time,
    pub seq: u64,
    pub item: Item,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl Sim {
    pub(super) fn push(&mut self, time: Time, item: Item) {
        self.seq += 1;
        self.queue.push(Queued {
            time,
            seq: self.seq,
            item,
        });
    }

    /// The queued delivery of message `id` (the first copy the queue
    /// holds, if the network duplicated it), dropped by the user or not.
    pub(super) fn queued_message(&self, id: MessageId) -> Option<&Queued> {
        self.queue
            .iter()
            .find(|q| matches!(q.item, Item::Deliver(d) if d.id == id))
    }
}
