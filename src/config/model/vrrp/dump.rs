//! The `-d` text of the VRRP configuration: every effective value, in keepalived's syntax.

use std::fmt::Display;

use super::instance::{
    AuthType, ChecksumCompat, ConfigFault, Family, InitialState, Instance, LvsSyncInterface,
    Transport, UnicastPeer, Version,
};
use super::sync_group::SyncGroup;
use super::track::{Origin, TrackRef, Tracking};
use super::trackers::{ParamMatch, TrackFile, TrackProcess, VrrpScript};
use super::vmac;
use super::Vrrp;
use crate::config::dump::{word, Dump};
use crate::config::model::ipaddr::IpAddress;
use crate::config::model::script::{dump_line, dump_user, Script};

pub fn all(v: &Vrrp, d: &mut Dump) {
    for name in &v.track_groups {
        d.block(&format!("track_group {}", word(name)), |d| {
            d.raw("# its members are not supported by keepalived-rs");
        });
    }
    lines(d, "static_ipaddress", &v.static_addresses);
    lines(d, "static_routes", &v.static_routes);
    lines(d, "static_rules", &v.static_rules);
    v.scripts.iter().for_each(|s| vrrp_script(d, s));
    v.track_processes.iter().for_each(|p| track_process(d, p));
    v.track_files.iter().for_each(|f| track_file(d, f));
    v.sync_groups.iter().for_each(|g| sync_group(d, g));
    v.instances
        .iter()
        .for_each(|i| instance(d, i, v.lvs_sync_interface.as_ref()));
}

fn flag(d: &mut Dump, key: &str, on: bool) {
    if on {
        d.raw(key);
    }
}

fn boolean(d: &mut Dump, key: &str, on: bool) {
    d.kv(key, if on { "true" } else { "false" });
}

fn script_kv(d: &mut Dump, key: &str, s: Option<&Script>) {
    if let Some(s) = s {
        dump_line(d, key, s);
    }
}

/// A block of address, route or rule lines in their normalised form.
fn lines<T: Display>(d: &mut Dump, key: &str, list: &[T]) {
    if list.is_empty() {
        return;
    }
    d.block(key, |d| list.iter().for_each(|a| d.raw(&a.to_string())));
}

/// The instance's addresses. Those keepalived put on the VMAC are written with the
/// configured interface, which puts them there again.
fn addresses(d: &mut Dump, key: &str, i: &Instance, list: &[IpAddress]) {
    let vmac = i.vmac.as_ref().map(|v| v.name.as_str());
    let list: Vec<IpAddress> = list
        .iter()
        .map(|a| match &a.dev {
            Some(dev) if Some(dev.as_str()) == vmac => IpAddress {
                dev: i.interface.clone(),
                ..a.clone()
            },
            _ => a.clone(),
        })
        .collect();
    lines(d, key, &list);
}

fn weight_text(weight: i32, reverse: bool) -> String {
    if reverse {
        format!("{weight} reverse")
    } else {
        weight.to_string()
    }
}

fn vrrp_script(d: &mut Dump, s: &VrrpScript) {
    d.block(&format!("vrrp_script {}", word(&s.name)), |d| {
        d.kv("script", s.script.config_word());
        dump_user(d, &s.script);
        d.kv("interval", s.interval);
        d.kv("timeout", s.timeout);
        d.kv("weight", weight_text(s.weight, s.reverse));
        d.kv("rise", s.rise);
        d.kv("fall", s.fall);
        flag(d, "init_fail", s.init_fail);
    });
}

fn track_process(d: &mut Dump, p: &TrackProcess) {
    d.block(&format!("vrrp_track_process {}", word(&p.name)), |d| {
        let words: Vec<_> = std::iter::once(&p.process)
            .chain(&p.params)
            .map(|w| word(w))
            .collect();
        d.kv("process", words.join(" "));
        match p.param_match {
            ParamMatch::None => {}
            ParamMatch::Exact => d.raw("param_match"),
            ParamMatch::Initial => d.kv("param_match", "initial"),
            ParamMatch::Partial => d.kv("param_match", "partial"),
        }
        flag(d, "full_command", p.full_command);
        d.kv("weight", weight_text(p.weight, p.reverse));
        // The keywords take no zero: a zero quorum comes from `quorum_max 0`, zero delays
        // are the defaults.
        d.nonzero("quorum", p.quorum);
        d.opt("quorum_max", p.quorum_max);
        d.nonzero("fork_delay", p.fork_delay);
        d.nonzero("terminate_delay", p.terminate_delay);
    });
}

