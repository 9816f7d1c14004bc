//! The counters kept beside the rows they count: users' follower and following counts, and
//! `ranking_counts` (ranks, the ranking's total, deep offsets). Each is checked against
//! counting the rows, through the API, across the writes that move them.

use crate::backend_test;
use crate::backend_test_fn;
use crate::common::{Backend, ScratchDb, TestServer};
use diesel::connection::SimpleConnection;
use diesel_migrations::MigrationHarness;
use onair_api_server::db::models::{RankingCounts, User};
use onair_api_server::db::{DbConn, MYSQL_MIGRATIONS, SQLITE_MIGRATIONS};
use onair_shared::api::{FollowStatus, LoginResponse, Page, RankingPage, UserProfile, UserSummary};
use onair_shared::UserId;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::HashMap;

const T0: i64 = 1_750_000_000_000;

fn admins(c: &mut onair_api_server::config::ApiConfig) {
    c.admin_users = vec![onair_api_server::config::Identity {
        provider: "dev".into(),
        provider_id: "boss".into(),
    }];
    // Enough connections for the concurrent writes to really overlap.
    c.db_pool_size = 12;
}

async fn profile(srv: &TestServer, user: UserId) -> UserProfile {
    srv.get(&format!("/api/v1/users/{user}")).await.json()
}

/// Every id of a follower or following list, walked page by page.
async fn list(srv: &TestServer, user: UserId, which: &str) -> Vec<UserId> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Page<UserSummary> = srv
            .get(&format!(
                "/api/v1/users/{user}/{which}?limit=3&cursor={cursor}"
            ))
            .await
            .json();
        ids.extend(page.items.iter().map(|u| u.id));
        match page.next_cursor {
            Some(next) => cursor = next,
            None => return ids,
        }
    }
}

/// Each profile's counts are the lengths of its lists.
async fn assert_counts_match_lists(srv: &TestServer, people: &[LoginResponse]) {
    for p in people {
        let profile = profile(srv, p.user.id).await;
        let followers = list(srv, p.user.id, "followers").await;
        let following = list(srv, p.user.id, "following").await;
        assert_eq!(
            (profile.follower_count, profile.following_count),
            (followers.len() as u64, following.len() as u64),
            "{}",
            p.user.name
        );
    }
}

backend_test!(
    follow_counters_stay_right_under_concurrency,
    config = admins,
    |srv| {
        let mut people = Vec::new();
        for i in 0..11 {
            people.push(srv.login(&format!("Fan{i}")).await);
        }
        let star = srv.login("Star").await;
        let star_path = format!("/api/v1/users/{}/follow", star.user.id);

        // Everybody follows the star at once, most of them twice.
        let follows = people
            .iter()
            .chain(people.iter().take(8))
            .map(|p| srv.put_auth(&star_path, Some(&p.token)));
        let replies = futures_util::future::join_all(follows).await;
        assert!(replies.iter().all(|r| r.status == 200), "{replies:?}");
        // And pairs follow each other at the same moment (a→b and b→a lock the same two rows).
        let pairs: Vec<(String, &str)> = (0..5)
            .flat_map(|i| {
                let (a, b) = (&people[2 * i], &people[2 * i + 1]);
                [
                    (
                        format!("/api/v1/users/{}/follow", b.user.id),
                        a.token.as_str(),
                    ),
                    (
                        format!("/api/v1/users/{}/follow", a.user.id),
                        b.token.as_str(),
                    ),
                ]
            })
            .collect();
        let replies = futures_util::future::join_all(
            pairs
                .iter()
                .map(|(path, token)| srv.put_auth(path, Some(token))),
        )
        .await;
        assert!(replies.iter().all(|r| r.status == 200), "{replies:?}");

        let star_profile = profile(&srv, star.user.id).await;
        assert_eq!(
            (star_profile.follower_count, star_profile.following_count),
            (11, 0)
        );
        let mut everyone = people.clone();
        everyone.push(star.clone());
        assert_counts_match_lists(&srv, &everyone).await;
        srv.check_invariants();

        // A ban hides nobody's follows: the counts stay what the lists say.
        let boss = srv.login("Boss").await;
        let reply = srv
            .post_json(
                &format!("/api/v1/admin/users/{}/ban", people[0].user.id),
                &json!({}),
                Some(&boss.token),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(profile(&srv, star.user.id).await.follower_count, 11);
        assert_eq!(profile(&srv, people[0].user.id).await.following_count, 2);

        // The banned one can do nothing any more, unfollowing included (their follow stays).
        srv.delete_auth(&star_path, Some(&people[0].token))
            .await
            .assert_error(403, "banned");
        // Everybody else unfollows at once, some twice; the reply carries the count after it.
        let unfollows = people
            .iter()
            .skip(1)
            .chain(people.iter().skip(5))
            .map(|p| srv.delete_auth(&star_path, Some(&p.token)));
        let replies = futures_util::future::join_all(unfollows).await;
        assert!(replies.iter().all(|r| r.status == 200), "{replies:?}");
        let last = srv.delete_auth(&star_path, Some(&people[3].token)).await;
        assert_eq!(
            last.json::<FollowStatus>(),
            FollowStatus {
                following: false,
                follower_count: 1
            }
        );
        assert_eq!(profile(&srv, star.user.id).await.follower_count, 1);
        assert_counts_match_lists(&srv, &everyone).await;
        srv.check_invariants();
    }
);

/// The ranking as counting says it is: `(rank, user, score in hundredths)` by score desc, id.
fn expected_ranking(scores: &HashMap<UserId, i64>) -> Vec<(u64, UserId, i64)> {
    let mut order: Vec<(UserId, i64)> = scores.iter().map(|(u, s)| (*u, *s)).collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0 .0.cmp(&b.0 .0)));
    order
        .iter()
        .map(|(user, score)| {
            let ahead = order.iter().filter(|(_, s)| s > score).count() as u64;
            (ahead + 1, *user, *score)
        })
        .collect()
}

