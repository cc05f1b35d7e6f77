//! Gratuitous ARP and unsolicited neighbour advertisements, as keepalived 2.2.7 sends them
//! (`vrrp_arp.c`, `vrrp_ndisc.c`), and the pacing of both per interface.
//!
//! - A gratuitous ARP is an Ethernet broadcast ARP request: sender and target protocol
//!   address the VIP, sender hardware address the interface's MAC (the VMAC's with
//!   `use_vmac`), target hardware address ff:ff:ff:ff:ff:ff.
//! - An unsolicited NA goes from the VIP to ff02::1 (33:33:00:00:00:01) with hop limit 255,
//!   the Override flag, the Router flag when IPv6 forwarding is on for the interface, and a
//!   Target Link-Layer Address option.
//!
//! Frames are built with smoltcp's wire types into a stack buffer and sent on one AF_PACKET
//! socket. Neither goes out on an IFF_NOARP interface.
//!
//! [`Pacer`] spaces them as `vrrp_garp_interval` / `vrrp_gna_interval` (or a garp_group's
//! intervals) ask: a message may leave its lane (an interface, or the interfaces of one
//! garp_group) only that long after the previous one; earlier ones wait in a queue of fixed
//! capacity, in order.

use std::io;
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, OwnedFd};

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, Icmpv6Packet, Icmpv6Repr, IpAddress, IpProtocol, Ipv4Address, Ipv6Address,
    Ipv6Packet, Ipv6Repr, NdiscNeighborFlags, NdiscRepr, RawHardwareAddress, ETHERNET_HEADER_LEN,
    IPV6_HEADER_LEN,
};

use super::fd;
use super::ifinfo::Link;
use crate::config::model::global::Global;
use crate::config::model::vrrp::Vrrp;
use crate::limits;
use crate::time::{Duration, Instant};
use crate::vrrp::action::InstanceId;

/// An ARP packet for Ethernet and IPv4.
const ARP_LEN: usize = 28;
/// A neighbour advertisement (24 bytes) with one link-layer address option (8 bytes).
const NA_LEN: usize = 32;
/// The longest frame built here (the NA); a gratuitous ARP is 42 bytes.
pub const FRAME_LEN: usize = ETHERNET_HEADER_LEN + IPV6_HEADER_LEN + NA_LEN;

/// Writes keepalived's gratuitous ARP for `vip` from `mac` into `buf`; returns its length.
pub fn arp_frame(mac: [u8; 6], vip: Ipv4Addr, buf: &mut [u8; FRAME_LEN]) -> usize {
    let len = ETHERNET_HEADER_LEN + ARP_LEN;
    let mut frame = EthernetFrame::new_unchecked(&mut buf[..len]);
    EthernetRepr {
        src_addr: EthernetAddress(mac),
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Arp,
    }
    .emit(&mut frame);
    let vip = Ipv4Address::from_bytes(&vip.octets());
    ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: EthernetAddress(mac),
        source_protocol_addr: vip,
        target_hardware_addr: EthernetAddress::BROADCAST,
        target_protocol_addr: vip,
    }
    .emit(&mut ArpPacket::new_unchecked(frame.payload_mut()));
    len
}

/// Writes keepalived's unsolicited neighbour advertisement for `vip` from `mac` into `buf`
/// (`router`: set the Router flag); returns its length.
pub fn na_frame(mac: [u8; 6], vip: Ipv6Addr, router: bool, buf: &mut [u8; FRAME_LEN]) -> usize {
    let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
    EthernetRepr {
        src_addr: EthernetAddress(mac),
        dst_addr: EthernetAddress([0x33, 0x33, 0, 0, 0, 1]),
        ethertype: EthernetProtocol::Ipv6,
    }
    .emit(&mut frame);
    let src = Ipv6Address::from_bytes(&vip.octets());
    let dst = Ipv6Address::LINK_LOCAL_ALL_NODES;
    let mut ip = Ipv6Packet::new_unchecked(frame.payload_mut());
    Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Icmpv6,
        payload_len: NA_LEN,
        hop_limit: 255,
    }
    .emit(&mut ip);
    let mut flags = NdiscNeighborFlags::OVERRIDE;
    if router {
        flags |= NdiscNeighborFlags::ROUTER;
    }
    Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags,
        target_addr: src,
        lladdr: Some(RawHardwareAddress::from_bytes(&mac)),
    })
    .emit(
        &IpAddress::Ipv6(src),
        &IpAddress::Ipv6(dst),
        &mut Icmpv6Packet::new_unchecked(ip.payload_mut()),
        &ChecksumCapabilities::default(),
    );
    FRAME_LEN
}

