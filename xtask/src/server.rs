//! A minimal static file server for the browser tests.
//!
//! It serves a directory (Trunk's `dist/`) on 127.0.0.1 only, on a free port,
//! for as long as the [`StaticServer`] value lives. It speaks just enough
//! HTTP/1.1 for a browser: GET and HEAD, one request per connection. It is
//! bounded in every direction: request size, socket timeouts and the number
//! of connections handled at once.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Largest request head we read; browsers send far less.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// Connections served at once; more get a 503 straight away.
const MAX_CONNECTIONS: usize = 32;
/// A client that stalls longer than this is dropped.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

pub struct StaticServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Starts serving `dir` on 127.0.0.1 at a port the OS picks.
    pub fn start(dir: &Path) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let dir = dir.to_path_buf();
        let thread = {
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("static-server".into())
                .spawn(move || accept_loop(&listener, &dir, &stop))?
        };
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The base URL, with a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // `accept` blocks; a throwaway connection wakes it so it sees `stop`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, dir: &Path, stop: &AtomicBool) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            let _ = respond(&mut stream, 503, "text/plain", b"busy\n", true);
            continue;
        }
        let dir = dir.to_path_buf();
        let in_flight = Arc::clone(&active);
        // One thread per connection: browsers open several connections at
        // once and may leave one idle (preconnect), which must not block the
        // others. The in-flight count above bounds the number of threads.
        let spawned = thread::Builder::new().spawn(move || {
            let _ = handle(&mut stream, &dir);
            in_flight.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            // The closure, and the decrement in it, were dropped unrun.
            active.fetch_sub(1, Ordering::SeqCst);
            eprintln!("static server: could not spawn a connection thread");
        }
    }
}

fn handle(stream: &mut TcpStream, dir: &Path) -> io::Result<()> {
    let Some(head) = read_head(stream)? else {
        return respond(stream, 400, "text/plain", b"bad request\n", true);
    };
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let send_body = match method {
        "GET" => true,
        "HEAD" => false,
        _ => return respond(stream, 405, "text/plain", b"method not allowed\n", true),
    };
    let Some(path) = resolve(dir, target) else {
        return respond(stream, 400, "text/plain", b"bad path\n", send_body);
    };
    match fs::read(&path) {
        Ok(body) => respond(stream, 200, mime_type(&path), &body, send_body),
        Err(_) => respond(stream, 404, "text/plain", b"not found\n", send_body),
    }
}

/// Reads up to the blank line ending the request head.
fn read_head(stream: &mut TcpStream) -> io::Result<Option<String>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() >= MAX_REQUEST_BYTES {
            return Ok(None);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8(buf).ok())
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    send_body: bool,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    // no-store: tests must always see the build they just made.
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if send_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// Maps a request target to a file under `dir`, or `None` if it would escape
/// `dir` or is malformed. Directories map to their `index.html`.
fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    if !path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(path)?;
    let mut file = dir.to_path_buf();
    for component in Path::new(&decoded).components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(part) => file.push(part),
            // `..` (or a Windows prefix) could leave `dir`: refuse.
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    Some(file)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    (!decoded.contains('\0')).then_some(decoded)
}

fn mime_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        // Required for WebAssembly.instantiateStreaming.
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_stays_inside_dir() {
        let dir = Path::new("/srv/dist-that-does-not-exist");
        assert_eq!(
            resolve(dir, "/app_bg.wasm?v=1"),
            Some(dir.join("app_bg.wasm"))
        );
        assert_eq!(resolve(dir, "/a%20b.js"), Some(dir.join("a b.js")));
        assert_eq!(resolve(dir, "/../etc/passwd"), None);
        assert_eq!(resolve(dir, "/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(dir, "/bad%zz"), None);
        assert_eq!(resolve(dir, "http://elsewhere/x"), None);
    }

    #[test]
    fn wasm_has_its_mime_type() {
        assert_eq!(mime_type(Path::new("x_bg.wasm")), "application/wasm");
        assert!(mime_type(Path::new("x.js")).starts_with("text/javascript"));
        assert!(mime_type(Path::new("index.html")).starts_with("text/html"));
    }

    #[test]
    fn serves_files_and_404s() {
        let dir = std::env::temp_dir().join(format!("xtask-server-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("index.html"), "<title>t</title>").unwrap();
        let server = StaticServer::start(&dir).unwrap();
        let get = |path: &str| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut response = String::new();
            s.read_to_string(&mut response).unwrap();
            response
        };
        let index = get("/");
        assert!(index.starts_with("HTTP/1.1 200 OK\r\n"), "{index}");
        assert!(index.contains("Content-Type: text/html"));
        assert!(index.ends_with("<title>t</title>"));
        assert!(get("/missing.js").starts_with("HTTP/1.1 404"));
        drop(server);
        fs::remove_dir_all(&dir).unwrap();
    }
}
