//! `nexthop [via [inet|inet6] IP] [dev IF] [weight N] [onlink] [realms R] [encap ...]`,
//! repeatable, at the end of a route line.

use std::fmt;
use std::net::IpAddr;

use super::encap::{self, Encap};
use super::number;
use crate::config::ctx::{self, Ctx};
use crate::config::diag::Fatal;
use crate::config::model::ipaddr::{parse_ip, Family, LineEnv};
use crate::config::model::rule::{parse_realms, Realms};
use crate::config::reader::Line;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nexthop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// 1..=256.
    pub weight: Option<u16>,
    pub onlink: bool,
    pub realms: Option<Realms>,
    pub encap: Option<Encap>,
}

impl fmt::Display for Nexthop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nexthop")?;
        if let Some(v) = self.via {
            write!(f, " via {v}")?;
        }
        if let Some(v) = &self.dev {
            write!(f, " dev {v}")?;
        }
        if let Some(v) = self.weight {
            write!(f, " weight {v}")?;
        }
        if self.onlink {
            f.write_str(" onlink")?;
        }
        if let Some(v) = self.realms {
            write!(f, " realms {v}")?;
        }
        if let Some(e) = &self.encap {
            write!(f, " {e}")?;
        }
        Ok(())
    }
}

/// What one nexthop word did.
enum Step {
    At(usize),
    /// Not a nexthop word: this nexthop is complete.
    End,
    /// An error: keepalived drops this nexthop and reads no further.
    Abort,
}

/// Reads the nexthops from `words[at]` (a `nexthop`) to the end of the line into `out`,
/// fixing the route's family on the way. As keepalived, an error drops the nexthop being
/// read and stops there; the route itself is kept.
pub fn parse_all(
    ctx: &mut Ctx,
    env: &mut LineEnv,
    line: &Line,
    at: usize,
    family: &mut Option<Family>,
    out: &mut Vec<Nexthop>,
) -> Result<(), Fatal> {
    let words: Vec<&str> = line.words().collect();
    // keepalived remembers a `via inet|inet6` family from one nexthop to the next.
    let mut via_family = None;
    let mut i = at;
    while words.get(i).is_some_and(|w| *w == "nexthop") {
        let mut nh = Nexthop::default();
        i += 1;
        while i < words.len() {
            match word(ctx, env, line, i, &mut nh, family, &mut via_family)? {
                Step::At(next) => i = next,
                Step::End => break,
                Step::Abort => return Ok(()),
            }
        }
        out.push(nh);
    }
    if let Some(w) = words.get(i) {
        let msg = format!("Route has trailing nonsense after nexthops - {w}");
        ctx.error(line.loc, msg);
    }
    Ok(())
}

fn word(
    ctx: &mut Ctx,
    env: &mut LineEnv,
    line: &Line,
    i: usize,
    nh: &mut Nexthop,
    family: &mut Option<Family>,
    via_family: &mut Option<Family>,
) -> Result<Step, Fatal> {
    let loc = line.loc;
    match line.word(i).unwrap_or_default() {
        "via" => {
            let mut at = i + 1;
            let mut v = ctx::word(line, at)?;
            if v == "inet" || v == "inet6" {
                *via_family = Some(if v == "inet" {
                    Family::Inet
                } else {
                    Family::Inet6
                });
                at += 1;
                v = ctx::word(line, at)?;
            }
            if let Some(vf) = *via_family {
                if family.is_some_and(|f| f != vf) {
                    ctx.error(loc, "IPv4/6 mismatch for nexthop");
                    return Ok(Step::Abort);
                }
                *family = Some(vf);
            }
            let Some(p) = parse_ip(ctx, loc, v, false) else {
                ctx.error(loc, format!("invalid nexthop address {v}"));
                return Ok(Step::Abort);
            };
            if family.is_some_and(|f| f != p.family()) {
                ctx.error(loc, "Address family mismatch for next hop");
                return Ok(Step::Abort);
            }
            *family = Some(p.family());
            nh.via = Some(p.addr);
            Ok(Step::At(at + 1))
        }
        "dev" => {
            let v = ctx::word(line, i + 1)?;
            if !ctx.interface(loc, v) {
                let msg = format!("WARNING - interface {v} for VROUTE nexthop doesn't exist");
                ctx.error(loc, msg);
                return Ok(Step::Abort);
            }
            nh.dev = Some(v.to_string());
            Ok(Step::At(i + 2))
        }
        "weight" => {
            let v = ctx::word(line, i + 1)?;
            let Some(w) = number(ctx, loc, v, 256, || {
                format!("Invalid weight {v} specified for route")
            }) else {
                return Ok(Step::Abort);
            };
            if w == 0 {
                ctx.error(loc, "Invalid weight 0 specified for route");
                return Ok(Step::Abort);
            }
            nh.weight = Some(w as u16);
            Ok(Step::At(i + 2))
        }
        "onlink" => {
            nh.onlink = true;
            Ok(Step::At(i + 1))
        }
        "encap" => {
            let (e, next) = encap::parse(ctx, env, loc, &line.words().collect::<Vec<_>>(), i);
            if e.is_some() {
                nh.encap = e;
            }
            Ok(Step::At(next))
        }
        "realms" => {
            let v = ctx::word(line, i + 1)?;
            let Some(r) = parse_realms(env, v) else {
                ctx.error(loc, format!("Invalid realms {v} for route"));
                return Ok(Step::Abort);
            };
            if family.is_some_and(|f| f != Family::Inet) {
                ctx.error(loc, "realms are only supported for IPv4");
                return Ok(Step::Abort);
            }
            *family = Some(Family::Inet);
            nh.realms = (r.0 != 0).then_some(r);
            Ok(Step::At(i + 2))
        }
        "as" => {
            ctx::word(line, i + 1)?;
            ctx.error(loc, "'as [to]' (nat) not supported");
            Ok(Step::Abort)
        }
        _ => Ok(Step::End),
    }
}
