//! What a protocol is, to everything outside it: one [`Descriptor`] per
//! protocol folder, and the one list that registers them
//! (`crate::protocols`, through [`registry!`]).
//!
//! From the list come the scenario format ([`ProtocolConfig`], whose
//! variants are named by the protocols' ids), the permalink tags (a
//! protocol's position in the list: append only), the CLI's names, the
//! app's protocol menu (every protocol's [`Preset`]s, in list order), the
//! explorer's targets ([`ExplorePreset`]s), the gallery's protocol names
//! and the help text. Callers ask a descriptor what a protocol can do
//! ([`Capabilities`]) and how to show it ([`Words`], [`Column`]), never
//! which protocol it is.
//!
//! Interface words here are English; the app looks each up in its
//! translations.

pub use crate::protocols::ProtocolConfig;

pub use crate::explore::protocol::Links;
use crate::explore::protocol::NewSearch;
use crate::protocol::{Checker, Protocol, TimerId};
use crate::protocols::commit::VotePolicy;
use crate::scenario::{Latency, Scenario, ScenarioError};
use crate::time::Span;
use crate::version::Versioning;

/// A protocol as the registry lists it: its descriptor, the checks of its
/// configuration, and (if its state can be hashed) its explorer.
pub trait Registered: Protocol {
    const DESCRIPTOR: Descriptor;

    /// Checks a configuration a person wrote, for a cluster of `nodes`.
    /// Errors name the field as the scenario file does (`protocol.…`,
    /// `nodes`).
    fn validate(config: &Self::Config, nodes: u16) -> Result<(), ScenarioError>;

    /// How to explore this protocol exhaustively, if it can be
    /// ([`crate::explore::protocol::new_search`]). Kept out of the
    /// descriptor so that a client that never explores (the page) links
    /// none of the explorer.
    const SEARCH: Option<NewSearch> = None;
}

/// Everything the app, the CLI and the tests know of one protocol.
#[derive(Debug)]
pub struct Descriptor {
    /// The scenario's `protocol.name`, the CLI's name, and the menu id of
    /// the first preset.
    pub id: &'static str,
    /// The protocol's own constants, which the engine reads too.
    pub facts: Facts,
    /// The menu's entries for this protocol; the first is its default.
    pub presets: &'static [Preset],
    pub can: Capabilities,
    pub words: Words,
    /// The protocol board: each column's heading and what it shows.
    pub board: &'static [(&'static str, Column)],
    /// The explorer's starting points, if the protocol can be explored.
    pub explore: Option<&'static [ExplorePreset]>,
}

/// What the engine and the UI read of a protocol's constants.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    /// As people read it: "Raft", "Two-phase commit".
    pub name: &'static str,
    /// Message kinds, indexed by the kind byte of a send.
    pub msg_kinds: &'static [&'static str],
    /// The checker's invariants, by index.
    pub invariants: &'static [&'static str],
    /// The timer a user may force, with its name.
    pub user_timer: Option<(TimerId, &'static str)>,
}

impl Facts {
    pub const fn of<P: Protocol>() -> Facts {
        Facts {
            name: P::NAME,
            msg_kinds: P::MSG_KINDS,
            invariants: <P::Checker as Checker<P>>::INVARIANTS,
            user_timer: P::USER_TIMER,
        }
    }
}

/// One entry of the protocol menu: a protocol with a starting config.
#[derive(Debug)]
pub struct Preset {
    /// Stable: forms, links' menu state and tests name it.
    pub id: &'static str,
    /// As the menu shows it.
    pub label: &'static str,
    /// The protocol board's heading.
    pub board_title: &'static str,
    /// The cluster a fresh run starts with.
    pub nodes: u16,
    pub config: fn() -> ProtocolConfig,
    /// Whether a config is this preset's rather than the protocol's
    /// default one (unused for the first preset, which takes the rest).
    pub claims: fn(&ProtocolConfig) -> bool,
}

