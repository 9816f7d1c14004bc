//! Issue 12 across both servers, on SQLite and on MariaDB: a stranger's visit does not end a
//! room, bans and closings reach open sockets at once, an ended room stays ended even on a
//! room-server that never saw it, and ranked acts past the daily limit do not count (and the
//! room says so beforehand).

use crate::common::Client;
use crate::stack::*;
use onair_shared::api::{LoginResponse, RankingPage, RoomView, TicketResponse};
use onair_shared::protocol::{Direct, ErrorCode, EventKind, LeaveReason, ServerMsg};
use onair_shared::room::CloseReason;
use onair_shared::UserId;
use serde_json::json;
use std::time::{Duration, Instant};

macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[actix_rt::test]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }
            #[actix_rt::test]
            async fn mysql() {
                super::$name(super::Backend::Mysql).await;
            }
        }
    };
}

fn admins(c: &mut onair_api_server::config::ApiConfig) {
    c.admin_users = vec![onair_api_server::config::Identity {
        provider: "dev".into(),
        provider_id: "boss".into(),
    }];
}

/// Reads until the connection closes; the error codes and events seen on the way.
async fn until_closed(c: &mut Client) -> (Vec<ErrorCode>, Vec<EventKind>) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let (mut codes, mut events) = (Vec::new(), Vec::new());
    loop {
        match tokio::time::timeout(Duration::from_secs(8), c.ws.next()).await {
            Err(_) => panic!("user {}: never closed (saw {codes:?} {events:?})", c.user),
            Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str(&t).unwrap() {
                ServerMsg::Event(e) => events.push(e.kind),
                ServerMsg::Direct(Direct::Error { code, .. }) => codes.push(code),
                ServerMsg::Direct(_) => {}
            },
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(_) => return (codes, events),
        }
    }
}

async fn a_strangers_visit_does_not_end_a_new_room(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let stack = Stack::start(&db).await;
    let (host, stranger) = (stack.login("Host").await, stack.login("Stranger").await);
    let room: RoomView = stack
        .post("/api/v1/rooms", Some(&host.token), json!({"title":"Fresh"}))
        .await;
    let mut s = stack.enter(&stranger, &room).await;
    s.send(json!({"type":"leave"})).await;
    s.closed().await;
    // The room-server reports the empty room: open, not ended.
    stack.catalogue_shows(room.id, 0, "open").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stack.catalogue_shows(room.id, 0, "open").await;
    // Its creator gets in and hosts.
    let mut h = stack.enter(&host, &room).await;
    h.send(json!({"type":"chat","text":"mine"})).await;
    assert!(matches!(h.event().await, EventKind::Chat { .. }));
}
both_backends!(a_strangers_visit_does_not_end_a_new_room);

async fn a_ban_closes_the_users_sockets_and_refuses_their_tickets(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let stack = Stack::start_with(&db, |_| {}, admins).await;
    let boss = stack.login("Boss").await;
    let (host, mallory) = (stack.login("Host").await, stack.login("Mallory").await);
    let room: RoomView = stack
        .post(
            "/api/v1/rooms",
            Some(&host.token),
            json!({"title":"Open mic"}),
        )
        .await;
    let mut h = stack.enter(&host, &room).await;
    let mut m = stack.enter(&mallory, &room).await;
    h.event().await; // mallory joined
                     // A ticket Mallory got before the ban, kept for later.
    let kept: TicketResponse = stack.ticket(&mallory, room.id).await.json().await.unwrap();

    let banned_at = Instant::now();
    let _: serde_json::Value = stack
        .post(
            &format!("/api/v1/admin/users/{}/ban", mallory.user.id),
            Some(&boss.token),
            json!({}),
        )
        .await;
    let (codes, _) = until_closed(&mut m).await;
    assert!(
        banned_at.elapsed() < Duration::from_secs(5),
        "closed after {:?}",
        banned_at.elapsed()
    );
    assert_eq!(codes, [ErrorCode::Banned]);
    assert_eq!(
        h.event().await,
        EventKind::MemberLeft {
            user: mallory.user.id,
            reason: LeaveReason::Banned
        },
        "the others see them go at once"
    );
    // Neither the kept ticket nor a new one gets them back in; the login token is useless.
    assert_eq!(
        Stack::open(stack.room, &kept.ticket, mallory.user.id)
            .await
            .err(),
        Some((403, "banned".into()))
    );
    assert_eq!(stack.ticket(&mallory, room.id).await.status(), 403);
    let (status, body) = stack
        .try_post("/api/v1/rooms", Some(&mallory.token), json!({"title":"x"}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("banned"))
    );
}
both_backends!(a_ban_closes_the_users_sockets_and_refuses_their_tickets);

