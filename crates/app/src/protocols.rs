//! The protocols a person can pick, each with the defaults a fresh run of
//! it starts from and the words the page uses for it.
//!
//! The core knows each protocol by its scenario name; this is the app's
//! menu of them, with the broken "naive Paxos" listed as its own entry so
//! that it can be chosen, and named, for what it is.

use splitbrain_core::protocols::commit::three_phase::ThreePhaseConfig;
use splitbrain_core::protocols::commit::two_phase::TwoPhaseConfig;
use splitbrain_core::protocols::multi_paxos::MultiPaxosConfig;
use splitbrain_core::protocols::paxos::{PaxosConfig, PaxosVariant};
use splitbrain_core::protocols::raft::RaftConfig;
use splitbrain_core::ProtocolConfig;

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
}

impl ProtocolChoice {
    /// Menu order: the replicated logs, the commit protocols, then Paxos.
    pub const ALL: [ProtocolChoice; 6] = [
        ProtocolChoice::Raft,
        ProtocolChoice::TwoPhase,
        ProtocolChoice::ThreePhase,
        ProtocolChoice::Paxos,
        ProtocolChoice::NaivePaxos,
        ProtocolChoice::MultiPaxos,
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
        }
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
