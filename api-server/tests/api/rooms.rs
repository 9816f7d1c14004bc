use crate::backend_test;
use crate::common::now;
use onair_shared::api::{RoomList, RoomView};
use onair_shared::room::{Category, Mode, RoomStatus};
use serde_json::json;

backend_test!(a_new_room_has_sensible_defaults_and_its_host, |srv| {
    let alice = srv.login("Alice").await;
    let reply = srv
        .post_json(
            "/api/v1/rooms",
            &json!({ "title": "  Friday night  " }),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let room: RoomView = reply.json();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/rooms/{}", room.id).as_str())
    );
    assert_eq!(room.title, "Friday night");
    assert_eq!(room.description, "");
    assert_eq!(room.category, Category::Free);
    assert_eq!(room.mode, Mode::Normal);
    assert_eq!(room.member_limit, 8);
    assert_eq!(room.member_count, 0);
    assert_eq!(room.status, RoomStatus::Open);
    assert_eq!(room.host.id, alice.user.id);
    assert_eq!(room.host.name, "Alice");
    assert!(
        (room.created_at - now()).abs() <= 5,
        "created_at {} vs now {}",
        room.created_at,
        now()
    );

    let detail = srv.get(&format!("/api/v1/rooms/{}", room.id)).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(detail.json::<RoomView>(), room);

    // One open room per host: Bob opens the second.
    let bob = srv.login("Bob").await;
    let full = srv
        .create_room(
            &bob.token,
            json!({
                "title": "노래방 대결",
                "description": "  한 곡씩\n부릅니다  ",
                "category": "singing",
                "mode": "rank",
                "member_limit": 12
            }),
        )
        .await;
    assert_eq!(full.title, "노래방 대결");
    assert_eq!(full.description, "한 곡씩\n부릅니다");
    assert_eq!(full.category, Category::Singing);
    assert_eq!(full.mode, Mode::Rank);
    assert_eq!(full.member_limit, 12);
    assert_ne!(full.id, room.id);
});

backend_test!(creating_a_room_needs_a_login, |srv| {
    let reply = srv
        .post_json("/api/v1/rooms", &json!({ "title": "x" }), None)
        .await;
    reply.assert_error(401, "unauthorized");
});

backend_test!(room_settings_are_validated, |srv| {
    let alice = srv.login("Alice").await;
    let create = |body: serde_json::Value| {
        let (srv, token) = (&srv, alice.token.clone());
        async move { srv.post_json("/api/v1/rooms", &body, Some(&token)).await }
    };

    for (body, code, hint) in [
        (
            json!({ "title": "" }),
            "validation_failed",
            "title must not be empty",
        ),
        (
            json!({ "title": "   " }),
            "validation_failed",
            "title must not be empty",
        ),
        (
            json!({ "title": "a".repeat(61) }),
            "validation_failed",
            "at most 60",
        ),
        // Nothing visible left once control, bidi and zero-width characters are removed.
        (
            json!({ "title": "\u{7}\u{202E}\u{200B}" }),
            "validation_failed",
            "title must not be empty",
        ),
        (
            json!({ "title": "t", "description": "d".repeat(501) }),
            "validation_failed",
            "at most 500",
        ),
        (
            json!({ "title": "t", "member_limit": 1 }),
            "validation_failed",
            "between 2 and 12",
        ),
        (
            json!({ "title": "t", "member_limit": 13 }),
            "validation_failed",
            "between 2 and 12",
        ),
        (
            json!({ "title": "t", "member_limit": 300 }),
            "validation_failed",
            "between 2 and 12",
        ),
        (
            json!({ "title": "t", "member_limit": -1 }),
            "validation_failed",
            "between 2 and 12",
        ),
        (
            json!({ "title": "t", "member_limit": "8" }),
            "bad_request",
            "invalid",
        ),
        (
            json!({ "title": "t", "category": "karaoke" }),
            "bad_request",
            "karaoke",
        ),
        (
            json!({ "title": "t", "category": "Singing" }),
            "bad_request",
            "Singing",
        ),
        (
            json!({ "title": "t", "mode": "ranked" }),
            "bad_request",
            "ranked",
        ),
        (json!({ "description": "no title" }), "bad_request", "title"),
        (json!({ "title": 5 }), "bad_request", "invalid"),
        (json!(["title"]), "bad_request", "invalid"),
    ] {
        let reply = create(body.clone()).await;
        let message = reply.assert_error(400, code);
        assert!(message.contains(hint), "{body}: {message}");
    }

    // Limits count characters, not bytes.
    srv.create_room(
        &alice.token,
        json!({ "title": "노".repeat(60), "description": "설".repeat(500) }),
    )
    .await;

    let huge = json!({ "title": "t", "description": "x".repeat(20 * 1024) });
    let reply = create(huge).await;
    reply.assert_error(413, "payload_too_large");

    // Nothing above was stored.
    let list: RoomList = srv.get("/api/v1/rooms").await.json();
    assert_eq!(list.rooms.len(), 1);
});

