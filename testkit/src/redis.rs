//! A private `redis-server` per test, so a test may kill and restart it without disturbing
//! any other.

use crate::net::{free_port, wait_for_port};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `redis-server` on a free loopback port (`ONAIR_REDIS_SERVER` names the binary, default
/// `/usr/bin/redis-server`); killed on drop.
pub struct Redis {
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    /// `None` (skipped) outside CI when there is no redis-server; in CI that fails the test.
    pub fn start() -> Option<Redis> {
        if !std::path::Path::new(&binary()).exists() {
            return crate::skip(format_args!("no redis-server at {}", binary()));
        }
        let mut redis = Redis {
            port: free_port(),
            child: None,
        };
        redis.restart();
        Some(redis)
    }

    /// Starts it (again, after [`Redis::kill`]) on the same port, empty.
    pub fn restart(&mut self) {
        let child = Command::new(binary())
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        wait_for_port(self.port, "redis-server", Duration::from_secs(15));
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn binary() -> String {
    std::env::var("ONAIR_REDIS_SERVER").unwrap_or_else(|_| "/usr/bin/redis-server".into())
}
