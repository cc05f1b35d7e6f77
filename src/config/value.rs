//! Reading values the way keepalived does: numbers (base 10, whole token), decimal timers with
//! up to six places (µs), booleans, and IP addresses, each with keepalived's error texts.
//! Every reader reports through [`Ctx`] at [`Level::InvalidNumber`] and returns None on error.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ctx::Ctx;
use super::diag::{Level, Loc};

/// C `strtol`/`strtoul` base 10 on a whole token: optional leading white space and sign.
/// Returns the value (saturated) and whether the whole token was consumed. An empty token
/// reads as 0, as in C.
fn strto(s: &str) -> (i128, bool, bool) {
    match digits(s.as_bytes()) {
        Some(v) => (i128::from(v), true, false),
        None => strto_bytes(s.bytes()),
    }
}

/// The value of a plain run of 1 to 19 decimal digits (never more than `u64::MAX`): the
/// common case of [`strto`], without its iterator.
fn digits(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    Some(v)
}

/// [`strto`] over bytes, so that a number spread over pieces needs no copy.
fn strto_bytes(bytes: impl Iterator<Item = u8>) -> (i128, bool, bool) {
    let mut it = bytes.peekable();
    if it.peek().is_none() {
        return (0, true, false);
    }
    while it.next_if(|&c| super::text::is_ws(char::from(c))).is_some() {}
    let neg = it.next_if_eq(&b'-').is_some();
    if !neg {
        it.next_if_eq(&b'+');
    }
    let (mut v, mut digits, mut overflow) = (0i128, 0usize, false);
    while let Some(c) = it.next_if(u8::is_ascii_digit) {
        digits += 1;
        v = v * 10 + i128::from(c - b'0');
        if v > u64::MAX as i128 {
            overflow = true;
            v = u64::MAX as i128;
        }
    }
    if digits == 0 {
        // Nothing converted: C leaves endptr at the start of the (non-empty) text.
        return (0, false, false);
    }
    (if neg { -v } else { v }, it.next().is_none(), overflow)
}

/// [`strto_bytes`] over `int_part`, `frac` and zeros up to `places` fractional digits, read
/// as one number as keepalived does; plain digits without an iterator.
fn decimal_digits(int_part: &[u8], frac: &[u8], places: usize) -> (i128, bool, bool) {
    let pad = places.saturating_sub(frac.len());
    let part = |b: &[u8]| if b.is_empty() { Some(0) } else { digits(b) };
    if int_part.len() + frac.len() + pad <= 19 {
        if let (Some(i), Some(f)) = (part(int_part), part(frac)) {
            let v = (i * 10u64.pow(frac.len() as u32) + f) * 10u64.pow(pad as u32);
            return (i128::from(v), true, false);
        }
    }
    let pad = std::iter::repeat(b'0').take(pad);
    strto_bytes(int_part.iter().chain(frac).copied().chain(pad))
}

/// What C `strtol(s, _, 10)` converts, narrowed to `int` as keepalived stores it: the value
/// a handler keeps when it assigns the result of a failed read anyway.
pub fn strtol_as_int(s: &str) -> i32 {
    let t = s.trim_start_matches(super::text::is_ws);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    let v = if neg { v.saturating_neg() } else { v };
    // C's long-to-int conversion keeps the low 32 bits.
    v as i32
}

/// keepalived's `read_int()`.
pub fn int(ctx: &mut Ctx, loc: Loc, s: &str, min: i32, max: i32) -> Option<i32> {
    let (v, whole, overflow) = strto(s);
    if !whole {
        ctx.report(loc, Level::InvalidNumber, format!("invalid number '{s}'"));
    } else if overflow || v < i128::from(i32::MIN) || v > i128::from(i32::MAX) {
        ctx.report(
            loc,
            Level::InvalidNumber,
            format!("number '{s}' outside integer range"),
        );
    } else if v < i128::from(min) || v > i128::from(max) {
        ctx.report(
            loc,
            Level::InvalidNumber,
            format!("number '{s}' outside range [{min}, {max}]"),
        );
    } else {
        return Some(v as i32);
    }
    None
}

