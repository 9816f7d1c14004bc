//! HTTP routes, one file per area. Every API route lives under `/api/v1`, the room-server's
//! under `/internal/v1`; anything else under `/api` or `/internal` is a JSON 404, and every
//! other path belongs to the web UI.
//!
//! Routes are declared once, in [`table`]: it registers them ([`configure`]) and documents them
//! ([`openapi`]), so the OpenAPI document cannot miss a route. Each route names the Rust types
//! of its bodies and query string; their schemas are derived from those types (utoipa), so a
//! field cannot be missing from the document either.

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
use health::Status;
use onair_shared::api::{
    ApiErrorCode, BanStatus, ClientConfig, CreateRoomRequest, DevLoginRequest, ExchangeCodeRequest,
    FollowStatus, LoginResponse, Me, ModerationFeed, Page, RankedRoundReport, RankingPage,
    RoomList, RoomStatusAck, RoomStatusReport, RoomView, RoundRecorded, ScoreHistoryItem,
    TicketResponse, UpdateMeRequest, UserProfile, UserSummary,
};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

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

/// Adds a type's schema (and those it refers to) to the document's components and returns the
/// name to refer to it by.
pub type SchemaFn = fn(&mut Vec<(String, RefOr<Schema>)>) -> String;

/// The query parameters of a route, from the type its handler reads them into.
pub type QueryFn = fn() -> Vec<Parameter>;

/// One route: how it is served and how it is documented.
pub struct RouteDef {
    pub method: Method,
    /// Full path, actix pattern syntax (`{id}`), which is also OpenAPI's.
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub query: Option<QueryFn>,
    /// The JSON body's type, if any.
    pub request: Option<SchemaFn>,
    /// Success status and the type of its JSON body (`None`: no JSON body).
    pub ok: (u16, Option<SchemaFn>),
    /// Error codes this route can answer with, besides `internal` and `database_unavailable`.
    pub errors: &'static [ApiErrorCode],
    handler: fn() -> actix_web::Route,
}

/// [`SchemaFn`] of a type.
pub(crate) fn schema<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) -> String {
    let name = T::name().into_owned();
    out.push((name.clone(), T::schema()));
    T::schemas(out);
    name
}

/// [`SchemaFn`] of a page of `T` (`UserSummaryPage`, ...): generic types share one derived name.
fn page_of<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) -> String {
    let name = format!("{}Page", T::name());
    out.push((name.clone(), Page::<T>::schema()));
    Page::<T>::schemas(out);
    schema::<T>(out);
    name
}

fn params<T: IntoParams>() -> Vec<Parameter> {
    T::into_params(|| Some(ParameterIn::Query))
}

