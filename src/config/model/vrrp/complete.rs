//! What keepalived's VRRP process does with the configuration once it is read
//! (`vrrp_complete_init()`): minimal checks, sync group membership, then each instance's
//! effective values (defaults, version and interval rules, strict mode), VRID conflicts
//! and the tracking shared with sync groups. A failed check stops the VRRP process.

use std::net::IpAddr;

use super::conflicts;
use super::instance::{
    Auth, AuthType, ConfigFault, Family, Garp, InitialState, Instance, Transport, Version,
};
use super::read_instance::Draft;
use super::sync_group::{GroupDraft, SyncGroup};
use super::tracking::{self, IfTracker};
use super::vmac::{self, Vmac};
use crate::config::ctx::Ctx;
use crate::config::diag::Level;
use crate::config::model::global::{GarpExtraIf, Global};
use crate::config::model::ipaddr::IpAddress;
use crate::limits;
use crate::time::Duration;

/// keepalived's stop: the VRRP process would exit with a configuration error.
pub struct Stopped;

/// The priority of an address owner.
pub const PRIO_OWNER: u8 = 255;
/// Largest packet keepalived sizes adverts for (`DEFAULT_MTU`; the interface MTU is not
/// known here).
const MTU: usize = 1500;
/// Runs the whole completion; Err when keepalived's VRRP process would stop.
pub fn complete_all(
    ctx: &mut Ctx,
    global: &Global,
    drafts: Vec<Draft>,
    groups: Vec<GroupDraft>,
) -> Result<(Vec<Instance>, Vec<SyncGroup>), Stopped> {
    for d in &drafts {
        min_config(ctx, d)?;
    }
    let groups = set_groups(ctx, global, &drafts, groups);
    let mut env = Env {
        global,
        firewall_announced: global.nftables.is_some(),
        vmac_names: drafts.iter().filter_map(|d| d.vmac.name.clone()).collect(),
    };
    let mut done: Vec<(Instance, IfTracker)> = Vec::with_capacity(drafts.len());
    for d in drafts {
        let group = groups
            .iter()
            .find(|g| g.members.iter().any(|m| **m == *d.name));
        let c = complete_instance(ctx, &mut env, d, group)?;
        done.push(c);
    }
    let instances: Vec<&Instance> = done.iter().map(|(i, _)| i).collect();
    if conflicts::vrid_conflicts(ctx, &instances) {
        return Err(Stopped);
    }
    let faults = conflicts::vmac_conflicts(ctx, &instances);
    for (k, (i, _)) in done.iter_mut().enumerate() {
        if faults.contains(&k) {
            i.config_faults.push(ConfigFault::VmacConflict);
        }
    }
    let groups = tracking::sync_groups(ctx, groups, &mut done);
    let mut instances: Vec<Instance> = done
        .into_iter()
        .map(|(mut i, t)| {
            i.tracking.interfaces = t.into_refs();
            i
        })
        .collect();
    for g in &groups {
        group_start_states(g, &mut instances);
    }
    Ok((instances, groups))
}

/// A sync group starts as MASTER only if every member would (each an address owner
/// wanting MASTER); otherwise members wanting MASTER start as BACKUP too. keepalived does
/// this silently when it starts.
fn group_start_states(g: &SyncGroup, instances: &mut [Instance]) {
    let members = || instances.iter().filter(|i| g.members.contains(&i.name));
    let any_backup =
        members().any(|i| i.initial_state == InitialState::Backup || i.priority != PRIO_OWNER);
    let any_master = members().any(|i| i.initial_state == InitialState::Master);
    if any_backup && any_master {
        for i in instances.iter_mut().filter(|i| g.members.contains(&i.name)) {
            i.initial_state = InitialState::Backup;
        }
    }
}

/// keepalived's `chk_min_cfg()`. It runs before unicast is worked out, so a unicast instance
/// without an interface is refused too.
fn min_config(ctx: &mut Ctx, d: &Draft) -> Result<(), Stopped> {
    if d.vrid.is_none() {
        let msg = format!("({}) the virtual router id must be set", d.name);
        ctx.error(d.loc, msg);
        return Err(Stopped);
    }
    if d.iface.is_none() {
        ctx.error(
            d.at("interface"),
            format!("({}) Unknown interface!", d.name),
        );
        return Err(Stopped);
    }
    Ok(())
}

