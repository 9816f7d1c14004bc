use crate::components::avatar::{Avatar, UserLink};
use crate::components::video::VideoTile;
use crate::context::use_lang;
use crate::i18n::Key;
use crate::video::VideoView;
use onair_shared::protocol::{Phase, RoomSnapshot};
use onair_shared::UserId;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MemberListProps {
    pub room: Rc<RoomSnapshot>,
    pub you: Option<UserId>,
    /// Everyone's video (our own camera for our tile).
    #[prop_or_default]
    pub video: Rc<VideoView>,
}

/// Everyone in the room, in join order, as tiles beside the stage: camera (or picture when
/// there is no video), name linking to their page, host crown, on-air badge, presence, and
/// their act's mean score under the name once scored.
///
/// `.member-video` carries `data-video` (`on` while a `<video>` is shown), `data-link` (the
/// call's state, for others) and `.mic-off` when their microphone is off.
#[function_component(MemberList)]
pub fn member_list(props: &MemberListProps) -> Html {
    let lang = use_lang();
    let room = &props.room;
    html! {
        <section class="panel members" aria-label={lang.t(Key::MembersTitle)}>
            <h2 class="panel-title">
                { lang.t(Key::MembersTitle) }
                <span class="count">{ format!("{}/{}", room.members.len(), room.member_limit) }</span>
            </h2>
            <ul class="member-list">
                { for room.members.iter().map(|m| {
                    let is_host = m.id == room.host;
                    let is_you = Some(m.id) == props.you;
                    let on_air = room.phase == Phase::OnAir && room.performer == Some(m.id);
                    let presence = if m.online { Key::Online } else { Key::Offline };
                    let stream = props.video.video_of(m.id, props.you);
                    let remote = props.video.remotes.get(&m.id).filter(|_| !is_you);
                    let mic_off = if is_you {
                        !props.video.mic.is_on()
                    } else {
                        remote.is_some_and(|r| !r.mic)
                    };
                    let link = remote.map(|r| r.link.code());
                    let trouble = remote.is_some_and(|r| {
                        matches!(r.link, crate::video::plan::LinkState::Disconnected | crate::video::plan::LinkState::Failed)
                    });
                    html! {
                        <li key={m.id.0}
                            class={classes!(
                                "member",
                                if m.online { "online" } else { "offline" },
                                is_you.then_some("you"),
                                on_air.then_some("on-air"),
                                m.performed.then_some("performed"),
                            )}
                            data-user-id={m.id.to_string()}>
                            <div class={classes!("member-video", stream.is_some().then_some("has-video"))}
                                data-user-id={m.id.to_string()}
                                data-video={if stream.is_some() { "on" } else { "off" }}
                                data-link={link}
                                title={trouble.then(|| lang.t(Key::VideoTrouble))}>
                                <Avatar name={m.name.clone()}>
                                    <span class="presence" title={lang.t(presence)}></span>
                                </Avatar>
                                if let Some(stream) = stream {
                                    <VideoTile {stream} user={m.id} mirror={is_you} />
                                }
                                if mic_off && m.online {
                                    <span class="mic-off" title={lang.t(Key::MicOff)}
                                        aria-label={lang.t(Key::MicOff)}>{ "🔇" }</span>
                                }
                            </div>
                            <div class="member-main">
                                <span class="member-name">
                                    <UserLink id={m.id} name={m.name.clone()} new_tab=true />
                                    if is_host {
                                        <span class="crown" title={lang.t(Key::HostLabel)}
                                            aria-label={lang.t(Key::HostLabel)}>{ " 👑" }</span>
                                    }
                                </span>
                                if let Some(score) = m.score {
                                    <span class="member-score" data-score={format!("{score:.2}")}>
                                        { format!("{score:.2}") }<small>{ lang.t(Key::Points) }</small>
                                    </span>
                                }
                                <span class="member-tags">
                                    if is_you {
                                        <span class="tag tag-you">{ lang.t(Key::You) }</span>
                                    }
                                    if on_air {
                                        <span class="badge-onair">{ lang.t(Key::OnAirBadge) }</span>
                                    }
                                    if room.nominee == Some(m.id) {
                                        <span class="tag tag-next">{ lang.t(Key::UpNext) }</span>
                                    }
                                    if m.performed && m.score.is_none() && !on_air {
                                        <span class="tag">{ lang.t(Key::Performed) }</span>
                                    }
                                    if !m.online {
                                        <span class="tag tag-offline">{ lang.t(Key::Offline) }</span>
                                    }
                                </span>
                            </div>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
