//! Raft's log compaction (§7) in whole runs: off by default and validated;
//! a follower back from a long outage catches up by InstallSnapshot; the
//! seed sweep with snapshots (crashes, restarts, partitions, membership
//! changes) stays safe and converges; a million-event run keeps every log
//! within a bound set by `snapshot_every`.
//!
//! `SPLITBRAIN_SEEDS=N` changes how many seeds the sweep runs per setting
//! (default 300).

mod common;

use common::*;
use splitbrain_core::cluster::Nodes;
use splitbrain_core::protocol::Slot;
use splitbrain_core::protocols::raft::{Raft, RaftConfig};
use splitbrain_core::registry::Variant;
use splitbrain_core::sim::OpResult;
use splitbrain_core::trace::EventKind;
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

fn rafts(sim: &Sim) -> &Nodes<Raft> {
    sim.cluster()
        .as_any()
        .downcast_ref::<Nodes<Raft>>()
        .expect("a Raft run")
}

/// Entries each node keeps in its log (a crashed node's durable one).
fn log_lengths(sim: &Sim) -> Vec<usize> {
    rafts(sim)
        .slots()
        .iter()
        .map(|slot| match slot {
            Slot::Up(r) => r.log().len(),
            Slot::Down(d) => d.log.len(),
        })
        .collect()
}

const INSTALL_SNAPSHOT: &str = "InstallSnapshot";

/// How many InstallSnapshot messages went to `to`, read off the trace.
fn snapshots_sent_to(sim: &Sim, to: NodeId) -> usize {
    let kind = sim
        .msg_kinds()
        .iter()
        .position(|k| *k == INSTALL_SNAPSHOT)
        .expect("Raft has InstallSnapshot") as u8;
    sim.trace()
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::Send && e.tag == kind && e.peer == to)
        .count()
}

