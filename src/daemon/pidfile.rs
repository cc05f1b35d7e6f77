//! keepalived's pidfiles: their names, the "already running" check and their lifetime.
//!
//! keepalived writes the parent's pid to `/run/keepalived.pid` and each child's to
//! `/run/keepalived_vrrp.pid` and `/run/keepalived_checkers.pid` (`-p`, `-r`, `-c` name
//! them). With `use_pid_dir`, or an instance name, the defaults move to `/run/keepalived/`
//! and the instance name is appended (`keepalived_vrrp_NAME.pid`). keepalived-rs is one
//! process: every file of what runs holds its pid, so `kill -HUP $(cat any of them)` works.
//!
//! The check is keepalived's `keepalived_running()`: a pidfile naming a live process stops
//! the start-up ("daemon is already running"); one naming a dead process is removed ("Remove
//! a zombie pid file"); an unreadable one is removed and, as in keepalived, this start-up
//! still refuses. One difference: a pidfile naming our own pid is stale (a container's pid 1
//! from its previous life), not a running daemon.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ::log::info;

use crate::cli::{self, Subsystems};
use crate::log::PARENT;

/// keepalived's `KEEPALIVED_PID_DIR` on Debian.
pub const PID_DIR: &str = "/run/keepalived";
const RUN_DIR: &str = "/run";

/// The pidfiles of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PidFiles {
    pub main: PathBuf,
    pub vrrp: Option<PathBuf>,
    pub checkers: Option<PathBuf>,
    /// `/run/keepalived` is used (created at start, removed at exit if empty).
    pub pid_dir: bool,
}

/// A name given with -p/-r/-c, or None when it is the default (cli.rs keeps defaults as
/// values, so the default path given explicitly counts as not given).
fn given(value: &str, default: &str) -> Option<PathBuf> {
    (value != default).then(|| PathBuf::from(value))
}

impl PidFiles {
    /// keepalived's names for the subsystems in `running`. `instance` is the configuration's
    /// `instance` name (keepalived-rs does not read that keyword yet: pass None).
    pub fn names(
        o: &cli::Options,
        use_pid_dir: bool,
        instance: Option<&str>,
        running: Subsystems,
    ) -> PidFiles {
        let d = cli::Options::default();
        let pid_dir = use_pid_dir || instance.is_some();
        let default = |base: &str| {
            let name = match instance {
                Some(i) => format!("{base}_{i}.pid"),
                None => format!("{base}.pid"),
            };
            Path::new(if pid_dir { PID_DIR } else { RUN_DIR }).join(name)
        };
        let pick = |value: &str, dflt: &str, base: &str| {
            given(value, dflt).unwrap_or_else(|| default(base))
        };
        PidFiles {
            main: pick(&o.pid_file, &d.pid_file, "keepalived"),
            vrrp: running
                .vrrp
                .then(|| pick(&o.vrrp_pid_file, &d.vrrp_pid_file, "keepalived_vrrp")),
            checkers: running.check.then(|| {
                pick(
                    &o.checkers_pid_file,
                    &d.checkers_pid_file,
                    "keepalived_checkers",
                )
            }),
            pid_dir,
        }
    }

    fn all(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.main.as_path())
            .chain(self.vrrp.as_deref())
            .chain(self.checkers.as_deref())
    }

    /// keepalived's check, with its log lines: true when start-up must stop.
    pub fn already_running(&self) -> bool {
        if self.all().any(process_running) {
            info!(target: PARENT, "daemon is already running");
            true
        } else {
            false
        }
    }

    /// Creates the pid directory if used, then writes our pid to every file.
    pub fn create(self) -> io::Result<PidGuard> {
        let mut made_dir = false;
        if self.pid_dir {
            // rwxr-xr-x whatever the umask (keepalived's is 0177 by default).
            let made = fs::DirBuilder::new()
                .mode(0o755)
                .create(PID_DIR)
                .and_then(|()| fs::set_permissions(PID_DIR, fs::Permissions::from_mode(0o755)));
            match made {
                Ok(()) => made_dir = true,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(_) => info!(target: PARENT, "Unable to create directory {PID_DIR}"),
            }
        }
        let guard = PidGuard {
            files: self,
            made_dir,
        };
        let pid = std::process::id();
        for p in guard.files.all() {
            if let Err(e) = write(p, pid) {
                info!(target: PARENT, "pidfile_write : Cannot open {} pidfile", p.display());
                return Err(e);
            }
        }
        Ok(guard)
    }
}

