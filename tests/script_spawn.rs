//! Script processes for real: argv as keepalived passes it, execve and `/bin/sh -c`, the
//! user, process group, signals and descriptors a child gets, kills of the whole group,
//! reaping and keepalived's readings of exit statuses.
//!
//! The runner reaps with `waitpid(-1)`, as the daemon owns every child of its process, so
//! the tests of this file run one at a time.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration as StdDuration;

use keepalived_rs::config::diag::Loc;
use keepalived_rs::config::host::User;
use keepalived_rs::config::model::global::Global;
use keepalived_rs::config::model::script::{Kind, Run, Script};
use keepalived_rs::config::model::vrrp::Vrrp;
use keepalived_rs::config::model::vrrp::VrrpScript;
use keepalived_rs::script::{Command, Event, Pid, Purpose, Runner, Tail};
use keepalived_rs::time::{Duration, Instant};
use keepalived_rs::vrrp::action::{NotifyState, ScriptId, Signal};
use keepalived_rs::vrrp::track::ScriptExit;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
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

/// A scratch directory anyone may write into (scripts run as `nobody` write there).
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("ka-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
        Scratch(p)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }

    /// Writes an executable file.
    fn script(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn script(args: &[&str], run: Run, user: User) -> Script {
    let mut s = Script::new(
        args.iter().map(|a| a.to_string()).collect(),
        user,
        Loc::default(),
        Kind::Notify,
    );
    s.run = run;
    s
}

const ROOT: User = User { uid: 0, gid: 0 };
const NOBODY: User = User {
    uid: 65534,
    gid: 65534,
};

/// A runner with one `vrrp_script` (ScriptId 0) running `track`.
fn runner_with_track(track: Option<Script>) -> Runner {
    let mut vrrp = Vrrp::default();
    if let Some(s) = track {
        vrrp.scripts.push(VrrpScript {
            name: "chk".into(),
            loc: Loc::default(),
            script: s,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            weight: 0,
            reverse: false,
            rise: 1,
            fall: 1,
            init_fail: false,
        });
    }
    Runner::new(&vrrp, &Global::default()).expect("runner")
}

/// Reaps until `pid` ends (10 s at most); every event seen on the way, rendered.
fn wait_end(r: &mut Runner, pid: Pid) -> (ScriptExit, Vec<String>) {
    let mut logs = Vec::new();
    for _ in 0..1000 {
        let mut out = Vec::with_capacity(keepalived_rs::script::runner::EVENT_BATCH);
        while r.reap(&mut out) {}
        let mut end = None;
        for e in &out {
            match e {
                Event::Log(m) => logs.push(r.show(m).to_string()),
                Event::Ended { pid: p, exit, .. } if *p == pid => end = Some(*exit),
                _ => {}
            }
        }
        if let Some(exit) = end {
            return (exit, logs);
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    panic!("pid {pid} did not end");
}

fn wait_file(p: &str) -> String {
    for _ in 0..500 {
        if let Ok(s) = std::fs::read_to_string(p) {
            if s.ends_with("END\n") {
                return s;
            }
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    panic!("{p} never completed");
}

/// A script writing its argv, one word per line, then END.
fn argv_script(dir: &Scratch, name: &str, shebang: bool) -> String {
    let out = dir.path(&format!("{name}.out"));
    let head = if shebang { "#!/bin/sh\n" } else { "" };
    dir.script(
        name,
        &format!("{head}for a in \"$0\" \"$@\"; do printf '%s\\n' \"$a\"; done > {out}.tmp; echo END >> {out}.tmp; mv {out}.tmp {out}\n"),
    )
}

fn alive(pid: Pid) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

#[test]
fn argv_for_execve_and_for_the_shell_as_keepalived_passes_them() {
    if !common::system_ready(&["sh"]) {
        return;
    }
    let _g = serial();
    let dir = Scratch::new("argv");
    let mut r = runner_with_track(None);
    let tail = Tail::Notify {
        state: NotifyState::Master,
        priority: 100,
    };
    for (name, run, shebang) in [("exec", Run::Exec, true), ("shell", Run::Shell, false)] {
        let path = argv_script(&dir, name, shebang);
        let s = script(&[&path, "extra 1"], run, ROOT);
        let cmd = r.register(Command::new(&s, &["INSTANCE", "VI_1"]).unwrap());
        let pid = r.spawn(now(), cmd, tail, Purpose::Notify).unwrap();
        let (exit, logs) = wait_end(&mut r, pid);
        assert_eq!(exit, ScriptExit::Exited(0));
        assert!(logs.is_empty(), "{logs:?}");
        let got = wait_file(&dir.path(&format!("{name}.out")));
        assert_eq!(
            got,
            format!("{path}\nextra 1\nINSTANCE\nVI_1\nMASTER\n100\nEND\n"),
            "{name}"
        );
    }
}

/// Reads field `name` of /proc/PID/status.
fn status_field(pid: Pid, name: &str) -> String {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_child_runs_as_its_user_in_its_own_group_with_default_signals_and_only_dev_null() {
    if !common::system_ready(&["sleep"]) {
        return;
    }
    let _g = serial();
    let sleep = common::which("sleep").unwrap();
    let mut r = runner_with_track(None);
    let s = script(&[sleep.to_str().unwrap(), "30"], Run::Exec, NOBODY);
    let cmd = r.register(Command::new(&s, &[]).unwrap());
    // Blocked and ignored signals of ours must not reach the child.
    // SAFETY: plain signal mask and disposition changes on this thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR2);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
    // A descriptor of ours without close-on-exec must not leak either.
    // SAFETY: a plain open of a NUL-terminated path.
    let leaky = unsafe { libc::open(b"/etc/passwd\0".as_ptr().cast(), libc::O_RDONLY) };
    assert!(leaky > 2);
    let pid = r.spawn(now(), cmd, Tail::None, Purpose::Notify).unwrap();
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(leaky) };
    // SAFETY: as above, undone.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR2);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGHUP, libc::SIG_DFL);
    }
    for _ in 0..500 {
        if std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c == "sleep\n") {
            break;
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    assert_eq!(status_field(pid, "Uid"), "65534 65534 65534 65534");
    assert_eq!(status_field(pid, "Gid"), "65534 65534 65534 65534");
    assert_eq!(status_field(pid, "Groups"), "65534");
    assert_eq!(status_field(pid, "SigBlk"), "0000000000000000");
    assert_eq!(status_field(pid, "SigIgn"), "0000000000000000");
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let pgrp: Pid = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(pgrp, pid);
    let mut fds: Vec<(String, PathBuf)> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_link(e.path()).unwrap(),
            )
        })
        .collect();
    fds.sort();
    let null = Path::new("/dev/null").to_path_buf();
    assert_eq!(
        fds,
        [
            ("0".into(), null.clone()),
            ("1".into(), null.clone()),
            ("2".into(), null)
        ]
    );
    assert!(!r.busy(), "nobody waits for a notify script");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let (exit, _) = wait_end(&mut r, pid);
    assert_eq!(exit, ScriptExit::Signaled(libc::SIGTERM));
}

#[test]
fn a_timed_out_tracking_script_dies_with_everything_it_started() {
    if !common::system_ready(&["sh", "sleep"]) {
        return;
    }
    let _g = serial();
    let dir = Scratch::new("group");
    let pids = dir.path("pids");
    let path = dir.script(
        "slow.sh",
        &format!("#!/bin/sh\nsleep 60 &\necho $! > {pids}.tmp\nmv {pids}.tmp {pids}\nwait\n"),
    );
    let mut r = runner_with_track(Some(script(&[&path], Run::Exec, ROOT)));
    let pid = r.run_script(now(), ScriptId(0)).unwrap();
    let mut grandchild = None;
    for _ in 0..500 {
        if let Some(p) = std::fs::read_to_string(&pids)
            .ok()
            .and_then(|s| s.trim().parse::<Pid>().ok())
        {
            grandchild = Some(p);
            break;
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    let grandchild = grandchild.expect("the script started its child");
    assert!(alive(grandchild));
    // The core's timeout: SIGTERM to the group.
    r.kill_script(ScriptId(0), Signal::Term).unwrap();
    let (exit, _) = wait_end(&mut r, pid);
    assert_eq!(exit, ScriptExit::Signaled(libc::SIGTERM));
    for _ in 0..500 {
        if !alive(grandchild) {
            break;
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    assert!(!alive(grandchild), "the script's own child died too");
    // The core may still kill the group after the end (ESRCH, or a zombie left): harmless.
    let _ = r.kill_script(ScriptId(0), Signal::Kill);
    // An unknown (or disabled) script is refused.
    assert!(r.run_script(now(), ScriptId(3)).is_err());
}

#[test]
fn missing_and_unexecutable_commands_are_logged_and_count_as_success() {
    if !common::system_ready(&["sh"]) {
        return;
    }
    let _g = serial();
    let dir = Scratch::new("fail");
    let mut r = runner_with_track(None);
    let plain = dir.path("plain");
    std::fs::write(&plain, "not a program\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let missing = dir.path("missing");
    let cases = [
        (
            script(&[&missing, "a"], Run::Shell, ROOT),
            format!("Couldn't find command: '{missing}' 'a'"),
        ),
        (
            script(&[&plain], Run::Shell, ROOT),
            format!("Couldn't execute command: '{plain}'"),
        ),
        (
            script(&[&missing], Run::Exec, ROOT),
            format!("Error exec-ing command '{missing}', error 2: No such file or directory"),
        ),
    ];
    for (s, want) in cases {
        let cmd = r.register(Command::new(&s, &[]).unwrap());
        let pid = r.spawn(now(), cmd, Tail::None, Purpose::Notify).unwrap();
        let (exit, logs) = wait_end(&mut r, pid);
        assert_eq!(exit, ScriptExit::Exited(0));
        assert_eq!(logs, [want]);
    }
    // A script's own exit status is passed on.
    let s = script(&["/bin/sh", "-c", "exit 3"], Run::Exec, ROOT);
    let cmd = r.register(Command::new(&s, &[]).unwrap());
    let pid = r.spawn(now(), cmd, Tail::None, Purpose::Notify).unwrap();
    assert_eq!(wait_end(&mut r, pid), (ScriptExit::Exited(3), vec![]));
}

#[test]
fn stop_notifications_are_waited_for_then_killed() {
    if !common::system_ready(&["sleep"]) {
        return;
    }
    let _g = serial();
    let sleep = common::which("sleep").unwrap();
    let mut r = runner_with_track(None);
    let s = script(&[sleep.to_str().unwrap(), "30"], Run::Exec, ROOT);
    let cmd = r.register(Command::new(&s, &[]).unwrap());
    let t0 = now();
    let pid = r.spawn(t0, cmd, Tail::None, Purpose::NotifyStop).unwrap();
    assert!(r.busy());
    assert_eq!(r.poll_at(), Some(t0 + Duration::from_secs(1)));
    let mut out = Vec::with_capacity(keepalived_rs::script::runner::EVENT_BATCH);
    assert!(!r.on_timeout(t0 + Duration::from_secs(1), &mut out));
    assert!(!r.busy());
    let (exit, _) = wait_end(&mut r, pid);
    assert_eq!(exit, ScriptExit::Signaled(libc::SIGKILL));
    assert_eq!(r.running(), 0);
}

/// Drives `pid` through the runner's deadlines and reaping until it ends: (exit, killed).
fn drive_misc(r: &mut Runner, pid: Pid) -> (ScriptExit, bool) {
    for _ in 0..1000 {
        let mut out = Vec::with_capacity(keepalived_rs::script::runner::EVENT_BATCH);
        if r.poll_at().is_some_and(|t| t <= now()) {
            while r.on_timeout(now(), &mut out) {}
        }
        while r.reap(&mut out) {}
        for e in &out {
            if let Event::Ended {
                pid: p,
                exit,
                killed,
                ..
            } = e
            {
                if *p == pid {
                    return (*exit, *killed);
                }
            }
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    panic!("pid {pid} did not end");
}

#[test]
fn misc_check_timeout_sigterm_counts_as_timed_out_unless_it_exits() {
    let _g = serial();
    let dir = Scratch::new("misc");
    let hang = dir.script("hang.sh", "#!/bin/sh\nexec sleep 30\n");
    let polite = dir.script(
        "polite.sh",
        "#!/bin/sh\ntrap 'exit 0' TERM\nwhile :; do sleep 0.05; done\n",
    );
    let quick = dir.script("quick.sh", "#!/bin/sh\nexit 3\n");
    let mut r = runner_with_track(None);
    let timeout = Duration::from_micros(200_000);
    let run = |r: &mut Runner, path: &str| {
        let cmd = r.register(Command::new(&script(&[path], Run::Exec, ROOT), &[]).unwrap());
        let pid = r.spawn_misc(now(), cmd, 7, timeout).expect("spawn");
        drive_misc(r, pid)
    };
    // Killed by the SIGTERM at its timeout: keepalived's "timed out".
    assert_eq!(
        run(&mut r, &hang),
        (ScriptExit::Signaled(libc::SIGTERM), true)
    );
    // It took the SIGTERM and exited 0: that status is its result.
    assert_eq!(run(&mut r, &polite), (ScriptExit::Exited(0), false));
    // Ended before its timeout.
    assert_eq!(run(&mut r, &quick), (ScriptExit::Exited(3), false));
    // A script that cannot run fails the check (the shell's 127), never passes it.
    let missing = dir.path("missing.sh");
    let cmd = r.register(Command::new(&script(&[&missing], Run::Shell, ROOT), &[]).unwrap());
    let pid = r.spawn_misc(now(), cmd, 8, timeout).expect("spawn");
    assert_eq!(drive_misc(&mut r, pid), (ScriptExit::Exited(127), false));
    assert_eq!(r.running(), 0);
}
