//! The two-phase commit specification of Gray and Lamport ("Consensus on
//! Transaction Commit", 2006; the TLA+ module `TwoPhase`), as a model to
//! explore: resource managers (RMs) and one transaction manager (TM)
//! exchanging messages through a set that only grows, so any message may be
//! received any number of times, in any order.
//!
//! - RM states: working, prepared, committed, aborted. TM states: init,
//!   committed, aborted. The TM records which RMs it knows are prepared.
//! - Actions: `TMRcvPrepared(rm)`, `TMCommit` (all prepared), `TMAbort`,
//!   `RMPrepare(rm)`, `RMChooseToAbort(rm)`, `RMRcvCommitMsg(rm)`,
//!   `RMRcvAbortMsg(rm)`.
//! - Invariant `TCConsistent`: no RM has committed while another aborted.
//!
//! A state packs into one `u64` (4 bits per RM and 4 more), so storing and
//! comparing states costs nothing. With 3 RMs there are 288 reachable
//! states, the count TLC reports for this spec.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Expectation, Model, Property};

const WORKING: u64 = 0;
const PREPARED: u64 = 1;
const COMMITTED: u64 = 2;
const ABORTED: u64 = 3;

/// The largest number of RMs a `u64` state holds (4 bits each, plus 4).
pub const MAX_RMS: usize = 15;

/// The TwoPhase spec with `rms` resource managers.
#[derive(Clone, Copy, Debug)]
pub struct TwoPhaseSpec {
    pub rms: usize,
}

/// Bit layout, low to high: 2 bits of state per RM; 2 bits of TM state;
/// then the TM's prepared set; then the Prepared messages sent; then the
/// Commit and Abort messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State(pub u64);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    TmRcvPrepared(u8),
    TmCommit,
    TmAbort,
    RmPrepare(u8),
    RmChooseToAbort(u8),
    RmRcvCommitMsg(u8),
    RmRcvAbortMsg(u8),
}

impl TwoPhaseSpec {
    pub fn new(rms: usize) -> TwoPhaseSpec {
        assert!((1..=MAX_RMS).contains(&rms), "1 to {MAX_RMS} RMs");
        TwoPhaseSpec { rms }
    }

    fn tm_shift(&self) -> u32 {
        2 * self.rms as u32
    }
    fn tm_prepared_shift(&self) -> u32 {
        self.tm_shift() + 2
    }
    fn msg_prepared_shift(&self) -> u32 {
        self.tm_prepared_shift() + self.rms as u32
    }
    fn commit_bit(&self) -> u64 {
        1 << (self.msg_prepared_shift() + self.rms as u32)
    }
    fn abort_bit(&self) -> u64 {
        self.commit_bit() << 1
    }

    pub fn rm(&self, s: State, rm: usize) -> u64 {
        (s.0 >> (2 * rm)) & 3
    }
    fn set_rm(&self, s: State, rm: usize, v: u64) -> State {
        State((s.0 & !(3 << (2 * rm))) | (v << (2 * rm)))
    }
    pub fn tm(&self, s: State) -> u64 {
        (s.0 >> self.tm_shift()) & 3
    }
    fn set_tm(&self, s: State, v: u64) -> State {
        State((s.0 & !(3 << self.tm_shift())) | (v << self.tm_shift()))
    }
    fn tm_prepared(&self, s: State, rm: usize) -> bool {
        s.0 & (1 << (self.tm_prepared_shift() + rm as u32)) != 0
    }
    fn all_tm_prepared(&self, s: State) -> bool {
        let mask = ((1u64 << self.rms) - 1) << self.tm_prepared_shift();
        s.0 & mask == mask
    }
    fn msg_prepared(&self, s: State, rm: usize) -> bool {
        s.0 & (1 << (self.msg_prepared_shift() + rm as u32)) != 0
    }
    fn with(&self, s: State, bit: u64) -> State {
        State(s.0 | bit)
    }

    /// The RM's four bits (state, TM knows prepared, Prepared sent) as one
    /// number, for sorting under symmetry.
    fn column(&self, s: State, rm: usize) -> u64 {
        self.rm(s, rm)
            | (self.tm_prepared(s, rm) as u64) << 2
            | (self.msg_prepared(s, rm) as u64) << 3
    }
}

impl Model for TwoPhaseSpec {
    type State = State;
    type Action = Action;

    fn init(&self, out: &mut Vec<State>) {
        out.push(State(0));
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        let s = *s;
        let tm_init = self.tm(s) == 0;
        if tm_init {
            for rm in 0..self.rms {
                if self.msg_prepared(s, rm) && !self.tm_prepared(s, rm) {
                    out.push(Action::TmRcvPrepared(rm as u8));
                }
            }
            if self.all_tm_prepared(s) {
                out.push(Action::TmCommit);
            }
            out.push(Action::TmAbort);
        }
        let commit = s.0 & self.commit_bit() != 0;
        let abort = s.0 & self.abort_bit() != 0;
        for rm in 0..self.rms {
            let r = rm as u8;
            if self.rm(s, rm) == WORKING {
                out.push(Action::RmPrepare(r));
                out.push(Action::RmChooseToAbort(r));
            }
            if commit && self.rm(s, rm) != COMMITTED {
                out.push(Action::RmRcvCommitMsg(r));
            }
            if abort && self.rm(s, rm) != ABORTED {
                out.push(Action::RmRcvAbortMsg(r));
            }
        }
    }

