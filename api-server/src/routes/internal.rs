//! `/internal/v1`: what the room-server reports and asks, authorised by the service token
//! ([`ServiceCaller`]). The contract is fixed by `room-server/src/reporter.rs`: it treats 2xx
//! as done, 4xx (except 429) as a permanent rejection and 5xx or no answer as "retry later",
//! so validation problems are 4xx and only outages are 5xx.

use crate::auth::ServiceCaller;
use crate::db;
use crate::db::models::{
    mean_centi, Act, CountRules, ModerationEvent, NewAct, Recorded, Room, User, MAX_RESULTS,
};
use crate::error::ApiError;
use crate::{unix_now, AppState};
use actix_web::{web, HttpResponse};
use onair_shared::api::{
    ModerationFeed, RankedRoundReport, RoomStatusAck, RoomStatusReport, RoomView, RoundRecorded,
    DISPLAY_NAME_MAX_CHARS,
};
use onair_shared::room::{CloseReason, Mode, RoomStatus};
use onair_shared::{RoomId, RoundId};
use serde::Deserialize;
use std::collections::HashSet;

/// More scores than any room can produce (12 members at most, the performer does not score).
const MAX_SCORES: usize = 64;
/// A member count no room can reach; anything above is a bug on the sending side.
const MAX_MEMBER_COUNT: u32 = 10_000;

/// `GET /internal/v1/rooms/{room}`.
pub async fn get_room(
    state: web::Data<AppState>,
    _caller: ServiceCaller,
    path: web::Path<RoomId>,
) -> Result<web::Json<RoomView>, ApiError> {
    let id = path.into_inner();
    let (room, host) = db::run(&state.pool, move |conn| Ok(Room::find_with_host(conn, id)?))
        .await?
        .ok_or(ApiError::RoomNotFound)?;
    Ok(web::Json(room.to_view(&host)?))
}

/// `PUT /internal/v1/rooms/{room}/status`.
pub async fn put_status(
    state: web::Data<AppState>,
    _caller: ServiceCaller,
    path: web::Path<RoomId>,
    body: web::Json<RoomStatusReport>,
) -> Result<web::Json<RoomStatusAck>, ApiError> {
    let id = path.into_inner();
    let report = body.into_inner();
    if report.member_count > MAX_MEMBER_COUNT {
        return Err(ApiError::Validation(format!(
            "member_count {} is not plausible",
            report.member_count
        )));
    }
    if let Some(results) = &report.results {
        if report.status != RoomStatus::Ended {
            return Err(ApiError::Validation(
                "results come with status ended only".into(),
            ));
        }
        if results.len() > MAX_RESULTS {
            return Err(ApiError::Validation(format!(
                "{} results: at most {MAX_RESULTS}",
                results.len()
            )));
        }
        if results
            .iter()
            .any(|r| r.name.chars().count() > DISPLAY_NAME_MAX_CHARS)
        {
            return Err(ApiError::Validation(format!(
                "a performer's name is over {DISPLAY_NAME_MAX_CHARS} characters"
            )));
        }
    }
    let count = i32::try_from(report.member_count).unwrap_or(i32::MAX);
    let now = unix_now();
    let room = db::run(&state.pool, move |conn| {
        Ok(Room::apply_status_report(
            conn,
            id,
            report.status,
            count,
            report.results.as_deref(),
            now,
        )?)
    })
    .await?
    .ok_or(ApiError::RoomNotFound)?;
    Ok(web::Json(RoomStatusAck {
        room: room.room_id(),
        status: room.status,
        member_count: u32::try_from(room.member_count).unwrap_or(0),
    }))
}

