//! The consistency checks the page hands to its check worker: the [`Job`]s
//! it asks for, the [`Answer`]s that come back, and [`answer`], which the
//! worker (`src/bin/check_worker.rs`) runs on each job and native tests
//! call directly. The page itself never reads a history file nor searches
//! for a linearization: the linearizability search, the session checks and
//! the EDN and etcd readers live in the worker's wasm, which is fetched
//! the first time something needs a verdict.
//!
//! Page and worker talk in JSON, one [`Request`] per job, each answered
//! once, in order, by a [`FromWorker::Answer`] with the request's id.

use serde::{Deserialize, Serialize};

use splitbrain_core::check::{
    self, CheckOptions, Format, History, Model, ParseOptions, Report, TimeBase, Verdict,
};
use splitbrain_core::id::{ClientId, RequestId};
use splitbrain_core::protocol::Op;
use splitbrain_core::pvec::PVec;
use splitbrain_core::sim::{ClientOp, OpResult};
use splitbrain_core::NodeId;

use crate::history::{imported_ops, ViewOp};

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Job {
    /// Every property of a run's history: the history view's badges.
    Check { ops: Vec<RunOp>, max_steps: u64 },
    /// Linearizability alone: the CAP and PACELC panels' verdicts.
    Linearizable { ops: Vec<RunOp>, max_steps: u64 },
    /// A history file to read and check, as Import does.
    Import {
        text: String,
        file: FileOptions,
        max_steps: u64,
    },
    /// The test hook's `checkHistory`: read a file and time its
    /// linearizability check, `repeat` times (see [`check_history`]).
    Time {
        text: String,
        file: FileOptions,
        repeat: u32,
    },
}

/// A run's client operation as it crosses to the worker: what
/// [`History::from_client_ops`] reads of a [`ClientOp`], no more. (The
/// page builds these rather than a [`History`], so that it carries no
/// code to write a history nor to read one back.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOp {
    pub client: u32,
    pub invoke: u64,
    pub op: Op,
    /// When and how it ended; `None` while it waits.
    pub end: Option<(u64, End)>,
}

/// How a [`RunOp`] ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum End {
    /// It happened; a read carries what it read.
    Ok(Option<String>),
    Fail,
    Unknown,
}

/// A run's history as it crosses to the worker.
pub fn run_ops(history: &PVec<ClientOp>) -> Vec<RunOp> {
    history
        .iter()
        .map(|c| RunOp {
            client: c.client.0,
            invoke: c.invoke.0,
            op: c.op.clone(),
            end: c.result.as_ref().map(|(t, r)| {
                let end = match r {
                    OpResult::Ok { value } => End::Ok(value.clone()),
                    OpResult::Fail { .. } => End::Fail,
                    OpResult::Unknown => End::Unknown,
                };
                (t.0, end)
            }),
        })
        .collect()
}

/// The [`History`] the page's [`run_ops`] came from, rebuilt in the
/// worker (what [`History::from_client_ops`] does not read is left blank).
pub fn history_of(ops: &[RunOp]) -> History {
    let client_ops: Vec<ClientOp> = ops
        .iter()
        .enumerate()
        .map(|(i, o)| ClientOp {
            id: RequestId(i as u64),
            client: ClientId(o.client),
            op: o.op.clone(),
            node: NodeId(0),
            invoke: splitbrain_core::Time(o.invoke),
            result: o.end.as_ref().map(|(t, end)| {
                let result = match end {
                    End::Ok(value) => OpResult::Ok {
                        value: value.clone(),
                    },
                    End::Fail => OpResult::Fail {
                        reason: String::new(),
                    },
                    End::Unknown => OpResult::Unknown,
                };
                (splitbrain_core::Time(*t), result)
            }),
            served_by: None,
            detail: None,
        })
        .collect();
    History::from_client_ops(&client_ops)
}

