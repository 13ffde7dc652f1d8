//! The dialogs (help, parameters, scenario) and the notice line.

use yew::prelude::*;

use crate::i18n::{t, t_dyn, tf};
use crate::keys::SHORTCUTS;
use crate::model::{Msg, Notice, Overlay};
use crate::settings::{Settings, SettingsForm, EXAMPLES};
use crate::web::dom;
use crate::web::store::ModelRef;
use splitbrain_core::registry::OptionKind;

#[derive(Properties, PartialEq)]
pub struct FrameProps {
    pub title: AttrValue,
    pub send: Callback<Msg>,
    pub children: Html,
}

/// A modal dialog: a backdrop that closes it, a title, a close button that
/// takes the focus when it opens.
#[function_component(DialogFrame)]
pub fn dialog_frame(props: &FrameProps) -> Html {
    let close_ref = use_node_ref();
    {
        let close_ref = close_ref.clone();
        use_effect_with((), move |_| {
            dom::focus(close_ref.cast::<web_sys::Element>())
        });
    }
    let close = {
        let send = props.send.clone();
        Callback::from(move |_: MouseEvent| send.emit(Msg::ShowOverlay(Overlay::None)))
    };
    let onbackdrop = {
        let send = props.send.clone();
        Callback::from(move |e: MouseEvent| {
            // Only a click on the backdrop itself, not one inside the dialog.
            if e.target() == e.current_target() {
                send.emit(Msg::ShowOverlay(Overlay::None));
            }
        })
    };
    html! {
        <div class="backdrop" onclick={onbackdrop}>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
                <header>
                    <h2 id="dialog-title">{props.title.clone()}</h2>
                    <button type="button" class="btn icon" aria-label={t("Close")} ref={close_ref} onclick={close}>{"✕"}</button>
                </header>
                {props.children.clone()}
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SendProps {
    pub send: Callback<Msg>,
}

#[function_component(HelpDialog)]
pub fn help_dialog(props: &SendProps) -> Html {
    html! {
        <DialogFrame title={t("Splitbrain: help")} send={props.send.clone()}>
            <p>
                {t("A cluster runs here (pick the protocol in the top bar, or press P), simulated step by step from a seed: the same seed and the same actions give the same run, in the browser and in the CLI. ")}
                {tf("The protocols: {0}. ", &[&crate::protocols::menu_labels()])}
                {t("Drag nodes apart to partition the network, draw a line across links to cut them, crash nodes, send requests, and watch the invariants.")}
            </p>
            <p class="note">
                {t("Shapes: follower ○, candidate ◇, leader ▢ with a double outline; a crashed node is dashed with ✕. ")}
                {t("The ring around a node is its election timer. Squares under it are its last log entries (number = term; filled = committed).")}
            </p>
            <h3 class="subhead">{t("Keyboard")}</h3>
            <dl class="keys">
                { for SHORTCUTS.iter().map(|(key, what)| html! {
                    <>
                        <dt><kbd>{t_dyn(key)}</kbd></dt>
                        <dd>{t_dyn(what)}</dd>
                    </>
                }) }
            </dl>
        </DialogFrame>
    }
}

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub settings: Settings,
    pub notice: Option<Notice>,
    pub send: Callback<Msg>,
}

#[function_component(SettingsDialog)]
pub fn settings_dialog(props: &SettingsProps) -> Html {
    let form = use_state(|| props.settings.form());
    let field = |get: fn(&mut SettingsForm) -> &mut String| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*form).clone();
            *get(&mut next) = dom::target_value(&e);
            form.set(next);
        })
    };
    let onbuggy = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let mut next = (*form).clone();
            next.buggy = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked());
            form.set(next);
        })
    };
    // Option `i` of the protocol takes `value`, from a checkbox or a list.
    let onoption = |i: usize, switch: bool| {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let value = if switch {
                usize::from(
                    e.target_dyn_into::<web_sys::HtmlInputElement>()
                        .is_some_and(|input| input.checked()),
                )
            } else {
                e.target_dyn_into::<web_sys::HtmlSelectElement>()
                    .and_then(|select| usize::try_from(select.selected_index()).ok())
                    .unwrap_or(0)
            };
            let mut next = (*form).clone();
            if let Some(slot) = next.options.get_mut(i) {
                *slot = value;
            }
            form.set(next);
        })
    };
    let options = form.options().enumerate().map(|(i, (option, value))| match option.kind {
        OptionKind::Switch => html! {
            <label class="check" title={t_dyn(option.help)} data-option={option.id}>
                <input type="checkbox" checked={value == 1} onchange={onoption(i, true)} />
                {t_dyn(option.label)}
            </label>
        },
        OptionKind::Choice(choices) => html! {
            <label title={t_dyn(option.help)} data-option={option.id}>
                {t_dyn(option.label)}
                <select onchange={onoption(i, false)}>
                    { for choices.iter().enumerate().map(|(c, name)| html! {
                        <option value={c.to_string()} selected={c == value}>{t_dyn(name)}</option>
                    }) }
                </select>
            </label>
        },
    }).collect::<Html>();
    let onsubmit = {
        let (form, send) = (form.clone(), props.send.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            send.emit(Msg::ApplySettings(Box::new((*form).clone())));
        })
    };
    let cancel = {
        let send = props.send.clone();
        Callback::from(move |_: MouseEvent| send.emit(Msg::ShowOverlay(Overlay::None)))
    };
    let error = props
        .notice
        .as_ref()
        .filter(|n| n.error)
        .map(|n| n.text.clone());
    let input = |label: &'static str, value: &String, get: fn(&mut SettingsForm) -> &mut String| {
        html! {
            <label>{t_dyn(label)}<input type="text" inputmode="decimal" value={value.clone()} oninput={field(get)} /></label>
        }
    };
    html! {
        <DialogFrame title={t("Parameters")} send={props.send.clone()}>
            <form {onsubmit}>
                <div class="form-grid">
                    {input(t("Nodes (1–51)"), &form.nodes, |f| &mut f.nodes)}
                    {input(t("Seed"), &form.seed, |f| &mut f.seed)}
                    if form.has_timing() {
                        {input(t("Election timeout min (ms)"), &form.election_min, |f| &mut f.election_min)}
                        {input(t("Election timeout max (ms)"), &form.election_max, |f| &mut f.election_max)}
                        {input(t("Heartbeat (ms)"), &form.heartbeat, |f| &mut f.heartbeat)}
                    }
                    {input(t("Message loss (%)"), &form.loss_percent, |f| &mut f.loss_percent)}
                    {input(t("Latency min (ms)"), &form.latency_min, |f| &mut f.latency_min)}
                    {input(t("Latency max (ms)"), &form.latency_max, |f| &mut f.latency_max)}
                    {input(t("Simulated clients (0–1000, for load)"), &form.clients, |f| &mut f.clients)}
                    if let Some(label) = form.broken_label() {
                        <label class="check">
                            <input type="checkbox" checked={form.buggy} onchange={onbuggy} />
                            {t_dyn(label)}
                        </label>
                    }
                    {options}
                </div>
                if let Some(error) = error {
                    <p class="form-error" role="alert">{error}</p>
                }
                <footer>
                    <button type="button" class="btn" onclick={cancel}>{t("Cancel")}</button>
                    <button type="submit" class="btn primary">{t("Apply and restart")}</button>
                </footer>
            </form>
        </DialogFrame>
    }
}

