//! Permalinks: a whole run in the URL fragment.
//!
//! A link carries the scenario (protocol and its config, cluster size, seed,
//! every user action with its simulated time), where the run stood (time,
//! speed, paused, what was open) and, for pages that embed the app, the
//! embed options. Opening it rebuilds the same run: the core is
//! deterministic, so the scenario alone fixes the trace, and the time says
//! how far to run it.
//!
//! # Format, version 1
//!
//! `base64url( version=1, codec, body )`, no padding. `codec` is 0 when the
//! body follows as is, 1 when it is raw DEFLATE (used only when shorter).
//! The body is a list of records `tag, length, payload` (tags and lengths
//! are LEB128 varints). A record whose value is the default is left out,
//! and a reader skips tags it does not know, so later versions of the app
//! can add records without breaking older links or older pages. Numbers
//! are varints; action times are deltas from the previous action; the
//! rarely changed parts of a scenario (network, clients, workload, faults,
//! a non-default protocol config) are their JSON, so they keep the serde
//! defaults and field names of the scenario format.
//!
//! A change that old readers would misread gets a new version byte, and the
//! decoder keeps reading every older version: `tests::pinned_v1_links` holds
//! links made by version 1 that must always open.
//!
//! Decoding never trusts the link: every length is checked against the
//! bytes that are left, the inflated size and the number of actions are
//! capped, and the result goes through the core's scenario validation.

use std::fmt;

use splitbrain_core::id::ClientId;
use splitbrain_core::protocol::Op;
use splitbrain_core::registry;
use splitbrain_core::time::Offset;
use splitbrain_core::{Action, MessageId, NodeId, ProtocolConfig, Scenario, Time, TimedAction};

use splitbrain_core::{Caption, MAX_CAPTIONS};

use crate::i18n::Lang;
use crate::model::{Overlay, Theme, DEFAULT_SPEED, SPEEDS};
use crate::settings::Settings;

/// The format this code writes. It reads this one and every older one.
pub const VERSION: u8 = 1;

/// Links longer than this are refused before any decoding: no page makes
/// one (100 actions take about 1,000 characters), and browsers cut URLs
/// somewhere past 64 KiB anyway.
pub const MAX_LINK_CHARS: usize = 64 * 1024;
/// What a body may inflate to. A small DEFLATE stream can expand a
/// thousandfold; this keeps a link from asking for more memory than the
/// largest honest one needs.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// The most actions a link may carry.
pub const MAX_ACTIONS: usize = 20_000;
/// How far into a run a link may point. Opening a link runs the simulation
/// up to this time, so a hand-edited year would freeze the page.
pub const MAX_TIME: Time = Time(3_600_000_000);

const CODEC_RAW: u8 = 0;
const CODEC_DEFLATE: u8 = 1;

// Record tags. Never reuse or renumber one: old links carry them.
const T_PROTOCOL: u64 = 1;
const T_PROTOCOL_JSON: u64 = 2;
const T_NODES: u64 = 3;
const T_SEED: u64 = 4;
const T_TITLE: u64 = 5;
const T_NETWORK: u64 = 6;
const T_CLIENTS: u64 = 7;
const T_WORKLOAD: u64 = 8;
const T_FAULTS: u64 = 9;
const T_UNTIL: u64 = 10;
const T_ACTIONS: u64 = 11;
// Added after version 1 shipped; older pages skip it and open the run
// without its captions.
const T_CAPTIONS: u64 = 12;
// Added after version 1 shipped (see `script`): a scripted run's schedule.
const T_SCRIPT: u64 = 13;
// Added after version 1 shipped: the nodes' clocks at the start (their
// JSON, as in the scenario). Like the script, older pages skip it and open
// the run with perfect clocks.
const T_CLOCKS: u64 = 14;
const T_TIME: u64 = 16;
const T_SPEED: u64 = 17;
const T_FLAGS: u64 = 18;
const T_OVERLAY: u64 = 19;
const T_SELECTED: u64 = 20;
// Added after version 1 shipped: the interface language. Older pages skip
// it and show their own language.
const T_LANG: u64 = 21;
const T_EMBED: u64 = 32;