/// A sync group during membership resolution (keepalived's `vrrp_sync_set_group()`).
fn set_groups(
    ctx: &mut Ctx,
    global: &Global,
    drafts: &[Draft],
    groups: Vec<GroupDraft>,
) -> Vec<SyncGroup> {
    let mut out: Vec<SyncGroup> = Vec::new();
    for g in groups {
        let Some(names) = &g.members else {
            let msg = format!("Sync group {} has no virtual router(s). removing", g.name);
            ctx.error(g.loc, msg);
            continue;
        };
        let mut members = Vec::new();
        let mut owners_only: Option<bool> = None;
        for (name, loc) in names {
            let Some(d) = drafts.iter().find(|d| *d.name == **name) else {
                let msg = format!(
                    "Virtual router {name} specified in sync group {} doesn't exist - ignoring",
                    g.name
                );
                ctx.error(*loc, msg);
                continue;
            };
            let taken = out.iter().any(|o| o.members.contains(name)) || members.contains(name);
            if taken {
                let msg = format!(
                    "Virtual router {name} cannot exist in more than one sync group; ignoring {}",
                    g.name
                );
                ctx.error(*loc, msg);
                continue;
            }
            members.push(name.clone());
            // keepalived looks at the states and priorities as configured, before defaults.
            if owners_only == Some(true) && d.want == Some(InitialState::Backup) {
                let msg = format!("Sync group {} has some member(s) as address owner and some not as address owner. This won't work.", g.name);
                ctx.error(*loc, msg);
            }
            if owners_only != Some(false) {
                owners_only =
                    Some(d.want == Some(InitialState::Master) && d.priority == Some(PRIO_OWNER));
            }
        }
        if members.is_empty() {
            let msg = format!(
                "Sync group {}, no matching virtual router found in group declaration - removing",
                g.name
            );
            ctx.error(g.loc, msg);
            continue;
        }
        if members.len() == 1 {
            let msg = format!(
                "Sync group {} has only 1 virtual router(s) - this probably isn't what you want",
                g.name
            );
            ctx.error(g.loc, msg);
        }
        out.push(SyncGroup {
            name: g.name,
            loc: g.loc,
            members,
            tracking: g.tracking,
            notify: g.notify,
            smtp_alert: g
                .smtp_alert
                .or(global.smtp_alert_vrrp)
                .or(global.smtp_alert)
                .unwrap_or(false),
            tracking_weight: g.tracking_weight,
            notify_priority_changes: g.notify_priority_changes,
        });
    }
    out
}

/// State shared while completing instances one after the other.
struct Env<'a> {
    global: &'a Global,
    /// keepalived notes once that it falls back to nftables.
    firewall_announced: bool,
    /// VMAC names taken so far (configured ones, then generated ones).
    vmac_names: Vec<String>,
}

/// keepalived's `vrrp_complete_instance()`.
fn complete_instance(
    ctx: &mut Ctx,
    env: &mut Env,
    mut d: Draft,
    group: Option<&SyncGroup>,
) -> Result<(Instance, IfTracker), Stopped> {
    let p = protocol(ctx, env, &mut d)?;
    let mut l = links(ctx, env, &mut d, &p, group);
    if l.vips.is_empty() {
        let iname = &d.name;
        if p.version == Version::V3 || p.family == Family::V6 || p.strict {
            let msg = format!("({iname}) No VIP specified; at least one is required");
            ctx.error(d.end, msg);
            return Err(Stopped);
        }
        let msg = format!("({iname}) No VIP specified; at least one is sensible");
        ctx.report(d.end, Level::Warning, msg);
    }
    let ift = std::mem::take(&mut l.ift);
    Ok((assemble(env.global, d, p, l, group), ift))
}

/// The protocol values of an instance, worked out in keepalived's order.
struct Protocol {
    strict: bool,
    family: Family,
    version: Version,
    priority: u8,
    want: InitialState,
    auth: Option<Auth>,
    config_faults: Vec<ConfigFault>,
    nopreempt: bool,
    preempt_delay: Duration,
    down_timer_adverts: u32,
    accept: bool,
    transport: Transport,
    lower_prio_no_advert: bool,
    higher_prio_send_advert: bool,
    advert_int: Duration,
}

