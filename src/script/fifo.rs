//! keepalived's notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo`): created when missing
//! (mode 0644, given to the FIFO's user), the reader script started with the FIFO's path as
//! its last argument, then opened read-write and non-blocking, so writing never waits for a
//! reader and never fails for want of one. Each event is one line, written whole with one
//! `write()`; a full FIFO loses the line, as in keepalived.

use std::ffi::CString;
use std::fmt::{self, Write as _};
use std::os::fd::{AsRawFd, OwnedFd};

use super::children::Purpose;
use super::command::{Command, Tail};
use super::os::{self, Errno};
use super::runner::Runner;
use crate::config::model::global::{Global, NotifyFifo};
use crate::time::Instant;

/// The longest event word and priority a line carries, with its fixed characters:
/// `GROUP|INSTANCE "" EVENT PRIO\n`.
const LINE_FIXED: usize = "INSTANCE \"\" MASTER_RX_LOWER_PRI 255\n".len();

struct Fifo {
    path: CString,
    fd: OwnedFd,
    /// We made it, so we remove it when done.
    created: bool,
}

impl Drop for Fifo {
    fn drop(&mut self) {
        // Unlinked first, so a reader that reopens it when it closes cannot find it.
        if self.created {
            // SAFETY: `path` is NUL-terminated.
            unsafe { libc::unlink(self.path.as_ptr()) };
        }
    }
}

/// One FIFO line: `INSTANCE "VI_1" MASTER 100`, `GROUP "VG_1" BACKUP 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    pub group: bool,
    pub name: &'a str,
    /// A state word, or `MASTER_RX_LOWER_PRI`, `MASTER_PRIORITY`, `BACKUP_PRIORITY`.
    pub event: &'static str,
    pub priority: u8,
}

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.group { "GROUP" } else { "INSTANCE" };
        writeln!(
            f,
            "{kind} \"{}\" {} {}",
            self.name, self.event, self.priority
        )
    }
}

/// An LVS line: `VS [192.168.201.15]:tcp:80 UP`, `RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80
/// DOWN` (keepalived also writes its C string's NUL after the newline; we do not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LvsLine<'a> {
    Vs { vs: &'a str, up: bool },
    Rs { rs: &'a str, vs: &'a str, up: bool },
}

impl LvsLine<'_> {
    /// The length of the longest line for these names: `RS rs vs DOWN\n`.
    pub fn max_len(rs: usize, vs: usize) -> usize {
        "RS   DOWN\n".len() + rs + vs
    }
}

impl fmt::Display for LvsLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = |up| if up { "UP" } else { "DOWN" };
        match *self {
            LvsLine::Vs { vs, up } => writeln!(f, "VS {vs} {}", state(up)),
            LvsLine::Rs { rs, vs, up } => writeln!(f, "RS {rs} {vs} {}", state(up)),
        }
    }
}

/// Which lines a FIFO takes: `notify_fifo` both kinds, the others their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Takes {
    All,
    Vrrp,
    Lvs,
}

/// The subsystems that write: the VRRP one (longest instance or group name) and the LVS
/// one (its longest line, [`LvsLine::max_len`]); a FIFO of a subsystem not running is
/// not opened, as in keepalived, whose processes each open their own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Writers {
    pub vrrp: Option<usize>,
    pub lvs: Option<usize>,
}

/// The notify FIFOs the daemon writes to.
#[derive(Default)]
pub struct Fifos {
    open: Vec<(Fifo, Takes)>,
    /// The line being written, sized for the longest name at start-up.
    line: Vec<u8>,
    /// Lines lost: a FIFO full (no reader keeping up), or a line that did not fit.
    dropped: u64,
}

impl Fifos {
    /// keepalived's `notify_fifo_open`: the global FIFO, then the VRRP one and the LVS one
    /// for the subsystems that run. Returns the log lines of what failed.
    pub fn open(
        global: &Global,
        runner: &mut Runner,
        now: Instant,
        w: Writers,
    ) -> (Fifos, Vec<String>) {
        let vrrp_len = w.vrrp.map(|n| n + LINE_FIXED);
        let mut fifos = Fifos {
            open: Vec::with_capacity(3),
            line: Vec::with_capacity(vrrp_len.max(w.lvs).unwrap_or(0)),
            dropped: 0,
        };
        let mut log = Vec::new();
        let any = w.vrrp.is_some() || w.lvs.is_some();
        let specs = [
            ("", &global.notify_fifo, Takes::All, any),
            (
                "vrrp_",
                &global.vrrp_notify_fifo,
                Takes::Vrrp,
                w.vrrp.is_some(),
            ),
            ("lvs_", &global.lvs_notify_fifo, Takes::Lvs, w.lvs.is_some()),
        ];
        for (kind, spec, takes, wanted) in specs {
            if let (Some(spec), true) = (spec, wanted) {
                if let Some(f) = open_one(kind, spec, runner, now, &mut log) {
                    fifos.open.push((f, takes));
                }
            }
        }
        (fifos, log)
    }

    /// Whether any FIFO is open.
    pub fn is_open(&self) -> bool {
        !self.open.is_empty()
    }

    /// Lines lost so far, per FIFO written (a FIFO full because its reader does not keep up,
    /// or a line longer than the buffer sized at start-up).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Writes a VRRP `line` to the FIFOs that take it (see [`Self::write_lvs`]).
    pub fn write(&mut self, line: Line) {
        self.write_to(Takes::Vrrp, line);
    }

