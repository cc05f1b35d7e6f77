//! The child table: every script process running, what it is for and how long it may
//! run; and what keepalived makes of a child's exit status. Fixed capacity.

use super::command::{Mode, Tail};
use super::spawn::{Pid, Report, Step};
use crate::time::{Duration, Instant};
use crate::vrrp::action::ScriptId;
use crate::vrrp::track::ScriptExit;

/// What a child runs for: decides what its end means, how long it may run and whether
/// shutdown waits for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A `vrrp_script` run; its result goes to `Router::script_result`. Its timeout is the
    /// VRRP core's (`KillScript`).
    Track(ScriptId),
    /// `notify*` scripts: nobody waits for them (keepalived's `notify_exec`).
    Notify,
    /// The STOP notifications of shutdown: waited for, killed after 1 s.
    NotifyStop,
    /// A `notify_fifo_script` or `vrrp_notify_fifo_script`, reading the FIFO until shutdown.
    FifoScript,
    /// `startup_script`, `shutdown_script`, with their configured timeouts.
    Startup,
    Shutdown,
    /// A MISC_CHECK run (the checker's index); its `misc_timeout` is ours to enforce.
    Misc(u32),
}

/// How a MISC_CHECK script ended, for the checker core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MiscExit {
    Exited(u8),
    Signaled(i32),
    /// Killed at its timeout.
    TimedOut,
}

/// keepalived gives a STOP notification, and a script it signalled at shutdown, one second.
pub const STOP_GRACE: Duration = Duration::from_secs(1);
/// keepalived's `handle_child_timeout`: after the timeout SIGTERM, 2 s later SIGKILL, 2 s
/// later SIGKILL again, then 10 s more before giving up.
const START_STOP_WAITS: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(2),
    Duration::from_secs(10),
];

/// What happens when a child's deadline comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ladder {
    /// No deadline of ours.
    None,
    /// SIGKILL the process group, then stop waiting.
    KillThenForget,
    /// Start-up/shut-down script or MISC_CHECK: the next step of [`START_STOP_WAITS`].
    StartStop(u8),
}

/// What the table does with a child whose deadline came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escalate {
    /// SIGKILL its group; nobody waits for it any more.
    Kill(Pid),
    /// Step `step` of a start-up/shut-down script's or MISC_CHECK's ladder: 0 SIGTERM
    /// ("timed out"), 1 SIGKILL, 2 SIGKILL again ("failed to terminate after kill").
    StartStop {
        pid: Pid,
        purpose: Purpose,
        step: u8,
    },
    /// Nothing more is done for it.
    GiveUp(Pid, Purpose),
}

#[derive(Clone, Copy, Debug)]
pub struct Child {
    pub pid: Pid,
    pub purpose: Purpose,
    /// Index of its command in the runner, and the words the run appended.
    pub cmd: u32,
    pub tail: Tail,
    pub mode: Mode,
    pub deadline: Option<Instant>,
    pub ladder: Ladder,
    /// Shutdown waits for it.
    pub waited: bool,
    /// A failure it reported before exiting.
    pub report: Option<Report>,
}

impl Child {
    pub fn new(pid: Pid, purpose: Purpose, cmd: u32, tail: Tail, mode: Mode) -> Child {
        Child {
            pid,
            purpose,
            cmd,
            tail,
            mode,
            deadline: None,
            ladder: Ladder::None,
            waited: purpose != Purpose::Notify,
            report: None,
        }
    }

    /// Sets how long it may run.
    pub fn timeout(mut self, now: Instant, timeout: Option<Duration>) -> Child {
        (self.ladder, self.deadline) = match (self.purpose, timeout) {
            (Purpose::NotifyStop, _) => (Ladder::KillThenForget, Some(now + STOP_GRACE)),
            (Purpose::Startup | Purpose::Shutdown | Purpose::Misc(_), Some(t)) => {
                (Ladder::StartStop(0), Some(now + t))
            }
            _ => (Ladder::None, None),
        };
        self
    }
}

pub struct Children {
    list: Vec<Child>,
}

impl Children {
    pub fn with_capacity(n: usize) -> Children {
        Children {
            list: Vec::with_capacity(n),
        }
    }

