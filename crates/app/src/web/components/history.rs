//! The history view under the cluster: verdict badges, one lane per client
//! with a bar per operation, the explanation of a selected badge, and the
//! import and export of history files. The logic is in
//! [`crate::history::HistoryView`]; this file syncs it with the run, draws
//! its [`Picture`] on a canvas and forwards input.
//!
//! It runs its own animation-frame loop, separate from the cluster's: each
//! frame it syncs the new and pending operations (cheap), asks the check
//! worker ([`crate::web::checker`]) for a check at most every
//! [`crate::history::CHECK_EVERY_MS`] with a step budget, and redraws at
//! most [`REDRAW_MS`] apart, only when something it shows changed. Imports
//! are read and checked in the worker too; the dialog stays open until the
//! answer comes, and shows why a file does not read.

use std::cell::{Cell, RefCell};
use std::f64::consts::TAU;
use std::rc::Rc;

use gloo::render::{request_animation_frame, AnimationFrame};
use splitbrain_core::check::{Model, Verdict};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlInputElement, ResizeObserver};
use yew::prelude::*;

use crate::checks::FileOptions;
use crate::history::{
    Accepted, CheckRequest, Emphasis, HistoryView, Picture, Property, Shown, Source, SERVED_LEGEND,
};
use crate::i18n::{t, t_dyn, tf};
use crate::model::Msg;
use crate::web::dom;
use crate::web::store::ModelRef;

/// The least time between two redraws of the history canvas while the run
/// plays: 30 a second is smooth enough for a time axis and leaves the
/// frame to the cluster.
const REDRAW_MS: f64 = 33.0;

#[derive(Properties, PartialEq)]
pub struct HistoryProps {
    pub model: ModelRef,
    /// The language of the text shown: a change re-renders the panel.
    #[prop_or_default]
    pub lang: crate::i18n::Lang,
}

/// What the HTML part shows; the component re-renders when it changes.
#[derive(Clone, Debug, PartialEq)]
struct Shown2 {
    badges: Vec<crate::history::Badge>,
    selected: Option<Property>,
    explanation: Vec<String>,
    source: Source,
    ops: usize,
    focused: Option<String>,
    hidden: String,
    lanes: usize,
}

fn snapshot(view: &HistoryView, picture: &Picture) -> Shown2 {
    let mut hidden = String::new();
    if picture.hidden_lanes > 0 {
        hidden.push_str(&tf("{0} more lanes not shown; ", &[&picture.hidden_lanes]));
    }
    if picture.thinned > 0 {
        // Not the count: it changes every frame, and this line should not.
        hidden.push_str(t(
            "Some operations are too close to draw apart; zoom in (+) to see them all.",
        ));
    }
    Shown2 {
        badges: view.badges(),
        selected: view.selected,
        explanation: view.explanation(),
        source: view.source.clone(),
        ops: view.ops().len(),
        focused: view.focused.map(|op| view.describe(op)),
        hidden,
        lanes: view.lane_count(),
    }
}

/// Everything the frame loop keeps.
struct Loop {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    palette: Palette,
    size: Rc<Cell<(f64, f64)>>,
    _observer: Option<SizeWatch>,
    /// What was drawn last: (changes, now, selected, focused, size, dark,
    /// window), so an idle view costs nothing.
    drawn: Option<DrawnKey>,
    last_draw_ms: f64,
    backing: (f64, f64, f64),
    frame: Option<AnimationFrame>,
    hook_installed: bool,
}

/// The resize observer and its callback, kept alive with the loop.
type SizeWatch = (ResizeObserver, Closure<dyn Fn(js_sys::Array)>);

type DrawnKey = (
    u64,
    // Answers taken: the marks a selected badge shows
    u64,
    Option<u64>,
    Option<Property>,
    Option<usize>,
    (u64, u64),
    bool,
    Option<u64>,
    // The empty view's text
    crate::i18n::Lang,
);

struct Palette {
    ok: JsValue,
    bad: JsValue,
    warn: JsValue,
    muted: JsValue,
    faint: JsValue,
    text: JsValue,
    accent: JsValue,
    surface: JsValue,
    surface2: JsValue,
}

