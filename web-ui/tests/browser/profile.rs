//! Profiles: following and unfollowing someone from their page, and editing my intro.

use crate::common::Stack;

#[actix_rt::test]
async fn follow_and_unfollow_from_a_profile() {
    let Some(stack) = Stack::start("follow").await else {
        return;
    };
    let b = stack.browser().await;

    // Bob exists; then Alice signs in on the same browser.
    b.log_in("Bob").await;
    let bob = b.user_id().await;
    b.log_out().await;
    b.log_in("Alice").await;
    let alice = b.user_id().await;

    b.goto(&format!("/users/{bob}")).await;
    b.wait_for_exact_text("#profile-name", "Bob").await;
    b.wait_for_exact_text("#follower-count", "0").await;
    b.wait_for_exact_text("#follow-button", "Follow").await;
    // No ranked act yet: the chart says so.
    b.wait_for("#score-trend.trend-empty").await;
    assert_eq!(b.count("#score-trend circle.trend-point").await, 0);
    b.wait_for_exact_text("#rank", "Unranked").await;

    b.click("#follow-button").await;
    b.wait_for_exact_text("#follow-button", "Following").await;
    b.wait_for_exact_text("#follower-count", "1").await;
    b.screenshot("profile-following").await;

    // Bob's followers list shows Alice; it links back to her page.
    b.click("#follower-count").await;
    b.wait_for_text(".user-row", "Alice").await;
    b.wait_for(&format!(".user-row[data-user-id='{alice}']"))
        .await;
    b.screenshot("followers-list").await;

    // My page counts the follow and has no follow button.
    b.goto("/me").await;
    b.wait_for_exact_text("#profile-name", "Alice").await;
    b.wait_for_exact_text("#following-count", "1").await;
    assert_eq!(b.count("#follow-button").await, 0);
    b.click("#following-count").await;
    b.wait_for_text(".user-row", "Bob").await;

    // Unfollow: the button and the count go back; the list empties.
    b.goto(&format!("/users/{bob}")).await;
    b.wait_for_exact_text("#follow-button", "Following").await;
    b.click("#follow-button").await;
    b.wait_for_exact_text("#follow-button", "Follow").await;
    b.wait_for_exact_text("#follower-count", "0").await;
    b.goto(&format!("/users/{bob}/followers")).await;
    b.wait_for("#follow-empty").await;

    // In Korean.
    b.goto(&format!("/users/{bob}")).await;
    b.click("#lang-switch").await;
    b.wait_for_exact_text("#follow-button", "팔로우").await;
    b.click("#lang-switch").await;

    b.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn intro_is_edited_on_my_page() {
    let Some(stack) = Stack::start("intro").await else {
        return;
    };
    let b = stack.browser().await;
    b.log_in("Dana").await;

    // Through the header's "My page".
    b.click("#nav-me").await;
    b.wait_for_exact_text("#profile-name", "Dana").await;
    b.wait_for("#intro-input").await;

    b.type_into("#intro-input", "  Beatboxer from Busan 🎤  ")
        .await;
    b.click("#intro-save").await;
    b.wait_for("#intro-saved").await;
    b.wait_for_exact_text("#profile-intro", "Beatboxer from Busan 🎤")
        .await;

    // Kept after a reload.
    b.reload().await;
    b.wait_for_exact_text("#profile-intro", "Beatboxer from Busan 🎤")
        .await;
    assert_eq!(b.value("#intro-input").await, "Beatboxer from Busan 🎤");
    b.screenshot("my-page").await;

    // 151 characters: the message shows and nothing is saved.
    b.type_into("#intro-input", &"a".repeat(151)).await;
    b.wait_for_text("#intro-error", "at most 150 characters")
        .await;
    assert_eq!(
        b.attr("#intro-save", "disabled").await.as_deref(),
        Some("true")
    );
    b.wait_for_text("#intro-count", "151/150").await;
    b.screenshot("my-page-intro-too-long").await;
    // 150 is fine.
    b.type_into("#intro-input", &"a".repeat(150)).await;
    b.wait_gone("#intro-error").await;
    b.click("#intro-save").await;
    b.wait_for("#intro-saved").await;
    b.reload().await;
    b.wait_for_exact_text("#profile-intro", &"a".repeat(150))
        .await;

    // At phone width.
    b.resize(375, 812).await;
    b.screenshot("my-page-phone").await;

    b.close().await;
    stack.stop().await;
}
