//! The VRRP side of the daemon: the core (`Router`) with the IO it asks for. Inputs (an
//! advert, a netlink event, a child's end, a deadline) go to the core; the actions it
//! pushes are executed here, in order: adverts sent, addresses added and removed over
//! rtnetlink, gratuitous ARPs paced out, scripts spawned, notifications made, lines logged.
//!
//! Everything is sized in [`VrrpSide::new`]; handling an input allocates nothing.

use std::net::IpAddr;
use std::os::fd::{AsRawFd, RawFd};

use crate::config::model::vrrp::{Family, Instance as InstanceConfig};
use crate::config::Config;
use crate::limits;
use crate::net::garp::{self, Announce, Announcer, Intervals, LaneId, Pacer};
use crate::net::nl::{self, AddrSpec, Firewall, VmacOrigin, VmacSpec, VmacSysctls};
use crate::net::vrrp_sock::{VrrpSockets, RECV_BUF_LEN};
use crate::script::{self, FileEvent, MiscExit, Notifier, Runner, TrackFiles, TrackProcesses};
use crate::status::{Dump, ScriptState, Status, Transitions, View};
use crate::time::Instant;
use crate::vrrp::action::{
    Action, Actions, GarpScope, GroupId, InstanceId, NotifyState, SendAdvert, SockId, Target,
};
use crate::vrrp::lvs_syncd::SyncdRole;
use crate::vrrp::router::Router;
use crate::vrrp::track::ScriptExit;
use crate::vrrp::tx::MAX_ADVERT_LEN;

use super::ifaces::{Ifaces, PrimaryChange};
use crate::net::nl::Interfaces as _;

mod execute;
mod setup;

use setup::{all_vips, files_capacity, is_configured_vip, make_vmacs, open_firewall, trackers};

/// Sync daemon requests one input can make: stop one role, start the other, and again.
const SYNCD_QUEUE: usize = 8;

/// Why the VRRP side could not start.
#[derive(Debug)]
pub struct StartError(pub String);

pub struct VrrpSide {
    pub config: Config,
    pub router: Router,
    socks: VrrpSockets,
    announcer: Option<Announcer>,
    pacer: Pacer,
    nl: nl::Command,
    monitor: nl::Monitor,
    pub ifaces: Ifaces,
    /// The daemon's one script runner: VRRP's scripts and the LVS side's (MISC_CHECK,
    /// notify_up/down, quorum_up/down) alike, reaped together.
    pub runner: Runner,
    notifier: Notifier,
    /// The longest LVS FIFO line, when the LVS side runs (its FIFO lines go through our
    /// notifier).
    pub lvs_line: Option<usize>,
    /// Ends of MISC_CHECK scripts, for the LVS side.
    misc_done: Vec<(u32, MiscExit)>,
    files: TrackFiles,
    /// A tracked file's value changed (FILE_CHECKs read them too).
    files_changed: bool,
    /// An address came or went (ha_suspend checkers follow theirs).
    addrs_changed: bool,
    procs: TrackProcesses,
    /// Refused track_file values seen while draining inotify, logged afterwards.
    invalid: Vec<FileEvent>,
    out: Actions,
    events: Vec<script::Event>,
    packet: Box<[u8]>,
    rx: Box<[u8]>,
    nlbuf: Box<[u8]>,
    /// nf_tables sets dropping traffic to and from the VIPs of `no_accept` masters.
    firewall: Option<Firewall>,
    /// VMACs made this run: (index, parent, IPv4), deleted at the end.
    vmacs: Vec<(u32, nl::IfName, bool)>,
    sysctls: VmacSysctls,
    /// The status dumps (SIGUSR1, SIGUSR2, the JSON signal), rendered into reused buffers.
    status: Status,
    transitions: Transitions,
    ifindex: Vec<u32>,
    script_states: Vec<ScriptState>,
    umask: u32,
    /// LVS sync daemon starts (true) and stops the core asked for, for the LVS side.
    syncd: Vec<(SyncdRole, bool)>,
    /// `-V`: addresses stay when the daemon stops.
    keep_addresses: bool,
    stopping: bool,
    /// During a reload, until the `Reloaded` marker: the new configuration.
    next_config: Option<Box<Config>>,
    /// The set of open sockets changed (a socket reopened): the loop registers again.
    sources_changed: bool,
    /// Failures of IO the core asked for, by kind (logged as they happen).
    pub io_errors: u64,
}

