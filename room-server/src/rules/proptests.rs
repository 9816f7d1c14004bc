//! Property tests: random sequences of joins, leaves, commands and clock ticks from up to six
//! people, checking the invariants of the show after every step.

use super::{Settings, Show};
use onair_shared::auth::TicketRoom;
use onair_shared::fold::{self, nominator};
use onair_shared::protocol::{mean_two_decimals, ErrorCode, EventKind, Phase, ReactionKind};
use onair_shared::room::{Category, CloseReason, Mode};
use onair_shared::{RoomId, RoundId, UserId};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone)]
enum Action {
    Join(i64),
    Disconnect(i64),
    Leave(i64),
    Kick(i64, i64),
    Chat(i64),
    React(i64),
    Start(i64, Option<i64>),
    EndPerformance(i64),
    Nominate(i64, i64),
    /// `true`: the open round's id; `false`: a stale or future one.
    Score(i64, bool, i64),
    EndShow(i64),
    PlayAgain(i64),
    Wait(i64),
    /// The host's or an admin's close (from outside the room).
    Close(bool),
    Ban(i64),
    /// A sing-along control: 0 set, 1 set a bad link, 2 play, 3 pause, 4 seek, 5 clear.
    Media(i64, u8, u64),
}

fn user() -> impl Strategy<Value = i64> {
    1..=6i64
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => user().prop_map(Action::Join),
        1 => user().prop_map(Action::Disconnect),
        1 => user().prop_map(Action::Leave),
        1 => (user(), user()).prop_map(|(a, b)| Action::Kick(a, b)),
        1 => user().prop_map(Action::Chat),
        1 => user().prop_map(Action::React),
        2 => (user(), proptest::option::of(user())).prop_map(|(a, b)| Action::Start(a, b)),
        3 => user().prop_map(Action::EndPerformance),
        3 => (user(), user()).prop_map(|(a, b)| Action::Nominate(a, b)),
        6 => (user(), proptest::bool::weighted(0.9), -5..=105i64)
            .prop_map(|(a, open, v)| Action::Score(a, open, v)),
        1 => user().prop_map(Action::EndShow),
        1 => user().prop_map(Action::PlayAgain),
        2 => (0..40_000i64).prop_map(Action::Wait),
        1 => proptest::bool::weighted(0.2).prop_map(Action::Close),
        1 => user().prop_map(Action::Ban),
        3 => (user(), 0..6u8, 0..50_000_000u64).prop_map(|(u, op, p)| Action::Media(u, op, p)),
    ]
}

/// What the test remembers across steps to check the invariants.
#[derive(Default)]
struct Ledger {
    performed: HashSet<UserId>,
    /// Accepted scores per round.
    scores: BTreeMap<RoundId, Vec<i64>>,
    closed: HashSet<RoundId>,
}

