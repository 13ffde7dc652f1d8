use std::collections::BTreeMap;
use std::sync::Mutex;

use proptest::prelude::*;
use splitbrain_core::{build, RunOptions, Span};

use super::*;
use crate::model::sample_op;

fn default_scenario() -> Scenario {
    Settings::default().scenario()
}

/// Drives a default run by hand like a person would: `n` actions of every
/// kind, spread over simulated time, each recorded where the sim put it.
/// Returns the recorded scenario and the time the run stood at.
fn scripted(n: usize) -> (Scenario, Time) {
    let mut sim = build(&default_scenario(), RunOptions::default()).unwrap();
    let mut done = 0;
    let mut k: u64 = 0;
    while done < n {
        k += 1;
        let at = sim.now() + Span(137_000 + (k * 7_919) % 90_000);
        sim.run_until(at, u64::MAX);
        let node = NodeId((k % 5) as u16);
        let action = match k % 8 {
            0 => Action::Partition {
                groups: vec![vec![NodeId(3), NodeId(4)]],
            },
            1 => Action::Heal,
            2 if sim.is_up(node) => Action::Crash { node },
            2 => Action::Restart { node },
            3 => Action::CutLink {
                from: NodeId(0),
                to: NodeId(1),
                both: k % 3 == 0,
            },
            4 => Action::RestoreLink {
                from: NodeId(0),
                to: NodeId(1),
                both: true,
            },
            5 => Action::Timeout { node },
            _ => Action::Request {
                node,
                client: None,
                op: sample_op(k),
            },
        };
        if sim.act(action).is_ok() {
            done += 1;
        }
    }
    let now = sim.now() + Span::from_millis(250);
    (sim.scenario().clone(), now)
}

fn hash_at(scenario: &Scenario, time: Time) -> String {
    let mut sim = build(scenario, RunOptions::default()).unwrap();
    sim.run_until(time, u64::MAX);
    format!("{:016x}", sim.trace().hash())
}

fn link_of(actions: usize) -> (Link, String) {
    let (scenario, now) = scripted(actions);
    let mut link = Link::new(scenario);
    link.view.time = now;
    let text = encode(&link);
    (link, text)
}

#[test]
fn a_default_link_is_tiny_and_round_trips() {
    let link = Link::new(default_scenario());
    let text = encode(&link);
    assert_eq!(decode(&text).unwrap(), link);
    assert!(text.len() <= 8, "{text}");
}

#[test]
fn ten_actions_fit_the_length_budget_and_the_length_for_a_hundred_is_printed() {
    let mut lengths = Vec::new();
    for n in [10, 100] {
        let (link, text) = link_of(n);
        assert_eq!(link.scenario.actions.len(), n);
        assert_eq!(decode(&text).unwrap(), link);
        let body = body(&link);
        println!(
            "link with {n:>3} actions: {} characters (body {} bytes, deflated {} bytes)",
            text.len(),
            body.len(),
            miniz_oxide::deflate::compress_to_vec(&body, 10).len()
        );
        lengths.push(text.len());
    }
    assert!(
        lengths[0] <= 300,
        "10 actions take {} characters",
        lengths[0]
    );
}

#[test]
fn an_opened_link_reproduces_the_run_down_to_the_trace_hash() {
    let (link, text) = link_of(40);
    let opened = decode(&format!("#{text}")).unwrap();
    assert_eq!(opened.view.time, link.view.time);
    assert_eq!(
        hash_at(&opened.scenario, opened.view.time),
        hash_at(&link.scenario, link.view.time)
    );
    // And the hash is not the same for any run: one action less differs.
    let mut fewer = link.scenario.clone();
    fewer.actions.pop();
    assert_ne!(
        hash_at(&fewer, link.view.time),
        hash_at(&link.scenario, link.view.time)
    );
}

