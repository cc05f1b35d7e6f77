//! The runner's log lines, with keepalived 2.2.7's texts. A line is a small value naming
//! commands by id; [`Show`] renders it with the registered commands, allocating nothing.

use std::fmt;

use super::children::Failure;
use super::command::{Command, Tail};
use super::os::Errno;
use super::runner::{CmdId, SpawnError};
use super::spawn::Pid;

/// What a start-up or shut-down script did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartStop {
    Running(CmdId),
    CallFailed(CmdId),
    Succeeded,
    Failed(i32),
    TimedOut,
    Stuck(Pid),
    Lost(Pid),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    SpawnFailed(SpawnError),
    /// A child could not run its script, or its shell could not.
    Failure {
        cmd: CmdId,
        tail: Tail,
        failure: Failure,
    },
    /// A FIFO reader ended (keepalived's VRRP process says so for both of its FIFOs).
    FifoScriptEnded,
    /// The start-up (true) or shut-down script.
    StartStop(bool, StartStop),
    /// A timed-out MISC_CHECK survived SIGTERM and two SIGKILLs.
    Stuck(Pid),
    /// A timed-out MISC_CHECK could not be signalled: it is gone.
    MiscLost(CmdId, Pid),
}

impl Msg {
    /// Lines keepalived prints only with `-D`.
    pub fn detail(&self) -> bool {
        matches!(
            self,
            Msg::StartStop(_, StartStop::Running(_) | StartStop::Succeeded)
        )
    }
}

pub struct Show<'a> {
    msg: &'a Msg,
    commands: &'a [Command],
}

impl<'a> Show<'a> {
    pub fn new(msg: &'a Msg, commands: &'a [Command]) -> Show<'a> {
        Show { msg, commands }
    }

    fn command(&self, id: CmdId) -> Option<&'a Command> {
        self.commands.get(id.0 as usize)
    }

    fn program(&self, id: CmdId) -> &'a str {
        self.command(id).map_or("", Command::program)
    }
}

impl fmt::Display for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.msg {
            Msg::SpawnFailed(e) => write!(f, "{e}"),
            Msg::Failure { cmd, tail, failure } => {
                let Some(c) = self.command(cmd) else {
                    return Ok(());
                };
                match failure {
                    Failure::NotFound => write!(f, "Couldn't find command: {}", c.line(tail)),
                    Failure::NotExecutable => {
                        write!(f, "Couldn't execute command: {}", c.line(tail))
                    }
                    Failure::Exec(e) => write!(
                        f,
                        "Error exec-ing command '{}', error {e}: {}",
                        c.program(),
                        Errno(e)
                    ),
                    Failure::SetGid(e) => write!(f, "Couldn't setgid: {} ({})", c.gid, Errno(e)),
                    Failure::SetGroups(e) => {
                        write!(f, "Couldn't setgroups: {} ({})", c.gid, Errno(e))
                    }
                    Failure::SetUid(e) => write!(f, "Couldn't setuid: {} ({})", c.uid, Errno(e)),
                }
            }
            Msg::FifoScriptEnded => f.write_str("vrrp notify fifo script terminated"),
            Msg::Stuck(pid) => write!(f, "Child (PID {pid}) failed to terminate after kill"),
            Msg::MiscLost(c, pid) => write!(
                f,
                "Misc script {} child (PID {pid}) lost, register checker again",
                self.program(c)
            ),
            Msg::StartStop(startup, what) => {
                let kind = if startup {
                    "startup script"
                } else {
                    "shutdown script"
                };
                match what {
                    StartStop::Running(c) => write!(f, "Running {kind} {}", self.program(c)),
                    StartStop::CallFailed(c) => {
                        write!(f, "Call of {kind} {} failed", self.program(c))
                    }
                    // keepalived's own words: its type string already ends in "script".
                    StartStop::Succeeded => write!(f, "{kind} script succeeded"),
                    StartStop::Failed(code) => write!(f, "{kind} script failed, status {code}"),
                    StartStop::TimedOut => write!(f, "{kind} timed out"),
                    StartStop::Stuck(pid) => {
                        write!(f, "{kind} (PID {pid}) failed to terminate after kill")
                    }
                    StartStop::Lost(pid) => write!(f, "{kind} (PID {pid}) lost"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::diag::Loc;
    use crate::config::host::User;
    use crate::config::model::script::{Kind, Run, Script};
    use crate::vrrp::action::NotifyState;

    fn commands() -> Vec<Command> {
        let mut s = Script::new(
            vec!["/etc/keepalived/n.sh".into(), "x".into()],
            User {
                uid: 65534,
                gid: 65533,
            },
            Loc::default(),
            Kind::Notify,
        );
        s.run = Run::Shell;
        vec![Command::new(&s, &["INSTANCE", "VI_1"]).unwrap()]
    }

    fn show(m: Msg) -> String {
        Show::new(&m, &commands()).to_string()
    }

    #[test]
    fn keepalived_texts() {
        let cmd = CmdId(0);
        let tail = Tail::Notify {
            state: NotifyState::Fault,
            priority: 90,
        };
        let failure = |failure| Msg::Failure { cmd, tail, failure };
        assert_eq!(
            show(failure(Failure::NotFound)),
            "Couldn't find command: '/etc/keepalived/n.sh' 'x' 'INSTANCE' 'VI_1' 'FAULT' '90'"
        );
        assert_eq!(
            show(failure(Failure::NotExecutable)),
            "Couldn't execute command: '/etc/keepalived/n.sh' 'x' 'INSTANCE' 'VI_1' 'FAULT' '90'"
        );
        assert_eq!(
            show(failure(Failure::Exec(libc::ENOENT))),
            "Error exec-ing command '/etc/keepalived/n.sh', error 2: No such file or directory"
        );
        assert_eq!(
            show(failure(Failure::SetUid(libc::EPERM))),
            "Couldn't setuid: 65534 (Operation not permitted)"
        );
        assert_eq!(
            show(failure(Failure::SetGid(libc::EPERM))),
            "Couldn't setgid: 65533 (Operation not permitted)"
        );
        assert_eq!(
            show(Msg::FifoScriptEnded),
            "vrrp notify fifo script terminated"
        );
        assert_eq!(
            show(Msg::StartStop(true, StartStop::Failed(3))),
            "startup script script failed, status 3"
        );
        assert_eq!(
            show(Msg::StartStop(false, StartStop::TimedOut)),
            "shutdown script timed out"
        );
        assert_eq!(
            show(Msg::StartStop(true, StartStop::Running(cmd))),
            "Running startup script /etc/keepalived/n.sh"
        );
        assert!(Msg::StartStop(true, StartStop::Succeeded).detail());
        assert_eq!(
            show(Msg::SpawnFailed(SpawnError::Fork(Errno(libc::EAGAIN)))),
            "Failed fork process"
        );
    }
}
