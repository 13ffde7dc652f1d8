//! Simulated time. The simulator owns the clock; protocols only ever see the
//! instants it hands them, which is what makes a run replayable.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// An instant of simulated time, in microseconds since the run started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

/// A length of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(pub u64);

impl Time {
    pub const ZERO: Time = Time(0);
    pub const MAX: Time = Time(u64::MAX);

    pub const fn micros(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier`, zero if `earlier` is in the future.
    pub fn since(self, earlier: Time) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
}

impl Span {
    pub const ZERO: Span = Span(0);

    pub const fn from_micros(us: u64) -> Span {
        Span(us)
    }
    pub const fn from_millis(ms: u64) -> Span {
        Span(ms * 1_000)
    }
    pub const fn from_secs(s: u64) -> Span {
        Span(s * 1_000_000)
    }
    pub const fn micros(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
}

impl Add<Span> for Time {
    type Output = Time;
    fn add(self, rhs: Span) -> Time {
        Time(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<Span> for Time {
    fn add_assign(&mut self, rhs: Span) {
        *self = *self + rhs;
    }
}

impl Sub<Time> for Time {
    type Output = Span;
    fn sub(self, rhs: Time) -> Span {
        self.since(rhs)
    }
}

impl Add for Span {
    type Output = Span;
    fn add(self, rhs: Span) -> Span {
        Span(self.0.saturating_add(rhs.0))
    }
}

/// Writes a microsecond count the way a person reads it, exactly: `2s`,
/// `150ms`, `1234us`. The same text parses back to the same number.
fn write_micros(f: &mut fmt::Formatter<'_>, us: u64) -> fmt::Result {
    if us != 0 && us % 1_000_000 == 0 {
        write!(f, "{}s", us / 1_000_000)
    } else if us != 0 && us % 1_000 == 0 {
        write!(f, "{}ms", us / 1_000)
    } else {
        write!(f, "{us}us")
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_micros(f, self.0)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_micros(f, self.0)
    }
}

/// Why a duration did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseTimeError {
    Empty,
    BadNumber,
    BadUnit,
    Overflow,
}

impl fmt::Display for ParseTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseTimeError::Empty => "empty duration",
            ParseTimeError::BadNumber => {
                "expected a non-negative number followed by a unit, such as `150ms`"
            }
            ParseTimeError::BadUnit => "unknown unit: use us, ms, s or m",
            ParseTimeError::Overflow => "duration too large",
        })
    }
}

/// Parses `150ms`, `2s`, `1.5s`, `30us`, `1m`, or a bare integer of
/// microseconds. Decimal fractions are accepted when they land on a whole
/// microsecond.
pub fn parse_micros(text: &str) -> Result<u64, ParseTimeError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ParseTimeError::Empty);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: u64 = match unit.trim() {
        "" | "us" | "µs" => 1,
        "ms" => 1_000,
        "s" => 1_000_000,
        "m" | "min" => 60_000_000,
        _ => return Err(ParseTimeError::BadUnit),
    };
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return Err(ParseTimeError::BadNumber);
    }
    let parse = |s: &str| -> Result<u64, ParseTimeError> {
        if s.is_empty() {
            return Ok(0);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseTimeError::BadNumber);
        }
        s.parse::<u64>().map_err(|_| ParseTimeError::Overflow)
    };
    let mut total = parse(whole)?
        .checked_mul(scale)
        .ok_or(ParseTimeError::Overflow)?;
    if !frac.is_empty() {
        // Scale the fraction digit by digit so `1.5s` is exact.
        let mut place = scale;
        for digit in frac.bytes() {
            if !digit.is_ascii_digit() {
                return Err(ParseTimeError::BadNumber);
            }
            place /= 10;
            let d = u64::from(digit - b'0');
            if place == 0 {
                if d != 0 {
                    return Err(ParseTimeError::BadNumber);
                }
                continue;
            }
            total = total
                .checked_add(d * place)
                .ok_or(ParseTimeError::Overflow)?;
        }
    }
    Ok(total)
}

struct MicrosVisitor;

impl de::Visitor<'_> for MicrosVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"150ms\", \"2s\", or an integer number of microseconds")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(alloc::format!("negative duration {v}")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        Err(E::custom(alloc::format!(
            "{v} is not a whole number of microseconds; write a unit, such as \"1.5ms\""
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        parse_micros(v).map_err(|e| E::custom(alloc::format!("`{v}`: {e}")))
    }
}

macro_rules! serde_micros {
    ($ty:ident) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(MicrosVisitor).map($ty)
            }
        }
    };
}

serde_micros!(Time);
serde_micros!(Span);

/// A signed length of simulated time, in microseconds: how far a node's
/// clock reads ahead of (positive) or behind (negative) true time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Offset(pub i64);

impl Offset {
    pub const ZERO: Offset = Offset(0);

    pub const fn micros(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        write_micros(f, self.0.unsigned_abs())
    }
}

struct OffsetVisitor;

impl de::Visitor<'_> for OffsetVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a signed duration such as \"50ms\", \"-2s\", or an integer number of microseconds",
        )
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom("offset too large"))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        Err(E::custom(alloc::format!(
            "{v} is not a whole number of microseconds; write a unit, such as \"1.5ms\""
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        let (negative, rest) = match v.trim().strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, v),
        };
        let us = parse_micros(rest).map_err(|e| E::custom(alloc::format!("`{v}`: {e}")))?;
        let us =
            i64::try_from(us).map_err(|_| E::custom(alloc::format!("`{v}`: offset too large")))?;
        Ok(if negative { -us } else { us })
    }
}

impl Serialize for Offset {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OffsetVisitor).map(Offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn parses_units() {
        assert_eq!(parse_micros("150ms"), Ok(150_000));
        assert_eq!(parse_micros("2s"), Ok(2_000_000));
        assert_eq!(parse_micros("1.5s"), Ok(1_500_000));
        assert_eq!(parse_micros("30us"), Ok(30));
        assert_eq!(parse_micros("42"), Ok(42));
        assert_eq!(parse_micros("1m"), Ok(60_000_000));
        assert_eq!(parse_micros("-3ms"), Err(ParseTimeError::BadUnit));
        assert_eq!(parse_micros("ms"), Err(ParseTimeError::BadNumber));
        assert_eq!(parse_micros("3 parsecs"), Err(ParseTimeError::BadUnit));
        assert_eq!(parse_micros("0.0000001s"), Err(ParseTimeError::BadNumber));
    }

    #[test]
    fn display_round_trips() {
        for us in [0, 1, 999, 1_000, 1_500, 2_000_000, 2_500_000, 123_456_789] {
            let text = Span(us).to_string();
            assert_eq!(parse_micros(&text), Ok(us), "{text}");
        }
    }

    #[test]
    fn offsets_are_signed_and_round_trip() {
        for us in [0, 1, -1, 1_500, -2_000_000, i64::MIN + 1, i64::MAX] {
            let json = serde_json::to_string(&Offset(us)).unwrap();
            let back: Offset = serde_json::from_str(&json).unwrap();
            assert_eq!(back, Offset(us), "{json}");
        }
        let parsed: Offset = serde_json::from_str("\"-50ms\"").unwrap();
        assert_eq!(parsed, Offset(-50_000));
        let parsed: Offset = serde_json::from_str("-7").unwrap();
        assert_eq!(parsed, Offset(-7));
        assert!(serde_json::from_str::<Offset>("\"--5ms\"").is_err());
    }
}
