//! Tours: captions pinned to simulated times. Playing stops exactly at
//! each caption's time and waits for the person to continue; previous and
//! next move between captions through the timeline (a seek back, or a run
//! forward), and a person can write, change and delete captions on any
//! run. The captions travel with the scenario (and so in the link), and
//! never change the run: they are not actions.

use super::*;
use splitbrain_core::{scenario::check_captions, Caption};

/// What a tour can be asked to do.
#[derive(Clone, Debug, PartialEq)]
pub enum TourMsg {
    /// Play on from the caption the run is waiting at.
    Continue,
    /// Back to the caption before the one on screen (or to the start of
    /// the one on screen, when the run has moved past it).
    Previous,
    /// On to the next caption.
    Next,
    /// A caption at the current time; replaces the text of one already
    /// there.
    Add(String),
    /// New text for caption `i`.
    Edit(usize, String),
    Delete(usize),
}

/// The tour of the current run.
#[derive(Clone, Debug, Default)]
pub struct Tour {
    pub captions: Vec<Caption>,
    /// The caption playback last stopped at; playing does not stop there
    /// again until the run goes back before it.
    stopped: Option<usize>,
    /// Where the frame under way started, to see which caption it crossed.
    frame_from: Time,
}

impl Tour {
    pub fn new(captions: &[Caption]) -> Tour {
        Tour {
            captions: captions.to_vec(),
            stopped: None,
            frame_from: Time::ZERO,
        }
    }

    /// The caption on screen at `now`: the last one at or before it.
    pub fn current(&self, now: Time) -> Option<usize> {
        self.captions.iter().rposition(|c| c.at <= now)
    }

    /// The first caption after `now`.
    pub fn next_after(&self, now: Time) -> Option<usize> {
        self.captions.iter().position(|c| c.at > now)
    }
}

/// What the tour panel shows.
#[derive(Clone, Debug, PartialEq)]
pub struct TourView {
    pub captions: Vec<Caption>,
    pub current: Option<usize>,
    /// The run is paused exactly at the current caption's time.
    pub waiting: bool,
    pub now: Time,
}

impl Model {
    pub fn tour(&self) -> &Tour {
        &self.tour
    }

    pub fn tour_view(&self) -> TourView {
        let now = self.sim.now();
        let current = self.tour.current(now);
        TourView {
            captions: self.tour.captions.clone(),
            current,
            waiting: !self.playing
                && current.is_some_and(|i| {
                    self.tour.stopped == Some(i) || self.tour.captions[i].at == now
                }),
            now,
        }
    }

    /// A fresh run takes its scenario's captions.
    pub(super) fn tour_start(&mut self) {
        self.tour = Tour::new(&self.base.captions);
    }

    /// Where a frame that wanted to reach `target` may go: no further than
    /// the next caption's time.
    pub(super) fn tour_limit(&mut self, target: Time) -> Time {
        // An embed has no tour panel to continue from: it plays through
        // (an autoplaying, looping embed must never stall).
        if self.embed.is_some() {
            return target;
        }
        let now = self.sim.now();
        self.tour.frame_from = now;
        if let Some(s) = self.tour.stopped {
            if self.tour.captions.get(s).is_none_or(|c| c.at > now) {
                self.tour.stopped = None;
            }
        }
        match self.tour.next_after(now) {
            Some(i) if self.tour.captions[i].at < target => self.tour.captions[i].at,
            _ => target,
        }
    }

    /// After a frame: on reaching a caption's time, pause there (once).
    ///
    /// The frame stops at the caption's time, and the clock is then exactly
    /// there: the frame steps with `step_within`, which never runs on
    /// through silent events (stale timers) past it.
    pub(super) fn tour_arrived(&mut self) {
        if !self.playing || self.embed.is_some() {
            return;
        }
        let now = self.sim.now();
        let Some(i) = self.tour.current(now) else {
            return;
        };
        let at = self.tour.captions[i].at;
        let reached = at == now || at > self.tour.frame_from;
        if reached && self.tour.stopped != Some(i) {
            self.tour.stopped = Some(i);
            self.playing = false;
            self.carry = 0.0;
        }
    }

