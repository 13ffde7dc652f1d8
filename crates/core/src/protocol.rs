//! The one trait every protocol implements, and the vocabulary it shares with
//! the simulator and the UI.
//!
//! A protocol is a plain state machine. It is handed inputs (start, message,
//! timer, client request) and pushes effects into an [`Out`]: messages to
//! send, timers to set or cancel, replies to clients. It never sees the
//! network, the clock or the random number generator; the simulator owns
//! those. For display it exposes a [`NodeView`] in generic terms (role, term,
//! log, key-value contents) so the UI can draw any protocol without knowing
//! its internals.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Debug;
use core::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::id::{ClientId, NodeId, RequestId};
use crate::time::{Span, Time};

/// A timer of one node, numbered by the protocol. Setting a timer that is
/// already set replaces it.
pub type TimerId = u8;

/// A client operation on the replicated key-value map.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Op {
    Get { key: String },
    Put { key: String, value: String },
    Append { key: String, value: String },
}

impl Op {
    pub fn key(&self) -> &str {
        match self {
            Op::Get { key } | Op::Put { key, .. } | Op::Append { key, .. } => key,
        }
    }

    pub fn is_read(&self) -> bool {
        matches!(self, Op::Get { .. })
    }
}

impl core::fmt::Display for Op {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Op::Get { key } => write!(f, "get {key}"),
            Op::Put { key, value } => write!(f, "put {key}={value}"),
            Op::Append { key, value } => write!(f, "append {key}+={value}"),
        }
    }
}

/// A client's request as it reaches a node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientRequest {
    pub id: RequestId,
    pub client: ClientId,
    pub op: Op,
}

/// What a node answers a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// The operation took effect. Reads carry the value read (`None`: the
    /// key has no value).
    Ok { value: Option<String> },
    /// Not the leader; try this node instead, if known. The operation did
    /// not take effect.
    Redirect { leader: Option<NodeId> },
    /// The operation definitely did not take effect.
    Fail { reason: String },
}

/// Something a node wants done. The simulator carries it out.
#[derive(Clone, Debug)]
pub enum Effect<M> {
    Send {
        to: NodeId,
        msg: M,
    },
    /// Fire `timer` after a delay the simulator draws uniformly from
    /// `min..=max` with its own RNG, so protocols stay deterministic and
    /// need no randomness of their own.
    SetTimer {
        timer: TimerId,
        min: Span,
        max: Span,
    },
    CancelTimer {
        timer: TimerId,
    },
    Reply {
        request: RequestId,
        outcome: Outcome,
    },
    /// Extra facts about a request's answer (which replicas answered, the
    /// versions returned), sent just before its `Reply`.
    Detail {
        request: RequestId,
        detail: OpDetail,
    },
}

/// What a replicated store adds to an answer: who answered and with which
/// versions. The simulator files it in the request's history entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OpDetail {
    /// Reads: the replicas whose answers made the reply. Writes: the
    /// replicas that acknowledged before the reply.
    pub replicas: Vec<NodeId>,
    /// Of `replicas`, those standing in for an unreachable replica
    /// (sloppy quorum).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fallbacks: Vec<NodeId>,
    /// Reads: the versions returned (more than one: siblings). Writes: the
    /// version written.
    pub versions: Vec<crate::version::Version>,
}

/// Where a node's handlers push their effects. One `Out` is reused across
/// calls, so handlers allocate nothing when they have nothing to say.
#[derive(Clone, Debug)]
pub struct Out<M> {
    now: Time,
    me: NodeId,
    nodes: u16,
    effects: Vec<Effect<M>>,
}

impl<M> Out<M> {
    pub fn new(me: NodeId, nodes: u16) -> Out<M> {
        Out {
            now: Time::ZERO,
            me,
            nodes,
            effects: Vec::new(),
        }
    }

    /// Readies the buffer for one handler call of node `me` at `now`.
    pub fn reset(&mut self, me: NodeId, now: Time) {
        self.me = me;
        self.now = now;
        self.effects.clear();
    }

    /// The simulated time of the input being handled. Protocols with leases
    /// need it; most should not.
    pub fn now(&self) -> Time {
        self.now
    }

    pub fn me(&self) -> NodeId {
        self.me
    }

    /// How many nodes the cluster has.
    pub fn cluster_size(&self) -> usize {
        usize::from(self.nodes)
    }

    pub fn send(&mut self, to: NodeId, msg: M) {
        self.effects.push(Effect::Send { to, msg });
    }

    /// Sends `msg` to every node but this one.
    pub fn broadcast(&mut self, msg: M)
    where
        M: Clone,
    {
        for n in 0..self.nodes {
            if n != self.me.0 {
                self.effects.push(Effect::Send {
                    to: NodeId(n),
                    msg: msg.clone(),
                });
            }
        }
    }

    pub fn set_timer(&mut self, timer: TimerId, min: Span, max: Span) {
        self.effects.push(Effect::SetTimer { timer, min, max });
    }

