//! What the host's interfaces and addresses do to instances (keepalived's netlink link and
//! address handlers, `cleanup_lost_interface`): links going up and down or being deleted,
//! primary addresses, the configured source addresses `track_src_ip` watches, and VIPs
//! deleted behind a MASTER's back. Before `start` these only record the host's state.

use std::net::IpAddr;

use super::{Phase, Router};
use crate::config::model::vrrp::Family;
use crate::time::Instant;
use crate::vrrp::action::{Actions, IfaceId};
use crate::vrrp::instance::State;
use crate::vrrp::msg::Msg;
use crate::vrrp::track::{family_slot, find_iface};

impl Router {
    /// An interface went up or down.
    pub fn link_changed(&mut self, now: Instant, name: &str, up: bool, out: &mut Actions) {
        let Some(id) = find_iface(&self.ifaces, name) else {
            return;
        };
        let k = usize::from(id.0);
        if self.ifaces[k].up == up {
            return;
        }
        self.ifaces[k].up = up;
        if self.phase != Phase::Running {
            return;
        }
        if self.watched(id) {
            out.log(Msg::LinkChange { iface: id, up });
        }
        for n in 0..self.ifaces[k].users.len() {
            let u = self.ifaces[k].users[n];
            self.fsm.object_changed(&u, up, now, out);
        }
        if up {
            for i in 0..self.fsm.insts.len() {
                let own = self.fsm.insts[i].own_interfaces();
                for (slot, o) in own.into_iter().enumerate() {
                    if o == Some(id) && self.fsm.insts[i].lost[slot] {
                        self.fsm.insts[i].lost[slot] = false;
                        self.fsm.try_up_instance(i, false, now, out);
                    }
                }
            }
        }
    }

    /// Interface `name` was deleted. Its users see it go down (if it was up) and lose its
    /// addresses. An instance whose own interface it was goes to FAULT even when it does
    /// not track it (`dont_track_primary`), until the interface is back up. A VMAC whose
    /// parent goes takes its instance down the same way, as both are its own interfaces.
    /// It comes back through `link_changed` and `interface_address`.
    pub fn interface_deleted(&mut self, now: Instant, name: &str, out: &mut Actions) {
        let Some(id) = find_iface(&self.ifaces, name) else {
            return;
        };
        let k = usize::from(id.0);
        let was_up = self.ifaces[k].up;
        self.ifaces[k].up = false;
        self.ifaces[k].primary = [None; 2];
        let running = self.phase == Phase::Running;
        if running && self.watched(id) {
            out.log(Msg::InterfaceDeleted(id));
        }
        if running && was_up {
            for n in 0..self.ifaces[k].users.len() {
                let u = self.ifaces[k].users[n];
                self.fsm.object_changed(&u, false, now, out);
            }
        }
        for i in 0..self.fsm.insts.len() {
            let own = self.fsm.insts[i].own_interfaces();
            for (slot, o) in own.into_iter().enumerate() {
                if running && was_up && o == Some(id) && !self.ifaces[k].holds(i) {
                    self.fsm.insts[i].lost[slot] = true;
                    self.fsm.down_instance(i, now, out);
                }
            }
            let inst = &self.fsm.insts[i];
            if inst.source_interface() != Some(id) {
                continue;
            }
            if !inst.src_configured {
                self.primary_changed(i, None, now, out);
            } else if let Some(addr) = inst.saddr {
                self.source_presence(i, addr, false, now, out);
            }
        }
    }

    /// The primary address of `family` on interface `name` is now `addr` (None: it has
    /// none). Instances whose source interface it is and that configure no source address
    /// use it; losing it takes them to FAULT, regaining it brings them back.
    pub fn interface_address(
        &mut self,
        now: Instant,
        name: &str,
        family: Family,
        addr: Option<IpAddr>,
        out: &mut Actions,
    ) {
        let Some(id) = find_iface(&self.ifaces, name) else {
            return;
        };
        self.ifaces[usize::from(id.0)].primary[family_slot(family)] = addr;
        for i in 0..self.fsm.insts.len() {
            let inst = &self.fsm.insts[i];
            if inst.source_interface() == Some(id) && inst.family == family && !inst.src_configured
            {
                self.primary_changed(i, addr, now, out);
            }
        }
    }

