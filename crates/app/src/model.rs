//! The app's state and every way it changes: one [`Model`], one [`Msg`]
//! enum, one [`Model::update`]. The Yew components only send messages and
//! read the model back; the animation frame calls [`Model::frame`]. None of
//! this touches the DOM, so the tests below drive the whole app natively:
//! a drag, a crash, a cut, a reset.

use splitbrain_core::gallery::GalleryEntry;
use splitbrain_core::id::ClientId;
use splitbrain_core::protocol::{Op, RoleKind};
use splitbrain_core::rng::Rng;
use splitbrain_core::{Action, NodeId, RunOptions, Scenario, ScenarioError, Sim, Span, Time};

use crate::frames::FrameProfile;
use crate::geometry::{link_at, links_crossed, node_at, node_radius, Vec2, Viewport};
use crate::layout::{canonical_groups, members, regroup, Layout};
use crate::protocols::ProtocolChoice;
use crate::settings::{parse_nodes, Settings, SettingsForm};

mod share;
pub use share::MAX_OPEN_EVENTS;

/// Simulated time per wall-clock time, from a hundredth to a thousand.
pub const SPEEDS: [f64; 17] = [
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 300.0, 500.0,
    1000.0,
];
/// A tenth of real time: a 150–300 ms election timeout then takes a few
/// seconds to run out, slow enough to watch a vote happen.
pub const DEFAULT_SPEED: f64 = 0.1;

/// The most simulation events one animation frame may process. When a
/// frame would need more, simulated time falls behind the requested speed
/// instead of the page freezing. (The browser also stops a frame's
/// simulation after a few milliseconds; see [`Model::frame_within`].)
pub const EVENTS_PER_FRAME: u64 = 6_000;
/// Steps run between two looks at the frame's time budget.
const EVENTS_PER_CHUNK: u64 = 128;

/// Events kept for the event log.
pub const RECENT_EVENTS: usize = 80;

/// Builds a scenario's simulation. The page carries every protocol the
/// core has (Raft, 2PC, 3PC, Paxos, Multi-Paxos), so it links them all
/// through the core's `build`; `cargo xtask size` keeps the cost in view.
pub fn build_sim(scenario: &Scenario, options: RunOptions) -> Result<Sim, ScenarioError> {
    splitbrain_core::build(scenario, options)
}

/// The client id of the steady request stream, apart from the core's
/// workload clients (numbered from 0) and hand-made requests (1000).
pub const STEADY_CLIENT: ClientId = ClientId(1001);
/// Simulated time between two steady requests.
const STEADY_EVERY: Span = Span::from_millis(200);

/// Pointer movement (CSS px) below which a press is a click, not a drag.
const CLICK_SLOP_MOUSE: f64 = 5.0;
const CLICK_SLOP_TOUCH: f64 = 10.0;
/// Holding a finger this long on a node opens its menu.
const LONG_PRESS_MS: f64 = 500.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

/// What covers the page, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    Settings,
    Scenario,
    Gallery,
    Explorer,
}

/// A small menu over the canvas, at a point in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Menu {
    Node { node: NodeId, at: Vec2 },
    Link { a: NodeId, b: NodeId, at: Vec2 },
}

/// A sentence shown to the person, such as why an action was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: u64,
    pub text: String,
    pub error: bool,
}

/// What the pointer is over while nothing is pressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Hover {
    #[default]
    Nothing,
    Node(usize),
    Link(usize, usize),
}

/// A pointer event, in CSS pixels from the canvas's top-left corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PointerMsg {
    Down {
        at: Vec2,
        /// 0 primary, 2 secondary (right button), as in DOM events.
        button: i16,
        touch: bool,
        time_ms: f64,
    },
    Move {
        at: Vec2,
    },
    Up {
        at: Vec2,
        time_ms: f64,
    },
    Cancel,
    Leave,
}

/// What one pressed pointer is doing.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Gesture {
    Idle,
    Pressing {
        node: Option<usize>,
        start: Vec2,
        time_ms: f64,
        touch: bool,
    },
    Dragging {
        node: usize,
        /// Node centre minus pointer, in world units, so the node does not
        /// jump to centre itself under the pointer.
        grab: Vec2,
    },
    /// A stroke across the cluster that cuts every link it crosses.
    Cutting {
        from: Vec2,
        to: Vec2,
    },
}

/// Something to do to one node: from its menu, the inspector, or a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeCommand {
    /// Crash it if up, restart it if down.
    ToggleCrash,
    /// Fire its election timeout now.
    Timeout,
    /// A client sends this operation to it.
    Request(Op),
    /// A client sends it the next operation of a small built-in sequence.
    QuickRequest,
    /// From now on its clock reads true time plus `offset` and drifts by
    /// `drift_ppm` (a user action, recorded like any other).
    SetClock {
        offset: splitbrain_core::time::Offset,
        drift_ppm: i32,
    },
    /// Ask the leader to make it a voting member.
    AddServer,
    /// Ask the leader to stop counting it as a voting member.
    RemoveServer,
}

/// Everything that can happen to the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    TogglePlay,
    Pause,
    /// Process the next simulation event, and pause.
    Step,
    Faster,
    Slower,
    SetSpeed(f64),
    /// Start the same run again from the beginning.
    Reset,
    /// A new run with a different seed.
    NewSeed,
    /// A new cluster size, as typed.
    SetNodes(String),
    ApplySettings(Box<SettingsForm>),
    /// Replace the run with a scenario given as JSON.
    LoadScenario(String),
    ToggleSteadyLoad,

    Node(NodeId, NodeCommand),
    /// A command for the selected node (keyboard shortcuts).
    Selected(NodeCommand),
    CutLink {
        from: NodeId,
        to: NodeId,
        both: bool,
    },
    RestoreLink {
        from: NodeId,
        to: NodeId,
        both: bool,
    },
    Heal,

    Select(Option<NodeId>),
    SelectNext,
    SelectPrevious,
    /// Opens the selected node's menu next to it (keyboard).
    OpenSelectedMenu,
    CloseMenu,
    Pointer(PointerMsg),
    Resize(Viewport),

    ShowOverlay(Overlay),
    /// Escape: closes what is open, innermost first.
    Escape,
    ToggleTheme {
        system_dark: bool,
    },
    DismissNotice(u64),
    /// Tell the user something went wrong with what they typed.
    Notify(String),
    /// Highlight on the cluster what served a client operation (`None`
    /// clears it): hovering or focusing a bar in the history view.
    HighlightServed(Option<crate::history::Served>),
    /// A fresh run of another protocol, with its defaults.
    SetProtocol(ProtocolChoice),
    /// The next protocol in the menu (keyboard).
    NextProtocol,
    /// A client asks the coordinator to run a transaction (2PC, 3PC).
    StartTransaction,
    /// The user chooses a participant's vote on the transactions to come.
    SetVote {
        node: NodeId,
        yes: bool,
    },
    /// Load a gallery entry and jump to its moment.
    OpenGallery(String),
    /// Open a permalink (a URL fragment). A bad one leaves a notice and
    /// the run as it was.
    OpenLink(String),
    /// An embed's "start over": back to the time the embed starts at.
    RestartEmbed,
    Travel(TravelMsg),
    /// Switch between the cluster view and the ring view.
    ToggleRingView,
    Tour(TourMsg),
    /// The person picked an interface language.
    SetLanguage(crate::i18n::Lang),
    /// The memory budget for what a run keeps, in megabytes.
    SetMemoryBudget(u32),
}

