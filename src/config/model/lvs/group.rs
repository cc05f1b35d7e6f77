//! `virtual_server_group NAME { IP [PORT] | IP-LAST [PORT] | IP1-IP2 [PORT] | IP/nn [PORT]
//! | fwmark N [inet|inet6] }`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::read;
use super::{Family, GroupEntry, VsGroup};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Level, Loc};
use crate::config::parser::Node;
use crate::config::reader::Line;
use crate::config::value;
use crate::limits;

pub fn parse(ctx: &mut Ctx, node: &Node, groups: &mut Vec<VsGroup>) -> Result<(), Fatal> {
    let name = ctx::arg(node, 0)?.to_string();
    if node.arg(1).is_some() {
        // keepalived drops the name before handing the line on, and stumbles over the
        // missing first word when it reports the extra ones.
        return Err(Fatal {
            loc: node.loc,
            msg: "*** Configuration line starting `***MISSING ***` is missing a parameter at word position 1".into(),
        });
    }
    let mut entries: Vec<GroupEntry> = Vec::new();
    let mut addresses: u64 = 0;
    for line in node.values() {
        if entries.len() >= limits::MAX_VSG_ENTRIES {
            let msg = format!(
                "virtual server group {name} has more than MAX_VSG_ENTRIES ({}) entries - ignoring the rest",
                limits::MAX_VSG_ENTRIES
            );
            ctx.error(line.loc, msg);
            break;
        }
        let Some(e) = entry(ctx, &name, line)? else {
            continue;
        };
        addresses += e.address_count();
        if addresses > limits::MAX_VSG_ADDRESSES as u64 {
            let msg = format!(
                "virtual server group {name} has more than MAX_VSG_ADDRESSES ({}) addresses - skipping {}",
                limits::MAX_VSG_ADDRESSES,
                line.words().join(" ")
            );
            ctx.error(line.loc, msg);
            addresses -= e.address_count();
            continue;
        }
        entries.push(e);
    }
    let group = VsGroup {
        name,
        entries,
        loc: node.loc,
    };
    let unfamilied_fwmark = group
        .entries
        .iter()
        .any(|e| matches!(e, GroupEntry::Fwmark { family: None, .. }));
    if group.entries.is_empty() {
        let msg = format!(
            "virtual server group {} has no entries - removing",
            group.name
        );
        ctx.error(node.end, msg);
    } else if group.has_family(Family::Inet) && group.has_family(Family::Inet6) && unfamilied_fwmark
    {
        let msg = format!(
            "virtual server group {} cannot have IPv4, IPv6 and fwmark without family - removing",
            group.name
        );
        ctx.error(node.end, msg);
    } else if groups.len() >= limits::MAX_VS_GROUPS {
        let msg = format!(
            "virtual server group {}: the configuration has more than MAX_VS_GROUPS ({}) groups - ignoring",
            group.name,
            limits::MAX_VS_GROUPS
        );
        ctx.error(node.loc, msg);
    } else {
        groups.push(group);
    }
    Ok(())
}

/// One line of the group; None when it is rejected (reported).
fn entry(ctx: &mut Ctx, group: &str, line: &Line) -> Result<Option<GroupEntry>, Fatal> {
    let first = ctx::word(line, 0)?;
    if first == "fwmark" {
        return fwmark(ctx, group, line);
    }
    Ok(addresses(ctx, line, first))
}

fn fwmark(ctx: &mut Ctx, group: &str, line: &Line) -> Result<Option<GroupEntry>, Fatal> {
    let loc = line.loc;
    let word = ctx::word(line, 1)?;
    let Some(mark) = value::unsigned(ctx, loc, word, 0, u32::MAX) else {
        let msg = format!(
            "({group}): fwmark '{word}' must be in [0, {}] - ignoring",
            u32::MAX
        );
        ctx.error(loc, msg);
        return Ok(None);
    };
    let family = match line.word(2) {
        None => None,
        Some("inet") => Some(Family::Inet),
        Some("inet6") => Some(Family::Inet6),
        Some(other) => {
            let msg = format!("({group}): fwmark '{mark}' family {other} unknown - ignoring");
            ctx.error(loc, msg);
            return Ok(None);
        }
    };
    Ok(Some(GroupEntry::Fwmark { mark, family, loc }))
}

