//! The tour panel: the caption for the instant on screen, Continue,
//! Previous and Next, and a small editor to write captions on any run.
//! Caption text is always a text node, never markup.

use std::rc::Rc;

use yew::prelude::*;

use crate::i18n::{t, tf};
use crate::model::{Msg, TourMsg};
use crate::panel::{format_time, Panel};
use crate::web::dom;
use crate::web::store::ModelRef;

#[derive(Properties, PartialEq)]
pub struct TourProps {
    pub model: ModelRef,
    pub panel: Rc<Panel>,
    pub send: Callback<Msg>,
}

#[function_component(TourPanel)]
pub fn tour_panel(props: &TourProps) -> Html {
    let _ = &props.panel; // re-rendered as time moves
    let view = props.model.0.borrow().tour_view();
    // Editing captions while paused changes nothing the panels show, so
    // the store would not re-render this component: it asks itself.
    let force = use_force_update();
    let draft = use_state(String::new);
    let send: Callback<Msg> = {
        let (outer, force) = (props.send.clone(), force.clone());
        Callback::from(move |msg: Msg| {
            outer.emit(msg);
            force.force_update();
        })
    };
    let tour = |msg: TourMsg| {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(Msg::Tour(msg.clone())))
    };
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| draft.set(dom::target_value(&e)))
    };
    let onsubmit = {
        let (send, draft) = (send.clone(), draft.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            send.emit(Msg::Tour(TourMsg::Add((*draft).clone())));
            draft.set(String::new());
        })
    };
    let count = view.captions.len();
    let here = view.current.filter(|&i| view.captions[i].at == view.now);
    let caption = match view.current {
        Some(i) => {
            let c = &view.captions[i];
            html! {
                <figure class="caption" aria-live="polite">
                    <figcaption class="caption-meta">
                        { tf("Caption {0} of {1} · at {2}", &[&(i + 1), &count, &format_time(c.at)]) }
                    </figcaption>
                    <p class="caption-text">{ c.text.clone() }</p>
                </figure>
            }
        }
        None if count > 0 => html! {
            <p class="empty">{ tf("{0} captions; the first at {1}.", &[&count, &format_time(view.captions[0].at)]) }</p>
        },
        None => html! {},
    };
    let empty = draft.trim().is_empty();
    let edit = here.map(|i| {
        let (send, draft) = (send.clone(), draft.clone());
        let onsave = Callback::from(move |_: MouseEvent| {
            send.emit(Msg::Tour(TourMsg::Edit(i, (*draft).clone())));
            draft.set(String::new());
        });
        html! {
            <>
                <button type="button" class="btn" onclick={onsave} disabled={empty}>{ t("Save as this caption") }</button>
                <button type="button" class="btn" onclick={tour(TourMsg::Delete(i))}>{ t("Delete caption") }</button>
            </>
        }
    });
    html! {
        <section class="panel tour" aria-label={t("Tour")}>
            <h2>{ t("Tour") }</h2>
            { caption }
            if count > 0 {
                <div class="tour-nav">
                    <button type="button" class="btn" onclick={tour(TourMsg::Previous)}
                        title={t("Previous caption ({)")}>{ t("◀ Previous") }</button>
                    <button type="button" class={classes!("btn", view.waiting.then_some("primary"))}
                        onclick={tour(TourMsg::Continue)} disabled={!view.waiting}
                        title={t("Play on (Space)")}>{ t("Continue") }</button>
                    <button type="button" class="btn" onclick={tour(TourMsg::Next)}
                        title={t("Next caption (})")}>{ t("Next ▶") }</button>
                </div>
            }
            <details class="tour-edit">
                <summary>{ t("Write a caption") }</summary>
                <form class="tour-form" {onsubmit}>
                    <input type="text" class="caption-input" aria-label={t("Caption text")}
                        maxlength={splitbrain_core::MAX_CAPTION_CHARS.to_string()}
                        placeholder={t("Now the leader is isolated…")} value={(*draft).clone()} {oninput} />
                    <button type="submit" class="btn" disabled={draft.trim().is_empty()}>
                        { tf("Add caption here ({0})", &[&format_time(view.now)]) }
                    </button>
                    { for edit }
                </form>
            </details>
        </section>
    }
}
