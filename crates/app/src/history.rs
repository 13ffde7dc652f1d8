//! The history view's model: every client operation of the run (or of an
//! imported file) as a bar on a lane, the consistency verdicts on them, and
//! which operations a verdict blames. Plain Rust, tested natively; the
//! component in `web/components/history.rs` only syncs, draws and forwards
//! input.
//!
//! The checks themselves run in the check worker ([`crate::checks`]): the
//! view hands out a [`CheckRequest`] and takes the [`Answer`] back
//! ([`HistoryView::accept`]); natively, tests answer with
//! [`crate::checks::answer`], the function the worker runs. One request is
//! in flight at a time; a newer one (an import, a new run) supersedes it,
//! and its answer, when it comes, is dropped by its sequence number.
//!
//! Work is bounded on both sides. Syncing with a live run touches only the
//! operations that are new or still pending. Checking rebuilds the history
//! and asks for a check at most every [`CHECK_EVERY_MS`] and only when the
//! history changed, with a step budget ([`LIVE_STEPS`]) so that a hard
//! history turns a badge "unknown" instead of keeping the worker busy. Drawing
//! lays out only the operations inside the visible time window, thins bars
//! that would hide under the previous one on their lane, and stops at
//! [`MAX_BARS`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use splitbrain_core::check::{self, History, Model, OpMark, Report, TimeBase, Verdict};
use splitbrain_core::pvec::PVec;
use splitbrain_core::sim::{ClientOp, OpResult};
use splitbrain_core::{NodeId, Time};

use crate::checks::{run_ops, Answer, FileOptions, Imported, Input, Job};
use crate::i18n::{t, tf};

/// The least time between two checks of a live run, in milliseconds.
pub const CHECK_EVERY_MS: f64 = 750.0;
/// The step budget of the first live check (per property). Later checks
/// scale it so that one check takes about [`LIVE_CHECK_TARGET_MS`]: a
/// step's cost varies a hundredfold between easy and hard histories, and
/// a hard history must turn a badge "unknown" rather than stall the page.
pub const LIVE_STEPS: u64 = 10_000;
/// The live step budget's bounds.
pub const LIVE_STEPS_MIN: u64 = 1_000;
pub const LIVE_STEPS_MAX: u64 = 200_000;
/// What one live check should take, in milliseconds.
pub const LIVE_CHECK_TARGET_MS: f64 = 12.0;
/// The step budget for an imported file, checked once.
pub const IMPORT_STEPS: u64 = 2_000_000;
/// Live runs longer than this are not checked any more: each check
/// rebuilds the whole history and runs the session checks in full, which
/// on a busy append workload (long values) costs tens of milliseconds per
/// thousand operations in the browser. Export it and use the CLI instead.
pub const LIVE_CHECK_LIMIT: usize = 10_000;
/// The most bars one picture draws.
pub const MAX_BARS: usize = 8_000;
/// Operations of a live run the view keeps, the most recent ones: past
/// twice this many, the older half is let go, so a run of hours costs a
/// frame what a run of minutes does. (More than [`LIVE_CHECK_LIMIT`]: a
/// history still checked live is never cut.)
pub const LIVE_KEEP: usize = 20_000;
/// Operations of one lane that overlap in time are stacked on up to this
/// many tracks; more overlap the last track.
pub const MAX_TRACKS: usize = 3;
/// After the worker failed, the next live check waits this many times
/// [`CHECK_SLOWDOWN`] milliseconds (10 s): a worker that cannot load is not
/// asked again every frame.
const FAILED_CHECK_MS: f64 = 500.0;
/// Width of the lane labels on the left, in CSS pixels.
pub const LABEL_WIDTH: f64 = 52.0;
/// Height of the time axis at the bottom.
pub const AXIS_HEIGHT: f64 = 18.0;
const MIN_LANE: f64 = 4.0;
const MAX_LANE: f64 = 16.0;
const RIGHT_PAD: f64 = 10.0;

/// The client ids the app gives hand-made and steady requests
/// (`model::STEADY_CLIENT` is 1001; hand-made requests use the core's 1000).
const USER_CLIENT: u32 = 1000;
const STEADY_CLIENT: u32 = 1001;

/// A property with a badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    Linearizable,
    Sequential,
    ReadYourWrites,
    MonotonicReads,
    Convergence,
}

impl Property {
    pub const ALL: [Property; 5] = [
        Property::Linearizable,
        Property::Sequential,
        Property::ReadYourWrites,
        Property::MonotonicReads,
        Property::Convergence,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Property::Linearizable => "Linearizable",
            Property::Sequential => "Sequential",
            Property::ReadYourWrites => "Read your writes",
            Property::MonotonicReads => "Monotonic reads",
            Property::Convergence => "Convergence",
        }
    }

    /// A stable identifier for tests and the DOM.
    pub fn id(self) -> &'static str {
        match self {
            Property::Linearizable => "linearizable",
            Property::Sequential => "sequential",
            Property::ReadYourWrites => "read-your-writes",
            Property::MonotonicReads => "monotonic-reads",
            Property::Convergence => "convergence",
        }
    }

    /// What it promises, for the badge's tooltip.
    pub fn meaning(self) -> &'static str {
        match self {
            Property::Linearizable => {
                "Every operation takes effect at one instant between its call and its return."
            }
            Property::Sequential => {
                "One order of all operations that keeps each client's own order."
            }
            Property::ReadYourWrites => "A client's reads see its own earlier writes.",
            Property::MonotonicReads => "A client never reads an older value after a newer one.",
            Property::Convergence => "The last reads of every key agree once writes stop.",
        }
    }

    /// Its bit in [`OpMark::flagged`] (not used for linearizability).
    fn bit(self) -> u8 {
        match self {
            Property::Linearizable => 0,
            Property::Sequential => 1,
            Property::ReadYourWrites => 1 << 1,
            Property::MonotonicReads => 1 << 2,
            Property::Convergence => 1 << 3,
        }
    }
}

/// How an operation is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shown {
    Ok,
    Fail,
    /// Timed out: it may or may not have happened.
    Unknown,
    /// Still waiting for an answer.
    Pending,
}

/// One operation as the view sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewOp {
    /// Its lane: the client (live) or the process (imported).
    pub lane: u64,
    pub invoke: u64,
    pub complete: Option<u64>,
    pub shown: Shown,
    /// What it was and what it returned, for people.
    pub label: String,
    /// Live runs only: the node the client asked first.
    pub asked: Option<NodeId>,
    /// Live runs only: the node whose answer completed it.
    pub answered_by: Option<NodeId>,
}

/// Where the operations come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Live,
    Imported { name: String },
}

/// One badge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Badge {
    pub property: Property,
    pub verdict: Verdict,
    /// One line: why.
    pub detail: String,
    /// How many operations it blames.
    pub offending: usize,
    /// A check is in flight: the verdict shown is of an older history.
    pub checking: bool,
}

/// What the cluster view highlights for one operation: the nodes that
/// served it and the messages those nodes sent while it was outstanding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub nodes: Vec<NodeId>,
    pub from: Time,
    /// `None` while it is still outstanding.
    pub until: Option<Time>,
}

impl Served {
    /// Whether a message sent by `from` at `sent_at` counts as serving it.
    pub fn covers(&self, from: NodeId, sent_at: Time) -> bool {
        self.nodes.contains(&from)
            && sent_at >= self.from
            && self.until.is_none_or(|until| sent_at <= until)
    }
}

/// The definition behind [`Served`], shown in the view's legend.
pub const SERVED_LEGEND: &str = "Hovering or focusing an operation highlights the node the client \
     asked and the node whose answer completed it (redirect hops in between are not recorded), and \
     the messages those nodes sent while the operation was outstanding.";

/// A bar's emphasis, when a badge is selected or an operation focused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emphasis {
    Normal,
    /// Blamed by the selected badge.
    Offending,
    /// In the longest linearizable prefix (linearizability selected).
    Prefix,
    /// Not involved in the selected badge's verdict.
    Dimmed,
}

