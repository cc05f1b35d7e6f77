//! `global_defs` and the root-level global keywords.
//!
//! CONTRACT for parallel work: field names and types here are used by the VRRP and LVS
//! builders. Extend freely; rename only together with every user.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::script::Script;
use crate::config::ctx::Ctx;
use crate::config::diag::Fatal;
use crate::config::dump::Dump;
use crate::config::host::User;
use crate::config::parser::Node;
use crate::time::Duration;

/// `smtp_server IP|NAME [PORT]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
}

/// `lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LvsSyncDaemon {
    pub interface: String,
    /// The VRRP instance whose state selects master/backup; None = both.
    pub instance: Option<String>,
    pub sync_id: Option<u8>,
    pub max_len: Option<u16>,
    pub port: Option<u16>,
    pub ttl: Option<u8>,
    pub group: Option<IpAddr>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LvsFlushOnStop {
    #[default]
    No,
    /// Flush the whole IPVS table.
    All,
    /// Delete each virtual server, not its real servers one by one.
    Vs,
}

/// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`, seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LvsTimeouts {
    pub tcp: Option<u32>,
    pub tcp_fin: Option<u32>,
    pub udp: Option<u32>,
}

/// `*notify_fifo PATH [user [group]]` with its optional reader script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyFifo {
    pub path: String,
    pub user: Option<User>,
    pub script: Option<Script>,
}

/// `vrrp_garp_extra_if [all] SECS`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GarpExtraIf {
    pub all: bool,
    pub interval: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Global {
    // Root level.
    pub use_pid_dir: bool,

    // Identity and mail alerts.
    pub router_id: String,
    pub notification_email_from: Option<String>,
    pub notification_email: Vec<String>,
    pub smtp_server: Option<SmtpServer>,
    pub smtp_helo_name: Option<String>,
    pub smtp_connect_timeout: Duration,
    /// Unset means "no" for VRRP and "yes" for real servers, as keepalived.
    pub smtp_alert: Option<bool>,
    pub smtp_alert_vrrp: Option<bool>,
    pub smtp_alert_checker: Option<bool>,
    pub no_email_faults: bool,
    pub no_checker_emails: bool,

    // Scripts.
    pub startup_script: Option<Script>,
    pub startup_script_timeout: Duration,
    pub shutdown_script: Option<Script>,
    pub shutdown_script_timeout: Duration,
    /// `script_user`, or `keepalived_script` if that user exists, else root.
    pub script_user: User,
    pub enable_script_security: bool,
    pub notify_fifo: Option<NotifyFifo>,
    pub vrrp_notify_fifo: Option<NotifyFifo>,
    pub lvs_notify_fifo: Option<NotifyFifo>,
    pub vrrp_notify_priority_changes: bool,
    pub fifo_write_vrrp_states_on_reload: bool,

    // Interfaces.
    pub dynamic_interfaces: bool,
    pub dynamic_interfaces_allow_if_changes: bool,
    pub default_interface: Option<String>,

    // VRRP defaults.
    pub vrrp_version: u8,
    pub vrrp_strict: bool,
    pub vrrp_mcast_group4: Ipv4Addr,
    pub vrrp_mcast_group6: Ipv6Addr,
    pub vrrp_garp_master_delay: Duration,
    pub vrrp_garp_master_repeat: u32,
    pub vrrp_garp_master_refresh: Duration,
    pub vrrp_garp_master_refresh_repeat: u32,
    /// Unset: same as `vrrp_garp_master_delay`.
    pub vrrp_garp_lower_prio_delay: Option<Duration>,
    /// Unset: same as `vrrp_garp_master_repeat`.
    pub vrrp_garp_lower_prio_repeat: Option<u32>,
    pub vrrp_garp_interval: Duration,
    pub vrrp_gna_interval: Duration,
    pub vrrp_min_garp: bool,
    pub vrrp_garp_extra_if: Option<GarpExtraIf>,
    pub vrrp_down_timer_adverts: u32,
    pub vrrp_lower_prio_no_advert: bool,
    pub vrrp_higher_prio_send_advert: bool,
    pub vrrp_check_unicast_src: bool,
    pub vrrp_skip_check_adv_addr: bool,
    pub vrrp_startup_delay: Duration,
    pub log_unknown_vrids: bool,
    pub vmac_prefix: String,
    pub vmac_addr_prefix: String,
    /// `nftables [TABLE]`
    pub nftables: Option<String>,
    pub nftables_priority: i32,

    // LVS.
    pub lvs_flush: bool,
    pub lvs_flush_on_stop: LvsFlushOnStop,
    pub lvs_timeouts: LvsTimeouts,
    pub lvs_sync_daemon: Option<LvsSyncDaemon>,
    pub checker_log_all_failures: bool,
    pub rs_init_notifies: bool,

    // Process.
    pub umask: Option<u32>,
    pub random_seed: Option<u64>,
    pub reload_check_config: bool,
}

