//! The process's allocator, counting: `explore` reports the memory it
//! really holds (every allocation, the model's heap included), not an
//! estimate from type sizes.
//!
//! Each thread tallies its own allocations and frees and adds them to the
//! shared count once they pass [`FLUSH`] bytes either way, so that two
//! threads allocating at full speed do not fight over one counter. The
//! count is therefore off by at most `FLUSH` per thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

const FLUSH: isize = 64 * 1024;

static NOW: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static PENDING: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    // `try_with`: a thread's last frees run while its locals are torn down.
    let flushed = PENDING.try_with(|pending| {
        let p = pending.get() + bytes;
        if p.abs() < FLUSH {
            pending.set(p);
            None
        } else {
            pending.set(0);
            Some(p)
        }
    });
    let delta = match flushed {
        Ok(None) => return,
        Ok(Some(p)) => p,
        Err(_) => bytes,
    };
    let now = NOW.fetch_add(delta, Ordering::Relaxed) + delta;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

pub struct Counting;

// SAFETY: every call is passed to the system allocator unchanged; the
// counting touches no allocator state.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Bytes allocated now, across threads.
pub fn allocated() -> usize {
    NOW.load(Ordering::Relaxed).max(0) as usize
}

/// The most bytes allocated at once since [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed).max(0) as usize
}

/// Starts measuring the peak afresh from what is allocated now.
pub fn reset_peak() {
    PEAK.store(NOW.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// `1536` as `1.5 KiB`.
pub fn bytes(n: usize) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// Parses `512M`, `4G`, `1.5GiB`, `300000K` or a plain number of bytes.
pub fn parse_bytes(text: &str) -> Option<usize> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let value: f64 = number.parse().ok()?;
    let total = value * scale;
    (total.is_finite() && total >= 1.0 && total < usize::MAX as f64).then_some(total as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_print() {
        assert_eq!(parse_bytes("512M"), Some(512 << 20));
        assert_eq!(parse_bytes("1.5GiB"), Some(3 << 29));
        assert_eq!(parse_bytes("2g"), Some(2 << 30));
        assert_eq!(parse_bytes("4096"), Some(4096));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("0"), None);
        assert_eq!(parse_bytes("5X"), None);
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
    }

    #[test]
    fn allocations_are_counted() {
        let before = allocated();
        let big = vec![1u8; 8 << 20];
        assert!(allocated() >= before + (8 << 20) - 2 * FLUSH as usize);
        assert!(peak() >= allocated());
        drop(big);
    }
}