/// Three members in a ranked room with the host's act on air.
async fn live_ranked_show(stack: &Stack) -> (RoomView, [LoginResponse; 3], [Client; 3]) {
    let people = [
        stack.login("Ann").await,
        stack.login("Ben").await,
        stack.login("Cat").await,
    ];
    let room: RoomView = stack
        .post(
            "/api/v1/rooms",
            Some(&people[0].token),
            json!({"title":"Ranked night","mode":"rank"}),
        )
        .await;
    let mut a = stack.enter(&people[0], &room).await;
    let b = stack.enter(&people[1], &room).await;
    let c = stack.enter(&people[2], &room).await;
    a.send(json!({"type":"start"})).await;
    until(&mut a, |e| matches!(e, EventKind::OnAir { .. })).await;
    (room, people, [a, b, c])
}

async fn an_admin_close_ends_the_live_show_and_its_ranked_play(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let stack = Stack::start_with(&db, |_| {}, admins).await;
    let boss = stack.login("Boss").await;
    let (room, people, mut clients) = live_ranked_show(&stack).await;
    let _: RoomView = stack
        .post(
            &format!("/api/v1/admin/rooms/{}/close", room.id),
            Some(&boss.token),
            json!({}),
        )
        .await;
    for c in clients.iter_mut() {
        let (_, events) = until_closed(c).await;
        let tail: Vec<&str> = events.iter().map(EventKind::type_name).collect();
        assert!(
            tail.ends_with(&["show_ended", "room_closed"]),
            "user {}: {tail:?}",
            c.user
        );
        assert_eq!(
            events.last(),
            Some(&EventKind::RoomClosed {
                reason: CloseReason::Admin
            })
        );
    }
    // A ranked act of that room ending now is refused for good.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let resp = stack
        .http
        .put(format!("{}/internal/v1/rooms/{}/rounds/1", stack.api, room.id))
        .bearer_auth(SERVICE_TOKEN)
        .json(&json!({
            "performer": people[0].user.id,
            "scores": [{"scorer": people[1].user.id, "value": 100}, {"scorer": people[2].user.id, "value": 100}],
            "average": 100.0,
            "closed_at": now_ms + 1000,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "room_closed");
    let ranking: RankingPage = stack.get("/api/v1/rankings").await;
    assert!(ranking.items.is_empty(), "{:?}", ranking.items);
}
both_backends!(an_admin_close_ends_the_live_show_and_its_ranked_play);

async fn the_host_closes_their_room_and_no_room_server_reopens_it(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let stack = Stack::start(&db).await;
    let (host, guest) = (stack.login("Host").await, stack.login("Guest").await);
    let room: RoomView = stack
        .post("/api/v1/rooms", Some(&host.token), json!({"title":"Short"}))
        .await;
    let mut h = stack.enter(&host, &room).await;
    let mut g = stack.enter(&guest, &room).await;
    h.event().await;
    // Tickets issued before the end, kept for later.
    let kept: TicketResponse = stack.ticket(&guest, room.id).await.json().await.unwrap();
    let kept2: TicketResponse = stack.ticket(&guest, room.id).await.json().await.unwrap();
    // Only the host may close it.
    let (status, body) = stack
        .try_post(
            &format!("/api/v1/rooms/{}/close", room.id),
            Some(&guest.token),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("not_room_host"))
    );
    let closed: RoomView = stack
        .post(
            &format!("/api/v1/rooms/{}/close", room.id),
            Some(&host.token),
            json!({}),
        )
        .await;
    assert_eq!(closed.status, onair_shared::room::RoomStatus::Ended);
    for c in [&mut h, &mut g] {
        let (_, events) = until_closed(c).await;
        assert_eq!(
            events.last(),
            Some(&EventKind::RoomClosed {
                reason: CloseReason::Host
            })
        );
    }
    // The host may open another room now.
    let _: RoomView = stack
        .post("/api/v1/rooms", Some(&host.token), json!({"title":"Next"}))
        .await;
    // The kept tickets reopen nothing: not here, nor on a room-server that never saw the
    // room (as after a restart), which asks the api-server first.
    assert_eq!(
        Stack::open(stack.room, &kept.ticket, guest.user.id)
            .await
            .err(),
        Some((409, "room_ended".into()))
    );
    let restarted = stack.another_room_server().await;
    assert_eq!(
        Stack::open(restarted, &kept2.ticket, guest.user.id)
            .await
            .err(),
        Some((409, "room_ended".into()))
    );
}
both_backends!(the_host_closes_their_room_and_no_room_server_reopens_it);

async fn ranked_acts_past_the_daily_limit_do_not_count_and_the_room_says_so(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let stack = Stack::start_with(&db, |_| {}, |c| c.fair_play.ranked_acts_per_day = 1).await;
    let (room, people, [mut a, mut b, mut c]) = live_ranked_show(&stack).await;
    act(&mut a, &mut [(&mut b, 90), (&mut c, 70)]).await;
    let ranking = stack.ranking_with(1).await;
    assert_eq!(ranking.items[0].user.id, people[0].user.id);
    drop((a, b, c));
    // Ann's second ranked act today, in someone else's room: the room says beforehand it will
    // not count, and it does not.
    let host2 = stack.login("Dee").await;
    let room2: RoomView = stack
        .post(
            "/api/v1/rooms",
            Some(&host2.token),
            json!({"title":"Second round","mode":"rank"}),
        )
        .await;
    let mut d = stack.enter(&host2, &room2).await;
    let mut a = stack.enter(&people[0], &room2).await;
    let mut b = stack.enter(&people[1], &room2).await;
    // Cat comes in after Ann: her welcome shows Ann over today's limit.
    let t: TicketResponse = stack
        .ticket(&people[2], room2.id)
        .await
        .json()
        .await
        .unwrap();
    let (ws, _) = tokio_tungstenite::connect_async(t.ws_url).await.unwrap();
    let mut c = Client {
        ws,
        user: people[2].user.id,
        last_seq: 0,
    };
    let ServerMsg::Direct(Direct::Welcome {
        room: snap, seq, ..
    }) = c.recv().await
    else {
        panic!("no welcome")
    };
    c.last_seq = seq;
    let over = |id: UserId| {
        snap.members
            .iter()
            .find(|m| m.id == id)
            .is_some_and(|m| m.ranked_limit_reached)
    };
    assert!(
        over(people[0].user.id),
        "the room says Ann's act will not count"
    );
    assert!(!over(people[1].user.id) && !over(host2.user.id));

    d.send(json!({"type":"start","first":people[0].user.id}))
        .await;
    until(&mut a, |e| matches!(e, EventKind::OnAir { .. })).await;
    a.send(json!({"type":"end_performance"})).await;
    let EventKind::PerformanceEnded { round } =
        until(&mut a, |e| matches!(e, EventKind::PerformanceEnded { .. })).await
    else {
        unreachable!()
    };
    assert!(!round.counts, "the scoring round says it too");
    for scorer in [&mut b, &mut c, &mut d] {
        until(scorer, |e| matches!(e, EventKind::PerformanceEnded { .. })).await;
        scorer
            .send(json!({"type":"score","round":round.id,"value":100}))
            .await;
    }
    let closed = until(&mut a, |e| matches!(e, EventKind::RoundClosed { .. })).await;
    assert!(matches!(
        closed,
        EventKind::RoundClosed {
            counts: false,
            count: 3,
            ..
        }
    ));
    // The api-server recorded it, counting nothing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ranking: RankingPage = stack.get("/api/v1/rankings").await;
    let ann_row = ranking
        .items
        .iter()
        .find(|r| r.user.id == people[0].user.id)
        .unwrap();
    assert_eq!((ann_row.acts, ann_row.cumulative_score), (1, 80.0));
    let _ = room;
}
both_backends!(ranked_acts_past_the_daily_limit_do_not_count_and_the_room_says_so);