/// The time axis: `t0..t1` drawn over `x0..x1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    pub t0: u64,
    pub t1: u64,
    pub x0: f64,
    pub x1: f64,
}

impl Axis {
    pub fn x(&self, t: u64) -> f64 {
        let span = self.t1.saturating_sub(self.t0).max(1) as f64;
        self.x0 + (t.saturating_sub(self.t0) as f64 / span) * (self.x1 - self.x0)
    }
}

/// One drawn bar, in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub op: usize,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub shown: Shown,
    pub emphasis: Emphasis,
    pub focused: bool,
}

/// One lane's row.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneRow {
    pub label: String,
    pub y: f64,
    pub h: f64,
}

/// Everything the history canvas draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Picture {
    pub width: f64,
    pub height: f64,
    pub axis: Option<Axis>,
    pub lanes: Vec<LaneRow>,
    pub bars: Vec<Bar>,
    /// The current simulated time, on live runs.
    pub now_x: Option<f64>,
    /// Axis ticks: position and label.
    pub ticks: Vec<(f64, String)>,
    /// Lanes that did not fit.
    pub hidden_lanes: usize,
    /// Operations in the window that were not drawn: covered by the bar
    /// before them on their lane, or past [`MAX_BARS`].
    pub thinned: usize,
}

impl Picture {
    /// The operation under a point, if any (a little slack for thin bars).
    pub fn op_at(&self, x: f64, y: f64) -> Option<usize> {
        self.bars
            .iter()
            .rev()
            .find(|b| x >= b.x - 2.0 && x <= b.x + b.w + 2.0 && y >= b.y && y <= b.y + b.h)
            .map(|b| b.op)
    }
}

/// The history view.
#[derive(Debug)]
pub struct HistoryView {
    pub source: Source,
    ops: Vec<ViewOp>,
    /// Live: the index in the run's history of `ops[0]` (older operations
    /// were let go, see [`LIVE_KEEP`]).
    offset: usize,
    lanes: BTreeSet<u64>,
    /// Live: every operation before this index has completed, so syncing
    /// starts here.
    settled: usize,
    /// Live: the run the operations came from.
    run: Option<u64>,
    /// Imported: the history as EDN, for the export.
    imported_edn: Option<String>,
    time_base: TimeBase,
    /// Bumped whenever the operations change.
    changes: u64,
    checked_changes: Option<u64>,
    last_check_ms: Option<f64>,
    report: Option<Report>,
    /// The model of the history `report` is about.
    checked_model: Model,
    marks: Vec<OpMark>,
    /// The last request's sequence number.
    seq: u64,
    in_flight: Option<InFlight>,
    /// Bumped whenever an answer is taken: what the badges and marks
    /// show changed.
    answers: u64,
    /// Why there is no report, when there is none.
    no_report: Option<String>,
    pub selected: Option<Property>,
    pub focused: Option<usize>,
    /// The visible time span; `None` shows the whole history.
    pub window: Option<u64>,
    /// How long the last check took (milliseconds, measured by the
    /// caller): the next one waits at least [`CHECK_SLOWDOWN`] times as
    /// long, so checking never takes more than a small share of the page.
    pub check_took_ms: f64,
    /// The step budget of the next live check.
    pub live_steps: u64,
    /// Work timings the page measures, for the probe.
    pub times: WorkTimes,
    /// Live runs of a versioned store: per operation, which replicas
    /// answered and whether a read was stale ([`crate::cap::fill_notes`]).
    pub notes: BTreeMap<usize, String>,
}

/// A check asked for and not answered yet.
#[derive(Clone, Debug, PartialEq, Eq)]
struct InFlight {
    seq: u64,
    /// Operations in the history asked about (the marks are per operation).
    ops: usize,
    /// An import's file name; `None` for a live check.
    import: Option<String>,
}

/// A check for the worker; its answer goes to [`HistoryView::accept`] with
/// the same `seq`.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRequest {
    pub seq: u64,
    pub job: Job,
}

/// What [`HistoryView::accept`] made of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Superseded by a newer request (or the view moved on): dropped.
    Stale,
    /// The badges show it.
    Shown,
    /// The import's file did not read: why, for the import dialog. The view
    /// is as it was.
    Refused(String),
}

/// How many times its own duration a check waits before the next one.
pub const CHECK_SLOWDOWN: f64 = 20.0;

/// Milliseconds spent on the history view, as the page measured them.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkTimes {
    /// The slowest sync and the slowest picture (layout plus drawing) of
    /// the frames so far.
    pub sync_max_ms: f64,
    pub draw_max_ms: f64,
    /// The last check and the slowest one.
    pub check_last_ms: f64,
    pub check_max_ms: f64,
    pub checks: u64,
}

impl Default for HistoryView {
    fn default() -> Self {
        HistoryView::new()
    }
}

impl HistoryView {
    pub fn new() -> HistoryView {
        HistoryView {
            source: Source::Live,
            ops: Vec::new(),
            offset: 0,
            lanes: BTreeSet::new(),
            settled: 0,
            run: None,
            imported_edn: None,
            time_base: TimeBase::Micros,
            changes: 0,
            checked_changes: None,
            last_check_ms: None,
            report: None,
            checked_model: Model::Kv,
            marks: Vec::new(),
            seq: 0,
            in_flight: None,
            answers: 0,
            no_report: None,
            selected: None,
            focused: None,
            window: None,
            check_took_ms: 0.0,
            live_steps: LIVE_STEPS,
            times: WorkTimes::default(),
            notes: BTreeMap::new(),
        }
    }

    pub fn ops(&self) -> &[ViewOp] {
        &self.ops
    }

    pub fn lane_count(&self) -> usize {
        self.lanes.len()
    }

