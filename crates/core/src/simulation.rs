//! The protocol-agnostic face of a simulation, for the app and the CLI:
//! they hold a `Box<dyn Simulation>` and never name a protocol's types.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::id::{MessageId, NodeId};
use crate::net::Network;
use crate::protocol::{Checker, NodeDetail, NodeView, Protocol};
use crate::protocols::commit::three_phase::ThreePhase;
use crate::protocols::commit::two_phase::TwoPhase;
use crate::protocols::multi_paxos::MultiPaxos;
use crate::protocols::paxos::Paxos;
use crate::protocols::raft::Raft;
use crate::scenario::{Action, ProtocolConfig, Scenario, ScenarioError, TimedAction};
use crate::sim::{ClientOp, EventLine, Flight, FoundViolation, Sim, Stats};
use crate::time::Time;
use crate::trace::Trace;

/// Options that change what a run keeps, never what it does.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Keep every trace event (else only count and hash them).
    pub keep_trace: bool,
    /// How many recent events to keep with their messages, for an event log.
    pub recent_events: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            keep_trace: true,
            recent_events: 0,
        }
    }
}

/// A running simulation of some protocol.
pub trait Simulation {
    fn scenario(&self) -> &Scenario;
    fn protocol_name(&self) -> &'static str;
    fn invariant_names(&self) -> &'static [&'static str];
    fn msg_kinds(&self) -> &'static [&'static str];
    /// The name of the timer a user may force, if the protocol has one.
    fn user_timer_name(&self) -> Option<&'static str>;

    fn now(&self) -> Time;
    fn node_count(&self) -> usize;
    fn next_event_time(&self) -> Option<Time>;
    fn step(&mut self) -> bool;
    // --- exact stops ---
    /// [`Sim::step_within`]: a step that never passes `limit`.
    fn step_within(&mut self, limit: Time) -> bool;
    fn run_until(&mut self, until: Time, max_events: u64) -> bool;
    fn act(&mut self, action: Action) -> Result<(), ScenarioError>;

    fn is_up(&self, node: NodeId) -> bool;
    fn node_view(&self, node: NodeId) -> NodeView;
    fn node_detail(&self, node: NodeId) -> NodeDetail;
    fn user_timer(&self, node: NodeId) -> Option<(Time, Time)>;
    fn for_each_in_flight(&self, f: &mut dyn FnMut(&Flight));
    fn message_label(&self, id: MessageId) -> Option<String>;
    fn network(&self) -> &Network;

    fn violation(&self) -> Option<&FoundViolation>;
    fn trace(&self) -> &Trace;
    /// The client history, in shared chunks ([`crate::pvec::PVec`]).
    fn history(&self) -> &crate::pvec::PVec<ClientOp>;
    fn stats(&self) -> Stats;
    /// The most decisions any running node has learned.
    fn decided(&self) -> u64;
    fn recent_events(&self, max: usize) -> Vec<EventLine>;

    // --- time travel ---
    /// A copy to restore later, without the trace's events (see
    /// [`Sim::snapshot`]).
    fn snapshot(&self) -> Box<dyn Simulation>;
    fn applied_user_actions(&self) -> usize;
    fn set_future_actions(&mut self, actions: &[TimedAction]);
    /// [`Sim::forget_actions`]: the caller keeps the action list.
    fn forget_actions(&mut self);
    fn leads(&self, node: NodeId) -> Option<u64>;
    fn trace_mut(&mut self) -> &mut Trace;
    // --- quorum stores ---
    /// The versions a node stores, for stores that keep versions.
    fn stored_versions(&self, _node: NodeId) -> Vec<crate::version::KeyVersions> {
        Vec::new()
    }
}

