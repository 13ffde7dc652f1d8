//! `cargo xtask test`: every check the project has, in one command.
//!
//! All selected steps run even when an earlier one fails, so one run shows
//! every problem; the exit code is non-zero if any step failed.

use std::fmt;
use std::process::ExitCode;
use std::time::Instant;

use crate::install;
use crate::util::{self, cargo, header, root, Result};
use crate::web;

/// The groups `--only` selects from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Group {
    Rust,
    NoStd,
    Lint,
    Browser,
}

impl Group {
    const ALL: [Group; 4] = [Group::Rust, Group::NoStd, Group::Lint, Group::Browser];

    fn name(self) -> &'static str {
        match self {
            Group::Rust => "rust",
            Group::NoStd => "nostd",
            Group::Lint => "lint",
            Group::Browser => "browser",
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    quick: bool,
    /// Empty means every group.
    only: Vec<Group>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let groups = match arg.as_str() {
            "--quick" => {
                options.quick = true;
                continue;
            }
            "--only" => args.next().ok_or("--only needs a group")?.as_str(),
            other => match other.strip_prefix("--only=") {
                Some(groups) => groups,
                None => return Err(format!("unknown option `{other}` for `cargo xtask test`")),
            },
        };
        for name in groups.split(',') {
            let group = Group::ALL
                .into_iter()
                .find(|g| g.name() == name)
                .ok_or_else(|| {
                    format!("unknown group `{name}`: use rust, nostd, lint or browser")
                })?;
            options.only.push(group);
        }
    }
    Ok(options)
}

enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Passed => f.write_str("PASS"),
            Outcome::Failed(_) => f.write_str("FAIL"),
            Outcome::Skipped(_) => f.write_str("SKIP"),
        }
    }
}

struct Report {
    steps: Vec<(String, Outcome, f64)>,
    total: usize,
}

impl Report {
    /// Runs one step (or records why it is skipped) and returns whether it passed.
    fn step(
        &mut self,
        name: &str,
        skip: Option<String>,
        body: impl FnOnce() -> Result<()>,
    ) -> bool {
        let number = self.steps.len() + 1;
        let start = Instant::now();
        let outcome = match skip {
            Some(reason) => {
                println!();
                println!("==> [{number}/{}] {name}: skipped ({reason})", self.total);
                Outcome::Skipped(reason)
            }
            None => {
                header(&format!("[{number}/{}] {name}", self.total));
                match body() {
                    Ok(()) => Outcome::Passed,
                    Err(message) => {
                        eprintln!("xtask: {name}: {message}");
                        Outcome::Failed(message)
                    }
                }
            }
        };
        let passed = matches!(outcome, Outcome::Passed);
        self.steps
            .push((name.to_owned(), outcome, start.elapsed().as_secs_f64()));
        passed
    }

