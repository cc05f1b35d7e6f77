//! The keyword tree of keepalived 2.2.7's configuration language.
//!
//! keepalived's parser is table driven: every block has a list of keywords, and only a
//! keyword in the table opens a sub-block. An unknown keyword followed by `{ ... }` therefore
//! does not nest: its `{` is "unexpected", its body is read at the current level and its `}`
//! closes the enclosing block. The parser reproduces that from these tables.
//!
//! `Support::No` keywords are parsed (so they are not "unknown") and announced as not
//! supported by keepalived-rs: SNMP, DBus, BFD, process tuning and the like.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A keyword line.
    Leaf,
    /// A keyword followed by a `{ ... }` list of value lines (addresses, names ...).
    Values,
    /// Like `Values`, but the keyword line carries a name first (`virtual_server_group NAME`).
    NamedValues,
    /// A keyword followed by a `{ ... }` block of keywords from these tables.
    Block(&'static [&'static [Kw]]),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Yes,
    No,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kw {
    pub name: &'static str,
    pub kind: Kind,
    pub support: Support,
    /// `key(name)`, so that a lookup compares names only where the keys agree.
    key: u64,
}

/// A number equal for equal names and different for most others: the length and bytes
/// at five places.
const fn key(name: &str) -> u64 {
    let b = name.as_bytes();
    let n = b.len();
    if n == 0 {
        return 0;
    }
    (n as u64 & 0xff)
        | (b[0] as u64) << 8
        | (b[n / 3] as u64) << 16
        | (b[n / 2] as u64) << 24
        | (b[2 * n / 3] as u64) << 32
        | (b[n - 1] as u64) << 40
}

