//! The one protocol-specific layer under the simulator. [`Nodes<P>`] owns a
//! protocol's nodes (running, or crashed with their durable state), the
//! messages they sent that are still in flight, the checker and the
//! configuration, and shows them to the engine through the object-safe
//! [`Cluster`] trait. The engine (`crate::sim`) is compiled once and knows
//! no protocol: it queues a [`MsgRef`] and the facts it needs about the
//! message (kind, wire size, digest), never the message itself.
//!
//! A handler's effects reach whoever runs it through [`route`] into a
//! [`Sink`], the one place effects are read: `Nodes<P>` files each message
//! and hands the effects on, the simulator (a `Sink<Filed>`) carries them
//! out, and the explorer (`crate::explore::protocol`) implements the same
//! trait on its explored state.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::any::Any;

use crate::id::{NodeId, RequestId};
use crate::protocol::{
    Checker, ClientRequest, Effect, MemberChange, MembersView, NodeDetail, NodeView, OpDetail, Out,
    Outcome, Protocol, RoleKind, Slot, TimerId, Violation,
};
use crate::time::{Span, Time};
use crate::trace::stable_hash;
use crate::version::KeyVersions;

/// What a node is asked to handle.
#[derive(Clone, Debug)]
pub enum Input<M> {
    Start,
    Message {
        from: NodeId,
        msg: M,
    },
    Timer(TimerId),
    Request(ClientRequest),
    /// Add or remove a voting server (asked of the node in charge).
    Reconfigure(MemberChange),
}

/// Runs `input` through the handler of the node in `slot`, leaving its
/// effects in `out`. Returns false, doing nothing, when the node is down.
#[inline]
pub fn react<P: Protocol>(
    slot: &mut Slot<P>,
    out: &mut Out<P::Msg>,
    node: NodeId,
    now: Time,
    input: Input<P::Msg>,
) -> bool {
    let Slot::Up(state) = slot else {
        return false;
    };
    out.reset(node, now);
    match input {
        Input::Start => state.on_start(out),
        Input::Message { from, msg } => state.on_message(from, msg, out),
        Input::Timer(timer) => state.on_timer(timer, out),
        Input::Request(request) => state.on_client_request(request, out),
        Input::Reconfigure(change) => state.reconfigure(change, out),
    }
    true
}

/// Where a handler's effects go: the simulator or the explorer.
pub trait Sink<M> {
    fn send(&mut self, from: NodeId, to: NodeId, msg: M);
    /// Arm `timer` to fire after a delay in `min..=max`.
    fn set_timer(&mut self, node: NodeId, timer: TimerId, min: Span, max: Span);
    fn cancel_timer(&mut self, node: NodeId, timer: TimerId);
    fn reply(&mut self, node: NodeId, request: RequestId, outcome: Outcome);
    fn detail(&mut self, node: NodeId, request: RequestId, detail: OpDetail);
}

/// Hands the effects of one handler call of node `from` to `sink`, in the
/// order the handler pushed them.
#[inline]
pub fn route<M, S: Sink<M> + ?Sized>(
    from: NodeId,
    effects: impl IntoIterator<Item = Effect<M>>,
    sink: &mut S,
) {
    for effect in effects {
        match effect {
            Effect::Send { to, msg } => sink.send(from, to, msg),
            Effect::SetTimer { timer, min, max } => sink.set_timer(from, timer, min, max),
            Effect::CancelTimer { timer } => sink.cancel_timer(from, timer),
            Effect::Reply { request, outcome } => sink.reply(from, request, outcome),
            Effect::Detail { request, detail } => sink.detail(from, request, detail),
        }
    }
}

/// A message filed in its cluster while it is in flight: what the engine
/// queues in its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgRef(u32);

/// A message just sent, filed, with what the engine records of it.
#[derive(Clone, Copy, Debug)]
pub struct Filed {
    pub msg: MsgRef,
    /// Index into the protocol's message kinds.
    pub kind: u8,
    /// Bytes on a plausible wire encoding.
    pub size: u64,
    /// [`stable_hash`] of the message: what the trace folds in.
    pub digest: u64,
}

/// A handler call's effects on their way to the engine.
pub type Effects = Vec<Effect<Filed>>;

/// A protocol's cluster as the engine sees it: nodes addressed by id,
/// messages by [`MsgRef`]. One implementation, [`Nodes<P>`], per protocol.
/// Not `Debug`: a vtable entry for it would link every protocol's debug
/// formatting into the page.
pub trait Cluster {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn is_up(&self, node: NodeId) -> bool;