/// See [`VrrpSide::shared`].
pub struct Shared<'a> {
    pub config: &'a Config,
    pub runner: &'a mut Runner,
    pub notifier: &'a mut Notifier,
    pub files: &'a TrackFiles,
}

/// What the poll loop watches for this side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Socket(SockId),
    Monitor,
    /// inotify on the tracked files' directories.
    Files,
    /// The proc connector (tracked processes).
    Processes,
}

fn vip_dev<'a>(c: &'a InstanceConfig, vip_dev: Option<&'a str>) -> Option<&'a str> {
    vip_dev
        .or(c.vmac.as_ref().map(|v| v.name.as_str()))
        .or(c.interface.as_deref())
}

impl VrrpSide {
    pub fn new(config: Config, keep_addresses: bool, umask: u32) -> Result<VrrpSide, StartError> {
        // VMACs first: the sockets of their instances are bound to them.
        let mut nl = nl::Command::open().map_err(|e| StartError(format!("netlink: {e}")))?;
        let mut sysctls = VmacSysctls::new(config.vrrp.instances.len());
        let vmacs = make_vmacs(&mut nl, &mut sysctls, &config, &[]);
        let firewall = open_firewall(&config);
        let router = Router::new(&config.vrrp, &config.global);
        let mut socks = VrrpSockets::new(&router, &config.vrrp);
        for (id, e) in socks.open_all() {
            log::error!("VRRP socket {}: {e}", id.0);
        }
        let mut monitor =
            nl::Monitor::open().map_err(|e| StartError(format!("netlink monitor: {e}")))?;
        monitor.ignore_port(nl.port());
        let vips = all_vips(&config);
        let ifaces = Ifaces::load(&mut nl, &|a| vips.contains(&a))
            .map_err(|e| StartError(format!("netlink dump: {e}")))?;
        let pacer = Pacer::new(
            &vec![Intervals::global(&config.global); limits::MAX_INTERFACES],
            garp::queue_capacity(&config.vrrp),
        );
        let mut runner = Runner::new(&config.vrrp, &config.global)
            .map_err(|e| StartError(format!("script runner: {e:?}")))?;
        let notifier = Notifier::new(&config.vrrp, &mut runner);
        let (files, procs) = trackers(&config, false);
        let invalid = Vec::with_capacity(files_capacity(&config));
        let announcer = match Announcer::open() {
            Ok(a) => Some(a),
            Err(e) => {
                log::error!("gratuitous ARP socket: {e}");
                None
            }
        };
        let out = Actions::with_capacity(router.action_capacity());
        let n = config.vrrp.instances.len();
        Ok(VrrpSide {
            status: Status::new(n),
            transitions: Transitions::new(n, crate::event::wall()),
            ifindex: Vec::with_capacity(limits::MAX_INTERFACES),
            script_states: Vec::with_capacity(limits::MAX_VRRP_SCRIPTS),
            umask,
            config,
            router,
            socks,
            announcer,
            pacer,
            nl,
            monitor,
            ifaces,
            runner,
            notifier,
            lvs_line: None,
            misc_done: Vec::with_capacity(limits::MAX_SCRIPT_CHILDREN),
            files_changed: false,
            addrs_changed: false,
            invalid,
            files,
            procs,
            out,
            events: Vec::with_capacity(script::runner::EVENT_BATCH),
            packet: vec![0; MAX_ADVERT_LEN].into_boxed_slice(),
            rx: vec![0; RECV_BUF_LEN].into_boxed_slice(),
            nlbuf: vec![0; limits::NL_RECV_BUFFER].into_boxed_slice(),
            firewall,
            vmacs,
            sysctls,
            syncd: Vec::with_capacity(SYNCD_QUEUE),
            keep_addresses,
            stopping: false,
            next_config: None,
            sources_changed: false,
            io_errors: 0,
        })
    }

