//! The VRRP core's socket pool on raw IP sockets, opened as keepalived 2.2.7 opens them
//! (`open_vrrp_read_socket`, `open_vrrp_send_socket`, `vrrp_send_pkt`): one receive and one
//! send socket per entry of `Router::sockets()`.
//!
//! Receive: raw protocol 112 (51 with AH), IP(V6)_MULTICAST_ALL off so only groups this
//! socket joined arrive; multicast joins the group on the interface and binds to it (no
//! unicast then), unicast binds to the configured source address; bound to the interface.
//! IPv4 delivers the IP header, which the core reads; IPv6 asks for the hop limit and the
//! destination as ancillary data and has the kernel verify the checksum (offset 6).
//!
//! Send: IPv4 with IP_HDRINCL (the core built the whole packet: TOS, TTL, ID); IPv6 with the
//! kernel's checksum, hop limit 255 for multicast, the source and interface per packet
//! (IPV6_PKTINFO) and `unicast_ttl` as IPV6_HOPLIMIT. Multicast leaves by the interface
//! (IP(V6)_MULTICAST_IF, MSG_DONTROUTE) without looping back; traffic class 0xC0. A filter
//! that accepts nothing keeps send sockets from queueing input.
//!
//! Nothing here allocates per packet: `recv` fills the caller's buffer and a stack buffer
//! of ancillary data.

use std::fmt;
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::fd;
use super::ifinfo;
use crate::config::model::vrrp::{Family, Transport, Vrrp};
use crate::vrrp::action::{InstanceId, SockId};
use crate::vrrp::msg::Names;
use crate::vrrp::router::Router;
use crate::vrrp::rx::Received;
use crate::vrrp::tx::Emitted;

/// A receive buffer this long holds any packet whole (IPv4 total length and IPv6 payload
/// length are 16 bits), so a receive is never truncated.
pub const RECV_BUF_LEN: usize = 65_536;

/// IPTOS_PREC_INTERNETCONTROL, keepalived's IP_TOS and IPV6_TCLASS.
const TOS: i32 = 0xc0;
/// Where the VRRP checksum sits, for IPV6_CHECKSUM.
const CHECKSUM_OFFSET: i32 = 6;

/// The step of opening a socket that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The interface does not exist (yet): open again when it appears.
    Interface,
    /// No such socket in the pool.
    Unknown,
    Socket,
    /// A socket option, by name.
    Option(&'static str),
    /// Joining the multicast group.
    Join,
    /// Binding to the group or to the unicast source address. keepalived takes a unicast
    /// socket's instances to FAULT ("src address not configured") when this fails.
    Bind,
}

#[derive(Debug)]
pub struct OpenError {
    pub step: Step,
    pub err: io::Error,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Step::Option(name) => write!(f, "{name}: {}", self.err),
            s => write!(f, "{s:?}: {}", self.err),
        }
    }
}

impl std::error::Error for OpenError {}

fn at(step: Step) -> impl FnOnce(io::Error) -> OpenError {
    move |err| OpenError { step, err }
}

/// What the pool says a socket is.
#[derive(Debug)]
struct Spec {
    iface: Option<Box<str>>,
    family: Family,
    proto: u8,
    unicast: bool,
    /// Multicast: the group. Unicast: the configured source, if any.
    addr: Option<IpAddr>,
}

#[derive(Debug)]
struct Open {
    ifindex: u32,
    rx: OwnedFd,
    tx: OwnedFd,
}

#[derive(Debug)]
struct Slot {
    spec: Spec,
    open: Option<Open>,
    truncated: u64,
}

/// Per instance: its socket and, for IPv6 unicast, its `unicast_ttl` (None: the kernel's
/// default hop limit, as keepalived leaves it).
#[derive(Clone, Copy, Debug, Default)]
struct InstanceSock {
    sock: Option<SockId>,
    hop_limit: Option<u8>,
}

/// The raw sockets of the VRRP socket pool, indexed by `SockId`.
#[derive(Debug)]
pub struct VrrpSockets {
    slots: Box<[Slot]>,
    insts: Box<[InstanceSock]>,
}

