//! At most one heavy piece of panel work per animation frame. While a run
//! plays, the panels' refresh (every 200 ms) and the history's live check
//! (every 750 ms or more) each cost several milliseconds at 51 nodes; a
//! frame that carries both misses its deadline. Whichever asks second in a
//! frame waits for the next one.

use std::cell::Cell;

thread_local! {
    static CLAIMED: Cell<f64> = const { Cell::new(f64::NAN) };
}

/// Claims the frame that started at `frame_time` (the animation-frame
/// timestamp, the same for every callback of one frame) for heavy work;
/// false if something else claimed it already.
pub fn claim(frame_time: f64) -> bool {
    CLAIMED.with(|c| {
        if c.get() == frame_time {
            false
        } else {
            c.set(frame_time);
            true
        }
    })
}
