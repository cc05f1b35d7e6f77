//! Route lines of `virtual_routes` and `static_routes` (`ip route` syntax), read word by
//! word as keepalived 2.2.7 does, with its messages.

mod encap;
mod metrics;
mod nexthop;

use std::fmt;
use std::net::IpAddr;

pub use encap::{Encap, IpTunnel};
use metrics::MetricStep;
pub use metrics::{Metric, Metrics};
pub use nexthop::Nexthop;

use super::ipaddr::{names, parse_ip, parse_target, Family, IpPrefix, LineEnv, Scope, Target};
use super::rule::{parse_realms, Realms};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Loc};
use crate::config::dump::word;
use crate::config::reader::Line;
use crate::config::value;
use crate::limits;

/// keepalived's protocol number for what it installs (RTPROT_KEEPALIVED).
const PROTO_KEEPALIVED: u8 = 18;
/// The kernel's main routing table.
const TABLE_MAIN: u32 = 254;

/// A route type (`unicast`, `blackhole` ... or a number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteType(pub u8);

impl RouteType {
    pub const UNICAST: RouteType = RouteType(1);
}

impl fmt::Display for RouteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match names::ROUTE_TYPES.iter().find(|(id, _)| *id == self.0) {
            Some((_, name)) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

/// How the route is installed: `prepend` (keepalived's default), `add` or `append`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AddMode {
    #[default]
    Prepend,
    Add,
    Append,
}

/// IPv6 router preference (`pref`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutePref {
    Low,
    Medium,
    High,
    Other(u8),
}

impl RoutePref {
    fn from_u8(v: u8) -> RoutePref {
        match v {
            3 => RoutePref::Low,
            0 => RoutePref::Medium,
            1 => RoutePref::High,
            n => RoutePref::Other(n),
        }
    }
}

impl fmt::Display for RoutePref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoutePref::Low => f.write_str("low"),
            RoutePref::Medium => f.write_str("medium"),
            RoutePref::High => f.write_str("high"),
            RoutePref::Other(n) => write!(f, "{n}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub family: Family,
    pub kind: RouteType,
    pub dst: IpPrefix,
    /// `from`: IPv6 source prefix.
    pub src: Option<IpPrefix>,
    /// `src`: preferred source address.
    pub pref_src: Option<IpAddr>,
    pub via: Option<IpAddr>,
    /// `dev|oif IF`.
    pub dev: Option<String>,
    pub onlink: bool,
    pub table: u32,
    /// `vrf NAME`: the table is the VRF's, found when the route is installed.
    pub vrf: Option<String>,
    /// keepalived sets its own protocol (18) on routes it tracks.
    pub protocol: Option<u8>,
    pub scope: Option<Scope>,
    pub metric: Option<u32>,
    pub tos: Option<u8>,
    pub realms: Option<Realms>,
    /// IPv6 route lifetime in seconds.
    pub expires: Option<u32>,
    pub metrics: Metrics,
    pub pref: Option<RoutePref>,
    pub ttl_propagate: Option<bool>,
    pub encap: Option<Encap>,
    /// `nexthop ...` (or the deprecated `or`).
    pub nexthops: Vec<Nexthop>,
    pub mode: AddMode,
    /// `no_track`, or no interface to track the route by.
    pub no_track: bool,
    /// `track_group NAME` (static routes).
    pub track_group: Option<String>,
    pub loc: Loc,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind != RouteType::UNICAST {
            write!(f, "{} ", self.kind)?;
        }
        write!(f, "{}", self.dst)?;
        if let Some(v) = &self.src {
            write!(f, " from {v}")?;
        }
        if let Some(v) = &self.pref_src {
            write!(f, " src {v}")?;
        }
        if let Some(v) = self.tos {
            write!(f, " tos {v:#x}")?;
        }
        if let Some(v) = &self.via {
            write!(f, " via {v}")?;
        }
        if let Some(v) = &self.dev {
            write!(f, " dev {v}")?;
        }
        if self.onlink {
            f.write_str(" onlink")?;
        }
        match &self.vrf {
            Some(v) => write!(f, " vrf {v}")?,
            None => write!(f, " table {}", self.table)?,
        }
        if let Some(v) = self.protocol {
            write!(f, " protocol {v}")?;
        }
        if let Some(v) = self.scope {
            write!(f, " scope {v}")?;
        }
        if let Some(v) = self.metric {
            write!(f, " metric {v}")?;
        }
        if let Some(v) = self.realms {
            write!(f, " realms {v}")?;
        }
        if let Some(v) = self.expires {
            write!(f, " expires {v}")?;
        }
        write!(f, "{}", self.metrics)?;
        if let Some(v) = self.pref {
            write!(f, " pref {v}")?;
        }
        if let Some(v) = self.ttl_propagate {
            let word = if v { "enabled" } else { "disabled" };
            write!(f, " ttl-propagate {word}")?;
        }
        if let Some(e) = &self.encap {
            write!(f, " {e}")?;
        }
        match self.mode {
            AddMode::Prepend => {}
            AddMode::Add => f.write_str(" add")?,
            AddMode::Append => f.write_str(" append")?,
        }
        if self.no_track {
            f.write_str(" no_track")?;
        }
        if let Some(g) = &self.track_group {
            write!(f, " track_group {}", word(g))?;
        }
        if let Some((first, second)) = self.foreign_or() {
            if let Some(v) = first {
                write!(f, " via {v}")?;
            }
            return write!(f, " or {second}");
        }
        // Nexthops last: every word after the first `nexthop` belongs to them.
        for nh in &self.nexthops {
            write!(f, " {nh}")?;
        }
        Ok(())
    }
}

