//! One test per rule of the show (docs/ARCHITECTURE.md, "The rules of the show"), driving the engine directly with explicit times.

use super::{Settings, Show};
use onair_shared::auth::{RankedStanding, TicketRoom};
use onair_shared::protocol::{ErrorCode, EventKind, LeaveReason, Phase, ReactionKind};
use onair_shared::room::{Category, CloseReason, Mode};
use onair_shared::{RoomId, RoundId, UserId};

const HOST: UserId = UserId(1);
const B: UserId = UserId(2);
const C: UserId = UserId(3);
const D: UserId = UserId(4);

/// Ten minutes: the default idle time.
const IDLE: i64 = 600_000;

/// The default rules, except that a named performer goes on air at once (the countdown has
/// tests of its own).
fn settings() -> Settings {
    Settings {
        up_next_ms: 0,
        ..Settings::default()
    }
}

fn room_in(mode: Mode, limit: u8) -> Show {
    Show::new(
        TicketRoom {
            id: RoomId(9),
            title: "Friday".into(),
            mode,
            category: Category::Singing,
            host: HOST,
            member_limit: limit,
            created_at: 0,
        },
        settings(),
    )
}

/// A normal room (scores shown, not kept), nobody in it yet.
fn room(limit: u8) -> Show {
    room_in(Mode::Normal, limit)
}

/// A room with the host and `others` joined, in that order.
fn room_with_in(mode: Mode, others: &[UserId]) -> Show {
    let mut show = room_in(mode, 8);
    show.join(HOST, "host", None, 0).unwrap();
    for &u in others {
        show.join(u, &format!("user{}", u.0), None, 0).unwrap();
    }
    show
}

fn room_with(others: &[UserId]) -> Show {
    room_with_in(Mode::Normal, others)
}

fn ranked_with(others: &[UserId]) -> Show {
    room_with_in(Mode::Rank, others)
}

fn standing(act_counts: bool, scores_count: bool) -> Option<RankedStanding> {
    Some(RankedStanding {
        act_counts,
        scores_count,
    })
}

fn types(events: &[EventKind]) -> Vec<&'static str> {
    events.iter().map(EventKind::type_name).collect()
}

/// Host starts, performs, ends; returns the open round's id.
fn started_and_ended(show: &mut Show) -> RoundId {
    show.start(HOST, None, 0).unwrap();
    show.end_performance(HOST, 1_000).unwrap();
    show.snapshot().round.unwrap().id
}

#[test]
fn only_the_host_starts_and_only_with_two_members_in_a_normal_room() {
    let mut show = room_with(&[]);
    assert_eq!(show.start(HOST, None, 0), Err(ErrorCode::NotEnoughMembers));
    show.join(B, "b", None, 0).unwrap();
    assert_eq!(show.start(B, None, 0), Err(ErrorCode::NotHost));
    assert_eq!(
        show.phase(),
        Phase::Lobby,
        "a refused start changes nothing"
    );
    let events = show.start(HOST, None, 0).unwrap();
    assert_eq!(types(&events), ["show_started", "on_air"]);
    assert_eq!(
        show.snapshot().performer,
        Some(HOST),
        "the host performs first by default"
    );
    assert_eq!(show.start(HOST, None, 0), Err(ErrorCode::AlreadyStarted));
}

#[test]
fn start_can_name_another_first_performer() {
    let mut show = room_with(&[B]);
    assert_eq!(show.start(HOST, Some(D), 0), Err(ErrorCode::NotAMember));
    show.start(HOST, Some(B), 0).unwrap();
    assert_eq!(show.snapshot().performer, Some(B));
}

#[test]
fn reactions_and_chat_reach_everyone_with_real_names() {
    let mut show = room_with(&[B]);
    let ev = show.react(B, ReactionKind::Mirrorball).unwrap();
    assert_eq!(
        ev,
        vec![EventKind::Reaction {
            from: B,
            kind: ReactionKind::Mirrorball
        }]
    );
    let ev = show.chat(B, "  bravo\n!  ", 5).unwrap();
    let EventKind::Chat { line } = &ev[0] else {
        panic!()
    };
    assert_eq!(
        (line.name.as_str(), line.text.as_str(), line.at),
        ("user2", "bravo!", 5)
    );
    assert_eq!(show.chat(B, "   ", 5), Err(ErrorCode::InvalidChat));
    // Control characters alone are nothing, not blank spaces; bidi overrides and zero-width
    // characters are taken out.
    assert_eq!(show.chat(B, "\u{0}\u{7}", 5), Err(ErrorCode::InvalidChat));
    assert_eq!(
        show.chat(B, "\u{200B}\u{FEFF}", 5),
        Err(ErrorCode::InvalidChat)
    );
    let ev = show.chat(B, "\u{202E}olleh\u{200D}", 6).unwrap();
    assert!(matches!(&ev[0], EventKind::Chat { line } if line.text == "olleh"));
    assert_eq!(
        show.chat(B, &"a".repeat(501), 5),
        Err(ErrorCode::InvalidChat)
    );
    assert!(
        show.chat(B, &"가".repeat(500), 5).is_ok(),
        "the limit counts characters"
    );
    assert_eq!(show.chat(D, "hi", 5), Err(ErrorCode::NotAMember));
    assert_eq!(show.snapshot().chat.len(), 3);
}

