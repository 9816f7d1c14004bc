//! Every user-visible string, in English and Korean.
//!
//! Strings are looked up by [`Key`]; the `strings!` table below defines each key together with
//! both translations, so a key cannot exist in one language only. The chosen language is kept
//! in localStorage (`onair.lang`); English is the default.

use onair_shared::api::{ApiErrorCode, LoginErrorCode};
use onair_shared::protocol::{ErrorCode, Phase};
use onair_shared::room::{Category, Mode, RoomStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ko,
            Lang::Ko => Lang::En,
        }
    }

    /// The language's own name, as the switch shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ko => "한국어",
        }
    }

    pub fn t(self, key: Key) -> &'static str {
        t(self, key)
    }

    pub fn category(self, c: Category) -> &'static str {
        match self {
            Lang::En => c.label_en(),
            Lang::Ko => c.label_ko(),
        }
    }

    pub fn mode(self, m: Mode) -> &'static str {
        self.t(match m {
            Mode::Rank => Key::ModeRank,
            Mode::Normal => Key::ModeNormal,
        })
    }

    pub fn status(self, s: RoomStatus) -> &'static str {
        self.t(match s {
            RoomStatus::Open => Key::StatusOpen,
            RoomStatus::Live => Key::StatusLive,
            RoomStatus::Ended => Key::StatusEnded,
        })
    }

    pub fn phase(self, p: Phase) -> &'static str {
        self.t(match p {
            Phase::Lobby => Key::PhaseLobby,
            Phase::UpNext => Key::PhaseUpNext,
            Phase::OnAir => Key::PhaseOnAir,
            Phase::Scoring => Key::PhaseScoring,
            Phase::Nominating => Key::PhaseNominating,
            Phase::Ended => Key::PhaseEnded,
        })
    }

    pub fn error(self, code: ErrorCode) -> &'static str {
        self.t(error_key(code))
    }
}

macro_rules! strings {
    ($($key:ident => $en:expr, $ko:expr;)*) => {
        /// A user-visible string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Key { $($key),* }

        impl Key {
            pub const ALL: &'static [Key] = &[$(Key::$key),*];
        }

        pub fn t(lang: Lang, key: Key) -> &'static str {
            match key {
                $(Key::$key => match lang { Lang::En => $en, Lang::Ko => $ko },)*
            }
        }
    };
}

