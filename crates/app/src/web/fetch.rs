//! Files the page fetches on first use rather than carrying in its wasm:
//! the Chinese interface text ([`crate::i18n::ZH_HANS_FILE`]), the
//! gallery ([`crate::gallery::GALLERY_FILE`]) and the scenario files
//! ([`crate::gallery::SCENARIO_DIR`]). They sit next to the page (Trunk
//! copies them into dist/), so the first load of the page does not pay for
//! them.

use std::cell::RefCell;
use std::collections::BTreeMap;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::dom;

type Waiter = Box<dyn FnOnce(Result<(), String>)>;

thread_local! {
    /// Who waits for each file now on its way: one fetch per file at a time.
    static WAITING: RefCell<BTreeMap<String, Vec<Waiter>>> = const { RefCell::new(BTreeMap::new()) };
}

/// Fetches `file` (a name next to the page), hands its text to `install`,
/// then tells every caller that asked meanwhile how it went. A failure is
/// also written to the console; the next call tries again.
pub fn once(
    file: &str,
    install: impl FnOnce(String) -> Result<(), String> + 'static,
    done: impl FnOnce(Result<(), String>) + 'static,
) {
    let file = file.to_owned();
    let first = WAITING.with(|w| {
        let mut w = w.borrow_mut();
        let waiters = w.entry(file.clone()).or_default();
        waiters.push(Box::new(done));
        waiters.len() == 1
    });
    if !first {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let result = text(&file).await.and_then(install);
        if let Err(e) = &result {
            web_sys::console::error_1(&format!("Splitbrain could not load {file}: {e}").into());
        }
        let waiters = WAITING.with(|w| w.borrow_mut().remove(&file).unwrap_or_default());
        for done in waiters {
            done(result.clone());
        }
    });
}

/// The text of the file at `url`, relative to the page.
async fn text(url: &str) -> Result<String, String> {
    let js = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let response = JsFuture::from(dom::window().fetch_with_str(url))
        .await
        .map_err(js)?
        .dyn_into::<web_sys::Response>()
        .map_err(js)?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let body = JsFuture::from(response.text().map_err(js)?)
        .await
        .map_err(js)?;
    body.as_string().ok_or_else(|| "not text".to_owned())
}

/// Fetches every scenario file in `names` that is not at hand yet, then
/// calls `done` once (whether or not they came: whoever needs a file says
/// so when it is still missing).
pub fn scenarios(mut names: Vec<String>, done: impl FnOnce() + 'static) {
    names.retain(|n| crate::gallery::file(n).is_none());
    let left = std::rc::Rc::new(std::cell::Cell::new(names.len()));
    let done = std::rc::Rc::new(RefCell::new(Some(done)));
    if names.is_empty() {
        if let Some(done) = done.borrow_mut().take() {
            done();
        }
        return;
    }
    for name in names {
        let url = format!("{}{name}", crate::gallery::SCENARIO_DIR);
        let (left, done) = (left.clone(), done.clone());
        once(
            &url,
            move |text| crate::gallery::install_file(&name, text),
            move |_| {
                left.set(left.get() - 1);
                if left.get() == 0 {
                    if let Some(done) = done.borrow_mut().take() {
                        done();
                    }
                }
            },
        );
    }
}
