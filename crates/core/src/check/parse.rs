//! Histories in and out: the two formats of the corpus of real Jepsen
//! histories, and Jepsen's EDN for a simulated run.
//!
//! - **jepsen-etcd**: Jepsen's log lines, `INFO  jepsen.util - 3 :ok :cas [1 4]`
//!   (process, type, `:f` and value, separated by tabs).
//! - **EDN** (the corpus calls it porcupine-kv): one map per operation
//!   event, `{:process 0, :type :invoke, :f :append, :key "0", :value "x"}`.
//!   Register histories leave out `:key`. When every event carries
//!   Jepsen's `:time` (nanoseconds) those times order the history; otherwise
//!   the order of the lines does. What [`to_edn`] writes reads back the same.
//!
//! Malformed input is an error with the line it is on, never a panic.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write as _};

use super::history::{Call, History, Operation, Outcome, TimeBase, Value};

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Jepsen's log of its etcd test, one register.
    JepsenEtcd,
    /// Jepsen's EDN maps, as in Porcupine's key-value test data and in what
    /// [`to_edn`] writes.
    PorcupineKv,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::JepsenEtcd, Format::PorcupineKv];

    pub fn name(self) -> &'static str {
        match self {
            Format::JepsenEtcd => "jepsen-etcd",
            Format::PorcupineKv => "porcupine-kv",
        }
    }

    /// The format called `name`; `edn` also names the EDN format.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "jepsen-etcd" => Some(Format::JepsenEtcd),
            "porcupine-kv" | "edn" => Some(Format::PorcupineKv),
            _ => None,
        }
    }

    /// Guesses the format from the first line with anything on it.
    pub fn detect(text: &str) -> Option<Format> {
        let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
        if line.starts_with('{') {
            Some(Format::PorcupineKv)
        } else if line.contains("jepsen.util") || etcd_fields(line).is_some() {
            Some(Format::JepsenEtcd)
        } else {
            None
        }
    }
}

/// What is wrong with a history file, and on which line (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Reads a history; `format: None` detects it.
pub fn parse(text: &str, format: Option<Format>) -> Result<History, ParseError> {
    let format = match format {
        Some(f) => f,
        None => Format::detect(text).ok_or_else(|| {
            let line = text
                .lines()
                .position(|l| !l.trim().is_empty())
                .map_or(1, |i| i + 1);
            error(
                line,
                "cannot tell the format: expected Jepsen EDN maps ({:process 0, :type :invoke, ...}) \
                 or jepsen-etcd log lines (INFO  jepsen.util - 0\t:invoke\t:read\tnil)",
            )
        })?,
    };
    match format {
        Format::JepsenEtcd => parse_etcd(text),
        Format::PorcupineKv => parse_edn(text),
    }
}

// ---- building a history from events --------------------------------------

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

/// Jepsen's `:f`, as written.
fn f_keyword(f: &str) -> Option<&'static str> {
    Some(match f {
        "read" => "read",
        "get" => "get",
        "write" => "write",
        "put" => "put",
        "cas" => "cas",
        "append" => "append",
        _ => return None,
    })
}

/// One event of a history file.
struct Event {
    line: usize,
    process: u64,
    kind: EventType,
    f: &'static str,
    key: Option<String>,
    value: Edn,
    time: Option<u64>,
}

