//! Following people, and the follower/following lists.

use crate::backend_test;
use crate::common::{now, tamper, TestServer};
use onair_shared::api::{FollowStatus, Page, UserProfile, UserSummary};
use onair_shared::auth::Role;
use onair_shared::UserId;

async fn counts(srv: &TestServer, user: UserId) -> (u64, u64) {
    let p: UserProfile = srv.get(&format!("/api/v1/users/{user}")).await.json();
    (p.follower_count, p.following_count)
}

backend_test!(follow_and_unfollow_are_idempotent, |srv| {
    let alice = srv.login("Alice").await;
    let bob = srv.login("Bob").await;
    let path = format!("/api/v1/users/{}/follow", alice.user.id);

    for _ in 0..2 {
        let reply = srv.put_auth(&path, Some(&bob.token)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.json::<FollowStatus>(),
            FollowStatus {
                following: true,
                follower_count: 1
            }
        );
    }
    assert_eq!(counts(&srv, alice.user.id).await, (1, 0));
    assert_eq!(counts(&srv, bob.user.id).await, (0, 1));

    // Concurrent follows make one row (unique in the database).
    let carol = srv.login("Carol").await;
    let carol_path = format!("/api/v1/users/{}/follow", carol.user.id);
    let replies =
        futures_util::future::join_all((0..6).map(|_| srv.put_auth(&carol_path, Some(&bob.token))))
            .await;
    assert!(replies.iter().all(|r| r.status == 200), "{replies:?}");
    assert_eq!(counts(&srv, carol.user.id).await, (1, 0));
    assert_eq!(counts(&srv, bob.user.id).await, (0, 2));

    for _ in 0..2 {
        let reply = srv.delete_auth(&path, Some(&bob.token)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.json::<FollowStatus>(),
            FollowStatus {
                following: false,
                follower_count: 0
            }
        );
    }
    assert_eq!(counts(&srv, alice.user.id).await, (0, 0));
    assert_eq!(counts(&srv, bob.user.id).await, (0, 1));
    // Follow again after unfollowing.
    assert_eq!(srv.put_auth(&path, Some(&bob.token)).await.status, 200);
    assert_eq!(counts(&srv, alice.user.id).await, (1, 0));
    srv.check_invariants();
});

backend_test!(follow_refusals, |srv| {
    let alice = srv.login("Alice").await;
    let bob = srv.login("Bob").await;
    let own = format!("/api/v1/users/{}/follow", alice.user.id);
    let message = srv
        .put_auth(&own, Some(&alice.token))
        .await
        .assert_error(400, "cannot_follow_self");
    assert!(message.contains("yourself"), "{message}");
    srv.delete_auth(&own, Some(&alice.token))
        .await
        .assert_error(400, "cannot_follow_self");
    srv.put_auth("/api/v1/users/424242/follow", Some(&alice.token))
        .await
        .assert_error(404, "user_not_found");
    srv.delete_auth("/api/v1/users/424242/follow", Some(&alice.token))
        .await
        .assert_error(404, "user_not_found");
    let bobs = format!("/api/v1/users/{}/follow", bob.user.id);
    srv.put_auth(&bobs, None)
        .await
        .assert_error(401, "unauthorized");
    srv.delete_auth(&bobs, None)
        .await
        .assert_error(401, "unauthorized");
    srv.put_auth(&bobs, Some(&tamper(&alice.token)))
        .await
        .assert_error(401, "unauthorized");
    let expired = srv.token(
        alice.user.id,
        "Alice",
        Role::User,
        now() - 7200,
        now() - 3600,
    );
    srv.put_auth(&bobs, Some(&expired))
        .await
        .assert_error(401, "unauthorized");
    srv.send(srv.http.post(srv.url(&bobs)).bearer_auth(&alice.token))
        .await
        .assert_error(405, "method_not_allowed");
    assert_eq!(counts(&srv, bob.user.id).await, (0, 0));
});

