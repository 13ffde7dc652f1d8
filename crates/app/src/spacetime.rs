//! The space-time (sequence) diagram: one lane per node, time running left
//! to right, each message an arrow from its send to its delivery, drops
//! ending in a cross, crashes as bands on a lane and network splits as
//! bands across all lanes, and the scrubbed instant as a vertical line.
//!
//! Built as SVG text, natively, from the timeline's trace: the page shows
//! it inline (colours from the theme's CSS variables) and exports it as a
//! standalone file (fixed light colours). Only the visible window is drawn:
//! the events are ordered by time, so the window is found by binary search.

use std::collections::BTreeMap;
use std::fmt::Write;

use splitbrain_core::timeline::{MarkKind, Marker};
use splitbrain_core::trace::{EventKind, TraceEvent};
use splitbrain_core::Time;

use crate::i18n::tf;

/// Messages in flight longer than this before the window are drawn from
/// its left edge only if their send is this recent.
const LOOKBACK: u64 = 2_000_000;

/// Where the colours come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colors {
    /// The page's CSS variables, so the diagram follows the theme.
    Css,
    /// Fixed colours, for a file that stands alone.
    Fixed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DiagramSpec<'a> {
    pub nodes: usize,
    pub window: (Time, Time),
    /// The scrubbed instant: a line across the lanes.
    pub cursor: Time,
    /// The trace index of a selected send, highlighted.
    pub selected: Option<u64>,
    pub msg_kinds: &'a [&'a str],
    pub width: f64,
    pub colors: Colors,
    /// Leader changes to mark on their lanes (the timeline's markers; other
    /// kinds are ignored). Selectable: each carries its event index.
    pub marks: &'a [Marker],
    /// Messages in flight at the cursor whose fate the trace does not hold
    /// yet (at the end of the run): id and when they are due, drawn dotted.
    pub pending: &'a [(u64, Time)],
}

const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 18.0;
const LANE: f64 = 28.0;

