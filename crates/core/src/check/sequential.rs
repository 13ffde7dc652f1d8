//! Sequential consistency (Lamport, 1979): is there one order of all the
//! operations, consistent with the model, that keeps each process's own
//! operations in the order it issued them? Unlike linearizability it
//! ignores real time between processes, and it is not local: keys cannot be
//! checked one by one, so the search runs over the whole history, its
//! state the value of every key.
//!
//! The search has the same shape as the linearizability one: the
//! candidates are each process's next operation, plus operations whose
//! outcome is unknown once their process has reached them (they may take
//! effect later or never, and a process that timed out moves on without
//! them). Valid reads are taken without branching, configurations are
//! memoised, and a step budget turns a long search into `Unknown`.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::history::{History, Value};
use super::linear::Linearizability;
use super::model::{Step, ValueModel};
use super::table::{mix64, ConfigSet, Interner, U64Map};
use super::{CheckOptions, PropertyVerdict, Scope, Verdict};

#[derive(Clone, Copy, Debug)]
struct SeqOp {
    global: usize,
    key: u32,
    step: Step,
    invoke: u64,
    process: u32,
    /// Returned: it must be placed.
    definite: bool,
    /// For an unknown operation: how many of its process's definite
    /// operations come before it.
    gate: u32,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    op: u32,
    state: u32,
    forced: bool,
    choice: u32,
}

/// The operations of part of a history (one key, or all), with processes
/// numbered densely.
struct Problem {
    ops: Vec<SeqOp>,
    /// Per process, its definite operations in order.
    definite: Vec<Vec<u32>>,
    unknown: Vec<u32>,
    /// Per process and position in `definite`: its next read from there.
    next_read: Vec<Vec<u32>>,
    /// Per key: only appends change it, so its value only grows.
    grows: Vec<bool>,
}

const NONE: u32 = u32::MAX;

impl Problem {
    fn new(
        history: &History,
        indices: &[usize],
        keys: &[Option<&str>],
        model: &mut ValueModel,
    ) -> Problem {
        let mut processes: Vec<u64> = indices.iter().map(|&i| history.ops[i].process).collect();
        processes.sort_unstable();
        processes.dedup();
        let mut ops: Vec<SeqOp> = Vec::new();
        let mut definite: Vec<Vec<u32>> = vec![Vec::new(); processes.len()];
        for &global in indices {
            let op = &history.ops[global];
            let Some(step) = model.step_of(op) else {
                continue;
            };
            let process = processes.binary_search(&op.process).unwrap_or(0) as u32;
            let key = keys.binary_search(&op.key.as_deref()).unwrap_or(0) as u32;
            let id = ops.len() as u32;
            let is_definite = op.returned();
            ops.push(SeqOp {
                global,
                key,
                step,
                invoke: op.invoke,
                process,
                definite: is_definite,
                gate: definite[process as usize].len() as u32,
            });
            if is_definite {
                definite[process as usize].push(id);
            }
        }
        let unknown = (0..ops.len() as u32)
            .filter(|i| !ops[*i as usize].definite)
            .collect();
        let next_read = definite
            .iter()
            .map(|list| {
                let mut next = vec![NONE; list.len() + 1];
                for i in (0..list.len()).rev() {
                    next[i] = match ops[list[i] as usize].step {
                        Step::Read(_) => list[i],
                        _ => next[i + 1],
                    };
                }
                next
            })
            .collect();
        let mut grows = vec![true; keys.len().max(1)];
        for o in &ops {
            let string = |v: u32| !matches!(model.literal(v), Some(Value::Int(_)));
            match o.step {
                Step::Append(v) | Step::Read(v) if string(v) => {}
                _ => grows[o.key as usize] = false,
            }
        }
        Problem {
            ops,
            definite,
            unknown,
            next_read,
            grows,
        }
    }
}

/// The states a search moves through.
trait Space {
    /// The state after `op`, if it is allowed.
    fn step(&mut self, problem: &Problem, state: u32, op: u32) -> Option<u32>;
    /// The value (id) of `key` in `state`.
    fn value(&self, state: u32, key: u32) -> u32;
    fn model(&mut self) -> &mut ValueModel;
}

