//! Skew_Time and Master_Down_Interval exactly as keepalived computes them, and the small
//! deadline table each instance keeps (deadlines, not callbacks: `poll_at` is its minimum).

use crate::config::model::vrrp::Version;
use crate::time::{Duration, Instant};

/// keepalived's `VRRP_TIMER_SKEW_CALC`: `steps` is `256 - priority` for Skew_Time and 1 for
/// the smallest skew. VRRPv2 ignores the advert interval (RFC 3768: the skew is a fraction
/// of a second); VRRPv3 scales by the master's interval in whole centiseconds, × 625/16 µs
/// (= 10,000 µs / 256), truncating like keepalived's integer arithmetic.
pub fn skew(version: Version, steps: u64, master_adver_int: Duration) -> Duration {
    match version {
        Version::V2 => Duration::from_micros(steps * 1_000_000 / 256),
        Version::V3 => {
            let centis = master_adver_int.as_micros() / 10_000;
            Duration::from_micros(steps * centis * 625 / 16)
        }
    }
}

/// Skew_Time for an effective priority.
pub fn skew_time(version: Version, priority: u8, master_adver_int: Duration) -> Duration {
    skew(version, 256 - u64::from(priority), master_adver_int)
}

/// Master_Down_Interval = down_timer_adverts × Master_Adver_Interval + Skew_Time.
pub fn master_down_interval(
    version: Version,
    priority: u8,
    master_adver_int: Duration,
    down_timer_adverts: u32,
) -> Duration {
    master_adver_int * u64::from(down_timer_adverts)
        + skew_time(version, priority, master_adver_int)
}

/// The deadlines of one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// MASTER: the next advertisement.
    Advert,
    /// BACKUP: Master_Down_Timer.
    MasterDown,
    /// MASTER: the second gratuitous ARP burst, `garp_master_delay` after taking over.
    GarpDelay,
    /// MASTER: the second burst after a lower-priority advert (`garp_lower_prio_delay`).
    LowerPrioGarp,
}

const KINDS: [Timer; 4] = [
    Timer::Advert,
    Timer::MasterDown,
    Timer::GarpDelay,
    Timer::LowerPrioGarp,
];

/// One deadline per [`Timer`] kind, unset when not armed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timers([Option<Instant>; KINDS.len()]);

impl Timers {
    pub fn set(&mut self, t: Timer, at: Instant) {
        self.0[t as usize] = Some(at);
    }

    pub fn clear(&mut self, t: Timer) {
        self.0[t as usize] = None;
    }

    pub fn get(&self, t: Timer) -> Option<Instant> {
        self.0[t as usize]
    }

    /// The earliest armed deadline and its kind.
    pub fn next(&self) -> Option<(Instant, Timer)> {
        KINDS
            .iter()
            .filter_map(|&k| self.get(k).map(|at| (at, k)))
            .min_by_key(|&(at, _)| at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_skew_is_a_fraction_of_one_second_whatever_the_interval() {
        // (256 - 150) / 256 s = 414,062.5 µs, truncated as keepalived does.
        let one = Duration::from_secs(1);
        assert_eq!(skew_time(Version::V2, 150, one).as_micros(), 414_062);
        let five = Duration::from_secs(5);
        assert_eq!(skew_time(Version::V2, 150, five).as_micros(), 414_062);
        assert_eq!(
            master_down_interval(Version::V2, 150, one, 3).as_micros(),
            3_414_062
        );
        assert_eq!(
            master_down_interval(Version::V2, 150, five, 3).as_micros(),
            15_414_062
        );
        assert_eq!(skew_time(Version::V2, 255, one).as_micros(), 3_906);
    }

    #[test]
    fn v3_skew_scales_with_the_masters_interval_in_centiseconds() {
        // 156 × 100 cs × 625 / 16 = 609,375 µs.
        let one = Duration::from_secs(1);
        assert_eq!(skew_time(Version::V3, 100, one).as_micros(), 609_375);
        // 0.5 s: 156 × 50 × 625 / 16 = 304,687.5 → 304,687.
        let half = Duration::from_micros(500_000);
        assert_eq!(skew_time(Version::V3, 100, half).as_micros(), 304_687);
        assert_eq!(
            master_down_interval(Version::V3, 100, half, 3).as_micros(),
            1_804_687
        );
        // The smallest skew at 1 s: 1 × 100 × 625 / 16 = 3,906.25 → 3,906.
        assert_eq!(skew(Version::V3, 1, one).as_micros(), 3_906);
    }

    #[test]
    fn timers_report_the_earliest_deadline() {
        let mut t = Timers::default();
        assert_eq!(t.next(), None);
        t.set(Timer::GarpDelay, Instant::from_micros(50));
        t.set(Timer::Advert, Instant::from_micros(20));
        assert_eq!(t.next(), Some((Instant::from_micros(20), Timer::Advert)));
        t.clear(Timer::Advert);
        assert_eq!(t.next(), Some((Instant::from_micros(50), Timer::GarpDelay)));
        assert_eq!(t.get(Timer::Advert), None);
    }
}
