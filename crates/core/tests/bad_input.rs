//! Bad input never panics: scenarios mutated at random either fail
//! validation with a message, or run.

use splitbrain_core::rng::Rng;
use splitbrain_core::*;

fn examples() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/scenarios");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    out.sort();
    out
}

const INTERESTING: &[&str] = &[
    "0",
    "1",
    "-1",
    "51",
    "52",
    "64",
    "65535",
    "18446744073709551615",
    "1.5",
    "null",
    "\"\"",
    "\"0us\"",
    "\"1us\"",
    "\"-3ms\"",
    "\"1e9s\"",
    "[]",
    "[[0,0]]",
    "[[0],[0]]",
    "{}",
    "true",
];

/// Replaces one JSON value (a number, string, or small array) at random.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let bytes = text.as_bytes();
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| {
            matches!(bytes[i], b'0'..=b'9' | b'"' | b'[' | b'-')
                && i > 0
                && matches!(bytes[i - 1], b' ' | b':' | b'[' | b',')
        })
        .collect();
    if starts.is_empty() {
        return text.to_string();
    }
    let start = starts[rng.index(starts.len())];
    let end = if bytes[start] == b'"' {
        text[start + 1..]
            .find('"')
            .map_or(bytes.len(), |e| start + e + 2)
    } else if bytes[start] == b'[' {
        text[start..]
            .find(']')
            .map_or(bytes.len(), |e| start + e + 1)
    } else {
        text[start..]
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .map_or(bytes.len(), |e| start + e)
    };
    let with = INTERESTING[rng.index(INTERESTING.len())];
    format!("{}{}{}", &text[..start], with, &text[end..])
}

#[test]
fn mutated_scenarios_fail_cleanly_or_run() {
    let examples = examples();
    let mut rng = Rng::new(2024);
    let (mut rejected, mut ran) = (0, 0);
    for _ in 0..10_000 {
        let mut text = examples[rng.index(examples.len())].clone();
        for _ in 0..1 + rng.index(3) {
            text = mutate(&text, &mut rng);
        }
        let Ok(scenario) = serde_json::from_str::<Scenario>(&text) else {
            rejected += 1;
            continue;
        };
        match build(&scenario, RunOptions::default()) {
            Err(e) => {
                assert!(!e.message.is_empty() && !e.path.is_empty(), "{e:?}");
                rejected += 1;
            }
            Ok(mut sim) => {
                // Bounded, so a mutation to a huge workload cannot hang CI.
                sim.run_until(Time(1_000_000), 50_000);
                ran += 1;
            }
        }
    }
    println!("mutated scenarios: {rejected} rejected with a message, {ran} ran");
    assert!(ran > 200 && rejected > 200);
}
