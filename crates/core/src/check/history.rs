//! The history the checkers read: one [`Operation`] per client request, with
//! when it was invoked, when it completed and how.
//!
//! A history comes from a simulated run ([`History::from_client_ops`]) or
//! from a file another system recorded (see the `parse` module). Both end up
//! in the same shape, so every checker works on both.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::protocol::Op;
use crate::sim::{ClientOp, OpResult};

/// A value read or written. Registers hold integers (Jepsen's etcd test);
/// key-value maps hold strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Nothing: a register never written, a key with no value.
    Nil,
    Int(i64),
    Str(String),
}

impl Value {
    /// Whether a read of `self` is a read of "nothing". The key-value model
    /// treats a missing key and an empty string alike (Porcupine's key-value
    /// test starts every key as `""`; the simulator reads a missing key as
    /// nil), so a read of either matches both.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Nil => true,
            Value::Str(s) => s.is_empty(),
            Value::Int(_) => false,
        }
    }
}

impl fmt::Display for Value {
    /// EDN syntax: `nil`, `3`, `"text"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\t' => f.write_str("\\t")?,
                        '\r' => f.write_str("\\r")?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

/// What a client asked for: Jepsen's `:f` with its argument.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "lowercase")]
pub enum Call {
    /// `:read` (register) or `:get` (key-value).
    Read,
    /// `:write` (register) or `:put` (key-value).
    Write { value: Value },
    /// Compare-and-set: if the register holds `from`, it now holds `to`.
    Cas { from: Value, to: Value },
    /// String concatenation onto the current value.
    Append { value: Value },
    /// Take the mutex: allowed when nobody holds it.
    Acquire,
    /// Give the mutex back: allowed when it is held.
    Release,
    /// A transaction over several registers, its micro-operations in
    /// order. For one that returned `:ok` the reads carry the values read;
    /// otherwise they carry what was invoked (usually nil).
    Txn { ops: Vec<MicroOp> },
}

/// One read or write inside a [`Call::Txn`]: Jepsen's `[:read :x 1]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MicroOp {
    pub write: bool,
    /// The register's name as the history writes it, such as `:x`.
    pub register: String,
    pub value: Value,
}

impl fmt::Display for MicroOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let f_name = if self.write { ":write" } else { ":read" };
        write!(f, "[{f_name} {} {}]", self.register, self.value)
    }
}

impl Call {
    /// Whether the call is a plain read (`:read` or `:get`).
    pub fn is_read(&self) -> bool {
        matches!(self, Call::Read)
    }

    /// Jepsen's name for it: `get` and `put` in key-value histories
    /// (`kv`, Porcupine's names), `read` and `write` otherwise.
    pub fn name(&self, kv: bool) -> &'static str {
        match (self, kv) {
            (Call::Read, false) => "read",
            (Call::Read, true) => "get",
            (Call::Write { .. }, false) => "write",
            (Call::Write { .. }, true) => "put",
            (Call::Cas { .. }, _) => "cas",
            (Call::Append { .. }, _) => "append",
            (Call::Acquire, _) => "acquire",
            (Call::Release, _) => "release",
            (Call::Txn { .. }, _) => "txn",
        }
    }

    /// The argument as Jepsen writes it in `:value`, if the call has one:
    /// `3`, `[1 2]`, `[[:read :x nil] [:write :y 2]]`.
    pub fn argument(&self) -> Option<String> {
        use core::fmt::Write as _;
        let mut s = String::new();
        match self {
            Call::Read | Call::Acquire | Call::Release => return None,
            Call::Write { value } | Call::Append { value } => {
                let _ = write!(s, "{value}");
            }
            Call::Cas { from, to } => {
                let _ = write!(s, "[{from} {to}]");
            }
            Call::Txn { ops } => {
                s.push('[');
                for (i, op) in ops.iter().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    let _ = write!(s, "{op}");
                }
                s.push(']');
            }
        }
        Some(s)
    }
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Outcome {
    /// It happened. A read carries what it read; other calls carry `Nil`.
    Ok { value: Value },
    /// It definitely did not happen. For a compare-and-set this is Jepsen's
    /// `:fail :cas`: the compare failed, so the register did not hold `from`
    /// when it took effect.
    Fail,
    /// The client gave up (Jepsen's `:info`, the simulator's timeout), or it
    /// was still waiting when the history ended: it may have happened, at
    /// any point after its invocation.
    Unknown,
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Jepsen's process: one operation at a time, in order. A simulated
    /// client keeps its number until one of its requests times out; after
    /// that, as in Jepsen, its later requests run as a fresh process.
    pub process: u64,
    /// The key, for key-value histories; `None` for a single register.
    pub key: Option<String>,
    pub call: Call,
    pub outcome: Outcome,
    /// When it was invoked, in the history's [`TimeBase`].
    pub invoke: u64,
    /// When the client heard back or gave up; `None` if it was still waiting
    /// when the history ended.
    pub complete: Option<u64>,
    /// Where it came from: the index into [`crate::sim::Sim::history`] for
    /// a simulated run, the 1-based line of its invocation for a file.
    pub source: usize,
}

