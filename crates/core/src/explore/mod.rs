//! Exhaustive state-space exploration: "can this ever break?" answered by
//! visiting every reachable state within bounds, instead of sampling runs.
//!
//! A [`Model`] is a nondeterministic state machine: initial states, the
//! actions enabled in a state, and the state each action leads to. The
//! [`Explorer`] visits reachable states breadth-first (shortest
//! counterexample first) or depth-first (less memory), storing each unique
//! state once, optionally reduced to a canonical representative under a
//! symmetry. Each [`Property`] is checked in every state: an `always`
//! property must hold everywhere; a `sometimes` property must hold
//! somewhere (a sanity check that the search reaches what it should).
//! A violation comes back with the path that leads to it.

pub mod protocol;
pub mod swarm;
pub mod two_phase;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Debug;
use core::hash::{Hash, Hasher};

use crate::trace::StableHasher;

/// A nondeterministic system to explore.
pub trait Model {
    type State: Clone + Eq + Hash + Debug;
    type Action: Clone + Debug;

    fn init(&self, out: &mut Vec<Self::State>);
    fn actions(&self, state: &Self::State, out: &mut Vec<Self::Action>);
    /// The state `action` leads to, or `None` if it changes nothing.
    fn next(&self, state: &Self::State, action: &Self::Action) -> Option<Self::State>;
    fn properties(&self) -> Vec<Property<Self>>;
    /// The representative of `state`'s symmetry class. Only called when the
    /// explorer is asked to reduce by symmetry.
    fn canonical(&self, state: &Self::State) -> Self::State {
        state.clone()
    }
    fn describe(&self, action: &Self::Action) -> String;

    /// Calls `f` with each action enabled in `state` and the state it leads
    /// to. The default asks [`Model::actions`] then [`Model::next`], using
    /// `scratch` so that nothing is allocated per state; a model may
    /// generate its successors directly instead.
    fn successors(
        &self,
        state: &Self::State,
        scratch: &mut Vec<Self::Action>,
        f: &mut dyn FnMut(Self::Action, Self::State),
    ) {
        scratch.clear();
        self.actions(state, scratch);
        for action in scratch.drain(..) {
            if let Some(next) = self.next(state, &action) {
                f(action, next);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Must hold in every reachable state.
    Always,
    /// Must hold in at least one reachable state.
    Sometimes,
}

pub struct Property<M: Model + ?Sized> {
    pub name: &'static str,
    pub expectation: Expectation,
    pub condition: fn(&M, &M::State) -> bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    BreadthFirst,
    DepthFirst,
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub strategy: Strategy,
    pub symmetry: bool,
    /// Stop expanding below this many steps from an initial state.
    pub max_depth: Option<usize>,
    /// Stop after storing this many unique states.
    pub max_states: Option<usize>,
    /// Stop at the first violated `always` property (breadth-first, that
    /// is a shortest counterexample) instead of checking the rest.
    pub stop_at_violation: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strategy: Strategy::BreadthFirst,
            symmetry: false,
            max_depth: None,
            max_states: None,
            stop_at_violation: false,
        }
    }
}

/// What the search found out about one property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<A> {
    /// Held in every state visited (`always`), or was reached
    /// (`sometimes`, with the path to a state where it holds).
    Holds { example: Option<Vec<A>> },
    /// An `always` property failed, with the path to the failing state.
    Violated { path: Vec<A> },
    /// A `sometimes` property was never reached.
    NeverReached,
}

#[derive(Clone, Debug)]
pub struct Report<A> {
    pub unique_states: usize,
    /// Deepest level reached.
    pub depth: usize,
    /// False when a bound cut the search short: "holds" then means "holds
    /// in the states visited".
    pub complete: bool,
    pub verdicts: Vec<(&'static str, Expectation, Verdict<A>)>,
    /// Bytes held per stored state (states, parent links, hash table).
    pub bytes_per_state: usize,
}

/// Stored states with a parent link each, so a path can be rebuilt.
///
/// The hash table holds 4-byte indices into `states` rather than the states
/// themselves: measured on the two-phase model, the denser table beats
/// storing packed states inline (fewer cache misses per probe, and about
/// half the bytes per state).
struct Visited<S, A> {
    /// In insertion order: for breadth-first search this is also the queue.
    states: Vec<S>,
    parents: Vec<(u32, Option<A>)>,
    /// Open addressing (linear probing) over `states`: `u32::MAX` is empty.
    slots: Vec<u32>,
}

fn hash_of<S: Hash>(s: &S) -> u64 {
    let mut h = StableHasher::new();
    s.hash(&mut h);
    h.finish()
}

impl<S: Clone + Eq + Hash, A: Clone> Visited<S, A> {
    fn new() -> Self {
        Visited {
            states: Vec::new(),
            parents: Vec::new(),
            slots: vec![u32::MAX; 1024],
        }
    }

