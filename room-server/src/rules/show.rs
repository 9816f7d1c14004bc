use onair_shared::api::{RankedRoundReport, ScoreEntry};
use onair_shared::auth::{RankedStanding, TicketRoom};
use onair_shared::media::{
    parse_media, MediaFailure, MediaFault, MediaState, MEDIA_POSITION_MAX_MS,
};
use onair_shared::protocol::{
    mean_two_decimals, ActResult, ChatLine, ErrorCode, EventKind, LeaveReason, MemberView, Phase,
    ReactionKind, RoomSnapshot, RoundView, CHAT_MAX_CHARS, SCORE_MAX, SCORE_MIN,
};
use onair_shared::room::{CloseReason, Mode};
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
    /// How long a room may stand empty, or wait for its creator's first arrival, before it
    /// closes.
    pub idle_ms: i64,
    /// The "up next" countdown: how long a named performer waits before going on air, so
    /// everyone sees who is next and the performer can get ready (0: on air at once).
    pub up_next_ms: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            score_deadline_ms: 30_000,
            reconnect_grace_ms: 30_000,
            chat_history: 50,
            idle_ms: 600_000,
            up_next_ms: 3_000,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Member {
    id: UserId,
    name: String,
    /// `None` while connected; otherwise when the connection dropped (unix ms).
    offline_since: Option<i64>,
    performed: bool,
    score: Option<f64>,
    /// Ranked rooms: the member's act would count (under today's limit), as of their ticket.
    #[serde(default = "yes")]
    act_counts: bool,
    /// Ranked rooms: the member's scores count toward others' acts, as of their ticket.
    #[serde(default = "yes")]
    scores_count: bool,
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
    /// Ranked rooms: whether the performer's act can count at all (their daily limit).
    #[serde(default)]
    performer_counts: bool,
    /// The eligible members whose scores count toward the ranking.
    #[serde(default)]
    counting: BTreeSet<UserId>,
}

impl Round {
    /// Ranked acts count with at least this many scores that count.
    const MIN_COUNTED_SCORES: usize = 2;

    /// Whether the act can still count: enough counting scorers are given or awaited.
    fn can_count(&self) -> bool {
        self.performer_counts
            && self.eligible.intersection(&self.counting).count() >= Self::MIN_COUNTED_SCORES
    }

    /// Whether the act, closed now, counts.
    fn counts(&self) -> bool {
        self.performer_counts
            && self
                .scores
                .keys()
                .filter(|u| self.counting.contains(u))
                .count()
                >= Self::MIN_COUNTED_SCORES
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Stage {
    Lobby,
    /// `performer` is named and goes on air at `at` (the countdown).
    UpNext {
        performer: UserId,
        at: i64,
    },
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
    /// The creator while present (or never yet arrived); while the creator is away, the
    /// longest-present member stands in, and the creator takes the role back on return.
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
    /// Whether the creator has ever been in the room: one whose creator never comes closes
    /// after the idle time.
    #[serde(default)]
    creator_seen: bool,
    /// Since when nobody has held a seat (unix ms); a new room is empty from its creation.
    #[serde(default)]
    empty_since: Option<i64>,
    /// Set once the room has closed for good: no seats, no show.
    #[serde(default)]
    closed: Option<CloseReason>,
    /// The sing-along track and where it is.
    #[serde(default)]
    media: MediaState,
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
            empty_since: Some(info.created_at.saturating_mul(1000)),
            creator_seen: false,
            closed: None,
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
            media: MediaState::default(),
        }
    }