/// The AF_PACKET socket gratuitous ARPs and NAs leave by.
#[derive(Debug)]
pub struct Announcer {
    fd: OwnedFd,
}

impl Announcer {
    /// Protocol 0: the socket sends whole frames and receives nothing.
    pub fn open() -> io::Result<Announcer> {
        let fd = fd::socket(libc::AF_PACKET, libc::SOCK_RAW, 0)?;
        Ok(Announcer { fd })
    }

    /// Sends one gratuitous ARP (IPv4 `addr`) or unsolicited NA (IPv6 `addr`, with the
    /// Router flag when `router`) on `link`. Ok(false): the link takes none (IFF_NOARP, or
    /// not Ethernet). With `use_vmac`, `link` is the VMAC (its index and MAC) carrying the
    /// IFF_NOARP of its base interface, as keepalived checks the base.
    pub fn send(&self, link: &Link, addr: IpAddr, router: bool) -> io::Result<bool> {
        let Some(mac) = link.mac.filter(|_| !link.noarp) else {
            return Ok(false);
        };
        let mut buf = [0u8; FRAME_LEN];
        let (len, proto) = match addr {
            IpAddr::V4(a) => (arp_frame(mac, a, &mut buf), libc::ETH_P_ARP),
            IpAddr::V6(a) => (na_frame(mac, a, router, &mut buf), libc::ETH_P_IPV6),
        };
        // SAFETY: sockaddr_ll is plain data; all zero is valid.
        let mut to: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        to.sll_family = libc::AF_PACKET as u16;
        to.sll_protocol = (proto as u16).to_be();
        to.sll_ifindex = link.index as libc::c_int;
        to.sll_halen = 6;
        to.sll_addr[..6].copy_from_slice(&buf[..6]);
        let fd = self.fd.as_raw_fd();
        // SAFETY: `buf` and `to` are live for the call, with the lengths given.
        let sent = fd::retry(|| unsafe {
            libc::sendto(
                fd,
                buf.as_ptr().cast(),
                len,
                0,
                (&to as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })?;
        if sent != len {
            return Err(io::ErrorKind::WriteZero.into());
        }
        Ok(true)
    }
}

/// The minimum gaps between messages of one lane; zero: no pacing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Intervals {
    /// Between gratuitous ARPs.
    pub garp: Duration,
    /// Between unsolicited NAs.
    pub gna: Duration,
}

impl Intervals {
    /// `vrrp_garp_interval` and `vrrp_gna_interval`: every interface's, outside garp groups.
    pub fn global(g: &Global) -> Intervals {
        Intervals {
            garp: g.vrrp_garp_interval,
            gna: g.vrrp_gna_interval,
        }
    }
}

/// A pacing lane: an interface (the base interface of a VMAC), or the interfaces of one
/// garp_group, which share their limit. Its index in the lanes given to [`Pacer::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LaneId(pub u16);

/// One gratuitous ARP (IPv4 `addr`) or NA (IPv6) to send on `ifindex` for `instance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Announce {
    pub instance: InstanceId,
    pub lane: LaneId,
    pub ifindex: u32,
    pub addr: IpAddr,
}

#[derive(Clone, Copy, Debug)]
struct Lane {
    intervals: Intervals,
    /// When the next ARP, and the next NA, may leave.
    next: [Option<Instant>; 2],
}

/// ARPs and NAs are paced apart.
fn kind(a: &Announce) -> usize {
    usize::from(a.addr.is_ipv6())
}

/// Spaces messages per lane and kind, in order: sans-IO, with `now` given. Offer each
/// message; send what comes back at once, and what [`Pacer::due`] hands out when
/// [`Pacer::poll_at`] comes.
#[derive(Debug)]
pub struct Pacer {
    lanes: Box<[Lane]>,
    queue: Vec<Announce>,
    overflow: u64,
}

