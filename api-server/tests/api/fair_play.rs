//! Issue 12 on the api-server: one open room per host, the host's close, the idle sweeper,
//! ranked acts that must be earned, bans and roles that take effect at once, rate limits.

use crate::backend_test;
use crate::common::{now, TestServer};
use base64::Engine;
use onair_api_server::config::{Identity, RateLimits};
use onair_shared::api::{
    ClientConfig, ModerationFeed, ModerationKind, RankingPage, RoomView, RoundRecorded,
    TicketResponse,
};
use onair_shared::auth::{Role, TicketClaims};
use onair_shared::room::{CloseReason, RoomStatus};
use onair_shared::{RoomId, UserId};
use serde_json::json;
use std::time::{Duration, Instant};

fn admins(c: &mut onair_api_server::config::ApiConfig) {
    c.admin_users = vec![Identity {
        provider: "dev".into(),
        provider_id: "boss".into(),
    }];
}

/// The claims inside a ticket (the room-server verifies the signature; here we only read).
fn claims(ticket: &TicketResponse) -> TicketClaims {
    let payload = ticket.ticket.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn ticket(srv: &TestServer, room: RoomId, token: &str) -> TicketResponse {
    let reply = srv
        .post_json(
            &format!("/api/v1/rooms/{room}/ticket"),
            &json!({}),
            Some(token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

async fn moderation(srv: &TestServer, after: Option<i64>) -> ModerationFeed {
    let path = match after {
        Some(a) => format!("/internal/v1/moderation?after={a}"),
        None => "/internal/v1/moderation".to_owned(),
    };
    let reply = srv.get_auth(&path, &srv.service_token()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

backend_test!(one_open_room_per_host_and_the_host_closes_it, |srv| {
    let alice = srv.login("Alice").await;
    let bob = srv.login("Bob").await;
    let first = srv
        .create_room(&alice.token, json!({ "title": "Mine" }))
        .await;
    let reply = srv
        .post_json(
            "/api/v1/rooms",
            &json!({ "title": "Spam" }),
            Some(&alice.token),
        )
        .await;
    let message = reply.assert_error(409, "room_already_open");
    assert!(message.contains(&first.id.to_string()), "{message}");
    let body: serde_json::Value = reply.json();
    assert_eq!(
        body["error"]["room"],
        json!(first.id),
        "it names the open room"
    );

    // Only its host closes it; then a new one can open.
    srv.post_json(
        &format!("/api/v1/rooms/{}/close", first.id),
        &json!({}),
        Some(&bob.token),
    )
    .await
    .assert_error(403, "not_room_host");
    let reply = srv
        .post_json(
            &format!("/api/v1/rooms/{}/close", first.id),
            &json!({}),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json::<RoomView>().status, RoomStatus::Ended);
    // Idempotent, and the room-servers hear of it once.
    let again = srv
        .post_json(
            &format!("/api/v1/rooms/{}/close", first.id),
            &json!({}),
            Some(&alice.token),
        )
        .await;
    assert_eq!(again.status, 200);
    let feed = moderation(&srv, None).await;
    assert_eq!(
        feed.events
            .iter()
            .map(|e| e.kind.clone())
            .collect::<Vec<_>>(),
        [ModerationKind::RoomClosed {
            room: first.id,
            reason: CloseReason::Host
        }]
    );
    srv.post_json(
        &format!("/api/v1/rooms/{}/ticket", first.id),
        &json!({}),
        Some(&bob.token),
    )
    .await
    .assert_error(409, "room_ended");
    let second = srv
        .create_room(&alice.token, json!({ "title": "Mine again" }))
        .await;
    assert_ne!(second.id, first.id);
    // A room whose show ended (reported by the room-server) does not block either.
    srv.internal_put(
        &format!("/internal/v1/rooms/{}/status", second.id),
        &json!({ "status": "ended", "member_count": 0 }),
    )
    .await;
    srv.create_room(&alice.token, json!({ "title": "Third" }))
        .await;
    // Concurrent creations by one host: exactly one opens.
    let carol = srv.login("Carol").await;
    let bodies: Vec<serde_json::Value> = (0..6)
        .map(|i| json!({ "title": format!("r{i}") }))
        .collect();
    let tries = bodies
        .iter()
        .map(|body| srv.post_json("/api/v1/rooms", body, Some(&carol.token)));
    let replies = futures_util::future::join_all(tries).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
});

backend_test!(
    rooms_left_empty_or_never_opened_close_after_the_idle_time,
    config = |c| c.fair_play.room_idle_secs = 1,
    |srv| {
        let alice = srv.login("Alice").await;
        let never = srv
            .create_room(&alice.token, json!({ "title": "Nobody came" }))
            .await;
        let bob = srv.login("Bob").await;
        let busy = srv
            .create_room(&bob.token, json!({ "title": "Busy" }))
            .await;
        // The room-server keeps reporting the busy room with people in it.
        let start = Instant::now();
        loop {
            srv.internal_put(
                &format!("/internal/v1/rooms/{}/status", busy.id),
                &json!({ "status": "open", "member_count": 2 }),
            )
            .await;
            let view: RoomView = srv.get(&format!("/api/v1/rooms/{}", never.id)).await.json();
            if view.status == RoomStatus::Ended {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(6), "never swept");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let busy_now: RoomView = srv.get(&format!("/api/v1/rooms/{}", busy.id)).await.json();
        assert_eq!(
            busy_now.status,
            RoomStatus::Open,
            "a room with people stays"
        );
        // The room-servers are told, and the host may open another.
        let feed = moderation(&srv, None).await;
        assert!(feed.events.iter().any(|e| e.kind
            == ModerationKind::RoomClosed {
                room: never.id,
                reason: CloseReason::Idle
            }));
        srv.create_room(&alice.token, json!({ "title": "Again" }))
            .await;
    }
);

backend_test!(
    the_moderation_feed_pages_from_a_cursor,
    config = admins,
    |srv| {
        let boss = srv.login("Boss").await;
        let users: Vec<_> =
            futures_util::future::join_all(["U1", "U2", "U3"].into_iter().map(|n| srv.login(n)))
                .await;
        let start = moderation(&srv, None).await;
        assert!(start.events.is_empty());
        for u in &users {
            srv.post_json(
                &format!("/api/v1/admin/users/{}/ban", u.user.id),
                &json!({}),
                Some(&boss.token),
            )
            .await;
        }
        srv.post_json(
            &format!("/api/v1/admin/users/{}/unban", users[0].user.id),
            &json!({}),
            Some(&boss.token),
        )
        .await;
        let all = moderation(&srv, Some(start.next)).await;
        let kinds: Vec<ModerationKind> = all.events.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                ModerationKind::Banned {
                    user: users[0].user.id
                },
                ModerationKind::Banned {
                    user: users[1].user.id
                },
                ModerationKind::Banned {
                    user: users[2].user.id
                },
                ModerationKind::Unbanned {
                    user: users[0].user.id
                },
            ]
        );
        let rest = moderation(&srv, Some(all.events[1].id)).await;
        assert_eq!(rest.events.len(), 2);
        let none = moderation(&srv, Some(all.next)).await;
        assert!(none.events.is_empty());
        assert_eq!(none.next, all.next, "the cursor stays where it is");
        srv.get_auth("/internal/v1/moderation?after=x", &srv.service_token())
            .await
            .assert_error(400, "validation_failed");
        srv.get_auth("/internal/v1/moderation", &boss.token)
            .await
            .assert_error(401, "unauthorized");
    }
);

backend_test!(
    a_ban_takes_effect_on_every_route_at_once,
    config = |c| {
        admins(c);
        c.turn = Some(onair_api_server::config::TurnConfig {
            urls: vec!["turn:127.0.0.1:3478".into()],
            secret: onair_api_server::config::Secret::new("turn-secret-turn-secret-turn-secret!"),
            ttl_secs: 3600,
        });
    },
    |srv| {
        let boss = srv.login("Boss").await;
        let mallory = srv.login("Mallory").await;
        let star = srv.login("Star").await;
        let config: ClientConfig = srv.get_auth("/api/v1/config", &mallory.token).await.json();
        assert_eq!(
            config.ice_servers.len(),
            2,
            "TURN credentials while in good standing"
        );
        srv.post_json(
            &format!("/api/v1/admin/users/{}/ban", mallory.user.id),
            &json!({}),
            Some(&boss.token),
        )
        .await;
        // The 7-day login token from before the ban is refused everywhere, at once.
        srv.patch_json(
            "/api/v1/me",
            &json!({ "intro": "still here" }),
            Some(&mallory.token),
        )
        .await
        .assert_error(403, "banned");
        srv.get_auth("/api/v1/me", &mallory.token)
            .await
            .assert_error(403, "banned");
        srv.put_auth(
            &format!("/api/v1/users/{}/follow", star.user.id),
            Some(&mallory.token),
        )
        .await
        .assert_error(403, "banned");
        let config: ClientConfig = srv.get_auth("/api/v1/config", &mallory.token).await.json();
        assert_eq!(
            config.ice_servers.len(),
            1,
            "no TURN credentials for a banned account"
        );
        // Unbanned: back at once.
        srv.post_json(
            &format!("/api/v1/admin/users/{}/unban", mallory.user.id),
            &json!({}),
            Some(&boss.token),
        )
        .await;
        assert_eq!(srv.get_auth("/api/v1/me", &mallory.token).await.status, 200);
    }
);

backend_test!(
    no_admin_unbans_or_promotes_themselves,
    config = |c| {
        c.admin_users = vec![
            Identity {
                provider: "dev".into(),
                provider_id: "boss".into(),
            },
            Identity {
                provider: "dev".into(),
                provider_id: "deputy".into(),
            },
        ];
    },
    |srv| {
        let boss = srv.login("Boss").await;
        let deputy = srv.login("Deputy").await;
        srv.post_json(
            &format!("/api/v1/admin/users/{}/ban", deputy.user.id),
            &json!({}),
            Some(&boss.token),
        )
        .await;
        // A banned admin's token does nothing, lifting their own ban included.
        srv.post_json(
            &format!("/api/v1/admin/users/{}/unban", deputy.user.id),
            &json!({}),
            Some(&deputy.token),
        )
        .await
        .assert_error(403, "banned");
        // Nor does an admin in good standing touch their own ban.
        srv.post_json(
            &format!("/api/v1/admin/users/{}/unban", boss.user.id),
            &json!({}),
            Some(&boss.token),
        )
        .await
        .assert_error(400, "cannot_ban_self");
        // A user token claiming the admin role (the role is read from the database, not the token).
        let user = srv.login("Plain").await;
        let forged = srv.token(user.user.id, "Plain", Role::Admin, now(), now() + 3600);
        srv.get_auth("/api/v1/admin/rooms", &forged)
            .await
            .assert_error(403, "forbidden");
    }
);

/// A demoted admin loses the role the moment the server starts with the new list, whatever
/// their token says.
mod a_demoted_admin_loses_the_role_at_once {
    use super::*;
    use crate::common::{Backend, ScratchDb};

    async fn run(backend: Backend) {
        let Some(db) = ScratchDb::create(backend) else {
            return;
        };
        let database = db.database.clone();
        let secret = onair_api_server::config::Secret::generate();
        let start = |admin: bool| {
            let (database, secret) = (database.clone(), secret.clone());
            TestServer::start(backend, move |c| {
                c.database = database;
                c.jwt_secret = secret;
                if admin {
                    admins(c);
                }
            })
        };
        let srv = start(true).await.unwrap();
        let boss = srv.login("Boss").await;
        assert_eq!(boss.user.role, Role::Admin);
        assert_eq!(
            srv.get_auth("/api/v1/admin/rooms", &boss.token)
                .await
                .status,
            200
        );
        srv.stop().await;
        // Taken off ONAIR_ADMIN_USERS: the same token is a user's now.
        let srv = start(false).await.unwrap();
        srv.get_auth("/api/v1/admin/rooms", &boss.token)
            .await
            .assert_error(403, "forbidden");
        let me: onair_shared::api::Me = srv.get_auth("/api/v1/me", &boss.token).await.json();
        assert_eq!(me.role, Role::User);
        srv.stop().await;
    }

    #[actix_web::test]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[actix_web::test]
    async fn mysql() {
        run(Backend::Mysql).await;
    }
}

backend_test!(
    tickets_are_single_use_and_say_where_a_member_stands,
    config = |c| {
        c.fair_play.ranked_acts_per_day = 2;
        c.fair_play.ranked_min_account_age_secs = 3600;
    },
    |srv| {
        let host = srv.login("Host").await;
        let ranked = srv
            .create_room(&host.token, json!({ "title": "r", "mode": "rank" }))
            .await;
        let a = ticket(&srv, ranked.id, &host.token).await;
        let b = ticket(&srv, ranked.id, &host.token).await;
        let (ca, cb) = (claims(&a), claims(&b));
        assert_ne!(ca.jti, cb.jti, "every ticket has its own id");
        assert_eq!(ca.jti.len(), 32);
        assert_eq!(ca.room.created_at, ranked.created_at);
        let standing = ca
            .ranked
            .expect("a ranked room's ticket says where the member stands");
        assert!(standing.act_counts);
        assert!(
            !standing.scores_count,
            "an account minutes old does not score yet"
        );
        // An hour-old account scores; two counted acts today use up the limit.
        srv.sql(&format!(
            "UPDATE users SET created_at = created_at - 7200 WHERE id = {}",
            host.user.id
        ));
        let (s1, s2) = (srv.login("S1").await.user.id, srv.login("S2").await.user.id);
        srv.sql(&format!(
            "UPDATE users SET created_at = created_at - 7200 WHERE id IN ({s1}, {s2})"
        ));
        let now_ms = now() * 1000;
        for round in 1..=2 {
            let reply = srv
                .report_round(
                    ranked.id,
                    round,
                    host.user.id,
                    &[(s1, 80), (s2, 60)],
                    now_ms,
                )
                .await;
            assert!(reply.json::<RoundRecorded>().counted);
        }
        let standing = claims(&ticket(&srv, ranked.id, &host.token).await)
            .ranked
            .unwrap();
        assert_eq!((standing.act_counts, standing.scores_count), (false, true));
        let normal_host = srv.login("Other").await;
        let normal = srv
            .create_room(&normal_host.token, json!({ "title": "n" }))
            .await;
        assert_eq!(
            claims(&ticket(&srv, normal.id, &host.token).await).ranked,
            None
        );
    }
);

backend_test!(
    ranked_acts_count_only_when_earned,
    config = |c| {
        c.fair_play.ranked_acts_per_day = 5;
        c.fair_play.ranked_min_account_age_secs = 3600;
    },
    |srv| {
        let performer = srv.login("Performer").await.user.id;
        let old: Vec<UserId> = {
            let mut ids = Vec::new();
            for n in ["Old1", "Old2"] {
                ids.push(srv.login(n).await.user.id);
            }
            ids
        };
        let fresh = srv.login("Fresh").await.user.id;
        srv.sql(&format!(
            "UPDATE users SET created_at = created_at - 86400 WHERE id IN ({}, {})",
            old[0], old[1]
        ));
        let now_ms = now() * 1000;
        // One room per act (one open room per host): seven hosts.
        let mut rooms = Vec::new();
        for i in 0..8 {
            let host = srv.login(&format!("Host {i}")).await;
            rooms.push(
                srv.create_room(&host.token, json!({ "title": "r", "mode": "rank" }))
                    .await
                    .id,
            );
        }
        // A fresh account's score does not count: one old scorer and one fresh is not two.
        let reply = srv
            .report_round(
                rooms[0],
                1,
                performer,
                &[(old[0], 100), (fresh, 100)],
                now_ms,
            )
            .await;
        assert_eq!(reply.status, 201);
        assert!(!reply.json::<RoundRecorded>().counted);
        // Seven acts at once, each with two old scorers: exactly five count (the daily limit).
        let judged = [(old[0], 90), (old[1], 70)];
        let sends = rooms[1..8]
            .iter()
            .map(|room| srv.report_round(*room, 1, performer, &judged, now_ms));
        let replies = futures_util::future::join_all(sends).await;
        let counted = replies
            .iter()
            .filter(|r| r.status == 201 && r.json::<RoundRecorded>().counted)
            .count();
        assert_eq!(counted, 5, "{replies:?}");
        let ranking: RankingPage = srv.get("/api/v1/rankings").await.json();
        assert_eq!(ranking.items.len(), 1);
        assert_eq!(
            (ranking.items[0].acts, ranking.items[0].cumulative_score),
            (5, 400.0)
        );
        // Acts from yesterday do not use today's limit.
        let yesterday = now_ms - 25 * 3600 * 1000;
        let host = srv.login("Host yesterday").await;
        let room = srv
            .create_room(&host.token, json!({ "title": "y", "mode": "rank" }))
            .await;
        let reply = srv
            .report_round(
                room.id,
                1,
                old[0],
                &[(old[1], 50), (performer, 50)],
                yesterday,
            )
            .await;
        assert_eq!(reply.status, 201);
        srv.check_invariants();
    }
);

backend_test!(
    room_creation_tickets_and_logins_are_rate_limited,
    config = |c| {
        c.rate_limits = RateLimits {
            rooms_per_hour: 2,
            tickets_per_minute: 3,
            logins_per_minute: 2,
        };
    },
    |srv| {
        // Logins: two per account name a minute, ten per address.
        srv.login("Alice").await;
        srv.login("Alice").await;
        let reply = srv
            .post_json("/api/v1/auth/dev", &json!({ "name": "alice" }), None)
            .await;
        reply.assert_error(429, "rate_limited");
        let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let body: serde_json::Value = reply.json();
        assert_eq!(body["error"]["retry_after"], json!(wait));
        // Every attempt from this address counts (the refused one too): 3 + 7 is its ten.
        let mut people = Vec::new();
        for i in 0..7 {
            people.push(srv.login(&format!("P{i}")).await);
        }
        srv.post_json("/api/v1/auth/dev", &json!({ "name": "Q" }), None)
            .await
            .assert_error(429, "rate_limited");
        // Rooms: two an hour per user (closing one to open another does not get around it).
        let p = &people[0];
        for _ in 0..2 {
            let room = srv.create_room(&p.token, json!({ "title": "r" })).await;
            srv.post_json(
                &format!("/api/v1/rooms/{}/close", room.id),
                &json!({}),
                Some(&p.token),
            )
            .await;
        }
        srv.post_json("/api/v1/rooms", &json!({ "title": "r" }), Some(&p.token))
            .await
            .assert_error(429, "rate_limited");
        // Tickets: three a minute per user; another user is not held back.
        let room = srv
            .create_room(&people[1].token, json!({ "title": "t" }))
            .await;
        for _ in 0..3 {
            ticket(&srv, room.id, &people[2].token).await;
        }
        srv.post_json(
            &format!("/api/v1/rooms/{}/ticket", room.id),
            &json!({}),
            Some(&people[2].token),
        )
        .await
        .assert_error(429, "rate_limited");
        ticket(&srv, room.id, &people[3].token).await;
    }
);

backend_test!(
    the_client_address_comes_from_forwarded_for_only_through_a_trusted_proxy,
    config = |c| {
        c.rate_limits = RateLimits {
            rooms_per_hour: 100,
            tickets_per_minute: 100,
            logins_per_minute: 1,
        };
    },
    |srv| {
        // Not behind a trusted proxy: a client inventing X-Forwarded-For is still itself.
        let login = |name: &str, forwarded: &str| {
            let request = srv
                .http
                .post(srv.url("/api/v1/auth/dev"))
                .header("x-forwarded-for", forwarded.to_owned())
                .json(&json!({ "name": name }));
            srv.send(request)
        };
        let mut statuses = Vec::new();
        for i in 0..8 {
            statuses.push(
                login(&format!("N{i}"), &format!("198.51.100.{i}"))
                    .await
                    .status,
            );
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 429).count(),
            3,
            "{statuses:?}"
        );
    }
);

backend_test!(
    behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit,
    config = |c| {
        c.rate_limits = RateLimits {
            rooms_per_hour: 100,
            tickets_per_minute: 100,
            logins_per_minute: 1,
        };
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    },
    |srv| {
        for i in 0..8 {
            let request = srv
                .http
                .post(srv.url("/api/v1/auth/dev"))
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .json(&json!({ "name": format!("N{i}") }));
            assert_eq!(srv.send(request).await.status, 200);
        }
    }
);
