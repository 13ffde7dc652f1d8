//! The PACELC half of the comparison panel: no partition, nodes in
//! regions, Raft and the quorum store side by side with the latency of
//! their successful requests and what the store's speed cost in
//! consistency ([`crate::pacelc`]). The CAP panel (`cap.rs`) owns the
//! other half's run and calls [`view`] when the live run is a PACELC one;
//! [`mode_switch`] sits on top of both modes.

use splitbrain_core::check::Verdict;
use splitbrain_core::{Sim, Span, TimedAction};
use yew::prelude::*;

use crate::i18n::{t, t_dyn, tf};
use crate::model::Msg;
use crate::pacelc::{
    describe_regions, measure_latency, ratio, Latencies, PacelcNumbers, CAP_ENTRY, PACELC_ENTRY,
};
use crate::panel::format_time;

/// Two buttons: the partition comparison (CAP) and the no-partition one
/// across regions (PACELC). Each loads its gallery pair.
pub fn mode_switch(pacelc: bool, send: &Callback<Msg>) -> Html {
    let open = |id: &'static str| {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(Msg::OpenGallery(id.to_owned())))
    };
    html! {
        <div class="cap-mode" role="group" aria-label={t("What to compare")}>
            <button type="button" class="btn" id="cap-mode-cap" aria-pressed={(!pacelc).to_string()}
                onclick={open(CAP_ENTRY)} title={t("The same partition against Raft and the store: availability and consistency")}>
                {t("Partition (CAP)")}
            </button>
            <button type="button" class="btn" id="cap-mode-pacelc" aria-pressed={pacelc.to_string()}
                onclick={open(PACELC_ENTRY)} title={t("No fault, nodes in regions: the latency price of consistency")}>
                {t("No partition, regions (PACELC)")}
            </button>
        </div>
    }
}

fn ms(s: Span) -> String {
    format!("{:.1} ms", s.0 as f64 / 1e3)
}

fn micros(l: Option<Latencies>) -> String {
    l.map(|l| l.mean.0.to_string()).unwrap_or_default()
}

fn row(name: &str, class: &'static str, l: Option<Latencies>) -> Html {
    html! {
        <>
            <dt>{name}</dt>
            <dd class={class} data-mean-us={micros(l)}>
                { match l {
                    Some(l) => tf(
                        "mean {0} · p50 {1} · p99 {2} ({3} ok)",
                        &[&ms(l.mean), &ms(l.p50), &ms(l.p99), &l.count]
                    ),
                    None => t("none answered yet").to_owned(),
                } }
            </dd>
        </>
    }
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => t("linearizable"),
        Verdict::Violated => t("not linearizable"),
        Verdict::Unknown => t("not known yet"),
    }
}

fn column(n: &PacelcNumbers, live: bool) -> Html {
    let side = if live { "live" } else { "other" };
    let consistency = match &n.consistency {
        Some(c) => html! {
            <>
                <dt>{t("Stale reads")}</dt>
                <dd class="pacelc-stale" data-stale={c.stale.to_string()}>{tf("{0} of {1} reads", &[&c.stale, &c.reads])}</dd>
                <dt>{t("Reads with siblings")}</dt><dd>{c.siblings}</dd>
            </>
        },
        None => html! {
            <><dt>{t("Stale reads")}</dt><dd class="pacelc-stale" data-stale="0">{t("none possible: one log, read through the leader")}</dd></>
        },
    };
    html! {
        <div class={classes!("cap-side", "pacelc-side", side)} data-protocol={n.protocol}>
            <h3>{t_dyn(n.protocol)}{if live { t(" (this run)") } else { t(" (same load, run alongside)") }}</h3>
            <dl class="facts">
                { row(t("All requests"), "pacelc-all", n.all) }
                { row(t("Writes"), "pacelc-writes", n.writes) }
                { row(t("Reads"), "pacelc-reads", n.reads) }
                <dt>{t("Answered")}</dt><dd>{tf("{0} of {1} requests", &[&n.overall.0, &n.overall.1])}</dd>
                {consistency}
                <dt>{t("History")}</dt><dd class="cap-verdict">{verdict(n.linearizable)}</dd>
            </dl>
        </div>
    }
}

/// The PACELC panel for the live run and the other half, both already at
/// the same time; `verdicts` are the last linearizability verdicts
/// (live, other) the check worker gave.
pub fn view(
    live: &Sim,
    actions: &[TimedAction],
    other: &Sim,
    verdicts: (Verdict, Verdict),
    send: &Callback<Msg>,
) -> Html {
    let mut mine = measure_latency(live, actions);
    let mut theirs = measure_latency(other, &other.scenario().actions);
    mine.linearizable = verdicts.0;
    theirs.linearizable = verdicts.1;
    let scenario = live.scenario();
    let regions = scenario
        .network
        .regions
        .as_ref()
        .map(|r| describe_regions(r, usize::from(scenario.nodes)))
        .unwrap_or_else(|| t("no regions").to_owned());
    let (raft, store) = if mine.consistency.is_none() {
        (&mine, &theirs)
    } else {
        (&theirs, &mine)
    };
    let summary = match ratio(raft.writes, store.writes) {
        Some(x) => tf(
            "Raft's writes take {0}× as long as the store's on average; the store answered {1} of its reads stale.",
            &[&format!("{x:.1}"), &store.consistency.map_or(0, |c| c.stale)],
        ),
        None => t("No writes have been answered yet.").to_owned(),
    };
    html! {
        <section class="panel cap pacelc" id="pacelc-panel" aria-labelledby="cap-title">
            <h2 id="cap-title">{t("PACELC comparison")}</h2>
            { mode_switch(true, send) }
            <p class="note">{tf(
                "Both sides at {0}, no partition. {1}; clients in every region. Latency of successful requests, from invocation to answer.",
                &[&format_time(live.now()), &regions],
            )}</p>
            <p class="pacelc-summary">{summary}</p>
            <div class="cap-columns">
                { column(&mine, true) }
                { column(&theirs, false) }
            </div>
        </section>
    }
}
