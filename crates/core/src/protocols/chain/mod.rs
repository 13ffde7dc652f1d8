//! # Chain replication
//!
//! Chain replication (van Renesse and Schneider, "Chain Replication for
//! Supporting High Throughput and Availability", OSDI 2004) keeps copies
//! of a key-value store on servers arranged in a chain.
//!
//! - **Updates** (§2): a write enters at the head, which applies it and
//!   passes it down; each server applies what its predecessor sends, in
//!   order, and passes it on. The tail answers the client: a write is
//!   acknowledged once the tail holds it, and then every server does.
//! - **Queries**: reads go to the tail, which holds only acknowledged
//!   writes, so reads are linearizable without any coordination.
//! - **Acknowledgements** flow back up the chain, so each server can drop
//!   what the tail holds from its *sent* list, the updates it passed down
//!   that may still be missing further on.
//! - **The master** (§3) detects failures and reconfigures. The paper
//!   runs it as a Paxos-replicated service; here it is one fixed node,
//!   `n0`, outside the chain (it keeps its configuration across a crash,
//!   and while it is down nobody reconfigures). It probes every server each
//!   `heartbeat`; a member silent for `failure_timeout` is suspected and
//!   removed in a new *epoch*. A head's failure makes its successor the
//!   head, a tail's its predecessor the tail (§3.1, §3.2); a middle
//!   server's failure makes its predecessor resend its sent list to its new
//!   successor (§3.3). A server the master hears again joins at the end
//!   (§3.4): it drops what it held and copies the tail's history before it
//!   answers anything as the tail.
//! - **Leases**: the paper assumes failures are detected perfectly; under
//!   partitions they are not, and a tail the master has removed may still
//!   be alive. A probe grants a lease, `lease` long from the probe's
//!   sending, and a tail answers reads only while it holds one; the master
//!   stops probing a suspect and removes it only once the last lease it
//!   granted it has run out.
//! - **Persistence**: each server's history (the updates it applied, in
//!   order), its configuration and whether it has caught up survive a
//!   crash.
//!
//! Every message of the chain carries its epoch, and a server takes
//! updates only from its predecessor in its own epoch; a gap (an update
//! lost on the way) makes it say what it holds (`Nack`), and its
//! predecessor resends from there.
//!
//! Two variants are broken on purpose: [`ChainVariant::AckAtHead`]
//! acknowledges a write at the head, before the tail holds it, and
//! [`ChainVariant::RejoinStale`] lets a server rejoin with the history it
//! had, which may hold updates the chain never kept.

mod checker;
mod descriptor;
#[cfg(test)]
mod tests;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

pub use checker::ChainChecker;

use crate::id::{NodeId, RequestId};
use crate::protocol::{
    ClientRequest, EntryView, NodeDetail, NodeView, Op, Out, Outcome, Protocol, RoleKind, TimerId,
};
use crate::protocols::state_machine::{self, Store};
use crate::pvec::PVec;
use crate::scenario::ScenarioError;
use crate::time::{Span, Time};
use crate::trace::stable_hash;

/// The master's probe round.
const HEARTBEAT: TimerId = 0;

/// The fixed master, outside the chain.
pub const MASTER: NodeId = NodeId(0);

/// A configuration's number; every change of the chain makes a new one.
pub type Epoch = u64;

/// The epoch every node knows from the start: the chain `n1 … n(N-1)`.
const FIRST_EPOCH: Epoch = 1;

/// Which chain replication to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainVariant {
    #[default]
    Correct,
    /// Broken on purpose: the head acknowledges a write as soon as it has
    /// applied it, so a read at the tail can miss an acknowledged write.
    AckAtHead,
    /// Broken on purpose: a server that rejoins keeps the history it had,
    /// which may hold an update the chain lost with it, instead of taking
    /// the tail's.
    RejoinStale,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// How often the master probes every server.
    pub heartbeat: Span,
    /// How long a probe lets the tail answer reads, from its sending.
    pub lease: Span,
    /// Silence after which the master suspects a member of the chain.
    pub failure_timeout: Span,
    /// The most updates one message carries.
    pub max_batch: u32,
    pub variant: ChainVariant,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            heartbeat: Span::from_millis(50),
            lease: Span::from_millis(150),
            failure_timeout: Span::from_millis(300),
            max_batch: 64,
            variant: ChainVariant::Correct,
        }
    }
}

