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
use super::{Expectation, Model, Progress};

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
    let properties = model.properties();
    let broken = |state: &M::State| {
        properties
            .iter()
            .find(|p| p.expectation == Expectation::Always && !(p.condition)(model, state))
            .map(|p| p.name)
    };
    let mut seen = Seen::new();
    let mut states = 0;
    let mut inits = Vec::new();
    model.init(&mut inits);
    let mut level: Vec<(Vec<M::Action>, M::State)> = Vec::new();
    for s in inits {
        let fp = fingerprint(&s);
        if seen.insert(fp) {
            states += 1;
            if let Some(name) = broken(&s) {
                return Directed {
                    states,
                    depth: 0,
                    violation: Some((name, Vec::new())),
                };
            }
            level.push((Vec::new(), s));
        }
    }
    let mut scratch = Vec::new();
    let mut depth = 0;
    while !level.is_empty() && depth < max_depth {
        let mut next: Vec<(i64, Vec<M::Action>, M::State)> = Vec::new();
        let mut violation = None;
        for (path, state) in &level {
            model.successors(state, &mut scratch, &mut |_, action, succ| {
                if violation.is_some() {
                    return;
                }
                let fp = fingerprint(&succ);
                if !seen.insert(fp) {
                    return;
                }
                states += 1;
                let mut p = path.clone();
                p.push(action);
                if let Some(name) = broken(&succ) {
                    violation = Some((name, p));
                    return;
                }
                next.push((score(&succ), p, succ));
            });
            if violation.is_some() {
                break;
            }
        }
        depth += 1;
        if violation.is_some() {
            return Directed {
                states,
                depth,
                violation,
            };
        }
        // Stable: equal scores keep the order found.
        next.sort_by_key(|(s, _, _)| core::cmp::Reverse(*s));
        next.truncate(width);
        level = next.into_iter().map(|(_, p, s)| (p, s)).collect();
        let p = Progress {
            unique_states: states,
            frontier: level.len(),
            depth,
            bytes: 0,
        };
        if !progress(&p) {
            break;
        }
    }
    Directed {
        states,
        depth,
        violation: None,
    }
}
