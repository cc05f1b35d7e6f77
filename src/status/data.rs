//! `keepalived.data` (SIGUSR1): keepalived's VRRP process's `dump_data_vrrp`, section by
//! section and line by line in its order and words, from what the core, the configuration
//! and the runtime know. Checked line by line against keepalived 2.2.7's dumps of the same
//! configurations (`testdata/`, see `tests.rs`).
//!
//! - Global definitions: every line keepalived writes; settings keepalived-rs does not have
//!   (namespaces, SNMP, DBus, process priorities, netlink buffers) at keepalived's defaults,
//!   which is how keepalived-rs behaves; the libnftnl version line is left out;
//! - VRRP Topology: every instance line. Timers are the core's deadlines as wall-clock
//!   times; the fault count and the total priority are derived from its state (the core
//!   keeps them private); the track-scripts-init count from the runtime's [`ScriptState`]s;
//!   routes and rules in keepalived's `format_iproute`/`format_iprule` words;
//! - VRRP Sockpool, VRRP Sync groups, VRRP Scripts (results and run state from the
//!   runtime's [`ScriptState`]s);
//! - not written: Gratuitous ARP delays, Static Track groups, VRRP Track files and
//!   processes, Interfaces (kernel data, `net/`'s).
//!
//! [`ScriptState`]: super::ScriptState

use std::fmt::Write as _;
use std::net::IpAddr;

use super::format::{
    is_implicit, secs_f64, state_str, want, Addr, Cmd, IpRoute, IpRule, OrNone, G,
};
use super::json::vipset;
use super::View;
use crate::config::model::global::{Global, LvsFlushOnStop};
use crate::config::model::script::Script;
use crate::config::model::vrrp::{
    AuthType, ChecksumCompat, Family, Instance as Config, Transport, Version, VrrpScript,
};
use crate::log::Ctime;
use crate::vrrp::action::InstanceId;
use crate::vrrp::instance::{Instance, State};
use crate::vrrp::timer::{self, Timer};

/// The whole file, appended to `out`.
pub fn render(out: &mut String, v: &View<'_>) {
    let mut w = Out(out, None);
    global(&mut w, v.global, v.umask);
    let vrrp = v.vrrp;
    w.section_if(!vrrp.static_addresses.is_empty(), "Static Addresses");
    // Installed at start-up: `set`, as in keepalived's dump.
    for a in &vrrp.static_addresses {
        w.line(format_args!(
            "     {}",
            Addr {
                a,
                iface: None,
                set: true
            }
        ));
    }
    w.section_if(!vrrp.static_routes.is_empty(), "Static Routes");
    for r in &vrrp.static_routes {
        w.line(format_args!("     {}", IpRoute(r)));
    }
    w.section_if(!vrrp.static_rules.is_empty(), "Static Rules");
    for r in &vrrp.static_rules {
        w.line(format_args!("     {}", IpRule(r)));
    }
    w.section_if(!vrrp.instances.is_empty(), "VRRP Topology");
    for (k, (inst, c)) in v.router.instances().iter().zip(&vrrp.instances).enumerate() {
        let id = InstanceId(u16::try_from(k).unwrap_or(u16::MAX));
        instance(&mut w, v, id, inst, c);
    }
    sockpool(&mut w, v);
    sync_groups(&mut w, v);
    scripts(&mut w, v);
}

/// The text, and the address keepalived's `inet_sockaddrtos` last formatted into its static
/// buffer: a BACKUP that has not heard its master yet prints that buffer unchanged as its
/// "Master router" (the IPv6 group, or the previous instance's last address).
struct Out<'a>(&'a mut String, Option<IpAddr>);