    fn next(&self, s: &State, action: &Action) -> Option<State> {
        let s = *s;
        Some(match *action {
            Action::TmRcvPrepared(rm) => {
                self.with(s, 1 << (self.tm_prepared_shift() + u32::from(rm)))
            }
            Action::TmCommit => self.with(self.set_tm(s, 1), self.commit_bit()),
            Action::TmAbort => self.with(self.set_tm(s, 2), self.abort_bit()),
            Action::RmPrepare(rm) => {
                let s = self.set_rm(s, rm.into(), PREPARED);
                self.with(s, 1 << (self.msg_prepared_shift() + u32::from(rm)))
            }
            Action::RmChooseToAbort(rm) => self.set_rm(s, rm.into(), ABORTED),
            Action::RmRcvCommitMsg(rm) => self.set_rm(s, rm.into(), COMMITTED),
            Action::RmRcvAbortMsg(rm) => self.set_rm(s, rm.into(), ABORTED),
        })
    }

    /// The same transitions as `actions` + `next`, computed in one pass
    /// over the packed state: this is the explorer's inner loop. Every
    /// action listed leads somewhere, so an action's position is the
    /// number of successors before it.
    fn successors(
        &self,
        s: &State,
        _scratch: &mut Vec<Action>,
        f: &mut dyn FnMut(u32, Action, State),
    ) {
        let s = *s;
        let mut position = 0;
        let mut emit = |action, next| {
            f(position, action, next);
            position += 1;
        };
        if self.tm(s) == 0 {
            let tm_prepared = self.tm_prepared_shift();
            let msg_prepared = self.msg_prepared_shift();
            for rm in 0..self.rms as u32 {
                if s.0 & (1 << (msg_prepared + rm)) != 0 && s.0 & (1 << (tm_prepared + rm)) == 0 {
                    emit(
                        Action::TmRcvPrepared(rm as u8),
                        State(s.0 | 1 << (tm_prepared + rm)),
                    );
                }
            }
            if self.all_tm_prepared(s) {
                emit(
                    Action::TmCommit,
                    self.with(self.set_tm(s, 1), self.commit_bit()),
                );
            }
            emit(
                Action::TmAbort,
                self.with(self.set_tm(s, 2), self.abort_bit()),
            );
        }
        let commit = s.0 & self.commit_bit() != 0;
        let abort = s.0 & self.abort_bit() != 0;
        for rm in 0..self.rms {
            let r = rm as u8;
            let state = self.rm(s, rm);
            if state == WORKING {
                let prepared = self.set_rm(s, rm, PREPARED);
                emit(
                    Action::RmPrepare(r),
                    self.with(prepared, 1 << (self.msg_prepared_shift() + rm as u32)),
                );
                emit(Action::RmChooseToAbort(r), self.set_rm(s, rm, ABORTED));
            }
            if commit && state != COMMITTED {
                emit(Action::RmRcvCommitMsg(r), self.set_rm(s, rm, COMMITTED));
            }
            if abort && state != ABORTED {
                emit(Action::RmRcvAbortMsg(r), self.set_rm(s, rm, ABORTED));
            }
        }
    }

    fn properties(&self) -> Vec<Property<Self>> {
        alloc::vec![
            Property {
                name: "consistent (no RM commits while another aborts)",
                expectation: Expectation::Always,
                condition: |m, s| {
                    let any = |v| (0..m.rms).any(|rm| m.rm(*s, rm) == v);
                    !(any(COMMITTED) && any(ABORTED))
                },
            },
            Property {
                name: "can commit (every RM committed is reachable)",
                expectation: Expectation::Sometimes,
                condition: |m, s| (0..m.rms).all(|rm| m.rm(*s, rm) == COMMITTED),
            },
            Property {
                name: "can abort (every RM aborted is reachable)",
                expectation: Expectation::Sometimes,
                condition: |m, s| (0..m.rms).all(|rm| m.rm(*s, rm) == ABORTED),
            },
        ]
    }

    /// RMs are interchangeable: sort their columns so that every
    /// permutation of a state maps to the same representative.
    fn canonical(&self, s: &State) -> State {
        // A fixed array, not a Vec: this runs once per successor.
        let mut buffer = [0u8; MAX_RMS];
        let columns = &mut buffer[..self.rms];
        for (rm, c) in columns.iter_mut().enumerate() {
            *c = self.column(*s, rm) as u8;
        }
        columns.sort_unstable();
        let keep = s.0 & ((3 << self.tm_shift()) | self.commit_bit() | self.abort_bit());
        let mut out = State(keep);
        for (rm, &c) in columns.iter().enumerate() {
            let c = u64::from(c);
            out = self.set_rm(out, rm, c & 3);
            if c & 4 != 0 {
                out = self.with(out, 1 << (self.tm_prepared_shift() + rm as u32));
            }
            if c & 8 != 0 {
                out = self.with(out, 1 << (self.msg_prepared_shift() + rm as u32));
            }
        }
        out
    }

