//! Reading a `vrrp_instance` block into a [`Draft`], keyword by keyword in file order as
//! keepalived's handlers do, with their messages and quirks.

use std::collections::HashSet;
use std::net::IpAddr;
use std::rc::Rc;

use super::instance::{
    AuthType, ChecksumCompat, Family, InitialState, LvsSyncInterface, NotifyScripts, UnicastPeer,
    Version,
};
use super::track::{Defined, Tracking};
use super::vmac::{self, VmacDraft};
use super::{read_list, trackers, Ifaces};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Level, Loc};
use crate::config::model::global::Global;
use crate::config::model::ipaddr::{self, AddrUse, IpAddress, LineEnv};
use crate::config::model::route::{self, Route};
use crate::config::model::rule::{self, Rule};
use crate::config::model::script::{self, Script};
use crate::config::parser::Node;
use crate::config::reader::Line;
use crate::config::value;
use crate::limits;
use crate::time::Duration;

/// The values copied from the globals when keepalived allocates an instance (a later
/// `global_defs` does not change them).
#[derive(Clone, Copy, Debug)]
pub struct AllocDefaults {
    pub garp_delay: Duration,
    pub garp_repeat: u32,
    pub garp_refresh: Duration,
    pub garp_refresh_repeat: u32,
    pub down_timer_adverts: u32,
    pub skip_check_adv_addr: bool,
}

impl AllocDefaults {
    pub fn from(g: &Global) -> AllocDefaults {
        AllocDefaults {
            garp_delay: g.vrrp_garp_master_delay,
            garp_repeat: g.vrrp_garp_master_repeat,
            garp_refresh: g.vrrp_garp_master_refresh,
            garp_refresh_repeat: g.vrrp_garp_master_refresh_repeat,
            down_timer_adverts: g.vrrp_down_timer_adverts,
            skip_check_adv_addr: g.vrrp_skip_check_adv_addr,
        }
    }
}

/// A `vrrp_instance` block as read, before keepalived's completion and checks.
#[derive(Clone, Debug)]
pub struct Draft {
    /// Shared, as every keyword's messages name the instance.
    pub name: Rc<str>,
    pub loc: Loc,
    pub end: Loc,
    /// Where each keyword appeared, in order, to place validation messages (a list: it is
    /// written for every keyword and read only when something is reported).
    at: Vec<(&'static str, Loc)>,
    pub family: Option<Family>,
    pub version: Option<Version>,
    pub vrid: Option<u8>,
    /// The usable `interface` (None when missing, a loopback, or not given).
    pub iface: Option<String>,
    pub want: Option<InitialState>,
    pub priority: Option<u8>,
    pub advert_us: Option<u64>,
    pub auth_type: Option<AuthType>,
    pub auth_key: [u8; 8],
    pub vips: Vec<IpAddress>,
    pub evips: Vec<IpAddress>,
    pub routes: Vec<Route>,
    pub rules: Vec<Rule>,
    pub unicast_configured: bool,
    pub fault_no_peer: bool,
    pub check_unicast_src: bool,
    pub peers: Vec<UnicastPeer>,
    pub ttl: Option<u8>,
    pub src: Option<IpAddr>,
    pub src_from_config: bool,
    pub mcast_dst: Option<IpAddr>,
    pub track_src_ip: bool,
    pub dont_track_primary: bool,
    pub promote_secondaries: bool,
    pub nopreempt: bool,
    pub preempt_delay_us: u64,
    pub strict: Option<bool>,
    pub skip_check_adv_addr: bool,
    pub accept: Option<bool>,
    pub alloc: AllocDefaults,
    pub garp_lower_prio_delay: Option<Duration>,
    pub garp_lower_prio_repeat: Option<u32>,
    pub garp_extra_if: Option<Duration>,
    pub garp_extra_all: bool,
    pub lower_prio_no_advert: Option<bool>,
    pub higher_prio_send_advert: Option<bool>,
    pub smtp_alert: Option<bool>,
    pub notify_priority_changes: Option<bool>,
    pub notify: NotifyScripts,
    pub notify_deleted: bool,
    pub notify_deleted_script: Option<Box<Script>>,
    pub notify_master_rx_lower_pri: Option<Box<Script>>,
    pub vmac: VmacDraft,
    pub checksum: ChecksumCompat,
    pub debug: u8,
    pub tracking: Tracking,
}

impl Draft {
    fn new(name: &str, node: &Node, alloc: AllocDefaults) -> Draft {
        Draft {
            name: name.into(),
            loc: node.loc,
            end: node.end,
            at: Vec::with_capacity(node.children().len()),
            family: None,
            version: None,
            vrid: None,
            iface: None,
            want: None,
            priority: None,
            advert_us: None,
            auth_type: None,
            auth_key: [0; 8],
            vips: Vec::new(),
            evips: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            unicast_configured: false,
            fault_no_peer: false,
            check_unicast_src: false,
            peers: Vec::new(),
            ttl: None,
            src: None,
            src_from_config: false,
            mcast_dst: None,
            track_src_ip: false,
            dont_track_primary: false,
            promote_secondaries: false,
            nopreempt: false,
            preempt_delay_us: 0,
            strict: None,
            skip_check_adv_addr: alloc.skip_check_adv_addr,
            accept: None,
            alloc,
            garp_lower_prio_delay: None,
            garp_lower_prio_repeat: None,
            garp_extra_if: None,
            garp_extra_all: false,
            lower_prio_no_advert: None,
            higher_prio_send_advert: None,
            smtp_alert: None,
            notify_priority_changes: None,
            notify: NotifyScripts::default(),
            notify_deleted: false,
            notify_deleted_script: None,
            notify_master_rx_lower_pri: None,
            vmac: VmacDraft::default(),
            checksum: ChecksumCompat::Auto,
            debug: 0,
            tracking: Tracking::default(),
        }
    }