    pub fn tour_update(&mut self, msg: TourMsg) {
        self.version += 1;
        let now = self.sim.now();
        match msg {
            TourMsg::Continue => {
                self.tour.stopped = self.tour.current(now);
                self.playing = true;
            }
            TourMsg::Previous => {
                // Waiting at a caption (or exactly on one): the one before;
                // past one: back to its start.
                let target = match self.tour.current(now) {
                    Some(i) => {
                        let waiting_here = self.tour.stopped == Some(i) && !self.playing;
                        if self.tour.captions[i].at < now && !waiting_here {
                            Some(i)
                        } else {
                            i.checked_sub(1)
                        }
                    }
                    None => None,
                };
                match target {
                    Some(i) => self.tour_go(i),
                    None => self.say(crate::i18n::t("This is the first caption."), false),
                }
            }
            TourMsg::Next => match self.tour.next_after(now) {
                Some(i) => self.tour_go(i),
                None => self.say(crate::i18n::t("That was the last caption."), false),
            },
            TourMsg::Add(text) => {
                let text = text.trim().to_string();
                let mut captions = self.tour.captions.clone();
                let i = match captions.iter().position(|c| c.at >= now) {
                    Some(i) if captions[i].at == now => {
                        captions[i].text = text;
                        i
                    }
                    Some(i) => {
                        captions.insert(i, Caption { at: now, text });
                        i
                    }
                    None => {
                        captions.push(Caption { at: now, text });
                        captions.len() - 1
                    }
                };
                if self.tour_set(captions) {
                    self.tour.stopped = Some(i);
                }
            }
            TourMsg::Edit(i, text) => {
                let mut captions = self.tour.captions.clone();
                if let Some(c) = captions.get_mut(i) {
                    c.text = text.trim().to_string();
                    self.tour_set(captions);
                }
            }
            TourMsg::Delete(i) => {
                if i < self.tour.captions.len() {
                    let mut captions = self.tour.captions.clone();
                    captions.remove(i);
                    self.tour.stopped = None;
                    self.tour_set(captions);
                }
            }
        }
    }

    /// Replaces the captions if they are valid (else says why): they go
    /// into the scenario Reset replays and the link carries.
    fn tour_set(&mut self, captions: Vec<Caption>) -> bool {
        if let Err(e) = check_captions(&captions) {
            self.say(
                crate::i18n::tf("The caption was not saved: {0}.", &[&e]),
                true,
            );
            return false;
        }
        self.base.captions = captions.clone();
        self.tour.captions = captions;
        true
    }

