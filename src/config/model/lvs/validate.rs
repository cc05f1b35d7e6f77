//! What keepalived's checker process does once the configuration is read: link virtual
//! servers to their groups, then check and complete every virtual server (defaults,
//! protocol, ports, duplicates, quorum) and resolve checker inheritance.

use super::draft::{
    CheckerDraft, Drafts, Fwd, Method, RsDraft, Svc, Timing, VsDraft, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DELAY_LOOP, DEFAULT_PERSISTENCE,
};
use super::names;
use super::ssl_files;
use super::{
    CheckDefaults, CheckKind, Checker, Connection, Family, Forwarding, GroupEntry, Lvs, Protocol,
    RealServer, Scheduler, Service, SorryServer, VirtualServer, VsGroup,
};
use crate::config::ctx::Ctx;
use crate::config::diag::Fatal;
use crate::config::model::global::Global;
use crate::time::Duration;

pub fn run(ctx: &mut Ctx, global: &Global, d: Drafts) -> Result<Lvs, Fatal> {
    let linked = link_groups(ctx, &d.groups, d.vss);
    let virtual_servers: Vec<VirtualServer> = linked
        .into_iter()
        .filter_map(|(vs, seq)| virtual_server(ctx, global, &d.groups, vs, seq))
        .collect();
    let mut ssl = d.ssl;
    // keepalived builds its SSL context only when an SSL_GET needs it.
    let ssl_required = virtual_servers.iter().any(|v| {
        v.real_servers.iter().any(|r| {
            r.checkers
                .iter()
                .any(|c| matches!(c.kind, CheckKind::Ssl(_)))
        })
    });
    if let (true, Some(s)) = (ssl_required, ssl.as_mut()) {
        ssl_files::load(ctx, s)?;
    }
    Ok(Lvs {
        ssl,
        groups: d.groups,
        virtual_servers,
    })
}

/// keepalived's `link_vsg_to_vs()`: drops group users whose group is missing or whose
/// family does not fit (logged only), settles their family, and numbers the users of
/// each group.
fn link_groups(ctx: &mut Ctx, groups: &[VsGroup], vss: Vec<VsDraft>) -> Vec<(VsDraft, u16)> {
    let mut kept = Vec::new();
    for mut vs in vss {
        let Svc::Group(name) = &vs.svc else {
            kept.push(vs);
            continue;
        };
        let shown = names::vs(&vs.svc, vs.protocol, 0);
        let Some(g) = groups.iter().find(|g| &g.name == name) else {
            let msg = format!(
                "Virtual server group {name} specified but not configured - ignoring virtual server {shown}"
            );
            ctx.info(vs.loc, msg);
            continue;
        };
        let (v4, v6) = (g.has_family(Family::Inet), g.has_family(Family::Inet6));
        let group_af = match (v4, v6) {
            (true, false) => Some(Family::Inet),
            (false, true) => Some(Family::Inet6),
            _ => None,
        };
        let msg = if v4 && v6 && vs.af.is_some() {
            Some(format!(
                "{name}: virtual server group with IPv4 & IPv6 doesn't match virtual server {shown} - ignoring"
            ))
        } else if (v4 && vs.af == Some(Family::Inet6)) || (v6 && vs.af == Some(Family::Inet)) {
            Some(format!(
                "{name}: address family doesn't match virtual server {shown} - ignoring"
            ))
        } else {
            None
        };
        if let Some(msg) = msg {
            ctx.info(vs.loc, msg);
            continue;
        }
        if group_af.is_some() {
            vs.af = vs.af.or(group_af);
        } else if vs.af.is_none()
            && g.entries
                .iter()
                .any(|e| matches!(e, GroupEntry::Fwmark { family: None, .. }))
        {
            let msg = format!(
                "{name}: Virtual server {shown} address family cannot be determined, defaulting to IPv4"
            );
            ctx.info(vs.loc, msg);
            vs.af = Some(Family::Inet);
        }
        kept.push(vs);
    }
    let mut out = Vec::with_capacity(kept.len());
    for vs in kept {
        let seq = match &vs.svc {
            Svc::Group(name) => out
                .iter()
                .filter(|(v, _): &&(VsDraft, u16)| matches!(&v.svc, Svc::Group(n) if n == name))
                .count() as u16,
            _ => 0,
        };
        out.push((vs, seq));
    }
    out
}

