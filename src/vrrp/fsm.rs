//! The state machine over all instances: keepalived's transitions (`vrrp_state_goto_master`,
//! `vrrp_state_leave_master`, `vrrp_state_leave_fault`, `down_instance`, `try_up_instance`),
//! the BACKUP and MASTER receive logic and the timeouts. Every state change goes through
//! [`Fsm::change_state`], which logs it once, runs the exit and entry actions and re-arms the
//! instance's timers.

use std::cmp::Ordering;

use super::action::{Action, Actions, InstanceId};
use super::instance::{Advert, Instance, State, PRIO_OWNER};
use super::lvs_syncd::{self, SyncdRole};
use super::msg::Msg;
use super::sync_group::Group;
use super::timer::Timer;
use crate::config::model::vrrp::AuthType;
use crate::time::{Duration, Instant};

/// Why a state changes: decides the log line and the exit actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Master_Down_Timer expired, or an owner/recovery wants MASTER.
    Takeover,
    /// A higher-priority advert (or equal with a higher address) reached a MASTER.
    Preempted,
    /// A tracked object failed or recovered.
    Tracking,
    /// The sync group moved its members.
    Sync,
    /// keepalived's shortcut for BACKUP/INIT members synced to FAULT: the state is set
    /// before leaving, so no "Entering FAULT STATE" line.
    SyncQuiet,
    /// One of its VIPs was deleted behind its back while MASTER.
    AddressDeleted,
}

/// Every instance and sync group, and the start-up delay they share.
#[derive(Debug, Default)]
pub struct Fsm {
    pub(super) insts: Vec<Instance>,
    pub(super) groups: Vec<Group>,
    /// `vrrp_startup_delay`: BACKUP timers run from this point while it is in the future.
    pub(super) delayed_start: Option<Instant>,
}

impl Fsm {
    pub(super) fn group_state(&self, i: usize) -> Option<State> {
        self.insts[i]
            .group
            .and_then(|g| self.groups.get(usize::from(g.0)))
            .map(|g| g.state)
    }

    fn notify(&mut self, i: usize, out: &mut Actions) {
        let gs = self.group_state(i);
        self.insts[i].notify(gs, out);
    }

    pub(super) fn arm(&mut self, i: usize, now: Instant) {
        let d = self.delayed_start;
        self.insts[i].arm(now, d);
    }

    /// The one place an instance's state changes (start-up aside). `want` must already say
    /// where it is going when it leaves MASTER.
    pub(super) fn change_state(
        &mut self,
        i: usize,
        new: State,
        why: Why,
        now: Instant,
        out: &mut Actions,
    ) {
        match (self.insts[i].state, new) {
            (_, State::Master) => self.enter_master(i, now, out),
            (State::Master, _) => self.leave_master(i, new, why, now, out),
            _ => self.settle(i, new, why, now, out),
        }
    }

    /// `vrrp_state_goto_master` + `vrrp_state_master_tx` + `vrrp_state_become_master`: the
    /// advert goes first, so the old master removes its addresses before our GARPs.
    fn enter_master(&mut self, i: usize, now: Instant, out: &mut Actions) {
        let inst = &mut self.insts[i];
        if inst.ah_cycle {
            inst.ah_cycle = false;
            inst.ah_seq = 0;
        }
        inst.state = State::Master;
        inst.arm(now, None);
        inst.send_advert(inst.effective_priority, out);
        if inst.vipset {
            return;
        }
        let id = inst.id;
        out.log(Msg::Entering {
            inst: id,
            state: State::Master,
            init: false,
        });
        inst.stats.become_master += 1;
        if inst.master_adver_int != inst.adver_int {
            out.log(Msg::IntervalLocal {
                inst: id,
                from: inst.master_adver_int,
                to: inst.adver_int,
            });
            inst.master_adver_int = inst.adver_int;
        }
        inst.set_addresses(out);
        inst.garp(inst.garp.master_repeat, out);
        if inst.garp.master_refresh > Duration::ZERO {
            inst.garp_refresh_at = Some(now + inst.garp.master_refresh);
        }
        inst.schedule_garp_extra(now);
        self.notify(i, out);
        let inst = &mut self.insts[i];
        if inst.lvs_syncd {
            lvs_syncd::switch(SyncdRole::Master, out);
        }
        if inst.garp.master_delay > Duration::ZERO {
            inst.timers
                .set(Timer::GarpDelay, now + inst.garp.master_delay);
        }
    }

