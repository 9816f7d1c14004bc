//! How a room's state follows from its events: the one reducer the browser uses to keep its
//! copy of the room, held to the server's own state by the room-server's property tests
//! (folding the events a step emits into the snapshot before it gives the snapshot after it).
//! Pure: no I/O, no clock.

use crate::protocol::{ActResult, EventKind, Phase, RoomSnapshot};
use crate::UserId;

/// Folds one room event into the snapshot, keeping at most `chat_keep` chat lines (the server
/// keeps its `chat_history` setting; a browser may keep more for scrolling back). Idempotent
/// where it can be (a member who joins twice is listed once, a round's result is recorded
/// once), so a replay cannot corrupt state.
pub fn apply(room: &mut RoomSnapshot, event: &EventKind, chat_keep: usize) {
    match event {
        EventKind::MemberJoined { member } => {
            match room.members.iter_mut().find(|m| m.id == member.id) {
                Some(existing) => *existing = member.clone(),
                None => room.members.push(member.clone()),
            }
        }
        EventKind::MemberLeft { user, .. } => {
            room.members.retain(|m| m.id != *user);
            if room.nominee == Some(*user) {
                room.nominee = None;
            }
            // The one counted down to left before going on air: someone else is named.
            if room.phase == Phase::UpNext && room.performer == Some(*user) {
                room.phase = Phase::Nominating;
                room.on_air_at = None;
            }
            // Whether they were awaited in an open round only the server knows (a late joiner
            // is not): it follows with `round_updated` when they were.
        }
        EventKind::MemberOffline { user } => set_online(room, *user, false),
        EventKind::MemberOnline { user } => set_online(room, *user, true),
        EventKind::Chat { line } => {
            room.chat.push(line.clone());
            if room.chat.len() > chat_keep {
                let extra = room.chat.len() - chat_keep;
                room.chat.drain(..extra);
            }
        }
        // Reactions are moments, not state: a client animates them from the event itself.
        EventKind::Reaction { .. } => {}
        // `up_next` or `on_air` follows at once and says where the stage is.
        EventKind::ShowStarted { .. } => {}
        EventKind::UpNext { performer, at } => {
            room.phase = Phase::UpNext;
            room.performer = Some(*performer);
            room.on_air_at = Some(*at);
            room.nominee = None;
            room.round = None;
        }
        EventKind::OnAir { performer } => {
            room.phase = Phase::OnAir;
            room.performer = Some(*performer);
            room.on_air_at = None;
            room.nominee = None;
            room.round = None;
            // Going on air is what counts as having performed.
            if let Some(m) = room.members.iter_mut().find(|m| m.id == *performer) {
                m.performed = true;
            }
        }
        EventKind::PerformanceEnded { round } => {
            room.phase = Phase::Scoring;
            room.performer = Some(round.performer);
            if let Some(m) = room.members.iter_mut().find(|m| m.id == round.performer) {
                m.performed = true;
            }
            room.round = Some(round.clone());
        }
        EventKind::ScoreProgress {
            round,
            scorer,
            eligible,
            ..
        } => {
            if let Some(open) = room.round.as_mut().filter(|r| r.id == *round) {
                // Kept in ascending id order, as the server lists them.
                if let Err(at) = open.scored.binary_search(scorer) {
                    open.scored.insert(at, *scorer);
                }
                open.eligible = *eligible;
            }
        }
        EventKind::RoundUpdated { round } => {
            if room.round.as_ref().is_some_and(|r| r.id == round.id) {
                room.round = Some(round.clone());
            }
        }
        EventKind::RoundClosed {
            round,
            performer,
            name,
            average,
            count,
            counts,
        } => {
            if room.round.as_ref().is_some_and(|r| r.id == *round) {
                room.round = None;
            }
            room.phase = Phase::Nominating;
            room.performer = Some(*performer);
            if let Some(m) = room.members.iter_mut().find(|m| m.id == *performer) {
                m.performed = true;
                m.score = *average;
            }
            if !room.results.iter().any(|r| r.round == *round) {
                room.results.push(ActResult {
                    round: *round,
                    performer: *performer,
                    name: name.clone(),
                    average: *average,
                    count: *count,
                    counts: *counts,
                });
            }
        }
        EventKind::Nominated { user, .. } => room.nominee = Some(*user),
        EventKind::HostChanged { host } => room.host = *host,
        EventKind::ShowEnded { results, .. } => {
            room.phase = Phase::Ended;
            room.performer = None;
            room.on_air_at = None;
            room.round = None;
            room.nominee = None;
            room.results = results.clone();
        }
        EventKind::ShowReset => {
            room.phase = Phase::Lobby;
            room.results.clear();
            for m in &mut room.members {
                m.performed = false;
                m.score = None;
            }
        }
        EventKind::MediaState(state) => room.media = state.clone(),
        // The last event before the server closes the connection; a running show ended just
        // before with `show_ended`.
        EventKind::RoomClosed { .. } => {
            room.phase = Phase::Ended;
            room.performer = None;
            room.on_air_at = None;
            room.round = None;
            room.nominee = None;
        }
    }
}

fn set_online(room: &mut RoomSnapshot, user: UserId, online: bool) {
    if let Some(m) = room.members.iter_mut().find(|m| m.id == user) {
        m.online = online;
    }
}

/// Who may name the next act now: the performer who just finished while they are in the room,
/// otherwise the host; nobody outside scoring and nominating. (During scoring a nomination
/// may be changed until the round closes.)
pub fn nominator(room: &RoomSnapshot) -> Option<UserId> {
    if !matches!(room.phase, Phase::Scoring | Phase::Nominating) {
        return None;
    }
    let performer = room.performer?;
    if room.members.iter().any(|m| m.id == performer) {
        Some(performer)
    } else {
        Some(room.host)
    }
}