/// What a protocol can do, for the parts of the app that depend on it.
#[derive(Clone, Copy, Debug)]
pub struct Capabilities {
    /// Clients run transactions at the coordinator, node 0, on request,
    /// instead of the random key-value workload.
    pub transactions: bool,
    /// Participants (every node but 0) whose vote a user may choose
    /// (`Action::Vote`), and the config's policy for the rest.
    pub votes: Option<fn(&ProtocolConfig) -> Option<&VotePolicy>>,
    /// Nodes keep versions the consistency audit reads, resolved so.
    pub versions: Option<fn(&ProtocolConfig) -> Option<Versioning>>,
    /// Keys live on a consistent-hash ring with this many virtual nodes
    /// per node.
    pub ring: Option<fn(&ProtocolConfig) -> Option<u32>>,
    /// The election timing a settings form may edit: the timeout range
    /// and the heartbeat.
    pub election: Option<ElectionTiming>,
    /// A deliberately broken variant a settings form may switch on.
    pub broken: Option<Broken>,
    /// Options a settings form shows, in order: switches and choices that
    /// change the config, each a scenario field of its own.
    pub options: &'static [ProtocolOption],
    /// The set of voting servers can change: a user may ask the node in
    /// charge to add or remove one (`Action::AddServer`,
    /// `Action::RemoveServer`), and nodes report their configuration
    /// (`Protocol::members`). How it changes (one server at a time or
    /// jointly) is one of the protocol's `options`.
    pub membership: bool,
}

/// A config's election timing, to edit in place: the timeout range and
/// the heartbeat.
pub type ElectionTiming = fn(&mut ProtocolConfig) -> Option<(&mut Latency, &mut Span)>;

impl Capabilities {
    /// None of the above: a protocol adds what it has with
    /// `..Capabilities::NONE`.
    pub const NONE: Capabilities = Capabilities {
        transactions: false,
        votes: None,
        versions: None,
        ring: None,
        election: None,
        broken: None,
        options: &[],
        membership: false,
    };
}

/// One option of a protocol, as a settings form shows it without knowing
/// the protocol: a switch, or a choice among a few values. Its value is an
/// index (a switch: 0 off, 1 on), read from and written to the config, so
/// choosing it changes the scenario as choosing a preset does.
#[derive(Clone, Copy, Debug)]
pub struct ProtocolOption {
    /// Stable: forms and tests name it. The scenario field it sets.
    pub id: &'static str,
    /// The form's label.
    pub label: &'static str,
    /// One sentence on what it does, shown beside it.
    pub help: &'static str,
    pub kind: OptionKind,
    pub get: fn(&ProtocolConfig) -> usize,
    pub set: fn(&mut ProtocolConfig, usize),
}

/// What kind of control an option is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    /// On or off: values 0 and 1.
    Switch,
    /// One of these, by index, as the form lists them.
    Choice(&'static [&'static str]),
}

/// A switch to a deliberately broken variant.
#[derive(Clone, Copy, Debug)]
pub struct Broken {
    /// The switch's label.
    pub label: &'static str,
    pub get: fn(&ProtocolConfig) -> bool,
    pub set: fn(&mut ProtocolConfig, bool),
}

/// How a protocol is put into words.
#[derive(Clone, Copy, Debug)]
pub struct Words {
    /// What the shapes and labels on the canvas mean.
    pub legend: &'static str,
    /// What the inspector calls a node's progress (its commit index).
    pub progress: &'static str,
    /// What the inspector calls the length of a node's log.
    pub log: &'static str,
    /// The status bar's word for the node in charge.
    pub in_charge: &'static str,
    /// Which clock is shown beside the node in charge.
    pub in_charge_clock: Clock,
    /// The prefix of the logical clock under a node: `t3`, `b12`, `T5`.
    pub clock_prefix: &'static str,
    /// What one decision is called: `entry`, `transaction`, `value`.
    pub decision: &'static str,
}

/// The logical clock beside the node in charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    Term,
    Ballot,
    /// Shown bare: `n0`.
    None,
}

