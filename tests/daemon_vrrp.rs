//! The daemon on a real network: two network namespaces joined by a veth pair, a VRRP
//! daemon in each (ours or Debian's keepalived 2.2.7), and the virtual address watched with
//! `ip addr` through election, SIGKILL failover, preemption back and SIGTERM handover, in
//! both directions, for v2 and v3, IPv4 and IPv6, multicast and unicast, with PASS auth.

mod common;

use common::{has_addr, system_ready, wait_until, Kind, NetnsPair, Vrrpd};

#[derive(Clone, Copy, Debug)]
struct Variant {
    name: &'static str,
    version: u8,
    v6: bool,
    unicast: bool,
    pass: bool,
    /// IPsec AH instead of PASS.
    ah: bool,
}

const V2: Variant = Variant {
    name: "v2",
    version: 2,
    v6: false,
    unicast: false,
    pass: false,
    ah: false,
};

impl Variant {
    fn vip(&self) -> &'static str {
        if self.v6 {
            "fd00:77::100"
        } else {
            "10.77.0.100"
        }
    }

    /// Address `n` (1 or 2) of the segment.
    fn addr(&self, n: u8) -> String {
        if self.v6 {
            format!("fd00:77::{n}")
        } else {
            format!("10.77.0.{n}")
        }
    }

    fn config(&self, me: u8, priority: u8, extra: &str) -> String {
        let peer = 3 - me;
        let unicast = if self.unicast {
            format!(
                "unicast_src_ip {}\n unicast_peer {{\n {}\n }}",
                self.addr(me),
                self.addr(peer)
            )
        } else {
            String::new()
        };
        let auth = if self.ah {
            "authentication {\n auth_type AH\n auth_pass s3cret\n }"
        } else if self.pass {
            "authentication {\n auth_type PASS\n auth_pass s3cret\n }"
        } else {
            ""
        };
        let prefix = if self.v6 { 64 } else { 24 };
        format!(
            "global_defs {{\n router_id R{me}\n vrrp_version {}\n}}\n\
             vrrp_instance VI_1 {{\n state BACKUP\n interface eth0\n virtual_router_id 51\n\
             priority {priority}\n advert_int 1\n {unicast}\n {auth}\n {extra}\n\
             virtual_ipaddress {{\n {}/{prefix}\n }}\n}}\n",
            self.version,
            self.vip()
        )
    }
}

fn segment(tag: &str, v: &Variant) -> NetnsPair {
    let net = NetnsPair::new(tag);
    for (ns, n) in [(&net.a, 1), (&net.b, 2)] {
        let a = if v.v6 {
            format!("{}/64", v.addr(n))
        } else {
            format!("{}/24", v.addr(n))
        };
        net.must(&["ip", "-n", ns, "addr", "add", &a, "dev", "eth0"]);
    }
    net
}

/// The VIP is on `on` and not on `off`, within `secs`.
fn vip_moves(v: &Variant, on: &str, off: &str, secs: f64) -> bool {
    wait_until(secs, || has_addr(on, v.vip()) && !has_addr(off, v.vip()))
}

/// The whole life of a pair: A (priority 150) wins the election over B (100); killed, B
/// takes over; restarted, A preempts; stopped with SIGTERM, B takes over at once.
fn pair_life(tag: &str, a_kind: Kind, b_kind: Kind, v: Variant) {
    if !system_ready(&["ip", "keepalived"]) {
        return;
    }
    let net = segment(tag, &v);
    let mut b = Vrrpd::start(b_kind, &net.b, &v.config(2, 100, ""));
    let mut a = Vrrpd::start(a_kind, &net.a, &v.config(1, 150, ""));
    let what = format!("{} {a_kind:?} (150) x {b_kind:?} (100)", v.name);

    assert!(
        vip_moves(&v, &net.a, &net.b, 8.0),
        "{what}: A is not elected"
    );

    a.stop(libc::SIGKILL);
    // Master_Down_Interval: 3 adverts + skew, ~3.6 s. A killed leaves its VIP behind.
    assert!(
        wait_until(6.0, || has_addr(&net.b, v.vip())),
        "{what}: no failover after SIGKILL"
    );

    a.restart();
    assert!(
        vip_moves(&v, &net.a, &net.b, 8.0),
        "{what}: A does not preempt back"
    );

    let start = std::time::Instant::now();
    let took = a.stop(libc::SIGTERM);
    assert!(
        vip_moves(&v, &net.b, &net.a, 3.0),
        "{what}: no takeover after SIGTERM (priority 0)"
    );
    // Skew_Time after a priority-0 advert: (256-100)/256 s.
    let handover = start.elapsed().as_secs_f64();
    assert!(
        handover < 2.5,
        "{what}: handover after SIGTERM took {handover:.2} s"
    );
    if a_kind == Kind::Ours {
        assert!(
            took < std::time::Duration::from_secs(1),
            "ours took {took:?} to exit on SIGTERM"
        );
    }
    assert!(b.running(), "{what}: B died");
    if b_kind == Kind::Ours {
        // B lived through an election, a failover, a preemption and a handover.
        assert_eq!(b.loop_allocations(), 0, "{what}: B's event loop allocated");
    }
}

