use std::path::{Path, PathBuf};

use super::*;

#[test]
fn english_is_the_key_and_the_fallback() {
    set(Lang::En);
    assert_eq!(t("Copy link"), "Copy link");
    set(Lang::ZhHans);
    assert_eq!(t("Copy link"), "复制链接");
    // No translation: the English text, never a blank.
    assert_eq!(t("no such text in the table"), "no such text in the table");
    assert_eq!(t_dyn("leader"), "领导者");
    set(Lang::En);
}

#[test]
fn formatted_text_puts_arguments_where_the_translation_wants_them() {
    assert_eq!(fill("seed {0} of {1}", &[&7, &"x"]), "seed 7 of x");
    assert_eq!(fill("{1} then {0}", &[&"a", &"b"]), "b then a");
    // Braces that are not placeholders, and missing arguments, stay.
    assert_eq!(fill("{a} {0} {2}", &[&1]), "{a} 1 {2}");
    set(Lang::ZhHans);
    assert_eq!(tf("Seed {0}", &[&42]), "种子 42");
    set(Lang::En);
    assert_eq!(tf("Seed {0}", &[&42]), "Seed 42");
}

#[test]
fn tags_from_links_storage_and_browsers() {
    assert_eq!(Lang::from_tag("zh-CN"), Some(Lang::ZhHans));
    assert_eq!(Lang::from_tag("zh-Hans"), Some(Lang::ZhHans));
    assert_eq!(Lang::from_tag("zh_TW"), Some(Lang::ZhHans));
    assert_eq!(Lang::from_tag("en-GB"), Some(Lang::En));
    assert_eq!(Lang::from_tag("EN"), Some(Lang::En));
    assert_eq!(Lang::from_tag("fr-FR"), None);
    assert_eq!(Lang::from_tag(""), None);
    for lang in Lang::ALL {
        assert_eq!(Lang::from_tag(lang.code()), Some(lang));
        assert_eq!(Lang::from_link_code(lang.link_code()), Some(lang));
    }
    assert_eq!(Lang::from_link_code(200), None);
}

#[test]
fn the_table_is_well_formed() {
    let table = parse_table(ZH_HANS_TEXT).unwrap_or_else(|e| panic!("{ZH_HANS_FILE}: {e}"));
    assert!(table.len() >= 600, "{} entries", table.len());
    for (en, zh) in table {
        assert_eq!(
            placeholders(en),
            placeholders(zh),
            "{en:?} and {zh:?} use different placeholders"
        );
    }
}

#[test]
fn a_malformed_table_names_the_line() {
    let e = parse_table("# c\n\nRun\t运行\nPlay 播放\n").unwrap_err();
    assert!(e.starts_with("line 4:"), "{e}");
    let e = parse_table("Run\t运行\nRun\t跑\n").unwrap_err();
    assert!(e.starts_with("line 2:") && e.contains("twice"), "{e}");
    let e = parse_table("Run\t \n").unwrap_err();
    assert!(e.starts_with("line 1:"), "{e}");
    let e = parse_table("Run\t运行\textra\n").unwrap_err();
    assert!(e.starts_with("line 1:"), "{e}");
    // Spaces at the ends are text: keys such as "events " keep them.
    let table = parse_table("events \t事件 \n").unwrap();
    assert_eq!(table.get("events "), Some(&"事件 "));
}

#[test]
fn the_page_fetches_chinese_and_speaks_english_until_then() {
    // English needs no file; natively the Chinese file is compiled in.
    assert!(ready(Lang::En));
    assert!(ready(Lang::ZhHans));
    assert_eq!(install(Lang::En, String::new()), Ok(()));
    assert!(install(Lang::ZhHans, "bad line".to_owned()).is_err());
}

/// The string literals the sources pass to `t(` and `tf(`.
fn wrapped_literals() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_rs(&root, &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        for literal in literals_in(&text) {
            found.push((file.clone(), literal));
        }
    }
    found
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable source dir") {
        let path = entry.expect("a dir entry").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n/tests.rs") {
            out.push(path);
        }
    }
}

