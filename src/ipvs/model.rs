//! The desired IPVS table: what keepalived would have programmed for a configuration and
//! the checkers' verdicts so far.
//!
//! [`Model`] is built once from `config::model::lvs::Lvs` (on reload, a new one is built):
//! every virtual server becomes one or more services ([`ServiceKey`]) — its address or
//! fwmark, or each address of each range and each fwmark of its `virtual_server_group`, in
//! keepalived's order (ranges first, then fwmarks). Each real server is an input: `alive`
//! and its effective weight, as the checkers report them ([`Model::set_alive`],
//! [`Model::set_weight`]); the model keeps the quorum state with its hysteresis and answers
//! which destinations each service has ([`Model::fill`], [`Model::fill_vs`]) by
//! keepalived's rules:
//!
//! - quorum up (or no sorry server): an alive real server is in with its weight; a failed
//!   one is out, or in with weight 0 under `inhibit_on_failure`;
//! - quorum down with a sorry server: real servers are out (weight 0 with inhibit), the
//!   sorry server is in with weight 1; quorum up, a `sorry_server_inhibit` sorry server is
//!   in with weight 0.
//!
//! Quorum: up when the alive weight reaches `quorum + hysteresis`, down when it falls to 0
//! or below `quorum - hysteresis` (keepalived's 32-bit unsigned arithmetic kept).
//! Alpha: a real server with an `alpha` checker starts failed; otherwise alive.
//!
//! Tables are flat and sorted ([`Table`]), the same type for the desired table and a dump
//! of the kernel's, so that `reconcile::diff` compares like with like. Their capacity is
//! fixed when they are made ([`Model::capacity`]); nothing here allocates after that.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use crate::config::model::lvs::{
    Family, Forwarding, Granularity, GroupEntry, Lvs, Service as CfgService, TunnelChecksum,
    TunnelKind, VirtualServer,
};
use crate::limits;

pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

/// IP_VS_SVC_F_* (uapi `ip_vs.h`).
pub const SVC_F_PERSISTENT: u32 = 0x0001;
pub const SVC_F_HASHED: u32 = 0x0002;
pub const SVC_F_ONEPACKET: u32 = 0x0004;
pub const SVC_F_SCHED1: u32 = 0x0008;
pub const SVC_F_SCHED2: u32 = 0x0010;
pub const SVC_F_SCHED3: u32 = 0x0020;

/// IP_VS_CONN_F_* forwarding methods.
pub const CONN_F_MASQ: u32 = 0;
pub const CONN_F_LOCALNODE: u32 = 1;
pub const CONN_F_TUNNEL: u32 = 2;
pub const CONN_F_DROUTE: u32 = 3;
pub const CONN_F_FWD_MASK: u32 = 7;

/// IP_VS_CONN_F_TUNNEL_TYPE_*.
pub const TUN_TYPE_IPIP: u8 = 0;
pub const TUN_TYPE_GUE: u8 = 1;
pub const TUN_TYPE_GRE: u8 = 2;
/// IP_VS_TUNNEL_ENCAP_FLAG_*.
pub const TUN_FLAG_CSUM: u16 = 1;
pub const TUN_FLAG_REMCSUM: u16 = 2;

/// keepalived's IPVS_WEIGHT_LIMIT: weights are clamped to 0..=i32::MAX.
pub const WEIGHT_LIMIT: i64 = i32::MAX as i64;

/// keepalived's `real_weight()`.
pub fn real_weight(effective: i64) -> u32 {
    effective.clamp(0, WEIGHT_LIMIT) as u32
}

fn af_of(ip: &IpAddr) -> u16 {
    match ip {
        IpAddr::V4(_) => AF_INET,
        IpAddr::V6(_) => AF_INET6,
    }
}

fn af_word(f: Family) -> u16 {
    match f {
        Family::Inet => AF_INET,
        Family::Inet6 => AF_INET6,
    }
}

/// What identifies a service in the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKey {
    /// Address service: the family is the address's.
    Addr {
        protocol: u16,
        addr: IpAddr,
        port: u16,
    },
    Fwmark {
        af: u16,
        mark: u32,
    },
}

impl ServiceKey {
    pub fn af(&self) -> u16 {
        match self {
            ServiceKey::Addr { addr, .. } => af_of(addr),
            ServiceKey::Fwmark { af, .. } => *af,
        }
    }