    /// `vrrp_state_leave_master`: to BACKUP silently (a better master exists) or to FAULT
    /// with a priority-0 advert; a failure or a deleted address adds another priority-0
    /// advert through `vrrp_restore_interface`.
    fn leave_master(&mut self, i: usize, new: State, why: Why, now: Instant, out: &mut Actions) {
        let inst = &mut self.insts[i];
        let id = inst.id;
        if inst.lvs_syncd && inst.vipset && matches!(new, State::Backup | State::Fault) {
            lvs_syncd::switch(SyncdRole::Backup, out);
        }
        match new {
            State::Backup => {
                out.log(Msg::Entering {
                    inst: id,
                    state: State::Backup,
                    init: false,
                });
                inst.preempt_until = None;
            }
            State::Fault => {
                out.log(Msg::Entering {
                    inst: id,
                    state: State::Fault,
                    init: false,
                });
                inst.send_advert(0, out);
            }
            State::Init | State::Master => return,
        }
        let prio_zero = matches!(why, Why::Tracking | Why::AddressDeleted);
        inst.restore_interface(prio_zero, out);
        inst.timers.clear(Timer::GarpDelay);
        inst.timers.clear(Timer::LowerPrioGarp);
        inst.state = new;
        self.notify(i, out);
        let inst = &mut self.insts[i];
        inst.ms_down_timer = inst.down_interval();
        inst.stats.release_master += 1;
        self.arm(i, now);
    }

    /// `vrrp_state_leave_fault` for a target other than MASTER (and keepalived's other
    /// direct moves between BACKUP, FAULT and INIT): the line only when the state changes,
    /// the notification always.
    fn settle(&mut self, i: usize, new: State, why: Why, now: Instant, out: &mut Actions) {
        let inst = &mut self.insts[i];
        if inst.state != new && why != Why::SyncQuiet {
            out.log(Msg::Entering {
                inst: inst.id,
                state: new,
                init: false,
            });
        }
        inst.state = new;
        self.notify(i, out);
        let inst = &mut self.insts[i];
        if new == State::Backup {
            inst.preempt_until = None;
        }
        inst.master_adver_int = inst.adver_int;
        inst.ms_down_timer = inst.down_interval();
        self.arm(i, now);
    }

    /// `vrrp_state_goto_master`: a sync group member waits until every member wants MASTER.
    pub(super) fn goto_master(&mut self, i: usize, now: Instant, out: &mut Actions) {
        if self.insts[i].group.is_some() && !self.can_goto_master(i, now) {
            self.insts[i].want = State::Master;
            return;
        }
        self.change_state(i, State::Master, Why::Takeover, now, out);
    }

    /// `vrrp_state_leave_fault`: to `want`.
    pub(super) fn leave_fault(&mut self, i: usize, why: Why, now: Instant, out: &mut Actions) {
        let want = self.insts[i].want;
        if want == State::Master {
            self.goto_master(i, now, out);
            let inst = &mut self.insts[i];
            inst.master_adver_int = inst.adver_int;
            inst.ms_down_timer = inst.down_interval();
            self.arm(i, now);
        } else {
            self.change_state(i, want, why, now, out);
        }
    }

    /// keepalived's `down_instance`: the first failed object takes the instance (and its
    /// sync group) to FAULT.
    pub(super) fn down_instance(&mut self, i: usize, now: Instant, out: &mut Actions) {
        let inst = &mut self.insts[i];
        let first = inst.faults == 0;
        inst.faults += 1;
        if !first && inst.state != State::Init {
            return;
        }
        inst.want = State::Fault;
        self.change_state(i, State::Fault, Why::Tracking, now, out);
        if let Some(g) = self.insts[i].group.map(|g| usize::from(g.0)) {
            let group = &mut self.groups[g];
            group.faults += 1;
            if group.faults == 1 {
                self.sync_fault(i, now, out);
            }
        }
    }

    /// keepalived's `try_up_instance`: the last failed object recovered (or, with
    /// `leaving_init`, the last weight-0 script ran for the first time).
    pub(super) fn try_up_instance(
        &mut self,
        i: usize,
        leaving_init: bool,
        now: Instant,
        out: &mut Actions,
    ) {
        let g = self.insts[i].group.map(|g| usize::from(g.0));
        let inst = &mut self.insts[i];
        if leaving_init {
            if inst.faults > 0 {
                return;
            }
        } else {
            inst.faults = inst.faults.saturating_sub(1);
            if inst.faults > 0 || inst.inits > 0 {
                if inst.faults == 0 {
                    if let Some(g) = g {
                        self.groups[g].faults = self.groups[g].faults.saturating_sub(1);
                        self.groups[g].state = State::Init;
                    }
                    self.insts[i].want = State::Backup;
                }
                return;
            }
        }
        let inst = &mut self.insts[i];
        let owner_master = inst.want == State::Master && inst.base_priority == PRIO_OWNER;
        if !owner_master {
            inst.want = State::Backup;
        }
        inst.master_adver_int = inst.adver_int;
        inst.ms_down_timer = if owner_master {
            inst.master_adver_int + inst.skew()
        } else {
            inst.down_interval()
        };
        if let Some(g) = g {
            let group = &mut self.groups[g];
            if leaving_init {
                if group.faults > 0 {
                    return;
                }
            } else {
                group.faults = group.faults.saturating_sub(1);
                if group.faults > 0 || group.inits > 0 {
                    return;
                }
            }
        }
        let wanted = self.insts[i].want;
        if g.is_some() && wanted == State::Master && !self.can_goto_master(i, now) {
            self.insts[i].want = State::Backup;
        }
        self.leave_fault(i, Why::Tracking, now, out);
        let inst = &mut self.insts[i];
        if inst.unicast {
            if let Some(addr) = inst.saddr {
                out.log(Msg::GarpOwnSource {
                    inst: inst.id,
                    addr,
                });
                out.push(Action::GarpSource(inst.id));
            }
        }
        self.arm(i, now);
        self.insts[i].want = wanted;
        if g.is_some() {
            if self.insts[i].state == State::Master {
                self.sync_master(i, now, out);
            } else {
                self.sync_backup(i, now, out);
            }
        }
    }

