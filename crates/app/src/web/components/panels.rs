//! The side panels: the selected node's inspector, the invariants, the
//! event log; and the status line under the canvas.

use std::rc::Rc;

use splitbrain_core::protocol::{Op, RoleKind};
use yew::prelude::*;

use crate::i18n::{t, t_dyn, tf};
use crate::model::{Msg, NodeCommand};
use crate::panel::{format_seconds, format_speed, format_time, LogLine, Panel};
use crate::web::dom;

#[derive(Properties, PartialEq)]
pub struct PanelProps {
    pub panel: Rc<Panel>,
    #[prop_or_default]
    pub send: Callback<Msg>,
}

fn role_class(role: RoleKind) -> &'static str {
    match role {
        RoleKind::Follower => "role follower",
        RoleKind::Candidate => "role candidate",
        RoleKind::Leader => "role leader",
        RoleKind::Down => "role down",
    }
}

#[function_component(Inspector)]
pub fn inspector(props: &PanelProps) -> Html {
    let op = use_state(|| "put".to_owned());
    let key = use_state(|| "x".to_owned());
    let value = use_state(|| "1".to_owned());

    let Some(node) = &props.panel.inspector else {
        return html! {
            <section class="panel" aria-labelledby="inspector-title">
                <h2 id="inspector-title">{t("Node")}</h2>
                <p class="empty">{t("Select a node (click it, or Tab to the cluster and use the arrow keys) to see its log, its state machine and its actions.")}</p>
            </section>
        };
    };
    let id = node.id;
    let send = &props.send;
    let command = |c: NodeCommand| {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(Msg::Node(id, c.clone())))
    };
    let onsubmit = {
        let (send, op, key, value) = (send.clone(), op.clone(), key.clone(), value.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (k, v) = ((*key).clone(), (*value).clone());
            let request = match op.as_str() {
                "get" => Op::Get { key: k },
                "append" => Op::Append { key: k, value: v },
                _ => Op::Put { key: k, value: v },
            };
            send.emit(Msg::Node(id, NodeCommand::Request(request)));
        })
    };
    let bind = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(dom::target_value(&e)))
    };
    let onop = {
        let op = op.clone();
        Callback::from(move |e: Event| op.set(dom::target_value(&e)))
    };
    let view = &node.view;
    let leader = view
        .leader
        .map_or(t("unknown").to_owned(), |l| format!("n{}", l.0));

    html! {
        <section class="panel" aria-labelledby="inspector-title">
            <h2 id="inspector-title">{t("Node")}</h2>
            <div class="node-title">
                <strong>{format!("n{}", id.0)}</strong>
                <span class={role_class(view.role)}>{t_dyn(view.role_label)}</span>
                if let Some(g) = node.group {
                    <span class="badge">{tf("group {0}", &[&g])}</span>
                }
            </div>
            <dl class="facts">
                <dt>{t_dyn(view.term_label)}</dt><dd>{view.term}</dd>
                <dt>{t_dyn(props.panel.board.choice.inspector_words().0)}</dt><dd>{view.commit_index}</dd>
                <dt>{t_dyn(props.panel.board.choice.inspector_words().1)}</dt><dd>{view.log_len}</dd>
                <dt>{t("leader")}</dt><dd>{leader}</dd>
                { for node.fields.iter().map(|(k, v)| html! { <><dt>{t_dyn(k)}</dt><dd>{v}</dd></> }) }
                if let Some(t) = node.timer {
                    <dt>{crate::i18n::t("timeout at")}</dt><dd>{format_time(t)}</dd>
                }
            </dl>
            <div class="actions">
                <button type="button" class={classes!("btn", node.up.then_some("danger"))}
                    onclick={command(NodeCommand::ToggleCrash)}>
                    { if node.up { t("Crash") } else { t("Restart") } }
                </button>
                <button type="button" class="btn" onclick={command(NodeCommand::Timeout)} disabled={!node.up}>
                    {t("Force timeout")}
                </button>
            </div>
            <form class="request" {onsubmit} aria-label={t("Client request to this node")}>
                <select aria-label={t("Operation")} onchange={onop}>
                    <option value="put" selected={*op == "put"}>{"put"}</option>
                    <option value="append" selected={*op == "append"}>{"append"}</option>
                    <option value="get" selected={*op == "get"}>{"get"}</option>
                </select>
                <input type="text" aria-label={t("Key")} placeholder={t("key")} value={(*key).clone()} oninput={bind(&key)} />
                <input type="text" aria-label={t("Value")} placeholder={t("value")} value={(*value).clone()}
                    oninput={bind(&value)} disabled={*op == "get"} />
                <button type="submit" class="btn">{t("Send")}</button>
            </form>
            <h3 class="subhead">{t("Log")}</h3>
            if node.entries.is_empty() {
                <p class="empty">{t("Empty.")}</p>
            } else {
                <div class="table-wrap">
                    <table>
                        <thead><tr><th>{"#"}</th><th>{t_dyn(view.term_label)}</th><th>{t("command")}</th><th>{t("committed")}</th></tr></thead>
                        <tbody>
                            { for node.entries.iter().rev().map(|e| {
                                let flagged = node.flagged.contains(&e.index);
                                let diff = super::logdiff::row_class(node.log_diff.as_ref(), e.index);
                                html! {
                                    <tr class={classes!((!e.committed).then_some("uncommitted"), flagged.then_some("flagged"), diff)}>
                                        <td>{e.index}</td><td>{e.term}</td><td>{&e.label}</td>
                                        <td>{ if e.committed { "✓" } else { "" } }</td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                </div>
                if node.older > 0 {
                    <p class="note">{tf("…and {0} older entries.", &[&node.older])}</p>
                }
            }
            <super::logdiff::LogDiffView node={id} diff={node.log_diff.clone()}
                leads={props.panel.leader.is_some_and(|(l, _)| l == id) && view.log_len > 0} />
            <h3 class="subhead">{t("State machine")}</h3>
            if node.kv.is_empty() {
                <p class="empty">{t("No keys yet.")}</p>
            } else {
                <div class="table-wrap">
                    <table>
                        <thead><tr><th>{t("key")}</th><th>{t("value")}</th></tr></thead>
                        <tbody>
                            { for node.kv.iter().map(|(k, v)| html! { <tr><td>{k}</td><td>{v}</td></tr> }) }
                        </tbody>
                    </table>
                </div>
            }
        </section>
    }
}

#[function_component(Invariants)]
pub fn invariants(props: &PanelProps) -> Html {
    let panel = &props.panel;
    html! {
        <section class="panel" aria-labelledby="invariants-title">
            <h2 id="invariants-title">{t("Invariants")}</h2>
            <ul class="invariants">
                { for panel.invariants.iter().map(|row| {
                    let state = if row.holds { "ok" } else { "bad" };
                    html! {
                        <li data-invariant={row.name} data-holds={row.holds.to_string()}>
                            <span class={classes!("dot", state)} aria-hidden="true"></span>
                            {t_dyn(row.name)}
                            <span class={classes!("state", state)}>{ if row.holds { t("holds") } else { t("broken") } }</span>
                        </li>
                    }
                }) }
            </ul>
            if let Some(v) = &panel.violation {
                <p class="violation" role="alert">
                    <strong>{tf("{0} broken at {1}. ", &[&t_dyn(v.invariant), &format_time(v.time)])}</strong>
                    {format!("{}. ", v.message.trim_end_matches('.'))}
                    {t("The run is paused; the nodes and entries involved are marked in red.")}
                </p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub log: Rc<Vec<LogLine>>,
    /// The language its heading is in.
    pub lang: crate::i18n::Lang,
}

/// The newest events, newest first. Only the lines and the language take
/// part in its props, so it re-renders only when they change.
#[function_component(EventLog)]
pub fn event_log(props: &EventLogProps) -> Html {
    html! {
        <section class="panel" aria-labelledby="events-title">
            <h2 id="events-title">{t("Events")}</h2>
            if props.log.is_empty() {
                <p class="empty">{t("Nothing has happened yet.")}</p>
            } else {
                <ol class="events" aria-live="off">
                    { for props.log.iter().map(|line| html! {
                        <li key={line.index} class={line.class}>
                            <time>{format_seconds(line.time)}</time>
                            <span>{&line.text}</span>
                        </li>
                    }) }
                </ol>
            }
        </section>
    }
}

#[function_component(StatusBar)]
pub fn status_bar(props: &PanelProps) -> Html {
    let panel = &props.panel;
    let (leader_word, leader) = panel.board.choice.in_charge(panel.leader);
    let swatch = |i: usize| format!("background: var(--msg-{i})");
    html! {
        <div class="statusbar">
            <span class="stat" id="sim-time">{"t "}<b>{format_time(panel.now)}</b></span>
            <span class="stat">{t_dyn(leader_word)}{" "}<b>{leader}</b></span>
            <span class="stat">{t("events ")}<b>{panel.events}</b></span>
            <span class="stat">{t("in flight ")}<b>{panel.in_flight}</b></span>
            <span class="stat">{t("seed ")}<b>{panel.seed}</b></span>
            <span class="stat" id="per-decision" title={t("Messages and bytes sent per decision (committed entry, decided transaction, chosen value)")}>
                {tf("per {0} ", &[&t_dyn(panel.board.decision)])}<b>{panel.board.cost.summary()}</b>
            </span>
            if panel.lagging {
                <span class="lag" title={t("The browser cannot simulate this fast; simulated time runs slower than asked.")}>
                    {tf("running below {0}", &[&format_speed(panel.speed)])}
                </span>
            }
            <div class="legend" aria-label={t("Message kinds")}>
                { for panel.msg_kinds.iter().enumerate().map(|(i, kind)| html! {
                    <span><i class="swatch" style={swatch(i)}></i>{*kind}</span>
                }) }
            </div>
        </div>
    }
}
