//! Tracked processes (`vrrp_track_process`) as keepalived counts them (`track_process.c`):
//! the kernel's proc connector (netlink, `CN_IDX_PROC`) reports forks, execs, name changes
//! and exits; a scan of `/proc` at start-up (after subscribing, so nothing is missed) and
//! after lost events gives the starting counts.
//!
//! Matching: without `full_command` the process name (`comm`, at most 15 bytes) must equal
//! the configured name exactly; with it (implied by parameters or `param_match`), argv[0]
//! of `/proc/PID/cmdline` must, and the parameters are compared as keepalived's
//! `check_params` does, on the NUL-separated bytes after argv[0]: `exact` the same
//! parameters, `partial` the configured parameters as the first whole ones, `initial` the
//! configured bytes as a prefix (the last word may be cut). Zombies are not counted; a
//! forked child of a counted process is counted at once (its name is its parent's);
//! threads are not processes.
//!
//! A process is up while `quorum <= count <= quorum_max`. Gaining that waits `fork_delay`,
//! losing it `terminate_delay`; going back before the delay ends cancels the change.
//!
//! The runtime polls [`TrackProcesses::fd`] for input and calls
//! [`TrackProcesses::on_readable`], and calls [`TrackProcesses::on_timeout`] at
//! [`TrackProcesses::poll_at`]; every `(ProcessId, up)` reported goes to
//! `Router::process_changed`. The pid sets are sized at start-up
//! ([`limits::TRACK_PROCESS_PIDS`], or one beyond the quorums); nothing is allocated per
//! event.

use std::ffi::CStr;
use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use super::os::{self, Errno};
use crate::config::model::vrrp::{ParamMatch, TrackProcess, Vrrp};
use crate::limits;
use crate::time::{Duration, Instant};
use crate::vrrp::action::ProcessId;

const NETLINK_CONNECTOR: i32 = 11;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const PROC_EVENT_FORK: u32 = 0x1;
const PROC_EVENT_EXEC: u32 = 0x2;
const PROC_EVENT_COMM: u32 = 0x200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;
const NLMSG_HDR: usize = 16;
const CN_MSG_HDR: usize = 20;
/// `what`, `cpu`, `timestamp_ns` before the event's data.
const PROC_EVENT_HDR: usize = 16;
const EVENT_DATA: usize = NLMSG_HDR + CN_MSG_HDR + PROC_EVENT_HDR;
/// The kernel's TASK_COMM_LEN: a name of at most 15 bytes and its NUL.
const COMM_LEN: usize = 16;
/// Receive buffer: one datagram at a time, far larger than any proc event.
const RECV_BUF: usize = 4096;
/// Without the proc connector (outside the initial network namespace the kernel refuses
/// it), `/proc` is counted again this often. keepalived tracks nothing then.
const RESCAN_EVERY: Duration = Duration::from_secs(1);
/// Bytes of directory entries read from `/proc` at a time.
const DENTS_BUF: usize = 32 * 1024;

/// Start-up and run-time problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcMsg {
    /// The proc connector could not be opened or subscribed to (needs CAP_NET_ADMIN).
    CannotMonitor(Errno),
    /// Events were lost (the socket's buffer overflowed): the counts were taken again.
    Rescanned,
}

impl fmt::Display for ProcMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcMsg::CannotMonitor(e) => {
                write!(
                    f,
                    "Failed to open process monitoring socket - errno {} - {e}",
                    e.0
                )
            }
            ProcMsg::Rescanned => f.write_str("Process monitor events lost - rescanning /proc"),
        }
    }
}

struct Tracker {
    id: ProcessId,
    name: Box<[u8]>,
    /// Each configured parameter followed by a NUL, as keepalived keeps them.
    params: Box<[u8]>,
    param_match: ParamMatch,
    full_command: bool,
    quorum: u32,
    quorum_max: u32,
    fork_delay: Duration,
    terminate_delay: Duration,
    /// The pids counted, sorted; capacity fixed at start-up.
    pids: Vec<libc::pid_t>,
    /// A pid was not counted for want of room.
    overflow: bool,
    up: bool,
    /// A change of `up` waiting for its delay.
    pending: Option<Instant>,
}