strings! {
    // Header
    Tagline => "the online talent show", "온라인 장기자랑";
    Logout => "Log out", "로그아웃";
    SwitchLanguage => "Switch language", "언어 바꾸기";
    MainNav => "Main navigation", "주요 메뉴";
    NavLobby => "Lobby", "로비";
    NavRankings => "Rankings", "랭킹";
    NavMyPage => "My page", "마이페이지";

    // Login
    LoginTitle => "Step into the spotlight", "무대에 오를 시간이에요";
    LoginSubtitle => "Pick a stage name to join the show.", "공연에 참여할 이름을 정해 주세요.";
    LoginNameLabel => "Display name", "표시 이름";
    LoginNamePlaceholder => "e.g. Karaoke King", "예: 노래왕";
    LoginSubmit => "Enter", "입장하기";
    LoginWorking => "Signing in…", "로그인 중…";
    LoginKakao => "Continue with Kakao", "카카오로 계속하기";
    DevLoginDisabled => "Name-only sign-in is turned off on this server.", "이 서버에서는 이름만으로 로그인할 수 없어요.";
    LoginOr => "or", "또는";
    LoginCompleting => "Finishing sign-in…", "로그인을 마무리하는 중…";
    LoginCompleteFailed => "This sign-in link has expired or was already used. Please sign in again.", "로그인 링크가 만료되었거나 이미 사용되었어요. 다시 로그인해 주세요.";
    BackToLogin => "Back to sign-in", "로그인으로 돌아가기";
    LoginErrAccessDenied => "You cancelled the Kakao sign-in.", "카카오 로그인을 취소했어요.";
    LoginErrInvalidState => "The sign-in took too long or was started in another window. Please try again.", "로그인 시간이 초과되었거나 다른 창에서 시작되었어요. 다시 시도해 주세요.";
    LoginErrInvalidRequest => "The sign-in request was not valid. Please try again.", "로그인 요청이 올바르지 않아요. 다시 시도해 주세요.";
    LoginErrKakaoRejected => "Kakao did not accept the sign-in. Please try again.", "카카오가 로그인을 받아들이지 않았어요. 다시 시도해 주세요.";
    LoginErrKakaoUnavailable => "Kakao cannot be reached right now. Please try again later.", "지금은 카카오에 연결할 수 없어요. 잠시 후 다시 시도해 주세요.";
    LoginErrKakaoError => "Something went wrong with Kakao. Please try again.", "카카오 로그인 중 문제가 생겼어요. 다시 시도해 주세요.";
    LoginErrBanned => "This account has been suspended.", "이용이 정지된 계정이에요.";
    LoginErrServer => "Something went wrong on our side. Please try again.", "서버에 문제가 생겼어요. 다시 시도해 주세요.";
    LoginErrKakaoDisabled => "Kakao sign-in is not available on this server.", "이 서버에서는 카카오 로그인을 사용할 수 없어요.";
    LoginErrUnknown => "Sign-in failed. Please try again.", "로그인에 실패했어요. 다시 시도해 주세요.";

    // Lobby
    LobbyTitle => "Open rooms", "열린 방";
    LobbySubtitle => "Join a room or open your own stage.", "방에 들어가거나 나만의 무대를 열어 보세요.";
    Refresh => "Refresh", "새로고침";
    Loading => "Loading…", "불러오는 중…";
    NoRooms => "No rooms yet. Open the first one!", "아직 열린 방이 없어요. 첫 방을 열어 보세요!";
    HostLabel => "Host", "호스트";
    MembersLabel => "Members", "인원";
    ModeRank => "Ranked", "랭크";
    ModeNormal => "Casual", "일반";
    StatusOpen => "Open", "대기 중";
    StatusLive => "Live", "공연 중";
    StatusEnded => "Ended", "종료";
    FilterCategory => "Category", "분야별";
    FilterMode => "Mode", "모드별";
    FilterAll => "All", "전체";
    SearchRooms => "Search", "검색";
    SearchRoomsHint => "Room title", "방 제목";
    NoRoomsFiltered => "No open rooms match these filters.", "조건에 맞는 열린 방이 없어요.";

    // Create room
    CreateTitle => "Open a room", "방 만들기";
    FieldTitle => "Title", "방 제목";
    FieldTitlePlaceholder => "Friday night talent show", "금요일 밤 장기자랑";
    FieldDescription => "Description", "설명";
    FieldDescriptionPlaceholder => "What kind of show is it? (optional)", "어떤 공연인가요? (선택)";
    FieldCategory => "Category", "분야";
    FieldMode => "Mode", "모드";
    FieldLimit => "Member limit", "최대 인원";
    ModeRankHint => "scores count toward the global ranking", "점수가 전체 랭킹에 반영돼요";
    ModeNormalHint => "just for fun, scores are not kept", "재미로! 점수는 저장되지 않아요";
    CreateSubmit => "Open room", "방 열기";
    Creating => "Opening…", "여는 중…";
    TitleEmpty => "title must not be empty", "방 제목을 입력해 주세요";
    TitleTooLong => "title must be at most 60 characters", "방 제목은 60자 이하여야 해요";
    DescriptionTooLong => "description must be at most 500 characters", "설명은 500자 이하여야 해요";
    LimitRange => "member limit must be between 2 and 12", "최대 인원은 2명에서 12명 사이여야 해요";

    // Room
    PhaseLobby => "Waiting room", "대기실";
    PhaseOnAir => "On air", "공연 중";
    PhaseScoring => "Scoring", "채점 중";
    PhaseUpNext => "Up next", "곧 무대 시작";
    PhaseNominating => "Choosing who's next", "다음 순서 지목 중";
    PhaseEnded => "Show over", "공연 종료";
    OnAirBadge => "ON AIR", "ON AIR";
    You => "you", "나";
    Online => "online", "접속 중";
    Offline => "offline", "연결 끊김";
    Performed => "performed", "공연 완료";
    Leave => "Leave", "나가기";
    StartShow => "Start the show", "공연 시작";
    EndAct => "End act", "이번 무대 끝내기";
    StageWaiting => "Waiting for the host to start the show.", "호스트가 공연을 시작하기를 기다리고 있어요.";
    StageHostHint => "You're the host: start when at least 2 members are here (3 in a ranked room).", "당신이 호스트예요. 2명 이상(랭크 방은 3명) 모이면 시작하세요.";
    NowPerforming => "Now performing", "지금 무대 위";
    ScoringNow => "Scores are coming in", "채점이 진행 중이에요";
    UpNext => "Up next", "다음 순서";
    GoingOnAirIn => "On air in", "무대 시작까지";
    YouAreUpNext => "You're up next: get ready!", "곧 내 무대예요. 준비하세요!";
    PlayAgain => "Play again", "한 번 더 하기";
    PlayAgainHint => "Everyone stays, scores start from zero.", "모두 그대로, 점수는 처음부터 다시 시작해요.";
    WaitingPlayAgain => "The host can start another show with everyone here.", "호스트가 지금 멤버 그대로 새 쇼를 시작할 수 있어요.";
    Results => "Results", "결과";
    MoreRooms => "More rooms", "방 더 보기";
    NoScore => "no score", "점수 없음";
    Points => "pts", "점";
    MembersTitle => "Members", "참가자";
    ChatTitle => "Chat", "채팅";
    ChatPlaceholder => "Say something…", "메시지를 입력하세요…";
    Send => "Send", "보내기";
    ChatEmpty => "No messages yet. Say hi!", "아직 메시지가 없어요. 인사해 보세요!";
    ChatTooLong => "A message can be at most 500 characters", "메시지는 500자 이하여야 해요";
    EndShow => "End the show", "쇼 전체 끝내기";
    LiveNotice => "What is happening in the show", "쇼 소식";
    EndShowConfirm => "End the show for everyone now? Members who have not performed yet will not get their turn.", "지금 모두의 쇼를 끝낼까요? 아직 무대에 오르지 않은 참가자는 차례를 갖지 못해요.";
    EndShowYes => "Yes, end the show", "네, 쇼를 끝낼게요";
    KeepGoing => "Keep going", "계속할게요";
    LeaveHostConfirm => "You are hosting a show in progress. Leave anyway? Another member becomes the host.", "진행 중인 쇼의 호스트예요. 그래도 나갈까요? 다른 참가자가 호스트가 돼요.";
    LeaveYes => "Leave the room", "방에서 나갈게요";
    StayHere => "Stay", "남을게요";
    FirstPerformer => "First performer", "첫 공연자";
    ScoreDialogTitle => "Score this act", "이 공연 채점하기";
    ScoreSlider => "Score slider", "점수 슬라이더";
    JoinedLate => "You joined after this act ended, so you can't score it.", "이 공연이 끝난 뒤에 들어와서 채점할 수 없어요.";
    BeingScored => "The others are scoring your act.", "다른 참가자들이 당신의 공연을 채점하고 있어요.";
    WaitingForScores => "Waiting for the others to score…", "다른 참가자들의 채점을 기다리는 중…";
    NominateTitle => "Who's next?", "다음 차례는 누구?";
    NominateHostHint => "The performer left, so the host picks who's next.", "공연자가 나가서 호스트가 다음 순서를 정해요.";
    NominateNobody => "Everyone has performed.", "모두 공연을 마쳤어요.";
    ActScored => "Act score", "공연 점수";
    JustPerformed => "Just performed", "방금 공연";
    RankCol => "Rank", "순위";
    NameCol => "Name", "이름";
    AverageCol => "Average", "평균";
    ShowEndedEarly => "The host ended the show early.", "호스트가 공연을 일찍 마쳤어요.";
    StageEmpty => "The stage is empty", "무대가 비어 있어요";
    Performing => "performing", "공연 중";
    ScoreLabel => "Your score (0–100)", "내 점수 (0–100)";
    ScoreSubmit => "Score", "점수 주기";
    ScoreInvalid => "Enter a whole number from 0 to 100.", "0에서 100 사이의 정수를 입력해 주세요.";
    ScorePickFirst => "Pick a score first: drag the slider, type a number or tap a quick pick.", "먼저 점수를 골라 주세요. 슬라이더를 움직이거나, 숫자를 입력하거나, 빠른 선택을 눌러 주세요.";
    ScoreClamped => "Scores go from 0 to 100, so it is set to the nearest one.", "점수는 0부터 100까지예요. 가장 가까운 점수로 맞췄어요.";
    ScoreQuickPicks => "Quick picks", "빠른 선택";
    YouGave => "You gave", "내가 준 점수";
    ScoreHurry => "10 seconds left to score!", "채점 시간이 10초 남았어요!";
    ScoreMissed => "The round closed before you scored, so this act has no score from you.", "점수를 주기 전에 채점이 끝났어요. 이 공연에는 내 점수가 없어요.";
    ScoreMissedOk => "OK", "확인";
    YouScored => "Thanks! Your score is in.", "점수를 보냈어요!";
    ScoredCount => "scored", "명 채점";
    SecondsLeft => "s left", "초 남음";
    NominatePrompt => "Pick who performs next:", "다음 공연자를 지목하세요:";
    WaitingNomination => "Waiting for the next performer to be picked.", "다음 공연자 지목을 기다리는 중이에요.";
    Clap => "Clap", "박수";
    Mirrorball => "Mirror ball", "미러볼";
    Connecting => "Connecting…", "연결 중…";
    Reconnecting => "Connection lost. Reconnecting…", "연결이 끊겼어요. 다시 연결하는 중…";
    NotConnected => "Not connected right now; try again in a moment.", "지금은 연결되어 있지 않아요. 잠시 후 다시 시도해 주세요.";
    Disconnected => "You are no longer connected to this room.", "이 방과의 연결이 끊어졌어요.";
    KickedNotice => "The host removed you from this room.", "호스트가 당신을 이 방에서 내보냈어요.";
    ReplacedNotice => "You opened this room somewhere else, so this window was disconnected.", "다른 창에서 이 방에 들어가서 이 창의 연결이 끊어졌어요.";
    BackToLobby => "Back to the lobby", "로비로 돌아가기";
    RoomEnded => "The show in this room is over.", "이 방의 공연은 끝났어요.";
    RoomNotFound => "This room does not exist.", "존재하지 않는 방이에요.";
    RoomNotFoundTitle => "Room not found", "방을 찾을 수 없어요";
    RoomNotFoundHint => "It may have been closed, or the link may be wrong. Find a show in the lobby.", "방이 닫혔거나 링크가 잘못됐을 수 있어요. 로비에서 다른 쇼를 찾아보세요.";
    RoomEndedTitle => "This show is over", "이 쇼는 끝났어요";
    BannedNotice => "This account has been suspended, so you were disconnected.", "이용이 정지된 계정이라 연결이 끊어졌어요.";
    RoomClosedByHost => "The host closed this room.", "호스트가 이 방을 닫았어요.";
    RoomClosedByAdmin => "An administrator closed this room.", "관리자가 이 방을 닫았어요.";
    RoomClosedIdle => "This room closed after standing empty for a while.", "한동안 비어 있어서 방이 닫혔어요.";
    CloseRoom => "Close room", "방 닫기";
    CloseRoomConfirm => "Close this room for everyone? A running show ends now.", "모두에게 이 방을 닫을까요? 진행 중인 공연은 바로 끝나요.";
    ActNotCountedLimit => "This act does not count toward the ranking: the performer's ranked acts for today have already been counted.", "이 공연은 랭킹에 반영되지 않아요. 공연자의 오늘 랭크 공연이 이미 모두 반영되었어요.";
    ActNotCountedScorers => "This act does not count toward the ranking: it needs scores from at least 2 members whose scores count.", "이 공연은 랭킹에 반영되지 않아요. 점수가 반영되는 참가자 2명 이상의 채점이 필요해요.";

    // Video
    CameraOn => "Camera on", "카메라 켜짐";
    CameraOff => "Camera off", "카메라 꺼짐";
    CameraStarting => "Starting camera…", "카메라 켜는 중…";
    CameraDenied => "Camera blocked", "카메라 차단됨";
    CameraMissing => "No camera", "카메라 없음";
    CameraFailed => "Camera unavailable", "카메라 사용 불가";
    MicOn => "Mic on", "마이크 켜짐";
    MicOff => "Mic off", "마이크 꺼짐";
    MicStarting => "Starting mic…", "마이크 켜는 중…";
    MicDenied => "Mic blocked", "마이크 차단됨";
    MicMissing => "No mic", "마이크 없음";
    MicFailed => "Mic unavailable", "마이크 사용 불가";
    TurnCameraOn => "Turn the camera on", "카메라 켜기";
    TurnCameraOff => "Turn the camera off", "카메라 끄기";
    TurnMicOn => "Turn the microphone on", "마이크 켜기";
    TurnMicOff => "Turn the microphone off", "마이크 끄기";
    CameraDeniedHelp => "Camera access is blocked. Allow it in your browser's site settings, then try again.", "카메라 권한이 차단되어 있어요. 브라우저의 사이트 설정에서 허용한 뒤 다시 시도해 주세요.";
    CameraMissingHelp => "No camera was found. You can still watch, chat and score.", "카메라를 찾을 수 없어요. 카메라 없이도 보고, 채팅하고, 채점할 수 있어요.";
    CameraFailedHelp => "The camera could not be started. Is another app using it?", "카메라를 켤 수 없어요. 다른 앱이 카메라를 쓰고 있지 않은지 확인해 주세요.";
    MicDeniedHelp => "Microphone access is blocked. Allow it in your browser's site settings, then try again.", "마이크 권한이 차단되어 있어요. 브라우저의 사이트 설정에서 허용한 뒤 다시 시도해 주세요.";
    MicMissingHelp => "No microphone was found. You can still watch, chat and score.", "마이크를 찾을 수 없어요. 마이크 없이도 보고, 채팅하고, 채점할 수 있어요.";
    MicFailedHelp => "The microphone could not be started. Is another app using it?", "마이크를 켤 수 없어요. 다른 앱이 마이크를 쓰고 있지 않은지 확인해 주세요.";
    EnableSound => "Turn on sound", "소리 켜기";
    RelayOnly => "Relay only", "릴레이 전용";
    RelayOnlyHint => "Every video call goes through the TURN relay (debug switch ?ice=relay).", "모든 영상 통화가 TURN 릴레이를 거쳐요 (디버그 설정 ?ice=relay).";
    VideoConnecting => "Connecting video…", "영상 연결 중…";
    VideoTrouble => "Video connection lost. Retrying…", "영상 연결이 끊겼어요. 다시 연결하는 중…";
    MediaControls => "Camera and microphone", "카메라와 마이크";

    // Profiles
    IntroLabel => "One-line intro", "한 줄 소개";
    IntroPlaceholder => "Tell everyone about yourself in one line", "한 줄로 자신을 소개해 보세요";
    IntroSave => "Save", "저장";
    IntroSaving => "Saving…", "저장 중…";
    IntroSaved => "Saved!", "저장했어요!";
    IntroTooLong => "An intro can be at most 150 characters", "소개는 150자 이하여야 해요";
    IntroNone => "No intro yet.", "아직 소개가 없어요.";
    Followers => "Followers", "팔로워";
    Follower => "Follower", "팔로워";
    Following => "Following", "팔로잉";
    Follow => "Follow", "팔로우";
    Unfollow => "Unfollow", "팔로우 취소";
    CumulativeScore => "Total score", "누적 점수";
    RankLabel => "Rank", "순위";
    Unranked => "Unranked", "순위 없음";
    ActsLabel => "Ranked acts", "랭크 공연";
    ScoreTrend => "Score trend", "점수 추이";
    TrendEmpty => "No ranked acts yet: the chart fills in after a ranked show.", "아직 랭크 공연이 없어요. 랭크 공연을 하면 그래프가 채워져요.";
    TrendAxisScore => "Average score", "평균 점수";
    TrendAxisActs => "Ranked acts, oldest to newest", "랭크 공연 (오래된 순)";
    RecentActs => "Recent acts", "최근 공연";
    UserNotFound => "This user does not exist.", "존재하지 않는 사용자예요.";
    ThisIsYou => "This is you", "내 프로필";
    FollowListEmpty => "Nobody here yet.", "아직 아무도 없어요.";
    LoadMore => "More", "더 보기";
    BackToProfile => "Back to the profile", "프로필로 돌아가기";

    // Rankings
    RankingsTitle => "Global ranking", "전체 랭킹";
    RankingsSubtitle => "Cumulative scores from ranked shows. Equal scores share a place.", "랭크 공연에서 받은 누적 점수예요. 점수가 같으면 같은 순위예요.";
    RankingsEmpty => "Nobody is ranked yet. Play a ranked show!", "아직 순위에 오른 사람이 없어요. 랭크 방에서 공연해 보세요!";
    ScoreCol => "Score", "점수";
    ActsCol => "Acts", "공연 수";
    Prev => "Previous", "이전";
    Next => "Next", "다음";
    PageLabel => "Page", "페이지";

    // 404
    NotFoundTitle => "Nothing on this stage", "이 무대에는 아무것도 없어요";
    NotFoundText => "The page you were looking for does not exist.", "찾으시는 페이지가 없어요.";

    // Transport
    NetworkError => "Cannot reach the server. Check your connection.", "서버에 연결할 수 없어요. 네트워크를 확인해 주세요.";
    // API errors with words of our own ({n}: seconds).
    ApiRateLimited => "Too many attempts. Try again in {n} s.", "너무 많이 시도했어요. {n}초 후에 다시 시도해 주세요.";
    ApiRoomAlreadyOpen => "You already have an open room. Go back to it, or close it before opening another.", "이미 열어 둔 방이 있어요. 그 방으로 돌아가거나, 닫은 뒤에 새 방을 여세요.";
    GoToOpenRoom => "Go to your open room", "열어 둔 방으로 가기";
    ApiNotRoomHost => "Only the room's host can close it.", "방을 만든 사람만 방을 닫을 수 있어요.";
    ApiRequestTimeout => "The request took too long. Please try again.", "요청이 너무 오래 걸렸어요. 다시 시도해 주세요.";
    NameEmpty => "Please enter a name.", "이름을 입력해 주세요.";
    NameTooLong => "A name can be at most 30 characters.", "이름은 30자 이하여야 해요.";
    SessionExpired => "Your session has expired. Please sign in again.", "로그인이 만료됐어요. 다시 로그인해 주세요.";
    Dismiss => "Dismiss", "닫기";

    // Room-server error codes
    ErrBadJson => "The server could not read that message.", "서버가 메시지를 읽지 못했어요.";
    ErrUnknownType => "The server did not understand that request.", "서버가 요청을 이해하지 못했어요.";
    ErrInvalidMessage => "That request was not valid.", "올바르지 않은 요청이에요.";
    ErrFrameTooLarge => "That message is too large.", "메시지가 너무 커요.";
    ErrRateLimited => "Slow down a little: too many messages.", "너무 빨라요! 잠시 후 다시 보내 주세요.";
    ErrNotHost => "Only the host can do that.", "호스트만 할 수 있어요.";
    ErrNotYourTurn => "It's not your turn.", "지금은 당신 차례가 아니에요.";
    ErrNotAMember => "You are not a member of this room.", "이 방의 참가자가 아니에요.";
    ErrNotEnoughMembers => "At least 2 members are needed to start the show (3 in a ranked room).", "공연을 시작하려면 2명 이상(랭크 방은 3명)이 필요해요.";
    ErrAlreadyStarted => "The show has already started.", "공연이 이미 시작되었어요.";
    ErrWrongPhase => "That can't be done at this point of the show.", "지금 단계에서는 할 수 없어요.";
    ErrAlreadyPerformed => "That member has already performed.", "이미 공연한 참가자예요.";
    ErrAlreadyScored => "You have already scored this act.", "이미 이 공연에 점수를 줬어요.";
    ErrRoundClosed => "Scoring for that act is closed.", "이 공연의 채점이 끝났어요.";
    ErrScoreOutOfRange => "A score must be between 0 and 100.", "점수는 0점에서 100점 사이여야 해요.";
    ErrCannotScoreOwnAct => "You can't score your own act.", "자신의 공연에는 점수를 줄 수 없어요.";
    ErrNotEligible => "You can't score this act.", "이 공연에는 점수를 줄 수 없어요.";
    ErrInvalidChat => "A message must be 1 to 500 characters.", "메시지는 1자에서 500자 사이여야 해요.";
    ErrSignalTooLarge => "Video setup data was too large.", "영상 연결 정보가 너무 커요.";
    ErrCannotKickSelf => "You can't remove yourself.", "자기 자신은 내보낼 수 없어요.";
    ErrCannotKickCreator => "Nobody can remove the room's creator.", "방을 만든 사람은 내보낼 수 없어요.";
    ErrBanned => "This account has been suspended.", "이용이 정지된 계정이에요.";
    ErrRoomClosed => "This room has closed.", "이 방은 닫혔어요.";
    ErrRoomFull => "This room is full.", "방이 가득 찼어요.";
    ErrKicked => "The host removed you from this room.", "호스트가 당신을 이 방에서 내보냈어요.";
    ErrReplaced => "You opened this room somewhere else, so this window was disconnected.", "다른 창에서 이 방에 들어가서 이 창의 연결이 끊어졌어요.";
    ErrNotAllowed => "Only the performer on air or the host can control the track.", "반주는 지금 무대에 선 사람이나 호스트만 조작할 수 있어요.";
    ErrInvalidMedia => "That is not a YouTube video or an audio or video file link.", "유튜브 영상이나 음악·영상 파일 링크가 아니에요.";
    ErrNoMedia => "There is no track on the stage.", "무대에 올린 반주가 없어요.";
    TrackHeading => "Backing track", "반주";
    TrackNone => "No track on the stage.", "무대에 올린 반주가 없어요.";
    TrackUrlLabel => "YouTube link or audio/video file URL", "유튜브 링크나 음악·영상 파일 주소";
    TrackUrlPlaceholder => "https://youtu.be/… or https://…/song.mp3", "https://youtu.be/… 또는 https://…/song.mp3";
    TrackSet => "Put on stage", "무대에 올리기";
    TrackPlay => "Play", "재생";
    TrackPause => "Pause", "일시정지";
    TrackClear => "Take off", "내리기";
    TrackSeek => "Position in the track", "반주 위치";
    TrackPlaying => "Playing", "재생 중";
    TrackPaused => "Paused", "일시정지됨";
    TrackYoutube => "YouTube video", "유튜브 영상";
    TrackFile => "Audio/video file", "음악·영상 파일";
    TrackTapToPlay => "Tap to play the backing track", "눌러서 반주 듣기";
    TrackEmbedBlocked => "This video's owner does not allow it to be played here.", "영상 주인이 다른 사이트에서 재생하는 걸 막아 두었어요.";
    TrackNotFound => "This track could not be found.", "반주를 찾을 수 없어요.";
    TrackUnplayable => "This track cannot be played in the browser.", "브라우저에서 재생할 수 없는 반주예요.";
    TrackPickAnother => "Pick another track.", "다른 반주를 골라 주세요.";
    MusicMode => "Music mode", "음악 모드";
    MusicModeHint => "Your mic without echo cancellation, noise suppression or auto gain: singing sounds like music, not a call. Use headphones.", "마이크의 에코 제거·잡음 제거·자동 음량을 꺼서 노래가 통화가 아니라 음악처럼 들려요. 헤드폰을 써 주세요.";
    ErrRoomUnavailable => "The room is moving to another server; that did not go through, try again.", "방이 다른 서버로 옮겨지는 중이라 반영되지 않았어요. 다시 시도해 주세요.";
    ErrInternal => "Something went wrong on the server.", "서버에 문제가 생겼어요.";
}

