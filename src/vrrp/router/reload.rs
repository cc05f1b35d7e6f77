//! SIGHUP: keepalived's flap-free reload (`sigreload_vrrp`, `reload_vrrp_thread`,
//! `clear_diff_script`, `clear_diff_vrrp`, `restore_vrrp_state`, and `vrrp_init_state`
//! with `reload_master`). The new configuration is built into a new core; instances that
//! keepalived considers the same (`vrrp_exist`) carry their state, counters and addresses
//! over, scripts carry their results over by name, and only what changed is undone.

use super::{Phase, Router};
use crate::time::Instant;
use crate::vrrp::action::{Action, Actions, IfaceId, NotifyState, ScriptId, Signal, Target};
use crate::vrrp::instance::{Instance, State};
use crate::vrrp::lvs_syncd::{SyncDaemon, SyncdRole};
use crate::vrrp::msg::Msg;
use crate::vrrp::timer::Timer;

impl Router {
    /// Reloads: `next` (built by [`Router::new`] from the new configuration and told the
    /// host's state as a router is before `start`: links, primary and source addresses,
    /// file values, processes; [`Router::adopt_host_state`] copies what this core knows)
    /// takes this core's place, and the core from before is returned; the actions up to
    /// [`Action::Reloaded`] in `out` refer to it (ids and names: the runtime executes them
    /// with the old router and the old configuration, the rest with the new ones, then drops
    /// the old). `out` is grown to hold the actions of the reload and of any later call of
    /// the new core; the reload itself may allocate.
    ///
    /// Before `start`, `next` just replaces this core; after `stop`, or if `next` was
    /// started, nothing happens and `None` is returned. Otherwise:
    /// - every MASTER sends one advert at its priority, every running `vrrp_script` is sent
    ///   TERM (the runtime does not report its end: it belongs to the old core);
    /// - an instance no longer configured (keepalived matches instances by VRID, family,
    ///   interface, unicast or multicast group and source, VMAC, not by name) resigns if it
    ///   is MASTER (priority-0 advert, addresses removed) and notifies DELETED (see
    ///   [`NotifyState::Deleted`]) unless it was in FAULT without `notify_deleted`;
    /// - a matched instance removes the rules, routes and (when set) addresses its successor
    ///   no longer has (`RemoveStale`), keeps MASTER or BACKUP unless tracking now puts it
    ///   in FAULT or a weight-0 script is new to it, keeps its counters, AH sequence number
    ///   and IP ID, and a MASTER re-adds its (new) addresses and advertises at once with its
    ///   new priority: no priority-0 advert, no address removed, no gap in its adverts;
    /// - a script keeps its result, scaled to its new rise/fall; a new one holds nothing
    ///   back until it reports; every script runs at once;
    /// - everything else starts as at start-up (sync groups notify unless their state is
    ///   the same as before).
    pub fn reload(&mut self, now: Instant, next: Router, out: &mut Actions) -> Option<Router> {
        if self.phase == Phase::Stopped || next.phase != Phase::Built {
            return None;
        }
        if self.phase == Phase::Built {
            return Some(std::mem::replace(self, next));
        }
        out.reserve_total(out.len() + self.action_capacity() + 2 * next.action_capacity());
        let mut old = std::mem::replace(self, next);
        self.phase = Phase::Running;
        self.take_over(&mut old, now, out);
        old.phase = Phase::Stopped;
        Some(old)
    }

    /// For a core not started yet: the host's state as `old` knows it (links, primary
    /// addresses, tracked source addresses, files, processes), by name. What `old` does not
    /// know (an interface new to the configuration) stays as `Router::new` assumes it (up,
    /// without addresses) until reported. Call it before reporting anything to `self`.
    pub fn adopt_host_state(&mut self, old: &Router) {
        if self.phase != Phase::Built {
            return;
        }
        for f in &mut self.ifaces {
            if let Some(o) = old.ifaces.iter().find(|o| o.name == f.name) {
                f.up = o.up;
                f.primary = o.primary;
            }
        }
        for f in &mut self.files {
            if let Some(o) = old.files.iter().find(|o| o.name == f.name) {
                f.value = o.value;
            }
        }
        for p in &mut self.procs {
            if let Some(o) = old.procs.iter().find(|o| o.name == p.name) {
                p.up = o.up;
            }
        }
        for inst in &mut self.fsm.insts {
            if !inst.src_configured {
                inst.saddr = inst
                    .source_interface()
                    .and_then(|k| self.ifaces.get(usize::from(k.0)))
                    .and_then(|f| f.primary[crate::vrrp::track::family_slot(inst.family)]);
            }
            if inst.src_tracked {
                inst.src_missing = old
                    .fsm
                    .insts
                    .iter()
                    .find(|o| o.name == inst.name && o.saddr == inst.saddr)
                    .is_some_and(|o| o.src_missing);
            }
        }
    }