fn protocol(ctx: &mut Ctx, env: &mut Env, d: &mut Draft) -> Result<Protocol, Stopped> {
    let g = env.global;
    let strict = d.strict.unwrap_or(g.vrrp_strict);
    let (family, version) = family_version(ctx, g, d, strict);
    if d.vips.is_empty() {
        if version == Version::V3 || strict {
            let msg = format!("({}) No VIP specified; at least one is required", d.name);
            ctx.error(d.end, msg);
            return Err(Stopped);
        }
        let msg = format!("({}) No VIP specified; at least one is sensible", d.name);
        ctx.error(d.end, msg);
    }
    let (priority, mut want) = priority_and_state(ctx, d, strict);
    let auth = authentication(ctx, d, strict, family, version, priority, &mut want);
    let (unicast, fault_no_peer) = unicast(ctx, d);
    let config_faults = if fault_no_peer {
        vec![ConfigFault::NoUnicastPeers]
    } else {
        Vec::new()
    };
    if strict && d.vmac.mac.is_some() {
        let msg = format!(
            "({}): cannot specify MAC address with strict mode - clearing",
            d.name
        );
        ctx.error(d.at("use_vmac"), msg);
        d.vmac.mac = None;
    }
    first_vip_link_local(ctx, d, family, unicast, strict);
    move_excess_vips(ctx, d, family, version, auth);
    let (nopreempt, preempt_delay) = preemption(ctx, d, strict, priority, want);
    let mut down_timer_adverts = d.alloc.down_timer_adverts;
    if down_timer_adverts != 3 && strict {
        let msg = format!(
            "({}) down_timer_adverts is incompatible with strict mode - resetting",
            d.name
        );
        ctx.error(d.at("down_timer_adverts"), msg);
        down_timer_adverts = 3;
    }
    let accept = accept_mode(ctx, env, d, strict, priority, version);
    let transport = transport(ctx, g, d, family, unicast);
    let (lower_prio_no_advert, higher_prio_send_advert) = advert_options(ctx, g, d, strict);
    Ok(Protocol {
        strict,
        family,
        version,
        priority,
        want,
        auth,
        config_faults,
        nopreempt,
        preempt_delay,
        down_timer_adverts,
        accept,
        transport,
        lower_prio_no_advert,
        higher_prio_send_advert,
        advert_int: advert_interval(ctx, d, version),
    })
}

/// The base priority (255 for an initial MASTER without one) and the initial state (from
/// the priority when unset; strict mode wants MASTER exactly for the address owner).
fn priority_and_state(ctx: &mut Ctx, d: &Draft, strict: bool) -> (u8, InitialState) {
    let priority = d.priority.unwrap_or(match d.want {
        Some(InitialState::Master) => PRIO_OWNER,
        _ => 100,
    });
    let owner_state = if priority == PRIO_OWNER {
        InitialState::Master
    } else {
        InitialState::Backup
    };
    let want = match d.want {
        None => owner_state,
        Some(w) if strict && (w == InitialState::Master) != (priority == PRIO_OWNER) => {
            let msg = format!("({}) State MASTER must match being address owner", d.name);
            ctx.error(d.at("state"), msg);
            owner_state
        }
        Some(w) => w,
    };
    (priority, want)
}

/// Where an instance runs and what it follows: VMAC, addresses and tracked interfaces.
struct Links {
    configured: Option<String>,
    vmac: Option<Vmac>,
    promote_secondaries: bool,
    vips: Vec<IpAddress>,
    evips: Vec<IpAddress>,
    ift: IfTracker,
    garp: Garp,
}