/// One virtual server as keepalived's `validate_check_config()` sees it; None when it is
/// dropped (reported).
fn virtual_server(
    ctx: &mut Ctx,
    global: &Global,
    groups: &[VsGroup],
    mut vs: VsDraft,
    seq: u16,
) -> Option<VirtualServer> {
    let group = match &vs.svc {
        Svc::Group(name) => groups.iter().find(|g| &g.name == name),
        _ => None,
    };
    if !service_checks(ctx, &mut vs, seq, group) {
        return None;
    }
    let scheduler = vs.sched.unwrap_or_else(|| {
        let msg = format!(
            "Virtual server {}: no scheduler set, setting default 'wlc'",
            names::vs(&vs.svc, vs.protocol, seq)
        );
        ctx.error(vs.loc, msg);
        Scheduler::Wlc
    });
    let vs_defaults = vs_defaults(&vs);
    let (rs_list, weight_sum) = real_servers(ctx, global, &mut vs, seq, &vs_defaults);
    let sorry_fwd = vs.sorry.as_ref().map(|s| s.fwd);
    if let Some(fwd) = sorry_fwd.filter(|f| f.method.is_none()) {
        let resolved = inherit_forwarding(ctx, &mut vs, seq, fwd);
        if let Some(s) = vs.sorry.as_mut() {
            s.fwd = resolved;
        }
    }
    quorum(ctx, &mut vs, seq, weight_sum);
    let (mut real_servers, sorry_server) = fix_ports(ctx, &vs, seq, rs_list, group);
    for (rs, r) in vs.rs.iter().zip(real_servers.iter_mut()) {
        r.checkers = rs
            .checkers
            .iter()
            .map(|c| checker(global, &vs, rs, r, c))
            .collect();
    }
    let smtp_alert = vs
        .smtp_alert
        .or(global.smtp_alert_checker)
        .or(global.smtp_alert)
        .unwrap_or(false);
    Some(VirtualServer {
        service: match &vs.svc {
            Svc::Addr { ip, port } => Service::Addr {
                ip: *ip,
                port: *port,
            },
            Svc::Fwmark(m) => Service::Fwmark(*m),
            Svc::Group(name) => Service::Group {
                name: name.clone(),
                seq,
            },
        },
        family: vs.af,
        protocol: vs.protocol,
        scheduler,
        sched_flags: vs.sched_flags,
        ops: vs.ops,
        forwarding: forwarding(vs.fwd),
        persistence_timeout: (vs.persistence_timeout != 0).then_some(vs.persistence_timeout),
        persistence_granularity: vs.persistence_granularity,
        persistence_engine: vs.persistence_engine,
        ha_suspend: vs.ha_suspend,
        alpha: vs.alpha,
        omega: vs.omega,
        inhibit_on_failure: vs.inhibit,
        quorum: vs.quorum,
        hysteresis: vs.hysteresis,
        quorum_up: vs.quorum_up,
        quorum_down: vs.quorum_down,
        sorry_server,
        virtualhost: vs.virtualhost,
        smtp_alert,
        weight: vs.weight,
        defaults: vs_defaults,
        real_servers,
        loc: vs.loc,
    })
}

