//! Every run the product ships gives the trace it gave when it was pinned:
//! each example scenario, each gallery entry at its moment, each docs
//! embed, each pinned permalink, every protocol's default run, and seeded
//! runs with random faults. `tests/trace_pins.txt` holds the event count
//! and trace hash of each; a refactor that changes any of them changed what
//! a run does.
//!
//! A deliberate change of behaviour (a protocol fix) re-pins with
//! `SPLITBRAIN_REPIN=1 cargo test -p splitbrain-app --test trace_pins` and
//! says in its commit which runs moved and why.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use splitbrain_app::link;
use splitbrain_app::protocols::ProtocolChoice;
use splitbrain_app::settings::Settings;
use splitbrain_core::gallery::Gallery;
use splitbrain_core::protocol::Op;
use splitbrain_core::scenario::{Faults, Workload};
use splitbrain_core::{build, Action, NodeId, RunOptions, Scenario, Span, Time, TimedAction};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pins_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trace_pins.txt")
}

/// Runs `scenario` to `until` and gives (events, hash).
fn run(scenario: &Scenario, until: Time) -> (u64, u64) {
    let mut sim = build(scenario, RunOptions::default())
        .unwrap_or_else(|e| panic!("{:?}: {e}", scenario.title));
    sim.run_until(until, u64::MAX);
    (sim.trace().len(), sim.trace().hash())
}

