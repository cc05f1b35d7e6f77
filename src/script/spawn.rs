//! fork + exec with nothing allocated per run.
//!
//! Everything the child needs is prepared before `fork()`: the argv strings go into one
//! buffer sized at start-up for the longest configured command, the environment is captured
//! once, /dev/null is already open. Between fork and exec the child makes only
//! async-signal-safe calls: its own process group (so a timeout kills everything the script
//! started), default signal dispositions and an empty mask (the daemon blocks signals for its
//! signalfd and Rust ignores SIGPIPE; both would be inherited), stdin/stdout/stderr on
//! /dev/null and no other descriptor, keepalived's `set_script_env()` credentials (gid, the
//! gid as the only supplementary group, uid), SIGTERM when the daemon dies, then `execve`.
//!
//! A step that fails in the child cannot log: it writes `(pid, step, errno)` to a pipe the
//! runner drains when it reaps, and exits 0, as keepalived's child does ("Script errors
//! aren't server errors").

use std::ffi::CString;
use std::fmt;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;

use super::command::{Command, Mode, Tail, SHELL, SHELL_ARGS};
use super::os::{self, Errno};

pub type Pid = libc::pid_t;

/// The step of a child's start that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    SetGid,
    SetGroups,
    SetUid,
    Exec,
}

impl Step {
    fn from_raw(n: i32) -> Option<Step> {
        Some(match n {
            0 => Step::SetGid,
            1 => Step::SetGroups,
            2 => Step::SetUid,
            3 => Step::Exec,
            _ => return None,
        })
    }
}

/// A failure a child reported before exiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    pub pid: Pid,
    pub step: Step,
    pub errno: i32,
}

/// One report as written to the pipe: three native-endian i32. Writes this small to a pipe
/// are atomic, so reads see whole records.
const REPORT_LEN: usize = 12;
/// Signals the kernel knows (`_NSIG - 1`).
const KERNEL_SIGNALS: libc::c_int = 64;

/// The kernel's `struct sigaction` (x86_64 and aarch64 share it); all zero is SIG_DFL with
/// no flags and an empty mask.
#[repr(C)]
#[derive(Default)]
struct KernelSigaction {
    handler: libc::c_ulong,
    flags: libc::c_ulong,
    restorer: libc::c_ulong,
    mask: u64,
}

/// Descriptors marked close-on-exec one by one when `close_range` is missing (kernels
/// before 5.11), at most.
const FD_SCAN_MAX: libc::rlim_t = 65_536;

pub struct Spawner {
    /// Owns the strings `envp` points into.
    _env: Vec<CString>,
    envp: Vec<*const c_char>,
    /// argv strings of the run being started, and where each begins.
    buf: Vec<u8>,
    starts: Vec<usize>,
    argv: Vec<*const c_char>,
    dev_null: OwnedFd,
    report_r: OwnedFd,
    report_w: OwnedFd,
    our_uid: libc::uid_t,
    our_gid: libc::gid_t,
    our_pid: Pid,
    fd_limit: i32,
}

