//! Values of single global keywords that take more than a number: booleans, the SMTP
//! server, `lvs_sync_daemon` options, `umask`.

use std::net::IpAddr;

use super::{LvsSyncDaemon, SmtpServer, MAX_DELAY_SECS, SMTP_PORT};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Loc};
use crate::config::parser::Node;
use crate::config::value;
use crate::time::Duration;

/// An optional BOOL after the keyword: missing means true; an invalid word is reported (as
/// keepalived words it for this keyword: with the value and "global", or without) and gives
/// None.
pub(super) fn opt_bool(ctx: &mut Ctx, n: &Node, quoted: bool) -> Option<bool> {
    let Some(w) = n.arg(0) else {
        return Some(true);
    };
    let v = value::true_false(w);
    if v.is_none() {
        let kw = n.kw;
        let msg = if quoted {
            format!("Invalid value '{w}' for global {kw} specified")
        } else {
            format!("Invalid value for {kw} specified")
        };
        ctx.error(n.loc, msg);
    }
    v
}

/// `smtp_server IP|NAME [PORT]`: an address, or a name resolved now. Anything invalid
/// clears a previous server, as in keepalived.
pub(super) fn smtp_server(ctx: &mut Ctx, n: &Node) -> Result<Option<SmtpServer>, Fatal> {
    let host = ctx::arg(n, 0)?;
    let port_str = n.arg(1).unwrap_or(SMTP_PORT);
    let port = value::unsigned(ctx, n.loc, port_str, 1, 65535);
    // A range or prefix cannot be an address; keepalived tries it as a name.
    let literal = (!host.contains(['-', '/']))
        .then(|| value::ip(host))
        .flatten();
    let addr = port.and(literal.or_else(|| ctx.host.resolve(host)));
    match (port, addr) {
        (Some(port), Some(addr)) => Ok(Some(SmtpServer {
            host: host.into(),
            port: port as u16,
            addr,
        })),
        _ => {
            ctx.error(n.loc, format!("Invalid smtp server {host} {port_str}"));
            Ok(None)
        }
    }
}

/// Whole seconds; 0 is accepted (and made 1) for old configurations.
pub(super) fn smtp_connect_timeout(ctx: &mut Ctx, n: &Node) -> Result<Option<Duration>, Fatal> {
    let s = ctx::arg(n, 0)?;
    let Some(secs) = value::unsigned(ctx, n.loc, s, 0, MAX_DELAY_SECS) else {
        let msg = format!("smtp_connect_timeout '{s}' must be in [0, {MAX_DELAY_SECS}] - ignoring");
        ctx.error(n.loc, msg);
        return Ok(None);
    };
    let secs = if secs == 0 {
        // keepalived's message has this spelling.
        ctx.error(
            n.loc,
            "smtp_conect_timeout must be greater than 0, setting to 1",
        );
        1
    } else {
        secs
    };
    Ok(Some(Duration::from_secs(secs.into())))
}

/// One option of `lvs_sync_daemon` at word `i` (0 is the interface); returns the index of
/// the next option. The words after the interface may also be, as in old versions, an
/// instance name and a sync id without their keywords.
pub(super) fn sync_daemon_option(
    ctx: &mut Ctx,
    n: &Node,
    i: usize,
    d: &mut LvsSyncDaemon,
) -> Result<usize, Fatal> {
    let (loc, opt) = (n.loc, n.arg(i).unwrap_or_default());
    let next = n.arg(i + 1).unwrap_or("");
    let num = |ctx: &mut Ctx, min, max| value::unsigned(ctx, loc, next, min, max);
    let last = i + 1 == n.nargs();
    match opt {
        "inst" => {
            match &d.instance {
                Some(name) => {
                    let msg = format!("lvs_sync_daemon vrrp instance has already been specified as {name} - ignoring");
                    ctx.error(loc, msg)
                }
                None => d.instance = Some(ctx::arg(n, i + 1)?.into()),
            }
            return Ok(i + 2);
        }
        "id" if last => ctx.error(
            loc,
            "No value specified for lvs_sync_daemon id, defaulting to vrid",
        ),
        "id" => match num(ctx, 0, 255) {
            Some(v) => d.sync_id = Some(v as u8),
            None => {
                let msg = format!("Invalid syncid ({next}) - defaulting to vrid");
                ctx.error(loc, msg)
            }
        },
        "maxlen" | "port" | "ttl" | "group" if last => {
            let msg = format!("No value specified for lvs_sync_daemon {opt} - ignoring");
            ctx.error(loc, msg)
        }
        "maxlen" | "port" | "ttl" => {
            // The largest payload of a UDP datagram.
            let max = match opt {
                "maxlen" => 65535 - 20 - 8,
                "port" => 65535,
                _ => 255,
            };
            match num(ctx, 1, max) {
                Some(v) if opt == "maxlen" => d.max_len = Some(v as u16),
                Some(v) if opt == "port" => d.port = Some(v as u16),
                Some(v) => d.ttl = Some(v as u8),
                None => {
                    let msg = format!("Invalid lvs_sync_daemon {opt} ({next}) - ignoring");
                    ctx.error(loc, msg)
                }
            }
        }
        "group" => d.group = sync_group(ctx, loc, next),
        _ if i == 1 => {
            d.instance = Some(opt.into());
            return Ok(i + 1);
        }
        _ if i == 2 => {
            match value::unsigned(ctx, loc, opt, 0, 255) {
                Some(v) => {
                    let msg = "Please use keyword \"id\" before lvs_sync_daemon SYNCID";
                    ctx.error(loc, msg);
                    d.sync_id = Some(v as u8);
                }
                None => ctx.error(loc, format!("Invalid syncid ({opt}) - defaulting to vrid")),
            }
            return Ok(i + 1);
        }
        _ => {
            let msg = format!("Unknown option {opt} specified for lvs_sync_daemon");
            ctx.error(loc, msg);
            return Ok(i + 1);
        }
    }
    Ok(if last { i + 1 } else { i + 2 })
}

