//! # A lock service with leases and fencing tokens
//!
//! The file-system case (Kleppmann, "How to do distributed locking", 2016;
//! Burrows, "The Chubby lock service", 2006). Three kinds of node:
//!
//! - **n0, the lock server**, grants a lease on the lock for `lease`, with a
//!   fencing token one higher than any before. It grants again only once
//!   the lease is released or has expired by its own clock.
//! - **n1, the storage node**, holds one file and its history of versions.
//!   With `fencing` on it rejects any write whose token is lower than one it
//!   has already accepted; with fencing off it accepts everything.
//! - **n2 and up, workers**: a client's `put file=v` (or append) to a
//!   worker makes it take the lock, write to the storage node with its
//!   token, and release the lock. A worker listed in `pauses` stalls for
//!   that long after being granted the lock, as a process does in a long
//!   garbage-collection pause: it cannot notice its lease running out.
//!
//! A paused worker whose lease expired writes anyway. Fencing turns that
//! stale write away; without it the stale write lands after the next
//! holder's, and the file is corrupted. The checker reports it as a
//! violation of "writes land in lease order".
//!
//! The lock server is a single node: its state survives a crash (it is on
//! disk) but nothing replicates it.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::id::{NodeId, RequestId};
use crate::protocol::{
    Checker, ClientRequest, EntryView, NodeDetail, NodeView, Op, Out, Outcome, Protocol, RoleKind,
    Slot, TimerId, Violation,
};
use crate::scenario::ScenarioError;
use crate::time::{Span, Time};

pub const LOCK_SERVER: NodeId = NodeId(0);
pub const STORAGE: NodeId = NodeId(1);

const RETRY: TimerId = 0;
const WAKE: TimerId = 1;

/// A worker that stalls after it is granted the lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pause {
    pub node: NodeId,
    pub pause: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockConfig {
    /// How long a grant lasts, by the lock server's clock.
    pub lease: Span,
    /// Whether the storage node checks fencing tokens.
    pub fencing: bool,
    pub pauses: Vec<Pause>,
}

impl Default for LockConfig {
    fn default() -> Self {
        LockConfig {
            lease: Span::from_secs(1),
            fencing: true,
            pauses: Vec::new(),
        }
    }
}

