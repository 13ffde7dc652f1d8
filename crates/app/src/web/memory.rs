//! How much memory the page holds: a counting wrapper around the
//! allocator (the heap the model keeps within its budget, see
//! `model/budget.rs`) and the size of the wasm memory itself, which grows
//! in pages and never shrinks.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_bindgen::JsCast;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes straight to the system allocator; the counting
// is an atomic add on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new);
        if !p.is_null() {
            LIVE.fetch_add(new, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated and not yet freed.
pub fn heap_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The size of the wasm memory, in bytes.
pub fn wasm_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| f64::from(b.byte_length()))
}

/// Local storage key of the memory budget the person set (megabytes).
const STORAGE_KEY: &str = "splitbrain.memory-mb";

/// The budget saved by an earlier visit, if any.
pub fn saved_budget() -> Option<u32> {
    let storage = super::dom::window().local_storage().ok().flatten()?;
    storage.get_item(STORAGE_KEY).ok().flatten()?.parse().ok()
}

pub fn save_budget(mb: u32) {
    if let Some(s) = super::dom::window().local_storage().ok().flatten() {
        let _ = s.set_item(STORAGE_KEY, &mb.to_string());
    }
}
