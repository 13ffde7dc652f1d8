//! A reader for EDN, the notation Jepsen writes histories in
//! (<https://github.com/edn-format/edn>).
//!
//! It reads the whole notation: nil, booleans, integers (a trailing `N`,
//! a sign), floats (a trailing `M`), ratios, strings with escapes
//! (`\uXXXX` too), characters (`\a`, `\newline`, `\u0041`), keywords,
//! symbols, lists, vectors, maps, sets, `;` comments, `#_` discards and
//! tagged elements. Commas are whitespace. A tag is dropped and its
//! element read in its place: `#jepsen.history.Op{...}` reads as the map,
//! `#inst "..."` and `#uuid "..."` as the string.
//!
//! Values borrow from the text where they can (keywords, symbols, strings
//! without escapes), so reading a history allocates little. A caller can
//! read one form at a time, or step into a top-level vector or list and
//! take its elements one by one ([`Reader::open_sequence`],
//! [`Reader::next_in`]): a history never has to exist as one tree.
//!
//! Bounded: nesting deeper than [`MAX_DEPTH`] or a form of more than
//! [`MAX_ITEMS`] values is an error, so a hostile file can neither
//! overflow the stack nor make a few bytes into gigabytes. Every error
//! carries the byte offset it is at; [`Position::of`] turns that into a
//! line and column.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// How deep collections may nest. Histories need five levels or so; the
/// bound keeps the recursive reader well inside a small (wasm) stack.
pub const MAX_DEPTH: usize = 64;
/// How many values one top-level form may hold, all levels counted.
pub const MAX_ITEMS: usize = 1 << 20;

