//! Test helpers: random small histories and the consistency definitions
//! searched naively, to check the real searches against.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::history::{
    Call, FailReading, History, MicroOp, Model, NilRead, Operation, Outcome, Semantics, TimeBase,
    Value,
};

/// Which operations must precede which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Linearizability: one that returned before another was invoked.
    RealTime,
    /// Sequential consistency: a process's earlier operations that
    /// returned.
    Process,
}

/// The state of the naive model: every register by name (`""` for the
/// single register), or the mutex.
type State = BTreeMap<String, Value>;

/// The definition, searched naively: any order of the operations that
/// respects real time (or process order) and the model, every returned
/// operation placed, operations that never returned placed or not.
pub fn brute_force(h: &History, order: Order) -> bool {
    let s = &h.semantics;
    // The readings, restated here rather than shared with the checker: a
    // `:fail` did not happen (or, Porcupine's, a failed cas saw another
    // value); Jepsen's register models do not know what a read of nil saw.
    let nil_says_nothing = s.model != Model::Kv && s.nil_read == NilRead::SaysNothing;
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
            (Call::Cas { .. }, Outcome::Fail) => s.fail == FailReading::CasObserved,
            (_, Outcome::Fail) => false,
            (Call::Read, Outcome::Unknown) => false,
            (Call::Read, Outcome::Ok { value: Value::Nil }) => !nil_says_nothing,
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
    let eq =
        |a: &Value, b: &Value| a == b || (s.model == Model::Kv && a.is_empty() && b.is_empty());
    let get = |state: &State, r: &str| state.get(r).cloned().unwrap_or(Value::Nil);
    let apply = |state: &State, b: &B| -> Option<State> {
        let register = get(state, "");
        let set = |v: Value| {
            let mut next = state.clone();
            next.insert(String::new(), v);
            Some(next)
        };
        match (&b.op, &b.outcome) {
            (Call::Read, Outcome::Ok { value }) => eq(&register, value).then(|| state.clone()),
            (Call::Cas { from, .. }, Outcome::Fail) => {
                (!eq(&register, from)).then(|| state.clone())
            }
            (Call::Cas { from, to }, _) => {
                if eq(&register, from) {
                    set(to.clone())
                } else {
                    None
                }
            }
            (Call::Write { value }, _) => set(value.clone()),
            (Call::Append { value }, _) => {
                let (a, b) = (text(&register)?, text(value)?);
                set(Value::Str(a + &b))
            }
            (Call::Acquire, _) => (register == Value::Nil).then(|| set(Value::Int(1)))?,
            (Call::Release, _) => (register != Value::Nil).then(|| set(Value::Nil))?,
            (Call::Txn { ops }, outcome) => {
                let mut next = state.clone();
                for m in ops {
                    if m.write {
                        next.insert(m.register.clone(), m.value.clone());
                    } else {
                        let seen = matches!(outcome, Outcome::Ok { .. })
                            && !(nil_says_nothing && m.value == Value::Nil);
                        if seen && !eq(&get(&next, &m.register), &m.value) {
                            return None;
                        }
                    }
                }
                Some(next)
            }
            (Call::Read, _) => unreachable!("filtered out"),
        }
    };
    fn go(
        ops: &[B],
        done: u32,
        s: &State,
        order: Order,
        apply: &dyn Fn(&State, &B) -> Option<State>,
    ) -> bool {
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
                if go(ops, done | (1 << i), &next, order, apply) {
                    return true;
                }
            }
        }
        false
    }
    let mut initial = State::new();
    if s.model != Model::Mutex {
        initial.insert(String::new(), s.initial.clone());
        for (r, v) in &s.registers {
            initial.insert(r.clone(), v.clone());
        }
        if s.model == Model::MultiRegister {
            for name in ["x", "y"] {
                initial
                    .entry(String::from(name))
                    .or_insert_with(|| s.initial.clone());
            }
        }
    }
    go(&ops, 0, &initial, order, &apply)
}

/// What the random histories are made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Integers: reads, writes, compare-and-set.
    Ints,
    /// Strings: reads, puts, appends.
    Strings,
    Mutex,
    /// Transactions over registers `x` and `y`.
    Txns,
}

