//! Scripts and the other things keepalived watches outside the protocol: the only code
//! that forks.
//!
//! - `command` — a checked script ready to run (execve or `/bin/sh -c`, its user), and
//!   keepalived's `cmd_str()` command line.
//! - `spawn` — fork + exec with argv prepared before the fork in buffers sized at start-up;
//!   the child's process group, signals, descriptors and credentials.
//! - `children`, `runner` — the fixed-capacity child table, reaping, kills and timeouts, and
//!   what keepalived makes of an exit status; `msg` — their log lines.
//! - `notify`, `fifo` — the VRRP core's notifications as keepalived sends them: the
//!   `notify_<state>` script, the generic `notify` script, the FIFO line.
//! - `track_file` — tracked files (inotify) and `init_file`.
//! - `track_process` — tracked processes (the proc connector, a `/proc` scan, quorums).

pub mod children;
pub mod command;
pub mod fifo;
pub mod msg;
pub mod notify;
mod os;
pub mod runner;
pub mod spawn;
pub mod track_file;
pub mod track_process;

pub use children::{MiscExit, Purpose};
pub use command::{Command, Mode, Tail};
pub use notify::Notifier;
pub use os::Errno;
pub use runner::{CmdId, Event, Runner, SpawnError};
pub use spawn::Pid;
pub use track_file::{FileEvent, TrackFiles};
pub use track_process::{ProcMsg, TrackProcesses};
