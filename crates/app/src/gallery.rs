//! The gallery as the page has it: `web/scenarios/gallery.json` (the
//! entries, their texts and tours) and the scenario files it and the
//! Scenario dialog's examples name. The page fetches each on first use
//! (`web/fetch.rs`: opening the gallery, an entry or an example, or a run
//! that is half of the CAP or PACELC pair) so that the first load carries
//! none of them; Trunk copies `web/scenarios/` next to the page. Natively
//! every file is compiled in, so tests and the CLI-side checks need no
//! server.

use std::sync::OnceLock;

use splitbrain_core::gallery::{Gallery, GalleryEntry};
use splitbrain_core::Scenario;

/// The gallery file, relative to the page.
pub const GALLERY_FILE: &str = "scenarios/gallery.json";

/// The gallery file, as shipped, where there is no server to fetch it from.
#[cfg(not(target_arch = "wasm32"))]
pub const GALLERY_JSON: &str = include_str!("../../../web/scenarios/gallery.json");

/// Where the page finds the scenario files, relative to itself.
pub const SCENARIO_DIR: &str = "scenarios/";

static GALLERY: OnceLock<Gallery> = OnceLock::new();

/// The scenario files the gallery and the examples name, compiled in where
/// there is no server to fetch them from. A test checks that none is
/// missing.
#[cfg(not(target_arch = "wasm32"))]
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
        "raft-disruptive-server.json",
        include_str!("../../../web/scenarios/raft-disruptive-server.json"),
    ),
    (
        "raft-disruptive-server-tamed.json",
        include_str!("../../../web/scenarios/raft-disruptive-server-tamed.json"),
    ),
    (
        "raft-stale-lease-read.json",
        include_str!("../../../web/scenarios/raft-stale-lease-read.json"),
    ),
    (
        "raft-stale-lease-read-index.json",
        include_str!("../../../web/scenarios/raft-stale-lease-read-index.json"),
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
        "three-phase-slow-message-broken.json",
        include_str!("../../../web/scenarios/three-phase-slow-message-broken.json"),
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
    (
        "cap-raft-partition.json",
        include_str!("../../../web/scenarios/cap-raft-partition.json"),
    ),
    (
        "cap-quorum-partition.json",
        include_str!("../../../web/scenarios/cap-quorum-partition.json"),
    ),
    (
        "pacelc-raft-regions.json",
        include_str!("../../../web/scenarios/pacelc-raft-regions.json"),
    ),
    (
        "pacelc-quorum-regions.json",
        include_str!("../../../web/scenarios/pacelc-quorum-regions.json"),
    ),
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
    (
        "lock-service-drift-overlap-broken.json",
        include_str!("../../../web/scenarios/lock-service-drift-overlap-broken.json"),
    ),
    (
        "lock-service-drift-wait.json",
        include_str!("../../../web/scenarios/lock-service-drift-wait.json"),
    ),
    (
        "chain-middle-failure.json",
        include_str!("../../../web/scenarios/chain-middle-failure.json"),
    ),
    (
        "raft-membership-two-leaders-broken.json",
        include_str!("../../../web/scenarios/raft-membership-two-leaders-broken.json"),
    ),
    (
        "raft-membership-safe.json",
        include_str!("../../../web/scenarios/raft-membership-safe.json"),
    ),
    (
        "raft-sweep.json",
        include_str!("../../../web/scenarios/raft-sweep.json"),
    ),
    (
        "paxos-sweep.json",
        include_str!("../../../web/scenarios/paxos-sweep.json"),
    ),
    (
        "multi-paxos-sweep.json",
        include_str!("../../../web/scenarios/multi-paxos-sweep.json"),
    ),
    (
        "multi-paxos-broken-no-recovery.json",
        include_str!("../../../web/scenarios/multi-paxos-broken-no-recovery.json"),
    ),
    (
        "raft-snapshot-catch-up.json",
        include_str!("../../../web/scenarios/raft-snapshot-catch-up.json"),
    ),
];

/// The parsed gallery, once at hand (natively: always). An unreadable
/// file gives an empty gallery rather than a broken page; the test below
/// keeps that from shipping.
pub fn gallery() -> Option<&'static Gallery> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        Some(GALLERY.get_or_init(|| {
            parse(GALLERY_JSON).unwrap_or(Gallery {
                about: String::new(),
                entries: Vec::new(),
            })
        }))
    }
    #[cfg(target_arch = "wasm32")]
    {
        GALLERY.get()
    }
}

