//! Node-level tests: one Multi-Paxos node fed messages by hand, each test
//! one rule of the protocol.

use alloc::vec::Vec;

use super::*;
use crate::protocol::Op;
use crate::id::ClientId;
use crate::protocol::Effect;
use crate::time::Time;

fn node(id: u16) -> (MultiPaxos, Out<MultiPaxosMsg>) {
    let mut paxos = MultiPaxos::new(NodeId(id), 5, &MultiPaxosConfig::default());
    let mut out = Out::new(NodeId(id), 5);
    paxos.on_start(&mut out);
    out.reset(NodeId(id), Time::ZERO);
    (paxos, out)
}

fn put(request: u64, value: &str) -> Arc<Command> {
    Arc::new(Command::Client {
        request: RequestId(request),
        op: Op::Put {
            key: "x".into(),
            value: value.into(),
        },
    })
}

fn take_sent(out: &mut Out<MultiPaxosMsg>) -> Vec<(NodeId, MultiPaxosMsg)> {
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

fn report(slot: LogSlot, ballot: Ballot, command: Arc<Command>) -> Report {
    Report {
        slot,
        ballot,
        command,
        chosen: false,
    }
}

fn accept(
    ballot: Ballot,
    first: LogSlot,
    commands: Vec<Arc<Command>>,
    commit: LogSlot,
) -> MultiPaxosMsg {
    MultiPaxosMsg::Accept {
        ballot,
        first,
        commands,
        commit,
    }
}

/// Makes node 0 leader of ballot 5 with promises from n1 and n2 carrying
/// `reports`.
fn elect(leader: &mut MultiPaxos, out: &mut Out<MultiPaxosMsg>, reports: [Vec<Report>; 2]) {
    leader.on_timer(ELECTION, out);
    assert_eq!(leader.role, Role::Candidate);
    let ballot = leader.ballot;
    for (from, reports) in [1, 2].into_iter().zip(reports) {
        leader.on_message(
            NodeId(from),
            MultiPaxosMsg::Promise { ballot, reports },
            out,
        );
    }
    assert_eq!(leader.role, Role::Leader);
}

/// Phase 1 is run once for every slot from the first one the candidate
/// does not know chosen: the promise reports each accepted slot from there
/// on, with its ballot.
#[test]
fn one_prepare_covers_every_slot_from_the_first_unchosen() {
    let (mut acceptor, mut out) = node(3);
    acceptor.on_message(
        NodeId(1),
        accept(6, 1, vec![put(1, "a"), put(2, "b"), put(3, "c")], 0),
        &mut out,
    );
    take_sent(&mut out);
    acceptor.on_message(
        NodeId(2),
        MultiPaxosMsg::Prepare {
            ballot: 12,
            from: 2,
        },
        &mut out,
    );
    let sent = take_sent(&mut out);
    let [(to, MultiPaxosMsg::Promise { ballot, reports })] = sent.as_slice() else {
        panic!("expected one promise, got {sent:?}");
    };
    assert_eq!((*to, *ballot), (NodeId(2), 12));
    let slots: Vec<(LogSlot, Ballot)> = reports.iter().map(|r| (r.slot, r.ballot)).collect();
    assert_eq!(slots, vec![(2, 6), (3, 6)]);
    assert_eq!(acceptor.promised, 12);
}

/// Recovery, slot by slot: the new leader proposes the highest-ballot
/// command reported in each slot, and fills a slot nobody reported with a
/// no-op.
#[test]
fn new_leader_adopts_the_highest_ballot_per_slot_and_fills_holes() {
    let (mut leader, mut out) = node(0);
    elect(
        &mut leader,
        &mut out,
        [
            vec![report(1, 3, put(1, "a")), report(3, 3, put(3, "c"))],
            vec![report(1, 4, put(2, "b"))],
        ],
    );
    let ballot = leader.ballot;
    let votes: Vec<(Ballot, String)> = (1..=3)
        .map(|s| {
            let v = leader.vote(s).unwrap();
            (v.ballot, v.command.label())
        })
        .collect();
    assert_eq!(
        votes,
        vec![
            (ballot, "put x=b".into()),
            (ballot, "noop".into()),
            (ballot, "put x=c".into())
        ]
    );
    // One Accept per follower carries all three slots.
    let sent = take_sent(&mut out);
    assert!(sent.iter().any(|(to, m)| *to == NodeId(4)
        && matches!(m, MultiPaxosMsg::Accept { first: 1, commands, .. } if commands.len() == 3)));
}

/// While its leadership holds, the leader skips phase 1: a new command
/// costs one Accept to each other node and nothing else.
#[test]
fn leader_skips_phase_1_for_new_commands() {
    let (mut leader, mut out) = node(0);
    elect(&mut leader, &mut out, [vec![], vec![]]);
    take_sent(&mut out);
    leader.on_client_request(
        ClientRequest {
            id: RequestId(7),
            client: ClientId(0),
            op: Op::Put {
                key: "x".into(),
                value: "1".into(),
            },
        },
        &mut out,
    );
    let sent = take_sent(&mut out);
    assert_eq!(sent.len(), 4);
    assert!(sent
        .iter()
        .all(|(_, m)| matches!(m, MultiPaxosMsg::Accept { first: 1, commands, .. } if commands.len() == 1)));
    // Two acceptances (with our own, a majority) choose and apply it.
    let ballot = leader.ballot;
    for from in [1, 2] {
        leader.on_message(
            NodeId(from),
            MultiPaxosMsg::Accepted {
                ballot,
                first: 1,
                last: 1,
            },
            &mut out,
        );
    }
    assert_eq!(leader.chosen_through, 1);
    assert_eq!(leader.kv().get("x").map(String::as_str), Some("1"));
    assert!(out.effects().iter().any(|e| matches!(
        e,
        Effect::Reply {
            request: RequestId(7),
            outcome: Outcome::Ok { .. }
        }
    )));
}

/// An acceptor that promised ballot 12 refuses an Accept of ballot 6 and
/// names its promise; the old leader steps down when it hears that.
#[test]
fn lower_ballot_is_refused_and_its_leader_steps_down() {
    let (mut acceptor, mut out) = node(3);
    acceptor.on_message(
        NodeId(2),
        MultiPaxosMsg::Prepare {
            ballot: 12,
            from: 1,
        },
        &mut out,
    );
    take_sent(&mut out);
    acceptor.on_message(NodeId(1), accept(6, 1, vec![put(1, "a")], 0), &mut out);
    assert!(acceptor.vote(1).is_none());
    let sent = take_sent(&mut out);
    assert_eq!(
        sent,
        vec![(
            NodeId(1),
            MultiPaxosMsg::Nack {
                ballot: 6,
                promised: 12
            }
        )]
    );
    let (mut leader, mut out) = node(0);
    elect(&mut leader, &mut out, [vec![], vec![]]);
    let ballot = leader.ballot;
    leader.on_message(
        NodeId(3),
        MultiPaxosMsg::Nack {
            ballot,
            promised: ballot + 7,
        },
        &mut out,
    );
    assert_eq!(leader.role, Role::Follower);
}

/// A follower learns from the leader's commit point only the slots it
/// accepted in that leader's ballot; a vote from an older ballot may not be
/// the chosen command, so it asks, and learns from the answer.
#[test]
fn follower_learns_only_votes_of_the_leaders_ballot_and_catches_up() {
    let (mut follower, mut out) = node(4);
    follower.on_message(NodeId(1), accept(6, 1, vec![put(1, "old")], 0), &mut out);
    follower.on_message(NodeId(2), accept(12, 2, vec![put(2, "new")], 0), &mut out);
    take_sent(&mut out);
    follower.on_message(
        NodeId(2),
        MultiPaxosMsg::Heartbeat {
            ballot: 12,
            commit: 2,
        },
        &mut out,
    );
    assert!(follower.chosen_at(1).is_none(), "slot 1 was accepted in b6");
    assert_eq!(follower.chosen_through, 0);
    assert!(
        follower.chosen_at(2).is_some(),
        "slot 2 was accepted in b12"
    );
    let sent = take_sent(&mut out);
    assert_eq!(sent, vec![(NodeId(2), MultiPaxosMsg::CatchUp { from: 1 })]);
    follower.on_message(
        NodeId(2),
        MultiPaxosMsg::Chosen {
            first: 1,
            commands: vec![put(9, "chosen")],
        },
        &mut out,
    );
    assert_eq!(follower.chosen_through, 2);
    assert_eq!(follower.kv().get("x").map(String::as_str), Some("new"));
}

/// Promises, votes and what was learned survive a crash; the state
/// machine is rebuilt from the chosen prefix on restart.
#[test]
fn restart_keeps_promise_votes_and_chosen_slots() {
    let (mut n, mut out) = node(2);
    n.on_message(
        NodeId(1),
        accept(6, 1, vec![put(1, "a"), put(2, "b")], 0),
        &mut out,
    );
    n.on_message(
        NodeId(1),
        MultiPaxosMsg::Heartbeat {
            ballot: 6,
            commit: 1,
        },
        &mut out,
    );
    n.on_message(
        NodeId(3),
        MultiPaxosMsg::Prepare {
            ballot: 13,
            from: 3,
        },
        &mut out,
    );
    let config = MultiPaxosConfig::default();
    let mut back = MultiPaxos::recover(NodeId(2), 5, &config, n.durable());
    assert_eq!(back.promised, 13);
    assert_eq!(back.vote(2).map(|v| v.ballot), Some(6));
    assert!(back.kv().is_empty());
    back.on_start(&mut out);
    assert_eq!(back.chosen_through, 1);
    assert_eq!(back.kv().get("x").map(String::as_str), Some("a"));
}

/// Followers do not serve clients: they redirect to the leader they know.
#[test]
fn follower_redirects_clients_to_the_leader() {
    let (mut follower, mut out) = node(1);
    follower.on_message(
        NodeId(4),
        MultiPaxosMsg::Heartbeat {
            ballot: 9,
            commit: 0,
        },
        &mut out,
    );
    out.reset(NodeId(1), Time::ZERO);
    follower.on_client_request(
        ClientRequest {
            id: RequestId(3),
            client: ClientId(0),
            op: Op::Get { key: "x".into() },
        },
        &mut out,
    );
    assert!(out.effects().iter().any(|e| matches!(
        e,
        Effect::Reply {
            outcome: Outcome::Redirect {
                leader: Some(NodeId(4))
            },
            ..
        }
    )));
}

/// The broken variant forgets what the promises said: a command reported
/// accepted, maybe chosen, is replaced by a no-op.
#[test]
fn broken_variant_overwrites_reported_commands() {
    let config = MultiPaxosConfig {
        variant: MultiPaxosVariant::IgnorePromisedValues,
        ..MultiPaxosConfig::default()
    };
    let mut leader = MultiPaxos::new(NodeId(0), 5, &config);
    let mut out = Out::new(NodeId(0), 5);
    elect(
        &mut leader,
        &mut out,
        [
            vec![report(1, 3, put(1, "a"))],
            vec![report(1, 3, put(1, "a"))],
        ],
    );
    assert_eq!(*leader.vote(1).unwrap().command, Command::Noop);
}
