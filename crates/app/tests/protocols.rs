//! Switching protocols, starting transactions, choosing votes and opening
//! gallery entries, driven through the model as the page drives it.

use splitbrain_app::board::Board;
use splitbrain_app::geometry::Viewport;
use splitbrain_app::model::{Model, Msg, Overlay};
use splitbrain_app::protocols::{self, ProtocolChoice};
use splitbrain_core::{build, NodeId, RunOptions, Scenario, Time};

fn model() -> Model {
    let mut m = Model::new(7);
    m.update(Msg::Resize(Viewport {
        width: 800.0,
        height: 600.0,
    }));
    m.update(Msg::SetSpeed(1.0));
    m
}

fn run(m: &mut Model, ms: u64) {
    for _ in 0..ms / 16 {
        m.frame(16.0);
    }
}

fn labels(m: &Model) -> Vec<&'static str> {
    (0..m.node_count() as u16)
        .map(|n| m.sim().node_view(NodeId(n)).role_label)
        .collect()
}

/// The menu entry `id`.
fn entry(id: &str) -> ProtocolChoice {
    protocols::from_id(id).unwrap_or_else(|| panic!("no menu entry {id}"))
}

#[test]
fn switching_protocol_starts_a_fresh_run_with_its_defaults() {
    let mut m = model();
    run(&mut m, 500);
    let seed = m.sim().scenario().seed;
    for choice in ProtocolChoice::ALL {
        m.update(Msg::SetProtocol(choice));
        assert_eq!(m.protocol(), choice);
        assert_eq!(m.sim().now(), Time::ZERO, "{choice:?}: a fresh run");
        assert_eq!(m.sim().scenario().seed, seed, "the seed carries over");
        // A coordinator and three participants; three lock replicas, the
        // storage node and two workers; five nodes for the rest.
        let nodes = if choice.is_commit() {
            4
        } else if choice == entry("lock-service") {
            6
        } else {
            5
        };
        assert_eq!(m.node_count(), nodes, "{choice:?}");
        assert_eq!(m.layout.positions.len(), nodes);
        assert!(
            m.notice.as_ref().is_some_and(|n| !n.error),
            "{:?}",
            m.notice
        );
        run(&mut m, 300);
        assert!(m.sim().violation().is_none() || choice == entry("naive-paxos"));
    }
}

#[test]
fn the_p_key_cycles_through_every_protocol() {
    let mut m = model();
    let mut seen = vec![m.protocol()];
    for _ in 1..ProtocolChoice::ALL.len() {
        m.update(Msg::NextProtocol);
        seen.push(m.protocol());
    }
    assert_eq!(seen, ProtocolChoice::ALL.to_vec());
}

#[test]
fn a_transaction_commits_and_a_chosen_no_vote_aborts_the_next_one() {
    let mut m = model();
    m.update(Msg::SetProtocol(entry("two-phase")));
    m.update(Msg::StartTransaction);
    run(&mut m, 500);
    assert_eq!(labels(&m)[1..], ["committed", "committed", "committed"]);

    m.update(Msg::SetVote {
        node: NodeId(2),
        yes: false,
    });
    let board = Board::of(m.sim(), m.travel().timeline.actions());
    assert_eq!(board.rows[2].vote, Some(false));
    assert_eq!(board.rows[2].cells[2], "no (your choice)");
    assert_eq!(board.rows[1].cells[2], "yes");
    assert_eq!(board.rows[1].vote, Some(true), "the policy: always yes");
    m.update(Msg::StartTransaction);
    run(&mut m, 500);
    assert_eq!(labels(&m)[1..], ["aborted", "aborted", "aborted"]);
    assert_eq!(
        Board::of(m.sim(), m.travel().timeline.actions())
            .cost
            .decided,
        2
    );

    // The vote is an action of the run: its scenario replays it exactly.
    let scenario: Scenario = serde_json::from_str(&m.scenario_json()).unwrap();
    let mut replay = build(&scenario, RunOptions::default()).unwrap();
    replay.run_until(m.sim().now(), u64::MAX);
    assert_eq!(replay.trace().hash(), m.sim().trace().hash());

    // Votes belong to participants, and to commit protocols.
    m.update(Msg::SetVote {
        node: NodeId(0),
        yes: false,
    });
    assert!(m.notice.as_ref().unwrap().error);
    m.update(Msg::SetProtocol(entry("raft")));
    m.update(Msg::StartTransaction);
    assert!(m.notice.as_ref().unwrap().error);
}

#[test]
fn a_gallery_entry_opens_paused_at_its_moment() {
    let mut m = model();
    m.update(Msg::ShowOverlay(Overlay::Gallery));
    m.update(Msg::OpenGallery("two-phase-blocking".into()));
    assert_eq!(m.overlay, Overlay::None);
    assert_eq!(m.protocol(), entry("two-phase"));
    assert_eq!(m.sim().now(), Time(2_000_000));
    assert!(!m.playing);
    assert_eq!(m.story.as_ref().unwrap().id, "two-phase-blocking");
    let board = Board::of(m.sim(), m.travel().timeline.actions());
    assert_eq!(board.rows[1].role_label, "in doubt");
    assert_eq!(board.rows[1].cells[3], "1.89 s");

    m.update(Msg::OpenGallery("paxos-naive".into()));
    assert_eq!(m.protocol(), entry("naive-paxos"));
    let notice = m.notice.as_ref().unwrap();
    assert!(
        notice.error && notice.text.contains("agreement"),
        "{notice:?}"
    );

    m.update(Msg::OpenGallery("no-such-entry".into()));
    assert!(m.notice.as_ref().unwrap().error);
    assert_eq!(m.protocol(), entry("naive-paxos"), "unchanged");
}

#[test]
fn every_example_scenario_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/scenarios");
    let mut m = model();
    let mut count = 0;
    for file in std::fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "gallery.json" || !name.ends_with(".json") {
            continue;
        }
        m.update(Msg::LoadScenario(std::fs::read_to_string(&path).unwrap()));
        let notice = m.notice.as_ref().unwrap();
        assert!(!notice.error, "{name}: {}", notice.text);
        run(&mut m, 100);
        count += 1;
    }
    assert!(count >= 15, "{count}");
}

/// The menu's replicated lock service, and the replicated leader-crash
/// scenario, survive a link round trip with `replicas` intact; a single
/// server's config is still the short default record.
#[test]
fn replicated_lock_configs_survive_a_link() {
    use splitbrain_app::link::{decode, encode, Link};
    use splitbrain_core::protocols::lock::LockConfig;
    use splitbrain_core::ProtocolConfig;
    let menu = entry("lock-service")
        .settings(&splitbrain_app::settings::Settings::default())
        .scenario();
    let file: splitbrain_core::Scenario = serde_json::from_str(include_str!(
        "../../../web/scenarios/lock-service-replicated-leader-crash.json"
    ))
    .unwrap();
    for s in [menu, file] {
        let back = decode(&encode(&Link::new(s.clone()))).unwrap();
        assert_eq!(back.scenario, s);
        assert!(
            matches!(&back.scenario.protocol, ProtocolConfig::LockService(c) if c.replicas == 3)
        );
    }
    let mut single = entry("lock-service")
        .settings(&splitbrain_app::settings::Settings::default())
        .scenario();
    single.protocol = ProtocolConfig::LockService(LockConfig::default());
    let replicated = entry("lock-service")
        .settings(&splitbrain_app::settings::Settings::default())
        .scenario();
    assert!(encode(&Link::new(single)).len() < encode(&Link::new(replicated)).len());
}
