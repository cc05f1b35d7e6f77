//! The VRRP core's notifications as keepalived sends them (`vrrp_notify.c`):
//!
//! 1. the `notify_<state>` script of the instance or group, with only its own arguments;
//! 2. the generic `notify` script, with `INSTANCE|GROUP NAME STATE PRIORITY` appended (the
//!    instance's effective priority; always 0 for a group);
//! 3. the FIFO line.
//!
//! Scripts are not waited for, except at shutdown: an instance's STOP scripts and a group's
//! generic STOP script get a second (a group's `notify_stop` is not waited for, as in
//! keepalived). An instance without `notify_deleted` reports DELETED as FAULT.
//! `MasterRxLowerPri` runs `notify_master_rx_lower_pri` then writes `MASTER_RX_LOWER_PRI`;
//! `PriorityChanged` only writes `MASTER_PRIORITY` or `BACKUP_PRIORITY`.

use super::children::Purpose;
use super::command::{Command, Tail};
use super::fifo::{Fifos, Line, LvsLine, Writers};
use super::msg::Msg;
use super::runner::{CmdId, Event, Runner};
use crate::config::model::global::Global;
use crate::config::model::script::Script;
use crate::config::model::vrrp::{NotifyScripts, Vrrp};
use crate::time::Instant;
use crate::vrrp::action::{Action, NotifyState, Target};

/// The notify scripts of one instance or sync group.
struct Owner {
    name: Box<str>,
    master: Option<CmdId>,
    backup: Option<CmdId>,
    fault: Option<CmdId>,
    stop: Option<CmdId>,
    deleted: Option<CmdId>,
    rx_lower: Option<CmdId>,
    generic: Option<CmdId>,
    notify_deleted: bool,
}

impl Owner {
    fn new(
        runner: &mut Runner,
        kind: &str,
        name: &str,
        scripts: &NotifyScripts,
        deleted: Option<&Script>,
        rx_lower: Option<&Script>,
        notify_deleted: bool,
    ) -> Owner {
        let mut reg = |s: Option<&Script>, fixed: &[&str]| {
            s.and_then(|s| Command::new(s, fixed))
                .map(|c| runner.register(c))
        };
        Owner {
            name: name.into(),
            master: reg(scripts.master.as_deref(), &[]),
            backup: reg(scripts.backup.as_deref(), &[]),
            fault: reg(scripts.fault.as_deref(), &[]),
            stop: reg(scripts.stop.as_deref(), &[]),
            deleted: reg(deleted, &[]),
            rx_lower: reg(rx_lower, &[]),
            generic: reg(scripts.generic.as_deref(), &[kind, name]),
            notify_deleted,
        }
    }

    fn specific(&self, state: NotifyState) -> Option<CmdId> {
        match state {
            NotifyState::Master => self.master,
            NotifyState::Backup => self.backup,
            NotifyState::Fault => self.fault,
            NotifyState::Stop => self.stop,
            NotifyState::Deleted => self.deleted,
        }
    }
}

/// One thing a notification does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Run {
        cmd: CmdId,
        tail: Tail,
        purpose: Purpose,
    },
    Fifo(Line<'a>),
}

/// The steps of one notification, in order.
pub type Plan<'a> = [Option<Step<'a>>; 3];

/// The notify scripts of every instance and sync group.
struct Owners {
    instances: Vec<Owner>,
    groups: Vec<Owner>,
}

pub struct Notifier {
    owners: Owners,
    fifos: Fifos,
}

impl Notifier {
    /// Registers the notify scripts of every instance and sync group (ids are indices into
    /// `vrrp.instances` and `vrrp.sync_groups`, as in the core).
    pub fn new(vrrp: &Vrrp, runner: &mut Runner) -> Notifier {
        let instances = vrrp
            .instances
            .iter()
            .map(|i| {
                let deleted = i.notify_deleted_script.as_deref();
                let rx = i.notify_master_rx_lower_pri.as_deref();
                Owner::new(
                    runner,
                    "INSTANCE",
                    &i.name,
                    &i.notify,
                    deleted,
                    rx,
                    i.notify_deleted,
                )
            })
            .collect();
        let groups = vrrp
            .sync_groups
            .iter()
            .map(|g| Owner::new(runner, "GROUP", &g.name, &g.notify, None, None, false))
            .collect();
        Notifier {
            owners: Owners { instances, groups },
            fifos: Fifos::default(),
        }
    }

    /// Creates and opens the FIFOs and starts their readers; returns the log lines of what
    /// failed. `lvs_line`: the longest LVS line, when the LVS side writes too.
    pub fn open_fifos(
        &mut self,
        global: &Global,
        runner: &mut Runner,
        now: Instant,
        lvs_line: Option<usize>,
    ) -> Vec<String> {
        let o = &self.owners;
        let longest = o
            .instances
            .iter()
            .chain(&o.groups)
            .map(|o| o.name.len())
            .max();
        let writers = Writers {
            vrrp: longest,
            lvs: lvs_line,
        };
        let (fifos, log) = Fifos::open(global, runner, now, writers);
        self.fifos = fifos;
        log
    }