impl Out<'_> {
    fn line(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.0.write_fmt(args);
        self.0.push('\n');
    }

    fn section_if(&mut self, present: bool, title: &str) {
        if present {
            self.line(format_args!("------< {title} >------"));
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn on_off(v: Option<bool>) -> &'static str {
    match v {
        None => "unset",
        Some(true) => "on",
        Some(false) => "off",
    }
}

fn global(w: &mut Out<'_>, g: &Global, umask: u32) {
    w.line(format_args!("------< Global definitions >------"));
    // keepalived-rs runs in the namespace it was started in (no `net_namespace`).
    w.line(format_args!(" Network namespace = (default)"));
    w.line(format_args!(" Network namespace ipvs = (main namespace)"));
    w.line(format_args!(" Router ID = {}", g.router_id));
    if let Some(s) = &g.smtp_server {
        w.line(format_args!(" Smtp server = {}", s.addr));
        w.line(format_args!(" Smtp server port = {}", s.port));
    }
    if let Some(h) = &g.smtp_helo_name {
        w.line(format_args!(" Smtp HELO name = {h}"));
    }
    if g.smtp_server.is_some() {
        let to = g.smtp_connect_timeout.as_secs();
        w.line(format_args!(" Smtp server connection timeout = {to}"));
    }
    if let Some(from) = &g.notification_email_from {
        w.line(format_args!(" Email notification from = {from}"));
        w.line(format_args!(" Email notification to:"));
        for e in &g.notification_email {
            w.line(format_args!("   {e}"));
        }
    }
    w.line(format_args!(
        " Default smtp_alert = {}",
        on_off(g.smtp_alert)
    ));
    let vrrp_alert = on_off(g.smtp_alert_vrrp);
    w.line(format_args!(" Default smtp_alert_vrrp = {vrrp_alert}"));
    let chk_alert = on_off(g.smtp_alert_checker);
    w.line(format_args!(" Default smtp_alert_checker = {chk_alert}"));
    let all = g.checker_log_all_failures;
    w.line(format_args!(" Checkers log all failures = {all}"));
    if g.reload_check_config {
        let f = &g.reload_check_config_file;
        w.line(format_args!(" Test config before reload, log to {f}"));
    } else {
        w.line(format_args!(" No test config before reload"));
    }
    for (s, what, sep) in [
        (&g.startup_script, "Startup", ","),
        (&g.shutdown_script, "Shutdown", ""),
    ] {
        if let Some(s) = s {
            let timeout = if what == "Startup" {
                g.startup_script_timeout
            } else {
                g.shutdown_script_timeout
            };
            w.line(format_args!(
                " {what} script = {}, uid:gid {}:{}{sep} timeout {}",
                Cmd(s),
                s.user.uid,
                s.user.gid,
                timeout.as_secs()
            ));
        }
    }
    w.line(format_args!(
        " Dynamic interfaces = {}",
        g.dynamic_interfaces
    ));
    if g.dynamic_interfaces {
        let allow = g.dynamic_interfaces_allow_if_changes;
        w.line(format_args!(" Allow interface changes = {allow}"));
    }
    if g.no_email_faults {
        w.line(format_args!(" Send emails for fault transitions = off"));
    }
    let dflt = g.default_interface.as_deref().unwrap_or("eth0");
    w.line(format_args!(" Default interface = {dflt}"));
    w.line(format_args!(" Disable local IGMP = no"));
    w.line(format_args!(" LVS flush = {}", g.lvs_flush));
    let flush_stop = match g.lvs_flush_on_stop {
        LvsFlushOnStop::No => "disabled",
        LvsFlushOnStop::All => "all",
        LvsFlushOnStop::Vs => "VS",
    };
    w.line(format_args!(" LVS flush on stop = {flush_stop}"));
    for (fifo, what) in [
        (&g.notify_fifo, "Global"),
        (&g.vrrp_notify_fifo, "VRRP"),
        (&g.lvs_notify_fifo, "LVS"),
    ] {
        if let Some(f) = fifo {
            let u = f.user.unwrap_or(g.script_user);
            let (path, uid, gid) = (&f.path, u.uid, u.gid);
            w.line(format_args!(
                " {what} notify fifo = {path}, uid:gid {uid}:{gid}"
            ));
            if let Some(s) = &f.script {
                w.line(format_args!(
                    " {what} notify fifo script = {}, uid:gid {}:{}",
                    Cmd(s),
                    s.user.uid,
                    s.user.gid
                ));
            }
        }
    }
    let reload = g.fifo_write_vrrp_states_on_reload;
    w.line(format_args!(" FIFO write vrrp states on reload = {reload}"));
    let prio = g.vrrp_notify_priority_changes;
    w.line(format_args!(" VRRP notify priority changes = {prio}"));
    w.line(format_args!(
        " VRRP IPv4 mcast group = {}",
        g.vrrp_mcast_group4
    ));
    w.line(format_args!(
        " VRRP IPv6 mcast group = {}",
        g.vrrp_mcast_group6
    ));
    w.1 = Some(IpAddr::V6(g.vrrp_mcast_group6));
    let delay = g.vrrp_garp_master_delay.as_secs();
    w.line(format_args!(" Gratuitous ARP delay = {delay}"));
    w.line(format_args!(
        " Gratuitous ARP repeat = {}",
        g.vrrp_garp_master_repeat
    ));
    let refresh = g.vrrp_garp_master_refresh.as_secs();
    w.line(format_args!(" Gratuitous ARP refresh timer = {refresh}"));
    let refresh_rep = g.vrrp_garp_master_refresh_repeat;
    w.line(format_args!(
        " Gratuitous ARP refresh repeat = {refresh_rep}"
    ));
    // Unset: the master's values, as keepalived resolves them after reading the file.
    let lp_delay = g
        .vrrp_garp_lower_prio_delay
        .unwrap_or(g.vrrp_garp_master_delay);
    let lp_delay = lp_delay.as_secs();
    w.line(format_args!(
        " Gratuitous ARP lower priority delay = {lp_delay}"
    ));
    let lp_rep = g
        .vrrp_garp_lower_prio_repeat
        .unwrap_or(g.vrrp_garp_master_repeat);
    w.line(format_args!(
        " Gratuitous ARP lower priority repeat = {lp_rep}"
    ));
    let down = g.vrrp_down_timer_adverts;
    w.line(format_args!(" Num adverts before down = {down}"));
    let (what, secs) = match &g.vrrp_garp_extra_if {
        Some(x) => (if x.all { "i/f" } else { "VMAC" }, x.interval.as_secs()),
        None => ("VMAC", 0),
    };
    w.line(format_args!(
        " Gratuitous ARP for each secondary {what} = {secs}s"
    ));
    let lower = !g.vrrp_lower_prio_no_advert;
    w.line(format_args!(
        " Send advert after receive lower priority advert = {lower}"
    ));
    let higher = g.vrrp_higher_prio_send_advert;
    w.line(format_args!(
        " Send advert after receive higher priority advert = {higher}"
    ));
    let garp = secs_f64(g.vrrp_garp_interval);
    w.line(format_args!(" Gratuitous ARP interval = {garp:.6}"));
    let gna = secs_f64(g.vrrp_gna_interval);
    w.line(format_args!(" Gratuitous NA interval = {gna:.6}"));
    w.line(format_args!(
        " VRRP default protocol version = {}",
        g.vrrp_version
    ));
    if let Some(t) = &g.nftables {
        w.line(format_args!(" nftables table name = {t}"));
        let p = g.nftables_priority;
        w.line(format_args!(" nftables base chain priority = {p}"));
    }
    // keepalived's next line names its libnftnl version; keepalived-rs has no libnftnl.
    w.line(format_args!(" nftables without counters"));
    let check = g.vrrp_check_unicast_src;
    w.line(format_args!(" VRRP check unicast_src = {check}"));
    let skip = g.vrrp_skip_check_adv_addr;
    w.line(format_args!(" VRRP skip check advert addresses = {skip}"));
    w.line(format_args!(" VRRP strict mode = {}", g.vrrp_strict));
    // Settings keepalived-rs does not have, at keepalived's defaults (which is how
    // keepalived-rs behaves).
    w.line(format_args!(" Max auto priority = 0"));
    w.line(format_args!(" Min auto priority delay = 1000000 usecs"));
    for p in ["VRRP", "Checker", "BFD"] {
        w.line(format_args!(" {p} process priority = 0"));
        w.line(format_args!(" {p} don't swap = false"));
        w.line(format_args!(" {p} realtime priority = 0"));
        w.line(format_args!(" {p} realtime limit = 10000"));
    }
    for s in ["vrrp", "checker", "RFCv2", "RFCv3", "traps"] {
        w.line(format_args!(" SNMP {s} disabled"));
    }
    w.line(format_args!(
        " SNMP socket = default (unix:/var/agentx/master)"
    ));
    w.line(format_args!(" DBus disabled"));
    w.line(format_args!(" DBus service name = "));
    let security = if g.enable_script_security {
        "enabled"
    } else {
        "disabled"
    };
    w.line(format_args!(" Script security {security}"));
    let u = g.script_user;
    w.line(format_args!(" Default script uid:gid {}:{}", u.uid, u.gid));
    for nl in [
        "vrrp_netlink_cmd",
        "vrrp_netlink_monitor",
        "process_monitor",
    ] {
        w.line(format_args!(" {nl}_rcv_bufs = 0"));
        w.line(format_args!(" {nl}_rcv_bufs_force = 0"));
    }
    for nl in ["lvs_netlink_cmd", "lvs_netlink_monitor"] {
        w.line(format_args!(" {nl}_rcv_bufs = 0"));
        w.line(format_args!(" {nl}_rcv_bufs_force = 0"));
    }
    w.line(format_args!(
        " rs_init_notifies = {}",
        u8::from(g.rs_init_notifies)
    ));
    w.line(format_args!(
        " no_checker_emails = {}",
        u8::from(g.no_checker_emails)
    ));
    w.line(format_args!(" rx_bufs_multiples = 3"));
    w.line(format_args!(" umask = 0{umask:o}"));
}

/// An advert interval: seconds in VRRPv2, milliseconds in v3.
struct Interval(Version, crate::time::Duration);

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Version::V2 => write!(f, "{} sec", self.1.as_secs()),
            Version::V3 => write!(f, "{} milli-sec", self.1.as_micros() / 1_000),
        }
    }
}

