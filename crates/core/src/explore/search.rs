//! The search itself. Breadth-first search goes level by level, a slice
//! of the level at a time; a slice is expanded in two steps that can each
//! be split among workers:
//!
//! 1. Expand: each task takes a contiguous part of the slice and lists the
//!    successors not seen before (nor just before in its own part) as
//!    candidates: fingerprint and link, plus the state itself if the
//!    frontier is kept, with the properties checked in it. Candidates go
//!    into one bucket per merger, by fingerprint shard.
//! 2. Settle: each merger owns some shards of the fingerprint set and
//!    inserts its buckets' candidates in the order one thread would have
//!    found them (task by task, each in order); those that were new
//!    survive, the first of any repeats. The survivors are then stored in
//!    that same order.
//!
//! So which state is stored, at which index and with which parent, never
//! depends on how the slice was split.
//!
//! A state's properties are checked when it is found, while it is at hand:
//! the earliest state (by link) where each property was decided wins, a
//! violation that stops the search discards everything found after it,
//! and a search whose store is full is over at once (everything stored
//! has been checked).

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use super::store::{fingerprint, shard_of, Link, Links, Recent, Seen, Shard, ROOT};
use super::{
    Expectation, Model, Options, Progress, Property, Report, Stop, Strategy, Verdict, Workers,
};

/// The most states a search stores: indices are `u32`, and `u32::MAX`
/// marks an initial state's missing parent.
const MAX_STATES: usize = u32::MAX as usize - 1;

/// Fewer states than this per task are not worth a task of their own.
const MIN_PER_TASK: u32 = 32;

/// Tasks per thread in a step split among threads.
const TASKS_PER_THREAD: usize = 2;

const DETERMINISTIC: &str =
    "a stored link names an action its parent enables: models are deterministic";

/// A successor found in a slice, not yet known to be new.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    fp: u64,
    link: Link,
}

/// Candidates in the order found, with their states when the frontier is
/// kept (otherwise `states` stays empty).
struct Found<S> {
    candidates: Vec<Candidate>,
    states: Vec<S>,
}

impl<S> Default for Found<S> {
    fn default() -> Self {
        Found {
            candidates: Vec::new(),
            states: Vec::new(),
        }
    }
}

/// What the tasks of one step share, read-only.
struct Context<'a, M: Model> {
    model: &'a M,
    options: Options,
    properties: &'a [Property<M>],
    /// Properties not decided yet.
    open: &'a [bool],
    seen: &'a Seen,
    links: &'a Links,
    roots: &'a [M::State],
    level: usize,
    level_start: u32,
    /// The level's states, when the frontier is kept.
    current: &'a [M::State],
    mergers: usize,
}

/// One task's share of a step, and what it keeps between steps.
struct Job<M: Model> {
    scratch: Vec<M::Action>,
    recent: Recent,
    rebuild: Rebuild<M::State>,
    /// Successors not yet looked up in the shared set.
    pending: Found<M::State>,
    /// By merger.
    found: Vec<Found<M::State>>,
    /// Per property: the first state found in the task's part where it
    /// was decided (violated, or reached), by its link.
    events: Vec<Option<Link>>,
    /// The state whose violation stops the search, if one does.
    stop: Option<Link>,
}

impl<M: Model> Job<M> {
    fn new() -> Self {
        Job {
            scratch: Vec::new(),
            recent: Recent::default(),
            rebuild: Rebuild {
                path: Vec::new(),
                missing: Vec::new(),
            },
            pending: Found::default(),
            found: Vec::new(),
            events: Vec::new(),
            stop: None,
        }
    }
}

fn canon<M: Model>(model: &M, symmetry: bool, state: M::State) -> M::State {
    if symmetry {
        model.canonical(&state)
    } else {
        state
    }
}

/// The states on the way to the one a task is expanding, one per level,
/// each rebuilt from its parent: consecutive states of a level mostly
/// share their ancestors, so rebuilding a state costs about one step.
struct Rebuild<S> {
    path: Vec<Option<(u32, S)>>,
    /// The (level, index) pairs to rebuild, deepest first: kept to reuse.
    missing: Vec<(usize, u32)>,
}

