//! The loop's deadline: one timerfd on CLOCK_MONOTONIC, armed at an absolute instant with
//! nanosecond resolution (a millisecond poll timeout would add up to 1 ms to every failover).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::clock::timespec;
use super::fd::{cvt, read_retry};
use crate::time::Instant;

#[derive(Debug)]
pub(super) struct TimerFd {
    fd: OwnedFd,
    /// The deadline the kernel holds (None: disarmed or already fired and read).
    armed: Option<Instant>,
}

impl TimerFd {
    pub(super) fn new() -> io::Result<TimerFd> {
        // SAFETY: plain syscall with constant flags.
        let fd = cvt(unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        })?;
        Ok(TimerFd {
            // SAFETY: timerfd_create returned a new fd that nothing else owns.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            armed: None,
        })
    }

    pub(super) fn raw(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Arms the timer at `at` (None disarms); a syscall only when the deadline changed.
    pub(super) fn arm(&mut self, at: Option<Instant>) -> io::Result<()> {
        if self.armed == at {
            return Ok(());
        }
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let spec = libc::itimerspec {
            it_interval: zero,
            it_value: at.map_or(zero, timespec),
        };
        // SAFETY: `spec` is a valid itimerspec; the old value is not wanted.
        cvt(unsafe {
            libc::timerfd_settime(
                self.raw(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        })?;
        self.armed = at;
        Ok(())
    }

    /// Consumes an expiry (the fd was readable): the kernel's timer is now disarmed.
    pub(super) fn clear(&mut self) -> io::Result<()> {
        let mut n = [0u8; 8];
        match read_retry(self.raw(), &mut n) {
            Ok(_) => {
                self.armed = None;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }
}
