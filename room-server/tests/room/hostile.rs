//! What a hostile stranger or member tries against one room-server (issue 12): taking a room
//! over by arriving first, replaying tickets, reopening ended rooms, starting a ranked show
//! with a friend, flooding with bad frames, drowning another member in signals, invisible chat.

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use onair_shared::auth::TicketRoom;
use onair_shared::protocol::{Direct, ErrorCode, EventKind, ServerMsg};
use onair_shared::room::{CloseReason, Mode};
use onair_shared::UserId;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{self, Message};

/// Opens a socket with this ticket; the HTTP status and error code when it is refused.
async fn refused(server: &Server, ticket: &str) -> Option<(u16, String)> {
    let url = format!("ws://{}/ws?ticket={ticket}", server.addr);
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => None,
        Err(tungstenite::Error::Http(resp)) => {
            let body: serde_json::Value = resp
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            Some((
                resp.status().as_u16(),
                body["error"]["code"].as_str().unwrap_or("").to_owned(),
            ))
        }
        Err(e) => panic!("unexpected websocket error: {e}"),
    }
}

/// Joins with a given ticket.
async fn join_with(server: &Server, user: i64, ticket: &str) -> Client {
    let url = format!("ws://{}/ws?ticket={ticket}", server.addr);
    let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("opens");
    let mut c = Client {
        ws,
        user: UserId(user),
        last_seq: 0,
    };
    assert!(matches!(
        c.recv().await,
        ServerMsg::Direct(Direct::Welcome { .. })
    ));
    c
}

#[actix_rt::test]
async fn nobody_takes_a_room_over_by_arriving_before_its_creator() {
    let server = server().await;
    let r = room(101, 1);
    let (mut stranger, snap) = Client::join(&server, 2, &r).await;
    assert_eq!(snap.host, UserId(1), "the creator hosts, absent or not");
    let (mut friend, _) = Client::join(&server, 3, &r).await;
    stranger.event().await; // friend joined
    stranger.send(json!({"type":"start"})).await;
    assert_eq!(stranger.error().await, ErrorCode::NotHost);
    stranger.send(json!({"type":"kick","user":3})).await;
    assert_eq!(stranger.error().await, ErrorCode::NotHost);

    // The creator arrives and hosts; nobody else got the role on the way.
    let (mut creator, snap) = Client::join(&server, 1, &r).await;
    assert_eq!(snap.host, UserId(1));
    assert!(matches!(
        stranger.event().await,
        EventKind::MemberJoined { .. }
    ));
    // While the creator steps out, the longest-present member stands in...
    creator.send(json!({"type":"leave"})).await;
    assert!(matches!(
        stranger.event().await,
        EventKind::MemberLeft { .. }
    ));
    assert_eq!(
        stranger.event().await,
        EventKind::HostChanged { host: UserId(2) }
    );
    // ...but cannot keep the creator out of their own room.
    stranger.send(json!({"type":"kick","user":1})).await;
    assert_eq!(stranger.error().await, ErrorCode::CannotKickCreator);
    let (_creator, snap) = Client::join(&server, 1, &r).await;
    assert_eq!(snap.host, UserId(1), "the creator takes the role back");
    // Everyone saw the role go to the stand-in and back, and nowhere else.
    let mut hosts = Vec::new();
    while hosts.last() != Some(&UserId(1)) {
        if let EventKind::HostChanged { host } = friend.event().await {
            hosts.push(host);
        }
    }
    assert_eq!(hosts, [UserId(2), UserId(1)]);
}