impl Route {
    /// The two gateways of a deprecated `via A or B` route whose `B` is of the other
    /// family: keepalived takes that from `or`, but refuses it as `nexthop via B`.
    fn foreign_or(&self) -> Option<(Option<IpAddr>, IpAddr)> {
        let [a, b] = self.nexthops.as_slice() else {
            return None;
        };
        let bare = |n: &Nexthop| {
            Nexthop {
                via: n.via,
                ..Nexthop::default()
            } == *n
        };
        let second = b.via.filter(|v| Family::of(*v) != self.family)?;
        (bare(a) && bare(b)).then_some((a.via, second))
    }
}

/// A route being read.
#[derive(Default)]
struct Draft {
    family: Option<Family>,
    kind: Option<RouteType>,
    dst: Option<Target>,
    /// The destination word as written, for messages.
    dst_text: String,
    src: Option<Target>,
    pref_src: Option<IpAddr>,
    via: Option<IpAddr>,
    dev: Option<String>,
    onlink: bool,
    table: Option<u32>,
    vrf: Option<String>,
    protocol: Option<u8>,
    scope: Option<Scope>,
    metric: Option<u32>,
    tos: Option<u8>,
    realms: Option<Realms>,
    expires: Option<u32>,
    metrics: Metrics,
    pref: Option<RoutePref>,
    ttl_propagate: Option<bool>,
    encap: Option<Encap>,
    nexthops: Vec<Nexthop>,
    mode: AddMode,
    no_track: bool,
    track_group: Option<String>,
}

/// What one word did to the route.
enum Step {
    /// Go on at this word index.
    At(usize),
    /// The rest of the line, from this index, is nexthops.
    Nexthops(usize),
    /// The route is dropped (already reported).
    Drop,
}

/// Parses one route line; `is_static` for `static_routes`. None when rejected (reported).
pub fn parse(
    ctx: &mut Ctx,
    line: &Line,
    is_static: bool,
    env: &mut LineEnv,
) -> Result<Option<Route>, Fatal> {
    let mut d = Draft::default();
    let mut i = 0;
    while i < line.len() {
        match d.word(ctx, env, line, i, is_static)? {
            Step::At(next) => i = next,
            Step::Nexthops(at) => {
                nexthop::parse_all(ctx, env, line, at, &mut d.family, &mut d.nexthops)?;
                break;
            }
            Step::Drop => return Ok(None),
        }
    }
    Ok(d.finish(ctx, line.loc))
}

/// Words followed by a value; `track_group` only on static routes.
const VALUE_WORDS: &[&str] = &[
    "src",
    "from",
    "tos",
    "dsfield",
    "table",
    "protocol",
    "scope",
    "metric",
    "priority",
    "preference",
    "dev",
    "oif",
    "expires",
    "realms",
    "pref",
    "ttl-propagate",
    "vrf",
];

/// Words that only exist for one family, which they then give the route.
fn family_bound(word: &str) -> Option<Family> {
    match word {
        "expires" | "pref" => Some(Family::Inet6),
        _ => None,
    }
}

/// keepalived's `get_u32()` and friends: a number in `0..=max`, else its number message
/// and `what`.
fn number(
    ctx: &mut Ctx,
    loc: Loc,
    v: &str,
    max: u32,
    what: impl FnOnce() -> String,
) -> Option<u32> {
    let n = value::unsigned(ctx, loc, v, 0, max);
    if n.is_none() {
        ctx.error(loc, what());
    }
    n
}

impl Draft {
    /// Sets the family from a word that implies one; false on a conflict.
    fn set_family(&mut self, f: Option<Family>) -> bool {
        match (self.family, f) {
            (None, f) => {
                self.family = f;
                true
            }
            (Some(a), f) => f == Some(a),
        }
    }

    fn word(
        &mut self,
        ctx: &mut Ctx,
        env: &mut LineEnv,
        line: &Line,
        i: usize,
        is_static: bool,
    ) -> Result<Step, Fatal> {
        let loc = line.loc;
        let word = line.word(i).unwrap_or_default();
        match word {
            "inet" | "inet6" => return Ok(self.family_word(ctx, loc, word, i)),
            "onlink" => self.onlink = true,
            "add" => self.mode = AddMode::Add,
            "prepend" => self.mode = AddMode::Prepend,
            "append" => self.mode = AddMode::Append,
            "no_track" => self.no_track = true,
            "as" => {
                let next = if ctx::word(line, i + 1)? == "to" {
                    i + 2
                } else {
                    i + 1
                };
                ctx.error(loc, "\"as to\" for MPLS only - ignoring");
                return Ok(Step::At(next + 1));
            }
            "via" | "gw" => return self.via(ctx, line, i),
            "or" => return self.or(ctx, line, i),
            "nexthop" => {
                if self.nexthops.is_empty() {
                    return Ok(Step::Nexthops(i));
                }
                ctx.error(loc, "Cannot specify nexthops with \"or\" route");
                ctx.error(loc, "Route has trailing nonsense - nexthop");
                return Ok(Step::Drop);
            }
            "encap" => {
                let (e, next) = encap::parse(ctx, env, loc, &line.words().collect::<Vec<_>>(), i);
                if e.is_some() {
                    self.encap = e;
                }
                return Ok(Step::At(next));
            }
            _ => {
                let takes_value =
                    VALUE_WORDS.contains(&word) || (is_static && word == "track_group");
                if !takes_value {
                    if let Some(step) = self.metric_word(ctx, line, i)? {
                        return Ok(step);
                    }
                    return self.destination(ctx, line, i);
                }
                // These two fix the family before their value is read.
                if let Some(fam) = family_bound(word) {
                    if self.family.is_some_and(|f| f != fam) {
                        let only = if fam == Family::Inet6 { "IPv6" } else { "IPv4" };
                        ctx.error(loc, format!("{word} is only valid for {only}"));
                        return Ok(Step::Drop);
                    }
                    self.family = Some(fam);
                }
                let v = ctx::word(line, i + 1)?;
                let ok = self.option(ctx, env, loc, word, v);
                return Ok(if ok { Step::At(i + 2) } else { Step::Drop });
            }
        }
        Ok(Step::At(i + 1))
    }

