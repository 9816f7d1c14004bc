//! The sing-along (issue 17): a backing track every browser plays its own copy of, in step
//! with the room. No internet: a stand-in for YouTube's IFrame API and generated WAV files are
//! served from another local origin (`Options::media`).

use crate::common::{Browser, Media, Options, Stack};
use std::time::{Duration, Instant};

/// Two browsers on one machine count as in step within this (the app's own dead bands are
/// 40 ms for files and 120 ms for YouTube's coarse rates; the rest is measuring through
/// WebDriver on a busy machine).
const IN_STEP_MS: f64 = 350.0;
/// A late joiner, a reload or a paused tab must be in step again within this.
const CONVERGE: Duration = Duration::from_secs(20);

/// Where this browser's track is, as "track position − wall clock" (ms): constant while it
/// plays, and the same in two browsers that play in step (they share the machine's clock).
/// `None` while the player is not playing.
async fn phase_of(b: &Browser) -> Option<f64> {
    let v = b
        .js("const v = document.querySelector('#track-host video');
             if (!v || v.paused || v.readyState < 3) return null;
             return v.currentTime * 1000 - Date.now();")
        .await;
    v.as_f64()
}

/// Waits until every browser plays and all are within [`IN_STEP_MS`] of each other; gives
/// the spread.
async fn wait_in_step(browsers: &[&Browser], within: Duration) -> f64 {
    let start = Instant::now();
    loop {
        let mut phases = Vec::new();
        for b in browsers {
            phases.push(phase_of(b).await);
        }
        if phases.iter().all(Option::is_some) {
            let p: Vec<f64> = phases.iter().flatten().copied().collect();
            let spread = p.iter().cloned().fold(f64::MIN, f64::max)
                - p.iter().cloned().fold(f64::MAX, f64::min);
            if spread <= IN_STEP_MS {
                return spread;
            }
        }
        if start.elapsed() > within {
            for (i, b) in browsers.iter().enumerate() {
                show_track(b).await;
                b.screenshot(&format!("sing-not-in-step-{i}")).await;
            }
            panic!("not in step within {within:?}: {phases:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Scrolls the track panel into the middle of the window (for the screenshots).
async fn show_track(b: &Browser) {
    // Again after a moment: a re-render (a language switch) may move the page meanwhile.
    for _ in 0..3 {
        b.js("document.querySelector('#backing-track').scrollIntoView({block: 'center'});")
            .await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The current position (s) of this browser's track.
async fn position_s(b: &Browser) -> f64 {
    b.js("const v = document.querySelector('#track-host video'); return v ? v.currentTime : -1;")
        .await
        .as_f64()
        .unwrap_or(-1.0)
}

/// Sends `frame` on a WebSocket of its own (a fresh ticket for this browser's login) and
/// gives the `error` code the room-server answers with, or `"none"`.
async fn raw_frame_error(b: &Browser, room: i64, frame: &str) -> String {
    let script = format!(
        r#"const token = JSON.parse(localStorage.getItem('onair.token'));
           const r = await fetch('/api/v1/rooms/{room}/ticket', {{method: 'POST',
               headers: {{authorization: 'Bearer ' + token}}}});
           const t = await r.json();
           return await new Promise((done) => {{
             const ws = new WebSocket(t.ws_url);
             const timer = setTimeout(() => {{ ws.close(); done('none'); }}, 5000);
             ws.onmessage = (m) => {{
               const f = JSON.parse(m.data);
               if (f.type === 'welcome') ws.send(JSON.stringify({frame}));
               if (f.type === 'error') {{ clearTimeout(timer); ws.close(); done(f.code); }}
             }};
           }});"#
    );
    b.js(&script).await.as_str().unwrap_or("none").to_owned()
}

#[actix_rt::test]
async fn everyone_plays_the_performers_track_in_step() {
    let options = Options {
        media: true,
        ..Options::default()
    };
    let Some(stack) = Stack::start_with("sing", options).await else {
        return;
    };
    let media = stack.media_url.clone().expect("the media stand-ins");
    let alice = stack.browser().await;
    let bob = stack.browser().await;
    let carol = stack.browser().await;
    let room = alice.open_room("Alice", "Sing Along").await;
    bob.join_room("Bob", room, "").await;
    let b = bob.user_id().await;
    carol.join_room("Carol", room, "").await;
    alice.wait_for_count(".member", 3).await;

    // In the lobby the host has the controls, the guests do not.
    alice.wait_for("#track-url").await;
    assert_eq!(bob.count("#track-url").await, 0);

    // Bob goes on air: now his are the controls; Carol, a bystander, has none.
    alice.select("#first-performer", &b.to_string()).await;
    alice.click("#start-show").await;
    bob.wait_for("#on-air-badge").await;
    bob.wait_for("#track-url").await;
    carol.wait_for("#on-air-badge").await;
    assert_eq!(carol.count("#track-url").await, 0);
    assert_eq!(carol.count("#track-play").await, 0);

    // A typo is told at once, without a round trip (a bare YouTube id is no URL, so the field
    // is plain text: the browser must not refuse it first).
    bob.type_into("#track-url", "not a link").await;
    bob.click("#track-set").await;
    bob.wait_for("#track-url-error").await;

    // A YouTube video (the stand-in plays it): everyone gets it, paused at 0.
    bob.type_into("#track-url", "https://youtu.be/toneA_12345")
        .await;
    bob.click("#track-set").await;
    for who in [&alice, &bob, &carol] {
        who.wait_for("#backing-track[data-kind=\"youtube\"][data-state=\"paused\"]")
            .await;
        // The title, once the player knows it.
        who.wait_for_text("#track-title", "Stand-in toneA_12345")
            .await;
    }
    show_track(&bob).await;
    bob.screenshot("sing-stage").await;
    bob.click("#track-play").await;
    for who in [&alice, &bob, &carol] {
        who.wait_for("#backing-track[data-state=\"playing\"]").await;
    }
    let spread = wait_in_step(&[&alice, &bob, &carol], CONVERGE).await;
    eprintln!("sing: youtube stand-in, 3 browsers within {spread:.0} ms");
    // It really runs (not three players stuck at 0).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(position_s(&carol).await > 1.5);

    // The stage with the controls, on a desktop and a phone, in English and Korean.
    show_track(&bob).await;
    bob.screenshot("sing-stage-playing").await;
    bob.resize(390, 844).await;
    show_track(&bob).await;
    bob.screenshot("sing-stage-phone").await;
    bob.click("#lang-switch").await;
    bob.wait_for_text("#backing-track .track-label", "반주")
        .await;
    show_track(&bob).await;
    bob.screenshot("sing-stage-phone-ko").await;
    bob.resize(1280, 900).await;
    show_track(&bob).await;
    bob.screenshot("sing-stage-ko").await;
    bob.click("#lang-switch").await;
    bob.wait_for_text("#backing-track .track-label", "Backing track")
        .await;

    // Carol falls behind (her player stalls for 3 s, as a background tab might): the
    // room's clock brings her back.
    carol
        .js("const v = document.querySelector('#track-host video'); v.pause(); v.currentTime = 0;")
        .await;
    wait_in_step(&[&alice, &bob, &carol], CONVERGE).await;

    // A latecomer and a reload both start where the room is.
    let dave = stack.browser().await;
    dave.join_room("Dave", room, "").await;
    let spread = wait_in_step(&[&bob, &dave], CONVERGE).await;
    eprintln!("sing: late joiner within {spread:.0} ms");
    carol.reload().await;
    carol
        .wait_for("#backing-track[data-state=\"playing\"]")
        .await;
    let spread = wait_in_step(&[&bob, &carol], CONVERGE).await;
    eprintln!("sing: reloaded member within {spread:.0} ms");

    // Pause: everyone stops at the same place.
    bob.click("#track-pause").await;
    for who in [&alice, &bob, &dave] {
        who.wait_for("#backing-track[data-state=\"paused\"]").await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (pa, pb) = (position_s(&alice).await, position_s(&bob).await);
    assert!((pa - pb).abs() < 0.4, "paused at {pa} and {pb}");

    // A video whose owner blocks embedding: the room hears of it, and Bob is asked for another.
    bob.type_into("#track-url", "blocked_150").await;
    bob.click("#track-set").await;
    for who in [&alice, &bob, &dave] {
        who.wait_for("#track-error[data-reason=\"embed_blocked\"]")
            .await;
    }
    bob.wait_for_text("#track-error", "Pick another track")
        .await;
    alice
        .wait_for_text("#track-error", "does not allow it to be played here")
        .await;

    // A file URL plays in an HTML5 player, in step too; the error is gone with the old track.
    bob.type_into("#track-url", &format!("{media}/media/track.wav"))
        .await;
    bob.click("#track-set").await;
    bob.wait_for("#backing-track[data-kind=\"file\"]").await;
    bob.wait_gone("#track-error").await;
    bob.click("#track-play").await;
    let spread = wait_in_step(&[&alice, &bob, &dave], CONVERGE).await;
    eprintln!("sing: file track, 3 browsers within {spread:.0} ms");
    assert_eq!(alice.count("#track-player").await, 1);

    // A bystander's control is refused by the room-server itself (not just hidden). Last:
    // the extra connection takes Dave's seat over from his page.
    assert_eq!(
        raw_frame_error(&dave, room, r#"{"type":"media_pause"}"#).await,
        "not_allowed"
    );

    for who in [alice, bob, carol, dave] {
        who.close().await;
    }
    stack.stop().await;
}

#[actix_rt::test]
async fn a_browser_that_refuses_autoplay_offers_one_tap_and_then_plays_in_step() {
    let options = Options {
        media: true,
        ..Options::default()
    };
    let Some(stack) = Stack::start_with("sing-tap", options).await else {
        return;
    };
    let media = stack.media_url.clone().expect("the media stand-ins");
    let alice = stack.browser().await;
    let erin = stack.browser_with(Media::NoAutoplay).await;
    // The host plays a file in the lobby (the host may, before the show).
    let room = alice.open_room("Alice", "Warm Up").await;
    alice
        .type_into("#track-url", &format!("{media}/media/track.wav"))
        .await;
    alice.click("#track-set").await;
    alice.click("#track-play").await;
    alice
        .wait_for("#backing-track[data-state=\"playing\"]")
        .await;

    // Erin's browser will not start sound by itself: she is asked for one tap.
    erin.join_room("Erin", room, "").await;
    erin.wait_for("#track-tap").await;
    assert!(
        phase_of(&erin).await.is_none(),
        "nothing plays before the tap"
    );
    show_track(&erin).await;
    erin.screenshot("sing-tap-to-play").await;
    erin.click("#track-tap").await;
    erin.wait_gone("#track-tap").await;
    let spread = wait_in_step(&[&alice, &erin], CONVERGE).await;
    eprintln!("sing: after the tap within {spread:.0} ms");

    alice.close().await;
    erin.close().await;
    stack.stop().await;
}

/// With cameras and microphones: a viewer holds the track back by how late the performer's
/// voice reaches them (from the call's `getStats()`), and the performer's music mode takes.
#[actix_rt::test]
async fn the_track_waits_for_the_performers_voice_and_music_mode_takes() {
    let options = Options {
        media: true,
        ..Options::default()
    };
    let Some(stack) = Stack::start_with("sing-voice", options).await else {
        return;
    };
    let media = stack.media_url.clone().expect("the media stand-ins");
    let alice = stack.video_browser().await;
    let bob = stack.video_browser().await;
    let room = alice.open_room("Alice", "Voice Night").await;
    bob.join_room("Bob", room, "").await;
    let b = bob.user_id().await;
    alice.wait_for_count(".member", 2).await;
    alice.select("#first-performer", &b.to_string()).await;
    alice.click("#start-show").await;
    bob.wait_for("#on-air-badge").await;
    bob.type_into("#track-url", &format!("{media}/media/track.wav"))
        .await;
    bob.click("#track-set").await;
    bob.wait_for("#track-play").await;
    bob.click("#track-play").await;
    alice
        .wait_for("#backing-track[data-state=\"playing\"]")
        .await;
    // Alice hears Bob through the call: her track waits for his voice (a few tens of ms on
    // loopback, the jitter buffer), his own does not wait for himself.
    let start = Instant::now();
    let delay = loop {
        let d: f64 = alice
            .attr("#backing-track", "data-voice-delay-ms")
            .await
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        if d > 0.0 {
            break d;
        }
        assert!(
            start.elapsed() < CONVERGE,
            "no voice delay measured in {CONVERGE:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(delay <= 1_000.0, "{delay} ms");
    assert_eq!(
        bob.attr("#backing-track", "data-voice-delay-ms")
            .await
            .as_deref(),
        Some("0")
    );
    eprintln!("sing: voice delay {delay} ms");
    // Music mode: the microphone takes the new constraints (the box shows it once it has).
    bob.click("#music-mode").await;
    let start = Instant::now();
    while bob
        .js("return document.querySelector('#music-mode').checked;")
        .await
        != serde_json::json!(true)
    {
        assert!(start.elapsed() < CONVERGE, "music mode never took");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    alice.close().await;
    bob.close().await;
    stack.stop().await;
}