impl Palette {
    fn read() -> Palette {
        let styles = crate::web::palette::Styles::read();
        let get = |name: &str| styles.colour(name);
        Palette {
            ok: get("--ok"),
            bad: get("--bad"),
            warn: get("--warn"),
            muted: get("--muted"),
            faint: get("--faint"),
            text: get("--text"),
            accent: get("--accent"),
            surface: get("--surface"),
            surface2: get("--surface-2"),
        }
    }

    fn of(&self, shown: Shown) -> &JsValue {
        match shown {
            Shown::Ok => &self.ok,
            Shown::Fail => &self.bad,
            Shown::Unknown => &self.warn,
            Shown::Pending => &self.muted,
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// Style setters that take a cached `JsValue` (see `render.rs`).
    #[wasm_bindgen(js_name = CanvasRenderingContext2D)]
    type HistoryStyle;
    #[wasm_bindgen(method, setter = fillStyle)]
    fn set_fill_style(this: &HistoryStyle, value: &JsValue);
    #[wasm_bindgen(method, setter = strokeStyle)]
    fn set_stroke_style(this: &HistoryStyle, value: &JsValue);
}

fn fill(ctx: &CanvasRenderingContext2d, v: &JsValue) {
    ctx.unchecked_ref::<HistoryStyle>().set_fill_style(v);
}

fn stroke(ctx: &CanvasRenderingContext2d, v: &JsValue) {
    ctx.unchecked_ref::<HistoryStyle>().set_stroke_style(v);
}

#[function_component(HistoryPanel)]
pub fn history_panel(props: &HistoryProps) -> Html {
    let view = use_mut_ref(HistoryView::new);
    let picture: Rc<RefCell<Picture>> = use_mut_ref(Picture::default);
    let shown = use_state_eq(|| snapshot(&view.borrow(), &Picture::default()));
    let importing = use_state_eq(|| false);
    // The import in the worker, and why the last one was refused.
    let import_busy = use_state_eq(|| false);
    let import_error = use_state_eq(|| None::<String>);
    let canvas_ref = use_node_ref();

    // The frame loop.
    {
        let (view, picture, shown, model, canvas_ref) = (
            view.clone(),
            picture.clone(),
            shown.clone(),
            props.model.clone(),
            canvas_ref.clone(),
        );
        use_effect_with((), move |_| {
            let state: Rc<RefCell<Option<Loop>>> = Rc::new(RefCell::new(None));
            if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                if let Some(l) = make_loop(canvas) {
                    *state.borrow_mut() = Some(l);
                    let parts = Parts {
                        view,
                        picture,
                        shown,
                        model,
                    };
                    schedule(state.clone(), Rc::new(parts));
                }
            }
            move || {
                state.borrow_mut().take();
            }
        });
    }

    let model = &props.model;
    let set_focus = {
        let (view, picture, shown, model) =
            (view.clone(), picture.clone(), shown.clone(), model.clone());
        Rc::new(move |op: Option<usize>| {
            let mut v = view.borrow_mut();
            if v.focused == op {
                return;
            }
            v.focused = op;
            let served = op.and_then(|op| v.served(op));
            model.0.borrow_mut().update(Msg::HighlightServed(served));
            shown.set(snapshot(&v, &picture.borrow()));
        })
    };
    let onpointermove = {
        let (picture, set_focus) = (picture.clone(), set_focus.clone());
        Callback::from(move |e: PointerEvent| {
            let op = picture
                .borrow()
                .op_at(f64::from(e.offset_x()), f64::from(e.offset_y()));
            set_focus(op);
        })
    };
    let onpointerleave = {
        let set_focus = set_focus.clone();
        Callback::from(move |_: PointerEvent| set_focus(None))
    };
    let onblur = {
        let set_focus = set_focus.clone();
        Callback::from(move |_: FocusEvent| set_focus(None))
    };
    let onkeydown = {
        let (view, picture, set_focus) = (view.clone(), picture.clone(), set_focus.clone());
        Callback::from(move |e: KeyboardEvent| {
            let forward = match e.key().as_str() {
                "ArrowRight" | "ArrowDown" => true,
                "ArrowLeft" | "ArrowUp" => false,
                "Escape" => {
                    e.prevent_default();
                    e.stop_propagation();
                    set_focus(None);
                    return;
                }
                _ => return,
            };
            e.prevent_default();
            // The page's own arrow keys select nodes; not while here.
            e.stop_propagation();
            let next = {
                let mut v = view.borrow_mut();
                let before = v.focused;
                let next = v.focus_step(&picture.borrow(), forward);
                v.focused = before;
                next
            };
            set_focus(next);
        })
    };

    let toggle = |property: Property| {
        let (view, picture, shown) = (view.clone(), picture.clone(), shown.clone());
        Callback::from(move |_: MouseEvent| {
            let mut v = view.borrow_mut();
            v.toggle(property);
            shown.set(snapshot(&v, &picture.borrow()));
        })
    };
    let zoom = |zoom_in: bool| {
        let (view, model) = (view.clone(), model.clone());
        Callback::from(move |_: MouseEvent| {
            let now = model.0.borrow().sim().now().0;
            let mut v = view.borrow_mut();
            let live = v.is_live();
            v.zoom(zoom_in, live.then_some(now));
        })
    };
    let export = {
        let (view, model) = (view.clone(), model.clone());
        Callback::from(move |_: MouseEvent| {
            let text = view.borrow().export_edn(model.0.borrow().sim().history());
            download("splitbrain-history.edn", &text);
        })
    };
    let open_import = {
        let importing = importing.clone();
        Callback::from(move |_: MouseEvent| importing.set(true))
    };
    let back_to_live = {
        let (view, picture, shown, model) =
            (view.clone(), picture.clone(), shown.clone(), model.clone());
        Callback::from(move |_: MouseEvent| {
            let mut v = view.borrow_mut();
            v.show_live();
            model.0.borrow_mut().update(Msg::HighlightServed(None));
            shown.set(snapshot(&v, &picture.borrow()));
        })
    };
    let on_check = {
        let import = Import {
            view: view.clone(),
            picture: picture.clone(),
            shown: shown.clone(),
            open: importing.clone(),
            model: model.clone(),
            busy: import_busy.clone(),
            error: import_error.clone(),
        };
        Callback::from(move |(name, text, file): (String, String, FileOptions)| {
            let CheckRequest { seq, job } =
                import.view.borrow_mut().request_import(&name, text, file);
            import.busy.set(true);
            import.error.set(None);
            let import = import.clone();
            crate::web::checker::ask(job, move |answer| import.answered(seq, answer));
        })
    };
    let close_import = {
        let (view, importing, busy, error) = (
            view.clone(),
            importing.clone(),
            import_busy.clone(),
            import_error.clone(),
        );
        Callback::from(move |()| {
            view.borrow_mut().cancel_import();
            importing.set(false);
            busy.set(false);
            error.set(None);
        })
    };

    let s = &*shown;
    // As tall as its lanes need (at most 16 px each), within 56..=150 px:
    // a run with one client does not take room from the cluster.
    let box_style = format!(
        "height: {}px",
        (s.lanes as f64 * 16.0 + crate::history::AXIS_HEIGHT + 4.0).clamp(56.0, 150.0)
    );
    let badge = |b: &crate::history::Badge| {
        let selected = s.selected == Some(b.property);
        let class = classes!(
            "verdict",
            b.verdict.name(),
            selected.then_some("selected"),
            b.checking.then_some("checking")
        );
        let title = if b.checking {
            format!("{} {}", t_dyn(b.property.meaning()), t("Checking…"))
        } else {
            format!("{} {}", t_dyn(b.property.meaning()), b.detail)
        };
        html! {
            <button type="button" {class} aria-pressed={selected.to_string()}
                aria-busy={b.checking.to_string()}
                data-property={b.property.id()} data-verdict={b.verdict.name()}
                title={title} onclick={toggle(b.property)}>
                <span class="mark" aria-hidden="true">{
                    match b.verdict { Verdict::Holds => "✓", Verdict::Violated => "✗", Verdict::Unknown => "?" }
                }</span>
                <span class="name">{t_dyn(b.property.name())}</span>
                <span class="state">{t_dyn(b.verdict.name())}</span>
            </button>
        }
    };
    let source = match &s.source {
        Source::Live => {
            html! { <span class="source">{tf("live run · {0} operations", &[&s.ops])}</span> }
        }
        Source::Imported { name } => html! {
            <>
                <span class="source">{tf("{0} · {1} ops", &[&name, &s.ops])}</span>
                <button type="button" class="btn" onclick={back_to_live}>{t("Back to the live run")}</button>
            </>
        },
    };
    html! {
        <section class="panel history" aria-label={t("History")}>
            <div class="history-head">
                <h2>{t("History")}</h2>
                <div class="verdicts" role="group" aria-label={t("Consistency verdicts")}>
                    { for s.badges.iter().map(badge) }
                </div>
            </div>
            if !s.explanation.is_empty() {
                <div class="explanation" id="history-explanation" role="status">
                    { for s.explanation.iter().map(|line| html! { <p>{line}</p> }) }
                </div>
            }
            <div class="history-box" style={box_style}>
                <canvas id="history" ref={canvas_ref} tabindex="0"
                    aria-roledescription={t("history view")}
                    aria-label={t("Client operations, one lane per client. Left and right arrows move between operations.")}
                    aria-describedby="history-focus"
                    {onpointermove} {onpointerleave} {onkeydown} {onblur} />
            </div>
            <div class="history-foot">
                <p id="history-focus" class="history-focus" aria-live="polite">
                    if let Some(text) = s.focused.clone() {
                        {text}
                    } else {
                        <span class="history-legend">
                            <span><i class="swatch" style="background: var(--ok)" />{t("ok")}</span>
                            <span><i class="swatch" style="background: var(--bad)" />{t("failed")}</span>
                            <span><i class="swatch" style="background: var(--warn)" />{t("timed out")}</span>
                            <span><i class="swatch" style="background: var(--muted)" />{t("waiting")}</span>
                            <span class="served-note" title={t(SERVED_LEGEND)}>{t("hover: what served it")}</span>
                            if !s.hidden.is_empty() {
                                <span class="hidden-note">{s.hidden.clone()}</span>
                            }
                        </span>
                    }
                </p>
                {source}
                <button type="button" class="btn icon" aria-label={t("Zoom out (longer time span)")} title={t("Zoom out")} onclick={zoom(false)}>{"−"}</button>
                <button type="button" class="btn icon" aria-label={t("Zoom in (shorter time span)")} title={t("Zoom in")} onclick={zoom(true)}>{"+"}</button>
                <button type="button" class="btn" onclick={open_import}>{t("Import…")}</button>
                <button type="button" class="btn" onclick={export} title={t("Download this history in Jepsen's EDN format")}>{t("Export EDN")}</button>
            </div>
            if *importing {
                <ImportDialog {on_check} on_close={close_import}
                    busy={*import_busy} refused={(*import_error).clone()} />
            }
        </section>
    }
}

/// What an import's answer updates.
#[derive(Clone)]
struct Import {
    view: Rc<RefCell<HistoryView>>,
    picture: Rc<RefCell<Picture>>,
    shown: UseStateHandle<Shown2>,
    /// The dialog is open.
    open: UseStateHandle<bool>,
    model: ModelRef,
    busy: UseStateHandle<bool>,
    error: UseStateHandle<Option<String>>,
}

impl Import {
    /// The worker's answer to import request `seq`: show the history (and
    /// the linearizability explanation, if it fails) and close the dialog,
    /// or say in the dialog why the file does not read.
    fn answered(&self, seq: u64, answer: crate::checks::Answer) {
        let mut v = self.view.borrow_mut();
        match v.accept(seq, answer) {
            Accepted::Stale => return,
            Accepted::Refused(why) => self.error.set(Some(why)),
            Accepted::Shown => {
                v.selected = Some(Property::Linearizable).filter(|_| {
                    v.badges()
                        .first()
                        .is_some_and(|b| b.verdict == Verdict::Violated)
                });
                self.model.0.borrow_mut().update(Msg::HighlightServed(None));
                self.shown.set(snapshot(&v, &self.picture.borrow()));
                self.open.set(false);
            }
        }
        self.busy.set(false);
    }
}

/// The shared pieces the frame loop needs.
struct Parts {
    view: Rc<RefCell<HistoryView>>,
    picture: Rc<RefCell<Picture>>,
    shown: UseStateHandle<Shown2>,
    model: ModelRef,
}

fn make_loop(canvas: HtmlCanvasElement) -> Option<Loop> {
    let ctx = dom::context_2d(&canvas)?;
    let size = Rc::new(Cell::new((
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
    )));
    let observer = {
        let size = size.clone();
        let callback = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
            if let Some(entry) = entries.get(0).dyn_ref::<web_sys::ResizeObserverEntry>() {
                let rect = entry.content_rect();
                size.set((rect.width(), rect.height()));
            }
        });
        ResizeObserver::new(callback.as_ref().unchecked_ref())
            .ok()
            .map(|observer| {
                observer.observe(&canvas);
                (observer, callback)
            })
    };
    Some(Loop {
        canvas,
        ctx,
        palette: Palette::read(),
        size,
        _observer: observer,
        drawn: None,
        last_draw_ms: 0.0,
        backing: (0.0, 0.0, 0.0),
        frame: None,
        hook_installed: false,
    })
}

