//! One component per concern, each with its props.

pub mod dialogs;
pub mod panels;
pub mod topbar;
// --- permalinks ---
pub mod embed;
pub mod share;