/// An EDN value. Text is borrowed from the input where possible.
#[derive(Clone, Debug, PartialEq)]
pub enum Edn<'t> {
    Nil,
    Bool(bool),
    Int(i64),
    /// An integer that does not fit 64 bits, as written (without `N`).
    BigInt(&'t str),
    /// A float, a `M` decimal or a ratio, as the nearest `f64`.
    Float(f64),
    Str(Cow<'t, str>),
    Char(char),
    /// Without its leading `:`.
    Keyword(&'t str),
    Symbol(&'t str),
    List(Vec<Edn<'t>>),
    Vector(Vec<Edn<'t>>),
    Set(Vec<Edn<'t>>),
    Map(Vec<(Edn<'t>, Edn<'t>)>),
}

impl Edn<'_> {
    /// The value in a few words, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Edn::Nil => "nil".into(),
            Edn::Bool(b) => format!("{b}"),
            Edn::Int(i) => format!("{i}"),
            Edn::BigInt(s) => format!("{s}N"),
            Edn::Float(f) => format!("{f}"),
            Edn::Str(s) => {
                let mut out = String::from("\"");
                for c in s.chars().take(40) {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        c => out.push(c),
                    }
                }
                if s.chars().nth(40).is_some() {
                    out.push('…');
                }
                out.push('"');
                out
            }
            Edn::Char(c) => format!("the character {c:?}"),
            Edn::Keyword(k) => format!(":{k}"),
            Edn::Symbol(s) => format!("the symbol `{s}`"),
            Edn::List(v) => format!("a list of {}", v.len()),
            Edn::Vector(v) => format!("a vector of {}", v.len()),
            Edn::Set(v) => format!("a set of {}", v.len()),
            Edn::Map(m) => format!("a map of {}", m.len()),
        }
    }

    /// The value of `key` (a keyword, without `:`) in a map.
    pub fn get(&self, key: &str) -> Option<&Self> {
        match self {
            Edn::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Edn::Keyword(k) if *k == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The elements of a vector or list.
    pub fn as_seq(&self) -> Option<&[Self]> {
        match self {
            Edn::Vector(v) | Edn::List(v) => Some(v),
            _ => None,
        }
    }
}

/// What is wrong, and at which byte of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdnError {
    pub offset: usize,
    pub message: String,
}

fn error<T>(offset: usize, message: impl Into<String>) -> Result<T, EdnError> {
    Err(EdnError {
        offset,
        message: message.into(),
    })
}

/// A 1-based line and column (in characters) in a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// Where byte `offset` of `text` is.
    pub fn of(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let before = &text.as_bytes()[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        // Count characters, not bytes: a column is what an editor shows.
        let column = text[start..]
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .count()
            + 1;
        Position { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Bytes that end a token: whitespace, commas, brackets, quotes,
/// comments and the start of a character literal.
fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | 0x0b
            | 0x0c
            | b','
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'"'
            | b';'
            | b'\\'
    )
}

/// Reads EDN forms from a text, one after another.
pub struct Reader<'t> {
    text: &'t str,
    pos: usize,
    /// Values read in the current top-level form.
    items: usize,
    /// Where the sequence [`Reader::open_sequence`] entered starts.
    sequence: usize,
}

impl<'t> Reader<'t> {
    pub fn new(text: &'t str) -> Reader<'t> {
        Reader {
            text,
            pos: 0,
            items: 0,
            sequence: 0,
        }
    }

    /// The byte offset reading has reached.
    pub fn offset(&self) -> usize {
        self.pos
    }

    pub fn text(&self) -> &'t str {
        self.text
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + ahead).copied()
    }

    /// Skips whitespace, commas, comments and `#_` discarded forms.
    pub fn skip_space(&mut self) -> Result<(), EdnError> {
        self.skip(0)
    }

    /// [`Reader::skip_space`] inside forms nested `depth` deep: a discarded
    /// form counts one level deeper, so `#_#_#_...` cannot recurse
    /// without bound.
    fn skip(&mut self, depth: usize) -> Result<(), EdnError> {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | b',' => self.pos += 1,
                b';' => {
                    while bytes.get(self.pos).is_some_and(|b| *b != b'\n') {
                        self.pos += 1;
                    }
                }
                b'#' if self.peek_at(1) == Some(b'_') => {
                    self.pos += 2;
                    self.form(depth + 1)?;
                }
                _ if b >= 0x80 && self.text[self.pos..].starts_with(char::is_whitespace) => {
                    self.pos += self.text[self.pos..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// Whether only whitespace and comments are left.
    pub fn at_end(&mut self) -> Result<bool, EdnError> {
        self.skip_space()?;
        Ok(self.pos >= self.text.len())
    }

    /// The next form.
    pub fn read(&mut self) -> Result<Edn<'t>, EdnError> {
        self.items = 0;
        self.form(0)
    }

    /// If the next form is a vector or a list, steps into it and returns
    /// its closing bracket; otherwise reads nothing and returns `None`.
    pub fn open_sequence(&mut self) -> Result<Option<u8>, EdnError> {
        self.skip_space()?;
        let close = match self.peek() {
            Some(b'[') => b']',
            Some(b'(') => b')',
            _ => return Ok(None),
        };
        self.sequence = self.pos;
        self.pos += 1;
        Ok(Some(close))
    }

    /// In a sequence entered with [`Reader::open_sequence`]: its next
    /// element, or `None` after its closing bracket.
    pub fn next_in(&mut self, close: u8) -> Result<Option<Edn<'t>>, EdnError> {
        self.skip_space()?;
        match self.peek() {
            None => error(
                self.sequence,
                format!(
                    "unclosed `{}`: no `{}` before the end",
                    self.text.as_bytes()[self.sequence] as char,
                    close as char
                ),
            ),
            Some(b) if b == close => {
                self.pos += 1;
                Ok(None)
            }
            Some(_) => {
                self.items = 0;
                self.form(1).map(Some)
            }
        }
    }

    fn form(&mut self, depth: usize) -> Result<Edn<'t>, EdnError> {
        if depth > MAX_DEPTH {
            return error(self.pos, format!("nested more than {MAX_DEPTH} deep"));
        }
        self.skip(depth)?;
        let start = self.pos;
        self.items += 1;
        if self.items > MAX_ITEMS {
            return error(start, format!("more than {MAX_ITEMS} values in one form"));
        }
        let Some(b) = self.peek() else {
            return error(start, "expected a value, found the end");
        };
        match b {
            b'(' => {
                self.pos += 1;
                Ok(Edn::List(self.items_until(b')', start, depth)?))
            }
            b'[' => {
                self.pos += 1;
                Ok(Edn::Vector(self.items_until(b']', start, depth)?))
            }
            b'{' => {
                self.pos += 1;
                self.map(start, depth)
            }
            b'"' => self.string(),
            b'\\' => self.character(),
            b'#' => self.dispatch(depth),
            b')' | b']' | b'}' => error(start, format!("unexpected `{}`", b as char)),
            _ => self.token(),
        }
    }

    fn items_until(
        &mut self,
        close: u8,
        open: usize,
        depth: usize,
    ) -> Result<Vec<Edn<'t>>, EdnError> {
        let mut items = Vec::new();
        loop {
            self.skip(depth + 1)?;
            match self.peek() {
                None => {
                    return error(
                        open,
                        format!(
                            "unclosed `{}`: no `{}` before the end",
                            self.text.as_bytes()[open] as char,
                            close as char
                        ),
                    )
                }
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.form(depth + 1)?),
            }
        }
    }

    fn map(&mut self, open: usize, depth: usize) -> Result<Edn<'t>, EdnError> {
        let mut entries = Vec::new();
        loop {
            self.skip(depth + 1)?;
            match self.peek() {
                None => return error(open, "unclosed `{`: no `}` before the end"),
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Edn::Map(entries));
                }
                Some(_) => {
                    let key = self.form(depth + 1)?;
                    self.skip(depth + 1)?;
                    if self.peek() == Some(b'}') {
                        return error(
                            self.pos,
                            format!("the map's key {} has no value", key.describe()),
                        );
                    }
                    let value = self.form(depth + 1)?;
                    entries.push((key, value));
                }
            }
        }
    }

    /// After `#`: a set, a discard, a symbolic value or a tag.
    #[inline(never)]
    fn dispatch(&mut self, depth: usize) -> Result<Edn<'t>, EdnError> {
        let start = self.pos;
        match self.peek_at(1) {
            Some(b'{') => {
                self.pos += 2;
                Ok(Edn::Set(self.items_until(b'}', start, depth)?))
            }
            Some(b'#') => {
                self.pos += 2;
                let name = self.take_token();
                match name {
                    "Inf" => Ok(Edn::Float(f64::INFINITY)),
                    "-Inf" => Ok(Edn::Float(f64::NEG_INFINITY)),
                    "NaN" => Ok(Edn::Float(f64::NAN)),
                    _ => error(start, format!("unknown symbolic value `##{name}`")),
                }
            }
            Some(b) if b.is_ascii_alphabetic() => {
                self.pos += 1;
                let tag = self.take_token();
                self.skip(depth + 1)?;
                if self.pos >= self.text.len() {
                    return error(start, format!("the tag `#{tag}` has no value"));
                }
                // The element stands for itself: a record reads as its
                // map, an instant or a UUID as its string.
                self.form(depth + 1)
            }
            _ => error(
                start,
                "`#` must start a set `#{`, a discard `#_` or a tag such as `#inst`",
            ),
        }
    }

    /// The run of non-delimiters at the reading position.
    fn take_token(&mut self) -> &'t str {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        while bytes.get(self.pos).is_some_and(|b| !is_delimiter(*b)) {
            self.pos += 1;
        }
        // Delimiters are ASCII, so the cut is on a character boundary.
        &self.text[start..self.pos]
    }

    #[inline(never)]
    fn token(&mut self) -> Result<Edn<'t>, EdnError> {
        let start = self.pos;
        let token = self.take_token();
        if token.is_empty() {
            return error(start, "expected a value");
        }
        let bytes = token.as_bytes();
        let numeric = bytes[0].is_ascii_digit()
            || (matches!(bytes[0], b'+' | b'-') && bytes.get(1).is_some_and(u8::is_ascii_digit));
        if numeric {
            return number(token).or_else(|m| error(start, m));
        }
        if let Some(name) = token.strip_prefix(':') {
            if name.is_empty() || name.starts_with(':') || name.ends_with('/') {
                return error(start, format!("`{token}` is not a keyword"));
            }
            return Ok(Edn::Keyword(name));
        }
        Ok(match token {
            "nil" => Edn::Nil,
            "true" => Edn::Bool(true),
            "false" => Edn::Bool(false),
            _ => Edn::Symbol(token),
        })
    }

    #[inline(never)]
    fn string(&mut self) -> Result<Edn<'t>, EdnError> {
        let open = self.pos;
        self.pos += 1;
        let bytes = self.text.as_bytes();
        let body = self.pos;
        // Most strings have no escapes: borrow those.
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(Edn::Str(Cow::Borrowed(&self.text[body..self.pos - 1])));
                }
                b'\\' => break,
                _ => self.pos += 1,
            }
        }
        let mut s = String::from(&self.text[body..self.pos]);
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return error(open, "unterminated string");
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(Edn::Str(Cow::Owned(s))),
                '\\' => {
                    let at = self.pos - 1;
                    let Some(e) = self.text[self.pos..].chars().next() else {
                        return error(open, "unterminated string");
                    };
                    self.pos += e.len_utf8();
                    match e {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        'b' => s.push('\u{8}'),
                        'f' => s.push('\u{c}'),
                        '"' | '\\' => s.push(e),
                        'u' => s.push(self.unicode_escape(at)?),
                        '0'..='7' => {
                            let mut code = e as u32 - '0' as u32;
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        code = code * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            match char::from_u32(code).filter(|_| code <= 0o377) {
                                Some(c) => s.push(c),
                                None => return error(at, "octal escape above \\377"),
                            }
                        }
                        other => {
                            return error(at, format!("unknown escape `\\{other}` in a string"))
                        }
                    }
                }
                c => s.push(c),
            }
        }
    }

    /// After `\u` (at `at`): four hex digits, and a low surrogate's
    /// `\uXXXX` after a high one.
    fn unicode_escape(&mut self, at: usize) -> Result<char, EdnError> {
        let high = self.hex4(at)?;
        if (0xD800..0xDC00).contains(&high) {
            if self.text[self.pos..].starts_with("\\u") {
                self.pos += 2;
                let low = self.hex4(at)?;
                if (0xDC00..0xE000).contains(&low) {
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    if let Some(c) = char::from_u32(code) {
                        return Ok(c);
                    }
                }
            }
            return error(at, "`\\u` escape of an unpaired surrogate");
        }
        char::from_u32(high).map_or_else(|| error(at, "`\\u` escape of an unpaired surrogate"), Ok)
    }

    fn hex4(&mut self, at: usize) -> Result<u32, EdnError> {
        let digits = self.text.get(self.pos..self.pos + 4).unwrap_or("");
        match u32::from_str_radix(digits, 16) {
            Ok(code) if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(code)
            }
            _ => error(at, "`\\u` needs four hex digits"),
        }
    }

    #[inline(never)]
    fn character(&mut self) -> Result<Edn<'t>, EdnError> {
        let start = self.pos;
        self.pos += 1;
        let Some(first) = self.text[self.pos..].chars().next() else {
            return error(start, "`\\` at the end: expected a character");
        };
        self.pos += first.len_utf8();
        let name_start = self.pos - first.len_utf8();
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
            self.pos += 1;
        }
        let name = &self.text[name_start..self.pos];
        if name.len() == first.len_utf8() {
            return Ok(Edn::Char(first));
        }
        let c = match name {
            "newline" => '\n',
            "space" => ' ',
            "tab" => '\t',
            "return" => '\r',
            "formfeed" => '\u{c}',
            "backspace" => '\u{8}',
            _ if name.len() == 5 && name.starts_with('u') => {
                match u32::from_str_radix(&name[1..], 16)
                    .ok()
                    .and_then(char::from_u32)
                {
                    Some(c) => c,
                    None => return error(start, format!("`\\{name}` is not a character")),
                }
            }
            _ if name.starts_with('o') && name.len() <= 4 => {
                match u32::from_str_radix(&name[1..], 8)
                    .ok()
                    .filter(|c| *c <= 0o377)
                {
                    Some(c) => char::from_u32(c).unwrap_or('\0'),
                    None => return error(start, format!("`\\{name}` is not a character")),
                }
            }
            _ => return error(start, format!("`\\{name}` is not a character")),
        };
        Ok(Edn::Char(c))
    }
}

