use crate::app::Route;
use crate::context::{use_lang, use_session, use_toaster, SessionAction, ToastText};
use crate::i18n::Key;
use crate::services::api;
use onair_shared::api::{CreateRoomRequest, RoomView};
use onair_shared::room::{
    validate_description, validate_member_limit, validate_title, Category, Mode,
    DEFAULT_MEMBER_LIMIT, DESCRIPTION_MAX_CHARS, MAX_MEMBER_LIMIT, MIN_MEMBER_LIMIT,
    TITLE_MAX_CHARS,
};
use onair_shared::RoomId;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

/// The form as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomForm {
    pub title: String,
    pub description: String,
    pub category: Category,
    pub mode: Mode,
    /// As typed, so that "" or "abc" can be reported instead of silently replaced.
    pub member_limit: String,
}

impl Default for RoomForm {
    fn default() -> Self {
        RoomForm {
            title: String::new(),
            description: String::new(),
            category: Category::default(),
            mode: Mode::default(),
            member_limit: DEFAULT_MEMBER_LIMIT.to_string(),
        }
    }
}

/// Per-field messages; `None` where the field is fine.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FormErrors {
    pub title: Option<Key>,
    pub description: Option<Key>,
    pub member_limit: Option<Key>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none() && self.member_limit.is_none()
    }
}

/// Checks the form with the same validators the api-server uses and builds the request.
pub fn validate(form: &RoomForm) -> Result<CreateRoomRequest, FormErrors> {
    let mut errors = FormErrors::default();
    let title = validate_title(&form.title)
        .map_err(|_| {
            errors.title = Some(if form.title.trim().is_empty() {
                Key::TitleEmpty
            } else {
                Key::TitleTooLong
            })
        })
        .ok();
    let description = validate_description(&form.description)
        .map_err(|_| errors.description = Some(Key::DescriptionTooLong))
        .ok();
    let member_limit = form
        .member_limit
        .trim()
        .parse::<u8>()
        .ok()
        .and_then(|n| validate_member_limit(n).ok());
    if member_limit.is_none() {
        errors.member_limit = Some(Key::LimitRange);
    }
    match (title, description, member_limit) {
        (Some(title), Some(description), Some(limit)) if errors.is_empty() => {
            Ok(CreateRoomRequest {
                title,
                description,
                category: form.category,
                mode: form.mode,
                member_limit: Some(limit),
            })
        }
        _ => Err(errors),
    }
}

#[derive(Properties, PartialEq)]
pub struct CreateRoomFormProps {
    pub on_created: Callback<RoomView>,
}