#[test]
fn only_host_or_performer_ends_an_act() {
    let mut show = room_with(&[B, C]);
    show.start(HOST, Some(B), 0).unwrap();
    assert_eq!(show.end_performance(C, 0), Err(ErrorCode::NotYourTurn));
    let ev = show.end_performance(B, 1_000).unwrap();
    assert_eq!(types(&ev), ["performance_ended"]);
    let round = show.snapshot().round.unwrap();
    assert_eq!(
        (round.performer, round.eligible, round.deadline),
        (B, 2, 31_000)
    );
    assert_eq!(show.end_performance(HOST, 0), Err(ErrorCode::WrongPhase));
}

#[test]
fn scoring_rules() {
    let mut show = room_with(&[B, C]);
    let r = started_and_ended(&mut show);
    assert_eq!(
        show.score(HOST, r, 50, 2),
        Err(ErrorCode::CannotScoreOwnAct)
    );
    assert_eq!(show.score(B, r, 101, 2), Err(ErrorCode::ScoreOutOfRange));
    assert_eq!(show.score(B, r, -1, 2), Err(ErrorCode::ScoreOutOfRange));
    assert_eq!(
        show.score(B, RoundId(r.0 + 1), 50, 2),
        Err(ErrorCode::RoundClosed)
    );
    let ev = show.score(B, r, 90, 2).unwrap();
    assert_eq!(types(&ev), ["score_progress"]);
    assert_eq!(show.score(B, r, 10, 3), Err(ErrorCode::AlreadyScored));
    // The last eligible score closes the round at once, with the mean to two decimals.
    let ev = show.score(C, r, 91, 4).unwrap();
    assert_eq!(types(&ev), ["score_progress", "round_closed"]);
    assert_eq!(
        ev[1],
        EventKind::RoundClosed {
            round: r,
            performer: HOST,
            name: "host".into(),
            average: Some(90.5),
            count: 2,
            counts: false
        }
    );
    assert_eq!(show.score(C, r, 10, 5), Err(ErrorCode::RoundClosed));
    let snap = show.snapshot();
    assert_eq!(snap.phase, Phase::Nominating);
    assert_eq!(
        snap.members[0].score,
        Some(90.5),
        "the result shows under the performer"
    );
}

#[test]
fn a_late_joiner_cannot_score_the_open_round_but_can_be_nominated() {
    let mut show = room_with(&[B]);
    let r = started_and_ended(&mut show);
    show.join(C, "late", None, 2).unwrap();
    assert_eq!(show.score(C, r, 70, 3), Err(ErrorCode::NotEligible));
    show.nominate(HOST, C, 0).unwrap();
    show.score(B, r, 70, 4).unwrap();
    assert_eq!(show.snapshot().performer, Some(C));
    assert_eq!(show.phase(), Phase::OnAir);
}

#[test]
fn the_deadline_closes_the_round_with_the_scores_received() {
    let mut show = room_with(&[B, C]);
    let r = started_and_ended(&mut show);
    show.score(B, r, 80, 2).unwrap();
    assert_eq!(show.next_wakeup(), Some(31_000));
    assert!(show.tick(30_999).is_empty());
    let ev = show.tick(31_000);
    assert_eq!(
        ev[0],
        EventKind::RoundClosed {
            round: r,
            performer: HOST,
            name: "host".into(),
            average: Some(80.0),
            count: 1,
            counts: false
        }
    );
}

#[test]
fn a_round_nobody_scored_has_no_mean() {
    let mut show = room_with(&[B]);
    let r = started_and_ended(&mut show);
    let ev = show.tick(31_000);
    assert_eq!(
        ev[0],
        EventKind::RoundClosed {
            round: r,
            performer: HOST,
            name: "host".into(),
            average: None,
            count: 0,
            counts: false
        }
    );
    assert_eq!(show.snapshot().members[0].score, None);
}

#[test]
fn nomination_by_the_performer_among_those_who_have_not_performed() {
    let mut show = room_with(&[B, C]);
    let r = started_and_ended(&mut show);
    assert_eq!(show.nominate(B, C, 0), Err(ErrorCode::NotYourTurn));
    assert_eq!(
        show.nominate(HOST, HOST, 0),
        Err(ErrorCode::AlreadyPerformed)
    );
    assert_eq!(show.nominate(HOST, D, 0), Err(ErrorCode::NotAMember));
    // Nominating during scoring waits for the round to close.
    let ev = show.nominate(HOST, B, 0).unwrap();
    assert_eq!(types(&ev), ["nominated"]);
    assert_eq!(show.phase(), Phase::Scoring);
    show.score(B, r, 60, 2).unwrap();
    let ev = show.score(C, r, 70, 2).unwrap();
    assert_eq!(types(&ev), ["score_progress", "round_closed", "on_air"]);
    assert_eq!(show.snapshot().performer, Some(B));
}

#[test]
fn nominating_after_the_round_closed_puts_the_nominee_on_air() {
    let mut show = room_with(&[B]);
    started_and_ended(&mut show);
    show.tick(31_000);
    assert_eq!(show.phase(), Phase::Nominating);
    let ev = show.nominate(HOST, B, 0).unwrap();
    assert_eq!(types(&ev), ["nominated", "on_air"]);
}

