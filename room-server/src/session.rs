//! One actor per WebSocket: frame limits, parsing, per-member rate limits; everything that
//! changes the room is forwarded to the `Room` actor. What the room sends the member does not
//! pass through this actor: it goes through the connection's `Outbox` straight to the socket,
//! and the room keeps the heartbeat (pings, the silence timeout) too.

use crate::actor_messages::{
    encode, ConnId, Disconnected, FromMember, Join, OutFrame, Outlet, RoomHandle, ToSession,
};
use crate::metrics::{CutOff, Metrics};
use crate::outbox::Outbox;
use crate::rate_limit::{Budget, Verdict};
use actix::prelude::*;
use actix_web_actors::ws;
use onair_shared::auth::RankedStanding;
use onair_shared::protocol::{
    ClientMsg, Direct, ErrorCode, CLIENT_MSG_TYPES, MAX_FRAME_BYTES, MAX_SIGNAL_BYTES,
};
use onair_shared::UserId;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

static NEXT_CONN: AtomicU64 = AtomicU64::new(0);

fn next_conn_id() -> ConnId {
    static BASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let base = *BASE.get_or_init(|| rand::random::<u64>() & 0xFFFF_FFFF_0000_0000);
    base | (NEXT_CONN.fetch_add(1, Ordering::Relaxed) & 0xFFFF_FFFF)
}

pub struct Session {
    user: UserId,
    name: String,
    standing: Option<RankedStanding>,
    conn: ConnId,
    room: RoomHandle,
    /// A message split over continuation frames, as it arrives.
    partial: Option<Vec<u8>>,
    budget: Budget,
    /// Where the room puts this member's frames (the connection's response body takes them).
    outbox: Arc<Outbox>,
    metrics: Arc<Metrics>,
    /// `session{room user request_id}`: what this connection logs goes under it.
    span: tracing::Span,
}

/// Who a session is for (from the room ticket) and what it reports to.
pub struct SessionSetup {
    pub user: UserId,
    pub name: String,
    pub standing: Option<RankedStanding>,
    pub room: RoomHandle,
    pub outbox: Arc<Outbox>,
    pub metrics: Arc<Metrics>,
    pub span: tracing::Span,
}

impl Session {
    pub fn new(setup: SessionSetup) -> Session {
        Session {
            user: setup.user,
            name: setup.name,
            standing: setup.standing,
            conn: next_conn_id(),
            room: setup.room,
            partial: None,
            budget: Budget::new(),
            outbox: setup.outbox,
            metrics: setup.metrics,
            span: setup.span,
        }
    }

    /// The one place a frame reaches the socket: counted, and its fan-out timed.
    fn write(&self, ctx: &mut ws::WebsocketContext<Self>, frame: OutFrame) {
        self.metrics.frame_out(frame.kind, frame.accepted);
        ctx.text(frame.bytes);
    }

    fn refuse(&self, ctx: &mut ws::WebsocketContext<Self>, code: ErrorCode) {
        self.write(ctx, self.metrics.error_frame(code));
    }

    /// Acts on a budget's verdict; true when the frame may be handled.
    fn obey(&mut self, verdict: Verdict, ctx: &mut ws::WebsocketContext<Self>) -> bool {
        match verdict {
            Verdict::Admit => true,
            Verdict::Refuse(code) => {
                self.refuse(ctx, code);
                false
            }
            Verdict::Drop => false,
            Verdict::Close => {
                tracing::warn!(parent: &self.span, "closing a flooding connection");
                self.metrics.cut_off(CutOff::Flood);
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::Policy,
                    description: Some("flooding".into()),
                }));
                ctx.stop();
                false
            }
        }
    }

    /// Every frame from the client goes through here first, whatever it is.
    fn count_frame(&mut self, ctx: &mut ws::WebsocketContext<Self>) -> bool {
        let verdict = self.budget.frame(Instant::now());
        self.obey(verdict, ctx)
    }

    /// Answers a frame that was not a valid message, or closes a connection that sends many.
    fn refuse_bad(&mut self, ctx: &mut ws::WebsocketContext<Self>, code: ErrorCode) {
        let verdict = self.budget.bad_frame(Instant::now());
        if self.obey(verdict, ctx) {
            self.refuse(ctx, code);
        }
    }

    fn on_text(&mut self, text: &[u8], ctx: &mut ws::WebsocketContext<Self>) {
        if text.len() > MAX_FRAME_BYTES {
            self.metrics.frame_in(None);
            return self.refuse_bad(ctx, ErrorCode::FrameTooLarge);
        }
        let parsed = parse(text);
        self.metrics
            .frame_in(parsed.as_ref().ok().map(ClientMsg::type_name));
        let msg = match parsed {
            Ok(msg) => msg,
            Err(code) => return self.refuse_bad(ctx, code),
        };
        let verdict = self.budget.message(&msg, Instant::now());
        if !self.obey(verdict, ctx) {
            return;
        }
        if let ClientMsg::Signal { data, .. } = &msg {
            if serde_json::to_string(data).map_or(true, |s| s.len() > MAX_SIGNAL_BYTES) {
                return self.refuse_bad(ctx, ErrorCode::SignalTooLarge);
            }
        }
        // The clock is this server's, whichever instance owns the room: answered here, at
        // once, so the round trip the client measures is the socket's alone.
        if let ClientMsg::TimeSync { client_ms } = msg {
            let answer = Direct::TimeSync {
                client_ms,
                server_ms: crate::clock::now_ms_precise(),
            };
            let frame = OutFrame::direct(encode(&answer), "time_sync");
            return self.write(ctx, frame);
        }
        self.room.frames.do_send(FromMember {
            user: self.user,
            conn: self.conn,
            msg,
        });
    }
}

