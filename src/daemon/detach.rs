//! Daemonizing unless `-n`: keepalived's `xdaemon()` (fork, the parent exits, setsid,
//! chdir /, standard streams on /dev/null) with a second fork after setsid, so that the
//! daemon is not a session leader and can never acquire a controlling terminal.
//!
//! Call it before anything starts a thread or registers an fd with the loop: the process
//! that returns is a new one (its pid is what the pidfiles get).

use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsRawFd;

/// Returns in the daemon; the original process and the intermediate one exit 0.
pub fn daemonize() -> io::Result<()> {
    fork_and_leave()?;
    // SAFETY: plain syscall; the child of a fork is never a process group leader.
    if unsafe { libc::setsid() } < 0 {
        return Err(io::Error::last_os_error());
    }
    fork_and_leave()?;
    std::env::set_current_dir("/")?;
    let null = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for fd in 0..3 {
        // SAFETY: dup2 onto the standard descriptors, which we own; `null` stays open
        // across the call and is closed when dropped.
        if unsafe { libc::dup2(null.as_raw_fd(), fd) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Forks; the parent leaves at once with `_exit(0)` (no atexit handlers, no stdio buffers
/// flushed twice), the child returns.
fn fork_and_leave() -> io::Result<()> {
    // SAFETY: the daemon is single-threaded here (documented precondition), so the child
    // may go on running Rust code.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(()),
        // SAFETY: _exit ends the parent without touching shared state.
        _ => unsafe { libc::_exit(0) },
    }
}
