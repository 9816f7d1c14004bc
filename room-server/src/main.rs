// jemalloc keeps each idle connection smaller than glibc's malloc does (12.7 KiB against 14.8
// KiB in rooms of 50, BENCHMARKS.md): actix-http gives every connection two 8 KiB buffers of
// which little is written, and jemalloc puts no headers between them, so their untouched pages
// stay out of resident memory.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use onair_room_server::{start, RoomServerConfig};

#[actix_web::main]
async fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let config = match RoomServerConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("onair-room-server: configuration error: {e}");
            std::process::exit(2);
        }
    };
    match start(config).await {
        Ok(running) => {
            log::info!("room-server listening on ws://{}/ws", running.addr);
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
