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
    use splitbrain_app::web::worker::{now_ms, serve};

    serve(
        FromWorker::Ready,
        |e| FromWorker::Failed {
            message: format!("The explorer did not understand the request: {e}."),
        },
        |request: Request, post| drive(&request, &mut now_ms, post),
    );
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "explorer_worker runs as a Web Worker in the browser; natively, use `splitbrain explore`."
    );
}
