//! Interface text in English and Simplified Chinese.
//!
//! Gettext style: the English text is the key, so code everywhere keeps
//! writing plain English and wraps what people see in [`t`] (or [`tf`] when
//! numbers or names go in). A string without a translation shows in
//! English, never as a blank; `tests::every_wrapped_string_is_translated`
//! scans the sources and fails on any wrapped literal the table lacks.
//!
//! The language is a thread-local, not a Yew context, because the canvas
//! text is drawn by render code outside any component, and the page is
//! single-threaded. The web layer sets it at start (link, else local
//! storage, else the browser's language) and on [`crate::model::Msg::SetLanguage`];
//! a native test thread starts in English.
//!
//! The Chinese text is data, not code: `crates/app/assets/zh-Hans.txt`
//! (English, a tab, Chinese; one entry a line). Natively it is compiled in;
//! the page fetches it only when it speaks Chinese (`web/lang.rs`), so
//! the first load of an English page does not carry it. Until it arrives
//! the page speaks English, and [`ready`] says so.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;

/// A language the interface speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    /// Simplified Chinese.
    ZhHans,
}

impl Lang {
    /// Every language, in the order the selector lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhHans];

    /// The BCP 47 tag, for `<html lang>` and local storage.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHans => "zh-Hans",
        }
    }

    /// The language's name in itself, as the selector shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhHans => "简体中文",
        }
    }

    /// Reads a tag as [`Lang::code`] writes it, or as a browser reports
    /// its language (`navigator.language`: `zh-CN`, `zh-Hans-SG`,
    /// `en-GB`, ...). Any Chinese gets the Simplified text, the only one
    /// there is; an unknown language gets None.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::ZhHans),
            _ => None,
        }
    }

    /// The number a link stores (append only: links keep it forever).
    pub fn link_code(self) -> u8 {
        match self {
            Lang::En => 0,
            Lang::ZhHans => 1,
        }
    }

    pub fn from_link_code(code: u8) -> Option<Lang> {
        match code {
            0 => Some(Lang::En),
            1 => Some(Lang::ZhHans),
            _ => None,
        }
    }
}

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// The language the interface speaks now.
pub fn current() -> Lang {
    CURRENT.with(Cell::get)
}

/// Switches the interface language. Text already built (a notice on the
/// screen) stays as it was; everything drawn or rendered after this speaks
/// `lang`.
pub fn set(lang: Lang) {
    CURRENT.with(|c| c.set(lang));
}

/// The Simplified Chinese text file, as shipped next to the page.
pub const ZH_HANS_FILE: &str = "zh-Hans.txt";

/// The file's text, compiled in where there is no server to fetch it from.
#[cfg(not(target_arch = "wasm32"))]
const ZH_HANS_TEXT: &str = include_str!("../assets/zh-Hans.txt");

static ZH_TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();

fn zh_table() -> Option<&'static HashMap<&'static str, &'static str>> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        // The shipped file parses (`the_table_is_well_formed`); a broken
        // one would fail that test rather than this lookup.
        Some(ZH_TABLE.get_or_init(|| parse_table(ZH_HANS_TEXT).unwrap_or_default()))
    }
    #[cfg(target_arch = "wasm32")]
    {
        ZH_TABLE.get()
    }
}

/// Reads a text file in the format of `zh-Hans.txt`: one `english\tchinese`
/// entry a line, `#` comment lines and blank lines skipped. Spaces at the
/// ends of either side are part of the text. An error names the line.
pub fn parse_table(text: &'static str) -> Result<HashMap<&'static str, &'static str>, String> {
    let mut table = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split('\t');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(en), Some(zh), None) if !en.is_empty() && !zh.trim().is_empty() => {
                if table.insert(en, zh).is_some() {
                    return Err(format!("line {}: {en:?} is in the table twice", i + 1));
                }
            }
            _ => {
                return Err(format!(
                    "line {}: expected the English text, one tab and the translation",
                    i + 1
                ))
            }
        }
    }
    Ok(table)
}

/// Installs `lang`'s text, fetched by the page. The text lives as long as
/// the page (it is leaked once: one language file per page load).
pub fn install(lang: Lang, text: String) -> Result<(), String> {
    match lang {
        Lang::En => Ok(()),
        Lang::ZhHans => {
            let table = parse_table(Box::leak(text.into_boxed_str()))?;
            let _ = ZH_TABLE.set(table);
            Ok(())
        }
    }
}

/// Whether `lang`'s text is at hand (English always; Chinese once
/// installed, or natively). Until it is, [`t`] answers in English.
pub fn ready(lang: Lang) -> bool {
    match lang {
        Lang::En => true,
        Lang::ZhHans => zh_table().is_some(),
    }
}

/// The translation of `english` into `lang`, if the table has one.
pub fn lookup(lang: Lang, english: &str) -> Option<&'static str> {
    match lang {
        Lang::En => None,
        Lang::ZhHans => zh_table()?.get(english).copied(),
    }
}

/// `english` in the current language (English when there is no
/// translation).
pub fn t(english: &'static str) -> &'static str {
    lookup(current(), english).unwrap_or(english)
}

/// Like [`t`], for a key that is not a literal (a role or event name a
/// protocol reports): unknown text comes back as it is.
pub fn t_dyn(english: &str) -> &str {
    lookup(current(), english).unwrap_or(english)
}

/// [`t`] with arguments: `{0}`, `{1}`, ... in the text (English or
/// translated) are replaced by `args` in order, so a translation can move
/// them where its grammar wants them.
pub fn tf(english: &'static str, args: &[&dyn Display]) -> String {
    fill(t(english), args)
}

/// Replaces `{n}` in `template` with `args[n]`. A placeholder without an
/// argument stays as written (the test keeps that from shipping).
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 8 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        let index = close.and_then(|c| after[..c].parse::<usize>().ok());
        match (close, index.and_then(|i| args.get(i))) {
            (Some(c), Some(arg)) => {
                out.push_str(&arg.to_string());
                rest = &after[c + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders a text uses, sorted: a translation must use the same.
pub fn placeholders(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find('}') {
            if let Ok(n) = after[..close].parse::<usize>() {
                found.push(n);
            }
        }
        rest = after;
    }
    found.sort_unstable();
    found
}

#[cfg(test)]
mod tests;
