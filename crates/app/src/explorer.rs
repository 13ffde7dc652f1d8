//! The explorer dialog's logic, natively testable: the form a person fills
//! in, the [`Request`] the page sends to the explorer worker, the [`Job`]
//! the worker runs a slice at a time, and the messages ([`FromWorker`]) it
//! sends back. The worker itself (`src/bin/explorer_worker.rs`) and the
//! dialog (`web/components/explorer.rs`) only carry these across.
//!
//! Page and worker talk in JSON: the worker is a separate wasm module, so
//! nothing but strings (or structured clones) crosses between them.

use serde::{Deserialize, Serialize};

use crate::i18n::{t, t_dyn, tf};
use splitbrain_core::explore::protocol::{Bounds, DirectedSearch, Links, ProtocolSearch};
use splitbrain_core::explore::two_phase::TwoPhaseSpec;
use splitbrain_core::explore::{Model, Options, Progress, Report, Search, Strategy, Verdict};
use splitbrain_core::registry::{self, ExplorePreset};

/// What can be explored: a registered protocol, from one of its explorer
/// presets, or the two-phase commit reference model.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Target {
    /// The Gray–Lamport TwoPhase specification: an abstract model, not a
    /// protocol run in the simulator.
    TwoPhaseModel,
    Protocol(&'static ExplorePreset),
}

/// The reference model's value and label in the menu.
const MODEL: (&str, &str) = ("two-phase-model", "Two-phase commit model (Gray–Lamport)");

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl Eq for Target {}

impl From<Target> for String {
    fn from(target: Target) -> String {
        target.value().to_owned()
    }
}

impl TryFrom<String> for Target {
    type Error = String;

    fn try_from(value: String) -> Result<Target, String> {
        Target::from_value(&value).ok_or_else(|| format!("nothing to explore is called {value}"))
    }
}

impl Target {
    /// The menu, in order: the registry's explorer presets, then the
    /// reference model.
    pub fn all() -> Vec<Target> {
        registry::explore_presets()
            .map(|(_, preset)| Target::Protocol(preset))
            .chain([Target::TwoPhaseModel])
            .collect()
    }

    /// What the dialog offers first.
    pub fn first() -> Target {
        registry::explore_presets()
            .find(|(_, preset)| preset.first)
            .map_or(Target::TwoPhaseModel, |(_, preset)| {
                Target::Protocol(preset)
            })
    }

    pub fn from_value(value: &str) -> Option<Target> {
        Target::all().into_iter().find(|t| t.value() == value)
    }

    /// The value of its `<option>`, also the CLI's `--protocol` name.
    pub fn value(self) -> &'static str {
        match self {
            Target::TwoPhaseModel => MODEL.0,
            Target::Protocol(preset) => preset.id,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Target::TwoPhaseModel => MODEL.1,
            Target::Protocol(preset) => preset.label,
        }
    }

    /// Only the reference model's resource managers are interchangeable;
    /// a protocol's node ids carry meaning (ballots, the coordinator).
    pub fn has_symmetry(self) -> bool {
        self == Target::TwoPhaseModel
    }

    /// The width of the directed search the preset offers, if it offers
    /// one (its complete search does not finish).
    pub fn directed_width(self) -> Option<usize> {
        match self {
            Target::Protocol(preset) => preset.directed,
            Target::TwoPhaseModel => None,
        }
    }

    /// Protocols run in the simulator, so their counterexamples play in the
    /// app; the reference model is an abstract specification.
    pub fn is_protocol(self) -> bool {
        self != Target::TwoPhaseModel
    }
}

/// What the page asks the worker to explore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub target: Target,
    /// Resource managers of the two-phase model.
    pub rms: usize,
    pub max_crashes: u8,
    pub max_drops: u8,
    pub max_in_flight: usize,
    pub max_timers: u8,
    pub max_depth: Option<usize>,
    pub max_states: usize,
    pub dfs: bool,
    pub symmetry: bool,
    /// A directed search keeping this many states a level, instead of a
    /// complete one.
    #[serde(default)]
    pub directed: Option<usize>,
}

