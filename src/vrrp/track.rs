//! Tracked objects and what they do to instances (keepalived's `vrrp_track.c`, the script
//! scheduler and `track_file.c`): interfaces, `vrrp_script`s (run every interval, killed
//! after their timeout, rise/fall counting), `track_file`s and `vrrp_track_process`es.
//! A weight of 0 holds the instance in FAULT while the object is down; otherwise the weight
//! moves the instance's total priority, which the effective priority follows, clamped to
//! 1..254 (an address owner never changes).

use super::action::{Action, Actions, FileId, IfaceId, ScriptId, Signal};
use super::fsm::Fsm;
use super::instance::{State, PRIO_OWNER};
use super::msg::{Msg, ScriptEnd};
use crate::config::model::vrrp::Family;
use crate::time::{Duration, Instant};
use std::net::IpAddr;

/// One instance's use of a tracked object. `mult` is -1 with `reverse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Use {
    pub inst: usize,
    pub weight: i32,
    pub mult: i32,
}

impl Use {
    pub fn new(inst: usize, weight: i32, reverse: bool) -> Use {
        Use {
            inst,
            weight,
            mult: if reverse { -1 } else { 1 },
        }
    }

    /// An unweighted use: the instance is up exactly when the object is (reversed: down).
    fn fault_when(&self, object_up: bool) -> bool {
        object_up != (self.mult == 1)
    }

    /// The contribution of a weighted object in a known state at start-up.
    fn initial(&self, object_up: bool) -> i32 {
        match (object_up, self.weight > 0) {
            (true, true) | (false, false) => self.weight * self.mult,
            _ => 0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Iface {
    pub(super) name: Box<str>,
    pub(super) up: bool,
    /// Its primary IPv4 and IPv6 addresses (the source of instances configuring none).
    pub(super) primary: [Option<IpAddr>; 2],
    pub(super) users: Box<[Use]>,
}

impl Iface {
    /// Whether `inst` tracks it without a weight (is held in FAULT while it is down).
    pub(super) fn holds(&self, inst: usize) -> bool {
        self.users.iter().any(|u| u.inst == inst && u.weight == 0)
    }
}

/// The slot of a family in [`Iface::primary`].
pub(super) fn family_slot(f: Family) -> usize {
    match f {
        Family::V4 => 0,
        Family::V6 => 1,
    }
}

#[derive(Clone, Debug)]
pub struct TrackedFile {
    pub(super) name: Box<str>,
    /// The number last read from the file (0 when missing).
    pub(super) value: i64,
    pub(super) users: Box<[Use]>,
}

impl TrackedFile {
    /// What the file adds to one user's priority; -254 means FAULT.
    fn status(value: i64, u: &Use) -> i64 {
        let s = if u.weight == 0 {
            if (value != 0) == (u.mult == 1) {
                -254
            } else {
                0
            }
        } else {
            value
                .saturating_mul(i64::from(u.weight))
                .saturating_mul(i64::from(u.mult))
        };
        s.clamp(-254, 253)
    }
}

#[derive(Clone, Debug)]
pub struct TrackedProcess {
    pub(super) name: Box<str>,
    /// Its quorum is met.
    pub(super) up: bool,
    pub(super) users: Box<[Use]>,
}

/// Where a script stands before its first result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptInit {
    /// Not run yet: one result decides.
    Init,
    /// New in a reloaded configuration: one result decides, but until then it holds no
    /// instance back (keepalived's `SCRIPT_INIT_STATE_INIT_RELOAD`).
    InitReload,
    /// `init_fail`: assumed failed until it succeeds `rise` times.
    Failed,
    Done,
}

/// A run and its termination after the timeout (TERM, then KILL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    Idle,
    Running,
    Terminating,
    Killing,
}

/// How a script's process ended, as the runtime reaped it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptExit {
    Exited(i32),
    Signaled(i32),
}

const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;
/// keepalived waits this long after each signal it sends a timed-out script.
const TERM_GRACE: Duration = Duration::from_secs(2);
const KILL_RETRY: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct Script {
    pub(super) name: Box<str>,
    interval: Duration,
    timeout: Duration,
    rise: u32,
    fall: u32,
    pub(super) init: ScriptInit,
    /// keepalived's `result`: 0..rise is failed, rise..rise+fall is good.
    result: u32,
    run: Run,
    next_run: Option<Instant>,
    kill_at: Option<Instant>,
    last_status: i32,
    pub(super) users: Box<[Use]>,
}

