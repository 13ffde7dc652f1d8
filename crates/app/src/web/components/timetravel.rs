//! The time-travel panel: the scrubber with its markers, step and jump
//! buttons, the branch list, the space-time diagram and the exports.

use std::rc::Rc;

use splitbrain_core::timeline::MarkKind;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

use crate::i18n::{t, t_dyn, tf};
use crate::model::{action_text, Msg, TravelMsg, MAX_BUDGET_MB, MIN_BUDGET_MB};
use crate::panel::{format_time, Panel};
use crate::spacetime::{self, Colors, DiagramSpec};
use crate::web::dom;
use crate::web::store::ModelRef;

#[derive(Properties, PartialEq)]
pub struct TimeTravelProps {
    pub model: ModelRef,
    pub panel: Rc<Panel>,
    pub send: Callback<Msg>,
}

/// Width of the diagram's coordinate system; CSS scales it to the panel.
const DIAGRAM_WIDTH: f64 = 960.0;
/// Markers drawn on the scrubber at most (a long run has many).
const MAX_MARKS: usize = 400;

fn kind_class(kind: MarkKind) -> &'static str {
    match kind {
        MarkKind::LeaderChange => "tt-mark tt-leader-change",
        MarkKind::Crash => "tt-mark tt-crash",
        MarkKind::Partition => "tt-mark tt-partition",
        MarkKind::Violation => "tt-mark tt-violation",
        MarkKind::ClientReply => "tt-mark tt-reply",
    }
}

/// Saves `href` (a data: URL) as a file named `name`.
fn download(href: &str, name: &str) {
    let doc = dom::document();
    let Ok(a) = doc.create_element("a") else {
        return;
    };
    let _ = a.set_attribute("href", href);
    let _ = a.set_attribute("download", name);
    if let (Some(body), Ok(a)) = (doc.body(), a.dyn_into::<HtmlElement>()) {
        let _ = body.append_child(&a);
        a.click();
        let _ = body.remove_child(&a);
    }
}

