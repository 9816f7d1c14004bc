//! Three people, three browsers, one whole ranked show: the host opens a ranked room, the
//! others join from the lobby, the host starts with a chosen first performer, a clap from one
//! is seen by the others, every act is ended, scored through the dialog and the next performer
//! nominated, until everyone has performed; the results board shows the right means, and then
//! the global ranking and a profile's trend chart show the recorded scores.

use crate::common::{Browser, Stack};
use std::time::{Duration, Instant};

/// Each non-performer scores the act through `#score-dialog`: while others still have to
/// score, the dialog stays, locked; the last score closes the round and the dialog.
async fn score(scorers: &[(&Browser, &str)]) {
    for (i, (b, value)) in scorers.iter().enumerate() {
        b.wait_for("#score-dialog[data-state='open']").await;
        b.wait_for("#score-countdown").await;
        b.type_into("#score-input", value).await;
        b.click("#score-submit").await;
        if i + 1 < scorers.len() {
            b.wait_for("#score-dialog[data-state='scored'] #score-thanks")
                .await;
            assert_eq!(
                b.attr("#score-submit", "disabled").await.as_deref(),
                Some("true"),
                "one score each"
            );
        }
    }
    for (b, _) in scorers {
        b.wait_gone("#score-dialog").await;
    }
}

