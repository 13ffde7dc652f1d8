//! The clients: every operation's line in the history, the requests still
//! pending (with their timeouts and the redirects they follow), the
//! closed-loop workload, and pinned clients that sit next to a home node.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;

use serde::Serialize;

use super::queue::Item;
use super::{event, Sim};
use crate::cluster::Input;
use crate::id::{ClientId, NodeId, RequestId};
use crate::protocol::{ClientRequest, Op, OpDetail, Outcome};
use crate::pvec::PVec;
use crate::time::{Span, Time};
use crate::trace::{stable_hash, EventKind, OutcomeTag};

/// The client id user-issued requests get when the scenario names none.
pub const USER_CLIENT: ClientId = ClientId(1000);

/// A client operation from invocation to completion: one line of the
/// history that consistency checkers read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientOp {
    pub id: RequestId,
    pub client: ClientId,
    pub op: Op,
    /// The node the client first asked.
    pub node: NodeId,
    pub invoke: Time,
    /// When and how it ended; `None` while pending.
    pub result: Option<(Time, OpResult)>,
    /// The node whose answer completed it.
    pub served_by: Option<NodeId>,
    /// Replicas and versions behind the answer, from stores that report them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Box<OpDetail>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OpResult {
    /// It happened; reads carry what they read.
    Ok { value: Option<String> },
    /// It definitely did not happen.
    Fail { reason: String },
    /// Timed out: it may have happened.
    Unknown,
}

#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub history: usize,
    pub workload: Option<u32>,
    /// Redirects followed so far.
    pub hops: u8,
}

#[derive(Clone, Debug, Default)]
pub(super) struct WorkloadClient {
    pub sent: u64,
    pub leader: Option<NodeId>,
}