fn track_file(d: &mut Dump, f: &TrackFile) {
    d.block(&format!("track_file {}", word(&f.name)), |d| {
        d.kv("file", word(&f.path));
        d.kv("weight", weight_text(f.weight, f.reverse));
        if let Some(init) = f.init {
            let over = if init.overwrite { " overwrite" } else { "" };
            d.kv("init_file", format!("{}{over}", init.value));
        }
    });
}

/// The configured entries of a tracking list as its block; the entries an instance gets
/// from elsewhere as comments (they are derived again when the dump is read).
fn track_list(d: &mut Dump, key: &str, list: &[TrackRef]) {
    let line = |t: &TrackRef| {
        format!(
            "{} weight {}",
            word(&t.name),
            weight_text(t.weight, t.reverse)
        )
    };
    let configured: Vec<&TrackRef> = list
        .iter()
        .filter(|t| t.origin == Origin::Configured)
        .collect();
    if !configured.is_empty() {
        d.block(key, |d| configured.iter().for_each(|t| d.raw(&line(t))));
    }
    for t in list {
        let from = match t.origin {
            Origin::Configured => continue,
            Origin::Implicit => "implicit",
            Origin::SyncGroup => "from the sync group",
        };
        d.raw(&format!("# {key} {} ({from})", line(t)));
    }
}

fn tracking(d: &mut Dump, t: &Tracking) {
    track_list(d, "track_interface", &t.interfaces);
    track_list(d, "track_script", &t.scripts);
    track_list(d, "track_file", &t.files);
    track_list(d, "track_process", &t.processes);
}

fn notifies(d: &mut Dump, n: &super::instance::NotifyScripts) {
    script_kv(d, "notify_master", n.master.as_deref());
    script_kv(d, "notify_backup", n.backup.as_deref());
    script_kv(d, "notify_fault", n.fault.as_deref());
    script_kv(d, "notify_stop", n.stop.as_deref());
    script_kv(d, "notify", n.generic.as_deref());
}

fn sync_group(d: &mut Dump, g: &SyncGroup) {
    d.block(&format!("vrrp_sync_group {}", word(&g.name)), |d| {
        d.block("group", |d| g.members.iter().for_each(|m| d.raw(&word(m))));
        tracking(d, &g.tracking);
        notifies(d, &g.notify);
        boolean(d, "smtp_alert", g.smtp_alert);
        flag(d, "sync_group_tracking_weight", g.tracking_weight);
        if let Some(b) = g.notify_priority_changes {
            boolean(d, "notify_priority_changes", b);
        }
    });
}

fn instance(d: &mut Dump, i: &Instance, lvs_sync: Option<&LvsSyncInterface>) {
    d.block(&format!("vrrp_instance {}", word(&i.name)), |d| {
        identity(d, i);
        transport(d, i);
        behaviour(d, i);
        addresses(d, "virtual_ipaddress", i, &i.vips);
        addresses(d, "virtual_ipaddress_excluded", i, &i.evips);
        lines(d, "virtual_routes", &i.routes);
        lines(d, "virtual_rules", &i.rules);
        tracking(d, &i.tracking);
        notifies(d, &i.notify);
        script_kv(
            d,
            "notify_master_rx_lower_pri",
            i.notify_master_rx_lower_pri.as_deref(),
        );
        match &i.notify_deleted_script {
            Some(s) => dump_line(d, "notify_deleted", s),
            None => flag(d, "notify_deleted", i.notify_deleted),
        }
        boolean(d, "smtp_alert", i.smtp_alert);
        boolean(d, "notify_priority_changes", i.notify_priority_changes);
        if let Some(l) = lvs_sync.filter(|l| l.instance == i.name) {
            d.kv("lvs_sync_daemon_interface", &l.interface);
        }
        if let Some(g) = &i.sync_group {
            d.raw(&format!("# member of vrrp_sync_group {g}"));
        }
        for f in &i.config_faults {
            let why = match f {
                ConfigFault::NoUnicastPeers => "unicast without peers",
                ConfigFault::VmacConflict => "VMAC used by another instance",
            };
            d.raw(&format!("# held in FAULT: {why}"));
        }
    });
}

