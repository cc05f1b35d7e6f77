//! The IPVS generic netlink codec (uapi `linux/ip_vs.h`, `linux/genetlink.h`).
//!
//! Every message is `nlmsghdr`, then `genlmsghdr` (cmd, version, 2 reserved bytes), then
//! attributes. The family id of "IPVS" is resolved first through the controller
//! (GENL_ID_CTRL, CTRL_CMD_GETFAMILY with CTRL_ATTR_FAMILY_NAME).
//!
//! Encoders write one message into the caller's buffer and return its length; nothing
//! allocates. Attributes are filled as keepalived's libipvs fills them:
//!
//! - service: AF (u16); FWMARK (u32), or PROTOCOL (u16), ADDR (16 bytes, the kernel's
//!   `union nf_inet_addr`, IPv4 in the first 4) and PORT (network order); for NEW and SET
//!   also SCHED_NAME, PE_NAME when set, FLAGS (`struct ip_vs_flags`: flags, mask all
//!   ones), TIMEOUT (u32 seconds), NETMASK (u32, see [`Netmask`]);
//! - destination: ADDR_FAMILY (u16), ADDR (16 bytes), PORT (network order); for NEW and
//!   SET also FWD_METHOD, WEIGHT, the tunnel's TUN_TYPE (u8), TUN_PORT (GUE, network
//!   order) and TUN_FLAGS (GUE and GRE), U_THRESH, L_THRESH;
//! - sync daemon: STATE, MCAST_IFN, SYNC_ID and the optional SYNC_MAXLEN, MCAST_PORT (host
//!   order), MCAST_TTL, MCAST_GROUP / MCAST_GROUP6; DEL_DAEMON carries STATE and SYNC_ID.
//!
//! Modifying commands ask for an acknowledgement (NLM_F_REQUEST | NLM_F_ACK); GET_SERVICE
//! and GET_DEST are dumps (NLM_F_REQUEST | NLM_F_DUMP; GET_DEST names its service with an
//! address of its family's length). Dump replies (IPVS_CMD_NEW_SERVICE / NEW_DEST) parse
//! into the model's [`Service`] and [`Dest`], ignoring what the model does not compare
//! (statistics, connection counters, the HASHED flag).

use std::net::IpAddr;