    fn finish(&self) -> ExitCode {
        header("summary");
        let count = |f: fn(&Outcome) -> bool| self.steps.iter().filter(|(_, o, _)| f(o)).count();
        for (name, outcome, secs) in &self.steps {
            let detail = match outcome {
                Outcome::Passed => format!("{secs:.1}s"),
                Outcome::Failed(why) => format!("{secs:.1}s: {why}"),
                Outcome::Skipped(why) => why.clone(),
            };
            println!("  {outcome}  {name} ({detail})");
        }
        let failed = count(|o| matches!(o, Outcome::Failed(_)));
        // Shaped "N passed, N failed, N skipped" so CI logs read it as a count.
        println!(
            "steps: {} passed, {failed} failed, {} skipped",
            count(|o| matches!(o, Outcome::Passed)),
            count(|o| matches!(o, Outcome::Skipped(_)))
        );
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

pub fn run(args: &[String]) -> Result<ExitCode> {
    let options = parse(args)?;
    let selected = |group: Group| options.only.is_empty() || options.only.contains(&group);
    let skip_unless =
        |group: Group| (!selected(group)).then(|| format!("not in --only {}", group.name()));

    let mut report = Report {
        steps: Vec::new(),
        total: 9,
    };

    // Release: the simulation seed sweeps are far too slow in debug builds.
    // --no-fail-fast: one failing test binary must not hide the others.
    report.step(
        "cargo test --workspace --release --no-fail-fast",
        skip_unless(Group::Rust),
        || util::run(cargo().args(["test", "--workspace", "--release", "--no-fail-fast"])),
    );

    report.step(
        "no_std build of splitbrain-core (thumbv7em-none-eabihf)",
        skip_unless(Group::NoStd),
        || {
            install::rust_target("thumbv7em-none-eabihf")?;
            util::run(cargo().args([
                "build",
                "-p",
                "splitbrain-core",
                "--target",
                "thumbv7em-none-eabihf",
                "--no-default-features",
            ]))
        },
    );

    report.step("cargo fmt --all --check", skip_unless(Group::Lint), || {
        util::run(cargo().args(["fmt", "--all", "--check"]))
    });

    let clippy_skip = if options.quick {
        Some("--quick".to_owned())
    } else {
        skip_unless(Group::Lint)
    };
    report.step(
        "cargo clippy (all targets, -D warnings)",
        clippy_skip,
        || {
            util::run(cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        },
    );

    // The app's UI half compiles only for wasm32, so the workspace clippy run
    // above never sees it; lint it for the target it ships on.
    report.step(
        "cargo clippy -p splitbrain-app (wasm32, -D warnings)",
        if options.quick {
            Some("--quick".to_owned())
        } else {
            skip_unless(Group::Lint)
        },
        || {
            install::rust_target("wasm32-unknown-unknown")?;
            util::run(cargo().args([
                "clippy",
                "-p",
                "splitbrain-app",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ]))
        },
    );

    // The browser part is meaningless until the app crate exists, and its
    // tool installs (Trunk, wasm-bindgen-cli) cost minutes; an explicit
    // `--only browser` runs it anyway, against whatever index.html builds.
    let browser_skip = if options.quick {
        Some("--quick".to_owned())
    } else if !selected(Group::Browser) {
        skip_unless(Group::Browser)
    } else if !options.only.contains(&Group::Browser) && !root().join("crates/app").is_dir() {
        Some("crates/app does not exist yet".to_owned())
    } else {
        None
    };
    let built = report.step(
        "trunk build --release",
        browser_skip.clone(),
        web::trunk_build,
    );
    // What the build weighs: the page before its first frame against its
    // no-growth ceiling, the explorer's worker against its budget.
    let size_skip = match &browser_skip {
        None if !built => Some("the Trunk build failed".to_owned()),
        other => other.clone(),
    };
    report.step(
        "size budgets (the page before its first frame, each worker)",
        size_skip,
        crate::size::check_ceiling,
    );
    // The book is quick to build and the e2e tests open one of its pages.
    let book_skip = match &browser_skip {
        None if !built => Some("the Trunk build failed".to_owned()),
        other => other.clone(),
    };
    let built = report.step("mdbook build docs", book_skip, crate::docs::build_book) && built;
    let e2e_skip = match browser_skip {
        None if !built => Some("the Trunk build or the book failed".to_owned()),
        other => other,
    };
    report.step("browser tests (node --test web/e2e)", e2e_skip, web::e2e);

    Ok(report.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_quick_and_only() {
        assert_eq!(parse(&[]).unwrap(), Options::default());
        let options = parse(&args(&["--quick", "--only", "rust,lint", "--only=browser"])).unwrap();
        assert!(options.quick);
        assert_eq!(options.only, vec![Group::Rust, Group::Lint, Group::Browser]);
        assert!(parse(&args(&["--only", "web"])).is_err());
        assert!(parse(&args(&["--only"])).is_err());
        assert!(parse(&args(&["--fast"])).is_err());
    }
}