    fn family_word(&mut self, ctx: &mut Ctx, loc: Loc, word: &str, i: usize) -> Step {
        let (fam, other) = if word == "inet" {
            (Family::Inet, "IPv6")
        } else {
            (Family::Inet6, "IPv4")
        };
        if !self.set_family(Some(fam)) {
            ctx.error(loc, format!("{word} specified for {other} route"));
            return Step::Drop;
        }
        // keepalived also skips the word after the family.
        Step::At(i + 2)
    }

    /// A word of [`VALUE_WORDS`] (or `track_group`) with its value `v`; false if the route
    /// is dropped.
    fn option(&mut self, ctx: &mut Ctx, env: &mut LineEnv, loc: Loc, word: &str, v: &str) -> bool {
        match word {
            "src" => {
                let Some(p) = parse_ip(ctx, loc, v, false) else {
                    return fail(ctx, loc, format!("invalid route src address {v}"));
                };
                self.pref_src = Some(p.addr);
                self.mix_check(ctx, loc, Some(p.family()))
            }
            "from" => {
                let Some(t) = parse_target(ctx, loc, v) else {
                    return fail(ctx, loc, format!("invalid route from address {v}"));
                };
                if t.family() != Some(Family::Inet6) {
                    let msg = format!("route from address only supported with IPv6 ({v})");
                    return fail(ctx, loc, msg);
                }
                self.src = Some(t);
                self.mix_check(ctx, loc, t.family())
            }
            "tos" | "dsfield" | "table" | "protocol" | "scope" => {
                self.named(ctx, env, loc, word, v)
            }
            "metric" | "priority" | "preference" => {
                self.metric = number(ctx, loc, v, u32::MAX, || {
                    format!("Invalid metric {v} specified for route")
                });
                self.metric.is_some()
            }
            "dev" | "oif" => {
                if !ctx.interface(loc, v) {
                    let msg = format!("WARNING - interface {v} for VROUTE nexthop doesn't exist");
                    return fail(ctx, loc, msg);
                }
                self.dev = Some(v.to_string());
                true
            }
            "expires" => {
                self.expires = number(ctx, loc, v, u32::MAX, || {
                    format!("Invalid expires time {v} specified for route")
                });
                self.expires.is_some()
            }
            "realms" => {
                let Some(r) = parse_realms(env, v) else {
                    return fail(ctx, loc, format!("Invalid realms {v} for route"));
                };
                self.realms = (r.0 != 0).then_some(r);
                if self.family == Some(Family::Inet6) {
                    return fail(ctx, loc, "realms are only valid for IPv4".into());
                }
                self.family = Some(Family::Inet);
                true
            }
            "pref" => {
                self.pref = match v {
                    "low" => Some(RoutePref::Low),
                    "medium" => Some(RoutePref::Medium),
                    "high" => Some(RoutePref::High),
                    _ => number(ctx, loc, v, 255, || {
                        format!("Invalid pref value {v} specified for route")
                    })
                    .map(|n| RoutePref::from_u8(n as u8)),
                };
                self.pref.is_some()
            }
            "ttl-propagate" => {
                let on = match v {
                    "enabled" => true,
                    "disabled" => false,
                    _ => {
                        ctx.error(loc, format!("ttl-propagate value {v} not recognised"));
                        // keepalived still sends its previous (initially off) setting.
                        self.ttl_propagate.unwrap_or(false)
                    }
                };
                self.ttl_propagate = Some(on);
                true
            }
            "vrf" => {
                // Only an existing interface can be a VRF (no dynamic creation here); whether
                // it is one, and its table, are found when the route is installed.
                if !ctx.host.interface_exists(v) {
                    return fail(ctx, loc, format!("VRF {v} not found for route"));
                }
                self.vrf = Some(v.to_string());
                true
            }
            _ => self.track_group(ctx, env, loc, v),
        }
    }

    /// Words whose value is a number or an iproute2 name.
    fn named(&mut self, ctx: &mut Ctx, env: &mut LineEnv, loc: Loc, word: &str, v: &str) -> bool {
        let (found, msg) = match word {
            "table" => {
                self.table = env.names.table(v);
                let msg = format!("Routing table {v} not found for route");
                (self.table.is_some(), msg)
            }
            "protocol" => {
                self.protocol = env.names.proto(v);
                let msg = format!("Protocol {v} not found or invalid for route");
                (self.protocol.is_some(), msg)
            }
            "scope" => {
                self.scope = env.names.scope(v).map(Scope);
                let msg = format!("Scope {v} not found or invalid for route");
                (self.scope.is_some(), msg)
            }
            _ => {
                self.tos = env.names.dsfield(v);
                (self.tos.is_some(), format!("TOS value {v} is invalid"))
            }
        };
        found || fail(ctx, loc, msg)
    }