impl<S: Clone> Rebuild<S> {
    fn get<'r, M: Model<State = S>>(
        &'r mut self,
        cx: &Context<'_, M>,
        scratch: &mut Vec<M::Action>,
        index: u32,
    ) -> &'r S {
        let level = cx.level;
        if self.path.len() <= level {
            self.path.resize_with(level + 1, || None);
        }
        // Up to the nearest ancestor rebuilt already, or an initial state.
        let missing = &mut self.missing;
        let (mut l, mut i) = (level, index);
        loop {
            if matches!(&self.path[l], Some((j, _)) if *j == i) {
                break;
            }
            missing.push((l, i));
            let parent = cx.links.get(i).parent();
            if parent == ROOT {
                break;
            }
            l -= 1;
            i = parent;
        }
        while let Some((l, i)) = missing.pop() {
            let link = cx.links.get(i);
            let state = if link.parent() == ROOT {
                cx.roots[link.action() as usize].clone()
            } else {
                let parent = &self.path[l - 1].as_ref().expect("rebuilt above").1;
                let (_, next) = cx
                    .model
                    .successor(parent, link.action(), scratch)
                    .expect(DETERMINISTIC);
                canon(cx.model, cx.options.symmetry, next)
            };
            self.path[l] = Some((i, state));
        }
        &self.path[level].as_ref().expect("rebuilt above").1
    }
}

/// Checks the open properties not yet decided in `events` in `state`,
/// found by `link`; true if an `always` property failed.
fn check<M: Model>(
    model: &M,
    properties: &[Property<M>],
    open: &[bool],
    events: &mut [Option<Link>],
    state: &M::State,
    link: Link,
) -> bool {
    let mut violated = false;
    for (p, property) in properties.iter().enumerate() {
        if !open[p] || events[p].is_some() {
            continue;
        }
        match (property.expectation, (property.condition)(model, state)) {
            (Expectation::Always, false) => {
                events[p] = Some(link);
                violated = true;
            }
            (Expectation::Sometimes, true) => events[p] = Some(link),
            _ => {}
        }
    }
    violated
}

/// Step 1 for one task: expand the states in `range`.
fn expand<M: Model>(cx: &Context<'_, M>, range: Range<u32>, job: &mut Job<M>) {
    let Job {
        scratch,
        recent,
        rebuild,
        pending,
        found,
        events,
        stop,
    } = job;
    found.clear();
    found.resize_with(cx.mergers, Found::default);
    events.clear();
    events.resize(cx.properties.len(), None);
    *stop = None;
    let model = cx.model;
    let options = cx.options;
    for i in range {
        let state = if M::REBUILD_FRONTIER {
            rebuild.get(cx, scratch, i)
        } else {
            &cx.current[(i - cx.level_start) as usize]
        };
        model.successors(state, scratch, &mut |position, _, next| {
            if stop.is_some() {
                return;
            }
            let next = canon(model, options.symmetry, next);
            let fp = fingerprint(&next);
            if !recent.insert(fp) {
                return;
            }
            // Checked before knowing it is new: a state seen before was
            // checked when it was found, so it decides no open property.
            let link = Link::new(i, position);
            if check(model, cx.properties, cx.open, events, &next, link)
                && options.stop_at_violation
            {
                *stop = Some(link);
            }
            pending.candidates.push(Candidate { fp, link });
            if !M::REBUILD_FRONTIER {
                pending.states.push(next);
            }
        });
        if pending.candidates.len() >= PENDING || stop.is_some() {
            sift(cx, pending, found);
        }
        if stop.is_some() {
            return;
        }
    }
    sift(cx, pending, found);
}

/// Successors looked up in the shared set together rather than one by one
/// as they are made: their lookups then wait on memory at the same time.
const PENDING: usize = 64;

/// Moves the pending successors not in the shared set into their
/// mergers' buckets.
fn sift<M: Model>(
    cx: &Context<'_, M>,
    pending: &mut Found<M::State>,
    found: &mut [Found<M::State>],
) {
    cx.seen.touch(pending.candidates.iter().map(|c| c.fp));
    let mut states = pending.states.drain(..);
    for c in pending.candidates.drain(..) {
        let state = states.next();
        if !cx.seen.contains(c.fp) {
            let bucket = &mut found[shard_of(c.fp) % cx.mergers];
            bucket.candidates.push(c);
            bucket.states.extend(state);
        }
    }
}

