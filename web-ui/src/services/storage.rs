//! What the browser remembers between visits (localStorage): the login and the language.

use crate::i18n::Lang;
use gloo_storage::{LocalStorage, Storage};
use onair_shared::api::Me;

const TOKEN_KEY: &str = "onair.token";
const USER_KEY: &str = "onair.user";
const LANG_KEY: &str = "onair.lang";

pub fn token() -> Option<String> {
    LocalStorage::get::<String>(TOKEN_KEY)
        .ok()
        .filter(|t| !t.is_empty())
}

pub fn user() -> Option<Me> {
    LocalStorage::get::<Me>(USER_KEY).ok()
}

pub fn save_session(token: &str, user: &Me) {
    let _ = LocalStorage::set(TOKEN_KEY, token);
    let _ = LocalStorage::set(USER_KEY, user);
}

pub fn save_user(user: &Me) {
    let _ = LocalStorage::set(USER_KEY, user);
}

pub fn clear_session() {
    LocalStorage::delete(TOKEN_KEY);
    LocalStorage::delete(USER_KEY);
}

pub fn lang() -> Lang {
    LocalStorage::get::<String>(LANG_KEY)
        .ok()
        .and_then(|s| Lang::parse(&s))
        .unwrap_or_default()
}

pub fn save_lang(lang: Lang) {
    let _ = LocalStorage::set(LANG_KEY, lang.code());
}
