//! The gallery: curated scenarios, each with a short explanation, the
//! moment worth watching, and a claim about what happens there.
//!
//! The data lives in `web/scenarios/gallery.json` (documented in
//! `docs/gallery.md`); each entry names a scenario file next to it. The app
//! lists the entries and jumps to their moment; `tests/gallery.rs` runs every
//! entry and checks its claim with [`Expect::check`], so the text people read
//! stays true as the protocols change.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::id::NodeId;
use crate::protocol::RoleKind;
use crate::scenario::Scenario;
use crate::sim::{build, RunOptions, Sim};
use crate::time::{Span, Time};

/// The whole gallery file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gallery {
    /// A note for people reading the file; never interpreted.
    #[serde(default)]
    pub about: String,
    pub entries: Vec<GalleryEntry>,
}

/// One curated scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GalleryEntry {
    /// Stable, URL-safe name (`two-phase-blocking`): links point at it.
    pub id: String,
    /// The scenario's protocol name, as in its `protocol.name`.
    pub protocol: String,
    /// The scenario file, relative to the gallery file.
    pub scenario: String,
    pub title: String,
    /// A few sentences: what happens, and why it matters.
    pub explanation: String,
    /// The title in Simplified Chinese, for the app's Chinese interface
    /// (optional: without it the English title shows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_zh: Option<String>,
    /// The explanation in Simplified Chinese (optional, like `title_zh`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation_zh: Option<String>,
    /// The simulated time to jump to: where the thing to see is on screen.
    pub moment: Time,
    #[cfg(feature = "claims")]
    pub expect: Expect,
    /// Without the `claims` feature the claims are read past, unparsed.
    #[cfg(not(feature = "claims"))]
    #[serde(default, skip_serializing)]
    pub expect: serde::de::IgnoredAny,
}

/// What an entry claims. Every field is optional; the ones given are
/// checked. "At the moment" means after running to [`GalleryEntry::moment`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Expect {
    /// The invariant broken at or before the moment (`null`: none is
    /// broken, up to the scenario's `until` or the moment, whichever is
    /// later).
    pub violation: Option<String>,
    /// How many running nodes lead at the moment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaders: Option<usize>,
    /// Role labels at the moment, by node number (`"1": "in doubt"`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<u16, String>,
    /// Every node's log is the same at the moment.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub logs_agree: bool,
    /// Every node holds the same state machine (the inspector's key-value
    /// list) and the same commit index (progress) at the moment: with
    /// compacted logs, what "caught up" means when the logs themselves
    /// start at different indexes.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub stores_agree: bool,
    /// Inspector fields at the moment, by node number and field name
    /// (`"4": { "snapshots installed": "1" }`): each must read exactly so.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<u16, BTreeMap<String, String>>,
    /// Some participant has been in doubt at least this long at the moment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_doubt_for: Option<Span>,
    /// The highest ballot (or term) any node has seen by the moment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_ballot: Option<u64>,
    /// ... and at most this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ballot: Option<u64>,
    /// Terms (ballots) in which some node led, from the start to the
    /// moment: at least this many (leaders kept being replaced) ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_leaderships: Option<usize>,
    /// ... and at most this many (the cluster kept its leader).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_leaderships: Option<usize>,
    /// Decisions learned by the moment (the most any running node has).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_decided: Option<u64>,
    /// The mean latency of successful writes by the moment is at least
    /// this (the price of consistency across regions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_write_mean: Option<Span>,
    /// ... and at most this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_write_mean: Option<Span>,
    /// At least this many stale reads by the moment (stores with versions:
    /// the version audit's definition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_stale_reads: Option<usize>,
    /// Whether the clients' history up to the moment is linearizable (the
    /// history panel's badge); a search that cannot decide is a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linearizable: Option<bool>,
}

