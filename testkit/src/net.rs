//! Loopback ports for servers a test starts.

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A TCP port free on 127.0.0.1 right now (for a server whose address must be known before it
/// starts; otherwise bind port 0).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Blocks until something accepts TCP connections on `127.0.0.1:port`; panics with
/// "`what` did not start on `port`" after `patience`.
pub fn wait_for_port(port: u16, what: &str, patience: Duration) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < patience, "{what} did not start on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// [`wait_for_port`] without blocking the test's runtime (for servers running in-process
/// beside the one being waited for).
#[cfg(feature = "servers")]
pub async fn wait_for_port_async(port: u16, what: &str, patience: Duration) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < patience, "{what} did not start on {port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