    /// keepalived's `vrrp_exist`: the instance of this core that old instance `o` of `old`
    /// continues.
    fn successor(&self, old: &Router, o: &Instance) -> Option<usize> {
        let name = |r: &Router, k: Option<IfaceId>| {
            k.and_then(|k| r.ifaces.get(usize::from(k.0)))
                .map(|f| f.name.clone())
        };
        let o_if = name(old, o.configured);
        for (i, n) in self.fsm.insts.iter().enumerate() {
            if n.vrid != o.vrid
                || n.family != o.family
                || name(self, n.configured) != o_if
                || n.unicast != o.unicast
            {
                continue;
            }
            if n.unicast {
                if n.saddr != o.saddr {
                    continue;
                }
                return Some(i);
            }
            if n.vmac.is_some() != o.vmac.is_some() || n.mcast_group != o.mcast_group {
                return None;
            }
            return Some(i);
        }
        None
    }

    /// The reload proper, `self` freshly built and `old` the running core.
    fn take_over(&mut self, old: &mut Router, now: Instant, out: &mut Actions) {
        // What the old core does before it goes (`sigreload_vrrp`, `script_killall`,
        // `clear_diff_vrrp`).
        out.log(Msg::Reloading);
        for inst in &mut old.fsm.insts {
            if inst.state == State::Master {
                inst.send_advert(inst.effective_priority, out);
            }
        }
        for (k, s) in old.scripts.iter().enumerate() {
            if s.running() {
                out.push(Action::KillScript {
                    script: super::index(k, ScriptId),
                    signal: Signal::Term,
                });
            }
        }
        let succ: Vec<Option<usize>> = old
            .fsm
            .insts
            .iter()
            .map(|o| self.successor(old, o))
            .collect();
        let mut pred: Vec<Option<usize>> = vec![None; self.fsm.insts.len()];
        for (j, s) in succ.iter().enumerate() {
            if let Some(i) = *s {
                pred[i].get_or_insert(j);
            }
        }
        for (j, o) in old.fsm.insts.iter_mut().enumerate() {
            if succ[j].is_some() {
                continue;
            }
            if o.state == State::Master {
                o.restore_interface(true, out);
            }
            if o.notify_deleted || o.state != State::Fault {
                out.push(Action::Notify {
                    target: Target::Instance(o.id),
                    state: NotifyState::Deleted,
                    priority: o.effective_priority,
                });
            }
        }
        for (j, o) in old.fsm.insts.iter().enumerate() {
            if let Some(i) = succ[j] {
                out.push(Action::RemoveStale {
                    instance: o.id,
                    successor: self.fsm.insts[i].id,
                    vips: o.vipset,
                });
            }
        }
        out.push(Action::Reloaded);

        // The new core (`clear_diff_script`, `vrrp_complete_init`).
        for k in 0..self.scripts.len() {
            let id = super::index(k, ScriptId);
            match old.scripts.iter().find(|o| o.name == self.scripts[k].name) {
                Some(o) => self.scripts[k].take_over(o, id, out),
                None => self.scripts[k].new_on_reload(),
            }
        }
        self.init_tracking(out);
        let fsm = &mut self.fsm;
        for (i, p) in pred.iter().enumerate() {
            if fsm.insts[i].state == State::Fault || fsm.group_state(i) == Some(State::Fault) {
                fsm.insts[i].state = State::Fault;
                if p.is_some_and(|j| old.fsm.insts[j].state == State::Fault) {
                    continue;
                }
                out.log(Msg::FaultAtStart(fsm.id(i)));
                let gs = fsm.group_state(i);
                fsm.insts[i].notify(gs, out);
            }
        }
        for (j, o) in old.fsm.insts.iter().enumerate() {
            let Some(i) = succ[j] else { continue };
            let inst = &mut fsm.insts[i];
            if o.state == State::Fault || inst.state == State::Fault || inst.inits > 0 {
                continue;
            }
            inst.state = o.state;
            inst.want = o.state;
        }
        for g in &mut fsm.groups {
            if g.faults > 0 || g.inits > 0 {
                continue;
            }
            let members = &g.members;
            if members
                .iter()
                .all(|m| fsm.insts[usize::from(m.0)].state == State::Master)
            {
                g.state = State::Master;
            }
        }

        // `clear_diff_vrrp` for the instances that continue: `restore_vrrp_state`.
        let mut reload_master = vec![false; fsm.insts.len()];
        for (j, o) in old.fsm.insts.iter().enumerate() {
            let Some(i) = succ[j] else { continue };
            let inst = &mut fsm.insts[i];
            reload_master[i] = inst.state == State::Master;
            inst.stats = o.stats;
            inst.ah_seq = o.ah_seq;
            inst.ah_cycle = o.ah_cycle;
            inst.ip_id = o.ip_id;
            inst.vipset = o.vipset;
            if !inst.vipset {
                continue;
            }
            inst.set_addresses(out);
            let added = inst
                .owned
                .iter()
                .any(|a| !o.owned.iter().any(|b| b.addr == a.addr && b.dev == a.dev));
            if added {
                inst.garp(inst.garp.master_repeat, out);
            }
            if inst.garp.master_refresh > crate::time::Duration::ZERO {
                // keepalived's refresh timer restarts only when addresses were added;
                // otherwise it is unset, which is due at the first advert.
                inst.garp_refresh_at = Some(if added {
                    now + inst.garp.master_refresh
                } else {
                    Instant::from_micros(0)
                });
            }
        }

        // `vrrp_init_state`, `vrrp_init_sands`, `vrrp_init_script`.
        for g in &fsm.groups {
            let same = old
                .fsm
                .groups
                .iter()
                .find(|o| o.name == g.name)
                .is_some_and(|o| o.state == g.state);
            if matches!(g.state, State::Fault | State::Backup) && !same {
                g.notify(out);
            }
        }
        for (i, &rm) in reload_master.iter().enumerate() {
            self.init_state(i, now, Some(rm), out);
        }
        for (i, &rm) in reload_master.iter().enumerate() {
            self.fsm.arm(i, now);
            let inst = &mut self.fsm.insts[i];
            if rm && inst.state == State::Master {
                // A MASTER across the reload advertises at once.
                inst.timers.set(Timer::Advert, now);
                inst.schedule_garp_extra(now);
            }
        }
        for s in &mut self.scripts {
            s.start(now);
        }
        self.reload_syncd(old.syncd.as_ref(), out);
    }

