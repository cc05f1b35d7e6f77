//! The VRRP core of a keepalived-rs process: every instance, sync group and tracked object,
//! built once from the configuration with every table sized there. Entry points take `now`
//! and push [`Action`]s; none allocates. `poll_at` is the earliest deadline of all.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use super::action::{
    Action, Actions, FileId, GroupId, IfaceId, InstanceId, NotifyState, ProcessId, ScriptId,
    SendAdvert, SockId, Target,
};
use super::fsm::Fsm;
use super::instance::{Instance, Links, State, PRIO_OWNER};
use super::lvs_syncd::{SyncDaemon, SyncdRole};
use super::msg::{Msg, Names};
use super::rx::{self, Packet, Received};
use super::sync_group::Group;
use super::track::{find_iface, Iface, Script, ScriptExit, TrackedFile, TrackedProcess, Use};
use super::tx::{self, EmitError, Emitted};
use super::wire::{PROTO_AH, PROTO_VRRP};
use crate::config::model::global::Global;
use crate::config::model::vrrp::{AuthType, Family, Instance as InstanceConfig, Transport, Vrrp};
use crate::limits;
use crate::time::{Duration, Instant};

mod interfaces;
mod reload;

/// A receive socket keepalived would open: per interface, family, protocol and multicast
/// group (or unicast source). Adverts are dispatched to its instances by VRID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Socket {
    pub iface: Option<IfaceId>,
    pub family: Family,
    /// 112 (VRRP) or 51 (AH).
    pub proto: u8,
    pub unicast: bool,
    /// Multicast: the group joined. Unicast: the configured source address, if any.
    pub addr: Option<IpAddr>,
    /// Its instances, by VRID.
    members: Box<[InstanceId]>,
}

impl Socket {
    pub fn members(&self) -> &[InstanceId] {
        &self.members
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Built,
    Running,
    Stopped,
}

#[derive(Debug)]
pub struct Router {
    fsm: Fsm,
    ifaces: Vec<Iface>,
    scripts: Vec<Script>,
    /// Per instance, the scripts it tracks in its tracking order.
    inst_scripts: Vec<Box<[(ScriptId, Use)]>>,
    files: Vec<TrackedFile>,
    procs: Vec<TrackedProcess>,
    sockets: Vec<Socket>,
    syncd: Option<SyncDaemon>,
    startup_delay: Duration,
    log_unknown_vrids: bool,
    group4: Ipv4Addr,
    phase: Phase,
}

/// The interface an instance sends and receives adverts on.
fn run_interface(c: &InstanceConfig) -> Option<&str> {
    match &c.vmac {
        Some(v) if !v.xmit_base => Some(v.name.as_str()),
        _ => c.interface.as_deref(),
    }
}

fn index<T>(k: usize, f: impl FnOnce(u16) -> T) -> T {
    f(u16::try_from(k).unwrap_or(u16::MAX))
}

impl Router {
    /// Builds the core for a loaded configuration. Nothing grows afterwards.
    pub fn new(vrrp: &Vrrp, global: &Global) -> Router {
        let mut iface_names: Vec<Box<str>> = Vec::new();
        let mut iface_index: HashMap<String, usize> = HashMap::new();
        let mut iface_users: Vec<Vec<Use>> = Vec::new();
        let mut intern = |name: &str| -> usize {
            if let Some(&k) = iface_index.get(name) {
                return k;
            }
            iface_names.push(name.into());
            iface_users.push(Vec::new());
            iface_index.insert(name.to_string(), iface_names.len() - 1);
            iface_names.len() - 1
        };
        let mut links = Vec::with_capacity(vrrp.instances.len());
        let mut uses: Vec<Vec<(usize, Use)>> = Vec::with_capacity(vrrp.instances.len());
        for (i, c) in vrrp.instances.iter().enumerate() {
            let mut id = |name: &str| index(intern(name), IfaceId);
            links.push(Links {
                iface: run_interface(c).map(&mut id),
                configured: c.interface.as_deref().map(&mut id),
                vmac: c.vmac.as_ref().map(|v| id(&v.name)),
            });
            let mut own = Vec::new();
            for t in &c.tracking.interfaces {
                own.push((intern(&t.name), Use::new(i, t.weight, t.reverse)));
            }
            uses.push(own);
        }
        for (k, u) in uses.into_iter().flatten() {
            iface_users[k].push(u);
        }
        let ifaces: Vec<Iface> = iface_names
            .into_iter()
            .zip(iface_users)
            .map(|(name, users)| Iface {
                name,
                up: true,
                primary: [None; 2],
                users: users.into_boxed_slice(),
            })
            .collect();

        let groups: Vec<Group> = vrrp
            .sync_groups
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let members = g
                    .members
                    .iter()
                    .filter_map(|m| vrrp.instances.iter().position(|c| &c.name == m))
                    .map(|i| index(i, InstanceId))
                    .collect();
                index(k, |k| Group::new(GroupId(k), &g.name, members))
            })
            .collect();
        let group_of = |c: &InstanceConfig| {
            c.sync_group
                .as_ref()
                .and_then(|n| groups.iter().position(|g| &*g.name == n.as_str()))
                .map(|k| index(k, GroupId))
        };
        let vmacs: Vec<&str> = vrrp
            .instances
            .iter()
            .filter_map(|c| c.vmac.as_ref().map(|v| v.name.as_str()))
            .collect();
        let is_vmac = |name: &str| vmacs.contains(&name);
        let insts: Vec<Instance> = vrrp
            .instances
            .iter()
            .enumerate()
            .map(|(i, c)| Instance::new(index(i, InstanceId), c, links[i], group_of(c), &is_vmac))
            .collect();