#[test]
fn the_show_ends_with_a_results_board_when_everyone_has_performed() {
    let mut show = room_with(&[B]);
    let r1 = started_and_ended(&mut show);
    show.nominate(HOST, B, 0).unwrap();
    show.score(B, r1, 100, 2).unwrap();
    show.end_performance(B, 3).unwrap();
    let r2 = show.snapshot().round.unwrap().id;
    let ev = show.score(HOST, r2, 40, 4).unwrap();
    assert_eq!(types(&ev), ["score_progress", "round_closed", "show_ended"]);
    let EventKind::ShowEnded { results, early } = &ev[2] else {
        panic!()
    };
    assert!(!early);
    let board: Vec<_> = results.iter().map(|r| (r.performer, r.average)).collect();
    assert_eq!(board, [(HOST, Some(100.0)), (B, Some(40.0))]);
    assert_eq!(show.phase(), Phase::Ended);
}

#[test]
fn the_host_can_end_the_show_early_and_open_scores_count() {
    let mut show = room_with(&[B, C]);
    let r = started_and_ended(&mut show);
    show.score(B, r, 77, 2).unwrap();
    assert_eq!(show.end_show(B, 3), Err(ErrorCode::NotHost));
    let ev = show.end_show(HOST, 3).unwrap();
    assert_eq!(types(&ev), ["round_closed", "show_ended"]);
    assert!(matches!(&ev[1], EventKind::ShowEnded { early: true, results } if results.len() == 1));
    assert_eq!(show.end_show(HOST, 4), Err(ErrorCode::WrongPhase));
}

#[test]
fn the_host_role_passes_to_the_longest_present_member_until_the_creator_returns() {
    let mut show = room_with(&[B, C]);
    let ev = show.leave(HOST, 0).unwrap();
    assert_eq!(
        ev,
        vec![
            EventKind::MemberLeft {
                user: HOST,
                reason: LeaveReason::Left
            },
            EventKind::HostChanged { host: B }
        ]
    );
    assert_eq!(show.host(), B);
    let ev = show.join(HOST, "host", None, 1).unwrap();
    assert_eq!(types(&ev), ["member_joined", "host_changed"]);
    assert_eq!(show.host(), HOST, "the creator takes the role back");
}

#[test]
fn a_disconnected_member_keeps_the_seat_for_the_grace_period() {
    let mut show = room_with(&[B]);
    assert_eq!(
        show.disconnect(B, 1_000),
        vec![EventKind::MemberOffline { user: B }]
    );
    assert!(!show.snapshot().members[1].online);
    assert_eq!(show.next_wakeup(), Some(31_000));
    assert!(show.tick(30_999).is_empty());
    assert_eq!(
        show.join(B, "user2", None, 2_000).unwrap(),
        vec![EventKind::MemberOnline { user: B }]
    );
    assert_eq!(show.next_wakeup(), None);
    show.disconnect(B, 5_000);
    let ev = show.tick(35_000);
    assert_eq!(
        ev,
        vec![EventKind::MemberLeft {
            user: B,
            reason: LeaveReason::TimedOut
        }]
    );
}

#[test]
fn a_performer_gone_past_the_grace_period_ends_the_act_and_the_host_nominates() {
    let mut show = room_with(&[B, C]);
    show.start(HOST, Some(B), 0).unwrap();
    show.disconnect(B, 0);
    let ev = show.tick(30_000);
    assert_eq!(types(&ev), ["member_left", "performance_ended"]);
    let r = show.snapshot().round.unwrap();
    assert_eq!((r.performer, r.eligible), (B, 2));
    assert_eq!(show.nominate(C, C, 0), Err(ErrorCode::NotYourTurn));
    show.nominate(HOST, C, 0).unwrap();
    show.score(HOST, r.id, 50, 1).unwrap();
    let ev = show.score(C, r.id, 70, 1).unwrap();
    assert_eq!(types(&ev), ["score_progress", "round_closed", "on_air"]);
    assert_eq!(
        show.snapshot().results[0].name,
        "user2",
        "the board still names them"
    );
}

#[test]
fn a_leaving_scorer_no_longer_holds_the_round_open() {
    let mut show = room_with(&[B, C]);
    let r = started_and_ended(&mut show);
    show.score(B, r, 10, 1).unwrap();
    let ev = show.leave(C, 2).unwrap();
    assert_eq!(types(&ev), ["member_left", "round_closed"]);
}

#[test]
fn the_host_can_kick_and_the_kicked_cannot_return() {
    let mut show = room_with(&[B, C]);
    assert_eq!(show.kick(B, C, 0), Err(ErrorCode::NotHost));
    assert_eq!(show.kick(HOST, HOST, 0), Err(ErrorCode::CannotKickSelf));
    let ev = show.kick(HOST, C, 0).unwrap();
    assert_eq!(
        ev,
        vec![EventKind::MemberLeft {
            user: C,
            reason: LeaveReason::Kicked
        }]
    );
    assert_eq!(show.join(C, "c", None, 1), Err(ErrorCode::Kicked));
}