/// The dialog's fields as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    pub target: Target,
    pub rms: String,
    pub max_crashes: String,
    pub max_drops: String,
    pub max_in_flight: String,
    pub max_timers: String,
    /// Empty: no depth bound.
    pub max_depth: String,
    pub max_states: String,
    pub dfs: bool,
    pub symmetry: bool,
    /// A directed search (for presets that offer one).
    pub directed: bool,
}

/// The largest reference model the dialog offers: 10 RMs is already
/// tens of millions of states.
pub const MAX_FORM_RMS: usize = 10;
/// The most states a browser search stores: a fingerprint and a link
/// each, about 24 bytes, so under half a GiB (a tab has a few GiB at
/// most).
pub const MAX_FORM_STATES: usize = 20_000_000;

impl Default for Form {
    fn default() -> Self {
        Form::for_target(Target::first())
    }
}

impl Form {
    /// Defaults that finish in seconds: a protocol's preset says its
    /// bounds (the core's explorer tests use the same).
    pub fn for_target(target: Target) -> Form {
        let (timers, in_flight, crashes) = match target {
            Target::Protocol(preset) => {
                (preset.max_timers, preset.max_in_flight, preset.max_crashes)
            }
            Target::TwoPhaseModel => (2, 16, 0),
        };
        Form {
            target,
            rms: "5".into(),
            max_crashes: crashes.to_string(),
            max_drops: "0".into(),
            max_in_flight: in_flight.to_string(),
            max_timers: timers.to_string(),
            max_depth: String::new(),
            max_states: "2000000".into(),
            dfs: false,
            symmetry: false,
            directed: target.directed_width().is_some(),
        }
    }

    /// The request, or a sentence saying which field is wrong and why.
    pub fn request(&self) -> Result<Request, String> {
        fn num(label: &str, text: &str, min: usize, max: usize) -> Result<usize, String> {
            let t = text.trim().replace([',', '_', ' '], "");
            match t.parse::<usize>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(tf(
                    "{0}: expected a whole number from {1} to {2}, got “{3}”.",
                    &[&label, &min, &max, &text.trim()],
                )),
            }
        }
        let max_depth = if self.max_depth.trim().is_empty() {
            None
        } else {
            Some(num(t("Max depth"), &self.max_depth, 1, 10_000)?)
        };
        Ok(Request {
            target: self.target,
            rms: num(t("Resource managers"), &self.rms, 1, MAX_FORM_RMS)?,
            max_crashes: num(t("Max crashes"), &self.max_crashes, 0, 5)? as u8,
            max_drops: num(t("Max drops"), &self.max_drops, 0, 5)? as u8,
            max_in_flight: num(t("Max messages in flight"), &self.max_in_flight, 1, 64)?,
            max_timers: num(t("Max timer firings"), &self.max_timers, 0, 12)? as u8,
            max_depth,
            max_states: num(t("Max states"), &self.max_states, 1, MAX_FORM_STATES)?,
            dfs: self.dfs && !self.directed,
            symmetry: self.symmetry && self.target.has_symmetry(),
            directed: self.target.directed_width().filter(|_| self.directed),
        })
    }
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FromWorker {
    /// Loaded and listening: the page may send its [`Request`].
    Ready,
    Progress {
        states: usize,
        frontier: usize,
        depth: usize,
        /// Since the search started, by the worker's clock.
        elapsed_ms: f64,
    },
    Done {
        outcome: Outcome,
        elapsed_ms: f64,
    },
    Failed {
        message: String,
    },
}

/// How a search ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub unique_states: usize,
    pub depth: usize,
    /// False when a bound (depth, states) cut the search short or it
    /// stopped at a violation.
    pub complete: bool,
    pub bytes_per_state: usize,
    pub violation: Option<Violation>,
    /// Breadth-first: a violation's path is a shortest one.
    pub breadth_first: bool,
    /// A directed search: finding nothing proves nothing.
    #[serde(default)]
    pub directed: bool,
    /// The properties checked, by name.
    pub properties: Vec<String>,
}

