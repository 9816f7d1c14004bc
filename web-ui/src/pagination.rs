//! Pure helpers for paginated lists: the ranking's numbered pages (`limit`/`offset`), the
//! "more" lists that follow a cursor (`Page<T>`), and query strings.

use onair_shared::api::{Page, UserSummary};

/// The ranking shows this many rows a page.
pub const RANKING_PAGE_SIZE: u32 = 20;
/// Followers/following load this many at a time.
pub const FOLLOW_PAGE_SIZE: u32 = 20;

/// Where a numbered page (1-based) is in a list of `total` rows, `size` a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pager {
    /// 1-based.
    pub page: u32,
    pub size: u32,
    pub total: u64,
}

impl Pager {
    /// Any `page` is accepted; 0 counts as 1.
    pub fn new(page: u32, size: u32, total: u64) -> Pager {
        Pager {
            page: page.max(1),
            size: size.max(1),
            total,
        }
    }

    /// The `offset` to ask for.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.size)
    }

    /// Pages in all; at least 1 (an empty list has one, empty, page).
    pub fn pages(&self) -> u32 {
        let pages = self.total.div_ceil(u64::from(self.size)).max(1);
        u32::try_from(pages).unwrap_or(u32::MAX)
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.offset() + u64::from(self.size) < self.total
    }

    pub fn prev(&self) -> Option<u32> {
        self.has_prev().then(|| (self.page - 1).min(self.pages()))
    }

    pub fn next(&self) -> Option<u32> {
        self.has_next().then_some(self.page + 1)
    }
}

/// Reads `?page=N` (anything unreadable is page 1).
pub fn parse_page(raw: Option<&str>) -> u32 {
    raw.and_then(|s| s.trim().parse::<u32>().ok())
        .filter(|&p| p >= 1)
        .unwrap_or(1)
}

/// A list loaded page by page with a cursor ("more").
#[derive(Debug, Clone, PartialEq)]
pub struct CursorList<T> {
    pub items: Vec<T>,
    /// The cursor for the next page; `None` once the last page came (or before the first).
    pub next_cursor: Option<String>,
    /// Whether at least one page has arrived.
    pub loaded: bool,
}

impl CursorList<UserSummary> {
    /// Appends a page, skipping users already listed (a follow made between two page loads
    /// can shift rows by one).
    pub fn push_page(&mut self, page: Page<UserSummary>) {
        for user in page.items {
            if !self.items.iter().any(|u| u.id == user.id) {
                self.items.push(user);
            }
        }
        self.next_cursor = page.next_cursor;
        self.loaded = true;
    }
}

impl<T> Default for CursorList<T> {
    fn default() -> Self {
        CursorList {
            items: Vec::new(),
            next_cursor: None,
            loaded: false,
        }
    }
}

impl<T> CursorList<T> {
    pub fn has_more(&self) -> bool {
        self.loaded && self.next_cursor.is_some()
    }
}

/// `?limit=20&cursor=abc` from the parameters that are set, values percent-encoded.
pub fn query(params: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = params
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_shared::UserId;

    #[test]
    fn pager_math() {
        let p = Pager::new(1, 20, 0);
        assert_eq!(
            (p.offset(), p.pages(), p.has_prev(), p.has_next()),
            (0, 1, false, false)
        );

        let p = Pager::new(1, 20, 20);
        assert_eq!((p.pages(), p.has_next()), (1, false));

        let p = Pager::new(1, 20, 21);
        assert_eq!((p.pages(), p.has_next(), p.next()), (2, true, Some(2)));

        let p = Pager::new(2, 20, 21);
        assert_eq!(p.offset(), 20);
        assert_eq!(
            (p.has_prev(), p.prev(), p.has_next()),
            (true, Some(1), false)
        );

        let p = Pager::new(3, 20, 60);
        assert_eq!((p.offset(), p.pages(), p.next()), (40, 3, None));

        // Past the end (the list shrank): "previous" goes back to the last real page.
        let p = Pager::new(9, 20, 30);
        assert_eq!(p.prev(), Some(2));
        assert!(!p.has_next());

        assert_eq!(Pager::new(0, 0, 5).page, 1);
        assert_eq!(Pager::new(0, 0, 5).size, 1);
    }

    #[test]
    fn page_numbers_parse_leniently() {
        assert_eq!(parse_page(None), 1);
        assert_eq!(parse_page(Some("3")), 3);
        assert_eq!(parse_page(Some("0")), 1);
        assert_eq!(parse_page(Some("-2")), 1);
        assert_eq!(parse_page(Some("x")), 1);
    }

    fn user(id: i64) -> UserSummary {
        UserSummary {
            id: UserId(id),
            name: format!("u{id}"),
            avatar_url: None,
        }
    }

    #[test]
    fn cursor_lists_append_pages_once() {
        let mut list = CursorList::default();
        assert!(!list.has_more());
        list.push_page(Page {
            items: vec![user(1), user(2)],
            next_cursor: Some("2".into()),
        });
        assert!(list.has_more());
        list.push_page(Page {
            items: vec![user(2), user(3)],
            next_cursor: None,
        });
        let ids: Vec<i64> = list.items.iter().map(|u| u.id.0).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert!(!list.has_more());
        assert!(list.loaded);
    }

    #[test]
    fn queries_skip_unset_params_and_encode_values() {
        assert_eq!(query(&[]), "");
        assert_eq!(query(&[("cursor", None)]), "");
        assert_eq!(
            query(&[
                ("limit", Some("20".into())),
                ("cursor", Some("a b/c=d".into()))
            ]),
            "?limit=20&cursor=a%20b%2Fc%3Dd"
        );
        assert_eq!(encode("노"), "%EB%85%B8");
        assert_eq!(encode("A-z_0.~"), "A-z_0.~");
    }
}