#[test]
fn a_full_room_refuses_new_members_but_not_returning_ones() {
    let mut show = room(2);
    show.join(HOST, "h", None, 0).unwrap();
    show.join(B, "b", None, 0).unwrap();
    assert_eq!(show.join(C, "c", None, 0), Err(ErrorCode::RoomFull));
    show.disconnect(B, 1);
    assert!(show.join(B, "b", None, 2).is_ok());
}

#[test]
fn an_empty_room_closes_after_the_idle_time() {
    let mut show = room_with(&[B]);
    show.leave(HOST, 0).unwrap();
    assert!(!show.is_empty());
    show.leave(B, 1_000).unwrap();
    assert!(show.is_empty());
    assert!(!show.is_finished(), "an empty room waits for the idle time");
    assert_eq!(show.next_wakeup(), Some(1_000 + IDLE));
    assert!(show.tick(IDLE).is_empty());
    // Someone coming back in time keeps it open, and the clock starts again when they go.
    show.join(C, "c", None, IDLE).unwrap();
    assert_eq!(show.next_wakeup(), None);
    show.leave(C, IDLE + 5).unwrap();
    assert!(show.tick(2 * IDLE).is_empty());
    assert_eq!(
        show.tick(2 * IDLE + 5),
        vec![EventKind::RoomClosed {
            reason: CloseReason::Idle
        }]
    );
    assert!(show.is_finished());
    assert_eq!(
        show.join(HOST, "h", None, 3 * IDLE),
        Err(ErrorCode::RoomClosed)
    );
}

#[test]
fn a_strangers_join_and_leave_never_ends_a_new_room() {
    let mut show = room(8);
    show.join(B, "stranger", None, 1).unwrap();
    show.leave(B, 2).unwrap();
    assert_eq!(show.phase(), Phase::Lobby);
    assert!(!show.is_finished());
    assert_eq!(show.host(), HOST);
    // The creator arrives and hosts as planned.
    show.join(HOST, "creator", None, 3).unwrap();
    show.join(C, "c", None, 4).unwrap();
    assert!(show.start(HOST, None, 0).is_ok());
}

#[test]
fn a_room_whose_creator_never_comes_closes_after_the_idle_time() {
    let mut show = room(8);
    show.join(B, "b", None, 1).unwrap();
    show.join(C, "c", None, 2).unwrap();
    assert_eq!(
        show.next_wakeup(),
        Some(IDLE),
        "counted from the room's creation"
    );
    assert!(show.tick(IDLE - 1).is_empty());
    assert_eq!(types(&show.tick(IDLE)), ["room_closed"]);
    assert_eq!(show.phase(), Phase::Ended);
}

#[test]
fn everyone_leaving_but_performers_ends_the_show_while_nominating() {
    let mut show = room_with(&[B]);
    started_and_ended(&mut show);
    show.tick(31_000);
    assert_eq!(show.phase(), Phase::Nominating);
    let ev = show.leave(B, 32_000).unwrap();
    assert_eq!(types(&ev), ["member_left", "show_ended"]);
}

#[test]
fn nobody_becomes_host_by_arriving_before_the_creator() {
    let mut show = room(8);
    let ev = show.join(B, "b", None, 0).unwrap();
    assert_eq!(types(&ev), ["member_joined"]);
    assert_eq!(
        show.host(),
        HOST,
        "the creator hosts from the start, absent or not"
    );
    show.join(C, "c", None, 0).unwrap();
    assert_eq!(show.start(B, None, 0), Err(ErrorCode::NotHost));
    assert_eq!(show.kick(B, C, 0), Err(ErrorCode::NotHost));
    assert_eq!(show.kick(B, HOST, 0), Err(ErrorCode::NotHost));
    let ev = show.join(HOST, "creator", None, 1).unwrap();
    assert_eq!(types(&ev), ["member_joined"]);
    assert_eq!(show.start(HOST, None, 0).map(|e| e.len()), Ok(2));
}

#[test]
fn nobody_can_kick_the_creator_not_even_a_stand_in_host() {
    let mut show = room_with(&[B, C]);
    show.leave(HOST, 0).unwrap();
    assert_eq!(show.host(), B, "B stands in while the creator is away");
    assert_eq!(show.kick(B, HOST, 1), Err(ErrorCode::CannotKickCreator));
    show.join(HOST, "host", None, 2).unwrap();
    assert_eq!(show.kick(B, HOST, 3), Err(ErrorCode::NotHost));
    assert_eq!(show.host(), HOST);
}

#[test]
fn closing_ends_a_live_show_and_refuses_every_seat_after() {
    let mut show = ranked_with(&[B, C]);
    let r = started_and_ended(&mut show);
    show.score(B, r, 80, 2).unwrap();
    let ev = show.close(CloseReason::Host, 3);
    assert_eq!(types(&ev), ["round_closed", "show_ended", "room_closed"]);
    assert_eq!(
        show.take_ranked_rounds().len(),
        1,
        "the host's close keeps the scores given"
    );
    assert!(show.is_finished());
    assert_eq!(show.close(CloseReason::Admin, 4), vec![]);
    assert_eq!(show.join(D, "d", None, 5), Err(ErrorCode::RoomClosed));
    assert_eq!(show.join(B, "b", None, 5), Err(ErrorCode::RoomClosed));
    assert_eq!(show.next_wakeup(), None);
}