/// Pairs invocations with completions, process by process.
#[derive(Default)]
struct Builder {
    ops: Vec<Operation>,
    /// Per operation: `f`, and the times given for its events.
    f: Vec<&'static str>,
    times: Vec<(Option<u64>, Option<u64>)>,
    open: BTreeMap<u64, usize>,
    lines: usize,
    all_timed: bool,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            all_timed: true,
            ..Builder::default()
        }
    }

    fn push(&mut self, e: Event) -> Result<(), ParseError> {
        self.lines = self.lines.max(e.line);
        self.all_timed &= e.time.is_some();
        match e.kind {
            EventType::Invoke => {
                if let Some(&open) = self.open.get(&e.process) {
                    return Err(error(
                        e.line,
                        format!(
                            "process {} invokes :{} while its :{} from line {} has not completed",
                            e.process, e.f, self.f[open], self.ops[open].source
                        ),
                    ));
                }
                let call = match e.f {
                    "read" | "get" => Call::Read,
                    "write" | "put" => Call::Write {
                        value: value_of(&e.value).map_err(|m| error(e.line, m))?,
                    },
                    "append" => Call::Append {
                        value: value_of(&e.value).map_err(|m| error(e.line, m))?,
                    },
                    _ => match &e.value {
                        Edn::Vector(pair) if pair.len() == 2 => Call::Cas {
                            from: value_of(&pair[0]).map_err(|m| error(e.line, m))?,
                            to: value_of(&pair[1]).map_err(|m| error(e.line, m))?,
                        },
                        other => {
                            return Err(error(
                                e.line,
                                format!("a cas needs [FROM TO], got {}", other.describe()),
                            ))
                        }
                    },
                };
                self.open.insert(e.process, self.ops.len());
                self.f.push(e.f);
                self.times.push((e.time, None));
                self.ops.push(Operation {
                    process: e.process,
                    key: e.key,
                    call,
                    outcome: Outcome::Unknown,
                    invoke: e.line as u64,
                    complete: None,
                    source: e.line,
                });
            }
            kind => {
                let Some(i) = self.open.remove(&e.process) else {
                    return Err(error(
                        e.line,
                        format!(
                            "process {} completes :{} but has no operation in progress",
                            e.process, e.f
                        ),
                    ));
                };
                let op = &mut self.ops[i];
                if self.f[i] != e.f {
                    return Err(error(
                        e.line,
                        format!(
                            "process {} completes :{} but invoked :{} on line {}",
                            e.process, e.f, self.f[i], op.source
                        ),
                    ));
                }
                if op.key != e.key {
                    return Err(error(
                        e.line,
                        format!(
                            "process {} completes on key {} but invoked on key {} (line {})",
                            e.process,
                            key_text(&e.key),
                            key_text(&op.key),
                            op.source
                        ),
                    ));
                }
                op.complete = Some(e.line as u64);
                self.times[i].1 = e.time;
                op.outcome = match kind {
                    EventType::Ok if op.call.is_read() => Outcome::Ok {
                        value: value_of(&e.value).map_err(|m| error(e.line, m))?,
                    },
                    EventType::Ok => Outcome::Ok { value: Value::Nil },
                    EventType::Fail => Outcome::Fail,
                    _ => Outcome::Unknown,
                };
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<History, ParseError> {
        let time_base = if self.all_timed && !self.ops.is_empty() {
            for (op, (invoke, complete)) in self.ops.iter_mut().zip(&self.times) {
                // Present on every event, as `all_timed` says.
                let invoke = invoke.unwrap_or(0);
                if complete.is_some_and(|c| c < invoke) {
                    return Err(error(
                        op.complete.unwrap_or(0) as usize,
                        "completes at a :time before its invocation's",
                    ));
                }
                op.invoke = invoke;
                op.complete = op.complete.and(*complete);
            }
            TimeBase::Nanos
        } else {
            TimeBase::Lines
        };
        // Invocation order, as `History` promises.
        self.ops.sort_by_key(|o| (o.invoke, o.source));
        Ok(History {
            ops: self.ops,
            time_base,
        })
    }
}

fn key_text(key: &Option<String>) -> String {
    match key {
        Some(k) => Value::Str(k.clone()).to_string(),
        None => String::from("(none)"),
    }
}

fn value_of(e: &Edn) -> Result<Value, String> {
    match e {
        Edn::Nil => Ok(Value::Nil),
        Edn::Int(i) => Ok(Value::Int(*i)),
        Edn::Str(s) => Ok(Value::Str(s.clone())),
        other => Err(format!(
            "expected nil, an integer or a string as the value, got {}",
            other.describe()
        )),
    }
}

// ---- jepsen-etcd -----------------------------------------------------------

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

fn parse_etcd(text: &str) -> Result<History, ParseError> {
    let mut b = Builder::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let [process, kind, f, value] = etcd_fields(raw).ok_or_else(|| {
            error(
                line,
                "expected `PROCESS\t:TYPE\t:F\tVALUE` (such as `INFO  jepsen.util - 0\t:invoke\t:read\tnil`)",
            )
        })?;
        if process == ":nemesis" {
            continue;
        }
        let process: u64 = process
            .parse()
            .map_err(|_| error(line, format!("process `{process}` is not a number")))?;
        let kind = EventType::from_keyword(&kind[1..]).ok_or_else(|| {
            error(
                line,
                format!("type `{kind}` is not one of :invoke, :ok, :fail, :info"),
            )
        })?;
        let f = match f_keyword(&f[1..]) {
            Some(f @ ("read" | "write" | "cas")) => f,
            _ => {
                return Err(error(
                    line,
                    format!("`{f}` is not one of :read, :write, :cas"),
                ))
            }
        };
        let mut reader = Reader::new(value, line);
        let value = reader.value()?;
        reader.end()?;
        b.push(Event {
            line,
            process,
            kind,
            f,
            key: None,
            value: match (kind, value) {
                // `:fail :read :timed-out` and `:info :write :timed-out`
                // carry no value; the invocation had it.
                (EventType::Fail | EventType::Info, Edn::Keyword(_)) => Edn::Nil,
                (_, v) => v,
            },
            time: None,
        })?;
    }
    b.finish()
}

// ---- EDN -------------------------------------------------------------------

fn parse_edn(text: &str) -> Result<History, ParseError> {
    let mut b = Builder::new();
    let mut reader = Reader::new(text, 1);
    loop {
        reader.skip_space();
        if reader.at_end() {
            break;
        }
        let line = reader.line;
        let form = reader.value()?;
        let Edn::Map(entries) = form else {
            return Err(error(
                line,
                format!(
                    "expected a map such as {{:process 0, :type :invoke, :f :read, :value nil}}, got {}",
                    form.describe()
                ),
            ));
        };
        if let Some(e) = edn_event(&entries, line)? {
            b.push(e)?;
        }
    }
    b.finish()
}

/// The event a map describes; `None` for events of no client (the
/// nemesis).
fn edn_event(entries: &[(Edn, Edn)], line: usize) -> Result<Option<Event>, ParseError> {
    let get = |name: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, Edn::Keyword(k) if k == name))
            .map(|(_, v)| v)
    };
    let required = |name: &str| get(name).ok_or_else(|| error(line, format!("no :{name}")));
    let process = match required("process")? {
        Edn::Int(p) if *p >= 0 => *p as u64,
        Edn::Keyword(_) => return Ok(None),
        other => {
            return Err(error(
                line,
                format!(
                    ":process should be a non-negative integer, got {}",
                    other.describe()
                ),
            ))
        }
    };
    let kind = match required("type")? {
        Edn::Keyword(k) => EventType::from_keyword(k),
        _ => None,
    }
    .ok_or_else(|| error(line, ":type should be one of :invoke, :ok, :fail, :info"))?;
    let f = match required("f")? {
        Edn::Keyword(k) => f_keyword(k),
        _ => None,
    }
    .ok_or_else(|| {
        error(
            line,
            ":f should be one of :read, :write, :cas, :get, :put, :append",
        )
    })?;
    let key = match get("key") {
        None => None,
        Some(Edn::Str(s)) => Some(s.clone()),
        Some(Edn::Int(i)) => Some(i.to_string()),
        Some(Edn::Keyword(k)) => Some(k.clone()),
        Some(other) => {
            return Err(error(
                line,
                format!(
                    ":key should be a string, integer or keyword, got {}",
                    other.describe()
                ),
            ))
        }
    };
    let time = match get("time") {
        None => None,
        Some(Edn::Int(t)) if *t >= 0 => Some(*t as u64),
        Some(other) => {
            return Err(error(
                line,
                format!(
                    ":time should be a non-negative integer, got {}",
                    other.describe()
                ),
            ))
        }
    };
    let value = get("value").cloned().unwrap_or(Edn::Nil);
    Ok(Some(Event {
        line,
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

/// The EDN values a history uses.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    Keyword(String),
    Symbol(String),
    Vector(Vec<Edn>),
    Map(Vec<(Edn, Edn)>),
}

impl Edn {
    fn describe(&self) -> String {
        match self {
            Edn::Nil => "nil".into(),
            Edn::Bool(b) => format!("{b}"),
            Edn::Int(i) => format!("{i}"),
            Edn::Str(s) => Value::Str(s.clone()).to_string(),
            Edn::Keyword(k) => format!(":{k}"),
            Edn::Symbol(s) => format!("the symbol `{s}`"),
            Edn::Vector(v) => format!("a vector of {}", v.len()),
            Edn::Map(_) => "a map".into(),
        }
    }
}

/// A reader for the part of EDN that histories use: nil, booleans,
/// integers, strings, keywords, symbols, vectors, lists (read as vectors),
/// maps; commas are whitespace and `;` starts a comment.
struct Reader<'t> {
    text: &'t str,
    pos: usize,
    line: usize,
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || "._*+!-?$%&=<>/:#'".contains(c)
}

impl<'t> Reader<'t> {
    fn new(text: &'t str, line: usize) -> Reader<'t> {
        Reader { text, pos: 0, line }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ',' {
                self.bump();
            } else if c == ';' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    /// Nothing but space left.
    fn end(&mut self) -> Result<(), ParseError> {
        self.skip_space();
        match self.peek() {
            None => Ok(()),
            Some(c) => Err(error(
                self.line,
                format!("unexpected `{c}` after the value"),
            )),
        }
    }

    fn value(&mut self) -> Result<Edn, ParseError> {
        self.skip_space();
        let line = self.line;
        let Some(c) = self.peek() else {
            return Err(error(line, "expected a value, found the end"));
        };
        match c {
            '{' => {
                self.bump();
                let items = self.items('}', line)?;
                if items.len() % 2 != 0 {
                    return Err(error(line, "a map needs an even number of forms"));
                }
                let mut map = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    map.push((k, v));
                }
                Ok(Edn::Map(map))
            }
            '[' | '(' => {
                self.bump();
                let close = if c == '[' { ']' } else { ')' };
                Ok(Edn::Vector(self.items(close, line)?))
            }
            '"' => self.string(),
            '}' | ']' | ')' => Err(error(line, format!("unexpected `{c}`"))),
            _ => {
                let start = self.pos;
                while self.peek().is_some_and(is_token_char) {
                    self.bump();
                }
                let token = &self.text[start..self.pos];
                if token.is_empty() {
                    return Err(error(line, format!("unexpected `{c}`")));
                }
                self.token(token, line)
            }
        }
    }

    fn items(&mut self, close: char, line: usize) -> Result<Vec<Edn>, ParseError> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None => {
                    return Err(error(
                        line,
                        format!("unclosed: no `{close}` before the end"),
                    ))
                }
                Some(c) if c == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(_) => items.push(self.value()?),
            }
        }
    }

    fn string(&mut self) -> Result<Edn, ParseError> {
        let line = self.line;
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(error(line, "unterminated string")),
                Some('"') => return Ok(Edn::Str(s)),
                Some('\\') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some(c @ ('"' | '\\')) => s.push(c),
                    Some(c) => return Err(error(self.line, format!("unknown escape `\\{c}`"))),
                    None => return Err(error(line, "unterminated string")),
                },
                Some(c) => s.push(c),
            }
        }
    }

    fn token(&self, token: &str, line: usize) -> Result<Edn, ParseError> {
        if let Some(k) = token.strip_prefix(':') {
            if k.is_empty() {
                return Err(error(line, "empty keyword `:`"));
            }
            return Ok(Edn::Keyword(k.into()));
        }
        match token {
            "nil" => return Ok(Edn::Nil),
            "true" => return Ok(Edn::Bool(true)),
            "false" => return Ok(Edn::Bool(false)),
            _ => {}
        }
        let digits = token.strip_prefix(['-', '+']).unwrap_or(token);
        if digits.starts_with(|c: char| c.is_ascii_digit()) {
            let digits = token.strip_suffix('N').unwrap_or(token);
            return digits.parse::<i64>().map(Edn::Int).map_err(|_| {
                error(
                    line,
                    format!("`{token}` is not an integer that fits 64 bits"),
                )
            });
        }
        Ok(Edn::Symbol(token.into()))
    }
}

