//! `onair-api-server`: configured entirely by `ONAIR_*` environment variables (see
//! `onair_api_server::config`).

use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();

    let config = match onair_api_server::config::ApiConfig::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("onair-api-server: configuration error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let running = match onair_api_server::start(config) {
        Ok(running) => running,
        Err(err) => {
            eprintln!("onair-api-server: cannot start: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    match running.server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("onair-api-server: server error: {err}");
            ExitCode::FAILURE
        }
    }
}
