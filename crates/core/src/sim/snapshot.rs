//! Copies of a run to go back to (time travel): a snapshot keeps the
//! trace's count and hash but not its events, and not the client history,
//! which a timeline holds once for all its snapshots and hands back.

use alloc::vec::Vec;

use super::{ClientOp, Sim};

impl Sim {
    /// A copy of this simulation that keeps the trace's count and hash but
    /// not its events: a timeline holds the events once and many snapshots.
    pub fn snapshot(&self) -> Sim {
        self.copy(false)
    }

    /// Everything but, when `whole` is false, the trace's events and the
    /// client history.
    pub(super) fn copy(&self, whole: bool) -> Sim {
        Sim {
            scenario: self.scenario.clone(),
            protocol: self.protocol,
            cluster: self.cluster.boxed_clone(),
            now: self.now,
            timers: self.timers.clone(),
            queue: self.queue.clone(),
            seq: self.seq,
            next_message: self.next_message,
            next_request: self.next_request,
            network: self.network.clone(),
            rng_network: self.rng_network.clone(),
            rng_timers: self.rng_timers.clone(),
            rng_workload: self.rng_workload.clone(),
            schedule: self.schedule.clone(),
            next_action: self.next_action,
            effects: Vec::new(),
            violation: self.violation.clone(),
            trace: if whole {
                self.trace.clone()
            } else {
                self.trace.without_events()
            },
            // The client history only grows, and an entry changes once,
            // when its operation completes: a timeline keeps the head's
            // and hands the prefix back (`attach_history`), so snapshots
            // of a long run do not each hold their own copy.
            history: if whole {
                self.history.clone()
            } else {
                Vec::new()
            },
            pending: self.pending.clone(),
            workload: self.workload.clone(),
            user_dropped: self.user_dropped.clone(),
            recent: self.recent.clone(),
            recent_capacity: self.recent_capacity,
            stats: self.stats,
            // A scripted run restored mid-script goes on from the same step.
            script_next: self.script_next,
        }
    }

    /// Whether this is a snapshot whose client history is held elsewhere.
    pub fn history_detached(&self) -> bool {
        self.history.len() as u64 != self.next_request
    }

    /// Gives a snapshot its client history back: `head` is the history of
    /// a later state of the same run (or branch); operations invoked after
    /// this state are cut off and those still pending lose their results.
    pub fn attach_history(&mut self, head: &[ClientOp]) {
        let n = self.next_request as usize;
        debug_assert!(head.len() >= n, "the head's history is shorter");
        self.history = head[..n.min(head.len())].to_vec();
        for id in self.pending.keys() {
            if let Some(op) = self.history.get_mut(id.0 as usize) {
                op.result = None;
                op.served_by = None;
            }
        }
    }
}

impl Clone for Sim {
    fn clone(&self) -> Sim {
        self.copy(true)
    }
}