impl ChainConfig {
    /// Checks the fields; the cluster's size is checked by the
    /// registration, whose error names `nodes`.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.heartbeat.0 == 0 {
            return Err(ScenarioError::new("heartbeat", "must be greater than zero"));
        }
        if self.lease <= self.heartbeat {
            return Err(ScenarioError::new(
                "lease",
                format!(
                    "must be longer than the heartbeat ({}), or the tail's lease lapses \
                     between probes",
                    self.heartbeat
                ),
            ));
        }
        if self.failure_timeout <= self.lease {
            return Err(ScenarioError::new(
                "failure_timeout",
                format!("must be longer than the lease ({})", self.lease),
            ));
        }
        if self.max_batch == 0 {
            return Err(ScenarioError::new("max_batch", "must be at least 1"));
        }
        Ok(())
    }
}

/// A write as it travels down the chain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Update {
    pub request: RequestId,
    pub op: Op,
}

/// One applied update. `digest` folds in every update before it, so two
/// histories agree up to a position exactly when their digests there do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// Shared: an update is passed down and resent, never changed.
    pub update: Arc<Update>,
    /// The epoch in which the head took it.
    pub epoch: Epoch,
    pub digest: u64,
}

/// A member of the chain and the epoch in which it (last) joined: a
/// server that sees a later join epoch than its own has been removed and
/// taken back, and starts over.
pub type Member = (NodeId, Epoch);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChainMsg {
    /// Updates `start + 1 ..= start + entries.len()`, and how many the
    /// sender held (`upto`), so a server catching up knows when it has.
    Update {
        epoch: Epoch,
        start: u64,
        entries: Vec<Entry>,
        upto: u64,
    },
    /// The tail holds the first `upto` updates.
    Ack { epoch: Epoch, upto: u64 },
    /// A gap: the sender holds only `have` updates.
    Nack { epoch: Epoch, have: u64 },
    /// The master's probe, with the configuration and a lease from `sent`.
    Ping {
        epoch: Epoch,
        chain: Arc<[Member]>,
        sent: Time,
    },
    Pong {
        epoch: Epoch,
        /// Whether the server holds its predecessor's history (has caught
        /// up since it joined).
        synced: bool,
    },
}

/// What survives a crash.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChainDurable {
    history: PVec<Entry>,
    epoch: Epoch,
    chain: Arc<[Member]>,
    joined: Epoch,
    synced: bool,
    /// The master's: which members have caught up, as far as it knows.
    caught_up: u64,
}

/// The engine asks every protocol for a first-boot durable state; the
/// chain's depends on the cluster's size, so [`Chain::new`] builds it and
/// this one (no members, nothing held) only satisfies the bound.
impl Default for ChainDurable {
    fn default() -> ChainDurable {
        ChainDurable {
            history: PVec::new(),
            epoch: FIRST_EPOCH,
            chain: Arc::from([]),
            joined: FIRST_EPOCH,
            synced: true,
            caught_up: 0,
        }
    }
}

/// One node: the master (`n0`) or a server of the chain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Chain {
    id: NodeId,
    nodes: usize,
    config: ChainConfig,
    // Persistent.
    /// `history[i - 1]` is update `i`.
    pub(crate) history: PVec<Entry>,
    pub(crate) epoch: Epoch,
    pub(crate) chain: Arc<[Member]>,
    /// The join epoch this server's history belongs to.
    joined: Epoch,
    /// Holds its predecessor's history as of joining.
    synced: bool,
    caught_up: u64,
    // Volatile: a server.
    kv: Store,
    /// The tail is known to hold the first `acked` updates; what follows
    /// is the sent list.
    acked: u64,
    /// `acked` at the last probe: unchanged, with updates pending, means
    /// something was lost on the way down.
    acked_at_probe: u64,
    /// The next update to pass to the successor.
    succ_next: u64,
    lease_until: Time,
    // Volatile: the master.
    heard: Vec<Time>,
    pinged: Vec<Time>,
    suspected: u64,
    // For the checker: writes this node acknowledged to clients, reads it
    // answered, and how many updates it held for the last one.
    pub(crate) replied: u64,
    pub(crate) reads: u64,
    pub(crate) read_at: u64,
}

