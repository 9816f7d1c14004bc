//! Every JSON example in docs/PROTOCOL.md decodes as the frame its section says it is, and
//! every frame type is documented.

use onair_shared::protocol::{ClientMsg, ServerMsg, CLIENT_MSG_TYPES};

const DOC: &str = include_str!("../../docs/PROTOCOL.md");

/// `(section heading, json)` for every ```json block.
fn examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.to_owned();
        } else if line.trim() == "```json" {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            out.push((section.clone(), body.join("\n")));
        }
    }
    out
}

#[test]
fn every_example_decodes() {
    let all = examples();
    assert!(all.len() > 25, "found only {} examples", all.len());
    for (section, json) in all {
        if section.starts_with("Client") {
            serde_json::from_str::<ClientMsg>(&json)
                .unwrap_or_else(|e| panic!("client example does not decode ({e}):\n{json}"));
        } else if section.starts_with("Server") {
            let msg = serde_json::from_str::<ServerMsg>(&json)
                .unwrap_or_else(|e| panic!("server example does not decode ({e}):\n{json}"));
            let is_event = matches!(msg, ServerMsg::Event(_));
            assert_eq!(
                is_event,
                section.contains("room events"),
                "wrong section for:\n{json}"
            );
        }
    }
}

#[test]
fn every_frame_type_is_documented() {
    let documented: Vec<String> = examples()
        .iter()
        .filter_map(|(_, json)| serde_json::from_str::<serde_json::Value>(json).ok())
        .filter_map(|v| v["type"].as_str().map(str::to_owned))
        .collect();
    let server_types = [
        "welcome",
        "signal",
        "error",
        "member_joined",
        "member_left",
        "member_offline",
        "member_online",
        "chat",
        "reaction",
        "show_started",
        "on_air",
        "performance_ended",
        "score_progress",
        "round_closed",
        "nominated",
        "host_changed",
        "show_ended",
        "room_closed",
        "media_state",
        "time_sync",
    ];
    for t in CLIENT_MSG_TYPES.iter().chain(server_types.iter()) {
        assert!(
            documented.iter().any(|d| d == t),
            "{t} has no example in docs/PROTOCOL.md"
        );
    }
}

#[test]
fn every_error_code_is_in_the_table() {
    for code in onair_shared::protocol::ErrorCode::ALL {
        let row = format!("| `{}` |", code.as_str());
        assert!(
            DOC.contains(&row),
            "{} is missing from docs/PROTOCOL.md's table",
            code.as_str()
        );
    }
}