/// What a column of the protocol board shows of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// The protocol's word for its role.
    Role,
    /// The logical clock (term, token, writes stored).
    Term,
    /// The logical clock as a ballot, `b7`.
    Ballot,
    /// Highest index known committed (chosen).
    CommitIndex,
    LogLength,
    /// The latest transaction it has seen, `T3`.
    Transaction,
    /// How it will vote: the user's choice, else the policy.
    Vote,
    /// How long it has been in doubt, live.
    InDoubtFor,
    /// One of the node's detail fields, by name.
    Field(&'static str),
    /// Keys it stores for itself.
    Keys,
    /// Of those, keys holding more than one version.
    Siblings,
    /// Versions it holds for an unreachable replica.
    Hints,
}

/// A starting point for the explorer.
#[derive(Debug)]
pub struct ExplorePreset {
    /// The CLI's `--protocol` and the dialog's value.
    pub id: &'static str,
    pub label: &'static str,
    /// The scenario explored (its cluster and client requests).
    pub scenario: fn() -> Scenario,
    /// Bounds that finish in seconds.
    pub max_timers: u8,
    pub max_in_flight: usize,
    pub max_crashes: u8,
    /// The network the preset is explored on ([`Links::default`]: the
    /// fully asynchronous one).
    pub links: Links,
    /// When a complete search of these bounds cannot finish: the width a
    /// directed search ([`crate::explore::directed`]) keeps, which the
    /// app's explorer then runs by default.
    pub directed: Option<usize>,
    /// The one the explorer offers first (one in the whole registry).
    pub first: bool,
}

impl Descriptor {
    /// The menu entry `config` falls under.
    pub fn preset_of(&self, config: &ProtocolConfig) -> &'static Preset {
        self.presets
            .iter()
            .skip(1)
            .find(|p| (p.claims)(config))
            .unwrap_or(&self.presets[0])
    }
}

/// Every registered protocol, in list order (a protocol's position is its
/// permalink tag).
pub fn protocols() -> &'static [&'static Descriptor] {
    crate::protocols::PROTOCOLS
}

/// The protocol at `tag` in the list, every field of its config at its
/// default (what a permalink's bare protocol tag stands for).
pub fn default_config(tag: usize) -> Option<ProtocolConfig> {
    ProtocolConfig::default_for(protocols().get(tag)?.id)
}

/// The protocol registered as `id`.
pub fn find(id: &str) -> Option<&'static Descriptor> {
    protocols().iter().copied().find(|d| d.id == id)
}

/// Every menu entry, in order: each protocol's presets, protocols in list
/// order.
pub fn menu() -> impl Iterator<Item = (&'static Descriptor, &'static Preset)> {
    protocols()
        .iter()
        .flat_map(|d| d.presets.iter().map(move |p| (*d, p)))
}

/// Every explorer starting point, with its protocol.
pub fn explore_presets() -> impl Iterator<Item = (&'static Descriptor, &'static ExplorePreset)> {
    protocols()
        .iter()
        .flat_map(|d| d.explore.unwrap_or(&[]).iter().map(move |p| (*d, p)))
}

impl ProtocolConfig {
    /// How a store that keeps versions resolves concurrent writes.
    pub fn versioning(&self) -> Option<Versioning> {
        self.descriptor().can.versions.and_then(|of| of(self))
    }

    /// The virtual nodes per node of a store on a consistent-hash ring.
    pub fn vnodes(&self) -> Option<u32> {
        self.descriptor().can.ring.and_then(|of| of(self))
    }

    /// How participants vote, where users may choose votes.
    pub fn vote_policy(&self) -> Option<&VotePolicy> {
        self.descriptor().can.votes.and_then(|of| of(self))
    }
}

/// A protocol's config, in and out of [`ProtocolConfig`].
pub trait Variant: Sized {
    fn of(config: &ProtocolConfig) -> Option<&Self>;
    fn of_mut(config: &mut ProtocolConfig) -> Option<&mut Self>;
}