impl Default for Global {
    fn default() -> Global {
        Global {
            use_pid_dir: false,
            router_id: String::new(),
            notification_email_from: None,
            notification_email: Vec::new(),
            smtp_server: None,
            smtp_helo_name: None,
            smtp_connect_timeout: Duration::from_secs(30),
            smtp_alert: None,
            smtp_alert_vrrp: None,
            smtp_alert_checker: None,
            no_email_faults: false,
            no_checker_emails: false,
            startup_script: None,
            startup_script_timeout: Duration::from_secs(10),
            shutdown_script: None,
            shutdown_script_timeout: Duration::from_secs(10),
            script_user: User { uid: 0, gid: 0 },
            enable_script_security: false,
            notify_fifo: None,
            vrrp_notify_fifo: None,
            lvs_notify_fifo: None,
            vrrp_notify_priority_changes: false,
            fifo_write_vrrp_states_on_reload: false,
            dynamic_interfaces: false,
            dynamic_interfaces_allow_if_changes: false,
            default_interface: None,
            vrrp_version: 2,
            vrrp_strict: false,
            vrrp_mcast_group4: Ipv4Addr::new(224, 0, 0, 18),
            vrrp_mcast_group6: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            vrrp_garp_master_delay: Duration::from_secs(5),
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: Duration::ZERO,
            vrrp_garp_master_refresh_repeat: 1,
            vrrp_garp_lower_prio_delay: None,
            vrrp_garp_lower_prio_repeat: None,
            vrrp_garp_interval: Duration::ZERO,
            vrrp_gna_interval: Duration::ZERO,
            vrrp_min_garp: false,
            vrrp_garp_extra_if: None,
            vrrp_down_timer_adverts: 3,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            vrrp_check_unicast_src: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_startup_delay: Duration::ZERO,
            log_unknown_vrids: false,
            vmac_prefix: "vrrp".into(),
            vmac_addr_prefix: "vrrp".into(),
            nftables: None,
            nftables_priority: -1,
            lvs_flush: false,
            lvs_flush_on_stop: LvsFlushOnStop::No,
            lvs_timeouts: LvsTimeouts::default(),
            lvs_sync_daemon: None,
            checker_log_all_failures: false,
            rs_init_notifies: false,
            umask: None,
            random_seed: None,
            reload_check_config: false,
        }
    }
}

/// Builds the globals from the root nodes (`global_defs` and root-level globals).
pub fn build(ctx: &mut Ctx, nodes: &[Node]) -> Result<Global, Fatal> {
    let mut g = Global {
        router_id: ctx.host.hostname(),
        ..Global::default()
    };
    for n in nodes {
        if n.kw == "use_pid_dir" {
            g.use_pid_dir = true;
        }
    }
    Ok(g)
}

pub fn dump(g: &Global, d: &mut Dump) {
    d.block("global_defs", |d| {
        d.kv("router_id", &g.router_id);
    });
}
