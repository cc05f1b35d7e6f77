//! Sync groups (`vrrp_sync_group`): members move together. One may become MASTER only when
//! every member wants MASTER, and then all do; one going BACKUP takes all to BACKUP; one
//! failing takes all to FAULT until every member is healthy again (keepalived's
//! `vrrp_sync.c`). The group reports its own state through GROUP notifications.

use super::action::{Action, Actions, GroupId, InstanceId, NotifyState, Target};
use super::fsm::{Fsm, Why};
use super::instance::State;
use super::msg::Msg;
use crate::time::Instant;

#[derive(Clone, Debug)]
pub struct Group {
    pub(super) id: GroupId,
    pub(super) name: Box<str>,
    pub(super) members: Box<[InstanceId]>,
    pub(super) state: State,
    /// Members held in FAULT (keepalived's `num_member_fault`).
    pub(super) faults: u32,
    /// Members waiting for a weight-0 script's first result (`num_member_init`).
    pub(super) inits: u32,
}

impl Group {
    pub(super) fn new(id: GroupId, name: &str, members: Box<[InstanceId]>) -> Group {
        Group {
            id,
            name: name.into(),
            members,
            state: State::Init,
            faults: 0,
            inits: 0,
        }
    }

    /// The instance index of member `k` (`k < members.len()`).
    pub(super) fn member(&self, k: usize) -> usize {
        usize::from(self.members[k].0)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn members(&self) -> &[InstanceId] {
        &self.members
    }

    /// keepalived's `send_group_notifies` (a group's priority is always 0).
    pub(super) fn notify(&self, out: &mut Actions) {
        if let Some(state) = self.state.notify() {
            out.push(Action::Notify {
                target: Target::Group(self.id),
                state,
                priority: 0,
            });
        }
    }

    pub(super) fn notify_stop(&self, out: &mut Actions) {
        out.push(Action::Notify {
            target: Target::Group(self.id),
            state: NotifyState::Stop,
            priority: 0,
        });
    }
}

impl Fsm {
    fn group_of(&self, i: usize) -> Option<usize> {
        self.insts[i].group.map(|g| usize::from(g.0))
    }

    /// keepalived's `vrrp_sync_can_goto_master`: prefer BACKUP to thrashing. While another
    /// member does not want MASTER, this one's Master_Down_Timer starts again.
    pub(super) fn can_goto_master(&mut self, i: usize, now: Instant) -> bool {
        let Some(g) = self.group_of(i) else {
            return true;
        };
        if self.groups[g].state == State::Master {
            return true;
        }
        for k in 0..self.groups[g].members.len() {
            let m = self.groups[g].member(k);
            if m != i && self.insts[m].want != State::Master {
                let inst = &mut self.insts[i];
                inst.ms_down_timer = inst.down_interval();
                self.arm(i, now);
                return false;
            }
        }
        true
    }

    /// keepalived's `vrrp_sync_master`: member `i` became MASTER; the others follow.
    pub(super) fn sync_master(&mut self, i: usize, now: Instant, out: &mut Actions) {
        let Some(g) = self.group_of(i) else {
            return;
        };
        if self.groups[g].state == State::Master || !self.can_goto_master(i, now) {
            return;
        }
        out.log(Msg::GroupSyncing {
            group: self.groups[g].id,
            state: State::Master,
        });
        for k in 0..self.groups[g].members.len() {
            let m = self.groups[g].member(k);
            if m != i && self.insts[m].state != State::Master {
                self.insts[m].want = State::Master;
                self.goto_master(m, now, out);
            }
        }
        self.groups[g].state = State::Master;
        self.groups[g].notify(out);
    }

    /// keepalived's `vrrp_sync_backup`: member `i` went BACKUP; the others follow.
    pub(super) fn sync_backup(&mut self, i: usize, now: Instant, out: &mut Actions) {
        let Some(g) = self.group_of(i) else {
            return;
        };
        if self.groups[g].state == State::Backup {
            return;
        }
        out.log(Msg::GroupSyncing {
            group: self.groups[g].id,
            state: State::Backup,
        });
        for k in 0..self.groups[g].members.len() {
            let m = self.groups[g].member(k);
            if m == i || self.insts[m].state == State::Backup {
                continue;
            }
            self.insts[m].want = State::Backup;
            match self.insts[m].state {
                State::Fault | State::Init => self.leave_fault(m, Why::Sync, now, out),
                _ => self.change_state(m, State::Backup, Why::Sync, now, out),
            }
        }
        self.groups[g].state = State::Backup;
        self.groups[g].notify(out);
    }

