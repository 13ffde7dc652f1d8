//! A proposed value. Values are copied into every message, acceptor and
//! tally that mentions them, and the explorer copies whole clusters for
//! every step it tries, so copying one must be cheap and must not touch
//! memory that other threads touch too: a short value (every value a node
//! makes up, most clients' `key=value`) is held inline and copied as
//! bytes; a long one is shared behind a reference count. It compares,
//! orders, hashes and prints exactly as its text.

use alloc::sync::Arc;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;

/// The longest value held inline.
const INLINE: usize = 22;

#[derive(Clone)]
pub struct Value(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

impl Value {
    pub fn new(text: &str) -> Value {
        Value(if text.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Repr::Inline {
                len: text.len() as u8,
                bytes,
            }
        } else {
            Repr::Shared(Arc::from(text))
        })
    }

    fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Shared(s) => s.as_bytes(),
        }
    }
}

impl Deref for Value {
    type Target = str;

    fn deref(&self) -> &str {
        match &self.0 {
            // Copied from a `&str` whole, so the bytes are UTF-8.
            Repr::Inline { .. } => {
                core::str::from_utf8(self.as_bytes()).expect("copied from a str")
            }
            Repr::Shared(s) => s,
        }
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::new(text)
    }
}

impl From<alloc::string::String> for Value {
    fn from(text: alloc::string::String) -> Value {
        Value::new(&text)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    /// As `str` orders: by bytes.
    fn cmp(&self, other: &Value) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for Value {
    /// As `str` hashes, so a value's digest is its text's.
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write(self.as_bytes());
        h.write_u8(0xff);
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::stable_hash;
    use alloc::format;

    #[test]
    fn values_behave_as_their_text() {
        let long = "key-with-a-long-name=and-a-long-value";
        for text in ["", "v0", "x=1", "exactly-twenty-two-ch!", long] {
            let v = Value::new(text);
            assert_eq!(&*v, text);
            assert_eq!(format!("{v:?}"), format!("{text:?}"));
            assert_eq!(format!("{v}"), text);
            assert_eq!(stable_hash(&v), stable_hash(text));
            assert_eq!(v, Value::from(alloc::string::String::from(text)));
        }
        assert!(matches!(Value::new(long).0, Repr::Shared(_)));
        assert!(matches!(
            Value::new("exactly-twenty-two-ch!").0,
            Repr::Inline { .. }
        ));
        let mut sorted = [
            Value::new(long),
            Value::new("v1"),
            Value::new("a"),
            Value::new("v0"),
        ];
        sorted.sort();
        let texts: alloc::vec::Vec<&str> = sorted.iter().map(|v| &**v).collect();
        assert_eq!(texts, ["a", long, "v0", "v1"]);
    }
}
