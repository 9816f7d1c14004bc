//! The one error type every handler returns, and the one place it becomes an HTTP response.
//!
//! Every error body is `{"error":{"code":"snake_case","message":"..."}}`
//! ([`onair_shared::api::ErrorBody`]). Clients branch on `code`; `message` is for people.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use onair_shared::api::{ApiErrorCode, ErrorBody, ErrorDetail};

/// Request bodies are small JSON objects; anything bigger is a mistake or abuse.
pub const JSON_BODY_LIMIT: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request could not be read: malformed JSON, wrong types, bad path or query.
    #[error("{0}")]
    BadRequest(String),
    /// The request was well-formed but a value breaks a rule; the message names the field.
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("this account has been banned")]
    Banned,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("dev login is disabled on this server")]
    DevLoginDisabled,
    #[error("room not found")]
    RoomNotFound,
    #[error("this room has ended")]
    RoomEnded,
    #[error("{0}")]
    Conflict(String),
    #[error("user not found")]
    UserNotFound,
    /// A `cursor`/`before` value this server did not hand out.
    #[error("invalid cursor; use the next_cursor of a previous page")]
    InvalidCursor,
    #[error("you cannot follow yourself")]
    CannotFollowSelf,
    #[error("an admin cannot ban or unban their own account")]
    CannotBanSelf,
    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// One open room per host: creating another names the one still open.
    #[error("you already have an open room ({0}); close it or go back to it")]
    RoomAlreadyOpen(onair_shared::RoomId),
    /// Only the room's creator (or an admin, on the admin route) closes it.
    #[error("only the room's host can close it")]
    NotRoomHost,
    /// A ranked act reported for a room an admin closed before the act ended.
    #[error("this room was closed by an admin; its later acts do not count")]
    RoomClosed,
    /// The request body did not arrive in time.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// A ranked result reported for a room in `normal` mode.
    #[error("this room is not a ranked room")]
    NotRanked,
    /// The same `(room, round)` was reported before with a different performer.
    #[error("{0}")]
    RoundConflict(String),
    /// `POST /auth/exchange` with a code that is unknown, used or expired.
    #[error("this login code is invalid, used or expired; sign in again")]
    InvalidLoginCode,
    /// Dev mode without `ONAIR_SERVICE_TOKEN`: the internal endpoints are off.
    #[error("internal endpoints are disabled: ONAIR_SERVICE_TOKEN is not set")]
    InternalDisabled,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body is too large (limit {0} bytes)")]
    PayloadTooLarge(usize),
    #[error("the database is unavailable; try again in a moment")]
    DatabaseUnavailable,
    /// The detail is logged, never sent: it may hold SQL or paths.
    #[error("internal server error")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> ApiErrorCode {
        match self {
            ApiError::BadRequest(_) => ApiErrorCode::BadRequest,
            ApiError::Validation(_) => ApiErrorCode::ValidationFailed,
            ApiError::Unauthorized(_) => ApiErrorCode::Unauthorized,
            ApiError::Banned => ApiErrorCode::Banned,
            ApiError::Forbidden(_) => ApiErrorCode::Forbidden,
            ApiError::NotFound(_) => ApiErrorCode::NotFound,
            ApiError::DevLoginDisabled => ApiErrorCode::DevLoginDisabled,
            ApiError::RoomNotFound => ApiErrorCode::RoomNotFound,
            ApiError::RoomEnded => ApiErrorCode::RoomEnded,
            ApiError::Conflict(_) => ApiErrorCode::Conflict,
            ApiError::UserNotFound => ApiErrorCode::UserNotFound,
            ApiError::InvalidCursor => ApiErrorCode::InvalidCursor,
            ApiError::CannotFollowSelf => ApiErrorCode::CannotFollowSelf,
            ApiError::CannotBanSelf => ApiErrorCode::CannotBanSelf,
            ApiError::RateLimited { .. } => ApiErrorCode::RateLimited,
            ApiError::RoomAlreadyOpen(_) => ApiErrorCode::RoomAlreadyOpen,
            ApiError::NotRoomHost => ApiErrorCode::NotRoomHost,
            ApiError::RoomClosed => ApiErrorCode::RoomClosed,
            ApiError::RequestTimeout => ApiErrorCode::RequestTimeout,
            ApiError::NotRanked => ApiErrorCode::NotRanked,
            ApiError::RoundConflict(_) => ApiErrorCode::RoundConflict,
            ApiError::InvalidLoginCode => ApiErrorCode::InvalidLoginCode,
            ApiError::InternalDisabled => ApiErrorCode::InternalDisabled,
            ApiError::MethodNotAllowed => ApiErrorCode::MethodNotAllowed,
            ApiError::PayloadTooLarge(_) => ApiErrorCode::PayloadTooLarge,
            ApiError::DatabaseUnavailable => ApiErrorCode::DatabaseUnavailable,
            ApiError::Internal(_) => ApiErrorCode::Internal,
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(detail.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_)
            | ApiError::Validation(_)
            | ApiError::InvalidCursor
            | ApiError::CannotFollowSelf
            | ApiError::CannotBanSelf
            | ApiError::InvalidLoginCode => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Banned | ApiError::Forbidden(_) | ApiError::NotRoomHost => {
                StatusCode::FORBIDDEN
            }
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::NotFound(_)
            | ApiError::DevLoginDisabled
            | ApiError::RoomNotFound
            | ApiError::UserNotFound => StatusCode::NOT_FOUND,
            ApiError::RoomEnded
            | ApiError::RoomAlreadyOpen(_)
            | ApiError::RoomClosed
            | ApiError::Conflict(_)
            | ApiError::NotRanked
            | ApiError::RoundConflict(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::DatabaseUnavailable | ApiError::InternalDisabled => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail) = self {
            tracing::error!("internal error: {detail}");
        }
        let mut detail = ErrorDetail::new(self.code(), self.to_string());
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header(("WWW-Authenticate", "Bearer"));
            }
            ApiError::RateLimited { retry_after_secs } => {
                response.insert_header(("Retry-After", retry_after_secs.to_string()));
                detail.retry_after = Some(*retry_after_secs);
            }
            ApiError::RoomAlreadyOpen(room) => detail.room = Some(*room),
            ApiError::RequestTimeout => {
                // The rest of the body may still be on its way: do not read it.
                response.insert_header(("Connection", "close"));
            }
            _ => {}
        }
        response.json(ErrorBody { error: detail })
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                tracing::warn!("database connection lost: {}", info.message());
                ApiError::DatabaseUnavailable
            }
            // MySQL reports a dropped link as an unclassified error (2006 "server has gone
            // away", 2013 "lost connection"); it is an outage, not a bug.
            Error::DatabaseError(DatabaseErrorKind::Unknown, info)
                if is_connection_loss(info.message()) =>
            {
                tracing::warn!("database connection lost: {}", info.message());
                ApiError::DatabaseUnavailable
            }
            other => ApiError::Internal(format!("database error: {other}")),
        }
    }
}

