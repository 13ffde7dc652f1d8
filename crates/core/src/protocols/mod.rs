//! The protocols. Each knows nothing of the simulator or the UI: it
//! implements [`crate::protocol::Protocol`] and its invariants'
//! [`crate::protocol::Checker`], nothing more.

pub mod commit;
pub mod multi_paxos;
pub mod paxos;
pub mod raft;
// --- quorum stores ---
pub mod gossip;
pub mod lock;
pub mod quorum;
