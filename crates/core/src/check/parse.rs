//! Histories in and out, as Jepsen and the tools around it write them.
//!
//! - **EDN** ([`Format::Edn`]): Jepsen's operation maps,
//!   `{:process 0, :type :invoke, :f :read, :value nil}`, either as one
//!   collection (a vector `[...]` or a list `(...)`, maps spanning lines,
//!   comments between them: what Jepsen and Knossos write) or one map per
//!   line (Porcupine's key-value test data, Jepsen 0.3's `history.edn`).
//!   Read with the full EDN reader ([`super::edn`]), so `#jepsen.history.Op`
//!   records, strings holding brackets and `#_` discards are all fine.
//! - **jepsen-etcd** ([`Format::JepsenEtcd`]): Jepsen's log lines,
//!   `INFO  jepsen.util - 3 :ok :cas [1 4]`.
//!
//! An operation is an `:invoke` and the next completion of the same
//! process. Keys come from `:key` or from jepsen.independent's `[key
//! value]` tuples. Nemesis events (any `:process` that is a keyword) are
//! skipped. Events are ordered as the file lists them, as Jepsen does; their
//! `:time`s are kept for display when they agree with that order.
//!
//! The semantics ([`Semantics`]) follow from the file: the model from the
//! operations (`:txn`: multi-register; `:acquire`/`:release`: mutex;
//! `:get`/`:put`/`:append`: Porcupine's key-value store; otherwise a
//! register), `:fail` as "did not happen" except in the jepsen-etcd log,
//! which keeps Porcupine's reading (a failed compare-and-set saw another
//! value). [`ParseOptions`] overrides any of it. What [`to_edn`] writes
//! reads back as the same history with the same semantics.
//!
//! Malformed input is an error with its line and column, never a panic.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write as _};

use super::edn::{Edn, EdnError, Position, Reader};
use super::history::{
    Call, FailReading, History, MicroOp, Model, NilRead, Operation, Outcome, Semantics, TimeBase,
    Value,
};

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Jepsen's log of its etcd test, one register.
    JepsenEtcd,
    /// Jepsen's EDN: one collection of operation maps, or one map per line.
    Edn,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::JepsenEtcd, Format::Edn];

    pub fn name(self) -> &'static str {
        match self {
            Format::JepsenEtcd => "jepsen-etcd",
            Format::Edn => "edn",
        }
    }

    /// The format called `name`; `porcupine-kv` (the corpus's name for its
    /// one-map-per-line files) also names EDN.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "jepsen-etcd" => Some(Format::JepsenEtcd),
            "edn" | "porcupine-kv" => Some(Format::Edn),
            _ => None,
        }
    }

    /// Guesses the format from the first line that is neither blank nor
    /// a `;` comment.
    pub fn detect(text: &str) -> Option<Format> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with(';'))?;
        if line.starts_with(['[', '(', '{', '#']) {
            Some(Format::Edn)
        } else if line.contains("jepsen.util") || etcd_fields(line).is_some() {
            Some(Format::JepsenEtcd)
        } else {
            None
        }
    }
}

/// What is wrong with a history file, and where (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ParseError {
    fn at(text: &str, offset: usize, message: impl Into<String>) -> ParseError {
        let Position { line, column } = Position::of(text, offset);
        ParseError {
            line,
            column,
            message: message.into(),
        }
    }

    fn from_edn(text: &str, e: EdnError) -> ParseError {
        ParseError::at(text, e.offset, e.message)
    }
}

/// The one EDN form in `part`, which starts at byte `start` of `text`;
/// errors are placed in `text`.
fn read_part<'t>(text: &str, part: &'t str, start: usize) -> Result<Edn<'t>, ParseError> {
    super::edn::read(part).map_err(|e| ParseError::at(text, start + e.offset, e.message))
}

impl fmt::Display for ParseError {
    /// `LINE:COLUMN: message`, to follow a file name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Choices that override what a file implies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// `None`: detected.
    pub format: Option<Format>,
    /// `None`: from the operations.
    pub model: Option<Model>,
    /// `None`: from the format.
    pub fail: Option<FailReading>,
    /// `None`: from the format and the model.
    pub nil_read: Option<NilRead>,
    /// Every register's first value (`None`: unset).
    pub initial: Option<Value>,
    /// Multi-register: particular registers' first values.
    pub registers: BTreeMap<String, Value>,
}

impl ParseOptions {
    /// Sets the first values from EDN: a value for every register (`0`),
    /// or a map of registers (`{:x 0 :y 0}`).
    pub fn set_initial(&mut self, text: &str) -> Result<(), String> {
        let form = super::edn::read(text).map_err(|e| {
            let at = Position::of(text, e.offset);
            format!("column {}: {}", at.column, e.message)
        })?;
        match &form {
            Edn::Map(entries) => {
                for (k, v) in entries {
                    self.registers.insert(edn_text(k), value_of(v)?);
                }
            }
            other => self.initial = Some(value_of(other)?),
        }
        Ok(())
    }
}

/// Reads a history; `format: None` detects it.
pub fn parse(text: &str, format: Option<Format>) -> Result<History, ParseError> {
    parse_with(
        text,
        &ParseOptions {
            format,
            ..ParseOptions::default()
        },
    )
}