// Action tags inside the actions record.
const A_PARTITION: u8 = 0;
const A_HEAL: u8 = 1;
const A_CUT: u8 = 2;
const A_CUT_BOTH: u8 = 3;
const A_RESTORE: u8 = 4;
const A_RESTORE_BOTH: u8 = 5;
const A_CRASH: u8 = 6;
const A_RESTART: u8 = 7;
const A_TIMEOUT: u8 = 8;
const A_GET: u8 = 9;
const A_PUT: u8 = 10;
const A_APPEND: u8 = 11;
const A_DROP: u8 = 12;
// Added after version 1 shipped: an old decoder never sees these codes,
// and a new one still reads every old link.
const A_VOTE_NO: u8 = 13;
const A_VOTE_YES: u8 = 14;
// A node's clock set: node, offset and drift as zigzag varints. Older
// decoders refuse the link (an unknown action) rather than misread it.
const A_CLOCK: u8 = 15;
// A membership change asked of the leader: the node added or removed.
const A_ADD_SERVER: u8 = 16;
const A_REMOVE_SERVER: u8 = 17;

const FLAG_PAUSED: u64 = 1;
const FLAG_STEADY: u64 = 2;

const EMBED_AUTOPLAY: u64 = 1;
const EMBED_LOOP: u64 = 2;

/// A protocol's tag is its place in the core's registry, which only grows
/// at the end, so old links keep their numbers.
fn protocol_tag(config: &ProtocolConfig) -> usize {
    registry::protocols()
        .iter()
        .position(|d| d.id == config.name())
        .expect("a config's protocol is registered")
}

/// The protocol tagged `tag`, every field at its default; `None` for a tag
/// no protocol has.
fn default_config(tag: usize) -> Option<ProtocolConfig> {
    registry::default_config(tag)
}

/// Where a run stood when the link was made.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// Simulated time to run to when the link opens.
    pub time: Time,
    pub speed: f64,
    pub paused: bool,
    /// The steady request stream was on.
    pub steady: bool,
    pub overlay: Overlay,
    pub selected: Option<NodeId>,
    /// The interface language, when the person chose one: it wins over
    /// the reader's own setting.
    pub lang: Option<Lang>,
}

impl Default for View {
    fn default() -> Self {
        View {
            time: Time::ZERO,
            speed: DEFAULT_SPEED,
            paused: false,
            steady: false,
            overlay: Overlay::None,
            selected: None,
            lang: None,
        }
    }
}

/// Controls an embed may show, as bits.
pub mod controls {
    pub const PLAY: u64 = 1;
    pub const STEP: u64 = 2;
    pub const RESET: u64 = 4;
    pub const SPEED: u64 = 8;
    pub const TIME: u64 = 16;
    /// A link back to the full app with this scenario.
    pub const OPEN: u64 = 32;
    pub const ALL: u64 = PLAY | STEP | RESET | SPEED | TIME | OPEN;
    /// Names as the embed dialog and the docs write them.
    pub const NAMES: [(u64, &str); 6] = [
        (PLAY, "play"),
        (STEP, "step"),
        (RESET, "reset"),
        (SPEED, "speed"),
        (TIME, "time"),
        (OPEN, "open"),
    ];
}

/// How an embedded run looks and plays. Its start time and speed are the
/// link's [`View`].
#[derive(Clone, Debug, PartialEq)]
pub struct Embed {
    pub autoplay: bool,
    /// Start over from the start time on reaching [`Embed::loop_end`].
    pub looped: bool,
    /// When a looping embed starts over; by default the scenario's
    /// `until`, else a few seconds after the last action (see
    /// [`Embed::loop_at`]).
    pub loop_end: Option<Time>,
    /// Which [`controls`] the bar shows.
    pub controls: u64,
    /// None follows the embedding page's reader's system setting.
    pub theme: Option<Theme>,
}

