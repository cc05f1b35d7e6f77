//! The line reader: turns the configuration files into logical lines, as keepalived's
//! `read_line()` does.
//!
//! It follows `include` directives (with globs and include checks), strips comments, keeps
//! or drops `@id` conditional lines, records and substitutes `$NAME` definitions, repeats
//! `~SEQ`/`~LST` lines, and splits `{`/`}` into lines of their own, counting brace depth.
//! Every line carries the file and line it came from.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::defs::{parse_lst, parse_seq, Defs, Env, Multi, Seq, Subst};
use super::diag::{Diagnostics, Level, Loc};
use super::file_lines::{FileLine, FileLines};
use super::glob;
use super::line_text::LineText;
use super::text::{decomment, is_plain, split_brace, split_plain, tokenize};
use super::words::{WordIter, Words};
use crate::limits;

/// Include checks (`include_check`, `-e`, `includer`...): what makes an include error fatal.
pub mod check {
    pub const READ: u8 = 1;
    pub const MATCH: u8 = 2;
    pub const WILDCARD: u8 = 4;
    pub const BRACE: u8 = 8;
    pub const ALL: u8 = READ | MATCH | WILDCARD | BRACE;
}

/// One logical line: its text (also re-read by script command lines, with quotes and
/// escapes), its words (slices of that text) and its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub raw: LineText,
    words: Words,
    pub loc: Loc,
}

impl Line {
    pub(crate) fn new(raw: LineText, words: Words, loc: Loc) -> Line {
        Line { raw, words, loc }
    }

    /// A line of `text` split as the reader splits lines, for tests.
    #[cfg(test)]
    pub fn from_text(text: &str, loc: Loc) -> Line {
        let (words, _) = tokenize(text);
        Line {
            raw: LineText::new(text),
            words,
            loc,
        }
    }

    /// Drops the first word (a `{` the parser consumed).
    pub(crate) fn drop_first_word(&mut self) {
        self.words.remove_first();
    }

    /// Drops the last word (a `}` the parser consumed).
    pub(crate) fn drop_last_word(&mut self) {
        self.words.pop();
    }

    /// The text and word positions, for a node made of this line.
    pub(crate) fn into_parts(self) -> (LineText, Words, Loc) {
        (self.raw, self.words, self.loc)
    }

    /// Word `i` (0 = the first word).
    #[inline]
    pub fn word(&self, i: usize) -> Option<&str> {
        self.words.get(&self.raw, i)
    }

    pub fn words(&self) -> WordIter<'_> {
        self.words.iter(&self.raw)
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    #[inline]
    pub fn first(&self) -> Option<&str> {
        self.word(0)
    }

    pub fn last(&self) -> Option<&str> {
        self.words().next_back()
    }
}

/// What the reader's sources yielded.
enum Source {
    /// A plain line from a file, already made the next logical line.
    Line(Line),
    /// A line with no comment, quote, escape or definition, trimmed: nothing to process.
    Plain,
    /// Any other line, still to be processed.
    Text,
    End,
}

/// Text left over after a brace split off a line: the next line to read.
#[derive(Default)]
struct Residue {
    /// Empty if none.
    text: String,
    /// It is plain (see `Source::Plain`).
    plain: bool,
}

impl Residue {
    /// Keeps `text`; `from_plain` if it came from a plain line.
    fn set(&mut self, text: &str, from_plain: bool) {
        if text.is_empty() {
            return;
        }
        self.text.push_str(text);
        // Processing a plain line's residue changes nothing unless it is a conditional or
        // a ~SEQ/~LST line.
        self.plain = from_plain && is_plain(text);
    }
}

struct OpenFile {
    id: u32,
    input: FileLines,
    line: u32,
    dir: String,
    canon: PathBuf,
}

/// An `include` (or the main file) being read: the files its pattern matched.
struct Frame {
    include_type: u8,
    saved_check: u8,
    at: Loc,
    matches: Vec<String>,
    next: usize,
    cur: Option<OpenFile>,
}

