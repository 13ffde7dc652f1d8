//! The space-time (sequence) diagram: one lane per node, time running left
//! to right, each message an arrow from its send to its delivery, drops
//! ending in a cross, crashes as bands on a lane and network splits as
//! bands across all lanes, and the scrubbed instant as a vertical line.
//!
//! Built as SVG text, natively, from the timeline's trace: the page shows
//! it inline (colours from the theme's CSS variables) and exports it as a
//! standalone file (fixed light colours). Only the visible window is drawn,
//! from the stretch of events around it ([`Stretch::fetch`]; a long run's
//! older events are replayed for it), and the crash and split bands come
//! from the timeline's short list of node events, never a scan from the
//! start.

use std::fmt::Write;

use splitbrain_core::timeline::{MarkKind, Marker, Timeline};
use splitbrain_core::trace::{EventKind, TraceEvent};
use splitbrain_core::Time;

use crate::i18n::tf;

/// Messages in flight longer than this before the window are drawn from
/// its left edge only if their send is this recent.
const LOOKBACK: u64 = 2_000_000;
/// Message arrows drawn at most; more are sampled evenly.
pub const MAX_ARROWS: usize = 1_200;
/// Events read for one drawing at most: a window zoomed out over a long
/// run shows its last this many (and says so) instead of replaying all.
pub const MAX_EVENTS: u64 = 150_000;

/// The events a diagram is drawn from: the stretch of a branch's trace
/// around the window, where it starts, and the branch's node events.
#[derive(Clone, Copy, Debug)]
pub struct Stretch<'a> {
    /// Trace index of `events[0]`.
    pub first: u64,
    pub events: &'a [TraceEvent],
    /// Every crash, restart and network change of the branch, with its
    /// trace index ([`Timeline::node_events`]).
    pub node_events: &'a [(u64, TraceEvent)],
    /// Events in the window left out by [`MAX_EVENTS`] (drawn from the
    /// part after them).
    pub left_out: u64,
}

/// The events [`Stretch`] needs for a window, read from the timeline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fetched {
    pub first: u64,
    pub events: Vec<TraceEvent>,
    pub left_out: u64,
}

impl Fetched {
    /// The events from a little before `window` to a little after it
    /// (messages crossing its edges), at most [`MAX_EVENTS`] of them.
    pub fn fetch(timeline: &Timeline, window: (Time, Time)) -> Fetched {
        let from = timeline.index_at(Time(window.0 .0.saturating_sub(LOOKBACK)), false);
        let until = timeline.index_at(Time(window.1 .0.saturating_add(LOOKBACK)), true);
        let start = from.max(until.saturating_sub(MAX_EVENTS));
        Fetched {
            first: start,
            events: timeline.events_in(start..until),
            left_out: start - from,
        }
    }

    pub fn stretch<'a>(&'a self, node_events: &'a [(u64, TraceEvent)]) -> Stretch<'a> {
        Stretch {
            first: self.first,
            events: &self.events,
            node_events,
            left_out: self.left_out,
        }
    }
}

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
    /// The messages in the window when there were too many to draw each
    /// (then `arrows` is an even sample of them); else 0.
    pub thinned: usize,
    pub drops: usize,
    pub crash_bands: usize,
    pub split_bands: usize,
    /// Crash, restart and leader-change glyphs on the lanes.
    pub node_events: usize,
    /// Messages drawn towards a delivery still to come.
    pub pending: usize,
}

/// A crash band (node, down from, up again at) and a split band (from, to).
type CrashBand = (u16, u64, u64);
type SplitBand = (u64, u64);

/// Crash and network-split bands of a whole event list, kept up to date
/// as it grows (see [`svg_cached`]): scanning a long run from its start
/// at every redraw was what made the diagram slow.
#[derive(Clone, Debug, Default)]
pub struct Bands {
    key: Option<u64>,
    scanned: usize,
    down_since: Vec<Option<u64>>,
    /// Closed crash bands.
    crashes: Vec<CrashBand>,
    partitioned: bool,
    cuts: i64,
    split_since: Option<u64>,
    /// Closed split bands.
    splits: Vec<SplitBand>,
}

