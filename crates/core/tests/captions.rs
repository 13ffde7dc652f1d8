//! Tour captions: optional, validated, and never part of the run.

use splitbrain_core::*;

const OLD: &str = r#"{
  "protocol": { "name": "raft" },
  "nodes": 3,
  "seed": 4,
  "actions": [ { "at": "1s", "action": { "kind": "crash", "node": 0 } } ]
}"#;

fn with_captions(captions: &str) -> Result<Scenario, String> {
    let json = OLD.replacen(
        "\"seed\": 4,",
        &format!("\"seed\": 4, \"captions\": {captions},"),
        1,
    );
    serde_json::from_str::<Scenario>(&json).map_err(|e| e.to_string())
}

fn hash(s: &Scenario) -> u64 {
    let mut sim = build(s, RunOptions::default()).unwrap();
    sim.run_until(Time(3_000_000), u64::MAX);
    sim.trace().hash()
}

#[test]
fn a_scenario_without_captions_still_parses_and_writes_none() {
    let s: Scenario = serde_json::from_str(OLD).unwrap();
    assert!(s.captions.is_empty());
    s.validate().unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert!(!json.contains("captions"), "{json}");
}

#[test]
fn captions_parse_round_trip_and_leave_the_trace_hash_alone() {
    let s = with_captions(
        r#"[ { "at": "500ms", "text": "A leader is elected." },
             { "at": "1s", "text": "Now n0 <b>crashes</b>." } ]"#,
    )
    .unwrap();
    s.validate().unwrap();
    assert_eq!(s.captions.len(), 2);
    assert_eq!(s.captions[0].at, Time(500_000));
    assert_eq!(s.captions[1].text, "Now n0 <b>crashes</b>.");
    let back: Scenario = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);

    let mut plain = s.clone();
    plain.captions.clear();
    assert_eq!(hash(&s), hash(&plain), "captions are not actions");
}

#[test]
fn unknown_caption_fields_are_refused() {
    let e = with_captions(r#"[ { "at": "1s", "text": "x", "colour": "red" } ]"#).unwrap_err();
    assert!(e.contains("colour"), "{e}");
}

#[test]
fn bad_captions_name_the_field() {
    let err = |captions: &str| {
        with_captions(captions)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string()
    };
    let e = err(r#"[ { "at": "2s", "text": "b" }, { "at": "1s", "text": "a" } ]"#);
    assert!(
        e.starts_with("captions[1].at: captions must be in time order"),
        "{e}"
    );
    let e = err(r#"[ { "at": "1s", "text": "a" }, { "at": "1s", "text": "b" } ]"#);
    assert!(e.starts_with("captions[1].at:"), "{e}");
    let e = err(r#"[ { "at": "1s", "text": "  " } ]"#);
    assert_eq!(e, "captions[0].text: is empty");
    let long = "x".repeat(MAX_CAPTION_CHARS + 1);
    let e = err(&format!(r#"[ {{ "at": "1s", "text": "{long}" }} ]"#));
    assert!(
        e.starts_with("captions[0].text: at most 500 characters"),
        "{e}"
    );
    let many: Vec<String> = (0..=MAX_CAPTIONS)
        .map(|i| format!(r#"{{ "at": "{}ms", "text": "c" }}"#, i + 1))
        .collect();
    let e = err(&format!("[{}]", many.join(",")));
    assert!(e.starts_with("captions: at most 100 captions"), "{e}");
}