/// One key: the state is the key's value.
struct KeySpace {
    model: ValueModel,
}

impl Space for KeySpace {
    fn step(&mut self, problem: &Problem, state: u32, op: u32) -> Option<u32> {
        self.model.apply(state, problem.ops[op as usize].step)
    }
    fn value(&self, state: u32, _key: u32) -> u32 {
        state
    }
    fn model(&mut self) -> &mut ValueModel {
        &mut self.model
    }
}

/// Every key: the state is the interned vector of their values.
struct MapSpace {
    model: ValueModel,
    states: Interner<Vec<u32>>,
    transitions: U64Map,
}

impl Space for MapSpace {
    fn step(&mut self, problem: &Problem, state: u32, op: u32) -> Option<u32> {
        let cache = (u64::from(state) << 32) | u64::from(op);
        if let Some(next) = self.transitions.get(cache) {
            return (next != u32::MAX).then_some(next);
        }
        let o = &problem.ops[op as usize];
        let current = self.states.get(state)[o.key as usize];
        let next = self.model.apply(current, o.step).map(|v| {
            if v == current {
                state
            } else {
                let mut changed = self.states.get(state).clone();
                changed[o.key as usize] = v;
                self.states.intern(changed)
            }
        });
        self.transitions.insert_new(cache, next.unwrap_or(u32::MAX));
        next
    }
    fn value(&self, state: u32, key: u32) -> u32 {
        self.states.get(state)[key as usize]
    }
    fn model(&mut self) -> &mut ValueModel {
        &mut self.model
    }
}

/// How a search ended, and the candidates at its deepest dead end.
struct Outcome {
    verdict: Verdict,
    steps: u64,
    stuck: Vec<usize>,
}

/// Checks the history; `linear` is its linearizability verdict, if known,
/// which spares searching keys that are linearizable.
pub fn check(
    history: &History,
    options: &CheckOptions,
    linear: Option<&Linearizability>,
) -> PropertyVerdict {
    let keys = history.keys();
    let parts = history.by_key();
    // Restricted to one key, a sequentially consistent history stays so,
    // so a key that is not settles it, and those searches are small. A
    // linearizable key is sequentially consistent: only the others need a
    // search. Only when every key passes does the whole history need one.
    let linearizable = |key: Option<&str>| {
        linear.is_some_and(|l| {
            l.keys
                .iter()
                .any(|k| k.key.as_deref() == key && k.verdict == Verdict::Holds)
        })
    };
    let suspects: Vec<(Option<&str>, &Vec<usize>)> = parts
        .iter()
        .filter(|(key, _)| !linearizable(**key))
        .map(|(key, indices)| (*key, indices))
        .collect();
    // Asked only for the cheapest verdicts, the search gets a tenth of the
    // budget and stays within keys: the search across keys is the one that
    // can run for long.
    let first_only = options.scope == Scope::FirstViolation;
    let budget = if first_only {
        options.max_steps / 10
    } else {
        options.max_steps
    };
    let per_key_budget = if parts.len() > 1 && !first_only {
        budget / 2
    } else {
        budget
    };
    let mut jobs: Vec<(Problem, KeySpace, u32)> = suspects
        .into_iter()
        .map(|(key, indices)| {
            let mut model = ValueModel::new(&history.semantics);
            let problem = Problem::new(history, indices, &keys, &mut model);
            let initial = model.initial(key);
            (problem, KeySpace { model }, initial)
        })
        .collect();
    let per_key = rounds(&mut jobs, per_key_budget);
    let settled = match per_key.verdict {
        Verdict::Violated => true,
        Verdict::Unknown => first_only,
        Verdict::Holds => parts.len() <= 1,
    };
    if settled || parts.len() <= 1 {
        let steps = per_key.steps;
        return explain(history, per_key, steps);
    }
    if first_only {
        return PropertyVerdict::new(
            Verdict::Unknown,
            Vec::new(),
            "every key is sequentially consistent on its own; not searched across keys \
             (that search runs when every key is asked for)",
        );
    }

    let all: Vec<usize> = (0..history.ops.len()).collect();
    let mut model = ValueModel::new(&history.semantics);
    let problem = Problem::new(history, &all, &keys, &mut model);
    let initials = keys.iter().map(|key| model.initial(*key)).collect();
    let mut states = Interner::new();
    let init = states.intern(initials);
    let space = MapSpace {
        model,
        states,
        transitions: U64Map::new(),
    };
    let mut jobs = [(problem, space, init)];
    let whole = rounds(&mut jobs, budget.saturating_sub(per_key.steps));
    let steps = per_key.steps + whole.steps;
    explain(history, whole, steps)
}