/// Hands a live check to the worker; its answer updates the badges.
fn ask(parts: &Rc<Parts>, request: CheckRequest) {
    let parts = parts.clone();
    let CheckRequest { seq, job } = request;
    crate::web::checker::ask(job, move |answer| {
        let v = &mut parts.view.borrow_mut();
        if v.accept(seq, answer) != Accepted::Stale {
            parts.shown.set(snapshot(v, &parts.picture.borrow()));
        }
    });
}

fn schedule(state: Rc<RefCell<Option<Loop>>>, parts: Rc<Parts>) {
    let next = state.clone();
    let frame = request_animation_frame(move |frame_time| {
        tick(&next, &parts, frame_time);
        if next.borrow().is_some() {
            schedule(next, parts);
        }
    });
    if let Some(l) = state.borrow_mut().as_mut() {
        l.frame = Some(frame);
    }
}

fn tick(state: &Rc<RefCell<Option<Loop>>>, parts: &Rc<Parts>, frame_time: f64) {
    let mut guard = state.borrow_mut();
    let Some(l) = guard.as_mut() else {
        return;
    };
    if !l.hook_installed {
        l.hook_installed = install_hook(parts);
    }
    let now_ms = dom::now_ms();
    let mut changed_html = false;
    let (now, run_playing) = {
        let model = parts.model.0.borrow();
        let mut v = parts.view.borrow_mut();
        v.sync_live(model.run, model.sim().history());
        let synced = dom::now_ms();
        v.times.sync_max_ms = v.times.sync_max_ms.max(synced - now_ms);
        if v.is_live() {
            crate::cap::fill_notes(&mut v.notes, model.sim());
        }
        if v.check_due(synced) && crate::web::heavy::claim(frame_time) {
            if let Some(request) = v.check_live(model.sim().history(), synced) {
                ask(parts, request);
            }
            changed_html = true;
        }
        (model.sim().now().0, model.playing)
    };
    let v = parts.view.borrow();
    let dark = dom::page_is_dark();
    let (w, h) = l.size.get();
    let live_now = v.is_live().then_some(now);
    let key: DrawnKey = (
        v.changes(),
        v.answers(),
        live_now,
        v.selected,
        v.focused,
        (w.to_bits(), h.to_bits()),
        dark,
        v.window,
        crate::i18n::current(),
    );
    let due = now_ms - l.last_draw_ms >= REDRAW_MS || !run_playing;
    let mut draw_took = None;
    if l.drawn.as_ref() != Some(&key) && due {
        if l.drawn.as_ref().is_some_and(|d| d.6 != dark) {
            l.palette = Palette::read();
        }
        let started = dom::now_ms();
        let p = v.picture(w, h, live_now);
        draw(l, &p, &v);
        draw_took = Some(dom::now_ms() - started);
        l.drawn = Some(key);
        l.last_draw_ms = now_ms;
        let old = parts.picture.replace(p);
        // The "hidden" line changes with the picture; the rest with checks.
        let p = parts.picture.borrow();
        if old.hidden_lanes != p.hidden_lanes || (old.thinned > 0) != (p.thinned > 0) {
            changed_html = true;
        }
    }
    if changed_html {
        // `use_state_eq`: re-renders only when what the HTML shows changed.
        parts.shown.set(snapshot(&v, &parts.picture.borrow()));
    }
    drop(v);
    if let Some(took) = draw_took {
        let mut v = parts.view.borrow_mut();
        v.times.draw_max_ms = v.times.draw_max_ms.max(took);
    }
}

