//! The daemon's clocks. `now()` is the only reader of CLOCK_MONOTONIC the cores' `Instant`s
//! come from; the loop's ppoll timeout is measured on the same clock, in nanoseconds.

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

/// The time from now until `at`, in nanoseconds (zero once it has passed), for ppoll's
/// timeout: measured against a fresh nanosecond reading, so the wait never ends before `at`.
pub(super) fn until(at: Instant) -> libc::timespec {
    let now_ns = read(libc::CLOCK_MONOTONIC).map_or(0, |ts| {
        let s = u128::try_from(ts.tv_sec).unwrap_or(0);
        let ns = u128::try_from(ts.tv_nsec).unwrap_or(0);
        s * 1_000_000_000 + ns
    });
    let at_ns = u128::from(at.as_micros()) * 1_000;
    let left = at_ns.saturating_sub(now_ns);
    libc::timespec {
        // `as _`: time_t, whose name musl's libc deprecates; far futures saturate.
        tv_sec: (left / 1_000_000_000).min(i64::MAX as u128) as _,
        tv_nsec: (left % 1_000_000_000) as libc::c_long,
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
    fn the_wait_is_what_is_left_until_the_deadline() {
        let past = until(Instant::from_micros(1));
        assert_eq!((past.tv_sec, past.tv_nsec), (0, 0));
        let t = until(now() + crate::time::Duration::from_micros(2_500_000));
        let ns = i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec);
        assert!(ns > 2_400_000_000 && ns <= 2_500_000_000, "{ns}");
    }
}
