//! `virtual_server IP [PORT] | fwmark N | group NAME { ... }` as keepalived reads it:
//! keyword by keyword, in order (several settings depend on what came before).

use std::net::Ipv4Addr;

use super::draft::{Drafts, Env, SorryDraft, Svc, VsDraft, DEFAULT_PERSISTENCE};
use super::read;
use super::timing::{self, Server};
use super::{forward, real_server, Family, Granularity, Protocol};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::Fatal;
use crate::config::model::script::{self, Script};
use crate::config::parser::Node;
use crate::config::value;
use crate::limits;

/// Longest persistence engine name IPVS takes.
const PE_NAME_MAX: usize = 16;
/// Largest `persistence_timeout` (31 days).
const PERSISTENCE_MAX: u32 = 86400 * 31;
/// IPVS weights are signed 32 bit.
pub const WEIGHT_MAX: u32 = i32::MAX as u32;

pub fn parse(ctx: &mut Ctx, env: &Env, node: &Node, d: &mut Drafts) -> Result<(), Fatal> {
    let Some(svc) = service(ctx, node)? else {
        return Ok(());
    };
    if d.vss.len() >= limits::MAX_VIRTUAL_SERVERS {
        let msg = format!(
            "virtual server: the configuration has more than MAX_VIRTUAL_SERVERS ({}) virtual servers - ignoring",
            limits::MAX_VIRTUAL_SERVERS
        );
        ctx.error(node.loc, msg);
        return Ok(());
    }
    let mut vs = VsDraft::new(svc, node.loc);
    let servers = node.children().filter(|n| n.kw == "real_server");
    vs.rs
        .reserve_exact(servers.count().min(limits::MAX_REAL_SERVERS_PER_VS));
    for n in node.children() {
        if n.kw == "real_server" {
            real_server::parse(ctx, env, &n, &mut vs, d)?;
        } else {
            keyword(ctx, env, &n, &mut vs)?;
        }
    }
    settle_family(ctx, node, &mut vs);
    // Lists are complete: give back their spare room (in place, without copying).
    vs.rs.shrink_to_fit();
    d.vss.push(vs);
    Ok(())
}

/// The words after `virtual_server`; None when keepalived skips the block (reported).
fn service(ctx: &mut Ctx, node: &Node) -> Result<Option<Svc>, Fatal> {
    let first = ctx::arg(node, 0)?;
    match first {
        // keepalived crashes on a missing name or mark; we stop as for any missing word.
        "group" => Ok(Some(Svc::Group(ctx::arg(node, 1)?.to_string()))),
        "fwmark" => {
            let word = ctx::arg(node, 1)?;
            match value::unsigned(ctx, node.loc, word, 0, u32::MAX) {
                // keepalived takes mark 0 for "no mark" and builds an address service
                // without an address; we refuse it.
                Some(0) => {
                    let msg = "virtual server fwmark 0 is not a firewall mark - ignoring";
                    ctx.error(node.loc, msg);
                    Ok(None)
                }
                Some(mark) => Ok(Some(Svc::Fwmark(mark))),
                None => {
                    let msg = format!(
                        "virtual server fwmark '{word}' must be in [0, {}] - ignoring",
                        u32::MAX
                    );
                    ctx.error(node.loc, msg);
                    Ok(None)
                }
            }
        }
        ip => {
            let port = read::port_word(node.arg(1));
            match read::sockaddr(ctx, node.loc, ip, port) {
                Some((ip, port)) => Ok(Some(Svc::Addr { ip, port })),
                None => {
                    let msg = match port {
                        Some(p) => {
                            format!("Invalid virtual server IP address/port {ip}/{p} - skipping")
                        }
                        None => format!("Invalid virtual server IP address {ip} - skipping"),
                    };
                    ctx.error(node.loc, msg);
                    Ok(None)
                }
            }
        }
    }
}

