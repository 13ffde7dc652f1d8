//! The inspector's comparison of the selected node's log with the
//! leader's at the instant shown (scrubbing moves it): how many entries
//! match, conflict or are missing, and which rows of the log table are
//! which. Built only from the protocol's `NodeDetail` log (index, term).

use splitbrain_core::NodeId;
use yew::prelude::*;

use crate::i18n::{fill, t, tf};
use crate::model::{EntryState, LogDiff};

#[derive(Properties, PartialEq)]
pub struct LogDiffProps {
    pub node: NodeId,
    pub diff: Option<LogDiff>,
    /// The node is the leader (and has a log): nothing to compare with.
    pub leads: bool,
}

/// The CSS class of a log table row, by how the entry stands against the
/// leader's; matching rows stay plain.
pub fn row_class(diff: Option<&LogDiff>, index: u64) -> Option<&'static str> {
    match diff?.entry_state(index) {
        EntryState::Matching => None,
        EntryState::Conflicting => Some("diff-conflict"),
        EntryState::Extra => Some("diff-extra"),
    }
}

/// `one` (already saying "1 ...") or `many` with `n` for its `{0}`; both
/// come translated.
fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_owned()
    } else {
        fill(many, &[&n])
    }
}

#[function_component(LogDiffView)]
pub fn log_diff_view(props: &LogDiffProps) -> Html {
    let Some(d) = &props.diff else {
        if props.leads {
            return html! {
                <p class="note log-diff" id="log-diff" data-leader="true">
                    {t("This node leads: select another node to compare its log with this one.")}
                </p>
            };
        }
        return html! {};
    };
    let summary = if d.same() {
        t("Identical to the leader's log.").to_owned()
    } else {
        let mut parts = Vec::new();
        if d.conflicting > 0 {
            let mut terms: Vec<u64> = d.diverged_terms[..d.conflicting as usize].to_vec();
            terms.dedup();
            let terms_text = terms
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let entries = plural(
                d.conflicting,
                t("1 conflicting entry"),
                t("{0} conflicting entries"),
            );
            parts.push(if terms.len() == 1 {
                tf(
                    "the leader will overwrite {0} (term {1})",
                    &[&entries, &terms_text],
                )
            } else {
                tf(
                    "the leader will overwrite {0} (terms {1})",
                    &[&entries, &terms_text],
                )
            });
        }
        if d.extra > 0 {
            parts.push(tf(
                "{0} past the leader's last index will go too",
                &[&plural(d.extra, t("1 entry"), t("{0} entries"))],
            ));
        }
        if d.missing > 0 {
            parts.push(tf(
                "{0} still to be sent",
                &[&plural(d.missing, t("1 entry"), t("{0} entries"))],
            ));
        }
        let mut text = parts.join(t("; "));
        if let Some(first) = text.get(..1) {
            text = first.to_uppercase() + &text[1..];
        }
        text + t(".")
    };
    html! {
        <div class="log-diff" id="log-diff" data-node={props.node.0.to_string()}
            data-leader-node={d.leader.0.to_string()}
            data-matching={d.common.to_string()} data-conflicting={d.conflicting.to_string()}
            data-missing={d.missing.to_string()} data-extra={d.extra.to_string()}>
            <h3 class="subhead">{tf("Against the leader, {0}", &[&d.leader])}</h3>
            <ul class="diff-counts">
                <li class="diff-match"><b>{d.common}</b>{t(" matching")}</li>
                <li class="diff-conflict"><b>{d.conflicting}</b>{t(" conflicting (another term)")}</li>
                <li class="diff-missing"><b>{d.missing}</b>{t(" missing")}</li>
                if d.extra > 0 {
                    <li class="diff-extra"><b>{d.extra}</b>{t(" past the leader's end")}</li>
                }
            </ul>
            <p class="note">{summary}</p>
        </div>
    }
}