impl Tracker {
    fn new(id: ProcessId, p: &TrackProcess) -> Tracker {
        let mut params = Vec::new();
        for w in &p.params {
            params.extend_from_slice(w.as_bytes());
            params.push(0);
        }
        let quorum = u32::from(p.quorum);
        let quorum_max = p.quorum_max.map_or(u32::MAX, u32::from);
        let need = if quorum_max == u32::MAX {
            quorum
        } else {
            quorum_max
        };
        let cap = limits::TRACK_PROCESS_PIDS.max(need as usize + 1);
        Tracker {
            id,
            name: p.process.as_bytes().into(),
            params: params.into(),
            param_match: p.param_match,
            full_command: p.full_command,
            quorum,
            quorum_max,
            fork_delay: p.fork_delay,
            terminate_delay: p.terminate_delay,
            pids: Vec::with_capacity(cap),
            overflow: false,
            up: false,
            pending: None,
        }
    }

    fn in_quorum(&self) -> bool {
        let n = self.pids.len() as u32;
        self.quorum <= n && n <= self.quorum_max
    }

    fn has(&self, pid: libc::pid_t) -> bool {
        self.pids.binary_search(&pid).is_ok()
    }

    /// Counts `pid`; false when it was counted already.
    fn add(&mut self, pid: libc::pid_t) -> bool {
        match self.pids.binary_search(&pid) {
            Ok(_) => false,
            Err(i) if self.pids.len() < self.pids.capacity() => {
                self.pids.insert(i, pid);
                true
            }
            Err(_) => {
                self.overflow = true;
                false
            }
        }
    }

    fn remove(&mut self, pid: libc::pid_t) -> bool {
        match self.pids.binary_search(&pid) {
            Ok(i) => {
                self.pids.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// After a change of the count: report, or wait for the delay, or cancel a wait.
    fn settle(&mut self, now: Instant, f: &mut impl FnMut(ProcessId, bool)) {
        let want = self.in_quorum();
        if want == self.up {
            self.pending = None;
            return;
        }
        let delay = if want {
            self.fork_delay
        } else {
            self.terminate_delay
        };
        if delay == Duration::ZERO {
            self.pending = None;
            self.up = want;
            f(self.id, want);
        } else if self.pending.is_none() {
            self.pending = Some(now + delay);
        }
    }

    /// Whether a process with this `comm` and command line counts (None: not known from
    /// what was read, e.g. a name change says nothing about the command line).
    fn matches(&self, comm: Option<&[u8]>, cmdline: Option<&[u8]>) -> Option<bool> {
        if !self.full_command {
            return comm.map(|c| c == &*self.name);
        }
        let cmd = cmdline?;
        let end = cmd.iter().position(|&b| b == 0).unwrap_or(cmd.len());
        if cmd[..end] != *self.name {
            return Some(false);
        }
        if self.param_match == ParamMatch::None {
            return Some(true);
        }
        let params = cmd.get(end + 1..).unwrap_or_default();
        Some(check_params(self.param_match, &self.params, params))
    }
}

/// keepalived's `check_params`: `want` is the configured parameters each followed by a
/// NUL, `got` the bytes of the command line after argv[0]'s NUL.
fn check_params(m: ParamMatch, want: &[u8], got: &[u8]) -> bool {
    if m == ParamMatch::Exact && want.is_empty() && got.is_empty() {
        return true;
    }
    if got.len() < want.len() {
        return false;
    }
    match m {
        ParamMatch::Exact => got == want,
        _ if want.is_empty() => true,
        ParamMatch::Partial => got.starts_with(want),
        ParamMatch::Initial | ParamMatch::None => {
            want.len() == 1 || got.starts_with(&want[..want.len() - 1])
        }
    }
}

pub struct TrackProcesses {
    sock: Option<OwnedFd>,
    trackers: Vec<Tracker>,
    recv: Box<[u8]>,
    /// Command-line bytes read per process: enough for the longest configured name and
    /// parameters, and two more to see a longer one.
    cmdline: Box<[u8]>,
    use_cmdline: bool,
    use_comm: bool,
    /// Polling instead of the connector: when `/proc` is counted next.
    next_scan: Option<Instant>,
    dents: Box<[u8]>,
}

impl TrackProcesses {
    /// Subscribes to the proc connector, then counts the processes running now. The
    /// counts give each tracked process its state at once, without delays
    /// ([`Self::states`]: give them to the core before `Router::start`). Without the
    /// connector (not root, or no kernel support) the counts are taken once and never
    /// change, and the reason is returned.
    pub fn new(vrrp: &Vrrp) -> (TrackProcesses, Option<ProcMsg>) {
        let trackers: Vec<Tracker> = vrrp
            .track_processes
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some(Tracker::new(ProcessId(u16::try_from(i).ok()?), p)))
            .collect();
        let longest = trackers
            .iter()
            .filter(|t| t.full_command)
            .map(|t| t.name.len() + 1 + t.params.len())
            .max()
            .unwrap_or(0);
        let mut t = TrackProcesses {
            sock: None,
            use_cmdline: trackers.iter().any(|t| t.full_command),
            use_comm: trackers.iter().any(|t| !t.full_command),
            trackers,
            recv: vec![0u8; RECV_BUF].into_boxed_slice(),
            cmdline: vec![0u8; longest + 2].into_boxed_slice(),
            next_scan: None,
            dents: vec![0u8; DENTS_BUF].into_boxed_slice(),
        };
        if t.trackers.is_empty() {
            return (t, None);
        }
        let msg = match subscribe() {
            Ok(fd) => {
                t.sock = Some(fd);
                None
            }
            Err(e) => {
                t.next_scan = Some(crate::event::now() + RESCAN_EVERY);
                Some(ProcMsg::CannotMonitor(e))
            }
        };
        t.scan();
        for tr in &mut t.trackers {
            tr.up = tr.in_quorum();
        }
        (t, msg)
    }

    /// The descriptor to poll for input; None when nothing is monitored.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.sock.as_ref().map(|s| s.as_fd())
    }

    /// Every tracked process's state.
    pub fn states(&self) -> impl Iterator<Item = (ProcessId, bool)> + '_ {
        self.trackers.iter().map(|t| (t.id, t.up))
    }