    /// The descriptors to poll, with what each is.
    pub fn sources(&self) -> impl Iterator<Item = (Source, RawFd)> + '_ {
        self.socks
            .fds()
            .map(|(id, fd)| (Source::Socket(id), fd))
            .chain(std::iter::once((Source::Monitor, self.monitor.as_raw_fd())))
            .chain(self.files.fd().map(|fd| (Source::Files, fd.as_raw_fd())))
            .chain(
                self.procs
                    .fd()
                    .map(|fd| (Source::Processes, fd.as_raw_fd())),
            )
    }

    fn queue_syncd(&mut self, role: SyncdRole, start: bool) {
        if self.syncd.len() < self.syncd.capacity() {
            self.syncd.push((role, start));
        }
    }

    /// The next LVS sync daemon request, oldest first.
    pub fn take_syncd(&mut self) -> Option<(SyncdRole, bool)> {
        (!self.syncd.is_empty()).then(|| self.syncd.remove(0))
    }

    /// True once after the set of descriptors to poll changed.
    pub fn take_sources_changed(&mut self) -> bool {
        std::mem::take(&mut self.sources_changed)
    }

    /// `static_ipaddress`, `static_routes`, `static_rules`: added at start-up whatever the
    /// VRRP states, removed at the end (kept with `-V`).
    fn statics(&mut self, add: bool) {
        let v = &self.config.vrrp;
        let default = self
            .config
            .global
            .default_interface
            .as_deref()
            .unwrap_or("eth0");
        let verb = if add { "adding" } else { "removing" };
        if !add {
            for r in v.static_rules.iter().rev() {
                if let Err(e) = self.nl.del_rule(r) {
                    log::error!("{verb} static rule: {e}");
                }
            }
            for r in v.static_routes.iter().rev() {
                if let Err(e) = self.nl.del_route(r, &self.ifaces) {
                    log::error!("{verb} static route: {e}");
                }
            }
        }
        for a in &v.static_addresses {
            let dev = a.dev.as_deref().unwrap_or(default);
            let Some(index) = self.ifaces.ifindex(dev) else {
                log::error!("static address {}: no interface {dev}", a.addr);
                continue;
            };
            let spec = AddrSpec::from(a);
            let r = if add {
                self.nl.add_address(index, &spec)
            } else {
                self.nl.del_address(index, &spec)
            };
            if let Err(e) = r {
                log::error!("{verb} static address {}: {e}", a.addr);
            }
        }
        if add {
            for r in &v.static_routes {
                if let Err(e) = self.nl.add_route(r, &self.ifaces) {
                    log::error!("{verb} static route: {e}");
                }
            }
            for r in &v.static_rules {
                if let Err(e) = self.nl.add_rule(r) {
                    log::error!("{verb} static rule: {e}");
                }
            }
        }
    }

    /// Tells the core what the interfaces are like, then starts it.
    pub fn start(&mut self, now: Instant) {
        self.statics(true);
        let mut log_lines =
            self.notifier
                .open_fifos(&self.config.global, &mut self.runner, now, self.lvs_line);
        for l in log_lines.drain(..) {
            log::error!("{l}");
        }
        self.out.clear();
        for i in self.ifaces.iter() {
            let name = i.name.as_str();
            self.router.link_changed(now, name, i.up(), &mut self.out);
            for family in [Family::V4, Family::V6] {
                self.router
                    .interface_address(now, name, family, i.primary(family), &mut self.out);
            }
        }
        self.tracked_values(now);
        self.router.start(now, &mut self.out);
        self.execute(now);
    }

    /// What the file and process trackers read at start-up (or reload), to the core.
    fn tracked_values(&mut self, now: Instant) {
        for (id, v) in self.files.values() {
            self.router.file_value(now, id, v, &mut self.out);
        }
        for (id, up) in self.procs.states() {
            self.router.process_changed(now, id, up, &mut self.out);
        }
    }

    /// The earliest deadline of the core, the GARP pacer and the children.
    pub fn poll_at(&self) -> Option<Instant> {
        [
            self.router.poll_at(),
            self.pacer.poll_at(),
            self.runner.poll_at(),
            self.procs.poll_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Deadlines that have come.
    pub fn on_timeout(&mut self, now: Instant) {
        if self.router.poll_at().is_some_and(|t| t <= now) {
            self.out.clear();
            self.router.handle_timeout(now, &mut self.out);
            self.execute(now);
        }
        while let Some(m) = self.pacer.due(now) {
            self.announce(m);
        }
        if self.procs.poll_at().is_some_and(|t| t <= now) {
            self.out.clear();
            let (router, out) = (&mut self.router, &mut self.out);
            self.procs
                .on_timeout(now, |id, up| router.process_changed(now, id, up, out));
            self.execute(now);
        }
        if self.runner.poll_at().is_some_and(|t| t <= now) {
            loop {
                self.events.clear();
                let more = self.runner.on_timeout(now, &mut self.events);
                self.child_events(now);
                if !more {
                    break;
                }
            }
        }
    }

    /// A descriptor of ours is readable: drain it.
    pub fn on_ready(&mut self, now: Instant, src: Source) {
        match src {
            Source::Socket(id) => self.adverts(now, id),
            Source::Monitor => self.netlink(now),
            Source::Files => {
                self.out.clear();
                self.invalid.clear();
                let (router, out, invalid) = (&mut self.router, &mut self.out, &mut self.invalid);
                let changed = &mut self.files_changed;
                self.files.on_readable(|e| match e {
                    FileEvent::Value(id, v) => {
                        *changed = true;
                        router.file_value(now, id, v, out)
                    }
                    FileEvent::Invalid(..) => {
                        if invalid.len() < invalid.capacity() {
                            invalid.push(e);
                        }
                    }
                });
                for e in &self.invalid {
                    log::info!("{}", self.files.show(*e));
                }
                self.execute(now);
            }
            Source::Processes => {
                self.out.clear();
                let (router, out) = (&mut self.router, &mut self.out);
                self.procs.on_readable(
                    now,
                    |id, up| router.process_changed(now, id, up, out),
                    |m| log::error!("{m}"),
                );
                self.execute(now);
            }
        }
    }

    fn adverts(&mut self, now: Instant, id: SockId) {
        loop {
            self.out.clear();
            match self.socks.recv(id, &mut self.rx) {
                Ok(Some(rx)) => self.router.handle_advert(now, id, &rx, &mut self.out),
                Ok(None) => return,
                Err(e) => {
                    self.io_errors += 1;
                    log::error!("VRRP socket {}: receive: {e}", id.0);
                    return;
                }
            }
            self.execute(now);
        }
    }

    fn netlink(&mut self, now: Instant) {
        // The buffer is moved out while its events are handled (which needs all of self);
        // an empty box takes its place without allocating.
        let mut buf = std::mem::take(&mut self.nlbuf);
        self.netlink_read(now, &mut buf);
        self.nlbuf = buf;
    }

    fn netlink_read(&mut self, now: Instant, buf: &mut [u8]) {
        loop {
            let events = match self.monitor.read(buf) {
                Ok(Some(ev)) => ev,
                Ok(None) => return,
                Err(e) => {
                    // An overrun lost events: what we know may be stale until the next ones.
                    self.io_errors += 1;
                    log::error!("netlink monitor: {e}");
                    return;
                }
            };
            for ev in events {
                self.out.clear();
                match ev {
                    Ok(nl::Event::Link(l)) => {
                        if let Some((k, changed)) = self.ifaces.link(&l) {
                            if changed {
                                let up = self.ifaces.get(k).is_some_and(|i| i.up());
                                self.router
                                    .link_changed(now, l.name.as_str(), up, &mut self.out);
                                if up {
                                    self.sources_changed |=
                                        reopen(&mut self.socks, &self.router, l.name.as_str());
                                }
                            }
                        }
                    }
                    Ok(nl::Event::LinkDeleted(l)) => {
                        if self.ifaces.link_deleted(&l).is_some() {
                            self.router
                                .link_changed(now, l.name.as_str(), false, &mut self.out);
                        }
                    }
                    Ok(nl::Event::AddrAdded(a)) => {
                        self.addrs_changed = true;
                        let cfg = &self.config.vrrp;
                        let is_vip = |x: IpAddr| is_configured_vip(cfg, x);
                        if let Some(c) = self.ifaces.address_added(&a, &is_vip) {
                            primary_changed(&mut self.router, &self.ifaces, now, c, &mut self.out);
                        }
                    }
                    Ok(nl::Event::AddrRemoved(a)) => {
                        self.addrs_changed = true;
                        let cfg = &self.config.vrrp;
                        let is_vip = |x: IpAddr| is_configured_vip(cfg, x);
                        if let Some(c) = self.ifaces.address_removed(&a, &mut self.nl, &is_vip) {
                            primary_changed(&mut self.router, &self.ifaces, now, c, &mut self.out);
                        }
                        if let Some(i) = self
                            .ifaces
                            .by_index(a.ifindex)
                            .and_then(|k| self.ifaces.get(k))
                        {
                            let name = i.name;
                            self.router
                                .address_removed(now, name.as_str(), a.addr, &mut self.out);
                        }
                    }
                    Err(e) => {
                        self.io_errors += 1;
                        log::error!("netlink monitor: malformed message: {e}");
                    }
                }
                self.execute(now);
            }
        }
    }

    fn queue_misc(&mut self, id: u32, exit: MiscExit) {
        if self.misc_done.len() < self.misc_done.capacity() {
            self.misc_done.push((id, exit));
        }
    }

    /// The next MISC_CHECK end for the LVS side.
    pub fn take_misc(&mut self) -> Option<(u32, MiscExit)> {
        self.misc_done.pop()
    }

    /// Whether an address came or went since the last call.
    pub fn take_addrs_changed(&mut self) -> bool {
        std::mem::take(&mut self.addrs_changed)
    }

    /// Whether a tracked file's value changed since the last call.
    pub fn take_files_changed(&mut self) -> bool {
        std::mem::take(&mut self.files_changed)
    }

    /// What the LVS side borrows: the configuration, the script runner and notifier for
    /// its scripts and FIFO lines, the tracked files for its FILE_CHECKs.
    pub fn shared(&mut self) -> Shared<'_> {
        Shared {
            config: &self.config,
            runner: &mut self.runner,
            notifier: &mut self.notifier,
            files: &self.files,
        }
    }

    /// SIGCHLD: reap, and hand the ends of tracking scripts to the core.
    pub fn on_child(&mut self, now: Instant) {
        loop {
            self.events.clear();
            let more = self.runner.reap(&mut self.events);
            self.child_events(now);
            if !more {
                return;
            }
        }
    }

    fn child_events(&mut self, now: Instant) {
        for k in 0..self.events.len() {
            match self.events[k] {
                script::Event::Ended {
                    purpose: script::Purpose::Track(id),
                    exit,
                    ..
                } => {
                    self.out.clear();
                    self.router.script_result(now, id, exit, &mut self.out);
                    self.execute(now);
                }
                script::Event::Ended {
                    purpose: script::Purpose::Misc(id),
                    exit,
                    killed,
                    ..
                } => {
                    let exit = match exit {
                        _ if killed => MiscExit::TimedOut,
                        ScriptExit::Exited(c) => MiscExit::Exited(c as u8),
                        ScriptExit::Signaled(s) => MiscExit::Signaled(s),
                    };
                    self.queue_misc(id, exit);
                }
                script::Event::GaveUp {
                    purpose: script::Purpose::Misc(id),
                    ..
                } => self.queue_misc(id, MiscExit::TimedOut),
                script::Event::Ended { .. } | script::Event::GaveUp { .. } => {}
                script::Event::Log(ref m) => log::info!("{}", self.runner.show(m)),
            }
        }
    }

    /// SIGTERM: priority-0 adverts, addresses removed (unless `-V`), STOP notifications.
    pub fn stop(&mut self, now: Instant) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        self.runner.shutdown(now);
        self.out.clear();
        self.router.stop(now, &mut self.out);
        self.execute(now);
    }

    /// SIGHUP with a valid new configuration: the core reloads flap-free (unchanged
    /// instances keep their state, addresses and timers); the sockets, scripts and FIFOs
    /// are those of the new configuration from the `Reloaded` marker on.
    pub fn reload(&mut self, now: Instant, config: Config) {
        let mut next = Router::new(&config.vrrp, &config.global);
        next.adopt_host_state(&self.router);
        let mut scratch = Actions::with_capacity(next.action_capacity());
        for i in self.ifaces.iter() {
            let name = i.name.as_str();
            next.link_changed(now, name, i.up(), &mut scratch);
            for family in [Family::V4, Family::V6] {
                next.interface_address(now, name, family, i.primary(family), &mut scratch);
            }
        }
        let mut out =
            Actions::with_capacity(self.router.action_capacity() + next.action_capacity());
        let Some(old) = self.router.reload(now, next, &mut out) else {
            log::error!("Reload refused: the VRRP core is stopping");
            return;
        };
        self.out = out;
        // The actions before the marker name the old router and configuration; the new
        // configuration waits beside it (`RemoveStale` compares the two).
        let new_router = std::mem::replace(&mut self.router, old);
        self.next_config = Some(Box::new(config));
        let marker = self
            .out
            .iter()
            .position(|a| *a == Action::Reloaded)
            .unwrap_or(self.out.len());
        self.execute_range(now, 0, marker);
        // From the marker on: the new core, with its own sockets, scripts and FIFOs.
        self.transitions =
            self.transitions
                .after_reload(&self.router, &new_router, crate::event::wall());
        self.router = new_router;
        if let Some(c) = self.next_config.take() {
            self.config = *c;
        }
        self.rebuild_io(now);
        let len = self.out.len();
        self.execute_range(now, marker, len);
        if self.config.global.fifo_write_vrrp_states_on_reload {
            self.fifo_states(marker, len);
        }
        self.out.clear();
        self.tracked_values(now);
        self.execute(now);
        let cap = self.router.action_capacity();
        self.out = Actions::with_capacity(cap);
        self.sources_changed = true;
    }

    /// `fifo_write_vrrp_states_on_reload`, after a reload's actions `out[from..to]`: as
    /// keepalived's `vrrp_init_state`, a FIFO line for each sync group and each instance
    /// not MASTER that the reload did not notify about.
    fn fifo_states(&mut self, from: usize, to: usize) {
        let told = |t: Target| {
            self.out.as_slice()[from..to]
                .iter()
                .any(|a| matches!(*a, Action::Notify { target, .. } if target == t))
        };
        for (k, g) in self.router.groups().iter().enumerate() {
            let state = g.state().notify();
            if let Some(state) = state.filter(|_| !told(Target::Group(GroupId(k as u16)))) {
                self.notifier.fifo_state(true, g.name(), state, 0);
            }
        }
        for (k, i) in self.router.instances().iter().enumerate() {
            let state = i.state().notify().filter(|s| *s != NotifyState::Master);
            if let Some(state) = state.filter(|_| !told(Target::Instance(InstanceId(k as u16)))) {
                self.notifier
                    .fifo_state(false, i.name(), state, i.effective_priority());
            }
        }
    }

    /// A dump signal: keepalived.data, .stats (cleared after with STATS_CLEAR) or .json.
    pub fn dump(&mut self, now: Instant, sig: crate::event::Signal) {
        let Some(kind) = Dump::of_signal(sig) else {
            return;
        };
        self.ifindex.clear();
        for k in 0..self.router.interface_count().min(self.ifindex.capacity()) {
            let name = crate::vrrp::msg::Names::interface(
                &self.router,
                crate::vrrp::action::IfaceId(k as u16),
            );
            self.ifindex
                .push(self.ifaces.named(name).map_or(0, |i| i.index));
        }
        self.script_states.clear();
        for s in self
            .router
            .scripts()
            .iter()
            .take(self.script_states.capacity())
        {
            let (result, has_run, running) = s.status();
            self.script_states.push(ScriptState {
                result,
                has_run,
                running,
            });
        }
        let view = View {
            router: &self.router,
            vrrp: &self.config.vrrp,
            global: &self.config.global,
            transitions: &self.transitions,
            socket_fds: &[],
            ifindex: &self.ifindex,
            scripts: &self.script_states,
            umask: self.umask,
            now,
            wall: crate::event::wall(),
        };
        if let Err(e) = self.status.dump(kind, &view) {
            log::error!("writing {}: {e}", kind.file_name());
        }
        if kind == (Dump::Stats { clear: true }) {
            self.router.clear_stats();
        }
    }

    /// Shutdown still waits for children (STOP notifications, scripts being killed).
    pub fn busy(&self) -> bool {
        self.runner.busy()
    }

    /// The end: the FIFOs closed, the firewall table and the VMACs removed (VMACs stay with
    /// `-V`, as the addresses on them do).
    pub fn finish(&mut self) {
        self.notifier.close_fifos();
        if let Some(f) = &mut self.firewall {
            if let Err(e) = f.close() {
                log::error!("nftables: removing the table: {e}");
            }
        }
        if self.keep_addresses {
            return;
        }
        self.statics(false);
        for (index, parent, ipv4) in self.vmacs.drain(..) {
            if let Err(e) = nl::delete_vmac(
                &mut self.nl,
                &mut self.sysctls,
                index,
                parent.as_str(),
                ipv4,
            ) {
                log::error!("removing VMAC {index}: {e}");
            }
        }
    }

    /// After a reload's marker: sockets, GARP pacing, script runner, notifications and
    /// FIFOs of the new configuration. The old sockets close as the new ones open.
    fn rebuild_io(&mut self, now: Instant) {
        let made: Vec<nl::IfName> = self
            .ifaces
            .iter()
            .filter(|i| self.vmacs.iter().any(|v| v.0 == i.index))
            .map(|i| i.name)
            .collect();
        let more = make_vmacs(&mut self.nl, &mut self.sysctls, &self.config, &made);
        self.vmacs.extend(more);
        if self.firewall.is_none() {
            self.firewall = open_firewall(&self.config);
        }
        let mut socks = VrrpSockets::new(&self.router, &self.config.vrrp);
        for (id, e) in socks.open_all() {
            log::error!("VRRP socket {}: {e}", id.0);
        }
        self.socks = socks;
        self.pacer = Pacer::new(
            &vec![Intervals::global(&self.config.global); limits::MAX_INTERFACES],
            garp::queue_capacity(&self.config.vrrp),
        );
        self.notifier.close_fifos();
        match Runner::new(&self.config.vrrp, &self.config.global) {
            Ok(r) => self.runner = r,
            Err(e) => log::error!("script runner: {e:?}"),
        }
        self.notifier = Notifier::new(&self.config.vrrp, &mut self.runner);
        let (files, procs) = trackers(&self.config, true);
        self.files = files;
        self.procs = procs;
        self.invalid = Vec::with_capacity(files_capacity(&self.config));
        for l in self
            .notifier
            .open_fifos(&self.config.global, &mut self.runner, now, self.lvs_line)
        {
            log::error!("{l}");
        }
    }
}

fn primary_changed(
    router: &mut Router,
    ifaces: &Ifaces,
    now: Instant,
    c: PrimaryChange,
    out: &mut Actions,
) {
    if let Some(i) = ifaces.get(c.iface) {
        router.interface_address(now, i.name.as_str(), c.family, c.addr, out);
    }
}

/// Reopens the sockets on interface `name` that could not be opened (it was missing); true
/// when one was.
fn reopen(socks: &mut VrrpSockets, router: &Router, name: &str) -> bool {
    let mut any = false;
    for (k, s) in router.sockets().iter().enumerate() {
        let id = SockId(k as u16);
        let on = s
            .iface
            .is_some_and(|i| crate::vrrp::msg::Names::interface(router, i) == name);
        if on && !socks.is_open(id) {
            match socks.open(id) {
                Ok(()) => any = true,
                Err(e) => log::error!("VRRP socket on {name}: {e}"),
            }
        }
    }
    any
}
