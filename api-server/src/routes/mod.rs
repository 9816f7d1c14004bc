//! HTTP routes, one file per area. Every API route lives under `/api/v1`, the room-server's
//! under `/internal/v1`; anything else under `/api` or `/internal` is a JSON 404, and every
//! other path belongs to the web UI.
//!
//! Routes are declared once, in [`table`]: it registers them ([`configure`]) and documents them
//! ([`openapi`]), so the OpenAPI document cannot miss a route.

pub mod admin;
pub mod auth;
pub mod client_config;
pub mod follows;
pub mod health;
pub mod internal;
pub mod kakao;
pub mod me;
pub mod openapi;
pub mod paging;
pub mod rankings;
pub mod rooms;
pub mod tickets;
pub mod users;
pub mod web_ui;

use crate::error::ApiError;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Works anonymously; a login token adds caller-specific fields.
    OptionalUser,
    /// `Authorization: Bearer <login token>`.
    User,
    /// A login token with `role: admin`.
    Admin,
    /// `Authorization: Bearer <ONAIR_SERVICE_TOKEN>` (the room-server).
    Service,
}

/// One route: how it is served and how it is documented.
pub struct RouteDef {
    pub method: Method,
    /// Full path, actix pattern syntax (`{id}`), which is also OpenAPI's.
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub access: Access,
    /// Query parameters: name, description.
    pub query: &'static [(&'static str, &'static str)],
    /// Component schema of the JSON body, if any.
    pub request: Option<&'static str>,
    /// Success status and the component schema of its JSON body (`None`: no JSON body).
    pub ok: (u16, Option<&'static str>),
    /// Error codes this route can answer with, besides `internal` and `database_unavailable`.
    pub errors: &'static [&'static str],
    handler: fn() -> actix_web::Route,
}

const PAGE_QUERY: &[(&str, &str)] = &[
    ("limit", "1 to 100, default 20"),
    ("cursor", "next_cursor of the previous page"),
];