    fn grow(&mut self) {
        let mut slots = vec![u32::MAX; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for (i, s) in self.states.iter().enumerate() {
            let mut at = hash_of(s) as usize & mask;
            while slots[at] != u32::MAX {
                at = (at + 1) & mask;
            }
            slots[at] = i as u32;
        }
        self.slots = slots;
    }

    /// Stores `state` unless already present; returns its index if new.
    fn insert(&mut self, state: S, parent: u32, via: Option<A>) -> Option<u32> {
        // Grow at a load of 1/2: linear probing stays short.
        if (self.states.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = hash_of(&state) as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == u32::MAX {
                let index = self.states.len() as u32;
                self.slots[at] = index;
                self.states.push(state);
                self.parents.push((parent, via));
                return Some(index);
            }
            if self.states[slot as usize] == state {
                return None;
            }
            at = (at + 1) & mask;
        }
    }

    fn path(&self, mut index: u32) -> Vec<A> {
        let mut path = Vec::new();
        loop {
            let (parent, via) = &self.parents[index as usize];
            match via {
                Some(a) => path.push(a.clone()),
                None => break,
            }
            index = *parent;
        }
        path.reverse();
        path
    }

    /// Bytes held per stored state: the state, its parent link, and its
    /// share of the hash table.
    fn bytes_per_state(&self) -> usize {
        core::mem::size_of::<S>()
            + core::mem::size_of::<(u32, Option<A>)>()
            + 4 * self.slots.len() / self.states.len().max(1)
    }
}

/// How far a search has got, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub unique_states: usize,
    /// States stored but not yet expanded.
    pub frontier: usize,
    /// The depth being expanded.
    pub depth: usize,
}

/// How often (in states expanded) [`explore_with`] reports progress.
pub const PROGRESS_EVERY: usize = 1 << 14;

/// Explores `model` within `options`' bounds.
pub fn explore<M: Model>(model: &M, options: Options) -> Report<M::Action> {
    explore_with(model, options, &mut |_| true)
}

/// Explores like [`explore`], calling `progress` every [`PROGRESS_EVERY`]
/// states expanded; when it returns `false` the search stops (and the report
/// says it is incomplete).
pub fn explore_with<M: Model>(
    model: &M,
    options: Options,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Report<M::Action> {
    let mut search = Search::new(model, options);
    while !search.run(model, PROGRESS_EVERY) {
        if !progress(&search.progress()) {
            search.stop();
            break;
        }
    }
    search.report()
}

/// A search that can be run a slice at a time: [`Search::run`] expands a
/// bounded number of states and returns, so a caller that must stay
/// responsive (the browser's explorer worker) can report progress or give
/// up between slices. Running it in slices of any size visits the same
/// states in the same order as one call to [`explore`].
pub struct Search<M: Model> {
    options: Options,
    properties: Vec<Property<M>>,
    verdicts: Vec<Option<Verdict<M::Action>>>,
    visited: Visited<M::State, M::Action>,
    /// Depth-first only: the states still to expand, with their depth.
    /// Breadth-first expands `visited.states` in insertion order instead.
    stack: Vec<(u32, u32)>,
    /// Breadth-first: the next state to expand, where the level being
    /// expanded ends, and that level.
    cursor: usize,
    level_end: usize,
    level: usize,
    /// The depth of the state expanded last.
    depth: usize,
    complete: bool,
    max_depth: usize,
    scratch: Vec<M::Action>,
    done: bool,
}

impl<M: Model> Search<M> {
    /// A search of `model` that has stored its initial states.
    pub fn new(model: &M, options: Options) -> Self {
        let mut search = Search {
            options,
            properties: model.properties(),
            verdicts: Vec::new(),
            visited: Visited::new(),
            stack: Vec::new(),
            cursor: 0,
            level_end: 0,
            level: 0,
            depth: 0,
            complete: true,
            max_depth: 0,
            scratch: Vec::new(),
            done: false,
        };
        search.verdicts = vec![None; search.properties.len()];
        let mut inits = Vec::new();
        model.init(&mut inits);
        for s in inits {
            let s = search.canon(model, s);
            if let Some(i) = search.visited.insert(s, u32::MAX, None) {
                search.stack.push((i, 0));
            }
        }
        if options.strategy == Strategy::BreadthFirst {
            search.stack.clear();
        }
        search.level_end = search.visited.states.len();
        search
    }

    fn canon(&self, model: &M, s: M::State) -> M::State {
        if self.options.symmetry {
            model.canonical(&s)
        } else {
            s
        }
    }

    /// True once the search is over: everything within the bounds is
    /// visited, a bound or a violation stopped it, or [`Search::stop`].
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Gives up: the report will say the search is incomplete.
    pub fn stop(&mut self) {
        if !self.done {
            self.done = true;
            self.complete = false;
        }
    }

    pub fn progress(&self) -> Progress {
        let frontier = match self.options.strategy {
            Strategy::BreadthFirst => self.visited.states.len() - self.cursor,
            Strategy::DepthFirst => self.stack.len(),
        };
        Progress {
            unique_states: self.visited.states.len(),
            frontier,
            depth: self.depth,
        }
    }

    /// Expands at most `budget` states; returns [`Search::is_done`].
    pub fn run(&mut self, model: &M, budget: usize) -> bool {
        let options = self.options;
        for _ in 0..budget {
            if self.done {
                break;
            }
            let (index, depth) = match options.strategy {
                Strategy::BreadthFirst => {
                    if self.cursor == self.visited.states.len() {
                        self.done = true;
                        break;
                    }
                    if self.cursor == self.level_end {
                        self.level += 1;
                        self.level_end = self.visited.states.len();
                    }
                    self.cursor += 1;
                    ((self.cursor - 1) as u32, self.level)
                }
                Strategy::DepthFirst => match self.stack.pop() {
                    Some((i, d)) => (i, d as usize),
                    None => {
                        self.done = true;
                        break;
                    }
                },
            };
            self.depth = depth;
            let state = self.visited.states[index as usize].clone();
            self.max_depth = self.max_depth.max(depth);
            let mut stop = false;
            for (p, verdict) in self.properties.iter().zip(self.verdicts.iter_mut()) {
                if verdict.is_some() {
                    continue;
                }
                let holds = (p.condition)(model, &state);
                match (p.expectation, holds) {
                    (Expectation::Always, false) => {
                        *verdict = Some(Verdict::Violated {
                            path: self.visited.path(index),
                        });
                        stop = options.stop_at_violation;
                    }
                    (Expectation::Sometimes, true) => {
                        *verdict = Some(Verdict::Holds {
                            example: Some(self.visited.path(index)),
                        })
                    }
                    _ => {}
                }
            }
            if stop {
                self.stop();
                break;
            }
            if options.max_depth.is_some_and(|d| depth >= d) {
                self.complete = false;
                continue;
            }
            let mut full = false;
            let visited = &mut self.visited;
            let stack = &mut self.stack;
            model.successors(&state, &mut self.scratch, &mut |action, next| {
                if full {
                    return;
                }
                if options
                    .max_states
                    .is_some_and(|m| visited.states.len() >= m)
                {
                    full = true;
                    return;
                }
                let next = if options.symmetry {
                    model.canonical(&next)
                } else {
                    next
                };
                if let Some(i) = visited.insert(next, index, Some(action)) {
                    if options.strategy == Strategy::DepthFirst {
                        stack.push((i, depth as u32 + 1));
                    }
                }
            });
            if full {
                self.complete = false;
            }
        }
        self.done
    }

    /// What the search found, so far if it is not done (then `complete`
    /// is false).
    pub fn report(&self) -> Report<M::Action> {
        let bytes_per_state = self.visited.bytes_per_state()
            + if self.options.strategy == Strategy::DepthFirst {
                8
            } else {
                0
            };
        Report {
            unique_states: self.visited.states.len(),
            depth: self.max_depth,
            complete: self.complete && self.done,
            verdicts: self
                .properties
                .iter()
                .zip(&self.verdicts)
                .map(|(p, v)| {
                    let v = v.clone().unwrap_or(match p.expectation {
                        Expectation::Always => Verdict::Holds { example: None },
                        Expectation::Sometimes => Verdict::NeverReached,
                    });
                    (p.name, p.expectation, v)
                })
                .collect(),
            bytes_per_state,
        }
    }
}
