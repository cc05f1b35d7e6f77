//! The `-d` text of the VRRP configuration: every effective value, in keepalived's syntax.

use super::instance::{
    AuthType, ChecksumCompat, ConfigFault, Family, InitialState, Instance, Transport,
};
use super::sync_group::SyncGroup;
use super::track::{TrackRef, Tracking};
use super::trackers::{ParamMatch, TrackFile, TrackProcess, VrrpScript};
use super::vmac;
use super::Vrrp;
use crate::config::dump::Dump;
use crate::config::model::ipaddr::IpAddress;
use crate::config::model::script::Script;

pub fn all(v: &Vrrp, d: &mut Dump) {
    addresses(d, "static_ipaddress", &v.static_addresses);
    placeholders(
        d,
        "static_routes",
        v.static_routes.iter().map(|r| r.loc.line),
    );
    placeholders(d, "static_rules", v.static_rules.iter().map(|r| r.loc.line));
    v.scripts.iter().for_each(|s| vrrp_script(d, s));
    v.track_processes.iter().for_each(|p| track_process(d, p));
    v.track_files.iter().for_each(|f| track_file(d, f));
    v.sync_groups.iter().for_each(|g| sync_group(d, g));
    v.instances.iter().for_each(|i| instance(d, i));
    if let Some(l) = &v.lvs_sync_interface {
        d.raw(&format!(
            "# lvs_sync_daemon_interface {} of vrrp_instance {}",
            l.interface, l.instance
        ));
    }
    if v.stopped {
        d.raw("# the VRRP configuration cannot run (see the messages)");
    }
}

fn flag(d: &mut Dump, key: &str, on: bool) {
    if on {
        d.raw(key);
    }
}

fn boolean(d: &mut Dump, key: &str, on: bool) {
    d.kv(key, if on { "true" } else { "false" });
}

/// A script as a keyword value: the command line in double quotes, then uid and gid.
fn script_text(s: &Script) -> String {
    let words: Vec<String> = s
        .args
        .iter()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect();
    format!("\"{}\" {} {}", words.join(" "), s.user.uid, s.user.gid)
}

fn script_kv(d: &mut Dump, key: &str, s: Option<&Script>) {
    if let Some(s) = s {
        d.kv(key, script_text(s));
    }
}

fn address_text(a: &IpAddress) -> String {
    match &a.dev {
        Some(dev) => format!("{}/{} dev {dev}", a.addr, a.prefix),
        None => format!("{}/{}", a.addr, a.prefix),
    }
}

fn addresses(d: &mut Dump, key: &str, list: &[IpAddress]) {
    if list.is_empty() {
        return;
    }
    d.block(key, |d| list.iter().for_each(|a| d.raw(&address_text(a))));
}

/// Routes and rules are dumped by reference to their configuration line.
fn placeholders(d: &mut Dump, key: &str, lines: impl Iterator<Item = u32>) {
    let lines: Vec<u32> = lines.collect();
    if lines.is_empty() {
        return;
    }
    d.block(key, |d| {
        for l in lines {
            d.raw(&format!("# configuration line {l}"));
        }
    });
}

fn weight_text(weight: i32, reverse: bool) -> String {
    if reverse {
        format!("{weight} reverse")
    } else {
        weight.to_string()
    }
}

fn vrrp_script(d: &mut Dump, s: &VrrpScript) {
    d.block(&format!("vrrp_script {}", s.name), |d| {
        d.kv("script", script_text(&s.script));
        d.kv("interval", s.interval);
        d.kv("timeout", s.timeout);
        d.kv("weight", weight_text(s.weight, s.reverse));
        d.kv("rise", s.rise);
        d.kv("fall", s.fall);
        flag(d, "init_fail", s.init_fail);
    });
}

fn track_process(d: &mut Dump, p: &TrackProcess) {
    d.block(&format!("vrrp_track_process {}", p.name), |d| {
        let mut words = vec![p.process.clone()];
        words.extend(p.params.iter().cloned());
        d.kv("process", words.join(" "));
        match p.param_match {
            ParamMatch::None => {}
            ParamMatch::Exact => d.raw("param_match"),
            ParamMatch::Initial => d.kv("param_match", "initial"),
            ParamMatch::Partial => d.kv("param_match", "partial"),
        }
        flag(d, "full_command", p.full_command);
        d.kv("weight", weight_text(p.weight, p.reverse));
        d.kv("quorum", p.quorum);
        d.opt("quorum_max", p.quorum_max);
        d.kv("fork_delay", p.fork_delay);
        d.kv("terminate_delay", p.terminate_delay);
    });
}