fn notify_lines(w: &mut Out<'_>, scripts: &[(&str, Option<&Script>)]) {
    for (what, s) in scripts {
        if let Some(s) = s {
            w.line(format_args!(
                "   {what} state transition script = {}, uid:gid {}:{}",
                Cmd(s),
                s.user.uid,
                s.user.gid
            ));
        }
    }
}

fn instance(w: &mut Out<'_>, v: &View<'_>, id: InstanceId, inst: &Instance, c: &Config) {
    let r = v.router;
    w.line(format_args!(" VRRP Instance = {}", inst.name()));
    w.line(format_args!("   VRRP Version = {}", c.version.number()));
    if let Some(g) = &c.sync_group {
        w.line(format_args!("   Sync group = {g}"));
    }
    if c.family == Family::V6 {
        w.line(format_args!("   Using Native IPv6"));
    }
    let state = inst.state();
    w.line(format_args!("   State = {}", state_str(state)));
    if state == State::Backup {
        w.1 = inst.master_addr().or(w.1);
        let master = OrNone(w.1, "");
        w.line(format_args!("   Master router = {master}"));
        w.line(format_args!(
            "   Master priority = {}",
            inst.master_priority()
        ));
        if c.version == Version::V3 {
            let mai = secs_f64(inst.master_adver_int());
            w.line(format_args!("   Master advert int = {mai:.2} sec"));
        }
    }
    // keepalived's flag bits: nopreempt sets one it does not name, unicast one it names.
    let unicast = matches!(c.transport, Transport::Unicast { .. });
    if unicast || c.nopreempt {
        w.line(format_args!("   Flags:"));
    } else {
        w.line(format_args!("   Flags: none"));
    }
    if unicast {
        let same_vrid = |m: &&InstanceId| r.instance(**m).is_some_and(|o| o.vrid() == inst.vrid());
        let shared = r
            .sockets()
            .iter()
            .filter(|s| s.members().contains(&id))
            .any(|s| s.members().iter().filter(same_vrid).count() > 1);
        let dup = if shared { " with VRID duplication" } else { "" };
        w.line(format_args!("     Using unicast{dup}"));
    }
    w.line(format_args!("   Wantstate = {}", state_str(want(inst, c))));
    let config_faults = c.config_faults.len();
    w.line(format_args!("   Number of config faults = {config_faults}"));
    let faults = u8::from(state == State::Fault);
    w.line(format_args!(
        "   Number of interface and track script faults = {faults}"
    ));
    // Tracked scripts that have not returned yet (keepalived's INIT state).
    let init = c
        .tracking
        .scripts
        .iter()
        .filter_map(|t| v.vrrp.scripts.iter().position(|s| s.name == t.name))
        .filter(|k| !v.scripts.get(*k).is_some_and(|s| s.has_run))
        .count();
    w.line(format_args!("   Number of track scripts init = {init}"));
    let (s, us) = v.transitions.get(id);
    w.line(format_args!(
        "   Last transition = {s}.{us:06} ({})",
        Ctime {
            secs: s,
            micros: Some(us)
        }
    ));
    let sands = [Timer::Advert, Timer::MasterDown]
        .into_iter()
        .filter_map(|t| inst.deadline(t))
        .min();
    match sands {
        Some(at) => {
            let (s, us) = v.wall_of(at);
            w.line(format_args!(
                "   Read timeout = {s}.{us:06} ({})",
                Ctime {
                    secs: s,
                    micros: Some(us)
                }
            ));
        }
        None => w.line(format_args!("   Read timeout = DISABLED")),
    }
    let down = timer::master_down_interval(
        c.version,
        inst.effective_priority(),
        inst.master_adver_int(),
        c.down_timer_adverts,
    );
    w.line(format_args!(
        "   Master down timer = {} usecs",
        down.as_micros()
    ));
    if let Some(m) = &c.vmac {
        w.line(format_args!(
            "   Use VMAC, i/f name {}, is_up = true, xmit_base = {}",
            m.name, m.xmit_base
        ));
        if m.mac_configured {
            let b = m.mac;
            w.line(format_args!(
                "     MAC = {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                b[0], b[1], b[2], b[3], b[4], b[5]
            ));
        }
    }
    match (&c.vmac, &c.interface) {
        (Some(m), Some(base)) => {
            let xmit = if m.xmit_base { ", xmit base i/f" } else { "" };
            w.line(format_args!(
                "   Interface = {}, vmac on {base}{xmit}",
                m.name
            ));
        }
        (_, Some(i)) => w.line(format_args!("   Interface = {i}")),
        _ => w.line(format_args!("   Interface = not configured")),
    }
    if c.dont_track_primary {
        w.line(format_args!("   VRRP interface tracking disabled"));
    }
    if c.skip_check_adv_addr {
        w.line(format_args!("   Skip checking advert IP addresses"));
    }
    if c.strict {
        w.line(format_args!("   Enforcing strict VRRP compliance"));
    }
    w.1 = inst.source().or(w.1);
    let src = OrNone(inst.source(), "(none)");
    let from = if c.src_addr.is_some() {
        " (from configuration)"
    } else {
        ""
    };
    w.line(format_args!("   Using src_ip = {src}{from}"));
    if let Transport::Multicast { group } = c.transport {
        w.1 = Some(group);
        match c.family {
            Family::V4 => w.line(format_args!("   Multicast address {group}")),
            Family::V6 => {
                let ifindex = r
                    .sockets()
                    .iter()
                    .find(|s| s.members().contains(&id))
                    .and_then(|s| s.iface)
                    .and_then(|i| v.ifindex.get(usize::from(i.0)))
                    .copied()
                    .unwrap_or(0);
                w.line(format_args!(
                    "   Multicast address {group}, ifindex {ifindex}"
                ));
            }
        }
    }
    let gp = &c.garp;
    w.line(format_args!(
        "   Gratuitous ARP delay = {}",
        gp.master_delay.as_secs()
    ));
    w.line(format_args!(
        "   Gratuitous ARP repeat = {}",
        gp.master_repeat
    ));
    let refresh = gp.master_refresh.as_secs();
    w.line(format_args!("   Gratuitous ARP refresh = {refresh}"));
    let rrep = gp.master_refresh_repeat;
    w.line(format_args!("   Gratuitous ARP refresh repeat = {rrep}"));
    let lpd = gp.lower_prio_delay.as_secs();
    w.line(format_args!(
        "   Gratuitous ARP lower priority delay = {lpd}"
    ));
    let lpr = gp.lower_prio_repeat;
    w.line(format_args!(
        "   Gratuitous ARP lower priority repeat = {lpr}"
    ));
    w.line(format_args!(
        "   Down timer adverts = {}",
        c.down_timer_adverts
    ));
    let lower = !c.lower_prio_no_advert;
    w.line(format_args!(
        "   Send advert after receive lower priority advert = {lower}"
    ));
    let higher = c.higher_prio_send_advert;
    w.line(format_args!(
        "   Send advert after receive higher priority advert = {higher}"
    ));
    w.line(format_args!("   Virtual Router ID = {}", inst.vrid()));
    w.line(format_args!("   Priority = {}", inst.base_priority()));
    w.line(format_args!(
        "   Effective priority = {}",
        inst.effective_priority()
    ));
    w.line(format_args!(
        "   Total priority = {}",
        inst.effective_priority()
    ));
    let adv = Interval(c.version, inst.adver_int());
    w.line(format_args!("   Advert interval = {adv}"));
    if state == State::Backup && c.version == Version::V3 {
        let mai = inst.master_adver_int().as_micros() / 1_000;
        w.line(format_args!("   Master advert interval = {mai} milli-sec"));
    }
    let en = |b: bool| if b { "enabled" } else { "disabled" };
    w.line(format_args!("   Accept = {}", en(c.accept)));
    w.line(format_args!("   Preempt = {}", en(!c.nopreempt)));
    if c.preempt_delay > crate::time::Duration::ZERO {
        let d = G(secs_f64(c.preempt_delay));
        w.line(format_args!("   Preempt delay = {d} secs"));
    }
    let promote = en(c.promote_secondaries);
    w.line(format_args!("   Promote_secondaries = {promote}"));
    match c.auth {
        Some(a) if a.kind == AuthType::Ah => {
            w.line(format_args!("   Authentication type = IPSEC_AH"));
        }
        Some(a) => {
            w.line(format_args!("   Authentication type = SIMPLE_PASSWORD"));
            let end = a.key.iter().position(|&b| b == 0).unwrap_or(a.key.len());
            let pass = String::from_utf8_lossy(&a.key[..end]);
            w.line(format_args!("   Password = {pass}"));
        }
        None if c.version == Version::V2 => {
            w.line(format_args!("   Authentication type = none"));
        }
        None => {}
    }
    if c.debug > 0 {
        w.line(format_args!("   Debug level = {}", c.debug));
    }
    let (iface, set) = (c.interface.as_deref(), vipset(inst));
    if !c.vips.is_empty() {
        w.line(format_args!("   Virtual IP ({}):", c.vips.len()));
        for a in &c.vips {
            w.line(format_args!("     {}", Addr { a, iface, set }));
        }
    }
    if !c.evips.is_empty() {
        w.line(format_args!("   Virtual IP Excluded :"));
        for a in &c.evips {
            w.line(format_args!("     {}", Addr { a, iface, set }));
        }
    }
    if let Transport::Unicast {
        peers,
        ttl,
        check_src,
    } = &c.transport
    {
        w.line(format_args!("   Unicast TTL = {}", ttl.unwrap_or(255)));
        w.line(format_args!(
            "   Check unicast src : {}",
            yes_no(*check_src)
        ));
        w.line(format_args!("   Unicast Peer :"));
        for p in peers {
            w.1 = Some(p.addr);
            w.line(format_args!(
                "     {} min_ttl {} max_ttl {}",
                p.addr, p.min_ttl, p.max_ttl
            ));
        }
        let compat = match c.old_unicast_checksum {
            ChecksumCompat::Auto => "no",
            ChecksumCompat::Old => "config",
            ChecksumCompat::Never => "never",
        };
        w.line(format_args!("   Unicast checksum compatibility = {compat}"));
    }
    let sock = r
        .sockets()
        .iter()
        .position(|s| s.members().contains(&id))
        .and_then(|k| v.socket_fds.get(k));
    match sock {
        Some((i, o)) => w.line(format_args!("   fd_in {i}, fd_out {o}")),
        None => w.line(format_args!("   No sockets allocated")),
    }
    if !c.routes.is_empty() {
        w.line(format_args!("   Virtual Routes :"));
        for rt in &c.routes {
            w.line(format_args!("     {}", IpRoute(rt)));
        }
    }
    if !c.rules.is_empty() {
        w.line(format_args!("   Virtual Rules :"));
        for rl in &c.rules {
            w.line(format_args!("     {}", IpRule(rl)));
        }
    }
    let t = &c.tracking;
    let lists = [
        ("Tracked interfaces", &t.interfaces),
        ("Tracked scripts", &t.scripts),
        ("Tracked files", &t.files),
        ("Tracked processes", &t.processes),
    ];
    for (title, list) in lists {
        // The instance's own interfaces are tracked but not listed (keepalived keeps them
        // on the interface's side).
        let shown = || list.iter().filter(|x| !is_implicit(x));
        if shown().next().is_none() {
            continue;
        }
        w.line(format_args!("   {title} :"));
        for x in shown() {
            let rev = if x.reverse { " reverse" } else { "" };
            w.line(format_args!("     {} weight {}{rev}", x.name, x.weight));
        }
    }
    w.line(format_args!(
        "   Using smtp notification = {}",
        yes_no(c.smtp_alert)
    ));
    let deleted = if c.notify_deleted { "Deleted" } else { "Fault" };
    w.line(format_args!("   Notify deleted = {deleted}"));
    let n = &c.notify;
    notify_lines(
        w,
        &[
            ("Backup", n.backup.as_deref()),
            ("Master", n.master.as_deref()),
            ("Fault", n.fault.as_deref()),
            ("Stop", n.stop.as_deref()),
            ("Deleted", c.notify_deleted_script.as_deref()),
            ("Generic", n.generic.as_deref()),
            (
                "Master rx lower pri",
                c.notify_master_rx_lower_pri.as_deref(),
            ),
        ],
    );
    let changes = c.notify_priority_changes;
    w.line(format_args!("   Notify priority changes = {changes}"));
}

