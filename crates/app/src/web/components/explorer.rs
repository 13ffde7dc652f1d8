//! The explorer dialog: choose what to explore and within which bounds,
//! start a search in a Web Worker, watch its progress, cancel it, read the
//! verdict, and play a counterexample in the app.
//!
//! The worker (`explorer_worker.js` and its wasm) is created when a search
//! starts and terminated when it ends, is cancelled, or the dialog closes:
//! the page never downloads it until someone asks for a search, and a
//! cancelled search frees its memory at once.

use yew::prelude::*;

use super::dialogs::DialogFrame;
use crate::explorer::{thousands, Form, FromWorker, Outcome, Target};
use crate::i18n::{t, t_dyn, tf};
use crate::model::Msg;
use crate::web::dom;
use crate::web::store::ModelRef;
use crate::web::worker::JsonWorker;

/// Trunk writes the worker's loader next to index.html (`data-loader-shim`).
const WORKER_URL: &str = "./explorer_worker_loader.js";

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    pub send: Callback<Msg>,
}

type Field = fn(&mut Form) -> &mut String;

pub enum EMsg {
    Set(Field, String),
    Target(String),
    Dfs(bool),
    /// A directed search, for presets that offer one.
    Directed,
    Symmetry(bool),
    Start,
    Cancel,
    Worker(String),
    WorkerError(String),
    Play,
}

/// A worker and the search it is to run once ready; dropping it stops
/// the search.
struct Running {
    worker: JsonWorker,
    request: String,
}

#[derive(Clone, Copy, Default)]
struct Live {
    states: usize,
    frontier: usize,
    depth: usize,
    elapsed_ms: f64,
}

pub struct ExplorerDialog {
    form: Form,
    error: Option<String>,
    running: Option<Running>,
    live: Option<Live>,
    /// The limit the running (or last) search stores up to, for the bar.
    limit: usize,
    outcome: Option<(Outcome, f64)>,
    cancelled: bool,
    // Keyboard focus follows the one button that matters: Cancel while a
    // search runs, then Play counterexample or Start again (the clicked
    // button is replaced, so the focus would otherwise fall to the page).
    start_ref: NodeRef,
    cancel_ref: NodeRef,
    play_ref: NodeRef,
    refocus: bool,
}

impl Component for ExplorerDialog {
    type Message = EMsg;
    type Properties = Props;

    fn create(_: &Context<Self>) -> Self {
        ExplorerDialog {
            form: Form::default(),
            error: None,
            running: None,
            live: None,
            limit: 1,
            outcome: None,
            cancelled: false,
            start_ref: NodeRef::default(),
            cancel_ref: NodeRef::default(),
            play_ref: NodeRef::default(),
            refocus: false,
        }
    }

