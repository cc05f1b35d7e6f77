//! HTTP_GET (and SSL_GET's inner protocol): the request keepalived sends and a bounded,
//! streaming reader of the response.
//!
//! The request is keepalived's template (`check_http.c`):
//! `GET <path> HTTP/1.<0|1>\r\nUser-Agent: KeepAliveClient\r\n[Connection: close\r\n]Host:
//! <host>\r\n\r\n`. The response is read until the server closes, as keepalived does (the
//! body is not de-chunked: a chunked body is hashed with its framing, as keepalived hashes
//! it). Unlike keepalived the reader is bounded: the header block may not exceed
//! [`limits::HTTP_MAX_HEADER`], the body [`limits::HTTP_MAX_BODY`], and a body that does not
//! match its `Content-Length` fails the check (keepalived only logs the mismatch).

use std::fmt::Write as _;
use std::net::SocketAddr;

use std::sync::Arc;

use md5::{Digest, Md5};

use super::regex::{UrlRegex, Window};
use crate::config::model::lvs::{HttpProtocol, StatusCodes};
use crate::limits;

/// Appends keepalived's request for `path` to `out`. `host` is the Host header's value
/// (the url/checker/server `virtualhost`); None = the destination `address:port`
/// (`[address]:port` for IPv6).
pub fn request(
    out: &mut Vec<u8>,
    path: &str,
    host: Option<&str>,
    dst: SocketAddr,
    p: HttpProtocol,
) {
    let minor = u8::from(p == HttpProtocol::V11);
    let close = match p {
        HttpProtocol::V10 => "",
        HttpProtocol::V10Close | HttpProtocol::V11 => "Connection: close\r\n",
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "GET {path} HTTP/1.{minor}\r\nUser-Agent: KeepAliveClient\r\n{close}"
    );
    match (host, dst) {
        (Some(h), _) => {
            let _ = write!(s, "Host: {h}\r\n\r\n");
        }
        (None, SocketAddr::V6(a)) => {
            let _ = write!(s, "Host: [{}]:{}\r\n\r\n", a.ip(), a.port());
        }
        (None, SocketAddr::V4(a)) => {
            let _ = write!(s, "Host: {}:{}\r\n\r\n", a.ip(), a.port());
        }
    }
    out.extend_from_slice(s.as_bytes());
}

/// Why a response failed; the texts are keepalived's `timeout_epilog` words where it has
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// Closed before any byte (keepalived: "Read, no data received from").
    NoData,
    /// The header block never ended, or is larger than the cap.
    BadHeader,
    /// The status is not one of the url's (`status_code`).
    Status(u16),
    /// The body is larger than the cap or keeps coming.
    TooLong,
    /// The body does not match its Content-Length.
    Length { expected: u64, received: u64 },
    /// MD5 of the body differs from the url's digest.
    Digest,
    /// The url's regex did not match (or did, with regex_no_match).
    Regex,
}

impl HttpError {
    /// keepalived's words for the failure, as `"<words> server [ip]:tcp:port."`.
    pub fn words(self) -> &'static str {
        match self {
            HttpError::NoData => "Read, no data received from ",
            HttpError::BadHeader => "HTTP header error from",
            HttpError::Status(_) => "HTTP status code error to",
            HttpError::TooLong => "HTTP response too long from",
            HttpError::Length { .. } => "HTTP content length mismatch from",
            HttpError::Digest => "MD5 digest error to",
            HttpError::Regex => "Regex match failed",
        }
    }
}

/// What a good response proved (for keepalived's "<what> success to ... url(...)").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpOk {
    pub status: u16,
    /// A digest was checked.
    pub digest: bool,
    /// A regex was checked.
    pub regex: bool,
}

/// The streaming reader of one response. Made once per checker; `reset` before each
/// request. Its header buffer is allocated at start-up.
#[derive(Debug)]
pub struct Response {
    head: Vec<u8>,
    in_body: bool,
    status: u16,
    content_len: Option<u64>,
    body_len: u64,
    md5: Md5,
    received: bool,
    failed: Option<HttpError>,
    /// The url's regex, matched over the whole response.
    regex: Window,
}

impl Default for Response {
    fn default() -> Self {
        Response::new()
    }
}

impl Response {
    pub fn new() -> Response {
        Response {
            head: Vec::with_capacity(limits::HTTP_MAX_HEADER),
            in_body: false,
            status: 0,
            content_len: None,
            body_len: 0,
            md5: Md5::new(),
            received: false,
            failed: None,
            regex: Window::new(false),
        }
    }

    /// A reader whose urls may have a regex: its window is allocated now.
    pub fn with_regex_window() -> Response {
        Response {
            regex: Window::new(true),
            ..Response::new()
        }
    }

    /// Before a request for a url with `regex` (or none).
    pub fn reset_for(&mut self, regex: Option<Arc<UrlRegex>>) {
        self.reset();
        self.regex.reset(regex);
    }