#[actix_rt::test]
async fn three_users_play_a_whole_ranked_show() {
    let Some(stack) = Stack::start("show").await else {
        return;
    };
    let alice = stack.browser().await;
    let bob = stack.browser().await;
    let carol = stack.browser().await;

    alice.log_in("Alice").await;
    bob.log_in("Bob").await;
    carol.log_in("Carol").await;
    let (a_id, b_id, c_id) = (
        alice.user_id().await,
        bob.user_id().await,
        carol.user_id().await,
    );

    // A ranked room.
    alice.type_into("#create-room-title", "Ranked Night").await;
    alice.select("#create-room-category", "comedy").await;
    alice.select("#create-room-mode", "rank").await;
    alice.click("#create-room-submit").await;
    alice.wait_for_text("#room-title", "Ranked Night").await;

    // The others find it in the lobby (refreshed by hand, not waiting for the timer).
    for b in [&bob, &carol] {
        b.click("#refresh-rooms").await;
        b.wait_for_text(".room-card a.room-link", "Ranked Night")
            .await;
        b.wait_for_text(".room-card", "Comedy").await;
        b.click(".room-card a.room-link").await;
        b.wait_for_text("#room-title", "Ranked Night").await;
    }
    alice.wait_for_count(".member", 3).await;
    alice.screenshot("show-1-lobby").await;

    // Only the host has the start controls; Bob goes first.
    assert_eq!(bob.count("#start-show").await, 0);
    alice.select("#first-performer", &b_id.to_string()).await;
    alice.click("#start-show").await;
    for b in [&alice, &bob, &carol] {
        b.wait_for(&format!(
            "#stage-video[data-user-id='{b_id}'] #on-air-badge"
        ))
        .await;
    }
    assert_eq!(
        carol.count("#end-act").await,
        0,
        "only host and performer end an act"
    );

    // A clap from Carol is seen by Alice and Bob.
    carol.click("#react-clap").await;
    alice.wait_for(".reaction-burst.reaction-clap").await;
    bob.wait_for(".reaction-burst").await;
    alice.screenshot("show-2-on-air-clap").await;
    carol.resize(375, 812).await;
    carol.screenshot("show-2-on-air-phone").await;
    carol.resize(1280, 900).await;
    carol.click("#react-mirrorball").await;
    bob.wait_for(".reaction-burst.reaction-mirrorball").await;
    bob.screenshot("show-3-mirrorball").await;
    // Bursts go away by themselves.
    alice.wait_gone(".reaction-burst").await;

    // Act 1: the host ends Bob's act; Alice and Carol score 80 and 91 (mean 85.50).
    alice.click("#end-act").await;
    bob.wait_for("#nominate-dialog").await;
    assert_eq!(
        bob.count("#score-dialog").await,
        0,
        "no scoring your own act"
    );
    carol.wait_for("#score-dialog").await;
    carol.screenshot("show-4-score-dialog").await;
    score(&[(&alice, "80"), (&carol, "91")]).await;
    bob.screenshot("show-5-nominate").await;
    // Bob picks Carol.
    bob.click(&format!(".nominate-button[data-user-id='{c_id}']"))
        .await;
    for b in [&alice, &bob, &carol] {
        b.wait_for(&format!(
            "#stage-video[data-user-id='{c_id}'] #on-air-badge"
        ))
        .await;
        b.wait_for_text(
            &format!(".member[data-user-id='{b_id}'] .member-score"),
            "85.50",
        )
        .await;
    }

    // Act 2: Carol ends her own act; Alice 70, Bob 75 (72.50); Carol picks Alice.
    carol.click("#end-act").await;
    score(&[(&alice, "70"), (&bob, "75")]).await;
    carol
        .click(&format!(".nominate-button[data-user-id='{a_id}']"))
        .await;
    for b in [&alice, &bob, &carol] {
        b.wait_for(&format!(
            "#stage-video[data-user-id='{a_id}'] #on-air-badge"
        ))
        .await;
    }

    // Act 3: Alice; Bob 100, Carol 95 (97.50). Nobody is left: the show ends.
    alice.click("#end-act").await;
    score(&[(&bob, "100"), (&carol, "95")]).await;
    for b in [&alice, &bob, &carol] {
        b.wait_for("#results-board").await;
        b.wait_for_count("#results-board .result", 3).await;
    }
    let expected = [(a_id, "97.50"), (b_id, "85.50"), (c_id, "72.50")];
    for (i, (id, mean)) in expected.iter().enumerate() {
        let row = format!("#results-board .result:nth-child({})", i + 1);
        assert_eq!(
            carol.attr(&row, "data-user-id").await.as_deref(),
            Some(id.to_string().as_str()),
            "row {i}"
        );
        assert_eq!(
            carol.text(&format!("{row} .result-rank")).await,
            (i + 1).to_string()
        );
        assert!(carol
            .text(&format!("{row} .result-score"))
            .await
            .starts_with(mean));
    }
    carol
        .wait_for_text("#results-board .result:nth-child(1) .result-name", "Alice")
        .await;
    carol.screenshot("show-6-results").await;
    carol.resize(375, 812).await;
    carol.screenshot("show-6-results-phone").await;

    // The ranking: Alice, Bob, Carol (the room-server reports each round to the api-server,
    // with retries, so give it a moment).
    alice.goto("/rankings").await;
    let start = Instant::now();
    while alice.count(".ranking-row").await < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "ranking never filled"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        alice.reload().await;
        alice
            .wait_for(".ranking-panel .pager, #rankings-empty")
            .await;
    }
    for (i, (name, score)) in [("Alice", "97.50"), ("Bob", "85.50"), ("Carol", "72.50")]
        .iter()
        .enumerate()
    {
        let row = format!(".ranking-row:nth-child({})", i + 1);
        assert_eq!(
            alice.text(&format!("{row} .ranking-rank")).await,
            (i + 1).to_string()
        );
        assert_eq!(alice.text(&format!("{row} .ranking-name")).await, *name);
        assert_eq!(alice.text(&format!("{row} .ranking-score")).await, *score);
    }
    alice.screenshot("show-7-rankings").await;

    // Bob's page: one point on the trend chart, his cumulative score and rank.
    alice
        .click(".ranking-row:nth-child(2) .ranking-name a")
        .await;
    alice.wait_for_exact_text("#profile-name", "Bob").await;
    alice
        .wait_for_count("#score-trend circle.trend-point", 1)
        .await;
    assert_eq!(alice.text("#cumulative-score").await, "85.50");
    assert_eq!(alice.text("#rank").await, "#2");
    alice.screenshot("show-8-profile").await;

    alice.close().await;
    bob.close().await;
    carol.close().await;
    stack.stop().await;
}