    /// How many matching processes are counted for `id`.
    pub fn count(&self, id: ProcessId) -> Option<usize> {
        let t = self.trackers.iter().find(|t| t.id == id)?;
        Some(t.pids.len())
    }

    /// The next delay to end (or, without the connector, the next count of `/proc`).
    pub fn poll_at(&self) -> Option<Instant> {
        self.trackers
            .iter()
            .filter_map(|t| t.pending)
            .chain(self.next_scan)
            .min()
    }

    /// Ends the delays that are due; without the connector, counts `/proc` again when due.
    pub fn on_timeout(&mut self, now: Instant, mut f: impl FnMut(ProcessId, bool)) {
        if self.next_scan.is_some_and(|t| t <= now) {
            self.next_scan = Some(now + RESCAN_EVERY);
            self.rescan(now, &mut f);
        }
        for t in &mut self.trackers {
            if t.pending.is_some_and(|d| d <= now) {
                t.pending = None;
                let want = t.in_quorum();
                if want != t.up {
                    t.up = want;
                    f(t.id, want);
                }
            }
        }
    }

    /// Drains the connector (to EAGAIN): every change of state is reported to `f`. Lost
    /// events (the socket overflowed) mean a new count of `/proc`, and `log` is told.
    pub fn on_readable(
        &mut self,
        now: Instant,
        mut f: impl FnMut(ProcessId, bool),
        mut log: impl FnMut(ProcMsg),
    ) {
        loop {
            let Some(sock) = self.sock.as_ref() else {
                return;
            };
            let n = match os::read(sock, &mut self.recv) {
                Ok(0) => return,
                Ok(n) => n,
                Err(Errno(libc::ENOBUFS)) => {
                    log(ProcMsg::Rescanned);
                    self.rescan(now, &mut f);
                    continue;
                }
                Err(_) => return,
            };
            self.datagram(n, now, &mut f);
        }
    }