/// The service-level checks, in keepalived's order: real servers present, no ha_suspend
/// with fwmarks, protocol/ops/port rules of address services, persistence of port-less
/// group entries, no protocol for pure fwmark services. False: the service is dropped.
fn service_checks(ctx: &mut Ctx, vs: &mut VsDraft, seq: u16, group: Option<&VsGroup>) -> bool {
    let has_fwmarks = group.is_some_and(|g| g.entries.iter().any(is_fwmark));
    let has_ranges = group.is_some_and(|g| g.entries.iter().any(|e| !is_fwmark(e)));
    let fwmark_service = matches!(vs.svc, Svc::Fwmark(_));
    let loc = vs.loc;
    if vs.rs.is_empty() {
        let name = names::vs(&vs.svc, vs.protocol, seq);
        ctx.error(
            loc,
            format!("Virtual server {name} has no real servers - ignoring"),
        );
        return false;
    }
    if vs.ha_suspend && (fwmark_service || has_fwmarks) {
        let msg = format!(
            "Virtual server {}: cannot use ha_suspend with fwmarks - clearing ha_suspend",
            names::vs(&vs.svc, vs.protocol, seq)
        );
        ctx.error(loc, msg);
        vs.ha_suspend = false;
    }
    if has_ranges || matches!(vs.svc, Svc::Addr { .. }) {
        address_service_checks(ctx, vs, seq);
    }
    if vs.persistence_timeout == 0 && group.is_some_and(|g| g.entries.iter().any(zero_port)) {
        let msg = format!(
            "Virtual server {}: zero port only valid for persistent services - setting",
            names::vs(&vs.svc, vs.protocol, seq)
        );
        ctx.error(loc, msg);
        vs.persistence_timeout = DEFAULT_PERSISTENCE;
    }
    if vs.protocol.is_some() && (fwmark_service || (has_fwmarks && !has_ranges)) {
        let msg = format!(
            "Warning: Virtual server {}: protocol specified for fwmark - protocol will be ignored",
            names::vs(&vs.svc, vs.protocol, seq)
        );
        ctx.error(loc, msg);
        vs.protocol = None;
    }
    true
}

fn is_fwmark(e: &GroupEntry) -> bool {
    matches!(e, GroupEntry::Fwmark { .. })
}

fn zero_port(e: &GroupEntry) -> bool {
    matches!(e, GroupEntry::Range { port: 0, .. })
}

/// Protocol, one-packet scheduling and port checks of services defined by address.
fn address_service_checks(ctx: &mut Ctx, vs: &mut VsDraft, seq: u16) {
    let loc = vs.loc;
    let protocol = match vs.protocol {
        Some(p) => p,
        None => {
            let msg = format!(
                "Virtual server {}: no protocol set - defaulting to UDP",
                names::vs(&vs.svc, None, seq)
            );
            ctx.error(loc, msg);
            Protocol::Udp
        }
    };
    vs.protocol = Some(protocol);
    let name = names::vs(&vs.svc, vs.protocol, seq);
    if vs.ops && protocol != Protocol::Udp {
        let msg = format!("Virtual server {name}: one packet scheduling requires UDP - resetting");
        ctx.error(loc, msg);
        vs.ops = false;
    }
    if vs.persistence_timeout == 0 && matches!(vs.svc, Svc::Addr { port: 0, .. }) {
        let msg = format!(
            "Virtual server {name}: zero port only valid for persistent services - setting"
        );
        ctx.error(loc, msg);
        vs.persistence_timeout = DEFAULT_PERSISTENCE;
    }
}

fn vs_defaults(vs: &VsDraft) -> CheckDefaults {
    let t = vs.timing.get();
    CheckDefaults {
        retry: t.retry,
        delay_before_retry: t.delay_before_retry,
        warmup: t.warmup,
        delay_loop: t.delay_loop.unwrap_or(DEFAULT_DELAY_LOOP),
        connect_timeout: t.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        alpha: vs.alpha,
    }
}

