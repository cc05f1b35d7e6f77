//! Routes (`virtual_routes`, `static_routes`) added and deleted as keepalived's
//! `netlink_route` does: every option of the model, multipath nexthops, lightweight tunnel
//! encapsulation and metrics.

use std::net::IpAddr;

use super::attr::{Be, Writer};
use super::command::Command;
use super::error::Error;
use super::link::IfName;
use super::msg::{
    NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTM_DELROUTE, RTM_NEWROUTE,
};
use crate::config::model::ipaddr::Family;
use crate::config::model::route::{AddMode, Encap, IpTunnel, Metrics, Nexthop, Route, RoutePref};

const RTA_DST: u16 = 1;
const RTA_SRC: u16 = 2;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_METRICS: u16 = 8;
const RTA_MULTIPATH: u16 = 9;
const RTA_FLOW: u16 = 11;
const RTA_TABLE: u16 = 15;
const RTA_VIA: u16 = 18;
const RTA_PREF: u16 = 20;
const RTA_ENCAP_TYPE: u16 = 21;
const RTA_ENCAP: u16 = 22;
const RTA_EXPIRES: u16 = 23;
const RTA_TTL_PROPAGATE: u16 = 26;

const RTAX_LOCK: u16 = 1;
const RTAX_MTU: u16 = 2;
const RTAX_WINDOW: u16 = 3;
const RTAX_RTT: u16 = 4;
const RTAX_RTTVAR: u16 = 5;
const RTAX_SSTHRESH: u16 = 6;
const RTAX_CWND: u16 = 7;
const RTAX_ADVMSS: u16 = 8;
const RTAX_REORDERING: u16 = 9;
const RTAX_HOPLIMIT: u16 = 10;
const RTAX_INITCWND: u16 = 11;
const RTAX_FEATURES: u16 = 12;
const RTAX_RTO_MIN: u16 = 13;
const RTAX_INITRWND: u16 = 14;
const RTAX_QUICKACK: u16 = 15;
const RTAX_CC_ALGO: u16 = 16;
const RTAX_FASTOPEN_NO_COOKIE: u16 = 17;
const RTAX_FEATURE_ECN: u32 = 1;

const LWTUNNEL_ENCAP_MPLS: u16 = 1;
const LWTUNNEL_ENCAP_IP: u16 = 2;
const LWTUNNEL_ENCAP_ILA: u16 = 3;
const LWTUNNEL_ENCAP_IP6: u16 = 4;
const MPLS_IPTUNNEL_DST: u16 = 1;
const ILA_ATTR_LOCATOR: u16 = 1;
/// LWTUNNEL_IP_* and LWTUNNEL_IP6_* share numbers (TTL/HOPLIMIT, TOS/TC).
const LWTUNNEL_IP_ID: u16 = 1;
const LWTUNNEL_IP_DST: u16 = 2;
const LWTUNNEL_IP_SRC: u16 = 3;
const LWTUNNEL_IP_TTL: u16 = 4;
const LWTUNNEL_IP_TOS: u16 = 5;
const LWTUNNEL_IP_FLAGS: u16 = 6;
const MPLS_LS_LABEL_SHIFT: u32 = 12;
const MPLS_LS_S_SHIFT: u32 = 8;
/// keepalived's parser takes at most two labels.
const MAX_MPLS_LABELS: usize = 2;

const RTNH_F_ONLINK: u8 = 4;
const RTNEXTHOP_LEN: usize = 8;
const RTMSG_LEN: usize = 12;
/// RTPROT_KEEPALIVED: routes keepalived installs carry it unless told otherwise.
const RTPROT_KEEPALIVED: u8 = 18;
const RT_SCOPE_UNIVERSE: u8 = 0;
const RT_SCOPE_NOWHERE: u8 = 255;
const RTN_UNICAST: u8 = 1;