    /// `reload_vrrp_thread`'s sync daemon handling: restarted when its parameters changed,
    /// then started in its instance's role and the other role stopped.
    fn reload_syncd(&self, old: Option<&SyncDaemon>, out: &mut Actions) {
        let Some(d) = &self.syncd else { return };
        let master = self
            .fsm
            .insts
            .get(usize::from(d.instance.0))
            .is_some_and(|i| i.state == State::Master);
        let role = SyncdRole::of(master);
        let key = |d: &SyncDaemon| {
            (
                d.interface.clone(),
                d.sync_id,
                d.max_len,
                d.port,
                d.ttl,
                d.group,
            )
        };
        if old.map(key) != Some(key(d)) {
            out.push(Action::StopSyncd(role));
        }
        out.push(Action::StartSyncd(role));
        out.push(Action::StopSyncd(SyncdRole::of(!master)));
    }
}

#[cfg(test)]
mod tests {
    use crate::vrrp::action::{Actions, InstanceId};
    use crate::vrrp::instance::State;
    use crate::vrrp::router::Router;
    use crate::vrrp::testutil::*;

    fn inst(name: &str, vrid: u8, priority: u8, vip: &str, extra: &str) -> String {
        format!(
            "vrrp_instance {name} {{
                interface eth0
                virtual_router_id {vrid}
                priority {priority}
                {extra}
                virtual_ipaddress {{
                    {vip}
                }}
            }}\n"
        )
    }

    /// Started, every instance MASTER at its first timeout.
    fn running(text: &str) -> (Router, Actions) {
        let mut r = router(text);
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        run_until(&mut r, secs(5), &mut out);
        assert!(r.instances().iter().all(|i| i.state() == State::Master));
        out.clear();
        (r, out)
    }

    /// Reloads `r` with `text` at 5.5 s: the lines before the marker named by the old
    /// router, the rest by the new.
    fn reload(r: &mut Router, text: &str, out: &mut Actions) -> Vec<String> {
        reload_down(r, text, &[], out)
    }

    /// As `reload`, the interfaces `down` (new to the configuration) reported down first.
    fn reload_down(r: &mut Router, text: &str, down: &[&str], out: &mut Actions) -> Vec<String> {
        let mut next = router_for(&config(text));
        next.adopt_host_state(r);
        for name in down {
            next.link_changed(at(5_500_000), name, false, out);
        }
        let old = r.reload(at(5_500_000), next, out).expect("running");
        let all_old = lines(&old, out);
        let all_new = lines(r, out);
        let k = all_old
            .iter()
            .position(|l| l == "reloaded")
            .expect("marker");
        all_old[..=k]
            .iter()
            .chain(&all_new[k + 1..])
            .cloned()
            .collect()
    }

    #[test]
    fn an_unchanged_master_stays_master_and_advertises_at_once() {
        let text = inst("VI_1", 51, 150, "10.0.0.100/24", "");
        let (mut r, mut out) = running(&text);
        let sent = r.instances()[0].stats().advert_sent;
        let l = reload(&mut r, &text, &mut out);
        assert_eq!(r.instances()[0].state(), State::Master, "{l:#?}");
        assert!(!l.iter().any(|l| l.contains("prio 0")), "{l:#?}");
        assert!(!l.iter().any(|l| l.starts_with("remove VI_1")), "{l:#?}");
        assert!(!l.iter().any(|l| l.starts_with("notify")), "{l:#?}");
        assert!(l.contains(&"advert VI_1 prio 150".to_string()), "{l:#?}");
        assert!(
            l.contains(&"remove-stale 0>0 vips=true".to_string()),
            "{l:#?}"
        );
        assert!(l.contains(&"add VI_1".to_string()), "{l:#?}");
        // Counters carry over; the next advert is due now.
        assert_eq!(r.instances()[0].stats().advert_sent, sent + 1);
        assert_eq!(r.poll_at(), Some(at(5_500_000)));
        out.clear();
        r.handle_timeout(at(5_500_000), &mut out);
        assert_eq!(adverts(&out, InstanceId(0)), [150]);
    }

    #[test]
    fn a_removed_master_resigns_and_notifies() {
        let a = inst("VI_1", 51, 150, "10.0.0.100/24", "");
        let b = inst("VI_2", 52, 150, "10.0.0.101/24", "notify_deleted");
        let (mut r, mut out) = running(&(a.clone() + &b));
        let l = reload(&mut r, &a, &mut out);
        let k = l.iter().position(|l| l == "reloaded").expect("marker");
        let before = &l[..k];
        assert!(before.contains(&"advert VI_2 prio 0".to_string()), "{l:#?}");
        assert!(before.contains(&"remove VI_2".to_string()), "{l:#?}");
        assert!(
            before.contains(&"notify INSTANCE VI_2 DELETED 150".to_string()),
            "{l:#?}"
        );
        assert_eq!(r.instances().len(), 1);
        assert_eq!(r.instances()[0].state(), State::Master);
    }

    #[test]
    fn a_removed_instance_in_fault_notifies_only_with_notify_deleted() {
        let a = inst("VI_1", 51, 150, "10.0.0.100/24", "");
        for (extra, notified) in [("", false), ("notify_deleted\n", true)] {
            let tracking = format!("{extra}track_interface {{\n eth1\n}}");
            let b = inst("VI_2", 52, 150, "10.0.0.101/24", &tracking);
            let mut r = router(&(a.clone() + &b));
            let mut out = actions(&r);
            r.link_changed(at(0), "eth1", false, &mut out);
            r.start(at(0), &mut out);
            run_until(&mut r, secs(5), &mut out);
            assert_eq!(r.instances()[1].state(), State::Fault);
            out.clear();
            let l = reload(&mut r, &a, &mut out);
            let said = l.contains(&"notify INSTANCE VI_2 DELETED 150".to_string());
            assert_eq!(said, notified, "{l:#?}");
            assert!(!l.contains(&"remove VI_2".to_string()), "{l:#?}");
        }
    }

    #[test]
    fn a_master_that_tracking_now_faults_gives_up_its_addresses_once() {
        let (mut r, mut out) = running(&inst("VI_1", 51, 150, "10.0.0.100/24", ""));
        let text = inst(
            "VI_1",
            51,
            150,
            "10.0.0.100/24",
            "track_interface {\n eth1\n}",
        );
        // eth1 is new to the configuration: the runtime reports it before the reload.
        let l = reload_down(&mut r, &text, &["eth1"], &mut out);
        assert_eq!(r.instances()[0].state(), State::Fault, "{l:#?}");
        assert!(l.contains(&"remove VI_1".to_string()), "{l:#?}");
        let notes = l.iter().filter(|l| l.starts_with("notify")).count();
        assert_eq!(notes, 1, "{l:#?}");
        assert!(
            l.contains(&"notify INSTANCE VI_1 FAULT 150".to_string()),
            "{l:#?}"
        );
        // Reloading again: still FAULT, nothing to say.
        out.clear();
        let l = reload(&mut r, &text, &mut out);
        assert_eq!(r.instances()[0].state(), State::Fault, "{l:#?}");
        assert!(!l.iter().any(|l| l.starts_with("notify")), "{l:#?}");
    }

    #[test]
    fn instances_match_by_vrid_and_interface_not_by_name() {
        let (mut r, mut out) = running(&inst("VI_1", 51, 150, "10.0.0.100/24", ""));
        let l = reload(
            &mut r,
            &inst("renamed", 51, 150, "10.0.0.100/24", ""),
            &mut out,
        );
        assert_eq!(r.instances()[0].state(), State::Master, "{l:#?}");
        assert!(!l.iter().any(|l| l.contains("DELETED")), "{l:#?}");
        let l = reload(
            &mut r,
            &inst("renamed", 52, 150, "10.0.0.100/24", ""),
            &mut out,
        );
        assert!(l.contains(&"remove renamed".to_string()), "{l:#?}");
        assert_eq!(r.instances()[0].state(), State::Backup, "{l:#?}");
    }

    #[test]
    fn a_lower_priority_takes_effect_in_the_next_advert() {
        let (mut r, mut out) = running(&inst("VI_1", 51, 150, "10.0.0.100/24", ""));
        reload(&mut r, &inst("VI_1", 51, 90, "10.0.0.100/24", ""), &mut out);
        out.clear();
        r.handle_timeout(at(5_500_000), &mut out);
        assert_eq!(adverts(&out, InstanceId(0)), [90]);
        assert_eq!(r.instances()[0].state(), State::Master);
    }

    #[test]
    fn a_master_whose_addresses_change_removes_the_stale_and_announces_the_new() {
        let (mut r, mut out) = running(&inst("VI_1", 51, 150, "10.0.0.100/24", ""));
        let l = reload(
            &mut r,
            &inst("VI_1", 51, 150, "10.0.0.200/24", ""),
            &mut out,
        );
        assert!(
            l.contains(&"remove-stale 0>0 vips=true".to_string()),
            "{l:#?}"
        );
        assert!(l.contains(&"add VI_1".to_string()), "{l:#?}");
        assert!(l.iter().any(|l| l.starts_with("garp VI_1")), "{l:#?}");
    }

    #[test]
    fn scripts_keep_their_result_and_run_again_at_once() {
        let text = "vrrp_script chk {\n script /bin/chk\n interval 2\n weight 10\n}\n".to_string()
            + &inst("VI_1", 51, 150, "10.0.0.100/24", "track_script { chk }");
        let mut r = router(&text);
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        let chk = r.find_script("chk").expect("script");
        r.handle_timeout(at(0), &mut out);
        r.script_result(
            at(1),
            chk,
            crate::vrrp::track::ScriptExit::Exited(0),
            &mut out,
        );
        run_until(&mut r, secs(5), &mut out);
        assert_eq!(r.instances()[0].effective_priority(), 160);
        out.clear();
        let l = reload(&mut r, &text, &mut out);
        assert!(
            l.contains(&"VRRP_Script(chk) considered successful on reload".to_string()),
            "{l:#?}"
        );
        assert_eq!(r.instances()[0].effective_priority(), 160, "{l:#?}");
        out.clear();
        r.handle_timeout(at(5_500_000), &mut out);
        assert!(lines(&r, &out).contains(&"run chk".to_string()));
    }
}
