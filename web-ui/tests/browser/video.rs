//! Video between real browsers: Chromium's fake camera and microphone, WebRTC calls signaled
//! through the room-server, frames checked in the `<video>` elements (a non-zero
//! `videoWidth` and a `currentTime` that moves on).

use crate::common::{Media, Options, Stack, Turn};
use std::time::Duration;

/// Logs in and opens a new room; gives its id.
fn tile(user: i64) -> String {
    format!(".member-video video[data-user-id=\"{user}\"]")
}

#[actix_rt::test]
async fn two_members_see_and_hear_each_other_and_toggle_camera_and_mic() {
    let Some(stack) = Stack::start("video-two").await else {
        return;
    };
    let alice = stack.video_browser().await;
    let bob = stack.video_browser().await;
    let room = alice.open_room("Alice", "Video Night").await;
    let a = alice.user_id().await;
    bob.join_room("Bob", room, "").await;
    let b = bob.user_id().await;

    // Each receives the other's camera; their own preview is there too.
    assert!(alice.wait_for_video(&tile(b)).await > 0);
    assert!(bob.wait_for_video(&tile(a)).await > 0);
    alice.wait_for_video(&tile(a)).await;
    alice
        .wait_for_exact_text("#toggle-camera .media-label", "Camera on")
        .await;
    alice
        .wait_for_exact_text("#toggle-mic .media-label", "Mic on")
        .await;
    // And their sound: an <audio> per other member, playing.
    let playing = bob
        .js(&format!(
            "const a = document.querySelector('#remote-audio audio[data-user-id=\"{a}\"]');
             return !!a && !a.paused && a.srcObject.getAudioTracks().length > 0;"
        ))
        .await;
    assert_eq!(playing, serde_json::json!(true), "Bob plays Alice's sound");
    // The offer fits a signal frame (≤ 16 KiB) with room to spare.
    let sdp = alice
        .js(&format!(
            "const pc = window.__onairPeers.get({b}); return pc.localDescription.sdp.length;"
        ))
        .await;
    eprintln!("Alice's SDP toward Bob: {sdp} bytes");
    assert!(sdp.as_u64().is_some_and(|n| n < 12_000), "{sdp}");
    // Nobody is on stage: every video is a thumbnail, capped.
    alice.wait_for_max_bitrate(b, 300_000).await;
    bob.wait_for_max_bitrate(a, 300_000).await;
    alice.screenshot("video-room").await;

    // Bob turns his camera off: Alice sees his picture instead; on again: his video again.
    bob.click("#toggle-camera").await;
    bob.wait_for("#toggle-camera[data-state=\"off\"]").await;
    bob.wait_for_exact_text("#toggle-camera .media-label", "Camera off")
        .await;
    alice
        .wait_for(&format!(
            ".member-video[data-user-id=\"{b}\"][data-video=\"off\"]"
        ))
        .await;
    assert_eq!(alice.count(&tile(b)).await, 0);
    bob.click("#toggle-camera").await;
    bob.wait_for("#toggle-camera[data-state=\"on\"]").await;
    alice.wait_for_video(&tile(b)).await;

    // The microphone, in both languages.
    bob.click("#toggle-mic").await;
    bob.wait_for_exact_text("#toggle-mic .media-label", "Mic off")
        .await;
    alice
        .wait_for(&format!(".member-video[data-user-id=\"{b}\"] .mic-off"))
        .await;
    bob.click("#lang-switch").await;
    bob.wait_for_exact_text("#toggle-mic .media-label", "마이크 꺼짐")
        .await;
    bob.wait_for_exact_text("#toggle-camera .media-label", "카메라 켜짐")
        .await;
    bob.click("#toggle-mic").await;
    bob.wait_for_exact_text("#toggle-mic .media-label", "마이크 켜짐")
        .await;
    alice
        .wait_gone(&format!(".member-video[data-user-id=\"{b}\"] .mic-off"))
        .await;
    bob.screenshot("video-room-ko").await;

    // Bob reloads: a new page, new calls, video both ways again without Alice doing anything.
    bob.reload().await;
    bob.wait_for(".room-page .member-list").await;
    bob.wait_for_video(&tile(a)).await;
    alice.wait_for_video(&tile(b)).await;
    assert_eq!(alice.count(".error-toast").await, 0, "no errors shown");

    // Bob's room connection drops (the calls themselves are fine): Alice sees him offline
    // and hangs up; when his connection comes back, the call is made again.
    bob.cut_network().await;
    bob.type_into("#chat-input", "anyone there?").await;
    bob.click("#chat-send").await;
    bob.wait_for("#connection-banner").await;
    alice
        .wait_for(&format!(".member.offline[data-user-id=\"{b}\"]"))
        .await;
    alice
        .wait_for(&format!(
            ".member-video[data-user-id=\"{b}\"][data-video=\"off\"]"
        ))
        .await;
    assert!(
        !alice.has_call_with(b).await,
        "the call with an offline member is closed"
    );
    bob.restore_network().await;
    bob.wait_gone("#connection-banner").await;
    alice
        .wait_for(&format!(".member.online[data-user-id=\"{b}\"]"))
        .await;
    alice.wait_for_video(&tile(b)).await;
    bob.wait_for_video(&tile(a)).await;
    assert_eq!(
        bob.count(".error-toast").await,
        0,
        "signals while offline are not errors"
    );

    alice.close().await;
    bob.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn three_members_see_each_other_and_a_late_joiner_sees_the_performer_on_stage() {
    let Some(stack) = Stack::start("video-three").await else {
        return;
    };
    let alice = stack.video_browser().await;
    let bob = stack.video_browser().await;
    let carol = stack.video_browser().await;
    let room = alice.open_room("Alice", "Stage Night").await;
    let a = alice.user_id().await;
    bob.join_room("Bob", room, "").await;
    let b = bob.user_id().await;
    alice.wait_for_video(&tile(b)).await;

    // Alice starts the show and goes on air: her video fills the big tile for Bob, and her
    // senders are no longer capped at a thumbnail's rate.
    alice.click("#start-show").await;
    alice.wait_for("#on-air-badge").await;
    let stage = format!("#stage-video video[data-user-id=\"{a}\"]");
    bob.wait_for_video(&stage).await;
    alice.wait_for_video(&stage).await;
    alice.wait_for_max_bitrate(b, 1_500_000).await;
    bob.wait_for_max_bitrate(a, 300_000).await;

    // Carol comes in late.
    carol.join_room("Carol", room, "").await;
    let c = carol.user_id().await;
    carol.wait_for("#on-air-badge").await;
    assert!(carol.wait_for_video(&stage).await > 0);
    assert_eq!(
        carol.attr("#stage-video", "data-user-id").await.as_deref(),
        Some(a.to_string().as_str())
    );
    for (who, others) in [(&alice, [b, c]), (&bob, [a, c]), (&carol, [a, b])] {
        for other in others {
            who.wait_for_video(&tile(other)).await;
        }
    }
    // The performer's uplink is shared by two calls now: still the full stage rate.
    alice.wait_for_max_bitrate(c, 1_500_000).await;
    carol.wait_for_max_bitrate(a, 300_000).await;
    carol.screenshot("video-stage").await;

    // Bob leaves: his calls end on both other pages, and his tile goes.
    bob.click("#leave-room").await;
    for who in [&alice, &carol] {
        who.wait_gone(&format!(".member[data-user-id=\"{b}\"]"))
            .await;
        assert!(!who.has_call_with(b).await, "the call with Bob is closed");
        assert!(
            who.has_call_with(if std::ptr::eq(who, &alice) { c } else { a })
                .await
        );
    }
    alice.wait_for_video(&tile(c)).await;
    carol.wait_for_video(&stage).await;

    // The act ends: Alice's picture stays on the (smaller) big tile while Carol scores, and
    // Alice is back to a thumbnail's bitrate.
    alice.click("#end-act").await;
    carol.wait_for("#score-dialog[data-state=\"open\"]").await;
    carol.wait_for_video(&stage).await;
    alice.wait_for_max_bitrate(c, 300_000).await;
    carol.resize(375, 812).await;
    carol.screenshot("video-scoring-phone").await;

    alice.close().await;
    bob.close().await;
    carol.close().await;
    stack.stop().await;
}

#[actix_rt::test]
async fn with_relay_only_ice_the_call_goes_through_the_turn_server() {
    let Some(turn) = Turn::start() else {
        return;
    };
    let options = Options {
        // Nothing but the relay: no STUN, and the browsers may only use relay candidates.
        stun_urls: Some(vec![]),
        turn: Some(turn.config()),
        ..Options::default()
    };
    let Some(stack) = Stack::start_with("video-turn", options).await else {
        return;
    };
    let alice = stack.video_browser().await;
    let bob = stack.video_browser().await;
    let room = alice.open_room("Alice", "Relay Night").await;
    let a = alice.user_id().await;
    alice.goto(&format!("/rooms/{room}?ice=relay")).await;
    bob.join_room("Bob", room, "?ice=relay").await;
    let b = bob.user_id().await;
    alice.wait_for("#ice-relay").await;
    bob.wait_for("#ice-relay").await;

    // The TURN credentials came from /config, for this user.
    let username = alice
        .js(&format!(
            "const pc = window.__onairPeers && window.__onairPeers.get({b});
             const s = pc ? pc.getConfiguration().iceServers : [];
             return [pc ? pc.getConfiguration().iceTransportPolicy : null,
                     s.length, s.length ? s[0].username : null];"
        ))
        .await;
    let wait = std::time::Instant::now();
    let mut username = username;
    while username[1] == serde_json::json!(0) && wait.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        username = alice
            .js(&format!(
                "const pc = window.__onairPeers && window.__onairPeers.get({b});
                 const s = pc ? pc.getConfiguration().iceServers : [];
                 return [pc ? pc.getConfiguration().iceTransportPolicy : null,
                         s.length, s.length ? s[0].username : null];"
            ))
            .await;
    }
    assert_eq!(username[0], "relay", "{username}");
    assert_eq!(username[1], 1, "only the TURN server: {username}");
    assert!(
        username[2]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!(":{a}"))),
        "coturn REST-API username for Alice: {username}"
    );

    let played = tokio::time::timeout(Duration::from_secs(45), async {
        alice.wait_for_video(&tile(b)).await;
        bob.wait_for_video(&tile(a)).await;
    })
    .await;
    if played.is_err() {
        panic!(
            "no video through the relay; turnserver log:\n{}",
            turn.log()
        );
    }
    let types = alice.selected_candidate_types(b).await;
    assert_eq!(types, ["relay", "relay"], "Alice's selected pair");
    let types = bob.selected_candidate_types(a).await;
    assert_eq!(types, ["relay", "relay"], "Bob's selected pair");
    alice.screenshot("video-relay").await;

    alice.close().await;
    bob.close().await;
    stack.stop().await;
    drop(turn);
}

