//! The LVS side of the daemon: the virtual servers programmed into the kernel's IPVS table.
//! The desired table comes from `ipvs::Model`; what differs from the kernel's table is
//! executed through `net::ipvs`. A kernel without IPVS gets one error line and the VRRP
//! side goes on. Health checkers are not wired yet: every real server stays in its
//! configured initial state (up, or down with `alpha`), as keepalived keeps a real server
//! that has no checker.

use crate::config::Config;
use crate::ipvs::model::{Model, Table};
use crate::ipvs::reconcile::{self, Ops, Scope};
use crate::net::ipvs::Ipvs;
use crate::vrrp::lvs_syncd::{SyncDaemon, SyncdRole};

pub struct LvsSide {
    model: Model,
    /// None: the kernel has no IPVS (logged once at start-up).
    ipvs: Option<Ipvs>,
    desired: Table,
    current: Table,
    ops: Ops,
    /// `-I`: the table stays when the daemon stops.
    keep: bool,
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
        Some(LvsSide {
            desired: table_for(&model),
            current: table_for(&model),
            ops: Ops::with_capacity(2 * (services + dests) + 1),
            model,
            ipvs,
            keep,
        })
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

    /// SIGHUP: a new model takes over the old one's verdicts; only what changed is done.
    pub fn reload(&mut self, config: &Config) {
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
        self.model = model;
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
