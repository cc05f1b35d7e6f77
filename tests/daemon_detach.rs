//! `daemonize` in a real process: this binary runs itself with KA_DETACH_REPORT set; that
//! copy daemonizes and reports what it became. The copy started returns 0 at once; the
//! daemon is in a new session without leading it, in /, with /dev/null for its standard
//! streams. No test harness (Cargo.toml): fork needs a single-threaded process.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use keepalived_rs::daemon::detach::daemonize;

fn report(path: PathBuf) {
    if daemonize().is_err() {
        std::process::exit(3);
    }
    // SAFETY: plain syscalls with no arguments that can be wrong.
    let (pid, sid, pgid) = unsafe { (libc::getpid(), libc::getsid(0), libc::getpgrp()) };
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let fds: Vec<String> = (0..3)
        .map(|fd| {
            std::fs::read_link(format!("/proc/self/fd/{fd}"))
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        })
        .collect();
    let text = format!("{pid} {sid} {pgid} {cwd} {}\n", fds.join(" "));
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, &path);
    }
}

fn main() {
    if let Some(path) = std::env::var_os("KA_DETACH_REPORT") {
        report(PathBuf::from(path));
        return;
    }
    let path = std::env::temp_dir().join(format!("ka-detach-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let me = std::env::current_exe().expect("own path");
    let mut child = Command::new(me)
        .env("KA_DETACH_REPORT", &path)
        .spawn()
        .expect("spawn");
    let started = child.id() as i32;
    let status = child.wait().expect("wait");
    assert!(status.success(), "the process started exits 0: {status}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&path) {
            break t;
        }
        assert!(Instant::now() < deadline, "the daemon never reported");
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = std::fs::remove_file(&path);
    let f: Vec<&str> = text.split_whitespace().collect();
    let num = |k: usize| f[k].parse::<i32>().expect("number");
    let (pid, sid, pgid) = (num(0), num(1), num(2));
    // SAFETY: plain syscall.
    let our_sid = unsafe { libc::getsid(0) };
    assert_ne!(pid, started, "the daemon is a new process");
    assert_ne!(sid, our_sid, "in a new session");
    assert_ne!(sid, pid, "which it does not lead (second fork)");
    assert_eq!(pgid, sid);
    assert_eq!(f[3], "/");
    assert_eq!(&f[4..7], ["/dev/null", "/dev/null", "/dev/null"]);
    println!("test daemonize_detaches ... ok");
    println!("daemon_detach: 1 passed, 0 failed");
}
