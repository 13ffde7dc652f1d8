//! PACELC, the "else" half: with no partition at all, what consistency
//! costs in latency. The same load runs against Raft and against the
//! quorum store with R = W = 1, nodes spread over regions (1 ms within a
//! region, 80 ms across), and each side reports how long its successful
//! requests took (mean, median, p99; reads and writes apart) next to what
//! the speed cost in consistency (stale reads, siblings, the
//! linearizability verdict), all measured from the two simulated runs.
//!
//! Raft pays on every request: a write commits only when a majority has
//! it, and no region holds a majority, so each commit crosses a region;
//! reads go through the leader too. The store answers from the nearest
//! replica and pays in stale reads instead.

use splitbrain_core::check::Verdict;
use splitbrain_core::pvec::PVec;
use splitbrain_core::scenario::Regions;
use splitbrain_core::sim::{ClientOp, OpResult};
use splitbrain_core::{Scenario, Sim, Span, Time, TimedAction};

use crate::cap::{measure, Consistency};
use crate::i18n::{t, tf};

/// The two halves of the comparison, as shipped (and in the gallery).
pub const PACELC_FILES: [&str; 2] = ["pacelc-raft-regions.json", "pacelc-quorum-regions.json"];

/// The gallery entries the panel's mode switch opens.
pub const CAP_ENTRY: &str = "cap-raft";
pub const PACELC_ENTRY: &str = "pacelc-raft";

/// How long successful requests of one kind took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Latencies {
    pub count: usize,
    pub mean: Span,
    pub p50: Span,
    pub p99: Span,
    pub max: Span,
}

impl Latencies {
    /// `None` when no request of the kind has succeeded yet.
    pub fn of(took: &mut [Span]) -> Option<Latencies> {
        if took.is_empty() {
            return None;
        }
        took.sort_unstable();
        let n = took.len();
        // Nearest rank: the smallest value with at least q% at or below it.
        let rank = |q: usize| took[(n * q).div_ceil(100).clamp(1, n) - 1];
        let sum: u64 = took.iter().map(|s| s.0).sum();
        Some(Latencies {
            count: n,
            mean: Span(sum / n as u64),
            p50: rank(50),
            p99: rank(99),
            max: took[n - 1],
        })
    }
}

/// One side's numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct PacelcNumbers {
    pub protocol: &'static str,
    pub now: Time,
    pub all: Option<Latencies>,
    pub reads: Option<Latencies>,
    pub writes: Option<Latencies>,
    /// `(ok, ended)` over the run so far: nothing fails, so this should
    /// stay at 100% on both sides; the difference is only in speed.
    pub overall: (usize, usize),
    /// Stores with versions only.
    pub consistency: Option<Consistency>,
    pub linearizable: Verdict,
}

/// Successful requests' latencies, `(all, reads, writes)`.
pub fn latencies(
    history: &PVec<ClientOp>,
) -> (Option<Latencies>, Option<Latencies>, Option<Latencies>) {
    let (mut all, mut reads, mut writes) = (Vec::new(), Vec::new(), Vec::new());
    for o in history {
        if let Some((done, OpResult::Ok { .. })) = &o.result {
            let took = done.since(o.invoke);
            all.push(took);
            if o.op.is_read() {
                reads.push(took)
            } else {
                writes.push(took)
            }
        }
    }
    (
        Latencies::of(&mut all),
        Latencies::of(&mut reads),
        Latencies::of(&mut writes),
    )
}

/// Measures a run as it stands now; `actions` as for
/// [`crate::cap::measure`], and like it, the linearizability verdict is
/// left to the check worker (`Unknown` here).
pub fn measure_latency(sim: &Sim, actions: &[TimedAction]) -> PacelcNumbers {
    let cap = measure(sim, actions);
    let (all, reads, writes) = latencies(sim.history());
    PacelcNumbers {
        protocol: cap.protocol,
        now: cap.now,
        all,
        reads,
        writes,
        overall: cap.overall,
        consistency: cap.consistency,
        linearizable: cap.linearizable,
    }
}

/// The shipped pair's titles, parsed once both files are here (before,
/// none): the panel asks every frame.
fn titles() -> &'static [Option<String>] {
    static TITLES: std::sync::OnceLock<Vec<Option<String>>> = std::sync::OnceLock::new();
    if let Some(titles) = TITLES.get() {
        return titles;
    }
    // Parse nothing until both files are here: the panel asks every frame.
    if PACELC_FILES
        .iter()
        .any(|f| crate::gallery::file(f).is_none())
    {
        return &[];
    }
    let halves: Option<Vec<Scenario>> = PACELC_FILES
        .iter()
        .map(|f| crate::gallery::scenario(f))
        .collect();
    match halves {
        Some(halves) => TITLES.get_or_init(|| halves.into_iter().map(|s| s.title).collect()),
        None => &[],
    }
}

/// Whether `scenario` is one half of the shipped PACELC pair (matched by
/// title, like the CAP pair).
pub fn is_pacelc(scenario: &Scenario) -> bool {
    scenario
        .title
        .as_ref()
        .is_some_and(|t| titles().iter().flatten().any(|x| x == t))
}

/// If `scenario` is one half of the PACELC pair, the other half.
pub fn counterpart(scenario: &Scenario) -> Option<Scenario> {
    let title = scenario.title.as_deref()?;
    let halves: Vec<Scenario> = PACELC_FILES
        .iter()
        .filter_map(|f| crate::gallery::scenario(f))
        .collect();
    let i = halves
        .iter()
        .position(|s| s.title.as_deref() == Some(title))?;
    let mut other = halves.get(1 - i)?.clone();
    other.until = None;
    Some(other)
}