impl VrrpSockets {
    /// The pool of `router` (built from `vrrp`), every socket still closed.
    pub fn new(router: &Router, vrrp: &Vrrp) -> VrrpSockets {
        let slots = router
            .sockets()
            .iter()
            .map(|s| Slot {
                spec: Spec {
                    iface: s.iface.map(|i| Names::interface(router, i).into()),
                    family: s.family,
                    proto: s.proto,
                    unicast: s.unicast,
                    addr: s.addr,
                },
                open: None,
                truncated: 0,
            })
            .collect();
        let mut insts = vec![InstanceSock::default(); vrrp.instances.len()];
        for (k, s) in router.sockets().iter().enumerate() {
            for m in s.members() {
                if let Some(i) = insts.get_mut(usize::from(m.0)) {
                    i.sock = u16::try_from(k).ok().map(SockId);
                }
            }
        }
        for (i, c) in insts.iter_mut().zip(&vrrp.instances) {
            if let Transport::Unicast { ttl, .. } = c.transport {
                i.hop_limit = ttl;
            }
        }
        VrrpSockets {
            slots,
            insts: insts.into_boxed_slice(),
        }
    }

    /// Opens every socket; returns those that could not be opened, with why.
    pub fn open_all(&mut self) -> Vec<(SockId, OpenError)> {
        (0..self.slots.len())
            .filter_map(|k| {
                let id = SockId(u16::try_from(k).ok()?);
                self.open(id).err().map(|e| (id, e))
            })
            .collect()
    }

    /// Opens (or reopens) socket `id`: its interface index is looked up now.
    pub fn open(&mut self, id: SockId) -> Result<(), OpenError> {
        let slot = self
            .slots
            .get_mut(usize::from(id.0))
            .ok_or_else(|| at(Step::Unknown)(io::ErrorKind::NotFound.into()))?;
        slot.open = None;
        let ifindex = match &slot.spec.iface {
            Some(name) => ifinfo::index(name).map_err(at(Step::Interface))?,
            None => 0,
        };
        let rx = open_rx(&slot.spec, ifindex)?;
        let tx = open_tx(&slot.spec, ifindex)?;
        slot.open = Some(Open { ifindex, rx, tx });
        Ok(())
    }

    /// Closes socket `id` (its interface went away).
    pub fn close(&mut self, id: SockId) {
        if let Some(s) = self.slots.get_mut(usize::from(id.0)) {
            s.open = None;
        }
    }

    pub fn is_open(&self, id: SockId) -> bool {
        self.slot(id).is_some_and(|s| s.open.is_some())
    }