/// An imported history as the history view shows it, with its report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    pub ops: Vec<ViewOp>,
    pub time_base: TimeBase,
    pub model: Model,
    /// The history in EDN, for the view's export.
    pub edn: String,
    pub report: Report,
}

/// How to read a history file: the import dialog's choices, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOptions {
    /// `jepsen-etcd` or `edn`; `None`, empty or `detect`: detected.
    pub format: Option<String>,
    /// A model's name (`cas-register`, ...); `None`, empty or `detect`:
    /// from the operations.
    pub model: Option<String>,
    /// The registers' first value, in EDN; empty: unset.
    pub initial: String,
}

/// The part of a file job that could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    Format,
    Model,
    FirstValue,
    /// The history text itself; the message starts with `line:column: `.
    Text,
}

/// What the worker says to one [`Job`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    /// [`Job::Check`]: the report, and how long the check took in the
    /// worker (milliseconds).
    Checked { report: Report, took_ms: f64 },
    /// [`Job::Linearizable`].
    Linearizable { verdict: Verdict },
    /// [`Job::Import`]: the history as read, and its report.
    Imported(Imported),
    /// [`Job::Time`].
    Timed(HistoryCheck),
    /// A file job whose input does not read: which part, and why (in
    /// English, as the command line says it).
    Refused { input: Input, message: String },
    /// No verdict: the worker could not be started or stopped working.
    /// Made by the page, never by [`answer`].
    Failed { message: String },
}

/// A job as posted to the worker; `id` comes back with its answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub job: Job,
}

/// What the worker posts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// Listening: requests posted before this would have been lost.
    Ready,
    /// Boxed: an answer is large, `Ready` is not.
    Answer { id: u64, answer: Box<Answer> },
    /// A message that was not a [`Request`] (a page and worker of
    /// different builds): nothing to answer it by.
    Unreadable { message: String },
}

/// What `window.splitbrain.checkHistory(text, format?, repeat?, initial?)`
/// resolves to: the linearizability verdict on a history file, checked in
/// the check worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryCheck {
    pub format: String,
    /// The model the history was checked against (`cas-register`, ...).
    pub model: String,
    pub ops: usize,
    pub verdict: String,
    pub steps: u64,
    /// Milliseconds to parse and to check, measured by the worker's clock.
    pub parse_ms: f64,
    pub check_ms: f64,
}

/// Runs one job; `clock` is in milliseconds (the worker's
/// `performance.now()`; anything natively).
pub fn answer(job: &Job, clock: &dyn Fn() -> f64) -> Answer {
    match job {
        Job::Check { ops, max_steps } => {
            let started = clock();
            let report = check::check(&history_of(ops), &options(*max_steps));
            Answer::Checked {
                report,
                took_ms: clock() - started,
            }
        }
        Job::Linearizable { ops, max_steps } => Answer::Linearizable {
            verdict: check::linearizability(&history_of(ops), &options(*max_steps)).verdict,
        },
        Job::Import {
            text,
            file,
            max_steps,
        } => match read(text, file) {
            Ok(history) => Answer::Imported(Imported {
                ops: imported_ops(&history),
                time_base: history.time_base,
                model: history.semantics.model,
                edn: check::to_edn(&history),
                report: check::check(&history, &options(*max_steps)),
            }),
            Err((input, message)) => Answer::Refused { input, message },
        },
        Job::Time { text, file, repeat } => match check_history(text, file, *repeat, clock) {
            Ok(timed) => Answer::Timed(timed),
            Err((input, message)) => Answer::Refused { input, message },
        },
    }
}

fn options(max_steps: u64) -> CheckOptions {
    CheckOptions {
        max_steps,
        ..CheckOptions::default()
    }
}

fn chosen(name: &Option<String>) -> Option<&str> {
    name.as_deref().filter(|n| !n.is_empty() && *n != "detect")
}

