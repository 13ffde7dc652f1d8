//! # A Dynamo-style quorum key-value store
//!
//! After DeCandia et al., "Dynamo: Amazon's Highly Available Key-value
//! Store" (2007). There is no leader: any node coordinates any request.
//!
//! - **Placement**: each key lives on the first `n` distinct nodes
//!   clockwise of its hash on a consistent-hashing [`Ring`] with virtual
//!   nodes: its preference list.
//! - **Writes**: the coordinator makes a new version and sends it to the `n`
//!   replicas; it answers the client once `w` have acknowledged. The new
//!   version's vector clock is the merge of the clocks the coordinator holds
//!   for the key, with its own entry bumped: writes through one coordinator
//!   are ordered, writes through different coordinators that did not see
//!   each other are concurrent. Its stamp is a hybrid timestamp (the node's
//!   clock, never going backwards), used by last-writer-wins.
//! - **Reads**: the coordinator asks the `n` replicas and answers once `r`
//!   have replied, with every version none of the others supersedes. Under
//!   vector clocks concurrent versions come back as siblings; under
//!   last-writer-wins only the highest stamp survives.
//! - **Timeout**: a request that has not gathered its quorum after
//!   `timeout` fails. A write that reached some replica but not enough is
//!   not answered at all (its client times out): it may or may not have
//!   taken effect, so "failed" would be a lie.
//! - **Read repair**: replicas that answered a read with less than the
//!   merged result are sent the merged versions.
//! - **Anti-entropy**: every `anti_entropy`, a node sends one peer (round
//!   robin) a digest (key, hash of versions) of the keys they both
//!   replicate; keys whose hashes differ are exchanged both ways and merged.
//!   After a partition heals, replicas converge within a few rounds.
//! - **Sloppy quorum** (option): if a request still lacks its quorum halfway
//!   to the timeout, the coordinator asks the next nodes on the ring in
//!   place of the silent replicas. A stand-in stores a write as a hint for
//!   the replica it replaces and hands it off once that replica is
//!   reachable (on each anti-entropy round), then drops it.
//! - **Append** is a read-modify-write of the coordinator's own copy: under
//!   a partition two coordinators append to different copies.
//! - **Durability**: stored versions, hints and counters survive a crash;
//!   requests being coordinated do not.
//!
//! With strict quorums and `r + w > n`, every read quorum meets every write
//! quorum, so a read that starts after a write completed returns that write
//! or a version superseding it. With `r + w <= n` it may not.

mod checker;
mod descriptor;
pub use descriptor::REPLICA_BOARD;
#[cfg(test)]
mod tests;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

pub use checker::QuorumChecker;

use crate::id::{NodeId, RequestId};
use crate::protocol::{
    ClientRequest, NodeDetail, NodeView, Op, OpDetail, Out, Outcome, Protocol, TimerId,
};
use crate::ring::Ring;
use crate::scenario::ScenarioError;
use crate::time::{Span, Time};
use crate::trace::stable_hash;
use crate::version::{
    merge_into, replica_view, same_versions, siblings_label, KeyVersions, Stamp, VClock, Version,
    Versioning,
};

const TICK: TimerId = 0;
const ANTI_ENTROPY: TimerId = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuorumConfig {
    /// Replicas per key.
    pub n: u8,
    /// Replies a read waits for.
    pub r: u8,
    /// Acknowledgements a write waits for.
    pub w: u8,
    /// Virtual nodes per physical node on the ring.
    pub vnodes: u32,
    pub versioning: Versioning,
    /// How long a coordinator waits for its quorum.
    pub timeout: Span,
    pub read_repair: bool,
    /// How often each node compares digests with one peer; 0 turns
    /// anti-entropy (and hinted handoff) off.
    pub anti_entropy: Span,
    /// Sloppy quorum with hinted handoff.
    pub sloppy: bool,
    /// Node `i`'s clock runs `i * clock_skew` ahead, which decides
    /// last-writer-wins between nodes.
    pub clock_skew: Span,
}

impl Default for QuorumConfig {
    fn default() -> Self {
        QuorumConfig {
            n: 3,
            r: 2,
            w: 2,
            vnodes: 8,
            versioning: Versioning::VectorClock,
            timeout: Span::from_millis(500),
            read_repair: true,
            anti_entropy: Span::from_millis(500),
            sloppy: false,
            clock_skew: Span::ZERO,
        }
    }
}

