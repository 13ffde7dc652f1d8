//! Small conveniences over web-sys, so components read as what they do.

use wasm_bindgen::JsCast;
use web_sys::{
    CanvasRenderingContext2d, Document, Element, HtmlCanvasElement, HtmlElement, HtmlInputElement,
    Window,
};

pub fn window() -> Window {
    web_sys::window().expect("the app runs in a window")
}

pub fn document() -> Document {
    window().document().expect("the window has a document")
}

/// A canvas that is not in the page, to draw on off screen.
pub fn new_canvas() -> Option<HtmlCanvasElement> {
    document()
        .create_element("canvas")
        .ok()?
        .dyn_into::<HtmlCanvasElement>()
        .ok()
}

/// A canvas's 2D context.
pub fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()?
        .dyn_into::<CanvasRenderingContext2d>()
        .ok()
}

/// `performance.now()` in milliseconds.
pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// The theme the page shows now (`data-theme` on the root element).
pub fn page_is_dark() -> bool {
    document()
        .document_element()
        .and_then(|e| e.get_attribute("data-theme"))
        .is_some_and(|t| t == "dark")
}

pub fn set_page_theme(dark: bool) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
    }
}

/// Whether the system asks for a dark theme.
pub fn system_prefers_dark() -> bool {
    window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

/// The value of an `<input>` or `<select>` an event came from.
pub fn target_value(event: &web_sys::Event) -> String {
    let Some(target) = event.target() else {
        return String::new();
    };
    if let Some(input) = target.dyn_ref::<HtmlInputElement>() {
        return input.value();
    }
    if let Some(select) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        return select.value();
    }
    if let Some(area) = target.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        return area.value();
    }
    String::new()
}

pub fn focus(element: Option<Element>) {
    if let Some(el) = element.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        let _ = el.focus();
    }
}
