//! The ring view, shown in place of the cluster view (button or `O`): the
//! consistent-hashing ring with each node's virtual nodes in its colour,
//! the sample keys just inside the ring in their owner's colour, and the
//! keys that moved in the last join or leave ringed. The numbers and the
//! geometry come from [`crate::ringview::RingView`]; this file paints them
//! and forwards the buttons.

use std::f64::consts::TAU;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use crate::i18n::{t, tf};
use crate::model::Msg;
use crate::panel::Panel;
use crate::ringview::{at, RingView, MAX_VNODES};
use crate::web::dom;
use crate::web::store::ModelRef;

#[derive(Properties, PartialEq)]
pub struct RingProps {
    pub model: ModelRef,
    pub panel: Rc<Panel>,
    pub send: Callback<Msg>,
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = CanvasRenderingContext2D)]
    type RingStyle;
    #[wasm_bindgen(method, setter = fillStyle)]
    fn set_fill_style(this: &RingStyle, value: &JsValue);
    #[wasm_bindgen(method, setter = strokeStyle)]
    fn set_stroke_style(this: &RingStyle, value: &JsValue);
}

/// A page colour by CSS variable name.
fn colour(name: &str) -> JsValue {
    crate::web::palette::Styles::read().colour(name)
}

/// Node `i`'s colour: the cluster view's message palette, so a node reads
/// the same in both themes.
fn node_var(i: u16) -> String {
    format!("--msg-{}", i % 8)
}

/// The ring for the current run: its node count, and the store's vnode
/// count when it is a quorum store.
fn initial(model: &ModelRef) -> RingView {
    let m = model.0.borrow();
    let scenario = m.sim().scenario();
    // Protocols without a ring of their own show the store's default.
    let vnodes = scenario.protocol.vnodes().unwrap_or(8);
    RingView::new(usize::from(scenario.nodes), vnodes)
}

fn draw(canvas: &HtmlCanvasElement, view: &RingView) {
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let style: &RingStyle = ctx.unchecked_ref();
    let (w, h) = (
        f64::from(canvas.client_width()).max(1.0),
        f64::from(canvas.client_height()).max(1.0),
    );
    let ratio = dom::window().device_pixel_ratio().max(1.0);
    canvas.set_width((w * ratio) as u32);
    canvas.set_height((h * ratio) as u32);
    let _ = ctx.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, w, h);
    let (cx, cy) = (w / 2.0, h / 2.0);
    let r = (w.min(h) / 2.0 - 28.0).max(20.0);
    let picture = view.picture();

    // The ring itself.
    style.set_stroke_style(&colour("--faint"));
    ctx.set_line_width(2.0);
    ctx.begin_path();
    let _ = ctx.arc(cx, cy, r, 0.0, TAU);
    ctx.stroke();

    // Virtual nodes: a tick across the ring in the node's colour.
    ctx.set_line_width(3.0);
    for p in &picture.vnodes {
        style.set_stroke_style(&colour(&node_var(p.node.0)));
        let (x0, y0) = at(cx, cy, r - 7.0, p.angle);
        let (x1, y1) = at(cx, cy, r + 7.0, p.angle);
        ctx.begin_path();
        ctx.move_to(x0, y0);
        ctx.line_to(x1, y1);
        ctx.stroke();
    }

    // Keys: dots inside the ring in their owner's colour; moved ones
    // ringed in the accent colour so the eye finds them.
    let accent = colour("--accent");
    let key_r = r - 18.0;
    for k in &picture.keys {
        let (x, y) = at(cx, cy, key_r, k.angle);
        style.set_fill_style(&colour(&node_var(k.owner.0)));
        ctx.begin_path();
        let _ = ctx.arc(x, y, if k.moved { 4.5 } else { 3.0 }, 0.0, TAU);
        ctx.fill();
        if k.moved {
            style.set_stroke_style(&accent);
            ctx.set_line_width(2.0);
            ctx.begin_path();
            let _ = ctx.arc(x, y, 8.0, 0.0, TAU);
            ctx.stroke();
        }
    }

    // Centre: the one number that matters most.
    style.set_fill_style(&colour("--text"));
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    ctx.set_font("600 13px system-ui, sans-serif");
    let centre = match &view.change {
        Some(c) => tf(
            "{0}% of keys moved",
            &[&format!("{:.0}", c.fraction * 100.0)],
        ),
        None => tf("{0} keys", &[&view.keys().len()]),
    };
    let _ = ctx.fill_text(&centre, cx, cy - 9.0);
    style.set_fill_style(&colour("--muted"));
    ctx.set_font("12px system-ui, sans-serif");
    let sub = match &view.change {
        Some(c) => tf(
            "modulo hashing: {0}%",
            &[&format!("{:.0}", c.modulo * 100.0)],
        ),
        None => tf("spread {0}", &[&format!("{:.2}", view.spread())]),
    };
    let _ = ctx.fill_text(&sub, cx, cy + 11.0);
}

