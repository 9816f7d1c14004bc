//! A ranked show played over real WebSockets lands in the api-server's database exactly once,
//! through real tickets and the internal endpoint, on SQLite and on MariaDB; and a normal show
//! leaves nothing behind.

use crate::common::{metric, metric_sum, metrics_of};
use crate::stack::*;
use onair_shared::api::{RankingPage, RoomView, ScoreHistoryItem};
use onair_shared::protocol::{ErrorCode, EventKind};
use onair_shared::UserId;
use serde_json::json;
use std::time::{Duration, Instant};

async fn ranked_show_is_recorded_once(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let stack = Stack::start(&db).await;
    let (ann, ben, cat) = (
        stack.login("Ann").await,
        stack.login("Ben").await,
        stack.login("Cat").await,
    );
    let room: RoomView = stack
        .post(
            "/api/v1/rooms",
            Some(&ann.token),
            json!({"title":"Ranked night","mode":"rank"}),
        )
        .await;
    let mut a = stack.enter(&ann, &room).await;
    let mut b = stack.enter(&ben, &room).await;
    let mut c = stack.enter(&cat, &room).await;

    // The lobby's catalogue shows the live member count the room-server reports.
    stack.catalogue_shows(room.id, 3, "open").await;
    a.send(json!({"type":"start"})).await;
    stack.catalogue_shows(room.id, 3, "live").await;
    act(&mut a, &mut [(&mut b, 90), (&mut c, 71)]).await;
    a.send(json!({"type":"nominate","user":ben.user.id})).await;
    until(&mut b, |e| matches!(e, EventKind::OnAir { .. })).await;
    until(&mut c, |e| matches!(e, EventKind::OnAir { .. })).await;
    act(&mut b, &mut [(&mut a, 100), (&mut c, 0)]).await;

    // The api-server goes down before the last act is scored; the result must wait for it.
    stack.api_handle.stop(true).await;
    b.send(json!({"type":"nominate","user":cat.user.id})).await;
    until(&mut c, |e| matches!(e, EventKind::OnAir { .. })).await;
    until(&mut a, |e| matches!(e, EventKind::OnAir { .. })).await;
    act(&mut c, &mut [(&mut a, 60), (&mut b, 61)]).await;
    until(&mut a, |e| matches!(e, EventKind::ShowEnded { .. })).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _api = Stack::start_api(stack.api_config.clone());

    let ranking = stack.ranking_with(3).await;
    let rows: Vec<(u64, UserId, f64, u32)> = ranking
        .items
        .iter()
        .map(|r| (r.rank, r.user.id, r.cumulative_score, r.acts))
        .collect();
    assert_eq!(
        rows,
        [
            (1, ann.user.id, 80.5, 1),
            (2, cat.user.id, 60.5, 1),
            (3, ben.user.id, 50.0, 1)
        ],
        "each act recorded exactly once, the last one after the api-server came back"
    );
    let history: onair_shared::api::Page<ScoreHistoryItem> = stack
        .get(&format!("/api/v1/users/{}/scores", ann.user.id))
        .await;
    assert_eq!(history.items.len(), 1);
    assert_eq!(
        (history.items[0].average, history.items[0].count),
        (Some(80.5), 2)
    );
    assert_eq!(history.items[0].room_title, "Ranked night");
}

#[actix_rt::test]
async fn ranked_show_is_recorded_once_sqlite() {
    ranked_show_is_recorded_once(Backend::Sqlite).await;
}

#[actix_rt::test]
async fn ranked_show_is_recorded_once_mysql() {
    ranked_show_is_recorded_once(Backend::Mysql).await;
}

