//! Raft, as the registry lists it.

use super::{Raft, RaftConfig, RaftVariant, ReadPath, DEFAULT_SNAPSHOT_EVERY};
use crate::explore::protocol::{new_search, NewSearch};
use crate::registry::{
    Broken, Capabilities, Clock, Column, Descriptor, ExplorePreset, Facts, Links, OptionKind,
    Preset, ProtocolOption, Registered, Variant, Words,
};
use crate::registry::ProtocolConfig;
use alloc::format;

use crate::id::NodeId;
use crate::scenario::{in_protocol, Scenario, ScenarioError, TimedAction};
use crate::time::{Span, Time};

impl Registered for Raft {
    const DESCRIPTOR: Descriptor = Descriptor {
        id: "raft",
        facts: Facts::of::<Raft>(),
        presets: &[Preset {
            id: "raft",
            label: "Raft",
            board_title: "Raft",
            nodes: 5,
            config: || RaftConfig::default().into(),
            claims: |_| false,
        }],
        can: Capabilities {
            election: Some(|c| RaftConfig::of_mut(c).map(RaftConfig::timing_mut)),
            broken: Some(Broken {
                label: "Run the broken Raft that commits old-term entries by counting (Figure 8)",
                get: |c| {
                    RaftConfig::of(c).is_some_and(|r| r.variant == RaftVariant::CommitOldTermByCount)
                },
                set: |c, broken| {
                    if let Some(r) = RaftConfig::of_mut(c) {
                        r.variant = if broken {
                            RaftVariant::CommitOldTermByCount
                        } else {
                            RaftVariant::Correct
                        };
                    }
                },
            }),
            options: OPTIONS,
            membership: true,
            ..Capabilities::NONE
        },
        words: Words {
            legend: "Follower ○, candidate ◇, leader ▢ (double outline). The label under a node is its role and term (t); squares are its last log entries, filled once committed.",
            progress: "commit index",
            log: "log length",
            in_charge: "leader",
            in_charge_clock: Clock::Term,
            clock_prefix: "t",
            decision: "entry",
        },
        board: &[
            ("role", Column::Role),
            ("term", Column::Term),
            ("commit", Column::CommitIndex),
            ("log", Column::LogLength),
        ],
        // An election, a leader and its first AppendEntries: 7,852 states.
        // With a client write as well (made whenever the explorer chooses),
        // so the log holds a command and not only no-ops: 74,640.
        explore: Some(&[
            ExplorePreset {
                id: "raft",
                label: "Raft (3 nodes)",
                scenario: || Scenario::new(RaftConfig::default().into(), 3, 0),
                max_timers: 2,
                max_in_flight: 4,
                max_crashes: 0,
                links: Links::NONE,
                directed: None,
                first: false,
            },
            ExplorePreset {
                id: "raft-write",
                label: "Raft with a client write (3 nodes)",
                scenario: || one_write(RaftVariant::Correct),
                max_timers: 2,
                max_in_flight: 4,
                max_crashes: 0,
                links: Links::NONE,
                directed: None,
                first: false,
            },
            ExplorePreset {
                id: "raft-figure8-broken",
                label: "Broken Raft that commits old terms by counting, one write (3 nodes, TCP links)",
                scenario: || one_write(RaftVariant::CommitOldTermByCount),
                max_timers: FIGURE_8_TIMERS,
                max_in_flight: FIGURE_8_IN_FLIGHT,
                max_crashes: FIGURE_8_CRASHES,
                links: FIGURE_8_LINKS,
                directed: Some(FIGURE_8_WIDTH),
                first: false,
            },
            ExplorePreset {
                id: "raft-figure8",
                label: "Raft with one write, four elections, three crashes (3 nodes, TCP links)",
                scenario: || one_write(RaftVariant::Correct),
                max_timers: FIGURE_8_TIMERS,
                max_in_flight: FIGURE_8_IN_FLIGHT,
                max_crashes: FIGURE_8_CRASHES,
                links: FIGURE_8_LINKS,
                directed: Some(FIGURE_8_WIDTH),
                first: false,
            },
            ExplorePreset {
                id: "raft-two-removes",
                label: "Raft removing two servers, one per change (4 nodes)",
                scenario: || two_removes(RaftVariant::Correct),
                max_timers: TWO_REMOVES_TIMERS,
                max_in_flight: TWO_REMOVES_IN_FLIGHT,
                max_crashes: 0,
                links: Links::NONE,
                directed: None,
                first: false,
            },
            ExplorePreset {
                id: "raft-two-removes-broken",
                label: "Broken Raft changing membership before committing in its term (4 nodes)",
                scenario: || two_removes(RaftVariant::ChangeBeforeOwnTermCommit),
                max_timers: TWO_REMOVES_TIMERS,
                max_in_flight: TWO_REMOVES_IN_FLIGHT,
                max_crashes: 0,
                links: Links::NONE,
                directed: None,
                first: false,
            },
        ]),
    };

