//! Copies of a run to go back to (time travel): a snapshot keeps the
//! trace's count and hash but not its events, nor the scenario's action
//! list; a timeline holds those once for all its snapshots and gives the
//! list back on restoring. The client history is in shared chunks, so a
//! snapshot's copy costs only the chunk still being written.

use alloc::vec::Vec;

use super::Sim;
use crate::scenario::Scenario;

impl Sim {
    /// A copy of this simulation that keeps the trace's count and hash but
    /// not its events, nor the scenario's action list nor the schedule's
    /// past: a timeline holds those once for many snapshots, and gives the
    /// list back to the copy it restores (`set_future_actions`), which is
    /// then the same as the original.
    pub fn snapshot(&self) -> Sim {
        self.copy(false)
    }

    /// Everything but, when `whole` is false, the trace's events, the
    /// scenario's action list and the applied part of the schedule.
    fn copy(&self, whole: bool) -> Sim {
        let (schedule, next_action) = if whole {
            (self.schedule.clone(), self.next_action)
        } else {
            (self.schedule[self.next_action..].to_vec(), 0)
        };
        Sim {
            scenario: if whole {
                self.scenario.clone()
            } else {
                self.scenario_without_actions()
            },
            protocol: self.protocol,
            cluster: self.cluster.boxed_clone(),
            now: self.now,
            clocks: self.clocks.clone(),
            timers: self.timers.clone(),
            queue: self.queue.clone(),
            seq: self.seq,
            next_message: self.next_message,
            next_request: self.next_request,
            network: self.network.clone(),
            rng_network: self.rng_network.clone(),
            rng_timers: self.rng_timers.clone(),
            rng_workload: self.rng_workload.clone(),
            schedule,
            next_action,
            applied_user: self.applied_user,
            actions_elsewhere: self.actions_elsewhere,
            effects: Vec::new(),
            violation: self.violation.clone(),
            trace: if whole {
                self.trace.clone()
            } else {
                self.trace.without_events()
            },
            // Shares its chunks: cheap, and the copy keeps the results of
            // the operations pending now unset, as they are in this state.
            history: self.history.clone(),
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

    /// The scenario without its action list, which grows with every
    /// request a long run records.
    fn scenario_without_actions(&self) -> Scenario {
        let s = &self.scenario;
        Scenario {
            title: s.title.clone(),
            protocol: s.protocol.clone(),
            nodes: s.nodes,
            seed: s.seed,
            network: s.network.clone(),
            clients: s.clients.clone(),
            workload: s.workload.clone(),
            faults: s.faults.clone(),
            actions: Vec::new(),
            until: s.until,
            script: s.script.clone(),
            captions: s.captions.clone(),
            clocks: s.clocks.clone(),
        }
    }
}

impl Clone for Sim {
    fn clone(&self) -> Sim {
        self.copy(true)
    }
}
