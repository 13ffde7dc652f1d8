//! Web Workers that speak JSON, both ends: the page starts one from the
//! loader Trunk writes for it ([`JsonWorker`]), and the worker's `main`
//! answers with [`serve`]. The explorer and the check worker are built
//! this way; each has its own wasm, fetched only when the page first
//! starts it (index.html's `data-type="worker"` links).
//!
//! Only strings cross: each worker is a separate wasm module, so page and
//! worker share types by their JSON, not their memory.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, ErrorEvent, MessageEvent, Worker};

/// A running worker and its handlers; dropping it terminates the worker.
pub struct JsonWorker {
    worker: Worker,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(ErrorEvent)>,
}

impl JsonWorker {
    /// Starts the worker whose loader is at `url`. `on_text` gets each
    /// message it posts; `on_error` why it failed to load or stopped (a
    /// panic in its wasm, which cannot be caught in there).
    pub fn spawn(
        url: &str,
        on_text: impl Fn(String) + 'static,
        on_error: impl Fn(String) + 'static,
    ) -> Result<JsonWorker, String> {
        let worker = Worker::new(url).map_err(|e| {
            e.as_string()
                .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| e.message().into()))
                .unwrap_or_else(|| crate::i18n::t("no reason given").to_owned())
        })?;
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            on_text(e.data().as_string().unwrap_or_default());
        });
        let onerror = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            // Handled here: not an uncaught error of the page.
            e.prevent_default();
            let message = e.message();
            on_error(if message.is_empty() {
                crate::i18n::t("it could not be loaded").to_owned()
            } else {
                message
            });
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        Ok(JsonWorker {
            worker,
            _onmessage: onmessage,
            _onerror: onerror,
        })
    }

    /// Posts one message (JSON text).
    pub fn post(&self, text: &str) {
        let _ = self.worker.post_message(&JsValue::from_str(text));
    }
}

impl Drop for JsonWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// A worker's `main`: posts `ready` once listening (messages that arrive
/// earlier, while its wasm loads, would be lost: the page waits for it),
/// then reads each message as a `Req` and hands it to `handle`, which
/// posts its answers through the function it is given. A message that is
/// not a `Req` is answered with `unreadable` of the reason.
pub fn serve<Req, Out>(
    ready: Out,
    unreadable: fn(String) -> Out,
    mut handle: impl FnMut(Req, &mut dyn FnMut(Out)) + 'static,
) where
    Req: DeserializeOwned,
    Out: Serialize + 'static,
{
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post = {
        let scope = scope.clone();
        move |out: Out| {
            let json = serde_json::to_string(&out).unwrap_or_default();
            let _ = scope.post_message(&JsValue::from_str(&json));
        }
    };
    let onmessage = {
        let post = post.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let text = e.data().as_string().unwrap_or_default();
            match serde_json::from_str::<Req>(&text) {
                Ok(request) => handle(request, &mut |out| post(out)),
                Err(e) => post(unreadable(e.to_string())),
            }
        })
    };
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    onmessage.forget();
    post(ready);
}

/// The worker's clock in milliseconds (`performance.now()`; the page has
/// its own in `dom`).
pub fn now_ms() -> f64 {
    js_sys::global()
        .unchecked_into::<web_sys::WorkerGlobalScope>()
        .performance()
        .map_or_else(js_sys::Date::now, |p| p.now())
}