impl Default for Embed {
    fn default() -> Self {
        Embed {
            autoplay: true,
            looped: false,
            loop_end: None,
            controls: controls::ALL,
            theme: None,
        }
    }
}

impl Embed {
    /// When a looping embed of `link` starts over.
    pub fn loop_at(&self, link: &Link) -> Time {
        self.loop_end.or(link.scenario.until).unwrap_or_else(|| {
            let last = link.scenario.actions.last().map_or(Time::ZERO, |a| a.at);
            last.max(link.view.time) + splitbrain_core::Span::from_secs(5)
        })
    }
}

/// Everything a link carries.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub scenario: Scenario,
    pub view: View,
    /// Present when the link opens the app in embed mode.
    pub embed: Option<Embed>,
}

impl Link {
    pub fn new(scenario: Scenario) -> Link {
        Link {
            scenario,
            view: View::default(),
            embed: None,
        }
    }
}

/// Why a link could not be opened. The text is for people: it says what is
/// wrong with the link, never with the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    Empty,
    TooLong(usize),
    NotBase64 { at: usize },
    Truncated,
    Corrupt(String),
    NewerVersion(u8),
    Scenario(String),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The detail inside, from the decoder or the
        // scenario check, stays English: it names fields and numbers.
        use crate::i18n::{t, tf};
        let text = match self {
            LinkError::Empty => t("the link has no scenario in it").to_owned(),
            LinkError::TooLong(n) => tf(
                "the link is too long ({0} characters; at most {1})",
                &[n, &MAX_LINK_CHARS],
            ),
            LinkError::NotBase64 { at } => tf(
                "the link was changed or cut: character {0} after # is not part of a Splitbrain link",
                &[&(at + 1)],
            ),
            LinkError::Truncated => t("the link is cut short; copy it again in full").to_owned(),
            LinkError::Corrupt(why) => tf("the link is damaged ({0})", &[why]),
            LinkError::NewerVersion(v) => tf(
                "the link was made by a newer Splitbrain (link format {0}; this page reads up to {1})",
                &[v, &VERSION],
            ),
            LinkError::Scenario(why) => tf("the link's scenario is not valid: {0}", &[why]),
        };
        f.write_str(&text)
    }
}

/// The link fragment (without `#`) for `link`.
pub fn encode(link: &Link) -> String {
    let body = body(link);
    let deflated = miniz_oxide::deflate::compress_to_vec(&body, 10);
    let mut bytes = vec![VERSION];
    if deflated.len() < body.len() {
        bytes.push(CODEC_DEFLATE);
        bytes.extend_from_slice(&deflated);
    } else {
        bytes.push(CODEC_RAW);
        bytes.extend_from_slice(&body);
    }
    base64url_encode(&bytes)
}

