//! The URL follows the run. Its fragment is the run's permalink
//! ([`crate::link`]), replaced in place (`history.replaceState`, never a new
//! history entry) at most once a second, and local storage keeps the same
//! link, so a reload, or the bare address, brings the work back.
//!
//! An embed writes neither: several can share one page and one origin, and
//! each must keep to itself.

use std::cell::RefCell;

use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::Callback;

use super::dom;
use super::store::ModelRef;
use crate::model::{Model, Msg};

/// Local storage key of the last run's link. Versioned with the format so
/// a future page never misreads an old entry.
const STORAGE_KEY: &str = "splitbrain.link.v1";
/// How often the address is brought up to date. Browsers throttle pages
/// that rewrite their URL many times a second.
const SYNC_EVERY_MS: u32 = 1_000;

thread_local! {
    /// The live model, for the share buttons (which are deep in the top bar
    /// and need the link only when clicked).
    static MODEL: RefCell<Option<ModelRef>> = const { RefCell::new(None) };
}

/// The model of the run as it stands.
pub fn with_model<T>(f: impl FnOnce(&Model) -> T) -> Option<T> {
    MODEL.with(|m| m.borrow().as_ref().map(|m| f(&m.0.borrow())))
}

/// The page's address without its fragment: where links point.
pub fn page_address() -> String {
    let href = dom::window().location().href().unwrap_or_default();
    match href.split_once('#') {
        Some((base, _)) => base.to_owned(),
        None => href,
    }
}

fn fragment() -> String {
    let hash = dom::window().location().hash().unwrap_or_default();
    hash.strip_prefix('#').unwrap_or(&hash).to_owned()
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be refused (privacy settings, sandboxed iframes): then
    // the page works on, without it.
    dom::window().local_storage().ok().flatten()
}

/// The first model: the run in the URL, else the last one kept, else the
/// default run. A bad link leaves the default run and a notice.
pub fn initial_model(entropy: u64) -> Model {
    let mut model = Model::new(entropy);
    let hash = fragment();
    if !hash.is_empty() {
        model.open_link(&hash);
    } else if let Some(saved) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
        if !model.open_link(&saved) {
            // Not a link the person opened: nothing to tell them, and the
            // entry is useless.
            model.notice = None;
            if let Some(s) = storage() {
                let _ = s.remove_item(STORAGE_KEY);
            }
        }
    }
    model
}

/// Keeps the address and local storage on the run's link, and opens a
/// link pasted into the address bar. Returns what to drop to stop.
pub fn install(model: ModelRef, send: Callback<Msg>) -> impl FnOnce() {
    MODEL.with(|m| *m.borrow_mut() = Some(model.clone()));
    let embed = model.0.borrow().embed.is_some();
    let last: std::rc::Rc<RefCell<String>> = std::rc::Rc::new(RefCell::new(fragment()));

    show_title(&model.0.borrow());
    let sync = {
        let last = last.clone();
        move || {
            show_title(&model.0.borrow());
            // Past the most actions a link may carry, no link would open:
            // do not encode hundreds of thousands of them to find out.
            if model.0.borrow().travel().timeline.actions().len() > crate::link::MAX_ACTIONS {
                return;
            }
            let text = model.0.borrow().link_text();
            // A run with tens of thousands of actions (hours of steady
            // requests) no longer fits a link; the address keeps the last
            // one that did rather than one no page would open.
            if *last.borrow() == text || text.len() > crate::link::MAX_LINK_CHARS {
                return;
            }
            let url = format!("#{text}");
            if let Ok(history) = dom::window().history() {
                let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
            }
            if let Some(s) = storage() {
                let _ = s.set_item(STORAGE_KEY, &text);
            }
            *last.borrow_mut() = text;
        }
    };
    let sync = std::rc::Rc::new(sync);

    let (interval, leaving, hashchange) = if embed {
        (None, None, None)
    } else {
        let tick = sync.clone();
        let interval = Interval::new(SYNC_EVERY_MS, move || tick());
        // The last second of work is saved when the page goes away.
        let flush = sync.clone();
        let leaving = EventListener::new(&dom::window(), "pagehide", move |_| flush());
        let hashchange = {
            let last = last.clone();
            EventListener::new(&dom::window(), "hashchange", move |_| {
                let hash = fragment();
                if hash.is_empty() || *last.borrow() == hash {
                    return;
                }
                *last.borrow_mut() = hash.clone();
                send.emit(Msg::OpenLink(hash));
            })
        };
        (Some(interval), Some(leaving), Some(hashchange))
    };
    move || {
        drop((interval, leaving, hashchange));
        MODEL.with(|m| m.borrow_mut().take());
    }
}

/// The tab's title names the scenario, as text.
fn show_title(model: &Model) {
    let title = match model.title() {
        Some(t) => format!("{t} · Splitbrain"),
        None => "Splitbrain".to_owned(),
    };
    let document = dom::document();
    if document.title() != title {
        document.set_title(&title);
    }
}

/// Copies `text` to the clipboard, then calls `done` with whether it
/// worked. Uses the asynchronous clipboard API, and the older
/// `execCommand("copy")` where that is missing or refused.
pub fn copy_text(text: &str, done: Callback<bool>) {
    let navigator = dom::window().navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).unwrap_or_default();
    let write = js_sys::Reflect::get(&clipboard, &"writeText".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(write) = write else {
        done.emit(copy_by_selection(text));
        return;
    };
    let promise = write
        .call1(&clipboard, &JsValue::from_str(text))
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    let Some(promise) = promise else {
        done.emit(copy_by_selection(text));
        return;
    };
    let ok = {
        let done = done.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| done.emit(true))
    };
    let text = text.to_owned();
    let failed =
        Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| done.emit(copy_by_selection(&text)));
    let _ = promise.then2(&ok, &failed);
    // One of the two runs, once; a copy is a click, so leaking the pair
    // costs a few bytes per click.
    ok.forget();
    failed.forget();
}

/// The old way: select the text in a hidden field and ask for a copy.
fn copy_by_selection(text: &str) -> bool {
    let document = dom::document();
    let Ok(area) = document.create_element("textarea") else {
        return false;
    };
    let Ok(area) = area.dyn_into::<web_sys::HtmlTextAreaElement>() else {
        return false;
    };
    area.set_value(text);
    let _ = area.set_attribute("readonly", "");
    let _ = area.set_attribute("style", "position:fixed;top:-1000px;opacity:0");
    let Some(body) = document.body() else {
        return false;
    };
    let _ = body.append_child(&area);
    area.select();
    let copied = js_sys::Reflect::get(&document, &"execCommand".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call1(&document, &"copy".into()).ok())
        .and_then(|r| r.as_bool())
        .unwrap_or(false);
    area.remove();
    copied
}
