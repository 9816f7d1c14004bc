//! Database outages on MariaDB: a TCP proxy run by the test sits between the api-server and
//! MariaDB; stopping it cuts every connection and refuses new ones, restarting it brings the
//! database back. Requests must fail fast with 503 while it is away, the service must heal
//! by itself, and the pool must never hold more connections than its size.

use crate::common::{mysql_admin_url, Backend, TestServer};
use onair_shared::api::RoomList;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

const POOL_SIZE: u32 = 4;

#[derive(Default)]
struct Stats {
    active: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicUsize,
}

/// Decrements the live-connection count however the copy task ends (finished or aborted).
struct Live(Arc<Stats>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs on its own runtime thread: the api-server opens its pool synchronously at start-up,
/// blocking the test's thread, so the proxy must not depend on it.
struct TcpProxy {
    addr: SocketAddr,
    upstream: String,
    stats: Arc<Stats>,
    tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    listener: Option<tokio::task::JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TcpProxy {
    async fn start(upstream: &str) -> TcpProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = runtime
            .spawn(TcpListener::bind("127.0.0.1:0"))
            .await
            .unwrap()
            .expect("proxy binds");
        let mut proxy = TcpProxy {
            addr: listener.local_addr().unwrap(),
            upstream: upstream.to_owned(),
            stats: Arc::default(),
            tasks: Arc::default(),
            listener: None,
            runtime: Some(runtime),
        };
        proxy.serve(listener);
        proxy
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("proxy runtime")
    }

    fn serve(&mut self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let stats = self.stats.clone();
        let tasks = self.tasks.clone();
        self.listener = Some(self.runtime().spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let now = stats.active.fetch_add(1, Ordering::SeqCst) + 1;
                stats.peak.fetch_max(now, Ordering::SeqCst);
                stats.total.fetch_add(1, Ordering::SeqCst);
                let live = Live(stats.clone());
                let task = tokio::spawn(async move {
                    let _live = live;
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
                tasks.lock().unwrap().push(task);
            }
        }));
    }

    /// The database "goes away": the port closes and every open connection is cut.
    async fn stop(&mut self) {
        if let Some(listener) = self.listener.take() {
            listener.abort();
            let _ = listener.await;
        }
        let tasks: Vec<_> = self.tasks.lock().unwrap().drain(..).collect();
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
    }

    /// The database is back, on the same address.
    async fn restart(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match self
                .runtime()
                .spawn(TcpListener::bind(self.addr))
                .await
                .unwrap()
            {
                Ok(l) => break l,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("rebinding the proxy: {e}");
                    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot rebind the proxy on {}: {e}", self.addr),
            }
        };
        self.serve(listener);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `host:port` of a `mysql://[user[:pass]@]host[:port][/...]` URL.
fn host_port(url: &str) -> String {
    let rest = url.trim_start_matches("mysql://");
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:3306")
    }
}

fn metric(text: &str, name: &str) -> u32 {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[actix_web::test]
async fn a_database_outage_fails_fast_and_heals_without_leaking_connections() {
    let admin_url = mysql_admin_url();
    let upstream = host_port(&admin_url);
    let mut proxy = TcpProxy::start(&upstream).await;
    let through_proxy = proxy.addr.to_string();
    let Some(srv) = TestServer::start(Backend::Mysql, move |c| {
        if let onair_api_server::config::Database::Mysql(url) = &c.database {
            c.database = onair_api_server::config::Database::Mysql(url.replacen(
                &upstream,
                &through_proxy,
                1,
            ));
        }
        c.db_pool_size = POOL_SIZE;
        c.db_timeout = Duration::from_millis(1000);
    })
    .await
    else {
        return;
    };
    assert!(
        proxy.stats.total.load(Ordering::SeqCst) >= 1,
        "the server goes through the proxy"
    );

    let alice = srv.login("Alice").await;
    srv.create_room(&alice.token, json!({ "title": "Before the outage" }))
        .await;
    assert_eq!(srv.get("/readyz").await.status, 200);

    // The database goes away.
    proxy.stop().await;
    let started = Instant::now();
    let reply = srv.get("/readyz").await;
    reply.assert_error(503, "database_unavailable");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "readyz took {:?}",
        started.elapsed()
    );

    // A burst of requests while it is down: every one fails fast with 503, none hangs.
    let started = Instant::now();
    let burst = (0..12).map(|i| {
        let srv = &srv;
        let token = alice.token.clone();
        async move {
            match i % 3 {
                0 => srv.get("/api/v1/rooms").await,
                1 => {
                    srv.post_json("/api/v1/auth/dev", &json!({ "name": "Bob" }), None)
                        .await
                }
                _ => srv.get_auth("/api/v1/me", &token).await,
            }
        }
    });
    for reply in futures_util::future::join_all(burst).await {
        reply.assert_error(503, "database_unavailable");
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "burst took {:?}",
        started.elapsed()
    );
    // Liveness does not depend on the database.
    assert_eq!(srv.get("/healthz").await.status, 200);
    let text = srv.get("/metrics").await.body;
    assert!(
        metric(&text, "onair_db_pool_connections{state=\"in_use\"}")
            + metric(&text, "onair_db_pool_connections{state=\"idle\"}")
            <= POOL_SIZE
    );

    // It comes back: the service recovers on its own.
    proxy.restart().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let reply = srv.get("/readyz").await;
        if reply.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "not ready again: {}", reply.body);
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let rooms: RoomList = srv.get("/api/v1/rooms").await.json();
    assert_eq!(rooms.rooms[0].title, "Before the outage");
    assert_eq!(srv.login("Alice").await.user.id, alice.user.id);

    // Heavy use afterwards stays within the pool.
    let load = (0..40).map(|i| {
        let srv = &srv;
        async move {
            if i % 2 == 0 {
                srv.get("/api/v1/rooms").await
            } else {
                srv.get("/readyz").await
            }
        }
    });
    for reply in futures_util::future::join_all(load).await {
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let peak = proxy.stats.peak.load(Ordering::SeqCst);
    assert!(
        peak <= POOL_SIZE as usize,
        "at most {POOL_SIZE} database connections at once, saw {peak}"
    );
    let text = srv.get("/metrics").await.body;
    let open = metric(&text, "onair_db_pool_connections{state=\"in_use\"}")
        + metric(&text, "onair_db_pool_connections{state=\"idle\"}");
    assert!(open <= POOL_SIZE, "{open}");
    assert!(proxy.stats.active.load(Ordering::SeqCst) <= POOL_SIZE as usize);

    srv.stop().await;
    proxy.stop().await;
}

#[test]
fn mysql_urls_name_their_server() {
    assert_eq!(host_port("mysql://root@127.0.0.1:3306"), "127.0.0.1:3306");
    assert_eq!(host_port("mysql://u:p@db:3307/x?ssl=false"), "db:3307");
    assert_eq!(host_port("mysql://localhost"), "localhost:3306");
}
