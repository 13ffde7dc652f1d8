//! Node-level tests: a master and a chain of three fed by hand, each test
//! one rule of the paper or one invariant made to fire.

use alloc::vec::Vec;

use super::*;
use crate::id::ClientId;
use crate::protocol::{Checker, Effect, Slot};

const N: usize = 4;

fn cluster(variant: ChainVariant) -> (Vec<Chain>, ChainConfig) {
    let config = ChainConfig {
        variant,
        ..ChainConfig::default()
    };
    let nodes = (0..N as u16)
        .map(|i| Chain::new(NodeId(i), N, &config))
        .collect();
    (nodes, config)
}

fn put(id: u64, key: &str, value: &str) -> ClientRequest {
    ClientRequest {
        id: RequestId(id),
        client: ClientId(1),
        op: Op::Put {
            key: String::from(key),
            value: String::from(value),
        },
    }
}

fn get(id: u64, key: &str) -> ClientRequest {
    ClientRequest {
        id: RequestId(id),
        client: ClientId(2),
        op: Op::Get {
            key: String::from(key),
        },
    }
}

/// Runs `f` on node `n` and returns the effects it pushed.
fn call(
    nodes: &mut [Chain],
    n: u16,
    f: impl FnOnce(&mut Chain, &mut Out<ChainMsg>),
) -> Vec<Effect<ChainMsg>> {
    let mut out = Out::new(NodeId(n), N as u16);
    out.reset(NodeId(n), Time(1_000));
    f(&mut nodes[usize::from(n)], &mut out);
    out.drain().collect()
}

/// Delivers every message in `effects` (and what they cause) until none
/// is left; returns the replies.
fn settle(nodes: &mut [Chain], from: u16, effects: Vec<Effect<ChainMsg>>) -> Vec<(RequestId, Outcome)> {
    let mut queue: Vec<(u16, Effect<ChainMsg>)> = effects.into_iter().map(|e| (from, e)).collect();
    let mut replies = Vec::new();
    while !queue.is_empty() {
        let (from, effect) = queue.remove(0);
        match effect {
            Effect::Send { to, msg } => {
                let more = call(nodes, to.0, |node, out| node.on_message(NodeId(from), msg, out));
                queue.extend(more.into_iter().map(|e| (to.0, e)));
            }
            Effect::Reply { request, outcome } => replies.push((request, outcome)),
            _ => {}
        }
    }
    replies
}

fn check(nodes: &[Chain], config: &ChainConfig, changed: &[u16]) -> Result<(), Violation> {
    let slots: Vec<Slot<Chain>> = nodes.iter().cloned().map(Slot::Up).collect();
    let mut checker = ChainChecker::new(N, config);
    for &n in changed {
        checker.check(&slots, NodeId(n))?;
    }
    Ok(())
}

use crate::protocol::Violation;

/// §2: a write enters at the head, passes down, and the tail answers the
/// client; then a read at the tail sees it.
#[test]
fn a_write_flows_down_and_the_tail_acknowledges_it() {
    let (mut nodes, config) = cluster(ChainVariant::Correct);
    let sent = call(&mut nodes, 1, |n, out| n.on_client_request(put(7, "x", "1"), out));
    assert!(
        sent.iter().all(|e| !matches!(e, Effect::Reply { .. })),
        "the head does not answer a write"
    );
    let replies = settle(&mut nodes, 1, sent);
    assert_eq!(replies, [(RequestId(7), Outcome::Ok { value: None })]);
    assert!(nodes[1..].iter().all(|n| n.history.len() == 1 && n.acked == 1));
    let read = call(&mut nodes, 3, |n, out| n.on_client_request(get(8, "x"), out));
    assert!(matches!(
        &read[..],
        [Effect::Reply { outcome: Outcome::Ok { value: Some(v) }, .. }] if v == "1"
    ));
    check(&nodes, &config, &[1, 2, 3]).unwrap();
}

/// Writes go to the head and reads to the tail: anyone else redirects.
#[test]
fn requests_are_redirected_to_the_head_or_the_tail() {
    let (mut nodes, _) = cluster(ChainVariant::Correct);
    for n in [0, 2, 3] {
        let e = call(&mut nodes, n, |node, out| node.on_client_request(put(1, "x", "1"), out));
        assert!(matches!(
            &e[..],
            [Effect::Reply { outcome: Outcome::Redirect { leader: Some(NodeId(1)) }, .. }]
        ));
    }
    for n in [0, 1, 2] {
        let e = call(&mut nodes, n, |node, out| node.on_client_request(get(1, "x"), out));
        assert!(matches!(
            &e[..],
            [Effect::Reply { outcome: Outcome::Redirect { leader: Some(NodeId(3)) }, .. }]
        ));
    }
}

