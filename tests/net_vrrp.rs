//! The VRRP raw sockets on the real kernel, in two network namespaces joined by a veth pair:
//! an advert a `Router` emits in A, sent by `VrrpSockets` there, arrives at the sockets in B
//! with its source, TTL or hop limit, cast and bytes intact and is accepted by B's `Router`;
//! Debian's keepalived as MASTER in A is heard by our sockets and core as its BACKUP; and
//! once open, sending and receiving adverts and GARPs allocates nothing (this binary counts
//! allocations per thread).

mod common;

use keepalived_rs::runtime::heap::{self, Counting};
use std::net::IpAddr;
use std::os::fd::RawFd;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::{in_netns, scratch_dir, system_ready, Kind, NetnsPair, Vrrpd};
use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::model::vrrp::Family;
use keepalived_rs::config::{self, Config, LoadOptions};
use keepalived_rs::net::garp::{Announce, Announcer, Intervals, LaneId, Pacer};
use keepalived_rs::net::ifinfo;
use keepalived_rs::net::vrrp_sock::{VrrpSockets, RECV_BUF_LEN};
use keepalived_rs::time::{Duration, Instant};
use keepalived_rs::vrrp::action::{Action, Actions, SendAdvert, SockId};
use keepalived_rs::vrrp::instance::State;
use keepalived_rs::vrrp::router::Router;
use keepalived_rs::vrrp::rx::Packet;
use keepalived_rs::vrrp::tx::MAX_ADVERT_LEN;

/// The configuration as the daemon would load it (interface eth0 exists).
fn load(text: &str) -> Config {
    let dir = scratch_dir("net-conf");
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, text).expect("write configuration");
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: None,
        all_config: false,
    };
    let loaded = config::load(&opts, &FakeHost::new());
    let _ = std::fs::remove_dir_all(&dir);
    let msgs = loaded.messages();
    loaded
        .config
        .unwrap_or_else(|| panic!("configuration does not load: {msgs:?}"))
}

fn instance(prio: u8, body: &str) -> String {
    format!(
        "vrrp_instance VI {{
            interface eth0
            virtual_router_id 51
            priority {prio}
            {body}
        }}\n"
    )
}

#[global_allocator]
static HEAP: Counting = Counting;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn at(us: u64) -> Instant {
    Instant::from_micros(us)
}

/// Runs `r` (with `src` as its interface address) in virtual time until it decides to send
/// an advert.
fn first_advert(r: &mut Router, family: Family, src: IpAddr) -> SendAdvert {
    let mut out = Actions::with_capacity(r.action_capacity());
    r.interface_address(at(0), "eth0", family, Some(src), &mut out);
    r.start(at(0), &mut out);
    for _ in 0..100 {
        if let Some(a) = out.iter().find_map(|a| match a {
            Action::SendAdvert(s) => Some(*s),
            _ => None,
        }) {
            return a;
        }
        out.clear();
        let now = r.poll_at().expect("a deadline");
        r.handle_timeout(now, &mut out);
    }
    panic!("the router never sent an advert");
}

fn readable(fd: RawFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one live pollfd.
    unsafe { libc::poll(&mut p, 1, ms) > 0 }
}

fn fd_of(s: &VrrpSockets, id: SockId) -> RawFd {
    s.fds()
        .find(|&(k, _)| k == id)
        .map(|(_, fd)| fd)
        .expect("socket open")
}

fn assert_no_errors(r: &Router) {
    let s = r.instances()[0].stats();
    for (name, v) in s.fields() {
        if name != "advert_rcvd" {
            assert_eq!(v, 0, "{name}: {s:?}");
        }
    }
}

/// One side of a test: a configuration, the router built from it, its sockets.
struct Side {
    config: Config,
    router: Router,
}

impl Side {
    fn new(text: &str) -> Side {
        let config = load(text);
        let router = Router::new(&config.vrrp, &config.global);
        Side { config, router }
    }

    fn open(&self) -> VrrpSockets {
        let mut s = VrrpSockets::new(&self.router, &self.config.vrrp);
        let failed = s.open_all();
        assert!(failed.is_empty(), "open: {failed:?}");
        s
    }
}

struct Case<'a> {
    name: &'a str,
    family: Family,
    /// Addresses of A and B on eth0.
    a: &'static str,
    b: &'static str,
    /// The instance's body on each side (priority and interface come from `instance`).
    conf_a: &'a str,
    conf_b: &'a str,
    ttl: u8,
    multicast: bool,
}

