//! The `Room` actor: the single authority over one live room. It wraps the pure rules engine,
//! owns membership (which session speaks for which member), stamps every event with the next
//! `seq`, serialises it once and hands the same bytes to every session, and runs the engine's
//! clock (scoring deadline, reconnect grace).

use crate::registry::Registry;
use crate::reporter::Reporter;
use crate::rules::{Settings, Show};
use crate::session::{ConnId, ToSession};
use actix::prelude::*;
use actix_web::web::Bytes;
use bytestring::ByteString;
use onair_shared::api::RoomStatusReport;
use onair_shared::auth::TicketRoom;
use onair_shared::protocol::{ClientMsg, Direct, ErrorCode, Event, EventKind, Phase};
use onair_shared::room::RoomStatus;
use onair_shared::UserId;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// A member's connection asks for a seat.
#[derive(Message)]
#[rtype(result = "Result<(), ErrorCode>")]
pub struct Join {
    pub user: UserId,
    pub name: String,
    pub conn: ConnId,
    pub session: Recipient<ToSession>,
}

/// A frame from a member, already parsed and rate-limited by the session.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FromMember {
    pub user: UserId,
    pub conn: ConnId,
    pub msg: ClientMsg,
}

/// The connection closed (not a `leave`: the seat is kept for the grace period).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnected {
    pub user: UserId,
    pub conn: ConnId,
}

struct Conn {
    id: ConnId,
    session: Recipient<ToSession>,
}

pub struct Room {
    show: Show,
    seq: u64,
    /// The last events as sent, for `resync`.
    recent: VecDeque<(u64, ByteString)>,
    recent_cap: usize,
    conns: HashMap<UserId, Conn>,
    timer: Option<(i64, SpawnHandle)>,
    registry: Registry,
    reporter: Reporter,
    /// The status last reported, so an unchanged one is not sent again.
    reported: Option<RoomStatusReport>,
}

impl Room {
    pub fn new(
        info: TicketRoom,
        rules: Settings,
        event_buffer: usize,
        registry: Registry,
        reporter: Reporter,
    ) -> Room {
        Room {
            show: Show::new(info, rules),
            seq: 0,
            recent: VecDeque::with_capacity(event_buffer.min(64)),
            recent_cap: event_buffer.max(1),
            conns: HashMap::new(),
            timer: None,
            registry,
            reporter,
            reported: None,
        }
    }

    /// Stamps, serialises once, buffers and fans out each event, in order.
    fn publish(&mut self, events: Vec<EventKind>) {
        for kind in events {
            self.seq += 1;
            let frame = encode(&Event {
                seq: self.seq,
                kind,
            });
            if self.recent.len() == self.recent_cap {
                self.recent.pop_front();
            }
            self.recent.push_back((self.seq, frame.clone()));
            for conn in self.conns.values() {
                conn.session.do_send(ToSession::Text(frame.clone()));
            }
        }
    }

    fn send_to(&self, user: UserId, msg: ToSession) {
        if let Some(conn) = self.conns.get(&user) {
            conn.session.do_send(msg);
        }
    }

    fn welcome(&self, user: UserId) -> ByteString {
        encode(&Direct::Welcome {
            you: user,
            seq: self.seq,
            room: self.show.snapshot(),
        })
    }

    fn refuse(&self, user: UserId, code: ErrorCode) {
        self.send_to(user, ToSession::Text(error_frame(code)));
    }

    /// Sends the events after `since`, or a fresh `welcome` when they are no longer buffered.
    fn resync(&self, user: UserId, since: u64) {
        let oldest = self.recent.front().map_or(self.seq + 1, |(s, _)| *s);
        if since > self.seq || since + 1 < oldest {
            self.send_to(user, ToSession::Text(self.welcome(user)));
            return;
        }
        for (_, frame) in self.recent.iter().filter(|(s, _)| *s > since) {
            self.send_to(user, ToSession::Text(frame.clone()));
        }
    }

    fn handle_command(&mut self, user: UserId, msg: ClientMsg) -> Result<(), ErrorCode> {
        let now = crate::clock::now_ms();
        let events = match msg {
            ClientMsg::Chat { text } => self.show.chat(user, &text, now)?,
            ClientMsg::React { kind } => self.show.react(user, kind)?,
            ClientMsg::Start { first } => self.show.start(user, first)?,
            ClientMsg::EndPerformance => self.show.end_performance(user, now)?,
            ClientMsg::Nominate { user: target } => self.show.nominate(user, target)?,
            ClientMsg::Score { round, value } => self.show.score(user, round, value, now)?,
            ClientMsg::EndShow => self.show.end_show(user, now)?,
            ClientMsg::Kick { user: target } => {
                let events = self.show.kick(user, target, now)?;
                if let Some(conn) = self.conns.remove(&target) {
                    conn.session
                        .do_send(ToSession::Text(error_frame(ErrorCode::Kicked)));
                    conn.session.do_send(ToSession::Close);
                }
                events
            }
            ClientMsg::Leave => {
                let events = self.show.leave(user, now)?;
                if let Some(conn) = self.conns.remove(&user) {
                    conn.session.do_send(ToSession::Close);
                }
                events
            }
            ClientMsg::Resync { since } => {
                self.resync(user, since);
                return Ok(());
            }
            ClientMsg::Signal { to, data } => {
                // Only to a member of this same room who is connected here.
                let Some(conn) = self.conns.get(&to).filter(|_| to != user) else {
                    return Err(ErrorCode::NotAMember);
                };
                conn.session
                    .do_send(ToSession::Text(encode(&Direct::Signal {
                        from: user,
                        data,
                    })));
                return Ok(());
            }
        };
        self.publish(events);
        Ok(())
    }