    /// Shows caption `i`: a seek back (or forward within what was already
    /// computed), else a run forward to its time; paused there.
    fn tour_go(&mut self, i: usize) {
        let at = self.tour.captions[i].at;
        if at <= self.travel.timeline.head_time() {
            self.travel_update(TravelMsg::SeekTime(at.0));
        } else {
            // Past the end of what was computed: run on to it.
            self.travel
                .timeline
                .advance(&mut self.sim, at, share::MAX_OPEN_EVENTS);
            self.check_violation();
            self.playing = false;
            self.carry = 0.0;
        }
        self.tour.stopped = Some(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOURED: &str = r#"{
      "protocol": { "name": "raft" },
      "nodes": 5,
      "seed": 7,
      "actions": [ { "at": "1s", "action": { "kind": "crash", "node": 0 } } ],
      "captions": [
        { "at": "333ms", "text": "First." },
        { "at": "1s", "text": "Second <b>." },
        { "at": "1.777s", "text": "Third." }
      ]
    }"#;

    fn toured() -> Model {
        let mut m = Model::new(7);
        m.update(Msg::LoadScenario(TOURED.into()));
        m.update(Msg::SetSpeed(1.0));
        m.playing = true;
        m
    }

    /// Plays frames of 16 ms until the run pauses (or gives up).
    fn play_until_paused(m: &mut Model) {
        for _ in 0..1000 {
            m.frame(16.0);
            if !m.playing {
                return;
            }
        }
        panic!("never paused");
    }

    #[test]
    fn playback_stops_exactly_at_each_caption_and_continues() {
        let mut m = toured();
        play_until_paused(&mut m);
        assert_eq!(m.sim().now(), Time(333_000), "not overshot");
        let v = m.tour_view();
        assert_eq!(v.current, Some(0));
        assert!(v.waiting);
        m.update(Msg::Tour(TourMsg::Continue));
        play_until_paused(&mut m);
        assert_eq!(m.sim().now(), Time(1_000_000));
        assert_eq!(m.tour_view().captions[1].text, "Second <b>.");
        // Space (play) continues as well.
        m.update(Msg::TogglePlay);
        play_until_paused(&mut m);
        assert_eq!(m.sim().now(), Time(1_777_000));
        // After the last caption playing goes on.
        m.update(Msg::Tour(TourMsg::Continue));
        for _ in 0..20 {
            m.frame(16.0);
        }
        assert!(m.playing);
        assert!(m.sim().now() > Time(2_000_000));
        assert_eq!(m.tour_view().current, Some(2));
        assert!(!m.tour_view().waiting);
    }

    /// The Raft gallery tour, played from its moment: each pause is on a
    /// caption, exactly at its time, and previous/next keep moving.
    #[test]
    fn the_gallery_tour_plays_caption_by_caption() {
        let mut m = Model::new(7);
        m.update(Msg::OpenGallery("raft-minority-leader".into()));
        assert_eq!(m.sim().now(), Time(2_000_000));
        assert!(m.tour_view().waiting);
        m.update(Msg::SetSpeed(1.0));
        for expected in [5usize, 6, 7] {
            let at = m.tour().captions[expected].at;
            m.update(Msg::Tour(TourMsg::Continue));
            play_until_paused(&mut m);
            assert_eq!(m.sim().now(), at, "stopped exactly at the caption");
            let v = m.tour_view();
            assert_eq!(v.current, Some(expected));
            assert!(v.waiting);
        }
        for expected in [6usize, 5, 4, 3] {
            m.update(Msg::Tour(TourMsg::Previous));
            assert_eq!(m.tour_view().current, Some(expected), "previous");
            assert!(m.tour_view().waiting);
        }
        m.update(Msg::Tour(TourMsg::Next));
        assert_eq!(m.tour_view().current, Some(4), "next");
    }

    #[test]
    fn an_embed_plays_through_its_captions() {
        let mut m = toured();
        m.embed = Some(crate::link::Embed::default());
        for _ in 0..150 {
            m.frame(16.0);
        }
        assert!(m.playing);
        assert!(m.sim().now() > Time(2_000_000));
    }

    #[test]
    fn captions_do_not_change_the_run() {
        let mut toured = toured();
        let plain_json = TOURED.split("\"captions\"").next().unwrap().trim_end();
        let plain_json = format!("{}}}", plain_json.trim_end_matches(','));
        let mut plain = Model::new(7);
        plain.update(Msg::LoadScenario(plain_json));
        plain.update(Msg::SetSpeed(1.0));
        plain.playing = true;
        while toured.sim().now() < Time(2_500_000) {
            toured.frame(16.0);
            toured.playing = true;
        }
        plain
            .travel
            .timeline
            .advance(&mut plain.sim, toured.sim().now(), u64::MAX);
        assert_eq!(toured.sim().trace().hash(), plain.sim().trace().hash());
    }

    #[test]
    fn previous_and_next_move_between_captions_through_the_timeline() {
        let mut m = toured();
        m.update(Msg::Tour(TourMsg::Next));
        assert_eq!(m.sim().now(), Time(333_000));
        m.update(Msg::Tour(TourMsg::Next));
        assert_eq!(m.sim().now(), Time(1_000_000));
        assert!(!m.playing);
        let hash_at_second = m.sim().trace().hash();
        m.update(Msg::Tour(TourMsg::Next));
        assert_eq!(m.sim().now(), Time(1_777_000));
        m.update(Msg::Tour(TourMsg::Previous));
        assert_eq!(m.sim().now(), Time(1_000_000));
        assert_eq!(m.sim().trace().hash(), hash_at_second, "the same instant");
        m.update(Msg::Tour(TourMsg::Previous));
        m.update(Msg::Tour(TourMsg::Previous));
        assert_eq!(m.sim().now(), Time(333_000));
        assert!(m.notice.as_ref().unwrap().text.contains("first caption"));
        // Playing on from a caption reached by going back stops at the next.
        m.update(Msg::Tour(TourMsg::Continue));
        play_until_paused(&mut m);
        assert_eq!(m.sim().now(), Time(1_000_000));
        // Past a caption, previous goes back to its start.
        m.update(Msg::Tour(TourMsg::Continue));
        m.frame(16.0);
        assert!(m.sim().now() > Time(1_000_000));
        m.update(Msg::Tour(TourMsg::Previous));
        assert_eq!(m.sim().now(), Time(1_000_000));
    }

    #[test]
    fn a_person_writes_edits_and_deletes_captions_and_the_link_carries_them() {
        let mut m = Model::new(7);
        m.update(Msg::SetSpeed(1.0));
        for _ in 0..20 {
            m.frame(16.0);
        }
        m.update(Msg::Pause);
        let now = m.sim().now();
        m.update(Msg::Tour(TourMsg::Add("Here <script>x</script>".into())));
        assert_eq!(m.tour().captions.len(), 1);
        assert_eq!(m.tour().captions[0].at, now);
        assert!(m.tour_view().waiting);
        // An empty caption is refused with the reason.
        m.update(Msg::Tour(TourMsg::Add("   ".into())));
        assert!(m.notice.as_ref().unwrap().error);
        assert_eq!(m.tour().captions[0].text, "Here <script>x</script>");
        m.update(Msg::Tour(TourMsg::Edit(0, " Changed ".into())));
        assert_eq!(m.tour().captions[0].text, "Changed");
        assert!(m.scenario_json().contains("\"text\": \"Changed\""));

        let link = m.link_text();
        let mut other = Model::new(1);
        assert!(other.open_link(&link));
        assert_eq!(other.tour().captions, m.tour().captions);
        assert_eq!(other.tour_view().current, Some(0));
        assert!(other.tour_view().waiting, "opens paused at the caption");

        // Reset keeps the person's captions.
        m.update(Msg::Reset);
        assert_eq!(m.tour().captions.len(), 1);
        m.update(Msg::Tour(TourMsg::Delete(0)));
        assert!(m.tour().captions.is_empty());
        assert!(m.link().scenario.captions.is_empty());
    }

    /// Every gallery tour, played from the start in frames of an odd
    /// length: each pause is exactly at its caption's time (even where
    /// silent events lie around it), and the trace at the end is the one a
    /// run without any stops makes.
    #[test]
    fn gallery_tours_stop_exactly_on_their_captions_without_changing_the_trace() {
        let mut toured_files = 0;
        for (name, text) in crate::gallery::FILES {
            let scenario: splitbrain_core::Scenario = serde_json::from_str(text).unwrap();
            if scenario.captions.is_empty() {
                continue;
            }
            toured_files += 1;
            let mut m = Model::new(7);
            m.update(Msg::LoadScenario((*text).to_owned()));
            m.update(Msg::SetSpeed(1.0));
            m.playing = true;
            let mut stops = 0;
            for caption in &scenario.captions {
                if m.sim().now() >= caption.at {
                    continue; // at the start, or two captions at one instant
                }
                for _ in 0..5000 {
                    m.frame(17.0);
                    if !m.playing && m.sim().now() < caption.at {
                        // Halted on a broken invariant: play on past it.
                        m.update(Msg::TogglePlay);
                    } else if !m.playing {
                        break;
                    }
                }
                assert!(!m.playing, "{name}: never paused at {:?}", caption.at);
                assert_eq!(
                    m.sim().now(),
                    caption.at,
                    "{name}: not exactly on the caption"
                );
                stops += 1;
                m.update(Msg::Tour(TourMsg::Continue));
            }
            assert!(stops > 0, "{name}");
            for _ in 0..30 {
                m.frame(17.0);
            }
            let end = m.sim().now();

            let mut plain = Model::new(7);
            plain.update(Msg::LoadScenario((*text).to_owned()));
            plain.tour.captions.clear();
            plain.travel.timeline.advance(&mut plain.sim, end, u64::MAX);
            assert_eq!(
                plain.sim().now(),
                end,
                "{name}: advance never passes its limit"
            );
            assert_eq!(
                m.sim().trace().hash(),
                plain.sim().trace().hash(),
                "{name}: stopping changed the run"
            );
        }
        assert!(toured_files >= 2, "the gallery has tours to play");
    }
}