#[derive(Properties, PartialEq)]
pub struct ScenarioProps {
    pub model: ModelRef,
    pub send: Callback<Msg>,
}

#[function_component(ScenarioDialog)]
pub fn scenario_dialog(props: &ScenarioProps) -> Html {
    // The run so far, as a scenario that replays it, taken when the
    // dialog opens.
    let text = use_state(|| props.model.0.borrow().scenario_json());
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(dom::target_value(&e)))
    };
    let load = {
        let (text, send) = (text.clone(), props.send.clone());
        Callback::from(move |_: MouseEvent| send.emit(Msg::LoadScenario((*text).clone())))
    };
    // An example's file comes on first use; if it cannot, the dialog
    // says so rather than loading nothing.
    let failed = use_state(|| None::<String>);
    let example = |(name, file): &(&'static str, &'static str)| {
        let (send, failed) = (props.send.clone(), failed.clone());
        let file = *file;
        let open = Callback::from(move |_| {
            let (send, failed) = (send.clone(), failed.clone());
            crate::web::fetch::scenarios(
                vec![file.to_owned()],
                move || match crate::gallery::file(file) {
                    Some(json) => send.emit(Msg::LoadScenario(json.to_owned())),
                    None => failed.set(Some(crate::i18n::tf(
                        "Could not load the example {0}.",
                        &[&file],
                    ))),
                },
            );
        });
        html! {
            <button type="button" class="btn" data-example={file} onclick={open}>
                {t_dyn(name)}
            </button>
        }
    };
    html! {
        <DialogFrame title={t("Scenario")} send={props.send.clone()}>
            <p class="note">
                {t("This run as a scenario: its settings and every action taken so far. ")}
                {t("Save it to replay the run exactly with the CLI (splitbrain run FILE), or paste another and load it.")}
            </p>
            <div class="examples" role="group" aria-label={t("Examples")}>
                { for EXAMPLES.iter().map(example) }
            </div>
            if let Some(message) = &*failed {
                <p class="error" role="alert">{message}</p>
            }
            <textarea aria-label={t("Scenario JSON")} spellcheck="false" value={(*text).clone()} {oninput} />
            <footer>
                <button type="button" class="btn primary" onclick={load}>{t("Load this scenario")}</button>
            </footer>
        </DialogFrame>
    }
}

#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    pub notice: Notice,
    pub send: Callback<Msg>,
}

#[function_component(NoticeLine)]
pub fn notice_line(props: &NoticeProps) -> Html {
    let notice = &props.notice;
    {
        // Notices go away by themselves after a while; errors stay longer.
        let (send, id, error) = (props.send.clone(), notice.id, notice.error);
        use_effect_with(id, move |_| {
            let timeout = gloo::timers::callback::Timeout::new(
                if error { 9_000 } else { 5_000 },
                move || send.emit(Msg::DismissNotice(id)),
            );
            move || drop(timeout)
        });
    }
    let dismiss = {
        let (send, id) = (props.send.clone(), notice.id);
        Callback::from(move |_: MouseEvent| send.emit(Msg::DismissNotice(id)))
    };
    html! {
        <div class={classes!("notice", notice.error.then_some("error"))}
            role={if notice.error { "alert" } else { "status" }} id="notice">
            <span>{&notice.text}</span>
            <button type="button" aria-label={t("Dismiss")} onclick={dismiss}>{"✕"}</button>
        </div>
    }
}
