//! Profiles, the intro, score history.

use crate::backend_test;
use crate::common::{now, tamper};
use onair_shared::api::{Me, Page, ScoreHistoryItem, UserProfile};
use onair_shared::auth::Role;
use onair_shared::{RoomId, RoundId};
use serde_json::json;

const T0: i64 = 1_750_000_000_000;

backend_test!(a_new_profile_is_empty_but_complete, |srv| {
    let alice = srv.login("Alice").await;
    let reply = srv.get(&format!("/api/v1/users/{}", alice.user.id)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let profile: UserProfile = reply.json();
    assert_eq!(profile.id, alice.user.id);
    assert_eq!(profile.name, "Alice");
    assert_eq!(profile.avatar_url, None);
    assert_eq!(profile.intro, "");
    assert_eq!(profile.follower_count, 0);
    assert_eq!(profile.following_count, 0);
    assert_eq!(profile.cumulative_score, 0.0);
    assert_eq!(profile.rank, None);
    assert_eq!(profile.acts, 0);
    assert!(!profile.followed_by_me);
    assert!((profile.created_at - now()).abs() < 60);
    // The raw JSON has the documented field names.
    let raw: serde_json::Value = reply.json();
    for field in [
        "follower_count",
        "following_count",
        "cumulative_score",
        "rank",
        "acts",
        "followed_by_me",
    ] {
        assert!(raw.get(field).is_some(), "{field} missing: {raw}");
    }

    srv.get("/api/v1/users/424242")
        .await
        .assert_error(404, "user_not_found");
    srv.get("/api/v1/users/alice")
        .await
        .assert_error(400, "bad_request");
});

backend_test!(followed_by_me_depends_on_who_asks, |srv| {
    let alice = srv.login("Alice").await;
    let bob = srv.login("Bob").await;
    let path = format!("/api/v1/users/{}", alice.user.id);
    assert_eq!(
        srv.put_auth(&format!("{path}/follow"), Some(&bob.token))
            .await
            .status,
        200
    );

    let anonymous: UserProfile = srv.get(&path).await.json();
    assert!(!anonymous.followed_by_me);
    assert_eq!(anonymous.follower_count, 1);
    let as_bob: UserProfile = srv.get_auth(&path, &bob.token).await.json();
    assert!(as_bob.followed_by_me);
    let as_alice: UserProfile = srv.get_auth(&path, &alice.token).await.json();
    assert!(!as_alice.followed_by_me, "nobody follows themself");
    let bob_profile: UserProfile = srv
        .get_auth(&format!("/api/v1/users/{}", bob.user.id), &alice.token)
        .await
        .json();
    assert_eq!(bob_profile.following_count, 1);
    assert!(!bob_profile.followed_by_me);

    // A token that is sent must be valid, even where signing in is optional.
    srv.get_auth(&path, &tamper(&bob.token))
        .await
        .assert_error(401, "unauthorized");
    let expired = srv.token(bob.user.id, "Bob", Role::User, now() - 7200, now() - 3600);
    let message = srv
        .get_auth(&path, &expired)
        .await
        .assert_error(401, "unauthorized");
    assert!(message.contains("expired"), "{message}");
});

backend_test!(the_intro_is_one_short_line, |srv| {
    let alice = srv.login("Alice").await;
    let reply = srv
        .patch_json(
            "/api/v1/me",
            &json!({ "intro": "  노래하는 앨리스 🎤  " }),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let me: Me = reply.json();
    assert_eq!(me.intro, "노래하는 앨리스 🎤");
    assert_eq!(me.name, "Alice");
    let profile: UserProfile = srv
        .get(&format!("/api/v1/users/{}", alice.user.id))
        .await
        .json();
    assert_eq!(profile.intro, "노래하는 앨리스 🎤");
    let again: Me = srv.get_auth("/api/v1/me", &alice.token).await.json();
    assert_eq!(again.intro, "노래하는 앨리스 🎤");

    let longest = "가".repeat(150);
    let me: Me = srv
        .patch_json(
            "/api/v1/me",
            &json!({ "intro": longest }),
            Some(&alice.token),
        )
        .await
        .json();
    assert_eq!(me.intro.chars().count(), 150);

    for (intro, hint) in [
        ("가".repeat(151), "150"),
        ("two\nlines".to_owned(), "control"),
        ("tab\there".to_owned(), "control"),
    ] {
        let message = srv
            .patch_json("/api/v1/me", &json!({ "intro": intro }), Some(&alice.token))
            .await
            .assert_error(400, "validation_failed");
        assert!(message.contains(hint), "{intro:?}: {message}");
    }
    let unchanged: Me = srv.get_auth("/api/v1/me", &alice.token).await.json();
    assert_eq!(unchanged.intro, longest);

    // Empty clears it.
    let me: Me = srv
        .patch_json("/api/v1/me", &json!({ "intro": "   " }), Some(&alice.token))
        .await
        .json();
    assert_eq!(me.intro, "");

    srv.patch_json("/api/v1/me", &json!({ "intro": "x" }), None)
        .await
        .assert_error(401, "unauthorized");
    srv.patch_json(
        "/api/v1/me",
        &json!({ "intro": "x" }),
        Some(&tamper(&alice.token)),
    )
    .await
    .assert_error(401, "unauthorized");
    srv.patch_json("/api/v1/me", &json!({ "bio": "x" }), Some(&alice.token))
        .await
        .assert_error(400, "bad_request");
    srv.patch_json("/api/v1/me", &json!({ "intro": 5 }), Some(&alice.token))
        .await
        .assert_error(400, "bad_request");
});

backend_test!(score_history_is_newest_first_and_pages, |srv| {
    let host = srv.login("Host").await;
    let fan = srv.login("Fan").await;
    let other = srv.login("Other").await;
    let room_a = srv
        .create_room(&host.token, json!({ "title": "Room A", "mode": "rank" }))
        .await;
    // One open room per host: the first room's show is over when the second opens.
    srv.sql(&format!(
        "UPDATE rooms SET status = 'ended' WHERE id = {}",
        room_a.id
    ));
    let room_b = srv
        .create_room(&host.token, json!({ "title": "Room B", "mode": "rank" }))
        .await;
    let h = host.user.id;
    let path = format!("/api/v1/users/{h}/scores");

    let empty: Page<ScoreHistoryItem> = srv.get(&path).await.json();
    assert!(empty.items.is_empty());
    assert_eq!(empty.next_cursor, None);

    // Five counted acts (two scores each), reported out of order (as retries can be); two
    // share a closing time. Two more do not count (fewer than two scores): not in the history.
    let (f, o) = (fan.user.id, other.user.id);
    let acts = [
        (room_a.id, 1, T0, vec![(f, 50), (o, 50)]),
        (room_a.id, 3, T0 + 2_000, vec![(f, 70), (o, 71)]),
        (room_b.id, 1, T0 + 2_000, vec![(f, 40), (o, 60)]),
        (room_b.id, 3, T0 + 2_500, vec![]),
        (room_a.id, 2, T0 + 1_000, vec![(f, 60), (o, 60)]),
        (room_b.id, 4, T0 + 2_600, vec![(f, 99)]),
        (room_b.id, 2, T0 + 3_000, vec![(f, 90), (o, 90)]),
    ];
    for (room, round, at, scores) in &acts {
        let reply = srv.report_round(*room, *round, h, scores, *at).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    // Acts by someone else do not show.
    srv.report_round(room_a.id, 4, fan.user.id, &[(h, 10)], T0 + 5_000)
        .await;

    let all: Page<ScoreHistoryItem> = srv.get(&path).await.json();
    assert_eq!(all.next_cursor, None);
    let summary: Vec<(RoomId, u32, i64, Option<f64>, u32)> = all
        .items
        .iter()
        .map(|i| (i.room, i.round.0, i.date, i.average, i.count))
        .collect();
    assert_eq!(
        summary,
        vec![
            (room_b.id, 2, (T0 + 3_000) / 1000, Some(90.0), 2),
            // Same closing time: the later-recorded act first.
            (room_b.id, 1, (T0 + 2_000) / 1000, Some(50.0), 2),
            (room_a.id, 3, (T0 + 2_000) / 1000, Some(70.5), 2),
            (room_a.id, 2, (T0 + 1_000) / 1000, Some(60.0), 2),
            (room_a.id, 1, T0 / 1000, Some(50.0), 2),
        ]
    );
    assert_eq!(all.items[0].room_title, "Room B");
    assert_eq!(all.items[4].room_title, "Room A");
    assert_eq!(all.items[0].round, RoundId(2));

    // Pages of two: 2 + 2 + 1, no gaps or repeats across the tie.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            None => format!("{path}?limit=2"),
            Some(c) => format!("{path}?limit=2&before={c}"),
        };
        let page: Page<ScoreHistoryItem> = srv.get(&url).await.json();
        pages += 1;
        seen.extend(page.items.iter().map(|i| (i.room, i.round)));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        all.items
            .iter()
            .map(|i| (i.room, i.round))
            .collect::<Vec<_>>()
    );
    // Exactly at a page boundary: five in a page of five has no next page.
    let exact: Page<ScoreHistoryItem> = srv.get(&format!("{path}?limit=5")).await.json();
    assert_eq!(exact.items.len(), 5);
    assert_eq!(exact.next_cursor, None);
    let four: Page<ScoreHistoryItem> = srv.get(&format!("{path}?limit=4")).await.json();
    assert!(four.next_cursor.is_some());

    for bad in ["?before=nonsense", "?before=12", "?before=1_0", "?before=_"] {
        srv.get(&format!("{path}{bad}"))
            .await
            .assert_error(400, "invalid_cursor");
    }
    for bad in ["?limit=0", "?limit=101", "?limit=x"] {
        srv.get(&format!("{path}{bad}"))
            .await
            .assert_error(400, "validation_failed");
    }
    srv.get("/api/v1/users/424242/scores")
        .await
        .assert_error(404, "user_not_found");
});