/// Tells apart the three ways a frame can be wrong, so the client gets a useful code.
fn parse(text: &[u8]) -> Result<ClientMsg, ErrorCode> {
    match serde_json::from_slice::<ClientMsg>(text) {
        Ok(msg) => Ok(msg),
        Err(_) => {
            let value: serde_json::Value =
                serde_json::from_slice(text).map_err(|_| ErrorCode::BadJson)?;
            let Some(obj) = value.as_object() else {
                return Err(ErrorCode::BadJson);
            };
            match obj.get("type").and_then(|t| t.as_str()) {
                Some(t) if CLIENT_MSG_TYPES.contains(&t) => Err(ErrorCode::InvalidMessage),
                _ => Err(ErrorCode::UnknownType),
            }
        }
    }
}

impl Actor for Session {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.metrics.connection_opened();
        self.join_room(ctx, Vec::new());
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.metrics.connection_closed();
        tracing::debug!(parent: &self.span, "connection closed");
        self.room.gone.do_send(Disconnected {
            user: self.user,
            conn: self.conn,
        });
    }
}

impl Session {
    /// Asks the room for a seat. Nothing from the client is handled until it answers.
    fn join_room(&mut self, ctx: &mut ws::WebsocketContext<Self>, replay: Vec<ClientMsg>) {
        let join = Join {
            user: self.user,
            name: self.name.clone(),
            standing: self.standing,
            conn: self.conn,
            session: Outlet::new(self.outbox.clone(), ctx.address().recipient()),
        };
        self.room
            .join
            .send(join)
            .into_actor(self)
            .map(|result, session, ctx| {
                let code = match result {
                    Ok(Ok(())) => {
                        for msg in replay {
                            session.room.frames.do_send(FromMember {
                                user: session.user,
                                conn: session.conn,
                                msg,
                            });
                        }
                        return;
                    }
                    Ok(Err(code)) => code,
                    Err(_) => ErrorCode::Internal,
                };
                session.refuse(ctx, code);
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::Policy,
                    description: Some(code.as_str().into()),
                }));
                ctx.stop();
            })
            .wait(ctx);
    }
}

impl Handler<ToSession> for Session {
    type Result = ();

    fn handle(&mut self, msg: ToSession, ctx: &mut Self::Context) {
        match msg {
            ToSession::Rebind(room, replay) => {
                self.room = room;
                self.join_room(ctx, replay);
            }
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Session {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.outbox.heard();
        let msg = match item {
            Ok(msg) => msg,
            Err(e) => {
                // Only a broken or oversized (> 4 × 64 KiB) frame gets here: abuse, not a typo.
                tracing::debug!(parent: &self.span, "protocol error: {e}");
                ctx.close(Some(ws::CloseCode::Size.into()));
                return ctx.stop();
            }
        };
        // Every frame counts toward the connection's budget, whatever it is (a close is let
        // through: it ends the connection anyway).
        if !matches!(msg, ws::Message::Close(_)) && !self.count_frame(ctx) {
            return;
        }
        match msg {
            ws::Message::Ping(bytes) => ctx.pong(&bytes),
            ws::Message::Pong(_) => {}
            ws::Message::Text(text) => self.on_text(text.as_bytes(), ctx),
            ws::Message::Binary(_) => {
                self.metrics.frame_in(None);
                self.refuse_bad(ctx, ErrorCode::BadJson)
            }
            ws::Message::Continuation(item) => self.on_continuation(item, ctx),
            ws::Message::Close(_) => ctx.stop(),
            ws::Message::Nop => {}
        }
    }
}

impl Session {
    fn on_continuation(
        &mut self,
        item: actix_http::ws::Item,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let (chunk, last) = match item {
            actix_http::ws::Item::FirstText(b) => {
                self.partial = Some(Vec::new());
                (b, false)
            }
            actix_http::ws::Item::FirstBinary(b) => {
                self.partial = None;
                self.metrics.frame_in(None);
                self.refuse_bad(ctx, ErrorCode::BadJson);
                drop(b);
                return;
            }
            actix_http::ws::Item::Continue(b) => (b, false),
            actix_http::ws::Item::Last(b) => (b, true),
        };
        let Some(buf) = self.partial.as_mut() else {
            return;
        };
        if buf.len() + chunk.len() > MAX_FRAME_BYTES {
            self.partial = None;
            self.metrics.frame_in(None);
            return self.refuse_bad(ctx, ErrorCode::FrameTooLarge);
        }
        buf.extend_from_slice(&chunk);
        if last {
            if let Some(whole) = self.partial.take() {
                self.on_text(&whole, ctx);
            }
        }
    }
}
