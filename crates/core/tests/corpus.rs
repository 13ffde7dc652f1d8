//! The checker against histories recorded by other people against real
//! systems: Jepsen's etcd test (70 logs) and Porcupine's key-value test (4
//! histories). The expected verdicts are the corpus README's, which are
//! Porcupine's.
//!
//! The corpus lives outside the repository, at `../shared/corpus` next to
//! the checkout (`SPLITBRAIN_CORPUS` overrides). Without it, the tests say
//! so and pass.

use std::path::PathBuf;

use splitbrain_core::check::{self, CheckOptions, Format, Verdict};

/// From the corpus README: every other etcd history is not linearizable.
const LINEARIZABLE_ETCD: [u32; 14] = [2, 5, 7, 18, 25, 31, 38, 45, 48, 49, 51, 53, 56, 67];

fn corpus() -> Option<PathBuf> {
    let dir = match std::env::var_os("SPLITBRAIN_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    if dir.join("README.md").is_file() {
        Some(dir)
    } else {
        println!(
            "SKIPPED: no history corpus at {} (set SPLITBRAIN_CORPUS to its directory)",
            dir.display()
        );
        None
    }
}

fn files(dir: PathBuf, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

fn verdict(path: &PathBuf, format: Format) -> Verdict {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(Format::detect(&text), Some(format), "{}", path.display());
    let history = check::parse(&text, None)
        .unwrap_or_else(|e| panic!("{}:{}: {}", path.display(), e.line, e.message));
    check::linearizability(&history, &CheckOptions::default()).verdict
}

#[test]
fn every_etcd_history_gets_porcupines_verdict() {
    let Some(dir) = corpus() else { return };
    let logs = files(dir.join("jepsen-etcd"), "log");
    assert_eq!(logs.len(), 70, "the README promises 70 etcd histories");
    let mut disagreements = Vec::new();
    for path in &logs {
        let name = path.file_stem().unwrap().to_string_lossy();
        let number: u32 = name.trim_start_matches("etcd_").parse().unwrap();
        let expected = if LINEARIZABLE_ETCD.contains(&number) {
            Verdict::Holds
        } else {
            Verdict::Violated
        };
        let got = verdict(path, Format::JepsenEtcd);
        if got != expected {
            disagreements.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    println!(
        "jepsen-etcd: {}/{} agree",
        logs.len() - disagreements.len(),
        logs.len()
    );
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn every_key_value_history_gets_porcupines_verdict() {
    let Some(dir) = corpus() else { return };
    let histories = files(dir.join("porcupine-kv"), "txt");
    assert_eq!(
        histories.len(),
        4,
        "the README promises 4 key-value histories"
    );
    for path in &histories {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = if name.ends_with("-ok") {
            Verdict::Holds
        } else {
            assert!(name.ends_with("-bad"), "{name}");
            Verdict::Violated
        };
        assert_eq!(verdict(path, Format::PorcupineKv), expected, "{name}");
    }
    println!("porcupine-kv: 4/4 agree");
}

#[test]
fn a_violation_comes_with_its_explanation() {
    let Some(dir) = corpus() else { return };
    let text = std::fs::read_to_string(dir.join("porcupine-kv/c01-bad.txt")).unwrap();
    let history = check::parse(&text, None).unwrap();
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
        history.ops[e.stuck].describe()
    );
}

#[test]
fn edn_export_of_a_corpus_history_reads_back_with_the_same_verdict() {
    let Some(dir) = corpus() else { return };
    for name in ["jepsen-etcd/etcd_002.log", "jepsen-etcd/etcd_000.log"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let history = check::parse(&text, None).unwrap();
        let again = check::parse(&check::to_edn(&history), None).unwrap();
        assert_eq!(again.ops.len(), history.ops.len());
        let options = CheckOptions::default();
        assert_eq!(
            check::linearizability(&again, &options).verdict,
            check::linearizability(&history, &options).verdict,
            "{name}"
        );
    }
}
