//! User actions: the schedule of a scenario's timed actions and generated
//! faults, applying one, acting live (`act`, which records the action where
//! a replay puts it), refusing actions that would do nothing, and handing a
//! restored snapshot the actions still to come.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::queue::Item;
use super::{event, Sim, USER_CLIENT};
use crate::cluster::Input;
use crate::id::NodeId;
use crate::protocol::MemberChange;
use crate::scenario::{Action, ScenarioError, TimedAction};
use crate::trace::{stable_hash, DropReason, EventKind, NetChange};

#[derive(Clone, Debug)]
pub(super) struct Scheduled {
    pub at: crate::time::Time,
    pub action: Action,
    /// From the scenario's user actions, not generated from `faults`.
    pub user: bool,
}

/// Puts a schedule in time order, generated faults before user actions at
/// the same instant. Stable: user actions keep their order within an
/// instant.
pub(super) fn sort_schedule(schedule: &mut [Scheduled]) {
    schedule.sort_by_key(|s| (s.at, s.user));
}

impl Sim {
    pub(super) fn apply_action(&mut self, action: &Action) {
        let digest = stable_hash(action);
        let now = self.now;
        let net_event = |change: NetChange, a: NodeId, b: NodeId| {
            event(EventKind::Network, now, a, b, 0, change as u8)
        };
        match action {
            Action::Partition { groups } => {
                self.network.partition(groups);
                self.record(
                    net_event(NetChange::Partition, NodeId(0), NodeId(0)),
                    digest,
                    None,
                );
            }
            Action::Heal => {
                self.network.heal();
                self.record(
                    net_event(NetChange::Heal, NodeId(0), NodeId(0)),
                    digest,
                    None,
                );
            }
            Action::CutLink { from, to, both } | Action::RestoreLink { from, to, both } => {
                let cut = matches!(action, Action::CutLink { .. });
                self.network.set_cut(*from, *to, cut);
                if *both {
                    self.network.set_cut(*to, *from, cut);
                }
                let change = if cut {
                    NetChange::Cut
                } else {
                    NetChange::Restore
                };
                self.record(net_event(change, *from, *to), digest, None);
            }
            Action::Crash { node } => {
                if self.cluster.crash(*node) {
                    self.clear_timers(*node);
                    self.record(
                        event(EventKind::Crash, now, *node, *node, 0, 0),
                        digest,
                        None,
                    );
                }
            }
            Action::Restart { node } => {
                if self.cluster.restart(*node) {
                    self.record(
                        event(EventKind::Restart, now, *node, *node, 0, 0),
                        digest,
                        None,
                    );
                    self.call(*node, Input::Start);
                }
            }
            Action::Timeout { node } => self.force_timer(*node),
            Action::Request { node, client, op } => {
                let client = client.unwrap_or(USER_CLIENT);
                self.invoke(*node, client, op.clone(), None);
            }
            Action::DropMessage { id } => {
                let found = self.queued_message(*id).and_then(|q| match q.item {
                    Item::Deliver(d) => Some((d.from, d.to, d.kind)),
                    _ => None,
                });
                if let Some((from, to, kind)) = found {
                    if self.user_dropped.insert(*id) {
                        self.stats.dropped += 1;
                        self.record(
                            event(EventKind::Drop, now, to, from, id.0, DropReason::User as u8),
                            u64::from(kind),
                            None,
                        );
                    }
                }
            }
            Action::Clock {
                node,
                offset,
                drift_ppm,
            } => {
                self.set_clock(*node, *offset, *drift_ppm);
                let label = (self.recent_capacity > 0)
                    .then(|| format!("offset {offset}, drift {drift_ppm} ppm"));
                self.record(
                    event(EventKind::Clock, now, *node, *node, 0, 0),
                    digest,
                    label,
                );
            }
            Action::Vote { node, yes } => {
                // Nothing is sent: the choice shows in the votes that follow,
                // which the trace records.
                self.cluster.set_vote(*node, *yes);
            }
            Action::AddServer { node } | Action::RemoveServer { node } => {
                let change = if matches!(action, Action::AddServer { .. }) {
                    MemberChange::Add(*node)
                } else {
                    MemberChange::Remove(*node)
                };
                // Nothing is recorded of the request itself: the
                // configuration entry it makes travels in the messages that
                // follow, which the trace records.
                if let Some(leader) = self.in_charge() {
                    self.call(leader, Input::Reconfigure(change));
                }
            }
        }
    }

    /// The node a membership change is asked of, as an administrator's
    /// tool would find it: the running node that leads in the highest
    /// term (the lowest id, should two claim the same term).
    pub fn in_charge(&self) -> Option<NodeId> {
        (0..self.cluster.len() as u16)
            .map(NodeId)
            .filter_map(|n| self.cluster.leads(n).map(|term| (term, n)))
            .min_by_key(|&(term, n)| (core::cmp::Reverse(term), n))
            .map(|(_, n)| n)
    }