impl Bands {
    /// Scans what `node_events` (a branch's crashes, restarts and
    /// network changes) gained since the last call. `key` names the
    /// branch; another key, a shorter list or another cluster size starts
    /// over.
    pub fn update(&mut self, key: u64, nodes: usize, node_events: &[(u64, TraceEvent)]) {
        if self.key != Some(key)
            || node_events.len() < self.scanned
            || self.down_since.len() != nodes
        {
            *self = Bands {
                key: Some(key),
                down_since: vec![None; nodes],
                ..Bands::default()
            };
        }
        for (_, e) in &node_events[self.scanned..] {
            match e.kind {
                EventKind::Crash => {
                    if let Some(d) = self.down_since.get_mut(e.node.index()) {
                        *d = Some(e.time.0);
                    }
                }
                EventKind::Restart => {
                    if let Some(d) = self.down_since.get_mut(e.node.index()) {
                        if let Some(since) = d.take() {
                            self.crashes.push((e.node.0, since, e.time.0));
                        }
                    }
                }
                EventKind::Network => {
                    let was = self.partitioned || self.cuts > 0;
                    match e.tag {
                        0 => self.partitioned = true,
                        1 => {
                            self.partitioned = false;
                            self.cuts = 0;
                        }
                        2 => self.cuts += 1,
                        _ => self.cuts = (self.cuts - 1).max(0),
                    }
                    let is = self.partitioned || self.cuts > 0;
                    if !was && is {
                        self.split_since = Some(e.time.0);
                    } else if was && !is {
                        if let Some(since) = self.split_since.take() {
                            self.splits.push((since, e.time.0));
                        }
                    }
                }
                _ => {}
            }
        }
        self.scanned = node_events.len();
    }

    /// The bands that touch `[t0, t1]` as they stood at `t1`: those that
    /// ended inside it, then (by node) those still open at `t1`, cut there.
    fn in_window(&self, t0: u64, t1: u64) -> (Vec<CrashBand>, Vec<SplitBand>) {
        let mut crashes: Vec<(u16, u64, u64)> = self
            .crashes
            .iter()
            .filter(|(_, _, until)| (t0..=t1).contains(until))
            .copied()
            .collect();
        let mut open: Vec<(u16, u64, u64)> =
            self.crashes
                .iter()
                .filter(|(_, since, until)| *since <= t1 && *until > t1)
                .map(|&(n, since, _)| (n, since, t1))
                .chain(
                    self.down_since.iter().enumerate().filter_map(|(n, since)| {
                        since.filter(|s| *s <= t1).map(|s| (n as u16, s, t1))
                    }),
                )
                .collect();
        open.sort_by_key(|b| b.0);
        crashes.extend(open);
        let mut splits: Vec<(u64, u64)> = self
            .splits
            .iter()
            .filter(|(_, until)| (t0..=t1).contains(until))
            .copied()
            .collect();
        let open = self
            .splits
            .iter()
            .find(|(since, until)| *since <= t1 && *until > t1)
            .map(|&(since, _)| since)
            .or(self.split_since.filter(|s| *s <= t1));
        if let Some(since) = open {
            splits.push((since, t1));
        }
        (crashes, splits)
    }
}

/// The diagram of a stretch of a branch's trace in the spec's window, as
/// an `<svg>` element.
pub fn svg(stretch: &Stretch<'_>, spec: &DiagramSpec<'_>) -> (String, Drawn) {
    draw(stretch, spec, None)
}

/// [`svg`], with the crash and split bands kept in `bands` between calls:
/// only node events added since the last call are scanned. `key` names the
/// branch (a run and branch); a new key starts over.
pub fn svg_cached(
    stretch: &Stretch<'_>,
    spec: &DiagramSpec<'_>,
    bands: &mut Bands,
    key: u64,
) -> (String, Drawn) {
    draw(stretch, spec, Some((bands, key)))
}

