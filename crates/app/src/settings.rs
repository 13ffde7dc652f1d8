//! The cluster a person asks for, as they typed it, and as a scenario.
//!
//! Form fields arrive as text. Each is parsed here with a message that
//! names the field and says what is allowed, then the whole scenario goes
//! through the core's own validation, so the app refuses exactly what the
//! CLI refuses, in the same words.

use splitbrain_core::registry::ProtocolOption;
use splitbrain_core::scenario::{Latency, Workload, MAX_NODES};
use splitbrain_core::{ProtocolConfig, Scenario, Span, Time};

/// The example scenarios shipped with the project (`web/scenarios/`), to
/// load in one click: a name, and the scenario file (its text from
/// [`crate::gallery::file`], fetched by the page on first use).
pub const EXAMPLES: &[(&str, &str)] = &[
    ("First election", "raft-election.json"),
    ("Stale leader in a minority", "raft-minority-leader.json"),
    ("Broken Raft (Figure 8)", "raft-broken-figure8.json"),
    // The rest of web/scenarios that the gallery does not list.
    ("Raft under random faults", "raft-sweep.json"),
    ("Paxos under random faults", "paxos-sweep.json"),
    ("Multi-Paxos under random faults", "multi-paxos-sweep.json"),
    (
        "Multi-Paxos: stale leader in a minority",
        "multi-paxos-minority-leader.json",
    ),
    (
        "Broken Multi-Paxos (ignores promises)",
        "multi-paxos-broken-no-recovery.json",
    ),
];

/// Everything that shapes a fresh run. Changing any of it means a reset.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub nodes: u16,
    pub seed: u64,
    /// The protocol and its parameters. The form edits its election
    /// timing, where it has one; the rest stays as it is.
    pub protocol: ProtocolConfig,
    pub latency: Latency,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Simulated clients in a closed loop (the core's workload); 0 for none.
    /// Meant for load: the "steady requests" toggle is the gentle option.
    pub clients: u32,
}

impl Default for Settings {
    /// A fresh page: the menu's first protocol.
    fn default() -> Self {
        let first = crate::protocols::first().preset;
        Settings {
            nodes: first.nodes,
            seed: 1,
            protocol: (first.config)(),
            latency: Latency::default(),
            loss: 0.0,
            clients: 0,
        }
    }
}

impl Settings {
    /// The scenario these settings describe, with no actions yet.
    pub fn scenario(&self) -> Scenario {
        let mut scenario = Scenario::new(self.protocol.clone(), self.nodes, self.seed);
        scenario.network.latency = self.latency;
        scenario.network.loss = self.loss;
        if self.clients > 0 {
            scenario.workload = Some(Workload {
                clients: self.clients,
                // Busy clients: they think for a few milliseconds between
                // operations, so the cluster is kept under load.
                think: Latency {
                    min: Span::from_millis(1),
                    max: Span::from_millis(5),
                },
                keys: 8,
                reads: 0.2,
                start: Time(Span::from_millis(400).0),
                stop: None,
            });
        }
        scenario
    }

    /// Reads the settings back from a scenario someone loaded.
    pub fn from_scenario(scenario: &Scenario) -> Settings {
        Settings {
            nodes: scenario.nodes,
            seed: scenario.seed,
            protocol: scenario.protocol.clone(),
            latency: scenario.network.latency,
            loss: scenario.network.loss,
            clients: scenario.workload.as_ref().map_or(0, |w| w.clients),
        }
    }

    /// The form's fields, filled in from these settings.
    pub fn form(&self) -> SettingsForm {
        let ms = |s: Span| format_ms(s);
        let can = self.protocol.descriptor().can;
        let mut protocol = self.protocol.clone();
        let timing = can
            .election
            .and_then(|timing| timing(&mut protocol))
            .map(|(election, heartbeat)| (*election, *heartbeat));
        SettingsForm {
            nodes: self.nodes.to_string(),
            seed: self.seed.to_string(),
            election_min: timing.map(|t| ms(t.0.min)).unwrap_or_default(),
            election_max: timing.map(|t| ms(t.0.max)).unwrap_or_default(),
            heartbeat: timing.map(|t| ms(t.1)).unwrap_or_default(),
            latency_min: ms(self.latency.min),
            latency_max: ms(self.latency.max),
            loss_percent: format_number(self.loss * 100.0),
            clients: self.clients.to_string(),
            buggy: can.broken.is_some_and(|b| (b.get)(&self.protocol)),
            options: can
                .options
                .iter()
                .map(|o| (o.get)(&self.protocol))
                .collect(),
            protocol: self.protocol.clone(),
        }
    }
}