use super::model::{
    addr_from_union, Dest, DestAttrs, DestKey, Fwd, Name, Netmask, Service, ServiceAttrs,
    ServiceKey, AF_INET, AF_INET6, SVC_F_HASHED,
};
use super::reconcile::Op;
use crate::net::nl::attr::{Attrs, Be, Str, Value, Writer};
use crate::net::nl::msg::{Message, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use crate::net::nl::{Error, ParseError};
use crate::vrrp::lvs_syncd::{SyncDaemon, SyncdRole};

/// `genlmsghdr` length.
pub const GENL_HDR_LEN: usize = 4;
/// The generic netlink controller's fixed family id.
pub const GENL_ID_CTRL: u16 = 0x10;
pub const CTRL_CMD_NEWFAMILY: u8 = 1;
pub const CTRL_CMD_GETFAMILY: u8 = 3;
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;
/// The controller's version libnl sends.
pub const CTRL_VERSION: u8 = 1;

pub const IPVS_GENL_NAME: &str = "IPVS";
pub const IPVS_GENL_VERSION: u8 = 1;

pub const IPVS_CMD_NEW_SERVICE: u8 = 1;
pub const IPVS_CMD_SET_SERVICE: u8 = 2;
pub const IPVS_CMD_DEL_SERVICE: u8 = 3;
pub const IPVS_CMD_GET_SERVICE: u8 = 4;
pub const IPVS_CMD_NEW_DEST: u8 = 5;
pub const IPVS_CMD_SET_DEST: u8 = 6;
pub const IPVS_CMD_DEL_DEST: u8 = 7;
pub const IPVS_CMD_GET_DEST: u8 = 8;
pub const IPVS_CMD_NEW_DAEMON: u8 = 9;
pub const IPVS_CMD_DEL_DAEMON: u8 = 10;
pub const IPVS_CMD_FLUSH: u8 = 17;

pub const IPVS_CMD_ATTR_SERVICE: u16 = 1;
pub const IPVS_CMD_ATTR_DEST: u16 = 2;
pub const IPVS_CMD_ATTR_DAEMON: u16 = 3;

pub const IPVS_SVC_ATTR_AF: u16 = 1;
pub const IPVS_SVC_ATTR_PROTOCOL: u16 = 2;
pub const IPVS_SVC_ATTR_ADDR: u16 = 3;
pub const IPVS_SVC_ATTR_PORT: u16 = 4;
pub const IPVS_SVC_ATTR_FWMARK: u16 = 5;
pub const IPVS_SVC_ATTR_SCHED_NAME: u16 = 6;
pub const IPVS_SVC_ATTR_FLAGS: u16 = 7;
pub const IPVS_SVC_ATTR_TIMEOUT: u16 = 8;
pub const IPVS_SVC_ATTR_NETMASK: u16 = 9;
pub const IPVS_SVC_ATTR_STATS: u16 = 10;
pub const IPVS_SVC_ATTR_PE_NAME: u16 = 11;

pub const IPVS_DEST_ATTR_ADDR: u16 = 1;
pub const IPVS_DEST_ATTR_PORT: u16 = 2;
pub const IPVS_DEST_ATTR_FWD_METHOD: u16 = 3;
pub const IPVS_DEST_ATTR_WEIGHT: u16 = 4;
pub const IPVS_DEST_ATTR_U_THRESH: u16 = 5;
pub const IPVS_DEST_ATTR_L_THRESH: u16 = 6;
pub const IPVS_DEST_ATTR_ADDR_FAMILY: u16 = 11;
pub const IPVS_DEST_ATTR_TUN_TYPE: u16 = 13;
pub const IPVS_DEST_ATTR_TUN_PORT: u16 = 14;
pub const IPVS_DEST_ATTR_TUN_FLAGS: u16 = 15;

pub const IPVS_DAEMON_ATTR_STATE: u16 = 1;
pub const IPVS_DAEMON_ATTR_MCAST_IFN: u16 = 2;
pub const IPVS_DAEMON_ATTR_SYNC_ID: u16 = 3;
pub const IPVS_DAEMON_ATTR_SYNC_MAXLEN: u16 = 4;
pub const IPVS_DAEMON_ATTR_MCAST_GROUP: u16 = 5;
pub const IPVS_DAEMON_ATTR_MCAST_GROUP6: u16 = 6;
pub const IPVS_DAEMON_ATTR_MCAST_PORT: u16 = 7;
pub const IPVS_DAEMON_ATTR_MCAST_TTL: u16 = 8;

/// IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP.
pub const IP_VS_STATE_MASTER: u32 = 1;
pub const IP_VS_STATE_BACKUP: u32 = 2;
/// IP_VS_IFNAME_MAXLEN, with the NUL.
pub const IFNAME_MAX: usize = 16;

/// `struct ip_vs_flags { __u32 flags; __u32 mask; }`, native order.
struct Flags {
    flags: u32,
    mask: u32,
}

impl Value for Flags {
    fn value_len(&self) -> usize {
        8
    }
    fn emit_value(&self, buf: &mut [u8]) {
        buf[..4].copy_from_slice(&self.flags.to_ne_bytes());
        buf[4..].copy_from_slice(&self.mask.to_ne_bytes());
    }
}

/// An address as the kernel's 16-byte `union nf_inet_addr`.
struct Union(IpAddr);

impl Value for Union {
    fn value_len(&self) -> usize {
        16
    }
    fn emit_value(&self, buf: &mut [u8]) {
        buf.fill(0);
        match self.0 {
            IpAddr::V4(a) => buf[..4].copy_from_slice(&a.octets()),
            IpAddr::V6(a) => buf.copy_from_slice(&a.octets()),
        }
    }
}

/// Writes one generic netlink message: headers, then what `body` writes.
fn message(
    buf: &mut [u8],
    family: u16,
    flags: u16,
    seq: u32,
    cmd: u8,
    version: u8,
    body: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
) -> Result<usize, Error> {
    let mut w = Writer::new(buf);
    let m = w.begin_msg(family, NLM_F_REQUEST | flags, seq)?;
    w.fixed(&[cmd, version, 0, 0])?;
    body(&mut w)?;
    w.end_msg(m);
    Ok(w.len())
}

/// CTRL_CMD_GETFAMILY for "IPVS".
pub fn encode_get_family(buf: &mut [u8], seq: u32) -> Result<usize, Error> {
    message(
        buf,
        GENL_ID_CTRL,
        NLM_F_ACK,
        seq,
        CTRL_CMD_GETFAMILY,
        CTRL_VERSION,
        |w| w.attr(CTRL_ATTR_FAMILY_NAME, &Str(IPVS_GENL_NAME)),
    )
}

/// The genl command of a message and its attributes.
pub fn split<'a>(msg: &Message<'a>) -> Result<(u8, Attrs<'a>), ParseError> {
    let (head, attrs) = msg.split(GENL_HDR_LEN)?;
    Ok((head[0], attrs))
}