backend_test!(follower_lists_page_newest_first, |srv| {
    let star = srv.login("Star").await;
    let mut fans = Vec::new();
    for i in 0..5 {
        let fan = srv.login(&format!("Fan{i}")).await;
        let reply = srv
            .put_auth(
                &format!("/api/v1/users/{}/follow", star.user.id),
                Some(&fan.token),
            )
            .await;
        assert_eq!(reply.status, 200);
        fans.push(fan.user.id);
    }
    let followers = format!("/api/v1/users/{}/followers", star.user.id);

    // Empty lists.
    let none: Page<UserSummary> = srv
        .get(&format!("/api/v1/users/{}/following", star.user.id))
        .await
        .json();
    assert!(none.items.is_empty());
    assert_eq!(none.next_cursor, None);

    let all: Page<UserSummary> = srv.get(&followers).await.json();
    let newest_first: Vec<UserId> = fans.iter().rev().copied().collect();
    assert_eq!(
        all.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        newest_first
    );
    assert_eq!(all.items[0].name, "Fan4");
    assert_eq!(all.next_cursor, None);

    // Pages of 2: 2, 2, 1.
    let first: Page<UserSummary> = srv.get(&format!("{followers}?limit=2")).await.json();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.clone().expect("more pages");
    let second: Page<UserSummary> = srv
        .get(&format!("{followers}?limit=2&cursor={cursor}"))
        .await
        .json();
    let third: Page<UserSummary> = srv
        .get(&format!(
            "{followers}?limit=2&cursor={}",
            second.next_cursor.clone().unwrap()
        ))
        .await
        .json();
    assert_eq!(third.items.len(), 1);
    assert_eq!(third.next_cursor, None);
    let paged: Vec<UserId> = [first.items, second.items, third.items]
        .concat()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(paged, newest_first);

    // Exactly at the boundary: 5 in a page of 5 is the last page; 4 is not.
    let exact: Page<UserSummary> = srv.get(&format!("{followers}?limit=5")).await.json();
    assert_eq!(exact.items.len(), 5);
    assert_eq!(exact.next_cursor, None);
    let four: Page<UserSummary> = srv.get(&format!("{followers}?limit=4")).await.json();
    let last: Page<UserSummary> = srv
        .get(&format!(
            "{followers}?limit=4&cursor={}",
            four.next_cursor.unwrap()
        ))
        .await
        .json();
    assert_eq!(last.items.len(), 1);
    assert_eq!(last.next_cursor, None);

    // One fan's following list.
    let following: Page<UserSummary> = srv
        .get(&format!("/api/v1/users/{}/following", fans[0]))
        .await
        .json();
    assert_eq!(following.items.len(), 1);
    assert_eq!(following.items[0].id, star.user.id);

    // Unfollowing removes from the list at once.
    let fan0 = srv.login("Fan0").await;
    srv.delete_auth(
        &format!("/api/v1/users/{}/follow", star.user.id),
        Some(&fan0.token),
    )
    .await;
    let after: Page<UserSummary> = srv.get(&followers).await.json();
    assert_eq!(after.items.len(), 4);
    assert!(!after.items.iter().any(|u| u.id == fans[0]));

    for bad in ["?cursor=abc", "?cursor=-5", "?cursor=0", "?cursor=1.5"] {
        srv.get(&format!("{followers}{bad}"))
            .await
            .assert_error(400, "invalid_cursor");
    }
    for bad in ["?limit=0", "?limit=101", "?limit=-1", "?limit=many"] {
        srv.get(&format!("{followers}{bad}"))
            .await
            .assert_error(400, "validation_failed");
    }
    let max: Page<UserSummary> = srv.get(&format!("{followers}?limit=100")).await.json();
    assert_eq!(max.items.len(), 4);
    srv.get("/api/v1/users/424242/followers")
        .await
        .assert_error(404, "user_not_found");
    srv.get("/api/v1/users/424242/following")
        .await
        .assert_error(404, "user_not_found");
});