    /// Address `addr` appeared on interface `name`: a tracked source address (`track_src_ip`)
    /// that was missing brings its instance back.
    pub fn address_added(&mut self, now: Instant, name: &str, addr: IpAddr, out: &mut Actions) {
        let Some(id) = find_iface(&self.ifaces, name) else {
            return;
        };
        for i in 0..self.fsm.insts.len() {
            if self.fsm.insts[i].source_interface() == Some(id) {
                self.source_presence(i, addr, true, now, out);
            }
        }
    }

    /// Address `addr` was deleted from interface `name` by someone else. A tracked source
    /// address (`track_src_ip`) takes its instance to FAULT; a MASTER whose VIP or eVIP it
    /// was (and not `no_track`) resigns and stands for election again.
    pub fn address_removed(&mut self, now: Instant, name: &str, addr: IpAddr, out: &mut Actions) {
        let Some(id) = find_iface(&self.ifaces, name) else {
            return;
        };
        for i in 0..self.fsm.insts.len() {
            if self.fsm.insts[i].source_interface() == Some(id) {
                self.source_presence(i, addr, false, now, out);
            }
        }
        if self.phase != Phase::Running {
            return;
        }
        let hit = self.fsm.insts.iter().position(|inst| {
            inst.state == State::Master
                && inst
                    .owned
                    .iter()
                    .any(|o| o.addr == addr && o.dev.as_deref() == Some(name))
        });
        let Some(i) = hit else {
            return;
        };
        let tracked = self.fsm.insts[i]
            .owned
            .iter()
            .any(|o| o.addr == addr && o.dev.as_deref() == Some(name) && !o.no_track);
        if tracked {
            self.fsm.address_deleted(i, now, out);
        }
    }

    /// Instance `i`'s source interface has `addr` as its primary address now.
    fn primary_changed(&mut self, i: usize, addr: Option<IpAddr>, now: Instant, out: &mut Actions) {
        let inst = &mut self.fsm.insts[i];
        let old = inst.saddr;
        if self.phase != Phase::Running {
            inst.saddr = addr;
            return;
        }
        match (old, addr) {
            (None, Some(_)) => {
                inst.saddr = addr;
                if inst.faults > 0 {
                    self.fsm.try_up_instance(i, false, now, out);
                }
            }
            (Some(_), None) => {
                self.fsm.down_instance(i, now, out);
                self.fsm.insts[i].saddr = None;
            }
            _ => inst.saddr = addr,
        }
    }

    /// `addr` is now on (`present`) or gone from instance `i`'s source interface: if it is
    /// the source `track_src_ip` watches, the instance goes down or comes back.
    fn source_presence(
        &mut self,
        i: usize,
        addr: IpAddr,
        present: bool,
        now: Instant,
        out: &mut Actions,
    ) {
        let inst = &mut self.fsm.insts[i];
        if !inst.src_tracked || inst.saddr != Some(addr) || inst.src_missing != present {
            return;
        }
        inst.src_missing = !present;
        if self.phase != Phase::Running {
            return;
        }
        if present {
            self.fsm.try_up_instance(i, false, now, out);
        } else {
            self.fsm.down_instance(i, now, out);
        }
    }