fn sockpool(w: &mut Out<'_>, v: &View<'_>) {
    let r = v.router;
    w.section_if(!r.sockets().is_empty(), "VRRP Sockpool");
    for (k, s) in r.sockets().iter().enumerate() {
        let (i, o) = v.socket_fds.get(k).copied().unwrap_or((-1, -1));
        w.line(format_args!(" fd_in {i} fd_out = {o}"));
        let ifname = s
            .iface
            .map_or("(null)", |f| crate::vrrp::msg::Names::interface(r, f));
        w.line(format_args!("   Interface = {ifname}"));
        let fam = match s.family {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        };
        w.line(format_args!("   Family = {fam}"));
        let proto = if s.proto == 51 { "AH" } else { "VRRP" };
        w.line(format_args!("   Protocol = {proto}"));
        let kind = if s.unicast { "Unicast" } else { "Multicast" };
        w.line(format_args!("   Type = {kind}"));
        if s.unicast {
            if let Some(a) = s.addr {
                w.line(format_args!("   Address = {a}"));
            }
        }
        w.line(format_args!("   Rx buf size = 0"));
        w.line(format_args!("   VRRP instances"));
        for m in s.members() {
            if let Some(i) = r.instance(*m) {
                w.line(format_args!("     {} vrid {}", i.name(), i.vrid()));
            }
        }
    }
}