    /// Runs `input` through `node`'s handler (nothing, if it is down) and
    /// appends its effects, messages filed, to `out`. A delivered
    /// message leaves the cluster's files. Returns whether the node ran.
    fn react(&mut self, node: NodeId, now: Time, input: Input<MsgRef>, out: &mut Effects) -> bool;
    /// The invariants, after `changed` handled an input.
    fn check(&mut self, changed: NodeId) -> Result<(), Violation>;
    /// Crashes `node`, keeping its durable state. False if it was down.
    fn crash(&mut self, node: NodeId) -> bool;
    /// Rebuilds `node` from its durable state (the engine then starts it).
    /// False if it was running.
    fn restart(&mut self, node: NodeId) -> bool;
    /// Whether `node` is running and casts votes a user may choose.
    fn votes(&self, node: NodeId) -> bool;
    fn set_vote(&mut self, node: NodeId, yes: bool);

    /// A second copy of a filed message (the network duplicated it).
    fn copy_msg(&mut self, msg: MsgRef) -> MsgRef;
    /// Forgets a message that will not be delivered.
    fn discard(&mut self, msg: MsgRef);
    fn msg_label(&self, msg: MsgRef) -> String;

    fn view(&self, node: NodeId) -> NodeView;
    fn detail(&self, node: NodeId) -> NodeDetail;
    fn stored_versions(&self, node: NodeId) -> Vec<KeyVersions>;
    /// The term `node` leads in, if it is up and leads.
    fn leads(&self, node: NodeId) -> Option<u64>;
    /// The configuration `node` goes by, if its protocol changes
    /// membership.
    fn members(&self, node: NodeId) -> Option<MembersView>;
    /// The most decisions any running node has learned.
    fn decided(&self) -> u64;

    fn boxed_clone(&self) -> Box<dyn Cluster>;
    /// For tests that look inside a protocol: downcast to [`Nodes<P>`].
    fn as_any(&self) -> &dyn Any;
}

/// The messages in flight, by [`MsgRef`]: a slab whose free slots are
/// reused, so it stays as large as the most messages ever in flight.
#[derive(Clone, Debug)]
struct Files<M> {
    slots: Vec<Option<M>>,
    free: Vec<u32>,
}

impl<M> Files<M> {
    fn new() -> Files<M> {
        Files {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    #[inline]
    fn insert(&mut self, msg: M) -> MsgRef {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(msg);
                MsgRef(i)
            }
            None => {
                self.slots.push(Some(msg));
                MsgRef((self.slots.len() - 1) as u32)
            }
        }
    }

    #[inline]
    fn get(&self, r: MsgRef) -> &M {
        // The engine holds a reference only while the message is queued.
        self.slots[r.0 as usize]
            .as_ref()
            .expect("a queued message is filed")
    }

    #[inline]
    fn take(&mut self, r: MsgRef) -> M {
        let msg = self.slots[r.0 as usize]
            .take()
            .expect("a queued message is filed");
        self.free.push(r.0);
        msg
    }
}

/// The sink a handler's effects go through on their way to the engine:
/// messages are filed, everything else passes as it is.
struct Filing<'a, P: Protocol> {
    files: &'a mut Files<P::Msg>,
    effects: &'a mut Vec<Effect<Filed>>,
}

impl<P: Protocol> Sink<P::Msg> for Filing<'_, P> {
    fn send(&mut self, _from: NodeId, to: NodeId, msg: P::Msg) {
        let filed = Filed {
            kind: P::msg_kind(&msg),
            size: P::msg_size(&msg) as u64,
            digest: stable_hash(&msg),
            msg: self.files.insert(msg),
        };
        self.effects.push(Effect::Send { to, msg: filed });
    }

    fn set_timer(&mut self, _node: NodeId, timer: TimerId, min: Span, max: Span) {
        self.effects.push(Effect::SetTimer { timer, min, max });
    }

    fn cancel_timer(&mut self, _node: NodeId, timer: TimerId) {
        self.effects.push(Effect::CancelTimer { timer });
    }

    fn reply(&mut self, _node: NodeId, request: RequestId, outcome: Outcome) {
        self.effects.push(Effect::Reply { request, outcome });
    }

    fn detail(&mut self, _node: NodeId, request: RequestId, detail: OpDetail) {
        self.effects.push(Effect::Detail { request, detail });
    }
}

/// One protocol's cluster: the [`Cluster`] of protocol `P`.
#[derive(Clone, Debug)]
pub struct Nodes<P: Protocol> {
    config: P::Config,
    slots: Vec<Slot<P>>,
    files: Files<P::Msg>,
    checker: P::Checker,
    /// Reused by every handler call, so calls that say nothing allocate
    /// nothing.
    out: Out<P::Msg>,
}

