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
