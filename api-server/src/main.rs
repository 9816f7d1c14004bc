//! `onair-api-server`: configured entirely by `ONAIR_*` environment variables (see
//! `onair_api_server::config`).

use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    let logs = onair_telemetry::logs::LogSettings::from_env()
        .and_then(|settings| onair_telemetry::logs::init("onair-api-server", &settings));
    let _logs = match logs {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("onair-api-server: configuration error: {err}");
            return ExitCode::FAILURE;
        }
    };

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