fn keyword(ctx: &mut Ctx, env: &Env, n: &Node, vs: &mut VsDraft) -> Result<(), Fatal> {
    if timing::keyword(ctx, n, &mut vs.timing, Server::Virtual)? {
        return Ok(());
    }
    let loc = n.loc;
    match n.kw {
        "ip_family" => ip_family(ctx, n, vs)?,
        "inhibit_on_failure" => vs.inhibit = true,
        "lb_algo" | "lvs_sched" => forward::scheduler(ctx, n, vs)?,
        "hashed" | "ops" | "flag-1" | "flag-2" | "flag-3" | "sh-port" | "sh-fallback"
        | "mh-port" | "mh-fallback" => forward::sched_flag(ctx, n, vs),
        "lb_kind" | "lvs_method" => forward::forwarding(ctx, n, &mut vs.fwd, "virtual")?,
        "persistence_engine" | "persistence_timeout" => persistence(ctx, n, vs)?,
        "persistence_granularity" => granularity(ctx, n, vs)?,
        "protocol" => {
            let w = ctx::arg(n, 0)?;
            match w.to_ascii_uppercase().as_str() {
                "TCP" => vs.protocol = Some(Protocol::Tcp),
                "SCTP" => vs.protocol = Some(Protocol::Sctp),
                "UDP" => vs.protocol = Some(Protocol::Udp),
                _ => ctx.error(loc, format!("Unknown protocol {w} - ignoring")),
            }
        }
        "ha_suspend" => vs.ha_suspend = true,
        "alpha" => vs.alpha = true,
        "omega" => vs.omega = true,
        "smtp_alert" => {
            if let Some(v) = read::flag(ctx, n, "Invalid virtual_server smtp_alert parameter") {
                vs.smtp_alert = Some(v);
            }
        }
        "virtualhost" => match n.arg(0) {
            Some(h) => vs.virtualhost = Some(h.to_string()),
            None => ctx.error(loc, "virtual server virtualhost missing"),
        },
        "quorum_up" => {
            let group = vs.group_name().to_string();
            quorum_script(ctx, env, n, &mut vs.quorum_up, &group)?
        }
        "quorum_down" => {
            let group = vs.group_name().to_string();
            quorum_script(ctx, env, n, &mut vs.quorum_down, &group)?
        }
        "quorum" | "hysteresis" => quorum(ctx, n, vs)?,
        "weight" => {
            let w = ctx::arg(n, 0)?;
            match value::unsigned(ctx, loc, w, 1, WEIGHT_MAX) {
                Some(v) => vs.weight = v,
                None => ctx.error(
                    loc,
                    format!("Virtual server weight {w} is outside range 1-{WEIGHT_MAX}"),
                ),
            }
        }
        "sorry_server" => sorry_server(ctx, n, vs)?,
        "sorry_server_inhibit" => match &mut vs.sorry {
            Some(s) => s.inhibit = true,
            None => ctx.error(
                loc,
                "Ignoring sorry_server inhibit used before or without sorry_server",
            ),
        },
        "sorry_server_lvs_method" => match &mut vs.sorry {
            Some(s) => forward::forwarding(ctx, n, &mut s.fwd, "sorry")?,
            None => ctx.error(loc, "sorry_server forwarding used without sorry_server"),
        },
        _ => {}
    }
    Ok(())
}

/// `persistence_engine NAME` (at most 16 characters) and `persistence_timeout [SECS]`.
fn persistence(ctx: &mut Ctx, n: &Node, vs: &mut VsDraft) -> Result<(), Fatal> {
    let loc = n.loc;
    match n.kw {
        "persistence_engine" => {
            let w = ctx::arg(n, 0)?;
            let mut name = w.to_string();
            if name.len() > PE_NAME_MAX {
                ctx.error(loc, format!("persistence_name too long, truncating - {w}"));
                let mut end = PE_NAME_MAX;
                while !name.is_char_boundary(end) {
                    end -= 1;
                }
                name.truncate(end);
            }
            vs.persistence_engine = Some(name);
        }
        "persistence_timeout" => match n.arg(0) {
            None => vs.persistence_timeout = DEFAULT_PERSISTENCE,
            Some(w) => match value::unsigned(ctx, loc, w, 1, PERSISTENCE_MAX) {
                Some(v) => vs.persistence_timeout = v,
                None => ctx.error(loc, "persistence_timeout invalid"),
            },
        },
        _ => {}
    }
    Ok(())
}