/// The family id in the controller's answer (CTRL_CMD_NEWFAMILY).
pub fn parse_family(msg: &Message<'_>) -> Result<u16, ParseError> {
    let (cmd, attrs) = split(msg)?;
    if cmd != CTRL_CMD_NEWFAMILY {
        return Err(ParseError("not a family answer"));
    }
    for a in attrs {
        let a = a?;
        if a.kind() == CTRL_ATTR_FAMILY_ID {
            return a.u16();
        }
    }
    Err(ParseError("family answer without id"))
}

fn service_key(w: &mut Writer<'_>, key: &ServiceKey, addr_len_full: bool) -> Result<(), Error> {
    w.attr(IPVS_SVC_ATTR_AF, &key.af())?;
    match key {
        ServiceKey::Fwmark { mark, .. } => w.attr(IPVS_SVC_ATTR_FWMARK, mark)?,
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            w.attr(IPVS_SVC_ATTR_PROTOCOL, protocol)?;
            if addr_len_full {
                w.attr(IPVS_SVC_ATTR_ADDR, &Union(*addr))?;
            } else {
                w.attr(IPVS_SVC_ATTR_ADDR, addr)?;
            }
            w.attr(IPVS_SVC_ATTR_PORT, &Be(*port))?;
        }
    }
    Ok(())
}

fn service_nest(
    w: &mut Writer<'_>,
    key: &ServiceKey,
    attrs: Option<&ServiceAttrs>,
) -> Result<(), Error> {
    let n = w.nest(IPVS_CMD_ATTR_SERVICE)?;
    service_key(w, key, true)?;
    if let Some(a) = attrs {
        w.attr(IPVS_SVC_ATTR_SCHED_NAME, &Str(a.scheduler.as_str()))?;
        if !a.pe_name.is_empty() {
            w.attr(IPVS_SVC_ATTR_PE_NAME, &Str(a.pe_name.as_str()))?;
        }
        w.attr(
            IPVS_SVC_ATTR_FLAGS,
            &Flags {
                flags: a.flags,
                mask: u32::MAX,
            },
        )?;
        w.attr(IPVS_SVC_ATTR_TIMEOUT, &a.timeout)?;
        w.attr(IPVS_SVC_ATTR_NETMASK, &a.netmask.0)?;
    }
    w.end_nest(n)
}

fn dest_nest(w: &mut Writer<'_>, key: &DestKey, attrs: Option<&DestAttrs>) -> Result<(), Error> {
    let n = w.nest(IPVS_CMD_ATTR_DEST)?;
    let af = if key.addr.is_ipv4() {
        AF_INET
    } else {
        AF_INET6
    };
    w.attr(IPVS_DEST_ATTR_ADDR_FAMILY, &af)?;
    w.attr(IPVS_DEST_ATTR_ADDR, &Union(key.addr))?;
    w.attr(IPVS_DEST_ATTR_PORT, &Be(key.port))?;
    if let Some(a) = attrs {
        w.attr(IPVS_DEST_ATTR_FWD_METHOD, &a.fwd.method())?;
        w.attr(IPVS_DEST_ATTR_WEIGHT, &a.weight)?;
        if let Fwd::Tunnel { kind, port, flags } = a.fwd {
            w.attr(IPVS_DEST_ATTR_TUN_TYPE, &kind)?;
            if kind == super::model::TUN_TYPE_GUE {
                w.attr(IPVS_DEST_ATTR_TUN_PORT, &Be(port))?;
            }
            if kind != super::model::TUN_TYPE_IPIP {
                w.attr(IPVS_DEST_ATTR_TUN_FLAGS, &flags)?;
            }
        }
        w.attr(IPVS_DEST_ATTR_U_THRESH, &a.u_threshold)?;
        w.attr(IPVS_DEST_ATTR_L_THRESH, &a.l_threshold)?;
    }
    w.end_nest(n)
}

