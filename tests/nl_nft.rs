//! keepalived's nf_tables rules (vrrp_strict / no_accept) against the real kernel, in a test
//! namespace, read back with `nft list ruleset`: the tables, chains, sets and rules, VIPs
//! going in and out of the sets, a table left by an earlier run replaced, everything gone
//! after close; and the rules doing their job (a packet to a VIP is dropped).

mod common;

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use common::{system_ready, Netns};
use keepalived_rs::net::nl::{Command, Firewall, Vip};

fn nft(ns: &Netns, args: &[&str]) -> String {
    let mut all = vec!["nft"];
    all.extend_from_slice(args);
    let out = ns.run(&all);
    assert!(
        out.status.success(),
        "{all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn vip<'a>(addr: &str, ifindex: u32, ifname: &'a str, by_name: bool) -> Vip<'a> {
    Vip {
        addr: addr.parse().expect("address"),
        ifindex,
        ifname,
        by_name,
    }
}

/// Whether a UDP datagram sent to `to` (an address of this namespace) arrives.
fn delivered(to: IpAddr) -> bool {
    let rx = UdpSocket::bind(SocketAddr::new(to, 0)).expect("bind receiver");
    rx.set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let tx = UdpSocket::bind(SocketAddr::new(to, 0)).expect("bind sender");
    // Sending from a VIP is dropped on output; that is an error or silence.
    let _ = tx.send_to(b"x", rx.local_addr().expect("addr"));
    let mut b = [0u8; 4];
    rx.recv(&mut b).is_ok()
}

#[test]
fn strict_mode_tables_are_installed_updated_and_removed() {
    if !system_ready(&["ip", "nft"]) {
        return;
    }
    let ns = Netns::new("nlnft");
    // A table of an earlier run, with something keepalived would not have made.
    nft(&ns, &["add", "table", "ip", "keepalived"]);
    nft(&ns, &["add", "chain", "ip", "keepalived", "stale"]);
    ns.ip(&["addr", "add", "10.9.0.1/32", "dev", "lo"]);
    ns.ip(&["addr", "add", "10.9.0.2/32", "dev", "lo"]);
    let _in = ns.enter();
    let eth0 = Command::open()
        .expect("command socket")
        .link_by_name("eth0")
        .expect("lookup")
        .expect("eth0")
        .ifindex;
    let one: IpAddr = "10.9.0.1".parse().unwrap();
    let two: IpAddr = "10.9.0.2".parse().unwrap();
    assert!(delivered(one) && delivered(two));

    let mut fw = Firewall::open("keepalived", -1).expect("nf_tables");
    // Nothing is installed before the first VIP; the stale table is still there.
    assert!(nft(&ns, &["list", "ruleset"]).contains("chain stale"));

    let vips = [
        vip("10.9.0.1", 1, "lo", false),
        vip("10.0.0.5", eth0, "eth0", false),
        vip("2001:db8::1", eth0, "eth0", false),
        vip("fe80::1", eth0, "eth0", false),
        vip("fe80::2", eth0, "eth0", true),
    ];
    fw.add_vips(vips.iter().copied()).expect("add VIPs");
    let rs = nft(&ns, &["list", "ruleset"]);
    for want in [
        "table ip keepalived {",
        "table ip6 keepalived {",
        "type ipv4_addr",
        "type ipv6_addr",
        "type ipv6_addr . ifname",
        "type ipv6_addr . iface_index",
        "set vips_link_local {",
        "set vips_link_local_name {",
        "set neighbor-discovery {",
        "type filter hook input priority filter - 1; policy accept;",
        "type filter hook output priority filter - 1; policy accept;",
        "ip daddr @vips drop",
        "ip saddr @vips drop",
        "ip6 daddr @vips drop",
        "ip6 saddr @vips drop",
        "goto in_link_local",
        "goto out_link_local",
        "ip6 daddr . iif @vips_link_local drop",
        "ip6 saddr . oif @vips_link_local drop",
        "ip6 daddr . iifname @vips_link_local_name drop",
        "ip6 saddr . oifname @vips_link_local_name drop",
        "10.0.0.5",
        "10.9.0.1",
        "2001:db8::1",
        "fe80::1 . ",
        "fe80::2 . \"eth0\"",
    ] {
        assert!(rs.contains(want), "missing {want:?} in\n{rs}");
    }
    assert!(!rs.contains("chain stale"), "{rs}");
    assert!(!delivered(one), "a VIP's traffic passes");
    assert!(delivered(two));

    // More VIPs later go into the same sets; VIPs come out again.
    fw.add_vips([vip("10.9.0.2", 1, "lo", false)].into_iter())
        .expect("add one");
    assert!(!delivered(two));
    fw.remove_vips(vips[..2].iter().copied()).expect("remove");
    let rs = nft(&ns, &["list", "set", "ip", "keepalived", "vips"]);
    assert!(rs.contains("10.9.0.2") && !rs.contains("10.9.0.1"), "{rs}");
    assert!(delivered(one));
    assert!(!delivered(two));

    // Removing a VIP that is not in the set is the kernel's error, and changes nothing.
    let e = fw
        .remove_vips([vip("10.1.1.1", 1, "lo", false)].into_iter())
        .unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT), "{e}");
    assert!(!delivered(two));

    fw.close().expect("close");
    let rs = nft(&ns, &["list", "ruleset"]);
    assert!(rs.trim().is_empty(), "{rs}");
    assert!(delivered(one) && delivered(two));
    // Closing twice does nothing.
    fw.close().expect("close again");
}

#[test]
fn ipv6_only_and_a_custom_table_and_priority() {
    if !system_ready(&["ip", "nft"]) {
        return;
    }
    let ns = Netns::new("nlnft6");
    let _in = ns.enter();
    let mut fw = Firewall::open("ka_test", -5).expect("nf_tables");
    fw.add_vips([vip("2001:db8::7", 1, "lo", false)].into_iter())
        .expect("add");
    let rs = nft(&ns, &["list", "ruleset"]);
    assert!(rs.contains("table ip6 ka_test {"), "{rs}");
    assert!(!rs.contains("table ip ka_test"), "{rs}");
    assert!(rs.contains("priority filter - 5;"), "{rs}");
    assert!(rs.contains("2001:db8::7"), "{rs}");
    assert!(!rs.contains("vips_link_local"), "{rs}");
    fw.close().expect("close");
    assert!(nft(&ns, &["list", "ruleset"]).trim().is_empty());
}
