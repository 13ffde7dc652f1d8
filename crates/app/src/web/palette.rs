//! The page's colours, as the canvases read them: CSS custom properties
//! of the root element, so both themes (and whatever a stylesheet
//! changes) reach what is drawn. Every canvas reads its colours here.

use wasm_bindgen::JsValue;
use web_sys::CssStyleDeclaration;

use super::dom;

/// The root element's computed style, read once for a whole palette.
pub struct Styles(Option<CssStyleDeclaration>);

impl Styles {
    pub fn read() -> Styles {
        Styles(
            dom::document()
                .document_element()
                .and_then(|root| dom::window().get_computed_style(&root).ok().flatten()),
        )
    }

    /// The value of variable `name` (`--accent`), or `fallback` where the
    /// page does not set it.
    pub fn get(&self, name: &str, fallback: &str) -> String {
        self.0
            .as_ref()
            .and_then(|s| s.get_property_value(name).ok())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| fallback.to_owned())
    }

    /// A colour for the canvas, grey where the page does not set it.
    pub fn colour(&self, name: &str) -> JsValue {
        JsValue::from_str(&self.get(name, "#888"))
    }
}