/// Every route of the server.
pub fn table() -> Vec<RouteDef> {
    use Access::*;
    vec![
        // Operations.
        route(Method::GET, "/healthz", Public, || web::route().to(health::healthz))
            .doc("ops", "Liveness: the process serves (does not touch the database).")
            .ok(200, schema::<Status>),
        route(Method::GET, "/readyz", Public, || web::route().to(health::readyz))
            .doc("ops", "Readiness: 200 when the database answers a trivial query within a second, else 503.")
            .ok(200, schema::<Status>)
            .errors(&[ApiErrorCode::DatabaseUnavailable]),
        route(Method::GET, "/metrics", Public, || web::route().to(health::metrics))
            .doc("ops", "Prometheus text: requests by route pattern, method and status with their durations, database pool, logins, tickets, ranked rounds."),
        route(Method::GET, "/api/v1/openapi.json", Public, || web::route().to(openapi::openapi_json))
            .doc("ops", "This OpenAPI 3 document."),
        // Configuration and login.
        route(Method::GET, "/api/v1/config", Public, || web::route().to(client_config::get_config))
            .doc("auth", "What the browser needs first: ICE servers and which logins are on.")
            .ok(200, schema::<ClientConfig>),
        route(Method::POST, "/api/v1/auth/dev", Public, || web::route().to(auth::dev_login))
            .doc("auth", "Dev login by name alone (ONAIR_DEV_MODE only).")
            .body(schema::<DevLoginRequest>)
            .ok(200, schema::<LoginResponse>)
            .errors(&[ApiErrorCode::DevLoginDisabled, ApiErrorCode::ValidationFailed, ApiErrorCode::Banned, ApiErrorCode::RateLimited]),
        route(Method::GET, "/api/v1/auth/kakao", Public, || web::route().to(kakao::start))
            .doc("auth", "Starts a Kakao login: 302 to Kakao's consent page with a signed state (also set as an HttpOnly cookie). Not configured: 302 to /login?error=kakao_disabled.")
            .status(302),
        route(Method::GET, "/api/v1/auth/kakao/callback", Public, || web::route().to(kakao::callback))
            .doc("auth", "Kakao's redirect back. Success: 302 to /login/complete?code=<one-time code>. Failure: 302 to /login?error=<access_denied|invalid_state|invalid_request|kakao_rejected|kakao_unavailable|kakao_error|banned|server_error|kakao_disabled>.")
            .query(params::<kakao::CallbackQuery>)
            .status(302),
        route(Method::POST, "/api/v1/auth/exchange", Public, || web::route().to(auth::exchange))
            .doc("auth", "Trades the one-time code that ends an OAuth login (60 s, single use) for a login token.")
            .body(schema::<ExchangeCodeRequest>)
            .ok(200, schema::<LoginResponse>)
            .errors(&[ApiErrorCode::InvalidLoginCode, ApiErrorCode::Banned, ApiErrorCode::RateLimited]),
        // The signed-in user.
        route(Method::GET, "/api/v1/me", User, || web::route().to(me::get_me))
            .doc("users", "The signed-in user.")
            .ok(200, schema::<Me>)
            .errors(&[ApiErrorCode::Unauthorized]),
        route(Method::PATCH, "/api/v1/me", User, || web::route().to(me::patch_me))
            .doc("users", "Edits the one-line intro (trimmed, at most 150 characters, no control characters).")
            .body(schema::<UpdateMeRequest>)
            .ok(200, schema::<Me>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::ValidationFailed]),
        // Profiles and follows.
        route(Method::GET, "/api/v1/users/{id}", OptionalUser, || web::route().to(users::get_profile))
            .doc("users", "A public profile; with a login token, followed_by_me says whether the caller follows them.")
            .ok(200, schema::<UserProfile>)
            .errors(&[ApiErrorCode::UserNotFound, ApiErrorCode::Unauthorized]),
        route(Method::GET, "/api/v1/users/{id}/scores", Public, || web::route().to(users::score_history))
            .doc("users", "The user's ranked acts, newest first (score trend).")
            .query(params::<users::HistoryQuery>)
            .ok(200, page_of::<ScoreHistoryItem>)
            .errors(&[ApiErrorCode::UserNotFound, ApiErrorCode::InvalidCursor, ApiErrorCode::ValidationFailed]),
        route(Method::GET, "/api/v1/users/{id}/followers", Public, || web::route().to(follows::followers))
            .doc("follows", "Who follows the user, newest first.")
            .query(params::<paging::PageQuery>)
            .ok(200, page_of::<UserSummary>)
            .errors(&[ApiErrorCode::UserNotFound, ApiErrorCode::InvalidCursor, ApiErrorCode::ValidationFailed]),
        route(Method::GET, "/api/v1/users/{id}/following", Public, || web::route().to(follows::following))
            .doc("follows", "Whom the user follows, newest first.")
            .query(params::<paging::PageQuery>)
            .ok(200, page_of::<UserSummary>)
            .errors(&[ApiErrorCode::UserNotFound, ApiErrorCode::InvalidCursor, ApiErrorCode::ValidationFailed]),
        route(Method::PUT, "/api/v1/users/{id}/follow", User, || web::route().to(follows::follow))
            .doc("follows", "Follow (idempotent).")
            .ok(200, schema::<FollowStatus>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::UserNotFound, ApiErrorCode::CannotFollowSelf]),
        route(Method::DELETE, "/api/v1/users/{id}/follow", User, || web::route().to(follows::unfollow))
            .doc("follows", "Unfollow (idempotent).")
            .ok(200, schema::<FollowStatus>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::UserNotFound, ApiErrorCode::CannotFollowSelf]),
        route(Method::GET, "/api/v1/rankings", Public, || web::route().to(rankings::rankings))
            .doc("rankings", "Global ranking by cumulative ranked score; ties share a rank (1, 1, 3).")
            .query(params::<rankings::RankingQuery>)
            .ok(200, schema::<RankingPage>)
            .errors(&[ApiErrorCode::ValidationFailed]),
        // Rooms.
        route(Method::GET, "/api/v1/rooms", Public, || web::route().to(rooms::list_rooms))
            .doc("rooms", "The room catalogue with live member counts, newest first, 100 a page by default (`next_cursor` for the next): joinable rooms with someone in them (or created in the last 3 minutes), or one `status`; `q` searches titles.")
            .query(params::<rooms::RoomQuery>)
            .ok(200, schema::<RoomList>)
            .errors(&[ApiErrorCode::ValidationFailed, ApiErrorCode::InvalidCursor]),
        route(Method::POST, "/api/v1/rooms", User, || web::route().to(rooms::create_room))
            .doc("rooms", "Opens a room; the caller hosts it. One open room per host at a time (409 room_already_open names it in error.room); rate-limited per user and per client address.")
            .body(schema::<CreateRoomRequest>)
            .ok(201, schema::<RoomView>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::ValidationFailed, ApiErrorCode::Banned, ApiErrorCode::RoomAlreadyOpen, ApiErrorCode::RateLimited]),
        route(Method::GET, "/api/v1/rooms/{id}", Public, || web::route().to(rooms::get_room))
            .doc("rooms", "One room, in any status.")
            .ok(200, schema::<RoomView>)
            .errors(&[ApiErrorCode::RoomNotFound]),
        route(Method::POST, "/api/v1/rooms/{id}/close", User, || web::route().to(rooms::close_room))
            .doc("rooms", "The room's host closes it for good: a live show ends, members see why, tickets are refused (idempotent).")
            .ok(200, schema::<RoomView>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::Banned, ApiErrorCode::RoomNotFound, ApiErrorCode::NotRoomHost]),
        route(Method::POST, "/api/v1/rooms/{id}/ticket", User, || web::route().to(tickets::issue_ticket))
            .doc("rooms", "A 60-second, single-use room ticket and the room-server's WebSocket URL; rate-limited per user and per client address.")
            .ok(200, schema::<TicketResponse>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::RoomNotFound, ApiErrorCode::RoomEnded, ApiErrorCode::Banned, ApiErrorCode::RateLimited]),
        // Admin.
        route(Method::GET, "/api/v1/admin/rooms", Admin, || web::route().to(admin::list_rooms))
            .doc("admin", "Every room, any status, newest first.")
            .query(params::<admin::AdminRoomQuery>)
            .ok(200, page_of::<RoomView>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::Forbidden, ApiErrorCode::InvalidCursor, ApiErrorCode::ValidationFailed]),
        route(Method::POST, "/api/v1/admin/rooms/{id}/close", Admin, || web::route().to(admin::close_room))
            .doc("admin", "Ends a room: it leaves the catalogue, tickets are refused (409 room_ended), a live show ends on the room-server, and ranked acts ending later are refused.")
            .ok(200, schema::<RoomView>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::Forbidden, ApiErrorCode::RoomNotFound]),
        route(Method::POST, "/api/v1/admin/users/{id}/ban", Admin, || web::route().to(admin::ban))
            .doc("admin", "Bans a user: no login, no room creation, no tickets, out of the ranking.")
            .ok(200, schema::<BanStatus>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::Forbidden, ApiErrorCode::UserNotFound, ApiErrorCode::CannotBanSelf]),
        route(Method::POST, "/api/v1/admin/users/{id}/unban", Admin, || web::route().to(admin::unban))
            .doc("admin", "Lifts a ban (not one's own).")
            .ok(200, schema::<BanStatus>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::Forbidden, ApiErrorCode::UserNotFound, ApiErrorCode::CannotBanSelf]),
        // Internal (room-server).
        route(Method::GET, "/internal/v1/rooms/{room}", Service, || web::route().to(internal::get_room))
            .doc("internal", "Room metadata for the room-server.")
            .ok(200, schema::<RoomView>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::InternalDisabled, ApiErrorCode::RoomNotFound]),
        route(Method::PUT, "/internal/v1/rooms/{room}/status", Service, || web::route().to(internal::put_status))
            .doc("internal", "Room status and live member count; status only moves forward (open, live, ended).")
            .body(schema::<RoomStatusReport>)
            .ok(200, schema::<RoomStatusAck>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::InternalDisabled, ApiErrorCode::RoomNotFound]),
        route(Method::PUT, "/internal/v1/rooms/{room}/rounds/{round}", Service, || web::route().to(internal::put_round))
            .doc("internal", "Records a closed round of a ranked room once: 201 the first time, 200 (nothing changed) for a repeat.")
            .body(schema::<RankedRoundReport>)
            .ok(201, schema::<RoundRecorded>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::InternalDisabled, ApiErrorCode::RoomNotFound, ApiErrorCode::NotRanked, ApiErrorCode::ValidationFailed, ApiErrorCode::RoundConflict, ApiErrorCode::RoomClosed]),
        route(Method::GET, "/internal/v1/moderation", Service, || web::route().to(internal::moderation))
            .doc("internal", "Bans, unbans and room closings after ?after=<id>, oldest first (without it: the last five minutes), for the room-servers to act on.")
            .query(params::<internal::ModerationQuery>)
            .ok(200, schema::<ModerationFeed>)
            .errors(&[ApiErrorCode::Unauthorized, ApiErrorCode::InternalDisabled, ApiErrorCode::ValidationFailed]),
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
        query: None,
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

    fn query(self, query: QueryFn) -> RouteDef {
        RouteDef {
            query: Some(query),
            ..self
        }
    }

    fn body(self, schema: SchemaFn) -> RouteDef {
        RouteDef {
            request: Some(schema),
            ..self
        }
    }

    /// Success status and its JSON body's type.
    fn ok(self, status: u16, schema: SchemaFn) -> RouteDef {
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

    fn errors(self, errors: &'static [ApiErrorCode]) -> RouteDef {
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
