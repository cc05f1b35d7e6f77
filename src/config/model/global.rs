//! `global_defs` and the root-level global keywords.
//!
//! CONTRACT for parallel work: field names and types here are used by the VRRP and LVS
//! builders. Extend freely; rename only together with every user.
//!
//! keepalived reads `global_defs` in every process; its handlers act in file order, so
//! several keywords depend on what came before them (`vrrp_min_garp`, `nftables` resetting
//! `nftables_priority`, the default script user and `enable_script_security`). The builder
//! follows the same order.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::script::{self, DefaultUser, Script, ROOT};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Level, Loc};
use crate::config::host::User;
use crate::config::parser::Node;
use crate::config::value;
use crate::limits;
use crate::time::Duration;

mod dump;
mod words;

pub use dump::dump;
use words::{
    numeric_umask, opt_bool, smtp_connect_timeout, smtp_server, symbolic_umask, sync_daemon_option,
};

/// `smtp_server IP|NAME [PORT]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpServer {
    /// As written.
    pub host: String,
    pub port: u16,
    /// The address used: the IP given, or the name resolved once while reading the
    /// configuration (as keepalived does).
    pub addr: IpAddr,
}

/// `lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LvsSyncDaemon {
    pub interface: String,
    /// The VRRP instance whose state selects master/backup; None = both.
    pub instance: Option<String>,
    /// None: the instance's VRID, or 0 without an instance.
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

/// `*notify_fifo PATH [user [group]]` with its optional reader script. keepalived appends
/// the FIFO path to the reader's arguments when it starts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyFifo {
    pub path: String,
    pub user: Option<User>,
    /// The user and group names given after the path, if any.
    pub user_names: Option<script::UserNames>,
    /// The names giving the default script user it took, if it took one.
    pub default_names: Option<script::UserNames>,
    pub script: Option<Script>,
    pub loc: Loc,
}

/// `*notify_fifo_script`s given without a usable FIFO. They never run, but keepalived still
/// checks them, so they count for the SECURITY VIOLATION report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrphanFifoScripts {
    pub global: Option<Script>,
    pub vrrp: Option<Script>,
    pub lvs: Option<Script>,
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
    /// Defaults to `root@<host name>` when there is an SMTP server.
    pub notification_email_from: Option<String>,
    pub notification_email: Vec<String>,
    pub smtp_server: Option<SmtpServer>,
    /// Defaults to the host name when there is an SMTP server.
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
    /// `script_user`, or `keepalived_script` if that user exists, else root: what a script
    /// naming no user runs as, provided [`Global::default_script_user`] allows it.
    pub script_user: User,
    /// The `script_user` words as configured (user, optional group), for the dump.
    pub script_user_names: Option<(String, Option<String>)>,
    /// Settles the default script user the first time a script needs it.
    pub script_user_lookup: DefaultUser,
    pub enable_script_security: bool,
    pub notify_fifo: Option<NotifyFifo>,
    pub vrrp_notify_fifo: Option<NotifyFifo>,
    pub lvs_notify_fifo: Option<NotifyFifo>,
    pub orphan_fifo_scripts: OrphanFifoScripts,
    pub vrrp_notify_priority_changes: bool,
    pub fifo_write_vrrp_states_on_reload: bool,

    // Interfaces.
    pub dynamic_interfaces: bool,
    pub dynamic_interfaces_allow_if_changes: bool,
    /// For static addresses without `dev`; None means `eth0`.
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
    /// Where the check before a reload logs.
    pub reload_check_config_file: String,
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
            script_user: ROOT,
            script_user_names: None,
            script_user_lookup: DefaultUser::default(),
            enable_script_security: false,
            notify_fifo: None,
            vrrp_notify_fifo: None,
            lvs_notify_fifo: None,
            orphan_fifo_scripts: OrphanFifoScripts::default(),
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
            reload_check_config_file: DEV_NULL.into(),
        }
    }
}

impl Global {
    /// The user for a script at `loc` that names none; None when keepalived would refuse
    /// it (`script_user` failed, or `enable_script_security` without a `keepalived_script`
    /// user). The first script to ask settles it, with keepalived's messages, so callers
    /// ask only when a script really lacks a user.
    pub fn default_script_user(&self, ctx: &mut Ctx, loc: Loc) -> Option<User> {
        self.script_user_lookup
            .get(ctx, loc, self.enable_script_security)
    }

