//! # Two-phase commit
//!
//! Gray's protocol (1978), as in Bernstein, Hadzilacos and Goodman,
//! "Concurrency Control and Recovery in Database Systems", ch. 7.
//!
//! 1. **Voting.** The coordinator sends `Prepare(T)` to every participant.
//!    A participant votes yes (and from then on is *prepared*: it must be
//!    able to commit, and cannot decide alone) or no (and aborts at once).
//! 2. **Decision.** With every vote yes, the coordinator decides commit;
//!    with any no, or a vote missing when its timeout expires, abort. It
//!    writes the decision to its durable log *before* sending it, so a
//!    coordinator that crashes after deciding still knows on restart.
//!
//! The famous failure is blocking: a prepared participant whose coordinator
//! crashed does not know the outcome and may not guess. It asks the
//! coordinator again and again (it is *in doubt*) until the coordinator
//! comes back. A restarted coordinator with no logged decision for a
//! transaction answers abort ("presumed abort"): it never committed
//! without logging.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::{
    admit, answer, log_entries, node_detail, node_view, participants, vote, CommitInvariants,
    CommitNode,
    Ledger, Stage, Txn, VotePolicy, COORDINATOR,
};
use crate::id::{NodeId, RequestId};
use crate::protocol::{
    ClientRequest, EntryView, NodeDetail, NodeView, Out, Protocol, RoleKind, TimerId,
};
use crate::scenario::ScenarioError;
use crate::time::{Span, Time};

const TICK: TimerId = 0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TwoPhaseConfig {
    pub votes: VotePolicy,
    /// How long the coordinator waits for votes before aborting.
    pub vote_timeout: Span,
    /// How often an in-doubt participant asks the coordinator again.
    pub retry: Span,
}

impl Default for TwoPhaseConfig {
    fn default() -> Self {
        TwoPhaseConfig {
            votes: VotePolicy::default(),
            vote_timeout: Span::from_millis(300),
            retry: Span::from_millis(200),
        }
    }
}

impl TwoPhaseConfig {
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.votes.validate()?;
        if self.vote_timeout.0 == 0 {
            return Err(ScenarioError::new(
                "vote_timeout",
                "must be greater than zero",
            ));
        }
        if self.retry.0 == 0 {
            return Err(ScenarioError::new("retry", "must be greater than zero"));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TwoPhaseMsg {
    Prepare {
        txn: Txn,
    },
    Vote {
        txn: Txn,
        yes: bool,
    },
    Decision {
        txn: Txn,
        commit: bool,
    },
    /// An in-doubt participant asks for the outcome.
    Query {
        txn: Txn,
    },
}

/// A node's stage in one transaction. The coordinator's ledger holds only
/// its decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Local {
    /// Voted yes; waiting for the decision. `since` is when it voted.
    Prepared {
        since: Time,
    },
    Committed,
    Aborted,
}

impl Stage for Local {
    fn voted_yes(self) -> bool {
        matches!(self, Local::Prepared { .. })
    }
    fn outcome(self) -> Option<bool> {
        match self {
            Local::Prepared { .. } => None,
            Local::Committed => Some(true),
            Local::Aborted => Some(false),
        }
    }
}

impl Local {
    fn decided(commit: bool) -> Local {
        if commit {
            Local::Committed
        } else {
            Local::Aborted
        }
    }
}

/// What the coordinator is doing with a transaction it has not decided.
#[derive(Clone, Debug)]
struct Collecting {
    request: RequestId,
    yes: u64,
    deadline: Time,
}

/// What survives a crash: the coordinator's decisions, and each
/// participant's votes and outcomes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TwoPhaseDurable {
    ledger: Ledger<Local>,
    /// The vote a user chose for this participant, overriding the policy.
    vote: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct TwoPhase {
    id: NodeId,
    nodes: usize,
    config: TwoPhaseConfig,
    durable: TwoPhaseDurable,
    collecting: BTreeMap<Txn, Collecting>,
    /// Transactions this participant is prepared in, so timers and views
    /// need not scan every transaction it ever saw.
    open: BTreeSet<Txn>,
    /// The last instant this node handled anything, for "in doubt for".
    seen: Time,
}

impl TwoPhase {
    fn is_coordinator(&self) -> bool {
        self.id == COORDINATOR
    }