    /// `track_group NAME` of static routes.
    fn track_group(&mut self, ctx: &mut Ctx, env: &LineEnv, loc: Loc, v: &str) -> bool {
        if self.track_group.is_some() {
            // keepalived stops reading here, and the group name is then "trailing".
            ctx.error(loc, format!("track_group {v} is a duplicate"));
            return fail(ctx, loc, format!("Route has trailing nonsense - {v}"));
        }
        if env.has_track_group(v) {
            self.track_group = Some(v.to_string());
        } else {
            ctx.error(loc, format!("track_group {v} not found"));
        }
        true
    }

    /// After a word that set an address: the route's family must agree.
    fn mix_check(&mut self, ctx: &mut Ctx, loc: Loc, f: Option<Family>) -> bool {
        self.set_family(f)
            || fail(
                ctx,
                loc,
                "Cannot mix IPv4 and IPv6 addresses for route".into(),
            )
    }

    /// `via|gw [inet|inet6] ADDR`.
    fn via(&mut self, ctx: &mut Ctx, line: &Line, i: usize) -> Result<Step, Fatal> {
        let loc = line.loc;
        if line.word(i).unwrap_or_default() == "gw" {
            ctx.error(loc, "\"gw\" for routes is deprecated. Please use \"via\"");
        }
        let mut at = i + 1;
        let mut v = ctx::word(line, at)?;
        let fam = match v {
            "inet" => Some(Family::Inet),
            "inet6" => Some(Family::Inet6),
            _ => self.family,
        };
        if v == "inet" || v == "inet6" {
            at += 1;
            v = ctx::word(line, at)?;
        }
        if !self.mix_check(ctx, loc, fam) {
            return Ok(Step::Drop);
        }
        let Some(p) = parse_ip(ctx, loc, v, false) else {
            ctx.error(loc, format!("invalid route via address {v}"));
            return Ok(Step::Drop);
        };
        self.via = Some(p.addr);
        if !self.mix_check(ctx, loc, Some(p.family())) {
            return Ok(Step::Drop);
        }
        Ok(Step::At(at + 1))
    }

    /// The deprecated `or ADDR`: the `via` address and ADDR become two nexthops.
    fn or(&mut self, ctx: &mut Ctx, line: &Line, i: usize) -> Result<Step, Fatal> {
        let loc = line.loc;
        ctx.error(
            loc,
            "\"or\" for routes is deprecated. Please use \"nexthop\"",
        );
        if !self.nexthops.is_empty() {
            ctx.error(loc, "\"or\" route already specified - ignoring subsequent");
            return Ok(Step::At(i + 2));
        }
        let first = Nexthop {
            via: self.via.take(),
            ..Nexthop::default()
        };
        self.nexthops.push(first);
        let v = ctx::word(line, i + 1)?;
        let Some(p) = parse_ip(ctx, loc, v, false) else {
            ctx.error(loc, format!("Invalid \"or\" address {v}"));
            return Ok(Step::Drop);
        };
        self.nexthops.push(Nexthop {
            via: Some(p.addr),
            ..Nexthop::default()
        });
        Ok(Step::At(i + 2))
    }

    /// The route metrics (`mtu`, `rtt` ... `congctl`, `features`), or None if `words[i]` is
    /// not one.
    fn metric_word(&mut self, ctx: &mut Ctx, line: &Line, i: usize) -> Result<Option<Step>, Fatal> {
        Ok(match self.metrics.parse(ctx, line, i)? {
            MetricStep::NotMetric => None,
            MetricStep::At(next) => Some(Step::At(next)),
            MetricStep::Drop => Some(Step::Drop),
        })
    }

    /// `[to] [TYPE] PREFIX|default|any|all`: anything else is read as a destination.
    fn destination(&mut self, ctx: &mut Ctx, line: &Line, i: usize) -> Result<Step, Fatal> {
        let loc = line.loc;
        let word = line.word(i).unwrap_or_default();
        let mut at = i;
        if word == "to" {
            at += 1;
        }
        // keepalived looks for a type in the first word, even when that was `to`.
        if let Some(t) = names::route_type(word) {
            self.kind = Some(RouteType(t));
            at += 1;
        }
        let text = ctx::word(line, at)?;
        let Some(t) = parse_target(ctx, loc, text) else {
            ctx.error(loc, format!("unknown route keyword {text}"));
            return Ok(Step::Drop);
        };
        self.dst = Some(t);
        self.dst_text = text.to_string();
        if !self.set_family(t.family()) {
            ctx.error(
                loc,
                format!("Cannot mix IPv4 and IPv6 addresses for route ({text})"),
            );
            return Ok(Step::Drop);
        }
        Ok(Step::At(at + 1))
    }