// ---- EDN out ---------------------------------------------------------------

/// The history as Jepsen EDN, one event per line in time order (at equal
/// times, invocations first). Times go out as `:time` in nanoseconds, except
/// for histories timed by line numbers. [`parse`] reads it back.
pub fn to_edn(history: &History) -> String {
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(history.ops.len() * 2);
    for (i, op) in history.ops.iter().enumerate() {
        events.push((op.invoke, false, i));
        if let Some(done) = op.complete {
            events.push((done, true, i));
        }
    }
    events.sort_unstable();
    let mut out = String::with_capacity(events.len() * 80);
    for (index, (time, completion, i)) in events.into_iter().enumerate() {
        let op = &history.ops[i];
        let kind = match (&op.outcome, completion) {
            (_, false) => "invoke",
            (Outcome::Ok { .. }, true) => "ok",
            (Outcome::Fail, true) => "fail",
            (Outcome::Unknown, true) => "info",
        };
        let _ = write!(
            out,
            "{{:process {}, :type :{kind}, :f :{}",
            op.process,
            op.call.name(op.key.is_some())
        );
        if let Some(key) = &op.key {
            let _ = write!(out, ", :key {}", Value::Str(key.clone()));
        }
        let _ = match (&op.call, &op.outcome, completion) {
            (Call::Read, Outcome::Ok { value }, true) => write!(out, ", :value {value}"),
            (Call::Read, _, _) => write!(out, ", :value nil"),
            (Call::Write { value } | Call::Append { value }, _, _) => {
                write!(out, ", :value {value}")
            }
            (Call::Cas { from, to }, _, _) => write!(out, ", :value [{from} {to}]"),
        };
        match history.time_base {
            TimeBase::Micros => {
                let _ = write!(out, ", :time {}", time.saturating_mul(1000));
            }
            TimeBase::Nanos => {
                let _ = write!(out, ", :time {time}");
            }
            TimeBase::Lines => {}
        }
        if kind == "info" {
            out.push_str(", :error :timed-out");
        }
        let _ = writeln!(out, ", :index {index}}}");
    }
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
        assert_eq!(h.time_base, TimeBase::Lines);
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
        assert_eq!(h.ops.len(), 2);
        assert_eq!(h.ops[0].key.as_deref(), Some("0"));
        assert_eq!(
            h.ops[1].outcome,
            Outcome::Ok {
                value: Value::Str(String::new())
            }
        );
        assert_eq!((h.ops[1].invoke, h.ops[1].complete), (2, Some(4)));
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
        let again = parse(&to_edn(&h), Some(Format::PorcupineKv)).unwrap();
        assert_eq!(again, h);
    }

    #[test]
    fn malformed_input_names_the_line() {
        let cases = [
            (
                "{:process 0, :type :invoke, :f :read}\n{:process 0 :type",
                2,
                "unclosed",
            ),
            (
                "{:process 0, :type :ok, :f :read, :value 1}",
                1,
                "no operation in progress",
            ),
            (
                "{:process 0, :type :invoke, :f :read}\n\n{:process 0, :type :invoke, :f :read}",
                3,
                "has not completed",
            ),
            ("{:process 0, :type :invoke, :f :jump}", 1, ":f should be"),
            (
                "{:process 0, :type :invoke, :f :cas, :value 3}",
                1,
                "[FROM TO]",
            ),
            (
                "{:process 0, :type :invoke, :f :read, :value \"x}",
                1,
                "unterminated",
            ),
            ("hello", 1, "cannot tell the format"),
        ];
        for (text, line, message) in cases {
            let e = parse(text, None).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.message.contains(message), "{text}: {e}");
        }
        let e = parse(
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - x\t:ok",
            None,
        )
        .unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse(ETCD, Some(Format::PorcupineKv)).unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn nemesis_events_are_skipped() {
        let text = "{:process :nemesis, :type :info, :f :start, :value nil}\n\
                    {:process 0, :type :invoke, :f :read, :value nil}";
        let h = parse(text, None).unwrap();
        assert_eq!(h.ops.len(), 1);
        assert_eq!(vec![h.ops[0].source], vec![2]);
    }
}
