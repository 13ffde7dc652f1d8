//! The hero: the canvas, its animation loop, its pointer input, and the
//! small menus that open over it.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::render::{request_animation_frame, AnimationFrame};
use splitbrain_core::protocol::Op;
use splitbrain_core::NodeId;
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, PointerEvent};
use yew::prelude::*;

use super::dom;
use super::render::Renderer;
use super::store::ModelRef;
use crate::geometry::Vec2;
use crate::i18n::{t, t_dyn, tf};
use crate::model::{Menu, Msg, NodeCommand, PointerMsg};
use crate::panel::Panel;
use crate::scene::Scene;

/// How often the panels are rebuilt while the run plays, in milliseconds.
const PANEL_REFRESH_MS: f64 = 200.0;
/// How long one frame may simulate before drawing what it has. Drawing a
/// busy 51-node cluster takes a few more; together they stay well inside
/// a 60 Hz frame, so the page never stutters however fast it is asked to go.
const SIMULATION_BUDGET_MS: f64 = 5.0;

#[derive(Properties, PartialEq)]
pub struct ClusterProps {
    pub model: ModelRef,
    pub panel: Rc<Panel>,
    pub send: Callback<Msg>,
    /// Asks the store to rebuild the panels.
    pub refresh: Callback<()>,
}

/// Everything the animation loop keeps between frames.
struct Loop {
    renderer: Renderer,
    scene: Scene,
    last_time: Option<f64>,
    drawn_version: u64,
    dark: bool,
    last_refresh: f64,
    cursor: &'static str,
    frame: Option<AnimationFrame>,
}

#[function_component(Cluster)]
pub fn cluster(props: &ClusterProps) -> Html {
    let canvas_ref = use_node_ref();

    {
        let canvas_ref = canvas_ref.clone();
        let model = props.model.clone();
        let refresh = props.refresh.clone();
        use_effect_with((), move |_| {
            // The model times snapshots by it
            model.0.borrow_mut().clock = Some(dom::now_ms);
            // The model keeps the heap within it
            model.0.borrow_mut().heap = Some(super::memory::heap_bytes);
            let state: Rc<RefCell<Option<Loop>>> = Rc::new(RefCell::new(None));
            if let Some(renderer) = canvas_ref
                .cast::<HtmlCanvasElement>()
                .and_then(Renderer::new)
            {
                *state.borrow_mut() = Some(Loop {
                    renderer,
                    scene: Scene::default(),
                    last_time: None,
                    drawn_version: u64::MAX,
                    dark: dom::page_is_dark(),
                    last_refresh: 0.0,
                    cursor: "default",
                    frame: None,
                });
                schedule(state.clone(), model, refresh, canvas_ref);
            }
            move || {
                // Dropping the pending frame cancels it and ends the loop.
                state.borrow_mut().take();
            }
        });
    }

    let pointer = |make: fn(&PointerEvent) -> PointerMsg, capture: Option<bool>| {
        let send = props.send.clone();
        let model = props.model.clone();
        Callback::from(move |e: PointerEvent| {
            if let Some(canvas) = e
                .target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<HtmlCanvasElement>(t).ok())
            {
                match capture {
                    Some(true) => {
                        let _ = canvas.set_pointer_capture(e.pointer_id());
                    }
                    Some(false) => {
                        let _ = canvas.release_pointer_capture(e.pointer_id());
                    }
                    None => {}
                }
            }
            let msg = Msg::Pointer(make(&e));
            if matches!(msg, Msg::Pointer(PointerMsg::Move { .. })) {
                // Moves only change the picture: straight to the model, no
                // re-render of the page.
                e.prevent_default();
                model.0.borrow_mut().update(msg);
            } else {
                send.emit(msg);
            }
        })
    };
    let onpointerdown = pointer(
        |e| PointerMsg::Down {
            at: Vec2::new(f64::from(e.offset_x()), f64::from(e.offset_y())),
            button: e.button(),
            touch: e.pointer_type() == "touch",
            time_ms: e.time_stamp(),
        },
        Some(true),
    );
    let onpointermove = pointer(
        |e| PointerMsg::Move {
            at: Vec2::new(f64::from(e.offset_x()), f64::from(e.offset_y())),
        },
        None,
    );
    let onpointerup = pointer(
        |e| PointerMsg::Up {
            at: Vec2::new(f64::from(e.offset_x()), f64::from(e.offset_y())),
            time_ms: e.time_stamp(),
        },
        Some(false),
    );
    let onpointercancel = pointer(|_| PointerMsg::Cancel, Some(false));
    let onpointerleave = pointer(|_| PointerMsg::Leave, None);
    // The browser's own context menu would hide ours.
    let oncontextmenu = Callback::from(|e: MouseEvent| e.prevent_default());

    let panel = &props.panel;
    let description = match &panel.inspector {
        Some(i) => tf(
            "Selected n{0}: {1}, term {2}, commit index {3}, log length {4}.",
            &[
                &i.id.0,
                &t_dyn(i.view.role_label),
                &i.view.term,
                &i.view.commit_index,
                &i.view.log_len,
            ],
        ),
        None => t("No node selected.").to_owned(),
    };

    html! {
        <div class="canvas-box">
            <canvas
                id="cluster"
                ref={canvas_ref}
                tabindex="0"
                aria-roledescription={t("cluster view")}
                aria-label={tf(
                    "{0} nodes. Arrow keys select a node, Enter opens its actions. \
                     Drag nodes apart to partition them.",
                    &[&panel.nodes],
                )}
                aria-describedby="cluster-live"
                {onpointerdown}
                {onpointermove}
                {onpointerup}
                {onpointercancel}
                {onpointerleave}
                {oncontextmenu}
            />
            <p class="hint" aria-hidden="true">
                {t("Drag a node away to partition · draw a line across links to cut them · right-click or long-press a node for actions")}
            </p>
            <div id="cluster-live" class="visually-hidden" aria-live="polite">{description}</div>
            if let Some(menu) = panel.menu {
                <ContextMenu {menu} panel={panel.clone()} send={props.send.clone()} />
            }
        </div>
    }
}