    pub fn cancel_timer(&mut self, timer: TimerId) {
        self.effects.push(Effect::CancelTimer { timer });
    }

    pub fn reply(&mut self, request: RequestId, outcome: Outcome) {
        self.effects.push(Effect::Reply { request, outcome });
    }

    /// Answers `request` with "ask `leader` instead" (or "nobody leads
    /// that I know of").
    pub fn redirect(&mut self, request: RequestId, leader: Option<NodeId>) {
        self.reply(request, Outcome::Redirect { leader });
    }

    /// Attaches details to the answer of `request`; call before `reply`.
    pub fn detail(&mut self, request: RequestId, detail: OpDetail) {
        self.effects.push(Effect::Detail { request, detail });
    }

    pub fn effects(&self) -> &[Effect<M>] {
        &self.effects
    }

    pub fn drain(&mut self) -> alloc::vec::Drain<'_, Effect<M>> {
        self.effects.drain(..)
    }
}

/// A change to the set of servers that vote, asked of the node in charge
/// (`Action::AddServer`, `Action::RemoveServer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemberChange {
    Add(NodeId),
    Remove(NodeId),
}

impl MemberChange {
    /// The server added or removed.
    pub fn server(self) -> NodeId {
        match self {
            MemberChange::Add(n) | MemberChange::Remove(n) => n,
        }
    }
}

/// A node's configuration as the canvas and inspector show it: who votes,
/// and whether a change is under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct MembersView {
    /// The voting members (bit `i`: node `i`). During a joint change, the
    /// old configuration.
    pub members: u64,
    /// During a joint change (C_old,new): the new configuration. A decision
    /// then needs a majority of each.
    pub joining: Option<u64>,
    /// Whether this configuration is committed in the node's log.
    pub committed: bool,
}

/// How the UI should draw a role, the same way for every protocol: shape and
/// label carry the meaning, colour only reinforces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleKind {
    /// Following, accepting, participating: the quiet majority.
    Follower,
    /// Trying to become the one in charge (candidate, proposer in phase 1).
    Candidate,
    /// In charge (leader, coordinator, distinguished proposer).
    Leader,
    /// Crashed: the simulator fills this in, protocols never report it.
    Down,
}

/// One log entry, as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryView {
    pub index: u64,
    pub term: u64,
    pub committed: bool,
    /// A short rendering of the command, such as `put x=1`.
    pub label: String,
}

/// What the UI may know of a node. Cheap enough to build every frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeView {
    pub role: RoleKind,
    /// The protocol's own word for the role: `leader`, `prepared`, ...
    pub role_label: &'static str,
    /// Term, ballot or epoch: the protocol's logical clock.
    pub term: u64,
    /// What `term` is called in this protocol.
    pub term_label: &'static str,
    /// Number of log entries (0 for protocols without a log).
    pub log_len: u64,
    /// Highest index known committed.
    pub commit_index: u64,
    /// The last few entries, oldest first, for the compact log strip.
    pub log_tail: Vec<EntryView>,
    /// Who this node believes leads, if anyone.
    pub leader: Option<NodeId>,
    /// Atomic commit: the oldest transaction this participant voted yes on
    /// and cannot decide alone (2PC's *in doubt*), since when it voted. The
    /// UI shows for how long, live; `None` for other protocols.
    pub in_doubt_since: Option<Time>,
}

/// A node's full state for the inspector: every log entry and the state
/// machine's contents. Built only on demand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeDetail {
    pub log: Vec<EntryView>,
    pub kv: Vec<(String, String)>,
    /// Protocol-specific lines worth showing (`votedFor: n2`, ...).
    pub fields: Vec<(&'static str, String)>,
}

/// A broken invariant, in words a person can read, with what to highlight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Index into the protocol checker's `INVARIANTS`.
    pub invariant: usize,
    pub message: String,
    pub nodes: Vec<NodeId>,
    /// `(node, log index)` pairs involved.
    pub entries: Vec<(NodeId, u64)>,
}

impl Violation {
    /// A violation that names nodes but no log positions.
    pub fn of_nodes(invariant: usize, message: String, nodes: Vec<NodeId>) -> Violation {
        Violation {
            invariant,
            message,
            nodes,
            entries: Vec::new(),
        }
    }

    /// A violation at the same log position on each of `nodes`.
    pub fn at(invariant: usize, message: String, nodes: Vec<NodeId>, index: u64) -> Violation {
        let entries = nodes.iter().map(|n| (*n, index)).collect();
        Violation {
            invariant,
            message,
            nodes,
            entries,
        }
    }
}

/// A node slot in the simulator: running, or crashed with only its durable
/// state left.
#[derive(Clone, Debug)]
pub enum Slot<P: Protocol> {
    Up(P),
    Down(P::Durable),
}

impl<P: Protocol> Slot<P> {
    pub fn up(&self) -> Option<&P> {
        match self {
            Slot::Up(p) => Some(p),
            Slot::Down(_) => None,
        }
    }
}