    /// keepalived's `vrrp_set_effective_priority`: clamp to 1..254 (owners never change); a
    /// BACKUP's running Master_Down_Timer moves by the change in its length.
    pub(super) fn set_effective_priority(&mut self, i: usize, out: &mut Actions) {
        let inst = &mut self.insts[i];
        if inst.base_priority == PRIO_OWNER {
            return;
        }
        let new = inst.total_priority.clamp(1, i32::from(PRIO_OWNER) - 1) as u8;
        if inst.effective_priority == new {
            return;
        }
        out.log(Msg::PriorityChange {
            inst: inst.id,
            from: inst.effective_priority,
            to: new,
        });
        inst.effective_priority = new;
        let old = inst.ms_down_timer;
        inst.ms_down_timer = inst.down_interval();
        if inst.state == State::Backup {
            if let Some(at) = inst.timers.get(Timer::MasterDown) {
                let moved = if old < inst.ms_down_timer {
                    at + (inst.ms_down_timer - old)
                } else {
                    Instant::from_micros(
                        at.as_micros()
                            .saturating_sub((old - inst.ms_down_timer).as_micros()),
                    )
                };
                inst.timers.set(Timer::MasterDown, moved);
            }
        }
        if inst.notify_priority_changes {
            out.push(Action::PriorityChanged {
                instance: inst.id,
                priority: new,
                master: inst.state == State::Master,
            });
        }
    }

    /// keepalived's transition table (`VRRP_TSM`): what a member's change means for its group.
    fn sync_after(&mut self, i: usize, prev: State, now: Instant, out: &mut Actions) {
        if self.insts[i].group.is_none() {
            return;
        }
        match (prev, self.insts[i].state) {
            (State::Backup | State::Master | State::Fault, State::Master) => {
                self.sync_master(i, now, out)
            }
            (State::Master, State::Backup) => self.sync_backup(i, now, out),
            _ => {}
        }
    }

    /// One of the instance's timers expired.
    pub(super) fn timeout(&mut self, i: usize, t: Timer, now: Instant, out: &mut Actions) {
        let inst = &mut self.insts[i];
        inst.timers.clear(t);
        match t {
            Timer::Advert | Timer::MasterDown => {
                let prev = inst.state;
                match (prev, t) {
                    (State::Backup, Timer::MasterDown) => {
                        out.log(Msg::ReceiveTimeout(inst.id));
                        inst.want = State::Master;
                        self.goto_master(i, now, out);
                    }
                    (State::Master, Timer::Advert) => self.master_tx(i, now, out),
                    _ => return,
                }
                self.sync_after(i, prev, now, out);
                self.arm(i, now);
            }
            Timer::GarpDelay => inst.garp(inst.garp.master_repeat, out),
            Timer::LowerPrioGarp => inst.garp(inst.garp.lower_prio_repeat, out),
        }
    }

    /// keepalived's `vrrp_state_master_tx` while MASTER: the advert, then the GARP refresh
    /// and the `garp_extra_if` round when they are due.
    fn master_tx(&mut self, i: usize, now: Instant, out: &mut Actions) {
        let inst = &mut self.insts[i];
        inst.send_advert(inst.effective_priority, out);
        if !inst.vipset {
            return;
        }
        if let Some(at) = inst.garp_refresh_at {
            if now > at {
                inst.garp(inst.garp.master_refresh_repeat, out);
                inst.garp_refresh_at = Some(now + inst.garp.master_refresh);
            }
        }
        inst.garp_extra_due(now, out);
    }