    /// The port destinations of DR and TUN real servers take (0 for fwmark services).
    pub fn port(&self) -> u16 {
        match self {
            ServiceKey::Addr { port, .. } => *port,
            ServiceKey::Fwmark { .. } => 0,
        }
    }
}

impl fmt::Display for ServiceKey {
    /// As keepalived and ipvsadm show services: `TCP 10.0.0.1:80`, `FWM 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            } => {
                let p = match protocol {
                    6 => "TCP",
                    17 => "UDP",
                    132 => "SCTP",
                    _ => "?",
                };
                match addr {
                    IpAddr::V4(a) => write!(f, "{p} {a}:{port}"),
                    IpAddr::V6(a) => write!(f, "{p} [{a}]:{port}"),
                }
            }
            ServiceKey::Fwmark { af, mark } if *af == AF_INET6 => write!(f, "FWM {mark} IPv6"),
            ServiceKey::Fwmark { mark, .. } => write!(f, "FWM {mark}"),
        }
    }
}

/// A scheduler or persistence engine name (at most 15 bytes: IP_VS_SCHEDNAME_MAXLEN and
/// IP_VS_PENAME_MAXLEN are 16 with the NUL), kept inline.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Name {
    len: u8,
    bytes: [u8; 15],
}

impl Name {
    pub const MAX: usize = 15;

    /// None when longer than [`Name::MAX`].
    pub fn new(s: &str) -> Option<Name> {
        let b = s.as_bytes();
        let mut n = Name::default();
        n.bytes.get_mut(..b.len())?.copy_from_slice(b);
        n.len = b.len() as u8;
        Some(n)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// The persistence netmask as the kernel keeps it: for IPv4 the mask in network byte
/// order (its `to_ne_bytes()` are the mask's octets), for IPv6 a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Netmask(pub u32);

impl Netmask {
    pub fn v4(mask: Ipv4Addr) -> Netmask {
        Netmask(u32::from_ne_bytes(mask.octets()))
    }

    pub fn v6(prefix: u8) -> Netmask {
        Netmask(u32::from(prefix))
    }

    /// keepalived's default: all ones for IPv4, 128 for IPv6.
    pub fn full(af: u16) -> Netmask {
        if af == AF_INET6 {
            Netmask::v6(128)
        } else {
            Netmask(u32::MAX)
        }
    }
}

/// What a service does, besides its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceAttrs {
    pub scheduler: Name,
    /// Persistence engine; empty = none.
    pub pe_name: Name,
    /// IP_VS_SVC_F_* without HASHED (the kernel's own bookkeeping).
    pub flags: u32,
    /// Persistence timeout in seconds (0 = not persistent).
    pub timeout: u32,
    pub netmask: Netmask,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    pub key: ServiceKey,
    pub attrs: ServiceAttrs,
}

/// How a destination is reached (IPVS_DEST_ATTR_FWD_METHOD and the tunnel attributes),
/// normalized so that equal settings compare equal: port only for GUE, flags only for GUE
/// and GRE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fwd {
    Masq,
    Route,
    Tunnel {
        kind: u8,
        port: u16,
        flags: u16,
    },
    /// Another method the kernel reports (local node, bypass).
    Other(u32),
}

impl Fwd {
    pub fn from_config(f: &Forwarding) -> Fwd {
        match f {
            Forwarding::Nat => Fwd::Masq,
            Forwarding::Dr => Fwd::Route,
            Forwarding::Tun(t) => {
                let flags = match t.checksum {
                    TunnelChecksum::NoCsum => 0,
                    TunnelChecksum::Csum => TUN_FLAG_CSUM,
                    TunnelChecksum::RemCsum => TUN_FLAG_REMCSUM,
                };
                let (kind, port) = match t.kind {
                    TunnelKind::Ipip => (TUN_TYPE_IPIP, 0),
                    TunnelKind::Gue { port } => (TUN_TYPE_GUE, port),
                    TunnelKind::Gre => (TUN_TYPE_GRE, 0),
                };
                Fwd::tunnel(kind, port, flags)
            }
        }
    }

