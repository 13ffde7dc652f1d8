//! # A gossiping replicated cache
//!
//! The simplest available-under-partition (AP) store: no quorum, no
//! coordinator. Every node holds every key; a client's read or write is
//! answered by the node it asked, from its own copy, at once. Every
//! `interval` each node pushes its whole map to one peer (round robin),
//! which merges it and sends back what it holds that differs (push-pull),
//! so updates spread in a few rounds and all copies converge once the
//! network lets them. Conflicts resolve by last-writer-wins by default
//! (vector clocks keep siblings instead).
//!
//! It is always available and never consistent for sure: a read may miss a
//! write made a moment ago elsewhere, and under last-writer-wins concurrent
//! writes lose all but one.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::id::NodeId;
use crate::protocol::{
    Checker, ClientRequest, NodeDetail, NodeView, OpDetail, Out, Outcome, Protocol, RoleKind, Slot,
    TimerId, Violation,
};
use crate::protocols::quorum::{new_version, render, versions_size};
use crate::scenario::ScenarioError;
use crate::time::Span;
use crate::version::{merge_into, same_versions, KeyVersions, Version, Versioning};

const GOSSIP: TimerId = 0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GossipConfig {
    /// Mean time between a node's gossip rounds.
    pub interval: Span,
    pub versioning: Versioning,
    /// Node `i`'s clock runs `i * clock_skew` ahead.
    pub clock_skew: Span,
}

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig {
            interval: Span::from_millis(200),
            versioning: Versioning::LastWriterWins,
            clock_skew: Span::ZERO,
        }
    }
}