    /// An advert arrived for instance `i` from `src`. `ladder` validates it (given whether
    /// the VIP list must be checked) and returns it when accepted. keepalived's dispatcher:
    /// ignored in FAULT and INIT; afterwards the timers restart from now (a MASTER with
    /// `lower_prio_no_advert` keeps its advert timer).
    pub(super) fn receive<F>(
        &mut self,
        i: usize,
        src: std::net::IpAddr,
        now: Instant,
        out: &mut Actions,
        ladder: F,
    ) where
        F: FnOnce(&mut Instance, bool, &mut Actions) -> Option<Advert>,
    {
        let prev = self.insts[i].state;
        match prev {
            State::Backup => {
                let inst = &mut self.insts[i];
                let check_addr = !inst.skip_check_adv_addr || inst.master_saddr != Some(src);
                let advert = ladder(inst, check_addr, out);
                self.backup_rx(i, advert, now, out);
            }
            State::Master => {
                let advert = ladder(&mut self.insts[i], true, out);
                if self.master_rx(i, advert, now, out) {
                    self.change_state(i, State::Backup, Why::Preempted, now, out);
                }
            }
            State::Fault | State::Init => return,
        }
        self.sync_after(i, prev, now, out);
        let inst = &self.insts[i];
        if inst.state != State::Master || !inst.lower_prio_no_advert {
            self.arm(i, now);
        }
    }

    /// keepalived's `vrrp_state_backup`. The preempt deadline is inclusive: keepalived stamps
    /// it with a fresh clock read, a little after the packet's receive time, so an advert
    /// arriving exactly `preempt_delay` after the first is still accepted (its takeover comes
    /// preempt_delay + Master_Down_Interval after the first lower-priority advert).
    fn backup_rx(&mut self, i: usize, advert: Option<Advert>, now: Instant, out: &mut Actions) {
        let inst = &mut self.insts[i];
        let id = inst.id;
        let ignore = match advert {
            None => true,
            Some(a) if a.priority == 0 => {
                out.log(Msg::BackupPriorityZero(id));
                inst.ms_down_timer = inst.skew();
                false
            }
            Some(a)
                if inst.nopreempt
                    || a.priority >= inst.effective_priority
                    || (inst.preempt_delay > Duration::ZERO
                        && inst.preempt_until.map_or(true, |t| t >= now)) =>
            {
                inst.adopt_interval(a.adver_int, out);
                inst.ms_down_timer = inst.down_interval();
                inst.master_saddr = Some(a.src);
                inst.master_priority = a.priority;
                if inst.preempt_delay > Duration::ZERO {
                    if a.priority >= inst.effective_priority {
                        if inst.preempt_until.take().is_some() {
                            out.log(Msg::StopPreemptDelay(id));
                        }
                    } else if inst.preempt_until.is_none() {
                        out.log(Msg::StartPreemptDelay {
                            inst: id,
                            delay: inst.preempt_delay,
                        });
                        inst.preempt_until = Some(now + inst.preempt_delay);
                    }
                }
                inst.want = State::Backup;
                false
            }
            Some(a) => {
                out.log(Msg::DiscardLowerPriority {
                    inst: id,
                    priority: a.priority,
                    from: a.src,
                });
                inst.master_saddr = Some(a.src);
                true
            }
        };
        if ignore {
            // The timer keeps running: re-arming from now must land where it was.
            let at = inst.timers.get(Timer::MasterDown).unwrap_or(now);
            inst.ms_down_timer = at.saturating_since(now);
        }
    }

    /// keepalived's `vrrp_state_master_rx`; true when the instance must go BACKUP.
    fn master_rx(
        &mut self,
        i: usize,
        advert: Option<Advert>,
        now: Instant,
        out: &mut Actions,
    ) -> bool {
        let Some(a) = advert else {
            return false;
        };
        let inst = &mut self.insts[i];
        let id = inst.id;
        let cmp = inst.compare_source(a.src);
        let ours = inst.effective_priority;
        let better = a.priority > ours || (a.priority == ours && cmp == Ordering::Greater);
        if a.priority == 0 || (inst.higher_prio_send_advert && better) {
            inst.send_advert(ours, out);
            if a.priority == 0 {
                out.log(Msg::MasterPriorityZero(id));
                return false;
            }
        }
        if a.priority == ours {
            if cmp == Ordering::Equal {
                out.log(Msg::EqualPriorityOwnAddress(id));
            } else if ours == PRIO_OWNER {
                out.log(Msg::BothOwners(id));
                inst.effective_priority = PRIO_OWNER - 1;
                inst.base_priority = PRIO_OWNER - 1;
            }
        }
        let ours = inst.effective_priority;
        if a.priority < ours || (a.priority == ours && cmp == Ordering::Less) {
            self.master_rx_lower(i, a, now, out);
            return false;
        }
        if a.priority > ours || (a.priority == ours && cmp == Ordering::Greater) {
            out.log(if a.priority > ours {
                Msg::MasterHigherPriority {
                    inst: id,
                    from: a.src,
                    priority: a.priority,
                    ours,
                }
            } else {
                Msg::MasterSamePriorityHigherIp {
                    inst: id,
                    from: a.src,
                    priority: a.priority,
                }
            });
            if matches!(inst.auth, Some((AuthType::Ah, _))) {
                inst.ah_cycle = false;
            }
            inst.adopt_interval(a.adver_int, out);
            inst.ms_down_timer = inst.down_interval();
            inst.master_priority = a.priority;
            inst.want = State::Backup;
            return true;
        }
        false
    }