/// `quorum N` (an invalid value sets 1) and `hysteresis N`.
fn quorum(ctx: &mut Ctx, n: &Node, vs: &mut VsDraft) -> Result<(), Fatal> {
    let loc = n.loc;
    let w = ctx::arg(n, 0)?;
    if n.kw == "quorum" {
        vs.quorum_loc = Some(loc);
        vs.quorum = value::unsigned(ctx, loc, w, 1, u32::MAX).unwrap_or_else(|| {
            let msg = format!("Quorum {w} must be in [1, {}]. Setting to 1.", u32::MAX);
            ctx.error(loc, msg);
            1
        });
        return Ok(());
    }
    match value::unsigned(ctx, loc, w, 0, u32::MAX) {
        Some(v) => vs.hysteresis = v,
        None => ctx.error(
            loc,
            format!("Hysteresis {w} must be in [0, {}] - ignoring", u32::MAX),
        ),
    }
    Ok(())
}

fn ip_family(ctx: &mut Ctx, n: &Node, vs: &mut VsDraft) -> Result<(), Fatal> {
    let w = ctx::arg(n, 0)?;
    let af = match w {
        "inet" => Family::Inet,
        "inet6" => Family::Inet6,
        _ => {
            ctx.error(n.loc, format!("unknown address family {w}"));
            return Ok(());
        }
    };
    match vs.af {
        Some(cur) if cur != af => ctx.error(
            n.loc,
            format!("Virtual server specified family {w} conflicts with server family"),
        ),
        _ => vs.af = Some(af),
    }
    Ok(())
}

/// `persistence_granularity`: a netmask for IPv4 services, a prefix length for IPv6
/// ones; without a known family a `.` means IPv4. It makes the service persistent.
fn granularity(ctx: &mut Ctx, n: &Node, vs: &mut VsDraft) -> Result<(), Fatal> {
    let w = ctx::arg(n, 0)?;
    let af = vs.af.unwrap_or(if w.contains('.') {
        Family::Inet
    } else {
        Family::Inet6
    });
    let g = match af {
        Family::Inet6 => match value::unsigned(ctx, n.loc, w, 1, 128) {
            Some(v) => Granularity::V6(v as u8),
            None => {
                let msg = format!("Invalid IPv6 persistence_granularity specified - {w}");
                ctx.error(n.loc, msg);
                return Ok(());
            }
        },
        Family::Inet => match inet_aton(w) {
            Some(mask) => Granularity::V4(mask),
            None => {
                let msg = format!("Invalid IPv4 persistence_granularity specified - {w}");
                ctx.error(n.loc, msg);
                return Ok(());
            }
        },
    };
    vs.persistence_granularity = Some(g);
    vs.af.get_or_insert(af);
    if vs.persistence_timeout == 0 {
        vs.persistence_timeout = DEFAULT_PERSISTENCE;
    }
    Ok(())
}

/// A numeric IPv4 address as `getaddrinfo(AI_NUMERICHOST)` reads it: one to four parts,
/// each decimal, octal (`0` prefix) or hex (`0x`), the last filling the remaining bytes.
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or(p.strip_prefix("0X")) {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if digits.is_empty() && radix != 16 {
            return None;
        }
        values.push(u32::from_str_radix(digits, radix).ok().or_else(|| {
            // "0x" alone reads as 0, as in C.
            digits.is_empty().then_some(0)
        })?);
    }
    let (last, head) = values.split_last()?;
    if head.iter().any(|v| *v > 255) {
        return None;
    }
    let tail_bits = 8 * (4 - head.len() as u32);
    if tail_bits < 32 && *last >= 1 << tail_bits {
        return None;
    }
    let mut addr: u32 = 0;
    for (i, v) in head.iter().enumerate() {
        addr |= v << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from(addr | last))
}

