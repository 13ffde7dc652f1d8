//! A scenario: everything needed to reproduce a run. Scenario → run → trace
//! is a pure function; the same scenario gives the same trace hash anywhere.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::{is_zero_offset, is_zero_ppm, ClockSetting, MAX_DRIFT_PPM};
use crate::id::{ClientId, MessageId, NodeId};
use crate::protocol::Op;
pub use crate::registry::ProtocolConfig;
use crate::time::{Offset, Span, Time};

/// The largest cluster the simulator accepts. Node sets are `u64` bitsets,
/// and the UI is laid out for at most this many.
pub const MAX_NODES: u16 = 51;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Shown to people; never interpreted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub protocol: ProtocolConfig,
    pub nodes: u16,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub network: NetworkConfig,
    #[serde(default)]
    pub clients: ClientConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<Faults>,
    /// User actions, in time order.
    #[serde(default)]
    pub actions: Vec<TimedAction>,
    /// How long to run when nobody says otherwise (the CLI's default
    /// `--until`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Time>,
    /// A forced schedule, as the explorer finds one: when present, the
    /// simulator takes these steps in order instead of drawing delivery
    /// and timer times from the seed, then carries on as usual.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<ScriptStep>,
    /// Words pinned to simulated times, for a guided tour: playback pauses
    /// at each. They are not actions and never change the run or its hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captions: Vec<Caption>,
    /// Nodes whose clocks are off at the start: an offset from true time
    /// and a drift. Unlisted nodes read true time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clocks: Vec<ClockSetting>,
}

/// One forced step of a scripted run, at simulated time `at`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptStep {
    pub at: Time,
    #[serde(rename = "do")]
    pub step: Scripted,
}

/// What a script step does. Messages are named by the id the simulator
/// gives each send, in order from 0 (copies of a message share its id).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Scripted {
    /// Deliver one copy of message `id` now.
    Deliver { id: MessageId },
    /// Lose one copy of message `id`.
    Drop { id: MessageId },
    /// Put one more copy of message `id` in flight.
    Duplicate { id: MessageId },
    /// Fire `node`'s armed timer `timer` now.
    Fire { node: NodeId, timer: u8 },
    /// Anything a user may do: crash, restart, partition, heal, a client
    /// request (the explorer makes a later request at the point of the
    /// schedule it chose, which a time in `actions` could not say).
    Act { action: Action },
}

/// The most captions a scenario may carry, and the longest caption text
/// (in characters). A tour is a handful of short notes; the bounds keep a
/// hand-edited file or link from filling the page.
pub const MAX_CAPTIONS: usize = 100;
pub const MAX_CAPTION_CHARS: usize = 500;

/// A note shown when the run reaches `at`. Plain text, never markup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caption {
    pub at: Time,
    pub text: String,
}

/// A latency range in simulated time, drawn uniformly per message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    pub min: Span,
    pub max: Span,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            min: Span::from_millis(5),
            max: Span::from_millis(15),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    pub latency: Latency,
    /// Probability that a message is lost, per message.
    pub loss: f64,
    /// Probability that a message is delivered twice. Off by default.
    pub duplicate: f64,
    /// Per-link latency overrides (one direction each).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkLatency>,
    /// Nodes placed in regions, with latencies by region pair. Overrides
    /// `latency`; `links` override it in turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regions: Option<Regions>,
}

/// Where nodes are, and how far apart regions are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regions {
    /// The region of each node, by node index: `[0, 0, 0, 1, 1]`.
    pub of: Vec<u8>,
    /// Between two nodes of one region.
    pub within: Latency,
    /// Between regions, unless `matrix` says otherwise.
    pub across: Latency,
    /// `matrix[a][b]`: from region `a` to region `b`, if given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matrix: Vec<Vec<Latency>>,
}