/// keepalived's `read_unsigned()`.
pub fn unsigned(ctx: &mut Ctx, loc: Loc, s: &str, min: u32, max: u32) -> Option<u32> {
    unsigned64(
        ctx,
        loc,
        s,
        u64::from(min),
        u64::from(max),
        "unsigned integer",
    )
    .map(|v| v as u32)
}

/// keepalived's `read_unsigned64()`.
pub fn unsigned64(
    ctx: &mut Ctx,
    loc: Loc,
    s: &str,
    min: u64,
    max: u64,
    range_name: &str,
) -> Option<u64> {
    let type_max = if range_name == "unsigned integer" {
        u64::from(u32::MAX)
    } else {
        u64::MAX
    };
    if let Some(v) = digits(s.as_bytes()).filter(|v| (min..=max.min(type_max)).contains(v)) {
        return Some(v);
    }
    let (v, whole, overflow) = strto(s);
    let trimmed = s.trim_start_matches(super::text::is_ws);
    if trimmed.starts_with('-') {
        ctx.report(loc, Level::InvalidNumber, format!("negative number '{s}'"));
    } else if !whole {
        ctx.report(loc, Level::InvalidNumber, format!("invalid number '{s}'"));
    } else if overflow || v as u64 > type_max {
        let what = if range_name == "unsigned integer" {
            "unsigned integer"
        } else {
            "unsigned 64 bit"
        };
        ctx.report(
            loc,
            Level::InvalidNumber,
            format!("number '{s}' outside {what} range"),
        );
    } else if (v as u64) < min || v as u64 > max {
        ctx.report(
            loc,
            Level::InvalidNumber,
            format!("number '{s}' outside range [{min}, {max}]"),
        );
    } else {
        return Some(v as u64);
    }
    None
}

/// keepalived's `read_decimal_unsigned(..., ignore_error = true)`, the form nearly all its
/// handlers use: a non-negative decimal with at most `places` fractional digits, returned as
/// value × 10^places. More places are rounded (with a report). `min`/`max` are in the
/// returned unit. Like keepalived (even under `-t`), a token with trailing junk is reported
/// as invalid but its leading digits are still used when in range: `1x` reads as 1 unit.
pub fn decimal(ctx: &mut Ctx, loc: Loc, s: &str, min: u64, max: u64, places: u32) -> Option<u64> {
    decimal_read(ctx, loc, s, min, max, places, true)
}

/// keepalived's `read_decimal_unsigned(..., ignore_error = false)`: junk rejects the value.
pub fn decimal_strict(
    ctx: &mut Ctx,
    loc: Loc,
    s: &str,
    min: u64,
    max: u64,
    places: u32,
) -> Option<u64> {
    decimal_read(ctx, loc, s, min, max, places, false)
}

fn decimal_read(
    ctx: &mut Ctx,
    loc: Loc,
    s: &str,
    min: u64,
    max: u64,
    places: u32,
    lax: bool,
) -> Option<u64> {
    if s.starts_with('-') {
        ctx.report(loc, Level::InvalidNumber, format!("negative number '{s}'"));
        return None;
    }
    let b = s.as_bytes();
    let (int_part, mut frac) = match b.iter().position(|&c| c == b'.') {
        Some(d) => (&b[..d], &b[d + 1..]),
        None => (b, &b[b.len()..]),
    };
    let places = places as usize;
    let mut round_up = false;
    if frac.len() > places {
        ctx.report(
            loc,
            Level::InvalidNumber,
            format!("number '{s}' has too many decimal places"),
        );
        // C compares a signed char: bytes above 0x7f never round up.
        round_up = frac[places] as i8 >= b'5' as i8;
        frac = &frac[..places];
    }
    let (v, whole, overflow) = decimal_digits(int_part, frac, places);
    let v = v + i128::from(round_up);
    if !whole {
        ctx.report(loc, Level::InvalidNumber, format!("invalid number '{s}'"));
        let in_range = !overflow && v >= i128::from(min) && v <= i128::from(max);
        return (lax && in_range).then_some(v as u64);
    }
    if overflow || v < 0 || v > u64::MAX as i128 {
        ctx.report(
            loc,
            Level::InvalidNumber,
            format!("number '{s}' outside unsigned decimal range"),
        );
        return None;
    }
    let v = v as u64;
    if v < min || v > max {
        // C's "%lu.%*.*lu": with no decimal places the fraction prints as nothing.
        let show = |x: u64| match places {
            0 => format!("{x}."),
            _ => {
                let scale = 10u64.pow(places as u32);
                format!("{}.{:0w$}", x / scale, x % scale, w = places)
            }
        };
        let msg = format!("number '{s}' outside range [{}, {}]", show(min), show(max));
        ctx.report(loc, Level::InvalidNumber, msg);
        return None;
    }
    Some(v)
}