fn sync_groups(w: &mut Out<'_>, v: &View<'_>) {
    let r = v.router;
    w.section_if(!r.groups().is_empty(), "VRRP Sync groups");
    for (g, c) in r.groups().iter().zip(&v.vrrp.sync_groups) {
        w.line(format_args!(
            " VRRP Sync Group = {}, {}",
            g.name(),
            state_str(g.state())
        ));
        let members = || g.members().iter().filter_map(|m| r.instance(*m));
        let faults = members().filter(|i| i.state() == State::Fault).count();
        w.line(format_args!(
            "   Num member fault {faults}, num member init 0"
        ));
        if !g.members().is_empty() {
            w.line(format_args!("   VRRP member instances :"));
            for i in members() {
                w.line(format_args!("     {}", i.name()));
            }
        }
        if c.tracking_weight {
            w.line(format_args!("   sync group tracking weight set"));
        }
        w.line(format_args!(
            "   Using smtp notification = {}",
            yes_no(c.smtp_alert)
        ));
        if let Some(p) = c.notify_priority_changes {
            w.line(format_args!("   Notify priority changes = {}", yes_no(p)));
        }
        let n = &c.notify;
        notify_lines(
            w,
            &[
                ("Backup", n.backup.as_deref()),
                ("Master", n.master.as_deref()),
                ("Fault", n.fault.as_deref()),
                ("Stop", n.stop.as_deref()),
                ("Generic", n.generic.as_deref()),
            ],
        );
    }
}