fn draw(l: &mut Loop, p: &Picture, view: &HistoryView) {
    let (w, h) = (p.width, p.height);
    if w < 1.0 || h < 1.0 {
        return;
    }
    let dpr = dom::window().device_pixel_ratio().max(1.0);
    if l.backing != (w, h, dpr) {
        l.backing = (w, h, dpr);
        l.canvas.set_width((w * dpr).round() as u32);
        l.canvas.set_height((h * dpr).round() as u32);
    }
    let ctx = &l.ctx;
    let pal = &l.palette;
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    fill(ctx, &pal.surface);
    ctx.fill_rect(0.0, 0.0, w, h);
    if p.bars.is_empty() && p.axis.is_none() {
        fill(ctx, &pal.muted);
        ctx.set_font("13px system-ui, sans-serif");
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        let text = if view.is_live() {
            t("No client operations yet: send a request (R), turn on steady requests (L), or import a history.")
        } else {
            t("This history has no operations.")
        };
        let _ = ctx.fill_text(text, w / 2.0, h / 2.0);
        return;
    }
    let lanes_bottom = h - crate::history::AXIS_HEIGHT;
    // Alternate lane backgrounds, then labels.
    fill(ctx, &pal.surface2);
    ctx.begin_path();
    for (i, lane) in p.lanes.iter().enumerate() {
        if i % 2 == 1 {
            ctx.rect(0.0, lane.y, w, lane.h);
        }
    }
    ctx.fill();
    if p.lanes.first().is_some_and(|l| l.h >= 9.0) {
        fill(ctx, &pal.muted);
        ctx.set_font("600 11px ui-monospace, Menlo, Consolas, monospace");
        ctx.set_text_align("left");
        ctx.set_text_baseline("middle");
        for lane in &p.lanes {
            let _ = ctx.fill_text(&lane.label, 6.0, lane.y + lane.h / 2.0);
        }
    }
    // Bars: one path per colour and emphasis.
    let dimmed_any = p.bars.iter().any(|b| b.emphasis == Emphasis::Dimmed);
    for shown in [Shown::Ok, Shown::Fail, Shown::Unknown, Shown::Pending] {
        for dim in [false, true] {
            if dim && !dimmed_any {
                continue;
            }
            ctx.begin_path();
            let mut any = false;
            for b in p
                .bars
                .iter()
                .filter(|b| b.shown == shown && (b.emphasis == Emphasis::Dimmed) == dim)
            {
                ctx.rect(b.x, b.y, b.w, b.h);
                any = true;
            }
            if any {
                fill(ctx, pal.of(shown));
                ctx.set_global_alpha(if dim { 0.22 } else { 0.9 });
                ctx.fill();
            }
        }
    }
    ctx.set_global_alpha(1.0);
    // Blamed operations: a red outline and a dot above.
    ctx.begin_path();
    let mut any = false;
    for b in p.bars.iter().filter(|b| b.emphasis == Emphasis::Offending) {
        ctx.rect(b.x - 1.5, b.y - 1.0, b.w + 3.0, b.h + 2.0);
        any = true;
    }
    if any {
        stroke(ctx, &pal.bad);
        ctx.set_line_width(2.0);
        ctx.stroke();
        ctx.begin_path();
        for b in p.bars.iter().filter(|b| b.emphasis == Emphasis::Offending) {
            let (x, y) = (b.x + b.w / 2.0, b.y + b.h / 2.0);
            ctx.move_to(x + 2.5, y);
            let _ = ctx.arc(x, y, 2.5, 0.0, TAU);
        }
        fill(ctx, &pal.text);
        ctx.fill();
    }
    // The focused operation.
    if let Some(b) = p.bars.iter().find(|b| b.focused) {
        stroke(ctx, &pal.accent);
        ctx.set_line_width(2.0);
        ctx.stroke_rect(b.x - 2.5, b.y - 2.0, b.w + 5.0, b.h + 4.0);
    }
    // Axis and ticks.
    stroke(ctx, &pal.faint);
    ctx.set_line_width(1.0);
    ctx.begin_path();
    ctx.move_to(crate::history::LABEL_WIDTH, lanes_bottom + 0.5);
    ctx.line_to(w, lanes_bottom + 0.5);
    for (x, _) in &p.ticks {
        ctx.move_to(x.round() + 0.5, lanes_bottom);
        ctx.line_to(x.round() + 0.5, lanes_bottom + 4.0);
    }
    ctx.stroke();
    fill(ctx, &pal.muted);
    ctx.set_font("10px ui-monospace, Menlo, Consolas, monospace");
    ctx.set_text_align("center");
    ctx.set_text_baseline("top");
    let mut last_right = f64::MIN;
    for (x, label) in &p.ticks {
        let width = label.len() as f64 * 6.2;
        if x - width / 2.0 > last_right + 6.0 && x + width / 2.0 < w {
            let _ = ctx.fill_text(label, *x, lanes_bottom + 5.0);
            last_right = x + width / 2.0;
        }
    }
    // Now.
    if let Some(x) = p.now_x {
        stroke(ctx, &pal.accent);
        ctx.set_line_width(1.5);
        ctx.begin_path();
        ctx.move_to(x, 0.0);
        ctx.line_to(x, lanes_bottom);
        ctx.stroke();
    }
    let _ = &pal.warn;
}

