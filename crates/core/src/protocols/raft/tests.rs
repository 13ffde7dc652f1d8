//! Node-level tests: one Raft server fed messages by hand, each test one
//! rule of the paper.

use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::protocol::Op;
use crate::id::ClientId;

fn entry(term: Term) -> Entry {
    Entry {
        term,
        command: Arc::new(Command::Noop),
    }
}

fn server(id: u16, term: Term, log: Vec<Entry>, variant: RaftVariant) -> (Raft, Out<RaftMsg>) {
    let config = RaftConfig {
        variant,
        ..RaftConfig::default()
    };
    let durable = RaftDurable::new(term, None, log.into());
    let mut raft = Raft::recover(NodeId(id), 5, &config, durable);
    let mut out = Out::new(NodeId(id), 5);
    raft.on_start(&mut out);
    (raft, out)
}

fn sent(out: &Out<RaftMsg>) -> Vec<(NodeId, RaftMsg)> {
    out.effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Send { to, msg } => Some((*to, msg.clone())),
            _ => None,
        })
        .collect()
}

use crate::protocol::Effect;

/// Makes `raft` leader of the next term with votes from n1 and n2.
fn elect(raft: &mut Raft, out: &mut Out<RaftMsg>) {
    raft.on_timer(ELECTION, out);
    let term = raft.term;
    for voter in [1, 2] {
        raft.on_message(
            NodeId(voter),
            RaftMsg::Vote {
                term,
                granted: true,
            },
            out,
        );
    }
    assert_eq!(raft.role, Role::Leader);
}

fn ack(raft: &mut Raft, from: u16, index: LogIndex, out: &mut Out<RaftMsg>) {
    let term = raft.term;
    raft.on_message(
        NodeId(from),
        RaftMsg::AppendReply {
            term,
            success: true,
            index,
            round: Round(0),
        },
        out,
    );
}

/// Reference: §5.4.2 and Figure 8. A leader in term 4 holds an entry from
/// term 2 that is now on a majority. Counting replicas must not commit it:
/// only an entry of the leader's own term commits by counting.
#[test]
fn figure_8_old_term_entry_is_not_committed_by_counting() {
    let (mut leader, mut out) = server(0, 3, vec![entry(1), entry(2)], RaftVariant::Correct);
    elect(&mut leader, &mut out);
    assert_eq!(leader.term, 4);
    // The no-op of term 4 sits at index 3. Index 2 (term 2) reaches n1, n2.
    ack(&mut leader, 1, 2, &mut out);
    ack(&mut leader, 2, 2, &mut out);
    assert_eq!(
        leader.commit, 0,
        "a term-2 entry must not commit by counting"
    );
    // Once the term-4 entry is on a majority, everything before it commits.
    ack(&mut leader, 1, 3, &mut out);
    assert_eq!(leader.commit, 0);
    ack(&mut leader, 2, 3, &mut out);
    assert_eq!(leader.commit, 3);
}

/// The same situation with the deliberately broken variant commits index 2,
/// which is what makes Figure 8 unsafe: this is the bug the sweep must catch.
#[test]
fn broken_variant_commits_old_term_entry_by_counting() {
    let (mut leader, mut out) = server(
        0,
        3,
        vec![entry(1), entry(2)],
        RaftVariant::CommitOldTermByCount,
    );
    elect(&mut leader, &mut out);
    ack(&mut leader, 1, 2, &mut out);
    ack(&mut leader, 2, 2, &mut out);
    assert_eq!(leader.commit, 2);
}

/// Reference: §5.2. Each server votes for at most one candidate per term.
#[test]
fn one_vote_per_term() {
    let (mut voter, mut out) = server(3, 1, vec![], RaftVariant::Correct);
    let ask = |term| RaftMsg::RequestVote {
        term,
        last_index: 0,
        last_term: 0,
    };
    voter.on_message(NodeId(0), ask(2), &mut out);
    voter.on_message(NodeId(1), ask(2), &mut out);
    let votes: Vec<bool> = sent(&out)
        .into_iter()
        .filter_map(|(_, m)| match m {
            RaftMsg::Vote { granted, .. } => Some(granted),
            _ => None,
        })
        .collect();
    assert_eq!(votes, vec![true, false]);
    assert_eq!(voter.voted_for, Some(NodeId(0)));
}

