//! Admin calls: role from ONAIR_ADMIN_USERS at login, carried in the token.

use crate::backend_test;
use crate::common::{now, tamper};
use onair_api_server::config::Identity;
use onair_shared::api::{BanStatus, Me, Page, RoomList, RoomView};
use onair_shared::auth::Role;
use onair_shared::room::RoomStatus;
use serde_json::json;

fn admins(c: &mut onair_api_server::config::ApiConfig) {
    c.admin_users = vec![Identity {
        provider: "dev".into(),
        provider_id: "boss".into(),
    }];
}

backend_test!(
    admin_role_comes_from_the_configuration,
    config = admins,
    |srv| {
        let boss = srv.login("Boss").await;
        assert_eq!(boss.user.role, Role::Admin);
        let me: Me = srv.get_auth("/api/v1/me", &boss.token).await.json();
        assert_eq!(me.role, Role::Admin);
        let alice = srv.login("Alice").await;
        assert_eq!(alice.user.role, Role::User);

        // Someone made admin by hand in the database is demoted at their next login: the list
        // is the source of truth.
        srv.sql(&format!(
            "UPDATE users SET role = 'admin' WHERE id = {}",
            alice.user.id
        ));
        assert_eq!(srv.login("Alice").await.user.role, Role::User);
    }
);

backend_test!(admin_calls_refuse_everyone_else, config = admins, |srv| {
    let boss = srv.login("Boss").await;
    let alice = srv.login("Alice").await;
    let room = srv.create_room(&alice.token, json!({ "title": "r" })).await;
    let calls = [
        ("GET", "/api/v1/admin/rooms".to_owned()),
        ("POST", format!("/api/v1/admin/rooms/{}/close", room.id)),
        ("POST", format!("/api/v1/admin/users/{}/ban", boss.user.id)),
        (
            "POST",
            format!("/api/v1/admin/users/{}/unban", boss.user.id),
        ),
    ];
    // A user token claiming admin but signed with another key, an expired admin token.
    let expired_admin = srv.token(
        boss.user.id,
        "Boss",
        Role::Admin,
        now() - 7200,
        now() - 3600,
    );
    for (method, path) in &calls {
        let send = |token: Option<String>| {
            let mut request = match *method {
                "GET" => srv.http.get(srv.url(path)),
                _ => srv.http.post(srv.url(path)),
            };
            if let Some(t) = token {
                request = request.bearer_auth(t);
            }
            srv.send(request)
        };
        send(None).await.assert_error(401, "unauthorized");
        send(Some(tamper(&boss.token)))
            .await
            .assert_error(401, "unauthorized");
        send(Some(expired_admin.clone()))
            .await
            .assert_error(401, "unauthorized");
        let message = send(Some(alice.token.clone()))
            .await
            .assert_error(403, "forbidden");
        assert!(message.contains("admin"), "{message}");
    }
    // Nothing happened.
    let view: RoomView = srv.get(&format!("/api/v1/rooms/{}", room.id)).await.json();
    assert_eq!(view.status, RoomStatus::Open);
});

