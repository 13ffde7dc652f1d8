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

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["--model", "paxos"][..],
        &["--rms", "3"],
        &["--model", "two-phase", "--rms", "0"],
        &["--model", "two-phase", "--rms", "16"],
        &["--model", "two-phase", "--rms", "x"],
        &["--model", "two-phase", "--frobnicate"],
    ] {
        let (code, _, err) = explore(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

// --- explore: protocols ---

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

// --- explorer: Raft ---
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