/// Reference: §5.4.1. A voter denies a candidate whose log is less up to
/// date than its own.
#[test]
fn vote_denied_to_candidate_with_stale_log() {
    let (mut voter, mut out) = server(3, 3, vec![entry(1), entry(3)], RaftVariant::Correct);
    voter.on_message(
        NodeId(0),
        RaftMsg::RequestVote {
            term: 4,
            last_index: 5,
            last_term: 2,
        },
        &mut out,
    );
    assert!(sent(&out).iter().any(|(_, m)| matches!(
        m,
        RaftMsg::Vote {
            granted: false,
            term: 4
        }
    )));
    assert_eq!(
        voter.term, 4,
        "a higher term is adopted even when the vote is denied"
    );
}

/// Reference: §5.3. A follower rejects entries whose predecessor it lacks,
/// and replaces entries that conflict with the leader's.
#[test]
fn consistency_check_and_conflict_repair() {
    let (mut follower, mut out) = server(
        1,
        3,
        vec![entry(1), entry(2), entry(2)],
        RaftVariant::Correct,
    );
    // Predecessor missing: index 5 does not exist here.
    follower.on_message(
        NodeId(0),
        RaftMsg::AppendEntries(AppendEntries {
            term: 3,
            prev_index: 5,
            prev_term: 3,
            entries: vec![entry(3)],
            commit: 0,
            round: Round(0),
        }),
        &mut out,
    );
    assert!(sent(&out)
        .iter()
        .any(|(_, m)| matches!(m, RaftMsg::AppendReply { success: false, .. })));
    assert_eq!(follower.log.len(), 3);
    // Conflict at index 2: term 2 there, the leader has term 3.
    follower.on_message(
        NodeId(0),
        RaftMsg::AppendEntries(AppendEntries {
            term: 3,
            prev_index: 1,
            prev_term: 1,
            entries: vec![entry(3)],
            commit: 2,
            round: Round(0),
        }),
        &mut out,
    );
    let terms: Vec<Term> = follower.log.iter().map(|e| e.term).collect();
    assert_eq!(terms, vec![1, 3]);
    assert_eq!(follower.commit, 2);
}

/// Reference: Figure 2, "persistent state". A crash keeps currentTerm,
/// votedFor and the log; commitIndex and the state machine are rebuilt.
#[test]
fn restart_keeps_durable_state_only() {
    let (mut node, mut out) = server(2, 0, vec![], RaftVariant::Correct);
    node.on_message(
        NodeId(0),
        RaftMsg::RequestVote {
            term: 7,
            last_index: 0,
            last_term: 0,
        },
        &mut out,
    );
    node.on_message(
        NodeId(0),
        RaftMsg::AppendEntries(AppendEntries {
            term: 7,
            prev_index: 0,
            prev_term: 0,
            entries: vec![Entry {
                term: 7,
                command: Arc::new(Command::Client {
                    request: RequestId(1),
                    op: Op::Put {
                        key: "x".into(),
                        value: "1".into(),
                    },
                }),
            }],
            commit: 1,
            round: Round(0),
        }),
        &mut out,
    );
    assert_eq!(node.kv.get("x").map(String::as_str), Some("1"));
    let durable = node.durable();
    let back = Raft::recover(NodeId(2), 5, &RaftConfig::default(), durable);
    assert_eq!((back.term, back.voted_for), (7, Some(NodeId(0))));
    assert_eq!(back.log.len(), 1);
    assert_eq!(back.commit, 0);
    assert!(back.kv.is_empty());
}

