//! Text people type that others see (display names, chat lines, room titles, intros): one
//! normalisation for the web app's forms and both servers, so a name the form accepts is the
//! name the server stores, and nobody can make text look like something it is not.
//!
//! Removed: control characters (a chat line of `"\u{0}\u{7}"` is empty, not blank spaces),
//! bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069: `"\u{202E}gnp.exe"`
//! shows as `exe.png`) and zero-width characters (U+200B–U+200D, U+2060, U+FEFF: two names
//! that look the same but differ). Then the result is trimmed. Removing U+200D (zero-width
//! joiner) splits emoji sequences such as 👨‍👩‍👧 into their parts; they still show.

use crate::api::DISPLAY_NAME_MAX_CHARS;

/// Characters that change how text is drawn without being seen.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// One line of text as it is stored and shown: control characters, bidi controls and
/// zero-width characters removed, then trimmed. May return an empty string.
pub fn normalize_line(raw: &str) -> String {
    raw.chars()
        .filter(|&c| !c.is_control() && !is_invisible_format(c))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Why a display name is refused; the message is fit to show a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong,
}

impl NameError {
    pub fn message(self) -> &'static str {
        match self {
            NameError::Empty => "name must not be empty",
            NameError::TooLong => "name must be at most 30 characters",
        }
    }
}

/// A display name (dev login, Kakao nickname): normalised, then 1 to
/// [`DISPLAY_NAME_MAX_CHARS`] characters.
pub fn validate_display_name(raw: &str) -> Result<String, NameError> {
    let name = normalize_line(raw);
    match name.chars().count() {
        0 => Err(NameError::Empty),
        n if n > DISPLAY_NAME_MAX_CHARS => Err(NameError::TooLong),
        _ => Ok(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_invisible_characters_are_removed_then_the_line_is_trimmed() {
        assert_eq!(normalize_line("\u{0}\u{7}"), "");
        assert_eq!(normalize_line(" \u{200B} hi\u{7} "), "hi");
        assert_eq!(normalize_line("a\nb"), "ab");
        assert_eq!(normalize_line("\u{202E}gnp.exe"), "gnp.exe");
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}',
        ] {
            assert_eq!(normalize_line(&format!("a{c}b")), "ab", "{:04X}", c as u32);
        }
        // Ordinary text of every script is left alone.
        assert_eq!(normalize_line("  노래왕 🎤 Ünïcode "), "노래왕 🎤 Ünïcode");
    }

    #[test]
    fn display_names() {
        assert_eq!(validate_display_name("  지수 ").unwrap(), "지수");
        assert_eq!(validate_display_name("Al\u{202E}ice").unwrap(), "Alice");
        assert!(validate_display_name(&"가".repeat(30)).is_ok());
        assert_eq!(
            validate_display_name(&"가".repeat(31)),
            Err(NameError::TooLong)
        );
        assert_eq!(validate_display_name(" \t "), Err(NameError::Empty));
        assert_eq!(
            validate_display_name("\u{200B}\u{FEFF}"),
            Err(NameError::Empty)
        );
        assert_eq!(validate_display_name("a\nb").unwrap(), "ab");
    }
}