/// The settings form as typed: every field is text until parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingsForm {
    pub nodes: String,
    pub seed: String,
    /// Milliseconds, like the other durations.
    pub election_min: String,
    pub election_max: String,
    pub heartbeat: String,
    pub latency_min: String,
    pub latency_max: String,
    pub loss_percent: String,
    pub clients: String,
    /// Run the protocol's deliberately broken variant (Raft's Figure 8),
    /// to watch the checker catch it.
    pub buggy: bool,
    /// The value of each of the protocol's options
    /// ([`splitbrain_core::registry::Capabilities::options`]), in order.
    pub options: Vec<usize>,
    /// The protocol as it was: the timing fields above replace its
    /// election timing, if it has one; the rest is kept as it is.
    pub protocol: ProtocolConfig,
}

impl Default for SettingsForm {
    fn default() -> Self {
        Settings::default().form()
    }
}

/// Parses a cluster size, refusing anything the simulator cannot run.
pub fn parse_nodes(text: &str) -> Result<u16, String> {
    let text = text.trim();
    match text.parse::<u32>() {
        Ok(n) if (1..=u32::from(MAX_NODES)).contains(&n) => Ok(n as u16),
        _ => Err(crate::i18n::tf(
            "Cluster size must be a whole number from 1 to {0}, not \u{201c}{1}\u{201d}.",
            &[&MAX_NODES, &text],
        )),
    }
}

impl SettingsForm {
    /// Whether the protocol has an election timing to edit.
    pub fn has_timing(&self) -> bool {
        self.protocol.descriptor().can.election.is_some()
    }

    /// The label of the switch to the protocol's broken variant, if it
    /// has one.
    pub fn broken_label(&self) -> Option<&'static str> {
        self.protocol.descriptor().can.broken.map(|b| b.label)
    }

    /// The protocol's options with their values, in the form's order.
    pub fn options(&self) -> impl Iterator<Item = (&'static ProtocolOption, usize)> + '_ {
        self.protocol
            .descriptor()
            .can
            .options
            .iter()
            .zip(self.options.iter().copied())
    }

    /// Parses every field; the first bad one is reported by its label.
    pub fn parse(&self) -> Result<Settings, String> {
        let nodes = parse_nodes(&self.nodes)?;
        let seed = self.seed.trim().parse::<u64>().map_err(|_| {
            crate::i18n::tf(
                "Seed must be a whole number from 0 to {0}, not \u{201c}{1}\u{201d}.",
                &[&u64::MAX, &self.seed.trim()],
            )
        })?;
        let mut protocol = self.protocol.clone();
        let can = protocol.descriptor().can;
        if let Some(timing) = can.election {
            let election_timeout = Latency {
                min: parse_ms(crate::i18n::t("Election timeout (min)"), &self.election_min)?,
                max: parse_ms(crate::i18n::t("Election timeout (max)"), &self.election_max)?,
            };
            let heartbeat = parse_ms(crate::i18n::t("Heartbeat"), &self.heartbeat)?;
            if let Some((election, beat)) = timing(&mut protocol) {
                (*election, *beat) = (election_timeout, heartbeat);
            }
        }
        if let Some(broken) = can.broken {
            (broken.set)(&mut protocol, self.buggy);
        }
        for (option, value) in can.options.iter().zip(&self.options) {
            (option.set)(&mut protocol, *value);
        }
        let latency = Latency {
            min: parse_ms(crate::i18n::t("Latency (min)"), &self.latency_min)?,
            max: parse_ms(crate::i18n::t("Latency (max)"), &self.latency_max)?,
        };
        let loss = match self.loss_percent.trim().parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => p / 100.0,
            _ => {
                return Err(crate::i18n::tf(
                    "Message loss must be a percentage from 0 to 100, not \u{201c}{0}\u{201d}.",
                    &[&self.loss_percent.trim()],
                ))
            }
        };
        let clients = match self.clients.trim().parse::<u32>() {
            Ok(c) if c <= 1000 => c,
            _ => return Err(crate::i18n::tf(
                "Simulated clients must be a whole number from 0 to 1000, not \u{201c}{0}\u{201d}.",
                &[&self.clients.trim()],
            )),
        };
        let settings = Settings {
            nodes,
            seed,
            protocol,
            latency,
            loss,
            clients,
        };
        // Cross-field rules (heartbeat shorter than the election timeout,
        // min below max, ...) are the core's to state.
        settings
            .scenario()
            .validate()
            .map_err(|e| crate::i18n::tf("Invalid settings: {0}.", &[&e]))?;
        Ok(settings)
    }
}

