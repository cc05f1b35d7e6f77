//! One VRRP instance: the values of its configuration the protocol needs, its state, its
//! timers and counters, and the operations on it alone (sending an advert, adding and
//! removing its addresses, arming its timers, notifying). Transitions that involve other
//! instances or the sync group live in `fsm.rs` and `sync_group.rs`.

use std::net::IpAddr;

use super::action::{
    Action, Actions, GarpScope, GroupId, IfaceId, InstanceId, NotifyState, SendAdvert, SockId,
    Target,
};
use super::msg::{AddrList, Msg};
use super::stats::Stats;
use super::timer::{self, Timer, Timers};
use crate::config::model::vrrp::{
    AuthType, ChecksumCompat, Family, Garp, InitialState, Instance as Config, Transport, Version,
};
use crate::time::{Duration, Instant};

/// The priority of the address owner.
pub const PRIO_OWNER: u8 = 255;

/// RFC 3768/5798 states, plus keepalived's FAULT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Init,
    Backup,
    Master,
    Fault,
}

impl State {
    pub fn notify(self) -> Option<NotifyState> {
        match self {
            State::Init => None,
            State::Backup => Some(NotifyState::Backup),
            State::Master => Some(NotifyState::Master),
            State::Fault => Some(NotifyState::Fault),
        }
    }
}

/// A `unicast_peer` and the TTL range its adverts must arrive with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    pub addr: IpAddr,
    pub min_ttl: u8,
    pub max_ttl: u8,
}

/// A VIP or eVIP as the address-deleted check needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owned {
    pub addr: IpAddr,
    pub dev: Option<Box<str>>,
    pub no_track: bool,
}

/// The interfaces of an instance, in the router's table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// Where adverts go and come from: the VMAC, else (or with `vmac_xmit_base`) the
    /// configured interface.
    pub iface: Option<IfaceId>,
    /// The configured `interface`.
    pub configured: Option<IfaceId>,
    pub vmac: Option<IfaceId>,
}

/// An accepted advertisement, as the state machine sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advert {
    pub src: IpAddr,
    pub priority: u8,
    /// The advertised interval (VRRPv3 adopts it; VRRPv2 checked it equals ours).
    pub adver_int: Duration,
    /// The AH sequence number (auth_type AH only).
    pub ah_seq: Option<u32>,
}

/// What the state machine of one instance knows and remembers.
#[derive(Clone, Debug)]
pub struct Instance {
    pub(super) id: InstanceId,
    pub(super) name: Box<str>,
    pub(super) vrid: u8,
    pub(super) family: Family,
    pub(super) version: Version,
    /// The interface adverts are received on (the VMAC unless `vmac_xmit_base`).
    pub(super) iface: Option<IfaceId>,
    pub(super) configured: Option<IfaceId>,
    pub(super) vmac: Option<IfaceId>,
    pub(super) sock: Option<SockId>,
    pub(super) adver_int: Duration,
    /// The advertised addresses (the VIPs of the instance's family), in order.
    pub(super) vips: Box<[IpAddr]>,
    pub(super) owned: Box<[Owned]>,
    pub(super) has_evips: bool,
    pub(super) has_routes: bool,
    pub(super) has_rules: bool,
    /// `no_accept` on a non-owner: firewall rules drop traffic to the VIPs.
    pub(super) firewall: bool,
    pub(super) nopreempt: bool,
    pub(super) preempt_delay: Duration,
    pub(super) down_timer_adverts: u32,
    pub(super) lower_prio_no_advert: bool,
    pub(super) higher_prio_send_advert: bool,
    pub(super) skip_check_adv_addr: bool,
    pub(super) unicast: bool,
    pub(super) peers: Box<[Peer]>,
    pub(super) check_unicast_src: bool,
    /// Destination of multicast adverts.
    pub(super) mcast_group: Option<IpAddr>,
    pub(super) ttl: u8,
    pub(super) auth: Option<(AuthType, [u8; 8])>,
    pub(super) garp: Garp,
    /// `garp_extra_if`: per extra interface, the address its periodic GARP/NA is for.
    pub(super) garp_extra: Box<[u16]>,
    pub(super) src_configured: bool,
    /// `track_src_ip`: FAULT while the configured source address is not on its interface.
    pub(super) src_tracked: bool,
    pub(super) src_missing: bool,
    /// Its configured interface or VMAC, untracked (`dont_track_primary`), was deleted while
    /// up: FAULT until it is up again.
    pub(super) lost: [bool; 2],
    pub(super) checksum: ChecksumCompat,
    /// The unicast VRRPv3 checksum switched to the old form after a peer used it.
    pub(super) old_checksum: bool,
    pub(super) group: Option<GroupId>,
    pub(super) notify_priority_changes: bool,
    /// Its state drives the LVS sync daemon.
    pub(super) lvs_syncd: bool,
    pub(super) config_faults: u32,
    /// `notify_deleted`: removed by a reload, it notifies DELETED rather than FAULT.
    pub(super) notify_deleted: bool,

