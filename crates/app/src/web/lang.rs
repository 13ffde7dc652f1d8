//! The interface language on the page: which one at start, `<html lang>`,
//! and the person's choice in local storage. The text itself is
//! [`crate::i18n`].
//!
//! At start: a link's language wins (it is applied when the link opens),
//! else the one kept in local storage, else the browser's.

use super::{dom, fetch};
use crate::i18n::{self, Lang};

/// Local storage key of the language the person picked.
const STORAGE_KEY: &str = "splitbrain.lang";

fn storage() -> Option<web_sys::Storage> {
    dom::window().local_storage().ok().flatten()
}

/// The language kept from an earlier visit, if any.
pub fn stored() -> Option<Lang> {
    let text = storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    Lang::from_tag(&text)
}

/// The browser's preferred language, when it is one the page speaks.
fn browser() -> Option<Lang> {
    dom::window()
        .navigator()
        .language()
        .and_then(|tag| Lang::from_tag(&tag))
}

/// Sets the language before the first model is built, so that what
/// opening a link says (even that it is broken) is in it. A link with a
/// language overrides this when it opens.
pub fn preset() {
    i18n::set(stored().or_else(browser).unwrap_or_default());
}

/// Keeps the person's pick for their next visit. Embeds keep nothing:
/// several may share a page and an origin.
pub fn remember(lang: Lang) {
    if let Some(s) = storage() {
        let _ = s.set_item(STORAGE_KEY, lang.code());
    }
}

/// `<html lang>`, so that screen readers, hyphenation and the CJK font
/// fallback follow the text.
pub fn show(lang: Lang) {
    if let Some(root) = dom::document().document_element() {
        if root.get_attribute("lang").as_deref() != Some(lang.code()) {
            let _ = root.set_attribute("lang", lang.code());
        }
    }
}

/// Fetches `lang`'s text unless it is at hand, then calls `arrived`. A
/// failed fetch leaves the page in English; the next switch tries again.
pub fn fetch(lang: Lang, arrived: impl FnOnce() + 'static) {
    if i18n::ready(lang) {
        return;
    }
    fetch::once(
        i18n::ZH_HANS_FILE,
        |text| i18n::install(Lang::ZhHans, text),
        move |result| {
            if result.is_ok() {
                arrived();
            }
        },
    );
}
