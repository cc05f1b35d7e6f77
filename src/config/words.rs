//! The words of a configuration line, kept as positions in the line's text.
//!
//! Every word is a slice of its line (a quoted word is the text between its quotes), so a
//! line costs one allocation, its text, whatever its number of words; the first few
//! positions live inline. Reading large configurations is dominated by such per-line costs.

/// Positions kept without a further allocation.
const INLINE: usize = 6;

// Lines are at most MAX_LINE_LEN bytes, so positions and word counts fit 16 bits.
const _: () = assert!(crate::limits::MAX_LINE_LEN <= u16::MAX as usize);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Words {
    inline: [(u16, u16); INLINE],
    /// Positions after the first `INLINE` (long lines only).
    more: Vec<(u16, u16)>,
    /// Index of the first word still present, and one past the last.
    start: u16,
    end: u16,
}

impl Words {
    /// Adds the word `text[start..end]`.
    #[inline]
    pub fn push(&mut self, start: usize, end: usize) {
        let span = (start as u16, end as u16);
        match self.inline.get_mut(usize::from(self.end)) {
            Some(slot) => *slot = span,
            None => self.more.push(span),
        }
        self.end += 1;
    }

    pub fn len(&self) -> usize {
        usize::from(self.end - self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    #[inline]
    fn text<'a>(&self, text: &'a str, abs: usize) -> Option<&'a str> {
        let (a, b) = match self.inline.get(abs) {
            Some(&s) => s,
            None => *self.more.get(abs - INLINE)?,
        };
        text.get(usize::from(a)..usize::from(b))
    }

    /// Word `i` of `text` (the text these positions were made for).
    #[inline]
    pub fn get<'a>(&self, text: &'a str, i: usize) -> Option<&'a str> {
        let abs = usize::from(self.start) + i;
        if abs >= usize::from(self.end) {
            return None;
        }
        self.text(text, abs)
    }

    pub fn iter<'a>(&'a self, text: &'a str) -> WordIter<'a> {
        WordIter {
            text,
            words: self,
            front: self.start.into(),
            back: self.end.into(),
        }
    }

    /// Drops the first word.
    pub fn remove_first(&mut self) {
        if self.start < self.end {
            self.start += 1;
        }
    }

    /// Drops the last word.
    pub fn pop(&mut self) {
        if self.start < self.end {
            self.end -= 1;
            if usize::from(self.end) >= INLINE {
                self.more.pop();
            }
        }
    }
}

/// The words of a line, in order.
#[derive(Clone)]
pub struct WordIter<'a> {
    text: &'a str,
    words: &'a Words,
    front: usize,
    back: usize,
}

impl<'a> Iterator for WordIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.front == self.back {
            return None;
        }
        self.front += 1;
        self.words.text(self.text, self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.back - self.front, Some(self.back - self.front))
    }
}

impl DoubleEndedIterator for WordIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        self.words.text(self.text, self.back)
    }
}

impl ExactSizeIterator for WordIter<'_> {}

impl WordIter<'_> {
    /// The remaining words joined by `sep`.
    pub fn join(self, sep: &str) -> String {
        self.collect::<Vec<_>>().join(sep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_spilled_words() {
        let text = "a bb ccc d e f g h";
        let mut w = Words::default();
        let mut pos = 0;
        for word in text.split(' ') {
            w.push(pos, pos + word.len());
            pos += word.len() + 1;
        }
        assert_eq!(w.len(), 8);
        assert_eq!(
            w.iter(text).collect::<Vec<_>>(),
            text.split(' ').collect::<Vec<_>>()
        );
        assert_eq!(w.get(text, 7), Some("h"));
        w.remove_first();
        w.pop();
        assert_eq!(
            w.iter(text).collect::<Vec<_>>(),
            ["bb", "ccc", "d", "e", "f", "g"]
        );
        assert_eq!(w.get(text, 0), Some("bb"));
        assert_eq!(w.get(text, 6), None);
        assert_eq!(w.iter(text).next_back(), Some("g"));
        assert_eq!(w.iter(text).len(), 6);
    }
}
