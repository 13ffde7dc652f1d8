//! Every file of the shared corpus through `splitbrain check-history`, as a
//! user would run it: the first line and the exit status (0 linearizable,
//! 1 not) are the verdict the corpus's READMEs state; Knossos's four named
//! operations appear in the explanation; and Porcupine's reading of
//! `:fail` (`--fail cas-observed`) turns some of Knossos's linearizable
//! files into violations, so the reading matters.
//!
//! The corpus is found at `../shared/corpus` next to the checkout, or at
//! `SPLITBRAIN_CORPUS`; without it this test fails and says where it
//! looked. It runs without the test harness so that it always prints how
//! many files it checked.

#[path = "../../core/tests/common/corpus.rs"]
mod corpus;

use std::process::Command;

use splitbrain_core::check::Verdict;

fn check_history(path: &std::path::Path, args: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .arg("check-history")
        .arg(path)
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn main() {
    let root = match corpus::dir() {
        Ok(root) => root,
        Err(e) => {
            eprintln!("check-history corpus: FAILED: {e}");
            std::process::exit(1);
        }
    };
    println!("corpus at {}", root.display());
    let entries = corpus::all(&root);
    let mut wrong = Vec::new();
    let mut named = 0;
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for entry in &entries {
        let part = entry.name.split('/').next().unwrap_or("?").to_string();
        *counts.entry(part).or_default() += 1;
        let (code, out) = check_history(&entry.path, &entry.args);
        let (expected_code, first) = match entry.expected {
            Verdict::Holds => (0, "linearizable"),
            _ => (1, "not linearizable"),
        };
        if code != expected_code || out.lines().next() != Some(first) {
            wrong.push(format!("{}: exit {code}\n{out}", entry.name));
            continue;
        }
        if let Some(at) = entry.stuck_at {
            let stuck = out.lines().find(|l| l.contains("cannot be placed: line "));
            if stuck.is_some_and(|l| l.contains(&format!("(completed at #{at})"))) {
                named += 1;
            } else {
                wrong.push(format!(
                    "{}: Knossos names the operation completed at #{at}:\n{out}",
                    entry.name
                ));
            }
        }
    }
    let mut flipped = 0;
    let good: Vec<_> = entries
        .iter()
        .filter(|e| e.model.is_some() && e.expected == Verdict::Holds)
        .collect();
    for entry in &good {
        let mut args = entry.args.clone();
        args.extend(["--fail".to_string(), "cas-observed".to_string()]);
        if check_history(&entry.path, &args).0 == 1 {
            flipped += 1;
        }
    }
    if flipped == 0 {
        wrong.push("--fail cas-observed changed no Knossos verdict".into());
    }
    for (part, n) in &counts {
        println!("    {part}: {n} files checked through check-history");
    }
    println!(
        "    {} of {} files with their expected exit status and first line; {named} of {} of Knossos's named operations named",
        entries.len() - wrong.len().min(entries.len()),
        entries.len(),
        corpus::KNOSSOS_STUCK.len()
    );
    println!(
        "    --fail cas-observed: {flipped} of {} of Knossos's linearizable files exit 1",
        good.len()
    );
    if !wrong.is_empty() || named != corpus::KNOSSOS_STUCK.len() {
        eprintln!("check-history corpus: FAILED:\n{}", wrong.join("\n"));
        std::process::exit(1);
    }
    println!("test check_history_on_the_corpus ... ok");
}
