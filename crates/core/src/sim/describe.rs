//! Events in words, for an event log: the last few events are kept with
//! their messages' labels (only while someone asks for them) and rendered
//! on demand.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::{OpResult, Sim};
use crate::protocol::Op;
use crate::trace::{DropReason, EventKind, TraceEvent};

/// One recent event, rendered for the event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventLine {
    pub index: u64,
    pub event: TraceEvent,
    pub text: String,
}

/// A recent event: its index in the trace, the event, and the label of the
/// message it concerns.
pub(super) type Recent = (u64, TraceEvent, Option<String>);

impl Sim {
    /// Keeps the last `n` events with their messages, for an event log.
    pub fn set_recent_capacity(&mut self, n: usize) {
        self.recent_capacity = n;
        while self.recent.len() > n {
            self.recent.pop_front();
        }
    }

    /// The last `max` events, newest last, in words.
    pub fn recent_events(&self, max: usize) -> Vec<EventLine> {
        let skip = self.recent.len().saturating_sub(max);
        self.recent
            .iter()
            .skip(skip)
            .map(|(index, event, label)| EventLine {
                index: *index,
                event: *event,
                text: self.describe(event, label.as_deref()),
            })
            .collect()
    }

    fn describe(&self, e: &TraceEvent, label: Option<&str>) -> String {
        let label = label.unwrap_or_default();
        match e.kind {
            EventKind::Send => format!("{} → {}: {label}", e.node, e.peer),
            EventKind::Deliver => format!("{} ← {}: {label}", e.node, e.peer),
            EventKind::Drop => format!(
                "{} → {} dropped ({}): {label}",
                e.peer,
                e.node,
                DropReason::from_tag(e.tag).name(),
            ),
            EventKind::Timer => {
                let name = match self.protocol.facts.user_timer {
                    Some((t, name)) if t == e.tag => name,
                    _ => "timer",
                };
                format!("{}: {name} fired", e.node)
            }
            EventKind::Crash => format!("{} crashed", e.node),
            EventKind::Clock => format!("{}'s clock set: {label}", e.node),
            EventKind::Restart => format!("{} restarted", e.node),
            EventKind::Network => match e.tag {
                0 => String::from("network partitioned"),
                1 => String::from("network healed"),
                2 => format!("link {} → {} cut", e.node, e.peer),
                _ => format!("link {} → {} restored", e.node, e.peer),
            },
            EventKind::ClientInvoke => {
                let op = self.op_by_id(e.arg);
                match op {
                    Some(op) => format!("{} asks {}: {}", op.client, e.node, op.op),
                    None => format!("request r{} reaches {}", e.arg, e.node),
                }
            }
            EventKind::ClientReturn => {
                let op = self.op_by_id(e.arg);
                match op.and_then(|o| o.result.as_ref().map(|r| (o, r))) {
                    Some((op, (_, OpResult::Ok { value }))) => match (&op.op, value) {
                        (Op::Get { .. }, Some(v)) => {
                            format!("{} ← {}: {} = {v:?}", op.client, e.node, op.op)
                        }
                        (Op::Get { .. }, None) => {
                            format!("{} ← {}: {} = nothing", op.client, e.node, op.op)
                        }
                        _ => format!("{} ← {}: {} ok", op.client, e.node, op.op),
                    },
                    Some((op, (_, OpResult::Fail { reason }))) => {
                        format!("{} ← {}: {} failed: {reason}", op.client, e.node, op.op)
                    }
                    Some((op, (_, OpResult::Unknown))) => {
                        format!("{}: {} timed out (outcome unknown)", op.client, op.op)
                    }
                    None => format!("request r{} answered", e.arg),
                }
            }
        }
    }
}
