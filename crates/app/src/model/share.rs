//! The model's side of permalinks and embeds: the link of the run as it
//! stands, and opening one. The codec is [`crate::link`].

use super::*;
use crate::link::{self, Embed, Link, View};

/// The most events opening a link may run to reach its time. Honest links
/// stay far below (an hour of a five-node Raft is about a million); a
/// hand-edited one stops here with a notice instead of freezing the page.
pub const MAX_OPEN_EVENTS: u64 = 5_000_000;

impl Model {
    /// The run as it stands, as a link: the scenario with every action so
    /// far, where time is, and how it plays.
    pub fn link(&self) -> Link {
        // The timeline holds the action list (the cursor does not).
        let mut scenario = self.travel.timeline.scenario(self.sim.scenario());
        scenario.until = None;
        scenario.captions = self.tour.captions.clone();
        Link {
            scenario,
            view: View {
                time: self.sim.now(),
                speed: self.speed,
                paused: !self.playing,
                steady: self.steady.on,
                overlay: self.overlay,
                selected: self.selected,
                lang: self.lang,
            },
            embed: self.embed.clone(),
        }
    }

    /// [`Model::link`], encoded for a URL fragment (without `#`).
    pub fn link_text(&self) -> String {
        link::encode(&self.link())
    }

    /// The link of this run for an embed with `options`: it starts at
    /// `start` (the beginning or now).
    pub fn embed_link_text(&self, options: Embed, start: Time) -> String {
        let mut link = self.link();
        link.view.time = start;
        link.view.paused = false;
        link.view.overlay = Overlay::None;
        link.view.selected = None;
        link.embed = Some(options);
        link::encode(&link)
    }

    /// Opens a link. A bad one leaves a notice saying what is wrong with
    /// it, and the run as it was; returns whether it opened.
    pub fn open_link(&mut self, fragment: &str) -> bool {
        let link = match link::decode(fragment) {
            // First, so what opening says is in it too
            Ok(link) => {
                if let Some(lang) = link.view.lang {
                    self.lang = Some(lang);
                    crate::i18n::set(lang);
                }
                link
            }
            Err(e) => {
                self.say(
                    crate::i18n::tf(
                        "This link could not be opened: {0}. Showing the default run instead.",
                        &[&e],
                    ),
                    true,
                );
                return false;
            }
        };
        let settings = Settings::from_scenario(&link.scenario);
        let title = link.scenario.title.clone();
        if let Err(e) = self.start(link.scenario.clone()) {
            self.say(
                crate::i18n::tf(
                    "This link could not be opened: {0} Showing the default run instead.",
                    &[&e],
                ),
                true,
            );
            return false;
        }
        self.settings = settings;
        if !self.run_to(link.view.time) {
            self.say(
                crate::i18n::tf(
                    "This link points further into the run than the page can reach at once; it stopped at {0}.",
                    &[&crate::panel::format_time(self.sim.now())],
                ),
                true,
            );
        }
        self.speed = link.view.speed;
        self.playing = !link.view.paused;
        self.steady.on = link.view.steady;
        self.steady.next_at = self.sim.now();
        self.overlay = link.view.overlay;
        self.selected = link.view.selected;
        if let Some(embed) = &link.embed {
            self.playing = embed.autoplay;
            self.overlay = Overlay::None;
            self.theme = embed.theme.or(self.theme);
            self.embed_start = link.view.time;
            self.embed_loop_at = embed.loop_at(&link);
        } else if let Some(title) = title {
            self.say(crate::i18n::tf("Opened {0}.", &[&title]), false);
        }
        self.embed = link.embed;
        self.check_violation();
        self.version += 1;
        true
    }

    /// Runs the simulation up to `time`, within [`MAX_OPEN_EVENTS`].
    fn run_to(&mut self, time: Time) -> bool {
        // Through the timeline, so the replayed stretch gets its snapshots
        // and markers like one played live.
        self.travel
            .timeline
            .advance(&mut self.sim, time, MAX_OPEN_EVENTS);
        self.sim.now() >= time
    }

    /// A looping embed that reached its end starts over from its start.
    pub(super) fn embed_tick(&mut self) {
        let looping = self.embed.as_ref().is_some_and(|e| e.looped);
        if looping && self.sim.now() >= self.embed_loop_at {
            self.restart_embed();
        }
    }

    /// Back to the embed's start time (the beginning, outside an embed).
    pub(super) fn restart_embed(&mut self) {
        let base = self.base.clone();
        match self.start(base) {
            Ok(()) => {
                let start = self.embed_start;
                self.run_to(start);
                self.version += 1;
            }
            Err(e) => self.say(e, true),
        }
    }

