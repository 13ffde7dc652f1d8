//! One component per concern, each with its props.

pub mod dialogs;
pub mod panels;
pub mod topbar;
// --- history view ---
pub mod history;
// --- protocols and gallery ---
pub mod protocol;
// --- permalinks ---
pub mod embed;
pub mod share;
// --- time travel ---
pub mod logdiff;
pub mod timetravel;
// --- ring view and CAP ---
pub mod cap;
pub mod ring;
// --- tours ---
pub mod tour;
// --- i18n ---
pub mod lang;
// --- explorer ---
pub mod explorer;
// --- PACELC ---
pub mod pacelc;