fn track_file(d: &mut Dump, f: &TrackFile) {
    d.block(&format!("track_file {}", f.name), |d| {
        d.kv("file", &f.path);
        d.kv("weight", weight_text(f.weight, f.reverse));
        if let Some(init) = f.init {
            let over = if init.overwrite { " overwrite" } else { "" };
            d.kv("init_file", format!("{}{over}", init.value));
        }
    });
}

fn track_list(d: &mut Dump, key: &str, list: &[TrackRef]) {
    if list.is_empty() {
        return;
    }
    d.block(key, |d| {
        for t in list {
            d.raw(&format!(
                "{} weight {}",
                t.name,
                weight_text(t.weight, t.reverse)
            ));
        }
    });
}

fn tracking(d: &mut Dump, t: &Tracking) {
    track_list(d, "track_interface", &t.interfaces);
    track_list(d, "track_script", &t.scripts);
    track_list(d, "track_file", &t.files);
    track_list(d, "track_process", &t.processes);
}

fn notifies(d: &mut Dump, n: &super::instance::NotifyScripts) {
    script_kv(d, "notify_master", n.master.as_ref());
    script_kv(d, "notify_backup", n.backup.as_ref());
    script_kv(d, "notify_fault", n.fault.as_ref());
    script_kv(d, "notify_stop", n.stop.as_ref());
    script_kv(d, "notify", n.generic.as_ref());
}

fn sync_group(d: &mut Dump, g: &SyncGroup) {
    d.block(&format!("vrrp_sync_group {}", g.name), |d| {
        d.block("group", |d| g.members.iter().for_each(|m| d.raw(m)));
        tracking(d, &g.tracking);
        notifies(d, &g.notify);
        boolean(d, "smtp_alert", g.smtp_alert);
        flag(d, "sync_group_tracking_weight", g.tracking_weight);
        if let Some(b) = g.notify_priority_changes {
            boolean(d, "notify_priority_changes", b);
        }
    });
}

fn instance(d: &mut Dump, i: &Instance) {
    d.block(&format!("vrrp_instance {}", i.name), |d| {
        identity(d, i);
        transport(d, i);
        behaviour(d, i);
        addresses(d, "virtual_ipaddress", &i.vips);
        addresses(d, "virtual_ipaddress_excluded", &i.evips);
        placeholders(d, "virtual_routes", i.routes.iter().map(|r| r.loc.line));
        placeholders(d, "virtual_rules", i.rules.iter().map(|r| r.loc.line));
        tracking(d, &i.tracking);
        notifies(d, &i.notify);
        script_kv(
            d,
            "notify_master_rx_lower_pri",
            i.notify_master_rx_lower_pri.as_ref(),
        );
        match &i.notify_deleted_script {
            Some(s) => d.kv("notify_deleted", script_text(s)),
            None => flag(d, "notify_deleted", i.notify_deleted),
        }
        boolean(d, "smtp_alert", i.smtp_alert);
        boolean(d, "notify_priority_changes", i.notify_priority_changes);
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
        d.kv("use_vmac", format!("{} {}", v.name, vmac::mac_text(&v.mac)));
        flag(d, "vmac_xmit_base", v.xmit_base);
    }
    d.kv("virtual_router_id", i.vrid);
    flag(d, "native_ipv6", i.family == Family::V6);
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
            d.kv("auth_pass", String::from_utf8_lossy(&a.key[..len]));
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
                for p in peers {
                    d.raw(&format!(
                        "{} min_ttl {} max_ttl {}",
                        p.addr, p.min_ttl, p.max_ttl
                    ));
                }
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

fn behaviour(d: &mut Dump, i: &Instance) {
    d.raw(if i.accept { "accept" } else { "no_accept" });
    flag(d, "nopreempt", i.nopreempt);
    d.kv("preempt_delay", i.preempt_delay);
    boolean(d, "strict_mode", i.strict);
    boolean(d, "skip_check_adv_addr", i.skip_check_adv_addr);
    let g = &i.garp;
    d.kv("garp_master_delay", g.master_delay);
    d.kv("garp_master_repeat", g.master_repeat);
    d.kv("garp_master_refresh", g.master_refresh);
    d.kv("garp_master_refresh_repeat", g.master_refresh_repeat);
    d.kv("garp_lower_prio_delay", g.lower_prio_delay);
    d.kv("garp_lower_prio_repeat", g.lower_prio_repeat);
    if let Some(e) = g.extra_if {
        let all = if e.all { "all " } else { "" };
        d.kv("garp_extra_if", format!("{all}{}", e.interval));
    }
    d.kv("down_timer_adverts", i.down_timer_adverts);
    boolean(d, "lower_prio_no_advert", i.lower_prio_no_advert);
    boolean(d, "higher_prio_send_advert", i.higher_prio_send_advert);
    flag(d, "promote_secondaries", i.promote_secondaries);
    flag(d, "dont_track_primary", i.dont_track_primary);
    d.kv("debug", i.debug);
}
