//! Whole shows played over real WebSockets by several clients.

use crate::common::*;
use onair_shared::protocol::{ErrorCode, EventKind, LeaveReason, Phase, ReactionKind};
use onair_shared::{RoundId, UserId};
use serde_json::json;
use std::time::Duration;

/// Every client receives the same next event.
async fn all_get(clients: &mut [&mut Client]) -> EventKind {
    let first = clients[0].event().await;
    for c in clients.iter_mut().skip(1) {
        assert_eq!(
            c.event().await,
            first,
            "user {} saw a different event",
            c.user
        );
    }
    first
}

/// Joins users `ids` into `room` in order; drains join events so all are level.
async fn seat(server: &Server, r: &onair_shared::auth::TicketRoom, ids: &[i64]) -> Vec<Client> {
    let mut clients: Vec<Client> = Vec::new();
    for &id in ids {
        let (c, _) = Client::join(server, id, r).await;
        for other in clients.iter_mut() {
            assert!(matches!(
                other.event().await,
                EventKind::MemberJoined { .. }
            ));
        }
        clients.push(c);
    }
    clients
}

fn round_of(e: &EventKind) -> RoundId {
    match e {
        EventKind::PerformanceEnded { round } => round.id,
        other => panic!("expected performance_ended, got {other:?}"),
    }
}

#[actix_rt::test]
async fn three_members_play_a_whole_show() {
    let server = server().await;
    let r = room(1, 1);
    let mut cs = seat(&server, &r, &[1, 2, 3]).await;
    let [a, b, c] = &mut cs[..] else {
        unreachable!()
    };

    a.send(json!({"type":"start"})).await;
    assert_eq!(
        all_get(&mut [a, b, c]).await,
        EventKind::ShowStarted { first: UserId(1) }
    );
    assert_eq!(
        all_get(&mut [a, b, c]).await,
        EventKind::OnAir {
            performer: UserId(1)
        }
    );

    b.send(json!({"type":"react","kind":"clap"})).await;
    assert_eq!(
        all_get(&mut [a, b, c]).await,
        EventKind::Reaction {
            from: UserId(2),
            kind: ReactionKind::Clap
        }
    );

    // Act 1: the host. B and C score; the host nominates B while scoring is open.
    a.send(json!({"type":"end_performance"})).await;
    let r1 = round_of(&all_get(&mut [a, b, c]).await);
    a.send(json!({"type":"nominate","user":2})).await;
    assert_eq!(
        all_get(&mut [a, b, c]).await,
        EventKind::Nominated {
            by: UserId(1),
            user: UserId(2)
        }
    );
    b.send(json!({"type":"score","round":r1,"value":90})).await;
    all_get(&mut [a, b, c]).await; // score_progress
    c.send(json!({"type":"score","round":r1,"value":71})).await;
    all_get(&mut [a, b, c]).await;
    assert_eq!(
        all_get(&mut [a, b, c]).await,
        EventKind::RoundClosed {
            round: r1,
            performer: UserId(1),
            name: "user1".into(),
            average: Some(80.5),
            count: 2,
            counts: false
        }
    );
    assert_eq!(
        all_get(&mut [a, b, c]).await,
        EventKind::OnAir {
            performer: UserId(2)
        }
    );

    // Act 2: B ends it; round closes; then B nominates C.
    b.send(json!({"type":"end_performance"})).await;
    let r2 = round_of(&all_get(&mut [a, b, c]).await);
    for (client, v) in [(&mut *a, 100), (&mut *c, 0)] {
        client
            .send(json!({"type":"score","round":r2,"value":v}))
            .await;
    }
    all_get(&mut [a, b, c]).await;
    all_get(&mut [a, b, c]).await;
    assert!(matches!(
        all_get(&mut [a, b, c]).await,
        EventKind::RoundClosed {
            average: Some(50.0),
            ..
        }
    ));
    b.send(json!({"type":"nominate","user":3})).await;
    all_get(&mut [a, b, c]).await;
    assert_eq!(
        all_get(&mut [a, b, c]).await,
        EventKind::OnAir {
            performer: UserId(3)
        }
    );

    // Act 3, and with everyone performed the show ends with the board.
    a.send(json!({"type":"end_performance"})).await; // the host may end anyone's act
    let r3 = round_of(&all_get(&mut [a, b, c]).await);
    for (client, v) in [(&mut *a, 60), (&mut *b, 61)] {
        client
            .send(json!({"type":"score","round":r3,"value":v}))
            .await;
    }
    all_get(&mut [a, b, c]).await;
    all_get(&mut [a, b, c]).await;
    all_get(&mut [a, b, c]).await; // round_closed
    let EventKind::ShowEnded { results, early } = all_get(&mut [a, b, c]).await else {
        panic!("expected show_ended")
    };
    assert!(!early);
    let board: Vec<_> = results
        .iter()
        .map(|r| (r.name.as_str(), r.average))
        .collect();
    assert_eq!(
        board,
        [
            ("user1", Some(80.5)),
            ("user2", Some(50.0)),
            ("user3", Some(60.5))
        ]
    );
}

