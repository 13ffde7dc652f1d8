//! "Copy link" and "Embed": the run as a link to send, or as an iframe
//! for a page. Both read the live model when used (see
//! [`crate::web::permalink`]), so they need no props and re-render only
//! for their own feedback.

use gloo::timers::callback::Timeout;
use yew::prelude::*;

use crate::i18n::{t, t_dyn};
use crate::link::{controls, iframe_snippet, Embed};
use crate::model::Theme;
use crate::web::dom;
use crate::web::permalink::{copy_text, page_address, with_model};

/// A chain link and an angle-bracket pair: the top bar is full, so the two
/// buttons are icons with names for assistive tech and a tooltip.
fn svg(path: &'static str) -> Html {
    html! {
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path fill-rule="evenodd" d={path} />
        </svg>
    }
}
const LINK_ICON: &str = "M10.6 13.4a1 1 0 0 1 0-1.4l3.5-3.5a1 1 0 1 1 1.4 1.4L12 13.4a1 1 0 0 1-1.4 0zM8.5 11.5 6 14a2.8 2.8 0 0 0 4 4l2.5-2.5 1.4 1.4-2.5 2.5a4.8 4.8 0 0 1-6.8-6.8l2.5-2.5zm7 1 1.4 1.4L19.4 11.4a4.8 4.8 0 0 0-6.8-6.8L10.1 7.1l1.4 1.4L14 6a2.8 2.8 0 0 1 4 4z";
const EMBED_ICON: &str =
    "M8.7 6.3 3 12l5.7 5.7 1.4-1.4L5.8 12l4.3-4.3zm6.6 0-1.4 1.4 4.3 4.3-4.3 4.3 1.4 1.4L21 12z";

/// How long "Copied" stays up.
const FEEDBACK_MS: u32 = 2_500;

/// A copy button's feedback: nothing yet, copied, or refused.
#[hook]
fn use_copy_feedback() -> (UseStateHandle<Option<bool>>, Callback<bool>) {
    let state = use_state(|| None::<bool>);
    let report = {
        let state = state.clone();
        Callback::from(move |ok: bool| {
            state.set(Some(ok));
            let state = state.clone();
            Timeout::new(FEEDBACK_MS, move || state.set(None)).forget();
        })
    };
    (state, report)
}

