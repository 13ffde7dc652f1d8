//! The page's end of the check worker (`src/bin/check_worker.rs`): one
//! worker for the whole page, started on the first [`ask`] (the history
//! view's first live check, an import, the CAP panel's verdict, the test
//! hook) and kept for the next. Jobs posted before it says it is ready
//! wait here; each answer goes to the function that asked.
//!
//! If the worker fails to load or stops (a panic in its wasm), everyone
//! waiting gets [`Answer::Failed`] with the reason, and the next job
//! starts a fresh worker. A worker whose wasm never arrives raises no
//! error in the page (the loader's promise fails inside the worker), so
//! one that has not said it is ready after [`READY_WITHIN_MS`] counts as
//! stopped too.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::worker::JsonWorker;
use crate::checks::{Answer, FromWorker, Job, Request};

/// Trunk writes the worker's loader next to index.html (`data-loader-shim`).
const WORKER_URL: &str = "./check_worker_loader.js";

/// How long a worker may take to load (about 140 KB gzipped: seconds on a
/// slow phone line, not a minute).
const READY_WITHIN_MS: u32 = 60_000;

type Done = Box<dyn FnOnce(Answer)>;

#[derive(Default)]
struct Checker {
    worker: Option<JsonWorker>,
    ready: bool,
    /// Fires if the worker does not say it is ready in time.
    watchdog: Option<gloo::timers::callback::Timeout>,
    /// Requests (JSON) posted once the worker is ready.
    queue: Vec<String>,
    waiting: BTreeMap<u64, Done>,
    next_id: u64,
}

thread_local! {
    static CHECKER: RefCell<Checker> = RefCell::new(Checker::default());
}

/// Hands `job` to the check worker; `done` gets its answer, always later
/// (never before `ask` returns, so a caller may hold its own state
/// borrowed while asking).
pub fn ask(job: Job, done: impl FnOnce(Answer) + 'static) {
    let started = CHECKER.with(|c| {
        let mut c = c.borrow_mut();
        if c.worker.is_none() {
            c.worker = Some(JsonWorker::spawn(WORKER_URL, received, stopped)?);
            c.ready = false;
            c.watchdog = Some(gloo::timers::callback::Timeout::new(
                READY_WITHIN_MS,
                || stopped(crate::i18n::t("it did not load within a minute").to_owned()),
            ));
        }
        Ok::<_, String>(())
    });
    if let Err(why) = started {
        return later(move || {
            done(Answer::Failed {
                message: crate::i18n::tf("this browser could not start it ({0})", &[&why]),
            })
        });
    }
    CHECKER.with(|c| {
        let mut c = c.borrow_mut();
        c.next_id += 1;
        let id = c.next_id;
        c.waiting.insert(id, Box::new(done));
        // A job's JSON cannot fail to build: plain data, string keys.
        let text = serde_json::to_string(&Request { id, job }).unwrap_or_default();
        match (&c.worker, c.ready) {
            (Some(worker), true) => worker.post(&text),
            _ => c.queue.push(text),
        }
    });
}

/// Runs `f` after the current task: answers never arrive inside the call
/// that asked.
fn later(f: impl FnOnce() + 'static) {
    wasm_bindgen_futures::spawn_local(async move { f() });
}

fn received(text: String) {
    let Ok(message) = serde_json::from_str::<FromWorker>(&text) else {
        return stopped(format!(
            "unreadable message: {}",
            text.chars().take(80).collect::<String>()
        ));
    };
    let done = CHECKER.with(|c| {
        let mut c = c.borrow_mut();
        match message {
            FromWorker::Ready => {
                c.ready = true;
                c.watchdog = None;
                let queue = std::mem::take(&mut c.queue);
                if let Some(worker) = &c.worker {
                    for text in &queue {
                        worker.post(text);
                    }
                }
                None
            }
            FromWorker::Answer { id, answer } => c.waiting.remove(&id).map(|d| (d, *answer)),
            FromWorker::Unreadable { message } => {
                drop(c);
                stopped(message);
                None
            }
        }
    });
    // Called with nothing borrowed: it may ask again.
    if let Some((done, answer)) = done {
        done(answer);
    }
}

/// The worker failed to load or stopped: everyone waiting is told why,
/// and the next job starts a new one.
fn stopped(why: String) {
    let (worker, watchdog, waiting) = CHECKER.with(|c| {
        let mut c = c.borrow_mut();
        c.ready = false;
        c.queue.clear();
        // Not dropped here: this may be the watchdog's own callback.
        let watchdog = c.watchdog.take();
        (c.worker.take(), watchdog, std::mem::take(&mut c.waiting))
    });
    // Terminated after this handler returns: it belongs to the worker.
    later(move || drop((worker, watchdog)));
    for done in waiting.into_values() {
        done(Answer::Failed {
            message: why.clone(),
        });
    }
}