/// `PUT /internal/v1/rooms/{room}/rounds/{round}`: records a ranked act exactly once.
/// 201 the first time; 200 with `recorded: false` for a repeat of the same act (a retry after
/// a lost answer, or a new room owner after failover), which changes nothing. `counted` says
/// whether it counts toward the ranking (at least two scores from accounts old enough, the
/// performer under the daily limit). An act that ended after an admin closed the room is
/// refused with 409 `room_closed`.
pub async fn put_round(
    state: web::Data<AppState>,
    _caller: ServiceCaller,
    path: web::Path<(RoomId, RoundId)>,
    body: web::Json<RankedRoundReport>,
) -> Result<HttpResponse, ApiError> {
    let (room_id, round) = path.into_inner();
    let report = body.into_inner();
    let round_no = i32::try_from(round.0)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::Validation(format!("round must be from 1 (got {round})")))?;
    let average_centi = validate_report(&report)?;
    let now = unix_now();
    let new = NewAct {
        room_id,
        round_no,
        performer_id: report.performer,
        average_centi: average_centi.map(|c| c as i32),
        score_count: report.scores.len() as i32,
        closed_at: report.closed_at,
        recorded_at: now,
        counted: false,
    };
    let rules = CountRules {
        per_day: state.config.fair_play.ranked_acts_per_day,
        min_account_age_secs: state.config.fair_play.ranked_min_account_age_secs,
        now,
    };
    let scores: Vec<_> = report.scores.iter().map(|s| (s.scorer, s.value)).collect();
    let mut people: Vec<i64> = report.scores.iter().map(|s| s.scorer.0).collect();
    people.push(report.performer.0);

    let recorded = db::run(&state.pool, move |conn| {
        let room = Room::find(conn, room_id)?.ok_or(ApiError::RoomNotFound)?;
        if room.mode != Mode::Rank {
            return Err(ApiError::NotRanked);
        }
        // An admin's close ends the room's ranked play: nothing that ended after it counts
        // (a repeat of an act recorded before is still answered as a repeat below).
        if room.close_reason() == Some(CloseReason::Admin)
            && room
                .ended_at
                .is_some_and(|ended| new.closed_at > ended.saturating_mul(1000))
            && Act::find_by_round(conn, room_id, round_no)?.is_none()
        {
            return Err(ApiError::RoomClosed);
        }
        let known: HashSet<i64> = User::existing_ids(conn, &people)?.into_iter().collect();
        if let Some(unknown) = people.iter().find(|id| !known.contains(id)) {
            return Err(ApiError::Validation(format!("unknown user {unknown}")));
        }
        Ok(Act::record(conn, &new, &scores, &rules)?)
    })
    .await?;

    state
        .metrics
        .ranked_round(matches!(recorded, Recorded::New(_)));
    match recorded {
        Recorded::New(act) => {
            tracing::info!(
                "room {room_id} round {round}: recorded act {} of user {} ({} scores, average {:?}, {})",
                act.id,
                act.performer_id,
                act.score_count,
                act.average(),
                if act.counted { "counted" } else { "not counted" }
            );
            Ok(HttpResponse::Created().json(RoundRecorded {
                room: room_id,
                round,
                recorded: true,
                counted: act.counted,
            }))
        }
        Recorded::Repeat(existing) if existing.performer_id == report.performer => {
            tracing::debug!("room {room_id} round {round}: already recorded");
            Ok(HttpResponse::Ok().json(RoundRecorded {
                room: room_id,
                round,
                recorded: false,
                counted: existing.counted,
            }))
        }
        Recorded::Repeat(existing) => Err(ApiError::RoundConflict(format!(
            "room {room_id} round {round} was recorded for user {}, not {}",
            existing.performer_id, report.performer
        ))),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModerationQuery {
    /// The `next` of the previous answer (without it: the last five minutes).
    pub after: Option<String>,
}

/// Events a room-server reads when it starts: bans and closings of the last few minutes
/// (room tickets live 60 seconds).
const MODERATION_START_WINDOW_SECS: i64 = 300;
const MODERATION_PAGE: i64 = 200;

/// `GET /internal/v1/moderation?after=<id>`: bans, unbans and room closings after `after`,
/// oldest first; without `after`, those of the last five minutes.
pub async fn moderation(
    state: web::Data<AppState>,
    _caller: ServiceCaller,
    query: web::Query<ModerationQuery>,
) -> Result<web::Json<ModerationFeed>, ApiError> {
    let after = match query
        .after
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        None => None,
        Some(a) => Some(a.parse::<i64>().ok().filter(|a| *a >= 0).ok_or_else(|| {
            ApiError::Validation(format!("after must be an event id, got {a:?}"))
        })?),
    };
    let now = unix_now();
    let (rows, last) = db::run(&state.pool, move |conn| {
        let rows = match after {
            Some(after) => ModerationEvent::after(conn, after, MODERATION_PAGE)?,
            None => {
                ModerationEvent::since(conn, now - MODERATION_START_WINDOW_SECS, MODERATION_PAGE)?
            }
        };
        let last = match rows.last() {
            Some(row) => row.id,
            None => after.unwrap_or(ModerationEvent::last_id(conn)?),
        };
        Ok((rows, last))
    })
    .await?;
    Ok(web::Json(ModerationFeed {
        events: rows.iter().filter_map(ModerationEvent::to_wire).collect(),
        next: last,
    }))
}