fn is_connection_loss(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "gone away",
        "lost connection",
        "can't connect",
        "connection refused",
        "broken pipe",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

/// `Json<T>` extractor settings: size limit and errors in our shape.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_BODY_LIMIT)
        .error_handler(json_error)
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req: &HttpRequest| {
        let PathError::Deserialize(inner) = &err else {
            return ApiError::BadRequest(format!("invalid path: {err}")).into();
        };
        ApiError::BadRequest(format!("invalid path parameter: {inner}")).into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| {
        let QueryPayloadError::Deserialize(inner) = &err else {
            return ApiError::BadRequest(format!("invalid query string: {err}")).into();
        };
        ApiError::BadRequest(format!("invalid query string: {inner}")).into()
    })
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::Payload(actix_web::error::PayloadError::Io(io))
            if io.kind() == std::io::ErrorKind::TimedOut =>
        {
            ApiError::RequestTimeout
        }
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge(JSON_BODY_LIMIT)
        }
        JsonPayloadError::ContentType => {
            ApiError::BadRequest("expected a JSON body with Content-Type: application/json".into())
        }
        JsonPayloadError::Deserialize(inner) => {
            ApiError::BadRequest(format!("invalid JSON body: {inner}"))
        }
        other => ApiError::BadRequest(format!("could not read the request body: {other}")),
    };
    api.into()
}