/// The message for `/login?error=<code>` (where a failed Kakao sign-in lands).
pub fn login_error_key(code: LoginErrorCode) -> Key {
    match code {
        LoginErrorCode::AccessDenied => Key::LoginErrAccessDenied,
        LoginErrorCode::InvalidState => Key::LoginErrInvalidState,
        LoginErrorCode::InvalidRequest => Key::LoginErrInvalidRequest,
        LoginErrorCode::KakaoRejected => Key::LoginErrKakaoRejected,
        LoginErrorCode::KakaoUnavailable => Key::LoginErrKakaoUnavailable,
        LoginErrorCode::KakaoError => Key::LoginErrKakaoError,
        LoginErrorCode::Banned => Key::LoginErrBanned,
        LoginErrorCode::ServerError => Key::LoginErrServer,
        LoginErrorCode::KakaoDisabled => Key::LoginErrKakaoDisabled,
        LoginErrorCode::Unknown => Key::LoginErrUnknown,
    }
}

/// Our words for an api-server error code, where we have better ones than its message
/// (`rate_limited` is drawn with its wait, see `ToastText`).
pub fn api_error_key(code: ApiErrorCode) -> Option<Key> {
    Some(match code {
        ApiErrorCode::Banned => Key::LoginErrBanned,
        ApiErrorCode::RoomAlreadyOpen => Key::ApiRoomAlreadyOpen,
        ApiErrorCode::NotRoomHost => Key::ApiNotRoomHost,
        ApiErrorCode::RequestTimeout => Key::ApiRequestTimeout,
        ApiErrorCode::RoomEnded => Key::RoomEnded,
        ApiErrorCode::RoomNotFound => Key::RoomNotFound,
        _ => return None,
    })
}