backend_test!(
    the_catalogue_lists_joinable_rooms_newest_first_with_filters,
    |srv| {
        let alice = srv.login("Alice").await;
        let bob = srv.login("Bob").await;
        let singing = srv
            .create_room(
                &alice.token,
                json!({ "title": "Songs", "category": "singing", "mode": "rank" }),
            )
            .await;
        let magic = srv
            .create_room(
                &bob.token,
                json!({ "title": "Tricks", "category": "magic" }),
            )
            .await;
        // One open room per host: the other two rooms have hosts of their own.
        let carol = srv.login("Carol").await;
        let dave = srv.login("Dave").await;
        let ended = srv
            .create_room(
                &carol.token,
                json!({ "title": "Over", "category": "singing" }),
            )
            .await;
        let live = srv
            .create_room(
                &dave.token,
                json!({ "title": "On now", "category": "dance", "mode": "rank" }),
            )
            .await;
        srv.sql(&format!(
            "UPDATE rooms SET status = 'ended' WHERE id = {}; \
         UPDATE rooms SET status = 'live', member_count = 3 WHERE id = {}",
            ended.id, live.id
        ));

        let titles = |list: &RoomList| {
            list.rooms
                .iter()
                .map(|r| r.title.clone())
                .collect::<Vec<_>>()
        };

        let all: RoomList = srv.get("/api/v1/rooms").await.json();
        assert_eq!(
            titles(&all),
            ["On now", "Tricks", "Songs"],
            "newest first, ended rooms hidden"
        );
        let on_now = &all.rooms[0];
        assert_eq!(on_now.status, RoomStatus::Live);
        assert_eq!(on_now.member_count, 3);
        assert_eq!(on_now.host.name, "Dave");
        assert_eq!(all.rooms[1].host.name, "Bob");
        assert_eq!(all.rooms[1], magic);

        let only_singing: RoomList = srv.get("/api/v1/rooms?category=singing").await.json();
        assert_eq!(only_singing.rooms, vec![singing.clone()]);
        let ranked: RoomList = srv.get("/api/v1/rooms?mode=rank").await.json();
        assert_eq!(titles(&ranked), ["On now", "Songs"]);
        let ranked_dance: RoomList = srv
            .get("/api/v1/rooms?mode=rank&category=dance")
            .await
            .json();
        assert_eq!(titles(&ranked_dance), ["On now"]);
        let none: RoomList = srv.get("/api/v1/rooms?category=comedy").await.json();
        assert!(none.rooms.is_empty());
        // An empty filter means "any", as a form with nothing selected sends it.
        let blank: RoomList = srv.get("/api/v1/rooms?category=&mode=").await.json();
        assert_eq!(blank.rooms.len(), 3);

        let message = srv
            .get("/api/v1/rooms?category=karaoke")
            .await
            .assert_error(400, "validation_failed");
        assert!(
            message.contains("karaoke") && message.contains("singing"),
            "{message}"
        );
        srv.get("/api/v1/rooms?mode=RANK")
            .await
            .assert_error(400, "validation_failed");
    }
);

backend_test!(room_detail_and_its_not_found_cases, |srv| {
    let alice = srv.login("Alice").await;
    let room = srv
        .create_room(&alice.token, json!({ "title": "Here" }))
        .await;
    srv.sql(&format!(
        "UPDATE rooms SET status = 'ended' WHERE id = {}",
        room.id
    ));
    let ended: RoomView = srv.get(&format!("/api/v1/rooms/{}", room.id)).await.json();
    assert_eq!(
        ended.status,
        RoomStatus::Ended,
        "an ended room can still be looked at"
    );

    srv.get("/api/v1/rooms/999999")
        .await
        .assert_error(404, "room_not_found");
    srv.get("/api/v1/rooms/-1")
        .await
        .assert_error(404, "room_not_found");
    srv.get("/api/v1/rooms/0")
        .await
        .assert_error(404, "room_not_found");
    srv.get("/api/v1/rooms/abc")
        .await
        .assert_error(400, "bad_request");
    srv.get("/api/v1/rooms/1.5")
        .await
        .assert_error(400, "bad_request");
    srv.get("/api/v1/rooms/99999999999999999999999")
        .await
        .assert_error(400, "bad_request");
    srv.get("/api/v1/rooms/%F0%9F%8E%A4")
        .await
        .assert_error(400, "bad_request");
});

