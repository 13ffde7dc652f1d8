//! `window.splitbrain`: a read-only window into the app for the browser
//! tests (and the curious). It reports state; it never changes the run,
//! except `resetFrameStats`, which only clears a measurement.
//!
//! - `state()`: the [`ProbeState`] as an object, plus `canvas`, the
//!   canvas's client rectangle (add it to node positions for page
//!   coordinates).
//! - `runScenario(json, untilMicros?)`: runs a scenario headless in this
//!   page and returns its trace hash, as the CLI prints it.
//! - `frameStats()` / `resetFrameStats()`: frame work percentiles.
//! - `checkHistory(text, format?, repeat?)`: a history file's
//!   linearizability verdict and the parse and check times, in wasm.
//! - `historyState()`: the history view (added by that component).

use wasm_bindgen::prelude::*;
use yew::Callback;

use super::dom;
use super::store::ModelRef;
use crate::model::Msg;
use crate::probe::{run_scenario, ProbeState};

fn set(target: &js_sys::Object, name: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(name), value);
}

fn to_js<T: serde::Serialize>(value: &T) -> JsValue {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL)
}

pub fn install(model: ModelRef, _send: Callback<Msg>) {
    let hook = js_sys::Object::new();

    let state = {
        let model = model.clone();
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let value = to_js(&ProbeState::of(&model.0.borrow()));
            if let Some(canvas) = dom::document().get_element_by_id("cluster") {
                let rect = canvas.get_bounding_client_rect();
                let r = js_sys::Object::new();
                set(&r, "left", &rect.left().into());
                set(&r, "top", &rect.top().into());
                set(&r, "width", &rect.width().into());
                set(&r, "height", &rect.height().into());
                if let Some(obj) = value.dyn_ref::<js_sys::Object>() {
                    set(obj, "canvas", &r);
                }
            }
            value
        })
    };
    set(&hook, "state", &state.into_js_value());

    let run = Closure::<dyn Fn(String, JsValue) -> Result<String, JsValue>>::new(
        |json: String, until: JsValue| {
            let until = until.as_f64().map(|u| u as u64);
            run_scenario(&json, until).map_err(|e| js_sys::Error::new(&e).into())
        },
    );
    set(&hook, "runScenario", &run.into_js_value());

    let stats = {
        let model = model.clone();
        Closure::<dyn Fn() -> JsValue>::new(move || to_js(&model.0.borrow().frame_times.summary()))
    };
    set(&hook, "frameStats", &stats.into_js_value());

    let reset = Closure::<dyn Fn()>::new(move || model.0.borrow_mut().frame_times.clear());
    set(&hook, "resetFrameStats", &reset.into_js_value());

    // --- history view ---
    // `checkHistory(text, format?, repeat?)`: parse and check a history
    // file in this page; `{format, ops, verdict, steps, parseMs, checkMs}`
    // (checkMs the mean of `repeat` checks). (`historyState()` is added by
    // the history view itself.)
    let check = Closure::<dyn Fn(String, JsValue, JsValue) -> Result<JsValue, JsValue>>::new(
        |text: String, format: JsValue, repeat: JsValue| {
            let format = format.as_string();
            let repeat = repeat.as_f64().map_or(1, |r| r.clamp(1.0, 10_000.0) as u32);
            crate::probe::check_history(&text, format.as_deref(), repeat, &dom::now_ms)
                .map(|r| to_js(&r))
                .map_err(|e| js_sys::Error::new(&e).into())
        },
    );
    set(&hook, "checkHistory", &check.into_js_value());

    set(&dom::window(), "splitbrain", &hook);
}