/// Interface names resolved to what the kernel wants.
pub trait Interfaces {
    fn ifindex(&self, name: &str) -> Option<u32>;
    /// The routing table of VRF device `name`; None if it is not a VRF.
    fn vrf_table(&self, name: &str) -> Option<u32>;
}

fn family_of(f: Family) -> u8 {
    match f {
        Family::Inet => libc::AF_INET as u8,
        Family::Inet6 => libc::AF_INET6 as u8,
    }
}

fn index_of(ifs: &impl Interfaces, name: &str) -> Result<u32, Error> {
    ifs.ifindex(name)
        .ok_or_else(|| Error::NoInterface(IfName::lossy(name)))
}

/// A gateway: RTA_GATEWAY in the route's family, RTA_VIA (family, address) otherwise.
fn gateway(w: &mut Writer<'_>, route_family: Family, via: IpAddr) -> Result<(), Error> {
    if Family::of(via) == route_family {
        return w.attr(RTA_GATEWAY, &via);
    }
    let mut v = [0u8; 18];
    let fam = u16::from(family_of(Family::of(via)));
    v[..2].copy_from_slice(&fam.to_ne_bytes());
    let len = match via {
        IpAddr::V4(a) => {
            v[2..6].copy_from_slice(&a.octets());
            6
        }
        IpAddr::V6(a) => {
            v[2..18].copy_from_slice(&a.octets());
            18
        }
    };
    w.attr(RTA_VIA, &v[..len])
}

fn encap(w: &mut Writer<'_>, e: &Encap) -> Result<(), Error> {
    let nest = w.nest(RTA_ENCAP)?;
    let kind = match e {
        Encap::Mpls(labels) => {
            let mut v = [0u8; 4 * MAX_MPLS_LABELS];
            let n = labels.len();
            if n > MAX_MPLS_LABELS {
                return Err(Error::NoSpace);
            }
            for (i, l) in labels.iter().enumerate() {
                let mut entry = l << MPLS_LS_LABEL_SHIFT;
                if i + 1 == n {
                    entry |= 1 << MPLS_LS_S_SHIFT;
                }
                v[4 * i..4 * i + 4].copy_from_slice(&entry.to_be_bytes());
            }
            w.attr(MPLS_IPTUNNEL_DST, &v[..4 * n])?;
            LWTUNNEL_ENCAP_MPLS
        }
        Encap::Ip(t) => {
            tunnel(w, t)?;
            LWTUNNEL_ENCAP_IP
        }
        Encap::Ip6(t) => {
            tunnel(w, t)?;
            LWTUNNEL_ENCAP_IP6
        }
        Encap::Ila(locator) => {
            w.attr(ILA_ATTR_LOCATOR, locator)?;
            LWTUNNEL_ENCAP_ILA
        }
    };
    w.end_nest(nest)?;
    w.attr(RTA_ENCAP_TYPE, &kind)
}

fn tunnel(w: &mut Writer<'_>, t: &IpTunnel) -> Result<(), Error> {
    if let Some(id) = t.id {
        w.attr(LWTUNNEL_IP_ID, &Be(id))?;
    }
    if let Some(a) = t.dst {
        w.attr(LWTUNNEL_IP_DST, &a)?;
    }
    if let Some(a) = t.src {
        w.attr(LWTUNNEL_IP_SRC, &a)?;
    }
    if let Some(v) = t.tos {
        w.attr(LWTUNNEL_IP_TOS, &v)?;
    }
    if let Some(v) = t.ttl {
        w.attr(LWTUNNEL_IP_TTL, &v)?;
    }
    if let Some(v) = t.flags {
        w.attr(LWTUNNEL_IP_FLAGS, &v)?;
    }
    Ok(())
}