pub struct Reader<'d> {
    pub diags: &'d mut Diagnostics,
    config_id: String,
    include_check: u8,
    stack: Vec<Frame>,
    defs: Defs,
    seqs: Vec<Seq>,
    multi: Multi,
    residue: Residue,
    /// The line being read, kept between lines for its capacity.
    buf: String,
    collecting: Option<usize>,
    /// Where each `{` still open was read (keepalived only counts them).
    open_blocks: Vec<Loc>,
    last_loc: Loc,
    expanded: usize,
}

impl<'d> Reader<'d> {
    /// Starts reading `path` (which may itself be a glob). `include_check` is `check::ALL`
    /// with `-e`, else 0.
    pub fn open(
        diags: &'d mut Diagnostics,
        path: &str,
        config_id: &str,
        include_check: u8,
        seed: u64,
    ) -> Reader<'d> {
        let main = file_id(diags, path);
        let mut r = Reader {
            diags,
            config_id: config_id.to_string(),
            include_check,
            stack: Vec::new(),
            defs: Defs::new(seed),
            seqs: Vec::new(),
            multi: Multi::default(),
            residue: Residue::default(),
            buf: String::new(),
            collecting: None,
            open_blocks: Vec::new(),
            last_loc: Loc {
                file: main,
                line: 0,
            },
            expanded: 0,
        };
        let at = r.last_loc;
        if !r.open_glob(path, check::READ | check::MATCH | check::WILDCARD, at, "") {
            r.diags.report(
                at,
                Level::FileNotFound,
                format!("Unable to find configuration file {path}"),
            );
        }
        r
    }

    /// The place of the line read last.
    pub fn loc(&self) -> Loc {
        self.last_loc
    }

    pub fn report(&mut self, level: Level, msg: impl Into<String>) {
        let loc = self.last_loc;
        self.diags.report(loc, level, msg);
    }

    /// Where the `{`s still open were read, outermost first.
    pub fn open_blocks(&self) -> &[Loc] {
        &self.open_blocks
    }

    /// Applies `include_check [[+|-]read|match|wildcard_match|brace_match ...]` at once: it
    /// changes how the following includes are checked.
    pub fn set_include_check<'w>(&mut self, words: impl ExactSizeIterator<Item = &'w str>) {
        if words.len() == 0 {
            self.include_check = check::ALL;
            return;
        }
        for (i, word) in words.enumerate() {
            let (sign, name) = match word.as_bytes().first() {
                Some(b'+') => (1, &word[1..]),
                Some(b'-') => (-1, &word[1..]),
                _ => (0, word),
            };
            if sign == 0 {
                if i == 0 {
                    self.include_check = 0;
                } else {
                    self.report(
                        Level::GeneralError,
                        format!("Duplicate include_check '{word}' specified - ignoring"),
                    );
                    continue;
                }
            }
            let flag = match name {
                "read" => check::READ,
                "match" => check::MATCH,
                "wildcard_match" => check::WILDCARD,
                "brace_match" => check::BRACE,
                _ => {
                    self.report(
                        Level::GeneralError,
                        format!("Unknown include_check type '{name}' - ignoring"),
                    );
                    0
                }
            };
            if flag != 0 {
                match sign {
                    0 => self.include_check = check::READ | flag,
                    1 => self.include_check |= flag,
                    _ => self.include_check &= !flag,
                }
            }
        }
    }

    /// `random_seed N` reseeds `${_RANDOM}` for the lines that follow.
    pub fn set_random_seed(&mut self, seed: u64) {
        self.defs.reseed(seed);
    }

    /// Reports an include problem; it is an error only if the include is checked for `kind`.
    fn file_error(&mut self, include_type: u8, kind: u8, at: Loc, msg: String) {
        if (self.include_check | include_type) & kind != 0 {
            self.diags.file_error = true;
            self.diags.report(at, Level::FileNotFound, msg);
        } else {
            self.diags.report(at, Level::Info, msg);
        }
    }

    /// Expands an include pattern and opens its first readable match. False if none opened.
    fn open_glob(&mut self, pattern: &str, include_type: u8, at: Loc, base: &str) -> bool {
        if self.stack.len() >= limits::MAX_INCLUDE_DEPTH {
            self.diags.report(
                at,
                Level::GeneralError,
                format!(
                    "include of '{pattern}' nested deeper than MAX_INCLUDE_DEPTH ({}) - skipping",
                    limits::MAX_INCLUDE_DEPTH
                ),
            );
            return false;
        }
        let g = glob::glob(pattern, base);
        let checks = self.include_check | include_type;
        if g.paths.is_empty() {
            if g.missing {
                let kind = if glob::has_brace(pattern) {
                    check::BRACE
                } else {
                    check::MATCH
                };
                self.file_error(
                    include_type,
                    kind,
                    at,
                    format!("Config files missing '{pattern}'."),
                );
            } else if g.wildcards && checks & check::WILDCARD != 0 {
                self.file_error(
                    include_type,
                    check::WILDCARD,
                    at,
                    format!("No config files matched '{pattern}'."),
                );
            }
            return false;
        }
        if g.missing {
            self.file_error(
                include_type,
                check::BRACE,
                at,
                format!("Some config files missing: \"{pattern}\"."),
            );
            if checks & check::BRACE != 0 {
                return false;
            }
        }
        self.stack.push(Frame {
            include_type,
            saved_check: self.include_check,
            at,
            matches: g.paths,
            next: 0,
            cur: None,
        });
        if self.open_next_match() {
            return true;
        }
        self.stack.pop();
        false
    }

    /// Opens the next usable file of the top frame.
    fn open_next_match(&mut self) -> bool {
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return false;
            };
            let Some(name) = frame.matches.get(frame.next).cloned() else {
                return false;
            };
            frame.next += 1;
            let (include_type, at) = (frame.include_type, frame.at);
            if name.ends_with('/') {
                self.file_error(
                    include_type,
                    check::READ,
                    at,
                    format!("Configuration file '{name}' is a directory - skipping"),
                );
                continue;
            }
            let meta = fs::metadata(&name);
            let regular = meta.as_ref().is_ok_and(|m| {
                use std::os::unix::fs::PermissionsExt;
                m.is_file() && m.permissions().mode() & 0o111 == 0
            });
            if !regular {
                let msg = format!(
                    "Configuration file '{name}' is not a regular non-executable file - skipping"
                );
                self.file_error(include_type, check::READ, at, msg);
                continue;
            }
            let canon = fs::canonicalize(&name).unwrap_or_else(|_| PathBuf::from(&name));
            if self
                .stack
                .iter()
                .any(|f| f.cur.as_ref().is_some_and(|c| c.canon == canon))
            {
                let msg = format!(
                    "include loop: configuration file '{name}' is already being read - skipping"
                );
                self.diags.report(at, Level::GeneralError, msg);
                continue;
            }
            if self.diags.files.len() >= limits::MAX_CONFIG_FILES
                && !self.diags.files.contains(&name)
            {
                let msg = format!(
                    "more than MAX_CONFIG_FILES ({}) configuration files - skipping '{name}'",
                    limits::MAX_CONFIG_FILES
                );
                self.diags.report(at, Level::GeneralError, msg);
                continue;
            }
            let input = match File::open(&name) {
                Ok(f) => FileLines::new(f),
                Err(e) => {
                    let msg = format!(
                        "Configuration file '{name}' open problem ({}) - skipping",
                        io_reason(&e)
                    );
                    self.file_error(include_type, check::READ, at, msg);
                    continue;
                }
            };
            let dir = canon
                .parent()
                .map_or_else(|| "/".to_string(), |p| p.to_string_lossy().into_owned());
            let id = file_id(self.diags, &name);
            if let Some(frame) = self.stack.last_mut() {
                frame.cur = Some(OpenFile {
                    id,
                    input,
                    line: 0,
                    dir,
                    canon,
                });
            }
            return true;
        }
    }

    /// Closes the current file; moves to the next match or back to the including file.
    /// False at the end of the whole configuration.
    fn end_file(&mut self) -> bool {
        if let Some(frame) = self.stack.last_mut() {
            frame.cur = None;
            self.include_check = frame.saved_check;
        }
        if self.open_next_match() {
            return true;
        }
        self.stack.pop();
        !self.stack.is_empty()
    }

    /// Reads the next non-empty, decommented physical line into `out`. A plain line is made
    /// the next logical line at once (`Source::Line`) unless definitions are being collected.
    fn read_file_line(&mut self, out: &mut String) -> Source {
        loop {
            let Some(f) = self.stack.last_mut().and_then(|fr| fr.cur.as_mut()) else {
                if self.end_file() {
                    continue;
                }
                return Source::End;
            };
            let Some(FileLine { text, len }) = f.input.next_line() else {
                if self.end_file() {
                    continue;
                }
                return Source::End;
            };
            f.line += 1;
            let loc = Loc {
                file: f.id,
                line: f.line,
            };
            self.last_loc = loc;
            if len > limits::MAX_LINE_LEN {
                let msg = format!(
                    "line is {len} bytes long, more than MAX_LINE_LEN ({}) - ignoring it",
                    limits::MAX_LINE_LEN
                );
                self.diags.report(loc, Level::GeneralError, msg);
                continue;
            }
            let text = trim_end_bytes(text, |c| c == b'\r');
            if text.is_empty() {
                if let Some(idx) = self.collecting.take() {
                    let def = self.defs.get_mut(idx);
                    if def.value.is_empty() {
                        def.multiline = false;
                    }
                }
                continue;
            }
            let text = trim_end_bytes(text, |c| c == b' ' || c == b'\t');
            let start = text.bytes().position(|c| c != b' ' && c != b'\t');
            let text = &text[start.unwrap_or(text.len())..];
            if text.is_empty() {
                continue;
            }
            let direct = self.collecting.is_none()
                && !matches!(text.as_bytes().first(), Some(b'@' | b'~'))
                && !text.as_bytes().starts_with(b"include");
            if let Some(split) = direct.then(|| split_plain(text)).flatten() {
                let (words, head_len, residue) = split;
                let head = &text[..head_len];
                self.residue.set(residue.unwrap_or_default(), true);
                count_brace(&mut self.open_blocks, self.diags, head, loc);
                return Source::Line(Line::new(LineText::new(head), words, loc));
            }
            if is_plain(text) {
                out.clear();
                out.push_str(text);
                return Source::Plain;
            }
            let open_quote = decomment(text, out);
            if open_quote {
                self.diags.report(
                    loc,
                    Level::GeneralError,
                    format!("Unterminated quote '{out}'"),
                );
            }
            if !out.is_empty() {
                return Source::Text;
            }
        }
    }

    fn count_expansion(&mut self) -> bool {
        self.expanded += 1;
        if self.expanded <= limits::MAX_EXPANDED_LINES {
            return true;
        }
        self.seqs.clear();
        self.multi = Multi::default();
        let msg = format!("~SEQ/~LST and multi-line definitions generate more than MAX_EXPANDED_LINES ({}) lines - stopping them", limits::MAX_EXPANDED_LINES);
        self.report(Level::GeneralError, msg);
        false
    }

    /// The next raw line from the highest-priority source: text left over from a brace split,
    /// an active `~SEQ`, a multi-line definition, or the files.
    fn next_source(&mut self, buf: &mut String) -> Source {
        if !self.residue.text.is_empty() {
            // Swapped, not copied: both buffers keep their capacity.
            std::mem::swap(buf, &mut self.residue.text);
            return if self.residue.plain {
                Source::Plain
            } else {
                Source::Text
            };
        }
        if self.seqs.len() > self.multi.seq_depth && self.count_expansion() {
            let Some(seq) = self.seqs.last_mut() else {
                return Source::End;
            };
            let values = seq.values.pop_front().unwrap_or_default();
            buf.push_str(&seq.text);
            let vars = seq.vars.clone();
            if seq.values.is_empty() {
                self.seqs.pop();
            }
            for (var, val) in vars.iter().zip(values.iter()) {
                self.defs.set(var, val);
            }
            return Source::Text;
        }
        if let Some(next) = self.multi.next.take() {
            if !self.count_expansion() {
                return Source::Text;
            }
            match next.split_once('\n') {
                Some((first, rest)) => {
                    buf.push_str(first);
                    self.multi.next = Some(rest.to_string());
                }
                None => {
                    *buf = next;
                    match self.multi.stack.pop() {
                        Some((n, depth)) => {
                            self.multi.next = Some(n);
                            self.multi.seq_depth = depth;
                        }
                        None => self.multi.seq_depth = 0,
                    }
                }
            }
            return Source::Text;
        }
        self.read_file_line(buf)
    }

    fn current_dir(&self) -> String {
        self.stack
            .iter()
            .rev()
            .find_map(|f| f.cur.as_ref().map(|c| c.dir.clone()))
            .unwrap_or_default()
    }

    /// Applies `@id`, `$NAME=` definitions, `~SEQ`/`~LST` and substitution to one line.
    /// Returns the text to parse (empty if the line was consumed).
    fn process(&mut self, buf: &mut String) {
        loop {
            if let Some(rest) = buf.strip_prefix('@') {
                let (negate, rest) = match rest.strip_prefix('^') {
                    Some(r) => (true, r),
                    None => (false, rest),
                };
                let Some(sp) = rest.find([' ', '\t']) else {
                    return buf.clear();
                };
                if (rest[..sp] == self.config_id) == negate {
                    return buf.clear();
                }
                *buf = rest[sp..].trim_start_matches([' ', '\t']).to_string();
            }
            if buf.starts_with('$') {
                if let Some(idx) = self.defs.define(buf) {
                    if self.defs.get_mut(idx).multiline {
                        self.collecting = Some(idx);
                    }
                    return buf.clear();
                }
            }
            if buf.starts_with("~SEQ") || buf.starts_with("~LST") {
                self.add_seq(buf);
                return buf.clear();
            }
            if buf.starts_with('~') || !buf.contains('$') {
                return;
            }
            let dir = self.current_dir();
            let env = Env {
                pwd: &dir,
                instance: &self.config_id,
            };
            match self
                .defs
                .substitute(buf, &env, &mut self.multi, self.seqs.len())
            {
                Subst::Unchanged => return,
                Subst::Runaway => {
                    let msg = format!("more than MAX_SUBSTITUTIONS_PER_LINE ({}) substitutions - is a definition recursive? '{buf}'", limits::MAX_SUBSTITUTIONS_PER_LINE);
                    self.report(Level::GeneralError, msg);
                    self.multi = Multi::default();
                    return buf.clear();
                }
                Subst::Changed => {
                    let mut text = String::new();
                    if decomment(buf, &mut text) {
                        self.report(Level::GeneralError, format!("Unterminated quote '{text}'"));
                    }
                    *buf = text;
                    if !(buf.starts_with('@') || buf.contains('$')) {
                        return;
                    }
                }
            }
        }
    }

    fn add_seq(&mut self, buf: &str) {
        if self.seqs.len() >= limits::MAX_EXPANSION_DEPTH {
            let msg = format!(
                "~SEQ/~LST nested deeper than MAX_EXPANSION_DEPTH ({}) '{buf}'",
                limits::MAX_EXPANSION_DEPTH
            );
            self.report(Level::GeneralError, msg);
            return;
        }
        let seq = if buf.as_bytes()[1] == b'S' {
            let dir = self.current_dir();
            let (defs, multi, count, id) = (
                &mut self.defs,
                &mut self.multi,
                self.seqs.len(),
                self.config_id.clone(),
            );
            let mut subst = |s: &mut String| {
                let mut m = Multi {
                    seq_depth: multi.seq_depth,
                    ..Multi::default()
                };
                let env = Env {
                    pwd: &dir,
                    instance: &id,
                };
                defs.substitute(s, &env, &mut m, count);
                m.next.is_none()
            };
            match parse_seq(buf, &mut subst) {
                Ok(s) => Some(s),
                Err(msg) => {
                    self.report(Level::GeneralError, msg);
                    None
                }
            }
        } else {
            parse_lst(buf)
        };
        match seq {
            Some(s) => self.seqs.push(s),
            None => {
                let kind = if buf.as_bytes()[1] == b'S' {
                    "SEQ"
                } else {
                    "LST"
                };
                self.report(
                    Level::GeneralError,
                    format!("Invalid ~{kind} specification '{buf}'"),
                );
            }
        }
    }

    fn include(&mut self, buf: &str) -> bool {
        if !buf.starts_with('i') {
            return false;
        }
        let Some(rest) = buf.strip_prefix("include") else {
            return false;
        };
        let (include_type, path) = match rest.chars().next() {
            Some(c) if c.is_ascii_whitespace() => (0, &rest[1..]),
            Some(c @ ('r' | 'm' | 'w' | 'b' | 'a'))
                if rest[1..].starts_with(|c: char| c.is_ascii_whitespace()) =>
            {
                let t = match c {
                    'r' => check::READ,
                    'm' => check::READ | check::MATCH,
                    'w' => check::READ | check::MATCH | check::WILDCARD,
                    'b' => check::READ | check::BRACE,
                    _ => check::ALL,
                };
                (t, &rest[2..])
            }
            _ => return false,
        };
        let path = path.trim_start_matches([' ', '\t']).to_string();
        let at = self.last_loc;
        let base = self.current_dir();
        self.open_glob(&path, include_type, at, &base);
        true
    }

    /// Reads the next line if it is a lone `{` left over on the line read last (the usual
    /// `keyword {`), without making it a `Line`; false (nothing read) otherwise.
    pub fn take_open_brace(&mut self) -> bool {
        if self.residue.text != "{" {
            return false;
        }
        self.residue.text.clear();
        count_brace(&mut self.open_blocks, self.diags, "{", self.last_loc);
        true
    }

    /// The next logical line, or None at the end of the configuration.
    pub fn next_line(&mut self) -> Option<Line> {
        let mut buf = std::mem::take(&mut self.buf);
        let line = self.next_line_in(&mut buf);
        self.buf = buf;
        line
    }

    fn next_line_in(&mut self, buf: &mut String) -> Option<Line> {
        let plain = loop {
            buf.clear();
            let source = match self.next_source(buf) {
                Source::End => return None,
                Source::Line(line) => return Some(line),
                s => s,
            };
            if let Some(idx) = self.collecting {
                let (text, more) = match buf.strip_suffix('\\') {
                    Some(t) => (format!("{}\n", t.trim_end_matches([' ', '\t'])), true),
                    None => (buf.clone(), false),
                };
                let def = self.defs.get_mut(idx);
                if text.len() >= 2 || (!text.is_empty() && !more) {
                    def.value.push_str(&text);
                }
                if !more {
                    if def.value.is_empty() {
                        def.multiline = false;
                    }
                    self.collecting = None;
                }
                continue;
            }
            if matches!(source, Source::Text) {
                self.process(buf);
            }
            if !buf.is_empty() && !self.include(buf) {
                break matches!(source, Source::Plain);
            }
        };
        let (words, head_len, unmatched) = match plain.then(|| split_plain(buf)).flatten() {
            Some((words, head_len, residue)) => {
                self.residue.set(residue.unwrap_or_default(), true);
                (words, head_len, false)
            }
            None => {
                let (head_len, residue) = split_brace(buf);
                self.residue.set(residue.unwrap_or_default(), false);
                let (words, unmatched) = tokenize(&buf[..head_len]);
                (words, head_len, unmatched)
            }
        };
        let head = &buf[..head_len];
        count_brace(&mut self.open_blocks, self.diags, head, self.last_loc);
        if unmatched {
            self.report(Level::UnmatchedQuote, format!("Unmatched quote: '{head}'"));
        }
        Some(Line {
            words,
            raw: LineText::new(head),
            loc: self.last_loc,
        })
    }
}

