//! `cargo xtask size`: the shipped wasm + js, raw and gzipped, against a budget.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use crate::util::{header, thousands, Result};
use crate::web;

/// Gzipped wasm + js must stay under this, what a page can load quickly
/// on a slow connection.
///
/// 250 KiB was set when the page shipped Raft alone (it measured 247.3
/// KiB); 340 KiB when it linked Raft, 2PC, 3PC, Paxos and Multi-Paxos
/// (331.7 KiB, opt-level "z"; "s" gave 359.4 KiB). The page now also links
/// the quorum store, the gossip cache and the lock service, the history
/// checkers, the timeline, permalinks (DEFLATE: 15.5 KiB) and the gallery:
/// 542.4 KiB on 2026-11-26. Most of it is the simulator being generic over
/// the protocol (a copy of `Sim<P>` and its timeline glue per protocol).
/// This ceiling only stops growth from going unnoticed; the way down is a
/// simulator core that is not generic over the message type.
///
/// Later that day, with the ring view, the CAP panel and tours, it was
/// 584.0 KiB: over. Where the gzipped bytes are (each group's marginal
/// cost: the gzipped code with and without its functions): the eight
/// `Sim<P>` copies 69 KB, Yew (26 component views 48 KB) 91 KB, serde
/// derives and serde_json 65 KB, BTreeMap code 44 KB, sorts 30 KB, the
/// protocols 37 KB, the history checkers 25 KB, permalinks 27 KB; data
/// 72 KB. Identical copies cost little (16 copies of one sort, removed,
/// were 32 KB raw but a few KB gzipped); distinct code costs about 38%
/// of its raw size.
///
/// With the simulator compiled once (`sim::Sim` over `dyn Cluster`; only
/// `cluster::Nodes<P>` is per protocol, and its `react` is where each
/// protocol's handlers are inlined), the page's wasm went from 663,549 to
/// 635,606 B gzipped (1,717,140 to 1,606,166 raw) on 2026-12-03: the
/// engine's 8 copies (Sim<P> and its Simulation forwarders, 298 KB of
/// code before wasm-opt, handlers inlined) became one (33 KB) plus the
/// per-protocol layer (110 KB, the handlers and checkers themselves).
/// `twiggy top` on `target/wasm32-unknown-unknown/wasm-release/
/// splitbrain-app.wasm` shows each `splitbrain_core::sim::` function once.
pub const BUDGET_GZIP_BYTES: u64 = 560 * 1024;

// --- explorer ---
/// The explorer's Web Worker (`explorer_worker*` in dist/): the core's
/// explorer, the explorable protocols (Paxos, 3PC, Raft, the TwoPhase
/// model) and JSON: 125.3 KiB on 2026-11-26. Fetched only when a search
/// starts, so it has its own ceiling and does not count against the page.
const WORKER_PREFIX: &str = "explorer_worker";
pub const WORKER_BUDGET_GZIP_BYTES: u64 = 200 * 1024;

pub fn run(args: &[String]) -> Result<ExitCode> {
    if !args.is_empty() {
        return Err("usage: cargo xtask size".to_owned());
    }
    header("trunk build --release");
    web::trunk_build()?;

    header("size of the wasm and js in dist/");
    let dist = web::dist_dir();
    let mut files = Vec::new();
    collect(&dist, &mut files)?;
    files.retain(|p| {
        matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js" | "mjs")
        )
    });
    files.sort();

    let (mut raw_total, mut gzip_total) = (0, 0);
    // --- explorer ---
    // The explorer's worker is fetched only when a search starts, so it is
    // not part of the page's download: counted apart, with its own budget.
    let (mut worker_raw, mut worker_gzip) = (0, 0);
    println!("{:<52} {:>12} {:>12}", "file", "raw (B)", "gzip -9 (B)");
    for file in &files {
        let raw = fs::metadata(file).map_err(|e| e.to_string())?.len();
        let gzipped = gzip_size(file)?;
        let is_worker = file
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(WORKER_PREFIX));
        if is_worker {
            worker_raw += raw;
            worker_gzip += gzipped;
        } else {
            raw_total += raw;
            gzip_total += gzipped;
        }
        let name = file
            .strip_prefix(&dist)
            .unwrap_or(file)
            .display()
            .to_string();
        println!(
            "{name:<52} {:>12} {:>12}",
            thousands(raw),
            thousands(gzipped)
        );
    }
    if files.is_empty() {
        println!(
            "(no .wasm or .js in {}: is index.html still the placeholder?)",
            dist.display()
        );
    }
    println!(
        "{:<52} {:>12} {:>12}",
        "total (the page)",
        thousands(raw_total),
        thousands(gzip_total)
    );
    println!(
        "{:<52} {:>12} {:>12}",
        "explorer worker (loaded on demand)",
        thousands(worker_raw),
        thousands(worker_gzip)
    );

    let worker_pass = worker_gzip <= WORKER_BUDGET_GZIP_BYTES;
    println!();
    println!(
        "worker budget: {} B gzipped of {} B allowed ({:.1} KiB of {} KiB): {}",
        thousands(worker_gzip),
        thousands(WORKER_BUDGET_GZIP_BYTES),
        worker_gzip as f64 / 1024.0,
        WORKER_BUDGET_GZIP_BYTES / 1024,
        if worker_pass { "PASS" } else { "FAIL" }
    );
    let pass = gzip_total <= BUDGET_GZIP_BYTES && worker_pass;
    println!();
    println!(
        "size budget: {} B gzipped of {} B allowed ({:.1} KiB of {} KiB): {}",
        thousands(gzip_total),
        thousands(BUDGET_GZIP_BYTES),
        gzip_total as f64 / 1024.0,
        BUDGET_GZIP_BYTES / 1024,
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(if pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// All files under `dir`, skipping Trunk's hidden staging directory.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if path.is_dir() && !hidden {
            collect(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Size after `gzip -9`, which is roughly what a static host would serve.
/// Shelling out keeps the xtask free of a compression crate.
fn gzip_size(path: &Path) -> Result<u64> {
    let output = Command::new("gzip")
        .args(["-9", "-c", "-n"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run gzip (is it installed?): {e}"))?;
    if !output.status.success() {
        let _ = std::io::stderr().write_all(&output.stderr);
        return Err(format!("gzip failed on {}", path.display()));
    }
    Ok(output.stdout.len() as u64)
}