/// Every route of the server.
pub fn table() -> Vec<RouteDef> {
    use Access::*;
    vec![
        // Operations.
        route(Method::GET, "/healthz", Public, || web::route().to(health::healthz))
            .doc("ops", "Liveness: the process serves (does not touch the database).")
            .ok(200, "Status"),
        route(Method::GET, "/readyz", Public, || web::route().to(health::readyz))
            .doc("ops", "Readiness: 200 when the database answers a trivial query, else 503.")
            .ok(200, "Status")
            .errors(&["database_unavailable"]),
        route(Method::GET, "/metrics", Public, || web::route().to(health::metrics))
            .doc("ops", "Prometheus text: request counts by route pattern and status, database pool state."),
        route(Method::GET, "/api/v1/openapi.json", Public, || web::route().to(openapi::openapi_json))
            .doc("ops", "This OpenAPI 3 document."),
        // Configuration and login.
        route(Method::GET, "/api/v1/config", Public, || web::route().to(client_config::get_config))
            .doc("auth", "What the browser needs first: ICE servers and which logins are on.")
            .ok(200, "ClientConfig"),
        route(Method::POST, "/api/v1/auth/dev", Public, || web::route().to(auth::dev_login))
            .doc("auth", "Dev login by name alone (ONAIR_DEV_MODE only).")
            .body("DevLoginRequest")
            .ok(200, "LoginResponse")
            .errors(&["dev_login_disabled", "validation_failed", "banned", "rate_limited"]),
        route(Method::GET, "/api/v1/auth/kakao", Public, || web::route().to(kakao::start))
            .doc("auth", "Starts a Kakao login: 302 to Kakao's consent page with a signed state (also set as an HttpOnly cookie). Not configured: 302 to /login?error=kakao_disabled.")
            .status(302),
        route(Method::GET, "/api/v1/auth/kakao/callback", Public, || web::route().to(kakao::callback))
            .doc("auth", "Kakao's redirect back. Success: 302 to /login/complete?code=<one-time code>. Failure: 302 to /login?error=<access_denied|invalid_state|invalid_request|kakao_rejected|kakao_unavailable|kakao_error|banned|server_error|kakao_disabled>.")
            .query(&[("code", "authorization code from Kakao"), ("state", "the state sent to Kakao"), ("error", "set by Kakao when the user declined")])
            .status(302),
        route(Method::POST, "/api/v1/auth/exchange", Public, || web::route().to(auth::exchange))
            .doc("auth", "Trades the one-time code that ends an OAuth login (60 s, single use) for a login token.")
            .body("ExchangeCodeRequest")
            .ok(200, "LoginResponse")
            .errors(&["invalid_login_code", "banned", "rate_limited"]),
        // The signed-in user.
        route(Method::GET, "/api/v1/me", User, || web::route().to(me::get_me))
            .doc("users", "The signed-in user.")
            .ok(200, "Me")
            .errors(&["unauthorized"]),
        route(Method::PATCH, "/api/v1/me", User, || web::route().to(me::patch_me))
            .doc("users", "Edits the one-line intro (trimmed, at most 150 characters, no control characters).")
            .body("UpdateMeRequest")
            .ok(200, "Me")
            .errors(&["unauthorized", "validation_failed"]),
        // Profiles and follows.
        route(Method::GET, "/api/v1/users/{id}", OptionalUser, || web::route().to(users::get_profile))
            .doc("users", "A public profile; with a login token, followed_by_me says whether the caller follows them.")
            .ok(200, "UserProfile")
            .errors(&["user_not_found", "unauthorized"]),
        route(Method::GET, "/api/v1/users/{id}/scores", Public, || web::route().to(users::score_history))
            .doc("users", "The user's ranked acts, newest first (score trend).")
            .query(&[("limit", "1 to 100, default 20"), ("before", "next_cursor of the previous page")])
            .ok(200, "ScoreHistoryPage")
            .errors(&["user_not_found", "invalid_cursor", "validation_failed"]),
        route(Method::GET, "/api/v1/users/{id}/followers", Public, || web::route().to(follows::followers))
            .doc("follows", "Who follows the user, newest first.")
            .query(PAGE_QUERY)
            .ok(200, "UserSummaryPage")
            .errors(&["user_not_found", "invalid_cursor", "validation_failed"]),
        route(Method::GET, "/api/v1/users/{id}/following", Public, || web::route().to(follows::following))
            .doc("follows", "Whom the user follows, newest first.")
            .query(PAGE_QUERY)
            .ok(200, "UserSummaryPage")
            .errors(&["user_not_found", "invalid_cursor", "validation_failed"]),
        route(Method::PUT, "/api/v1/users/{id}/follow", User, || web::route().to(follows::follow))
            .doc("follows", "Follow (idempotent).")
            .ok(200, "FollowStatus")
            .errors(&["unauthorized", "user_not_found", "cannot_follow_self"]),
        route(Method::DELETE, "/api/v1/users/{id}/follow", User, || web::route().to(follows::unfollow))
            .doc("follows", "Unfollow (idempotent).")
            .ok(200, "FollowStatus")
            .errors(&["unauthorized", "user_not_found", "cannot_follow_self"]),
        route(Method::GET, "/api/v1/rankings", Public, || web::route().to(rankings::rankings))
            .doc("rankings", "Global ranking by cumulative ranked score; ties share a rank (1, 1, 3).")
            .query(&[("limit", "1 to 100, default 20"), ("offset", "rows to skip, default 0")])
            .ok(200, "RankingPage")
            .errors(&["validation_failed"]),
        // Rooms.
        route(Method::GET, "/api/v1/rooms", Public, || web::route().to(rooms::list_rooms))
            .doc("rooms", "The room catalogue with live member counts, newest first (at most 100).")
            .query(&[("category", "singing, dance, magic, comedy, impression, instrument, free, other"), ("mode", "rank or normal"), ("status", "open, live or ended; default open and live")])
            .ok(200, "RoomList")
            .errors(&["validation_failed"]),
        route(Method::POST, "/api/v1/rooms", User, || web::route().to(rooms::create_room))
            .doc("rooms", "Opens a room; the caller hosts it. One open room per host at a time (409 room_already_open names it in error.room); rate-limited per user and per client address.")
            .body("CreateRoomRequest")
            .ok(201, "RoomView")
            .errors(&["unauthorized", "validation_failed", "banned", "room_already_open", "rate_limited"]),
        route(Method::GET, "/api/v1/rooms/{id}", Public, || web::route().to(rooms::get_room))
            .doc("rooms", "One room, in any status.")
            .ok(200, "RoomView")
            .errors(&["room_not_found"]),
        route(Method::POST, "/api/v1/rooms/{id}/close", User, || web::route().to(rooms::close_room))
            .doc("rooms", "The room's host closes it for good: a live show ends, members see why, tickets are refused (idempotent).")
            .ok(200, "RoomView")
            .errors(&["unauthorized", "banned", "room_not_found", "not_room_host"]),
        route(Method::POST, "/api/v1/rooms/{id}/ticket", User, || web::route().to(tickets::issue_ticket))
            .doc("rooms", "A 60-second, single-use room ticket and the room-server's WebSocket URL; rate-limited per user and per client address.")
            .ok(200, "TicketResponse")
            .errors(&["unauthorized", "room_not_found", "room_ended", "banned", "rate_limited"]),
        // Admin.
        route(Method::GET, "/api/v1/admin/rooms", Admin, || web::route().to(admin::list_rooms))
            .doc("admin", "Every room, any status, newest first.")
            .query(&[("status", "open, live or ended; default any"), ("limit", "1 to 100, default 20"), ("cursor", "next_cursor of the previous page")])
            .ok(200, "RoomViewPage")
            .errors(&["unauthorized", "forbidden", "invalid_cursor", "validation_failed"]),
        route(Method::POST, "/api/v1/admin/rooms/{id}/close", Admin, || web::route().to(admin::close_room))
            .doc("admin", "Ends a room: it leaves the catalogue, tickets are refused (409 room_ended), a live show ends on the room-server, and ranked acts ending later are refused.")
            .ok(200, "RoomView")
            .errors(&["unauthorized", "forbidden", "room_not_found"]),
        route(Method::POST, "/api/v1/admin/users/{id}/ban", Admin, || web::route().to(admin::ban))
            .doc("admin", "Bans a user: no login, no room creation, no tickets, out of the ranking.")
            .ok(200, "BanStatus")
            .errors(&["unauthorized", "forbidden", "user_not_found", "cannot_ban_self"]),
        route(Method::POST, "/api/v1/admin/users/{id}/unban", Admin, || web::route().to(admin::unban))
            .doc("admin", "Lifts a ban (not one's own).")
            .ok(200, "BanStatus")
            .errors(&["unauthorized", "forbidden", "user_not_found", "cannot_ban_self"]),
        // Internal (room-server).
        route(Method::GET, "/internal/v1/rooms/{room}", Service, || web::route().to(internal::get_room))
            .doc("internal", "Room metadata for the room-server.")
            .ok(200, "RoomView")
            .errors(&["unauthorized", "internal_disabled", "room_not_found"]),
        route(Method::PUT, "/internal/v1/rooms/{room}/status", Service, || web::route().to(internal::put_status))
            .doc("internal", "Room status and live member count; status only moves forward (open, live, ended).")
            .body("RoomStatusReport")
            .ok(200, "RoomStatusAck")
            .errors(&["unauthorized", "internal_disabled", "room_not_found"]),
        route(Method::PUT, "/internal/v1/rooms/{room}/rounds/{round}", Service, || web::route().to(internal::put_round))
            .doc("internal", "Records a closed round of a ranked room once: 201 the first time, 200 (nothing changed) for a repeat.")
            .body("RankedRoundReport")
            .ok(201, "RoundRecorded")
            .errors(&["unauthorized", "internal_disabled", "room_not_found", "not_ranked", "validation_failed", "round_conflict", "room_closed"]),
        route(Method::GET, "/internal/v1/moderation", Service, || web::route().to(internal::moderation))
            .doc("internal", "Bans, unbans and room closings after ?after=<id>, oldest first (without it: the last five minutes), for the room-servers to act on.")
            .query(&[("after", "the next of the previous answer")])
            .ok(200, "ModerationFeed")
            .errors(&["unauthorized", "internal_disabled", "validation_failed"]),
    ]
}

