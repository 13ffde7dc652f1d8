//! CAP made visible: the numbers the comparison panel shows for a run
//! (availability while the partition lasts, stale reads, lost updates,
//! siblings, the linearizability verdict), the scenario a CAP scenario is
//! compared with, and the per-read note (which replicas answered, was it
//! stale) the history view shows.
//!
//! The definitions are the CLI's (`splitbrain run` prints the same lines),
//! so the page and the terminal agree on a run: availability is the share
//! of requests invoked in a window that have ended and succeeded; stale,
//! siblings and lost come from the core's [`audit`].

use std::collections::BTreeMap;

use splitbrain_core::check::Verdict;
use splitbrain_core::protocol::Op;
use splitbrain_core::pvec::PVec;
use splitbrain_core::sim::{ClientOp, OpResult};
use splitbrain_core::version::{audit, KeyVersions, Versioning};
use splitbrain_core::{Action, NodeId, Scenario, Sim, Time, TimedAction};

use crate::checks::{Answer, Job};

/// The two halves of the comparison, as shipped (and in the gallery).
pub const CAP_FILES: [&str; 2] = ["cap-raft-partition.json", "cap-quorum-partition.json"];

/// Search steps for the linearizability verdict of one side: the history
/// view's live budget, so the panel costs no more than a badge does.
pub const CHECK_STEPS: u64 = crate::history::LIVE_STEPS;

/// One side's numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct CapNumbers {
    pub protocol: &'static str,
    pub now: Time,
    /// The first partition: when it starts and heals (or `now`, if later
    /// than now or never healed).
    pub window: Option<(Time, Time)>,
    /// `(ok, ended)` requests invoked during the window.
    pub during: (usize, usize),
    /// `(ok, ended)` over the whole run so far.
    pub overall: (usize, usize),
    /// Stores with versions only.
    pub consistency: Option<Consistency>,
    /// From the check worker ([`verdict_job`]); [`measure`] leaves it
    /// `Unknown`.
    pub linearizable: Verdict,
}

/// What the audit found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consistency {
    pub reads: u64,
    pub stale: usize,
    pub siblings: usize,
    pub writes: u64,
    pub lost: usize,
}

/// The share of `(ok, total)` in percent, `None` with no requests.
pub fn percent((ok, total): (usize, usize)) -> Option<f64> {
    (total > 0).then(|| ok as f64 * 100.0 / total as f64)
}

/// The run's first partition among its `actions`, as `(start, heal)`; an
/// unhealed one (or one healing after `until`) ends at `until`.
pub fn partition_window(actions: &[TimedAction], until: Time) -> Option<(Time, Time)> {
    let start = actions
        .iter()
        .find(|a| matches!(a.action, Action::Partition { .. }))?
        .at;
    let end = actions
        .iter()
        .find(|a| a.at >= start && matches!(a.action, Action::Heal))
        .map_or(until, |a| a.at.min(until));
    Some((start, end))
}

/// `(ok, total)` among requests invoked in `[from, to)` that have ended.
pub fn availability(history: &PVec<ClientOp>, from: Time, to: Time) -> (usize, usize) {
    let mut out = (0, 0);
    for o in history
        .iter()
        .filter(|o| o.invoke >= from && o.invoke < to && o.result.is_some())
    {
        out.1 += 1;
        if matches!(o.result, Some((_, OpResult::Ok { .. }))) {
            out.0 += 1;
        }
    }
    out
}

/// The versioning of a store that keeps versions.
pub fn versioning(scenario: &Scenario) -> Option<Versioning> {
    scenario.protocol.versioning()
}