    fn validate(config: &RaftConfig, nodes: u16) -> Result<(), ScenarioError> {
        config.validate().map_err(in_protocol)?;
        if let Some(members) = &config.members {
            if members.is_empty() {
                return Err(ScenarioError::new(
                    "protocol.members",
                    "needs at least one voting member",
                ));
            }
            let mut seen = 0u64;
            for (i, n) in members.iter().enumerate() {
                if n.0 >= nodes {
                    return Err(ScenarioError::new(
                        format!("protocol.members[{i}]"),
                        format!("node {} does not exist: this cluster has nodes 0 to {}", n.0, nodes - 1),
                    ));
                }
                if seen & (1u64 << n.0) != 0 {
                    return Err(ScenarioError::new(
                        format!("protocol.members[{i}]"),
                        format!("{n} is listed twice"),
                    ));
                }
                seen |= 1u64 << n.0;
            }
        }
        Ok(())
    }

    const SEARCH: Option<NewSearch> = Some(new_search::<Raft>);
}

/// The read paths, in the order the settings form lists them.
const READ_PATHS: [ReadPath; 4] = [
    ReadPath::Log,
    ReadPath::ReadIndex,
    ReadPath::Lease,
    ReadPath::LeaderLocal,
];

fn switch(config: &ProtocolConfig, field: fn(&RaftConfig) -> bool) -> usize {
    usize::from(RaftConfig::of(config).is_some_and(field))
}

const OPTIONS: &[ProtocolOption] = &[
    ProtocolOption {
        id: "pre_vote",
        label: "PreVote",
        help: "A server whose election timer fires first asks whether it could win, without raising its term (thesis §9.6).",
        kind: OptionKind::Switch,
        get: |c| switch(c, |r| r.pre_vote),
        set: |c, on| {
            if let Some(r) = RaftConfig::of_mut(c) {
                r.pre_vote = on == 1;
            }
        },
    },
    ProtocolOption {
        id: "check_quorum",
        label: "CheckQuorum",
        help: "A leader that has not heard from a majority within an election timeout steps down, and servers that hear their leader ignore vote requests.",
        kind: OptionKind::Switch,
        get: |c| switch(c, |r| r.check_quorum),
        set: |c, on| {
            if let Some(r) = RaftConfig::of_mut(c) {
                r.check_quorum = on == 1;
            }
        },
    },
    ProtocolOption {
        id: "reads",
        label: "Reads",
        help: "How the leader answers a get: as a log entry, after confirming it still leads (ReadIndex), at once while its lease lasts, or (broken) at once without asking anyone.",
        kind: OptionKind::Choice(&[
            "through the log",
            "ReadIndex",
            "leader lease",
            "leader reads locally (broken)",
        ]),
        get: |c| {
            RaftConfig::of(c)
                .and_then(|r| READ_PATHS.iter().position(|p| *p == r.reads))
                .unwrap_or(0)
        },
        set: |c, choice| {
            if let Some(r) = RaftConfig::of_mut(c) {
                r.reads = READ_PATHS.get(choice).copied().unwrap_or_default();
            }
        },
    },
    ProtocolOption {
        id: "joint",
        label: "Joint consensus",
        help: "Change membership through a joint configuration (old and new majorities both needed) rather than one server at a time.",
        kind: OptionKind::Switch,
        get: |c| switch(c, |r| r.joint),
        set: |c, on| {
            if let Some(r) = RaftConfig::of_mut(c) {
                r.joint = on == 1;
            }
        },
    },
    ProtocolOption {
        id: "snapshot_every",
        label: "Log compaction",
        help: "A server replaces its log's applied prefix with a snapshot every so many applied entries (16 unless the scenario says), and a leader sends its snapshot to a follower that needs a dropped entry (§7).",
        kind: OptionKind::Switch,
        get: |c| switch(c, |r| r.snapshot_every.is_some()),
        set: |c, on| {
            if let Some(r) = RaftConfig::of_mut(c) {
                r.snapshot_every = match (on == 1, r.snapshot_every) {
                    (true, Some(every)) => Some(every),
                    (true, None) => Some(DEFAULT_SNAPSHOT_EVERY),
                    (false, _) => None,
                };
            }
        },
    },
];

