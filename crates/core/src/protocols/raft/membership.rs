//! Membership changes (Ongaro's thesis, chapter 4): which servers vote,
//! and how a leader changes that set.
//!
//! A configuration is a log entry ([`Command::Config`]). A server goes by
//! the last one in its log as soon as it appends it, committed or not
//! (§4.1), so a truncated log can take a server back to an older one.
//! Servers outside their own configuration (spares not yet added, servers
//! removed) never start an election; they still answer votes and accept
//! entries, as the thesis has them.
//!
//! - **One server at a time** (§4.1): any majority of the old set and any
//!   majority of a set one server larger or smaller overlap, so the leader
//!   may switch directly. It starts a change only once the last one is
//!   committed, and only once it has committed an entry of its own term;
//!   without that second rule (the bug Ongaro reported on raft-dev in
//!   2015, [`RaftVariant::ChangeBeforeOwnTermCommit`]) two leaders of
//!   different terms can each make a change from the same configuration,
//!   the two results differ by two servers, their majorities need not
//!   overlap, and two leaders can be elected in one term.
//! - **Joint consensus** (§4.3): the leader first appends C_old,new, under
//!   which elections and commitment need a majority of both sets; once
//!   that is committed it appends C_new.
//!
//! A leader that is not in the configuration it commits steps down then
//! (§4.2.2). Until then it manages the cluster without counting itself.

use alloc::vec::Vec;

use super::{Command, Entry, LogIndex, Raft, RaftMsg, RaftVariant, Role};
use crate::id::NodeId;
use crate::protocol::{MemberChange, MembersView, Out};
use crate::protocols::quorums::Configuration;
use crate::pvec::PVec;

/// The configurations in a server's log, and the one it starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Configurations {
    /// The configuration before the log's first entry: the scenario's
    /// members, or the one a snapshot holds.
    initial: Configuration,
    /// The index of the entry that made `initial`: 0 for the scenario's,
    /// else at most the snapshot's index.
    initial_index: LogIndex,
    /// Every configuration entry in the log, by index, oldest first. Few:
    /// one per change.
    entries: Vec<(LogIndex, Configuration)>,
    /// Every slot votes and no change was ever made: the common case,
    /// which keeps Figure 2's arithmetic (a count per entry, no scans).
    pub(crate) everyone: bool,
    all: u64,
}

impl Configurations {
    pub(crate) fn new(initial: Configuration, nodes: usize) -> Configurations {
        let all = if nodes >= 64 {
            u64::MAX
        } else {
            (1u64 << nodes) - 1
        };
        Configurations {
            initial,
            initial_index: 0,
            entries: Vec::new(),
            everyone: initial == Configuration::simple(all),
            all,
        }
    }

    /// The configuration in force: the last in the log.
    pub(crate) fn current(&self) -> &Configuration {
        self.entries.last().map_or(&self.initial, |(_, c)| c)
    }

    /// The configuration entries in the log, oldest first.
    pub(crate) fn entries(&self) -> &[(LogIndex, Configuration)] {
        &self.entries
    }

    /// The index of the entry that holds it (0: the scenario's).
    pub(crate) fn index(&self) -> LogIndex {
        self.entries.last().map_or(self.initial_index, |(i, _)| *i)
    }

    /// The configuration in force at `index` and the index of its entry.
    pub(crate) fn at(&self, index: LogIndex) -> (LogIndex, Configuration) {
        self.entries
            .iter()
            .rev()
            .find(|(i, _)| *i <= index)
            .copied()
            .unwrap_or((self.initial_index, self.initial))
    }

    /// The log up to `index` became a snapshot, `config` the configuration
    /// in force there.
    pub(crate) fn compacted(&mut self, index: LogIndex, config: (LogIndex, Configuration)) {
        (self.initial_index, self.initial) = config;
        self.entries.retain(|(i, _)| *i > index);
    }

    /// A leader's snapshot up to `index`, holding `config`, replaced the
    /// log's prefix; `log` is what was kept after it.
    pub(crate) fn replaced(
        &mut self,
        config: (LogIndex, Configuration),
        log: &PVec<Entry>,
        index: LogIndex,
    ) {
        (self.initial_index, self.initial) = config;
        self.entries = configs_in(log, index);
        self.refresh();
    }