impl Regions {
    /// The latency range from a node of region `a` to one of region `b`.
    pub fn latency(&self, a: u8, b: u8) -> Latency {
        if let Some(l) = self
            .matrix
            .get(usize::from(a))
            .and_then(|row| row.get(usize::from(b)))
        {
            return *l;
        }
        if a == b {
            self.within
        } else {
            self.across
        }
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            latency: Latency::default(),
            loss: 0.0,
            duplicate: 0.0,
            links: Vec::new(),
            regions: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkLatency {
    pub from: NodeId,
    pub to: NodeId,
    pub latency: Latency,
}

/// How the simulated clients behave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientConfig {
    /// After this long without an answer the operation's outcome is
    /// unknown: it may or may not have happened.
    pub timeout: Span,
    /// How many redirects a client follows before giving up.
    pub redirects: u8,
    /// Workload clients sit next to a home node (client `i` at node
    /// `i mod nodes`) and reach only the nodes it reaches: they ask a known
    /// leader only if it is within reach, else their home node, and a
    /// redirect out of reach fails. Off, clients reach every node whatever
    /// the partition.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub pinned: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: Span::from_secs(2),
            redirects: 3,
            pinned: false,
        }
    }
}

/// A closed-loop random workload: each client sends an operation, waits for
/// its outcome, thinks, and sends the next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Workload {
    pub clients: u32,
    pub think: Latency,
    pub keys: u32,
    /// Share of reads; the rest are split between puts and appends.
    pub reads: f64,
    pub start: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Time>,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            clients: 3,
            think: Latency {
                min: Span::from_millis(20),
                max: Span::from_millis(100),
            },
            keys: 3,
            reads: 0.3,
            start: Time(Span::from_millis(500).0),
            stop: None,
        }
    }
}

/// Random faults, drawn from the seed, until `until`; then everything heals
/// and every crashed node restarts, so liveness can be checked after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    pub until: Time,
    /// Mean time between faults.
    pub every: Span,
    pub crashes: bool,
    pub partitions: bool,
    /// At most this many nodes down at once (default: a minority).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_down: Option<u16>,
    /// Extra message loss while faults last, on top of `network.loss`.
    pub loss: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            until: Time(Span::from_secs(10).0),
            every: Span::from_millis(700),
            crashes: true,
            partitions: true,
            max_down: None,
            loss: 0.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedAction {
    pub at: Time,
    pub action: Action,
}

impl TimedAction {
    /// A user's `put key=value` to `node` at `at`: the one request the
    /// explorer presets make.
    pub fn put(at: Time, node: NodeId, key: &str, value: &str) -> TimedAction {
        TimedAction {
            at,
            action: Action::Request {
                node,
                client: None,
                op: Op::Put {
                    key: key.into(),
                    value: value.into(),
                },
            },
        }
    }
}

/// Something a user does to the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// Split the cluster into groups that cannot talk to each other. Nodes
    /// not listed form one more group together.
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    /// Remove every partition and link cut.
    Heal,
    /// Cut the link `from → to` (and back, if `both`).
    CutLink {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        both: bool,
    },
    RestoreLink {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        both: bool,
    },
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    /// Fire the node's user-forceable timer (Raft: the election timeout).
    Timeout {
        node: NodeId,
    },
    /// A client sends `op` to `node`.
    Request {
        node: NodeId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<ClientId>,
        op: Op,
    },
    /// Drop one message in flight.
    DropMessage {
        id: MessageId,
    },
    /// From now on, participant `node` votes `yes` (or no) on every
    /// transaction it is asked about, whatever the vote policy says.
    Vote {
        node: NodeId,
        yes: bool,
    },
    /// Ask the node in charge (the leader of the highest term) to make
    /// `node` a voting member. Nothing happens if nobody leads.
    AddServer {
        node: NodeId,
    },
    /// Ask the node in charge to stop counting `node` as a voting member.
    RemoveServer {
        node: NodeId,
    },
    /// From now on `node`'s clock reads true time plus `offset` and runs
    /// `drift_ppm` parts per million fast (negative: slow). Both zero: a
    /// perfect clock again.
    Clock {
        node: NodeId,
        #[serde(default, skip_serializing_if = "is_zero_offset")]
        offset: Offset,
        #[serde(default, skip_serializing_if = "is_zero_ppm")]
        drift_ppm: i32,
    },
}

