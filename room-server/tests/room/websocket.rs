//! The room-server over real WebSockets: joining, chat, seq, resync, bad frames, tickets,
//! heartbeat.

use crate::common::*;
use onair_shared::auth::TokenKind;
use onair_shared::protocol::{Direct, ErrorCode, EventKind, LeaveReason, Phase, ServerMsg};
use onair_shared::UserId;
use serde_json::json;
use std::time::Duration;

#[actix_rt::test]
async fn members_see_each_other_join_and_chat_in_seq_order() {
    let server = server().await;
    let r = room(1, 10);
    let (mut host, snap) = Client::join(&server, 10, &r).await;
    assert_eq!(snap.phase, Phase::Lobby);
    assert_eq!(snap.members.len(), 1);
    let (mut guest, snap) = Client::join(&server, 11, &r).await;
    assert_eq!(
        snap.members.iter().map(|m| m.id).collect::<Vec<_>>(),
        [UserId(10), UserId(11)]
    );
    assert_eq!(
        guest.last_seq, 2,
        "welcome carries the seq of the state it shows"
    );

    let EventKind::MemberJoined { member } = host.event().await else {
        panic!()
    };
    assert_eq!((member.id, member.name.as_str()), (UserId(11), "user11"));

    guest
        .send(json!({"type":"chat","text":"안녕하세요!"}))
        .await;
    for client in [&mut host, &mut guest] {
        let EventKind::Chat { line } = client.event().await else {
            panic!()
        };
        assert_eq!(
            (line.from, line.name.as_str(), line.text.as_str()),
            (UserId(11), "user11", "안녕하세요!")
        );
    }
    assert_eq!(host.last_seq, guest.last_seq);

    // A third member sees the chat in the welcome snapshot.
    let (_third, snap) = Client::join(&server, 12, &r).await;
    assert_eq!(
        snap.chat.last().map(|l| l.text.as_str()),
        Some("안녕하세요!")
    );
}

#[actix_rt::test]
async fn rooms_are_separate() {
    let server = server().await;
    let (mut a, _) = Client::join(&server, 1, &room(100, 1)).await;
    let (mut b, _) = Client::join(&server, 2, &room(200, 2)).await;
    a.send(json!({"type":"chat","text":"only room 100"})).await;
    assert!(matches!(a.event().await, EventKind::Chat { .. }));
    b.send(json!({"type":"chat","text":"room 200"})).await;
    let EventKind::Chat { line } = b.event().await else {
        panic!()
    };
    assert_eq!(line.text, "room 200", "room 200 never saw room 100's chat");
    // Signals do not cross rooms either.
    a.send(json!({"type":"signal","to":2,"data":{"sdp":"x"}}))
        .await;
    assert_eq!(a.error().await, ErrorCode::NotAMember);
}

#[actix_rt::test]
async fn bad_frames_get_error_frames_and_the_connection_lives_on() {
    let server = server().await;
    let r = room(2, 1);
    let (mut c, _) = Client::join(&server, 1, &r).await;
    c.send_raw("{not json".into()).await;
    assert_eq!(c.error().await, ErrorCode::BadJson);
    c.send_raw("[1,2]".into()).await;
    assert_eq!(c.error().await, ErrorCode::BadJson);
    c.send(json!({"type":"dance_battle"})).await;
    assert_eq!(c.error().await, ErrorCode::UnknownType);
    c.send(json!({"type":"chat"})).await;
    assert_eq!(c.error().await, ErrorCode::InvalidMessage);
    c.send(json!({"type":"chat","text":"x".repeat(70 * 1024)}))
        .await;
    assert_eq!(c.error().await, ErrorCode::FrameTooLarge);
    c.send(json!({"type":"chat","text":""})).await;
    assert_eq!(c.error().await, ErrorCode::InvalidChat);
    c.send(json!({"type":"start"})).await;
    assert_eq!(c.error().await, ErrorCode::NotEnoughMembers);
    assert_eq!(c.last_seq, 1, "refused frames change nothing");
    c.send(json!({"type":"chat","text":"still here"})).await;
    assert!(matches!(c.event().await, EventKind::Chat { .. }));
}

