//! What the HTML around the canvas shows: the inspector, the invariants,
//! the event log, the status line. Built from the model a few times a
//! second (and after every action), compared with the last one, and only a
//! change re-renders the components.

use std::rc::Rc;

use splitbrain_core::protocol::{EntryView, NodeView, RoleKind};
use splitbrain_core::sim::Stats;
use splitbrain_core::trace::EventKind;
use splitbrain_core::{NodeId, Time};

use splitbrain_core::gallery::GalleryEntry;

use crate::board::Board;
use crate::layout::canonical_groups;
use crate::model::{Menu, Model, Notice, Overlay, Theme};
use crate::settings::Settings;

/// Log entries listed in the inspector; older ones are summarised.
pub const INSPECTOR_ENTRIES: usize = 60;
/// Lines in the event log.
pub const LOG_LINES: usize = 40;

#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// The protocol's name, as people write it.
    pub protocol: &'static str,
    pub now: Time,
    pub playing: bool,
    pub speed: f64,
    pub lagging: bool,
    pub seed: u64,
    pub nodes: u16,
    pub steady_load: bool,
    pub events: u64,
    pub stats: Stats,
    pub in_flight: usize,
    pub leader: Option<(NodeId, u64)>,
    pub split: bool,
    pub invariants: Vec<InvariantRow>,
    pub violation: Option<ViolationView>,
    pub inspector: Option<Inspector>,
    /// Each node's place in the configuration, when the protocol's voters
    /// can change (the node menu offers to add or remove it).
    pub standings: Vec<Option<crate::scene::Standing>>,
    /// Shared, so that a panel showing only this compares it cheaply.
    pub log: Rc<Vec<LogLine>>,
    pub msg_kinds: &'static [&'static str],
    pub selected: Option<NodeId>,
    pub overlay: Overlay,
    pub menu: Option<Menu>,
    pub notice: Option<Notice>,
    pub theme: Option<Theme>,
    pub settings: Settings,
    pub board: Rc<Board>,
    pub story: Option<GalleryEntry>,
    pub ring_view: bool,
    /// The language the page speaks; a switch re-renders every panel.
    pub lang: crate::i18n::Lang,
    /// Whether `lang`'s text has arrived (the page fetches Chinese on
    /// first use and speaks English until then); its arrival re-renders.
    pub text_ready: bool,
    /// The selected message or event (trace index): the cluster and the
    /// diagram show one shared selection.
    pub selected_event: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantRow {
    pub name: &'static str,
    pub holds: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViolationView {
    pub invariant: &'static str,
    pub time: Time,
    pub message: String,
    pub nodes: Vec<NodeId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Inspector {
    pub id: NodeId,
    pub up: bool,
    pub view: NodeView,
    /// The newest entries, oldest first.
    pub entries: Vec<EntryView>,
    /// How many older entries are not listed.
    pub older: u64,
    /// Entries named by the broken invariant.
    pub flagged: Vec<u64>,
    pub kv: Vec<(String, String)>,
    pub fields: Vec<(&'static str, String)>,
    /// When the election timer fires, if it runs.
    pub timer: Option<Time>,
    /// 1-based partition group, when the cluster is split.
    pub group: Option<usize>,
    /// Its log against the leader's, at the instant shown.
    pub log_diff: Option<crate::model::LogDiff>,
    /// Its place in the configuration, when the protocol's voters can
    /// change (the inspector then offers to add or remove it).
    pub standing: Option<crate::scene::Standing>,
    pub clock: ClockView,
}

/// A node's own clock, at the instant shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockView {
    /// What it reads.
    pub local: Time,
    /// How far ahead of true time (negative: behind).
    pub offset: splitbrain_core::time::Offset,
    pub drift_ppm: i32,
}

impl ClockView {
    pub fn of(sim: &splitbrain_core::Sim, id: NodeId) -> ClockView {
        let clock = sim.clock(id);
        ClockView {
            local: sim.local_time(id),
            offset: clock.offset(sim.now()),
            drift_ppm: clock.drift_ppm(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub index: u64,
    pub time: Time,
    pub text: String,
    /// A CSS class: what sort of event.
    pub class: &'static str,
}

impl Panel {
    /// The language of the text on the page: the one asked for once its
    /// text is here, English until then.
    pub fn shown_lang(&self) -> crate::i18n::Lang {
        if self.text_ready {
            self.lang
        } else {
            crate::i18n::Lang::En
        }
    }

    pub fn of(model: &Model) -> Panel {
        let sim = model.sim();
        let found = sim.violation();
        let invariants = sim
            .invariant_names()
            .iter()
            .map(|name| InvariantRow {
                name,
                holds: found.is_none_or(|f| f.invariant != *name),
            })
            .collect();
        let violation = found.map(|f| ViolationView {
            invariant: f.invariant,
            time: f.time,
            message: f.violation.message.clone(),
            nodes: f.violation.nodes.clone(),
        });
        let leader = model.leader().map(|n| (n, sim.node_view(n).term));
        let split = sim.network().is_split();
        let inspector = model.selected.map(|id| {
            let view = sim.node_view(id);
            let detail = sim.node_detail(id);
            let total = detail.log.len();
            let skip = total.saturating_sub(INSPECTOR_ENTRIES);
            let groups = canonical_groups(sim.network().groups());
            let several = groups.iter().any(|g| *g != 0);
            Inspector {
                id,
                up: sim.is_up(id),
                entries: detail.log[skip..].to_vec(),
                older: skip as u64,
                flagged: found
                    .map(|f| {
                        f.violation
                            .entries
                            .iter()
                            .filter(|(n, _)| *n == id)
                            .map(|(_, i)| *i)
                            .collect()
                    })
                    .unwrap_or_default(),
                kv: detail.kv,
                fields: detail.fields,
                timer: sim
                    .user_timer(id)
                    .filter(|_| view.role != RoleKind::Leader)
                    .map(|(_, fires)| fires),
                group: several.then(|| usize::from(groups[id.index()]) + 1),
                view,
                log_diff: model.selected_log_diff(),
                clock: ClockView::of(sim, id),
                standing: sim
                    .protocol()
                    .can
                    .membership
                    .then(|| crate::scene::standings(sim)[id.index()]),
            }
        });
        let mut log: Vec<LogLine> = sim
            .recent_events(LOG_LINES)
            .into_iter()
            .map(|line| LogLine {
                index: line.index,
                time: line.event.time,
                class: match line.event.kind {
                    EventKind::Send | EventKind::Deliver => "msg",
                    EventKind::Drop => "drop",
                    EventKind::Timer => "timer",
                    EventKind::Crash | EventKind::Restart => "fault",
                    EventKind::Network | EventKind::Clock => "net",
                    EventKind::ClientInvoke | EventKind::ClientReturn => "client",
                },
                text: line.text,
            })
            .collect();
        log.reverse();
        let mut in_flight = 0;
        sim.for_each_in_flight(&mut |_| in_flight += 1);
        let standings = if sim.protocol().can.membership {
            crate::scene::standings(sim).into_iter().map(Some).collect()
        } else {
            Vec::new()
        };
        Panel {
            standings,
            protocol: sim.protocol_name(),
            now: sim.now(),
            playing: model.playing,
            speed: model.speed,
            lagging: model.lagging,
            seed: sim.scenario().seed,
            nodes: sim.node_count() as u16,
            steady_load: model.steady_load(),
            events: sim.trace().len(),
            stats: sim.stats(),
            in_flight,
            leader,
            split,
            invariants,
            violation,
            inspector,
            log: Rc::new(log),
            msg_kinds: sim.msg_kinds(),
            selected: model.selected,
            overlay: model.overlay,
            menu: model.menu,
            notice: model.notice.clone(),
            theme: model.theme,
            settings: model.settings.clone(),
            board: Rc::new(Board::of(sim, model.travel().timeline.actions())),
            story: model.story.clone(),
            ring_view: model.ring_view,
            lang: crate::i18n::current(),
            text_ready: crate::i18n::ready(crate::i18n::current()),
            selected_event: model.travel().selected_event,
        }
    }
}

/// `0.25x`, `10x`: a speed as the speed control shows it.
pub fn format_speed(speed: f64) -> String {
    if speed >= 1.0 {
        format!("{}x", speed.round() as u64)
    } else {
        // Hundredths, in integers: no float formatting code in the page.
        let hundredths = (speed * 100.0).round() as u64;
        let digits = format!("{hundredths:02}");
        format!("0.{}x", digits.trim_end_matches('0'))
    }
}

/// Simulated time with millisecond precision: `1.250 s`.
pub fn format_time(t: Time) -> String {
    format!("{} s", format_seconds(t))
}

/// Seconds with three decimals, `1.250`, for the event log's time column.
pub fn format_seconds(t: Time) -> String {
    format!("{}.{:03}", t.0 / 1_000_000, (t.0 / 1000) % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Msg;

    #[test]
    fn speeds_and_times_read_naturally() {
        assert_eq!(format_speed(0.1), "0.1x");
        assert_eq!(format_speed(0.25), "0.25x");
        assert_eq!(format_speed(0.01), "0.01x");
        assert_eq!(format_speed(1000.0), "1000x");
        assert_eq!(format_time(Time(1_250_000)), "1.250 s");
        assert_eq!(format_time(Time(999)), "0.000 s");
    }

    #[test]
    fn the_inspector_follows_the_selection() {
        let mut m = Model::new(1);
        assert!(Panel::of(&m).inspector.is_none());
        m.update(Msg::Select(Some(NodeId(2))));
        let panel = Panel::of(&m);
        let inspector = panel.inspector.unwrap();
        assert_eq!(inspector.id, NodeId(2));
        assert!(inspector.up && inspector.timer.is_some());
        assert_eq!(panel.invariants.len(), 7, "Raft's seven invariants");
        assert!(panel.invariants.iter().all(|i| i.holds));
    }

    #[test]
    fn the_event_log_lists_newest_first() {
        let mut m = Model::new(1);
        m.update(Msg::SetSpeed(1.0));
        for _ in 0..60 {
            m.frame(16.0);
        }
        let log = Panel::of(&m).log;
        assert!(!log.is_empty());
        assert!(log.windows(2).all(|w| w[0].index > w[1].index));
    }
}