fn schedule(
    state: Rc<RefCell<Option<Loop>>>,
    model: ModelRef,
    refresh: Callback<()>,
    canvas_ref: NodeRef,
) {
    let next = state.clone();
    let frame = request_animation_frame(move |time| {
        tick(&next, &model, &refresh, &canvas_ref, time);
        if next.borrow().is_some() {
            schedule(next, model, refresh, canvas_ref);
        }
    });
    if let Some(l) = state.borrow_mut().as_mut() {
        l.frame = Some(frame);
    }
}

/// One animation frame: advance the simulation by the wall time since the
/// last frame, redraw if anything changed, and now and then refresh the
/// panels. The time taken (simulation plus drawing) is recorded.
fn tick(
    state: &Rc<RefCell<Option<Loop>>>,
    model: &ModelRef,
    refresh: &Callback<()>,
    canvas_ref: &NodeRef,
    time: f64,
) {
    let started = dom::now_ms();
    let mut refresh_now = false;
    let mut drew = false;
    let simulated;
    {
        let mut guard = state.borrow_mut();
        let Some(l) = guard.as_mut() else {
            return;
        };
        let mut m = model.0.borrow_mut();
        let mut force = false;
        if let Some((width, height)) = l.renderer.fit() {
            m.update(Msg::Resize(crate::geometry::Viewport { width, height }));
            force = true;
        }
        let dark = dom::page_is_dark();
        if dark != l.dark {
            l.dark = dark;
            l.renderer.reload_palette();
            force = true;
        }
        let dt = l.last_time.map_or(16.0, |last| time - last);
        l.last_time = Some(time);
        let was_playing = m.playing;
        // A soak test asks for many frames' worth per frame (`turbo`).
        let turbo = m.turbo.max(1);
        let deadline = started + SIMULATION_BUDGET_MS * f64::from(turbo);
        for _ in 0..turbo {
            m.frame_within(dt, &mut || dom::now_ms() < deadline);
            if dom::now_ms() >= deadline {
                break;
            }
        }
        simulated = dom::now_ms();
        if force || m.version() != l.drawn_version {
            l.scene.rebuild(&m);
            l.renderer.draw(&l.scene);
            l.drawn_version = m.version();
            drew = true;
            let cursor = match (m.dragging(), m.hover) {
                (Some(_), _) => "grabbing",
                (None, crate::model::Hover::Node(_)) => "grab",
                (None, crate::model::Hover::Link(..)) => "pointer",
                _ => "default",
            };
            if cursor != l.cursor {
                l.cursor = cursor;
                if let Some(canvas) = canvas_ref.cast::<web_sys::HtmlElement>() {
                    let _ = canvas.style().set_property("cursor", cursor);
                }
            }
            refresh_now = m.playing != was_playing
                || (m.playing
                    && time - l.last_refresh >= PANEL_REFRESH_MS
                    && super::heavy::claim(time));
            if refresh_now {
                l.last_refresh = time;
            }
        }
    }
    let drawn = dom::now_ms();
    if refresh_now {
        refresh.emit(());
    }
    // Idle frames (paused, nothing moving) do no work and are not counted.
    // The rest of the frame (the re-render the refresh asked for, which
    // runs as a microtask, the other panels' frame callbacks, style,
    // layout and paint) is over when a task queued now runs.
    if drew {
        let model = model.clone();
        // Other animation-frame callbacks may have run before this one.
        let begin = time.min(started);
        let done = wasm_bindgen::closure::Closure::once_into_js(move || {
            let end = dom::now_ms();
            model.0.borrow_mut().frame_times.record(
                begin,
                end - begin,
                simulated - started,
                drawn - simulated,
                end - drawn,
            );
        });
        let _ = dom::window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(done.unchecked_ref(), 0);
    }
}