/// How the closed loop of steady requests stands.
#[derive(Clone, Debug, Default)]
struct Steady {
    on: bool,
    next_at: Time,
    /// Index in the history of the request still waiting for an answer.
    waiting: Option<usize>,
    sent: u64,
}

/// The whole app.
pub struct Model {
    pub settings: Settings,
    /// The scenario the current run started from (what Reset replays).
    base: Scenario,
    sim: Sim,
    seeds: Rng,
    pub playing: bool,
    pub speed: f64,
    /// Simulated microseconds owed to the next frame (below one µs).
    carry: f64,
    /// The last frame hit [`EVENTS_PER_FRAME`]: simulated time runs slower
    /// than asked.
    pub lagging: bool,
    steady: Steady,
    quick_requests: u64,
    pub theme: Option<Theme>,
    pub overlay: Overlay,
    pub menu: Option<Menu>,
    pub selected: Option<NodeId>,
    pub notice: Option<Notice>,
    notices: u64,
    pub layout: Layout,
    pub viewport: Viewport,
    gesture: Gesture,
    pub hover: Hover,
    violation_seen: bool,
    pub frame_times: FrameProfile,
    /// Bumped whenever the picture may have changed; the canvas redraws
    /// only when it differs from what it last drew.
    version: u64,
    /// What the cluster highlights for the operation under the pointer in
    /// the history view.
    pub served: Option<crate::history::Served>,
    /// Counts the runs started, so views of the run know when to start over.
    pub run: u64,
    /// The gallery entry this run came from, while it is the one shown.
    pub story: Option<GalleryEntry>,
    transactions: u64,
    /// Set when the page is an embed: only the canvas and a small bar.
    pub embed: Option<crate::link::Embed>,
    embed_start: Time,
    embed_loop_at: Time,
    travel: TimeTravel,
    /// The ring view is shown in place of the cluster view.
    pub ring_view: bool,
    tour: Tour,
    /// The interface language the person chose, or a link carried; None
    /// follows local storage or the browser (the web layer decides) and
    /// leaves it out of links.
    pub lang: Option<crate::i18n::Lang>,
    /// The page's clock (milliseconds), if it has one: then the timeline's
    /// snapshots are paced by their cost (see `model/pacing.rs`).
    pub clock: Option<fn() -> f64>,
    pacing: Pacing,
    /// The page's heap in bytes, if it can tell: then what the timeline
    /// keeps stays within [`Model::budget`] (see `model/budget.rs`).
    pub heap: Option<fn() -> usize>,
    budget: Budget,
    /// Frames' worth of simulation per animation frame: 1 but in a soak
    /// test, which plays hours of a run in minutes (`window.splitbrain`).
    pub turbo: u32,
}

impl Model {
    /// The default cluster. `entropy` seeds the "new seed" button only;
    /// the first run always uses seed 1, so the page opens the same way.
    pub fn new(entropy: u64) -> Model {
        let settings = Settings::default();
        let base = settings.scenario();
        let mut sim = Self::build_live(&base).expect("the default scenario is valid");
        let travel = TimeTravel::new(&mut sim);
        Model {
            layout: Layout::ring(usize::from(settings.nodes)),
            settings,
            base,
            sim,
            seeds: Rng::new(entropy),
            playing: true,
            speed: DEFAULT_SPEED,
            carry: 0.0,
            lagging: false,
            steady: Steady::default(),
            quick_requests: 0,
            theme: None,
            overlay: Overlay::None,
            menu: None,
            selected: None,
            notice: None,
            notices: 0,
            viewport: Viewport::default(),
            gesture: Gesture::Idle,
            hover: Hover::Nothing,
            violation_seen: false,
            frame_times: FrameProfile::default(),
            version: 0,
            served: None,
            run: 0,
            story: None,
            transactions: 0,
            embed: None,
            embed_start: Time::ZERO,
            embed_loop_at: Time::ZERO,
            travel,
            ring_view: false,
            tour: Tour::default(),
            lang: None,
            clock: None,
            pacing: Pacing::default(),
            heap: None,
            budget: Budget::new(),
            turbo: 1,
        }
    }

