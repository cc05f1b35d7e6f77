//! `encap mpls|ip|ip6|ila ...` of route and nexthop words (lightweight tunnels).
//!
//! keepalived's reading has odd resumption points after errors (an unknown type also skips
//! the following word; a bad `ip`/`ip6` sub-word is then read as a route word); [`parse`]
//! returns the word index keepalived goes on at, so the rest of the line reads the same.

use std::fmt;
use std::net::IpAddr;

use crate::config::ctx::Ctx;
use crate::config::diag::Loc;
use crate::config::model::ipaddr::{cnum, parse_ip, Family, LineEnv};
use crate::config::value;

/// MPLS labels are 20 bits; keepalived takes at most two.
const MPLS_LABEL_MAX: u64 = 0xf_ffff;
const MPLS_MAX_LABELS: usize = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encap {
    /// `encap mpls LABEL[/LABEL]`.
    Mpls(Vec<u32>),
    /// `encap ip [id N] [dst IP] [src IP] [tos T] [ttl N] [flags N]`.
    Ip(IpTunnel),
    /// `encap ip6 [id N] [dst IP] [src IP] [tc T] [hoplimit N] [flags N]`.
    Ip6(IpTunnel),
    /// `encap ila LOCATOR` (four 16-bit hex groups), as a number.
    Ila(u64),
}

/// The fields of `ip` and `ip6` tunnels (`tos`/`ttl` are `tc`/`hoplimit` for IPv6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpTunnel {
    pub id: Option<u64>,
    pub dst: Option<IpAddr>,
    pub src: Option<IpAddr>,
    pub tos: Option<u8>,
    pub ttl: Option<u8>,
    pub flags: Option<u16>,
}

impl fmt::Display for Encap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Encap::Mpls(labels) => {
                f.write_str("encap mpls ")?;
                let text: Vec<String> = labels.iter().map(u32::to_string).collect();
                f.write_str(&text.join("/"))
            }
            Encap::Ip(t) => {
                f.write_str("encap ip")?;
                t.write(f, "tos", "ttl")
            }
            Encap::Ip6(t) => {
                f.write_str("encap ip6")?;
                t.write(f, "tc", "hoplimit")
            }
            Encap::Ila(l) => write!(
                f,
                "encap ila {:x}:{:x}:{:x}:{:x}",
                l >> 48,
                (l >> 32) & 0xffff,
                (l >> 16) & 0xffff,
                l & 0xffff
            ),
        }
    }
}

impl IpTunnel {
    fn write(&self, f: &mut fmt::Formatter<'_>, tos: &str, ttl: &str) -> fmt::Result {
        if let Some(v) = self.id {
            write!(f, " id {v}")?;
        }
        if let Some(v) = self.dst {
            write!(f, " dst {v}")?;
        }
        if let Some(v) = self.src {
            write!(f, " src {v}")?;
        }
        if let Some(v) = self.tos {
            write!(f, " {tos} {v}")?;
        }
        if let Some(v) = self.ttl {
            write!(f, " {ttl} {v}")?;
        }
        if let Some(v) = self.flags {
            write!(f, " flags {v}")?;
        }
        Ok(())
    }
}

/// Reads `encap ...` with `words[at] == "encap"`. Returns the encapsulation (None after an
/// error: keepalived would keep a partial one the kernel refuses) and the index to go on at.
pub fn parse(
    ctx: &mut Ctx,
    env: &mut LineEnv,
    loc: Loc,
    words: &[&str],
    at: usize,
) -> (Option<Encap>, usize) {
    let Some(kind) = words.get(at + 1) else {
        ctx.error(loc, "Missing encap type");
        return (None, words.len() + 1);
    };
    let first = at + 2;
    match *kind {
        "ip" => {
            let (t, next) = tunnel(ctx, env, loc, words, first, Family::Inet);
            (t.map(Encap::Ip), next)
        }
        "ip6" => {
            let (t, next) = tunnel(ctx, env, loc, words, first, Family::Inet6);
            (t.map(Encap::Ip6), next)
        }
        "mpls" => {
            let Some(text) = words.get(first) else {
                ctx.error(loc, "missing address for MPLS encapsulation");
                return (None, first);
            };
            let labels = mpls_labels(text);
            if labels.is_none() {
                let msg = format!("invalid mpls address {text} for encapsulation");
                ctx.error(loc, msg);
            }
            (labels.map(Encap::Mpls), first + 1)
        }
        "ila" => {
            let Some(text) = words.get(first) else {
                ctx.error(loc, "missing locator for ILA encapsulation");
                return (None, first);
            };
            let locator = ila_locator(text);
            if locator.is_none() {
                let msg = format!("invalid locator {text} for ila encapsulation");
                ctx.error(loc, msg);
            }
            (locator.map(Encap::Ila), first + 1)
        }
        other => {
            ctx.error(loc, format!("Unknown encap type - {other}"));
            // keepalived does not step back here, so the next word is skipped too.
            (None, first + 1)
        }
    }
}

