//! Directed search: breadth-first, but each level cut down to the `width`
//! states a score ranks highest (a beam search). It reaches depths a
//! complete search of the same bounds cannot, and so finds deep
//! counterexamples (Raft's Figure 8 is 33 steps), at the price of proving
//! nothing when it finds none: the states it cut were never looked at.
//!
//! The outcome is deterministic: states are scored and ranked in the order
//! they are found, ties kept in that order.

use alloc::vec::Vec;

use super::store::{fingerprint, Seen};
use super::{Expectation, Model, Progress, Property};

/// What a directed search found.
#[derive(Clone, Debug)]
pub struct Directed<A> {
    /// Distinct states seen (scored, kept or not).
    pub states: usize,
    /// The deepest level reached.
    pub depth: usize,
    /// The first `always` property broken, with the path to the state
    /// that breaks it.
    pub violation: Option<(&'static str, Vec<A>)>,
}

/// A directed search that runs a level at a time ([`Beam::level`]), so a
/// caller that must stay responsive (the browser's worker) can report
/// between levels.
pub struct Beam<M: Model> {
    properties: Vec<Property<M>>,
    width: usize,
    max_depth: usize,
    seen: Seen,
    /// The states kept at the current depth, with their paths.
    level: Vec<(Vec<M::Action>, M::State)>,
    scratch: Vec<M::Action>,
    found: Directed<M::Action>,
}

impl<M: Model> Beam<M> {
    /// A search keeping `width` states a level, to `max_depth` steps.
    pub fn new(model: &M, width: usize, max_depth: usize) -> Beam<M> {
        let mut beam = Beam {
            properties: model.properties(),
            width,
            max_depth,
            seen: Seen::new(),
            level: Vec::new(),
            scratch: Vec::new(),
            found: Directed {
                states: 0,
                depth: 0,
                violation: None,
            },
        };
        let mut inits = Vec::new();
        model.init(&mut inits);
        for s in inits {
            if beam.found.violation.is_some() || !beam.seen.insert(fingerprint(&s)) {
                continue;
            }
            beam.found.states += 1;
            match broken(model, &beam.properties, &s) {
                Some(name) => beam.found.violation = Some((name, Vec::new())),
                None => beam.level.push((Vec::new(), s)),
            }
        }
        beam
    }

    /// Whether the search is over: a violation found, the depth bound
    /// reached or nothing left to expand.
    pub fn is_done(&self) -> bool {
        self.found.violation.is_some()
            || self.level.is_empty()
            || self.found.depth >= self.max_depth
    }

    /// Expands the current level and keeps the best `width` states of the
    /// next by `score` (higher first); true when the search is over.
    pub fn level(&mut self, model: &M, score: &dyn Fn(&M::State) -> i64) -> bool {
        if self.is_done() {
            return true;
        }
        let mut next: Vec<(i64, Vec<M::Action>, M::State)> = Vec::new();
        let Beam {
            properties,
            seen,
            level,
            scratch,
            found,
            ..
        } = self;
        for (path, state) in level.iter() {
            model.successors(state, scratch, &mut |_, action, succ| {
                if found.violation.is_some() || !seen.insert(fingerprint(&succ)) {
                    return;
                }
                found.states += 1;
                let mut p = path.clone();
                p.push(action);
                match broken(model, properties, &succ) {
                    Some(name) => found.violation = Some((name, p)),
                    None => next.push((score(&succ), p, succ)),
                }
            });
            if found.violation.is_some() {
                break;
            }
        }
        found.depth += 1;
        // Stable: equal scores keep the order found.
        next.sort_by_key(|(s, _, _)| core::cmp::Reverse(*s));
        next.truncate(self.width);
        self.level = next.into_iter().map(|(_, p, s)| (p, s)).collect();
        self.is_done()
    }

    pub fn progress(&self) -> Progress {
        Progress {
            unique_states: self.found.states,
            frontier: self.level.len(),
            depth: self.found.depth,
            bytes: 0,
        }
    }

    pub fn found(&self) -> &Directed<M::Action> {
        &self.found
    }
}

/// The first `always` property `state` breaks.
fn broken<M: Model>(
    model: &M,
    properties: &[Property<M>],
    state: &M::State,
) -> Option<&'static str> {
    properties
        .iter()
        .find(|p| p.expectation == Expectation::Always && !(p.condition)(model, state))
        .map(|p| p.name)
}

/// Searches `model` level by level, keeping the `width` best states of
/// each level by `score` (higher first), to at most `max_depth` steps;
/// stops at the first broken `always` property. `progress` is called
/// after each level; returning `false` stops the search.
pub fn directed<M: Model>(
    model: &M,
    width: usize,
    max_depth: usize,
    score: &dyn Fn(&M::State) -> i64,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Directed<M::Action> {
    let mut beam = Beam::new(model, width, max_depth);
    while !beam.level(model, score) {
        if !progress(&beam.progress()) {
            break;
        }
    }
    beam.found
}