/// Reads a history with the semantics `options` choose where they choose.
pub fn parse_with(text: &str, options: &ParseOptions) -> Result<History, ParseError> {
    let format = match options.format {
        Some(f) => f,
        None => Format::detect(text).ok_or_else(|| {
            let line = text
                .lines()
                .position(|l| !l.trim().is_empty())
                .map_or(1, |i| i + 1);
            ParseError {
                line,
                column: 1,
                message: "cannot tell the format: expected Jepsen EDN (a vector of maps such as \
                          {:process 0, :type :invoke, :f :read, :value nil}, or one map per line) \
                          or jepsen-etcd log lines (INFO  jepsen.util - 0\t:invoke\t:read\tnil)"
                    .into(),
            }
        })?,
    };
    let (mut builder, directive) = match format {
        Format::JepsenEtcd => (parse_etcd(text)?, None),
        Format::Edn => parse_edn(text)?,
    };
    let mut semantics = match (format, directive) {
        (_, Some(s)) => s,
        (Format::JepsenEtcd, None) => Semantics::etcd(),
        (Format::Edn, None) => Semantics::jepsen(builder.model(text)?),
    };
    if let Some(model) = options.model {
        semantics.model = model;
    }
    if let Some(fail) = options.fail {
        semantics.fail = fail;
    }
    if let Some(nil_read) = options.nil_read {
        semantics.nil_read = nil_read;
    }
    if let Some(initial) = &options.initial {
        semantics.initial = initial.clone();
    }
    semantics.registers.extend(
        options
            .registers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    if let Some(i) = builder
        .ops
        .iter()
        .position(|o| !semantics.model.allows(&o.call))
    {
        return Err(ParseError::at(
            text,
            builder.offsets[i],
            format!(
                "`:{}` is not an operation of the {} model",
                builder.f[i],
                semantics.model.name()
            ),
        ));
    }
    builder.semantics = semantics;
    Ok(builder.finish())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventType {
    Invoke,
    Ok,
    Fail,
    Info,
}

impl EventType {
    fn from_keyword(k: &str) -> Option<EventType> {
        match k {
            "invoke" => Some(EventType::Invoke),
            "ok" => Some(EventType::Ok),
            "fail" => Some(EventType::Fail),
            "info" => Some(EventType::Info),
            _ => None,
        }
    }
}

/// Jepsen's `:f`s that this checker has a model for.
const FUNCTIONS: [&str; 9] = [
    "read", "get", "write", "put", "cas", "append", "acquire", "release", "txn",
];

fn function(f: &str) -> Option<&'static str> {
    FUNCTIONS.iter().copied().find(|name| *name == f)
}

/// One client event of a history file.
struct Event<'t> {
    /// Byte offset of the event in the text, and its 1-based line.
    offset: usize,
    line: usize,
    /// Its place among the file's events, nemesis events counted.
    position: u64,
    process: u64,
    kind: EventType,
    f: &'static str,
    key: Option<String>,
    value: Edn<'t>,
    time: Option<u64>,
}

