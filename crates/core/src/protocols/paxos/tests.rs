//! Node-level tests: one Paxos node fed messages by hand, each test one
//! rule of "Paxos Made Simple".

use alloc::vec::Vec;

use super::*;
use crate::id::ClientId;
use crate::protocol::Effect;
use crate::time::Time;

fn node(id: u16, variant: PaxosVariant) -> (Paxos, Out<PaxosMsg>) {
    let config = PaxosConfig {
        variant,
        ..PaxosConfig::default()
    };
    let mut paxos = Paxos::new(NodeId(id), 5, &config);
    let mut out = Out::new(NodeId(id), 5);
    paxos.on_start(&mut out);
    (paxos, out)
}

fn value(v: &str) -> Value {
    Value::new(v)
}

/// Clears `out` and returns what it held, as (to, message) pairs.
fn take_sent(out: &mut Out<PaxosMsg>) -> Vec<(NodeId, PaxosMsg)> {
    let sent = out
        .effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Send { to, msg } => Some((*to, msg.clone())),
            _ => None,
        })
        .collect();
    out.reset(out.me(), Time::ZERO);
    sent
}

fn deliver(node: &mut Paxos, from: u16, msg: PaxosMsg, out: &mut Out<PaxosMsg>) {
    node.on_message(NodeId(from), msg, out);
}

/// Starts a ballot on `proposer` and returns its number.
fn prepare(proposer: &mut Paxos, out: &mut Out<PaxosMsg>) -> Ballot {
    proposer.on_timer(PROPOSE, out);
    take_sent(out);
    proposer.ballot().expect("a ballot in progress")
}

/// Reference: "Paxos Made Simple" §2.2, phase 1(b). An acceptor that has
/// promised ballot 10 refuses an Accept for ballot 5, and says why.
#[test]
fn acceptor_never_accepts_below_its_promise() {
    let (mut acceptor, mut out) = node(3, PaxosVariant::Classic);
    deliver(&mut acceptor, 0, PaxosMsg::Prepare { ballot: 10 }, &mut out);
    take_sent(&mut out);
    deliver(
        &mut acceptor,
        1,
        PaxosMsg::Accept {
            ballot: 5,
            value: value("late"),
        },
        &mut out,
    );
    assert_eq!(acceptor.accepted, None);
    assert_eq!(
        take_sent(&mut out),
        vec![(
            NodeId(1),
            PaxosMsg::Nack {
                ballot: 5,
                promised: 10
            }
        )]
    );
}

/// Reference: §2.2, phase 1(b). A promise carries the highest-numbered
/// proposal the acceptor has accepted.
#[test]
fn promise_reports_the_last_accepted_proposal() {
    let (mut acceptor, mut out) = node(3, PaxosVariant::Classic);
    deliver(
        &mut acceptor,
        0,
        PaxosMsg::Accept {
            ballot: 5,
            value: value("x"),
        },
        &mut out,
    );
    take_sent(&mut out);
    deliver(&mut acceptor, 1, PaxosMsg::Prepare { ballot: 11 }, &mut out);
    assert_eq!(
        take_sent(&mut out),
        vec![(
            NodeId(1),
            PaxosMsg::Promise {
                ballot: 11,
                accepted: Some((5, value("x")))
            }
        )]
    );
}

/// Reference: §2.2, phase 2(a). With promises from a majority, the
/// proposer asks for the value of the highest-numbered proposal among
/// them, not its own and not the first it heard.
#[test]
fn proposer_adopts_the_highest_numbered_accepted_value() {
    let (mut proposer, mut out) = node(0, PaxosVariant::Classic);
    let b = prepare(&mut proposer, &mut out);
    let promise = |accepted| PaxosMsg::Promise {
        ballot: b,
        accepted,
    };
    // Our own promise came back locally; two more make a majority of five.
    deliver(&mut proposer, 1, promise(Some((3, value("a")))), &mut out);
    assert!(take_sent(&mut out).is_empty(), "no majority yet");
    deliver(&mut proposer, 2, promise(Some((4, value("b")))), &mut out);
    let sent = take_sent(&mut out);
    let accepts: Vec<&Value> = sent
        .iter()
        .filter_map(|(_, m)| match m {
            PaxosMsg::Accept { value, .. } => Some(value),
            _ => None,
        })
        .collect();
    assert_eq!(accepts.len(), 4, "an Accept to every other node");
    assert!(accepts.iter().all(|v| &***v == "b"), "{accepts:?}");
}

/// Reference: §2.2, phase 2(a), "or is any value if the responses
/// reported no proposals": only then does the proposer use its own value.
#[test]
fn proposer_proposes_its_own_value_when_nothing_was_accepted() {
    let (mut proposer, mut out) = node(1, PaxosVariant::Classic);
    let b = prepare(&mut proposer, &mut out);
    for from in [2, 3] {
        deliver(
            &mut proposer,
            from,
            PaxosMsg::Promise {
                ballot: b,
                accepted: None,
            },
            &mut out,
        );
    }
    assert_eq!(
        proposer.phase,
        Phase::Accepting {
            ballot: b,
            value: value("v1")
        }
    );
}