    /// The names giving `user`, the default script user now: `script_user`'s, else
    /// those of the user keepalived falls back to.
    pub fn default_script_user_names(&self, user: User) -> script::UserNames {
        self.script_user_names
            .clone()
            .unwrap_or_else(|| script::fallback_names(user))
    }
}

const DEV_NULL: &str = "/dev/null";
/// `UINT_MAX / TIMER_HZ`: the largest whole-second delay keepalived stores in µs.
const MAX_DELAY_SECS: u32 = u32::MAX / 1_000_000;
/// keepalived's `LVS_MAX_TIMEOUT`: 31 days.
const LVS_MAX_TIMEOUT: u32 = 86400 * 31;
/// `IP_VS_IFNAME_MAXLEN`, with its terminating NUL.
const IPVS_IFNAME_MAX: usize = 16;
/// `NFT_TABLE_MAXNAMELEN`, with its terminating NUL.
const NFT_TABLE_MAX: usize = 256;
const DEFAULT_NFT_TABLE: &str = "keepalived";
const SMTP_PORT: &str = "25";
/// Intervals from which keepalived notes that a value is very large.
const LARGE_GARP_INTERVAL: Duration = Duration::from_secs(1);
const LARGE_STARTUP_DELAY: Duration = Duration::from_secs(60);

/// A FIFO keyword and its reader script, which keepalived keeps apart until it starts.
#[derive(Default)]
struct FifoSpec {
    path: Option<String>,
    user: Option<User>,
    user_names: Option<script::UserNames>,
    default_names: Option<script::UserNames>,
    loc: Loc,
    script: Option<Script>,
}

/// Which FIFO: the prefix keepalived puts in its keywords and messages.
#[derive(Clone, Copy)]
enum Fifo {
    Global,
    Vrrp,
    Lvs,
}

impl Fifo {
    fn prefix(self) -> &'static str {
        match self {
            Fifo::Global => "",
            Fifo::Vrrp => "vrrp_",
            Fifo::Lvs => "lvs_",
        }
    }
}

/// Reads `global_defs` and the root-level globals as they come, root by root. The VRRP and
/// LVS builders see the globals read so far, as keepalived's handlers do.
pub struct Builder {
    g: Global,
    host_name: String,
    fifos: [FifoSpec; 3],
    /// `vrrp_garp_extra_if all` sticks even when the rest of the line is rejected.
    garp_extra_all: bool,
    vmac_prefix_set: bool,
    vmac_addr_prefix: Option<String>,
}

impl Builder {
    pub fn new(host_name: String) -> Builder {
        Builder {
            g: Global {
                router_id: host_name.clone(),
                ..Global::default()
            },
            host_name,
            fifos: Default::default(),
            garp_extra_all: false,
            vmac_prefix_set: false,
            vmac_addr_prefix: None,
        }
    }

