//! Load generator for the room-server (see BENCHMARKS.md).
//!
//! `cargo bench -p onair-room-server --bench load -- <scenario> [--key value ...]`
//!
//! It starts the release `onair-room-server` itself (so it can read the server's resident memory
//! and CPU time from /proc), mints room tickets with the same secret, spreads its connections
//! over several loopback source addresses (127.0.0.2, .3, ...) to get past the per-address port
//! range, sends at a fixed rate (never as fast as it can), stamps every chat line with its send
//! time, and prints deliveries/s, latency percentiles, `seq` gaps and duplicates.
//!
//! Scenarios:
//! - `idle`: `--conns` connections in rooms of `--members`, heartbeats only, held `--secs`;
//!   `--instances 3` runs three room-servers on a private Redis (members alternating between
//!   them), `--procs P` spreads the connections over P generator processes (this process
//!   re-runs its own binary with `--slice i/P --servers ...`; the default is as many as the
//!   file limit needs), and it prints each server's KiB per connection.
//! - `fanout`: `--rooms` × `--members`, `--rate` chat events/s per room for `--secs`; add
//!   `--flooder true` (one member sends 1,000 frames/s) or `--slow-reader true` (one member
//!   stops reading) to see that the room's latency does not move; `--instances 2` runs two
//!   room-servers bridged by a private Redis, members alternating between them; `--churn 1000`
//!   reconnects 1,000 returning members a second and times each until its fresh `welcome`.

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use jsonwebtoken::{encode, EncodingKey, Header};
use onair_shared::auth::{TicketClaims, TicketRoom, TokenKind};
use onair_shared::room::{Category, Mode, MAX_MEMBER_LIMIT};
use onair_shared::{RoomId, UserId};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "load-secret-load-secret-load-secret!!";

struct Opts {
    scenario: String,
    rooms: usize,
    members: usize,
    rate: f64,
    secs: u64,
    conns: usize,
    sources: u8,
    flooder: bool,
    slow_reader: bool,
    /// Room-servers bridged by a private Redis (`--instances 2`); members alternate between them.
    instances: usize,
    /// Reconnects per second during a fan-out run (`--churn 1000`): returning members, each
    /// timed from opening the socket to its fresh `welcome`.
    churn: f64,
    /// The generator's own worker threads (`--threads`, default 2). With one, a frame waits in
    /// its socket until that thread gets round to it, and the fan-out's p99 measured the
    /// generator's queue (22-77 ms) more than the server (11-18 ms with two).
    threads: usize,
    /// `--pin true`: the room-server on core 0 (one worker), this generator on the other cores,
    /// as the issue measured it: neither takes CPU time from the other, so the server's tail is
    /// its own and not the scheduler's.
    pin: bool,
    /// A command to run the server under (`--wrap 'valgrind --tool=massif'`), to profile it
    /// with the same load; the /proc figures are then the wrapper's.
    wrap: Vec<String>,
    /// Each server's worker threads (`--workers`; default: the cores shared by the instances).
    workers: usize,
    /// The room-server binary (`--server PATH`; default: the one cargo built for this bench),
    /// to run a saved "before" build under the same generator, in turn with the new one.
    server: String,
    /// Generator processes (`--procs`; default: as many as the file limit needs, at most
    /// 19,500 connections each): this process starts the servers and re-runs its own binary
    /// that many times, each child connecting a share of the rooms and reporting back on its
    /// stdout (lines starting `@@ `).
    procs: usize,
    /// A child generator's share of the rooms (`--slice i/P`, given by the parent) and the
    /// servers it connects to (`--servers ADDR,ADDR`).
    slice: Option<(usize, usize)>,
    addrs: Vec<SocketAddr>,
    /// The command line, handed on to the child generators.
    args: Vec<String>,
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut map = HashMap::new();
    let mut scenario = "help".to_owned();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.strip_prefix("--") {
            Some(key) => {
                map.insert(key.to_owned(), it.next().cloned().unwrap_or_default());
            }
            None => scenario = a.clone(),
        }
    }
    let num = |k: &str, d: f64| map.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    let instances = num("instances", 1.0).clamp(1.0, 8.0) as usize;
    let pin = map.get("pin").is_some_and(|v| v == "true") && machine_cores() > 1;
    let mut wrap: Vec<String> = map
        .get("wrap")
        .map(|w| w.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    if pin {
        wrap.splice(0..0, ["taskset", "-c", "0"].map(str::to_owned));
    }
    Opts {
        pin,
        scenario,
        rooms: num("rooms", 20.0) as usize,
        members: num("members", 12.0) as usize,
        rate: num("rate", 10.0),
        secs: num("secs", 20.0) as u64,
        conns: num("conns", 5_000.0) as usize,
        sources: num("sources", 8.0).clamp(1.0, 250.0) as u8,
        flooder: map.get("flooder").is_some_and(|v| v == "true"),
        slow_reader: map.get("slow-reader").is_some_and(|v| v == "true"),
        instances,
        churn: num("churn", 0.0).max(0.0),
        threads: num("threads", 2.0).clamp(1.0, 16.0) as usize,
        workers: match num("workers", 0.0).clamp(0.0, 64.0) as usize {
            0 if pin => 1,
            0 => (machine_cores() / instances).max(1),
            n => n,
        },
        server: map
            .get("server")
            .cloned()
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_onair-room-server").to_owned()),
        wrap,
        procs: num("procs", 0.0).clamp(0.0, 64.0) as usize,
        slice: map.get("slice").and_then(|v| {
            let (i, p) = v.split_once('/')?;
            Some((i.parse().ok()?, p.parse().ok()?))
        }),
        addrs: map
            .get("servers")
            .map(|v| v.split(',').filter_map(|a| a.parse().ok()).collect())
            .unwrap_or_default(),
        args,
    }
}

