//! The protocol board: every node's state in its protocol's own words, in
//! one table (2PC: working, prepared, in doubt and for how long; Paxos:
//! promised, accepted, chosen; ...), and what the run has cost per
//! decision. Built only from what the protocol exposes for display
//! (`NodeView`, `NodeDetail`) and the run's counters.

use splitbrain_core::protocol::{NodeView, RoleKind};
use splitbrain_core::registry::Column;
use splitbrain_core::{Action, NodeId, Sim, Span, TimedAction};

use crate::protocols::ProtocolChoice;

/// One node's row.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardRow {
    pub node: NodeId,
    pub role: RoleKind,
    pub role_label: &'static str,
    /// One text per [`Board::columns`] entry.
    pub cells: Vec<String>,
    /// A commit participant: the user may choose its vote.
    pub votes: bool,
    /// How it will vote, when that is known: the user's choice, else a
    /// policy that always says the same (`None`: random, or no vote).
    pub vote: Option<bool>,
    /// How long it has been in doubt, live.
    pub in_doubt_for: Option<Span>,
}

/// What the run cost, per decision.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cost {
    /// Decisions learned: committed entries, decided transactions, chosen
    /// values (the most any running node has learned).
    pub decided: u64,
    pub sent: u64,
    pub bytes: u64,
}

impl Cost {
    pub fn messages_per_decision(&self) -> Option<f64> {
        (self.decided > 0).then(|| self.sent as f64 / self.decided as f64)
    }

    pub fn bytes_per_decision(&self) -> Option<f64> {
        (self.decided > 0).then(|| self.bytes as f64 / self.decided as f64)
    }

    /// `12.5 msgs · 410 B per decision`, or why there is no figure yet.
    pub fn summary(&self) -> String {
        match (self.messages_per_decision(), self.bytes_per_decision()) {
            (Some(m), Some(b)) => {
                crate::i18n::tf("{0} msgs · {1} B", &[&one_decimal(m), &(b.round() as u64)])
            }
            _ => crate::i18n::t("nothing decided yet").to_owned(),
        }
    }
}