/// An update on the wire: request id, a kind byte, the key and the value,
/// each with a two-byte length.
fn update_wire_size(update: &Update) -> usize {
    let (key, value) = match &update.op {
        Op::Get { key } => (key, ""),
        Op::Put { key, value } | Op::Append { key, value } => (key, value.as_str()),
    };
    8 + 1 + 2 + key.len() + 2 + value.len()
}

fn first_chain(nodes: usize) -> Arc<[Member]> {
    (1..nodes as u16)
        .map(|n| (NodeId(n), FIRST_EPOCH))
        .collect()
}

fn bit(n: NodeId) -> u64 {
    1u64 << n.0
}

impl Chain {
    pub fn history(&self) -> &PVec<Entry> {
        &self.history
    }

    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    fn len(&self) -> u64 {
        self.history.len() as u64
    }

    fn position(&self) -> Option<usize> {
        self.chain.iter().position(|(n, _)| *n == self.id)
    }

    /// The server before this one in its configuration.
    pub fn predecessor(&self) -> Option<NodeId> {
        let i = self.position()?;
        i.checked_sub(1).map(|p| self.chain[p].0)
    }

    /// The server after this one in its configuration.
    pub fn successor(&self) -> Option<NodeId> {
        let i = self.position()?;
        self.chain.get(i + 1).map(|m| m.0)
    }

    fn head(&self) -> Option<NodeId> {
        self.chain.first().map(|m| m.0)
    }

    fn tail(&self) -> Option<NodeId> {
        self.chain.last().map(|m| m.0)
    }

    fn is_master(&self) -> bool {
        self.id == MASTER
    }

    fn is_head(&self) -> bool {
        self.head() == Some(self.id)
    }

    fn is_tail(&self) -> bool {
        self.tail() == Some(self.id)
    }

    /// Applies `update` as the next entry of the history.
    fn apply(&mut self, update: Arc<Update>, epoch: Epoch) {
        let before = self.history.last().map_or(0, |e| e.digest);
        // Reads never enter the chain, so nothing is answered from here.
        state_machine::apply(&mut self.kv, &update.op);
        let digest = stable_hash(&(before, &*update));
        self.history.push(Entry {
            update,
            epoch,
            digest,
        });
    }

    /// Rebuilds the store from the history (after a restart).
    fn replay(&mut self) {
        let history = core::mem::take(&mut self.history);
        self.kv.clear();
        for e in history.iter() {
            self.apply(e.update.clone(), e.epoch);
        }
    }

    /// Passes the next batch of the sent list to the successor.
    fn pump(&mut self, out: &mut Out<ChainMsg>) {
        let Some(succ) = self.successor() else {
            return;
        };
        if self.succ_next >= self.len() {
            return;
        }
        let start = self.succ_next;
        let end = (start + u64::from(self.config.max_batch)).min(self.len());
        self.succ_next = end;
        self.send_updates(succ, start, end, out);
    }

    fn send_updates(&self, to: NodeId, start: u64, end: u64, out: &mut Out<ChainMsg>) {
        let entries = self
            .history
            .range(start as usize..end as usize)
            .cloned()
            .collect();
        out.send(
            to,
            ChainMsg::Update {
                epoch: self.epoch,
                start,
                entries,
                upto: self.len(),
            },
        );
    }