impl Spawner {
    /// Opens /dev/null and the report pipe and captures the environment, as children get it.
    pub fn new() -> Result<Spawner, Errno> {
        let null = CString::new("/dev/null").map_err(|_| Errno(libc::EINVAL))?;
        let dev_null = os::above_stderr(os::open(&null, libc::O_RDWR)?)?;
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(Errno::last());
        }
        // SAFETY: both descriptors were just created and are owned by nobody else.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let env: Vec<CString> = std::env::vars_os()
            .filter_map(|(k, v)| {
                let mut kv = k.as_bytes().to_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                CString::new(kv).ok()
            })
            .collect();
        let mut envp: Vec<*const c_char> = env.iter().map(|c| c.as_ptr()).collect();
        envp.push(std::ptr::null());
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `lim` is a valid rlimit to fill.
        let fd_limit = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
            lim.rlim_cur.min(FD_SCAN_MAX) as i32
        } else {
            1024
        };
        Ok(Spawner {
            _env: env,
            envp,
            buf: Vec::new(),
            starts: Vec::new(),
            argv: Vec::new(),
            dev_null,
            report_r: os::above_stderr(r)?,
            report_w: os::above_stderr(w)?,
            // SAFETY: these identity calls have no preconditions.
            our_uid: unsafe { libc::geteuid() },
            // SAFETY: as above.
            our_gid: unsafe { libc::getegid() },
            // SAFETY: as above.
            our_pid: unsafe { libc::getpid() },
            fd_limit,
        })
    }

    /// Makes room for running `cmd` with any tail (start-up only).
    pub fn reserve(&mut self, cmd: &Command) {
        let (bytes, words) = cmd.argv_size();
        self.buf.clear();
        self.starts.clear();
        self.argv.clear();
        self.buf.reserve(bytes);
        self.starts.reserve(words);
        self.argv.reserve(words);
    }

    /// Starts `cmd` with `tail` appended. Fails with E2BIG if the command was never
    /// [`reserve`](Self::reserve)d (rather than allocate), or with fork's errno.
    pub fn spawn(&mut self, cmd: &Command, tail: Tail) -> Result<Pid, Errno> {
        self.prepare(cmd, tail)?;
        let path = match cmd.mode {
            Mode::Exec => self.argv[0],
            Mode::Shell => SHELL.as_ptr().cast(),
        };
        // SAFETY: fork has no preconditions; the child below only makes async-signal-safe
        // calls on memory prepared before the fork, then execs or exits.
        let pid = unsafe { libc::fork() };
        match pid {
            -1 => Err(Errno::last()),
            // SAFETY: we are the child of the fork above.
            0 => unsafe { self.child(path, cmd.uid, cmd.gid) },
            _ => {
                // Also from the parent: a kill of the group right after fork must not miss a
                // child that has not run yet. It fails harmlessly once the child has exec'd.
                // SAFETY: setpgid on our own child.
                unsafe { libc::setpgid(pid, pid) };
                Ok(pid)
            }
        }
    }

    /// Reports children wrote since the last call.
    pub fn reports(&mut self, mut f: impl FnMut(Report)) {
        let mut buf = [0u8; REPORT_LEN * 32];
        while let Ok(n) = os::read(&self.report_r, &mut buf) {
            if n == 0 {
                return;
            }
            for r in buf[..n].chunks_exact(REPORT_LEN) {
                let word = |i: usize| {
                    let b = [r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]];
                    i32::from_ne_bytes(b)
                };
                if let Some(step) = Step::from_raw(word(1)) {
                    f(Report {
                        pid: word(0),
                        step,
                        errno: word(2),
                    });
                }
            }
        }
    }

    /// Lays out argv in the prepared buffers; fails rather than grow them.
    fn prepare(&mut self, cmd: &Command, tail: Tail) -> Result<(), Errno> {
        self.buf.clear();
        self.starts.clear();
        self.argv.clear();
        let mut a = Args {
            buf: &mut self.buf,
            starts: &mut self.starts,
        };
        match cmd.mode {
            Mode::Exec => {
                let mut digits = [0u8; 3];
                let (tail, n) = tail.words(&mut digits);
                for w in cmd.words().chain(tail[..n].iter().copied()) {
                    a.word(w.as_bytes())?;
                }
            }
            Mode::Shell => {
                for w in SHELL_ARGS {
                    a.word(w)?;
                }
                a.begin()?;
                cmd.line(tail)
                    .write_to(&mut a)
                    .map_err(|_| Errno(libc::E2BIG))?;
                a.put(b"\0")?;
            }
        }
        if self.argv.capacity() <= self.starts.len() {
            return Err(Errno(libc::E2BIG));
        }
        let base = self.buf.as_ptr();
        for &s in &self.starts {
            // SAFETY: every start is an offset inside `buf`, which does not move until the
            // next `prepare`.
            self.argv.push(unsafe { base.add(s) }.cast());
        }
        self.argv.push(std::ptr::null());
        Ok(())
    }

    /// The child side of `spawn`: never returns.
    ///
    /// # Safety
    /// Only in the child of a fork, with argv prepared by `prepare`.
    unsafe fn child(&self, path: *const c_char, uid: libc::uid_t, gid: libc::gid_t) -> ! {
        libc::setpgid(0, 0);
        // The kernel call itself: the C library refuses the signals it reserves (32-34),
        // which may have been ignored when we were started.
        let dfl = KernelSigaction::default();
        for sig in 1..=KERNEL_SIGNALS {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig,
                    &dfl as *const KernelSigaction,
                    std::ptr::null_mut::<KernelSigaction>(),
                    std::mem::size_of::<u64>(),
                );
            }
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        for fd in 0..3 {
            libc::dup2(self.dev_null.as_raw_fd(), fd);
        }
        // Every other descriptor closes on exec; the report pipe stays usable until then.
        let cloexec = libc::CLOSE_RANGE_CLOEXEC as libc::c_uint;
        if libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            !0 as libc::c_uint,
            cloexec,
        ) != 0
        {
            for fd in 3..self.fd_limit {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
        if gid != self.our_gid && libc::setgid(gid) != 0 {
            self.fail(Step::SetGid);
        }
        if libc::setgroups(1, &gid) != 0 {
            self.fail(Step::SetGroups);
        }
        if uid != self.our_uid && libc::setuid(uid) != 0 {
            self.fail(Step::SetUid);
        }
        // After the credentials: changing them clears the parent-death signal.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
        if libc::getppid() != self.our_pid {
            libc::_exit(0);
        }
        libc::execve(path, self.argv.as_ptr(), self.envp.as_ptr());
        self.fail(Step::Exec)
    }

    /// Reports a failed step and exits 0.
    ///
    /// # Safety
    /// Only in the child of a fork.
    unsafe fn fail(&self, step: Step) -> ! {
        let e = os::errno();
        let mut rec = [0u8; REPORT_LEN];
        for (i, v) in [libc::getpid(), step as i32, e].into_iter().enumerate() {
            rec[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
        }
        libc::write(self.report_w.as_raw_fd(), rec.as_ptr().cast(), REPORT_LEN);
        libc::_exit(0)
    }
}

/// Appends argv strings to the prepared buffer without ever growing it.
struct Args<'a> {
    buf: &'a mut Vec<u8>,
    starts: &'a mut Vec<usize>,
}

