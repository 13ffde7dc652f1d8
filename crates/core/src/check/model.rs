//! The sequential specifications both searches check against: Jepsen's
//! register, compare-and-set register, mutex and multi-register, and
//! Porcupine's key-value store (a register per key that strings can be
//! appended to).
//!
//! A state is a `u32`, so most steps are integer comparisons and the
//! searches' memo stores states as integers. For registers it names a
//! value; values read or written in the history are interned once, and
//! strings built by appends are interned as (earlier state, appended
//! value) nodes with a hash that extends in O(length of what was appended):
//! two states are the same id exactly when they are the same string (a
//! hash match is confirmed by comparing the texts), yet no step copies a
//! long string. For the mutex a state is free or held; for the
//! multi-register it names an interned vector of every register's value.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::hash::{Hash, Hasher};

use super::history::{Call, FailReading, Model, Operation, Outcome, Semantics, Value};
use super::table::{mix64, Interner, U64Map};
use crate::trace::StableHasher;

/// Id of the value nothing has been written to (`nil`). The key-value
/// model treats the empty string as the same value (see
/// [`Value::is_empty`]).
pub(crate) const EMPTY: u32 = 0;
/// The mutex's states.
const FREE: u32 = 0;
const HELD: u32 = 1;
/// "Not allowed" in the transition caches.
const REFUSED: u32 = u32::MAX;

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
    Acquire,
    Release,
    /// A transaction (an index into the model's table) that only reads.
    TxnRead(u32),
    /// A transaction that writes.
    Txn(u32),
}

impl Step {
    /// Steps that never change the state. When one is valid where it may
    /// be linearized, linearizing it right there is never worse than
    /// waiting: moving it to the front of any completion keeps every other
    /// step valid. The searches take such steps without branching.
    pub fn is_identity(self) -> bool {
        matches!(self, Step::Read(_) | Step::CasFailed(_) | Step::TxnRead(_))
    }
}

/// The polynomial string hash's base (odd, so its powers never vanish
/// modulo 2^64).
const BASE: u64 = 0x100_0000_01B3;

/// One interned register value: a value from the history, or a string an
/// append built.
#[derive(Clone, Debug)]
struct Entry {
    /// `Some` for values taken from the history.
    literal: Option<Value>,
    /// For a built string: the state appended to, and the appended value
    /// (a literal string).
    parent: u32,
    suffix: u32,
    /// For strings: the length in bytes, the polynomial hash of the bytes
    /// and `BASE` to the power of the length.
    len: u64,
    poly: u64,
    power: u64,
    /// What the table probes by.
    hash: u64,
}

/// A transaction as the model runs it: `(write, register, value)`; a read
/// whose value is `None` constrains nothing.
type MicroStep = (bool, u32, Option<u32>);

/// The model's values and its memory of transitions.
#[derive(Clone, Debug)]
pub(crate) struct ValueModel {
    model: Model,
    fail: FailReading,
    /// Whether a read of `nil` constrains nothing (Knossos: "we don't know
    /// what the read was"), rather than reading the unset value.
    nil_read_is_unknown: bool,
    semantics: Semantics,
    entries: Vec<Entry>,
    slots: Vec<u32>,
    /// `(state << 32) | appended value` to the resulting state.
    appends: U64Map,
    /// Multi-register: register names, transactions, states (a value id
    /// per register) and `(state << 32) | transaction` to the next state.
    registers: Interner<String>,
    txns: Vec<Vec<MicroStep>>,
    maps: Interner<Vec<u32>>,
    txn_next: U64Map,
    /// `(state << 32) | read value` to whether the state is a prefix of it.
    prefixes: U64Map,
    scratch: (Vec<u8>, Vec<u8>),
}

fn string_poly(bytes: &[u8]) -> (u64, u64) {
    bytes.iter().fold((0u64, 1u64), |(h, p), b| {
        (
            h.wrapping_mul(BASE).wrapping_add(u64::from(*b) + 1),
            p.wrapping_mul(BASE),
        )
    })
}

