//! Project automation for Splitbrain, run as `cargo xtask <command>`.
//!
//! Every command installs what it is missing first (rustup targets, Trunk,
//! wasm-bindgen-cli, the npm packages under `web/`, Chromium), so a fresh
//! clone needs nothing but rustup, Node.js and npm.
//!
//! The crate is std-only on purpose: it is rebuilt by every `cargo xtask` call
//! and by every CI run.

mod docs;
mod install;
mod server;
mod size;
mod test;
mod util;
mod web;

use std::process::ExitCode;

use util::Result;

const USAGE: &str = "\
Usage: cargo xtask <command> [options]

Commands:
  serve [--port N]      Build the app with Trunk and serve it on http://127.0.0.1:N/
                        (default port 8080), rebuilding on changes.
  test [options]        Run every check: Rust tests (release), the no_std build of
                        splitbrain-core, rustfmt, clippy and, once crates/app exists,
                        a release Trunk build plus the browser tests in web/e2e/.
      --quick           Skip clippy and the browser part (local iteration).
      --only GROUP      Run only GROUP: rust, nostd, lint or browser. May be repeated
                        or comma-separated. `--only browser` runs the browser part
                        even before crates/app exists (against the placeholder page).
  size                  Release-build the app with Trunk and report the raw and
                        gzipped size of its wasm and js against the budget.
  bench [ARGS...]       Run `cargo bench -p splitbrain-core [ARGS...]`.
  docs                  Build the app and the documentation book (docs/) into dist/:
                        the book at dist/docs/, its live examples embedding the app.
  fuzz [CASES]          Fuzz the permalink decoder with CASES inputs (default 1,000,000).
  help                  Show this message.
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();

    let result = match command.as_deref() {
        Some("serve") => web::serve(&rest),
        Some("test") => test::run(&rest),
        Some("size") => size::run(&rest),
        Some("bench") => bench(&rest),
        Some("docs") => docs::docs(&rest),
        Some("fuzz") => docs::fuzz(&rest),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
        None => Err(format!("no command given\n\n{USAGE}")),
    };

    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask bench`: the core crate's benchmarks, if it has any yet.
fn bench(args: &[String]) -> Result<ExitCode> {
    let core = util::root().join("crates/core");
    let manifest = std::fs::read_to_string(core.join("Cargo.toml")).unwrap_or_default();
    // Without bench targets `cargo bench` would still compile the whole crate
    // in the bench profile just to run zero benchmarks; say so and stop.
    if !core.join("benches").is_dir() && !manifest.contains("[[bench]]") {
        println!("xtask: splitbrain-core has no benchmarks yet (no crates/core/benches/); nothing to run");
        return Ok(ExitCode::SUCCESS);
    }
    util::header("cargo bench -p splitbrain-core");
    let mut cmd = util::cargo();
    cmd.args(["bench", "-p", "splitbrain-core"]).args(args);
    util::run(&mut cmd)?;
    Ok(ExitCode::SUCCESS)
}
