//! What the keyword handlers build before validation: keepalived's objects as they stand
//! while the configuration is read, with "unset" kept apart from every default.

use std::net::IpAddr;

use super::{
    CheckKind, Family, FileCheck, Granularity, Protocol, SchedFlags, Scheduler, Ssl, Tunnel,
    VsGroup,
};
use crate::config::diag::Loc;
use crate::config::model::global::Global;
use crate::config::model::script::Script;
use crate::config::model::vrrp::TrackFile;
use crate::time::Duration;

/// keepalived's default `delay_loop`.
pub const DEFAULT_DELAY_LOOP: Duration = Duration::from_secs(60);
/// keepalived's default connection timeout of virtual servers.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// `persistence_timeout` without a value, and forced persistence.
pub const DEFAULT_PERSISTENCE: u32 = 360;

/// The forwarding method alone; tunnel options are kept beside it, as keepalived does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Nat,
    Dr,
    Tun,
}

/// A forwarding setting while reading: the method (None = not set yet) and the tunnel
/// options last accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Fwd {
    pub method: Option<Method>,
    pub tunnel: Tunnel,
}

/// What a virtual server line names, before groups are linked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Svc {
    Addr { ip: IpAddr, port: u16 },
    Fwmark(u32),
    Group(String),
}

/// Checker timing as set on a virtual or real server (None = unset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Timing {
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub delay_loop: Option<Duration>,
    pub connect_timeout: Option<Duration>,
}

/// The [`Timing`] of a server or checker, boxed once one is set: most set none, and
/// every real server and checker is kept until validation.
#[derive(Clone, Debug, Default)]
pub struct TimingSet(Option<Box<Timing>>);

impl TimingSet {
    /// The values set (none if none).
    pub fn get(&self) -> Timing {
        self.0.as_deref().copied().unwrap_or_default()
    }

    /// The values, to set one.
    pub fn set(&mut self) -> &mut Timing {
        self.0.get_or_insert_with(Box::default)
    }
}

#[derive(Clone, Debug)]
pub struct SorryDraft {
    pub ip: IpAddr,
    pub port: u16,
    pub fwd: Fwd,
    pub inhibit: bool,
    pub loc: Loc,
}

/// A checker connection as configured; unset address and port are the real server's.
#[derive(Clone, Debug, Default)]
pub struct ConnDraft {
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
    /// The family the destination has before any `connect_ip` (None: SMTP_CHECK's,
    /// which keepalived leaves unset until the end of the block).
    pub rs_family: Option<Family>,
    pub bind_ip: Option<IpAddr>,
    pub bind_port: Option<u16>,
    pub bind_if: Option<String>,
    pub timeout: Option<Duration>,
    pub fwmark: u32,
}

#[derive(Clone, Debug)]
pub struct CheckerDraft {
    pub kind: CheckKind,
    pub conn: Option<ConnDraft>,
    pub alpha: Option<bool>,
    pub timing: TimingSet,
    pub log_all_failures: bool,
    /// The checker type's retry default (1; DNS 3; MISC 0).
    pub default_retry: u32,
    /// The checker type's delay_before_retry default; None = its delay_loop.
    pub default_delay_before_retry: Option<Duration>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct RsDraft {
    pub ip: IpAddr,
    /// As configured; 0 = none.
    pub port: u16,
    pub fwd: Fwd,
    pub weight: Option<u32>,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub inhibit: Option<bool>,
    pub alpha: Option<bool>,
    pub notify_up: Option<Box<Script>>,
    pub notify_down: Option<Box<Script>>,
    pub timing: TimingSet,
    pub smtp_alert: Option<bool>,
    pub virtualhost: Option<String>,
    pub checkers: Vec<CheckerDraft>,
    pub file_checks: Vec<FileCheck>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct VsDraft {
    pub svc: Svc,
    pub af: Option<Family>,
    pub sched: Option<Scheduler>,
    pub sched_flags: SchedFlags,
    pub ops: bool,
    pub fwd: Fwd,
    pub persistence_timeout: u32,
    pub persistence_granularity: Option<Granularity>,
    pub persistence_engine: Option<String>,
    pub protocol: Option<Protocol>,
    pub ha_suspend: bool,
    pub alpha: bool,
    pub omega: bool,
    pub inhibit: bool,
    pub smtp_alert: Option<bool>,
    pub virtualhost: Option<String>,
    pub quorum: u32,
    pub quorum_loc: Option<Loc>,
    pub hysteresis: u32,
    pub quorum_up: Option<Box<Script>>,
    pub quorum_down: Option<Box<Script>>,
    pub weight: u32,
    pub timing: TimingSet,
    pub sorry: Option<SorryDraft>,
    pub rs: Vec<RsDraft>,
    pub loc: Loc,
}

impl VsDraft {
    pub fn new(svc: Svc, loc: Loc) -> VsDraft {
        let af = match &svc {
            Svc::Addr { ip, .. } => Some(Family::of(ip)),
            _ => None,
        };
        VsDraft {
            svc,
            af,
            sched: None,
            sched_flags: SchedFlags::default(),
            ops: false,
            fwd: Fwd::default(),
            persistence_timeout: 0,
            persistence_granularity: None,
            persistence_engine: None,
            protocol: None,
            ha_suspend: false,
            alpha: false,
            omega: false,
            inhibit: false,
            smtp_alert: None,
            virtualhost: None,
            quorum: 1,
            quorum_loc: None,
            hysteresis: 0,
            quorum_up: None,
            quorum_down: None,
            weight: 1,
            timing: TimingSet::default(),
            sorry: None,
            rs: Vec::new(),
            loc,
        }
    }

    /// keepalived names a group virtual server by its group in parse-time messages, and
    /// prints "(null)" for the others.
    pub fn group_name(&self) -> &str {
        match &self.svc {
            Svc::Group(name) => name,
            _ => "(null)",
        }
    }
}

/// Everything read so far.
#[derive(Default)]
pub struct Drafts {
    pub ssl: Option<Ssl>,
    pub groups: Vec<VsGroup>,
    pub vss: Vec<VsDraft>,
    pub real_servers: usize,
    pub checkers: usize,
}

/// What the LVS builders need from the rest of the configuration, as read so far.
pub struct Env<'a> {
    pub global: &'a Global,
    /// The `track_file` blocks read before this point (keepalived resolves in file order).
    pub track_files: &'a [TrackFile],
}

impl<'a> Env<'a> {
    /// The `track_file` called `name`, if defined before.
    pub fn track_file(&self, name: &str) -> Option<&'a TrackFile> {
        self.track_files.iter().find(|t| t.name == name)
    }
}