/// Step 2 for one merger: inserts the candidates of every task (in task
/// order) into the merger's own shards, keeping those that were new.
/// Candidates after `stop` are dropped: one thread would have stopped
/// before finding them.
fn settle<S>(
    inputs: Vec<Found<S>>,
    mut shards: Vec<&mut Shard>,
    mergers: usize,
    stop: Option<Link>,
) -> Found<S> {
    let mut out = Found::default();
    for found in inputs {
        let mut states = found.states.into_iter();
        for batch in found.candidates.chunks(PENDING) {
            let mut any = 0;
            for c in batch {
                any ^= shards[shard_of(c.fp) / mergers].touch(c.fp);
            }
            core::hint::black_box(any);
            for c in batch {
                let state = states.next();
                if stop.is_some_and(|v| c.link > v) {
                    return out;
                }
                if shards[shard_of(c.fp) / mergers].insert(c.fp) {
                    out.candidates.push(*c);
                    out.states.extend(state);
                }
            }
        }
    }
    out
}

/// A search that can be run a slice at a time: [`Search::run`] expands a
/// bounded number of states and returns, so a caller that must stay
/// responsive (the browser's explorer worker) can report progress or give
/// up between slices. Running it in slices of any size, on any number of
/// workers ([`Search::run_on`]), visits the same states in the same order
/// as one call to [`super::explore`].
pub struct Search<M: Model> {
    options: Options,
    properties: Vec<Property<M>>,
    verdicts: Vec<Option<Verdict<M::Action>>>,
    seen: Seen,
    links: Links,
    /// The initial states, in order: where every rebuild and path starts.
    roots: Vec<M::State>,
    /// Breadth-first: the level being expanded, where it starts and
    /// ends, and the next state to expand.
    level: usize,
    level_start: u32,
    level_end: u32,
    cursor: u32,
    /// Breadth-first with a kept frontier: the states of the level being
    /// expanded, and of the next one as they are found.
    current: Vec<M::State>,
    next: Vec<M::State>,
    jobs: Vec<Job<M>>,
    /// Depth-first: the states still to expand, with their index and depth.
    stack: Vec<(M::State, u32, u32)>,
    scratch: Vec<M::Action>,
    /// How many states may be stored, and which bound says so.
    cap: usize,
    cap_stop: Stop,
    /// The store is full: the search is over.
    full: bool,
    /// The depth being expanded, and the deepest state stored.
    depth: usize,
    max_depth: usize,
    depth_cut: bool,
    stopped: Option<Stop>,
    done: bool,
    peak_bytes: usize,
}

impl<M: Model> Search<M> {
    /// The most bytes a stored state can cost the search: its fingerprint
    /// (slots are at least half used), its link, and a kept state. What
    /// [`Options::max_memory`] is counted in.
    pub fn bytes_per_state_bound() -> usize {
        16 + 8
            + if M::REBUILD_FRONTIER {
                0
            } else {
                core::mem::size_of::<M::State>()
            }
    }

    /// A search of `model` that has stored its initial states.
    pub fn new(model: &M, options: Options) -> Self {
        let by_states = options.max_states.unwrap_or(MAX_STATES).min(MAX_STATES);
        let by_memory = options
            .max_memory
            .map_or(usize::MAX, |m| m / Self::bytes_per_state_bound());
        let (cap, cap_stop) = if by_memory < by_states {
            (by_memory, Stop::Memory)
        } else {
            (by_states, Stop::States)
        };
        let properties = model.properties();
        let mut search = Search {
            options,
            verdicts: vec![None; properties.len()],
            properties,
            seen: Seen::new(),
            links: Links::default(),
            roots: Vec::new(),
            level: 0,
            level_start: 0,
            level_end: 0,
            cursor: 0,
            current: Vec::new(),
            next: Vec::new(),
            jobs: Vec::new(),
            stack: Vec::new(),
            scratch: Vec::new(),
            cap,
            cap_stop,
            full: false,
            depth: 0,
            max_depth: 0,
            depth_cut: false,
            stopped: None,
            done: false,
            peak_bytes: 0,
        };
        let mut inits = Vec::new();
        model.init(&mut inits);
        let open = vec![true; search.properties.len()];
        for s in inits {
            let s = canon(model, options.symmetry, s);
            let fp = fingerprint(&s);
            if search.seen.contains(fp) {
                continue;
            }
            if search.links.len() >= cap {
                search.fill();
                break;
            }
            search.seen.insert(fp);
            let index = search.links.len() as u32;
            let link = Link::new(ROOT, search.roots.len() as u32);
            search.links.push(link);
            let mut events = vec![None; search.properties.len()];
            let violated = check(model, &search.properties, &open, &mut events, &s, link);
            match options.strategy {
                Strategy::DepthFirst => search.stack.push((s.clone(), index, 0)),
                Strategy::BreadthFirst if !M::REBUILD_FRONTIER => search.current.push(s.clone()),
                Strategy::BreadthFirst => {}
            }
            search.roots.push(s);
            search.decide(model, &events);
            if violated && options.stop_at_violation {
                search.done = true;
                search.stopped = Some(Stop::Violation);
                break;
            }
        }
        search.level_end = search.links.len() as u32;
        search.measure();
        search
    }