        let users_of = |list: fn(&InstanceConfig) -> &[crate::config::model::vrrp::TrackRef],
                        name: &str| {
            vrrp.instances
                .iter()
                .enumerate()
                .flat_map(|(i, c)| {
                    list(c)
                        .iter()
                        .filter(|t| t.name == name)
                        .map(move |t| Use::new(i, t.weight, t.reverse))
                })
                .collect::<Box<[Use]>>()
        };
        let scripts: Vec<Script> = vrrp
            .scripts
            .iter()
            .map(|s| Script::new(s, users_of(|c| &c.tracking.scripts, &s.name)))
            .collect();
        let inst_scripts = vrrp
            .instances
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.tracking
                    .scripts
                    .iter()
                    .filter_map(|t| {
                        let k = vrrp.scripts.iter().position(|s| s.name == t.name)?;
                        Some((index(k, ScriptId), Use::new(i, t.weight, t.reverse)))
                    })
                    .collect()
            })
            .collect();
        let files = vrrp
            .track_files
            .iter()
            .map(|f| TrackedFile {
                name: f.name.as_str().into(),
                value: 0,
                users: users_of(|c| &c.tracking.files, &f.name),
            })
            .collect();
        let procs = vrrp
            .track_processes
            .iter()
            .map(|p| TrackedProcess {
                name: p.name.as_str().into(),
                up: p.quorum == 0,
                users: users_of(|c| &c.tracking.processes, &p.name),
            })
            .collect();

        let mut fsm = Fsm {
            insts,
            groups,
            delayed_start: None,
        };
        let sockets = socket_pool(vrrp, &mut fsm);
        let syncd = SyncDaemon::from_config(vrrp, global);
        if let Some(d) = &syncd {
            fsm.insts[usize::from(d.instance.0)].lvs_syncd = true;
        }
        for g in 0..fsm.groups.len() {
            // keepalived's `vrrp_sync_set_group`: MASTER only if every member is an
            // address owner wanting MASTER.
            let owners = (0..fsm.groups[g].members.len()).all(|k| {
                let m = &fsm.insts[fsm.groups[g].member(k)];
                m.want == State::Master && m.base_priority == PRIO_OWNER
            });
            fsm.groups[g].state = if owners { State::Master } else { State::Backup };
        }
        Router {
            fsm,
            ifaces,
            scripts,
            inst_scripts,
            files,
            procs,
            sockets,
            syncd,
            startup_delay: global.vrrp_startup_delay,
            log_unknown_vrids: global.log_unknown_vrids,
            group4: global.vrrp_mcast_group4,
            phase: Phase::Built,
        }
    }

    /// How many actions one call may push, at most: size the [`Actions`] list with this.
    pub fn action_capacity(&self) -> usize {
        let objects = self.fsm.insts.len() + self.fsm.groups.len() + self.scripts.len();
        limits::VRRP_ACTIONS_BASE + limits::VRRP_ACTIONS_PER_OBJECT * objects
    }

    pub fn instances(&self) -> &[Instance] {
        &self.fsm.insts
    }

    pub fn instance(&self, id: InstanceId) -> Option<&Instance> {
        self.fsm.insts.get(usize::from(id.0))
    }

    pub fn find_instance(&self, name: &str) -> Option<InstanceId> {
        self.fsm
            .insts
            .iter()
            .find(|i| i.name() == name)
            .map(|i| i.id)
    }

    pub fn groups(&self) -> &[Group] {
        &self.fsm.groups
    }

    pub fn sockets(&self) -> &[Socket] {
        &self.sockets
    }

    /// The IPVS sync daemon the VRRP process drives, if any.
    pub fn sync_daemon(&self) -> Option<&SyncDaemon> {
        self.syncd.as_ref()
    }

    pub fn interface(&self, name: &str) -> Option<IfaceId> {
        find_iface(&self.ifaces, name)
    }

    /// keepalived's STATS_CLEAR signal: every instance's counters back to zero.
    pub fn clear_stats(&mut self) {
        for inst in &mut self.fsm.insts {
            inst.stats = Default::default();
        }
    }

    /// The `vrrp_script`s, by `ScriptId`.
    pub fn scripts(&self) -> &[Script] {
        &self.scripts
    }

    /// How many interfaces the core knows (`IfaceId`s run from 0 to this).
    pub fn interface_count(&self) -> usize {
        self.ifaces.len()
    }

    pub fn find_script(&self, name: &str) -> Option<ScriptId> {
        let k = self.scripts.iter().position(|s| &*s.name == name)?;
        Some(index(k, ScriptId))
    }

    pub fn find_file(&self, name: &str) -> Option<FileId> {
        let k = self.files.iter().position(|s| &*s.name == name)?;
        Some(index(k, FileId))
    }

    pub fn find_process(&self, name: &str) -> Option<ProcessId> {
        let k = self.procs.iter().position(|s| &*s.name == name)?;
        Some(index(k, ProcessId))
    }

    /// How many packets one advert of `id` is (one per unicast peer).
    pub fn advert_destinations(&self, id: InstanceId) -> usize {
        self.instance(id).map_or(0, tx::destinations)
    }

    /// The bytes of advert `a` for its destination `dest`, written into `buf` (at least
    /// [`tx::MAX_ADVERT_LEN`] bytes keeps every advert). Allocation-free.
    pub fn emit_advert(
        &self,
        a: &SendAdvert,
        dest: usize,
        buf: &mut [u8],
    ) -> Result<Emitted, EmitError> {
        let inst = self.instance(a.instance).ok_or(EmitError::NoDestination)?;
        tx::emit(inst, a, dest, self.group4, buf)
    }

    /// An advert read from socket `sock`: split by the wire views, dispatched by VRID to an
    /// instance of that socket (unknown VRIDs are ignored), validated by the receive ladder
    /// and handed to the state machine. Ignored in FAULT and INIT.
    pub fn handle_advert(&mut self, now: Instant, sock: SockId, rx: &Received, out: &mut Actions) {
        if self.phase != Phase::Running {
            return;
        }
        let Some(s) = self.sockets.get(usize::from(sock.0)) else {
            return;
        };
        let family = s.family;
        let p = match Packet::split(family, rx) {
            Ok(p) => p,
            Err(m) => {
                if let Some(m) = m {
                    out.log(m);
                }
                return;
            }
        };
        let Some(i) = self.dispatch(usize::from(sock.0), p.vrrp.vrid(), p.src, out) else {
            return;
        };
        let inst = &mut self.fsm.insts[i];
        if matches!(inst.state, State::Fault | State::Init) {
            return;
        }
        inst.pkt_saddr = Some(p.src);
        if family == Family::V6 && p.multicast == inst.unicast {
            out.log(Msg::DiscardCast {
                inst: inst.id,
                multicast: p.multicast,
            });
            return;
        }
        let group4 = self.group4;
        self.fsm
            .receive(i, p.src, now, out, |inst, check_addr, out| {
                rx::check(inst, &p, check_addr, group4, out)
            });
    }

    /// The instance of socket `k` an advert for `vrid` from `src` belongs to. Unicast
    /// instances may share a VRID: the last sender, then the peer lists, tell them apart.
    fn dispatch(&self, k: usize, vrid: u8, src: IpAddr, out: &mut Actions) -> Option<usize> {
        let s = &self.sockets[k];
        let insts = &self.fsm.insts;
        let vrid_of = |m: &InstanceId| insts[usize::from(m.0)].vrid;
        let first = s.members.partition_point(|m| vrid_of(m) < vrid);
        let same = s.members[first..]
            .iter()
            .take_while(|m| vrid_of(m) == vrid)
            .map(|m| usize::from(m.0));
        let found = match same.clone().count() {
            0 => {
                if self.log_unknown_vrids {
                    let iface = s.iface.unwrap_or(IfaceId(u16::MAX));
                    out.log(Msg::UnknownVrid { vrid, iface });
                }
                return None;
            }
            1 => same.clone().next(),
            _ => same
                .clone()
                .find(|&i| insts[i].pkt_saddr == Some(src))
                .or_else(|| {
                    same.clone()
                        .find(|&i| insts[i].peers.iter().any(|p| p.addr == src))
                }),
        };
        if found.is_none() && self.log_unknown_vrids {
            let iface = s.iface.unwrap_or(IfaceId(u16::MAX));
            out.log(Msg::UnknownVridFrom {
                vrid,
                iface,
                from: src,
            });
        }
        found
    }

    /// The earliest deadline of any instance or script.
    pub fn poll_at(&self) -> Option<Instant> {
        if self.phase != Phase::Running {
            return None;
        }
        let insts = self
            .fsm
            .insts
            .iter()
            .filter_map(|i| i.timers.next().map(|(t, _)| t));
        let scripts = self.scripts.iter().filter_map(Script::poll_at);
        insts.chain(scripts).min()
    }

    /// Start-up, as keepalived's VRRP process does it once the configuration is complete
    /// (`vrrp_complete_init`, `vrrp_init_state`, `vrrp_init_sands`, `vrrp_init_script`):
    /// tracking decides priorities and FAULTs, leftover addresses are removed, owners take
    /// over at once, everyone else starts as BACKUP (or FAULT) and notifies.
    pub fn start(&mut self, now: Instant, out: &mut Actions) {
        if self.phase != Phase::Built {
            return;
        }
        self.phase = Phase::Running;
        if self.startup_delay > Duration::ZERO {
            self.fsm.delayed_start = Some(now + self.startup_delay);
            out.log(Msg::DelayingStartup(self.startup_delay));
        }
        self.init_tracking(out);
        let fsm = &mut self.fsm;
        for i in 0..fsm.insts.len() {
            if fsm.insts[i].state == State::Fault || fsm.group_state(i) == Some(State::Fault) {
                fsm.insts[i].state = State::Fault;
                out.log(Msg::FaultAtStart(fsm.id(i)));
                let gs = fsm.group_state(i);
                fsm.insts[i].notify(gs, out);
            }
        }
        for g in &fsm.groups {
            if matches!(g.state, State::Fault | State::Backup) {
                g.notify(out);
            }
        }
        for i in 0..fsm.insts.len() {
            self.init_state(i, now, None, out);
        }
        for i in 0..self.fsm.insts.len() {
            self.fsm.arm(i, now);
        }
        for s in &mut self.scripts {
            s.start(now);
        }
    }

    /// `initialise_tracking_priorities`: interfaces, files, processes, then each instance's
    /// source address and scripts, its effective priority, and its group's counts.
    fn init_tracking(&mut self, out: &mut Actions) {
        let fsm = &mut self.fsm;
        for i in 0..fsm.insts.len() {
            let inst = &mut fsm.insts[i];
            inst.faults = inst.config_faults;
            if inst.faults > 0 {
                inst.state = State::Fault;
            }
        }
        for (k, f) in self.ifaces.iter().enumerate() {
            for u in f.users.iter() {
                let fault = Msg::FaultInterface {
                    inst: fsm.id(u.inst),
                    iface: index(k, IfaceId),
                };
                fsm.init_object(u, f.up, fault, out);
            }
        }
        for (k, f) in self.files.iter().enumerate() {
            for u in f.users.iter() {
                fsm.init_file(index(k, FileId), u, f.value, out);
            }
        }
        for (k, p) in self.procs.iter().enumerate() {
            for u in p.users.iter() {
                let fault = Msg::FaultProcess {
                    inst: fsm.id(u.inst),
                    process: index(k, ProcessId),
                };
                fsm.init_object(u, p.up, fault, out);
            }
        }
        for i in 0..fsm.insts.len() {
            let inst = &mut fsm.insts[i];
            if inst.saddr.is_none() {
                out.log(Msg::FaultNoAddress {
                    inst: inst.id,
                    v6: inst.family == Family::V6,
                });
                inst.state = State::Fault;
                inst.faults += 1;
            }
            if inst.src_missing {
                out.log(Msg::FaultSourceMissing(inst.id));
                inst.state = State::Fault;
                inst.faults += 1;
            }
            for (s, u) in self.inst_scripts[i].iter() {
                let script = &self.scripts[usize::from(s.0)];
                fsm.init_script(*s, u, script.init, script.initially_ok(), out);
            }
            fsm.set_effective_priority(i, out);
            let Some(g) = fsm.insts[i].group.map(|g| usize::from(g.0)) else {
                continue;
            };
            if fsm.insts[i].state == State::Fault {
                if fsm.groups[g].state != State::Fault {
                    fsm.groups[g].state = State::Fault;
                    out.log(Msg::GroupMemberFault {
                        group: fsm.groups[g].id,
                        inst: fsm.id(i),
                    });
                }
                fsm.groups[g].faults += 1;
            }
            if fsm.insts[i].inits > 0 {
                fsm.groups[g].inits += 1;
                if fsm.groups[g].state != State::Fault {
                    fsm.groups[g].state = State::Init;
                }
            }
        }
    }

    /// keepalived's `vrrp_init_state` for one instance. At a reload, `reload` says whether
    /// it is a MASTER carried over (`reload_master`): it stays MASTER.
    fn init_state(&mut self, i: usize, now: Instant, reload: Option<bool>, out: &mut Actions) {
        let fsm = &mut self.fsm;
        let gs = fsm.group_state(i);
        let g_inits = fsm.insts[i]
            .group
            .map_or(0, |g| fsm.groups[usize::from(g.0)].inits);
        let inst = &mut fsm.insts[i];
        let begin = inst.state;
        if inst.state == State::Fault {
            inst.want = State::Fault;
        }
        let new_state = gs.unwrap_or(inst.want);
        let is_up = inst.faults == 0;
        let ready = inst.inits == 0 && g_inits == 0;
        if is_up
            && new_state == State::Master
            && ready
            && (inst.base_priority == PRIO_OWNER || reload == Some(true))
            && inst.want == State::Master
        {
            if inst.lvs_syncd {
                out.push(Action::StartSyncd(SyncdRole::of(
                    inst.state == State::Master,
                )));
            }
            if reload == Some(true) {
                return;
            }
            // The owner takes over by timing out of BACKUP almost at once.
            inst.state = State::Backup;
            inst.ms_down_timer = Duration::from_micros(1);
            return;
        }
        inst.ms_down_timer = if new_state == State::Backup && inst.want == State::Master {
            // One interval for another master to show itself.
            inst.master_adver_int + inst.skew_min()
        } else {
            inst.down_interval()
        };
        if inst.lvs_syncd {
            out.push(Action::StartSyncd(SyncdRole::Backup));
        }
        if reload.is_none() {
            // Addresses left from an earlier run are removed (keepalived marks them set).
            inst.vipset = true;
            inst.restore_interface(false, out);
        } else if inst.vipset || inst.has_rules || inst.has_routes {
            inst.restore_interface(false, out);
        }
        if is_up && new_state != State::Fault && ready {
            if inst.state != State::Backup {
                out.log(Msg::Entering {
                    inst: inst.id,
                    state: State::Backup,
                    init: true,
                });
                inst.state = State::Backup;
            }
        } else {
            if begin != State::Fault {
                out.log(Msg::Entering {
                    inst: inst.id,
                    state: State::Fault,
                    init: true,
                });
            }
            inst.state = State::Fault;
        }
        if begin != inst.state && (inst.state != State::Fault || inst.faults > 0) {
            inst.notify(gs, out);
        }
        let _ = now;
    }

    /// Whatever deadlines have come: adverts, Master_Down_Timers, GARP bursts, script runs
    /// and kills, earliest first.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut Actions) {
        if self.phase != Phase::Running {
            return;
        }
        // Every handler re-arms strictly later than `now`; the bound only guards that.
        let mut budget = 4 * (self.fsm.insts.len() + self.scripts.len()) + 16;
        while budget > 0 {
            budget -= 1;
            let inst = self
                .fsm
                .insts
                .iter()
                .enumerate()
                .filter_map(|(i, x)| x.timers.next().map(|(at, t)| (at, i, t)))
                .filter(|&(at, _, _)| at <= now)
                .min_by_key(|&(at, _, _)| at);
            let script = self
                .scripts
                .iter()
                .enumerate()
                .filter_map(|(k, s)| s.poll_at().map(|at| (at, k)))
                .filter(|&(at, _)| at <= now)
                .min_by_key(|&(at, _)| at);
            match (inst, script) {
                (Some((a, i, t)), Some((b, _))) if a <= b => self.fsm.timeout(i, t, now, out),
                (Some((_, i, t)), None) => self.fsm.timeout(i, t, now, out),
                (_, Some((_, k))) => self.scripts[k].on_timer(index(k, ScriptId), now, out),
                (None, None) => return,
            }
        }
    }

    /// A `vrrp_script` run ended.
    pub fn script_result(
        &mut self,
        now: Instant,
        script: ScriptId,
        exit: ScriptExit,
        out: &mut Actions,
    ) {
        if self.phase != Phase::Running {
            return;
        }
        let k = usize::from(script.0);
        let Some(s) = self.scripts.get_mut(k) else {
            return;
        };
        let Some((ok, init)) = s.on_exit(script, exit, out) else {
            return;
        };
        for n in 0..self.scripts[k].users.len() {
            let u = self.scripts[k].users[n];
            self.fsm.script_changed(&u, init, ok, now, out);
        }
    }

    /// A tracked file now holds `value` (0 when missing or unreadable). Before `start`,
    /// only records it.
    pub fn file_value(&mut self, now: Instant, file: FileId, value: i64, out: &mut Actions) {
        let k = usize::from(file.0);
        let Some(f) = self.files.get_mut(k) else {
            return;
        };
        let old = f.value;
        if old == value {
            return;
        }
        f.value = value;
        if self.phase != Phase::Running {
            return;
        }
        for n in 0..self.files[k].users.len() {
            let u = self.files[k].users[n];
            self.fsm.file_changed(file, &u, old, value, now, out);
        }
    }

    /// A tracked process gained (`up`) or lost its quorum. Before `start`, only records it.
    pub fn process_changed(
        &mut self,
        now: Instant,
        process: ProcessId,
        up: bool,
        out: &mut Actions,
    ) {
        let k = usize::from(process.0);
        let Some(p) = self.procs.get_mut(k) else {
            return;
        };
        if p.up == up {
            return;
        }
        p.up = up;
        if self.phase != Phase::Running {
            return;
        }
        out.log(Msg::Quorum {
            process,
            gained: up,
        });
        for n in 0..self.procs[k].users.len() {
            let u = self.procs[k].users[n];
            self.fsm.object_changed(&u, up, now, out);
        }
    }

    /// Shutdown: the LVS sync daemon stops, every MASTER resigns with a priority-0 advert
    /// and removes its addresses; then every instance, and every group, notifies STOP.
    /// Nothing runs afterwards.
    pub fn stop(&mut self, _now: Instant, out: &mut Actions) {
        if self.phase == Phase::Stopped {
            return;
        }
        self.phase = Phase::Stopped;
        if let Some(d) = &self.syncd {
            let master = self.fsm.insts[usize::from(d.instance.0)].state == State::Master;
            out.push(Action::StopSyncd(SyncdRole::of(master)));
        }
        for inst in &mut self.fsm.insts {
            if inst.state == State::Master {
                inst.restore_interface(true, out);
            }
        }
        for inst in &mut self.fsm.insts {
            inst.timers = Default::default();
            out.push(Action::Notify {
                target: Target::Instance(inst.id),
                state: NotifyState::Stop,
                priority: inst.effective_priority,
            });
        }
        for g in &self.fsm.groups {
            g.notify_stop(out);
        }
        for s in &mut self.scripts {
            s.stop();
        }
    }
}