fn explain(history: &History, result: Outcome, steps: u64) -> PropertyVerdict {
    match result.verdict {
        Verdict::Holds => PropertyVerdict::new(
            Verdict::Holds,
            Vec::new(),
            format!("an order that keeps every process's order exists ({steps} steps)"),
        ),
        Verdict::Violated => {
            let detail = match result.stuck.first() {
                Some(&op) => format!(
                    "no order keeping each process's order explains the reads; \
                     at best stuck before {} and {} other(s)",
                    history.describe(op),
                    result.stuck.len() - 1
                ),
                None => "no order keeping each process's order explains the reads".into(),
            };
            PropertyVerdict::new(Verdict::Violated, result.stuck, detail)
        }
        Verdict::Unknown => PropertyVerdict::new(
            Verdict::Unknown,
            Vec::new(),
            format!("search stopped after {steps} steps"),
        ),
    }
}

/// Whether some process's next read can no longer be placed: on a key
/// that only grows, it must extend the key's current value.
fn outgrown(problem: &Problem, space: &mut impl Space, state: u32, pos: &[u32]) -> Option<u32> {
    let mut reads = problem
        .next_read
        .iter()
        .zip(pos)
        .map(|(next, &at)| next[at as usize]);
    reads.find(|&read| {
        if read == NONE {
            return false;
        }
        let o = &problem.ops[read as usize];
        let Step::Read(wanted) = o.step else {
            return false;
        };
        if !problem.grows[o.key as usize] {
            return false;
        }
        let now = space.value(state, o.key);
        // Something already, and the read wants nothing, or what it wants
        // does not extend what is there.
        !space.model().is_prefix(now, wanted)
    })
}

/// Which candidates a search tries first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    /// By invocation: real time's order, likeliest right when the history
    /// is nearly linearizable.
    Invocation,
    /// Operations that returned first, by invocation; unknown ones (which
    /// may never have happened) last.
    ReturnedFirst,
}

/// Searches every problem in rounds of doubling budgets, both orders in
/// each round, starting afresh each time, until one is violated, all hold
/// or the budget is spent. Each search is exhaustive, so a verdict from
/// either order is final, and the cheapest verdict among the problems
/// comes out within a small factor of its own cost.
fn rounds<S: Space>(jobs: &mut [(Problem, S, u32)], budget: u64) -> Outcome {
    let mut spent = 0;
    let mut open: Vec<usize> = (0..jobs.len()).collect();
    let mut round = 4096u64;
    // Some search stopped at its memory cap: more rounds would only repeat it.
    let mut capped = false;
    while !open.is_empty() {
        let mut unresolved = Vec::new();
        for &j in &open {
            let (problem, space, init) = &mut jobs[j];
            let mut resolved = false;
            let mut hit_cap = true;
            for order in [Order::Invocation, Order::ReturnedFirst] {
                let allowed = round.min(budget.saturating_sub(spent));
                if allowed == 0 {
                    return Outcome {
                        verdict: Verdict::Unknown,
                        steps: spent,
                        stuck: Vec::new(),
                    };
                }
                let mut out = search(problem, *init, allowed, order, space);
                spent += out.steps;
                match out.verdict {
                    Verdict::Violated => {
                        out.steps = spent;
                        return out;
                    }
                    Verdict::Holds => {
                        resolved = true;
                        break;
                    }
                    Verdict::Unknown => hit_cap &= out.steps < allowed,
                }
            }
            if hit_cap && !resolved {
                capped = true;
            } else if !resolved {
                unresolved.push(j);
            }
        }
        open = unresolved;
        round = round.saturating_mul(2);
    }
    Outcome {
        verdict: if capped {
            Verdict::Unknown
        } else {
            Verdict::Holds
        },
        steps: spent,
        stuck: Vec::new(),
    }
}

