//! `use_room_clock`: the room-server's clock as seen from this browser, for the sing-along.
//!
//! On every `welcome` (each connection) it sends a few `time_sync` requests a moment apart, and
//! again every [`REFRESH_MS`]; each answer is a round trip sample, and [`Clock`] keeps the one
//! with the smallest round trip. Stays within the server's limit (2 a second, bursts of 10).

use crate::hooks::RoomSocket;
use crate::sync::{Clock, Sample};
use onair_shared::protocol::ClientMsg;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// How often the clock is measured again.
pub const REFRESH_MS: u32 = 30_000;
/// Round trips per measurement...
pub const SAMPLES_PER_ROUND: u32 = 5;
/// ...this far apart.
pub const SAMPLE_GAP_MS: u32 = 250;
/// Until a round trip is short enough to trust ([`Clock::is_precise`]), another round this
/// often...
pub const RETRY_MS: u32 = 3_000;
/// ...at most this many times per connection (then the 30 s refresh goes on trying).
pub const RETRY_ROUNDS: u32 = 8;

/// The client's wall clock, in ms (the same clock the samples were taken on).
pub fn client_now_ms() -> f64 {
    js_sys::Date::now()
}

/// A shared, always-current clock (read by the player's sync loop between renders).
pub type ClockRef = Rc<RefCell<Clock>>;

#[hook]
pub fn use_room_clock(socket: &RoomSocket) -> ClockRef {
    let clock = use_mut_ref(Clock::default);
    {
        let clock = clock.clone();
        use_effect_with(socket.clock.clone(), move |sink| {
            sink.set(Some(Rc::new(move |sent_ms: f64, server_ms: f64| {
                if let Some(sample) = Sample::from_round_trip(sent_ms, server_ms, client_now_ms()) {
                    clock.borrow_mut().add(sample);
                }
            })));
            let sink = sink.clone();
            move || sink.set(None)
        });
    }
    // A round of samples on each (re)connection, then every REFRESH_MS.
    {
        let send = socket.send.clone();
        let live = socket.is_live();
        let clock = clock.clone();
        use_effect_with((socket.view.welcomes, live), move |&(_, live)| {
            let mut timers = Vec::new();
            let mut retries = Vec::new();
            if live {
                let round = {
                    let send = send.clone();
                    Rc::new(move || {
                        for i in 0..SAMPLES_PER_ROUND {
                            let send = send.clone();
                            gloo_timers::callback::Timeout::new(i * SAMPLE_GAP_MS, move || {
                                send.emit(ClientMsg::TimeSync {
                                    client_ms: client_now_ms(),
                                })
                            })
                            .forget();
                        }
                    })
                };
                round();
                // A page still loading or a busy machine: measure again until it is precise.
                for k in 1..=RETRY_ROUNDS {
                    let again = round.clone();
                    let clock = clock.clone();
                    retries.push(gloo_timers::callback::Timeout::new(
                        k * RETRY_MS,
                        move || {
                            if !clock.borrow().is_precise() {
                                again();
                            }
                        },
                    ));
                }
                let again = round.clone();
                timers.push(gloo_timers::callback::Interval::new(
                    REFRESH_MS,
                    move || again(),
                ));
            }
            move || {
                drop(timers);
                drop(retries);
            }
        });
    }
    clock
}
