//! `cargo xtask docs` and `cargo xtask fuzz`: the documentation site and
//! the long run of the permalink decoder's fuzzer.

use std::fs;
use std::process::ExitCode;

use crate::util::{cargo, cmd, header, root, run, Result};
use crate::web;

/// mdBook, installed with `--locked` and without its `serve`, `watch` and
/// `search` features: the xtask only runs `mdbook build`, and the three pull
/// in an HTTP server, file watching and a search index we do not use. The
/// newest release that builds with the toolchain here.
pub const MDBOOK_VERSION: &str = "0.5.4";

/// Installs mdBook unless `mdbook --version` already reports
/// [`MDBOOK_VERSION`].
pub fn mdbook() -> Result<()> {
    let wanted = format!("mdbook v{MDBOOK_VERSION}");
    match crate::util::probe(cmd("mdbook").arg("--version")) {
        Some(found) if found == wanted => return Ok(()),
        Some(found) => println!("xtask: found `{found}`, need `{wanted}`; installing it"),
        None => println!("xtask: mdBook not found; installing {wanted} (a few minutes, once)"),
    }
    run(cargo().args([
        "install",
        "--locked",
        "mdbook",
        "--version",
        MDBOOK_VERSION,
        "--no-default-features",
    ]))
}

/// Builds the book in `docs/` into `<dist>/docs/`, next to the app it
/// embeds: its pages load the app from `../index.html`, so the site is one
/// directory with no request to anywhere else. Needs the app built first.
pub fn build_book() -> Result<()> {
    mdbook()?;
    let dist = web::dist_dir();
    if !dist.join("index.html").is_file() {
        return Err(format!(
            "{} has no index.html: build the app first",
            dist.display()
        ));
    }
    let out = dist.join("docs");
    // mdBook refuses to write into a directory it did not make only when
    // asked to clean it; start fresh so removed pages do not linger.
    let _ = fs::remove_dir_all(&out);
    run(cmd("mdbook")
        .arg("build")
        .arg(root().join("docs"))
        .arg("--dest-dir")
        .arg(&out))
}

/// `cargo xtask docs`: the app (release Trunk build) and the book.
pub fn docs(args: &[String]) -> Result<ExitCode> {
    if !args.is_empty() {
        return Err("usage: cargo xtask docs".to_owned());
    }
    header("trunk build --release");
    web::trunk_build()?;
    header("mdbook build docs");
    build_book()?;
    println!(
        "xtask: the site is in {}: the app at index.html, the book at docs/index.html",
        web::dist_dir().display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask fuzz [CASES]`: the permalink decoder against a million
/// (or CASES) mutated and random links, in release.
pub fn fuzz(args: &[String]) -> Result<ExitCode> {
    let cases = match args {
        [] => "1000000".to_owned(),
        [n] if n.parse::<u32>().is_ok() => n.clone(),
        _ => return Err("usage: cargo xtask fuzz [CASES]".to_owned()),
    };
    header(&format!("link decoder fuzz, {cases} inputs"));
    run(cargo()
        .args([
            "test",
            "-p",
            "splitbrain-app",
            "--release",
            "--lib",
            "link::tests::fuzz_decoder_long",
            "--",
            "--ignored",
            "--exact",
            "--nocapture",
        ])
        .env("LINK_FUZZ_CASES", cases))?;
    Ok(ExitCode::SUCCESS)
}
