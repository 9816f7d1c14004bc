//! The screens around the show: sign-in errors (where a failed Kakao sign-in lands), the
//! lobby's filters, the header's navigation, Korean, and phone width.

use crate::common::{Options, Stack, KAKAO_NICKNAME};

#[actix_rt::test]
async fn login_errors_lobby_filters_navigation_and_korean() {
    let Some(stack) = Stack::start("screens").await else {
        return;
    };
    let b = stack.browser().await;

    // A Kakao sign-in that failed comes back as `/login?error=<code>`.
    b.goto("/login?error=access_denied").await;
    b.wait_for_text("#login-error", "You cancelled the Kakao sign-in.")
        .await;
    b.screenshot("login-error").await;
    b.goto("/login?error=something_new").await;
    b.wait_for_text("#login-error", "Sign-in failed").await;
    // A one-time code that is not valid (or was used already).
    b.goto("/login/complete?code=not-a-real-code").await;
    b.wait_for_text("#login-error", "expired or was already used")
        .await;
    // Kakao is off on this server: no Kakao button.
    b.goto("/login").await;
    b.wait_for("#login-name").await;
    assert_eq!(b.count("#kakao-login").await, 0);

    b.log_in("Erin").await;
    b.type_into("#create-room-title", "Sing Night").await;
    b.select("#create-room-category", "singing").await;
    b.select("#create-room-mode", "rank").await;
    b.click("#create-room-submit").await;
    b.wait_for_text("#room-title", "Sing Night").await;
    b.click("#nav-lobby").await;
    // One open room per host: a second one is refused, with a way back to the first.
    b.type_into("#create-room-title", "Magic Hour").await;
    b.click("#create-room-submit").await;
    b.wait_for_text("#create-room-error", "You already have an open room")
        .await;
    b.wait_for_text("#go-to-open-room", "Go to your open room")
        .await;
    b.screenshot("room-already-open").await;
    b.click("#go-to-open-room").await;
    b.wait_for_text("#room-title", "Sing Night").await;
    // Someone else opens the second room.
    b.log_out().await;
    b.log_in("Finn").await;
    b.type_into("#create-room-title", "Magic Hour").await;
    b.select("#create-room-category", "magic").await;
    b.click("#create-room-submit").await;
    b.wait_for_text("#room-title", "Magic Hour").await;
    b.click("#nav-lobby").await;
    b.wait_for_count(".room-card", 2).await;
    b.wait_for_text(".room-card", "Ranked").await;
    b.wait_for_text(".room-card .host", "Erin").await;

    // Filters.
    b.select("#filter-category", "singing").await;
    b.wait_for_count(".room-card", 1).await;
    b.wait_for_text(".room-card a.room-link", "Sing Night")
        .await;
    b.select("#filter-mode", "normal").await;
    b.wait_for(".room-list-empty").await;
    b.wait_for_text(".room-list-empty", "No open rooms match")
        .await;
    b.select("#filter-category", "").await;
    b.wait_for_count(".room-card", 1).await;
    b.wait_for_text(".room-card a.room-link", "Magic Hour")
        .await;
    b.select("#filter-mode", "").await;
    b.wait_for_count(".room-card", 2).await;
    // Search by title (any case), together with the filters.
    b.type_into("#room-search", "magic").await;
    b.wait_for_count(".room-card", 1).await;
    b.wait_for_text(".room-card a.room-link", "Magic Hour")
        .await;
    b.type_into("#room-search", "zzz").await;
    b.wait_for(".room-list-empty").await;
    b.type_into("#room-search", "i").await;
    b.wait_for_count(".room-card", 2).await;
    b.screenshot("lobby").await;

    // Korean, everywhere.
    b.click("#lang-switch").await;
    b.wait_for_exact_text("#nav-rankings", "랭킹").await;
    b.wait_for_exact_text("#nav-me", "마이페이지").await;
    b.wait_for_text(".lobby-page h1", "열린 방").await;
    b.wait_for_text(".room-card", "마술").await;
    b.screenshot("lobby-ko").await;
    b.resize(375, 812).await;
    b.screenshot("lobby-ko-phone").await;
    b.resize(1280, 900).await;

    // The ranking is empty so far.
    b.click("#nav-rankings").await;
    b.wait_for("#rankings-empty").await;
    b.wait_for_text("#rankings-empty", "아직").await;
    b.click("#lang-switch").await;
    b.wait_for_text("#rankings-empty", "Nobody is ranked yet")
        .await;
    assert_eq!(
        b.attr("#rankings-next", "disabled").await.as_deref(),
        Some("true")
    );

    // Unknown users.
    b.goto("/users/999999").await;
    b.wait_for_text("#profile-missing", "does not exist").await;

    b.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn kakao_sign_in_ends_in_the_lobby() {
    let options = Options {
        kakao: true,
        ..Options::default()
    };
    let Some(stack) = Stack::start_with("kakao", options).await else {
        return;
    };
    let b = stack.browser().await;
    b.goto("/login").await;
    // Kakao is on: its button, and dev login below it.
    b.wait_for("#kakao-login").await;
    b.wait_for("#login-name").await;
    b.screenshot("login-kakao").await;
    // Kakao's consent (faked) sends the browser back to /login/complete?code=..., which the
    // app trades for a login.
    b.click("#kakao-login").await;
    b.wait_for("#create-room-title").await;
    b.wait_for_text(".me-chip", KAKAO_NICKNAME).await;
    b.click("#nav-me").await;
    b.wait_for_exact_text("#profile-name", KAKAO_NICKNAME).await;
    // Kakao's own code is not a login code: refused.
    b.goto("/login/complete?code=e2e-code").await;
    b.wait_for("#login-error").await;

    b.close().await;
    stack.stop().await;
}
