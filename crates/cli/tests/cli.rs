//! The command line as a user meets it: exit codes and the first lines of
//! output, for good scenarios and for every kind of bad one.

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

fn temp_scenario(name: &str, body: &str) -> String {
    let dir = std::env::temp_dir().join(format!("splitbrain-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn every_example_scenario_runs_clean() {
    let dir = repo().join("web/scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        // The gallery's index lives with the scenarios but is not one.
        let gallery = path.file_name().is_some_and(|n| n == "gallery.json");
        if path.extension().is_some_and(|e| e == "json") && !gallery {
            let (code, out, err) = splitbrain(&["run", path.to_str().unwrap()]);
            assert!(out.contains("trace hash: "), "{out}");
            // Scenarios of deliberately broken protocols must show their bug.
            let broken = path.to_string_lossy().contains("broken");
            assert_eq!(
                code,
                if broken { 1 } else { 0 },
                "{}:\n{out}\n{err}",
                path.display()
            );
            assert_eq!(out.contains("VIOLATED"), broken, "{out}");
            seen += 1;
        }
    }
    assert!(seen >= 3, "expected example scenarios in {}", dir.display());
}

#[test]
fn same_scenario_same_hash() {
    let args = ["run", "web/scenarios/raft-sweep.json", "--until", "5s"];
    let (_, a, _) = splitbrain(&args);
    let (_, b, _) = splitbrain(&args);
    let hash = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("trace hash"))
            .map(str::to_owned)
    };
    assert!(hash(&a).is_some());
    assert_eq!(hash(&a), hash(&b));
    let (_, c, _) = splitbrain(&[
        "run",
        "web/scenarios/raft-sweep.json",
        "--until",
        "5s",
        "--seed",
        "9",
    ]);
    assert_ne!(hash(&a), hash(&c), "a different seed should change the run");
}

#[test]
fn broken_raft_exits_1_with_the_violation() {
    let (code, out, _) = splitbrain(&["run", "web/scenarios/raft-broken-figure8.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("VIOLATED at event"), "{out}");
}

#[test]
fn trace_file_has_one_json_object_per_event() {
    let dir = std::env::temp_dir().join(format!("splitbrain-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("t.jsonl");
    let (code, out, err) = splitbrain(&[
        "run",
        "web/scenarios/raft-election.json",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let events: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("events: "))
        .and_then(|n| n.parse().ok())
        .expect("an events line");
    let text = std::fs::read_to_string(&trace).unwrap();
    assert_eq!(text.lines().count(), events);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
        assert!(v.get("kind").is_some() && v.get("t").is_some());
    }
}

/// A long run's trace is written as it runs, in slices, and is the whole
/// trace: every index once, in order, and the same run as without it.
#[test]
fn a_long_trace_is_streamed_whole() {
    let dir = std::env::temp_dir().join(format!("splitbrain-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("long.jsonl");
    let args = ["run", "web/scenarios/raft-workload.json", "--until", "900s"];
    let (code, plain, err) = splitbrain(&args);
    assert_eq!(code, 0, "{err}");
    let mut with_trace = args.to_vec();
    with_trace.extend(["--trace", trace.to_str().unwrap()]);
    let (code, out, err) = splitbrain(&with_trace);
    assert_eq!(code, 0, "{err}");
    let line = |text: &str, prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix).map(str::to_owned))
            .expect(prefix)
    };
    assert_eq!(line(&out, "trace hash: "), line(&plain, "trace hash: "));
    let events: u64 = line(&out, "events: ").parse().unwrap();
    assert!(events > 3 * 65_536, "{events} events: not several slices");
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut count = 0u64;
    for (i, l) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).expect("valid JSON");
        assert_eq!(v["i"].as_u64(), Some(i as u64));
        count += 1;
    }
    assert_eq!(count, events);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_scenarios_exit_2_naming_what_is_wrong() {
    let cases = [
        (
            r#"{"protocol":{"name":"raft"},"nodes":0}"#,
            "nodes: must be between 1 and 51",
        ),
        (
            r#"{"protocol":{"name":"raft"},"nodes":3,"colour":1}"#,
            "unknown field `colour`",
        ),
        (
            r#"{"protocol":{"name":"raft"},"nodes":3,"network":{"latency":{"min":-5,"max":"3ms"}}}"#,
            "network.latency.min: negative duration",
        ),
        (
            r#"{"protocol":{"name":"raft"},"nodes":3,"actions":[{"at":"1s","action":{"kind":"crash","node":7}}]}"#,
            "actions[0].action.node: node 7 does not exist",
        ),
        (
            r#"{"protocol":{"name":"raft"},"nodes":3,"actions":[
                {"at":"2s","action":{"kind":"heal"}},{"at":"1s","action":{"kind":"heal"}}]}"#,
            "actions[1].at: actions must be in time order",
        ),
        (
            r#"{"protocol":{"name":"raft","bogus":1},"nodes":3}"#,
            "unknown field `bogus`",
        ),
        (
            r#"{"protocol":{"name":"nope"},"nodes":3}"#,
            "unknown variant `nope`",
        ),
        (r#"{"protocol":{"name":"raft"},"nodes":3"#, ":1:"),
        (
            r#"{"protocol":{"name":"raft"},"nodes":3,"network":{"loss":1.5}}"#,
            "network.loss",
        ),
    ];
    for (i, (body, expected)) in cases.iter().enumerate() {
        let path = temp_scenario(&format!("bad{i}.json"), body);
        let (code, out, err) = splitbrain(&["run", &path]);
        assert_eq!(code, 2, "case {i}: {body}\n{out}{err}");
        assert!(
            err.contains(expected),
            "case {i}: expected `{expected}` in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(splitbrain(&[]).0, 2);
    assert_eq!(splitbrain(&["fly"]).0, 2);
    assert_eq!(splitbrain(&["run"]).0, 2);
    assert_eq!(splitbrain(&["run", "no/such/file.json"]).0, 2);
    let (code, _, err) =
        splitbrain(&["run", "web/scenarios/raft-election.json", "--until", "soon"]);
    assert_eq!(code, 2);
    assert!(err.contains("--until"), "{err}");
}
