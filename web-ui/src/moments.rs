//! The show's moments for the live notice line (`#live-notice`), worked out on the client by
//! comparing the room before and after each update it receives: nothing new on the wire.

use crate::i18n::Lang;
use onair_shared::protocol::{Phase, RoomSnapshot};
use onair_shared::UserId;

/// Something worth saying out loud about the show.
#[derive(Debug, Clone, PartialEq)]
pub enum Moment {
    OnAir(String),
    UpNext(String),
    /// Counted down: `name` goes on air in `secs` seconds.
    OnAirIn {
        name: String,
        secs: i64,
    },
    /// The host started another show with everyone here.
    NewShow,
    /// An act's round closed: its mean (none when nobody scored).
    ScoreIn {
        name: String,
        average: Option<f64>,
    },
    HostChanged(String),
    YouAreHost,
    Joined(String),
    Left(String),
    Offline(String),
    Back(String),
    ShowEnded,
}

impl Moment {
    /// A short code for `data-kind`.
    pub fn code(&self) -> &'static str {
        match self {
            Moment::OnAir(_) => "on_air",
            Moment::UpNext(_) => "up_next",
            Moment::OnAirIn { .. } => "countdown",
            Moment::NewShow => "new_show",
            Moment::ScoreIn { .. } => "score_in",
            Moment::HostChanged(_) | Moment::YouAreHost => "host_changed",
            Moment::Joined(_) => "joined",
            Moment::Left(_) => "left",
            Moment::Offline(_) => "offline",
            Moment::Back(_) => "back",
            Moment::ShowEnded => "show_ended",
        }
    }

    pub fn text(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, Moment::OnAir(n)) => format!("{n} is on air"),
            (Lang::Ko, Moment::OnAir(n)) => format!("{n} 님이 무대에 올랐어요"),
            (Lang::En, Moment::UpNext(n)) => format!("{n} performs next"),
            (Lang::Ko, Moment::UpNext(n)) => format!("다음 무대는 {n} 님이에요"),
            (
                Lang::En,
                Moment::ScoreIn {
                    name,
                    average: Some(a),
                },
            ) => format!("{a:.2} for {name}"),
            (
                Lang::Ko,
                Moment::ScoreIn {
                    name,
                    average: Some(a),
                },
            ) => {
                format!("{name} 님의 점수는 {a:.2}점이에요")
            }
            (
                Lang::En,
                Moment::ScoreIn {
                    name,
                    average: None,
                },
            ) => {
                format!("No scores for {name}'s act")
            }
            (
                Lang::Ko,
                Moment::ScoreIn {
                    name,
                    average: None,
                },
            ) => {
                format!("{name} 님의 공연은 받은 점수가 없어요")
            }
            (Lang::En, Moment::OnAirIn { name, secs }) => {
                format!("{name} goes on air in {secs} s")
            }
            (Lang::Ko, Moment::OnAirIn { name, secs }) => {
                format!("{secs}초 뒤 {name} 님의 무대가 시작돼요")
            }
            (Lang::En, Moment::NewShow) => "A new show: everyone can perform again".into(),
            (Lang::Ko, Moment::NewShow) => "새 쇼가 시작됐어요. 모두 다시 공연할 수 있어요".into(),
            (Lang::En, Moment::HostChanged(n)) => format!("{n} is now the host"),
            (Lang::Ko, Moment::HostChanged(n)) => format!("이제 {n} 님이 호스트예요"),
            (Lang::En, Moment::YouAreHost) => "You are now the host".into(),
            (Lang::Ko, Moment::YouAreHost) => "이제 내가 호스트예요".into(),
            (Lang::En, Moment::Joined(n)) => format!("{n} joined"),
            (Lang::Ko, Moment::Joined(n)) => format!("{n} 님이 들어왔어요"),
            (Lang::En, Moment::Left(n)) => format!("{n} left the room"),
            (Lang::Ko, Moment::Left(n)) => format!("{n} 님이 방에서 나갔어요"),
            (Lang::En, Moment::Offline(n)) => format!("{n} lost the connection"),
            (Lang::Ko, Moment::Offline(n)) => format!("{n} 님의 연결이 끊겼어요"),
            (Lang::En, Moment::Back(n)) => format!("{n} is back"),
            (Lang::Ko, Moment::Back(n)) => format!("{n} 님이 돌아왔어요"),
            (Lang::En, Moment::ShowEnded) => "The show is over: here are the results".into(),
            (Lang::Ko, Moment::ShowEnded) => "쇼가 끝났어요. 결과를 확인해 보세요".into(),
        }
    }
}

