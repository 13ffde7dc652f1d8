//! The CAP lines of `splitbrain run`: measured availability (the share of
//! client requests that succeeded, overall and while the scenario's first
//! partition lasted) and, for stores that report versions, measured
//! consistency (stale reads, reads with siblings, lost updates).

use splitbrain_core::protocol::Op;
use splitbrain_core::sim::{ClientOp, OpResult};
use splitbrain_core::version::{audit, Audit, KeyVersions, Versioning};
use splitbrain_core::{Action, NodeId, Scenario, Sim, Time};

/// When the scenario's first partition starts and heals (or the run ends).
pub fn partition_window(scenario: &Scenario, until: Time) -> Option<(Time, Time)> {
    let start = scenario
        .actions
        .iter()
        .find(|a| matches!(a.action, Action::Partition { .. }))?
        .at;
    let end = scenario
        .actions
        .iter()
        .find(|a| a.at >= start && matches!(a.action, Action::Heal))
        .map_or(until, |a| a.at);
    Some((start, end))
}

/// The sides of the scenario's first partition: each listed group, then
/// the nodes left over, with a name such as `n1, n4`.
pub fn sides(scenario: &Scenario, nodes: usize) -> Vec<(String, Vec<NodeId>)> {
    let Some(Action::Partition { groups }) = scenario
        .actions
        .iter()
        .map(|a| &a.action)
        .find(|a| matches!(a, Action::Partition { .. }))
    else {
        return Vec::new();
    };
    let mut out: Vec<Vec<NodeId>> = groups.clone();
    let rest: Vec<NodeId> = (0..nodes as u16)
        .map(NodeId)
        .filter(|n| !groups.iter().flatten().any(|g| g == n))
        .collect();
    if !rest.is_empty() {
        out.push(rest);
    }
    out.into_iter()
        .map(|g| {
            let name: Vec<String> = g.iter().map(NodeId::to_string).collect();
            (name.join(", "), g)
        })
        .collect()
}

/// `(ok, total)` among requests invoked in `[from, to)`, counting only
/// those that have ended.
pub fn availability(history: &[ClientOp], from: Time, to: Time) -> (usize, usize) {
    let ended = history
        .iter()
        .filter(|o| o.invoke >= from && o.invoke < to && o.result.is_some());
    let (mut ok, mut total) = (0, 0);
    for o in ended {
        total += 1;
        if matches!(o.result, Some((_, OpResult::Ok { .. }))) {
            ok += 1;
        }
    }
    (ok, total)
}

fn share(ok: usize, total: usize) -> String {
    if total == 0 {
        String::from("no requests")
    } else {
        format!(
            "{:.1}% ({ok} of {total} requests ok)",
            ok as f64 * 100.0 / total as f64
        )
    }
}

/// Successful requests' latency, in microseconds.
pub struct Latency {
    pub mean: f64,
    pub median: f64,
    pub p99: f64,
    pub max: f64,
}

/// How long successful requests took: the price of consistency when
/// nothing fails (the "else" half of PACELC).
pub fn latency(history: &[ClientOp]) -> Option<Latency> {
    let mut took: Vec<u64> = history
        .iter()
        .filter_map(|o| match &o.result {
            Some((done, OpResult::Ok { .. })) => Some(done.since(o.invoke).0),
            _ => None,
        })
        .collect();
    if took.is_empty() {
        return None;
    }
    took.sort_unstable();
    let at = |q: usize| took[(took.len() * q / 100).min(took.len() - 1)] as f64;
    Some(Latency {
        mean: took.iter().sum::<u64>() as f64 / took.len() as f64,
        median: at(50),
        p99: at(99),
        max: took[took.len() - 1] as f64,
    })
}

/// The versioning the scenario's store resolves conflicts with, if it is a
/// store that keeps versions.
pub fn versioning(scenario: &Scenario) -> Option<Versioning> {
    scenario.protocol.versioning()
}

/// The consistency audit of a run of a versioned store.
pub fn audit_run(sim: &Sim) -> Option<Audit> {
    let mode = versioning(sim.scenario())?;
    let surviving: Vec<KeyVersions> = (0..sim.node_count())
        .flat_map(|n| sim.stored_versions(NodeId(n as u16)))
        .collect();
    Some(audit(&sim.history().to_vec(), &surviving, mode))
}

/// Prints the availability and consistency lines; with `reads`, one line
/// per read saying who answered and whether it was stale.
pub fn report(sim: &Sim, until: Time, reads: bool) {
    let history = &sim.history().to_vec();
    let (ok, total) = availability(history, Time::ZERO, Time::MAX);
    println!("availability: {}", share(ok, total));
    if let Some((from, to)) = partition_window(sim.scenario(), until) {
        let (ok, total) = availability(history, from, to);
        println!(
            "availability during the partition ({from} to {to}): {}",
            share(ok, total)
        );
        for (side, nodes) in sides(sim.scenario(), sim.node_count()) {
            let asked: Vec<ClientOp> = history
                .iter()
                .filter(|o| nodes.contains(&o.node))
                .cloned()
                .collect();
            let (ok, total) = availability(&asked, from, to);
            println!("  clients of {side}: {}", share(ok, total));
        }
    }
    if let Some(l) = latency(history) {
        println!(
            "latency of successful requests: mean {:.1} ms, median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            l.mean / 1e3,
            l.median / 1e3,
            l.p99 / 1e3,
            l.max / 1e3
        );
    }
    let Some(a) = audit_run(sim) else {
        println!(
            "consistency: {} keeps no versions; see `linearizable` for its reads",
            sim.protocol_name()
        );
        return;
    };
    println!(
        "consistency: {} stale reads of {} reads, {} reads with siblings, {} lost updates of {} acknowledged writes",
        a.stale.len(),
        a.reads,
        a.siblings.len(),
        a.lost.len(),
        a.writes
    );
    if reads {
        for op in history.iter().filter(|o| matches!(o.op, Op::Get { .. })) {
            println!("  {}", read_line(op, &a));
        }
    }
}

fn read_line(op: &ClientOp, a: &Audit) -> String {
    let mut s = format!("{} {} {} at {}", op.id, op.client, op.op, op.invoke);
    match &op.result {
        Some((_, OpResult::Ok { value })) => {
            s.push_str(&format!(
                " = {}",
                value
                    .as_deref()
                    .map_or("nothing".into(), |v| format!("{v:?}"))
            ));
        }
        Some((_, OpResult::Fail { reason })) => s.push_str(&format!(" failed: {reason}")),
        Some((_, OpResult::Unknown)) => s.push_str(" timed out"),
        None => s.push_str(" pending"),
    }
    if let Some(d) = &op.detail {
        let names: Vec<String> = d.replicas.iter().map(NodeId::to_string).collect();
        s.push_str(&format!("; replicas {}", names.join(", ")));
        if !d.fallbacks.is_empty() {
            let names: Vec<String> = d.fallbacks.iter().map(NodeId::to_string).collect();
            s.push_str(&format!(" (stand-ins {})", names.join(", ")));
        }
    }
    if a.stale.contains(&op.id) {
        s.push_str("; STALE");
    }
    if a.siblings.contains(&op.id) {
        s.push_str("; siblings");
    }
    s
}