/// What is wrong with a scenario, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// A path to the offending field, such as `actions[3].at`.
    pub path: String,
    pub message: String,
}

impl ScenarioError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Prefixes a protocol config's error path with `protocol.`.
pub(crate) fn in_protocol(mut e: ScenarioError) -> ScenarioError {
    e.path = format!("protocol.{}", e.path);
    e
}

fn check_latency(path: &str, l: &Latency) -> Result<(), ScenarioError> {
    if l.min.0 == 0 {
        return Err(ScenarioError::new(
            format!("{path}.min"),
            "latency must be at least 1us (a message cannot arrive before it is sent)",
        ));
    }
    if l.min > l.max {
        return Err(ScenarioError::new(
            path,
            format!("min ({}) is greater than max ({})", l.min, l.max),
        ));
    }
    Ok(())
}

/// A clock's drift is within ±10%, and it never reads before zero: set at
/// `at`, its offset is at least `-at`.
fn check_clock(path: &str, at: Time, offset: Offset, drift_ppm: i32) -> Result<(), ScenarioError> {
    if drift_ppm.unsigned_abs() > MAX_DRIFT_PPM.unsigned_abs() {
        return Err(ScenarioError::new(
            format!("{path}.drift_ppm"),
            format!("must be between -{MAX_DRIFT_PPM} and {MAX_DRIFT_PPM} (±10%), got {drift_ppm}"),
        ));
    }
    if i128::from(offset.0) + i128::from(at.0) < 0 {
        return Err(ScenarioError::new(
            format!("{path}.offset"),
            format!("{offset} at {at} would make the clock read before zero"),
        ));
    }
    Ok(())
}

fn check_probability(path: &str, p: f64) -> Result<(), ScenarioError> {
    if !(0.0..=1.0).contains(&p) {
        return Err(ScenarioError::new(
            path,
            format!("must be a probability between 0 and 1, got {p}"),
        ));
    }
    Ok(())
}

/// Captions are few, short, non-empty and in time order, at most one per
/// instant (playback pauses once per caption, so two at one time would
/// show as one).
pub fn check_captions(captions: &[Caption]) -> Result<(), ScenarioError> {
    if captions.len() > MAX_CAPTIONS {
        return Err(ScenarioError::new(
            "captions",
            format!("at most {MAX_CAPTIONS} captions, got {}", captions.len()),
        ));
    }
    let mut last: Option<Time> = None;
    for (i, c) in captions.iter().enumerate() {
        let path = format!("captions[{i}]");
        if let Some(last) = last {
            if c.at <= last {
                return Err(ScenarioError::new(
                    format!("{path}.at"),
                    format!(
                        "captions must be in time order, one per time: {} comes after {}",
                        c.at, last
                    ),
                ));
            }
        }
        last = Some(c.at);
        if c.text.trim().is_empty() {
            return Err(ScenarioError::new(format!("{path}.text"), "is empty"));
        }
        let chars = c.text.chars().count();
        if chars > MAX_CAPTION_CHARS {
            return Err(ScenarioError::new(
                format!("{path}.text"),
                format!("at most {MAX_CAPTION_CHARS} characters, got {chars}"),
            ));
        }
    }
    Ok(())
}

impl Scenario {
    /// A default scenario for `protocol` on `nodes` nodes.
    pub fn new(protocol: ProtocolConfig, nodes: u16, seed: u64) -> Scenario {
        Scenario {
            title: None,
            protocol,
            nodes,
            seed,
            network: NetworkConfig::default(),
            clients: ClientConfig::default(),
            workload: None,
            faults: None,
            actions: Vec::new(),
            until: None,
            script: Vec::new(),
            captions: Vec::new(),
            clocks: Vec::new(),
        }
    }

