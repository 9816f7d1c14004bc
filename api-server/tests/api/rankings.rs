//! The global ranking.

use crate::backend_test;
use crate::common::TestServer;
use onair_shared::api::{LoginResponse, RankingPage, UserProfile};
use onair_shared::{RoomId, UserId};
use serde_json::json;

const T0: i64 = 1_750_000_000_000;

/// Gives each performer one ranked act scored `value` by a judge (and a second judge who
/// always agrees: a ranked act counts with two scores).
async fn score(
    srv: &TestServer,
    room: RoomId,
    round: u32,
    performer: UserId,
    judge: UserId,
    value: u8,
) {
    let second = srv.login("Second judge").await.user.id;
    let reply = srv
        .report_round(
            room,
            round,
            performer,
            &[(judge, value), (second, value)],
            T0 + i64::from(round),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

async fn users(srv: &TestServer, names: &[&str]) -> Vec<LoginResponse> {
    let mut out = Vec::new();
    for name in names {
        out.push(srv.login(name).await);
    }
    out
}

backend_test!(ties_share_a_rank_and_pages_keep_ranks, |srv| {
    let empty: RankingPage = srv.get("/api/v1/rankings").await.json();
    assert!(empty.items.is_empty());
    assert_eq!(empty.total, 0);

    let people = users(
        &srv,
        &["Judge", "A", "B", "C", "D", "E", "Idle", "Unscored"],
    )
    .await;
    let judge = people[0].user.id;
    let room = srv
        .create_room(
            &people[0].token,
            json!({ "title": "Finals", "mode": "rank" }),
        )
        .await;
    // A: 90; B: 80 + 10 = 90 (tie with A); C: 80; D: 70; E: 70 (tie with D).
    let id = |i: usize| people[i].user.id;
    score(&srv, room.id, 1, id(1), judge, 90).await;
    score(&srv, room.id, 2, id(2), judge, 80).await;
    score(&srv, room.id, 3, id(2), judge, 10).await;
    score(&srv, room.id, 4, id(3), judge, 80).await;
    score(&srv, room.id, 5, id(4), judge, 70).await;
    score(&srv, room.id, 6, id(5), judge, 70).await;
    // An act nobody scored does not put a user in the ranking.
    let reply = srv.report_round(room.id, 7, id(7), &[], T0).await;
    assert_eq!(reply.status, 201);

    let page: RankingPage = srv.get("/api/v1/rankings").await.json();
    assert_eq!(page.total, 5, "only users with a scored ranked act");
    let rows: Vec<(u64, String, f64, u32)> = page
        .items
        .iter()
        .map(|e| (e.rank, e.user.name.clone(), e.cumulative_score, e.acts))
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, "A".to_owned(), 90.0, 1),
            (1, "B".to_owned(), 90.0, 2),
            (3, "C".to_owned(), 80.0, 1),
            (4, "D".to_owned(), 70.0, 1),
            (4, "E".to_owned(), 70.0, 1),
        ]
    );

    // Page boundaries inside a tie keep the shared rank.
    let mut pages: Vec<RankingPage> = Vec::new();
    for offset in 0..6 {
        pages.push(
            srv.get(&format!("/api/v1/rankings?limit=1&offset={offset}"))
                .await
                .json(),
        );
    }
    let ranks: Vec<u64> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|e| e.rank))
        .collect();
    assert_eq!(ranks, vec![1, 1, 3, 4, 4]);
    assert!(pages[5].items.is_empty(), "past the end");
    assert!(pages.iter().all(|p| p.total == 5));
    let tail: RankingPage = srv.get("/api/v1/rankings?limit=2&offset=3").await.json();
    assert_eq!(
        tail.items
            .iter()
            .map(|e| (e.rank, e.user.name.as_str()))
            .collect::<Vec<_>>(),
        vec![(4, "D"), (4, "E")]
    );

    // Profiles agree with the ranking.
    for (i, rank) in [
        (1, Some(1)),
        (2, Some(1)),
        (3, Some(3)),
        (5, Some(4)),
        (6, None),
        (7, None),
    ] {
        let p: UserProfile = srv.get(&format!("/api/v1/users/{}", id(i))).await.json();
        assert_eq!(p.rank, rank, "{}", p.name);
    }

    // A new act breaks the tie.
    score(&srv, room.id, 8, id(4), judge, 25).await;
    let page: RankingPage = srv.get("/api/v1/rankings?limit=3").await.json();
    assert_eq!(
        page.items
            .iter()
            .map(|e| (e.rank, e.user.name.as_str(), e.cumulative_score))
            .collect::<Vec<_>>(),
        vec![(1, "D", 95.0), (2, "A", 90.0), (2, "B", 90.0)]
    );
    srv.check_invariants();

    for bad in [
        "?limit=0",
        "?limit=101",
        "?offset=-1",
        "?offset=abc",
        "?limit=2.5",
    ] {
        srv.get(&format!("/api/v1/rankings{bad}"))
            .await
            .assert_error(400, "validation_failed");
    }
});

backend_test!(
    banned_users_leave_the_ranking,
    config = |c| c.admin_users = vec![onair_api_server::config::Identity {
        provider: "dev".into(),
        provider_id: "judge".into(),
    }],
    |srv| {
        let people = users(&srv, &["Judge", "Cheater", "Honest"]).await;
        let room = srv
            .create_room(&people[0].token, json!({ "title": "r", "mode": "rank" }))
            .await;
        let judge = people[0].user.id;
        score(&srv, room.id, 1, people[1].user.id, judge, 100).await;
        score(&srv, room.id, 2, people[2].user.id, judge, 50).await;
        let admin = srv.login("Judge").await.token;
        let reply = srv
            .post_json(
                &format!("/api/v1/admin/users/{}/ban", people[1].user.id),
                &json!({}),
                Some(&admin),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let page: RankingPage = srv.get("/api/v1/rankings").await.json();
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].user.name, "Honest");
        assert_eq!(page.items[0].rank, 1);
        // Unbanned: back in, with the score kept.
        srv.post_json(
            &format!("/api/v1/admin/users/{}/unban", people[1].user.id),
            &json!({}),
            Some(&admin),
        )
        .await;
        let page: RankingPage = srv.get("/api/v1/rankings").await.json();
        assert_eq!(page.total, 2);
        assert_eq!(page.items[0].user.name, "Cheater");
        assert_eq!(page.items[0].cumulative_score, 100.0);
        srv.check_invariants();
    }
);
