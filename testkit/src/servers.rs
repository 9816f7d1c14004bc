//! The api-server and the room-server started together in-process, wired as in production.

use actix_web::dev::ServerHandle;
use onair_api_server::config::{ApiConfig, Database, Secret};
use onair_room_server::config::ApiLink;
use onair_room_server::RoomServerConfig;
use std::net::SocketAddr;

/// Both servers on loopback ports; stop them with [`Servers::stop`] (or let the test's actix
/// system end).
pub struct Servers {
    /// `http://127.0.0.1:<port>` of the api-server.
    pub api_url: String,
    /// The api-server's configuration, to start it again ([`start_api`]) after stopping it.
    pub api_config: ApiConfig,
    pub api: ServerHandle,
    pub room_addr: SocketAddr,
    pub room: ServerHandle,
}

impl Servers {
    /// Starts the room-server, then the api-server (dev configuration on `database`). Both
    /// sign and check tokens with `secret`; the room-server reports room status and ranked
    /// rounds to the api-server's internal API with `service_token`, and the api-server's
    /// tickets point to the room-server. `room_tweak` and `api_tweak` adjust the
    /// configurations before each starts (the api-server's `bind` already holds its port).
    ///
    /// Call inside an actix system (`#[actix_rt::test]`).
    pub async fn start(
        database: Database,
        secret: &str,
        service_token: Secret,
        room_tweak: impl FnOnce(&mut RoomServerConfig),
        api_tweak: impl FnOnce(&mut ApiConfig),
    ) -> Servers {
        // The api-server's address must be known before the room-server starts (it reports
        // there) and the room-server's before the api-server starts (tickets point to it):
        // reserve the api-server's port first.
        let api_port = crate::free_port();
        let mut room_config = RoomServerConfig::local(secret);
        room_config.api = Some(ApiLink {
            url: format!("http://127.0.0.1:{api_port}"),
            service_token: service_token.expose().to_owned(),
        });
        room_tweak(&mut room_config);
        let room = onair_room_server::start(room_config)
            .await
            .expect("room-server starts");
        let room_handle = room.handle.clone();
        actix_rt::spawn(room.server);

        let mut api_config = ApiConfig::dev(database);
        api_config.bind = SocketAddr::from(([127, 0, 0, 1], api_port));
        api_config.jwt_secret = Secret::new(secret);
        api_config.service_token = Some(service_token);
        api_config.room_server_urls = vec![format!("ws://{}", room.addr)];
        api_tweak(&mut api_config);
        let (api_addr, api_handle) = start_api(api_config.clone());
        Servers {
            api_url: format!("http://{api_addr}"),
            api_config,
            api: api_handle,
            room_addr: room.addr,
            room: room_handle,
        }
    }

    pub async fn stop(&self) {
        self.api.stop(false).await;
        self.room.stop(false).await;
    }
}

/// Starts an api-server in this actix system; gives its address and handle.
pub fn start_api(config: ApiConfig) -> (SocketAddr, ServerHandle) {
    let api = onair_api_server::start(config).expect("api-server starts");
    let handle = api.handle.clone();
    actix_rt::spawn(api.server);
    (api.addr, handle)
}
