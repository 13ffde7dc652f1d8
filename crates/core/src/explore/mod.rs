//! Exhaustive state-space exploration: "can this ever break?" answered by
//! visiting every reachable state within bounds, instead of sampling runs.
//!
//! A [`Model`] is a nondeterministic state machine: initial states, the
//! actions enabled in a state, and the state each action leads to. A
//! [`Search`] visits reachable states breadth-first (shortest
//! counterexample first) or depth-first, optionally reduced to a canonical
//! representative under a symmetry. Each [`Property`] is checked in every
//! state: an `always` property must hold everywhere; a `sometimes`
//! property must hold somewhere (a sanity check that the search reaches
//! what it should). A violation comes back with the path that leads to it.
//!
//! Memory: a visited state costs a 64-bit fingerprint and an 8-byte parent
//! link ([`store`]), about 20 bytes in all. Full states are held only
//! while they wait to be expanded, and a model whose states own heap
//! memory (a protocol's cluster) does not even keep those: the search
//! rebuilds each from its parent when it comes to it
//! ([`Model::REBUILD_FRONTIER`]).
//!
//! Threads: breadth-first search expands each level in slices, and a
//! slice may be split among [`Workers`]; the outcome (states, order,
//! paths) is the same for any number of workers and any slicing, because
//! every choice the search makes follows the order one thread would take.

pub mod directed;
pub mod protocol;
mod search;
mod store;
pub mod swarm;
pub mod two_phase;

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Debug;
use core::hash::Hash;

pub use search::Search;

/// A nondeterministic system to explore.
pub trait Model {
    type State: Clone + Eq + Hash + Debug;
    type Action: Clone + Debug;

    /// Whether the search rebuilds the states it has yet to expand from
    /// their parents, rather than keep them: about 1.5 extra steps per
    /// state in exchange for holding nothing but fingerprints and links.
    /// By default, states that own heap memory are rebuilt and plain data
    /// is kept.
    const REBUILD_FRONTIER: bool = core::mem::needs_drop::<Self::State>();

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

    /// Calls `f` with each action enabled in `state`, its position in what
    /// [`Model::actions`] lists, and the state it leads to. The default
    /// asks [`Model::actions`] then [`Model::next`], using `scratch` so
    /// that nothing is allocated per state; a model may generate its
    /// successors directly instead, in the same order with the same
    /// positions.
    fn successors(
        &self,
        state: &Self::State,
        scratch: &mut Vec<Self::Action>,
        f: &mut dyn FnMut(u32, Self::Action, Self::State),
    ) {
        scratch.clear();
        self.actions(state, scratch);
        for (i, action) in scratch.drain(..).enumerate() {
            if let Some(next) = self.next(state, &action) {
                f(i as u32, action, next);
            }
        }
    }

    /// The action at `position` in what [`Model::actions`] lists for
    /// `state`, and the state it leads to: one successor, computed alone
    /// (to rebuild a state or a path from parent links).
    fn successor(
        &self,
        state: &Self::State,
        position: u32,
        scratch: &mut Vec<Self::Action>,
    ) -> Option<(Self::Action, Self::State)> {
        scratch.clear();
        self.actions(state, scratch);
        let action = scratch.get(position as usize)?.clone();
        let next = self.next(state, &action)?;
        Some((action, next))
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
    /// Stop storing states once the search's own structures (fingerprints,
    /// parent links, kept states) could exceed this many bytes. Counted
    /// per state at the most a state can cost ([`Search::bytes_per_state_bound`]),
    /// so that where the search stops depends on the model alone, not on
    /// threads or slices.
    pub max_memory: Option<usize>,
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
            max_memory: None,
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

/// Why a search ended before visiting everything within its bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// [`Options::max_states`] states were stored and more were found.
    States,
    /// [`Options::max_memory`] would have been exceeded.
    Memory,
    /// An `always` property failed and [`Options::stop_at_violation`].
    Violation,
    /// The caller gave up ([`Search::stop`]).
    Cancelled,
}

#[derive(Clone, Debug)]
pub struct Report<A> {
    pub unique_states: usize,
    /// Deepest level reached.
    pub depth: usize,
    /// False when a bound cut the search short: "holds" then means "holds
    /// in the states visited".
    pub complete: bool,
    /// What ended the search early, if anything did.
    pub stopped: Option<Stop>,
    /// Whether [`Options::max_depth`] left states unexpanded.
    pub depth_cut: bool,
    pub verdicts: Vec<(&'static str, Expectation, Verdict<A>)>,
    /// The most bytes the search's own structures held at once: the
    /// fingerprint set, parent links and the states kept to expand
    /// (their heap memory, if any, is not seen here).
    pub bytes: usize,
    /// `bytes` per stored state.
    pub bytes_per_state: usize,
}

/// How far a search has got, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub unique_states: usize,
    /// States stored but not yet expanded.
    pub frontier: usize,
    /// The depth being expanded.
    pub depth: usize,
    /// What the search's own structures hold now, in bytes.
    pub bytes: usize,
}

/// Threads to spread a breadth-first search over. The core starts none
/// itself: a caller that has threads (the command line) implements this.
pub trait Workers {
    /// How many threads run tasks. A step is split into a few tasks per
    /// thread, so that a thread held up (by another process, or by a
    /// slower part) leaves its remaining tasks to the others.
    fn count(&self) -> usize;
    /// Runs every task, any number at the same time, in any order, and
    /// returns once all have finished.
    fn join<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>);
}

/// No threads: every task runs in turn on the caller's.
pub struct OneThread;

impl Workers for OneThread {
    fn count(&self) -> usize {
        1
    }
    fn join<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
        for task in tasks {
            task();
        }
    }
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

/// Explores like [`explore_with`] with the work of each step spread over
/// `workers` (depth-first search runs on the caller's thread alone). The
/// report is the same as [`explore`]'s, whatever the number of workers.
pub fn explore_on<M>(
    model: &M,
    options: Options,
    workers: &dyn Workers,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Report<M::Action>
where
    M: Model + Sync,
    M::State: Send + Sync,
    M::Action: Send,
{
    let mut search = Search::new(model, options);
    while !search.run_on(model, PROGRESS_EVERY * workers.count(), workers) {
        if !progress(&search.progress()) {
            search.stop();
            break;
        }
    }
    search.report()
}

/// `1234567` as `1,234,567`: how the app and the CLI print state counts.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