/// A server without its own forwarding method takes the virtual server's; NAT when that
/// has none either (with keepalived's message, once).
fn inherit_forwarding(ctx: &mut Ctx, vs: &mut VsDraft, seq: u16, own: Fwd) -> Fwd {
    if own.method.is_some() {
        return own;
    }
    if vs.fwd.method.is_none() {
        let msg = format!(
            "Virtual server {}: no forwarding method set, setting default NAT",
            names::vs(&vs.svc, vs.protocol, seq)
        );
        ctx.error(vs.loc, msg);
        vs.fwd.method = Some(Method::Nat);
    }
    vs.fwd
}

/// Removes duplicate real servers and completes the others from the virtual server;
/// returns them (ports as configured, checkers still to do) and their weight sum.
fn real_servers(
    ctx: &mut Ctx,
    global: &Global,
    vs: &mut VsDraft,
    seq: u16,
    vs_defaults: &CheckDefaults,
) -> (Vec<RealServer>, u32) {
    let mut drafts = std::mem::take(&mut vs.rs);
    let mut kept: Vec<RsDraft> = Vec::with_capacity(drafts.len());
    let mut out = Vec::with_capacity(drafts.len());
    let mut weight_sum: u32 = 0;
    for mut rs in drafts.drain(..) {
        let rs_name = names::trio(&rs.ip, vs.protocol, rs.port);
        if kept.iter().any(|k| k.ip == rs.ip && k.port == rs.port) {
            let msg = format!(
                "VS {}: real server {rs_name} is duplicated - removing second rs",
                names::vs(&vs.svc, vs.protocol, seq)
            );
            ctx.error(rs.loc, msg);
            continue;
        }
        rs.fwd = inherit_forwarding(ctx, vs, seq, rs.fwd);
        let inhibit = rs.inhibit.unwrap_or(vs.inhibit);
        let weight = rs.weight.unwrap_or(vs.weight);
        weight_sum = weight_sum.wrapping_add(weight);
        let smtp_alert = rs
            .smtp_alert
            .or(global.smtp_alert_checker)
            .or(global.smtp_alert)
            .unwrap_or(true);
        if let Some(s) = vs.sorry.as_mut() {
            if s.ip == rs.ip && s.port == rs.port && s.inhibit != inhibit {
                let msg = format!(
                    "Virtual server {}: real server {rs_name} matches sorry server, but inhibit setting differs, {}ing on sorry server",
                    names::vs(&vs.svc, vs.protocol, seq),
                    if inhibit { "sett" } else { "clear" }
                );
                ctx.error(s.loc, msg);
                s.inhibit = inhibit;
            }
        }
        out.push(RealServer {
            ip: rs.ip,
            port: rs.port,
            weight,
            forwarding: forwarding(rs.fwd),
            u_threshold: rs.u_threshold,
            l_threshold: rs.l_threshold,
            inhibit_on_failure: inhibit,
            notify_up: rs.notify_up.take(),
            notify_down: rs.notify_down.take(),
            smtp_alert,
            virtualhost: rs.virtualhost.clone(),
            defaults: rs_defaults(&rs.timing.get(), rs.alpha, vs_defaults),
            checkers: Vec::new(),
            file_checks: std::mem::take(&mut rs.file_checks),
            loc: rs.loc,
        });
        kept.push(rs);
    }
    vs.rs = kept;
    (out, weight_sum)
}

fn rs_defaults(t: &Timing, alpha: Option<bool>, vs: &CheckDefaults) -> CheckDefaults {
    CheckDefaults {
        retry: t.retry.or(vs.retry),
        delay_before_retry: t.delay_before_retry.or(vs.delay_before_retry),
        warmup: t.warmup.or(vs.warmup),
        delay_loop: t.delay_loop.unwrap_or(vs.delay_loop),
        connect_timeout: t.connect_timeout.unwrap_or(vs.connect_timeout),
        alpha: alpha.unwrap_or(vs.alpha),
    }
}

