//! The LVS side of the daemon: the virtual servers programmed into the kernel's IPVS table
//! and kept there by the health checkers. The desired table comes from `ipvs::Model`; the
//! checkers' verdicts (`check::Checkers`, probes on nonblocking sockets in the one loop)
//! change it one virtual server at a time, and only what differs from the kernel's table is
//! executed through `net::ipvs`. A kernel without IPVS gets one error line and the VRRP side
//! goes on.
//!
//! Scripts (MISC_CHECK, notify_up/down, quorum_up/down) run through the daemon's one
//! script runner and their FIFO lines go through its notifier, both lent by the VRRP side
//! in [`Io`]; MISC_CHECK ends and tracked-file values (FILE_CHECK) come back from it.

use std::net::IpAddr;
use std::os::fd::AsFd;

use super::LvsIo as Io;
use crate::check::{
    self, Action as CheckAction, CheckerId, Checkers, FileCheckId, MiscExit, ProbeEvent,
};
use crate::config::model::lvs::Service;
use crate::config::model::script::Script;
use crate::config::Config;
use crate::event::{Interest, Loop, Token};
use crate::ipvs::model::{self, Model, QuorumChange, Table, VsId};
use crate::ipvs::reconcile::{self, Ops, Scope};
use crate::limits;
use crate::net::ipvs::Ipvs;
use crate::net::nl;
use crate::net::probe::{Probe, Recv};
use crate::script::fifo::LvsLine;
use crate::script::{CmdId, Command, Purpose, Runner, Tail};
use crate::time::{Duration, Instant};
use crate::vrrp::action::FileId;
use crate::vrrp::lvs_syncd::{SyncDaemon, SyncdRole};

/// A virtual server's names and scripts (keepalived's FMT_VS, quorum_up/down).
struct VsNotes {
    name: String,
    quorum_up: Option<CmdId>,
    quorum_down: Option<CmdId>,
    omega: bool,
    /// The sorry server's name and `sorry_server_inhibit`.
    sorry: Option<(String, bool)>,
    rss: Vec<RsNotes>,
}

/// A real server's name (FMT_RS) and its notify_up/notify_down.
struct RsNotes {
    name: String,
    up: Option<CmdId>,
    down: Option<CmdId>,
}

/// The names and notify scripts of every virtual and real server, the MISC_CHECK
/// commands by checker, and which FILE_CHECKs read which tracked file.
#[derive(Default)]
struct Scripts {
    vs: Vec<VsNotes>,
    misc: Vec<Option<CmdId>>,
    files: Vec<(FileId, FileCheckId)>,
}

impl Scripts {
    /// Registers every LVS script with `runner` (start-up, or a reload's new runner).
    fn new(config: &Config, checkers: &Checkers, runner: &mut Runner) -> Scripts {
        let mut reg = |s: &Option<Box<Script>>| {
            let cmd = Command::new(s.as_deref()?, &[])?;
            Some(runner.register(cmd))
        };
        let mut vs = Vec::with_capacity(config.lvs.virtual_servers.len());
        let mut files = Vec::new();
        for v in &config.lvs.virtual_servers {
            let mut rss = Vec::with_capacity(v.real_servers.len());
            for r in &v.real_servers {
                rss.push(RsNotes {
                    name: r.name(v),
                    up: reg(&r.notify_up),
                    down: reg(&r.notify_down),
                });
                for f in &r.file_checks {
                    let id = FileCheckId(files.len() as u32);
                    let file = config
                        .vrrp
                        .track_files
                        .iter()
                        .position(|t| t.name == f.track_file);
                    // Every FILE_CHECK has an id, named file or not (checkers count them
                    // in the same order); u16::MAX matches no file.
                    let file = file.and_then(|i| u16::try_from(i).ok()).unwrap_or(u16::MAX);
                    files.push((FileId(file), id));
                }
            }
            vs.push(VsNotes {
                name: v.name(),
                quorum_up: reg(&v.quorum_up),
                quorum_down: reg(&v.quorum_down),
                omega: v.omega,
                sorry: v.sorry_server.as_ref().map(|s| (s.name(v), s.inhibit)),
                rss,
            });
        }
        let misc = (0..checkers.checker_count() as u32)
            .map(|id| {
                let (script, _) = checkers.misc(CheckerId(id))?;
                Some(runner.register(Command::new(script, &[])?))
            })
            .collect();
        Scripts { vs, misc, files }
    }