    /// A state line on its own, no script (`fifo_write_vrrp_states_on_reload`).
    pub fn fifo_state(&mut self, group: bool, name: &str, state: NotifyState, priority: u8) {
        self.fifos.write(Line {
            group,
            name,
            event: state.word(),
            priority,
        });
    }

    /// An LVS event to the FIFOs that take it.
    pub fn lvs_line(&mut self, line: LvsLine) {
        self.fifos.write_lvs(line);
    }

    /// FIFO lines lost so far (a FIFO full, nobody reading it fast enough).
    pub fn fifo_dropped(&self) -> u64 {
        self.fifos.dropped()
    }

    /// Closes the FIFOs (removing those we created), at the end of shutdown.
    pub fn close_fifos(&mut self) {
        self.fifos = Fifos::default();
    }

    /// What `action` asks for, in keepalived's order; nothing for actions that are not
    /// notifications.
    pub fn plan(&self, action: &Action) -> Plan<'_> {
        self.owners.plan(action)
    }

    /// Carries out `action` if it is a notification. Scripts that cannot start are logged
    /// into `out`.
    pub fn notify(
        &mut self,
        now: Instant,
        action: &Action,
        runner: &mut Runner,
        out: &mut Vec<Event>,
    ) {
        for step in self.owners.plan(action).into_iter().flatten() {
            match step {
                Step::Run { cmd, tail, purpose } => {
                    if let Err(e) = runner.spawn(now, cmd, tail, purpose) {
                        if out.len() < out.capacity() {
                            out.push(Event::Log(Msg::SpawnFailed(e)));
                        }
                    }
                }
                Step::Fifo(line) => self.fifos.write(line),
            }
        }
    }
}

impl Owners {
    /// What `action` asks for, in keepalived's order; nothing for actions that are not
    /// notifications.
    fn plan(&self, action: &Action) -> Plan<'_> {
        let mut plan = [None; 3];
        match *action {
            Action::Notify {
                target: Target::Instance(id),
                state,
                priority,
            } => {
                let Some(o) = self.instances.get(usize::from(id.0)) else {
                    return plan;
                };
                let state = if state == NotifyState::Deleted && !o.notify_deleted {
                    NotifyState::Fault
                } else {
                    state
                };
                let purpose = waited(state);
                plan[0] = o.specific(state).map(|cmd| run(cmd, Tail::None, purpose));
                let tail = Tail::Notify { state, priority };
                plan[1] = o.generic.map(|cmd| run(cmd, tail, purpose));
                plan[2] = Some(Step::Fifo(line(o, false, state.word(), priority)));
            }
            Action::Notify {
                target: Target::Group(id),
                state,
                ..
            } => {
                let Some(o) = self.groups.get(usize::from(id.0)) else {
                    return plan;
                };
                plan[0] = o
                    .specific(state)
                    .map(|cmd| run(cmd, Tail::None, Purpose::Notify));
                let tail = Tail::Notify { state, priority: 0 };
                plan[1] = o.generic.map(|cmd| run(cmd, tail, waited(state)));
                plan[2] = Some(Step::Fifo(line(o, true, state.word(), 0)));
            }
            Action::MasterRxLowerPri { instance, priority } => {
                let Some(o) = self.instances.get(usize::from(instance.0)) else {
                    return plan;
                };
                plan[0] = o.rx_lower.map(|cmd| run(cmd, Tail::None, Purpose::Notify));
                plan[1] = Some(Step::Fifo(line(o, false, "MASTER_RX_LOWER_PRI", priority)));
            }
            Action::PriorityChanged {
                instance,
                priority,
                master,
            } => {
                let Some(o) = self.instances.get(usize::from(instance.0)) else {
                    return plan;
                };
                let event = if master {
                    "MASTER_PRIORITY"
                } else {
                    "BACKUP_PRIORITY"
                };
                plan[0] = Some(Step::Fifo(line(o, false, event, priority)));
            }
            _ => {}
        }
        plan
    }
}

/// STOP notifications are waited for at shutdown.
fn waited(state: NotifyState) -> Purpose {
    if state == NotifyState::Stop {
        Purpose::NotifyStop
    } else {
        Purpose::Notify
    }
}

fn run<'a>(cmd: CmdId, tail: Tail, purpose: Purpose) -> Step<'a> {
    Step::Run { cmd, tail, purpose }
}