/// The virtual node counts offered: powers of two, where the spread's
/// `1/sqrt(v)` shrinking shows step by step.
const VNODE_CHOICES: [u32; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

#[function_component(RingPanel)]
pub fn ring_panel(props: &RingProps) -> Html {
    let view = {
        let model = props.model.clone();
        use_mut_ref(move || initial(&model))
    };
    let version = use_state(|| 0u64);
    let canvas_ref = use_node_ref();
    let error = use_state(|| None::<String>);

    // A new run starts the ring over from its own size.
    {
        let (view, version, model) = (view.clone(), version.clone(), props.model.clone());
        let run = props.model.0.borrow().run;
        use_effect_with(run, move |_| {
            *view.borrow_mut() = initial(&model);
            version.set(*version + 1);
        });
    }
    // Redraw when the ring or the theme changes.
    {
        let (view, canvas_ref) = (view.clone(), canvas_ref.clone());
        let dark = dom::page_is_dark();
        // And when the language changes: the text in the middle is translated.
        use_effect_with(
            (*version, dark, props.panel.theme, props.panel.shown_lang()),
            move |_| {
                if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                    draw(&canvas, &view.borrow());
                }
            },
        );
    }

    // And when the window (so the canvas) changes size.
    {
        let (view, canvas_ref) = (view.clone(), canvas_ref.clone());
        use_effect_with((), move |_| {
            let listener = gloo::events::EventListener::new(&dom::window(), "resize", move |_| {
                if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                    draw(&canvas, &view.borrow());
                }
            });
            move || drop(listener)
        });
    }

    let change = |f: fn(&mut RingView) -> Result<(), String>| {
        let (view, version, error) = (view.clone(), version.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let result = f(&mut view.borrow_mut());
            error.set(result.err());
            version.set(*version + 1);
        })
    };
    let add = change(|v| v.add_node().map(|_| ()));
    let remove = change(|v| v.remove_node().map(|_| ()));
    let on_vnodes = {
        let (view, version, error) = (view.clone(), version.clone(), error.clone());
        Callback::from(move |e: Event| {
            let text = dom::target_value(&e);
            match text.trim().parse::<u32>() {
                Ok(n) if (1..=MAX_VNODES).contains(&n) => {
                    view.borrow_mut().set_vnodes(n);
                    error.set(None);
                }
                _ => error.set(Some(tf(
                    "Virtual nodes per node: a whole number from 1 to {0}.",
                    &[&MAX_VNODES],
                ))),
            }
            version.set(*version + 1);
        })
    };

    let v = view.borrow();
    let counts = v.counts();
    let moved = v.change.clone();
    html! {
        <div class="ring-view" id="ring-view" data-version={version.to_string()}>
            <div class="ring-bar">
                <button type="button" class="btn" id="ring-add" onclick={add}
                    title={t("A new node joins the ring with its virtual nodes")}>{t("Add node")}</button>
                <button type="button" class="btn" id="ring-remove" onclick={remove}
                    title={t("The highest-numbered node leaves the ring")}>{t("Remove node")}</button>
                <label class="field-inline" title={t("Virtual nodes (tokens) per physical node")}>
                    {t("Virtual nodes")}
                    <select id="ring-vnodes" onchange={on_vnodes}>
                        { for VNODE_CHOICES.iter().map(|n| html! {
                            <option value={n.to_string()} selected={*n == v.vnodes()}>{n}</option>
                        }) }
                        if !VNODE_CHOICES.contains(&v.vnodes()) {
                            <option value={v.vnodes().to_string()} selected=true>{v.vnodes()}</option>
                        }
                    </select>
                </label>
            </div>
            <canvas id="ring" class="ring-canvas" ref={canvas_ref} role="img"
                aria-label={tf("Hash ring. {0}", &[&v.summary()])} />
            <dl class="facts ring-facts">
                <dt>{t("Load spread")}</dt>
                <dd id="ring-spread">{tf("{0} (most keys on one node / mean)", &[&format!("{:.2}", v.spread())])}</dd>
                <dt>{t("Keys moved")}</dt>
                <dd id="ring-moved">{
                    match &moved {
                        Some(c) => {
                            let (fraction, modulo) = (format!("{:.0}", c.fraction * 100.0), format!("{:.0}", c.modulo * 100.0));
                            let args: [&dyn std::fmt::Display; 5] = [&fraction, &c.moved.len(), &v.keys().len(), &modulo, &c.node.0];
                            if c.joined {
                                tf("{0}% on the ring ({1} of {2}) vs {3}% with modulo hashing, when n{4} joined", &args)
                            } else {
                                tf("{0}% on the ring ({1} of {2}) vs {3}% with modulo hashing, when n{4} left", &args)
                            }
                        }
                        None => t("Add or remove a node to see which keys move.").to_owned(),
                    }
                }</dd>
            </dl>
            <ul class="ring-legend" aria-label={t("Keys per node")}>
                { for counts.iter().map(|(n, c)| html! {
                    <li><i class="swatch" style={format!("background: var({})", node_var(n.0))} />
                        {tf("n{0}: {1} keys", &[&n.0, &c])}</li>
                }) }
            </ul>
            if let Some(e) = (*error).clone() {
                <p class="note error" role="alert">{e}</p>
            }
            <p class="note">{t("Each tick on the ring is a virtual node, in its node's colour; each dot a key, owned by the first virtual node clockwise. Ringed dots moved in the last change. The quorum store places a key's N replicas on the next N distinct nodes clockwise.")}</p>
        </div>
    }
}
