//! A large multi-key history with one violated key: decided as a
//! violation, on the right key and read, within a small step budget when
//! only the verdict is asked for; every key still gets a verdict when all
//! are asked for. (Times are in `benches/check.rs`.)

#[path = "common/kv_workload.rs"]
mod kv_workload;

use kv_workload::{generate, Workload};
use splitbrain_core::check::{self, CheckOptions, Scope, Verdict};

#[test]
fn the_violated_key_is_found_without_searching_the_others_out() {
    let (history, stale) = generate(Workload::default());
    let stale = stale.expect("a stale read was planted");
    let first = check::linearizability(
        &history,
        &CheckOptions {
            scope: Scope::FirstViolation,
            ..CheckOptions::default()
        },
    );
    println!(
        "{} ops, first violation after {} steps",
        history.ops.len(),
        first.steps
    );
    assert_eq!(first.verdict, Verdict::Violated);
    let e = first.explanations().next().expect("an explanation");
    assert_eq!(e.key, history.ops[stale].key);
    let every = check::linearizability(&history, &CheckOptions::default());
    println!("every key: {} steps", every.steps);
    let violated: Vec<_> = every
        .keys
        .iter()
        .filter(|k| k.verdict == Verdict::Violated)
        .collect();
    assert_eq!(
        violated.len(),
        1,
        "{:?}",
        every.keys.iter().map(|k| k.verdict).collect::<Vec<_>>()
    );
    assert!(every.keys.iter().all(|k| k.verdict != Verdict::Unknown));
    let (clean, none) = generate(Workload {
        stale_read: false,
        ..Workload::default()
    });
    assert!(none.is_none());
    assert_eq!(
        check::linearizability(&clean, &CheckOptions::default()).verdict,
        Verdict::Holds
    );
}