#[test]
fn every_part_of_a_link_round_trips() {
    let json = include_str!("../../../../web/scenarios/three-phase-partition-broken.json");
    let mut scenario: Scenario = serde_json::from_str(json).unwrap();
    scenario.title = Some("<script>alert(1)</script> & ünïcode".into());
    scenario.seed = u64::MAX;
    scenario.network.loss = 0.25;
    scenario.until = Some(Time(5_000_000));
    scenario.actions.push(TimedAction {
        at: Time(9_000_000),
        action: Action::Request {
            node: NodeId(1),
            client: Some(ClientId(u32::MAX)),
            op: Op::Append {
                key: "k".into(),
                value: "é;".into(),
            },
        },
    });
    scenario.actions.push(TimedAction {
        at: Time(9_000_000),
        action: Action::DropMessage { id: MessageId(77) },
    });
    scenario.captions = vec![
        splitbrain_core::Caption {
            at: Time(0),
            text: "At the start <i>".into(),
        },
        splitbrain_core::Caption {
            at: Time(2_500_000),
            text: "ünïcode & \"quotes\"".into(),
        },
    ];
    let link = Link {
        scenario,
        view: View {
            time: Time(1_234_567),
            speed: 0.37,
            paused: true,
            steady: true,
            overlay: Overlay::Scenario,
            selected: Some(NodeId(2)),
            lang: Some(crate::i18n::Lang::ZhHans),
        },
        embed: Some(Embed {
            autoplay: false,
            looped: true,
            loop_end: Some(Time(0)),
            controls: controls::PLAY | controls::SPEED,
            theme: Some(Theme::Dark),
        }),
    };
    assert_eq!(decode(&encode(&link)).unwrap(), link);
    for protocol in 0..registry::protocols().len() {
        let mut plain = Link::new(default_scenario());
        plain.scenario.protocol = default_config(protocol).unwrap();
        plain.view.speed = 1000.0;
        assert_eq!(decode(&encode(&plain)).unwrap(), plain, "{protocol}");
    }
}

fn pinned_two_actions() -> Link {
    // Two actions, paused at 1.5 s, node 3 selected.
    let mut two = default_scenario();
    two.actions = vec![
        TimedAction {
            at: Time(800_000),
            action: Action::Partition {
                groups: vec![vec![NodeId(3), NodeId(4)]],
            },
        },
        TimedAction {
            at: Time(1_200_000),
            action: Action::Crash { node: NodeId(0) },
        },
    ];
    Link {
        scenario: two,
        view: View {
            time: Time(1_500_000),
            paused: true,
            selected: Some(NodeId(3)),
            ..View::default()
        },
        embed: None,
    }
}

fn pinned_paxos_embed() -> Link {
    // An embed of a titled 3-node Paxos run with a request, looping, dark.
    let mut paxos = Scenario::new(default_config(3).unwrap(), 3, 42);
    paxos.title = Some("Duel <b>".into());
    paxos.actions = vec![TimedAction {
        at: Time(50_000),
        action: Action::Request {
            node: NodeId(2),
            client: Some(ClientId(7)),
            op: Op::Put {
                key: "x".into(),
                value: "1".into(),
            },
        },
    }];
    Link {
        scenario: paxos,
        view: View {
            time: Time(200_000),
            speed: 0.5,
            ..View::default()
        },
        embed: Some(Embed {
            autoplay: true,
            looped: true,
            loop_end: Some(Time(3_000_000)),
            controls: controls::PLAY | controls::RESET,
            theme: Some(Theme::Dark),
        }),
    }
}

/// Links written by format version 1. They must open, as they are, in
/// every later version of the app: people have them in chats and docs.
/// Never edit these strings; a new format adds its own.
#[test]
fn pinned_v1_links() {
    // The default run at 0.1x, nothing done.
    assert_eq!(decode("AQA").unwrap(), Link::new(default_scenario()));
    assert_eq!(decode(PINNED_TWO_ACTIONS).unwrap(), pinned_two_actions());
    assert_eq!(decode(PINNED_PAXOS_EMBED).unwrap(), pinned_paxos_embed());
    // Forty scripted actions, compressed: the run it opens, by its hash.
    let forty = decode(PINNED_FORTY).unwrap();
    assert_eq!(forty.scenario.actions.len(), 40);
    assert_eq!(hash_at(&forty.scenario, forty.view.time), PINNED_FORTY_HASH);
}

const PINNED_TWO_ACTIONS: &str = "AQALDgKA6jAAAQIDBIC1GAYAEAPgxlsSAQEUAQM";
const PINNED_PAXOS_EMBED: &str =
    "AQABAQMDAQMEASoFCER1ZWwgPGI-CwsB0IYDCgIIAXgBMRADwJoMEQEFIAcDBQLBjbcB";
const PINNED_FORTY: &str = "AQElzrtKA0EYBeD5Z8ZlZv4dtIjvYOnuemXewCcy6UyhQQhLUPCyCCpauKigdlooEsTCgBdUVDSI\
    4jZq5SI2wZlNffjOOZjQgYVPAdOp9GieSUbgfVP1ELh5U4KcriECgUk6YvbaqCiBMoyurvgEKOPxkw-dRe2Rrzttk4tbYdnRnBQsvZLI\
    CVRYMGSWYqWIqwiGay1VwN9ZhI9z9Fjc8C1sNn0LD6pawPqJRjfCwtA81qWybyo0jLJaF7YPJbQ6_R6kLy7a_nFHk30UvP7di26FRYPm\
    b8dX9nSZRsF1Xirg_ZaGs0x7vFGdsP3zG9LCfKqEboBFY-b1WSnuXkbjlwkW5vgBoY8vz-zyfw";