    /// As the tail: acknowledges to clients every update it holds that it
    /// has not, and tells its predecessor.
    fn acknowledge(&mut self, out: &mut Out<ChainMsg>) {
        // Without a lease the master may have replaced this tail (or never
        // told it of a later chain): it holds what it acknowledges, but its
        // chain may no longer be the master's.
        // Unsynced or unleased, only the flow upstream goes on.
        if self.synced && out.now() < self.lease_until {
            for i in self.replied.max(self.acked)..self.len() {
                let request = self.history[i as usize].update.request;
                out.reply(request, Outcome::Ok { value: None });
            }
            self.replied = self.replied.max(self.len());
            self.acked = self.len();
        }
        if let Some(pred) = self.predecessor() {
            out.send(
                pred,
                ChainMsg::Ack {
                    epoch: self.epoch,
                    upto: self.len(),
                },
            );
        }
    }

    /// Takes configuration `epoch`.
    fn install(&mut self, epoch: Epoch, chain: Arc<[Member]>, out: &mut Out<ChainMsg>) {
        let was_tail = self.is_tail();
        self.epoch = epoch;
        self.chain = chain;
        self.lease_until = Time::ZERO;
        let Some(i) = self.position() else {
            return;
        };
        let joined = self.chain[i].1;
        if joined != self.joined {
            // Taken back after a removal: what it held may include updates
            // the chain never kept (§3.4: a new server copies the tail's).
            self.joined = joined;
            self.synced = false;
            if self.config.variant != ChainVariant::RejoinStale {
                self.history = PVec::new();
                self.kv.clear();
            }
            self.acked = 0;
            self.replied = 0;
        }
        self.acked = self.acked.min(self.len());
        if let Some(succ) = self.successor() {
            // A new successor may lack anything not known to be at the
            // tail (§3.3, the sent list); one that just joined has nothing.
            let fresh = self.chain[i + 1].1 == epoch;
            self.succ_next = if fresh { 0 } else { self.acked };
            // Sent even when empty: it tells a joining server how much to
            // expect. What the old epoch still has in flight is dropped.
            let end = (self.succ_next + u64::from(self.config.max_batch)).min(self.len());
            self.send_updates(succ, self.succ_next, end, out);
            self.succ_next = end;
        } else if !was_tail {
            // The new tail (§3.2): its updates beyond the old tail's
            // acknowledgements are acknowledged now.
            self.acknowledge(out);
        }
    }

    fn on_update(
        &mut self,
        from: NodeId,
        start: u64,
        entries: Vec<Entry>,
        upto: u64,
        out: &mut Out<ChainMsg>,
    ) {
        let len = self.len();
        if start > len {
            out.send(
                from,
                ChainMsg::Nack {
                    epoch: self.epoch,
                    have: len,
                },
            );
            return;
        }
        let end = start + entries.len() as u64;
        for e in entries.into_iter().skip((len - start) as usize) {
            self.apply(e.update, e.epoch);
        }
        if !self.synced && end == upto && self.len() >= upto {
            self.synced = true;
        }
        if self.is_tail() {
            self.acknowledge(out);
        } else {
            if self.acked > start {
                // A resend of what the tail already holds: the sender has
                // lost track (it restarted), so tell it again.
                out.send(
                    from,
                    ChainMsg::Ack {
                        epoch: self.epoch,
                        upto: self.acked,
                    },
                );
            }
            self.pump(out);
        }
    }

    fn on_ack(&mut self, upto: u64, out: &mut Out<ChainMsg>) {
        let upto = upto.min(self.len());
        if upto > self.acked {
            self.acked = upto;
            if let Some(pred) = self.predecessor() {
                out.send(
                    pred,
                    ChainMsg::Ack {
                        epoch: self.epoch,
                        upto,
                    },
                );
            }
        }
        self.succ_next = self.succ_next.max(upto);
        self.pump(out);
    }

    fn on_nack(&mut self, have: u64, out: &mut Out<ChainMsg>) {
        if have < self.succ_next {
            self.succ_next = have;
            self.pump(out);
        }
    }

