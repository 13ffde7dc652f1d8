//! The CAP comparison panel. When the run is one half of the CAP pair
//! (the same fault script against Raft and against the quorum store), the
//! other half runs here too, in the background, to the same simulated
//! time, and the panel shows both sides' numbers next to each other
//! ([`crate::cap::measure`]). Otherwise it offers to load the pair. The
//! linearizability verdicts come from the check worker.

use std::cell::RefCell;
use std::rc::Rc;

use splitbrain_core::check::Verdict;
use splitbrain_core::{RunOptions, Sim, Time};
use yew::prelude::*;

use crate::cap::{counterpart, measure, percent, verdict_job, verdict_of, CapNumbers};
use crate::i18n::{t, t_dyn, tf};
use crate::model::Msg;
use crate::panel::{format_time, Panel};
use crate::web::store::ModelRef;

#[derive(Properties, PartialEq)]
pub struct CapProps {
    pub model: ModelRef,
    pub panel: Rc<Panel>,
    pub send: Callback<Msg>,
}

/// The other half, and the verdicts last checked (the check is the costly
/// part, so it is asked for once per simulated second, not every frame).
struct Other {
    run: u64,
    sim: Option<Sim>,
    checked_at: Option<u64>,
    /// (this run, the other half).
    verdicts: (Verdict, Verdict),
    /// The run for which the pair files were last asked for (once a run,
    /// so a failing fetch is not retried every frame), and how many
    /// arrivals the counterpart has seen.
    files_asked: u64,
    arrived: u32,
    /// Bumped with each pair of checks asked for and each new run: an
    /// answer to an older pair is dropped.
    asked: u64,
}

/// Asks the check worker for both halves' verdicts as they stand now;
/// the panel re-renders when each arrives.
fn ask_verdicts(other: &Rc<RefCell<Other>>, live: &Sim, redraw: &UseForceUpdateHandle) {
    let mut o = other.borrow_mut();
    o.asked += 1;
    let asked = o.asked;
    let jobs = [verdict_job(live), o.sim.as_ref().and_then(verdict_job)];
    for (side, job) in jobs.into_iter().enumerate() {
        let Some(job) = job else {
            continue;
        };
        let (other, redraw) = (other.clone(), redraw.clone());
        crate::web::checker::ask(job, move |answer| {
            let mut o = other.borrow_mut();
            if o.asked != asked {
                return;
            }
            let verdict = verdict_of(&answer);
            if side == 0 {
                o.verdicts.0 = verdict;
            } else {
                o.verdicts.1 = verdict;
            }
            drop(o);
            redraw.force_update();
        });
    }
}

fn pct(n: (usize, usize)) -> String {
    match percent(n) {
        Some(p) => tf("{0}% ({1} of {2})", &[&format!("{p:.1}"), &n.0, &n.1]),
        None => t("no requests yet").to_owned(),
    }
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => t("linearizable"),
        Verdict::Violated => t("not linearizable"),
        Verdict::Unknown => t("not known yet"),
    }
}

fn column(n: &CapNumbers, live: bool) -> Html {
    let side = if live { "live" } else { "other" };
    let consistency = match &n.consistency {
        Some(c) => html! {
            <>
                <dt>{t("Stale reads")}</dt><dd>{tf("{0} of {1} reads", &[&c.stale, &c.reads])}</dd>
                <dt>{t("Reads with siblings")}</dt><dd>{c.siblings}</dd>
                <dt>{t("Lost updates")}</dt><dd>{tf("{0} of {1} writes", &[&c.lost, &c.writes])}</dd>
            </>
        },
        None => html! {
            <><dt>{t("Versions")}</dt><dd>{t("none kept: one log, read through the leader")}</dd></>
        },
    };
    html! {
        <div class={classes!("cap-side", side)} data-protocol={n.protocol}>
            <h3>{t_dyn(n.protocol)}{if live { t(" (this run)") } else { t(" (same script, run alongside)") }}</h3>
            <dl class="facts">
                <dt>{t("Available during the partition")}</dt>
                <dd class="cap-during" data-percent={percent(n.during).map(|p| format!("{p:.1}")).unwrap_or_default()}>
                    {pct(n.during)}
                </dd>
                <dt>{t("Available overall")}</dt><dd>{pct(n.overall)}</dd>
                {consistency}
                <dt>{t("History")}</dt><dd class="cap-verdict">{verdict(n.linearizable)}</dd>
            </dl>
        </div>
    }
}