    /// A live run hands its events to the timeline as it goes (so the sim
    /// itself holds none), and keeps recent events for the log.
    fn build_live(scenario: &Scenario) -> Result<Sim, String> {
        let options = RunOptions {
            keep_trace: true,
            recent_events: RECENT_EVENTS,
        };
        build_sim(scenario, options).map_err(|e| format!("Scenario error at {e}."))
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn node_count(&self) -> usize {
        self.sim.node_count()
    }

    /// The stroke being drawn to cut links, in world units.
    pub fn cut_stroke(&self) -> Option<(Vec2, Vec2)> {
        match self.gesture {
            Gesture::Cutting { from, to } => Some((from, to)),
            _ => None,
        }
    }

    /// The node being dragged.
    pub fn dragging(&self) -> Option<usize> {
        match self.gesture {
            Gesture::Dragging { node, .. } => Some(node),
            _ => None,
        }
    }

    pub fn steady_load(&self) -> bool {
        self.steady.on
    }

    /// The node the cluster follows: the leader with the highest term.
    pub fn leader(&self) -> Option<NodeId> {
        (0..self.node_count() as u16)
            .map(NodeId)
            .map(|n| (n, self.sim.node_view(n)))
            .filter(|(_, v)| v.role == RoleKind::Leader)
            .max_by_key(|(_, v)| v.term)
            .map(|(n, _)| n)
    }

    /// The current run as a scenario that replays it: the starting
    /// scenario plus every action taken so far.
    pub fn scenario_json(&self) -> String {
        // Captions written on this run live in the tour, not the sim.
        // The timeline holds the action list (the cursor does not).
        let mut scenario = self.travel.timeline.scenario(self.sim.scenario());
        scenario.captions = self.tour.captions.clone();
        serde_json::to_string_pretty(&scenario).unwrap_or_default()
    }

    fn say(&mut self, text: impl Into<String>, error: bool) {
        self.notices += 1;
        self.notice = Some(Notice {
            id: self.notices,
            text: text.into(),
            error,
        });
    }

    fn start(&mut self, scenario: Scenario) -> Result<(), String> {
        let sim = Self::build_live(&scenario)?;
        self.layout = Layout::ring(usize::from(scenario.nodes));
        self.base = scenario;
        self.sim = sim;
        self.travel = TimeTravel::new(&mut self.sim);
        self.carry = 0.0;
        self.lagging = false;
        let on = self.steady.on;
        self.steady = Steady {
            on,
            ..Steady::default()
        };
        self.menu = None;
        self.gesture = Gesture::Idle;
        self.hover = Hover::Nothing;
        self.violation_seen = false;
        self.frame_times.clear();
        self.budget = Budget {
            budget_mb: self.budget.budget_mb,
            ..Budget::new()
        };
        self.run += 1;
        self.served = None;
        self.story = None;
        self.tour_start();
        if self
            .selected
            .is_some_and(|n| n.index() >= usize::from(self.base.nodes))
        {
            self.selected = None;
        }
        Ok(())
    }

    /// Applies a user action to the run, reporting refusals as a notice.
    fn act(&mut self, action: Action) -> bool {
        // Through the timeline: behind its end, acting starts a branch.
        self.travel_act(action)
    }

    /// One event, paused: the Step button and time travel's step forward.
    pub(crate) fn step(&mut self) {
        self.playing = false;
        if !self.travel.timeline.step(&mut self.sim) {
            self.say(
                crate::i18n::t("Nothing left to happen: the run is idle."),
                false,
            );
        }
        self.check_violation();
    }

    fn check_violation(&mut self) {
        if self.violation_seen {
            return;
        }
        if let Some(found) = self.sim.violation() {
            self.violation_seen = true;
            self.playing = false;
            let text = format!(
                "Invariant broken: {} at {}. {}",
                found.invariant,
                crate::panel::format_time(found.time),
                found.violation.message
            );
            self.say(text, true);
        }
    }

    /// Handles one message.
    pub fn update(&mut self, msg: Msg) {
        self.version += 1;
        match msg {
            Msg::TogglePlay => {
                self.playing = !self.playing;
                if self.playing && self.violation_seen {
                    self.say(
                        crate::i18n::t(
                            "Running on past the broken invariant; only the first one is reported.",
                        ),
                        false,
                    );
                }
            }
            Msg::Pause => self.playing = false,
            Msg::Step => self.step(),
            Msg::Faster => self.speed = step_speed(self.speed, 1),
            Msg::Slower => self.speed = step_speed(self.speed, -1),
            Msg::SetSpeed(s) => self.speed = s.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]),
            Msg::Reset => {
                let base = self.base.clone();
                if let Err(e) = self.start(base) {
                    self.say(e, true);
                }
            }
            Msg::NewSeed => {
                let seed = self.seeds.next_u64() % 1_000_000;
                self.settings.seed = seed;
                let mut base = self.base.clone();
                base.seed = seed;
                match self.start(base) {
                    Ok(()) => self.say(crate::i18n::tf("New run with seed {0}.", &[&seed]), false),
                    Err(e) => self.say(e, true),
                }
            }
            Msg::SetNodes(text) => match parse_nodes(&text) {
                Ok(n) if n == self.settings.nodes => {}
                Ok(n) => {
                    let settings = Settings {
                        nodes: n,
                        ..self.settings.clone()
                    };
                    self.apply(settings);
                }
                Err(e) => self.say(e, true),
            },
            Msg::ApplySettings(form) => match form.parse() {
                Ok(settings) => {
                    self.apply(settings);
                    self.overlay = Overlay::None;
                }
                Err(e) => self.say(e, true),
            },
            Msg::LoadScenario(json) => self.load(&json),
            Msg::ToggleSteadyLoad => {
                self.steady.on = !self.steady.on;
                self.steady.next_at = self.sim.now();
            }
            Msg::Node(node, command) => self.node_command(node, command),
            Msg::Selected(command) => match (self.selected, &command) {
                (Some(node), _) => self.node_command(node, command),
                (None, NodeCommand::QuickRequest) => match self.leader() {
                    Some(leader) => self.node_command(leader, command),
                    None => self.say(
                        crate::i18n::t("No leader yet: select a node to send the request to."),
                        true,
                    ),
                },
                (None, _) => self.say(
                    crate::i18n::t(
                        "Select a node first: click it, or Tab to the cluster and use the arrow keys.",
                    ),
                    true,
                ),
            },
            Msg::CutLink { from, to, both } => {
                self.menu = None;
                self.act(Action::CutLink { from, to, both });
            }
            Msg::RestoreLink { from, to, both } => {
                self.menu = None;
                self.act(Action::RestoreLink { from, to, both });
            }
            Msg::Heal => {
                self.menu = None;
                if self.sim.network().is_split() {
                    self.act(Action::Heal);
                } else {
                    self.say(crate::i18n::t("Nothing to heal: every link is up."), false);
                }
            }
            Msg::Select(node) => {
                self.selected = node.filter(|n| n.index() < self.node_count());
                self.menu = None;
            }
            Msg::SelectNext | Msg::SelectPrevious => {
                let n = self.node_count() as u16;
                let next = match (self.selected, msg == Msg::SelectNext) {
                    (None, true) => 0,
                    (None, false) => n - 1,
                    (Some(s), true) => (s.0 + 1) % n,
                    (Some(s), false) => (s.0 + n - 1) % n,
                };
                self.selected = Some(NodeId(next));
                self.menu = None;
            }
            Msg::OpenSelectedMenu => {
                if let Some(node) = self.selected {
                    let at = self.viewport.to_screen(self.layout.positions[node.index()]);
                    self.menu = Some(Menu::Node { node, at });
                }
            }
            Msg::CloseMenu => self.menu = None,
            Msg::Pointer(p) => self.pointer(p),
            Msg::Resize(viewport) => self.viewport = viewport,
            Msg::ShowOverlay(overlay) => {
                self.overlay = overlay;
                self.menu = None;
            }
            Msg::Escape => {
                if self.overlay != Overlay::None {
                    self.overlay = Overlay::None;
                } else if self.menu.is_some() {
                    self.menu = None;
                } else if !matches!(self.gesture, Gesture::Idle) {
                    self.gesture = Gesture::Idle;
                } else if self.notice.is_some() {
                    self.notice = None;
                } else {
                    self.selected = None;
                    self.travel.selected_event = None;
                }
            }
            Msg::ToggleTheme { system_dark } => {
                let dark = match self.theme {
                    Some(t) => t == Theme::Dark,
                    None => system_dark,
                };
                self.theme = Some(if dark { Theme::Light } else { Theme::Dark });
            }
            Msg::Notify(text) => self.say(text, true),
            Msg::DismissNotice(id) => {
                if self.notice.as_ref().is_some_and(|n| n.id == id) {
                    self.notice = None;
                }
            }
            Msg::HighlightServed(served) => self.served = served,
            Msg::SetProtocol(choice) => self.set_protocol(choice),
            Msg::NextProtocol => self.set_protocol(self.protocol().next()),
            Msg::StartTransaction => self.start_transaction(),
            Msg::SetVote { node, yes } => {
                if self.act(Action::Vote { node, yes }) {
                    let text = if yes {
                        crate::i18n::tf("n{0} will vote yes on the next transactions.", &[&node.0])
                    } else {
                        crate::i18n::tf("n{0} will vote no on the next transactions.", &[&node.0])
                    };
                    self.say(text, false);
                }
            }
            Msg::OpenGallery(id) => self.open_gallery(&id),
            Msg::OpenLink(fragment) => {
                self.open_link(&fragment);
            }
            Msg::RestartEmbed => self.restart_embed(),
            Msg::Travel(msg) => self.travel_update(msg),
            Msg::ToggleRingView => {
                self.ring_view = !self.ring_view;
                self.menu = None;
            }
            Msg::Tour(msg) => self.tour_update(msg),
            Msg::SetLanguage(lang) => {
                self.lang = Some(lang);
                crate::i18n::set(lang);
            }
            Msg::SetMemoryBudget(mb) => self.set_memory_budget(mb),
        }
    }

    /// The protocol of the current run, as the menu names it.
    pub fn protocol(&self) -> ProtocolChoice {
        crate::protocols::of(&self.sim.scenario().protocol)
    }

    fn set_protocol(&mut self, choice: ProtocolChoice) {
        let settings = choice.settings(&self.settings);
        match self.start(settings.scenario()) {
            Ok(()) => {
                self.settings = settings;
                self.overlay = Overlay::None;
                let hint = if choice.is_commit() {
                    crate::i18n::t(" Start a transaction from the Transactions panel (or press R).")
                } else {
                    ""
                };
                let label = crate::i18n::t_dyn(choice.label());
                self.say(
                    crate::i18n::tf("{0}: a fresh run.{1}", &[&label, &hint]),
                    false,
                );
            }
            Err(e) => self.say(e, true),
        }
    }

    fn start_transaction(&mut self) {
        if !self.protocol().is_commit() {
            return self.say(
                crate::i18n::t("Transactions are for two- and three-phase commit."),
                true,
            );
        }
        let coordinator = NodeId(0);
        if !self.sim.is_up(coordinator) {
            return self.say(
                crate::i18n::t("The coordinator (n0) is down: restart it first."),
                true,
            );
        }
        self.transactions += 1;
        let op = Op::Put {
            key: String::from("balance"),
            value: (100 * self.transactions).to_string(),
        };
        self.act(Action::Request {
            node: coordinator,
            client: None,
            op,
        });
    }

    fn open_gallery(&mut self, id: &str) {
        let (entry, mut scenario) = match crate::gallery::entry(id) {
            Ok(found) => found,
            Err(e) => return self.say(e, true),
        };
        scenario.until = None;
        let settings = Settings::from_scenario(&scenario);
        if let Err(e) = self.start(scenario) {
            return self.say(e, true);
        }
        self.settings = settings;
        self.overlay = Overlay::None;
        // Jump: the moment is where the thing to see is on screen. The run
        // waits there, paused, for the person to look and then play on.
        self.travel
            .timeline
            .advance(&mut self.sim, entry.moment, u64::MAX);
        self.check_violation();
        self.playing = false;
        if self.violation_seen {
            // The broken invariant's notice says what to look at.
            self.story = Some(entry);
            return;
        }
        self.say(
            crate::i18n::tf(
                "{0}: at {1}, paused. Press Space to play on.",
                &[
                    &crate::gallery::localized(&entry.title, entry.title_zh.as_deref()),
                    &crate::panel::format_time(entry.moment),
                ],
            ),
            false,
        );
        self.story = Some(entry);
    }

    fn apply(&mut self, settings: Settings) {
        let scenario = settings.scenario();
        match self.start(scenario) {
            Ok(()) => self.settings = settings,
            Err(e) => self.say(e, true),
        }
    }

    fn load(&mut self, json: &str) {
        let mut scenario: Scenario = match serde_json::from_str(json) {
            Ok(s) => s,
            Err(e) => {
                return self.say(crate::i18n::tf("That is not a scenario: {0}.", &[&e]), true)
            }
        };
        // A live run goes on until paused; `until` is for headless runs.
        scenario.until = None;
        let settings = Settings::from_scenario(&scenario);
        let title = scenario.title.clone();
        match self.start(scenario) {
            Ok(()) => {
                self.settings = settings;
                self.overlay = Overlay::None;
                self.say(
                    match title.as_deref() {
                        Some(title) => crate::i18n::tf("Loaded {0}.", &[&title]),
                        None => crate::i18n::t("Loaded the scenario.").to_owned(),
                    },
                    false,
                );
            }
            Err(e) => self.say(e, true),
        }
    }

    fn node_command(&mut self, node: NodeId, command: NodeCommand) {
        self.menu = None;
        if node.index() >= self.node_count() {
            return;
        }
        match command {
            NodeCommand::ToggleCrash => {
                if self.sim.is_up(node) {
                    self.act(Action::Crash { node });
                } else {
                    self.act(Action::Restart { node });
                }
            }
            NodeCommand::Timeout => {
                self.act(Action::Timeout { node });
            }
            NodeCommand::AddServer => {
                self.act(Action::AddServer { node });
            }
            NodeCommand::RemoveServer => {
                self.act(Action::RemoveServer { node });
            }
            NodeCommand::SetClock { offset, drift_ppm } => {
                if self.act(Action::Clock {
                    node,
                    offset,
                    drift_ppm,
                }) {
                    self.say(
                        crate::i18n::tf(
                            "{0}'s clock now reads {1} ahead of true time and drifts {2} ppm.",
                            &[&node, &offset, &drift_ppm],
                        ),
                        false,
                    );
                }
            }
            NodeCommand::Request(op) => {
                if op.key().trim().is_empty() {
                    return self.say(crate::i18n::t("A request needs a key."), true);
                }
                self.act(Action::Request {
                    node,
                    client: None,
                    op,
                });
            }
            NodeCommand::QuickRequest => {
                self.quick_requests += 1;
                let op = sample_op(self.quick_requests);
                self.act(Action::Request {
                    node,
                    client: None,
                    op,
                });
            }
        }
    }

    fn world_radius(&self) -> f64 {
        node_radius(self.node_count())
    }

    fn node_under(&self, at: Vec2, touch: bool) -> Option<usize> {
        let slack_px = if touch { 10.0 } else { 3.0 };
        let world = self.viewport.to_world(at);
        node_at(
            &self.layout.positions,
            self.world_radius(),
            slack_px / self.viewport.scale(),
            world,
        )
    }

    fn link_under(&self, at: Vec2, touch: bool) -> Option<(usize, usize)> {
        let tolerance_px = if touch { 12.0 } else { 6.0 };
        link_at(
            &self.layout.positions,
            self.world_radius(),
            tolerance_px / self.viewport.scale(),
            self.viewport.to_world(at),
        )
    }

    fn pointer(&mut self, p: PointerMsg) {
        match p {
            PointerMsg::Down {
                at,
                button,
                touch,
                time_ms,
            } => {
                self.menu = None;
                let node = self.node_under(at, touch);
                if button == 2 {
                    // The secondary button opens a menu straight away.
                    self.gesture = Gesture::Idle;
                    if let Some(n) = node {
                        let node = NodeId(n as u16);
                        self.selected = Some(node);
                        self.menu = Some(Menu::Node { node, at });
                    } else if let Some((a, b)) = self.link_under(at, touch) {
                        self.open_link_menu(a, b, at);
                    }
                    return;
                }
                self.gesture = Gesture::Pressing {
                    node,
                    start: at,
                    time_ms,
                    touch,
                };
            }
            PointerMsg::Move { at } => match self.gesture {
                Gesture::Idle => {
                    let hover = match self.node_under(at, false) {
                        Some(n) => Hover::Node(n),
                        None => match self.link_under(at, false) {
                            Some((a, b)) => Hover::Link(a, b),
                            None => Hover::Nothing,
                        },
                    };
                    if hover == self.hover {
                        // Nothing to redraw for a pointer that moved over
                        // the same thing.
                        self.version -= 1;
                    }
                    self.hover = hover;
                }
                Gesture::Pressing {
                    node, start, touch, ..
                } => {
                    let slop = if touch {
                        CLICK_SLOP_TOUCH
                    } else {
                        CLICK_SLOP_MOUSE
                    };
                    if at.distance(start) < slop {
                        return;
                    }
                    self.hover = Hover::Nothing;
                    match node {
                        Some(n) => {
                            let grab = self.layout.positions[n] - self.viewport.to_world(start);
                            self.selected = Some(NodeId(n as u16));
                            self.gesture = Gesture::Dragging { node: n, grab };
                            self.drag_to(n, grab, at);
                        }
                        None => {
                            self.gesture = Gesture::Cutting {
                                from: self.viewport.to_world(start),
                                to: self.viewport.to_world(at),
                            };
                        }
                    }
                }
                Gesture::Dragging { node, grab } => self.drag_to(node, grab, at),
                Gesture::Cutting { from, .. } => {
                    self.gesture = Gesture::Cutting {
                        from,
                        to: self.viewport.to_world(at),
                    };
                }
            },
            PointerMsg::Up { at, time_ms } => {
                let gesture = core::mem::replace(&mut self.gesture, Gesture::Idle);
                match gesture {
                    Gesture::Idle => {}
                    Gesture::Pressing {
                        node: Some(n),
                        time_ms: down,
                        touch,
                        ..
                    } => {
                        let node = NodeId(n as u16);
                        self.selected = Some(node);
                        if touch && time_ms - down >= LONG_PRESS_MS {
                            self.menu = Some(Menu::Node { node, at });
                        }
                    }
                    Gesture::Pressing {
                        node: None, touch, ..
                    } if self.pick_message(at, touch) => {}
                    Gesture::Pressing {
                        node: None, touch, ..
                    } => match self.link_under(at, touch) {
                        Some((a, b)) => self.open_link_menu(a, b, at),
                        None => {
                            self.selected = None;
                            self.travel.selected_event = None;
                        }
                    },
                    Gesture::Dragging { node, grab } => {
                        self.drag_to(node, grab, at);
                        self.drop_node(node);
                    }
                    Gesture::Cutting { from, to } => self.cut_across(from, to),
                }
            }
            PointerMsg::Cancel => {
                // The browser took the pointer (a scroll, a system gesture):
                // a dragged node stays where it was last seen.
                if let Gesture::Dragging { node, .. } = self.gesture {
                    self.drop_node(node);
                }
                self.gesture = Gesture::Idle;
            }
            PointerMsg::Leave => {
                if self.hover == Hover::Nothing {
                    self.version -= 1;
                }
                self.hover = Hover::Nothing;
            }
        }
    }

    fn open_link_menu(&mut self, a: usize, b: usize, at: Vec2) {
        self.menu = Some(Menu::Link {
            a: NodeId(a as u16),
            b: NodeId(b as u16),
            at,
        });
    }

    fn drag_to(&mut self, node: usize, grab: Vec2, at: Vec2) {
        let world = self.viewport.to_world(at) + grab;
        // Room for the node's ring, and for the labels and log strip
        // under it, inside the canvas.
        let margin = self.world_radius() * 1.2 + 0.1;
        self.layout
            .place(node, self.viewport.clamp_world(world, margin));
    }

    /// A dragged node was let go: it may have changed group.
    fn drop_node(&mut self, node: usize) {
        let current = canonical_groups(self.sim.network().groups());
        let at = self.layout.positions[node];
        let next = regroup(&current, &self.layout.positions, node, at);
        if next != current {
            let lists = members(&next);
            let groups: Vec<Vec<NodeId>> = lists[1..]
                .iter()
                .map(|m| m.iter().map(|n| NodeId(*n as u16)).collect())
                .collect();
            self.act(Action::Partition { groups });
        }
        self.layout
            .adopt(&canonical_groups(self.sim.network().groups()));
    }

    fn cut_across(&mut self, from: Vec2, to: Vec2) {
        let network = self.sim.network();
        let crossed: Vec<(usize, usize)> = links_crossed(&self.layout.positions, from, to)
            .into_iter()
            .filter(|(a, b)| {
                let (a, b) = (NodeId(*a as u16), NodeId(*b as u16));
                !(network.is_cut(a, b) && network.is_cut(b, a))
            })
            .collect();
        if crossed.is_empty() {
            return;
        }
        for (a, b) in &crossed {
            let (from, to) = (NodeId(*a as u16), NodeId(*b as u16));
            if !self.act(Action::CutLink {
                from,
                to,
                both: true,
            }) {
                return;
            }
        }
        let count = crossed.len();
        self.say(
            if count == 1 {
                crate::i18n::t(
                    "Cut 1 link both ways. Click a link to restore it, or press H to heal.",
                )
                .to_owned()
            } else {
                crate::i18n::tf(
                    "Cut {0} links both ways. Click a link to restore it, or press H to heal.",
                    &[&count],
                )
            },
            false,
        );
    }

    /// Advances the app by one animation frame of `wall_ms` milliseconds.
    /// Returns how many simulation events it processed.
    pub fn frame(&mut self, wall_ms: f64) -> u64 {
        self.frame_within(wall_ms, &mut || true)
    }

    /// [`Model::frame`], stopping the simulation early once `in_budget`
    /// says the frame has used its time (it is asked every few events).
    pub fn frame_within(&mut self, wall_ms: f64, in_budget: &mut dyn FnMut() -> bool) -> u64 {
        // A hidden tab gets no frames; on return, carry on rather than
        // catching up on the time it was away.
        let wall_ms = wall_ms.clamp(0.0, 100.0);
        let mut events = 0;
        self.pending_seek_tick();
        let clock = self.clock;
        if let Some(clock) = clock {
            self.pace_snapshots(clock);
        }
        let mut simulated_ms = None;
        if self.playing {
            let before = self.sim.trace().len();
            let started = clock.map(|c| c());
            self.advance(wall_ms, in_budget);
            simulated_ms = clock.zip(started).map(|(c, s)| c() - s);
            events = self.sim.trace().len() - before;
            self.tour_arrived();
            self.check_violation();
            self.version += 1;
        }
        if clock.is_some() {
            self.paced(simulated_ms);
        }
        self.keep_within_budget();
        self.embed_tick();
        let moved_by_network = self.layout.follow(self.sim.network().groups());
        if self.layout.animate(wall_ms) || moved_by_network {
            self.version += 1;
        }
        events
    }

    fn advance(&mut self, wall_ms: f64, in_budget: &mut dyn FnMut() -> bool) {
        let wanted = wall_ms * 1000.0 * self.speed + self.carry;
        let whole = wanted.floor();
        self.carry = wanted - whole;
        let target = self.sim.now() + Span(whole as u64);
        let target = self.tour_limit(target);
        let start = self.sim.trace().len();
        let checking = !self.violation_seen;
        self.lagging = false;
        let mut steps: u64 = 0;
        loop {
            let stop = if self.steady.on {
                target.min(self.steady.next_at.max(self.sim.now()))
            } else {
                target
            };
            // One event at a time (what `run_until` does inside), so the
            // run halts on the very event that broke an invariant.
            while self.sim.next_event_time().is_some_and(|t| t <= stop) {
                // A caption or request time is never passed
                self.travel.timeline.step_within(&mut self.sim, stop);
                steps += 1;
                if checking && self.sim.violation().is_some() {
                    self.carry = 0.0;
                    return;
                }
                let over = self.sim.trace().len() - start >= EVENTS_PER_FRAME;
                if over || (steps % EVENTS_PER_CHUNK == 0 && !in_budget()) {
                    self.lagging = true;
                    self.carry = 0.0;
                    return;
                }
            }
            // Nothing else is due before `stop`: the clock moves there.
            self.travel.timeline.advance(&mut self.sim, stop, u64::MAX);
            // Behind the timeline's end the recorded requests replay.
            let live = !self.travel.timeline.is_behind(&self.sim);
            if self.steady.on && live && stop >= self.steady.next_at {
                self.steady_tick();
            }
            if stop >= target {
                return;
            }
        }
    }

    /// The steady request stream: one client, one request at a time, to
    /// the leader when there is one.
    fn steady_tick(&mut self) {
        let now = self.sim.now();
        if let Some(i) = self.steady.waiting {
            if self
                .sim
                .history()
                .get(i)
                .is_some_and(|op| op.result.is_none())
            {
                // Still waiting: look again a little later.
                self.steady.next_at = now + Span::from_millis(20);
                return;
            }
        }
        self.steady.sent += 1;
        let n = self.node_count();
        let node = self
            .leader()
            .unwrap_or(NodeId((self.steady.sent % n as u64) as u16));
        let op = sample_op(self.steady.sent);
        let index = self.sim.history().len();
        let action = Action::Request {
            node,
            client: Some(STEADY_CLIENT),
            op,
        };
        if self.travel.timeline.act(&mut self.sim, action).is_ok() {
            self.steady.waiting = Some(index);
        }
        self.steady.next_at = now + STEADY_EVERY;
    }
}