#[actix_rt::test]
async fn refused_actions_get_stable_codes_and_change_nothing() {
    let server = server().await;
    let r = room(2, 1);
    let mut cs = seat(&server, &r, &[1, 2, 3]).await;
    let [a, b, c] = &mut cs[..] else {
        unreachable!()
    };
    b.send(json!({"type":"start"})).await;
    assert_eq!(b.error().await, ErrorCode::NotHost);
    a.send(json!({"type":"start","first":2})).await;
    all_get(&mut [a, b, c]).await;
    all_get(&mut [a, b, c]).await;
    c.send(json!({"type":"end_performance"})).await;
    assert_eq!(c.error().await, ErrorCode::NotYourTurn);
    b.send(json!({"type":"end_performance"})).await;
    let round = round_of(&all_get(&mut [a, b, c]).await);
    b.send(json!({"type":"score","round":round,"value":100}))
        .await;
    assert_eq!(b.error().await, ErrorCode::CannotScoreOwnAct);
    c.send(json!({"type":"score","round":round,"value":101}))
        .await;
    assert_eq!(c.error().await, ErrorCode::ScoreOutOfRange);
    c.send(json!({"type":"score","round":round,"value":50}))
        .await;
    all_get(&mut [a, b, c]).await;
    c.send(json!({"type":"score","round":round,"value":50}))
        .await;
    assert_eq!(c.error().await, ErrorCode::AlreadyScored);
    c.send(json!({"type":"nominate","user":1})).await;
    assert_eq!(c.error().await, ErrorCode::NotYourTurn);
    b.send(json!({"type":"nominate","user":2})).await;
    assert_eq!(b.error().await, ErrorCode::AlreadyPerformed);
    a.send(json!({"type":"score","round":round.0 + 5,"value":50}))
        .await;
    assert_eq!(a.error().await, ErrorCode::RoundClosed);
    // Nothing refused moved the room: the next event everyone gets is the next real one.
    let seq = a.last_seq;
    a.send(json!({"type":"score","round":round,"value":40}))
        .await;
    all_get(&mut [a, b, c]).await;
    assert_eq!(a.last_seq, seq + 1);
}