/// Removes the pidfiles (and the pid directory it made, if empty) when dropped.
#[derive(Debug)]
pub struct PidGuard {
    files: PidFiles,
    made_dir: bool,
}

impl PidGuard {
    pub fn files(&self) -> &PidFiles {
        &self.files
    }
}

impl Drop for PidGuard {
    fn drop(&mut self) {
        for p in self.files.all() {
            let _ = fs::remove_file(p);
        }
        if self.made_dir {
            // Not empty or busy: another keepalived's files are there; leave it.
            let _ = fs::remove_dir(PID_DIR);
        }
    }
}

/// `pid\n`, mode 0644 whatever the umask, never through a symbolic link.
fn write(path: &Path, pid: u32) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o644)
        .open(path)?;
    f.set_permissions(fs::Permissions::from_mode(0o644))?;
    writeln!(f, "{pid}")
}

/// keepalived's `process_running`.
fn process_running(path: &Path) -> bool {
    let Ok(text) = fs::read_to_string(path) else {
        return false;
    };
    // fscanf("%d"): leading white space, an optional sign and digits.
    let t = text.trim_start();
    let end = t
        .char_indices()
        .find(|&(k, c)| !(c.is_ascii_digit() || (k == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(k, _)| k);
    let Ok(pid) = t[..end].parse::<i32>() else {
        info!(target: PARENT, "Error reading pid file {}", path.display());
        let _ = fs::remove_file(path);
        // keepalived: "we don't know if it is running or not".
        return true;
    };
    if pid == 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let alive = pid != std::process::id() as i32 && unsafe { libc::kill(pid, 0) } == 0;
    if !alive {
        info!(target: PARENT, "Remove a zombie pid file {}", path.display());
        let _ = fs::remove_file(path);
    }
    alive
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Subsystems = Subsystems {
        vrrp: true,
        check: true,
    };
    const VRRP: Subsystems = Subsystems {
        vrrp: true,
        check: false,
    };

    #[test]
    fn default_names_are_keepalived_s() {
        let o = cli::Options::default();
        let p = PidFiles::names(&o, false, None, VRRP);
        assert_eq!(p.main, Path::new("/run/keepalived.pid"));
        assert_eq!(
            p.vrrp.as_deref(),
            Some(Path::new("/run/keepalived_vrrp.pid"))
        );
        assert_eq!(p.checkers, None);
        assert!(!p.pid_dir);
        let p = PidFiles::names(&o, true, None, BOTH);
        assert_eq!(p.main, Path::new("/run/keepalived/keepalived.pid"));
        assert_eq!(
            p.checkers.as_deref(),
            Some(Path::new("/run/keepalived/keepalived_checkers.pid"))
        );
    }

    #[test]
    fn an_instance_name_moves_defaults_only() {
        let o = cli::Options {
            vrrp_pid_file: "/tmp/v.pid".into(),
            ..Default::default()
        };
        let p = PidFiles::names(&o, false, Some("lb1"), VRRP);
        assert_eq!(p.main, Path::new("/run/keepalived/keepalived_lb1.pid"));
        assert_eq!(p.vrrp.as_deref(), Some(Path::new("/tmp/v.pid")));
        assert!(p.pid_dir);
    }

    #[test]
    fn parsing_follows_fscanf() {
        let dir = std::env::temp_dir().join(format!("ka-pid-unit-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        let f = dir.join("p");
        fs::write(&f, "  1\n").expect("write");
        assert!(process_running(&f), "pid 1 is alive");
        fs::write(&f, "junk").expect("write");
        assert!(process_running(&f), "unreadable: keepalived refuses once");
        assert!(!f.exists(), "and removes it");
        fs::write(&f, format!("{}\n", std::process::id())).expect("write");
        assert!(!process_running(&f), "our own pid is stale");
        let _ = fs::remove_dir_all(&dir);
    }
}