#[function_component(CapPanel)]
pub fn cap_panel(props: &CapProps) -> Html {
    let other = use_mut_ref(|| Other {
        run: u64::MAX,
        sim: None,
        checked_at: None,
        verdicts: (Verdict::Unknown, Verdict::Unknown),
        files_asked: u64::MAX,
        arrived: 0,
        asked: 0,
    });
    let redraw = use_force_update();
    // Bumped when pair files arrive, to look for the counterpart again.
    let arrived = use_state(|| 0u32);
    let model = props.model.0.borrow();
    let live = model.sim();
    // The cursor keeps no action list: the timeline does.
    let actions = model.travel().timeline.actions();
    let now = live.now();
    let mut o = other.borrow_mut();
    // A titled run (a link or a pasted scenario may carry one half) needs
    // the pair files to find its other half; they come on first use.
    // Looked at once a run, not every frame.
    if o.files_asked != model.run {
        o.files_asked = model.run;
        let missing = crate::cap::pair_files_missing(live.scenario());
        if !missing.is_empty() {
            let arrived = arrived.clone();
            crate::web::fetch::scenarios(missing, move || arrived.set(*arrived + 1));
        }
    }
    // A new run, time travel backwards, or the pair's files just came:
    // start the other half over.
    let behind = o.sim.as_ref().is_some_and(|s| s.now() > now);
    if o.run != model.run || behind || o.arrived != *arrived {
        o.arrived = *arrived;
        o.run = model.run;
        o.checked_at = None;
        o.verdicts = (Verdict::Unknown, Verdict::Unknown);
        o.asked += 1;
        o.sim = counterpart(live.scenario())
            .or_else(|| crate::pacelc::counterpart(live.scenario()))
            .and_then(|s| splitbrain_core::build(&s, RunOptions::default()).ok());
    }
    let Some(sim) = o.sim.as_mut() else {
        if !crate::cap::compares(live.scenario()) {
            return html! {};
        }
        let send = props.send.clone();
        let open =
            Callback::from(move |_: MouseEvent| send.emit(Msg::OpenGallery("cap-raft".to_owned())));
        return html! {
            <section class="panel cap" aria-labelledby="cap-title">
                <h2 id="cap-title">{t("CAP comparison")}</h2>
                { super::pacelc::mode_switch(false, &props.send) }
                <p class="note">{t("Run the same partition against Raft (CP) and the quorum store (AP) and compare availability and consistency side by side.")}</p>
                <div class="actions">
                    <button type="button" class="btn" id="cap-load" onclick={open}>{t("Load the CAP comparison")}</button>
                </div>
            </section>
        };
    };
    sim.run_until(now, u64::MAX);
    // The linearizability check, at most once per simulated second.
    let second = now.0 / 1_000_000;
    if o.checked_at != Some(second) {
        o.checked_at = Some(second);
        drop(o);
        ask_verdicts(&other, live, &redraw);
        o = other.borrow_mut();
    }
    let sim = o.sim.as_ref().expect("checked above");
    if crate::pacelc::is_pacelc(live.scenario()) {
        return super::pacelc::view(live, actions, sim, o.verdicts, &props.send);
    }
    let mut mine = measure(live, actions);
    let mut theirs = measure(sim, &sim.scenario().actions);
    mine.linearizable = o.verdicts.0;
    theirs.linearizable = o.verdicts.1;
    let window = match mine.window {
        Some((from, to)) if to < Time::MAX => tf(
            "Partition from {0} to {1}{2}.",
            &[
                &format_time(from),
                &format_time(to),
                &if to == now { t(" (so far)") } else { "" },
            ],
        ),
        _ => t("The partition has not started yet.").to_owned(),
    };
    html! {
        <section class="panel cap" id="cap-panel" aria-labelledby="cap-title">
            <h2 id="cap-title">{t("CAP comparison")}</h2>
                { super::pacelc::mode_switch(false, &props.send) }
            <p class="note">{tf("Both sides at {0}. {1} Availability: of the requests sent in that window and already answered or timed out, the share that succeeded.", &[&format_time(now), &window])}</p>
            <div class="cap-columns">
                { column(&mine, true) }
                { column(&theirs, false) }
            </div>
        </section>
    }
}
