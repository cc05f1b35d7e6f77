//! `HTTP_GET { ... }` and `SSL_GET { ... }` with their `url { ... }` blocks.

use super::checker::{common, link_local_ok};
use super::draft::{CheckerDraft, RsDraft};
use super::read::{self, flag};
use super::{CheckKind, HttpCheck, HttpProtocol, RegexConf, StatusCodes, Url};
#[cfg(feature = "lvs")]
use crate::check::regex;
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Loc};
use crate::config::parser::Node;
use crate::config::text::is_ws;
use crate::config::value;
use crate::limits;
use crate::time::Duration;

/// None when keepalived drops the checker (reported).
pub fn parse(ctx: &mut Ctx, n: &Node, rs: &RsDraft) -> Result<Option<CheckerDraft>, Fatal> {
    let mut http = HttpCheck {
        urls: Vec::new(),
        virtualhost: None,
        http_protocol: HttpProtocol::V10,
        enable_sni: false,
        fast_recovery: false,
    };
    let mut c = CheckerDraft::new(CheckKind::Tcp, rs, true, n.loc);
    c.default_delay_before_retry = Some(Duration::from_secs(3));
    for k in n.children() {
        if !keyword(ctx, &k, &mut http, &mut c)? {
            common(ctx, &k, &mut c)?;
        }
    }
    if http.urls.is_empty() {
        let msg = "HTTP/SSL_GET checker has no urls specified - ignoring";
        ctx.error(n.end, msg);
        return Ok(None);
    }
    if !link_local_ok(ctx, n.end, c.conn.as_ref(), rs) {
        return Ok(None);
    }
    let http = Box::new(http);
    c.kind = if n.kw == "SSL_GET" {
        CheckKind::Ssl(http)
    } else {
        CheckKind::Http(http)
    };
    Ok(Some(c))
}

