//! Number reading quirks of keepalived's VRRP handlers that the shared readers in
//! `config::value` do not cover: values keepalived keeps even after reporting them, and
//! decimals it accepts with trailing junk.

use crate::config::ctx::Ctx;
use crate::config::diag::Loc;
use crate::config::value;

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

/// keepalived's `read_decimal_unsigned()` with its error tolerance: a token with trailing
/// junk is reported as invalid but, when what `strtoull` read of it is within range, the
/// value is still used. Other errors give None, as [`value::decimal`] does.
pub fn decimal_lenient(
    ctx: &mut Ctx,
    loc: Loc,
    s: &str,
    min: u64,
    max: u64,
    places: u32,
) -> Option<u64> {
    if let Some(v) = value::decimal(ctx, loc, s, min, max, places) {
        return Some(v);
    }
    let v = junk_prefix_value(s, places)?;
    (min..=max).contains(&v).then_some(v)
}

/// The value keepalived's decimal reader computes for a token that is not a whole number:
/// the fraction's digits are moved before the zero padding, then the leading digits read.
/// None when the token was rejected for another reason (sign, overflow, no junk).
fn junk_prefix_value(s: &str, places: u32) -> Option<u64> {
    if s.starts_with('-') {
        return None;
    }
    let (int_part, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac: String = frac.chars().take(places as usize).collect();
    let pad = places as usize - frac.chars().count();
    let text = format!("{int_part}{frac}{}", "0".repeat(pad));
    let t = text.trim_start_matches(crate::config::text::is_ws);
    let t = t.strip_prefix('+').unwrap_or(t);
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() == t.len() {
        // A whole number: rejected for its range or overflow, not for junk.
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    digits.parse::<u64>().ok()
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
        });
    }
}
