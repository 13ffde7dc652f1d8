//! The explorer's Web Worker: a second wasm module, built by Trunk from
//! index.html's `data-type="worker"` link and fetched only when someone
//! starts a search, so the page's own download does not grow.
//!
//! It says `ready` once listening, takes one [`Request`] (JSON), runs it
//! with [`drive`] (progress about ten times a second, then the outcome)
//! and posts each [`FromWorker`] as JSON. A search runs to its end without
//! yielding: the page cancels by terminating the worker, which also frees
//! the states it stored at once.

#[cfg(target_arch = "wasm32")]
fn main() {
    use splitbrain_app::explorer::{drive, FromWorker, Request};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post = {
        let scope = scope.clone();
        move |m: FromWorker| {
            let json = serde_json::to_string(&m).unwrap_or_default();
            let _ = scope.post_message(&JsValue::from_str(&json));
        }
    };
    let post_ready = post.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let text = e.data().as_string().unwrap_or_default();
        match serde_json::from_str::<Request>(&text) {
            Ok(request) => drive(&request, &mut js_sys::Date::now, &mut |m| post(m)),
            Err(e) => post(FromWorker::Failed {
                message: format!("The explorer did not understand the request: {e}."),
            }),
        }
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    onmessage.forget();
    post_ready(FromWorker::Ready);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "explorer_worker runs as a Web Worker in the browser; natively, use `splitbrain explore`."
    );
}
