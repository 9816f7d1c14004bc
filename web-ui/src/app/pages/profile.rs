use crate::app::{NextQuery, Route};
use crate::chart::ymd;
use crate::components::avatar::Avatar;
use crate::components::score_trend::ScoreTrend;
use crate::context::{use_lang, use_session, use_toaster, SessionAction};
use crate::i18n::Key;
use crate::services::api;
use onair_shared::api::{ScoreHistoryItem, UpdateMeRequest, UserProfile, INTRO_MAX_CHARS};
use onair_shared::UserId;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

/// How many ranked acts the chart shows (the most recent ones).
pub const TREND_ACTS: u32 = 100;
/// How many of them are listed under the chart.
const RECENT_ACTS: usize = 8;

/// Checks an intro as typed: one line, at most [`INTRO_MAX_CHARS`] characters once trimmed
/// (the api-server's rule), returned trimmed.
pub fn validate_intro(intro: &str) -> Result<String, Key> {
    let t = intro.trim();
    if t.chars().count() > INTRO_MAX_CHARS {
        Err(Key::IntroTooLong)
    } else {
        // A pasted line break or tab becomes a space: the intro is one line.
        Ok(t.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Load<T> {
    Loading,
    Ready(T),
    NotFound,
    Failed,
}

#[derive(Properties, PartialEq)]
pub struct ProfilePageProps {
    /// `None`: my own page (`/me`).
    #[prop_or_default]
    pub id: Option<UserId>,
}

/// `/me` and `/users/:id`: name, picture, intro (editable on my page), follower and following
/// counts, follow button, cumulative score, rank and the score-trend chart.
#[function_component(ProfilePage)]
pub fn profile_page(props: &ProfilePageProps) -> Html {
    let lang = use_lang();
    let session = use_session();
    let toaster = use_toaster();
    let navigator = use_navigator();
    let my_id = session.user.as_ref().map(|u| u.id);
    let id = props.id.or(my_id);
    let mine = id.is_some() && id == my_id && session.signed_in();

    let profile = use_state(|| Load::<UserProfile>::Loading);
    let history = use_state(|| None::<Vec<ScoreHistoryItem>>);
    let follow_busy = use_state(|| false);

    {
        let profile = profile.clone();
        let history = history.clone();
        use_effect_with(id, move |&id| {
            profile.set(Load::Loading);
            history.set(None);
            if let Some(id) = id {
                let profile = profile.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    profile.set(match api::profile(id).await {
                        Ok(p) => Load::Ready(p),
                        Err(e) if e.status == 404 => Load::NotFound,
                        Err(_) => Load::Failed,
                    });
                });
                wasm_bindgen_futures::spawn_local(async move {
                    match api::score_history(id, TREND_ACTS, None).await {
                        Ok(page) => history.set(Some(page.items)),
                        Err(_) => history.set(Some(Vec::new())),
                    }
                });
            }
        });
    }

    let p = match &*profile {
        Load::Ready(p) => p.clone(),
        Load::Loading => {
            return html! {
                <section class="page profile-page">
                    <div class="panel connecting"><span class="spinner"></span>{ lang.t(Key::Loading) }</div>
                </section>
            }
        }
        Load::NotFound | Load::Failed => {
            return html! {
                <section class="page page-center profile-page">
                    <div class="panel notice" id="profile-missing">
                        <span class="big-icon" aria-hidden="true">{ "🎭" }</span>
                        <p>{ lang.t(if *profile == Load::NotFound { Key::UserNotFound } else { Key::NetworkError }) }</p>
                        <Link<Route> to={Route::Rankings} classes="btn btn-primary">{ lang.t(Key::NavRankings) }</Link<Route>>
                    </div>
                </section>
            }
        }
    };

    let on_follow = {
        let profile = profile.clone();
        let follow_busy = follow_busy.clone();
        let toaster = toaster.clone();
        let signed_in = session.signed_in();
        let navigator = navigator.clone();
        let target = p.id;
        let follow = !p.followed_by_me;
        Callback::from(move |_: MouseEvent| {
            if !signed_in {
                if let Some(nav) = &navigator {
                    let next = Some(Route::User { id: target }.to_path());
                    let _ = nav.push_with_query(&Route::Login, &NextQuery { next });
                }
                return;
            }
            if *follow_busy {
                return;
            }
            follow_busy.set(true);
            let profile = profile.clone();
            let follow_busy = follow_busy.clone();
            let toaster = toaster.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::set_follow(target, follow).await {
                    Ok(status) => {
                        if let Load::Ready(p) = &*profile {
                            let mut p = p.clone();
                            p.followed_by_me = status.following;
                            p.follower_count = status.follower_count;
                            profile.set(Load::Ready(p));
                        }
                    }
                    Err(e) => toaster.api(&e),
                }
                follow_busy.set(false);
            });
        })
    };

    let on_intro_saved = {
        let profile = profile.clone();
        let session = session.dispatcher();
        Callback::from(move |me: onair_shared::api::Me| {
            if let Load::Ready(p) = &*profile {
                let mut p = p.clone();
                p.intro = me.intro.clone();
                profile.set(Load::Ready(p));
            }
            session.dispatch(SessionAction::User(me));
        })
    };

    let history_items = (*history).clone();
    html! {
        <section class="page profile-page" data-user-id={p.id.to_string()}>
            <div class="panel profile-card">
                <Avatar name={p.name.clone()} url={p.avatar_url.clone().map(AttrValue::from)} class="avatar-xl" />
                <div class="profile-main">
                    <h1 id="profile-name">{ &p.name }</h1>
                    if mine {
                        <span class="tag tag-you">{ lang.t(Key::ThisIsYou) }</span>
                    }
                    <p id="profile-intro" class={classes!("profile-intro", p.intro.is_empty().then_some("intro-empty"))}>
                        { if p.intro.is_empty() { lang.t(Key::IntroNone).to_owned() } else { p.intro.clone() } }
                    </p>
                    <div class="follow-stats">
                        <Link<Route> to={Route::Followers { id: p.id }} classes="stat-link">
                            <strong id="follower-count">{ p.follower_count }</strong>
                            <span>{ lang.t(if p.follower_count == 1 { Key::Follower } else { Key::Followers }) }</span>
                        </Link<Route>>
                        <Link<Route> to={Route::Following { id: p.id }} classes="stat-link">
                            <strong id="following-count">{ p.following_count }</strong>
                            <span>{ lang.t(Key::Following) }</span>
                        </Link<Route>>
                    </div>
                </div>
                if !mine {
                    <button id="follow-button" type="button"
                        class={classes!("btn", if p.followed_by_me { "btn-ghost" } else { "btn-primary" }, "follow-button")}
                        aria-pressed={p.followed_by_me.to_string()}
                        data-following={p.followed_by_me.to_string()}
                        title={p.followed_by_me.then(|| lang.t(Key::Unfollow))}
                        disabled={*follow_busy} onclick={on_follow}>
                        { lang.t(if p.followed_by_me { Key::Following } else { Key::Follow }) }
                    </button>
                }
            </div>

            if mine {
                <IntroEditor intro={p.intro.clone()} on_saved={on_intro_saved} />
            }

            <div class="stats-grid">
                <div class="panel stat">
                    <span class="stat-label">{ lang.t(Key::CumulativeScore) }</span>
                    <strong id="cumulative-score" class="stat-value">{ format!("{:.2}", p.cumulative_score) }</strong>
                </div>
                <div class="panel stat">
                    <span class="stat-label">{ lang.t(Key::RankLabel) }</span>
                    <strong id="rank" class="stat-value" data-rank={p.rank.map(|r| r.to_string())}>
                        { p.rank.map_or_else(|| lang.t(Key::Unranked).to_owned(), |r| format!("#{r}")) }
                    </strong>
                </div>
                <div class="panel stat">
                    <span class="stat-label">{ lang.t(Key::ActsLabel) }</span>
                    <strong id="acts" class="stat-value">{ p.acts }</strong>
                </div>
            </div>

            <section class="panel trend-panel">
                <h2 class="panel-title">{ lang.t(Key::ScoreTrend) }</h2>
                if let Some(items) = &history_items {
                    <ScoreTrend history={items.clone()} />
                    if !items.is_empty() {
                        <h3 class="sub-title">{ lang.t(Key::RecentActs) }</h3>
                        <ul class="history">
                            { for items.iter().take(RECENT_ACTS).map(|a| html! {
                                <li class="history-row">
                                    <span class="history-date">{ ymd(a.date) }</span>
                                    <span class="history-room">{ &a.room_title }</span>
                                    <span class="history-score">
                                        { a.average.map_or_else(|| lang.t(Key::NoScore).to_owned(), |v| format!("{v:.2}")) }
                                    </span>
                                </li>
                            }) }
                        </ul>
                    }
                } else {
                    <p class="hint">{ lang.t(Key::Loading) }</p>
                }
            </section>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct IntroEditorProps {
    intro: String,
    on_saved: Callback<onair_shared::api::Me>,
}

/// My one-line intro: typed, checked as typed, saved with `PATCH /me`.
#[function_component(IntroEditor)]
fn intro_editor(props: &IntroEditorProps) -> Html {
    let lang = use_lang();
    let toaster = use_toaster();
    let draft = use_state(|| props.intro.clone());
    let busy = use_state(|| false);
    let saved = use_state(|| false);
    let server_error = use_state(|| None::<String>);
    let check = validate_intro(&draft);

    let on_input = {
        let draft = draft.clone();
        let saved = saved.clone();
        let server_error = server_error.clone();
        Callback::from(move |e: InputEvent| {
            draft.set(e.target_unchecked_into::<HtmlInputElement>().value());
            saved.set(false);
            server_error.set(None);
        })
    };
    let on_submit = {
        let draft = draft.clone();
        let busy = busy.clone();
        let saved = saved.clone();
        let server_error = server_error.clone();
        let on_saved = props.on_saved.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let Ok(intro) = validate_intro(&draft) else {
                return;
            };
            busy.set(true);
            let busy = busy.clone();
            let saved = saved.clone();
            let server_error = server_error.clone();
            let on_saved = on_saved.clone();
            let toaster = toaster.clone();
            let draft = draft.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::update_me(&UpdateMeRequest { intro }).await {
                    Ok(me) => {
                        draft.set(me.intro.clone());
                        saved.set(true);
                        on_saved.emit(me);
                    }
                    Err(err) => {
                        toaster.api(&err);
                        if !err.is_network() {
                            server_error.set(Some(err.message));
                        }
                    }
                }
                busy.set(false);
            });
        })
    };

    let count = draft.trim().chars().count();
    html! {
        <form class="panel intro-editor" onsubmit={on_submit} novalidate=true>
            <label class="field">
                <span class="label">
                    { lang.t(Key::IntroLabel) }
                    <span class={classes!("hint", (count > INTRO_MAX_CHARS).then_some("over"))} id="intro-count">
                        { format!("{count}/{INTRO_MAX_CHARS}") }
                    </span>
                </span>
                <div class="intro-row">
                    <input id="intro-input" type="text" autocomplete="off"
                        class={classes!(check.is_err().then_some("invalid"))}
                        placeholder={lang.t(Key::IntroPlaceholder)}
                        value={(*draft).clone()} oninput={on_input} />
                    <button id="intro-save" type="submit" class="btn btn-primary"
                        disabled={*busy || check.is_err()}>
                        { lang.t(if *busy { Key::IntroSaving } else { Key::IntroSave }) }
                    </button>
                </div>
            </label>
            if let Err(key) = check {
                <p id="intro-error" class="field-error" role="alert">{ lang.t(key) }</p>
            } else if let Some(msg) = (*server_error).clone() {
                <p id="intro-error" class="form-error" role="alert">{ msg }</p>
            } else if *saved {
                <p id="intro-saved" class="ok-text" role="status">{ lang.t(Key::IntroSaved) }</p>
            }
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intros_are_one_trimmed_line_of_at_most_150_characters() {
        assert_eq!(validate_intro("  hi  "), Ok("hi".into()));
        assert_eq!(validate_intro(""), Ok(String::new()));
        assert_eq!(validate_intro("a\tb"), Ok("a b".into()));
        let max = "가".repeat(INTRO_MAX_CHARS);
        assert_eq!(validate_intro(&max), Ok(max.clone()));
        assert_eq!(validate_intro(&format!(" {max} ")), Ok(max.clone()));
        assert_eq!(validate_intro(&format!("{max}a")), Err(Key::IntroTooLong));
    }
}
