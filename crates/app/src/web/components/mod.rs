//! One component per concern, each with its props.

pub mod dialogs;
pub mod panels;
pub mod topbar;
// --- time travel ---
pub mod timetravel;
