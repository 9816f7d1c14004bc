//! A ranked show played over real WebSockets lands in the api-server's database exactly once,
//! through real tickets and the internal endpoint, on SQLite and on MariaDB; and a normal show
//! leaves nothing behind.

use crate::stack::*;
use onair_shared::api::{RankingPage, RoomView, ScoreHistoryItem};
use onair_shared::protocol::EventKind;
use onair_shared::UserId;
use serde_json::json;
use std::time::Duration;

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
