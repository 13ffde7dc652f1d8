//! `splitbrain check-history` and `splitbrain run --history` as a user meets
//! them: the first line, the exit status (0 linearizable, 1 not, 2 bad
//! input, 3 unknown), `FILE:LINE:COLUMN: reason` for malformed files, the
//! model and `:fail` options, and output into a pipe that closes early.
//! (Every corpus file goes through the binary in `tests/corpus.rs`.)

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
    let (code, out, err) = splitbrain(&[
        "check-history",
        &path,
        "--format",
        "porcupine-kv",
        "--model",
        "kv",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(out.lines().next(), Some("not linearizable"), "{out}");
    assert!(
        out.contains("cannot be placed: line 3 (completed at #3): p1 get -> nil"),
        "{out}"
    );
    // In Jepsen's register model a read of nil says nothing.
    let (code, out, err) = splitbrain(&["check-history", &path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "(edn; register, a :fail did not happen, a read of nil says nothing, starting unset;"
        ),
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
            ":2:42: unterminated string",
        ),
        (
            "{:process 0, :type :ok, :f :read, :value 1}\n",
            ":1:1: process 0 completes :read but has no operation in progress",
        ),
        (
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t3\n",
            ":2:21: process 0 completes :write but invoked :read on line 1",
        ),
        (
            "[{:process 0, :type :invoke, :f :read}\n {:process 1, :type :invoke, :f :acquire}]",
            ":2:2: :acquire in a history of the register model: one model per history",
        ),
        ("what is this\n", ":1:1: cannot tell the format"),
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
    let (code, _, err) = splitbrain(&["check-history", &path, "--format", "edn"]);
    assert_eq!(code, 2);
    assert!(err.contains(":1:1: "), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(splitbrain(&["check-history"]).0, 2);
    assert_eq!(splitbrain(&["check-history", "no/such/file.edn"]).0, 2);
    let path = temp_file("args.edn", &write_then_read("1"));
    let (code, _, err) = splitbrain(&["check-history", &path, "--format", "xml"]);
    assert_eq!(code, 2);
    assert!(err.contains("jepsen-etcd, edn"), "{err}");
    assert_eq!(
        splitbrain(&["check-history", &path, "--max-steps", "many"]).0,
        2
    );
    let (code, _, err) = splitbrain(&["check-history", &path, "--model", "queue"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("register, cas-register, kv, mutex, multi-register"),
        "{err}"
    );
    let (code, _, err) = splitbrain(&["check-history", &path, "--fail", "maybe"]);
    assert_eq!(code, 2);
    assert!(err.contains("did-not-happen, cas-observed"), "{err}");
    let (code, _, err) = splitbrain(&["check-history", &path, "--initial", "{:x"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--initial `{:x`: column 4: expected a value"),
        "{err}"
    );
    let (code, _, err) = splitbrain(&["check-history", &path, "--model", "mutex"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(":1:1: `:write` is not an operation of the mutex model"),
        "{err}"
    );
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
        text.starts_with("; splitbrain semantics {:model :kv") && text.contains("\n[{:process "),
        "{}",
        &text[..200.min(text.len())]
    );
    let (code, out, err) = splitbrain(&["check-history", edn.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().next(), Some("linearizable"));
}

/// Jepsen's EDN as Jepsen writes it: one vector, maps across lines,
/// comments, a record tag, a nemesis, a :fail.
const KNOSSOS_STYLE: &str = r#"; a compare-and-set register
[{:process 0, :type :invoke, :f :write, :value 1}
 {:process 0,
  :type :ok, :f :write, :value 1}
 {:process :nemesis, :type :info, :f :start, :value "cut [n1] #{n2}"}
 #jepsen.history.Op{:process 1, :type :invoke, :f :cas, :value [2 3]}
 {:process 1, :type :fail, :f :cas, :value [2 3]} ; the register held 1
 {:process 2, :type :invoke, :f :read, :value nil}
 {:process 2, :type :ok, :f :read, :value 1}]
"#;

#[test]
fn jepsen_edn_is_read_and_the_reading_of_fail_is_chosen() {
    let path = temp_file("knossos.edn", KNOSSOS_STYLE);
    let (code, out, err) = splitbrain(&["check-history", &path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("(edn; cas-register, a :fail did not happen"),
        "{out}"
    );
    // Porcupine's reading: the failed cas saw a value other than 2, which
    // 1 is: still linearizable.
    let (code, out, err) = splitbrain(&["check-history", &path, "--fail", "cas-observed"]);
    assert_eq!(code, 0, "{out}{err}");
    // A failed cas of [1 3] would have seen 1: not linearizable when a
    // failure is an observation, fine when it did not happen.
    let observed = KNOSSOS_STYLE.replace("[2 3]", "[1 3]");
    let path = temp_file("knossos-observed.edn", &observed);
    assert_eq!(splitbrain(&["check-history", &path]).0, 0);
    let (code, out, _) = splitbrain(&["check-history", &path, "--fail", "cas-observed"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cannot be placed: line 6 (completed at #4): p1 cas [1 3] failed"),
        "{out}"
    );
    // A first value given: the read of 1 before any write is then wrong.
    let early = "[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :ok, :f :read, :value 1}]";
    let path = temp_file("initial.edn", early);
    assert_eq!(splitbrain(&["check-history", &path, "--initial", "1"]).0, 0);
    assert_eq!(splitbrain(&["check-history", &path, "--initial", "0"]).0, 1);
    assert_eq!(splitbrain(&["check-history", &path]).0, 1);
}

/// Two keys written by jepsen.independent tuples, both broken.
const TWO_BAD_KEYS: &str = "[{:process 0, :type :invoke, :f :write, :value [1 5]}
 {:process 0, :type :ok, :f :write, :value [1 5]}
 {:process 1, :type :invoke, :f :read, :value [1 nil]}
 {:process 1, :type :ok, :f :read, :value [1 6]}
 {:process 2, :type :invoke, :f :write, :value [2 5]}
 {:process 2, :type :ok, :f :write, :value [2 5]}
 {:process 3, :type :invoke, :f :read, :value [2 nil]}
 {:process 3, :type :ok, :f :read, :value [2 7]}]";

#[test]
fn the_first_violated_key_is_enough_unless_every_key_is_asked_for() {
    let path = temp_file("two-keys.edn", TWO_BAD_KEYS);
    let (code, out, _) = splitbrain(&["check-history", &path]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("2 keys)"), "{out}");
    assert_eq!(out.matches(": not linearizable").count(), 1, "{out}");
    assert!(
        out.contains("stopped at the first key that is not linearizable; 1 of 2 keys not decided"),
        "{out}"
    );
    let (code, out, _) = splitbrain(&["check-history", &path, "--all-keys"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("key \"1\": not linearizable"), "{out}");
    assert!(out.contains("key \"2\": not linearizable"), "{out}");
    assert!(!out.contains("stopped at the first"), "{out}");
}

/// Every command, its output piped into a reader that closes at once
/// (`splitbrain ... | head -0`): it ends quietly, by SIGPIPE or because it
/// was done, never with a panic.
#[cfg(unix)]
#[test]
fn closed_pipes_end_every_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let history = temp_file("pipe.edn", &write_then_read("2"));
    let trace = std::env::temp_dir().join(format!("splitbrain-pipe-{}.jsonl", std::process::id()));
    let commands: Vec<Vec<&str>> = vec![
        vec!["check-history", &history, "--all-keys"],
        vec!["check-history", "--help"],
        vec![
            "run",
            "web/scenarios/raft-sweep.json",
            "--reads",
            "--logs",
            "--trace",
            trace.to_str().unwrap(),
        ],
        vec!["ring", "--keys", "20000"],
        vec!["explore", "--model", "two-phase", "--rms", "3"],
        vec!["--help"],
        vec!["nonsense"],
    ];
    for args in commands {
        for stream in ["stdout", "stderr"] {
            let mut command = Command::new(env!("CARGO_BIN_EXE_splitbrain"));
            command.args(&args).current_dir(repo());
            let mut child = if stream == "stdout" {
                command
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            } else {
                command
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            };
            // Close the end the command writes to before it writes.
            let other = if stream == "stdout" {
                drop(child.stdout.take());
                child.stderr.take()
            } else {
                drop(child.stderr.take());
                None
            };
            let status = child.wait().unwrap();
            let mut err = String::new();
            if let Some(mut e) = other {
                use std::io::Read;
                e.read_to_string(&mut err).unwrap();
            }
            assert!(
                !err.contains("panicked"),
                "{args:?} ({stream} closed): {err}"
            );
            let quiet =
                status.signal() == Some(libc_sigpipe()) || status.code().is_some_and(|c| c != 101);
            assert!(quiet, "{args:?} ({stream} closed): {status:?} {err}");
        }
    }
}

/// SIGPIPE's number (13 on Linux and the BSDs).
#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13
}