/// The room-server under test, started from the release binary cargo built for this bench.
struct ServerProc {
    child: Child,
    addr: SocketAddr,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private redis-server for the cross-instance scenario.
struct RedisProc(Child, u16);

impl RedisProc {
    fn start() -> RedisProc {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts (apt-get install redis-server)");
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisProc(child, port)
    }
}

impl Drop for RedisProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl ServerProc {
    fn start_in(o: &Opts, redis: Option<&RedisProc>, instance: &str) -> ServerProc {
        let (wrap, workers) = (&o.wrap, o.workers);
        let port = free_port();
        let binary = &o.server;
        let mut cmd = match wrap.split_first() {
            Some((wrapper, args)) => {
                let mut cmd = Command::new(wrapper);
                cmd.args(args).arg(binary);
                cmd
            }
            None => Command::new(binary),
        };
        if let Some(redis) = redis {
            cmd.env("ONAIR_REDIS_URL", format!("redis://127.0.0.1:{}", redis.1))
                .env("ONAIR_INSTANCE_ID", instance);
        }
        let child = cmd
            .env("ONAIR_JWT_SECRET", SECRET)
            .env("ONAIR_ROOM_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .env("ONAIR_WORKERS", workers.to_string())
            .stdout(Stdio::null())
            .spawn()
            .expect("room-server starts");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let start = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "room-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        ServerProc { child, addr }
    }

    /// Asks the server to stop (SIGTERM) without waiting: several servers told at once shut
    /// down together rather than one after the other in their `Drop`.
    fn terminate(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }

    /// (resident KiB, CPU seconds) from /proc.
    fn stats(&self) -> (u64, Cpu) {
        proc_stats(self.child.id())
    }
}

impl Drop for ServerProc {
    /// SIGTERM first, so a profiler wrapping the server writes its report; then SIGKILL.
    fn drop(&mut self) {
        self.terminate();
        wait_or_kill(&mut self.child);
    }
}

/// Waits up to 30 s for a child told to stop, then kills it.
fn wait_or_kill(child: &mut Child) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// CPU seconds of each server, then of Redis (none without one).
fn servers_and_redis_cpu(servers: &[ServerProc], redis: Option<&RedisProc>) -> Vec<Cpu> {
    let mut v: Vec<Cpu> = servers.iter().map(|s| s.stats().1).collect();
    v.push(redis.map_or(Cpu::default(), |r| proc_stats(r.0.id()).1));
    v
}

fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// CPU seconds a process has used, in user space and in the kernel (`utime`, `stime`): about
/// 10 µs of each delivery is loopback TCP in the kernel, which no change of ours removes, so
/// the user-space part is the one to watch.
#[derive(Clone, Copy, Default)]
struct Cpu {
    user: f64,
    sys: f64,
}

impl Cpu {
    fn total(self) -> f64 {
        self.user + self.sys
    }

    fn since(self, earlier: Cpu) -> Cpu {
        Cpu {
            user: self.user - earlier.user,
            sys: self.sys - earlier.sys,
        }
    }
}

/// (resident KiB, CPU seconds) of a process, from /proc.
fn proc_stats(pid: u32) -> (u64, Cpu) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the `(comm)`: utime and stime are the 12th and 13th, in clock ticks.
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) as f64;
    // Clock ticks are 1/100 s on Linux (`getconf CLK_TCK`).
    let cpu = Cpu {
        user: ticks(11) / 100.0,
        sys: ticks(12) / 100.0,
    };
    (rss, cpu)
}

fn ticket(user: i64, room: i64, limit: u8) -> String {
    let now = (unix_nanos() / 1_000_000_000) as i64;
    let claims = TicketClaims {
        kind: TokenKind::Ticket,
        sub: UserId(user),
        name: format!("u{user}"),
        room: TicketRoom {
            id: RoomId(room),
            title: format!("load {room}"),
            mode: Mode::Normal,
            category: Category::Free,
            host: UserId(room * 1000 + 1),
            member_limit: limit,
            created_at: now,
        },
        ranked: None,
        jti: format!("load-{user}-{room}-{}", unix_nanos()),
        iat: now,
        exp: now + 3600,
        rid: None,
    };
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Connects from 127.0.0.`2 + n % sources`, with small buffers (tungstenite's default read
/// buffer is 128 KiB per connection, which would dwarf the server we measure).
async fn connect(server: SocketAddr, n: usize, sources: u8, user: i64, room: i64, limit: u8) -> Ws {
    let src = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (n % sources as usize) as u8));
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    loop {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(src, 0)).unwrap();
        let Ok(stream) = socket.connect(server).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // As browsers do: with Nagle on, a chat line sent while the previous frame (a pong) is
        // unacknowledged waits for the server's delayed ACK, and the 40 ms shows up as latency.
        let _ = stream.set_nodelay(true);
        let url = format!("ws://{server}/ws?ticket={}", ticket(user, room, limit));
        match tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await {
            Ok((ws, _)) => return ws,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[derive(Default)]
struct Tally {
    deliveries: AtomicU64,
    gaps: AtomicU64,
    dups: AtomicU64,
    dropped: AtomicU64,
}

/// The parts of a server frame the generator checks: its type, its `seq` (events and
/// `welcome`), and a chat line's text (which carries the send time).
#[derive(serde::Deserialize)]
struct FrameHead<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    seq: Option<u64>,
    #[serde(borrow)]
    line: Option<LineHead<'a>>,
}

#[derive(serde::Deserialize)]
struct LineHead<'a> {
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
}