    /// Sleeps until the engine next has something to do (deadline, grace expiry).
    fn reschedule(&mut self, ctx: &mut Context<Self>) {
        let next = self.show.next_wakeup();
        if self.timer.as_ref().map(|(at, _)| *at) == next {
            return;
        }
        if let Some((_, handle)) = self.timer.take() {
            ctx.cancel_future(handle);
        }
        if let Some(at) = next {
            let delay = (at - crate::clock::now_ms()).max(0) as u64;
            let handle = ctx.run_later(Duration::from_millis(delay), |room, ctx| {
                room.timer = None;
                let events = room.show.tick(crate::clock::now_ms());
                room.publish(events);
                room.after_change(ctx);
            });
            self.timer = Some((at, handle));
        }
    }

    fn after_change(&mut self, ctx: &mut Context<Self>) {
        let id = self.show.info().id;
        for round in self.show.take_ranked_rounds() {
            self.reporter.record(id, round);
        }
        self.report_status();
        if self.show.is_empty() {
            ctx.stop();
        } else {
            self.reschedule(ctx);
        }
    }
}

impl Room {
    fn report_status(&mut self) {
        let status = match self.show.phase() {
            _ if self.show.is_empty() => RoomStatus::Ended,
            Phase::Lobby => RoomStatus::Open,
            Phase::OnAir | Phase::Scoring | Phase::Nominating => RoomStatus::Live,
            Phase::Ended => RoomStatus::Ended,
        };
        let report = RoomStatusReport {
            status,
            member_count: self.conns.len() as u32,
        };
        if self.reported.as_ref() != Some(&report) {
            self.reporter.status(self.show.info().id, report.clone());
            self.reported = Some(report);
        }
    }
}

impl Actor for Room {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        log::info!("room {} opened", self.show.info().id);
    }

    fn stopped(&mut self, ctx: &mut Self::Context) {
        log::info!("room {} closed", self.show.info().id);
        self.registry.remove(self.show.info().id, &ctx.address());
    }
}

impl Handler<Join> for Room {
    type Result = Result<(), ErrorCode>;

    fn handle(&mut self, join: Join, ctx: &mut Self::Context) -> Self::Result {
        let events = self
            .show
            .join(join.user, &join.name, crate::clock::now_ms())?;
        // One connection per member: the newest wins, the older one is told why it closes.
        if let Some(old) = self.conns.remove(&join.user) {
            old.session
                .do_send(ToSession::Text(error_frame(ErrorCode::Replaced)));
            old.session.do_send(ToSession::Close);
        }
        // Others learn of the join as events; the joiner gets it inside the welcome snapshot.
        self.publish(events);
        self.conns.insert(
            join.user,
            Conn {
                id: join.conn,
                session: join.session,
            },
        );
        self.send_to(join.user, ToSession::Text(self.welcome(join.user)));
        self.after_change(ctx);
        Ok(())
    }
}

impl Handler<FromMember> for Room {
    type Result = ();

    fn handle(&mut self, m: FromMember, ctx: &mut Self::Context) {
        // A replaced or kicked connection may still have frames in flight: ignore them.
        if self.conns.get(&m.user).map(|c| c.id) != Some(m.conn) {
            return;
        }
        if let Err(code) = self.handle_command(m.user, m.msg) {
            self.refuse(m.user, code);
        }
        self.after_change(ctx);
    }
}

impl Handler<Disconnected> for Room {
    type Result = ();

    fn handle(&mut self, d: Disconnected, ctx: &mut Self::Context) {
        if self.conns.get(&d.user).map(|c| c.id) != Some(d.conn) {
            return;
        }
        self.conns.remove(&d.user);
        let events = self.show.disconnect(d.user, crate::clock::now_ms());
        self.publish(events);
        self.after_change(ctx);
    }
}

fn encode<T: serde::Serialize>(value: &T) -> ByteString {
    // Serialising our own types cannot fail: no maps with non-string keys, no custom impls.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    ByteString::try_from(Bytes::from(bytes)).unwrap_or_default()
}

pub fn error_frame(code: ErrorCode) -> ByteString {
    encode(&Direct::Error {
        code,
        message: crate::messages::error_message(code).to_owned(),
    })
}
