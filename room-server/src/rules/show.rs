use onair_shared::api::{RankedRoundReport, ScoreEntry};
use onair_shared::auth::TicketRoom;
use onair_shared::protocol::{
    mean_two_decimals, ActResult, ChatLine, ErrorCode, EventKind, LeaveReason, MemberView, Phase,
    ReactionKind, RoomSnapshot, RoundView, CHAT_MAX_CHARS, SCORE_MAX, SCORE_MIN,
};
use onair_shared::room::Mode;
use onair_shared::{RoundId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

/// Timings and sizes of a room; the defaults are the show's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How long a scoring round stays open.
    pub score_deadline_ms: i64,
    /// How long a disconnected member keeps their seat.
    pub reconnect_grace_ms: i64,
    /// Chat lines kept for the snapshot a (re)joining member receives.
    pub chat_history: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            score_deadline_ms: 30_000,
            reconnect_grace_ms: 30_000,
            chat_history: 50,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Member {
    id: UserId,
    name: String,
    /// `None` while connected; otherwise when the connection dropped (unix ms).
    offline_since: Option<i64>,
    performed: bool,
    score: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Round {
    id: RoundId,
    performer: UserId,
    /// Kept here so the results board can name a performer who left during scoring.
    performer_name: String,
    deadline: i64,
    /// Members present when the act ended, minus the performer; shrinks when one leaves.
    eligible: BTreeSet<UserId>,
    scores: BTreeMap<UserId, i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Stage {
    Lobby,
    OnAir {
        performer: UserId,
    },
    Scoring {
        round: Round,
        nominee: Option<UserId>,
    },
    /// The round is closed; `performer` (or the host, if they left) names who is next.
    Nominating {
        performer: UserId,
    },
    Ended,
}

/// One room's show. Every method that changes it returns the events to broadcast, in order;
/// a refused command returns an [`ErrorCode`] and changes nothing.
///
/// It serialises whole (all but the settings, which come from configuration), so a room can be
/// carried on by another instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Show {
    info: TicketRoom,
    #[serde(skip)]
    settings: Settings,
    host: UserId,
    /// In the order they joined: the host hand-over order.
    members: Vec<Member>,
    stage: Stage,
    kicked: HashSet<UserId>,
    /// Everyone who has been on air in this show, even if they left and came back since.
    performed: HashSet<UserId>,
    last_round: u32,
    results: Vec<ActResult>,
    chat: VecDeque<ChatLine>,
    /// Closed rounds of a ranked room, waiting for the actor to send them to the api-server.
    ranked_outbox: Vec<RankedRound>,
}

/// A ranked act to record, exactly once, under `(room, round)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedRound {
    pub round: RoundId,
    pub report: RankedRoundReport,
}

type Outcome = Result<Vec<EventKind>, ErrorCode>;

impl Show {
    pub fn new(info: TicketRoom, settings: Settings) -> Show {
        Show {
            host: info.host,
            info,
            settings,
            members: Vec::new(),
            stage: Stage::Lobby,
            kicked: HashSet::new(),
            performed: HashSet::new(),
            last_round: 0,
            results: Vec::new(),
            chat: VecDeque::new(),
            ranked_outbox: Vec::new(),
        }
    }

    /// Settings are not serialised: a resumed show takes this instance's.
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
    }

    pub fn member_ids(&self) -> Vec<UserId> {
        self.members.iter().map(|m| m.id).collect()
    }

    pub fn info(&self) -> &TicketRoom {
        &self.info
    }

    pub fn host(&self) -> UserId {
        self.host
    }

    pub fn is_member(&self, user: UserId) -> bool {
        self.member(user).is_some()
    }

    /// Nobody holds a seat any more: the room closes.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    pub fn phase(&self) -> Phase {
        match self.stage {
            Stage::Lobby => Phase::Lobby,
            Stage::OnAir { .. } => Phase::OnAir,
            Stage::Scoring { .. } => Phase::Scoring,
            Stage::Nominating { .. } => Phase::Nominating,
            Stage::Ended => Phase::Ended,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Coming and going
    // -----------------------------------------------------------------------------------------

    /// A connection for `user` opened: a new seat, or a returning member taking theirs back.
    pub fn join(&mut self, user: UserId, name: &str, _now: i64) -> Outcome {
        if self.kicked.contains(&user) {
            return Err(ErrorCode::Kicked);
        }
        if let Some(m) = self.member_mut(user) {
            if m.offline_since.take().is_some() {
                return Ok(vec![EventKind::MemberOnline { user }]);
            }
            return Ok(vec![]);
        }
        if self.members.len() >= usize::from(self.info.member_limit) {
            return Err(ErrorCode::RoomFull);
        }
        // Someone who left and came back keeps their place in the show's history.
        let score = self
            .results
            .iter()
            .rev()
            .find(|r| r.performer == user)
            .and_then(|r| r.average);
        let member = Member {
            id: user,
            name: name.to_owned(),
            offline_since: None,
            performed: self.performed.contains(&user),
            score,
        };
        let view = member_view(&member);
        self.members.push(member);
        let mut events = vec![EventKind::MemberJoined { member: view }];
        // The creator is the host, but a room must always have one present: whoever enters a
        // room whose host is not in it takes the role.
        if !self.is_member(self.host) || (self.members.len() == 1 && self.host != user) {
            self.host = user;
            events.push(EventKind::HostChanged { host: user });
        }
        Ok(events)
    }

    /// The member's connection dropped; the seat is kept for the grace period.
    pub fn disconnect(&mut self, user: UserId, now: i64) -> Vec<EventKind> {
        match self.member_mut(user) {
            Some(m) if m.offline_since.is_none() => {
                m.offline_since = Some(now);
                vec![EventKind::MemberOffline { user }]
            }
            _ => vec![],
        }
    }

    /// The member leaves on purpose.
    pub fn leave(&mut self, user: UserId, now: i64) -> Outcome {
        if !self.is_member(user) {
            return Err(ErrorCode::NotAMember);
        }
        Ok(self.remove_member(user, LeaveReason::Left, now))
    }

    /// Host moderation: `target` loses the seat and may not come back.
    pub fn kick(&mut self, by: UserId, target: UserId, now: i64) -> Outcome {
        self.require_host(by)?;
        if by == target {
            return Err(ErrorCode::CannotKickSelf);
        }
        if !self.is_member(target) {
            return Err(ErrorCode::NotAMember);
        }
        self.kicked.insert(target);
        Ok(self.remove_member(target, LeaveReason::Kicked, now))
    }

    // -----------------------------------------------------------------------------------------
    // Talking and cheering
    // -----------------------------------------------------------------------------------------

    pub fn chat(&mut self, from: UserId, text: &str, now: i64) -> Outcome {
        let name = self.member(from).ok_or(ErrorCode::NotAMember)?.name.clone();
        // Control characters would let one member garble everyone's chat; newlines become spaces.
        let text: String = text
            .trim()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let len = text.chars().count();
        if len == 0 || len > CHAT_MAX_CHARS {
            return Err(ErrorCode::InvalidChat);
        }
        let line = ChatLine {
            from,
            name,
            text,
            at: now,
        };
        self.chat.push_back(line.clone());
        while self.chat.len() > self.settings.chat_history {
            self.chat.pop_front();
        }
        Ok(vec![EventKind::Chat { line }])
    }

    pub fn react(&mut self, from: UserId, kind: ReactionKind) -> Outcome {
        if !self.is_member(from) {
            return Err(ErrorCode::NotAMember);
        }
        Ok(vec![EventKind::Reaction { from, kind }])
    }

    // -----------------------------------------------------------------------------------------
    // The show
    // -----------------------------------------------------------------------------------------

    /// Host only, in the lobby, with at least two members; `first` defaults to the host.
    pub fn start(&mut self, by: UserId, first: Option<UserId>) -> Outcome {
        self.require_member(by)?;
        if !matches!(self.stage, Stage::Lobby) {
            return Err(ErrorCode::AlreadyStarted);
        }
        self.require_host(by)?;
        if self.members.len() < 2 {
            return Err(ErrorCode::NotEnoughMembers);
        }
        let first = first.unwrap_or(self.host);
        if !self.is_member(first) {
            return Err(ErrorCode::NotAMember);
        }
        let mut events = vec![EventKind::ShowStarted { first }];
        events.extend(self.put_on_air(first));
        Ok(events)
    }

    /// Host or performer: the act ends and its scoring round opens.
    pub fn end_performance(&mut self, by: UserId, now: i64) -> Outcome {
        self.require_member(by)?;
        let Stage::OnAir { performer } = self.stage else {
            return Err(ErrorCode::WrongPhase);
        };
        if by != performer && by != self.host {
            return Err(ErrorCode::NotYourTurn);
        }
        let name = self
            .member(performer)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        Ok(self.open_round(performer, name, now))
    }

    /// Names the next performer: the one who just performed does, or the host if they left.
    pub fn nominate(&mut self, by: UserId, user: UserId) -> Outcome {
        self.require_member(by)?;
        let nominator = match &self.stage {
            Stage::Scoring { round, .. } => self.nominator(round.performer),
            Stage::Nominating { performer } => self.nominator(*performer),
            _ => return Err(ErrorCode::WrongPhase),
        };
        if by != nominator {
            return Err(ErrorCode::NotYourTurn);
        }
        let target = self.member(user).ok_or(ErrorCode::NotAMember)?;
        if target.performed {
            return Err(ErrorCode::AlreadyPerformed);
        }
        let mut events = vec![EventKind::Nominated { by, user }];
        match &mut self.stage {
            Stage::Scoring { nominee, .. } => *nominee = Some(user),
            _ => events.extend(self.put_on_air(user)),
        }
        Ok(events)
    }

    pub fn score(&mut self, by: UserId, round_id: RoundId, value: i64, now: i64) -> Outcome {
        self.require_member(by)?;
        let Stage::Scoring { round, .. } = &mut self.stage else {
            return Err(ErrorCode::RoundClosed);
        };
        if round.id != round_id {
            return Err(ErrorCode::RoundClosed);
        }
        if by == round.performer {
            return Err(ErrorCode::CannotScoreOwnAct);
        }
        if !(SCORE_MIN..=SCORE_MAX).contains(&value) {
            return Err(ErrorCode::ScoreOutOfRange);
        }
        if round.scores.contains_key(&by) {
            return Err(ErrorCode::AlreadyScored);
        }
        if !round.eligible.contains(&by) {
            return Err(ErrorCode::NotEligible);
        }
        round.scores.insert(by, value);
        let mut events = vec![EventKind::ScoreProgress {
            round: round.id,
            scorer: by,
            count: round.scores.len() as u32,
            eligible: round.eligible.len() as u32,
        }];
        if round.scores.len() == round.eligible.len() {
            events.extend(self.close_round(now));
        }
        Ok(events)
    }

    /// Host only: ends the show before everyone has performed. An open round is closed first,
    /// so the scores already given count; an act still on air is not scored.
    pub fn end_show(&mut self, by: UserId, now: i64) -> Outcome {
        self.require_member(by)?;
        self.require_host(by)?;
        let mut events = Vec::new();
        match self.stage {
            Stage::Lobby | Stage::Ended => return Err(ErrorCode::WrongPhase),
            Stage::Scoring { .. } => events.extend(self.close_round_without_advancing(now)),
            Stage::OnAir { .. } | Stage::Nominating { .. } => {}
        }
        events.extend(self.finish(true));
        Ok(events)
    }

    /// Advances the clock: closes a round past its deadline and removes members whose grace
    /// period has run out.
    pub fn tick(&mut self, now: i64) -> Vec<EventKind> {
        let mut events = Vec::new();
        let expired: Vec<UserId> = self
            .members
            .iter()
            .filter(|m| {
                m.offline_since
                    .is_some_and(|t| now - t >= self.settings.reconnect_grace_ms)
            })
            .map(|m| m.id)
            .collect();
        for user in expired {
            events.extend(self.remove_member(user, LeaveReason::TimedOut, now));
        }
        if let Stage::Scoring { round, .. } = &self.stage {
            if now >= round.deadline {
                events.extend(self.close_round(now));
            }
        }
        events
    }

    /// When `tick` next has something to do (unix ms), so the actor can sleep until then.
    pub fn next_wakeup(&self) -> Option<i64> {
        let grace = self.members.iter().filter_map(|m| {
            m.offline_since
                .map(|t| t + self.settings.reconnect_grace_ms)
        });
        let deadline = match &self.stage {
            Stage::Scoring { round, .. } => Some(round.deadline),
            _ => None,
        };
        grace.chain(deadline).min()
    }

    /// Ranked rounds closed since the last call, oldest first.
    pub fn take_ranked_rounds(&mut self) -> Vec<RankedRound> {
        std::mem::take(&mut self.ranked_outbox)
    }

    pub fn snapshot(&self) -> RoomSnapshot {
        let (performer, round, nominee) = match &self.stage {
            Stage::OnAir { performer } => (Some(*performer), None, None),
            Stage::Scoring { round, nominee } => {
                (Some(round.performer), Some(round_view(round)), *nominee)
            }
            Stage::Nominating { performer } => (Some(*performer), None, None),
            Stage::Lobby | Stage::Ended => (None, None, None),
        };
        RoomSnapshot {
            id: self.info.id,
            title: self.info.title.clone(),
            mode: self.info.mode,
            category: self.info.category,
            member_limit: self.info.member_limit,
            host: self.host,
            phase: self.phase(),
            performer,
            round,
            nominee,
            members: self.members.iter().map(member_view).collect(),
            chat: self.chat.iter().cloned().collect(),
            results: self.results.clone(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Internals
    // -----------------------------------------------------------------------------------------

    fn member(&self, user: UserId) -> Option<&Member> {
        self.members.iter().find(|m| m.id == user)
    }

    fn member_mut(&mut self, user: UserId) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == user)
    }

    fn require_member(&self, user: UserId) -> Result<(), ErrorCode> {
        if self.is_member(user) {
            Ok(())
        } else {
            Err(ErrorCode::NotAMember)
        }
    }

    fn require_host(&self, user: UserId) -> Result<(), ErrorCode> {
        if user == self.host {
            Ok(())
        } else {
            Err(ErrorCode::NotHost)
        }
    }

    /// Who names the next act after `performer`'s: the performer while present, else the host.
    fn nominator(&self, performer: UserId) -> UserId {
        if self.is_member(performer) {
            performer
        } else {
            self.host
        }
    }

    fn put_on_air(&mut self, performer: UserId) -> Vec<EventKind> {
        self.performed.insert(performer);
        if let Some(m) = self.member_mut(performer) {
            m.performed = true;
        }
        self.stage = Stage::OnAir { performer };
        vec![EventKind::OnAir { performer }]
    }

    fn open_round(&mut self, performer: UserId, name: String, now: i64) -> Vec<EventKind> {
        self.last_round += 1;
        let round = Round {
            id: RoundId(self.last_round),
            performer,
            performer_name: name,
            deadline: now + self.settings.score_deadline_ms,
            eligible: self
                .members
                .iter()
                .map(|m| m.id)
                .filter(|&id| id != performer)
                .collect(),
            scores: BTreeMap::new(),
        };
        let mut events = vec![EventKind::PerformanceEnded {
            round: round_view(&round),
        }];
        let nobody_to_score = round.eligible.is_empty();
        self.stage = Stage::Scoring {
            round,
            nominee: None,
        };
        if nobody_to_score {
            events.extend(self.close_round(now));
        }
        events
    }

    /// Closes the open round and records its result, leaving the stage at `Nominating`.
    fn close_round_without_advancing(&mut self, now: i64) -> Vec<EventKind> {
        let Stage::Scoring { round, .. } = &self.stage else {
            return vec![];
        };
        // Normal-mode scores are shown and then discarded; only ranked acts are recorded.
        if self.info.mode == Mode::Rank {
            self.ranked_outbox.push(RankedRound {
                round: round.id,
                report: RankedRoundReport {
                    performer: round.performer,
                    scores: round
                        .scores
                        .iter()
                        .map(|(&scorer, &v)| ScoreEntry {
                            scorer,
                            value: v as u8,
                        })
                        .collect(),
                    average: mean_two_decimals(
                        round.scores.values().sum(),
                        round.scores.len() as u32,
                    ),
                    closed_at: now,
                },
            });
        }
        let count = round.scores.len() as u32;
        let average = mean_two_decimals(round.scores.values().sum(), count);
        let (id, performer, name) = (round.id, round.performer, round.performer_name.clone());
        if let Some(m) = self.member_mut(performer) {
            m.score = average;
        }
        self.results.push(ActResult {
            round: id,
            performer,
            name,
            average,
            count,
        });
        self.stage = Stage::Nominating { performer };
        vec![EventKind::RoundClosed {
            round: id,
            performer,
            average,
            count,
        }]
    }

    /// Closes the open round, then moves the show on: the nominee goes on air, or the show
    /// ends when nobody is left to perform, or it waits for a nomination.
    fn close_round(&mut self, now: i64) -> Vec<EventKind> {
        let nominee = match &self.stage {
            Stage::Scoring { nominee, .. } => *nominee,
            _ => return vec![],
        };
        let mut events = self.close_round_without_advancing(now);
        events.extend(self.advance(nominee));
        events
    }

    /// After a round has closed (stage `Nominating`): who is next, if anyone.
    fn advance(&mut self, nominee: Option<UserId>) -> Vec<EventKind> {
        if !self.members.iter().any(|m| !m.performed) {
            return self.finish(false);
        }
        match nominee.filter(|&n| self.member(n).is_some_and(|m| !m.performed)) {
            Some(next) => self.put_on_air(next),
            None => vec![],
        }
    }

    fn finish(&mut self, early: bool) -> Vec<EventKind> {
        self.stage = Stage::Ended;
        vec![EventKind::ShowEnded {
            results: self.results.clone(),
            early,
        }]
    }

    /// Everything that follows from a member losing their seat, in the order members see it.
    fn remove_member(&mut self, user: UserId, reason: LeaveReason, now: i64) -> Vec<EventKind> {
        let Some(pos) = self.members.iter().position(|m| m.id == user) else {
            return vec![];
        };
        let name = self.members.remove(pos).name;
        let mut events = vec![EventKind::MemberLeft { user, reason }];
        if self.members.is_empty() {
            // Nobody is left to see anything: the room closes, and a running show is over.
            if !matches!(self.stage, Stage::Lobby) {
                self.stage = Stage::Ended;
            }
            return events;
        }
        if self.host == user {
            // The longest-present member: members are kept in join order.
            self.host = self.members[0].id;
            events.push(EventKind::HostChanged { host: self.host });
        }
        match &mut self.stage {
            Stage::Lobby | Stage::Ended => {}
            Stage::OnAir { performer } if *performer == user => {
                // The act is over; it is scored like any other, and the host nominates next.
                events.extend(self.open_round(user, name, now));
            }
            Stage::OnAir { .. } => {}
            Stage::Scoring { round, nominee } => {
                if *nominee == Some(user) {
                    *nominee = None;
                }
                // A score already given stays (it was given while the member was present), and
                // so does its place among the eligible; only a missing score stops being awaited.
                if !round.scores.contains_key(&user) {
                    round.eligible.remove(&user);
                }
                let everyone_scored = round.scores.len() == round.eligible.len();
                if everyone_scored {
                    events.extend(self.close_round(now));
                }
            }
            Stage::Nominating { .. } => {
                // The host may now be the nominator; and maybe nobody is left to perform.
                if !self.members.iter().any(|m| !m.performed) {
                    events.extend(self.finish(false));
                }
            }
        }
        events
    }
}

fn member_view(m: &Member) -> MemberView {
    MemberView {
        id: m.id,
        name: m.name.clone(),
        online: m.offline_since.is_none(),
        performed: m.performed,
        score: m.score,
    }
}

fn round_view(r: &Round) -> RoundView {
    RoundView {
        id: r.id,
        performer: r.performer,
        deadline: r.deadline,
        scored: r.scores.keys().copied().collect(),
        eligible: r.eligible.len() as u32,
    }
}