/// Counts a brace line into `open_blocks`, reporting a `}` with none open.
#[inline]
fn count_brace(open_blocks: &mut Vec<Loc>, diags: &mut Diagnostics, head: &str, loc: Loc) {
    if head == "{" {
        open_blocks.push(loc);
    } else if head == "}" && open_blocks.pop().is_none() {
        diags.report(loc, Level::UnexpectedEob, "Extra '}' found");
    }
}

/// `s` without the trailing bytes matching `f` (ASCII bytes, so the cut is a char boundary).
fn trim_end_bytes(s: &str, f: impl Fn(u8) -> bool) -> &str {
    let end = s.bytes().rposition(|c| !f(c)).map_or(0, |e| e + 1);
    &s[..end]
}

fn file_id(diags: &mut Diagnostics, name: &str) -> u32 {
    match diags.files.iter().position(|f| f == name) {
        Some(i) => i as u32,
        None => {
            diags.files.push(name.to_string());
            (diags.files.len() - 1) as u32
        }
    }
}

/// strerror()-like text for an open failure.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}

/// Directory part of a path, for resolving the includes of the main file.
pub fn dir_of(path: &str) -> &str {
    Path::new(path)
        .parent()
        .and_then(|p| p.to_str())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) struct TmpDir(pub PathBuf);
    impl TmpDir {
        pub fn new(tag: &str) -> TmpDir {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let p = std::env::temp_dir().join(format!("ka-rd-{tag}-{}-{n}", std::process::id()));
            fs::create_dir_all(&p).unwrap();
            TmpDir(p)
        }
        pub fn write(&self, name: &str, text: &str) -> String {
            let p = self.0.join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, text).unwrap();
            p.to_str().unwrap().to_string()
        }
    }
    impl Drop for TmpDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn lines(text: &str, id: &str) -> (Vec<String>, Diagnostics) {
        let t = TmpDir::new("l");
        let main = t.write("k.conf", text);
        let mut d = Diagnostics::default();
        let mut out = Vec::new();
        {
            let mut r = Reader::open(&mut d, &main, id, 0, 1);
            while let Some(l) = r.next_line() {
                out.push(l.words().collect::<Vec<_>>().join("|"));
            }
        }
        (out, d)
    }

    #[test]
    fn plain_lines_read_like_the_others() {
        // Each plain line (the fast path) beside one that takes the full path.
        let (l, d) = lines(
            "  \t \n a  b\t\x0bc \n a  b\t\x0bc #x\n includes x\n includes x !\n \x0c\n",
            "n",
        );
        assert!(d.list.is_empty(), "{:?}", d.list);
        assert_eq!(l, ["a|b|c", "a|b|c", "includes|x", "includes|x", ""]);
    }

    #[test]
    fn braces_become_lines() {
        let (l, d) = lines(
            "vrrp_instance VI_1 { interface eth0\n virtual_ipaddress { 10.1.1.1 }}\n",
            "n",
        );
        assert_eq!(
            l,
            [
                "vrrp_instance|VI_1",
                "{",
                "interface|eth0",
                "virtual_ipaddress",
                "{",
                "10.1.1.1",
                "}",
                "}"
            ]
        );
        assert_eq!(d.exit_code(), 0);
    }

    #[test]
    fn extra_close_brace_is_reported() {
        let (_, d) = lines("a\n}\n", "n");
        assert_eq!(d.list[0].msg, "Extra '}' found");
        assert_eq!(d.list[0].loc.line, 2);
    }

    #[test]
    fn conditional_lines() {
        let text = "@node1 a 1\n@^node1 b 2\n@node2 c 3\n@^node2 d 4\n@node1\n";
        assert_eq!(lines(text, "node1").0, ["a|1", "d|4"]);
        assert_eq!(lines(text, "node2").0, ["b|2", "c|3"]);
    }

    #[test]
    fn definitions_and_multiline() {
        let text = "$IF=eth0\n$BLOCK= \\\n  interface $IF \\\n  priority 100\nx $IF\n$BLOCK\ny\n";
        assert_eq!(
            lines(text, "n").0,
            ["x|eth0", "interface|eth0", "priority|100", "y"]
        );
    }

    #[test]
    fn seq_and_lst_repeat_lines() {
        // `$N/` is not a reference (keepalived needs `${N}` there), `$N` before a blank is.
        let text = "~SEQ(N, 1, 3) 10.1.1.${N}/32\n~SEQ(M, 2) $M/x $M\n~LST(V, a, b) w $V\n";
        let expect = [
            "10.1.1.1/32",
            "10.1.1.2/32",
            "10.1.1.3/32",
            "$M/x|1",
            "$M/x|2",
            "w|a",
            "w|b",
        ];
        assert_eq!(lines(text, "n").0, expect);
    }

    #[test]
    fn self_referencing_multiline_is_bounded() {
        let (l, d) = lines("$M=x \\\n$M\n\n$M\n", "n");
        assert!(l.len() <= limits::MAX_EXPANDED_LINES + 2);
        assert_eq!(d.exit_code(), 5);
    }

    #[test]
    fn includes_relative_glob_and_missing() {
        let t = TmpDir::new("inc");
        t.write("conf.d/b.conf", "b 2\n");
        t.write("conf.d/a.conf", "a 1\n");
        let main = t.write(
            "k.conf",
            "include conf.d/*.conf # comment\ninclude none.conf\nz 3\n",
        );
        let mut d = Diagnostics::default();
        let mut out = Vec::new();
        {
            let mut r = Reader::open(&mut d, &main, "n", 0, 1);
            while let Some(l) = r.next_line() {
                out.push((l.words().collect::<Vec<_>>().join("|"), l.loc.line));
            }
        }
        assert_eq!(
            out,
            [("a|1".into(), 1), ("b|2".into(), 1), ("z|3".into(), 3)]
        );
        assert_eq!(d.list[0].msg, "Config files missing 'none.conf'.");
        assert_eq!(d.exit_code(), 0);
        // With -e the missing include is an error.
        let mut d = Diagnostics::default();
        {
            let mut r = Reader::open(&mut d, &main, "n", check::ALL, 1);
            while r.next_line().is_some() {}
        }
        assert_eq!(d.exit_code(), 6);
    }

    #[test]
    fn include_loop_is_cut() {
        let t = TmpDir::new("loop");
        t.write("b.conf", "include a.conf\nb\n");
        let main = t.write("a.conf", "include b.conf\na\n");
        let mut d = Diagnostics::default();
        let mut n = 0;
        {
            let mut r = Reader::open(&mut d, &main, "n", 0, 1);
            while r.next_line().is_some() {
                n += 1;
            }
        }
        assert_eq!(n, 2);
        assert!(d.list.iter().any(|x| x.msg.contains("include loop")));
        assert_eq!(d.exit_code(), 5);
    }

    #[test]
    fn long_lines_and_garbage_do_not_panic() {
        // One line longer than the limit, one longer than a read block.
        let mut text = "x".repeat(limits::MAX_LINE_LEN + 1);
        text.push_str("\nok\n");
        text.push_str(&"y".repeat(4 * limits::CONFIG_READ_BUFFER));
        text.push_str("\nok2\n\u{0}\u{1}\u{ff}{\"\n");
        let (l, d) = lines(&text, "n");
        assert_eq!(l[..2], ["ok", "ok2"]);
        let long: Vec<u32> = d
            .list
            .iter()
            .filter(|x| x.msg.contains("MAX_LINE_LEN"))
            .map(|x| x.loc.line)
            .collect();
        assert_eq!(long, [1, 3]);
    }
}
