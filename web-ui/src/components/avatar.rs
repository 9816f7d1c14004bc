use crate::app::Route;
use crate::components::header::initial;
use onair_shared::UserId;
use yew::prelude::*;
use yew_router::prelude::*;

/// A stable hue (0–359) for a name, so each person's initial circle keeps its colour.
pub fn hue_of(name: &str) -> u32 {
    // FNV-1a: tiny and stable across builds.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.trim().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % 360
}

#[derive(Properties, PartialEq)]
pub struct AvatarProps {
    pub name: AttrValue,
    #[prop_or_default]
    pub url: Option<AttrValue>,
    /// Extra classes (`avatar-sm`, `avatar-lg`, `avatar-xl`).
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub children: Html,
}

/// The person's picture, or the first letter of their name in a coloured circle.
#[function_component(Avatar)]
pub fn avatar(props: &AvatarProps) -> Html {
    let style = format!("--hue: {}", hue_of(&props.name));
    match &props.url {
        Some(url) if !url.is_empty() => html! {
            <span class={classes!("avatar", "avatar-img", props.class.clone())} {style}>
                <img src={url.clone()} alt="" loading="lazy" referrerpolicy="no-referrer" />
                { props.children.clone() }
            </span>
        },
        _ => html! {
            // The letter is drawn by CSS (`data-initial`) so that a row's text is just the name.
            <span class={classes!("avatar", "avatar-initial", props.class.clone())} {style}
                data-initial={initial(&props.name)} aria-hidden="true">
                { props.children.clone() }
            </span>
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct UserLinkProps {
    pub id: UserId,
    pub name: AttrValue,
    #[prop_or_default]
    pub class: Classes,
    /// Opens the page in a new tab: used inside a room, where leaving the page would take
    /// the member off the show.
    #[prop_or_default]
    pub new_tab: bool,
}

/// A person's name, linking to their page.
#[function_component(UserLink)]
pub fn user_link(props: &UserLinkProps) -> Html {
    if props.new_tab {
        return html! {
            <a href={Route::User { id: props.id }.to_path()} target="_blank" rel="noopener"
                class={classes!("user-link", props.class.clone())}>
                { props.name.clone() }
            </a>
        };
    }
    html! {
        <Link<Route> to={Route::User { id: props.id }} classes={classes!("user-link", props.class.clone())}>
            { props.name.clone() }
        </Link<Route>>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hues_are_stable_and_in_range() {
        assert_eq!(hue_of("Alice"), hue_of(" Alice "));
        assert!(hue_of("노래왕") < 360);
        assert_ne!(hue_of("Alice"), hue_of("Bob"));
    }
}