    /// A MASTER heard a lower priority: it re-asserts itself (unless `lower_prio_no_advert`),
    /// refreshes ARP caches, for its sync group too, and tells `notify_master_rx_lower_pri`.
    fn master_rx_lower(&mut self, i: usize, a: Advert, now: Instant, out: &mut Actions) {
        let inst = &mut self.insts[i];
        let id = inst.id;
        out.log(Msg::MasterLowerPriority {
            inst: id,
            from: a.src,
            priority: a.priority,
            ours: inst.effective_priority,
            election: !inst.lower_prio_no_advert,
        });
        if matches!(inst.auth, Some((AuthType::Ah, _))) {
            out.log(Msg::AhSyncSeq(id));
            inst.ah_seq = a.ah_seq.unwrap_or(0).wrapping_add(1);
            inst.ah_cycle = false;
        }
        if !inst.lower_prio_no_advert {
            inst.send_advert(inst.effective_priority, out);
        }
        inst.garp_lower_prio(now, out);
        if let Some(g) = inst.group.map(|g| usize::from(g.0)) {
            for k in 0..self.groups[g].members.len() {
                let m = self.groups[g].member(k);
                if m != i {
                    self.insts[m].garp_lower_prio(now, out);
                }
            }
        }
        let inst = &self.insts[i];
        out.push(Action::MasterRxLowerPri {
            instance: id,
            priority: inst.effective_priority,
        });
    }

    /// keepalived's `set_vrrp_backup`: a VIP of a MASTER was deleted by someone else. It
    /// resigns with a priority-0 advert (so do its group's other masters) and stands for
    /// election again after Skew_Time.
    pub(super) fn address_deleted(&mut self, i: usize, now: Instant, out: &mut Actions) {
        self.insts[i].want = State::Backup;
        self.change_state(i, State::Backup, Why::AddressDeleted, now, out);
        if let Some(g) = self.insts[i].group.map(|g| usize::from(g.0)) {
            for k in 0..self.groups[g].members.len() {
                let m = self.groups[g].member(k);
                if self.insts[m].state == State::Master {
                    self.insts[m].want = State::Backup;
                    self.change_state(m, State::Backup, Why::AddressDeleted, now, out);
                    self.quick_election(m, now);
                }
            }
            self.groups[g].state = State::Backup;
        }
        self.quick_election(i, now);
    }

    fn quick_election(&mut self, i: usize, now: Instant) {
        let inst = &mut self.insts[i];
        inst.ms_down_timer = inst.skew();
        self.arm(i, now);
    }

    pub(super) fn id(&self, i: usize) -> InstanceId {
        self.insts[i].id
    }
}

#[cfg(test)]
mod tests {
    use super::super::action::InstanceId;
    use super::super::testutil::*;
    use super::*;
    use crate::config::model::vrrp::Version;

    const VI: InstanceId = InstanceId(0);