/// A's router emits, A's sockets send, B's sockets receive, B's router accepts.
fn cross(case: &Case) {
    let net = NetnsPair::new("vrrp");
    let plen = if case.family == Family::V4 {
        "24"
    } else {
        "64"
    };
    for (ns, addr) in [(&net.a, case.a), (&net.b, case.b)] {
        let a = format!("{addr}/{plen}");
        let mut cmd = vec!["ip", "-n", ns, "addr", "add", &a, "dev", "eth0"];
        if case.family == Family::V6 {
            cmd.push("nodad");
        }
        net.must(&cmd);
    }
    let mut a = Side::new(&instance(200, case.conf_a));
    let mut b = Side::new(&instance(100, case.conf_b));
    let (mut sa, mut sb) = (in_netns(&net.a, || a.open()), in_netns(&net.b, || b.open()));

    let advert = first_advert(&mut a.router, case.family, ip(case.a));
    let mut packet = [0u8; MAX_ADVERT_LEN];
    assert_eq!(a.router.advert_destinations(advert.instance), 1);
    let e = a
        .router
        .emit_advert(&advert, 0, &mut packet)
        .expect("emits");
    sa.send(advert.instance, &e, &packet[..e.len])
        .unwrap_or_else(|err| panic!("{}: send: {err}", case.name));

    let mut out = Actions::with_capacity(b.router.action_capacity());
    b.router
        .interface_address(at(0), "eth0", case.family, Some(ip(case.b)), &mut out);
    b.router.start(at(0), &mut out);
    assert_eq!(b.router.instances()[0].state(), State::Backup);
    let sock = SockId(0);
    assert!(
        readable(fd_of(&sb, sock), 3000),
        "{}: nothing arrived",
        case.name
    );
    let mut buf = vec![0u8; RECV_BUF_LEN];
    let rx = sb
        .recv(sock, &mut buf)
        .expect("recv")
        .expect("a packet is waiting");
    assert_eq!(rx.src, ip(case.a), "{}", case.name);
    let sent = &packet[..e.len];
    match case.family {
        Family::V4 => {
            // The kernel fills the header checksum and length we already filled.
            assert_eq!(rx.bytes, sent, "{}", case.name);
            assert_eq!(rx.bytes[8], case.ttl, "{}: TTL", case.name);
            let p = Packet::split(Family::V4, &rx).expect("splits");
            assert_eq!(p.multicast, case.multicast, "{}", case.name);
        }
        Family::V6 => {
            // The kernel wrote the checksum.
            assert_eq!(rx.bytes.len(), sent.len(), "{}", case.name);
            assert_eq!(rx.bytes[..6], sent[..6], "{}", case.name);
            assert_eq!(rx.bytes[8..], sent[8..], "{}", case.name);
            assert_ne!(rx.bytes[6..8], [0, 0], "{}: checksum", case.name);
            assert_eq!(rx.hop_limit, Some(case.ttl), "{}", case.name);
            assert_eq!(rx.multicast, case.multicast, "{}", case.name);
        }
    }
    out.clear();
    b.router.handle_advert(at(1000), sock, &rx, &mut out);
    let inst = &b.router.instances()[0];
    assert_eq!(inst.stats().advert_rcvd, 1, "{}: {out:?}", case.name);
    assert_no_errors(&b.router);
    assert_eq!(inst.master_addr(), Some(ip(case.a)), "{}", case.name);
    assert!(
        sb.recv(sock, &mut buf).expect("recv").is_none(),
        "{}: one packet only",
        case.name
    );
    // Multicast is not looped back to the sender's own receive socket.
    assert!(
        sa.recv(sock, &mut buf).expect("recv").is_none(),
        "{}: looped back",
        case.name
    );
}

const VIP4: &str = "virtual_ipaddress {
                10.9.0.100/24
            }";