/// A protocol's safety invariants, checked after every event. A checker may
/// keep history (which leader each term had, what each index committed to)
/// so that checks are incremental: an event touches one node, and the check
/// looks at what changed on that node, not at the whole cluster.
pub trait Checker<P: Protocol>: Clone + Debug {
    /// The invariants' names, shown in the UI's invariants panel.
    const INVARIANTS: &'static [&'static str];

    fn new(nodes: usize, config: &P::Config) -> Self;

    /// Called after `changed` handled an input (or restarted).
    fn check(&mut self, nodes: &[Slot<P>], changed: NodeId) -> Result<(), Violation>;

    /// Called when `node` crashes; volatile state the checker tracked for
    /// it is gone.
    fn on_crash(&mut self, _node: NodeId) {}
}

/// A distributed protocol, as a state machine per node.
pub trait Protocol: Clone + Debug + Sized + 'static {
    type Config: Clone + Debug + PartialEq;
    type Msg: Clone + Debug + Hash;
    /// What survives a crash: the protocol declares it, the simulator keeps
    /// it while the node is down and hands it back on restart.
    /// Its default is a node's state on first boot.
    type Durable: Clone + Debug + Default;
    type Checker: Checker<Self>;

    const NAME: &'static str;
    /// Message kinds, indexed by [`Protocol::msg_kind`], for colours and the
    /// legend.
    const MSG_KINDS: &'static [&'static str];
    /// The timer a user may fire by hand (an election timeout), with its name.
    const USER_TIMER: Option<(TimerId, &'static str)>;

    /// A node's first boot: recovery from nothing.
    fn new(id: NodeId, nodes: usize, config: &Self::Config) -> Self {
        Self::recover(id, nodes, config, Self::Durable::default())
    }
    fn recover(id: NodeId, nodes: usize, config: &Self::Config, durable: Self::Durable) -> Self;
    fn durable(&self) -> Self::Durable;

    fn on_start(&mut self, out: &mut Out<Self::Msg>);
    fn on_message(&mut self, from: NodeId, msg: Self::Msg, out: &mut Out<Self::Msg>);
    fn on_timer(&mut self, timer: TimerId, out: &mut Out<Self::Msg>);
    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<Self::Msg>);

    fn view(&self) -> NodeView;
    fn detail(&self) -> NodeDetail;

    /// How many decisions this node has learned: committed log entries,
    /// decided transactions, chosen values. With message and byte counts it
    /// gives the cost per decision, so protocols can be compared.
    fn decided(&self) -> u64;

    fn msg_kind(msg: &Self::Msg) -> u8;
    /// The message's size on a plausible wire encoding (fixed-width
    /// integers, length-prefixed strings), in bytes.
    fn msg_size(msg: &Self::Msg) -> usize;
    /// A short label such as `AE t3 [5..7]` or `Vote? t4`.
    fn msg_label(msg: &Self::Msg) -> String;

    /// Whether this node casts votes a user may choose (a commit
    /// participant), through [`Protocol::set_vote`].
    fn votes(&self) -> bool {
        false
    }

    /// A user's choice of this node's vote on every transaction it is asked
    /// about from now on (`Action::Vote`). It is the participant's own
    /// decision, so it survives a crash. Called only when
    /// [`Protocol::votes`] is true; it sends nothing.
    fn set_vote(&mut self, _yes: bool) {}
    /// The term (ballot, epoch) this node leads in, if it leads. A timeline
    /// asks after every event to mark leader changes; the default builds a
    /// whole view, so protocols with a cheap answer should give it.
    fn leads(&self) -> Option<u64> {
        let view = self.view();
        (view.role == RoleKind::Leader).then_some(view.term)
    }

    /// A user's (or scenario's) request to the node in charge to add or
    /// remove a voting server. Called only on a node that [`leads`]; a
    /// protocol without membership changes ignores it.
    ///
    /// [`leads`]: Protocol::leads
    fn reconfigure(&mut self, _change: MemberChange, _out: &mut Out<Self::Msg>) {}

    /// The configuration this node goes by, for protocols whose set of
    /// voters can change (`None` for the rest).
    fn members(&self) -> Option<MembersView> {
        None
    }

    /// Every version the node stores, for stores that keep versions
    /// (empty for the rest).
    fn stored_versions(&self) -> Vec<crate::version::KeyVersions> {
        Vec::new()
    }

    /// Whether the node in `slot` (running, or crashed with its durable
    /// state) ignores `msg` now and in every state it can reach from here,
    /// restarts included: delivering it changes nothing and sends
    /// nothing. The explorer may then forget the message
    /// ([`crate::explore::protocol::Bounds::forget_ignored`]), so an answer
    /// of `true` must hold for good; `false` (the default) is always safe.
    fn ignores(_slot: &Slot<Self>, _msg: &Self::Msg) -> bool {
        false
    }
}
