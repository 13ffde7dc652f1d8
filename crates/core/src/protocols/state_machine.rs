//! The key-value state machine behind the replicated-log protocols (Raft,
//! Multi-Paxos): what a log position holds, and what applying it does.
//! Kept in one place so that both apply a command identically and the
//! checkers can compare one node's store with another's whatever protocol
//! produced it.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::id::RequestId;
use crate::protocol::Op;
use crate::protocols::quorums::Configuration;

/// What one log position asks the state machine to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// Carries no operation: a new leader's entry of its own term (Raft),
    /// or the filler for a hole left by an earlier leader (Multi-Paxos).
    Noop,
    Client {
        request: RequestId,
        op: Op,
    },
    /// A new configuration (Raft's membership changes): it takes effect on
    /// a server as soon as the server appends it, and applying it does
    /// nothing to the key-value store.
    Config(Configuration),
}

impl Command {
    /// A kind byte, then the request id and the operation.
    pub fn wire_size(&self) -> usize {
        1 + match self {
            Command::Noop => 0,
            Command::Client { op, .. } => 8 + op_wire_size(op),
            Command::Config(_) => 8 + 1 + 8,
        }
    }

    /// How the log views show it.
    pub fn label(&self) -> String {
        match self {
            Command::Noop => String::from("noop"),
            Command::Client { op, .. } => format!("{op}"),
            Command::Config(c) => format!("config {}", c.label()),
        }
    }
}

/// A kind byte, then the key (and value) with their lengths.
fn op_wire_size(op: &Op) -> usize {
    1 + match op {
        Op::Get { key } => 4 + key.len(),
        Op::Put { key, value } | Op::Append { key, value } => 8 + key.len() + value.len(),
    }
}

/// The replicated store: key to value, ordered so views and hashes are
/// deterministic.
pub type Store = BTreeMap<String, String>;

/// Applies `op` to `store`, returning what a read saw (writes return
/// nothing).
pub fn apply(store: &mut Store, op: &Op) -> Option<String> {
    match op {
        Op::Get { key } => store.get(key).cloned(),
        Op::Put { key, value } => {
            store.insert(key.clone(), value.clone());
            None
        }
        Op::Append { key, value } => {
            store.entry(key.clone()).or_default().push_str(value);
            None
        }
    }
}

/// The store as the inspector lists it.
pub fn view(store: &Store) -> Vec<(String, String)> {
    store.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}