impl<P: Protocol> Simulation for Sim<P> {
    fn scenario(&self) -> &Scenario {
        Sim::scenario(self)
    }
    fn protocol_name(&self) -> &'static str {
        P::NAME
    }
    fn invariant_names(&self) -> &'static [&'static str] {
        <P::Checker as Checker<P>>::INVARIANTS
    }
    fn msg_kinds(&self) -> &'static [&'static str] {
        P::MSG_KINDS
    }
    fn user_timer_name(&self) -> Option<&'static str> {
        P::USER_TIMER.map(|(_, name)| name)
    }
    fn now(&self) -> Time {
        Sim::now(self)
    }
    fn node_count(&self) -> usize {
        self.nodes().len()
    }
    fn next_event_time(&self) -> Option<Time> {
        Sim::next_event_time(self)
    }
    fn step(&mut self) -> bool {
        Sim::step(self)
    }
    // --- exact stops ---
    fn step_within(&mut self, limit: Time) -> bool {
        Sim::step_within(self, limit)
    }
    fn run_until(&mut self, until: Time, max_events: u64) -> bool {
        Sim::run_until(self, until, max_events)
    }
    fn act(&mut self, action: Action) -> Result<(), ScenarioError> {
        Sim::act(self, action)
    }
    fn is_up(&self, node: NodeId) -> bool {
        self.node(node).is_some()
    }
    fn node_view(&self, node: NodeId) -> NodeView {
        Sim::node_view(self, node)
    }
    fn node_detail(&self, node: NodeId) -> NodeDetail {
        Sim::node_detail(self, node)
    }
    fn user_timer(&self, node: NodeId) -> Option<(Time, Time)> {
        Sim::user_timer(self, node)
    }
    fn for_each_in_flight(&self, f: &mut dyn FnMut(&Flight)) {
        Sim::for_each_in_flight(self, f)
    }
    fn message_label(&self, id: MessageId) -> Option<String> {
        Sim::message_label(self, id)
    }
    fn network(&self) -> &Network {
        Sim::network(self)
    }
    fn violation(&self) -> Option<&FoundViolation> {
        Sim::violation(self)
    }
    fn trace(&self) -> &Trace {
        Sim::trace(self)
    }
    fn history(&self) -> &crate::pvec::PVec<ClientOp> {
        Sim::history(self)
    }
    fn stats(&self) -> Stats {
        Sim::stats(self)
    }
    fn decided(&self) -> u64 {
        Sim::decided(self)
    }
    fn recent_events(&self, max: usize) -> Vec<EventLine> {
        Sim::recent_events(self, max)
    }

    // --- time travel ---
    fn snapshot(&self) -> Box<dyn Simulation> {
        Box::new(Sim::snapshot(self))
    }
    fn applied_user_actions(&self) -> usize {
        Sim::applied_user_actions(self)
    }
    fn set_future_actions(&mut self, actions: &[TimedAction]) {
        Sim::set_future_actions(self, actions)
    }
    fn forget_actions(&mut self) {
        Sim::forget_actions(self)
    }
    fn leads(&self, node: NodeId) -> Option<u64> {
        Sim::leads(self, node)
    }
    fn trace_mut(&mut self) -> &mut Trace {
        Sim::trace_mut(self)
    }

    // --- quorum stores ---
    fn stored_versions(&self, node: NodeId) -> Vec<crate::version::KeyVersions> {
        Sim::stored_versions(self, node)
    }
}

fn boxed<P: Protocol>(
    scenario: &Scenario,
    config: &P::Config,
    options: RunOptions,
) -> Box<dyn Simulation> {
    let mut sim = Sim::<P>::new(scenario, config.clone(), options.keep_trace);
    sim.set_recent_capacity(options.recent_events);
    Box::new(sim)
}

/// Validates `scenario` and builds its simulation of protocol `P`, whose
/// configuration is `config`. Unlike [`build`], it links only `P`'s code,
/// for a client that needs one protocol and a smaller binary.
pub fn build_with<P: Protocol>(
    scenario: &Scenario,
    config: &P::Config,
    options: RunOptions,
) -> Result<Box<dyn Simulation>, ScenarioError> {
    scenario.validate()?;
    Ok(boxed::<P>(scenario, config, options))
}

/// Validates `scenario` and builds its simulation.
pub fn build(
    scenario: &Scenario,
    options: RunOptions,
) -> Result<Box<dyn Simulation>, ScenarioError> {
    scenario.validate()?;
    Ok(match &scenario.protocol {
        ProtocolConfig::Raft(config) => boxed::<Raft>(scenario, config, options),
        ProtocolConfig::TwoPhase(config) => boxed::<TwoPhase>(scenario, config, options),
        ProtocolConfig::ThreePhase(config) => boxed::<ThreePhase>(scenario, config, options),
        ProtocolConfig::Paxos(config) => boxed::<Paxos>(scenario, config, options),
        ProtocolConfig::MultiPaxos(config) => boxed::<MultiPaxos>(scenario, config, options),
        // --- quorum stores ---
        ProtocolConfig::Quorum(config) => {
            boxed::<crate::protocols::quorum::Quorum>(scenario, config, options)
        }
        ProtocolConfig::Gossip(config) => {
            boxed::<crate::protocols::gossip::Gossip>(scenario, config, options)
        }
        ProtocolConfig::LockService(config) => {
            boxed::<crate::protocols::lock::LockService>(scenario, config, options)
        }
    })
}