impl GossipConfig {
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.interval < Span::from_millis(1) {
            return Err(ScenarioError::new("interval", "must be at least 1ms"));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GossipMsg {
    /// A node's entries; `reply` asks for the receiver's differing ones.
    Push {
        entries: Vec<(String, Vec<Version>)>,
        reply: bool,
    },
}

#[derive(Clone, Debug, Default)]
pub struct GossipDurable {
    store: BTreeMap<String, Vec<Version>>,
    counter: u64,
    last_stamp: u64,
}

#[derive(Clone, Debug)]
pub struct Gossip {
    id: NodeId,
    nodes: usize,
    config: GossipConfig,
    d: GossipDurable,
    round: u64,
    answered: u64,
}

impl Gossip {
    pub fn store(&self) -> &BTreeMap<String, Vec<Version>> {
        &self.d.store
    }

    fn merge(&mut self, entries: &[(String, Vec<Version>)]) {
        for (key, vs) in entries {
            let set = self.d.store.entry(key.clone()).or_default();
            merge_into(set, vs, self.config.versioning);
        }
    }

    fn arm(&self, out: &mut Out<GossipMsg>) {
        let i = self.config.interval.0;
        out.set_timer(GOSSIP, Span((i / 2).max(1)), Span(i * 3 / 2));
    }
}

impl Protocol for Gossip {
    type Config = GossipConfig;
    type Msg = GossipMsg;
    type Durable = GossipDurable;
    type Checker = GossipChecker;

    const NAME: &'static str = "Gossip cache";
    const MSG_KINDS: &'static [&'static str] = &["Push", "PushBack"];
    const USER_TIMER: Option<(TimerId, &'static str)> = Some((GOSSIP, "gossip round"));

    fn new(id: NodeId, nodes: usize, config: &GossipConfig) -> Gossip {
        Gossip::recover(id, nodes, config, GossipDurable::default())
    }

    fn recover(id: NodeId, nodes: usize, config: &GossipConfig, d: GossipDurable) -> Gossip {
        Gossip {
            id,
            nodes,
            config: config.clone(),
            d,
            round: u64::from(id.0),
            answered: 0,
        }
    }

    fn durable(&self) -> GossipDurable {
        self.d.clone()
    }

    fn on_start(&mut self, out: &mut Out<GossipMsg>) {
        self.arm(out);
    }

    fn on_message(&mut self, from: NodeId, msg: GossipMsg, out: &mut Out<GossipMsg>) {
        let GossipMsg::Push { entries, reply } = msg;
        self.merge(&entries);
        if reply {
            let theirs: BTreeMap<&String, &Vec<Version>> =
                entries.iter().map(|(k, v)| (k, v)).collect();
            let back: Vec<(String, Vec<Version>)> = self
                .d
                .store
                .iter()
                .filter(|(k, vs)| !theirs.get(k).is_some_and(|t| same_versions(t, vs)))
                .map(|(k, vs)| (k.clone(), vs.clone()))
                .collect();
            if !back.is_empty() {
                out.send(
                    from,
                    GossipMsg::Push {
                        entries: back,
                        reply: false,
                    },
                );
            }
        }
    }

    fn on_timer(&mut self, _timer: TimerId, out: &mut Out<GossipMsg>) {
        self.arm(out);
        if self.nodes < 2 {
            return;
        }
        let k = (self.round % (self.nodes as u64 - 1)) as u16;
        self.round += 1;
        let peer = NodeId((self.id.0 + 1 + k) % self.nodes as u16);
        let entries = self
            .d
            .store
            .iter()
            .map(|(k, vs)| (k.clone(), vs.clone()))
            .collect();
        out.send(
            peer,
            GossipMsg::Push {
                entries,
                reply: true,
            },
        );
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<GossipMsg>) {
        let key = String::from(request.op.key());
        let local = self.d.store.get(&key).cloned().unwrap_or_default();
        let (versions, value) = if request.op.is_read() {
            let value = render(&local);
            (local, value)
        } else {
            let skew = self.config.clock_skew.0 * u64::from(self.id.0);
            let v = new_version(
                self.id,
                &request.op,
                &local,
                &mut self.d.counter,
                &mut self.d.last_stamp,
                out.now().0 + skew,
            );
            self.merge(&[(key, vec![v.clone()])]);
            (vec![v], None)
        };
        out.detail(
            request.id,
            OpDetail {
                replicas: vec![self.id],
                fallbacks: Vec::new(),
                versions,
            },
        );
        out.reply(request.id, Outcome::Ok { value });
        self.answered += 1;
    }

    fn view(&self) -> NodeView {
        NodeView {
            role: RoleKind::Follower,
            role_label: "cache",
            term: self.d.counter,
            term_label: "writes",
            log_len: 0,
            commit_index: 0,
            log_tail: Vec::new(),
            leader: None,
            in_doubt_since: None,
        }
    }

    fn detail(&self) -> NodeDetail {
        let mode = self.config.versioning;
        NodeDetail {
            log: Vec::new(),
            kv: self
                .d
                .store
                .iter()
                .map(|(k, vs)| {
                    let text: Vec<String> = vs.iter().map(|v| v.label(mode)).collect();
                    (k.clone(), text.join(" | "))
                })
                .collect(),
            fields: vec![("keys", format!("{}", self.d.store.len()))],
        }
    }

    fn decided(&self) -> u64 {
        self.answered
    }

    fn msg_kind(msg: &GossipMsg) -> u8 {
        let GossipMsg::Push { reply, .. } = msg;
        u8::from(!reply)
    }

    fn msg_size(msg: &GossipMsg) -> usize {
        let GossipMsg::Push { entries, .. } = msg;
        2 + entries
            .iter()
            .map(|(k, vs)| 4 + k.len() + versions_size(vs))
            .sum::<usize>()
    }

    fn msg_label(msg: &GossipMsg) -> String {
        let GossipMsg::Push { entries, reply } = msg;
        let what = if *reply { "Push" } else { "PushBack" };
        format!("{what} {} keys", entries.len())
    }

    fn stored_versions(&self) -> Vec<KeyVersions> {
        self.d
            .store
            .iter()
            .map(|(key, vs)| KeyVersions {
                key: key.clone(),
                versions: vs.clone(),
                hint_for: None,
            })
            .collect()
    }
}

#[derive(Clone, Debug)]
pub struct GossipChecker {
    mode: Versioning,
}

impl Checker<Gossip> for GossipChecker {
    const INVARIANTS: &'static [&'static str] = &["Siblings are concurrent"];

    fn new(_nodes: usize, config: &GossipConfig) -> Self {
        GossipChecker {
            mode: config.versioning,
        }
    }

    fn check(&mut self, nodes: &[Slot<Gossip>], changed: NodeId) -> Result<(), Violation> {
        if let Some(node) = nodes[changed.index()].up() {
            for (key, set) in node.store() {
                crate::protocols::quorum::checker_siblings(key, set, self.mode, changed)?;
            }
        }
        Ok(())
    }
}

/// The gossip cache, as the registry lists it.
impl crate::registry::Registered for Gossip {
    const DESCRIPTOR: crate::registry::Descriptor = crate::registry::Descriptor {
        id: "gossip",
        facts: crate::registry::Facts::of::<Gossip>(),
        presets: &[crate::registry::Preset {
            id: "gossip",
            label: "Gossip cache (no quorum)",
            board_title: "Replicas",
            nodes: 5,
            config: || GossipConfig::default().into(),
            claims: |_| false,
        }],
        can: crate::registry::Capabilities {
            versions: Some(|c| {
                <GossipConfig as crate::registry::Variant>::of(c).map(|g| g.versioning)
            }),
            ..crate::registry::Capabilities::NONE
        },
        words: crate::registry::Words {
            legend: "Every node is a cache that answers from what it holds and gossips its entries to a peer at intervals: always available, converging once gossip gets through. The number under a node counts the writes it stored.",
            progress: "writes stored",
            log: "log length",
            in_charge: "leader",
            in_charge_clock: crate::registry::Clock::Ballot,
            clock_prefix: "t",
            decision: "write",
        },
        board: super::quorum::REPLICA_BOARD,
        explore: None,
    };

    fn validate(config: &GossipConfig, _nodes: u16) -> Result<(), ScenarioError> {
        config.validate().map_err(crate::scenario::in_protocol)
    }
}
