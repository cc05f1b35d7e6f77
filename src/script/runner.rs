//! The runner: every command the daemon may start, registered at start-up; spawning,
//! signalling, reaping and timing out their processes; and what their ends mean.
//!
//! The runtime calls [`Runner::run_script`] for `Action::RunScript`, [`Runner::kill_script`]
//! for `Action::KillScript`, [`Runner::reap`] after SIGCHLD (until it returns false), and
//! [`Runner::on_timeout`] at [`Runner::poll_at`]. Each [`Event::Ended`] of a
//! [`Purpose::Track`] child goes to `Router::script_result`; [`Event::Log`] lines are
//! rendered with [`Runner::show`].

use std::fmt;

use super::children::{outcome, Child, Children, Escalate, Ladder, Purpose};
use super::command::{Command, Tail};
use super::msg::{Msg, Show, StartStop};
use super::os::Errno;
use super::spawn::{Pid, Spawner};
use crate::config::model::global::Global;
use crate::config::model::vrrp::Vrrp;
use crate::limits;
use crate::time::{Duration, Instant};
use crate::vrrp::action::{ScriptId, Signal};
use crate::vrrp::track::ScriptExit;

/// A registered command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmdId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A child ended; `exit` is what keepalived makes of its status. `killed`: it ended on
    /// a signal of its timeout ladder (a MISC_CHECK that "timed out").
    Ended {
        pid: Pid,
        purpose: Purpose,
        exit: ScriptExit,
        killed: bool,
    },
    /// A start-up or shut-down script outlived every kill: keepalived stops waiting and
    /// carries on as if it had ended.
    GaveUp {
        pid: Pid,
        purpose: Purpose,
    },
    Log(Msg),
}

/// Events one reaped or timed-out child can produce at most.
const EVENTS_PER_CHILD: usize = 3;
/// A good size for the runtime's event list; `reap` and `on_timeout` stop when it is full
/// and say so.
pub const EVENT_BATCH: usize = 16 * EVENTS_PER_CHILD;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// fork() failed.
    Fork(Errno),
    /// [`limits::MAX_SCRIPT_CHILDREN`] children are running.
    Full,
    /// The script is disabled (or unknown): it never runs.
    NotRunnable,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::Fork(_) => f.write_str("Failed fork process"),
            SpawnError::Full => write!(
                f,
                "Cannot run script - more than MAX_SCRIPT_CHILDREN ({}) scripts running",
                limits::MAX_SCRIPT_CHILDREN
            ),
            SpawnError::NotRunnable => f.write_str("Script is disabled - not running it"),
        }
    }
}

pub struct Runner {
    spawner: Spawner,
    commands: Vec<Command>,
    children: Children,
    /// The command of each `vrrp_script` (by `ScriptId`), None when it may not run.
    track: Vec<Option<CmdId>>,
    /// The process group of each `vrrp_script`'s last run, kept after it is reaped: the
    /// core kills what a timed-out script left behind after its end (0: none yet).
    track_group: Vec<Pid>,
    startup: Option<(CmdId, Duration)>,
    shutdown: Option<(CmdId, Duration)>,
}

impl Runner {
    /// Registers the `vrrp_script`s and the start-up and shut-down scripts.
    pub fn new(vrrp: &Vrrp, global: &Global) -> Result<Runner, Errno> {
        let mut r = Runner {
            spawner: Spawner::new()?,
            commands: Vec::new(),
            children: Children::with_capacity(limits::MAX_SCRIPT_CHILDREN),
            track: Vec::with_capacity(vrrp.scripts.len()),
            track_group: vec![0; vrrp.scripts.len()],
            startup: None,
            shutdown: None,
        };
        for s in &vrrp.scripts {
            let id = Command::new(&s.script, &[]).map(|c| r.register(c));
            r.track.push(id);
        }
        let start_stop = |r: &mut Runner, s: &Option<_>, t| {
            let cmd = s.as_ref().and_then(|s| Command::new(s, &[]))?;
            Some((r.register(cmd), t))
        };
        r.startup = start_stop(
            &mut r,
            &global.startup_script,
            global.startup_script_timeout,
        );
        r.shutdown = start_stop(
            &mut r,
            &global.shutdown_script,
            global.shutdown_script_timeout,
        );
        Ok(r)
    }

    /// Adds a command (start-up only: it sizes the argv buffers).
    pub fn register(&mut self, cmd: Command) -> CmdId {
        self.spawner.reserve(&cmd);
        self.commands.push(cmd);
        CmdId(self.commands.len() as u32 - 1)
    }

    pub fn command(&self, id: CmdId) -> Option<&Command> {
        self.commands.get(id.0 as usize)
    }

