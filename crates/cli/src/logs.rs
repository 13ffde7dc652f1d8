//! `splitbrain run --logs`: every node's log as `index:term` pairs and the
//! leader the app compares logs with (the leader of the highest term), so
//! the browser tests can check the inspector's log diff against a native
//! run.

use splitbrain_core::protocol::RoleKind;
use splitbrain_core::{NodeId, Sim};

pub fn report(sim: &Sim) {
    let nodes = (0..sim.node_count() as u16).map(NodeId);
    let leader = nodes
        .clone()
        .map(|n| (n, sim.node_view(n)))
        .filter(|(_, v)| v.role == RoleKind::Leader)
        .max_by_key(|(_, v)| v.term)
        .map(|(n, _)| n);
    match leader {
        Some(l) => println!("leader: {l}"),
        None => println!("leader: none"),
    }
    println!("logs:");
    for n in nodes {
        let log: Vec<String> = sim
            .node_detail(n)
            .log
            .iter()
            .map(|e| format!("{}:{}", e.index, e.term))
            .collect();
        println!("  {n}: {}", log.join(" "));
    }
}