fn addresses(ctx: &mut Ctx, line: &Line, text: &str) -> Option<GroupEntry> {
    let loc = line.loc;
    let port_word = read::port_word(line.word(1));
    let Some((first, port)) = read::sockaddr(ctx, loc, text, port_word) else {
        let p = port_word.map_or(String::new(), |p| format!("/port/{p}"));
        let msg = format!("Invalid virtual server group IP address {text} {p} - skipping");
        ctx.error(loc, msg);
        return None;
    };
    let last = if let Some((_, mask)) = text.split_once('/') {
        masked_range(ctx, loc, text, first, mask)?
    } else if let Some((_, end)) = text.split_once('-') {
        let is_full = match first {
            IpAddr::V4(_) => end.contains('.'),
            IpAddr::V6(_) => end.contains(':'),
        };
        if is_full {
            full_range(ctx, loc, text, first, end, port_word)?
        } else {
            short_range(ctx, loc, text, first, end)?
        }
    } else {
        first
    };
    Some(GroupEntry::Range {
        first,
        last,
        port,
        loc,
    })
}

/// `IP/nn`: the whole subnet; the address must have no host bits.
fn masked_range(ctx: &mut Ctx, loc: Loc, text: &str, first: IpAddr, mask: &str) -> Option<IpAddr> {
    let bits: u32 = if first.is_ipv4() { 32 } else { 128 };
    let prefix = match read::strtoul(mask, 10) {
        (Some(p), "") if p > 0 && p <= u64::from(bits) => p as u32,
        _ => {
            ctx.error(loc, format!("Invalid netmask - {text} - skipping"));
            return None;
        }
    };
    let host = if prefix >= bits {
        0
    } else {
        u128::MAX >> (128 - (bits - prefix))
    };
    let value = match first {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    if value & host != 0 {
        ctx.error(
            loc,
            format!("Address mask bits not empty - {text} - skipping"),
        );
        return None;
    }
    Some(match first {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from((value | host) as u32)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(value | host)),
    })
}

/// `IP1-IP2`: any range of one family, not descending.
fn full_range(
    ctx: &mut Ctx,
    loc: Loc,
    text: &str,
    first: IpAddr,
    end: &str,
    port: Option<&str>,
) -> Option<IpAddr> {
    let Some((last, _)) = read::sockaddr(ctx, loc, end, port) else {
        ctx.error(loc, format!("Invalid range end {text} - skipping"));
        return None;
    };
    let ascending = match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a <= b,
        (IpAddr::V6(a), IpAddr::V6(b)) => a <= b,
        _ => {
            let msg = format!("Range address families do not match {text} - skipping");
            ctx.error(loc, msg);
            return None;
        }
    };
    if !ascending {
        let msg = format!("Address range end is less than address range start - {text} - skipping");
        ctx.error(loc, msg);
        return None;
    }
    Some(last)
}

/// `IP-LAST`: the last octet (IPv4, decimal) or last 16 bits (IPv6, hex) run up to LAST.
fn short_range(ctx: &mut Ctx, loc: Loc, text: &str, first: IpAddr, end: &str) -> Option<IpAddr> {
    let (base, limit) = if first.is_ipv4() {
        (10, 255)
    } else {
        (16, 0xffff)
    };
    let last = match read::strtoul(end, base) {
        (_, rest) if !rest.is_empty() => {
            let msg =
                format!("Virtual server group range '{text}' has extra characters at end '{rest}'");
            ctx.report(loc, Level::InvalidNumber, msg);
            return None;
        }
        (Some(v), _) if v <= limit => v as u16,
        _ => {
            let msg = format!("Virtual server group range '{text}' end '{end}' too large");
            ctx.report(loc, Level::InvalidNumber, msg);
            return None;
        }
    };
    let (start, last_ip) = match first {
        IpAddr::V4(a) => {
            let v = u32::from(a);
            (
                v & 0xff,
                IpAddr::V4(Ipv4Addr::from(v & !0xff | u32::from(last))),
            )
        }
        IpAddr::V6(a) => {
            let mut seg = a.segments();
            let start = u32::from(seg[7]);
            seg[7] = last;
            (start, IpAddr::V6(Ipv6Addr::from(seg)))
        }
    };
    if start >= u32::from(last) {
        let msg = format!(
            "Address range end is not greater than address range start - {text} - skipping"
        );
        ctx.error(loc, msg);
        return None;
    }
    Some(last_ip)
}