    fn rs(&self, rs: check::RsId) -> Option<(&VsNotes, &RsNotes)> {
        let v = self.vs.get(usize::from(rs.vs))?;
        Some((v, v.rss.get(usize::from(rs.rs))?))
    }
}

/// The longest FIFO line the LVS side of `config` writes.
pub fn fifo_line_len(config: &Config) -> usize {
    config
        .lvs
        .virtual_servers
        .iter()
        .flat_map(|v| {
            let vs = v.name().len();
            v.real_servers
                .iter()
                .map(move |r| LvsLine::max_len(r.name(v).len(), vs))
        })
        .max()
        .unwrap_or(0)
}

/// How long after a failed IPVS command the whole table is reconciled again.
const RESYNC_DELAY: Duration = Duration::from_secs(1);

/// Loop tokens of probe sockets: this plus the checker's index (the VRRP side's tokens are
/// small indices).
pub const PROBE_TOKEN: u32 = 1 << 24;

pub struct LvsSide {
    model: Model,
    /// None: the kernel has no IPVS (logged once at start-up).
    ipvs: Option<Ipvs>,
    desired: Table,
    current: Table,
    ops: Ops,
    /// `-I`: the table stays when the daemon stops.
    keep: bool,
    checkers: Checkers,
    acts: check::Actions,
    /// The open probe socket of each checker.
    probes: Vec<Option<Probe>>,
    rx: Box<[u8]>,
    /// One virtual server's table before and after a verdict.
    before: Table,
    after: Table,
    scripts: Scripts,
    /// When the kernel's table is reconciled again after a failed command.
    resync_at: Option<Instant>,
    /// ha_suspend: per virtual server (None: not suspended by address).
    suspend: Vec<Option<Suspend>>,
    /// For the address dumps ha_suspend needs (None when no virtual server uses it).
    nl: Option<nl::Command>,
}

/// An ha_suspend virtual server's address, how many times the last dump found it on this
/// host's interfaces, and whether its checkers run.
struct Suspend {
    addr: IpAddr,
    count: u32,
    active: bool,
}

/// The virtual servers whose checkers ha_suspend ties to their address.
fn suspend_of(config: &Config) -> Vec<Option<Suspend>> {
    config
        .lvs
        .virtual_servers
        .iter()
        .map(|v| match v.service {
            Service::Addr { ip, .. } if v.ha_suspend => Some(Suspend {
                addr: ip,
                count: 0,
                active: true,
            }),
            _ => None,
        })
        .collect()
}

fn table_for(model: &Model) -> Table {
    let (services, dests) = model.capacity();
    Table::with_capacity(services, dests)
}

impl LvsSide {
    /// The LVS side of `config`, or None when it has no virtual servers and no LVS sync
    /// daemon needs IPVS.
    pub fn new(config: &Config, keep: bool, need_syncd: bool) -> Option<LvsSide> {
        if config.lvs.virtual_servers.is_empty() && !need_syncd {
            return None;
        }
        let model = match Model::new(&config.lvs) {
            Ok(m) => m,
            Err(e) => {
                log::error!("IPVS: {e}");
                return None;
            }
        };
        let ipvs = match Ipvs::open() {
            Ok(i) => Some(i),
            Err(e) => {
                log::error!("{e}");
                None
            }
        };
        let (services, dests) = model.capacity();
        let seed = crate::event::wall().1 as u64 ^ u64::from(std::process::id());
        let checkers = Checkers::new(&config.lvs, seed);
        let acts = check::Actions::with_capacity(checkers.action_capacity());
        let probes = (0..checkers.checker_count()).map(|_| None).collect();
        let (vs_services, vs_dests) = model.vs_capacity();
        Some(LvsSide {
            desired: table_for(&model),
            current: table_for(&model),
            ops: Ops::with_capacity(2 * (services + dests) + 1),
            before: Table::with_capacity(vs_services, vs_dests),
            after: Table::with_capacity(vs_services, vs_dests),
            model,
            ipvs,
            keep,
            checkers,
            acts,
            probes,
            rx: vec![0; limits::PROBE_RECV_BUFFER].into_boxed_slice(),
            scripts: Scripts::default(),
            resync_at: None,
            suspend: Vec::new(),
            nl: None,
        })
        .map(|mut l| {
            l.suspend_start(config);
            l
        })
    }

