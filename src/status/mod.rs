//! keepalived's status dumps, written on a signal from one read-only [`View`] of the VRRP
//! core, its configuration and what the runtime knows about time:
//!
//! - `SIGUSR1` → `keepalived.data` ([`data`]): the VRRP process's data dump;
//! - `SIGUSR2` and STATS_CLEAR → `keepalived.stats` ([`stats`]): per-instance counters;
//! - `SIGRTMIN+2` (36) → `keepalived.json` ([`json`]): one object per instance.
//!
//! Files go to `$TMPDIR` when it is an absolute path, else `/tmp`, with mode 0600, written
//! to a private temporary file first and renamed into place. The text is built in the one
//! buffer of a [`Status`], reused by every dump: it grows once to the largest file (in
//! proportion to the configuration), so repeated signals allocate no more.
//!
//! ```text
//! runtime: on start   status = Status::new(n_instances); transitions = Transitions::new(n, wall)
//!          per batch  transitions.observe(&actions, event::wall())
//!          on reload  transitions = transitions.after_reload(&old, &router, wall); observe
//!          on signal  if let Some(d) = Dump::of_signal(sig) {
//!                         let view = View { router, vrrp, global, transitions, socket_fds,
//!                                           ifindex, scripts, umask, now, wall };
//!                         status.dump(d, &view)?;  // logs keepalived's line, writes the file
//!                         // Dump::Stats { clear: true }: then zero the counters
//!                     }
//! ```

pub mod data;
mod format;
pub mod json;
pub mod stats;

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ::log::info;

use crate::config::model::global::Global;
use crate::config::model::vrrp::Vrrp;
use crate::event::Signal;
use crate::time::Instant;
use crate::vrrp::action::{Action, Actions, InstanceId};
use crate::vrrp::msg::Msg;
use crate::vrrp::router::Router;

/// What the dumps read. `now` and `wall` are one reading of both clocks: deadlines (monotonic)
/// are printed as wall-clock times, as keepalived prints its timers.
pub struct View<'a> {
    pub router: &'a Router,
    pub vrrp: &'a Vrrp,
    pub global: &'a Global,
    pub transitions: &'a Transitions,
    /// Per receive socket (`SockId` order), its fds as keepalived prints them (fd_in,
    /// fd_out); empty when the runtime has none to show.
    pub socket_fds: &'a [(i32, i32)],
    /// Per interface (`IfaceId` order), its kernel index; 0 where unknown (keepalived prints
    /// it after an IPv6 instance's multicast group).
    pub ifindex: &'a [u32],
    /// Per `vrrp_script` (configuration order), what the runtime knows of it; missing
    /// entries print as not run yet.
    pub scripts: &'a [ScriptState],
    /// The umask the daemon runs with (`daemon::umask`), printed in the global section.
    pub umask: u32,
    pub now: Instant,
    /// CLOCK_REALTIME at `now`: seconds and microseconds (`event::wall()`).
    pub wall: (i64, u32),
}

impl View<'_> {
    /// The wall-clock time of a monotonic instant.
    fn wall_of(&self, at: Instant) -> (i64, u32) {
        let (s, us) = self.wall;
        let now = i128::from(s) * 1_000_000 + i128::from(us);
        let t = now + (i128::from(at.as_micros()) - i128::from(self.now.as_micros()));
        (
            i64::try_from(t.div_euclid(1_000_000)).unwrap_or(0),
            u32::try_from(t.rem_euclid(1_000_000)).unwrap_or(0),
        )
    }
}

/// A tracked script as the runtime sees it (the core keeps only its effect on priorities).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptState {
    /// keepalived's `result`: counts up on success, down on failure, between 0 and
    /// rise + fall - 1; the script is GOOD from `rise` on.
    pub result: u32,
    /// It has returned at least once (keepalived's init state is then no longer INIT).
    pub has_run: bool,
    /// A run is in progress.
    pub running: bool,
}

/// When each instance last changed state, in wall-clock time (keepalived's
/// `last_transition`): the core does not keep it, so the runtime passes every batch of
/// actions through [`Transitions::observe`]. Sized once; no allocation afterwards.
#[derive(Clone, Debug)]
pub struct Transitions(Vec<(i64, u32)>);

impl Transitions {
    /// All instances start at `wall` (keepalived stamps them when it reads the
    /// configuration).
    pub fn new(instances: usize, wall: (i64, u32)) -> Transitions {
        Transitions(vec![wall; instances])
    }

    /// Records the state changes among `out`, which happened at `wall`.
    pub fn observe(&mut self, out: &Actions, wall: (i64, u32)) {
        for a in out {
            if let Action::Log(Msg::Entering { inst, .. } | Msg::FaultAtStart(inst)) = a {
                if let Some(t) = self.0.get_mut(usize::from(inst.0)) {
                    *t = wall;
                }
            }
        }
    }