#[actix_rt::test]
async fn a_chat_flood_is_rate_limited_without_closing() {
    let server = server().await;
    let (mut c, _) = Client::join(&server, 1, &room(3, 1)).await;
    for i in 0..30 {
        c.send(json!({"type":"chat","text":format!("spam {i}")}))
            .await;
    }
    let mut chats = 0;
    let mut limited = 0;
    for _ in 0..9 {
        match c.recv().await {
            ServerMsg::Event(_) => chats += 1,
            ServerMsg::Direct(Direct::Error {
                code: ErrorCode::RateLimited,
                ..
            }) => limited += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        (chats, limited),
        (8, 1),
        "a burst of 8, then one rate_limited notice"
    );
}

#[actix_rt::test]
async fn tickets_are_checked_before_the_socket_opens() {
    let server = server().await;
    let r = room(4, 1);
    let base = format!("http://{}/ws", server.addr);
    let http = reqwest_like_get;
    assert_eq!(http(&base).await.0, 400, "no ticket");
    let (status, body) = http(&format!("{base}?ticket=garbage")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_ticket"))
    );
    let expired = ticket_for(1, &r, -60, TokenKind::Ticket);
    let (status, body) = http(&format!("{base}?ticket={expired}")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("ticket_expired"))
    );
    let login_token = ticket_for(1, &r, 60, TokenKind::Access);
    assert_eq!(http(&format!("{base}?ticket={login_token}")).await.0, 401);
    let good = ticket(1, &r);
    assert_eq!(
        http(&format!("{base}?ticket={good}&room=5")).await.0,
        401,
        "wrong room"
    );
    let mut tampered = good.clone();
    tampered.pop();
    assert_eq!(http(&format!("{base}?ticket={tampered}")).await.0, 401);
}

/// A ticket for a room of more members than the api-server allows (its maximum is the one in
/// `onair_shared::room`) opens nothing: a room of 50 would be a crowd the video mesh and the
/// rest of the system were never sized for.
#[actix_rt::test]
async fn a_ticket_above_the_member_limit_is_refused() {
    use onair_shared::room::MAX_MEMBER_LIMIT;
    let server = server().await;
    let base = format!("http://{}/ws", server.addr);
    let mut big = room(6, 1);
    big.member_limit = MAX_MEMBER_LIMIT + 1;
    let (status, body) = reqwest_like_get(&format!("{base}?ticket={}", ticket(1, &big))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("validation_failed"))
    );
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("member_limit") && message.contains(&MAX_MEMBER_LIMIT.to_string()),
        "{message}"
    );
    // The room was not opened by the refused ticket: a ticket at the maximum joins it.
    let mut most = room(6, 1);
    most.member_limit = MAX_MEMBER_LIMIT;
    let (_c, snapshot) = Client::join(&server, 1, &most).await;
    assert_eq!(snapshot.member_limit, MAX_MEMBER_LIMIT);
}

/// A plain HTTP GET (no upgrade headers) over a raw socket, so the test needs no HTTP client.
async fn reqwest_like_get(url: &str) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.unwrap();
    let status = buf[9..12].parse().unwrap();
    let body = buf.split("\r\n\r\n").nth(1).unwrap_or("");
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

#[actix_rt::test]
async fn leaving_and_dropping_are_seen_by_the_others() {
    let server = server().await;
    let r = room(5, 1);
    let (mut host, _) = Client::join(&server, 1, &r).await;
    let (guest, _) = Client::join(&server, 2, &r).await;
    host.event().await; // guest joined
    drop(guest.ws);
    assert_eq!(
        host.event().await,
        EventKind::MemberOffline { user: UserId(2) }
    );
    let (mut guest, snap) = Client::join(&server, 2, &r).await;
    assert!(
        snap.members.iter().all(|m| m.online),
        "back within the grace period"
    );
    assert_eq!(
        host.event().await,
        EventKind::MemberOnline { user: UserId(2) }
    );
    guest.send(json!({"type":"leave"})).await;
    guest.closed().await;
    assert_eq!(
        host.event().await,
        EventKind::MemberLeft {
            user: UserId(2),
            reason: LeaveReason::Left
        }
    );
}