    /// Where keyword `kw` last appeared, else the instance line.
    pub fn at(&self, kw: &str) -> Loc {
        self.last_at(kw).unwrap_or(self.loc)
    }

    /// Where `kw` last appeared, if it did.
    pub fn last_at(&self, kw: &str) -> Option<Loc> {
        self.at
            .iter()
            .rev()
            .find(|(k, _)| *k == kw)
            .map(|&(_, loc)| loc)
    }

    /// Sets the family if still open; false (the caller reports) when it differs.
    fn family_fits(&mut self, a: &IpAddr) -> bool {
        let f = Family::of(a);
        match self.family {
            None => {
                self.family = Some(f);
                true
            }
            Some(have) => have == f,
        }
    }
}

/// What reading an instance block needs from around it.
pub struct Env<'a> {
    pub global: &'a Global,
    pub defined: Defined<'a>,
    /// Instances read before this one (for VMAC names).
    pub earlier: &'a [Draft],
    pub names: &'a HashSet<Rc<str>>,
    pub alloc: AllocDefaults,
}

/// Reads one `vrrp_instance` block. None when keepalived skips the block.
pub fn read(
    ctx: &mut Ctx,
    ifaces: &mut Ifaces,
    node: &Node,
    env: &Env,
    lines: &mut LineEnv,
    lvs_sync: &mut Option<LvsSyncInterface>,
) -> Result<Option<Draft>, Fatal> {
    if node.nargs() != 1 {
        ctx.error(node.loc, "vrrp_instance must have a name");
        return Ok(None);
    }
    let name = node.arg(0).unwrap_or_default();
    if env.names.contains(name) {
        ctx.error(node.loc, format!("vrrp instance {name} already defined"));
        return Ok(None);
    }
    let mut d = Draft::new(name, node, env.alloc);
    for c in node.children() {
        d.at.push((c.kw, c.loc));
        keyword(ctx, ifaces, &c, &mut d, env, lines, lvs_sync)?;
    }
    end_of_block(ctx, &mut d);
    Ok(Some(d))
}

/// One keyword of the instance block.
fn keyword(
    ctx: &mut Ctx,
    ifaces: &mut Ifaces,
    c: &Node,
    d: &mut Draft,
    env: &Env,
    lines: &mut LineEnv,
    lvs_sync: &mut Option<LvsSyncInterface>,
) -> Result<(), Fatal> {
    if !link_keyword(ctx, ifaces, c, d, env, lines)? && !protocol_keyword(ctx, c, d)? {
        tracking_keyword(ctx, ifaces, c, d, env, lvs_sync)?;
    }
    Ok(())
}

