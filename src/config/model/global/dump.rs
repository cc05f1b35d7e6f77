//! The `-d` text of the globals: every effective value, in configuration syntax.

use super::{Global, LvsFlushOnStop, NotifyFifo};
use crate::config::dump::{word, Dump};
use crate::config::model::script::{dump_line, user_words, ROOT};

/// `-d`: every effective global value, in configuration syntax.
pub fn dump(g: &Global, d: &mut Dump) {
    if g.use_pid_dir {
        d.raw("use_pid_dir");
    }
    d.block("global_defs", |d| {
        dump_mail(g, d);
        dump_scripts(g, d);
        dump_vrrp(g, d);
        dump_lvs(g, d);
        dump_process(g, d);
    });
}

/// `kw` when a plain flag is set.
fn flag(d: &mut Dump, kw: &str, on: bool) {
    if on {
        d.raw(kw);
    }
}

fn dump_mail(g: &Global, d: &mut Dump) {
    d.kv("router_id", word(&g.router_id));
    if !g.notification_email.is_empty() {
        d.block("notification_email", |d| {
            for e in &g.notification_email {
                d.raw(&word(e));
            }
        });
    }
    d.opt(
        "notification_email_from",
        g.notification_email_from.as_deref().map(word),
    );
    if let Some(s) = &g.smtp_server {
        d.raw(&format!("smtp_server {} {}", s.host, s.port));
    }
    d.opt("smtp_helo_name", g.smtp_helo_name.as_deref().map(word));
    d.kv("smtp_connect_timeout", g.smtp_connect_timeout);
    d.opt("smtp_alert", g.smtp_alert);
    d.opt("smtp_alert_vrrp", g.smtp_alert_vrrp);
    d.opt("smtp_alert_checker", g.smtp_alert_checker);
    flag(d, "no_email_faults", g.no_email_faults);
    d.kv("no_checker_emails", g.no_checker_emails);
}

fn dump_scripts(g: &Global, d: &mut Dump) {
    let u = g.script_user;
    // A `script_user` that made the default unusable is left out: the scripts that took a
    // default before it are written with their user's names.
    let usable = !g.script_user_lookup.failed();
    d.script_user = usable.then_some(u);
    match g.script_user_names.as_ref().filter(|_| usable) {
        Some(names) => d.raw(&format!(
            "script_user {} # uid:gid {}:{}",
            user_words(names),
            u.uid,
            u.gid
        )),
        None => d.raw(&format!("# script_user uid:gid {}:{}", u.uid, u.gid)),
    }
    flag(d, "enable_script_security", g.enable_script_security);
    if let Some(s) = &g.startup_script {
        dump_line(d, "startup_script", s);
    }
    d.kv("startup_script_timeout", g.startup_script_timeout.as_secs());
    if let Some(s) = &g.shutdown_script {
        dump_line(d, "shutdown_script", s);
    }
    d.kv(
        "shutdown_script_timeout",
        g.shutdown_script_timeout.as_secs(),
    );
    let orphans = &g.orphan_fifo_scripts;
    for (fifo, orphan, prefix) in [
        (&g.notify_fifo, &orphans.global, ""),
        (&g.vrrp_notify_fifo, &orphans.vrrp, "vrrp_"),
        (&g.lvs_notify_fifo, &orphans.lvs, "lvs_"),
    ] {
        if let Some(f) = fifo {
            fifo_line(d, prefix, f);
        }
        // A reader without its FIFO is kept too: keepalived still checks it.
        let script = fifo.as_ref().and_then(|f| f.script.as_ref());
        if let Some(s) = script.or(orphan.as_ref()) {
            dump_line(d, &format!("{prefix}notify_fifo_script"), s);
        }
    }
    d.kv(
        "vrrp_notify_priority_changes",
        g.vrrp_notify_priority_changes,
    );
    flag(
        d,
        "fifo_write_vrrp_states_on_reload",
        g.fifo_write_vrrp_states_on_reload,
    );
}

/// `*notify_fifo PATH [user [group]]`, the resolved user as a comment. A default user
/// that a later `script_user` changed is named, as for scripts.
fn fifo_line(d: &mut Dump, prefix: &str, f: &NotifyFifo) {
    let user = f.user.unwrap_or(ROOT);
    let taken = f
        .default_names
        .as_ref()
        .filter(|_| d.script_user != Some(user));
    let names = f.user_names.as_ref().or(taken).map(user_words);
    let names = names.map(|n| format!(" {n}")).unwrap_or_default();
    d.raw(&format!(
        "{prefix}notify_fifo {}{names} # uid:gid {}:{}",
        word(&f.path),
        user.uid,
        user.gid
    ));
}

