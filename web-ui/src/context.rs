//! App-wide state shared through Yew contexts: the signed-in session, the language and the
//! toast messages.

use crate::i18n::{Key, Lang};
use crate::services::{storage, ApiError};
use onair_shared::api::{LoginResponse, Me};
use onair_shared::protocol::ErrorCode;
use std::rc::Rc;
use yew::prelude::*;

// ---------------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------------

/// Who is signed in. Mirrors localStorage, which is what survives a reload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Session {
    pub token: Option<String>,
    pub user: Option<Me>,
}

impl Session {
    pub fn load() -> Self {
        match (storage::token(), storage::user()) {
            (Some(token), Some(user)) => Session {
                token: Some(token),
                user: Some(user),
            },
            _ => Session::default(),
        }
    }

    pub fn signed_in(&self) -> bool {
        self.token.is_some() && self.user.is_some()
    }
}

pub enum SessionAction {
    LoggedIn(LoginResponse),
    /// A fresh copy of the user (`GET /me`).
    User(Me),
    LoggedOut,
}

impl Reducible for Session {
    type Action = SessionAction;

    fn reduce(self: Rc<Self>, action: SessionAction) -> Rc<Self> {
        match action {
            SessionAction::LoggedIn(LoginResponse { token, user }) => {
                storage::save_session(&token, &user);
                Rc::new(Session {
                    token: Some(token),
                    user: Some(user),
                })
            }
            SessionAction::User(user) => {
                if self.token.is_none() {
                    return self;
                }
                storage::save_user(&user);
                Rc::new(Session {
                    token: self.token.clone(),
                    user: Some(user),
                })
            }
            SessionAction::LoggedOut => {
                storage::clear_session();
                if self.token.is_none() && self.user.is_none() {
                    return self;
                }
                Rc::new(Session::default())
            }
        }
    }
}

pub type SessionHandle = UseReducerHandle<Session>;

#[hook]
pub fn use_session() -> SessionHandle {
    use_context::<SessionHandle>().expect("SessionHandle context is provided by App")
}

// ---------------------------------------------------------------------------------------------
// Language
// ---------------------------------------------------------------------------------------------

pub type LangHandle = UseStateHandle<Lang>;

/// The handle, for the language switch.
#[hook]
pub fn use_lang_handle() -> LangHandle {
    use_context::<LangHandle>().expect("LangHandle context is provided by App")
}

/// The current language, for everything that only shows text.
#[hook]
pub fn use_lang() -> Lang {
    *use_lang_handle()
}

/// Remembers the language and tells the document (screen readers, fonts).
pub fn apply_lang(lang: Lang) {
    storage::save_lang(lang);
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", lang.code());
    }
}

// ---------------------------------------------------------------------------------------------
// Toasts
// ---------------------------------------------------------------------------------------------

/// What a toast says; localized when drawn, so switching language updates it.
#[derive(Debug, Clone, PartialEq)]
pub enum ToastText {
    Key(Key),
    /// A room-server error: our text for the code (the server's message as a fallback detail).
    Code(ErrorCode, String),
    /// A message from the api-server, shown as it is.
    Plain(String),
    /// `rate_limited`: try again in this many seconds.
    RetryAfter(u64),
}

impl ToastText {
    pub fn render(&self, lang: Lang) -> String {
        match self {
            ToastText::Key(k) => lang.t(*k).to_owned(),
            ToastText::Code(code, message) => match code {
                // Generic codes: the server's message says more than ours would.
                ErrorCode::InvalidMessage | ErrorCode::Internal if !message.is_empty() => {
                    message.clone()
                }
                _ => lang.error(*code).to_owned(),
            },
            ToastText::Plain(s) => s.clone(),
            ToastText::RetryAfter(secs) => crate::i18n::retry_after_text(lang, *secs),
        }
    }

