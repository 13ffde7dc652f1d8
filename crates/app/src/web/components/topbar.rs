//! The top bar: what runs, and how.

use std::rc::Rc;

use yew::prelude::*;

use crate::i18n::{t, tf};
use crate::model::{Msg, Overlay, SPEEDS};
use crate::panel::{format_speed, Panel};
use crate::web::components::protocol::ProtocolPicker;
use crate::web::{dom, icons};

#[derive(Properties, PartialEq)]
pub struct TopBarProps {
    pub panel: Rc<Panel>,
    pub send: Callback<Msg>,
}

#[function_component(TopBar)]
pub fn top_bar(props: &TopBarProps) -> Html {
    let panel = &props.panel;
    let send = &props.send;
    let on = |msg: Msg| {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(msg.clone()))
    };
    let speed_index = SPEEDS
        .iter()
        .position(|s| *s >= panel.speed * 0.9999)
        .unwrap_or(SPEEDS.len() - 1);
    let onspeed = {
        let send = send.clone();
        Callback::from(move |e: InputEvent| {
            if let Ok(i) = dom::target_value(&e).parse::<usize>() {
                if let Some(speed) = SPEEDS.get(i) {
                    send.emit(Msg::SetSpeed(*speed));
                }
            }
        })
    };
    // The size field is not controlled by the render: a refresh of the
    // panels while someone types would put the old number back. It is
    // updated when the cluster size actually changes.
    let nodes_ref = use_node_ref();
    {
        let nodes_ref = nodes_ref.clone();
        use_effect_with(panel.nodes, move |nodes| {
            if let Some(input) = nodes_ref.cast::<web_sys::HtmlInputElement>() {
                input.set_value(&nodes.to_string());
            }
        });
    }
    let onnodes = {
        let send = send.clone();
        let nodes = panel.nodes;
        Callback::from(move |e: Event| {
            let text = dom::target_value(&e);
            if crate::settings::parse_nodes(&text).is_err() {
                // Refused (the notice says why): show the size in use again.
                if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                    input.set_value(&nodes.to_string());
                }
            }
            send.emit(Msg::SetNodes(text));
        })
    };
    let ontheme = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| {
            send.emit(Msg::ToggleTheme {
                system_dark: dom::page_is_dark(),
            })
        })
    };
    let dark = dom::page_is_dark();

    html! {
        <header class="topbar">
            <div class="brand">
                <h1>{"Splitbrain"}</h1>
                <ProtocolPicker panel={panel.clone()} send={send.clone()} />
            </div>
            <div class="group" role="group" aria-label={t("Run")}>
                <button type="button" class="btn primary" id="play" onclick={on(Msg::TogglePlay)}
                    aria-label={if panel.playing { t("Pause") } else { t("Play") }}
                    title={if panel.playing { t("Pause (Space)") } else { t("Play (Space)") }}>
                    { if panel.playing { icons::pause() } else { icons::play() } }
                    <span class="hide-narrow">{ if panel.playing { t("Pause") } else { t("Play") } }</span>
                </button>
                <button type="button" class="btn" id="step" onclick={on(Msg::Step)}
                    aria-label={t("Step")} title={t("Run the next event and pause (→)")}>
                    {icons::step()}<span class="hide-narrow">{t("Step")}</span>
                </button>
            </div>
            <div class="group speed" role="group" aria-label={t("Speed")}>
                <button type="button" class="btn icon" onclick={on(Msg::Slower)}
                    aria-label={t("Slower")} title={t("Slower (−)")}>{"−"}</button>
                <input type="range" min="0" max={(SPEEDS.len() - 1).to_string()} step="1"
                    value={speed_index.to_string()} oninput={onspeed}
                    aria-label={t("Simulation speed")} aria-valuetext={format_speed(panel.speed)} />
                <output aria-live="off" title={t("Simulated time per wall-clock time")}>{format_speed(panel.speed)}</output>
                <button type="button" class="btn icon" onclick={on(Msg::Faster)}
                    aria-label={t("Faster")} title={t("Faster (+)")}>{"+"}</button>
            </div>
            <div class="group" role="group" aria-label={t("Run setup")}>
                <button type="button" class="btn icon" onclick={on(Msg::Reset)}
                    aria-label={t("Reset")} title={t("Start this run again from the beginning")}>
                    {icons::reset()}
                </button>
                <button type="button" class="btn icon" onclick={on(Msg::NewSeed)}
                    aria-label={t("New seed")} title={tf("New run with another seed (N); now seed {0}", &[&panel.seed])}>
                    {icons::dice()}
                </button>
                <label class="field-inline" title={t("Cluster size, 1 to 51")}>
                    {t("Nodes")}
                    <input type="number" id="nodes" min="1" max="51" step="1" ref={nodes_ref}
                        onchange={onnodes} aria-label={t("Cluster size")} />
                </label>
            </div>
            <div class="group" role="group" aria-label={t("Cluster")}>
                <button type="button" class="btn" onclick={on(Msg::Heal)}
                    aria-label={t("Heal")} title={t("Remove every partition and cut link (H)")} disabled={!panel.split}>
                    {icons::heal()}<span class="hide-narrow">{t("Heal")}</span>
                </button>
                <button type="button" class="btn" onclick={on(Msg::ToggleSteadyLoad)}
                    aria-pressed={panel.steady_load.to_string()} aria-label={t("Steady requests")}
                    title={t("A client sends a request every 200 ms of simulated time (L)")}>
                    {icons::pulse()}<span class="hide-narrow">{t("Requests")}</span>
                </button>
            </div>
            <div class="spacer"></div>
            <div class="group" role="group" aria-label={t("Share")}>
                // Keyed: it has no props, so a change of the text shown remounts it.
                <super::share::ShareTools key={panel.shown_lang().code()} />
            </div>
            <div class="group" role="group" aria-label={t("Page")}>
                <button type="button" class="btn icon" onclick={on(Msg::ShowOverlay(Overlay::Settings))}
                    aria-label={t("Parameters")} title={t("Cluster size, timing, network and load")}>{icons::sliders()}</button>
                <button type="button" class="btn icon" onclick={on(Msg::ShowOverlay(Overlay::Scenario))}
                    aria-label={t("Scenario")} title={t("Export this run, or load a scenario")}>{icons::scenario()}</button>
                <button type="button" class="btn icon" id="open-gallery" onclick={on(Msg::ShowOverlay(Overlay::Gallery))}
                    aria-label={t("Gallery")} title={t("Gallery: curated scenarios, each at its moment to watch (G)")}>{icons::gallery()}</button>
                <button type="button" class="btn icon" id="open-explorer" onclick={on(Msg::ShowOverlay(Overlay::Explorer))}
                    aria-label={t("Explorer")} title={t("Explorer: search every reachable state for a broken invariant (X)")}>{icons::explore()}</button>
                <button type="button" class="btn icon" onclick={ontheme}
                    aria-label={if dark { t("Switch to light theme") } else { t("Switch to dark theme") }}
                    title={t("Light or dark")}>{icons::theme()}</button>
                <button type="button" class="btn icon" onclick={on(Msg::ShowOverlay(Overlay::Help))}
                    aria-label={t("Help and keyboard shortcuts")} title={t("Help (?)")}>{"?"}</button>
                <super::lang::LanguagePicker lang={panel.lang} send={send.clone()} />
            </div>
        </header>
    }
}
