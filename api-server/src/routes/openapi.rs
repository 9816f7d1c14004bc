//! The OpenAPI 3 document (`GET /api/v1/openapi.json`). Paths and operations come from the
//! route table ([`super::table`]), so every registered route is listed; the schemas of the
//! JSON bodies (the `onair-shared` wire types) are written out here by hand.

use super::{table, Access};
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

pub async fn openapi_json() -> HttpResponse {
    static DOC: OnceLock<Value> = OnceLock::new();
    HttpResponse::Ok().json(DOC.get_or_init(document))
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in table() {
        let mut parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                json!({
                    "name": name, "in": "path", "required": true,
                    "schema": { "type": "integer", "format": "int64" }
                })
            })
            .collect();
        parameters.extend(route.query.iter().map(|(name, description)| {
            json!({
                "name": name, "in": "query", "required": false,
                "description": description, "schema": { "type": "string" }
            })
        }));

        let mut responses = Map::new();
        let (status, schema) = route.ok;
        let mut ok = json!({ "description": status_text(status) });
        if let Some(schema) = schema {
            ok["content"] = json!({ "application/json": { "schema": schema_ref(schema) } });
        } else if route.path == "/metrics" {
            ok["content"] = json!({ "text/plain": { "schema": { "type": "string" } } });
        } else if status == 302 {
            ok["headers"] = json!({ "Location": { "schema": { "type": "string" } } });
        }
        responses.insert(status.to_string(), ok);
        let mut codes: Vec<&str> = route.errors.to_vec();
        codes.extend(["bad_request", "database_unavailable", "internal"]);
        responses.insert(
            "default".into(),
            json!({
                "description": format!("Error; `error.code` is one of: {}", codes.join(", ")),
                "content": { "application/json": { "schema": schema_ref("ErrorBody") } }
            }),
        );

        let security = match route.access {
            Access::Public => json!([]),
            Access::OptionalUser => json!([{}, { "login": [] }]),
            Access::User | Access::Admin => json!([{ "login": [] }]),
            Access::Service => json!([{ "service": [] }]),
        };
        let mut operation = json!({
            "operationId": operation_id(route.method.as_str(), route.path),
            "tags": [route.tag],
            "summary": route.summary,
            "security": security,
            "parameters": parameters,
            "responses": responses,
        });
        if route.access == Access::Admin {
            operation["description"] =
                json!("Needs a login token with `role: admin` (403 `forbidden` otherwise).");
        }
        if let Some(request) = route.request {
            operation["requestBody"] = json!({
                "required": true,
                "content": { "application/json": { "schema": schema_ref(request) } }
            });
        }
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        entry[route.method.as_str().to_ascii_lowercase()] = operation;
    }

    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "OnAir API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "OnAir's REST service: login, profiles, follows, rankings, rooms and tickets (/api/v1), and the room-server's internal endpoints (/internal/v1). Errors are `{\"error\":{\"code\",\"message\"}}`."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "login": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "The login token from /auth/dev or /auth/exchange." },
                "service": { "type": "http", "scheme": "bearer", "description": "ONAIR_SERVICE_TOKEN (room-server only)." }
            },
            "schemas": schemas(),
        }
    })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        id.extend(
            seg.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .map(|c| c.to_ascii_lowercase()),
        );
    }
    id
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        302 => "Redirect",
        _ => "Success",
    }
}