// Categories, modes, statuses and roles are enum columns: the models hold the enums, never a
// string to parse later. A value no version of OnAir writes (a hand edit) is refused when the
// row is read, as a plain 500 `internal` that names nothing of the database, and the server
// goes on serving every other row.
backend_test!(a_hand_edited_enum_column_is_an_error_not_a_guess, |srv| {
    let alice = srv.login("Alice").await;
    let broken = srv
        .create_room(&alice.token, json!({ "title": "Broken" }))
        .await;
    let bob = srv.login("Bob").await;
    let fine = srv
        .create_room(&bob.token, json!({ "title": "Fine" }))
        .await;
    srv.sql(&format!(
        "UPDATE rooms SET category = 'karaoke' WHERE id = {}",
        broken.id
    ));
    let reply = srv.get(&format!("/api/v1/rooms/{}", broken.id)).await;
    let message = reply.assert_error(500, "internal");
    assert!(!message.contains("karaoke"), "{message}");
    let reply = srv.get(&format!("/api/v1/rooms/{}", fine.id)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json::<RoomView>().category, Category::Free);
});

// The lobby: title search (with `%` and `_` taken literally), pages that neither skip nor
// repeat a room, and empty rooms left out once past their first three minutes.
backend_test!(
    the_catalogue_searches_titles_pages_on_and_hides_empty_rooms,
    |srv| {
        let mut ids = Vec::new();
        for (i, title) in [
            "Karaoke Night",
            "karaoke 100%",
            "Magic_hour",
            "Dance off",
            "Quiet",
        ]
        .iter()
        .enumerate()
        {
            let host = srv.login(&format!("Host{i}")).await;
            let room = srv
                .create_room(&host.token, json!({ "title": title }))
                .await;
            ids.push(room.id);
            srv.sql(&format!(
                "UPDATE rooms SET member_count = 1 WHERE id = {}",
                room.id
            ));
        }
        let titles = |list: &RoomList| -> Vec<String> {
            list.rooms.iter().map(|r| r.title.clone()).collect()
        };
        let found: RoomList = srv.get("/api/v1/rooms?q=KARAOKE").await.json();
        assert_eq!(titles(&found), ["karaoke 100%", "Karaoke Night"]);
        let found: RoomList = srv.get("/api/v1/rooms?q=100%25").await.json();
        assert_eq!(titles(&found), ["karaoke 100%"]);
        let found: RoomList = srv.get("/api/v1/rooms?q=c_h").await.json();
        assert_eq!(titles(&found), ["Magic_hour"]);
        let found: RoomList = srv.get("/api/v1/rooms?q=e%20o").await.json();
        assert_eq!(titles(&found), ["Dance off"]);

        // Two at a time, newest first, every room once.
        let mut seen = Vec::new();
        let mut path = "/api/v1/rooms?limit=2".to_owned();
        loop {
            let page: RoomList = srv.get(&path).await.json();
            assert!(page.rooms.len() <= 2);
            seen.extend(page.rooms.iter().map(|r| r.id));
            match page.next_cursor {
                Some(c) => path = format!("/api/v1/rooms?limit=2&cursor={c}"),
                None => break,
            }
        }
        let mut newest_first = ids.clone();
        newest_first.reverse();
        assert_eq!(seen, newest_first);

        // An empty room older than three minutes is not offered; one just created is.
        srv.sql(&format!(
            "UPDATE rooms SET member_count = 0, created_at = {} WHERE id = {}",
            now() - 600,
            ids[4]
        ));
        srv.sql(&format!(
            "UPDATE rooms SET member_count = 0 WHERE id = {}",
            ids[3]
        ));
        let list: RoomList = srv.get("/api/v1/rooms").await.json();
        let listed: Vec<_> = list.rooms.iter().map(|r| r.id).collect();
        assert!(!listed.contains(&ids[4]), "an empty room is listed");
        assert!(listed.contains(&ids[3]), "a brand-new room is not listed");

        // Bad input is refused clearly.
        srv.get("/api/v1/rooms?cursor=abc")
            .await
            .assert_error(400, "invalid_cursor");
        srv.get("/api/v1/rooms?limit=0")
            .await
            .assert_error(400, "validation_failed");
        srv.get(&format!("/api/v1/rooms?q={}", "a".repeat(61)))
            .await
            .assert_error(400, "validation_failed");
    }
);