/// RTA_METRICS, in keepalived's order, with the lock bits last; nothing if no metric is set.
fn metrics(w: &mut Writer<'_>, m: &Metrics) -> Result<(), Error> {
    if *m == Metrics::default() {
        return Ok(());
    }
    let nest = w.nest(RTA_METRICS)?;
    let mut lock = 0u32;
    let mut locked = |kind: u16, on: bool| {
        if on {
            lock |= 1 << kind;
        }
    };
    if let Some(c) = &m.congctl {
        locked(RTAX_CC_ALGO, c.lock);
        w.attr(RTAX_CC_ALGO, c.value.as_bytes())?;
    }
    let lockable = [
        (RTAX_RTT, &m.rtt),
        (RTAX_RTTVAR, &m.rttvar),
        (RTAX_RTO_MIN, &m.rto_min),
    ];
    for (kind, v) in lockable {
        if let Some(v) = v {
            locked(kind, v.lock);
            w.attr(kind, &v.value)?;
        }
    }
    if m.ecn {
        w.attr(RTAX_FEATURES, &RTAX_FEATURE_ECN)?;
    }
    let plain = [
        (RTAX_MTU, m.mtu.as_ref().map(|v| (v.value, v.lock))),
        (RTAX_WINDOW, m.window.map(|v| (v, false))),
        (
            RTAX_SSTHRESH,
            m.ssthresh.as_ref().map(|v| (v.value, v.lock)),
        ),
        (RTAX_CWND, m.cwnd.as_ref().map(|v| (v.value, v.lock))),
        (RTAX_ADVMSS, m.advmss.as_ref().map(|v| (v.value, v.lock))),
        (
            RTAX_REORDERING,
            m.reordering.as_ref().map(|v| (v.value, v.lock)),
        ),
        (RTAX_HOPLIMIT, m.hoplimit.map(|v| (u32::from(v), false))),
        (RTAX_INITCWND, m.initcwnd.map(|v| (v, false))),
        (RTAX_INITRWND, m.initrwnd.map(|v| (v, false))),
        (RTAX_QUICKACK, m.quickack.map(|v| (u32::from(v), false))),
        (
            RTAX_FASTOPEN_NO_COOKIE,
            m.fastopen_no_cookie.map(|v| (u32::from(v), false)),
        ),
    ];
    for (kind, v) in plain {
        if let Some((v, l)) = v {
            locked(kind, l);
            w.attr(kind, &v)?;
        }
    }
    if lock != 0 {
        w.attr(RTAX_LOCK, &lock)?;
    }
    w.end_nest(nest)
}

fn nexthops(
    w: &mut Writer<'_>,
    family: Family,
    nhs: &[Nexthop],
    ifs: &impl Interfaces,
) -> Result<(), Error> {
    let nest = w.nest(RTA_MULTIPATH)?;
    for nh in nhs {
        let at = w.reserve(RTNEXTHOP_LEN)?;
        if let Some(v) = nh.via {
            gateway(w, family, v)?;
        }
        if let Some(r) = nh.realms {
            w.attr(RTA_FLOW, &r.0)?;
        }
        if let Some(e) = &nh.encap {
            encap(w, e)?;
        }
        let len = u16::try_from(w.len() - at).map_err(|_| Error::NoSpace)?;
        let ifindex = match &nh.dev {
            Some(d) => index_of(ifs, d)?,
            None => 0,
        };
        let mut h = [0u8; RTNEXTHOP_LEN];
        h[..2].copy_from_slice(&len.to_ne_bytes());
        h[2] = if nh.onlink { RTNH_F_ONLINK } else { 0 };
        // The kernel's hop count is the weight less one.
        h[3] = nh.weight.map_or(0, |v| v.saturating_sub(1) as u8);
        h[4..].copy_from_slice(&ifindex.to_ne_bytes());
        w.patch(at, &h);
    }
    w.end_nest(nest)
}

