//! Kakao's side of the login (OAuth 2.0 authorization code): the authorize URL, the code
//! exchange and the user-info call. Endpoint URLs come from [`KakaoConfig`], so tests run this
//! exact code against a local fake Kakao.

use crate::config::KakaoConfig;
use onair_shared::api::DISPLAY_NAME_MAX_CHARS;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use std::time::Duration;

/// Total time allowed for one call to Kakao; a slow Kakao fails the login instead of hanging.
pub const KAKAO_TIMEOUT: Duration = Duration::from_secs(5);
/// Used when a Kakao profile has no nickname (the user did not consent to share it).
pub const FALLBACK_NAME: &str = "카카오 사용자";
const AVATAR_URL_MAX_BYTES: usize = 1024;

/// Why Kakao did not give us a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KakaoError {
    /// Kakao answered 4xx: a bad, used or expired code, or a misconfigured app.
    Rejected(String),
    /// Kakao is unreachable, slow, answered 5xx or something unreadable.
    Unavailable(String),
}

/// The profile fields OnAir uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KakaoProfile {
    /// Kakao's user id (a number), stored as the account's `provider_id`.
    pub id: String,
    pub name: String,
    pub avatar_url: Option<String>,
}

/// The Kakao consent page for this login.
pub fn authorize_url(config: &KakaoConfig, state: &str) -> Result<String, url::ParseError> {
    let mut url = url::Url::parse(&config.authorize_url)?;
    url.query_pairs_mut()
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", &config.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("state", state);
    Ok(url.into())
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(KAKAO_TIMEOUT)
        .connect_timeout(Duration::from_secs(3))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Trades the authorization code for Kakao's access token (form POST, as Kakao requires).
pub async fn exchange_code(
    http: &reqwest::Client,
    config: &KakaoConfig,
    code: &str,
) -> Result<String, KakaoError> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", &config.redirect_uri)
        .append_pair("code", code);
    if let Some(secret) = &config.client_secret {
        form.append_pair("client_secret", secret.expose());
    }
    let response = http
        .post(&config.token_url)
        .header(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded;charset=utf-8",
        )
        .header(ACCEPT, "application/json")
        .body(form.finish())
        .send()
        .await;
    let body = read_json("token", response).await?;
    body.get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| KakaoError::Unavailable("token answer without access_token".into()))
}

/// Reads the user's id, nickname and profile image with Kakao's access token.
pub async fn fetch_profile(
    http: &reqwest::Client,
    config: &KakaoConfig,
    access_token: &str,
) -> Result<KakaoProfile, KakaoError> {
    let response = http
        .get(&config.userinfo_url)
        .bearer_auth(access_token)
        .header(ACCEPT, "application/json")
        .send()
        .await;
    let body = read_json("user info", response).await?;
    parse_profile(&body)
}

async fn read_json(
    what: &str,
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<Value, KakaoError> {
    let response = response.map_err(|e| KakaoError::Unavailable(format!("{what}: {e}")))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| KakaoError::Unavailable(format!("{what}: reading the answer: {e}")))?;
    if status.is_client_error() {
        return Err(KakaoError::Rejected(format!(
            "{what}: {status}: {}",
            truncate(&text, 300)
        )));
    }
    if !status.is_success() {
        return Err(KakaoError::Unavailable(format!("{what}: {status}")));
    }
    serde_json::from_str(&text)
        .map_err(|e| KakaoError::Unavailable(format!("{what}: not JSON ({e})")))
}

/// `{"id": 123, "kakao_account": {"profile": {"nickname", "profile_image_url"}}}`; older apps
/// get `properties.nickname` / `properties.profile_image` instead.
pub fn parse_profile(body: &Value) -> Result<KakaoProfile, KakaoError> {
    let id = match body.get("id") {
        Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n > 0) => n.to_string(),
        _ => {
            return Err(KakaoError::Unavailable(
                "user info without a numeric id".into(),
            ))
        }
    };
    let profile = body.pointer("/kakao_account/profile");
    let field = |profile_key: &str, property_key: &str| {
        profile
            .and_then(|p| p.get(profile_key))
            .or_else(|| body.pointer(&format!("/properties/{property_key}")))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let name = field("nickname", "nickname")
        .map(|n| clean_name(&n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| FALLBACK_NAME.to_owned());
    let avatar_url = field("profile_image_url", "profile_image").filter(|u| {
        (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= AVATAR_URL_MAX_BYTES
    });
    Ok(KakaoProfile {
        id,
        name,
        avatar_url,
    })
}

/// A Kakao nickname as an OnAir display name: normalised like every name (control, bidi and
/// zero-width characters removed, trimmed, [`onair_shared::text`]), at most
/// [`DISPLAY_NAME_MAX_CHARS`] characters.
fn clean_name(raw: &str) -> String {
    onair_shared::text::normalize_line(raw)
        .chars()
        .take(DISPLAY_NAME_MAX_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn profiles() {
        let p = parse_profile(&json!({
            "id": 4242,
            "kakao_account": { "profile": {
                "nickname": " 라이언\n ",
                "profile_image_url": "https://k.kakaocdn.net/img.jpg"
            } }
        }))
        .unwrap();
        assert_eq!(p.id, "4242");
        assert_eq!(p.name, "라이언");
        assert_eq!(
            p.avatar_url.as_deref(),
            Some("https://k.kakaocdn.net/img.jpg")
        );

        let p = parse_profile(&json!({
            "id": 7,
            "properties": { "nickname": "춘식", "profile_image": "javascript:alert(1)" }
        }))
        .unwrap();
        assert_eq!(p.name, "춘식");
        assert_eq!(p.avatar_url, None);

        let p = parse_profile(&json!({ "id": 8 })).unwrap();
        assert_eq!(p.name, FALLBACK_NAME);
        let p = parse_profile(
            &json!({ "id": 10, "properties": { "nickname": "\u{202E}라이언\u{200B}" } }),
        )
        .unwrap();
        assert_eq!(
            p.name, "라이언",
            "bidi and zero-width characters are taken out"
        );
        let p = parse_profile(&json!({ "id": 11, "properties": { "nickname": "\u{200B}\u{7}" } }))
            .unwrap();
        assert_eq!(
            p.name, FALLBACK_NAME,
            "a nickname of invisible characters is no name"
        );
        let long = "가".repeat(40);
        let p = parse_profile(&json!({ "id": 9, "properties": { "nickname": long } })).unwrap();
        assert_eq!(p.name.chars().count(), DISPLAY_NAME_MAX_CHARS);

        for bad in [json!({}), json!({ "id": "12" }), json!({ "id": -1 })] {
            assert!(matches!(
                parse_profile(&bad),
                Err(KakaoError::Unavailable(_))
            ));
        }
    }

    #[test]
    fn authorize_urls_carry_the_app_and_state() {
        let config = KakaoConfig::at(
            "https://kauth.example",
            "key 1",
            "https://onair.example/api/v1/auth/kakao/callback",
        );
        let url = url::Url::parse(&authorize_url(&config, "st.a.te").unwrap()).unwrap();
        assert_eq!(url.path(), "/oauth/authorize");
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["client_id"], "key 1");
        assert_eq!(
            pairs["redirect_uri"],
            "https://onair.example/api/v1/auth/kakao/callback"
        );
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["state"], "st.a.te");
    }
}