    /// keepalived's checks once all words are read.
    fn finish(mut self, ctx: &mut Ctx, loc: Loc) -> Option<Route> {
        let Some(dst) = self.dst else {
            ctx.error(loc, "Route must have a destination");
            return None;
        };
        if self.nexthops.len() > limits::MAX_NEXTHOPS_PER_ROUTE {
            ctx.error(
                loc,
                format!(
                    "Route has more than MAX_NEXTHOPS_PER_ROUTE ({}) nexthops",
                    limits::MAX_NEXTHOPS_PER_ROUTE
                ),
            );
            return None;
        }
        if !self.no_track {
            if self.protocol.is_some_and(|p| p != PROTO_KEEPALIVED) {
                ctx.error(loc, format!("Route cannot be tracked if protocol is not RTPROT_KEEPALIVED({PROTO_KEEPALIVED}), resetting protocol"));
            }
            self.protocol = Some(PROTO_KEEPALIVED);
            if self.dev.is_none() {
                ctx.error(
                    loc,
                    format!(
                        "Warning - cannot track route {} with no interface specified, not tracking",
                        self.dst_text
                    ),
                );
                self.no_track = true;
            }
        }
        if self.track_group.is_some() && self.dev.is_none() {
            ctx.error(
                loc,
                "Static route cannot have track group if no oif specified",
            );
            self.track_group = None;
        }
        let family = self.family.unwrap_or(Family::Inet);
        Some(Route {
            family,
            kind: self.kind.unwrap_or(RouteType::UNICAST),
            dst: dst.resolve(family),
            src: self.src.map(|t| t.resolve(family)),
            pref_src: self.pref_src,
            via: self.via,
            dev: self.dev,
            onlink: self.onlink,
            table: self.table.unwrap_or(TABLE_MAIN),
            vrf: self.vrf,
            protocol: self.protocol,
            scope: self.scope,
            metric: self.metric,
            tos: self.tos,
            realms: self.realms,
            expires: self.expires,
            metrics: self.metrics,
            pref: self.pref,
            ttl_propagate: self.ttl_propagate,
            encap: self.encap,
            nexthops: self.nexthops,
            mode: self.mode,
            no_track: self.no_track,
            track_group: self.track_group,
            loc,
        })
    }
}

/// Reports `msg`; always false, for `ok || fail(...)` chains.
fn fail(ctx: &mut Ctx, loc: Loc, msg: String) -> bool {
    ctx.error(loc, msg);
    false
}

#[cfg(test)]
mod tests {
    use crate::config::model::ipaddr::harness::{assert_round_trip, run};