#[test]
fn an_admin_close_records_nothing_more() {
    let mut show = ranked_with(&[B, C]);
    let r = started_and_ended(&mut show);
    show.score(B, r, 80, 2).unwrap();
    let ev = show.close(CloseReason::Admin, 3);
    assert_eq!(
        ev.last(),
        Some(&EventKind::RoomClosed {
            reason: CloseReason::Admin
        })
    );
    assert!(show.take_ranked_rounds().is_empty());
    // In the lobby it is just the closing.
    let mut lobby = room_with(&[B]);
    assert_eq!(types(&lobby.close(CloseReason::Admin, 0)), ["room_closed"]);
}

#[test]
fn a_banned_member_loses_the_seat_at_once() {
    let mut show = room_with(&[B]);
    assert_eq!(
        show.ban(B, 1),
        vec![EventKind::MemberLeft {
            user: B,
            reason: LeaveReason::Banned
        }]
    );
    assert!(show.ban(D, 1).is_empty());
}

#[test]
fn a_ranked_show_needs_three_members() {
    let mut show = ranked_with(&[B]);
    assert_eq!(show.start(HOST, None, 0), Err(ErrorCode::NotEnoughMembers));
    show.join(C, "c", None, 0).unwrap();
    assert!(show.start(HOST, None, 0).is_ok());
}

#[test]
fn a_ranked_act_counts_only_with_two_scores_that_count() {
    let mut show = ranked_with(&[B, C]);
    let r = started_and_ended(&mut show);
    assert!(show.snapshot().round.unwrap().counts);
    show.score(B, r, 100, 2).unwrap();
    // C leaves without scoring: one score cannot count, and the round says so at once.
    let ev = show.leave(C, 3).unwrap();
    assert!(matches!(
        ev.last(),
        Some(EventKind::RoundClosed {
            counts: false,
            count: 1,
            ..
        })
    ));
    assert!(!show.snapshot().results[0].counts);
    // Still recorded (the api-server keeps it, counting nothing).
    assert_eq!(show.take_ranked_rounds().len(), 1);

    // Two scores: it counts.
    let mut show = ranked_with(&[B, C]);
    let r = started_and_ended(&mut show);
    show.score(B, r, 10, 2).unwrap();
    let ev = show.score(C, r, 20, 2).unwrap();
    assert!(matches!(ev[1], EventKind::RoundClosed { counts: true, .. }));
}

#[test]
fn the_room_says_in_advance_when_a_ranked_act_will_not_count() {
    // The performer is over today's limit.
    let mut show = room_in(Mode::Rank, 8);
    show.join(HOST, "h", standing(false, true), 0).unwrap();
    show.join(B, "b", standing(true, true), 0).unwrap();
    show.join(C, "c", standing(true, true), 0).unwrap();
    assert!(show.snapshot().members[0].ranked_limit_reached);
    assert!(!show.snapshot().members[1].ranked_limit_reached);
    let r = started_and_ended(&mut show);
    assert!(!show.snapshot().round.unwrap().counts);
    show.score(B, r, 90, 1).unwrap();
    let ev = show.score(C, r, 90, 1).unwrap();
    assert!(matches!(
        ev[1],
        EventKind::RoundClosed {
            counts: false,
            count: 2,
            ..
        }
    ));

    // Only one scorer whose scores count (C's account is too new).
    let mut show = room_in(Mode::Rank, 8);
    show.join(HOST, "h", standing(true, true), 0).unwrap();
    show.join(B, "b", standing(true, true), 0).unwrap();
    show.join(C, "c", standing(true, false), 0).unwrap();
    started_and_ended(&mut show);
    assert!(!show.snapshot().round.unwrap().counts);
    assert!(
        !show.snapshot().members[2].ranked_limit_reached,
        "who scores with a new account is nobody else's business"
    );

    // A fresh ticket updates the standing of a returning member.
    show.disconnect(HOST, 2);
    show.join(HOST, "h", standing(false, true), 3).unwrap();
    assert!(show.snapshot().members[0].ranked_limit_reached);

    // Normal rooms never count and never say so.
    let mut show = room_in(Mode::Normal, 8);
    show.join(HOST, "h", standing(false, true), 0).unwrap();
    show.join(B, "b", None, 0).unwrap();
    assert!(!show.snapshot().members[0].ranked_limit_reached);
    started_and_ended(&mut show);
    assert!(!show.snapshot().round.unwrap().counts);
}

#[test]
fn leaving_and_coming_back_does_not_give_a_second_turn() {
    let mut show = room_with(&[B]);
    show.start(HOST, Some(B), 0).unwrap();
    show.leave(B, 0).unwrap();
    show.join(B, "b", None, 1).unwrap();
    assert!(show.snapshot().members[1].performed);
    // Back in the room, B is the one who nominates next, but not themself again.
    assert_eq!(show.nominate(B, B, 0), Err(ErrorCode::AlreadyPerformed));
}