    /// One root node; other roots are ignored.
    pub fn root(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        match n.kw {
            "use_pid_dir" => self.g.use_pid_dir = true,
            "global_defs" => {
                for c in n.children() {
                    self.keyword(ctx, &c)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The globals read so far.
    pub fn current(&self) -> &Global {
        &self.g
    }

    fn keyword(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        match n.kw {
            "router_id"
            | "notification_email_from"
            | "smtp_server"
            | "smtp_helo_name"
            | "smtp_connect_timeout"
            | "notification_email" => self.mail(ctx, n)?,
            "smtp_alert"
            | "smtp_alert_vrrp"
            | "smtp_alert_checker"
            | "no_email_faults"
            | "no_checker_emails"
            | "checker_log_all_failures"
            | "rs_init_notifies"
            | "vrrp_notify_priority_changes"
            | "fifo_write_vrrp_states_on_reload" => self.alert_flag(ctx, n),
            "startup_script" | "shutdown_script" => self.start_stop_script(ctx, n)?,
            "startup_script_timeout" | "shutdown_script_timeout" => self.start_stop_timeout(ctx, n),
            "script_user" => self.script_user(ctx, n),
            "enable_script_security" => self.g.enable_script_security = true,
            "notify_fifo" => self.fifo(ctx, n, Fifo::Global),
            "vrrp_notify_fifo" => self.fifo(ctx, n, Fifo::Vrrp),
            "lvs_notify_fifo" => self.fifo(ctx, n, Fifo::Lvs),
            "notify_fifo_script" => self.fifo_script(ctx, n, Fifo::Global)?,
            "vrrp_notify_fifo_script" => self.fifo_script(ctx, n, Fifo::Vrrp)?,
            "lvs_notify_fifo_script" => self.fifo_script(ctx, n, Fifo::Lvs)?,
            "dynamic_interfaces" => self.dynamic_interfaces(ctx, n),
            "default_interface" => match n.arg(0) {
                Some(i) => self.g.default_interface = Some(i.into()),
                None => ctx.error(n.loc, "default_interface requires interface name"),
            },
            "lvs_timeouts" => self.lvs_timeouts(ctx, n),
            "lvs_flush" => self.g.lvs_flush = true,
            "lvs_flush_on_stop" | "lvs_flush_onstop" => self.lvs_flush_on_stop(ctx, n),
            "lvs_sync_daemon" => self.lvs_sync_daemon(ctx, n)?,
            "vrrp_mcast_group4" => self.mcast_group4(ctx, n)?,
            "vrrp_mcast_group6" => self.mcast_group6(ctx, n)?,
            "vrrp_garp_master_delay"
            | "vrrp_garp_master_repeat"
            | "vrrp_garp_master_refresh"
            | "vrrp_garp_master_refresh_repeat"
            | "vrrp_garp_lower_prio_delay"
            | "vrrp_garp_lower_prio_repeat" => self.garp(ctx, n)?,
            "vrrp_garp_interval" | "vrrp_gna_interval" => self.garp_interval(ctx, n)?,
            "vrrp_min_garp" => self.min_garp(ctx, n),
            "vrrp_garp_extra_if" | "vrrp_vmac_garp_intvl" => self.garp_extra_if(ctx, n),
            "vrrp_down_timer_adverts" | "vrrp_version" | "vrrp_startup_delay" => {
                self.vrrp_number(ctx, n)?
            }
            "vrrp_lower_prio_no_advert" | "vrrp_higher_prio_send_advert" => {
                self.advert_flag(ctx, n)
            }
            "vrrp_check_unicast_src" => self.g.vrrp_check_unicast_src = true,
            "vrrp_skip_check_adv_addr" => self.g.vrrp_skip_check_adv_addr = true,
            "vrrp_strict" => self.g.vrrp_strict = true,
            "log_unknown_vrids" => self.g.log_unknown_vrids = true,
            "vmac_prefix" | "vmac_addr_prefix" => self.vmac_prefix(ctx, n)?,
            "nftables" => self.nftables(ctx, n),
            "nftables_priority" => self.nftables_priority(ctx, n)?,
            "umask" => self.umask(ctx, n)?,
            "random_seed" => self.random_seed(ctx, n)?,
            "reload_check_config" => {
                self.g.reload_check_config = true;
                self.g.reload_check_config_file = n.arg(0).unwrap_or(DEV_NULL).into();
            }
            // `include_check` acts while the configuration is read; the rest are keywords
            // keepalived-rs does not support (announced by the parser).
            _ => {}
        }
        Ok(())
    }

    // --- identity and mail ---

    fn mail(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let g = &mut self.g;
        match (n.kw, n.arg(0)) {
            ("router_id", Some(id)) => g.router_id = id.into(),
            ("router_id", None) => ctx.error(n.loc, "routerid name missing - ignoring"),
            ("notification_email_from", Some(f)) => g.notification_email_from = Some(f.into()),
            ("notification_email_from", None) => ctx.error(n.loc, "emailfrom missing - ignoring"),
            ("smtp_server", _) => g.smtp_server = smtp_server(ctx, n)?,
            ("smtp_helo_name", name) => {
                if let Some(name) = name {
                    g.smtp_helo_name = Some(name.into());
                }
            }
            ("smtp_connect_timeout", _) => {
                if let Some(t) = smtp_connect_timeout(ctx, n)? {
                    g.smtp_connect_timeout = t;
                }
            }
            _ => self.emails(ctx, n),
        }
        Ok(())
    }

    fn emails(&mut self, ctx: &mut Ctx, n: &Node) {
        let words: Vec<&str> = n.values().iter().flat_map(|l| l.words()).collect();
        if words.is_empty() {
            ctx.error(n.end, "Warning - empty notification_email block");
        }
        for (w, line) in n
            .values()
            .iter()
            .flat_map(|l| l.words().map(move |w| (w, l)))
        {
            if self.g.notification_email.len() >= limits::MAX_EMAIL_RECIPIENTS {
                let msg = format!(
                    "notification_email has more than MAX_EMAIL_RECIPIENTS ({}) addresses - ignoring {w}",
                    limits::MAX_EMAIL_RECIPIENTS
                );
                ctx.error(line.loc, msg);
                return;
            }
            self.g.notification_email.push(w.to_string());
        }
    }

    /// Keywords with an optional BOOL (missing means true), and plain flags.
    fn alert_flag(&mut self, ctx: &mut Ctx, n: &Node) {
        let g = &mut self.g;
        match n.kw {
            "no_email_faults" => g.no_email_faults = true,
            "fifo_write_vrrp_states_on_reload" => g.fifo_write_vrrp_states_on_reload = true,
            "smtp_alert" => g.smtp_alert = opt_bool(ctx, n, true).or(g.smtp_alert),
            "smtp_alert_vrrp" => g.smtp_alert_vrrp = opt_bool(ctx, n, true).or(g.smtp_alert_vrrp),
            "smtp_alert_checker" => {
                g.smtp_alert_checker = opt_bool(ctx, n, true).or(g.smtp_alert_checker)
            }
            kw => {
                let quoted = kw != "checker_log_all_failures";
                let Some(v) = opt_bool(ctx, n, quoted) else {
                    return;
                };
                match kw {
                    "no_checker_emails" => g.no_checker_emails = v,
                    "checker_log_all_failures" => g.checker_log_all_failures = v,
                    "rs_init_notifies" => g.rs_init_notifies = v,
                    _ => g.vrrp_notify_priority_changes = v,
                }
            }
        }
    }

    // --- scripts ---

    fn start_stop_script(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let what = n.kw.trim_end_matches("_script");
        let set = match what {
            "startup" => self.g.startup_script.is_some(),
            _ => self.g.shutdown_script.is_some(),
        };
        if set {
            ctx.error(n.loc, format!("{what} script already specified"));
            return Ok(());
        }
        if n.nargs() == 0 {
            ctx.error(n.loc, format!("{what} script missing"));
            return Ok(());
        }
        let s = script::parse(ctx, n, what, &self.g)?;
        if s.is_none() {
            ctx.error(n.loc, format!("Invalid {what} script"));
        }
        match what {
            "startup" => self.g.startup_script = s,
            _ => self.g.shutdown_script = s,
        }
        Ok(())
    }

    fn start_stop_timeout(&mut self, ctx: &mut Ctx, n: &Node) {
        let what = n.kw.trim_end_matches("_script_timeout");
        let Some(arg) = n.arg(0) else {
            ctx.error(n.loc, format!("{what}_script_timeout requires value"));
            return;
        };
        let Some(secs) = value::unsigned(ctx, n.loc, arg, 1, 1000) else {
            let msg = format!("{what}_script_timeout '{arg}' must be in [1, 1000] - ignoring");
            ctx.error(n.loc, msg);
            return;
        };
        let t = Duration::from_secs(secs.into());
        match what {
            "startup" => self.g.startup_script_timeout = t,
            _ => self.g.shutdown_script_timeout = t,
        }
    }

    fn script_user(&mut self, ctx: &mut Ctx, n: &Node) {
        let Some(name) = n.arg(0) else {
            ctx.error(n.loc, "No script username specified");
            return;
        };
        let user = script::lookup_user(ctx, n.loc, name, n.arg(1));
        self.g.script_user_lookup.set(user);
        self.g.script_user_names = Some((name.to_string(), n.arg(1).map(str::to_string)));
        if user.is_none() {
            ctx.error(n.loc, "Error setting global script uid/gid");
        }
    }

    fn fifo(&mut self, ctx: &mut Ctx, n: &Node, which: Fifo) {
        let t = which.prefix();
        let Some(path) = n.arg(0) else {
            ctx.error(n.loc, format!("No {t}notify_fifo name specified"));
            return;
        };
        if self.fifos[which as usize].path.is_some() {
            let msg = format!("{t}notify_fifo already specified - ignoring {path}");
            ctx.error(n.loc, msg);
            return;
        }
        let mut default_names = None;
        let user = if let Some(name) = n.arg(1) {
            let user = script::lookup_user(ctx, n.loc, name, n.arg(2));
            if user.is_none() {
                let msg = format!("Invalid user/group for {t} fifo {path} - ignoring");
                ctx.info(n.loc, msg);
            }
            user
        } else {
            let user = self.g.default_script_user(ctx, n.loc);
            default_names = user.map(|u| self.g.default_script_user_names(u));
            if user.is_none() {
                let msg = format!("Failed to set default user for {t} fifo {path} - ignoring");
                ctx.info(n.loc, msg);
            }
            user
        };
        if user.is_some() {
            let spec = &mut self.fifos[which as usize];
            (spec.path, spec.user, spec.loc) = (Some(path.into()), user, n.loc);
            spec.user_names = n
                .arg(1)
                .map(|u| (u.to_string(), n.arg(2).map(str::to_string)));
            spec.default_names = default_names;
        }
    }

    fn fifo_script(&mut self, ctx: &mut Ctx, n: &Node, which: Fifo) -> Result<(), Fatal> {
        let t = which.prefix();
        let Some(cmd) = n.arg(0) else {
            ctx.error(n.loc, format!("No {t}notify_fifo_script specified"));
            return Ok(());
        };
        if self.fifos[which as usize].script.is_some() {
            let msg = format!("{t}notify_fifo_script already specified - ignoring {cmd}");
            ctx.error(n.loc, msg);
            return Ok(());
        }
        let s = script::parse(ctx, n, &format!("{t}notify_fifo"), &self.g)?;
        self.fifos[which as usize].script = s;
        Ok(())
    }

    // --- interfaces and LVS ---

    fn dynamic_interfaces(&mut self, ctx: &mut Ctx, n: &Node) {
        self.g.dynamic_interfaces = true;
        match n.arg(0) {
            Some("allow_if_changes") => self.g.dynamic_interfaces_allow_if_changes = true,
            Some(o) => ctx.error(n.loc, format!("Unknown dynamic_interfaces option '{o}'")),
            None => {}
        }
    }

    fn lvs_flush_on_stop(&mut self, ctx: &mut Ctx, n: &Node) {
        match n.arg(0) {
            None => self.g.lvs_flush_on_stop = LvsFlushOnStop::All,
            Some("VS") => self.g.lvs_flush_on_stop = LvsFlushOnStop::Vs,
            Some(o) => ctx.error(n.loc, format!("Unknown lvs_flush_on_stop type {o}")),
        }
    }

    fn lvs_timeouts(&mut self, ctx: &mut Ctx, n: &Node) {
        if n.nargs() < 2 {
            ctx.error(n.loc, "lvs_timeouts requires at least one option");
            return;
        }
        let mut i = 0;
        while let Some(opt) = n.arg(i) {
            i += 1;
            let t = &mut self.g.lvs_timeouts;
            let slot = match opt {
                "tcp" => &mut t.tcp,
                "tcpfin" => &mut t.tcp_fin,
                "udp" => &mut t.udp,
                _ => {
                    let msg = format!("Unknown option {opt} specified for lvs_timeouts");
                    ctx.error(n.loc, msg);
                    continue;
                }
            };
            let Some(v) = n.arg(i) else {
                let msg = format!("No value specified for lvs_timeout {opt} - ignoring");
                ctx.error(n.loc, msg);
                continue;
            };
            i += 1;
            match value::unsigned(ctx, n.loc, v, 0, LVS_MAX_TIMEOUT) {
                Some(secs) => *slot = Some(secs),
                None => ctx.error(n.loc, format!("Invalid lvs_timeout {opt} ({v}) - ignoring")),
            }
        }
    }

    fn lvs_sync_daemon(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        if let Some(d) = &self.g.lvs_sync_daemon {
            let msg = format!(
                "lvs_sync_daemon has already been specified as {} {} - ignoring",
                d.interface,
                d.instance.as_deref().unwrap_or("")
            );
            ctx.error(n.loc, msg);
            return Ok(());
        }
        let Some(interface) = n.arg(0) else {
            ctx.error(n.loc, "lvs_sync_daemon requires interface");
            return Ok(());
        };
        if interface.len() >= IPVS_IFNAME_MAX {
            let msg = format!("lvs_sync_daemon interface name '{interface}' too long - ignoring");
            ctx.error(n.loc, msg);
            return Ok(());
        }
        let mut d = LvsSyncDaemon {
            interface: interface.into(),
            instance: None,
            sync_id: None,
            max_len: None,
            port: None,
            ttl: None,
            group: None,
        };
        let mut i = 1;
        while i < n.nargs() {
            i = sync_daemon_option(ctx, n, i, &mut d)?;
        }
        self.g.lvs_sync_daemon = Some(d);
        Ok(())
    }

    // --- VRRP defaults ---

    fn mcast_group4(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let s = ctx::arg(n, 0)?;
        match value::ip_prefix_stripped(s) {
            None => ctx.error(
                n.loc,
                format!("Can't parse vrrp_mcast_group4 [{s}]. Skipping"),
            ),
            Some(IpAddr::V6(_)) => ctx.error(
                n.loc,
                format!("vrrp_mcast_group4 [{s}] is not IPv4. Skipping"),
            ),
            Some(IpAddr::V4(a)) if !a.is_multicast() => ctx.error(
                n.loc,
                format!("vrrp_mcast_group4 [{s}] is not multicast. Skipping"),
            ),
            Some(IpAddr::V4(a)) => self.g.vrrp_mcast_group4 = a,
        }
        Ok(())
    }

    fn mcast_group6(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let s = ctx::arg(n, 0)?;
        match value::ip_prefix_stripped(s) {
            None => ctx.error(
                n.loc,
                format!("Can't parse vrrp_mcast_group6 [{s}]. Skipping"),
            ),
            Some(IpAddr::V4(_)) => ctx.error(
                n.loc,
                format!("vrrp_mcast_group6 [{s}] is not IPv6. Skipping"),
            ),
            Some(IpAddr::V6(a)) if !a.is_multicast() => ctx.error(
                n.loc,
                format!("vrrp_mcast_group6 [{s}] is not multicast. Skipping"),
            ),
            Some(IpAddr::V6(a)) => {
                // Link-local multicast scope is 2 (ff02::/16 and friends).
                if a.octets()[1] & 0x0f != 2 {
                    let msg = format!("vrrp_mcast_group6 [{s}] should be link-local multicast.");
                    ctx.warning(n.loc, msg);
                }
                self.g.vrrp_mcast_group6 = a;
            }
        }
        Ok(())
    }

    /// The gratuitous ARP delays (whole seconds) and repeat counts.
    fn garp(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let s = ctx::arg(n, 0)?;
        let (loc, g) = (n.loc, &mut self.g);
        let secs = |ctx: &mut Ctx| value::unsigned(ctx, loc, s, 0, MAX_DELAY_SECS);
        let count = |ctx: &mut Ctx, max| value::unsigned(ctx, loc, s, 0, max);
        match n.kw {
            "vrrp_garp_master_delay" => match secs(ctx) {
                Some(v) => g.vrrp_garp_master_delay = Duration::from_secs(v.into()),
                None => ctx.error(
                    loc,
                    format!("vrrp_garp_master_delay '{s}' invalid - ignoring"),
                ),
            },
            "vrrp_garp_lower_prio_delay" => match secs(ctx) {
                Some(v) => g.vrrp_garp_lower_prio_delay = Some(Duration::from_secs(v.into())),
                None => {
                    let msg = format!("vrrp_garp_lower_prio_delay '{s}' invalid - ignoring");
                    ctx.error(loc, msg)
                }
            },
            "vrrp_garp_master_refresh" => {
                // An invalid value turns the refresh off.
                let v = count(ctx, u32::MAX);
                if v.is_none() {
                    let msg = format!("Invalid vrrp_garp_master_refresh '{s}' - ignoring");
                    ctx.error(loc, msg);
                }
                g.vrrp_garp_master_refresh = Duration::from_secs(v.unwrap_or(0).into());
            }
            "vrrp_garp_lower_prio_repeat" => match count(ctx, i32::MAX as u32) {
                Some(v) => g.vrrp_garp_lower_prio_repeat = Some(v),
                None => ctx.error(loc, format!("Invalid vrrp_garp_lower_prio_repeat '{s}'")),
            },
            kw => {
                let Some(v) = count(ctx, u32::MAX) else {
                    ctx.error(loc, format!("{kw} '{s}' invalid - ignoring"));
                    return Ok(());
                };
                let v = if v == 0 {
                    ctx.error(loc, format!("{kw} must be greater than 0, setting to 1"));
                    1
                } else {
                    v
                };
                match kw {
                    "vrrp_garp_master_repeat" => g.vrrp_garp_master_repeat = v,
                    _ => g.vrrp_garp_master_refresh_repeat = v,
                }
            }
        }
        Ok(())
    }

    /// `vrrp_garp_interval`/`vrrp_gna_interval`: at least 1µs, so the common `0` is
    /// rejected (keeping the default, which is 0).
    fn garp_interval(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let s = ctx::arg(n, 0)?;
        let v = value::decimal(ctx, n.loc, s, 1, u32::MAX.into(), 6);
        let slot = match n.kw {
            "vrrp_garp_interval" => &mut self.g.vrrp_garp_interval,
            _ => &mut self.g.vrrp_gna_interval,
        };
        match v {
            Some(us) => *slot = Duration::from_micros(us),
            None => ctx.error(n.loc, format!("{} '{s}' is invalid", n.kw)),
        }
        if *slot >= LARGE_GARP_INTERVAL {
            let what = n.kw;
            ctx.info(n.loc, format!("The {what} is very large - {s} seconds"));
        }
        Ok(())
    }

    /// One gratuitous ARP per address and no repeats, for the values still at default.
    fn min_garp(&mut self, ctx: &mut Ctx, n: &Node) {
        if n.arg(0).is_some() {
            match opt_bool(ctx, n, false) {
                Some(true) => {}
                _ => return,
            }
        }
        let g = &mut self.g;
        let d = Global::default();
        g.vrrp_min_garp = true;
        if g.vrrp_garp_master_repeat == d.vrrp_garp_master_repeat {
            g.vrrp_garp_master_repeat = 1;
        }
        if g.vrrp_garp_master_refresh_repeat == d.vrrp_garp_master_refresh_repeat {
            g.vrrp_garp_master_refresh_repeat = 0;
        }
        if g.vrrp_garp_master_delay == d.vrrp_garp_master_delay {
            g.vrrp_garp_master_delay = Duration::ZERO;
        }
    }

    fn garp_extra_if(&mut self, ctx: &mut Ctx, n: &Node) {
        let kw = n.kw;
        if kw == "vrrp_vmac_garp_intvl" {
            ctx.report(
                n.loc,
                Level::Deprecated,
                "Keyword \"vrrp_vmac_garp_intvl\" is deprecated - please use \"vrrp_garp_extra_if\"",
            );
        }
        let mut secs = 0;
        for w in n.args() {
            if w == "all" {
                self.garp_extra_all = true;
                continue;
            }
            match value::unsigned(ctx, n.loc, w, 1, 86400) {
                Some(v) => secs = v,
                None => {
                    ctx.error(n.loc, format!("{kw} '{w}' invalid - ignoring"));
                    return;
                }
            }
        }
        if secs == 0 {
            ctx.error(n.loc, format!("{kw} specified without time - ignoring"));
            return;
        }
        self.g.vrrp_garp_extra_if = Some(GarpExtraIf {
            all: false,
            interval: Duration::from_secs(secs.into()),
        });
    }

    fn vrrp_number(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let s = ctx::arg(n, 0)?;
        let g = &mut self.g;
        match n.kw {
            "vrrp_version" => match value::int(ctx, n.loc, s, 2, 3) {
                Some(v) => g.vrrp_version = v as u8,
                None => ctx.error(n.loc, "VRRP Error: Version must be either 2 or 3"),
            },
            "vrrp_down_timer_adverts" => match value::unsigned(ctx, n.loc, s, 1, 100) {
                Some(v) => g.vrrp_down_timer_adverts = v,
                None => {
                    let msg = format!("Invalid vrrp_down_timer_adverts [1:100] '{s}'");
                    ctx.error(n.loc, msg)
                }
            },
            _ => {
                // At least 1ms.
                match value::decimal(ctx, n.loc, s, 1000, u32::MAX.into(), 6) {
                    Some(us) => g.vrrp_startup_delay = Duration::from_micros(us),
                    None => ctx.error(n.loc, format!("vrrp_startup_delay '{s}' is invalid")),
                }
                if g.vrrp_startup_delay >= LARGE_STARTUP_DELAY {
                    let msg = format!("The vrrp_startup_delay is very large - {s} seconds");
                    ctx.info(n.loc, msg);
                }
            }
        }
        Ok(())
    }

    fn advert_flag(&mut self, ctx: &mut Ctx, n: &Node) {
        let Some(v) = opt_bool(ctx, n, false) else {
            return;
        };
        match n.kw {
            "vrrp_lower_prio_no_advert" => self.g.vrrp_lower_prio_no_advert = v,
            _ => self.g.vrrp_higher_prio_send_advert = v,
        }
    }

    fn vmac_prefix(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let p = ctx::arg(n, 0)?;
        let (set, what) = match n.kw {
            "vmac_prefix" => (self.vmac_prefix_set, "vmac"),
            _ => (self.vmac_addr_prefix.is_some(), "vmac_addr"),
        };
        if set {
            let msg = format!("{what} prefix has already been specified - ignoring {p}");
            ctx.error(n.loc, msg);
        } else if n.kw == "vmac_prefix" {
            self.g.vmac_prefix = p.into();
            self.vmac_prefix_set = true;
        } else {
            self.vmac_addr_prefix = Some(p.into());
        }
        Ok(())
    }

    fn nftables(&mut self, ctx: &mut Ctx, n: &Node) {
        if self.g.nftables.is_some() {
            ctx.error(n.loc, "nftables already specified - ignoring");
            return;
        }
        let name = n.arg(0).unwrap_or(DEFAULT_NFT_TABLE);
        if name.len() >= NFT_TABLE_MAX {
            ctx.error(n.loc, "nftables table name too long - ignoring");
            return;
        }
        self.g.nftables = Some(name.into());
        // Naming the table also resets the chain priority.
        self.g.nftables_priority = -1;
    }

    fn nftables_priority(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let s = ctx::arg(n, 0)?;
        match value::int(ctx, n.loc, s, i32::MIN, i32::MAX) {
            Some(p) => self.g.nftables_priority = p,
            None => ctx.report(
                n.loc,
                Level::InvalidNumber,
                format!("invalid nftables chain priority '{s}'"),
            ),
        }
        Ok(())
    }

    // --- process ---

    fn umask(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let first = ctx::arg(n, 0)?;
        let mask = if first.starts_with(|c: char| c.is_ascii_digit()) {
            numeric_umask(ctx, n, first)
        } else {
            symbolic_umask(ctx, n)
        };
        if mask.is_some() {
            self.g.umask = mask;
        }
        Ok(())
    }

    fn random_seed(&mut self, ctx: &mut Ctx, n: &Node) -> Result<(), Fatal> {
        let s = ctx::arg(n, 0)?;
        match value::unsigned(ctx, n.loc, s, 0, u32::MAX) {
            Some(v) => self.g.random_seed = Some(v.into()),
            None => ctx.error(n.loc, format!("random_seed {s} invalid")),
        }
        Ok(())
    }

    // --- after the last keyword ---

    /// keepalived's `init_global_data()`: defaults that depend on other keywords, and the
    /// FIFOs put together.
    /// The globals with their end-of-configuration defaults applied.
    pub fn finish(mut self, ctx: &mut Ctx) -> Global {
        if let Some(x) = &mut self.g.vrrp_garp_extra_if {
            x.all = self.garp_extra_all;
        }
        self.g.vmac_addr_prefix = self
            .vmac_addr_prefix
            .take()
            .unwrap_or_else(|| self.g.vmac_prefix.clone());
        if self.g.smtp_server.is_some() && !self.host_name.is_empty() {
            let host = &self.host_name;
            let g = &mut self.g;
            g.notification_email_from
                .get_or_insert_with(|| format!("root@{host}"));
            g.smtp_helo_name.get_or_insert_with(|| host.clone());
        }
        self.finish_fifos();
        let security = self.g.enable_script_security;
        // Without a usable default, the one a configuration without `script_user` gets.
        self.g.script_user = self
            .g
            .script_user_lookup
            .peek(ctx.host, security)
            .unwrap_or_else(|| script::fallback_user(ctx.host));
        self.g
    }

    /// Puts each FIFO together with its reader. keepalived drops a VRRP or LVS FIFO that
    /// repeats the global one only when it reloads, so a first start (and `-t`) keeps them.
    fn finish_fifos(&mut self) {
        let [global, vrrp, lvs] = std::mem::take(&mut self.fifos);
        let orphans = &mut self.g.orphan_fifo_scripts;
        (self.g.notify_fifo, orphans.global) = assemble(global);
        (self.g.vrrp_notify_fifo, orphans.vrrp) = assemble(vrrp);
        (self.g.lvs_notify_fifo, orphans.lvs) = assemble(lvs);
    }
}

/// A FIFO with its reader, or the reader alone when there is no FIFO.
fn assemble(spec: FifoSpec) -> (Option<NotifyFifo>, Option<Script>) {
    match spec.path {
        Some(path) => {
            let fifo = NotifyFifo {
                path,
                user: spec.user,
                user_names: spec.user_names,
                default_names: spec.default_names,
                script: spec.script,
                loc: spec.loc,
            };
            (Some(fifo), None)
        }
        None => (None, spec.script),
    }
}

#[cfg(test)]
mod tests;
