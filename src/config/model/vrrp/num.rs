//! Number reading quirks of keepalived's VRRP handlers that the shared readers in
//! `config::value` do not cover: values keepalived keeps even after reporting them, and
//! decimals it accepts with trailing junk.

use crate::config::ctx::Ctx;
use crate::config::diag::Level;
use crate::config::diag::Loc;

/// What C `strtol(s, _, 10)` converts, narrowed to `int` as keepalived stores it: the value
/// a handler keeps when it assigns the result of a failed read anyway.
pub fn strtol_as_int(s: &str) -> i32 {
    let t = s.trim_start_matches(crate::config::text::is_ws);
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

/// keepalived's `read_decimal_unsigned()` (at most `places` decimals, result × 10^places),
/// with its messages and its tolerance: a token with trailing junk is reported as invalid
/// but, when what `strtoull` read of it is within `min..=max`, that value is still used.
/// Works on bytes, as keepalived does, so any input is safe.
pub fn decimal_lenient(
    ctx: &mut Ctx,
    loc: Loc,
    s: &str,
    min: u64,
    max: u64,
    places: u32,
) -> Option<u64> {
    if s.starts_with('-') {
        ctx.report(loc, Level::InvalidNumber, format!("negative number '{s}'"));
        return None;
    }
    let b = s.as_bytes();
    let places = places as usize;
    let (int_part, mut frac) = match b.iter().position(|&c| c == b'.') {
        Some(dp) => (&b[..dp], &b[dp + 1..]),
        None => (b, &b[..0]),
    };
    let mut round_up = false;
    if frac.len() > places {
        let msg = format!("number '{s}' has too many decimal places");
        ctx.report(loc, Level::InvalidNumber, msg);
        round_up = frac[places] >= b'5';
        frac = &frac[..places];
    }
    let mut text = int_part.to_vec();
    text.extend_from_slice(frac);
    text.resize(text.len() + places - frac.len(), b'0');
    let (value, whole, overflow) = strtoull(&text);
    let value = value.saturating_add(u64::from(round_up));
    let in_range = (min..=max).contains(&value);
    if !whole {
        ctx.report(loc, Level::InvalidNumber, format!("invalid number '{s}'"));
        return in_range.then_some(value);
    }
    if overflow {
        let msg = format!("number '{s}' outside unsigned decimal range");
        ctx.report(loc, Level::InvalidNumber, msg);
        return None;
    }
    if !in_range {
        let scale = 10u64.pow(places as u32);
        let msg = format!(
            "number '{s}' outside range [{}.{:0places$}, {}.{:0places$}]",
            min / scale,
            min % scale,
            max / scale,
            max % scale
        );
        ctx.report(loc, Level::InvalidNumber, msg);
        return None;
    }
    Some(value)
}

/// C `strtoull(_, _, 10)`: (value read, whole token read, overflowed).
fn strtoull(b: &[u8]) -> (u64, bool, bool) {
    let mut i = b
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .count();
    if b.get(i) == Some(&b'+') {
        i += 1;
    }
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return (0, b.is_empty(), false);
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    for &c in &b[i..i + digits] {
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(c - b'0')))
        {
            Some(x) => v = x,
            None => {
                overflow = true;
                v = u64::MAX;
            }
        }
    }
    (v, i + digits == b.len(), overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ctx::tests::ctx_with;

    #[test]
    fn strtol_keeps_the_leading_number() {
        assert_eq!(strtol_as_int("300"), 300);
        assert_eq!(strtol_as_int("12abc"), 12);
        assert_eq!(strtol_as_int("abc"), 0);
        assert_eq!(strtol_as_int(" -7"), -7);
        assert_eq!(strtol_as_int("4294967297"), 1);
    }

    #[test]
    fn decimal_with_junk_keeps_what_was_read() {
        ctx_with(|c| {
            let l = Loc::default();
            assert_eq!(decimal_lenient(c, l, "5x", 0, 1_000_000_000, 6), Some(5));
            assert_eq!(
                decimal_lenient(c, l, "2", 0, 1_000_000_000, 6),
                Some(2_000_000)
            );
            assert_eq!(decimal_lenient(c, l, "5x", 10_000, 1_000_000_000, 6), None);
            assert_eq!(decimal_lenient(c, l, "-1", 0, 10, 6), None);
            assert_eq!(decimal_lenient(c, l, "2000", 0, 1_000_000_000, 6), None);
            let odd = "1.a\u{e9}\u{e9}\u{e9}";
            // Rounded up by the byte after the sixth, then read up to the junk.
            assert_eq!(decimal_lenient(c, l, odd, 0, 10, 6), Some(2));
            assert_eq!(
                decimal_lenient(c, l, "2.0000005", 0, 1 << 40, 6),
                Some(2_000_001)
            );
            let msgs: Vec<&str> = c.diags().list.iter().map(|d| d.msg.as_str()).collect();
            assert_eq!(
                msgs,
                [
                    "invalid number '5x'",
                    "invalid number '5x'",
                    "negative number '-1'",
                    "number '2000' outside range [0.000000, 1000.000000]",
                    &format!("number '{odd}' has too many decimal places"),
                    &format!("invalid number '{odd}'"),
                    "number '2.0000005' has too many decimal places",
                ]
            );
        });
    }
}