    /// A tunnel, normalized.
    pub fn tunnel(kind: u8, port: u16, flags: u16) -> Fwd {
        match kind {
            TUN_TYPE_IPIP => Fwd::Tunnel {
                kind,
                port: 0,
                flags: 0,
            },
            TUN_TYPE_GUE => Fwd::Tunnel { kind, port, flags },
            _ => Fwd::Tunnel {
                kind,
                port: 0,
                flags,
            },
        }
    }

    /// The method's IP_VS_CONN_F_* value.
    pub fn method(&self) -> u32 {
        match self {
            Fwd::Masq => CONN_F_MASQ,
            Fwd::Route => CONN_F_DROUTE,
            Fwd::Tunnel { .. } => CONN_F_TUNNEL,
            Fwd::Other(m) => *m & CONN_F_FWD_MASK,
        }
    }

    /// From a dump: the method and the tunnel attributes (absent on older kernels).
    pub fn from_kernel(method: u32, kind: u8, port: u16, flags: u16) -> Fwd {
        match method & CONN_F_FWD_MASK {
            CONN_F_MASQ => Fwd::Masq,
            CONN_F_DROUTE => Fwd::Route,
            CONN_F_TUNNEL => Fwd::tunnel(kind, port, flags),
            m => Fwd::Other(m),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DestKey {
    pub addr: IpAddr,
    pub port: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestAttrs {
    pub fwd: Fwd,
    pub weight: u32,
    pub u_threshold: u32,
    pub l_threshold: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dest {
    pub key: DestKey,
    pub attrs: DestAttrs,
}

/// One destination of one service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableDest {
    pub service: ServiceKey,
    pub dest: Dest,
}

/// A table has no room left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full(pub &'static str);

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IPVS: {} table full", self.0)
    }
}

impl std::error::Error for Full {}

/// Services and destinations, flat, with a capacity fixed at creation. After
/// [`Table::sort`], services are ordered by key and destinations by (service, destination),
/// each key once.
#[derive(Clone, Debug, Default)]
pub struct Table {
    services: Vec<Service>,
    dests: Vec<TableDest>,
}

impl Table {
    pub fn with_capacity(services: usize, dests: usize) -> Table {
        Table {
            services: Vec::with_capacity(services),
            dests: Vec::with_capacity(dests),
        }
    }

    pub fn clear(&mut self) {
        self.services.clear();
        self.dests.clear();
    }

    pub fn push_service(&mut self, s: Service) -> Result<(), Full> {
        if self.services.len() >= self.services.capacity() {
            return Err(Full("service"));
        }
        self.services.push(s);
        Ok(())
    }

    pub fn push_dest(&mut self, service: ServiceKey, dest: Dest) -> Result<(), Full> {
        if self.dests.len() >= self.dests.capacity() {
            return Err(Full("destination"));
        }
        self.dests.push(TableDest { service, dest });
        Ok(())
    }

    /// Orders both lists by key and keeps one entry of each key (two virtual servers
    /// naming the same service share it, as in the kernel). In place: no allocation.
    pub fn sort(&mut self) {
        self.services.sort_unstable_by_key(|s| s.key);
        self.services.dedup_by_key(|s| s.key);
        self.dests.sort_unstable_by_key(|d| (d.service, d.dest.key));
        self.dests.dedup_by_key(|d| (d.service, d.dest.key));
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    pub fn dests(&self) -> &[TableDest] {
        &self.dests
    }

    /// A service of a sorted table.
    pub fn service(&self, key: &ServiceKey) -> Option<&Service> {
        let i = self.services.binary_search_by_key(key, |s| s.key).ok()?;
        self.services.get(i)
    }

    /// The destinations of a service in a sorted table.
    pub fn dests_of(&self, key: &ServiceKey) -> &[TableDest] {
        let lo = self.dests.partition_point(|d| d.service < *key);
        let hi = self.dests.partition_point(|d| d.service <= *key);
        &self.dests[lo..hi]
    }

    pub fn capacity(&self) -> (usize, usize) {
        (self.services.capacity(), self.dests.capacity())
    }
}

/// A virtual server of the model (its index in `Lvs::virtual_servers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VsId(pub u16);

/// A real server of the model: its virtual server and its index there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RsId {
    pub vs: VsId,
    pub index: u16,
}

/// A real or sorry server as IPVS sees it, with its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    pub addr: IpAddr,
    /// As configured (NAT uses it; DR and TUN take the service's port).
    pub port: u16,
    pub fwd: Fwd,
    /// The configured weight.
    pub weight: u32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub inhibit: bool,
    /// What the checkers say (input).
    pub alive: bool,
    /// The configured weight adjusted by MISC_CHECK / FILE_CHECK (input); IPVS gets
    /// [`real_weight`] of it.
    pub effective_weight: i64,
}

/// The quorum of a virtual server moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumChange {
    /// keepalived: "Gained quorum {quorum}+{hysteresis}={threshold} <= {weight_sum} for VS".
    Gained {
        quorum: u32,
        hysteresis: u32,
        threshold: i64,
        weight_sum: i64,
    },
    /// keepalived: "Lost quorum {quorum}-{hysteresis}={threshold} > {weight_sum} for VS".
    Lost {
        quorum: u32,
        hysteresis: u32,
        threshold: i64,
        weight_sum: i64,
    },
}