fn scripts(w: &mut Out<'_>, v: &View<'_>) {
    let vrrp = v.vrrp;
    // keepalived drops the scripts no instance tracks ("script ... is not used").
    let used = |s: &VrrpScript| {
        let name = s.name.as_str();
        vrrp.instances
            .iter()
            .any(|c| c.tracking.scripts.iter().any(|t| t.name == name))
    };
    w.section_if(vrrp.scripts.iter().any(used), "VRRP Scripts");
    for (k, s) in vrrp.scripts.iter().enumerate().filter(|(_, s)| used(s)) {
        let st = v.scripts.get(k).copied().unwrap_or_default();
        w.line(format_args!(" VRRP Script = {}", s.name));
        w.line(format_args!("   Command = {}", Cmd(&s.script)));
        w.line(format_args!("   Interval = {} sec", s.interval.as_secs()));
        // The configuration model fills an unset timeout with the interval; keepalived
        // prints an unset one as 0.
        let timeout = if s.timeout == s.interval {
            0
        } else {
            s.timeout.as_secs()
        };
        w.line(format_args!("   Timeout = {timeout} sec"));
        let rev = if s.reverse { " reverse" } else { "" };
        w.line(format_args!("   Weight = {}{rev}", s.weight));
        w.line(format_args!("   Rise = {}", s.rise));
        w.line(format_args!("   Fall = {}", s.fall));
        w.line(format_args!("   Result = {}", st.result));
        w.line(format_args!("   Insecure = no"));
        let init = if st.has_run { "unknown" } else { "INIT" };
        w.line(format_args!("   Init state = {init}"));
        let status = if st.result >= s.rise { "GOOD" } else { "BAD" };
        w.line(format_args!("   Status = {status}"));
        let u = s.script.user;
        w.line(format_args!("   Script uid:gid = {}:{}", u.uid, u.gid));
        w.line(format_args!("   VRRP instances :"));
        w.line(format_args!("   Tracking instances :"));
        for (inst, c) in v.router.instances().iter().zip(&vrrp.instances) {
            for t in c.tracking.scripts.iter().filter(|t| t.name == s.name) {
                let rev = if t.reverse { " reverse" } else { "" };
                w.line(format_args!(
                    "     {}, weight {}{rev}",
                    inst.name(),
                    t.weight
                ));
            }
        }
        let state = if st.running { "running" } else { "idle" };
        w.line(format_args!("   State = {state}"));
    }
}
