//! Human-readable English text for each error code (clients may show their own translation).

use onair_shared::protocol::ErrorCode;

pub fn error_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadJson => "the frame is not a JSON object",
        ErrorCode::UnknownType => "unknown frame type",
        ErrorCode::InvalidMessage => "the frame's fields are missing or of the wrong kind",
        ErrorCode::FrameTooLarge => "the frame is larger than 64 KiB",
        ErrorCode::RateLimited => "too many frames; slow down",
        ErrorCode::NotHost => "only the host can do that",
        ErrorCode::NotYourTurn => "it is not your turn to do that",
        ErrorCode::NotAMember => "that person is not in this room",
        ErrorCode::NotEnoughMembers => "a show needs at least 2 members (3 in a ranked room)",
        ErrorCode::AlreadyStarted => "the show has already started",
        ErrorCode::WrongPhase => "that cannot be done at this point of the show",
        ErrorCode::AlreadyPerformed => "that member has already performed",
        ErrorCode::AlreadyScored => "you have already scored this act",
        ErrorCode::RoundClosed => "scoring for that act is closed",
        ErrorCode::ScoreOutOfRange => "a score is a whole number from 0 to 100",
        ErrorCode::CannotScoreOwnAct => "you cannot score your own act",
        ErrorCode::NotEligible => "you joined after this act ended, so you cannot score it",
        ErrorCode::InvalidChat => "a chat message is 1 to 500 characters",
        ErrorCode::SignalTooLarge => "the video signal payload is larger than 16 KiB",
        ErrorCode::CannotKickSelf => "you cannot kick yourself",
        ErrorCode::CannotKickCreator => "nobody can remove the room's creator from their room",
        ErrorCode::RoomFull => "the room is full",
        ErrorCode::Kicked => "the host removed you from this room",
        ErrorCode::Replaced => "you opened this room on another connection",
        ErrorCode::NotAllowed => "only the performer on air or the host controls the track",
        ErrorCode::InvalidMedia => {
            "not a YouTube video or an http(s) audio or video file URL (or a position past 12 hours)"
        }
        ErrorCode::NoMedia => "there is no track on the stage",
        ErrorCode::Banned => "this account has been banned",
        ErrorCode::RoomClosed => "this room has closed",
        ErrorCode::RoomUnavailable => {
            "the room is moving to another server; that was not applied, send it again"
        }
        ErrorCode::Internal => "something went wrong on the server",
    }
}