    /// ha_suspend at start-up (or reload, with new checkers): the checkers of a virtual
    /// server whose address is not on this host start suspended.
    fn suspend_start(&mut self, config: &Config) {
        self.suspend = suspend_of(config);
        if self.suspend.iter().all(Option::is_none) {
            return;
        }
        if self.nl.is_none() {
            match nl::Command::open() {
                Ok(c) => self.nl = Some(c),
                Err(e) => log::error!("ha_suspend: netlink: {e}"),
            }
        }
        self.count_addresses();
        for (vs, s) in self.suspend.iter_mut().enumerate() {
            if let Some(s) = s.as_mut().filter(|s| s.count == 0) {
                s.active = false;
                self.checkers.start_suspended(vs as u16);
            }
        }
    }

    /// How many times each ha_suspend address is on this host, from a netlink dump.
    fn count_addresses(&mut self) {
        for s in self.suspend.iter_mut().flatten() {
            s.count = 0;
        }
        let (Some(nl), suspend) = (self.nl.as_mut(), &mut self.suspend) else {
            return;
        };
        let r = nl.dump_addresses(libc::AF_UNSPEC as u8, |a| {
            for s in suspend.iter_mut().flatten() {
                if s.addr == a.addr {
                    s.count += 1;
                }
            }
        });
        if let Err(e) = r {
            log::error!("ha_suspend: reading the addresses: {e}");
        }
    }

    /// An address came or went on this host: ha_suspend checkers follow their address.
    pub fn addresses_changed(&mut self, now: Instant, io: &mut Io) {
        if self.nl.is_none() {
            return;
        }
        self.acts.clear();
        self.count_addresses();
        for (vs, s) in self.suspend.iter_mut().enumerate() {
            if let Some(s) = s.as_mut().filter(|s| s.active != (s.count > 0)) {
                s.active = !s.active;
                self.checkers
                    .set_enabled(vs as u16, s.active, &mut self.acts);
            }
        }
        self.run(now, io);
    }

    /// Registers the LVS scripts with the daemon's runner (before [`Self::start_checkers`]).
    pub fn register_scripts(&mut self, config: &Config, runner: &mut Runner) {
        self.scripts = Scripts::new(config, &self.checkers, runner);
    }

    /// The checkers start (after their warmup) once the table is programmed; FILE_CHECKs
    /// get the tracked files' values.
    pub fn start_checkers(
        &mut self,
        now: Instant,
        files: impl Iterator<Item = (FileId, i64)>,
        io: &mut Io,
    ) {
        self.acts.clear();
        self.checkers.start(now, &mut self.acts);
        self.run(now, io);
        self.file_values(now, files, io);
    }

    /// The tracked files' values (all of them, after one changed).
    pub fn file_values(
        &mut self,
        now: Instant,
        files: impl Iterator<Item = (FileId, i64)>,
        io: &mut Io,
    ) {
        if self.scripts.files.is_empty() {
            return;
        }
        self.acts.clear();
        for (file, v) in files {
            for k in 0..self.scripts.files.len() {
                let (f, id) = self.scripts.files[k];
                if f == file {
                    self.checkers.file_value(now, id, v, &mut self.acts);
                }
            }
        }
        self.run(now, io);
    }