#[actix_rt::test]
async fn a_second_connection_replaces_the_first() {
    let server = server().await;
    let r = room(6, 1);
    let (mut first, _) = Client::join(&server, 1, &r).await;
    let (_second, _) = Client::join(&server, 1, &r).await;
    assert_eq!(first.error().await, ErrorCode::Replaced);
    first.closed().await;
}

#[actix_rt::test]
async fn resync_replays_missed_events_or_sends_a_fresh_welcome() {
    let server = server_with(|c| c.event_buffer = 4).await;
    let r = room(7, 1);
    let (mut host, _) = Client::join(&server, 1, &r).await;
    for i in 0..3 {
        host.send(json!({"type":"chat","text":format!("line {i}")}))
            .await;
        host.event().await;
    }
    assert_eq!(host.last_seq, 4);
    // Pretend we missed everything after seq 2.
    host.last_seq = 2;
    host.send(json!({"type":"resync","since":2})).await;
    let EventKind::Chat { line } = host.event().await else {
        panic!()
    };
    assert_eq!(line.text, "line 1");
    host.event().await;
    assert_eq!(host.last_seq, 4);
    // seq 1 is no longer buffered (4 kept: 1..=4 fits, so push one more out).
    host.send(json!({"type":"chat","text":"line 3"})).await;
    host.event().await;
    host.send(json!({"type":"resync","since":0})).await;
    match host.recv().await {
        ServerMsg::Direct(Direct::Welcome { seq, room, .. }) => {
            assert_eq!(seq, 5);
            assert_eq!(room.chat.len(), 4);
        }
        other => panic!("expected a fresh welcome, got {other:?}"),
    }
}

#[actix_rt::test]
async fn a_silent_client_is_dropped_after_the_timeout() {
    let server = server_with(|c| {
        c.heartbeat_interval = Duration::from_millis(200);
        c.client_timeout = Duration::from_millis(700);
    })
    .await;
    let r = room(8, 1);
    let (mut host, _) = Client::join(&server, 1, &r).await;
    // The guest connects and then never reads, so it never answers a ping.
    let (_silent, _) = Client::join(&server, 2, &r).await;
    host.event().await; // joined
    assert_eq!(
        host.event().await,
        EventKind::MemberOffline { user: UserId(2) }
    );
}