#[function_component(TimeTravelPanel)]
pub fn time_travel_panel(props: &TimeTravelProps) -> Html {
    let _ = &props.panel; // re-rendered when the panels change
    let model = props.model.0.borrow();
    let view = model.travel_view();
    // Selection, zoom and the jump kind change nothing the panels show,
    // so the store would not re-render this component: it asks itself.
    let force = use_force_update();
    let send: Callback<Msg> = {
        let (outer, force) = (props.send.clone(), force.clone());
        Callback::from(move |msg: Msg| {
            outer.emit(msg);
            force.force_update();
        })
    };
    let send = &send;
    let travel = |msg: TravelMsg| {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(Msg::Travel(msg.clone())))
    };
    // A message picked on the cluster unfolds the diagram to show it.
    let details_ref = use_node_ref();
    {
        let details_ref = details_ref.clone();
        use_effect_with(model.travel().reveal, move |reveal| {
            if *reveal > 0 {
                if let Some(d) = details_ref.cast::<Element>() {
                    let _ = d.set_attribute("open", "");
                }
            }
        });
    }
    let head = view.head_time.0.max(1);
    let onscrub = {
        let send = send.clone();
        Callback::from(move |e: InputEvent| {
            if let Ok(v) = dom::target_value(&e).parse::<f64>() {
                send.emit(Msg::Travel(TravelMsg::SeekTime(v as u64)));
            }
        })
    };
    let onkind = {
        let send = send.clone();
        Callback::from(move |e: Event| {
            let v = dom::target_value(&e);
            if let Some(kind) = MarkKind::ALL.iter().find(|k| k.name() == v) {
                send.emit(Msg::Travel(TravelMsg::SetKind(*kind)));
            }
        })
    };

    // Markers: evenly thinned when there are too many to see.
    let every = view.markers.len().div_ceil(MAX_MARKS).max(1);
    let marks = view.markers.iter().step_by(every).map(|m| {
        let left = m.time.0 as f64 / head as f64 * 100.0;
        let title = tf(
            "{0} at {1} ({2})",
            &[&t_dyn(m.kind.name()), &format_time(m.time), &m.node],
        );
        html! { <span class={kind_class(m.kind)} style={format!("left:{left:.3}%")} {title}></span> }
    });

    // The diagram, for its visible window only, and only while its
    // section is open: a busy run's diagram is thousands of elements.
    let open = use_state_eq(|| false);
    let bands = use_mut_ref(spacetime::Bands::default);
    let diagram = if *open {
        let window = model.travel().window_at(view.now);
        let pending = model.pending_flights();
        let spec = DiagramSpec {
            nodes: model.node_count(),
            window,
            cursor: view.now,
            selected: view.selected_event,
            msg_kinds: model.sim().msg_kinds(),
            width: DIAGRAM_WIDTH,
            colors: Colors::Css,
            marks: &view.markers,
            pending: &pending,
        };
        let key = (model.run << 32) | u64::from(view.branch);
        let fetched = model.diagram_events(window);
        let stretch = fetched.stretch(model.travel().timeline.node_events());
        let (svg, _) = spacetime::svg_cached(&stretch, &spec, &mut bands.borrow_mut(), key);
        Html::from_html_unchecked(AttrValue::from(svg))
    } else {
        Html::default()
    };
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            // `<details>`'s `open` (read by name: one property is not
            // worth another web-sys feature).
            if let Some(target) = e.target() {
                let is_open = js_sys::Reflect::get(&target, &"open".into())
                    .ok()
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                open.set(is_open);
            }
        })
    };
    let onpick = {
        let send = send.clone();
        Callback::from(move |e: MouseEvent| {
            let hit = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|el| el.closest("[data-event]").ok().flatten())
                .and_then(|el| el.get_attribute("data-event"))
                .and_then(|v| v.parse::<u64>().ok());
            send.emit(Msg::Travel(TravelMsg::SelectEvent(hit)));
        })
    };
    let onwheel = {
        let send = send.clone();
        Callback::from(move |e: WheelEvent| {
            e.prevent_default();
            let msg = if e.shift_key() || e.delta_x().abs() > e.delta_y().abs() {
                let d = if e.shift_key() {
                    e.delta_y()
                } else {
                    e.delta_x()
                };
                TravelMsg::Pan(d.signum() * 0.1)
            } else if e.delta_y() < 0.0 {
                TravelMsg::Zoom(1.25)
            } else {
                TravelMsg::Zoom(0.8)
            };
            send.emit(Msg::Travel(msg));
        })
    };
    let export_svg = {
        let model = props.model.clone();
        Callback::from(move |_: MouseEvent| {
            let m = model.0.borrow();
            let v = m.travel_view();
            let pending = m.pending_flights();
            let spec = DiagramSpec {
                nodes: m.node_count(),
                window: m.travel().window_at(v.now),
                cursor: v.now,
                selected: v.selected_event,
                msg_kinds: m.sim().msg_kinds(),
                width: DIAGRAM_WIDTH,
                colors: Colors::Fixed,
                marks: &v.markers,
                pending: &pending,
            };
            let fetched = m.diagram_events(spec.window);
            let file =
                spacetime::export(&fetched.stretch(m.travel().timeline.node_events()), &spec);
            let href = format!(
                "data:image/svg+xml;charset=utf-8,{}",
                String::from(js_sys::encode_uri_component(&file))
            );
            download(&href, "splitbrain-spacetime.svg");
        })
    };
    let export_png = Callback::from(|_: MouseEvent| {
        let canvas = dom::document()
            .get_element_by_id("cluster")
            .and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok());
        if let Some(url) = canvas.and_then(|c| c.to_data_url().ok()) {
            download(&url, "splitbrain-cluster.png");
        }
    });

    let branches = view.branches.iter().map(|b| {
        let label = match (&b.fork_time, &b.last_action) {
            (Some(at), Some(a)) => tf(
                "Branch {0}: from {1} at {2}, {3}",
                &[
                    &b.id,
                    &b.parent
                        .map(|p| tf("branch {0}", &[&p]))
                        .unwrap_or_default(),
                    &format_time(*at),
                    &action_text(&a.action),
                ],
            ),
            _ => tf("Branch {0}: the original run", &[&b.id]),
        };
        let detail = tf(
            "to {0} · {1} events",
            &[&format_time(b.head_time), &b.head_events],
        );
        let onclick = travel(TravelMsg::SwitchBranch(b.id));
        html! {
            <li>
                <button class={classes!("btn", "branch", b.current.then_some("current"))}
                    aria-current={b.current.then_some("true")} {onclick}>
                    <span>{label}</span><span class="muted">{detail}</span>
                </button>
            </li>
        }
    });

    let picked = model.selected_message().map(|(text, index)| {
        html! {
            <p class="tt-picked" id="tt-picked">
                <span>{tf("Selected: {0}", &[&text])}</span>
                <button class="btn" onclick={travel(TravelMsg::SeekEvent(index))}>{t("Show in the cluster")}</button>
            </p>
        }
    });

    let budget = model.budget();
    let stats = model.travel().timeline.stats();
    let memory = tf(
        "Memory: {0} MB in use of a {1} MB budget; {2} older stretches of events are let go and replayed when needed.",
        &[
            &format!("{:.0}", budget.heap_bytes as f64 / 1e6),
            &budget.budget_mb,
            &stats.evicted_chunks,
        ],
    );
    // What the person has typed and not yet committed. Yew sets an input's
    // `value` whenever it differs from the one rendered, and this panel
    // re-renders several times a second while the run plays: rendering the
    // model's budget would put it back over the typing, and the `change`
    // that follows would then carry the old number.
    let budget_draft = use_state_eq(|| None::<String>);
    let onbudget_input = {
        let draft = budget_draft.clone();
        Callback::from(move |e: InputEvent| draft.set(Some(dom::target_value(&e))))
    };
    let onbudget = {
        let (send, draft) = (send.clone(), budget_draft.clone());
        Callback::from(move |e: Event| {
            draft.set(None);
            if let Ok(mb) = dom::target_value(&e).trim().parse::<u32>() {
                let mb = mb.clamp(MIN_BUDGET_MB, MAX_BUDGET_MB);
                crate::web::memory::save_budget(mb);
                send.emit(Msg::SetMemoryBudget(mb));
            }
        })
    };
    let budget_value = (*budget_draft)
        .clone()
        .unwrap_or_else(|| budget.budget_mb.to_string());

    let hint = if view.behind {
        t("Viewing the past. Play replays this branch, its recorded actions included, and runs on live at its end. Acting here (crash, partition, request…) starts a new branch; this one stays in the list.")
    } else {
        t("At the end of the run. Drag the slider or press ← to go back in time.")
    };

    html! {
        <section class="panel timetravel" aria-labelledby="timetravel-title">
            <div class="tt-head">
                <h2 id="timetravel-title">{t("Timeline")}</h2>
                <span class="tt-status" id="tt-status">
                    {tf(
                        "{0} of {1} · event {2} of {3} · branch {4}",
                        &[&format_time(view.now),
                        &format_time(view.head_time),
                        &view.events,
                        &view.head_events,
                        &view.branch]
                    )}
                </span>
            </div>
            <div class="scrubber">
                <div class="marks" aria-hidden="true">{ for marks }</div>
                <input id="scrubber" type="range" min="0" max={head.to_string()} step="1"
                    value={view.now.0.min(head).to_string()} aria-label={t("Simulated time")}
                    aria-valuetext={format_time(view.now)} oninput={onscrub} />
            </div>
            <div class="tt-controls" role="toolbar" aria-label={t("Time travel")}>
                <button class="btn" onclick={travel(TravelMsg::Jump(false))} title="[">{tf("⏮ Previous {0}", &[&t_dyn(view.kind.name())])}</button>
                <button class="btn" onclick={travel(TravelMsg::StepBack)} title={t("← or ,")}>{t("◀ Step back")}</button>
                <button class="btn" onclick={travel(TravelMsg::StepForward)} title={t("→ or .")}>{t("Step ▶")}</button>
                <button class="btn" onclick={travel(TravelMsg::Jump(true))} title="]">{tf("Next {0} ⏭", &[&t_dyn(view.kind.name())])}</button>
                <label>{t("Jump to ")}
                    <select onchange={onkind} aria-label={t("Kind of event to jump to")}>
                        { for MarkKind::ALL.iter().map(|k| html! {
                            <option value={k.name()} selected={*k == view.kind}>{t_dyn(k.name())}</option>
                        }) }
                    </select>
                </label>
                <button class="btn" onclick={travel(TravelMsg::Live)} disabled={!view.behind} title="End">{t("To the end")}</button>
            </div>
            <p class="tt-hint">{hint}</p>
            <p class="tt-memory" id="tt-memory">
                <span>{memory}</span>
                <label>{t("Memory budget (MB)")}
                    <input id="memory-budget" type="number" min={MIN_BUDGET_MB.to_string()}
                        max={MAX_BUDGET_MB.to_string()} step="16"
                        value={budget_value} oninput={onbudget_input} onchange={onbudget} />
                </label>
            </p>
            if view.branches.len() > 1 {
                <h3>{t("Branches")}</h3>
                <ol class="branches" aria-label={t("Branches")}>{ for branches }</ol>
            }
            <div aria-live="polite">{ for picked }</div>
            <details class="tt-more" id="tt-more" ref={details_ref} {ontoggle}>
            <summary>{t("Space-time diagram")}</summary>
            <div class="tt-diagram-head">
                <div class="tt-controls" role="toolbar" aria-label={t("Diagram")}>
                    <button class="btn" onclick={travel(TravelMsg::Pan(-0.25))} aria-label={t("Pan earlier")}>{"◀"}</button>
                    <button class="btn" onclick={travel(TravelMsg::Zoom(0.5))} aria-label={t("Zoom out")}>{"−"}</button>
                    <button class="btn" onclick={travel(TravelMsg::Zoom(2.0))} aria-label={t("Zoom in")}>{"+"}</button>
                    <button class="btn" onclick={travel(TravelMsg::Pan(0.25))} aria-label={t("Pan later")}>{"▶"}</button>
                    <button class="btn" onclick={travel(TravelMsg::Follow)}>{t("Follow")}</button>
                    <button class="btn" onclick={export_svg}>{t("Export diagram (SVG)")}</button>
                    <button class="btn" onclick={export_png}>{t("Export cluster (PNG)")}</button>
                </div>
            </div>
            <div class="tt-diagram" id="spacetime" onclick={onpick} {onwheel}>{diagram}</div>
            </details>
        </section>
    }
}