    pub fn is_full(&self) -> bool {
        self.list.len() == self.list.capacity()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds a child; false (and nothing stored) when the table is full.
    pub fn insert(&mut self, c: Child) -> bool {
        if self.is_full() {
            return false;
        }
        self.list.push(c);
        true
    }

    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut Child> {
        self.list.iter_mut().find(|c| c.pid == pid)
    }

    pub fn remove(&mut self, pid: Pid) -> Option<Child> {
        let i = self.list.iter().position(|c| c.pid == pid)?;
        Some(self.list.swap_remove(i))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Child> {
        self.list.iter()
    }

    pub fn busy(&self) -> bool {
        self.list.iter().any(|c| c.waited)
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.list.iter().filter_map(|c| c.deadline).min()
    }

    /// The first child whose deadline has come, moved on to its next step.
    pub fn escalate(&mut self, now: Instant) -> Option<Escalate> {
        let i = self
            .list
            .iter()
            .position(|c| c.deadline.is_some_and(|d| d <= now))?;
        let c = &mut self.list[i];
        let pid = c.pid;
        Some(match c.ladder {
            Ladder::None => {
                c.deadline = None;
                return self.escalate(now);
            }
            Ladder::KillThenForget => {
                c.deadline = None;
                c.ladder = Ladder::None;
                c.waited = false;
                Escalate::Kill(pid)
            }
            Ladder::StartStop(step) => match START_STOP_WAITS.get(usize::from(step)) {
                Some(&wait) => {
                    c.ladder = Ladder::StartStop(step + 1);
                    c.deadline = Some(now + wait);
                    Escalate::StartStop {
                        pid,
                        purpose: c.purpose,
                        step,
                    }
                }
                None => {
                    let purpose = c.purpose;
                    self.list.swap_remove(i);
                    Escalate::GiveUp(pid, purpose)
                }
            },
        })
    }

    /// keepalived's `script_killall(SIGTERM)` at shutdown: the scripts it runs and waits for
    /// (tracking scripts, MISC_CHECKs, FIFO readers) get SIGTERM now and SIGKILL a second
    /// later.
    pub fn terminate(&mut self, now: Instant, mut kill: impl FnMut(Pid)) {
        for c in &mut self.list {
            if matches!(
                c.purpose,
                Purpose::Track(_) | Purpose::FifoScript | Purpose::Misc(_)
            ) {
                kill(c.pid);
                c.ladder = Ladder::KillThenForget;
                c.deadline = Some(now + STOP_GRACE);
                c.waited = true;
            }
        }
    }
}

/// Why a child did not run its script, or what its shell said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Shell exit 127 (or the shell itself could not be run).
    NotFound,
    /// Shell exit 126.
    NotExecutable,
    /// `execve` of the program failed.
    Exec(i32),
    SetGid(i32),
    SetGroups(i32),
    SetUid(i32),
}

/// What keepalived makes of a child's wait status: the exit the VRRP core sees and the
/// failure it logs. Its shell-run child turns the shell's 127 and 126 into a log line and
/// exit 0; a child that cannot start its script logs and exits 0.
pub fn outcome(status: i32, mode: Mode, report: Option<Report>) -> (ScriptExit, Option<Failure>) {
    if let Some(r) = report {
        let f = match (r.step, mode) {
            (Step::Exec, Mode::Shell) => Failure::NotFound,
            (Step::Exec, Mode::Exec) => Failure::Exec(r.errno),
            (Step::SetGid, _) => Failure::SetGid(r.errno),
            (Step::SetGroups, _) => Failure::SetGroups(r.errno),
            (Step::SetUid, _) => Failure::SetUid(r.errno),
        };
        return (ScriptExit::Exited(0), Some(f));
    }
    if libc::WIFSIGNALED(status) {
        return (ScriptExit::Signaled(libc::WTERMSIG(status)), None);
    }
    let code = libc::WEXITSTATUS(status);
    match (mode, code) {
        (Mode::Shell, 127) => (ScriptExit::Exited(0), Some(Failure::NotFound)),
        (Mode::Shell, 126) => (ScriptExit::Exited(0), Some(Failure::NotExecutable)),
        _ => (ScriptExit::Exited(code), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> Instant {
        Instant::from_micros(s * 1_000_000)
    }

    fn child(pid: Pid, purpose: Purpose) -> Child {
        Child::new(pid, purpose, 0, Tail::None, Mode::Exec)
    }

    fn exited(code: i32) -> i32 {
        code << 8
    }

    #[test]
    fn shell_127_and_126_are_logged_and_count_as_success() {
        let (e, f) = outcome(exited(127), Mode::Shell, None);
        assert_eq!((e, f), (ScriptExit::Exited(0), Some(Failure::NotFound)));
        let (e, f) = outcome(exited(126), Mode::Shell, None);
        assert_eq!(
            (e, f),
            (ScriptExit::Exited(0), Some(Failure::NotExecutable))
        );
        // Only the shell's codes are read that way.
        assert_eq!(
            outcome(exited(127), Mode::Exec, None),
            (ScriptExit::Exited(127), None)
        );
        assert_eq!(
            outcome(exited(3), Mode::Shell, None),
            (ScriptExit::Exited(3), None)
        );
        assert_eq!(
            outcome(9, Mode::Shell, None),
            (ScriptExit::Signaled(9), None)
        );
    }

    #[test]
    fn a_child_that_could_not_start_exits_zero_with_its_reason() {
        let r = |step| Report {
            pid: 5,
            step,
            errno: libc::ENOENT,
        };
        let (e, f) = outcome(0, Mode::Exec, Some(r(Step::Exec)));
        assert_eq!(
            (e, f),
            (ScriptExit::Exited(0), Some(Failure::Exec(libc::ENOENT)))
        );
        let (_, f) = outcome(0, Mode::Shell, Some(r(Step::Exec)));
        assert_eq!(f, Some(Failure::NotFound));
        let (_, f) = outcome(0, Mode::Exec, Some(r(Step::SetUid)));
        assert_eq!(f, Some(Failure::SetUid(libc::ENOENT)));
    }

    #[test]
    fn a_stop_notification_gets_one_second_then_sigkill_and_is_forgotten() {
        let mut t = Children::with_capacity(4);
        assert!(t.insert(child(10, Purpose::NotifyStop).timeout(at(0), None)));
        assert!(t.insert(child(11, Purpose::Notify).timeout(at(0), None)));
        assert!(t.busy());
        assert_eq!(t.poll_at(), Some(at(1)));
        assert_eq!(t.escalate(at(0)), None);
        assert_eq!(t.escalate(at(1)), Some(Escalate::Kill(10)));
        assert_eq!(t.escalate(at(9)), None);
        // Still reaped when it dies, but nobody waits for it any more.
        assert!(!t.busy());
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn start_up_script_ladder_as_keepalived() {
        let mut t = Children::with_capacity(1);
        let c = child(7, Purpose::Startup).timeout(at(0), Some(Duration::from_secs(10)));
        assert!(t.insert(c));
        let step = |step| {
            Some(Escalate::StartStop {
                pid: 7,
                purpose: Purpose::Startup,
                step,
            })
        };
        assert_eq!(t.escalate(at(10)), step(0));
        assert_eq!(t.poll_at(), Some(at(12)));
        assert_eq!(t.escalate(at(12)), step(1));
        assert_eq!(t.escalate(at(14)), step(2));
        assert_eq!(t.escalate(at(23)), None);
        assert_eq!(
            t.escalate(at(24)),
            Some(Escalate::GiveUp(7, Purpose::Startup))
        );
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn misc_check_timeout_ladder_as_keepalived() {
        let mut t = Children::with_capacity(1);
        let c = child(5, Purpose::Misc(3)).timeout(at(0), Some(Duration::from_secs(4)));
        assert!(t.insert(c));
        let step = |step| {
            Some(Escalate::StartStop {
                pid: 5,
                purpose: Purpose::Misc(3),
                step,
            })
        };
        assert_eq!(t.escalate(at(3)), None);
        assert_eq!(t.escalate(at(4)), step(0));
        assert_eq!(t.escalate(at(6)), step(1));
        assert_eq!(t.escalate(at(8)), step(2));
        assert_eq!(
            t.escalate(at(18)),
            Some(Escalate::GiveUp(5, Purpose::Misc(3)))
        );
        // Shutdown kills a running MISC_CHECK as it does tracking scripts.
        let mut t = Children::with_capacity(1);
        assert!(t.insert(child(6, Purpose::Misc(0)).timeout(at(0), Some(Duration::from_secs(9)))));
        let mut killed = Vec::new();
        t.terminate(at(1), |pid| killed.push(pid));
        assert_eq!(killed, [6]);
        assert_eq!(t.escalate(at(2)), Some(Escalate::Kill(6)));
    }

    #[test]
    fn shutdown_signals_tracking_scripts_and_fifo_readers_only() {
        let mut t = Children::with_capacity(4);
        for (pid, p) in [
            (1, Purpose::Track(ScriptId(0))),
            (2, Purpose::FifoScript),
            (3, Purpose::Notify),
            (4, Purpose::NotifyStop),
        ] {
            assert!(t.insert(child(pid, p).timeout(at(0), None)));
        }
        let mut killed = Vec::new();
        t.terminate(at(5), |pid| killed.push(pid));
        assert_eq!(killed, [1, 2]);
        assert_eq!(t.poll_at(), Some(at(1)));
        assert_eq!(t.escalate(at(1)), Some(Escalate::Kill(4)));
        let mut later = Vec::new();
        while let Some(e) = t.escalate(at(6)) {
            later.push(e);
        }
        assert_eq!(later, [Escalate::Kill(1), Escalate::Kill(2)]);
        assert!(!t.busy());
    }

    #[test]
    fn a_full_table_refuses() {
        let mut t = Children::with_capacity(1);
        assert!(t.insert(child(1, Purpose::Notify)));
        assert!(!t.insert(child(2, Purpose::Notify)));
        assert!(t.remove(1).is_some());
        assert!(t.remove(1).is_none());
        assert!(t.insert(child(2, Purpose::Notify)));
    }
}
