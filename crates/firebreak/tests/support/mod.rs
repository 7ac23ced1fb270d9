//! Shared by the integration tests: running the binary and a server.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub fn firebreak(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_firebreak"));
    cmd.current_dir(dir)
        .env_remove("FIREBREAK_CONFIG")
        .env("FIREBREAK_LOG", "warn");
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run firebreak")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A new API token of user `name` (`firebreak user token`), as printed once.
pub fn api_token(dir: &Path, db: &str, name: &str) -> String {
    let out = run(firebreak(dir).args(["--db", db, "user", "token", name]));
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout)
        .split("shown once: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("the token in the output")
        .to_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> Value {
    serde_json::from_str(stdout(o).trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

/// A server started on a free port, stopped with SIGTERM on drop.
pub struct Server {
    child: std::process::Child,
    pub base: String,
    pub dir: PathBuf,
}

impl Server {
    pub fn start(dir: &Path, db: &str, envs: &[(&str, &str)]) -> Server {
        let mut cmd = firebreak(dir);
        cmd.args(["--db", db, "serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn serve");
        let out = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line)
            .expect("read banner");
        let base = line
            .split("open ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .map(|s| s.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        Server {
            child,
            base,
            dir: dir.to_path_buf(),
        }
    }

    /// SIGKILL: no shutdown, no flush (a crash or a power cut).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::forget(self);
    }

    /// SIGTERM, then wait: returns whether it exited cleanly.
    pub fn stop(mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().expect("wait");
        std::mem::forget(self);
        status.success()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a receiver saw: (signature header, body) per request.
pub type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A minimal HTTP/1.1 receiver: records each request's signature header and body, answers 200.
pub fn receiver() -> (String, Received) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut len = 0usize;
            let mut signature = String::new();
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if let Some(v) = lower.strip_prefix("x-firebreak-signature:") {
                    signature = v.trim().to_owned();
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            if let Ok(mut v) = out.lock() {
                v.push((signature, String::from_utf8_lossy(&body).into_owned()));
            }
            let mut stream = reader.into_inner();
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (format!("http://{addr}/hook"), seen)
}

#[allow(unused_imports)] // not every test binary uses it
pub use firebreak_testkit::Smtp;
