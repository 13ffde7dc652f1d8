//! The protocols a person can pick, each with the defaults a fresh run of
//! it starts from and the words the page uses for it.
//!
//! The core knows each protocol by its scenario name; this is the app's
//! menu of them, with the broken "naive Paxos" listed as its own entry so
//! that it can be chosen, and named, for what it is.

use splitbrain_core::protocols::commit::three_phase::ThreePhaseConfig;
use splitbrain_core::protocols::commit::two_phase::TwoPhaseConfig;
use splitbrain_core::protocols::gossip::GossipConfig;
use splitbrain_core::protocols::lock::LockConfig;
use splitbrain_core::protocols::multi_paxos::MultiPaxosConfig;
use splitbrain_core::protocols::paxos::{PaxosConfig, PaxosVariant};
use splitbrain_core::protocols::quorum::QuorumConfig;
use splitbrain_core::protocols::raft::RaftConfig;
use splitbrain_core::{NodeId, ProtocolConfig};

use crate::settings::Settings;

/// One entry of the protocol menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolChoice {
    Raft,
    TwoPhase,
    ThreePhase,
    Paxos,
    NaivePaxos,
    MultiPaxos,
    Quorum,
    Gossip,
    LockService,
}

impl ProtocolChoice {
    /// Menu order: the replicated logs, the commit protocols, Paxos, then
    /// the eventually consistent stores.
    pub const ALL: [ProtocolChoice; 9] = [
        ProtocolChoice::Raft,
        ProtocolChoice::TwoPhase,
        ProtocolChoice::ThreePhase,
        ProtocolChoice::Paxos,
        ProtocolChoice::NaivePaxos,
        ProtocolChoice::MultiPaxos,
        ProtocolChoice::Quorum,
        ProtocolChoice::Gossip,
        ProtocolChoice::LockService,
    ];