/// Parses a duration in milliseconds (fractions allowed down to 1 µs).
fn parse_ms(label: &str, text: &str) -> Result<Span, String> {
    let text = text.trim();
    match text.parse::<f64>() {
        Ok(ms) if ms.is_finite() && ms > 0.0 && ms <= 3_600_000.0 => {
            Ok(Span((ms * 1000.0).round().max(1.0) as u64))
        }
        _ => Err(crate::i18n::tf(
            "{0} must be a positive number of milliseconds, not \u{201c}{1}\u{201d}.",
            &[&label, &text],
        )),
    }
}

fn format_ms(span: Span) -> String {
    format_number(span.0 as f64 / 1000.0)
}

/// A number without a trailing `.0`, as a person would type it.
fn format_number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_a_valid_scenario() {
        for (name, file) in EXAMPLES {
            let json = crate::gallery::file(file).unwrap_or_else(|| panic!("{name}: {file}"));
            let scenario: Scenario =
                serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            scenario
                .validate()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn the_default_form_parses_back_to_the_defaults() {
        let settings = Settings::default();
        assert_eq!(settings.form().parse(), Ok(settings));
    }

    #[test]
    fn cluster_sizes_outside_one_to_fifty_one_are_refused_with_a_reason() {
        assert_eq!(parse_nodes(" 51 "), Ok(51));
        assert_eq!(parse_nodes("1"), Ok(1));
        for bad in ["0", "52", "-3", "five", ""] {
            let err = parse_nodes(bad).unwrap_err();
            assert!(err.contains("from 1 to 51"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_protocols_options_come_from_its_descriptor_and_reach_the_config() {
        let mut form = Settings::default().form();
        let ids: Vec<&str> = form.options().map(|(o, _)| o.id).collect();
        assert_eq!(
            ids,
            [
                "pre_vote",
                "check_quorum",
                "reads",
                "joint",
                "snapshot_every"
            ]
        );
        assert!(form.options().all(|(_, value)| value == 0), "all off");
        form.options = vec![1, 1, 2, 0];
        let settings = form.parse().unwrap();
        let json = serde_json::to_string(&settings.protocol).unwrap();
        assert!(
            json.contains(r#""pre_vote":true,"check_quorum":true,"reads":"lease""#),
            "{json}"
        );
        // And back: the form shows what the config says.
        assert_eq!(settings.form().options, [1, 1, 2, 0, 0]);
        // Log compaction's switch sets the default interval, and keeps a
        // scenario's own while on.
        let mut form = Settings::default().form();
        form.options = vec![0, 0, 0, 0, 1];
        let json = serde_json::to_string(&form.parse().unwrap().protocol).unwrap();
        assert!(json.contains(r#""snapshot_every":16"#), "{json}");
        // A protocol without options shows none.
        let two_phase = Settings {
            protocol: splitbrain_core::registry::default_config(1).unwrap(),
            ..Settings::default()
        };
        assert_eq!(two_phase.form().options().count(), 0);
    }

    #[test]
    fn cross_field_rules_come_from_the_core() {
        let mut form = Settings::default().form();
        form.heartbeat = "200".into();
        let err = form.parse().unwrap_err();
        assert!(err.contains("heartbeat"), "{err}");
    }

    #[test]
    fn bad_numbers_name_their_field() {
        let mut form = Settings::default().form();
        form.latency_max = "soon".into();
        assert!(form.parse().unwrap_err().starts_with("Latency (max)"));
        let mut form = Settings::default().form();
        form.loss_percent = "120".into();
        assert!(form.parse().unwrap_err().starts_with("Message loss"));
    }

    #[test]
    fn fractional_milliseconds_and_loss_survive_a_round_trip() {
        let mut form = Settings::default().form();
        form.latency_min = "0.5".into();
        form.loss_percent = "2.5".into();
        let settings = form.parse().unwrap();
        assert_eq!(settings.latency.min, Span(500));
        assert_eq!(settings.loss, 0.025);
        assert_eq!(settings.form().latency_min, "0.5");
    }
}