#[test]
fn compaction_is_off_by_default_and_bad_intervals_name_the_field() {
    assert_eq!(RaftConfig::default().snapshot_every, None);
    let json = serde_json::to_string(&ProtocolConfig::Raft(RaftConfig::default())).unwrap();
    assert!(!json.contains("snapshot"), "{json}");
    let on: ProtocolConfig =
        serde_json::from_str(r#"{"name":"raft","snapshot_every":20}"#).unwrap();
    assert_eq!(RaftConfig::of(&on).unwrap().snapshot_every, Some(20));
    let back: ProtocolConfig = serde_json::from_str(&serde_json::to_string(&on).unwrap()).unwrap();
    assert_eq!(back, on);
    for bad in ["0", "1000001"] {
        let text = format!(r#"{{"protocol":{{"name":"raft","snapshot_every":{bad}}},"nodes":5}}"#);
        let s: Scenario = serde_json::from_str(&text).unwrap();
        let e = build(&s, RunOptions::default()).err().unwrap().to_string();
        assert!(e.starts_with("protocol.snapshot_every:"), "{e}");
        assert!(e.contains(bad), "{e}");
    }
    let text = r#"{"protocol":{"name":"raft","snapshot_every":-1},"nodes":5}"#;
    assert!(serde_json::from_str::<Scenario>(text).is_err());
}

/// The gallery's tour: n4 is down from 1 s to 6 s while the others commit
/// and compact; back, it needs entries the leader no longer has, gets the
/// snapshot, and ends with everyone's state. Without compaction the same
/// run repairs n4 by AppendEntries alone.
#[test]
fn a_follower_back_from_a_long_outage_catches_up_by_snapshot() {
    let s = scenario_file("raft-snapshot-catch-up.json");
    let until = s.until.unwrap();
    let sim = run(&s, until);
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    let sent = snapshots_sent_to(&sim, NodeId(4));
    let installed = sim
        .node_detail(NodeId(4))
        .fields
        .into_iter()
        .find(|(k, _)| *k == "snapshots installed")
        .map(|(_, v)| v);
    println!("catch-up: {sent} InstallSnapshot to n4, installed {installed:?}");
    assert!(sent >= 1);
    assert_eq!(installed.as_deref(), Some("1"));
    let leader = current_leader(&sim).expect("a leader at the end");
    let want = sim.node_detail(leader);
    let n4 = sim.node_detail(NodeId(4));
    assert_eq!(n4.kv, want.kv);
    assert_eq!(
        sim.node_view(NodeId(4)).commit_index,
        sim.node_view(leader).commit_index
    );
    assert!(!want.kv.is_empty());

    let plain = run(&with(s.clone(), |c| c.snapshot_every = None), until);
    assert!(plain.violation().is_none());
    assert_eq!(snapshots_sent_to(&plain, NodeId(4)), 0);
    assert_eq!(
        plain.node_detail(NodeId(4)).log.len() as u64,
        plain.node_view(NodeId(4)).log_len,
        "without compaction n4 holds every entry"
    );
}

fn seeds() -> u64 {
    std::env::var("SPLITBRAIN_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

/// One sweep run: safety; with `live`, also liveness within 3 s of the
/// faults ending and convergence (the leader's voters agree with it on
/// state, commit index and the log entries both still hold). Returns how
/// many snapshots were sent.
fn sweep_seed(base: &Scenario, seed: u64, what: &str, live: bool) -> Result<usize, String> {
    let mut s = base.clone();
    s.seed = seed;
    let faults_end = s.faults.as_ref().unwrap().until;
    let until = s.until.unwrap();
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(until, u64::MAX);
    let fail = |e: String| Err(format!("{what}, seed {seed}: {e}"));
    if let Some(v) = sim.violation() {
        return fail(format!(
            "{} violated at {}: {}",
            v.invariant, v.time, v.violation.message
        ));
    }
    let sent = (0..s.nodes)
        .map(|n| snapshots_sent_to(&sim, NodeId(n)))
        .sum();
    if !live {
        return Ok(sent);
    }
    let bound = faults_end + Span::from_secs(3);
    if !sim.history().iter().any(|op| {
        op.invoke >= faults_end
            && matches!(op.result, Some((done, OpResult::Ok { .. })) if done <= bound)
    }) {
        return fail(format!(
            "nothing committed between {faults_end} and {bound}"
        ));
    }
    // The leader's configuration: a server removed before it heard so
    // keeps its old log, as the thesis has it.
    let Some(leader) = current_leader(&sim) else {
        return fail(format!("no leader at {until}"));
    };
    let members = sim.members(leader).map_or(u64::MAX, |m| m.members);
    let voters: Vec<NodeId> = (0..s.nodes)
        .map(NodeId)
        .filter(|n| members & (1 << n.0) != 0)
        .collect();
    let reference = sim.node_detail(leader);
    let commit = sim.node_view(leader).commit_index;
    for &n in &voters {
        let d = sim.node_detail(n);
        let v = sim.node_view(n);
        let (a, b) = (&d.log, &reference.log);
        let shared = |x: &[splitbrain_core::protocol::EntryView],
                      y: &[splitbrain_core::protocol::EntryView]| {
            x.iter()
                .filter(|e| y.iter().any(|f| f.index == e.index))
                .map(|e| (e.index, e.term, e.label.clone()))
                .collect::<Vec<_>>()
        };
        if d.kv != reference.kv
            || v.commit_index != commit
            || v.commit_index != v.log_len
            || shared(a, b) != shared(b, a)
        {
            return fail(format!(
                "{n} has not converged by {until} (commit {}, log to {}; {} has commit {commit})",
                v.commit_index, v.log_len, leader
            ));
        }
    }
    Ok((0..s.nodes)
        .map(|n| snapshots_sent_to(&sim, NodeId(n)))
        .sum())
}

/// The Raft sweep (random partitions, crashes, 5% loss, 1% duplication)
/// with compaction every 5 and every 50 applied entries: no invariant
/// breaks, a request commits once the faults stop, and every voter
/// converges. With compaction every 10 and six membership changes per run
/// (single-server and joint), as `raft_membership.rs`'s sweep: no
/// invariant breaks. (Liveness is not claimed there: some of those runs
/// end without a leader or with a voter behind, with or without
/// compaction alike.) Snapshots must actually have been sent in most runs
/// of each setting, or the sweep would prove nothing about them.
#[test]
fn sweep_with_snapshots_stays_safe_and_converges() {
    let base = scenario_file("raft-sweep.json");
    let seeds = seeds();
    let mut failures = Vec::new();
    let settings: [(&str, u32, Option<bool>); 4] = [
        ("every 5", 5, None),
        ("every 50", 50, None),
        ("every 10, single-server changes", 10, Some(false)),
        ("every 10, joint consensus", 10, Some(true)),
    ];
    for (what, every, membership) in settings {
        let mut with_snapshots = 0;
        let mut sent = 0;
        for seed in 0..seeds {
            let mut s = with(base.clone(), |c| {
                c.snapshot_every = Some(every);
                if let Some(joint) = membership {
                    c.members = Some((0..4).map(NodeId).collect());
                    c.joint = joint;
                }
            });
            if membership.is_some() {
                membership_changes(&mut s, seed);
            }
            match sweep_seed(&s, seed, what, membership.is_none()) {
                Ok(n) => {
                    sent += n;
                    with_snapshots += usize::from(n > 0);
                }
                Err(e) => failures.push(e),
            }
        }
        println!("snapshot sweep, {what}: {seeds} seeds, {with_snapshots} sent snapshots ({sent} in all)");
        {
            assert!(
                with_snapshots as u64 * 2 > seeds,
                "{what}: only {with_snapshots} of {seeds} runs sent a snapshot"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// 5 nodes, 10 clients sending again 1-5 ms after each answer, half of
/// them reads, no faults: the simulator benchmark's steady load.
fn steady(snapshot_every: Option<u32>) -> Scenario {
    let mut s = Scenario::new(
        ProtocolConfig::Raft(RaftConfig {
            snapshot_every,
            ..RaftConfig::default()
        }),
        5,
        7,
    );
    s.workload = Some(splitbrain_core::scenario::Workload {
        clients: CLIENTS,
        think: splitbrain_core::scenario::Latency {
            min: Span::from_millis(1),
            max: Span::from_millis(5),
        },
        keys: 10,
        reads: 0.5,
        ..Default::default()
    });
    s
}

const CLIENTS: u32 = 10;

/// Runs `events` events; the most entries any node's log held after any
/// of them, and the highest commit index reached.
fn longest_log(s: &Scenario, events: u64) -> (usize, u64) {
    let mut sim = build(
        s,
        RunOptions {
            keep_trace: false,
            recent_events: 0,
        },
    )
    .unwrap();
    let mut longest = 0;
    while sim.trace().len() < events {
        assert!(sim.step(), "the workload never stops");
        longest = longest.max(log_lengths(&sim).into_iter().max().unwrap());
    }
    assert!(sim.violation().is_none(), "{:?}", sim.violation());
    (longest, sim.decided())
}

/// A million events under steady client load keep every log short. A log
/// holds what was applied since the last snapshot: fewer than N entries,
/// plus what one handler applies before the next one compacts, at most an
/// entry per client (each has one request outstanding); and what is not
/// yet applied: again at most an entry per client, plus the leader's
/// no-op. So N - 1 + 2 × clients + 1. Without compaction the same load
/// outgrows that bound within a tenth of the run.
#[test]
fn a_million_events_keep_a_bounded_log() {
    const EVERY: u32 = 64;
    let bound = (EVERY + 2 * CLIENTS) as usize;
    let (longest, decided) = longest_log(&steady(Some(EVERY)), 1_000_000);
    println!(
        "1,000,000 events, snapshot every {EVERY}: {decided} entries committed, longest log \
         {longest} entries (bound {bound})"
    );
    assert!(
        decided > 10 * bound as u64,
        "the run committed only {decided}"
    );
    assert!(
        longest <= bound,
        "a log held {longest} entries, bound {bound}"
    );
    let (plain, decided) = longest_log(&steady(None), 100_000);
    println!("100,000 events without compaction: longest log {plain} of {decided} committed");
    assert!(plain > bound, "{plain}");
}