#[actix_rt::test]
async fn a_flooder_is_throttled_then_cut_off_and_the_room_stays_smooth() {
    let server = server().await;
    let r = room(9, 1);
    let (mut flooder, _) = Client::join(&server, 1, &r).await;
    let (mut calm, _) = Client::join(&server, 2, &r).await;
    flooder.event().await; // calm joined
    let frame = json!({"type":"react","kind":"clap"}).to_string();
    for _ in 0..3_000 {
        flooder.send_raw(frame.clone()).await;
    }
    let started = std::time::Instant::now();
    calm.send(json!({"type":"chat","text":"still smooth"}))
        .await;
    let mut reactions = 0;
    loop {
        match calm.event().await {
            EventKind::Reaction { .. } => reactions += 1,
            EventKind::Chat { line } => {
                assert_eq!(line.text, "still smooth");
                break;
            }
            EventKind::MemberOffline { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(
        reactions <= 40,
        "only the burst got through, not the flood: {reactions}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the calm member waited {:?}",
        started.elapsed()
    );
    // Past the abuse threshold the flooder's socket is closed.
    flooder.closed().await;
    let metrics = server.metrics().await;
    assert_eq!(
        metric(&metrics, r#"onair_cutoffs_total{reason="flood"}"#),
        1.0
    );
    assert_eq!(
        metric(&metrics, r#"onair_cutoffs_total{reason="slow_reader"}"#),
        0.0
    );
    assert!(metric(&metrics, r#"onair_error_frames_total{code="rate_limited"}"#) >= 1.0);
    assert!(metric(&metrics, r#"onair_frames_in_total{type="react"}"#) >= 100.0);
}

/// A server with a short heartbeat and client timeout (250 ms, 2 s), and a room of 12 whose
/// `members` have each said 8 chat lines of 500 Hangul syllables (1.5 KB each): every welcome
/// carries them all, so a member that asks for fresh welcomes is soon owed a lot.
async fn room_with_a_long_chat_history(
    id: i64,
    members: std::ops::RangeInclusive<i64>,
) -> (Server, onair_shared::auth::TicketRoom, Vec<Client>) {
    let server = server_with(|c| {
        c.heartbeat_interval = Duration::from_millis(250);
        c.client_timeout = Duration::from_secs(2);
    })
    .await;
    let mut r = room(id, 2);
    r.member_limit = 12;
    let mut clients = Vec::new();
    for user in members {
        let (c, _) = Client::join(&server, user, &r).await;
        clients.push(c);
    }
    let line = "가".repeat(500);
    for c in clients.iter_mut() {
        for _ in 0..8 {
            c.send(json!({"type":"chat","text":line})).await;
        }
    }
    for c in clients.iter_mut() {
        while c.try_recv(Duration::from_millis(100)).await.is_some() {}
    }
    (server, r, clients)
}

#[actix_rt::test]
async fn a_reader_that_stops_reading_is_cut_off_and_the_room_goes_on() {
    // Once its socket is full the session is not run at all, so whether the 1 MiB limit is
    // reached first depends on the kernel's buffers; a session that has not run for longer
    // than the client timeout is cut off either way.
    let (server, r, mut senders) = room_with_a_long_chat_history(10, 2..=6).await;
    // The slow member's socket takes little; after its welcome it never reads again, and asks
    // for a fresh welcome (75 KB) again and again: far more than 1 MiB is soon owed to it.
    let mut slow = Client::join_slow_reader(&server, 1, &r).await;
    for _ in 0..150 {
        slow.send(json!({"type":"resync","since":0})).await;
    }
    let watcher = &mut senders[0];
    let started = std::time::Instant::now();
    loop {
        match watcher.recv_within(Duration::from_secs(10)).await {
            ServerMsg::Event(e) if e.kind == EventKind::MemberOffline { user: UserId(1) } => break,
            _ => assert!(started.elapsed() < Duration::from_secs(10), "never cut off"),
        }
    }
    watcher
        .send(json!({"type":"chat","text":"the show goes on"}))
        .await;
    loop {
        if let ServerMsg::Event(e) = watcher.recv().await {
            if matches!(e.kind, EventKind::Chat { line } if line.text == "the show goes on") {
                break;
            }
        }
    }
    let metrics = server.metrics().await;
    assert_eq!(
        metric(&metrics, r#"onair_cutoffs_total{reason="slow_reader"}"#),
        1.0
    );
    assert_eq!(
        metric(&metrics, r#"onair_cutoffs_total{reason="flood"}"#),
        0.0
    );
}

#[actix_rt::test]
async fn a_cut_off_reader_that_keeps_its_socket_open_is_disconnected() {
    let (server, r, mut talkers) = room_with_a_long_chat_history(12, 2..=5).await;
    // The reader asks for fresh welcomes and never reads them, slowly enough that its socket
    // and the server's fill up before 1 MiB waits in the room: from then on the server's HTTP
    // layer holds frames it cannot write, and nothing it does can close the connection.
    let mut slow = Client::join_slow_reader(&server, 1, &r).await;
    let resync = json!({"type":"resync","since":0}).to_string();
    for _ in 0..100 {
        // Once the server has given up on it, its sends fail: that is what this test awaits.
        if futures_util::SinkExt::send(&mut slow.ws, resync.as_str().into())
            .await
            .is_err()
        {
            break;
        }
        // The others read (and so answer pings), or they would be dropped as silent.
        for c in talkers.iter_mut() {
            while c.try_recv(Duration::from_millis(1)).await.is_some() {}
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    // The room goes on talking. The reader answers no pings and its frames stop moving, so
    // the room gives up on it; its connection must then end, although its client keeps it.
    let started = std::time::Instant::now();
    loop {
        talkers[0]
            .send(json!({"type":"chat","text":"still here"}))
            .await;
        let open = metric(&server.metrics().await, "onair_ws_connections");
        if open == 4.0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{open} connections open: the cut-off reader's connection is still there"
        );
        for c in talkers.iter_mut() {
            while c.try_recv(Duration::from_millis(1)).await.is_some() {}
        }
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    drop(slow);
}

/// Whatever frames clients make up, the metrics keep their fixed set of series.
#[actix_rt::test]
async fn made_up_frames_add_no_series() {
    let server = server().await;
    let r = room(11, 1);
    let (mut c, _) = Client::join(&server, 1, &r).await;
    let before = server.metrics().await;
    for junk in [
        json!({"type": "brew_coffee"}).to_string(),
        json!({"type": "chat", "text": 5}).to_string(),
        json!({"type": format!("x{}", "y".repeat(200))}).to_string(),
        "not json".to_owned(),
    ] {
        c.send_raw(junk).await;
        c.error().await;
    }
    let after = server.metrics().await;
    for name in [
        "onair_frames_in_total",
        "onair_frames_out_total",
        "onair_error_frames_total",
    ] {
        assert_eq!(
            series_count(&before, name),
            series_count(&after, name),
            "{name}"
        );
    }
    assert_eq!(
        metric(&after, r#"onair_frames_in_total{type="invalid"}"#),
        4.0
    );
    assert_eq!(metric(&after, r#"onair_frames_in_total{type="chat"}"#), 0.0);
    assert_eq!(
        metric(&after, r#"onair_error_frames_total{code="unknown_type"}"#),
        2.0
    );
    assert_eq!(
        metric(
            &after,
            r#"onair_error_frames_total{code="invalid_message"}"#
        ),
        1.0
    );
    assert_eq!(
        metric(&after, r#"onair_error_frames_total{code="bad_json"}"#),
        1.0
    );
    assert!(!after.contains("brew_coffee"));
}

/// Shutting down: not ready and no new connections, while open ones carry on.
#[actix_rt::test]
async fn a_draining_server_is_not_ready_and_takes_no_new_connections() {
    let running = onair_room_server::start(onair_room_server::RoomServerConfig::local(SECRET))
        .await
        .unwrap();
    let server = Server { addr: running.addr };
    let state = running.state.clone();
    actix_rt::spawn(running.server);
    let r = room(12, 1);
    let (mut member, _) = Client::join(&server, 1, &r).await;
    let base = format!("http://{}", server.addr);
    assert_eq!(reqwest_like_get(&format!("{base}/readyz")).await.0, 200);

    state.begin_draining();
    let (status, body) = reqwest_like_get(&format!("{base}/readyz")).await;
    assert_eq!((status, body["status"].as_str()), (503, Some("draining")));
    assert_eq!(
        reqwest_like_get(&format!("{base}/healthz")).await.0,
        200,
        "still alive"
    );
    let (status, body) = reqwest_like_get(&format!("{base}/ws?ticket={}", ticket(2, &r))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("draining"))
    );
    assert_eq!(metric(&server.metrics().await, "onair_draining"), 1.0);
    member.send(json!({"type":"chat","text":"still on"})).await;
    assert!(matches!(member.event().await, EventKind::Chat { .. }));
}