#[actix_rt::test]
async fn the_deadline_closes_a_round_with_the_scores_in() {
    let server = server_with(|c| c.rules.score_deadline_ms = 600).await;
    let r = room(3, 1);
    let mut cs = seat(&server, &r, &[1, 2, 3, 4]).await;
    let [a, b, c, d] = &mut cs[..] else {
        unreachable!()
    };
    a.send(json!({"type":"start"})).await;
    all_get(&mut [a, b, c, d]).await;
    all_get(&mut [a, b, c, d]).await;
    a.send(json!({"type":"end_performance"})).await;
    let round = round_of(&all_get(&mut [a, b, c, d]).await);
    b.send(json!({"type":"score","round":round,"value":33}))
        .await;
    all_get(&mut [a, b, c, d]).await;
    assert_eq!(
        all_get(&mut [a, b, c, d]).await,
        EventKind::RoundClosed {
            round,
            performer: UserId(1),
            name: "user1".into(),
            average: Some(33.0),
            count: 1,
            counts: false
        }
    );
    c.send(json!({"type":"score","round":round,"value":90}))
        .await;
    assert_eq!(c.error().await, ErrorCode::RoundClosed);
}

#[actix_rt::test]
async fn the_host_leaving_hands_over_and_a_vanished_performer_ends_their_act() {
    let server = server_with(|c| c.rules.reconnect_grace_ms = 500).await;
    let r = room(4, 1);
    let mut cs = seat(&server, &r, &[1, 2, 3, 4, 5]).await;
    let mut e = cs.pop().unwrap();
    let mut d = cs.pop().unwrap();
    let mut c = cs.pop().unwrap();
    let mut b = cs.pop().unwrap();
    let mut a = cs.pop().unwrap();
    a.send(json!({"type":"start","first":3})).await;
    all_get(&mut [&mut a, &mut b, &mut c, &mut d, &mut e]).await;
    all_get(&mut [&mut a, &mut b, &mut c, &mut d, &mut e]).await;

    a.send(json!({"type":"leave"})).await;
    a.closed().await;
    let mut rest = [&mut b, &mut c, &mut d, &mut e];
    assert_eq!(
        all_get(&mut rest).await,
        EventKind::MemberLeft {
            user: UserId(1),
            reason: LeaveReason::Left
        }
    );
    assert_eq!(
        all_get(&mut rest).await,
        EventKind::HostChanged { host: UserId(2) }
    );

    // The performer's connection drops and they do not come back within the grace period.
    drop(c);
    let mut rest = [&mut b, &mut d, &mut e];
    assert_eq!(
        all_get(&mut rest).await,
        EventKind::MemberOffline { user: UserId(3) }
    );
    assert_eq!(
        all_get(&mut rest).await,
        EventKind::MemberLeft {
            user: UserId(3),
            reason: LeaveReason::TimedOut
        }
    );
    let EventKind::PerformanceEnded { round } = all_get(&mut rest).await else {
        panic!()
    };
    assert_eq!((round.performer, round.eligible), (UserId(3), 3));
    // The new host nominates, since the performer is gone.
    d.send(json!({"type":"nominate","user":4})).await;
    assert_eq!(d.error().await, ErrorCode::NotYourTurn);
    b.send(json!({"type":"nominate","user":4})).await;
    assert_eq!(
        all_get(&mut [&mut b, &mut d, &mut e]).await,
        EventKind::Nominated {
            by: UserId(2),
            user: UserId(4)
        }
    );
}

#[actix_rt::test]
async fn a_reconnecting_member_gets_the_exact_current_state() {
    let server = server().await;
    let r = room(5, 1);
    let mut cs = seat(&server, &r, &[1, 2, 3]).await;
    let mut c = cs.pop().unwrap();
    let mut b = cs.pop().unwrap();
    let mut a = cs.pop().unwrap();
    a.send(json!({"type":"start"})).await;
    all_get(&mut [&mut a, &mut b, &mut c]).await;
    all_get(&mut [&mut a, &mut b, &mut c]).await;
    a.send(json!({"type":"end_performance"})).await;
    let round = round_of(&all_get(&mut [&mut a, &mut b, &mut c]).await);
    b.send(json!({"type":"score","round":round,"value":70}))
        .await;
    all_get(&mut [&mut a, &mut b, &mut c]).await;

    drop(c);
    assert_eq!(
        a.event().await,
        EventKind::MemberOffline { user: UserId(3) }
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_c, snap) = Client::join(&server, 3, &r).await;
    assert_eq!(snap.phase, Phase::Scoring);
    assert_eq!(snap.performer, Some(UserId(1)));
    let open = snap.round.expect("the open round");
    assert_eq!(
        (open.id, open.scored.clone(), open.eligible),
        (round, vec![UserId(2)], 2)
    );
    assert!(
        snap.members
            .iter()
            .find(|m| m.id == UserId(1))
            .unwrap()
            .performed
    );
    assert_eq!(a.event().await, EventKind::MemberOnline { user: UserId(3) });
}