impl Outcome {
    fn of<A>(report: &Report<A>, violation: Option<Violation>, breadth_first: bool) -> Outcome {
        Outcome {
            unique_states: report.unique_states,
            depth: report.depth,
            complete: report.complete,
            bytes_per_state: report.bytes_per_state,
            violation,
            breadth_first,
            directed: false,
            properties: report.verdicts.iter().map(|v| v.0.to_string()).collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub property: String,
    /// The steps that lead to it, in words.
    pub steps: Vec<String>,
    /// The checker's explanation, for protocols.
    pub message: Option<String>,
    /// The counterexample as a scenario (JSON, with its `script`), for
    /// protocols: loading it plays the violation in the app.
    pub scenario: Option<String>,
}

impl Outcome {
    /// The verdict in one sentence.
    pub fn summary(&self) -> String {
        let n = thousands(self.unique_states);
        match &self.violation {
            Some(v) => {
                let steps = if v.steps.len() == 1 {
                    t("1 step").to_owned()
                } else {
                    tf("{0} steps", &[&v.steps.len()])
                };
                let shortest = if self.directed {
                    t("directed search; ")
                } else if self.breadth_first {
                    t("no shorter path exists; ")
                } else {
                    ""
                };
                tf(
                    "Violated: {0}, after {1} ({2}{3} states explored).",
                    &[&t_dyn(&v.property), &steps, &shortest, &n],
                )
            }
            None if self.directed => tf(
                "No violation among the {0} states the directed search looked at; it skips \
                 states, so this proves nothing.",
                &[&n],
            ),
            None if self.complete => tf(
                "No violation in all {0} reachable states within these bounds.",
                &[&n],
            ),
            None => tf(
                "No violation in the {0} states visited, but a depth or state limit cut \
                 the search short: deeper runs were not checked.",
                &[&n],
            ),
        }
    }
}

pub use splitbrain_core::explore::thousands;

/// A search in progress, whatever it explores.
pub trait Running {
    /// Expands at most `budget` states; true when the search is over.
    fn run(&mut self, budget: usize) -> bool;
    fn progress(&self) -> Progress;
    fn outcome(&self) -> Outcome;
}

/// The job for `request`.
pub fn job(request: &Request) -> Result<Box<dyn Running>, String> {
    let options = Options {
        strategy: if request.dfs {
            Strategy::DepthFirst
        } else {
            Strategy::BreadthFirst
        },
        symmetry: request.symmetry && request.target.has_symmetry(),
        max_depth: request.max_depth,
        max_states: Some(request.max_states),
        max_memory: None,
        stop_at_violation: true,
    };
    let bounds = Bounds {
        max_crashes: request.max_crashes,
        max_drops: request.max_drops,
        max_in_flight: request.max_in_flight,
        max_timer_fires: request.max_timers,
        links: match request.target {
            Target::Protocol(preset) => preset.links,
            Target::TwoPhaseModel => Links::NONE,
        },
        ..Bounds::default()
    };
    Ok(match request.target {
        Target::TwoPhaseModel => {
            if !(1..=MAX_FORM_RMS).contains(&request.rms) {
                return Err(format!("1 to {MAX_FORM_RMS} resource managers."));
            }
            let spec = TwoPhaseSpec::new(request.rms);
            let search = Search::new(&spec, options);
            Box::new(SpecJob {
                breadth_first: !request.dfs,
                spec,
                search,
            })
        }
        Target::Protocol(preset) => {
            let scenario = (preset.scenario)();
            let new_search = scenario
                .protocol
                .search()
                .ok_or_else(|| format!("{} cannot be explored", scenario.protocol.name()))?;
            let search = new_search(&scenario, bounds, options).map_err(|e| e.to_string())?;
            if let Some(width) = request.directed {
                let beam = search.beam(width, request.max_depth.unwrap_or(DIRECTED_DEPTH));
                return Ok(Box::new(DirectedJob { search, beam }));
            }
            Box::new(ProtocolJob {
                breadth_first: !request.dfs,
                search,
            })
        }
    })
}

struct SpecJob {
    breadth_first: bool,
    spec: TwoPhaseSpec,
    search: Search<TwoPhaseSpec>,
}

impl Running for SpecJob {
    fn run(&mut self, budget: usize) -> bool {
        self.search.run(&self.spec, budget)
    }

    fn progress(&self) -> Progress {
        self.search.progress()
    }

    fn outcome(&self) -> Outcome {
        let report = self.search.report();
        let mut violation = None;
        for (name, _, verdict) in &report.verdicts {
            if let (None, Verdict::Violated { path }) = (&violation, verdict) {
                violation = Some(Violation {
                    property: (*name).to_string(),
                    steps: path.iter().map(|a| self.spec.describe(a)).collect(),
                    message: None,
                    scenario: None,
                });
            }
        }
        Outcome::of(&report, violation, self.breadth_first)
    }
}

/// A search over a protocol, through its registration.
struct ProtocolJob {
    breadth_first: bool,
    search: Box<dyn ProtocolSearch>,
}

impl Running for ProtocolJob {
    fn run(&mut self, budget: usize) -> bool {
        self.search.run(budget)
    }

    fn progress(&self) -> Progress {
        self.search.progress()
    }

    fn outcome(&self) -> Outcome {
        let report = self.search.report();
        let mut violation = None;
        for (name, _, verdict) in &report.verdicts {
            let Verdict::Violated { path } = verdict else {
                continue;
            };
            if violation.is_some() {
                break;
            }
            let steps = self.search.describe(path);
            let message = self.search.violation(path);
            let mut scenario = self.search.scenario(path);
            scenario.title = Some(format!(
                "Counterexample: {name} broken in {} steps",
                path.len()
            ));
            violation = Some(Violation {
                property: (*name).to_string(),
                steps,
                message,
                scenario: serde_json::to_string(&scenario).ok(),
            });
        }
        Outcome::of(&report, violation, self.breadth_first)
    }
}

/// How deep a directed search goes without a depth bound: past Figure 8's
/// 33 steps.
pub const DIRECTED_DEPTH: usize = 40;

/// A directed search over a protocol: a level per slice.
struct DirectedJob {
    search: Box<dyn ProtocolSearch>,
    beam: Box<dyn DirectedSearch>,
}

impl Running for DirectedJob {
    fn run(&mut self, _budget: usize) -> bool {
        self.beam.level()
    }

    fn progress(&self) -> Progress {
        self.beam.progress()
    }

    fn outcome(&self) -> Outcome {
        let found = self.beam.found();
        let violation = found.violation.as_ref().map(|(name, path)| {
            let mut scenario = self.search.scenario(path);
            scenario.title = Some(format!(
                "Counterexample: {name} broken in {} steps",
                path.len()
            ));
            Violation {
                property: (*name).to_string(),
                steps: self.search.describe(path),
                message: self.search.violation(path),
                scenario: serde_json::to_string(&scenario).ok(),
            }
        });
        let report = self.search.report();
        Outcome {
            unique_states: found.states,
            depth: found.depth,
            complete: false,
            bytes_per_state: 0,
            violation,
            breadth_first: false,
            directed: true,
            properties: report.verdicts.iter().map(|v| v.0.to_string()).collect(),
        }
    }
}

/// States expanded per slice between clock readings: small enough that a
/// slice of the slowest model (a protocol, some microseconds per state)
/// takes milliseconds.
pub const SLICE: usize = 2048;
/// How often the worker posts progress, in milliseconds.
pub const PROGRESS_MS: f64 = 100.0;

/// Runs `request` to the end, posting progress about every
/// [`PROGRESS_MS`] by `clock` (milliseconds), then the outcome. The
/// worker calls this with the browser's clock and `postMessage`; the page
/// stops a search by terminating the worker.
pub fn drive(request: &Request, clock: &mut dyn FnMut() -> f64, post: &mut dyn FnMut(FromWorker)) {
    let start = clock();
    let mut job = match job(request) {
        Ok(job) => job,
        Err(message) => return post(FromWorker::Failed { message }),
    };
    let mut last = start;
    loop {
        let done = job.run(SLICE);
        let now = clock();
        if done {
            post(FromWorker::Done {
                outcome: job.outcome(),
                elapsed_ms: now - start,
            });
            return;
        }
        if now - last >= PROGRESS_MS {
            last = now;
            let p = job.progress();
            post(FromWorker::Progress {
                states: p.unique_states,
                frontier: p.frontier,
                depth: p.depth,
                elapsed_ms: now - start,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_core::sim::Sim;
    use splitbrain_core::Scenario;

    fn request(target: Target) -> Request {
        Form::for_target(target).request().unwrap()
    }

    fn target(value: &str) -> Target {
        Target::from_value(value).unwrap()
    }

    fn run(request: &Request) -> (Outcome, usize) {
        let mut t = 0.0;
        let mut clock = || {
            t += 30.0;
            t
        };
        let mut progress = 0;
        let mut outcome = None;
        drive(request, &mut clock, &mut |m| match m {
            FromWorker::Progress { .. } => progress += 1,
            FromWorker::Done { outcome: o, .. } => outcome = Some(o),
            other => panic!("{other:?}"),
        });
        (outcome.expect("done"), progress)
    }

    #[test]
    fn forms_check_every_bound() {
        let mut f = Form {
            max_crashes: "9".into(),
            ..Form::default()
        };
        assert_eq!(
            f.request().unwrap_err(),
            "Max crashes: expected a whole number from 0 to 5, got “9”."
        );
        f.max_crashes = "1".into();
        f.max_in_flight = "lots".into();
        assert!(f
            .request()
            .unwrap_err()
            .starts_with("Max messages in flight"));
        f.max_in_flight = "8".into();
        f.max_depth = "0".into();
        assert!(f.request().unwrap_err().starts_with("Max depth"));
        f.max_depth = " ".into();
        f.max_states = "1,000".into();
        let r = f.request().unwrap();
        assert_eq!((r.max_depth, r.max_states, r.max_crashes), (None, 1000, 1));
        // Symmetry is only for the reference model.
        f.symmetry = true;
        assert!(!f.request().unwrap().symmetry);
        let mut m = Form::for_target(Target::TwoPhaseModel);
        m.symmetry = true;
        assert!(m.request().unwrap().symmetry);
        for t in Target::all() {
            assert_eq!(Target::from_value(t.value()), Some(t));
        }
        assert_eq!(Target::first().value(), "naive-paxos");
        assert_eq!(Form::default().target, Target::first());
    }

    /// Naive Paxos: the 4-step agreement violation, as a scenario that
    /// breaks the same invariant when the simulator plays it.
    #[test]
    fn naive_paxos_counterexample_plays_in_the_simulator() {
        let (outcome, _) = run(&request(target("naive-paxos")));
        let v = outcome.violation.clone().expect("a violation");
        assert_eq!((v.property.as_str(), v.steps.len()), ("agreement", 4));
        assert!(outcome
            .summary()
            .starts_with("Violated: agreement, after 4 steps (no shorter path exists; "));
        let scenario: Scenario = serde_json::from_str(&v.scenario.unwrap()).unwrap();
        assert_eq!(scenario.script.len(), 4);
        assert_eq!(scenario.protocol.name(), "paxos");
        let mut sim = Sim::new(&scenario, splitbrain_core::RunOptions::default());
        while sim.violation().is_none() {
            assert!(sim.step(), "the replay ends without the violation");
        }
        assert_eq!(sim.violation().unwrap().invariant, "agreement");
    }

    #[test]
    fn real_paxos_holds_within_its_bounds() {
        let (outcome, _) = run(&request(target("paxos")));
        assert!(outcome.violation.is_none());
        assert!(outcome.complete);
        assert_eq!(outcome.unique_states, 19_050);
        assert!(outcome.summary().starts_with("No violation in all "));
    }

    #[test]
    fn raft_holds_within_its_default_bounds() {
        let (outcome, _) = run(&request(target("raft")));
        assert!(outcome.violation.is_none());
        assert_eq!(
            outcome.summary(),
            "No violation in all 7,852 reachable states within these bounds."
        );
        assert_eq!(outcome.properties.len(), 7, "Raft's seven invariants");
    }

    /// Raft with a client write the explorer makes when it chooses: the
    /// log holds a command, and every state keeps the five properties.
    #[test]
    fn raft_with_a_write_holds_within_its_default_bounds() {
        let (outcome, _) = run(&request(target("raft-write")));
        assert!(outcome.violation.is_none());
        assert_eq!(
            outcome.summary(),
            "No violation in all 74,640 reachable states within these bounds."
        );
    }

    /// The Figure 8 preset's form asks for its directed search, on its
    /// bounds (three crashes among them), and the worker's job finds the
    /// state machine safety violation, as a scenario the simulator
    /// replays to the same violation.
    #[test]
    fn the_figure_8_preset_finds_its_counterexample() {
        let form = Form::for_target(target("raft-figure8-broken"));
        assert!(form.directed);
        assert_eq!(form.max_crashes, "3");
        let request = form.request().unwrap();
        assert_eq!(request.directed, Some(20_000));
        let (outcome, progress) = run(&request);
        assert!(progress > 0);
        let v = outcome.violation.clone().expect("Figure 8");
        assert_eq!(v.property, "state machine safety");
        assert!(outcome.summary().starts_with(&format!(
            "Violated: state machine safety, after {} steps (directed search; ",
            v.steps.len()
        )));
        let scenario: Scenario = serde_json::from_str(&v.scenario.unwrap()).unwrap();
        let mut sim = Sim::new(&scenario, splitbrain_core::RunOptions::default());
        while sim.violation().is_none() {
            assert!(sim.step(), "the replay ends without the violation");
        }
        assert_eq!(sim.violation().unwrap().invariant, "state machine safety");
        // Breadth-first stays on offer, and other presets offer no
        // directed search.
        let mut bfs = form.clone();
        bfs.directed = false;
        assert_eq!(bfs.request().unwrap().directed, None);
        assert!(!Form::for_target(target("raft")).directed);
    }

    #[test]
    fn the_reference_model_has_288_states_at_3_rms() {
        let mut form = Form::for_target(Target::TwoPhaseModel);
        form.rms = "3".into();
        let (outcome, _) = run(&form.request().unwrap());
        assert_eq!(outcome.unique_states, 288);
        assert_eq!(
            outcome.summary(),
            "No violation in all 288 reachable states within these bounds."
        );
        // 6 RMs takes many slices: progress is posted along the way.
        form.rms = "6".into();
        let (outcome, progress) = run(&form.request().unwrap());
        assert!(outcome.unique_states > 20 * SLICE);
        assert!(progress > 5, "{progress} progress messages");
    }

    #[test]
    fn a_state_limit_makes_the_verdict_partial() {
        let mut form = Form::for_target(Target::TwoPhaseModel);
        form.max_states = "100".into();
        let (outcome, _) = run(&form.request().unwrap());
        assert!(!outcome.complete);
        assert!(outcome.summary().contains("cut the search short"));
    }

    #[test]
    fn messages_round_trip_as_json() {
        let m = FromWorker::Progress {
            states: 5,
            frontier: 2,
            depth: 1,
            elapsed_ms: 3.5,
        };
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"kind\":\"progress\""));
        assert_eq!(serde_json::from_str::<FromWorker>(&json).unwrap(), m);
        let r = request(target("three-phase"));
        let back: Request = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
