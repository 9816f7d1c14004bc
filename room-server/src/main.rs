// jemalloc keeps each idle connection smaller than glibc's malloc does (12.7 KiB against 14.8
// KiB in rooms of 50, BENCHMARKS.md): actix-http gave every connection two 8 KiB buffers of
// which little is written, and jemalloc puts no headers between them, so their untouched pages
// stayed out of resident memory. (The vendored actix-http now releases those buffers when
// idle: 5.2 KiB with jemalloc, issue 18.)
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use onair_room_server::config::RoomServerArgs;
use onair_room_server::{start, Running};
use tokio::signal::unix::{signal, SignalKind};

#[actix_web::main]
async fn main() {
    let args = match RoomServerArgs::from_env() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("onair-room-server: configuration error: {e}");
            std::process::exit(2);
        }
    };
    let _logs = match onair_telemetry::logs::init("onair-room-server", &args.log) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("onair-room-server: configuration error: {e}");
            std::process::exit(2);
        }
    };
    let config = match args.validate() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("onair-room-server: configuration error: {e}");
            std::process::exit(2);
        }
    };
    let drain = config.drain;
    match start(config).await {
        Ok(running) => {
            tracing::info!("room-server listening on ws://{}/ws", running.addr);
            let (state, handle) = (running.state.clone(), running.handle.clone());
            actix_web::rt::spawn(async move {
                // SIGTERM (an orchestrator): drain first, so load balancers move new
                // connections elsewhere. SIGINT (Ctrl-C): stop now.
                let (Ok(mut term), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                ) else {
                    tracing::error!("cannot listen for signals; stop with SIGKILL");
                    return;
                };
                let drain = tokio::select! {
                    _ = term.recv() => drain,
                    _ = int.recv() => std::time::Duration::ZERO,
                };
                Running::shut_down(state, handle, drain).await;
            });
            if let Err(e) = running.server.await {
                eprintln!("onair-room-server: {e}");
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("onair-room-server: {e}");
            std::process::exit(1);
        }
    }
}
