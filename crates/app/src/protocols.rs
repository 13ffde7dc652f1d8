//! The protocol menu: every registered protocol's presets, in the
//! registry's order, each with the defaults a fresh run of it starts from
//! and the words the page uses for it. The one place in the app that
//! reads the core's registry; everything else asks a [`ProtocolChoice`]
//! what its protocol can do, never which protocol it is.

use splitbrain_core::registry::{self, Clock, Descriptor, Preset};
use splitbrain_core::{NodeId, ProtocolConfig};

use crate::settings::Settings;

/// One entry of the protocol menu: a protocol and one of its presets
/// (Paxos, and the broken "naive Paxos", are two entries).
#[derive(Clone, Copy, Debug)]
pub struct ProtocolChoice {
    pub protocol: &'static Descriptor,
    pub preset: &'static Preset,
}

impl PartialEq for ProtocolChoice {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for ProtocolChoice {}

/// Every menu entry, in menu order (`for choice in ProtocolChoice::ALL`).
#[derive(Clone, Copy, Debug)]
pub struct Menu;

impl IntoIterator for Menu {
    type Item = ProtocolChoice;
    type IntoIter = std::vec::IntoIter<ProtocolChoice>;

    fn into_iter(self) -> Self::IntoIter {
        let entries: Vec<ProtocolChoice> = registry::menu()
            .map(|(protocol, preset)| ProtocolChoice { protocol, preset })
            .collect();
        entries.into_iter()
    }
}

impl Menu {
    pub fn len(self) -> usize {
        self.into_iter().count()
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    pub fn to_vec(self) -> Vec<ProtocolChoice> {
        self.into_iter().collect()
    }
}

/// Every menu entry, in order.
pub fn all() -> Vec<ProtocolChoice> {
    ProtocolChoice::ALL.to_vec()
}

/// Every entry's label, in the interface's language, as a list in a
/// sentence (labels may hold commas and colons): `Raft; Two-phase commit;
/// ...`.
pub fn menu_labels() -> String {
    let labels: Vec<&str> = all()
        .into_iter()
        .map(|c| crate::i18n::t_dyn(c.label()))
        .collect();
    labels.join(crate::i18n::t("; "))
}

/// The entry a scenario's protocol falls under.
pub fn of(config: &ProtocolConfig) -> ProtocolChoice {
    let protocol = config.descriptor();
    ProtocolChoice {
        protocol,
        preset: protocol.preset_of(config),
    }
}

/// The entry with this id.
pub fn from_id(id: &str) -> Option<ProtocolChoice> {
    ProtocolChoice::ALL.into_iter().find(|c| c.id() == id)
}

/// The first entry: what a fresh page runs.
pub fn first() -> ProtocolChoice {
    ProtocolChoice::ALL
        .into_iter()
        .next()
        .expect("the registry lists protocols")
}

impl ProtocolChoice {
    /// Every entry, in menu order: the registry's protocols, each with its
    /// presets.
    pub const ALL: Menu = Menu;

    /// A stable name for forms, tests and links.
    pub fn id(self) -> &'static str {
        self.preset.id
    }

    /// As the menu shows it.
    pub fn label(self) -> &'static str {
        self.preset.label
    }

    /// The next entry, wrapping around (the `P` key).
    pub fn next(self) -> ProtocolChoice {
        let all = all();
        let i = all.iter().position(|c| *c == self).unwrap_or(0);
        all[(i + 1) % all.len()]
    }

    /// Transactions, votes, a coordinator: clients ask node 0 to run a
    /// transaction instead of running the key-value workload.
    pub fn is_commit(self) -> bool {
        self.protocol.can.transactions
    }

    /// The settings a fresh run of this entry starts from. The seed, the
    /// network and the load carry over from `current`; the cluster size is
    /// the preset's own.
    pub fn settings(self, current: &Settings) -> Settings {
        Settings {
            nodes: self.preset.nodes,
            protocol: (self.preset.config)(),
            // The workload's random clients speak key-value; the commit
            // protocols start transactions on request instead.
            clients: if self.is_commit() { 0 } else { current.clients },
            ..current.clone()
        }
    }

    /// What the roles drawn on the canvas mean, in this protocol's words.
    pub fn legend(self) -> &'static str {
        self.protocol.words.legend
    }

    /// What the inspector calls a node's progress and its log, in this
    /// protocol's words.
    pub fn inspector_words(self) -> (&'static str, &'static str) {
        (self.protocol.words.progress, self.protocol.words.log)
    }

    /// The status bar's word for the node in charge, and who it is, from
    /// the leading node and its term or ballot.
    pub fn in_charge(self, leader: Option<(NodeId, u64)>) -> (&'static str, String) {
        let who = match (self.protocol.words.in_charge_clock, leader) {
            (_, None) => crate::i18n::t("none").to_owned(),
            (Clock::Term, Some((n, term))) => crate::i18n::tf("n{0} (term {1})", &[&n.0, &term]),
            (Clock::Ballot, Some((n, ballot))) => {
                crate::i18n::tf("n{0} (ballot {1})", &[&n.0, &ballot])
            }
            (Clock::None, Some((n, _))) => format!("n{}", n.0),
        };
        (self.protocol.words.in_charge, who)
    }

    /// The short prefix for the logical clock under a node: `t3`, `b12`,
    /// `T5`.
    pub fn clock_prefix(self) -> &'static str {
        self.protocol.words.clock_prefix
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
            assert_eq!(of(&settings.protocol), choice);
            assert_eq!(from_id(choice.id()), Some(choice));
        }
    }

    #[test]
    fn the_one_in_charge_is_named_in_each_protocol_s_words() {
        let lead = Some((NodeId(2), 7));
        let by = |id| from_id(id).unwrap();
        assert_eq!(
            by("raft").in_charge(lead),
            ("leader", "n2 (term 7)".to_owned())
        );
        assert_eq!(
            by("two-phase").in_charge(lead),
            ("coordinator", "n2".to_owned())
        );
        assert_eq!(
            by("multi-paxos").in_charge(lead),
            ("leader", "n2 (ballot 7)".to_owned())
        );
        assert_eq!(by("paxos").in_charge(None).1, "none");
    }

    #[test]
    fn next_visits_every_protocol_and_wraps() {
        let mut c = first();
        let mut seen = vec![c];
        for _ in 1..ProtocolChoice::ALL.len() {
            c = c.next();
            seen.push(c);
        }
        assert_eq!(seen, ProtocolChoice::ALL.to_vec());
        assert_eq!(c.next(), first());
    }

    /// The help dialog names every entry, not a list of its own.
    #[test]
    fn the_help_lists_every_menu_entry() {
        let list = menu_labels();
        for c in all() {
            assert!(list.contains(c.label()), "{} missing from {list}", c.id());
        }
        assert_eq!(list.matches("; ").count(), all().len() - 1);
    }

    /// The menu as people knew it: the registry's order, with naive Paxos
    /// after Paxos.
    #[test]
    fn the_menu_lists_every_preset_in_registry_order() {
        let ids: Vec<_> = all().iter().map(|c| c.id()).collect();
        assert_eq!(
            ids,
            [
                "raft",
                "two-phase",
                "three-phase",
                "paxos",
                "naive-paxos",
                "multi-paxos",
                "quorum",
                "gossip",
                "lock-service"
            ]
        );
    }
}