/// Finds `t("...")` and `tf("...", ...)` (also as `i18n::t(`) and reads
/// the literal. A call whose first argument is not a literal is a
/// [`t_dyn`]-style lookup and is not checked here.
fn literals_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let call = if bytes[i..].starts_with(b"tf(") {
            Some(3)
        } else if bytes[i..].starts_with(b"t(") {
            Some(2)
        } else {
            None
        };
        let Some(len) = call else {
            i += 1;
            continue;
        };
        let before = if i == 0 { b' ' } else { bytes[i - 1] };
        if before.is_ascii_alphanumeric() || before == b'_' {
            i += 1;
            continue;
        }
        let mut j = i + len;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'"' {
            if let Some((literal, end)) = read_literal(text, j) {
                out.push(literal);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Reads the Rust string literal opening at `start` (a `"`): its value and
/// where it ends.
fn read_literal(text: &str, start: usize) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((value, start + 1 + at + 1)),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                '0' => value.push('\0'),
                '\\' => value.push('\\'),
                '"' => value.push('"'),
                '\'' => value.push('\''),
                'u' => {
                    let mut hex = String::new();
                    for (_, h) in chars.by_ref() {
                        match h {
                            '{' => {}
                            '}' => break,
                            h => hex.push(h),
                        }
                    }
                    value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                // A line continuation: the newline and the next line's
                // indentation are not part of the text.
                '\n' => {
                    while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                        chars.next();
                    }
                }
                _ => return None,
            },
            c => value.push(c),
        }
    }
    None
}

#[test]
fn the_scanner_reads_calls_and_literals() {
    let src = r#"let a = t("Play"); let b = i18n::t( "Say \"hi\"\n");
        let c = tf(
            "Seed {0} and \
             more", &[&1]); let d = get("no"); let e = t(name);"#;
    assert_eq!(
        literals_in(src),
        vec!["Play", "Say \"hi\"\n", "Seed {0} and more"]
    );
}