/// Whether the gallery is at hand; the page fetches it first.
pub fn ready() -> bool {
    gallery().is_some()
}

fn parse(text: &str) -> Result<Gallery, String> {
    serde_json::from_str(text).map_err(|e| format!("{GALLERY_FILE}: {e}"))
}

/// Installs the gallery file's text, fetched by the page.
pub fn install(text: String) -> Result<(), String> {
    let _ = GALLERY.set(parse(&text)?);
    Ok(())
}

/// An entry's text in the interface language: the Chinese version when the
/// page speaks Chinese and the entry has one, else the English.
pub fn localized<'a>(english: &'a str, chinese: Option<&'a str>) -> &'a str {
    match (crate::i18n::current(), chinese) {
        (crate::i18n::Lang::ZhHans, Some(zh)) if !zh.trim().is_empty() => zh,
        _ => english,
    }
}

/// The scenario file's text, by its name in the gallery, if at hand
/// (natively: always; in the page: once fetched).
pub fn file(name: &str) -> Option<&'static str> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
    }
    #[cfg(target_arch = "wasm32")]
    {
        FETCHED.with(|f| f.borrow().get(name).copied())
    }
}

/// A shipped scenario file, parsed, if at hand.
pub fn scenario(name: &str) -> Option<Scenario> {
    serde_json::from_str(file(name)?).ok()
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// The scenario files fetched so far. Each is fetched once and kept for
    /// the page's life (a few KB each, at most every shipped file), so
    /// [`file`] can lend it out like a compiled-in one.
    static FETCHED: std::cell::RefCell<std::collections::BTreeMap<String, &'static str>> =
        const { std::cell::RefCell::new(std::collections::BTreeMap::new()) };
}

/// Keeps a fetched scenario file's text for [`file`]. Text that is not a
/// scenario is refused, so a broken file says so where it was asked for.
pub fn install_file(name: &str, text: String) -> Result<(), String> {
    serde_json::from_str::<Scenario>(&text).map_err(|e| format!("{name}: {e}"))?;
    #[cfg(target_arch = "wasm32")]
    FETCHED.with(|f| {
        f.borrow_mut()
            .entry(name.to_owned())
            .or_insert_with(|| Box::leak(text.into_boxed_str()));
    });
    Ok(())
}

/// The scenario files an entry needs at hand to open, once the gallery is
/// here: the entry's own and, for half of the CAP or PACELC pair, the
/// other half (the comparison runs it alongside). Empty once all are here.
pub fn missing_for(id: &str) -> Vec<String> {
    let Some(gallery) = gallery() else {
        return Vec::new();
    };
    let Some(entry) = gallery.entries.iter().find(|e| e.id == id) else {
        return Vec::new();
    };
    let mut names = vec![entry.scenario.as_str()];
    for pair in [&crate::cap::CAP_FILES, &crate::pacelc::PACELC_FILES] {
        if pair.contains(&entry.scenario.as_str()) {
            names.extend(pair.iter().copied());
        }
    }
    let mut missing: Vec<String> = names
        .into_iter()
        .filter(|n| file(n).is_none())
        .map(str::to_owned)
        .collect();
    missing.dedup();
    missing
}

/// An entry by id, with its scenario.
pub fn entry(id: &str) -> Result<(GalleryEntry, Scenario), String> {
    let entry = gallery()
        .ok_or_else(|| "The gallery has not loaded yet.".to_owned())?
        .entries
        .iter()
        .find(|e| e.id == id)
        .cloned()
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

    #[test]
    fn chinese_texts_show_in_chinese_and_are_never_empty() {
        use crate::i18n::{self, Lang};
        let gallery = gallery().expect("compiled in natively");
        let translated: Vec<_> = gallery
            .entries
            .iter()
            .filter(|e| e.title_zh.is_some() || e.explanation_zh.is_some())
            .collect();
        // Optional per entry, but the shipped gallery has them.
        assert!(translated.len() >= 15, "{}", translated.len());
        for e in translated {
            let (title, text) = (e.title_zh.as_deref(), e.explanation_zh.as_deref());
            assert!(
                title.is_some_and(|t| !t.trim().is_empty()),
                "{}: title_zh",
                e.id
            );
            assert!(
                text.is_some_and(|t| !t.trim().is_empty()),
                "{}: explanation_zh",
                e.id
            );
            i18n::set(Lang::ZhHans);
            assert_eq!(localized(&e.title, title), title.unwrap());
            i18n::set(Lang::En);
            assert_eq!(localized(&e.title, title), e.title);
        }
        assert_eq!(localized("x", None), "x");
    }
}
