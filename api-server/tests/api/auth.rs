use crate::backend_test;
use crate::common::now;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use onair_shared::api::{LoginResponse, Me};
use onair_shared::auth::{AccessClaims, Role, TicketClaims, TicketRoom, TokenKind};
use onair_shared::room::{Category, Mode};
use onair_shared::{RoomId, UserId};
use serde_json::json;

fn sign<T: serde::Serialize>(claims: &T, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

backend_test!(dev_login_returns_a_token_that_works_for_me, |srv| {
    let login = srv.login("  Alice  ").await;
    assert!(!login.token.is_empty());
    assert_eq!(login.user.name, "Alice", "the name is trimmed");
    assert_eq!(login.user.role, Role::User);
    assert_eq!(login.user.intro, "");
    assert_eq!(login.user.avatar_url, None);

    let me = srv.get_auth("/api/v1/me", &login.token).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json::<Me>(), login.user);
});

backend_test!(the_same_name_in_any_case_is_the_same_user, |srv| {
    let first = srv.login("Alice").await;
    let again = srv.login("alice").await;
    let shouting = srv.login(" ALICE ").await;
    assert_eq!(again.user.id, first.user.id);
    assert_eq!(shouting.user.id, first.user.id);
    assert_eq!(
        again.user.name, "Alice",
        "the account keeps the name it was created with"
    );

    let bob = srv.login("Bob").await;
    assert_ne!(bob.user.id, first.user.id);

    // Distinct accented names stay distinct people (MySQL's default collation would merge them).
    let rene = srv.login("rene").await;
    let rene_accent = srv.login("rené").await;
    assert_ne!(rene.user.id, rene_accent.user.id);
    assert_eq!(rene_accent.user.name, "rené");

    let hangul = srv.login("김민수").await;
    assert_eq!(srv.login("김민수").await.user.id, hangul.user.id);
});

backend_test!(
    concurrent_first_logins_with_one_name_make_one_account,
    |srv| {
        let logins = (0..8).map(|_| srv.login("Racer"));
        let results: Vec<LoginResponse> = futures_util::future::join_all(logins).await;
        let first = results[0].user.id;
        assert!(results.iter().all(|r| r.user.id == first), "{results:?}");
    }
);