/// Saves `text` as a download called `name`.
fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/edn");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = dom::document().create_element("a") {
        if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
            a.set_href(&url);
            a.set_download(name);
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Adds `historyState()` to `window.splitbrain` once the page's hook
/// exists: the view's state for the browser tests.
fn install_hook(parts: &Parts) -> bool {
    let window = dom::window();
    let Ok(hook) = js_sys::Reflect::get(&window, &JsValue::from_str("splitbrain")) else {
        return false;
    };
    if !hook.is_object() {
        return false;
    }
    let (view, picture) = (parts.view.clone(), parts.picture.clone());
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        let v = view.borrow();
        let p = picture.borrow();
        let state = crate::probe::HistoryProbe::of(&v, &p);
        let json = serde_json::to_string(&state).unwrap_or_else(|_| "null".to_owned());
        js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL)
    });
    let _ = js_sys::Reflect::set(
        &hook,
        &JsValue::from_str("historyState"),
        &f.into_js_value(),
    );
    true
}

#[derive(Properties, PartialEq)]
struct ImportProps {
    /// Check this: the file's name, its text, how to read it.
    on_check: Callback<(String, String, FileOptions)>,
    on_close: Callback<()>,
    /// The check worker is reading and checking it.
    busy: bool,
    /// Why the worker refused the last one.
    refused: Option<String>,
}

