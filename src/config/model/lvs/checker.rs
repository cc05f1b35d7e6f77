//! The checker blocks of a real server, and the keywords they share (`connect_ip`,
//! `connect_port`, `bindto`, `bind_port`, `bind_if`, `connect_timeout`, `fwmark`,
//! `retry`, `delay_before_retry`, `warmup`, `delay_loop`, `alpha`, `log_all_failures`).

use std::net::IpAddr;

use super::draft::{CheckerDraft, ConnDraft, Env, RsDraft, TimingSet, VsDraft};
use super::read::{self, UINT_TIMER_MAX};
use super::{check_http, check_misc, check_other, check_smtp, CheckKind, Family};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Loc};
use crate::config::parser::Node;
use crate::config::value;
use crate::limits;
use crate::time::Duration;

/// Longest interface name (IFNAMSIZ - 1).
const IF_NAME_MAX: usize = 15;

/// Reads one checker block of `rs` and adds what it yields; `total` counts checkers
/// everywhere.
pub fn parse(
    ctx: &mut Ctx,
    env: &Env,
    n: &Node,
    vs: &VsDraft,
    rs: &mut RsDraft,
    total: &mut usize,
) -> Result<(), Fatal> {
    // One checker, or for SMTP_CHECK one per host (without an extra Vec for the others).
    let (one, many) = match n.kw {
        "TCP_CHECK" => (plain(ctx, n, rs, CheckKind::Tcp)?, Vec::new()),
        "PING_CHECK" => (plain(ctx, n, rs, CheckKind::Ping)?, Vec::new()),
        "HTTP_GET" | "SSL_GET" => (check_http::parse(ctx, n, rs)?, Vec::new()),
        "SMTP_CHECK" => (None, check_smtp::parse(ctx, n, vs, rs)?),
        "DNS_CHECK" => (check_other::dns(ctx, n, rs)?, Vec::new()),
        "UDP_CHECK" => (check_other::udp(ctx, n, rs)?, Vec::new()),
        "MISC_CHECK" => (check_misc::parse(ctx, env, n)?, Vec::new()),
        "FILE_CHECK" => {
            if let Some(f) = check_other::file(ctx, env, n)? {
                rs.file_checks.push(f);
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    for c in one.into_iter().chain(many) {
        if rs.checkers.len() >= limits::MAX_CHECKERS_PER_RS {
            let msg = format!(
                "{}: this real server has more than MAX_CHECKERS_PER_RS ({}) checkers - ignoring",
                n.kw,
                limits::MAX_CHECKERS_PER_RS
            );
            ctx.error(n.loc, msg);
        } else if *total >= limits::MAX_CHECKERS {
            let msg = format!(
                "{}: the configuration has more than MAX_CHECKERS ({}) checkers - ignoring",
                n.kw,
                limits::MAX_CHECKERS
            );
            ctx.error(n.loc, msg);
        } else {
            *total += 1;
            // Most real servers have one checker: no room for four.
            rs.checkers.reserve_exact(1);
            rs.checkers.push(c);
        }
    }
    Ok(())
}

impl CheckerDraft {
    /// A new checker of `kind` for `rs`, with a connection to it unless `conn` is false.
    /// Checkers with their own data pass a placeholder kind and set it at the end of the
    /// block.
    pub fn new(kind: CheckKind, rs: &RsDraft, conn: bool, loc: Loc) -> CheckerDraft {
        CheckerDraft {
            kind,
            conn: conn.then(|| ConnDraft {
                rs_family: Some(Family::of(&rs.ip)),
                ..ConnDraft::default()
            }),
            alpha: None,
            timing: TimingSet::default(),
            log_all_failures: false,
            default_retry: 1,
            default_delay_before_retry: Some(Duration::from_secs(1)),
            loc,
        }
    }
}

/// TCP_CHECK and PING_CHECK: only the shared keywords.
fn plain(
    ctx: &mut Ctx,
    n: &Node,
    rs: &RsDraft,
    kind: CheckKind,
) -> Result<Option<CheckerDraft>, Fatal> {
    let mut c = CheckerDraft::new(kind, rs, true, n.loc);
    for k in n.children() {
        common(ctx, &k, &mut c)?;
    }
    Ok(link_local_ok(ctx, n.end, c.conn.as_ref(), rs).then_some(c))
}

/// A keyword shared by checkers; false when `n` is none of them.
pub fn common(ctx: &mut Ctx, n: &Node, c: &mut CheckerDraft) -> Result<bool, Fatal> {
    if let Some(conn) = c.conn.as_mut() {
        if connection(ctx, n, conn)? {
            return Ok(true);
        }
    }
    timing(ctx, n, c)
}

/// The connection keywords.
pub fn connection(ctx: &mut Ctx, n: &Node, conn: &mut ConnDraft) -> Result<bool, Fatal> {
    let loc = n.loc;
    match n.kw {
        "connect_ip" => {
            let w = ctx::arg(n, 0)?;
            // After an error keepalived's destination has no family (we keep the real
            // server's address, but no longer check `bindto` against it).
            match read::address(w) {
                None => {
                    ctx.error(loc, format!("Invalid connect_ip address {w} - ignoring"));
                    (conn.ip, conn.rs_family) = (None, None);
                }
                Some(ip) if conn.bind_ip.is_some_and(|b| b.is_ipv4() != ip.is_ipv4()) => {
                    let msg = format!(
                        "connect_ip address {w} does not match address family of bindto - skipping"
                    );
                    ctx.error(loc, msg);
                    (conn.ip, conn.rs_family) = (None, None);
                }
                Some(ip) => conn.ip = Some(ip),
            }
        }
        "bindto" => {
            let w = ctx::arg(n, 0)?;
            let dst_family = conn.ip.as_ref().map(Family::of).or(conn.rs_family);
            match read::address(w) {
                None => {
                    ctx.error(loc, format!("Invalid bindto address {w} - ignoring"));
                    conn.bind_ip = None;
                }
                Some(ip) if dst_family.is_some_and(|f| f != Family::of(&ip)) => {
                    let msg = format!(
                        "bindto address {w} does not match address family of connect_ip - skipping"
                    );
                    ctx.error(loc, msg);
                    conn.bind_ip = None;
                }
                Some(ip) => conn.bind_ip = Some(ip),
            }
        }
        "connect_port" | "bind_port" => {
            let w = ctx::arg(n, 0)?;
            let port = value::unsigned(ctx, loc, w, 1, 65535).and_then(|p| u16::try_from(p).ok());
            match (port, n.kw) {
                (Some(p), "connect_port") => conn.port = Some(p),
                (Some(p), _) => conn.bind_port = Some(p),
                (None, kw) => ctx.error(loc, format!("Invalid checker {kw} '{w}'")),
            }
        }
        "bind_if" => {
            let w = ctx::arg(n, 0)?;
            if w.len() > IF_NAME_MAX {
                ctx.error(loc, format!("Interface name {w} is too long - ignoring"));
            } else {
                conn.bind_if = Some(w.to_string());
            }
        }
        "connect_timeout" => {
            let w = ctx::arg(n, 0)?;
            match read::timer(ctx, loc, w, 1, UINT_TIMER_MAX) {
                // keepalived's "unset" marker is this very value.
                Some(v) => conn.timeout = Some(v).filter(|v| v.as_micros() != UINT_TIMER_MAX),
                None => ctx.error(loc, format!("connect_timeout {w} invalid - ignoring")),
            }
        }
        "fwmark" => {
            let w = ctx::arg(n, 0)?;
            match value::unsigned(ctx, loc, w, 0, u32::MAX) {
                Some(v) => conn.fwmark = v,
                None => ctx.error(loc, format!("Invalid fwmark connection value '{w}'")),
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The timing keywords.
pub fn timing(ctx: &mut Ctx, n: &Node, c: &mut CheckerDraft) -> Result<bool, Fatal> {
    let loc = n.loc;
    match n.kw {
        "retry" => {
            let w = ctx::arg(n, 0)?;
            match value::unsigned(ctx, loc, w, 0, u32::MAX) {
                Some(v) => c.timing.set().retry = Some(v),
                None => ctx.error(loc, format!("Invalid retry connection value '{w}'")),
            }
        }
        "delay_before_retry" | "warmup" => {
            let w = ctx::arg(n, 0)?;
            match read::timer(ctx, loc, w, 0, 0) {
                Some(v) if n.kw == "warmup" => c.timing.set().warmup = Some(v),
                Some(v) => c.timing.set().delay_before_retry = Some(v),
                None => ctx.error(loc, format!("Invalid {} connection value '{w}'", n.kw)),
            }
        }
        "delay_loop" => {
            let w = ctx::arg(n, 0)?;
            match read::timer(ctx, loc, w, 1, 0) {
                Some(v) => c.timing.set().delay_loop = Some(v),
                None => ctx.error(loc, format!("delay_loop '{w}' is invalid - ignoring")),
            }
        }
        "alpha" => {
            if let Some(v) = read::flag(ctx, n, "Invalid alpha parameter") {
                c.alpha = Some(v);
            }
        }
        "log_all_failures" => {
            if let Some(v) = read::flag(ctx, n, "Invalid log_all_failures parameter") {
                c.log_all_failures = v;
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// keepalived's `check_conn_opts()`: an IPv6 link-local destination needs `bind_if`.
/// Reported at `loc` (the end of the block) when it fails.
pub fn link_local_ok(ctx: &mut Ctx, loc: Loc, conn: Option<&ConnDraft>, rs: &RsDraft) -> bool {
    let Some(conn) = conn else { return true };
    let ip = conn.ip.unwrap_or(rs.ip);
    let link_local = matches!(ip, IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80);
    if link_local && conn.bind_if.is_none() {
        ctx.error(
            loc,
            format!("Checker link local address {ip} requires a bind_if"),
        );
        return false;
    }
    true
}