const PINNED_FORTY_HASH: &str = "6e78ed7651787f6a";

#[test]
#[ignore = "prints the pinned links; run it once when the format is new"]
fn print_pinned_links() {
    println!("two: {}", encode(&pinned_two_actions()));
    println!("paxos: {}", encode(&pinned_paxos_embed()));
    let (link, text) = link_of(40);
    println!(
        "forty: {text}\nhash: {}",
        hash_at(&link.scenario, link.view.time)
    );
}

#[test]
fn the_iframe_snippet_escapes_the_title() {
    let snippet = iframe_snippet(
        "https://x.test/app/",
        "AQA",
        Some("<script>alert(\"x\")</script>"),
        640,
        400,
    );
    assert_eq!(
        snippet,
        "<iframe src=\"https://x.test/app/#AQA\" width=\"640\" height=\"400\" \
         title=\"Splitbrain: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\" \
         style=\"border:0;max-width:100%\" loading=\"lazy\"></iframe>"
    );
}

fn wrap(codec: u8, body: &[u8]) -> String {
    let mut bytes = vec![VERSION, codec];
    bytes.extend_from_slice(body);
    base64url_encode(&bytes)
}

#[test]
fn every_cut_of_a_link_is_refused_or_still_valid_never_a_panic() {
    let (_, text) = link_of(30);
    for cut in 0..text.len() {
        match decode(&text[..cut]) {
            Ok(link) => assert!(link.scenario.validate().is_ok()),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    assert_eq!(
        decode(&text[..text.len() - 9]).unwrap_err(),
        LinkError::Truncated
    );
}

#[test]
fn bad_links_say_what_is_wrong() {
    assert_eq!(decode("#").unwrap_err(), LinkError::Empty);
    assert_eq!(
        decode("AQA<x>").unwrap_err(),
        LinkError::NotBase64 { at: 3 }
    );
    assert_eq!(
        decode(&base64url_encode(&[9, 0])).unwrap_err(),
        LinkError::NewerVersion(9)
    );
    assert!(decode(&base64url_encode(&[9, 0]))
        .unwrap_err()
        .to_string()
        .contains("newer Splitbrain"));
    assert!(matches!(decode(&wrap(7, &[])), Err(LinkError::Corrupt(_))));
    assert!(matches!(
        decode(&"A".repeat(MAX_LINK_CHARS + 1)),
        Err(LinkError::TooLong(_))
    ));
    // A scenario the core refuses: 60 nodes.
    let mut body = Vec::new();
    record(&mut body, T_NODES, &varint(60));
    let e = decode(&wrap(CODEC_RAW, &body)).unwrap_err();
    assert!(
        e.to_string().contains("nodes: must be between 1 and 51"),
        "{e}"
    );
    // An action on a node that does not exist.
    let mut body = Vec::new();
    record(&mut body, T_ACTIONS, &[1, 5, A_CRASH, 9]);
    let e = decode(&wrap(CODEC_RAW, &body)).unwrap_err();
    assert!(e.to_string().contains("actions[0].action.node"), "{e}");
    // Hand-edited JSON with a field that does not exist.
    let mut body = Vec::new();
    record(&mut body, T_NETWORK, br#"{"lossy":1}"#);
    let e = decode(&wrap(CODEC_RAW, &body)).unwrap_err();
    assert!(e.to_string().contains("unknown field `lossy`"), "{e}");
}

/// A protocol's tag is its place in the registry: the tags links were
/// written with keep their protocols, and a tag no protocol has is an
/// error, never some protocol.
#[test]
fn protocol_tags_keep_their_numbers_and_unknown_ones_are_refused() {
    let tagged: Vec<&str> = (0..registry::protocols().len())
        .map(|tag| default_config(tag).unwrap().name())
        .collect();
    assert_eq!(
        tagged[..8],
        [
            "raft",
            "two-phase",
            "three-phase",
            "paxos",
            "multi-paxos",
            "quorum",
            "gossip",
            "lock-service"
        ]
    );
    for (tag, name) in tagged.iter().enumerate() {
        let mut body = Vec::new();
        record(&mut body, T_PROTOCOL, &[tag as u8]);
        let opened = decode(&wrap(CODEC_RAW, &body)).unwrap();
        assert_eq!(opened.scenario.protocol.name(), *name);
    }
    let unknown = registry::protocols().len() as u8;
    let mut body = Vec::new();
    record(&mut body, T_PROTOCOL, &[unknown]);
    assert_eq!(
        decode(&wrap(CODEC_RAW, &body)).unwrap_err(),
        LinkError::Corrupt(format!("unknown protocol {unknown}"))
    );
}

#[test]
fn a_small_link_cannot_ask_for_a_lot_of_memory() {
    // A megabyte of zeros deflates to about a kilobyte.
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![0u8; 1 << 20], 10);
    let text = wrap(CODEC_DEFLATE, &bomb);
    assert!(text.len() < 2_000, "{}", text.len());
    let e = decode(&text).unwrap_err();
    assert!(e.to_string().contains("unpacks to more than"), "{e}");
    // A count of a billion actions in a few bytes.
    let mut body = Vec::new();
    record(&mut body, T_ACTIONS, &varint(1 << 30));
    assert!(matches!(
        decode(&wrap(CODEC_RAW, &body)),
        Err(LinkError::Corrupt(_))
    ));
    let mut body = Vec::new();
    record(&mut body, T_ACTIONS, &varint(10_000));
    assert_eq!(
        decode(&wrap(CODEC_RAW, &body)).unwrap_err(),
        LinkError::Truncated
    );
    // A run a year long.
    let mut body = Vec::new();
    record(&mut body, T_TIME, &varint(365 * 86_400_000_000));
    assert!(matches!(
        decode(&wrap(CODEC_RAW, &body)),
        Err(LinkError::Corrupt(_))
    ));
}

#[test]
fn unknown_records_from_later_versions_are_skipped() {
    let mut body = Vec::new();
    record(&mut body, T_SEED, &varint(9));
    record(&mut body, 99, b"something new");
    let link = decode(&wrap(CODEC_RAW, &body)).unwrap();
    assert_eq!(link.scenario.seed, 9);
}

/// Valid links to mutate: the fuzzer starts from real structure, so its
/// edits reach the record and action parsers, not only the first byte.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for n in [0, 3, 12] {
        let (mut link, _) = link_of(n);
        link.embed = Some(Embed::default());
        link.scenario.title = Some("t".into());
        out.push(body(&link));
    }
    out
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let n = bytes.len().max(1);
        match *edit {
            Edit::Flip(i, x) if !bytes.is_empty() => bytes[i % n] ^= x.max(1),
            Edit::Insert(i, x) => bytes.insert(i % (bytes.len() + 1), x),
            Edit::Remove(i) if !bytes.is_empty() => {
                bytes.remove(i % n);
            }
            Edit::Truncate(i) => bytes.truncate(i % n),
            _ => {}
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Edit::Flip(i, x)),
            (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Edit::Insert(i, x)),
            any::<usize>().prop_map(Edit::Remove),
            any::<usize>().prop_map(Edit::Truncate),
        ],
        1..6,
    )
}