    /// A MISC_CHECK script ended.
    pub fn misc_result(&mut self, now: Instant, id: u32, exit: MiscExit, io: &mut Io) {
        self.acts.clear();
        self.checkers
            .misc_result(now, CheckerId(id), exit, &mut self.acts);
        self.run(now, io);
    }

    pub fn poll_at(&self) -> Option<Instant> {
        [self.checkers.poll_at(), self.resync_at]
            .into_iter()
            .flatten()
            .min()
    }

    pub fn on_timeout(&mut self, now: Instant, io: &mut Io) {
        if self.resync_at.is_some_and(|t| t <= now) {
            self.resync_at = None;
            log::info!("IPVS: reconciling with the kernel's table after a failed command");
            self.start(now);
        }
        if self.checkers.poll_at().is_some_and(|t| t <= now) {
            self.acts.clear();
            self.checkers.handle_timeout(now, &mut self.acts);
            self.run(now, io);
        }
    }

    /// A probe socket is ready (`token` from [`PROBE_TOKEN`]).
    pub fn on_ready(&mut self, now: Instant, token: Token, io: &mut Io) {
        let id = CheckerId(token.0 - PROBE_TOKEN);
        self.acts.clear();
        self.drive(now, id);
        self.run(now, io);
        // Only this probe's needs changed (a probe opened by `run` set its own).
        self.interest(id, io.lp);
    }

    /// Moves probe `id` along: connection result, what it has to send, what it received.
    fn drive(&mut self, now: Instant, id: CheckerId) {
        let Some(Some(p)) = self.probes.get_mut(id.0 as usize) else {
            return;
        };
        if p.connecting() {
            match p.connect_result() {
                Ok(()) => {
                    self.checkers
                        .probe_event(now, id, ProbeEvent::Connected, &mut self.acts);
                    // A TCP_CHECK is over once connected: no read to wait for.
                    if self.acts.iter().any(|a| *a == CheckAction::CancelProbe(id)) {
                        return;
                    }
                }
                Err(libc::EINPROGRESS) | Err(libc::EALREADY) => return,
                Err(e) => {
                    self.checkers
                        .probe_event(now, id, ProbeEvent::Failed(e), &mut self.acts);
                    return;
                }
            }
        }
        loop {
            let tx = self.checkers.pending_tx(id);
            if tx.is_empty() {
                break;
            }
            match p.send(tx) {
                Ok(0) => break,
                Ok(n) => self.checkers.sent(id, n),
                Err(e) => {
                    self.checkers
                        .probe_event(now, id, ProbeEvent::Failed(e), &mut self.acts);
                    return;
                }
            }
        }
        loop {
            match p.recv(&mut self.rx) {
                Recv::Data { start, end } => {
                    let data = &self.rx[start..end];
                    self.checkers
                        .probe_event(now, id, ProbeEvent::Data(data), &mut self.acts);
                    // An answer may have more to send (an SMTP dialogue).
                    let tx = self.checkers.pending_tx(id);
                    if !tx.is_empty() {
                        if let Ok(n) = p.send(tx) {
                            self.checkers.sent(id, n);
                        }
                    }
                }
                Recv::WouldBlock => return,
                Recv::Eof => {
                    self.checkers
                        .probe_event(now, id, ProbeEvent::Closed, &mut self.acts);
                    return;
                }
                Recv::Error(e) => {
                    self.checkers
                        .probe_event(now, id, ProbeEvent::Failed(e), &mut self.acts);
                    return;
                }
            }
        }
    }

    /// Executes the checkers' actions in order (executing one may add more).
    fn run(&mut self, now: Instant, io: &mut Io) {
        let mut k = 0;
        while k < self.acts.len() {
            let a = self.acts.as_slice()[k];
            k += 1;
            match a {
                CheckAction::Probe { checker, kind } => {
                    self.open_probe(now, checker, kind, io);
                    self.interest(checker, io.lp);
                }
                CheckAction::CancelProbe(id) => self.close_probe(id, io.lp),
                CheckAction::RealServerUp(rs) => self.verdict(now, rs, Some(true), None, io),
                CheckAction::RealServerDown(rs) => self.verdict(now, rs, Some(false), None, io),
                CheckAction::Weight { rs, weight } => self.verdict(now, rs, None, Some(weight), io),
                CheckAction::NotifyUp(rs) => self.rs_notify(now, rs, true, Purpose::Notify, io),
                CheckAction::NotifyDown(rs) => self.rs_notify(now, rs, false, Purpose::Notify, io),
                CheckAction::Log(m) => log::info!("{}", self.checkers.text(m)),
            }
        }
        if self.acts.dropped() > 0 {
            log::error!("checkers: {} actions did not fit", self.acts.dropped());
        }
    }