/// keepalived's `vrrp_create_sockpool`: one socket per interface, family, protocol and
/// group (or unicast source); each instance is told its socket.
fn socket_pool(vrrp: &Vrrp, fsm: &mut Fsm) -> Vec<Socket> {
    let mut sockets: Vec<(Socket, Vec<InstanceId>)> = Vec::new();
    for (i, c) in vrrp.instances.iter().enumerate() {
        let inst = &fsm.insts[i];
        let proto = match c.auth {
            Some(a) if a.kind == AuthType::Ah => PROTO_AH,
            _ => PROTO_VRRP,
        };
        let (unicast, addr) = match &c.transport {
            Transport::Multicast { group } => (false, Some(*group)),
            Transport::Unicast { .. } => (true, c.src_addr),
        };
        let key = Socket {
            iface: inst.iface,
            family: c.family,
            proto,
            unicast,
            addr,
            members: Box::default(),
        };
        let k = match sockets.iter().position(|(s, _)| *s == key) {
            Some(k) => k,
            None => {
                sockets.push((key, Vec::new()));
                sockets.len() - 1
            }
        };
        sockets[k].1.push(inst.id);
        fsm.insts[i].sock = Some(index(k, SockId));
    }
    sockets
        .into_iter()
        .map(|(s, mut members)| {
            members.sort_by_key(|m| fsm.insts[usize::from(m.0)].vrid);
            Socket {
                members: members.into_boxed_slice(),
                ..s
            }
        })
        .collect()
}