fn table_hash(kind: u64, len: u64, poly: u64) -> u64 {
    mix64(poly ^ mix64(len ^ (kind << 60)))
}

impl ValueModel {
    pub fn new(semantics: &Semantics) -> ValueModel {
        let mut m = ValueModel {
            model: semantics.model,
            fail: semantics.fail,
            nil_read_is_unknown: semantics.nil_read_says_nothing(),
            semantics: semantics.clone(),
            entries: Vec::new(),
            slots: vec![REFUSED; 64],
            appends: U64Map::new(),
            registers: Interner::new(),
            txns: Vec::new(),
            maps: Interner::new(),
            txn_next: U64Map::new(),
            prefixes: U64Map::new(),
            scratch: (Vec::new(), Vec::new()),
        };
        let empty = m.intern(&Value::Nil);
        debug_assert_eq!(empty, EMPTY);
        m
    }

    /// The state before anything happened. For the multi-register, call it
    /// after every operation has gone through [`ValueModel::step_of`], which
    /// names the registers.
    pub fn initial(&mut self, key: Option<&str>) -> u32 {
        match self.model {
            Model::Mutex => FREE,
            Model::MultiRegister => {
                let names: Vec<String> = (0..self.registers.len() as u32)
                    .map(|r| self.registers.get(r).clone())
                    .collect();
                let values = names
                    .iter()
                    .map(|name| {
                        let v = self.semantics.initial_of(Some(name)).clone();
                        self.intern(&v)
                    })
                    .collect();
                self.maps.intern(values)
            }
            _ => {
                let v = self.semantics.initial_of(key).clone();
                self.intern(&v)
            }
        }
    }

    /// The id of a value from the history.
    pub fn intern(&mut self, value: &Value) -> u32 {
        if self.model == Model::Kv && value.is_empty() && !self.entries.is_empty() {
            return EMPTY;
        }
        let (kind, len, poly, power) = match value {
            Value::Str(s) => {
                let (poly, power) = string_poly(s.as_bytes());
                (1, s.len() as u64, poly, power)
            }
            other => {
                let mut h = StableHasher::new();
                other.hash(&mut h);
                (0, 0, h.finish(), 1)
            }
        };
        let hash = table_hash(kind, len, poly);
        let found = self.probe(hash, |m, e| match (&m.entries[e].literal, value) {
            (Some(a), b) => a == b,
            (None, Value::Str(s)) => {
                let mut buf = core::mem::take(&mut m.scratch.0);
                m.bytes_of(e as u32, &mut buf);
                let same = buf == s.as_bytes();
                m.scratch.0 = buf;
                same
            }
            (None, _) => false,
        });
        match found {
            Ok(id) => id,
            Err(slot) => self.add(
                slot,
                Entry {
                    literal: Some(value.clone()),
                    parent: EMPTY,
                    suffix: EMPTY,
                    len,
                    poly,
                    power,
                    hash,
                },
            ),
        }
    }

