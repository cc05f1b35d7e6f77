//! VMACs against the real kernel, in a test namespace: the macvlan keepalived makes
//! (private mode, virtual MAC, up, no generated IPv6 addresses), the sysctls it sets on
//! the VMAC and its parent and how they are put back, reuse and update of a VMAC left by
//! an earlier run, a name taken by another kind of interface, deletion.

mod common;

use common::{system_ready, Netns};
use keepalived_rs::net::nl::sysctl;
use keepalived_rs::net::nl::vmac::{link_local_from_mac, vmac_mac, vmac_name};
use keepalived_rs::net::nl::{
    create_vmac, delete_vmac, Command, Error, LinkKind, VmacOrigin, VmacSpec, VmacSysctls,
};

fn ipv4_conf(iface: &str, param: &str) -> u32 {
    sysctl::read("ipv4", iface, param).unwrap_or_else(|e| panic!("{iface} {param}: {e}"))
}

#[test]
fn vmacs_are_made_configured_and_removed() {
    if !system_ready(&["ip"]) {
        return;
    }
    let ns = Netns::new("nlvmac");
    let _in = ns.enter();
    // What the parent and the namespace had before: keepalived puts these back.
    sysctl::write("ipv4", "all", "rp_filter", 1).expect("all.rp_filter");
    sysctl::write("ipv4", "default", "rp_filter", 0).expect("default.rp_filter");
    sysctl::write("ipv4", "lo", "rp_filter", 0).expect("lo.rp_filter");
    sysctl::write("ipv4", "eth0", "rp_filter", 0).expect("eth0.rp_filter");
    sysctl::write("ipv4", "eth0", "arp_ignore", 0).expect("arp_ignore");
    sysctl::write("ipv4", "eth0", "arp_filter", 0).expect("arp_filter");

    let mut cmd = Command::open().expect("command socket");
    let eth0 = cmd.link_by_name("eth0").expect("lookup").expect("eth0");
    let mut sysctls = VmacSysctls::new(4);

    let name = vmac_name("vrrp", 51).expect("name");
    let spec = VmacSpec {
        name: name.as_str(),
        mac: vmac_mac(51, false),
        parent: eth0.ifindex,
        parent_name: "eth0",
        ipv4: true,
        ipv6: false,
        link_local: None,
    };
    let (v4, origin) =
        create_vmac(&mut cmd, &mut sysctls, &spec, ["lo", "eth0"]).expect("create VMAC");
    assert_eq!(origin, VmacOrigin::Created);
    let link = ns.ip(&["-d", "link", "show", "vrrp.51"]);
    assert!(link.contains("macvlan mode private"), "{link}");
    assert!(link.contains("link/ether 00:00:5e:00:01:33"), "{link}");
    assert!(link.contains(",UP"), "{link}");
    assert!(link.contains("addrgenmode none"), "{link}");
    assert!(link.contains("vrrp.51@eth0"), "{link}");
    let info = cmd.link_by_name("vrrp.51").expect("lookup").expect("vmac");
    assert_eq!(info.ifindex, v4);
    assert_eq!(info.kind, LinkKind::Macvlan(Some(1)));
    assert_eq!(info.parent, Some(eth0.ifindex));
    assert!(info.up());
    // IPv6 is off on an IPv4-only VMAC: no link-local address.
    assert_eq!(
        sysctl::read("ipv6", "vrrp.51", "disable_ipv6").ok(),
        Some(1)
    );
    let addrs = ns.ip(&["addr", "show", "dev", "vrrp.51"]);
    assert!(!addrs.contains("inet6"), "{addrs}");

    // The sysctls of keepalived's set_interface_parameters and clear_rp_filter.
    for (param, want) in [
        ("arp_ignore", 1),
        ("accept_local", 1),
        ("rp_filter", 0),
        ("promote_secondaries", 1),
    ] {
        assert_eq!(ipv4_conf("vrrp.51", param), want, "vrrp.51 {param}");
    }
    assert_eq!(ipv4_conf("eth0", "arp_ignore"), 1);
    assert_eq!(ipv4_conf("eth0", "arp_filter"), 1);
    assert_eq!(ipv4_conf("all", "rp_filter"), 0);
    assert_eq!(ipv4_conf("default", "rp_filter"), 1);
    assert_eq!(ipv4_conf("eth0", "rp_filter"), 1);
    assert_eq!(ipv4_conf("lo", "rp_filter"), 1);

    // A second run finds it as it left it; with another MAC it is updated in place.
    let mut rerun = VmacSysctls::new(4);
    let (again, origin) =
        create_vmac(&mut cmd, &mut rerun, &spec, ["lo", "eth0"]).expect("reuse VMAC");
    assert_eq!((again, origin), (v4, VmacOrigin::Reused));
    let other = VmacSpec {
        mac: vmac_mac(52, false),
        ..spec
    };
    let (again, origin) = create_vmac(&mut cmd, &mut VmacSysctls::new(4), &other, ["lo", "eth0"])
        .expect("update VMAC");
    assert_eq!((again, origin), (v4, VmacOrigin::Updated));
    let link = ns.ip(&["link", "show", "vrrp.51"]);
    assert!(link.contains("link/ether 00:00:5e:00:01:34"), "{link}");
    // The rerun found nothing to put back: its parent already had keepalived's values.
    rerun.restore().expect("restore rerun");
    assert_eq!(ipv4_conf("eth0", "arp_ignore"), 1);

    // An IPv6 VMAC gets its link-local address and nothing generated.
    let ll = link_local_from_mac(eth0.hw_addr.as_bytes().try_into().expect("ethernet"));
    let name6 = vmac_name("vrrp6", 51).expect("name");
    let spec6 = VmacSpec {
        name: name6.as_str(),
        mac: vmac_mac(51, true),
        parent: eth0.ifindex,
        parent_name: "eth0",
        ipv4: false,
        ipv6: true,
        link_local: Some(ll),
    };
    let (v6, origin) =
        create_vmac(&mut cmd, &mut sysctls, &spec6, ["lo", "eth0"]).expect("create VMAC6");
    assert_eq!(origin, VmacOrigin::Created);
    let link = ns.ip(&["-d", "link", "show", "vrrp6.51"]);
    assert!(link.contains("macvlan mode private"), "{link}");
    assert!(link.contains("link/ether 00:00:5e:00:02:33"), "{link}");
    let addrs = ns.ip(&["-6", "addr", "show", "dev", "vrrp6.51"]);
    assert!(
        addrs.contains(&format!("inet6 {ll}/64 scope link")),
        "{addrs}"
    );
    assert_eq!(addrs.matches("inet6").count(), 1, "{addrs}");

    // A name taken by an interface that is not a macvlan.
    ns.ip(&[
        "link", "add", "vrrp.9", "type", "veth", "peer", "name", "x9",
    ]);
    let taken = VmacSpec {
        name: "vrrp.9",
        mac: vmac_mac(9, false),
        ..spec
    };
    let e = create_vmac(&mut cmd, &mut sysctls, &taken, ["lo", "eth0"]).unwrap_err();
    assert!(
        matches!(e, Error::VmacConflict(n) if n.as_str() == "vrrp.9"),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "VMAC vrrp.9 conflicts with existing interface"
    );

    // A missing parent is the kernel's error.
    let orphan = VmacSpec {
        name: "vrrp.10",
        parent: 999_999,
        ..spec
    };
    assert!(create_vmac(&mut cmd, &mut sysctls, &orphan, ["lo"]).is_err());

    // Deleting: the parent keeps keepalived's ARP settings until its last IPv4 VMAC goes.
    delete_vmac(&mut cmd, &mut sysctls, v6, "eth0", false).expect("delete VMAC6");
    assert_eq!(ipv4_conf("eth0", "arp_ignore"), 1);
    delete_vmac(&mut cmd, &mut sysctls, v4, "eth0", true).expect("delete VMAC");
    assert!(cmd.link_by_name("vrrp.51").expect("lookup").is_none());
    assert!(cmd.link_by_name("vrrp6.51").expect("lookup").is_none());
    assert_eq!(ipv4_conf("eth0", "arp_ignore"), 0);
    assert_eq!(ipv4_conf("eth0", "arp_filter"), 0);
    // Deleting one that is gone is an error, not a panic.
    assert!(delete_vmac(&mut cmd, &mut sysctls, v4, "eth0", true).is_err());

    // At exit the rp_filter settings go back.
    sysctls.restore().expect("restore");
    assert_eq!(ipv4_conf("all", "rp_filter"), 1);
    assert_eq!(ipv4_conf("default", "rp_filter"), 0);
    assert_eq!(ipv4_conf("eth0", "rp_filter"), 0);
    assert_eq!(ipv4_conf("lo", "rp_filter"), 0);
}
