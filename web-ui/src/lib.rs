//! OnAir's browser app (Yew, compiled to wasm32 and bundled by `cargo xtask dist`).
//!
//! - `app`: the router and the pages;
//! - `components`: pieces of the pages;
//! - `hooks`: the room connection (`use_room_socket`) and small helpers;
//! - `services`: REST calls and local storage;
//! - `state`: the pure room-state reducer, kept in step with the room-server;
//! - `sync`: the sing-along track's clock and drift corrections (pure);
//! - `chart`, `pagination`: pure helpers for the score-trend chart and paginated lists;
//! - `context`: session, language and toasts shared through Yew contexts;
//! - `i18n`: every string in English and Korean.

pub mod app;
pub mod chart;
pub mod components;
pub mod context;
pub mod hooks;
pub mod i18n;
pub mod moments;
pub mod pagination;
pub mod player;
pub mod services;
pub mod state;
pub mod sync;
pub mod video;

use wasm_bindgen::prelude::*;

/// Runs when the module is instantiated (`init()` in index.html): mounts the app on `#app`
/// (or `<body>` when the page has no such element).
#[wasm_bindgen(start)]
pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => yew::Renderer::<app::App>::with_root(root).render(),
        None => yew::Renderer::<app::App>::new().render(),
    };
}