/// Reads one connection (or its read half) until `stop`, checking `seq` and recording chat
/// latencies while `measuring`.
async fn reader<S>(
    mut stream: S,
    tally: Arc<Tally>,
    measuring: Arc<AtomicBool>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Histogram<u64>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let mut last: Option<u64> = None;
    loop {
        // Waits on the stop signal rather than a timeout per frame: 100,000 timers a second
        // would be the generator's own load, not the server's.
        let next = tokio::select! {
            _ = stop.changed() => return hist,
            next = stream.next() => next,
        };
        let msg = match next {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(_)) => continue,
            _ => {
                tally.dropped.fetch_add(1, Ordering::Relaxed);
                return hist;
            }
        };
        // Only what the tally needs, borrowed: the full `ServerMsg` (an untagged enum) costs
        // the generator more CPU than the server spends sending the frame.
        let Ok(frame) = serde_json::from_str::<FrameHead>(&msg) else {
            continue;
        };
        let Some(seq) = frame.seq else {
            continue; // a frame for us alone (error, signal)
        };
        if frame.kind == "welcome" {
            last = Some(seq);
            continue;
        }
        match last {
            Some(l) if seq == l + 1 => {}
            Some(l) if seq <= l => {
                tally.dups.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Some(_) => {
                tally.gaps.fetch_add(1, Ordering::Relaxed);
            }
            None => {}
        }
        last = Some(seq);
        let sent = frame
            .line
            .as_ref()
            .and_then(|l| l.text.strip_prefix("t:"))
            .and_then(|t| t.parse::<u64>().ok());
        if let (Some(sent), true) = (sent, measuring.load(Ordering::Relaxed)) {
            let _ = hist.record((unix_nanos().saturating_sub(sent) / 1_000).max(1));
            tally.deliveries.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Warns when the source addresses cannot give `conns` client sockets a port each: a socket
/// bound to a source address before connecting takes a port of that address's ephemeral range
/// (`net.ipv4.ip_local_port_range`, 28,232 ports by default) whatever server it connects to.
fn check_ports(conns: usize, sources: u8) {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| {
            let mut it = r.split_whitespace().map(|v| v.parse::<usize>().ok());
            Some(it.next()??.abs_diff(it.next()??) + 1)
        })
        .unwrap_or(28_232);
    let per_source = conns.div_ceil(usize::from(sources.max(1)));
    if per_source + 1_000 > range {
        println!(
            "  WARNING: {per_source} connections per source address, {range} ports each: \
             use more --sources"
        );
    }
}

/// The most open files this process may have (the soft `RLIMIT_NOFILE`, from /proc).
fn file_limit(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/limits"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(1024)
}

/// Generator processes for `conns` connections: `--procs`, or as many as the file limit needs
/// (one file per connection, 500 spare).
fn procs_for(o: &Opts, conns: usize) -> usize {
    match o.procs {
        0 => conns.div_ceil(file_limit(std::process::id()).saturating_sub(500).max(1)),
        p => p,
    }
    .max(1)
}

/// CPU core-seconds the whole machine has been busy (all processes, from /proc/stat), to tell
/// what other work took from the two cores during a run.
fn machine_busy() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait.
    let busy: u64 = f
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    busy as f64 / 100.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_owned()
}

/// A child generator process (`--procs`): its stdin takes the parent's word (`go`, `stop`), its
/// stdout lines starting `@@ ` are its reports, everything else is printed as its progress.
struct Gen {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    reports: tokio::sync::mpsc::UnboundedReceiver<String>,
    n: usize,
}

impl Gen {
    /// Starts `procs` children, each with the parent's command line plus its `--slice` and the
    /// servers' addresses.
    fn spawn(o: &Opts, addrs: &[SocketAddr], procs: usize) -> Vec<Gen> {
        let exe = std::env::current_exe().expect("the generator's own binary");
        let servers = addrs
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(",");
        (0..procs)
            .map(|i| {
                let mut child = Command::new(&exe)
                    .args(&o.args)
                    .args(["--slice", &format!("{i}/{procs}"), "--servers", &servers])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("a child generator starts");
                let stdout = child.stdout.take().unwrap();
                let (tx, reports) = tokio::sync::mpsc::unbounded_channel();
                std::thread::spawn(move || {
                    use std::io::BufRead;
                    for line in std::io::BufReader::new(stdout)
                        .lines()
                        .map_while(Result::ok)
                    {
                        match line.strip_prefix("@@ ") {
                            Some(report) => {
                                let _ = tx.send(report.to_owned());
                            }
                            None => println!("  [generator {}] {}", i + 1, line.trim_start()),
                        }
                    }
                });
                Gen {
                    stdin: child.stdin.take(),
                    child,
                    reports,
                    n: i + 1,
                }
            })
            .collect()
    }

    /// Waits for the child's report `key ...` and returns its words after the key.
    async fn expect(&mut self, key: &str) -> Vec<String> {
        loop {
            let Some(line) = self.reports.recv().await else {
                panic!("generator {} exited before reporting `{key}`", self.n);
            };
            let mut words = line.split_whitespace().map(str::to_owned);
            if words.next().as_deref() == Some(key) {
                return words.collect();
            }
        }
    }

    fn tell(&mut self, word: &str) {
        use std::io::Write;
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{word}");
            let _ = stdin.flush();
        }
    }

    fn cpu(&self) -> Cpu {
        proc_stats(self.child.id()).1
    }
}