    /// keepalived's `do_rs_notifies`: the real server's notify script (no arguments) and
    /// its FIFO line.
    fn rs_notify(&mut self, now: Instant, rs: check::RsId, up: bool, p: Purpose, io: &mut Io) {
        let Some((vs, r)) = self.scripts.rs(rs) else {
            return;
        };
        if let Some(cmd) = if up { r.up } else { r.down } {
            spawn(now, cmd, p, io);
        }
        io.notifier.lvs_line(LvsLine::Rs {
            rs: &r.name,
            vs: &vs.name,
            up,
        });
    }

    /// keepalived's `update_quorum_state` log line and `do_vs_notifies`.
    fn quorum(&mut self, now: Instant, vs: VsId, q: QuorumChange, p: Purpose, io: &mut Io) {
        let Some(v) = self.scripts.vs.get(usize::from(vs.0)) else {
            return;
        };
        let (up, (quorum, hysteresis, threshold, weight_sum)) = match q {
            QuorumChange::Gained {
                quorum,
                hysteresis,
                threshold,
                weight_sum,
            } => (true, (quorum, hysteresis, threshold, weight_sum)),
            QuorumChange::Lost {
                quorum,
                hysteresis,
                threshold,
                weight_sum,
            } => (false, (quorum, hysteresis, threshold, weight_sum)),
        };
        let (what, sign, cmp) = if up {
            ("Gained", '+', "<=")
        } else {
            ("Lost", '-', ">")
        };
        log::info!(
            "{what} quorum {quorum}{sign}{hysteresis}={threshold} {cmp} {weight_sum} for VS {}",
            v.name
        );
        if let Some((sorry, inhibit)) = &v.sorry {
            let verb = match (up, inhibit) {
                (true, true) => "Disabling sorry server",
                (true, false) => "Removing sorry server",
                (false, true) => "Enabling sorry server",
                (false, false) => "Adding sorry server",
            };
            let to = if up { "from" } else { "to" };
            log::info!("{verb} {sorry} {to} VS {}", v.name);
        }
        let cmd = if up { v.quorum_up } else { v.quorum_down };
        if let Some(cmd) = cmd {
            spawn(now, cmd, p, io);
        }
        io.notifier.lvs_line(LvsLine::Vs { vs: &v.name, up });
    }

    fn run_misc(&mut self, now: Instant, id: CheckerId, io: &mut Io) {
        let cmd = self.scripts.misc.get(id.0 as usize).copied().flatten();
        let timeout = self.checkers.misc(id).map(|m| m.1);
        let r = match (cmd, timeout) {
            (Some(cmd), Some(t)) => io.runner.spawn_misc(now, cmd, id.0, t),
            _ => Err(crate::script::SpawnError::NotRunnable),
        };
        if let Err(e) = r {
            log::error!("{e}");
            self.checkers
                .misc_result(now, id, MiscExit::Exited(1), &mut self.acts);
        }
    }