fn body(link: &Link) -> Vec<u8> {
    let s = &link.scenario;
    let base = Settings::default().scenario();
    let mut out = Vec::new();
    let index = protocol_tag(&s.protocol);
    if default_config(index).as_ref() != Some(&s.protocol) {
        record(&mut out, T_PROTOCOL_JSON, &json(&s.protocol));
    } else if index != 0 {
        record(&mut out, T_PROTOCOL, &[index as u8]);
    }
    if s.nodes != base.nodes {
        record(&mut out, T_NODES, &varint(u64::from(s.nodes)));
    }
    if s.seed != base.seed {
        record(&mut out, T_SEED, &varint(s.seed));
    }
    if let Some(title) = &s.title {
        record(&mut out, T_TITLE, title.as_bytes());
    }
    if s.network != base.network {
        record(&mut out, T_NETWORK, &json(&s.network));
    }
    if s.clients != base.clients {
        record(&mut out, T_CLIENTS, &json(&s.clients));
    }
    if let Some(w) = &s.workload {
        record(&mut out, T_WORKLOAD, &json(w));
    }
    if let Some(f) = &s.faults {
        record(&mut out, T_FAULTS, &json(f));
    }
    if let Some(until) = s.until {
        record(&mut out, T_UNTIL, &varint(until.0));
    }
    if !s.actions.is_empty() {
        record(&mut out, T_ACTIONS, &actions(&s.actions));
    }
    if !s.captions.is_empty() {
        record(&mut out, T_CAPTIONS, &captions(&s.captions));
    }
    if !s.script.is_empty() {
        record(&mut out, T_SCRIPT, &script::script(&s.script));
    }
    if !s.clocks.is_empty() {
        record(&mut out, T_CLOCKS, &json(&s.clocks));
    }

    let v = &link.view;
    if v.time != Time::ZERO {
        record(&mut out, T_TIME, &varint(v.time.0));
    }
    if v.speed != DEFAULT_SPEED {
        match SPEEDS.iter().position(|s| *s == v.speed) {
            Some(i) => record(&mut out, T_SPEED, &[i as u8]),
            None => record(&mut out, T_SPEED, &v.speed.to_le_bytes()),
        }
    }
    let flags = if v.paused { FLAG_PAUSED } else { 0 } | if v.steady { FLAG_STEADY } else { 0 };
    if flags != 0 {
        record(&mut out, T_FLAGS, &varint(flags));
    }
    let overlay = match v.overlay {
        Overlay::None => 0,
        Overlay::Help => 1,
        Overlay::Settings => 2,
        Overlay::Scenario => 3,
        Overlay::Gallery => 4,
        Overlay::Explorer => 5,
    };
    if overlay != 0 {
        record(&mut out, T_OVERLAY, &[overlay]);
    }
    if let Some(n) = v.selected {
        record(&mut out, T_SELECTED, &varint(u64::from(n.0)));
    }
    if let Some(lang) = v.lang {
        record(&mut out, T_LANG, &[lang.link_code()]);
    }

    if let Some(e) = &link.embed {
        let mut p = Vec::new();
        let flags =
            if e.autoplay { EMBED_AUTOPLAY } else { 0 } | if e.looped { EMBED_LOOP } else { 0 };
        p.extend(varint(flags));
        p.extend(varint(e.controls));
        p.push(match e.theme {
            None => 0,
            Some(Theme::Light) => 1,
            Some(Theme::Dark) => 2,
        });
        // Zero means "the default end"; a real end is stored plus one.
        p.extend(varint(e.loop_end.map_or(0, |t| t.0.saturating_add(1))));
        record(&mut out, T_EMBED, &p);
    }
    out
}

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("scenario parts always serialize")
}

fn record(out: &mut Vec<u8>, tag: u64, payload: &[u8]) {
    out.extend(varint(tag));
    out.extend(varint(payload.len() as u64));
    out.extend_from_slice(payload);
}

fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(2);
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A signed number as an unsigned one, small either way: 0, -1, 1, -2, ...
/// become 0, 1, 2, 3, ...
fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend(varint(s.len() as u64));
    out.extend_from_slice(s.as_bytes());
}