fn links(
    ctx: &mut Ctx,
    env: &mut Env,
    d: &mut Draft,
    p: &Protocol,
    group: Option<&SyncGroup>,
) -> Links {
    let g = env.global;
    let vmac = resolve_vmac(ctx, env, d, p.strict, p.family, d.vrid.unwrap_or(0));
    let promote_secondaries = if d.promote_secondaries && vmac.is_some() {
        let msg = format!(
            "({}) promote_secondaries is automatically set for vmacs - ignoring",
            d.name
        );
        ctx.error(d.at("promote_secondaries"), msg);
        false
    } else {
        d.promote_secondaries
    };
    if d.vmac.xmit_base && vmac.is_none() {
        let msg = format!("({}) vmac_xmit_base is only valid with a vmac", d.name);
        ctx.error(d.at("vmac_xmit_base"), msg);
    }
    let configured = d.iface.clone();
    let run_if = vmac.as_ref().map(|v| v.name.clone()).or(configured.clone());
    tracking::drop_own_interface(ctx, d, configured.as_deref());
    let in_group_no_weights = group.is_some_and(|s| !s.tracking_weight);
    let iname = d.name.clone();
    let owner = p.priority == PRIO_OWNER;
    tracking::force_weights(ctx, &iname, &mut d.tracking, in_group_no_weights, owner);
    let mut ift = IfTracker::default();
    tracking::own_interfaces(d, &mut ift, configured.as_deref(), run_if.as_deref());
    let (vips, evips, extra_if) = address_interfaces(
        d,
        &mut ift,
        p.family,
        configured.as_deref(),
        run_if.as_deref(),
    );
    let garp = Garp {
        master_delay: d.alloc.garp_delay,
        master_repeat: d.alloc.garp_repeat,
        master_refresh: d.alloc.garp_refresh,
        master_refresh_repeat: d.alloc.garp_refresh_repeat,
        lower_prio_delay: Duration::ZERO,
        lower_prio_repeat: 0,
        extra_if: garp_extra_if(g, d, extra_if),
    };
    Links {
        configured,
        vmac,
        promote_secondaries,
        vips,
        evips,
        ift,
        garp: lower_prio_garp(ctx, g, d, p.strict, garp),
    }
}

/// The finished instance.
fn assemble(
    g: &Global,
    mut d: Draft,
    p: Protocol,
    l: Links,
    group: Option<&SyncGroup>,
) -> Instance {
    Instance {
        name: d.name.to_string(),
        loc: d.loc,
        vrid: d.vrid.unwrap_or(0),
        family: p.family,
        version: p.version,
        interface: l.configured,
        vmac: l.vmac,
        initial_state: p.want,
        priority: p.priority,
        advert_int: p.advert_int,
        auth: p.auth,
        vips: l.vips,
        evips: l.evips,
        routes: std::mem::take(&mut d.routes),
        rules: std::mem::take(&mut d.rules),
        transport: p.transport,
        src_addr: d.src,
        track_src_ip: d.track_src_ip && d.src_from_config,
        old_unicast_checksum: d.checksum,
        accept: p.accept,
        nopreempt: p.nopreempt,
        preempt_delay: p.preempt_delay,
        strict: p.strict,
        skip_check_adv_addr: d.skip_check_adv_addr,
        garp: l.garp,
        down_timer_adverts: p.down_timer_adverts,
        lower_prio_no_advert: p.lower_prio_no_advert,
        higher_prio_send_advert: p.higher_prio_send_advert,
        promote_secondaries: l.promote_secondaries,
        dont_track_primary: d.dont_track_primary,
        tracking: d.tracking,
        notify: d.notify,
        notify_deleted: d.notify_deleted,
        notify_deleted_script: d.notify_deleted_script,
        notify_master_rx_lower_pri: d.notify_master_rx_lower_pri,
        smtp_alert: d
            .smtp_alert
            .or(g.smtp_alert_vrrp)
            .or(g.smtp_alert)
            .unwrap_or(false),
        notify_priority_changes: d
            .notify_priority_changes
            .or(group.and_then(|s| s.notify_priority_changes))
            .unwrap_or(g.vrrp_notify_priority_changes),
        sync_group: group.map(|s| s.name.clone()),
        config_faults: p.config_faults,
        debug: d.debug,
    }
}

/// The address family (IPv4 unless something said otherwise) and the VRRP version.
fn family_version(ctx: &mut Ctx, g: &Global, d: &Draft, strict: bool) -> (Family, Version) {
    let mut version = d.version;
    if d.family == Some(Family::V6) {
        if version == Some(Version::V2) && strict {
            let msg = format!(
                "({}) cannot use IPv6 with VRRP version 2; setting version 3",
                d.name
            );
            ctx.error(d.at("version"), msg);
            version = Some(Version::V3);
        } else if version.is_none() {
            version = Some(Version::V3);
        }
    }
    let family = d.family.unwrap_or(Family::V4);
    let global_version = if g.vrrp_version == 3 {
        Version::V3
    } else {
        Version::V2
    };
    (family, version.unwrap_or(global_version))
}

