//! A real room-server on a loopback port, and WebSocket clients that talk to it.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{encode, EncodingKey, Header};
use onair_room_server::{start, RoomServerConfig};
use onair_shared::auth::{TicketClaims, TicketRoom, TokenKind};
use onair_shared::protocol::{Direct, ErrorCode, Event, EventKind, RoomSnapshot, ServerMsg};
use onair_shared::room::{Category, Mode};
use onair_shared::{RoomId, UserId};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

pub const SECRET: &str = "test-secret-test-secret-test-secret!";

pub struct Server {
    pub addr: SocketAddr,
}

pub async fn server_with(tweak: impl FnOnce(&mut RoomServerConfig)) -> Server {
    let mut config = RoomServerConfig::local(SECRET);
    tweak(&mut config);
    let running = start(config).await.expect("room-server starts");
    actix_rt::spawn(running.server);
    Server { addr: running.addr }
}

pub async fn server() -> Server {
    server_with(|_| {}).await
}

impl Server {
    /// The server's `GET /metrics` text.
    pub async fn metrics(&self) -> String {
        metrics_of(self.addr).await
    }
}

pub async fn metrics_of(addr: SocketAddr) -> String {
    let reply = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("GET /metrics");
    assert_eq!(reply.status(), 200);
    reply.text().await.expect("metrics text")
}

/// The value of one series (`name{labels}` as rendered) in a Prometheus text exposition.
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no series {series} in\n{text}"))
        .parse()
        .unwrap_or_else(|e| panic!("{series}: {e}"))
}

/// The sum of every series of `name`, whatever their labels (a per-thread histogram's counts).
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(name)?;
            let value = match rest.strip_prefix('{') {
                Some(labelled) => labelled.split_once("} ")?.1,
                None => rest.strip_prefix(' ')?,
            };
            value.parse::<f64>().ok()
        })
        .sum()
}

/// How many series of `name` there are (the lines `name{...} value` or `name value`).
pub fn series_count(text: &str, name: &str) -> usize {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .count()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn room(id: i64, host: i64) -> TicketRoom {
    TicketRoom {
        id: RoomId(id),
        title: format!("room {id}"),
        mode: Mode::Normal,
        category: Category::Free,
        host: UserId(host),
        member_limit: 8,
        created_at: now(),
    }
}

/// A fresh `jti` for every ticket: tickets are single-use.
pub fn new_jti() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "t{}-{}-{}",
        std::process::id(),
        now(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Signs a ticket the way the api-server does.
pub fn ticket_for(user: i64, room: &TicketRoom, exp_in: i64, kind: TokenKind) -> String {
    let claims = TicketClaims {
        kind,
        sub: UserId(user),
        name: format!("user{user}"),
        room: room.clone(),
        ranked: None,
        jti: new_jti(),
        iat: now(),
        exp: now() + exp_in,
        rid: None,
    };
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

pub fn ticket(user: i64, room: &TicketRoom) -> String {
    ticket_for(user, room, 60, TokenKind::Ticket)
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub user: UserId,
    pub last_seq: u64,
}

impl Client {
    /// Connects and reads the `welcome`.
    pub async fn join(server: &Server, user: i64, room: &TicketRoom) -> (Client, RoomSnapshot) {
        let url = format!("ws://{}/ws?ticket={}", server.addr, ticket(user, room));
        let (ws, _) = connect_async(url).await.expect("websocket opens");
        let mut client = Client {
            ws,
            user: UserId(user),
            last_seq: 0,
        };
        match client.recv().await {
            ServerMsg::Direct(Direct::Welcome { you, seq, room, .. }) => {
                assert_eq!(you, UserId(user));
                client.last_seq = seq;
                (client, room)
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    /// Joins over a socket whose receive buffer is tiny (4 KiB), for a member that stops
    /// reading: the server soon has to queue what it sends. Returns once the welcome is read.
    pub async fn join_slow_reader(server: &Server, user: i64, room: &TicketRoom) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(server.addr).await.unwrap();
        let url = format!("ws://{}/ws?ticket={}", server.addr, ticket(user, room));
        let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
        let (ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
        let mut client = Client {
            ws,
            user: UserId(user),
            last_seq: 0,
        };
        assert!(matches!(
            client.recv().await,
            ServerMsg::Direct(Direct::Welcome { .. })
        ));
        client
    }

    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// The next frame from the server (pings are answered by tungstenite as we read).
    pub async fn recv(&mut self) -> ServerMsg {
        self.recv_within(Duration::from_secs(5)).await
    }

    pub async fn recv_within(&mut self, patience: Duration) -> ServerMsg {
        loop {
            let next = tokio::time::timeout(patience, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("user {} waited {patience:?} for a frame", self.user));
            match next {
                Some(Ok(Message::Text(t))) => {
                    let msg: ServerMsg = serde_json::from_str(&t)
                        .unwrap_or_else(|e| panic!("undecodable frame {t}: {e}"));
                    match &msg {
                        ServerMsg::Event(e) => {
                            assert_eq!(e.seq, self.last_seq + 1, "seq must grow by exactly 1");
                            self.last_seq = e.seq;
                        }
                        ServerMsg::Direct(Direct::Welcome { seq, .. }) => self.last_seq = *seq,
                        ServerMsg::Direct(_) => {}
                    }
                    return msg;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("user {}: expected a text frame, got {other:?}", self.user),
            }
        }
    }

    /// The next frame if one comes within `patience` (the connection must stay open).
    pub async fn try_recv(&mut self, patience: Duration) -> Option<ServerMsg> {
        loop {
            let next = tokio::time::timeout(patience, self.ws.next()).await.ok()?;
            match next {
                Some(Ok(Message::Text(t))) => {
                    let msg: ServerMsg = serde_json::from_str(&t)
                        .unwrap_or_else(|e| panic!("undecodable frame {t}: {e}"));
                    match &msg {
                        ServerMsg::Event(e) => self.last_seq = e.seq,
                        ServerMsg::Direct(Direct::Welcome { seq, .. }) => self.last_seq = *seq,
                        ServerMsg::Direct(_) => {}
                    }
                    return Some(msg);
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("user {}: expected a text frame, got {other:?}", self.user),
            }
        }
    }

    pub async fn event(&mut self) -> EventKind {
        match self.recv().await {
            ServerMsg::Event(Event { kind, .. }) => kind,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    pub async fn error(&mut self) -> ErrorCode {
        match self.recv().await {
            ServerMsg::Direct(Direct::Error { code, .. }) => code,
            other => panic!("expected an error frame, got {other:?}"),
        }
    }

    /// Waits for the connection to be closed by the server.
    pub async fn closed(&mut self) {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await {
                Err(_) => panic!("the server did not close the connection"),
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// A file under `deploy/`.
pub fn read_deploy(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Every `onair_*` name in a text (PromQL in YAML or JSON).
pub fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("onair_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // A name, not the tail of a longer word.
        let before = rest[..at].chars().next_back();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            names.insert(name.clone());
        }
        rest = &rest[at + name.len()..];
    }
    names
}

/// The names that the alert rules and the dashboard query.
pub fn referenced_metrics() -> std::collections::BTreeSet<String> {
    let mut names = metric_names(&read_deploy("prometheus/alerts.yml"));
    names.extend(metric_names(&read_deploy("grafana/dashboards/onair.json")));
    names
}

/// The metric names a Prometheus text exposition has (histograms by their `_bucket`, `_sum`
/// and `_count` series).
pub fn exported_names(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}