/// What happened between two snapshots of the same room, in the order it is worth telling
/// (scores before the next act). We are never told about ourselves joining or leaving.
/// `now_ms` (unix ms) says how long a countdown has left.
pub fn moments(
    prev: &RoomSnapshot,
    next: &RoomSnapshot,
    you: Option<UserId>,
    now_ms: f64,
) -> Vec<Moment> {
    let mut out = Vec::new();
    if prev.id != next.id {
        return out;
    }
    let name = |id: UserId| crate::components::stage::name_of(next, id);
    for r in next.results.iter().skip(prev.results.len()) {
        out.push(Moment::ScoreIn {
            name: r.name.clone(),
            average: r.average,
        });
    }
    for m in &prev.members {
        if Some(m.id) == you {
            continue;
        }
        match next.members.iter().find(|n| n.id == m.id) {
            None => out.push(Moment::Left(m.name.clone())),
            Some(n) if m.online && !n.online => out.push(Moment::Offline(n.name.clone())),
            Some(n) if !m.online && n.online => out.push(Moment::Back(n.name.clone())),
            Some(_) => {}
        }
    }
    for m in &next.members {
        if Some(m.id) != you && !prev.members.iter().any(|p| p.id == m.id) {
            out.push(Moment::Joined(m.name.clone()));
        }
    }
    if prev.host != next.host {
        out.push(if Some(next.host) == you {
            Moment::YouAreHost
        } else {
            Moment::HostChanged(name(next.host))
        });
    }
    if let Some(n) = next.nominee.filter(|_| next.nominee != prev.nominee) {
        if next.phase != Phase::OnAir {
            out.push(Moment::UpNext(name(n)));
        }
    }
    if next.phase == Phase::OnAir
        && (prev.phase != Phase::OnAir || prev.performer != next.performer)
    {
        if let Some(p) = next.performer {
            out.push(Moment::OnAir(name(p)));
        }
    }
    if next.phase == Phase::UpNext
        && (prev.phase != Phase::UpNext || prev.performer != next.performer)
    {
        if let (Some(p), Some(at)) = (next.performer, next.on_air_at) {
            let secs = ((at as f64 - now_ms) / 1000.0).ceil().clamp(1.0, 60.0) as i64;
            out.push(Moment::OnAirIn {
                name: name(p),
                secs,
            });
        }
    }
    if next.phase == Phase::Ended && prev.phase != Phase::Ended {
        out.push(Moment::ShowEnded);
    }
    if next.phase == Phase::Lobby && prev.phase == Phase::Ended {
        out.push(Moment::NewShow);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::protocol::{ActResult, MemberView};
    use onair_shared::room::{Category, Mode};
    use onair_shared::{RoomId, RoundId};

    fn member(id: i64, name: &str) -> MemberView {
        MemberView {
            id: UserId(id),
            name: name.into(),
            online: true,
            performed: false,
            score: None,
            ranked_limit_reached: false,
        }
    }

    fn room() -> RoomSnapshot {
        RoomSnapshot {
            id: RoomId(1),
            title: "t".into(),
            mode: Mode::Normal,
            category: Category::Free,
            member_limit: 8,
            host: UserId(1),
            phase: Phase::Lobby,
            performer: None,
            on_air_at: None,
            round: None,
            nominee: None,
            members: vec![member(1, "Host"), member(2, "Bea"), member(3, "Cy")],
            chat: vec![],
            results: vec![],
            media: Default::default(),
        }
    }

    #[test]
    fn hosts_scores_comings_and_goings_and_turns_are_told() {
        let you = Some(UserId(3));
        let a = room();
        let mut b = a.clone();
        b.members.remove(0);
        b.host = UserId(2);
        assert_eq!(
            moments(&a, &b, you, 0.0),
            [
                Moment::Left("Host".into()),
                Moment::HostChanged("Bea".into())
            ]
        );
        assert_eq!(
            Moment::HostChanged("Bea".into()).text(Lang::En),
            "Bea is now the host"
        );

        let mut c = a.clone();
        c.phase = Phase::Scoring;
        c.nominee = Some(UserId(2));
        c.results.push(ActResult {
            round: RoundId(1),
            performer: UserId(1),
            name: "Host".into(),
            average: Some(85.5),
            count: 2,
            counts: false,
        });
        let got = moments(&a, &c, you, 0.0);
        assert_eq!(got[0].text(Lang::En), "85.50 for Host");
        assert_eq!(got[1], Moment::UpNext("Bea".into()));

        let mut d = c.clone();
        d.phase = Phase::OnAir;
        d.performer = Some(UserId(2));
        assert_eq!(moments(&c, &d, you, 0.0), [Moment::OnAir("Bea".into())]);

        let mut e = a.clone();
        e.members[1].online = false;
        assert_eq!(moments(&a, &e, you, 0.0), [Moment::Offline("Bea".into())]);
        assert_eq!(moments(&e, &a, you, 0.0), [Moment::Back("Bea".into())]);
        assert!(moments(&a, &a, you, 0.0).is_empty());

        // About ourselves: only that we became the host.
        let mut f = a.clone();
        f.host = UserId(3);
        f.members[2].online = false;
        assert_eq!(moments(&a, &f, you, 0.0), [Moment::YouAreHost]);
    }

    #[test]
    fn every_moment_reads_in_both_languages() {
        let all = [
            Moment::OnAir("A".into()),
            Moment::UpNext("A".into()),
            Moment::ScoreIn {
                name: "A".into(),
                average: Some(1.0),
            },
            Moment::ScoreIn {
                name: "A".into(),
                average: None,
            },
            Moment::HostChanged("A".into()),
            Moment::YouAreHost,
            Moment::Joined("A".into()),
            Moment::Left("A".into()),
            Moment::Offline("A".into()),
            Moment::Back("A".into()),
            Moment::ShowEnded,
        ];
        for m in all {
            let ko = m.text(Lang::Ko);
            assert_ne!(m.text(Lang::En), ko);
            assert!(!ko.ends_with("니다") && !ko.ends_with('다'), "{ko}");
        }
    }

    #[test]
    fn the_countdown_and_a_new_show_are_told() {
        let you = Some(UserId(1));
        let mut a = room();
        a.phase = Phase::Nominating;
        let mut b = a.clone();
        b.phase = Phase::UpNext;
        b.performer = Some(UserId(2));
        b.on_air_at = Some(10_000);
        assert_eq!(
            moments(&a, &b, you, 7_200.0),
            [Moment::OnAirIn {
                name: "Bea".into(),
                secs: 3
            }]
        );
        assert_eq!(
            Moment::OnAirIn {
                name: "Bea".into(),
                secs: 3
            }
            .text(Lang::Ko),
            "3초 뒤 Bea 님의 무대가 시작돼요"
        );
        let mut ended = room();
        ended.phase = Phase::Ended;
        assert_eq!(moments(&ended, &room(), you, 0.0), [Moment::NewShow]);
    }
}
