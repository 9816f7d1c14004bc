//! The OpenAPI document (`GET /api/v1/openapi.json`). Paths and operations come from the route
//! table ([`super::table`]), so every registered route is listed; every schema, of bodies and
//! of query strings, is derived with utoipa from the Rust type the route reads or answers with
//! (the `onair-shared` wire types, the handlers' query structs), so a field cannot be left out.

use super::{table, Access};
use actix_web::HttpResponse;
use onair_shared::api::{ApiErrorCode, ErrorBody};
use onair_shared::{RoundId, UserId};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::Object;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, Content, Header, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, Required,
    ResponseBuilder,
};
use utoipa::PartialSchema;

pub async fn openapi_json() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let json = DOC.get_or_init(|| document().to_json().unwrap_or_default());
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json.clone())
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut schemas = Vec::new();
    let error_body = super::schema::<ErrorBody>(&mut schemas);
    let mut paths = Paths::new();
    for route in table() {
        let mut op = OperationBuilder::new()
            .operation_id(Some(operation_id(route.method.as_str(), route.path)))
            .tag(route.tag)
            .summary(Some(route.summary));
        for name in path_parameters(route.path) {
            // Room and user ids are i64, round numbers u32: the types the handlers parse.
            let schema = match name {
                "round" => RoundId::schema(),
                _ => UserId::schema(),
            };
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(schema)),
            );
        }
        if let Some(query) = route.query {
            for parameter in query() {
                op = op.parameter(parameter);
            }
        }
        if let Some(request) = route.request {
            let body = json_content(request(&mut schemas));
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", body)
                    .required(Some(Required::True))
                    .build(),
            ));
        }

        let (status, body) = route.ok;
        let mut ok = ResponseBuilder::new().description(status_text(status));
        ok = match body {
            Some(body) => ok.content("application/json", json_content(body(&mut schemas))),
            None if route.path == "/metrics" => {
                ok.content("text/plain", Content::new(Some(String::schema())))
            }
            None if status == 302 => ok.header("Location", Header::new(String::schema())),
            // The document itself: any JSON object.
            None => ok.content("application/json", Content::new(Some(Object::new()))),
        };
        let mut codes: Vec<&str> = route.errors.iter().map(|c| c.as_str()).collect();
        codes.extend(
            [
                ApiErrorCode::BadRequest,
                ApiErrorCode::DatabaseUnavailable,
                ApiErrorCode::Internal,
            ]
            .map(ApiErrorCode::as_str),
        );
        let error = ResponseBuilder::new()
            .description(format!(
                "Error; `error.code` is one of: {}",
                codes.join(", ")
            ))
            .content("application/json", json_content(error_body.clone()));
        op = op
            .response(status.to_string(), ok.build())
            .response("default", error.build());

        op = match route.access {
            Access::Public => op.securities(Some(Vec::new())),
            Access::OptionalUser => {
                op.securities(Some([SecurityRequirement::default(), login_required()]))
            }
            Access::User => op.securities(Some([login_required()])),
            Access::Admin => op.securities(Some([login_required()])).description(Some(
                "Needs a login token with `role: admin` (403 `forbidden` otherwise).",
            )),
            Access::Service => op.securities(Some([SecurityRequirement::new(
                "service",
                Vec::<String>::new(),
            )])),
        };
        paths.add_path_operation(route.path, vec![http_method(&route.method)], op);
    }

    // One entry per name (a type reached from several routes is collected several times).
    let schemas: BTreeMap<String, _> = schemas.into_iter().collect();
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme(
            "login",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The login token from /auth/dev or /auth/exchange."))
                    .build(),
            ),
        )
        .security_scheme(
            "service",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("ONAIR_SERVICE_TOKEN (room-server only)."))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("OnAir API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "OnAir's REST service: login, profiles, follows, rankings, rooms and tickets \
                     (/api/v1), and the room-server's internal endpoints (/internal/v1). Errors \
                     are `{\"error\":{\"code\",\"message\"}}`. Every answer carries an \
                     `X-Request-Id` (the caller's, or one made up).",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}

fn json_content(schema_name: String) -> Content {
    Content::new(Some(Ref::from_schema_name(schema_name)))
}

fn login_required() -> SecurityRequirement {
    SecurityRequirement::new("login", Vec::<String>::new())
}

/// The `{name}` segments of a route path.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

fn http_method(method: &actix_web::http::Method) -> HttpMethod {
    use actix_web::http::Method;
    match *method {
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        Method::HEAD => HttpMethod::Head,
        Method::OPTIONS => HttpMethod::Options,
        _ => HttpMethod::Get,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn doc() -> Value {
        serde_json::to_value(document()).unwrap()
    }

    #[test]
    fn every_schema_reference_resolves() {
        let doc = doc();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(schemas.contains_key(&name), "missing schema {name}");
        }
        assert_eq!(
            operation_id("GET", "/api/v1/users/{id}/scores"),
            "get_api_v1_users_id_scores"
        );
    }

    /// The schemas are the types: a field of a wire type is in the document, with the limits
    /// the server enforces.
    #[test]
    fn schemas_follow_the_wire_types() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        let profile = serde_json::to_value(onair_shared::api::UserProfile {
            id: UserId(1),
            name: String::new(),
            avatar_url: None,
            intro: String::new(),
            follower_count: 0,
            following_count: 0,
            cumulative_score: 0.0,
            rank: None,
            acts: 0,
            followed_by_me: false,
            created_at: 0,
        })
        .unwrap();
        let properties = schemas["UserProfile"]["properties"].as_object().unwrap();
        for field in profile.as_object().unwrap().keys() {
            assert!(properties.contains_key(field), "UserProfile.{field}");
        }
        use onair_shared::api::{DISPLAY_NAME_MAX_CHARS, INTRO_MAX_CHARS};
        use onair_shared::room::{DESCRIPTION_MAX_CHARS, MAX_MEMBER_LIMIT, TITLE_MAX_CHARS};
        let create = &schemas["CreateRoomRequest"]["properties"];
        assert_eq!(create["title"]["maxLength"], TITLE_MAX_CHARS);
        assert_eq!(create["description"]["maxLength"], DESCRIPTION_MAX_CHARS);
        assert_eq!(create["member_limit"]["maximum"], MAX_MEMBER_LIMIT);
        assert_eq!(
            schemas["DevLoginRequest"]["properties"]["name"]["maxLength"],
            DISPLAY_NAME_MAX_CHARS
        );
        assert_eq!(
            schemas["UpdateMeRequest"]["properties"]["intro"]["maxLength"],
            INTRO_MAX_CHARS
        );
        assert_eq!(
            schemas["RoomView"]["properties"]["category"]["$ref"],
            "#/components/schemas/Category"
        );
        for page in ["UserSummaryPage", "ScoreHistoryItemPage", "RoomViewPage"] {
            assert!(schemas[page]["properties"]["items"].is_object(), "{page}");
        }
    }
}