impl Script {
    pub(super) fn new(c: &crate::config::model::vrrp::VrrpScript, users: Box<[Use]>) -> Script {
        Script {
            name: c.name.as_str().into(),
            interval: c.interval,
            timeout: c.timeout,
            rise: c.rise.max(1),
            fall: c.fall.max(1),
            init: if c.init_fail {
                ScriptInit::Failed
            } else {
                ScriptInit::Init
            },
            result: 0,
            run: Run::Idle,
            next_run: None,
            kill_at: None,
            last_status: 0,
            users,
        }
    }

    /// keepalived's `result`, whether it has reported yet, and whether it is running now
    /// (for the status dumps).
    pub fn status(&self) -> (u32, bool, bool) {
        (
            self.result,
            self.init == ScriptInit::Done,
            self.run != Run::Idle,
        )
    }

    /// Whether it counts as good at start-up (before any run).
    pub(super) fn initially_ok(&self) -> bool {
        self.result >= self.rise
    }

    /// keepalived's `vrrp_init_script`: a first run at once; one success or one failure
    /// decides an unknown script.
    pub(super) fn start(&mut self, now: Instant) {
        self.result = match self.init {
            ScriptInit::Init | ScriptInit::InitReload => self.rise - 1,
            ScriptInit::Failed => 0,
            // Carried over a reload.
            ScriptInit::Done => self.result,
        };
        self.next_run = Some(now);
    }

    /// keepalived's `clear_diff_script`: the same script in the configuration before a
    /// reload. A script still waiting for its first result keeps waiting; otherwise its
    /// result carries over, scaled to the new rise and fall. A run in progress does not
    /// carry over: keepalived kills every script before it reloads, and runs them all
    /// again at once afterwards.
    pub(super) fn take_over(&mut self, old: &Script, id: ScriptId, out: &mut Actions) {
        match old.init {
            ScriptInit::Init => {
                self.init = ScriptInit::Init;
                self.result = self.rise - 1;
            }
            ScriptInit::InitReload => {
                self.init = ScriptInit::InitReload;
                self.result = self.rise - 1;
            }
            ScriptInit::Failed | ScriptInit::Done => {
                let top = self.rise + self.fall - 1;
                let ok = old.result >= old.rise;
                self.result = if old.result == 0 {
                    0
                } else if !ok {
                    (self.rise + old.result).saturating_sub(old.rise)
                } else if old.result == old.rise + old.fall - 1 {
                    top
                } else {
                    (self.rise + old.result - old.rise).min(top)
                };
                out.log(Msg::ScriptOnReload { script: id, ok });
                self.last_status = old.last_status;
                self.init = ScriptInit::Done;
            }
        }
    }

    /// A run is in progress (or being killed).
    pub(super) fn running(&self) -> bool {
        self.run != Run::Idle
    }

    /// A script new in a reloaded configuration (unless `init_fail` says it failed).
    pub(super) fn new_on_reload(&mut self) {
        if self.init == ScriptInit::Init {
            self.init = ScriptInit::InitReload;
        }
    }

    pub(super) fn stop(&mut self) {
        self.next_run = None;
        self.kill_at = None;
    }

