//! The live stage as a person feels it (issue 15): the big video never blinks, scoring that
//! cannot go wrong, confirmations, the live notice line, the phone layout.

use crate::common::{Browser, Stack};
use std::time::Duration;

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
    let room = alice.open_room("Alice", "No Blink").await;
    bob.join_room("Bob", room, "").await;
    let b = bob.user_id().await;
    carol.join_room("Carol", room, "").await;
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

/// Three members in a room: Alice (host) opens it, Bob and Carol join; gives their ids.
async fn three_in_a_room(stack: &Stack, title: &str) -> (Browser, Browser, Browser, i64, i64, i64) {
    let alice = stack.browser().await;
    let bob = stack.browser().await;
    let carol = stack.browser().await;
    let room = alice.open_room("Alice", title).await;
    bob.join_room("Bob", room, "").await;
    carol.join_room("Carol", room, "").await;
    alice.wait_for_count(".member", 3).await;
    let (a, b, c) = (
        alice.user_id().await,
        bob.user_id().await,
        carol.user_id().await,
    );
    (alice, bob, carol, a, b, c)
}

/// Types into an input without expecting the text back (the app may change it).
async fn send_keys(b: &Browser, css: &str, text: &str) {
    let input = b.wait_for(css).await;
    input.clear().await.expect("clear");
    input.send_keys(text).await.expect("type");
}

#[actix_rt::test]
async fn scoring_cannot_go_wrong_and_says_when_time_runs_out() {
    let options = crate::common::Options {
        score_deadline_ms: 16_000,
        ..Default::default()
    };
    let Some(stack) = Stack::start_with("stage-scoring", options).await else {
        return;
    };
    let (alice, bob, carol, ..) = three_in_a_room(&stack, "Score Night").await;
    alice.click("#start-show").await;
    alice.wait_for("#on-air-badge").await;
    alice.click("#end-act").await;

    bob.wait_for("#score-dialog[data-state='open']").await;
    // Nothing picked yet: Score says what to do, in plain words.
    assert_eq!(bob.value("#score-input").await, "");
    bob.click("#score-submit").await;
    bob.wait_for_text("#score-problem", "Pick a score first")
        .await;
    assert!(bob.count("#score-dialog[data-state='open']").await == 1);
    // A click on the slider where it stands picks that score.
    bob.click("#score-slider").await;
    bob.wait_for("#score-slider:not(.untouched)").await;
    let picked = bob.value("#score-input").await;
    assert_eq!(
        picked,
        bob.value("#score-slider").await,
        "number and slider in step"
    );
    assert!(picked.parse::<i64>().is_ok(), "{picked:?}");
    // 150 is brought back to 100, visibly, and the slider follows.
    send_keys(&bob, "#score-input", "150").await;
    bob.wait_for_text("#score-problem", "from 0 to 100").await;
    assert_eq!(bob.value("#score-input").await, "100");
    assert_eq!(bob.value("#score-slider").await, "100");
    // A quick pick sets both.
    bob.click(".score-pick[data-value='80']").await;
    assert_eq!(bob.value("#score-input").await, "80");
    assert_eq!(bob.value("#score-slider").await, "80");
    assert_eq!(bob.count(".score-pick").await, 5);
    bob.click("#score-submit").await;
    bob.wait_for("#score-dialog[data-state='scored']").await;
    bob.wait_for_text("#score-given", "80").await;
    bob.screenshot("stage-score-given").await;

    // Carol waits: ten seconds before the end she is told, then that the round closed
    // without her score.
    carol.wait_for("#score-hurry").await;
    assert!(carol.text("#score-hurry").await.contains("10 seconds left"));
    carol.screenshot("stage-score-hurry").await;
    carol.click("#lang-switch").await;
    carol.resize(390, 844).await;
    carol.wait_for_text("#score-hurry", "10초").await;
    carol.screenshot("stage-score-hurry-ko-phone").await;
    carol.wait_for("#score-missed").await;
    carol
        .wait_for_text("#score-missed", "점수를 주기 전에 채점이 끝났어요")
        .await;
    carol.screenshot("stage-score-missed-ko-phone").await;
    assert_eq!(bob.count("#score-missed").await, 0, "Bob scored in time");
    carol.click("#score-missed-ok").await;
    carol.wait_gone("#score-missed").await;

    alice.close().await;
    bob.close().await;
    carol.close().await;
    stack.stop().await;
}

