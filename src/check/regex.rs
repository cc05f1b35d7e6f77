//! HTTP_GET/SSL_GET `regex`: a url's pattern matched against the response as it streams in.
//!
//! keepalived (check_http.c `check_regex`) runs PCRE2 with PCRE2_PARTIAL_HARD on each 4 KiB
//! read: a partial match at the end of a read is kept and completed with the next one, so
//! a match is found wherever the reads cut the response. The subject is the response from
//! its first byte (the headers are in the buffer of the read that completes them) and the
//! offsets (`regex_min_offset`, `regex_max_offset`) count from there. The verdict comes
//! after the status code and the digest: a url fails with "Regex match failed" when
//! the regex did not match (or did, with `regex_no_match`).
//!
//! We use `regex-lite` (no partial matching) over a fixed window allocated at start-up
//! ([`limits::REGEX_WINDOW`]): it is matched when full, and if nothing matched its last half
//! is kept for the next round. Any match up to half the window long (8 KiB, twice what
//! keepalived keeps) is found however the response is cut, each byte is matched at most
//! twice, and nothing allocates per check. Differences from PCRE2: regex-lite's syntax
//! (no look-around or back-references: refused at load time), and bytes that are not
//! UTF-8 separate the text matched (a pattern never matches across them).

use std::sync::Arc;

use regex_lite::{Regex, RegexBuilder};

use crate::config::model::lvs::RegexConf;
use crate::limits;

/// Compiles a url's pattern with its options. Err: regex-lite's reason.
pub fn compile(pattern: &str, options: &[String]) -> Result<Regex, String> {
    let has = |o: &str| options.iter().any(|x| x == o);
    RegexBuilder::new(pattern)
        .case_insensitive(has("caseless"))
        .multi_line(has("multiline"))
        .dot_matches_new_line(has("dotall"))
        .ignore_whitespace(has("extended"))
        .swap_greed(has("ungreedy"))
        .build()
        .map_err(|e| e.to_string())
}

/// A url's compiled regex and its verdict rules.
#[derive(Debug)]
pub struct UrlRegex {
    re: Regex,
    pub no_match: bool,
    min: u64,
    /// The last offset a match may start at.
    max: Option<u64>,
}

impl UrlRegex {
    /// None when the pattern does not compile (the configuration reported it).
    pub fn new(c: &RegexConf) -> Option<Arc<UrlRegex>> {
        let re = compile(&c.pattern, &c.options).ok()?;
        // The matcher's cache is made now, not during the first check.
        let _ = re.is_match("");
        Some(Arc::new(UrlRegex {
            re,
            no_match: c.no_match,
            min: c.min_offset,
            max: c.max_offset,
        }))
    }
}

/// The window of one checker's response.
#[derive(Debug, Default)]
pub struct Window {
    buf: Vec<u8>,
    /// Offset in the response of `buf[0]`.
    base: u64,
    regex: Option<Arc<UrlRegex>>,
    matched: bool,
    /// The verdict is known (a match, or past `regex_max_offset`).
    done: bool,
}

impl Window {
    /// A window for a checker with a regex url (an empty one otherwise).
    pub fn new(needed: bool) -> Window {
        Window {
            buf: Vec::with_capacity(if needed { limits::REGEX_WINDOW } else { 0 }),
            ..Window::default()
        }
    }

    /// Before each response: the url's regex (None: nothing to match).
    pub fn reset(&mut self, regex: Option<Arc<UrlRegex>>) {
        self.buf.clear();
        self.base = 0;
        self.matched = false;
        // A window made without room cannot match (a configuration without regex).
        self.done = regex.is_none() || self.buf.capacity() < limits::REGEX_WINDOW;
        self.regex = regex;
    }