/// A random small history: processes run operations back to back,
/// each taking effect at a random instant of its interval (or, if it
/// fails, not at all), then maybe one result is corrupted. Checked with
/// `semantics` (whose model must fit `kind`).
pub fn random_history(rng: &mut crate::rng::Rng, kind: Kind, semantics: &Semantics) -> History {
    let strings = kind == Kind::Strings;
    let value = |rng: &mut crate::rng::Rng| {
        let v = rng.index(3);
        if strings {
            Value::Str(["a", "b", "ab"][v].into())
        } else {
            Value::Int(v as i64)
        }
    };
    let micro = |rng: &mut crate::rng::Rng| MicroOp {
        write: rng.chance(0.5),
        register: String::from(["x", "y"][rng.index(2)]),
        value: Value::Int(rng.index(3) as i64),
    };
    let mut ops = Vec::new();
    for p in 0..3u64 {
        let mut t = rng.range_inclusive(0, 4);
        for _ in 0..rng.range_inclusive(1, 3) {
            let call = match kind {
                Kind::Mutex => {
                    if rng.chance(0.5) {
                        Call::Acquire
                    } else {
                        Call::Release
                    }
                }
                Kind::Txns => {
                    let n = rng.range_inclusive(1, 2);
                    Call::Txn {
                        ops: (0..n).map(|_| micro(rng)).collect(),
                    }
                }
                _ => match (rng.index(4), strings) {
                    (0, _) => Call::Read,
                    (1, _) => Call::Write { value: value(rng) },
                    (_, false) => Call::Cas {
                        from: value(rng),
                        to: value(rng),
                    },
                    (_, true) => Call::Append { value: value(rng) },
                },
            };
            let len = rng.range_inclusive(0, 6);
            let at = t + rng.range_inclusive(0, len);
            let fate = rng.index(10);
            ops.push((p, call, t, t + len, at, fate));
            // A process waits for each answer before its next call.
            t += len + rng.range_inclusive(1, 3);
        }
    }
    // Run them in linearization-point order to get real results.
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| (ops[i].4, i));
    let mut state = semantics.initial.clone();
    let mut registers: BTreeMap<String, Value> = BTreeMap::new();
    let mut held = false;
    let mut results = alloc::vec![Outcome::Unknown; ops.len()];
    let mut calls: Vec<Call> = ops.iter().map(|o| o.1.clone()).collect();
    for &i in &order {
        let (_, call, _, _, _, fate) = &ops[i];
        let happens = *fate < 8;
        let done = Outcome::Ok { value: Value::Nil };
        results[i] = match call {
            Call::Read => Outcome::Ok {
                value: state.clone(),
            },
            Call::Cas { from, to } if happens => {
                if *from == state || (from.is_empty() && state.is_empty()) {
                    state = to.clone();
                    done
                } else {
                    Outcome::Fail
                }
            }
            Call::Write { value } if happens => {
                state = value.clone();
                done
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
                done
            }
            Call::Acquire if happens && !held => {
                held = true;
                done
            }
            Call::Release if happens && held => {
                held = false;
                done
            }
            Call::Txn { ops: micro } if happens => {
                let mut seen = micro.clone();
                for m in &mut seen {
                    if m.write {
                        registers.insert(m.register.clone(), m.value.clone());
                    } else {
                        m.value = registers
                            .get(&m.register)
                            .cloned()
                            .unwrap_or_else(|| semantics.initial_of(Some(&m.register)).clone());
                    }
                }
                calls[i] = Call::Txn { ops: seen };
                done
            }
            _ => Outcome::Fail,
        };
        // Some of the ones that happened time out instead of answering.
        if *fate == 7 && !call.is_read() {
            results[i] = Outcome::Unknown;
        }
    }
    if rng.chance(0.4) {
        let candidates: Vec<usize> = (0..ops.len())
            .filter(|i| match kind {
                Kind::Mutex => true,
                Kind::Txns => {
                    matches!(&calls[*i], Call::Txn { ops } if ops.iter().any(|m| !m.write))
                }
                _ => ops[*i].1.is_read(),
            })
            .collect();
        if !candidates.is_empty() {
            let r = candidates[rng.index(candidates.len())];
            match (&mut calls[r], kind) {
                (_, Kind::Mutex) => {
                    results[r] = match results[r] {
                        Outcome::Fail => Outcome::Ok { value: Value::Nil },
                        _ => Outcome::Fail,
                    }
                }
                (Call::Txn { ops }, _) => {
                    if let Some(m) = ops.iter_mut().find(|m| !m.write) {
                        m.value = Value::Int(rng.index(3) as i64);
                    }
                }
                _ => results[r] = Outcome::Ok { value: value(rng) },
            }
        }
    }
    let mut history = Vec::new();
    for (i, ((p, _, invoke, complete, _, _), call)) in ops.into_iter().zip(calls).enumerate() {
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
        time_base: TimeBase::Positions,
        semantics: semantics.clone(),
    }
}

/// The semantics the random histories are checked with, one per round:
/// both readings of `:fail`, set and unset first values, every model.
pub fn semantics_for(round: usize) -> (Kind, Semantics) {
    let model_kind = [
        (Kind::Ints, Model::CasRegister),
        (Kind::Strings, Model::Kv),
        (Kind::Ints, Model::CasRegister),
        (Kind::Mutex, Model::Mutex),
        (Kind::Txns, Model::MultiRegister),
        (Kind::Ints, Model::CasRegister),
    ];
    let (kind, model) = model_kind[round % model_kind.len()];
    let mut s = Semantics::jepsen(model);
    s.fail = FailReading::ALL[(round / model_kind.len()) % 2];
    if (round / (4 * model_kind.len())) % 2 == 1 {
        s.nil_read = NilRead::IsAValue;
    }
    if (round / (2 * model_kind.len())) % 2 == 1 && kind == Kind::Ints {
        s.initial = Value::Int(0);
    }
    if kind == Kind::Txns && round % 4 == 1 {
        s.registers.insert(String::from("x"), Value::Int(0));
    }
    (kind, s)
}