    pub fn changes(&self) -> u64 {
        self.changes
    }

    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }

    /// Whether a check is in flight.
    pub fn checking(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Bumped whenever an answer changed what the badges and marks show.
    pub fn answers(&self) -> u64 {
        self.answers
    }

    pub fn is_live(&self) -> bool {
        self.source == Source::Live
    }

    fn clear(&mut self) {
        self.ops.clear();
        self.offset = 0;
        self.lanes.clear();
        self.settled = 0;
        self.report = None;
        self.marks.clear();
        // Whatever was asked about is gone: its answer will be dropped.
        self.in_flight = None;
        self.no_report = None;
        self.checked_changes = None;
        self.last_check_ms = None;
        self.selected = None;
        self.focused = None;
        self.window = None;
        self.notes.clear();
        self.changes += 1;
    }

    /// Back to the live run, after an import.
    pub fn show_live(&mut self) {
        self.source = Source::Live;
        self.imported_edn = None;
        self.run = None;
        self.time_base = TimeBase::Micros;
        self.clear();
    }

    /// Brings a live view up to date with the run's client operations.
    /// `run` identifies the run: a new one starts the view afresh. Does
    /// nothing while an imported history is shown. Returns whether
    /// anything changed.
    pub fn sync_live(&mut self, run: u64, history: &PVec<ClientOp>) -> bool {
        if !self.is_live() {
            return false;
        }
        if self.run != Some(run) || history.len() < self.offset + self.ops.len() {
            self.clear();
            self.run = Some(run);
        }
        if self.ops.is_empty() && history.len() > self.offset + 2 * LIVE_KEEP {
            // Opened on a long run: start from its recent operations.
            self.offset = history.len() - LIVE_KEEP;
        }
        let mut changed = false;
        let from = self.offset + self.settled;
        for (i, c) in (from..).zip(history.range(from..history.len())) {
            match self.ops.get_mut(i - self.offset) {
                // Only the outcome of a pending operation can change; a
                // label is built only when it did, so a frame that finds
                // nothing new allocates nothing.
                Some(old) if old.shown == Shown::Pending && c.result.is_none() => {}
                Some(old) if old.shown != Shown::Pending => {}
                Some(old) => {
                    *old = live_op(c);
                    changed = true;
                }
                None => {
                    let op = live_op(c);
                    self.lanes.insert(op.lane);
                    self.ops.push(op);
                    changed = true;
                }
            }
        }
        while self
            .ops
            .get(self.settled)
            .is_some_and(|o| o.shown != Shown::Pending)
        {
            self.settled += 1;
        }
        let old = self.ops.len().saturating_sub(LIVE_KEEP).min(self.settled);
        if self.ops.len() > 2 * LIVE_KEEP && old > 0 {
            self.ops.drain(..old);
            self.offset += old;
            self.settled -= old;
            self.focused = None;
            self.marks.clear();
            let offset = self.offset;
            self.notes.retain(|i, _| *i >= offset);
            changed = true;
        }
        if changed {
            self.changes += 1;
        }
        changed
    }

    /// Operations of a live run that were let go (the view shows the
    /// rest, see [`LIVE_KEEP`]).
    pub fn let_go(&self) -> usize {
        self.offset
    }

    /// Asks for a history file to be read and checked (with
    /// [`IMPORT_STEPS`]); the view shows it once the answer comes
    /// ([`Self::accept`]), and stays as it is if the file does not read.
    /// It supersedes a check in flight.
    pub fn request_import(&mut self, name: &str, text: String, file: FileOptions) -> CheckRequest {
        if self.in_flight.as_ref().is_some_and(|f| f.import.is_none()) {
            // The live check it supersedes is asked again if the file
            // does not read.
            self.checked_changes = None;
        }
        self.seq += 1;
        self.in_flight = Some(InFlight {
            seq: self.seq,
            ops: 0,
            import: Some(name.to_owned()),
        });
        CheckRequest {
            seq: self.seq,
            job: Job::Import {
                text,
                file,
                max_steps: IMPORT_STEPS,
            },
        }
    }

    /// Drops an import asked for and not answered yet (its dialog was
    /// closed): the live view carries on.
    pub fn cancel_import(&mut self) {
        if self.in_flight.as_ref().is_some_and(|f| f.import.is_some()) {
            self.in_flight = None;
        }
    }

    /// Shows an imported history with its report.
    fn import(&mut self, name: &str, imported: Imported) {
        self.clear();
        self.source = Source::Imported {
            name: name.to_owned(),
        };
        self.run = None;
        self.time_base = imported.time_base;
        self.lanes.extend(imported.ops.iter().map(|o| o.lane));
        self.ops = imported.ops;
        self.settled = self.ops.len();
        self.show(imported.report, self.ops.len(), imported.model);
        self.imported_edn = Some(imported.edn);
        self.checked_changes = Some(self.changes);
    }

    /// Whether a check is due: none is in flight, the operations changed
    /// since the last one and at least [`CHECK_EVERY_MS`] went by.
    pub fn check_due(&self, now_ms: f64) -> bool {
        let wait = CHECK_EVERY_MS.max(self.check_took_ms * CHECK_SLOWDOWN);
        self.in_flight.is_none()
            && self.checked_changes != Some(self.changes)
            && self.last_check_ms.is_none_or(|last| now_ms - last >= wait)
    }

    /// Records how long a check took, which spaces out the next one.
    pub fn record_check(&mut self, took_ms: f64) {
        self.check_took_ms = took_ms;
        // Scale the budget towards the target time, at most doubling.
        let scaled = (self.live_steps as f64 * LIVE_CHECK_TARGET_MS / took_ms.max(0.1)) as u64;
        self.live_steps = scaled
            .min(self.live_steps.saturating_mul(2))
            .clamp(LIVE_STEPS_MIN, LIVE_STEPS_MAX);
        self.times.check_last_ms = took_ms;
        self.times.check_max_ms = self.times.check_max_ms.max(took_ms);
        self.times.checks += 1;
    }

    /// Asks for a check of a live run's history (the same operations
    /// [`Self::sync_live`] saw) with the live step budget; `None` when
    /// there is nothing to ask (an imported history is shown, the run has
    /// no operations yet, or too many to check live: the badges say so).
    pub fn check_live(&mut self, history: &PVec<ClientOp>, now_ms: f64) -> Option<CheckRequest> {
        self.last_check_ms = Some(now_ms);
        self.checked_changes = Some(self.changes);
        if !self.is_live() {
            return None;
        }
        if history.len() > LIVE_CHECK_LIMIT {
            self.report = None;
            self.marks.clear();
            self.answers += 1;
            self.no_report = Some(tf(
                "{0} operations are too many to check live (the limit is {1}); \
                 export the history and run `splitbrain check-history` on it.",
                &[&history.len(), &LIVE_CHECK_LIMIT],
            ));
            return None;
        }
        if history.is_empty() {
            // Nothing to judge, and no reason to fetch the worker: a page
            // whose run sends no requests never needs it.
            self.report = None;
            self.marks.clear();
            self.no_report = Some(t("No client operations to check yet.").to_owned());
            return None;
        }
        self.seq += 1;
        self.in_flight = Some(InFlight {
            seq: self.seq,
            ops: history.len(),
            import: None,
        });
        Some(CheckRequest {
            seq: self.seq,
            job: Job::Check {
                ops: run_ops(history),
                max_steps: self.live_steps,
            },
        })
    }

    /// Takes the answer to request `seq`. An answer to anything but the
    /// request in flight is dropped ([`Accepted::Stale`]).
    pub fn accept(&mut self, seq: u64, answer: Answer) -> Accepted {
        let Some(flight) = self.in_flight.take_if(|f| f.seq == seq) else {
            return Accepted::Stale;
        };
        self.answers += 1;
        match (answer, flight.import) {
            (Answer::Checked { report, took_ms }, None) => {
                self.show(report, flight.ops, Model::Kv);
                self.record_check(took_ms);
                Accepted::Shown
            }
            (Answer::Imported(imported), Some(name)) => {
                self.import(&name, imported);
                Accepted::Shown
            }
            (Answer::Refused { input, message }, Some(name)) => Accepted::Refused(match input {
                Input::FirstValue => tf("First value: {0}", &[&message]),
                Input::Text => format!("{name}:{message}"),
                Input::Format | Input::Model => message,
            }),
            (Answer::Failed { message }, import) => {
                let why = tf("The consistency checker could not run: {0}", &[&message]);
                if import.is_some() {
                    return Accepted::Refused(why);
                }
                self.report = None;
                self.marks.clear();
                self.no_report = Some(why);
                self.check_took_ms = FAILED_CHECK_MS;
                Accepted::Shown
            }
            (_, _) => {
                // Only a page and a worker of different builds get here.
                let why = t("The consistency checker answered another question; reload the page.")
                    .to_owned();
                self.no_report = Some(why.clone());
                Accepted::Refused(why)
            }
        }
    }

    fn show(&mut self, report: Report, ops: usize, model: Model) {
        self.marks = report.marks_of(ops);
        self.report = Some(report);
        self.checked_model = model;
        self.no_report = None;
    }

    /// The history to export: the imported one, or the live run's.
    pub fn export_edn(&self, live: &PVec<ClientOp>) -> String {
        match &self.imported_edn {
            Some(edn) => edn.clone(),
            None => check::to_edn(&History::from_client_ops(&live.to_vec())),
        }
    }

    /// The badges, in [`Property::ALL`] order.
    pub fn badges(&self) -> Vec<Badge> {
        Property::ALL
            .iter()
            .map(|&property| {
                let checking = self.checking();
                let Some(report) = &self.report else {
                    return Badge {
                        property,
                        verdict: Verdict::Unknown,
                        detail: match &self.no_report {
                            Some(why) => why.clone(),
                            None if checking => t("Checking…").to_owned(),
                            None => t("Not checked yet.").to_owned(),
                        },
                        offending: 0,
                        checking,
                    };
                };
                let offending = self.offending(property).len();
                let (verdict, detail) = match property {
                    Property::Linearizable => {
                        let l = &report.linearizable;
                        let detail = match l.verdict {
                            Verdict::Holds if l.keys.len() == 1 => tf(
                                "Every key has a linearization (1 key, {0} search steps).",
                                &[&l.steps],
                            ),
                            Verdict::Holds => tf(
                                "Every key has a linearization ({0} keys, {1} search steps).",
                                &[&l.keys.len(), &l.steps],
                            ),
                            Verdict::Violated => {
                                let bad = l
                                    .keys
                                    .iter()
                                    .filter(|k| k.verdict == Verdict::Violated)
                                    .count();
                                if bad == 1 {
                                    t("1 key cannot be linearized; select for the explanation.")
                                        .to_owned()
                                } else {
                                    tf(
                                        "{0} keys cannot be linearized; select for the explanation.",
                                        &[&bad],
                                    )
                                }
                            }
                            Verdict::Unknown => tf(
                                "The search stopped at its budget of {0} steps before deciding.",
                                &[&l.steps],
                            ),
                        };
                        (l.verdict, detail)
                    }
                    Property::Sequential => {
                        (report.sequential.verdict, report.sequential.detail.clone())
                    }
                    Property::ReadYourWrites => (
                        report.read_your_writes.verdict,
                        report.read_your_writes.detail.clone(),
                    ),
                    Property::MonotonicReads => (
                        report.monotonic_reads.verdict,
                        report.monotonic_reads.detail.clone(),
                    ),
                    Property::Convergence => (
                        report.convergence.verdict,
                        report.convergence.detail.clone(),
                    ),
                };
                Badge {
                    property,
                    verdict,
                    detail,
                    offending,
                    checking,
                }
            })
            .collect()
    }

    /// The operations `property` blames: for linearizability, the ones
    /// that cannot be placed after the longest prefix and their concurrent
    /// candidates; for the others, what their checker names.
    pub fn offending(&self, property: Property) -> Vec<usize> {
        self.marks
            .iter()
            .enumerate()
            .filter(|(_, m)| match property {
                Property::Linearizable => m.stuck || m.candidate,
                p => m.flagged & p.bit() != 0,
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn emphasis(&self, op: usize) -> Emphasis {
        let Some(property) = self.selected else {
            return Emphasis::Normal;
        };
        let mark = self.marks.get(op).copied().unwrap_or_default();
        match property {
            Property::Linearizable if mark.stuck || mark.candidate => Emphasis::Offending,
            Property::Linearizable if mark.in_prefix => Emphasis::Prefix,
            Property::Linearizable => Emphasis::Dimmed,
            p if mark.flagged & p.bit() != 0 => Emphasis::Offending,
            _ => Emphasis::Dimmed,
        }
    }

    /// Selects a badge (or deselects it when it is selected already).
    pub fn toggle(&mut self, property: Property) {
        self.selected = if self.selected == Some(property) {
            None
        } else {
            Some(property)
        };
    }

    /// The explanation under the badges for the selected property: what
    /// was found, and which operations are to blame, for people.
    pub fn explanation(&self) -> Vec<String> {
        let Some(property) = self.selected else {
            return Vec::new();
        };
        let Some(report) = &self.report else {
            return vec![self
                .no_report
                .clone()
                .unwrap_or_else(|| t("Not checked yet.").to_owned())];
        };
        let describe = |i: usize| self.describe(i);
        let mut lines = Vec::new();
        match property {
            Property::Linearizable => {
                let l = &report.linearizable;
                match l.verdict {
                    Verdict::Holds => lines.push(if l.keys.len() == 1 {
                        t(
                            "Holds: each of the 1 key has an order of its operations that \
                           respects real time and the key-value model.",
                        )
                        .to_owned()
                    } else {
                        tf(
                            "Holds: each of the {0} keys has an order of its operations that \
                             respects real time and the key-value model.",
                            &[&l.keys.len()],
                        )
                    }),
                    Verdict::Unknown => {
                        lines.push(tf(
                            "Unknown: the search used its budget of {0} steps without finding \
                             an order or ruling one out.",
                            &[&l.steps],
                        ));
                        if self.is_live() {
                            lines.push(
                                t("Live checks keep to a few milliseconds each; export the \
                                   history (Export EDN) and run `splitbrain check-history` on it \
                                   for a full search.")
                                .to_owned(),
                            );
                        }
                    }
                    Verdict::Violated => {}
                }
                for key in l
                    .keys
                    .iter()
                    .filter(|k| k.verdict != Verdict::Holds)
                    .take(3)
                {
                    let Some(e) = &key.explanation else {
                        continue;
                    };
                    let name = match (&e.key, self.checked_model) {
                        (Some(k), _) => tf("Key {0}", &[&check::Value::Str(k.clone())]),
                        (None, check::Model::Mutex) => t("The mutex").to_owned(),
                        (None, check::Model::MultiRegister) => t("The registers").to_owned(),
                        (None, _) => t("The register").to_owned(),
                    };
                    lines.push(if e.prefix.len() == 1 {
                        tf(
                            "{0}: the longest linearizable prefix has 1 operation, \
                             leaving the value {1}.",
                            &[&name, &e.state],
                        )
                    } else {
                        tf(
                            "{0}: the longest linearizable prefix has {1} operations, \
                             leaving the value {2}.",
                            &[&name, &e.prefix.len(), &e.state],
                        )
                    });
                    if !e.prefix.is_empty() {
                        let skip = e.prefix.len().saturating_sub(4);
                        let tail: Vec<String> =
                            e.prefix[skip..].iter().map(|&i| describe(i)).collect();
                        lines.push(if skip > 0 {
                            tf("Prefix, in order (last 4): {0}.", &[&tail.join("; ")])
                        } else {
                            tf("Prefix, in order: {0}.", &[&tail.join("; ")])
                        });
                    }
                    lines.push(tf("Cannot be placed next: {0}.", &[&describe(e.stuck)]));
                    if !e.candidates.is_empty() {
                        let shown: Vec<String> =
                            e.candidates.iter().take(5).map(|&i| describe(i)).collect();
                        lines.push(tf(
                            "Concurrent with it, and no order of them helps: {0}{1}.",
                            &[
                                &shown.join("; "),
                                &if e.candidates.len() > 5 { "; …" } else { "" },
                            ],
                        ));
                    }
                }
            }
            p => {
                let verdict = match p {
                    Property::Sequential => &report.sequential,
                    Property::ReadYourWrites => &report.read_your_writes,
                    Property::MonotonicReads => &report.monotonic_reads,
                    _ => &report.convergence,
                };
                lines.push(format!(
                    "{}: {}",
                    capitalize(crate::i18n::t_dyn(verdict.verdict.name())),
                    verdict.detail
                ));
                if !verdict.offending.is_empty() {
                    let shown: Vec<String> = verdict
                        .offending
                        .iter()
                        .take(6)
                        .map(|&i| describe(i))
                        .collect();
                    lines.push(tf(
                        "Offending operations: {0}{1}.",
                        &[
                            &shown.join("; "),
                            &if verdict.offending.len() > 6 {
                                "; …"
                            } else {
                                ""
                            },
                        ],
                    ));
                }
            }
        }
        lines
    }

    /// One operation for people: what, on which lane, when, and (live)
    /// which nodes served it.
    pub fn describe(&self, op: usize) -> String {
        let Some(o) = self.ops.get(op) else {
            return tf("operation {0}", &[&op]);
        };
        let when = match o.complete {
            Some(c) => format!("{} → {}", self.format_time(o.invoke), self.format_time(c)),
            None => tf("{0} → still waiting", &[&self.format_time(o.invoke)]),
        };
        let mut s = format!("{}: {} ({when})", self.lane_label(o.lane), o.label);
        if let Some(asked) = o.asked {
            s.push_str(&tf(", asked n{0}", &[&asked.0]));
            if let Some(by) = o.answered_by.filter(|b| *b != asked) {
                s.push_str(&tf(", answered by n{0}", &[&by.0]));
            }
        }
        if let Some(note) = self.notes.get(&(op + self.offset)) {
            s.push_str(note);
        }
        s
    }

    pub fn lane_label(&self, lane: u64) -> String {
        if self.is_live() {
            match lane {
                l if l == u64::from(USER_CLIENT) => "you".to_owned(),
                l if l == u64::from(STEADY_CLIENT) => "steady".to_owned(),
                l => format!("c{l}"),
            }
        } else {
            format!("p{lane}")
        }
    }

    /// A time in the history's unit, for labels.
    pub fn format_time(&self, t: u64) -> String {
        match self.time_base {
            TimeBase::Micros => format!("{}.{:03} s", t / 1_000_000, (t / 1000) % 1000),
            TimeBase::Nanos => format!("{:.1} ms", t as f64 / 1e6),
            TimeBase::Positions => format!("#{t}"),
        }
    }

    /// What the cluster view highlights for operation `op` (live runs).
    pub fn served(&self, op: usize) -> Option<Served> {
        let o = self.ops.get(op)?;
        let asked = o.asked?;
        let mut nodes = vec![asked];
        if let Some(by) = o.answered_by.filter(|b| *b != asked) {
            nodes.push(by);
        }
        Some(Served {
            nodes,
            from: Time(o.invoke),
            until: o.complete.map(Time),
        })
    }

    /// The whole time range of the operations (live: up to `now`).
    fn extent(&self, now: Option<u64>) -> (u64, u64) {
        let start = if self.is_live() {
            0
        } else {
            self.ops.first().map_or(0, |o| o.invoke)
        };
        let last = self
            .ops
            .iter()
            .rev()
            .take(64)
            .map(|o| o.complete.unwrap_or(o.invoke))
            .chain(self.ops.last().map(|o| o.invoke))
            .max()
            .unwrap_or(start);
        // Completions are not in order; the last 64 operations are a
        // cheap, good-enough look for the right edge, and `now` bounds a
        // live run anyway.
        let end = now.unwrap_or(last).max(last).max(start + 1);
        (start, end)
    }

    /// Zooms the time window in (halves it) or out (doubles it, up to the
    /// whole history).
    pub fn zoom(&mut self, zoom_in: bool, now: Option<u64>) {
        let (start, end) = self.extent(now);
        let full = end - start;
        let current = self.window.unwrap_or(full).min(full);
        self.window = if zoom_in {
            Some((current / 2).max(10))
        } else if current.saturating_mul(2) as f64 >= full as f64 * 0.95 {
            // Near enough the whole: halvings do not double back exactly.
            None
        } else {
            Some(current * 2)
        };
    }

    /// Lays the operations out on a `width` x `height` canvas. `now` is the
    /// simulated time on a live run: the window ends there.
    pub fn picture(&self, width: f64, height: f64, now: Option<u64>) -> Picture {
        let mut p = Picture {
            width,
            height,
            ..Picture::default()
        };
        if self.ops.is_empty() || width < LABEL_WIDTH + RIGHT_PAD + 10.0 || height < 30.0 {
            return p;
        }
        let (start, end) = self.extent(now);
        let t0 = match self.window {
            Some(w) if w < end - start => end - w,
            _ => start,
        };
        let axis = Axis {
            t0,
            t1: end,
            x0: LABEL_WIDTH,
            x1: width - RIGHT_PAD,
        };
        p.axis = Some(axis);
        p.now_x = now.map(|t| axis.x(t));
        p.ticks = ticks(&axis, |t| self.format_time(t));

        // Lanes: sorted by client or process; as many as fit.
        let area = height - AXIS_HEIGHT;
        let fit = ((area / MIN_LANE).floor() as usize).max(1);
        let shown: Vec<u64> = self.lanes.iter().copied().take(fit).collect();
        p.hidden_lanes = self.lanes.len() - shown.len();
        let lane_h = (area / shown.len().max(1) as f64).clamp(MIN_LANE, MAX_LANE);
        let row_of: BTreeMap<u64, usize> = shown.iter().enumerate().map(|(i, l)| (*l, i)).collect();
        for (i, lane) in shown.iter().enumerate() {
            p.lanes.push(LaneRow {
                label: self.lane_label(*lane),
                y: i as f64 * lane_h,
                h: lane_h,
            });
        }

        // First pass: which operations are in the window, and their track
        // within their lane (greedy, in invocation order).
        let mut track_ends: Vec<Vec<u64>> = vec![Vec::new(); shown.len()];
        let mut placed: Vec<(usize, usize, usize)> = Vec::new(); // (op, row, track)
        for (i, o) in self.ops.iter().enumerate() {
            if o.invoke > end {
                break;
            }
            let stop = o.complete.unwrap_or(end);
            if stop < t0 {
                continue;
            }
            let Some(&row) = row_of.get(&o.lane) else {
                continue;
            };
            let ends = &mut track_ends[row];
            let track = match ends.iter().position(|e| *e < o.invoke) {
                Some(t) => t,
                None if ends.len() < MAX_TRACKS => {
                    ends.push(0);
                    ends.len() - 1
                }
                None => MAX_TRACKS - 1,
            };
            ends[track] = ends[track].max(o.complete.unwrap_or(u64::MAX));
            placed.push((i, row, track));
        }

        // Second pass: geometry, thinning what the previous bar on the same
        // track already covers.
        let mut last: Vec<Vec<Option<(f64, Shown)>>> = track_ends
            .iter()
            .map(|e| vec![None; e.len().max(1)])
            .collect();
        for (op, row, track) in placed {
            let o = &self.ops[op];
            let tracks = track_ends[row].len().max(1) as f64;
            let inner = (lane_h - 2.0).max(2.0);
            let h = (inner / tracks - if tracks > 1.0 { 1.0 } else { 0.0 }).max(1.5);
            let y = row as f64 * lane_h + 1.0 + track as f64 * (inner / tracks);
            let x = axis.x(o.invoke.max(t0));
            let x_end = axis.x(o.complete.unwrap_or(end).min(end)).max(x + 2.0);
            let emphasis = self.emphasis(op);
            let focused = self.focused == Some(op);
            let slot = &mut last[row][track];
            let covered =
                slot.is_some_and(|(end_x, shown)| x_end <= end_x + 1.0 && shown == o.shown);
            if covered && emphasis != Emphasis::Offending && !focused {
                p.thinned += 1;
                continue;
            }
            if p.bars.len() >= MAX_BARS {
                p.thinned += 1;
                continue;
            }
            *slot = Some((slot.map_or(x_end, |(e, _)| e.max(x_end)), o.shown));
            p.bars.push(Bar {
                op,
                x,
                y,
                w: x_end - x,
                h,
                shown: o.shown,
                emphasis,
                focused,
            });
        }
        p
    }

    /// Moves the focus to the next (or previous) drawn operation in time
    /// order, for the keyboard. Returns the newly focused operation.
    pub fn focus_step(&mut self, picture: &Picture, forward: bool) -> Option<usize> {
        let mut order: Vec<(f64, f64, usize)> =
            picture.bars.iter().map(|b| (b.x, b.y, b.op)).collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        if order.is_empty() {
            self.focused = None;
            return None;
        }
        let at = self
            .focused
            .and_then(|f| order.iter().position(|(_, _, op)| *op == f));
        let next = match (at, forward) {
            (None, true) => 0,
            (None, false) => order.len() - 1,
            (Some(i), true) => (i + 1).min(order.len() - 1),
            (Some(i), false) => i.saturating_sub(1),
        };
        self.focused = Some(order[next].2);
        self.focused
    }
}

/// An imported history's operations as the view shows them (the check
/// worker builds them: the page does not hold the history itself).
pub fn imported_ops(history: &History) -> Vec<ViewOp> {
    history
        .ops
        .iter()
        .enumerate()
        .map(|(i, op)| ViewOp {
            lane: op.process,
            invoke: op.invoke,
            complete: op.complete,
            shown: match op.outcome {
                check::Outcome::Ok { .. } => Shown::Ok,
                check::Outcome::Fail => Shown::Fail,
                check::Outcome::Unknown if op.complete.is_some() => Shown::Unknown,
                check::Outcome::Unknown => Shown::Pending,
            },
            // Without the leading `pN `: the lane says it.
            label: {
                let text = history.describe(i);
                text.split_once(' ')
                    .map_or_else(|| text.clone(), |(_, rest)| rest.to_owned())
            },
            asked: None,
            answered_by: None,
        })
        .collect()
}

fn live_op(c: &ClientOp) -> ViewOp {
    let (shown, complete, result) = match &c.result {
        None => (Shown::Pending, None, String::new()),
        Some((t, OpResult::Ok { value })) => (
            Shown::Ok,
            Some(t.0),
            match value {
                Some(v) if c.op.is_read() => format!(" → {v:?}"),
                None if c.op.is_read() => " → nil".to_owned(),
                _ => " ok".to_owned(),
            },
        ),
        Some((t, OpResult::Fail { reason })) => {
            (Shown::Fail, Some(t.0), format!(" failed: {reason}"))
        }
        Some((t, OpResult::Unknown)) => (Shown::Unknown, Some(t.0), " timed out".to_owned()),
    };
    ViewOp {
        lane: u64::from(c.client.0),
        invoke: c.invoke.0,
        complete,
        shown,
        label: format!("{}{result}", c.op),
        asked: Some(c.node),
        answered_by: c.served_by,
    }
}

/// Round-numbered ticks, about every 90 pixels.
fn ticks(axis: &Axis, label: impl Fn(u64) -> String) -> Vec<(f64, String)> {
    let span = axis.t1.saturating_sub(axis.t0).max(1);
    let px = (axis.x1 - axis.x0).max(1.0);
    let want = (span as f64 * 90.0 / px).max(1.0);
    // 1, 2, 5 times a power of ten.
    let mut step = 1u64;
    loop {
        if step as f64 >= want {
            break;
        }
        if (step * 2) as f64 >= want {
            step *= 2;
            break;
        }
        if (step * 5) as f64 >= want {
            step *= 5;
            break;
        }
        step *= 10;
    }
    let mut out = Vec::new();
    let mut t = axis.t0.div_ceil(step) * step;
    while t <= axis.t1 && out.len() < 64 {
        out.push((axis.x(t), label(t)));
        t += step;
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_core::id::{ClientId, RequestId};
    use splitbrain_core::protocol::Op;

    fn op(client: u32, invoke: u64, result: Option<(u64, OpResult)>, o: Op) -> ClientOp {
        ClientOp {
            id: RequestId(invoke),
            client: ClientId(client),
            op: o,
            node: NodeId(1),
            invoke: Time(invoke),
            result: result.map(|(t, r)| (Time(t), r)),
            served_by: Some(NodeId(0)),
            detail: None,
        }
    }

    fn ops(list: &[ClientOp]) -> PVec<ClientOp> {
        list.iter().cloned().collect()
    }

    /// Answers `request` as the check worker does, the check taking
    /// `took_ms` by the worker's clock.
    fn answer_taking(v: &mut HistoryView, request: CheckRequest, took_ms: f64) -> Accepted {
        let answer = match crate::checks::answer(&request.job, &|| 0.0) {
            Answer::Checked { report, .. } => Answer::Checked { report, took_ms },
            other => other,
        };
        v.accept(request.seq, answer)
    }

    /// A live check, asked for and answered.
    fn check_now(v: &mut HistoryView, run: &[ClientOp]) {
        let request = v.check_live(&ops(run), 0.0).expect("a check is asked for");
        assert_eq!(answer_taking(v, request, 1.0), Accepted::Shown);
    }

    /// An import of `text` (format and model detected), asked for and
    /// answered.
    fn import(v: &mut HistoryView, name: &str, text: &str) -> Accepted {
        let request = v.request_import(name, text.to_owned(), FileOptions::default());
        answer_taking(v, request, 1.0)
    }

    fn put(v: &str) -> Op {
        Op::Put {
            key: "x".into(),
            value: v.into(),
        }
    }

    fn get() -> Op {
        Op::Get { key: "x".into() }
    }

    fn ok(v: Option<&str>) -> OpResult {
        OpResult::Ok {
            value: v.map(str::to_owned),
        }
    }

    /// Two clients: c0 writes 1 (10..20) and c1 reads it (30..40).
    fn linearizable_run() -> Vec<ClientOp> {
        vec![
            op(0, 10, Some((20, ok(None))), put("1")),
            op(1, 30, Some((40, ok(Some("1")))), get()),
        ]
    }

    /// c1 reads 2 after c0's write of 1 returned, and nobody wrote 2.
    const BAD_EDN: &str = "\
{:process 0, :type :invoke, :f :write, :value 1}
{:process 0, :type :ok, :f :write, :value 1}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value 2}
";

    #[test]
    fn one_lane_per_client_and_bars_span_invoke_to_completion() {
        let mut v = HistoryView::new();
        let mut run = linearizable_run();
        run.push(op(1000, 50, None, get()));
        assert!(v.sync_live(1, &ops(&run)));
        assert_eq!(v.lane_count(), 3);
        let p = v.picture(462.0, 118.0, Some(100));
        let labels: Vec<&str> = p.lanes.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["c0", "c1", "you"]);
        let axis = p.axis.unwrap();
        assert_eq!((axis.t0, axis.t1), (0, 100));
        // 400 px for 100 µs: 4 px per µs from x = 52.
        let bar = p.bars.iter().find(|b| b.op == 0).unwrap();
        assert!((bar.x - (52.0 + 40.0)).abs() < 1e-9, "{bar:?}");
        assert!((bar.w - 40.0).abs() < 1e-9);
        assert_eq!(bar.shown, Shown::Ok);
        // The pending request runs to now, on the third lane.
        let pending = p.bars.iter().find(|b| b.op == 2).unwrap();
        assert_eq!(pending.shown, Shown::Pending);
        assert!((pending.x + pending.w - axis.x(100)).abs() < 1e-9);
        assert!(pending.y > bar.y);
        assert_eq!(p.now_x, Some(axis.x(100)));
    }

    #[test]
    fn syncing_updates_pending_operations_and_a_new_run_starts_afresh() {
        let mut v = HistoryView::new();
        let mut run = vec![op(0, 10, None, put("1"))];
        v.sync_live(1, &ops(&run));
        assert_eq!(v.ops()[0].shown, Shown::Pending);
        assert!(!v.sync_live(1, &ops(&run)), "nothing changed");
        run[0].result = Some((Time(30), OpResult::Unknown));
        assert!(v.sync_live(1, &ops(&run)));
        assert_eq!(v.ops()[0].shown, Shown::Unknown);
        assert_eq!(v.ops()[0].complete, Some(30));
        run.push(op(
            0,
            40,
            Some((
                50,
                OpResult::Fail {
                    reason: "n1 is down".into(),
                },
            )),
            get(),
        ));
        v.sync_live(1, &ops(&run));
        assert_eq!(v.ops()[1].shown, Shown::Fail);
        assert!(v.ops()[1].label.contains("n1 is down"));
        v.sync_live(2, &ops(&run[..1]));
        assert_eq!(v.ops().len(), 1, "a new run");
    }

    #[test]
    fn checks_are_throttled_and_only_when_the_history_changed() {
        let mut v = HistoryView::new();
        let run = linearizable_run();
        v.sync_live(1, &ops(&run));
        assert!(v.check_due(0.0));
        let first = v.check_live(&ops(&run), 0.0).unwrap();
        assert!(!v.check_due(10_000.0), "one check in flight at a time");
        answer_taking(&mut v, first, 0.5);
        assert!(!v.check_due(10_000.0), "nothing new");
        let mut more = run.clone();
        more.push(op(0, 50, Some((60, ok(None))), put("2")));
        v.sync_live(1, &ops(&more));
        assert!(!v.check_due(CHECK_EVERY_MS - 1.0), "too soon");
        assert!(v.check_due(CHECK_EVERY_MS));
        // A fast check let the budget double; a slow one spaces out the
        // next and shrinks it; fast ones let it grow back, at most doubling
        // each time.
        assert_eq!(v.live_steps, LIVE_STEPS * 2);
        v.record_check(100.0);
        assert!(!v.check_due(CHECK_EVERY_MS));
        assert!(v.check_due(100.0 * CHECK_SLOWDOWN));
        assert_eq!(v.live_steps, LIVE_STEPS * 2 * 12 / 100);
        v.record_check(0.5);
        assert_eq!(v.live_steps, LIVE_STEPS * 2 * 12 / 100 * 2);
        for _ in 0..20 {
            v.record_check(10_000.0);
        }
        assert_eq!(v.live_steps, LIVE_STEPS_MIN);
    }

    #[test]
    fn a_linearizable_run_has_every_badge_holding() {
        let mut v = HistoryView::new();
        let run = linearizable_run();
        v.sync_live(1, &ops(&run));
        let before = v.badges();
        assert!(before.iter().all(|b| b.verdict == Verdict::Unknown));
        // Before the first request there is nothing to ask the worker.
        assert_eq!(v.check_live(&ops(&[]), 0.0), None);
        assert_eq!(v.badges()[0].detail, "No client operations to check yet.");
        check_now(&mut v, &run);
        let badges = v.badges();
        assert_eq!(badges.len(), 5);
        assert_eq!(badges[0].property, Property::Linearizable);
        assert_eq!(badges[0].verdict, Verdict::Holds, "{:?}", badges[0]);
        assert_eq!(badges[1].verdict, Verdict::Holds);
        assert!(badges.iter().all(|b| b.offending == 0));
    }

    #[test]
    fn a_stale_read_violates_linearizability_and_the_badge_blames_it() {
        let mut v = HistoryView::new();
        // c1 reads nothing after c0's write of 1 completed.
        let run = vec![
            op(0, 10, Some((20, ok(None))), put("1")),
            op(1, 30, Some((40, ok(None))), get()),
        ];
        v.sync_live(1, &ops(&run));
        check_now(&mut v, &run);
        let lin = &v.badges()[0];
        assert_eq!(lin.verdict, Verdict::Violated);
        assert_eq!(v.offending(Property::Linearizable), vec![1]);
        // Sequentially consistent all the same: the read may go first.
        assert_eq!(v.badges()[1].verdict, Verdict::Holds);

        v.toggle(Property::Linearizable);
        let p = v.picture(452.0, 118.0, Some(100));
        let read = p.bars.iter().find(|b| b.op == 1).unwrap();
        let write = p.bars.iter().find(|b| b.op == 0).unwrap();
        assert_eq!(read.emphasis, Emphasis::Offending);
        assert_eq!(write.emphasis, Emphasis::Prefix);
        let text = v.explanation().join("\n");
        assert!(
            text.contains("longest linearizable prefix has 1 operation"),
            "{text}"
        );
        assert!(
            text.contains("Cannot be placed next: c1: get x → nil"),
            "{text}"
        );
        v.toggle(Property::Linearizable);
        assert!(v.explanation().is_empty());
    }

    #[test]
    fn an_imported_history_gets_lanes_per_process_and_its_verdict() {
        let mut v = HistoryView::new();
        assert_eq!(import(&mut v, "bad.edn", BAD_EDN), Accepted::Shown);
        assert!(!v.is_live());
        assert_eq!(v.lane_count(), 2);
        assert_eq!(v.badges()[0].verdict, Verdict::Violated);
        assert_eq!(v.offending(Property::Linearizable), vec![1]);
        let p = v.picture(452.0, 118.0, None);
        assert_eq!(p.lanes[0].label, "p0");
        assert_eq!(p.bars.len(), 2);
        assert!(p.now_x.is_none());
        // A live sync does not touch it; going back to live does.
        assert!(!v.sync_live(1, &ops(&linearizable_run())));
        v.show_live();
        assert!(v.sync_live(1, &ops(&linearizable_run())));
        assert_eq!(v.lane_count(), 2);
        assert_eq!(v.lane_label(0), "c0");
    }

    #[test]
    fn a_jepsen_mutex_history_is_imported_with_its_model() {
        // Knossos's shape: a vector, maps across lines, a comment, a
        // failed release that did not happen, a second acquire while held.
        let text = "; two clients, one lock\n\
            [{:process 0, :type :invoke, :f :acquire}\n\
             {:process 0, :type :ok, :f :acquire}\n\
             {:process 1, :type :invoke, :f :release}\n\
             {:process 1, :type :fail, :f :release, :error :not-held}\n\
             {:process 1, :type :invoke, :f :acquire}\n\
             {:process 1, :type :ok, :f :acquire}]";
        let mut v = HistoryView::new();
        assert_eq!(import(&mut v, "lock.edn", text), Accepted::Shown);
        assert_eq!(v.badges()[0].verdict, Verdict::Violated);
        v.toggle(Property::Linearizable);
        let why = v.explanation().join("\n");
        assert!(why.contains("The mutex: the longest linearizable prefix has 1 operation, leaving the value held."), "{why}");
        assert!(why.contains("p1: acquire ok"), "{why}");
        assert_eq!(v.picture(452.0, 118.0, None).bars.len(), 3);
    }

    #[test]
    fn bars_that_would_hide_under_the_previous_one_are_thinned() {
        let mut v = HistoryView::new();
        // 5,000 back-to-back operations of one client on a 300 px axis.
        let run: Vec<ClientOp> = (0..5000)
            .map(|i| op(0, i * 10, Some((i * 10 + 5, ok(None))), put("1")))
            .collect();
        v.sync_live(1, &ops(&run));
        let p = v.picture(LABEL_WIDTH + 310.0, 100.0, Some(50_000));
        assert!(p.bars.len() <= 320, "{} bars", p.bars.len());
        assert_eq!(p.bars.len() + p.thinned, 5000);
        // Zoomed in to the last 200 µs or so, every operation there is drawn.
        for _ in 0..8 {
            v.zoom(true, Some(50_000));
        }
        let zoomed = v.picture(LABEL_WIDTH + 310.0, 100.0, Some(50_000));
        assert!(zoomed.axis.unwrap().t0 > 49_000);
        assert!(zoomed.bars.iter().all(|b| b.w >= 1.99));
        assert_eq!(zoomed.thinned, 0);
        for _ in 0..8 {
            v.zoom(false, Some(50_000));
        }
        assert_eq!(v.window, None, "back to the whole run");
    }

    #[test]
    fn overlapping_operations_of_one_client_stack_on_tracks() {
        let mut v = HistoryView::new();
        let run = vec![
            op(1000, 10, Some((50, ok(None))), put("1")),
            op(1000, 20, Some((60, ok(None))), put("2")),
            op(1000, 70, Some((80, ok(None))), put("3")),
        ];
        v.sync_live(1, &ops(&run));
        let p = v.picture(452.0, 118.0, Some(100));
        let y: Vec<f64> = p.bars.iter().map(|b| b.y).collect();
        assert!(y[1] > y[0], "the second overlaps the first: {y:?}");
        assert_eq!(y[2], y[0], "the third fits on the first track again");
    }

    #[test]
    fn the_picture_finds_the_operation_under_the_pointer_and_the_keyboard_walks_them() {
        let mut v = HistoryView::new();
        let run = linearizable_run();
        v.sync_live(1, &ops(&run));
        let p = v.picture(452.0, 118.0, Some(100));
        let b = p.bars[1];
        assert_eq!(p.op_at(b.x + b.w / 2.0, b.y + b.h / 2.0), Some(1));
        assert_eq!(p.op_at(b.x + b.w / 2.0, 117.0), None);
        assert_eq!(v.focus_step(&p, true), Some(0));
        assert_eq!(v.focus_step(&p, true), Some(1));
        assert_eq!(v.focus_step(&p, true), Some(1), "stays on the last");
        assert_eq!(v.focus_step(&p, false), Some(0));
    }

    #[test]
    fn an_operation_is_served_by_the_node_asked_and_the_one_that_answered() {
        let mut v = HistoryView::new();
        let run = linearizable_run();
        v.sync_live(1, &ops(&run));
        let s = v.served(0).unwrap();
        assert_eq!(s.nodes, vec![NodeId(1), NodeId(0)]);
        assert!(s.covers(NodeId(0), Time(15)));
        assert!(!s.covers(NodeId(0), Time(25)), "after it completed");
        assert!(!s.covers(NodeId(2), Time(15)), "another node");
        assert!(v.describe(0).contains("asked n1, answered by n0"));
        import(&mut v, "bad", BAD_EDN);
        assert_eq!(v.served(0), None, "nothing to do with the cluster");
    }

    #[test]
    fn too_long_a_live_run_is_not_checked_and_says_why() {
        let mut v = HistoryView::new();
        let run: Vec<ClientOp> = (0..LIVE_CHECK_LIMIT as u64 + 1)
            .map(|i| op(0, i * 10, Some((i * 10 + 5, ok(None))), put("1")))
            .collect();
        v.sync_live(1, &ops(&run));
        assert_eq!(v.check_live(&ops(&run), 0.0), None, "nothing to ask");
        let b = &v.badges()[0];
        assert_eq!(b.verdict, Verdict::Unknown);
        assert!(b.detail.contains("too many to check live"), "{}", b.detail);
    }

    #[test]
    fn badges_say_checking_while_a_check_is_in_flight() {
        let mut v = HistoryView::new();
        let run = linearizable_run();
        v.sync_live(1, &ops(&run));
        let first = v.check_live(&ops(&run), 0.0).unwrap();
        assert!(v
            .badges()
            .iter()
            .all(|b| b.checking && b.verdict == Verdict::Unknown));
        assert_eq!(v.badges()[0].detail, "Checking…");
        answer_taking(&mut v, first, 1.0);
        assert!(v.badges().iter().all(|b| !b.checking));
        assert_eq!(v.badges()[0].verdict, Verdict::Holds);
        // More operations: the next check is in flight, and the holding
        // badge says it is being checked again rather than standing as if
        // it were about the new operations.
        let mut more = run.clone();
        more.push(op(1, 50, Some((60, ok(None))), get()));
        v.sync_live(1, &ops(&more));
        let second = v.check_live(&ops(&more), CHECK_EVERY_MS).unwrap();
        let b = &v.badges()[0];
        assert!(b.checking);
        assert_eq!(
            b.verdict,
            Verdict::Holds,
            "the last verdict, marked as checking"
        );
        // The read of nothing after the write of 1 breaks it.
        answer_taking(&mut v, second, 1.0);
        assert!(!v.badges()[0].checking);
        assert_eq!(v.badges()[0].verdict, Verdict::Violated);
    }

    #[test]
    fn a_newer_request_supersedes_an_older_one() {
        let mut v = HistoryView::new();
        let run = linearizable_run();
        v.sync_live(1, &ops(&run));
        let old = v.check_live(&ops(&run), 0.0).unwrap();
        // A new run starts: the old run's answer must not paint its badges.
        let stale = vec![
            op(0, 10, Some((20, ok(None))), put("1")),
            op(1, 30, Some((40, ok(None))), get()),
        ];
        v.sync_live(2, &ops(&stale));
        let new = v.check_live(&ops(&stale), 0.0).unwrap();
        assert!(new.seq > old.seq);
        assert_eq!(answer_taking(&mut v, old, 1.0), Accepted::Stale);
        assert!(v.checking(), "still waiting for the newer one");
        assert_eq!(answer_taking(&mut v, new.clone(), 1.0), Accepted::Shown);
        assert_eq!(v.badges()[0].verdict, Verdict::Violated);
        // Answered once; the same answer again is stale.
        assert_eq!(answer_taking(&mut v, new, 1.0), Accepted::Stale);

        // An import supersedes a live check in flight, and a refused file
        // leaves the live view as it was.
        let mut more = stale.clone();
        more.push(op(0, 50, Some((60, ok(None))), put("2")));
        v.sync_live(2, &ops(&more));
        let live = v.check_live(&ops(&more), CHECK_EVERY_MS).unwrap();
        let bad = v.request_import(
            "x.edn",
            "{:process 0 :type".to_owned(),
            FileOptions::default(),
        );
        assert_eq!(answer_taking(&mut v, live, 1.0), Accepted::Stale);
        match answer_taking(&mut v, bad, 1.0) {
            Accepted::Refused(why) => assert!(why.starts_with("x.edn:1:"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(v.is_live());
        assert!(!v.checking());
        assert!(
            v.check_due(2.0 * CHECK_EVERY_MS),
            "the dropped live check is asked again"
        );
        // A closed import dialog drops its request.
        let dropped = v.request_import("y.edn", BAD_EDN.to_owned(), FileOptions::default());
        v.cancel_import();
        assert_eq!(answer_taking(&mut v, dropped, 1.0), Accepted::Stale);
        assert!(v.is_live());
    }

    #[test]
    fn a_worker_that_fails_leaves_a_readable_reason_and_is_not_asked_every_frame() {
        let mut v = HistoryView::new();
        let run = linearizable_run();
        v.sync_live(1, &ops(&run));
        let request = v.check_live(&ops(&run), 0.0).unwrap();
        let failed = Answer::Failed {
            message: "it could not be loaded".to_owned(),
        };
        assert_eq!(v.accept(request.seq, failed), Accepted::Shown);
        let b = &v.badges()[0];
        assert_eq!(b.verdict, Verdict::Unknown);
        assert!(!b.checking);
        assert!(
            b.detail
                .contains("consistency checker could not run: it could not be loaded"),
            "{}",
            b.detail
        );
        let mut more = run.clone();
        more.push(op(0, 50, Some((60, ok(None))), put("2")));
        v.sync_live(1, &ops(&more));
        assert!(!v.check_due(CHECK_EVERY_MS), "backs off");
        assert!(v.check_due(FAILED_CHECK_MS * CHECK_SLOWDOWN));
        // An import that fails the same way is refused with the reason.
        let request = v.request_import("z.edn", BAD_EDN.to_owned(), FileOptions::default());
        let failed = Answer::Failed {
            message: "stopped".to_owned(),
        };
        assert!(
            matches!(v.accept(request.seq, failed), Accepted::Refused(why) if why.contains("stopped"))
        );
    }

    #[test]
    fn the_live_history_exports_as_edn_that_reads_back() {
        let v = HistoryView::new();
        let edn = v.export_edn(&ops(&linearizable_run()));
        let back = check::parse(&edn, None).unwrap();
        assert_eq!(back.ops.len(), 2);
        assert!(edn.contains(":type :invoke"));
    }

    #[test]
    fn ticks_fall_on_round_times() {
        let axis = Axis {
            t0: 0,
            t1: 2_000_000,
            x0: 0.0,
            x1: 900.0,
        };
        let t = ticks(&axis, |t| t.to_string());
        assert_eq!(t[0].1, "0");
        assert_eq!(t[1].1, "200000");
    }

    #[test]
    fn hovering_an_operation_highlights_its_nodes_and_their_messages_on_the_cluster() {
        use crate::geometry::Viewport;
        use crate::model::{Model, Msg, NodeCommand};
        use crate::scene::Scene;

        let mut m = Model::new(1);
        m.update(Msg::Resize(Viewport {
            width: 800.0,
            height: 600.0,
        }));
        m.update(Msg::SetSpeed(1.0));
        for _ in 0..100 {
            m.frame(16.0);
        }
        let leader = m.leader().expect("a leader after 1.6 s");
        m.update(Msg::Node(leader, NodeCommand::Request(put("7"))));
        // The leader replicates the put: step until it has sent something.
        let mut v = HistoryView::new();
        let mut scene = Scene::default();
        for _ in 0..50 {
            m.update(Msg::Step);
            v.sync_live(m.run, m.sim().history());
            m.update(Msg::HighlightServed(v.served(0)));
            scene.rebuild(&m);
            if scene.sprites.iter().any(|s| s.served) {
                break;
            }
        }
        assert!(
            scene.sprites.iter().any(|s| s.served),
            "no message served it"
        );
        let served: Vec<u16> = scene
            .nodes
            .iter()
            .filter(|n| n.served)
            .map(|n| n.id)
            .collect();
        assert_eq!(served, vec![leader.0]);
        m.update(Msg::HighlightServed(None));
        scene.rebuild(&m);
        assert!(scene.sprites.iter().all(|s| !s.served));
        assert!(scene.nodes.iter().all(|n| !n.served));
    }
}