    #[test]
    fn route_words_like_keepalived() {
        let text = r#"static_routes {
  10.1.0.0/16 via 192.168.1.1 dev eth0
  10.2.0.0/16 gw 192.168.1.1 dev eth0
  10.3.0.0/16 via 192.168.1.1 or 192.168.1.2 dev eth0
  10.4.0.0/16 dev eth0 nexthop via 192.168.1.1 dev eth0 weight 2 nexthop via 192.168.1.2 dev eth0
  10.5.0.0/16 dev eth9
  10.6.0.0/16 via 192.168.1.1
  10.7.0.0/16 via 192.168.1.1 dev eth0 table 100
  10.8.0.0/16 via 192.168.1.1 dev eth0 table main
  10.9.0.0/16 via 192.168.1.1 dev eth0 table nosuch
  10.10.0.0/16 via 192.168.1.1 dev eth0 protocol bgp
  10.11.0.0/16 via 192.168.1.1 dev eth0 protocol keepalived
  10.12.0.0/16 via 192.168.1.1 dev eth0 protocol bgp no_track
  10.13.0.0/16 via 192.168.1.1 dev eth0 metric 100 scope link src 192.168.1.5
  10.14.0.0/16 via 192.168.1.1 dev eth0 metric -1
  blackhole 10.15.0.0/16
  unreachable 10.16.0.0/16 dev eth0
  to 10.17.0.0/16 dev eth0
  to blackhole 10.18.0.0/16 dev eth0
  10.19.0.0/16 via 2001:db8::1 dev eth0
  inet6 2001:db8::/64 dev eth0
  2001:db8:1::/64 via 2001:db8::1 dev eth0 expires 100
  10.20.0.0/16 dev eth0 expires 100
  10.21.0.0/16 dev eth0 mtu lock 1400 advmss 1300 hoplimit 64 window 100 cwnd lock 10 ssthresh 5 initcwnd 10 initrwnd 10 reordering 3
  10.22.0.0/16 dev eth0 rtt 1s rttvar 500ms rto_min 300ms
  10.23.0.0/16 dev eth0 rtt 100 rto_min 200s
  10.24.0.0/16 dev eth0 features ecn quickack 1 congctl lock cubic fastopen_no_cookie 1
  10.25.0.0/16 dev eth0 features foo quickack 2
  2001:db8:2::/64 dev eth0 pref high
  10.26.0.0/16 dev eth0 pref low
  10.27.0.0/16 dev eth0 ttl-propagate enabled
  10.28.0.0/16 dev eth0 ttl-propagate maybe
  10.29.0.0/16 dev eth0 realms 1/2
  10.30.0.0/16 dev eth0 realms foo
  10.31.0.0/16 dev eth0 tos 0x10
  10.32.0.0/16 dev eth0 tos AF11
  10.33.0.0/16 dev eth0 tos 300
  10.34.0.0/16 dev eth0 onlink append
  10.35.0.0/16 dev eth0 add prepend
  default via 192.168.1.1 dev eth0
  default6 via 2001:db8::1 dev eth0
  any dev eth0
  10.36.0.0/16 dev eth0 frobnicate
  10.38.0.0/16 dev eth0 vrf vrfX
  10.39.0.0/16 dev eth0 as to 10.0.0.1
  10.40.0.0/16 dev eth0 from 2001:db8::/64
  2001:db8:3::/64 dev eth0 from 2001:db8::/64
  2001:db8:4::/64 dev eth0 from default
  10.41.0.0/16 via inet6 2001:db8::1 dev eth0
  10.42.0.0/16 via inet 192.168.1.1 dev eth0
  dev eth0 via 192.168.1.1
  10.43.0.0/16 10.44.0.0/16 dev eth0
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "3: \"gw\" for routes is deprecated. Please use \"via\"",
                "4: \"or\" for routes is deprecated. Please use \"nexthop\"",
                "6: WARNING - interface eth9 for VROUTE nexthop doesn't exist",
                "7: Warning - cannot track route 10.6.0.0/16 with no interface specified, not tracking",
                "10: Routing table nosuch not found for route",
                "11: Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol",
                "15: negative number '-1'",
                "15: Invalid metric -1 specified for route",
                "16: Warning - cannot track route 10.15.0.0/16 with no interface specified, not tracking",
                "19: VRRP parsed invalid IP blackhole. skipping IP...",
                "19: unknown route keyword blackhole",
                "20: Cannot mix IPv4 and IPv6 addresses for route",
                "21: Route must have a destination",
                "23: expires is only valid for IPv6",
                "26: number '200' outside range [0.000, 120.000]",
                "26: Invalid rto_min value 200s specified for route",
                "28: feature foo not supported",
                "28: number '2' outside range [0, 1]",
                "28: Invalid quickack value 2 specified for route",
                "30: pref is only valid for IPv6",
                "32: ttl-propagate value maybe not recognised",
                "34: Invalid realms foo for route",
                "37: TOS value 300 is invalid",
                "43: VRRP parsed invalid IP frobnicate. skipping IP...",
                "43: unknown route keyword frobnicate",
                "44: VRF vrfX not found for route",
                "45: \"as to\" for MPLS only - ignoring",
                "46: Cannot mix IPv4 and IPv6 addresses for route",
                "48: route from address only supported with IPv6 (default)",
                "49: Cannot mix IPv4 and IPv6 addresses for route",
                "51: Route must have a destination",
                "Non-existent interface specified in configuration",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn encap_nexthops_and_metrics_like_keepalived() {
        let text = r#"static_routes {
  10.1.0.0/16 dev eth0 encap mpls 100/200
  10.2.0.0/16 dev eth0 encap mpls 100/200/300
  10.3.0.0/16 dev eth0 encap ip id 5 dst 10.0.0.1 src 10.0.0.2 tos 0x10 ttl 64 flags 1
  10.4.0.0/16 dev eth0 encap ip tos 0x10
  10.5.0.0/16 dev eth0 encap ip id 5 dst foo
  10.6.0.0/16 dev eth0 encap ip dst 2001:db8::1
  10.7.0.0/16 dev eth0 encap ip6 dst 2001:db8::1 tc 5 hoplimit 3
  10.8.0.0/16 dev eth0 encap ip6 dst 2001:db8::1 tc foo
  10.9.0.0/16 dev eth0 encap ila 1:2:3:4
  10.10.0.0/16 dev eth0 encap ila 1:2:3
  10.11.0.0/16 dev eth0 encap foo 1.2.3.4 onlink
  10.12.0.0/16 dev eth0 encap
  10.13.0.0/16 dev eth0 encap ip ttl 300 dst 10.0.0.1
  10.14.0.0/16 dev eth0 nexthop via 10.0.0.1 dev eth9
  10.15.0.0/16 dev eth0 nexthop via 10.0.0.1 weight 0
  10.16.0.0/16 dev eth0 nexthop via 10.0.0.1 weight 257
  10.17.0.0/16 dev eth0 nexthop via 2001:db8::1
  10.18.0.0/16 dev eth0 nexthop via inet6 2001:db8::1
  10.19.0.0/16 dev eth0 nexthop via 10.0.0.1 onlink realms 3 nexthop via 10.0.0.2 encap mpls 5
  10.20.0.0/16 dev eth0 nexthop via 10.0.0.1 bogus
  10.21.0.0/16 dev eth0 nexthop via 10.0.0.1 as to 1.2.3.4
  10.22.0.0/16 dev eth0 via 10.0.0.1 or 10.0.0.2 or 10.0.0.3
  10.23.0.0/16 dev eth0 via 10.0.0.1 or 10.0.0.2 nexthop via 10.0.0.4
  10.24.0.0/16 dev eth0 or bad
  10.25.0.0/16 dev eth0 nexthop via bad
  10.26.0.0/16 dev eth0 nexthop via 10.0.0.1 realms foo
  nexthop via 10.0.0.1 dev eth0
  10.27.0.0/16 dev eth0 track_group TG
  10.28.0.0/16 dev eth0 mtu lock
  10.29.0.0/16 dev eth0 mtu foo
  10.30.0.0/16 dev eth0 rtt 1e3
  10.31.0.0/16 dev eth0 rtt 2min
  10.32.0.0/16 dev eth0 quickack x
  10.33.0.0/16 dev eth0 realms 1/300
  2001:db8::/64 dev eth0 realms 2
  10.34.0.0/16 dev eth0 pref 5
  inet6 x 10.35.0.0/16 dev eth0
  inet x inet6 x 10.36.0.0/16 dev eth0
  10.37.0.0/16 inet6 x dev eth0
  10.38.0.0/16 dev eth0 src 2001:db8::1
  10.39.0.0/16 dev eth0 src bad
  10.40.0.0/16 dev eth0 scope 999
  10.41.0.0/16 dev eth0 protocol 300
  10.42.0.0/16 dev eth0 table 0x10
  10.43.0.0/16 dev eth0 table -1
  10.44.0.0/16 dev eth0 metric 4294967296
  10.45.0.0/16 dev eth0 hoplimit 256
  10.46.0.0/16 dev eth0 congctl
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 2);
        assert_eq!(
            out.lines(),
            [
                "3: invalid mpls address 100/200/300 for encapsulation",
                "5: address or id missing for ip encapsulation",
                "6: VRRP parsed invalid IP foo. skipping IP...",
                "6: Invalid encap ip dst foo",
                "6: VRRP parsed invalid IP dst. skipping IP...",
                "6: unknown route keyword dst",
                "7: IPv6 address 2001:db8::1 not valid for ip encapsulation",
                "7: VRRP parsed invalid IP dst. skipping IP...",
                "7: unknown route keyword dst",
                "9: tc value tc is invalid for ip6 encapsulation",
                "9: VRRP parsed invalid IP tc. skipping IP...",
                "9: unknown route keyword tc",
                "11: invalid locator 1:2:3 for ila encapsulation",
                "12: Unknown encap type - foo",
                "13: Missing encap type",
                "14: number '300' outside range [0, 255]",
                "14: ttl 300 is not valid for ip encapsulation",
                "14: VRRP parsed invalid IP ttl. skipping IP...",
                "14: unknown route keyword ttl",
                "15: WARNING - interface eth9 for VROUTE nexthop doesn't exist",
                "16: Invalid weight 0 specified for route",
                "17: number '257' outside range [0, 256]",
                "17: Invalid weight 257 specified for route",
                "18: Address family mismatch for next hop",
                "19: IPv4/6 mismatch for nexthop",
                "21: Route has trailing nonsense after nexthops - bogus",
                "22: 'as [to]' (nat) not supported",
                "23: \"or\" for routes is deprecated. Please use \"nexthop\"",
                "23: \"or\" route already specified - ignoring subsequent",
                "24: \"or\" for routes is deprecated. Please use \"nexthop\"",
                "24: Cannot specify nexthops with \"or\" route",
                "24: Route has trailing nonsense - nexthop",
                "25: \"or\" for routes is deprecated. Please use \"nexthop\"",
                "25: VRRP parsed invalid IP bad. skipping IP...",
                "25: Invalid \"or\" address bad",
                "26: VRRP parsed invalid IP bad. skipping IP...",
                "26: invalid nexthop address bad",
                "27: Invalid realms foo for route",
                "28: Route must have a destination",
                "29: track_group TG not found",
                "30: *** Configuration line starting `10.28.0.0/16` is missing a parameter after keyword `lock` at word position 6",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn missing_via_address_is_fatal() {
        let text = r#"static_routes {
10.0.0.0/8 via
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 2);
        assert_eq!(
            out.lines(),
            [
                "2: *** Configuration line starting `10.0.0.0/8` is missing a parameter after keyword `via` at word position 3",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn type_without_destination_is_fatal() {
        let text = r#"static_routes {
blackhole
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 2);
        assert_eq!(
            out.lines(),
            [
                "2: *** Configuration line starting `blackhole` is missing a parameter after keyword `blackhole` at word position 2",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn expires_on_ipv4_checks_family_first() {
        let text = r#"static_routes {
10.0.0.0/8 expires
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(out.lines(), ["2: expires is only valid for IPv6",]);
        assert_round_trip(text);
    }

    #[test]
    fn second_or_skips_without_reading() {
        let text = r#"static_routes {
10.0.0.0/8 via 1.2.3.4 or 1.2.3.5 dev eth0 or
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "2: \"or\" for routes is deprecated. Please use \"nexthop\"",
                "2: \"or\" route already specified - ignoring subsequent",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn more_route_words_like_keepalived() {
        let text = r#"track_group TG {
  group {
    VI_1
  }
}
static_routes {
  10.1.0.0/16 dev eth0 table local
  10.2.0.0/16 dev eth0 table 4294967295
  10.3.0.0/16 dev eth0 table 4294967296
  10.4.0.0/16 dev eth0 scope 0x100
  10.5.0.0/16 dev eth0 protocol static
  10.6.0.0/16 dev eth0 tos EF
  10.7.0.0/16 dev eth0 metric 0x10
  throw 10.8.0.0/16
  nat 10.9.0.0/16 dev eth0
  5 10.10.0.0/16 dev eth0
  10.11.0.0/16 dev eth0 rtt lock 2s rttvar 1s
  10.12.0.0/16 dev eth0 rto_min 200s
  10.13.0.0/16 dev eth0 rtt 1.5
  default dev eth0 via 10.0.0.1 src 10.0.0.2 metric 5
  10.14.0.0/16 dev eth0 nexthop via 10.0.0.1 nexthop
  10.15.0.0/16 dev eth0 nexthop dev eth0 weight 256
  10.16.0.0/16 nexthop via 10.0.0.1 dev eth0
  10.17.0.0/16 dev eth0 nexthop via 10.0.0.1 encap ip id 1 dev eth0
  10.18.0.0/16 dev eth0 encap ip6 id 1 hoplimit 300
  10.19.0.0/16 dev eth0 encap ip6 dst 10.0.0.1
  10.20.0.0/16 dev eth0 encap ila 0x1:2:3:4
  10.21.0.0/16 dev eth0 encap mpls 0x100
  10.22.0.0/16 via 10.0.0.1 track_group TG
  10.23.0.0/16 dev eth0 track_group TG
  prohibit 10.24.0.0/16 dev eth0 protocol 18
  10.25.0.0/16 dev eth0 dsfield 0x04
  10.26.0.0/16 dev eth0 track_group TG track_group TG
  10.27.0.0/16 dev eth0 mtu 1500 mtu lock 1400 mtu 1300
  2001:db8::/64 dev eth0 via inet 10.0.0.1
  10.28.0.0/16 via inet6 2001:db8::1 dev eth0
  10.29.0.0/16 dev eth0 src 10.0.0.1/24
  10.30.0.0/16 dev eth0 from 10.0.0.0/8
  to default dev eth0
  to to 10.31.0.0/16 dev eth0
  10.32.0.0/16 dev eth0 nexthop via 10.0.0.1 dev eth0 nexthop via 10.0.0.2 weight 3 onlink
  2001:db8:1::/64 dev eth0 nexthop via inet6 2001:db8::1 nexthop via 2001:db8::2
  2001:db8:2::/64 dev eth0 nexthop via inet6 2001:db8::1 nexthop via 10.0.0.1
  10.33.0.0/16 dev eth0 or 10.0.0.1
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "10: Scope 0x100 not found or invalid for route",
                "11: Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol",
                "13: invalid number '0x10'",
                "13: Invalid metric 0x10 specified for route",
                "14: Warning - cannot track route 10.8.0.0/16 with no interface specified, not tracking",
                "18: number '200' outside range [0.000, 120.000]",
                "18: Invalid rto_min value 200s specified for route",
                "19: number '1.5' has too many decimal places",
                "23: Warning - cannot track route 10.16.0.0/16 with no interface specified, not tracking",
                "25: number '300' outside range [0, 255]",
                "25: Invalid hoplimit 300 specified for ip6 encapsulation",
                "25: Invalid hoplimit 300 specified for route",
                "26: IPv4 address 10.0.0.1 not valid for ip6 encapsulation",
                "26: VRRP parsed invalid IP dst. skipping IP...",
                "26: unknown route keyword dst",
                "29: Warning - cannot track route 10.22.0.0/16 with no interface specified, not tracking",
                "29: Static route cannot have track group if no oif specified",
                "33: track_group TG is a duplicate",
                "33: Route has trailing nonsense - TG",
                "35: Cannot mix IPv4 and IPv6 addresses for route",
                "36: Cannot mix IPv4 and IPv6 addresses for route",
                "37: VRRP parsed invalid IP 10.0.0.1/24. skipping IP...",
                "37: invalid route src address 10.0.0.1/24",
                "38: route from address only supported with IPv6 (10.0.0.0/8)",
                "40: VRRP parsed invalid IP to. skipping IP...",
                "40: unknown route keyword to",
                "43: Address family mismatch for next hop",
                "44: \"or\" for routes is deprecated. Please use \"nexthop\"",
            ]
        );
    }

    #[test]
    fn default_words_take_the_family_of_the_line() {
        let text = r#"static_routes {
 inet x default dev eth0
 src 10.0.0.1 default dev eth0
 via 10.0.0.1 any dev eth0
 default6 via 10.0.0.1 dev eth0
 via 10.0.0.1 default6 dev eth0
}
static_rules {
 from all to all table 100 priority 5
 to 10.0.0.0/8 from all table 100 priority 6
 realms 3 from all table 100 priority 7
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "2: Cannot mix IPv4 and IPv6 addresses for route (default)",
                "3: Cannot mix IPv4 and IPv6 addresses for route (default)",
                "4: Cannot mix IPv4 and IPv6 addresses for route (any)",
                "5: Cannot mix IPv4 and IPv6 addresses for route",
                "6: Cannot mix IPv4 and IPv6 addresses for route (default6)",
                "10: rule specification has mixed IPv4 and IPv6",
                "11: rule specification has mixed IPv4 and IPv6",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn vrf_must_exist_and_its_table_is_left_to_installation() {
        // keepalived also rejects an existing interface that is not a VRF; the host
        // interface does not tell link kinds, so that check is left to installation.
        let text =
            "static_routes {\n10.0.0.0/8 dev eth0 vrf eth0\n10.1.0.0/16 dev eth0 vrf blue\n}\n";
        let out = run(text);
        assert_eq!(out.lines(), ["3: VRF blue not found for route"]);
        assert_eq!(out.kept[0].1, "10.0.0.0/8 dev eth0 vrf eth0 protocol 18");
    }

    #[test]
    fn normalised_lines_put_nexthops_last() {
        let text = "static_routes {\nnexthop via 10.0.0.1 dev eth0 weight 2 unreachable 10.0.0.0/8 dev eth0\n2001:db8::/32 dev lo via 2001:db8::1 table 10 metric 5 mtu lock 1400 rtt 2s congctl reno expires 60 pref low append no_track\n10.2.0.0/16 dev eth0 encap ip id 7 dst 10.9.9.9 ttl 5 flags 3 realms 1/2 scope link protocol boot no_track\n}\n";
        let out = run(text);
        let kept: Vec<&str> = out.kept.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            kept,
            [
                "2001:db8::/32 via 2001:db8::1 dev lo table 10 metric 5 expires 60 mtu lock 1400 rtt 16000 congctl reno pref low append no_track",
                "10.2.0.0/16 dev eth0 table 254 protocol 3 scope link realms 1/2 encap ip id 7 dst 10.9.9.9 ttl 5 flags 3 no_track",
            ]
        );
        assert_eq!(
            out.lines(),
            [
                "2: Route has trailing nonsense after nexthops - unreachable",
                "2: Route must have a destination"
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn an_or_gateway_of_the_other_family_stays_an_or() {
        // keepalived takes it after `or`, but refuses it as `nexthop via`.
        let text = "static_routes {\n10.0.0.0/8 dev eth0 via 10.0.0.1 or ::1\n10.1.0.0/16 dev eth0 via 10.0.0.1 or 10.0.0.2\n}\n";
        let out = run(text);
        let kept: Vec<&str> = out.kept.iter().map(|(_, l)| l.as_str()).collect();
        let foreign = "10.0.0.0/8 dev eth0 table 254 protocol 18 via 10.0.0.1 or ::1";
        assert_eq!(
            kept,
            [
                foreign,
                "10.1.0.0/16 dev eth0 table 254 protocol 18 nexthop via 10.0.0.1 nexthop via 10.0.0.2",
            ]
        );
        let again = run(&format!("static_routes {{\n{foreign}\n}}\n"));
        assert_eq!(again.kept[0].1, foreign);
    }
}
