//! `splitbrain explore`: the reference model's pinned state counts and the
//! command's errors.

use std::process::Command;

fn explore(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .arg("explore")
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// TLC's count for the TwoPhase spec with 3 RMs, and the established
/// count at 7 RMs.
#[test]
fn two_phase_state_counts() {
    for (rms, count) in [("3", "288"), ("7", "296448")] {
        let (code, out, err) = explore(&["--model", "two-phase", "--rms", rms]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(
            out.lines().next(),
            Some(format!("unique states: {count}").as_str())
        );
        assert!(out.contains("always consistent (no RM commits while another aborts): holds"));
    }
}

#[test]
fn symmetry_and_dfs() {
    let (code, out, _) = explore(&["--model", "two-phase", "--rms", "3", "--symmetry"]);
    assert_eq!((code, out.lines().next()), (0, Some("unique states: 80")));
    let (code, out, _) = explore(&["--model", "two-phase", "--rms", "3", "--dfs"]);
    assert_eq!((code, out.lines().next()), (0, Some("unique states: 288")));
}

#[test]
fn bounds_are_reported() {
    let (code, out, _) = explore(&["--model", "two-phase", "--rms", "3", "--max-depth", "2"]);
    assert_eq!(code, 1, "'can commit' is out of reach at depth 2: {out}");
    assert!(out.contains("stopped at a bound"), "{out}");
    assert!(out.contains("NEVER REACHED"), "{out}");
}

/// The memory line is measured, not estimated from type sizes: 296,448
/// states cannot be held in less than their 8-byte fingerprints, and the
/// fingerprint set, links and kept states fit in 64 bytes per state.
#[test]
fn memory_is_measured_and_reported() {
    let (code, out, err) = explore(&["--model", "two-phase", "--rms", "7", "--quiet"]);
    assert_eq!(code, 0, "{out}{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("memory: "))
        .unwrap_or_else(|| panic!("no memory line: {out}"));
    let per_state: usize = line
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(" bytes/state)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!((8..=64).contains(&per_state), "{line}");
    assert!(line.contains(" MiB allocated at peak"), "{line}");
}

/// One thread or several: the same states, depth and verdicts.
#[test]
fn threads_do_not_change_the_outcome() {
    let without_timing = |out: &str| {
        out.lines()
            .filter(|l| !l.starts_with("explored in") && !l.starts_with("memory:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for args in [
        &["--model", "two-phase", "--rms", "6"][..],
        &["--protocol", "naive-paxos", "--max-timers", "2"],
        &[
            "--protocol",
            "paxos",
            "--max-timers",
            "2",
            "--max-in-flight",
            "5",
        ],
    ] {
        let (code1, one, _) = explore(&[args, &["--threads", "1"]].concat());
        let (code3, three, _) = explore(&[args, &["--threads", "3"]].concat());
        assert_eq!(code1, code3, "{args:?}");
        assert_eq!(without_timing(&one), without_timing(&three), "{args:?}");
        assert!(three.contains("on 3 threads"), "{three}");
    }
}

/// Each bound that stops a search is named.
#[test]
fn the_bound_that_stopped_the_search_is_named() {
    let (code, out, _) = explore(&["--model", "two-phase", "--rms", "6", "--max-states", "1000"]);
    assert_eq!(
        code, 1,
        "'can commit' is out of reach in 1000 states: {out}"
    );
    assert!(out.starts_with("unique states: 1000\n"), "{out}");
    assert!(
        out.contains("stopped at a bound: --max-states 1000; verdicts cover the states visited"),
        "{out}"
    );
    let (_, out, _) = explore(&["--model", "two-phase", "--rms", "6", "--max-memory", "100K"]);
    assert!(
        out.contains(
            "stopped at a bound: --max-memory 100.0 KiB (3,200 states at up to 32 bytes each)"
        ),
        "{out}"
    );
    assert!(out.starts_with("unique states: 3200\n"), "{out}");
    let (_, out, _) = explore(&["--protocol", "paxos", "--max-memory", "1M"]);
    assert!(
        out.contains("stopped at a bound: --max-memory 1.0 MiB"),
        "{out}"
    );
    assert!(out.contains("always agreement: holds"), "{out}");
}

/// `--help` documents both forms and the search options.
#[test]
fn help_documents_both_forms() {
    for args in [&["--help"][..], &["--protocol", "paxos", "--help"]] {
        let (code, out, _) = explore(args);
        assert_eq!(code, 0);
        for needle in [
            "splitbrain explore --model two-phase",
            "splitbrain explore --protocol P",
            "--threads N",
            "--max-memory SIZE",
            "--max-timers N",
            "--swarm RUNS",
        ] {
            assert!(out.contains(needle), "{needle} missing from:\n{out}");
        }
    }
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["--model", "paxos"][..],
        &["--rms", "3"],
        &["--model", "two-phase", "--rms", "0"],
        &["--model", "two-phase", "--rms", "16"],
        &["--model", "two-phase", "--rms", "x"],
        &["--model", "two-phase", "--frobnicate"],
        &["--model", "two-phase", "--threads", "0"],
        &["--model", "two-phase", "--max-memory", "lots"],
        &["--model", "two-phase", "--max-time", "10"],
    ] {
        let (code, _, err) = explore(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

fn run_scenario(path: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .arg("run")
        .arg(path)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Naive Paxos: the shortest counterexample, written as a scenario that
/// `splitbrain run` replays to the same violation.
#[test]
fn protocol_counterexample_replays_with_run() {
    let dir = std::env::temp_dir().join(format!("sb-explore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("counterexample.json");
    let (code, stdout, err) = explore(&[
        "--protocol",
        "naive-paxos",
        "--max-timers",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}{err}");
    assert!(stdout.starts_with("unique states: "), "{stdout}");
    assert!(stdout.contains("states/s"), "{stdout}");
    assert!(
        stdout.contains("always agreement: VIOLATED after 4 steps:"),
        "{stdout}"
    );
    let (code, run) = run_scenario(&out);
    assert_eq!(code, 1, "{run}");
    assert!(run.contains("agreement: VIOLATED"), "{run}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Real Paxos within small bounds: every state explored, none bad.
#[test]
fn real_paxos_holds_within_bounds() {
    let (code, out, err) = explore(&[
        "--protocol",
        "paxos",
        "--max-timers",
        "2",
        "--max-in-flight",
        "5",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().next(), Some("unique states: 19050"));
    assert!(out.contains("always agreement: holds"), "{out}");
    assert!(out.contains("always validity: holds"), "{out}");
    let (code, dfs, _) = explore(&[
        "--protocol",
        "paxos",
        "--dfs",
        "--max-timers",
        "2",
        "--max-in-flight",
        "5",
    ]);
    assert_eq!(
        (code, dfs.lines().next()),
        (0, Some("unique states: 19050"))
    );
}

/// Swarm mode reports the failing run's seed and how to reproduce it.
#[test]
fn swarm_reports_a_reproducible_seed() {
    let dir = std::env::temp_dir().join(format!("sb-swarm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("failing.json");
    let (code, stdout, err) = explore(&[
        "--protocol",
        "naive-paxos",
        "--swarm",
        "50",
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}{err}");
    assert!(stdout.contains("(seed "), "{stdout}");
    assert!(stdout.contains("reproduce: splitbrain run"), "{stdout}");
    let (code, run) = run_scenario(&out);
    assert_eq!(code, 1, "{run}");
    let (code, ok, _) = explore(&["--protocol", "paxos", "--swarm", "20"]);
    assert_eq!(code, 0, "{ok}");
    assert!(ok.contains("no violation in 20 runs"), "{ok}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn protocol_bad_arguments_exit_2() {
    for args in [
        &["--protocol", "raft2"][..],
        &["--protocol"],
        &["--protocol", "paxos", "--symmetry"],
        &["--protocol", "paxos", "--max-drops", "x"],
        &["--protocol", "paxos", "--max-drops", "1000"],
        &["--protocol", "paxos", "--scenario", "/nonexistent.json"],
    ] {
        let (code, _, err) = explore(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

#[test]
fn raft_explores_exhaustively() {
    let (code, stdout, err) = explore(&[
        "--protocol",
        "raft",
        "--max-timers",
        "2",
        "--max-in-flight",
        "4",
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(stdout.contains("unique states: 7852"), "{stdout}");
    assert!(stdout.contains("always election safety: holds"), "{stdout}");
}

/// `--directed WIDTH` runs the directed search: naive Paxos's agreement
/// violation comes back as a path that `--out` writes and `splitbrain
/// run` replays; correct Paxos comes back clean with the reminder that
/// this proves nothing; a width of 0 is refused.
#[test]
fn directed_search_finds_naive_paxos_and_proves_nothing_on_paxos() {
    let dir = std::env::temp_dir().join(format!("splitbrain-directed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_file = dir.join("cex.json");
    let (code, out, err) = explore(&[
        "--protocol",
        "naive-paxos",
        "--max-timers",
        "2",
        "--directed",
        "100",
        "--quiet",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("directed search: "), "{out}");
    assert!(out.contains("always agreement: VIOLATED after"), "{out}");
    let run = Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .arg("run")
        .arg(&out_file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("agreement: VIOLATED"), "{text}");
    let (code, out, err) = explore(&[
        "--protocol",
        "paxos",
        "--max-timers",
        "2",
        "--directed",
        "100",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("proves nothing"), "{out}");
    let (code, _, err) = explore(&["--protocol", "paxos", "--directed", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--directed 0"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
