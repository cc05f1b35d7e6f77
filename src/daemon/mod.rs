//! The process around the cores: what keepalived's `main.c` does before and after its event
//! loop. In start-up order:
//!
//! 1. [`set_umask`] with [`umask`] (`-u`, else the configuration's `umask`, else 0177);
//! 2. [`banner::starting`]: "Starting Keepalived v2.2.7 ...", "Running on ...", "Command line";
//! 3. [`PidFiles::names`], then [`PidFiles::already_running`]: keepalived refuses to start
//!    while a live process holds one of its pidfiles;
//! 4. [`detach::daemonize`] unless `-n`;
//! 5. [`PidFiles::create`]: our pid in every pidfile, removed when the guard drops;
//! 6. the loop runs; [`Notifier`] says READY=1 (RELOADING=1 and READY=1 again around a
//!    reload, STOPPING=1 on the way out);
//! 7. [`banner::stopping`], the cores stop, [`banner::stopped`].

pub mod banner;
pub mod detach;
pub mod notify;
pub mod pidfile;

pub use notify::Notifier;
pub use pidfile::{PidFiles, PidGuard};

use crate::cli;
use crate::config::model::global::Global;

/// keepalived's default file creation mask (`umask_val`): files are private to root.
pub const DEFAULT_UMASK: u32 = 0o177;

/// The umask keepalived runs with: `-u`, else the configuration's `umask`, else 0177.
pub fn umask(o: &cli::Options, g: &Global) -> u32 {
    o.umask.or(g.umask).unwrap_or(DEFAULT_UMASK)
}

pub fn set_umask(mask: u32) {
    // SAFETY: umask cannot fail; only the permission bits are passed.
    unsafe { libc::umask((mask & 0o777) as libc::mode_t) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_umask_wins_over_the_configuration_s() {
        let mut o = cli::Options::default();
        let mut g = Global::default();
        assert_eq!(umask(&o, &g), 0o177);
        g.umask = Some(0o022);
        assert_eq!(umask(&o, &g), 0o022);
        o.umask = Some(0o077);
        assert_eq!(umask(&o, &g), 0o077);
    }
}