    /// Starts a registered command with `tail` appended.
    pub fn spawn(
        &mut self,
        now: Instant,
        cmd: CmdId,
        tail: Tail,
        purpose: Purpose,
    ) -> Result<Pid, SpawnError> {
        let timeout = match purpose {
            Purpose::Startup => self.startup.map(|s| s.1),
            Purpose::Shutdown => self.shutdown.map(|s| s.1),
            _ => None,
        };
        self.start(now, cmd, tail, purpose, timeout)
    }

    /// Starts MISC_CHECK `checker`'s registered command: at `timeout` it gets SIGTERM, then
    /// SIGKILL (keepalived's `misc_check_child_thread`).
    pub fn spawn_misc(
        &mut self,
        now: Instant,
        cmd: CmdId,
        checker: u32,
        timeout: Duration,
    ) -> Result<Pid, SpawnError> {
        self.start(now, cmd, Tail::None, Purpose::Misc(checker), Some(timeout))
    }

    fn start(
        &mut self,
        now: Instant,
        cmd: CmdId,
        tail: Tail,
        purpose: Purpose,
        timeout: Option<Duration>,
    ) -> Result<Pid, SpawnError> {
        let command = self
            .commands
            .get(cmd.0 as usize)
            .ok_or(SpawnError::NotRunnable)?;
        if self.children.is_full() {
            return Err(SpawnError::Full);
        }
        let pid = self
            .spawner
            .spawn(command, tail)
            .map_err(SpawnError::Fork)?;
        let child = Child::new(pid, purpose, cmd.0, tail, command.mode).timeout(now, timeout);
        self.children.insert(child);
        if let Purpose::Track(id) = purpose {
            if let Some(g) = self.track_group.get_mut(usize::from(id.0)) {
                *g = pid;
            }
        }
        Ok(pid)
    }

    /// `Action::RunScript`.
    pub fn run_script(&mut self, now: Instant, id: ScriptId) -> Result<Pid, SpawnError> {
        let cmd = self
            .track
            .get(usize::from(id.0))
            .copied()
            .flatten()
            .ok_or(SpawnError::NotRunnable)?;
        self.spawn(now, cmd, Tail::None, Purpose::Track(id))
    }

    /// `Action::KillScript`: signals the process group of the script's last run.
    pub fn kill_script(&mut self, id: ScriptId, signal: Signal) -> Result<(), Errno> {
        let sig = match signal {
            Signal::Term => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        };
        match self.track_group.get(usize::from(id.0)) {
            Some(&pgid) if pgid > 0 => kill_group(pgid, sig),
            _ => Ok(()),
        }
    }

    /// Starts the start-up script, if there is one; false when there is nothing to wait for.
    pub fn run_startup(&mut self, now: Instant, out: &mut Vec<Event>) -> bool {
        self.run_start_stop(now, true, out)
    }

    /// Starts the shut-down script, if there is one; false when there is nothing to wait for.
    pub fn run_shutdown(&mut self, now: Instant, out: &mut Vec<Event>) -> bool {
        self.run_start_stop(now, false, out)
    }

    fn run_start_stop(&mut self, now: Instant, startup: bool, out: &mut Vec<Event>) -> bool {
        let (s, purpose) = if startup {
            (self.startup, Purpose::Startup)
        } else {
            (self.shutdown, Purpose::Shutdown)
        };
        let Some((cmd, _)) = s else {
            return false;
        };
        push(
            out,
            Event::Log(Msg::StartStop(startup, StartStop::Running(cmd))),
        );
        match self.spawn(now, cmd, Tail::None, purpose) {
            Ok(_) => true,
            Err(e) => {
                push(out, Event::Log(Msg::SpawnFailed(e)));
                push(
                    out,
                    Event::Log(Msg::StartStop(startup, StartStop::CallFailed(cmd))),
                );
                false
            }
        }
    }

