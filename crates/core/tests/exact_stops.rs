//! A run can stop at any instant without that instant leaking into it:
//! `step_within` and `advance` never move the clock past their limit, even
//! when silent events (stale timers) lie just before it, and where a run
//! stops never changes its trace.

use splitbrain_core::timeline::Timeline;
use splitbrain_core::*;

fn scenario(name: &str) -> Scenario {
    let path = format!(
        "{}/../../web/scenarios/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn stepping_within_a_limit_never_passes_it_and_changes_nothing() {
    for name in ["raft-minority-leader", "two-phase-blocking", "paxos-duel"] {
        let s = scenario(name);
        let end = Time(4_000_000);
        let mut plain = build(&s, RunOptions::default()).unwrap();
        plain.run_until(end, u64::MAX);

        // Limits every 1.3 ms: many fall between a silent event and the
        // next traced one, where a plain step would run past them.
        let mut sim = build(&s, RunOptions::default()).unwrap();
        let mut limit = Time::ZERO;
        let mut overshoots_avoided = 0;
        while limit < end {
            limit = Time((limit.0 + 1_300).min(end.0));
            loop {
                let before = sim.trace().len();
                let stepped = sim.step_within(limit);
                assert!(sim.now() <= limit, "{name}: {:?} past {limit:?}", sim.now());
                if !stepped {
                    // Nothing traced by the limit, yet something is due
                    // later: a plain step would have gone past.
                    assert_eq!(sim.trace().len(), before);
                    if sim.next_event_time().is_some() {
                        overshoots_avoided += 1;
                    }
                    break;
                }
            }
        }
        sim.run_until(end, u64::MAX);
        assert_eq!(sim.now(), end);
        assert_eq!(sim.trace().hash(), plain.trace().hash(), "{name}");
        assert_eq!(sim.trace().len(), plain.trace().len(), "{name}");
        assert!(overshoots_avoided > 0, "{name}: the test never hit a gap");
    }
}

#[test]
fn timeline_advance_ends_exactly_at_its_limit() {
    let s = scenario("raft-minority-leader");
    let mut cursor = build(&s, RunOptions::default()).unwrap();
    let mut tl = Timeline::new(&mut cursor, 64);
    let mut t = Time::ZERO;
    while t < Time(3_000_000) {
        t = Time(t.0 + 4_321);
        tl.advance(&mut cursor, t, u64::MAX);
        assert_eq!(cursor.now(), t);
    }
    let mut plain = build(&s, RunOptions::default()).unwrap();
    plain.run_until(t, u64::MAX);
    assert_eq!(cursor.trace().hash(), plain.trace().hash());
}