/// Pairs invocations with completions, process by process.
struct Builder {
    ops: Vec<Operation>,
    /// Per operation: `f`, the byte offset of its invocation, and the
    /// times given for its events.
    f: Vec<&'static str>,
    offsets: Vec<usize>,
    times: Vec<(Option<u64>, Option<u64>)>,
    open: BTreeMap<u64, usize>,
    /// `:time`s agree with the file's order: every event has one, they
    /// never decrease, and an invocation comes strictly after every
    /// earlier completion.
    times_agree: bool,
    last_time: u64,
    last_completion: Option<u64>,
    semantics: Semantics,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            ops: Vec::new(),
            f: Vec::new(),
            offsets: Vec::new(),
            times: Vec::new(),
            open: BTreeMap::new(),
            times_agree: true,
            last_time: 0,
            last_completion: None,
            // Chosen once every operation is in.
            semantics: Semantics::etcd(),
        }
    }

    fn push(&mut self, text: &str, e: Event) -> Result<(), ParseError> {
        let err = |message: String| ParseError::at(text, e.offset, message);
        match e.time {
            Some(t) if t >= self.last_time => {
                let after_completions = self.last_completion.is_none_or(|c| t > c);
                if e.kind == EventType::Invoke && !after_completions {
                    self.times_agree = false;
                }
                if e.kind != EventType::Invoke {
                    self.last_completion = Some(t);
                }
                self.last_time = t;
            }
            _ => self.times_agree = false,
        }
        if e.kind == EventType::Invoke {
            if let Some(&open) = self.open.get(&e.process) {
                return Err(err(format!(
                    "process {} invokes :{} while its :{} from line {} has not completed",
                    e.process, e.f, self.f[open], self.ops[open].source
                )));
            }
            let call = call_of(e.f, &e.value).map_err(err)?;
            self.open.insert(e.process, self.ops.len());
            self.f.push(e.f);
            self.offsets.push(e.offset);
            self.times.push((e.time, None));
            self.ops.push(Operation {
                process: e.process,
                key: e.key,
                call,
                outcome: Outcome::Unknown,
                invoke: e.position,
                complete: None,
                source: e.line,
            });
            return Ok(());
        }
        let Some(i) = self.open.remove(&e.process) else {
            return Err(err(format!(
                "process {} completes :{} but has no operation in progress",
                e.process, e.f
            )));
        };
        let op = &mut self.ops[i];
        if self.f[i] != e.f {
            return Err(err(format!(
                "process {} completes :{} but invoked :{} on line {}",
                e.process, e.f, self.f[i], op.source
            )));
        }
        // A completion without a value (`:timed-out`) keeps the key it
        // was invoked with.
        if e.key.is_some() && op.key != e.key {
            return Err(err(format!(
                "process {} completes on key {} but invoked on key {} (line {})",
                e.process,
                key_text(&e.key),
                key_text(&op.key),
                op.source
            )));
        }
        op.complete = Some(e.position);
        self.times[i].1 = e.time;
        op.outcome = match e.kind {
            EventType::Ok => {
                let read = match (&op.call, &e.value) {
                    (Call::Read, v) => value_of(v).map_err(err)?,
                    // The completion of a transaction carries what it read.
                    (Call::Txn { .. }, Edn::Vector(_) | Edn::List(_)) => {
                        op.call = call_of(e.f, &e.value).map_err(err)?;
                        Value::Nil
                    }
                    _ => Value::Nil,
                };
                Outcome::Ok { value: read }
            }
            EventType::Fail => Outcome::Fail,
            _ => Outcome::Unknown,
        };
        Ok(())
    }

    /// The model the operations imply.
    fn model(&self, text: &str) -> Result<Model, ParseError> {
        let family = |f: &str| match f {
            "txn" => Model::MultiRegister,
            "acquire" | "release" => Model::Mutex,
            "get" | "put" | "append" => Model::Kv,
            "cas" => Model::CasRegister,
            _ => Model::Register,
        };
        let mut model: Option<Model> = None;
        for (i, f) in self.f.iter().enumerate() {
            let merged = match (model, family(f)) {
                (None, m) => m,
                (Some(a), b) if a == b => a,
                (
                    Some(Model::Register | Model::CasRegister),
                    Model::Register | Model::CasRegister,
                ) => Model::CasRegister,
                (Some(Model::Kv), Model::Register | Model::CasRegister)
                | (Some(Model::Register | Model::CasRegister), Model::Kv) => Model::Kv,
                (Some(a), _) => {
                    return Err(ParseError::at(
                        text,
                        self.offsets[i],
                        format!(
                            ":{f} in a history of the {} model: one model per history",
                            a.name()
                        ),
                    ));
                }
            };
            model = Some(merged);
        }
        Ok(model.unwrap_or(Model::Register))
    }

    fn finish(mut self) -> History {
        let time_base = if self.times_agree && !self.ops.is_empty() {
            for (op, (invoke, complete)) in self.ops.iter_mut().zip(&self.times) {
                // Present on every event, as `times_agree` says.
                op.invoke = invoke.unwrap_or(0);
                op.complete = op.complete.and(*complete);
            }
            TimeBase::Nanos
        } else {
            TimeBase::Positions
        };
        // Invocation order, as `History` promises.
        self.ops.sort_by_key(|o| (o.invoke, o.source));
        History {
            ops: self.ops,
            time_base,
            semantics: self.semantics,
        }
    }
}

fn key_text(key: &Option<String>) -> String {
    match key {
        Some(k) => Value::Str(k.clone()).to_string(),
        None => String::from("(none)"),
    }
}

/// A key or register name as text: strings as they are, keywords with
/// their colon, numbers in digits.
fn edn_text(e: &Edn) -> String {
    match e {
        Edn::Str(s) => s.to_string(),
        Edn::Keyword(k) => format!(":{k}"),
        Edn::Int(i) => i.to_string(),
        Edn::BigInt(s) | Edn::Symbol(s) => s.to_string(),
        other => other.describe(),
    }
}

fn value_of(e: &Edn) -> Result<Value, String> {
    match e {
        Edn::Nil => Ok(Value::Nil),
        Edn::Int(i) => Ok(Value::Int(*i)),
        Edn::Str(s) => Ok(Value::Str(s.to_string())),
        Edn::BigInt(s) => Err(format!("the value {s} does not fit 64 bits")),
        other => Err(format!(
            "expected nil, an integer or a string as the value, got {}",
            other.describe()
        )),
    }
}

/// The call `f` with argument `value` (the key already taken out).
fn call_of(f: &str, value: &Edn) -> Result<Call, String> {
    Ok(match f {
        "read" | "get" => Call::Read,
        "write" | "put" => Call::Write {
            value: value_of(value)?,
        },
        "append" => Call::Append {
            value: value_of(value)?,
        },
        "acquire" => Call::Acquire,
        "release" => Call::Release,
        "cas" => match value.as_seq() {
            Some([from, to]) => Call::Cas {
                from: value_of(from)?,
                to: value_of(to)?,
            },
            _ => return Err(format!("a cas needs [FROM TO], got {}", value.describe())),
        },
        _ => {
            let shape = || {
                format!(
                    "a txn needs micro-operations such as [[:read :x nil] [:write :y 2]], got {}",
                    value.describe()
                )
            };
            let micro = value.as_seq().ok_or_else(shape)?;
            let mut ops = Vec::with_capacity(micro.len());
            for m in micro {
                let Some([Edn::Keyword(f), register, v]) = m.as_seq() else {
                    return Err(shape());
                };
                let write = match *f {
                    "read" | "r" => false,
                    "write" | "w" => true,
                    other => {
                        return Err(format!(
                            "`:{other}` in a txn: only :read and :write micro-operations have a \
                             register model (list-append histories need Elle)"
                        ))
                    }
                };
                ops.push(MicroOp {
                    write,
                    register: edn_text(register),
                    value: value_of(v)?,
                });
            }
            Call::Txn { ops }
        }
    })
}