/// What identifies a virtual server across a reload (keepalived's `vs_iseq`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VsIdent {
    Addr {
        protocol: u16,
        addr: IpAddr,
        port: u16,
    },
    Fwmark {
        af: u16,
        mark: u32,
    },
    Group {
        name: String,
        seq: u16,
    },
}

/// One virtual server: its services, servers and quorum state.
#[derive(Clone, Debug)]
pub struct Vs {
    pub ident: VsIdent,
    pub attrs_v4: ServiceAttrs,
    pub attrs_v6: ServiceAttrs,
    /// Its services in `Model::services`.
    services: Range<usize>,
    /// Group services ignore `persistence_granularity` (keepalived resets the netmask per
    /// group entry).
    group: bool,
    pub real_servers: Vec<Server>,
    pub sorry: Option<Server>,
    pub sorry_duplicates_rs: bool,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: bool,
    pub alpha: bool,
    pub omega: bool,
    pub ha_suspend: bool,
}

impl Vs {
    fn weight_sum(&self) -> i64 {
        self.real_servers
            .iter()
            .filter(|r| r.alive)
            .map(|r| i64::from(real_weight(r.effective_weight)))
            .sum()
    }

    fn threshold(&self) -> i64 {
        let t = if self.quorum_up {
            self.quorum.wrapping_sub(self.hysteresis)
        } else {
            self.quorum.wrapping_add(self.hysteresis)
        };
        i64::from(t)
    }

    /// keepalived's `update_quorum_state`.
    fn update_quorum(&mut self) -> Option<QuorumChange> {
        let weight_sum = self.weight_sum();
        let threshold = self.threshold();
        let (quorum, hysteresis) = (self.quorum, self.hysteresis);
        if !self.quorum_up && weight_sum >= threshold {
            self.quorum_up = true;
            return Some(QuorumChange::Gained {
                quorum,
                hysteresis,
                threshold,
                weight_sum,
            });
        }
        if self.quorum_up && (weight_sum == 0 || weight_sum < threshold) {
            self.quorum_up = false;
            return Some(QuorumChange::Lost {
                quorum,
                hysteresis,
                threshold,
                weight_sum,
            });
        }
        None
    }

    /// The sorry server is in use.
    pub fn sorry_active(&self) -> bool {
        !self.quorum_up && self.sorry.is_some()
    }

    fn attrs(&self, af: u16) -> ServiceAttrs {
        if af == AF_INET6 {
            self.attrs_v6
        } else {
            self.attrs_v4
        }
    }
}

/// Why a configuration cannot be modelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// More than `limits::MAX_IPVS_SERVICES` services, or `MAX_IPVS_DESTS` destinations.
    TooMany(&'static str, usize),
    /// A scheduler or persistence engine name longer than the kernel takes.
    NameTooLong(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooMany(limit, n) => write!(
                f,
                "IPVS: the configuration needs {n} entries, more than {limit}"
            ),
            Error::NameTooLong(s) => write!(f, "IPVS: name '{s}' is longer than 15 characters"),
        }
    }
}

impl std::error::Error for Error {}

/// The desired table's source: every virtual server with its state.
#[derive(Clone, Debug, Default)]
pub struct Model {
    vss: Vec<Vs>,
    services: Vec<ServiceKey>,
    dest_count: usize,
}