    /// The receive descriptors of the open sockets, for the poll loop.
    pub fn fds(&self) -> impl Iterator<Item = (SockId, RawFd)> + '_ {
        self.slots.iter().enumerate().filter_map(|(k, s)| {
            let o = s.open.as_ref()?;
            Some((SockId(u16::try_from(k).ok()?), o.rx.as_raw_fd()))
        })
    }

    /// Packets of socket `id` dropped because they did not fit the caller's buffer.
    pub fn truncated(&self, id: SockId) -> u64 {
        self.slot(id).map_or(0, |s| s.truncated)
    }

    fn slot(&self, id: SockId) -> Option<&Slot> {
        self.slots.get(usize::from(id.0))
    }

    /// The next packet waiting on socket `id`, read into `buf`; Ok(None) when there is none
    /// (EAGAIN): call until then. A packet longer than `buf` is dropped and counted
    /// ([`RECV_BUF_LEN`] never truncates).
    pub fn recv<'b>(&mut self, id: SockId, buf: &'b mut [u8]) -> io::Result<Option<Received<'b>>> {
        let slot = self
            .slots
            .get_mut(usize::from(id.0))
            .ok_or(io::ErrorKind::NotFound)?;
        let fd = slot
            .open
            .as_ref()
            .ok_or(io::ErrorKind::NotConnected)?
            .rx
            .as_raw_fd();
        let family = slot.spec.family;
        let mut cmsg = Cmsg::new();
        loop {
            // SAFETY: sockaddr_in6 is plain data; all zero is valid.
            let mut from: libc::sockaddr_in6 = unsafe { zeroed() };
            let mut iov = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            };
            // SAFETY: msghdr is plain data (musl adds padding fields); all zero is valid.
            let mut msg: libc::msghdr = unsafe { zeroed() };
            msg.msg_name = (&mut from as *mut libc::sockaddr_in6).cast();
            msg.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = cmsg.0.as_mut_ptr().cast();
            msg.msg_controllen = cmsg.0.len() as _;
            // SAFETY: `msg` points to `from`, `iov` (over `buf`) and `cmsg`, all live and of
            // the lengths given.
            let n = match fd::retry(|| unsafe { libc::recvmsg(fd, &mut msg, 0) }) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(e),
            };
            if msg.msg_flags & libc::MSG_TRUNC != 0 {
                slot.truncated += 1;
                continue;
            }
            let mut rx = Received {
                bytes: &[],
                src: source(&from, family),
                hop_limit: None,
                multicast: false,
            };
            if family == Family::V6 && msg.msg_flags & libc::MSG_CTRUNC == 0 {
                read_ancillary(&msg, &mut rx);
            }
            rx.bytes = &buf[..n];
            return Ok(Some(rx));
        }
    }

    /// Sends one advert of instance `inst` to its destination: `e` and `packet` as
    /// `Router::emit_advert` made them (`packet` = the first `e.len` bytes of its buffer).
    pub fn send(&self, inst: InstanceId, e: &Emitted, packet: &[u8]) -> io::Result<()> {
        let is = self
            .insts
            .get(usize::from(inst.0))
            .ok_or(io::ErrorKind::NotFound)?;
        let slot = is
            .sock
            .and_then(|id| self.slot(id))
            .ok_or(io::ErrorKind::NotFound)?;
        let open = slot.open.as_ref().ok_or(io::ErrorKind::NotConnected)?;
        // keepalived sends multicast with MSG_DONTROUTE: the group is on the link.
        let flags = if slot.spec.unicast {
            0
        } else {
            libc::MSG_DONTROUTE
        };
        let fd = open.tx.as_raw_fd();
        let sent = match (e.src, e.dst) {
            (_, IpAddr::V4(dst)) => send4(fd, dst, packet, flags),
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let hop_limit = is.hop_limit.filter(|_| slot.spec.unicast);
                send6(fd, src, dst, open.ifindex, hop_limit, packet, flags)
            }
            (IpAddr::V4(_), IpAddr::V6(_)) => Err(io::ErrorKind::InvalidInput.into()),
        }?;
        if sent != packet.len() {
            return Err(io::ErrorKind::WriteZero.into());
        }
        Ok(())
    }
}

/// Ancillary data, aligned as cmsghdr needs: room for IPV6_PKTINFO and IPV6_HOPLIMIT.
#[repr(C, align(8))]
struct Cmsg([u8; 128]);

impl Cmsg {
    fn new() -> Cmsg {
        Cmsg([0; 128])
    }
}

fn domain(f: Family) -> libc::c_int {
    match f {
        Family::V4 => libc::AF_INET,
        Family::V6 => libc::AF_INET6,
    }
}

fn ip_level(f: Family) -> libc::c_int {
    match f {
        Family::V4 => libc::IPPROTO_IP,
        Family::V6 => libc::IPPROTO_IPV6,
    }
}

fn opt(
    fd: &OwnedFd,
    f: Family,
    name: &'static str,
    v4: libc::c_int,
    v6: libc::c_int,
    v: i32,
) -> Result<(), OpenError> {
    let n = match f {
        Family::V4 => v4,
        Family::V6 => v6,
    };
    fd::set_int(fd, ip_level(f), n, v).map_err(at(Step::Option(name)))
}

/// Only groups this socket joined are delivered to it (Linux delivers every joined group
/// to every raw socket by default).
fn multicast_all_off(fd: &OwnedFd, f: Family) -> Result<(), OpenError> {
    opt(
        fd,
        f,
        "IP_MULTICAST_ALL",
        libc::IP_MULTICAST_ALL,
        libc::IPV6_MULTICAST_ALL,
        0,
    )
}