impl Pacer {
    /// `lanes` by [`LaneId`]; the queue holds at most `capacity` messages, never more.
    pub fn new(lanes: &[Intervals], capacity: usize) -> Pacer {
        Pacer {
            lanes: lanes
                .iter()
                .map(|&intervals| Lane {
                    intervals,
                    next: [None; 2],
                })
                .collect(),
            queue: Vec::with_capacity(capacity),
            overflow: 0,
        }
    }

    fn ready(&self, a: &Announce, now: Instant) -> bool {
        self.lanes
            .get(usize::from(a.lane.0))
            .map_or(true, |l| l.next[kind(a)].map_or(true, |t| now >= t))
    }

    /// Records that `a` leaves now.
    fn sent(&mut self, a: &Announce, now: Instant) {
        if let Some(l) = self.lanes.get_mut(usize::from(a.lane.0)) {
            let gap = [l.intervals.garp, l.intervals.gna][kind(a)];
            if gap > Duration::ZERO {
                l.next[kind(a)] = Some(now + gap);
            }
        }
    }

    /// `a` is to be sent: Some(a) when it may go now (send it), None when it waits in the
    /// queue (or, the queue full, is counted in [`Pacer::overflow`]). It never overtakes a
    /// waiting message of its lane and kind.
    pub fn offer(&mut self, now: Instant, a: Announce) -> Option<Announce> {
        let waiting = self
            .queue
            .iter()
            .any(|q| q.lane == a.lane && kind(q) == kind(&a));
        if !waiting && self.ready(&a, now) {
            self.sent(&a, now);
            return Some(a);
        }
        if self.queue.len() < self.queue.capacity() {
            self.queue.push(a);
        } else {
            self.overflow += 1;
        }
        None
    }

    /// The oldest waiting message that may go by `now`, if any: call until None.
    pub fn due(&mut self, now: Instant) -> Option<Announce> {
        let k = self.queue.iter().position(|a| self.ready(a, now))?;
        let a = self.queue.remove(k);
        self.sent(&a, now);
        Some(a)
    }

    /// When the next waiting message may go.
    pub fn poll_at(&self) -> Option<Instant> {
        self.queue
            .iter()
            .map(|a| {
                self.lanes
                    .get(usize::from(a.lane.0))
                    .and_then(|l| l.next[kind(a)])
                    // Only a paced lane queues; anything else is due at once.
                    .unwrap_or(Instant::from_micros(0))
            })
            .min()
    }

    /// Drops the waiting messages of `instance` (it left MASTER); returns how many.
    pub fn cancel(&mut self, instance: InstanceId) -> usize {
        let before = self.queue.len();
        self.queue.retain(|a| a.instance != instance);
        before - self.queue.len()
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Messages that found the queue full.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }
}

