//! Embed mode: only the canvas and a small bar, for an iframe in a page.
//! Which controls the bar shows comes from the link ([`crate::link::Embed`]).

use std::rc::Rc;

use yew::prelude::*;

use crate::i18n::t;
use crate::link::{self, controls, Embed};
use crate::model::Msg;
use crate::panel::{format_speed, format_time, Panel};
use crate::web::cluster::Cluster;
use crate::web::components::dialogs::NoticeLine;
use crate::web::icons;
use crate::web::permalink::page_address;
use crate::web::store::ModelRef;

#[derive(Properties, PartialEq)]
pub struct EmbedViewProps {
    pub model: ModelRef,
    pub panel: Rc<Panel>,
    pub send: Callback<Msg>,
    pub refresh: Callback<()>,
    pub embed: Embed,
}

#[function_component(EmbedView)]
pub fn embed_view(props: &EmbedViewProps) -> Html {
    let panel = &props.panel;
    let send = &props.send;
    let on = |msg: Msg| {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(msg.clone()))
    };
    let shows = |bit: u64| props.embed.controls & bit != 0;
    let (title, open) = {
        let model = props.model.0.borrow();
        let mut full = model.link();
        full.embed = None;
        (
            model.title().map(str::to_owned),
            format!("{}#{}", page_address(), link::encode(&full)),
        )
    };
    html! {
        <div class="embed">
            <section class="view embed-view" aria-label={t("Cluster")}>
                <Cluster model={props.model.clone()} panel={panel.clone()} send={send.clone()} refresh={props.refresh.clone()} />
            </section>
            <div class="embed-bar" role="toolbar" aria-label={t("Playback")}>
                if shows(controls::PLAY) {
                    <button type="button" class="btn primary icon" id="play" onclick={on(Msg::TogglePlay)}
                        aria-label={if panel.playing { t("Pause") } else { t("Play") }}>
                        { if panel.playing { icons::pause() } else { icons::play() } }
                    </button>
                }
                if shows(controls::STEP) {
                    <button type="button" class="btn icon" id="step" onclick={on(Msg::Step)} aria-label={t("Step")}>{icons::step()}</button>
                }
                if shows(controls::RESET) {
                    <button type="button" class="btn icon" id="restart" onclick={on(Msg::RestartEmbed)}
                        aria-label={t("Start over")} title={t("Start over")}>{icons::reset()}</button>
                }
                if shows(controls::SPEED) {
                    <button type="button" class="btn icon" onclick={on(Msg::Slower)} aria-label={t("Slower")}>{"−"}</button>
                    <output class="embed-speed" title={t("Simulated time per wall-clock time")}>{format_speed(panel.speed)}</output>
                    <button type="button" class="btn icon" onclick={on(Msg::Faster)} aria-label={t("Faster")}>{"+"}</button>
                }
                if shows(controls::TIME) {
                    <span class="stat" id="sim-time">{format_time(panel.now)}</span>
                }
                // Text, never markup: Yew puts it in a text node.
                if let Some(title) = title {
                    <span class="embed-title" id="embed-title" title={title.clone()}>{title}</span>
                }
                <span class="spacer"></span>
                if shows(controls::OPEN) {
                    <a class="btn" href={open} target="_blank" rel="noopener" id="embed-full">{t("Open in Splitbrain ↗")}</a>
                }
            </div>
            if let Some(notice) = panel.notice.clone().filter(|n| n.error) {
                <NoticeLine {notice} send={send.clone()} />
            }
        </div>
    }
}