/// jepsen.independent's `[key value]` tuple, if `value` is one for `f`.
fn tuple<'a, 't>(f: &str, value: &'a Edn<'t>) -> Option<(&'a Edn<'t>, &'a Edn<'t>)> {
    let [key, inner] = value.as_seq()? else {
        return None;
    };
    let nested = inner.as_seq().is_some();
    let is_tuple = match f {
        // `[old new]` is a plain cas; `[key [old new]]` a keyed one.
        "cas" => nested,
        // `[[:read :x nil]]` is a plain transaction.
        "txn" => nested && key.as_seq().is_none(),
        _ => true,
    };
    is_tuple.then_some((key, inner))
}

/// `PROCESS TYPE F VALUE`, after any log prefix; whitespace separated, the
/// value being the rest of the line.
fn etcd_fields(line: &str) -> Option<[&str; 4]> {
    let body = match line.find("jepsen.util - ") {
        Some(at) => &line[at + "jepsen.util - ".len()..],
        None => line,
    };
    let mut rest = body.trim();
    let mut fields = [""; 4];
    for field in fields.iter_mut().take(3) {
        let end = rest.find(char::is_whitespace)?;
        *field = &rest[..end];
        rest = rest[end..].trim_start();
    }
    fields[3] = rest.trim_end();
    let numeric = fields[0].bytes().all(|b| b.is_ascii_digit()) || fields[0] == ":nemesis";
    (numeric && fields[1].starts_with(':') && fields[2].starts_with(':') && !fields[3].is_empty())
        .then_some(fields)
}

fn parse_etcd(text: &str) -> Result<Builder, ParseError> {
    let mut b = Builder::new();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line = i + 1;
        let start = offset;
        offset += raw.len();
        let raw = raw.trim_end_matches(['\n', '\r']);
        if raw.trim().is_empty() {
            continue;
        }
        let err = |at: usize, message: String| ParseError::at(text, start + at, message);
        let [process, kind, f, value] = etcd_fields(raw).ok_or_else(|| {
            err(
                0,
                "expected `PROCESS\t:TYPE\t:F\tVALUE` (such as `INFO  jepsen.util - 0\t:invoke\t:read\tnil`)"
                    .into(),
            )
        })?;
        let column = |field: &str| field.as_ptr() as usize - raw.as_ptr() as usize;
        if process == ":nemesis" {
            continue;
        }
        let process_number: u64 = process.parse().map_err(|_| {
            err(
                column(process),
                format!("process `{process}` is not a number"),
            )
        })?;
        let kind_type = EventType::from_keyword(&kind[1..]).ok_or_else(|| {
            err(
                column(kind),
                format!("type `{kind}` is not one of :invoke, :ok, :fail, :info"),
            )
        })?;
        let f_name = match function(&f[1..]) {
            Some(f @ ("read" | "write" | "cas")) => f,
            _ => {
                return Err(err(
                    column(f),
                    format!("`{f}` is not one of :read, :write, :cas"),
                ))
            }
        };
        let parsed = read_part(text, value, start + column(value))?;
        b.push(
            text,
            Event {
                offset: start + column(process),
                line,
                position: line as u64,
                process: process_number,
                kind: kind_type,
                f: f_name,
                key: None,
                value: match (kind_type, parsed) {
                    // `:fail :read :timed-out` and `:info :write :timed-out`
                    // carry no value; the invocation had it.
                    (EventType::Fail | EventType::Info, Edn::Keyword(_)) => Edn::Nil,
                    (_, v) => v,
                },
                time: None,
            },
        )?;
    }
    Ok(b)
}

/// The comment [`to_edn`] starts with, which carries the semantics.
const DIRECTIVE: &str = "; splitbrain semantics ";

fn parse_edn(text: &str) -> Result<(Builder, Option<Semantics>), ParseError> {
    let directive = read_directive(text)?;
    let mut b = Builder::new();
    let mut reader = Reader::new(text);
    let edn = |e: EdnError| ParseError::from_edn(text, e);
    let close = reader.open_sequence().map_err(edn)?;
    let mut lines = LineCounter::default();
    let mut position = 0u64;
    loop {
        reader.skip_space().map_err(edn)?;
        let offset = reader.offset();
        let form = match close {
            Some(close) => match reader.next_in(close).map_err(edn)? {
                Some(form) => form,
                None => break,
            },
            None => {
                if reader.at_end().map_err(edn)? {
                    break;
                }
                reader.read().map_err(edn)?
            }
        };
        let line = lines.line_of(text, offset);
        if let Some(e) = edn_event(text, offset, line, position, &form)? {
            b.push(text, e)?;
        }
        position += 1;
    }
    if close.is_some() && !reader.at_end().map_err(edn)? {
        return Err(ParseError::at(
            text,
            reader.offset(),
            "more after the history's closing bracket",
        ));
    }
    Ok((b, directive))
}

/// 1-based line numbers of increasing offsets, counting as it goes.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    fn line_of(&mut self, text: &str, offset: usize) -> usize {
        let bytes = &text.as_bytes()[self.offset.min(offset)..offset];
        self.line += bytes.iter().filter(|b| **b == b'\n').count();
        self.offset = offset;
        self.line + 1
    }
}