fn color(colors: Colors, var: &str) -> String {
    match colors {
        Colors::Css => format!("var(--{var})"),
        Colors::Fixed => match var {
            "text" => "#1b2330",
            "muted" => "#5c6776",
            "faint" => "#c9d0d9",
            "surface" => "#ffffff",
            "bad" => "#d13b3b",
            "down" => "#9aa3ae",
            "accent" => "#2d6bd8",
            "group-1" => "#fbf0d9",
            "msg-0" => "#d08a0b",
            "msg-1" => "#8c55cc",
            "msg-2" => "#2d6bd8",
            "msg-3" => "#16917f",
            "msg-4" => "#c2410c",
            "msg-5" => "#be185d",
            "msg-6" => "#4d7c0f",
            _ => "#64748b",
        }
        .to_owned(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Counts what was drawn, for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drawn {
    pub arrows: usize,
    pub drops: usize,
    pub crash_bands: usize,
    pub split_bands: usize,
    /// Crash, restart and leader-change glyphs on the lanes.
    pub node_events: usize,
    /// Messages drawn towards a delivery still to come.
    pub pending: usize,
}

/// The diagram of `events` (a whole branch's trace, in order) in the
/// spec's window, as an `<svg>` element.
pub fn svg(events: &[TraceEvent], spec: &DiagramSpec<'_>) -> (String, Drawn) {
    let (t0, t1) = (spec.window.0 .0, spec.window.1 .0.max(spec.window.0 .0 + 1));
    let height = TOP + LANE * spec.nodes as f64 + 8.0;
    let plot = (spec.width - LEFT - RIGHT).max(10.0);
    let x = |t: u64| LEFT + (t as f64 - t0 as f64) / (t1 - t0) as f64 * plot;
    let y = |n: u16| TOP + LANE * (f64::from(n) + 0.5);
    let c = |v: &str| color(spec.colors, v);
    let mut drawn = Drawn::default();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="spacetime" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" font-family="system-ui, sans-serif" font-size="11">"#,
        w = spec.width,
        h = height,
        label = escape(&tf(
            "Space-time diagram from {0} to {1}",
            &[&Time(t0), &Time(t1)]
        )),
    );
    let _ = write!(
        out,
        r#"<defs><clipPath id="st-clip"><rect x="{LEFT}" y="0" width="{plot}" height="{height}"/></clipPath></defs>"#
    );
    if spec.colors == Colors::Fixed {
        let _ = write!(
            out,
            r#"<rect width="100%" height="100%" fill="{}"/>"#,
            c("surface")
        );
    }

    // Crashes and network splits, from the start (state at the window's
    // left edge) to its right edge.
    let end = events.partition_point(|e| e.time.0 <= t1);
    let mut down_since: Vec<Option<u64>> = vec![None; spec.nodes];
    let mut crash_bands: Vec<(u16, u64, u64)> = Vec::new();
    let mut partitioned = false;
    let mut cuts: i64 = 0;
    let mut split_since: Option<u64> = None;
    let mut split_bands: Vec<(u64, u64)> = Vec::new();
    for e in &events[..end] {
        match e.kind {
            EventKind::Crash => {
                if let Some(d) = down_since.get_mut(e.node.index()) {
                    *d = Some(e.time.0);
                }
            }
            EventKind::Restart => {
                if let Some(Some(since)) = down_since.get(e.node.index()).copied() {
                    if e.time.0 >= t0 {
                        crash_bands.push((e.node.0, since, e.time.0));
                    }
                    down_since[e.node.index()] = None;
                }
            }
            EventKind::Network => {
                let was = partitioned || cuts > 0;
                match e.tag {
                    0 => partitioned = true,
                    1 => {
                        partitioned = false;
                        cuts = 0;
                    }
                    2 => cuts += 1,
                    _ => cuts = (cuts - 1).max(0),
                }
                let is = partitioned || cuts > 0;
                if !was && is {
                    split_since = Some(e.time.0);
                } else if was && !is {
                    if let Some(since) = split_since.take() {
                        if e.time.0 >= t0 {
                            split_bands.push((since, e.time.0));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (n, since) in down_since.iter().enumerate() {
        if let Some(since) = since {
            crash_bands.push((n as u16, *since, t1));
        }
    }
    if let Some(since) = split_since {
        split_bands.push((since, t1));
    }
    out.push_str(r#"<g clip-path="url(#st-clip)">"#);
    for (a, b) in &split_bands {
        let (xa, xb) = (x((*a).max(t0)), x(*b));
        let _ = write!(
            out,
            r#"<rect class="split" x="{xa:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="{}" opacity="0.7"><title>{}</title></rect>"#,
            (xb - xa).max(1.0),
            LANE * spec.nodes as f64,
            c("group-1"),
            escape(&tf("network split {0} – {1}", &[&Time(*a), &Time(*b)])),
        );
        drawn.split_bands += 1;
    }
    for (n, a, b) in &crash_bands {
        let (xa, xb) = (x((*a).max(t0)), x(*b));
        let _ = write!(
            out,
            r#"<rect class="crash" x="{xa:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" opacity="0.45"><title>{}</title></rect>"#,
            y(*n) - LANE * 0.35,
            (xb - xa).max(1.0),
            LANE * 0.7,
            c("down"),
            escape(&tf(
                "{0} down {1} – {2}",
                &[&format!("n{n}"), &Time(*a), &Time(*b)]
            )),
        );
        drawn.crash_bands += 1;
    }
    out.push_str("</g>");

    // Lanes.
    for n in 0..spec.nodes as u16 {
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="{}" stroke-width="1"/><text x="6" y="{:.1}" fill="{}">n{n}</text>"#,
            LEFT + plot,
            c("faint"),
            y(n) + 4.0,
            c("muted"),
            yy = y(n),
        );
    }

    // Messages: sends from a little before the window, matched with their
    // deliveries and drops up to a little after it.
    let from = events.partition_point(|e| e.time.0 < t0.saturating_sub(LOOKBACK));
    let until = events.partition_point(|e| e.time.0 <= t1.saturating_add(LOOKBACK));
    let mut sends: BTreeMap<u64, (u64, &TraceEvent)> = BTreeMap::new();
    out.push_str(r#"<g clip-path="url(#st-clip)">"#);
    for (offset, e) in events[from..until].iter().enumerate() {
        let index = (from + offset) as u64;
        match e.kind {
            EventKind::Send => {
                sends.insert(e.arg, (index, e));
            }
            EventKind::Deliver | EventKind::Drop => {
                let Some((send_index, s)) = sends.get(&e.arg).copied() else {
                    continue;
                };
                if e.time.0 < t0 || s.time.0 > t1 {
                    continue;
                }
                let dropped = e.kind == EventKind::Drop;
                let kind = usize::from(s.tag);
                let stroke = c(&format!("msg-{}", kind.min(7)));
                let selected = spec.selected == Some(send_index);
                let (x1, y1, x2, y2) = (x(s.time.0), y(s.node.0), x(e.time.0), y(e.node.0));
                let name = spec.msg_kinds.get(kind).copied().unwrap_or("message");
                let _ = write!(
                    out,
                    r#"<g class="msg{sel}" data-event="{send_index}"><title>{title}</title><line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{sw}"{dash}/>"#,
                    sel = if selected { " selected" } else { "" },
                    title = escape(&if dropped {
                        tf(
                            "{0} m{1}: {2} → {3}, sent {4}, dropped {5}",
                            &[
                                &name,
                                &e.arg,
                                &s.node,
                                &s.peer,
                                &Time(s.time.0),
                                &Time(e.time.0),
                            ],
                        )
                    } else {
                        tf(
                            "{0} m{1}: {2} → {3}, sent {4}, delivered {5}",
                            &[
                                &name,
                                &e.arg,
                                &s.node,
                                &s.peer,
                                &Time(s.time.0),
                                &Time(e.time.0),
                            ],
                        )
                    }),
                    sw = if selected { 3.0 } else { 1.2 },
                    dash = if dropped {
                        r#" stroke-dasharray="3 2""#
                    } else {
                        ""
                    },
                );
                if dropped {
                    let _ = write!(
                        out,
                        r#"<path d="M{a:.1},{b:.1}l6,6m0,-6l-6,6" stroke="{}" stroke-width="1.5"/>"#,
                        c("bad"),
                        a = x2 - 3.0,
                        b = y2 - 3.0,
                    );
                    drawn.drops += 1;
                } else {
                    let _ = write!(
                        out,
                        r#"<circle cx="{x2:.1}" cy="{y2:.1}" r="2" fill="{stroke}"/>"#
                    );
                }
                out.push_str("</g>");
                drawn.arrows += 1;
            }
            _ => {}
        }
    }
    // In flight at the end of the run: their delivery is not in the trace
    // yet, but the simulator knows when it is due.
    for (id, due) in spec.pending {
        let Some((send_index, s)) = sends.get(id).copied() else {
            continue;
        };
        if due.0 < t0 || s.time.0 > t1 {
            continue;
        }
        let kind = usize::from(s.tag);
        let stroke = c(&format!("msg-{}", kind.min(7)));
        let selected = spec.selected == Some(send_index);
        let name = spec.msg_kinds.get(kind).copied().unwrap_or("message");
        let _ = write!(
            out,
            r#"<g class="msg pending{sel}" data-event="{send_index}"><title>{title}</title><line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{sw}" stroke-dasharray="1 3"/></g>"#,
            sel = if selected { " selected" } else { "" },
            title = escape(&tf(
                "{0} m{1}: {2} → {3}, sent {4}, in flight, due {5}",
                &[&name, id, &s.node, &s.peer, &Time(s.time.0), due],
            )),
            x1 = x(s.time.0),
            y1 = y(s.node.0),
            x2 = x(due.0),
            y2 = y(s.peer.0),
            sw = if selected { 3.0 } else { 1.5 },
        );
        drawn.pending += 1;
        drawn.arrows += 1;
    }
    out.push_str("</g>");

    // Node events, selectable like messages: crashes, restarts, new leaders.
    let first = events.partition_point(|e| e.time.0 < t0);
    out.push_str(r#"<g clip-path="url(#st-clip)">"#);
    for (offset, e) in events[first..end].iter().enumerate() {
        let (class, crashed) = match e.kind {
            EventKind::Crash => ("crash-event", true),
            EventKind::Restart => ("restart-event", false),
            _ => continue,
        };
        let index = (first + offset) as u64;
        node_event(
            &mut out,
            spec,
            (x(e.time.0), y(e.node.0)),
            index,
            class,
            &if crashed {
                tf("{0} crashed at {1}", &[&e.node, &e.time])
            } else {
                tf("{0} restarted at {1}", &[&e.node, &e.time])
            },
            &c(if e.kind == EventKind::Crash {
                "bad"
            } else {
                "muted"
            }),
        );
        drawn.node_events += 1;
    }
    for m in spec
        .marks
        .iter()
        .filter(|m| m.kind == MarkKind::LeaderChange && (t0..=t1).contains(&m.time.0))
    {
        node_event(
            &mut out,
            spec,
            (x(m.time.0), y(m.node.0)),
            m.at.saturating_sub(1),
            "leader-event",
            &tf("{0} leads term {1} from {2}", &[&m.node, &m.arg, &m.time]),
            &c("accent"),
        );
        drawn.node_events += 1;
    }
    out.push_str("</g>");

    // The scrubbed instant.
    if (t0..=t1).contains(&spec.cursor.0) {
        let xc = x(spec.cursor.0);
        let _ = write!(
            out,
            r#"<line class="cursor" x1="{xc:.1}" x2="{xc:.1}" y1="4" y2="{:.1}" stroke="{}" stroke-width="1.5"/>"#,
            height - 4.0,
            c("accent")
        );
    }
    let _ = write!(
        out,
        r#"<text x="{LEFT}" y="12" fill="{m}">{a}</text><text x="{r:.1}" y="12" fill="{m}" text-anchor="end">{b}</text></svg>"#,
        m = c("muted"),
        r = LEFT + plot,
        a = Time(t0),
        b = Time(t1),
    );
    (out, drawn)
}

/// A node event's glyph on its lane: a diamond, ringed when selected.
/// `index` is the trace index the selection holds for it.
fn node_event(
    out: &mut String,
    spec: &DiagramSpec<'_>,
    (cx, cy): (f64, f64),
    index: u64,
    class: &str,
    title: &str,
    fill: &str,
) {
    let selected = spec.selected == Some(index);
    let r = if selected { 6.5 } else { 5.0 };
    let _ = write!(
        out,
        r#"<g class="node-event {class}{sel}" data-event="{index}"><title>{title}</title><path d="M{cx:.1},{top:.1}l{r},{r}l-{r},{r}l-{r},-{r}z" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/></g>"#,
        sel = if selected { " selected" } else { "" },
        top = cy - r,
        stroke = color(spec.colors, if selected { "text" } else { "surface" }),
        sw = if selected { 2.0 } else { 1.0 },
        title = escape(title),
    );
}

/// The diagram as a standalone SVG file.
pub fn export(events: &[TraceEvent], spec: &DiagramSpec<'_>) -> String {
    let spec = DiagramSpec {
        colors: Colors::Fixed,
        ..spec.clone()
    };
    let (svg, _) = svg(events, &spec);
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_core::timeline::Timeline;
    use splitbrain_core::{build, Action, NodeId, RunOptions, Scenario, Simulation};

    fn recorded() -> (Timeline, Box<dyn Simulation>) {
        let mut s = Scenario::new(
            splitbrain_core::ProtocolConfig::Raft(Default::default()),
            3,
            5,
        );
        s.network.loss = 0.2;
        let mut sim = build(&s, RunOptions::default()).unwrap();
        let mut tl = Timeline::new(&mut *sim, 1_000);
        tl.advance(&mut *sim, Time(1_000_000), u64::MAX);
        tl.act(&mut *sim, Action::Crash { node: NodeId(2) })
            .unwrap();
        tl.act(
            &mut *sim,
            Action::Partition {
                groups: vec![vec![NodeId(0)]],
            },
        )
        .unwrap();
        tl.advance(&mut *sim, Time(1_500_000), u64::MAX);
        tl.act(&mut *sim, Action::Heal).unwrap();
        tl.advance(&mut *sim, Time(2_000_000), u64::MAX);
        (tl, sim)
    }

    fn spec(window: (u64, u64)) -> DiagramSpec<'static> {
        DiagramSpec {
            nodes: 3,
            window: (Time(window.0), Time(window.1)),
            cursor: Time(1_200_000),
            selected: None,
            msg_kinds: &["Vote?", "Vote", "Append", "Ack"],
            width: 800.0,
            colors: Colors::Css,
            marks: &[],
            pending: &[],
        }
    }

    #[test]
    fn draws_messages_drops_crashes_and_splits_in_the_window() {
        let (tl, _) = recorded();
        let (text, drawn) = svg(tl.events(), &spec((900_000, 1_700_000)));
        assert!(drawn.arrows > 10, "{drawn:?}");
        assert!(drawn.drops > 0, "{drawn:?}");
        assert_eq!(drawn.crash_bands, 1, "n2 is down from 1 s on");
        assert_eq!(drawn.split_bands, 1, "split from 1 s to 1.5 s");
        assert!(text.starts_with("<svg") && text.ends_with("</svg>"));
        assert!(text.contains(r#"class="cursor""#));
        assert!(text.contains("var(--msg-"));
        // Every arrow in the window is counted once: the number of
        // deliveries and drops whose send and arrival touch it.
        let events = tl.events();
        let sends: BTreeMap<u64, u64> = events
            .iter()
            .filter(|e| e.kind == EventKind::Send)
            .map(|e| (e.arg, e.time.0))
            .collect();
        let expect = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Deliver | EventKind::Drop))
            .filter(|e| e.time.0 >= 900_000)
            .filter(|e| sends.get(&e.arg).is_some_and(|s| *s <= 1_700_000))
            .count();
        assert_eq!(drawn.arrows, expect);
    }

    #[test]
    fn only_the_window_is_drawn() {
        let (tl, _) = recorded();
        let (_, wide) = svg(tl.events(), &spec((0, 2_000_000)));
        let (_, narrow) = svg(tl.events(), &spec((1_000_000, 1_050_000)));
        assert!(narrow.arrows < wide.arrows / 4, "{narrow:?} vs {wide:?}");
        let (text, none) = svg(tl.events(), &spec((5_000_000, 6_000_000)));
        assert_eq!(none.arrows, 0);
        assert!(!text.contains(r#"class="cursor""#));
    }

    #[test]
    fn the_export_stands_alone() {
        let (tl, _) = recorded();
        let mut s = spec((900_000, 1_700_000));
        s.selected = tl
            .events()
            .iter()
            .position(|e| e.kind == EventKind::Send && e.time.0 > 1_000_000)
            .map(|i| i as u64);
        let file = export(tl.events(), &s);
        assert!(file.starts_with("<?xml"));
        assert!(file.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
        assert!(!file.contains("var(--"), "no page variables in a file");
        assert!(file.contains(r#"class="msg selected""#));
        // Well formed enough for an XML reader: tags balance.
        let opens = file.matches("<g").count();
        let closes = file.matches("</g>").count();
        assert_eq!(opens, closes);
    }
}