    /// The netlink messages of one datagram.
    fn datagram(&mut self, n: usize, now: Instant, f: &mut impl FnMut(ProcessId, bool)) {
        let mut at = 0;
        while at + EVENT_DATA <= n {
            let msg_len = u32_at(&self.recv, at) as usize;
            if msg_len < NLMSG_HDR || at + msg_len > n {
                return;
            }
            let idx = u32_at(&self.recv, at + NLMSG_HDR);
            let val = u32_at(&self.recv, at + NLMSG_HDR + 4);
            if idx == CN_IDX_PROC && val == CN_VAL_PROC && msg_len >= EVENT_DATA + 8 {
                let what = u32_at(&self.recv, at + NLMSG_HDR + CN_MSG_HDR);
                let d = at + EVENT_DATA;
                let word = |i: usize| u32_at(&self.recv, d + 4 * i) as libc::pid_t;
                match what {
                    PROC_EVENT_FORK if msg_len >= EVENT_DATA + 16 => {
                        let (parent_tgid, child_pid, child_tgid) = (word(1), word(2), word(3));
                        if child_pid == child_tgid {
                            self.forked(parent_tgid, child_tgid, now, f);
                        }
                    }
                    PROC_EVENT_EXEC => {
                        let (pid, tgid) = (word(0), word(1));
                        if pid == tgid {
                            self.check(pid, None, now, f);
                        }
                    }
                    PROC_EVENT_COMM if msg_len >= EVENT_DATA + 8 + COMM_LEN => {
                        let (pid, tgid) = (word(0), word(1));
                        if pid == tgid {
                            let mut comm = [0u8; COMM_LEN];
                            comm.copy_from_slice(&self.recv[d + 8..d + 8 + COMM_LEN]);
                            let name = CStr::from_bytes_until_nul(&comm)
                                .map_or(&comm[..COMM_LEN - 1], CStr::to_bytes);
                            let len = name.len();
                            self.check(pid, Some(&comm[..len]), now, f);
                        }
                    }
                    PROC_EVENT_EXIT => {
                        let (pid, tgid) = (word(0), word(1));
                        if pid == tgid {
                            for t in &mut self.trackers {
                                if t.remove(pid) {
                                    t.settle(now, f);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            // Netlink messages are 4-byte aligned.
            at += (msg_len + 3) & !3;
        }
    }

    /// A counted process forked: its child has its name and command line.
    fn forked(
        &mut self,
        parent: libc::pid_t,
        child: libc::pid_t,
        now: Instant,
        f: &mut impl FnMut(ProcessId, bool),
    ) {
        for t in &mut self.trackers {
            if t.has(parent) && t.add(child) {
                t.settle(now, f);
            }
        }
    }

    /// A process exec'd or renamed itself (`comm` given): counted or not any more.
    fn check(
        &mut self,
        pid: libc::pid_t,
        comm: Option<&[u8]>,
        now: Instant,
        f: &mut impl FnMut(ProcessId, bool),
    ) {
        let mut comm_buf = [0u8; COMM_LEN];
        let (comm, cmdline) = match comm {
            Some(c) => (Some(c), None),
            None => {
                let c = if self.use_comm {
                    read_comm(pid, &mut comm_buf)
                } else {
                    None
                };
                let l = if self.use_cmdline {
                    read_proc(pid, b"cmdline", &mut self.cmdline)
                } else {
                    None
                };
                (c, l.map(|n| &self.cmdline[..n]))
            }
        };
        for t in &mut self.trackers {
            let changed = match t.matches(comm, cmdline) {
                Some(true) => t.add(pid),
                Some(false) => t.remove(pid),
                None => false,
            };
            if changed {
                t.settle(now, f);
            }
        }
    }

    /// Counts everything again and reports what changed.
    fn rescan(&mut self, now: Instant, f: &mut impl FnMut(ProcessId, bool)) {
        for t in &mut self.trackers {
            t.pids.clear();
            t.overflow = false;
        }
        self.scan();
        for t in &mut self.trackers {
            t.settle(now, f);
        }
    }

    /// Counts the processes running now (`/proc`; zombies are skipped). The directory is
    /// read with getdents64 into a fixed buffer: no allocation.
    fn scan(&mut self) {
        let Ok(dir) = os::open(c"/proc", libc::O_RDONLY | libc::O_DIRECTORY) else {
            return;
        };
        loop {
            // SAFETY: the buffer is live and writable for its whole length.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    dir.as_raw_fd(),
                    self.dents.as_mut_ptr(),
                    self.dents.len(),
                )
            };
            if n <= 0 {
                return;
            }
            let n = n as usize;
            let mut at = 0;
            while at + 19 < n {
                // linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
                let reclen = usize::from(u16::from_ne_bytes([
                    self.dents[at + 16],
                    self.dents[at + 17],
                ]));
                if reclen == 0 || at + reclen > n {
                    return;
                }
                let name = &self.dents[at + 19..at + reclen];
                let name = name.split(|&b| b == 0).next().unwrap_or_default();
                let pid = parse_pid(name);
                at += reclen;
                if let Some(pid) = pid {
                    self.count_pid(pid);
                }
            }
        }
    }

    /// Counts process `pid` if it matches a tracker.
    fn count_pid(&mut self, pid: libc::pid_t) {
        let mut stat = [0u8; 512];
        let Some(n) = read_proc(pid, b"stat", &mut stat) else {
            return;
        };
        let stat = &stat[..n];
        let (Some(open), Some(close)) = (
            stat.iter().position(|&b| b == b'('),
            stat.iter().rposition(|&b| b == b')'),
        ) else {
            return;
        };
        if close < open || stat.get(close + 2) == Some(&b'Z') {
            return;
        }
        let comm = &stat[open + 1..close];
        let cmdline = if self.use_cmdline {
            read_proc(pid, b"cmdline", &mut self.cmdline).map(|n| &self.cmdline[..n])
        } else {
            None
        };
        for t in &mut self.trackers {
            if t.matches(Some(comm), cmdline) == Some(true) {
                t.add(pid);
            }
        }
    }
}

/// A /proc entry's name as a pid (None for the other entries).
fn parse_pid(name: &[u8]) -> Option<libc::pid_t> {
    if name.is_empty() || name.len() > 10 || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    name.iter().try_fold(0 as libc::pid_t, |n, &d| {
        n.checked_mul(10)?.checked_add(libc::pid_t::from(d - b'0'))
    })
}

/// A native-endian u32 at `at` (the caller checked the length).
fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    u32::from_ne_bytes(w)
}

/// `/proc/PID/comm` without its newline.
fn read_comm(pid: libc::pid_t, buf: &mut [u8; COMM_LEN]) -> Option<&[u8]> {
    let mut n = read_proc(pid, b"comm", buf)?;
    if n > 0 && buf[n - 1] == b'\n' {
        n -= 1;
    }
    Some(&buf[..n])
}

/// Reads the start of `/proc/PID/<file>` into `buf`, without allocating.
fn read_proc(pid: libc::pid_t, file: &[u8], buf: &mut [u8]) -> Option<usize> {
    let mut path = [0u8; 40];
    let mut w = Cursor {
        buf: &mut path,
        at: 0,
    };
    fmt::write(&mut w, format_args!("/proc/{pid}/")).ok()?;
    let at = w.at;
    let end = at + file.len();
    path.get_mut(at..end)?.copy_from_slice(file);
    let path = CStr::from_bytes_until_nul(path.get(..=end)?).ok()?;
    let fd = os::open(path, libc::O_RDONLY).ok()?;
    os::read(&fd, buf).ok()
}

/// A `fmt::Write` into a fixed array, leaving room for a NUL.
struct Cursor<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.at + s.len();
        if end >= self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.at..end].copy_from_slice(s.as_bytes());
        self.at = end;
        Ok(())
    }
}

