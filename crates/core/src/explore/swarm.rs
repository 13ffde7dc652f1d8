//! Swarm testing, for state spaces too big to enumerate: many ordinary
//! seeded runs, each with its own randomly chosen mix of faults (crashes
//! or not, partitions or not, how often, how much loss and duplication),
//! so that different runs stress different corners. Everything is drawn
//! from one swarm seed; a failing run is reported as its scenario, which
//! reproduces it anywhere.

use alloc::vec::Vec;

use crate::rng::Rng;
use crate::scenario::{Faults, Scenario, ScenarioError};
use crate::sim::FoundViolation;
use crate::sim::{build, RunOptions};
use crate::time::{Span, Time};

/// A run that broke an invariant.
#[derive(Clone, Debug)]
pub struct SwarmFailure {
    /// Which run of the swarm (0-based).
    pub run: usize,
    /// The run's scenario, seed and faults included: it replays the failure.
    pub scenario: Scenario,
    pub violation: FoundViolation,
}

#[derive(Clone, Debug, Default)]
pub struct SwarmReport {
    pub runs: usize,
    /// Events simulated over all runs.
    pub events: u64,
    pub failures: Vec<SwarmFailure>,
}

/// The scenario of swarm run `run`: `base` with a seed and fault options
/// drawn from `seed` and `run`.
pub fn swarm_scenario(base: &Scenario, seed: u64, run: usize) -> Scenario {
    let mut rng = Rng::new(seed ^ (run as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut s = base.clone();
    s.seed = rng.next_u64();
    let until = base.until.unwrap_or(Time(Span::from_secs(5).0));
    let crashes = rng.chance(0.5);
    let partitions = rng.chance(0.5);
    if crashes || partitions {
        s.faults = Some(Faults {
            until: Time(until.0 / 2),
            every: Span::from_millis(rng.range_inclusive(50, 1000)),
            crashes,
            partitions,
            max_down: None,
            loss: if rng.chance(0.3) {
                rng.unit() * 0.2
            } else {
                0.0
            },
        });
    }
    if rng.chance(0.3) {
        s.network.duplicate = rng.unit() * 0.1;
    }
    s.until = Some(until);
    s
}

/// Runs `runs` swarm runs of `base`, stopping early after `max_failures`
/// failures. `progress` is called after every run; returning `false`
/// stops the swarm.
pub fn swarm(
    base: &Scenario,
    seed: u64,
    runs: usize,
    max_failures: usize,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Result<SwarmReport, ScenarioError> {
    base.validate()?;
    let mut report = SwarmReport::default();
    for run in 0..runs {
        let scenario = swarm_scenario(base, seed, run);
        let mut sim = build(
            &scenario,
            RunOptions {
                keep_trace: false,
                recent_events: 0,
            },
        )?;
        let until = scenario.until.unwrap_or(Time::ZERO);
        sim.run_until(until, 1_000_000);
        report.runs += 1;
        report.events += sim.trace().len();
        if let Some(v) = sim.violation() {
            report.failures.push(SwarmFailure {
                run,
                violation: v.clone(),
                scenario,
            });
            if report.failures.len() >= max_failures {
                break;
            }
        }
        if !progress(run + 1) {
            break;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::paxos::{PaxosConfig, PaxosVariant};
    use crate::scenario::ProtocolConfig;

    fn paxos(variant: PaxosVariant) -> Scenario {
        let config = PaxosConfig {
            variant,
            ..PaxosConfig::default()
        };
        let mut s = Scenario::new(ProtocolConfig::Paxos(config), 3, 0);
        s.until = Some(Time(Span::from_secs(2).0));
        s
    }

    /// The swarm finds naive Paxos's broken agreement, and the reported
    /// scenario reproduces it on its own.
    #[test]
    fn swarm_finds_naive_paxos_and_the_failure_reproduces() {
        let report = swarm(&paxos(PaxosVariant::NaiveNoPromise), 7, 50, 1, &mut |_| {
            true
        })
        .unwrap();
        let failure = report.failures.first().expect("a failing run");
        let mut sim = build(&failure.scenario, RunOptions::default()).unwrap();
        sim.run_until(failure.scenario.until.unwrap(), u64::MAX);
        assert_eq!(sim.violation(), Some(&failure.violation));
    }

    /// Real Paxos survives the same swarm, and the swarm is deterministic.
    #[test]
    fn swarm_passes_real_paxos_deterministically() {
        let report = swarm(&paxos(PaxosVariant::Classic), 7, 30, 1, &mut |_| true).unwrap();
        assert_eq!(report.runs, 30);
        assert!(report.failures.is_empty(), "{:?}", report.failures[0]);
        let again = swarm(&paxos(PaxosVariant::Classic), 7, 30, 1, &mut |_| true).unwrap();
        assert_eq!(again.events, report.events);
    }
}