#[test]
fn every_wrapped_string_is_translated() {
    let found = wrapped_literals();
    // The app wraps far more than this; fewer means the scan broke.
    assert!(
        found.len() > 40,
        "only {} wrapped strings found",
        found.len()
    );
    let mut missing = Vec::new();
    for (file, english) in &found {
        match lookup(Lang::ZhHans, english) {
            None => missing.push(format!("{}: {english:?}", file.display())),
            Some(zh) => assert_eq!(
                placeholders(english),
                placeholders(zh),
                "{english:?} and {zh:?} use different placeholders"
            ),
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "{} wrapped strings have no Chinese translation:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// Texts the interface shows that are not literals at the call: names the
/// protocols report (roles, clocks, fields, invariants, message kinds),
/// the protocol menu's words, the shortcut list, the example scenarios.
/// Gathered by running every protocol through a crash, a partition and
/// requests, so a role only reached under faults is included.
fn dynamic_texts() -> std::collections::BTreeSet<String> {
    use crate::board::Board;
    use crate::protocols::ProtocolChoice;
    use crate::settings::Settings;
    use splitbrain_core::{Action, NodeId, Time, TimedAction};

    let mut out = std::collections::BTreeSet::new();
    let mut add = |s: &str| {
        if !s.is_empty() {
            out.insert(s.to_owned());
        }
    };
    for (_, what) in crate::keys::SHORTCUTS {
        add(what);
    }
    for (name, _) in crate::settings::EXAMPLES {
        add(name);
    }
    for (_, name) in crate::link::controls::NAMES {
        add(name);
    }
    for kind in splitbrain_core::timeline::MarkKind::ALL {
        add(kind.name());
    }
    for property in crate::history::Property::ALL {
        add(property.name());
        add(property.meaning());
    }
    for verdict in [
        splitbrain_core::check::Verdict::Holds,
        splitbrain_core::check::Verdict::Violated,
        splitbrain_core::check::Verdict::Unknown,
    ] {
        add(verdict.name());
    }
    add(crate::history::SERVED_LEGEND);
    for target in crate::explorer::Target::all() {
        add(target.label());
    }
    // Words a protocol's registration gives that no run shows by itself.
    for protocol in splitbrain_core::registry::protocols() {
        if let Some(broken) = protocol.can.broken {
            add(broken.label);
        }
        for option in protocol.can.options {
            add(option.label);
            add(option.help);
            if let splitbrain_core::registry::OptionKind::Choice(choices) = option.kind {
                for choice in choices {
                    add(choice);
                }
            }
        }
        for preset in protocol.presets {
            add(preset.label);
            add(preset.board_title);
        }
    }
    // Roles and fields only an option shows: each option at each of its
    // values, every other at its default, through a partition.
    for protocol in splitbrain_core::registry::protocols() {
        for option in protocol.can.options {
            let values = match option.kind {
                splitbrain_core::registry::OptionKind::Switch => 2,
                splitbrain_core::registry::OptionKind::Choice(c) => c.len(),
            };
            for value in 1..values {
                let mut config = (protocol.presets[0].config)();
                (option.set)(&mut config, value);
                let mut scenario = splitbrain_core::Scenario::new(config, 5, 1);
                scenario.workload = Some(Default::default());
                scenario.actions = vec![TimedAction {
                    at: Time(1_000_000),
                    action: Action::Partition {
                        groups: vec![vec![NodeId(0)], vec![NodeId(1)], vec![NodeId(2)]],
                    },
                }];
                let mut sim = splitbrain_core::build(&scenario, Default::default()).unwrap();
                for t in (100_000..3_000_000).step_by(100_000) {
                    sim.run_until(Time(t), u64::MAX);
                    for i in 0..5 {
                        add(sim.node_view(NodeId(i)).role_label);
                        for (field, _) in sim.node_detail(NodeId(i)).fields {
                            if !is_identifier(field) {
                                add(field);
                            }
                        }
                    }
                }
            }
        }
    }
    for choice in ProtocolChoice::ALL {
        add(choice.label());
        add(choice.legend());
        add(choice.inspector_words().0);
        add(choice.inspector_words().1);
        add(choice.in_charge(None).0);
        let mut scenario = choice.settings(&Settings::default()).scenario();
        let n = scenario.nodes;
        scenario.actions = vec![
            TimedAction {
                at: Time(700_000),
                action: Action::Crash { node: NodeId(0) },
            },
            TimedAction {
                at: Time(1_500_000),
                action: Action::Partition {
                    groups: vec![vec![NodeId(1), NodeId(2)]],
                },
            },
            TimedAction {
                at: Time(2_200_000),
                action: Action::Restart { node: NodeId(0) },
            },
            TimedAction {
                at: Time(3_000_000),
                action: Action::Heal,
            },
        ];
        let mut sim =
            splitbrain_core::build(&scenario, splitbrain_core::RunOptions::default()).unwrap();
        add(sim.protocol_name());
        for name in sim.invariant_names() {
            add(name);
        }
        let mut t = 0;
        while t < 5_000_000 {
            t += 20_000;
            sim.run_until(Time(t), u64::MAX);
            if choice.is_commit() && t % 400_000 == 0 {
                let _ = sim.act(Action::Request {
                    node: NodeId(0),
                    client: None,
                    op: splitbrain_core::protocol::Op::Put {
                        key: "x".into(),
                        value: "1".into(),
                    },
                });
            }
            for i in 0..n {
                let view = sim.node_view(NodeId(i));
                add(view.role_label);
                add(view.term_label);
                for (field, _) in sim.node_detail(NodeId(i)).fields {
                    // Variables named as in the papers (nextIndex,
                    // votedFor) stay as they are, like message kinds.
                    if !is_identifier(field) {
                        add(field);
                    }
                }
            }
        }
        let board = Board::of(&sim, &sim.scenario().actions);
        add(board.title);
        add(board.decision);
        for column in board.columns {
            add(column);
        }
    }
    out
}

/// `nextIndex`, `N/R/W`: a name from the literature, not a word.
fn is_identifier(text: &str) -> bool {
    !text.contains(' ')
        && (text.chars().skip(1).any(|c| c.is_ascii_uppercase()) || text.contains('/'))
}

#[test]
#[ignore = "prints the texts dynamic_texts gathers"]
fn print_dynamic_texts() {
    for text in dynamic_texts() {
        let have = lookup(Lang::ZhHans, &text).is_some();
        println!("{} {text:?}", if have { "ok" } else { "--" });
    }
}

#[test]
fn every_dynamic_text_is_translated() {
    let texts = dynamic_texts();
    assert!(texts.len() > 60, "only {} texts gathered", texts.len());
    let missing: Vec<_> = texts
        .iter()
        .filter(|t| lookup(Lang::ZhHans, t).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "{} texts have no Chinese translation: {missing:#?}",
        missing.len()
    );
}
