//! The sing-along backing track: what a member may put on the stage, and where a track is at
//! a given moment. The room-server checks every `media_set` with [`parse_media`]; the web app
//! uses the same function to tell the user before sending.

use serde::{Deserialize, Serialize};

/// Longest track link accepted (a YouTube link or a file URL).
pub const MEDIA_URL_MAX_CHARS: usize = 2048;
/// Positions beyond this (12 hours) are refused: no backing track is that long.
pub const MEDIA_POSITION_MAX_MS: u64 = 12 * 3600 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// A YouTube video, played in the IFrame player; `id_or_url` is its 11-character id.
    Youtube,
    /// An audio or video file at an http(s) URL, played in an HTML5 media element.
    File,
}

/// A track on the stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    pub kind: MediaKind,
    pub id_or_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// The room's playback: every browser plays its own copy, at `position_ms` as of server time
/// `at_ms` (plus the time since, while `playing`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MediaState {
    pub media: Option<Media>,
    pub playing: bool,
    pub position_ms: u64,
    /// Unix milliseconds (server clock) at which the track was at `position_ms`.
    pub at_ms: i64,
    /// Who made the last change; `None` when the room cleared the stage itself (a new act).
    pub by: Option<crate::UserId>,
    /// A member's player could not play this track (the first report per track); gone with
    /// the next track.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<MediaFault>,
}

/// Why a member's player could not play the track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaFailure {
    /// The video's owner does not allow it in other sites (YouTube errors 101 and 150).
    EmbedBlocked,
    /// No such video or file (YouTube error 100, an HTTP error).
    NotFound,
    /// Anything else: a format the browser cannot play, a broken file, a bad id.
    Unplayable,
}

/// A playback failure as the room heard of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaFault {
    pub reason: MediaFailure,
    /// The member whose player failed.
    pub by: crate::UserId,
}

/// Who may control the track: the performer on air (or counted down to going on air, so they
/// can put their track on in time), or the host at any time until the show ends. The
/// room-server enforces it; the web app shows the controls by it.
pub fn may_control_media(
    phase: crate::protocol::Phase,
    host: crate::UserId,
    performer: Option<crate::UserId>,
    by: crate::UserId,
) -> bool {
    use crate::protocol::Phase;
    match phase {
        Phase::Ended => false,
        Phase::OnAir | Phase::UpNext if performer == Some(by) => true,
        _ => by == host,
    }
}

impl MediaState {
    /// Where the track is at server time `now_ms`.
    pub fn position_at(&self, now_ms: i64) -> u64 {
        if self.playing {
            let since = u64::try_from(now_ms.saturating_sub(self.at_ms)).unwrap_or(0);
            self.position_ms.saturating_add(since)
        } else {
            self.position_ms
        }
    }
}

/// Why a link cannot go on the stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaError {
    Empty,
    TooLong,
    /// Not a YouTube video and not an http(s) URL.
    Unsupported,
}

/// A YouTube video id: 11 characters of `A-Z a-z 0-9 - _`.
fn youtube_id(s: &str) -> Option<&str> {
    (s.len() == 11
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(s)
}

/// Reads what a member pasted: a YouTube id or link (`watch?v=`, `youtu.be/`, `embed/`,
/// `shorts/`, `live/`), or an http(s) URL of an audio or video file. Anything with spaces or
/// control characters, or another scheme (`javascript:`, `data:`, `file:`), is refused.
pub fn parse_media(input: &str) -> Result<Media, MediaError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(MediaError::Empty);
    }
    if s.chars().count() > MEDIA_URL_MAX_CHARS {
        return Err(MediaError::TooLong);
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || crate::text::is_invisible_format(c))
    {
        return Err(MediaError::Unsupported);
    }
    if let Some(id) = youtube_id(s) {
        return Ok(youtube(id));
    }
    let lower = s.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://") {
        r
    } else if let Some(r) = lower.strip_prefix("http://") {
        r
    } else {
        return Err(MediaError::Unsupported);
    };
    // The original-case remainder (ids are case-sensitive).
    let rest_orig = &s[s.len() - rest.len()..];
    let (host, path) = rest_orig.split_once('/').unwrap_or((rest_orig, ""));
    if host.is_empty() || host.contains('@') {
        return Err(MediaError::Unsupported);
    }
    let host_l = host.to_ascii_lowercase();
    let host_l = host_l.strip_prefix("www.").unwrap_or(&host_l);
    let host_l = host_l.strip_prefix("m.").unwrap_or(host_l);
    if host_l == "youtu.be" {
        let id = path.split(['?', '#', '/']).next().unwrap_or("");
        return youtube_id(id).map(youtube).ok_or(MediaError::Unsupported);
    }
    if host_l == "youtube.com" || host_l == "music.youtube.com" {
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let found = if route == "watch" {
            query
                .split(['&', '#'])
                .find_map(|kv| kv.strip_prefix("v="))
                .and_then(youtube_id)
        } else {
            ["embed/", "shorts/", "live/", "v/"]
                .iter()
                .find_map(|p| route.strip_prefix(p))
                .and_then(|r| r.split(['/', '#']).next())
                .and_then(youtube_id)
        };
        return found.map(youtube).ok_or(MediaError::Unsupported);
    }
    Ok(Media {
        kind: MediaKind::File,
        id_or_url: s.to_owned(),
        title: None,
    })
}