/// The genl command an op sends.
pub fn op_cmd(op: &Op) -> u8 {
    match op {
        Op::NewService(_) => IPVS_CMD_NEW_SERVICE,
        Op::SetService(_) => IPVS_CMD_SET_SERVICE,
        Op::DelService(_) => IPVS_CMD_DEL_SERVICE,
        Op::NewDest(..) => IPVS_CMD_NEW_DEST,
        Op::SetDest(..) => IPVS_CMD_SET_DEST,
        Op::DelDest(..) => IPVS_CMD_DEL_DEST,
    }
}

/// keepalived's name of the command (its `ipvs_cmd_str`).
pub fn cmd_name(cmd: u8) -> &'static str {
    match cmd {
        IPVS_CMD_NEW_SERVICE => "IP_VS_SO_SET_ADD",
        IPVS_CMD_SET_SERVICE => "IP_VS_SO_SET_EDIT",
        IPVS_CMD_DEL_SERVICE => "IP_VS_SO_SET_DEL",
        IPVS_CMD_NEW_DEST => "IP_VS_SO_SET_ADDDEST",
        IPVS_CMD_SET_DEST => "IP_VS_SO_SET_EDITDEST",
        IPVS_CMD_DEL_DEST => "IP_VS_SO_SET_DELDEST",
        IPVS_CMD_NEW_DAEMON => "IP_VS_SO_SET_STARTDAEMON",
        IPVS_CMD_DEL_DAEMON => "IP_VS_SO_SET_STOPDAEMON",
        IPVS_CMD_FLUSH => "IP_VS_SO_SET_FLUSH",
        _ => "unknown",
    }
}

/// One op as its IPVS command.
pub fn encode_op(buf: &mut [u8], family: u16, seq: u32, op: &Op) -> Result<usize, Error> {
    message(
        buf,
        family,
        NLM_F_ACK,
        seq,
        op_cmd(op),
        IPVS_GENL_VERSION,
        |w| match op {
            Op::NewService(s) | Op::SetService(s) => service_nest(w, &s.key, Some(&s.attrs)),
            Op::DelService(k) => service_nest(w, k, None),
            Op::NewDest(k, d) | Op::SetDest(k, d) => {
                service_nest(w, k, None)?;
                dest_nest(w, &d.key, Some(&d.attrs))
            }
            Op::DelDest(k, d) => {
                service_nest(w, k, None)?;
                dest_nest(w, d, None)
            }
        },
    )
}

/// IPVS_CMD_FLUSH: every service and destination goes.
pub fn encode_flush(buf: &mut [u8], family: u16, seq: u32) -> Result<usize, Error> {
    message(
        buf,
        family,
        NLM_F_ACK,
        seq,
        IPVS_CMD_FLUSH,
        IPVS_GENL_VERSION,
        |_| Ok(()),
    )
}

/// The dump of every service.
pub fn encode_get_services(buf: &mut [u8], family: u16, seq: u32) -> Result<usize, Error> {
    message(
        buf,
        family,
        NLM_F_DUMP,
        seq,
        IPVS_CMD_GET_SERVICE,
        IPVS_GENL_VERSION,
        |_| Ok(()),
    )
}

/// The dump of one service's destinations.
pub fn encode_get_dests(
    buf: &mut [u8],
    family: u16,
    seq: u32,
    key: &ServiceKey,
) -> Result<usize, Error> {
    message(
        buf,
        family,
        NLM_F_DUMP,
        seq,
        IPVS_CMD_GET_DEST,
        IPVS_GENL_VERSION,
        |w| {
            let n = w.nest(IPVS_CMD_ATTR_SERVICE)?;
            service_key(w, key, false)?;
            w.end_nest(n)
        },
    )
}

