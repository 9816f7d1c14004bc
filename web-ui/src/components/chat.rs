use crate::components::avatar::UserLink;
use crate::context::use_lang;
use crate::i18n::Key;
use onair_shared::protocol::{ChatLine, RoomSnapshot, CHAT_MAX_CHARS};
use onair_shared::UserId;
use std::rc::Rc;
use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

/// The counter under the chat box shows from this many characters on.
pub const COUNTER_FROM: usize = CHAT_MAX_CHARS * 4 / 5;

/// What to do with the text in the chat box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatDraft {
    /// Nothing but spaces: do nothing.
    Empty,
    /// Over [`CHAT_MAX_CHARS`] characters: say so, keep the text.
    TooLong,
    /// Send this (trimmed) text.
    Send(String),
}

/// The server's rules for a chat line ([`onair_shared::text::normalize_line`]): control, bidi
/// and zero-width characters removed, trimmed; nothing left is nothing to send.
pub fn check_draft(text: &str) -> ChatDraft {
    let t = onair_shared::text::normalize_line(text);
    if t.is_empty() {
        ChatDraft::Empty
    } else if t.chars().count() > CHAT_MAX_CHARS {
        ChatDraft::TooLong
    } else {
        ChatDraft::Send(t)
    }
}

#[derive(Properties, PartialEq)]
pub struct ChatProps {
    /// The room; its `chat` is drawn (oldest first).
    pub room: Rc<RoomSnapshot>,
    pub you: Option<UserId>,
    /// False while not connected: the box stays usable, sending is refused with a notice.
    pub connected: bool,
    pub on_send: Callback<String>,
}

/// The live chat: lines oldest first, newest at the bottom (kept in view), a box that sends
/// on Enter.
#[function_component(Chat)]
pub fn chat(props: &ChatProps) -> Html {
    let lang = use_lang();
    let lines: &[ChatLine] = &props.room.chat;
    let draft = use_state(String::new);
    let too_long = use_state(|| false);
    let list_ref = use_node_ref();
    // Follow new lines only while the reader is at the bottom.
    let stick = use_mut_ref(|| true);

    {
        let list_ref = list_ref.clone();
        let stick = stick.clone();
        let last = lines.last().map(|l| (l.at, l.from, lines.len()));
        let mine = lines
            .last()
            .map(|l| Some(l.from) == props.you)
            .unwrap_or(false);
        use_effect_with(last, move |_| {
            if *stick.borrow() || mine {
                if let Some(el) = list_ref.cast::<Element>() {
                    el.set_scroll_top(el.scroll_height());
                }
            }
        });
    }

    let on_scroll = {
        let list_ref = list_ref.clone();
        Callback::from(move |_: Event| {
            if let Some(el) = list_ref.cast::<Element>() {
                let gap = el.scroll_height() - el.scroll_top() - el.client_height();
                *stick.borrow_mut() = gap < 48;
            }
        })
    };

    let on_input = {
        let draft = draft.clone();
        let too_long = too_long.clone();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            if *too_long && check_draft(&value) != ChatDraft::TooLong {
                too_long.set(false);
            }
            draft.set(value);
        })
    };

    let on_submit = {
        let draft = draft.clone();
        let too_long = too_long.clone();
        let on_send = props.on_send.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match check_draft(&draft) {
                ChatDraft::Empty => {}
                ChatDraft::TooLong => too_long.set(true),
                ChatDraft::Send(text) => {
                    on_send.emit(text);
                    draft.set(String::new());
                    too_long.set(false);
                }
            }
        })
    };

    let count = draft.chars().count();
    let over = *too_long || count > CHAT_MAX_CHARS;
    html! {
        <section class="panel chat" aria-label={lang.t(Key::ChatTitle)}>
            <h2 class="panel-title">{ lang.t(Key::ChatTitle) }</h2>
            <div class="chat-lines" ref={list_ref} onscroll={on_scroll}>
                if lines.is_empty() {
                    <p class="empty">{ lang.t(Key::ChatEmpty) }</p>
                }
                { for lines.iter().map(|line| {
                    let mine = Some(line.from) == props.you;
                    html! {
                        <div class={classes!("chat-line", mine.then_some("mine"))}
                            data-user-id={line.from.to_string()}>
                            <span class="chat-name">
                                <UserLink id={line.from} name={line.name.clone()} new_tab=true />
                            </span>
                            <span class="chat-text">{ &line.text }</span>
                            <time class="chat-time">{ clock(line.at) }</time>
                        </div>
                    }
                }) }
            </div>
            <form class="chat-form" onsubmit={on_submit}>
                // No `maxlength` at the limit: the browser would cut a paste at 500 UTF-16 units,
                // mid-word and without a word. The counter says it instead; the bound here
                // only keeps a runaway paste in check.
                <input id="chat-input" type="text" autocomplete="off"
                    maxlength={(CHAT_MAX_CHARS * 4).to_string()}
                    aria-describedby="chat-count"
                    placeholder={lang.t(Key::ChatPlaceholder)}
                    aria-label={lang.t(Key::ChatPlaceholder)}
                    value={(*draft).clone()} oninput={on_input} />
                <button id="chat-send" type="submit" class="btn btn-primary"
                    disabled={!props.connected}>
                    { lang.t(Key::Send) }
                </button>
            </form>
            if count >= COUNTER_FROM {
                <p id="chat-count" class={classes!("char-count", over.then_some("over"))} aria-live="polite">
                    { format!("{count}/{CHAT_MAX_CHARS}") }
                    if over { { format!(" · {}", lang.t(Key::ChatTooLong)) } }
                </p>
            }
        </section>
    }
}

/// `HH:MM` in the viewer's time zone.
fn clock(at_ms: i64) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mins = at_ms.div_euclid(60_000);
        format!(
            "{:02}:{:02}",
            mins.div_euclid(60).rem_euclid(24),
            mins.rem_euclid(60)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_trimmed_and_bounded() {
        assert_eq!(check_draft(""), ChatDraft::Empty);
        assert_eq!(check_draft("   \n "), ChatDraft::Empty);
        assert_eq!(check_draft("  hi  "), ChatDraft::Send("hi".into()));
        // What the server would refuse or strip, the form does too.
        assert_eq!(check_draft("\u{0}\u{7}\u{200B}"), ChatDraft::Empty);
        assert_eq!(check_draft("\u{202E}hi"), ChatDraft::Send("hi".into()));
        let max = "가".repeat(CHAT_MAX_CHARS);
        assert_eq!(check_draft(&max), ChatDraft::Send(max.clone()));
        assert_eq!(check_draft(&format!("{max}a")), ChatDraft::TooLong);
    }

    #[test]
    fn clock_formats_hours_and_minutes() {
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock((13 * 60 + 7) * 60_000), "13:07");
    }
}