    fn on_ping(
        &mut self,
        epoch: Epoch,
        chain: Arc<[Member]>,
        sent: Time,
        out: &mut Out<ChainMsg>,
    ) {
        if epoch < self.epoch {
            return;
        }
        if epoch > self.epoch {
            self.install(epoch, chain, out);
        }
        if self.position().is_some() {
            self.lease_until = self.lease_until.max(sent + self.config.lease);
            if self.acked < self.len() && self.acked == self.acked_at_probe {
                // Nothing came back since the last probe: resend the sent
                // list, in case an update or its acknowledgement was lost.
                self.succ_next = self.acked;
                self.pump(out);
            }
            self.acked_at_probe = self.acked;
            if self.is_tail() {
                self.acknowledge(out);
            }
        }
        out.send(
            MASTER,
            ChainMsg::Pong {
                epoch: self.epoch,
                synced: self.synced,
            },
        );
    }

    /// The master's round: suspect the silent, remove suspects whose lease
    /// has run out, probe everyone else.
    fn probe(&mut self, out: &mut Out<ChainMsg>) {
        let now = out.now();
        let mut suspected = self.suspected;
        for &(n, _) in self.chain.iter() {
            if now.0.saturating_sub(self.heard[n.index()].0) > self.config.failure_timeout.0 {
                suspected |= bit(n);
            }
        }
        self.suspected = suspected;
        let mut chain: Vec<Member> = self.chain.to_vec();
        for &(n, _) in self.chain.iter() {
            let lapsed = self.pinged[n.index()] + self.config.lease <= now;
            // Never remove the last member that holds everything: the
            // chain's data would go with it.
            let keeps_data = chain
                .iter()
                .any(|&(m, _)| m != n && self.caught_up & bit(m) != 0);
            if self.suspected & bit(n) == 0 {
                continue;
            }
            if !keeps_data {
                // Probe it again: the chain waits for it.
                self.suspected &= !bit(n);
            } else if lapsed {
                chain.retain(|&(m, _)| m != n);
                self.suspected &= !bit(n);
            }
        }
        if chain.len() != self.chain.len() {
            self.reconfigure(chain.into(), out);
        } else {
            self.ping_all(out);
        }
        out.set_timer(HEARTBEAT, self.config.heartbeat, self.config.heartbeat);
    }

    fn reconfigure(&mut self, chain: Arc<[Member]>, out: &mut Out<ChainMsg>) {
        self.epoch += 1;
        self.chain = chain;
        self.ping_all(out);
    }

    fn ping_all(&mut self, out: &mut Out<ChainMsg>) {
        let now = out.now();
        for n in 1..self.nodes as u16 {
            let n = NodeId(n);
            if self.suspected & bit(n) == 0 {
                self.pinged[n.index()] = now;
                out.send(
                    n,
                    ChainMsg::Ping {
                        epoch: self.epoch,
                        chain: self.chain.clone(),
                        sent: now,
                    },
                );
            }
        }
    }

    fn on_pong(&mut self, from: NodeId, epoch: Epoch, synced: bool, out: &mut Out<ChainMsg>) {
        if epoch != self.epoch {
            return;
        }
        self.heard[from.index()] = out.now();
        let member = self.chain.iter().any(|&(n, _)| n == from);
        if member {
            if synced {
                self.caught_up |= bit(from);
            }
            return;
        }
        // A server outside the chain that answers joins at its end (§3.4),
        // one at a time: only behind a tail that has caught up.
        let tail_ready = self
            .chain
            .last()
            .is_none_or(|&(t, _)| self.caught_up & bit(t) != 0);
        if tail_ready && self.suspected & bit(from) == 0 {
            let mut chain = self.chain.to_vec();
            chain.push((from, self.epoch + 1));
            self.caught_up &= !bit(from);
            self.reconfigure(chain.into(), out);
        }
    }

