//! CAP from the command line: the same fault script (a partition isolating
//! 2 of 5 nodes for 10 s, clients on both sides) against Raft and against
//! the sloppy-quorum store, and the consistent-hashing numbers.

use std::path::PathBuf;
use std::process::Command;

fn splitbrain(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The percentage on the first line starting with `prefix`.
fn percent(out: &str, prefix: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{out}"));
    let (_, rest) = line
        .split_once("): ")
        .or_else(|| line.split_once(": "))
        .unwrap();
    rest.split('%').next().unwrap().trim().parse().unwrap()
}

/// The number before `what` on the consistency line.
fn count(out: &str, what: &str) -> u64 {
    let line = out.lines().find(|l| l.starts_with("consistency:")).unwrap();
    let before = line.split(what).next().unwrap();
    before
        .rsplit(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn raft_gives_up_availability_where_the_ap_store_gives_up_consistency() {
    let (code, raft, err) = splitbrain(&["run", "web/scenarios/cap-raft-partition.json"]);
    assert_eq!(code, 0, "{raft}\n{err}");
    let (code, store, err) = splitbrain(&["run", "web/scenarios/cap-quorum-partition.json"]);
    assert_eq!(code, 0, "{store}\n{err}");
    let during = "availability during the partition";
    let (raft_av, store_av) = (percent(&raft, during), percent(&store, during));
    println!("availability during the partition: raft {raft_av}%, store {store_av}%");
    assert!(raft_av < store_av, "raft {raft_av}% vs store {store_av}%");
    // Raft's minority side serves nobody; the store's serves everyone.
    assert_eq!(percent(&raft, "clients of n1, n4"), 0.0, "{raft}");
    assert_eq!(percent(&store, "clients of n1, n4"), 100.0, "{store}");
    // What the store pays: stale reads or siblings. Raft stays linearizable.
    let (stale, siblings) = (
        count(&store, "stale reads"),
        count(&store, "reads with siblings"),
    );
    println!("store: {stale} stale reads, {siblings} reads with siblings");
    assert!(stale + siblings > 0, "{store}");
    assert!(raft.contains("linearizable: yes"), "{raft}");
    assert!(store.contains("linearizable: no"), "{store}");
}

#[test]
fn reads_lists_each_read_with_its_replicas_and_staleness() {
    let (code, out, err) = splitbrain(&["run", "web/scenarios/quorum-stale-read.json", "--reads"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("consistency: 1 stale reads of 3 reads"),
        "{out}"
    );
    let stale: Vec<&str> = out.lines().filter(|l| l.ends_with("STALE")).collect();
    assert_eq!(stale.len(), 1, "{out}");
    assert!(
        stale[0].contains("get x") && stale[0].contains("replicas n1"),
        "{out}"
    );
}

#[test]
fn ring_prints_spread_and_moved_keys_against_modulo() {
    let (code, out, err) = splitbrain(&[
        "ring",
        "--nodes",
        "5",
        "--vnodes",
        "1,8,64,256",
        "--keys",
        "10000",
        "--key",
        "x",
    ]);
    assert_eq!(code, 0, "{err}");
    println!("{out}");
    let rows: Vec<Vec<f64>> = out
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| {
            l.split_whitespace()
                .map(|w| w.trim_end_matches('%').parse().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 4, "{out}");
    for row in &rows {
        assert!(row[2] < 40.0, "a join never moves most keys: {row:?}");
    }
    // 256 vnodes: within a few points of the ideal 1/6.
    assert!((rows[3][2] - 16.7).abs() < 5.0, "{out}");
    assert!(rows[3][1] < rows[0][1], "more vnodes, less spread: {out}");
    assert!(
        out.contains("modulo hashing (hash mod N): a join moves 8"),
        "{out}"
    );
    assert!(out.contains("x: replicas "), "{out}");
    let (code, _, err) = splitbrain(&["ring", "--vnodes", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--vnodes"), "{err}");
}

/// The mean latency on the `latency` line, in ms.
fn mean_latency(out: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.starts_with("latency of successful requests"))
        .unwrap_or_else(|| panic!("no latency line:\n{out}"));
    line.split("mean ")
        .nth(1)
        .unwrap()
        .split(" ms")
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn without_a_partition_consistency_costs_latency_across_regions() {
    let (code, raft, err) = splitbrain(&["run", "web/scenarios/pacelc-raft-regions.json"]);
    assert_eq!(code, 0, "{raft}\n{err}");
    let (code, store, err) = splitbrain(&["run", "web/scenarios/pacelc-quorum-regions.json"]);
    assert_eq!(code, 0, "{store}\n{err}");
    let (r, s) = (mean_latency(&raft), mean_latency(&store));
    println!("mean latency across regions: raft {r} ms, R=W=1 store {s} ms");
    // Every Raft commit crosses a region (no region holds a majority).
    assert!(r >= 80.0, "{raft}");
    assert!(s * 2.0 < r, "raft {r} ms vs store {s} ms");
}
