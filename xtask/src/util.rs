//! Small helpers shared by the commands: paths, running processes, headers.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Errors are plain messages: every one of them ends up printed for a person.
pub type Result<T> = std::result::Result<T, String>;

/// The workspace root (the xtask crate lives in `<root>/xtask`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent directory")
        .to_path_buf()
}

/// Where `cargo install` puts binaries: `$CARGO_HOME/bin`, else `~/.cargo/bin`.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Some(PathBuf::from(home).join("bin"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo/bin"))
}

/// The `bin` directory of the npm packages installed under `web/` (wasm-opt).
pub fn npm_bin_dir() -> PathBuf {
    root().join("web/node_modules/.bin")
}

/// `PATH` for child processes: the npm package binaries and the cargo-installed
/// tools come first, so Trunk finds the wasm-opt from npm and the pinned
/// wasm-bindgen even when the caller's `PATH` lacks `~/.cargo/bin`.
fn tool_path() -> OsString {
    let mut dirs = vec![npm_bin_dir()];
    dirs.extend(cargo_bin_dir());
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_else(|_| std::env::var_os("PATH").unwrap_or_default())
}

/// A command that runs in the workspace root with the tool `PATH`.
///
/// On Unix a `PATH` set on the `Command` is also the one used to find
/// `program`, so `cmd("trunk")` finds a freshly installed Trunk.
pub fn cmd(program: &str) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root()).env("PATH", tool_path());
    command
}

/// The cargo that runs this xtask (so the same toolchain is used throughout).
pub fn cargo() -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    cmd(&cargo)
}

/// Renders a command line for logs.
pub fn display(command: &Command) -> String {
    let program = Path::new(command.get_program())
        .file_name()
        .unwrap_or(command.get_program())
        .to_string_lossy()
        .into_owned();
    let mut line = program;
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs a command with inherited stdio; an error if it cannot start or fails.
pub fn run(command: &mut Command) -> Result<()> {
    let line = display(command);
    println!("$ {line}");
    let status = command
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// The trimmed stdout of a command if it ran and succeeded, else `None`.
/// Used for probes such as `trunk --version`, where failure means "missing".
pub fn probe(command: &mut Command) -> Option<String> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// A section header, so each step is easy to find in a long CI log.
pub fn header(title: &str) {
    println!();
    println!("==================================================================");
    println!("==> {title}");
    println!("==================================================================");
}

/// `12345` -> `"12,345"`, for byte counts people read.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(256_000), "256,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
