//! Value readers with keepalived's checker-side rules: lenient timers, optional booleans,
//! `IP [PORT]` pairs, hex strings; and the `SSL` block.

use std::net::{IpAddr, Ipv6Addr};

use super::{HexPattern, Ssl};
use crate::config::ctx::Ctx;
use crate::config::diag::{Fatal, Loc};
use crate::config::parser::Node;
use crate::config::text::is_ws;
use crate::config::value;
use crate::time::Duration;

/// Largest timer keepalived stores in an `unsigned` (connect timeouts), µs.
pub const UINT_TIMER_MAX: u64 = u32::MAX as u64;

/// keepalived's `read_timer(..., ignore_error = true)`, used by every checker-side timer:
/// a malformed value still yields its leading number (scaled to µs) when that is in
/// range, after the "invalid number" report; nothing else is reported then.
pub fn timer(ctx: &mut Ctx, loc: Loc, s: &str, min: u64, max: u64) -> Option<Duration> {
    if let Some(v) = value::timer(ctx, loc, s, min, max) {
        return Some(Duration::from_micros(v));
    }
    let max = if max == 0 { value::TIMER_MAX } else { max };
    leading_micros(s)
        .filter(|v| (min..=max).contains(v))
        .map(Duration::from_micros)
}

/// The number C's `strtoull` reads from keepalived's rewritten timer text (decimal point
/// removed, six places padded), for texts that are not wholly numeric; None otherwise.
fn leading_micros(s: &str) -> Option<u64> {
    const PLACES: usize = 6;
    if s.starts_with('-') {
        return None;
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut frac: String = frac.chars().take(PLACES + 1).collect();
    let round_up = frac.len() > PLACES && frac.as_bytes().get(PLACES).is_some_and(|b| *b >= b'5');
    frac = frac.chars().take(PLACES).collect();
    while frac.chars().count() < PLACES {
        frac.push('0');
    }
    let text = format!("{int}{frac}");
    let t = text.trim_start_matches(is_ws);
    let t = t.strip_prefix('+').unwrap_or(t);
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == t.len() || t.starts_with('-') {
        return None;
    }
    let mut v: u64 = 0;
    for b in t.bytes().take(digits) {
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v + u64::from(round_up))
}

/// An optional `BOOL` after a flag keyword: absent = true. An invalid word is reported
/// as `format!("{what} {word}")` and gives None.
pub fn flag(ctx: &mut Ctx, node: &Node, what: &str) -> Option<bool> {
    let Some(word) = node.arg(0) else {
        return Some(true);
    };
    let v = value::true_false(word);
    if v.is_none() {
        ctx.error(node.loc, format!("{what} {word}"));
    }
    v
}

/// A port word as keepalived's address readers take it: absent or all zeros = none.
pub fn port_word(word: Option<&str>) -> Option<&str> {
    word.filter(|p| !p.chars().all(|c| c == '0'))
}

/// keepalived's `inet_stosockaddr()`: the family is IPv6 if the text has a `:`; a port
/// must be 1..65535 (reported as a number error); the address ends at a `-` (else at a
/// `/`). None on any error.
pub fn sockaddr(ctx: &mut Ctx, loc: Loc, ip: &str, port: Option<&str>) -> Option<(IpAddr, u16)> {
    let port = match port {
        Some(p) => u16::try_from(value::unsigned(ctx, loc, p, 1, 65535)?).ok()?,
        None => 0,
    };
    Some((address(ip)?, port))
}

/// The address part of `sockaddr`, without a port.
pub fn address(ip: &str) -> Option<IpAddr> {
    let (mut dash, mut slash, mut colon) = (None, None, false);
    for (i, c) in ip.bytes().enumerate() {
        match c {
            b'-' if dash.is_none() => dash = Some(i),
            b'/' if slash.is_none() => slash = Some(i),
            b':' => colon = true,
            _ => {}
        }
    }
    let text = ip.get(..dash.or(slash).unwrap_or(ip.len()))?;
    if colon {
        text.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        value::ipv4(text).map(IpAddr::V4)
    }
}

/// keepalived's `read_hex_str()`: hex digits, optionally split by blanks (a lone digit
/// before a space is one byte); `X`/`x` nibbles are wildcards when `wildcards`.
pub fn hex(s: &str, wildcards: bool) -> Option<HexPattern> {
    let b = s.as_bytes();
    let mut data = Vec::new();
    let mut mask = Vec::new();
    let mut i = 0;
    loop {
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        i += 1;
        let (mut v, mut m) = nibble(c, wildcards)?;
        if let Some(&c2) = b.get(i).filter(|c| **c != b' ') {
            i += 1;
            let (v2, m2) = nibble(c2, wildcards)?;
            v = v << 4 | v2;
            m = m << 4 | m2;
        }
        data.push(v);
        mask.push(m);
    }
    // keepalived tests its last value for its error marker 0xff, so a string ending in
    // byte 0xff is refused.
    if data.last().map_or(true, |b| *b == 0xff) {
        return None;
    }
    let mask = mask.iter().any(|m| *m != 0).then_some(mask);
    Some(HexPattern { data, mask })
}

/// One hex digit: its value and wildcard mask.
fn nibble(c: u8, wildcards: bool) -> Option<(u8, u8)> {
    match c {
        b'0'..=b'9' => Some((c - b'0', 0)),
        b'a'..=b'f' => Some((c - b'a' + 10, 0)),
        b'A'..=b'F' => Some((c - b'A' + 10, 0)),
        b'x' | b'X' if wildcards => Some((0, 0x0f)),
        _ => None,
    }
}

/// The `SSL` block. keepalived replaces an earlier one with an error.
pub fn ssl(ctx: &mut Ctx, node: &Node, replacing: bool) -> Result<Ssl, Fatal> {
    if replacing {
        ctx.error(node.loc, "SSL context already specified - replacing");
    }
    let mut ssl = Ssl {
        loc: node.loc,
        ..Ssl::default()
    };
    for n in node.children() {
        let (slot, what) = match n.kw {
            "password" => (&mut ssl.password, "password"),
            "ca" => (&mut ssl.ca, "cafile"),
            "certificate" => (&mut ssl.certificate, "certfile"),
            "key" => (&mut ssl.key, "keyfile"),
            _ => continue,
        };
        let Some(v) = n.arg(0) else {
            ctx.error(n.loc, format!("SSL {what} missing"));
            continue;
        };
        if slot.is_some() {
            ctx.error(n.loc, format!("SSL {what} already specified - replacing"));
        }
        *slot = Some(v.to_string());
    }
    Ok(ssl)
}

/// C's `strtoul()` on `s` in `base` (10 or 16, which also takes a `0x` prefix): the
/// value (None when it does not fit 64 bits or is negative, both "too large" for the
/// callers) and the unread rest.
pub fn strtoul(s: &str, base: u32) -> (Option<u64>, &str) {
    let t = s.trim_start_matches(is_ws);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let body = match t.get(..2) {
        Some("0x" | "0X") if base == 16 && t[2..].starts_with(|c: char| c.is_ascii_hexdigit()) => {
            &t[2..]
        }
        _ => t,
    };
    let n = body.chars().take_while(|c| c.is_digit(base)).count();
    if n == 0 {
        return (Some(0), s);
    }
    let mut v: Option<u64> = Some(0);
    for c in body[..n].chars() {
        let d = u64::from(c.to_digit(base).unwrap_or(0));
        v = v.and_then(|v| v.checked_mul(u64::from(base))?.checked_add(d));
    }
    let v = if neg && v != Some(0) { None } else { v };
    (v, &body[n..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_timers_keep_their_leading_number() {
        assert_eq!(leading_micros("5abc"), Some(5));
        assert_eq!(leading_micros("abc"), Some(0));
        assert_eq!(leading_micros("1.5x"), Some(15));
        assert_eq!(leading_micros("12"), None);
        assert_eq!(leading_micros("-1x"), None);
    }

    #[test]
    fn strtoul_like_c() {
        assert_eq!(strtoul("24", 10), (Some(24), ""));
        assert_eq!(strtoul("+8x", 10), (Some(8), "x"));
        assert_eq!(strtoul("", 10), (Some(0), ""));
        assert_eq!(strtoul("0x1f", 16), (Some(31), ""));
        assert_eq!(strtoul("-1", 10).0, None);
        assert_eq!(strtoul("99999999999999999999999", 10).0, None);
    }

    #[test]
    fn hex_strings() {
        let p = hex("01 Xx 2", true).unwrap();
        assert_eq!(p.data, [0x01, 0x00, 0x02]);
        assert_eq!(p.mask, Some(vec![0, 0xff, 0]));
        assert_eq!(hex("0g", false), None);
        assert_eq!(hex("Xa", false), None);
        assert_eq!(hex("abc", false).unwrap().data, [0xab, 0x0c]);
        assert_eq!(hex("  ", false), None);
        assert_eq!(hex("01 ff", false), None);
        assert_eq!(hex("ff01", false).unwrap().data, [0xff, 0x01]);
    }

    #[test]
    fn addresses_stop_at_range_or_mask() {
        assert_eq!(address("10.0.0.1-20"), "10.0.0.1".parse().ok());
        assert_eq!(address("10.0.0.0/24"), "10.0.0.0".parse().ok());
        assert_eq!(address("2001:db8::1-ff"), "2001:db8::1".parse().ok());
        assert_eq!(address("10.0.0"), None);
    }
}
