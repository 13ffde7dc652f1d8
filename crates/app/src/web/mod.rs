//! The browser half: Yew components around a canvas. Compiled for wasm32
//! only. Components send [`crate::model::Msg`]s and show what the model
//! says; the canvas is drawn by [`render`] from a [`crate::scene::Scene`].

mod app;
pub(crate) mod checker;
mod cluster;
mod components;
mod dom;
pub(crate) mod fetch;
mod heavy;
mod hook;
mod icons;
mod lang;
pub(crate) mod memory;
mod palette;
mod panic;
mod permalink;
mod regions;
mod render;
mod store;
pub mod worker;

/// Mounts the app into `#app`, after installing the panic screen.
pub fn start() {
    panic::install();
    let Some(root) = dom::document().get_element_by_id("app") else {
        panic!("index.html has no #app element to mount into");
    };
    // The "Loading…" placeholder goes; Yew appends rather than replaces.
    root.set_inner_html("");
    yew::Renderer::<app::App>::with_root(root).render();
}