impl Drop for Gen {
    fn drop(&mut self) {
        // Its stdin closed tells a child to stop, if nobody told it yet.
        self.stdin = None;
        wait_or_kill(&mut self.child);
    }
}

/// In a child generator: the parent's next word on stdin (`None` once the parent is gone).
async fn parent_says() -> Option<String> {
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim().to_owned()),
        }
    })
    .await
    .ok()
    .flatten()
}

/// Adds CPU figures up.
fn cpu_sum<'a>(all: impl IntoIterator<Item = &'a Cpu>) -> Cpu {
    all.into_iter().fold(Cpu::default(), |sum, c| Cpu {
        user: sum.user + c.user,
        sys: sum.sys + c.sys,
    })
}

/// The idle scenario's rooms: connection `n` is member `n % per_room` of room `n / per_room + 1`
/// and connects to instance `(n % per_room) % instances` (so a room's first member, its owner,
/// is on the first). Slice `i` of `p` is the connections of its share of whole rooms.
fn idle_slice(conns: usize, per_room: usize, (i, p): (usize, usize)) -> std::ops::Range<usize> {
    let rooms = conns.div_ceil(per_room);
    let (from, to) = (rooms * i / p, rooms * (i + 1) / p);
    (from * per_room).min(conns)..(to * per_room).min(conns)
}