fn youtube(id: &str) -> Media {
    Media {
        kind: MediaKind::Youtube,
        id_or_url: id.to_owned(),
        title: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn youtube_links_of_every_shape_give_the_id() {
        for link in [
            "dQw4w9WgXcQ",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=30",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ?t=42",
            "http://www.youtube.com/embed/dQw4w9WgXcQ",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "  https://music.youtube.com/watch?v=dQw4w9WgXcQ  ",
        ] {
            let m = parse_media(link).unwrap_or_else(|e| panic!("{link}: {e:?}"));
            assert_eq!(m.kind, MediaKind::Youtube, "{link}");
            assert_eq!(m.id_or_url, "dQw4w9WgXcQ", "{link}");
        }
    }

    #[test]
    fn file_urls_are_kept_as_given() {
        let m = parse_media("https://cdn.example.org/Tracks/Song.mp3").unwrap();
        assert_eq!(m.kind, MediaKind::File);
        assert_eq!(m.id_or_url, "https://cdn.example.org/Tracks/Song.mp3");
        assert_eq!(
            parse_media("http://127.0.0.1:8080/media/track.webm")
                .unwrap()
                .kind,
            MediaKind::File
        );
    }

    #[test]
    fn anything_else_is_refused() {
        assert_eq!(parse_media("   "), Err(MediaError::Empty));
        for bad in [
            "javascript:alert(1)",
            "data:audio/mp3;base64,AAAA",
            "file:///etc/passwd",
            "ftp://example.org/a.mp3",
            "https://",
            "https://user@evil.example/a.mp3",
            "https://youtube.com/watch?v=short",
            "https://youtu.be/",
            "https://example.org/a b.mp3",
            "https://example.org/\u{202e}3pm.exe",
            "not a link",
        ] {
            assert!(parse_media(bad).is_err(), "{bad}");
        }
        let long = format!("https://example.org/{}", "a".repeat(MEDIA_URL_MAX_CHARS));
        assert_eq!(parse_media(&long), Err(MediaError::TooLong));
    }

    #[test]
    fn the_position_runs_only_while_playing() {
        let mut s = MediaState {
            media: None,
            playing: true,
            position_ms: 1_000,
            at_ms: 10_000,
            by: None,
            error: None,
        };
        assert_eq!(s.position_at(12_500), 3_500);
        // A clock that went back never rewinds the track.
        assert_eq!(s.position_at(9_000), 1_000);
        s.playing = false;
        assert_eq!(s.position_at(12_500), 1_000);
    }

    #[test]
    fn the_performer_on_air_and_the_host_control_the_track() {
        use crate::protocol::Phase;
        use crate::UserId;
        let (host, perf, other) = (UserId(1), UserId(2), UserId(3));
        assert!(may_control_media(Phase::OnAir, host, Some(perf), perf));
        assert!(may_control_media(Phase::OnAir, host, Some(perf), host));
        assert!(!may_control_media(Phase::OnAir, host, Some(perf), other));
        assert!(may_control_media(Phase::Lobby, host, None, host));
        // The act is over: its performer no longer controls the stage.
        assert!(!may_control_media(Phase::Scoring, host, Some(perf), perf));
        assert!(may_control_media(Phase::Nominating, host, Some(perf), host));
        assert!(!may_control_media(Phase::Ended, host, None, host));
    }
}