/// Reference: §2.2, "different proposers choose their numbers from
/// disjoint sets". Ballots are `round * n + id`: no two proposers ever
/// share one, and each proposer's ballots increase.
#[test]
fn ballots_are_unique_per_proposer() {
    let mut seen = alloc::collections::BTreeMap::new();
    for id in 0..5u16 {
        let (mut p, mut out) = node(id, PaxosVariant::Classic);
        let mut last = 0;
        for _ in 0..20 {
            let b = prepare(&mut p, &mut out);
            assert!(b > last, "n{id}: {b} after {last}");
            assert_eq!(b % 5, u64::from(id));
            assert_eq!(seen.insert(b, id), None, "ballot {b} used twice");
            last = b;
        }
    }
}

/// Reference: §2.3, "an acceptor must remember this information even if
/// it fails and then restarts". A promise and an accepted proposal survive
/// a crash, and the restarted acceptor still refuses lower ballots.
#[test]
fn acceptor_state_survives_a_restart() {
    let (mut acceptor, mut out) = node(4, PaxosVariant::Classic);
    deliver(
        &mut acceptor,
        0,
        PaxosMsg::Accept {
            ballot: 5,
            value: value("x"),
        },
        &mut out,
    );
    deliver(&mut acceptor, 1, PaxosMsg::Prepare { ballot: 11 }, &mut out);
    take_sent(&mut out);
    let config = PaxosConfig::default();
    let mut back = Paxos::recover(NodeId(4), 5, &config, acceptor.durable());
    back.on_start(&mut out);
    assert_eq!(back.promised, 11);
    assert_eq!(back.accepted, Some((5, value("x"))));
    deliver(
        &mut back,
        0,
        PaxosMsg::Accept {
            ballot: 10,
            value: value("y"),
        },
        &mut out,
    );
    assert_eq!(back.accepted, Some((5, value("x"))));
}

/// A proposer that crashed never reuses a ballot: its round is durable, so
/// its next ballot is higher than any it used before.
#[test]
fn proposer_never_reuses_a_ballot_after_a_restart() {
    let (mut proposer, mut out) = node(2, PaxosVariant::Classic);
    let first = prepare(&mut proposer, &mut out);
    let config = PaxosConfig::default();
    let mut back = Paxos::recover(NodeId(2), 5, &config, proposer.durable());
    back.on_start(&mut out);
    // Its own promise was durable too, but suppose it had not been: the
    // round alone keeps the next ballot fresh.
    back.promised = 0;
    let second = prepare(&mut back, &mut out);
    assert!(second > first, "{second} after {first}");
}

/// Reference: §2.2. A refusal names the promise that caused it, and the
/// proposer's next ballot goes above it rather than one round up.
#[test]
fn a_nack_sends_the_next_ballot_above_the_promise() {
    let (mut proposer, mut out) = node(0, PaxosVariant::Classic);
    let b = prepare(&mut proposer, &mut out);
    deliver(
        &mut proposer,
        3,
        PaxosMsg::Nack {
            ballot: b,
            promised: 53,
        },
        &mut out,
    );
    assert_eq!(proposer.phase, Phase::Idle, "preempted");
    let next = prepare(&mut proposer, &mut out);
    assert!(next > 53, "{next}");
}

/// Reference: §2.3. A learner learns a value only when a majority of
/// acceptors accepted it in the same ballot: two votes in one ballot and
/// one in another are not enough.
#[test]
fn learner_needs_a_majority_in_one_ballot() {
    let (mut learner, mut out) = node(4, PaxosVariant::Classic);
    let accepted = |ballot| PaxosMsg::Accepted {
        ballot,
        value: value("x"),
    };
    deliver(&mut learner, 0, accepted(5), &mut out);
    deliver(&mut learner, 1, accepted(5), &mut out);
    deliver(&mut learner, 2, accepted(6), &mut out);
    deliver(&mut learner, 2, accepted(6), &mut out); // a duplicate counts once
    assert_eq!(learner.chosen, None);
    deliver(&mut learner, 3, accepted(5), &mut out);
    assert_eq!(learner.chosen, Some(value("x")));
    assert_eq!(learner.decided(), 1);
}

/// The naive variant skips phase 1: its first message is an Accept of its
/// own value, and it never asks what was accepted before.
#[test]
fn naive_proposer_skips_the_promise_phase() {
    let (mut proposer, mut out) = node(1, PaxosVariant::NaiveNoPromise);
    proposer.on_timer(PROPOSE, &mut out);
    let sent = take_sent(&mut out);
    assert!(!sent
        .iter()
        .any(|(_, m)| matches!(m, PaxosMsg::Prepare { .. })));
    let accepts = sent
        .iter()
        .filter(|(_, m)| matches!(m, PaxosMsg::Accept { value, .. } if &**value == "v1"))
        .count();
    assert_eq!(accepts, 4);
}