/// "Try again in {n} s." with the wait filled in.
pub fn retry_after_text(lang: Lang, secs: u64) -> String {
    lang.t(Key::ApiRateLimited)
        .replace("{n}", &secs.max(1).to_string())
}

/// The message for a display name the shared rules refuse.
pub fn name_error_key(e: onair_shared::text::NameError) -> Key {
    match e {
        onair_shared::text::NameError::Empty => Key::NameEmpty,
        onair_shared::text::NameError::TooLong => Key::NameTooLong,
    }
}

/// The message shown for a room-server error code.
pub fn error_key(code: ErrorCode) -> Key {
    match code {
        ErrorCode::BadJson => Key::ErrBadJson,
        ErrorCode::UnknownType => Key::ErrUnknownType,
        ErrorCode::InvalidMessage => Key::ErrInvalidMessage,
        ErrorCode::FrameTooLarge => Key::ErrFrameTooLarge,
        ErrorCode::RateLimited => Key::ErrRateLimited,
        ErrorCode::NotHost => Key::ErrNotHost,
        ErrorCode::NotYourTurn => Key::ErrNotYourTurn,
        ErrorCode::NotAMember => Key::ErrNotAMember,
        ErrorCode::NotEnoughMembers => Key::ErrNotEnoughMembers,
        ErrorCode::AlreadyStarted => Key::ErrAlreadyStarted,
        ErrorCode::WrongPhase => Key::ErrWrongPhase,
        ErrorCode::AlreadyPerformed => Key::ErrAlreadyPerformed,
        ErrorCode::AlreadyScored => Key::ErrAlreadyScored,
        ErrorCode::RoundClosed => Key::ErrRoundClosed,
        ErrorCode::ScoreOutOfRange => Key::ErrScoreOutOfRange,
        ErrorCode::CannotScoreOwnAct => Key::ErrCannotScoreOwnAct,
        ErrorCode::NotEligible => Key::ErrNotEligible,
        ErrorCode::InvalidChat => Key::ErrInvalidChat,
        ErrorCode::SignalTooLarge => Key::ErrSignalTooLarge,
        ErrorCode::CannotKickSelf => Key::ErrCannotKickSelf,
        ErrorCode::CannotKickCreator => Key::ErrCannotKickCreator,
        ErrorCode::Banned => Key::ErrBanned,
        ErrorCode::RoomClosed => Key::ErrRoomClosed,
        ErrorCode::RoomFull => Key::ErrRoomFull,
        ErrorCode::Kicked => Key::ErrKicked,
        ErrorCode::Replaced => Key::ErrReplaced,
        ErrorCode::NotAllowed => Key::ErrNotAllowed,
        ErrorCode::InvalidMedia => Key::ErrInvalidMedia,
        ErrorCode::NoMedia => Key::ErrNoMedia,
        ErrorCode::RoomUnavailable => Key::ErrRoomUnavailable,
        ErrorCode::Internal => Key::ErrInternal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every Korean sentence is in one polite style, 해요체: no 합니다/습니다 (하십시오체) and no
    /// plain 한다/있다 endings.
    #[test]
    fn korean_is_all_in_the_haeyo_style() {
        let mut bad = Vec::new();
        for &key in Key::ALL {
            let ko = Lang::Ko.t(key);
            for sentence in ko.split(['.', '!', '?', '\n']) {
                let s = sentence.trim();
                if s.ends_with("니다") || s.ends_with("십시오") || s.ends_with('다') {
                    bad.push(format!("{key:?}: {ko}"));
                }
            }
        }
        assert!(bad.is_empty(), "not 해요체: {bad:#?}");
    }

    #[test]
    fn ending_an_act_and_ending_the_show_read_differently_in_korean() {
        let act = Lang::Ko.t(Key::EndAct);
        let show = Lang::Ko.t(Key::EndShow);
        assert_ne!(act, show);
        assert!(
            act.contains("무대") && show.contains("쇼"),
            "{act} / {show}"
        );
    }
    use onair_shared::room::{validate_description, validate_member_limit, validate_title};
    use std::collections::HashSet;

    #[test]
    fn every_key_has_text_in_both_languages() {
        for &key in Key::ALL {
            for lang in [Lang::En, Lang::Ko] {
                let s = t(lang, key);
                assert!(!s.trim().is_empty(), "{key:?} is empty in {lang:?}");
            }
        }
    }

    #[test]
    fn korean_is_really_translated() {
        // Brand-like strings may be the same in both; everything else must differ.
        let same: Vec<_> = Key::ALL
            .iter()
            .filter(|&&k| t(Lang::En, k) == t(Lang::Ko, k))
            .collect();
        assert_eq!(same, [&Key::OnAirBadge]);
        let hangul = |s: &str| s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
        for &key in Key::ALL {
            if key != Key::OnAirBadge {
                assert!(hangul(t(Lang::Ko, key)), "{key:?} has no Korean text");
            }
        }
    }

    #[test]
    fn every_error_code_has_its_own_message() {
        let all = ErrorCode::ALL;
        let keys: HashSet<Key> = all.iter().map(|&c| error_key(c)).collect();
        assert_eq!(keys.len(), all.len(), "two error codes share a message key");
        for code in all {
            assert!(!Lang::Ko.error(code).is_empty());
        }
    }

    #[test]
    fn english_validation_messages_match_the_shared_validators() {
        assert_eq!(
            t(Lang::En, Key::TitleEmpty),
            validate_title("").unwrap_err()
        );
        assert_eq!(
            t(Lang::En, Key::TitleTooLong),
            validate_title(&"x".repeat(61)).unwrap_err()
        );
        assert_eq!(
            t(Lang::En, Key::DescriptionTooLong),
            validate_description(&"x".repeat(501)).unwrap_err()
        );
        assert_eq!(
            t(Lang::En, Key::LimitRange),
            validate_member_limit(13).unwrap_err()
        );
    }

    #[test]
    fn every_login_error_code_has_its_own_message() {
        let codes = LoginErrorCode::ALL;
        let keys: HashSet<Key> = codes.iter().map(|&c| login_error_key(c)).collect();
        assert_eq!(keys.len(), codes.len());
        assert!(!keys.contains(&Key::LoginErrUnknown));
        assert_eq!(
            login_error_key(LoginErrorCode::parse("whatever")),
            Key::LoginErrUnknown
        );
    }

    #[test]
    fn new_api_errors_have_words_in_both_languages() {
        for code in [
            ApiErrorCode::Banned,
            ApiErrorCode::RoomAlreadyOpen,
            ApiErrorCode::NotRoomHost,
            ApiErrorCode::RequestTimeout,
        ] {
            let key = api_error_key(code).unwrap();
            assert_ne!(t(Lang::En, key), t(Lang::Ko, key));
        }
        assert_eq!(api_error_key(ApiErrorCode::ValidationFailed), None);
        assert_eq!(
            retry_after_text(Lang::En, 42),
            "Too many attempts. Try again in 42 s."
        );
        assert!(retry_after_text(Lang::Ko, 42).contains("42초"));
        assert_eq!(
            t(
                Lang::En,
                name_error_key(onair_shared::text::NameError::TooLong)
            ),
            "A name can be at most 30 characters."
        );
    }

    #[test]
    fn intro_message_matches_the_shared_limit() {
        assert!(t(Lang::En, Key::IntroTooLong)
            .contains(&onair_shared::api::INTRO_MAX_CHARS.to_string()));
        assert!(t(Lang::Ko, Key::IntroTooLong)
            .contains(&onair_shared::api::INTRO_MAX_CHARS.to_string()));
    }

    #[test]
    fn lang_codes_round_trip_and_labels_follow_the_language() {
        for lang in [Lang::En, Lang::Ko] {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
            assert_eq!(lang.other().other(), lang);
        }
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::default(), Lang::En);
        assert_eq!(Lang::Ko.category(Category::Singing), "노래");
        assert_eq!(Lang::En.category(Category::Impression), "Impressions");
        assert_eq!(Lang::Ko.phase(Phase::OnAir), "공연 중");
        assert_eq!(Lang::En.mode(Mode::Rank), "Ranked");
        assert_eq!(Lang::En.status(RoomStatus::Live), "Live");
    }
}