    /// Writes an LVS `line` to the FIFOs that take it, never waiting: a FIFO that cannot
    /// take the whole line now loses it, and the loss is counted.
    pub fn write_lvs(&mut self, line: LvsLine) {
        self.write_to(Takes::Lvs, line);
    }

    fn write_to(&mut self, kind: Takes, line: impl fmt::Display) {
        let takes = |t: Takes| t == Takes::All || t == kind;
        let n = self.open.iter().filter(|f| takes(f.1)).count() as u64;
        if n == 0 {
            return;
        }
        self.line.clear();
        let mut w = Bounded(&mut self.line);
        if write!(w, "{line}").is_err() {
            self.dropped += n;
            return;
        }
        for (f, t) in &self.open {
            if takes(*t) && !write_all_now(&f.fd, &self.line) {
                self.dropped += 1;
            }
        }
    }
}

/// One non-blocking `write()` of `buf` (EINTR retried). A line no longer than PIPE_BUF goes
/// in whole or not at all; a longer one may go in part, which counts as lost too.
fn write_all_now(fd: &OwnedFd, buf: &[u8]) -> bool {
    loop {
        // SAFETY: the buffer is valid for reads of its length.
        let n = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
        if n >= 0 {
            return n as usize == buf.len();
        }
        if os::errno() != libc::EINTR {
            return false;
        }
    }
}

/// A `fmt::Write` into a Vec that refuses to grow it.
struct Bounded<'a>(&'a mut Vec<u8>);

impl fmt::Write for Bounded<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.capacity() - self.0.len() < s.len() {
            return Err(fmt::Error);
        }
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn open_one(
    kind: &str,
    spec: &NotifyFifo,
    runner: &mut Runner,
    now: Instant,
    log: &mut Vec<String>,
) -> Option<Fifo> {
    let path = CString::new(spec.path.as_str()).ok()?;
    // SAFETY: `path` is NUL-terminated.
    let made = unsafe { libc::mkfifo(path.as_ptr(), 0o644) } == 0;
    if made {
        chown(&path, spec, log);
    } else if os::errno() != libc::EEXIST {
        log.push(format!("Unable to create {kind}notify fifo {}", spec.path));
        return None;
    }
    if let Some(cmd) = spec
        .script
        .as_ref()
        .and_then(|s| Command::new(s, &[&spec.path]))
    {
        let cmd = runner.register(cmd);
        if let Err(e) = runner.spawn(now, cmd, Tail::None, Purpose::FifoScript) {
            log.push(e.to_string());
        }
    }
    let flags = libc::O_RDWR | libc::O_NONBLOCK | libc::O_NOFOLLOW;
    match os::open(&path, flags) {
        Ok(fd) => Some(Fifo {
            path,
            fd,
            created: made,
        }),
        Err(Errno(e)) => {
            log.push(format!(
                "Unable to open {kind}notify fifo {} - errno {e}",
                spec.path
            ));
            if made {
                // SAFETY: `path` is NUL-terminated.
                unsafe { libc::unlink(path.as_ptr()) };
            }
            None
        }
    }
}

/// Gives a FIFO we made to its user, changing only the ids that differ from ours.
fn chown(path: &CString, spec: &NotifyFifo, log: &mut Vec<String>) {
    let Some(user) = spec.user else {
        return;
    };
    // SAFETY: these identity calls have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    if user.uid == uid && user.gid == gid {
        return;
    }
    let keep = |ours: u32, want: u32| if ours == want { u32::MAX } else { want };
    // SAFETY: `path` is NUL-terminated; -1 leaves an id unchanged.
    let rc = unsafe { libc::chown(path.as_ptr(), keep(uid, user.uid), keep(gid, user.gid)) };
    if rc != 0 {
        log.push(format!("Failed to set uid:gid for fifo {}", spec.path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_keepalived_writes_them() {
        let l = |group, name, event, priority| {
            Line {
                group,
                name,
                event,
                priority,
            }
            .to_string()
        };
        assert_eq!(
            l(false, "VI_1", "MASTER", 100),
            "INSTANCE \"VI_1\" MASTER 100\n"
        );
        assert_eq!(l(true, "VG_1", "BACKUP", 0), "GROUP \"VG_1\" BACKUP 0\n");
        assert_eq!(
            l(false, "VI_1", "MASTER_RX_LOWER_PRI", 255),
            "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 255\n"
        );
        assert_eq!(
            l(false, "VI_1", "MASTER_RX_LOWER_PRI", 255).len(),
            LINE_FIXED + "VI_1".len()
        );
    }

    #[test]
    fn lvs_lines_as_keepalived_writes_them() {
        let vs = "[192.168.201.15]:tcp:80";
        let rs = "[1.2.3.4]:tcp:80";
        assert_eq!(
            LvsLine::Vs { vs, up: true }.to_string(),
            "VS [192.168.201.15]:tcp:80 UP\n"
        );
        let down = LvsLine::Rs { rs, vs, up: false }.to_string();
        assert_eq!(down, "RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN\n");
        assert_eq!(down.len(), LvsLine::max_len(rs.len(), vs.len()));
    }

    #[test]
    fn the_line_buffer_never_grows() {
        let mut buf = Vec::with_capacity(4);
        assert!(write!(Bounded(&mut buf), "abcd").is_ok());
        assert!(write!(Bounded(&mut buf), "e").is_err());
        assert_eq!(buf.capacity(), 4);
    }
}
