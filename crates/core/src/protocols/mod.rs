//! The protocols, and the one list that registers them. Each knows nothing
//! of the simulator or the UI: it implements [`crate::protocol::Protocol`]
//! and its invariants' [`crate::protocol::Checker`], and describes itself
//! to the rest in one [`crate::registry::Descriptor`].
//!
//! Adding a protocol is its folder plus one line below. A protocol's place
//! in the list is its permalink tag, so the list only ever grows at the end.

pub mod election;
pub mod quorums;
pub mod state_machine;

crate::registry::registry! {
    mod raft { Raft("raft") => Raft }
    mod commit {
        TwoPhase("two-phase") => two_phase::TwoPhase,
        ThreePhase("three-phase") => three_phase::ThreePhase,
    }
    mod paxos { Paxos("paxos") => Paxos }
    mod multi_paxos { MultiPaxos("multi-paxos") => MultiPaxos }
    mod quorum { Quorum("quorum") => Quorum }
    mod gossip { Gossip("gossip") => Gossip }
    mod lock { LockService("lock-service") => LockService }
}
