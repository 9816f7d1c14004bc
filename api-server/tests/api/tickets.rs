use crate::backend_test;
use crate::common::now;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use onair_shared::api::TicketResponse;
use onair_shared::auth::{TicketClaims, TokenKind, TICKET_TTL_SECS};
use onair_shared::room::{Category, Mode};
use serde_json::json;

fn decode(ticket: &str, secret: &str) -> TicketClaims {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp"]);
    jsonwebtoken::decode::<TicketClaims>(
        ticket,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .expect("the ticket verifies with the shared secret")
    .claims
}

backend_test!(a_ticket_names_the_user_and_room_and_lasts_a_minute, |srv| {
    let host = srv.login("Host").await;
    let guest = srv.login("Guest").await;
    let room = srv
        .create_room(
            &host.token,
            json!({ "title": "Magic hour", "category": "magic", "mode": "rank", "member_limit": 5 }),
        )
        .await;

    let reply = srv
        .post_json(
            &format!("/api/v1/rooms/{}/ticket", room.id),
            &json!({}),
            Some(&guest.token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let issued: TicketResponse = reply.json();
    assert_eq!(
        issued.ws_url,
        format!("ws://127.0.0.1:8081/ws?ticket={}", issued.ticket)
    );

    let claims = decode(&issued.ticket, srv.config.jwt_secret.expose());
    assert_eq!(claims.kind, TokenKind::Ticket);
    assert_eq!(claims.sub, guest.user.id);
    assert_eq!(claims.name, "Guest");
    assert_eq!(claims.room.id, room.id);
    assert_eq!(claims.room.title, "Magic hour");
    assert_eq!(claims.room.category, Category::Magic);
    assert_eq!(claims.room.mode, Mode::Rank);
    assert_eq!(claims.room.host, host.user.id);
    assert_eq!(claims.room.member_limit, 5);
    assert_eq!(claims.exp - claims.iat, TICKET_TTL_SECS);
    assert!(
        (claims.exp - (now() + 60)).abs() <= 5,
        "exp {} vs now+60 {}",
        claims.exp,
        now() + 60
    );
    assert_eq!(issued.expires_at, claims.exp);

    // Works without a body too, and the host can get one as well.
    let reply = srv
        .send(
            srv.http
                .post(srv.url(&format!("/api/v1/rooms/{}/ticket", room.id)))
                .bearer_auth(&host.token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        decode(
            &reply.json::<TicketResponse>().ticket,
            srv.config.jwt_secret.expose()
        )
        .sub,
        host.user.id
    );
});

backend_test!(ticket_refusals, |srv| {
    let host = srv.login("Host").await;
    let room = srv
        .create_room(&host.token, json!({ "title": "Soon over" }))
        .await;
    let path = format!("/api/v1/rooms/{}/ticket", room.id);

    srv.post_json(&path, &json!({}), None)
        .await
        .assert_error(401, "unauthorized");
    srv.post_json("/api/v1/rooms/424242/ticket", &json!({}), Some(&host.token))
        .await
        .assert_error(404, "room_not_found");
    srv.post_json("/api/v1/rooms/nope/ticket", &json!({}), Some(&host.token))
        .await
        .assert_error(400, "bad_request");

    srv.sql(&format!(
        "UPDATE rooms SET status = 'live' WHERE id = {}",
        room.id
    ));
    assert_eq!(
        srv.post_json(&path, &json!({}), Some(&host.token))
            .await
            .status,
        200,
        "live rooms can be joined"
    );
    srv.sql(&format!(
        "UPDATE rooms SET status = 'ended' WHERE id = {}",
        room.id
    ));
    let message = srv
        .post_json(&path, &json!({}), Some(&host.token))
        .await
        .assert_error(409, "room_ended");
    assert!(message.contains("ended"), "{message}");
});

backend_test!(
    each_room_sticks_to_one_room_server,
    config = |c| {
        c.room_server_urls = vec![
            "ws://127.0.0.2:9001".into(),
            "wss://rooms-b.example.com".into(),
        ];
    },
    |srv| {
        for i in 0..4 {
            // One open room per host: a host per room.
            let host = srv.login(&format!("Host {i}")).await;
            let room = srv.create_room(&host.token, json!({ "title": "r" })).await;
            let expected = if room.id.0 % 2 == 0 {
                "ws://127.0.0.2:9001"
            } else {
                "wss://rooms-b.example.com"
            };
            for _ in 0..2 {
                let issued: TicketResponse = srv
                    .post_json(
                        &format!("/api/v1/rooms/{}/ticket", room.id),
                        &json!({}),
                        Some(&host.token),
                    )
                    .await
                    .json();
                assert!(
                    issued.ws_url.starts_with(&format!("{expected}/ws?ticket=")),
                    "room {} got {}",
                    room.id,
                    issued.ws_url
                );
                // The other instance is offered as the fallback, with the same ticket.
                let other = if expected.starts_with("ws://") {
                    "wss://rooms-b.example.com"
                } else {
                    "ws://127.0.0.2:9001"
                };
                assert_eq!(
                    issued.fallback_ws_urls,
                    [format!("{other}/ws?ticket={}", issued.ticket)]
                );
            }
        }
    }
);