/// Largest timer keepalived accepts (`TIMER_MAXIMUM`, µs).
pub const TIMER_MAX: u64 = u64::MAX - 1;

/// keepalived's `read_timer(..., ignore_error = true)`: decimal seconds to µs, junk after the
/// digits reported but tolerated (see [`decimal`]). `max` 0 means no upper bound.
pub fn timer(ctx: &mut Ctx, loc: Loc, s: &str, min: u64, max: u64) -> Option<u64> {
    decimal(ctx, loc, s, min, if max == 0 { TIMER_MAX } else { max }, 6)
}

/// keepalived's `read_timer(..., ignore_error = false)`.
pub fn timer_strict(ctx: &mut Ctx, loc: Loc, s: &str, min: u64, max: u64) -> Option<u64> {
    decimal_strict(ctx, loc, s, min, if max == 0 { TIMER_MAX } else { max }, 6)
}

/// keepalived's `check_true_false()`: exactly `true|on|yes` or `false|off|no`.
pub fn true_false(s: &str) -> Option<bool> {
    match s {
        "true" | "on" | "yes" => Some(true),
        "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// `inet_pton` of either family, chosen as keepalived does: a `:` means IPv6.
pub fn ip(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        s.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        ipv4(s).map(IpAddr::V4)
    }
}

/// `s.parse::<Ipv4Addr>()`, with the usual dotted quad read directly: four groups of one
/// to three digits, no leading zero, each at most 255 (exactly what std accepts).
pub fn ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let (mut at, mut v, mut len) = (0, 0u32, 0);
    for &c in s.as_bytes() {
        if c == b'.' && len > 0 && at < 3 && v <= 255 {
            octets[at] = v as u8;
            (at, v, len) = (at + 1, 0, 0);
        } else if c.is_ascii_digit() && !(len == 1 && v == 0) && len < 3 {
            v = v * 10 + u32::from(c - b'0');
            len += 1;
        } else {
            return s.parse().ok();
        }
    }
    if at < 3 || len == 0 || v > 255 {
        return s.parse().ok();
    }
    octets[3] = v as u8;
    Some(Ipv4Addr::from(octets))
}

