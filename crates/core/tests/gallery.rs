//! Every gallery entry does what its text says: each one's scenario is run
//! to its moment and its claim checked (`web/scenarios/gallery.json`).

use std::path::PathBuf;

use splitbrain_core::gallery::{Gallery, GalleryEntry};
use splitbrain_core::{build, NodeId, RunOptions, Scenario, Span, Time};

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/scenarios")
}

fn gallery() -> Gallery {
    let text = std::fs::read_to_string(scenarios_dir().join("gallery.json")).unwrap();
    serde_json::from_str(&text).expect("gallery.json parses")
}

fn scenario(entry: &GalleryEntry) -> Scenario {
    let path = scenarios_dir().join(&entry.scenario);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {}: {e}", entry.id, path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", entry.id))
}

#[test]
fn every_gallery_entry_does_what_it_says() {
    let gallery = gallery();
    let mut failures = Vec::new();
    for entry in &gallery.entries {
        let s = scenario(entry);
        let result = entry
            .check_protocol(&s)
            .and_then(|()| entry.expect.check(&s, entry.moment));
        if let Err(e) = result {
            failures.push(format!("{}: {e}", entry.id));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_gallery_covers_the_textbook_failures() {
    let gallery = gallery();
    let ids: Vec<&str> = gallery.entries.iter().map(|e| e.id.as_str()).collect();
    for id in [
        "raft-election",
        "raft-log-repair",
        "raft-minority-leader",
        "two-phase-blocking",
        "two-phase-no-vote",
        "three-phase-coordinator-crash",
        "three-phase-partition",
        "three-phase-slow-message",
        "paxos-naive",
        "paxos-duel",
        "multi-paxos-vs-raft",
        "cap-raft",
        "cap-quorum",
        "pacelc-raft",
        "pacelc-quorum",
        "lock-fencing",
        "lock-no-fencing",
        "lock-replicated",
        "lock-drift-overlap",
        "lock-drift-wait",
        "chain-middle-failure",
        "raft-disruptive-server",
        "raft-disruptive-server-tamed",
        "raft-stale-lease-read",
        "raft-stale-lease-read-index",
        "raft-membership-two-leaders",
        "raft-membership-safe",
        "raft-snapshot-catch-up",
    ] {
        assert!(ids.contains(&id), "missing {id}");
    }
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids must be unique");
    assert!(ids.iter().all(|id| id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')));
}

/// The check can fail: the blocking entry's claim no longer holds once the
/// coordinator comes back before the moment, nor if the claimed duration
/// is longer than the time spent in doubt.
#[test]
fn a_claim_that_does_not_hold_is_reported() {
    let gallery = gallery();
    let entry = gallery
        .entries
        .iter()
        .find(|e| e.id == "two-phase-blocking")
        .unwrap();
    let mut early = scenario(entry);
    early.actions.last_mut().unwrap().at = splitbrain_core::Time(1_000_000);
    let err = entry.expect.check(&early, entry.moment).unwrap_err();
    assert!(err.contains("in doubt"), "{err}");

    let mut longer = entry.expect.clone();
    longer.roles.clear();
    longer.in_doubt_for = Some(Span::from_secs(5));
    assert!(longer.check(&scenario(entry), entry.moment).is_err());

    let naive = gallery
        .entries
        .iter()
        .find(|e| e.id == "paxos-naive")
        .unwrap();
    let mut wrong = naive.expect.clone();
    wrong.violation = None;
    assert!(wrong.check(&scenario(naive), naive.moment).is_err());

    // Before the partition heals, the stale leader's log still differs.
    let repair = gallery
        .entries
        .iter()
        .find(|e| e.id == "raft-log-repair")
        .unwrap();
    let before = Time(2_900_000);
    let mut logs_only = repair.expect.clone();
    logs_only.leaders = None;
    let err = logs_only.check(&scenario(repair), before).unwrap_err();
    assert!(err.contains("log"), "{err}");
    let mut sim = build(&scenario(repair), RunOptions::default()).unwrap();
    sim.run_until(before, u64::MAX);
    let stale = sim.node_detail(NodeId(0)).log;
    assert!(stale
        .iter()
        .any(|e| e.label == "put x=stale" && !e.committed));
}

/// The drift entry's claim is the overlap, for the right reason: with the
/// new leader's wait switched back on, the same clocks and faults keep one
/// holder at a time and the claim fails.
#[test]
fn the_drift_overlap_comes_from_the_missing_wait() {
    let gallery = gallery();
    let entry = gallery
        .entries
        .iter()
        .find(|e| e.id == "lock-drift-overlap")
        .unwrap();
    let mut waiting = scenario(entry);
    let splitbrain_core::ProtocolConfig::LockService(config) = &mut waiting.protocol else {
        panic!("a lock service entry")
    };
    config.leader_wait = true;
    let err = entry.expect.check(&waiting, entry.moment).unwrap_err();
    assert!(err.contains("One lease holder at a time"), "{err}");
    // The fixed entry is that scenario, its title and captions aside.
    let fixed = gallery
        .entries
        .iter()
        .find(|e| e.id == "lock-drift-wait")
        .unwrap();
    let fixed = scenario(fixed);
    assert_eq!(
        (&fixed.protocol, &fixed.clocks, &fixed.actions),
        (&waiting.protocol, &waiting.clocks, &waiting.actions)
    );
}

/// The two PACELC entries run the same load on the same regions; at their
/// moment Raft's writes take about 11 times as long as the store's (the
/// README's claim), and the latency claims can fail (swapped, they do).
#[test]
fn pacelc_raft_pays_in_latency_what_the_store_pays_in_staleness() {
    use splitbrain_core::gallery::{mean_write_latency, stale_reads};
    let gallery = gallery();
    let entry = |id: &str| gallery.entries.iter().find(|e| e.id == id).unwrap();
    let (raft, store) = (entry("pacelc-raft"), entry("pacelc-quorum"));
    assert_eq!(raft.moment, store.moment);
    let run = |e: &GalleryEntry| {
        let mut sim = build(&scenario(e), RunOptions::default()).unwrap();
        sim.run_until(e.moment, u64::MAX);
        sim
    };
    let (r, s) = (run(raft), run(store));
    let (rm, sm) = (
        mean_write_latency(&r.history().to_vec()).unwrap(),
        mean_write_latency(&s.history().to_vec()).unwrap(),
    );
    let factor = rm.0 as f64 / sm.0 as f64;
    println!(
        "mean write latency at {}: raft {rm}, store {sm} ({factor:.1}x)",
        raft.moment
    );
    // The README says Raft's writes take "about 11 times as long". The run
    // is deterministic: measured 11.0x (161.8 ms against 14.7 ms); within
    // a tenth of that it is still "about 11".
    assert!(
        (10.0..12.0).contains(&factor),
        "raft {rm} store {sm} ({factor:.2}x)"
    );
    assert!(stale_reads(&s).unwrap() > 0);
    assert_eq!(stale_reads(&r), None);

    let mut swapped = store.expect.clone();
    swapped.min_stale_reads = None;
    assert!(swapped.check(&scenario(raft), raft.moment).is_err());
    let mut swapped = raft.expect.clone();
    swapped.leaders = None;
    assert!(swapped.check(&scenario(store), store.moment).is_err());
}

/// The chain replication tour says what happens: the write on its way to
/// the crashed n2 is acknowledged after the master removes n2 (not lost),
/// the read at the tail returns it, and n2 comes back as the tail in a
/// later epoch. Without the restart, the entry's claim fails.
#[test]
fn the_chain_tour_loses_no_write_and_takes_the_server_back() {
    use splitbrain_core::sim::OpResult;
    let gallery = gallery();
    let entry = gallery
        .entries
        .iter()
        .find(|e| e.id == "chain-middle-failure")
        .unwrap();
    let s = scenario(entry);
    let crash = Time(1_001_000);
    let mut sim = build(&s, RunOptions::default()).unwrap();
    sim.run_until(Time(1_450_000), u64::MAX);
    assert_eq!(sim.node_view(NodeId(2)).role_label, "down");
    assert!(sim.node_view(NodeId(1)).term >= 2, "a new epoch by 1.45 s");
    sim.run_until(entry.moment, u64::MAX);
    let history = sim.history();
    let write = history
        .iter()
        .find(|op| op.op.to_string() == "append x+=2")
        .unwrap();
    assert!(
        matches!(write.result, Some((done, OpResult::Ok { .. })) if done > crash),
        "{write:?}"
    );
    let read = history.iter().find(|op| op.op.is_read()).unwrap();
    assert!(
        matches!(&read.result, Some((_, OpResult::Ok { value: Some(v) })) if v == "12"),
        "{read:?}"
    );
    assert_eq!(sim.node_view(NodeId(2)).role_label, "tail");
    assert_eq!(
        sim.node_view(NodeId(2)).term,
        3,
        "removed in epoch 2, taken back in 3"
    );
    assert_eq!(
        sim.node_detail(NodeId(2)).log,
        sim.node_detail(NodeId(1)).log
    );

    let mut no_restart = s.clone();
    no_restart.actions.pop();
    let err = entry.expect.check(&no_restart, entry.moment).unwrap_err();
    assert!(err.contains("n2") || err.contains('2'), "{err}");
}

/// The disruptive-server pair's claims can fail: the plain run's claims do
/// not hold for the tamed one, nor the tamed run's for the plain one.
#[test]
fn leadership_claims_tell_the_disruptive_server_from_the_tamed_one() {
    let gallery = gallery();
    let find = |id: &str| gallery.entries.iter().find(|e| e.id == id).unwrap();
    let plain = find("raft-disruptive-server");
    let tamed = find("raft-disruptive-server-tamed");
    let err = plain
        .expect
        .check(&scenario(tamed), plain.moment)
        .unwrap_err();
    assert!(err.contains("at least 10 terms with a leader"), "{err}");
    let err = tamed
        .expect
        .check(&scenario(plain), tamed.moment)
        .unwrap_err();
    assert!(err.contains("at most 1 terms with a leader"), "{err}");
    let mut ballot_only = tamed.expect.clone();
    ballot_only.max_leaderships = None;
    ballot_only.leaders = None;
    let err = ballot_only
        .check(&scenario(plain), tamed.moment)
        .unwrap_err();
    assert!(err.contains("no ballot above 1"), "{err}");
}

/// The stale lease read's claim can fail: the ReadIndex run is
/// linearizable, and so is the lease run when the clocks drift within the
/// bound the lease assumes.
#[test]
fn the_stale_lease_read_needs_the_lease_and_the_drift() {
    let gallery = gallery();
    let find = |id: &str| gallery.entries.iter().find(|e| e.id == id).unwrap();
    let lease = find("raft-stale-lease-read");
    let index = find("raft-stale-lease-read-index");
    let mut stale_only = lease.expect.clone();
    stale_only.leaders = None;
    let err = stale_only
        .check(&scenario(index), lease.moment)
        .unwrap_err();
    assert!(err.contains("not to be linearizable"), "{err}");
    let mut within = scenario(lease);
    for timed in &mut within.actions {
        if let splitbrain_core::Action::Clock { drift_ppm, .. } = &mut timed.action {
            *drift_ppm = drift_ppm.signum() * 500;
        }
    }
    let err = stale_only.check(&within, lease.moment).unwrap_err();
    assert!(err.contains("not to be linearizable"), "{err}");
}

/// The membership tours turn on one rule: the broken tour's claim (two
/// leaders in term 3) fails once the rule is back, and the safe tour's
/// claim fails without it.
#[test]
fn the_membership_tours_differ_only_by_the_own_term_rule() {
    use splitbrain_core::protocols::raft::{RaftConfig, RaftVariant};
    use splitbrain_core::registry::Variant;
    let gallery = gallery();
    let entry = |id: &str| gallery.entries.iter().find(|e| e.id == id).unwrap();
    let broken = entry("raft-membership-two-leaders");
    let safe = entry("raft-membership-safe");
    let with = |entry: &GalleryEntry, variant| {
        let mut s = scenario(entry);
        RaftConfig::of_mut(&mut s.protocol).unwrap().variant = variant;
        s
    };
    let err = broken
        .expect
        .check(&with(broken, RaftVariant::Correct), broken.moment)
        .unwrap_err();
    assert!(err.contains("election safety"), "{err}");
    let err = safe
        .expect
        .check(
            &with(safe, RaftVariant::ChangeBeforeOwnTermCommit),
            safe.moment,
        )
        .unwrap_err();
    assert!(err.contains("election safety"), "{err}");
}

/// The snapshot tour's claim can fail: without compaction n4 catches up by
/// AppendEntries and installs no snapshot, and without its restart its
/// state never agrees with the others'.
#[test]
fn the_snapshot_tour_needs_compaction_and_the_restart() {
    use splitbrain_core::protocols::raft::RaftConfig;
    use splitbrain_core::registry::Variant;
    let gallery = gallery();
    let entry = gallery
        .entries
        .iter()
        .find(|e| e.id == "raft-snapshot-catch-up")
        .unwrap();
    let mut plain = scenario(entry);
    RaftConfig::of_mut(&mut plain.protocol)
        .unwrap()
        .snapshot_every = None;
    let err = entry.expect.check(&plain, entry.moment).unwrap_err();
    assert!(err.contains("snapshots installed"), "{err}");
    let mut down = scenario(entry);
    down.actions
        .retain(|a| !matches!(a.action, splitbrain_core::Action::Restart { .. }));
    let err = entry.expect.check(&down, entry.moment).unwrap_err();
    assert!(err.contains("state and commit index to agree"), "{err}");
}