impl QuorumConfig {
    /// Both `r + w > n` and `r + w <= n` are allowed: the second is how a
    /// store trades consistency for latency, and what stale-read scenarios
    /// show.
    pub fn validate(&self, nodes: u16) -> Result<(), ScenarioError> {
        if self.n == 0 || u16::from(self.n) > nodes {
            return Err(ScenarioError::new(
                "n",
                format!("must be between 1 and the {nodes} nodes, got {}", self.n),
            ));
        }
        for (name, v) in [("r", self.r), ("w", self.w)] {
            if v == 0 || v > self.n {
                return Err(ScenarioError::new(
                    name,
                    format!("must be between 1 and n ({}), got {v}", self.n),
                ));
            }
        }
        if self.vnodes == 0 || self.vnodes > 1024 {
            return Err(ScenarioError::new(
                "vnodes",
                format!("must be between 1 and 1024, got {}", self.vnodes),
            ));
        }
        if self.timeout.0 < 2 {
            return Err(ScenarioError::new("timeout", "must be at least 2us"));
        }
        Ok(())
    }

    /// Whether every read quorum meets every write quorum.
    pub fn strict(&self) -> bool {
        !self.sloppy && u16::from(self.r) + u16::from(self.w) > u16::from(self.n)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QuorumMsg {
    Write {
        req: u64,
        key: String,
        version: Version,
        /// Stored on behalf of this replica (sloppy quorum).
        hint: Option<NodeId>,
    },
    WriteAck {
        req: u64,
    },
    Read {
        req: u64,
        key: String,
    },
    ReadReply {
        req: u64,
        versions: Vec<Version>,
    },
    Repair {
        key: String,
        versions: Vec<Version>,
    },
    Digest {
        keys: Vec<(String, u64)>,
    },
    Sync {
        entries: Vec<(String, Vec<Version>)>,
        /// Keys the sender wants the receiver's versions of.
        want: Vec<String>,
    },
    Handoff {
        key: String,
        versions: Vec<Version>,
    },
    HandoffAck {
        key: String,
        versions: Vec<Version>,
    },
}

/// What survives a crash: the disk.
#[derive(Clone, Debug, Default)]
pub struct QuorumDurable {
    store: BTreeMap<String, Vec<Version>>,
    hints: BTreeMap<(NodeId, String), Vec<Version>>,
    counter: u64,
    last_stamp: u64,
    next_req: u64,
}

#[derive(Clone, Debug)]
enum Kind {
    Read,
    Write(Version),
}

#[derive(Clone, Debug)]
struct Pending {
    request: RequestId,
    key: String,
    kind: Kind,
    started: Time,
    /// Everyone asked: the preference list, then any stand-ins.
    targets: Vec<NodeId>,
    fallbacks: Vec<NodeId>,
    /// Distinct nodes that answered, in order.
    answered: Vec<NodeId>,
    /// Reads: each replier's versions, as last known (after repair).
    replies: Vec<(NodeId, Vec<Version>)>,
    merged: Vec<Version>,
    /// The client has its answer.
    done: bool,
    fallback_tried: bool,
}

/// One node of the store.
#[derive(Clone, Debug)]
pub struct Quorum {
    id: NodeId,
    nodes: usize,
    config: QuorumConfig,
    ring: Arc<Ring>,
    d: QuorumDurable,
    pending: BTreeMap<u64, Pending>,
    tick_armed: bool,
    ae_round: u64,
    answered: u64,
    /// Bumped on every change to the store, so the checker can skip nodes
    /// whose store did not change.
    pub(crate) changes: u64,
}

/// Renders a sibling set as the client sees it: one value, or several
/// separated by ` | `.
pub fn render(versions: &[Version]) -> Option<String> {
    match versions {
        [] => None,
        [one] => Some(one.value.clone()),
        many => Some(
            many.iter()
                .map(|v| v.value.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
        ),
    }
}

/// A new version of a key, written by `me` knowing `local`. Shared with the
/// gossip cache.
pub(crate) fn new_version(
    me: NodeId,
    op: &Op,
    local: &[Version],
    counter: &mut u64,
    last_stamp: &mut u64,
    now_micros: u64,
) -> Version {
    let mut clock = VClock::default();
    for v in local {
        clock.merge(&v.clock);
    }
    *counter = (*counter).max(clock.get(me)) + 1;
    clock.set(me, *counter);
    let micros = now_micros.max(*last_stamp + 1);
    *last_stamp = micros;
    let value = match op {
        Op::Put { value, .. } => value.clone(),
        Op::Append { value, .. } => {
            let base = local
                .iter()
                .max_by_key(|v| v.stamp)
                .map(|v| v.value.as_str())
                .unwrap_or("");
            format!("{base}{value}")
        }
        Op::Get { .. } => String::new(),
    };
    Version {
        value,
        clock,
        stamp: Stamp { micros, node: me.0 },
    }
}

pub(crate) fn versions_size(vs: &[Version]) -> usize {
    4 + vs
        .iter()
        .map(|v| 4 + v.value.len() + 12 + 10 * v.clock.0.len())
        .sum::<usize>()
}

impl Quorum {
    pub fn config(&self) -> &QuorumConfig {
        &self.config
    }

    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// The store: each key's sibling versions.
    pub fn store(&self) -> &BTreeMap<String, Vec<Version>> {
        &self.d.store
    }

    /// Versions held for other replicas: `(replica, key) → versions`.
    pub fn hints(&self) -> &BTreeMap<(NodeId, String), Vec<Version>> {
        &self.d.hints
    }

    fn mode(&self) -> Versioning {
        self.config.versioning
    }

    fn prefs(&self, key: &str) -> Vec<NodeId> {
        self.ring.preference_list(key, usize::from(self.config.n))
    }

    fn store_versions(&mut self, key: &str, incoming: &[Version]) {
        let mode = self.mode();
        let set = self.d.store.entry(String::from(key)).or_default();
        if merge_into(set, incoming, mode) {
            self.changes += 1;
        }
    }

    /// What this node answers a read of `key` with: its own versions and
    /// any it holds for others.
    fn local_read(&self, key: &str) -> Vec<Version> {
        let mut set = self.d.store.get(key).cloned().unwrap_or_default();
        for ((_, k), vs) in &self.d.hints {
            if k == key {
                merge_into(&mut set, vs, self.mode());
            }
        }
        set
    }

    fn arm_tick(&mut self, out: &mut Out<QuorumMsg>) {
        if !self.tick_armed && !self.pending.is_empty() {
            let t = Span((self.config.timeout.0 / 4).max(1));
            out.set_timer(TICK, t, t);
            self.tick_armed = true;
        }
    }

    fn ask(&mut self, req: u64, node: NodeId, hint: Option<NodeId>, out: &mut Out<QuorumMsg>) {
        let Some(p) = self.pending.get(&req) else {
            return;
        };
        let key = p.key.clone();
        match &p.kind {
            Kind::Read => {
                if node == self.id {
                    let versions = self.local_read(&key);
                    self.on_read_reply(node, req, versions, out);
                } else {
                    out.send(node, QuorumMsg::Read { req, key });
                }
            }
            Kind::Write(version) => {
                let version = version.clone();
                if node == self.id {
                    self.apply_write(&key, &version, hint);
                    self.on_write_ack(node, req, out);
                } else {
                    out.send(
                        node,
                        QuorumMsg::Write {
                            req,
                            key,
                            version,
                            hint,
                        },
                    );
                }
            }
        }
    }

    fn apply_write(&mut self, key: &str, version: &Version, hint: Option<NodeId>) {
        match hint {
            Some(h) if h != self.id => {
                let set = self.d.hints.entry((h, String::from(key))).or_default();
                merge_into(set, core::slice::from_ref(version), self.config.versioning);
            }
            _ => self.store_versions(key, core::slice::from_ref(version)),
        }
    }

    fn on_write_ack(&mut self, from: NodeId, req: u64, out: &mut Out<QuorumMsg>) {
        let w = usize::from(self.config.w);
        let Some(p) = self.pending.get_mut(&req) else {
            return;
        };
        if !matches!(p.kind, Kind::Write(_)) || !p.targets.contains(&from) {
            return;
        }
        if p.answered.contains(&from) {
            return; // a duplicate
        }
        p.answered.push(from);
        if !p.done && p.answered.len() >= w {
            p.done = true;
            let Kind::Write(version) = &p.kind else {
                return;
            };
            let detail = OpDetail {
                replicas: p.answered.clone(),
                fallbacks: p.fallbacks.clone(),
                versions: vec![version.clone()],
            };
            let request = p.request;
            out.detail(request, detail);
            out.reply(request, Outcome::Ok { value: None });
            self.answered += 1;
        }
        self.finish_if_complete(req);
    }

    fn on_read_reply(
        &mut self,
        from: NodeId,
        req: u64,
        versions: Vec<Version>,
        out: &mut Out<QuorumMsg>,
    ) {
        let (r, mode) = (usize::from(self.config.r), self.mode());
        let Some(p) = self.pending.get_mut(&req) else {
            return;
        };
        if !matches!(p.kind, Kind::Read) || !p.targets.contains(&from) {
            return;
        }
        if p.answered.contains(&from) {
            return;
        }
        p.answered.push(from);
        merge_into(&mut p.merged, &versions, mode);
        p.replies.push((from, versions));
        if !p.done && p.answered.len() >= r {
            p.done = true;
            let detail = OpDetail {
                replicas: p.answered.clone(),
                fallbacks: p.fallbacks.clone(),
                versions: p.merged.clone(),
            };
            let request = p.request;
            let value = render(&p.merged);
            out.detail(request, detail);
            out.reply(request, Outcome::Ok { value });
            self.answered += 1;
        }
        if self.config.read_repair {
            self.read_repair(req, out);
        }
        self.finish_if_complete(req);
    }

    /// Sends the merged result to every replica that answered with less.
    fn read_repair(&mut self, req: u64, out: &mut Out<QuorumMsg>) {
        let Some(p) = self.pending.get_mut(&req) else {
            return;
        };
        if !p.done {
            return;
        }
        let prefs = self
            .ring
            .preference_list(&p.key, usize::from(self.config.n));
        let key = p.key.clone();
        let merged = p.merged.clone();
        let mut local = false;
        for (node, known) in &mut p.replies {
            if !prefs.contains(node) || same_versions(known, &merged) {
                continue;
            }
            *known = merged.clone();
            if *node == self.id {
                local = true;
            } else {
                out.send(
                    *node,
                    QuorumMsg::Repair {
                        key: key.clone(),
                        versions: merged.clone(),
                    },
                );
            }
        }
        if local {
            self.store_versions(&key, &merged);
        }
    }

    fn finish_if_complete(&mut self, req: u64) {
        if let Some(p) = self.pending.get(&req) {
            if p.done && p.answered.len() >= p.targets.len() {
                self.pending.remove(&req);
            }
        }
    }

    fn on_tick(&mut self, out: &mut Out<QuorumMsg>) {
        self.tick_armed = false;
        let now = out.now();
        let timeout = self.config.timeout;
        let half = Span(timeout.0 / 2);
        let ids: Vec<u64> = self.pending.keys().copied().collect();
        for req in ids {
            let Some(p) = self.pending.get(&req) else {
                continue;
            };
            if now >= p.started + timeout {
                let p = self.pending.remove(&req).unwrap_or_else(|| unreachable!());
                if !p.done {
                    let partly_written = matches!(p.kind, Kind::Write(_)) && !p.answered.is_empty();
                    if !partly_written {
                        let (need, what) = match p.kind {
                            Kind::Read => (self.config.r, "replies"),
                            Kind::Write(_) => (self.config.w, "acknowledgements"),
                        };
                        out.reply(
                            p.request,
                            Outcome::Fail {
                                reason: format!(
                                    "{} of {need} {what} within {timeout}",
                                    p.answered.len()
                                ),
                            },
                        );
                    }
                }
                continue;
            }
            if self.config.sloppy && !p.done && !p.fallback_tried && now >= p.started + half {
                self.try_fallbacks(req, out);
            }
        }
        self.arm_tick(out);
    }

    /// Sloppy quorum: asks the next nodes on the ring in place of the
    /// replicas that have not answered.
    fn try_fallbacks(&mut self, req: u64, out: &mut Out<QuorumMsg>) {
        let Some(p) = self.pending.get_mut(&req) else {
            return;
        };
        p.fallback_tried = true;
        let silent: Vec<NodeId> = p
            .targets
            .iter()
            .filter(|t| !p.answered.contains(t))
            .copied()
            .collect();
        let targets = p.targets.clone();
        let stand_ins = self
            .ring
            .walk(&p.key, self.nodes, |n| !targets.contains(&n));
        let pairs: Vec<(NodeId, NodeId)> = stand_ins.into_iter().zip(silent).collect();
        for (stand_in, silent) in pairs {
            if let Some(p) = self.pending.get_mut(&req) {
                p.targets.push(stand_in);
                p.fallbacks.push(stand_in);
            }
            self.ask(req, stand_in, Some(silent), out);
        }
    }

    fn on_anti_entropy(&mut self, out: &mut Out<QuorumMsg>) {
        if self.config.anti_entropy.0 == 0 {
            return;
        }
        let ae = self.config.anti_entropy;
        out.set_timer(
            ANTI_ENTROPY,
            Span(ae.0 / 2).max(Span(1)),
            Span(ae.0 * 3 / 2),
        );
        if self.nodes < 2 {
            return;
        }
        let k = (self.ae_round % (self.nodes as u64 - 1)) as u16;
        self.ae_round += 1;
        let peer = NodeId((self.id.0 + 1 + k) % self.nodes as u16);
        let keys: Vec<(String, u64)> = self
            .d
            .store
            .iter()
            .filter(|(key, _)| self.prefs(key).contains(&peer))
            .map(|(key, vs)| (key.clone(), stable_hash(vs)))
            .collect();
        out.send(peer, QuorumMsg::Digest { keys });
        // Hinted handoff: offer every hint to its replica.
        for ((h, key), vs) in &self.d.hints {
            out.send(
                *h,
                QuorumMsg::Handoff {
                    key: key.clone(),
                    versions: vs.clone(),
                },
            );
        }
    }

    fn on_digest(&mut self, from: NodeId, keys: Vec<(String, u64)>, out: &mut Out<QuorumMsg>) {
        let theirs: BTreeMap<String, u64> = keys.into_iter().collect();
        let mut entries = Vec::new();
        for (key, vs) in &self.d.store {
            let h = stable_hash(vs);
            if theirs.get(key) != Some(&h) && self.prefs(key).contains(&from) {
                entries.push((key.clone(), vs.clone()));
            }
        }
        let want: Vec<String> = theirs
            .iter()
            .filter(|(key, h)| self.d.store.get(*key).map(stable_hash) != Some(**h))
            .map(|(key, _)| key.clone())
            .collect();
        if !entries.is_empty() || !want.is_empty() {
            out.send(from, QuorumMsg::Sync { entries, want });
        }
    }

    fn on_sync(
        &mut self,
        from: NodeId,
        entries: Vec<(String, Vec<Version>)>,
        want: Vec<String>,
        out: &mut Out<QuorumMsg>,
    ) {
        let mut back = Vec::new();
        for key in want {
            if let Some(vs) = self.d.store.get(&key) {
                back.push((key, vs.clone()));
            }
        }
        for (key, vs) in entries {
            if self.prefs(&key).contains(&self.id) {
                self.store_versions(&key, &vs);
            }
        }
        if !back.is_empty() {
            out.send(
                from,
                QuorumMsg::Sync {
                    entries: back,
                    want: Vec::new(),
                },
            );
        }
    }
}

impl Protocol for Quorum {
    type Config = QuorumConfig;
    type Msg = QuorumMsg;
    type Durable = QuorumDurable;
    type Checker = QuorumChecker;

    const NAME: &'static str = "Quorum KV";
    const MSG_KINDS: &'static [&'static str] = &[
        "Write",
        "WriteAck",
        "Read",
        "ReadReply",
        "Repair",
        "Digest",
        "Sync",
        "Handoff",
        "HandoffAck",
    ];
    const USER_TIMER: Option<(TimerId, &'static str)> = Some((ANTI_ENTROPY, "anti-entropy"));

    fn recover(id: NodeId, nodes: usize, config: &QuorumConfig, d: QuorumDurable) -> Quorum {
        Quorum {
            id,
            nodes,
            config: config.clone(),
            ring: Arc::new(Ring::with_nodes(nodes as u16, config.vnodes)),
            d,
            pending: BTreeMap::new(),
            tick_armed: false,
            ae_round: u64::from(id.0),
            answered: 0,
            changes: 0,
        }
    }

    fn durable(&self) -> QuorumDurable {
        self.d.clone()
    }

    fn on_start(&mut self, out: &mut Out<QuorumMsg>) {
        let ae = self.config.anti_entropy;
        if ae.0 > 0 {
            out.set_timer(
                ANTI_ENTROPY,
                Span(ae.0 / 2).max(Span(1)),
                Span(ae.0 * 3 / 2),
            );
        }
    }

    fn on_message(&mut self, from: NodeId, msg: QuorumMsg, out: &mut Out<QuorumMsg>) {
        match msg {
            QuorumMsg::Write {
                req,
                key,
                version,
                hint,
            } => {
                self.apply_write(&key, &version, hint);
                out.send(from, QuorumMsg::WriteAck { req });
            }
            QuorumMsg::WriteAck { req } => self.on_write_ack(from, req, out),
            QuorumMsg::Read { req, key } => {
                let versions = self.local_read(&key);
                out.send(from, QuorumMsg::ReadReply { req, versions });
            }
            QuorumMsg::ReadReply { req, versions } => self.on_read_reply(from, req, versions, out),
            QuorumMsg::Repair { key, versions } => self.store_versions(&key, &versions),
            QuorumMsg::Digest { keys } => self.on_digest(from, keys, out),
            QuorumMsg::Sync { entries, want } => self.on_sync(from, entries, want, out),
            QuorumMsg::Handoff { key, versions } => {
                self.store_versions(&key, &versions);
                out.send(from, QuorumMsg::HandoffAck { key, versions });
            }
            QuorumMsg::HandoffAck { key, versions } => {
                let slot = (from, key);
                if let Some(held) = self.d.hints.get_mut(&slot) {
                    held.retain(|v| !versions.contains(v));
                    if held.is_empty() {
                        self.d.hints.remove(&slot);
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, timer: TimerId, out: &mut Out<QuorumMsg>) {
        match timer {
            TICK => self.on_tick(out),
            _ => self.on_anti_entropy(out),
        }
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<QuorumMsg>) {
        let key = String::from(request.op.key());
        let targets = self.prefs(&key);
        self.d.next_req += 1;
        let req = self.d.next_req;
        let kind = if request.op.is_read() {
            Kind::Read
        } else {
            let local = self.local_read(&key);
            let skew = self.config.clock_skew.0 * u64::from(self.id.0);
            Kind::Write(new_version(
                self.id,
                &request.op,
                &local,
                &mut self.d.counter,
                &mut self.d.last_stamp,
                out.now().0 + skew,
            ))
        };
        self.pending.insert(
            req,
            Pending {
                request: request.id,
                key,
                kind,
                started: out.now(),
                targets: targets.clone(),
                fallbacks: Vec::new(),
                answered: Vec::new(),
                replies: Vec::new(),
                merged: Vec::new(),
                done: false,
                fallback_tried: false,
            },
        );
        for t in targets {
            self.ask(req, t, None, out);
        }
        self.arm_tick(out);
    }

    fn view(&self) -> NodeView {
        let role = if self.pending.is_empty() {
            "replica"
        } else {
            "coordinating"
        };
        replica_view(role, self.d.counter)
    }

    fn detail(&self) -> NodeDetail {
        let mode = self.mode();
        let label = |vs: &[Version]| siblings_label(vs, mode);
        let mut kv: Vec<(String, String)> = self
            .d
            .store
            .iter()
            .map(|(k, vs)| (k.clone(), label(vs)))
            .collect();
        for ((h, k), vs) in &self.d.hints {
            kv.push((format!("{k} (hint for {h})"), label(vs)));
        }
        let c = &self.config;
        NodeDetail {
            log: Vec::new(),
            kv,
            fields: vec![
                ("N/R/W", format!("{}/{}/{}", c.n, c.r, c.w)),
                (
                    "versioning",
                    String::from(match mode {
                        Versioning::VectorClock => "vector clocks",
                        Versioning::LastWriterWins => "last writer wins",
                    }),
                ),
                ("coordinating", format!("{}", self.pending.len())),
                ("hints", format!("{}", self.d.hints.len())),
            ],
        }
    }

    fn decided(&self) -> u64 {
        self.answered
    }

    fn msg_kind(msg: &QuorumMsg) -> u8 {
        match msg {
            QuorumMsg::Write { .. } => 0,
            QuorumMsg::WriteAck { .. } => 1,
            QuorumMsg::Read { .. } => 2,
            QuorumMsg::ReadReply { .. } => 3,
            QuorumMsg::Repair { .. } => 4,
            QuorumMsg::Digest { .. } => 5,
            QuorumMsg::Sync { .. } => 6,
            QuorumMsg::Handoff { .. } => 7,
            QuorumMsg::HandoffAck { .. } => 8,
        }
    }

    fn msg_size(msg: &QuorumMsg) -> usize {
        1 + match msg {
            QuorumMsg::Write { key, version, .. } => {
                8 + 4 + key.len() + 3 + versions_size(core::slice::from_ref(version))
            }
            QuorumMsg::WriteAck { .. } => 8,
            QuorumMsg::Read { key, .. } => 8 + 4 + key.len(),
            QuorumMsg::ReadReply { versions, .. } => 8 + versions_size(versions),
            QuorumMsg::Repair { key, versions }
            | QuorumMsg::Handoff { key, versions }
            | QuorumMsg::HandoffAck { key, versions } => 4 + key.len() + versions_size(versions),
            QuorumMsg::Digest { keys } => 4 + keys.iter().map(|(k, _)| 12 + k.len()).sum::<usize>(),
            QuorumMsg::Sync { entries, want } => {
                8 + entries
                    .iter()
                    .map(|(k, vs)| 4 + k.len() + versions_size(vs))
                    .sum::<usize>()
                    + want.iter().map(|k| 4 + k.len()).sum::<usize>()
            }
        }
    }

    fn msg_label(msg: &QuorumMsg) -> String {
        match msg {
            QuorumMsg::Write {
                key, version, hint, ..
            } => match hint {
                Some(h) => format!("Write {key}={:?} (hint for {h})", version.value),
                None => format!("Write {key}={:?}", version.value),
            },
            QuorumMsg::WriteAck { .. } => String::from("WriteAck"),
            QuorumMsg::Read { key, .. } => format!("Read {key}"),
            QuorumMsg::ReadReply { versions, .. } => match versions.len() {
                0 => String::from("ReadReply (none)"),
                1 => format!("ReadReply {:?}", versions[0].value),
                n => format!("ReadReply {n} siblings"),
            },
            QuorumMsg::Repair { key, .. } => format!("Repair {key}"),
            QuorumMsg::Digest { keys } => format!("Digest {} keys", keys.len()),
            QuorumMsg::Sync { entries, want } => {
                format!("Sync {} keys, want {}", entries.len(), want.len())
            }
            QuorumMsg::Handoff { key, .. } => format!("Handoff {key}"),
            QuorumMsg::HandoffAck { key, .. } => format!("HandoffAck {key}"),
        }
    }

    fn stored_versions(&self) -> Vec<KeyVersions> {
        let mut out: Vec<KeyVersions> = self
            .d
            .store
            .iter()
            .map(|(key, vs)| KeyVersions {
                key: key.clone(),
                versions: vs.clone(),
                hint_for: None,
            })
            .collect();
        for ((h, key), vs) in &self.d.hints {
            out.push(KeyVersions {
                key: key.clone(),
                versions: vs.clone(),
                hint_for: Some(*h),
            });
        }
        out
    }
}

/// Keys whose replicas disagree, or that are still held as hints: empty
/// once the store has converged. `stored[i]` is node `i`'s
/// [`Protocol::stored_versions`].
pub fn divergence(config: &QuorumConfig, stored: &[Vec<KeyVersions>]) -> Vec<String> {
    let ring = Ring::with_nodes(stored.len() as u16, config.vnodes);
    let mut keys: BTreeMap<&str, ()> = BTreeMap::new();
    let mut out = Vec::new();
    for node in stored {
        for kv in node {
            if kv.hint_for.is_some() {
                out.push(format!(
                    "{} still held as a hint for {:?}",
                    kv.key, kv.hint_for
                ));
            }
            keys.insert(&kv.key, ());
        }
    }
    for key in keys.keys() {
        let prefs = ring.preference_list(key, usize::from(config.n));
        let of = |n: NodeId| {
            stored[n.index()]
                .iter()
                .find(|kv| kv.key == *key && kv.hint_for.is_none())
                .map(|kv| kv.versions.clone())
                .unwrap_or_default()
        };
        let first = of(prefs[0]);
        for p in &prefs[1..] {
            if !same_versions(&first, &of(*p)) {
                out.push(format!(
                    "{key}: {} holds {:?}, {p} holds {:?}",
                    prefs[0],
                    render(&first),
                    render(&of(*p))
                ));
                break;
            }
        }
    }
    out
}

/// Shared with the gossip cache's checker.
pub(crate) use checker::check_siblings as checker_siblings;
