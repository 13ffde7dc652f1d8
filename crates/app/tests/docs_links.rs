//! The book's live examples (`docs/src/*.md`) are permalinks. Each sits
//! under a `<!-- link: FILE OPTIONS -->` comment naming the scenario file it
//! was made from (by `cargo run -p splitbrain-app --example link -- FILE
//! OPTIONS --iframe ../index.html`); this checks that every one opens, is
//! an embed, and still shows exactly that scenario.

use std::fs;
use std::path::Path;

use splitbrain_app::link;
use splitbrain_core::Scenario;

#[test]
fn every_docs_embed_opens_the_scenario_it_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut checked = 0;
    let mut pages: Vec<_> = fs::read_dir(root.join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    for page in pages {
        let text = fs::read_to_string(&page).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(spec) = line
                .strip_prefix("<!-- link: ")
                .and_then(|l| l.strip_suffix(" -->"))
            else {
                continue;
            };
            let where_ = format!("{}:{}", page.display(), i + 2);
            let file = spec.split_whitespace().next().unwrap();
            let iframe = lines.get(i + 1).copied().unwrap_or_default();
            let fragment = iframe
                .split("index.html#")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("{where_}: no iframe under the link comment"));
            let opened = link::decode(fragment).unwrap_or_else(|e| panic!("{where_}: {e}"));
            let expected: Scenario =
                serde_json::from_str(&fs::read_to_string(root.join(file)).unwrap()).unwrap();
            assert_eq!(
                opened.scenario, expected,
                "{where_}: the embed no longer matches {file}; regenerate it with \
                 `cargo run -p splitbrain-app --example link -- {spec} --iframe ../index.html`"
            );
            assert!(opened.embed.is_some(), "{where_}: not an embed link");
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} docs embeds found");
}