/// The `ip`/`ip6` sub-words, in pairs, from `words[i]`. Stops at the first word that is not
/// one of them, or at a bad value (keepalived then reads that sub-word as a route word).
fn tunnel(
    ctx: &mut Ctx,
    env: &mut LineEnv,
    loc: Loc,
    words: &[&str],
    mut i: usize,
    family: Family,
) -> (Option<IpTunnel>, usize) {
    let mut t = IpTunnel::default();
    let v6 = family == Family::Inet6;
    let ok = loop {
        let (Some(word), Some(v)) = (words.get(i), words.get(i + 1)) else {
            break true;
        };
        let good = match (*word, v6) {
            ("id", _) => {
                let what = if v6 {
                    format!("id {v} value invalid for IPv6 encapsulation")
                } else {
                    format!("encap id {v} value is invalid")
                };
                value::unsigned64(ctx, loc, v, 0, u64::MAX, "unsigned 64 bit")
                    .map(|n| t.id = Some(n))
                    .ok_or(what)
            }
            ("dst" | "src", _) => tunnel_addr(ctx, loc, word, v, family).map(|a| {
                if *word == "dst" {
                    t.dst = Some(a);
                } else {
                    t.src = Some(a);
                }
            }),
            ("tos", false) => env
                .names
                .dsfield(v)
                .map(|n| t.tos = Some(n))
                .ok_or_else(|| format!("dsfield {v} not valid for ip encapsulation")),
            // keepalived names the keyword, not the value, in this message.
            ("tc", true) => env
                .names
                .dsfield(v)
                .map(|n| t.tos = Some(n))
                .ok_or_else(|| format!("tc value {word} is invalid for ip6 encapsulation")),
            ("ttl", false) | ("hoplimit", true) => {
                let what = if v6 {
                    format!("Invalid hoplimit {v} specified for ip6 encapsulation")
                } else {
                    format!("ttl {v} is not valid for ip encapsulation")
                };
                value::unsigned(ctx, loc, v, 0, 255)
                    .map(|n| t.ttl = Some(n as u8))
                    .ok_or(what)
            }
            ("flags", _) => {
                let what = format!(
                    "flags {v} is not valid for {} encapsulation",
                    if v6 { "ip6" } else { "ip" }
                );
                value::unsigned(ctx, loc, v, 0, u32::from(u16::MAX))
                    .map(|n| t.flags = Some(n as u16))
                    .ok_or(what)
            }
            _ => break true,
        };
        if let Err(msg) = good {
            ctx.error(loc, msg);
            break false;
        }
        i += 2;
    };
    if !ok {
        return (None, i);
    }
    if t.dst.is_none() && t.id.is_none() {
        let which = if v6 { "ip6" } else { "ip" };
        ctx.error(
            loc,
            format!("address or id missing for {which} encapsulation"),
        );
        return (None, i);
    }
    (Some(t), i)
}

/// A tunnel endpoint: a plain address of the tunnel's family.
fn tunnel_addr(
    ctx: &mut Ctx,
    loc: Loc,
    which: &str,
    v: &str,
    family: Family,
) -> Result<IpAddr, String> {
    let (ip, other) = match family {
        Family::Inet => ("ip", "IPv6"),
        Family::Inet6 => ("ip6", "IPv4"),
    };
    let Some(p) = parse_ip(ctx, loc, v, false) else {
        return Err(format!("Invalid encap {ip} {which} {v}"));
    };
    if p.family() != family {
        return Err(format!(
            "{other} address {v} not valid for {ip} encapsulation"
        ));
    }
    Ok(p.addr)
}

/// `LABEL[/LABEL]`: C numbers of at most 20 bits, no sign or embedded white space.
fn mpls_labels(text: &str) -> Option<Vec<u32>> {
    let mut rest = text.trim_start_matches(crate::config::text::is_ws);
    let mut labels = Vec::new();
    while labels.len() < MPLS_MAX_LABELS {
        if rest.starts_with('-') || rest.starts_with(crate::config::text::is_ws) {
            return None;
        }
        let n = cnum::strtoul(rest, 0);
        if n.end == 0 || n.value > MPLS_LABEL_MAX {
            return None;
        }
        labels.push(n.value as u32);
        rest = &rest[n.end..];
        if rest.is_empty() {
            return Some(labels);
        }
        rest = rest.strip_prefix('/')?;
    }
    None
}

/// An ILA locator: exactly four `:`-separated groups of up to 16 bits in hex.
fn ila_locator(text: &str) -> Option<u64> {
    let mut rest = text.trim_start_matches(crate::config::text::is_ws);
    let mut value = 0u64;
    for group in 0..4 {
        if !rest.starts_with(|c: char| c.is_ascii_hexdigit()) {
            return None;
        }
        let n = cnum::strtoul(rest, 16);
        if n.value > 0xffff {
            return None;
        }
        value = value << 16 | n.value;
        rest = &rest[n.end..];
        if rest.is_empty() {
            return (group == 3).then_some(value);
        }
        if group == 3 {
            return None;
        }
        rest = rest.strip_prefix(':')?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpls_and_ila_texts() {
        assert_eq!(mpls_labels("100"), Some(vec![100]));
        assert_eq!(mpls_labels("100/0x200"), Some(vec![100, 512]));
        assert_eq!(mpls_labels("1/2/3"), None);
        assert_eq!(mpls_labels("1048576"), None);
        assert_eq!(mpls_labels("-1"), None);
        assert_eq!(mpls_labels("1/"), None);
        assert_eq!(ila_locator("1:2:3:ffff"), Some(0x0001_0002_0003_ffff));
        assert_eq!(ila_locator("1:2:3"), None);
        assert_eq!(ila_locator("1:2:3:4:5"), None);
        assert_eq!(ila_locator("1:2:3:10000"), None);
        assert_eq!(ila_locator("1::3:4"), None);
    }
}
