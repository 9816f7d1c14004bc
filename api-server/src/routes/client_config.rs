use crate::AppState;
use actix_web::web;
use onair_shared::api::{ClientConfig, IceServer};

/// What the browser needs before anything else: ICE servers and which logins exist.
pub async fn get_config(state: web::Data<AppState>) -> web::Json<ClientConfig> {
    let config = &state.config;
    let ice_servers = if config.stun_urls.is_empty() {
        Vec::new()
    } else {
        vec![IceServer {
            urls: config.stun_urls.clone(),
            username: None,
            credential: None,
        }]
    };
    web::Json(ClientConfig {
        ice_servers,
        dev_login: config.dev_mode,
        kakao_login: config.kakao.is_some(),
    })
}
