//! `SMTP_CHECK { helo_name NAME; host { ... } ... }`. Each deprecated `host` block is one
//! more checker sharing the block's timing.

use super::checker::{connection, link_local_ok, timing};
use super::draft::{CheckerDraft, ConnDraft, RsDraft, VsDraft, DEFAULT_CONNECT_TIMEOUT};
use super::{CheckKind, Family};
use crate::config::ctx::Ctx;
use crate::config::diag::Fatal;
use crate::config::parser::Node;
use crate::time::Duration;

const DEFAULT_HELO: &str = "smtpchecker.keepalived.org";

/// The checkers of the block (none when keepalived drops it, reported).
pub fn parse(
    ctx: &mut Ctx,
    n: &Node,
    vs: &VsDraft,
    rs: &RsDraft,
) -> Result<Vec<CheckerDraft>, Fatal> {
    let mut c = CheckerDraft::new(CheckKind::Tcp, rs, true, n.loc);
    // keepalived leaves the destination unset here until the end of the block.
    let mut main = ConnDraft::default();
    let mut helo = None;
    let mut hosts = Vec::new();
    for k in n.children() {
        match k.kw {
            "helo_name" => match k.arg(0) {
                Some(h) => helo = Some(h.to_string()),
                None => ctx.error(k.loc, "SMTP_CHECK helo name missing"),
            },
            "host" => hosts.extend(host(ctx, &k, rs, &mut c)?),
            _ => {
                if !connection(ctx, &k, &mut main)? {
                    timing(ctx, &k, &mut c)?;
                }
            }
        }
    }
    if !hosts.is_empty() {
        let msg = "The SMTP_CHECK host block is deprecated. Please define additional checkers.";
        ctx.info(n.end, msg);
    }
    let mut conns = Vec::new();
    if is_configured(&main) || hosts.is_empty() {
        if !link_local_ok(ctx, n.end, Some(&main), rs) {
            return Ok(Vec::new());
        }
        // Resolved now, with the timeouts read so far, as keepalived does.
        let so_far = rs
            .timing
            .get()
            .connect_timeout
            .or(vs.timing.get().connect_timeout);
        main.timeout = main.timeout.or(so_far).or(Some(DEFAULT_CONNECT_TIMEOUT));
        conns.push(main);
    }
    // keepalived leaves a host's timeout at 0 unless the host block sets one.
    conns.extend(hosts.into_iter().map(|mut h| {
        h.timeout = h.timeout.or(Some(Duration::ZERO));
        h
    }));
    let helo_name = helo.unwrap_or_else(|| DEFAULT_HELO.to_string());
    Ok(conns
        .into_iter()
        .map(|conn| CheckerDraft {
            kind: CheckKind::Smtp {
                helo_name: helo_name.clone(),
            },
            conn: Some(conn),
            ..c.clone()
        })
        .collect())
}

/// Whether any connection keyword took effect on the block's own connection.
fn is_configured(c: &ConnDraft) -> bool {
    c.ip.is_some()
        || c.port.is_some()
        || c.bind_ip.is_some()
        || c.bind_port.is_some()
        || c.bind_if.is_some()
        || c.fwmark != 0
        || c.timeout.is_some()
}

/// A `host` block: connection keywords for its own target, timing ones for the checker.
fn host(
    ctx: &mut Ctx,
    k: &Node,
    rs: &RsDraft,
    c: &mut CheckerDraft,
) -> Result<Option<ConnDraft>, Fatal> {
    let mut conn = ConnDraft {
        rs_family: Some(Family::of(&rs.ip)),
        ..ConnDraft::default()
    };
    for h in k.children() {
        if !connection(ctx, &h, &mut conn)? {
            timing(ctx, &h, c)?;
        }
    }
    Ok(link_local_ok(ctx, k.end, Some(&conn), rs).then_some(conn))
}