/// What a fuzz input is, and what became of it, for the long run's report.
static OUTCOMES: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

fn tally(kind: &str, result: &Result<Link, LinkError>) {
    let outcome = match result {
        Ok(_) => "decoded".to_owned(),
        Err(e) => format!("{e:?}")
            .split(['(', ' ', '{'])
            .next()
            .unwrap()
            .to_owned(),
    };
    *OUTCOMES
        .lock()
        .unwrap()
        .entry(format!("{kind:<14} {outcome}"))
        .or_default() += 1;
}

/// What every decode must satisfy, whatever the input: no panic (the
/// harness catches one), and a link that opens is valid and stable: it
/// re-encodes to a link that opens to the same thing.
fn check(kind: &str, text: &str) {
    let result = decode(text);
    if let Ok(link) = &result {
        assert!(link.scenario.validate().is_ok());
        assert_eq!(&decode(&encode(link)).unwrap(), link);
    }
    tally(kind, &result);
}

fn fuzz_strategy() -> impl Strategy<Value = (u8, String)> {
    let seeds = seeds();
    let mutated = (0..seeds.len(), edits(), any::<bool>()).prop_map(move |(s, e, deflate)| {
        let body = apply(seeds[s].clone(), &e);
        let text = if deflate {
            wrap(
                CODEC_DEFLATE,
                &miniz_oxide::deflate::compress_to_vec(&body, 10),
            )
        } else {
            wrap(CODEC_RAW, &body)
        };
        (0u8, text)
    });
    // Whole links, compressed where it pays: edits to the header bytes
    // and the DEFLATE stream.
    let links: Vec<Vec<u8>> = [0, 10, 20]
        .into_iter()
        .map(|n| base64url_decode(&link_of(n).1).unwrap())
        .collect();
    let packed = (0..links.len(), edits()).prop_map(move |(n, e)| {
        let bytes = apply(links[n].clone(), &e);
        (1u8, base64url_encode(&bytes))
    });
    let raw_bytes = prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| {
        let mut bytes = vec![VERSION];
        bytes.extend(b);
        (2u8, base64url_encode(&bytes))
    });
    let any_text = ".{0,200}".prop_map(|s: String| (3u8, s));
    prop_oneof![4 => mutated, 2 => packed, 2 => raw_bytes, 1 => any_text]
}