    fn begin(&mut self, out: &Out<TwoPhaseMsg>) {
        self.seen = out.now();
    }

    fn decide(&mut self, txn: Txn, commit: bool, why: String, out: &mut Out<TwoPhaseMsg>) {
        // Log first, then send: the decision must survive a crash.
        self.durable.ledger.write(txn, Local::decided(commit));
        out.broadcast(TwoPhaseMsg::Decision { txn, commit });
        if let Some(c) = self.collecting.remove(&txn) {
            out.reply(c.request, answer(commit, why));
        }
    }

    fn learn(&mut self, txn: Txn, commit: bool) {
        if self
            .durable
            .ledger
            .get(txn)
            .and_then(Stage::outcome)
            .is_none()
        {
            self.open.remove(&txn);
            self.durable.ledger.write(txn, Local::decided(commit));
        }
    }

    fn in_doubt(&self) -> impl Iterator<Item = (Txn, Time)> + '_ {
        self.open
            .iter()
            .filter_map(|t| match self.durable.ledger.get(*t) {
                Some(Local::Prepared { since }) => Some((*t, since)),
                _ => None,
            })
    }

    fn arm(&self, out: &mut Out<TwoPhaseMsg>) {
        let wanted = if self.is_coordinator() {
            !self.collecting.is_empty()
        } else {
            self.in_doubt().next().is_some()
        };
        if wanted {
            let period = if self.is_coordinator() {
                // Check deadlines often enough to abort close to them.
                Span((self.config.vote_timeout.0 / 4).max(1))
            } else {
                self.config.retry
            };
            out.set_timer(TICK, period, period);
        }
    }

    /// How a participant's state of the latest transaction reads.
    fn participant_label(&self) -> &'static str {
        match self.durable.ledger.iter().next_back() {
            None => "working",
            Some((_, Local::Committed)) => "committed",
            Some((_, Local::Aborted)) => "aborted",
            Some((_, Local::Prepared { since })) => {
                if self.seen.since(since) >= self.config.retry {
                    "in doubt"
                } else {
                    "prepared"
                }
            }
        }
    }
}

impl CommitNode for TwoPhase {
    type Stage = Local;
    fn ledger(&self) -> &Ledger<Local> {
        &self.durable.ledger
    }
}

impl Protocol for TwoPhase {
    type Config = TwoPhaseConfig;
    type Msg = TwoPhaseMsg;
    type Durable = TwoPhaseDurable;
    type Checker = CommitInvariants;

