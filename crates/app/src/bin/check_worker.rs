//! The consistency checker's Web Worker: the linearizability search, the
//! session checks and the history readers, in a wasm module of their own
//! that the page fetches the first time it needs a verdict (index.html's
//! `data-type="worker"` link), so the page's first load does not carry
//! them and a long check never holds up a frame.
//!
//! It says `ready` once listening, then answers each
//! [`splitbrain_app::checks::Request`] in order with
//! [`splitbrain_app::checks::answer`]. It lives as long as the page.

#[cfg(target_arch = "wasm32")]
fn main() {
    use splitbrain_app::checks::{answer, FromWorker, Request};
    use splitbrain_app::web::worker::{now_ms, serve};

    serve(
        FromWorker::Ready,
        |message| FromWorker::Unreadable { message },
        |request: Request, post| {
            post(FromWorker::Answer {
                id: request.id,
                answer: Box::new(answer(&request.job, &now_ms)),
            })
        },
    );
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "check_worker runs as a Web Worker in the browser; natively, use `splitbrain check-history`."
    );
}
