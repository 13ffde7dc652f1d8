//! # splitbrain-core
//!
//! Deterministic simulation of distributed protocols. No clock, no OS
//! randomness, no IO: a [`Scenario`] (protocol, cluster, seed, timed user
//! actions) runs to the same trace, with the same hash, on every platform.
//!
//! The pieces, from the inside out:
//! - [`protocol::Protocol`]: a node as a sans-IO state machine. It reacts to
//!   start, message, timer and client request, and pushes effects into an
//!   [`protocol::Out`]. It exposes a [`protocol::NodeView`] for display.
//! - [`protocol::Checker`]: a protocol's safety invariants, checked after
//!   every event.
//! - [`cluster::Cluster`]: a protocol's nodes, their messages in flight
//!   and their checker, behind one object-safe trait ([`cluster::Nodes`]
//!   for protocol `P`).
//! - [`sim::Sim`]: the discrete-event simulator, compiled once for every
//!   protocol. It owns time, the [`net::Network`], the seeded [`rng::Rng`]
//!   streams, the clients and the [`trace::Trace`].
//!
//! ```
//! use splitbrain_core::{build, RunOptions, Scenario, ProtocolConfig, Time};
//! use splitbrain_core::protocols::raft::RaftConfig;
//!
//! let scenario = Scenario::new(ProtocolConfig::Raft(RaftConfig::default()), 5, 42);
//! let mut sim = build(&scenario, RunOptions::default()).unwrap();
//! sim.run_until(Time(2_000_000), u64::MAX);
//! assert!(sim.violation().is_none());
//! let again = {
//!     let mut s = build(&scenario, RunOptions::default()).unwrap();
//!     s.run_until(Time(2_000_000), u64::MAX);
//!     s.trace().hash()
//! };
//! assert_eq!(sim.trace().hash(), again);
//! ```

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod check;
pub mod cluster;
pub mod explore;
pub mod gallery;
pub mod id;
pub mod net;
pub mod protocol;
pub mod protocols;
pub mod pvec;
pub mod registry;
pub mod ring;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod time;
pub mod timeline;
pub mod trace;
pub mod vecmap;
pub mod version;

pub use id::{ClientId, MessageId, NodeId, RequestId};
pub use scenario::{Action, ProtocolConfig, Scenario, ScenarioError, TimedAction};
pub use scenario::{Caption, MAX_CAPTIONS, MAX_CAPTION_CHARS};
pub use sim::{build, RunOptions, Sim};
pub use time::{Span, Time};