#[test]
fn adverts_cross_a_veth_and_are_accepted() {
    if !system_ready(&["ip"]) {
        return;
    }
    let v2 = format!("advert_int 1\n{VIP4}");
    let v3 = format!("version 3\nadvert_int 1\n{VIP4}");
    let uni = |src: &str, peer: &str| {
        format!(
            "version 3
            unicast_src_ip {src}
            unicast_ttl 9
            unicast_peer {{
                {peer}
            }}
            {VIP4}"
        )
    };
    let ah = format!(
        "advert_int 1
        authentication {{
            auth_type AH
            auth_pass secret
        }}
        {VIP4}"
    );
    let vip6 = "virtual_ipaddress {
                fe80::100/64
            }";
    let v6 = format!("advert_int 1\n{vip6}");
    let uni6 = |src: &str, peer: &str| {
        format!(
            "unicast_src_ip {src}
            unicast_ttl 7
            unicast_peer {{
                {peer}
            }}
            {vip6}"
        )
    };
    let (ua, ub) = (uni("10.9.0.1", "10.9.0.2"), uni("10.9.0.2", "10.9.0.1"));
    let (u6a, u6b) = (uni6("fe80::1", "fe80::2"), uni6("fe80::2", "fe80::1"));
    let cases = [
        ("IPv4 multicast v2", Family::V4, &*v2, &*v2, 255, true),
        ("IPv4 multicast v3", Family::V4, &*v3, &*v3, 255, true),
        ("IPv4 unicast v3", Family::V4, &*ua, &*ub, 9, false),
        ("IPv4 AH", Family::V4, &*ah, &*ah, 255, true),
        ("IPv6 multicast", Family::V6, &*v6, &*v6, 255, true),
        ("IPv6 unicast", Family::V6, &*u6a, &*u6b, 7, false),
    ];
    for (name, family, conf_a, conf_b, ttl, multicast) in cases {
        let (a, b) = match family {
            Family::V4 => ("10.9.0.1", "10.9.0.2"),
            Family::V6 => ("fe80::1", "fe80::2"),
        };
        cross(&Case {
            name,
            family,
            a,
            b,
            conf_a,
            conf_b,
            ttl,
            multicast,
        });
    }
}

/// keepalived as MASTER in A; our sockets and a BACKUP router in B hear it.
fn backup_of_keepalived(name: &str, family: Family, body: &str) {
    let net = NetnsPair::new("ka");
    let (a, b) = match family {
        Family::V4 => ("10.9.1.1/24", "10.9.1.2"),
        Family::V6 => ("fe80::1/64", "fe80::2"),
    };
    net.must(&["ip", "-n", &net.a, "addr", "add", a, "dev", "eth0"]);
    let b_cidr = format!("{b}/{}", if family == Family::V4 { 24 } else { 64 });
    net.must(&["ip", "-n", &net.b, "addr", "add", &b_cidr, "dev", "eth0"]);
    let ka = Vrrpd::start(
        Kind::Keepalived,
        &net.a,
        &instance(200, &format!("state MASTER\n{body}")),
    );

    let mut me = Side::new(&instance(100, body));
    let mut socks = in_netns(&net.b, || me.open());
    let clock = StdInstant::now();
    let now = || Instant::from_micros(clock.elapsed().as_micros() as u64);
    let mut out = Actions::with_capacity(me.router.action_capacity());
    me.router
        .interface_address(now(), "eth0", family, Some(ip(b)), &mut out);
    me.router.start(now(), &mut out);
    let sock = SockId(0);
    let fd = fd_of(&socks, sock);
    let mut buf = vec![0u8; RECV_BUF_LEN];
    let until = StdInstant::now() + StdDuration::from_secs(15);
    while me.router.instances()[0].stats().advert_rcvd < 3 && StdInstant::now() < until {
        out.clear();
        if readable(fd, 100) {
            while let Some(rx) = socks.recv(sock, &mut buf).expect("recv") {
                me.router.handle_advert(now(), sock, &rx, &mut out);
            }
        }
        if me.router.poll_at().is_some_and(|t| t <= now()) {
            me.router.handle_timeout(now(), &mut out);
        }
    }
    let inst = &me.router.instances()[0];
    assert!(
        inst.stats().advert_rcvd >= 3,
        "{name}: {:?}\nkeepalived:\n{}",
        inst.stats(),
        ka.log()
    );
    assert_no_errors(&me.router);
    assert_eq!(inst.state(), State::Backup, "{name}");
    assert_eq!(inst.master_priority(), 200, "{name}");
    let master = inst.master_addr().expect("the master is known");
    assert_eq!(Family::of(&master), family, "{name}");
    if family == Family::V4 {
        assert_eq!(master, ip("10.9.1.1"), "{name}");
    }
}

#[test]
fn debian_keepalived_is_heard_as_master_v2() {
    if !system_ready(&["ip", "keepalived"]) {
        return;
    }
    let body = "advert_int 1
        virtual_ipaddress {
            10.9.1.100/24
        }";
    backup_of_keepalived("IPv4 v2", Family::V4, body);
}

#[test]
fn debian_keepalived_is_heard_as_master_v3() {
    if !system_ready(&["ip", "keepalived"]) {
        return;
    }
    let body = "version 3
        advert_int 0.5
        virtual_ipaddress {
            10.9.1.100/24
        }";
    backup_of_keepalived("IPv4 v3", Family::V4, body);
}

#[test]
fn debian_keepalived_is_heard_as_master_ipv6() {
    if !system_ready(&["ip", "keepalived"]) {
        return;
    }
    let body = "advert_int 0.5
        virtual_ipaddress {
            fe80::100/64
        }";
    backup_of_keepalived("IPv6 v3", Family::V6, body);
}