#[test]
fn ranked_rounds_are_queued_for_recording_with_every_score() {
    let mut show = ranked_with(&[B, C]);
    let r = started_and_ended(&mut show);
    show.score(B, r, 90, 2).unwrap();
    assert!(
        show.take_ranked_rounds().is_empty(),
        "nothing before the round closes"
    );
    show.score(C, r, 71, 3).unwrap();
    let queued = show.take_ranked_rounds();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].round, r);
    assert_eq!(queued[0].report.performer, HOST);
    assert_eq!(queued[0].report.average, Some(80.5));
    let scores: Vec<_> = queued[0]
        .report
        .scores
        .iter()
        .map(|s| (s.scorer, s.value))
        .collect();
    assert_eq!(scores, [(B, 90), (C, 71)]);
    assert!(show.take_ranked_rounds().is_empty(), "taken once");
}

#[test]
fn normal_mode_scores_are_never_queued() {
    let mut show = Show::new(
        TicketRoom {
            id: RoomId(1),
            title: "t".into(),
            mode: Mode::Normal,
            category: Category::Free,
            host: HOST,
            member_limit: 8,
            created_at: 0,
        },
        settings(),
    );
    show.join(HOST, "h", None, 0).unwrap();
    show.join(B, "b", None, 0).unwrap();
    let r = started_and_ended(&mut show);
    show.score(B, r, 50, 2).unwrap();
    assert_eq!(show.phase(), Phase::Nominating);
    assert!(show.take_ranked_rounds().is_empty());
}

#[test]
fn a_show_survives_serialisation_exactly() {
    let mut show = ranked_with(&[B, C]);
    let r = started_and_ended(&mut show);
    show.score(B, r, 64, 2).unwrap();
    show.disconnect(C, 3);
    let json = serde_json::to_string(&show).unwrap();
    let mut back: Show = serde_json::from_str(&json).unwrap();
    back.set_settings(settings());
    assert_eq!(back.snapshot(), show.snapshot());
    // And it plays on identically: the secret score is still there.
    let ev = back.score(C, r, 36, 4).unwrap();
    assert!(matches!(
        ev[1],
        EventKind::RoundClosed {
            average: Some(50.0),
            count: 2,
            ..
        }
    ));
}

// ---- The sing-along track -----------------------------------------------------------------

fn media_of(show: &Show) -> onair_shared::media::MediaState {
    show.snapshot().media
}

#[test]
fn the_host_or_the_performer_on_air_controls_the_track_and_nobody_else() {
    let mut show = room_with(&[B, C]);
    // Before the show the host may set one up; a guest may not.
    assert_eq!(
        show.media_set(B, "dQw4w9WgXcQ", 10),
        Err(ErrorCode::NotAllowed)
    );
    let ev = show
        .media_set(HOST, "https://youtu.be/dQw4w9WgXcQ", 10)
        .unwrap();
    assert_eq!(types(&ev), ["media_state"]);
    let m = media_of(&show);
    assert_eq!(m.media.unwrap().id_or_url, "dQw4w9WgXcQ");
    assert!(!m.playing);
    assert_eq!((m.position_ms, m.by), (0, Some(HOST)));
    // B goes on air: now B may, C still may not, the host still may.
    show.start(HOST, Some(B), 0).unwrap();
    assert_eq!(show.media_play(C, None, 20), Err(ErrorCode::NotAllowed));
    show.media_set(B, "https://cdn.example.org/b.mp3", 20)
        .unwrap();
    show.media_play(B, None, 1_000).unwrap();
    show.media_seek(HOST, 5_000, 2_000).unwrap();
    // Playing since t=2000 from 5000 ms: at t=3500 it is at 6500 ms; a pause keeps that.
    show.media_pause(B, 3_500).unwrap();
    let m = media_of(&show);
    assert_eq!((m.playing, m.position_ms, m.by), (false, 6_500, Some(B)));
    // Once B's act has ended, B no longer controls it (the host does).
    show.end_performance(B, 4_000).unwrap();
    assert_eq!(show.media_play(B, None, 4_100), Err(ErrorCode::NotAllowed));
    show.media_play(HOST, Some(0), 4_100).unwrap();
}

#[test]
fn bad_links_and_positions_are_refused_and_change_nothing() {
    let mut show = room_with(&[B]);
    assert_eq!(show.media_play(HOST, None, 0), Err(ErrorCode::NoMedia));
    for bad in [
        "javascript:alert(1)",
        "",
        "https://youtu.be/nope",
        "file:///x.mp3",
    ] {
        assert_eq!(
            show.media_set(HOST, bad, 0),
            Err(ErrorCode::InvalidMedia),
            "{bad}"
        );
    }
    show.media_set(HOST, "dQw4w9WgXcQ", 0).unwrap();
    let before = show.snapshot();
    assert_eq!(
        show.media_seek(HOST, 13 * 3600 * 1000, 5),
        Err(ErrorCode::InvalidMedia)
    );
    assert_eq!(show.snapshot(), before);
    // Outsiders are not members.
    assert_eq!(
        show.media_set(UserId(77), "dQw4w9WgXcQ", 0),
        Err(ErrorCode::NotAMember)
    );
}