const fn kw(name: &'static str, kind: Kind, support: Support) -> Kw {
    Kw {
        name,
        kind,
        support,
        key: key(name),
    }
}
const fn leaf(name: &'static str) -> Kw {
    kw(name, Kind::Leaf, Support::Yes)
}
const fn no(name: &'static str) -> Kw {
    kw(name, Kind::Leaf, Support::No)
}
const fn values(name: &'static str) -> Kw {
    kw(name, Kind::Values, Support::Yes)
}
const fn values_no(name: &'static str) -> Kw {
    kw(name, Kind::Values, Support::No)
}
const fn block(name: &'static str, sub: &'static [&'static [Kw]]) -> Kw {
    kw(name, Kind::Block(sub), Support::Yes)
}
const fn block_no(name: &'static str, sub: &'static [&'static [Kw]]) -> Kw {
    kw(name, Kind::Block(sub), Support::No)
}

/// Looks a keyword up in a block's tables.
pub fn find(tables: &[&[Kw]], name: &str) -> Option<Kw> {
    let k = key(name);
    for table in tables {
        for kw in table.iter() {
            if kw.key == k && kw.name == name {
                return Some(*kw);
            }
        }
    }
    None
}

pub const ROOT: &[&[Kw]] = &[&[
    no("linkbeat_use_polling"),
    no("net_namespace"),
    no("net_namespace_ipvs"),
    no("namespace_with_ipsets"),
    leaf("use_pid_dir"),
    no("instance"),
    no("child_wait_time"),
    block("global_defs", &[GLOBAL_DEFS]),
    block_no("track_group", &[&[values("group")]]),
    values("static_ipaddress"),
    values("static_routes"),
    values("static_rules"),
    block("vrrp_sync_group", &[SYNC_GROUP]),
    block_no("garp_group", &[GARP_GROUP]),
    values_no("linkbeat_interfaces"),
    block("vrrp_instance", &[VRRP_INSTANCE]),
    block("vrrp_script", &[VRRP_SCRIPT]),
    block("vrrp_track_process", &[TRACK_PROCESS]),
    values_no("interface_up_down_delays"),
    block("SSL", &[SSL]),
    kw("virtual_server_group", Kind::NamedValues, Support::Yes),
    block("virtual_server", &[VIRTUAL_SERVER]),
    block_no("bfd_instance", &[BFD_INSTANCE]),
    block("track_file", &[TRACK_FILE]),
    block("vrrp_track_file", &[TRACK_FILE]),
]];

pub const GLOBAL_DEFS: &[Kw] = &[
    no("process_names"),
    no("process_name"),
    no("vrrp_process_name"),
    no("checker_process_name"),
    no("lvs_process_name"),
    no("bfd_process_name"),
    leaf("router_id"),
    leaf("notification_email_from"),
    leaf("smtp_server"),
    leaf("smtp_helo_name"),
    leaf("smtp_connect_timeout"),
    values("notification_email"),
    leaf("smtp_alert"),
    leaf("startup_script"),
    leaf("startup_script_timeout"),
    leaf("shutdown_script"),
    leaf("shutdown_script_timeout"),
    no("max_auto_priority"),
    no("min_auto_priority_delay"),
    leaf("smtp_alert_vrrp"),
    leaf("smtp_alert_checker"),
    leaf("checker_log_all_failures"),
    leaf("dynamic_interfaces"),
    leaf("no_email_faults"),
    leaf("default_interface"),
    no("disable_local_igmp"),
    leaf("lvs_timeouts"),
    leaf("lvs_flush"),
    leaf("lvs_flush_on_stop"),
    leaf("lvs_flush_onstop"),
    leaf("lvs_sync_daemon"),
    leaf("vrrp_mcast_group4"),
    leaf("vrrp_mcast_group6"),
    leaf("vrrp_garp_master_delay"),
    leaf("vrrp_garp_master_repeat"),
    leaf("vrrp_garp_master_refresh"),
    leaf("vrrp_garp_master_refresh_repeat"),
    leaf("vrrp_garp_lower_prio_delay"),
    leaf("vrrp_garp_lower_prio_repeat"),
    leaf("vrrp_down_timer_adverts"),
    leaf("vrrp_garp_interval"),
    leaf("vrrp_gna_interval"),
    leaf("vrrp_min_garp"),
    leaf("vrrp_garp_extra_if"),
    leaf("vrrp_vmac_garp_intvl"),
    leaf("vrrp_lower_prio_no_advert"),
    leaf("vrrp_higher_prio_send_advert"),
    leaf("vrrp_version"),
    no("vrrp_iptables"),
    no("vrrp_ipsets"),
    leaf("nftables"),
    leaf("nftables_priority"),
    no("nftables_ifindex"),
    no("nftables_ipvs"),
    no("nftables_ipvs_priority"),
    no("nftables_ipvs_start_fwmark"),
    no("nftables_counters"),
    leaf("vrrp_check_unicast_src"),
    leaf("vrrp_skip_check_adv_addr"),
    leaf("vrrp_strict"),
    no("vrrp_priority"),
    no("vrrp_no_swap"),
    no("vrrp_rt_priority"),
    no("vrrp_cpu_affinity"),
    no("vrrp_rlimit_rttime"),
    no("vrrp_rlimit_rtime"),
    leaf("notify_fifo"),
    leaf("notify_fifo_script"),
    leaf("vrrp_notify_fifo"),
    leaf("vrrp_notify_fifo_script"),
    leaf("vrrp_notify_priority_changes"),
    leaf("fifo_write_vrrp_states_on_reload"),
    leaf("lvs_notify_fifo"),
    leaf("lvs_notify_fifo_script"),
    no("checker_priority"),
    no("checker_no_swap"),
    no("checker_rt_priority"),
    no("checker_cpu_affinity"),
    no("checker_rlimit_rttime"),
    no("checker_rlimit_rtime"),
    no("bfd_priority"),
    no("bfd_no_swap"),
    no("bfd_rt_priority"),
    no("bfd_cpu_affinity"),
    no("bfd_rlimit_rttime"),
    no("bfd_rlimit_rtime"),
    no("snmp_socket"),
    no("enable_traps"),
    no("enable_snmp_vrrp"),
    no("enable_snmp_keepalived"),
    no("enable_snmp_rfc"),
    no("enable_snmp_rfcv2"),
    no("enable_snmp_rfcv3"),
    no("enable_snmp_checker"),
    no("enable_dbus"),
    no("dbus_service_name"),
    leaf("script_user"),
    leaf("enable_script_security"),
    no("vrrp_netlink_cmd_rcv_bufs"),
    no("vrrp_netlink_cmd_rcv_bufs_force"),
    no("vrrp_netlink_monitor_rcv_bufs"),
    no("vrrp_netlink_monitor_rcv_bufs_force"),
    no("process_monitor_rcv_bufs"),
    no("process_monitor_rcv_bufs_force"),
    no("lvs_netlink_cmd_rcv_bufs"),
    no("lvs_netlink_cmd_rcv_bufs_force"),
    no("lvs_netlink_monitor_rcv_bufs"),
    no("lvs_netlink_monitor_rcv_bufs_force"),
    leaf("rs_init_notifies"),
    leaf("no_checker_emails"),
    no("vrrp_rx_bufs_policy"),
    no("vrrp_rx_bufs_multiplier"),
    leaf("vrrp_startup_delay"),
    leaf("log_unknown_vrids"),
    leaf("vmac_prefix"),
    leaf("vmac_addr_prefix"),
    leaf("umask"),
    leaf("random_seed"),
    leaf("reload_check_config"),
    no("reload_time_file"),
    no("reload_repeat"),
    no("reload_file"),
    leaf("include_check"),
    no("config_save_dir"),
    no("tmp_config_directory"),
    no("data_use_instance"),
];

pub const SYNC_GROUP: &[Kw] = &[
    values("group"),
    values("track_interface"),
    values("track_script"),
    values("track_file"),
    values("track_process"),
    values_no("track_bfd"),
    leaf("notify_backup"),
    leaf("notify_master"),
    leaf("notify_fault"),
    leaf("notify_stop"),
    leaf("notify"),
    leaf("smtp_alert"),
    leaf("global_tracking"),
    leaf("sync_group_tracking_weight"),
    leaf("notify_priority_changes"),
];

pub const GARP_GROUP: &[Kw] = &[
    leaf("garp_interval"),
    leaf("gna_interval"),
    leaf("interface"),
    values("interfaces"),
];

pub const VRRP_INSTANCE: &[Kw] = &[
    leaf("use_vmac"),
    no("use_vmac_addr"),
    leaf("vmac_xmit_base"),
    no("use_ipvlan"),
    values("unicast_peer"),
    leaf("unicast_fault_no_peer"),
    leaf("check_unicast_src"),
    leaf("old_unicast_checksum"),
    leaf("native_ipv6"),
    leaf("state"),
    leaf("interface"),
    no("vrf"),
    leaf("dont_track_primary"),
    values("track_interface"),
    values("track_script"),
    values("track_file"),
    values("track_process"),
    values_no("track_bfd"),
    leaf("mcast_src_ip"),
    leaf("unicast_src_ip"),
    leaf("mcast_dst_ip"),
    leaf("track_src_ip"),
    leaf("virtual_router_id"),
    leaf("unicast_ttl"),
    leaf("version"),
    leaf("priority"),
    leaf("advert_int"),
    values("virtual_ipaddress"),
    values("virtual_ipaddress_excluded"),
    leaf("promote_secondaries"),
    no("linkbeat_use_polling"),
    values("virtual_routes"),
    values("virtual_rules"),
    leaf("accept"),
    leaf("no_accept"),
    leaf("skip_check_adv_addr"),
    leaf("strict_mode"),
    leaf("preempt"),
    leaf("nopreempt"),
    leaf("preempt_delay"),
    leaf("debug"),
    leaf("notify_backup"),
    leaf("notify_master"),
    leaf("notify_fault"),
    leaf("notify_stop"),
    leaf("notify_deleted"),
    leaf("notify"),
    leaf("notify_master_rx_lower_pri"),
    leaf("smtp_alert"),
    leaf("notify_priority_changes"),
    leaf("lvs_sync_daemon_interface"),
    leaf("garp_master_delay"),
    leaf("garp_master_refresh"),
    leaf("garp_master_repeat"),
    leaf("garp_master_refresh_repeat"),
    leaf("garp_lower_prio_delay"),
    leaf("garp_lower_prio_repeat"),
    leaf("down_timer_adverts"),
    leaf("garp_extra_if"),
    leaf("vmac_garp_intvl"),
    leaf("lower_prio_no_advert"),
    leaf("higher_prio_send_advert"),
    no("kernel_rx_buf_size"),
    block("authentication", &[&[leaf("auth_type"), leaf("auth_pass")]]),
];

pub const VRRP_SCRIPT: &[Kw] = &[
    leaf("script"),
    leaf("interval"),
    leaf("timeout"),
    leaf("weight"),
    leaf("rise"),
    leaf("fall"),
    leaf("user"),
    leaf("init_fail"),
];

pub const TRACK_PROCESS: &[Kw] = &[
    leaf("process"),
    leaf("param_match"),
    leaf("weight"),
    leaf("quorum"),
    leaf("quorum_max"),
    leaf("delay"),
    leaf("terminate_delay"),
    leaf("fork_delay"),
    leaf("full_command"),
];

pub const TRACK_FILE: &[Kw] = &[leaf("file"), leaf("weight"), leaf("init_file")];

pub const SSL: &[Kw] = &[
    leaf("password"),
    leaf("ca"),
    leaf("certificate"),
    leaf("key"),
];

pub const BFD_INSTANCE: &[Kw] = &[
    leaf("source_ip"),
    leaf("neighbor_ip"),
    leaf("neighbour_ip"),
    leaf("min_rx"),
    leaf("min_tx"),
    leaf("idle_tx"),
    leaf("multiplier"),
    leaf("passive"),
    leaf("ttl"),
    leaf("hoplimit"),
    leaf("max_hops"),
    leaf("weight"),
    leaf("vrrp"),
    leaf("checker"),
];

pub const VIRTUAL_SERVER: &[Kw] = &[
    leaf("ip_family"),
    leaf("retry"),
    leaf("delay_before_retry"),
    leaf("warmup"),
    leaf("connect_timeout"),
    leaf("delay_loop"),
    leaf("inhibit_on_failure"),
    leaf("lb_algo"),
    leaf("lvs_sched"),
    leaf("hashed"),
    leaf("ops"),
    leaf("flag-1"),
    leaf("flag-2"),
    leaf("flag-3"),
    leaf("sh-port"),
    leaf("sh-fallback"),
    leaf("mh-port"),
    leaf("mh-fallback"),
    leaf("lb_kind"),
    leaf("lvs_method"),
    leaf("persistence_engine"),
    leaf("persistence_timeout"),
    leaf("persistence_granularity"),
    leaf("protocol"),
    leaf("ha_suspend"),
    leaf("smtp_alert"),
    leaf("virtualhost"),
    no("snmp_name"),
    leaf("alpha"),
    leaf("omega"),
    leaf("quorum_up"),
    leaf("quorum_down"),
    leaf("quorum"),
    leaf("hysteresis"),
    leaf("weight"),
    leaf("sorry_server"),
    leaf("sorry_server_inhibit"),
    leaf("sorry_server_lvs_method"),
    block("real_server", &[REAL_SERVER, CHECKERS]),
];

pub const REAL_SERVER: &[Kw] = &[
    leaf("weight"),
    leaf("lvs_method"),
    leaf("uthreshold"),
    leaf("lthreshold"),
    leaf("inhibit_on_failure"),
    leaf("notify_up"),
    leaf("notify_down"),
    leaf("alpha"),
    leaf("retry"),
    leaf("delay_before_retry"),
    leaf("warmup"),
    leaf("connect_timeout"),
    leaf("delay_loop"),
    leaf("smtp_alert"),
    leaf("virtualhost"),
    no("snmp_name"),
];

/// Keywords of checkers that make connections.
pub const CHECK_CONNECTION: &[Kw] = &[
    leaf("connect_ip"),
    leaf("connect_port"),
    leaf("bindto"),
    leaf("bind_port"),
    leaf("bind_if"),
    leaf("connect_timeout"),
    leaf("fwmark"),
];

/// Timing keywords common to every checker.
pub const CHECK_TIMING: &[Kw] = &[
    leaf("retry"),
    leaf("delay_before_retry"),
    leaf("warmup"),
    leaf("delay_loop"),
    leaf("alpha"),
    leaf("log_all_failures"),
];

pub const HTTP_GET: &[Kw] = &[
    leaf("nb_get_retry"),
    leaf("virtualhost"),
    leaf("http_protocol"),
    leaf("enable_sni"),
    leaf("fast_recovery"),
    block("url", &[URL]),
];

pub const URL: &[Kw] = &[
    leaf("path"),
    leaf("digest"),
    leaf("status_code"),
    leaf("virtualhost"),
    leaf("regex"),
    leaf("regex_no_match"),
    leaf("regex_options"),
    leaf("regex_min_offset"),
    leaf("regex_max_offset"),
    leaf("regex_stack"),
];

pub const CHECKERS: &[Kw] = &[
    block(
        "MISC_CHECK",
        &[
            CHECK_TIMING,
            &[
                leaf("misc_path"),
                leaf("misc_timeout"),
                leaf("misc_dynamic"),
                leaf("user"),
            ],
        ],
    ),
    block(
        "SMTP_CHECK",
        &[
            CHECK_CONNECTION,
            CHECK_TIMING,
            &[
                leaf("helo_name"),
                block("host", &[CHECK_CONNECTION, CHECK_TIMING]),
            ],
        ],
    ),
    block("TCP_CHECK", &[CHECK_CONNECTION, CHECK_TIMING]),
    block("PING_CHECK", &[CHECK_CONNECTION, CHECK_TIMING]),
    block(
        "UDP_CHECK",
        &[
            CHECK_CONNECTION,
            CHECK_TIMING,
            &[
                leaf("payload"),
                leaf("require_reply"),
                leaf("min_reply_length"),
                leaf("max_reply_length"),
            ],
        ],
    ),
    block("HTTP_GET", &[CHECK_CONNECTION, CHECK_TIMING, HTTP_GET]),
    block("SSL_GET", &[CHECK_CONNECTION, CHECK_TIMING, HTTP_GET]),
    block(
        "DNS_CHECK",
        &[
            CHECK_CONNECTION,
            CHECK_TIMING,
            &[leaf("type"), leaf("name")],
        ],
    ),
    block("FILE_CHECK", &[&[leaf("track_file"), leaf("weight")]]),
    block_no("BFD_CHECK", &[&[leaf("name"), leaf("alpha")]]),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn count(tables: &[&[Kw]], seen: &mut Vec<&'static str>) -> usize {
        let mut n = 0;
        for k in tables.iter().flat_map(|t| t.iter()) {
            n += 1;
            if !seen.contains(&k.name) {
                seen.push(k.name);
            }
            if let Kind::Block(sub) = k.kind {
                n += count(sub, seen);
            }
        }
        n
    }

    #[test]
    fn tree_holds_every_keepalived_keyword() {
        // keepalived 2.2.7 registers 335 distinct keyword strings (reference §7), plus
        // HTTP_GET/SSL_GET; `include` is a line directive, not a keyword.
        let mut seen = Vec::new();
        count(ROOT, &mut seen);
        assert_eq!(seen.len(), 337, "{seen:?}");
    }

    #[test]
    fn every_keyword_is_found_in_its_block() {
        fn walk(tables: &[&[Kw]]) {
            for k in tables.iter().flat_map(|t| t.iter()) {
                assert_eq!(find(tables, k.name).map(|f| f.name), Some(k.name));
                assert!(find(tables, &k.name[1..]).is_none());
                if let Kind::Block(sub) = k.kind {
                    walk(sub);
                }
            }
        }
        walk(ROOT);
    }

    #[test]
    fn lookup_in_shared_tables() {
        let Kind::Block(rs) = find(&[VIRTUAL_SERVER], "real_server").unwrap().kind else {
            panic!()
        };
        let Kind::Block(http) = find(rs, "HTTP_GET").unwrap().kind else {
            panic!()
        };
        assert!(find(http, "connect_timeout").is_some());
        assert!(find(http, "nb_get_retry").is_some());
        let Kind::Block(tcp) = find(rs, "TCP_CHECK").unwrap().kind else {
            panic!()
        };
        assert!(find(tcp, "nb_get_retry").is_none());
        assert_eq!(
            find(&[GLOBAL_DEFS], "enable_snmp_vrrp").unwrap().support,
            Support::No
        );
    }
}
