//! Both servers in one test: a room-server reporting to a real api-server (SQLite or MariaDB)
//! that hands out its tickets, with the helpers to play a show through them.

use crate::common::Client;
use onair_api_server::config::{ApiConfig, Database, Secret};
use onair_room_server::config::ApiLink;
use onair_room_server::RoomServerConfig;
use onair_shared::api::{LoginResponse, RankingPage, RoomView, TicketResponse};
use onair_shared::protocol::{Direct, EventKind, ServerMsg};
pub use onair_testkit::db::{Backend, TestDb};
use onair_testkit::servers::{start_api, Servers};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_tungstenite::connect_async;

pub const SECRET: &str = "ranked-secret-ranked-secret-ranked!!";
pub const SERVICE_TOKEN: &str = "service-token-service-token-service!";

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
        let database = Database::parse(&db.url()).unwrap();
        let servers = Servers::start(
            database,
            SECRET,
            Secret::new(SERVICE_TOKEN),
            room_tweak,
            api_tweak,
        )
        .await;
        Stack {
            api: servers.api_url,
            api_config: servers.api_config,
            api_handle: servers.api,
            http: reqwest::Client::new(),
            room: servers.room_addr,
        }
    }

    /// Another room-server reporting to the same api-server, knowing nothing yet: what a
    /// restarted room-server is.
    pub async fn another_room_server(&self) -> SocketAddr {
        let mut config = RoomServerConfig::local(SECRET);
        config.api = Some(ApiLink {
            url: self.api.clone(),
            service_token: SERVICE_TOKEN.into(),
        });
        let room = onair_room_server::start(config).await.unwrap();
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

    pub fn start_api(config: ApiConfig) -> actix_web::dev::ServerHandle {
        start_api(config).1
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
