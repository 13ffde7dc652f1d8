//! The checker against histories recorded by other people against real
//! systems: Jepsen's etcd test (70 logs, Porcupine's verdicts), Porcupine's
//! key-value test (4 histories) and Knossos's own test histories (63 EDN
//! files, Knossos's verdicts and the operations it names).
//!
//! The corpus lives outside the repository, at `../shared/corpus` next to
//! the checkout (`SPLITBRAIN_CORPUS` overrides). Without it this test fails
//! and says where it looked. It runs without the test harness so that its
//! summary (how many files, how many agree) is always printed.

#[path = "common/corpus.rs"]
mod corpus;

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use corpus::Entry;
use splitbrain_core::check::edn::{Edn, Reader};
use splitbrain_core::check::{
    self, CheckOptions, FailReading, Format, History, Scope, TimeBase, Verdict,
};

fn parse(entry: &Entry) -> History {
    let text = entry.text();
    assert_eq!(
        Format::detect(&text),
        Some(entry.format),
        "{}: detected format",
        entry.name
    );
    // Detected, as a user would have it.
    let options = check::ParseOptions {
        format: None,
        ..entry.options.clone()
    };
    check::parse_with(&text, &options).unwrap_or_else(|e| panic!("{}:{e}", entry.name))
}

/// Every file gets its expected verdict, with every key searched and with
/// the search stopped at the first violation.
fn every_file_gets_its_verdict(root: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for (part, entries, whose) in [
        ("jepsen-etcd", corpus::etcd(root), "Porcupine's"),
        ("porcupine-kv", corpus::kv(root), "Porcupine's"),
        ("knossos", corpus::knossos(root), "Knossos's"),
    ] {
        let mut disagree = Vec::new();
        for entry in &entries {
            let history = parse(entry);
            if let Some(model) = &entry.model {
                // A cas-register history without a cas is a register's.
                let detected = history.semantics.model.name();
                assert!(
                    detected == model || (detected, model.as_str()) == ("register", "cas-register"),
                    "{}: detected the {detected} model",
                    entry.name
                );
            }
            let every = check::linearizability(&history, &CheckOptions::default());
            let first = check::linearizability(
                &history,
                &CheckOptions {
                    scope: Scope::FirstViolation,
                    ..CheckOptions::default()
                },
            );
            if every.verdict != entry.expected || first.verdict != entry.expected {
                disagree.push(format!(
                    "{}: expected {:?}, got {:?} (every key) and {:?} (first violation)",
                    entry.name, entry.expected, every.verdict, first.verdict
                ));
            }
        }
        assert!(disagree.is_empty(), "{part}: {disagree:#?}");
        let holds = entries
            .iter()
            .filter(|e| e.expected == Verdict::Holds)
            .count();
        lines.push(format!(
            "{part}: {n} files checked, {n} agree with {whose} verdicts ({holds} linearizable, {} not)",
            entries.len() - holds,
            n = entries.len(),
        ));
    }
    lines
}

/// The position among all maps of the file, and the map, of every
/// top-level form of an EDN collection.
fn maps(text: &str) -> Vec<(u64, Edn<'_>)> {
    let mut reader = Reader::new(text);
    let close = reader.open_sequence().unwrap().expect("a collection");
    let mut maps = Vec::new();
    while let Some(form) = reader.next_in(close).unwrap() {
        maps.push((maps.len() as u64, form));
    }
    maps
}

/// For the four files whose failing operation Knossos's tests name, the
/// explanation names the same one.
fn explanations_name_knossos_operation(root: &Path) -> Vec<String> {
    let mut named = Vec::new();
    for entry in corpus::knossos(root) {
        let Some(at) = entry.stuck_at else { continue };
        let history = parse(&entry);
        let result = check::linearizability(&history, &CheckOptions::default());
        let e = result
            .explanations()
            .next()
            .unwrap_or_else(|| panic!("{}: no explanation", entry.name));
        let stuck = &history.ops[e.stuck];
        assert_eq!(history.time_base, TimeBase::Positions, "{}", entry.name);
        assert_eq!(
            stuck.complete,
            Some(at),
            "{}: the explanation names {} (line {}), Knossos the completion at {at}",
            entry.name,
            history.describe(e.stuck),
            stuck.source
        );
        // And that position is that operation's completion in the file.
        let text = entry.text();
        let all = maps(&text);
        let (_, map) = &all[at as usize];
        assert_eq!(map.get("process"), Some(&Edn::Int(stuck.process as i64)));
        assert_eq!(map.get("type"), Some(&Edn::Keyword("ok")), "{}", entry.name);
        named.push(format!(
            "{} #{at} ({})",
            entry.name,
            history.describe(e.stuck)
        ));
    }
    assert_eq!(named.len(), corpus::KNOSSOS_STUCK.len(), "{named:#?}");
    let mut lines = vec![format!(
        "knossos: {} of {} explanations name the operation Knossos names:",
        named.len(),
        corpus::KNOSSOS_STUCK.len()
    )];
    lines.extend(named.into_iter().map(|n| format!("  {n}")));
    lines
}