fn state(role: SyncdRole) -> u32 {
    match role {
        SyncdRole::Master => IP_VS_STATE_MASTER,
        SyncdRole::Backup => IP_VS_STATE_BACKUP,
    }
}

/// IPVS_CMD_NEW_DAEMON: starts the sync daemon in `role`.
pub fn encode_new_daemon(
    buf: &mut [u8],
    family: u16,
    seq: u32,
    d: &SyncDaemon,
    role: SyncdRole,
) -> Result<usize, Error> {
    if d.interface.len() >= IFNAME_MAX {
        return Err(Error::NoSpace);
    }
    message(
        buf,
        family,
        NLM_F_ACK,
        seq,
        IPVS_CMD_NEW_DAEMON,
        IPVS_GENL_VERSION,
        |w| {
            let n = w.nest(IPVS_CMD_ATTR_DAEMON)?;
            w.attr(IPVS_DAEMON_ATTR_STATE, &state(role))?;
            w.attr(IPVS_DAEMON_ATTR_MCAST_IFN, &Str(&d.interface))?;
            w.attr(IPVS_DAEMON_ATTR_SYNC_ID, &u32::from(d.sync_id))?;
            if let Some(l) = d.max_len.filter(|l| *l != 0) {
                w.attr(IPVS_DAEMON_ATTR_SYNC_MAXLEN, &l)?;
            }
            if let Some(p) = d.port.filter(|p| *p != 0) {
                w.attr(IPVS_DAEMON_ATTR_MCAST_PORT, &p)?;
            }
            if let Some(t) = d.ttl.filter(|t| *t != 0) {
                w.attr(IPVS_DAEMON_ATTR_MCAST_TTL, &t)?;
            }
            match d.group {
                Some(IpAddr::V6(g)) => w.attr(IPVS_DAEMON_ATTR_MCAST_GROUP6, &g)?,
                Some(IpAddr::V4(g)) => w.attr(IPVS_DAEMON_ATTR_MCAST_GROUP, &g)?,
                None => {}
            }
            w.end_nest(n)
        },
    )
}

/// IPVS_CMD_DEL_DAEMON: stops the sync daemon of `role`.
pub fn encode_del_daemon(
    buf: &mut [u8],
    family: u16,
    seq: u32,
    role: SyncdRole,
    sync_id: u8,
) -> Result<usize, Error> {
    message(
        buf,
        family,
        NLM_F_ACK,
        seq,
        IPVS_CMD_DEL_DAEMON,
        IPVS_GENL_VERSION,
        |w| {
            let n = w.nest(IPVS_CMD_ATTR_DAEMON)?;
            w.attr(IPVS_DAEMON_ATTR_STATE, &state(role))?;
            w.attr(IPVS_DAEMON_ATTR_SYNC_ID, &u32::from(sync_id))?;
            w.end_nest(n)
        },
    )
}

fn port_be(a: &crate::net::nl::attr::Attr<'_>) -> Result<u16, ParseError> {
    let v: [u8; 2] = a
        .value()
        .try_into()
        .map_err(|_| ParseError("u16 attribute length"))?;
    Ok(u16::from_be_bytes(v))
}

/// The nested attribute `kind` of a genl message.
fn nest_of<'a>(msg: &Message<'a>, kind: u16) -> Result<Attrs<'a>, ParseError> {
    let (_, attrs) = msg.split(GENL_HDR_LEN)?;
    for a in attrs {
        let a = a?;
        if a.kind() == kind {
            return Ok(a.nested());
        }
    }
    Err(ParseError("IPVS message without its nest"))
}