fn line<'a>(o: &'a Owner, group: bool, event: &'static str, priority: u8) -> Line<'a> {
    Line {
        group,
        name: &o.name,
        event,
        priority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::host::FakeHost;
    use crate::config::testutil::load_text;
    use crate::vrrp::action::{GroupId, InstanceId};

    const CONF: &str = r#"
global_defs {
    script_user root
}
vrrp_sync_group VG_1 {
    group {
        VI_1
    }
    notify_stop "/bin/g.sh stop"
    notify "/bin/g.sh generic"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    priority 100
    virtual_ipaddress {
        10.0.0.1
    }
    notify_master "/bin/n.sh master"
    notify_stop "/bin/n.sh stop"
    notify_fault "/bin/n.sh fault"
    notify "/bin/n.sh generic"
    notify_master_rx_lower_pri "/bin/n.sh rx"
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 2
    priority 100
    virtual_ipaddress {
        10.0.0.2
    }
    notify_deleted "/bin/n.sh deleted"
}
"#;

    fn setup() -> (Notifier, Runner) {
        let mut host = FakeHost::new();
        host.add_script("/bin/n.sh");
        host.add_script("/bin/g.sh");
        let loaded = load_text(CONF, &host);
        let msgs = loaded.messages();
        let c = loaded.config.unwrap_or_else(|| panic!("{msgs:?}"));
        let mut runner = Runner::new(&c.vrrp, &c.global).unwrap();
        (Notifier::new(&c.vrrp, &mut runner), runner)
    }

    /// A plan as words: `run <command line> <purpose>` and `fifo <line>`.
    fn words(n: &Notifier, r: &Runner, a: Action) -> Vec<String> {
        n.plan(&a)
            .into_iter()
            .flatten()
            .map(|s| match s {
                Step::Run { cmd, tail, purpose } => {
                    let c = r.command(cmd).unwrap();
                    format!("run {} {purpose:?}", c.line(tail))
                }
                Step::Fifo(l) => format!("fifo {}", l.to_string().trim_end()),
            })
            .collect()
    }

    fn notify(target: Target, state: NotifyState, priority: u8) -> Action {
        Action::Notify {
            target,
            state,
            priority,
        }
    }

    #[test]
    fn instance_state_script_then_generic_script_then_fifo_line() {
        let (n, r) = setup();
        let vi1 = Target::Instance(InstanceId(0));
        assert_eq!(
            words(&n, &r, notify(vi1, NotifyState::Master, 110)),
            [
                "run '/bin/n.sh' 'master' Notify",
                "run '/bin/n.sh' 'generic' 'INSTANCE' 'VI_1' 'MASTER' '110' Notify",
                "fifo INSTANCE \"VI_1\" MASTER 110",
            ]
        );
        // No notify_backup: the generic script and the line only.
        assert_eq!(
            words(&n, &r, notify(vi1, NotifyState::Backup, 100)),
            [
                "run '/bin/n.sh' 'generic' 'INSTANCE' 'VI_1' 'BACKUP' '100' Notify",
                "fifo INSTANCE \"VI_1\" BACKUP 100",
            ]
        );
        // STOP scripts of an instance are waited for.
        assert_eq!(
            words(&n, &r, notify(vi1, NotifyState::Stop, 100)),
            [
                "run '/bin/n.sh' 'stop' NotifyStop",
                "run '/bin/n.sh' 'generic' 'INSTANCE' 'VI_1' 'STOP' '100' NotifyStop",
                "fifo INSTANCE \"VI_1\" STOP 100",
            ]
        );
    }

    #[test]
    fn deleted_is_fault_without_notify_deleted() {
        let (n, r) = setup();
        assert_eq!(
            words(
                &n,
                &r,
                notify(Target::Instance(InstanceId(0)), NotifyState::Deleted, 100)
            ),
            [
                "run '/bin/n.sh' 'fault' Notify",
                "run '/bin/n.sh' 'generic' 'INSTANCE' 'VI_1' 'FAULT' '100' Notify",
                "fifo INSTANCE \"VI_1\" FAULT 100",
            ]
        );
        assert_eq!(
            words(
                &n,
                &r,
                notify(Target::Instance(InstanceId(1)), NotifyState::Deleted, 100)
            ),
            [
                "run '/bin/n.sh' 'deleted' Notify",
                "fifo INSTANCE \"VI_2\" DELETED 100",
            ]
        );
    }

    #[test]
    fn group_priority_is_zero_and_only_its_generic_stop_is_waited_for() {
        let (n, r) = setup();
        assert_eq!(
            words(
                &n,
                &r,
                notify(Target::Group(GroupId(0)), NotifyState::Stop, 100)
            ),
            [
                "run '/bin/g.sh' 'stop' Notify",
                "run '/bin/g.sh' 'generic' 'GROUP' 'VG_1' 'STOP' '0' NotifyStop",
                "fifo GROUP \"VG_1\" STOP 0",
            ]
        );
    }

    #[test]
    fn events_of_a_master() {
        let (n, r) = setup();
        let rx = Action::MasterRxLowerPri {
            instance: InstanceId(0),
            priority: 110,
        };
        assert_eq!(
            words(&n, &r, rx),
            [
                "run '/bin/n.sh' 'rx' Notify",
                "fifo INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 110",
            ]
        );
        let pc = |master| Action::PriorityChanged {
            instance: InstanceId(1),
            priority: 90,
            master,
        };
        assert_eq!(
            words(&n, &r, pc(true)),
            ["fifo INSTANCE \"VI_2\" MASTER_PRIORITY 90"]
        );
        assert_eq!(
            words(&n, &r, pc(false)),
            ["fifo INSTANCE \"VI_2\" BACKUP_PRIORITY 90"]
        );
        assert!(words(&n, &r, Action::RunScript(crate::vrrp::action::ScriptId(0))).is_empty());
    }
}