/// Clicks twice in one go, faster than any re-render (a nervous double click).
async fn double_click(b: &Browser, css: &str) {
    b.wait_for(css).await;
    b.js(&format!(
        "const el = document.querySelector({0}); el.click(); el.click();",
        serde_json::to_string(css).unwrap()
    ))
    .await;
}

#[actix_rt::test]
async fn big_actions_ask_first_and_double_clicks_show_no_error() {
    let Some(stack) = Stack::start("stage-confirm").await else {
        return;
    };
    // A failed login's error does not follow into the lobby once the login works.
    let dave = stack.browser().await;
    dave.goto("/login").await;
    dave.wait_for("#login-name").await;
    dave.cut_network().await;
    dave.type_into("#login-name", "Dave").await;
    dave.click("#login-submit").await;
    dave.wait_for(".error-toast").await;
    dave.restore_network().await;
    dave.click("#login-submit").await;
    dave.wait_for("#create-room-title").await;
    assert_eq!(
        dave.count(".error-toast").await,
        0,
        "the login error stayed"
    );
    dave.close().await;

    let (alice, bob, carol, ..) = three_in_a_room(&stack, "Careful Night").await;
    // Start twice: one show, no "already started".
    double_click(&alice, "#start-show").await;
    alice.wait_for("#on-air-badge").await;
    // End act twice: one act ended, no "can't be done at this point".
    double_click(&alice, "#end-act").await;
    bob.wait_for("#score-dialog[data-state='open']").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        alice.count(".error-toast").await,
        0,
        "a double click showed an error"
    );

    // "End the show" asks first; "keep going" keeps it going.
    alice.click("#end-show").await;
    alice.wait_for("#end-show-confirm").await;
    alice.click("#end-show-no").await;
    alice.wait_gone("#end-show-confirm").await;
    assert_eq!(carol.count("#results-board").await, 0);
    // The host leaving mid-show is asked too.
    alice.click("#leave-room").await;
    alice.wait_for("#leave-confirm").await;
    alice.screenshot("stage-leave-confirm").await;
    alice.click("#leave-no").await;
    alice.wait_gone("#leave-confirm").await;
    assert!(alice.count(".room-page").await == 1, "still in the room");

    // In Korean the two ends read differently, in the same polite style.
    alice.click("#lang-switch").await;
    alice
        .wait_for_exact_text("#end-show", "쇼 전체 끝내기")
        .await;
    alice.click("#end-show").await;
    alice
        .wait_for_text("#end-show-confirm", "쇼를 끝낼까요")
        .await;
    alice.resize(390, 844).await;
    alice.screenshot("stage-end-show-confirm-ko-phone").await;
    double_click(&alice, "#end-show-yes").await;
    for b in [&alice, &bob, &carol] {
        b.wait_for("#results-board").await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(alice.count(".error-toast").await, 0);
    // After the show the host leaves without a question.
    alice.click("#leave-room").await;
    alice.wait_for("#create-room-title").await;

    alice.close().await;
    bob.close().await;
    carol.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn the_live_notice_line_tells_the_shows_moments() {
    let options = crate::common::Options {
        score_deadline_ms: 180_000,
        ..Default::default()
    };
    let Some(stack) = Stack::start_with("stage-notice", options).await else {
        return;
    };
    let (alice, bob, carol, _a, b, c) = three_in_a_room(&stack, "Notice Night").await;
    assert_eq!(
        bob.attr("#live-notice", "aria-live").await.as_deref(),
        Some("polite")
    );
    assert_eq!(
        bob.attr("#live-notice", "role").await.as_deref(),
        Some("status")
    );
    carol.click("#lang-switch").await;

    alice.select("#first-performer", &b.to_string()).await;
    alice.click("#start-show").await;
    alice
        .wait_for_text("#live-notice .live-line", "Bob is on air")
        .await;
    carol
        .wait_for_text("#live-notice .live-line", "Bob 님이 무대에 올랐어요")
        .await;

    // Bob picks Carol while his act is being scored: everyone hears who is next.
    bob.click("#end-act").await;
    bob.click(&format!(".nominate-button[data-user-id='{c}']"))
        .await;
    alice
        .wait_for_text("#live-notice .live-line", "Carol performs next")
        .await;
    carol
        .wait_for_text("#live-notice .live-line", "다음 무대는 Carol 님이에요")
        .await;
    // The scores come in: 80 and 91.
    alice.wait_for("#score-dialog[data-state='open']").await;
    alice.type_into("#score-input", "80").await;
    alice.click("#score-submit").await;
    carol.type_into("#score-input", "91").await;
    carol.click("#score-submit").await;
    bob.wait_for_text("#live-notice .live-line", "85.50 for Bob")
        .await;
    bob.screenshot("stage-notice-score").await;
    carol
        .wait_for_text("#live-notice .live-line", "Bob 님의 점수는 85.50점이에요")
        .await;
    carol.resize(390, 844).await;
    carol.screenshot("stage-notice-ko-phone").await;

    // Bob reloads: the others see him go and come back.
    bob.reload().await;
    alice
        .wait_for_text("#live-notice .live-line", "Bob lost the connection")
        .await;
    alice
        .wait_for_text("#live-notice .live-line", "Bob is back")
        .await;

    // The host leaves mid-show: a new host is named, and the host's leaving is told.
    alice.click("#leave-room").await;
    alice.click("#leave-yes").await;
    bob.wait_for_text("#live-notice .live-line", "Alice left the room")
        .await;
    bob.wait_for_text("#live-notice .live-line", "now the host")
        .await;
    carol
        .wait_for_text("#live-notice .live-line", "호스트")
        .await;

    alice.close().await;
    bob.close().await;
    carol.close().await;
    stack.stop().await;
}

/// Layout faults a person would see on this page: a member tile whose parts spill out of it,
/// a cut name, a badge or score on two lines, a ranking row that wraps, chart labels too small
/// to read, a page wider than the screen.
async fn layout_problems(b: &Browser) -> Vec<String> {
    let v = b
        .js(r#"
        const out = [];
        const r = (el) => el.getBoundingClientRect();
        // The height of one line of the element's text, with its padding and border.
        const lh = (el) => {
          const c = getComputedStyle(el);
          return parseFloat(c.fontSize) * 1.6 + parseFloat(c.paddingTop) + parseFloat(c.paddingBottom)
            + parseFloat(c.borderTopWidth) + parseFloat(c.borderBottomWidth) + 2;
        };
        if (document.documentElement.scrollWidth > window.innerWidth + 1)
          out.push(`page ${document.documentElement.scrollWidth}px wide in ${window.innerWidth}px`);
        for (const m of document.querySelectorAll('.member')) {
          const box = r(m);
          for (const el of m.querySelectorAll('*')) {
            const e = r(el);
            if (e.width === 0 || getComputedStyle(el).position === 'absolute') continue;
            if (e.right > box.right + 1 || e.left < box.left - 1)
              out.push(`spills out of ${m.dataset.userId}'s tile: ${el.className || el.tagName} ${el.textContent.trim()}`);
          }
        }
        for (const el of document.querySelectorAll('.member-name, .ranking-name, .result-name'))
          if (el.scrollWidth > el.clientWidth + 1) out.push(`name cut: ${el.textContent.trim()}`);
        for (const el of document.querySelectorAll('.member .badge-onair, .member-score, .member .tag, .ranking-score, .ranking-rank, td.ranking-name'))
          if (r(el).height > lh(el) || el.scrollWidth > el.clientWidth + 1)
            out.push(`wraps: ${el.className} ${el.textContent.trim()} (${Math.round(r(el).height)}px)`);
        for (const t of document.querySelectorAll('#score-trend text')) {
          const h = r(t).height;
          if (h > 0 && h < 9) out.push(`chart label ${Math.round(h)}px: ${t.textContent}`);
        }
        return out;
        "#)
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// True when the element is on the first screen without scrolling, and not under anything
/// (a tap at its middle reaches it).
/// Whether `css` is on the first screen, reachable by a tap at its middle, once the layout has
/// settled (the sheet folds and the picture shrinks with a transition: up to 5 s on a loaded
/// machine).
async fn on_first_screen(b: &Browser, css: &str) -> bool {
    b.wait_for(css).await;
    for _ in 0..50 {
        let visible = b
            .js(&format!(
                "window.scrollTo(0, 0); const el = document.querySelector({}); const e = el.getBoundingClientRect();
                 const hit = document.elementFromPoint(e.left + e.width / 2, e.top + e.height / 2);
                 return e.top >= 0 && e.bottom <= window.innerHeight && e.height > 0
                   && !!hit && (hit === el || el.contains(hit));",
                serde_json::to_string(css).unwrap()
            ))
            .await
            == serde_json::json!(true);
        if visible {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[actix_rt::test]
async fn a_show_on_a_phone_keeps_stage_chat_and_reactions_on_one_screen() {
    // Rounds close when everyone has scored; the long deadline only keeps a loaded machine
    // (six video browsers) from closing one before the test scores it.
    let options = crate::common::Options {
        score_deadline_ms: 180_000,
        ..Default::default()
    };
    let Some(stack) = Stack::start_with("stage-phone", options).await else {
        return;
    };
    let alex = stack.video_browser().await;
    let bart = stack.video_browser().await;
    let carol = stack.video_browser().await;
    alex.log_in("Alexandra").await;
    alex.type_into("#create-room-title", "Phone Night").await;
    alex.select("#create-room-mode", "rank").await;
    alex.click("#create-room-submit").await;
    alex.wait_for_text("#room-title", "Phone Night").await;
    let room = alex.room_id().await;
    bart.join_room("Bartholomew", room, "").await;
    carol.join_room("Carol", room, "").await;
    carol.resize(390, 844).await;
    alex.wait_for_count(".member", 3).await;
    let (a, b) = (alex.user_id().await, bart.user_id().await);

    alex.select("#first-performer", &b.to_string()).await;
    alex.click("#start-show").await;
    let stage = format!("#stage-video video[data-user-id=\"{b}\"]");
    carol.wait_for_video(&stage).await;
    carol.type_into("#chat-input", "go Bart!").await;
    carol.click("#chat-send").await;
    carol.click("#react-clap").await;
    // Watching and cheering on one screen, and the camera and microphone within reach.
    for css in [
        "#stage-video",
        "#react-clap",
        "#react-mirrorball",
        "#chat-input",
        "#chat-send",
        "#toggle-camera",
        "#toggle-mic",
    ] {
        assert!(
            on_first_screen(&carol, css).await,
            "{css} is not on the phone's first screen"
        );
    }
    carol
        .wait_for_text(".chat-line .chat-text", "go Bart!")
        .await;
    carol.screenshot("phone-room-on-air").await;
    alex.screenshot("desktop-room-on-air").await;
    assert_eq!(layout_problems(&carol).await, Vec::<String>::new());

    // Act 1 scored 85.50; Alexandra is next.
    bart.click("#end-act").await;
    for (who, v) in [(&alex, "80"), (&carol, "91")] {
        who.wait_for("#score-dialog[data-state='open']").await;
        who.type_into("#score-input", v).await;
        who.click("#score-submit").await;
    }
    bart.click(&format!(".nominate-button[data-user-id='{a}']"))
        .await;
    carol
        .wait_for(&format!("#stage-video[data-user-id='{a}'] #on-air-badge"))
        .await;
    carol
        .wait_for_text(
            &format!(".member[data-user-id='{b}'] .member-score"),
            "85.50",
        )
        .await;
    assert!(on_first_screen(&carol, "#chat-input").await);
    assert_eq!(layout_problems(&carol).await, Vec::<String>::new());
    carol.click("#lang-switch").await;
    carol.wait_for_text("#react-clap", "박수").await;
    assert_eq!(layout_problems(&carol).await, Vec::<String>::new());
    carol.screenshot("phone-room-on-air-ko").await;

    // Act 2 being scored, on the phone in Korean and on the desktop in English.
    alex.click("#end-act").await;
    carol.wait_for("#score-dialog[data-state='open']").await;
    // The score is asked for: the slider and Score are on the first screen.
    let visible = on_first_screen(&carol, "#score-slider").await;
    if !visible {
        carol.screenshot("phone-room-scoring-ko-failed").await;
    }
    assert!(visible, "the score dialog is below the dock");
    assert!(on_first_screen(&carol, "#score-submit").await);
    assert!(on_first_screen(&carol, "#chat-input").await);
    carol.screenshot("phone-room-scoring-ko").await;
    bart.wait_for("#score-dialog[data-state='open']").await;
    bart.screenshot("desktop-room-scoring").await;
    bart.click("#lang-switch").await;
    bart.wait_for_text("#score-dialog", "채점").await;
    assert_eq!(layout_problems(&bart).await, Vec::<String>::new());
    bart.screenshot("desktop-room-scoring-ko").await;
    carol.type_into("#score-input", "90").await;
    carol.click("#score-submit").await;
    bart.type_into("#score-input", "95").await;
    bart.click("#score-submit").await;
    alex.wait_for("#nominate-dialog").await;
    alex.click("#end-show").await;
    alex.click("#end-show-yes").await;
    carol.wait_for("#results-board").await;
    carol.screenshot("phone-room-results-ko").await;
    assert_eq!(layout_problems(&carol).await, Vec::<String>::new());

    // The ranking and a profile with its trend chart, on the phone.
    carol.goto("/rankings").await;
    let start = std::time::Instant::now();
    while carol.count(".ranking-row").await < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "ranking never filled"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        carol.reload().await;
        carol
            .wait_for(".ranking-panel .pager, #rankings-empty")
            .await;
    }
    assert_eq!(layout_problems(&carol).await, Vec::<String>::new());
    carol.screenshot("phone-rankings-ko").await;
    carol.goto(&format!("/users/{b}")).await;
    carol.wait_for("#score-trend circle.trend-point").await;
    assert_eq!(layout_problems(&carol).await, Vec::<String>::new());
    carol.screenshot("phone-profile-ko").await;
    carol.click("#lang-switch").await;
    carol.wait_for_text(".nav", "Lobby").await;
    carol.screenshot("phone-profile").await;
    carol.goto("/rankings").await;
    carol.wait_for(".ranking-row").await;
    carol.screenshot("phone-rankings").await;
    carol.goto("/").await;
    carol.wait_for("#create-room-title").await;
    carol.screenshot("phone-lobby").await;
    alex.goto("/rankings").await;
    alex.wait_for(".ranking-row").await;
    alex.screenshot("desktop-rankings").await;
    alex.goto(&format!("/users/{b}")).await;
    alex.wait_for("#score-trend circle.trend-point").await;
    alex.screenshot("desktop-profile").await;
    alex.click("#lang-switch").await;
    alex.wait_for_text(".nav", "랭킹").await;
    alex.screenshot("desktop-profile-ko").await;
    alex.goto("/rankings").await;
    alex.wait_for(".ranking-row").await;
    assert_eq!(layout_problems(&alex).await, Vec::<String>::new());
    alex.screenshot("desktop-rankings-ko").await;

    alex.close().await;
    bart.close().await;
    carol.close().await;
    stack.stop().await;
}

/// True when the page scrolls vertically.
async fn scrolls(b: &Browser) -> bool {
    b.js("return document.documentElement.scrollHeight > window.innerHeight;")
        .await
        == serde_json::json!(true)
}

#[actix_rt::test]
async fn the_small_things_login_fits_one_follower_no_lobby_tab_in_a_room_missing_rooms_and_long_chat(
) {
    let Some(stack) = Stack::start("stage-small").await else {
        return;
    };
    let alice = stack.browser().await;
    let bob = stack.browser().await;

    // The login page fits the screen, on a desktop and a phone, in both languages.
    alice.goto("/login").await;
    alice.wait_for("#login-name").await;
    assert!(
        !scrolls(&alice).await,
        "the login page scrolls on a desktop"
    );
    alice.screenshot("desktop-login").await;
    alice.resize(390, 844).await;
    assert!(!scrolls(&alice).await, "the login page scrolls on a phone");
    alice.click("#lang-switch").await;
    alice.wait_for_text("#login-submit", "").await;
    assert!(!scrolls(&alice).await);
    alice.screenshot("phone-login-ko").await;
    alice.click("#lang-switch").await;
    alice.resize(1280, 900).await;

    alice.log_in("Alice").await;
    assert!(alice
        .attr("#nav-lobby", "class")
        .await
        .unwrap()
        .contains("active"));
    alice.screenshot("desktop-lobby").await;
    let a = alice.user_id().await;
    bob.log_in("Bob").await;
    bob.resize(390, 844).await;
    bob.screenshot("phone-lobby").await;
    bob.click("#lang-switch").await;
    bob.wait_for_text(".nav", "로비").await;
    bob.screenshot("phone-lobby-ko").await;
    bob.click("#lang-switch").await;

    // One follower is a "Follower".
    bob.goto(&format!("/users/{a}")).await;
    bob.click("#follow-button").await;
    bob.wait_for_exact_text("#follower-count", "1").await;
    let stat = bob.text(".follow-stats .stat-link").await;
    assert!(
        stat.contains("Follower") && !stat.contains("Followers"),
        "{stat:?}"
    );
    bob.screenshot("phone-profile-one-follower").await;

    // Inside a room no nav tab is lit.
    alice.type_into("#create-room-title", "Small Things").await;
    alice.click("#create-room-submit").await;
    alice.wait_for_text("#room-title", "Small Things").await;
    assert!(!alice
        .attr("#nav-lobby", "class")
        .await
        .unwrap()
        .contains("active"));
    assert_eq!(alice.count(".nav-item.active").await, 0);

    // A long chat line is neither cut nor sent: the counter says how long it is.
    let long = "la ".repeat(174); // 522 characters
    let input = alice.wait_for("#chat-input").await;
    input.send_keys(&long).await.expect("type");
    alice.wait_for("#chat-count.over").await;
    assert_eq!(alice.value("#chat-input").await.chars().count(), long.len());
    assert!(alice.text("#chat-count").await.starts_with("522/500"));
    alice.click("#chat-send").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        alice.count(".chat-line").await,
        0,
        "an over-long line was sent"
    );
    alice.screenshot("desktop-chat-too-long").await;
    alice.type_into("#chat-input", &"ok ".repeat(140)).await;
    alice.wait_for("#chat-count:not(.over)").await;
    alice.click("#chat-send").await;
    alice.wait_for_count(".chat-line", 1).await;

    // A room that does not exist says so, without a "…" title or a Leave button.
    alice.goto("/rooms/999999").await;
    alice.wait_for_text("#room-missing", "Room not found").await;
    assert_eq!(alice.count("#leave-room").await, 0);
    assert!(!alice.text("body").await.contains('…'));
    alice.screenshot("desktop-room-not-found").await;
    bob.click("#lang-switch").await;
    bob.goto("/rooms/999999").await;
    bob.wait_for_text("#room-missing", "방을 찾을 수 없어요")
        .await;
    bob.screenshot("phone-room-not-found-ko").await;

    alice.close().await;
    bob.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn each_act_is_counted_down_and_the_host_plays_again() {
    let options = crate::common::Options {
        // Long enough for three browsers to look before it runs out.
        up_next_ms: 6_000,
        ..Default::default()
    };
    let Some(stack) = Stack::start_with("stage-countdown", options).await else {
        return;
    };
    let (alice, bob, carol, _a, b, _c) = three_in_a_room(&stack, "Countdown Night").await;
    carol.click("#lang-switch").await;
    carol.resize(390, 844).await;

    alice.select("#first-performer", &b.to_string()).await;
    alice.click("#start-show").await;
    // Everyone sees who is next and the 3-2-1; the performer is told to get ready.
    alice.wait_for("#up-next-countdown").await;
    assert_eq!(
        alice.attr("#room-phase", "data-phase").await.as_deref(),
        Some("up_next")
    );
    alice
        .wait_for_text("#live-notice .live-line", "Bob goes on air in")
        .await;
    // (Shown in capitals.)
    bob.wait_for_text(".stage-up-next", "YOU'RE UP NEXT").await;
    carol
        .wait_for_text("#live-notice .live-line", "님의 무대가 시작돼요")
        .await;
    let seconds: i64 = bob
        .attr("#up-next-countdown", "data-seconds")
        .await
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1);
    assert!((1..=6).contains(&seconds), "{seconds} s left");
    alice.screenshot("stage-up-next").await;
    carol.screenshot("stage-up-next-ko-phone").await;
    assert_eq!(bob.count("#end-act").await, 0, "not on air yet");
    // Then Bob goes on air by himself, for everyone.
    bob.wait_for("#on-air-badge").await;
    carol.wait_for("#on-air-badge").await;
    alice.wait_gone("#up-next-countdown").await;

    // The host ends the show; after the results she plays again with everyone.
    alice.click("#end-show").await;
    alice.click("#end-show-yes").await;
    bob.wait_for("#results-board").await;
    assert_eq!(bob.count("#play-again").await, 0, "only the host");
    alice.wait_for("#play-again").await;
    alice.screenshot("stage-play-again").await;
    carol.screenshot("stage-results-ko-phone").await;
    alice.click("#play-again").await;
    for b in [&alice, &bob, &carol] {
        b.wait_gone("#results-board").await;
        assert_eq!(
            b.attr("#room-phase", "data-phase").await.as_deref(),
            Some("lobby")
        );
    }
    bob.wait_for_text("#live-notice .live-line", "A new show")
        .await;
    assert_eq!(
        bob.count(".member.performed").await,
        0,
        "everyone may perform again"
    );
    alice.wait_for("#start-show").await;

    // The second show: Alice performs, is scored, ends the show and leaves; the room closes
    // with her, and its link still shows the results board.
    let room = alice.room_id().await;
    alice.click("#start-show").await;
    alice.wait_for("#end-act").await;
    alice.click("#end-act").await;
    for (who, v) in [(&bob, "80"), (&carol, "91")] {
        who.wait_for("#score-dialog[data-state='open']").await;
        who.type_into("#score-input", v).await;
        who.click("#score-submit").await;
    }
    bob.wait_for_text(".member .member-score", "85.50").await;
    alice.click("#end-show").await;
    alice.click("#end-show-yes").await;
    alice.wait_for("#play-again").await;
    alice.click("#leave-room").await;
    bob.wait_for_text(".stopped", "closed").await;
    carol.goto(&format!("/rooms/{room}")).await;
    carol.wait_for("#room-missing #results-board").await;
    carol
        .wait_for_text("#room-missing .result-score", "85.50")
        .await;
    assert!(carol
        .text("#room-missing")
        .await
        .contains("Countdown Night"));
    carol
        .screenshot("stage-finished-room-results-ko-phone")
        .await;
    bob.goto(&format!("/rooms/{room}")).await;
    bob.wait_for("#room-missing #results-board").await;
    bob.screenshot("stage-finished-room-results").await;

    alice.close().await;
    bob.close().await;
    carol.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn the_lobby_shows_more_rooms_a_page_at_a_time() {
    let Some(stack) = Stack::start("stage-lobby-pages").await else {
        return;
    };
    let dana = stack.browser().await;
    dana.log_in("Dana").await;
    dana.wait_for("#create-room-title").await;
    // 30 rooms by 30 hosts (one open room each), made through the REST API from the page.
    dana.js(
        "window.__made = 0;
         (async () => {
           for (let i = 1; i <= 30; i++) {
             const login = await fetch('/api/v1/auth/dev', {method: 'POST',
               headers: {'content-type': 'application/json'}, body: JSON.stringify({name: 'Host ' + i})});
             const token = (await login.json()).token;
             await fetch('/api/v1/rooms', {method: 'POST',
               headers: {'content-type': 'application/json', 'authorization': 'Bearer ' + token},
               body: JSON.stringify({title: 'Paged room ' + i})});
             window.__made = i;
           }
         })();",
    )
    .await;
    for _ in 0..300 {
        if dana.js("return window.__made;").await == serde_json::json!(30) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        dana.js("return window.__made;").await,
        serde_json::json!(30)
    );
    dana.click("#refresh-rooms").await;
    // The newest 24 first, then the other 6 with "More rooms", which then goes away.
    dana.wait_for_count(".room-card", 24).await;
    assert!(dana.text(".room-list").await.contains("Paged room 30"));
    dana.click("#lang-switch").await;
    dana.resize(390, 844).await;
    dana.wait_for_text("#more-rooms", "방 더 보기").await;
    dana.js("document.querySelector('#more-rooms').scrollIntoView({block: 'center'});")
        .await;
    dana.screenshot("lobby-more-rooms-ko-phone").await;
    dana.click("#lang-switch").await;
    dana.resize(1280, 800).await;
    dana.click("#more-rooms").await;
    dana.wait_for_count(".room-card", 30).await;
    dana.wait_gone("#more-rooms").await;
    // The list refreshes itself every few seconds: the older page stays.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(dana.count(".room-card").await, 30);
    // A search starts over from its own first page.
    dana.type_into("#room-search", "Paged room 1").await;
    dana.wait_for_count(".room-card", 11).await;
    assert_eq!(dana.count("#more-rooms").await, 0);
    dana.screenshot("lobby-more-rooms").await;

    dana.close().await;
    stack.stop().await;
}

/// Enter on the focused element.
const ENTER: &str = "\u{E007}";

#[actix_rt::test]
async fn a_show_runs_from_the_keyboard_alone() {
    let Some(stack) = Stack::start("stage-keyboard").await else {
        return;
    };
    let alice = stack.browser().await;
    let bob = stack.browser().await;
    // Log in and open a room with the keyboard: type, Enter.
    alice.goto("/login").await;
    alice.type_into("#login-name", "Alice").await;
    alice.press(ENTER).await;
    alice.type_into("#create-room-title", "Keys Night").await;
    alice.press(ENTER).await;
    alice.wait_for_text("#room-title", "Keys Night").await;
    let room = alice.room_id().await;
    bob.join_room("Bob", room, "").await;
    alice.wait_for_count(".member", 2).await;

    // Every step of the show by Tab and Enter.
    alice.tab_to("#start-show").await;
    alice.press(ENTER).await;
    alice.wait_for("#end-act").await;
    alice.tab_to("#react-clap").await;
    alice.press(ENTER).await;
    bob.wait_for(".reaction-burst.reaction-clap").await;
    alice.tab_to("#end-act").await;
    alice.press(ENTER).await;
    bob.wait_for("#score-dialog[data-state='open']").await;
    bob.tab_to(".score-pick[data-value='90']").await;
    bob.press(ENTER).await;
    assert_eq!(bob.value("#score-input").await, "90");
    bob.tab_to("#score-submit").await;
    bob.press(ENTER).await;
    // Bob was the only one to score: the round closes at once.
    alice.wait_for_text(".member .member-score", "90.00").await;
    alice.tab_to(".nominate-button").await;
    alice.press(ENTER).await;
    bob.wait_for("#end-act").await;
    bob.tab_to("#chat-input").await;
    bob.press("bravo").await;
    bob.press(ENTER).await;
    alice.wait_for_text(".chat-line .chat-text", "bravo").await;

    alice.close().await;
    bob.close().await;
    stack.stop().await;
}
