//! Raft's options (PreVote, CheckQuorum, reads by ReadIndex or lease) in
//! whole runs: each one is off by default and validated, the disruptive
//! server is tamed by PreVote and CheckQuorum, every read path but the
//! broken one stays linearizable over a seed sweep with partitions and
//! crashes, and the broken one is caught serving a stale read.
//!
//! `SPLITBRAIN_SEEDS=N` changes how many seeds each sweep runs (default
//! 150).

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use common::*;
use splitbrain_core::check::{self, CheckOptions, History, Verdict};
use splitbrain_core::protocol::Op;
use splitbrain_core::protocols::raft::{RaftConfig, ReadPath};
use splitbrain_core::registry::Variant;
use splitbrain_core::sim::OpResult;
use splitbrain_core::*;

fn scenario_file(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/scenarios")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("the scenario file exists");
    serde_json::from_str(&text).expect("the scenario parses")
}

fn with(mut s: Scenario, f: impl FnOnce(&mut RaftConfig)) -> Scenario {
    f(RaftConfig::of_mut(&mut s.protocol).expect("a Raft scenario"));
    s
}

/// Runs to `until`; the terms in which some node led, the highest term.
fn leaderships(scenario: &Scenario, until: Time) -> (usize, u64, Sim) {
    let mut sim = build(scenario, RunOptions::default()).unwrap();
    let led = splitbrain_core::gallery::leaderships(&mut sim, until);
    let highest = (0..sim.node_count() as u16)
        .map(|n| sim.node_view(NodeId(n)).term)
        .max()
        .unwrap();
    (led, highest, sim)
}

#[test]
fn options_are_off_by_default_and_leave_the_json_as_it_was() {
    let config = RaftConfig::default();
    assert!(!config.pre_vote && !config.check_quorum);
    assert_eq!(config.reads, ReadPath::Log);
    let json = serde_json::to_string(&ProtocolConfig::Raft(config)).unwrap();
    assert_eq!(
        json,
        r#"{"name":"raft","election_timeout":{"min":"150ms","max":"300ms"},"heartbeat":"50ms","max_batch":64,"variant":"correct"}"#
    );
    let on: ProtocolConfig = serde_json::from_str(
        r#"{"name":"raft","pre_vote":true,"check_quorum":true,"reads":"lease","lease":{"duration":"100ms","drift_bound_ppm":5000}}"#,
    )
    .unwrap();
    let raft = RaftConfig::of(&on).unwrap();
    assert!(raft.pre_vote && raft.check_quorum);
    assert_eq!(raft.reads, ReadPath::Lease);
    assert_eq!(raft.lease.duration, Span::from_millis(100));
    // What a link carries back reads the same.
    let back: ProtocolConfig = serde_json::from_str(&serde_json::to_string(&on).unwrap()).unwrap();
    assert_eq!(back, on);
}

