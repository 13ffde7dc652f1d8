//! A large key-value history in the shape of Porcupine's tests (`get`,
//! `put`, `append` of `"x CLIENT N y"` strings on a few keys), recorded
//! from a simulated linearizable store with many clients and long,
//! overlapping operations, with one stale read planted on one key.
//! Porcupine's own 50-client history with a violation is not public; this
//! stands in for it (shared by the check bench and `tests/check_large.rs`).
#![allow(dead_code)]

use splitbrain_core::check::{
    Call, History, Model, Operation, Outcome, Semantics, TimeBase, Value,
};
use splitbrain_core::rng::Rng;

/// The shape of the workload.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    pub clients: u64,
    pub keys: u64,
    pub ops_per_client: u64,
    pub seed: u64,
    /// Plant one stale read (on the key the most operations use).
    pub stale_read: bool,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            clients: 50,
            keys: 8,
            ops_per_client: 60,
            seed: 50,
            stale_read: true,
        }
    }
}

struct Planned {
    process: u64,
    key: u64,
    call: Call,
    invoke: u64,
    complete: u64,
    /// When it takes effect, inside `invoke..=complete`.
    at: u64,
}

/// The history, operations in invocation order, and the index of the
/// planted stale read (if any).
pub fn generate(w: Workload) -> (History, Option<usize>) {
    let mut rng = Rng::new(w.seed);
    let mut planned = Vec::new();
    for client in 0..w.clients {
        let mut t = rng.range_inclusive(0, 20);
        for n in 0..w.ops_per_client {
            let key = rng.index(w.keys as usize) as u64;
            let value = Value::Str(format!("x {client} {n} y"));
            let call = match rng.index(4) {
                0 | 1 => Call::Read,
                2 => Call::Append { value },
                _ if rng.chance(0.2) => Call::Write { value },
                _ => Call::Append { value },
            };
            let length = rng.range_inclusive(1, 40);
            let at = t + rng.range_inclusive(0, length);
            planned.push(Planned {
                process: client,
                key,
                call,
                invoke: t,
                complete: t + length,
                at,
            });
            t += length + rng.range_inclusive(1, 10);
        }
    }
    // Run the store in effect order to get what each read saw.
    let mut order: Vec<usize> = (0..planned.len()).collect();
    order.sort_by_key(|&i| (planned[i].at, i));
    let mut store: Vec<String> = vec![String::new(); w.keys as usize];
    // Per key, the values it held, in order, and the operation that wrote
    // each.
    let mut held: Vec<Vec<(String, usize)>> =
        vec![vec![(String::new(), usize::MAX)]; w.keys as usize];
    let mut results: Vec<Value> = vec![Value::Nil; planned.len()];
    let mut seen_version: Vec<usize> = vec![0; planned.len()];
    for &i in &order {
        let p = &planned[i];
        let k = p.key as usize;
        match &p.call {
            Call::Read => {
                results[i] = Value::Str(store[k].clone());
                seen_version[i] = held[k].len() - 1;
            }
            Call::Write {
                value: Value::Str(s),
            } => {
                store[k] = s.clone();
                held[k].push((store[k].clone(), i));
            }
            Call::Append {
                value: Value::Str(s),
            } => {
                store[k].push_str(s);
                held[k].push((store[k].clone(), i));
            }
            _ => unreachable!("only gets, puts and appends of strings"),
        }
    }
    let mut stale = None;
    if w.stale_read {
        // On the busiest key, a read late in the run is made to return the
        // value from three writes before the one it saw, where the write
        // two before had completed before the read was invoked: the read
        // must come after that write, and no value it could see then is
        // the one it returns.
        let mut counts = vec![0usize; w.keys as usize];
        for p in &planned {
            counts[p.key as usize] += 1;
        }
        let busiest = (0..w.keys as usize).max_by_key(|&k| counts[k]).unwrap_or(0);
        let reads: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| planned[i].key as usize == busiest && planned[i].call.is_read())
            .filter(|&i| {
                let v = seen_version[i];
                v >= 3 && planned[held[busiest][v - 2].1].complete < planned[i].invoke
            })
            .collect();
        if let Some(&victim) = reads.get(reads.len() * 3 / 4) {
            let (old, _) = &held[busiest][seen_version[victim] - 3];
            results[victim] = Value::Str(old.clone());
            stale = Some(victim);
        }
    }
    let mut ops: Vec<(Operation, usize)> = planned
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                Operation {
                    process: p.process,
                    key: Some(p.key.to_string()),
                    call: p.call.clone(),
                    outcome: Outcome::Ok {
                        value: if p.call.is_read() {
                            results[i].clone()
                        } else {
                            Value::Nil
                        },
                    },
                    invoke: p.invoke,
                    complete: Some(p.complete),
                    source: i,
                },
                i,
            )
        })
        .collect();
    ops.sort_by_key(|(o, i)| (o.invoke, *i));
    let stale = stale.and_then(|v| ops.iter().position(|(_, i)| *i == v));
    let history = History {
        ops: ops.into_iter().map(|(o, _)| o).collect(),
        time_base: TimeBase::Nanos,
        semantics: Semantics::jepsen(Model::Kv),
    };
    (history, stale)
}
