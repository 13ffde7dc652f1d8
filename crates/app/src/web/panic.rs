//! A panic shows a readable error in the page (the `#fatal` card in
//! index.html) instead of leaving a frozen canvas behind.

use std::panic;

use super::dom;

pub fn install() {
    panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("Splitbrain panicked: {message}").into());
        let document = dom::document();
        if let Some(text) = document.get_element_by_id("fatal-message") {
            text.set_text_content(Some(&message));
        }
        if let Some(card) = document.get_element_by_id("fatal") {
            let _ = card.remove_attribute("hidden");
        }
    }));
}