    /// A stable name for forms, tests and links.
    pub fn id(self) -> &'static str {
        match self {
            ProtocolChoice::Raft => "raft",
            ProtocolChoice::TwoPhase => "two-phase",
            ProtocolChoice::ThreePhase => "three-phase",
            ProtocolChoice::Paxos => "paxos",
            ProtocolChoice::NaivePaxos => "naive-paxos",
            ProtocolChoice::MultiPaxos => "multi-paxos",
            ProtocolChoice::Quorum => "quorum",
            ProtocolChoice::Gossip => "gossip",
            ProtocolChoice::LockService => "lock-service",
        }
    }

    /// As the menu shows it.
    pub fn label(self) -> &'static str {
        match self {
            ProtocolChoice::Raft => "Raft",
            ProtocolChoice::TwoPhase => "Two-phase commit",
            ProtocolChoice::ThreePhase => "Three-phase commit",
            ProtocolChoice::Paxos => "Paxos",
            ProtocolChoice::NaivePaxos => "Naive Paxos: no promise phase",
            ProtocolChoice::MultiPaxos => "Multi-Paxos",
            ProtocolChoice::Quorum => "Quorum store (Dynamo style)",
            ProtocolChoice::Gossip => "Gossip cache (no quorum)",
            ProtocolChoice::LockService => "Lock service: leases and fencing",
        }
    }

    pub fn from_id(id: &str) -> Option<ProtocolChoice> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    /// Which entry a scenario's protocol falls under.
    pub fn of(config: &ProtocolConfig) -> ProtocolChoice {
        match config {
            ProtocolConfig::Raft(_) => ProtocolChoice::Raft,
            ProtocolConfig::TwoPhase(_) => ProtocolChoice::TwoPhase,
            ProtocolConfig::ThreePhase(_) => ProtocolChoice::ThreePhase,
            ProtocolConfig::Paxos(p) if p.variant == PaxosVariant::NaiveNoPromise => {
                ProtocolChoice::NaivePaxos
            }
            ProtocolConfig::Paxos(_) => ProtocolChoice::Paxos,
            ProtocolConfig::MultiPaxos(_) => ProtocolChoice::MultiPaxos,
            ProtocolConfig::Quorum(_) => ProtocolChoice::Quorum,
            ProtocolConfig::Gossip(_) => ProtocolChoice::Gossip,
            ProtocolConfig::LockService(_) => ProtocolChoice::LockService,
        }
    }

    /// The next entry, wrapping around (the `P` key).
    pub fn next(self) -> ProtocolChoice {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// A commit protocol: transactions, votes, a coordinator.
    pub fn is_commit(self) -> bool {
        matches!(self, ProtocolChoice::TwoPhase | ProtocolChoice::ThreePhase)
    }

    /// The settings a fresh run of this protocol starts from. The seed,
    /// the network and the load carry over from `current`; the cluster
    /// size is the protocol's own (a coordinator and three participants
    /// for the commit protocols, five nodes otherwise).
    pub fn settings(self, current: &Settings) -> Settings {
        let (nodes, protocol) = match self {
            ProtocolChoice::Raft => (5, ProtocolConfig::Raft(RaftConfig::default())),
            ProtocolChoice::TwoPhase => (4, ProtocolConfig::TwoPhase(TwoPhaseConfig::default())),
            ProtocolChoice::ThreePhase => {
                (4, ProtocolConfig::ThreePhase(ThreePhaseConfig::default()))
            }
            ProtocolChoice::Paxos => (5, ProtocolConfig::Paxos(PaxosConfig::default())),
            ProtocolChoice::NaivePaxos => (
                5,
                ProtocolConfig::Paxos(PaxosConfig {
                    variant: PaxosVariant::NaiveNoPromise,
                    ..PaxosConfig::default()
                }),
            ),
            ProtocolChoice::MultiPaxos => {
                (5, ProtocolConfig::MultiPaxos(MultiPaxosConfig::default()))
            }
            ProtocolChoice::Quorum => (5, ProtocolConfig::Quorum(QuorumConfig::default())),
            ProtocolChoice::Gossip => (5, ProtocolConfig::Gossip(GossipConfig::default())),
            // --- replicated lock service ---
            // Three lock replicas (n0–n2), the storage node (n3), two
            // workers: the lock table survives a replica's crash.
            ProtocolChoice::LockService => (
                6,
                ProtocolConfig::LockService(LockConfig {
                    replicas: 3,
                    ..LockConfig::default()
                }),
            ),
        };
        Settings {
            nodes,
            protocol,
            // The workload's random clients speak key-value; the commit
            // protocols start transactions on request instead.
            clients: if self.is_commit() { 0 } else { current.clients },
            ..current.clone()
        }
    }

    /// What the roles drawn on the canvas mean, in this protocol's words.
    pub fn legend(self) -> &'static str {
        match self {
            ProtocolChoice::Raft => {
                "Follower ○, candidate ◇, leader ▢ (double outline). The label under a node is its role and term (t); squares are its last log entries, filled once committed."
            }
            ProtocolChoice::TwoPhase => {
                "n0 coordinates (▢); participants are working, prepared (voted yes), in doubt (prepared, and the outcome is late: it may not decide alone), committed or aborted. T is the transaction number."
            }
            ProtocolChoice::ThreePhase => {
                "n0 coordinates (▢); participants are working, uncertain (voted yes), pre-committed (everyone voted yes), committed or aborted; terminating (◇) while they decide without the coordinator. T is the transaction number."
            }
            ProtocolChoice::Paxos | ProtocolChoice::NaivePaxos => {
                "Proposers and acceptors; ◇ a proposer in phase 1 (prepare), ▢ in phase 2 (accept). b is the ballot a node has promised; the square is its accepted value, filled once chosen."
            }
            ProtocolChoice::MultiPaxos => {
                "Acceptors ○, a candidate running phase 1 ◇, the leader ▢ (it skips phase 1 while it leads). b is the ballot; squares are log slots, filled once chosen."
            }
            ProtocolChoice::Quorum => {
                "Every node is a replica; the one a client asks coordinates (its label says so) and waits for R of N replicas on a read, W on a write. The number under a node counts the writes it stored; the inspector lists its versions, with siblings."
            }
            ProtocolChoice::LockService => {
                "n0–n2 replicate the lock table in a Raft-style log (▢ leads; t is the term; squares are grants and releases, filled once committed, and a grant's fencing token is its log index), n3 is the storage node holding the file; the others are workers that take a lease, write with its token, and let it go. The storage node's number is the highest token it accepted, its squares the file's versions, hollow when a stale token was rejected. A single lock server (n0, storage n1) is replicas: 1."
            }
            ProtocolChoice::Gossip => {
                "Every node is a cache that answers from what it holds and gossips its entries to a peer at intervals: always available, converging once gossip gets through. The number under a node counts the writes it stored."
            }
        }
    }

    /// What the inspector calls a node's progress and its log, in this
    /// protocol's words.
    pub fn inspector_words(self) -> (&'static str, &'static str) {
        match self {
            ProtocolChoice::Raft => ("commit index", "log length"),
            ProtocolChoice::TwoPhase | ProtocolChoice::ThreePhase => {
                ("committed transactions", "transactions seen")
            }
            ProtocolChoice::Paxos | ProtocolChoice::NaivePaxos => {
                ("value chosen", "value accepted")
            }
            ProtocolChoice::MultiPaxos => ("chosen slots", "log length"),
            ProtocolChoice::Quorum | ProtocolChoice::Gossip => ("writes stored", "log length"),
            ProtocolChoice::LockService => ("file versions", "file versions"),
        }
    }

    /// The status bar's word for the node in charge, and who it is, from
    /// the leading node and its term or ballot.
    pub fn in_charge(self, leader: Option<(NodeId, u64)>) -> (&'static str, String) {
        let word = match self {
            ProtocolChoice::Raft | ProtocolChoice::MultiPaxos => "leader",
            ProtocolChoice::TwoPhase | ProtocolChoice::ThreePhase => "coordinator",
            ProtocolChoice::Paxos | ProtocolChoice::NaivePaxos => "accepting",
            // Leaderless: any replica coordinates the request it receives.
            ProtocolChoice::Quorum | ProtocolChoice::Gossip => "leader",
            ProtocolChoice::LockService => "lock leader",
        };
        let who = match (self, leader) {
            (_, None) => crate::i18n::t("none").to_owned(),
            (ProtocolChoice::Raft, Some((n, term))) => {
                crate::i18n::tf("n{0} (term {1})", &[&n.0, &term])
            }
            // --- replicated lock service ---
            // A single server's number is its last token, not a term.
            (ProtocolChoice::LockService, Some((n, _))) => format!("n{}", n.0),
            (ProtocolChoice::TwoPhase | ProtocolChoice::ThreePhase, Some((n, _))) => {
                format!("n{}", n.0)
            }
            (_, Some((n, ballot))) => crate::i18n::tf("n{0} (ballot {1})", &[&n.0, &ballot]),
        };
        (word, who)
    }

    /// The short prefix for the logical clock under a node: `t3`, `b12`,
    /// `T5`.
    pub fn clock_prefix(term_label: &str) -> &'static str {
        match term_label {
            "ballot" => "b",
            "txn" => "T",
            _ => "t",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_starts_a_valid_run_and_is_found_again_from_its_config() {
        for choice in ProtocolChoice::ALL {
            let settings = choice.settings(&Settings::default());
            settings
                .scenario()
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", choice.id()));
            assert_eq!(ProtocolChoice::of(&settings.protocol), choice);
            assert_eq!(ProtocolChoice::from_id(choice.id()), Some(choice));
        }
    }

    #[test]
    fn the_one_in_charge_is_named_in_each_protocol_s_words() {
        let lead = Some((NodeId(2), 7));
        assert_eq!(
            ProtocolChoice::Raft.in_charge(lead),
            ("leader", "n2 (term 7)".to_owned())
        );
        assert_eq!(
            ProtocolChoice::TwoPhase.in_charge(lead),
            ("coordinator", "n2".to_owned())
        );
        assert_eq!(
            ProtocolChoice::MultiPaxos.in_charge(lead),
            ("leader", "n2 (ballot 7)".to_owned())
        );
        assert_eq!(ProtocolChoice::Paxos.in_charge(None).1, "none");
    }

    #[test]
    fn next_visits_every_protocol_and_wraps() {
        let mut c = ProtocolChoice::Raft;
        let mut seen = vec![c];
        for _ in 1..ProtocolChoice::ALL.len() {
            c = c.next();
            seen.push(c);
        }
        assert_eq!(seen, ProtocolChoice::ALL.to_vec());
        assert_eq!(c.next(), ProtocolChoice::Raft);
    }
}