/// A numeric token: an integer (`N` allowed), a float (`M` allowed) or a
/// ratio.
fn number(token: &str) -> Result<Edn<'_>, String> {
    let bad = || format!("`{token}` is not a number");
    if let Some(digits) = token.strip_suffix('N') {
        if !is_integer(digits) {
            return Err(bad());
        }
        return Ok(digits.parse().map_or(Edn::BigInt(digits), Edn::Int));
    }
    if let Some((n, d)) = token.split_once('/') {
        if !is_integer(n) || !d.bytes().all(|b| b.is_ascii_digit()) || d.is_empty() {
            return Err(bad());
        }
        let (n, d): (f64, f64) = (n.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        return Ok(Edn::Float(n / d));
    }
    if is_integer(token) {
        return Ok(token.parse().map_or(Edn::BigInt(token), Edn::Int));
    }
    let float = token.strip_suffix('M').unwrap_or(token);
    // Rust accepts `inf` and `nan`, EDN does not: only digits, sign, point
    // and exponent.
    let plausible = float
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    match float.parse::<f64>() {
        Ok(f) if plausible => Ok(Edn::Float(f)),
        _ => Err(bad()),
    }
}

fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Reads the one form that `text` holds.
pub fn read(text: &str) -> Result<Edn<'_>, EdnError> {
    let mut reader = Reader::new(text);
    let form = reader.read()?;
    if !reader.at_end()? {
        return error(reader.offset(), "more after the value");
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn one(text: &str) -> Edn<'_> {
        read(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    fn fails(text: &str) -> (Position, String) {
        let e = read(text).unwrap_err();
        (Position::of(text, e.offset), e.message)
    }

    #[test]
    fn scalars() {
        assert_eq!(one("nil"), Edn::Nil);
        assert_eq!(one("true"), Edn::Bool(true));
        assert_eq!(one("-42"), Edn::Int(-42));
        assert_eq!(one("+7"), Edn::Int(7));
        assert_eq!(one("12N"), Edn::Int(12));
        assert_eq!(
            one("123456789012345678901234567890N"),
            Edn::BigInt("123456789012345678901234567890")
        );
        assert_eq!(
            one("99999999999999999999"),
            Edn::BigInt("99999999999999999999")
        );
        assert_eq!(one("1.5"), Edn::Float(1.5));
        assert_eq!(one("-2.5e3"), Edn::Float(-2500.0));
        assert_eq!(one("3.25M"), Edn::Float(3.25));
        assert_eq!(one("1/4"), Edn::Float(0.25));
        assert_eq!(one("##Inf"), Edn::Float(f64::INFINITY));
        assert_eq!(one(":ok"), Edn::Keyword("ok"));
        assert_eq!(one(":jepsen.history/op"), Edn::Keyword("jepsen.history/op"));
        assert_eq!(one("foo/bar"), Edn::Symbol("foo/bar"));
        assert_eq!(one("-"), Edn::Symbol("-"));
        assert_eq!(one("a#b"), Edn::Symbol("a#b"));
    }

    #[test]
    fn strings_and_characters() {
        assert_eq!(one(r#""plain""#), Edn::Str(Cow::Borrowed("plain")));
        assert_eq!(
            one(r#""a\"b\\c\n\t\u0041\u00e9 #{ ]""#),
            Edn::Str("a\"b\\c\n\tAé #{ ]".into())
        );
        assert_eq!(one(r#""\uD83D\uDE00""#), Edn::Str("😀".into()));
        assert_eq!(one(r#""\101""#), Edn::Str("A".into()));
        assert_eq!(one("\"é ü\""), Edn::Str("é ü".into()));
        assert_eq!(one(r"\a"), Edn::Char('a'));
        assert_eq!(one(r"\newline"), Edn::Char('\n'));
        assert_eq!(one(r"\space"), Edn::Char(' '));
        assert_eq!(one(r"\u0041"), Edn::Char('A'));
        assert_eq!(one(r"\("), Edn::Char('('));
        assert_eq!(one(r"\é"), Edn::Char('é'));
        assert_eq!(
            one(r"[\a \b,\]]"),
            Edn::Vector(vec![Edn::Char('a'), Edn::Char('b'), Edn::Char(']')])
        );
    }

    #[test]
    fn collections_comments_discards_and_tags() {
        let text = "; a history\n[{:a 1, :b [2 3]} ; one\n #_ {:skipped true} (4 #{5}),]";
        let Edn::Vector(items) = one(text) else {
            panic!("a vector")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].get("a"), Some(&Edn::Int(1)));
        assert_eq!(
            items[0].get("b").and_then(Edn::as_seq).map(<[_]>::len),
            Some(2)
        );
        assert_eq!(
            items[1],
            Edn::List(vec![Edn::Int(4), Edn::Set(vec![Edn::Int(5)])])
        );
        let op = one("#jepsen.history.Op{:index 0, :type :invoke}");
        assert_eq!(op.get("type"), Some(&Edn::Keyword("invoke")));
        assert_eq!(
            one(r#"#inst "2024-01-01T00:00:00Z""#),
            Edn::Str("2024-01-01T00:00:00Z".into())
        );
        assert_eq!(one("#_ 1 #_ #_ 2 3 4"), Edn::Int(4));
        assert_eq!(one("{}"), Edn::Map(vec![]));
        assert_eq!(one("[1,2,,3]").as_seq().map(<[_]>::len), Some(3));
    }

    #[test]
    fn a_sequence_is_read_element_by_element() {
        let text = "(1 [2] ; three\n 3)";
        let mut r = Reader::new(text);
        let close = r.open_sequence().unwrap().unwrap();
        assert_eq!(close, b')');
        let mut got = vec![];
        while let Some(v) = r.next_in(close).unwrap() {
            got.push(v);
        }
        assert_eq!(got.len(), 3);
        assert!(r.at_end().unwrap());
        let mut r = Reader::new("{:a 1}");
        assert_eq!(r.open_sequence().unwrap(), None);
        assert_eq!(r.read().unwrap().get("a"), Some(&Edn::Int(1)));
    }

    #[test]
    fn errors_name_line_and_column() {
        let cases: [(&str, usize, usize, &str); 12] = [
            ("[1 2", 1, 1, "unclosed `[`"),
            ("{:a 1\n :b}", 2, 4, "has no value"),
            ("\n  \"abc", 2, 3, "unterminated string"),
            ("[1 \"\\q\"]", 1, 5, "unknown escape"),
            ("\"\\u12\"", 1, 2, "four hex digits"),
            ("[1 ]]", 1, 5, "more after"),
            ("[:]", 1, 2, "not a keyword"),
            ("\\nope", 1, 1, "not a character"),
            ("[1.2.3]", 1, 2, "not a number"),
            ("#", 1, 1, "must start a set"),
            ("[é 1x]", 1, 4, "not a number"),
            ("#foo", 1, 1, "has no value"),
        ];
        for (text, line, column, message) in cases {
            let (at, m) = fails(text);
            assert_eq!((at.line, at.column), (line, column), "{text}: {m}");
            assert!(m.contains(message), "{text}: {m}");
        }
    }

    #[test]
    fn hostile_nesting_and_size_are_refused() {
        let deep = "[".repeat(100_000);
        let (_, m) = fails(&deep);
        assert!(m.contains("nested more than"), "{m}");
        let deep_map = "{:a ".repeat(10_000);
        assert!(fails(&deep_map).1.contains("nested"));
        let wide = alloc::format!("[{}]", "[] ".repeat(MAX_ITEMS + 1));
        assert!(fails(&wide).1.contains("values in one form"));
        // Discards nest too.
        assert!(fails(&"#_".repeat(100_000)).1.contains("nested"));
    }
}