fn read_scenario(path: &Path) -> Scenario {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The permalinks pinned in `src/link/tests.rs` and the links of the docs
/// book, each opened at the time it carries.
const LINKS: &[(&str, &str)] = &[
    ("default", "AQA"),
    ("two-actions", "AQALDgKA6jAAAQIDBIC1GAYAEAPgxlsSAQEUAQM"),
    (
        "paxos-embed",
        "AQABAQMDAQMEASoFCER1ZWwgPGI-CwsB0IYDCgIIAXgBMRADwJoMEQEFIAcDBQLBjbcB",
    ),
    (
        "captions",
        "AQALBgHAhD0GAAwzAsDPJBRBIGxlYWRlciBpcyBlbGVjdGVkLoC1GBZOb3cgPGI-bjA8L2I-IGNyYXNoZXMuEAPAzyQSAQE",
    ),
    ("chinese", "AQALDgKA6jAAAQIDBIC1GAYAEAPgxlsSAQEUAQMVAQE"),
    (
        "script",
        "AQFFjTEKAjEQRXeSddVCEA8gYVoVV7FasPIkEQYJmmRJoq6InY2Fd9heDyGezKiIUwyfx-N_tj-ikZqwwFJW1uMQfZAuYHFErUzE-fYNtaxinuS59ngaoqPgDn_ny3_W9GftpFPSxK44oXY0MnZUOquVJzxx4CkkjcHCbk0gR5XU5YYKIVeOSJMJYunsmoxQRsyED1T6zrhVXzOefI5DfM36cmPQTtidPc7zNIsMgNXPfhq7M-jySHsALw",
    ),
];

fn collect() -> BTreeMap<String, (u64, u64)> {
    let mut pins = BTreeMap::new();
    let scenarios = root().join("web/scenarios");

    // Example scenarios, to their `until` (or 10 s).
    let mut files: Vec<PathBuf> = fs::read_dir(&scenarios)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name().is_some_and(|n| n != "gallery.json")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 29, "only {} example scenarios", files.len());
    for path in &files {
        let s = read_scenario(path);
        let until = s.until.unwrap_or(Time(10_000_000));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        pins.insert(format!("scenario {name}"), run(&s, until));
    }

    // Gallery entries, at their moment (where the page opens them).
    let gallery: Gallery =
        serde_json::from_str(&fs::read_to_string(scenarios.join("gallery.json")).unwrap()).unwrap();
    assert!(gallery.entries.len() >= 15);
    for entry in &gallery.entries {
        let s = read_scenario(&scenarios.join(&entry.scenario));
        pins.insert(format!("gallery {}", entry.id), run(&s, entry.moment));
    }

    // Docs embeds.
    let mut pages: Vec<PathBuf> = fs::read_dir(root().join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    let mut embeds = 0;
    for page in pages {
        let text = fs::read_to_string(&page).unwrap();
        for (i, fragment) in text
            .split("index.html#")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .enumerate()
        {
            let opened = link::decode(fragment).unwrap();
            let name = page.file_stem().unwrap().to_string_lossy();
            let until = opened.scenario.until.unwrap_or(Time(10_000_000));
            pins.insert(format!("docs {name}#{i}"), run(&opened.scenario, until));
            embeds += 1;
        }
    }
    assert!(embeds >= 6, "only {embeds} docs embeds");

    // Pinned permalinks, at the time they open at.
    for (name, text) in LINKS {
        let opened = link::decode(text).unwrap();
        pins.insert(
            format!("link {name}"),
            run(&opened.scenario, opened.view.time),
        );
    }

    // Every protocol's fresh run, and seeded runs with random faults.
    for choice in ProtocolChoice::ALL {
        let settings = choice.settings(&Settings::default());
        let s = settings.scenario();
        pins.insert(
            format!("default {}", choice.id()),
            run(&s, Time(20_000_000)),
        );
        // Busy: a workload of clients on the key-value protocols, a
        // transaction every 700 ms on the commit protocols.
        let mut busy = settings.scenario();
        if choice.is_commit() {
            busy.actions = (1..=12u64)
                .map(|i| TimedAction {
                    at: Time(i * 700_000),
                    action: Action::Request {
                        node: NodeId(0),
                        client: None,
                        op: Op::Put {
                            key: "balance".into(),
                            value: (100 * i).to_string(),
                        },
                    },
                })
                .collect();
        } else {
            busy.workload = Some(Workload {
                clients: 4,
                ..Workload::default()
            });
        }
        pins.insert(
            format!("busy {}", choice.id()),
            run(&busy, Time(10_000_000)),
        );
        for seed in 1..=3u64 {
            let mut s = busy.clone();
            s.seed = seed;
            s.network.loss = 0.02;
            s.network.duplicate = 0.02;
            s.faults = Some(Faults {
                until: Time(8_000_000),
                every: Span(400_000),
                crashes: true,
                partitions: true,
                max_down: None,
                loss: 0.05,
            });
            pins.insert(
                format!("faults {} seed {seed}", choice.id()),
                run(&s, Time(12_000_000)),
            );
        }
    }
    pins
}

#[test]
fn every_shipped_run_keeps_its_trace() {
    let now = collect();
    if std::env::var_os("SPLITBRAIN_REPIN").is_some() {
        let mut text = String::from("# name\tevents\ttrace hash (tests/trace_pins.rs)\n");
        for (name, (events, hash)) in &now {
            text.push_str(&format!("{name}\t{events}\t{hash:016x}\n"));
        }
        fs::write(pins_path(), text).unwrap();
        return;
    }
    let text = fs::read_to_string(pins_path()).expect("tests/trace_pins.txt is missing");
    let mut pinned = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.split('\t');
        let (Some(name), Some(events), Some(hash)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("malformed pin line: {line}");
        };
        let hash = u64::from_str_radix(hash, 16).unwrap();
        pinned.insert(name.to_owned(), (events.parse::<u64>().unwrap(), hash));
    }
    let mut diffs = Vec::new();
    for (name, want) in &pinned {
        match now.get(name) {
            None => diffs.push(format!("{name}: no longer produced")),
            Some(got) if got != want => diffs.push(format!(
                "{name}: pinned {} events {:016x}, now {} events {:016x}",
                want.0, want.1, got.0, got.1
            )),
            Some(_) => {}
        }
    }
    for name in now.keys().filter(|n| !pinned.contains_key(*n)) {
        diffs.push(format!("{name}: not pinned (re-pin to add it)"));
    }
    assert!(
        diffs.is_empty(),
        "{} runs changed:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
