//! The live stage as a person feels it (issue 15): the big video never blinks, scoring that
//! cannot go wrong, confirmations, the live notice line, the phone layout.

use crate::common::{Browser, Stack};
use std::time::Duration;

/// Logs in and opens a new room; gives its id.
async fn open_room(b: &Browser, name: &str, title: &str) -> i64 {
    b.log_in(name).await;
    b.type_into("#create-room-title", title).await;
    b.click("#create-room-submit").await;
    b.wait_for_text("#room-title", title).await;
    b.room_id().await
}

async fn join(b: &Browser, name: &str, room: i64) {
    b.log_in(name).await;
    b.goto(&format!("/rooms/{room}")).await;
    b.wait_for(".room-page .member-list").await;
}

/// Marks the stage's `<video>` and counts its `emptied` and `loadstart` events (each is the
/// picture going black and loading again).
async fn watch_stage(b: &Browser) {
    b.js("const v = document.querySelector('#stage-video video');
          v.__watched = true; window.__reloads = 0;
          for (const e of ['emptied', 'loadstart']) v.addEventListener(e, () => window.__reloads++);")
        .await;
}

/// How often the stage video reloaded since [`watch_stage`], or `-1` when the element itself
/// was replaced (a new element starts over from black too).
async fn stage_reloads(b: &Browser) -> i64 {
    b.js("const v = document.querySelector('#stage-video video');
          return v && v.__watched ? window.__reloads : -1;")
        .await
        .as_i64()
        .unwrap()
}

#[actix_rt::test]
async fn the_stage_video_never_reloads_while_members_clap_chat_and_score() {
    let Some(stack) = Stack::start("stage-blink").await else {
        return;
    };
    let alice = stack.video_browser().await;
    let bob = stack.video_browser().await;
    let carol = stack.video_browser().await;
    let room = open_room(&alice, "Alice", "No Blink").await;
    join(&bob, "Bob", room).await;
    let b = bob.user_id().await;
    join(&carol, "Carol", room).await;
    alice.wait_for_count(".member", 3).await;

    // Bob performs: his camera fills the big tile everywhere (his own preview for him).
    alice.select("#first-performer", &b.to_string()).await;
    alice.click("#start-show").await;
    let stage = format!("#stage-video video[data-user-id=\"{b}\"]");
    for who in [&alice, &bob, &carol] {
        who.wait_for("#on-air-badge").await;
        who.wait_for_video(&stage).await;
        watch_stage(who).await;
    }

    // Claps, a mirror ball, chat lines: each re-renders the page several times.
    for round in 0..2 {
        carol.click("#react-clap").await;
        alice.click("#react-mirrorball").await;
        bob.click("#react-clap").await;
        carol
            .type_into("#chat-input", &format!("bravo {round}"))
            .await;
        carol.click("#chat-send").await;
        alice
            .wait_for_text(".chat-line .chat-text", &format!("bravo {round}"))
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The bursts go away again (another re-render).
    alice.wait_gone(".reaction-burst").await;
    carol.wait_gone(".reaction-burst").await;

    // The act ends and is scored: Bob's picture stays on the big tile through it.
    bob.click("#end-act").await;
    alice.wait_for("#score-dialog[data-state='open']").await;
    alice.type_into("#score-input", "80").await;
    alice.click("#score-submit").await;
    carol.wait_for_text(".round-progress", "1/2").await;
    carol.type_into("#chat-input", "what a show").await;
    carol.click("#chat-send").await;
    bob.wait_for_text(".chat-line .chat-text", "what a show")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    for (name, who) in [("Alice", &alice), ("Bob", &bob), ("Carol", &carol)] {
        assert_eq!(
            stage_reloads(who).await,
            0,
            "{name}'s stage video went black and reloaded (-1: the element was replaced)"
        );
        who.wait_for_video(&stage).await;
    }

    alice.close().await;
    bob.close().await;
    carol.close().await;
    stack.stop().await;
}