impl Model {
    pub fn new(lvs: &Lvs) -> Result<Model, Error> {
        let mut m = Model::default();
        for vs in &lvs.virtual_servers {
            let start = m.services.len();
            expand(lvs, vs, &mut m.services);
            if m.services.len() > limits::MAX_IPVS_SERVICES {
                return Err(Error::TooMany("MAX_IPVS_SERVICES", m.services.len()));
            }
            let n = m.services.len() - start;
            let servers = vs.real_servers.len() + usize::from(vs.sorry_server.is_some());
            m.dest_count += n * servers;
            if m.dest_count > limits::MAX_IPVS_DESTS {
                return Err(Error::TooMany("MAX_IPVS_DESTS", m.dest_count));
            }
            let ident = match &vs.service {
                CfgService::Addr { ip, port } => VsIdent::Addr {
                    protocol: vs.protocol.map_or(0, |p| p.number()),
                    addr: *ip,
                    port: *port,
                },
                CfgService::Fwmark(mark) => VsIdent::Fwmark {
                    af: vs.family.map_or(AF_INET, af_word),
                    mark: *mark,
                },
                CfgService::Group { name, seq } => VsIdent::Group {
                    name: name.clone(),
                    seq: *seq,
                },
            };
            let mut v = Vs {
                ident,
                attrs_v4: service_attrs(vs, AF_INET, false)?,
                attrs_v6: service_attrs(vs, AF_INET6, false)?,
                services: start..m.services.len(),
                group: matches!(vs.service, CfgService::Group { .. }),
                real_servers: vs
                    .real_servers
                    .iter()
                    .map(|r| Server {
                        addr: r.ip,
                        port: r.port,
                        fwd: Fwd::from_config(&r.forwarding),
                        weight: r.weight,
                        u_threshold: r.u_threshold,
                        l_threshold: r.l_threshold,
                        inhibit: r.inhibit_on_failure,
                        alive: !r.checkers.iter().any(|c| c.alpha),
                        effective_weight: i64::from(r.weight),
                    })
                    .collect(),
                sorry: vs.sorry_server.as_ref().map(|s| Server {
                    addr: s.ip,
                    port: s.port,
                    fwd: Fwd::from_config(&s.forwarding),
                    weight: 1,
                    u_threshold: 0,
                    l_threshold: 0,
                    inhibit: s.inhibit,
                    alive: false,
                    effective_weight: 1,
                }),
                sorry_duplicates_rs: vs.sorry_server.as_ref().is_some_and(|s| s.duplicates_rs),
                quorum: vs.quorum,
                hysteresis: vs.hysteresis,
                quorum_up: false,
                alpha: vs.alpha,
                omega: vs.omega,
                ha_suspend: vs.ha_suspend,
            };
            if v.group {
                v.attrs_v4 = service_attrs(vs, AF_INET, true)?;
                v.attrs_v6 = service_attrs(vs, AF_INET6, true)?;
            }
            v.update_quorum();
            m.vss.push(v);
        }
        Ok(m)
    }

    pub fn virtual_servers(&self) -> &[Vs] {
        &self.vss
    }

    pub fn vs(&self, id: VsId) -> Option<&Vs> {
        self.vss.get(usize::from(id.0))
    }

    /// The services of a virtual server, in keepalived's order.
    pub fn services_of(&self, id: VsId) -> &[ServiceKey] {
        self.vs(id)
            .and_then(|v| self.services.get(v.services.clone()))
            .unwrap_or(&[])
    }

    /// The capacity a [`Table`] needs for the whole model: (services, destinations).
    pub fn capacity(&self) -> (usize, usize) {
        (self.services.len(), self.dest_count)
    }

    /// The capacity a [`Table`] needs for the largest virtual server.
    pub fn vs_capacity(&self) -> (usize, usize) {
        self.vss
            .iter()
            .map(|v| {
                let n = v.services.len();
                (
                    n,
                    n * (v.real_servers.len() + usize::from(v.sorry.is_some())),
                )
            })
            .fold((0, 0), |a, b| (a.0.max(b.0), a.1.max(b.1)))
    }

