//! One component per concern, each with its props.

pub mod cap;
pub mod dialogs;
pub mod embed;
pub mod explorer;
pub mod history;
pub mod lang;
pub mod logdiff;
pub mod pacelc;
pub mod panels;
pub mod protocol;
pub mod ring;
pub mod share;
pub mod timetravel;
pub mod topbar;
pub mod tour;