    fn rendered(&mut self, _: &Context<Self>, _first: bool) {
        if std::mem::take(&mut self.refocus) {
            let target = if self.running.is_some() {
                &self.cancel_ref
            } else if self.play_ref.get().is_some() {
                &self.play_ref
            } else {
                &self.start_ref
            };
            dom::focus(target.cast::<web_sys::Element>());
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: EMsg) -> bool {
        match msg {
            EMsg::Set(get, value) => *get(&mut self.form) = value,
            EMsg::Target(value) => {
                if let Some(target) = Target::from_value(&value) {
                    self.form = Form::for_target(target);
                    self.error = None;
                }
            }
            EMsg::Dfs(dfs) => {
                self.form.dfs = dfs;
                self.form.directed = false;
            }
            EMsg::Directed => {
                self.form.dfs = false;
                self.form.directed = true;
            }
            EMsg::Symmetry(on) => self.form.symmetry = on,
            // One search at a time: a second Start while one runs is a
            // stray (double) submit.
            EMsg::Start if self.running.is_some() => return false,
            EMsg::Start => {
                self.start(ctx);
                self.refocus = true;
            }
            EMsg::Cancel => {
                if self.running.take().is_some() {
                    self.cancelled = true;
                    self.refocus = true;
                }
            }
            EMsg::Worker(text) => {
                let was_running = self.running.is_some();
                self.on_worker(&text);
                self.refocus = was_running && self.running.is_none();
            }
            EMsg::WorkerError(message) => {
                self.refocus = self.running.is_some();
                self.running = None;
                self.error = Some(tf(
                    "The explorer stopped: {0}. A search this large may not fit in \
                     the browser's memory: lower “Max states” or the bounds.",
                    &[&message],
                ));
            }
            EMsg::Play => {
                if let Some(json) = self
                    .outcome
                    .as_ref()
                    .and_then(|(o, _)| o.violation.as_ref())
                    .and_then(|v| v.scenario.clone())
                {
                    let playing = ctx.props().model.0.borrow().playing;
                    ctx.props().send.emit(Msg::LoadScenario(json));
                    if !playing {
                        ctx.props().send.emit(Msg::TogglePlay);
                    }
                }
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let f = &self.form;
        let busy = self.running.is_some();
        let input = |id: &'static str,
                     label: &'static str,
                     value: &String,
                     get: Field,
                     hint: &'static str| {
            let oninput = link.callback(move |e: InputEvent| EMsg::Set(get, dom::target_value(&e)));
            html! {
                <label>{label}
                    <input {id} type="text" inputmode="numeric" value={value.clone()} {oninput}
                        disabled={busy} placeholder={hint} />
                </label>
            }
        };
        let ontarget = link.callback(|e: Event| EMsg::Target(dom::target_value(&e)));
        let onsubmit = link.callback(|e: SubmitEvent| {
            e.prevent_default();
            EMsg::Start
        });
        let target = f.target;
        html! {
            <DialogFrame title={t("Explorer")} send={ctx.props().send.clone()}>
                <p class="note">
                    {t("Visits every state the system can reach within the bounds below, trying every order of deliveries, timer firings and faults, and checks each invariant in each state. ")}
                    {t("It runs in the background: the page stays usable.")}
                </p>
                <form class="explorer" {onsubmit}>
                    <div class="form-grid">
                        <label class="wide">{t("What to explore")}
                            <select id="explore-target" onchange={ontarget} disabled={busy}>
                                { for Target::all().into_iter().map(|t| html! {
                                    <option value={t.value()} selected={t == target}>{t_dyn(t.label())}</option>
                                }) }
                            </select>
                        </label>
                        if target.is_protocol() {
                            {input("explore-crashes", t("Max crashes (0–5)"), &f.max_crashes, |f| &mut f.max_crashes, "")}
                            {input("explore-drops", t("Max drops (0–5)"), &f.max_drops, |f| &mut f.max_drops, "")}
                            {input("explore-in-flight", t("Max messages in flight (1–64)"), &f.max_in_flight, |f| &mut f.max_in_flight, "")}
                            {input("explore-timers", t("Max timer firings (0–12)"), &f.max_timers, |f| &mut f.max_timers, "")}
                        } else {
                            {input("explore-rms", t("Resource managers (1–10)"), &f.rms, |f| &mut f.rms, "")}
                        }
                        {input("explore-depth", t("Max depth (steps)"), &f.max_depth, |f| &mut f.max_depth, t("no limit"))}
                        {input("explore-states", t("Max states stored"), &f.max_states, |f| &mut f.max_states, "")}
                        <fieldset class="wide explorer-order" disabled={busy}>
                            <legend>{t("Search order")}</legend>
                            <label class="check">
                                <input type="radio" name="explore-order" id="explore-bfs" checked={!f.dfs && !f.directed}
                                    onchange={link.callback(|_| EMsg::Dfs(false))} />
                                {t("Breadth-first: the shortest counterexample")}
                            </label>
                            <label class="check">
                                <input type="radio" name="explore-order" id="explore-dfs" checked={f.dfs && !f.directed}
                                    onchange={link.callback(|_| EMsg::Dfs(true))} />
                                {t("Depth-first: less memory")}
                            </label>
                            if target.directed_width().is_some() {
                                <label class="check">
                                    <input type="radio" name="explore-order" id="explore-directed" checked={f.directed}
                                        onchange={link.callback(|_| EMsg::Directed)} />
                                    {t("Directed: follow the states whose logs disagree most (finds deep bugs; finding none proves nothing)")}
                                </label>
                            }
                        </fieldset>
                        if target.has_symmetry() {
                            <label class="check">
                                <input type="checkbox" id="explore-symmetry" checked={f.symmetry} disabled={busy}
                                    onchange={link.callback(|e: Event| EMsg::Symmetry(
                                        e.target_dyn_into::<web_sys::HtmlInputElement>().is_some_and(|i| i.checked())))} />
                                {t("Symmetry: count states that differ only by which resource manager is which once")}
                            </label>
                        } else {
                            <p class="note wide">{t("Symmetry reduction is not offered for protocols: their node ids carry meaning (ballots, the coordinator).")}</p>
                        }
                    </div>
                    if let Some(error) = &self.error {
                        <p class="form-error" role="alert" id="explore-error">{error}</p>
                    }
                    {self.progress_view()}
                    {self.outcome_view(ctx)}
                    <footer>
                        // Keyed, so Yew swaps the elements instead of turning
                        // the clicked Cancel into a submit button mid-click
                        // (which would start the search again).
                        if busy {
                            <button key="cancel" ref={self.cancel_ref.clone()} type="button" class="btn" id="explore-cancel" onclick={link.callback(|_| EMsg::Cancel)}>{t("Cancel")}</button>
                        } else {
                            <button key="start" ref={self.start_ref.clone()} type="submit" class="btn primary" id="explore-start">{t("Start")}</button>
                        }
                    </footer>
                </form>
            </DialogFrame>
        }
    }
}

impl ExplorerDialog {
    fn start(&mut self, ctx: &Context<Self>) {
        self.running = None;
        self.outcome = None;
        self.cancelled = false;
        self.live = None;
        let request = match self.form.request() {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        self.error = None;
        self.limit = request.max_states.max(1);
        let on_text = ctx.link().callback(EMsg::Worker);
        let on_error = ctx.link().callback(EMsg::WorkerError);
        let worker = match JsonWorker::spawn(
            WORKER_URL,
            move |text| on_text.emit(text),
            move |why| on_error.emit(why),
        ) {
            Ok(w) => w,
            Err(why) => {
                self.error = Some(tf(
                    "This browser could not start the explorer's worker ({0}).",
                    &[&why],
                ));
                return;
            }
        };
        self.live = Some(Live::default());
        self.running = Some(Running {
            worker,
            request: serde_json::to_string(&request).unwrap_or_default(),
        });
    }

    fn on_worker(&mut self, text: &str) {
        let Ok(msg) = serde_json::from_str::<FromWorker>(text) else {
            return;
        };
        match msg {
            FromWorker::Ready => {
                if let Some(r) = &self.running {
                    r.worker.post(&r.request);
                }
            }
            FromWorker::Progress {
                states,
                frontier,
                depth,
                elapsed_ms,
            } => {
                if self.running.is_some() {
                    self.live = Some(Live {
                        states,
                        frontier,
                        depth,
                        elapsed_ms,
                    });
                }
            }
            FromWorker::Done {
                outcome,
                elapsed_ms,
            } => {
                self.running = None;
                self.live = Some(Live {
                    states: outcome.unique_states,
                    frontier: 0,
                    depth: outcome.depth,
                    elapsed_ms,
                });
                self.outcome = Some((outcome, elapsed_ms));
            }
            FromWorker::Failed { message } => {
                self.running = None;
                self.error = Some(message);
            }
        }
    }

    fn progress_view(&self) -> Html {
        let Some(live) = self.live else {
            return html! {};
        };
        let busy = self.running.is_some();
        let rate = if live.elapsed_ms > 0.0 {
            thousands((live.states as f64 / (live.elapsed_ms / 1000.0)) as usize)
        } else {
            "—".into()
        };
        let fraction = (live.states as f64 / self.limit as f64).min(1.0);
        html! {
            <div class="explorer-progress" aria-busy={busy.to_string()}>
                <progress id="explore-progress" max="1" value={fraction.to_string()}
                    aria-label={t("States stored, of the limit")} />
                <dl class="explorer-stats">
                    <div><dt>{t("States")}</dt><dd id="explore-count">{thousands(live.states)}</dd></div>
                    <div><dt>{t("States/s")}</dt><dd id="explore-rate">{rate}</dd></div>
                    <div><dt>{t("Frontier")}</dt><dd id="explore-frontier">{thousands(live.frontier)}</dd></div>
                    <div><dt>{t("Depth")}</dt><dd id="explore-depth-now">{live.depth}</dd></div>
                </dl>
                if busy {
                    <p class="note" role="status">{t("Searching…")}</p>
                } else if self.cancelled {
                    <p class="note" role="status" id="explore-cancelled">
                        {tf("Cancelled after {0} states; no verdict.", &[&thousands(live.states)])}
                    </p>
                }
            </div>
        }
    }

    fn outcome_view(&self, ctx: &Context<Self>) -> Html {
        let Some((outcome, ms)) = &self.outcome else {
            return html! {};
        };
        let bad = outcome.violation.is_some();
        let play = ctx.link().callback(|_| EMsg::Play);
        html! {
            <div class="explorer-outcome">
                <p id="explore-result" role="status" class={classes!("explorer-verdict", if bad { "bad" } else { "ok" })}>
                    {outcome.summary()}
                </p>
                <p class="note">
                    if outcome.directed {
                        // A directed search keeps whole states, not
                        // fingerprints: it has no bytes per stored state.
                        {tf("{0} s. Checked: {1}.",
                            &[&format!("{:.1}", ms / 1000.0), &outcome.properties.join(", ")])}
                    } else {
                        {tf("{0} s, {1} bytes per stored state. Checked: {2}.",
                            &[&format!("{:.1}", ms / 1000.0), &outcome.bytes_per_state, &outcome.properties.join(", ")])}
                    }
                </p>
                if let Some(v) = &outcome.violation {
                    <ol class="explorer-steps" aria-label={t("Counterexample")}>
                        { for v.steps.iter().map(|s| html! { <li>{s}</li> }) }
                    </ol>
                    if let Some(m) = &v.message {
                        <p class="explorer-why">{m}</p>
                    }
                    if v.scenario.is_some() {
                        <button type="button" class="btn primary" id="explore-play" ref={self.play_ref.clone()} onclick={play}>
                            {t("Play counterexample")}
                        </button>
                    }
                }
            </div>
        }
    }
}
