//! Two people, two browsers: log in, one creates a room, both join, and a chat line typed in
//! one appears in the other under the sender's name.

use crate::common::Stack;

#[actix_rt::test]
async fn two_users_chat_in_a_room_they_joined_from_the_lobby() {
    let Some(stack) = Stack::start("chat").await else {
        return;
    };
    let alice = stack.browser().await;
    let bob = stack.browser().await;

    alice.log_in("Alice").await;
    alice.screenshot("lobby").await;
    alice
        .type_into("#create-room-title", "Friday Night Stage")
        .await;
    alice
        .type_into("#create-room-description", "Sing anything")
        .await;
    alice.click("#create-room-submit").await;
    alice
        .wait_for_text("#room-title", "Friday Night Stage")
        .await;
    alice.wait_for_text(".member", "Alice").await;

    bob.log_in("Bob").await;
    // The lobby lists the room; Bob opens it from there.
    bob.wait_for_text(".room-card a.room-link", "Friday Night Stage")
        .await;
    bob.click(".room-card a.room-link").await;
    bob.wait_for_text("#room-title", "Friday Night Stage").await;
    bob.wait_for_text(".member", "Alice").await;
    alice.wait_for_text(".member", "Bob").await;

    alice.type_into("#chat-input", "hello from alice").await;
    alice.click("#chat-send").await;
    bob.wait_for_text(".chat-line .chat-text", "hello from alice")
        .await;
    bob.wait_for_text(".chat-line .chat-name", "Alice").await;

    bob.type_into("#chat-input", "안녕 Alice!").await;
    bob.click("#chat-send").await;
    alice
        .wait_for_text(".chat-line .chat-text", "안녕 Alice!")
        .await;
    alice.screenshot("room").await;
    assert_eq!(alice.count(".chat-line").await, 2);

    alice.close().await;
    bob.close().await;
    stack.stop().await;
}