/// Interfaces, addresses and how adverts travel.
fn link_keyword(
    ctx: &mut Ctx,
    ifaces: &mut Ifaces,
    c: &Node,
    d: &mut Draft,
    env: &Env,
    lines: &mut LineEnv,
) -> Result<bool, Fatal> {
    let iname = Rc::clone(&d.name);
    match c.kw {
        "use_vmac" => {
            let taken = |n: &str| {
                env.earlier
                    .iter()
                    .find(|o| o.vmac.name.as_deref() == Some(n))
                    .map(|o| o.name.to_string())
            };
            let host = ctx.host;
            let known = |n: &str| ifaces.known(host, n);
            vmac::parse_use_vmac(
                ctx,
                c.loc,
                &iname,
                &c.args().collect::<Vec<_>>(),
                &mut d.vmac,
                taken,
                known,
            );
        }
        "vmac_xmit_base" => d.vmac.xmit_base = true,
        "unicast_peer" => {
            d.unicast_configured = true;
            for line in c.values() {
                unicast_peer(ctx, d, line);
            }
        }
        "unicast_fault_no_peer" => {
            d.unicast_configured = true;
            d.fault_no_peer = true;
        }
        "check_unicast_src" => {
            d.unicast_configured = true;
            d.check_unicast_src = true;
        }
        "old_unicast_checksum" => {
            d.unicast_configured = true;
            match c.arg(0) {
                None => d.checksum = ChecksumCompat::Old,
                Some("never") => d.checksum = ChecksumCompat::Never,
                Some(m) => ctx.error(
                    c.loc,
                    format!("({iname}) Unknown old_unicast_chksum mode {m} - ignoring"),
                ),
            }
        }
        "native_ipv6" => {
            if d.family == Some(Family::V4) {
                let msg = format!("({iname}) Cannot specify native_ipv6 with IPv4 addresses");
                ctx.error(c.loc, msg);
            } else {
                d.family = Some(Family::V6);
                d.version = Some(Version::V3);
            }
        }
        "interface" => interface(ctx, ifaces, c, d)?,
        "mcast_src_ip" | "unicast_src_ip" => {
            if c.kw == "unicast_src_ip" {
                d.unicast_configured = true;
            }
            src_ip(ctx, c, d)?;
        }
        "mcast_dst_ip" => mcast_dst(ctx, c, d)?,
        "unicast_ttl" => {
            let v = ctx::arg(c, 0)?;
            match value::unsigned(ctx, c.loc, v, 0, 255) {
                Some(n) => d.ttl = Some(n as u8),
                None => ctx.error(
                    c.loc,
                    format!("({iname}): TTL '{v}' not valid - must be between 0 & 255"),
                ),
            }
        }
        "virtual_ipaddress" => vips(ctx, c, d, lines)?,
        "virtual_ipaddress_excluded" => {
            let (max, limit) = (limits::MAX_EVIPS_PER_INSTANCE, "MAX_EVIPS_PER_INSTANCE");
            let what = format!("({iname}) {}", c.kw);
            read_list(
                ctx,
                &what,
                c.values(),
                &mut d.evips,
                max,
                limit,
                |ctx, l| ipaddr::parse(ctx, l, AddrUse::Evip, lines),
            )?;
        }
        "virtual_routes" => {
            let (max, limit) = (limits::MAX_ROUTES_PER_INSTANCE, "MAX_ROUTES_PER_INSTANCE");
            let what = format!("({iname}) {}", c.kw);
            read_list(
                ctx,
                &what,
                c.values(),
                &mut d.routes,
                max,
                limit,
                |ctx, l| route::parse(ctx, l, false, lines),
            )?;
        }
        "virtual_rules" => {
            let (max, limit) = (limits::MAX_ROUTES_PER_INSTANCE, "MAX_ROUTES_PER_INSTANCE");
            let what = format!("({iname}) {}", c.kw);
            read_list(
                ctx,
                &what,
                c.values(),
                &mut d.rules,
                max,
                limit,
                |ctx, l| rule::parse(ctx, l, false, lines),
            )?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// VRRP protocol values: identity, priority, timers, preemption, authentication, GARPs.
fn protocol_keyword(ctx: &mut Ctx, c: &Node, d: &mut Draft) -> Result<bool, Fatal> {
    let iname = Rc::clone(&d.name);
    match c.kw {
        "state" => state(ctx, c, d)?,
        "virtual_router_id" => {
            let v = ctx::arg(c, 0)?;
            match value::unsigned(ctx, c.loc, v, 1, 255) {
                Some(n) => d.vrid = Some(n as u8),
                None => ctx.error(
                    c.loc,
                    format!("({iname}): VRID '{v}' not valid - must be between 1 & 255"),
                ),
            }
        }
        "version" => version(ctx, c, d)?,
        "priority" => {
            let v = ctx::arg(c, 0)?;
            d.priority = Some(match value::unsigned(ctx, c.loc, v, 1, 255) {
                Some(n) => n as u8,
                None => {
                    let msg = format!(
                        "({iname}) Priority not valid! must be between 1 & 255. Using default 100"
                    );
                    ctx.error(c.loc, msg);
                    100
                }
            });
        }
        "advert_int" => {
            let v = ctx::arg(c, 0)?;
            match value::decimal(ctx, c.loc, v, 10_000, 255_000_000, 6) {
                Some(us) if us > 0 => d.advert_us = Some(us),
                _ => ctx.error(
                    c.loc,
                    format!("({iname}) Advert interval ({v}) not valid! Must be > 0 - ignoring"),
                ),
            }
        }
        "accept" => d.accept = Some(true),
        "no_accept" => d.accept = Some(false),
        "skip_check_adv_addr" => match c.arg(0) {
            // keepalived sets the flag for any valid word, even "false".
            None => d.skip_check_adv_addr = true,
            Some(w) if value::true_false(w).is_some() => d.skip_check_adv_addr = true,
            Some(w) => ctx.error(
                c.loc,
                format!("({iname}) invalid skip_check_adv_addr {w} specified"),
            ),
        },
        "strict_mode" => opt_bool(
            ctx,
            c,
            &mut d.strict,
            &format!("({iname}) invalid strict_mode"),
        ),
        "preempt" => d.nopreempt = false,
        "nopreempt" => d.nopreempt = true,
        "preempt_delay" => {
            let v = ctx::arg(c, 0)?;
            d.preempt_delay_us = value::decimal(ctx, c.loc, v, 0, 1000 * 1_000_000, 6)
                .unwrap_or_else(|| {
                    let msg = format!("({iname}) Preempt_delay not valid! must be between 0-1000");
                    ctx.error(c.loc, msg);
                    0
                });
        }
        "debug" => {
            let v = ctx::arg(c, 0)?;
            match value::unsigned(ctx, c.loc, v, 0, 4) {
                Some(n) => d.debug = n as u8,
                None => ctx.error(
                    c.loc,
                    format!("({iname}) Debug value '{v}' not valid; must be between 0-4"),
                ),
            }
        }
        "garp_master_delay" | "garp_lower_prio_delay" => garp_delay(ctx, c, d)?,
        "garp_master_refresh" => {
            let v = ctx::arg(c, 0)?;
            let secs = value::unsigned(ctx, c.loc, v, 0, u32::MAX).unwrap_or_else(|| {
                let msg = format!("({iname}): Invalid garp_master_refresh '{v}' - ignoring");
                ctx.error(c.loc, msg);
                0
            });
            d.alloc.garp_refresh = Duration::from_secs(u64::from(secs));
        }
        "garp_master_repeat" | "garp_master_refresh_repeat" => garp_repeat(ctx, c, d)?,
        "garp_lower_prio_repeat" => {
            let v = ctx::arg(c, 0)?;
            match value::unsigned(ctx, c.loc, v, 0, i32::MAX as u32) {
                Some(n) => d.garp_lower_prio_repeat = Some(n),
                None => ctx.error(
                    c.loc,
                    format!("({iname}): Invalid garp_lower_prio_repeat '{v}'"),
                ),
            }
        }
        "down_timer_adverts" => {
            let v = ctx::arg(c, 0)?;
            match value::unsigned(ctx, c.loc, v, 1, 100) {
                Some(n) => d.alloc.down_timer_adverts = n,
                None => ctx.error(
                    c.loc,
                    format!("({iname}): Invalid down_timer_adverts [1:100] '{v}'"),
                ),
            }
        }
        "garp_extra_if" | "vmac_garp_intvl" => garp_extra_if(ctx, c, d),
        "lower_prio_no_advert" => opt_bool(
            ctx,
            c,
            &mut d.lower_prio_no_advert,
            &format!("({iname}) invalid lower_prio_no_advert"),
        ),
        "higher_prio_send_advert" => opt_bool(
            ctx,
            c,
            &mut d.higher_prio_send_advert,
            &format!("({iname}) invalid higher_prio_send_advert"),
        ),
        "authentication" => authentication(ctx, c, d)?,

        _ => return Ok(false),
    }
    Ok(true)
}

/// Tracking, notifications and the deprecated LVS sync daemon interface.
fn tracking_keyword(
    ctx: &mut Ctx,
    ifaces: &mut Ifaces,
    c: &Node,
    d: &mut Draft,
    env: &Env,
    lvs_sync: &mut Option<LvsSyncInterface>,
) -> Result<bool, Fatal> {
    let iname = Rc::clone(&d.name);
    match c.kw {
        "dont_track_primary" => d.dont_track_primary = true,
        "track_interface" | "track_script" | "track_file" | "track_process" => {
            d.tracking
                .add_list(ctx, ifaces, &iname, c.kw, c.values(), &env.defined)
        }
        "track_src_ip" => d.track_src_ip = true,
        "promote_secondaries" => d.promote_secondaries = true,
        "notify_backup" | "notify_master" | "notify_fault" | "notify_stop" | "notify" => {
            if let Some(slot) = d.notify.slot(c.kw) {
                notify_into(ctx, c, slot, &iname, env.global)?;
            }
        }
        "notify_master_rx_lower_pri" => {
            notify_into(
                ctx,
                c,
                &mut d.notify_master_rx_lower_pri,
                &iname,
                env.global,
            )?;
        }
        "notify_deleted" => notify_deleted(ctx, c, d, env.global)?,
        "smtp_alert" => match c.arg(0).map(value::true_false) {
            None => d.smtp_alert = Some(true),
            Some(Some(b)) => d.smtp_alert = Some(b),
            Some(None) => {
                let w = c.arg(0).unwrap_or_default();
                ctx.error(
                    c.loc,
                    format!("Invalid vrrp_instance smtp_alert parameter {w}"),
                );
            }
        },
        "notify_priority_changes" => match c.arg(0).map(value::true_false) {
            None => d.notify_priority_changes = Some(true),
            Some(Some(b)) => d.notify_priority_changes = Some(b),
            Some(None) => {
                let w = c.arg(0).unwrap_or_default();
                let msg =
                    format!("({iname}) Invalid value '{w}' for notify_priority_changes specified");
                ctx.error(c.loc, msg);
            }
        },
        "lvs_sync_daemon_interface" => lvs_sync_interface(ctx, c, &iname, env.global, lvs_sync)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn limit(ctx: &mut Ctx, loc: Loc, iname: &str, name: &str, max: usize) {
    ctx.error(
        loc,
        format!("({iname}) more than {name} ({max}) - ignoring"),
    );
}

/// `KEYWORD [BOOL]`: a missing word means true; a wrong one is reported as `what WORD
/// specified` and changes nothing.
fn opt_bool(ctx: &mut Ctx, c: &Node, slot: &mut Option<bool>, what: &str) {
    match c.arg(0) {
        None => *slot = Some(true),
        Some(w) => match value::true_false(w) {
            Some(b) => *slot = Some(b),
            None => ctx.error(c.loc, format!("{what} {w} specified")),
        },
    }
}

fn state(ctx: &mut Ctx, c: &Node, d: &mut Draft) -> Result<(), Fatal> {
    match ctx::arg(c, 0)? {
        "MASTER" => d.want = Some(InitialState::Master),
        "BACKUP" => {
            if d.want == Some(InitialState::Master) {
                let msg = format!(
                    "({}) state previously set as MASTER - ignoring BACKUP",
                    d.name
                );
                ctx.error(c.loc, msg);
            } else {
                d.want = Some(InitialState::Backup);
            }
        }
        other => {
            let msg = format!("({}) unknown state '{other}', defaulting to BACKUP", d.name);
            ctx.error(c.loc, msg);
            d.want = Some(InitialState::Backup);
        }
    }
    Ok(())
}

fn interface(ctx: &mut Ctx, ifaces: &mut Ifaces, c: &Node, d: &mut Draft) -> Result<(), Fatal> {
    let name = ctx::arg(c, 0)?;
    if name.len() >= vmac::IFNAMSIZ {
        ctx.error(
            c.loc,
            format!("Interface name '{name}' too long - ignoring"),
        );
        return Ok(());
    }
    d.iface = None;
    if !ifaces.lookup(ctx, c.loc, name) {
        let msg = format!(
            "WARNING - interface {name} for vrrp_instance {} doesn't exist",
            d.name
        );
        ctx.error(c.loc, msg);
    } else if is_loopback(name) {
        let msg = format!(
            "({}) cannot use a loopback interface ({name}) for vrrp - ignoring",
            d.name
        );
        ctx.error(c.loc, msg);
    } else {
        d.iface = Some(name.to_string());
    }
    Ok(())
}

/// The host's loopback interface (keepalived checks the hardware type).
fn is_loopback(name: &str) -> bool {
    name == "lo"
}

fn src_ip(ctx: &mut Ctx, c: &Node, d: &mut Draft) -> Result<(), Fatal> {
    let v = ctx::arg(c, 0)?;
    let Some(a) = value::ip_prefix_stripped(v) else {
        let msg = format!(
            "Configuration error: VRRP instance[{}] malformed src address[{v}]. Skipping...",
            d.name
        );
        ctx.error(c.loc, msg);
        d.src = None;
        return Ok(());
    };
    if d.family_fits(&a) {
        d.src = Some(a);
        d.src_from_config = true;
    } else {
        let msg = format!(
            "Configuration error: VRRP instance[{}] and src address[{v}] MUST be of the same family !!! Skipping...",
            d.name
        );
        ctx.error(c.loc, msg);
        d.src = None;
        d.src_from_config = false;
    }
    Ok(())
}

fn mcast_dst(ctx: &mut Ctx, c: &Node, d: &mut Draft) -> Result<(), Fatal> {
    let v = ctx::arg(c, 0)?;
    let iname = Rc::clone(&d.name);
    let Some(a) = value::ip_prefix_stripped(v) else {
        let msg = format!("({iname}) malformed mcast dest address {v}. Skipping...");
        ctx.error(c.loc, msg);
        d.mcast_dst = None;
        return Ok(());
    };
    if !d.family_fits(&a) {
        let msg = format!(
            "({iname}) mcast dest address {v} MUST match VRRP instance family. Skipping..."
        );
        ctx.error(c.loc, msg);
        d.mcast_dst = None;
        return Ok(());
    }
    let ok = match a {
        IpAddr::V4(x) => x.is_multicast(),
        IpAddr::V6(x) => x.segments()[0] & 0xff0f == 0xff02,
    };
    if ok {
        d.mcast_dst = Some(a);
    } else {
        let ll = if a.is_ipv6() { " link-local" } else { "" };
        let msg = format!("({iname}) mcast_dst_ip {v} not{ll} multicast. Skipping...");
        ctx.error(c.loc, msg);
        d.mcast_dst = None;
    }
    Ok(())
}

fn version(ctx: &mut Ctx, c: &Node, d: &mut Draft) -> Result<(), Fatal> {
    let v = ctx::arg(c, 0)?;
    let Some(n) = value::int(ctx, c.loc, v, 2, 3) else {
        ctx.error(
            c.loc,
            format!("({}): Version must be either 2 or 3", d.name),
        );
        return Ok(());
    };
    let want = if n == 2 { Version::V2 } else { Version::V3 };
    let conflicts = d.version.is_some_and(|have| have != want)
        || (want == Version::V2 && d.family == Some(Family::V6));
    if conflicts {
        let have = d.version.map_or(0, Version::number);
        let msg = format!(
            "({}) vrrp_version {n} conflicts with configured or deduced version {have}; ignoring.",
            d.name
        );
        ctx.error(c.loc, msg);
        return Ok(());
    }
    d.version = Some(want);
    Ok(())
}

fn unicast_peer(ctx: &mut Ctx, d: &mut Draft, line: &Line) {
    let iname = Rc::clone(&d.name);
    let Some(first) = line.first() else {
        return;
    };
    let Some(addr) = value::ip_prefix_stripped(first) else {
        let msg = format!("Configuration error: VRRP instance[{iname}] malformed unicast peer address[{first}]. Skipping...");
        ctx.error(line.loc, msg);
        return;
    };
    if !d.family_fits(&addr) {
        let msg = format!("Configuration error: VRRP instance[{iname}] and unicast peer address[{first}] MUST be of the same family !!! Skipping...");
        ctx.error(line.loc, msg);
        return;
    }
    if d.peers.len() >= limits::MAX_UNICAST_PEERS {
        limit(
            ctx,
            line.loc,
            &iname,
            "MAX_UNICAST_PEERS",
            limits::MAX_UNICAST_PEERS,
        );
        return;
    }
    let mut peer = UnicastPeer {
        addr,
        min_ttl: 0,
        max_ttl: 255,
        loc: line.loc,
    };
    let mut i = 1;
    while i < line.len() {
        let opt = line.word(i).unwrap_or_default();
        let Some(v) = line.word(i + 1) else {
            ctx.error(line.loc, format!("({iname}) {opt} is missing a value"));
            break;
        };
        if let Some(ttl) = value::unsigned(ctx, line.loc, v, 0, 255) {
            match opt {
                "min_ttl" => peer.min_ttl = ttl as u8,
                "max_ttl" => peer.max_ttl = ttl as u8,
                _ => {
                    let msg = format!("({iname}) unknown unicast_peer option {opt}");
                    ctx.error(line.loc, msg);
                    break;
                }
            }
            // Checking TTLs means checking the source too.
            d.check_unicast_src = true;
        }
        i += 2;
    }
    if peer.min_ttl > peer.max_ttl {
        let msg = format!(
            "({iname}) min_ttl {} > max_ttl {} - all packets will be discarded",
            peer.min_ttl, peer.max_ttl
        );
        ctx.error(line.loc, msg);
    }
    d.peers.push(peer);
}

fn vips(ctx: &mut Ctx, c: &Node, d: &mut Draft, lines: &mut LineEnv) -> Result<(), Fatal> {
    // VIPs beyond what an advert carries become eVIPs later: room for both, no more.
    let max = limits::MAX_VIPS_PER_INSTANCE + limits::MAX_EVIPS_PER_INSTANCE;
    d.vips
        .reserve_exact(c.values().len().min(max.saturating_sub(d.vips.len())));
    for line in c.values() {
        if d.vips.len() >= max {
            let what = format!("({}) {}", d.name, c.kw);
            trackers::within(
                ctx,
                line.loc,
                d.vips.len(),
                max,
                &what,
                "MAX_VIPS_PER_INSTANCE + MAX_EVIPS_PER_INSTANCE",
            );
            break;
        }
        let Some(a) = ipaddr::parse(ctx, line, AddrUse::Vip, lines)? else {
            continue;
        };
        if !d.family_fits(&a.addr) {
            let first = line.first().unwrap_or_default();
            let msg = format!(
                "({}): address family must match VRRP instance [{first}] - ignoring",
                d.name
            );
            ctx.error(line.loc, msg);
            continue;
        }
        d.vips.push(a);
    }
    Ok(())
}

/// A notify script keyword; a second one of the same kind is refused.
fn notify_into(
    ctx: &mut Ctx,
    c: &Node,
    slot: &mut Option<Box<Script>>,
    iname: &str,
    global: &Global,
) -> Result<(), Fatal> {
    // keepalived names the script in its messages, so a bare keyword is fatal.
    let w = ctx::arg(c, 0)?;
    if slot.is_some() {
        let msg = format!("({iname}) {} script already specified - ignoring {w}", c.kw);
        ctx.error(c.loc, msg);
        return Ok(());
    }
    *slot = script::parse(ctx, c, "notify", global)?.map(Box::new);
    Ok(())
}

fn notify_deleted(ctx: &mut Ctx, c: &Node, d: &mut Draft, global: &Global) -> Result<(), Fatal> {
    if d.notify_deleted {
        let w = c.arg(0).unwrap_or_default();
        let msg = format!(
            "({}) notify_deleted already specified - ignoring {w}",
            d.name
        );
        ctx.error(c.loc, msg);
        return Ok(());
    }
    if c.nargs() > 0 {
        d.notify_deleted_script = script::parse(ctx, c, "notify", global)?.map(Box::new);
    }
    d.notify_deleted = true;
    Ok(())
}

fn lvs_sync_interface(
    ctx: &mut Ctx,
    c: &Node,
    iname: &str,
    global: &Global,
    lvs_sync: &mut Option<LvsSyncInterface>,
) -> Result<(), Fatal> {
    let msg =
        format!("({iname}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.");
    ctx.error(c.loc, msg);
    // keepalived indents this line by the name's length less two (a negative width pads too).
    let pad = " ".repeat((iname.len() as isize - 2).unsigned_abs());
    ctx.error(
        c.loc,
        format!("      {pad}Please use global lvs_sync_daemon"),
    );
    let already = lvs_sync
        .as_ref()
        .map(|l| l.interface.clone())
        .or_else(|| global.lvs_sync_daemon.as_ref().map(|l| l.interface.clone()));
    if let Some(have) = already {
        let msg = format!(
            "({iname}) lvs_sync_daemon_interface has already been specified as {have} - ignoring"
        );
        ctx.error(c.loc, msg);
        return Ok(());
    }
    *lvs_sync = Some(LvsSyncInterface {
        interface: ctx::arg(c, 0)?.to_string(),
        instance: iname.to_string(),
        loc: c.loc,
    });
    Ok(())
}

/// `garp_master_delay` / `garp_lower_prio_delay`: whole seconds.
fn garp_delay(ctx: &mut Ctx, c: &Node, d: &mut Draft) -> Result<(), Fatal> {
    let v = ctx::arg(c, 0)?;
    let Some(secs) = value::unsigned(ctx, c.loc, v, 0, u32::MAX / 1_000_000) else {
        ctx.error(
            c.loc,
            format!("({}): {} '{v}' invalid - ignoring", d.name, c.kw),
        );
        return Ok(());
    };
    let delay = Duration::from_secs(u64::from(secs));
    if c.kw == "garp_master_delay" {
        d.alloc.garp_delay = delay;
    } else {
        d.garp_lower_prio_delay = Some(delay);
    }
    Ok(())
}

/// `garp_master_repeat` / `garp_master_refresh_repeat`: 0 is raised to 1.
fn garp_repeat(ctx: &mut Ctx, c: &Node, d: &mut Draft) -> Result<(), Fatal> {
    let v = ctx::arg(c, 0)?;
    let Some(mut n) = value::unsigned(ctx, c.loc, v, 0, u32::MAX) else {
        ctx.error(
            c.loc,
            format!("({}): {} '{v}' invalid - ignoring", d.name, c.kw),
        );
        return Ok(());
    };
    if n == 0 {
        let msg = format!(
            "({}): {} must be greater than 0, setting to 1",
            d.name, c.kw
        );
        ctx.error(c.loc, msg);
        n = 1;
    }
    if c.kw == "garp_master_repeat" {
        d.alloc.garp_repeat = n;
    } else {
        d.alloc.garp_refresh_repeat = n;
    }
    Ok(())
}

/// `garp_extra_if [all] SECS` (and its deprecated name `vmac_garp_intvl`).
fn garp_extra_if(ctx: &mut Ctx, c: &Node, d: &mut Draft) {
    if c.kw == "vmac_garp_intvl" {
        ctx.report(
            c.loc,
            Level::Deprecated,
            "Keyword \"vmac_garp_intvl\" is deprecated - please use \"garp_extra_if\"",
        );
    }
    let mut secs = None;
    for w in c.args() {
        if w == "all" {
            d.garp_extra_all = true;
        } else if let Some(s) = value::unsigned(ctx, c.loc, w, 0, 86400) {
            secs = Some(s);
        } else {
            let msg = format!("({}): {} '{w}' invalid - ignoring", d.name, c.kw);
            ctx.error(c.loc, msg);
            return;
        }
    }
    match secs {
        Some(s) => d.garp_extra_if = Some(Duration::from_secs(u64::from(s))),
        None => {
            let msg = format!("({}): {} specified without time - ignoring", d.name, c.kw);
            ctx.error(c.loc, msg);
        }
    }
}

fn authentication(ctx: &mut Ctx, c: &Node, d: &mut Draft) -> Result<(), Fatal> {
    for a in c.children() {
        d.at.push((a.kw, a.loc));
        let v = ctx::arg(&a, 0)?;
        match a.kw {
            "auth_type" => match v {
                "AH" => d.auth_type = Some(AuthType::Ah),
                "PASS" => d.auth_type = Some(AuthType::Pass),
                _ => ctx.error(
                    a.loc,
                    format!("({}) unknown authentication type '{v}'", d.name),
                ),
            },
            "auth_pass" => {
                let bytes = v.as_bytes();
                if bytes.len() > d.auth_key.len() {
                    ctx.error(a.loc, "Truncating auth_pass to 8 characters");
                }
                d.auth_key = [0; 8];
                for (k, b) in d.auth_key.iter_mut().zip(bytes) {
                    *k = *b;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// keepalived's checks when an instance block closes.
fn end_of_block(ctx: &mut Ctx, d: &mut Draft) {
    // Lists are complete: give back their spare room (in place, without copying).
    d.vips.shrink_to_fit();
    d.evips.shrink_to_fit();
    if d.unicast_configured && d.vmac.enabled {
        if d.iface.is_none() {
            let msg = format!(
                "({}): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac",
                d.name
            );
            ctx.error(d.end, msg);
            d.vmac = VmacDraft {
                xmit_base: d.vmac.xmit_base,
                ..VmacDraft::default()
            };
        } else if !d.vmac.xmit_base {
            let msg = format!(
                "({}) unicast with use_vmac requires vmac_xmit_base - setting",
                d.name
            );
            ctx.error(d.end, msg);
            d.vmac.xmit_base = true;
        }
    }
    if d.peers.is_empty() && d.ttl.is_some() {
        let msg = format!(
            "({}): Cannot use unicast_ttl without unicast peers - resetting",
            d.name
        );
        ctx.error(d.end, msg);
        d.ttl = Some(0);
    }
}