/// The next speed on the [`SPEEDS`] scale, up or down.
pub fn step_speed(speed: f64, direction: i32) -> f64 {
    if direction > 0 {
        SPEEDS
            .iter()
            .copied()
            .find(|s| *s > speed * 1.0001)
            .unwrap_or(SPEEDS[SPEEDS.len() - 1])
    } else {
        SPEEDS
            .iter()
            .rev()
            .copied()
            .find(|s| *s < speed * 0.9999)
            .unwrap_or(SPEEDS[0])
    }
}

/// A small repeating sequence of operations on three keys, so requests
/// sent by a key press or the steady stream are varied but readable.
pub fn sample_op(k: u64) -> Op {
    let key = String::from(["x", "y", "z"][(k % 3) as usize]);
    match k % 4 {
        0 => Op::Get { key },
        1 => Op::Put {
            key,
            value: k.to_string(),
        },
        2 => Op::Append {
            key,
            value: format!("{k};"),
        },
        _ => Op::Put {
            key,
            value: k.to_string(),
        },
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_core::protocol::RoleKind;

    fn model() -> Model {
        let mut m = Model::new(7);
        m.update(Msg::Resize(Viewport {
            width: 800.0,
            height: 600.0,
        }));
        m.update(Msg::SetSpeed(1.0));
        m
    }

    /// Runs `ms` of simulated time at 1x in 16 ms frames.
    fn run(m: &mut Model, ms: u64) {
        for _ in 0..ms / 16 {
            m.frame(16.0);
        }
    }

    fn screen_of(m: &Model, node: usize) -> Vec2 {
        m.viewport.to_screen(m.layout.positions[node])
    }

    fn drag(m: &mut Model, node: usize, to: Vec2) {
        let from = screen_of(m, node);
        m.update(Msg::Pointer(PointerMsg::Down {
            at: from,
            button: 0,
            touch: false,
            time_ms: 0.0,
        }));
        for k in 1..=5 {
            let at = from.lerp(to, f64::from(k) / 5.0);
            m.update(Msg::Pointer(PointerMsg::Move { at }));
        }
        m.update(Msg::Pointer(PointerMsg::Up {
            at: to,
            time_ms: 100.0,
        }));
    }

    fn commit(m: &Model, node: u16) -> u64 {
        m.sim().node_view(NodeId(node)).commit_index
    }

    #[test]
    fn a_leader_is_elected_on_the_default_cluster() {
        let mut m = model();
        run(&mut m, 1500);
        assert!(m.leader().is_some());
    }

    #[test]
    fn frames_advance_simulated_time_by_wall_time_times_speed() {
        let mut m = model();
        m.update(Msg::SetSpeed(0.1));
        for _ in 0..10 {
            m.frame(10.0);
        }
        assert_eq!(m.sim().now(), Time(10_000));
        m.update(Msg::TogglePlay);
        m.frame(10.0);
        assert_eq!(m.sim().now(), Time(10_000), "paused");
    }

    #[test]
    fn a_frame_never_processes_more_than_its_budget() {
        let mut m = model();
        m.update(Msg::SetSpeed(1000.0));
        let events = m.frame(100.0);
        assert!(events <= EVENTS_PER_FRAME, "{events}");
        assert!(m.lagging);
    }

    #[test]
    fn a_frame_stops_when_its_time_budget_runs_out() {
        let mut m = model();
        m.update(Msg::SetSpeed(1000.0));
        let mut looks = 0;
        let events = m.frame_within(100.0, &mut || {
            looks += 1;
            looks < 3
        });
        // Three chunks of steps; a step records one event or a few.
        assert_eq!(looks, 3);
        assert!(
            (3 * EVENTS_PER_CHUNK..EVENTS_PER_FRAME).contains(&events),
            "{events}"
        );
        assert!(m.lagging);
    }

    #[test]
    fn dragging_two_nodes_away_partitions_them_and_only_the_majority_commits() {
        let mut m = model();
        run(&mut m, 1500);
        drag(&mut m, 3, Vec2::new(60.0, 540.0));
        drag(&mut m, 4, Vec2::new(110.0, 540.0));
        assert_eq!(
            canonical_groups(m.sim().network().groups()),
            vec![0, 0, 0, 1, 1]
        );
        // Let a majority leader settle, then ask both sides to write.
        run(&mut m, 1500);
        let (minority_before, majority_before) = (commit(&m, 3), commit(&m, 0));
        m.update(Msg::Node(NodeId(3), NodeCommand::QuickRequest));
        let leader = m.leader().filter(|l| l.0 < 3).expect("a majority leader");
        m.update(Msg::Node(leader, NodeCommand::QuickRequest));
        run(&mut m, 1000);
        assert_eq!(commit(&m, 3), minority_before, "the minority committed");
        assert!(
            commit(&m, 0) > majority_before,
            "the majority did not commit"
        );

        // Heal: the nodes go back to the ring and the logs converge.
        m.update(Msg::Heal);
        run(&mut m, 2000);
        let views: Vec<_> = (0..5).map(|i| m.sim().node_view(NodeId(i))).collect();
        assert!(views.iter().all(|v| v.log_tail == views[0].log_tail));
        assert!(m.layout.is_settled());
        assert_eq!(m.layout.positions, Layout::ring(5).positions);
    }

    #[test]
    fn a_click_selects_and_a_right_click_opens_the_node_menu() {
        let mut m = model();
        let at = screen_of(&m, 2);
        m.update(Msg::Pointer(PointerMsg::Down {
            at,
            button: 0,
            touch: false,
            time_ms: 0.0,
        }));
        m.update(Msg::Pointer(PointerMsg::Up { at, time_ms: 50.0 }));
        assert_eq!(m.selected, Some(NodeId(2)));
        assert_eq!(m.menu, None);
        m.update(Msg::Pointer(PointerMsg::Down {
            at,
            button: 2,
            touch: false,
            time_ms: 0.0,
        }));
        assert_eq!(
            m.menu,
            Some(Menu::Node {
                node: NodeId(2),
                at
            })
        );
    }

    #[test]
    fn a_long_press_on_a_touch_screen_opens_the_node_menu() {
        let mut m = model();
        let at = screen_of(&m, 1);
        m.update(Msg::Pointer(PointerMsg::Down {
            at,
            button: 0,
            touch: true,
            time_ms: 0.0,
        }));
        m.update(Msg::Pointer(PointerMsg::Up { at, time_ms: 700.0 }));
        assert!(matches!(
            m.menu,
            Some(Menu::Node {
                node: NodeId(1),
                ..
            })
        ));
    }

    #[test]
    fn clicking_a_link_opens_its_menu_and_the_menu_cuts_one_way() {
        let mut m = model();
        let mid = screen_of(&m, 0).lerp(screen_of(&m, 1), 0.5);
        m.update(Msg::Pointer(PointerMsg::Down {
            at: mid,
            button: 0,
            touch: false,
            time_ms: 0.0,
        }));
        m.update(Msg::Pointer(PointerMsg::Up {
            at: mid,
            time_ms: 50.0,
        }));
        assert!(matches!(
            m.menu,
            Some(Menu::Link {
                a: NodeId(0),
                b: NodeId(1),
                ..
            })
        ));
        m.update(Msg::CutLink {
            from: NodeId(0),
            to: NodeId(1),
            both: false,
        });
        let net = m.sim().network();
        assert!(net.is_cut(NodeId(0), NodeId(1)) && !net.is_cut(NodeId(1), NodeId(0)));
        assert_eq!(m.menu, None);
    }

    #[test]
    fn a_stroke_across_the_ring_cuts_every_link_it_crosses() {
        let mut m = model();
        // A vertical stroke through the middle of the canvas separates
        // nodes 1 and 2 (right) from 3 and 4 (left); node 0 is on the line.
        let (top, bottom) = (Vec2::new(420.0, 0.0), Vec2::new(420.0, 600.0));
        m.update(Msg::Pointer(PointerMsg::Down {
            at: top,
            button: 0,
            touch: false,
            time_ms: 0.0,
        }));
        m.update(Msg::Pointer(PointerMsg::Move { at: bottom }));
        assert!(m.cut_stroke().is_some());
        m.update(Msg::Pointer(PointerMsg::Up {
            at: bottom,
            time_ms: 90.0,
        }));
        let net = m.sim().network();
        for (a, b) in [(1, 3), (1, 4), (2, 3), (2, 4), (0, 1), (0, 2)] {
            assert!(
                net.is_cut(NodeId(a), NodeId(b)) && net.is_cut(NodeId(b), NodeId(a)),
                "{a}-{b}"
            );
        }
        assert!(!net.is_cut(NodeId(3), NodeId(4)));
        assert!(!net.is_cut(NodeId(1), NodeId(2)));
    }

    #[test]
    fn crashing_the_leader_leads_to_a_new_one() {
        let mut m = model();
        run(&mut m, 1500);
        let old = m.leader().unwrap();
        m.update(Msg::Select(Some(old)));
        m.update(Msg::Selected(NodeCommand::ToggleCrash));
        assert_eq!(m.sim().node_view(old).role, RoleKind::Down);
        run(&mut m, 2000);
        let new = m.leader().expect("a new leader");
        assert_ne!(new, old);
        m.update(Msg::Selected(NodeCommand::ToggleCrash));
        assert!(m.sim().is_up(old), "restarted");
    }

    #[test]
    fn refused_actions_become_notices_not_panics() {
        let mut m = model();
        m.update(Msg::Selected(NodeCommand::Timeout));
        assert!(m.notice.as_ref().unwrap().text.starts_with("Select a node"));
        m.update(Msg::SetNodes("52".into()));
        assert!(m.notice.as_ref().unwrap().text.contains("from 1 to 51"));
        assert_eq!(m.node_count(), 5);
        m.update(Msg::LoadScenario("{\"nodes\": 3}".into()));
        assert!(m.notice.as_ref().unwrap().error);
        m.update(Msg::Node(NodeId(1), NodeCommand::ToggleCrash));
        m.update(Msg::Node(NodeId(1), NodeCommand::Timeout));
        assert!(
            m.notice.as_ref().unwrap().text.contains("down"),
            "{:?}",
            m.notice
        );
    }

    #[test]
    fn resizing_the_cluster_starts_over_on_a_new_ring() {
        let mut m = model();
        m.update(Msg::Select(Some(NodeId(4))));
        m.update(Msg::SetNodes("3".into()));
        assert_eq!(m.node_count(), 3);
        assert_eq!(m.layout.positions.len(), 3);
        assert_eq!(m.selected, None);
    }

    #[test]
    fn the_live_run_replays_from_its_exported_scenario() {
        let mut m = model();
        m.update(Msg::ToggleSteadyLoad);
        run(&mut m, 800);
        m.update(Msg::Node(NodeId(2), NodeCommand::ToggleCrash));
        run(&mut m, 700);
        let json = m.scenario_json();
        let now = m.sim().now();
        let scenario: Scenario = serde_json::from_str(&json).unwrap();
        let mut replay = splitbrain_core::build(&scenario, RunOptions::default()).unwrap();
        replay.run_until(now, u64::MAX);
        assert_eq!(replay.trace().hash(), m.sim().trace().hash());
        assert!(m
            .sim()
            .history()
            .iter()
            .any(|op| op.client == STEADY_CLIENT && op.result.is_some()));
    }

    #[test]
    fn a_violation_pauses_the_run_and_says_why() {
        let json = include_str!("../../../web/scenarios/raft-broken-figure8.json");
        let mut m = model();
        m.update(Msg::LoadScenario(json.into()));
        assert!(
            m.notice.as_ref().is_some_and(|n| !n.error),
            "{:?}",
            m.notice
        );
        m.update(Msg::SetSpeed(1000.0));
        for _ in 0..200 {
            m.frame(16.0);
            if !m.playing {
                break;
            }
        }
        assert!(!m.playing, "the broken Raft ran on");
        let found = m.sim().violation().unwrap().time;
        assert!(
            m.sim().now().0 - found.0 < 100_000,
            "ran on past the violation"
        );
        let notice = m.notice.as_ref().unwrap();
        assert!(
            notice.error && notice.text.contains("state machine safety"),
            "{notice:?}"
        );
        // Stepping on is allowed, but the run stays paused.
        m.update(Msg::Step);
        assert!(!m.playing);
    }

    #[test]
    fn keyboard_selection_wraps_around() {
        let mut m = model();
        m.update(Msg::SelectPrevious);
        assert_eq!(m.selected, Some(NodeId(4)));
        m.update(Msg::SelectNext);
        assert_eq!(m.selected, Some(NodeId(0)));
        m.update(Msg::Escape);
        assert_eq!(m.selected, None);
    }

    #[test]
    fn speeds_step_along_the_scale_and_stop_at_its_ends() {
        assert_eq!(step_speed(0.1, 1), 0.2);
        assert_eq!(step_speed(0.1, -1), 0.05);
        assert_eq!(step_speed(1000.0, 1), 1000.0);
        assert_eq!(step_speed(0.01, -1), 0.01);
        assert_eq!(step_speed(0.15, 1), 0.2, "off-scale speeds snap");
    }
}

#[path = "timetravel.rs"]
mod timetravel;
pub use timetravel::{action_text, log_diff, LogDiff, TimeTravel, TravelMsg, TravelView};
pub use timetravel::{EntryState, FlightSpot};
mod tour;
pub use tour::{Tour, TourMsg, TourView};
mod pacing;
pub use pacing::Pacing;
mod budget;
pub use budget::{Budget, DEFAULT_BUDGET_MB, MAX_BUDGET_MB, MIN_BUDGET_MB};