fn actions(list: &[TimedAction]) -> Vec<u8> {
    let mut out = varint(list.len() as u64);
    let mut last = 0;
    for timed in list {
        // Actions are in time order (validation insists), so deltas are
        // small and never negative.
        out.extend(varint(timed.at.0.saturating_sub(last)));
        last = timed.at.0;
        let node = |out: &mut Vec<u8>, n: &NodeId| out.extend(varint(u64::from(n.0)));
        match &timed.action {
            Action::Partition { groups } => {
                out.push(A_PARTITION);
                out.extend(varint(groups.len() as u64));
                for group in groups {
                    out.extend(varint(group.len() as u64));
                    for n in group {
                        node(&mut out, n);
                    }
                }
            }
            Action::Heal => out.push(A_HEAL),
            Action::CutLink { from, to, both } | Action::RestoreLink { from, to, both } => {
                let cut = matches!(timed.action, Action::CutLink { .. });
                out.push(match (cut, both) {
                    (true, false) => A_CUT,
                    (true, true) => A_CUT_BOTH,
                    (false, false) => A_RESTORE,
                    (false, true) => A_RESTORE_BOTH,
                });
                node(&mut out, from);
                node(&mut out, to);
            }
            Action::Crash { node: n } => {
                out.push(A_CRASH);
                node(&mut out, n);
            }
            Action::Restart { node: n } => {
                out.push(A_RESTART);
                node(&mut out, n);
            }
            Action::Timeout { node: n } => {
                out.push(A_TIMEOUT);
                node(&mut out, n);
            }
            Action::Request {
                node: n,
                client,
                op,
            } => {
                out.push(match op {
                    Op::Get { .. } => A_GET,
                    Op::Put { .. } => A_PUT,
                    Op::Append { .. } => A_APPEND,
                });
                node(&mut out, n);
                // Zero for "no client given", else the id plus one.
                out.extend(varint(client.map_or(0, |c| u64::from(c.0) + 1)));
                match op {
                    Op::Get { key } => string(&mut out, key),
                    Op::Put { key, value } | Op::Append { key, value } => {
                        string(&mut out, key);
                        string(&mut out, value);
                    }
                }
            }
            Action::DropMessage { id } => {
                out.push(A_DROP);
                out.extend(varint(id.0));
            }
            Action::Vote { node: n, yes } => {
                out.push(if *yes { A_VOTE_YES } else { A_VOTE_NO });
                node(&mut out, n);
            }
            Action::AddServer { node: n } => {
                out.push(A_ADD_SERVER);
                node(&mut out, n);
            }
            Action::RemoveServer { node: n } => {
                out.push(A_REMOVE_SERVER);
                node(&mut out, n);
            }
            Action::Clock {
                node: n,
                offset,
                drift_ppm,
            } => {
                out.push(A_CLOCK);
                node(&mut out, n);
                out.extend(varint(zigzag(offset.0)));
                out.extend(varint(zigzag(i64::from(*drift_ppm))));
            }
        }
    }
    out
}

/// Count, then per caption its time as a delta from the previous one and
/// its text.
fn captions(list: &[Caption]) -> Vec<u8> {
    let mut out = varint(list.len() as u64);
    let mut last = 0;
    for c in list {
        out.extend(varint(c.at.0.saturating_sub(last)));
        last = c.at.0;
        string(&mut out, &c.text);
    }
    out
}

fn read_captions(r: &mut Reader) -> Result<Vec<Caption>, LinkError> {
    let count = r.varint()?;
    if count > MAX_CAPTIONS as u64 {
        return Err(LinkError::Corrupt(format!(
            "{count} captions; at most {MAX_CAPTIONS}"
        )));
    }
    // A caption takes at least two bytes.
    if count > r.bytes.len() as u64 / 2 {
        return Err(LinkError::Truncated);
    }
    let mut out = Vec::with_capacity(count as usize);
    let mut at: u64 = 0;
    for _ in 0..count {
        at = at
            .checked_add(r.varint()?)
            .ok_or_else(|| LinkError::Corrupt("a caption's time is out of range".into()))?;
        out.push(Caption {
            at: Time(at),
            text: r.string()?,
        });
    }
    Ok(out)
}

/// Reads a link fragment (with or without its leading `#`).
pub fn decode(fragment: &str) -> Result<Link, LinkError> {
    let text = fragment.strip_prefix('#').unwrap_or(fragment).trim();
    if text.is_empty() {
        return Err(LinkError::Empty);
    }
    if text.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong(text.len()));
    }
    let bytes = base64url_decode(text)?;
    let (&version, rest) = bytes.split_first().ok_or(LinkError::Truncated)?;
    match version {
        0 => return Err(LinkError::Corrupt("format 0 does not exist".into())),
        1 => {}
        v => return Err(LinkError::NewerVersion(v)),
    }
    let (&codec, rest) = rest.split_first().ok_or(LinkError::Truncated)?;
    let body = match codec {
        CODEC_RAW => rest.to_vec(),
        CODEC_DEFLATE => miniz_oxide::inflate::decompress_to_vec_with_limit(rest, MAX_BODY_BYTES)
            .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                LinkError::Corrupt(format!("it unpacks to more than {MAX_BODY_BYTES} bytes"))
            }
            miniz_oxide::inflate::TINFLStatus::FailedCannotMakeProgress => LinkError::Truncated,
            _ => LinkError::Corrupt("its compressed data does not unpack".into()),
        })?,
        other => return Err(LinkError::Corrupt(format!("unknown packing {other}"))),
    };
    let link = read_body(&body)?;
    link.scenario
        .validate()
        .map_err(|e| LinkError::Scenario(e.to_string()))?;
    if link.view.time > MAX_TIME {
        return Err(LinkError::Corrupt(format!(
            "it points {} into the run; at most {MAX_TIME}",
            link.view.time
        )));
    }
    if let Some(n) = link.view.selected {
        if n.0 >= link.scenario.nodes {
            return Err(LinkError::Corrupt(format!(
                "it selects {n}, which does not exist"
            )));
        }
    }
    Ok(link)
}