impl Expect {
    /// Runs `scenario` and checks every claim, saying which one failed and
    /// what was seen instead.
    pub fn check(&self, scenario: &Scenario, moment: Time) -> Result<(), String> {
        let options = RunOptions {
            keep_trace: false,
            recent_events: 0,
        };
        let mut sim = build(scenario, options).map_err(|e| format!("invalid scenario: {e}"))?;
        if self.min_leaderships.is_some() || self.max_leaderships.is_some() {
            let led = leaderships(&mut sim, moment);
            if let Some(want) = self.min_leaderships.filter(|w| led < *w) {
                return Err(format!(
                    "expected at least {want} terms with a leader by {moment}, saw {led}"
                ));
            }
            if let Some(want) = self.max_leaderships.filter(|w| led > *w) {
                return Err(format!(
                    "expected at most {want} terms with a leader by {moment}, saw {led}"
                ));
            }
        }
        sim.run_until(moment, u64::MAX);
        self.check_moment(&sim)?;
        match (&self.violation, sim.violation()) {
            (Some(want), Some(found)) if found.invariant == want.as_str() => return Ok(()),
            (Some(want), found) => {
                return Err(format!(
                    "expected {want} to be broken by {moment}, found {:?}",
                    found.map(|f| (f.invariant, f.time, &f.violation.message))
                ))
            }
            (None, _) => {}
        }
        let end = scenario.until.unwrap_or(moment).max(moment);
        sim.run_until(end, u64::MAX);
        match sim.violation() {
            None => Ok(()),
            Some(f) => Err(format!(
                "expected no violation, but {} broke at {}: {}",
                f.invariant, f.time, f.violation.message
            )),
        }
    }

    fn check_moment(&self, sim: &Sim) -> Result<(), String> {
        let nodes: Vec<NodeId> = (0..sim.node_count() as u16).map(NodeId).collect();
        let now = sim.now();
        if let Some(want) = self.leaders {
            let leading = nodes
                .iter()
                .filter(|n| sim.node_view(**n).role == RoleKind::Leader)
                .count();
            if leading != want {
                return Err(format!("expected {want} leaders at {now}, saw {leading}"));
            }
        }
        for (node, want) in &self.roles {
            if usize::from(*node) >= nodes.len() {
                return Err(format!("roles: node {node} does not exist"));
            }
            let got = sim.node_view(NodeId(*node)).role_label;
            if got != want.as_str() {
                return Err(format!("expected n{node} {want:?} at {now}, saw {got:?}"));
            }
        }
        if self.logs_agree {
            let first = sim.node_detail(NodeId(0)).log;
            if let Some(n) = nodes.iter().find(|n| sim.node_detail(**n).log != first) {
                return Err(format!(
                    "expected every log to agree at {now}; {n}'s differs"
                ));
            }
        }
        if self.stores_agree {
            let first = (
                sim.node_detail(NodeId(0)).kv,
                sim.node_view(NodeId(0)).commit_index,
            );
            if let Some(n) = nodes
                .iter()
                .find(|n| (sim.node_detail(**n).kv, sim.node_view(**n).commit_index) != first)
            {
                return Err(format!(
                    "expected every node's state and commit index to agree at {now}; {n}'s differ"
                ));
            }
        }
        for (node, want) in &self.fields {
            if usize::from(*node) >= nodes.len() {
                return Err(format!("fields: node {node} does not exist"));
            }
            let fields = sim.node_detail(NodeId(*node)).fields;
            for (name, value) in want {
                let got = fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
                if got != Some(value) {
                    return Err(format!(
                        "expected n{node}'s {name} to read {value:?} at {now}, saw {got:?}"
                    ));
                }
            }
        }
        if let Some(want) = self.in_doubt_for {
            let longest = nodes
                .iter()
                .filter_map(|n| sim.node_view(*n).in_doubt_since)
                .map(|since| now.since(since))
                .max();
            if longest.is_none_or(|l| l < want) {
                return Err(format!(
                    "expected a participant in doubt for {want} at {now}, longest {longest:?}"
                ));
            }
        }
        if let Some(want) = self.min_ballot {
            let highest = nodes
                .iter()
                .map(|n| sim.node_view(*n).term)
                .max()
                .unwrap_or(0);
            if highest < want {
                return Err(format!(
                    "expected ballot {want} by {now}, highest {highest}"
                ));
            }
        }
        if let Some(want) = self.max_ballot {
            let highest = nodes
                .iter()
                .map(|n| sim.node_view(*n).term)
                .max()
                .unwrap_or(0);
            if highest > want {
                return Err(format!(
                    "expected no ballot above {want} by {now}, highest {highest}"
                ));
            }
        }
        if let Some(want) = self.min_decided {
            let decided = sim.decided();
            if decided < want {
                return Err(format!("expected {want} decisions by {now}, saw {decided}"));
            }
        }
        self.check_latency_and_staleness(sim)
    }