    fn role_label(&self) -> &'static str {
        if self.is_master() {
            "master"
        } else if self.position().is_none() {
            "out"
        } else if !self.synced {
            "joining"
        } else if self.is_head() && self.is_tail() {
            "head and tail"
        } else if self.is_head() {
            "head"
        } else if self.is_tail() {
            "tail"
        } else {
            "middle"
        }
    }

    fn entry_views(&self, from: u64) -> Vec<EntryView> {
        (from.max(1)..=self.len())
            .map(|i| {
                let e = &self.history[i as usize - 1];
                EntryView {
                    index: i,
                    term: e.epoch,
                    committed: i <= self.acked,
                    label: format!("{}", e.update.op),
                }
            })
            .collect()
    }

    fn chain_text(&self) -> String {
        self.chain
            .iter()
            .map(|(n, _)| format!("{n}"))
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

impl Protocol for Chain {
    type Config = ChainConfig;
    type Msg = ChainMsg;
    type Durable = ChainDurable;
    type Checker = ChainChecker;

    const NAME: &'static str = "Chain replication";
    const MSG_KINDS: &'static [&'static str] = &["Update", "Ack", "Nack", "Ping", "Pong"];
    const USER_TIMER: Option<(TimerId, &'static str)> = None;

    fn new(id: NodeId, nodes: usize, config: &ChainConfig) -> Chain {
        let chain = first_chain(nodes);
        Chain::recover(
            id,
            nodes,
            config,
            ChainDurable {
                chain,
                caught_up: (1..nodes as u16).fold(0, |m, n| m | bit(NodeId(n))),
                ..ChainDurable::default()
            },
        )
    }

    fn recover(id: NodeId, nodes: usize, config: &ChainConfig, durable: ChainDurable) -> Chain {
        let mut node = Chain {
            id,
            nodes,
            config: config.clone(),
            history: durable.history,
            epoch: durable.epoch,
            chain: durable.chain,
            joined: durable.joined,
            synced: durable.synced,
            caught_up: durable.caught_up,
            kv: BTreeMap::new(),
            acked: 0,
            acked_at_probe: 0,
            succ_next: 0,
            // The first configuration is known to all, as if the master had
            // probed at time zero.
            lease_until: Time::ZERO + config.lease,
            heard: Vec::new(),
            pinged: Vec::new(),
            suspected: 0,
            replied: 0,
            reads: 0,
            read_at: 0,
        };
        node.replay();
        node.succ_next = node.len();
        node
    }

    fn durable(&self) -> ChainDurable {
        ChainDurable {
            history: self.history.clone(),
            epoch: self.epoch,
            chain: self.chain.clone(),
            joined: self.joined,
            synced: self.synced,
            caught_up: self.caught_up,
        }
    }

    fn on_start(&mut self, out: &mut Out<ChainMsg>) {
        let now = out.now();
        if now > Time::ZERO {
            // A restart: the lease it had is gone with its memory.
            self.lease_until = Time::ZERO;
        }
        if self.is_master() {
            // Anything it probed before a crash may hold a lease until a
            // full lease from now; nobody is suspected before a full
            // timeout.
            self.heard = vec![now; self.nodes];
            self.pinged = vec![now; self.nodes];
            self.suspected = 0;
            out.set_timer(HEARTBEAT, self.config.heartbeat, self.config.heartbeat);
        }
    }

    fn on_message(&mut self, from: NodeId, msg: ChainMsg, out: &mut Out<ChainMsg>) {
        match msg {
            ChainMsg::Ping { epoch, chain, sent } if from == MASTER && !self.is_master() => {
                self.on_ping(epoch, chain, sent, out)
            }
            ChainMsg::Pong { epoch, synced } if self.is_master() => {
                self.on_pong(from, epoch, synced, out)
            }
            ChainMsg::Update {
                epoch,
                start,
                entries,
                upto,
            } if epoch == self.epoch && Some(from) == self.predecessor() => {
                self.on_update(from, start, entries, upto, out)
            }
            ChainMsg::Ack { epoch, upto }
                if epoch == self.epoch && Some(from) == self.successor() =>
            {
                self.on_ack(upto, out)
            }
            ChainMsg::Nack { epoch, have }
                if epoch == self.epoch && Some(from) == self.successor() =>
            {
                self.on_nack(have, out)
            }
            // Another epoch's, or not from a neighbour: stale.
            _ => {}
        }
    }

    fn on_timer(&mut self, timer: TimerId, out: &mut Out<ChainMsg>) {
        if timer == HEARTBEAT && self.is_master() {
            self.probe(out);
        }
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<ChainMsg>) {
        let read = request.op.is_read();
        let serves = if read { self.is_tail() } else { self.is_head() };
        if !serves || self.is_master() {
            let to = if read { self.tail() } else { self.head() };
            out.reply(request.id, Outcome::Redirect { leader: to });
            return;
        }
        if read {
            if !self.synced {
                let reason = String::from("the tail is still catching up");
                out.reply(request.id, Outcome::Fail { reason });
            } else if out.now() >= self.lease_until {
                let reason = String::from("the tail's lease from the master has run out");
                out.reply(request.id, Outcome::Fail { reason });
            } else {
                self.reads += 1;
                self.read_at = self.len();
                let value = self.kv.get(request.op.key()).cloned();
                out.reply(request.id, Outcome::Ok { value });
            }
            return;
        }
        let update = Arc::new(Update {
            request: request.id,
            op: request.op,
        });
        self.apply(update, self.epoch);
        if self.config.variant == ChainVariant::AckAtHead {
            self.replied = self.len();
            out.reply(request.id, Outcome::Ok { value: None });
        }
        if self.is_tail() {
            self.acknowledge(out);
        } else if self.succ_next + 1 == self.len() {
            // Caught up with the successor: pass it on now; otherwise it is
            // mid-transfer and goes with the next batch.
            self.pump(out);
        }
    }

    fn view(&self) -> NodeView {
        const TAIL: u64 = 8;
        let role = if self.is_master() {
            RoleKind::Candidate
        } else if self.is_head() {
            RoleKind::Leader
        } else {
            RoleKind::Follower
        };
        NodeView {
            role,
            role_label: self.role_label(),
            term: self.epoch,
            term_label: "epoch",
            log_len: self.len(),
            commit_index: self.acked,
            log_tail: self.entry_views(self.len().saturating_sub(TAIL - 1)),
            leader: self.head(),
            in_doubt_since: None,
        }
    }

    fn detail(&self) -> NodeDetail {
        let mut fields = vec![("chain", self.chain_text())];
        if !self.is_master() {
            fields.push(("sent, not yet at the tail", format!("{}", self.len() - self.acked)));
            if self.is_tail() {
                fields.push(("lease until", format!("{}", self.lease_until)));
            }
        }
        NodeDetail {
            log: self.entry_views(1),
            kv: state_machine::view(&self.kv),
            fields,
        }
    }

    fn decided(&self) -> u64 {
        self.acked
    }

    fn leads(&self) -> Option<u64> {
        self.is_head().then_some(self.epoch)
    }

    fn msg_kind(msg: &ChainMsg) -> u8 {
        match msg {
            ChainMsg::Update { .. } => 0,
            ChainMsg::Ack { .. } => 1,
            ChainMsg::Nack { .. } => 2,
            ChainMsg::Ping { .. } => 3,
            ChainMsg::Pong { .. } => 4,
        }
    }

    fn msg_size(msg: &ChainMsg) -> usize {
        // A kind byte, then fixed-width fields.
        1 + match msg {
            ChainMsg::Update { entries, .. } => {
                24 + 4
                    + entries
                        .iter()
                        .map(|e| 8 + 8 + update_wire_size(&e.update))
                        .sum::<usize>()
            }
            ChainMsg::Ack { .. } | ChainMsg::Nack { .. } => 16,
            ChainMsg::Ping { chain, .. } => 16 + 4 + 10 * chain.len(),
            ChainMsg::Pong { .. } => 9,
        }
    }

    fn msg_label(msg: &ChainMsg) -> String {
        match msg {
            ChainMsg::Update {
                epoch,
                start,
                entries,
                ..
            } => match entries.len() as u64 {
                0 => format!("Upd e{epoch} ≤{start}"),
                1 => format!("Upd e{epoch} [{}]", start + 1),
                n => format!("Upd e{epoch} [{}..{}]", start + 1, start + n),
            },
            ChainMsg::Ack { epoch, upto } => format!("Ack e{epoch} ≤{upto}"),
            ChainMsg::Nack { epoch, have } => format!("Nack e{epoch} ≤{have}"),
            ChainMsg::Ping { epoch, .. } => format!("Ping e{epoch}"),
            ChainMsg::Pong { epoch, .. } => format!("Pong e{epoch}"),
        }
    }
}