#[actix_rt::test]
async fn a_ticket_opens_one_socket_and_an_ended_room_stays_ended() {
    let server = server().await;
    let r = room(102, 1);
    let t = ticket(1, &r);
    let mut host = join_with(&server, 1, &t).await;
    // The same ticket again (a replay from a log, a proxy, the history): refused.
    assert_eq!(
        refused(&server, &t).await,
        Some((401, "ticket_used".into()))
    );
    // A ticket issued before the room ended, kept for later.
    let kept = ticket(2, &r);
    let (mut guest, _) = Client::join(&server, 3, &r).await;
    host.event().await;
    host.send(json!({"type":"start"})).await;
    host.send(json!({"type":"end_show"})).await;
    loop {
        if matches!(guest.event().await, EventKind::ShowEnded { .. }) {
            break;
        }
    }
    host.send(json!({"type":"leave"})).await;
    guest.send(json!({"type":"leave"})).await;
    host.closed().await;
    guest.closed().await;
    // The show is over and everyone left: the old ticket does not reopen it as a fresh show.
    let start = Instant::now();
    loop {
        match refused(&server, &kept).await {
            Some((409, code)) if code == "room_ended" => break,
            other => {
                assert!(start.elapsed() < Duration::from_secs(3), "{other:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    assert_eq!(
        refused(&server, &ticket(1, &r)).await,
        Some((409, "room_ended".into())),
        "not even with a new ticket for its creator"
    );
}

#[actix_rt::test]
async fn a_ranked_show_needs_three_members() {
    let server = server().await;
    let r = TicketRoom {
        mode: Mode::Rank,
        ..room(103, 1)
    };
    let (mut host, _) = Client::join(&server, 1, &r).await;
    let (_friend, _) = Client::join(&server, 2, &r).await;
    host.event().await;
    host.send(json!({"type":"start"})).await;
    assert_eq!(host.error().await, ErrorCode::NotEnoughMembers);
    let (_third, _) = Client::join(&server, 3, &r).await;
    host.event().await;
    host.send(json!({"type":"start"})).await;
    assert!(matches!(host.event().await, EventKind::ShowStarted { .. }));
}

#[actix_rt::test]
async fn a_room_whose_creator_never_comes_closes_after_the_idle_time() {
    let server = server_with(|c| c.rules.idle_ms = 1_500).await;
    let r = room(104, 1);
    let (mut stranger, _) = Client::join(&server, 2, &r).await;
    let start = Instant::now();
    assert_eq!(
        match stranger.recv_within(Duration::from_secs(5)).await {
            ServerMsg::Event(e) => e.kind,
            other => panic!("{other:?}"),
        },
        EventKind::RoomClosed {
            reason: CloseReason::Idle
        }
    );
    assert!(start.elapsed() < Duration::from_secs(4));
    stranger.closed().await;
    assert_eq!(
        refused(&server, &ticket(1, &r)).await,
        Some((409, "room_ended".into()))
    );
}

#[actix_rt::test]
async fn a_flood_of_bad_frames_is_answered_a_little_then_closed() {
    let server = server().await;
    let r = room(105, 1);
    let (mut c, _) = Client::join(&server, 1, &r).await;
    for _ in 0..3_000 {
        if c.ws.send(Message::text("{not json")).await.is_err() {
            break;
        }
    }
    let mut answers = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), c.ws.next()).await {
            Err(_) => panic!("not closed after {answers} answers"),
            Ok(Some(Ok(Message::Text(_)))) => answers += 1,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => break,
            Ok(other) => panic!("{other:?}"),
        }
    }
    assert!(answers <= 25, "{answers} answers to garbage");
    // Binary frames and oversized ones count too.
    let (mut c, _) = Client::join(&server, 2, &r).await;
    let big = "x".repeat(70 * 1024);
    for i in 0..100 {
        let frame = if i % 2 == 0 {
            Message::binary(vec![0u8; 16])
        } else {
            Message::text(big.clone())
        };
        if c.ws.send(frame).await.is_err() {
            break;
        }
    }
    c.closed().await;
}

#[actix_rt::test]
async fn one_member_cannot_drown_another_in_signals() {
    let server = server().await;
    let r = room(106, 1);
    // The victim's socket takes little and is not read while the signals come.
    let mut victim = Client::join_slow_reader(&server, 1, &r).await;
    let (mut attacker, _) = Client::join(&server, 2, &r).await;
    let (mut watcher, _) = Client::join(&server, 3, &r).await;
    attacker.event().await; // watcher joined
    let blob = "x".repeat(15 * 1024);
    for _ in 0..150 {
        attacker
            .send(json!({"type":"signal","to":1,"data":{"sdp":blob}}))
            .await;
    }
    // The attacker is told to slow down...
    let mut limited = 0;
    while let Some(msg) = attacker.try_recv(Duration::from_millis(500)).await {
        if let ServerMsg::Direct(Direct::Error {
            code: ErrorCode::RateLimited,
            ..
        }) = msg
        {
            limited += 1;
        }
    }
    assert!(limited > 0, "the sender of the flood is rate-limited");
    // ...and the victim is not cut off: nobody sees them go, and they chat on.
    while let Some(msg) = watcher.try_recv(Duration::from_millis(500)).await {
        assert!(
            !matches!(msg, ServerMsg::Event(ref e) if e.kind == EventKind::MemberOffline { user: UserId(1) }),
            "the victim was cut off"
        );
    }
    let mut signals = 0;
    while let Some(msg) = victim.try_recv(Duration::from_millis(500)).await {
        if matches!(msg, ServerMsg::Direct(Direct::Signal { .. })) {
            signals += 1;
        }
    }
    assert!(
        (1..40).contains(&signals),
        "some signals got through, not the flood: {signals}"
    );
    victim
        .send(json!({"type":"chat","text":"still here"}))
        .await;
    loop {
        if let EventKind::Chat { line } = watcher.event().await {
            assert_eq!((line.from, line.text.as_str()), (UserId(1), "still here"));
            break;
        }
    }
}

#[actix_rt::test]
async fn chat_of_invisible_characters_is_refused_and_disguises_are_removed() {
    let server = server().await;
    let r = room(107, 1);
    let (mut c, _) = Client::join(&server, 1, &r).await;
    c.send(json!({"type":"chat","text":"\u{0}\u{7}"})).await;
    assert_eq!(c.error().await, ErrorCode::InvalidChat);
    c.send(json!({"type":"chat","text":"\u{200B}\u{FEFF} \u{2060}"}))
        .await;
    assert_eq!(c.error().await, ErrorCode::InvalidChat);
    c.send(json!({"type":"chat","text":"\u{202E}olleh\u{2066}"}))
        .await;
    let EventKind::Chat { line } = c.event().await else {
        panic!()
    };
    assert_eq!(line.text, "olleh");
}

#[actix_rt::test]
async fn room_server_responses_carry_security_headers() {
    let server = server().await;
    let resp = reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .unwrap();
    let h = resp.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
}