/// The quorum cannot exceed the total weight, and the hysteresis must stay below it
/// (keepalived's unsigned arithmetic included).
fn quorum(ctx: &mut Ctx, vs: &mut VsDraft, seq: u16, weight_sum: u32) {
    let name = names::vs(&vs.svc, vs.protocol, seq);
    if vs.quorum > weight_sum {
        let msg = format!(
            "Warning - quorum {} for {name} exceeds total weight of real servers {weight_sum}, reducing quorum to {weight_sum}",
            vs.quorum
        );
        ctx.error(vs.quorum_loc.unwrap_or(vs.loc), msg);
        vs.quorum = weight_sum;
    }
    if vs.hysteresis >= vs.quorum {
        let h = vs.quorum.wrapping_sub(1);
        let msg = format!(
            "Virtual server {name}: hysteresis {} >= quorum {}; setting hysteresis to {h}",
            vs.hysteresis, vs.quorum
        );
        ctx.error(vs.loc, msg);
        vs.hysteresis = h;
    }
}

/// Real and sorry server ports: checked against group entries, or set from and forced to
/// the virtual server port (cleared for fwmark services) unless forwarding is NAT.
fn fix_ports(
    ctx: &mut Ctx,
    vs: &VsDraft,
    seq: u16,
    mut rs: Vec<RealServer>,
    group: Option<&VsGroup>,
) -> (Vec<RealServer>, Option<SorryServer>) {
    let name = names::vs(&vs.svc, vs.protocol, seq);
    let mut sorry = vs.sorry.as_ref().map(|s| SorryServer {
        ip: s.ip,
        port: s.port,
        forwarding: forwarding(s.fwd),
        inhibit: s.inhibit,
        duplicates_rs: rs.iter().any(|r| r.ip == s.ip && r.port == s.port),
        loc: s.loc,
    });
    if let Some(g) = group {
        group_port_warnings(ctx, vs, &name, &rs, sorry.as_ref(), g);
        return (rs, sorry);
    }
    let (fwmark, vport) = match vs.svc {
        Svc::Addr { port, .. } => (false, port),
        _ => (true, 0),
    };
    for r in &mut rs {
        let r_name = names::trio(&r.ip, vs.protocol, r.port);
        if r.forwarding == Forwarding::Nat {
            if !fwmark && r.port == 0 {
                r.port = vport;
            }
        } else if fwmark {
            if r.port != 0 {
                let msg = format!(
                    "WARNING - fwmark virtual server {name}, real server {r_name} has port specified - clearing"
                );
                ctx.error(r.loc, msg);
                r.port = 0;
            }
        } else if r.port == 0 {
            r.port = vport;
        } else if r.port != vport {
            let msg = format!(
                "WARNING - virtual server {name} and real server {r_name} ports don't match - resetting"
            );
            ctx.error(r.loc, msg);
            r.port = vport;
        }
    }
    if let Some(s) = sorry.as_mut().filter(|s| s.forwarding != Forwarding::Nat) {
        if fwmark && s.port != 0 {
            let msg = format!(
                "WARNING - virtual server {name}, sorry server has port specified - clearing"
            );
            ctx.error(s.loc, msg);
            s.port = 0;
        } else if !fwmark && s.port == 0 {
            s.port = vport;
        } else if !fwmark && s.port != vport {
            let msg = format!(
                "WARNING - virtual server {name} and sorry server ports don't match - resetting"
            );
            ctx.error(s.loc, msg);
            s.port = vport;
        }
    }
    (rs, sorry)
}