    fn check_latency_and_staleness(&self, sim: &Sim) -> Result<(), String> {
        let now = sim.now();
        if self.min_write_mean.is_some() || self.max_write_mean.is_some() {
            let mean = mean_write_latency(&sim.history().to_vec())
                .ok_or_else(|| format!("expected successful writes by {now}, saw none"))?;
            if let Some(want) = self.min_write_mean.filter(|w| mean < *w) {
                return Err(format!(
                    "expected writes to take {want} on average by {now}, mean {mean}"
                ));
            }
            if let Some(want) = self.max_write_mean.filter(|w| mean > *w) {
                return Err(format!(
                    "expected writes to take at most {want} on average by {now}, mean {mean}"
                ));
            }
        }
        if let Some(want) = self.linearizable {
            let history = crate::check::History::from_client_ops(&sim.history().to_vec());
            let verdict =
                crate::check::linearizability(&history, &crate::check::CheckOptions::default())
                    .verdict;
            let got = match verdict {
                crate::check::Verdict::Holds => true,
                crate::check::Verdict::Violated => false,
                crate::check::Verdict::Unknown => {
                    return Err(format!("linearizability undecided by {now}"))
                }
            };
            if got != want {
                return Err(format!(
                    "expected the history {} linearizable by {now}, it is{}",
                    if want { "to be" } else { "not to be" },
                    if got { "" } else { " not" }
                ));
            }
        }
        if let Some(want) = self.min_stale_reads {
            let stale = stale_reads(sim).ok_or_else(|| {
                format!("min_stale_reads: {} keeps no versions", sim.protocol_name())
            })?;
            if stale < want {
                return Err(format!("expected {want} stale reads by {now}, saw {stale}"));
            }
        }
        Ok(())
    }
}

/// Runs `sim` to `until` an event at a time, counting the terms (ballots)
/// in which some node led.
pub fn leaderships(sim: &mut Sim, until: Time) -> usize {
    let mut terms = alloc::collections::BTreeSet::new();
    while sim.step_within(until) {
        for n in 0..sim.node_count() as u16 {
            if let Some(term) = sim.leads(NodeId(n)) {
                terms.insert(term);
            }
        }
    }
    terms.len()
}

/// The mean time successful writes took, `None` without any.
pub fn mean_write_latency(history: &[crate::sim::ClientOp]) -> Option<Span> {
    let took: Vec<u64> = history
        .iter()
        .filter(|o| !o.op.is_read())
        .filter_map(|o| match &o.result {
            Some((done, crate::sim::OpResult::Ok { .. })) => Some(done.since(o.invoke).0),
            _ => None,
        })
        .collect();
    (!took.is_empty()).then(|| Span(took.iter().sum::<u64>() / took.len() as u64))
}

/// How many reads the version audit calls stale, for stores that keep
/// versions.
pub fn stale_reads(sim: &Sim) -> Option<usize> {
    let mode = sim.scenario().protocol.versioning()?;
    let surviving: Vec<crate::version::KeyVersions> = (0..sim.node_count())
        .flat_map(|n| sim.stored_versions(NodeId(n as u16)))
        .collect();
    Some(
        crate::version::audit(&sim.history().to_vec(), &surviving, mode)
            .stale
            .len(),
    )
}

impl GalleryEntry {
    /// The scenario's protocol must be the one the entry names: the app
    /// files entries under it.
    pub fn check_protocol(&self, scenario: &Scenario) -> Result<(), String> {
        if crate::registry::find(&self.protocol).is_none() {
            return Err(format!(
                "{}: no protocol is registered as {}",
                self.id, self.protocol
            ));
        }
        let name = scenario.protocol.name();
        if name == self.protocol {
            Ok(())
        } else {
            Err(format!(
                "{}: entry says {}, scenario runs {name}",
                self.id, self.protocol
            ))
        }
    }
}