fn schemas() -> Value {
    let id = json!({ "type": "integer", "format": "int64" });
    let string = json!({ "type": "string" });
    let nullable_string = json!({ "type": "string", "nullable": true });
    let int = json!({ "type": "integer" });
    let number = json!({ "type": "number" });
    let boolean = json!({ "type": "boolean" });
    let obj = |props: Value, required: &[&str]| json!({ "type": "object", "properties": props, "required": required });
    let page = |item: &str| {
        obj(
            json!({
                "items": { "type": "array", "items": schema_ref(item) },
                "next_cursor": { "type": "string", "nullable": true }
            }),
            &["items", "next_cursor"],
        )
    };
    let category = json!({ "type": "string", "enum": ["singing", "dance", "magic", "comedy", "impression", "instrument", "free", "other"] });
    let mode = json!({ "type": "string", "enum": ["rank", "normal"] });
    let status = json!({ "type": "string", "enum": ["open", "live", "ended"] });
    let moderation_event = obj(
        json!({
            "id": id, "at": int,
            "type": { "type": "string", "enum": ["banned", "unbanned", "room_closed"] },
            "user": id, "room": id,
            "reason": { "type": "string", "enum": ["host", "admin", "idle"] }
        }),
        &["id", "at", "type"],
    );
    json!({
        "Status": obj(json!({ "status": string }), &["status"]),
        "ErrorBody": obj(json!({ "error": obj(json!({ "code": string, "message": string, "retry_after": { "type": "integer", "description": "rate_limited: seconds to wait (also Retry-After)" }, "room": { "type": "integer", "format": "int64", "description": "room_already_open: the open room" } }), &["code", "message"]) }), &["error"]),
        "IceServer": obj(json!({ "urls": { "type": "array", "items": string }, "username": string, "credential": string }), &["urls"]),
        "ClientConfig": obj(json!({ "ice_servers": { "type": "array", "items": schema_ref("IceServer") }, "dev_login": boolean, "kakao_login": boolean }), &["ice_servers", "dev_login", "kakao_login"]),
        "DevLoginRequest": obj(json!({ "name": { "type": "string", "minLength": 1, "maxLength": 30 } }), &["name"]),
        "ExchangeCodeRequest": obj(json!({ "code": string }), &["code"]),
        "Me": obj(json!({ "id": id, "name": string, "avatar_url": nullable_string, "intro": string, "role": { "type": "string", "enum": ["user", "admin"] } }), &["id", "name", "avatar_url", "intro", "role"]),
        "LoginResponse": obj(json!({ "token": string, "user": schema_ref("Me") }), &["token", "user"]),
        "UpdateMeRequest": obj(json!({ "intro": { "type": "string", "maxLength": 150 } }), &["intro"]),
        "UserSummary": obj(json!({ "id": id, "name": string, "avatar_url": nullable_string }), &["id", "name", "avatar_url"]),
        "UserSummaryPage": page("UserSummary"),
        "UserProfile": obj(json!({
            "id": id, "name": string, "avatar_url": nullable_string, "intro": string,
            "follower_count": int, "following_count": int, "cumulative_score": number,
            "rank": { "type": "integer", "nullable": true }, "acts": int,
            "followed_by_me": boolean, "created_at": int
        }), &["id", "name", "avatar_url", "intro", "follower_count", "following_count", "cumulative_score", "rank", "acts", "followed_by_me", "created_at"]),
        "FollowStatus": obj(json!({ "following": boolean, "follower_count": int }), &["following", "follower_count"]),
        "ScoreHistoryItem": obj(json!({ "room": id, "room_title": string, "round": int, "date": int, "average": { "type": "number", "nullable": true }, "count": int }), &["room", "room_title", "round", "date", "average", "count"]),
        "ScoreHistoryPage": page("ScoreHistoryItem"),
        "RankingEntry": obj(json!({ "rank": int, "user": schema_ref("UserSummary"), "cumulative_score": number, "acts": int }), &["rank", "user", "cumulative_score", "acts"]),
        "RankingPage": obj(json!({ "items": { "type": "array", "items": schema_ref("RankingEntry") }, "total": int }), &["items", "total"]),
        "CreateRoomRequest": obj(json!({ "title": { "type": "string", "minLength": 1, "maxLength": 60 }, "description": { "type": "string", "maxLength": 500 }, "category": category, "mode": mode, "member_limit": { "type": "integer", "minimum": 2, "maximum": 12 } }), &["title"]),
        "RoomView": obj(json!({
            "id": id, "title": string, "description": string, "category": category, "mode": mode,
            "host": schema_ref("UserSummary"), "member_limit": int, "member_count": int,
            "status": status, "created_at": int
        }), &["id", "title", "description", "category", "mode", "host", "member_limit", "member_count", "status", "created_at"]),
        "RoomViewPage": page("RoomView"),
        "RoomList": obj(json!({ "rooms": { "type": "array", "items": schema_ref("RoomView") } }), &["rooms"]),
        "TicketResponse": obj(json!({ "ticket": string, "ws_url": string, "expires_at": int }), &["ticket", "ws_url", "expires_at"]),
        "BanStatus": obj(json!({ "user": id, "banned": boolean }), &["user", "banned"]),
        "ScoreEntry": obj(json!({ "scorer": id, "value": { "type": "integer", "minimum": 0, "maximum": 100 } }), &["scorer", "value"]),
        "RankedRoundReport": obj(json!({ "performer": id, "scores": { "type": "array", "items": schema_ref("ScoreEntry") }, "average": { "type": "number", "nullable": true }, "closed_at": { "type": "integer", "description": "unix milliseconds" } }), &["performer", "scores", "average", "closed_at"]),
        "RoundRecorded": obj(json!({ "room": id, "round": int, "recorded": boolean, "counted": boolean }), &["room", "round", "recorded", "counted"]),
        "ModerationEvent": moderation_event,
        "ModerationFeed": obj(json!({ "events": { "type": "array", "items": schema_ref("ModerationEvent") }, "next": id }), &["events", "next"]),
        "RoomStatusReport": obj(json!({ "status": status, "member_count": int }), &["status", "member_count"]),
        "RoomStatusAck": obj(json!({ "room": id, "status": status, "member_count": int }), &["room", "status", "member_count"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(schemas.contains_key(&name), "missing schema {name}");
        }
        assert_eq!(
            operation_id("GET", "/api/v1/users/{id}/scores"),
            "get_api_v1_users_id_scores"
        );
    }
}
