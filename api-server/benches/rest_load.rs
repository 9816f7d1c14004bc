//! REST load benchmark for the api-server (see BENCHMARKS.md).
//!
//! ```sh
//! cargo run --release -p onair-api-server --bin onair-seed -- \
//!     --database-url mysql://root@127.0.0.1:3306/onair_bench --users 1000000 --reset
//! cargo bench -p onair-api-server --bench rest_load -- \
//!     --database-url mysql://root@127.0.0.1:3306/onair_bench --rate 500 --secs 30 --concurrency 32
//! ```
//!
//! It starts the release `onair-api-server` itself against a seeded database (so it can read the
//! server's resident memory and CPU time from /proc), mints login tokens with the secret it gave
//! the server, and sends requests at a fixed offered rate (open loop: a request is due at its
//! scheduled time whether or not earlier ones came back; never as fast as possible) over a pool
//! of at most `--concurrency` keep-alive connections. Latency runs from the scheduled time to
//! the last byte of the body, so time spent waiting for a free connection counts. The rate is
//! split evenly between the ranking, profiles and follower lists:
//!
//! - `ranking top`: one of the first five pages (`offset` 0-80); `ranking deep`: a random page
//!   down to `offset` 100,000 (the server's cap) or the end of the ranking;
//! - `profile random`: any user (most are not ranked); `profile ranked`: a random ranked user,
//!   whose rank must be computed; both with a signed-in viewer (`followed_by_me`);
//! - `followers random`: any user's first page; `followers celebrity`: one of the users with
//!   the most followers; `followers page 2`: the second page through the first page's cursor.

use diesel::r2d2::ManageConnection;
use diesel::{QueryableByName, RunQueryDsl};
use hdrhistogram::Histogram;
use onair_api_server::auth::JwtKeys;
use onair_api_server::config::Database;
use onair_api_server::db::{DbConn, DbConnManager};
use onair_shared::api::{Page, RankingPage, UserSummary};
use onair_shared::auth::Role;
use onair_shared::UserId;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

const SECRET: &str = "rest-load-secret-rest-load-secret-0123456789";
const TARGET_P99_MS: f64 = 10.0;

struct Opts {
    database_url: String,
    rate: f64,
    secs: u64,
    warmup: u64,
    concurrency: usize,
    pool_size: u32,
    seed: u64,
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut map = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.strip_prefix("--") {
            Some("help") => {
                eprintln!(
                    "usage: cargo bench -p onair-api-server --bench rest_load -- --database-url URL \
                     [--rate 500] [--secs 30] [--warmup 10] [--concurrency 32] [--pool-size 10] [--seed 1]"
                );
                std::process::exit(2);
            }
            Some(key) => {
                map.insert(key.to_owned(), it.next().cloned().unwrap_or_default());
            }
            None => {
                eprintln!("unexpected argument {a:?} (try --help)");
                std::process::exit(2);
            }
        }
    }
    let num = |k: &str, d: f64| -> f64 {
        map.get(k).map_or(d, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("--{k}: {v:?} is not a number"))
        })
    };
    Opts {
        database_url: map
            .get("database-url")
            .cloned()
            .or_else(|| std::env::var("ONAIR_DATABASE_URL").ok())
            .unwrap_or_else(|| "mysql://root@127.0.0.1:3306/onair_bench".to_owned()),
        rate: num("rate", 500.0),
        secs: num("secs", 30.0) as u64,
        warmup: num("warmup", 10.0) as u64,
        concurrency: num("concurrency", 32.0).max(1.0) as usize,
        pool_size: num("pool-size", 10.0).max(1.0) as u32,
        seed: num("seed", 1.0) as u64,
    }
}

/// The api-server under test, started from the release binary cargo built for this bench.
struct ServerProc {
    child: Child,
    base: String,
}