fn sorry_server(ctx: &mut Ctx, n: &Node, vs: &mut VsDraft) -> Result<(), Fatal> {
    let ip = ctx::arg(n, 0)?;
    let port = read::port_word(n.arg(1));
    match read::sockaddr(ctx, n.loc, ip, port) {
        Some((ip, port)) => {
            vs.sorry = Some(SorryDraft {
                ip,
                port,
                fwd: vs.fwd,
                inhibit: false,
                loc: n.loc,
            })
        }
        None => ctx.error(
            n.loc,
            format!("Invalid sorry server IP address {ip} - skipping"),
        ),
    }
    Ok(())
}

fn quorum_script(
    ctx: &mut Ctx,
    env: &Env,
    n: &Node,
    slot: &mut Option<Box<Script>>,
    group: &str,
) -> Result<(), Fatal> {
    let w = ctx::arg(n, 0)?;
    if slot.is_some() {
        let msg = format!("({group}) {} script already specified - ignoring {w}", n.kw);
        ctx.error(n.loc, msg);
        return Ok(());
    }
    *slot = notify_script(ctx, env, n, "quorum")?.map(Box::new);
    Ok(())
}

/// keepalived's `notify_script_init()` for checker scripts.
pub fn notify_script(
    ctx: &mut Ctx,
    env: &Env,
    n: &Node,
    kind: &str,
) -> Result<Option<Script>, Fatal> {
    script::parse(ctx, n, kind, env.global)
}

/// keepalived's end of a virtual server block: the sorry server must share the family of a
/// non-tunnelled service, and a fwmark service takes its family from its servers.
fn settle_family(ctx: &mut Ctx, node: &Node, vs: &mut VsDraft) {
    use super::draft::Method;
    let sorry_ip = vs
        .sorry
        .as_ref()
        .filter(|s| s.fwd.method != Some(Method::Tun))
        .map(|s| s.ip);
    if let Some(ip) = sorry_ip {
        let af = Family::of(&ip);
        match vs.af {
            None => vs.af = Some(af),
            Some(cur) if cur != af => {
                let msg = format!(
                    "Address family of virtual server and sorry server {ip} don't match - skipping sorry server."
                );
                ctx.error(node.end, msg);
                vs.sorry = None;
            }
            Some(_) => {}
        }
    }
    if vs.af.is_some() || matches!(vs.svc, Svc::Group(_)) {
        return;
    }
    // Only a fwmark service with tunnelled servers gets here: one family from all of
    // them, else IPv4.
    let mut families = vs
        .sorry
        .iter()
        .map(|s| Family::of(&s.ip))
        .chain(vs.rs.iter().map(|r| Family::of(&r.ip)));
    let first = families.next();
    vs.af = match first {
        Some(f) if families.all(|x| x == f) => Some(f),
        _ => Some(Family::Inet),
    };
}

#[cfg(test)]
mod tests {
    use super::inet_aton;

    #[test]
    fn numeric_ipv4_forms() {
        assert_eq!(inet_aton("255.255.255.0"), Some([255, 255, 255, 0].into()));
        assert_eq!(inet_aton("0xffffff00"), Some([255, 255, 255, 0].into()));
        assert_eq!(inet_aton("255.255.65280"), Some([255, 255, 255, 0].into()));
        assert_eq!(inet_aton("255.256.0.0"), None);
        assert_eq!(inet_aton("abc"), None);
        assert_eq!(inet_aton(""), None);
    }
}