    /// Settings are not serialised: a resumed show takes this instance's.
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
    }

    /// The chat history, replaced by `lines` (oldest first; a newer record than the saved show).
    pub fn restore_chat(&mut self, lines: Vec<ChatLine>) {
        self.chat = lines.into();
        while self.chat.len() > self.settings.chat_history {
            self.chat.pop_front();
        }
    }

    pub fn chat_history(&self) -> usize {
        self.settings.chat_history
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

    /// The room's creator (its host whenever present).
    pub fn creator(&self) -> UserId {
        self.info.host
    }

    /// Why the room closed for good, once it has.
    pub fn closed(&self) -> Option<CloseReason> {
        self.closed
    }

    /// Nothing more can happen here: the room closed, or its show is over and everyone left.
    /// (An empty room whose show has not started waits for the idle time.)
    pub fn is_finished(&self) -> bool {
        self.closed.is_some() || (matches!(self.stage, Stage::Ended) && self.members.is_empty())
    }

    pub fn is_member(&self, user: UserId) -> bool {
        self.member(user).is_some()
    }

    /// Nobody holds a seat any more: the room closes.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Every act scored in this show so far (the results board once it has ended).
    pub fn results(&self) -> &[ActResult] {
        &self.results
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    pub fn phase(&self) -> Phase {
        match self.stage {
            Stage::Lobby => Phase::Lobby,
            Stage::UpNext { .. } => Phase::UpNext,
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
    /// `standing` is what their ticket says about the ranking (ranked rooms).
    pub fn join(
        &mut self,
        user: UserId,
        name: &str,
        standing: Option<RankedStanding>,
        _now: i64,
    ) -> Outcome {
        if self.closed.is_some() {
            return Err(ErrorCode::RoomClosed);
        }
        if self.kicked.contains(&user) {
            return Err(ErrorCode::Kicked);
        }
        if let Some(m) = self.member_mut(user) {
            // A fresh ticket says where they stand now.
            if let Some(st) = standing {
                m.act_counts = st.act_counts;
                m.scores_count = st.scores_count;
            }
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
            act_counts: standing.is_none_or(|s| s.act_counts),
            scores_count: standing.is_none_or(|s| s.scores_count),
        };
        let view = self.member_view(&member);
        self.members.push(member);
        self.empty_since = None;
        let mut events = vec![EventKind::MemberJoined { member: view }];
        // The creator is the host from the start: nobody becomes host by arriving first. A
        // creator coming back takes the role back from whoever stood in.
        if user == self.creator() {
            self.creator_seen = true;
            if self.host != user {
                self.host = user;
                events.push(EventKind::HostChanged { host: user });
            }
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

    /// Host moderation: `target` loses the seat and may not come back. Nobody can kick the
    /// creator out of their own room (not even a member standing in as host).
    pub fn kick(&mut self, by: UserId, target: UserId, now: i64) -> Outcome {
        self.require_host(by)?;
        if by == target {
            return Err(ErrorCode::CannotKickSelf);
        }
        if target == self.creator() {
            return Err(ErrorCode::CannotKickCreator);
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
        // Control, bidi and zero-width characters would let one member garble or disguise
        // everyone's chat: removed, then trimmed; nothing left is refused.
        let text = onair_shared::text::normalize_line(text);
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

    /// Host only, in the lobby, with at least two members (three in a ranked room, so that
    /// every ranked act can have two scorers); `first` defaults to the host.
    pub fn start(&mut self, by: UserId, first: Option<UserId>, now: i64) -> Outcome {
        self.require_member(by)?;
        if !matches!(self.stage, Stage::Lobby) {
            return Err(ErrorCode::AlreadyStarted);
        }
        self.require_host(by)?;
        if self.members.len() < self.min_members() {
            return Err(ErrorCode::NotEnoughMembers);
        }
        let first = first.unwrap_or(self.host);
        if !self.is_member(first) {
            return Err(ErrorCode::NotAMember);
        }
        let mut events = vec![EventKind::ShowStarted { first }];
        events.extend(self.call_up(first, now));
        Ok(events)
    }

    /// Host only, once the show has ended: a new show with the same members. Round ids go
    /// on counting, so a ranked act is still recorded once under `(room, round)`.
    pub fn play_again(&mut self, by: UserId) -> Outcome {
        self.require_member(by)?;
        self.require_host(by)?;
        if !matches!(self.stage, Stage::Ended) || self.closed.is_some() {
            return Err(ErrorCode::WrongPhase);
        }
        self.stage = Stage::Lobby;
        self.performed.clear();
        self.results.clear();
        for m in &mut self.members {
            m.performed = false;
            m.score = None;
        }
        Ok(vec![EventKind::ShowReset])
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
    pub fn nominate(&mut self, by: UserId, user: UserId, now: i64) -> Outcome {
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
            _ => events.extend(self.call_up(user, now)),
        }
        Ok(events)
    }

    // ---- The sing-along track -------------------------------------------------------------

    /// The performer on air (or counted down to it), or the host at any time until the show
    /// ends, controls the track.
    fn may_control_media(&self, by: UserId) -> Result<(), ErrorCode> {
        self.require_member(by)?;
        if matches!(self.stage, Stage::Ended) {
            return Err(ErrorCode::WrongPhase);
        }
        let performer = match self.stage {
            Stage::OnAir { performer } | Stage::UpNext { performer, .. } => Some(performer),
            _ => None,
        };
        // The rule itself is shared with the web app, which shows the controls by it.
        if onair_shared::media::may_control_media(self.phase(), self.host, performer, by) {
            Ok(())
        } else {
            Err(ErrorCode::NotAllowed)
        }
    }

    /// The new state, said to everyone.
    fn media_changed(&mut self, state: MediaState) -> Outcome {
        self.media = state;
        Ok(vec![EventKind::MediaState(self.media.clone())])
    }

    /// Puts a track on the stage, paused at its start.
    pub fn media_set(&mut self, by: UserId, url: &str, now: i64) -> Outcome {
        self.may_control_media(by)?;
        let media = parse_media(url).map_err(|_| ErrorCode::InvalidMedia)?;
        self.media_changed(MediaState {
            media: Some(media),
            playing: false,
            position_ms: 0,
            at_ms: now,
            by: Some(by),
            error: None,
        })
    }

    /// Plays from `position_ms`, or from where the track is.
    pub fn media_play(&mut self, by: UserId, position_ms: Option<u64>, now: i64) -> Outcome {
        self.may_control_media(by)?;
        self.require_media()?;
        let position_ms = match position_ms {
            Some(p) => valid_position(p)?,
            None => self.media.position_at(now),
        };
        self.media_changed(MediaState {
            playing: true,
            position_ms,
            at_ms: now,
            by: Some(by),
            ..self.media.clone()
        })
    }

    pub fn media_pause(&mut self, by: UserId, now: i64) -> Outcome {
        self.may_control_media(by)?;
        self.require_media()?;
        self.media_changed(MediaState {
            playing: false,
            position_ms: self.media.position_at(now),
            at_ms: now,
            by: Some(by),
            ..self.media.clone()
        })
    }

    /// Jumps to `position_ms`, playing or paused as it was.
    pub fn media_seek(&mut self, by: UserId, position_ms: u64, now: i64) -> Outcome {
        self.may_control_media(by)?;
        self.require_media()?;
        let position_ms = valid_position(position_ms)?;
        self.media_changed(MediaState {
            position_ms,
            at_ms: now,
            by: Some(by),
            ..self.media.clone()
        })
    }

    pub fn media_clear(&mut self, by: UserId, now: i64) -> Outcome {
        self.may_control_media(by)?;
        self.require_media()?;
        self.media_changed(MediaState {
            at_ms: now,
            by: Some(by),
            ..MediaState::default()
        })
    }

    /// A member's player cannot play the track: the room hears of it once per track (the
    /// first report; later ones change nothing, so a member cannot flood the room with them).
    pub fn media_error(&mut self, by: UserId, reason: MediaFailure) -> Outcome {
        self.require_member(by)?;
        self.require_media()?;
        if self.media.error.is_some() {
            return Ok(Vec::new());
        }
        self.media_changed(MediaState {
            error: Some(MediaFault { reason, by }),
            ..self.media.clone()
        })
    }

    fn require_media(&self) -> Result<(), ErrorCode> {
        if self.media.media.is_some() {
            Ok(())
        } else {
            Err(ErrorCode::NoMedia)
        }
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
            Stage::Scoring { .. } => events.extend(self.close_round_without_advancing(now, true)),
            Stage::UpNext { .. } | Stage::OnAir { .. } | Stage::Nominating { .. } => {}
        }
        events.extend(self.finish(true));
        Ok(events)
    }

    /// Closes the room for good: a running show ends early (an open round's scores count,
    /// except when an admin closes it: the api-server refuses that room's acts anyway), then
    /// `room_closed` tells everyone why. Nothing is accepted afterwards.
    pub fn close(&mut self, reason: CloseReason, now: i64) -> Vec<EventKind> {
        if self.closed.is_some() {
            return vec![];
        }
        let mut events = Vec::new();
        match self.stage {
            Stage::Lobby | Stage::Ended => {}
            Stage::Scoring { .. } => {
                events
                    .extend(self.close_round_without_advancing(now, reason != CloseReason::Admin));
                events.extend(self.finish(true));
            }
            Stage::UpNext { .. } | Stage::OnAir { .. } | Stage::Nominating { .. } => {
                events.extend(self.finish(true))
            }
        }
        self.stage = Stage::Ended;
        self.closed = Some(reason);
        events.push(EventKind::RoomClosed { reason });
        events
    }

    /// An admin banned `user`: they lose their seat at once, like a kick.
    pub fn ban(&mut self, user: UserId, now: i64) -> Vec<EventKind> {
        self.remove_member(user, LeaveReason::Banned, now)
    }

    /// When the room closes for standing idle, if nothing changes: empty for the idle time,
    /// or the idle time after its creation without its creator ever coming.
    fn idle_deadline(&self) -> Option<i64> {
        if self.closed.is_some() || matches!(self.stage, Stage::Ended) {
            return None;
        }
        let empty = self
            .members
            .is_empty()
            .then_some(self.empty_since)
            .flatten()
            .map(|t| t + self.settings.idle_ms);
        let no_creator = (!self.creator_seen)
            .then(|| self.info.created_at.saturating_mul(1000) + self.settings.idle_ms);
        empty.into_iter().chain(no_creator).min()
    }

    /// Advances the clock: closes a round past its deadline, removes members whose grace
    /// period has run out, and closes a room that has stood idle.
    pub fn tick(&mut self, now: i64) -> Vec<EventKind> {
        if self.closed.is_some() {
            return vec![];
        }
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
        match &self.stage {
            Stage::Scoring { round, .. } if now >= round.deadline => {
                events.extend(self.close_round(now));
            }
            &Stage::UpNext { performer, at } if now >= at => {
                events.extend(self.put_on_air(performer));
            }
            _ => {}
        }
        if self.idle_deadline().is_some_and(|at| now >= at) {
            events.extend(self.close(CloseReason::Idle, now));
        }
        events
    }

    /// When `tick` next has something to do (unix ms), so the actor can sleep until then.
    pub fn next_wakeup(&self) -> Option<i64> {
        if self.closed.is_some() {
            return None;
        }
        let grace = self.members.iter().filter_map(|m| {
            m.offline_since
                .map(|t| t + self.settings.reconnect_grace_ms)
        });
        let deadline = match &self.stage {
            Stage::Scoring { round, .. } => Some(round.deadline),
            Stage::UpNext { at, .. } => Some(*at),
            _ => None,
        };
        grace.chain(deadline).chain(self.idle_deadline()).min()
    }

    /// Ranked rounds closed since the last call, oldest first.
    pub fn take_ranked_rounds(&mut self) -> Vec<RankedRound> {
        std::mem::take(&mut self.ranked_outbox)
    }

    pub fn snapshot(&self) -> RoomSnapshot {
        let on_air_at = match self.stage {
            Stage::UpNext { at, .. } => Some(at),
            _ => None,
        };
        let (performer, round, nominee) = match &self.stage {
            Stage::UpNext { performer, .. } | Stage::OnAir { performer } => {
                (Some(*performer), None, None)
            }
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
            on_air_at,
            round,
            nominee,
            members: self.members.iter().map(|m| self.member_view(m)).collect(),
            chat: self.chat.iter().cloned().collect(),
            results: self.results.clone(),
            media: self.media.clone(),
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

    fn min_members(&self) -> usize {
        match self.info.mode {
            Mode::Rank => 3,
            Mode::Normal => 2,
        }
    }

    fn member_view(&self, m: &Member) -> MemberView {
        MemberView {
            id: m.id,
            name: m.name.clone(),
            online: m.offline_since.is_none(),
            performed: m.performed,
            score: m.score,
            ranked_limit_reached: self.info.mode == Mode::Rank && !m.act_counts,
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

    /// `performer` is named: the countdown starts (or, without one, they go on air now).
    /// The stage is cleared for them: a track they did not set themselves is taken off.
    fn call_up(&mut self, performer: UserId, now: i64) -> Vec<EventKind> {
        let mut events = if self.settings.up_next_ms > 0 {
            let at = now + self.settings.up_next_ms;
            self.stage = Stage::UpNext { performer, at };
            vec![EventKind::UpNext { performer, at }]
        } else {
            self.put_on_air(performer)
        };
        if self.media.by != Some(performer) {
            events.extend(self.clear_media());
        }
        events
    }

    fn put_on_air(&mut self, performer: UserId) -> Vec<EventKind> {
        self.performed.insert(performer);
        if let Some(m) = self.member_mut(performer) {
            m.performed = true;
        }
        self.stage = Stage::OnAir { performer };
        vec![EventKind::OnAir { performer }]
    }

    /// Takes the track off the stage (a new act, or the show's end).
    fn clear_media(&mut self) -> Vec<EventKind> {
        if self.media == MediaState::default() {
            return vec![];
        }
        self.media = MediaState::default();
        vec![EventKind::MediaState(self.media.clone())]
    }

    fn open_round(&mut self, performer: UserId, name: String, now: i64) -> Vec<EventKind> {
        self.last_round += 1;
        let ranked = self.info.mode == Mode::Rank;
        let others = self.members.iter().filter(|m| m.id != performer);
        let round = Round {
            id: RoundId(self.last_round),
            performer,
            performer_name: name,
            deadline: now + self.settings.score_deadline_ms,
            eligible: others.clone().map(|m| m.id).collect(),
            scores: BTreeMap::new(),
            // A performer who left mid-act was present when it started; as of their ticket.
            performer_counts: ranked && self.member(performer).is_none_or(|m| m.act_counts),
            counting: others.filter(|m| m.scores_count).map(|m| m.id).collect(),
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

    /// Closes the open round and records its result (sent to the api-server when `record`
    /// and the room is ranked), leaving the stage at `Nominating`.
    fn close_round_without_advancing(&mut self, now: i64, record: bool) -> Vec<EventKind> {
        let Stage::Scoring { round, .. } = &self.stage else {
            return vec![];
        };
        let counts = round.counts();
        // Normal-mode scores are shown and then discarded; only ranked acts are recorded.
        if self.info.mode == Mode::Rank && record {
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
            name: name.clone(),
            average,
            count,
            counts,
        });
        self.stage = Stage::Nominating { performer };
        vec![EventKind::RoundClosed {
            round: id,
            performer,
            name,
            average,
            count,
            counts,
        }]
    }

    /// Closes the open round, then moves the show on: the nominee goes on air, or the show
    /// ends when nobody is left to perform, or it waits for a nomination.
    fn close_round(&mut self, now: i64) -> Vec<EventKind> {
        let nominee = match &self.stage {
            Stage::Scoring { nominee, .. } => *nominee,
            _ => return vec![],
        };
        let mut events = self.close_round_without_advancing(now, true);
        events.extend(self.advance(nominee, now));
        events
    }

    /// After a round has closed (stage `Nominating`): who is next, if anyone.
    fn advance(&mut self, nominee: Option<UserId>, now: i64) -> Vec<EventKind> {
        if !self.members.iter().any(|m| !m.performed) {
            return self.finish(false);
        }
        match nominee.filter(|&n| self.member(n).is_some_and(|m| !m.performed)) {
            Some(next) => self.call_up(next, now),
            None => vec![],
        }
    }

    fn finish(&mut self, early: bool) -> Vec<EventKind> {
        self.stage = Stage::Ended;
        let mut events = vec![EventKind::ShowEnded {
            results: self.results.clone(),
            early,
        }];
        events.extend(self.clear_media());
        events
    }

    /// Everything that follows from a member losing their seat, in the order members see it.
    fn remove_member(&mut self, user: UserId, reason: LeaveReason, now: i64) -> Vec<EventKind> {
        let Some(pos) = self.members.iter().position(|m| m.id == user) else {
            return vec![];
        };
        let name = self.members.remove(pos).name;
        let mut events = vec![EventKind::MemberLeft { user, reason }];
        if self.members.is_empty() {
            // Nobody is left: a running show is over. A room whose show has not started stays
            // open for the idle time (a stranger who comes and goes does not end it), and its
            // creator is its host again. Both are said as events, although nobody is there
            // to see them: they are buffered, so a member coming back with `resync` gets
            // them replayed rather than keeping a view the room no longer has.
            if !matches!(self.stage, Stage::Lobby | Stage::Ended) {
                events.extend(self.finish(true));
            }
            self.empty_since = Some(now);
            let creator = self.creator();
            if self.host != creator {
                self.host = creator;
                events.push(EventKind::HostChanged { host: creator });
            }
            return events;
        }
        if matches!(self.stage, Stage::Ended) && user == self.creator() {
            // After the show the room is kept for its creator to play again; once they are
            // gone it closes, so it no longer counts as the room they host.
            events.extend(self.close(CloseReason::Host, now));
            return events;
        }
        if self.host == user {
            // The creator is away: the longest-present member stands in (members are kept in
            // join order) until the creator comes back.
            self.host = self.members[0].id;
            events.push(EventKind::HostChanged { host: self.host });
        }
        match &mut self.stage {
            Stage::Lobby | Stage::Ended => {}
            Stage::UpNext { performer, .. } if *performer == user => {
                // Gone before going on air: the host names someone else (or nobody is left).
                self.stage = Stage::Nominating { performer: user };
                if !self.members.iter().any(|m| !m.performed) {
                    events.extend(self.finish(false));
                }
            }
            Stage::UpNext { .. } => {}
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
                let awaited = !round.scores.contains_key(&user) && round.eligible.remove(&user);
                let everyone_scored = round.scores.len() == round.eligible.len();
                if everyone_scored {
                    events.extend(self.close_round(now));
                } else if awaited {
                    let round = round_view(round);
                    events.push(EventKind::RoundUpdated { round });
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

fn valid_position(position_ms: u64) -> Result<u64, ErrorCode> {
    if position_ms <= MEDIA_POSITION_MAX_MS {
        Ok(position_ms)
    } else {
        Err(ErrorCode::InvalidMedia)
    }
}

fn round_view(r: &Round) -> RoundView {
    RoundView {
        id: r.id,
        performer: r.performer,
        deadline: r.deadline,
        scored: r.scores.keys().copied().collect(),
        eligible: r.eligible.len() as u32,
        scorers: r.eligible.iter().copied().collect(),
        counts: r.can_count(),
    }
}