    /// The title of the scenario, if it has one. Text, never markup.
    pub fn title(&self) -> Option<&str> {
        self.sim.scenario().title.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::controls;

    fn model() -> Model {
        let mut m = Model::new(7);
        m.update(Msg::SetSpeed(1.0));
        m
    }

    fn run(m: &mut Model, ms: u64) {
        for _ in 0..ms / 16 {
            m.frame(16.0);
        }
    }

    fn hash(m: &Model) -> u64 {
        m.sim().trace().hash()
    }

    #[test]
    fn a_link_opened_in_a_new_page_shows_the_same_run_at_the_same_time() {
        let mut m = model();
        run(&mut m, 1200);
        m.update(Msg::Node(NodeId(1), NodeCommand::ToggleCrash));
        run(&mut m, 500);
        m.update(Msg::CutLink {
            from: NodeId(0),
            to: NodeId(2),
            both: true,
        });
        m.update(Msg::Node(NodeId(0), NodeCommand::QuickRequest));
        run(&mut m, 700);
        m.update(Msg::Select(Some(NodeId(4))));
        m.update(Msg::TogglePlay);
        let text = m.link_text();

        let mut fresh = Model::new(99);
        assert!(fresh.open_link(&format!("#{text}")));
        assert_eq!(fresh.sim().now(), m.sim().now());
        assert_eq!(hash(&fresh), hash(&m));
        assert_eq!(fresh.selected, Some(NodeId(4)));
        assert!(!fresh.playing);
        assert_eq!(fresh.speed, 1.0);
        assert_eq!(fresh.sim().scenario(), m.sim().scenario());
        // Both go on the same way.
        m.update(Msg::TogglePlay);
        fresh.update(Msg::TogglePlay);
        run(&mut m, 500);
        run(&mut fresh, 500);
        assert_eq!(hash(&fresh), hash(&m));
    }

    #[test]
    fn a_bad_link_leaves_a_notice_and_the_default_run() {
        let mut m = Model::new(1);
        assert!(!m.open_link("#AQALDgKA6jAAAQIDB"));
        let notice = m.notice.clone().unwrap();
        assert!(
            notice.error && notice.text.contains("cut short"),
            "{notice:?}"
        );
        assert_eq!(m.sim().scenario(), &Settings::default().scenario());
        run(&mut m, 100);
        assert!(m.sim().now() > Time::ZERO, "the default run goes on");
    }

    #[test]
    fn an_embed_starts_where_asked_and_loops() {
        let mut m = model();
        run(&mut m, 600);
        m.update(Msg::Node(NodeId(2), NodeCommand::ToggleCrash));
        let options = Embed {
            autoplay: true,
            looped: true,
            loop_end: Some(Time(900_000)),
            controls: controls::PLAY,
            theme: Some(Theme::Dark),
        };
        let text = m.embed_link_text(options, Time(100_000));
        let mut e = Model::new(3);
        assert!(e.open_link(&text));
        assert!(e.embed.is_some() && e.playing);
        assert_eq!(e.theme, Some(Theme::Dark));
        assert_eq!(e.sim().now(), Time(100_000));
        e.update(Msg::SetSpeed(1.0));
        run(&mut e, 900);
        assert!(e.sim().now() < Time(900_000), "it looped back");
        assert!(e.sim().now() >= Time(100_000));
    }

    #[test]
    fn the_chosen_language_travels_in_the_link_and_wins_when_it_opens() {
        use crate::i18n::{self, Lang};
        let mut m = model();
        // Not chosen: links leave it out, and a reader keeps their own.
        assert_eq!(m.link().view.lang, None);
        m.update(Msg::SetLanguage(Lang::ZhHans));
        assert_eq!(i18n::current(), Lang::ZhHans);
        assert_eq!(m.link().view.lang, Some(Lang::ZhHans));
        let text = m.link_text();
        let embed = m.embed_link_text(Embed::default(), Time::ZERO);

        i18n::set(Lang::En);
        let mut reader = Model::new(5);
        assert!(reader.open_link(&text));
        assert_eq!(i18n::current(), Lang::ZhHans);
        assert_eq!(reader.lang, Some(Lang::ZhHans));
        // An embed speaks the language of its link too.
        i18n::set(Lang::En);
        let mut e = Model::new(5);
        assert!(e.open_link(&embed));
        assert_eq!(i18n::current(), Lang::ZhHans);
        // A link without a language leaves the reader's as it is.
        let plain = Model::new(5).link_text();
        assert!(e.open_link(&plain));
        assert_eq!(i18n::current(), Lang::ZhHans);
        // What a bad link says is in the reader's language.
        i18n::set(Lang::ZhHans);
        let mut broken = Model::new(5);
        assert!(!broken.open_link("#AQALDgKA6jAAAQIDB"));
        let text = broken.notice.unwrap().text;
        assert!(
            text.contains("无法打开此链接") && text.contains("截断"),
            "{text}"
        );
        i18n::set(Lang::En);
    }
}