#[test]
fn bad_option_values_are_errors_naming_the_field() {
    let bad = |json: &str| {
        let text = format!(r#"{{"protocol":{{"name":"raft",{json}}},"nodes":5}}"#);
        match serde_json::from_str::<Scenario>(&text) {
            Err(e) => e.to_string(),
            Ok(s) => build(&s, RunOptions::default())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default(),
        }
    };
    let e = bad(r#""reads":"lease","lease":{"duration":"150ms"}"#);
    assert!(e.starts_with("protocol.lease.duration:"), "{e}");
    assert!(e.contains("minimum election timeout"), "{e}");
    let e = bad(r#""reads":"lease","lease":{"drift_bound_ppm":600000}"#);
    assert!(e.starts_with("protocol.lease.drift_bound_ppm:"), "{e}");
    let e = bad(r#""reads":"lease","lease":{"duration":"50ms"}"#);
    assert!(e.starts_with("protocol.lease.duration:"), "{e}");
    assert!(e.contains("heartbeat"), "{e}");
    let e = bad(r#""reads":"whenever""#);
    assert!(e.contains("unknown variant `whenever`"), "{e}");
    assert!(e.contains("read-index"), "{e}");
    let e = bad(r#""pre_vote":"yes""#);
    assert!(e.contains("invalid type"), "{e}");
    // A lease nobody uses is not checked against a short timeout.
    assert_eq!(
        bad(r#""election_timeout":{"min":"60ms","max":"90ms"},"heartbeat":"20ms""#),
        ""
    );
}

/// A server whose incoming links are all cut keeps timing out with a
/// higher term; without the options every RequestVote deposes the leader,
/// with them the cluster keeps one leader.
#[test]
fn the_disruptive_server_is_tamed_by_pre_vote_and_check_quorum() {
    let plain = scenario_file("raft-disruptive-server.json");
    let until = plain.until.unwrap();
    let (led, term, sim) = leaderships(&plain, until);
    println!("plain Raft: {led} leaderships, highest term {term}");
    assert!(led >= 15, "{led} leaderships");
    assert!(term >= 20, "term {term}");
    assert!(sim.violation().is_none());

    let tamed = scenario_file("raft-disruptive-server-tamed.json");
    assert_eq!(tamed.actions, plain.actions, "the same cut");
    let (led, term, sim) = leaderships(&tamed, until);
    println!("with PreVote and CheckQuorum: {led} leaderships, highest term {term}");
    assert_eq!(led, 1, "one leader all along");
    assert!(term <= 2, "term {term}");
    assert!(sim.violation().is_none());

    // Either option alone helps against this cut: PreVote because the cut
    // server never hears the answers to its polls, CheckQuorum because
    // the others ignore its requests while they hear their leader.
    for (pre_vote, check_quorum) in [(true, false), (false, true)] {
        let one = with(plain.clone(), |c| {
            c.pre_vote = pre_vote;
            c.check_quorum = check_quorum;
        });
        let (led, _, _) = leaderships(&one, until);
        assert_eq!(led, 1, "pre_vote {pre_vote}, check_quorum {check_quorum}");
    }
}

/// CheckQuorum: a leader cut off from everyone steps down within about two
/// minimum election timeouts; without it, it leads on alone.
#[test]
fn check_quorum_makes_an_isolated_leader_step_down() {
    for check_quorum in [false, true] {
        let s = with(raft(5, 3), |c| c.check_quorum = check_quorum);
        let mut sim = run(&s, secs(1.0));
        let leader = current_leader(&sim).unwrap();
        sim.act(Action::Partition {
            groups: vec![vec![leader]],
        })
        .unwrap();
        sim.run_until(secs(1.4), u64::MAX);
        let still = sim.node_view(leader).role == protocol::RoleKind::Leader;
        assert_eq!(still, !check_quorum, "check_quorum {check_quorum}");
    }
}

/// PreVote: a server partitioned alone does not raise its term, so it
/// rejoins without deposing anyone.
#[test]
fn pre_vote_keeps_an_isolated_follower_at_its_term() {
    for pre_vote in [false, true] {
        let s = with(raft(5, 3), |c| c.pre_vote = pre_vote);
        let mut sim = run(&s, secs(1.0));
        let leader = current_leader(&sim).unwrap();
        let lonely = NodeId((leader.0 + 1) % 5);
        let term = sim.node_view(lonely).term;
        sim.act(Action::Partition {
            groups: vec![vec![lonely]],
        })
        .unwrap();
        sim.run_until(secs(3.0), u64::MAX);
        let raised = sim.node_view(lonely).term > term;
        assert_eq!(raised, !pre_vote, "pre_vote {pre_vote}");
        assert_eq!(
            sim.node_view(lonely).role_label,
            if pre_vote {
                "pre-candidate"
            } else {
                "candidate"
            }
        );
        sim.act(Action::Heal).unwrap();
        sim.run_until(secs(4.0), u64::MAX);
        let deposed = current_leader(&sim) != Some(leader);
        assert_eq!(deposed, !pre_vote, "pre_vote {pre_vote}");
    }
}

/// The leader is cut off with one follower; the majority elects a new
/// leader and a client writes `x=2` there; then a client asks the old
/// leader for `x`. What it gets depends on the read path.
fn read_at_deposed_leader(reads: ReadPath) -> (Option<OpResult>, Sim) {
    let s = with(raft(5, 3), |c| c.reads = reads);
    let mut sim = run(&s, secs(1.0));
    let old = current_leader(&sim).unwrap();
    sim.act(Action::Request {
        node: old,
        client: None,
        op: Op::Put {
            key: "x".into(),
            value: "1".into(),
        },
    })
    .unwrap();
    sim.run_until(secs(1.2), u64::MAX);
    let buddy = NodeId((old.0 + 1) % 5);
    sim.act(Action::Partition {
        groups: vec![vec![old, buddy]],
    })
    .unwrap();
    sim.run_until(secs(2.0), u64::MAX);
    let new = current_leader(&sim)
        .filter(|n| *n != old)
        .expect("a new leader");
    sim.act(Action::Request {
        node: new,
        client: None,
        op: Op::Put {
            key: "x".into(),
            value: "2".into(),
        },
    })
    .unwrap();
    sim.run_until(secs(2.5), u64::MAX);
    sim.act(Action::Request {
        node: old,
        client: None,
        op: Op::Get { key: "x".into() },
    })
    .unwrap();
    sim.run_until(secs(5.0), u64::MAX);
    let read = sim
        .history()
        .iter()
        .rev()
        .find(|o| o.op.is_read())
        .and_then(|o| o.result.clone())
        .map(|(_, r)| r);
    (read, sim)
}

fn linearizable(sim: &Sim) -> Verdict {
    let history = History::from_client_ops(&sim.history().to_vec());
    check::linearizability(&history, &CheckOptions::default()).verdict
}

#[test]
fn a_deposed_leader_serves_a_stale_read_only_on_the_broken_path() {
    let (read, sim) = read_at_deposed_leader(ReadPath::LeaderLocal);
    assert_eq!(
        read,
        Some(OpResult::Ok {
            value: Some("1".into())
        }),
        "the old value, from the old leader"
    );
    assert_eq!(linearizable(&sim), Verdict::Violated);
    assert!(
        sim.violation().is_none(),
        "the logs are fine: only the read is wrong"
    );

    for reads in [ReadPath::ReadIndex, ReadPath::Lease, ReadPath::Log] {
        let (read, sim) = read_at_deposed_leader(reads);
        assert!(
            !matches!(read, Some(OpResult::Ok { .. })),
            "{reads:?}: the old leader cannot confirm it leads, got {read:?}"
        );
        assert_eq!(linearizable(&sim), Verdict::Holds, "{reads:?}");
    }
}

#[test]
fn read_index_and_lease_reads_answer_without_a_log_entry() {
    for reads in [ReadPath::ReadIndex, ReadPath::Lease] {
        let mut s = with(raft(5, 3), |c| c.reads = reads);
        s.workload = Some(scenario::Workload {
            reads: 1.0,
            ..Default::default()
        });
        let sim = run(&s, secs(3.0));
        let ok = sim
            .history()
            .iter()
            .filter(|o| matches!(o.result, Some((_, OpResult::Ok { .. }))))
            .count();
        assert!(ok > 20, "{reads:?}: {ok} reads answered");
        // Only the leader's no-op is in the log.
        assert_eq!(sim.decided(), 1, "{reads:?}");
    }
}

/// Runs `f` over `0..count` on the machine's cores; collects failures.
fn par_seeds(count: u64, f: impl Fn(u64) -> Result<(), String> + Sync) -> Vec<String> {
    let next = AtomicU64::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(4)
        {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= count {
                    break;
                }
                if let Err(e) = f(seed) {
                    failures.lock().unwrap().push(e);
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    failures
}

fn seeds() -> u64 {
    std::env::var("SPLITBRAIN_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150)
}

/// The Raft sweep's scenario (random partitions, crashes, loss,
/// duplication) with more reads, on one read path; each seed's history is
/// checked for linearizability.
fn sweep(reads: ReadPath, options: bool, seed: u64) -> Result<Verdict, String> {
    let mut s = with(scenario_file("raft-sweep.json"), |c| {
        c.reads = reads;
        c.pre_vote = options;
        c.check_quorum = options;
    });
    s.seed = seed;
    s.workload.as_mut().unwrap().reads = 0.5;
    let mut sim = build(
        &s,
        RunOptions {
            keep_trace: false,
            recent_events: 0,
        },
    )
    .unwrap();
    sim.run_until(s.until.unwrap(), u64::MAX);
    if let Some(v) = sim.violation() {
        return Err(format!("{reads:?} seed {seed}: {} broken", v.invariant));
    }
    let answered = sim
        .history()
        .iter()
        .filter(|o| o.op.is_read() && matches!(o.result, Some((_, OpResult::Ok { .. }))))
        .count();
    if answered < 20 {
        return Err(format!(
            "{reads:?} seed {seed}: only {answered} reads answered"
        ));
    }
    Ok(linearizable(&sim))
}

#[test]
fn read_index_and_lease_reads_stay_linearizable_under_faults() {
    for reads in [ReadPath::ReadIndex, ReadPath::Lease] {
        for options in [false, true] {
            let failures = par_seeds(seeds(), |seed| match sweep(reads, options, seed)? {
                Verdict::Holds => Ok(()),
                v => Err(format!("{reads:?} options {options} seed {seed}: {v:?}")),
            });
            assert!(failures.is_empty(), "{failures:#?}");
        }
    }
}

/// The sweep can fail: reading at the leader without asking anyone is
/// caught on some seeds.
#[test]
fn the_sweep_catches_leader_local_reads() {
    let stale = par_seeds(seeds(), |seed| {
        match sweep(ReadPath::LeaderLocal, false, seed)? {
            Verdict::Violated => Err(format!("{seed}")),
            _ => Ok(()),
        }
    });
    println!(
        "leader-local reads: {} of {} seeds not linearizable",
        stale.len(),
        seeds()
    );
    assert!(!stale.is_empty());
}