/// Depth-first search for an order, from state `init`; `step` gives the
/// state after an operation, if it is allowed.
fn search(
    problem: &Problem,
    init: u32,
    budget: u64,
    order: Order,
    space: &mut impl Space,
) -> Outcome {
    let ops = &problem.ops;
    let mut state = init;
    let mut pos = vec![0u32; problem.definite.len()];
    let words = ops.len().div_ceil(64).max(1);
    let budget = budget.min(ConfigSet::max_entries(words));
    let mut bits = vec![0u64; words];
    let zobrist: Vec<u64> = (0..ops.len() as u64).map(|i| mix64(i ^ 0x5EC0)).collect();
    let mut hash = 0u64;
    let mut memo = ConfigSet::new(words);
    memo.insert(hash ^ mix64(u64::from(state)), &bits, state);
    let mut remaining: usize = problem.definite.iter().map(Vec::len).sum();
    let mut stack: Vec<Frame> = Vec::new();
    let mut resume: Option<u32> = None;
    let mut steps = 0u64;
    let mut candidates: Vec<u32> = Vec::new();
    let mut deepest: Option<(usize, Vec<u32>)> = None;

    let verdict = loop {
        if remaining == 0 {
            break Verdict::Holds;
        }
        if steps >= budget {
            break Verdict::Unknown;
        }
        steps += 1;
        candidates.clear();
        for (p, list) in problem.definite.iter().enumerate() {
            if let Some(&op) = list.get(pos[p] as usize) {
                candidates.push(op);
            }
        }
        for &u in &problem.unknown {
            let o = &ops[u as usize];
            let placed = bits[u as usize / 64] & (1 << (u % 64)) != 0;
            if !placed && o.gate <= pos[o.process as usize] {
                candidates.push(u);
            }
        }
        match order {
            Order::Invocation => candidates.sort_unstable_by_key(|&c| (ops[c as usize].invoke, c)),
            Order::ReturnedFirst => candidates.sort_unstable_by_key(|&c| {
                let o = &ops[c as usize];
                (!o.definite, o.invoke, c)
            }),
        }

        let mut chosen: Option<(u32, u32, bool, u32)> = None;
        let mut failed = false;
        let start = match resume {
            Some(next) => next,
            None => match outgrown(problem, space, state, &pos) {
                Some(read) => {
                    failed = true;
                    if deepest.as_ref().is_none_or(|(d, _)| *d < stack.len()) {
                        deepest = Some((stack.len(), vec![read]));
                    }
                    0
                }
                None => {
                    for &c in &candidates {
                        let step = ops[c as usize].step;
                        if step.is_identity() && space.step(problem, state, c).is_some() {
                            bits[c as usize / 64] ^= 1 << (c % 64);
                            let h = hash ^ zobrist[c as usize] ^ mix64(u64::from(state));
                            failed = !memo.insert(h, &bits, state);
                            bits[c as usize / 64] ^= 1 << (c % 64);
                            if !failed {
                                chosen = Some((c, state, true, 0));
                            }
                            break;
                        }
                    }
                    0
                }
            },
        };
        if chosen.is_none() && !failed {
            for (j, &c) in candidates.iter().enumerate().skip(start as usize) {
                if ops[c as usize].step.is_identity() {
                    continue;
                }
                let Some(next) = space.step(problem, state, c) else {
                    continue;
                };
                bits[c as usize / 64] ^= 1 << (c % 64);
                let h = hash ^ zobrist[c as usize] ^ mix64(u64::from(next));
                let new = memo.insert(h, &bits, next);
                bits[c as usize / 64] ^= 1 << (c % 64);
                if new {
                    chosen = Some((c, next, false, j as u32));
                    break;
                }
            }
        }
        if let Some((op, next, forced, choice)) = chosen {
            stack.push(Frame {
                op,
                state,
                forced,
                choice,
            });
            let o = ops[op as usize];
            bits[op as usize / 64] ^= 1 << (op % 64);
            hash ^= zobrist[op as usize];
            state = next;
            if o.definite {
                pos[o.process as usize] += 1;
                remaining -= 1;
            }
            resume = None;
            continue;
        }
        if !failed && deepest.as_ref().is_none_or(|(d, _)| *d < stack.len()) {
            deepest = Some((stack.len(), candidates.clone()));
        }
        let mut exhausted = true;
        while let Some(frame) = stack.pop() {
            let o = ops[frame.op as usize];
            bits[frame.op as usize / 64] ^= 1 << (frame.op % 64);
            hash ^= zobrist[frame.op as usize];
            state = frame.state;
            if o.definite {
                pos[o.process as usize] -= 1;
                remaining += 1;
            }
            if !frame.forced {
                resume = Some(frame.choice + 1);
                exhausted = false;
                break;
            }
        }
        if exhausted {
            break Verdict::Violated;
        }
    };
    Outcome {
        verdict,
        steps,
        stuck: deepest
            .map(|(_, c)| c.iter().map(|&c| ops[c as usize].global).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::history::{Call, Operation, Outcome, Semantics, TimeBase, Value};

    fn op(process: u64, call: Call, t: (u64, u64), read: Option<i64>) -> Operation {
        Operation {
            process,
            key: None,
            call,
            outcome: Outcome::Ok {
                value: read.map_or(Value::Nil, Value::Int),
            },
            invoke: t.0,
            complete: Some(t.1),
            source: 0,
        }
    }

    fn w(v: i64) -> Call {
        Call::Write {
            value: Value::Int(v),
        }
    }

    #[test]
    fn a_stale_read_is_sequentially_consistent_but_not_linearizable() {
        let h = History {
            ops: vec![op(0, w(1), (0, 1), None), op(1, Call::Read, (2, 3), None)],
            time_base: TimeBase::Positions,
            semantics: Semantics::etcd(),
        };
        let v = check(&h, &CheckOptions::default(), None);
        assert_eq!(v.verdict, Verdict::Holds, "{}", v.detail);
    }

    #[test]
    fn reading_a_value_then_an_older_one_in_one_process_is_not() {
        // p0 writes 1 then 2; p1 reads 2 then 1.
        let h = History {
            ops: vec![
                op(0, w(1), (0, 1), None),
                op(0, w(2), (2, 3), None),
                op(1, Call::Read, (4, 5), Some(2)),
                op(1, Call::Read, (6, 7), Some(1)),
            ],
            time_base: TimeBase::Positions,
            semantics: Semantics::etcd(),
        };
        let v = check(&h, &CheckOptions::default(), None);
        assert_eq!(v.verdict, Verdict::Violated, "{}", v.detail);
        assert!(v.offending.contains(&3), "{v:?}");
    }

    #[test]
    fn agrees_with_the_definition_on_random_small_histories() {
        use crate::check::testkit::{brute_force, random_history, semantics_for, Order};
        let mut rng = crate::rng::Rng::new(77);
        let mut seen = [0usize; 2];
        for round in 0..6000 {
            let (kind, semantics) = semantics_for(round);
            let h = random_history(&mut rng, kind, &semantics);
            let expected = brute_force(&h, Order::Process);
            let got = check(&h, &CheckOptions::default(), None);
            assert_eq!(
                got.verdict == Verdict::Holds,
                expected,
                "round {round}: {}\n{:#?}",
                got.detail,
                h.ops
                    .iter()
                    .map(|o| (o.describe(), o.invoke, o.complete))
                    .collect::<Vec<_>>()
            );
            seen[usize::from(expected)] += 1;
        }
        assert!(seen[0] > 600 && seen[1] > 600, "{seen:?}");
    }
}
