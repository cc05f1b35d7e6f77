//! Lines of a configuration file, read a block at a time: memory stays bounded whatever the
//! file's size, and the per-line work is a search for the next `\n` in text already checked.

use std::fs::File;
use std::io::{self, Read};

use crate::limits;

/// One line: its text (cut at a NUL byte, as C reads stop there; invalid UTF-8 replaced) and
/// its length in bytes. The text of a line longer than `MAX_LINE_LEN` may be left out.
pub struct FileLine<'a> {
    pub text: &'a str,
    pub len: usize,
}

pub struct FileLines {
    file: File,
    /// Bytes read but not yet made into `text`: the start of a line.
    raw: Vec<u8>,
    /// Whole lines, checked, and where the next one starts.
    text: String,
    pos: usize,
    has_nul: bool,
    eof: bool,
}

impl FileLines {
    pub fn new(file: File) -> FileLines {
        FileLines {
            file,
            raw: Vec::new(),
            text: String::new(),
            pos: 0,
            has_nul: false,
            eof: false,
        }
    }

    /// The next line, or None at the end of the file (a read error ends it too, as it ends
    /// keepalived's `fgets()` loop).
    pub fn next_line(&mut self) -> Option<FileLine<'_>> {
        if self.pos >= self.text.len() {
            match self.refill() {
                Refill::End => return None,
                Refill::Long(len) => return Some(FileLine { text: "", len }),
                Refill::Text => {}
            }
        }
        let rest = &self.text[self.pos..];
        let len = find_newline(rest.as_bytes()).unwrap_or(rest.len());
        self.pos += len + 1;
        let mut text = &rest[..len];
        if self.has_nul {
            text = text.split('\0').next().unwrap_or_default();
        }
        Some(FileLine { text, len })
    }

    /// Makes the next whole lines the text.
    fn refill(&mut self) -> Refill {
        self.text.clear();
        self.pos = 0;
        loop {
            if let Some(nl) = self.raw.iter().rposition(|&b| b == b'\n') {
                self.take_text(nl + 1);
                return Refill::Text;
            }
            if self.eof {
                if self.raw.is_empty() {
                    return Refill::End;
                }
                self.take_text(self.raw.len());
                return Refill::Text;
            }
            if self.raw.len() > limits::MAX_LINE_LEN {
                return Refill::Long(self.skip_line());
            }
            self.read_more();
        }
    }

    /// Drops the rest of a line too long to keep; returns its whole length.
    fn skip_line(&mut self) -> usize {
        let mut len = 0;
        loop {
            if let Some(i) = self.raw.iter().position(|&b| b == b'\n') {
                self.raw.drain(..=i);
                return len + i;
            }
            len += self.raw.len();
            self.raw.clear();
            if self.eof {
                return len;
            }
            self.read_more();
        }
    }

    /// Makes the first `n` raw bytes the text.
    fn take_text(&mut self, n: usize) {
        let bytes = &self.raw[..n];
        match std::str::from_utf8(bytes) {
            Ok(s) => self.text.push_str(s),
            Err(_) => self.text.push_str(&String::from_utf8_lossy(bytes)),
        }
        self.has_nul = bytes.contains(&0);
        self.raw.drain(..n);
    }

    /// Appends the next bytes of the file to `raw`; sets `eof` at its end or on an error.
    fn read_more(&mut self) {
        let have = self.raw.len();
        self.raw.resize(have + limits::CONFIG_READ_BUFFER, 0);
        let got = loop {
            match self.file.read(&mut self.raw[have..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.unwrap_or(0),
            }
        };
        self.raw.truncate(have + got);
        self.eof = got == 0;
    }
}

/// The first `\n` in `b`, eight bytes at a time (lines are short, the text to search is
/// the rest of a whole block).
fn find_newline(b: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    const NL: u64 = ONES * b'\n' as u64;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut w = [0; 8];
        w.copy_from_slice(chunk);
        // A byte of `x` is zero where `chunk` has a newline; the lowest flagged byte is
        // the first zero (higher flags may be false).
        let x = u64::from_le_bytes(w) ^ NL;
        let zero = x.wrapping_sub(ONES) & !x & HIGH;
        if zero != 0 {
            return Some(at + zero.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = chunks.remainder().iter().position(|&c| c == b'\n');
    tail.map(|i| at + i)
}

enum Refill {
    Text,
    /// A line longer than `MAX_LINE_LEN`, skipped: its length.
    Long(usize),
    End,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `data` as (text, length).
    fn read_all(data: &[u8]) -> Vec<(String, usize)> {
        let path = std::env::temp_dir().join(format!(
            "ka-lines-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&path, data).unwrap();
        let mut lines = FileLines::new(File::open(&path).unwrap());
        let mut out = Vec::new();
        while let Some(l) = lines.next_line() {
            out.push((l.text.to_string(), l.len));
        }
        std::fs::remove_file(&path).unwrap();
        out
    }

    #[test]
    fn lines_across_blocks_and_long_lines() {
        let max = limits::MAX_LINE_LEN;
        let mut want = Vec::new();
        let mut data = Vec::new();
        for i in 0..30_000 {
            let text = match i {
                // Exactly the longest line kept, then ones too long (kept without text).
                7_000 => "k".repeat(max),
                7_001 => "x".repeat(max + 1),
                20_000 => "y".repeat(3 * limits::CONFIG_READ_BUFFER),
                _ => format!("line {i} {}", "z".repeat(i % 37)),
            };
            data.extend_from_slice(text.as_bytes());
            data.push(b'\n');
            let kept = if text.len() > max {
                String::new()
            } else {
                text.clone()
            };
            want.push((kept, text.len()));
        }
        // The last line has no newline.
        data.extend_from_slice(b"last");
        want.push(("last".into(), 4));
        let mut got = read_all(&data);
        for (text, len) in &mut got {
            if *len > max {
                text.clear();
            }
        }
        let first_diff = got.iter().zip(&want).position(|(g, w)| g != w);
        assert_eq!(
            first_diff,
            None,
            "{:?}",
            first_diff.map(|i| (i, &got[i].1, &want[i].1))
        );
        assert_eq!(got.len(), want.len());
    }

    #[test]
    fn newlines_found_eight_bytes_at_a_time() {
        for len in 0..40 {
            for nl in 0..=len {
                let mut b = vec![b'x'; len];
                b.extend_from_slice(b"\n\xff\n");
                b[nl] = b'\n';
                assert_eq!(find_newline(&b), Some(nl));
            }
            assert_eq!(find_newline(&vec![0x8a; len]), None);
        }
    }

    #[test]
    fn nul_bytes_invalid_utf8_and_empty_files() {
        assert_eq!(
            read_all(b"a\0b\n\xffc\n\n"),
            [("a".into(), 3), ("\u{fffd}c".into(), 4), (String::new(), 0)]
        );
        assert!(read_all(b"").is_empty());
        assert_eq!(read_all(b"\n"), [(String::new(), 0)]);
    }
}