/// Opens the proc connector and asks for its events.
fn subscribe() -> Result<OwnedFd, Errno> {
    // SAFETY: plain socket call; the result is checked.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            NETLINK_CONNECTOR,
        )
    };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: just created, owned by nobody else.
    let fd = os::above_stderr(unsafe { OwnedFd::from_raw_fd(fd) })?;
    // SAFETY: sockaddr_nl is plain data; all zero is valid.
    let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    sa.nl_groups = CN_IDX_PROC;
    sa.nl_pid = 0;
    let len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    // SAFETY: `sa` is a valid sockaddr_nl of `len` bytes.
    if unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sa as *const libc::sockaddr_nl).cast(),
            len,
        )
    } != 0
    {
        return Err(Errno::last());
    }
    // nlmsghdr, cn_msg, and the operation.
    let total = NLMSG_HDR + CN_MSG_HDR + 4;
    let mut msg = [0u8; NLMSG_HDR + CN_MSG_HDR + 4];
    let mut put = |at: usize, b: &[u8]| msg[at..at + b.len()].copy_from_slice(b);
    put(0, &(total as u32).to_ne_bytes());
    put(4, &(libc::NLMSG_DONE as u16).to_ne_bytes());
    // SAFETY: getpid has no preconditions.
    put(12, &(unsafe { libc::getpid() } as u32).to_ne_bytes());
    put(NLMSG_HDR, &CN_IDX_PROC.to_ne_bytes());
    put(NLMSG_HDR + 4, &CN_VAL_PROC.to_ne_bytes());
    put(NLMSG_HDR + 16, &4u16.to_ne_bytes());
    put(NLMSG_HDR + CN_MSG_HDR, &PROC_CN_MCAST_LISTEN.to_ne_bytes());
    // SAFETY: sockaddr_nl is plain data; all zero is the kernel's address.
    let mut to: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    to.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: the message and address are valid for their lengths.
    let rc = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&to as *const libc::sockaddr_nl).cast(),
            len,
        )
    };
    if rc < 0 {
        return Err(Errno::last());
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_as_keepalived_checks_them() {
        let want = b"-c\0x y\0";
        // exact: the same parameters, no more.
        assert!(check_params(ParamMatch::Exact, want, b"-c\0x y\0"));
        assert!(!check_params(ParamMatch::Exact, want, b"-c\0x y\0z\0"));
        assert!(!check_params(ParamMatch::Exact, want, b"-c\0"));
        assert!(check_params(ParamMatch::Exact, b"", b""));
        assert!(!check_params(ParamMatch::Exact, b"", b"a\0"));
        // partial: the first whole parameters.
        assert!(check_params(ParamMatch::Partial, want, b"-c\0x y\0z\0"));
        assert!(!check_params(ParamMatch::Partial, want, b"-c\0x yz\0"));
        assert!(check_params(ParamMatch::Partial, b"", b"a\0"));
        // initial: a prefix of the bytes, the last word may be cut.
        assert!(check_params(ParamMatch::Initial, want, b"-c\0x yz\0"));
        assert!(!check_params(ParamMatch::Initial, want, b"-c\0x\0"));
    }

    fn tracker(p: &TrackProcess) -> Tracker {
        Tracker::new(ProcessId(0), p)
    }

    fn process(name: &str, params: &[&str], m: ParamMatch) -> TrackProcess {
        TrackProcess {
            name: "P".into(),
            loc: Default::default(),
            process: name.into(),
            params: params.iter().map(|s| s.to_string()).collect(),
            param_match: m,
            full_command: m != ParamMatch::None,
            weight: 0,
            reverse: false,
            quorum: 2,
            quorum_max: Some(3),
            fork_delay: Duration::ZERO,
            terminate_delay: Duration::from_secs(1),
        }
    }

    #[test]
    fn names_and_command_lines() {
        let t = tracker(&process("sleep", &[], ParamMatch::None));
        assert_eq!(t.matches(Some(b"sleep"), None), Some(true));
        assert_eq!(t.matches(Some(b"sleeper"), None), Some(false));
        assert_eq!(t.matches(None, Some(b"sleep\0")), None);
        let t = tracker(&process("/bin/sleep", &["100"], ParamMatch::Exact));
        assert_eq!(t.matches(None, Some(b"/bin/sleep\x00100\0")), Some(true));
        assert_eq!(t.matches(None, Some(b"/bin/sleep\x00101\0")), Some(false));
        assert_eq!(t.matches(None, Some(b"sleep\x00100\0")), Some(false));
        assert_eq!(t.matches(Some(b"sleep"), None), None);
    }

    #[test]
    fn quorum_and_delays() {
        let mut t = tracker(&process("x", &[], ParamMatch::None));
        let at = |s: u64| Instant::from_micros(s * 1_000_000);
        let mut seen = Vec::new();
        let mut f = |_, up| seen.push(up);
        t.add(1);
        t.settle(at(0), &mut f);
        assert!(!t.up);
        t.add(2);
        t.settle(at(0), &mut f);
        assert!(t.up);
        // Four is beyond quorum_max: down, after terminate_delay.
        t.add(3);
        t.add(4);
        t.settle(at(1), &mut f);
        assert_eq!(t.pending, Some(at(2)));
        // Back within the quorum before the delay ends: nothing happens.
        t.remove(4);
        t.settle(at(1), &mut f);
        assert_eq!(t.pending, None);
        assert!(t.up);
        assert_eq!(seen, [true]);
    }
}