#[derive(Properties, PartialEq)]
struct MenuProps {
    menu: Menu,
    panel: Rc<Panel>,
    send: Callback<Msg>,
}

/// The actions for one node or one link, next to it.
#[function_component(ContextMenu)]
fn context_menu(props: &MenuProps) -> Html {
    let menu_ref = use_node_ref();
    {
        // Keyboard users land on the first action.
        let menu_ref = menu_ref.clone();
        use_effect_with(props.menu, move |_| {
            if let Some(el) = menu_ref.cast::<web_sys::Element>() {
                dom::focus(el.query_selector("button").ok().flatten());
            }
        });
    }
    let send = &props.send;
    let item = |label: String, msg: Msg| {
        let send = send.clone();
        html! {
            <button type="button" role="menuitem" onclick={Callback::from(move |_| send.emit(msg.clone()))}>
                {label}
            </button>
        }
    };
    let (at, title, items) = match props.menu {
        Menu::Node { node, at } => {
            let up = props
                .panel
                .inspector
                .as_ref()
                .filter(|i| i.id == node)
                .is_none_or(|i| i.up);
            let value = (props.panel.now.0 / 1000).to_string();
            let request = |op: Op| Msg::Node(node, NodeCommand::Request(op));
            let items = html! {
                <>
                    {item(if up { tf("Crash n{0}", &[&node.0]) } else { tf("Restart n{0}", &[&node.0]) },
                        Msg::Node(node, NodeCommand::ToggleCrash))}
                    {item(t("Force election timeout").to_owned(), Msg::Node(node, NodeCommand::Timeout))}
                    <hr />
                    {item(tf("Request: put x = {0}", &[&value]),
                        request(Op::Put { key: "x".into(), value: value.clone() }))}
                    {item(tf("Request: append x += {0};", &[&value]),
                        request(Op::Append { key: "x".into(), value: format!("{value};") }))}
                    {item(t("Request: get x").to_owned(), request(Op::Get { key: "x".into() }))}
                </>
            };
            (at, tf("Node n{0}", &[&node.0]), items)
        }
        Menu::Link { a, b, at } => {
            let link = |from: NodeId, to: NodeId, both: bool, cut: bool| {
                if cut {
                    Msg::CutLink { from, to, both }
                } else {
                    Msg::RestoreLink { from, to, both }
                }
            };
            let items = html! {
                <>
                    {item(tf("Cut n{0} → n{1}", &[&a.0, &b.0]), link(a, b, false, true))}
                    {item(tf("Cut n{0} → n{1}", &[&b.0, &a.0]), link(b, a, false, true))}
                    {item(t("Cut both ways").to_owned(), link(a, b, true, true))}
                    <hr />
                    {item(t("Restore both ways").to_owned(), link(a, b, true, false))}
                </>
            };
            (at, tf("Link n{0} ↔ n{1}", &[&a.0, &b.0]), items)
        }
    };
    let close = {
        let send = send.clone();
        Callback::from(move |_| send.emit(Msg::CloseMenu))
    };
    // Open to the left/top when close to the right/bottom edge.
    let style = format!(
        "left: min({x}px, calc(100% - 210px)); top: min({y}px, calc(100% - 250px));",
        x = at.x + 8.0,
        y = at.y + 8.0
    );
    html! {
        <div class="menu" role="menu" aria-label={title.clone()} ref={menu_ref} {style}>
            <h3>{title}</h3>
            {items}
            <hr />
            <button type="button" role="menuitem" onclick={close}>{t("Close")}</button>
        </div>
    }
}
