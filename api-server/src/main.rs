//! `onair-api-server`: every setting is a flag or an `ONAIR_*` environment variable
//! (`onair-api-server --help`, docs/CONFIGURATION.md; see `onair_api_server::config`).

use onair_api_server::config::ApiArgs;
use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    let args = match ApiArgs::from_env() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("onair-api-server: configuration error: {err}");
            return ExitCode::FAILURE;
        }
    };
    // Logging first: checking the settings may warn (generated secrets in dev mode).
    let _logs = match onair_telemetry::logs::init("onair-api-server", &args.log) {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("onair-api-server: configuration error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let config = match args.validate() {
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