    /// Checks every field a person could get wrong, naming the first one
    /// that is wrong.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return Err(ScenarioError::new(
                "nodes",
                format!("must be between 1 and {MAX_NODES}, got {}", self.nodes),
            ));
        }
        self.protocol.validate(self.nodes)?;
        if let Some(r) = &self.network.regions {
            if r.of.len() != usize::from(self.nodes) {
                return Err(ScenarioError::new(
                    "network.regions.of",
                    format!(
                        "needs a region for each of the {} nodes, got {}",
                        self.nodes,
                        r.of.len()
                    ),
                ));
            }
            check_latency("network.regions.within", &r.within)?;
            check_latency("network.regions.across", &r.across)?;
            let count = r.of.iter().copied().max().map_or(0, |m| usize::from(m) + 1);
            if !r.matrix.is_empty() {
                if r.matrix.len() != count {
                    return Err(ScenarioError::new(
                        "network.regions.matrix",
                        format!("needs one row per region ({count}), got {}", r.matrix.len()),
                    ));
                }
                for (a, row) in r.matrix.iter().enumerate() {
                    if row.len() != count {
                        return Err(ScenarioError::new(
                            format!("network.regions.matrix[{a}]"),
                            format!("needs one entry per region ({count}), got {}", row.len()),
                        ));
                    }
                    for (b, l) in row.iter().enumerate() {
                        check_latency(&format!("network.regions.matrix[{a}][{b}]"), l)?;
                    }
                }
            }
        }
        check_latency("network.latency", &self.network.latency)?;
        check_probability("network.loss", self.network.loss)?;
        check_probability("network.duplicate", self.network.duplicate)?;
        for (i, link) in self.network.links.iter().enumerate() {
            let path = format!("network.links[{i}]");
            self.check_node(&format!("{path}.from"), link.from)?;
            self.check_node(&format!("{path}.to"), link.to)?;
            check_latency(&format!("{path}.latency"), &link.latency)?;
        }
        if self.clients.timeout.0 == 0 {
            return Err(ScenarioError::new(
                "clients.timeout",
                "must be greater than zero",
            ));
        }
        if let Some(w) = &self.workload {
            if w.clients == 0 || w.clients > 1000 {
                return Err(ScenarioError::new(
                    "workload.clients",
                    format!("must be between 1 and 1000, got {}", w.clients),
                ));
            }
            if w.keys == 0 {
                return Err(ScenarioError::new("workload.keys", "must be at least 1"));
            }
            check_latency("workload.think", &w.think)?;
            check_probability("workload.reads", w.reads)?;
        }
        if let Some(f) = &self.faults {
            check_probability("faults.loss", f.loss)?;
            if f.every < Span::from_millis(1) {
                // Faults are drawn up front; a microsecond rate over a long
                // run would be millions of them.
                return Err(ScenarioError::new("faults.every", "must be at least 1ms"));
            }
            const MAX_FAULTS: u64 = 100_000;
            if f.until.0 / f.every.0 > MAX_FAULTS {
                return Err(ScenarioError::new(
                    "faults.until",
                    format!(
                        "{} of faults every {} would be more than {MAX_FAULTS} faults",
                        f.until, f.every
                    ),
                ));
            }
            if let Some(m) = f.max_down {
                if m > self.nodes {
                    return Err(ScenarioError::new(
                        "faults.max_down",
                        format!("cannot exceed the {} nodes", self.nodes),
                    ));
                }
            }
        }
        let mut last = Time::ZERO;
        for (i, timed) in self.actions.iter().enumerate() {
            let path = format!("actions[{i}]");
            if timed.at < last {
                return Err(ScenarioError::new(
                    format!("{path}.at"),
                    format!(
                        "actions must be in time order: {} comes after {}",
                        timed.at, last
                    ),
                ));
            }
            last = timed.at;
            self.check_action(&format!("{path}.action"), timed.at, &timed.action)?;
        }
        let mut clocked = 0u64;
        for (i, setting) in self.clocks.iter().enumerate() {
            let path = format!("clocks[{i}]");
            self.check_node(&format!("{path}.node"), setting.node)?;
            let bit = 1u64 << setting.node.0;
            if clocked & bit != 0 {
                return Err(ScenarioError::new(
                    format!("{path}.node"),
                    format!("{} has a clock already", setting.node),
                ));
            }
            clocked |= bit;
            check_clock(&path, Time::ZERO, setting.offset, setting.drift_ppm)?;
        }
        self.check_script()?;
        check_captions(&self.captions)?;
        Ok(())
    }

    fn check_script(&self) -> Result<(), ScenarioError> {
        if !self.script.is_empty() && self.faults.is_some() {
            return Err(ScenarioError::new(
                "script",
                "a scripted run cannot also draw random faults: remove `faults`",
            ));
        }
        let mut last = Time::ZERO;
        for (i, step) in self.script.iter().enumerate() {
            let path = format!("script[{i}]");
            if step.at < last {
                return Err(ScenarioError::new(
                    format!("{path}.at"),
                    format!(
                        "steps must be in time order: {} comes after {}",
                        step.at, last
                    ),
                ));
            }
            last = step.at;
            match &step.step {
                Scripted::Fire { node, .. } => {
                    self.check_node(&format!("{path}.do.node"), *node)?
                }
                Scripted::Act { action } => {
                    if matches!(action, Action::DropMessage { .. }) {
                        return Err(ScenarioError::new(
                            format!("{path}.do.action"),
                            "drops are `drop` steps",
                        ));
                    }
                    self.check_action(&format!("{path}.do.action"), step.at, action)?
                }
                Scripted::Deliver { .. } | Scripted::Drop { .. } | Scripted::Duplicate { .. } => {}
            }
        }
        Ok(())
    }

    fn check_node(&self, path: &str, node: NodeId) -> Result<(), ScenarioError> {
        if node.0 >= self.nodes {
            return Err(ScenarioError::new(
                path,
                format!(
                    "node {} does not exist: this cluster has nodes 0 to {}",
                    node.0,
                    self.nodes - 1
                ),
            ));
        }
        Ok(())
    }

    fn check_action(&self, path: &str, at: Time, action: &Action) -> Result<(), ScenarioError> {
        match action {
            Action::Clock {
                node,
                offset,
                drift_ppm,
            } => {
                self.check_node(&format!("{path}.node"), *node)?;
                check_clock(path, at, *offset, *drift_ppm)
            }
            Action::Partition { groups } => {
                let mut seen = 0u64;
                for (g, group) in groups.iter().enumerate() {
                    for (k, node) in group.iter().enumerate() {
                        let p = format!("{path}.groups[{g}][{k}]");
                        self.check_node(&p, *node)?;
                        let bit = 1u64 << node.0;
                        if seen & bit != 0 {
                            return Err(ScenarioError::new(
                                p,
                                format!("node {} is in more than one group", node.0),
                            ));
                        }
                        seen |= bit;
                    }
                }
                Ok(())
            }
            Action::Heal | Action::DropMessage { .. } => Ok(()),
            Action::CutLink { from, to, .. } | Action::RestoreLink { from, to, .. } => {
                self.check_node(&format!("{path}.from"), *from)?;
                self.check_node(&format!("{path}.to"), *to)?;
                if from == to {
                    return Err(ScenarioError::new(
                        format!("{path}.to"),
                        "a link joins two different nodes",
                    ));
                }
                Ok(())
            }
            Action::Crash { node }
            | Action::Restart { node }
            | Action::Timeout { node }
            | Action::Request { node, .. }
            | Action::Vote { node, .. } => self.check_node(&format!("{path}.node"), *node),
            Action::AddServer { node } | Action::RemoveServer { node } => {
                if !self.protocol.descriptor().can.membership {
                    return Err(ScenarioError::new(
                        format!("{path}.kind"),
                        format!(
                            "{} has a fixed set of voters: it cannot add or remove a server",
                            self.protocol.descriptor().facts.name
                        ),
                    ));
                }
                self.check_node(&format!("{path}.node"), *node)
            }
        }
    }
}
