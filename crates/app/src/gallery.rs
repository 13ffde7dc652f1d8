//! The gallery as the page carries it: `web/scenarios/gallery.json` and
//! every scenario file it names, compiled in, so an entry loads without a
//! request to the server.

use splitbrain_core::gallery::{Gallery, GalleryEntry};
use splitbrain_core::Scenario;

/// The gallery file, as shipped.
pub const GALLERY_JSON: &str = include_str!("../../../web/scenarios/gallery.json");

/// The scenario files the gallery names. A test checks that none is
/// missing.
pub const FILES: &[(&str, &str)] = &[
    (
        "raft-election.json",
        include_str!("../../../web/scenarios/raft-election.json"),
    ),
    (
        "raft-minority-leader.json",
        include_str!("../../../web/scenarios/raft-minority-leader.json"),
    ),
    (
        "raft-log-repair.json",
        include_str!("../../../web/scenarios/raft-log-repair.json"),
    ),
    (
        "raft-broken-figure8.json",
        include_str!("../../../web/scenarios/raft-broken-figure8.json"),
    ),
    (
        "raft-workload.json",
        include_str!("../../../web/scenarios/raft-workload.json"),
    ),
    (
        "two-phase-blocking.json",
        include_str!("../../../web/scenarios/two-phase-blocking.json"),
    ),
    (
        "two-phase-no-vote.json",
        include_str!("../../../web/scenarios/two-phase-no-vote.json"),
    ),
    (
        "three-phase-coordinator-crash.json",
        include_str!("../../../web/scenarios/three-phase-coordinator-crash.json"),
    ),
    (
        "three-phase-partition-broken.json",
        include_str!("../../../web/scenarios/three-phase-partition-broken.json"),
    ),
    (
        "paxos-naive-broken.json",
        include_str!("../../../web/scenarios/paxos-naive-broken.json"),
    ),
    (
        "paxos-late-proposer.json",
        include_str!("../../../web/scenarios/paxos-late-proposer.json"),
    ),
    (
        "paxos-duel.json",
        include_str!("../../../web/scenarios/paxos-duel.json"),
    ),
    (
        "multi-paxos-workload.json",
        include_str!("../../../web/scenarios/multi-paxos-workload.json"),
    ),
    (
        "multi-paxos-minority-leader.json",
        include_str!("../../../web/scenarios/multi-paxos-minority-leader.json"),
    ),
    // --- ring view and CAP ---
    (
        "cap-raft-partition.json",
        include_str!("../../../web/scenarios/cap-raft-partition.json"),
    ),
    (
        "cap-quorum-partition.json",
        include_str!("../../../web/scenarios/cap-quorum-partition.json"),
    ),
    // --- PACELC ---
    (
        "pacelc-raft-regions.json",
        include_str!("../../../web/scenarios/pacelc-raft-regions.json"),
    ),
    (
        "pacelc-quorum-regions.json",
        include_str!("../../../web/scenarios/pacelc-quorum-regions.json"),
    ),
    // --- replicated lock service ---
    (
        "lock-service-fencing.json",
        include_str!("../../../web/scenarios/lock-service-fencing.json"),
    ),
    (
        "lock-service-no-fencing-broken.json",
        include_str!("../../../web/scenarios/lock-service-no-fencing-broken.json"),
    ),
    (
        "lock-service-replicated-leader-crash.json",
        include_str!("../../../web/scenarios/lock-service-replicated-leader-crash.json"),
    ),
];

/// The parsed gallery. An unreadable file gives an empty gallery rather
/// than a broken page; the test below keeps that from shipping.
pub fn gallery() -> Gallery {
    serde_json::from_str(GALLERY_JSON).unwrap_or(Gallery {
        about: String::new(),
        entries: Vec::new(),
    })
}

/// The scenario file's text, by its name in the gallery.
pub fn file(name: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// An entry by id, with its scenario.
pub fn entry(id: &str) -> Result<(GalleryEntry, Scenario), String> {
    let entry = gallery()
        .entries
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| format!("No gallery entry is called \u{201c}{id}\u{201d}."))?;
    let text = file(&entry.scenario)
        .ok_or_else(|| format!("The page does not carry {}.", entry.scenario))?;
    let scenario: Scenario =
        serde_json::from_str(text).map_err(|e| format!("{}: {e}", entry.scenario))?;
    Ok((entry, scenario))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_carries_every_gallery_entry_and_its_scenario() {
        let gallery: Gallery = serde_json::from_str(GALLERY_JSON).expect("gallery.json parses");
        assert!(gallery.entries.len() >= 10);
        for e in &gallery.entries {
            let (_, scenario) = entry(&e.id).unwrap_or_else(|err| panic!("{err}"));
            e.check_protocol(&scenario).unwrap();
        }
    }
}