/// Measures a run as it stands now; `actions` is its action list (a
/// timeline's, whose cursor keeps none; else the scenario's). The
/// linearizability verdict is the check worker's ([`verdict_job`]).
pub fn measure(sim: &Sim, actions: &[TimedAction]) -> CapNumbers {
    let now = sim.now();
    let history = sim.history();
    let window = partition_window(actions, now).filter(|(from, _)| *from <= now);
    let during = window.map_or((0, 0), |(from, to)| availability(history, from, to));
    let consistency = versioning(sim.scenario()).map(|mode| {
        let surviving: Vec<KeyVersions> = (0..sim.node_count())
            .flat_map(|n| sim.stored_versions(NodeId(n as u16)))
            .collect();
        let a = audit(&history.to_vec(), &surviving, mode);
        Consistency {
            reads: a.reads,
            stale: a.stale.len(),
            siblings: a.siblings.len(),
            writes: a.writes,
            lost: a.lost.len(),
        }
    });
    CapNumbers {
        protocol: sim.protocol_name(),
        now,
        window,
        during,
        overall: availability(history, Time::ZERO, Time::MAX),
        consistency,
        linearizable: Verdict::Unknown,
    }
}

/// What to ask the check worker for a run's linearizability verdict, as
/// it stands now, with [`CHECK_STEPS`]; `None` before any request (the
/// verdict is `Unknown`).
pub fn verdict_job(sim: &Sim) -> Option<Job> {
    let history = sim.history();
    (!history.is_empty()).then(|| Job::Linearizable {
        ops: crate::checks::run_ops(history),
        max_steps: CHECK_STEPS,
    })
}

/// The verdict as the check worker would give it, worked out here: for
/// native tests.
#[cfg(test)]
pub(crate) fn verdict_here(sim: &Sim) -> Verdict {
    verdict_job(sim).map_or(Verdict::Unknown, |job| {
        verdict_of(&crate::checks::answer(&job, &|| 0.0))
    })
}

/// The verdict in the answer to a [`verdict_job`]; `Unknown` when the
/// worker could not give one.
pub fn verdict_of(answer: &Answer) -> Verdict {
    match answer {
        Answer::Linearizable { verdict } => *verdict,
        _ => Verdict::Unknown,
    }
}

/// The protocols of the two halves (a test checks them against the
/// files), so the panel can offer the comparison before any file is here.
pub const CAP_PROTOCOLS: [&str; 2] = ["raft", "quorum"];

/// Whether the comparison has a half running `scenario`'s protocol: the
/// panel offers to load it there.
pub fn compares(scenario: &Scenario) -> bool {
    CAP_PROTOCOLS.contains(&scenario.protocol.name())
}

/// The pair files `scenario` may need to find its counterpart that are
/// not at hand yet: none unless it has a title and a protocol the CAP or
/// PACELC pair runs (only their halves can match).
pub fn pair_files_missing(scenario: &Scenario) -> Vec<String> {
    if scenario.title.is_none() || !compares(scenario) {
        return Vec::new();
    }
    CAP_FILES
        .iter()
        .chain(&crate::pacelc::PACELC_FILES)
        .filter(|f| crate::gallery::file(f).is_none())
        .map(|f| (*f).to_owned())
        .collect()
}

/// If `scenario` is one half of the CAP comparison (the same title as a
/// shipped CAP file), the other half.
pub fn counterpart(scenario: &Scenario) -> Option<Scenario> {
    let title = scenario.title.as_deref()?;
    let halves: Vec<Scenario> = CAP_FILES
        .iter()
        .filter_map(|f| crate::gallery::scenario(f))
        .collect();
    let i = halves
        .iter()
        .position(|s| s.title.as_deref() == Some(title))?;
    let mut other = halves[1 - i].clone();
    other.until = None;
    Some(other)
}