    /// The configuration in force just before `index`.
    pub(crate) fn before(&self, index: LogIndex) -> &Configuration {
        self.entries
            .iter()
            .rev()
            .find(|(i, _)| *i < index)
            .map_or(&self.initial, |(_, c)| c)
    }

    fn refresh(&mut self) {
        self.everyone = *self.current() == Configuration::simple(self.all);
    }

    /// Notes that the log now holds `config` at `index`.
    pub(crate) fn appended(&mut self, index: LogIndex, config: Configuration) {
        self.entries.push((index, config));
        self.refresh();
    }

    /// Forgets the configurations the log no longer holds: it was cut to
    /// `len` entries.
    pub(crate) fn truncated(&mut self, len: LogIndex) {
        if self.entries.last().is_some_and(|(i, _)| *i > len) {
            self.entries.retain(|(i, _)| *i <= len);
            self.refresh();
        }
    }
}

/// The configuration entries of `log`, whose first entry is at `after + 1`.
pub(crate) fn configs_in(log: &PVec<Entry>, after: LogIndex) -> Vec<(LogIndex, Configuration)> {
    log.iter()
        .enumerate()
        .filter_map(|(i, e)| match &*e.command {
            Command::Config(c) => Some((after + i as LogIndex + 1, *c)),
            _ => None,
        })
        .collect()
}

impl Raft {
    pub(crate) fn conf(&self) -> &Configuration {
        self.configs.current()
    }

    /// Notes a configuration entry just written at `index`: it takes
    /// effect now.
    pub(crate) fn note_entry(&mut self, index: LogIndex) {
        if let Command::Config(c) = &*self.entry(index).command {
            let c = *c;
            self.configs.appended(index, c);
        }
    }

    /// Whether this server votes in its own configuration, and so may
    /// campaign.
    pub(crate) fn is_voter(&self) -> bool {
        self.configs.everyone || self.conf().contains(self.id)
    }

    /// The servers a leader sends entries to (itself included): the
    /// configuration's, and while a removal is uncommitted, the removed
    /// server too, so it learns it was removed and stops campaigning.
    pub(crate) fn replicas(&self) -> u64 {
        if self.configs.everyone {
            return u64::MAX;
        }
        let index = self.configs.index();
        let mut servers = self.conf().servers();
        if index > self.commit {
            servers |= self.configs.before(index).servers();
        }
        servers
    }

    /// Whether a set of servers (a bitmask) may elect or commit.
    pub(crate) fn is_quorum(&self, set: u64) -> bool {
        if self.configs.everyone {
            set.count_ones() as usize >= self.majority()
        } else {
            self.conf().quorum(set)
        }
    }

    /// The highest index a quorum of the configuration is known to hold,
    /// from the match indexes: the scan the count per entry spares the
    /// common case.
    pub(crate) fn quorum_index(&self) -> LogIndex {
        let servers = self.conf().servers();
        let holding = |index: LogIndex| {
            (0..self.nodes)
                .filter(|&s| servers & (1u64 << s) != 0 && self.match_index[s] >= index)
                .fold(0u64, |set, s| set | 1u64 << s)
        };
        let mut best = self.commit;
        for s in 0..self.nodes {
            let index = self.match_index[s];
            if servers & (1u64 << s) != 0 && index > best && self.conf().quorum(holding(index)) {
                best = index;
            }
        }
        best
    }

    /// A user's request to add or remove a server. One request waits at
    /// a time, until the leader may start it.
    pub(crate) fn request_change(&mut self, change: MemberChange, out: &mut Out<RaftMsg>) {
        if self.role != Role::Leader || self.pending.is_some() {
            return;
        }
        self.pending = Some(change);
        self.continue_changes(out);
    }

    /// After the leader's commit index moved (or a request came): finish a
    /// joint change, step down if the committed configuration left this
    /// server out, and start a waiting request if it may.
    pub(crate) fn continue_changes(&mut self, out: &mut Out<RaftMsg>) {
        if self.role != Role::Leader || self.configs.index() > self.commit {
            return;
        }
        let conf = *self.conf();
        if let Some(new) = conf.new {
            // C_old,new is committed: now C_new alone.
            self.append_config(Configuration::simple(new), out);
            return;
        }
        if !conf.contains(self.id) {
            self.step_down(self.term, out);
            return;
        }
        // §4.1, as corrected in 2015: not before an entry of this term is
        // committed.
        let own_term_committed = self.term_at(self.commit) == self.term;
        if !own_term_committed && self.config.variant != RaftVariant::ChangeBeforeOwnTermCommit {
            return;
        }
        let Some(change) = self.pending.take() else {
            return;
        };
        let bit = 1u64 << change.server().0;
        let target = match change {
            MemberChange::Add(_) => conf.old | bit,
            MemberChange::Remove(_) => conf.old & !bit,
        };
        if target == conf.old || target == 0 {
            return; // already so, or no voter would be left
        }
        let next = if self.config.joint {
            Configuration {
                old: conf.old,
                new: Some(target),
            }
        } else {
            Configuration::simple(target)
        };
        self.append_config(next, out);
    }