/// A route with no documentation yet; chain the builders below.
fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: fn() -> actix_web::Route,
) -> RouteDef {
    RouteDef {
        method,
        path,
        tag: "",
        summary: "",
        access,
        query: &[],
        request: None,
        ok: (200, None),
        errors: &[],
        handler,
    }
}

impl RouteDef {
    fn doc(self, tag: &'static str, summary: &'static str) -> RouteDef {
        RouteDef {
            tag,
            summary,
            ..self
        }
    }

    fn query(self, query: &'static [(&'static str, &'static str)]) -> RouteDef {
        RouteDef { query, ..self }
    }

    fn body(self, schema: &'static str) -> RouteDef {
        RouteDef {
            request: Some(schema),
            ..self
        }
    }

    /// Success status and its JSON body's schema.
    fn ok(self, status: u16, schema: &'static str) -> RouteDef {
        RouteDef {
            ok: (status, Some(schema)),
            ..self
        }
    }

    /// Success status without a JSON body.
    fn status(self, status: u16) -> RouteDef {
        RouteDef {
            ok: (status, None),
            ..self
        }
    }

    fn errors(self, errors: &'static [&'static str]) -> RouteDef {
        RouteDef { errors, ..self }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let routes = table();
    let mut paths: Vec<&'static str> = Vec::new();
    for route in &routes {
        if !paths.contains(&route.path) {
            paths.push(route.path);
        }
    }
    for path in paths {
        let mut res = resource(path);
        for route in routes.iter().filter(|r| r.path == path) {
            res = res.route((route.handler)().method(route.method.clone()));
        }
        cfg.service(res);
    }
    cfg.service(web::scope("/api").default_service(web::to(api_not_found)));
    cfg.service(web::scope("/internal").default_service(web::to(api_not_found)));
}

/// A resource whose unsupported methods answer with our JSON 405 instead of an empty body.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn api_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no API route for {} {}",
        req.method(),
        req.path()
    )))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}
