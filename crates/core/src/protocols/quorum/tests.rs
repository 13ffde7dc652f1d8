//! Node-level tests: one coordinator fed replies by hand.

use alloc::vec::Vec;

use super::*;
use crate::id::ClientId;
use crate::protocol::Effect;

fn node(id: u16, config: QuorumConfig) -> (Quorum, Out<QuorumMsg>) {
    let mut q = Quorum::new(NodeId(id), 5, &config);
    let mut out = Out::new(NodeId(id), 5);
    q.on_start(&mut out);
    out.reset(NodeId(id), Time(1_000));
    (q, out)
}

fn request(id: u64, op: Op) -> ClientRequest {
    ClientRequest {
        id: RequestId(id),
        client: ClientId(0),
        op,
    }
}

fn put(key: &str, value: &str) -> Op {
    Op::Put {
        key: key.into(),
        value: value.into(),
    }
}

fn sent(out: &Out<QuorumMsg>) -> Vec<(NodeId, QuorumMsg)> {
    out.effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Send { to, msg } => Some((*to, msg.clone())),
            _ => None,
        })
        .collect()
}

fn replies(out: &Out<QuorumMsg>) -> Vec<Outcome> {
    out.effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Reply { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .collect()
}

/// A key none of whose replicas is `me`, so every ack comes by message.
fn foreign_key(q: &Quorum) -> String {
    (0..100)
        .map(|i| alloc::format!("k{i}"))
        .find(|k| !q.prefs(k).contains(&q.id))
        .unwrap()
}

#[test]
fn a_write_answers_after_w_distinct_acks() {
    let (mut q, mut out) = node(0, QuorumConfig::default());
    let key = foreign_key(&q);
    q.on_client_request(request(1, put(&key, "a")), &mut out);
    let writes = sent(&out);
    assert_eq!(writes.len(), 3, "sent to the n replicas: {writes:?}");
    let QuorumMsg::Write { req, .. } = writes[0].1.clone() else {
        panic!("{writes:?}")
    };
    out.reset(NodeId(0), Time(2_000));
    q.on_message(writes[0].0, QuorumMsg::WriteAck { req }, &mut out);
    // A duplicate of the same ack is not a second replica.
    q.on_message(writes[0].0, QuorumMsg::WriteAck { req }, &mut out);
    assert!(replies(&out).is_empty());
    q.on_message(writes[1].0, QuorumMsg::WriteAck { req }, &mut out);
    assert_eq!(replies(&out), [Outcome::Ok { value: None }]);
}

#[test]
fn concurrent_versions_come_back_as_siblings_unless_lww() {
    for (mode, expect) in [
        (Versioning::VectorClock, "a | b"),
        (Versioning::LastWriterWins, "b"),
    ] {
        let config = QuorumConfig {
            versioning: mode,
            ..QuorumConfig::default()
        };
        let (mut q, mut out) = node(0, config);
        let key = foreign_key(&q);
        let v = |value: &str, writer: u16, micros: u64| Version {
            value: value.into(),
            clock: VClock([(writer, 1)].into_iter().collect()),
            stamp: Stamp {
                micros,
                node: writer,
            },
        };
        q.on_client_request(request(1, Op::Get { key: key.clone() }), &mut out);
        let reads = sent(&out);
        let QuorumMsg::Read { req, .. } = reads[0].1.clone() else {
            panic!()
        };
        out.reset(NodeId(0), Time(2_000));
        q.on_message(
            reads[0].0,
            QuorumMsg::ReadReply {
                req,
                versions: alloc::vec![v("a", 1, 10)],
            },
            &mut out,
        );
        q.on_message(
            reads[1].0,
            QuorumMsg::ReadReply {
                req,
                versions: alloc::vec![v("b", 2, 20)],
            },
            &mut out,
        );
        assert_eq!(
            replies(&out),
            [Outcome::Ok {
                value: Some(expect.into())
            }],
            "{mode:?}"
        );
        // Read repair: both repliers lack part of the merged result.
        let repairs = sent(&out)
            .iter()
            .filter(|(_, m)| matches!(m, QuorumMsg::Repair { .. }))
            .count();
        assert_eq!(
            repairs,
            if mode == Versioning::VectorClock {
                2
            } else {
                1
            }
        );
    }
}

#[test]
fn a_quorum_that_never_forms_fails_after_the_timeout() {
    let (mut q, mut out) = node(0, QuorumConfig::default());
    let key = foreign_key(&q);
    q.on_client_request(request(1, Op::Get { key }), &mut out);
    for t in [200_000, 400_000, 600_000] {
        out.reset(NodeId(0), Time(t));
        q.on_timer(TICK, &mut out);
    }
    assert!(matches!(replies(&out)[..], [Outcome::Fail { .. }]));
    assert!(q.pending.is_empty());
}

#[test]
fn a_sloppy_quorum_asks_stand_ins_that_keep_hints() {
    let config = QuorumConfig {
        sloppy: true,
        ..QuorumConfig::default()
    };
    let (mut q, mut out) = node(0, config.clone());
    let key = foreign_key(&q);
    q.on_client_request(request(1, put(&key, "a")), &mut out);
    let first: Vec<NodeId> = sent(&out).iter().map(|(n, _)| *n).collect();
    out.reset(NodeId(0), Time(300_000));
    q.on_timer(TICK, &mut out);
    let stand_ins = sent(&out);
    // Two nodes are left: the coordinator itself, which keeps a hint at
    // once, and one more.
    assert_eq!(stand_ins.len(), 1, "{stand_ins:?}");
    assert_eq!(q.hints().len(), 1);
    let mut hinted = Vec::new();
    for (to, msg) in &stand_ins {
        assert!(!first.contains(to));
        let QuorumMsg::Write { hint, req, .. } = msg else {
            panic!()
        };
        assert!(first.contains(&hint.unwrap()));
        // The stand-in stores it as a hint.
        let (mut s, mut sout) = node(to.0, config.clone());
        s.on_message(NodeId(0), msg.clone(), &mut sout);
        assert!(s.store().is_empty());
        assert_eq!(s.hints().len(), 1);
        hinted.push((*to, *req));
    }
    for (to, req) in hinted {
        q.on_message(to, QuorumMsg::WriteAck { req }, &mut out);
    }
    assert_eq!(replies(&out), [Outcome::Ok { value: None }]);
}

#[test]
fn the_checker_catches_dominated_siblings_and_lost_versions() {
    use crate::protocol::{Checker, Slot};
    let config = QuorumConfig::default();
    let v = |value: &str, clock: &[(u16, u64)]| Version {
        value: value.into(),
        clock: VClock(clock.iter().copied().collect()),
        stamp: Stamp::default(),
    };
    let mut checker = QuorumChecker::new(1, &config);
    let (mut q, _) = node(0, config.clone());
    q.d.store.insert("x".into(), alloc::vec![v("a", &[(1, 2)])]);
    q.changes += 1;
    assert!(checker.check(&[Slot::Up(q.clone())], NodeId(0)).is_ok());
    // Dropping "a" for an older version is a regression.
    q.d.store
        .insert("x".into(), alloc::vec![v("old", &[(1, 1)])]);
    q.changes += 1;
    let e = checker
        .check(&[Slot::Up(q.clone())], NodeId(0))
        .unwrap_err();
    assert_eq!(e.invariant, 1, "{e:?}");
    // A sibling that another sibling supersedes.
    let mut checker = QuorumChecker::new(1, &config);
    q.d.store.insert(
        "x".into(),
        alloc::vec![v("a", &[(1, 2)]), v("b", &[(1, 1)])],
    );
    q.changes += 1;
    let e = checker.check(&[Slot::Up(q)], NodeId(0)).unwrap_err();
    assert_eq!(e.invariant, 0, "{e:?}");
}

/// The store's two invariants, each broken in a crafted replica state: the
/// checker names exactly that one.
mod invariants_fire {
    use super::*;
    use crate::protocol::{Checker, Slot};
    use crate::version::{Stamp, VClock, Version};
    use checker::QuorumChecker;

    fn version(value: &str, count: u64, micros: u64) -> Version {
        let mut clock = VClock::default();
        clock.set(NodeId(0), count);
        Version {
            value: value.into(),
            clock,
            stamp: Stamp { micros, node: 0 },
        }
    }

    fn check(c: &mut QuorumChecker, nodes: &[Slot<Quorum>]) -> Option<&'static str> {
        c.check(nodes, NodeId(0))
            .err()
            .map(|v| QuorumChecker::INVARIANTS[v.invariant])
    }

    fn replica(store: Vec<Version>, changes: u64) -> Vec<Slot<Quorum>> {
        let (mut q, _) = node(0, QuorumConfig::default());
        q.d.store.insert("x".into(), store);
        q.changes = changes;
        alloc::vec![Slot::Up(q)]
    }

    /// Under vector clocks, a sibling the other supersedes should have
    /// been dropped.
    #[test]
    fn a_superseded_sibling_breaks_siblings_are_concurrent() {
        let config = QuorumConfig::default();
        let mut c = <QuorumChecker as Checker<Quorum>>::new(1, &config);
        let nodes = replica(alloc::vec![version("1", 1, 10), version("2", 2, 20)], 1);
        assert_eq!(check(&mut c, &nodes), Some("Siblings are concurrent"));
    }

    /// A replica that stored a version and then holds nothing newer.
    #[test]
    fn a_dropped_version_breaks_no_regression() {
        let config = QuorumConfig::default();
        let mut c = <QuorumChecker as Checker<Quorum>>::new(1, &config);
        assert_eq!(
            check(&mut c, &replica(alloc::vec![version("2", 2, 20)], 1)),
            None
        );
        let older = replica(alloc::vec![version("1", 1, 10)], 2);
        assert_eq!(
            check(&mut c, &older),
            Some("A replica never loses a version it stored, unless a newer one replaces it")
        );
    }
}