/// Whether two strings are equal, at compile time (for the registry's
/// check that each descriptor's id is its scenario name).
pub const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Registers the protocols: `mod module { Variant("name") => Type, ... }`
/// declares `module` and registers each protocol type in it under its
/// scenario name. Generates [`ProtocolConfig`] (one variant per protocol,
/// serialised as `{"name": "...", ...its config}`), `PROTOCOLS`, and the
/// dispatch from a config to its protocol's code.
macro_rules! registry {
    ($(
        $(#[$attr:meta])*
        mod $module:ident { $( $variant:ident($name:literal) => $($ty:ident)::+ ),+ $(,)? }
    )*) => {
        $( $(#[$attr])* pub mod $module; )*

        /// Which protocol, with its parameters.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "name")]
        pub enum ProtocolConfig {
            $($(
                #[serde(rename = $name)]
                $variant(<$module::$($ty)::+ as $crate::protocol::Protocol>::Config),
            )+)*
        }

        /// Every protocol, in the order of its permalink tag.
        pub static PROTOCOLS: &[&$crate::registry::Descriptor] = &[
            $($( &<$module::$($ty)::+ as $crate::registry::Registered>::DESCRIPTOR, )+)*
        ];

        $($(
            const _: () = assert!(
                $crate::registry::same(
                    <$module::$($ty)::+ as $crate::registry::Registered>::DESCRIPTOR.id,
                    $name,
                ),
                "a descriptor's id is its scenario name",
            );

            impl From<<$module::$($ty)::+ as $crate::protocol::Protocol>::Config> for ProtocolConfig {
                fn from(config: <$module::$($ty)::+ as $crate::protocol::Protocol>::Config) -> Self {
                    ProtocolConfig::$variant(config)
                }
            }

            impl $crate::registry::Variant for <$module::$($ty)::+ as $crate::protocol::Protocol>::Config {
                fn of(config: &ProtocolConfig) -> Option<&Self> {
                    match config {
                        ProtocolConfig::$variant(c) => Some(c),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }

                fn of_mut(config: &mut ProtocolConfig) -> Option<&mut Self> {
                    match config {
                        ProtocolConfig::$variant(c) => Some(c),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }
        )+)*

        impl ProtocolConfig {
            pub fn descriptor(&self) -> &'static $crate::registry::Descriptor {
                match self {
                    $($( ProtocolConfig::$variant(_) =>
                        &<$module::$($ty)::+ as $crate::registry::Registered>::DESCRIPTOR, )+)*
                }
            }

            /// The scenario's name for the protocol.
            pub fn name(&self) -> &'static str {
                self.descriptor().id
            }

            /// The protocol's checks of this config, for `nodes` nodes.
            pub fn validate(&self, nodes: u16) -> Result<(), $crate::scenario::ScenarioError> {
                match self {
                    $($( ProtocolConfig::$variant(c) =>
                        <$module::$($ty)::+ as $crate::registry::Registered>::validate(c, nodes), )+)*
                }
            }

            /// The nodes of this protocol, freshly made, for a cluster of
            /// `nodes`.
            pub fn cluster(&self, nodes: u16) -> alloc::boxed::Box<dyn $crate::cluster::Cluster> {
                match self {
                    $($( ProtocolConfig::$variant(c) => alloc::boxed::Box::new(
                        $crate::cluster::Nodes::<$module::$($ty)::+>::new(c.clone(), nodes),
                    ), )+)*
                }
            }

            /// Protocol `id`'s configuration with every field at its default
            /// (what a permalink's bare protocol tag stands for).
            pub fn default_for(id: &str) -> Option<ProtocolConfig> {
                match id {
                    $($( $name => Some(ProtocolConfig::$variant(Default::default())), )+)*
                    _ => None,
                }
            }

            /// How to explore this protocol, if it can be.
            pub fn search(&self) -> Option<$crate::explore::protocol::NewSearch> {
                match self {
                    $($( ProtocolConfig::$variant(_) =>
                        <$module::$($ty)::+ as $crate::registry::Registered>::SEARCH, )+)*
                }
            }
        }
    };
}
pub(crate) use registry;