/// `a / b` of two mean latencies, when both exist and `b` is not zero.
pub fn ratio(a: Option<Latencies>, b: Option<Latencies>) -> Option<f64> {
    let (a, b) = (a?, b?);
    (b.mean.0 > 0).then(|| a.mean.0 as f64 / b.mean.0 as f64)
}

/// One line describing the regions: how many, their sizes and the
/// latencies, e.g. "3 regions (2, 2 and 1 nodes): 1ms within, 80ms across".
pub fn describe_regions(regions: &Regions, nodes: usize) -> String {
    let count = regions
        .of
        .iter()
        .take(nodes)
        .map(|r| usize::from(*r) + 1)
        .max()
        .unwrap_or(0);
    let sizes: Vec<String> = (0..count)
        .map(|r| {
            regions
                .of
                .iter()
                .take(nodes)
                .filter(|x| usize::from(**x) == r)
                .count()
                .to_string()
        })
        .collect();
    let sizes = match sizes.split_last() {
        Some((last, rest)) if !rest.is_empty() => tf("{0} and {1}", &[&rest.join(t(", ")), &last]),
        Some((last, _)) => last.clone(),
        None => String::new(),
    };
    let range = |l: splitbrain_core::scenario::Latency| {
        if l.min == l.max {
            format!("{}", l.min)
        } else {
            format!("{}–{}", l.min, l.max)
        }
    };
    let template = if count == 1 {
        t("1 region ({1} nodes): {2} within, {3} across")
    } else {
        t("{0} regions ({1} nodes): {2} within, {3} across")
    };
    crate::i18n::fill(
        template,
        &[
            &count,
            &sizes,
            &range(regions.within),
            &range(regions.across),
        ],
    )
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

    fn measure_run(name: &str, until: Time) -> PacelcNumbers {
        let sim = run(name, until);
        let mut n = measure_latency(&sim, &sim.scenario().actions);
        n.linearizable = crate::cap::verdict_here(&sim);
        n
    }

    #[test]
    fn the_two_pacelc_scenarios_point_at_each_other_and_differ_only_in_protocol() {
        let raft = crate::gallery::scenario(PACELC_FILES[0]).unwrap();
        let store = crate::gallery::scenario(PACELC_FILES[1]).unwrap();
        assert!(is_pacelc(&raft) && is_pacelc(&store));
        assert_eq!(counterpart(&raft).unwrap().title, store.title);
        assert_eq!(counterpart(&store).unwrap().title, raft.title);
        assert_eq!(raft.network, store.network);
        assert_eq!(raft.workload, store.workload);
        assert_eq!(raft.nodes, store.nodes);
        assert!(raft.actions.is_empty() && store.actions.is_empty());
        // The CAP pair is not the PACELC pair.
        let cap = crate::gallery::scenario(crate::cap::CAP_FILES[0]).unwrap();
        assert!(!is_pacelc(&cap) && counterpart(&cap).is_none());
        for name in [PACELC_ENTRY, CAP_ENTRY] {
            assert!(crate::gallery::entry(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut took: Vec<Span> = (1..=100).rev().map(Span).collect();
        let l = Latencies::of(&mut took).unwrap();
        assert_eq!(
            (l.count, l.p50, l.p99, l.max),
            (100, Span(50), Span(99), Span(100))
        );
        assert_eq!(l.mean, Span(50));
        let one = Latencies::of(&mut [Span(7)]).unwrap();
        assert_eq!((one.p50, one.p99, one.mean), (Span(7), Span(7), Span(7)));
        assert!(Latencies::of(&mut []).is_none());
    }

    #[test]
    fn without_a_partition_raft_is_slower_and_the_store_is_stale() {
        let t = secs(10);
        let raft = measure_run(PACELC_FILES[0], t);
        let store = measure_run(PACELC_FILES[1], t);
        let ms = |l: Option<Latencies>| l.map(|l| l.mean.0 as f64 / 1e3).unwrap();
        println!(
            "means: raft writes {:.1} ms reads {:.1} ms; store writes {:.1} ms reads {:.1} ms; \
             write ratio {:.1}x; store {:?}; verdicts raft {:?} store {:?}",
            ms(raft.writes),
            ms(raft.reads),
            ms(store.writes),
            ms(store.reads),
            ratio(raft.writes, store.writes).unwrap(),
            store.consistency,
            raft.linearizable,
            store.linearizable
        );
        // Nothing fails: both sides answer everything they were asked.
        assert_eq!(raft.overall.0, raft.overall.1);
        assert_eq!(store.overall.0, store.overall.1);
        // Every Raft write crosses a region (80 ms) to reach a majority.
        assert!(raft.writes.unwrap().p50 >= Span::from_millis(80));
        assert!(ratio(raft.writes, store.writes).unwrap() > 3.0);
        assert!(ratio(raft.reads, store.reads).unwrap() > 3.0);
        assert!(raft.all.unwrap().p99 > store.all.unwrap().p99);
        // The store paid in consistency instead.
        assert!(raft.consistency.is_none());
        assert!(store.consistency.unwrap().stale > 0);
        assert_ne!(raft.linearizable, Verdict::Violated);
    }

    #[test]
    fn the_regions_line_names_sizes_and_latencies() {
        let s = crate::gallery::scenario(PACELC_FILES[0]).unwrap();
        let r = s.network.regions.as_ref().unwrap();
        assert_eq!(
            describe_regions(r, s.nodes as usize),
            "3 regions (2, 2 and 1 nodes): 1ms within, 80ms across"
        );
    }
}