/// The multicast group of the sync daemon.
fn sync_group(ctx: &mut Ctx, loc: Loc, s: &str) -> Option<IpAddr> {
    let Some(a) = value::ip_prefix_stripped(s) else {
        ctx.error(
            loc,
            format!("Invalid lvs_sync_daemon group ({s}) - ignoring"),
        );
        return None;
    };
    if !a.is_multicast() {
        let msg = format!("lvs_sync_daemon group address {s} is not multicast - ignoring");
        ctx.error(loc, msg);
        return None;
    }
    Some(a)
}

/// Permission bits a umask may hold.
const UMASK_BITS: u32 = 0o777;

/// `umask NUMBER`: C's `strtol` base 0 (`0x` hex, leading `0` octal), one word.
pub(super) fn numeric_umask(ctx: &mut Ctx, n: &Node, s: &str) -> Option<u32> {
    if n.nargs() != 1 {
        ctx.error(n.loc, "Extra parameter(s) to umask option");
        return None;
    }
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if h.starts_with(|c: char| c.is_ascii_hexdigit()) => (h, 16),
        _ if s.len() > 1 && s.starts_with('0') => (&s[1..], 8),
        _ => (s, 10),
    };
    let all_digits = digits.chars().all(|c| c.is_digit(radix));
    match u64::from_str_radix(digits, radix) {
        Ok(v) if all_digits && v & !u64::from(UMASK_BITS) == 0 => Some(v as u32),
        _ => {
            ctx.error(n.loc, format!("invalid umask value {s}"));
            None
        }
    }
}

/// `umask IWGRP|IWOTH ...`: bit names joined by `|`, possibly over several words.
pub(super) fn symbolic_umask(ctx: &mut Ctx, n: &Node) -> Option<u32> {
    const BITS: [(&str, u32); 9] = [
        ("IRUSR", 0o400),
        ("IWUSR", 0o200),
        ("IXUSR", 0o100),
        ("IRGRP", 0o040),
        ("IWGRP", 0o020),
        ("IXGRP", 0o010),
        ("IROTH", 0o004),
        ("IWOTH", 0o002),
        ("IXOTH", 0o001),
    ];
    let mut mask = 0;
    let mut need_or = false;
    for word in n.args() {
        let mut p = word;
        while !p.is_empty() {
            if need_or {
                let Some(rest) = p.strip_prefix('|') else {
                    ctx.error(n.loc, format!("Invalid umask syntax {word}"));
                    return None;
                };
                (p, need_or) = (rest, false);
                continue;
            }
            let Some((name, bit)) = BITS.iter().find(|(name, _)| p.starts_with(name)) else {
                ctx.error(n.loc, format!("Unknown umask bit {p}"));
                return None;
            };
            (mask, p, need_or) = (mask | bit, &p[name.len()..], true);
        }
    }
    if !need_or {
        ctx.error(n.loc, "umask missing bit value");
        return None;
    }
    Some(mask)
}
