//! `window.splitbrain`: a read-only window into the app for the browser
//! tests (and the curious). It reports state; it never changes the run,
//! except `resetFrameStats`, which only clears a measurement, and
//! `setTurbo`, which only makes it go faster.
//!
//! - `state()`: the [`ProbeState`] as an object, plus `canvas`, the
//!   canvas's client rectangle (add it to node positions for page
//!   coordinates).
//! - `protocols()`: the protocol menu, `[{id, label, protocol}]`, from the
//!   core's registry.
//! - `runScenario(json, untilMicros?)`: runs a scenario headless in this
//!   page and returns its trace hash, as the CLI prints it.
//! - `frameStats()` / `resetFrameStats()`: frame work percentiles.
//! - `checkHistory(text, format?, repeat?, initial?)`: a promise of a
//!   history file's linearizability verdict and the parse and check times,
//!   in the check worker's wasm (`initial`: the registers' first value,
//!   EDN, as `--initial` takes).
//! - `historyState()`: the history view (added by that component).
//! - `travel()`: the time-travel view (cursor, end, branches, markers);
//!   `branchScenario()`: the current branch as scenario JSON;
//!   `benchSeek(json, events, samples)`: records a scenario headless to
//!   `events` events and times seeks in it (never touches the run shown).
//! - `memory()`: the heap, the wasm memory, the budget and what the
//!   timeline holds; `setTurbo(n)`: n frames' worth of simulation per
//!   animation frame, for soak tests (the same run, sooner).

use wasm_bindgen::prelude::*;
use yew::Callback;

use super::dom;
use super::store::ModelRef;
use crate::checks::{Answer, FileOptions, Input, Job};
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

    let protocols = Closure::<dyn Fn() -> JsValue>::new(|| to_js(&crate::probe::protocols()));
    set(&hook, "protocols", &protocols.into_js_value());

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

    {
        let m = model.clone();
        let travel =
            Closure::<dyn Fn() -> JsValue>::new(move || to_js(&m.0.borrow().travel_view()));
        set(&hook, "travel", &travel.into_js_value());
        let m = model.clone();
        let scenario =
            Closure::<dyn Fn() -> String>::new(move || m.0.borrow().branch_scenario_json());
        set(&hook, "branchScenario", &scenario.into_js_value());
        let bench = Closure::<dyn Fn(String, f64, f64) -> Result<JsValue, JsValue>>::new(
            |json: String, events: f64, samples: f64| {
                bench_seek(&json, events as u64, samples as usize)
                    .map(|r| to_js(&r))
                    .map_err(|e| js_sys::Error::new(&e).into())
            },
        );
        set(&hook, "benchSeek", &bench.into_js_value());
    }

    {
        let m = model.clone();
        let memory = Closure::<dyn Fn() -> JsValue>::new(move || {
            let m = m.0.borrow();
            let st = m.travel().timeline.stats();
            to_js(&MemoryView {
                heap_bytes: super::memory::heap_bytes() as f64,
                wasm_bytes: super::memory::wasm_bytes(),
                budget: m.budget().clone(),
                events: m.travel().timeline.head_len(),
                now_micros: m.sim().now().0,
                playing: m.playing,
                snapshots: st.snapshots,
                resident_chunks: st.resident_chunks,
                evicted_chunks: st.evicted_chunks,
                replayed_chunks: st.replayed_chunks,
                notice: m.notice.as_ref().map(|n| n.text.clone()),
            })
        });
        set(&hook, "memory", &memory.into_js_value());
        let m = model.clone();
        let turbo = Closure::<dyn Fn(f64)>::new(move |n: f64| {
            m.0.borrow_mut().turbo = n.clamp(1.0, 1_000.0) as u32;
        });
        set(&hook, "setTurbo", &turbo.into_js_value());
    }

    let reset = Closure::<dyn Fn()>::new(move || model.0.borrow_mut().frame_times.clear());
    set(&hook, "resetFrameStats", &reset.into_js_value());

    // `checkHistory(text, format?, repeat?, initial?)`: parse and check a
    // history file in the check worker; a promise of `{format, model, ops,
    // verdict, steps, parseMs, checkMs}` (checkMs the mean of `repeat`
    // checks), rejected with the reason a file does not read.
    // (`historyState()` is added by the history view itself.)
    type CheckFn = dyn Fn(String, JsValue, JsValue, JsValue) -> js_sys::Promise;
    let check = Closure::<CheckFn>::new(
        |text: String, format: JsValue, repeat: JsValue, initial: JsValue| {
            let file = FileOptions {
                format: format.as_string(),
                model: None,
                initial: initial.as_string().unwrap_or_default(),
            };
            let repeat = repeat.as_f64().map_or(1, |r| r.clamp(1.0, 10_000.0) as u32);
            let job = Job::Time {
                text,
                file: file.clone(),
                repeat,
            };
            let mut job = Some(job);
            js_sys::Promise::new(&mut |resolve, reject| {
                let Some(job) = job.take() else {
                    return;
                };
                let initial = file.initial.clone();
                super::checker::ask(job, move |answer| {
                    let failed = |why: String| {
                        let _ = reject.call1(&JsValue::NULL, &js_sys::Error::new(&why));
                    };
                    match answer {
                        Answer::Timed(r) => {
                            let _ = resolve.call1(&JsValue::NULL, &to_js(&r));
                        }
                        Answer::Refused {
                            input: Input::FirstValue,
                            message,
                        } => failed(format!("initial value `{initial}`: {message}")),
                        Answer::Refused { message, .. } | Answer::Failed { message } => {
                            failed(message)
                        }
                        // Formatting the answer would link Debug for the
                        // whole report into the page; its kind is enough.
                        _ => failed(
                            "the worker gave another kind of answer to checkHistory".to_owned(),
                        ),
                    }
                });
            })
        },
    );
    set(&hook, "checkHistory", &check.into_js_value());

    set(&dom::window(), "splitbrain", &hook);
}