fn check_events(events: &[EventKind], ledger: &mut Ledger) -> Result<(), TestCaseError> {
    for e in events {
        match e {
            EventKind::OnAir { performer } => {
                prop_assert!(
                    ledger.performed.insert(*performer),
                    "{performer} performed twice"
                );
            }
            // A new show: everyone may perform again (rounds still close once each).
            EventKind::ShowReset => ledger.performed.clear(),
            EventKind::RoundClosed {
                round,
                average,
                count,
                ..
            } => {
                prop_assert!(ledger.closed.insert(*round), "round {round} closed twice");
                let got = ledger.scores.get(round).cloned().unwrap_or_default();
                prop_assert_eq!(*count as usize, got.len());
                prop_assert_eq!(
                    *average,
                    mean_two_decimals(got.iter().sum(), got.len() as u32)
                );
            }
            _ => {}
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_show_keeps_its_invariants(actions in proptest::collection::vec(action(), 1..120)) {
        let info = TicketRoom {
            id: RoomId(1),
            title: "p".into(),
            mode: Mode::Rank,
            category: Category::Free,
            host: UserId(1),
            member_limit: 5,
            created_at: 0,
        };
        let creator = UserId(1);
        let mut show = Show::new(info, Settings::default());
        let mut ledger = Ledger::default();
        let mut now = 0i64;
        for action in actions {
            now += 10;
            let before = show.snapshot();
            let open_round = before.round.as_ref().map(|r| r.id);
            let result = match action.clone() {
                Action::Join(u) => show.join(UserId(u), &format!("u{u}"), None, now),
                Action::Disconnect(u) => Ok(show.disconnect(UserId(u), now)),
                Action::Leave(u) => show.leave(UserId(u), now),
                Action::Kick(a, b) => show.kick(UserId(a), UserId(b), now),
                Action::Chat(u) => show.chat(UserId(u), "hi", now),
                Action::React(u) => show.react(UserId(u), ReactionKind::Clap),
                Action::Start(u, f) => show.start(UserId(u), f.map(UserId), now),
                Action::EndPerformance(u) => show.end_performance(UserId(u), now),
                Action::Nominate(a, b) => show.nominate(UserId(a), UserId(b), now),
                Action::Score(u, open, v) => {
                    let round = match (open, open_round) {
                        (true, Some(r)) => r,
                        (_, r) => RoundId(r.map_or(1, |r| r.0 + 1)),
                    };
                    let result = show.score(UserId(u), round, v, now);
                    if result.is_ok() {
                        ledger.scores.entry(round).or_default().push(v);
                    }
                    result
                }
                Action::EndShow(u) => show.end_show(UserId(u), now),
                Action::PlayAgain(u) => show.play_again(UserId(u)),
                Action::Wait(ms) => {
                    now += ms;
                    Ok(show.tick(now))
                }
                Action::Close(admin) => Ok(show.close(
                    if admin { CloseReason::Admin } else { CloseReason::Host },
                    now,
                )),
                Action::Ban(u) => Ok(show.ban(UserId(u), now)),
                Action::Media(u, op, p) => {
                    let u = UserId(u);
                    match op {
                        0 => show.media_set(u, "https://youtu.be/dQw4w9WgXcQ", now),
                        1 => show.media_set(u, "javascript:alert(1)", now),
                        2 => show.media_play(u, (p % 2 == 0).then_some(p), now),
                        3 => show.media_pause(u, now),
                        4 => show.media_seek(u, p, now),
                        _ => show.media_clear(u, now),
                    }
                }
            };
            match result {
                // A refused action changes nothing at all.
                Err(code) => {
                    prop_assert_eq!(&before, &show.snapshot(), "{:?} was refused", action);
                    // The shared nominator rule (the browser's) agrees with the server's.
                    if let (Action::Nominate(u, _), ErrorCode::NotYourTurn) = (&action, code) {
                        prop_assert!(nominator(&before) != Some(UserId(*u)));
                    }
                }
                Ok(events) => {
                    // Only the permitted actor changes the show.
                    let actor_ok = match action {
                        Action::Start(u, _)
                        | Action::EndShow(u)
                        | Action::Kick(u, _)
                        | Action::PlayAgain(u) => UserId(u) == before.host,
                        Action::EndPerformance(u) => {
                            UserId(u) == before.host || Some(UserId(u)) == before.performer
                        }
                        Action::Nominate(u, _) => Some(UserId(u)) == nominator(&before),
                        Action::Score(u, _, v) => {
                            Some(UserId(u)) != before.performer && (0..=100).contains(&v)
                        }
                        // The track: the host, or the performer on air or counted down to it;
                        // never a bad link.
                        Action::Media(u, op, _) => {
                            op != 1
                                && (UserId(u) == before.host
                                    || (matches!(before.phase, Phase::OnAir | Phase::UpNext)
                                        && before.performer == Some(UserId(u))))
                        }
                        _ => true,
                    };
                    prop_assert!(actor_ok, "{:?} should have been refused in {:?}", action, before.phase);
                    if let Action::Kick(_, target) = action {
                        prop_assert!(UserId(target) != creator, "the creator was kicked");
                    }
                    check_events(&events, &mut ledger)?;
                    // What a browser sees: the events folded into the snapshot it had are the
                    // snapshot the server has now.
                    let mut folded = before.clone();
                    for e in &events {
                        fold::apply(&mut folded, e, Settings::default().chat_history);
                    }
                    prop_assert_eq!(&folded, &show.snapshot(), "after {:?} and {:?}", action, events);
                }
            }
            let snap = show.snapshot();
            // The creator hosts whenever present (and before arriving: nobody else becomes host
            // by arriving first); while the creator is away, the host is someone present.
            let present = |u: UserId| snap.members.iter().any(|m| m.id == u);
            if present(creator) {
                prop_assert_eq!(snap.host, creator);
            }
            prop_assert!(snap.host == creator || present(snap.host));
            // Nobody can keep the creator out of their own room.
            if show.closed().is_none() {
                let mut probe = show.clone();
                prop_assert!(!matches!(
                    probe.join(creator, "u1", None, now),
                    Err(onair_shared::protocol::ErrorCode::Kicked)
                ));
            }
            prop_assert!(snap.members.len() <= 5);
            // An open round never waits on someone who is gone, nor on a score it already has.
            if let Some(r) = &snap.round {
                prop_assert_eq!(snap.phase, Phase::Scoring);
                prop_assert!((r.scored.len() as u32) < r.eligible || r.eligible == 0);
            }
            if matches!(snap.phase, Phase::OnAir | Phase::UpNext) {
                prop_assert!(snap.performer.is_some_and(|p| snap.members.iter().any(|m| m.id == p)));
            }
            // The countdown is set exactly while someone is counted down to going on air.
            prop_assert_eq!(snap.on_air_at.is_some(), snap.phase == Phase::UpNext);
        }
    }
}
