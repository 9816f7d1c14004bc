//! The seeding tool (`onair-seed`): a small data set, read back through the HTTP API and
//! compared with what the rows themselves say.

use crate::backend_test;
use crate::common::{now, TestServer};
use diesel::{QueryableByName, RunQueryDsl};
use onair_api_server::config::Database;
use onair_shared::api::{Page, RankingPage, UserProfile, UserSummary};
use onair_shared::auth::Role;
use onair_shared::UserId;
use std::collections::HashMap;

const USERS: u32 = 2000;

#[derive(QueryableByName)]
struct UserRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    display_name: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    banned: bool,
}

#[derive(QueryableByName)]
struct ActRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    performer_id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    average_centi: Option<i32>,
}

#[derive(QueryableByName)]
struct FollowRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    follower_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    followee_id: i64,
}

/// What the rows say, worked out here without the server's counters.
struct Expected {
    names: HashMap<i64, String>,
    /// `(acts, score in hundredths if scored)` per user.
    acts: HashMap<i64, (u32, Option<i64>)>,
    /// `(rank, user, score)`, in ranking order.
    ranking: Vec<(u64, i64, i64)>,
    /// Followers and followees per user, newest follow first.
    followers: HashMap<i64, Vec<i64>>,
    following: HashMap<i64, Vec<i64>>,
}

fn expected(srv: &TestServer) -> Expected {
    let mut conn = srv.db();
    let users: Vec<UserRow> = diesel::sql_query("SELECT id, display_name, banned FROM users")
        .load(&mut conn)
        .unwrap();
    let acts: Vec<ActRow> = diesel::sql_query("SELECT performer_id, average_centi FROM acts")
        .load(&mut conn)
        .unwrap();
    let follows: Vec<FollowRow> =
        diesel::sql_query("SELECT follower_id, followee_id FROM follows ORDER BY id DESC")
            .load(&mut conn)
            .unwrap();
    let mut per_user: HashMap<i64, (u32, Option<i64>)> = HashMap::new();
    for act in &acts {
        let entry = per_user.entry(act.performer_id).or_default();
        entry.0 += 1;
        if let Some(avg) = act.average_centi {
            entry.1 = Some(entry.1.unwrap_or(0) + i64::from(avg));
        }
    }
    let mut order: Vec<(i64, i64)> = users
        .iter()
        .filter(|u| !u.banned)
        .filter_map(|u| Some((u.id, per_user.get(&u.id)?.1?)))
        .collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut ranking = Vec::with_capacity(order.len());
    for (i, (user, score)) in order.iter().enumerate() {
        let rank = match ranking.last() {
            Some(&(rank, _, prev)) if prev == *score => rank,
            _ => i as u64 + 1,
        };
        ranking.push((rank, *user, *score));
    }
    let mut followers: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut following: HashMap<i64, Vec<i64>> = HashMap::new();
    for f in &follows {
        followers
            .entry(f.followee_id)
            .or_default()
            .push(f.follower_id);
        following
            .entry(f.follower_id)
            .or_default()
            .push(f.followee_id);
    }
    Expected {
        names: users
            .iter()
            .map(|u| (u.id, u.display_name.clone()))
            .collect(),
        acts: per_user,
        ranking,
        followers,
        following,
    }
}

/// Runs the real binary on the test server's database.
async fn seed(srv: &TestServer, extra: &[&str]) -> std::process::Output {
    let url = match &srv.config.database {
        Database::Mysql(url) => url.clone(),
        Database::Sqlite(path) => path.display().to_string(),
    };
    let users = USERS.to_string();
    let mut args = vec!["--database-url", &url, "--users", &users, "--seed", "7"];
    args.extend_from_slice(extra);
    let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_onair-seed"))
            .args(&args)
            .output()
            .expect("onair-seed runs")
    })
    .await
    .unwrap()
}

