//! Scheduler, scheduler flags and forwarding methods (`lb_algo`, `sh-port`, `lb_kind` ...).

use super::draft::{Fwd, Method, VsDraft};
use super::{Scheduler, Tunnel, TunnelChecksum, TunnelKind};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::Fatal;
use crate::config::parser::Node;
use crate::config::value;

/// `lb_algo`/`lvs_sched NAME`.
pub fn scheduler(ctx: &mut Ctx, node: &Node, vs: &mut VsDraft) -> Result<(), Fatal> {
    let name = ctx::arg(node, 0)?;
    match Scheduler::from_name(name) {
        Some(s) => vs.sched = Some(s),
        None => ctx.error(
            node.loc,
            format!("Invalid lvs_scheduler '{name}' - ignoring"),
        ),
    }
    Ok(())
}

/// `ops`, `hashed`, `flag-N`, `sh-*` and `mh-*`. The `sh-`/`mh-` words only count after
/// the matching scheduler; `hashed` sets nothing.
pub fn sched_flag(ctx: &mut Ctx, node: &Node, vs: &mut VsDraft) {
    let f = &mut vs.sched_flags;
    match (node.kw, vs.sched) {
        ("ops", _) => vs.ops = true,
        ("flag-1", _) => f.flag1 = true,
        ("flag-2", _) => f.flag2 = true,
        ("flag-3", _) => f.flag3 = true,
        ("sh-fallback", Some(Scheduler::Sh)) | ("mh-fallback", Some(Scheduler::Mh)) => {
            f.flag1 = true
        }
        ("sh-port", Some(Scheduler::Sh)) | ("mh-port", Some(Scheduler::Mh)) => f.flag2 = true,
        (_, Some(Scheduler::Sh | Scheduler::Mh)) => {}
        (kw, _) => ctx.error(
            node.loc,
            format!("{kw} only applies to sh scheduler - ignoring"),
        ),
    }
}

/// `lb_kind`/`lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`
/// for a `who` ("virtual", "real", "sorry") server. The method is kept even when the
/// tunnel options are rejected; accepted options replace the earlier ones entirely.
pub fn forwarding(ctx: &mut Ctx, node: &Node, fwd: &mut Fwd, who: &str) -> Result<(), Fatal> {
    let word = ctx::arg(node, 0)?;
    fwd.method = Some(match word {
        "NAT" => Method::Nat,
        "DR" => Method::Dr,
        "TUN" => Method::Tun,
        _ => {
            let msg = format!("PARSER : unknown [{word}] routing method for {who} server.");
            ctx.error(node.loc, msg);
            return Ok(());
        }
    });
    if let Some(t) = tunnel_options(ctx, node, who) {
        fwd.tunnel = t;
    }
    Ok(())
}

fn tunnel_options(ctx: &mut Ctx, node: &Node, who: &str) -> Option<Tunnel> {
    let loc = node.loc;
    let mut kind = "ipip";
    let mut port: u16 = 0;
    let mut checksum = TunnelChecksum::NoCsum;
    let mut words = node.args().skip(1);
    while let Some(w) = words.next() {
        match w {
            "type" => {
                let Some(t) = words.next() else {
                    ctx.error(loc, format!("Missing tunnel type for {who} server."));
                    return None;
                };
                if !matches!(t, "ipip" | "gue" | "gre") {
                    ctx.error(loc, format!("Unknown tunnel type {t} for {who} server."));
                    return None;
                }
                kind = t;
            }
            "port" => {
                let Some(p) = words.next() else {
                    ctx.error(loc, format!("Missing port for {who} server gue tunnel."));
                    return None;
                };
                let Some(v) = value::unsigned(ctx, loc, p, 1, 65535) else {
                    ctx.error(
                        loc,
                        format!("Invalid gue tunnel port {p} for {who} server."),
                    );
                    return None;
                };
                port = u16::try_from(v).ok()?;
            }
            "nocsum" => checksum = TunnelChecksum::NoCsum,
            "csum" => checksum = TunnelChecksum::Csum,
            "remcsum" => checksum = TunnelChecksum::RemCsum,
            _ => {
                ctx.error(loc, format!("Invalid tunnel option {w} for {who} server."));
                return None;
            }
        }
    }
    if (kind == "gue") != (port != 0) {
        ctx.error(loc, "gue tunnels require port, otherwise cannot have port.");
        return None;
    }
    if kind == "ipip" && checksum != TunnelChecksum::NoCsum {
        ctx.error(loc, "ipip tunnels do not support checksum option.");
        return None;
    }
    if kind == "gre" && checksum == TunnelChecksum::RemCsum {
        ctx.error(loc, "gre tunnels do not support remote checksum option.");
        return None;
    }
    let kind = match kind {
        "gue" => TunnelKind::Gue { port },
        "gre" => TunnelKind::Gre,
        _ => TunnelKind::Ipip,
    };
    Some(Tunnel { kind, checksum })
}