/// The semantics a leading `; splitbrain semantics {...}` comment states.
fn read_directive(text: &str) -> Result<Option<Semantics>, ParseError> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix(DIRECTIVE.trim_end()) {
            let start = offset + line.find(rest).unwrap_or(0);
            let fail = |message: String| ParseError::at(text, start, message);
            let form = read_part(text, rest, start)?;
            let model = match form.get("model") {
                Some(Edn::Keyword(m)) => {
                    Model::from_name(m).ok_or_else(|| fail(format!("unknown model :{m}")))?
                }
                _ => return Err(fail("the semantics comment needs a :model".into())),
            };
            let mut semantics = Semantics::jepsen(model);
            if let Some(Edn::Keyword(f)) = form.get("fail") {
                semantics.fail = FailReading::from_name(f)
                    .ok_or_else(|| fail(format!("unknown :fail reading :{f}")))?;
            }
            if let Some(Edn::Keyword(n)) = form.get("nil-read") {
                semantics.nil_read =
                    NilRead::from_name(n).ok_or_else(|| fail(format!("unknown :nil-read :{n}")))?;
            }
            if let Some(v) = form.get("initial") {
                semantics.initial = value_of(v).map_err(&fail)?;
            }
            if let Some(Edn::Map(registers)) = form.get("registers") {
                for (k, v) in registers {
                    semantics
                        .registers
                        .insert(edn_text(k), value_of(v).map_err(&fail)?);
                }
            }
            return Ok(Some(semantics));
        }
        if !trimmed.is_empty() && !trimmed.starts_with(';') {
            break;
        }
        offset += line.len();
    }
    Ok(None)
}

/// The event a map describes; `None` for events of no client (the
/// nemesis).
fn edn_event<'t>(
    text: &str,
    offset: usize,
    line: usize,
    position: u64,
    form: &Edn<'t>,
) -> Result<Option<Event<'t>>, ParseError> {
    let err = |message: String| ParseError::at(text, offset, message);
    if !matches!(form, Edn::Map(_)) {
        return Err(err(format!(
            "expected a map such as {{:process 0, :type :invoke, :f :read, :value nil}}, got {}",
            form.describe()
        )));
    }
    let required = |name: &str| form.get(name).ok_or_else(|| err(format!("no :{name}")));
    let process = match required("process")? {
        Edn::Int(p) if *p >= 0 => *p as u64,
        Edn::Keyword(_) => return Ok(None),
        other => {
            return Err(err(format!(
                ":process should be a non-negative integer (or :nemesis), got {}",
                other.describe()
            )))
        }
    };
    let kind = match required("type")? {
        Edn::Keyword(k) => EventType::from_keyword(k),
        _ => None,
    }
    .ok_or_else(|| err(":type should be one of :invoke, :ok, :fail, :info".into()))?;
    let f = match required("f")? {
        Edn::Keyword(k) => function(k).ok_or_else(|| k.to_string()),
        other => Err(other.describe()),
    }
    .map_err(|got| {
        err(format!(
            ":f should be one of :{}, got :{got}",
            FUNCTIONS.join(", :")
        ))
    })?;
    let time = match form.get("time") {
        None => None,
        Some(Edn::Int(t)) if *t >= 0 => Some(*t as u64),
        Some(other) => {
            return Err(err(format!(
                ":time should be a non-negative integer, got {}",
                other.describe()
            )))
        }
    };
    let raw = form.get("value").cloned().unwrap_or(Edn::Nil);
    let (key, value) = match form.get("key") {
        None => match tuple(f, &raw) {
            Some((k, v)) => (Some(edn_text(k)), v.clone()),
            None => (None, raw),
        },
        Some(k @ (Edn::Str(_) | Edn::Int(_) | Edn::Keyword(_))) => {
            let name = match k {
                // A keyword key names itself without its colon, as before.
                Edn::Keyword(k) => k.to_string(),
                k => edn_text(k),
            };
            (Some(name), raw)
        }
        Some(other) => {
            return Err(err(format!(
                ":key should be a string, integer or keyword, got {}",
                other.describe()
            )))
        }
    };
    Ok(Some(Event {
        offset,
        line,
        position,
        process,
        kind,
        f,
        key,
        value: match (kind, value) {
            (EventType::Fail | EventType::Info, Edn::Keyword(_)) => Edn::Nil,
            (_, v) => v,
        },
        time,
    }))
}

