//! What a room is: its mode, category and the limits on its settings.

use serde::{Deserialize, Serialize};

pub const TITLE_MAX_CHARS: usize = 60;
pub const DESCRIPTION_MAX_CHARS: usize = 500;
pub const DEFAULT_MEMBER_LIMIT: u8 = 8;
/// Peer-to-peer video is a full mesh, so a room stays small.
pub const MAX_MEMBER_LIMIT: u8 = 12;
pub const MIN_MEMBER_LIMIT: u8 = 2;

/// `rank`: each act's mean is recorded and feeds the global ranking. `normal`: scores are shown
/// in the room and then discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum Mode {
    Rank,
    #[default]
    Normal,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Rank, Mode::Normal];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Rank => "rank",
            Mode::Normal => "normal",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum Category {
    Singing,
    Dance,
    Magic,
    Comedy,
    Impression,
    Instrument,
    #[default]
    Free,
    Other,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Singing,
        Category::Dance,
        Category::Magic,
        Category::Comedy,
        Category::Impression,
        Category::Instrument,
        Category::Free,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Singing => "singing",
            Category::Dance => "dance",
            Category::Magic => "magic",
            Category::Comedy => "comedy",
            Category::Impression => "impression",
            Category::Instrument => "instrument",
            Category::Free => "free",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Category::Singing => "Singing",
            Category::Dance => "Dance",
            Category::Magic => "Magic",
            Category::Comedy => "Comedy",
            Category::Impression => "Impressions",
            Category::Instrument => "Instrument",
            Category::Free => "Free",
            Category::Other => "Other",
        }
    }

    pub fn label_ko(self) -> &'static str {
        match self {
            Category::Singing => "노래",
            Category::Dance => "춤",
            Category::Magic => "마술",
            Category::Comedy => "코미디",
            Category::Impression => "성대모사",
            Category::Instrument => "악기",
            Category::Free => "자유",
            Category::Other => "기타",
        }
    }
}

/// Where a room is in its life, as the catalogue shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum RoomStatus {
    Open,
    Live,
    Ended,
}

impl RoomStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomStatus::Open => "open",
            RoomStatus::Live => "live",
            RoomStatus::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<RoomStatus> {
        [RoomStatus::Open, RoomStatus::Live, RoomStatus::Ended]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// Why a room closed before (or without) its show ending by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum CloseReason {
    /// Its creator closed it.
    Host,
    /// An admin closed it.
    Admin,
    /// It stood empty, or its creator never came, for the idle time (default 10 minutes).
    Idle,
}

impl CloseReason {
    pub const ALL: [CloseReason; 3] = [CloseReason::Host, CloseReason::Admin, CloseReason::Idle];

    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Host => "host",
            CloseReason::Admin => "admin",
            CloseReason::Idle => "idle",
        }
    }

    pub fn parse(s: &str) -> Option<CloseReason> {
        CloseReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Trims and checks a room title; the error is a message fit to show a user.
pub fn validate_title(title: &str) -> Result<String, &'static str> {
    // Control, bidi and zero-width characters are removed, as from names (see `crate::text`).
    let t = &crate::text::normalize_line(title);
    match t.chars().count() {
        0 => Err("title must not be empty"),
        n if n > TITLE_MAX_CHARS => Err("title must be at most 60 characters"),
        _ => Ok(t.to_owned()),
    }
}

/// Trims and checks a description; bidi and zero-width characters are removed (line breaks
/// stay: a description may have several lines).
pub fn validate_description(description: &str) -> Result<String, &'static str> {
    let d: String = description
        .chars()
        .filter(|&c| !crate::text::is_invisible_format(c))
        .collect();
    let d = d.trim();
    if d.chars().count() > DESCRIPTION_MAX_CHARS {
        Err("description must be at most 500 characters")
    } else {
        Ok(d.to_owned())
    }
}

pub fn validate_member_limit(limit: u8) -> Result<u8, &'static str> {
    if (MIN_MEMBER_LIMIT..=MAX_MEMBER_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err("member limit must be between 2 and 12")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed_and_bounded_in_characters_not_bytes() {
        assert_eq!(validate_title("  Friday night  ").unwrap(), "Friday night");
        assert!(validate_title("   ").is_err());
        // 60 Hangul syllables are 180 bytes but exactly the limit.
        assert!(validate_title(&"노".repeat(60)).is_ok());
        assert!(validate_title(&"노".repeat(61)).is_err());
        assert_eq!(validate_title("\u{202E}Friday\n").unwrap(), "Friday");
        assert!(validate_title("\u{200B}\u{7}").is_err());
        assert_eq!(validate_description(" a\u{200B}\nb ").unwrap(), "a\nb");
    }

    #[test]
    fn enums_round_trip_through_their_wire_names() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
        }
        assert_eq!(
            Category::parse("Singing"),
            None,
            "wire names are case-exact"
        );
    }

    #[test]
    fn member_limit_range() {
        assert!(validate_member_limit(1).is_err());
        assert!(validate_member_limit(2).is_ok());
        assert!(validate_member_limit(12).is_ok());
        assert!(validate_member_limit(13).is_err());
    }
}
