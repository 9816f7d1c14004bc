//! The room-server's internal endpoints: service token, ranked rounds recorded exactly once,
//! room status and member counts.

use crate::backend_test;
use crate::common::TestServer;
use onair_shared::api::{RoomList, RoomStatusAck, RoomView, RoundRecorded, UserProfile};
use onair_shared::room::RoomStatus;
use onair_shared::{RoomId, UserId};
use serde_json::{json, Value};

const CLOSED_AT: i64 = 1_750_000_000_000;

struct Show {
    room: RoomView,
    host: UserId,
    guests: Vec<UserId>,
}

async fn ranked_show(srv: &TestServer) -> Show {
    let host = srv.login("Host").await;
    let room = srv
        .create_room(
            &host.token,
            json!({ "title": "Ranked night", "mode": "rank" }),
        )
        .await;
    let mut guests = Vec::new();
    for name in ["G1", "G2", "G3"] {
        guests.push(srv.login(name).await.user.id);
    }
    Show {
        room,
        host: host.user.id,
        guests,
    }
}

async fn profile(srv: &TestServer, user: UserId) -> UserProfile {
    let reply = srv.get(&format!("/api/v1/users/{user}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

backend_test!(internal_endpoints_need_the_service_token, |srv| {
    let show = ranked_show(&srv).await;
    let room_path = format!("/internal/v1/rooms/{}", show.room.id);
    let status_path = format!("{room_path}/status");
    let round_path = format!("{room_path}/rounds/1");
    let status = json!({ "status": "live", "member_count": 3 });
    let round =
        json!({ "performer": show.host, "scores": [], "average": null, "closed_at": CLOSED_AT });

    for token in [None, Some("wrong-token-wrong-token-wrong-token-0000")] {
        let mut get = srv.http.get(srv.url(&room_path));
        if let Some(t) = token {
            get = get.bearer_auth(t);
        }
        srv.send(get).await.assert_error(401, "unauthorized");
        srv.put_json(&status_path, &status, token)
            .await
            .assert_error(401, "unauthorized");
        srv.put_json(&round_path, &round, token)
            .await
            .assert_error(401, "unauthorized");
    }
    // A user's login token is not the service token.
    let user = srv.login("Sneaky").await;
    srv.put_json(&round_path, &round, Some(&user.token))
        .await
        .assert_error(401, "unauthorized");
    // Nothing was recorded by any of that.
    assert_eq!(profile(&srv, show.host).await.acts, 0);
    assert_eq!(
        srv.get(&format!("/api/v1/rooms/{}", show.room.id))
            .await
            .json::<RoomView>()
            .status,
        RoomStatus::Open
    );

    let token = srv.service_token();
    let reply = srv.get_auth(&room_path, &token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let meta: RoomView = reply.json();
    assert_eq!(meta, show.room);
    srv.get_auth("/internal/v1/rooms/999999", &token)
        .await
        .assert_error(404, "room_not_found");
    srv.get_auth("/internal/v1/nope", &token)
        .await
        .assert_error(404, "not_found");
});

backend_test!(
    without_a_service_token_dev_mode_disables_internal_endpoints,
    config = |c| c.service_token = None,
    |srv| {
        let host = srv.login("Host").await;
        let room = srv
            .create_room(&host.token, json!({ "title": "r", "mode": "rank" }))
            .await;
        let message = srv
            .put_json(
                &format!("/internal/v1/rooms/{}/status", room.id),
                &json!({ "status": "live", "member_count": 2 }),
                Some("anything-anything-anything-anything-1"),
            )
            .await
            .assert_error(503, "internal_disabled");
        assert!(message.contains("ONAIR_SERVICE_TOKEN"), "{message}");
    }
);

backend_test!(
    a_ranked_round_is_recorded_once_and_adds_to_the_score,
    |srv| {
        let show = ranked_show(&srv).await;
        let [g1, g2, g3] = [show.guests[0], show.guests[1], show.guests[2]];

        let reply = srv
            .report_round(
                show.room.id,
                1,
                show.host,
                &[(g1, 100), (g2, 100), (g3, 0)],
                CLOSED_AT,
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(
            reply.json::<RoundRecorded>(),
            RoundRecorded {
                room: show.room.id,
                round: onair_shared::RoundId(1),
                recorded: true,
                counted: true
            }
        );
        let host = profile(&srv, show.host).await;
        assert_eq!(host.cumulative_score, 66.67, "200/3 to two decimals");
        assert_eq!(host.acts, 1);
        assert_eq!(host.rank, Some(1));

        // The room-server retries after a lost answer or a failover: same (room, round).
        for _ in 0..3 {
            let again = srv
                .report_round(
                    show.room.id,
                    1,
                    show.host,
                    &[(g1, 100), (g2, 100), (g3, 0)],
                    CLOSED_AT,
                )
                .await;
            assert_eq!(again.status, 200, "{}", again.body);
            assert!(!again.json::<RoundRecorded>().recorded);
        }
        // Even with different scores: a repeat of the act changes nothing.
        let different = srv
            .report_round(show.room.id, 1, show.host, &[(g1, 10)], CLOSED_AT + 5)
            .await;
        assert_eq!(different.status, 200, "{}", different.body);
        let host = profile(&srv, show.host).await;
        assert_eq!(host.cumulative_score, 66.67);
        assert_eq!(host.acts, 1);

        // The next act, by a guest, scored by the host and the others.
        let reply = srv
            .report_round(
                show.room.id,
                2,
                g1,
                &[(show.host, 90), (g2, 85), (g3, 72)],
                CLOSED_AT + 60_000,
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let g1_profile = profile(&srv, g1).await;
        assert_eq!(g1_profile.cumulative_score, 82.33);
        assert_eq!(g1_profile.rank, Some(1));
        assert_eq!(profile(&srv, show.host).await.rank, Some(2));

        // A second ranked act adds up, exactly (hundredths, no float drift).
        let reply = srv
            .report_round(
                show.room.id,
                3,
                show.host,
                &[(g1, 33), (g2, 33), (g3, 34)],
                CLOSED_AT + 120_000,
            )
            .await;
        assert_eq!(reply.status, 201);
        let host = profile(&srv, show.host).await;
        assert_eq!(host.cumulative_score, 100.0, "66.67 + 33.33");
        assert_eq!(host.acts, 2);
        assert_eq!(host.rank, Some(1));
    }
);

backend_test!(concurrent_duplicates_record_one_act, |srv| {
    let show = ranked_show(&srv).await;
    let scores = [(show.guests[0], 80), (show.guests[1], 60)];
    let sends = (0..8).map(|_| srv.report_round(show.room.id, 7, show.host, &scores, CLOSED_AT));
    let replies = futures_util::future::join_all(sends).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "exactly one recorded: {statuses:?} {:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    let host = profile(&srv, show.host).await;
    assert_eq!(host.cumulative_score, 70.0);
    assert_eq!(host.acts, 1);
    srv.check_invariants();
});

backend_test!(
    an_act_with_fewer_than_two_scores_is_recorded_and_adds_nothing,
    |srv| {
        let show = ranked_show(&srv).await;
        for (round, scores) in [(1, vec![]), (2, vec![(show.guests[0], 100)])] {
            let reply = srv
                .report_round(show.room.id, round, show.host, &scores, CLOSED_AT)
                .await;
            assert_eq!(reply.status, 201, "{}", reply.body);
            assert!(!reply.json::<RoundRecorded>().counted);
            // Kept, so a repeat is still recognised (and still counts nothing).
            let again = srv
                .report_round(show.room.id, round, show.host, &scores, CLOSED_AT)
                .await;
            assert_eq!(again.status, 200);
            assert!(!again.json::<RoundRecorded>().counted);
        }
        let host = profile(&srv, show.host).await;
        assert_eq!(host.acts, 0);
        assert_eq!(host.cumulative_score, 0.0);
        assert_eq!(host.rank, None, "nothing counted: not in the ranking");
        let history: Value = srv
            .get(&format!("/api/v1/users/{}/scores", show.host))
            .await
            .json();
        assert_eq!(history["items"], json!([]));
        // A zero average with two scores enters the ranking: scored, badly.
        let reply = srv
            .report_round(
                show.room.id,
                3,
                show.host,
                &[(show.guests[0], 0), (show.guests[1], 0)],
                CLOSED_AT + 1,
            )
            .await;
        assert_eq!(reply.status, 201);
        assert!(reply.json::<RoundRecorded>().counted);
        let host = profile(&srv, show.host).await;
        assert_eq!(host.rank, Some(1));
        assert_eq!(host.acts, 1);
        srv.check_invariants();
    }
);

backend_test!(bad_round_reports_are_refused_for_good, |srv| {
    let show = ranked_show(&srv).await;
    let g = show.guests.clone();
    let path = |round: &str| format!("/internal/v1/rooms/{}/rounds/{round}", show.room.id);
    let body = |performer: UserId, scores: Value, average: Value| json!({ "performer": performer, "scores": scores, "average": average, "closed_at": CLOSED_AT });

    for (round, report, hint) in [
        (
            "1",
            body(
                show.host,
                json!([{ "scorer": g[0], "value": 101 }]),
                json!(101.0),
            ),
            "0 to 100",
        ),
        (
            "1",
            body(
                show.host,
                json!([{ "scorer": show.host, "value": 50 }]),
                json!(50.0),
            ),
            "own act",
        ),
        (
            "1",
            body(
                show.host,
                json!([{ "scorer": g[0], "value": 50 }, { "scorer": g[0], "value": 60 }]),
                json!(55.0),
            ),
            "twice",
        ),
        (
            "1",
            body(
                show.host,
                json!([{ "scorer": g[0], "value": 50 }]),
                json!(49.0),
            ),
            "does not match",
        ),
        (
            "1",
            body(
                show.host,
                json!([{ "scorer": 987654, "value": 50 }]),
                json!(50.0),
            ),
            "unknown user",
        ),
        (
            "1",
            body(UserId(987654), json!([]), Value::Null),
            "unknown user",
        ),
        ("0", body(show.host, json!([]), Value::Null), "round"),
    ] {
        let message = srv
            .internal_put(&path(round), &report)
            .await
            .assert_error(400, "validation_failed");
        assert!(message.contains(hint), "{report}: {message}");
    }
    // Values that do not fit the wire type are unreadable requests: 400 as well.
    srv.internal_put(
        &path("1"),
        &body(
            show.host,
            json!([{ "scorer": g[0], "value": 300 }]),
            json!(300.0),
        ),
    )
    .await
    .assert_error(400, "bad_request");
    srv.internal_put(&path("-1"), &body(show.host, json!([]), Value::Null))
        .await
        .assert_error(400, "bad_request");
    srv.internal_put(&path("1"), &json!({ "performer": show.host }))
        .await
        .assert_error(400, "bad_request");
    // None of it counted.
    assert_eq!(profile(&srv, show.host).await.acts, 0);

    // Unknown room; a normal-mode room.
    srv.report_round(RoomId(999_999), 1, show.host, &[], CLOSED_AT)
        .await
        .assert_error(404, "room_not_found");
    let other_host = srv.login("Other host").await;
    let normal = srv
        .create_room(
            &other_host.token,
            json!({ "title": "Just for fun", "mode": "normal" }),
        )
        .await;
    srv.report_round(normal.id, 1, show.host, &[(g[0], 90)], CLOSED_AT)
        .await
        .assert_error(409, "not_ranked");

    // The same (room, round) for a different performer is a conflict, not a repeat.
    assert_eq!(
        srv.report_round(show.room.id, 5, show.host, &[(g[0], 90)], CLOSED_AT)
            .await
            .status,
        201
    );
    let message = srv
        .report_round(show.room.id, 5, g[1], &[(g[0], 90)], CLOSED_AT)
        .await
        .assert_error(409, "round_conflict");
    assert!(message.contains("round 5"), "{message}");
    assert_eq!(profile(&srv, g[1]).await.acts, 0);
});

backend_test!(
    room_status_moves_forward_and_counts_show_in_the_catalogue,
    |srv| {
        let show = ranked_show(&srv).await;
        let id = show.room.id;
        let path = format!("/internal/v1/rooms/{id}/status");
        let report = |status: &str, count: u32| json!({ "status": status, "member_count": count });
        let catalogue = |query: &'static str| {
            let srv = &srv;
            async move {
                let list: RoomList = srv.get(&format!("/api/v1/rooms{query}")).await.json();
                list.rooms
            }
        };

        let ack: RoomStatusAck = srv.internal_put(&path, &report("open", 3)).await.json();
        assert_eq!(ack.status, RoomStatus::Open);
        assert_eq!(ack.member_count, 3);
        let rooms = catalogue("").await;
        assert_eq!(rooms[0].id, id);
        assert_eq!(rooms[0].member_count, 3);
        assert_eq!(rooms[0].status, RoomStatus::Open);

        let reply = srv.internal_put(&path, &report("live", 4)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let live = catalogue("?status=live").await;
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].member_count, 4);
        assert!(catalogue("?status=open").await.is_empty());

        // Back to "open" is not a move: the status stays, the count is taken.
        let ack: RoomStatusAck = srv.internal_put(&path, &report("open", 2)).await.json();
        assert_eq!(ack.status, RoomStatus::Live);
        assert_eq!(ack.member_count, 2);

        let ack: RoomStatusAck = srv.internal_put(&path, &report("ended", 0)).await.json();
        assert_eq!(ack.status, RoomStatus::Ended);
        assert!(
            catalogue("").await.is_empty(),
            "ended rooms leave the catalogue"
        );
        let ended = catalogue("?status=ended").await;
        assert_eq!(ended.len(), 1);
        // Ended stays ended.
        let ack: RoomStatusAck = srv.internal_put(&path, &report("live", 5)).await.json();
        assert_eq!(ack.status, RoomStatus::Ended);
        let host = srv.login("Host").await;
        srv.post_json(
            &format!("/api/v1/rooms/{id}/ticket"),
            &json!({}),
            Some(&host.token),
        )
        .await
        .assert_error(409, "room_ended");

        srv.internal_put("/internal/v1/rooms/999999/status", &report("live", 1))
            .await
            .assert_error(404, "room_not_found");
        srv.internal_put(&path, &json!({ "status": "paused", "member_count": 1 }))
            .await
            .assert_error(400, "bad_request");
        srv.internal_put(&path, &report("live", 1_000_000))
            .await
            .assert_error(400, "validation_failed");
        srv.get("/api/v1/rooms?status=paused")
            .await
            .assert_error(400, "validation_failed");
    }
);

backend_test!(an_ended_rooms_results_are_kept_for_its_link, |srv| {
    let show = ranked_show(&srv).await;
    let token = srv.service_token();
    let status_path = format!("/internal/v1/rooms/{}/status", show.room.id);
    let room_path = format!("/api/v1/rooms/{}", show.room.id);
    let board = json!([
        {"round": 1, "performer": show.host, "name": "Host", "average": 80.5, "count": 2, "counts": true},
        {"round": 2, "performer": show.guests[0], "name": "G1", "average": null, "count": 0, "counts": false}
    ]);
    // Results belong to an ended room only; a board too big is refused, and neither is kept.
    srv.put_json(
        &status_path,
        &json!({ "status": "live", "member_count": 3, "results": board }),
        Some(&token),
    )
    .await
    .assert_error(400, "validation_failed");
    let huge: Vec<Value> = (1..=65)
        .map(|n| json!({"round": n, "performer": show.host, "name": "Host", "average": 1.0, "count": 1}))
        .collect();
    srv.put_json(
        &status_path,
        &json!({ "status": "ended", "member_count": 0, "results": huge }),
        Some(&token),
    )
    .await
    .assert_error(400, "validation_failed");
    let live: RoomView = srv.get(&room_path).await.json();
    assert_eq!((live.status, live.results), (RoomStatus::Open, None));

    let reply = srv
        .put_json(
            &status_path,
            &json!({ "status": "ended", "member_count": 0, "results": board }),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let ended: Value = srv.get(&room_path).await.json();
    assert_eq!(ended["status"], "ended");
    assert_eq!(ended["results"], board);
    // A late report without a board keeps the one there.
    srv.put_json(
        &status_path,
        &json!({ "status": "ended", "member_count": 0 }),
        Some(&token),
    )
    .await;
    let again: Value = srv.get(&room_path).await.json();
    assert_eq!(again["results"], board);
});