/// Connects `range` of the idle scenario's connections, one after the other, each with a reader
/// that counts it as dropped if the server closes it.
async fn idle_connect(
    o: &Opts,
    addrs: &[SocketAddr],
    range: std::ops::Range<usize>,
    tally: &Arc<Tally>,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<Histogram<u64>>> {
    let per_room = o.members.clamp(2, usize::from(MAX_MEMBER_LIMIT));
    let measuring = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut readers = Vec::new();
    for n in range {
        let room = (n / per_room) as i64 + 1;
        let m = n % per_room;
        let user = room * 1000 + m as i64 + 1;
        let on = addrs[m % addrs.len()];
        let ws = connect(on, n, o.sources, user, room, per_room as u8).await;
        readers.push(tokio::spawn(reader(
            ws,
            tally.clone(),
            measuring.clone(),
            stop.clone(),
        )));
        if readers.len() % 5_000 == 0 {
            println!(
                "  {} connected ({:.1} s)",
                readers.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    readers
}

/// A child generator of the idle scenario: connects its slice, reports `connected N`, holds
/// the connections until the parent says `stop` (or is gone), then reports `dropped D`.
async fn idle_child(o: &Opts, slice: (usize, usize)) {
    let per_room = o.members.clamp(2, usize::from(MAX_MEMBER_LIMIT));
    let tally = Arc::new(Tally::default());
    let (stop_tx, stop_readers) = tokio::sync::watch::channel(false);
    let range = idle_slice(o.conns, per_room, slice);
    let readers = idle_connect(o, &o.addrs, range, &tally, &stop_readers).await;
    println!("@@ connected {}", readers.len());
    while let Some(word) = parent_says().await {
        if word == "stop" {
            break;
        }
    }
    let _ = stop_tx.send(true);
    for r in readers {
        let _ = r.await;
    }
    println!("@@ dropped {}", tally.dropped.load(Ordering::Relaxed));
}

async fn idle(o: &Opts) {
    if let Some(slice) = o.slice {
        return idle_child(o, slice).await;
    }
    let redis = (o.instances > 1).then(RedisProc::start);
    let servers: Vec<ServerProc> = (0..o.instances)
        .map(|i| ServerProc::start_in(o, redis.as_ref(), &format!("room-{}", i + 1)))
        .collect();
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let base_rss: Vec<u64> = servers.iter().map(|s| s.stats().0).collect();
    // Rooms as the api-server makes them: the room-server refuses a ticket above its maximum.
    let per_room = o.members.clamp(2, usize::from(MAX_MEMBER_LIMIT));
    // Connections each server gets (a room's members alternate between the instances).
    let mut on = vec![0usize; servers.len()];
    for n in 0..o.conns {
        on[(n % per_room) % servers.len()] += 1;
    }
    for (i, s) in servers.iter().enumerate() {
        let limit = file_limit(s.child.id());
        if on[i] + 100 > limit {
            println!(
                "  WARNING: room-{} gets {} connections but may open {limit} files: \
                 use more --instances",
                i + 1,
                on[i]
            );
        }
    }
    check_ports(o.conns, o.sources);
    let procs = procs_for(o, o.conns);
    let per_proc = (0..procs)
        .map(|i| idle_slice(o.conns, per_room, (i, procs)).len())
        .max()
        .unwrap_or(0);
    let own_limit = file_limit(std::process::id());
    if per_proc + 100 > own_limit {
        println!(
            "  WARNING: a generator process holds up to {per_proc} connections but may open \
             {own_limit} files: use more --procs"
        );
    }
    let tally = Arc::new(Tally::default());
    let (stop_tx, stop_readers) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let mut readers = Vec::new();
    let mut gens = Vec::new();
    if procs == 1 {
        readers = idle_connect(o, &addrs, 0..o.conns, &tally, &stop_readers).await;
    } else {
        gens = Gen::spawn(o, &addrs, procs);
        for g in &mut gens {
            g.expect("connected").await;
        }
    }
    let connected_in = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    // CPU seconds of each server, then Redis, then the generator processes.
    let cpu = |gens: &[Gen]| {
        let mut v = servers_and_redis_cpu(&servers, redis.as_ref());
        let generators: Vec<Cpu> = gens
            .iter()
            .map(Gen::cpu)
            .chain([proc_stats(std::process::id()).1])
            .collect();
        v.push(cpu_sum(&generators));
        v
    };
    let rss = || servers.iter().map(|s| s.stats().0).collect::<Vec<u64>>();
    let kib =
        |rss: &[u64], i: usize| rss[i].saturating_sub(base_rss[i]) as f64 / on[i].max(1) as f64;
    let total_kib = |rss: &[u64]| {
        rss.iter()
            .zip(&base_rss)
            .map(|(r, b)| r.saturating_sub(*b))
            .sum::<u64>() as f64
            / o.conns.max(1) as f64
    };
    let (rss0, cpu0, busy0) = (rss(), cpu(&gens), machine_busy());
    let t0 = Instant::now();
    println!(
        "idle: {} connections in {:.1} s; server RSS {} MiB, {:.2} KiB per connection{}",
        o.conns,
        connected_in,
        rss0.iter().sum::<u64>() / 1024,
        total_kib(&rss0),
        if servers.len() > 1 {
            format!(
                " ({} instances, {} generator processes)",
                servers.len(),
                procs
            )
        } else if procs > 1 {
            format!(" ({procs} generator processes)")
        } else {
            String::new()
        }
    );
    if servers.len() > 1 {
        for i in 0..servers.len() {
            println!(
                "  room-{}: {} connections, RSS {} MiB, {:.2} KiB per connection",
                i + 1,
                on[i],
                rss0[i] / 1024,
                kib(&rss0, i)
            );
        }
    }
    tokio::time::sleep(Duration::from_secs(o.secs)).await;
    let (rss1, cpu1, busy1) = (rss(), cpu(&gens), machine_busy());
    let wall = t0.elapsed().as_secs_f64();
    let used: Vec<Cpu> = cpu1.iter().zip(&cpu0).map(|(b, a)| b.since(*a)).collect();
    let servers_used = cpu_sum(&used[..servers.len()]);
    let dropped = if gens.is_empty() {
        let _ = stop_tx.send(true);
        for r in readers {
            let _ = r.await;
        }
        tally.dropped.load(Ordering::Relaxed)
    } else {
        for g in &mut gens {
            g.tell("stop");
        }
        let mut dropped = 0;
        for g in &mut gens {
            dropped += g.expect("dropped").await[0].parse::<u64>().unwrap_or(0);
        }
        dropped
    };
    println!(
        "idle: held {} s: dropped {}, RSS at end {} MiB ({:.2} KiB/conn), server CPU {:.1}% \
         (user {:.1}%, system {:.1}%)",
        o.secs,
        dropped,
        rss1.iter().sum::<u64>() / 1024,
        total_kib(&rss1),
        100.0 * servers_used.total() / wall,
        100.0 * servers_used.user / wall,
        100.0 * servers_used.sys / wall
    );
    if servers.len() > 1 {
        for i in 0..servers.len() {
            println!(
                "  room-{}: RSS at end {} MiB ({:.2} KiB/conn), CPU {:.1}%",
                i + 1,
                rss1[i] / 1024,
                kib(&rss1, i),
                100.0 * used[i].total() / wall
            );
        }
    }
    drop(gens);
    for s in &servers {
        s.terminate();
    }
    let ours: f64 = used.iter().map(|c| c.total()).sum();
    println!(
        "  CPU, % of one core: {}generator {:.1}% ({} process(es))   \
         other processes {:.0}% (load average {})",
        if redis.is_some() {
            format!(
                "redis {:.1}%   ",
                100.0 * used[servers.len()].total() / wall
            )
        } else {
            String::new()
        },
        100.0 * used[servers.len() + 1].total() / wall,
        procs,
        (100.0 * (busy1 - busy0 - ours) / wall).max(0.0),
        load_average()
    );
}

async fn fanout(o: &Opts) {
    if o.procs > 1 {
        // At 90,000 deliveries/s the generator's two threads were not the limit, and on two
        // cores more processes would not give it more CPU (BENCHMARKS.md).
        println!("--procs is for idle only: the fan-out runs in one process");
    }
    let redis = (o.instances > 1).then(RedisProc::start);
    let servers: Vec<ServerProc> = (0..o.instances)
        .map(|i| ServerProc::start_in(o, redis.as_ref(), &format!("room-{}", i + 1)))
        .collect();
    let server = &servers[0];
    // CPU seconds of each server, then Redis, then this generator.
    let cpu = |servers: &[ServerProc]| {
        let mut v = servers_and_redis_cpu(servers, redis.as_ref());
        v.push(proc_stats(std::process::id()).1);
        v
    };
    let rss = |servers: &[ServerProc]| servers.iter().map(|s| s.stats().0).sum::<u64>();
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let (stop_tx, stop_readers) = tokio::sync::watch::channel(false);
    let measuring = Arc::new(AtomicBool::new(false));
    // Every room is as big as the api-server allows (the room-server refuses a ticket above
    // it); `--members` of its seats are taken by members who read (and the first ten send).
    let limit = MAX_MEMBER_LIMIT;
    let members = o.members.clamp(2, usize::from(limit));
    // Returning members (`--churn`) take turns on the seats the others leave free.
    let churn_seats = usize::from(limit) - members;
    if o.churn > 0.0 && churn_seats == 0 {
        println!(
            "--churn needs free seats for returning members: --members {} at most",
            limit - 1
        );
        return;
    }
    // The flooder, or the slow reader and its five senders, take seats of room 1.
    let extra_in_first = match (o.flooder, o.slow_reader) {
        (false, false) => 0,
        (true, false) => 1,
        (false, true) => 6,
        (true, true) => 7,
    };
    let mut readers = Vec::new();
    let mut senders = Vec::new();
    let started = Instant::now();
    let mut n = 0;
    // Frames a second the senders offer: every chat line goes to every reader of its room.
    let mut offered = 0.0;
    for r in 0..o.rooms {
        let room = r as i64 + 1;
        let members = if r == 0 {
            members.min(usize::from(limit) - extra_in_first)
        } else {
            members
        };
        offered += members as f64 * o.rate;
        for m in 0..members {
            let user = room * 1000 + m as i64 + 1;
            // Members alternate between instances (the room's first member, on the first one,
            // makes it the owner; the rest reach it through relays).
            let on = &servers[m % servers.len()];
            let ws = connect(on.addr, n, o.sources, user, room, limit).await;
            n += 1;
            // The first few members of each room also send, each at a share of the room's rate
            // (a member may chat 2/s; ten senders keep each well under that).
            let (sink, stream) = ws.split();
            readers.push((
                r,
                tokio::spawn(reader(
                    stream,
                    tally.clone(),
                    measuring.clone(),
                    stop_readers.clone(),
                )),
            ));
            if m < 10 {
                let every = Duration::from_secs_f64(10.0_f64.min(members as f64) / o.rate);
                senders.push(tokio::spawn(send_at_fixed_rate(
                    sink,
                    every,
                    m as u64,
                    stop.clone(),
                )));
            }
        }
    }
    println!(
        "fanout: {} connections in {:.1} s",
        n,
        started.elapsed().as_secs_f64()
    );
    if o.flooder {
        let ws = connect(server.addr, n, o.sources, 999_999, 1, limit).await;
        tokio::spawn(flood(ws, stop.clone()));
    }
    let slow = if o.slow_reader {
        // Connected and then never read, while five members of its room send it 15 KiB WebRTC
        // signals, 10 a second each: the server must cut it off once 1 MiB is queued for it,
        // not buffer for it forever.
        let slow = connect(server.addr, n + 1, o.sources, SLOW_READER, 1, limit).await;
        for k in 0..5 {
            let ws = connect(
                server.addr,
                n + 2 + k,
                o.sources,
                999_990 + k as i64,
                1,
                limit,
            )
            .await;
            tokio::spawn(signal_slow_reader(ws, stop.clone()));
        }
        Some(slow)
    } else {
        None
    };
    let churn = (o.churn > 0.0).then(|| {
        let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
        tokio::spawn(churn_at(
            addrs,
            o.churn,
            (o.rooms, churn_seats),
            o.sources,
            limit,
            stop.clone(),
            measuring.clone(),
        ))
    });
    tokio::time::sleep(Duration::from_secs(3)).await; // warm-up
    let (cpu0, busy0) = (cpu(&servers), machine_busy());
    measuring.store(true, Ordering::Relaxed);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(o.secs)).await;
    measuring.store(false, Ordering::Relaxed);
    let wall = t0.elapsed().as_secs_f64();
    let (rss, cpu1, busy1) = (rss(&servers), cpu(&servers), machine_busy());
    stop.store(true, Ordering::Relaxed);
    let _ = stop_tx.send(true);
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    // Room 1 alone: where the flooder and the slow reader are.
    let mut first_room = hist.clone();
    for (room, r) in readers {
        if let Ok(h) = r.await {
            hist.add(&h).unwrap();
            if room == 0 {
                first_room.add(&h).unwrap();
            }
        }
    }
    for s in senders {
        let _ = s.await;
    }
    let churned = match churn {
        Some(task) => task.await.ok(),
        None => None,
    };
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "fanout: {} rooms x {} members at {}/s per room on {} instance(s) of {} worker(s){}{}{}",
        o.rooms,
        members,
        o.rate,
        o.instances,
        o.workers,
        if o.pin {
            ", pinned (server on core 0)"
        } else {
            ""
        },
        if o.flooder { ", with a flooder" } else { "" },
        if o.slow_reader {
            ", with a slow reader"
        } else {
            ""
        }
    );
    println!(
        "  deliveries/s {:.0}   p50 {:.2} ms   p99 {:.2} ms   p999 {:.2} ms   max {:.2} ms",
        tally.deliveries.load(Ordering::Relaxed) as f64 / wall,
        ms(0.5),
        ms(0.99),
        ms(0.999),
        hist.max() as f64 / 1000.0
    );
    println!(
        "  seq gaps {}   duplicates {}   dropped connections {}   RSS {} MiB (all instances)",
        tally.gaps.load(Ordering::Relaxed),
        tally.dups.load(Ordering::Relaxed),
        tally.dropped.load(Ordering::Relaxed),
        rss / 1024
    );
    let used: Vec<Cpu> = cpu1.iter().zip(&cpu0).map(|(b, a)| b.since(*a)).collect();
    let pct: Vec<f64> = used.iter().map(|c| 100.0 * c.total() / wall).collect();
    let servers_pct = &pct[..servers.len()];
    let servers_used = used[..servers.len()]
        .iter()
        .fold(Cpu::default(), |sum, c| Cpu {
            user: sum.user + c.user,
            sys: sum.sys + c.sys,
        });
    let delivered = tally.deliveries.load(Ordering::Relaxed) as f64;
    println!(
        "  CPU, % of one core: server {:.0}% ({}){}   generator {:.0}%",
        servers_pct.iter().sum::<f64>(),
        servers_pct
            .iter()
            .map(|p| format!("{p:.0}%"))
            .collect::<Vec<_>>()
            .join(" + "),
        if redis.is_some() {
            format!("   redis {:.0}%", pct[servers.len()])
        } else {
            String::new()
        },
        pct[servers.len() + 1]
    );
    // What each delivery cost the servers: the kernel's part (mostly loopback TCP, the same
    // for any server) and ours, user space.
    let per = |secs: f64| 1e6 * secs / delivered.max(1.0);
    println!(
        "  server CPU per delivery {:.2} µs: user {:.2} µs ({:.0}% of one core), system {:.2} µs ({:.0}%)",
        per(servers_used.total()),
        per(servers_used.user),
        100.0 * servers_used.user / wall,
        per(servers_used.sys),
        100.0 * servers_used.sys / wall
    );
    // The generator reads every frame: when its threads are busy it, not the server, sets the
    // pace and the tail (frames wait in its sockets), and the figures above say so little.
    let generator = pct[servers.len() + 1];
    let rate = delivered / wall;
    // Pinned, the generator's threads share the cores the server does not have.
    let generator_cores = if o.pin {
        o.threads.min(machine_cores() - 1)
    } else {
        o.threads
    };
    if generator >= 85.0 * generator_cores as f64 {
        println!(
            "  NOTE: the generator was the limit: {generator:.0}% of its {generator_cores} \
             core(s); run with more --threads (on more cores)"
        );
    }
    let cores = machine_cores() as f64;
    let ours: f64 = pct.iter().sum();
    // What else ran on the machine meanwhile (builds, tests): it takes the same cores.
    let others = (100.0 * (busy1 - busy0) / wall - ours).max(0.0);
    println!(
        "  other processes {others:.0}% of one core (load average {})",
        load_average()
    );
    if ours + others >= 90.0 * cores {
        println!(
            "  NOTE: the machine was full: server, Redis and generator used {ours:.0}% and other \
             processes {others:.0}% of {cores} cores; the latencies are CPU queueing"
        );
    }
    if rate < 0.98 * offered {
        println!(
            "  NOTE: {rate:.0} deliveries/s of {offered:.0} offered: {}",
            if generator >= 85.0 * generator_cores as f64 {
                "the generator could not keep up"
            } else {
                "the server (or the machine) could not keep up"
            }
        );
    }
    if o.flooder || o.slow_reader {
        println!(
            "  room 1 (the flooder's / slow reader's): p50 {:.2} ms   p99 {:.2} ms   p999 {:.2} ms",
            first_room.value_at_quantile(0.5) as f64 / 1000.0,
            first_room.value_at_quantile(0.99) as f64 / 1000.0,
            first_room.value_at_quantile(0.999) as f64 / 1000.0
        );
    }
    if let Some(mut slow) = slow {
        // Read what the kernel buffered for it; a connection the server cut off then ends.
        let drained = tokio::time::timeout(Duration::from_secs(20), async {
            let mut bytes = 0usize;
            while let Some(Ok(msg)) = slow.next().await {
                bytes += msg.len();
            }
            bytes
        })
        .await;
        match drained {
            Ok(bytes) => println!(
                "  slow reader: cut off by the server, with {:.1} MiB waiting in its socket \
                 buffers (the server itself queues at most 1 MiB per connection)",
                bytes as f64 / (1024.0 * 1024.0)
            ),
            Err(_) => println!("  slow reader: NOT cut off (still connected after draining)"),
        }
    }
    if let Some((done, h)) = churned {
        println!(
            "  churn: {:.0} reconnects/s, welcome after p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
            done as f64 / wall,
            h.value_at_quantile(0.5) as f64 / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0,
            h.max() as f64 / 1000.0
        );
    }
}

/// Reconnects returning members at a fixed rate: `seats` per room (the seats the readers leave
/// free) take turns, so each comes back to a seat it still holds (and so gets the room's full
/// state back).
async fn churn_at(
    servers: Vec<SocketAddr>,
    rate: f64,
    (rooms, seats): (usize, usize),
    sources: u8,
    limit: u8,
    stop: Arc<AtomicBool>,
    measuring: Arc<AtomicBool>,
) -> (u64, Histogram<u64>) {
    let hist = Arc::new(std::sync::Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap(),
    ));
    let done = Arc::new(AtomicU64::new(0));
    // Tokio's timer has 1 ms granularity, and a late tick pushes the next one back: a 1 ms
    // interval offers ~500/s, not 1,000. So tick every 10 ms and start this tick's share of
    // reconnects, carrying the fraction over.
    let period = Duration::from_millis(10);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let per_tick = rate * period.as_secs_f64();
    let mut owed = 0.0;
    let mut k: usize = 0;
    while !stop.load(Ordering::Relaxed) {
        if owed < 1.0 {
            tick.tick().await;
            owed += per_tick;
            continue;
        }
        owed -= 1.0;
        k += 1;
        let room = (k % rooms) as i64 + 1;
        let user = room * 1000 + 900 + ((k / rooms) % seats) as i64;
        let server = servers[k % servers.len()];
        let (hist, done, measuring) = (hist.clone(), done.clone(), measuring.clone());
        tokio::spawn(async move {
            let t0 = Instant::now();
            let mut ws = connect(server, k, sources, user, room, limit).await;
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(t) = msg {
                    if t.contains(r#""type":"welcome""#) {
                        if measuring.load(Ordering::Relaxed) {
                            let micros = t0.elapsed().as_micros() as u64;
                            let _ = hist.lock().unwrap().record(micros.max(1));
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        break;
                    }
                }
            }
            let _ = ws.close(None).await;
        });
    }
    let h = hist.lock().unwrap().clone();
    (done.load(Ordering::Relaxed), h)
}

async fn send_at_fixed_rate(
    mut sink: futures_util::stream::SplitSink<Ws, Message>,
    every: Duration,
    offset: u64,
    stop: Arc<AtomicBool>,
) {
    // Senders of one room start staggered, so the room's events are evenly spaced.
    tokio::time::sleep(every.mul_f64((offset % 10) as f64 / 10.0)).await;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let frame = format!(r#"{{"type":"chat","text":"t:{}"}}"#, unix_nanos());
        if sink.send(Message::text(frame)).await.is_err() {
            return;
        }
    }
}

const SLOW_READER: i64 = 999_998;

/// Sends 15 KiB signals to the slow reader, 10 a second, and reads (drops) the room's frames.
async fn signal_slow_reader(ws: Ws, stop: Arc<AtomicBool>) {
    let (mut sink, mut stream) = ws.split();
    tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    let frame = format!(
        r#"{{"type":"signal","to":{SLOW_READER},"data":{{"sdp":"{}"}}}}"#,
        "x".repeat(15 * 1024)
    );
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        if sink.send(Message::text(frame.clone())).await.is_err() {
            return;
        }
    }
}