    /// Whether any instance tracks interface `id` or runs on it (keepalived reports its
    /// changes then).
    fn watched(&self, id: IfaceId) -> bool {
        !self.ifaces[usize::from(id.0)].users.is_empty()
            || self
                .fsm
                .insts
                .iter()
                .any(|i| i.own_interfaces().contains(&Some(id)))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::model::vrrp::Family;
    use crate::vrrp::action::{Actions, InstanceId, NotifyState};
    use crate::vrrp::instance::State;
    use crate::vrrp::router::Router;
    use crate::vrrp::testutil::*;

    const VI: InstanceId = InstanceId(0);

    fn conf(extra: &str) -> String {
        format!(
            "vrrp_instance VI_1 {{
                interface eth0
                virtual_router_id 51
                priority 150
                {extra}
                virtual_ipaddress {{
                    10.0.0.100/24
                }}
            }}"
        )
    }

    fn state(r: &Router) -> State {
        r.instances()[0].state()
    }

    /// Started, and MASTER at its first timeout.
    fn master(text: &str) -> (Router, Actions) {
        let mut r = router(text);
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        run_until(&mut r, at(3_414_062), &mut out);
        assert_eq!(state(&r), State::Master);
        out.clear();
        (r, out)
    }

    const TRACKED_SRC: &str = "mcast_src_ip 10.0.0.5\ntrack_src_ip";

    #[test]
    fn a_tracked_source_address_going_is_fault_and_coming_back_recovers() {
        let (mut r, mut out) = master(&conf(TRACKED_SRC));
        r.address_removed(secs(4), "eth0", ip("10.0.0.9"), &mut out);
        assert_eq!(state(&r), State::Master, "another address");
        r.address_removed(secs(4), "eth1", ip("10.0.0.5"), &mut out);
        assert_eq!(state(&r), State::Master, "another interface");
        r.address_removed(secs(4), "eth0", ip("10.0.0.5"), &mut out);
        assert_eq!(state(&r), State::Fault);
        // keepalived's leave_master and restore_interface each send one.
        assert_eq!(adverts(&out, VI), [0, 0], "a master resigns");
        assert_eq!(notified(&out, VI), [NotifyState::Fault]);
        out.clear();
        r.address_added(secs(5), "eth0", ip("10.0.0.9"), &mut out);
        assert_eq!(state(&r), State::Fault);
        r.address_added(secs(5), "eth0", ip("10.0.0.5"), &mut out);
        assert_eq!(state(&r), State::Backup);
        assert_eq!(notified(&out, VI), [NotifyState::Backup]);
    }

    #[test]
    fn an_untracked_configured_source_is_not_watched() {
        let (mut r, mut out) = master(&conf("mcast_src_ip 10.0.0.5"));
        r.address_removed(secs(4), "eth0", ip("10.0.0.5"), &mut out);
        assert_eq!(state(&r), State::Master);
        // Nor does the interface's primary address matter to it.
        r.interface_address(secs(4), "eth0", Family::V4, None, &mut out);
        assert_eq!(state(&r), State::Master);
    }

    #[test]
    fn a_tracked_source_missing_at_start_up_is_fault_until_it_comes() {
        let mut r = router(&conf(TRACKED_SRC));
        let mut out = actions(&r);
        r.address_removed(at(0), "eth0", ip("10.0.0.5"), &mut out);
        r.start(at(0), &mut out);
        assert_eq!(
            logs(&r, &out)[..2],
            [
                "(VI_1): entering FAULT state (src address not configured)",
                "(VI_1) entering FAULT state"
            ]
        );
        assert_eq!(state(&r), State::Fault);
        out.clear();
        r.address_added(secs(1), "eth0", ip("10.0.0.5"), &mut out);
        assert_eq!(state(&r), State::Backup);
    }

    #[test]
    fn a_deleted_interface_is_fault_until_it_is_up_with_an_address_again() {
        let (mut r, mut out) = master(&conf(""));
        r.interface_deleted(secs(4), "eth0", &mut out);
        assert_eq!(state(&r), State::Fault);
        let l = lines(&r, &out);
        assert_eq!(l[0], "Interface eth0 deleted");
        assert!(l.contains(&"advert VI_1 prio 0".to_string()));
        assert!(l.contains(&"remove VI_1".to_string()));
        assert_eq!(r.instances()[0].source(), None, "its address went with it");
        out.clear();
        // Deleting it again changes nothing.
        r.interface_deleted(secs(5), "eth0", &mut out);
        assert_eq!(logs(&r, &out), ["Interface eth0 deleted"]);
        r.link_changed(secs(6), "eth0", true, &mut out);
        assert_eq!(state(&r), State::Fault, "up, but without an address");
        r.interface_address(secs(7), "eth0", Family::V4, Some(ip(ME)), &mut out);
        assert_eq!(state(&r), State::Backup);
        assert_eq!(
            r.poll_at(),
            Some(secs(7) + crate::time::Duration::from_micros(3_414_062))
        );
    }

    #[test]
    fn a_deleted_interface_that_was_down_already_adds_nothing() {
        let (mut r, mut out) = master(&conf(""));
        r.link_changed(secs(4), "eth0", false, &mut out);
        r.interface_address(secs(4), "eth0", Family::V4, None, &mut out);
        out.clear();
        r.interface_deleted(secs(5), "eth0", &mut out);
        assert_eq!(logs(&r, &out), ["Interface eth0 deleted"]);
        r.link_changed(secs(6), "eth0", true, &mut out);
        r.interface_address(secs(6), "eth0", Family::V4, Some(ip(ME)), &mut out);
        assert_eq!(state(&r), State::Backup);
    }

    #[test]
    fn a_deleted_tracked_interface_counts_as_down() {
        let text = conf("track_interface {\n eth1 weight -50\n}");
        let (mut r, mut out) = master(&text);
        r.interface_deleted(secs(4), "eth1", &mut out);
        assert_eq!(state(&r), State::Master);
        assert_eq!(r.instances()[0].effective_priority(), 100);
        r.link_changed(secs(5), "eth1", true, &mut out);
        assert_eq!(r.instances()[0].effective_priority(), 150);
    }

    #[test]
    fn an_untracked_own_interface_deleted_is_fault_until_it_is_back_up() {
        let (mut r, mut out) = master(&conf("dont_track_primary"));
        r.link_changed(secs(4), "eth0", false, &mut out);
        assert_eq!(state(&r), State::Master, "down is not watched");
        r.link_changed(secs(4), "eth0", true, &mut out);
        r.interface_deleted(secs(5), "eth0", &mut out);
        assert_eq!(state(&r), State::Fault);
        r.interface_address(secs(6), "eth0", Family::V4, Some(ip(ME)), &mut out);
        assert_eq!(state(&r), State::Fault);
        r.link_changed(secs(7), "eth0", true, &mut out);
        assert_eq!(state(&r), State::Backup);
    }

    #[test]
    fn a_vmac_instance_whose_parent_goes_is_fault_until_both_are_back() {
        let (mut r, mut out) = master(&conf("use_vmac"));
        r.interface_deleted(secs(4), "vrrp.51", &mut out);
        r.interface_deleted(secs(4), "eth0", &mut out);
        assert_eq!(state(&r), State::Fault);
        assert_eq!(adverts(&out, VI), [0, 0]);
        r.link_changed(secs(5), "eth0", true, &mut out);
        r.interface_address(secs(5), "eth0", Family::V4, Some(ip(ME)), &mut out);
        assert_eq!(state(&r), State::Fault, "the VMAC is not back yet");
        r.link_changed(secs(6), "vrrp.51", true, &mut out);
        assert_eq!(state(&r), State::Backup);
    }

    #[test]
    fn an_ipv4_vmac_instance_takes_its_source_from_the_parent() {
        let (mut r, mut out) = master(&conf("use_vmac"));
        r.interface_address(secs(4), "vrrp.51", Family::V4, None, &mut out);
        assert_eq!(
            state(&r),
            State::Master,
            "the VMAC has no address of its own"
        );
        r.interface_address(secs(4), "eth0", Family::V4, None, &mut out);
        assert_eq!(state(&r), State::Fault);
    }

    #[test]
    fn an_ipv6_vmac_instance_takes_its_source_from_the_vmac() {
        let text = "vrrp_instance V6 {
            interface eth0
            use_vmac
            virtual_router_id 51
            virtual_ipaddress {
                fe80::100/64
            }
        }";
        let mut r = router(text);
        let mut out = actions(&r);
        r.interface_address(at(0), "eth0", Family::V6, Some(ip("fe80::1")), &mut out);
        r.start(at(0), &mut out);
        assert_eq!(state(&r), State::Fault, "the VMAC has no link-local yet");
        r.interface_address(
            secs(1),
            "vrrp.51",
            Family::V6,
            Some(ip("fe80::5")),
            &mut out,
        );
        assert_eq!(state(&r), State::Backup);
        assert_eq!(r.instances()[0].source(), Some(ip("fe80::5")));
    }
}
