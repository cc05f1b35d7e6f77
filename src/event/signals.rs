//! The signals keepalived acts on, blocked and read from a signalfd so that they arrive as
//! readiness in the poll loop, never as asynchronous handlers.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::fd::{cvt, read_retry};

/// keepalived's JSON dump signal: SIGRTMIN+2 as glibc numbers it (36). Fixed, not computed
/// from `SIGRTMIN()`: musl reserves one more real-time signal than glibc, so its SIGRTMIN+2
/// is 37, and scripts written for keepalived send 36.
pub const SIGJSON: i32 = 36;
/// keepalived's STATS_CLEAR: SIGRTMAX-1 (63 on Linux with either libc).
pub const SIGSTATS_CLEAR: i32 = 63;

/// A signal the daemon handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP: reload the configuration.
    Reload,
    /// SIGTERM.
    Term,
    /// SIGINT (stops like SIGTERM).
    Int,
    /// SIGUSR1: write keepalived.data.
    Data,
    /// SIGUSR2: write keepalived.stats.
    Stats,
    /// SIGRTMAX-1: write keepalived.stats, then zero the counters.
    StatsClear,
    /// SIGRTMIN+2: write keepalived.json.
    Json,
    /// SIGCHLD: some child changed state (reap with waitpid until none is left).
    Child,
}

/// In the order `Signals::iter` reports them.
const ALL: [(Signal, i32); 8] = [
    (Signal::Term, libc::SIGTERM),
    (Signal::Int, libc::SIGINT),
    (Signal::Reload, libc::SIGHUP),
    (Signal::Data, libc::SIGUSR1),
    (Signal::Stats, libc::SIGUSR2),
    (Signal::StatsClear, SIGSTATS_CLEAR),
    (Signal::Json, SIGJSON),
    (Signal::Child, libc::SIGCHLD),
];

impl Signal {
    pub fn number(self) -> i32 {
        ALL.iter().find(|(s, _)| *s == self).map_or(0, |(_, n)| *n)
    }

    fn from_number(n: i32) -> Option<Signal> {
        ALL.iter().find(|(_, k)| *k == n).map(|(s, _)| *s)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of signals: several arrivals of one signal between two waits count once, as the
/// kernel coalesces them too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals(u8);

impl Signals {
    pub fn contains(self, s: Signal) -> bool {
        self.0 & s.bit() != 0
    }

    pub fn insert(&mut self, s: Signal) {
        self.0 |= s.bit();
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The signals present, in a fixed order (stop first, then reload, dumps, children).
    pub fn iter(self) -> impl Iterator<Item = Signal> {
        ALL.into_iter()
            .map(|(s, _)| s)
            .filter(move |s| self.contains(*s))
    }
}

fn sigset() -> io::Result<libc::sigset_t> {
    // SAFETY: sigemptyset initialises the set it is given; a zeroed sigset_t is valid storage.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is valid, and every number in ALL is a valid signal.
    unsafe {
        libc::sigemptyset(&mut set);
        for (_, n) in ALL {
            if libc::sigaddset(&mut set, n) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(set)
}

/// The signalfd, with the signals blocked in the calling thread (the daemon has one thread;
/// created before any other, children inherit the mask: `script/` unblocks before exec).
#[derive(Debug)]
pub(super) struct SignalFd {
    fd: OwnedFd,
}

impl SignalFd {
    pub(super) fn new() -> io::Result<SignalFd> {
        let set = sigset()?;
        // SAFETY: `set` is a valid sigset; the old mask is not wanted.
        let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
        // SAFETY: -1 asks for a new fd; `set` is valid.
        let fd = cvt(unsafe { libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) })?;
        // SAFETY: signalfd returned a new fd that nothing else owns.
        Ok(SignalFd {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    pub(super) fn raw(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Reads every pending signal (to EAGAIN) into `into`.
    pub(super) fn drain(&self, into: &mut Signals) -> io::Result<()> {
        const N: usize = 8;
        const SZ: usize = std::mem::size_of::<libc::signalfd_siginfo>();
        let mut buf = [0u8; N * SZ];
        loop {
            let n = match read_retry(self.raw(), &mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            };
            for k in 0..n / SZ {
                // ssi_signo is the first u32 of each siginfo record.
                let at = k * SZ;
                let no = u32::from_ne_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
                if let Some(s) = i32::try_from(no).ok().and_then(Signal::from_number) {
                    into.insert(s);
                }
            }
            if n < buf.len() {
                return Ok(());
            }
        }
    }
}

/// Unblocks the daemon's signals in the calling process: for a child between fork and exec
/// (scripts must not start with SIGTERM blocked).
pub fn unblock_all() -> io::Result<()> {
    let set = sigset()?;
    // SAFETY: `set` is a valid sigset.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_keepalived_s() {
        assert_eq!(Signal::Json.number(), 36);
        assert_eq!(Signal::StatsClear.number(), libc::SIGRTMAX() - 1);
        assert_eq!(Signal::from_number(libc::SIGUSR2), Some(Signal::Stats));
        assert_eq!(Signal::from_number(libc::SIGPIPE), None);
    }

    #[test]
    fn sets_hold_each_signal_once() {
        let mut s = Signals::default();
        assert!(s.is_empty());
        s.insert(Signal::Child);
        s.insert(Signal::Reload);
        s.insert(Signal::Term);
        s.insert(Signal::Child);
        assert!(s.contains(Signal::Term) && !s.contains(Signal::Int));
        // Stop before reload, reload before reaping.
        let order = [Signal::Term, Signal::Reload, Signal::Child];
        assert_eq!(s.iter().collect::<Vec<_>>(), order);
    }
}
