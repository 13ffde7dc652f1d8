//! The sequential specification both searches check against: one value per
//! key, read, written, compared-and-set or appended to.
//!
//! Values are interned, so a state is a `u32` and most steps are integer
//! comparisons; appends build a new string once per (state, operation) pair
//! and remember the result.

use alloc::string::String;

use super::history::{Call, Operation, Outcome, Value};
use super::table::{Interner, U64Map};

/// Id of the value nothing has been written to. The key-value model treats
/// the empty string as the same value (see [`Value::is_empty`]).
pub(crate) const EMPTY: u32 = 0;

/// An operation as the model executes it, with interned values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Valid when the state is the value read.
    Read(u32),
    Write(u32),
    /// Valid when the state is `from`; then it is `to`.
    Cas(u32, u32),
    /// A failed compare: valid when the state is not `from`.
    CasFailed(u32),
    Append(u32),
}

impl Step {
    /// Steps that never change the state. When one is valid where it may
    /// be linearized, linearizing it right there is never worse than
    /// waiting: moving it to the front of any completion keeps every other
    /// step valid. The searches take such steps without branching.
    pub fn is_identity(self) -> bool {
        matches!(self, Step::Read(_) | Step::CasFailed(_))
    }
}

/// The model's values and its memory of appends.
#[derive(Clone, Debug)]
pub(crate) struct ValueModel {
    values: Interner<Value>,
    /// `(state << 32) | appended value` to the resulting state.
    appends: U64Map,
}

impl ValueModel {
    pub fn new() -> ValueModel {
        let mut values = Interner::new();
        let empty = values.intern(Value::Nil);
        debug_assert_eq!(empty, EMPTY);
        ValueModel {
            values,
            appends: U64Map::new(),
        }
    }

    pub fn intern(&mut self, value: &Value) -> u32 {
        if value.is_empty() {
            EMPTY
        } else {
            self.values.intern(value.clone())
        }
    }

    pub fn value(&self, id: u32) -> &Value {
        self.values.get(id)
    }

    /// How the model runs `op`; `None` when the operation can be left out
    /// altogether: anything that failed (except a compare-and-set, whose
    /// failure is an observation), and reads whose result never came back.
    pub fn step_of(&mut self, op: &Operation) -> Option<Step> {
        Some(match (&op.call, &op.outcome) {
            (Call::Read, Outcome::Ok { value }) => Step::Read(self.intern(value)),
            (Call::Read, _) => return None,
            (Call::Cas { from, .. }, Outcome::Fail) => Step::CasFailed(self.intern(from)),
            (_, Outcome::Fail) => return None,
            (Call::Write { value }, _) => Step::Write(self.intern(value)),
            (Call::Cas { from, to }, _) => Step::Cas(self.intern(from), self.intern(to)),
            (Call::Append { value }, _) => Step::Append(self.intern(value)),
        })
    }

    /// The state after `step` from `state`, or `None` if it is not allowed.
    #[inline]
    pub fn apply(&mut self, state: u32, step: Step) -> Option<u32> {
        match step {
            Step::Read(v) => (state == v).then_some(state),
            Step::Write(v) => Some(v),
            Step::Cas(from, to) => (state == from).then_some(to),
            Step::CasFailed(from) => (state != from).then_some(state),
            Step::Append(v) => self.append(state, v),
        }
    }

    fn append(&mut self, state: u32, suffix: u32) -> Option<u32> {
        let key = (u64::from(state) << 32) | u64::from(suffix);
        if let Some(next) = self.appends.get(key) {
            return (next != u32::MAX).then_some(next);
        }
        let joined = match (self.values.get(state), self.values.get(suffix)) {
            (Value::Nil, Value::Str(b)) => Some(Value::Str(b.clone())),
            (Value::Str(a), Value::Str(b)) => {
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(a);
                s.push_str(b);
                Some(Value::Str(s))
            }
            (_, Value::Nil) => Some(self.values.get(state).clone()),
            // Appending to or with an integer: not a string operation.
            _ => None,
        };
        let next = joined.map(|v| self.intern(&v));
        self.appends.insert_new(key, next.unwrap_or(u32::MAX));
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_and_string_steps() {
        let mut m = ValueModel::new();
        let one = m.intern(&Value::Int(1));
        let two = m.intern(&Value::Int(2));
        assert_eq!(m.apply(EMPTY, Step::Read(EMPTY)), Some(EMPTY));
        assert_eq!(m.apply(EMPTY, Step::Write(one)), Some(one));
        assert_eq!(m.apply(one, Step::Cas(one, two)), Some(two));
        assert_eq!(m.apply(one, Step::Cas(two, one)), None);
        assert_eq!(m.apply(one, Step::CasFailed(one)), None);
        assert_eq!(m.apply(one, Step::CasFailed(two)), Some(one));

        let a = m.intern(&Value::Str("a".into()));
        let b = m.intern(&Value::Str("b".into()));
        let after_a = m.apply(EMPTY, Step::Append(a)).unwrap();
        assert_eq!(after_a, a, "appending to nothing gives the suffix");
        let ab = m.apply(after_a, Step::Append(b)).unwrap();
        assert_eq!(m.value(ab), &Value::Str("ab".into()));
        assert_eq!(m.apply(after_a, Step::Append(b)), Some(ab));
        assert_eq!(m.intern(&Value::Str(String::new())), EMPTY);
        assert_eq!(m.apply(one, Step::Append(a)), None);
    }
}