#[test]
fn ours_with_ours_v2() {
    pair_life("oov2", Kind::Ours, Kind::Ours, V2);
}

#[test]
fn ours_with_ours_v3() {
    let v = Variant {
        name: "v3",
        version: 3,
        ..V2
    };
    pair_life("oov3", Kind::Ours, Kind::Ours, v);
}

#[test]
fn ours_with_ours_ipv6() {
    let v = Variant {
        name: "v3 IPv6",
        version: 3,
        v6: true,
        ..V2
    };
    pair_life("oo6", Kind::Ours, Kind::Ours, v);
}

#[test]
fn ours_with_ours_unicast_pass() {
    let v = Variant {
        name: "v2 unicast PASS",
        unicast: true,
        pass: true,
        ..V2
    };
    pair_life("ooup", Kind::Ours, Kind::Ours, v);
}

#[test]
fn ours_over_keepalived_v2() {
    pair_life("okv2", Kind::Ours, Kind::Keepalived, V2);
}

#[test]
fn keepalived_over_ours_v2() {
    pair_life("kov2", Kind::Keepalived, Kind::Ours, V2);
}

#[test]
fn ours_over_keepalived_v3() {
    let v = Variant {
        name: "v3",
        version: 3,
        ..V2
    };
    pair_life("okv3", Kind::Ours, Kind::Keepalived, v);
}

#[test]
fn keepalived_over_ours_v3() {
    let v = Variant {
        name: "v3",
        version: 3,
        ..V2
    };
    pair_life("kov3", Kind::Keepalived, Kind::Ours, v);
}

#[test]
fn ours_over_keepalived_ipv6() {
    let v = Variant {
        name: "v3 IPv6",
        version: 3,
        v6: true,
        ..V2
    };
    pair_life("ok6", Kind::Ours, Kind::Keepalived, v);
}

#[test]
fn keepalived_over_ours_ipv6() {
    let v = Variant {
        name: "v3 IPv6",
        version: 3,
        v6: true,
        ..V2
    };
    pair_life("ko6", Kind::Keepalived, Kind::Ours, v);
}

#[test]
fn ours_over_keepalived_unicast_pass() {
    let v = Variant {
        name: "v2 unicast PASS",
        unicast: true,
        pass: true,
        ..V2
    };
    pair_life("okup", Kind::Ours, Kind::Keepalived, v);
}

#[test]
fn keepalived_over_ours_unicast_pass() {
    let v = Variant {
        name: "v2 unicast PASS",
        unicast: true,
        pass: true,
        ..V2
    };
    pair_life("koup", Kind::Keepalived, Kind::Ours, v);
}

#[test]
fn ours_over_keepalived_ah() {
    let v = Variant {
        name: "v2 AH",
        ah: true,
        ..V2
    };
    pair_life("okah", Kind::Ours, Kind::Keepalived, v);
}

#[test]
fn keepalived_over_ours_ah() {
    let v = Variant {
        name: "v2 AH",
        ah: true,
        ..V2
    };
    pair_life("koah", Kind::Keepalived, Kind::Ours, v);
}

/// A peer with the wrong password is not heard: both become MASTER.
#[test]
fn a_wrong_password_is_ignored() {
    if !system_ready(&["ip", "keepalived"]) {
        return;
    }
    let v = Variant { pass: true, ..V2 };
    let net = segment("pass", &v);
    let theirs = v.config(2, 100, "").replace("s3cret", "other");
    let _k = Vrrpd::start(Kind::Keepalived, &net.b, &theirs);
    let _o = Vrrpd::start(Kind::Ours, &net.a, &v.config(1, 150, ""));
    assert!(
        wait_until(8.0, || has_addr(&net.a, v.vip())
            && has_addr(&net.b, v.vip())),
        "both should be MASTER"
    );
}