/// Group services keep every port as configured; keepalived only warns.
fn group_port_warnings(
    ctx: &mut Ctx,
    vs: &VsDraft,
    name: &names::VsName,
    rs: &[RealServer],
    sorry: Option<&SorryServer>,
    g: &VsGroup,
) {
    let routed = |f: &Forwarding| *f != Forwarding::Nat;
    if g.entries.iter().any(is_fwmark) {
        for r in rs.iter().filter(|r| routed(&r.forwarding) && r.port != 0) {
            let msg = format!(
                "WARNING - fwmark virtual server {name}, real server {} has port specified - port will be ignored",
                names::trio(&r.ip, vs.protocol, r.port)
            );
            ctx.error(r.loc, msg);
        }
        if let Some(s) = sorry.filter(|s| routed(&s.forwarding) && s.port != 0) {
            let msg = format!(
                "WARNING - fwmark virtual server {name}, sorry server has port specified - port will be ignored"
            );
            ctx.error(s.loc, msg);
        }
    }
    for e in &g.entries {
        let GroupEntry::Range { port, .. } = e else {
            continue;
        };
        for r in rs
            .iter()
            .filter(|r| routed(&r.forwarding) && r.port != 0 && r.port != *port)
        {
            let msg = format!(
                "virtual server {name}:[{}] and real server {} ports don't match",
                names::group_entry(e),
                names::trio(&r.ip, vs.protocol, r.port)
            );
            ctx.error(r.loc, msg);
        }
        if let Some(s) = sorry.filter(|s| routed(&s.forwarding) && s.port != 0 && s.port != *port) {
            let msg = format!(
                "WARNING - virtual server {name}, sorry server has port specified - port will be ignored"
            );
            ctx.error(s.loc, msg);
        }
    }
}

fn forwarding(f: Fwd) -> Forwarding {
    match f.method {
        Some(Method::Dr) => Forwarding::Dr,
        Some(Method::Tun) => Forwarding::Tun(f.tunnel),
        _ => Forwarding::Nat,
    }
}

/// A checker's effective values: its own, else its real server's (already inheriting the
/// virtual server's), else the checker type's defaults.
fn checker(
    global: &Global,
    vs: &VsDraft,
    draft: &RsDraft,
    rs: &RealServer,
    c: &CheckerDraft,
) -> Checker {
    let d = &rs.defaults;
    let t = c.timing.get();
    let delay_loop = t.delay_loop.unwrap_or(d.delay_loop);
    let conn = c.conn.as_ref().map(|k| Connection {
        ip: k.ip.unwrap_or(draft.ip),
        port: k.port.unwrap_or(draft.port),
        bind_ip: k.bind_ip,
        bind_port: k.bind_port,
        bind_if: k.bind_if.clone(),
        timeout: k.timeout.unwrap_or(d.connect_timeout),
        fwmark: k.fwmark,
    });
    let mut kind = c.kind.clone();
    resolve_kind(&mut kind, vs, draft);
    Checker {
        kind,
        conn,
        alpha: c.alpha.unwrap_or(d.alpha),
        retry: t.retry.or(d.retry).unwrap_or(c.default_retry),
        delay_before_retry: t
            .delay_before_retry
            .or(d.delay_before_retry)
            .or(c.default_delay_before_retry)
            .unwrap_or(delay_loop),
        warmup: t.warmup.or(d.warmup).unwrap_or(delay_loop),
        delay_loop,
        log_all_failures: c.log_all_failures || global.checker_log_all_failures,
        loc: c.loc,
    }
}

/// Values a checker takes from its servers: the HTTP Host header and SNI name, and a
/// MISC_CHECK's timeout (the virtual server's delay_loop when unset).
fn resolve_kind(kind: &mut CheckKind, vs: &VsDraft, rs: &RsDraft) {
    let sni = matches!(kind, CheckKind::Ssl(h) if h.enable_sni);
    match kind {
        CheckKind::Http(h) | CheckKind::Ssl(h) => {
            for u in &mut h.urls {
                let own = u.virtualhost.as_ref().or(h.virtualhost.as_ref());
                u.host_header = own
                    .or(rs.virtualhost.as_ref())
                    .or(vs.virtualhost.as_ref())
                    .cloned();
                u.sni_name = if sni {
                    own.or(vs.virtualhost.as_ref()).cloned()
                } else {
                    None
                };
            }
        }
        CheckKind::Misc(m) if m.timeout == Duration::ZERO => {
            m.timeout = vs.timing.get().delay_loop.unwrap_or(DEFAULT_DELAY_LOOP);
        }
        _ => {}
    }
}
