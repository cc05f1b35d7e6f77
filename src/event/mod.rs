//! The daemon's one poll loop: `ppoll` over a fixed set of file descriptors, a signalfd for
//! the signals keepalived handles, and the earliest deadline of the cores as ppoll's timeout.
//!
//! ```text
//!  runtime ── register(fd, Token) ──▶ Loop ── wait(poll_at) ──▶ Ready { now, signals,
//!                                      │                              deadline_passed,
//!                                      └ signalfd, fds                events(): Token, readiness }
//! ```
//!
//! One `wait` is one iteration: it blocks in `ppoll` until an fd is ready, a signal comes or
//! the deadline passes (a nanosecond timeout measured just before, with the thread's timer
//! slack set to 1 ns: no millisecond rounding, no 50 µs slack, and no timerfd to re-arm and
//! read on every wake-up), EINTR retried; drains the signalfd, reads the clock once and
//! reports. Nothing allocates after `Loop::new`: the fd table is sized there. The caller
//! drains each readable fd to EAGAIN; the loop only says which ones are ready.

mod clock;
mod fd;
mod signals;

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

pub use clock::{now, wall, wall_of};
pub use signals::{unblock_all, Signal, Signals, SIGJSON, SIGSTATS_CLEAR};

use crate::limits;
use crate::time::Instant;
use signals::SignalFd;

/// The caller's name for a registered fd (the runtime encodes what it is and its index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token(pub u32);

/// What to wait for on an fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interest(libc::c_short);

impl Interest {
    pub const READABLE: Interest = Interest(libc::POLLIN);
    pub const WRITABLE: Interest = Interest(libc::POLLOUT);
    pub const BOTH: Interest = Interest(libc::POLLIN | libc::POLLOUT);
}

/// One ready fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub token: Token,
    revents: libc::c_short,
}

impl Event {
    pub fn readable(&self) -> bool {
        self.revents & libc::POLLIN != 0
    }
    pub fn writable(&self) -> bool {
        self.revents & libc::POLLOUT != 0
    }
    /// POLLERR, POLLHUP or POLLNVAL: read it to learn the error, or close it.
    pub fn error(&self) -> bool {
        self.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
    }
}

/// What one `wait` found.
pub struct Ready<'a> {
    /// CLOCK_MONOTONIC when `wait` returned: hand it to the cores.
    pub now: Instant,
    pub signals: Signals,
    /// The deadline given to `wait` is at or before `now`.
    pub deadline_passed: bool,
    fds: &'a [libc::pollfd],
    tokens: &'a [Token],
}

impl Ready<'_> {
    /// The registered fds with something to report, in registration order (after removals,
    /// in table order).
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.fds
            .iter()
            .zip(self.tokens)
            .filter(|(p, _)| p.revents != 0)
            .map(|(p, t)| Event {
                token: *t,
                revents: p.revents,
            })
    }
}

/// The fd table is full (its size was fixed at start-up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "poll loop fd table full (MAX_LOOP_FDS)")
    }
}

/// Slot 0 of the pollfd table is the signalfd.
const OWN: usize = 1;

#[derive(Debug)]
pub struct Loop {
    signals: SignalFd,
    /// Own fds first, then the registered ones; never grows past its capacity.
    pollfds: Vec<libc::pollfd>,
    tokens: Vec<Token>,
}

fn pollfd(fd: i32, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

impl Loop {
    /// Blocks the daemon's signals in the calling thread, opens the signalfd and
    /// sizes the table for `capacity` registered fds (at most `limits::MAX_LOOP_FDS`).
    pub fn new(capacity: usize) -> io::Result<Loop> {
        if capacity > limits::MAX_LOOP_FDS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "more fds than MAX_LOOP_FDS",
            ));
        }
        let signals = SignalFd::new()?;
        // ppoll's timeout is an hrtimer: without this the kernel may add the default 50 µs
        // of slack to every deadline. SAFETY: prctl with integer arguments only.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
        let mut pollfds = Vec::with_capacity(OWN + capacity);
        pollfds.push(pollfd(signals.raw(), libc::POLLIN));
        Ok(Loop {
            signals,
            pollfds,
            tokens: Vec::with_capacity(capacity),
        })
    }

    /// Watches `fd` (which the caller owns, keeps open and sets nonblocking) as `token`.
    pub fn register(
        &mut self,
        fd: BorrowedFd<'_>,
        token: Token,
        interest: Interest,
    ) -> Result<(), Full> {
        if self.tokens.len() == self.tokens.capacity() {
            return Err(Full);
        }
        debug_assert!(!self.tokens.contains(&token), "token registered twice");
        self.pollfds.push(pollfd(fd.as_raw_fd(), interest.0));
        self.tokens.push(token);
        Ok(())
    }

    /// Changes what `token` waits for (a send queue backed up: add WRITABLE until drained).
    pub fn set_interest(&mut self, token: Token, interest: Interest) -> bool {
        match self.tokens.iter().position(|t| *t == token) {
            Some(k) => {
                self.pollfds[OWN + k].events = interest.0;
                true
            }
            None => false,
        }
    }

    /// Stops watching `token` (before its fd is closed).
    pub fn deregister(&mut self, token: Token) -> bool {
        match self.tokens.iter().position(|t| *t == token) {
            Some(k) => {
                self.tokens.swap_remove(k);
                self.pollfds.swap_remove(OWN + k);
                true
            }
            None => false,
        }
    }

    /// Blocks until a registered fd is ready, a signal arrives or `deadline` (absolute,
    /// CLOCK_MONOTONIC) passes.
    pub fn wait(&mut self, deadline: Option<Instant>) -> io::Result<Ready<'_>> {
        for p in &mut self.pollfds {
            p.revents = 0;
        }
        loop {
            // Measured again after an EINTR: the timeout is what is left.
            let timeout = deadline.map(clock::until);
            let timeout_ptr = timeout
                .as_ref()
                .map_or(std::ptr::null(), |t| t as *const libc::timespec);
            // SAFETY: the pointer and length describe the initialised pollfd table; the
            // timeout is null (block) or a live timespec; a null mask keeps ours.
            let r = unsafe {
                libc::ppoll(
                    self.pollfds.as_mut_ptr(),
                    self.pollfds.len() as libc::nfds_t,
                    timeout_ptr,
                    std::ptr::null(),
                )
            };
            if r >= 0 {
                break;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        let mut signals = Signals::default();
        if self.pollfds[0].revents != 0 {
            self.signals.drain(&mut signals)?;
        }
        let now = now();
        Ok(Ready {
            now,
            signals,
            deadline_passed: deadline.is_some_and(|d| d <= now),
            fds: &self.pollfds[OWN..],
            tokens: &self.tokens,
        })
    }
}