fn dump_vrrp(g: &Global, d: &mut Dump) {
    if g.dynamic_interfaces {
        let allow = if g.dynamic_interfaces_allow_if_changes {
            " allow_if_changes"
        } else {
            ""
        };
        d.raw(&format!("dynamic_interfaces{allow}"));
    }
    d.kv(
        "default_interface",
        g.default_interface.as_deref().unwrap_or("eth0"),
    );
    d.kv("vrrp_version", g.vrrp_version);
    flag(d, "vrrp_strict", g.vrrp_strict);
    d.kv("vrrp_mcast_group4", g.vrrp_mcast_group4);
    d.kv("vrrp_mcast_group6", g.vrrp_mcast_group6);
    // Before the GARP values: it only changes those still at their defaults.
    flag(d, "vrrp_min_garp", g.vrrp_min_garp);
    d.kv("vrrp_garp_master_delay", g.vrrp_garp_master_delay.as_secs());
    d.kv("vrrp_garp_master_repeat", g.vrrp_garp_master_repeat);
    d.kv(
        "vrrp_garp_master_refresh",
        g.vrrp_garp_master_refresh.as_secs(),
    );
    // Only `vrrp_min_garp` sets no repeats.
    d.nonzero(
        "vrrp_garp_master_refresh_repeat",
        g.vrrp_garp_master_refresh_repeat,
    );
    let lower_delay = g
        .vrrp_garp_lower_prio_delay
        .unwrap_or(g.vrrp_garp_master_delay);
    d.kv("vrrp_garp_lower_prio_delay", lower_delay.as_secs());
    let lower_repeat = g
        .vrrp_garp_lower_prio_repeat
        .unwrap_or(g.vrrp_garp_master_repeat);
    d.kv("vrrp_garp_lower_prio_repeat", lower_repeat);
    d.nonzero("vrrp_garp_interval", g.vrrp_garp_interval);
    d.nonzero("vrrp_gna_interval", g.vrrp_gna_interval);
    if let Some(x) = g.vrrp_garp_extra_if {
        let all = if x.all { "all " } else { "" };
        d.raw(&format!("vrrp_garp_extra_if {all}{}", x.interval.as_secs()));
    }
    d.kv("vrrp_down_timer_adverts", g.vrrp_down_timer_adverts);
    d.kv("vrrp_lower_prio_no_advert", g.vrrp_lower_prio_no_advert);
    d.kv(
        "vrrp_higher_prio_send_advert",
        g.vrrp_higher_prio_send_advert,
    );
    flag(d, "vrrp_check_unicast_src", g.vrrp_check_unicast_src);
    flag(d, "vrrp_skip_check_adv_addr", g.vrrp_skip_check_adv_addr);
    d.nonzero("vrrp_startup_delay", g.vrrp_startup_delay);
    flag(d, "log_unknown_vrids", g.log_unknown_vrids);
    d.kv("vmac_prefix", word(&g.vmac_prefix));
    d.kv("vmac_addr_prefix", word(&g.vmac_addr_prefix));
    d.opt("nftables", g.nftables.as_deref().map(word));
    d.kv("nftables_priority", g.nftables_priority);
}

fn dump_lvs(g: &Global, d: &mut Dump) {
    flag(d, "lvs_flush", g.lvs_flush);
    match g.lvs_flush_on_stop {
        LvsFlushOnStop::No => {}
        LvsFlushOnStop::All => d.raw("lvs_flush_on_stop"),
        LvsFlushOnStop::Vs => d.raw("lvs_flush_on_stop VS"),
    }
    let t = g.lvs_timeouts;
    let parts: Vec<String> = [("tcp", t.tcp), ("tcpfin", t.tcp_fin), ("udp", t.udp)]
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!(" {k} {v}")))
        .collect();
    if !parts.is_empty() {
        d.raw(&format!("lvs_timeouts{}", parts.concat()));
    }
    if let Some(s) = &g.lvs_sync_daemon {
        let mut line = format!("lvs_sync_daemon {}", s.interface);
        if let Some(i) = &s.instance {
            line += &format!(" inst {i}");
        }
        let opts = [
            ("id", s.sync_id.map(u32::from)),
            ("maxlen", s.max_len.map(u32::from)),
            ("port", s.port.map(u32::from)),
            ("ttl", s.ttl.map(u32::from)),
        ];
        for (k, v) in opts {
            if let Some(v) = v {
                line += &format!(" {k} {v}");
            }
        }
        if let Some(grp) = s.group {
            line += &format!(" group {grp}");
        }
        d.raw(&line);
    }
    d.kv("checker_log_all_failures", g.checker_log_all_failures);
    d.kv("rs_init_notifies", g.rs_init_notifies);
}

fn dump_process(g: &Global, d: &mut Dump) {
    if let Some(m) = g.umask {
        d.raw(&format!("umask 0{m:03o}"));
    }
    d.opt("random_seed", g.random_seed);
    if g.reload_check_config {
        d.kv("reload_check_config", word(&g.reload_check_config_file));
    }
}