/// Followers do not serve clients: they redirect to the leader they know.
#[test]
fn follower_redirects_clients() {
    let (mut node, mut out) = server(2, 1, vec![], RaftVariant::Correct);
    node.on_message(
        NodeId(4),
        RaftMsg::AppendEntries(AppendEntries {
            term: 1,
            prev_index: 0,
            prev_term: 0,
            entries: vec![],
            commit: 0,
            round: Round(0),
        }),
        &mut out,
    );
    out.reset(NodeId(2), crate::time::Time::ZERO);
    node.on_client_request(
        ClientRequest {
            id: RequestId(9),
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

fn put_entry(term: Term, request: u64, key: &str, value: &str) -> Entry {
    Entry {
        term,
        command: Arc::new(Command::Client {
            request: RequestId(request),
            op: Op::Put {
                key: key.into(),
                value: value.into(),
            },
        }),
    }
}

/// A server that snapshots every `every` applied entries.
fn compacting(id: u16, term: Term, log: Vec<Entry>, every: u32) -> (Raft, Out<RaftMsg>) {
    let config = RaftConfig {
        snapshot_every: Some(every),
        ..RaftConfig::default()
    };
    let mut raft = Raft::recover(NodeId(id), 5, &config, RaftDurable::new(term, None, log.into()));
    let mut out = Out::new(NodeId(id), 5);
    raft.on_start(&mut out);
    (raft, out)
}

fn install(term: Term, index: LogIndex, snapshot_term: Term, x: &str) -> RaftMsg {
    RaftMsg::InstallSnapshot {
        term,
        snapshot: Arc::new(Snapshot {
            index,
            term: snapshot_term,
            kv: [(String::from("x"), String::from(x))].into_iter().collect(),
            config: (0, crate::protocols::quorums::Configuration::simple(0b11111)),
        }),
        round: Round(0),
    }
}

fn client_put(raft: &mut Raft, request: u64, value: &str, out: &mut Out<RaftMsg>) {
    raft.on_client_request(
        ClientRequest {
            id: RequestId(request),
            client: ClientId(0),
            op: Op::Put {
                key: "x".into(),
                value: value.into(),
            },
        },
        out,
    );
}

/// Reference: §7. Every `snapshot_every` applied entries the applied
/// prefix becomes a snapshot, at the start of the server's next handler;
/// indexes keep their numbers.
#[test]
fn a_snapshot_replaces_the_applied_prefix_every_n_entries() {
    let (mut leader, mut out) = compacting(0, 1, vec![put_entry(1, 1, "x", "1"), entry(1), entry(1)], 2);
    elect(&mut leader, &mut out);
    // The no-op of term 2 is at index 4; once a majority holds it,
    // everything commits and applies.
    ack(&mut leader, 1, 4, &mut out);
    ack(&mut leader, 2, 4, &mut out);
    assert_eq!((leader.commit, leader.applied), (4, 4));
    assert_eq!(leader.snapshot_index(), 0, "not within the handler that applied");
    // The next handler compacts first.
    client_put(&mut leader, 2, "2", &mut out);
    assert_eq!(leader.snapshot_index(), 4);
    assert_eq!(leader.snapshot().map(|s| s.term), Some(2));
    assert_eq!(leader.log.len(), 1, "only the new entry");
    assert_eq!((leader.last_index(), leader.term_at(4), leader.term_at(5)), (5, 2, 2));
    ack(&mut leader, 1, 5, &mut out);
    ack(&mut leader, 2, 5, &mut out);
    client_put(&mut leader, 3, "3", &mut out);
    assert_eq!(leader.snapshot_index(), 4, "one applied entry since: not yet");
    assert_eq!(leader.log.len(), 2);
    ack(&mut leader, 1, 6, &mut out);
    ack(&mut leader, 2, 6, &mut out);
    leader.on_timer(HEARTBEAT, &mut out);
    let snapshot = leader.snapshot().unwrap();
    assert_eq!((snapshot.index, snapshot.term), (6, 2));
    assert_eq!(snapshot.kv.get("x").map(String::as_str), Some("3"));
    assert!(leader.log.is_empty());
}

/// Reference: §7. A follower whose next entry the leader has compacted
/// away gets the snapshot instead, and once it answers, the leader
/// counts it up to the snapshot's index and goes on from there.
#[test]
fn a_leader_sends_its_snapshot_to_a_follower_that_needs_a_compacted_entry() {
    let (mut leader, mut out) = compacting(0, 1, vec![entry(1), entry(1), entry(1)], 2);
    elect(&mut leader, &mut out);
    ack(&mut leader, 1, 4, &mut out);
    ack(&mut leader, 2, 4, &mut out);
    out.drain();
    // n3 lacks everything; the leader compacts before it reads that.
    leader.on_message(
        NodeId(3),
        RaftMsg::AppendReply {
            term: 2,
            success: false,
            index: 0,
            round: Round(0),
        },
        &mut out,
    );
    let snapshots: Vec<LogIndex> = sent(&out)
        .iter()
        .filter_map(|(to, m)| match m {
            RaftMsg::InstallSnapshot { snapshot, .. } if *to == NodeId(3) => Some(snapshot.index),
            _ => None,
        })
        .collect();
    assert_eq!(snapshots, vec![4]);
    assert_eq!(leader.next_index[3], 5);
    // The next entry goes out behind the snapshot, pipelined.
    out.drain();
    client_put(&mut leader, 1, "1", &mut out);
    assert!(
        sent(&out).iter().any(|(to, m)| *to == NodeId(3)
            && matches!(m, RaftMsg::AppendEntries(ae) if ae.prev_index == 4 && ae.entries.len() == 1)),
        "the entry after the snapshot follows"
    );
    leader.on_message(
        NodeId(3),
        RaftMsg::SnapshotReply {
            term: 2,
            index: 4,
            round: Round(0),
        },
        &mut out,
    );
    assert_eq!((leader.match_index[3], leader.next_index[3]), (4, 6));
}

/// Reference: Figure 13, receiver rules 6 and 7. A log that agrees with the
/// snapshot's last entry keeps what follows it; one that does not is
/// dropped whole; either way the state machine is the snapshot's.
#[test]
fn a_follower_installs_a_snapshot_keeping_only_an_agreeing_suffix() {
    let (mut follower, mut out) = compacting(1, 1, vec![entry(1), entry(1), entry(1), entry(1)], 100);
    follower.on_message(NodeId(0), install(2, 2, 1, "a"), &mut out);
    assert_eq!((follower.snapshot_index(), follower.last_index()), (2, 4));
    assert_eq!((follower.commit, follower.applied), (2, 2));
    assert_eq!(follower.kv.get("x").map(String::as_str), Some("a"));
    assert!(sent(&out).iter().any(|(to, m)| *to == NodeId(0)
        && matches!(m, RaftMsg::SnapshotReply { index: 2, term: 2, .. })));

    let (mut follower, mut out) = compacting(1, 1, vec![entry(1), entry(1), entry(1)], 100);
    follower.on_message(NodeId(0), install(2, 3, 2, "b"), &mut out);
    assert_eq!((follower.snapshot_index(), follower.last_index()), (3, 3));
    assert!(follower.log.is_empty(), "its entry 3 is of another term");
    assert_eq!(follower.term_at(3), 2);
}

/// A snapshot covering no more than the follower has committed is only
/// acknowledged: installing it would drop committed entries.
#[test]
fn a_snapshot_behind_the_commit_index_changes_nothing() {
    let (mut follower, mut out) = compacting(1, 2, vec![], 100);
    follower.on_message(
        NodeId(0),
        RaftMsg::AppendEntries(AppendEntries {
            term: 2,
            prev_index: 0,
            prev_term: 0,
            entries: vec![put_entry(2, 1, "x", "1"), put_entry(2, 2, "x", "2"), entry(2)],
            commit: 3,
            round: Round(0),
        }),
        &mut out,
    );
    assert_eq!(follower.commit, 3);
    follower.on_message(NodeId(0), install(2, 2, 2, "stale"), &mut out);
    assert_eq!((follower.snapshot_index(), follower.last_index()), (0, 3));
    assert_eq!(follower.kv.get("x").map(String::as_str), Some("2"));
    assert!(sent(&out)
        .iter()
        .any(|(_, m)| matches!(m, RaftMsg::SnapshotReply { index: 2, .. })));
    // A stale AppendEntries does not pull the commit index back either.
    follower.on_message(
        NodeId(0),
        RaftMsg::AppendEntries(AppendEntries {
            term: 2,
            prev_index: 0,
            prev_term: 0,
            entries: vec![put_entry(2, 1, "x", "1")],
            commit: 3,
            round: Round(0),
        }),
        &mut out,
    );
    assert_eq!(follower.commit, 3);
}

/// Reference: §7, "persistent state". The snapshot survives a crash; the
/// commit and applied indexes restart from it, the state machine is its.
#[test]
fn a_restart_resumes_from_the_snapshot() {
    let (mut follower, mut out) = compacting(1, 1, vec![entry(1), entry(1), entry(1)], 100);
    follower.on_message(NodeId(0), install(2, 2, 1, "a"), &mut out);
    let config = RaftConfig {
        snapshot_every: Some(100),
        ..RaftConfig::default()
    };
    let back = Raft::recover(NodeId(1), 5, &config, follower.durable());
    assert_eq!((back.snapshot_index(), back.last_index()), (2, 3));
    assert_eq!((back.commit, back.applied), (2, 2));
    assert_eq!(back.kv.get("x").map(String::as_str), Some("a"));
    assert_eq!((back.term_at(2), back.term_at(3)), (1, 1));
}

/// Each of Figure 3's five invariants, and snapshot safety, broken on
/// purpose in a crafted cluster state: the checker names exactly that one.
mod invariants_fire {
    use super::*;
    use crate::protocol::{Checker, Slot};
    use checker::RaftChecker;

    fn put(key: &str, value: &str) -> Entry {
        Entry {
            term: 1,
            command: Arc::new(Command::Client {
                request: RequestId(0),
                op: Op::Put {
                    key: key.into(),
                    value: value.into(),
                },
            }),
        }
    }

    /// Five servers with these logs, started, with nothing marked changed.
    fn cluster(logs: [Vec<Entry>; 5]) -> Vec<Slot<Raft>> {
        logs.into_iter()
            .enumerate()
            .map(|(i, log)| {
                let (mut r, _) = server(i as u16, 1, log, RaftVariant::Correct);
                settle(&mut r);
                Slot::Up(r)
            })
            .collect()
    }

    /// Marks that no handler has changed anything yet.
    fn settle(r: &mut Raft) {
        r.changed_from = LogIndex::MAX;
        r.commit_before = r.commit;
        r.applied_before = r.applied;
        r.snapshot_before = r.snapshot_index();
    }

    fn node(nodes: &mut [Slot<Raft>], i: usize) -> &mut Raft {
        match &mut nodes[i] {
            Slot::Up(r) => r,
            Slot::Down(_) => unreachable!("every crafted node is up"),
        }
    }

    fn lead(r: &mut Raft, term: Term) {
        r.role = Role::Leader;
        r.term = term;
    }

    /// Checks every node in turn; the first violation's invariant name.
    fn first_violation(checker: &mut RaftChecker, nodes: &[Slot<Raft>]) -> Option<&'static str> {
        (0..nodes.len()).find_map(|i| {
            checker
                .check(nodes, NodeId(i as u16))
                .err()
                .map(|v| RaftChecker::INVARIANTS[v.invariant])
        })
    }

    fn checker() -> RaftChecker {
        <RaftChecker as Checker<Raft>>::new(5, &RaftConfig::default())
    }

    #[test]
    fn two_leaders_in_one_term_break_election_safety() {
        let mut nodes = cluster(Default::default());
        lead(node(&mut nodes, 0), 2);
        lead(node(&mut nodes, 3), 2);
        assert_eq!(
            first_violation(&mut checker(), &nodes),
            Some("election safety")
        );
    }

    #[test]
    fn a_leader_dropping_its_own_entry_breaks_leader_append_only() {
        let mut nodes = cluster([vec![entry(1), entry(1)], vec![], vec![], vec![], vec![]]);
        lead(node(&mut nodes, 0), 1);
        let mut c = checker();
        assert_eq!(first_violation(&mut c, &nodes), None);
        let leader = node(&mut nodes, 0);
        leader.log.truncate(1);
        leader.changed_from = 2;
        assert_eq!(first_violation(&mut c, &nodes), Some("leader append-only"));
    }

    #[test]
    fn one_index_and_term_with_two_commands_breaks_log_matching() {
        let nodes = cluster([
            vec![put("x", "1")],
            vec![put("x", "2")],
            vec![],
            vec![],
            vec![],
        ]);
        let mut c = checker();
        for (i, slot) in nodes.iter().enumerate() {
            let Slot::Up(r) = slot else { unreachable!() };
            let mut r = r.clone();
            r.changed_from = 1;
            let mut one = nodes.clone();
            one[i] = Slot::Up(r);
            if let Err(v) = c.check(&one, NodeId(i as u16)) {
                assert_eq!(RaftChecker::INVARIANTS[v.invariant], "log matching");
                return;
            }
        }
        panic!("log matching did not fire");
    }

    /// Committed means held by a majority in the leader's term, not a
    /// commit index: n0's entry is on three of five logs when its commit
    /// index moves, so it is committed, and n4 leading term 2 without it
    /// breaks leader completeness. The same commit index over one log
    /// commits nothing, and n4 may lead.
    #[test]
    fn a_leader_without_a_committed_entry_breaks_leader_completeness() {
        for (holders, expected) in [(3, Some("leader completeness")), (1, None)] {
            let logs: [Vec<Entry>; 5] = core::array::from_fn(|i| {
                if i < holders {
                    vec![put("x", "1")]
                } else {
                    vec![]
                }
            });
            let mut nodes = cluster(logs);
            lead(node(&mut nodes, 0), 1);
            let mut c = checker();
            assert_eq!(first_violation(&mut c, &nodes), None);
            let n0 = node(&mut nodes, 0);
            n0.commit = 1;
            assert_eq!(first_violation(&mut c, &nodes), None);
            settle(node(&mut nodes, 0));
            lead(node(&mut nodes, 4), 2);
            assert_eq!(
                first_violation(&mut c, &nodes),
                expected,
                "{holders} holders"
            );
        }
    }

    /// n0 leads term 1 and has committed index 1 (on three logs of
    /// `put x=1, put x=2`), and the checker has seen it.
    fn committed_one() -> (Vec<Slot<Raft>>, RaftChecker) {
        let two = || vec![put("x", "1"), put("x", "2")];
        let mut nodes = cluster([two(), two(), two(), vec![], vec![]]);
        lead(node(&mut nodes, 0), 1);
        let mut c = checker();
        assert_eq!(first_violation(&mut c, &nodes), None);
        let n0 = node(&mut nodes, 0);
        n0.commit = 1;
        n0.applied = 1;
        n0.kv.insert("x".into(), "1".into());
        assert_eq!(first_violation(&mut c, &nodes), None);
        settle(node(&mut nodes, 0));
        (nodes, c)
    }

    /// Replaces `r`'s log up to `index` with a snapshot holding x=`x`, as
    /// if a handler had just done so.
    fn snapshot_to(r: &mut Raft, index: LogIndex, x: &str) {
        r.snapshot_before = r.snapshot_index();
        let keep: Vec<Entry> = r.log.iter().skip(index as usize).cloned().collect();
        r.snapshot = Some(Arc::new(Snapshot {
            index,
            term: 1,
            kv: [(String::from("x"), String::from(x))].into_iter().collect(),
            config: (0, crate::protocols::quorums::Configuration::simple(0b11111)),
        }));
        r.log = keep.into();
    }

    /// A snapshot covering an entry not yet committed (index 2, beyond
    /// n0's commit index 1) breaks snapshot safety; the same snapshot up
    /// to the committed index does not.
    #[test]
    fn a_snapshot_beyond_the_commit_index_breaks_snapshot_safety() {
        let (mut nodes, mut c) = committed_one();
        snapshot_to(node(&mut nodes, 0), 1, "1");
        assert_eq!(first_violation(&mut c, &nodes), None);
        settle(node(&mut nodes, 0));
        let (mut nodes, mut c) = committed_one();
        snapshot_to(node(&mut nodes, 0), 2, "2");
        let v = c.check(&nodes, NodeId(0)).unwrap_err();
        assert_eq!(RaftChecker::INVARIANTS[v.invariant], "snapshot safety");
        assert!(v.message.contains("beyond its commit index 1"), "{}", v.message);
    }

    /// A follower that had committed index 2 and installs a snapshot to
    /// index 1, dropping its log (Figure 13 without the check against its
    /// commit index), loses a committed entry: snapshot safety. So does a
    /// snapshot holding a state nobody applied at its index.
    #[test]
    fn a_snapshot_dropping_a_committed_entry_breaks_snapshot_safety() {
        let (mut nodes, mut c) = committed_one();
        let n1 = node(&mut nodes, 1);
        n1.commit = 2;
        snapshot_to(n1, 1, "1");
        n1.log = PVec::new();
        n1.commit_before = 2;
        let v = c.check(&nodes, NodeId(1)).unwrap_err();
        assert_eq!(RaftChecker::INVARIANTS[v.invariant], "snapshot safety");
        assert!(v.message.contains("dropped committed entries"), "{}", v.message);

        let (mut nodes, mut c) = committed_one();
        snapshot_to(node(&mut nodes, 0), 1, "other");
        let v = c.check(&nodes, NodeId(0)).unwrap_err();
        assert_eq!(RaftChecker::INVARIANTS[v.invariant], "snapshot safety");
        assert!(v.message.contains("key-value state"), "{}", v.message);
    }

    /// The same log applied, two different key-value states: state machine
    /// safety compares what the nodes hold, not the entries.
    #[test]
    fn different_applied_states_break_state_machine_safety() {
        let mut nodes = cluster([
            vec![put("x", "1")],
            vec![put("x", "1")],
            vec![],
            vec![],
            vec![],
        ]);
        for (i, value) in [(0, "1"), (1, "2")] {
            let r = node(&mut nodes, i);
            r.commit = 1;
            r.applied = 1;
            r.kv.insert("x".into(), value.into());
        }
        assert_eq!(
            first_violation(&mut checker(), &nodes),
            Some("state machine safety")
        );
        // The same state at the same index is fine.
        node(&mut nodes, 1).kv.insert("x".into(), "1".into());
        assert_eq!(first_violation(&mut checker(), &nodes), None);
    }
}