/// A cursor over untrusted bytes: every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.bytes.is_empty()
    }

    fn byte(&mut self) -> Result<u8, LinkError> {
        let (&b, rest) = self.bytes.split_first().ok_or(LinkError::Truncated)?;
        self.bytes = rest;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, LinkError> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(LinkError::Corrupt("a number is too large".into()));
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(LinkError::Corrupt("a number is too large".into()))
    }

    fn small(&mut self, max: u64, what: &str) -> Result<u64, LinkError> {
        let n = self.varint()?;
        if n > max {
            return Err(LinkError::Corrupt(format!("{what} {n} is out of range")));
        }
        Ok(n)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], LinkError> {
        if n > self.bytes.len() as u64 {
            return Err(LinkError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n as usize);
        self.bytes = rest;
        Ok(head)
    }

    fn string(&mut self) -> Result<String, LinkError> {
        let n = self.varint()?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| LinkError::Corrupt("a text is not valid UTF-8".into()))
    }

    fn node(&mut self) -> Result<NodeId, LinkError> {
        Ok(NodeId(self.small(u64::from(u16::MAX), "node")? as u16))
    }
}

fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, LinkError> {
    serde_json::from_slice(bytes).map_err(|e| LinkError::Scenario(format!("{what}: {e}")))
}

