//! Installing what the commands need, each only if it is missing.
//!
//! Everything here is idempotent and cheap when the tool is already present,
//! so every command can call it unconditionally.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use crate::util::{self, cargo, cmd, probe, root, run, Result};

/// Newer Trunk releases need a newer rustc than the toolchain used here, and
/// only `--locked` builds with it.
pub const TRUNK_VERSION: &str = "0.21.14";

/// Used when Cargo.lock does not (yet) mention the `wasm-bindgen` crate.
pub const DEFAULT_WASM_BINDGEN_VERSION: &str = "0.2.130";

/// Debian's Chromium; `CHROMIUM_PATH` overrides it (the e2e harness reads the
/// same variable).
pub fn chromium_path() -> String {
    std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// Everything a Trunk build needs: the wasm target, the npm packages
/// (wasm-opt comes from the `binaryen` package), Trunk and wasm-bindgen-cli.
/// Also checks that the versions pinned in Trunk.toml match the installed
/// tools, because Trunk runs `--offline` and would otherwise fail later with
/// a less obvious message.
pub fn web_tools() -> Result<()> {
    rust_target("wasm32-unknown-unknown")?;
    npm_packages()?;
    trunk()?;
    let bindgen = wasm_bindgen_version();
    wasm_bindgen(&bindgen)?;
    check_trunk_pin(
        "wasm_bindgen",
        &bindgen,
        "the wasm-bindgen crate in Cargo.lock",
    )?;
    let wasm_opt = wasm_opt_version()?;
    check_trunk_pin("wasm_opt", &wasm_opt, "the wasm-opt from web/node_modules")?;
    // Trunk's --offline also makes it run `cargo build --offline`, and the
    // app's wasm-only dependencies (Yew, web-sys) are not downloaded by the
    // native builds and tests. `cargo fetch` gets every target's dependencies
    // from Cargo.lock, and is a no-op once they are cached.
    run(cargo().arg("fetch"))
}

/// Adds a rustup target if the active toolchain lacks it.
pub fn rust_target(target: &str) -> Result<()> {
    if let Some(list) = probe(cmd("rustup").args(["target", "list", "--installed"])) {
        if list.lines().any(|line| line.trim() == target) {
            return Ok(());
        }
        println!("xtask: installing the Rust target {target}");
        return run(cmd("rustup").args(["target", "add", target]));
    }
    // No rustup: a toolchain installed some other way may still ship the
    // target's standard library.
    let sysroot = probe(cmd("rustc").args(["--print", "sysroot"]));
    if sysroot.is_some_and(|s| Path::new(&s).join("lib/rustlib").join(target).is_dir()) {
        return Ok(());
    }
    Err(format!(
        "the Rust target {target} is missing and rustup is not available to add it; \
         install it (`rustup target add {target}`) and rerun"
    ))
}

/// Installs Trunk unless `trunk --version` already reports [`TRUNK_VERSION`].
pub fn trunk() -> Result<()> {
    let wanted = format!("trunk {TRUNK_VERSION}");
    match probe(cmd("trunk").arg("--version")) {
        Some(found) if found == wanted => return Ok(()),
        Some(found) => println!("xtask: found `{found}`, need `{wanted}`; installing it"),
        None => println!("xtask: Trunk not found; installing {wanted} (several minutes, once)"),
    }
    run(cargo().args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]))
}

/// The version of the `wasm-bindgen` crate in Cargo.lock. The CLI must match
/// it exactly: the generated JS glue and the wasm's custom section are
/// versioned together.
pub fn wasm_bindgen_version() -> String {
    fs::read_to_string(root().join("Cargo.lock"))
        .ok()
        .and_then(|lock| lock_version(&lock, "wasm-bindgen"))
        .unwrap_or_else(|| DEFAULT_WASM_BINDGEN_VERSION.to_owned())
}

/// Installs wasm-bindgen-cli at exactly `version` unless it is there already.
pub fn wasm_bindgen(version: &str) -> Result<()> {
    let found = probe(cmd("wasm-bindgen").arg("--version"));
    // Output is "wasm-bindgen 0.2.130" (Trunk compares the second word too).
    let found_version = found.as_deref().and_then(|s| s.split_whitespace().nth(1));
    if found_version == Some(version) {
        return Ok(());
    }
    match found_version {
        Some(other) => println!("xtask: found wasm-bindgen {other}, need {version}; installing it"),
        None => println!(
            "xtask: wasm-bindgen-cli not found; installing {version} (a few minutes, once)"
        ),
    }
    let install = |locked: &[&str]| {
        run(cargo()
            .arg("install")
            .args(locked)
            .args(["wasm-bindgen-cli", "--version", version]))
    };
    // --locked is preferred (reproducible), but the lockfile shipped with
    // 0.2.130 names a webpki-roots release the registry here does not serve,
    // which fails at once, during resolution; then resolve afresh.
    install(&["--locked"]).or_else(|error| {
        println!("xtask: {error}; retrying without --locked");
        install(&[])
    })
}

