//! Random faults: the crashes, restarts, partitions and link cuts a
//! scenario's `faults` asks for, drawn from their own stream of the seed
//! before the run starts, so they fall at the same instants whatever the
//! protocol does.

use alloc::vec;
use alloc::vec::Vec;

use super::actions::Scheduled;
use crate::id::NodeId;
use crate::rng::{Rng, Stream};
use crate::scenario::{Action, Faults};
use crate::time::{Span, Time};

/// Draws the random faults of a scenario from its seed: crashes (never more
/// than `max_down` at once), restarts, partitions into two groups, single
/// link cuts and heals; then, at `until`, a heal and a restart of every node
/// still down.
pub(super) fn generate_faults(faults: &Faults, nodes: u16, seed: u64) -> Vec<Scheduled> {
    let mut rng = Rng::stream(seed, Stream::Faults);
    let n = usize::from(nodes);
    let max_down = usize::from(faults.max_down.unwrap_or((nodes.saturating_sub(1)) / 2));
    let mut down: Vec<bool> = vec![false; n];
    let mut out = Vec::new();
    let mut t = Time::ZERO;
    let every = faults.every.0.max(2);
    loop {
        t += Span(rng.range_inclusive(every / 2, every.saturating_add(every / 2)));
        if t >= faults.until {
            break;
        }
        let down_count = down.iter().filter(|d| **d).count();
        let mut options: Vec<u8> = Vec::new();
        if faults.crashes && down_count < max_down {
            options.push(0);
        }
        if faults.crashes && down_count > 0 {
            options.push(1);
        }
        if faults.partitions && n > 1 {
            options.extend([2, 3, 4]);
        }
        if options.is_empty() {
            break;
        }
        let action = match options[rng.index(options.len())] {
            0 => {
                let up: Vec<usize> = (0..n).filter(|i| !down[*i]).collect();
                let pick = up[rng.index(up.len())];
                down[pick] = true;
                Action::Crash {
                    node: NodeId(pick as u16),
                }
            }
            1 => {
                let gone: Vec<usize> = (0..n).filter(|i| down[*i]).collect();
                let pick = gone[rng.index(gone.len())];
                down[pick] = false;
                Action::Restart {
                    node: NodeId(pick as u16),
                }
            }
            2 => {
                // A random minority split off from the rest.
                let size = 1 + rng.index((n / 2).max(1));
                let mut members: Vec<NodeId> = Vec::new();
                while members.len() < size {
                    let pick = NodeId(rng.index(n) as u16);
                    if !members.contains(&pick) {
                        members.push(pick);
                    }
                }
                members.sort();
                Action::Partition {
                    groups: vec![members],
                }
            }
            3 => Action::Heal,
            _ => {
                let from = rng.index(n);
                let mut to = rng.index(n - 1);
                if to >= from {
                    to += 1;
                }
                Action::CutLink {
                    from: NodeId(from as u16),
                    to: NodeId(to as u16),
                    both: rng.chance(0.5),
                }
            }
        };
        out.push(Scheduled {
            at: t,
            action,
            user: false,
        });
    }
    out.push(Scheduled {
        at: faults.until,
        action: Action::Heal,
        user: false,
    });
    for (i, d) in down.iter().enumerate() {
        if *d {
            out.push(Scheduled {
                at: faults.until,
                action: Action::Restart {
                    node: NodeId(i as u16),
                },
                user: false,
            });
        }
    }
    out
}
