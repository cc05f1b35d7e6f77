//! Time in integer microseconds. Seconds and centiseconds exist only at the edges
//! (configuration text, wire fields).

use std::fmt;

/// A span of time in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_micros(us: u64) -> Duration {
        Duration(us)
    }

    pub const fn from_secs(s: u64) -> Duration {
        Duration(s.saturating_mul(1_000_000))
    }

    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Whole seconds, truncated.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000
    }
}

/// Decimal seconds, as keepalived's configuration writes them (`1`, `0.5`, `2.000001`).
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, us) = (self.0 / 1_000_000, self.0 % 1_000_000);
        if us == 0 {
            write!(f, "{s}")
        } else {
            let frac = format!("{us:06}");
            write!(f, "{s}.{}", frac.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_decimal_seconds() {
        assert_eq!(Duration::from_secs(3).to_string(), "3");
        assert_eq!(Duration::from_micros(500_000).to_string(), "0.5");
        assert_eq!(Duration::from_micros(2_000_001).to_string(), "2.000001");
    }
}
