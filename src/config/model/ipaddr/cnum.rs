//! The C library's number conversions as keepalived uses them on these lines: `strtoul`
//! with base prefixes, `sscanf("%u-%u")`, and `read_unsigned()` in any base.

use crate::config::ctx::Ctx;
use crate::config::diag::{Level, Loc};
use crate::config::text;

/// The result of [`strtoul`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv {
    /// The value, `u64::MAX` on overflow, negated (wrapping) after a `-` sign.
    pub value: u64,
    /// Bytes consumed; 0 when nothing was converted (C leaves `endptr` at the start).
    pub end: usize,
    pub overflow: bool,
}

/// C `strtoul(s, &end, base)` for base 0 (C prefixes `0x` and `0`), 10 or 16.
pub fn strtoul(s: &str, base: u32) -> Conv {
    let b = s.as_bytes();
    let mut i = b
        .iter()
        .take_while(|&&c| text::is_ws(char::from(c)))
        .count();
    let neg = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let hex_prefix = b.get(i) == Some(&b'0')
        && matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
    let radix = match base {
        0 if hex_prefix => 16,
        0 if b.get(i) == Some(&b'0') => 8,
        0 => 10,
        r => r,
    };
    if radix == 16 && hex_prefix {
        i += 2;
    }
    let start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(i).and_then(|&c| char::from(c).to_digit(radix)) {
        match value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return Conv {
            value: 0,
            end: 0,
            overflow: false,
        };
    }
    let value = if overflow {
        u64::MAX
    } else if neg {
        value.wrapping_neg()
    } else {
        value
    };
    Conv {
        value,
        end: i,
        overflow,
    }
}

/// One `%u`-style conversion of `sscanf`: white space, a sign, decimal digits. Returns the
/// value as C stores it in an unsigned 64-bit slot, and the rest of the input.
fn scan_unsigned(s: &str) -> Option<(u64, &str)> {
    let n = strtoul(s, 10);
    (n.end > 0).then(|| (n.value, &s[n.end..]))
}

/// `sscanf(s, "%u-%u")`: how many of the two numbers were read, and their values truncated
/// to the width of the C type (`bits`), as glibc stores them.
pub fn scan_range(s: &str, bits: u32) -> (usize, u64, u64) {
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let Some((a, rest)) = scan_unsigned(s) else {
        return (0, 0, 0);
    };
    let Some(rest) = rest.strip_prefix('-') else {
        return (1, a & mask, 0);
    };
    match scan_unsigned(rest) {
        Some((b, _)) => (2, a & mask, b & mask),
        None => (1, a & mask, 0),
    }
}

/// keepalived's `read_unsigned()` with a C base (0 accepts `0x` and octal), with its messages.
pub fn unsigned(ctx: &mut Ctx, loc: Loc, s: &str, base: u32, min: u32, max: u32) -> Option<u32> {
    let t = s.trim_start_matches(text::is_ws);
    let n = strtoul(t, base);
    let consumed_all = if n.end == 0 {
        t.is_empty()
    } else {
        n.end == t.len()
    };
    let msg = if t.starts_with('-') {
        format!("negative number '{s}'")
    } else if !consumed_all {
        format!("invalid number '{s}'")
    } else if n.overflow || n.value > u64::from(u32::MAX) {
        format!("number '{s}' outside unsigned integer range")
    } else if n.value < u64::from(min) || n.value > u64::from(max) {
        format!("number '{s}' outside range [{min}, {max}]")
    } else {
        return Some(n.value as u32);
    };
    ctx.report(loc, Level::InvalidNumber, msg);
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ctx::tests::ctx_with;

    #[test]
    fn strtoul_like_c() {
        assert_eq!(strtoul("0x1f", 0).value, 31);
        assert_eq!(strtoul("010", 0).value, 8);
        assert_eq!(
            strtoul("0x", 0),
            Conv {
                value: 0,
                end: 1,
                overflow: false
            }
        );
        assert_eq!(
            strtoul("09", 0),
            Conv {
                value: 0,
                end: 1,
                overflow: false
            }
        );
        assert_eq!(
            strtoul(" +7z", 10),
            Conv {
                value: 7,
                end: 3,
                overflow: false
            }
        );
        assert_eq!(strtoul("-1", 10).value, u64::MAX);
        assert_eq!(strtoul("abc", 10).end, 0);
        assert!(strtoul("99999999999999999999", 10).overflow);
    }

    #[test]
    fn scanf_ranges() {
        assert_eq!(scan_range("1000-2000", 32), (2, 1000, 2000));
        assert_eq!(scan_range("80", 16), (1, 80, 0));
        assert_eq!(scan_range("70000-1", 16), (2, 4464, 1));
        assert_eq!(scan_range("1-x", 32), (1, 1, 0));
        assert_eq!(scan_range("x", 32), (0, 0, 0));
        assert_eq!(scan_range("1- 2junk", 32), (2, 1, 2));
    }

    #[test]
    fn read_unsigned_any_base() {
        ctx_with(|c| {
            let l = Loc::default();
            assert_eq!(unsigned(c, l, "0x10", 0, 0, u32::MAX), Some(16));
            assert_eq!(unsigned(c, l, "0x10", 10, 0, u32::MAX), None);
            assert_eq!(unsigned(c, l, "-1", 0, 0, 5), None);
            assert_eq!(unsigned(c, l, "4294967296", 0, 0, u32::MAX), None);
            let msgs: Vec<_> = c.diags().list.iter().map(|d| d.msg.clone()).collect();
            assert_eq!(
                msgs,
                [
                    "invalid number '0x10'",
                    "negative number '-1'",
                    "number '4294967296' outside unsigned integer range"
                ]
            );
        });
    }
}
