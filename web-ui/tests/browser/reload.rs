//! A reload in the middle of a show brings the room back as it is: the phase, who is on air,
//! the scores so far, the open scoring round (still open to the member who reloaded).

use crate::common::Stack;

#[actix_rt::test]
async fn a_reload_mid_show_restores_the_room() {
    let Some(stack) = Stack::start("reload").await else {
        return;
    };
    let alice = stack.browser().await;
    let bob = stack.browser().await;
    alice.log_in("Alice").await;
    bob.log_in("Bob").await;
    let (a_id, b_id) = (alice.user_id().await, bob.user_id().await);

    alice.type_into("#create-room-title", "Reload Stage").await;
    alice.click("#create-room-submit").await;
    alice.wait_for_text("#room-title", "Reload Stage").await;
    let room_path = alice
        .client
        .current_url()
        .await
        .expect("url")
        .path()
        .to_owned();
    bob.goto(&room_path).await;
    bob.wait_for_text("#room-title", "Reload Stage").await;
    alice.wait_for_count(".member", 2).await;

    // Alice performs first (the default); Bob scores 60.
    alice.click("#start-show").await;
    bob.wait_for(&format!(
        "#stage-video[data-user-id='{a_id}'] #on-air-badge"
    ))
    .await;

    // A reload on air: still on air, same performer, Alice still has her end button.
    alice.reload().await;
    alice
        .wait_for(&format!(
            "#stage-video[data-user-id='{a_id}'] #on-air-badge"
        ))
        .await;
    alice.wait_for("#room-phase[data-phase='on_air']").await;
    alice.wait_for("#end-act").await;
    alice.click("#end-act").await;

    // A reload while scoring: the dialog is back and still open to Bob (he was there when
    // the act ended; he is not a late joiner).
    bob.wait_for("#score-dialog[data-state='open']").await;
    bob.reload().await;
    bob.wait_for("#room-phase[data-phase='scoring']").await;
    bob.wait_for("#score-dialog[data-state='open']").await;
    bob.wait_for("#score-countdown").await;
    bob.type_into("#score-input", "60").await;
    bob.click("#score-submit").await;

    // The round closed: Alice's mean is under her name; she nominates Bob.
    alice.wait_for("#room-phase[data-phase='nominating']").await;
    alice
        .wait_for_text(
            &format!(".member[data-user-id='{a_id}'] .member-score"),
            "60.00",
        )
        .await;

    // A reload while nominating: the phase and the score so far come back.
    bob.reload().await;
    bob.wait_for("#room-phase[data-phase='nominating']").await;
    bob.wait_for_text(
        &format!(".member[data-user-id='{a_id}'] .member-score"),
        "60.00",
    )
    .await;
    alice.reload().await;
    alice.wait_for("#room-phase[data-phase='nominating']").await;
    alice
        .click(&format!(".nominate-button[data-user-id='{b_id}']"))
        .await;

    // Bob on air; a reload shows him still on air with his controls and the chat so far.
    bob.wait_for(&format!(
        "#stage-video[data-user-id='{b_id}'] #on-air-badge"
    ))
    .await;
    alice.type_into("#chat-input", "go Bob!").await;
    alice.click("#chat-send").await;
    bob.wait_for_text(".chat-line .chat-text", "go Bob!").await;
    bob.reload().await;
    bob.wait_for(&format!(
        "#stage-video[data-user-id='{b_id}'] #on-air-badge"
    ))
    .await;
    bob.wait_for_text(".chat-line .chat-text", "go Bob!").await;
    bob.wait_for_text(
        &format!(".member[data-user-id='{a_id}'] .member-score"),
        "60.00",
    )
    .await;
    bob.screenshot("reload-on-air").await;
    bob.click("#end-act").await;

    alice.wait_for("#score-dialog[data-state='open']").await;
    alice.type_into("#score-input", "88").await;
    alice.click("#score-submit").await;
    alice.wait_for("#results-board").await;

    // The end: the board, best first.
    bob.wait_for_count("#results-board .result", 2).await;
    bob.wait_for_text("#results-board .result:nth-child(1) .result-score", "88.00")
        .await;
    bob.wait_for_text("#results-board .result:nth-child(2) .result-score", "60.00")
        .await;
    bob.screenshot("reload-results").await;

    // The show is over. A reload gets the board back from the room while the api-server has
    // not heard yet that the room ended; after that it gets no ticket and says so.
    bob.reload().await;
    // (A page of its own, the room never having been drawn: `#room-missing`.)
    bob.wait_for("#results-board .result, #room-missing").await;
    if bob.count("#room-missing").await > 0 {
        bob.wait_for_text("#room-missing", "The show in this room is over.")
            .await;
        assert_eq!(bob.count("#leave-room").await, 0);
    } else {
        bob.wait_for_count("#results-board .result", 2).await;
    }

    alice.close().await;
    bob.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn a_dropped_connection_shows_the_banner_and_comes_back() {
    let Some(stack) = Stack::start("drop").await else {
        return;
    };
    let alice = stack.browser().await;
    let bob = stack.browser().await;
    alice.log_in("Alice").await;
    bob.log_in("Bob").await;
    let b_id = bob.user_id().await;

    alice.type_into("#create-room-title", "Shaky Wi-Fi").await;
    alice.click("#create-room-submit").await;
    alice.wait_for_text("#room-title", "Shaky Wi-Fi").await;
    bob.click("#refresh-rooms").await;
    bob.click(".room-card a.room-link").await;
    bob.wait_for_text("#room-title", "Shaky Wi-Fi").await;
    alice.wait_for_count(".member", 2).await;
    alice.click("#start-show").await;
    bob.wait_for("#on-air-badge").await;

    // Bob reads Korean. His network goes: his next frame finds the socket dead.
    bob.click("#lang-switch").await;
    bob.wait_for_text("#room-phase", "공연 중").await;
    bob.cut_network().await;
    bob.click("#react-clap").await;
    bob.wait_for_text("#connection-banner", "다시 연결하는 중")
        .await;
    bob.resize(375, 812).await;
    bob.screenshot("reconnecting-ko-phone").await;
    alice
        .wait_for(&format!(".member.offline[data-user-id='{b_id}']"))
        .await;

    // Meanwhile the act ends; Bob, still a member (within the grace period), may score it.
    alice.click("#end-act").await;
    alice.wait_for("#room-phase[data-phase='scoring']").await;

    bob.restore_network().await;
    bob.wait_gone("#connection-banner").await;
    bob.wait_for("#room-phase[data-phase='scoring']").await;
    bob.wait_for("#score-dialog[data-state='open']").await;
    alice
        .wait_for(&format!(".member.online[data-user-id='{b_id}']"))
        .await;
    bob.type_into("#score-input", "77").await;
    bob.click("#score-submit").await;
    alice
        .wait_for_text(".member.you .member-score", "77.00")
        .await;

    alice.close().await;
    bob.close().await;
    stack.stop().await;
}