// Figure 8 as the explorer can reach it: four elections (the only timer
// firings), three crashes (a crash is how a leader stops sending
// heartbeats, which fire before any election timeout), three messages in
// flight, on links that deliver in order and close when their node
// crashes (TCP), forgetting votes and replies nobody can use any more.
// A directed search finds the 33-step counterexample in these bounds; a
// complete search of them does not finish (tens of millions of states by
// depth 23, growing by a quarter a level): see `tests/explore_raft.rs`.
const FIGURE_8_TIMERS: u8 = 4;
const FIGURE_8_IN_FLIGHT: usize = 3;
const FIGURE_8_CRASHES: u8 = 3;
/// What a level of the directed search keeps: 20,000 states find the
/// counterexample in about a million states seen.
const FIGURE_8_WIDTH: usize = 20_000;
const FIGURE_8_LINKS: Links = Links {
    fifo: true,
    crash_closes: true,
    forget_ignored: true,
};

// The bounds the hand-written schedule in `tests/explore_raft_membership.rs`
// needs (six timer firings, 32 messages in flight at its peak): deeper
// than an exhaustive search of them finishes.
const TWO_REMOVES_TIMERS: u8 = 6;
const TWO_REMOVES_IN_FLIGHT: usize = 32;

/// Four voters and two removals, n3's then n2's, each asked of whoever
/// leads when the explorer makes it (Ongaro's "two removes" case): a
/// leader of term 1 that drops n3 and a leader of term 2 that drops n2,
/// each from {n0..n3}, leave {n0, n1, n2} and {n0, n1, n3}, whose
/// majorities {n0, n2} and {n1, n3} share nobody. One timeout for all
/// (a heartbeat just shorter), so a timer firing moves time the least.
fn two_removes(variant: RaftVariant) -> Scenario {
    let config = RaftConfig {
        election_timeout: crate::scenario::Latency {
            min: Span::from_millis(100),
            max: Span::from_millis(100),
        },
        heartbeat: Span::from_millis(99),
        variant,
        ..RaftConfig::default()
    };
    let mut s = Scenario::new(config.into(), 4, 0);
    for node in [3, 2] {
        s.actions.push(TimedAction {
            at: Time::ZERO + Span::from_millis(1),
            action: crate::scenario::Action::RemoveServer { node: NodeId(node) },
        });
    }
    s
}

/// Three nodes and one client write to n0, made whenever the explorer
/// chooses (it is scheduled after time zero). One entry per message, as in
/// `raft-broken-figure8.json`: with a whole log per message a new leader's
/// no-op travels with the old entries, and an old entry never reaches a
/// majority alone, which is what Figure 8 needs.
fn one_write(variant: RaftVariant) -> Scenario {
    let config = RaftConfig {
        max_batch: 1,
        variant,
        ..RaftConfig::default()
    };
    let mut s = Scenario::new(config.into(), 3, 0);
    s.actions.push(TimedAction::put(
        Time::ZERO + Span::from_millis(1),
        NodeId(0),
        "x",
        "1",
    ));
    s
}