impl Names for Router {
    fn instance(&self, id: InstanceId) -> &str {
        self.fsm
            .insts
            .get(usize::from(id.0))
            .map_or("?", |i| i.name())
    }
    fn group(&self, id: GroupId) -> &str {
        self.fsm
            .groups
            .get(usize::from(id.0))
            .map_or("?", |g| g.name())
    }
    fn script(&self, id: ScriptId) -> &str {
        self.scripts.get(usize::from(id.0)).map_or("?", |s| &s.name)
    }
    fn file(&self, id: FileId) -> &str {
        self.files.get(usize::from(id.0)).map_or("?", |f| &f.name)
    }
    fn process(&self, id: ProcessId) -> &str {
        self.procs.get(usize::from(id.0)).map_or("?", |p| &p.name)
    }
    fn interface(&self, id: IfaceId) -> &str {
        self.ifaces.get(usize::from(id.0)).map_or("?", |f| &f.name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::wire::{emit_ipv4_advert, Addrs, AdvertRepr, AuthField, Ipv4Fields};
    use super::*;
    use crate::config::model::vrrp::Version;

    #[test]
    fn ipv6_adverts_arrive_without_a_header_and_are_checked_by_hop_limit_and_cast() {
        let mut r = router(
            "vrrp_instance V6 {
                interface eth0
                virtual_router_id 51
                priority 100
                virtual_ipaddress {
                    fe80::100/64
                }
            }",
        );
        let mut out = actions(&r);
        let me: IpAddr = ip("fe80::1");
        r.interface_address(at(0), "eth0", Family::V6, Some(me), &mut out);
        r.start(at(0), &mut out);
        assert_eq!(r.instances()[0].state(), State::Backup);
        let vips = [ip("fe80::100")];
        let repr = AdvertRepr {
            version: Version::V3,
            vrid: 51,
            priority: 200,
            adver_int: Duration::from_secs(1),
            addrs: Addrs::List(&vips),
            auth: super::super::wire::AuthField::None,
        };
        let mut buf = [0u8; 64];
        let n = repr.emit(Family::V6, None, &mut buf).expect("emits");
        let mut rx = Received {
            bytes: &buf[..n],
            src: ip("fe80::2"),
            hop_limit: Some(255),
            multicast: true,
        };
        out.clear();
        r.handle_advert(secs(1), SockId(0), &rx, &mut out);
        assert_eq!(r.instances()[0].stats().advert_rcvd, 1);
        assert_eq!(r.instances()[0].master_addr(), Some(ip("fe80::2")));
        rx.hop_limit = Some(1);
        r.handle_advert(secs(2), SockId(0), &rx, &mut out);
        assert_eq!(r.instances()[0].stats().ip_ttl_err, 1);
        rx.multicast = false;
        out.clear();
        r.handle_advert(secs(3), SockId(0), &rx, &mut out);
        assert_eq!(
            logs(&r, &out),
            ["(V6) discarding unicast packet on multicast instance"]
        );
    }

    fn unicast_advert(src: &str, dst: &str, vrid: u8, priority: u8, old: bool) -> Vec<u8> {
        let vips = [ip("10.0.0.100")];
        let repr = AdvertRepr {
            version: Version::V3,
            vrid,
            priority,
            adver_int: Duration::from_secs(1),
            addrs: Addrs::List(&vips),
            auth: AuthField::None,
        };
        let fields = Ipv4Fields {
            src: src.parse().expect("src"),
            dst: dst.parse().expect("dst"),
            ttl: 255,
            id: 1,
        };
        let mut buf = [0u8; 128];
        let n = emit_ipv4_advert(&repr, &fields, None, old, &mut buf).expect("emits");
        buf[..n].to_vec()
    }

    fn unicast_pair() -> Router {
        let pair = |name: &str, peer: &str| {
            format!(
                "vrrp_instance {name} {{
                    interface eth0
                    virtual_router_id 5
                    version 3
                    unicast_src_ip 10.0.0.1
                    unicast_peer {{
                        {peer}
                    }}
                    virtual_ipaddress {{
                        10.0.0.100/24
                    }}
                }}\n"
            )
        };
        let mut r = router(&(pair("U1", "10.0.0.2") + &pair("U2", "10.0.0.3")));
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        r
    }

    #[test]
    fn unicast_instances_sharing_a_vrid_are_told_apart_by_their_peers() {
        let mut r = unicast_pair();
        assert_eq!(r.sockets().len(), 1);
        let mut out = actions(&r);
        deliver(
            &mut r,
            secs(1),
            &unicast_advert("10.0.0.3", "10.0.0.1", 5, 200, false),
            &mut out,
        );
        assert_eq!(r.instances()[0].stats().advert_rcvd, 0);
        assert_eq!(r.instances()[1].stats().advert_rcvd, 1);
        deliver(
            &mut r,
            secs(2),
            &unicast_advert("10.0.0.2", "10.0.0.1", 5, 200, false),
            &mut out,
        );
        assert_eq!(r.instances()[0].stats().advert_rcvd, 1);
        deliver(
            &mut r,
            secs(3),
            &unicast_advert("10.0.0.9", "10.0.0.1", 5, 200, false),
            &mut out,
        );
        let rcvd: u64 = r.instances().iter().map(|i| i.stats().advert_rcvd).sum();
        assert_eq!(rcvd, 2, "a stranger's advert reaches neither");
    }

    #[test]
    fn a_peer_with_the_old_unicast_checksum_switches_ours_too() {
        let mut r = unicast_pair();
        let mut out = actions(&r);
        let old = unicast_advert("10.0.0.2", "10.0.0.1", 5, 200, true);
        deliver(&mut r, secs(1), &old, &mut out);
        assert_eq!(
            logs(&r, &out),
            ["(U1) Setting unicast VRRPv3 checksum to old version"]
        );
        assert_eq!(r.instances()[0].stats().advert_rcvd, 1);
        // Our adverts now carry the old checksum (224.0.0.18 in the pseudo-header).
        let a = SendAdvert {
            instance: InstanceId(0),
            priority: 200,
            ip_id: 1,
            ah_seq: 0,
            src: r.instances()[0].source(),
        };
        let mut buf = [0u8; 128];
        let e = r.emit_advert(&a, 0, &mut buf).expect("emits");
        assert_eq!(e.dst, ip("10.0.0.2"));
        let old_form = unicast_advert("10.0.0.1", "10.0.0.2", 5, 200, true);
        let new_form = unicast_advert("10.0.0.1", "10.0.0.2", 5, 200, false);
        assert_eq!(buf[..e.len], old_form[..]);
        assert_ne!(buf[..e.len], new_form[..]);
    }

    #[test]
    fn losing_the_interface_address_is_fault_and_regaining_it_recovers() {
        let mut r = router(&fsm_conf());
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        out.clear();
        r.interface_address(secs(1), "eth0", Family::V4, None, &mut out);
        assert_eq!(r.instances()[0].state(), State::Fault);
        assert_eq!(r.instances()[0].source(), None);
        r.interface_address(secs(2), "eth0", Family::V4, Some(ip("10.0.0.7")), &mut out);
        assert_eq!(r.instances()[0].state(), State::Backup);
        assert_eq!(r.instances()[0].source(), Some(ip("10.0.0.7")));
    }

    #[test]
    fn without_an_address_an_instance_starts_in_fault() {
        let mut r = router(&fsm_conf());
        let mut out = actions(&r);
        r.interface_address(at(0), "eth0", Family::V4, None, &mut out);
        r.start(at(0), &mut out);
        assert_eq!(
            logs(&r, &out)[..2],
            [
                "(VI_1) entering FAULT state (no IPv4 address for interface)",
                "(VI_1) entering FAULT state",
            ]
        );
    }

    fn fsm_conf() -> String {
        "vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority 150
            garp_lower_prio_repeat 2
            garp_lower_prio_delay 3
            virtual_ipaddress {
                10.0.0.100/24
            }
        }"
        .to_string()
    }

    #[test]
    fn a_master_hearing_a_lower_priority_refreshes_arp_twice() {
        let mut r = router(&fsm_conf());
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        run_until(&mut r, secs(4), &mut out);
        out.clear();
        deliver(
            &mut r,
            at(4_500_000),
            &v2("10.0.0.2", 51, 100, &["10.0.0.100"]),
            &mut out,
        );
        assert!(lines(&r, &out).contains(&"garp VI_1 x2".to_string()));
        out.clear();
        // The second lower-priority burst at 4.5 + 3 s; the master's own second burst at
        // 3.414062 + 5 s.
        run_until(&mut r, at(8_500_000), &mut out);
        let garps: Vec<String> = lines(&r, &out)
            .into_iter()
            .filter(|l| l.starts_with("garp"))
            .collect();
        assert_eq!(garps, ["garp VI_1 x2", "garp VI_1 x5"]);
    }

    #[test]
    fn stop_notifies_instances_then_groups() {
        let mut r = router(
            "vrrp_sync_group G1 {
                group {
                    VI_1
                }
            }
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 51
                virtual_ipaddress {
                    10.0.0.100/24
                }
            }",
        );
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        out.clear();
        r.stop(secs(1), &mut out);
        assert_eq!(
            lines(&r, &out),
            ["notify INSTANCE VI_1 STOP 100", "notify GROUP G1 STOP 0"]
        );
        out.clear();
        r.handle_timeout(secs(9), &mut out);
        deliver(
            &mut r,
            secs(9),
            &v2("10.0.0.2", 51, 100, &["10.0.0.100"]),
            &mut out,
        );
        assert!(out.is_empty(), "nothing runs after stop");
    }
}
