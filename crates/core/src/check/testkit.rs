//! Test helpers: random small histories and the consistency definitions
//! searched naively, to check the real searches against.

use alloc::string::String;
use alloc::vec::Vec;

use super::history::{Call, History, Operation, Outcome, TimeBase, Value};

/// Which operations must precede which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Linearizability: one that returned before another was invoked.
    RealTime,
    /// Sequential consistency: a process's earlier operations that
    /// returned.
    Process,
}

/// The definition, searched naively: any order of the operations that
/// respects real time and the model, every returned operation placed.
pub fn brute_force(h: &History, order: Order) -> bool {
    #[derive(Clone)]
    struct B {
        process: u64,
        call: u64,
        ret: Option<u64>,
        op: Call,
        outcome: Outcome,
    }
    let ops: Vec<B> = h
        .ops
        .iter()
        .filter(|o| match (&o.call, &o.outcome) {
            (Call::Cas { .. }, Outcome::Fail) => true,
            (_, Outcome::Fail) => false,
            (Call::Read, Outcome::Unknown) => false,
            _ => true,
        })
        .map(|o| B {
            process: o.process,
            call: o.invoke,
            ret: if o.returned() { o.complete } else { None },
            op: o.call.clone(),
            outcome: o.outcome.clone(),
        })
        .collect();
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::Nil => Some(String::new()),
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) => None,
        }
    }
    fn eq(a: &Value, b: &Value) -> bool {
        a == b || (a.is_empty() && b.is_empty())
    }
    fn apply(s: &Value, b: &B) -> Option<Value> {
        match (&b.op, &b.outcome) {
            (Call::Read, Outcome::Ok { value }) => eq(s, value).then(|| s.clone()),
            (Call::Cas { from, .. }, Outcome::Fail) => (!eq(s, from)).then(|| s.clone()),
            (Call::Cas { from, to }, _) => eq(s, from).then(|| to.clone()),
            (Call::Write { value }, _) => Some(value.clone()),
            (Call::Append { value }, _) => {
                let (a, b) = (text(s)?, text(value)?);
                Some(Value::Str(a + &b))
            }
            (Call::Read, _) => unreachable!("filtered out"),
        }
    }
    fn go(ops: &[B], done: u32, s: &Value, order: Order) -> bool {
        let all = ops
            .iter()
            .enumerate()
            .all(|(i, o)| o.ret.is_none() || done & (1 << i) != 0);
        if all {
            return true;
        }
        for (i, o) in ops.iter().enumerate() {
            if done & (1 << i) != 0 {
                continue;
            }
            let blocked = ops.iter().enumerate().any(|(j, x)| {
                j != i
                    && done & (1 << j) == 0
                    && match order {
                        Order::RealTime => x.ret.is_some_and(|r| r < o.call),
                        // Earlier returned operations of the same process (the
                        // history lists them in order).
                        Order::Process => x.process == o.process && x.ret.is_some() && j < i,
                    }
            });
            if blocked {
                continue;
            }
            if let Some(next) = apply(s, o) {
                if go(ops, done | (1 << i), &next, order) {
                    return true;
                }
            }
        }
        false
    }
    go(&ops, 0, &Value::Nil, order)
}

/// A random small history: processes run operations back to back,
/// each taking effect at a random instant of its interval (or, if it
/// fails, not at all), then maybe one read result is corrupted.
pub fn random_history(rng: &mut crate::rng::Rng, strings: bool) -> History {
    let value = |rng: &mut crate::rng::Rng| {
        let v = rng.index(3);
        if strings {
            Value::Str(["a", "b", "ab"][v].into())
        } else {
            Value::Int(v as i64)
        }
    };
    let mut ops = Vec::new();
    for p in 0..3u64 {
        let mut t = rng.range_inclusive(0, 4);
        for _ in 0..rng.range_inclusive(1, 3) {
            let call = match (rng.index(4), strings) {
                (0, _) => Call::Read,
                (1, _) => Call::Write { value: value(rng) },
                (_, false) => Call::Cas {
                    from: value(rng),
                    to: value(rng),
                },
                (_, true) => Call::Append { value: value(rng) },
            };
            let len = rng.range_inclusive(0, 6);
            let at = t + rng.range_inclusive(0, len);
            let kind = rng.index(10);
            ops.push((p, call, t, t + len, at, kind));
            // A process waits for each answer before its next call.
            t += len + rng.range_inclusive(1, 3);
        }
    }
    // Run them in linearization-point order to get real results.
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| (ops[i].4, i));
    let mut state = Value::Nil;
    let mut history = Vec::new();
    let mut results = alloc::vec![Outcome::Unknown; ops.len()];
    for &i in &order {
        let (_, call, _, _, _, kind) = &ops[i];
        let happens = *kind < 8;
        results[i] = match call {
            Call::Read => Outcome::Ok {
                value: state.clone(),
            },
            Call::Cas { from, to } if happens => {
                if *from == state || (from.is_empty() && state.is_empty()) {
                    state = to.clone();
                    Outcome::Ok { value: Value::Nil }
                } else {
                    Outcome::Fail
                }
            }
            Call::Write { value } if happens => {
                state = value.clone();
                Outcome::Ok { value: Value::Nil }
            }
            Call::Append { value } if happens => {
                let mut s = match &state {
                    Value::Str(s) => s.clone(),
                    _ => String::new(),
                };
                if let Value::Str(v) = value {
                    s.push_str(v);
                }
                state = Value::Str(s);
                Outcome::Ok { value: Value::Nil }
            }
            _ => Outcome::Fail,
        };
        // Some of the ones that happened time out instead of answering.
        if *kind == 7 && !call.is_read() {
            results[i] = Outcome::Unknown;
        }
    }
    if rng.chance(0.4) {
        let reads: Vec<usize> = (0..ops.len()).filter(|i| ops[*i].1.is_read()).collect();
        if !reads.is_empty() {
            let r = reads[rng.index(reads.len())];
            results[r] = Outcome::Ok { value: value(rng) };
        }
    }
    for (i, (p, call, invoke, complete, _, _)) in ops.into_iter().enumerate() {
        let never = results[i] == Outcome::Unknown && rng.chance(0.5);
        history.push(Operation {
            process: p,
            key: None,
            call,
            outcome: results[i].clone(),
            invoke,
            complete: (!never).then_some(complete),
            source: i,
        });
    }
    history.sort_by_key(|o| o.invoke);
    History {
        ops: history,
        time_base: TimeBase::Lines,
    }
}