impl Operation {
    /// The operation in Jepsen's words, such as `write 3`, `cas [1 2]` or
    /// `get "k1"`, and what it returned.
    pub fn describe(&self) -> String {
        self.describe_as(self.key.is_some())
    }

    /// [`Operation::describe`], naming reads and writes `get` and `put`
    /// when `kv`.
    pub fn describe_as(&self, kv: bool) -> String {
        use core::fmt::Write as _;
        let mut s = String::new();
        let _ = write!(s, "p{} {}", self.process, self.call.name(kv));
        if let Some(key) = &self.key {
            let _ = write!(s, " {}", Value::Str(key.clone()));
        }
        if let Some(argument) = self.call.argument() {
            let _ = write!(s, " {argument}");
        }
        match &self.outcome {
            Outcome::Ok { value } if self.call.is_read() => {
                let _ = write!(s, " -> {value}");
            }
            Outcome::Ok { .. } => s.push_str(" ok"),
            Outcome::Fail => s.push_str(" failed"),
            Outcome::Unknown => s.push_str(" (unknown outcome)"),
        }
        s
    }

    /// Whether its completion is a real response the checkers must respect.
    pub fn returned(&self) -> bool {
        !matches!(self.outcome, Outcome::Unknown) && self.complete.is_some()
    }
}

/// The unit of [`Operation::invoke`] and [`Operation::complete`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeBase {
    /// Simulated microseconds.
    Micros,
    /// Nanoseconds, from an EDN history's `:time` fields.
    Nanos,
    /// Positions of the events in a file without usable times (0-based,
    /// Jepsen's `:index` when every map is counted): only the order means
    /// anything.
    Positions,
}

/// The sequential specification a history is checked against: Jepsen's
/// models, by the names Jepsen gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// Jepsen's `register`: reads and writes.
    Register,
    /// Jepsen's `cas-register`: reads, writes and compare-and-set.
    CasRegister,
    /// Porcupine's key-value store: `get`, `put` and `append` (string
    /// concatenation) on string keys that start empty; a missing value and
    /// the empty string are the same.
    Kv,
    /// Jepsen's `mutex`: `acquire` and `release`.
    Mutex,
    /// Jepsen's `multi-register`: `:txn`s of reads and writes over
    /// several registers.
    MultiRegister,
}

impl Model {
    pub const ALL: [Model; 5] = [
        Model::Register,
        Model::CasRegister,
        Model::Kv,
        Model::Mutex,
        Model::MultiRegister,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Model::Register => "register",
            Model::CasRegister => "cas-register",
            Model::Kv => "kv",
            Model::Mutex => "mutex",
            Model::MultiRegister => "multi-register",
        }
    }

    pub fn from_name(name: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether the model has an operation like `call`.
    pub fn allows(self, call: &Call) -> bool {
        match self {
            Model::Register => matches!(call, Call::Read | Call::Write { .. }),
            Model::CasRegister => {
                matches!(call, Call::Read | Call::Write { .. } | Call::Cas { .. })
            }
            Model::Kv => matches!(
                call,
                Call::Read | Call::Write { .. } | Call::Append { .. } | Call::Cas { .. }
            ),
            Model::Mutex => matches!(call, Call::Acquire | Call::Release),
            Model::MultiRegister => matches!(call, Call::Txn { .. }),
        }
    }

    /// Whether single-value properties (read-your-writes, monotonic reads,
    /// convergence) mean anything for it.
    pub fn has_values(self) -> bool {
        matches!(self, Model::Register | Model::CasRegister | Model::Kv)
    }
}

/// What an operation that completed with `:fail` tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailReading {
    /// It did not happen, and constrains nothing (Jepsen, Knossos).
    DidNotHappen,
    /// A failed compare-and-set saw a value other than its expected one;
    /// other failures did not happen (Porcupine's etcd model, the reading
    /// the jepsen-etcd logs' verdicts come from).
    CasObserved,
}

impl FailReading {
    pub const ALL: [FailReading; 2] = [FailReading::DidNotHappen, FailReading::CasObserved];