    fn open_probe(&mut self, now: Instant, id: CheckerId, kind: check::ProbeKind, io: &mut Io) {
        if kind == check::ProbeKind::Misc {
            self.run_misc(now, id, io);
            return;
        }
        let lp = &mut *io.lp;
        self.close_probe(id, lp);
        let Some(target) = self.checkers.target(id) else {
            return;
        };
        match Probe::open(target) {
            Ok(p) => {
                let connecting = p.connecting();
                let token = Token(PROBE_TOKEN + id.0);
                if lp.register(p.as_fd(), token, Interest::BOTH).is_err() {
                    log::error!("checkers: the poll loop is full");
                    self.checkers.probe_event(
                        now,
                        id,
                        ProbeEvent::Failed(libc::EMFILE),
                        &mut self.acts,
                    );
                    return;
                }
                if let Some(slot) = self.probes.get_mut(id.0 as usize) {
                    *slot = Some(p);
                }
                if !connecting {
                    self.checkers
                        .probe_event(now, id, ProbeEvent::Connected, &mut self.acts);
                    self.drive(now, id);
                }
            }
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                self.checkers
                    .probe_event(now, id, ProbeEvent::Failed(errno), &mut self.acts);
            }
        }
    }

    fn close_probe(&mut self, id: CheckerId, lp: &mut Loop) {
        if let Some(slot) = self.probes.get_mut(id.0 as usize) {
            if slot.take().is_some() {
                lp.deregister(Token(PROBE_TOKEN + id.0));
            }
        }
    }

    /// Writable interest only while connecting or with bytes to send.
    fn interest(&self, id: CheckerId, lp: &mut Loop) {
        if let Some(Some(p)) = self.probes.get(id.0 as usize) {
            let want = if p.connecting() || !self.checkers.pending_tx(id).is_empty() {
                Interest::BOTH
            } else {
                Interest::READABLE
            };
            lp.set_interest(Token(PROBE_TOKEN + id.0), want);
        }
    }

    /// A checker's verdict on real server `rs`: its virtual server's table before and after,
    /// and what differs, to IPVS.
    fn verdict(
        &mut self,
        now: Instant,
        rs: check::RsId,
        alive: Option<bool>,
        weight: Option<i64>,
        io: &mut Io,
    ) {
        let vs = VsId(rs.vs);
        let id = model::RsId { vs, index: rs.rs };
        self.before.clear();
        let _ = self.model.fill_vs(vs, &mut self.before);
        let quorum = match (alive, weight) {
            (Some(a), _) => self.model.set_alive(id, a),
            (None, Some(w)) => self.model.set_weight(id, w),
            (None, None) => None,
        };
        self.after.clear();
        let _ = self.model.fill_vs(vs, &mut self.after);
        self.ops.clear();
        reconcile::diff(&self.after, &self.before, Scope::Owned, &mut self.ops);
        self.execute(now);
        if let Some(q) = quorum {
            self.quorum(now, vs, q, Purpose::Notify, io);
        }
    }

    /// Start-up, and again after a command failed: the kernel's table is read and made
    /// what the configuration says. Services that are not ours stay.
    pub fn start(&mut self, now: Instant) {
        let Some(ipvs) = self.ipvs.as_mut() else {
            return;
        };
        if let Err(e) = ipvs.dump(&mut self.current) {
            log::error!("IPVS: reading the kernel's table: {e}");
            self.current.clear();
        }
        if self.model.fill(&mut self.desired).is_err() {
            log::error!("IPVS: the desired table does not fit its capacity");
        }
        self.ops.clear();
        reconcile::diff(
            &self.desired,
            &self.current,
            Scope::DesiredServices,
            &mut self.ops,
        );
        self.execute(now);
    }

    /// SIGHUP: a new model takes over the old one's verdicts; only what changed is done;
    /// the checkers of the new configuration start again.
    pub fn reload(
        &mut self,
        now: Instant,
        config: &Config,
        files: impl Iterator<Item = (FileId, i64)>,
        io: &mut Io,
    ) {
        for id in 0..self.probes.len() {
            self.close_probe(CheckerId(id as u32), io.lp);
        }
        let mut model = match Model::new(&config.lvs) {
            Ok(m) => m,
            Err(e) => {
                log::error!("IPVS: {e}; keeping the running virtual servers");
                return;
            }
        };
        let mut changes = Vec::new();
        model.adopt(&self.model, &mut changes);
        let mut old = table_for(&self.model);
        let mut new = table_for(&model);
        if self.model.fill(&mut old).is_err() || model.fill(&mut new).is_err() {
            log::error!("IPVS: the desired table does not fit its capacity");
        }
        let (services, dests) = model.capacity();
        self.ops = Ops::with_capacity(
            2 * (services + dests + old.services().len() + old.dests().len()) + 1,
        );
        reconcile::diff(&new, &old, Scope::Owned, &mut self.ops);
        self.execute(now);
        self.desired = new;
        self.current = table_for(&model);
        let (vs_services, vs_dests) = model.vs_capacity();
        self.before = Table::with_capacity(vs_services, vs_dests);
        self.after = Table::with_capacity(vs_services, vs_dests);
        self.model = model;
        let seed = crate::event::wall().1 as u64 ^ u64::from(std::process::id());
        self.checkers = Checkers::new(&config.lvs, seed);
        self.acts = check::Actions::with_capacity(self.checkers.action_capacity());
        self.probes = (0..self.checkers.checker_count()).map(|_| None).collect();
        self.suspend_start(config);
        self.register_scripts(config, io.runner);
        self.start_checkers(now, files, io);
    }

    /// SIGTERM: our services leave the kernel's table, unless `-I`; with `omega` the
    /// servers taken out are announced (notify_down, quorum_down, FIFO lines) first, their
    /// scripts waited for as shutdown waits for STOP notifications.
    pub fn stop(&mut self, now: Instant, io: &mut Io) {
        if self.keep || self.ipvs.is_none() {
            return;
        }
        for vi in 0..self.scripts.vs.len() {
            if !self.scripts.vs[vi].omega {
                continue;
            }
            for ri in 0..self.scripts.vs[vi].rss.len() {
                let rs = check::RsId {
                    vs: vi as u16,
                    rs: ri as u16,
                };
                if self.checkers.rs_alive(rs) {
                    self.rs_notify(now, rs, false, Purpose::NotifyStop, io);
                }
            }
            if self.model.vs(VsId(vi as u16)).is_some_and(|v| v.quorum_up) {
                let v = &self.scripts.vs[vi];
                if let Some(cmd) = v.quorum_down {
                    spawn(now, cmd, Purpose::NotifyStop, io);
                }
                io.notifier.lvs_line(LvsLine::Vs {
                    vs: &v.name,
                    up: false,
                });
            }
        }
        if self.model.fill(&mut self.desired).is_err() {
            log::error!("IPVS: the desired table does not fit its capacity");
        }
        self.ops.clear();
        reconcile::remove_all(&self.desired, &mut self.ops);
        self.execute(now);
    }

    /// The VRRP core's StartSyncd / StopSyncd.
    pub fn syncd(&mut self, d: Option<&SyncDaemon>, role: SyncdRole, start: bool) {
        let (Some(ipvs), Some(d)) = (self.ipvs.as_mut(), d) else {
            return;
        };
        let r = if start {
            ipvs.start_daemon(d, role)
        } else {
            ipvs.stop_daemon(role, d.sync_id)
        };
        if let Err(e) = r {
            log::error!("{e}");
        }
    }

    /// Executes the ops; if one fails (or some did not fit), the whole table is
    /// reconciled with the kernel's [`RESYNC_DELAY`] later.
    fn execute(&mut self, now: Instant) {
        let Some(ipvs) = self.ipvs.as_mut() else {
            return;
        };
        let mut failed = self.ops.dropped() > 0;
        if failed {
            log::error!(
                "IPVS: {} operations did not fit; the next reconcile does them",
                self.ops.dropped()
            );
        }
        for op in self.ops.iter() {
            if let Err(e) = ipvs.execute(op) {
                log::error!("{e} {op}");
                failed = true;
            }
        }
        if failed && self.resync_at.is_none() {
            self.resync_at = Some(now + RESYNC_DELAY);
        }
    }
}

/// Starts a notify-like script, logging why it could not start.
fn spawn(now: Instant, cmd: CmdId, purpose: Purpose, io: &mut Io) {
    if let Err(e) = io.runner.spawn(now, cmd, Tail::None, purpose) {
        log::error!("{e}");
    }
}