backend_test!(admins_list_and_close_rooms, config = admins, |srv| {
    let boss = srv.login("Boss").await;
    let alice = srv.login("Alice").await;
    let mut rooms = Vec::new();
    for i in 0..5 {
        // One open room per host: five hosts.
        let host = if i == 0 {
            alice.clone()
        } else {
            srv.login(&format!("Alice {i}")).await
        };
        rooms.push(
            srv.create_room(&host.token, json!({ "title": format!("Room {i}") }))
                .await,
        );
    }
    let closed = &rooms[1];
    let reply = srv
        .post_json(
            &format!("/api/v1/admin/rooms/{}/close", closed.id),
            &json!({}),
            Some(&boss.token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json::<RoomView>().status, RoomStatus::Ended);
    // Idempotent.
    let again = srv
        .post_json(
            &format!("/api/v1/admin/rooms/{}/close", closed.id),
            &json!({}),
            Some(&boss.token),
        )
        .await;
    assert_eq!(again.status, 200);

    // Closed: out of the catalogue, no tickets.
    let catalogue: RoomList = srv.get("/api/v1/rooms").await.json();
    assert_eq!(catalogue.rooms.len(), 4);
    assert!(!catalogue.rooms.iter().any(|r| r.id == closed.id));
    srv.post_json(
        &format!("/api/v1/rooms/{}/ticket", closed.id),
        &json!({}),
        Some(&alice.token),
    )
    .await
    .assert_error(409, "room_ended");

    // The admin list has every room, newest first, in pages.
    let all: Page<RoomView> = srv
        .get_auth("/api/v1/admin/rooms", &boss.token)
        .await
        .json();
    assert_eq!(
        all.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        rooms.iter().rev().map(|r| r.id).collect::<Vec<_>>()
    );
    assert_eq!(all.next_cursor, None);
    let first: Page<RoomView> = srv
        .get_auth("/api/v1/admin/rooms?limit=3", &boss.token)
        .await
        .json();
    let rest: Page<RoomView> = srv
        .get_auth(
            &format!(
                "/api/v1/admin/rooms?limit=3&cursor={}",
                first.next_cursor.unwrap()
            ),
            &boss.token,
        )
        .await
        .json();
    assert_eq!(rest.items.len(), 2);
    assert_eq!(rest.next_cursor, None);
    let ended: Page<RoomView> = srv
        .get_auth("/api/v1/admin/rooms?status=ended", &boss.token)
        .await
        .json();
    assert_eq!(ended.items.len(), 1);
    assert_eq!(ended.items[0].id, closed.id);
    srv.get_auth("/api/v1/admin/rooms?cursor=zzz", &boss.token)
        .await
        .assert_error(400, "invalid_cursor");
    srv.get_auth("/api/v1/admin/rooms?status=closed", &boss.token)
        .await
        .assert_error(400, "validation_failed");
    srv.post_json(
        "/api/v1/admin/rooms/999999/close",
        &json!({}),
        Some(&boss.token),
    )
    .await
    .assert_error(404, "room_not_found");
});

backend_test!(
    a_banned_user_cannot_log_in_or_join,
    config = admins,
    |srv| {
        let boss = srv.login("Boss").await;
        let mallory = srv.login("Mallory").await;
        let room = srv.create_room(&boss.token, json!({ "title": "r" })).await;
        let ban = format!("/api/v1/admin/users/{}/ban", mallory.user.id);

        let reply = srv.post_json(&ban, &json!({}), Some(&boss.token)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.json::<BanStatus>(),
            BanStatus {
                user: mallory.user.id,
                banned: true
            }
        );
        srv.post_json("/api/v1/auth/dev", &json!({ "name": "Mallory" }), None)
            .await
            .assert_error(403, "banned");
        // The token issued before the ban no longer gets tickets or rooms.
        srv.post_json(
            &format!("/api/v1/rooms/{}/ticket", room.id),
            &json!({}),
            Some(&mallory.token),
        )
        .await
        .assert_error(403, "banned");
        srv.post_json(
            "/api/v1/rooms",
            &json!({ "title": "x" }),
            Some(&mallory.token),
        )
        .await
        .assert_error(403, "banned");

        let unban = format!("/api/v1/admin/users/{}/unban", mallory.user.id);
        let reply = srv.post_json(&unban, &json!({}), Some(&boss.token)).await;
        assert!(!reply.json::<BanStatus>().banned);
        let back = srv.login("Mallory").await;
        assert_eq!(back.user.id, mallory.user.id);

        srv.post_json(
            &format!("/api/v1/admin/users/{}/ban", boss.user.id),
            &json!({}),
            Some(&boss.token),
        )
        .await
        .assert_error(400, "cannot_ban_self");
        srv.post_json(
            "/api/v1/admin/users/999999/ban",
            &json!({}),
            Some(&boss.token),
        )
        .await
        .assert_error(404, "user_not_found");
        srv.post_json("/api/v1/admin/users/x/ban", &json!({}), Some(&boss.token))
            .await
            .assert_error(400, "bad_request");
    }
);