    pub fn name(self) -> &'static str {
        match self {
            FailReading::DidNotHappen => "did-not-happen",
            FailReading::CasObserved => "cas-observed",
        }
    }

    pub fn from_name(name: &str) -> Option<FailReading> {
        FailReading::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// What a read that returned `nil` tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NilRead {
    /// Nothing: Jepsen's register models accept it in any state (Knossos:
    /// "we don't know what the read was").
    SaysNothing,
    /// The register held nil, the unset value (Porcupine's etcd model; in
    /// the key-value model nil is the empty string).
    IsAValue,
}

impl NilRead {
    pub fn name(self) -> &'static str {
        match self {
            NilRead::SaysNothing => "says-nothing",
            NilRead::IsAValue => "is-a-value",
        }
    }

    pub fn from_name(name: &str) -> Option<NilRead> {
        [NilRead::SaysNothing, NilRead::IsAValue]
            .into_iter()
            .find(|n| n.name() == name)
    }
}

/// How a history is to be read: the model, and the parts of Jepsen's and
/// Porcupine's conventions that differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Semantics {
    pub model: Model,
    pub fail: FailReading,
    pub nil_read: NilRead,
    /// Every register's (or key's) value before its first write; `Nil`
    /// means unset, a value distinct from every integer and string (the
    /// key-value model equates it with the empty string).
    pub initial: Value,
    /// Multi-register: particular registers' first values, overriding
    /// `initial`.
    pub registers: BTreeMap<String, Value>,
}

impl Semantics {
    /// The given model, read the Jepsen way: `:fail` did not happen,
    /// everything starts unset, a read of nil says nothing (the key-value
    /// model, Porcupine's, reads nil as the empty string).
    pub fn jepsen(model: Model) -> Semantics {
        Semantics {
            model,
            fail: FailReading::DidNotHappen,
            nil_read: if model == Model::Kv {
                NilRead::IsAValue
            } else {
                NilRead::SaysNothing
            },
            initial: Value::Nil,
            registers: BTreeMap::new(),
        }
    }

    /// Porcupine's etcd model: a compare-and-set register that starts
    /// unset, whose failed compares are observations and whose reads of
    /// nil mean it was still unset.
    pub fn etcd() -> Semantics {
        Semantics {
            fail: FailReading::CasObserved,
            nil_read: NilRead::IsAValue,
            ..Semantics::jepsen(Model::CasRegister)
        }
    }

    /// Whether a read that returned `nil` says nothing.
    pub fn nil_read_says_nothing(&self) -> bool {
        self.model != Model::Kv && self.nil_read == NilRead::SaysNothing
    }

    /// The first value of `register` (`None`: a single register, or a key).
    pub fn initial_of(&self, register: Option<&str>) -> &Value {
        register
            .and_then(|r| self.registers.get(r))
            .unwrap_or(&self.initial)
    }

    /// One line for people: `cas-register, :fail did not happen, starting
    /// unset`.
    pub fn describe(&self) -> String {
        use core::fmt::Write as _;
        let mut s = String::from(self.model.name());
        let _ = match self.fail {
            FailReading::DidNotHappen => write!(s, ", a :fail did not happen"),
            FailReading::CasObserved => write!(s, ", a failed cas saw another value"),
        };
        if self.model != Model::Mutex && self.nil_read_says_nothing() {
            s.push_str(", a read of nil says nothing");
        }
        if self.model == Model::Mutex {
            s.push_str(", starting free");
            return s;
        }
        if self.registers.is_empty() {
            match &self.initial {
                Value::Nil => s.push_str(", starting unset"),
                v => {
                    let _ = write!(s, ", starting at {v}");
                }
            }
        } else {
            s.push_str(", starting at {");
            for (i, (r, v)) in self.registers.iter().enumerate() {
                let _ = write!(s, "{}{r} {v}", if i > 0 { ", " } else { "" });
            }
            s.push('}');
        }
        s
    }
}

/// A whole history, operations in invocation order, and how to read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub ops: Vec<Operation>,
    pub time_base: TimeBase,
    pub semantics: Semantics,
}

