//! The daemon: keepalived's start-up, one poll loop, reload and stop, around the cores.
//!
//! ```text
//!  run ─ load config ─ log ─ pidfiles ─ daemonize ─ VrrpSide::new ─ loop {
//!        wait(min poll_at) → signals (TERM/INT stop, HUP reload, USR1/USR2/JSON dumps,
//!        CHLD reap) → ready fds (adverts, netlink) → deadlines }
//! ```
//!
//! `ifaces` follows the interfaces, `vrrp` executes what the VRRP core asks for.

pub mod heap;
mod ifaces;
#[cfg(feature = "lvs")]
mod lvs;
#[cfg(not(feature = "lvs"))]
#[path = "lvs_absent.rs"]
mod lvs;
mod vrrp;

use std::os::fd::BorrowedFd;

use log::{error, info, warn};

use crate::cli::Options;
use crate::config::{self, Config, LoadOptions};
use crate::daemon::{self, banner, PidFiles};
use crate::event::{self, Interest, Loop, Signal, Token};
use crate::limits;
use crate::script::TrackFiles;
use crate::sys::RealHost;
use crate::time::{Duration, Instant};

pub use lvs::LvsSide;
pub use vrrp::{Source, VrrpSide};

/// What the LVS side borrows from the rest of the daemon to act.
pub struct LvsIo<'a> {
    pub lp: &'a mut Loop,
    pub runner: &'a mut crate::script::Runner,
    pub notifier: &'a mut crate::script::Notifier,
}

/// How long shutdown waits for STOP notifications and killed scripts at most.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// Reads the configuration. At start-up keepalived runs with what it could read; a reload
/// (`strict`) is refused if anything would make `-t` fail.
fn load(o: &Options, strict: bool) -> Result<Config, i32> {
    let host = RealHost::default();
    let opts = LoadOptions {
        path: o.config_file.clone(),
        config_id: o.config_id.clone(),
        all_config: o.all_config,
    };
    let loaded = config::load(&opts, &host);
    for m in loaded.messages() {
        warn!("{m}");
    }
    let code = loaded.exit_code();
    match loaded.config {
        Some(c) if loaded.fatal.is_none() && !(strict && code != 0) => Ok(c),
        _ => Err(code.max(1)),
    }
}

/// `-C`: no VRRP instances, but the tracked files FILE_CHECKs read.
fn only_track_files(c: &mut Config) {
    let files = std::mem::take(&mut c.vrrp.track_files);
    c.vrrp = Default::default();
    c.vrrp.track_files = files;
}

/// Runs the daemon as the command line says; returns the exit status.
pub fn run(o: &Options, argv: &[String]) -> i32 {
    crate::log::init(crate::log::Options::from_cli(o));
    let config = match load(o, false) {
        Ok(c) => c,
        Err(code) => {
            error!("Stopping: the configuration has errors");
            return code;
        }
    };
    daemon::set_umask(daemon::umask(o, &config.global));
    banner::starting(argv);
    let pids = PidFiles::names(o, config.global.use_pid_dir, None, o.subsystems);
    if pids.already_running() {
        return 0;
    }
    if !o.dont_fork {
        if let Err(e) = daemon::detach::daemonize() {
            error!("daemonize: {e}");
            return 1;
        }
    }
    let _pidfiles = match pids.create() {
        Ok(g) => g,
        Err(_) => return 1,
    };
    let code = match Daemon::new(o, config) {
        Ok(mut d) => d.run(),
        Err(e) => {
            error!("{e}");
            1
        }
    };
    banner::stopped();
    code
}

struct Daemon<'o> {
    opts: &'o Options,
    lp: Loop,
    /// With `-C` alone the VRRP side has no instances.
    side: VrrpSide,
    /// Not with `-P`, nor without virtual servers.
    lvs: Option<LvsSide>,
    /// What each registered token is: `sources[token]`.
    sources: Vec<Source>,
    ready: Vec<Token>,
    sd: Option<daemon::Notifier>,
    /// Allocations when start-up (or the last reload) ended.
    heap_base: u64,
}