async fn flood(mut ws: Ws, stop: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        if ws
            .send(Message::text(r#"{"type":"react","kind":"clap"}"#))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The machine's cores, read before `--pin` narrows this process to some of them.
fn machine_cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn main() {
    machine_cores();
    let o = opts();
    if o.pin {
        // Before the runtime starts its threads, which take this thread's cores.
        let rest = format!("1-{}", machine_cores() - 1);
        let pinned = Command::new("taskset")
            .args(["-pc", &rest, &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status();
        if !pinned.is_ok_and(|s| s.success()) {
            println!("--pin: taskset could not pin the generator; running unpinned");
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.threads)
        .enable_all()
        .build()
        .unwrap();
    match o.scenario.as_str() {
        "idle" => rt.block_on(idle(&o)),
        "fanout" => rt.block_on(fanout(&o)),
        _ => println!(
            "usage: cargo bench -p onair-room-server --bench load -- <idle|fanout> \\\n  \
             [--conns N] [--rooms R] [--members M] [--rate E] [--secs S] [--sources K] \\\n  \
             [--flooder true] [--slow-reader true] [--instances 2] [--churn 1000] [--threads T] \\\n  \
             [--workers W] [--wrap CMD] [--server PATH] [--procs P (idle)] [--pin true]"
        ),
    }
}