    /// The next bytes of the response.
    pub fn feed(&mut self, mut data: &[u8]) {
        let cap = limits::REGEX_WINDOW;
        while !self.done && !data.is_empty() {
            let take = (cap - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == cap {
                self.scan(false);
                if !self.done {
                    // Keep the last half for matches that run across the cut.
                    let keep = cap / 2;
                    self.buf.copy_within(cap - keep.., 0);
                    self.buf.truncate(keep);
                    self.base += (cap - keep) as u64;
                }
            }
        }
    }

    /// The verdict at the response's end: Some(passed) for a url with a regex.
    pub fn finish(&mut self) -> Option<bool> {
        let no_match = self.regex.as_ref()?.no_match;
        if !self.done {
            self.scan(true);
        }
        Some(self.matched != no_match)
    }

    /// Matches the window's text runs; `last`: the response ends with the window.
    fn scan(&mut self, last: bool) {
        let Some(r) = self.regex.clone() else {
            self.done = true;
            return;
        };
        if r.max.is_some_and(|m| self.base > m) {
            self.done = true;
            return;
        }
        let w = &self.buf[..];
        let keep_from = w.len() - w.len().min(limits::REGEX_WINDOW / 2);
        let mut pos = 0;
        while pos < w.len() {
            let (text, next) = match std::str::from_utf8(&w[pos..]) {
                Ok(s) => (s, w.len()),
                Err(e) => {
                    let good = e.valid_up_to();
                    // `good` bytes are UTF-8 (from_utf8 said so).
                    let s = std::str::from_utf8(&w[pos..pos + good]).unwrap_or("");
                    // An incomplete character at the end waits for the next round.
                    (s, e.error_len().map_or(w.len(), |n| pos + good + n))
                }
            };
            let at = self.base + pos as u64;
            // Not at the response's start: the byte before is context (so `^` and `\b`
            // see it), never part of a match kept from the last round.
            let ctx = usize::from(at > 0 && pos == 0 && self.base > 0);
            let mut start = (r.min.saturating_sub(at) as usize).max(ctx);
            while start < text.len() && !text.is_char_boundary(start) {
                start += 1;
            }
            if start <= text.len() {
                if let Some(m) = r.re.find_at(text, start) {
                    let (ms, me) = (pos + m.start(), pos + m.end());
                    // A match touching the window's end may change with what follows
                    // (`$`, `\b`, greed): judged next round if that round still has it.
                    let later = !last && me == w.len() && ms > keep_from;
                    if !later {
                        let ms = self.base + ms as u64;
                        self.matched = r.max.map_or(true, |max| ms <= max);
                        self.done = true;
                        return;
                    }
                }
            }
            pos = next;
        }
        if last {
            self.done = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(p: &str, opts: &[&str]) -> RegexConf {
        RegexConf {
            pattern: p.into(),
            options: opts.iter().map(|s| s.to_string()).collect(),
            no_match: false,
            min_offset: 0,
            max_offset: None,
        }
    }

    /// The verdict for `body` cut into pieces of `step` bytes.
    fn verdict(c: &RegexConf, body: &[u8], step: usize) -> bool {
        let mut w = Window::new(true);
        w.reset(UrlRegex::new(c));
        for ch in body.chunks(step.max(1)) {
            w.feed(ch);
        }
        w.finish().expect("a regex")
    }

    #[test]
    fn found_wherever_the_reads_cut() {
        let mut body = vec![b'x'; 3 * limits::REGEX_WINDOW];
        let at = limits::REGEX_WINDOW - 3;
        body[at..at + 11].copy_from_slice(b"status: up!");
        let c = conf("status: (up|down)!", &[]);
        for step in [1, 7, 4096, limits::REGEX_WINDOW, body.len()] {
            assert!(verdict(&c, &body, step), "step {step}");
        }
        assert!(!verdict(&conf("status: down", &[]), &body, 4096));
    }

    #[test]
    fn options_and_no_match() {
        let body = b"HTTP/1.0 200 OK\r\n\r\nHello\nWorld";
        assert!(!verdict(&conf("hello", &[]), body, 5));
        assert!(verdict(&conf("hello", &["caseless"]), body, 5));
        assert!(!verdict(&conf("^World", &[]), body, 5));
        assert!(verdict(&conf("^World", &["multiline"]), body, 5));
        assert!(verdict(&conf("Hello.World", &["dotall"]), body, 3));
        let mut c = conf("Hello", &[]);
        c.no_match = true;
        assert!(!verdict(&c, body, 4));
        c.pattern = "Goodbye".into();
        assert!(verdict(&c, body, 4));
        assert!(compile("(?<=a)b", &[]).is_err(), "no look-behind");
    }

    #[test]
    fn offsets_count_from_the_response_start() {
        // "OK" at 13, 19 and 22.
        let body = b"HTTP/1.0 200 OK\r\n\r\nOK OK";
        let mut c = conf("OK", &[]);
        c.min_offset = 14;
        assert!(verdict(&c, body, 3), "the one at 19");
        c.max_offset = Some(18);
        assert!(!verdict(&c, body, 3), "none in 14..=18");
        c.max_offset = Some(19);
        assert!(verdict(&c, body, 3));
        c.min_offset = 0;
        c.max_offset = Some(12);
        assert!(!verdict(&c, body, 3));
        c.max_offset = Some(13);
        assert!(verdict(&c, body, 3));
        // Past max_offset the window stops matching.
        let long = vec![b'y'; 4 * limits::REGEX_WINDOW];
        assert!(!verdict(&c, &long, 1000));
    }

    #[test]
    fn anchors_see_the_true_start_and_end() {
        // The second window starts with "aaaaaaaaaaend".
        let mut body = vec![b'b'; limits::REGEX_WINDOW / 2];
        body.extend_from_slice(b"aaaaaaaaaaend");
        body.extend_from_slice(&vec![b'c'; limits::REGEX_WINDOW]);
        // `^` is the response's start, not a window's.
        assert!(!verdict(&conf("^a{10}end", &[]), &body, 4096));
        assert!(verdict(&conf("a{10}end", &[]), &body, 4096));
        assert!(verdict(&conf("c{10}$", &[]), &body, 4096));
        // `$` at a window's end is not the response's.
        let mut b2 = vec![b'a'; limits::REGEX_WINDOW - 3];
        b2.extend_from_slice(b"end and more");
        assert!(!verdict(&conf("end$", &[]), &b2, 100));
    }

    #[test]
    fn non_utf8_bytes_do_not_stop_matching() {
        let mut body = b"caf\xc3".to_vec();
        body.extend_from_slice(b"\xa9 \xff\xfe ok");
        assert!(verdict(&conf("café", &[]), &body, 1));
        assert!(verdict(&conf("ok$", &[]), &body, 2));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// However a response is cut, a short match is found exactly when the whole
        /// response has one.
        #[test]
        fn cuts_never_change_the_verdict(
            body in proptest::collection::vec(proptest::sample::select(b"ab\n\xff".to_vec()), 0..40_000),
            step in 1usize..20_000,
        ) {
            let c = conf("ab{3}a|\nbb\n", &[]);
            let whole = String::from_utf8_lossy(&body).into_owned();
            let want = compile(&c.pattern, &[]).unwrap().is_match(&whole);
            proptest::prop_assert_eq!(verdict(&c, &body, step), want);
        }
    }
}
