//! The root component: wires the store, the keyboard, the theme and the
//! test hook, and lays out the page.

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

use super::cluster::Cluster;
use super::components::cap::CapPanel;
use super::components::dialogs::{HelpDialog, NoticeLine, ScenarioDialog, SettingsDialog};
use super::components::history::HistoryPanel;
use super::components::panels::{EventLog, Inspector, Invariants, StatusBar};
use super::components::protocol::{BoardPanel, GalleryDialog, StoryCard};
use super::components::ring::RingPanel;
use super::components::timetravel::TimeTravelPanel;
use super::components::topbar::TopBar;
use super::store::{Action, Store};
use super::{dom, hook};
use crate::keys::{shortcut, KeyPress};
use crate::model::{Msg, Overlay, Theme};

/// Seeds the "new seed" button; runs themselves are deterministic.
fn entropy() -> u64 {
    (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64 ^ dom::now_ms().to_bits()
}

#[function_component(App)]
pub fn app() -> Html {
    // The run in the URL or local storage, if any
    // The language first: opening a link may say something
    let store = use_reducer_eq(|| {
        super::lang::preset();
        let mut model = super::permalink::initial_model(entropy());
        if let Some(mb) = super::memory::saved_budget() {
            model.update(Msg::SetMemoryBudget(mb));
        }
        Store::new(model)
    });
    let send: Callback<Msg> = {
        let dispatcher = store.dispatcher();
        Callback::from(move |msg| match msg {
            // The gallery file and the entry's scenario files come on
            // first use: the entry opens when they are here (or the model
            // says why it cannot).
            Msg::OpenGallery(ref id)
                if !crate::gallery::ready() || !crate::gallery::missing_for(id).is_empty() =>
            {
                let dispatcher = dispatcher.clone();
                let id = id.clone();
                let scenarios = move |_| {
                    let missing = crate::gallery::missing_for(&id);
                    super::fetch::scenarios(missing, move || dispatcher.dispatch(Action::Do(msg)));
                };
                if crate::gallery::ready() {
                    scenarios(Ok(()));
                } else {
                    super::fetch::once(
                        crate::gallery::GALLERY_FILE,
                        crate::gallery::install,
                        scenarios,
                    );
                }
            }
            msg => dispatcher.dispatch(Action::Do(msg)),
        })
    };
    let refresh: Callback<()> = {
        let dispatcher = store.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(Action::Refresh))
    };

    // Keyboard shortcuts, for the whole page.
    {
        let send = send.clone();
        use_effect_with((), move |_| {
            let options = EventListenerOptions::enable_prevent_default();
            let listener = EventListener::new_with_options(
                &dom::document(),
                "keydown",
                options,
                move |event| {
                    let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    let target = event
                        .target()
                        .and_then(|t| t.dyn_into::<HtmlElement>().ok());
                    let tag = target.as_ref().map(|t| t.tag_name()).unwrap_or_default();
                    let key = event.key();
                    let press = KeyPress {
                        key: &key,
                        modified: event.ctrl_key() || event.meta_key() || event.alt_key(),
                        on_canvas: target.as_ref().is_some_and(|t| t.id() == "cluster"),
                        in_field: matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT"),
                        on_button: matches!(tag.as_str(), "BUTTON" | "A" | "SUMMARY"),
                    };
                    if let Some(msg) = shortcut(press) {
                        event.prevent_default();
                        send.emit(msg);
                    }
                },
            );
            move || drop(listener)
        });
    }

    // The theme: the person's choice if they made one, else the system's,
    // followed live.
    {
        let theme = store.panel.theme;
        use_effect_with(theme, move |theme| {
            let listener = match theme {
                Some(t) => {
                    dom::set_page_theme(*t == Theme::Dark);
                    None
                }
                None => {
                    dom::set_page_theme(dom::system_prefers_dark());
                    dom::window()
                        .match_media("(prefers-color-scheme: dark)")
                        .ok()
                        .flatten()
                        .map(|query| {
                            EventListener::new(&query, "change", |_| {
                                dom::set_page_theme(dom::system_prefers_dark())
                            })
                        })
                }
            };
            move || drop(listener)
        });
    }

    {
        let model = store.model.clone();
        let send = send.clone();
        use_effect_with((), move |_| hook::install(model, send));
    }

    // The language's text may still be on its way: `<html lang>` follows
    // the text shown, and its arrival refreshes the panels.
    {
        let refresh = refresh.clone();
        use_effect_with(
            (store.panel.lang, store.panel.shown_lang()),
            move |(asked, shown)| {
                super::lang::show(*shown);
                if shown != asked {
                    super::lang::fetch(*asked, move || refresh.emit(()));
                }
            },
        );
    }

    {
        let model = store.model.clone();
        let send = send.clone();
        use_effect_with((), move |_| super::permalink::install(model, send));
    }
    let embed = store.model.0.borrow().embed.clone();
    if let Some(embed) = embed {
        return html! {
            <super::components::embed::EmbedView model={store.model.clone()} panel={store.panel.clone()}
                send={send.clone()} {refresh} {embed} />
        };
    }

    let panel = store.panel.clone();
    html! {
        <div class="shell">
            <TopBar panel={panel.clone()} send={send.clone()} />
            <main class="stage">
                <section class="view" aria-label={crate::i18n::t("Cluster")}>
                    <div class="view-switch">
                        <button type="button" class="btn" id="view-switch" aria-pressed={panel.ring_view.to_string()}
                            onclick={ { let send = send.clone(); Callback::from(move |_: MouseEvent| send.emit(Msg::ToggleRingView)) } }
                            title={crate::i18n::t("Switch between the cluster and the consistent-hashing ring (O)")}>
                            { if panel.ring_view { crate::i18n::t("Cluster view") } else { crate::i18n::t("Ring view") } }
                        </button>
                    </div>
                    if panel.ring_view {
                        <RingPanel model={store.model.clone()} panel={panel.clone()} send={send.clone()} />
                    }
                    <div class="cluster-wrap" hidden={panel.ring_view}>
                        <Cluster model={store.model.clone()} panel={panel.clone()} send={send.clone()} {refresh} />
                    </div>
                    <StatusBar panel={panel.clone()} />
                </section>
                <aside class="side" aria-label={crate::i18n::t("Details")}>
                    <super::components::tour::TourPanel model={store.model.clone()} panel={panel.clone()} send={send.clone()} />
                    <StoryCard panel={panel.clone()} send={send.clone()} />
                    <CapPanel model={store.model.clone()} panel={panel.clone()} send={send.clone()} />
                    <BoardPanel board={panel.board.clone()} lang={panel.shown_lang()} send={send.clone()} />
                    <Inspector panel={panel.clone()} send={send.clone()} />
                    <Invariants panel={panel.clone()} />
                    <HistoryPanel model={store.model.clone()} lang={panel.shown_lang()} />
                    <EventLog log={panel.log.clone()} lang={panel.shown_lang()} />
                </aside>
            </main>
            <TimeTravelPanel model={store.model.clone()} panel={panel.clone()} send={send.clone()} />
            {
                match panel.overlay {
                    Overlay::None => html! {},
                    Overlay::Help => html! { <HelpDialog send={send.clone()} /> },
                    Overlay::Settings => html! {
                        <SettingsDialog settings={panel.settings.clone()} notice={panel.notice.clone()} send={send.clone()} />
                    },
                    Overlay::Scenario => html! { <ScenarioDialog model={store.model.clone()} send={send.clone()} /> },
                    Overlay::Gallery => html! { <GalleryDialog send={send.clone()} /> },
                    Overlay::Explorer => html! { <super::components::explorer::ExplorerDialog model={store.model.clone()} send={send.clone()} /> },
                }
            }
            if let Some(notice) = panel.notice.clone() {
                <NoticeLine {notice} send={send.clone()} />
            }
        </div>
    }
}