impl Sim {
    pub(super) fn invoke(
        &mut self,
        node: NodeId,
        client: ClientId,
        op: Op,
        workload: Option<u32>,
    ) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.stats.requests += 1;
        let digest = stable_hash(&op);
        self.history.push(ClientOp {
            id,
            client,
            op,
            node,
            invoke: self.now,
            result: None,
            served_by: None,
            detail: None,
        });
        self.pending.insert(
            id,
            Pending {
                history: self.history.len() - 1,
                workload,
                hops: 0,
            },
        );
        self.push(
            self.now + self.scenario.clients.timeout,
            Item::ClientTimeout { request: id },
        );
        self.record(
            event(EventKind::ClientInvoke, self.now, node, node, id.0, 0),
            digest,
            None,
        );
        self.arrive(node, id, 0);
        id
    }

    /// The request reaches `node` (first try, or after a redirect).
    pub(super) fn arrive(&mut self, node: NodeId, request: RequestId, hops: u8) {
        let Some(pending) = self.pending.get(&request) else {
            return;
        };
        let op = &self.history[pending.history];
        if !self.cluster.is_up(node) {
            let reason = format!("{node} is down");
            self.complete(request, node, OpResult::Fail { reason });
            return;
        }
        let req = ClientRequest {
            id: request,
            client: op.client,
            op: op.op.clone(),
        };
        if hops > 0 {
            self.record(
                event(
                    EventKind::ClientInvoke,
                    self.now,
                    node,
                    node,
                    request.0,
                    hops,
                ),
                0,
                None,
            );
        }
        self.call(node, Input::Request(req));
    }

    pub(super) fn client_reply(&mut self, from: NodeId, request: RequestId, outcome: Outcome) {
        if !self.pending.contains_key(&request) {
            // Answered after the client gave up, or a duplicate answer.
            return;
        }
        match outcome {
            Outcome::Ok { value } => self.complete(request, from, OpResult::Ok { value }),
            Outcome::Fail { reason } => self.complete(request, from, OpResult::Fail { reason }),
            Outcome::Redirect { leader } => {
                let hops = self.pending.get(&request).map_or(0, |p| p.hops);
                let home = self.home(self.pending.get(&request).and_then(|p| p.workload));
                if let (Some(home), Some(next)) = (home, leader) {
                    if !self.network.connected(home, next) {
                        let reason = format!("{next} is out of the client's reach");
                        self.complete(request, from, OpResult::Fail { reason });
                        return;
                    }
                }
                match leader {
                    Some(next) if next != from && hops < self.scenario.clients.redirects => {
                        if let Some(p) = self.pending.get_mut(&request) {
                            p.hops = hops + 1;
                        }
                        let delay = self.network.delay(from, next, &mut self.rng_network);
                        self.push(
                            self.now + delay,
                            Item::ClientArrive {
                                node: next,
                                request,
                                hops: hops + 1,
                            },
                        );
                    }
                    _ => {
                        let reason = String::from("no leader known");
                        self.complete(request, from, OpResult::Fail { reason });
                    }
                }
            }
        }
    }

    /// Files a store's facts about the answer to `request` in its history
    /// line.
    pub(super) fn client_detail(&mut self, request: RequestId, detail: OpDetail) {
        if let Some(p) = self.pending.get(&request) {
            if let Some(op) = self.history.get_mut(p.history) {
                op.detail = Some(Box::new(detail));
            }
        }
    }

    /// The client gave up waiting: the outcome is unknown.
    pub(super) fn client_timeout(&mut self, request: RequestId) {
        if self.pending.contains_key(&request) {
            let node = self
                .pending
                .get(&request)
                .map_or(NodeId(0), |p| self.history[p.history].node);
            self.complete(request, node, OpResult::Unknown);
        }
    }

    fn complete(&mut self, request: RequestId, by: NodeId, result: OpResult) {
        let Some(pending) = self.pending.remove(&request) else {
            return;
        };
        let tag = match &result {
            OpResult::Ok { .. } => {
                self.stats.ok += 1;
                OutcomeTag::Ok
            }
            OpResult::Fail { .. } => {
                self.stats.failed += 1;
                OutcomeTag::Fail
            }
            OpResult::Unknown => {
                self.stats.unknown += 1;
                OutcomeTag::Unknown
            }
        };
        let digest = stable_hash(&match &result {
            OpResult::Ok { value } => value.as_deref(),
            _ => None,
        });
        let entry = self
            .history
            .get_mut(pending.history)
            .expect("a pending operation is in the history");
        entry.result = Some((self.now, result));
        entry.served_by = Some(by);
        self.record(
            event(
                EventKind::ClientReturn,
                self.now,
                by,
                by,
                request.0,
                tag as u8,
            ),
            digest,
            None,
        );
        if let Some(client) = pending.workload {
            if tag == OutcomeTag::Ok {
                self.workload[client as usize].leader = Some(by);
            } else {
                self.workload[client as usize].leader = None;
            }
            if let Some(w) = &self.scenario.workload {
                let think = self
                    .rng_workload
                    .range_inclusive(w.think.min.0, w.think.max.0);
                self.push(self.now + Span(think), Item::ClientNext { client });
            }
        }
    }

    /// The node a pinned workload client sits next to.
    fn home(&self, workload: Option<u32>) -> Option<NodeId> {
        let client = workload?;
        self.scenario
            .clients
            .pinned
            .then(|| NodeId((client as usize % self.cluster.len()) as u16))
    }

    /// Queues every workload client's first operation.
    pub(super) fn start_workload(&mut self) {
        if let Some(w) = &self.scenario.workload {
            self.workload = alloc::vec![WorkloadClient::default(); w.clients as usize];
            let (clients, start, think) = (w.clients, w.start, w.think);
            for c in 0..clients {
                let think = self.rng_workload.range_inclusive(think.min.0, think.max.0);
                self.push(start + Span(think), Item::ClientNext { client: c });
            }
        }
    }

    /// Workload client `client` sends its next operation.
    pub(super) fn workload_next(&mut self, client: u32) {
        let Some(w) = self.scenario.workload.clone() else {
            return;
        };
        if w.stop.is_some_and(|stop| self.now >= stop) {
            return;
        }
        let state = &mut self.workload[client as usize];
        state.sent += 1;
        let seq = state.sent;
        let known = state.leader;
        let key = format!("k{}", self.rng_workload.index(w.keys as usize));
        let roll = self.rng_workload.unit();
        let op = if roll < w.reads {
            Op::Get { key }
        } else if roll < w.reads + (1.0 - w.reads) / 2.0 {
            Op::Put {
                key,
                value: format!("{client}.{seq}"),
            }
        } else {
            Op::Append {
                key,
                value: format!("{client}.{seq};"),
            }
        };
        let node = match known {
            Some(n) => n,
            None => NodeId(self.rng_workload.index(self.cluster.len()) as u16),
        };
        let node = match self.home(Some(client)) {
            Some(home) if !self.network.connected(home, node) => home,
            _ => node,
        };
        self.invoke(node, ClientId(client), op, Some(client));
    }

    /// The client history, in shared chunks ([`PVec`]).
    pub fn history(&self) -> &PVec<ClientOp> {
        &self.history
    }

    /// Request ids are handed out in history order, so an id is its index.
    pub(super) fn op_by_id(&self, id: u64) -> Option<&ClientOp> {
        self.history.get(id as usize).filter(|o| o.id.0 == id)
    }
}