fn bind_device(fd: &OwnedFd, spec: &Spec) -> Result<(), OpenError> {
    match &spec.iface {
        Some(name) => fd::bind_to_device(fd, name).map_err(at(Step::Option("SO_BINDTODEVICE"))),
        None => Ok(()),
    }
}

fn open_rx(spec: &Spec, ifindex: u32) -> Result<OwnedFd, OpenError> {
    let f = spec.family;
    let fd = fd::socket(domain(f), libc::SOCK_RAW, spec.proto.into()).map_err(at(Step::Socket))?;
    multicast_all_off(&fd, f)?;
    if !spec.unicast {
        let group = spec
            .addr
            .ok_or_else(|| at(Step::Join)(io::ErrorKind::InvalidInput.into()))?;
        join(&fd, group, ifindex).map_err(at(Step::Join))?;
        // Bound to the group, the socket receives no unicast.
        fd::bind(&fd, group, ifindex).map_err(at(Step::Bind))?;
    } else if let Some(src) = spec.addr {
        fd::bind(&fd, src, ifindex).map_err(at(Step::Bind))?;
    }
    if f == Family::V6 {
        let set =
            |name, n| fd::set_int(&fd, libc::IPPROTO_IPV6, n, 1).map_err(at(Step::Option(name)));
        set("IPV6_RECVHOPLIMIT", libc::IPV6_RECVHOPLIMIT)?;
        set("IPV6_RECVPKTINFO", libc::IPV6_RECVPKTINFO)?;
    }
    bind_device(&fd, spec)?;
    if f == Family::V6 {
        // The kernel checks the VRRP checksum and drops bad packets.
        fd::set_int(
            &fd,
            libc::IPPROTO_IPV6,
            libc::IPV6_CHECKSUM,
            CHECKSUM_OFFSET,
        )
        .map_err(at(Step::Option("IPV6_CHECKSUM")))?;
    }
    Ok(fd)
}

fn open_tx(spec: &Spec, ifindex: u32) -> Result<OwnedFd, OpenError> {
    let f = spec.family;
    let fd = fd::socket(domain(f), libc::SOCK_RAW, spec.proto.into()).map_err(at(Step::Socket))?;
    multicast_all_off(&fd, f)?;
    match f {
        Family::V4 => fd::set_int(&fd, libc::IPPROTO_IP, libc::IP_HDRINCL, 1)
            .map_err(at(Step::Option("IP_HDRINCL")))?,
        Family::V6 => {
            fd::set_int(
                &fd,
                libc::IPPROTO_IPV6,
                libc::IPV6_CHECKSUM,
                CHECKSUM_OFFSET,
            )
            .map_err(at(Step::Option("IPV6_CHECKSUM")))?;
            if !spec.unicast {
                fd::set_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_HOPS, 255)
                    .map_err(at(Step::Option("IPV6_MULTICAST_HOPS")))?;
            }
        }
    }
    bind_device(&fd, spec)?;
    if spec.iface.is_some() && !spec.unicast {
        multicast_if(&fd, f, ifindex).map_err(at(Step::Option("IP_MULTICAST_IF")))?;
        opt(
            &fd,
            f,
            "IP_MULTICAST_LOOP",
            libc::IP_MULTICAST_LOOP,
            libc::IPV6_MULTICAST_LOOP,
            0,
        )?;
    }
    opt(&fd, f, "IP_TOS", libc::IP_TOS, libc::IPV6_TCLASS, TOS)?;
    fd::drop_all_input(&fd).map_err(at(Step::Option("SO_ATTACH_FILTER")))?;
    Ok(fd)
}

fn join(fd: &OwnedFd, group: IpAddr, ifindex: u32) -> io::Result<()> {
    match group {
        IpAddr::V4(g) => {
            let m = libc::ip_mreqn {
                imr_multiaddr: fd::sockaddr_in(g).sin_addr,
                imr_address: libc::in_addr { s_addr: 0 },
                imr_ifindex: ifindex as libc::c_int,
            };
            fd::setsockopt(fd, libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP, &m)
        }
        IpAddr::V6(g) => {
            let m = libc::ipv6_mreq {
                ipv6mr_multiaddr: libc::in6_addr {
                    s6_addr: g.octets(),
                },
                ipv6mr_interface: ifindex,
            };
            fd::setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_ADD_MEMBERSHIP, &m)
        }
    }
}