/// "Open a room": title, description, category, mode, member limit.
#[function_component(CreateRoomForm)]
pub fn create_room_form(props: &CreateRoomFormProps) -> Html {
    let lang = use_lang();
    let toaster = use_toaster();
    let session = use_session();
    let form = use_state(RoomForm::default);
    // Field errors show after the first submit, then follow the typing.
    let submitted = use_state(|| false);
    let busy = use_state(|| false);
    let server_error = use_state(|| None::<ToastText>);
    // `room_already_open`: the host's room that is still open, to go back to.
    let open_room = use_state(|| None::<RoomId>);

    let errors = if *submitted {
        validate(&form).err().unwrap_or_default()
    } else {
        FormErrors::default()
    };

    let update = |f: fn(&mut RoomForm, String)| {
        let form = form.clone();
        let server_error = server_error.clone();
        move |value: String| {
            let mut next = (*form).clone();
            f(&mut next, value);
            form.set(next);
            server_error.set(None);
        }
    };
    let on_title = {
        let set = update(|f, v| f.title = v);
        Callback::from(move |e: InputEvent| {
            set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_description = {
        let set = update(|f, v| f.description = v);
        Callback::from(move |e: InputEvent| {
            set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_category = {
        let set = update(|f, v| f.category = Category::parse(&v).unwrap_or_default());
        Callback::from(move |e: Event| set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_mode = {
        let set = update(|f, v| f.mode = Mode::parse(&v).unwrap_or_default());
        Callback::from(move |e: Event| set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_limit = {
        let set = update(|f, v| f.member_limit = v);
        Callback::from(move |e: InputEvent| {
            set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };

    let on_submit = {
        let form = form.clone();
        let busy = busy.clone();
        let submitted = submitted.clone();
        let server_error = server_error.clone();
        let open_room = open_room.clone();
        let on_created = props.on_created.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            submitted.set(true);
            let Ok(req) = validate(&form) else {
                return;
            };
            busy.set(true);
            let busy = busy.clone();
            let server_error = server_error.clone();
            let open_room = open_room.clone();
            let on_created = on_created.clone();
            let toaster = toaster.clone();
            let session = session.clone();
            let form = form.clone();
            let submitted = submitted.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::create_room(&req).await {
                    Ok(room) => {
                        form.set(RoomForm::default());
                        submitted.set(false);
                        on_created.emit(room);
                    }
                    Err(err) => {
                        toaster.api(&err);
                        if err.is_unauthorized() {
                            session.dispatch(SessionAction::LoggedOut);
                        } else {
                            open_room.set(err.room.filter(|_| {
                                err.code == onair_shared::api::ApiErrorCode::RoomAlreadyOpen
                            }));
                            server_error.set(Some(ToastText::from_api(&err)));
                        }
                    }
                }
                busy.set(false);
            });
        })
    };

    let field_error = |key: Option<Key>| match key {
        Some(k) => html! { <p class="field-error">{ lang.t(k) }</p> },
        None => html! {},
    };
    let title_len = form.title.trim().chars().count();

    html! {
        <form class="panel create-room" onsubmit={on_submit} novalidate=true>
            <h2 class="panel-title">{ lang.t(Key::CreateTitle) }</h2>

            <label class="field">
                <span class="label">
                    { lang.t(Key::FieldTitle) }
                    <span class="hint">{ format!("{title_len}/{TITLE_MAX_CHARS}") }</span>
                </span>
                <input id="create-room-title" type="text" autocomplete="off"
                    class={classes!(errors.title.is_some().then_some("invalid"))}
                    placeholder={lang.t(Key::FieldTitlePlaceholder)}
                    value={form.title.clone()} oninput={on_title} />
                { field_error(errors.title) }
            </label>

            <label class="field">
                <span class="label">{ lang.t(Key::FieldDescription) }</span>
                <textarea id="create-room-description" rows="2"
                    class={classes!(errors.description.is_some().then_some("invalid"))}
                    placeholder={lang.t(Key::FieldDescriptionPlaceholder)}
                    value={form.description.clone()} oninput={on_description} />
                { field_error(errors.description) }
            </label>

            <div class="field-row">
                <label class="field">
                    <span class="label">{ lang.t(Key::FieldCategory) }</span>
                    <select id="create-room-category" onchange={on_category}>
                        { for Category::ALL.into_iter().map(|c| html! {
                            <option value={c.as_str()} selected={c == form.category}>
                                { lang.category(c) }
                            </option>
                        }) }
                    </select>
                </label>
                <label class="field">
                    <span class="label">{ lang.t(Key::FieldMode) }</span>
                    <select id="create-room-mode" onchange={on_mode}>
                        { for Mode::ALL.into_iter().map(|m| html! {
                            <option value={m.as_str()} selected={m == form.mode}>{ lang.mode(m) }</option>
                        }) }
                    </select>
                </label>
                <label class="field field-narrow">
                    <span class="label">{ lang.t(Key::FieldLimit) }</span>
                    <input id="create-room-limit" type="number" inputmode="numeric"
                        min={MIN_MEMBER_LIMIT.to_string()} max={MAX_MEMBER_LIMIT.to_string()}
                        class={classes!(errors.member_limit.is_some().then_some("invalid"))}
                        value={form.member_limit.clone()} oninput={on_limit} />
                </label>
            </div>
            { field_error(errors.member_limit) }
            <p class="hint mode-hint">
                { lang.t(if form.mode == Mode::Rank { Key::ModeRankHint } else { Key::ModeNormalHint }) }
            </p>
            if form.description.chars().count() > DESCRIPTION_MAX_CHARS - 50 {
                <p class="char-count">{ format!("{}/{DESCRIPTION_MAX_CHARS}", form.description.chars().count()) }</p>
            }
            if let Some(msg) = (*server_error).clone() {
                <p id="create-room-error" class="form-error" role="alert">{ msg.render(lang) }</p>
            }
            if let Some(room) = *open_room {
                <Link<Route> to={Route::Room { id: room }} classes="btn btn-ghost btn-block open-room-link">
                    <span id="go-to-open-room">{ lang.t(Key::GoToOpenRoom) }</span>
                </Link<Route>>
            }
            <button id="create-room-submit" type="submit" class="btn btn-primary btn-block" disabled={*busy}>
                { lang.t(if *busy { Key::Creating } else { Key::CreateSubmit }) }
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(title: &str, description: &str, limit: &str) -> RoomForm {
        RoomForm {
            title: title.into(),
            description: description.into(),
            member_limit: limit.into(),
            ..RoomForm::default()
        }
    }

    #[test]
    fn a_good_form_becomes_a_trimmed_request() {
        let mut f = form("  Friday night  ", " songs ", "4");
        f.category = Category::Singing;
        f.mode = Mode::Rank;
        let req = validate(&f).unwrap();
        assert_eq!(req.title, "Friday night");
        assert_eq!(req.description, "songs");
        assert_eq!(req.category, Category::Singing);
        assert_eq!(req.mode, Mode::Rank);
        assert_eq!(req.member_limit, Some(4));
    }

    #[test]
    fn defaults_are_valid_once_titled() {
        let req = validate(&form("x", "", &DEFAULT_MEMBER_LIMIT.to_string())).unwrap();
        assert_eq!(req.member_limit, Some(DEFAULT_MEMBER_LIMIT));
        assert_eq!(req.category, Category::Free);
        assert_eq!(req.mode, Mode::Normal);
    }

    #[test]
    fn each_field_reports_its_own_error() {
        let e = validate(&form("   ", &"d".repeat(501), "13")).unwrap_err();
        assert_eq!(e.title, Some(Key::TitleEmpty));
        assert_eq!(e.description, Some(Key::DescriptionTooLong));
        assert_eq!(e.member_limit, Some(Key::LimitRange));

        let e = validate(&form(&"노".repeat(61), "", "8")).unwrap_err();
        assert_eq!(
            e,
            FormErrors {
                title: Some(Key::TitleTooLong),
                ..FormErrors::default()
            }
        );
        assert!(validate(&form(&"노".repeat(60), &"d".repeat(500), "12")).is_ok());
    }

    #[test]
    fn member_limit_must_be_a_number_in_range() {
        for bad in ["", "abc", "1", "0", "-3", "300", "2.5"] {
            let e = validate(&form("t", "", bad)).unwrap_err();
            assert_eq!(e.member_limit, Some(Key::LimitRange), "{bad:?}");
        }
        for good in ["2", " 12 ", "7"] {
            assert!(validate(&form("t", "", good)).is_ok(), "{good:?}");
        }
    }
}