    pub(super) state: State,
    /// The state it would be in regardless of its sync group.
    pub(super) want: State,
    pub(super) base_priority: u8,
    pub(super) effective_priority: u8,
    /// Base priority plus every tracking contribution, unclamped.
    pub(super) total_priority: i32,
    pub(super) master_adver_int: Duration,
    pub(super) ms_down_timer: Duration,
    pub(super) timers: Timers,
    /// While preempt_delay runs: when lower-priority adverts stop being accepted.
    pub(super) preempt_until: Option<Instant>,
    /// The addresses are set (MASTER).
    pub(super) vipset: bool,
    pub(super) master_saddr: Option<IpAddr>,
    pub(super) master_priority: u8,
    /// The source of the last advert received (to tell apart unicast instances sharing a
    /// VRID).
    pub(super) pkt_saddr: Option<IpAddr>,
    pub(super) ah_seq: u32,
    pub(super) ah_cycle: bool,
    pub(super) ip_id: u16,
    /// Tracked objects holding it in FAULT (keepalived's `num_script_if_fault`).
    pub(super) faults: u32,
    /// Weight-0 scripts that have not run yet (`num_script_init`).
    pub(super) inits: u32,
    pub(super) notifies_sent: bool,
    pub(super) garp_refresh_at: Option<Instant>,
    /// MASTER with `garp_extra_if`: the next extra-interface round is due after this.
    pub(super) garp_extra_at: Option<Instant>,
    /// Our source address: configured, else the interface's primary one.
    pub(super) saddr: Option<IpAddr>,
    pub(super) stats: Stats,
}