fn multicast_if(fd: &OwnedFd, f: Family, ifindex: u32) -> io::Result<()> {
    match f {
        Family::V4 => {
            let m = libc::ip_mreqn {
                imr_multiaddr: libc::in_addr { s_addr: 0 },
                imr_address: libc::in_addr { s_addr: 0 },
                imr_ifindex: ifindex as libc::c_int,
            };
            fd::setsockopt(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &m)
        }
        Family::V6 => fd::set_int(
            fd,
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_IF,
            ifindex as i32,
        ),
    }
}

/// The sender as recvmsg gave it.
fn source(from: &libc::sockaddr_in6, f: Family) -> IpAddr {
    match f {
        Family::V4 => {
            // SAFETY: an AF_INET socket wrote a sockaddr_in, which is shorter than the
            // sockaddr_in6 it was read into.
            let sin: libc::sockaddr_in =
                unsafe { std::ptr::read((from as *const libc::sockaddr_in6).cast()) };
            IpAddr::V4(Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes()))
        }
        Family::V6 => IpAddr::V6(Ipv6Addr::from(from.sin6_addr.s6_addr)),
    }
}

/// IPV6_HOPLIMIT and IPV6_PKTINFO (whether the destination was multicast).
fn read_ancillary(msg: &libc::msghdr, rx: &mut Received) {
    // SAFETY: `msg` was filled by recvmsg; the CMSG macros walk its control buffer within
    // msg_controllen, and each payload is read unaligned after its length is checked.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            let data = libc::CMSG_DATA(c);
            let len = (*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
            if (*c).cmsg_level == libc::IPPROTO_IPV6 {
                match (*c).cmsg_type {
                    libc::IPV6_HOPLIMIT if len >= size_of::<libc::c_int>() => {
                        let h: libc::c_int = std::ptr::read_unaligned(data.cast());
                        rx.hop_limit = u8::try_from(h).ok();
                    }
                    libc::IPV6_PKTINFO if len >= size_of::<libc::in6_pktinfo>() => {
                        let p: libc::in6_pktinfo = std::ptr::read_unaligned(data.cast());
                        rx.multicast = p.ipi6_addr.s6_addr[0] == 0xff;
                    }
                    _ => {}
                }
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
    }
}

fn send4(fd: RawFd, dst: Ipv4Addr, packet: &[u8], flags: libc::c_int) -> io::Result<usize> {
    let sa = fd::sockaddr_in(dst);
    // SAFETY: `packet` and `sa` are live for the call, with the lengths given.
    fd::retry(|| unsafe {
        libc::sendto(
            fd,
            packet.as_ptr().cast(),
            packet.len(),
            flags,
            (&sa as *const libc::sockaddr_in).cast(),
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    })
}

fn send6(
    fd: RawFd,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    ifindex: u32,
    hop_limit: Option<u8>,
    packet: &[u8],
    flags: libc::c_int,
) -> io::Result<usize> {
    let scope = if fd::needs_scope(&dst) { ifindex } else { 0 };
    let mut sa = fd::sockaddr_in6(dst, scope);
    let mut iov = libc::iovec {
        iov_base: packet.as_ptr() as *mut libc::c_void,
        iov_len: packet.len(),
    };
    let mut cmsg = Cmsg::new();
    let info = libc::in6_pktinfo {
        ipi6_addr: libc::in6_addr {
            s6_addr: src.octets(),
        },
        ipi6_ifindex: ifindex,
    };
    // SAFETY: msghdr is plain data (musl adds padding fields); all zero is valid.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_name = (&mut sa as *mut libc::sockaddr_in6).cast();
    msg.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cmsg.0.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE is arithmetic; the control buffer (128 bytes, 8-aligned) holds both
    // messages, and each is written within the space CMSG_FIRSTHDR/NXTHDR hand out.
    unsafe {
        let mut len = libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) as usize;
        if hop_limit.is_some() {
            len += libc::CMSG_SPACE(size_of::<libc::c_int>() as u32) as usize;
        }
        msg.msg_controllen = len as _;
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::IPPROTO_IPV6;
        (*c).cmsg_type = libc::IPV6_PKTINFO;
        (*c).cmsg_len = libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(c).cast(), info);
        if let Some(h) = hop_limit {
            let c = libc::CMSG_NXTHDR(&msg, c);
            (*c).cmsg_level = libc::IPPROTO_IPV6;
            (*c).cmsg_type = libc::IPV6_HOPLIMIT;
            (*c).cmsg_len = libc::CMSG_LEN(size_of::<libc::c_int>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(c).cast(), libc::c_int::from(h));
        }
    }
    // SAFETY: `msg` points to `sa`, `iov` (over `packet`) and `cmsg`, all live.
    fd::retry(|| unsafe { libc::sendmsg(fd, &msg, flags) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::host::FakeHost;
    use crate::config::testutil::load_text;

    fn pool(text: &str) -> VrrpSockets {
        let c = load_text(text, &FakeHost::new()).config.expect("loads");
        let r = Router::new(&c.vrrp, &c.global);
        VrrpSockets::new(&r, &c.vrrp)
    }

    #[test]
    fn the_pool_is_the_routers_with_each_instance_on_its_socket() {
        let p = pool(
            "vrrp_instance A {
                interface eth0
                virtual_router_id 1
                virtual_ipaddress {
                    10.0.0.1/24
                }
            }
            vrrp_instance B {
                interface eth0
                virtual_router_id 2
                unicast_src_ip fe80::1
                unicast_ttl 7
                unicast_peer {
                    fe80::2
                }
                virtual_ipaddress {
                    fe80::100/64
                }
            }
            vrrp_instance C {
                interface eth0
                virtual_router_id 3
                virtual_ipaddress {
                    10.0.0.3/24
                }
            }",
        );
        assert_eq!(p.slots.len(), 2);
        let a = &p.slots[0].spec;
        assert_eq!(a.iface.as_deref(), Some("eth0"));
        assert_eq!((a.family, a.proto, a.unicast), (Family::V4, 112, false));
        assert_eq!(a.addr, Some("224.0.0.18".parse().expect("group")));
        let b = &p.slots[1].spec;
        assert_eq!((b.family, b.unicast), (Family::V6, true));
        assert_eq!(b.addr, Some("fe80::1".parse().expect("source")));
        let socks: Vec<_> = p.insts.iter().map(|i| (i.sock, i.hop_limit)).collect();
        assert_eq!(
            socks,
            [
                (Some(SockId(0)), None),
                (Some(SockId(1)), Some(7)),
                (Some(SockId(0)), None)
            ]
        );
        assert_eq!(p.fds().count(), 0, "nothing is open before open()");
    }

    #[test]
    fn closed_or_unknown_sockets_are_errors_not_panics() {
        let mut p = pool(
            "vrrp_instance A {
                interface eth0
                virtual_router_id 1
                virtual_ipaddress {
                    10.0.0.1/24
                }
            }",
        );
        let mut buf = [0u8; 64];
        assert_eq!(
            p.recv(SockId(0), &mut buf)
                .map(|_| ())
                .map_err(|e| e.kind()),
            Err(io::ErrorKind::NotConnected)
        );
        assert_eq!(
            p.recv(SockId(9), &mut buf)
                .map(|_| ())
                .map_err(|e| e.kind()),
            Err(io::ErrorKind::NotFound)
        );
        let e = Emitted {
            src: "10.0.0.2".parse().expect("src"),
            dst: "224.0.0.18".parse().expect("dst"),
            len: 0,
        };
        assert_eq!(
            p.send(InstanceId(0), &e, &[]).map_err(|e| e.kind()),
            Err(io::ErrorKind::NotConnected)
        );
        assert_eq!(p.open(SockId(5)).map_err(|e| e.step), Err(Step::Unknown));
        assert!(!p.is_open(SockId(0)));
    }
}