    fn server_mut(&mut self, id: RsId) -> Option<(&mut Vs, usize)> {
        let vs = self.vss.get_mut(usize::from(id.vs.0))?;
        let i = usize::from(id.index);
        (i < vs.real_servers.len()).then_some((vs, i))
    }

    /// A checker verdict: the real server is alive or not. Returns the quorum change it
    /// causes, if any. Unknown ids change nothing.
    pub fn set_alive(&mut self, id: RsId, alive: bool) -> Option<QuorumChange> {
        let (vs, i) = self.server_mut(id)?;
        if vs.real_servers[i].alive == alive {
            return None;
        }
        vs.real_servers[i].alive = alive;
        vs.update_quorum()
    }

    /// A new effective weight (MISC_CHECK with misc_dynamic, FILE_CHECK).
    pub fn set_weight(&mut self, id: RsId, effective_weight: i64) -> Option<QuorumChange> {
        let (vs, i) = self.server_mut(id)?;
        let s = &mut vs.real_servers[i];
        if real_weight(s.effective_weight) == real_weight(effective_weight) {
            s.effective_weight = effective_weight;
            return None;
        }
        s.effective_weight = effective_weight;
        vs.update_quorum()
    }

    /// After a reload: takes over the state the old model learned, as keepalived's
    /// `clear_diff_services` does. A virtual server found in `old` (same address, fwmark
    /// or group) keeps its quorum state; its real servers found there (same address and
    /// port) keep their checker verdict and their dynamic weight offset (the new
    /// configured weight plus what MISC_CHECK / FILE_CHECK had added to the old one). The
    /// quorum is then evaluated again, as keepalived does at start. Returns the quorum
    /// changes this causes, by virtual server.
    pub fn adopt(&mut self, old: &Model, changes: &mut Vec<(VsId, QuorumChange)>) {
        for (i, vs) in self.vss.iter_mut().enumerate() {
            let Some(o) = old.vss.iter().find(|o| o.ident == vs.ident) else {
                continue;
            };
            vs.quorum_up = o.quorum_up;
            for r in &mut vs.real_servers {
                let Some(p) = o
                    .real_servers
                    .iter()
                    .find(|p| p.addr == r.addr && p.port == r.port)
                else {
                    continue;
                };
                r.alive = p.alive;
                let offset = p.effective_weight - i64::from(p.weight);
                r.effective_weight = i64::from(r.weight) + offset;
            }
            if let Some(c) = vs.update_quorum() {
                if let Ok(id) = u16::try_from(i) {
                    changes.push((VsId(id), c));
                }
            }
        }
    }

    /// The desired table of every virtual server, sorted. `out` is cleared first.
    pub fn fill(&self, out: &mut Table) -> Result<(), Full> {
        out.clear();
        for i in 0..self.vss.len() {
            self.push_vs(i, out)?;
        }
        out.sort();
        Ok(())
    }

    /// The desired table of one virtual server, sorted. `out` is cleared first.
    pub fn fill_vs(&self, id: VsId, out: &mut Table) -> Result<(), Full> {
        out.clear();
        self.push_vs(usize::from(id.0), out)?;
        out.sort();
        Ok(())
    }

    fn push_vs(&self, i: usize, out: &mut Table) -> Result<(), Full> {
        let Some(vs) = self.vss.get(i) else {
            return Ok(());
        };
        let keys = self.services.get(vs.services.clone()).unwrap_or(&[]);
        for key in keys {
            out.push_service(Service {
                key: *key,
                attrs: vs.attrs(key.af()),
            })?;
            for_each_dest(vs, key, |d| out.push_dest(*key, d))?;
        }
        Ok(())
    }
}

/// The destinations a service of `vs` has now, by keepalived's rules (module doc).
fn for_each_dest(
    vs: &Vs,
    key: &ServiceKey,
    mut f: impl FnMut(Dest) -> Result<(), Full>,
) -> Result<(), Full> {
    let sorry = vs.sorry_active();
    let sorry_key = vs.sorry.as_ref().map(|s| dest_key(s, key));
    for r in &vs.real_servers {
        let weight = if sorry {
            r.inhibit.then_some(0)
        } else if r.alive {
            Some(real_weight(r.effective_weight))
        } else {
            r.inhibit.then_some(0)
        };
        let Some(weight) = weight else { continue };
        let k = dest_key(r, key);
        // The sorry server in use takes the place of the real server it duplicates.
        if sorry && Some(k) == sorry_key {
            continue;
        }
        f(dest(r, k, weight))?;
    }
    if let (Some(s), Some(k)) = (&vs.sorry, sorry_key) {
        if sorry {
            f(dest(s, k, 1))?;
        } else if s.inhibit && !vs.sorry_duplicates_rs {
            f(dest(s, k, 0))?;
        }
    }
    Ok(())
}