    const NAME: &'static str = "Two-phase commit";
    const MSG_KINDS: &'static [&'static str] = &["Prepare", "Vote", "Decision", "Query"];
    const USER_TIMER: Option<(TimerId, &'static str)> = None;

    fn recover(
        id: NodeId,
        nodes: usize,
        config: &TwoPhaseConfig,
        durable: TwoPhaseDurable,
    ) -> TwoPhase {
        let open = durable.ledger.undecided().collect();
        TwoPhase {
            id,
            nodes,
            config: config.clone(),
            durable,
            open,
            collecting: BTreeMap::new(),
            seen: Time::ZERO,
        }
    }

    fn durable(&self) -> TwoPhaseDurable {
        self.durable.clone()
    }

    fn on_start(&mut self, out: &mut Out<TwoPhaseMsg>) {
        self.begin(out);
        // A participant that restarts in doubt starts asking at once.
        let doubts: Vec<Txn> = self.in_doubt().map(|(t, _)| t).collect();
        for txn in doubts {
            out.send(COORDINATOR, TwoPhaseMsg::Query { txn });
        }
        self.arm(out);
    }

    fn on_message(&mut self, from: NodeId, msg: TwoPhaseMsg, out: &mut Out<TwoPhaseMsg>) {
        self.begin(out);
        match msg {
            TwoPhaseMsg::Prepare { txn } if !self.is_coordinator() => {
                let yes = match self.durable.ledger.get(txn) {
                    // Already voted: say the same again.
                    Some(Local::Prepared { .. } | Local::Committed) => true,
                    Some(Local::Aborted) => false,
                    None => {
                        let yes = vote(self.durable.vote, &self.config.votes, txn, self.id);
                        let local = if yes {
                            self.open.insert(txn);
                            Local::Prepared { since: out.now() }
                        } else {
                            Local::Aborted
                        };
                        self.durable.ledger.write(txn, local);
                        yes
                    }
                };
                out.send(from, TwoPhaseMsg::Vote { txn, yes });
                self.arm(out);
            }
            TwoPhaseMsg::Vote { txn, yes } if self.is_coordinator() => {
                let Some(c) = self.collecting.get_mut(&txn) else {
                    return; // decided already
                };
                if !yes {
                    self.decide(txn, false, format!("aborted: {from} voted no"), out);
                    return;
                }
                c.yes |= 1u64 << from.0;
                if c.yes == participants(self.nodes) {
                    self.decide(txn, true, String::new(), out);
                }
            }
            TwoPhaseMsg::Decision { txn, commit } if !self.is_coordinator() => {
                self.learn(txn, commit);
            }
            TwoPhaseMsg::Query { txn } if self.is_coordinator() => {
                if let Some(commit) = self.durable.ledger.get(txn).and_then(Stage::outcome) {
                    out.send(from, TwoPhaseMsg::Decision { txn, commit });
                } else if !self.collecting.contains_key(&txn) {
                    // Presumed abort: no logged decision means no commit.
                    self.durable.ledger.write(txn, Local::Aborted);
                    out.send(from, TwoPhaseMsg::Decision { txn, commit: false });
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, _timer: TimerId, out: &mut Out<TwoPhaseMsg>) {
        self.begin(out);
        if self.is_coordinator() {
            let now = out.now();
            let late: Vec<Txn> = self
                .collecting
                .iter()
                .filter(|(_, c)| c.deadline <= now)
                .map(|(t, _)| *t)
                .collect();
            for txn in late {
                let why = String::from("aborted: a vote did not arrive in time");
                self.decide(txn, false, why, out);
            }
        } else {
            let doubts: Vec<Txn> = self.in_doubt().map(|(t, _)| t).collect();
            for txn in doubts {
                out.send(COORDINATOR, TwoPhaseMsg::Query { txn });
            }
        }
        self.arm(out);
    }

    fn on_client_request(&mut self, request: ClientRequest, out: &mut Out<TwoPhaseMsg>) {
        self.begin(out);
        let Some(txn) = admit(self.id, self.nodes, &request, out) else {
            return;
        };
        self.collecting.insert(
            txn,
            Collecting {
                request: request.id,
                yes: 0,
                deadline: out.now() + self.config.vote_timeout,
            },
        );
        out.broadcast(TwoPhaseMsg::Prepare { txn });
        self.arm(out);
    }

    fn view(&self) -> NodeView {
        let (role, role_label) = if self.is_coordinator() {
            (RoleKind::Leader, "coordinator")
        } else {
            (RoleKind::Follower, self.participant_label())
        };
        let in_doubt_since = self.in_doubt().map(|(_, since)| since).min();
        node_view(role, role_label, &self.log_views(), in_doubt_since)
    }

    fn detail(&self) -> NodeDetail {
        let mut fields = Vec::new();
        if self.is_coordinator() {
            for (txn, c) in &self.collecting {
                fields.push((
                    "collecting votes",
                    format!("{txn}: {} of {} yes", c.yes.count_ones(), self.nodes - 1),
                ));
            }
        } else {
            for (txn, since) in self.in_doubt() {
                fields.push((
                    "in doubt",
                    format!("{txn} since {since}, for {}", self.seen.since(since)),
                ));
            }
        }
        node_detail(self.log_views(), fields)
    }

    fn decided(&self) -> u64 {
        self.durable.ledger.decided()
    }

    fn msg_kind(msg: &TwoPhaseMsg) -> u8 {
        match msg {
            TwoPhaseMsg::Prepare { .. } => 0,
            TwoPhaseMsg::Vote { .. } => 1,
            TwoPhaseMsg::Decision { .. } => 2,
            TwoPhaseMsg::Query { .. } => 3,
        }
    }

    fn msg_size(msg: &TwoPhaseMsg) -> usize {
        // Kind byte and transaction id, plus a flag for votes and decisions.
        match msg {
            TwoPhaseMsg::Prepare { .. } | TwoPhaseMsg::Query { .. } => 9,
            TwoPhaseMsg::Vote { .. } | TwoPhaseMsg::Decision { .. } => 10,
        }
    }

    fn msg_label(msg: &TwoPhaseMsg) -> String {
        match msg {
            TwoPhaseMsg::Prepare { txn } => format!("Prepare {txn}"),
            TwoPhaseMsg::Vote { txn, yes } => {
                format!("{} {txn}", if *yes { "Yes" } else { "No" })
            }
            TwoPhaseMsg::Decision { txn, commit } => {
                format!("{} {txn}", if *commit { "Commit" } else { "Abort" })
            }
            TwoPhaseMsg::Query { txn } => format!("Outcome? {txn}"),
        }
    }

    fn votes(&self) -> bool {
        !self.is_coordinator()
    }

    fn set_vote(&mut self, yes: bool) {
        self.durable.vote = Some(yes);
    }
}

impl TwoPhase {
    fn log_views(&self) -> Vec<EntryView> {
        if self.is_coordinator() {
            let label = |s: Local| match s {
                Local::Committed => "commit",
                _ => "abort",
            };
            let collecting = self.collecting.keys().map(|t| (*t, "collecting"));
            log_entries(&self.durable.ledger, label, collecting)
        } else {
            let label = |s: Local| match s {
                Local::Prepared { .. } => "prepared",
                Local::Committed => "committed",
                Local::Aborted => "aborted",
            };
            log_entries(&self.durable.ledger, label, core::iter::empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::ClientId;
    use crate::protocol::{Effect, Op, Outcome};
    use crate::protocols::commit::CommitChecker;
    use alloc::vec;

    fn request(id: u64) -> ClientRequest {
        ClientRequest {
            id: RequestId(id),
            client: ClientId(0),
            op: Op::Put {
                key: "x".into(),
                value: "1".into(),
            },
        }
    }

    fn node(id: u16, config: &TwoPhaseConfig) -> (TwoPhase, Out<TwoPhaseMsg>) {
        let mut n = TwoPhase::new(NodeId(id), 3, config);
        let mut out = Out::new(NodeId(id), 3);
        n.on_start(&mut out);
        (n, out)
    }

    fn replies(out: &Out<TwoPhaseMsg>) -> Vec<Outcome> {
        out.effects()
            .iter()
            .filter_map(|e| match e {
                Effect::Reply { outcome, .. } => Some(outcome.clone()),
                _ => None,
            })
            .collect()
    }

    /// The coordinator commits only with every vote yes, and logs the
    /// decision before anything else can happen to it.
    #[test]
    fn commits_on_unanimous_yes_and_logs_it() {
        let (mut c, mut out) = node(0, &TwoPhaseConfig::default());
        c.on_client_request(request(1), &mut out);
        c.on_message(
            NodeId(1),
            TwoPhaseMsg::Vote {
                txn: Txn(1),
                yes: true,
            },
            &mut out,
        );
        assert!(c.durable.ledger.get(Txn(1)).is_none());
        c.on_message(
            NodeId(2),
            TwoPhaseMsg::Vote {
                txn: Txn(1),
                yes: true,
            },
            &mut out,
        );
        assert_eq!(c.durable().ledger.get(Txn(1)), Some(Local::Committed));
        assert_eq!(replies(&out), vec![Outcome::Ok { value: None }]);
    }

    /// One no vote aborts.
    #[test]
    fn one_no_aborts() {
        let (mut c, mut out) = node(0, &TwoPhaseConfig::default());
        c.on_client_request(request(1), &mut out);
        c.on_message(
            NodeId(2),
            TwoPhaseMsg::Vote {
                txn: Txn(1),
                yes: false,
            },
            &mut out,
        );
        assert_eq!(c.durable.ledger.get(Txn(1)), Some(Local::Aborted));
    }

    /// A participant that voted yes stays prepared across a crash and asks
    /// for the outcome when it restarts.
    #[test]
    fn prepared_survives_crash_and_asks() {
        let (mut p, mut out) = node(1, &TwoPhaseConfig::default());
        p.on_message(COORDINATOR, TwoPhaseMsg::Prepare { txn: Txn(4) }, &mut out);
        let mut back = TwoPhase::recover(NodeId(1), 3, &TwoPhaseConfig::default(), p.durable());
        let mut out = Out::new(NodeId(1), 3);
        back.on_start(&mut out);
        assert!(out.effects().iter().any(|e| matches!(
            e,
            Effect::Send {
                msg: TwoPhaseMsg::Query { txn: Txn(4) },
                ..
            }
        )));
    }

    /// Presumed abort: a restarted coordinator with no decision logged for
    /// a transaction answers abort.
    #[test]
    fn restarted_coordinator_presumes_abort() {
        let (mut c, mut out) = node(0, &TwoPhaseConfig::default());
        c.on_client_request(request(1), &mut out);
        let mut back = TwoPhase::recover(NodeId(0), 3, &TwoPhaseConfig::default(), c.durable());
        let mut out = Out::new(NodeId(0), 3);
        back.on_message(NodeId(1), TwoPhaseMsg::Query { txn: Txn(1) }, &mut out);
        assert_eq!(back.durable.ledger.get(Txn(1)), Some(Local::Aborted));
    }

    /// Atomicity, broken in a crafted state: a participant that logged a
    /// commit the coordinator aborted. The checker names atomicity.
    #[test]
    fn a_commit_against_the_coordinators_abort_breaks_atomicity() {
        use crate::protocol::{Checker, Slot};
        let config = TwoPhaseConfig::default();
        let mut checker = <CommitInvariants as Checker<TwoPhase>>::new(3, &config);
        let mut nodes: Vec<Slot<TwoPhase>> = (0..3)
            .map(|i| Slot::Up(TwoPhase::new(NodeId(i), 3, &config)))
            .collect();
        let mut write = |nodes: &mut Vec<Slot<TwoPhase>>, i: usize, stage: Local| {
            if let Slot::Up(n) = &mut nodes[i] {
                n.durable.ledger.write(Txn(1), stage);
            }
            <CommitInvariants as Checker<TwoPhase>>::check(&mut checker, nodes, NodeId(i as u16))
        };
        for i in 1..3 {
            write(&mut nodes, i, Local::Prepared { since: Time::ZERO }).unwrap();
        }
        write(&mut nodes, 0, Local::Aborted).unwrap();
        let v = write(&mut nodes, 2, Local::Committed).unwrap_err();
        assert_eq!(CommitChecker::INVARIANTS[v.invariant], "atomicity");
        assert_eq!(v.nodes, vec![NodeId(0), NodeId(2)]);
    }
}