#[test]
fn the_next_act_and_the_end_of_the_show_clear_the_stage() {
    let mut show = room_with(&[B, C]);
    show.start(HOST, None, 0).unwrap();
    show.media_set(HOST, "dQw4w9WgXcQ", 0).unwrap();
    show.media_play(HOST, None, 0).unwrap();
    show.end_performance(HOST, 1_000).unwrap();
    show.nominate(HOST, B, 0).unwrap();
    let ev = show.tick(40_000);
    assert!(types(&ev).contains(&"on_air"), "{ev:?}");
    assert!(types(&ev).contains(&"media_state"), "{ev:?}");
    assert_eq!(media_of(&show), Default::default());
    // B's own track is cleared when the show ends.
    show.media_set(B, "dQw4w9WgXcQ", 41_000).unwrap();
    let ev = show.end_show(HOST, 42_000).unwrap();
    assert_eq!(types(&ev).last(), Some(&"media_state"));
    assert_eq!(media_of(&show).media, None);
    assert_eq!(
        show.media_set(HOST, "dQw4w9WgXcQ", 43_000),
        Err(ErrorCode::WrongPhase)
    );
}

// ---- The "up next" countdown ----------------------------------------------------------------

/// A room with the default 3 s countdown and the host and `others` in it.
fn counted_room_with(others: &[UserId]) -> Show {
    let mut show = room_with(others);
    show.set_settings(Settings::default());
    show
}

#[test]
fn a_named_performer_goes_on_air_when_the_countdown_ends() {
    let mut show = counted_room_with(&[B, C]);
    let ev = show.start(HOST, Some(B), 1_000).unwrap();
    assert_eq!(types(&ev), ["show_started", "up_next"]);
    assert_eq!(
        ev[1],
        EventKind::UpNext {
            performer: B,
            at: 4_000
        }
    );
    let snap = show.snapshot();
    assert_eq!(
        (snap.phase, snap.performer, snap.on_air_at),
        (Phase::UpNext, Some(B), Some(4_000))
    );
    // Not performed yet, and nothing of an act can happen before it is on air.
    assert!(!snap.members.iter().any(|m| m.performed));
    assert_eq!(show.end_performance(B, 2_000), Err(ErrorCode::WrongPhase));
    assert_eq!(show.next_wakeup(), Some(4_000));
    assert!(show.tick(3_999).is_empty());
    assert_eq!(show.tick(4_000), vec![EventKind::OnAir { performer: B }]);
    assert_eq!(show.phase(), Phase::OnAir);
    assert_eq!(show.snapshot().on_air_at, None);
}

#[test]
fn the_next_act_is_counted_down_too() {
    let mut show = counted_room_with(&[B, C]);
    show.start(HOST, None, 0).unwrap();
    show.tick(3_000);
    show.end_performance(HOST, 10_000).unwrap();
    let r = show.snapshot().round.unwrap().id;
    show.nominate(HOST, C, 10_500).unwrap();
    show.score(B, r, 70, 11_000).unwrap();
    let ev = show.score(C, r, 80, 12_000).unwrap();
    assert_eq!(
        types(&ev),
        ["score_progress", "round_closed", "up_next"],
        "the round closes, then C is counted down from the close"
    );
    assert_eq!(show.snapshot().on_air_at, Some(15_000));
    // Nominating after the round has closed counts down from the nomination.
    let mut show = counted_room_with(&[B, C]);
    show.start(HOST, None, 0).unwrap();
    show.tick(3_000);
    let r = show.snapshot().round.map(|r| r.id);
    assert_eq!(r, None);
    show.end_performance(HOST, 10_000).unwrap();
    show.tick(40_000);
    assert_eq!(show.phase(), Phase::Nominating);
    let ev = show.nominate(HOST, B, 41_000).unwrap();
    assert_eq!(types(&ev), ["nominated", "up_next"]);
    assert_eq!(show.snapshot().on_air_at, Some(44_000));
}

#[test]
fn a_performer_who_leaves_during_the_countdown_is_replaced_by_the_hosts_pick() {
    let mut show = counted_room_with(&[B, C]);
    show.start(HOST, Some(B), 0).unwrap();
    let ev = show.leave(B, 1_000).unwrap();
    assert_eq!(types(&ev), ["member_left"]);
    let snap = show.snapshot();
    assert_eq!((snap.phase, snap.on_air_at), (Phase::Nominating, None));
    assert_eq!(
        show.next_wakeup(),
        None,
        "nobody goes on air by the old countdown"
    );
    assert_eq!(show.nominate(C, C, 2_000), Err(ErrorCode::NotYourTurn));
    let ev = show.nominate(HOST, C, 2_000).unwrap();
    assert_eq!(types(&ev), ["nominated", "up_next"]);
    show.tick(5_000);
    assert_eq!(
        (show.phase(), show.snapshot().performer),
        (Phase::OnAir, Some(C))
    );
}

#[test]
fn the_host_can_end_the_show_during_the_countdown() {
    let mut show = counted_room_with(&[B]);
    show.start(HOST, None, 0).unwrap();
    let ev = show.end_show(HOST, 1_000).unwrap();
    assert_eq!(types(&ev), ["show_ended"]);
    assert_eq!(show.next_wakeup(), None);
}