    /// Applies a user action now and records it in the scenario, so the
    /// scenario replays this run exactly. Everything already due at this
    /// instant runs first, which is where a replay will put the action.
    pub fn act(&mut self, action: Action) -> Result<(), ScenarioError> {
        // The probe is the scenario with this one action; not a copy of
        // every action so far (a long run has tens of thousands).
        let actions = core::mem::take(&mut self.scenario.actions);
        let mut probe = self.scenario.clone();
        self.scenario.actions = actions;
        probe.actions = vec![TimedAction {
            at: self.now,
            action: action.clone(),
        }];
        probe.validate().map_err(|mut e| {
            e.path = e.path.replacen("actions[0].", "", 1);
            e
        })?;
        self.check_applicable(&action)?;
        let now = self.now;
        self.run_until(now, u64::MAX);
        if !self.actions_elsewhere {
            let at_or_before = self.scenario.actions.partition_point(|a| a.at <= now);
            self.scenario.actions.insert(
                at_or_before,
                TimedAction {
                    at: now,
                    action: action.clone(),
                },
            );
        }
        // Applied at once: it joins the scenario's count of applied user
        // actions, not the schedule.
        self.applied_user += 1;
        self.apply_action(&action);
        Ok(())
    }

    /// Rejects actions that would do nothing, so they are not recorded.
    fn check_applicable(&self, action: &Action) -> Result<(), ScenarioError> {
        let up = |n: &NodeId| self.cluster.is_up(*n);
        match action {
            Action::Crash { node } if !up(node) => Err(ScenarioError::new(
                "node",
                format!("{node} is already down"),
            )),
            Action::Restart { node } if up(node) => {
                Err(ScenarioError::new("node", format!("{node} is running")))
            }
            Action::Timeout { node } if !up(node) => Err(ScenarioError::new(
                "node",
                format!("{node} is down; restart it first"),
            )),
            Action::Timeout { .. } if self.protocol.facts.user_timer.is_none() => {
                Err(ScenarioError::new(
                    "kind",
                    format!("{} has no timer to force", self.protocol.facts.name),
                ))
            }
            Action::Vote { node, .. } if !up(node) => Err(ScenarioError::new(
                "node",
                format!("{node} is down; restart it first"),
            )),
            Action::Vote { node, .. } if !self.cluster.votes(*node) => Err(ScenarioError::new(
                "node",
                format!(
                    "{node} casts no vote to choose in {}",
                    self.protocol.facts.name
                ),
            )),
            Action::AddServer { .. } | Action::RemoveServer { .. }
                if self.in_charge().is_none() =>
            {
                Err(ScenarioError::new(
                    "kind",
                    "nobody leads: a membership change is asked of the leader",
                ))
            }
            Action::DropMessage { id } => {
                let in_flight =
                    !self.user_dropped.contains(id) && self.queued_message(*id).is_some();
                if in_flight {
                    Ok(())
                } else {
                    Err(ScenarioError::new("id", format!("{id} is not in flight")))
                }
            }
            _ => Ok(()),
        }
    }

    /// How many of the scenario's user actions have been applied.
    pub fn applied_user_actions(&self) -> usize {
        self.applied_user
    }

    /// The next scheduled action, which is due (the caller checked).
    /// Applied entries are dropped in batches, so the schedule holds what
    /// is still to come and never a long run's whole past.
    pub(super) fn take_scheduled(&mut self) -> Scheduled {
        let scheduled = self.schedule[self.next_action].clone();
        self.next_action += 1;
        if scheduled.user {
            self.applied_user += 1;
        }
        if self.next_action >= 1024 && self.next_action * 2 >= self.schedule.len() {
            self.schedule.drain(..self.next_action);
            self.next_action = 0;
        }
        scheduled
    }

    /// Stops keeping the scenario's action list (and drops it): the caller
    /// keeps it, as a timeline does for every branch. The run is the same;
    /// only [`Sim::scenario`]'s `actions` is then empty. A long run of
    /// steady requests would otherwise hold each of them twice.
    pub fn forget_actions(&mut self) {
        self.actions_elsewhere = true;
        self.scenario.actions = Vec::new();
    }

    /// Replaces the user actions still to come: `actions` is a whole action
    /// list whose first [`Sim::applied_user_actions`] entries are the ones
    /// already applied, the rest are scheduled as a rebuilt scenario would
    /// schedule them. A snapshot taken before the user acted learns the
    /// later actions this way, and a branch drops the old branch's future.
    pub fn set_future_actions(&mut self, actions: &[TimedAction]) {
        let applied = self.applied_user_actions().min(actions.len());
        let mut rest: Vec<Scheduled> = self.schedule[self.next_action..]
            .iter()
            .filter(|s| !s.user)
            .cloned()
            .collect();
        rest.extend(actions[applied..].iter().map(|a| Scheduled {
            at: a.at,
            action: a.action.clone(),
            user: true,
        }));
        sort_schedule(&mut rest);
        self.schedule.truncate(self.next_action);
        self.schedule.extend(rest);
        if !self.actions_elsewhere {
            self.scenario.actions = actions.to_vec();
        }
    }
}