impl<'o> Daemon<'o> {
    fn new(opts: &'o Options, mut config: Config) -> Result<Daemon<'o>, String> {
        let umask = daemon::umask(opts, &config.global);
        let mut lvs = if opts.subsystems.check {
            let syncd = opts.subsystems.vrrp
                && (config.global.lvs_sync_daemon.is_some()
                    || config.vrrp.lvs_sync_interface.is_some());
            LvsSide::new(&config, opts.dont_release_ipvs, syncd)
        } else {
            None
        };
        if !opts.subsystems.vrrp {
            only_track_files(&mut config);
        }
        let lvs_line = lvs.as_ref().map(|_| lvs::fifo_line_len(&config));
        let mut side = VrrpSide::new(config, opts.dont_release_vrrp, umask).map_err(|e| e.0)?;
        side.lvs_line = lvs_line;
        if let Some(l) = &mut lvs {
            let s = side.shared();
            l.register_scripts(s.config, s.runner);
        }
        let lp = Loop::new(limits::MAX_LOOP_FDS).map_err(|e| format!("event loop: {e}"))?;
        let mut d = Daemon {
            opts,
            lp,
            side,
            lvs,
            sources: Vec::with_capacity(limits::MAX_LOOP_FDS),
            ready: Vec::with_capacity(limits::MAX_LOOP_FDS),
            sd: daemon::Notifier::from_env(),
            heap_base: 0,
        };
        d.register()?;
        Ok(d)
    }

    /// (Re)registers every descriptor of the VRRP side.
    fn register(&mut self) -> Result<(), String> {
        for k in 0..self.sources.len() {
            self.lp.deregister(Token(k as u32));
        }
        self.sources.clear();
        for (src, fd) in self.side.sources() {
            let token = Token(self.sources.len() as u32);
            // SAFETY: the VRRP side owns `fd` and keeps it open while it is registered: it
            // is deregistered here before any reload or reopen replaces it.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            self.lp
                .register(fd, token, Interest::READABLE)
                .map_err(|e| e.to_string())?;
            self.sources.push(src);
        }
        Ok(())
    }

    fn run(&mut self) -> i32 {
        let now = event::now();
        // The VRRP side first: it opens the FIFOs the LVS side writes to.
        self.side.start(now);
        self.with_lvs(|l, _, files, io| {
            l.start(now);
            l.start_checkers(now, files.values(), io);
        });
        self.forward_syncd();
        self.register_if_changed();
        if let Some(sd) = &self.sd {
            let _ = sd.ready();
        }
        let mut stop_by: Option<Instant> = None;
        self.heap_base = heap::allocations();
        loop {
            let lvs_at = if stop_by.is_none() {
                self.lvs.as_ref().and_then(|l| l.poll_at())
            } else {
                None
            };
            let deadline = [self.side.poll_at(), stop_by, lvs_at]
                .into_iter()
                .flatten()
                .min();
            let (now, signals) = match self.lp.wait(deadline) {
                Ok(r) => {
                    self.ready.clear();
                    self.ready.extend(r.events().map(|e| e.token));
                    (r.now, r.signals)
                }
                Err(e) => {
                    error!("event loop: {e}");
                    return 1;
                }
            };
            for s in signals.iter() {
                match s {
                    Signal::Term | Signal::Int if stop_by.is_none() => {
                        if crate::log::detail() {
                            let n = heap::allocations() - self.heap_base;
                            info!(
                                "Heap allocations in the event loop since start-up or reload: {n}"
                            );
                        }
                        banner::stopping();
                        if let Some(sd) = &self.sd {
                            let _ = sd.stopping();
                        }
                        self.side.stop(now);
                        self.forward_syncd();
                        self.with_lvs(|l, _, _, io| l.stop(now, io));
                        stop_by = Some(now + STOP_WAIT);
                    }
                    Signal::Reload if stop_by.is_none() => self.reload(now),
                    Signal::Child => self.side.on_child(now),
                    Signal::Data | Signal::Stats | Signal::StatsClear | Signal::Json => {
                        self.side.dump(now, s)
                    }
                    _ => {}
                }
            }
            for k in 0..self.ready.len() {
                let t = self.ready[k];
                if t.0 >= lvs::PROBE_TOKEN {
                    self.with_lvs(|l, _, _, io| l.on_ready(now, t, io));
                } else if let Some(&src) = self.sources.get(t.0 as usize) {
                    self.side.on_ready(now, src);
                }
            }
            self.side.on_timeout(now);
            if stop_by.is_none() {
                self.with_lvs(|l, _, _, io| l.on_timeout(now, io));
                self.forward_scripts(now);
            }
            self.forward_syncd();
            self.register_if_changed();
            if let Some(by) = stop_by {
                if !self.side.busy() || now >= by {
                    self.side.finish();
                    return 0;
                }
            }
        }
    }

    /// Runs `f` on the LVS side, if there is one, with what it borrows from the VRRP side.
    fn with_lvs(&mut self, f: impl FnOnce(&mut LvsSide, &Config, &TrackFiles, &mut LvsIo)) {
        let Some(l) = self.lvs.as_mut() else {
            return;
        };
        let s = self.side.shared();
        let mut io = LvsIo {
            lp: &mut self.lp,
            runner: s.runner,
            notifier: s.notifier,
        };
        f(l, s.config, s.files, &mut io);
    }

    /// MISC_CHECK ends, tracked-file and address changes, from the shared runner and
    /// watchers to the checkers.
    fn forward_scripts(&mut self, now: Instant) {
        while let Some((id, exit)) = self.side.take_misc() {
            self.with_lvs(|l, _, _, io| l.misc_result(now, id, exit, io));
        }
        if self.side.take_files_changed() {
            self.with_lvs(|l, _, files, io| l.file_values(now, files.values(), io));
        }
        if self.side.take_addrs_changed() {
            self.with_lvs(|l, _, _, io| l.addresses_changed(now, io));
        }
    }

    /// The LVS sync daemon starts and stops the VRRP core asked for, to IPVS.
    fn forward_syncd(&mut self) {
        while let Some((role, start)) = self.side.take_syncd() {
            if let Some(l) = &mut self.lvs {
                l.syncd(self.side.router.sync_daemon(), role, start);
            }
        }
    }

    fn register_if_changed(&mut self) {
        if self.side.take_sources_changed() {
            if let Err(e) = self.register() {
                error!("event loop: {e}");
            }
        }
    }

    /// SIGHUP: the new configuration is read and checked first; with errors the running
    /// one stays.
    fn reload(&mut self, now: Instant) {
        if let Some(sd) = &self.sd {
            let _ = sd.reloading();
        }
        match load(self.opts, true) {
            Ok(mut c) => {
                if !self.opts.subsystems.vrrp {
                    only_track_files(&mut c);
                }
                self.side.lvs_line = self.lvs.as_ref().map(|_| lvs::fifo_line_len(&c));
                // The VRRP side makes the new script runner the LVS side registers with.
                self.side.reload(now, c);
                self.with_lvs(|l, config, files, io| l.reload(now, config, files.values(), io));
                self.forward_syncd();
                self.register_if_changed();
            }
            Err(_) => error!("Reload: the new configuration has errors; keeping the running one"),
        }
        if let Some(sd) = &self.sd {
            let _ = sd.ready();
        }
        // Reading a configuration allocates; the loop's count starts again after it.
        self.heap_base = heap::allocations();
    }
}