#[actix_rt::test]
async fn a_member_without_a_camera_watches_and_signals_stay_inside_the_room() {
    let Some(stack) = Stack::start("video-nocam").await else {
        return;
    };
    let alice = stack.video_browser().await;
    let dan = stack.browser_with(Media::Denied).await;
    let room = alice.open_room("Alice", "No Camera Night").await;
    let a = alice.user_id().await;
    dan.join_room("Dan", room, "").await;
    let d = dan.user_id().await;

    // Dan refused the camera: he still gets Alice's video, and shows his picture.
    dan.wait_for("#toggle-camera[data-state=\"denied\"]").await;
    dan.wait_for_exact_text("#toggle-camera .media-label", "Camera blocked")
        .await;
    dan.wait_for_video(&tile(a)).await;
    alice
        .wait_for(&format!(
            ".member-video[data-user-id=\"{d}\"][data-link=\"connected\"][data-video=\"off\"]"
        ))
        .await;
    alice
        .wait_for(&format!(".member-video[data-user-id=\"{d}\"] .mic-off"))
        .await;
    assert_eq!(
        dan.count(".error-toast").await,
        0,
        "nothing to complain about"
    );

    // Asking again (a click) is refused again: one sentence, no loop.
    dan.click("#toggle-camera").await;
    dan.wait_for(".error-toast").await;
    dan.wait_for("#toggle-camera[data-state=\"denied\"]").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(dan.count(".error-toast").await, 1);
    dan.screenshot("video-no-camera").await;

    // A signal to a member of another room is refused: Dan opens a second room of his own
    // and, over a raw WebSocket, signals Alice (who is not in it).
    let reply = dan
        .js(&format!(
            "return (async () => {{
               const token = JSON.parse(localStorage.getItem('onair.token'));
               const h = {{'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'}};
               const room = await (await fetch('/api/v1/rooms', {{method: 'POST', headers: h,
                 body: JSON.stringify({{title: 'Elsewhere', description: '', category: 'free', mode: 'normal', member_limit: 8}})}})).json();
               const t = await (await fetch('/api/v1/rooms/' + room.id + '/ticket', {{method: 'POST', headers: h}})).json();
               const ws = new WebSocket(t.ws_url);
               const frames = [];
               return await new Promise(resolve => {{
                 setTimeout(() => resolve({{timeout: true, frames}}), 10000);
                 ws.onmessage = ev => {{
                   const f = JSON.parse(ev.data);
                   frames.push(f.type);
                   if (f.type === 'welcome') ws.send(JSON.stringify({{type: 'signal', to: {a}, data: {{kind: 'hello'}}}}));
                   if (f.type === 'error') {{ ws.close(); resolve(f); }}
                 }};
               }});
             }})()"
        ))
        .await;
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(reply["code"], "not_a_member", "{reply}");

    alice.close().await;
    dan.close().await;
    stack.stop().await;
}