/// Authentication after keepalived's exclusions (strict mode, VRRPv3, no password, AH with
/// IPv6); AH also refuses an initial MASTER state unless owner.
fn authentication(
    ctx: &mut Ctx,
    d: &Draft,
    strict: bool,
    family: Family,
    version: Version,
    priority: u8,
    want: &mut InitialState,
) -> Option<Auth> {
    let kind = d.auth_type?;
    let loc = d.at("auth_type");
    let why = if strict {
        Some("Strict mode does not support authentication. Ignoring.")
    } else if version == Version::V3 {
        Some("VRRP version 3 does not support authentication. Ignoring.")
    } else if d.auth_key[0] == 0 {
        Some("Authentication specified but no password given. Ignoring")
    } else if family == Family::V6 && kind == AuthType::Ah {
        Some("Cannot use AH authentication with IPv6. ignoring")
    } else {
        None
    };
    if let Some(why) = why {
        ctx.error(loc, format!("({}) {why}", d.name));
        return None;
    }
    if kind == AuthType::Ah && *want == InitialState::Master && priority != PRIO_OWNER {
        let msg = format!(
            "({}) Initial state master is incompatible with AH authentication - clearing",
            d.name
        );
        ctx.error(loc, msg);
        *want = InitialState::Backup;
    }
    Some(Auth {
        kind,
        key: d.auth_key,
    })
}

/// Whether the instance really is unicast (it has peers), and whether it is held in FAULT
/// for having asked for unicast without peers.
fn unicast(ctx: &mut Ctx, d: &Draft) -> (bool, bool) {
    if !d.unicast_configured {
        return (false, false);
    }
    if !d.peers.is_empty() {
        return (true, false);
    }
    let loc = [
        "unicast_peer",
        "unicast_src_ip",
        "check_unicast_src",
        "old_unicast_checksum",
        "unicast_fault_no_peer",
    ]
    .iter()
    .find_map(|k| d.last_at(k))
    .unwrap_or(d.loc);
    if d.fault_no_peer {
        let msg = format!(
            "({}) Cannot use unicast without any peers - going to fault state",
            d.name
        );
        ctx.info(loc, msg);
        return (false, true);
    }
    let msg = format!("({}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.", d.name);
    ctx.report(loc, Level::Deprecated, msg);
    (false, false)
}

fn first_vip_link_local(ctx: &mut Ctx, d: &Draft, family: Family, unicast: bool, strict: bool) {
    if family != Family::V6 || unicast {
        return;
    }
    let Some(first) = d.vips.first() else {
        return;
    };
    let link_local = match first.addr {
        IpAddr::V6(a) => a.segments()[0] & 0xffc0 == 0xfe80,
        IpAddr::V4(_) => true,
    };
    if link_local {
        return;
    }
    if strict {
        let msg = format!("({}) the first IPv6 VIP address must be link local", d.name);
        ctx.error(first.loc, msg);
    } else {
        let msg = format!(
            "({}) the first IPv6 VIP address should be link local",
            d.name
        );
        ctx.info(first.loc, msg);
    }
}

/// Addresses beyond what fits in an advert become eVIPs (not advertised, still added).
fn move_excess_vips(
    ctx: &mut Ctx,
    d: &mut Draft,
    family: Family,
    version: Version,
    auth: Option<Auth>,
) {
    const ETHER: usize = 14;
    const VRRP_HDR: usize = 8;
    let max = match family {
        Family::V4 => {
            let mut hdr = ETHER + 20 + VRRP_HDR;
            if version == Version::V2 {
                hdr += 8;
                if auth.is_some_and(|a| a.kind == AuthType::Ah) {
                    hdr += 24;
                }
            }
            (MTU - hdr) / 4
        }
        Family::V6 => (MTU - ETHER - 40 - VRRP_HDR) / 16,
    }
    .min(limits::MAX_VIPS_PER_INSTANCE);
    if d.vips.len() > max {
        let msg = format!("({}) Number of VIPs ({}) exceeds maximum/space available in packet (max {max} addresses) - excess moved to eVIPs", d.name, d.vips.len());
        ctx.error(d.at("virtual_ipaddress"), msg);
        let excess = d.vips.split_off(max);
        d.evips.extend(excess);
    }
    if d.evips.len() > limits::MAX_EVIPS_PER_INSTANCE {
        let msg = format!(
            "({}) more than MAX_EVIPS_PER_INSTANCE ({}) - ignoring the rest",
            d.name,
            limits::MAX_EVIPS_PER_INSTANCE
        );
        ctx.error(d.at("virtual_ipaddress"), msg);
        d.evips.truncate(limits::MAX_EVIPS_PER_INSTANCE);
    }
}

