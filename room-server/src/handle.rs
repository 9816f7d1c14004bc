//! What a session talks to: the room's own actor on this instance, or a relay to the instance
//! that owns the room. Both take the same four messages.

use crate::room::{Disconnected, FromMember, Join, Moderate};
use actix::prelude::*;

#[derive(Clone)]
pub struct RoomHandle {
    pub join: Recipient<Join>,
    pub frames: Recipient<FromMember>,
    pub gone: Recipient<Disconnected>,
    pub moderate: Recipient<Moderate>,
}

impl RoomHandle {
    pub fn new<A>(addr: Addr<A>) -> RoomHandle
    where
        A: Actor<Context = Context<A>>
            + Handler<Join>
            + Handler<FromMember>
            + Handler<Disconnected>
            + Handler<Moderate>,
    {
        RoomHandle {
            join: addr.clone().recipient(),
            frames: addr.clone().recipient(),
            gone: addr.clone().recipient(),
            moderate: addr.recipient(),
        }
    }

    pub fn is_alive(&self) -> bool {
        self.join.connected()
    }
}