impl<P: Protocol> Nodes<P> {
    /// `nodes` freshly started nodes (their `on_start` is the engine's to
    /// call).
    pub fn new(config: P::Config, nodes: u16) -> Nodes<P> {
        let n = usize::from(nodes);
        Nodes {
            slots: (0..n)
                .map(|i| Slot::Up(P::new(NodeId(i as u16), n, &config)))
                .collect(),
            checker: P::Checker::new(n, &config),
            config,
            files: Files::new(),
            out: Out::new(NodeId(0), nodes),
        }
    }

    pub fn config(&self) -> &P::Config {
        &self.config
    }

    pub fn slots(&self) -> &[Slot<P>] {
        &self.slots
    }

    /// The node, if it is running.
    pub fn node(&self, id: NodeId) -> Option<&P> {
        self.slots.get(id.index()).and_then(Slot::up)
    }

    pub fn checker(&self) -> &P::Checker {
        &self.checker
    }

    /// What `f` says of node `id`: of the running node, or of one rebuilt
    /// from its durable state without starting it.
    fn either<T>(&self, id: NodeId, f: impl Fn(&P) -> T) -> T {
        match &self.slots[id.index()] {
            Slot::Up(p) => f(p),
            Slot::Down(durable) => f(&P::recover(
                id,
                self.slots.len(),
                &self.config,
                durable.clone(),
            )),
        }
    }
}

impl<P: Protocol> Cluster for Nodes<P> {
    fn len(&self) -> usize {
        self.slots.len()
    }

    fn is_up(&self, node: NodeId) -> bool {
        self.slots[node.index()].up().is_some()
    }

    fn react(&mut self, node: NodeId, now: Time, input: Input<MsgRef>, out: &mut Effects) -> bool {
        let input = match input {
            Input::Message { from, msg } => Input::Message {
                from,
                msg: self.files.take(msg),
            },
            Input::Start => Input::Start,
            Input::Timer(timer) => Input::Timer(timer),
            Input::Request(request) => Input::Request(request),
            Input::Reconfigure(change) => Input::Reconfigure(change),
        };
        if !react(
            &mut self.slots[node.index()],
            &mut self.out,
            node,
            now,
            input,
        ) {
            return false;
        }
        let mut filing = Filing::<P> {
            files: &mut self.files,
            effects: out,
        };
        route(node, self.out.drain(), &mut filing);
        true
    }

    fn check(&mut self, changed: NodeId) -> Result<(), Violation> {
        self.checker.check(&self.slots, changed)
    }

    fn crash(&mut self, node: NodeId) -> bool {
        let slot = &mut self.slots[node.index()];
        let Slot::Up(state) = slot else {
            return false;
        };
        *slot = Slot::Down(state.durable());
        self.checker.on_crash(node);
        true
    }

    fn restart(&mut self, node: NodeId) -> bool {
        let Slot::Down(durable) = &self.slots[node.index()] else {
            return false;
        };
        let state = P::recover(node, self.slots.len(), &self.config, durable.clone());
        self.slots[node.index()] = Slot::Up(state);
        true
    }

    fn votes(&self, node: NodeId) -> bool {
        self.slots[node.index()].up().is_some_and(P::votes)
    }

    fn set_vote(&mut self, node: NodeId, yes: bool) {
        if let Slot::Up(state) = &mut self.slots[node.index()] {
            if state.votes() {
                state.set_vote(yes);
            }
        }
    }

    fn copy_msg(&mut self, msg: MsgRef) -> MsgRef {
        let copy = self.files.get(msg).clone();
        self.files.insert(copy)
    }

    fn discard(&mut self, msg: MsgRef) {
        self.files.take(msg);
    }

    fn msg_label(&self, msg: MsgRef) -> String {
        P::msg_label(self.files.get(msg))
    }

    fn view(&self, node: NodeId) -> NodeView {
        let mut view = self.either(node, P::view);
        if !self.is_up(node) {
            view.role = RoleKind::Down;
            view.role_label = "down";
            view.leader = None;
        }
        view
    }

    fn detail(&self, node: NodeId) -> NodeDetail {
        self.either(node, P::detail)
    }

    fn stored_versions(&self, node: NodeId) -> Vec<KeyVersions> {
        self.either(node, P::stored_versions)
    }

    fn leads(&self, node: NodeId) -> Option<u64> {
        self.node(node).and_then(P::leads)
    }

    fn members(&self, node: NodeId) -> Option<MembersView> {
        self.either(node, P::members)
    }

    fn decided(&self) -> u64 {
        self.slots
            .iter()
            .filter_map(Slot::up)
            .map(P::decided)
            .max()
            .unwrap_or(0)
    }

    fn boxed_clone(&self) -> Box<dyn Cluster> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