fn dest_key(s: &Server, key: &ServiceKey) -> DestKey {
    let port = if s.fwd == Fwd::Masq {
        s.port
    } else {
        key.port()
    };
    DestKey { addr: s.addr, port }
}

fn dest(s: &Server, key: DestKey, weight: u32) -> Dest {
    Dest {
        key,
        attrs: DestAttrs {
            fwd: s.fwd,
            weight,
            u_threshold: s.u_threshold,
            l_threshold: s.l_threshold,
        },
    }
}

/// keepalived's `ipvs_set_srule`: scheduler, flags, persistence; group services keep the
/// full netmask (keepalived's `ipvs_group_range_cmd` resets it).
fn service_attrs(vs: &VirtualServer, af: u16, group: bool) -> Result<ServiceAttrs, Error> {
    let name = vs.scheduler.name();
    let scheduler = Name::new(name).ok_or_else(|| Error::NameTooLong(name.into()))?;
    let mut flags = 0;
    if vs.ops {
        flags |= SVC_F_ONEPACKET;
    }
    if vs.sched_flags.flag1 {
        flags |= SVC_F_SCHED1;
    }
    if vs.sched_flags.flag2 {
        flags |= SVC_F_SCHED2;
    }
    if vs.sched_flags.flag3 {
        flags |= SVC_F_SCHED3;
    }
    let mut attrs = ServiceAttrs {
        scheduler,
        pe_name: Name::default(),
        flags,
        timeout: 0,
        netmask: Netmask::full(af),
    };
    if let Some(t) = vs.persistence_timeout {
        attrs.timeout = t;
        attrs.flags |= SVC_F_PERSISTENT;
        if let Some(pe) = &vs.persistence_engine {
            attrs.pe_name = Name::new(pe).ok_or_else(|| Error::NameTooLong(pe.clone()))?;
        }
        if !group {
            attrs.netmask = match (vs.persistence_granularity, af) {
                (Some(Granularity::V4(m)), AF_INET) => Netmask::v4(m),
                (Some(Granularity::V6(p)), AF_INET6) => Netmask::v6(p),
                _ => Netmask::full(af),
            };
        }
    }
    Ok(attrs)
}

/// The services of one virtual server, in keepalived's order.
fn expand(lvs: &Lvs, vs: &VirtualServer, out: &mut Vec<ServiceKey>) {
    let protocol = vs.protocol.map_or(0, |p| p.number());
    match &vs.service {
        CfgService::Addr { ip, port } => out.push(ServiceKey::Addr {
            protocol,
            addr: *ip,
            port: *port,
        }),
        CfgService::Fwmark(mark) => out.push(ServiceKey::Fwmark {
            af: vs.family.map_or(AF_INET, af_word),
            mark: *mark,
        }),
        CfgService::Group { name, .. } => {
            let Some(g) = lvs.group(name) else { return };
            for e in &g.entries {
                if let GroupEntry::Range { port, .. } = e {
                    out.extend(e.addresses().map(|addr| ServiceKey::Addr {
                        protocol,
                        addr,
                        port: *port,
                    }));
                }
            }
            for e in &g.entries {
                if let GroupEntry::Fwmark { mark, family, .. } = e {
                    let af = family.or(vs.family).map_or(AF_INET, af_word);
                    out.push(ServiceKey::Fwmark { af, mark: *mark });
                }
            }
        }
    }
}

/// An IPv6 address from its 16 bytes, or IPv4 from the first 4 (the kernel's
/// `union nf_inet_addr`).
pub fn addr_from_union(af: u16, bytes: &[u8]) -> Option<IpAddr> {
    match af {
        AF_INET => {
            let b: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(b)))
        }
        AF_INET6 => {
            let b: [u8; 16] = bytes.get(..16)?.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(b)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
