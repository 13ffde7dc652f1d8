//! Ongaro's "two removes" (raft-dev, 2015) in the explorer's model: four
//! voters; n0 leads term 1 and removes n3, and only its own log holds
//! {n0, n1, n2}; n1 is elected in term 2 by n2 and n3 and at once removes
//! n2, giving {n0, n1, n3}. The majorities {n0, n2} and {n1, n3} of the
//! two share nobody, and in term 3 n3 (with n1's vote) and n0 (with n2's)
//! are both elected.
//!
//! Like Figure 8 (`explore_raft.rs`), the schedule is too deep for an
//! exhaustive search of these bounds (25 steps over four nodes; breadth-
//! first passes a million states by depth 9), so it is written here step
//! by step in the explorer's words, from the `raft-two-removes` presets.
//! The broken variant breaks election safety at its last step and the
//! counterexample replays in the simulator with both changes in its
//! script; correct Raft refuses the schedule where n1 would change the
//! configuration before its term-2 no-op is committed.

mod common;

use splitbrain_core::explore::protocol::{Bounds, Links, ProtocolModel, Step};
use splitbrain_core::explore::Model;
use splitbrain_core::protocol::{Checker, Protocol};
use splitbrain_core::protocols::raft::{Raft, RaftConfig};
use splitbrain_core::registry::{self, Variant};
use splitbrain_core::scenario::Scripted;
use splitbrain_core::{Action, NodeId, Scenario};

const BOUNDS: Bounds = Bounds {
    max_crashes: 0,
    max_drops: 0,
    max_duplicates: 0,
    max_partitions: 0,
    max_in_flight: 32,
    max_timer_fires: 6,
    synchronous: false,
    links: Links::NONE,
};

fn preset(id: &str) -> (Scenario, ProtocolModel<Raft>) {
    let (_, preset) = registry::explore_presets()
        .find(|(_, p)| p.id == id)
        .unwrap_or_else(|| panic!("the {id} preset"));
    let scenario = (preset.scenario)();
    let config = RaftConfig::of(&scenario.protocol).unwrap().clone();
    let model = ProtocolModel::<Raft>::new(&scenario, config, BOUNDS).unwrap();
    (scenario, model)
}

/// Takes, in the last state of `path`, the one step whose description
/// starts with `what`; false if there is none.
fn take(model: &ProtocolModel<Raft>, path: &mut Vec<Step>, what: &str) -> bool {
    let states = model.replay(path);
    assert_eq!(states.len(), path.len() + 1, "every step applied");
    let w = states.last().unwrap();
    let mut steps = Vec::new();
    model.actions(w, &mut steps);
    let found: Vec<Step> = steps
        .iter()
        .copied()
        .filter(|s| model.describe_in(w, *s).starts_with(what))
        .collect();
    assert!(
        found.len() <= 1,
        "`{what}` is ambiguous among {:?}",
        steps
            .iter()
            .map(|s| model.describe_in(w, *s))
            .collect::<Vec<_>>()
    );
    match found.first() {
        Some(step) => {
            path.push(*step);
            true
        }
        None => false,
    }
}

const TWO_REMOVES: &[&str] = &[
    "n0: timer 0 fires",
    "deliver n0 → n2: Vote? t1",
    "deliver n0 → n3: Vote? t1",
    "deliver n2 → n0: Vote✓ t1",
    "deliver n3 → n0: Vote✓ t1",
    "n0 is asked to remove n3",
    "deliver n0 → n1: Vote? t1",
    "n0: timer 1 fires",
    "n1: timer 0 fires",
    "deliver n1 → n2: Vote? t2",
    "deliver n1 → n3: Vote? t2",
    "deliver n2 → n1: Vote✓ t2",
    "deliver n3 → n1: Vote✓ t2",
    "n1 is asked to remove n2",
    "deliver n1 → n3: AE t2 [1]",
    // Correct Raft stops here: n1 has appended no configuration.
    "deliver n1 → n3: AE t2 [2]",
    "deliver n1 → n0: Vote? t2",
    "n1: timer 1 fires",
    "n3: timer 0 fires",
    "deliver n3 → n1: Vote? t3",
    "deliver n1 → n3: Vote✓ t3",
    "n0: timer 0 fires",
    "deliver n0 → n2: Vote? t3",
    "deliver n2 → n0: Vote✓ t3",
];

#[test]
fn two_removes_elect_two_leaders_in_term_3_on_the_broken_variant() {
    let (scenario, model) = preset("raft-two-removes-broken");
    let mut path = Vec::new();
    for what in TWO_REMOVES {
        if !take(&model, &mut path, what) {
            let w = model.replay(&path).pop().unwrap();
            let mut steps = Vec::new();
            model.actions(&w, &mut steps);
            panic!(
                "step {}: `{what}` not among {:?}",
                path.len() + 1,
                steps
                    .iter()
                    .map(|s| model.describe_in(&w, *s))
                    .collect::<Vec<_>>()
            );
        }
    }
    let states = model.replay(&path);
    assert_eq!(
        states[states.len() - 2].violation,
        None,
        "not before the last step"
    );
    let (invariant, message) = states.last().unwrap().violation.clone().unwrap();
    assert_eq!(
        <Raft as Protocol>::Checker::INVARIANTS[invariant],
        "election safety",
        "{message}"
    );
    assert!(message.contains("term 3"), "{message}");
    let replay = common::replays(&model, &scenario, &path, "election safety");
    let changes: Vec<&Action> = replay
        .script
        .iter()
        .filter_map(|s| match &s.step {
            Scripted::Act { action } => Some(action),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        [
            &Action::RemoveServer { node: NodeId(3) },
            &Action::RemoveServer { node: NodeId(2) }
        ],
        "both changes are made where the script makes them"
    );
    assert!(replay.actions.is_empty(), "{:?}", replay.actions);
}

#[test]
fn correct_raft_refuses_the_second_change_until_its_term_commits() {
    let (_, model) = preset("raft-two-removes");
    let mut path = Vec::new();
    let mut taken = 0;
    for what in TWO_REMOVES {
        if !take(&model, &mut path, what) {
            break;
        }
        taken += 1;
    }
    assert_eq!(
        TWO_REMOVES[taken], "deliver n1 → n3: AE t2 [2]",
        "n1 never appended {{n0, n1, n3}}"
    );
    let w = model.replay(&path).pop().unwrap();
    assert_eq!(w.violation, None);
}