/// Checks a report on its own and returns the average in hundredths, recomputed from the
/// scores (the stored value never depends on a float sent over the wire).
fn validate_report(report: &RankedRoundReport) -> Result<Option<i64>, ApiError> {
    if report.scores.len() > MAX_SCORES {
        return Err(ApiError::Validation(format!(
            "too many scores ({})",
            report.scores.len()
        )));
    }
    let mut seen = HashSet::new();
    for entry in &report.scores {
        if entry.value > 100 {
            return Err(ApiError::Validation(format!(
                "score {} from user {} is out of range: scores are 0 to 100",
                entry.value, entry.scorer
            )));
        }
        if entry.scorer == report.performer {
            return Err(ApiError::Validation(format!(
                "user {} cannot score their own act",
                entry.scorer
            )));
        }
        if !seen.insert(entry.scorer) {
            return Err(ApiError::Validation(format!(
                "user {} scored twice",
                entry.scorer
            )));
        }
    }
    if report.closed_at <= 0 {
        return Err(ApiError::Validation(
            "closed_at must be unix milliseconds".into(),
        ));
    }
    let values: Vec<u8> = report.scores.iter().map(|s| s.value).collect();
    let computed = mean_centi(&values);
    let reported = match report.average {
        Some(a) if !a.is_finite() => {
            return Err(ApiError::Validation("average must be a number".into()))
        }
        Some(a) => Some((a * 100.0).round() as i64),
        None => None,
    };
    if reported != computed {
        return Err(ApiError::Validation(format!(
            "average {:?} does not match the scores (expected {:?})",
            report.average,
            computed.map(|c| c as f64 / 100.0)
        )));
    }
    Ok(computed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::api::ScoreEntry;
    use onair_shared::UserId;

    fn report(scores: &[(i64, u8)], average: Option<f64>) -> RankedRoundReport {
        RankedRoundReport {
            performer: UserId(1),
            scores: scores
                .iter()
                .map(|(u, v)| ScoreEntry {
                    scorer: UserId(*u),
                    value: *v,
                })
                .collect(),
            average,
            closed_at: 1_700_000_000_000,
        }
    }

    #[test]
    fn reports_are_checked() {
        assert_eq!(validate_report(&report(&[], None)).unwrap(), None);
        assert_eq!(
            validate_report(&report(&[(2, 100), (3, 100), (4, 0)], Some(66.67))).unwrap(),
            Some(6667)
        );
        for bad in [
            report(&[(2, 101)], Some(101.0)),
            report(&[(1, 50)], Some(50.0)),
            report(&[(2, 50), (2, 60)], Some(55.0)),
            report(&[(2, 50)], Some(51.0)),
            report(&[(2, 50)], None),
            report(&[], Some(0.0)),
            report(&[(2, 50)], Some(f64::NAN)),
        ] {
            let err = validate_report(&bad).unwrap_err();
            assert_eq!(
                err.code(),
                onair_shared::api::ApiErrorCode::ValidationFailed,
                "{bad:?}"
            );
        }
        let mut old = report(&[], None);
        old.closed_at = 0;
        assert!(validate_report(&old).is_err());
    }
}