#[test]
fn sending_and_receiving_allocate_nothing() {
    if !system_ready(&["ip"]) {
        return;
    }
    let net = NetnsPair::new("alloc");
    for (ns, v4, v6) in [
        (&net.a, "10.9.4.1/24", "fe80::1/64"),
        (&net.b, "10.9.4.2/24", "fe80::2/64"),
    ] {
        net.must(&["ip", "-n", ns, "addr", "add", v4, "dev", "eth0"]);
        net.must(&["ip", "-n", ns, "addr", "add", v6, "dev", "eth0", "nodad"]);
    }
    let text = |prio: u8| {
        format!(
            "vrrp_instance V4 {{
                interface eth0
                virtual_router_id 1
                priority {prio}
                authentication {{
                    auth_type AH
                    auth_pass secret
                }}
                virtual_ipaddress {{
                    10.9.4.100/24
                }}
            }}
            vrrp_instance V6 {{
                interface eth0
                virtual_router_id 2
                priority {prio}
                virtual_ipaddress {{
                    fe80::100/64
                }}
            }}"
        )
    };
    let mut a = Side::new(&text(200));
    let mut b = Side::new(&text(100));
    let sa = in_netns(&net.a, || a.open());
    let mut sb = in_netns(&net.b, || b.open());
    let (announcer, link) = in_netns(&net.a, || {
        let g = Announcer::open().expect("AF_PACKET socket");
        (g, ifinfo::link("eth0").expect("eth0"))
    });
    let srcs = [(Family::V4, ip("10.9.4.1")), (Family::V6, ip("fe80::1"))];
    let mut out = Actions::with_capacity(a.router.action_capacity());
    for (f, src) in srcs {
        a.router
            .interface_address(at(0), "eth0", f, Some(src), &mut out);
    }
    let mut bout = Actions::with_capacity(b.router.action_capacity());
    b.router
        .interface_address(at(0), "eth0", Family::V4, Some(ip("10.9.4.2")), &mut bout);
    b.router
        .interface_address(at(0), "eth0", Family::V6, Some(ip("fe80::2")), &mut bout);
    b.router.start(at(0), &mut bout);
    let gap = Intervals {
        garp: Duration::from_micros(15),
        gna: Duration::from_micros(15),
    };
    let mut pacer = Pacer::new(&[gap], 64);
    let mut garps = 0;
    let mut packet = [0u8; MAX_ADVERT_LEN];
    let mut buf = vec![0u8; RECV_BUF_LEN];
    let fds: Vec<(SockId, RawFd)> = sb.fds().collect();
    let mut received = 0;

    heap::start_counting();
    for n in 0..20u16 {
        for (k, (_, src)) in srcs.iter().enumerate() {
            let advert = SendAdvert {
                instance: keepalived_rs::vrrp::action::InstanceId(k as u16),
                priority: 200,
                ip_id: n + 1,
                ah_seq: u32::from(n) + 1,
                src: Some(*src),
            };
            let e = a
                .router
                .emit_advert(&advert, 0, &mut packet)
                .expect("emits");
            sa.send(advert.instance, &e, &packet[..e.len])
                .expect("send");
        }
        for &(sock, fd) in &fds {
            if !readable(fd, 1000) {
                continue;
            }
            while let Some(rx) = sb.recv(sock, &mut buf).expect("recv") {
                bout.clear();
                b.router
                    .handle_advert(at(u64::from(n) * 1000 + 1), sock, &rx, &mut bout);
                received += 1;
            }
        }
        let now = at(u64::from(n) * 10);
        for addr in [ip("10.9.4.100"), ip("fe80::100")] {
            let m = Announce {
                instance: keepalived_rs::vrrp::action::InstanceId(0),
                lane: LaneId(0),
                ifindex: link.index,
                addr,
            };
            if let Some(m) = pacer.offer(now, m) {
                assert!(announcer.send(&link, m.addr, false).expect("GARP"));
                garps += 1;
            }
            while let Some(m) = pacer.due(now) {
                assert!(announcer.send(&link, m.addr, false).expect("GARP"));
                garps += 1;
            }
        }
    }
    let counted = heap::stop_counting();

    assert_eq!(counted, 0, "allocations on the hot paths");
    assert!(received >= 38, "only {received} adverts arrived");
    assert!(
        garps >= 20 && pacer.queued() > 0,
        "{garps} GARPs, the pacer queued none"
    );
    let rcvd: u64 = b
        .router
        .instances()
        .iter()
        .map(|i| i.stats().advert_rcvd)
        .sum();
    assert_eq!(rcvd, received);
}
