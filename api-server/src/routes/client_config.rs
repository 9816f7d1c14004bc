use crate::auth::MaybeAuthUser;
use crate::AppState;
use actix_web::web;
use onair_shared::api::{ClientConfig, IceServer};

/// What the browser needs before anything else: ICE servers and which logins exist. A signed-in
/// user also gets TURN credentials (time-limited, tied to their id) when a relay is configured.
pub async fn get_config(state: web::Data<AppState>, me: MaybeAuthUser) -> web::Json<ClientConfig> {
    let config = &state.config;
    let mut ice_servers = if config.stun_urls.is_empty() {
        Vec::new()
    } else {
        vec![IceServer {
            urls: config.stun_urls.clone(),
            username: None,
            credential: None,
        }]
    };
    if let (Some(turn), Some(me)) = (&config.turn, &me.0) {
        ice_servers.push(crate::turn::ice_server(
            &turn.urls,
            turn.secret.expose(),
            me.id,
            crate::unix_now(),
            turn.ttl_secs,
        ));
    }
    web::Json(ClientConfig {
        ice_servers,
        dev_login: config.dev_mode,
        kakao_login: config.kakao.is_some(),
        youtube_api_url: config.youtube_api_url.clone(),
    })
}
