//! Both servers in one test: a room-server reporting to a real api-server (SQLite or MariaDB)
//! that hands out its tickets, with the helpers to play a show through them.

use super::Client;
use diesel::{Connection, MysqlConnection, RunQueryDsl};
use onair_api_server::config::{ApiConfig, Database, Secret};
use onair_room_server::config::ApiLink;
use onair_room_server::RoomServerConfig;
use onair_shared::api::{LoginResponse, RankingPage, RoomView, TicketResponse};
use onair_shared::protocol::{Direct, EventKind, ServerMsg};
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};
use tokio_tungstenite::connect_async;

pub const SECRET: &str = "ranked-secret-ranked-secret-ranked!!";
pub const SERVICE_TOKEN: &str = "service-token-service-token-service!";

pub enum Backend {
    Sqlite,
    Mysql,
}

/// A database for one test: a temp SQLite file, or a fresh MariaDB database dropped after.
pub struct TestDb {
    pub database: Database,
    drop_sql: Option<(String, String)>,
    _dir: Option<std::path::PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.drop_sql {
            if let Ok(mut c) = MysqlConnection::establish(admin) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`")).execute(&mut c);
            }
        }
        if let Some(dir) = &self._dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub fn test_db(backend: Backend) -> Option<TestDb> {
    let suffix = format!("{}_{}", std::process::id(), rand_u32());
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("onair-ranked-{suffix}"));
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}", dir.join("onair.db").display());
            Some(TestDb {
                database: Database::parse(&url).unwrap(),
                drop_sql: None,
                _dir: Some(dir),
            })
        }
        Backend::Mysql => {
            let admin = std::env::var("ONAIR_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
            let mut conn = match MysqlConnection::establish(&admin) {
                Ok(c) => c,
                Err(e) if super::in_ci() => panic!("MariaDB is required in CI: {e}"),
                Err(e) => {
                    eprintln!("SKIPPED: MariaDB unreachable at {admin}: {e}");
                    return None;
                }
            };
            let name = format!("onair_test_ranked_{suffix}");
            diesel::sql_query(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
                .execute(&mut conn)
                .unwrap();
            let url = format!("{}/{name}", admin.trim_end_matches('/'));
            Some(TestDb {
                database: Database::parse(&url).unwrap(),
                drop_sql: Some((admin, name)),
                _dir: None,
            })
        }
    }
}

fn rand_u32() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Both servers: the room-server reports to the api-server, which hands out its tickets.
pub struct Stack {
    pub api: String,
    pub api_config: ApiConfig,
    pub api_handle: actix_web::dev::ServerHandle,
    pub http: reqwest::Client,
    /// The room-server's address.
    pub room: SocketAddr,
}

impl Stack {
    pub async fn start(db: &TestDb) -> Stack {
        Self::start_with(db, |_| {}, |_| {}).await
    }

    /// With the room-server's and the api-server's configurations adjusted.
    pub async fn start_with(
        db: &TestDb,
        room_tweak: impl FnOnce(&mut RoomServerConfig),
        api_tweak: impl FnOnce(&mut ApiConfig),
    ) -> Stack {
        let api_port = free_port();
        let mut room = Self::room_config(api_port);
        room_tweak(&mut room);
        let room = onair_room_server::start(room).await.unwrap();
        actix_rt::spawn(room.server);

        let mut api_config = ApiConfig::dev(db.database.clone());
        api_config.bind = SocketAddr::from(([127, 0, 0, 1], api_port));
        api_config.jwt_secret = Secret::new(SECRET);
        api_config.service_token = Some(Secret::new(SERVICE_TOKEN));
        api_config.room_server_urls = vec![format!("ws://{}", room.addr)];
        api_tweak(&mut api_config);
        let api_handle = Self::start_api(api_config.clone());
        Stack {
            api: format!("http://127.0.0.1:{api_port}"),
            api_config,
            api_handle,
            http: reqwest::Client::new(),
            room: room.addr,
        }
    }

    fn room_config(api_port: u16) -> RoomServerConfig {
        let mut room = RoomServerConfig::local(SECRET);
        room.api = Some(ApiLink {
            url: format!("http://127.0.0.1:{api_port}"),
            service_token: SERVICE_TOKEN.into(),
        });
        room
    }

    /// Another room-server reporting to the same api-server, knowing nothing yet: what a
    /// restarted room-server is.
    pub async fn another_room_server(&self) -> SocketAddr {
        let room = onair_room_server::start(Self::room_config(self.api_config.bind.port()))
            .await
            .unwrap();
        actix_rt::spawn(room.server);
        room.addr
    }

    /// A ticket for the room, as the web app asks for one (the raw reply: it may be refused).
    pub async fn ticket(
        &self,
        who: &LoginResponse,
        room: onair_shared::RoomId,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/rooms/{room}/ticket", self.api))
            .bearer_auth(&who.token)
            .send()
            .await
            .unwrap()
    }

    /// Opens a socket on `room_server` with `ticket`: the welcome, or the HTTP status and
    /// error code of the refusal.
    pub async fn open(
        room_server: SocketAddr,
        ticket: &str,
        user: onair_shared::UserId,
    ) -> Result<Client, (u16, String)> {
        let url = format!("ws://{room_server}/ws?ticket={ticket}");
        match connect_async(url).await {
            Ok((ws, _)) => {
                let mut client = Client {
                    ws,
                    user,
                    last_seq: 0,
                };
                match client.recv().await {
                    ServerMsg::Direct(Direct::Welcome { seq, .. }) => client.last_seq = seq,
                    other => panic!("expected welcome, got {other:?}"),
                }
                Ok(client)
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                let body: Value = resp
                    .body()
                    .as_deref()
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or_default();
                Err((
                    resp.status().as_u16(),
                    body["error"]["code"].as_str().unwrap_or("").to_owned(),
                ))
            }
            Err(e) => panic!("websocket: {e}"),
        }
    }

    pub fn start_api(config: ApiConfig) -> actix_web::dev::ServerHandle {
        let api = onair_api_server::start(config).expect("api-server starts");
        actix_rt::spawn(api.server);
        api.handle
    }

    pub async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> T {
        let mut req = self.http.post(format!("{}{path}", self.api)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    /// A POST whose answer may be an error: status and JSON body.
    pub async fn try_post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.api)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or_default())
    }

    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let resp = self
            .http
            .get(format!("{}{path}", self.api))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    pub async fn login(&self, name: &str) -> LoginResponse {
        self.post("/api/v1/auth/dev", None, json!({ "name": name }))
            .await
    }

    /// Opens the room's WebSocket with a real ticket and reads the welcome.
    pub async fn enter(&self, who: &LoginResponse, room: &RoomView) -> Client {
        let t: TicketResponse = self
            .post(
                &format!("/api/v1/rooms/{}/ticket", room.id),
                Some(&who.token),
                json!({}),
            )
            .await;
        let (ws, _) = connect_async(t.ws_url).await.expect("websocket opens");
        let mut client = Client {
            ws,
            user: who.user.id,
            last_seq: 0,
        };
        match client.recv().await {
            ServerMsg::Direct(Direct::Welcome { seq, .. }) => client.last_seq = seq,
            other => panic!("expected welcome, got {other:?}"),
        }
        client
    }

    /// Waits until `GET /rooms/{id}` shows this member count and status (reported each second).
    pub async fn catalogue_shows(&self, room: onair_shared::RoomId, members: u32, status: &str) {
        let start = Instant::now();
        loop {
            let view: Value = self.get(&format!("/api/v1/rooms/{room}")).await;
            if view["member_count"] == members && view["status"] == status {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "room shows {view}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the ranking lists `n` people (results arrive asynchronously).
    pub async fn ranking_with(&self, n: usize) -> RankingPage {
        let start = Instant::now();
        loop {
            let page: RankingPage = self.get("/api/v1/rankings").await;
            if page.items.len() >= n {
                return page;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "ranking has {:?}",
                page.items
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Drains events until one matches.
pub async fn until(c: &mut Client, pred: impl Fn(&EventKind) -> bool) -> EventKind {
    loop {
        let e = c.event().await;
        if pred(&e) {
            return e;
        }
    }
}

pub async fn act(performer: &mut Client, scorers: &mut [(&mut Client, i64)]) {
    performer.send(json!({"type":"end_performance"})).await;
    let EventKind::PerformanceEnded { round } = until(performer, |e| {
        matches!(e, EventKind::PerformanceEnded { .. })
    })
    .await
    else {
        unreachable!()
    };
    for (c, v) in scorers.iter_mut() {
        until(c, |e| matches!(e, EventKind::PerformanceEnded { .. })).await;
        c.send(json!({"type":"score","round":round.id,"value":v}))
            .await;
    }
    until(performer, |e| matches!(e, EventKind::RoundClosed { .. })).await;
}