/// The version of wasm-opt on the tool `PATH`, formatted the way Trunk.toml's
/// `[tools] wasm_opt` spells it: `wasm-opt version 132 (version_132)` gives
/// `version_132`.
pub fn wasm_opt_version() -> Result<String> {
    let output = probe(cmd("wasm-opt").arg("--version"))
        .ok_or("wasm-opt not found; it should come from the `binaryen` npm package in web/")?;
    output
        .split_whitespace()
        .nth(2)
        .map(|v| format!("version_{v}"))
        .ok_or_else(|| format!("unexpected `wasm-opt --version` output: {output}"))
}

/// Installs the npm packages in `web/` when `node_modules` is missing or older
/// than `package.json`/`package-lock.json`.
pub fn npm_packages() -> Result<()> {
    let web = root().join("web");
    if probe(Command::new("npm").arg("--version")).is_none() {
        return Err(
            "Node.js (>= 20) and npm are needed for the web tooling in web/; \
                    install them (Debian: `apt-get install nodejs npm`) and rerun"
                .to_owned(),
        );
    }
    let lock = web.join("package-lock.json");
    // npm rewrites this hidden lockfile on every install, so its age tells
    // whether node_modules reflects the current manifests.
    let installed = modified(&web.join("node_modules/.package-lock.json"));
    let wanted = modified(&web.join("package.json")).max(modified(&lock));
    let complete = util::npm_bin_dir().join("wasm-opt").exists()
        && web.join("node_modules/playwright-core").is_dir();
    if complete && installed.is_some() && installed >= wanted {
        return Ok(());
    }
    // `npm ci` installs exactly the lockfile (what CI must do); `npm install`
    // only when there is no lockfile yet, and it then writes one.
    let verb = if lock.exists() { "ci" } else { "install" };
    println!("xtask: installing npm packages in web/");
    run(cmd("npm")
        .current_dir(&web)
        .args([verb, "--no-audit", "--no-fund"]))
}

/// Makes sure Chromium is installed, via apt when we are root on Debian.
pub fn chromium() -> Result<()> {
    let path = chromium_path();
    if Path::new(&path).exists() {
        return Ok(());
    }
    let is_root = probe(Command::new("id").arg("-u")).as_deref() == Some("0");
    if is_root && Path::new("/usr/bin/apt-get").exists() && path == "/usr/bin/chromium" {
        println!("xtask: Chromium not found; installing it with apt-get");
        run(Command::new("apt-get")
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
        if Path::new(&path).exists() {
            return Ok(());
        }
    }
    Err(format!(
        "the browser tests need Chromium at {path}. Install it (Debian/Ubuntu: \
         `sudo apt-get install chromium chromium-driver`), or point CHROMIUM_PATH \
         at a Chromium binary, and rerun"
    ))
}

/// Fails if Trunk.toml pins `[tools] key` to something other than `actual`.
fn check_trunk_pin(key: &str, actual: &str, source: &str) -> Result<()> {
    match trunk_toml_value("tools", key) {
        Some(pinned) if pinned != actual => Err(format!(
            "Trunk.toml pins [tools] {key} = \"{pinned}\" but {source} is \"{actual}\"; \
             update Trunk.toml so the two agree"
        )),
        _ => Ok(()),
    }
}

/// A string value from Trunk.toml, e.g. `trunk_toml_value("build", "dist")`.
pub fn trunk_toml_value(section: &str, key: &str) -> Option<String> {
    let text = fs::read_to_string(root().join("Trunk.toml")).ok()?;
    toml_string(&text, section, key)
}

/// Finds `key = "value"` under `[section]` in a simple TOML file. Only plain
/// one-line string values are supported, which is all Trunk.toml uses for
/// the keys the xtask reads.
fn toml_string(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_owned();
            continue;
        }
        if current != section {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim() == key {
            let v = v.trim();
            return v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_owned);
        }
    }
    None
}

/// The version of package `name` in a Cargo.lock (the first, if several).
fn lock_version(lock: &str, name: &str) -> Option<String> {
    let name_line = format!("name = \"{name}\"");
    let mut in_package = false;
    for line in lock.lines().map(str::trim) {
        if line == "[[package]]" {
            in_package = false;
        } else if line == name_line {
            in_package = true;
        } else if in_package {
            if let Some(v) = line.strip_prefix("version = \"") {
                return v.strip_suffix('"').map(str::to_owned);
            }
        }
    }
    None
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_version_finds_exact_package() {
        let lock = r#"
[[package]]
name = "wasm-bindgen-macro"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        assert_eq!(
            lock_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(lock_version(lock, "yew"), None);
    }

    #[test]
    fn toml_string_reads_keys_in_section() {
        let text = r#"
[build]
dist = "dist" # output
release = true

[tools]
wasm_bindgen = "0.2.130"
wasm_opt = "version_132"
"#;
        assert_eq!(toml_string(text, "build", "dist").as_deref(), Some("dist"));
        assert_eq!(toml_string(text, "build", "release"), None);
        assert_eq!(
            toml_string(text, "tools", "wasm_opt").as_deref(),
            Some("version_132")
        );
        assert_eq!(toml_string(text, "serve", "port"), None);
    }
}
