//! The daemon's clocks. `now()` is the only reader of CLOCK_MONOTONIC: every `time::Instant`
//! the cores see comes from here, and the loop's timerfd runs on the same clock, so an
//! `Instant` is also an absolute timerfd deadline.

use std::io;

use crate::time::Instant;

/// CLOCK_MONOTONIC now, in microseconds.
pub fn now() -> Instant {
    Instant::from_micros(read(libc::CLOCK_MONOTONIC).map_or(0, micros))
}

/// CLOCK_REALTIME now, as seconds and microseconds since the epoch (for status files and log
/// time stamps, never for deadlines).
pub fn wall() -> (i64, u32) {
    read(libc::CLOCK_REALTIME).map_or((0, 0), |ts| {
        (ts.tv_sec, u32::try_from(ts.tv_nsec / 1_000).unwrap_or(0))
    })
}

/// The wall-clock time of `at`, a monotonic instant (past or future), from one reading of
/// both clocks now: what keepalived prints for its timers.
pub fn wall_of(at: Instant) -> (i64, u32) {
    let mono = now().as_micros() as i128;
    let (s, us) = wall();
    let wall_us = i128::from(s) * 1_000_000 + i128::from(us);
    let t = wall_us + (at.as_micros() as i128 - mono);
    let secs = t.div_euclid(1_000_000);
    (
        i64::try_from(secs).unwrap_or(0),
        u32::try_from(t.rem_euclid(1_000_000)).unwrap_or(0),
    )
}

fn micros(ts: libc::timespec) -> u64 {
    let s = u64::try_from(ts.tv_sec).unwrap_or(0);
    let ns = u64::try_from(ts.tv_nsec).unwrap_or(0);
    s.saturating_mul(1_000_000).saturating_add(ns / 1_000)
}

fn read(clock: libc::clockid_t) -> io::Result<libc::timespec> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    if unsafe { libc::clock_gettime(clock, &mut ts) } == 0 {
        Ok(ts)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The absolute CLOCK_MONOTONIC time of `at`, for timerfd_settime. Zero would disarm the
/// timer, so the earliest instant is 1 µs.
pub(super) fn timespec(at: Instant) -> libc::timespec {
    let us = at.as_micros().max(1);
    libc::timespec {
        tv_sec: libc::time_t::try_from(us / 1_000_000).unwrap_or(libc::time_t::MAX),
        tv_nsec: ((us % 1_000_000) * 1_000) as libc::c_long,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_never_goes_back_and_wall_of_now_is_now() {
        let a = now();
        let b = now();
        assert!(b >= a && a.as_micros() > 0);
        let (s, _) = wall_of(now());
        let (w, _) = wall();
        assert!((w - s).abs() <= 1);
        let (later, _) = wall_of(now() + crate::time::Duration::from_secs(10));
        assert!((later - w - 10).abs() <= 1);
    }

    #[test]
    fn deadlines_convert_to_absolute_timespecs() {
        let ts = timespec(Instant::from_micros(2_500_001));
        assert_eq!((ts.tv_sec, ts.tv_nsec), (2, 500_001_000));
        assert_eq!(timespec(Instant::from_micros(0)).tv_nsec, 1_000);
    }
}
