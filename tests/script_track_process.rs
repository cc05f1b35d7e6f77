//! Tracked processes for real: the proc connector's exec and exit events and the start-up
//! scan of /proc, matched by name and by command line, against a quorum.

use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command};

use keepalived_rs::config::model::vrrp::{ParamMatch, TrackProcess, Vrrp};
use keepalived_rs::script::TrackProcesses;
use keepalived_rs::time::{Duration, Instant};
use keepalived_rs::vrrp::action::ProcessId;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("ka-tp-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }

    /// A copy of `sleep` under `name`: its processes are called `name`.
    fn sleeper(&self, name: &str) -> Option<String> {
        let sleep = ["/bin/sleep", "/usr/bin/sleep"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())?;
        let p = self.0.join(name);
        std::fs::copy(sleep, &p).ok()?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).ok()?;
        Some(p.to_string_lossy().into_owned())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(prog: &str, args: &[&str]) -> Running {
    Running(Command::new(prog).args(args).spawn().unwrap())
}

fn stop(mut r: Running) {
    r.0.kill().unwrap();
    r.0.wait().unwrap();
}

fn now() -> Instant {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    Instant::from_micros(ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000)
}

fn tracked(process: &str, params: &[&str], quorum: u16) -> TrackProcess {
    TrackProcess {
        name: "P".into(),
        loc: Default::default(),
        process: process.into(),
        params: params.iter().map(|s| s.to_string()).collect(),
        param_match: if params.is_empty() {
            ParamMatch::None
        } else {
            ParamMatch::Exact
        },
        full_command: !params.is_empty(),
        weight: 0,
        reverse: false,
        quorum,
        quorum_max: None,
        fork_delay: Duration::ZERO,
        terminate_delay: Duration::ZERO,
    }
}

/// Takes the connector's events until `done` has held for 50 ms (the connector reports
/// every process of the machine, so it is never quiet). An exec event is sent a moment
/// after the parent of a vfork runs again, so it is waited for.
fn changes(
    t: &mut TrackProcesses,
    done: impl Fn(&TrackProcesses) -> bool,
) -> Vec<(ProcessId, bool)> {
    let mut out = Vec::new();
    let start = std::time::Instant::now();
    let mut since: Option<std::time::Instant> = None;
    loop {
        let mut p = libc::pollfd {
            fd: t.fd().map_or(-1, |fd| fd.as_raw_fd()),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, 10) };
        t.on_readable(now(), |id, up| out.push((id, up)), |_| {});
        if !done(t) {
            since = None;
        } else if since.get_or_insert_with(std::time::Instant::now).elapsed()
            >= std::time::Duration::from_millis(50)
        {
            return out;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{out:?} count {:?}",
            t.count(ProcessId(0))
        );
    }
}

fn counted(n: usize) -> impl Fn(&TrackProcesses) -> bool {
    move |t| t.count(ProcessId(0)) == Some(n)
}

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn counts_by_name_follow_execs_and_exits() {
    if !root() {
        return;
    }
    let d = Dir::new("name");
    let Some(prog) = d.sleeper("katp-name") else {
        return;
    };
    let first = start(&prog, &["100"]);
    let mut vrrp = Vrrp::default();
    vrrp.track_processes.push(tracked("katp-name", &[], 2));
    let (mut t, msg) = TrackProcesses::new(&vrrp);
    assert_eq!(msg, None);
    let id = ProcessId(0);
    // The scan found the one running: below the quorum.
    assert_eq!(t.count(id), Some(1));
    assert_eq!(t.states().collect::<Vec<_>>(), [(id, false)]);
    let second = start(&prog, &["100"]);
    assert_eq!(changes(&mut t, counted(2)), [(id, true)]);
    // Something else starting changes nothing.
    let other = start("/bin/sh", &["-c", "sleep 100"]);
    assert_eq!(changes(&mut t, counted(2)), []);
    stop(other);
    stop(first);
    assert_eq!(changes(&mut t, counted(1)), [(id, false)]);
    stop(second);
    assert_eq!(changes(&mut t, counted(0)), []);
}

#[test]
fn command_lines_with_exact_parameters() {
    if !root() {
        return;
    }
    let d = Dir::new("cmd");
    let Some(prog) = d.sleeper("katp-cmd") else {
        return;
    };
    let mut vrrp = Vrrp::default();
    vrrp.track_processes.push(tracked(&prog, &["1000"], 1));
    let (mut t, msg) = TrackProcesses::new(&vrrp);
    assert_eq!(msg, None);
    let id = ProcessId(0);
    assert_eq!(t.states().collect::<Vec<_>>(), [(id, false)]);
    let other = start(&prog, &["1001"]);
    assert_eq!(changes(&mut t, counted(0)), []);
    let longer = start(&prog, &["1000", "1"]);
    assert_eq!(changes(&mut t, counted(0)), []);
    let this = start(&prog, &["1000"]);
    assert_eq!(changes(&mut t, counted(1)), [(id, true)]);
    stop(this);
    assert_eq!(changes(&mut t, counted(0)), [(id, false)]);
    stop(other);
    stop(longer);
}