    /// Finds the entry with `hash` that `same` accepts (`Ok(id)`), or the
    /// free slot to put it in (`Err(slot)`).
    fn probe(
        &mut self,
        hash: u64,
        mut same: impl FnMut(&mut Self, usize) -> bool,
    ) -> Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let mut i = (hash as usize) & mask;
        loop {
            let e = self.slots[i];
            if e == REFUSED {
                return Err(i);
            }
            if self.entries[e as usize].hash == hash && same(self, e as usize) {
                return Ok(e);
            }
            i = (i + 1) & mask;
        }
    }

    fn add(&mut self, slot: usize, entry: Entry) -> u32 {
        let id = self.entries.len() as u32;
        self.entries.push(entry);
        if (self.entries.len() + 1) * 2 <= self.slots.len() {
            self.slots[slot] = id;
        } else {
            let mut slots = vec![REFUSED; self.slots.len() * 2];
            let mask = slots.len() - 1;
            for (e, entry) in self.entries.iter().enumerate() {
                let mut i = (entry.hash as usize) & mask;
                while slots[i] != REFUSED {
                    i = (i + 1) & mask;
                }
                slots[i] = e as u32;
            }
            self.slots = slots;
        }
        id
    }

    /// The bytes of string state `id` (empty for nil), into `out`.
    fn bytes_of(&self, id: u32, out: &mut Vec<u8>) {
        out.clear();
        let mut pieces = Vec::new();
        let mut at = id;
        loop {
            let e = &self.entries[at as usize];
            match &e.literal {
                Some(Value::Str(s)) => {
                    pieces.push(s.as_bytes());
                    break;
                }
                Some(_) => break,
                None => {
                    if let Some(Value::Str(s)) = &self.entries[e.suffix as usize].literal {
                        pieces.push(s.as_bytes());
                    }
                    at = e.parent;
                }
            }
        }
        for piece in pieces.iter().rev() {
            out.extend_from_slice(piece);
        }
    }

    /// The value of a literal id; `None` for a string an append built.
    pub fn literal(&self, id: u32) -> Option<&Value> {
        self.entries[id as usize].literal.as_ref()
    }

    /// Whether register state `id` holds a string (or nil), which appends
    /// can extend.
    fn is_text(&self, id: u32) -> bool {
        matches!(
            self.entries[id as usize].literal,
            None | Some(Value::Str(_)) | Some(Value::Nil)
        )
    }

    /// Whether string state `prefix` is a prefix of string `whole`. For a
    /// literal `whole` (a value read), built states are judged by their
    /// last piece given their parent's answer, which is remembered: the
    /// cost is the length of what was appended, not of the string.
    pub fn is_prefix(&mut self, prefix: u32, whole: u32) -> bool {
        if prefix == whole || prefix == EMPTY {
            return true;
        }
        if !self.is_text(prefix) || !self.is_text(whole) {
            return false;
        }
        let Some(Value::Str(text)) = &self.entries[whole as usize].literal else {
            let mut a = core::mem::take(&mut self.scratch.0);
            let mut b = core::mem::take(&mut self.scratch.1);
            self.bytes_of(prefix, &mut a);
            self.bytes_of(whole, &mut b);
            let result = b.starts_with(&a);
            self.scratch = (a, b);
            return result;
        };
        let text = text.as_bytes();
        let memo_key = |state: u32| (u64::from(state) << 32) | u64::from(whole);
        // Up the chain of appends to a literal or a remembered answer...
        let mut chain = Vec::new();
        let mut at = prefix;
        let mut known = loop {
            if let Some(answer) = self.prefixes.get(memo_key(at)) {
                break answer == 1;
            }
            let e = &self.entries[at as usize];
            if e.len > text.len() as u64 {
                break false;
            }
            match &e.literal {
                Some(Value::Str(s)) => break text.starts_with(s.as_bytes()),
                Some(_) => break true,
                None => {
                    chain.push(at);
                    at = e.parent;
                }
            }
        };
        // ...then down, one appended piece at a time.
        let mut answers = Vec::with_capacity(chain.len());
        for &node in chain.iter().rev() {
            if known {
                let e = &self.entries[node as usize];
                let start = self.entries[e.parent as usize].len as usize;
                known = match &self.entries[e.suffix as usize].literal {
                    Some(Value::Str(piece)) => {
                        text.get(start..start + piece.len()) == Some(piece.as_bytes())
                    }
                    _ => false,
                };
            }
            answers.push((node, known));
        }
        for (node, answer) in answers {
            self.prefixes.insert_new(memo_key(node), u32::from(answer));
        }
        known
    }

    /// The state as EDN, for people: `3`, `"ab"`, `held`, `{:x 1, :y nil}`.
    pub fn describe(&self, state: u32) -> String {
        match self.model {
            Model::Mutex => String::from(if state == HELD { "held" } else { "free" }),
            Model::MultiRegister => {
                let mut s = String::from("{");
                for (r, v) in self.maps.get(state).iter().enumerate() {
                    if r > 0 {
                        s.push_str(", ");
                    }
                    let _ = write!(
                        s,
                        "{} {}",
                        self.registers.get(r as u32),
                        self.value_text(*v)
                    );
                }
                s.push('}');
                s
            }
            _ => self.value_text(state),
        }
    }

    fn value_text(&self, id: u32) -> String {
        match &self.entries[id as usize].literal {
            Some(v) => alloc::format!("{v}"),
            None => {
                let mut bytes = Vec::new();
                self.bytes_of(id, &mut bytes);
                let text = String::from_utf8_lossy(&bytes).into_owned();
                alloc::format!("{}", Value::Str(text))
            }
        }
    }

    fn value_or_any(&mut self, value: &Value) -> Option<u32> {
        if self.nil_read_is_unknown && *value == Value::Nil {
            None
        } else {
            Some(self.intern(value))
        }
    }

    /// How the model runs `op`; `None` when the operation can be left out
    /// altogether: anything that did not happen, reads whose result never
    /// came back, reads of nil where those say nothing.
    pub fn step_of(&mut self, op: &Operation) -> Option<Step> {
        let failed_cas_observed = self.fail == FailReading::CasObserved;
        Some(match (&op.call, &op.outcome) {
            (Call::Read, Outcome::Ok { value }) => Step::Read(self.value_or_any(value)?),
            (Call::Read, _) => return None,
            (Call::Cas { from, .. }, Outcome::Fail) if failed_cas_observed => {
                Step::CasFailed(self.intern(from))
            }
            (_, Outcome::Fail) => return None,
            (Call::Write { value }, _) => Step::Write(self.intern(value)),
            (Call::Cas { from, to }, _) => Step::Cas(self.intern(from), self.intern(to)),
            (Call::Append { value }, _) => Step::Append(self.intern(value)),
            (Call::Acquire, _) => Step::Acquire,
            (Call::Release, _) => Step::Release,
            (Call::Txn { ops }, outcome) => {
                // Reads in a transaction that never returned saw nothing
                // anyone knows.
                let returned = matches!(outcome, Outcome::Ok { .. });
                let mut steps = Vec::with_capacity(ops.len());
                for m in ops {
                    let register = self.registers.intern(m.register.clone());
                    let value = if m.write {
                        Some(self.intern(&m.value))
                    } else if returned {
                        self.value_or_any(&m.value)
                    } else {
                        None
                    };
                    if m.write || value.is_some() {
                        steps.push((m.write, register, value));
                    }
                }
                let writes = steps.iter().any(|s| s.0);
                if steps.is_empty() {
                    return None;
                }
                let t = self.txns.len() as u32;
                self.txns.push(steps);
                if writes {
                    Step::Txn(t)
                } else {
                    Step::TxnRead(t)
                }
            }
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
            Step::Acquire => (state == FREE).then_some(HELD),
            Step::Release => (state == HELD).then_some(FREE),
            Step::TxnRead(t) | Step::Txn(t) => self.transact(state, t),
        }
    }

    fn append(&mut self, state: u32, suffix: u32) -> Option<u32> {
        let key = (u64::from(state) << 32) | u64::from(suffix);
        if let Some(next) = self.appends.get(key) {
            return (next != REFUSED).then_some(next);
        }
        let next = self.concat(state, suffix);
        self.appends.insert_new(key, next.unwrap_or(REFUSED));
        next
    }

    /// The id of string `state` followed by literal string `suffix`.
    fn concat(&mut self, state: u32, suffix: u32) -> Option<u32> {
        if !self.is_text(state) {
            // Appending to an integer: not a string operation.
            return None;
        }
        match &self.entries[suffix as usize].literal {
            Some(Value::Nil) => return Some(state),
            Some(Value::Str(s)) if s.is_empty() => return Some(state),
            Some(Value::Str(_)) => {}
            _ => return None,
        }
        if state == EMPTY {
            return Some(suffix);
        }
        let (p, s) = (
            &self.entries[state as usize],
            &self.entries[suffix as usize],
        );
        let len = p.len + s.len;
        let poly = p.poly.wrapping_mul(s.power).wrapping_add(s.poly);
        let power = p.power.wrapping_mul(s.power);
        let hash = table_hash(1, len, poly);
        // A match by hash is confirmed on the texts: an append that
        // rebuilds a string read elsewhere, or reached in another order,
        // must get the same id, and a collision must not.
        let found = self.probe(hash, |m, e| {
            let mut a = core::mem::take(&mut m.scratch.0);
            let mut b = core::mem::take(&mut m.scratch.1);
            m.bytes_of(e as u32, &mut a);
            m.bytes_of(state, &mut b);
            let mut same = b.len() <= a.len() && a.starts_with(&b);
            if same {
                let cut = b.len();
                m.bytes_of(suffix, &mut b);
                same = a[cut..] == b[..];
            }
            m.scratch = (a, b);
            same
        });
        Some(match found {
            Ok(id) => id,
            Err(slot) => self.add(
                slot,
                Entry {
                    literal: None,
                    parent: state,
                    suffix,
                    len,
                    poly,
                    power,
                    hash,
                },
            ),
        })
    }

    fn transact(&mut self, state: u32, t: u32) -> Option<u32> {
        let key = (u64::from(state) << 32) | u64::from(t);
        if let Some(next) = self.txn_next.get(key) {
            return (next != REFUSED).then_some(next);
        }
        let mut values = self.maps.get(state).clone();
        let mut ok = true;
        for &(write, register, value) in &self.txns[t as usize] {
            let slot = &mut values[register as usize];
            match (write, value) {
                (true, Some(v)) => *slot = v,
                (false, Some(v)) if *slot != v => {
                    ok = false;
                    break;
                }
                _ => {}
            }
        }
        let next = ok.then(|| self.maps.intern(values));
        self.txn_next.insert_new(key, next.unwrap_or(REFUSED));
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::history::MicroOp;

    fn kv() -> ValueModel {
        ValueModel::new(&Semantics::jepsen(Model::Kv))
    }

    #[test]
    fn register_and_string_steps() {
        let mut m = ValueModel::new(&Semantics::etcd());
        let one = m.intern(&Value::Int(1));
        let two = m.intern(&Value::Int(2));
        assert_eq!(m.apply(EMPTY, Step::Read(EMPTY)), Some(EMPTY));
        assert_eq!(m.apply(EMPTY, Step::Write(one)), Some(one));
        assert_eq!(m.apply(one, Step::Cas(one, two)), Some(two));
        assert_eq!(m.apply(one, Step::Cas(two, one)), None);
        assert_eq!(m.apply(one, Step::CasFailed(one)), None);
        assert_eq!(m.apply(one, Step::CasFailed(two)), Some(one));

        let mut m = kv();
        let a = m.intern(&Value::Str("a".into()));
        let b = m.intern(&Value::Str("b".into()));
        let after_a = m.apply(EMPTY, Step::Append(a)).unwrap();
        assert_eq!(after_a, a, "appending to nothing gives the suffix");
        let ab = m.apply(after_a, Step::Append(b)).unwrap();
        assert_eq!(m.describe(ab), "\"ab\"");
        assert_eq!(m.apply(after_a, Step::Append(b)), Some(ab));
        assert_eq!(m.intern(&Value::Str(String::new())), EMPTY);
        let one = m.intern(&Value::Int(1));
        assert_eq!(m.apply(one, Step::Append(a)), None);
    }

    #[test]
    fn built_strings_are_the_same_state_as_equal_literals() {
        let mut m = kv();
        let x = m.intern(&Value::Str("x 0 0 y".into()));
        let z = m.intern(&Value::Str("x 1 0 y".into()));
        let after_x = m.apply(EMPTY, Step::Append(x)).unwrap();
        let xz = m.apply(after_x, Step::Append(z)).unwrap();
        assert!(m.literal(xz).is_none(), "built, not copied");
        let read = m.intern(&Value::Str("x 0 0 yx 1 0 y".into()));
        assert_eq!(read, xz, "a read of the same text is the same state");
        let after_z = m.apply(EMPTY, Step::Append(z)).unwrap();
        let zx = m.apply(after_z, Step::Append(x)).unwrap();
        assert_ne!(zx, xz);
        // Another way to the same text: "x 0 0 yx" then " 1 0 y".
        let a = m.intern(&Value::Str("x 0 0 yx".into()));
        let b = m.intern(&Value::Str(" 1 0 y".into()));
        let after_a = m.apply(EMPTY, Step::Append(a)).unwrap();
        let other = m.apply(after_a, Step::Append(b)).unwrap();
        assert_eq!(other, xz);
        assert!(m.is_prefix(x, read));
        assert!(!m.is_prefix(z, read));
        assert!(m.is_prefix(EMPTY, read));
    }

    #[test]
    fn a_hash_collision_is_told_apart_by_the_text() {
        let mut m = kv();
        let a = m.intern(&Value::Str("ab".into()));
        // Force a collision: an entry with the same hash but other text.
        let b = m.intern(&Value::Str("zz".into()));
        let hash = m.entries[a as usize].hash;
        m.entries[b as usize].hash = hash;
        assert_ne!(m.intern(&Value::Str("zz".into())), a);
    }

    #[test]
    fn jepsen_reads_of_nil_say_nothing_but_porcupines_do() {
        let read_nil = Operation {
            process: 0,
            key: None,
            call: Call::Read,
            outcome: Outcome::Ok { value: Value::Nil },
            invoke: 0,
            complete: Some(1),
            source: 1,
        };
        assert_eq!(
            ValueModel::new(&Semantics::jepsen(Model::CasRegister)).step_of(&read_nil),
            None
        );
        assert_eq!(
            ValueModel::new(&Semantics::etcd()).step_of(&read_nil),
            Some(Step::Read(EMPTY))
        );
        assert_eq!(kv().step_of(&read_nil), Some(Step::Read(EMPTY)));
    }

    #[test]
    fn mutex_and_transactions() {
        let mut m = ValueModel::new(&Semantics::jepsen(Model::Mutex));
        let s = m.initial(None);
        let held = m.apply(s, Step::Acquire).unwrap();
        assert_eq!(m.apply(held, Step::Acquire), None);
        assert_eq!(m.apply(held, Step::Release), Some(s));
        assert_eq!(m.apply(s, Step::Release), None);
        assert_eq!(m.describe(held), "held");

        let mut semantics = Semantics::jepsen(Model::MultiRegister);
        semantics.registers.insert(":x".into(), Value::Int(0));
        let mut m = ValueModel::new(&semantics);
        let txn = |ops: &[(bool, &str, Value)]| Operation {
            process: 0,
            key: None,
            call: Call::Txn {
                ops: ops
                    .iter()
                    .map(|(write, r, v)| MicroOp {
                        write: *write,
                        register: (*r).into(),
                        value: v.clone(),
                    })
                    .collect(),
            },
            outcome: Outcome::Ok { value: Value::Nil },
            invoke: 0,
            complete: Some(1),
            source: 1,
        };
        let write_y = m.step_of(&txn(&[(true, ":y", Value::Int(2))])).unwrap();
        let read_both = m
            .step_of(&txn(&[
                (false, ":x", Value::Int(0)),
                (false, ":y", Value::Int(2)),
            ]))
            .unwrap();
        let read_nil = m.step_of(&txn(&[(false, ":x", Value::Nil)]));
        assert!(matches!(read_both, Step::TxnRead(_)) && read_both.is_identity());
        assert_eq!(read_nil, None, "a nil read in a transaction says nothing");
        let init = m.initial(None);
        assert_eq!(m.describe(init), "{:y nil, :x 0}");
        assert_eq!(m.apply(init, read_both), None);
        let after = m.apply(init, write_y).unwrap();
        assert_eq!(m.apply(after, read_both), Some(after));
    }
}