async fn follower_page(srv: &TestServer, user: i64, query: &str) -> Page<UserSummary> {
    let reply = srv
        .get(&format!("/api/v1/users/{user}/followers?{query}"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

backend_test!(seeded_data_reads_back_through_the_api, |srv| {
    let out = seed(&srv, &["--verify"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "onair-seed failed: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2000 users"), "{stdout}");
    assert!(stderr.contains("rows/s"), "progress is reported: {stderr}");

    // A second run refuses the database that now holds data.
    let again = seed(&srv, &[]).await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("--reset"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let exp = expected(&srv);
    assert_eq!(exp.names.len(), USERS as usize);
    assert!(exp.ranking.len() > 100, "{} ranked", exp.ranking.len());

    // The ranking: its total, first page, a middle page and the last page.
    let len = exp.ranking.len();
    for offset in [0, 1, 37, len / 2, len - 100, len - 1] {
        let page: RankingPage = srv
            .get(&format!("/api/v1/rankings?limit=100&offset={offset}"))
            .await
            .json();
        assert_eq!(page.total, len as u64);
        let got: Vec<(u64, i64, i64)> = page
            .items
            .iter()
            .map(|e| {
                (
                    e.rank,
                    e.user.id.0,
                    (e.cumulative_score * 100.0).round() as i64,
                )
            })
            .collect();
        assert_eq!(
            got,
            exp.ranking[offset..(offset + 100).min(len)],
            "offset {offset}"
        );
        for e in &page.items {
            assert_eq!(e.user.name, exp.names[&e.user.id.0]);
            assert_eq!(e.acts, exp.acts[&e.user.id.0].0);
        }
    }

    // Profiles: the most followed user, the top and the last of the ranking, and a spread of
    // others (unranked and banned ones among them).
    let celebrity = *exp
        .followers
        .iter()
        .max_by_key(|(id, f)| (f.len(), -**id))
        .unwrap()
        .0;
    let mut sample = vec![celebrity, exp.ranking[0].1, exp.ranking[len - 1].1];
    sample.extend((1..=i64::from(USERS)).step_by(97));
    let viewer = exp.followers[&celebrity][0];
    let token = srv.token(UserId(viewer), "viewer", Role::User, now(), now() + 600);
    for user in sample {
        let p: UserProfile = srv
            .get_auth(&format!("/api/v1/users/{user}"), &token)
            .await
            .json();
        let (acts, score) = exp.acts.get(&user).copied().unwrap_or_default();
        let rank = exp.ranking.iter().find(|e| e.1 == user).map(|e| e.0);
        let followers = exp.followers.get(&user).map_or(0, Vec::len) as u64;
        let following = exp.following.get(&user).map_or(0, Vec::len) as u64;
        assert_eq!(
            (
                p.name.as_str(),
                p.follower_count,
                p.following_count,
                p.acts,
                (p.cumulative_score * 100.0).round() as i64,
                p.rank
            ),
            (
                exp.names[&user].as_str(),
                followers,
                following,
                acts,
                score.unwrap_or(0),
                rank
            ),
            "user {user}"
        );
        let followed = exp.following[&viewer].contains(&user);
        assert_eq!(p.followed_by_me, followed, "viewer follows {user}?");
    }
    assert!(
        exp.followers[&celebrity].len() > 500,
        "a celebrity is followed by a large share: {}",
        exp.followers[&celebrity].len()
    );

    // The celebrity's followers, newest first: the first page and the next through its cursor.
    let first = follower_page(&srv, celebrity, "limit=100").await;
    let ids = |p: &Page<UserSummary>| p.items.iter().map(|u| u.id.0).collect::<Vec<_>>();
    assert_eq!(ids(&first), exp.followers[&celebrity][..100]);
    let cursor = first.next_cursor.clone().expect("more than one page");
    let second = follower_page(&srv, celebrity, &format!("limit=100&cursor={cursor}")).await;
    assert_eq!(ids(&second), exp.followers[&celebrity][100..200]);
    srv.check_invariants();
});
