//! The text of a configuration line: inline when short, as most lines are, so that reading
//! a line does not allocate; on the heap otherwise.

use std::fmt;
use std::ops::Deref;

/// Bytes kept inline (the type is then 32 bytes, like a String and a length).
const INLINE: usize = 30;

#[derive(Clone)]
pub struct LineText(Repr);

/// Private, so that inline bytes only ever come from a `&str`.
#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

impl LineText {
    pub fn new(s: &str) -> LineText {
        if s.len() > INLINE {
            return LineText(Repr::Heap(s.into()));
        }
        let mut buf = [0; INLINE];
        buf[..s.len()].copy_from_slice(s.as_bytes());
        LineText(Repr::Inline {
            len: s.len() as u8,
            buf,
        })
    }

    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, buf } => {
                let bytes = &buf[..usize::from(*len)];
                // SAFETY: `new` is the only constructor; it copies a whole `&str`, so these
                // bytes are valid UTF-8.
                unsafe { std::str::from_utf8_unchecked(bytes) }
            }
            Repr::Heap(s) => s,
        }
    }
}

impl Deref for LineText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for LineText {
    fn eq(&self, other: &LineText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for LineText {}

impl fmt::Debug for LineText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for LineText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_text_round_trip() {
        for s in [
            "",
            "a",
            "é€ unicode",
            &"x".repeat(INLINE),
            &"y".repeat(INLINE + 1),
        ] {
            let t = LineText::new(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(matches!(t.0, Repr::Inline { .. }), s.len() <= INLINE, "{s}");
        }
        assert_eq!(std::mem::size_of::<LineText>(), 32);
    }
}