/// HTTP_GET's own keywords; false for a shared one.
fn keyword(
    ctx: &mut Ctx,
    k: &Node,
    http: &mut HttpCheck,
    c: &mut CheckerDraft,
) -> Result<bool, Fatal> {
    match k.kw {
        "nb_get_retry" => {
            ctx.error(k.loc, "nb_get_retry is deprecated - please use 'retry'");
            let w = ctx::arg(k, 0)?;
            match value::unsigned(ctx, k.loc, w, 0, u32::MAX) {
                Some(v) => c.timing.set().retry = Some(v),
                None => ctx.error(k.loc, format!("Invalid nb_get_retry value '{w}'")),
            }
        }
        "virtualhost" => match k.arg(0) {
            Some(h) => http.virtualhost = Some(h.to_string()),
            None => ctx.error(k.loc, "HTTP_GET virtualhost name missing"),
        },
        "http_protocol" => match k.arg(0) {
            None => ctx.error(k.loc, "Missing http_protocol version"),
            Some("1.0") => http.http_protocol = HttpProtocol::V10,
            Some("1.1") => http.http_protocol = HttpProtocol::V11,
            Some("1.0C" | "1.0c") => http.http_protocol = HttpProtocol::V10Close,
            Some(w) => ctx.error(k.loc, format!("Invalid http_protocol version {w}")),
        },
        "enable_sni" => {
            if let Some(v) = flag(ctx, k, "Invalid enable_sni parameter") {
                http.enable_sni = v;
            }
        }
        "fast_recovery" => {
            if let Some(v) = flag(ctx, k, "Invalid fast_recovery parameter") {
                http.fast_recovery = v;
            }
        }
        "url" => {
            if http.urls.len() >= limits::MAX_URLS_PER_CHECKER {
                let msg = format!(
                    "url: this checker has more than MAX_URLS_PER_CHECKER ({}) urls - ignoring",
                    limits::MAX_URLS_PER_CHECKER
                );
                ctx.error(k.loc, msg);
            } else if let Some(u) = url(ctx, k)? {
                http.urls.push(u);
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// One `url` block; None when it has no path (reported).
fn url(ctx: &mut Ctx, k: &Node) -> Result<Option<Url>, Fatal> {
    let mut path = None;
    let mut digest = None;
    let mut status_codes = StatusCodes::default();
    let mut virtualhost = None;
    let mut re = RegexDraft::default();
    for u in k.children() {
        if re.keyword(ctx, &u) {
            continue;
        }
        match u.kw {
            "path" => path = Some(ctx::arg(&u, 0)?.to_string()),
            "digest" => {
                let w = ctx::arg(&u, 0)?;
                if digest.is_some() {
                    ctx.error(u.loc, format!("Digest '{w}' is a duplicate"));
                } else {
                    digest = md5_digest(ctx, &u, w);
                }
            }
            "status_code" => {
                for w in u.args() {
                    match status_range(w) {
                        Some((lo, hi)) => status_codes.insert_range(lo, hi),
                        None => ctx.error(u.loc, format!("Invalid HTTP_GET status code '{w}'")),
                    }
                }
            }
            "virtualhost" => match u.arg(0) {
                Some(h) => virtualhost = Some(h.to_string()),
                None => ctx.error(u.loc, "Missing HTTP_GET virtualhost name"),
            },
            _ => {}
        }
    }
    let Some(path) = path else {
        ctx.error(k.end, "HTTP/SSL_GET checker url has no path - ignoring");
        return Ok(None);
    };
    if status_codes.is_empty() {
        status_codes.insert_range(200, 299);
    }
    let regex = re.finish(ctx, k);
    Ok(Some(Url {
        path,
        digest,
        status_codes,
        virtualhost,
        host_header: None,
        sni_name: None,
        regex,
        loc: k.loc,
    }))
}

/// keepalived's `regex_options` words that change how regex-lite matches.
const REGEX_FLAGS: &[&str] = &["caseless", "multiline", "dotall", "extended", "ungreedy"];

/// keepalived's other `regex_options` (PCRE2 compile options): accepted, no effect here.
const REGEX_NO_EFFECT: &[&str] = &[
    "allow_empty_class",
    "alt_bsux",
    "auto_callout",
    "dollar_endonly",
    "dupnames",
    "firstline",
    "match_unset_backref",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "utf",
    "never_backslash_c",
    "alt_circumflex",
    "alt_verbnames",
    "use_offset_limit",
];

/// Whether `w` is one of keepalived's `regex_options`.
fn is_regex_option(w: &str) -> bool {
    REGEX_FLAGS.contains(&w) || REGEX_NO_EFFECT.contains(&w)
}

/// A url's regex keywords as read, checked at the url's end as keepalived's
/// `url_check` does. Texts are keepalived's (check_http.c); most are log lines there.
#[derive(Default)]
struct RegexDraft {
    /// The pattern and the line it came from.
    pattern: Option<(String, Loc)>,
    options: Vec<String>,
    no_match: bool,
    min: u64,
    /// keepalived's regex_max_offset: one past the last start (0: none).
    max_end: u64,
    stack: bool,
}

impl RegexDraft {
    /// Reads `u` if it is a regex keyword.
    fn keyword(&mut self, ctx: &mut Ctx, u: &Node) -> bool {
        match u.kw {
            "regex" => match (u.arg(0), u.arg(1)) {
                (Some(p), None) => self.pattern = Some((p.to_string(), u.loc)),
                _ => ctx.info(u.loc, "regex missing or too many fields"),
            },
            "regex_no_match" => self.no_match = true,
            "regex_options" => {
                for w in u.args() {
                    if !is_regex_option(w) {
                        // keepalived ignores unknown words silently.
                        ctx.info(u.loc, format!("Unknown regex option '{w}' - ignoring"));
                    } else if !self.options.iter().any(|o| o == w) {
                        self.options.push(w.to_string());
                    }
                }
            }
            "regex_min_offset" => self.min = offset(ctx, u, "min"),
            "regex_max_offset" => self.max_end = offset(ctx, u, "max").saturating_add(1),
            "regex_stack" => self.stack = stack(ctx, u) || self.stack,
            _ => return false,
        }
        true
    }

    fn finish(self, ctx: &mut Ctx, k: &Node) -> Option<RegexConf> {
        let Some((pattern, loc)) = self.pattern else {
            if !self.options.is_empty()
                || self.no_match
                || self.min != 0
                || self.max_end != 0
                || self.stack
            {
                ctx.info(k.end, "regex parameters specified without regex");
            }
            return None;
        };
        // Without LVS in the build nothing matches, and nothing compiles the pattern.
        #[cfg(not(feature = "lvs"))]
        let _ = loc;
        #[cfg(feature = "lvs")]
        if let Err(e) = regex::compile(&pattern, &self.options) {
            let e = e.split_whitespace().collect::<Vec<_>>().join(" ");
            ctx.error(loc, format!("Invalid regex: '{pattern}': {e}"));
            return None;
        }
        let (mut min, mut max_end) = (self.min, self.max_end);
        if max_end != 0 && min >= max_end {
            let msg = format!(
                "regex min offset {min} > regex_max_offset {} - ignoring",
                max_end - 1
            );
            ctx.info(k.end, msg);
            (min, max_end) = (0, 0);
        }
        Some(RegexConf {
            pattern,
            options: self.options,
            no_match: self.no_match,
            min_offset: min,
            max_offset: max_end.checked_sub(1),
        })
    }
}

/// `regex_min_offset N` / `regex_max_offset N`; 0 when missing or invalid, as keepalived.
fn offset(ctx: &mut Ctx, u: &Node, which: &str) -> u64 {
    let (Some(w), None) = (u.arg(0), u.arg(1)) else {
        let msg = format!("Missing or too may options for regex_{which}_offset");
        ctx.info(u.loc, msg);
        return 0;
    };
    match read::strtoul(w, 10) {
        (Some(v), "") => v,
        _ => {
            ctx.info(u.loc, format!("Invalid regex_{which}_offset {w} specified"));
            0
        }
    }
}

/// `regex_stack START MAX`: checked as keepalived does; true when valid.
fn stack(ctx: &mut Ctx, u: &Node) -> bool {
    let (Some(a), Some(b), None) = (u.arg(0), u.arg(1), u.arg(2)) else {
        ctx.info(u.loc, "regex_stack requires start and max values");
        return false;
    };
    let (Some(start), "") = read::strtoul(a, 10) else {
        ctx.info(u.loc, "regex_stack invalid start value");
        return false;
    };
    let (Some(max), "") = read::strtoul(b, 10) else {
        ctx.info(u.loc, "regex_stack invalid max value");
        return false;
    };
    if start > max {
        ctx.info(u.loc, "regex stack start cannot exceed max value");
        return false;
    }
    true
}

/// 32 hex digits, read two at a time from the end as keepalived does (so its message
/// shows the text up to the failing pair).
fn md5_digest(ctx: &mut Ctx, u: &Node, w: &str) -> Option<[u8; 16]> {
    let b = w.as_bytes();
    if b.len() != 32 {
        let msg = format!(
            "digest '{w}' character length should be 32 rather than {}",
            b.len()
        );
        ctx.error(u.loc, msg);
        return None;
    }
    let mut out = [0u8; 16];
    for i in (0..16).rev() {
        match hex_pair(b[2 * i], b[2 * i + 1]) {
            Some(v) => out[i] = v,
            None => {
                let shown = String::from_utf8_lossy(&b[..2 * i + 2]);
                let msg = format!(
                    "Unable to interpret hex digit in '{shown}' at offset {}/{}",
                    2 * i,
                    2 * i + 1
                );
                ctx.error(u.loc, msg);
                return None;
            }
        }
    }
    Some(out)
}

/// A two-character `strtoul(.., 16)` that must use both characters: two hex digits, or a
/// blank or sign and one digit.
fn hex_pair(a: u8, b: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let low = digit(b)?;
    match (a, digit(a)) {
        (_, Some(high)) => Some(high << 4 | low),
        (b'+', None) => Some(low),
        (b'-', None) => Some(0u8.wrapping_sub(low)),
        (c, None) if is_ws(c as char) => Some(low),
        _ => None,
    }
}

/// `N` or `N-M` within 100..=599, ascending.
fn status_range(w: &str) -> Option<(u16, u16)> {
    let (lo, rest) = read::strtoul(w, 10);
    let (hi, rest) = match rest.strip_prefix('-') {
        Some(r) => read::strtoul(r, 10),
        None => (lo, rest),
    };
    let range = u64::from(StatusCodes::MIN)..=u64::from(StatusCodes::MAX);
    match (lo, hi) {
        (Some(lo), Some(hi))
            if rest.is_empty() && range.contains(&lo) && range.contains(&hi) && lo <= hi =>
        {
            Some((lo as u16, hi as u16))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_code_words() {
        assert_eq!(status_range("200"), Some((200, 200)));
        assert_eq!(status_range("200-299"), Some((200, 299)));
        assert_eq!(status_range("300-299"), None);
        assert_eq!(status_range("99"), None);
        assert_eq!(status_range("abc"), None);
        assert_eq!(status_range("200-"), None);
    }

    #[test]
    fn digest_pairs_like_strtoul() {
        assert_eq!(hex_pair(b'a', b'F'), Some(0xaf));
        assert_eq!(hex_pair(b'+', b'f'), Some(0x0f));
        assert_eq!(hex_pair(b'-', b'1'), Some(0xff));
        assert_eq!(hex_pair(b'g', b'0'), None);
        assert_eq!(hex_pair(b'0', b'x'), None);
    }
}