/// A queue size for `vrrp`: two bursts (a burst and its delayed repeat) of every instance's
/// largest repeat count over all its addresses, at most [`limits::MAX_GARP_QUEUE`].
pub fn queue_capacity(vrrp: &Vrrp) -> usize {
    let n: usize = vrrp
        .instances
        .iter()
        .map(|c| {
            let g = &c.garp;
            let rounds = g
                .master_repeat
                .max(g.lower_prio_repeat)
                .max(g.master_refresh_repeat);
            2 * (rounds as usize) * (c.vips.len() + c.evips.len())
        })
        .fold(0, usize::saturating_add);
    n.min(limits::MAX_GARP_QUEUE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30];

    #[test]
    fn a_gratuitous_arp_is_keepalived_s_byte_for_byte() {
        let mut buf = [0u8; FRAME_LEN];
        let n = arp_frame(MAC, Ipv4Addr::new(10, 0, 0, 100), &mut buf);
        let want: Vec<u8> = [
            &[0xff; 6][..],               // Ethernet broadcast
            &MAC,                         // from the interface
            &[0x08, 0x06],                // ARP
            &[0, 1, 0x08, 0, 6, 4, 0, 1], // Ethernet, IPv4, 6, 4, request
            &MAC,                         // sender hardware address
            &[10, 0, 0, 100],             // sender protocol address: the VIP
            &[0xff; 6],                   // target hardware address
            &[10, 0, 0, 100],             // target protocol address: the VIP
        ]
        .concat();
        assert_eq!(&buf[..n], &want[..]);
    }

    fn na(router: bool) -> [u8; FRAME_LEN] {
        let mut buf = [0u8; FRAME_LEN];
        let vip: Ipv6Addr = "2001:db8::100".parse().expect("address");
        assert_eq!(na_frame(MAC, vip, router, &mut buf), FRAME_LEN);
        buf
    }

    #[test]
    fn an_unsolicited_na_goes_from_the_vip_to_all_nodes_with_override_and_our_mac() {
        let buf = na(false);
        assert_eq!(buf[..6], [0x33, 0x33, 0, 0, 0, 1]);
        assert_eq!(buf[6..12], MAC);
        assert_eq!(buf[12..14], [0x86, 0xdd]);
        let ip = Ipv6Packet::new_checked(&buf[14..]).expect("IPv6");
        assert_eq!(buf[14] >> 4, 6);
        assert_eq!(ip.payload_len(), 32);
        assert_eq!(ip.next_header(), IpProtocol::Icmpv6);
        assert_eq!(ip.hop_limit(), 255);
        let vip =
            Ipv6Address::from_bytes(&"2001:db8::100".parse::<Ipv6Addr>().expect("a").octets());
        assert_eq!(ip.src_addr(), vip);
        assert_eq!(ip.dst_addr(), Ipv6Address::LINK_LOCAL_ALL_NODES);
        let icmp = Icmpv6Packet::new_checked(ip.payload()).expect("ICMPv6");
        assert!(icmp.verify_checksum(&IpAddress::Ipv6(vip), &IpAddress::Ipv6(ip.dst_addr())));
        let na = &buf[54..];
        assert_eq!(na[..2], [136, 0], "neighbour advertisement, code 0");
        assert_eq!(na[4], 0x20, "Override only");
        assert_eq!(na[8..24], vip.0);
        assert_eq!(na[24..26], [2, 1], "target link-layer address, 8 bytes");
        assert_eq!(na[26..32], MAC);
    }

    #[test]
    fn forwarding_adds_the_router_flag() {
        let buf = na(true);
        assert_eq!(buf[54 + 4], 0xa0, "Router and Override");
        let ip = Ipv6Packet::new_checked(&buf[14..]).expect("IPv6");
        let icmp = Icmpv6Packet::new_checked(ip.payload()).expect("ICMPv6");
        let (s, d) = (
            IpAddress::Ipv6(ip.src_addr()),
            IpAddress::Ipv6(ip.dst_addr()),
        );
        assert!(icmp.verify_checksum(&s, &d));
    }

    #[test]
    fn no_frame_on_noarp_or_non_ethernet_links() {
        let a = Announcer::open();
        // Opening an AF_PACKET socket needs CAP_NET_RAW; without it there is nothing to check.
        let Ok(a) = a else { return };
        let vip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let noarp = Link {
            index: 1,
            mac: Some(MAC),
            noarp: true,
        };
        assert!(!a.send(&noarp, vip, false).expect("nothing to send"));
        let lo = Link {
            index: 1,
            mac: None,
            noarp: false,
        };
        assert!(!a.send(&lo, vip, false).expect("nothing to send"));
    }

    fn at(us: u64) -> Instant {
        Instant::from_micros(us)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_micros(n * 1000)
    }

    fn msg(instance: u16, lane: u16, addr: &str) -> Announce {
        Announce {
            instance: InstanceId(instance),
            lane: LaneId(lane),
            ifindex: 2,
            addr: addr.parse().expect("address"),
        }
    }

    #[test]
    fn without_intervals_everything_goes_at_once() {
        let mut p = Pacer::new(&[Intervals::default()], 4);
        for k in 0..10 {
            assert!(p.offer(at(0), msg(0, 0, &format!("10.0.0.{k}"))).is_some());
        }
        assert_eq!(p.poll_at(), None);
        assert_eq!(p.queued(), 0);
    }

    #[test]
    fn a_lane_sends_one_arp_per_interval_in_order() {
        let i = Intervals {
            garp: ms(10),
            gna: Duration::ZERO,
        };
        let mut p = Pacer::new(&[i], 8);
        let (a, b, c) = (
            msg(0, 0, "10.0.0.1"),
            msg(0, 0, "10.0.0.2"),
            msg(1, 0, "10.0.0.3"),
        );
        assert_eq!(p.offer(at(0), a), Some(a));
        assert_eq!(p.offer(at(0), b), None);
        assert_eq!(p.poll_at(), Some(at(10_000)));
        assert_eq!(p.due(at(9_999)), None);
        // At 12 ms the lane is free again, but b is waiting: c does not overtake it.
        assert_eq!(p.offer(at(12_000), c), None);
        assert_eq!(p.due(at(12_000)), Some(b));
        assert_eq!(p.due(at(12_000)), None);
        assert_eq!(p.poll_at(), Some(at(22_000)));
        assert_eq!(p.due(at(22_000)), Some(c));
        assert_eq!(p.poll_at(), None);
        // The next message waits for the interval after c.
        assert_eq!(p.offer(at(25_000), a), None);
        assert_eq!(p.due(at(32_000)), Some(a));
    }

    #[test]
    fn arps_nas_and_lanes_are_paced_apart() {
        let i = Intervals {
            garp: ms(10),
            gna: ms(30),
        };
        let mut p = Pacer::new(&[i, i], 8);
        let v4 = msg(0, 0, "10.0.0.1");
        let v6 = msg(0, 0, "2001:db8::1");
        let other = msg(0, 1, "10.0.0.1");
        assert!(p.offer(at(0), v4).is_some());
        assert!(
            p.offer(at(0), v6).is_some(),
            "the NA is not held by the ARP"
        );
        assert!(p.offer(at(0), other).is_some(), "nor lane 1 by lane 0");
        assert_eq!(p.offer(at(1_000), v4), None);
        assert_eq!(p.offer(at(1_000), v6), None);
        assert_eq!(p.poll_at(), Some(at(10_000)));
        assert_eq!(p.due(at(10_000)), Some(v4));
        assert_eq!(p.poll_at(), Some(at(30_000)));
        assert_eq!(p.due(at(29_999)), None);
        assert_eq!(p.due(at(30_000)), Some(v6));
    }

    #[test]
    fn leaving_master_cancels_only_that_instance() {
        let i = Intervals {
            garp: ms(10),
            gna: ms(10),
        };
        let mut p = Pacer::new(&[i], 8);
        assert!(p.offer(at(0), msg(0, 0, "10.0.0.1")).is_some());
        for k in 2..5 {
            assert_eq!(p.offer(at(0), msg(0, 0, &format!("10.0.0.{k}"))), None);
        }
        let kept = msg(1, 0, "10.0.1.1");
        assert_eq!(p.offer(at(0), kept), None);
        assert_eq!(p.cancel(InstanceId(0)), 3);
        assert_eq!(p.queued(), 1);
        assert_eq!(p.due(at(10_000)), Some(kept));
        assert_eq!(p.cancel(InstanceId(0)), 0);
    }

    #[test]
    fn a_full_queue_counts_what_it_cannot_hold_and_never_grows() {
        let i = Intervals {
            garp: ms(10),
            gna: ms(10),
        };
        let mut p = Pacer::new(&[i], 2);
        let cap = p.queue.capacity();
        assert!(p.offer(at(0), msg(0, 0, "10.0.0.1")).is_some());
        for k in 0..cap + 3 {
            assert_eq!(
                p.offer(at(0), msg(0, 0, &format!("10.0.0.{}", k + 2))),
                None
            );
        }
        assert_eq!(p.queued(), cap);
        assert_eq!(p.overflow(), 3);
        assert_eq!(p.queue.capacity(), cap);
    }

    #[test]
    fn an_unknown_lane_is_not_paced() {
        let mut p = Pacer::new(&[], 0);
        let a = msg(0, 7, "10.0.0.1");
        assert_eq!(p.offer(at(0), a), Some(a));
        assert_eq!(p.offer(at(0), a), Some(a));
    }

    #[test]
    fn the_queue_holds_two_bursts_of_every_instance() {
        use crate::config::host::FakeHost;
        use crate::config::testutil::load_text;
        let text = "vrrp_instance A {
            interface eth0
            virtual_router_id 1
            garp_master_repeat 3
            garp_lower_prio_repeat 2
            virtual_ipaddress {
                10.0.0.1/24
                10.0.0.2/24
            }
            virtual_ipaddress_excluded {
                10.0.1.1/24
            }
        }";
        let c = load_text(text, &FakeHost::new()).config.expect("loads");
        assert_eq!(queue_capacity(&c.vrrp), 2 * 3 * 3);
    }
}
