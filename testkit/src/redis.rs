//! A real `redis-server` per test (Debian package `redis-server`), on a
//! free loopback port, without persistence, killed by its PID when
//! dropped. Tests of the shared state store run against it rather than a
//! mock, so that what they check (GETDEL's atomicity, OOM under
//! `noeviction`, reconnecting after a restart) is what Redis does.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::needs;

/// How long a starting server gets to answer.
const START_WAIT: Duration = Duration::from_secs(10);

/// A `redis-server` this test started; killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    args: Vec<String>,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// A server with the default settings, or `None` (a `SKIPPED` line;
    /// a panic under `CI=true`) when `redis-server` is not installed.
    pub fn start() -> Option<RedisServer> {
        RedisServer::start_with(&[])
    }

    /// A server with `args` added to its command line (`--requirepass`,
    /// `--maxmemory` …), or `None` as for [`start`](Self::start).
    pub fn start_with(args: &[&str]) -> Option<RedisServer> {
        let installed = needs::succeeds(Command::new("redis-server").arg("--version"));
        if !installed {
            let test = std::thread::current()
                .name()
                .unwrap_or("a redis test")
                .to_owned();
            needs::missing(&test, "redis-server", "apt-get install -y redis-server");
            return None;
        }
        let mut server = RedisServer {
            child: None,
            port: 0,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            dir: crate::tempdir(),
        };
        // A free port can be taken by someone else between our probe and
        // the server's bind: then try another.
        for _ in 0..5 {
            server.port = free_port();
            if server.spawn() {
                return Some(server);
            }
        }
        panic!(
            "redis-server did not start on a free port in 5 tries:\n{}",
            server.log()
        );
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL, by PID) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts a fresh one (empty: nothing is saved)
    /// on the same port with the same arguments.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + START_WAIT;
        // The port is ours until someone else takes it; a server that finds
        // it still held (rare: redis-server sets SO_REUSEADDR) tries again.
        while !self.spawn() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not restart on port {}:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts the server on `self.port`: whether it answered.
    fn spawn(&mut self) -> bool {
        let log = self.dir.path().join("redis.log");
        // Readiness is read from this server's own log (below), so a
        // restart starts it afresh.
        let _ = std::fs::remove_file(&log);
        let port = self.port.to_string();
        let mut cmd = Command::new("redis-server");
        cmd.args([
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(self.dir.path())
        .arg("--logfile")
        .arg(&log)
        .args(&self.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server: {e}"));
        let deadline = Instant::now() + START_WAIT;
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            // Another test's server may hold the port (then ours exits):
            // only our own log's line says that ours is the one answering.
            if self.log().contains("Ready to accept connections") && answers(self.port) {
                self.child = Some(child);
                return true;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "redis-server on port {} did not answer PING within {START_WAIT:?}:\n{}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        let path: PathBuf = self.dir.path().join("redis.log");
        std::fs::read_to_string(&path).unwrap_or_else(|e| format!("({}: {e})", path.display()))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port nobody listened on a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"))
}

/// Whether a Redis answers `PING` on `port` (`+PONG`, or an error such as
/// `-NOAUTH` from a server that wants a password: it is up either way).
fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = s.set_write_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 64];
    s.write_all(b"PING\r\n").is_ok()
        && s.read(&mut buf)
            .is_ok_and(|n| n > 0 && matches!(buf[0], b'+' | b'-'))
        && !buf.starts_with(b"-LOADING")
}
