//! Consistency checking: verdicts on a history of client operations, from a
//! simulated run or from a file recorded against a real system.
//!
//! ```
//! use splitbrain_core::check::{self, CheckOptions, Verdict};
//!
//! // Two clients of one register, in Jepsen's EDN: p1 reads 2 after p0's
//! // write of 1 returned, though nobody wrote 2.
//! let text = "\
//! {:process 0, :type :invoke, :f :write, :value 1}
//! {:process 0, :type :ok, :f :write, :value 1}
//! {:process 1, :type :invoke, :f :read, :value nil}
//! {:process 1, :type :ok, :f :read, :value 2}
//! ";
//! let history = check::parse(text, None).unwrap();
//! let report = check::check(&history, &CheckOptions::default());
//! assert_eq!(report.linearizable.verdict, Verdict::Violated);
//! let why = report.linearizable.explanations().next().unwrap();
//! assert_eq!(why.stuck, 1); // the read cannot be placed
//! ```
//!
//! The pieces:
//! - `history`: the [`History`] model, also built from a run's
//!   [`crate::sim::ClientOp`]s.
//! - `parse`: Jepsen's etcd logs and EDN histories in, EDN out.
//! - `linear`: linearizability, per key.
//! - `sequential`: sequential consistency.
//! - `session`: read-your-writes, monotonic reads and convergence, for
//!   systems that promise less than linearizability.
//!
//! Everything here is `no_std` and deterministic; searches are bounded by a
//! step budget, not a clock, and say `Unknown` when it runs out.

pub mod edn;
mod history;
mod linear;
mod model;
mod parse;
mod sequential;
mod session;
mod table;
#[cfg(test)]
mod testkit;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

pub use history::{
    Call, FailReading, History, MicroOp, Model, NilRead, Operation, Outcome, Semantics, TimeBase,
    Value,
};
pub use linear::{Explanation, KeyVerdict, Linearizability};
pub use parse::{parse, parse_with, to_edn, Format, ParseError, ParseOptions};

/// A property's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Holds,
    Violated,
    /// The step budget ran out, or the history has nothing to judge by.
    Unknown,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Unknown => "unknown",
        }
    }
}

/// How much of a history to decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every key: a verdict and an explanation or order for each, and
    /// sequential consistency searched across keys too.
    EveryKey,
    /// The cheapest verdicts: linearizability until a key is found not
    /// linearizable (that key's explanation; keys not decided say
    /// `Unknown`), sequential consistency key by key with a tenth of the
    /// budget.
    FirstViolation,
}

/// Bounds on the searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// The most search steps (configurations visited) per property before
    /// its verdict becomes `Unknown`. Natively a million steps take well
    /// under a second.
    pub max_steps: u64,
    pub scope: Scope,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_steps: 5_000_000,
            scope: Scope::EveryKey,
        }
    }
}

/// The verdict on one property other than linearizability, with the
/// operations (indices into `History::ops`) that break it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyVerdict {
    pub verdict: Verdict,
    pub offending: Vec<usize>,
    /// One line for people: why it holds, fails or is unknown.
    pub detail: String,
}

impl PropertyVerdict {
    fn new(verdict: Verdict, offending: Vec<usize>, detail: impl Into<String>) -> PropertyVerdict {
        PropertyVerdict {
            verdict,
            offending,
            detail: detail.into(),
        }
    }
}

/// Every verdict on one history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub linearizable: Linearizability,
    pub sequential: PropertyVerdict,
    pub read_your_writes: PropertyVerdict,
    pub monotonic_reads: PropertyVerdict,
    pub convergence: PropertyVerdict,
}

/// What a history view needs to know about one operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpMark {
    /// Its position in its key's linearization, when the key is
    /// linearizable and the operation took effect.
    pub order: Option<u32>,
    /// In the longest linearizable prefix found, on a key that is not.
    pub in_prefix: bool,
    /// The operation that cannot be placed after that prefix.
    pub stuck: bool,
    /// Concurrent with the stuck operation, and no order of them helps.
    pub candidate: bool,
    /// Named by sequential consistency, read-your-writes, monotonic reads or
    /// convergence as breaking it (bit 0, 1, 2, 3 respectively).
    pub flagged: u8,
}

impl Report {
    /// One [`OpMark`] per operation of the history, for badges and hover.
    pub fn marks(&self, history: &History) -> Vec<OpMark> {
        self.marks_of(history.ops.len())
    }

    /// [`Report::marks`] for a history of `ops` operations, for a caller
    /// that keeps the report but not the history it is about.
    pub fn marks_of(&self, ops: usize) -> Vec<OpMark> {
        let mut marks = vec![OpMark::default(); ops];
        for key in &self.linearizable.keys {
            for (i, op) in key.order.iter().enumerate() {
                marks[*op].order = Some(i as u32);
            }
            if let Some(e) = &key.explanation {
                for op in &e.prefix {
                    marks[*op].in_prefix = true;
                }
                for op in &e.candidates {
                    marks[*op].candidate = true;
                }
                marks[e.stuck].stuck = true;
            }
        }
        let others = [
            &self.sequential,
            &self.read_your_writes,
            &self.monotonic_reads,
            &self.convergence,
        ];
        for (bit, property) in others.iter().enumerate() {
            for op in &property.offending {
                marks[*op].flagged |= 1 << bit;
            }
        }
        marks
    }
}

/// Linearizability alone: the cheapest verdict, what `splitbrain run` and
/// a live view show.
pub fn linearizability(history: &History, options: &CheckOptions) -> Linearizability {
    linear::check(history, options)
}

/// Every property. Sequential consistency follows from linearizability, so
/// its own search runs only when linearizability is violated or unknown.
pub fn check(history: &History, options: &CheckOptions) -> Report {
    let linearizable = linear::check(history, options);
    check_after(history, options, linearizable)
}

/// Every property, given the linearizability verdict already found (by
/// [`linearizability`] with the same options): for callers that show that
/// verdict before the rest is worked out.
pub fn check_after(
    history: &History,
    options: &CheckOptions,
    linearizable: Linearizability,
) -> Report {
    let sequential = match linearizable.verdict {
        Verdict::Holds => {
            PropertyVerdict::new(Verdict::Holds, Vec::new(), "follows from linearizability")
        }
        _ => sequential::check(history, options, Some(&linearizable)),
    };
    if !history.semantics.model.has_values() {
        let none = || {
            PropertyVerdict::new(
                Verdict::Unknown,
                Vec::new(),
                alloc::format!(
                    "not defined for the {} model",
                    history.semantics.model.name()
                ),
            )
        };
        return Report {
            linearizable,
            sequential,
            read_your_writes: none(),
            monotonic_reads: none(),
            convergence: none(),
        };
    }
    Report {
        linearizable,
        sequential,
        read_your_writes: session::read_your_writes(history),
        monotonic_reads: session::monotonic_reads(history),
        convergence: session::convergence(history),
    }
}