const KINDS: [&str; 4] = [
    "mutated body",
    "mutated link",
    "random bytes",
    "random text",
];

proptest! {
    // The short run, part of every `cargo test`.
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_decoder_short((kind, text) in fuzz_strategy()) {
        check(KINDS[kind as usize], &text);
    }

    #[test]
    fn any_scenario_of_valid_actions_round_trips(
        seed in any::<u64>(),
        nodes in 2u16..=51,
        steps in prop::collection::vec((0u64..5_000_000, 0u8..15, any::<u16>(), any::<u32>()), 0..60),
        title in prop::option::of(".{0,20}"),
        captions in prop::collection::vec((1u64..2_000_000, "\\PC{1,40}"), 0..6),
        time in 0u64..1_000_000_000,
        speed in 0usize..SPEEDS.len(),
    ) {
        let mut scenario = Scenario::new(default_config(0).unwrap(), nodes, seed);
        scenario.title = title;
        let mut at = 0;
        for (delta, tag, a, b) in steps {
            at += delta;
            let n = |x: u16| NodeId(x % nodes);
            let (from, to) = (n(a), NodeId((a % nodes + 1 + b as u16 % (nodes - 1)) % nodes));
            let action = match tag {
                0 => Action::Partition { groups: vec![vec![n(a)], vec![n(a.wrapping_add(1))]] },
                1 => Action::Heal,
                2 => Action::CutLink { from, to, both: b % 2 == 0 },
                3 => Action::RestoreLink { from, to, both: b % 2 == 0 },
                4 => Action::Crash { node: n(a) },
                5 => Action::Restart { node: n(a) },
                6 => Action::Timeout { node: n(a) },
                7 => Action::DropMessage { id: MessageId(u64::from(b)) },
                8 => Action::Vote { node: n(a), yes: b % 2 == 0 },
                9 if b % 4 == 0 => Action::Clock {
                    node: n(a),
                    offset: splitbrain_core::time::Offset(i64::from(b % 1_000_000) - at.min(500_000) as i64),
                    drift_ppm: i32::from(a) * 3 - 100_000,
                },
                10 => Action::AddServer { node: n(a) },
                11 => Action::RemoveServer { node: n(a) },
                _ => Action::Request {
                    node: n(a),
                    client: (b % 3 != 0).then_some(ClientId(b)),
                    op: sample_op(u64::from(b)),
                },
            };
            scenario.actions.push(TimedAction { at: Time(at), action });
        }
        let mut at = 0;
        for (delta, text) in captions {
            at += delta;
            scenario.captions.push(splitbrain_core::Caption { at: Time(at), text });
        }
        prop_assume!(scenario.validate().is_ok());
        let mut link = Link::new(scenario);
        link.view.time = Time(time);
        link.view.speed = SPEEDS[speed];
        prop_assert_eq!(decode(&encode(&link)).unwrap(), link);
    }
}