    pub(super) fn poll_at(&self) -> Option<Instant> {
        match (self.next_run, self.kill_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Its deadlines that have come: a timed-out run is signalled, a due run started.
    pub(super) fn on_timer(&mut self, id: ScriptId, now: Instant, out: &mut Actions) {
        if self.kill_at.is_some_and(|t| t <= now) {
            self.escalate(id, now, out);
        }
        if self.next_run.is_some_and(|t| t <= now) {
            self.next_run = Some(now + self.interval);
            if self.run != Run::Idle {
                // keepalived 2.2.7 says "skipping run" and starts another anyway; later
                // versions skip it, which the runtime can rely on: one run at a time.
                out.log(Msg::ScriptNotIdle {
                    script: id,
                    terminating: self.run != Run::Running,
                });
            } else {
                out.push(Action::RunScript(id));
                self.run = Run::Running;
                self.kill_at = Some(now + self.timeout);
            }
        }
    }

    fn escalate(&mut self, id: ScriptId, now: Instant, out: &mut Actions) {
        let (next, signal, wait) = match self.run {
            Run::Idle => {
                self.kill_at = None;
                return;
            }
            Run::Running => (Run::Terminating, Signal::Term, TERM_GRACE),
            Run::Terminating => (Run::Killing, Signal::Kill, TERM_GRACE),
            Run::Killing => (Run::Killing, Signal::Kill, KILL_RETRY),
        };
        self.run = next;
        self.kill_at = Some(now + wait);
        out.push(Action::KillScript { script: id, signal });
    }

    /// A run ended. Returns the change it makes (good or not) and the start-up state the
    /// users must interpret it with, when it crosses the rise/fall threshold.
    pub(super) fn on_exit(
        &mut self,
        id: ScriptId,
        exit: ScriptExit,
        out: &mut Actions,
    ) -> Option<(bool, ScriptInit)> {
        let (ok, end) = match exit {
            ScriptExit::Exited(status) => {
                if status != self.last_status {
                    out.log(Msg::ScriptNowReturning { script: id, status });
                }
                self.last_status = status;
                if status == 0 {
                    (true, ScriptEnd::Succeeded)
                } else {
                    (false, ScriptEnd::ExitStatus(status))
                }
            }
            ScriptExit::Signaled(sig) => {
                if self.run == Run::Terminating && sig == SIGTERM {
                    // The script is gone; make sure whatever it started goes too.
                    out.push(Action::KillScript {
                        script: id,
                        signal: Signal::Kill,
                    });
                }
                let ours = (self.run == Run::Terminating && sig == SIGTERM)
                    || (self.run == Run::Killing && (sig == SIGKILL || sig == SIGTERM));
                (
                    false,
                    if ours {
                        ScriptEnd::TimedOut
                    } else {
                        ScriptEnd::Signal(sig)
                    },
                )
            }
        };
        let top = self.rise + self.fall - 1;
        let mut change = None;
        if ok {
            if self.result < self.rise - 1 {
                self.result += 1;
            } else if self.result != top {
                if self.result < self.rise {
                    change = Some(true);
                }
                self.result = top;
            }
        } else if self.result > self.rise {
            self.result -= 1;
        } else {
            if self.result == self.rise
                || matches!(self.init, ScriptInit::Init | ScriptInit::InitReload)
            {
                change = Some(false);
            }
            self.result = 0;
        }
        if change.is_some() {
            out.log(Msg::ScriptResult { script: id, end });
        }
        self.run = Run::Idle;
        self.kill_at = None;
        let init = self.init;
        self.init = ScriptInit::Done;
        change.map(|ok| (ok, init))
    }
}

impl Fsm {
    fn weight_changed(&mut self, u: &Use, delta: i32, out: &mut Actions) {
        let inst = &mut self.insts[u.inst];
        inst.total_priority = inst.total_priority.saturating_add(delta);
        self.set_effective_priority(u.inst, out);
    }

    /// keepalived's `process_script_update_priority`.
    pub(super) fn script_changed(
        &mut self,
        u: &Use,
        init: ScriptInit,
        ok: bool,
        now: Instant,
        out: &mut Actions,
    ) {
        let i = u.inst;
        if u.weight == 0 {
            let g = self.insts[i].group.map(|g| usize::from(g.0));
            let mut left_init = false;
            if init == ScriptInit::Init && self.insts[i].inits > 0 {
                self.insts[i].inits -= 1;
                if self.insts[i].inits == 0 {
                    left_init = true;
                    if let Some(g) = g {
                        self.groups[g].inits = self.groups[g].inits.saturating_sub(1);
                    }
                }
            }
            if u.fault_when(ok) {
                self.down_instance(i, now, out);
            } else if self.insts[i].inits == 0
                && init != ScriptInit::InitReload
                && g.map_or(true, |g| self.groups[g].inits == 0)
            {
                self.try_up_instance(i, left_init, now, out);
            }
            return;
        }
        let delta = if matches!(init, ScriptInit::Init | ScriptInit::InitReload) {
            u.initial(ok)
        } else if ok {
            u.weight.abs() * u.mult
        } else {
            -u.weight.abs() * u.mult
        };
        self.weight_changed(u, delta, out);
    }

    /// An interface or a process went up or down (`process_if_status_change`,
    /// `process_update_track_process_status`).
    pub(super) fn object_changed(&mut self, u: &Use, up: bool, now: Instant, out: &mut Actions) {
        if u.weight == 0 {
            if u.fault_when(up) {
                self.down_instance(u.inst, now, out);
            } else {
                self.try_up_instance(u.inst, false, now, out);
            }
            return;
        }
        if self.insts[u.inst].base_priority == PRIO_OWNER {
            return;
        }
        let w = u.weight.abs() * u.mult;
        self.weight_changed(u, if up { w } else { -w }, out);
    }

    /// A tracked file's value changed (`process_update_vrrp_track_file_status`).
    pub(super) fn file_changed(
        &mut self,
        file: FileId,
        u: &Use,
        old: i64,
        new: i64,
        now: Instant,
        out: &mut Actions,
    ) {
        let prev = TrackedFile::status(old, u);
        let next = TrackedFile::status(new, u);
        if prev == next {
            return;
        }
        let i = u.inst;
        let id = self.id(i);
        // Statuses are within -254..=253, so these fit.
        let (prev, next) = (prev as i32, next as i32);
        if next == -254 {
            out.log(Msg::FileNowFault { inst: id, file });
            if u.weight != 0 {
                self.insts[i].total_priority -= prev;
            }
            self.down_instance(i, now, out);
        } else if prev == -254 {
            let inst = &mut self.insts[i];
            if u.weight != 0 {
                inst.total_priority += next;
                if inst.base_priority != PRIO_OWNER {
                    // keepalived sets it directly here, without the change line.
                    inst.effective_priority = inst.total_priority.clamp(1, 254) as u8;
                }
            }
            out.log(Msg::FileLeavingFault { inst: id, file });
            if next != 0 {
                out.log(Msg::SettingPriority {
                    inst: id,
                    priority: inst.effective_priority,
                });
            }
            self.try_up_instance(i, false, now, out);
        } else {
            self.weight_changed(u, next - prev, out);
        }
    }

    /// Start-up, `initialise_interface_tracking_priorities` and its process equivalent: an
    /// unweighted object that is down holds the instance in FAULT, a weighted one counts.
    pub(super) fn init_object(&mut self, u: &Use, up: bool, fault: Msg, out: &mut Actions) {
        let inst = &mut self.insts[u.inst];
        if u.weight == 0 {
            if u.fault_when(up) {
                out.log(fault);
                inst.state = State::Fault;
                inst.faults += 1;
            }
        } else {
            inst.total_priority += u.initial(up);
        }
    }

    /// Start-up, `initialise_vrrp_file_tracking_priorities`.
    pub(super) fn init_file(&mut self, file: FileId, u: &Use, value: i64, out: &mut Actions) {
        let status = TrackedFile::status(value, u);
        let inst = &mut self.insts[u.inst];
        if status <= -254 {
            let unclamped = if u.weight == 0 {
                status
            } else {
                value.saturating_mul(i64::from(u.weight) * i64::from(u.mult))
            };
            out.log(Msg::FaultFile {
                inst: inst.id,
                file,
                status: unclamped,
            });
            inst.state = State::Fault;
            inst.faults += 1;
        } else {
            inst.total_priority += status as i32;
        }
    }

    /// Start-up, `initialise_track_script_state`.
    pub(super) fn init_script(
        &mut self,
        script: ScriptId,
        u: &Use,
        init: ScriptInit,
        ok: bool,
        out: &mut Actions,
    ) {
        let inst = &mut self.insts[u.inst];
        if u.weight == 0 {
            if init == ScriptInit::Init {
                inst.inits += 1;
            } else if init != ScriptInit::InitReload && !ok {
                inst.faults += 1;
                out.log(Msg::FaultScript {
                    inst: inst.id,
                    script,
                });
                inst.state = State::Fault;
            }
            return;
        }
        if inst.base_priority == PRIO_OWNER
            || matches!(init, ScriptInit::Init | ScriptInit::InitReload)
        {
            return;
        }
        // keepalived adds the weight as configured here (not times the direction).
        inst.total_priority += match (ok, u.weight > 0) {
            (true, true) | (false, false) => u.weight,
            _ => 0,
        };
    }
}

/// The interface table entry for `name`, if the core knows it.
pub(super) fn find_iface(ifaces: &[Iface], name: &str) -> Option<IfaceId> {
    ifaces
        .iter()
        .position(|i| &*i.name == name)
        .and_then(|k| u16::try_from(k).ok())
        .map(IfaceId)
}

#[cfg(test)]
mod tests {
    use super::super::action::{InstanceId, NotifyState};
    use super::super::router::Router;
    use super::super::testutil::*;
    use super::*;
    use crate::time::Duration;

    const VI: InstanceId = InstanceId(0);

    fn conf(before: &str, priority: u8, track: &str) -> String {
        format!(
            "{before}
            vrrp_instance VI_1 {{
                interface eth0
                virtual_router_id 51
                priority {priority}
                advert_int 1
                {track}
                virtual_ipaddress {{
                    10.0.0.100/24
                }}
            }}"
        )
    }

    fn script(body: &str) -> String {
        format!("vrrp_script chk {{\n script \"/bin/chk\"\n {body}\n}}")
    }

    fn started(text: &str) -> (Router, Actions) {
        let mut r = router(text);
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        (r, out)
    }

    fn prio(r: &Router) -> u8 {
        r.instances()[0].effective_priority()
    }

    fn state(r: &Router) -> State {
        r.instances()[0].state()
    }

    fn exit(r: &mut Router, now: Instant, code: i32, out: &mut Actions) {
        let s = r.find_script("chk").expect("script");
        r.script_result(now, s, ScriptExit::Exited(code), out);
    }

    #[test]
    fn a_weighted_script_raises_the_priority_once_it_succeeds() {
        let text = conf(
            &script("interval 2\n weight 10"),
            100,
            "track_script {\n chk\n}",
        );
        let (mut r, mut out) = started(&text);
        assert_eq!(r.poll_at(), Some(at(0)));
        out.clear();
        r.handle_timeout(at(0), &mut out);
        assert_eq!(lines(&r, &out), ["run chk"]);
        // The run's timeout (the interval) and the next run fall together.
        assert_eq!(r.poll_at(), Some(secs(2)));
        out.clear();
        exit(&mut r, at(30_000), 0, &mut out);
        assert_eq!(
            logs(&r, &out),
            [
                "VRRP_Script(chk) succeeded",
                "(VI_1) Changing effective priority from 100 to 110",
            ]
        );
        assert_eq!(prio(&r), 110);
        // Its Master_Down_Timer shrank by the skew difference: 156/256 s - 146/256 s.
        let down = r.instances()[0].deadline(crate::vrrp::timer::Timer::MasterDown);
        assert_eq!(down, Some(at(3_609_375 - 39_063)));
    }

    #[test]
    fn rise_and_fall_count_consecutive_results_after_the_first() {
        let text = conf(
            &script("weight -20\n rise 2\n fall 2"),
            100,
            "track_script {\n chk\n}",
        );
        let (mut r, mut out) = started(&text);
        // The first result decides alone: a failure.
        exit(&mut r, secs(1), 1, &mut out);
        assert_eq!(prio(&r), 80);
        out.clear();
        exit(&mut r, secs(2), 0, &mut out);
        assert_eq!(prio(&r), 80, "one success is not a rise of 2");
        exit(&mut r, secs(3), 0, &mut out);
        assert_eq!(prio(&r), 100);
        assert!(logs(&r, &out).contains(&"VRRP_Script(chk) succeeded".to_string()));
        exit(&mut r, secs(4), 1, &mut out);
        assert_eq!(prio(&r), 100, "one failure is not a fall of 2");
        out.clear();
        exit(&mut r, secs(5), 1, &mut out);
        assert_eq!(prio(&r), 80);
        // The status changed at the earlier failure, not at this one.
        assert_eq!(
            logs(&r, &out),
            [
                "VRRP_Script(chk) failed (exited with status 1)",
                "(VI_1) Changing effective priority from 100 to 80",
            ]
        );
    }

    #[test]
    fn an_unweighted_script_holds_the_instance_until_its_first_result() {
        let text = conf(&script(""), 100, "track_script {\n chk\n}");
        let (mut r, out) = started(&text);
        assert_eq!(state(&r), State::Fault);
        assert!(logs(&r, &out).contains(&"(VI_1) Entering FAULT STATE (init)".to_string()));
        assert!(notified(&out, VI).is_empty());
        let mut out = actions(&r);
        exit(&mut r, secs(1), 0, &mut out);
        assert_eq!(state(&r), State::Backup);
        assert_eq!(notified(&out, VI), [NotifyState::Backup]);
        let down = r.instances()[0].deadline(crate::vrrp::timer::Timer::MasterDown);
        assert_eq!(down, Some(at(1_000_000 + 3_609_375)));
        out.clear();
        exit(&mut r, secs(2), 2, &mut out);
        assert_eq!(state(&r), State::Fault);
        assert_eq!(notified(&out, VI), [NotifyState::Fault]);
    }

    #[test]
    fn init_fail_starts_in_fault() {
        let text = conf(&script("init_fail"), 100, "track_script {\n chk\n}");
        let (r, out) = started(&text);
        assert_eq!(
            logs(&r, &out)[..2],
            [
                "(VI_1): entering FAULT state due to script chk",
                "(VI_1) entering FAULT state",
            ]
        );
        assert_eq!(notified(&out, VI), [NotifyState::Fault]);
    }

    #[test]
    fn a_script_past_its_timeout_is_terminated_then_killed() {
        let text = conf(
            &script("interval 5\n timeout 1\n weight 10"),
            100,
            "track_script {\n chk\n}",
        );
        let (mut r, mut out) = started(&text);
        run_until(&mut r, secs(3), &mut out);
        let l = lines(&r, &out);
        assert!(l.contains(&"kill chk Term".to_string()));
        assert!(l.contains(&"kill chk Kill".to_string()));
        out.clear();
        let s = r.find_script("chk").expect("script");
        r.script_result(secs(3), s, ScriptExit::Signaled(9), &mut out);
        assert_eq!(logs(&r, &out), ["VRRP_Script(chk) timed_out"]);
        out.clear();
        run_until(&mut r, secs(5), &mut out);
        let runs: Vec<String> = lines(&r, &out)
            .into_iter()
            .filter(|l| l.contains("chk"))
            .collect();
        assert_eq!(runs, ["run chk"]);
    }

    #[test]
    fn a_run_still_going_is_not_started_again() {
        let text = conf(
            &script("interval 1\n timeout 3"),
            100,
            "track_script {\n chk\n}",
        );
        let (mut r, mut out) = started(&text);
        out.clear();
        run_until(&mut r, secs(1), &mut out);
        assert_eq!(
            lines(&r, &out),
            [
                "run chk",
                "Track script chk is already running, expect idle - skipping run"
            ]
        );
    }

    fn master(text: &str) -> (Router, Actions) {
        let (mut r, mut out) = started(text);
        run_until(&mut r, secs(4), &mut out);
        assert_eq!(state(&r), State::Master);
        out.clear();
        (r, out)
    }

    #[test]
    fn own_interface_down_takes_a_master_to_fault_with_priority_zero() {
        let (mut r, mut out) = master(&conf("", 100, ""));
        r.link_changed(secs(5), "eth0", false, &mut out);
        assert_eq!(
            lines(&r, &out),
            [
                "Netlink reports eth0 down",
                "(VI_1) Entering FAULT STATE",
                "advert VI_1 prio 0",
                "advert VI_1 prio 0",
                "(VI_1) sent 0 priority",
                "(VI_1) removing VIPs.",
                "remove VI_1",
                "notify INSTANCE VI_1 FAULT 100",
            ]
        );
        assert_eq!(r.poll_at(), None);
        out.clear();
        r.link_changed(secs(6), "eth0", true, &mut out);
        assert_eq!(
            lines(&r, &out),
            [
                "Netlink reports eth0 up",
                "(VI_1) Entering BACKUP STATE",
                "notify INSTANCE VI_1 BACKUP 100",
            ]
        );
        assert_eq!(r.poll_at(), Some(at(6_000_000 + 3_609_375)));
    }

    #[test]
    fn a_weighted_interface_moves_the_priority() {
        let text = conf("", 100, "track_interface {\n lo weight -30\n}");
        let (mut r, mut out) = started(&text);
        r.link_changed(secs(1), "lo", false, &mut out);
        assert_eq!(prio(&r), 70);
        r.link_changed(secs(2), "lo", true, &mut out);
        assert_eq!(prio(&r), 100);
        assert_eq!(state(&r), State::Backup);
    }

    #[test]
    fn a_link_down_before_start_faults_the_instance_at_start() {
        let mut r = router(&conf("", 100, ""));
        let mut out = actions(&r);
        r.link_changed(at(0), "eth0", false, &mut out);
        assert!(out.is_empty());
        r.start(at(0), &mut out);
        assert_eq!(
            logs(&r, &out)[..2],
            [
                "(VI_1): entering FAULT state (interface eth0 down)",
                "(VI_1) entering FAULT state",
            ]
        );
        assert_eq!(state(&r), State::Fault);
    }

    fn tracked_file(weight: i32) -> String {
        conf(
            &format!("track_file tf {{\n file /tmp/tf\n weight {weight}\n}}"),
            100,
            "track_file {\n tf\n}",
        )
    }

    #[test]
    fn a_file_value_times_its_weight_is_added() {
        let (mut r, mut out) = started(&tracked_file(5));
        let f = r.find_file("tf").expect("file");
        r.file_value(secs(1), f, 2, &mut out);
        assert_eq!(prio(&r), 110);
        r.file_value(secs(2), f, 100, &mut out);
        assert_eq!(prio(&r), 254, "capped");
        out.clear();
        r.file_value(secs(3), f, -60, &mut out);
        assert_eq!(state(&r), State::Fault, "-300 is FAULT");
        assert_eq!(notified(&out, VI), [NotifyState::Fault]);
        r.file_value(secs(4), f, -1, &mut out);
        assert_eq!(state(&r), State::Backup);
        assert_eq!(prio(&r), 95);
    }

    #[test]
    fn an_unweighted_file_faults_on_any_nonzero_value() {
        let (mut r, mut out) = started(&tracked_file(0));
        let f = r.find_file("tf").expect("file");
        r.file_value(secs(1), f, 1, &mut out);
        assert_eq!(state(&r), State::Fault);
        r.file_value(secs(2), f, 0, &mut out);
        assert_eq!(state(&r), State::Backup);
    }

    #[test]
    fn a_process_without_quorum_faults_an_unweighted_user() {
        let text = conf(
            "vrrp_track_process nginx {\n process nginx\n}",
            100,
            "track_process {\n nginx\n}",
        );
        let mut r = router(&text);
        let p = r.find_process("nginx").expect("process");
        let mut out = actions(&r);
        r.process_changed(at(0), p, true, &mut out);
        r.start(at(0), &mut out);
        assert_eq!(state(&r), State::Backup);
        out.clear();
        r.process_changed(secs(1), p, false, &mut out);
        assert_eq!(logs(&r, &out)[0], "Quorum lost for tracked process nginx");
        assert_eq!(state(&r), State::Fault);
    }

    #[test]
    fn the_priority_stays_within_1_and_254_and_an_owner_never_changes() {
        let text = conf(&script("weight -200"), 100, "track_script {\n chk\n}")
            + &conf("", 100, "track_interface {\n lo weight 200\n}")
                .replace("VI_1", "VI_2")
                .replace("virtual_router_id 51", "virtual_router_id 52");
        let (mut r, mut out) = started(&text);
        exit(&mut r, secs(1), 1, &mut out);
        assert_eq!(prio(&r), 1);
        assert_eq!(r.instances()[1].effective_priority(), 254);
        let owner = conf(&script("weight -200"), 255, "track_script {\n chk\n}");
        let (mut r, mut out) = started(&owner);
        exit(&mut r, secs(1), 1, &mut out);
        assert_eq!(prio(&r), 255);
        assert_eq!(r.instances()[0].master_adver_int(), Duration::from_secs(1));
    }
}