/// One read's (or write's) replica note, for the history view: who
/// answered and, for a successful read, whether it was stale: whether
/// some write to the key completed before the read began and the read
/// returned nothing that supersedes it (the audit's definition).
pub fn read_note(history: &PVec<ClientOp>, i: usize, mode: Versioning) -> Option<String> {
    let op = history.get(i)?;
    let d = op.detail.as_ref()?;
    let names = |ns: &[NodeId]| -> String {
        ns.iter()
            .map(|n| format!("n{}", n.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let read = matches!(op.op, Op::Get { .. });
    let mut s = if read {
        crate::i18n::tf("; replicas that answered: {0}", &[&names(&d.replicas)])
    } else {
        crate::i18n::tf("; acknowledged by {0}", &[&names(&d.replicas)])
    };
    if !d.fallbacks.is_empty() {
        s.push_str(&crate::i18n::tf(
            " (standing in: {0})",
            &[&names(&d.fallbacks)],
        ));
    }
    let Op::Get { key } = &op.op else {
        return Some(s);
    };
    if !matches!(op.result, Some((_, OpResult::Ok { .. }))) {
        return Some(s);
    }
    if d.versions.len() > 1 {
        s.push_str(&crate::i18n::tf("; {0} siblings", &[&d.versions.len()]));
    }
    let missed = history.iter().find(|w| {
        !w.op.is_read()
            && w.op.key() == key
            && match (&w.result, &w.detail) {
                (Some((done, OpResult::Ok { .. })), Some(wd)) => {
                    *done < op.invoke
                        && wd
                            .versions
                            .first()
                            .is_some_and(|v| !d.versions.iter().any(|r| r.supersedes(v, mode)))
                }
                _ => false,
            }
    });
    match missed {
        Some(w) => s.push_str(&crate::i18n::tf(
            "; STALE: missed {0} (done before this read began)",
            &[&w.op],
        )),
        None => s.push_str(crate::i18n::t("; up to date")),
    }
    Some(s)
}

/// Fills in notes for the operations of `history` that have ended and
/// have none yet. A read's note is final once it ends: the writes it is
/// judged against all ended before it began.
pub fn fill_notes(notes: &mut BTreeMap<usize, String>, sim: &Sim) {
    let Some(mode) = versioning(sim.scenario()) else {
        return;
    };
    let history = sim.history();
    for (i, op) in history.iter().enumerate() {
        if op.result.is_some() && op.detail.is_some() && !notes.contains_key(&i) {
            if let Some(n) = read_note(history, i, mode) {
                notes.insert(i, n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_core::{build, RunOptions};

    fn secs(s: u64) -> Time {
        Time(s * 1_000_000)
    }

    fn run(name: &str, until: Time) -> Sim {
        let s = crate::gallery::scenario(name).unwrap();
        let mut sim = build(&s, RunOptions::default()).unwrap();
        sim.run_until(until, u64::MAX);
        sim
    }

    /// The numbers, with the verdict when `check` (the worker's job, run
    /// here).
    fn measure_run(name: &str, until: Time, check: bool) -> CapNumbers {
        let sim = run(name, until);
        let mut n = measure(&sim, &sim.scenario().actions);
        if check {
            n.linearizable = verdict_here(&sim);
        }
        n
    }

    /// The panel offers the comparison by protocol before the files are
    /// fetched: the constant must name the files' protocols, and only a
    /// titled run of one of them asks for the pair files.
    #[test]
    fn the_offer_knows_the_halves_protocols_without_their_files() {
        for (file, protocol) in CAP_FILES.iter().zip(CAP_PROTOCOLS) {
            let s = crate::gallery::scenario(file).unwrap();
            assert_eq!(s.protocol.name(), protocol, "{file}");
        }
        for file in crate::pacelc::PACELC_FILES {
            let s = crate::gallery::scenario(file).unwrap();
            assert!(compares(&s), "{file}: a PACELC half runs a CAP protocol");
        }
        let untitled = crate::settings::Settings::default().scenario();
        assert!(compares(&untitled));
        // Natively every file is at hand, so nothing is missing.
        let titled = crate::gallery::scenario(CAP_FILES[0]).unwrap();
        assert!(pair_files_missing(&titled).is_empty());
    }

    #[test]
    fn the_two_cap_scenarios_point_at_each_other() {
        let raft = crate::gallery::scenario(CAP_FILES[0]).unwrap();
        let quorum = crate::gallery::scenario(CAP_FILES[1]).unwrap();
        assert_eq!(counterpart(&raft).unwrap().title, quorum.title);
        assert_eq!(counterpart(&quorum).unwrap().title, raft.title);
        // Same fault script, same load: only the protocol differs.
        assert_eq!(raft.actions, quorum.actions);
        assert_eq!(raft.nodes, quorum.nodes);
        assert!(counterpart(&crate::settings::Settings::default().scenario()).is_none());
    }

    #[test]
    fn raft_is_less_available_during_the_partition_and_the_store_less_consistent() {
        let t = secs(16);
        let raft = measure_run(CAP_FILES[0], t, true);
        let store = measure_run(CAP_FILES[1], t, true);
        assert_eq!(raft.window, Some((secs(2), secs(12))));
        let (r, s) = (
            percent(raft.during).unwrap(),
            percent(store.during).unwrap(),
        );
        println!("availability during the partition: raft {r:.1}%, store {s:.1}%");
        assert!(r < s, "raft {r} store {s}");
        assert!(r < 100.0);
        assert_eq!(s, 100.0);
        assert!(raft.consistency.is_none());
        let c = store.consistency.unwrap();
        println!(
            "store: {c:?}; raft linearizable {:?}, store {:?}",
            raft.linearizable, store.linearizable
        );
        assert!(c.stale > 0 && c.siblings > 0);
        assert_eq!(raft.linearizable, Verdict::Holds);
        assert_eq!(store.linearizable, Verdict::Violated);
    }

    #[test]
    fn at_the_gallery_moment_raft_already_shows_lost_availability() {
        // The gallery entries open at 7 s: the panel must already tell
        // the two sides apart there.
        let raft = measure_run(CAP_FILES[0], secs(7), false);
        let store = measure_run(CAP_FILES[1], secs(7), false);
        let (r, s) = (
            percent(raft.during).unwrap(),
            percent(store.during).unwrap(),
        );
        println!("at 7 s: raft {r:.1}%, store {s:.1}%");
        assert!(r < s, "raft {r} store {s}");
    }

    /// The page's run is a timeline's cursor, which keeps no action list:
    /// the partition is found in the timeline's.
    #[test]
    fn a_timeline_s_cursor_finds_its_partition_in_the_timeline_s_actions() {
        use splitbrain_core::timeline::{Timeline, DEFAULT_INTERVAL};
        let s = crate::gallery::scenario(CAP_FILES[0]).unwrap();
        let mut cursor = build(&s, RunOptions::default()).unwrap();
        let mut tl = Timeline::new(&mut cursor, DEFAULT_INTERVAL);
        tl.advance(&mut cursor, secs(7), u64::MAX);
        assert!(cursor.scenario().actions.is_empty());
        assert_eq!(measure(&cursor, &cursor.scenario().actions).window, None);
        let n = measure(&cursor, tl.actions());
        assert_eq!(n.window, Some((secs(2), secs(7))));
        assert_eq!(n.during, measure_run(CAP_FILES[0], secs(7), false).during);
    }

    #[test]
    fn before_the_partition_there_is_no_window_yet() {
        let n = measure_run(CAP_FILES[1], secs(1), false);
        assert_eq!(n.window, None);
        assert_eq!(n.during, (0, 0));
        assert_eq!(n.linearizable, Verdict::Unknown);
        let n = measure_run(CAP_FILES[1], secs(5), false);
        assert_eq!(n.window, Some((secs(2), secs(5))));
    }

    #[test]
    fn reads_say_who_answered_and_whether_they_were_stale() {
        let sim = run(CAP_FILES[1], secs(16));
        let mut notes = BTreeMap::new();
        fill_notes(&mut notes, &sim);
        assert!(!notes.is_empty());
        let stale = notes.values().filter(|n| n.contains("STALE")).count();
        let fresh = notes.values().filter(|n| n.contains("up to date")).count();
        assert!(stale > 0 && fresh > 0, "{stale} stale, {fresh} fresh");
        assert!(notes
            .values()
            .any(|n| n.contains("replicas that answered: n")));
        // Agrees with the core's audit on how many reads were stale.
        let a = measure(&sim, &sim.scenario().actions).consistency.unwrap();
        assert_eq!(stale, a.stale);
        // Raft keeps no versions: no notes.
        let mut none = BTreeMap::new();
        fill_notes(&mut none, &run(CAP_FILES[0], secs(4)));
        assert!(none.is_empty());
    }
}
