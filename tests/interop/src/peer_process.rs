//! A peer program run as a child process that reports facts as `key: value` lines.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// A running peer program whose stdout and stderr lines (the latter prefixed `stderr: `)
/// arrive on a channel; killed when dropped.
pub struct PeerProcess {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl PeerProcess {
    /// Starts `binary` with `args`, stdin closed.
    pub fn spawn(binary: &Path, args: &[String]) -> Self {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let (tx, lines) = channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let tx_err = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx_err.send(format!("stderr: {line}"));
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Every value printed so far on a `key: value` line, in order.
    pub fn values(&mut self, key: &str) -> Vec<String> {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        let prefix = format!("{key}: ");
        self.seen
            .iter()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .map(str::to_string)
            .collect()
    }

    /// The value of the first `key: value` line printed so far.
    pub fn value(&mut self, key: &str) -> Option<String> {
        self.values(key).into_iter().next()
    }

    /// True once the peer printed exactly `key: value`.
    pub fn printed(&mut self, key: &str, value: &str) -> bool {
        self.values(key).iter().any(|v| v == value)
    }

    /// Waits until the peer printed `count` lines of `key`, and returns their values;
    /// panics with everything it said after `timeout`.
    pub fn wait_for_n(&mut self, key: &str, count: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let values = self.values(key);
            if values.len() >= count {
                return values;
            }
            assert!(
                Instant::now() < deadline,
                "the peer printed {} of {count} `{key}:` lines; it said:\n{}",
                values.len(),
                self.output()
            );
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(20)) {
                self.seen.push(line);
            }
        }
    }

    /// Waits for the first `key:` line and returns its value.
    pub fn wait_for(&mut self, key: &str, timeout: Duration) -> String {
        self.wait_for_n(key, 1, timeout).swap_remove(0)
    }

    /// Everything the peer printed so far, one line each.
    pub fn output(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
