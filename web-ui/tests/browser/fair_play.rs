//! What issue 12 changed for people in the browser: the room says when a ranked act will not
//! count, the host closes their room and everyone is told, and a refused request says how long
//! to wait. In English and Korean, on a desktop and a phone.

use crate::common::{Options, Stack};

#[actix_rt::test]
async fn the_room_says_when_an_act_will_not_count_and_when_its_host_closes_it() {
    let Some(stack) = Stack::start("fair-play").await else {
        return;
    };
    let alice = stack.browser().await;
    let bob = stack.browser().await;
    let carol = stack.browser().await;
    alice.log_in("Alice").await;
    bob.log_in("Bob").await;
    carol.log_in("Carol").await;

    alice.type_into("#create-room-title", "Ranked Night").await;
    alice.select("#create-room-mode", "rank").await;
    alice.click("#create-room-submit").await;
    alice.wait_for_text("#room-title", "Ranked Night").await;
    for b in [&bob, &carol] {
        b.click("#refresh-rooms").await;
        b.wait_for_text(".room-card a.room-link", "Ranked Night")
            .await;
        b.click(".room-card a.room-link").await;
        b.wait_for_text("#room-title", "Ranked Night").await;
    }
    alice.wait_for_count(".member", 3).await;
    // Only the creator may close the room.
    assert_eq!(bob.count("#close-room").await, 0);
    alice.wait_for("#close-room").await;

    alice.click("#start-show").await;
    for b in [&alice, &bob, &carol] {
        b.wait_for("#on-air-badge").await;
    }
    assert_eq!(
        alice.count("#ranked-notice").await,
        0,
        "three members: it counts"
    );
    // Carol leaves: only Bob could score Alice's act now, which is not enough to count.
    carol.click("#leave-room").await;
    alice.wait_for_count(".member", 2).await;
    for b in [&alice, &bob] {
        b.wait_for_text("#ranked-notice", "does not count toward the ranking")
            .await;
    }
    alice.screenshot("ranked-notice").await;
    bob.click("#lang-switch").await;
    bob.wait_for_text("#ranked-notice", "랭킹에 반영되지 않아요")
        .await;
    bob.resize(390, 844).await;
    bob.screenshot("ranked-notice-ko-phone").await;
    bob.resize(1280, 900).await;

    // The host closes the room for everyone (asked twice).
    alice.click("#close-room").await;
    alice.click("#close-room-yes").await;
    bob.wait_for_text(".notice.stopped", "호스트가 이 방을 닫았어요")
        .await;
    bob.screenshot("room-closed-by-host-ko").await;
    bob.click("#lang-switch").await;
    bob.wait_for_text(".notice.stopped", "The host closed this room.")
        .await;
    alice
        .wait_for_text(".notice.stopped", "The host closed this room.")
        .await;
    alice.screenshot("room-closed-by-host").await;

    for b in [alice, bob, carol] {
        b.close().await;
    }
    stack.stop().await;
}

#[actix_rt::test]
async fn a_refused_login_says_how_long_to_wait() {
    let options = Options {
        api: Some(|c| c.rate_limits.logins_per_minute = 1),
        ..Options::default()
    };
    let Some(stack) = Stack::start_with("rate-limit", options).await else {
        return;
    };
    let b = stack.browser().await;
    b.log_in("Dana").await;
    b.log_out().await;
    b.type_into("#login-name", "dana").await;
    b.click("#login-submit").await;
    b.wait_for_text("#login-form-error", "Too many attempts. Try again in")
        .await;
    b.screenshot("login-rate-limited").await;
    b.click("#lang-switch").await;
    b.wait_for_text("#login-form-error", "초 후에 다시 시도해 주세요")
        .await;
    b.resize(390, 844).await;
    b.screenshot("login-rate-limited-ko-phone").await;
    // An invisible name is refused by the form itself, with the server's rule.
    b.type_into("#login-name", "\u{200B}\u{202E}").await;
    b.click("#login-submit").await;
    b.wait_for_text("#login-form-error", "이름을 입력해 주세요")
        .await;
    b.close().await;
    stack.stop().await;
}