    pub fn from_api(err: &ApiError) -> Self {
        if err.is_network() {
            ToastText::Key(Key::NetworkError)
        } else if err.code == onair_shared::api::ApiErrorCode::RateLimited {
            ToastText::RetryAfter(err.retry_after.unwrap_or(1))
        } else if let Some(key) = crate::i18n::api_error_key(err.code) {
            ToastText::Key(key)
        } else if err.is_unauthorized() {
            ToastText::Key(Key::SessionExpired)
        } else {
            ToastText::Plain(err.message.clone())
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub id: u32,
    pub text: ToastText,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Toasts {
    next_id: u32,
    pub items: Vec<Toast>,
}

/// At most this many toasts are on screen; the oldest goes first.
const MAX_TOASTS: usize = 4;

pub enum ToastAction {
    Push(ToastText),
    Dismiss(u32),
    /// A fresh start (signed in): earlier errors no longer apply.
    Clear,
}

impl Reducible for Toasts {
    type Action = ToastAction;

    fn reduce(self: Rc<Self>, action: ToastAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ToastAction::Push(text) => {
                // The same message twice in a row shows once.
                if next.items.last().is_some_and(|t| t.text == text) {
                    return self;
                }
                next.next_id += 1;
                next.items.push(Toast {
                    id: next.next_id,
                    text,
                });
                if next.items.len() > MAX_TOASTS {
                    next.items.remove(0);
                }
            }
            ToastAction::Dismiss(id) => next.items.retain(|t| t.id != id),
            ToastAction::Clear => {
                if next.items.is_empty() {
                    return self;
                }
                next.items.clear();
            }
        }
        Rc::new(next)
    }
}

pub type ToastHandle = UseReducerHandle<Toasts>;

/// Something that can show a toast, also from async code (the dispatcher is stable).
#[derive(Clone, PartialEq)]
pub struct Toaster(UseReducerDispatcher<Toasts>);

impl Toaster {
    pub fn show(&self, text: ToastText) {
        self.0.dispatch(ToastAction::Push(text));
    }

    pub fn key(&self, key: Key) {
        self.show(ToastText::Key(key));
    }

    pub fn api(&self, err: &ApiError) {
        self.show(ToastText::from_api(err));
    }

    /// Removes every toast (a login succeeded: the failed tries before it are history).
    pub fn clear(&self) {
        self.0.dispatch(ToastAction::Clear);
    }
}

#[hook]
pub fn use_toasts() -> ToastHandle {
    use_context::<ToastHandle>().expect("ToastHandle context is provided by App")
}

#[hook]
pub fn use_toaster() -> Toaster {
    Toaster(use_toasts().dispatcher())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toasts_are_bounded_and_deduplicated() {
        let mut t = Rc::new(Toasts::default());
        for i in 0..6 {
            t = t.reduce(ToastAction::Push(ToastText::Plain(i.to_string())));
        }
        assert_eq!(t.items.len(), MAX_TOASTS);
        assert_eq!(t.items[0].text, ToastText::Plain("2".into()));
        let before = t.items.len();
        t = t.reduce(ToastAction::Push(ToastText::Plain("5".into())));
        assert_eq!(t.items.len(), before);
        let id = t.items[0].id;
        t = t.reduce(ToastAction::Dismiss(id));
        assert!(t.items.iter().all(|x| x.id != id));
        t = t.reduce(ToastAction::Clear);
        assert!(t.items.is_empty());
    }

    #[test]
    fn toast_text_is_localized_when_drawn() {
        let t = ToastText::Code(ErrorCode::NotHost, "only the host can start".into());
        assert_eq!(t.render(Lang::En), "Only the host can do that.");
        assert_eq!(t.render(Lang::Ko), "호스트만 할 수 있어요.");
        let t = ToastText::Code(ErrorCode::InvalidMessage, "score: expected integer".into());
        assert_eq!(t.render(Lang::Ko), "score: expected integer");
    }
}