async fn normal_show_leaves_no_scores(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let stack = Stack::start(&db).await;
    let (ann, ben) = (stack.login("Ann").await, stack.login("Ben").await);
    let room: RoomView = stack
        .post(
            "/api/v1/rooms",
            Some(&ann.token),
            json!({"title":"Just fun","mode":"normal"}),
        )
        .await;
    let mut a = stack.enter(&ann, &room).await;
    let mut b = stack.enter(&ben, &room).await;
    a.send(json!({"type":"start"})).await;
    act(&mut a, &mut [(&mut b, 99)]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ranking: RankingPage = stack.get("/api/v1/rankings").await;
    assert!(
        ranking.items.is_empty(),
        "normal-mode scores are never stored: {:?}",
        ranking.items
    );
}

#[actix_rt::test]
async fn normal_show_leaves_no_scores_sqlite() {
    normal_show_leaves_no_scores(Backend::Sqlite).await;
}

#[actix_rt::test]
async fn normal_show_leaves_no_scores_mysql() {
    normal_show_leaves_no_scores(Backend::Mysql).await;
}

/// Both servers' real `/metrics` after a real ranked act: every counter moved by exactly what
/// the show did.
async fn both_servers_count_a_ranked_show(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let stack = Stack::start(&db).await;
    let (ann, ben, cat) = (
        stack.login("Ann").await,
        stack.login("Ben").await,
        stack.login("Cat").await,
    );
    let room: RoomView = stack
        .post(
            "/api/v1/rooms",
            Some(&ann.token),
            json!({"title":"Counted","mode":"rank"}),
        )
        .await;
    // 3 welcomes; Ben's join reaches Ann, Cat's reaches Ann and Ben: 3 member_joined.
    let mut a = stack.enter(&ann, &room).await;
    let mut b = stack.enter(&ben, &room).await;
    let mut c = stack.enter(&cat, &room).await;
    // show_started and on_air, to 3 each.
    a.send(json!({"type":"start"})).await;
    for m in [&mut a, &mut b, &mut c] {
        until(m, |e| matches!(e, EventKind::OnAir { .. })).await;
    }
    // performance_ended, score_progress twice and round_closed, to 3 each.
    act(&mut a, &mut [(&mut b, 90), (&mut c, 71)]).await;
    a.send(json!({"type":"chat","text":"thank you"})).await;
    for m in [&mut a, &mut b, &mut c] {
        until(m, |e| matches!(e, EventKind::Chat { .. })).await;
    }
    b.send(json!({"type":"end_show"})).await;
    assert_eq!(b.error().await, ErrorCode::NotHost);
    c.send_raw("{not json".into()).await;
    assert_eq!(c.error().await, ErrorCode::BadJson);
    stack.ranking_with(1).await;

    let room_metrics = loop {
        let text = metrics_of(stack.room).await;
        if metric(&text, "onair_ranked_rounds_delivered_total") >= 1.0 {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let m = |series: &str| metric(&room_metrics, series);
    for (series, value) in [
        ("onair_ws_connections", 3.0),
        (r#"onair_rooms{role="owned"}"#, 1.0),
        (r#"onair_rooms{role="relayed"}"#, 0.0),
        ("onair_room_members", 3.0),
        (r#"onair_frames_in_total{type="start"}"#, 1.0),
        (r#"onair_frames_in_total{type="end_show"}"#, 1.0),
        (r#"onair_frames_in_total{type="end_performance"}"#, 1.0),
        (r#"onair_frames_in_total{type="score"}"#, 2.0),
        (r#"onair_frames_in_total{type="chat"}"#, 1.0),
        (r#"onair_frames_in_total{type="invalid"}"#, 1.0),
        (r#"onair_frames_out_total{type="welcome"}"#, 3.0),
        (r#"onair_frames_out_total{type="member_joined"}"#, 3.0),
        (r#"onair_frames_out_total{type="show_started"}"#, 3.0),
        (r#"onair_frames_out_total{type="on_air"}"#, 3.0),
        (r#"onair_frames_out_total{type="performance_ended"}"#, 3.0),
        (r#"onair_frames_out_total{type="score_progress"}"#, 6.0),
        (r#"onair_frames_out_total{type="round_closed"}"#, 3.0),
        (r#"onair_frames_out_total{type="chat"}"#, 3.0),
        (r#"onair_frames_out_total{type="error"}"#, 2.0),
        (r#"onair_frames_out_total{type="other"}"#, 0.0),
        (r#"onair_error_frames_total{code="not_host"}"#, 1.0),
        (r#"onair_error_frames_total{code="bad_json"}"#, 1.0),
        ("onair_ranked_rounds_delivered_total", 1.0),
        ("onair_ranked_rounds_retries_total", 0.0),
        (r#"onair_cutoffs_total{reason="slow_reader"}"#, 0.0),
        ("onair_lease_takeovers_total", 0.0),
        ("onair_redis_publishes_total", 0.0),
        ("onair_redis_up", 1.0),
        ("onair_draining", 0.0),
    ] {
        assert_eq!(m(series), value, "{series}");
    }

    let api_metrics = reqwest::get(format!("{}/metrics", stack.api))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let api = |series: &str| metric(&api_metrics, series);
    for (series, value) in [
        (r#"onair_logins_total{provider="dev"}"#, 3.0),
        (r#"onair_logins_total{provider="kakao"}"#, 0.0),
        ("onair_tickets_issued_total", 3.0),
        (r#"onair_ranked_rounds_total{result="recorded"}"#, 1.0),
        (r#"onair_ranked_rounds_total{result="repeat"}"#, 0.0),
        (
            r#"onair_http_requests_total{method="POST",route="/api/v1/rooms/{id}/ticket",status="200"}"#,
            3.0,
        ),
        (
            r#"onair_http_requests_total{method="PUT",route="/internal/v1/rooms/{room}/rounds/{round}",status="201"}"#,
            1.0,
        ),
        ("onair_db_pool_timeouts_total", 0.0),
    ] {
        assert_eq!(api(series), value, "{series}");
    }

    // Every event frame written is one fan-out sample: 3 + 3 + 3 + 3 + 6 + 3 + 3.
    assert_eq!(
        metric_sum(&room_metrics, "onair_fanout_latency_seconds_count"),
        24.0
    );

    // What the alert rules and the dashboard in deploy/ query is what the servers export.
    let mut exported = crate::common::exported_names(&room_metrics);
    exported.extend(crate::common::exported_names(&api_metrics));
    for name in crate::common::referenced_metrics() {
        assert!(
            exported.contains(&name),
            "deploy/ queries {name}, which neither server exports"
        );
    }

    // Everyone leaves: the gauges come back down.
    for m in [&mut a, &mut b, &mut c] {
        m.send(json!({"type":"leave"})).await;
    }
    let start = Instant::now();
    loop {
        let text = metrics_of(stack.room).await;
        let gauges = [
            metric(&text, "onair_ws_connections"),
            metric(&text, r#"onair_rooms{role="owned"}"#),
            metric(&text, "onair_room_members"),
        ];
        if gauges == [0.0; 3] {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{gauges:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_rt::test]
async fn both_servers_count_a_ranked_show_sqlite() {
    both_servers_count_a_ranked_show(Backend::Sqlite).await;
}

#[actix_rt::test]
async fn both_servers_count_a_ranked_show_mysql() {
    both_servers_count_a_ranked_show(Backend::Mysql).await;
}