impl ServerProc {
    fn start(o: &Opts) -> ServerProc {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_onair-api-server"))
            .env("ONAIR_API_BIND", format!("127.0.0.1:{port}"))
            .env("ONAIR_DATABASE_URL", &o.database_url)
            .env("ONAIR_DEV_MODE", "1")
            .env("ONAIR_JWT_SECRET", SECRET)
            .env("ONAIR_DB_POOL_SIZE", o.pool_size.to_string())
            .env("ONAIR_WEB_DIST", "/nonexistent/onair-web-dist")
            // The access log is at info; one line per request would be measured too.
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("api-server starts");
        ServerProc {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// (resident KiB, CPU seconds) from /proc.
    fn stats(&self) -> (u64, f64) {
        proc_stats(self.child.id())
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proc_stats(pid: u32) -> (u64, f64) {
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
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    (rss, ticks as f64 / 100.0)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct PidFile {
    #[diesel(sql_type = diesel::sql_types::Text)]
    path: String,
}

fn ids(conn: &mut DbConn, sql: &str) -> Vec<i64> {
    diesel::sql_query(sql)
        .load::<Id>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// What the run draws from, found in the database before the server starts.
struct Dataset {
    max_user: i64,
    /// Random ranked users (so their profiles carry a computed rank).
    ranked: Vec<i64>,
    /// The users with the most followers in a sample of the follows.
    celebrities: Vec<i64>,
}

fn dataset(o: &Opts, rng: &mut SmallRng) -> Dataset {
    let database = Database::parse(&o.database_url).expect("a database URL");
    let mut conn = DbConnManager::new(database)
        .connect()
        .expect("connect to the database");
    let max_user = ids(&mut conn, "SELECT COALESCE(MAX(id), 0) AS id FROM users")[0];
    assert!(
        max_user > 0,
        "the database has no users: seed it first (onair-seed)"
    );
    let mut ranked = Vec::new();
    for _ in 0..2000 {
        let from = rng.random_range(1..=max_user);
        ranked.extend(ids(
            &mut conn,
            &format!(
                "SELECT id FROM users WHERE id >= {from} AND banned = FALSE \
                 AND score_centi IS NOT NULL ORDER BY id LIMIT 1"
            ),
        ));
    }
    assert!(!ranked.is_empty(), "nobody is ranked: seed acts first");
    // Celebrities are followed by a large share of everybody, so they top any stretch of
    // follows.
    let max_follow = ids(&mut conn, "SELECT COALESCE(MAX(id), 0) AS id FROM follows")[0];
    let from = max_follow / 2;
    let celebrities = ids(
        &mut conn,
        &format!(
            "SELECT followee_id AS id FROM follows WHERE id BETWEEN {from} AND {} \
             GROUP BY followee_id ORDER BY COUNT(*) DESC, followee_id LIMIT 20",
            from + 200_000
        ),
    );
    Dataset {
        max_user,
        ranked,
        celebrities,
    }
}

/// A MySQL connection for the server's own figures; `None` on SQLite.
fn database_conn(o: &Opts) -> Option<DbConn> {
    let database = Database::parse(&o.database_url).ok()?;
    let conn = DbConnManager::new(database).connect().ok()?;
    matches!(conn, DbConn::Mysql(_)).then_some(conn)
}

/// The MariaDB/MySQL server's pid, when it runs on this machine and says where its pid file is.
fn database_pid(conn: &mut DbConn) -> Option<u32> {
    let row: PidFile = diesel::sql_query("SELECT @@pid_file AS path")
        .get_result(conn)
        .ok()?;
    std::fs::read_to_string(row.path).ok()?.trim().parse().ok()
}

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "Variable_name")]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "Value")]
    value: String,
}

/// InnoDB's buffer pool: (size in bytes, logical page reads, reads that went to disk).
fn buffer_pool(conn: &mut DbConn) -> Option<(u64, u64, u64)> {
    let rows: Vec<StatusRow> = diesel::sql_query(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_read_requests', \
         'Innodb_buffer_pool_reads')",
    )
    .load(conn)
    .ok()?;
    let get = |n: &str| -> Option<u64> {
        rows.iter()
            .find(|r| r.name.eq_ignore_ascii_case(n))?
            .value
            .parse()
            .ok()
    };
    let size: Vec<StatusRow> =
        diesel::sql_query("SHOW GLOBAL VARIABLES WHERE Variable_name = 'innodb_buffer_pool_size'")
            .load(conn)
            .ok()?;
    Some((
        size.first()?.value.parse().ok()?,
        get("Innodb_buffer_pool_read_requests")?,
        get("Innodb_buffer_pool_reads")?,
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    RankingTop,
    RankingDeep,
    ProfileRandom,
    ProfileRanked,
    FollowersRandom,
    FollowersCelebrity,
    FollowersPage2,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::RankingTop,
        Kind::RankingDeep,
        Kind::ProfileRandom,
        Kind::ProfileRanked,
        Kind::FollowersRandom,
        Kind::FollowersCelebrity,
        Kind::FollowersPage2,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::RankingTop => "ranking top (offset 0-80)",
            Kind::RankingDeep => "ranking deep (offset ≤ 100k)",
            Kind::ProfileRandom => "profile random user",
            Kind::ProfileRanked => "profile ranked user",
            Kind::FollowersRandom => "followers random user",
            Kind::FollowersCelebrity => "followers celebrity",
            Kind::FollowersPage2 => "followers page 2",
        }
    }

    /// Share of the offered rate: a third per endpoint, split within.
    fn share(self) -> f64 {
        match self {
            Kind::RankingTop => 0.6 / 3.0,
            Kind::RankingDeep => 0.4 / 3.0,
            Kind::ProfileRandom => 0.7 / 3.0,
            Kind::ProfileRanked => 0.3 / 3.0,
            Kind::FollowersRandom => 0.5 / 3.0,
            Kind::FollowersCelebrity => 0.25 / 3.0,
            Kind::FollowersPage2 => 0.25 / 3.0,
        }
    }
}

struct Plan {
    data: Dataset,
    ranked_total: u64,
    /// `(user, cursor)` for second pages.
    cursors: Vec<(i64, String)>,
    tokens: Vec<String>,
}

impl Plan {
    fn pick(&self, rng: &mut SmallRng) -> (Kind, String, Option<String>) {
        let mut x: f64 = rng.random();
        let mut kind = Kind::FollowersPage2;
        for k in Kind::ALL {
            if x < k.share() {
                kind = k;
                break;
            }
            x -= k.share();
        }
        let path = match kind {
            Kind::RankingTop => format!("/api/v1/rankings?offset={}", 20 * rng.random_range(0..5)),
            Kind::RankingDeep => {
                let end = self.ranked_total.clamp(1, 100_000);
                format!("/api/v1/rankings?offset={}", rng.random_range(0..end))
            }
            Kind::ProfileRandom => {
                format!("/api/v1/users/{}", rng.random_range(1..=self.data.max_user))
            }
            Kind::ProfileRanked => format!(
                "/api/v1/users/{}",
                self.data.ranked[rng.random_range(0..self.data.ranked.len())]
            ),
            Kind::FollowersRandom => format!(
                "/api/v1/users/{}/followers",
                rng.random_range(1..=self.data.max_user)
            ),
            Kind::FollowersCelebrity => format!(
                "/api/v1/users/{}/followers",
                self.data.celebrities[rng.random_range(0..self.data.celebrities.len())]
            ),
            Kind::FollowersPage2 => {
                let (user, cursor) = &self.cursors[rng.random_range(0..self.cursors.len())];
                format!("/api/v1/users/{user}/followers?cursor={cursor}")
            }
        };
        (kind, path, token_for(kind, self, rng))
    }
}

fn token_for(kind: Kind, plan: &Plan, rng: &mut SmallRng) -> Option<String> {
    match kind {
        Kind::ProfileRandom | Kind::ProfileRanked => {
            Some(plan.tokens[rng.random_range(0..plan.tokens.len())].clone())
        }
        _ => None,
    }
}

#[derive(Default)]
struct Stats {
    hist: HashMap<Kind, Histogram<u64>>,
    non_2xx: HashMap<Kind, u64>,
    errors: HashMap<Kind, u64>,
    statuses: HashMap<u16, u64>,
}

impl Stats {
    fn record(&mut self, kind: Kind, micros: u64, outcome: Result<u16, String>) {
        self.hist
            .entry(kind)
            .or_insert_with(|| Histogram::new_with_bounds(1, 120_000_000, 3).unwrap())
            .saturating_record(micros.max(1));
        match outcome {
            Ok(status) if (200..300).contains(&status) => {}
            Ok(status) => {
                *self.non_2xx.entry(kind).or_default() += 1;
                *self.statuses.entry(status).or_default() += 1;
            }
            Err(_) => *self.errors.entry(kind).or_default() += 1,
        }
    }
}

async fn wait_ready(http: &reqwest::Client, server: &mut ServerProc) {
    let started = Instant::now();
    let mut said = Instant::now();
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("the api-server exited at start-up ({status}); see its log above");
        }
        if let Ok(r) = http.get(format!("{}/readyz", server.base)).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if said.elapsed() > Duration::from_secs(30) {
            said = Instant::now();
            eprintln!(
                "waiting for the api-server ({:.0} s; migrations on a big database take a while)",
                started.elapsed().as_secs_f64()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "api-server ready after {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Sends at `rate` for `secs`, recording into `stats` when given.
async fn run(
    http: &reqwest::Client,
    base: &str,
    plan: &Arc<Plan>,
    o: &Opts,
    secs: u64,
    rng: &mut SmallRng,
    stats: Option<Arc<Mutex<Stats>>>,
) {
    let permits = Arc::new(Semaphore::new(o.concurrency));
    let interval = Duration::from_secs_f64(1.0 / o.rate);
    let total = (o.rate * secs as f64) as u64;
    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        let (kind, path, token) = plan.pick(rng);
        let http = http.clone();
        let url = format!("{base}{path}");
        let permits = permits.clone();
        let stats = stats.clone();
        tasks.spawn(async move {
            let outcome = async {
                let _permit = permits.acquire().await.map_err(|e| e.to_string())?;
                let mut req = http.get(&url);
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let resp = req.send().await.map_err(|e| e.to_string())?;
                let status = resp.status().as_u16();
                resp.bytes().await.map_err(|e| e.to_string())?;
                Ok::<u16, String>(status)
            }
            .await;
            let micros = due.elapsed().as_micros() as u64;
            if let Some(stats) = stats {
                stats.lock().unwrap().record(kind, micros, outcome);
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let o = opts();
    let mut rng = SmallRng::seed_from_u64(o.seed);
    eprintln!("reading the data set in {} ...", redact(&o.database_url));
    let data = dataset(&o, &mut rng);
    eprintln!(
        "{} users; {} ranked users sampled; celebrities {:?}",
        data.max_user,
        data.ranked.len(),
        &data.celebrities[..data.celebrities.len().min(5)]
    );

    let mut server = ServerProc::start(&o);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency)
        .pool_idle_timeout(Duration::from_secs(300))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    wait_ready(&http, &mut server).await;
    let base = server.base.clone();

    // Login tokens for viewers, and second-page cursors through the API itself.
    let keys = JwtKeys::new(SECRET.as_bytes(), 24 * 3600);
    let now = onair_api_server::unix_now();
    let tokens: Vec<String> = (0..500)
        .map(|_| {
            let id = rng.random_range(1..=data.max_user);
            keys.sign_access(&keys.access_claims(
                UserId(id),
                &format!("seed {id}"),
                Role::User,
                now,
            ))
            .unwrap()
        })
        .collect();
    let first: RankingPage = http
        .get(format!("{base}/api/v1/rankings?limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut cursors = Vec::new();
    let mut candidates: Vec<i64> = data.celebrities.clone();
    for _ in 0..3000 {
        candidates.push(rng.random_range(1..=data.max_user));
    }
    for user in candidates {
        if cursors.len() >= 300 {
            break;
        }
        let page: Page<UserSummary> = http
            .get(format!("{base}/api/v1/users/{user}/followers"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(cursor) = page.next_cursor {
            cursors.push((user, cursor));
        }
    }
    assert!(
        !cursors.is_empty(),
        "nobody has more than one page of followers"
    );
    eprintln!(
        "ranking total {}; {} second-page cursors ({} of celebrities)",
        first.total,
        cursors.len(),
        data.celebrities.len()
    );
    let plan = Arc::new(Plan {
        data,
        ranked_total: first.total,
        cursors,
        tokens,
    });

    if o.warmup > 0 {
        eprintln!("warming up: {} s at {} requests/s", o.warmup, o.rate);
        run(&http, &base, &plan, &o, o.warmup, &mut rng, None).await;
    }
    let mut db_conn = database_conn(&o);
    let db_pid = db_conn.as_mut().and_then(database_pid);
    let stats = Arc::new(Mutex::new(Stats::default()));
    eprintln!(
        "measuring: {} s at {} requests/s, at most {} connections, server pool {}",
        o.secs, o.rate, o.concurrency, o.pool_size
    );
    let pool0 = db_conn.as_mut().and_then(buffer_pool);
    let (_, cpu0) = server.stats();
    let db0 = db_pid.map(|p| proc_stats(p).1);
    let me0 = proc_stats(std::process::id()).1;
    let t0 = Instant::now();
    run(
        &http,
        &base,
        &plan,
        &o,
        o.secs,
        &mut rng,
        Some(stats.clone()),
    )
    .await;
    let wall = t0.elapsed().as_secs_f64();
    let (rss, cpu1) = server.stats();
    let db1 = db_pid.map(|p| proc_stats(p).1);
    let me1 = proc_stats(std::process::id()).1;
    let pool1 = db_conn.as_mut().and_then(buffer_pool);

    let stats = stats.lock().unwrap();
    println!();
    println!(
        "{:<30} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7}  p99 ≤ {TARGET_P99_MS} ms",
        "endpoint", "req/s", "p50 ms", "p99 ms", "p999 ms", "max ms", "non2xx", "errors"
    );
    let mut all_met = true;
    for kind in Kind::ALL {
        let Some(h) = stats.hist.get(&kind) else {
            continue;
        };
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        let non_2xx = stats.non_2xx.get(&kind).copied().unwrap_or(0);
        let errors = stats.errors.get(&kind).copied().unwrap_or(0);
        let met = ms(0.99) <= TARGET_P99_MS && non_2xx == 0 && errors == 0;
        all_met &= met;
        println!(
            "{:<30} {:>8.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>7} {:>7}  {}",
            kind.name(),
            h.len() as f64 / wall,
            ms(0.5),
            ms(0.99),
            ms(0.999),
            h.max() as f64 / 1000.0,
            non_2xx,
            errors,
            if met { "met" } else { "NOT MET" }
        );
    }
    if !stats.statuses.is_empty() {
        println!("non-2xx statuses: {:?}", stats.statuses);
    }
    let total: u64 = stats.hist.values().map(|h| h.len()).sum();
    println!(
        "\n{total} requests in {wall:.1} s ({:.0}/s, offered {:.0}/s); api-server CPU {:.0}% of one core, \
         RSS {} MiB; MariaDB CPU {}; load generator CPU {:.0}%",
        total as f64 / wall,
        o.rate,
        100.0 * (cpu1 - cpu0) / wall,
        rss / 1024,
        match (db0, db1) {
            (Some(a), Some(b)) => format!("{:.0}% of one core", 100.0 * (b - a) / wall),
            _ => "n/a (not a MySQL server on this machine)".to_owned(),
        },
        100.0 * (me1 - me0) / wall
    );
    if let (Some((size, logical0, disk0)), Some((_, logical1, disk1))) = (pool0, pool1) {
        println!(
            "InnoDB buffer pool {} MiB: {:.1} page reads per request, {:.2} of them from disk \
             ({:.0} disk reads/s)",
            size >> 20,
            (logical1 - logical0) as f64 / total.max(1) as f64,
            (disk1 - disk0) as f64 / total.max(1) as f64,
            (disk1 - disk0) as f64 / wall
        );
    }
    println!(
        "{}",
        if all_met {
            "every endpoint met p99 ≤ 10 ms"
        } else {
            "some endpoints did NOT meet p99 ≤ 10 ms"
        }
    );
}

fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((scheme_user, rest))
            if scheme_user.contains(':') && scheme_user.matches(':').count() > 1 =>
        {
            let user = scheme_user.rsplit_once(':').map_or(scheme_user, |(u, _)| u);
            format!("{user}:***@{rest}")
        }
        _ => url.to_owned(),
    }
}
