//! Helpers for the VRRP core's unit tests: a router from configuration text, adverts as
//! bytes, and what came out of a call as readable lines.

use std::net::{IpAddr, Ipv4Addr};

use super::action::{Action, Actions, GarpScope, InstanceId, NotifyState, SockId, Target};
use super::lvs_syncd::SyncdRole;
use super::msg::Names;
use super::router::Router;
use super::rx::Received;
use super::wire::{emit_ipv4_advert, Addrs, AdvertRepr, AuthField, Ipv4Fields, GROUP_V4};
use crate::config::host::FakeHost;
use crate::config::model::vrrp::{Family, Version};
use crate::config::testutil::load_text;
use crate::config::Config;
use crate::time::{Duration, Instant};

pub const ME: &str = "10.0.0.1";

/// The loaded configuration `conf` (scripts under /bin exist, so do eth1 and eth2).
pub fn config(conf: &str) -> Config {
    let mut host = FakeHost::new();
    host.interfaces.extend(["eth1".into(), "eth2".into()]);
    for s in ["/bin/chk", "/bin/chk2", "/bin/notify"] {
        host.add_script(s);
    }
    load_text(conf, &host).config.expect("configuration loads")
}

/// A router for `conf`, its eth0 addressed `ME`, not started.
pub fn router(conf: &str) -> Router {
    router_for(&config(conf))
}

/// A router for a loaded configuration, its eth0 addressed `ME`, not started.
pub fn router_for(config: &Config) -> Router {
    let mut r = Router::new(&config.vrrp, &config.global);
    let mut out = Actions::with_capacity(16);
    r.interface_address(at(0), "eth0", Family::V4, Some(ip(ME)), &mut out);
    r
}

pub fn at(us: u64) -> Instant {
    Instant::from_micros(us)
}

pub fn secs(s: u64) -> Instant {
    Instant::from_micros(s * 1_000_000)
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

pub fn actions(r: &Router) -> Actions {
    Actions::with_capacity(r.action_capacity())
}

/// The log lines among `out`.
pub fn logs(r: &Router, out: &Actions) -> Vec<String> {
    out.iter()
        .filter_map(|a| match a {
            Action::Log(m) => Some(m.show(r).to_string()),
            _ => None,
        })
        .collect()
}

/// Every action as one short line (log lines as their text).
pub fn lines(r: &Router, out: &Actions) -> Vec<String> {
    out.iter()
        .map(|a| match a {
            Action::Log(m) => m.show(r).to_string(),
            Action::SendAdvert(s) => format!(
                "advert {} prio {}",
                Names::instance(r, s.instance),
                s.priority
            ),
            Action::AddAddresses(i) => format!("add {}", Names::instance(r, *i)),
            Action::RemoveAddresses(i) => format!("remove {}", Names::instance(r, *i)),
            Action::Garp {
                instance,
                rounds,
                scope: GarpScope::Addresses,
            } => format!("garp {} x{rounds}", Names::instance(r, *instance)),
            Action::Garp {
                instance,
                rounds,
                scope: GarpScope::ExtraInterfaces,
            } => format!("garp-extra {} x{rounds}", Names::instance(r, *instance)),
            Action::StartSyncd(role) => format!("syncd start {}", role_word(*role)),
            Action::StopSyncd(role) => format!("syncd stop {}", role_word(*role)),
            Action::GarpSource(i) => format!("garp-source {}", Names::instance(r, *i)),
            Action::RunScript(s) => format!("run {}", r.script(*s)),
            Action::KillScript { script, signal } => {
                format!("kill {} {signal:?}", r.script(*script))
            }
            Action::Notify {
                target,
                state,
                priority,
            } => match target {
                Target::Instance(i) => {
                    format!(
                        "notify INSTANCE {} {} {priority}",
                        Names::instance(r, *i),
                        state.word()
                    )
                }
                Target::Group(g) => {
                    format!("notify GROUP {} {} {priority}", r.group(*g), state.word())
                }
            },
            Action::MasterRxLowerPri { instance, priority } => {
                format!(
                    "master_rx_lower_pri {} {priority}",
                    Names::instance(r, *instance)
                )
            }
            Action::PriorityChanged {
                instance,
                priority,
                master,
            } => format!(
                "priority {} {priority} master={master}",
                Names::instance(r, *instance)
            ),
            Action::RemoveStale {
                instance,
                successor,
                vips,
            } => format!("remove-stale {}>{} vips={vips}", instance.0, successor.0),
            Action::Reloaded => "reloaded".to_string(),
        })
        .collect()
}

fn role_word(r: SyncdRole) -> &'static str {
    match r {
        SyncdRole::Master => "master",
        SyncdRole::Backup => "backup",
    }
}

/// The priorities of the adverts among `out`, for instance `i`.
pub fn adverts(out: &Actions, i: InstanceId) -> Vec<u8> {
    out.iter()
        .filter_map(|a| match a {
            Action::SendAdvert(s) if s.instance == i => Some(s.priority),
            _ => None,
        })
        .collect()
}

pub fn notified(out: &Actions, i: InstanceId) -> Vec<NotifyState> {
    out.iter()
        .filter_map(|a| match a {
            Action::Notify {
                target: Target::Instance(x),
                state,
                ..
            } if *x == i => Some(*state),
            _ => None,
        })
        .collect()
}

/// A VRRPv2 advert (no authentication, interval 1 s) from `src` to 224.0.0.18, TTL 255.
pub fn v2(src: &str, vrid: u8, priority: u8, vips: &[&str]) -> Vec<u8> {
    advert(
        src,
        Version::V2,
        vrid,
        priority,
        Duration::from_secs(1),
        vips,
    )
}

pub fn advert(
    src: &str,
    version: Version,
    vrid: u8,
    priority: u8,
    adver_int: Duration,
    vips: &[&str],
) -> Vec<u8> {
    let vips: Vec<IpAddr> = vips.iter().map(|a| ip(a)).collect();
    let repr = AdvertRepr {
        version,
        vrid,
        priority,
        adver_int,
        addrs: Addrs::List(&vips),
        auth: AuthField::None,
    };
    let src: Ipv4Addr = src.parse().expect("IPv4 source");
    let fields = Ipv4Fields {
        src,
        dst: GROUP_V4,
        ttl: 255,
        id: 1,
    };
    let mut buf = [0u8; 2048];
    let n = emit_ipv4_advert(&repr, &fields, None, false, &mut buf).expect("emits");
    buf[..n].to_vec()
}

/// Delivers `bytes` (an IPv4 packet) on socket 0.
pub fn deliver(r: &mut Router, now: Instant, bytes: &[u8], out: &mut Actions) {
    deliver_on(r, SockId(0), now, bytes, out)
}

pub fn deliver_on(r: &mut Router, sock: SockId, now: Instant, bytes: &[u8], out: &mut Actions) {
    let rx = Received {
        bytes,
        src: ip("0.0.0.0"),
        hop_limit: None,
        multicast: false,
    };
    r.handle_advert(now, sock, &rx, out);
}

/// Runs the router's timers up to `until` (inclusive), collecting what they did.
pub fn run_until(r: &mut Router, until: Instant, out: &mut Actions) {
    while let Some(t) = r.poll_at().filter(|&t| t <= until) {
        r.handle_timeout(t, out);
    }
}