fn write_route(
    w: &mut Writer<'_>,
    r: &Route,
    add: bool,
    ifs: &impl Interfaces,
) -> Result<(), Error> {
    let table = match &r.vrf {
        Some(v) => ifs
            .vrf_table(v)
            .ok_or_else(|| Error::NoInterface(IfName::lossy(v)))?,
        None => r.table,
    };
    let mut h = [0u8; RTMSG_LEN];
    h[0] = family_of(r.family);
    h[1] = r.dst.len;
    h[2] = r.src.map_or(0, |s| s.len);
    h[3] = r.tos.unwrap_or(0);
    h[4] = u8::try_from(table).unwrap_or(0);
    h[5] = r.protocol.unwrap_or(RTPROT_KEEPALIVED);
    h[6] = match (r.scope, add) {
        (Some(s), _) => s.0,
        (None, true) => RT_SCOPE_UNIVERSE,
        // A delete matches any scope.
        (None, false) => RT_SCOPE_NOWHERE,
    };
    // A delete matches any type unless one was given (the model cannot tell a given
    // `unicast` from the default, and both match the same routes).
    h[7] = if add || r.kind.0 != RTN_UNICAST {
        r.kind.0
    } else {
        0
    };
    if r.onlink {
        h[8] = RTNH_F_ONLINK;
    }
    w.fixed(&h)?;
    if table > 255 {
        w.attr(RTA_TABLE, &table)?;
    }
    w.attr(RTA_DST, &r.dst.addr)?;
    if let Some(s) = &r.src {
        w.attr(RTA_SRC, &s.addr)?;
    }
    if let Some(a) = r.pref_src {
        w.attr(RTA_PREFSRC, &a)?;
    }
    if let Some(v) = r.via {
        gateway(w, r.family, v)?;
    }
    if let Some(e) = &r.encap {
        encap(w, e)?;
    }
    if let Some(d) = &r.dev {
        w.attr(RTA_OIF, &index_of(ifs, d)?)?;
    }
    if let Some(m) = r.metric {
        w.attr(RTA_PRIORITY, &m)?;
    }
    if let Some(realms) = r.realms {
        w.attr(RTA_FLOW, &realms.0)?;
    }
    if let Some(e) = r.expires {
        w.attr(RTA_EXPIRES, &e)?;
    }
    if let Some(p) = r.pref {
        let v: u8 = match p {
            RoutePref::Low => 3,
            RoutePref::Medium => 0,
            RoutePref::High => 1,
            RoutePref::Other(n) => n,
        };
        w.attr(RTA_PREF, &v)?;
    }
    if let Some(t) = r.ttl_propagate {
        w.attr(RTA_TTL_PROPAGATE, &u8::from(t))?;
    }
    metrics(w, &r.metrics)?;
    if !r.nexthops.is_empty() {
        nexthops(w, r.family, &r.nexthops, ifs)?;
    }
    Ok(())
}

impl Command {
    /// Adds a route the way its mode says: `prepend` (keepalived's default; an identical
    /// route is no error), `add` (exclusive) or `append`.
    pub fn add_route(&mut self, r: &Route, ifs: &impl Interfaces) -> Result<(), Error> {
        let mode = match r.mode {
            AddMode::Prepend => 0,
            AddMode::Add => NLM_F_EXCL,
            AddMode::Append => NLM_F_APPEND,
        };
        self.request(
            RTM_NEWROUTE,
            NLM_F_CREATE | mode,
            |w| write_route(w, r, true, ifs),
            |_| Ok(()),
        )
    }

    /// Replaces the route (keepalived's reload of a changed route).
    pub fn replace_route(&mut self, r: &Route, ifs: &impl Interfaces) -> Result<(), Error> {
        self.request(
            RTM_NEWROUTE,
            NLM_F_CREATE | NLM_F_REPLACE,
            |w| write_route(w, r, true, ifs),
            |_| Ok(()),
        )
    }

    pub fn del_route(&mut self, r: &Route, ifs: &impl Interfaces) -> Result<(), Error> {
        let result = self.request(
            RTM_DELROUTE,
            0,
            |w| write_route(w, r, false, ifs),
            |_| Ok(()),
        );
        match result {
            // A route with an expiry may have gone by itself.
            Err(Error::Kernel { .. }) if r.expires.is_some() => Ok(()),
            other => other,
        }
    }
}