/// A service of a GET_SERVICE dump (or a message built by [`encode_op`]).
pub fn parse_service(msg: &Message<'_>) -> Result<Service, ParseError> {
    let (mut af, mut protocol, mut addr, mut port, mut mark) = (None, None, None, None, None);
    let mut attrs = ServiceAttrs {
        scheduler: Name::default(),
        pe_name: Name::default(),
        flags: 0,
        timeout: 0,
        netmask: Netmask(0),
    };
    let mut have_sched = false;
    for a in nest_of(msg, IPVS_CMD_ATTR_SERVICE)? {
        let a = a?;
        match a.kind() {
            IPVS_SVC_ATTR_AF => af = Some(a.u16()?),
            IPVS_SVC_ATTR_PROTOCOL => protocol = Some(a.u16()?),
            IPVS_SVC_ATTR_ADDR => addr = Some(a.value()),
            IPVS_SVC_ATTR_PORT => port = Some(port_be(&a)?),
            IPVS_SVC_ATTR_FWMARK => mark = Some(a.u32()?),
            IPVS_SVC_ATTR_SCHED_NAME => {
                attrs.scheduler = Name::new(a.str()?).ok_or(ParseError("scheduler name"))?;
                have_sched = true;
            }
            IPVS_SVC_ATTR_PE_NAME => {
                attrs.pe_name = Name::new(a.str()?).ok_or(ParseError("pe name"))?
            }
            IPVS_SVC_ATTR_FLAGS => {
                let v = a.value();
                let word = |i: usize| -> Result<u32, ParseError> {
                    let b: [u8; 4] = v
                        .get(i..i + 4)
                        .and_then(|b| b.try_into().ok())
                        .ok_or(ParseError("flags attribute length"))?;
                    Ok(u32::from_ne_bytes(b))
                };
                attrs.flags = word(0)? & word(4)? & !SVC_F_HASHED;
            }
            IPVS_SVC_ATTR_TIMEOUT => attrs.timeout = a.u32()?,
            IPVS_SVC_ATTR_NETMASK => attrs.netmask = Netmask(a.u32()?),
            _ => {}
        }
    }
    let af = af.ok_or(ParseError("service without family"))?;
    let key = match (mark, protocol, addr, port) {
        (Some(mark), ..) if mark != 0 => ServiceKey::Fwmark { af, mark },
        (_, Some(protocol), Some(addr), Some(port)) => ServiceKey::Addr {
            protocol,
            addr: addr_from_union(af, addr).ok_or(ParseError("service address"))?,
            port,
        },
        _ => return Err(ParseError("service without fwmark or address")),
    };
    if !have_sched {
        return Err(ParseError("service without scheduler"));
    }
    Ok(Service { key, attrs })
}

/// A destination of a GET_DEST dump of a service of family `af` (the kernel reports the
/// destination's own family on kernels that allow mixed families).
pub fn parse_dest(msg: &Message<'_>, af: u16) -> Result<Dest, ParseError> {
    let (mut dest_af, mut addr, mut port) = (af, None, None);
    let (mut method, mut weight, mut u, mut l) = (None, None, 0, 0);
    let (mut tun_type, mut tun_port, mut tun_flags) = (0u8, 0u16, 0u16);
    for a in nest_of(msg, IPVS_CMD_ATTR_DEST)? {
        let a = a?;
        match a.kind() {
            IPVS_DEST_ATTR_ADDR_FAMILY => dest_af = a.u16()?,
            IPVS_DEST_ATTR_ADDR => addr = Some(a.value()),
            IPVS_DEST_ATTR_PORT => port = Some(port_be(&a)?),
            IPVS_DEST_ATTR_FWD_METHOD => method = Some(a.u32()?),
            IPVS_DEST_ATTR_WEIGHT => weight = Some(a.u32()?),
            IPVS_DEST_ATTR_U_THRESH => u = a.u32()?,
            IPVS_DEST_ATTR_L_THRESH => l = a.u32()?,
            IPVS_DEST_ATTR_TUN_TYPE => tun_type = a.u8()?,
            IPVS_DEST_ATTR_TUN_PORT => tun_port = port_be(&a)?,
            IPVS_DEST_ATTR_TUN_FLAGS => tun_flags = a.u16()?,
            _ => {}
        }
    }
    let addr = addr
        .and_then(|b| addr_from_union(dest_af, b))
        .ok_or(ParseError("destination address"))?;
    Ok(Dest {
        key: DestKey {
            addr,
            port: port.ok_or(ParseError("destination without port"))?,
        },
        attrs: DestAttrs {
            fwd: Fwd::from_kernel(
                method.ok_or(ParseError("destination without method"))?,
                tun_type,
                tun_port,
                tun_flags,
            ),
            weight: weight.ok_or(ParseError("destination without weight"))?,
            u_threshold: u,
            l_threshold: l,
        },
    })
}