/// §3.3: when a middle server is removed, its predecessor resends what
/// the new successor may lack (its sent list).
#[test]
fn a_middle_failure_makes_the_predecessor_resend_its_sent_list() {
    let (mut nodes, config) = cluster(ChainVariant::Correct);
    // The update reaches n2 but n2 fails before passing it on.
    let sent = call(&mut nodes, 1, |n, out| n.on_client_request(put(7, "x", "1"), out));
    let [Effect::Send { msg, .. }] = &sent[..] else {
        panic!("{sent:?}")
    };
    call(&mut nodes, 2, |n, out| n.on_message(NodeId(1), msg.clone(), out));
    assert_eq!(nodes[3].history.len(), 0);
    let chain: Arc<[Member]> = [(NodeId(1), 1), (NodeId(3), 1)].into_iter().collect();
    let resent = call(&mut nodes, 1, |n, out| {
        n.on_message(
            MASTER,
            ChainMsg::Ping {
                epoch: 2,
                chain: chain.clone(),
                sent: Time(1_000),
            },
            out,
        )
    });
    call(&mut nodes, 3, |n, out| {
        n.on_message(
            MASTER,
            ChainMsg::Ping {
                epoch: 2,
                chain,
                sent: Time(1_000),
            },
            out,
        )
    });
    let replies = settle(&mut nodes, 1, resent);
    assert!(replies.contains(&(RequestId(7), Outcome::Ok { value: None })));
    assert_eq!(nodes[3].history.len(), 1);
    check(&nodes, &config, &[1, 3]).unwrap();
}

/// The update propagation invariant fires when a server holds an update
/// its predecessor does not.
#[test]
fn a_history_that_is_not_a_prefix_is_caught() {
    let (mut nodes, config) = cluster(ChainVariant::Correct);
    let update = |v: &str| {
        Arc::new(Update {
            request: RequestId(1),
            op: Op::Put {
                key: String::from("x"),
                value: String::from(v),
            },
        })
    };
    nodes[1].apply(update("1"), 1);
    nodes[2].apply(update("2"), 1);
    let v = check(&nodes, &config, &[2]).unwrap_err();
    assert_eq!(v.invariant, 0, "{v:?}");
    assert_eq!(v.nodes, [NodeId(1), NodeId(2)]);
    assert!(v.message.contains("update 1 differs"), "{}", v.message);
    // Holding more than the predecessor is the same fault.
    nodes[2].history = PVec::new();
    nodes[3].apply(update("1"), 1);
    let v = check(&nodes, &config, &[3]).unwrap_err();
    assert_eq!((v.invariant, &v.nodes[..]), (0, &[NodeId(2), NodeId(3)][..]));
}

/// The broken variant acknowledges at the head; a read at the tail before
/// the update arrives misses an acknowledged write, and the checker says
/// so. The correct variant answers the same read only after the ack.
#[test]
fn acknowledging_at_the_head_is_caught_by_the_read_invariant() {
    let (mut nodes, config) = cluster(ChainVariant::AckAtHead);
    let slots = |nodes: &[Chain]| nodes.iter().cloned().map(Slot::Up).collect::<Vec<_>>();
    let mut checker = ChainChecker::new(N, &config);
    let sent = call(&mut nodes, 1, |n, out| n.on_client_request(put(7, "x", "1"), out));
    assert!(sent.iter().any(|e| matches!(e, Effect::Reply { .. })));
    checker.check(&slots(&nodes), NodeId(1)).unwrap();
    call(&mut nodes, 3, |n, out| n.on_client_request(get(8, "x"), out));
    let v = checker.check(&slots(&nodes), NodeId(3)).unwrap_err();
    assert_eq!(v.invariant, 1, "{v:?}");
    assert_eq!(v.nodes, [NodeId(3), NodeId(1)]);

    let (mut nodes, config) = cluster(ChainVariant::Correct);
    let mut checker = ChainChecker::new(N, &config);
    call(&mut nodes, 1, |n, out| n.on_client_request(put(7, "x", "1"), out));
    checker.check(&slots(&nodes), NodeId(1)).unwrap();
    call(&mut nodes, 3, |n, out| n.on_client_request(get(8, "x"), out));
    checker.check(&slots(&nodes), NodeId(3)).unwrap();
}

/// A tail whose lease from the master has run out answers no read: the
/// master may already have replaced it.
#[test]
fn a_tail_without_a_lease_answers_no_read() {
    let (mut nodes, _) = cluster(ChainVariant::Correct);
    let mut out = Out::new(NodeId(3), N as u16);
    out.reset(NodeId(3), Time::ZERO + ChainConfig::default().lease);
    nodes[3].on_client_request(get(1, "x"), &mut out);
    assert!(matches!(
        out.effects(),
        [Effect::Reply { outcome: Outcome::Fail { .. }, .. }]
    ));
    assert_eq!(nodes[3].reads, 0);
}

/// Bad settings are refused with the field named as the scenario file
/// names it.
#[test]
fn bad_settings_are_refused_naming_the_field() {
    use crate::registry::ProtocolConfig;
    let with = |c: ChainConfig, nodes| ProtocolConfig::from(c).validate(nodes);
    let ok = ChainConfig::default;
    with(ok(), 2).unwrap();
    with(ok(), 64).unwrap();
    for nodes in [0, 1, 65] {
        assert_eq!(with(ok(), nodes).unwrap_err().path, "nodes");
    }
    let cases = [
        (
            ChainConfig {
                heartbeat: Span(0),
                ..ok()
            },
            "protocol.heartbeat",
        ),
        (
            ChainConfig {
                lease: Span::from_millis(50),
                ..ok()
            },
            "protocol.lease",
        ),
        (
            ChainConfig {
                failure_timeout: Span::from_millis(150),
                ..ok()
            },
            "protocol.failure_timeout",
        ),
        (
            ChainConfig {
                max_batch: 0,
                ..ok()
            },
            "protocol.max_batch",
        ),
    ];
    for (config, path) in cases {
        assert_eq!(with(config, 5).unwrap_err().path, path);
    }
}