    /// After `Router::reload` (`old` is what it returned, `new` the running core): the
    /// instances kept (by name) keep their times, new ones get `wall`. Then observe the
    /// reload's actions. Allocates the new table (once per reload).
    pub fn after_reload(&self, old: &Router, new: &Router, wall: (i64, u32)) -> Transitions {
        let by_name = |name: &str| {
            let k = old.instances().iter().position(|i| i.name() == name)?;
            self.0.get(k).copied()
        };
        Transitions(
            new.instances()
                .iter()
                .map(|i| by_name(i.name()).unwrap_or(wall))
                .collect(),
        )
    }

    pub fn get(&self, id: InstanceId) -> (i64, u32) {
        self.0.get(usize::from(id.0)).copied().unwrap_or((0, 0))
    }
}

/// Which dump a signal asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dump {
    /// SIGUSR1: `keepalived.data`.
    Data,
    /// SIGUSR2 (`clear: false`) and STATS_CLEAR (`clear: true`; the runtime zeroes the
    /// counters after the file is written): `keepalived.stats`.
    Stats { clear: bool },
    /// keepalived's JSON signal (36): `keepalived.json`.
    Json,
}

impl Dump {
    /// The dump a signal asks for, if it asks for one.
    pub fn of_signal(s: Signal) -> Option<Dump> {
        match s {
            Signal::Data => Some(Dump::Data),
            Signal::Stats => Some(Dump::Stats { clear: false }),
            Signal::StatsClear => Some(Dump::Stats { clear: true }),
            Signal::Json => Some(Dump::Json),
            _ => None,
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Dump::Data => "keepalived.data",
            Dump::Stats { .. } => "keepalived.stats",
            Dump::Json => "keepalived.json",
        }
    }
}

/// keepalived's `make_tmp_filename` directory: `$TMPDIR` if absolute, else `/tmp`.
pub fn tmp_dir() -> PathBuf {
    std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

/// The dumps' writer: one text buffer, reused by every dump (it grows to the largest file
/// once, in proportion to the configuration, and is never shrunk).
#[derive(Debug, Default)]
pub struct Status {
    buf: String,
}

impl Status {
    /// A writer whose buffer is sized for `instances` instances.
    pub fn new(instances: usize) -> Status {
        Status {
            buf: String::with_capacity(4096 + instances * 2048),
        }
    }

    /// The text of one dump, in the reused buffer.
    pub fn render(&mut self, kind: Dump, view: &View<'_>) -> &str {
        self.buf.clear();
        match kind {
            Dump::Data => data::render(&mut self.buf, view),
            Dump::Stats { .. } => stats::render(&mut self.buf, view.router),
            Dump::Json => json::render(&mut self.buf, view),
        }
        &self.buf
    }

    /// What the runtime calls on a dump signal: logs keepalived's line for it and writes the
    /// file into [`tmp_dir`]. Returns the file's path.
    pub fn dump(&mut self, kind: Dump, view: &View<'_>) -> io::Result<PathBuf> {
        let pid = std::process::id();
        match kind {
            Dump::Data => info!("Printing VRRP data for process({pid}) on signal"),
            Dump::Stats { clear } => {
                let and = if clear { "and clearing " } else { "" };
                info!("Printing {and}VRRP stats for process({pid}) on signal");
            }
            Dump::Json => info!("Printing VRRP as json for process({pid}) on signal"),
        }
        self.write_in(&tmp_dir(), kind, view)
    }

    /// Renders `kind` and writes it as `dir/<file name>` (see [`write_private`]).
    pub fn write_in(&mut self, dir: &Path, kind: Dump, view: &View<'_>) -> io::Result<PathBuf> {
        let path = dir.join(kind.file_name());
        self.render(kind, view);
        write_private(&path, self.buf.as_bytes()).map_err(|e| {
            let errno = e.raw_os_error().unwrap_or(0);
            info!("Can't open {} ({errno}: {e})", path.display());
            e
        })?;
        Ok(path)
    }
}

/// Writes `bytes` to `path` with mode 0600: into a new file beside it (`<path>.<pid>`,
/// O_EXCL, so never through someone's link), then renamed over it, so that nobody holding
/// the old file open can read the new contents and no reader sees half a file.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(itoa(std::process::id(), &mut [0; 10]));
    let tmp = PathBuf::from(name);
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(&tmp)?;
    let written = f.write_all(bytes).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// `n` in decimal, in `buf`.
fn itoa(mut n: u32, buf: &mut [u8; 10]) -> &str {
    let mut k = buf.len();
    loop {
        k -= 1;
        buf[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[k..]).unwrap_or("0")
}

#[cfg(test)]
mod tests;