#[actix_rt::test]
async fn six_members_and_a_kick() {
    let server = server().await;
    let r = room(6, 1);
    let mut cs = seat(&server, &r, &[1, 2, 3, 4, 5, 6]).await;
    cs[0].send(json!({"type":"kick","user":6})).await;
    let mut kicked = cs.pop().unwrap();
    assert_eq!(kicked.error().await, ErrorCode::Kicked);
    kicked.closed().await;
    for c in cs.iter_mut() {
        assert_eq!(
            c.event().await,
            EventKind::MemberLeft {
                user: UserId(6),
                reason: LeaveReason::Kicked
            }
        );
    }
    // The kicked member cannot come back with a fresh ticket either.
    let url = format!("ws://{}/ws?ticket={}", server.addr, ticket(6, &r));
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut again = Client {
        ws,
        user: UserId(6),
        last_seq: 0,
    };
    assert_eq!(again.error().await, ErrorCode::Kicked);
    again.closed().await;
}

/// The sing-along track over real sockets: the host's controls reach everyone as
/// `media_state`, a guest's are refused, a late joiner's welcome carries where the track is,
/// and `time_sync` is answered at once with the client's own time and the server's clock.
#[actix_rt::test]
async fn the_track_is_shared_and_the_clock_is_told() {
    let server = server().await;
    let r = room(41, 1);
    let mut c = seat(&server, &r, &[1, 2]).await;
    let (host, rest) = c.split_at_mut(1);
    let (host, guest) = (&mut host[0], &mut rest[0]);

    host.send(json!({"type":"media_set","url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ"}))
        .await;
    let set = all_get(&mut [&mut *host, &mut *guest]).await;
    let EventKind::MediaState(state) = set else {
        panic!("expected media_state, got {set:?}");
    };
    assert_eq!(state.media.unwrap().id_or_url, "dQw4w9WgXcQ");

    guest.send(json!({"type":"media_play"})).await;
    assert_eq!(guest.error().await, ErrorCode::NotAllowed);
    host.send(json!({"type":"media_set","url":"javascript:alert(1)"}))
        .await;
    assert_eq!(host.error().await, ErrorCode::InvalidMedia);

    let before = now() * 1000;
    host.send(json!({"type":"media_play","position_ms":30000}))
        .await;
    let play = all_get(&mut [&mut *host, &mut *guest]).await;
    let EventKind::MediaState(playing) = play else {
        panic!("expected media_state, got {play:?}");
    };
    assert!(playing.playing);
    assert_eq!(playing.position_ms, 30_000);
    assert!(
        playing.at_ms >= before - 1_000,
        "{} vs {before}",
        playing.at_ms
    );

    // Someone arriving now sees the track playing, from the same reference point.
    let (_late, snap) = Client::join(&server, 3, &r).await;
    assert_eq!(snap.media, playing);

    guest
        .send(json!({"type":"time_sync","client_ms":1234.5}))
        .await;
    let answer = loop {
        match guest.recv().await {
            onair_shared::protocol::ServerMsg::Direct(
                onair_shared::protocol::Direct::TimeSync {
                    client_ms,
                    server_ms,
                },
            ) => break (client_ms, server_ms),
            _ => continue,
        }
    };
    assert_eq!(answer.0, 1234.5);
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64;
    assert!((wall - answer.1).abs() < 2_000.0, "{} vs {wall}", answer.1);
}

