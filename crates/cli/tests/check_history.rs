//! `splitbrain check-history` and `splitbrain run --history` as a user meets
//! them: the first line, the exit status (0 linearizable, 1 not, 2 bad
//! input, 3 unknown), and `FILE:LINE: reason` for malformed files.

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn splitbrain(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(name: &str, body: &str) -> String {
    let dir = std::env::temp_dir().join(format!("splitbrain-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.to_string_lossy().into_owned()
}

fn corpus() -> Option<PathBuf> {
    let dir = match std::env::var_os("SPLITBRAIN_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    if dir.join("README.md").is_file() {
        Some(dir)
    } else {
        println!("SKIPPED: no history corpus at {}", dir.display());
        None
    }
}

/// p0 writes 1; then p1 reads `read`.
fn write_then_read(read: &str) -> String {
    format!(
        "{{:process 0, :type :invoke, :f :write, :value 1}}\n\
         {{:process 0, :type :ok, :f :write, :value 1}}\n\
         {{:process 1, :type :invoke, :f :read, :value nil}}\n\
         {{:process 1, :type :ok, :f :read, :value {read}}}\n"
    )
}

#[test]
fn a_linearizable_history_exits_0() {
    let path = temp_file("ok.edn", &write_then_read("1"));
    let (code, out, err) = splitbrain(&["check-history", &path]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().next(), Some("linearizable"), "{out}");
}

#[test]
fn a_stale_read_exits_1_and_says_which_operation() {
    let path = temp_file("stale.edn", &write_then_read("nil"));
    let (code, out, err) = splitbrain(&["check-history", &path, "--format", "porcupine-kv"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(out.lines().next(), Some("not linearizable"), "{out}");
    assert!(
        out.contains("cannot be placed: line 3: p1 read -> nil"),
        "{out}"
    );
}

#[test]
fn a_search_over_budget_exits_3_with_unknown() {
    let path = temp_file("budget.edn", &write_then_read("1"));
    let (code, out, err) = splitbrain(&["check-history", &path, "--max-steps", "1"]);
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(out.lines().next(), Some("unknown"), "{out}");
    assert!(out.contains("--max-steps"), "{out}");
}

#[test]
fn malformed_histories_exit_2_with_file_and_line() {
    let cases = [
        (
            "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value \"x}\n",
            ":2: unterminated string",
        ),
        (
            "{:process 0, :type :ok, :f :read, :value 1}\n",
            ":1: process 0 completes :read but has no operation in progress",
        ),
        (
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t3\n",
            ":2: process 0 completes :write but invoked :read on line 1",
        ),
        ("what is this\n", ":1: cannot tell the format"),
    ];
    for (i, (body, expected)) in cases.iter().enumerate() {
        let path = temp_file(&format!("bad{i}.txt"), body);
        let (code, out, err) = splitbrain(&["check-history", &path]);
        assert_eq!(code, 2, "case {i}:\n{out}{err}");
        assert!(
            err.contains(&format!("{path}{expected}")),
            "case {i}: expected `{path}{expected}` in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    // The wrong format, forced.
    let path = temp_file("etcd.log", "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n");
    let (code, _, err) = splitbrain(&["check-history", &path, "--format", "porcupine-kv"]);
    assert_eq!(code, 2);
    assert!(err.contains(":1: "), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(splitbrain(&["check-history"]).0, 2);
    assert_eq!(splitbrain(&["check-history", "no/such/file.edn"]).0, 2);
    let path = temp_file("args.edn", &write_then_read("1"));
    let (code, _, err) = splitbrain(&["check-history", &path, "--format", "xml"]);
    assert_eq!(code, 2);
    assert!(err.contains("jepsen-etcd, porcupine-kv"), "{err}");
    assert_eq!(
        splitbrain(&["check-history", &path, "--max-steps", "many"]).0,
        2
    );
}

#[test]
fn corpus_histories_get_their_expected_exit_status() {
    let Some(dir) = corpus() else { return };
    for (file, code, first) in [
        ("jepsen-etcd/etcd_002.log", 0, "linearizable"),
        ("jepsen-etcd/etcd_000.log", 1, "not linearizable"),
        ("porcupine-kv/c01-ok.txt", 0, "linearizable"),
        ("porcupine-kv/c01-bad.txt", 1, "not linearizable"),
    ] {
        let path = dir.join(file);
        let (got, out, err) = splitbrain(&["check-history", path.to_str().unwrap()]);
        assert_eq!(got, code, "{file}:\n{out}{err}");
        assert_eq!(out.lines().next(), Some(first), "{file}:\n{out}");
    }
}

#[test]
fn a_runs_history_exports_as_edn_and_checks_as_linearizable() {
    let edn = std::env::temp_dir().join(format!("splitbrain-run-{}.edn", std::process::id()));
    let (code, out, err) = splitbrain(&[
        "run",
        "web/scenarios/raft-sweep.json",
        "--history",
        edn.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("linearizable: yes"), "{out}");
    let text = std::fs::read_to_string(&edn).unwrap();
    assert!(
        text.starts_with("{:process "),
        "{}",
        &text[..80.min(text.len())]
    );
    let (code, out, err) = splitbrain(&["check-history", edn.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().next(), Some("linearizable"));
}
