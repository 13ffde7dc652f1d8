//! The protocol menu, the protocol board (each node in its protocol's
//! words, transactions and votes, the cost per decision), the story of
//! the gallery entry on screen, and the gallery dialog.

use std::rc::Rc;

use yew::prelude::*;

use super::dialogs::DialogFrame;
use crate::board::{format_span, Board};
use crate::i18n::{t, t_dyn, tf};
use crate::model::{Msg, Overlay};
use crate::panel::{format_time, Panel};
use crate::web::dom;

#[derive(Properties, PartialEq)]
pub struct ProtocolProps {
    pub panel: Rc<Panel>,
    pub send: Callback<Msg>,
}

/// A select of every protocol: choosing one starts a fresh run of it.
#[function_component(ProtocolPicker)]
pub fn protocol_picker(props: &ProtocolProps) -> Html {
    let current = props.panel.board.choice;
    let onchange = {
        let send = props.send.clone();
        Callback::from(move |e: Event| {
            if let Some(choice) = crate::protocols::from_id(&dom::target_value(&e)) {
                send.emit(Msg::SetProtocol(choice));
            }
        })
    };
    html! {
        <label class="field-inline protocol-pick" title={t("The protocol to simulate (P: next)")}>
            <select id="protocol" aria-label={t("Protocol")} {onchange}>
                { for crate::protocols::all().into_iter().map(|c| html! {
                    <option value={c.id()} selected={c == current}>{t_dyn(c.label())}</option>
                }) }
            </select>
        </label>
    }
}

fn role_class(role: splitbrain_core::protocol::RoleKind) -> &'static str {
    use splitbrain_core::protocol::RoleKind;
    match role {
        RoleKind::Follower => "role-text follower",
        RoleKind::Candidate => "role-text candidate",
        RoleKind::Leader => "role-text leader",
        RoleKind::Down => "role-text down",
    }
}

#[derive(Properties, PartialEq)]
pub struct BoardProps {
    pub board: Rc<Board>,
    /// The language its words are in.
    pub lang: crate::i18n::Lang,
    pub send: Callback<Msg>,
}