impl Instance {
    /// `is_vmac` tells the interfaces that are VMACs of this configuration.
    pub(super) fn new(
        id: InstanceId,
        c: &Config,
        links: Links,
        group: Option<GroupId>,
        is_vmac: &dyn Fn(&str) -> bool,
    ) -> Instance {
        let vips: Box<[IpAddr]> = c
            .vips
            .iter()
            .map(|a| a.addr)
            .filter(|a| Family::of(a) == c.family)
            .collect();
        let owned = c
            .vips
            .iter()
            .chain(&c.evips)
            .map(|a| Owned {
                addr: a.addr,
                dev: a.dev.as_deref().map(Box::from),
                no_track: a.no_track,
            })
            .collect();
        let (unicast, peers, check_unicast_src, mcast_group, ttl) = match &c.transport {
            Transport::Multicast { group } => (false, Box::default(), false, Some(*group), 255),
            Transport::Unicast {
                peers,
                ttl,
                check_src,
            } => {
                let peers = peers
                    .iter()
                    .map(|p| Peer {
                        addr: p.addr,
                        min_ttl: p.min_ttl,
                        max_ttl: p.max_ttl,
                    })
                    .collect();
                (true, peers, *check_src, None, ttl.unwrap_or(255))
            }
        };
        let want = match c.initial_state {
            InitialState::Master => State::Master,
            InitialState::Backup => State::Backup,
        };
        Instance {
            id,
            name: c.name.as_str().into(),
            vrid: c.vrid,
            family: c.family,
            version: c.version,
            iface: links.iface,
            configured: links.configured,
            vmac: links.vmac,
            sock: None,
            adver_int: c.advert_int,
            vips,
            owned,
            has_evips: !c.evips.is_empty(),
            has_routes: !c.routes.is_empty(),
            has_rules: !c.rules.is_empty(),
            firewall: !c.accept && c.priority != PRIO_OWNER,
            nopreempt: c.nopreempt,
            preempt_delay: c.preempt_delay,
            down_timer_adverts: c.down_timer_adverts,
            lower_prio_no_advert: c.lower_prio_no_advert,
            higher_prio_send_advert: c.higher_prio_send_advert,
            skip_check_adv_addr: c.skip_check_adv_addr,
            unicast,
            peers,
            check_unicast_src,
            mcast_group,
            ttl,
            auth: c.auth.map(|a| (a.kind, a.key)),
            garp: c.garp,
            garp_extra: garp_extra_targets(c, is_vmac),
            src_configured: c.src_addr.is_some(),
            src_tracked: c.track_src_ip,
            src_missing: false,
            lost: [false; 2],
            checksum: c.old_unicast_checksum,
            old_checksum: false,
            group,
            notify_priority_changes: c.notify_priority_changes,
            lvs_syncd: false,
            config_faults: c.config_faults.len() as u32,
            notify_deleted: c.notify_deleted,
            state: State::Init,
            want,
            base_priority: c.priority,
            effective_priority: c.priority,
            total_priority: i32::from(c.priority),
            master_adver_int: c.advert_int,
            ms_down_timer: Duration::ZERO,
            timers: Timers::default(),
            preempt_until: None,
            vipset: false,
            master_saddr: None,
            master_priority: 0,
            pkt_saddr: None,
            ah_seq: 0,
            ah_cycle: false,
            ip_id: 0,
            faults: 0,
            inits: 0,
            notifies_sent: false,
            garp_refresh_at: None,
            garp_extra_at: None,
            saddr: c.src_addr,
            stats: Stats::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn effective_priority(&self) -> u8 {
        self.effective_priority
    }

    pub fn base_priority(&self) -> u8 {
        self.base_priority
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The master's interval this instance times out against (its own unless a VRRPv3
    /// master told it otherwise).
    pub fn master_adver_int(&self) -> Duration {
        self.master_adver_int
    }

    /// The priority of the last master heard from.
    pub fn master_priority(&self) -> u8 {
        self.master_priority
    }

    /// The address of the last master heard from.
    pub fn master_addr(&self) -> Option<IpAddr> {
        self.master_saddr
    }

    /// Its advert source address, if it has one.
    pub fn source(&self) -> Option<IpAddr> {
        self.saddr
    }

    pub fn vrid(&self) -> u8 {
        self.vrid
    }

    pub fn sync_group(&self) -> Option<GroupId> {
        self.group
    }

    /// The interface its source address is on: for IPv4 the configured one (a VMAC has no
    /// address of its own), for IPv6 the VMAC (keepalived gives it a link-local address).
    pub fn source_interface(&self) -> Option<IfaceId> {
        match self.family {
            Family::V4 => self.configured,
            Family::V6 => self.vmac.or(self.configured),
        }
    }

    /// Its configured interface and VMAC, the interfaces it cannot run without.
    pub(super) fn own_interfaces(&self) -> [Option<IfaceId>; 2] {
        [self.configured, self.vmac]
    }

    /// The deadline of one of its timers.
    pub fn deadline(&self, t: Timer) -> Option<Instant> {
        self.timers.get(t)
    }

    pub(super) fn skew(&self) -> Duration {
        timer::skew_time(self.version, self.effective_priority, self.master_adver_int)
    }

    /// The smallest skew (one priority step).
    pub(super) fn skew_min(&self) -> Duration {
        timer::skew(self.version, 1, self.master_adver_int)
    }

    pub(super) fn down_interval(&self) -> Duration {
        timer::master_down_interval(
            self.version,
            self.effective_priority,
            self.master_adver_int,
            self.down_timer_adverts,
        )
    }

    /// keepalived's `vrrp_init_instance_sands`: MASTER advertises every interval, BACKUP
    /// waits Master_Down_Timer (from the end of `vrrp_startup_delay` while it runs), and
    /// FAULT and INIT wait for nothing.
    pub(super) fn arm(&mut self, now: Instant, delayed_start: Option<Instant>) {
        match self.state {
            State::Master => {
                self.timers.clear(Timer::MasterDown);
                self.timers.set(Timer::Advert, now + self.adver_int);
            }
            State::Backup => {
                self.timers.clear(Timer::Advert);
                let from = match delayed_start {
                    Some(t) if now < t => t,
                    _ => now,
                };
                self.timers
                    .set(Timer::MasterDown, from + self.ms_down_timer);
            }
            State::Fault | State::Init => {
                self.timers.clear(Timer::Advert);
                self.timers.clear(Timer::MasterDown);
            }
        }
    }

    /// keepalived's `vrrp_send_adv`: the IP ID skips 0 (the kernel would fill it in), the AH
    /// sequence number stops short of wrapping and marks the counter as cycled.
    pub(super) fn send_advert(&mut self, priority: u8, out: &mut Actions) {
        self.ip_id = self.ip_id.wrapping_add(1);
        if self.ip_id == 0 {
            self.ip_id = 1;
        }
        if matches!(self.auth, Some((AuthType::Ah, _))) {
            if self.ah_seq > 0xFFFF_FFFD {
                self.ah_cycle = true;
            } else {
                self.ah_seq += 1;
            }
        }
        self.stats.advert_sent += 1;
        out.push(Action::SendAdvert(SendAdvert {
            instance: self.id,
            priority,
            ip_id: self.ip_id,
            ah_seq: self.ah_seq,
            src: self.saddr,
        }));
    }

    /// keepalived's `vrrp_restore_interface`: an optional priority-0 advert, then every
    /// address, route and rule removed.
    pub(super) fn restore_interface(&mut self, prio_zero: bool, out: &mut Actions) {
        if prio_zero {
            self.send_advert(0, out);
            self.stats.pri_zero_sent += 1;
            out.log(Msg::SentPriorityZero(self.id));
        }
        let lists = [
            (self.has_rules, AddrList::Rules),
            (self.has_routes, AddrList::Routes),
            (self.vipset && !self.vips.is_empty(), AddrList::Vips),
            (self.vipset && self.has_evips, AddrList::Evips),
            (self.vipset && self.firewall, AddrList::Firewall),
        ];
        self.log_lists(false, &lists, out);
        out.push(Action::RemoveAddresses(self.id));
        self.vipset = false;
    }

    /// The address half of keepalived's `vrrp_state_become_master`.
    pub(super) fn set_addresses(&mut self, out: &mut Actions) {
        let lists = [
            (self.firewall, AddrList::Firewall),
            (!self.vips.is_empty(), AddrList::Vips),
            (self.has_evips, AddrList::Evips),
            (self.has_routes, AddrList::Routes),
            (self.has_rules, AddrList::Rules),
        ];
        self.log_lists(true, &lists, out);
        out.push(Action::AddAddresses(self.id));
        self.vipset = true;
    }

    fn log_lists(&self, add: bool, lists: &[(bool, AddrList)], out: &mut Actions) {
        for &(present, list) in lists {
            if present {
                out.log(Msg::Addresses {
                    inst: self.id,
                    add,
                    list,
                });
            }
        }
    }

    /// `rounds` rounds of gratuitous ARP/NA, only while the addresses are set.
    pub(super) fn garp(&self, rounds: u32, out: &mut Actions) {
        if self.vipset && rounds > 0 {
            out.push(Action::Garp {
                instance: self.id,
                rounds,
                scope: GarpScope::Addresses,
            });
        }
    }

    /// Becoming MASTER: the first `garp_extra_if` round is due one interval later.
    pub(super) fn schedule_garp_extra(&mut self, now: Instant) {
        self.garp_extra_at = match self.garp.extra_if {
            Some(e) if !self.garp_extra.is_empty() => Some(now + e.interval),
            _ => None,
        };
    }

    /// keepalived's check at each advert a MASTER with its addresses set sends: once the
    /// interval has passed, one round on the extra interfaces, the next an interval later.
    pub(super) fn garp_extra_due(&mut self, now: Instant, out: &mut Actions) {
        let (Some(at), Some(e)) = (self.garp_extra_at, self.garp.extra_if) else {
            return;
        };
        if now > at {
            out.push(Action::Garp {
                instance: self.id,
                rounds: 1,
                scope: GarpScope::ExtraInterfaces,
            });
            self.garp_extra_at = Some(now + e.interval);
        }
    }

    /// A MASTER heard a lower-priority advert: a burst now and another after
    /// `garp_lower_prio_delay` (one pending second burst at a time).
    pub(super) fn garp_lower_prio(&mut self, now: Instant, out: &mut Actions) {
        if self.garp.lower_prio_repeat == 0 {
            return;
        }
        self.garp(self.garp.lower_prio_repeat, out);
        if self.garp.lower_prio_delay > Duration::ZERO
            && self.timers.get(Timer::LowerPrioGarp).is_none()
        {
            self.timers
                .set(Timer::LowerPrioGarp, now + self.garp.lower_prio_delay);
        }
    }

    /// keepalived's `send_instance_notifies`: nothing when the sync group already reported
    /// this state for its members.
    pub(super) fn notify(&mut self, group_state: Option<State>, out: &mut Actions) {
        if self.notifies_sent && group_state == Some(self.state) {
            return;
        }
        self.notifies_sent = true;
        if let Some(state) = self.state.notify() {
            out.push(Action::Notify {
                target: Target::Instance(self.id),
                state,
                priority: self.effective_priority,
            });
        }
    }

    /// A VRRPv3 backup adopts the master's interval.
    pub(super) fn adopt_interval(&mut self, adver_int: Duration, out: &mut Actions) {
        if self.version == Version::V3 && self.master_adver_int != adver_int {
            out.log(Msg::IntervalByMaster {
                inst: self.id,
                from: self.master_adver_int,
                to: adver_int,
            });
            self.master_adver_int = adver_int;
        }
    }

    /// Whether a received source address compares above (Greater), equal to or below ours,
    /// numerically as keepalived compares them.
    pub(super) fn compare_source(&self, src: IpAddr) -> std::cmp::Ordering {
        use std::cmp::Ordering::Equal;
        match (src, self.saddr) {
            (IpAddr::V4(a), Some(IpAddr::V4(b))) => a.cmp(&b),
            (IpAddr::V6(a), Some(IpAddr::V6(b))) => a.cmp(&b),
            _ => Equal,
        }
    }

    /// The configured `advert_int` of an instance, for the wire.
    pub fn adver_int(&self) -> Duration {
        self.adver_int
    }

    pub fn family(&self) -> Family {
        self.family
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// The addresses of a [`GarpScope::ExtraInterfaces`] round, one per interface: indices
    /// into the configuration's `vips` followed by its `evips`.
    pub fn garp_extra_targets(&self) -> &[u16] {
        &self.garp_extra
    }
}

/// keepalived's `vrrp_send_vmac_update` choice, made once: the interfaces of the VIPs and
/// eVIPs other than the instance's own (all of them with `all`, else only our VMACs), and
/// its own VMAC when adverts leave from the parent (`vmac_xmit_base`), so nothing else
/// carries that MAC. Each interface once, for its first address.
fn garp_extra_targets(c: &Config, is_vmac: &dyn Fn(&str) -> bool) -> Box<[u16]> {
    let Some(e) = c.garp.extra_if else {
        return Box::default();
    };
    let own = c
        .vmac
        .as_ref()
        .map(|v| v.name.as_str())
        .or(c.interface.as_deref());
    let xmit_base = c.vmac.as_ref().is_some_and(|v| v.xmit_base);
    let mut done: Vec<&str> = Vec::new();
    let mut targets = Vec::new();
    for (k, a) in c.vips.iter().chain(&c.evips).enumerate() {
        let Some(dev) = a.dev.as_deref() else {
            continue;
        };
        let wanted = if Some(dev) == own {
            xmit_base
        } else {
            e.all || is_vmac(dev)
        };
        if wanted && !done.contains(&dev) {
            if let Ok(k) = u16::try_from(k) {
                done.push(dev);
                targets.push(k);
            }
        }
    }
    targets.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::config::model::global::GarpExtraIf;

    /// VI_1 on eth0 with VIPs on eth0 and eth1 (twice) and an eVIP on eth2.
    fn extra_if_conf(global: &str, extra: &str) -> String {
        format!(
            "global_defs {{
                {global}
            }}
            vrrp_instance VI_1 {{
                interface eth0
                virtual_router_id 51
                priority 150
                garp_master_delay 0
                {extra}
                virtual_ipaddress {{
                    10.0.0.100/24
                    10.1.0.100/24 dev eth1
                    10.1.0.101/24 dev eth1
                }}
                virtual_ipaddress_excluded {{
                    10.2.0.100/24 dev eth2
                }}
            }}"
        )
    }

    fn extra_rounds(r: &super::super::router::Router, out: &Actions) -> usize {
        lines(r, out)
            .iter()
            .filter(|l| l.starts_with("garp-extra"))
            .count()
    }

    #[test]
    fn extra_interfaces_get_one_garp_each_for_their_first_address() {
        let r = router(&extra_if_conf("vrrp_garp_extra_if all 10", ""));
        // eth1's first VIP (index 1) and eth2's eVIP (index 3); eth0 carries the adverts.
        assert_eq!(r.instances()[0].garp_extra_targets(), [1, 3]);
    }

    #[test]
    fn a_master_sends_extra_rounds_on_the_first_advert_after_each_interval() {
        let mut r = router(&extra_if_conf("vrrp_garp_extra_if all 10", ""));
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        run_until(&mut r, at(3_414_062), &mut out);
        assert_eq!(r.instances()[0].state(), State::Master);
        out.clear();
        // MASTER at 3.414062 s; the interval ends at 13.414062 s and keepalived sends when
        // an advert finds it passed (strictly), so at the advert of 14.414062 s; the next
        // interval ends at 24.414062 s, exactly at an advert, so 25.414062 s.
        let mut rounds = Vec::new();
        while let Some(t) = r.poll_at().filter(|&t| t <= at(37_000_000)) {
            r.handle_timeout(t, &mut out);
            if extra_rounds(&r, &out) > 0 {
                rounds.push(t);
            }
            out.clear();
        }
        assert_eq!(
            rounds,
            [at(14_414_062), at(25_414_062), at(36_414_062)],
            "extra rounds"
        );
    }

    #[test]
    fn a_backup_sends_no_extra_rounds_and_leaving_master_stops_them() {
        let mut r = router(&extra_if_conf("vrrp_garp_extra_if all 2", ""));
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        run_until(&mut r, at(3_414_062), &mut out);
        // A better master from 4 s on: a MASTER would have sent a round at 6.414062 s.
        let better = v2(
            "10.0.0.2",
            51,
            200,
            &["10.0.0.100", "10.1.0.100", "10.1.0.101"],
        );
        out.clear();
        for k in 4..=12 {
            deliver(&mut r, secs(k), &better, &mut out);
            run_until(&mut r, secs(k), &mut out);
            assert_eq!(r.instances()[0].state(), State::Backup);
        }
        assert_eq!(extra_rounds(&r, &out), 0);
    }

    #[test]
    fn without_all_only_our_vmacs_are_extra_interfaces() {
        let mut c = config(&extra_if_conf("vrrp_garp_extra_if all 10", ""));
        let vi = &mut c.vrrp.instances[0];
        vi.garp.extra_if = Some(GarpExtraIf {
            all: false,
            interval: Duration::from_secs(10),
        });
        let none = Links::default();
        let plain = Instance::new(InstanceId(0), vi, none, None, &|_| false);
        assert!(plain.garp_extra_targets().is_empty());
        let on_vmac = Instance::new(InstanceId(0), vi, none, None, &|n| n == "eth2");
        assert_eq!(on_vmac.garp_extra_targets(), [3]);
    }

    #[test]
    fn with_vmac_xmit_base_the_vmac_itself_needs_extra_rounds() {
        let r = router(&extra_if_conf(
            "vrrp_garp_extra_if all 10",
            "use_vmac\nvmac_xmit_base",
        ));
        // The VIPs without a dev are on the VMAC, which sends no adverts: index 0 first.
        assert_eq!(r.instances()[0].garp_extra_targets(), [0, 1, 3]);
        let r = router(&extra_if_conf("vrrp_garp_extra_if all 10", "use_vmac"));
        assert_eq!(r.instances()[0].garp_extra_targets(), [1, 3]);
    }

    #[test]
    fn the_instance_setting_overrides_the_global_one() {
        let r = router(&extra_if_conf("", "garp_extra_if all 5"));
        assert_eq!(
            r.instances()[0].garp.extra_if.map(|e| e.interval),
            Some(Duration::from_secs(5))
        );
        let r = router(&extra_if_conf(
            "vrrp_garp_extra_if all 5",
            "garp_extra_if 0",
        ));
        assert!(r.instances()[0].garp.extra_if.is_none());
        assert!(r.instances()[0].garp_extra_targets().is_empty());
    }
}