/// Checks the total, pages at every offset (several limits), and every profile's rank.
async fn assert_ranking(srv: &TestServer, scores: &HashMap<UserId, i64>, everyone: &[UserId]) {
    let expected = expected_ranking(scores);
    for limit in [1usize, 3, 100] {
        let step = if limit == 100 { 100 } else { 1 };
        for offset in (0..=expected.len()).step_by(step) {
            let page: RankingPage = srv
                .get(&format!("/api/v1/rankings?limit={limit}&offset={offset}"))
                .await
                .json();
            assert_eq!(page.total, expected.len() as u64);
            let got: Vec<(u64, UserId, i64)> = page
                .items
                .iter()
                .map(|e| {
                    (
                        e.rank,
                        e.user.id,
                        (e.cumulative_score * 100.0).round() as i64,
                    )
                })
                .collect();
            let end = (offset + limit).min(expected.len());
            assert_eq!(
                got,
                expected[offset.min(end)..end],
                "limit {limit} offset {offset}"
            );
        }
    }
    for user in everyone {
        let rank = expected.iter().find(|e| e.1 == *user).map(|e| e.0);
        assert_eq!(profile(srv, *user).await.rank, rank, "user {user}");
    }
}

backend_test!(ranks_follow_acts_bans_and_unbans, config = admins, |srv| {
    let boss = srv.login("Boss").await;
    let judge = srv.login("Judge").await;
    // A ranked act counts with two scores: a second judge always agrees with the first.
    let judge2 = srv.login("Judge 2").await.user.id;
    let mut people = Vec::new();
    for i in 0..8 {
        people.push(srv.login(&format!("P{i}")).await.user.id);
    }
    let room = srv
        .create_room(&judge.token, json!({ "title": "Finals", "mode": "rank" }))
        .await;
    let mut round = 0;
    let mut scores: HashMap<UserId, i64> = HashMap::new();
    let mut banned: Vec<UserId> = Vec::new();
    let mut act = |performer: UserId, value: u8| {
        round += 1;
        (round, performer, value)
    };
    // Ties, a two-act sum, an unscored act (not ranked).
    let acts = [
        act(people[0], 90),
        act(people[1], 80),
        act(people[1], 10),
        act(people[2], 80),
        act(people[3], 70),
        act(people[4], 70),
        act(people[5], 35),
        act(people[6], 35),
    ];
    for (round, performer, value) in acts {
        let reply = srv
            .report_round(
                room.id,
                round,
                performer,
                &[(judge.user.id, value), (judge2, value)],
                T0,
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        *scores.entry(performer).or_default() += i64::from(value) * 100;
    }
    let reply = srv.report_round(room.id, 100, people[7], &[], T0).await;
    assert_eq!(reply.status, 201);
    assert_ranking(&srv, &scores, &people).await;

    let ban = |user: UserId, on: bool| {
        let path = format!(
            "/api/v1/admin/users/{user}/{}",
            if on { "ban" } else { "unban" }
        );
        let (srv, token) = (&srv, boss.token.clone());
        async move { srv.post_json(&path, &json!({}), Some(&token)).await }
    };
    let visible = |scores: &HashMap<UserId, i64>, banned: &[UserId]| {
        scores
            .iter()
            .filter(|(u, _)| !banned.contains(u))
            .map(|(u, s)| (*u, *s))
            .collect::<HashMap<_, _>>()
    };

    // The leader and one of a tie are banned: everyone behind moves up.
    for user in [people[0], people[3]] {
        assert_eq!(ban(user, true).await.status, 200);
        banned.push(user);
    }
    // Banning twice changes nothing.
    assert_eq!(ban(people[0], true).await.status, 200);
    assert_ranking(&srv, &visible(&scores, &banned), &people).await;
    srv.check_invariants();

    // A banned performer's act still counts for their score, out of sight.
    let reply = srv
        .report_round(
            room.id,
            50,
            people[0],
            &[(judge.user.id, 5), (judge2, 5)],
            T0,
        )
        .await;
    assert_eq!(reply.status, 201);
    *scores.get_mut(&people[0]).unwrap() += 500;
    assert_ranking(&srv, &visible(&scores, &banned), &people).await;

    // Unbanned: back in with the new score; unbanning twice changes nothing.
    assert_eq!(ban(people[0], false).await.status, 200);
    assert_eq!(ban(people[0], false).await.status, 200);
    banned.retain(|u| *u != people[0]);
    assert_ranking(&srv, &visible(&scores, &banned), &people).await;

    // Acts of one performer recorded at once (different rooms) all count.
    let mut rooms = Vec::new();
    for i in 0..6 {
        // One open room per host: each heat has its own.
        let host = srv.login(&format!("Heat host {i}")).await;
        rooms.push(
            srv.create_room(
                &host.token,
                json!({ "title": format!("Heat {i}"), "mode": "rank" }),
            )
            .await
            .id,
        );
    }
    let judged = [(judge.user.id, 60), (judge2, 60)];
    let sends = rooms
        .iter()
        .map(|room| srv.report_round(*room, 1, people[6], &judged, T0));
    let replies = futures_util::future::join_all(sends).await;
    assert!(replies.iter().all(|r| r.status == 201), "{replies:?}");
    *scores.get_mut(&people[6]).unwrap() += 6 * 6000;
    assert_ranking(&srv, &visible(&scores, &banned), &people).await;
    assert_eq!(profile(&srv, people[6]).await.acts, 7);
    srv.check_invariants();
});

backend_test!(
    deep_offsets_and_ranks_match_counting_at_every_scale,
    |srv| {
        // Users straight in the database, with scores spread over every level of ranking_counts
        // (up to 10^9 hundredths), many ties, some banned and some never scored; the counts are
        // moved by the server's own function, as a scored act or an unban would.
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut rows = Vec::new();
        let mut scores: HashMap<UserId, i64> = HashMap::new();
        let mut conn = srv.db();
        for id in 1..=240i64 {
            let score: Option<i64> = match rng.random_range(0..10) {
                0 => None,
                1..=3 => Some(rng.random_range(0..5) * 100),
                4..=6 => Some(rng.random_range(0..100_000)),
                _ => Some(10i64.pow(rng.random_range(2..10)) + rng.random_range(0..1000)),
            };
            let banned = rng.random_bool(0.1);
            rows.push(format!(
                "({id}, 'dev', 'u{id}', 'U{id}', '', 'user', {}, 0, {}, 1, 0, 0)",
                u8::from(banned),
                score.map_or("NULL".to_owned(), |s| s.to_string())
            ));
            if let (Some(score), false) = (score, banned) {
                scores.insert(UserId(id), score);
            }
        }
        srv.sql(&format!(
            "INSERT INTO users (id, provider, provider_id, display_name, intro, role, banned, \
         created_at, score_centi, acts_count, follower_count, following_count) VALUES {}",
            rows.join(", ")
        ));
        for score in scores.values() {
            RankingCounts::moved(&mut conn, None, Some(*score)).unwrap();
        }
        let everyone: Vec<UserId> = (1..=240).map(UserId).collect();
        assert_ranking(&srv, &scores, &everyone).await;

        // A few random deep pages of every size, straight from the model functions too.
        let expected = expected_ranking(&scores);
        for _ in 0..50 {
            let offset = rng.random_range(0..expected.len() + 3);
            let limit = rng.random_range(1..=100usize);
            let page = User::ranking_page(&mut conn, limit as i64, offset as i64).unwrap();
            let got: Vec<(u64, UserId, i64)> = page
                .iter()
                .map(|(rank, u)| (*rank, u.id, u.score_centi.unwrap()))
                .collect();
            let end = (offset + limit).min(expected.len());
            assert_eq!(got, expected[offset.min(end)..end], "{limit} at {offset}");
        }
        for score in [
            0,
            1,
            99,
            100,
            12_345,
            99_999_999,
            100_000_000,
            5_000_000_000,
        ] {
            let above = scores.values().filter(|s| **s > score).count() as u64;
            assert_eq!(
                RankingCounts::above(&mut conn, score).unwrap(),
                above,
                "{score}"
            );
        }
    }
);

async fn counters_migration_counts_existing_rows(backend: Backend) {
    let Some(db) = ScratchDb::create(backend) else {
        return;
    };
    let mut conn = db.conn();
    // The schema as it was before the counters: the first two migrations.
    for _ in 0..2 {
        match &mut conn {
            DbConn::Mysql(c) => c.run_next_migration(MYSQL_MIGRATIONS).map(|_| ()),
            DbConn::Sqlite(c) => c.run_next_migration(SQLITE_MIGRATIONS).map(|_| ()),
        }
        .expect("migrate");
    }
    // Users 1-6: 1 and 2 tie at 90.00, 3 is banned, 4 has a huge score, 5 never scored, 6 at 0.
    conn.batch_execute(
        "INSERT INTO users (id, provider, provider_id, display_name, created_at, banned, \
         score_centi, acts_count) VALUES \
         (1, 'dev', 'a', 'A', 0, FALSE, 9000, 1), (2, 'dev', 'b', 'B', 0, FALSE, 9000, 2), \
         (3, 'dev', 'c', 'C', 0, TRUE, 9500, 1), (4, 'dev', 'd', 'D', 0, FALSE, 123456789, 9), \
         (5, 'dev', 'e', 'E', 0, FALSE, NULL, 1), (6, 'dev', 'f', 'F', 0, FALSE, 0, 1); \
         INSERT INTO follows (follower_id, followee_id, created_at) VALUES \
         (1, 2, 0), (3, 2, 0), (4, 2, 0), (2, 1, 0), (2, 4, 0), (5, 4, 0);",
    )
    .expect("insert the old rows");
    drop(conn);
    // Opening the server's pool runs the rest.
    drop(
        onair_api_server::db::open(&db.database, 1, std::time::Duration::from_secs(10))
            .expect("migrations run"),
    );
    let mut conn = db.conn();
    let counts: Vec<(i64, i64)> = (1..=6)
        .map(|id| {
            let u = User::find(&mut conn, UserId(id)).unwrap().unwrap();
            (u.follower_count, u.following_count)
        })
        .collect();
    assert_eq!(counts, vec![(1, 1), (3, 2), (0, 1), (2, 1), (0, 1), (0, 0)]);
    assert_eq!(User::ranked_total(&mut conn).unwrap(), 4);
    let ranks: Vec<Option<u64>> = (1..=6)
        .map(|id| {
            let u = User::find(&mut conn, UserId(id)).unwrap().unwrap();
            u.rank(&mut conn).unwrap()
        })
        .collect();
    assert_eq!(ranks, vec![Some(2), Some(2), None, Some(1), None, Some(4)]);
    let page = User::ranking_page(&mut conn, 10, 1).unwrap();
    let page: Vec<(u64, i64)> = page.iter().map(|(rank, u)| (*rank, u.id.0)).collect();
    assert_eq!(page, vec![(2, 1), (2, 2), (4, 6)]);
}

backend_test_fn!(
    the_counters_migration_counts_existing_rows,
    counters_migration_counts_existing_rows
);
