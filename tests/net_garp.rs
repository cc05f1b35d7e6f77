//! Gratuitous ARP and unsolicited NA on the real kernel: sent by `Announcer` in namespace A,
//! captured in B with an AF_PACKET socket and checked field by field; none on an IFF_NOARP
//! interface; the Router flag follows A's IPv6 forwarding; and the frames Debian's
//! keepalived sends on becoming MASTER are ours byte for byte.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use common::{in_netns, system_ready, Kind, NetnsPair, Vrrpd};
use keepalived_rs::net::garp::{arp_frame, na_frame, Announcer, FRAME_LEN};
use keepalived_rs::net::ifinfo;

/// Every frame arriving on B's eth0.
struct Capture(OwnedFd);

impl Capture {
    fn open(ifindex: u32) -> Capture {
        let all = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain socket call; the descriptor is owned at once.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                i32::from(all),
            )
        };
        assert!(
            fd >= 0,
            "capture socket: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: `fd` is new and ours.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: sockaddr_ll is plain data.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = all;
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: `sll` is live, of the length given.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        assert_eq!(r, 0, "bind capture: {}", std::io::Error::last_os_error());
        Capture(fd)
    }

    /// The first frame within `ms` for which `want` holds.
    fn find(&self, ms: u64, want: impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
        let until = Instant::now() + Duration::from_millis(ms);
        let mut buf = [0u8; 2048];
        while Instant::now() < until {
            let mut p = libc::pollfd {
                fd: self.0.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one live pollfd.
            if unsafe { libc::poll(&mut p, 1, 50) } <= 0 {
                continue;
            }
            loop {
                // SAFETY: `buf` is live, of the length given.
                let n = unsafe {
                    libc::recv(self.0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0)
                };
                if n <= 0 {
                    break;
                }
                let frame = &buf[..n as usize];
                if want(frame) {
                    return Some(frame.to_vec());
                }
            }
        }
        None
    }
}

fn is_arp_for(vip: Ipv4Addr) -> impl Fn(&[u8]) -> bool {
    move |f| f.len() >= 42 && f[12..14] == [0x08, 0x06] && f[28..32] == vip.octets()
}

fn is_na_for(vip: Ipv6Addr) -> impl Fn(&[u8]) -> bool {
    move |f| {
        f.len() >= 86 && f[12..14] == [0x86, 0xdd] && f[20] == 58 && f[54] == 136 && {
            f[62..78] == vip.octets()
        }
    }
}

/// The internet checksum of the ICMPv6 message `icmp` with its pseudo-header.
fn icmpv6_checksum(src: &[u8], dst: &[u8], icmp: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        }
    };
    add(src);
    add(dst);
    add(&(icmp.len() as u32).to_be_bytes());
    add(&[0, 0, 0, 58]);
    add(icmp);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[test]