    fn conf(priority: u8, extra: &str) -> String {
        format!(
            "vrrp_instance VI_1 {{
                state BACKUP
                interface eth0
                virtual_router_id 51
                priority {priority}
                advert_int 1
                {extra}
                virtual_ipaddress {{
                    10.0.0.100/24
                }}
            }}"
        )
    }

    fn state(r: &crate::vrrp::router::Router) -> State {
        r.instances()[0].state()
    }

    /// A router for `conf`, started at t=0; returns it with nothing pending in `out`.
    fn started(text: &str) -> (crate::vrrp::router::Router, Actions) {
        let mut r = router(text);
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        (r, out)
    }

    /// Started and MASTER at its first timeout.
    fn master(text: &str) -> (crate::vrrp::router::Router, Actions) {
        let (mut r, mut out) = started(text);
        let t = r.poll_at().expect("a timer");
        r.handle_timeout(t, &mut out);
        assert_eq!(state(&r), State::Master);
        out.clear();
        (r, out)
    }

    #[test]
    fn backup_takes_over_after_exactly_master_down_interval() {
        let (mut r, out) = started(&conf(150, ""));
        assert_eq!(
            lines(&r, &out),
            [
                "(VI_1) removing VIPs.",
                "remove VI_1",
                "(VI_1) Entering BACKUP STATE (init)",
                "notify INSTANCE VI_1 BACKUP 150",
            ]
        );
        // 3 × 1 s + (256 - 150) / 256 s, truncated to the µs.
        assert_eq!(r.poll_at(), Some(at(3_414_062)));
        let mut out = actions(&r);
        r.handle_timeout(at(3_414_061), &mut out);
        assert!(out.is_empty());
        r.handle_timeout(at(3_414_062), &mut out);
        assert_eq!(
            lines(&r, &out),
            [
                "(VI_1) Receive advertisement timeout",
                "advert VI_1 prio 150",
                "(VI_1) Entering MASTER STATE",
                "(VI_1) setting VIPs.",
                "add VI_1",
                "garp VI_1 x5",
                "notify INSTANCE VI_1 MASTER 150",
            ]
        );
        assert_eq!(r.poll_at(), Some(at(4_414_062)));
        assert_eq!(r.instances()[0].stats().become_master, 1);
    }

    #[test]
    fn master_advertises_every_interval_and_repeats_garps_after_garp_master_delay() {
        let (mut r, mut out) = master(&conf(150, ""));
        run_until(&mut r, at(3_414_062 + 5_000_000), &mut out);
        assert_eq!(adverts(&out, VI), [150; 5]);
        let garps: Vec<String> = lines(&r, &out)
            .into_iter()
            .filter(|l| l.starts_with("garp"))
            .collect();
        assert_eq!(garps, ["garp VI_1 x5"]);
        assert_eq!(r.instances()[0].deadline(Timer::GarpDelay), None);
    }

    #[test]
    fn garp_refresh_rides_on_the_adverts() {
        let (mut r, mut out) = master(&conf(150, "garp_master_refresh 3\ngarp_master_delay 0"));
        run_until(&mut r, at(3_414_062 + 4_000_000), &mut out);
        // Adverts at +1..+4 s; the refresh falls due after +3 s, at the +4 s advert.
        let l = lines(&r, &out);
        assert_eq!(adverts(&out, VI).len(), 4);
        assert_eq!(l.iter().filter(|l| *l == "garp VI_1 x1").count(), 1);
        assert_eq!(l.last().map(String::as_str), Some("garp VI_1 x1"));
    }

    #[test]
    fn priority_zero_advert_brings_takeover_after_skew_time() {
        let (mut r, mut out) = started(&conf(100, ""));
        out.clear();
        deliver(
            &mut r,
            secs(1),
            &v2("10.0.0.2", 51, 150, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(r.poll_at(), Some(at(1_000_000 + 3_609_375)));
        out.clear();
        deliver(
            &mut r,
            secs(2),
            &v2("10.0.0.2", 51, 0, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(
            logs(&r, &out),
            ["(VI_1) Backup received priority 0 advertisement"]
        );
        // Skew_Time for priority 100: 156 / 256 s.
        assert_eq!(r.poll_at(), Some(at(2_000_000 + 609_375)));
        assert_eq!(r.instances()[0].stats().pri_zero_rcvd, 1);
    }

    #[test]
    fn master_yields_to_a_higher_priority_without_a_priority_zero_advert() {
        let (mut r, mut out) = master(&conf(100, ""));
        let now = at(4_000_000);
        deliver(
            &mut r,
            now,
            &v2("10.0.0.2", 51, 150, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(
            lines(&r, &out),
            [
                "(VI_1) Master received advert from 10.0.0.2 with higher priority 150, ours 100",
                "(VI_1) Entering BACKUP STATE",
                "(VI_1) removing VIPs.",
                "remove VI_1",
                "notify INSTANCE VI_1 BACKUP 100",
            ]
        );
        assert_eq!(state(&r), State::Backup);
        assert_eq!(r.poll_at(), Some(now + Duration::from_micros(3_609_375)));
        assert_eq!(r.instances()[0].stats().release_master, 1);
        assert_eq!(r.instances()[0].master_priority(), 150);
    }

    #[test]
    fn preempting_backup_discards_lower_priority_and_keeps_its_timer() {
        let (mut r, mut out) = started(&conf(150, ""));
        out.clear();
        deliver(
            &mut r,
            secs(1),
            &v2("10.0.0.2", 51, 100, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(
            logs(&r, &out),
            ["(VI_1) received lower priority (100) advert from 10.0.0.2 - discarding"]
        );
        assert_eq!(r.poll_at(), Some(at(3_414_062)));
        assert_eq!(r.instances()[0].master_addr(), Some(ip("10.0.0.2")));
    }

    #[test]
    fn nopreempt_backup_accepts_a_lower_priority_master() {
        let (mut r, mut out) = started(&conf(150, "nopreempt"));
        out.clear();
        deliver(
            &mut r,
            secs(1),
            &v2("10.0.0.2", 51, 100, &["10.0.0.100"]),
            &mut out,
        );
        assert!(logs(&r, &out).is_empty());
        assert_eq!(r.poll_at(), Some(at(1_000_000 + 3_414_062)));
    }

    #[test]
    fn preempt_delay_takes_over_delay_plus_master_down_after_the_first_lower_advert() {
        let (mut r, mut out) = started(&conf(150, "preempt_delay 2"));
        out.clear();
        let lower = v2("10.0.0.2", 51, 100, &["10.0.0.100"]);
        let first = 500_000;
        deliver(&mut r, at(first), &lower, &mut out);
        assert_eq!(logs(&r, &out), ["(VI_1) start preempt delay (2.000000)"]);
        for k in 1..=4 {
            deliver(&mut r, at(first + k * 1_000_000), &lower, &mut out);
        }
        let takeover = first + 2_000_000 + 3_414_062;
        assert_eq!(r.poll_at(), Some(at(takeover)));
        run_until(&mut r, at(takeover), &mut out);
        assert_eq!(state(&r), State::Master);
        let discards = logs(&r, &out)
            .iter()
            .filter(|l| l.ends_with("- discarding"))
            .count();
        assert_eq!(discards, 2);
    }

    #[test]
    fn a_higher_priority_advert_stops_the_preempt_delay() {
        let (mut r, mut out) = started(&conf(150, "preempt_delay 2"));
        deliver(
            &mut r,
            secs(1),
            &v2("10.0.0.2", 51, 100, &["10.0.0.100"]),
            &mut out,
        );
        out.clear();
        deliver(
            &mut r,
            secs(2),
            &v2("10.0.0.3", 51, 200, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(logs(&r, &out), ["(VI_1) stop preempt delay"]);
    }

    #[test]
    fn equal_priority_masters_resolve_by_primary_address() {
        let (mut r, mut out) = master(&conf(150, ""));
        deliver(
            &mut r,
            secs(4),
            &v2("9.0.0.1", 51, 150, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(
            lines(&r, &out),
            [
                "(VI_1) Received advert from 9.0.0.1 with lower priority 150, ours 150, forcing new election",
                "advert VI_1 prio 150",
                "garp VI_1 x5",
                "master_rx_lower_pri VI_1 150",
            ]
        );
        assert_eq!(state(&r), State::Master);
        assert_eq!(r.poll_at(), Some(secs(5)));
        out.clear();
        deliver(
            &mut r,
            secs(5),
            &v2("10.0.0.2", 51, 150, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(
            logs(&r, &out)[0],
            "(VI_1) Master received advert from 10.0.0.2 with same priority 150 but higher IP address than ours"
        );
        assert_eq!(state(&r), State::Backup);
    }

    #[test]
    fn lower_prio_no_advert_stays_quiet_and_keeps_the_advert_timer() {
        let (mut r, mut out) = master(&conf(150, "lower_prio_no_advert"));
        let next = r.poll_at();
        deliver(
            &mut r,
            at(4_000_000),
            &v2("10.0.0.2", 51, 100, &["10.0.0.100"]),
            &mut out,
        );
        assert!(adverts(&out, VI).is_empty());
        assert_eq!(
            logs(&r, &out)[0],
            "(VI_1) Received advert from 10.0.0.2 with lower priority 100, ours 150"
        );
        assert_eq!(r.poll_at(), next);
    }

    #[test]
    fn higher_prio_send_advert_answers_before_yielding() {
        let (mut r, mut out) = master(&conf(150, "higher_prio_send_advert"));
        deliver(
            &mut r,
            secs(4),
            &v2("10.0.0.2", 51, 200, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(adverts(&out, VI), [150]);
        assert_eq!(state(&r), State::Backup);
    }

    #[test]
    fn master_answers_a_priority_zero_advert_at_once() {
        let (mut r, mut out) = master(&conf(150, ""));
        deliver(
            &mut r,
            secs(4),
            &v2("10.0.0.2", 51, 0, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(adverts(&out, VI), [150]);
        assert_eq!(
            logs(&r, &out),
            ["(VI_1) Master received priority 0 message"]
        );
        assert_eq!(r.poll_at(), Some(secs(5)));
    }

    #[test]
    fn owner_becomes_master_one_microsecond_after_start() {
        let text = "vrrp_instance VI_1 {
            state MASTER
            interface eth0
            virtual_router_id 51
            priority 255
            virtual_ipaddress {
                10.0.0.100/24
            }
        }";
        let (mut r, out) = started(text);
        assert!(logs(&r, &out).is_empty());
        assert_eq!(r.poll_at(), Some(at(1)));
        let mut out = actions(&r);
        r.handle_timeout(at(1), &mut out);
        assert_eq!(state(&r), State::Master);
        assert_eq!(adverts(&out, VI), [255]);
    }

    #[test]
    fn state_master_below_255_starts_as_backup() {
        let (r, out) = started(&conf(150, "").replace("state BACKUP", "state MASTER"));
        assert!(logs(&r, &out).contains(&"(VI_1) Entering BACKUP STATE (init)".to_string()));
        assert_eq!(r.poll_at(), Some(at(3_414_062)));
    }

    #[test]
    fn two_owners_both_drop_to_254() {
        let text = conf(255, "").replace("state BACKUP", "state MASTER");
        let (mut r, mut out) = master(&text);
        deliver(
            &mut r,
            secs(1),
            &v2("10.0.0.2", 51, 255, &["10.0.0.100"]),
            &mut out,
        );
        let l = logs(&r, &out);
        assert_eq!(l[0], "(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority");
        assert_eq!(r.instances()[0].effective_priority(), 254);
        assert_eq!(r.instances()[0].base_priority(), 254);
        assert_eq!(state(&r), State::Backup);
    }

    #[test]
    fn v3_backup_adopts_the_masters_interval_and_reverts_as_master() {
        let text = conf(150, "").replace("advert_int 1", "version 3\nadvert_int 1");
        let (mut r, mut out) = started(&text);
        out.clear();
        let half = Duration::from_micros(500_000);
        let a = advert("10.0.0.2", Version::V3, 51, 200, half, &["10.0.0.100"]);
        deliver(&mut r, secs(1), &a, &mut out);
        assert_eq!(
            logs(&r, &out),
            ["(VI_1) advertisement interval updated from 1000ms to 500ms by master"]
        );
        assert_eq!(r.instances()[0].master_adver_int(), half);
        // 3 × 0.5 s + 106 × 50 cs × 625 / 16 µs.
        let down = 1_500_000 + 207_031;
        assert_eq!(r.poll_at(), Some(at(1_000_000 + down)));
        out.clear();
        r.handle_timeout(at(1_000_000 + down), &mut out);
        assert!(logs(&r, &out).contains(
            &"(VI_1) changing advert interval from 500ms to locally configured 1000ms".to_string()
        ));
        assert_eq!(r.poll_at(), Some(at(2_000_000 + down)));
    }

    #[test]
    fn down_timer_adverts_sets_the_multiple() {
        let (r, _) = started(&conf(150, "down_timer_adverts 10"));
        assert_eq!(r.poll_at(), Some(at(10_414_062)));
    }

    #[test]
    fn startup_delay_postpones_the_first_timeout() {
        let text = format!(
            "global_defs {{\n vrrp_startup_delay 5\n}}\n{}",
            conf(150, "")
        );
        let (r, out) = started(&text);
        assert_eq!(logs(&r, &out)[0], "Delaying startup for 5 seconds");
        assert_eq!(r.poll_at(), Some(at(5_000_000 + 3_414_062)));
    }

    #[test]
    fn stop_resigns_a_master_with_priority_zero() {
        let (mut r, mut out) = master(&conf(150, ""));
        r.stop(secs(5), &mut out);
        assert_eq!(
            lines(&r, &out),
            [
                "advert VI_1 prio 0",
                "(VI_1) sent 0 priority",
                "(VI_1) removing VIPs.",
                "remove VI_1",
                "notify INSTANCE VI_1 STOP 150",
            ]
        );
        assert_eq!(r.instances()[0].stats().pri_zero_sent, 1);
        assert_eq!(r.poll_at(), None);
    }

    #[test]
    fn stop_of_a_backup_only_notifies() {
        let (mut r, mut out) = started(&conf(150, ""));
        out.clear();
        r.stop(secs(1), &mut out);
        assert_eq!(lines(&r, &out), ["notify INSTANCE VI_1 STOP 150"]);
    }

    #[test]
    fn a_deleted_vip_makes_the_master_stand_again_after_skew_time() {
        let (mut r, mut out) = master(&conf(150, ""));
        let now = secs(5);
        r.address_removed(now, "eth0", ip("10.0.0.200"), &mut out);
        assert!(out.is_empty());
        r.address_removed(now, "eth0", ip("10.0.0.100"), &mut out);
        assert_eq!(adverts(&out, VI), [0]);
        assert_eq!(state(&r), State::Backup);
        assert_eq!(r.poll_at(), Some(now + Duration::from_micros(414_062)));
    }

    #[test]
    fn no_track_vips_do_not_count() {
        let text = conf(150, "").replace("10.0.0.100/24", "10.0.0.100/24 no_track");
        let (mut r, mut out) = master(&text);
        r.address_removed(secs(5), "eth0", ip("10.0.0.100"), &mut out);
        assert!(out.is_empty());
        assert_eq!(state(&r), State::Master);
    }

    #[test]
    fn invalid_adverts_do_not_reset_a_backups_timer() {
        let (mut r, mut out) = started(&conf(100, ""));
        let mut bad = v2("10.0.0.2", 51, 150, &["10.0.0.100"]);
        bad[8] = 64; // TTL
        deliver(&mut r, secs(1), &bad, &mut out);
        assert_eq!(r.poll_at(), Some(at(3_609_375)));
        assert_eq!(r.instances()[0].stats().ip_ttl_err, 1);
    }
}