impl History {
    /// The history of a simulated run, from [`crate::sim::Sim::history`].
    ///
    /// A client that invokes while its previous request is still pending
    /// (the user's requests all share one client), or after a timeout, gets
    /// a fresh process number above every client id, so each process has
    /// at most one operation open at a time, as Jepsen's processes do.
    pub fn from_client_ops(client_ops: &[ClientOp]) -> History {
        let mut next_fresh = client_ops
            .iter()
            .map(|o| u64::from(o.client.0) + 1)
            .max()
            .unwrap_or(0);
        // Per client: its current process, and when that process's last
        // operation completed (`None` before its first one).
        struct Lane {
            process: u64,
            last_complete: Option<u64>,
            /// Its last operation is still waiting or gave up, so the
            /// process may still have it open.
            open: bool,
        }
        let mut lanes: BTreeMap<u32, Lane> = BTreeMap::new();
        let mut ops = Vec::with_capacity(client_ops.len());
        for (index, c) in client_ops.iter().enumerate() {
            let invoke = c.invoke.0;
            let lane = lanes.entry(c.client.0).or_insert(Lane {
                process: u64::from(c.client.0),
                last_complete: None,
                open: false,
            });
            // Strictly before: at equal times the checkers treat a completion
            // and an invocation as concurrent.
            let free = !lane.open && lane.last_complete.is_none_or(|t| t < invoke);
            if !free {
                lane.process = next_fresh;
                next_fresh += 1;
            }
            let (call, key) = match &c.op {
                Op::Get { key } => (Call::Read, key.clone()),
                Op::Put { key, value } => (
                    Call::Write {
                        value: Value::Str(value.clone()),
                    },
                    key.clone(),
                ),
                Op::Append { key, value } => (
                    Call::Append {
                        value: Value::Str(value.clone()),
                    },
                    key.clone(),
                ),
            };
            let (outcome, complete) = match &c.result {
                Some((t, OpResult::Ok { value })) => (
                    Outcome::Ok {
                        value: match value {
                            Some(v) if call.is_read() => Value::Str(v.clone()),
                            _ => Value::Nil,
                        },
                    },
                    Some(t.0),
                ),
                Some((t, OpResult::Fail { .. })) => (Outcome::Fail, Some(t.0)),
                Some((t, OpResult::Unknown)) => (Outcome::Unknown, Some(t.0)),
                None => (Outcome::Unknown, None),
            };
            lane.open = matches!(outcome, Outcome::Unknown);
            lane.last_complete = complete;
            ops.push(Operation {
                process: lane.process,
                key: Some(key),
                call,
                outcome,
                invoke,
                complete,
                source: index,
            });
        }
        History {
            ops,
            time_base: TimeBase::Micros,
            semantics: Semantics::jepsen(Model::Kv),
        }
    }

    /// Operation `i` in Jepsen's words, by the model's names.
    pub fn describe(&self, i: usize) -> String {
        self.ops[i].describe_as(self.semantics.model == Model::Kv)
    }

    /// The distinct keys, in order (`None` for a register history).
    pub fn keys(&self) -> Vec<Option<&str>> {
        let mut keys: Vec<Option<&str>> = self.ops.iter().map(|o| o.key.as_deref()).collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The indices of the operations on each key, in invocation order:
    /// the partition that P-compositionality allows for linearizability.
    pub fn by_key(&self) -> BTreeMap<Option<&str>, Vec<usize>> {
        let mut parts: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        for (i, op) in self.ops.iter().enumerate() {
            parts.entry(op.key.as_deref()).or_default().push(i);
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{ClientId, NodeId, RequestId};
    use crate::time::Time;
    use alloc::string::ToString;
    use alloc::vec;

    fn client_op(client: u32, invoke: u64, result: Option<(u64, OpResult)>) -> ClientOp {
        ClientOp {
            id: RequestId(0),
            client: ClientId(client),
            op: Op::Get { key: "x".into() },
            node: NodeId(0),
            invoke: Time(invoke),
            result: result.map(|(t, r)| (Time(t), r)),
            served_by: None,
            detail: None,
        }
    }

    #[test]
    fn a_client_keeps_its_process_until_a_timeout() {
        let ok = || OpResult::Ok { value: None };
        let ops = vec![
            client_op(0, 10, Some((20, ok()))),
            client_op(0, 30, Some((40, OpResult::Unknown))),
            client_op(0, 50, Some((60, ok()))),
            client_op(1, 10, None),
        ];
        let h = History::from_client_ops(&ops);
        let procs: Vec<u64> = h.ops.iter().map(|o| o.process).collect();
        assert_eq!(procs, vec![0, 0, 2, 1]);
        assert_eq!(h.ops[3].complete, None);
        assert_eq!(h.ops[1].outcome, Outcome::Unknown);
        assert_eq!(h.ops[0].outcome, Outcome::Ok { value: Value::Nil });
    }

    #[test]
    fn concurrent_requests_of_one_client_get_separate_processes() {
        let ops = vec![
            client_op(1000, 10, Some((50, OpResult::Ok { value: None }))),
            client_op(1000, 10, Some((60, OpResult::Ok { value: None }))),
        ];
        let h = History::from_client_ops(&ops);
        assert_ne!(h.ops[0].process, h.ops[1].process);
    }

    #[test]
    fn values_print_as_edn() {
        assert_eq!(Value::Str("a\"b".into()).to_string(), "\"a\\\"b\"");
        assert_eq!(Value::Nil.to_string(), "nil");
        assert_eq!(Value::Int(-3).to_string(), "-3");
    }
}