#[function_component(ShareTools)]
pub fn share_tools() -> Html {
    let (copied, report) = use_copy_feedback();
    let open = use_state(|| false);
    let oncopy = Callback::from(move |_: MouseEvent| {
        if let Some(text) = with_model(|m| m.link_text()) {
            copy_text(&format!("{}#{text}", page_address()), report.clone());
        }
    });
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let close = {
        let open = open.clone();
        Callback::from(move |()| open.set(false))
    };
    let status = match *copied {
        Some(true) => t("Link copied"),
        Some(false) => t("Could not copy: the link is in the address bar"),
        None => "",
    };
    html! {
        <>
            <button type="button" class="btn icon" id="copy-link" onclick={oncopy} aria-label={t("Copy link")}
                title={t("Copy a link to this run: every action so far, the time and the speed")}>
                {svg(LINK_ICON)}
            </button>
            <button type="button" class="btn icon" id="embed-open" onclick={toggle} aria-label={t("Embed")}
                aria-expanded={open.to_string()} aria-haspopup="dialog"
                title={t("Embed: an iframe snippet that shows this run on another page")}>
                {svg(EMBED_ICON)}
            </button>
            <span class="share-status" role="status" aria-live="polite">{status}</span>
            if *open {
                <EmbedDialog onclose={close} />
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct EmbedDialogProps {
    pub onclose: Callback<()>,
}

/// The embed options and the snippet they give.
#[derive(Clone, PartialEq)]
struct Options {
    embed: Embed,
    from_start: bool,
    width: u32,
    height: u32,
}

#[function_component(EmbedDialog)]
fn embed_dialog(props: &EmbedDialogProps) -> Html {
    let options = use_state(|| Options {
        embed: Embed::default(),
        from_start: true,
        width: 640,
        height: 400,
    });
    let (copied, report) = use_copy_feedback();
    let first = use_node_ref();
    {
        let first = first.clone();
        use_effect_with((), move |_| dom::focus(first.cast::<web_sys::Element>()));
    }
    let snippet = with_model(|m| {
        let start = if options.from_start {
            splitbrain_core::Time::ZERO
        } else {
            m.sim().now()
        };
        let text = m.embed_link_text(options.embed.clone(), start);
        iframe_snippet(
            &page_address(),
            &text,
            m.title(),
            options.width,
            options.height,
        )
    })
    .unwrap_or_default();

    let flag = |label: &'static str,
                id: &'static str,
                get: fn(&Options) -> bool,
                set: fn(&mut Options, bool)| {
        let options = options.clone();
        let checked = get(&options);
        let onchange = Callback::from(move |e: Event| {
            let on = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked());
            let mut next = (*options).clone();
            set(&mut next, on);
            options.set(next);
        });
        html! {
            <label class="check"><input type="checkbox" {id} {checked} {onchange} />{t_dyn(label)}</label>
        }
    };
    let control = |bit: u64, name: &'static str| {
        let options = options.clone();
        let checked = options.embed.controls & bit != 0;
        let onchange = Callback::from(move |_: Event| {
            let mut next = (*options).clone();
            next.embed.controls ^= bit;
            options.set(next);
        });
        html! {
            <label class="check"><input type="checkbox" {checked} {onchange} />{t_dyn(name)}</label>
        }
    };
    let ontheme = {
        let options = options.clone();
        Callback::from(move |e: Event| {
            let mut next = (*options).clone();
            next.embed.theme = match dom::target_value(&e).as_str() {
                "light" => Some(Theme::Light),
                "dark" => Some(Theme::Dark),
                _ => None,
            };
            options.set(next);
        })
    };
    let size = |get: fn(&Options) -> u32, set: fn(&mut Options, u32), label: &'static str| {
        let options = options.clone();
        let value = get(&options).to_string();
        let onchange = Callback::from(move |e: Event| {
            if let Ok(n) = dom::target_value(&e).parse::<u32>() {
                let mut next = (*options).clone();
                set(&mut next, n.clamp(120, 4000));
                options.set(next);
            }
        });
        html! {
            <label class="field-inline">{t_dyn(label)}
                <input type="number" min="120" max="4000" step="10" {value} {onchange} />
            </label>
        }
    };
    let oncopy = {
        let snippet = snippet.clone();
        Callback::from(move |_: MouseEvent| copy_text(&snippet, report.clone()))
    };
    let close = {
        let onclose = props.onclose.clone();
        Callback::from(move |_: MouseEvent| onclose.emit(()))
    };
    let onkeydown = {
        let onclose = props.onclose.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                // Ours, not the page's: the page's Escape would act on the run.
                e.stop_propagation();
                onclose.emit(());
            }
        })
    };
    let onbackdrop = {
        let onclose = props.onclose.clone();
        Callback::from(move |e: MouseEvent| {
            if e.target() == e.current_target() {
                onclose.emit(());
            }
        })
    };
    let theme = match options.embed.theme {
        None => "auto",
        Some(Theme::Light) => "light",
        Some(Theme::Dark) => "dark",
    };
    html! {
        <div class="backdrop" onclick={onbackdrop} {onkeydown}>
            <div class="dialog embed-dialog" role="dialog" aria-modal="true" aria-labelledby="embed-title-h">
                <header>
                    <h2 id="embed-title-h">{t("Embed this run")}</h2>
                    <button type="button" class="btn icon" aria-label={t("Close")} ref={first} onclick={close}>{"✕"}</button>
                </header>
                <p class="note">{t("Paste this into a page. The frame shows only the cluster and a small bar, and loads nothing but the app itself.")}</p>
                <div class="embed-options">
                    {flag(t("Autoplay"), "embed-autoplay", |o| o.embed.autoplay, |o, v| o.embed.autoplay = v)}
                    {flag(t("Loop"), "embed-loop", |o| o.embed.looped, |o, v| o.embed.looped = v)}
                    {flag(t("Start from the beginning"), "embed-from-start", |o| o.from_start, |o, v| o.from_start = v)}
                    <label class="field-inline">{t("Theme")}
                        <select onchange={ontheme} value={theme}>
                            <option value="auto" selected={theme == "auto"}>{t("Reader's")}</option>
                            <option value="light" selected={theme == "light"}>{t("Light")}</option>
                            <option value="dark" selected={theme == "dark"}>{t("Dark")}</option>
                        </select>
                    </label>
                    {size(|o| o.width, |o, v| o.width = v, t("Width"))}
                    {size(|o| o.height, |o, v| o.height = v, t("Height"))}
                </div>
                <fieldset class="embed-controls">
                    <legend>{t("Controls")}</legend>
                    { for controls::NAMES.iter().map(|(bit, name)| control(*bit, name)) }
                </fieldset>
                <textarea id="embed-snippet" class="snippet" readonly=true aria-label={t("Embed snippet")}
                    spellcheck="false" value={snippet} />
                <footer>
                    <span class="share-status" role="status" aria-live="polite">
                        { match *copied { Some(true) => t("Snippet copied"), Some(false) => t("Could not copy: select the text and copy it"), None => "" } }
                    </span>
                    <button type="button" class="btn primary" id="embed-copy" onclick={oncopy}>{t("Copy snippet")}</button>
                </footer>
            </div>
        </div>
    }
}
