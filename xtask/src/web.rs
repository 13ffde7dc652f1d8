//! The web side: Trunk builds, `cargo xtask serve`, and the browser tests.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use crate::install;
use crate::server::StaticServer;
use crate::util::{cmd, header, root, run, Result};

const DEFAULT_SERVE_PORT: u16 = 8080;

/// Trunk's output directory, as configured in Trunk.toml.
pub fn dist_dir() -> PathBuf {
    root().join(install::trunk_toml_value("build", "dist").unwrap_or_else(|| "dist".to_owned()))
}

/// Installs the web tools and makes a release build into [`dist_dir`].
///
/// Whatever Trunk.toml targets is built (today a placeholder page, later the
/// Yew app); nothing here knows which.
pub fn trunk_build() -> Result<()> {
    install::web_tools()?;
    // --offline: Trunk must never download tools; they are installed above.
    run(cmd("trunk").args(["build", "--release", "--offline"]))
}

/// `cargo xtask serve [--port N]`
pub fn serve(args: &[String]) -> Result<ExitCode> {
    let port = match args {
        [] => DEFAULT_SERVE_PORT,
        [flag, value] if flag == "--port" => value
            .parse()
            .map_err(|_| format!("--port needs a port number, got `{value}`"))?,
        _ => return Err("usage: cargo xtask serve [--port N]".to_owned()),
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    // Trunk would only report a busy port after building; check first.
    drop(
        TcpListener::bind(addr).map_err(|e| {
            format!("cannot listen on {addr} ({e}); pick another port with --port N")
        })?,
    );

    header("installing missing tools");
    install::web_tools()?;
    // Trunk.toml's [watch] ignores target/, and Trunk refuses to start when
    // an ignored path does not exist (CARGO_TARGET_DIR may point elsewhere).
    fs::create_dir_all(root().join("target")).map_err(|e| e.to_string())?;

    header("trunk serve");
    let mut trunk = cmd("trunk");
    trunk.args(["serve", "--release", "--offline", "--address", "127.0.0.1"]);
    trunk.args(["--port", &port.to_string()]);
    println!("$ {}", crate::util::display(&trunk));
    let mut child = trunk
        .spawn()
        .map_err(|e| format!("could not start trunk: {e}"))?;

    // Trunk listens only once the first build is done, which for the app can
    // take minutes; announce the URL when it actually answers.
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("trunk serve exited before serving ({status})"));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        thread::sleep(Duration::from_millis(300));
    }
    println!();
    println!("Splitbrain is being served at http://{addr}/  (Ctrl-C to stop)");
    println!();

    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(format!("trunk serve exited ({status})"))
    }
}

/// Runs the browser tests (`web/e2e/*.test.mjs`, node's test runner) against
/// [`dist_dir`] served on a free local port, passed in `SPLITBRAIN_URL`.
pub fn e2e() -> Result<()> {
    install::chromium()?;
    install::npm_packages()?;

    let e2e_dir = root().join("web/e2e");
    let mut tests: Vec<PathBuf> = fs::read_dir(&e2e_dir)
        .map_err(|e| format!("cannot read {}: {e}", e2e_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.mjs"))
        })
        .collect();
    tests.sort();
    if tests.is_empty() {
        return Err(format!("no *.test.mjs files in {}", e2e_dir.display()));
    }

    let dist = dist_dir();
    if !dist.join("index.html").is_file() {
        return Err(format!("{} has no index.html; build first", dist.display()));
    }
    let server =
        StaticServer::start(&dist).map_err(|e| format!("cannot start the static server: {e}"))?;
    println!("xtask: serving {} at {}", dist.display(), server.url());

    // The files are listed explicitly rather than passing the directory:
    // node's handling of directory arguments differs between versions, and
    // harness.mjs must not be run as a test.
    let mut node = cmd("node");
    node.arg("--test").args(&tests);
    node.env("SPLITBRAIN_URL", server.url());
    node.env("CHROMIUM_PATH", install::chromium_path());
    let result = run(&mut node);
    drop(server);
    result
}