/// The long run: `cargo xtask fuzz` (or this test with `--ignored`).
/// `LINK_FUZZ_CASES` sets the number of inputs (default a million).
#[test]
#[ignore = "long: run by `cargo xtask fuzz`"]
fn fuzz_decoder_long() {
    let cases: u32 = std::env::var("LINK_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    OUTCOMES.lock().unwrap().clear();
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let started = std::time::Instant::now();
    let result = runner.run(&fuzz_strategy(), |(kind, text)| {
        check(KINDS[kind as usize], &text);
        Ok(())
    });
    let outcomes = OUTCOMES.lock().unwrap().clone();
    let total: u64 = outcomes.values().sum();
    println!(
        "link decoder fuzz: {total} inputs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for (what, count) in &outcomes {
        println!("  {what:<40} {count:>9}");
    }
    result.unwrap();
    assert!(total >= u64::from(cases));
}

fn pinned_captions() -> Link {
    // The default run with two captions, paused at the first.
    let mut s = default_scenario();
    s.captions = vec![
        splitbrain_core::Caption {
            at: Time(600_000),
            text: "A leader is elected.".into(),
        },
        splitbrain_core::Caption {
            at: Time(1_000_000),
            text: "Now <b>n0</b> crashes.".into(),
        },
    ];
    s.actions = vec![TimedAction {
        at: Time(1_000_000),
        action: Action::Crash { node: NodeId(0) },
    }];
    Link {
        scenario: s,
        view: View {
            time: Time(600_000),
            paused: true,
            ..View::default()
        },
        embed: None,
    }
}

/// A version 1 link with the captions record (tag 12). Never edit it.
const PINNED_CAPTIONS: &str =
    "AQALBgHAhD0GAAwzAsDPJBRBIGxlYWRlciBpcyBlbGVjdGVkLoC1GBZOb3cgPGI-bjA8L2I-IGNyYXNoZXMuEAPAzyQSAQE";

#[test]
fn pinned_v1_link_with_captions() {
    assert_eq!(decode(PINNED_CAPTIONS).unwrap(), pinned_captions());
}

#[test]
#[ignore = "prints the pinned captions link"]
fn print_pinned_captions_link() {
    println!("captions: {}", encode(&pinned_captions()));
}

#[test]
fn bad_captions_in_a_link_are_refused_with_a_reason() {
    let mut link = pinned_captions();
    link.scenario.captions.swap(0, 1);
    let e = decode(&encode(&link)).unwrap_err().to_string();
    assert!(e.contains("captions[1].at"), "{e}");
    // A count far larger than the bytes that follow.
    let mut body = Vec::new();
    record(&mut body, T_CAPTIONS, &varint(90));
    assert_eq!(decode(&wrap(0, &body)), Err(LinkError::Truncated));
    let mut body = Vec::new();
    record(&mut body, T_CAPTIONS, &varint(MAX_CAPTIONS as u64 + 1));
    assert!(matches!(
        decode(&wrap(0, &body)),
        Err(LinkError::Corrupt(_))
    ));
}

fn pinned_chinese() -> Link {
    // The pinned two-action run, in Chinese.
    let mut link = pinned_two_actions();
    link.view.lang = Some(crate::i18n::Lang::ZhHans);
    link
}

/// A version 1 link with the language record (tag 21). Never edit it.
const PINNED_CHINESE: &str = "AQALDgKA6jAAAQIDBIC1GAYAEAPgxlsSAQEUAQMVAQE";

#[test]
fn pinned_v1_link_with_a_language() {
    assert_eq!(decode(PINNED_CHINESE).unwrap(), pinned_chinese());
    // The links pinned before the record existed carry no language.
    assert_eq!(decode(PINNED_TWO_ACTIONS).unwrap().view.lang, None);
    assert_eq!(decode(PINNED_CAPTIONS).unwrap().view.lang, None);
}

#[test]
#[ignore = "prints the pinned language link"]
fn print_pinned_language_link() {
    println!("chinese: {}", encode(&pinned_chinese()));
}

#[test]
fn the_language_round_trips_and_costs_three_bytes() {
    use crate::i18n::Lang;
    let plain = Link::new(default_scenario());
    let plain_len = encode(&plain).len();
    for lang in Lang::ALL {
        let mut link = Link::new(default_scenario());
        link.view.lang = Some(lang);
        let text = encode(&link);
        assert_eq!(decode(&text).unwrap().view.lang, Some(lang));
        // Three bytes of record: four base64 characters at most.
        assert!(text.len() <= plain_len + 4, "{text}");
    }
    // A language code from a later page: the reader's own language, and
    // the rest of the link still opens.
    let mut body = Vec::new();
    record(&mut body, T_LANG, &[9]);
    assert_eq!(decode(&wrap(0, &body)).unwrap().view.lang, None);
    // Extra bytes in the record mean damage.
    let mut body = Vec::new();
    record(&mut body, T_LANG, &[1, 1]);
    assert!(matches!(
        decode(&wrap(0, &body)),
        Err(LinkError::Corrupt(_))
    ));
    let mut body = Vec::new();
    record(&mut body, T_LANG, &[]);
    assert_eq!(decode(&wrap(0, &body)), Err(LinkError::Truncated));
}

/// The explorer's naive Paxos counterexample, as the dialog's "Play
/// counterexample" loads it: a scenario with a 4-step script.
fn counterexample() -> Scenario {
    use crate::explorer::{drive, Form, FromWorker, Target};
    let request = Form::for_target(Target::from_value("naive-paxos").unwrap())
        .request()
        .unwrap();
    let mut json = None;
    drive(&request, &mut || 0.0, &mut |m| {
        if let FromWorker::Done { outcome, .. } = m {
            json = outcome.violation.and_then(|v| v.scenario);
        }
    });
    serde_json::from_str(&json.expect("a counterexample")).unwrap()
}

fn pinned_script() -> Link {
    let mut scenario = counterexample();
    scenario.until = None;
    // Every kind of step, whether or not the run could take it: the codec
    // must carry them all.
    let mut more = scenario.clone();
    more.script.extend([
        splitbrain_core::scenario::ScriptStep {
            at: Time(5_000_000),
            step: splitbrain_core::scenario::Scripted::Drop { id: MessageId(9) },
        },
        splitbrain_core::scenario::ScriptStep {
            at: Time(5_000_000),
            step: splitbrain_core::scenario::Scripted::Duplicate { id: MessageId(300) },
        },
        splitbrain_core::scenario::ScriptStep {
            at: Time(6_000_000),
            step: splitbrain_core::scenario::Scripted::Act {
                action: Action::Partition {
                    groups: vec![vec![NodeId(2)]],
                },
            },
        },
        splitbrain_core::scenario::ScriptStep {
            at: Time(6_500_000),
            step: splitbrain_core::scenario::Scripted::Act {
                action: Action::Crash { node: NodeId(1) },
            },
        },
    ]);
    Link {
        scenario: more,
        view: View {
            time: Time(1_000_000),
            paused: true,
            ..View::default()
        },
        embed: None,
    }
}

#[test]
fn scripts_round_trip_through_links() {
    let link = pinned_script();
    let text = encode(&link);
    assert_eq!(decode(&text).unwrap(), link);
    // Without a script, no script record: links of unscripted runs are
    // byte for byte what they were.
    let mut plain = link.clone();
    plain.scenario.script.clear();
    let body = body(&plain);
    let mut r = Reader { bytes: &body };
    while !r.done() {
        let tag = r.varint().unwrap();
        assert_ne!(tag, T_SCRIPT);
        let len = r.varint().unwrap();
        r.take(len).unwrap();
    }
}

/// A shared counterexample reproduces exactly: the run a link opens has
/// the same trace as the counterexample scenario itself, and breaks the
/// same invariant.
#[test]
fn a_counterexample_link_replays_the_same_run() {
    let scenario = counterexample();
    let end = scenario.script.last().unwrap().at + Span::from_millis(500);
    let mut link = Link::new(scenario.clone());
    link.scenario.until = None;
    link.view.time = end;
    let opened = decode(&encode(&link)).unwrap();
    assert_eq!(opened.scenario.script, scenario.script);
    let mut original = scenario.clone();
    original.until = None;
    assert_eq!(hash_at(&opened.scenario, end), hash_at(&original, end));
    let mut sim = build(&opened.scenario, RunOptions::default()).unwrap();
    sim.run_until(end, u64::MAX);
    assert_eq!(sim.violation().map(|v| v.invariant), Some("agreement"));
    // Without its script the same scenario is another run.
    let mut unscripted = original.clone();
    unscripted.script.clear();
    assert_ne!(hash_at(&unscripted, end), hash_at(&original, end));
}

#[test]
fn bad_scripts_in_a_link_are_refused_with_a_reason() {
    let mut body = Vec::new();
    record(&mut body, T_SCRIPT, &[1, 0, 9, 0]);
    let mut bytes = vec![VERSION, CODEC_RAW];
    bytes.extend(body);
    let e = decode(&base64url_encode(&bytes)).unwrap_err().to_string();
    assert!(e.contains("unknown script step kind 9"), "{e}");
    // A count far larger than the bytes that follow.
    let mut body = Vec::new();
    record(&mut body, T_SCRIPT, &varint(900));
    let mut bytes = vec![VERSION, CODEC_RAW];
    bytes.extend(body);
    assert_eq!(
        decode(&base64url_encode(&bytes)).unwrap_err(),
        LinkError::Truncated
    );
}

/// A link with a script, as this version writes it. Never edit.
#[test]
fn pinned_script_link() {
    assert_eq!(decode(PINNED_SCRIPT).unwrap(), pinned_script());
}

#[test]
#[ignore = "prints the pinned script link; run by hand when adding one"]
fn print_pinned_script_link() {
    println!("script: {}", encode(&pinned_script()));
}

const PINNED_SCRIPT: &str = "AQFFjTEKAjEQRXeSddVCEA8gYVoVV7FasPIkEQYJmmRJoq6InY2Fd9heDyGezKiIUwyfx-N_tj-ikZqwwFJW1uMQfZAuYHFErUzE-fYNtaxinuS59ngaoqPgDn_ny3_W9GftpFPSxK44oXY0MnZUOquVJzxx4CkkjcHCbk0gR5XU5YYKIVeOSJMJYunsmoxQRsyED1T6zrhVXzOefI5DfM36cmPQTtidPc7zNIsMgNXPfhq7M-jySHsALw";

/// The explorer makes a later client request as a script step (Raft's
/// Figure 8 needs the write at a point of its schedule): a link carries it.
#[test]
fn a_scripted_client_request_round_trips_through_links() {
    let mut link = pinned_script();
    link.scenario
        .script
        .push(splitbrain_core::scenario::ScriptStep {
            at: Time(7_000_000),
            step: splitbrain_core::scenario::Scripted::Act {
                action: Action::Request {
                    node: NodeId(0),
                    client: None,
                    op: splitbrain_core::protocol::Op::Put {
                        key: "x".into(),
                        value: "1".into(),
                    },
                },
            },
        });
    assert_eq!(decode(&encode(&link)).unwrap(), link);
}

/// Clocks ride in links: the scenario's settings (record 14) and clock
/// actions (action code 15, signed values zigzagged), and the opened link
/// replays to the same trace.
#[test]
fn clocks_and_clock_actions_round_trip_and_replay() {
    use splitbrain_core::clock::ClockSetting;
    use splitbrain_core::time::Offset;
    let mut scenario = default_scenario();
    scenario.clocks = vec![
        ClockSetting {
            node: NodeId(1),
            offset: Offset(800_000),
            drift_ppm: 100_000,
        },
        ClockSetting {
            node: NodeId(3),
            offset: Offset::ZERO,
            drift_ppm: -100_000,
        },
    ];
    scenario.actions = vec![TimedAction {
        at: Time(700_000),
        action: Action::Clock {
            node: NodeId(2),
            offset: Offset(-250_000),
            drift_ppm: -1,
        },
    }];
    let mut link = Link::new(scenario);
    link.view.time = Time(2_000_000);
    let text = encode(&link);
    let back = decode(&text).unwrap();
    assert_eq!(back, link);
    assert_eq!(
        hash_at(&back.scenario, back.view.time),
        hash_at(&link.scenario, link.view.time)
    );
    assert_eq!(zigzag(-1), 1);
    assert_eq!(unzigzag(zigzag(i64::MIN)), i64::MIN);
    assert_eq!(unzigzag(zigzag(i64::MAX)), i64::MAX);
    // A drift past i32 is refused as damage, not wrapped.
    let mut bytes = varint(1);
    bytes.extend(varint(0));
    bytes.push(A_CLOCK);
    bytes.extend(varint(0));
    bytes.extend(varint(0));
    bytes.extend(varint(zigzag(i64::from(i32::MAX) + 1)));
    let mut body = Vec::new();
    record(&mut body, T_ACTIONS, &bytes);
    let err = decode(&wrap(CODEC_RAW, &body)).unwrap_err();
    assert!(err.to_string().contains("drift"), "{err}");
}

/// A protocol's options travel in the link as its config does: a link made
/// with PreVote, CheckQuorum and lease reads opens the same run, and a link
/// made before the options existed opens them all off (format 1 keeps
/// working: the config's JSON leaves out options at their defaults).
#[test]
fn protocol_options_survive_a_link() {
    let mut scenario = default_scenario();
    let form = {
        let mut form = Settings::from_scenario(&scenario).form();
        form.options = vec![1, 1, 2, 0];
        form
    };
    scenario.protocol = form.parse().unwrap().protocol;
    scenario
        .actions
        .push(TimedAction::put(Time(900_000), NodeId(1), "x", "1"));
    let link = Link::new(scenario.clone());
    let opened = decode(&encode(&link)).unwrap();
    assert_eq!(opened.scenario.protocol, scenario.protocol);
    let at = Time(3_000_000);
    assert_eq!(hash_at(&opened.scenario, at), hash_at(&scenario, at));
    // The options change the run, so the link must have carried them.
    let mut plain = scenario.clone();
    plain.protocol = default_scenario().protocol;
    assert_ne!(hash_at(&plain, at), hash_at(&scenario, at));
    // Links made before the options open with every option off.
    let old = decode(PINNED_TWO_ACTIONS).unwrap();
    assert_eq!(
        Settings::from_scenario(&old.scenario).form().options,
        [0, 0, 0, 0, 0]
    );
}