/// `nopreempt` and `preempt_delay` after keepalived's exclusions.
fn preemption(
    ctx: &mut Ctx,
    d: &Draft,
    strict: bool,
    priority: u8,
    want: InitialState,
) -> (bool, Duration) {
    let iname = &d.name;
    let mut nopreempt = d.nopreempt;
    let mut delay = d.preempt_delay_us;
    if priority == PRIO_OWNER && nopreempt {
        let msg =
            format!("({iname}) nopreempt is incompatible with priority 255. resetting nopreempt");
        ctx.error(d.at("nopreempt"), msg);
        nopreempt = false;
    }
    if want == InitialState::Master {
        if nopreempt {
            let msg = format!(
                "({iname}) Warning - nopreempt will not work with initial state MASTER - clearing"
            );
            ctx.error(d.at("nopreempt"), msg);
            nopreempt = false;
        }
        if delay != 0 {
            let msg = format!("({iname}) Warning - preempt delay will not work with initial state MASTER - clearing");
            ctx.error(d.at("preempt_delay"), msg);
            delay = 0;
        }
    }
    if delay != 0 {
        // Both are reported when both apply.
        if strict {
            let msg =
                format!("({iname}) preempt_delay is incompatible with strict mode - resetting");
            ctx.error(d.at("preempt_delay"), msg);
            delay = 0;
        }
        if nopreempt {
            let msg =
                format!("({iname}) preempt_delay is incompatible with nopreempt mode - resetting");
            ctx.error(d.at("preempt_delay"), msg);
            delay = 0;
        }
    }
    (nopreempt, Duration::from_micros(delay))
}

/// Accept mode: on unless strict (owners always), never for a strict VRRPv2 non-owner.
fn accept_mode(
    ctx: &mut Ctx,
    env: &mut Env,
    d: &Draft,
    strict: bool,
    priority: u8,
    version: Version,
) -> bool {
    let mut accept = d.accept.unwrap_or(priority == PRIO_OWNER || !strict);
    if accept && priority != PRIO_OWNER && strict && version == Version::V2 {
        let msg = format!(
            "({}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting",
            d.name
        );
        ctx.error(d.at("accept"), msg);
        accept = false;
    }
    if (!accept || d.vmac.enabled) && !env.firewall_announced {
        ctx.info(
            d.loc,
            "use_vmac or no_accept/strict specified, but no firewall configured - using nftables",
        );
        env.firewall_announced = true;
    }
    accept
}

/// Multicast group or unicast peers.
fn transport(ctx: &mut Ctx, g: &Global, d: &Draft, family: Family, unicast: bool) -> Transport {
    if unicast {
        if d.mcast_dst.is_some() {
            let msg = format!(
                "({}) multicast destination specified with unicast - ignoring",
                d.name
            );
            ctx.error(d.at("mcast_dst_ip"), msg);
        }
        let ttl = match (d.ttl, family) {
            (Some(t), _) => Some(t),
            (None, Family::V4) => Some(255),
            (None, Family::V6) => None,
        };
        return Transport::Unicast {
            peers: d.peers.clone(),
            ttl,
            check_src: d.check_unicast_src || g.vrrp_check_unicast_src,
        };
    }
    let group = d.mcast_dst.unwrap_or(match family {
        Family::V4 => IpAddr::V4(g.vrrp_mcast_group4),
        Family::V6 => IpAddr::V6(g.vrrp_mcast_group6),
    });
    Transport::Multicast { group }
}