#[test]
fn the_next_performer_keeps_the_track_they_set_and_nobody_elses() {
    let mut show = counted_room_with(&[B, C]);
    show.start(HOST, Some(B), 0).unwrap();
    // Counted down to going on air, B may already put their track on.
    show.media_set(B, "https://youtu.be/dQw4w9WgXcQ", 1_000)
        .unwrap();
    assert_eq!(
        show.media_set(C, "https://youtu.be/dQw4w9WgXcQ", 1_000),
        Err(ErrorCode::NotAllowed)
    );
    let ev = show.tick(3_000);
    assert_eq!(types(&ev), ["on_air"], "B's own track stays on");
    assert!(show.snapshot().media.media.is_some());
    show.end_performance(B, 10_000).unwrap();
    let r = show.snapshot().round.unwrap().id;
    show.nominate(B, C, 10_100).unwrap();
    show.score(HOST, r, 50, 11_000).unwrap();
    let ev = show.score(C, r, 50, 11_000).unwrap();
    assert_eq!(
        types(&ev),
        ["score_progress", "round_closed", "up_next", "media_state"],
        "B's track is taken off for C"
    );
    assert!(show.snapshot().media.media.is_none());
}

// ---- Play again ---------------------------------------------------------------------------

/// A normal room whose show has ended after everyone performed once.
fn ended_show() -> Show {
    let mut show = room_with(&[B]);
    let r = started_and_ended(&mut show);
    show.nominate(HOST, B, 1_500).unwrap();
    show.score(B, r, 90, 2_000).unwrap();
    show.end_performance(B, 3_000).unwrap();
    let r = show.snapshot().round.unwrap().id;
    show.score(HOST, r, 80, 4_000).unwrap();
    assert_eq!(show.phase(), Phase::Ended);
    show
}

#[test]
fn the_host_plays_again_with_the_same_members() {
    let mut show = ended_show();
    assert_eq!(show.play_again(B), Err(ErrorCode::NotHost));
    assert_eq!(show.play_again(HOST), Ok(vec![EventKind::ShowReset]));
    let snap = show.snapshot();
    assert_eq!(snap.phase, Phase::Lobby);
    assert!(snap.results.is_empty());
    assert_eq!(snap.members.len(), 2);
    assert!(snap
        .members
        .iter()
        .all(|m| !m.performed && m.score.is_none()));
    // Everyone may perform again, and round ids go on counting.
    show.start(HOST, Some(B), 5_000).unwrap();
    show.end_performance(B, 6_000).unwrap();
    assert_eq!(show.snapshot().round.unwrap().id, RoundId(3));
    assert_eq!(show.play_again(HOST), Err(ErrorCode::WrongPhase));
}

#[test]
fn play_again_is_refused_before_the_show_ends_and_after_the_room_closed() {
    let mut show = room_with(&[B]);
    assert_eq!(show.play_again(HOST), Err(ErrorCode::WrongPhase));
    show.start(HOST, None, 0).unwrap();
    assert_eq!(show.play_again(HOST), Err(ErrorCode::WrongPhase));
    let mut show = ended_show();
    show.close(CloseReason::Host, 5_000);
    assert_eq!(show.play_again(HOST), Err(ErrorCode::WrongPhase));
}

#[test]
fn the_room_closes_when_its_creator_leaves_after_the_show() {
    let mut show = ended_show();
    let ev = show.leave(HOST, 5_000).unwrap();
    assert_eq!(types(&ev), ["member_left", "room_closed"]);
    assert_eq!(show.closed(), Some(CloseReason::Host));
    assert!(show.is_finished());
    // Before the show ends, the creator's leaving hands the room over instead.
    let mut show = room_with(&[B]);
    let ev = show.leave(HOST, 5_000).unwrap();
    assert_eq!(types(&ev), ["member_left", "host_changed"]);
    assert_eq!(show.closed(), None);
}

#[test]
fn a_member_whose_player_fails_tells_the_room_once_per_track() {
    use onair_shared::media::{MediaFailure, MediaFault};
    let mut show = room_with(&[B, C]);
    // Nothing on the stage: nothing to fail.
    assert_eq!(
        show.media_error(C, MediaFailure::Unplayable),
        Err(ErrorCode::NoMedia)
    );
    show.media_set(HOST, "dQw4w9WgXcQ", 0).unwrap();
    let ev = show.media_error(C, MediaFailure::EmbedBlocked).unwrap();
    assert_eq!(types(&ev), ["media_state"]);
    let fault = Some(MediaFault {
        reason: MediaFailure::EmbedBlocked,
        by: C,
    });
    assert_eq!(media_of(&show).error, fault);
    // Every other member's player fails too: the room has heard it already.
    assert!(show
        .media_error(B, MediaFailure::EmbedBlocked)
        .unwrap()
        .is_empty());
    assert!(show
        .media_error(C, MediaFailure::NotFound)
        .unwrap()
        .is_empty());
    // The report stays with the track through play and pause, and goes with the next track.
    show.media_play(HOST, None, 10).unwrap();
    assert_eq!(media_of(&show).error, fault);
    show.media_set(HOST, "https://cdn.example.org/other.mp3", 20)
        .unwrap();
    assert_eq!(media_of(&show).error, None);
    assert_eq!(
        show.media_error(UserId(77), MediaFailure::Unplayable),
        Err(ErrorCode::NotAMember)
    );
}