/// Import a history: pick a file or paste it, choose the format or let it
/// be detected, and see the error with its line when it does not parse.
#[function_component(ImportDialog)]
fn import_dialog(props: &ImportProps) -> Html {
    let text = use_state(String::new);
    let name = use_state(|| t("pasted history").to_owned());
    let format = use_state(|| None::<String>);
    let model = use_state(|| None::<String>);
    let initial = use_state(String::new);
    let error = use_state(|| None::<String>);
    let area_ref = use_node_ref();
    {
        let area_ref = area_ref.clone();
        use_effect_with((), move |_| dom::focus(area_ref.cast::<web_sys::Element>()));
    }
    let oninput = {
        let (text, name) = (text.clone(), name.clone());
        Callback::from(move |e: InputEvent| {
            text.set(dom::target_value(&e));
            name.set(t("pasted history").to_owned());
        })
    };
    let onfile = {
        let (text, name, error) = (text.clone(), name.clone(), error.clone());
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let Ok(reader) = web_sys::FileReader::new() else {
                return;
            };
            let file_name = file.name();
            let (text, name, error) = (text.clone(), name.clone(), error.clone());
            let done = Closure::once_into_js({
                let reader = reader.clone();
                move || match reader.result().ok().and_then(|r| r.as_string()) {
                    Some(content) => {
                        text.set(content);
                        name.set(file_name);
                        error.set(None);
                    }
                    None => error.set(Some(tf("Could not read {0} as text.", &[&file_name]))),
                }
            });
            reader.set_onload(Some(done.unchecked_ref()));
            let _ = reader.read_as_text(&file);
        })
    };
    let onformat = {
        let format = format.clone();
        Callback::from(move |e: Event| format.set(Some(dom::target_value(&e))))
    };
    let onmodel = {
        let model = model.clone();
        Callback::from(move |e: Event| model.set(Some(dom::target_value(&e))))
    };
    let oninitial = {
        let initial = initial.clone();
        Callback::from(move |e: InputEvent| initial.set(dom::target_value(&e)))
    };
    let check = {
        let (text, name, format, model, initial, error, on_check) = (
            text.clone(),
            name.clone(),
            format.clone(),
            model.clone(),
            initial.clone(),
            error.clone(),
            props.on_check.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if text.trim().is_empty() {
                error.set(Some(
                    t("Nothing to check: pick a file or paste a history.").to_owned(),
                ));
                return;
            }
            // The command line's reader, with the same choices, in the
            // check worker.
            error.set(None);
            let file = FileOptions {
                format: (*format).clone(),
                model: (*model).clone(),
                initial: (*initial).clone(),
            };
            on_check.emit(((*name).clone(), (*text).clone(), file));
        })
    };
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.stop_propagation();
                on_close.emit(());
            }
        })
    };
    html! {
        <div class="backdrop" {onkeydown}>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="import-title">
                <header>
                    <h2 id="import-title">{t("Import a history")}</h2>
                    <button type="button" class="btn icon" aria-label={t("Close")} onclick={close.clone()}>{"✕"}</button>
                </header>
                <p class="note">
                    {t("Jepsen EDN, as Jepsen and Knossos write it (a vector of operation maps) or one map per line as exported here, or a Jepsen etcd log. ")}
                    {"[{:process 0, :type :invoke, :f :cas, :value [1 2]} …]. "}
                    {t("The model comes from the operations unless you choose one; a :fail did not happen, except in an etcd log (Porcupine's reading). ")}
                    {t("Its verdicts replace the live run's until you go back to it.")}
                </p>
                <div class="import-row">
                    <label class="field-inline">{t("File")}
                        <input type="file" accept=".edn,.txt,.log,text/plain" aria-label={t("History file")} onchange={onfile} />
                    </label>
                    <label class="field-inline">{t("Format")}
                        <select aria-label={t("Format")} onchange={onformat}>
                            <option value="detect" selected=true>{t("detect")}</option>
                            <option value="edn">{"edn"}</option>
                            <option value="jepsen-etcd">{"jepsen-etcd"}</option>
                        </select>
                    </label>
                    <label class="field-inline">{t("Model")}
                        <select aria-label={t("Model")} onchange={onmodel}>
                            <option value="detect" selected=true>{t("from the operations")}</option>
                            { for Model::ALL.iter().map(|m| html! { <option value={m.name()}>{m.name()}</option> }) }
                        </select>
                    </label>
                    <label class="field-inline">{t("First value")}
                        <input type="text" size="10" aria-label={t("First value")} spellcheck="false"
                            placeholder={t("unset")} value={(*initial).clone()} oninput={oninitial} />
                    </label>
                </div>
                <textarea ref={area_ref} aria-label={t("History text")} spellcheck="false"
                    placeholder={t("…or paste a history here")} value={(*text).clone()} {oninput} />
                if let Some(e) = error.as_ref().or(props.refused.as_ref()) {
                    <p class="form-error" role="alert" id="import-error">{e}</p>
                }
                <footer>
                    <button type="button" class="btn" onclick={close}>{t("Cancel")}</button>
                    if props.busy {
                        <span class="note" role="status" id="import-checking">{t("Checking…")}</span>
                    }
                    <button type="button" class="btn primary" onclick={check} aria-busy={props.busy.to_string()}>{t("Check this history")}</button>
                </footer>
            </div>
        </div>
    }
}