/// The history as Jepsen EDN: a vector of operation maps, one event per
/// line in time order (at equal times, invocations first), after a
/// comment stating the semantics. Times go out as `:time` in nanoseconds,
/// except for histories ordered by position only. [`parse`] reads it back
/// as the same history with the same semantics; Jepsen and Knossos read
/// it as a history too.
pub fn to_edn(history: &History) -> String {
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(history.ops.len() * 2);
    for (i, op) in history.ops.iter().enumerate() {
        events.push((op.invoke, false, i));
        if let Some(done) = op.complete {
            events.push((done, true, i));
        }
    }
    events.sort_unstable();
    let kv = history.semantics.model == Model::Kv;
    let mut out = String::with_capacity(events.len() * 80 + 100);
    let s = &history.semantics;
    let _ = write!(
        out,
        "{DIRECTIVE}{{:model :{}, :fail :{}, :nil-read :{}, :initial {}",
        s.model.name(),
        s.fail.name(),
        s.nil_read.name(),
        s.initial
    );
    if !s.registers.is_empty() {
        out.push_str(", :registers {");
        for (i, (r, v)) in s.registers.iter().enumerate() {
            let _ = write!(out, "{}{r} {v}", if i > 0 { ", " } else { "" });
        }
        out.push('}');
    }
    out.push_str("}\n[");
    for (index, (time, completion, i)) in events.into_iter().enumerate() {
        let op = &history.ops[i];
        let kind = match (&op.outcome, completion) {
            (_, false) => "invoke",
            (Outcome::Ok { .. }, true) => "ok",
            (Outcome::Fail, true) => "fail",
            (Outcome::Unknown, true) => "info",
        };
        if index > 0 {
            out.push_str("\n ");
        }
        let _ = write!(
            out,
            "{{:process {}, :type :{kind}, :f :{}",
            op.process,
            op.call.name(kv)
        );
        if let Some(key) = &op.key {
            let _ = write!(out, ", :key {}", Value::Str(key.clone()));
        }
        let value: Option<Cow<str>> = match (&op.call, &op.outcome, completion) {
            (Call::Read, Outcome::Ok { value }, true) => Some(value.to_string().into()),
            (Call::Read, _, _) => Some("nil".into()),
            // An invocation, or an end without results, reads nothing.
            (Call::Txn { ops }, outcome, completion)
                if !(completion && matches!(outcome, Outcome::Ok { .. })) =>
            {
                let unread = Call::Txn {
                    ops: ops
                        .iter()
                        .map(|m| MicroOp {
                            value: if m.write { m.value.clone() } else { Value::Nil },
                            ..m.clone()
                        })
                        .collect(),
                };
                unread.argument().map(Cow::Owned)
            }
            (call, _, _) => call.argument().map(Cow::Owned),
        };
        if let Some(value) = value {
            let _ = write!(out, ", :value {value}");
        }
        match history.time_base {
            TimeBase::Micros => {
                let _ = write!(out, ", :time {}", time.saturating_mul(1000));
            }
            TimeBase::Nanos => {
                let _ = write!(out, ", :time {time}");
            }
            TimeBase::Positions => {}
        }
        if kind == "info" {
            out.push_str(", :error :timed-out");
        }
        let _ = write!(out, ", :index {index}}}");
    }
    out.push_str("]\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const ETCD: &str = "\
INFO  jepsen.util - 0\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:invoke\t:write\t4
INFO  jepsen.util - 0\t:ok\t:read\tnil
INFO  jepsen.util - 2\t:invoke\t:cas\t[4 0]
INFO  jepsen.util - 1\t:info\t:write\t:timed-out
INFO  jepsen.util - 2\t:fail\t:cas\t[4 0]
INFO  jepsen.util - 3\t:invoke\t:read\tnil
";

    #[test]
    fn reads_a_jepsen_etcd_log() {
        assert_eq!(Format::detect(ETCD), Some(Format::JepsenEtcd));
        let h = parse(ETCD, None).unwrap();
        assert_eq!(h.time_base, TimeBase::Positions);
        assert_eq!(h.semantics, Semantics::etcd());
        assert_eq!(h.ops.len(), 4);
        let read = &h.ops[0];
        assert_eq!((read.invoke, read.complete), (1, Some(3)));
        assert_eq!(read.outcome, Outcome::Ok { value: Value::Nil });
        assert_eq!(
            h.ops[1].call,
            Call::Write {
                value: Value::Int(4)
            }
        );
        assert_eq!(h.ops[1].outcome, Outcome::Unknown);
        assert_eq!(
            h.ops[2].call,
            Call::Cas {
                from: Value::Int(4),
                to: Value::Int(0)
            }
        );
        assert_eq!(h.ops[2].outcome, Outcome::Fail);
        // Still open at the end: unknown, never completed.
        assert_eq!(
            (h.ops[3].outcome.clone(), h.ops[3].complete),
            (Outcome::Unknown, None)
        );
    }

    #[test]
    fn reads_porcupine_kv_maps() {
        let text = "\
{:process 0, :type :invoke, :f :append, :key \"0\", :value \"x 0 0 y\"}
{:process 1, :type :invoke, :f :get, :key \"0\", :value nil}
{:process 0, :type :ok, :f :append, :key \"0\", :value \"x 0 0 y\"}
{:process 1, :type :ok, :f :get, :key \"0\", :value \"\"}
";
        let h = parse(text, None).unwrap();
        assert_eq!(h.semantics, Semantics::jepsen(Model::Kv));
        assert_eq!(h.ops.len(), 2);
        assert_eq!(h.ops[0].key.as_deref(), Some("0"));
        assert_eq!(
            h.ops[1].outcome,
            Outcome::Ok {
                value: Value::Str(String::new())
            }
        );
        assert_eq!((h.ops[1].invoke, h.ops[1].complete), (1, Some(3)));
        assert_eq!(h.ops[1].source, 2);
    }

    /// Knossos's shapes: a list, maps across lines, comments between
    /// them, strings with brackets, a record tag, nemesis maps.
    const KNOSSOS: &str = r#"; Value is 0, then a write
({:type :invoke, :f :write, :value 0, :process 0}
 {:type :ok,
  :f :write, :value 0 :process 0}
 ; concurrently
 {:process :nemesis, :type :info, :f :start, :value "isolated #{ [n1] }"}
 #jepsen.history.Op{:type :invoke, :f :cas, :value [0 3], :process 1}
 #_ {:type :invoke, :f :read, :process 9}
 {:type :fail, :f :cas, :value [0 3], :process 1, :error [:cas "\"no\""]}
 {:type :invoke, :f :read, :value nil, :process 2}
 {:type :ok, :f :read, :value 0, :process 2})
"#;

    #[test]
    fn reads_jepsen_edn_collections() {
        assert_eq!(Format::detect(KNOSSOS), Some(Format::Edn));
        let h = parse(KNOSSOS, None).unwrap();
        assert_eq!(h.semantics, Semantics::jepsen(Model::CasRegister));
        assert_eq!(h.time_base, TimeBase::Positions);
        let ops: Vec<(String, u64, Option<u64>, usize)> = h
            .ops
            .iter()
            .map(|o| (o.describe(), o.invoke, o.complete, o.source))
            .collect();
        assert_eq!(
            ops,
            vec![
                ("p0 write 0 ok".into(), 0, Some(1), 2),
                ("p1 cas [0 3] failed".into(), 3, Some(4), 7),
                ("p2 read -> 0".into(), 5, Some(6), 10),
            ]
        );
    }

    #[test]
    fn reads_independent_tuples_transactions_and_mutexes() {
        let tuples = "[{:process 0, :type :invoke, :f :cas, :value [7 [1 2]]}
                       {:process 0, :type :ok, :f :cas, :value [7 [1 2]]}
                       {:process 1, :type :invoke, :f :read, :value [8 nil]}
                       {:process 1, :type :ok, :f :read, :value [8 3]}
                       {:process 2, :type :invoke, :f :cas, :value [1 2]}
                       {:process 2, :type :info, :f :cas, :value :timed-out}]";
        let h = parse(tuples, None).unwrap();
        let keys: Vec<Option<&str>> = h.ops.iter().map(|o| o.key.as_deref()).collect();
        assert_eq!(keys, vec![Some("7"), Some("8"), None]);
        assert_eq!(
            h.ops[1].outcome,
            Outcome::Ok {
                value: Value::Int(3)
            }
        );
        assert_eq!(
            h.ops[2].call,
            Call::Cas {
                from: Value::Int(1),
                to: Value::Int(2)
            }
        );

        let txn = "[{:type :invoke, :f :txn, :value [[:read :x nil] [:write :y 2]], :process 3}
                    {:type :ok, :f :txn, :value [[:read :x 0] [:write :y 2]], :process 3}]";
        let h = parse(txn, None).unwrap();
        assert_eq!(h.semantics.model, Model::MultiRegister);
        assert_eq!(h.describe(0), "p3 txn [[:read :x 0] [:write :y 2]] ok");

        let mutex = "[{:type :invoke, :f :acquire, :process 1, :time 10}
                      {:type :ok, :f :acquire, :process 1, :time 20}]";
        let h = parse(mutex, None).unwrap();
        assert_eq!(h.semantics.model, Model::Mutex);
        assert_eq!(h.time_base, TimeBase::Nanos);
        assert_eq!((h.ops[0].invoke, h.ops[0].complete), (10, Some(20)));
    }

    #[test]
    fn times_that_disagree_with_the_file_order_are_not_used() {
        // Jepsen's threads stamp times before taking the history's lock:
        // the file's order is the real one.
        let text = "[{:type :invoke, :f :read, :process 1, :time 50}
                     {:type :invoke, :f :read, :process 2, :time 40}
                     {:type :ok, :f :read, :value 1, :process 1, :time 60}
                     {:type :ok, :f :read, :value 1, :process 2, :time 60}]";
        let h = parse(text, None).unwrap();
        assert_eq!(h.time_base, TimeBase::Positions);
        // A completion and a later invocation at the same time: ordered in
        // the file, concurrent by time, so the times are not used either.
        let tie = "[{:type :invoke, :f :write, :value 1, :process 1, :time 1}
                    {:type :ok, :f :write, :value 1, :process 1, :time 5}
                    {:type :invoke, :f :read, :process 2, :time 5}
                    {:type :ok, :f :read, :value 1, :process 2, :time 6}]";
        assert_eq!(parse(tie, None).unwrap().time_base, TimeBase::Positions);
    }

    #[test]
    fn options_override_what_the_file_implies() {
        let mut options = ParseOptions {
            model: Some(Model::CasRegister),
            fail: Some(FailReading::CasObserved),
            ..ParseOptions::default()
        };
        options.set_initial("0").unwrap();
        let h = parse_with(KNOSSOS, &options).unwrap();
        assert_eq!(h.semantics.fail, FailReading::CasObserved);
        assert_eq!(h.semantics.initial, Value::Int(0));
        let mut registers = ParseOptions::default();
        registers.set_initial("{:x 0, :y 1}").unwrap();
        assert_eq!(registers.registers.get(":y"), Some(&Value::Int(1)));
        assert!(registers.set_initial("{:x").unwrap_err().contains("column"));
        let e = parse_with(
            KNOSSOS,
            &ParseOptions {
                model: Some(Model::Mutex),
                ..ParseOptions::default()
            },
        )
        .unwrap_err();
        assert!(
            e.message.contains("not an operation of the mutex model"),
            "{e}"
        );
        assert_eq!(e.line, 2);
    }

    #[test]
    fn edn_out_reads_back_the_same() {
        let text = "\
{:process 0, :type :invoke, :f :put, :key \"k\", :value \"a\\\"b\", :time 5}
{:process 1, :type :invoke, :f :get, :key \"k\", :value nil, :time 6}
{:process 0, :type :ok, :f :put, :key \"k\", :value \"a\\\"b\", :time 7}
{:process 1, :type :info, :f :get, :key \"k\", :value nil, :time 9}
{:process 2, :type :invoke, :f :append, :key \"k\", :value \"c\", :time 10}
";
        let h = parse(text, None).unwrap();
        assert_eq!(h.time_base, TimeBase::Nanos);
        assert_eq!((h.ops[1].invoke, h.ops[1].complete), (6, Some(9)));
        let out = to_edn(&h);
        assert!(out.contains("\n[{:process 0"), "a vector: {out}");
        // The same but for the lines they are on.
        let lines = |h: &History| h.ops.iter().map(|o| o.source).collect::<Vec<_>>();
        let mut again = parse(&out, None).unwrap();
        assert_eq!(lines(&again), vec![2, 3, 6]);
        for (a, b) in again.ops.iter_mut().zip(&h.ops) {
            a.source = b.source;
        }
        assert_eq!(again, h);

        // Semantics that differ from the defaults survive the trip.
        let mut etcd = parse(ETCD, None).unwrap();
        let again = parse(&to_edn(&etcd), None).unwrap();
        assert_eq!(again.semantics, Semantics::etcd());
        let calls = |h: &History| {
            h.ops
                .iter()
                .map(|o| (o.process, o.call.clone(), o.outcome.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(calls(&again), calls(&etcd));
        etcd.semantics.initial = Value::Int(3);
        let again = parse(&to_edn(&etcd), None).unwrap();
        assert_eq!(again.semantics.initial, Value::Int(3));

        let txn = "[{:type :invoke, :f :txn, :value [[:read :x nil] [:write :y 2]], :process 3}
                    {:type :ok, :f :txn, :value [[:read :x 0] [:write :y 2]], :process 3}
                    {:type :invoke, :f :acquire, :process 4}]";
        let h = parse_with(
            txn,
            &ParseOptions {
                model: Some(Model::MultiRegister),
                ..ParseOptions::default()
            },
        );
        assert!(h.is_err(), "an acquire is not a transaction");
        let h = parse(
            &txn.replace(":acquire", ":txn, :value [[:write :x 1]]"),
            None,
        )
        .unwrap();
        let out = to_edn(&h);
        assert!(
            out.contains(":type :invoke, :f :txn, :value [[:read :x nil] [:write :y 2]]"),
            "{out}"
        );
        assert_eq!(calls(&parse(&out, None).unwrap()), calls(&h));
    }

    #[test]
    fn malformed_input_names_line_and_column() {
        let cases = [
            (
                "{:process 0, :type :invoke, :f :read}\n{:process 0 :type",
                (2, 18),
                "found the end",
            ),
            (
                "[{:process 0, :type :invoke, :f :read}\n{:process 0 :type :ok :f :read :value 1}",
                (1, 1),
                "unclosed `[`",
            ),
            (
                "{:process 0, :type :ok, :f :read, :value 1}",
                (1, 1),
                "no operation in progress",
            ),
            (
                "{:process 0, :type :invoke, :f :read}\n\n  {:process 0, :type :invoke, :f :read}",
                (3, 3),
                "has not completed",
            ),
            ("{:process 0, :type :invoke, :f :jump}", (1, 1), ":f should be"),
            (
                "{:process 0, :type :invoke, :f :cas, :value 3}",
                (1, 1),
                "[FROM TO]",
            ),
            (
                "{:process 0, :type :invoke, :f :read, :value \"x}",
                (1, 46),
                "unterminated",
            ),
            ("[{:process 0, :type :invoke, :f :read} 3]", (1, 40), "expected a map"),
            ("[{:process 0, :type :invoke, :f :read}] []", (1, 41), "more after"),
            (
                "[{:process 0, :type :invoke, :f :txn, :value [[:append :x 1]]}]",
                (1, 2),
                "Elle",
            ),
            (
                "[{:process 0, :type :invoke, :f :write, :value 1}\n {:process 1, :type :invoke, :f :acquire}]",
                (2, 2),
                "one model per history",
            ),
            ("hello", (1, 1), "cannot tell the format"),
        ];
        for (text, (line, column), message) in cases {
            let e = parse(text, None).unwrap_err();
            assert_eq!((e.line, e.column), (line, column), "{text}: {e}");
            assert!(e.message.contains(message), "{text}: {e}");
        }
        let e = parse(
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - x\t:ok\t:read\t3",
            None,
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 1), "{e}");
        let e = parse("INFO  jepsen.util - 0\t:invoke\t:write\t[1", None).unwrap_err();
        assert_eq!((e.line, e.column), (1, 38), "{e}");
        let e = parse(ETCD, Some(Format::Edn)).unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn nemesis_events_are_skipped_and_an_empty_history_is_fine() {
        let text = "{:process :nemesis, :type :info, :f :start, :value nil}\n\
                    {:process 0, :type :invoke, :f :read, :value nil}";
        let h = parse(text, None).unwrap();
        assert_eq!(h.ops.len(), 1);
        assert_eq!(vec![h.ops[0].source], vec![2]);
        assert_eq!(h.ops[0].invoke, 1, "positions count the nemesis");
        let only_nemesis = "[{:process :nemesis, :type :info, :f :kill}]";
        assert!(parse(only_nemesis, None).unwrap().ops.is_empty());
        assert!(parse("[]", None).unwrap().ops.is_empty());
    }
}