/// What `memory()` reports: cheap enough to poll while a run plays.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct MemoryView {
    heap_bytes: f64,
    wasm_bytes: f64,
    budget: crate::model::Budget,
    events: u64,
    now_micros: u64,
    playing: bool,
    snapshots: usize,
    resident_chunks: usize,
    evicted_chunks: usize,
    replayed_chunks: u64,
    notice: Option<String>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SeekBench {
    events: u64,
    head_micros: u64,
    snapshots: usize,
    interval: u64,
    record_ms: f64,
    /// Wasm memory growth while recording, in bytes (events, snapshots,
    /// history: everything the timeline holds).
    memory_bytes: f64,
    seek_time_ms: Vec<f64>,
    seek_index_ms: Vec<f64>,
    step_back_ms: Vec<f64>,
}

/// Records `json` to `events` events and times `samples` seeks by time, by
/// index and steps back, spread over the run.
fn bench_seek(json: &str, events: u64, samples: usize) -> Result<SeekBench, String> {
    use splitbrain_core::timeline::{Timeline, DEFAULT_INTERVAL};
    use splitbrain_core::{RunOptions, Scenario, Span, Time};
    let scenario: Scenario = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let memory = || {
        wasm_bindgen::memory()
            .dyn_into::<js_sys::WebAssembly::Memory>()
            .map(|m| {
                m.buffer()
                    .dyn_into::<js_sys::ArrayBuffer>()
                    .map_or(0.0, |b| f64::from(b.byte_length()))
            })
            .unwrap_or(0.0)
    };
    let before = memory();
    let start = dom::now_ms();
    let mut cursor = crate::model::build_sim(
        &scenario,
        RunOptions {
            keep_trace: true,
            recent_events: 0,
        },
    )
    .map_err(|e| e.to_string())?;
    let mut tl = Timeline::new(&mut cursor, DEFAULT_INTERVAL);
    while tl.head_len() < events {
        let until = tl.head_time() + Span::from_millis(100);
        tl.advance(&mut cursor, until, events - tl.head_len());
        if cursor.next_event_time().is_none() {
            break;
        }
    }
    let record_ms = dom::now_ms() - start;
    let memory_bytes = memory() - before;
    let head = tl.head_time().0.max(1);
    let len = tl.head_len().max(1);
    let (mut by_time, mut by_index, mut back) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..samples {
        // Spread evenly, offset so points fall between snapshots too.
        let f = (i as f64 + 0.37) / samples as f64;
        let t0 = dom::now_ms();
        let sim = tl.seek_time(Time((head as f64 * f) as u64));
        by_time.push(dom::now_ms() - t0);
        drop(sim);
        let t0 = dom::now_ms();
        let sim = tl.seek_index((len as f64 * f) as u64);
        by_index.push(dom::now_ms() - t0);
        let t0 = dom::now_ms();
        let prev = tl.step_back(&sim);
        back.push(dom::now_ms() - t0);
        drop(prev);
    }
    Ok(SeekBench {
        events: tl.head_len(),
        head_micros: tl.head_time().0,
        snapshots: tl.stats().snapshots,
        interval: tl.interval(),
        record_ms,
        memory_bytes,
        seek_time_ms: by_time,
        seek_index_ms: by_index,
        step_back_ms: back,
    })
}