    /// True once the search is over: everything within the bounds is
    /// visited, a violation stopped it, or [`Search::stop`].
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Gives up: the report will say the search is incomplete.
    pub fn stop(&mut self) {
        if !self.done {
            self.done = true;
            self.stopped.get_or_insert(Stop::Cancelled);
        }
    }

    fn fill(&mut self) {
        self.full = true;
        self.stopped.get_or_insert(self.cap_stop);
    }

    fn bytes(&self) -> usize {
        let state = core::mem::size_of::<M::State>();
        let jobs: usize = self
            .jobs
            .iter()
            .map(|j| j.recent.bytes() + j.rebuild.path.capacity() * (state + 8))
            .sum();
        self.seen.bytes()
            + self.links.bytes()
            + (self.current.capacity() + self.next.capacity() + self.roots.capacity()) * state
            + self.stack.capacity() * core::mem::size_of::<(M::State, u32, u32)>()
            + jobs
    }

    fn measure(&mut self) {
        self.peak_bytes = self.peak_bytes.max(self.bytes());
    }

    pub fn progress(&self) -> Progress {
        let frontier = match self.options.strategy {
            Strategy::BreadthFirst => self.links.len() - self.cursor as usize,
            Strategy::DepthFirst => self.stack.len(),
        };
        Progress {
            unique_states: self.links.len(),
            frontier,
            depth: self.depth,
            bytes: self.bytes(),
        }
    }

    /// Expands at most `budget` states; returns [`Search::is_done`].
    pub fn run(&mut self, model: &M, budget: usize) -> bool {
        match self.options.strategy {
            Strategy::DepthFirst => self.depth_first(model, budget),
            Strategy::BreadthFirst => self.breadth_first(
                model,
                budget,
                1,
                &mut |cx, jobs, ranges| {
                    for (job, range) in jobs.iter_mut().zip(ranges) {
                        expand(cx, range.clone(), job);
                    }
                },
                &mut |inputs, mergers, stop| {
                    inputs
                        .into_iter()
                        .map(|(found, shards)| settle(found, shards, mergers, stop))
                        .collect()
                },
            ),
        }
    }

    /// Expands at most `budget` states like [`Search::run`], each step
    /// split among `workers`; the same states come out in the same order.
    /// Depth-first search runs on the caller's thread alone.
    pub fn run_on(&mut self, model: &M, budget: usize, workers: &dyn Workers) -> bool
    where
        M: Sync,
        M::State: Send + Sync,
        M::Action: Send,
    {
        if self.options.strategy == Strategy::DepthFirst {
            return self.depth_first(model, budget);
        }
        self.breadth_first(
            model,
            budget,
            workers.count(),
            &mut |cx, jobs, ranges| {
                let tasks = jobs
                    .iter_mut()
                    .zip(ranges)
                    .map(|(job, range)| {
                        let range = range.clone();
                        Box::new(move || expand(cx, range, job)) as Box<dyn FnOnce() + Send + '_>
                    })
                    .collect();
                workers.join(tasks);
            },
            &mut |inputs, mergers, stop| {
                let mut outs: Vec<Found<M::State>> =
                    (0..inputs.len()).map(|_| Found::default()).collect();
                let tasks = inputs
                    .into_iter()
                    .zip(outs.iter_mut())
                    .map(|((found, shards), out)| {
                        Box::new(move || *out = settle(found, shards, mergers, stop))
                            as Box<dyn FnOnce() + Send + '_>
                    })
                    .collect();
                workers.join(tasks);
                outs
            },
        )
    }

