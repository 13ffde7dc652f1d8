//! The registry's promises about every registered protocol: what the app,
//! the CLI and links rely on without naming a protocol.

use std::collections::BTreeSet;

use splitbrain_core::registry::{self, Column};
use splitbrain_core::{build, ProtocolConfig, RunOptions, Scenario, Time};

#[test]
fn ids_and_menu_entries_are_unique() {
    let mut ids = BTreeSet::new();
    for d in registry::protocols() {
        assert!(ids.insert(d.id), "{} registered twice", d.id);
        assert_eq!(registry::find(d.id).map(|f| f.id), Some(d.id));
    }
    let mut entries = BTreeSet::new();
    for (d, p) in registry::menu() {
        assert!(entries.insert(p.id), "menu entry {} twice", p.id);
        assert!(!p.label.is_empty() && !p.board_title.is_empty(), "{}", p.id);
        let _ = d;
    }
    let mut explored = BTreeSet::new();
    for (_, p) in registry::explore_presets() {
        assert!(explored.insert(p.id), "explorer preset {} twice", p.id);
    }
    assert_eq!(registry::find("no-such-protocol").map(|d| d.id), None);
}

/// A preset is what a fresh run of its menu entry starts from: its config
/// is its protocol's, it validates with its cluster size, it runs, and
/// the menu finds the preset again from the config alone.
#[test]
fn every_preset_runs_and_is_found_again_from_its_config() {
    for (d, p) in registry::menu() {
        assert_eq!(d.presets[0].id, d.id, "the first preset is the protocol");
        let config = (p.config)();
        assert_eq!(config.name(), d.id, "{}", p.id);
        assert_eq!(config.descriptor().id, d.id);
        assert_eq!(d.preset_of(&config).id, p.id);
        let mut scenario = Scenario::new(config, p.nodes, 3);
        scenario.until = Some(Time(1_000_000));
        let mut sim =
            build(&scenario, RunOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", p.id));
        sim.run_until(Time(1_000_000), u64::MAX);
        assert_eq!(sim.now(), Time(1_000_000), "{}", p.id);
        assert_eq!(sim.protocol().id, d.id);
    }
}

/// A permalink's bare tag stands for the protocol with every field at its
/// default, and a tag past the list is no protocol at all.
#[test]
fn default_configs_follow_the_list() {
    for (tag, d) in registry::protocols().iter().enumerate() {
        let config = registry::default_config(tag).unwrap();
        assert_eq!(config.name(), d.id);
        assert_eq!(ProtocolConfig::default_for(d.id), Some(config));
    }
    assert_eq!(registry::default_config(registry::protocols().len()), None);
    assert_eq!(ProtocolConfig::default_for("no-such-protocol"), None);
}

/// The app draws the first column as the role and the vote column as
/// buttons: every board starts with the role, and has a vote column
/// exactly when users may choose votes.
#[test]
fn boards_and_capabilities_agree() {
    for d in registry::protocols() {
        assert_eq!(d.board.first().map(|c| c.1), Some(Column::Role), "{}", d.id);
        let votes = d.board.iter().any(|c| c.1 == Column::Vote);
        assert_eq!(votes, d.can.votes.is_some(), "{}", d.id);
        let config = (d.presets[0].config)();
        assert_eq!(config.vote_policy().is_some(), d.can.votes.is_some());
        assert_eq!(config.versioning().is_some(), d.can.versions.is_some());
        assert_eq!(config.vnodes().is_some(), d.can.ring.is_some());
        if let Some(timing) = d.can.election {
            let mut config = config.clone();
            assert!(timing(&mut config).is_some(), "{}", d.id);
        }
        if let Some(broken) = d.can.broken {
            let mut config = config.clone();
            assert!(
                !(broken.get)(&config),
                "{}: presets run the real thing",
                d.id
            );
            (broken.set)(&mut config, true);
            assert!((broken.get)(&config));
            assert_ne!(config, (d.presets[0].config)());
        }
    }
}

/// Exactly one explorer preset comes first; every preset's scenario is
/// valid and is of a protocol that can be searched, and a protocol offers
/// presets exactly when it can be searched.
#[test]
fn explorer_presets_can_be_explored() {
    let firsts: Vec<_> = registry::explore_presets()
        .filter(|(_, p)| p.first)
        .map(|(_, p)| p.id)
        .collect();
    assert_eq!(firsts.len(), 1, "{firsts:?}");
    for d in registry::protocols() {
        let searchable = (d.presets[0].config)().search().is_some();
        assert_eq!(d.explore.is_some(), searchable, "{}", d.id);
    }
    for (d, p) in registry::explore_presets() {
        let scenario = (p.scenario)();
        scenario
            .validate()
            .unwrap_or_else(|e| panic!("{}: {e}", p.id));
        assert_eq!(scenario.protocol.name(), d.id);
        assert!(scenario.nodes <= splitbrain_core::explore::protocol::MAX_EXPLORE_NODES);
    }
}