    /// Reaps every child that has ended (`waitpid(-1, WNOHANG)` until none: the daemon's
    /// children are all ours). True when `out` filled up first: call again.
    pub fn reap(&mut self, out: &mut Vec<Event>) -> bool {
        loop {
            if out.capacity() - out.len() < EVENTS_PER_CHILD {
                return true;
            }
            let mut status = 0;
            // SAFETY: `status` is a valid int to fill.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid == -1 && super::os::errno() == libc::EINTR {
                continue;
            }
            if pid <= 0 {
                return false;
            }
            if self
                .children
                .get_mut(pid)
                .is_some_and(|c| c.report.is_none())
            {
                // A child reports a failure before it exits, so the report is there now.
                let children = &mut self.children;
                self.spawner.reports(|r| {
                    if let Some(c) = children.get_mut(r.pid) {
                        c.report = Some(r);
                    }
                });
            }
            if let Some(c) = self.children.remove(pid) {
                self.ended(c, status, out);
            }
        }
    }

    fn ended(&mut self, c: Child, status: i32, out: &mut Vec<Event>) {
        let (mut exit, failure) = outcome(status, c.mode, c.report);
        if let Some(failure) = failure {
            let m = Msg::Failure {
                cmd: CmdId(c.cmd),
                tail: c.tail,
                failure,
            };
            push(out, Event::Log(m));
        }
        // SIGTERM or SIGKILL sent: a signalled end is the timeout's (keepalived's
        // REQUESTING/FORCING_TERMINATION states).
        let termed = matches!(c.ladder, Ladder::StartStop(n) if n >= 1);
        let killed = termed
            && matches!(exit, ScriptExit::Signaled(s)
                if s == libc::SIGTERM || (s == libc::SIGKILL && c.ladder != Ladder::StartStop(1)));
        if termed && exit == ScriptExit::Signaled(libc::SIGTERM) && c.ladder == Ladder::StartStop(1)
        {
            // It ended on our SIGTERM: make sure whatever it started ends too.
            let _ = kill_group(c.pid, libc::SIGKILL);
        }
        let startup = c.purpose == Purpose::Startup;
        match (c.purpose, exit) {
            (Purpose::FifoScript, _) => push(out, Event::Log(Msg::FifoScriptEnded)),
            (Purpose::Startup | Purpose::Shutdown, ScriptExit::Exited(code)) => {
                let m = if code == 0 {
                    StartStop::Succeeded
                } else {
                    StartStop::Failed(code)
                };
                push(out, Event::Log(Msg::StartStop(startup, m)));
            }
            // A MISC_CHECK is judged by its real status: a script that could not run fails.
            (Purpose::Misc(_), _) if failure.is_some() => exit = ScriptExit::Exited(127),
            _ => {}
        }
        push(
            out,
            Event::Ended {
                pid: c.pid,
                purpose: c.purpose,
                exit,
                killed,
            },
        );
    }

    /// The next deadline of ours (a STOP notification or a start-up script running too
    /// long, a script being killed at shutdown).
    pub fn poll_at(&self) -> Option<Instant> {
        self.children.poll_at()
    }

    /// Acts on the deadlines that have come. True when `out` filled up first: call again.
    pub fn on_timeout(&mut self, now: Instant, out: &mut Vec<Event>) -> bool {
        loop {
            if out.capacity() - out.len() < EVENTS_PER_CHILD {
                return true;
            }
            let Some(step) = self.children.escalate(now) else {
                return false;
            };
            match step {
                Escalate::Kill(pid) => {
                    let _ = kill_group(pid, libc::SIGKILL);
                }
                Escalate::StartStop { pid, purpose, step } => {
                    let sig = if step == 0 {
                        libc::SIGTERM
                    } else {
                        libc::SIGKILL
                    };
                    let startup = purpose == Purpose::Startup;
                    let misc = matches!(purpose, Purpose::Misc(_));
                    match step {
                        0 if !misc => push(
                            out,
                            Event::Log(Msg::StartStop(startup, StartStop::TimedOut)),
                        ),
                        2 if misc => push(out, Event::Log(Msg::Stuck(pid))),
                        2 => push(
                            out,
                            Event::Log(Msg::StartStop(startup, StartStop::Stuck(pid))),
                        ),
                        _ => {}
                    }
                    if kill_group(pid, sig) == Err(Errno(libc::ESRCH)) {
                        if let Purpose::Misc(_) = purpose {
                            // Gone without being reaped: nothing more will come of it.
                            if let Some(c) = self.children.remove(pid) {
                                push(out, Event::Log(Msg::MiscLost(CmdId(c.cmd), pid)));
                                push(out, Event::GaveUp { pid, purpose });
                            }
                        } else {
                            push(
                                out,
                                Event::Log(Msg::StartStop(startup, StartStop::Lost(pid))),
                            );
                        }
                    }
                }
                Escalate::GiveUp(pid, purpose) => push(out, Event::GaveUp { pid, purpose }),
            }
        }
    }

    /// Shutdown begins (keepalived's `script_killall`): running tracking scripts and FIFO
    /// readers get SIGTERM, and SIGKILL a second later. Call before the STOP notifications.
    pub fn shutdown(&mut self, now: Instant) {
        self.children.terminate(now, |pid| {
            let _ = kill_group(pid, libc::SIGTERM);
        });
    }

    /// Children shutdown still waits for (STOP notifications, scripts being killed).
    pub fn busy(&self) -> bool {
        self.children.busy()
    }

    /// Children in the table.
    pub fn running(&self) -> usize {
        self.children.len()
    }

    /// A log line in keepalived's words.
    pub fn show<'a>(&'a self, m: &'a Msg) -> Show<'a> {
        Show::new(m, &self.commands)
    }
}

fn push(out: &mut Vec<Event>, e: Event) {
    if out.len() < out.capacity() {
        out.push(e);
    }
}

/// Signals the process group a child leads.
fn kill_group(pgid: Pid, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill has no memory preconditions; a negative pid names a process group.
    if unsafe { libc::kill(-pgid, sig) } == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}