fn read_body(body: &[u8]) -> Result<Link, LinkError> {
    let mut link = Link::new(Settings::default().scenario());
    let mut r = Reader { bytes: body };
    let mut last_tag = 0;
    while !r.done() {
        let tag = r.varint()?;
        // Records are written in tag order, once each: a repeat or a step
        // back means the bytes were tampered with.
        if tag <= last_tag {
            return Err(LinkError::Corrupt(format!("record {tag} is out of order")));
        }
        last_tag = tag;
        let len = r.varint()?;
        let payload = r.take(len)?;
        let mut p = Reader { bytes: payload };
        let s = &mut link.scenario;
        match tag {
            T_PROTOCOL => {
                let i = p.byte()? as usize;
                s.protocol = default_config(i)
                    .ok_or_else(|| LinkError::Corrupt(format!("unknown protocol {i}")))?;
            }
            T_PROTOCOL_JSON => {
                s.protocol = from_json(payload, "protocol")?;
                continue;
            }
            T_NODES => s.nodes = p.small(u64::from(u16::MAX), "node count")? as u16,
            T_SEED => s.seed = p.varint()?,
            T_TITLE => {
                s.title = Some(
                    String::from_utf8(payload.to_vec())
                        .map_err(|_| LinkError::Corrupt("the title is not valid UTF-8".into()))?,
                );
                continue;
            }
            T_NETWORK => {
                s.network = from_json(payload, "network")?;
                continue;
            }
            T_CLIENTS => {
                s.clients = from_json(payload, "clients")?;
                continue;
            }
            T_WORKLOAD => {
                s.workload = Some(from_json(payload, "workload")?);
                continue;
            }
            T_FAULTS => {
                s.faults = Some(from_json(payload, "faults")?);
                continue;
            }
            T_UNTIL => s.until = Some(Time(p.varint()?)),
            T_ACTIONS => s.actions = read_actions(&mut p)?,
            T_CAPTIONS => s.captions = read_captions(&mut p)?,
            T_SCRIPT => s.script = script::read_script(&mut p)?,
            T_CLOCKS => {
                s.clocks = from_json(payload, "clocks")?;
                continue;
            }
            T_TIME => link.view.time = Time(p.varint()?),
            T_SPEED => {
                let speed = match payload.len() {
                    1 => *SPEEDS
                        .get(usize::from(payload[0]))
                        .ok_or_else(|| LinkError::Corrupt("unknown speed".into()))?,
                    8 => f64::from_le_bytes(payload.try_into().expect("length checked")),
                    _ => return Err(LinkError::Corrupt("unknown speed".into())),
                };
                if !(SPEEDS[0]..=SPEEDS[SPEEDS.len() - 1]).contains(&speed) {
                    return Err(LinkError::Corrupt("the speed is out of range".into()));
                }
                link.view.speed = speed;
                continue;
            }
            T_FLAGS => {
                let flags = p.varint()?;
                link.view.paused = flags & FLAG_PAUSED != 0;
                link.view.steady = flags & FLAG_STEADY != 0;
            }
            T_OVERLAY => {
                link.view.overlay = match p.byte()? {
                    1 => Overlay::Help,
                    2 => Overlay::Settings,
                    3 => Overlay::Scenario,
                    4 => Overlay::Gallery,
                    5 => Overlay::Explorer,
                    // A view this page does not have: stay on the canvas.
                    _ => Overlay::None,
                }
            }
            T_SELECTED => link.view.selected = Some(p.node()?),
            // A language this page does not speak: the reader's own.
            T_LANG => link.view.lang = Lang::from_link_code(p.byte()?),
            T_EMBED => {
                let flags = p.varint()?;
                let controls = p.varint()?;
                let theme = match p.byte()? {
                    1 => Some(Theme::Light),
                    2 => Some(Theme::Dark),
                    _ => None,
                };
                let end = p.varint()?;
                link.embed = Some(Embed {
                    autoplay: flags & EMBED_AUTOPLAY != 0,
                    looped: flags & EMBED_LOOP != 0,
                    loop_end: end.checked_sub(1).map(Time),
                    controls: controls & controls::ALL,
                    theme,
                });
            }
            // A record from a later version of format 1: skip it.
            _ => continue,
        }
        // Records read field by field must be used up; leftovers mean a
        // damaged link.
        if !p.done() {
            return Err(LinkError::Corrupt(format!("record {tag} has extra bytes")));
        }
    }
    Ok(link)
}

/// The length of a list of actions or script steps. A count over the cap
/// is refused, and so is one that the bytes left cannot hold at
/// `min_bytes` an item: checking first keeps a small link from reserving
/// a huge vector.
fn read_count(r: &mut Reader, min_bytes: u64, items: &str) -> Result<usize, LinkError> {
    let count = r.varint()?;
    if count > MAX_ACTIONS as u64 {
        return Err(LinkError::Corrupt(format!(
            "{count} {items}; at most {MAX_ACTIONS}"
        )));
    }
    if count > r.bytes.len() as u64 / min_bytes {
        return Err(LinkError::Truncated);
    }
    Ok(count as usize)
}

/// The next time of a list kept as gaps from the time before.
fn next_time(r: &mut Reader, at: u64, whose: &str) -> Result<u64, LinkError> {
    at.checked_add(r.varint()?)
        .ok_or_else(|| LinkError::Corrupt(format!("{whose} time is out of range")))
}