/// Every node in one table, in the protocol's own terms. Only the board
/// and the language take part in its props, so it re-renders only when
/// they change.
#[function_component(BoardPanel)]
pub fn board_panel(props: &BoardProps) -> Html {
    let board = &props.board;
    let send = &props.send;
    let commit = board.choice.is_commit();
    let vote_column = board.vote_column();
    let start = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(Msg::StartTransaction))
    };
    let vote = |node: splitbrain_core::NodeId, yes: bool| {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(Msg::SetVote { node, yes }))
    };
    let cost = &board.cost;
    html! {
        <section class="panel board" aria-labelledby="board-title" data-protocol={board.choice.id()}>
            <h2 id="board-title">{t_dyn(board.title)}</h2>
            <p class="note legend-text">{t_dyn(board.legend)}</p>
            if commit {
                <div class="actions">
                    <button type="button" class="btn primary" id="start-txn" onclick={start}
                        title={t("A client asks the coordinator (n0) to run a transaction")}>
                        {t("Start transaction")}
                    </button>
                </div>
            }
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>
                            <th>{t("node")}</th>
                            { for board.columns.iter().map(|c| html! { <th>{t_dyn(c)}</th> }) }
                        </tr>
                    </thead>
                    <tbody>
                        { for board.rows.iter().map(|row| {
                            let node = row.node;
                            html! {
                                <tr data-node={node.0.to_string()} data-role={row.role_label}
                                    data-in-doubt-micros={row.in_doubt_for.map(|s| s.0.to_string())}>
                                    <td>{format!("n{}", node.0)}</td>
                                    { for row.cells.iter().enumerate().map(|(i, cell)| {
                                        if i == 0 {
                                            html! { <td class={role_class(row.role)}>{t_dyn(cell)}</td> }
                                        } else if vote_column == Some(i) && row.votes {
                                            // The vote, as a choice: pressed is how it will vote.
                                            html! {
                                                <td class="vote">
                                                    <span role="group" aria-label={tf("Vote of n{0}", &[&node.0])} title={cell.clone()}>
                                                        <button type="button" class="btn small" aria-pressed={(row.vote == Some(true)).to_string()}
                                                            onclick={vote(node, true)}>{t("yes")}</button>
                                                        <button type="button" class="btn small" aria-pressed={(row.vote == Some(false)).to_string()}
                                                            onclick={vote(node, false)}>{t("no")}</button>
                                                    </span>
                                                </td>
                                            }
                                        } else {
                                            html! { <td>{cell}</td> }
                                        }
                                    }) }
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
            { for board.rows.iter().filter_map(|row| row.in_doubt_for.map(|d| (row.node, d))).map(|(node, d)| html! {
                <p class="in-doubt" data-node={node.0.to_string()}>
                    {tf("n{0} has been in doubt for {1}: it voted yes and may not decide alone until it hears the outcome.", &[&node.0, &format_span(d)])}
                </p>
            }) }
            <p class="cost" id="cost">
                {tf("Per decided {0}: ", &[&t_dyn(board.decision)])}<b>{cost.summary()}</b>
                <span class="note">{tf(" ({0} decided, {1} messages, {2} B in all)", &[&cost.decided, &cost.sent, &cost.bytes])}</span>
            </p>
        </section>
    }
}

/// The gallery entry on screen: what to look at, and why.
#[function_component(StoryCard)]
pub fn story_card(props: &ProtocolProps) -> Html {
    let Some(story) = &props.panel.story else {
        return html! {};
    };
    let open = {
        let send = props.send.clone();
        Callback::from(move |_: MouseEvent| send.emit(Msg::ShowOverlay(Overlay::Gallery)))
    };
    html! {
        <section class="panel story" aria-labelledby="story-title" data-gallery={story.id.clone()}>
            <h2 id="story-title">{t("Gallery")}</h2>
            <p class="story-title"><strong>{crate::gallery::localized(&story.title, story.title_zh.as_deref())}</strong></p>
            <p>{crate::gallery::localized(&story.explanation, story.explanation_zh.as_deref())}</p>
            <p class="note">{tf("The moment to watch: {0}.", &[&format_time(story.moment)])}</p>
            <button type="button" class="btn" onclick={open}>{t("Other scenarios…")}</button>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct GalleryProps {
    pub send: Callback<Msg>,
}

/// Every curated scenario; choosing one loads it and jumps to its moment.
/// The gallery file is fetched the first time the dialog opens.
#[function_component(GalleryDialog)]
pub fn gallery_dialog(props: &GalleryProps) -> Html {
    // None while the file is on its way, then whether it came.
    let loaded = use_state(|| crate::gallery::ready().then_some(true));
    {
        let loaded = loaded.clone();
        use_effect_with((), move |_| {
            if loaded.is_none() {
                crate::web::fetch::once(
                    crate::gallery::GALLERY_FILE,
                    crate::gallery::install,
                    move |result| loaded.set(Some(result.is_ok())),
                );
            }
        });
    }
    let entries = match (*loaded, crate::gallery::gallery()) {
        (Some(true), Some(gallery)) => html! {
            <ul class="gallery" aria-label={t("Scenarios")}>
                { for gallery.entries.iter().map(|e| {
                    let send = props.send.clone();
                    let id = e.id.clone();
                    let label = crate::protocols::from_id(&e.protocol).map_or(e.protocol.as_str(), |c| t_dyn(c.label()));
                    html! {
                        <li>
                            <button type="button" class="gallery-entry" data-gallery={e.id.clone()}
                                onclick={Callback::from(move |_: MouseEvent| send.emit(Msg::OpenGallery(id.clone())))}>
                                <span class="gallery-head">
                                    <strong>{crate::gallery::localized(&e.title, e.title_zh.as_deref())}</strong>
                                    <span class="badge">{label}</span>
                                </span>
                                <span class="gallery-text">{crate::gallery::localized(&e.explanation, e.explanation_zh.as_deref())}</span>
                                <span class="note">{tf("Jumps to {0}", &[&format_time(e.moment)])}</span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
        },
        (None, _) => html! { <p class="note" role="status">{t("Loading the gallery…")}</p> },
        _ => {
            html! { <p class="note" role="alert">{t("The gallery could not be loaded. Check the connection and open it again.")}</p> }
        }
    };
    html! {
        <DialogFrame title={t("Gallery")} send={props.send.clone()}>
            <p class="note">
                {t("Textbook situations and failures, each at the moment worth watching. Choose one: it loads, runs to that moment and pauses.")}
            </p>
            {entries}
        </DialogFrame>
    }
}