/// The "up next" countdown puts each named performer on air only when it has run, everyone
/// sees it (a late joiner too), and after the results the host plays again with everyone.
#[actix_rt::test]
async fn acts_are_counted_down_and_the_host_plays_again() {
    let server = server_with(|c| c.rules.up_next_ms = 800).await;
    let r = room(1, 1);
    let mut cs = seat(&server, &r, &[1, 2]).await;
    let [a, b] = &mut cs[..] else { unreachable!() };

    a.send(json!({"type":"start"})).await;
    let asked = std::time::Instant::now();
    assert_eq!(
        all_get(&mut [a, b]).await,
        EventKind::ShowStarted { first: UserId(1) }
    );
    let EventKind::UpNext { performer, at } = all_get(&mut [a, b]).await else {
        panic!("start should count the first act down");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert_eq!(performer, UserId(1));
    assert!((now..=now + 800).contains(&at), "on air at {at}, now {now}");
    // Nothing of the act can happen before it is on air; a latecomer sees the countdown.
    a.send(json!({"type":"end_performance"})).await;
    assert_eq!(a.error().await, ErrorCode::WrongPhase);
    let (mut c, welcome) = Client::join(&server, 3, &r).await;
    assert_eq!(
        (welcome.phase, welcome.performer, welcome.on_air_at),
        (Phase::UpNext, Some(UserId(1)), Some(at))
    );
    all_get(&mut [a, b]).await; // c joined
    assert_eq!(
        all_get(&mut [a, b, &mut c]).await,
        EventKind::OnAir {
            performer: UserId(1)
        }
    );
    assert!(
        asked.elapsed() >= Duration::from_millis(700),
        "on air after {:?}",
        asked.elapsed()
    );

    // C leaves; the host's act is scored by B, who goes next after their own countdown.
    c.send(json!({"type":"leave"})).await;
    all_get(&mut [a, b]).await;
    a.send(json!({"type":"end_performance"})).await;
    let r1 = round_of(&all_get(&mut [a, b]).await);
    a.send(json!({"type":"nominate","user":2})).await;
    all_get(&mut [a, b]).await;
    b.send(json!({"type":"score","round":r1,"value":88})).await;
    all_get(&mut [a, b]).await; // score_progress
    all_get(&mut [a, b]).await; // round_closed
    assert!(matches!(
        all_get(&mut [a, b]).await,
        EventKind::UpNext {
            performer: UserId(2),
            ..
        }
    ));
    assert_eq!(
        all_get(&mut [a, b]).await,
        EventKind::OnAir {
            performer: UserId(2)
        }
    );
    b.send(json!({"type":"end_performance"})).await;
    let r2 = round_of(&all_get(&mut [a, b]).await);
    a.send(json!({"type":"score","round":r2,"value":70})).await;
    all_get(&mut [a, b]).await; // score_progress
    all_get(&mut [a, b]).await; // round_closed
    assert!(matches!(
        all_get(&mut [a, b]).await,
        EventKind::ShowEnded { early: false, .. }
    ));

    // Only the host plays again; everyone stays and may perform again.
    b.send(json!({"type":"play_again"})).await;
    assert_eq!(b.error().await, ErrorCode::NotHost);
    a.send(json!({"type":"play_again"})).await;
    assert_eq!(all_get(&mut [a, b]).await, EventKind::ShowReset);
    let (_d, welcome) = Client::join(&server, 4, &r).await;
    assert_eq!(welcome.phase, Phase::Lobby);
    assert!(welcome.results.is_empty());
    assert!(welcome
        .members
        .iter()
        .all(|m| !m.performed && m.score.is_none()));
    all_get(&mut [a, b]).await; // d joined
    a.send(json!({"type":"start","first":2})).await;
    all_get(&mut [a, b]).await;
    assert!(matches!(
        all_get(&mut [a, b]).await,
        EventKind::UpNext {
            performer: UserId(2),
            ..
        }
    ));
}