fn read_actions(r: &mut Reader) -> Result<Vec<TimedAction>, LinkError> {
    // Each action takes at least two bytes.
    let count = read_count(r, 2, "actions")?;
    let mut out = Vec::with_capacity(count);
    let mut at: u64 = 0;
    for _ in 0..count {
        at = next_time(r, at, "an action's")?;
        let action = match r.byte()? {
            A_PARTITION => {
                let groups = r.small(r.bytes.len() as u64, "group count")?;
                let mut list = Vec::with_capacity(groups as usize);
                for _ in 0..groups {
                    let size = r.small(r.bytes.len() as u64, "group size")?;
                    let mut group = Vec::with_capacity(size as usize);
                    for _ in 0..size {
                        group.push(r.node()?);
                    }
                    list.push(group);
                }
                Action::Partition { groups: list }
            }
            A_HEAL => Action::Heal,
            tag @ (A_CUT | A_CUT_BOTH | A_RESTORE | A_RESTORE_BOTH) => {
                let from = r.node()?;
                let to = r.node()?;
                let both = matches!(tag, A_CUT_BOTH | A_RESTORE_BOTH);
                if matches!(tag, A_CUT | A_CUT_BOTH) {
                    Action::CutLink { from, to, both }
                } else {
                    Action::RestoreLink { from, to, both }
                }
            }
            A_CRASH => Action::Crash { node: r.node()? },
            A_RESTART => Action::Restart { node: r.node()? },
            A_TIMEOUT => Action::Timeout { node: r.node()? },
            tag @ (A_GET | A_PUT | A_APPEND) => {
                let node = r.node()?;
                let client = match r.small(u64::from(u32::MAX) + 1, "client")? {
                    0 => None,
                    c => Some(ClientId((c - 1) as u32)),
                };
                let key = r.string()?;
                let op = match tag {
                    A_GET => Op::Get { key },
                    A_PUT => Op::Put {
                        key,
                        value: r.string()?,
                    },
                    _ => Op::Append {
                        key,
                        value: r.string()?,
                    },
                };
                Action::Request { node, client, op }
            }
            A_DROP => Action::DropMessage {
                id: MessageId(r.varint()?),
            },
            tag @ (A_VOTE_NO | A_VOTE_YES) => Action::Vote {
                node: r.node()?,
                yes: tag == A_VOTE_YES,
            },
            A_ADD_SERVER => Action::AddServer { node: r.node()? },
            A_REMOVE_SERVER => Action::RemoveServer { node: r.node()? },
            A_CLOCK => {
                let node = r.node()?;
                let offset = Offset(unzigzag(r.varint()?));
                // Out of i32 range is out of validation's ±10% too.
                let drift_ppm = i32::try_from(unzigzag(r.varint()?))
                    .map_err(|_| LinkError::Corrupt("a clock's drift is out of range".into()))?;
                Action::Clock {
                    node,
                    offset,
                    drift_ppm,
                }
            }
            other => return Err(LinkError::Corrupt(format!("unknown action {other}"))),
        };
        out.push(TimedAction {
            at: Time(at),
            action,
        });
    }
    if !r.done() {
        return Err(LinkError::Corrupt("the actions have extra bytes".into()));
    }
    Ok(out)
}

/// The `<iframe>` a page pastes to embed the run of `fragment`. `page` is
/// the app's address (without `#`). The title is the only free text, and
/// it is escaped: a snippet never carries markup from a link.
pub fn iframe_snippet(
    page: &str,
    fragment: &str,
    title: Option<&str>,
    width: u32,
    height: u32,
) -> String {
    let title = format!("Splitbrain: {}", title.unwrap_or("a simulated cluster"));
    format!(
        "<iframe src=\"{}#{fragment}\" width=\"{width}\" height=\"{height}\" title=\"{}\" \
         style=\"border:0;max-width:100%\" loading=\"lazy\"></iframe>",
        escape_attribute(page),
        escape_attribute(&title)
    )
}

fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 base64url without padding: safe in a URL fragment as is.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

pub fn base64url_decode(text: &str) -> Result<Vec<u8>, LinkError> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for (at, c) in text.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(LinkError::NotBase64 { at }),
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // One leftover character holds only 6 bits: never a whole byte, so the
    // text was cut.
    if text.len() % 4 == 1 {
        return Err(LinkError::Truncated);
    }
    Ok(out)
}

mod script;
#[cfg(test)]
mod tests;
