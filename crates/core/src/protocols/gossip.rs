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
    Checker, ClientRequest, NodeDetail, NodeView, OpDetail, Out, Outcome, Protocol, Slot,
    TimerId, Violation,
};
use crate::protocols::quorum::{new_version, render, versions_size};
use crate::scenario::ScenarioError;
use crate::time::Span;
use crate::trace::stable_hash;
use crate::version::{
    merge_into, replica_view, same_versions, siblings_label, KeyVersions, Stamp, VClock, Version,
    Versioning,
};

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
        replica_view("cache", self.d.counter)
    }

    fn detail(&self) -> NodeDetail {
        let mode = self.config.versioning;
        NodeDetail {
            log: Vec::new(),
            kv: self
                .d
                .store
                .iter()
                .map(|(k, vs)| (k.clone(), siblings_label(vs, mode)))
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

// Index 0, siblings are concurrent, is the quorum store's check, shared.
const NO_REGRESSION: usize = 1;
const ONE_WRITE_PER_VERSION: usize = 2;

/// A version's identity without its value.
type Tag = (VClock, Stamp);

/// The cache's invariants. Under the default last-writer-wins a node keeps
/// one version per key, so "siblings are concurrent" cannot fail unless a
/// merge is broken; the other two watch what LWW relies on: a copy only
/// moves forward, and a stamp names one write.
#[derive(Clone, Debug)]
pub struct GossipChecker {
    mode: Versioning,
    /// Per node, each key's versions as last checked.
    seen: Vec<BTreeMap<String, Vec<Tag>>>,
    /// Every version seen on any node, by key and stamp: a digest of its
    /// value and the node that first held it.
    written: BTreeMap<(String, Stamp), (u64, NodeId)>,
}

impl Checker<Gossip> for GossipChecker {
    const INVARIANTS: &'static [&'static str] = &[
        "Siblings are concurrent",
        "A copy never goes back: every version a node held is kept or replaced by a newer one",
        "A version names one write: no two values carry the same stamp",
    ];

    fn new(nodes: usize, config: &GossipConfig) -> Self {
        GossipChecker {
            mode: config.versioning,
            seen: vec![BTreeMap::new(); nodes],
            written: BTreeMap::new(),
        }
    }

    fn check(&mut self, nodes: &[Slot<Gossip>], changed: NodeId) -> Result<(), Violation> {
        let Some(node) = nodes[changed.index()].up() else {
            return Ok(());
        };
        let mode = self.mode;
        for (key, set) in node.store() {
            crate::protocols::quorum::checker_siblings(key, set, mode, changed)?;
            let before = self.seen[changed.index()].get(key);
            for v in set {
                let tag = (v.clock.clone(), v.stamp);
                if before.is_some_and(|b| b.contains(&tag)) {
                    continue; // checked when this node first held it
                }
                let digest = stable_hash(v.value.as_str());
                match self.written.get(&(key.clone(), v.stamp)) {
                    Some((d, other)) if *d != digest => {
                        return Err(Violation::of_nodes(
                            ONE_WRITE_PER_VERSION,
                            format!(
                                "{changed} holds {} of {key}, whose stamp {other} saw with \
                                 another value",
                                v.label(mode)
                            ),
                            vec![*other, changed],
                        ));
                    }
                    Some(_) => {}
                    None => {
                        self.written
                            .insert((key.clone(), v.stamp), (digest, changed));
                    }
                }
            }
            if let Some(before) = before {
                let lost = before.iter().find(|(clock, stamp)| {
                    !set.iter().any(|n| match mode {
                        Versioning::LastWriterWins => n.stamp >= *stamp,
                        Versioning::VectorClock => n.clock.dominates(clock),
                    })
                });
                if let Some((_, stamp)) = lost {
                    return Err(Violation::of_nodes(
                        NO_REGRESSION,
                        format!(
                            "{changed} went back on {key}: it held the version stamped \
                             {}us/n{} and now holds nothing as new",
                            stamp.micros, stamp.node
                        ),
                        vec![changed],
                    ));
                }
            }
        }
        for (key, before) in &self.seen[changed.index()] {
            if !node.store().contains_key(key) && !before.is_empty() {
                return Err(Violation::of_nodes(
                    NO_REGRESSION,
                    format!("{changed} dropped {key} altogether"),
                    vec![changed],
                ));
            }
        }
        self.seen[changed.index()] = node
            .store()
            .iter()
            .map(|(k, vs)| {
                (
                    k.clone(),
                    vs.iter().map(|v| (v.clock.clone(), v.stamp)).collect(),
                )
            })
            .collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{ClientId, RequestId};
    use crate::protocol::{Effect, Op};
    use crate::time::Time;

    fn config(versioning: Versioning) -> GossipConfig {
        GossipConfig {
            versioning,
            ..GossipConfig::default()
        }
    }

    fn node(id: u16, c: &GossipConfig) -> Gossip {
        let mut g = Gossip::new(NodeId(id), 3, c);
        g.on_start(&mut Out::new(NodeId(id), 3));
        g
    }

    fn request(g: &mut Gossip, at_ms: u64, op: Op) -> Option<String> {
        let mut out = Out::new(g.id, 3);
        out.reset(g.id, Time(at_ms * 1000));
        let request = ClientRequest {
            id: RequestId(at_ms),
            client: ClientId(0),
            op,
        };
        g.on_client_request(request, &mut out);
        out.effects().iter().find_map(|e| match e {
            Effect::Reply {
                outcome: Outcome::Ok { value },
                ..
            } => Some(value.clone().unwrap_or_default()),
            _ => None,
        })
    }

    fn put(value: &str) -> Op {
        Op::Put {
            key: "x".into(),
            value: value.into(),
        }
    }

    fn get() -> Op {
        Op::Get { key: "x".into() }
    }

    /// Pushes `from`'s map to `to` and delivers the push-back.
    fn gossip(from: &mut Gossip, to: &mut Gossip) {
        let mut out = Out::new(from.id, 3);
        from.on_timer(GOSSIP, &mut out);
        let pushes: Vec<GossipMsg> = out
            .effects()
            .iter()
            .filter_map(|e| match e {
                Effect::Send { msg, .. } => Some(msg.clone()),
                _ => None,
            })
            .collect();
        for msg in pushes {
            let mut back = Out::new(to.id, 3);
            to.on_message(from.id, msg, &mut back);
            for e in back.effects() {
                if let Effect::Send { msg, .. } = e {
                    from.on_message(to.id, msg.clone(), &mut Out::new(from.id, 3));
                }
            }
        }
    }

    /// Reads and writes are answered at once from the node's own copy:
    /// another node's write is invisible until gossip carries it.
    #[test]
    fn answers_from_its_own_copy_until_gossip_spreads_it() {
        let c = GossipConfig::default();
        let (mut a, mut b) = (node(0, &c), node(1, &c));
        assert_eq!(request(&mut a, 10, put("1")), Some(String::new()));
        assert_eq!(request(&mut a, 11, get()), Some("1".into()));
        assert_eq!(request(&mut b, 12, get()), Some(String::new()), "stale");
        gossip(&mut a, &mut b); // n0's round robin starts at n1
        assert_eq!(request(&mut b, 13, get()), Some("1".into()));
    }

    /// Under last-writer-wins concurrent writes keep only the later stamp,
    /// on both sides of a push-pull; under vector clocks both survive as
    /// siblings.
    #[test]
    fn concurrent_writes_resolve_by_stamp_or_stay_siblings() {
        for (mode, want) in [
            (Versioning::LastWriterWins, "2"),
            (Versioning::VectorClock, "1 | 2"),
        ] {
            let c = config(mode);
            let (mut a, mut b) = (node(0, &c), node(1, &c));
            request(&mut a, 10, put("1"));
            request(&mut b, 20, put("2"));
            gossip(&mut a, &mut b);
            assert_eq!(request(&mut a, 30, get()), Some(want.into()), "{mode:?}");
            assert_eq!(request(&mut b, 31, get()), Some(want.into()), "{mode:?}");
        }
    }

    /// The copy survives a crash.
    #[test]
    fn the_copy_survives_a_restart() {
        let c = GossipConfig::default();
        let mut a = node(0, &c);
        request(&mut a, 10, put("1"));
        let mut back = Gossip::recover(NodeId(0), 3, &c, a.durable());
        assert_eq!(request(&mut back, 20, get()), Some("1".into()));
        request(&mut back, 20, put("2"));
        assert!(back.store()["x"][0].stamp.micros > 20_000 - 1);
    }

    fn version(value: &str, micros: u64, node: u16) -> Version {
        let mut clock = VClock::default();
        clock.set(NodeId(node), micros);
        Version {
            value: value.into(),
            clock,
            stamp: Stamp { micros, node },
        }
    }

    fn with_store(id: u16, c: &GossipConfig, versions: Vec<Version>) -> Slot<Gossip> {
        let mut g = node(id, c);
        g.d.store.insert("x".into(), versions);
        Slot::Up(g)
    }

    fn named(v: Result<(), Violation>) -> Option<&'static str> {
        v.err().map(|v| GossipChecker::INVARIANTS[v.invariant])
    }

    /// Each invariant fires, under the default last-writer-wins, on a
    /// crafted state that breaks exactly it.
    #[test]
    fn each_invariant_fires() {
        let c = GossipConfig::default();
        let mut checker = <GossipChecker as Checker<Gossip>>::new(3, &c);
        let two = with_store(0, &c, vec![version("1", 10, 0), version("2", 20, 1)]);
        let nodes = vec![two, with_store(1, &c, vec![]), with_store(2, &c, vec![])];
        assert_eq!(
            named(checker.check(&nodes, NodeId(0))),
            Some("Siblings are concurrent")
        );

        let mut checker = <GossipChecker as Checker<Gossip>>::new(3, &c);
        let mut nodes = vec![
            with_store(0, &c, vec![version("2", 20, 1)]),
            with_store(1, &c, vec![]),
            with_store(2, &c, vec![]),
        ];
        assert_eq!(named(checker.check(&nodes, NodeId(0))), None);
        nodes[0] = with_store(0, &c, vec![version("1", 10, 0)]);
        assert_eq!(
            named(checker.check(&nodes, NodeId(0))),
            Some(GossipChecker::INVARIANTS[NO_REGRESSION])
        );

        let mut checker = <GossipChecker as Checker<Gossip>>::new(3, &c);
        let nodes = vec![
            with_store(0, &c, vec![version("1", 10, 0)]),
            with_store(1, &c, vec![version("other", 10, 0)]),
            with_store(2, &c, vec![]),
        ];
        assert_eq!(named(checker.check(&nodes, NodeId(0))), None);
        assert_eq!(
            named(checker.check(&nodes, NodeId(1))),
            Some(GossipChecker::INVARIANTS[ONE_WRITE_PER_VERSION])
        );
    }

    /// None of the invariants fires on healthy runs: busy clients,
    /// partitions, crashes and loss, in both modes, 100 seeds each.
    #[test]
    fn seeded_runs_keep_every_invariant() {
        use crate::scenario::{Faults, ProtocolConfig, Scenario, Workload};
        for mode in [Versioning::LastWriterWins, Versioning::VectorClock] {
            for seed in 0..100 {
                let mut s = Scenario::new(ProtocolConfig::Gossip(config(mode)), 4, seed);
                s.workload = Some(Workload::default());
                s.faults = Some(Faults {
                    until: Time(4_000_000),
                    loss: 0.05,
                    ..Faults::default()
                });
                let mut sim = crate::build(&s, crate::RunOptions::default()).unwrap();
                sim.run_until(Time(5_000_000), u64::MAX);
                assert!(
                    sim.violation().is_none(),
                    "{mode:?} seed {seed}: {:?}",
                    sim.violation()
                );
                assert!(sim.history().len() > 20);
            }
        }
    }
}