/// `garp_lower_prio_*`: global defaults, and none at all in strict mode.
fn lower_prio_garp(ctx: &mut Ctx, g: &Global, d: &Draft, strict: bool, mut garp: Garp) -> Garp {
    garp.lower_prio_repeat = match d.garp_lower_prio_repeat {
        None if strict => 0,
        None => g
            .vrrp_garp_lower_prio_repeat
            .unwrap_or(g.vrrp_garp_master_repeat),
        Some(n) if strict && n != 0 => {
            let msg = format!(
                "({}) Strict mode requires no repeat garps. resetting",
                d.name
            );
            ctx.error(d.at("garp_lower_prio_repeat"), msg);
            0
        }
        Some(n) => n,
    };
    garp.lower_prio_delay = match d.garp_lower_prio_delay {
        None if strict => Duration::ZERO,
        None => g
            .vrrp_garp_lower_prio_delay
            .unwrap_or(g.vrrp_garp_master_delay),
        Some(t) if strict && t != Duration::ZERO => {
            let msg = format!(
                "({}) Strict mode requires no repeat garp delay. resetting",
                d.name
            );
            ctx.error(d.at("garp_lower_prio_delay"), msg);
            Duration::ZERO
        }
        Some(t) => t,
    };
    garp
}

/// `lower_prio_no_advert` and `higher_prio_send_advert`, forced by strict mode.
fn advert_options(ctx: &mut Ctx, g: &Global, d: &Draft, strict: bool) -> (bool, bool) {
    let lower = match d.lower_prio_no_advert {
        None => strict || g.vrrp_lower_prio_no_advert,
        Some(false) if strict => {
            let msg = format!(
                "({}) Strict mode requires no lower priority advert. resetting",
                d.name
            );
            ctx.error(d.at("lower_prio_no_advert"), msg);
            true
        }
        Some(v) => v,
    };
    let higher = match d.higher_prio_send_advert {
        None => !strict && g.vrrp_higher_prio_send_advert,
        Some(true) if strict => {
            let msg = format!(
                "({}) strict mode requires higher_prio_send_advert to be clear. resetting",
                d.name
            );
            ctx.error(d.at("higher_prio_send_advert"), msg);
            false
        }
        Some(v) => v,
    };
    (lower, higher)
}

/// The advert interval in the units the version carries: whole seconds (v2), centiseconds
/// (v3), rounded half up.
fn advert_interval(ctx: &mut Ctx, d: &Draft, version: Version) -> Duration {
    let mut us = d.advert_us.unwrap_or(1_000_000);
    let loc = d.at("advert_int");
    let secs = us as f64 / 1e6;
    let iname = &d.name;
    match version {
        Version::V2 => {
            if us >= 256 * 1_000_000 {
                let msg = format!("({iname}) VRRPv2 advertisement interval {secs:.2}s is out of range. Must be less than 256s. Setting to 255s");
                ctx.error(loc, msg);
                us = 255 * 1_000_000;
            } else if us % 1_000_000 != 0 {
                let msg = format!(
                    "({iname}) VRRPv2 advertisement interval {secs:.6}s must be an integer. rounding"
                );
                ctx.error(loc, msg);
                us = round_to(us, 1_000_000);
            }
        }
        Version::V3 => {
            if us >= 4096 * 10_000 {
                let msg = format!("({iname}) VRRPv3 advertisement interval {secs:.2}s is out of range. Must be less than 40.96s. Setting to 40.95s");
                ctx.error(loc, msg);
                us = 4095 * 10_000;
            } else if us % 10_000 != 0 {
                let msg = format!(
                    "({iname}) VRRPv3 advertisement interval {secs:.6}s must be in units of 10ms - rounding"
                );
                ctx.error(loc, msg);
                us = round_to(us, 10_000);
            }
        }
    }
    Duration::from_micros(us)
}

/// Rounds half up to a multiple of `unit`, never to zero.
fn round_to(us: u64, unit: u64) -> u64 {
    let r = (us + unit / 2) / unit * unit;
    r.max(unit)
}