fn gratuitous_arp_and_na_arrive_as_keepalived_sends_them() {
    if !system_ready(&["ip"]) {
        return;
    }
    let net = NetnsPair::new("garp");
    let (announcer, link) = in_netns(&net.a, || {
        let a = Announcer::open().expect("AF_PACKET socket");
        (a, ifinfo::link("eth0").expect("eth0"))
    });
    let mac = link.mac.expect("veth is Ethernet");
    assert!(!link.noarp);
    let capture = in_netns(&net.b, || {
        Capture::open(ifinfo::index("eth0").expect("eth0 in B"))
    });

    // Gratuitous ARP: every byte.
    let vip4 = Ipv4Addr::new(10, 9, 2, 100);
    assert!(announcer
        .send(&link, IpAddr::V4(vip4), false)
        .expect("send ARP"));
    let f = capture
        .find(2000, is_arp_for(vip4))
        .expect("the ARP arrives");
    let want: Vec<u8> = [
        &[0xff; 6][..],
        &mac,
        &[0x08, 0x06],
        &[0, 1, 0x08, 0, 6, 4, 0, 1],
        &mac,
        &vip4.octets(),
        &[0xff; 6],
        &vip4.octets(),
    ]
    .concat();
    assert_eq!(&f[..42], &want[..]);

    // Unsolicited NA, without and with IPv6 forwarding on A's eth0.
    let vip6: Ipv6Addr = "2001:db8:9::100".parse().expect("address");
    for forwarding in [false, true] {
        if forwarding {
            net.must(&[
                "ip",
                "netns",
                "exec",
                &net.a,
                "sh",
                "-c",
                "echo 1 > /proc/sys/net/ipv6/conf/eth0/forwarding",
            ]);
        }
        let router = in_netns(&net.a, || ifinfo::ipv6_forwarding("eth0")).expect("sysctl");
        assert_eq!(router, forwarding);
        assert!(announcer
            .send(&link, IpAddr::V6(vip6), router)
            .expect("send NA"));
        let f = capture.find(2000, is_na_for(vip6)).expect("the NA arrives");
        assert_eq!(f.len(), 86);
        assert_eq!(f[..6], [0x33, 0x33, 0, 0, 0, 1], "to all nodes");
        assert_eq!(f[6..12], mac, "from our MAC");
        assert_eq!(f[14] >> 4, 6, "IPv6");
        assert_eq!(f[18..20], [0, 32], "payload length");
        assert_eq!(f[21], 255, "hop limit");
        assert_eq!(f[22..38], vip6.octets(), "from the VIP");
        assert_eq!(
            f[38..54],
            "ff02::1".parse::<Ipv6Addr>().expect("a").octets()
        );
        let icmp = &f[54..86];
        assert_eq!(icmp[..2], [136, 0]);
        let flags = if forwarding { 0xa0 } else { 0x20 };
        assert_eq!(icmp[4], flags, "Override, and Router when forwarding");
        assert_eq!(icmp[5..8], [0, 0, 0]);
        assert_eq!(icmp[24..26], [2, 1], "target link-layer address option");
        assert_eq!(icmp[26..32], mac);
        assert_eq!(icmpv6_checksum(&f[22..38], &f[38..54], icmp), 0);
    }

    // IFF_NOARP: nothing is sent.
    net.must(&["ip", "-n", &net.a, "link", "set", "eth0", "arp", "off"]);
    let link = in_netns(&net.a, || ifinfo::link("eth0")).expect("eth0");
    assert!(link.noarp);
    let quiet = Ipv4Addr::new(10, 9, 2, 101);
    assert!(!announcer
        .send(&link, IpAddr::V4(quiet), false)
        .expect("nothing to send"));
    assert!(capture.find(300, is_arp_for(quiet)).is_none());
}

#[test]
fn keepalived_s_garp_and_na_are_ours_byte_for_byte() {
    if !system_ready(&["ip", "keepalived"]) {
        return;
    }
    let net = NetnsPair::new("kgarp");
    net.must(&[
        "ip",
        "-n",
        &net.a,
        "addr",
        "add",
        "10.9.3.1/24",
        "dev",
        "eth0",
    ]);
    let capture = in_netns(&net.b, || {
        Capture::open(ifinfo::index("eth0").expect("eth0 in B"))
    });
    let mac = in_netns(&net.a, || ifinfo::link("eth0"))
        .expect("eth0")
        .mac
        .expect("Ethernet");
    // The eVIP is IPv6, so the IPv4 instance's bursts carry an NA too.
    let ka = Vrrpd::start(
        Kind::Keepalived,
        &net.a,
        "vrrp_instance VI {
            state MASTER
            interface eth0
            virtual_router_id 52
            priority 200
            advert_int 1
            virtual_ipaddress {
                10.9.3.100/24
            }
            virtual_ipaddress_excluded {
                2001:db8:9::100/64
            }
        }",
    );
    let vip4 = Ipv4Addr::new(10, 9, 3, 100);
    let vip6: Ipv6Addr = "2001:db8:9::100".parse().expect("address");
    let theirs = capture.find(15_000, is_arp_for(vip4));
    let theirs = theirs.unwrap_or_else(|| panic!("no ARP from keepalived:\n{}", ka.log()));
    let mut ours = [0u8; FRAME_LEN];
    let n = arp_frame(mac, vip4, &mut ours);
    assert_eq!(theirs, &ours[..n]);
    let theirs = capture.find(5_000, is_na_for(vip6));
    let theirs = theirs.unwrap_or_else(|| panic!("no NA from keepalived:\n{}", ka.log()));
    let n = na_frame(mac, vip6, false, &mut ours);
    assert_eq!(theirs, &ours[..n]);
}