backend_test!(bad_names_are_refused_with_a_clear_message, |srv| {
    for (name, hint) in [
        ("", "empty"),
        ("    ", "empty"),
        // Nothing visible is left once control, bidi and zero-width characters are removed.
        ("\u{0}\u{7}", "empty"),
        ("\u{202E}\u{200B}\u{FEFF}", "empty"),
    ] {
        let reply = srv
            .post_json("/api/v1/auth/dev", &json!({ "name": name }), None)
            .await;
        let message = reply.assert_error(400, "validation_failed");
        assert!(message.contains(hint), "{name:?}: {message}");
    }
    let long = "가".repeat(31);
    let reply = srv
        .post_json("/api/v1/auth/dev", &json!({ "name": long }), None)
        .await;
    let message = reply.assert_error(400, "validation_failed");
    assert!(message.contains("at most 30"), "{message}");
    // Exactly 30 characters (90 bytes) is fine.
    srv.login(&"가".repeat(30)).await;
    // Control, bidi and zero-width characters are taken out: a line break does not refuse a
    // name, and a look-alike is the same account as the name it imitates.
    let plain = srv.login("Mallory").await;
    for disguised in ["Mal\u{200B}lory", "\u{202E}Mallory", "Mal\nlory"] {
        let same = srv.login(disguised).await;
        assert_eq!(
            (same.user.id, same.user.name.as_str()),
            (plain.user.id, "Mallory")
        );
    }

    let reply = srv.post_json("/api/v1/auth/dev", &json!({}), None).await;
    let message = reply.assert_error(400, "bad_request");
    assert!(message.contains("name"), "{message}");
    let reply = srv
        .post_json("/api/v1/auth/dev", &json!({ "name": 42 }), None)
        .await;
    reply.assert_error(400, "bad_request");
    let reply = srv
        .send(
            srv.http
                .post(srv.url("/api/v1/auth/dev"))
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    reply.assert_error(400, "bad_request");
    let reply = srv
        .send(
            srv.http
                .post(srv.url("/api/v1/auth/dev"))
                .body("name=alice"),
        )
        .await;
    let message = reply.assert_error(400, "bad_request");
    assert!(message.contains("application/json"), "{message}");
});

backend_test!(
    dev_login_is_off_outside_dev_mode,
    config = |c| c.dev_mode = false,
    |srv| {
        let reply = srv
            .post_json("/api/v1/auth/dev", &json!({ "name": "Alice" }), None)
            .await;
        reply.assert_error(404, "dev_login_disabled");
        // Even a malformed body gets the same answer: the route is simply not there.
        let reply = srv.post_json("/api/v1/auth/dev", &json!({}), None).await;
        reply.assert_error(404, "dev_login_disabled");
    }
);

backend_test!(
    me_refuses_missing_bad_expired_and_wrong_kind_tokens,
    |srv| {
        let login = srv.login("Alice").await;
        let secret = srv.config.jwt_secret.expose();

        let reply = srv.get("/api/v1/me").await;
        let message = reply.assert_error(401, "unauthorized");
        assert!(message.contains("sign in"), "{message}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));

        let reply = srv
            .send(
                srv.http
                    .get(srv.url("/api/v1/me"))
                    .header("authorization", "Basic YTpi"),
            )
            .await;
        reply.assert_error(401, "unauthorized");
        srv.get_auth("/api/v1/me", "not-a-jwt")
            .await
            .assert_error(401, "unauthorized");

        // Flip one character in the signature.
        let mut tampered: Vec<char> = login.token.chars().collect();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == 'A' { 'B' } else { 'A' };
        let tampered: String = tampered.into_iter().collect();
        srv.get_auth("/api/v1/me", &tampered)
            .await
            .assert_error(401, "unauthorized");

        // Claims changed without re-signing: swap the payload of another user's token in.
        let bob = srv.login("Bob").await;
        let parts: Vec<&str> = login.token.split('.').collect();
        let bob_payload = bob.token.split('.').nth(1).unwrap();
        let forged = format!("{}.{}.{}", parts[0], bob_payload, parts[2]);
        srv.get_auth("/api/v1/me", &forged)
            .await
            .assert_error(401, "unauthorized");

        let expired = AccessClaims {
            kind: TokenKind::Access,
            sub: login.user.id,
            name: "Alice".into(),
            role: Role::User,
            iat: now() - 7200,
            exp: now() - 60,
        };
        let message = srv
            .get_auth("/api/v1/me", &sign(&expired, secret))
            .await
            .assert_error(401, "unauthorized");
        assert!(message.contains("expired"), "{message}");

        let valid_claims = AccessClaims {
            iat: now(),
            exp: now() + 600,
            ..expired.clone()
        };
        let foreign = sign(&valid_claims, "some-other-secret-some-other-secret-123");
        srv.get_auth("/api/v1/me", &foreign)
            .await
            .assert_error(401, "unauthorized");
        // The same claims with the right secret do work, so the refusals above are about the token.
        assert_eq!(
            srv.get_auth("/api/v1/me", &sign(&valid_claims, secret))
                .await
                .status,
            200
        );

        let ticket = TicketClaims {
            kind: TokenKind::Ticket,
            sub: login.user.id,
            name: "Alice".into(),
            room: TicketRoom {
                id: RoomId(1),
                title: "t".into(),
                mode: Mode::Normal,
                category: Category::Free,
                host: login.user.id,
                member_limit: 8,
                created_at: 0,
            },
            ranked: None,
            jti: "t1".into(),
            iat: now(),
            exp: now() + 60,
            rid: None,
        };
        srv.get_auth("/api/v1/me", &sign(&ticket, secret))
            .await
            .assert_error(401, "unauthorized");
        // A real ticket from the API is refused too.
        let room = srv
            .create_room(&login.token, json!({ "title": "Room" }))
            .await;
        let issued = srv
            .post_json(
                &format!("/api/v1/rooms/{}/ticket", room.id),
                &json!({}),
                Some(&login.token),
            )
            .await;
        assert_eq!(issued.status, 200, "{}", issued.body);
        let ticket_token = issued.json::<onair_shared::api::TicketResponse>().ticket;
        srv.get_auth("/api/v1/me", &ticket_token)
            .await
            .assert_error(401, "unauthorized");

        // A well-signed token for an account that does not exist.
        let ghost = AccessClaims {
            sub: UserId(987_654),
            ..valid_claims
        };
        srv.get_auth("/api/v1/me", &sign(&ghost, secret))
            .await
            .assert_error(401, "unauthorized");
    }
);

backend_test!(
    banned_users_cannot_log_in_open_rooms_or_get_tickets,
    |srv| {
        let host = srv.login("Host").await;
        let room = srv
            .create_room(&host.token, json!({ "title": "Open mic" }))
            .await;
        let troll = srv.login("Troll").await;
        srv.sql(&format!(
            "UPDATE users SET banned = TRUE WHERE id = {}",
            troll.user.id
        ));

        let reply = srv
            .post_json(
                &format!("/api/v1/rooms/{}/ticket", room.id),
                &json!({}),
                Some(&troll.token),
            )
            .await;
        let message = reply.assert_error(403, "banned");
        assert!(message.contains("banned"), "{message}");
        let reply = srv
            .post_json(
                "/api/v1/rooms",
                &json!({ "title": "Mine" }),
                Some(&troll.token),
            )
            .await;
        reply.assert_error(403, "banned");
        let reply = srv
            .post_json("/api/v1/auth/dev", &json!({ "name": "troll" }), None)
            .await;
        reply.assert_error(403, "banned");
    }
);
