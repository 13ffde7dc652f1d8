//! # splitbrain-app
//!
//! The browser front end: a live cluster on a canvas that a person can
//! partition by dragging nodes apart, crash, cut and heal, while the
//! invariant checker watches.
//!
//! Two halves, split so that everything with logic in it runs natively:
//! - Plain Rust, tested with `cargo test -p splitbrain-app`: the [`model`]
//!   (state, messages, the reducer, the frame clock), [`geometry`] and
//!   [`layout`] (positions, hit-testing, what a drag means), the [`scene`]
//!   the canvas shows, the [`panel`] the HTML shows, [`keys`], [`settings`]
//!   and the test [`probe`].
//! - `web` (wasm32 only): Yew components, the canvas renderer, the
//!   animation loop, the panic screen and the `window.splitbrain` hook.
//!   It sends messages to the model and draws what the model says.

pub mod board;
pub mod cap;
pub mod checks;
pub mod frames;
pub mod gallery;
pub mod geometry;
pub mod history;
pub mod i18n;
pub mod keys;
pub mod layout;
pub mod link;
pub mod model;
pub mod pacelc;
pub mod panel;
pub mod probe;
pub mod protocols;
pub mod regions;
pub mod ringview;
pub mod scene;
pub mod settings;
pub mod spacetime;

pub mod explorer;
#[cfg(target_arch = "wasm32")]
pub mod web;