impl LockConfig {
    pub fn validate(&self, nodes: u16) -> Result<(), ScenarioError> {
        if nodes < 3 {
            return Err(ScenarioError::new(
                "name",
                format!(
                    "the lock service needs at least 3 nodes (lock server, storage, a worker), got {nodes}"
                ),
            ));
        }
        if self.lease.0 == 0 {
            return Err(ScenarioError::new("lease", "must be greater than zero"));
        }
        for (i, p) in self.pauses.iter().enumerate() {
            if p.node.0 < 2 || p.node.0 >= nodes {
                return Err(ScenarioError::new(
                    format!("pauses[{i}].node"),
                    format!("must be a worker, n2 to n{}, got {}", nodes - 1, p.node),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockMsg {
    Acquire,
    Grant { token: u64, until: Time },
    Denied,
    Release { token: u64 },
    Write { token: u64, op: Op },
    Written { accepted: bool },
}

/// One write that reached the storage node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileVersion {
    pub version: u64,
    pub token: u64,
    pub writer: NodeId,
    pub at: Time,
    /// The file's content after the write (unchanged if rejected).
    pub content: String,
    pub accepted: bool,
}

#[derive(Clone, Debug, Default)]
pub struct LockDurable {
    /// Lock server: last token issued and the lease it is under.
    token: u64,
    holder: Option<(NodeId, Time)>,
    /// Storage: the file's history and the highest token accepted.
    history: Vec<FileVersion>,
    highest: u64,
}

#[derive(Clone, Debug)]
enum Work {
    Idle,
    Acquiring {
        request: RequestId,
        op: Op,
    },
    Paused {
        request: RequestId,
        op: Op,
        token: u64,
    },
    Writing {
        request: RequestId,
        token: u64,
    },
}

#[derive(Clone, Debug)]
pub struct LockService {
    id: NodeId,
    config: LockConfig,
    d: LockDurable,
    work: Work,
    done: u64,
}

impl LockService {
    /// The storage node's file history, oldest first.
    pub fn file_history(&self) -> &[FileVersion] {
        &self.d.history
    }

    fn content(&self) -> String {
        self.d
            .history
            .iter()
            .rev()
            .find(|v| v.accepted)
            .map(|v| v.content.clone())
            .unwrap_or_default()
    }

    fn pause(&self) -> Span {
        self.config
            .pauses
            .iter()
            .find(|p| p.node == self.id)
            .map_or(Span::ZERO, |p| p.pause)
    }

    fn write(&mut self, token: u64, op: Op, out: &mut Out<LockMsg>) {
        if let Work::Paused { request, .. } | Work::Acquiring { request, .. } = &self.work {
            self.work = Work::Writing {
                request: *request,
                token,
            };
        }
        out.send(STORAGE, LockMsg::Write { token, op });
    }
}

impl Protocol for LockService {
    type Config = LockConfig;
    type Msg = LockMsg;
    type Durable = LockDurable;
    type Checker = LockChecker;

    const NAME: &'static str = "Lock service";
    const MSG_KINDS: &'static [&'static str] =
        &["Acquire", "Grant", "Denied", "Release", "Write", "Written"];
    const USER_TIMER: Option<(TimerId, &'static str)> = None;

    fn new(id: NodeId, nodes: usize, config: &LockConfig) -> Self {
        Self::recover(id, nodes, config, LockDurable::default())
    }

    fn recover(id: NodeId, _nodes: usize, config: &LockConfig, d: LockDurable) -> Self {
        LockService {
            id,
            config: config.clone(),
            d,
            work: Work::Idle,
            done: 0,
        }
    }

    fn durable(&self) -> LockDurable {
        self.d.clone()
    }

    fn on_start(&mut self, _out: &mut Out<LockMsg>) {}

    fn on_message(&mut self, from: NodeId, msg: LockMsg, out: &mut Out<LockMsg>) {
        match msg {
            LockMsg::Acquire => {
                let now = out.now();
                let free = match self.d.holder {
                    None => true,
                    Some((holder, until)) => holder == from || now >= until,
                };
                if free {
                    self.d.token += 1;
                    let until = now + self.config.lease;
                    self.d.holder = Some((from, until));
                    let token = self.d.token;
                    out.send(from, LockMsg::Grant { token, until });
                } else {
                    out.send(from, LockMsg::Denied);
                }
            }
            LockMsg::Release { token } => {
                if self.d.holder.is_some_and(|(h, _)| h == from) && token == self.d.token {
                    self.d.holder = None;
                }
            }
            LockMsg::Grant { token, .. } => {
                if let Work::Acquiring { request, op } = &self.work {
                    out.cancel_timer(RETRY);
                    let pause = self.pause();
                    if pause.0 > 0 {
                        self.work = Work::Paused {
                            request: *request,
                            op: op.clone(),
                            token,
                        };
                        out.set_timer(WAKE, pause, pause);
                    } else {
                        let op = op.clone();
                        self.write(token, op, out);
                    }
                }
            }
            LockMsg::Denied => {} // the retry timer asks again
            LockMsg::Write { token, op } => {
                let accepted = !self.config.fencing || token >= self.d.highest;
                let mut content = self.content();
                if accepted {
                    match &op {
                        Op::Put { value, .. } => content = value.clone(),
                        Op::Append { value, .. } => content.push_str(value),
                        Op::Get { .. } => {}
                    }
                    self.d.highest = self.d.highest.max(token);
                }
                self.d.history.push(FileVersion {
                    version: self.d.history.len() as u64 + 1,
                    token,
                    writer: from,
                    at: out.now(),
                    content,
                    accepted,
                });
                out.send(from, LockMsg::Written { accepted });
            }
            LockMsg::Written { accepted } => {
                if let Work::Writing { request, token } = self.work {
                    let outcome = if accepted {
                        self.done += 1;
                        Outcome::Ok { value: None }
                    } else {
                        Outcome::Fail {
                            reason: format!(
                                "the storage node rejected fencing token {token}: a newer lease holder has written"
                            ),
                        }
                    };
                    out.reply(request, outcome);
                    out.send(LOCK_SERVER, LockMsg::Release { token });
                    self.work = Work::Idle;
                }
            }
        }
    }

    fn on_timer(&mut self, timer: TimerId, out: &mut Out<LockMsg>) {
        match (timer, &self.work) {
            (RETRY, Work::Acquiring { .. }) => {
                out.send(LOCK_SERVER, LockMsg::Acquire);
                out.set_timer(RETRY, Span::from_millis(100), Span::from_millis(200));
            }
            (WAKE, Work::Paused { op, token, .. }) => {
                // The pause is over. The worker does not know how long it
                // was gone, and writes with the token it holds.
                let (op, token) = (op.clone(), *token);
                self.write(token, op, out);
            }
            _ => {}
        }
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<LockMsg>) {
        let fail = |out: &mut Out<LockMsg>, reason: &str| {
            out.reply(
                request.id,
                Outcome::Fail {
                    reason: String::from(reason),
                },
            )
        };
        if self.id == LOCK_SERVER {
            return fail(
                out,
                "the lock server takes no client operations; ask a worker (n2 and up)",
            );
        }
        if self.id == STORAGE || request.op.is_read() {
            if self.id == STORAGE && request.op.is_read() {
                let value = Some(self.content()).filter(|c| !c.is_empty());
                return out.reply(request.id, Outcome::Ok { value });
            }
            return fail(
                out,
                "reads go to the storage node (n1), writes to a worker (n2 and up)",
            );
        }
        if !matches!(self.work, Work::Idle) {
            return fail(out, "this worker is busy with another write");
        }
        self.work = Work::Acquiring {
            request: request.id,
            op: request.op,
        };
        out.send(LOCK_SERVER, LockMsg::Acquire);
        out.set_timer(RETRY, Span::from_millis(100), Span::from_millis(200));
    }

    fn view(&self) -> NodeView {
        let (role, label) = match (self.id, &self.work) {
            (LOCK_SERVER, _) => (RoleKind::Leader, "lock server"),
            (STORAGE, _) => (RoleKind::Follower, "storage"),
            (_, Work::Idle) => (RoleKind::Follower, "idle"),
            (_, Work::Acquiring { .. }) => (RoleKind::Candidate, "acquiring"),
            (_, Work::Paused { .. }) => (RoleKind::Candidate, "paused"),
            (_, Work::Writing { .. }) => (RoleKind::Candidate, "writing"),
        };
        let term = match (self.id, &self.work) {
            (LOCK_SERVER, _) => self.d.token,
            (STORAGE, _) => self.d.highest,
            (_, Work::Paused { token, .. } | Work::Writing { token, .. }) => *token,
            _ => 0,
        };
        let log: Vec<EntryView> = self.detail().log;
        let len = log.len();
        NodeView {
            role,
            role_label: label,
            term,
            term_label: "token",
            log_len: len as u64,
            commit_index: len as u64,
            log_tail: log.into_iter().skip(len.saturating_sub(8)).collect(),
            leader: Some(LOCK_SERVER),
            in_doubt_since: None,
        }
    }

    /// The storage node's log is the file's history: one entry per write,
    /// its term the fencing token, uncommitted if rejected.
    fn detail(&self) -> NodeDetail {
        let log = self
            .d
            .history
            .iter()
            .map(|v| EntryView {
                index: v.version,
                term: v.token,
                committed: v.accepted,
                label: format!(
                    "{} by {} with token {}: {:?}",
                    if v.accepted { "written" } else { "rejected" },
                    v.writer,
                    v.token,
                    v.content
                ),
            })
            .collect();
        let mut fields = Vec::new();
        match self.id {
            LOCK_SERVER => {
                fields.push(("token", format!("{}", self.d.token)));
                fields.push((
                    "holder",
                    match self.d.holder {
                        Some((n, until)) => format!("{n} until {until}"),
                        None => String::from("none"),
                    },
                ));
            }
            STORAGE => {
                fields.push(("highest token", format!("{}", self.d.highest)));
                fields.push((
                    "fencing",
                    String::from(if self.config.fencing { "on" } else { "off" }),
                ));
            }
            _ => fields.push(("pause", format!("{}", self.pause()))),
        }
        NodeDetail {
            log,
            kv: if self.id == STORAGE {
                vec![(String::from("file"), self.content())]
            } else {
                Vec::new()
            },
            fields,
        }
    }

    fn decided(&self) -> u64 {
        self.done
    }

    fn msg_kind(msg: &LockMsg) -> u8 {
        match msg {
            LockMsg::Acquire => 0,
            LockMsg::Grant { .. } => 1,
            LockMsg::Denied => 2,
            LockMsg::Release { .. } => 3,
            LockMsg::Write { .. } => 4,
            LockMsg::Written { .. } => 5,
        }
    }

    fn msg_size(msg: &LockMsg) -> usize {
        1 + match msg {
            LockMsg::Acquire | LockMsg::Denied => 0,
            LockMsg::Grant { .. } => 16,
            LockMsg::Release { .. } => 8,
            LockMsg::Write { op, .. } => 8 + 8 + op.key().len() + 16,
            LockMsg::Written { .. } => 1,
        }
    }

    fn msg_label(msg: &LockMsg) -> String {
        match msg {
            LockMsg::Acquire => String::from("Acquire"),
            LockMsg::Grant { token, until } => format!("Grant token {token} until {until}"),
            LockMsg::Denied => String::from("Denied"),
            LockMsg::Release { token } => format!("Release {token}"),
            LockMsg::Write { token, op } => format!("Write {op} token {token}"),
            LockMsg::Written { accepted } => {
                String::from(if *accepted { "Written" } else { "Rejected" })
            }
        }
    }
}

/// Writes land in lease order: once a write with token `t` has been
/// accepted, no write with a lower token is. Fencing guarantees it;
/// without fencing a paused worker breaks it.
#[derive(Clone, Debug)]
pub struct LockChecker {
    seen: usize,
    highest: u64,
}

impl Checker<LockService> for LockChecker {
    const INVARIANTS: &'static [&'static str] = &["Writes land in lease order"];

    fn new(_nodes: usize, _config: &LockConfig) -> Self {
        LockChecker {
            seen: 0,
            highest: 0,
        }
    }

    fn check(&mut self, nodes: &[Slot<LockService>], changed: NodeId) -> Result<(), Violation> {
        if changed != STORAGE {
            return Ok(());
        }
        let Some(storage) = nodes[STORAGE.index()].up() else {
            return Ok(());
        };
        let history = storage.file_history();
        for v in history.iter().skip(self.seen) {
            if v.accepted && v.token < self.highest {
                return Err(Violation {
                    invariant: 0,
                    message: format!(
                        "the storage node accepted {}'s write with token {} after a write with token {}: \
                         a lease holder's write was overwritten by a stale one, the file is corrupted",
                        v.writer, v.token, self.highest
                    ),
                    nodes: vec![STORAGE, v.writer],
                    entries: vec![(STORAGE, v.version)],
                });
            }
            if v.accepted {
                self.highest = self.highest.max(v.token);
            }
        }
        self.seen = history.len();
        Ok(())
    }
}