fn one_decimal(x: f64) -> String {
    let tenths = (x * 10.0).round() as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Board {
    pub choice: ProtocolChoice,
    /// The panel's heading: "Transactions", "Paxos", ...
    pub title: &'static str,
    pub legend: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<BoardRow>,
    pub cost: Cost,
    /// What a decision is called here: `transaction`, `value`, `entry`.
    pub decision: &'static str,
    /// Users may choose participants' votes (the vote column is buttons).
    pub votes: bool,
}

impl Board {
    /// `actions` is the run's action list (the timeline's: a cursor it
    /// drives keeps none), where the user's votes are.
    pub fn of(sim: &Sim, actions: &[TimedAction]) -> Board {
        let choice = crate::protocols::of(&sim.scenario().protocol);
        let protocol = choice.protocol;
        let now = sim.now();
        let stats = sim.stats();
        let cost = Cost {
            decided: sim.decided(),
            sent: stats.sent,
            bytes: stats.bytes,
        };
        let rows = (0..sim.node_count() as u16)
            .map(NodeId)
            .map(|node| {
                let view = sim.node_view(node);
                let up = sim.is_up(node);
                let in_doubt_for = view.in_doubt_since.map(|since| now.since(since));
                // Every node but the coordinator, n0, casts a vote.
                let votes = protocol.can.votes.is_some() && node.0 != 0;
                let cells = protocol
                    .board
                    .iter()
                    .map(|(_, column)| {
                        cell(sim, actions, node, &view, *column, votes, in_doubt_for)
                    })
                    .collect();
                BoardRow {
                    node,
                    role: view.role,
                    role_label: view.role_label,
                    cells,
                    votes: votes && up,
                    vote: if votes {
                        known_vote(sim, actions, node)
                    } else {
                        None
                    },
                    in_doubt_for,
                }
            })
            .collect();
        Board {
            choice,
            title: choice.preset.board_title,
            legend: choice.legend(),
            columns: protocol.board.iter().map(|(heading, _)| *heading).collect(),
            rows,
            cost,
            decision: protocol.words.decision,
            votes: protocol.can.votes.is_some(),
        }
    }

    /// Where the vote column is, if the protocol has one.
    pub fn vote_column(&self) -> Option<usize> {
        self.choice
            .protocol
            .board
            .iter()
            .position(|(_, c)| *c == Column::Vote)
    }
}

/// What one column shows of `node`.
fn cell(
    sim: &Sim,
    actions: &[TimedAction],
    node: NodeId,
    view: &NodeView,
    column: Column,
    votes: bool,
    in_doubt_for: Option<Span>,
) -> String {
    let dash = || "—".to_owned();
    match column {
        Column::Role => view.role_label.to_owned(),
        Column::Term => view.term.to_string(),
        Column::Ballot => format!("b{}", view.term),
        Column::CommitIndex => view.commit_index.to_string(),
        Column::LogLength => view.log_len.to_string(),
        Column::Transaction => view
            .log_tail
            .last()
            .map_or_else(dash, |e| format!("T{}", e.index)),
        Column::Vote if votes => vote_text(sim, actions, node),
        Column::Vote => dash(),
        Column::InDoubtFor => in_doubt_for.map_or_else(String::new, format_span),
        Column::Field(name) => sim
            .node_detail(node)
            .fields
            .into_iter()
            .find(|(k, _)| *k == name)
            .map_or_else(dash, |(_, v)| v),
        Column::Keys | Column::Siblings | Column::Hints => {
            let stored = sim.stored_versions(node);
            let own = stored.iter().filter(|k| k.hint_for.is_none());
            let count = match column {
                Column::Keys => own.count(),
                // A key holding more than one version has siblings:
                // concurrent writes nobody has merged yet.
                Column::Siblings => own.filter(|k| k.versions.len() > 1).count(),
                _ => stored.iter().filter(|k| k.hint_for.is_some()).count(),
            };
            count.to_string()
        }
    }
}

/// The vote the user last chose for `node` in this run, read back from the
/// run's recorded actions (where a replay reads it too).
pub fn user_vote(sim: &Sim, actions: &[TimedAction], node: NodeId) -> Option<bool> {
    actions.iter().rev().find_map(|a| match a.action {
        Action::Vote { node: n, yes } if n == node && a.at <= sim.now() => Some(yes),
        _ => None,
    })
}

/// How `node` will vote, if that is certain.
fn known_vote(sim: &Sim, actions: &[TimedAction], node: NodeId) -> Option<bool> {
    user_vote(sim, actions, node).or_else(|| {
        let policy = sim.scenario().protocol.vote_policy()?;
        if policy.always_no.contains(&node) {
            Some(false)
        } else if policy.no_probability == 0.0 {
            Some(true)
        } else {
            None
        }
    })
}

/// How `node` will vote: the user's choice, else the scenario's policy.
fn vote_text(sim: &Sim, actions: &[TimedAction], node: NodeId) -> String {
    if let Some(yes) = user_vote(sim, actions, node) {
        return if yes {
            crate::i18n::t("yes (your choice)")
        } else {
            crate::i18n::t("no (your choice)")
        }
        .to_owned();
    }
    let Some(policy) = sim.scenario().protocol.vote_policy() else {
        return "—".to_owned();
    };
    if policy.always_no.contains(&node) {
        crate::i18n::t("no (always)").to_owned()
    } else if policy.no_probability > 0.0 {
        crate::i18n::tf(
            "no {0}% of the time",
            &[&((policy.no_probability * 100.0).round() as u64)],
        )
    } else {
        crate::i18n::t("yes").to_owned()
    }
}

/// `1.25 s`, `340 ms`: a duration as the board shows it.
pub fn format_span(span: Span) -> String {
    let ms = span.0 / 1000;
    if ms >= 1000 {
        format!("{}.{:02} s", ms / 1000, (ms % 1000) / 10)
    } else {
        format!("{ms} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_core::{build, RunOptions, Scenario, Time};

    fn load(json: &str) -> Sim {
        let scenario: Scenario = serde_json::from_str(json).unwrap();
        build(&scenario, RunOptions::default()).unwrap()
    }

    #[test]
    fn two_phase_participants_show_how_long_they_have_been_in_doubt() {
        let mut sim = load(include_str!(
            "../../../web/scenarios/two-phase-blocking.json"
        ));
        sim.run_until(Time(2_000_000), u64::MAX);
        let board = Board::of(&sim, &sim.scenario().actions);
        assert_eq!(board.title, "Transactions");
        let n1 = &board.rows[1];
        assert_eq!(n1.role_label, "in doubt");
        // It voted at 110 ms.
        assert_eq!(n1.in_doubt_for, Some(Span(1_890_000)));
        assert_eq!(n1.cells[3], "1.89 s");
        assert!(n1.votes && board.rows[0].cells[2] == "—");
        sim.run_until(Time(2_500_000), u64::MAX);
        assert_eq!(
            Board::of(&sim, &sim.scenario().actions).rows[1].in_doubt_for,
            Some(Span(2_390_000)),
            "live, not as of the node's last event"
        );
    }

    #[test]
    fn paxos_rows_show_promised_accepted_and_chosen() {
        let mut sim = load(include_str!(
            "../../../web/scenarios/paxos-late-proposer.json"
        ));
        sim.run_until(Time(2_000_000), u64::MAX);
        let board = Board::of(&sim, &sim.scenario().actions);
        assert_eq!(board.columns, ["role", "promised", "accepted", "chosen"]);
        for row in &board.rows {
            assert!(row.cells[1].starts_with('b'), "{row:?}");
            assert!(row.cells[2].contains("\"v0\""), "{row:?}");
            assert_eq!(row.cells[3], "\"v0\"");
        }
        assert_eq!(board.cost.decided, 1);
        assert_eq!(
            board.cost.messages_per_decision(),
            Some(sim.stats().sent as f64)
        );
    }

    #[test]
    fn costs_read_per_decision() {
        let cost = Cost {
            decided: 4,
            sent: 50,
            bytes: 1002,
        };
        assert_eq!(cost.summary(), "12.5 msgs · 251 B");
        assert_eq!(Cost::default().summary(), "nothing decided yet");
        assert_eq!(format_span(Span(340_000)), "340 ms");
        assert_eq!(format_span(Span(1_250_000)), "1.25 s");
    }
}