    /// keepalived's `vrrp_sync_fault`: member `i` failed; masters resign with a priority-0
    /// advert, and the group stays in FAULT until every member recovers.
    pub(super) fn sync_fault(&mut self, i: usize, now: Instant, out: &mut Actions) {
        let Some(g) = self.group_of(i) else {
            return;
        };
        if self.groups[g].state == State::Fault {
            return;
        }
        out.log(Msg::GroupSyncing {
            group: self.groups[g].id,
            state: State::Fault,
        });
        for k in 0..self.groups[g].members.len() {
            let m = self.groups[g].member(k);
            if m == i || self.insts[m].state == State::Fault {
                continue;
            }
            self.insts[m].want = State::Fault;
            let why = match self.insts[m].state {
                State::Master => Why::Sync,
                _ => Why::SyncQuiet,
            };
            self.change_state(m, State::Fault, why, now, out);
        }
        self.groups[g].state = State::Fault;
        self.groups[g].notify(out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::action::NotifyState;
    use super::super::router::Router;
    use super::super::testutil::*;
    use super::*;

    const CONF: &str = "
        vrrp_sync_group G1 {
            group {
                VI_1
                VI_2
            }
        }
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority 100
            virtual_ipaddress {
                10.0.0.100/24
            }
        }
        vrrp_instance VI_2 {
            interface eth0
            virtual_router_id 52
            priority 100
            track_interface {
                lo
            }
            virtual_ipaddress {
                10.0.0.200/24
            }
        }";

    fn states(r: &Router) -> Vec<State> {
        r.instances().iter().map(|i| i.state()).collect()
    }

    fn group_notifies(r: &Router, out: &Actions) -> Vec<String> {
        lines(r, out)
            .into_iter()
            .filter(|l| l.starts_with("notify GROUP") || l.starts_with("VRRP_Group"))
            .collect()
    }

    fn masters() -> (Router, Actions) {
        let mut r = router(CONF);
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        assert_eq!(
            lines(&r, &out)[0],
            "notify GROUP G1 BACKUP 0",
            "the group notifies before its members"
        );
        out.clear();
        run_until(&mut r, at(3_609_375), &mut out);
        (r, out)
    }

    #[test]
    fn members_become_master_together() {
        let (r, out) = masters();
        assert_eq!(states(&r), [State::Master, State::Master]);
        assert_eq!(
            group_notifies(&r, &out),
            [
                "VRRP_Group(G1) Syncing instances to MASTER state",
                "notify GROUP G1 MASTER 0"
            ]
        );
        assert_eq!(r.groups()[0].state(), State::Master);
    }

    #[test]
    fn one_member_preempted_takes_the_group_to_backup() {
        let (mut r, mut out) = masters();
        out.clear();
        deliver(
            &mut r,
            secs(4),
            &v2("10.0.0.2", 52, 200, &["10.0.0.200"]),
            &mut out,
        );
        assert_eq!(states(&r), [State::Backup, State::Backup]);
        assert_eq!(
            group_notifies(&r, &out),
            [
                "VRRP_Group(G1) Syncing instances to BACKUP state",
                "notify GROUP G1 BACKUP 0"
            ]
        );
        // Neither sends a priority-0 advert: a better master exists.
        assert!(adverts(&out, InstanceId(0)).is_empty());
    }

    #[test]
    fn one_member_failing_takes_the_group_to_fault_and_back() {
        let (mut r, mut out) = masters();
        out.clear();
        r.link_changed(secs(4), "lo", false, &mut out);
        assert_eq!(states(&r), [State::Fault, State::Fault]);
        assert_eq!(
            adverts(&out, InstanceId(0)),
            [0],
            "the other master resigns"
        );
        assert_eq!(notified(&out, InstanceId(0)), [NotifyState::Fault]);
        assert_eq!(
            group_notifies(&r, &out),
            [
                "VRRP_Group(G1) Syncing instances to FAULT state",
                "notify GROUP G1 FAULT 0"
            ]
        );
        out.clear();
        r.link_changed(secs(5), "lo", true, &mut out);
        assert_eq!(states(&r), [State::Backup, State::Backup]);
        assert_eq!(r.groups()[0].state(), State::Backup);
        assert_eq!(notified(&out, InstanceId(0)), [NotifyState::Backup]);
    }

    #[test]
    fn a_member_waits_while_another_does_not_want_master() {
        let mut r = router(CONF);
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        // VI_2 keeps hearing a master, so VI_1's timeout cannot take the group over.
        for k in 1..=3 {
            deliver(
                &mut r,
                secs(k),
                &v2("10.0.0.2", 52, 200, &["10.0.0.200"]),
                &mut out,
            );
        }
        run_until(&mut r, at(3_609_375), &mut out);
        assert_eq!(states(&r), [State::Backup, State::Backup]);
        let down = r.instances()[0].deadline(super::super::timer::Timer::MasterDown);
        assert_eq!(down, Some(at(2 * 3_609_375)));
    }
}
