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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strategy: Strategy::BreadthFirst,
            symmetry: false,
            max_depth: None,
            max_states: None,
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
struct Visited<S, A> {
    states: Vec<S>,
    parents: Vec<(u32, Option<A>)>,
    depth: Vec<u32>,
    /// Open addressing over `states`: `u32::MAX` is empty.
    slots: Vec<u32>,
}

fn hash_of<S: Hash>(s: &S) -> u64 {
    let mut h = StableHasher::new();
    s.hash(&mut h);
    h.finish()
}

impl<S: Eq + Hash, A: Clone> Visited<S, A> {
    fn new() -> Self {
        Visited {
            states: Vec::new(),
            parents: Vec::new(),
            depth: Vec::new(),
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
    fn insert(&mut self, state: S, parent: u32, via: Option<A>, depth: u32) -> Option<u32> {
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
                self.depth.push(depth);
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
}

/// Explores `model` within `options`' bounds.
pub fn explore<M: Model>(model: &M, options: Options) -> Report<M::Action> {
    let properties = model.properties();
    let mut verdicts: Vec<Option<Verdict<M::Action>>> = vec![None; properties.len()];
    let mut visited: Visited<M::State, M::Action> = Visited::new();
    let mut pending: Vec<u32> = Vec::new();
    let canon = |s: M::State| {
        if options.symmetry {
            model.canonical(&s)
        } else {
            s
        }
    };

    let mut inits = Vec::new();
    model.init(&mut inits);
    for s in inits {
        if let Some(i) = visited.insert(canon(s), u32::MAX, None, 0) {
            pending.push(i);
        }
    }
    let mut cursor = 0usize;
    let mut complete = true;
    let mut max_depth = 0usize;
    let mut actions = Vec::new();
    loop {
        let index = match options.strategy {
            Strategy::BreadthFirst => {
                if cursor == pending.len() {
                    break;
                }
                cursor += 1;
                pending[cursor - 1]
            }
            Strategy::DepthFirst => match pending.pop() {
                Some(i) => i,
                None => break,
            },
        };
        let state = visited.states[index as usize].clone();
        let depth = visited.depth[index as usize] as usize;
        max_depth = max_depth.max(depth);
        for (p, verdict) in properties.iter().zip(verdicts.iter_mut()) {
            if verdict.is_some() {
                continue;
            }
            let holds = (p.condition)(model, &state);
            match (p.expectation, holds) {
                (Expectation::Always, false) => {
                    *verdict = Some(Verdict::Violated {
                        path: visited.path(index),
                    })
                }
                (Expectation::Sometimes, true) => {
                    *verdict = Some(Verdict::Holds {
                        example: Some(visited.path(index)),
                    })
                }
                _ => {}
            }
        }
        if options.max_depth.is_some_and(|d| depth >= d) {
            complete = false;
            continue;
        }
        actions.clear();
        model.actions(&state, &mut actions);
        for action in actions.drain(..) {
            let Some(next) = model.next(&state, &action) else {
                continue;
            };
            if options
                .max_states
                .is_some_and(|m| visited.states.len() >= m)
            {
                complete = false;
                break;
            }
            if let Some(i) = visited.insert(canon(next), index, Some(action), depth as u32 + 1) {
                pending.push(i);
            }
        }
    }
    let bytes_per_state = core::mem::size_of::<M::State>()
        + core::mem::size_of::<(u32, Option<M::Action>)>()
        + 4
        + 4 * visited.slots.len() / visited.states.len().max(1)
        + if options.strategy == Strategy::BreadthFirst {
            4
        } else {
            0
        };
    Report {
        unique_states: visited.states.len(),
        depth: max_depth,
        complete,
        verdicts: properties
            .iter()
            .zip(verdicts)
            .map(|(p, v)| {
                let v = v.unwrap_or(match p.expectation {
                    Expectation::Always => Verdict::Holds { example: None },
                    Expectation::Sometimes => Verdict::NeverReached,
                });
                (p.name, p.expectation, v)
            })
            .collect(),
        bytes_per_state,
    }
}