    pub fn reset(&mut self) {
        self.head.clear();
        self.in_body = false;
        self.status = 0;
        self.content_len = None;
        self.body_len = 0;
        self.md5 = Md5::new();
        self.received = false;
        self.failed = None;
    }

    /// Feeds received bytes. Err as soon as the response can no longer pass (the caller
    /// stops reading and fails the check).
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), HttpError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if !data.is_empty() {
            self.received = true;
        }
        self.regex.feed(data);
        if !self.in_body {
            let room = limits::HTTP_MAX_HEADER - self.head.len();
            let take = data.len().min(room);
            let start = self.head.len().saturating_sub(3);
            self.head.extend_from_slice(&data[..take]);
            match find(&self.head[start..], b"\r\n\r\n") {
                Some(i) => {
                    let end = start + i + 4;
                    // What followed the blank line belongs to the body.
                    let extra = self.head.len() - end;
                    data = &data[take - extra..];
                    self.parse_head(end)?;
                    self.in_body = true;
                }
                None if take < data.len() || self.head.len() >= limits::HTTP_MAX_HEADER => {
                    return self.fail(HttpError::BadHeader);
                }
                None => return Ok(()),
            }
        }
        self.body(data)
    }

    fn fail(&mut self, e: HttpError) -> Result<(), HttpError> {
        self.failed = Some(e);
        Err(e)
    }

    fn body(&mut self, data: &[u8]) -> Result<(), HttpError> {
        if data.is_empty() {
            return Ok(());
        }
        let n = data.len() as u64;
        self.body_len = self.body_len.saturating_add(n);
        if self.body_len > limits::HTTP_MAX_BODY as u64 {
            return self.fail(HttpError::TooLong);
        }
        if let Some(cl) = self.content_len {
            if self.body_len > cl {
                return self.fail(HttpError::Length {
                    expected: cl,
                    received: self.body_len,
                });
            }
        }
        self.md5.update(data);
        Ok(())
    }

    fn parse_head(&mut self, end: usize) -> Result<(), HttpError> {
        let head = &self.head[..end];
        let line_end = find(head, b"\r\n").unwrap_or(0);
        let Some(status) = status_code(&head[..line_end]) else {
            return self.fail(HttpError::BadHeader);
        };
        self.status = status;
        let mut cl = None;
        for line in head[line_end..].split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                continue;
            };
            if line[..colon].eq_ignore_ascii_case(b"content-length") {
                match parse_u64(trim(&line[colon + 1..])) {
                    Some(v) => cl = Some(v),
                    None => return self.fail(HttpError::BadHeader),
                }
            }
        }
        self.content_len = cl;
        Ok(())
    }

    /// The verdict once the server closed the connection.
    pub fn finish(
        &mut self,
        codes: &StatusCodes,
        digest: Option<&[u8; 16]>,
    ) -> Result<HttpOk, HttpError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if !self.received {
            return Err(HttpError::NoData);
        }
        if !self.in_body {
            return Err(HttpError::BadHeader);
        }
        if !codes.contains(self.status) {
            return Err(HttpError::Status(self.status));
        }
        if let Some(cl) = self.content_len {
            if cl != self.body_len {
                return Err(HttpError::Length {
                    expected: cl,
                    received: self.body_len,
                });
            }
        }
        if let Some(want) = digest {
            let got: [u8; 16] = self.md5.clone().finalize().into();
            if &got != want {
                return Err(HttpError::Digest);
            }
        }
        let regex = self.regex.finish();
        if regex == Some(false) {
            return Err(HttpError::Regex);
        }
        Ok(HttpOk {
            status: self.status,
            digest: digest.is_some(),
            regex: regex.is_some(),
        })
    }

    /// MD5 of the body read so far (genhash).
    pub fn digest(&self) -> [u8; 16] {
        self.md5.clone().finalize().into()
    }

    /// Whether the response already proved all it can: a Content-Length body complete.
    pub fn complete(&self) -> bool {
        self.in_body && self.content_len == Some(self.body_len)
    }
}