fn identity(d: &mut Dump, i: &Instance) {
    let state = match i.initial_state {
        InitialState::Master => "MASTER",
        InitialState::Backup => "BACKUP",
    };
    d.kv("state", state);
    d.opt("interface", i.interface.as_deref());
    if let Some(v) = &i.vmac {
        // A MAC keepalived works out (from the VRID) is not written: strict mode refuses
        // a configured one.
        let mac = vmac::mac_text(&v.mac);
        if v.mac_configured {
            d.kv("use_vmac", format!("{} {mac}", v.name));
        } else {
            d.raw(&format!("use_vmac {} # MAC {mac}", v.name));
        }
        flag(d, "vmac_xmit_base", v.xmit_base);
    }
    d.kv("virtual_router_id", i.vrid);
    // It also means VRRPv3; an IPv6 VRRPv2 instance has its family from its addresses.
    flag(
        d,
        "native_ipv6",
        i.family == Family::V6 && i.version == Version::V3,
    );
    d.kv("version", i.version.number());
    d.kv("priority", i.priority);
    d.kv("advert_int", i.advert_int);
    if let Some(a) = &i.auth {
        d.block("authentication", |d| {
            d.kv(
                "auth_type",
                if a.kind == AuthType::Ah { "AH" } else { "PASS" },
            );
            let len = a.key.iter().position(|&b| b == 0).unwrap_or(a.key.len());
            d.kv("auth_pass", word(&String::from_utf8_lossy(&a.key[..len])));
        });
    }
}

fn transport(d: &mut Dump, i: &Instance) {
    match &i.transport {
        Transport::Multicast { group } => {
            d.opt("mcast_src_ip", i.src_addr);
            d.kv("mcast_dst_ip", group);
        }
        Transport::Unicast {
            peers,
            ttl,
            check_src,
        } => {
            d.opt("unicast_src_ip", i.src_addr);
            d.block("unicast_peer", |d| {
                peers.iter().for_each(|p| d.raw(&peer_text(p)));
            });
            d.opt("unicast_ttl", *ttl);
            flag(d, "check_unicast_src", *check_src);
        }
    }
    flag(
        d,
        "unicast_fault_no_peer",
        i.config_faults.contains(&ConfigFault::NoUnicastPeers),
    );
    match i.old_unicast_checksum {
        ChecksumCompat::Auto => {}
        ChecksumCompat::Old => d.raw("old_unicast_checksum"),
        ChecksumCompat::Never => d.kv("old_unicast_checksum", "never"),
    }
    flag(d, "track_src_ip", i.track_src_ip);
}

/// A unicast peer; TTL bounds only when set, as giving them turns on source checking.
fn peer_text(p: &UnicastPeer) -> String {
    let mut text = p.addr.to_string();
    if p.min_ttl != 0 {
        text += &format!(" min_ttl {}", p.min_ttl);
    }
    if p.max_ttl != 255 {
        text += &format!(" max_ttl {}", p.max_ttl);
    }
    text
}

/// Periodic GARPs on the other interfaces of the addresses. Off while some address is on
/// another interface is written as 0: a global `vrrp_garp_extra_if all` would apply.
fn garp_extra_if(d: &mut Dump, i: &Instance) {
    if let Some(e) = i.garp.extra_if {
        let all = if e.all { "all " } else { "" };
        return d.kv("garp_extra_if", format!("{all}{}", e.interval));
    }
    let run_if = i.vmac.as_ref().map(|v| &v.name).or(i.interface.as_ref());
    let mut addresses = i.vips.iter().chain(&i.evips);
    if addresses.any(|a| a.dev.as_ref() != run_if) {
        d.kv("garp_extra_if", 0);
    }
}

fn behaviour(d: &mut Dump, i: &Instance) {
    d.raw(if i.accept { "accept" } else { "no_accept" });
    flag(d, "nopreempt", i.nopreempt);
    d.kv("preempt_delay", i.preempt_delay);
    boolean(d, "strict_mode", i.strict);
    // keepalived turns it on whatever word follows: off is only the keyword's absence.
    if i.skip_check_adv_addr {
        d.raw("skip_check_adv_addr");
    } else {
        d.raw("# skip_check_adv_addr off");
    }
    let g = &i.garp;
    d.kv("garp_master_delay", g.master_delay);
    d.kv("garp_master_repeat", g.master_repeat);
    d.kv("garp_master_refresh", g.master_refresh);
    // No repeats come from the global `vrrp_min_garp` only.
    d.nonzero("garp_master_refresh_repeat", g.master_refresh_repeat);
    d.kv("garp_lower_prio_delay", g.lower_prio_delay);
    d.kv("garp_lower_prio_repeat", g.lower_prio_repeat);
    garp_extra_if(d, i);
    d.kv("down_timer_adverts", i.down_timer_adverts);
    boolean(d, "lower_prio_no_advert", i.lower_prio_no_advert);
    boolean(d, "higher_prio_send_advert", i.higher_prio_send_advert);
    flag(d, "promote_secondaries", i.promote_secondaries);
    flag(d, "dont_track_primary", i.dont_track_primary);
    d.kv("debug", i.debug);
}