    fn append_config(&mut self, config: Configuration, out: &mut Out<RaftMsg>) {
        let before = self.replicas();
        let index = self.append(Command::Config(config));
        let added = self.replicas() & !before;
        for peer in 0..self.nodes {
            if peer == self.id.index() || self.replicas() & (1u64 << peer) == 0 {
                continue;
            }
            if added & (1u64 << peer) != 0 {
                // New to this leader's care: start at the new entry and
                // back up from there.
                self.next_index[peer] = index;
                self.match_index[peer] = 0;
            }
            if self.next_index[peer] == index {
                self.replicate(NodeId(peer as u16), out);
            }
        }
        self.advance_commit(out);
    }

    pub(crate) fn members_view(&self) -> MembersView {
        let conf = self.conf();
        MembersView {
            members: conf.old,
            joining: conf.new,
            committed: self.configs.index() <= self.commit,
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::sync::Arc;
    use alloc::vec;
    use alloc::vec::Vec;

    use super::super::{Entry, RaftChecker, RaftConfig, RaftDurable, Term, ELECTION};
    use super::*;
    use crate::protocol::{Checker, Protocol, Slot};

    fn config_entry(term: Term, voters: u64) -> Entry {
        Entry {
            term,
            command: Arc::new(Command::Config(Configuration::simple(voters))),
        }
    }

    fn noop(term: Term) -> Entry {
        Entry {
            term,
            command: Arc::new(Command::Noop),
        }
    }

    fn server(id: u16, log: Vec<Entry>, config: &RaftConfig) -> Raft {
        let durable = RaftDurable::new(1, None, log.into());
        Raft::recover(NodeId(id), 5, config, durable)
    }

    /// n0 leads term 2 of five voters with votes from n1 and n2; its no-op
    /// is not yet acknowledged.
    fn new_leader(variant: RaftVariant) -> (Raft, Out<RaftMsg>) {
        let config = RaftConfig {
            variant,
            ..RaftConfig::default()
        };
        let mut raft = server(0, vec![noop(1)], &config);
        let mut out = Out::new(NodeId(0), 5);
        raft.on_start(&mut out);
        raft.on_timer(ELECTION, &mut out);
        for voter in [1, 2] {
            raft.on_message(
                NodeId(voter),
                RaftMsg::Vote {
                    term: 2,
                    granted: true,
                },
                &mut out,
            );
        }
        assert_eq!(raft.role, Role::Leader);
        (raft, out)
    }

    fn acked(raft: &mut Raft, from: u16, index: LogIndex, out: &mut Out<RaftMsg>) {
        raft.on_message(
            NodeId(from),
            RaftMsg::AppendReply {
                term: raft.term,
                success: true,
                index,
                round: Default::default(),
            },
            out,
        );
    }

    /// §4.1 as corrected in 2015: a new leader does not change the
    /// configuration before an entry of its own term is committed; the
    /// request waits and starts once the no-op commits.
    #[test]
    fn a_change_waits_for_an_entry_of_the_leaders_term() {
        let (mut raft, mut out) = new_leader(RaftVariant::Correct);
        raft.reconfigure(MemberChange::Remove(NodeId(4)), &mut out);
        assert_eq!(raft.configs.index(), 0, "no configuration entry yet");
        assert_eq!(raft.pending, Some(MemberChange::Remove(NodeId(4))));
        acked(&mut raft, 1, 2, &mut out);
        acked(&mut raft, 2, 2, &mut out);
        assert_eq!(raft.commit, 2, "the no-op of term 2 is committed");
        assert_eq!(raft.configs.index(), 3, "then the change is appended");
        assert_eq!(*raft.conf(), Configuration::simple(0b01111));
        assert_eq!(raft.pending, None);
    }

    #[test]
    fn the_broken_variant_changes_at_once() {
        let (mut raft, mut out) = new_leader(RaftVariant::ChangeBeforeOwnTermCommit);
        raft.reconfigure(MemberChange::Remove(NodeId(4)), &mut out);
        assert_eq!(raft.commit, 0);
        assert_eq!(raft.configs.index(), 3);
        assert_eq!(*raft.conf(), Configuration::simple(0b01111));
    }

    /// One change at a time: a second request waits until the first is
    /// committed, under the new configuration's majority.
    #[test]
    fn one_change_at_a_time() {
        let (mut raft, mut out) = new_leader(RaftVariant::Correct);
        acked(&mut raft, 1, 2, &mut out);
        acked(&mut raft, 2, 2, &mut out);
        raft.reconfigure(MemberChange::Remove(NodeId(4)), &mut out);
        assert_eq!(raft.configs.index(), 3);
        raft.reconfigure(MemberChange::Remove(NodeId(3)), &mut out);
        assert_eq!(raft.pending, Some(MemberChange::Remove(NodeId(3))), "it waits");
        raft.reconfigure(MemberChange::Remove(NodeId(1)), &mut out);
        assert_eq!(
            raft.pending,
            Some(MemberChange::Remove(NodeId(3))),
            "one request waits at a time: a third is dropped"
        );
        assert_eq!(raft.configs.index(), 3);
        acked(&mut raft, 1, 3, &mut out);
        assert_eq!(raft.commit, 2, "{{n0, n1}} is not a majority of {{n0..n3}}");
        acked(&mut raft, 2, 3, &mut out);
        assert_eq!(raft.commit, 3);
        assert_eq!(*raft.conf(), Configuration::simple(0b00111));
    }

    /// A follower goes by a configuration as soon as it appends it, and
    /// back to the one before when a new leader cuts it off.
    #[test]
    fn a_configuration_takes_effect_when_appended_and_goes_with_its_entry() {
        let config = RaftConfig::default();
        let mut raft = server(1, vec![noop(1)], &config);
        let mut out = Out::new(NodeId(1), 5);
        raft.on_start(&mut out);
        let ae = |term, prev_index, prev_term, entries| {
            RaftMsg::AppendEntries(super::super::AppendEntries {
                term,
                prev_index,
                prev_term,
                entries,
                commit: 0,
                round: Default::default(),
            })
        };
        raft.on_message(NodeId(0), ae(1, 1, 1, vec![config_entry(1, 0b01111)]), &mut out);
        assert_eq!(*raft.conf(), Configuration::simple(0b01111));
        raft.on_message(NodeId(2), ae(2, 1, 1, vec![noop(2)]), &mut out);
        assert_eq!(*raft.conf(), Configuration::simple(0b11111));
        // A spare never campaigns.
        let spare = RaftConfig {
            members: Some(vec![NodeId(0), NodeId(1)]),
            ..RaftConfig::default()
        };
        let mut raft = server(4, vec![], &spare);
        raft.on_start(&mut out);
        raft.on_timer(ELECTION, &mut out);
        assert_eq!((raft.role, raft.term), (Role::Follower, 1));
    }

    /// The checker's sixth invariant: a configuration two servers away from
    /// the one before it (or, with joint consensus, a C_new without its
    /// C_old,new) turns it red; one server away does not.
    #[test]
    fn a_configuration_two_servers_away_breaks_one_change_at_a_time() {
        for (joint, voters, expected) in [
            (false, 0b01111, None),
            (false, 0b00111, Some("one change at a time")),
            (true, 0b01111, Some("one change at a time")),
        ] {
            let config = RaftConfig {
                joint,
                ..RaftConfig::default()
            };
            let log = vec![noop(1), config_entry(1, voters)];
            let nodes: Vec<Slot<Raft>> = (0..5)
                .map(|i| Slot::Up(server(i, if i == 0 { log.clone() } else { vec![] }, &config)))
                .collect();
            let mut checker = <RaftChecker as Checker<Raft>>::new(5, &config);
            let found = checker
                .check(&nodes, NodeId(0))
                .err()
                .map(|v| RaftChecker::INVARIANTS[v.invariant]);
            assert_eq!(found, expected, "joint {joint}, voters {voters:b}");
        }
    }
}
