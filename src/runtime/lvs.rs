//! The LVS side of the daemon: the virtual servers programmed into the kernel's IPVS table
//! and kept there by the health checkers. The desired table comes from `ipvs::Model`; the
//! checkers' verdicts (`check::Checkers`, probes on nonblocking sockets in the one loop)
//! change it one virtual server at a time, and only what differs from the kernel's table is
//! executed through `net::ipvs`. A kernel without IPVS gets one error line and the VRRP side
//! goes on. Not run yet: MISC_CHECK scripts and FILE_CHECK values (those checkers fail,
//! saying so), notify_up/notify_down scripts.

use std::os::fd::AsFd;

use crate::check::{self, Action as CheckAction, CheckerId, Checkers, MiscExit, ProbeEvent};
use crate::config::Config;
use crate::event::{Interest, Loop, Token};
use crate::ipvs::model::{self, Model, Table, VsId};
use crate::ipvs::reconcile::{self, Ops, Scope};
use crate::limits;
use crate::net::ipvs::Ipvs;
use crate::net::probe::{Probe, Recv};
use crate::time::Instant;
use crate::vrrp::lvs_syncd::{SyncDaemon, SyncdRole};

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
    /// MISC_CHECK / FILE_CHECK are not run yet: said once.
    said_misc: bool,
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
            said_misc: false,
        })
    }

    /// The checkers start (after their warmup) once the table is programmed.
    pub fn start_checkers(&mut self, now: Instant, lp: &mut Loop) {
        self.acts.clear();
        self.checkers.start(now, &mut self.acts);
        self.run(now, lp);
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.checkers.poll_at()
    }

    pub fn on_timeout(&mut self, now: Instant, lp: &mut Loop) {
        if self.checkers.poll_at().is_some_and(|t| t <= now) {
            self.acts.clear();
            self.checkers.handle_timeout(now, &mut self.acts);
            self.run(now, lp);
        }
    }

    /// A probe socket is ready (`token` from [`PROBE_TOKEN`]).
    pub fn on_ready(&mut self, now: Instant, token: Token, lp: &mut Loop) {
        let id = CheckerId(token.0 - PROBE_TOKEN);
        self.acts.clear();
        self.drive(now, id);
        self.run(now, lp);
    }

    /// Moves probe `id` along: connection result, what it has to send, what it received.
    fn drive(&mut self, now: Instant, id: CheckerId) {
        let Some(Some(p)) = self.probes.get_mut(id.0 as usize) else {
            return;
        };
        if p.connecting() {
            match p.connect_result() {
                Ok(()) => self
                    .checkers
                    .probe_event(now, id, ProbeEvent::Connected, &mut self.acts),
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
    fn run(&mut self, now: Instant, lp: &mut Loop) {
        let mut k = 0;
        while k < self.acts.len() {
            let a = self.acts.as_slice()[k];
            k += 1;
            match a {
                CheckAction::Probe { checker, kind } => self.open_probe(now, checker, kind, lp),
                CheckAction::CancelProbe(id) => self.close_probe(id, lp),
                CheckAction::RealServerUp(rs) => self.verdict(rs, Some(true), None),
                CheckAction::RealServerDown(rs) => self.verdict(rs, Some(false), None),
                CheckAction::Weight { rs, weight } => self.verdict(rs, None, Some(weight)),
                CheckAction::NotifyUp(_) | CheckAction::NotifyDown(_) => {}
                CheckAction::Log(m) => log::info!("{}", self.checkers.text(m)),
            }
        }
        if self.acts.dropped() > 0 {
            log::error!("checkers: {} actions did not fit", self.acts.dropped());
        }
        for id in 0..self.probes.len() {
            self.interest(CheckerId(id as u32), lp);
        }
    }

    fn open_probe(&mut self, now: Instant, id: CheckerId, kind: check::ProbeKind, lp: &mut Loop) {
        if kind == check::ProbeKind::Misc {
            if !std::mem::replace(&mut self.said_misc, true) {
                log::error!("keepalived-rs: MISC_CHECK scripts are not run yet: they fail");
            }
            self.checkers
                .misc_result(now, id, MiscExit::Exited(1), &mut self.acts);
            return;
        }
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
    fn verdict(&mut self, rs: check::RsId, alive: Option<bool>, weight: Option<i64>) {
        let vs = VsId(rs.vs);
        let id = model::RsId { vs, index: rs.rs };
        self.before.clear();
        let _ = self.model.fill_vs(vs, &mut self.before);
        let quorum = match (alive, weight) {
            (Some(a), _) => self.model.set_alive(id, a),
            (None, Some(w)) => self.model.set_weight(id, w),
            (None, None) => None,
        };
        if let Some(q) = quorum {
            log::info!("{q:?} for VS {}", rs.vs);
        }
        self.after.clear();
        let _ = self.model.fill_vs(vs, &mut self.after);
        self.ops.clear();
        reconcile::diff(&self.after, &self.before, Scope::Owned, &mut self.ops);
        self.execute();
    }

    /// Start-up: the kernel's table is read and made what the configuration says. Services
    /// that are not ours stay.
    pub fn start(&mut self) {
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
        self.execute();
    }

    /// SIGHUP: a new model takes over the old one's verdicts; only what changed is done;
    /// the checkers of the new configuration start again.
    pub fn reload(&mut self, now: Instant, config: &Config, lp: &mut Loop) {
        for id in 0..self.probes.len() {
            self.close_probe(CheckerId(id as u32), lp);
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
        self.execute();
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
        self.start_checkers(now, lp);
    }

    /// SIGTERM: our services leave the kernel's table, unless `-I`.
    pub fn stop(&mut self) {
        if self.keep || self.ipvs.is_none() {
            return;
        }
        if self.model.fill(&mut self.desired).is_err() {
            log::error!("IPVS: the desired table does not fit its capacity");
        }
        self.ops.clear();
        reconcile::remove_all(&self.desired, &mut self.ops);
        self.execute();
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

    fn execute(&mut self) {
        let Some(ipvs) = self.ipvs.as_mut() else {
            return;
        };
        if self.ops.dropped() > 0 {
            log::error!(
                "IPVS: {} operations did not fit; the next reconcile does them",
                self.ops.dropped()
            );
        }
        for op in self.ops.iter() {
            if let Err(e) = ipvs.execute(op) {
                log::error!("{e}");
            }
        }
    }
}