fn draw(
    stretch: &Stretch<'_>,
    spec: &DiagramSpec<'_>,
    cached: Option<(&mut Bands, u64)>,
) -> (String, Drawn) {
    let (first, events) = (stretch.first as usize, stretch.events);
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
    let node_events = stretch.node_events;
    let end = node_events.partition_point(|(_, e)| e.time.0 <= t1);
    let scratch;
    let bands = match cached {
        Some((bands, key)) => {
            bands.update(key, spec.nodes, node_events);
            &*bands
        }
        None => {
            let mut b = Bands::default();
            b.update(0, spec.nodes, &node_events[..end]);
            scratch = b;
            &scratch
        }
    };
    let (crash_bands, split_bands) = bands.in_window(t0, t1);
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
    // deliveries and drops up to a little after it. Message ids grow in
    // send order, so the sends are sorted by id and a delivery finds its
    // send by binary search.
    // Indices below are into `events`; `first` makes them trace indices.
    let from = events.partition_point(|e| e.time.0 < t0.saturating_sub(LOOKBACK));
    let until = events.partition_point(|e| e.time.0 <= t1.saturating_add(LOOKBACK));
    let mut sends: Vec<(u64, usize)> = events[from..until]
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::Send)
        .map(|(i, e)| (e.arg, from + i))
        .collect();
    if !sends.windows(2).all(|w| w[0].0 < w[1].0) {
        // Not expected; a stable sort keeps the last send of an id last.
        sends.sort_by_key(|s| s.0);
    }
    let mut arrows: Vec<(usize, usize)> = Vec::new();
    for (offset, e) in events[from..until].iter().enumerate() {
        if !matches!(e.kind, EventKind::Deliver | EventKind::Drop) {
            continue;
        }
        let at = from + offset;
        // The latest send of this id before the delivery.
        let end = sends.partition_point(|s| s.0 <= e.arg);
        let Some(&(_, send_index)) = sends[..end]
            .iter()
            .rev()
            .take_while(|s| s.0 == e.arg)
            .find(|s| s.1 < at)
        else {
            continue;
        };
        let s = &events[send_index];
        if e.time.0 < t0 || s.time.0 > t1 {
            continue;
        }
        arrows.push((send_index, at));
    }
    // A busy window (a large cluster under load) would be tens of
    // thousands of elements, which no one can read and the page takes
    // seconds to lay out: draw an even sample, and always the selection.
    let stride = arrows.len().div_ceil(MAX_ARROWS).max(1);
    drawn.thinned = if stride > 1 { arrows.len() } else { 0 };
    out.push_str(r#"<g clip-path="url(#st-clip)">"#);
    for (n, &(send_index, at)) in arrows.iter().enumerate() {
        let selected = spec.selected == Some((first + send_index) as u64);
        if n % stride != 0 && !selected {
            continue;
        }
        let (s, e) = (&events[send_index], &events[at]);
        let send_index = (first + send_index) as u64;
        let dropped = e.kind == EventKind::Drop;
        let kind = usize::from(s.tag);
        let stroke = c(&format!("msg-{}", kind.min(7)));
        let (x1, y1, x2, y2) = (x(s.time.0), y(s.node.0), x(e.time.0), y(e.node.0));
        let name = spec.msg_kinds.get(kind).copied().unwrap_or("message");
        let _ = write!(
            out,
            r#"<g class="msg{sel}" data-event="{send_index}"><title>{title}</title><line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{sw}"{dash}/>"#,
            sel = if selected { " selected" } else { "" },
            title = escape(&tf(
                if dropped {
                    "{0} m{1}: {2} → {3}, sent {4}, dropped {5}"
                } else {
                    "{0} m{1}: {2} → {3}, sent {4}, delivered {5}"
                },
                &[
                    &name,
                    &e.arg,
                    &s.node,
                    &s.peer,
                    &Time(s.time.0),
                    &Time(e.time.0)
                ],
            )),
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
    // In flight at the end of the run: their delivery is not in the trace
    // yet, but the simulator knows when it is due.
    for (id, due) in spec.pending {
        // The latest send of this id (ids are sorted; see above).
        let end = sends.partition_point(|s| s.0 <= *id);
        let Some(&(_, at)) = sends[..end].last().filter(|s| s.0 == *id) else {
            continue;
        };
        let (send_index, s) = ((first + at) as u64, &events[at]);
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
    let start = node_events.partition_point(|(_, e)| e.time.0 < t0);
    out.push_str(r#"<g clip-path="url(#st-clip)">"#);
    for &(index, e) in &node_events[start..end] {
        let (class, crashed) = match e.kind {
            EventKind::Crash => ("crash-event", true),
            EventKind::Restart => ("restart-event", false),
            _ => continue,
        };
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
    if stretch.left_out > 0 {
        let _ = write!(
            out,
            r#"<text class="clipped" x="{:.1}" y="{:.1}" fill="{}" text-anchor="middle">{}</text>"#,
            LEFT + plot / 2.0,
            height - 2.0,
            c("muted"),
            escape(&tf(
                "{0} earlier events in view are not drawn: zoom in to see them",
                &[&stretch.left_out],
            )),
        );
    }
    if drawn.thinned > 0 {
        let _ = write!(
            out,
            r#"<text class="thinned" x="{:.1}" y="12" fill="{}" text-anchor="middle">{} of {} messages drawn: zoom in to see each</text>"#,
            LEFT + plot / 2.0,
            c("muted"),
            drawn.arrows,
            drawn.thinned,
        );
    }

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
pub fn export(stretch: &Stretch<'_>, spec: &DiagramSpec<'_>) -> String {
    let spec = DiagramSpec {
        colors: Colors::Fixed,
        ..spec.clone()
    };
    let (svg, _) = svg(stretch, &spec);
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_core::timeline::Timeline;
    use splitbrain_core::{build, Action, NodeId, RunOptions, Scenario, Sim};
    use std::collections::BTreeMap;

    fn recorded() -> (Timeline, Sim) {
        let mut s = Scenario::new(
            splitbrain_core::ProtocolConfig::Raft(Default::default()),
            3,
            5,
        );
        s.network.loss = 0.2;
        let mut sim = build(&s, RunOptions::default()).unwrap();
        let mut tl = Timeline::new(&mut sim, 1_000);
        tl.advance(&mut sim, Time(1_000_000), u64::MAX);
        tl.act(&mut sim, Action::Crash { node: NodeId(2) }).unwrap();
        tl.act(
            &mut sim,
            Action::Partition {
                groups: vec![vec![NodeId(0)]],
            },
        )
        .unwrap();
        tl.advance(&mut sim, Time(1_500_000), u64::MAX);
        tl.act(&mut sim, Action::Heal).unwrap();
        tl.advance(&mut sim, Time(2_000_000), u64::MAX);
        (tl, sim)
    }

    /// The whole branch, as a stretch from its first event.
    fn whole(tl: &Timeline) -> (Vec<TraceEvent>, Vec<(u64, TraceEvent)>) {
        (tl.events_in(0..tl.head_len()), tl.node_events().to_vec())
    }

    fn stretch<'a>(events: &'a [TraceEvent], nodes: &'a [(u64, TraceEvent)]) -> Stretch<'a> {
        Stretch {
            first: 0,
            events,
            node_events: nodes,
            left_out: 0,
        }
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
        let (events, nodes) = whole(&tl);
        let (text, drawn) = svg(&stretch(&events, &nodes), &spec((900_000, 1_700_000)));
        assert!(drawn.arrows > 10, "{drawn:?}");
        assert!(drawn.drops > 0, "{drawn:?}");
        assert_eq!(drawn.crash_bands, 1, "n2 is down from 1 s on");
        assert_eq!(drawn.split_bands, 1, "split from 1 s to 1.5 s");
        assert!(text.starts_with("<svg") && text.ends_with("</svg>"));
        assert!(text.contains(r#"class="cursor""#));
        assert!(text.contains("var(--msg-"));
        // Every arrow in the window is counted once: the number of
        // deliveries and drops whose send and arrival touch it.
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
        let (events, nodes) = whole(&tl);
        let all = stretch(&events, &nodes);
        let (_, wide) = svg(&all, &spec((0, 2_000_000)));
        let (_, narrow) = svg(&all, &spec((1_000_000, 1_050_000)));
        assert!(narrow.arrows < wide.arrows / 4, "{narrow:?} vs {wide:?}");
        // What the page fetches for a window draws what the whole does.
        for window in [(0, 2_000_000), (1_000_000, 1_050_000), (900_000, 1_700_000)] {
            let w = (Time(window.0), Time(window.1));
            let fetched = Fetched::fetch(&tl, w);
            assert!(fetched.events.len() <= events.len());
            assert_eq!(
                svg(&fetched.stretch(tl.node_events()), &spec(window)),
                svg(&all, &spec(window)),
                "{window:?}"
            );
        }
        let (text, none) = svg(&all, &spec((5_000_000, 6_000_000)));
        assert_eq!(none.arrows, 0);
        assert!(!text.contains(r#"class="cursor""#));
    }

    #[test]
    fn the_export_stands_alone() {
        let (tl, _) = recorded();
        let (events, nodes) = whole(&tl);
        let mut s = spec((900_000, 1_700_000));
        s.selected = events
            .iter()
            .position(|e| e.kind == EventKind::Send && e.time.0 > 1_000_000)
            .map(|i| i as u64);
        let file = export(&stretch(&events, &nodes), &s);
        assert!(file.starts_with("<?xml"));
        assert!(file.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
        assert!(!file.contains("var(--"), "no page variables in a file");
        assert!(file.contains(r#"class="msg selected""#));
        // Well formed enough for an XML reader: tags balance.
        let opens = file.matches("<g").count();
        let closes = file.matches("</g>").count();
        assert_eq!(opens, closes);
    }

    #[test]
    fn kept_bands_draw_what_a_fresh_scan_draws() {
        let (tl, _) = recorded();
        let (events, nodes) = whole(&tl);
        let mut bands = Bands::default();
        // Grown in pieces, as a playing run does, and asked about windows
        // before, across and after the crash and the split.
        for cut in [events.len() / 3, events.len() * 2 / 3, events.len()] {
            for window in [
                (0, 800_000),
                (900_000, 1_200_000),
                (1_100_000, 1_400_000),
                (1_400_000, 1_700_000),
                (0, 2_000_000),
                (1_600_000, 2_500_000),
            ] {
                let known: Vec<_> = nodes
                    .iter()
                    .filter(|(i, _)| (*i as usize) < cut)
                    .copied()
                    .collect();
                let part = stretch(&events[..cut], &known);
                let fresh = svg(&part, &spec(window));
                let kept = svg_cached(&part, &spec(window), &mut bands, 7);
                assert_eq!(fresh, kept, "{window:?} with {cut} events");
            }
        }
        // Another key starts over.
        let (_, drawn) = svg_cached(
            &stretch(&events[..10], &[]),
            &spec((0, 2_000_000)),
            &mut bands,
            8,
        );
        assert_eq!(drawn.crash_bands, 0);
    }

    #[test]
    fn a_busy_window_is_sampled_and_says_so() {
        let mut s = Scenario::new(
            splitbrain_core::ProtocolConfig::Raft(Default::default()),
            15,
            5,
        );
        s.workload = Some(splitbrain_core::scenario::Workload {
            clients: 40,
            ..Default::default()
        });
        let mut sim = build(&s, RunOptions::default()).unwrap();
        let mut tl = Timeline::new(&mut sim, 100_000);
        tl.advance(&mut sim, Time(3_000_000), u64::MAX);
        let mut busy = spec((1_000_000, 3_000_000));
        busy.nodes = 15;
        let (events, nodes) = whole(&tl);
        let (_, all) = svg(&stretch(&events, &nodes), &busy);
        assert!(all.thinned > MAX_ARROWS, "{all:?}: not busy enough to test");
        assert!(all.arrows <= MAX_ARROWS, "{all:?}");
        assert!(all.arrows >= MAX_ARROWS / 2, "{all:?}");
        // The selected message is drawn even when the sample skips it.
        let sends = events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == EventKind::Send && e.time.0 > 2_000_000)
            .map(|(i, _)| i as u64);
        let mut found = false;
        for index in sends.take(50) {
            busy.selected = Some(index);
            let (text, _) = svg(&stretch(&events, &nodes), &busy);
            if text.contains(&format!(r#"class="msg selected" data-event="{index}""#)) {
                found = true;
            }
            assert!(text.contains("messages drawn: zoom in"));
        }
        assert!(found, "a selected message is drawn");
    }
}