/// Porcupine's reading of `:fail` on Knossos's files makes linearizable
/// histories look broken: the reading matters, and the test can fail.
fn the_wrong_reading_of_fail_flips_knossos_verdicts(root: &Path) -> Vec<String> {
    let mut flipped = Vec::new();
    let good: Vec<Entry> = corpus::knossos(root)
        .into_iter()
        .filter(|e| e.expected == Verdict::Holds)
        .collect();
    for entry in &good {
        let options = check::ParseOptions {
            fail: Some(FailReading::CasObserved),
            ..entry.options.clone()
        };
        let history = check::parse_with(&entry.text(), &options).unwrap();
        let verdict = check::linearizability(&history, &CheckOptions::default()).verdict;
        if verdict == Verdict::Violated {
            flipped.push(entry.name.clone());
        }
    }
    assert!(
        !flipped.is_empty(),
        "reading a failed cas as an observation should break some of Knossos's good files"
    );
    vec![format!(
        "knossos: with :fail read as Porcupine does, {} of {} linearizable files are reported not linearizable (as they must be)",
        flipped.len(),
        good.len()
    )]
}

fn a_violation_comes_with_its_explanation(root: &Path) -> Vec<String> {
    let entry = corpus::kv(root)
        .into_iter()
        .find(|e| e.name.ends_with("c01-bad.txt"))
        .expect("c01-bad");
    let history = parse(&entry);
    let result = check::linearizability(&history, &CheckOptions::default());
    let bad: Vec<_> = result.explanations().collect();
    assert_eq!(bad.len(), 1, "one key of c01-bad is broken: {bad:#?}");
    let e = bad[0];
    // One client: the history is sequential, so the prefix is everything on
    // that key before the stuck operation, and nothing is concurrent.
    assert!(e.candidates.is_empty(), "{e:?}");
    assert!(e.prefix.iter().all(|&i| i < e.stuck));
    assert!(
        history.ops[e.stuck].call.is_read(),
        "{}",
        history.describe(e.stuck)
    );
    vec!["porcupine-kv: c01-bad's explanation is a read that cannot be placed".into()]
}

/// Exported as EDN and read back, a history keeps its semantics and its
/// verdict, whichever format and model it came in.
fn edn_export_reads_back_with_the_same_verdict(root: &Path) -> Vec<String> {
    let all = corpus::all(root);
    let mut checked = 0;
    for entry in &all {
        let history = parse(entry);
        let again = check::parse(&check::to_edn(&history), None)
            .unwrap_or_else(|e| panic!("{} exported:{e}", entry.name));
        assert_eq!(again.semantics, history.semantics, "{}", entry.name);
        assert_eq!(again.ops.len(), history.ops.len(), "{}", entry.name);
        let options = CheckOptions::default();
        assert_eq!(
            check::linearizability(&again, &options).verdict,
            entry.expected,
            "{} exported",
            entry.name
        );
        checked += 1;
    }
    vec![format!(
        "every corpus file: {checked} exported as EDN and read back with the same semantics and verdict"
    )]
}

/// A check: lines for the summary, or a panic.
type Check = fn(&Path) -> Vec<String>;

fn main() {
    let root = match corpus::dir() {
        Ok(root) => root,
        Err(e) => {
            eprintln!("corpus: FAILED: {e}");
            std::process::exit(1);
        }
    };
    println!("corpus at {}", root.display());
    let tests: [(&str, Check); 5] = [
        ("every_file_gets_its_verdict", every_file_gets_its_verdict),
        (
            "explanations_name_knossos_operation",
            explanations_name_knossos_operation,
        ),
        (
            "the_wrong_reading_of_fail_flips_knossos_verdicts",
            the_wrong_reading_of_fail_flips_knossos_verdicts,
        ),
        (
            "a_violation_comes_with_its_explanation",
            a_violation_comes_with_its_explanation,
        ),
        (
            "edn_export_reads_back_with_the_same_verdict",
            edn_export_reads_back_with_the_same_verdict,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut failed = 0;
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match panic::catch_unwind(AssertUnwindSafe(|| test(&root))) {
            Ok(lines) => {
                println!("test {name} ... ok");
                for line in lines {
                    println!("    {line}");
                }
            }
            Err(_) => {
                println!("test {name} ... FAILED");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        eprintln!("corpus: {failed} test(s) failed");
        std::process::exit(1);
    }
}