/// The command line's reader, with the dialog's choices.
fn parse_options(file: &FileOptions) -> Result<ParseOptions, (Input, String)> {
    let format = match chosen(&file.format) {
        None => None,
        Some(name) => Some(Format::from_name(name).ok_or_else(|| {
            (
                Input::Format,
                format!("unknown format `{name}`: jepsen-etcd or edn"),
            )
        })?),
    };
    let model = match chosen(&file.model) {
        None => None,
        Some(name) => Some(
            Model::from_name(name)
                .ok_or_else(|| (Input::Model, format!("unknown model `{name}`")))?,
        ),
    };
    let mut options = ParseOptions {
        format,
        model,
        ..ParseOptions::default()
    };
    if !file.initial.trim().is_empty() {
        options
            .set_initial(&file.initial)
            .map_err(|e| (Input::FirstValue, e))?;
    }
    Ok(options)
}

fn read(text: &str, file: &FileOptions) -> Result<History, (Input, String)> {
    let options = parse_options(file)?;
    check::parse_with(text, &options).map_err(|e| (Input::Text, e.to_string()))
}

/// Reads and checks `text` for linearizability as an import does (the
/// CLI's reader, every key, the CLI's default step budget), timing each
/// half with `clock` (milliseconds). The check runs `repeat` times (at
/// least once) and `check_ms` is the mean, so that a coarse clock can
/// still time a sub-millisecond check.
pub fn check_history(
    text: &str,
    file: &FileOptions,
    repeat: u32,
    clock: &dyn Fn() -> f64,
) -> Result<HistoryCheck, (Input, String)> {
    let options = parse_options(file)?;
    let t0 = clock();
    let history = check::parse_with(text, &options).map_err(|e| (Input::Text, e.to_string()))?;
    let t1 = clock();
    let repeat = repeat.max(1);
    let mut result = check::linearizability(&history, &CheckOptions::default());
    for _ in 1..repeat {
        result = check::linearizability(&history, &CheckOptions::default());
    }
    let t2 = clock();
    Ok(HistoryCheck {
        format: options
            .format
            .or_else(|| Format::detect(text))
            .map_or("?", |f| f.name())
            .to_owned(),
        model: history.semantics.model.name().to_owned(),
        ops: history.ops.len(),
        verdict: result.verdict.name().to_owned(),
        steps: result.steps,
        parse_ms: t1 - t0,
        check_ms: (t2 - t1) / f64::from(repeat),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD: &str = "{:process 0, :type :invoke, :f :write, :value 1}\n\
                       {:process 0, :type :ok, :f :write, :value 1}\n\
                       {:process 1, :type :invoke, :f :read, :value nil}\n\
                       {:process 1, :type :ok, :f :read, :value 2}\n";

    fn file(format: Option<&str>, initial: &str) -> FileOptions {
        FileOptions {
            format: format.map(str::to_owned),
            model: None,
            initial: initial.to_owned(),
        }
    }

    #[test]
    fn check_history_gives_the_verdict_or_the_line_of_the_error() {
        let r = check_history(BAD, &file(None, ""), 1, &|| 0.0).unwrap();
        assert_eq!(
            (
                r.verdict.as_str(),
                r.ops,
                r.format.as_str(),
                r.model.as_str()
            ),
            ("violated", 2, "edn", "register")
        );
        let good = BAD.replace(":value 2}", ":value 1}");
        assert_eq!(
            check_history(&good, &file(Some("edn"), ""), 3, &|| 0.0)
                .unwrap()
                .verdict,
            "holds"
        );
        let broken = "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0 :type";
        let (input, e) = check_history(broken, &file(None, ""), 1, &|| 0.0).unwrap_err();
        assert_eq!(input, Input::Text);
        assert!(e.starts_with("2:18: "), "{e}");
        let (input, _) = check_history(BAD, &file(Some("xml"), ""), 1, &|| 0.0).unwrap_err();
        assert_eq!(input, Input::Format);
        // A first value of 2 makes the read of 2 fine.
        let r = check_history(
            &BAD.replace(":value 1}", ":value 2}")
                .replace("write", "read"),
            &file(None, "2"),
            1,
            &|| 0.0,
        )
        .unwrap();
        assert_eq!(r.verdict, "holds");
        let (input, _) = check_history(BAD, &file(None, "{:x"), 1, &|| 0.0).unwrap_err();
        assert_eq!(input, Input::FirstValue);
    }

    #[test]
    fn jobs_and_answers_cross_as_json_unchanged() {
        let ops = vec![RunOp {
            client: 3,
            invoke: 10,
            op: Op::Get { key: "x".into() },
            end: Some((20, End::Ok(Some("1".into())))),
        }];
        let jobs = [
            Job::Check { ops, max_steps: 10 },
            Job::Import {
                text: BAD.to_owned(),
                file: file(Some("edn"), "1"),
                max_steps: 1_000,
            },
        ];
        for job in jobs {
            let request = Request { id: 7, job };
            let json = serde_json::to_string(&request).unwrap();
            assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
            let answer = FromWorker::Answer {
                id: 7,
                answer: Box::new(answer(&request.job, &|| 0.0)),
            };
            let json = serde_json::to_string(&answer).unwrap();
            assert_eq!(serde_json::from_str::<FromWorker>(&json).unwrap(), answer);
        }
    }

    #[test]
    fn a_file_job_is_refused_with_the_part_at_fault() {
        let job = Job::Import {
            text: "{:process 0 :type".to_owned(),
            file: FileOptions::default(),
            max_steps: 1_000,
        };
        match answer(&job, &|| 0.0) {
            Answer::Refused { input, message } => {
                assert_eq!(input, Input::Text);
                assert!(message.starts_with("1:"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let job = Job::Import {
            text: BAD.to_owned(),
            file: FileOptions::default(),
            max_steps: 1_000,
        };
        let Answer::Imported(imported) = answer(&job, &|| 0.0) else {
            panic!("a good file is imported");
        };
        assert_eq!(imported.ops.len(), 2);
        assert_eq!(imported.report.linearizable.verdict, Verdict::Violated);
        // The export reads back as the same history (but for the lines
        // its operations come from).
        let lines = |h: History| -> Vec<check::Operation> {
            h.ops
                .into_iter()
                .map(|o| check::Operation { source: 0, ..o })
                .collect()
        };
        assert_eq!(
            lines(check::parse(&imported.edn, None).unwrap()),
            lines(check::parse(BAD, None).unwrap())
        );
    }

    #[test]
    fn a_run_s_history_crosses_to_the_worker_unchanged() {
        // Busy runs of every kind of store under faults: timeouts, failed
        // requests, fresh processes for clients that gave up.
        use splitbrain_core::{build, RunOptions, Scenario, Time};
        let mut ends = std::collections::BTreeSet::new();
        for name in [
            "raft-workload.json",
            "cap-raft-partition.json",
            "cap-quorum-partition.json",
        ] {
            let text = crate::gallery::file(name).expect("a shipped scenario");
            let scenario: Scenario = serde_json::from_str(text).unwrap();
            let mut sim = build(&scenario, RunOptions::default()).unwrap();
            sim.run_until(Time(10_000_000), u64::MAX);
            let history = sim.history();
            assert!(history.len() > 20, "{name}: {} operations", history.len());
            let ops = run_ops(history);
            let json = serde_json::to_string(&ops).unwrap();
            let back: Vec<RunOp> = serde_json::from_str(&json).unwrap();
            assert_eq!(
                history_of(&back),
                History::from_client_ops(&history.to_vec()),
                "{name}"
            );
            ends.extend(back.iter().map(|o| match &o.end {
                None => "waiting",
                Some((_, End::Ok(_))) => "ok",
                Some((_, End::Fail)) => "fail",
                Some((_, End::Unknown)) => "unknown",
            }));
        }
        // Every way an operation can end crossed at least once.
        assert_eq!(
            ends.into_iter().collect::<Vec<_>>(),
            ["fail", "ok", "unknown", "waiting"]
        );
    }
}