impl Args<'_> {
    fn begin(&mut self) -> Result<(), Errno> {
        if self.starts.len() == self.starts.capacity() {
            return Err(Errno(libc::E2BIG));
        }
        self.starts.push(self.buf.len());
        Ok(())
    }

    fn put(&mut self, b: &[u8]) -> Result<(), Errno> {
        if self.buf.capacity() - self.buf.len() < b.len() {
            return Err(Errno(libc::E2BIG));
        }
        self.buf.extend_from_slice(b);
        Ok(())
    }

    fn word(&mut self, w: &[u8]) -> Result<(), Errno> {
        self.begin()?;
        self.put(w)?;
        self.put(b"\0")
    }
}

impl fmt::Write for Args<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s.as_bytes()).map_err(|_| fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::diag::Loc;
    use crate::config::host::User;
    use crate::config::model::script::{Kind, Run, Script};
    use crate::vrrp::action::NotifyState;
    use std::ffi::CStr;

    fn command(args: &[&str], run: Run) -> Command {
        let mut s = Script::new(
            args.iter().map(|a| a.to_string()).collect(),
            User { uid: 0, gid: 0 },
            Loc::default(),
            Kind::Notify,
        );
        s.run = run;
        Command::new(&s, &[]).unwrap()
    }

    fn argv(s: &Spawner) -> Vec<String> {
        s.argv
            .iter()
            .take_while(|p| !p.is_null())
            // SAFETY: prepared pointers into `buf`, each NUL-terminated.
            .map(|&p| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn exec_argv_is_the_words_then_the_tail() {
        let mut s = Spawner::new().unwrap();
        let c = command(&["/bin/n.sh", "a b"], Run::Exec);
        s.reserve(&c);
        let (cap, pcap) = (s.buf.capacity(), s.argv.capacity());
        let tail = Tail::Notify {
            state: NotifyState::Backup,
            priority: 7,
        };
        s.prepare(&c, tail).unwrap();
        assert_eq!(argv(&s), ["/bin/n.sh", "a b", "BACKUP", "7"]);
        assert_eq!((s.buf.capacity(), s.argv.capacity()), (cap, pcap));
    }

    #[test]
    fn shell_argv_is_sh_dash_c_and_the_quoted_line() {
        let mut s = Spawner::new().unwrap();
        let c = command(&["/bin/n.sh", "x"], Run::Shell);
        s.reserve(&c);
        let tail = Tail::Notify {
            state: NotifyState::Deleted,
            priority: 255,
        };
        s.prepare(&c, tail).unwrap();
        assert_eq!(argv(&s), ["sh", "-c", "'/bin/n.sh' 'x' 'DELETED' '255'"]);
    }

    #[test]
    fn an_unreserved_command_is_refused_not_allocated() {
        let mut s = Spawner::new().unwrap();
        s.reserve(&command(&["/a"], Run::Exec));
        let long = command(
            &["/a-much-longer-command-than-reserved", "with", "words"],
            Run::Exec,
        );
        assert_eq!(s.prepare(&long, Tail::None), Err(Errno(libc::E2BIG)));
    }
}