/// The VMAC's effective name and MAC.
fn resolve_vmac(
    ctx: &mut Ctx,
    env: &mut Env,
    d: &mut Draft,
    strict: bool,
    family: Family,
    vrid: u8,
) -> Option<Vmac> {
    if !d.vmac.enabled {
        return None;
    }
    let ipv6 = family == Family::V6;
    // keepalived first takes over an existing VMAC of this VRID and family on the same
    // parent (a private-mode macvlan with the default virtual MAC): one left by a run that
    // did not clean up, or its own on a reload. Making another would fail: two macvlans on
    // a parent cannot share a MAC.
    let p = vmac::VRRP_MAC_PREFIX;
    let default_mac = [p[0], p[1], p[2], p[3], if ipv6 { 2 } else { 1 }, vrid];
    let found = d
        .iface
        .as_deref()
        .and_then(|parent| ctx.host.matching_vmac(parent, default_mac));
    if let Some(f) = &found {
        let at = d.at("use_vmac");
        ctx.info(at, format!("({}) Found matching interface {f}", d.name));
        if let Some(n) = d.vmac.name.as_ref().filter(|n| *n != f) {
            let msg = format!(
                "({}) vmac name mismatch {n} <=> {f}. changing to {f}.",
                d.name
            );
            ctx.info(at, msg);
        }
        env.vmac_names.push(f.clone());
    }
    let name = match (found, &d.vmac.name) {
        (Some(f), _) => f,
        (None, Some(n)) => n.clone(),
        (None, None) => {
            let host = ctx.host;
            let taken = &env.vmac_names;
            let n = vmac::generate_name(&env.global.vmac_prefix, vrid, ipv6, |n| {
                taken.iter().any(|t| t == n) || host.interface_exists(n)
            });
            env.vmac_names.push(n.clone());
            n
        }
    };
    let mut xmit_base = d.vmac.xmit_base;
    if strict && xmit_base {
        let msg = format!(
            "({}) xmit_base is incompatible with strict mode - resetting",
            d.name
        );
        ctx.error(d.at("vmac_xmit_base"), msg);
        xmit_base = false;
    }
    d.vmac.xmit_base = xmit_base;
    let (mac, mac_configured) = vmac::mac_for(&d.vmac, vrid, ipv6);
    Some(Vmac {
        name,
        mac,
        mac_configured,
        xmit_base,
    })
}

/// Gives every VIP and eVIP the interface it goes on (the instance's, or its VMAC for
/// addresses of the instance's family) and tracks those interfaces. Returns the addresses
/// and whether any is on another interface than the instance runs on.
fn address_interfaces(
    d: &mut Draft,
    ift: &mut IfTracker,
    family: Family,
    configured: Option<&str>,
    run_if: Option<&str>,
) -> (Vec<IpAddress>, Vec<IpAddress>, bool) {
    let mut extra = false;
    let has_vmac = d.vmac.enabled;
    let mut place = |a: &mut IpAddress| {
        let own = a.dev.is_none() || a.dev.as_deref() == configured;
        let dev = if own && has_vmac && Family::of(&a.addr) == family {
            run_if
        } else if own {
            configured
        } else {
            a.dev.as_deref()
        };
        let Some(dev) = dev.map(str::to_string) else {
            return;
        };
        if Some(dev.as_str()) != run_if {
            extra = true;
        }
        // Without dont_track_primary an address's interface is tracked; with it, only
        // interfaces other than the instance's own.
        let primary = Some(dev.as_str()) == run_if || Some(dev.as_str()) == configured;
        if !d.dont_track_primary || !primary {
            ift.add(&dev, Some(0), false, tracking::Via::Address, a.loc);
        }
        a.dev = Some(dev);
    };
    let mut vips = std::mem::take(&mut d.vips);
    let mut evips = std::mem::take(&mut d.evips);
    vips.iter_mut().for_each(&mut place);
    evips.iter_mut().for_each(&mut place);
    (vips, evips, extra)
}

/// Periodic GARPs on extra interfaces: the instance's setting or the global one, kept only
/// when `all` is set and some address is on another interface.
fn garp_extra_if(g: &Global, d: &Draft, extra: bool) -> Option<GarpExtraIf> {
    let (interval, all) = match d.garp_extra_if {
        Some(t) => (t, d.garp_extra_all),
        None => match g.vrrp_garp_extra_if {
            Some(e) => (e.interval, e.all || d.garp_extra_all),
            None => (Duration::ZERO, d.garp_extra_all),
        },
    };
    (interval != Duration::ZERO && extra && all).then_some(GarpExtraIf { all, interval })
}