/// `HTTP/x.y NNN ...` → NNN, as keepalived's `extract_status_code` (the number after the
/// first run of spaces).
pub fn status_code(line: &[u8]) -> Option<u16> {
    if !line.starts_with(b"HTTP/") {
        return None;
    }
    let sp = line.iter().position(|b| *b == b' ')?;
    let rest = &line[sp..];
    let rest = &rest[rest.iter().position(|b| *b != b' ')?..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits != 3 {
        return None;
    }
    let mut v = 0u16;
    for d in &rest[..3] {
        v = v * 10 + u16::from(d - b'0');
    }
    Some(v)
}

fn trim(s: &[u8]) -> &[u8] {
    let a = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let b = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(a, |i| i + 1);
    &s[a..b.max(a)]
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0')))
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(lo: u16, hi: u16) -> StatusCodes {
        let mut c = StatusCodes::default();
        c.insert_range(lo, hi);
        c
    }

    fn md5(b: &[u8]) -> [u8; 16] {
        Md5::digest(b).into()
    }

    fn run(chunks: &[&[u8]], c: &StatusCodes, d: Option<&[u8; 16]>) -> Result<HttpOk, HttpError> {
        let mut r = Response::new();
        for ch in chunks {
            r.feed(ch)?;
        }
        r.finish(c, d)
    }

    #[test]
    fn requests_as_keepalived_sends_them() {
        let dst: SocketAddr = "10.0.0.2:80".parse().unwrap();
        let mut out = Vec::new();
        request(&mut out, "/", None, dst, HttpProtocol::V10);
        assert_eq!(
            out,
            b"GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.2:80\r\n\r\n"
        );
        out.clear();
        request(&mut out, "/x", Some("www.example"), dst, HttpProtocol::V11);
        assert_eq!(
            out,
            &b"GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example\r\n\r\n"[..]
        );
        out.clear();
        let dst6: SocketAddr = "[fd00::2]:8080".parse().unwrap();
        request(&mut out, "/", None, dst6, HttpProtocol::V10Close);
        assert_eq!(
            out,
            &b"GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [fd00::2]:8080\r\n\r\n"[..]
        );
    }

    #[test]
    fn status_lines() {
        assert_eq!(status_code(b"HTTP/1.0 200 OK"), Some(200));
        assert_eq!(status_code(b"HTTP/1.1   404"), Some(404));
        assert_eq!(status_code(b"HTTP/1.1 20 OK"), None);
        assert_eq!(status_code(b"HTTP/1.1 2000 OK"), None);
        assert_eq!(status_code(b"SMTP 200"), None);
        assert_eq!(status_code(b"HTTP/1.1"), None);
    }

    #[test]
    fn status_ranges_and_digest() {
        let ok = codes(200, 299);
        let body = b"hello";
        let resp: &[u8] = b"HTTP/1.0 204 No\r\nServer: x\r\n\r\nhello";
        assert_eq!(
            run(&[resp], &ok, Some(&md5(body))),
            Ok(HttpOk {
                status: 204,
                digest: true,
                regex: false
            })
        );
        assert_eq!(
            run(&[resp], &ok, Some(&md5(b"other"))),
            Err(HttpError::Digest)
        );
        let mut c = codes(200, 200);
        c.insert_range(400, 499);
        c.insert_range(503, 503);
        let r = |s: &str| run(&[format!("HTTP/1.1 {s} x\r\n\r\n").as_bytes()], &c, None);
        assert!(r("200").is_ok() && r("404").is_ok() && r("503").is_ok());
        assert_eq!(r("204"), Err(HttpError::Status(204)));
        assert_eq!(r("502"), Err(HttpError::Status(502)));
    }

    #[test]
    fn split_anywhere_gives_the_same_verdict() {
        let resp: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        let d = md5(b"hello");
        for cut in 0..resp.len() {
            let got = run(&[&resp[..cut], &resp[cut..]], &codes(200, 299), Some(&d));
            assert!(got.is_ok(), "cut {cut}: {got:?}");
        }
        // Byte by byte.
        let mut r = Response::new();
        for b in resp {
            r.feed(std::slice::from_ref(b)).unwrap();
        }
        assert!(r.complete());
        assert!(r.finish(&codes(200, 299), Some(&d)).is_ok());
    }

    #[test]
    fn malformed_responses_fail() {
        let ok = codes(200, 299);
        assert_eq!(run(&[], &ok, None), Err(HttpError::NoData));
        // No blank line: no headers.
        assert_eq!(
            run(&[b"HTTP/1.0 200 OK\r\nhello"], &ok, None),
            Err(HttpError::BadHeader)
        );
        assert_eq!(
            run(&[b"garbage\r\n\r\n"], &ok, None),
            Err(HttpError::BadHeader)
        );
        // Headers that never end are cut at the cap.
        let mut r = Response::new();
        let junk = [b'a'; 1000];
        let mut failed = None;
        for _ in 0..100 {
            if let Err(e) = r.feed(&junk) {
                failed = Some(e);
                break;
            }
        }
        assert_eq!(failed, Some(HttpError::BadHeader));
        // An endless body is cut at the cap.
        let mut r = Response::new();
        r.feed(b"HTTP/1.0 200 OK\r\n\r\n").unwrap();
        let chunk = [b'x'; 16 * 1024];
        let mut n = 0u64;
        let e = loop {
            match r.feed(&chunk) {
                Ok(()) => n += chunk.len() as u64,
                Err(e) => break e,
            }
        };
        assert_eq!(e, HttpError::TooLong);
        assert!(n <= limits::HTTP_MAX_BODY as u64);
        // Lying lengths, both ways.
        assert_eq!(
            run(
                &[b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nhello"],
                &ok,
                None
            ),
            Err(HttpError::Length {
                expected: 10,
                received: 5
            })
        );
        assert_eq!(
            run(
                &[b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nhello"],
                &ok,
                None
            ),
            Err(HttpError::Length {
                expected: 2,
                received: 5
            })
        );
        assert_eq!(
            run(
                &[b"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n"],
                &ok,
                None
            ),
            Err(HttpError::BadHeader)
        );
    }
}