/// A client's put to a proposer proposes the put's value and succeeds once
/// that value is learned; a non-proposer redirects to a proposer.
#[test]
fn client_put_proposes_its_value() {
    let (mut proposer, mut out) = node(0, PaxosVariant::Classic);
    let put = |id| ClientRequest {
        id: RequestId(id),
        client: ClientId(0),
        op: Op::Put {
            key: "k".into(),
            value: "hello".into(),
        },
    };
    proposer.on_client_request(put(1), &mut out);
    assert_eq!(&*proposer.proposal, "k=hello");
    let b = proposer.ballot().unwrap();
    take_sent(&mut out);
    for from in [1, 2] {
        deliver(
            &mut proposer,
            from,
            PaxosMsg::Promise {
                ballot: b,
                accepted: None,
            },
            &mut out,
        );
    }
    for from in [1, 2] {
        deliver(
            &mut proposer,
            from,
            PaxosMsg::Accepted {
                ballot: b,
                value: value("k=hello"),
            },
            &mut out,
        );
    }
    assert!(out.effects().iter().any(|e| matches!(
        e,
        Effect::Reply {
            request: RequestId(1),
            outcome: Outcome::Ok { value: None }
        }
    )));
    let (mut acceptor, mut out) = node(3, PaxosVariant::Classic);
    acceptor.on_client_request(put(2), &mut out);
    assert!(out.effects().iter().any(|e| matches!(
        e,
        Effect::Reply {
            outcome: Outcome::Redirect {
                leader: Some(NodeId(0))
            },
            ..
        }
    )));
}

/// Labels read like the paper's notation.
#[test]
fn message_labels() {
    assert_eq!(
        Paxos::msg_label(&PaxosMsg::Promise {
            ballot: 3,
            accepted: Some((1, value("x")))
        }),
        "Promise b3 (b1,\"x\")"
    );
    assert_eq!(
        Paxos::msg_label(&PaxosMsg::Accept {
            ballot: 3,
            value: value("x")
        }),
        "Accept b3 \"x\""
    );
    assert_eq!(
        Paxos::msg_label(&PaxosMsg::Accepted {
            ballot: 3,
            value: value("x")
        }),
        "Accepted b3"
    );
    assert_eq!(
        Paxos::msg_label(&PaxosMsg::Prepare { ballot: 3 }),
        "Prepare b3"
    );
}

/// Agreement and validity, each broken in a crafted cluster state: the
/// checker names exactly that invariant.
mod invariants_fire {
    use super::*;
    use crate::protocol::{Checker, Slot};
    use checker::PaxosChecker;

    /// Three nodes whose own proposals are v0, v1, v2.
    fn cluster() -> Vec<Slot<Paxos>> {
        (0..3)
            .map(|i| {
                let (mut p, _) = node(i, PaxosVariant::Classic);
                p.proposal = value(&alloc::format!("v{i}"));
                Slot::Up(p)
            })
            .collect()
    }

    fn set(nodes: &mut [Slot<Paxos>], i: usize, f: impl FnOnce(&mut Paxos)) {
        if let Slot::Up(p) = &mut nodes[i] {
            f(p);
        }
    }

    fn first_violation(c: &mut PaxosChecker, nodes: &[Slot<Paxos>]) -> Option<&'static str> {
        (0..nodes.len()).find_map(|i| {
            c.check(nodes, NodeId(i as u16))
                .err()
                .map(|v| PaxosChecker::INVARIANTS[v.invariant])
        })
    }

    fn checker() -> PaxosChecker {
        <PaxosChecker as Checker<Paxos>>::new(3, &PaxosConfig::default())
    }

    /// v0 chosen in ballot 3 by n0 and n1, then v1 in ballot 7 by n1 and
    /// n2: two values chosen.
    #[test]
    fn two_values_chosen_break_agreement() {
        let mut nodes = cluster();
        let mut c = checker();
        set(&mut nodes, 0, |p| p.accepted = Some((3, value("v0"))));
        set(&mut nodes, 1, |p| p.accepted = Some((3, value("v0"))));
        assert_eq!(first_violation(&mut c, &nodes), None);
        set(&mut nodes, 1, |p| p.accepted = Some((7, value("v1"))));
        set(&mut nodes, 2, |p| p.accepted = Some((7, value("v1"))));
        assert_eq!(first_violation(&mut c, &nodes), Some("agreement"));
    }

    /// An acceptor accepts a value nobody proposed; in a fresh run, a
    /// learner learns a value no majority accepted.
    #[test]
    fn a_value_nobody_proposed_or_chose_breaks_validity() {
        let mut nodes = cluster();
        set(&mut nodes, 2, |p| p.accepted = Some((3, value("forged"))));
        assert_eq!(first_violation(&mut checker(), &nodes), Some("validity"));

        let mut nodes = cluster();
        set(&mut nodes, 0, |p| p.accepted = Some((3, value("v0"))));
        set(&mut nodes, 2, |p| p.chosen = Some(value("v0")));
        assert_eq!(first_violation(&mut checker(), &nodes), Some("validity"));
    }
}
