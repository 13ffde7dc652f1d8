//! The entry point Trunk builds. Everything lives in the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    splitbrain_app::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "splitbrain-app runs in a browser: build it with `cargo xtask serve` \
         (or `trunk serve`). Natively, `cargo test -p splitbrain-app` tests its model."
    );
}