/// keepalived's `inet_stosockaddr()` address part: the text before any `-range` or `/mask`.
pub fn ip_prefix_stripped(s: &str) -> Option<IpAddr> {
    let end = s.find(['-', '/']).unwrap_or(s.len());
    ip(&s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ctx::tests::ctx_with;

    #[test]
    fn integers_like_strtol() {
        ctx_with(|c| {
            let l = Loc::default();
            assert_eq!(int(c, l, "100", 1, 255), Some(100));
            assert_eq!(int(c, l, " +7", 1, 255), Some(7));
            assert_eq!(int(c, l, "-3", -5, 5), Some(-3));
            assert_eq!(int(c, l, "", -5, 5), Some(0));
            assert_eq!(int(c, l, "12abc", 1, 255), None);
            assert_eq!(int(c, l, "300", 1, 255), None);
            assert_eq!(int(c, l, "99999999999", 1, 255), None);
            assert_eq!(unsigned(c, l, "-1", 0, 10), None);
            assert_eq!(unsigned(c, l, "4294967295", 0, u32::MAX), Some(u32::MAX));
            assert_eq!(unsigned(c, l, "4294967296", 0, u32::MAX), None);
            let msgs: Vec<_> = c.diags().list.iter().map(|d| d.msg.clone()).collect();
            assert_eq!(
                msgs,
                [
                    "invalid number '12abc'",
                    "number '300' outside range [1, 255]",
                    "number '99999999999' outside integer range",
                    "negative number '-1'",
                    "number '4294967296' outside unsigned integer range",
                ]
            );
        });
    }

    #[test]
    fn timers_in_microseconds() {
        ctx_with(|c| {
            let l = Loc::default();
            assert_eq!(timer(c, l, "1", 0, 0), Some(1_000_000));
            assert_eq!(timer(c, l, "0.5", 0, 0), Some(500_000));
            assert_eq!(timer(c, l, "2.0000005", 0, 0), Some(2_000_001));
            assert_eq!(timer(c, l, "-1", 0, 0), None);
            assert_eq!(timer(c, l, "abc", 0, 0), Some(0));
            assert_eq!(timer(c, l, "1x", 0, 0), Some(1));
            assert_eq!(timer_strict(c, l, "1x", 0, 0), None);
            assert_eq!(timer(c, l, "0", 1, 0), None);
            assert_eq!(decimal(c, l, "40.96", 1, 4095, 2), None);
            assert_eq!(decimal(c, l, "1000000", 0, 960000, 0), None);
            // Byte counts, not characters: no panic on multi-byte text; the junk is
            // reported and the leading digit kept, as keepalived does.
            assert_eq!(timer(c, l, "1.aéééé", 0, 0), Some(1));
            let msgs: Vec<_> = c.diags().list.iter().map(|d| d.msg.clone()).collect();
            assert_eq!(msgs[0], "number '2.0000005' has too many decimal places");
            assert_eq!(msgs[2], "invalid number 'abc'");
            assert_eq!(msgs[3], "invalid number '1x'");
            assert_eq!(
                msgs[5],
                "number '0' outside range [0.000001, 18446744073709.551614]"
            );
            assert_eq!(msgs[6], "number '40.96' outside range [0.01, 40.95]");
            assert_eq!(msgs[7], "number '1000000' outside range [0., 960000.]");
        });
    }

    #[test]
    fn strtol_keeps_the_leading_number() {
        assert_eq!(strtol_as_int("300"), 300);
        assert_eq!(strtol_as_int("12abc"), 12);
        assert_eq!(strtol_as_int("abc"), 0);
        assert_eq!(strtol_as_int(" -7"), -7);
        assert_eq!(strtol_as_int("4294967297"), 1);
    }

    #[test]
    fn fast_readers_agree_with_the_general_ones() {
        let words = [
            "0",
            "7",
            "255",
            "256",
            "01",
            "5",
            "12345678901234567890",
            "9999999999999",
            "99999999999999",
            "+3",
            " 3",
            "3 ",
            "",
            "1e3",
            "00",
            "1.2.3.4",
            "10.0.0.1",
            "255.255.255.255",
            "256.0.0.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            "0.0.0.0",
            "1.2.3.04",
            "1.2.3.4 ",
            "\u{661}.2.3.4",
        ];
        for w in words {
            assert_eq!(strto(w), strto_bytes(w.bytes()), "{w:?}");
            assert_eq!(ipv4(w), w.parse::<Ipv4Addr>().ok(), "{w:?}");
            for frac in ["", "5", "123456", "x"] {
                for places in [0, 2, 6] {
                    let f = &frac.as_bytes()[..frac.len().min(places)];
                    let pad = std::iter::repeat(b'0').take(places - f.len());
                    let general = strto_bytes(w.bytes().chain(f.iter().copied()).chain(pad));
                    assert_eq!(decimal_digits(w.as_bytes(), f, places), general, "{w:?}");
                }
            }
        }
    }

    #[test]
    fn booleans_and_addresses() {
        assert_eq!(true_false("on"), Some(true));
        assert_eq!(true_false("No"), None);
        assert_eq!(ip("10.0.0.1"), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(ip("fe80::1"), Some("fe80::1".parse().unwrap()));
        assert_eq!(ip("10.0.0"), None);
        assert_eq!(ip_prefix_stripped("10.0.0.1/24"), ip("10.0.0.1"));
        assert_eq!(ip_prefix_stripped("10.0.0.1-10"), ip("10.0.0.1"));
    }
}