    /// Breadth-first: expands up to `budget` states of the current level
    /// (and the levels after it), in steps split for `threads` threads,
    /// handing the parts to `fan_expand` and the mergers' work to
    /// `fan_settle`.
    #[allow(clippy::type_complexity)]
    fn breadth_first(
        &mut self,
        model: &M,
        budget: usize,
        threads: usize,
        fan_expand: &mut dyn FnMut(&Context<'_, M>, &mut [Job<M>], &[Range<u32>]),
        fan_settle: &mut dyn FnMut(
            Vec<(Vec<Found<M::State>>, Vec<&mut Shard>)>,
            usize,
            Option<Link>,
        ) -> Vec<Found<M::State>>,
    ) -> bool {
        let mut left = budget;
        while left > 0 && !self.done {
            if self.cursor == self.level_end {
                if self.links.len() == self.level_end as usize {
                    self.done = true;
                    break;
                }
                self.level += 1;
                self.level_start = self.level_end;
                self.level_end = self.links.len() as u32;
                core::mem::swap(&mut self.current, &mut self.next);
                self.next.clear();
            }
            self.depth = self.level;
            if self.options.max_depth.is_some_and(|d| self.level >= d) {
                // Found and checked already; not to be expanded.
                self.depth_cut = true;
                self.cursor = self.level_end;
                continue;
            }
            let start = self.cursor;
            let end = self.level_end.min(start.saturating_add(left as u32));
            let n = end - start;
            let wanted = if threads > 1 {
                threads * TASKS_PER_THREAD
            } else {
                1
            };
            let parts = wanted.min(n.div_ceil(MIN_PER_TASK) as usize).max(1);
            let ranges: Vec<Range<u32>> = (0..parts as u64)
                .map(|p| {
                    let at = |p: u64| start + (u64::from(n) * p / parts as u64) as u32;
                    at(p)..at(p + 1)
                })
                .collect();
            while self.jobs.len() < parts {
                self.jobs.push(Job::new());
            }
            let open: Vec<bool> = self.verdicts.iter().map(Option::is_none).collect();
            {
                let cx = Context {
                    model,
                    options: self.options,
                    properties: &self.properties,
                    open: &open,
                    seen: &self.seen,
                    links: &self.links,
                    roots: &self.roots,
                    level: self.level,
                    level_start: self.level_start,
                    current: &self.current,
                    mergers: parts,
                };
                fan_expand(&cx, &mut self.jobs[..parts], &ranges);
            }
            let jobs = &mut self.jobs[..parts];
            let stop = jobs.iter().filter_map(|j| j.stop).min();
            let mut events: Vec<Option<Link>> = (0..self.properties.len())
                .map(|p| {
                    jobs.iter()
                        .filter_map(|j| j.events[p])
                        .filter(|&l| stop.is_none_or(|v| l <= v))
                        .min()
                })
                .collect();
            // The mergers' inputs: each task's bucket for that merger, in
            // task order, and the shards the merger owns.
            let mut inputs: Vec<(Vec<Found<M::State>>, Vec<&mut Shard>)> =
                (0..parts).map(|_| (Vec::new(), Vec::new())).collect();
            for job in jobs.iter_mut() {
                for (m, found) in job.found.drain(..).enumerate() {
                    inputs[m].0.push(found);
                }
            }
            for (s, shard) in self.seen.shards.iter_mut().enumerate() {
                inputs[s % parts].1.push(shard);
            }
            let survivors = fan_settle(inputs, parts, stop);
            let last = self.store(survivors);
            if last.is_some() {
                self.max_depth = self.max_depth.max(self.level + 1);
            }
            // Only what was stored was found: the store may have filled
            // before the state an event was found in.
            for event in &mut events {
                if event.is_some_and(|l| last.is_none_or(|last| l > last)) {
                    *event = None;
                }
            }
            self.decide(model, &events);
            left -= n as usize;
            self.measure();
            if self.full {
                self.done = true;
            } else if stop.is_some() {
                self.done = true;
                self.stopped.get_or_insert(Stop::Violation);
            } else {
                self.cursor = end;
            }
        }
        self.done
    }

    /// Stores the mergers' survivors in the order one thread finds them:
    /// by link (parent, then action), until the store is full. Returns the
    /// link of the last state stored.
    fn store(&mut self, survivors: Vec<Found<M::State>>) -> Option<Link> {
        let mut heads: Vec<_> = survivors
            .into_iter()
            .map(|f| (f.candidates.into_iter().peekable(), f.states.into_iter()))
            .collect();
        let mut last = None;
        loop {
            let mut best: Option<(usize, Link)> = None;
            for (m, (candidates, _)) in heads.iter_mut().enumerate() {
                if let Some(c) = candidates.peek() {
                    if best.is_none_or(|(_, link)| c.link < link) {
                        best = Some((m, c.link));
                    }
                }
            }
            let Some((m, link)) = best else {
                break;
            };
            if self.links.len() >= self.cap {
                self.fill();
                break;
            }
            heads[m].0.next();
            self.links.push(link);
            self.next.extend(heads[m].1.next());
            last = Some(link);
        }
        last
    }

    /// Records the verdicts `events` decided: the path to the state each
    /// was decided in.
    fn decide(&mut self, model: &M, events: &[Option<Link>]) {
        for (p, event) in events.iter().enumerate() {
            let Some(link) = *event else {
                continue;
            };
            let path = self.path_via(model, link);
            self.verdicts[p] = Some(match self.properties[p].expectation {
                Expectation::Always => Verdict::Violated { path },
                Expectation::Sometimes => Verdict::Holds {
                    example: Some(path),
                },
            });
        }
    }

    fn depth_first(&mut self, model: &M, budget: usize) -> bool {
        let options = self.options;
        let mut events = vec![None; self.properties.len()];
        let mut open: Vec<bool> = self.verdicts.iter().map(Option::is_none).collect();
        for _ in 0..budget {
            if self.done {
                break;
            }
            let Some((state, index, depth)) = self.stack.pop() else {
                self.done = true;
                break;
            };
            self.depth = depth as usize;
            if options.max_depth.is_some_and(|d| self.depth >= d) {
                self.depth_cut = true;
                continue;
            }
            events.iter_mut().for_each(|e| *e = None);
            let mut stop = false;
            let mut deepest = self.max_depth;
            let (seen, links, stack, cap, full) = (
                &mut self.seen,
                &mut self.links,
                &mut self.stack,
                self.cap,
                &mut self.full,
            );
            let properties = &self.properties;
            model.successors(&state, &mut self.scratch, &mut |position, _, next| {
                if *full || stop {
                    return;
                }
                let next = canon(model, options.symmetry, next);
                let fp = fingerprint(&next);
                if seen.contains(fp) {
                    return;
                }
                if links.len() >= cap {
                    *full = true;
                    return;
                }
                seen.insert(fp);
                let link = Link::new(index, position);
                let i = links.len() as u32;
                links.push(link);
                deepest = deepest.max(depth as usize + 1);
                stop = check(model, properties, &open, &mut events, &next, link)
                    && options.stop_at_violation;
                stack.push((next, i, depth + 1));
            });
            self.max_depth = deepest;
            if events.iter().any(Option::is_some) {
                self.decide(model, &events);
                open = self.verdicts.iter().map(Option::is_none).collect();
            }
            if self.full {
                self.fill();
                self.done = true;
            } else if stop {
                self.done = true;
                self.stopped.get_or_insert(Stop::Violation);
            }
        }
        self.measure();
        self.done
    }

    /// The actions from an initial state to state `index`, replayed from
    /// the links, and the state they lead to.
    fn replay(&mut self, model: &M, index: u32) -> (Vec<M::Action>, M::State) {
        let mut positions = Vec::new();
        let mut i = index;
        let root = loop {
            let link = self.links.get(i);
            if link.parent() == ROOT {
                break link.action();
            }
            positions.push(link.action());
            i = link.parent();
        };
        let mut state = self.roots[root as usize].clone();
        let mut path = Vec::with_capacity(positions.len());
        for &position in positions.iter().rev() {
            let (action, next) = model
                .successor(&state, position, &mut self.scratch)
                .expect(DETERMINISTIC);
            path.push(action);
            state = canon(model, self.options.symmetry, next);
        }
        (path, state)
    }

    /// The actions to the state found by `link`.
    fn path_via(&mut self, model: &M, link: Link) -> Vec<M::Action> {
        if link.parent() == ROOT {
            return Vec::new();
        }
        let (mut path, state) = self.replay(model, link.parent());
        let (action, _) = model
            .successor(&state, link.action(), &mut self.scratch)
            .expect(DETERMINISTIC);
        path.push(action);
        path
    }

    /// What the search found, so far if it is not done (then `complete`
    /// is false).
    pub fn report(&self) -> Report<M::Action> {
        let states = self.links.len();
        Report {
            unique_states: states,
            depth: self.max_depth,
            complete: self.done && self.stopped.is_none() && !self.depth_cut,
            stopped: self.stopped,
            depth_cut: self.depth_cut,
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
            bytes: self.peak_bytes,
            bytes_per_state: self.peak_bytes / states.max(1),
        }
    }
}