    fn describe(&self, action: &Action) -> String {
        match action {
            Action::TmRcvPrepared(rm) => format!("TMRcvPrepared(rm{rm})"),
            Action::TmCommit => String::from("TMCommit"),
            Action::TmAbort => String::from("TMAbort"),
            Action::RmPrepare(rm) => format!("RMPrepare(rm{rm})"),
            Action::RmChooseToAbort(rm) => format!("RMChooseToAbort(rm{rm})"),
            Action::RmRcvCommitMsg(rm) => format!("RMRcvCommitMsg(rm{rm})"),
            Action::RmRcvAbortMsg(rm) => format!("RMRcvAbortMsg(rm{rm})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::{explore, Options, Strategy, Verdict};

    /// TLC reports 288 distinct states for TwoPhase with 3 RMs.
    #[test]
    fn three_rms_have_288_states() {
        let report = explore(&TwoPhaseSpec::new(3), Options::default());
        assert_eq!(report.unique_states, 288);
        assert!(report.complete);
        for (name, _, verdict) in &report.verdicts {
            assert!(
                matches!(verdict, Verdict::Holds { .. }),
                "{name}: {verdict:?}"
            );
        }
    }

    /// The hand-written successor loop agrees with `actions` + `next`, in
    /// every reachable state of 4 RMs (same actions, same order, same
    /// states).
    #[test]
    fn successors_agree_with_actions_and_next() {
        let spec = TwoPhaseSpec::new(4);
        let mut seen = alloc::collections::BTreeSet::new();
        let mut todo = alloc::vec![State(0)];
        while let Some(s) = todo.pop() {
            if !seen.insert(s.0) {
                continue;
            }
            let mut actions = Vec::new();
            spec.actions(&s, &mut actions);
            let slow: Vec<(u32, Action, State)> = actions
                .iter()
                .enumerate()
                .map(|(i, a)| (i as u32, *a, spec.next(&s, a).unwrap()))
                .collect();
            let mut fast = Vec::new();
            spec.successors(&s, &mut Vec::new(), &mut |i, a, n| fast.push((i, a, n)));
            assert_eq!(fast, slow, "in {s:?}");
            todo.extend(fast.into_iter().map(|(_, _, n)| n));
        }
        assert_eq!(seen.len(), explore(&spec, Options::default()).unique_states);
    }

    /// Depth-first visits the same states.
    #[test]
    fn dfs_agrees_with_bfs() {
        let dfs = Options {
            strategy: Strategy::DepthFirst,
            ..Options::default()
        };
        assert_eq!(explore(&TwoPhaseSpec::new(4), dfs).unique_states, {
            explore(&TwoPhaseSpec::new(4), Options::default()).unique_states
        });
    }

    /// Symmetry visits fewer states and reaches the same verdicts.
    #[test]
    fn symmetry_reduces_and_agrees() {
        let plain = explore(&TwoPhaseSpec::new(5), Options::default());
        let sym = explore(
            &TwoPhaseSpec::new(5),
            Options {
                symmetry: true,
                ..Options::default()
            },
        );
        assert!(sym.unique_states < plain.unique_states / 10);
        let kinds = |r: &crate::explore::Report<Action>| {
            r.verdicts
                .iter()
                .map(|(n, _, v)| (*n, matches!(v, Verdict::Holds { .. })))
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(&sym), kinds(&plain));
    }

    /// The explorer can fail: a TM that may commit without every RM
    /// prepared breaks consistency, and BFS returns a shortest path.
    #[test]
    fn finds_shortest_counterexample_in_a_broken_spec() {
        struct Broken(TwoPhaseSpec);
        impl Model for Broken {
            type State = State;
            type Action = Action;
            fn init(&self, out: &mut Vec<State>) {
                self.0.init(out)
            }
            fn actions(&self, s: &State, out: &mut Vec<Action>) {
                self.0.actions(s, out);
                if self.0.tm(*s) == 0 && !out.contains(&Action::TmCommit) {
                    out.push(Action::TmCommit); // the bug: no "all prepared" check
                }
            }
            fn next(&self, s: &State, a: &Action) -> Option<State> {
                self.0.next(s, a)
            }
            fn properties(&self) -> Vec<Property<Self>> {
                alloc::vec![Property {
                    name: "consistent",
                    expectation: Expectation::Always,
                    condition: |m, s| {
                        let any = |v| (0..m.0.rms).any(|rm| m.0.rm(*s, rm) == v);
                        !(any(COMMITTED) && any(ABORTED))
                    },
                }]
            }
            fn describe(&self, a: &Action) -> String {
                self.0.describe(a)
            }
        }
        let report = explore(&Broken(TwoPhaseSpec::new(2)), Options::default());
        let Verdict::Violated { path } = &report.verdicts[0].2 else {
            panic!("expected a violation: {:?}", report.verdicts);
        };
        // RMChooseToAbort(rm0), TMCommit, RMRcvCommitMsg(rm1): three steps.
        assert_eq!(path.len(), 3, "{path:?}");
    }
}
