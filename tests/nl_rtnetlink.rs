//! The rtnetlink command socket against the real kernel, in network namespaces made here:
//! addresses, routes and rules read from keepalived.conf lines are added and deleted, and
//! `ip` shows what keepalived would have made; dumps see the links and addresses `ip`
//! sees; errors come back as errors.

mod common;

use std::net::IpAddr;

use common::{system_ready, Netns};
use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::{self, Config, LoadOptions};
use keepalived_rs::net::nl::{AddrInfo, AddrSpec, Command, Error, Interfaces, LinkInfo, LinkKind};

/// The links of the namespace, for resolving route interfaces.
struct Links(Vec<LinkInfo>);

impl Links {
    fn dump(cmd: &mut Command) -> Links {
        let mut v = Vec::new();
        cmd.dump_links(|l| v.push(*l)).expect("dump links");
        Links(v)
    }

    fn get(&self, name: &str) -> &LinkInfo {
        self.0
            .iter()
            .find(|l| l.name.as_str() == name)
            .unwrap_or_else(|| panic!("no link {name}"))
    }
}

impl Interfaces for Links {
    fn ifindex(&self, name: &str) -> Option<u32> {
        self.0
            .iter()
            .find(|l| l.name.as_str() == name)
            .map(|l| l.ifindex)
    }
    fn vrf_table(&self, name: &str) -> Option<u32> {
        match self.0.iter().find(|l| l.name.as_str() == name)?.kind {
            LinkKind::Vrf(t) => t,
            _ => None,
        }
    }
}

/// A namespace with a veth pair a0/a1 inside it, both up (so a0 has carrier), and
/// addresses on a0.
fn namespace(tag: &str) -> Netns {
    let ns = Netns::new(tag);
    ns.ip(&["link", "add", "a0", "type", "veth", "peer", "name", "a1"]);
    ns.ip(&["link", "set", "a0", "up"]);
    ns.ip(&["link", "set", "a1", "up"]);
    ns.ip(&["addr", "add", "10.0.0.1/24", "dev", "a0"]);
    ns.ip(&["addr", "add", "2001:db8::1/64", "dev", "a0", "nodad"]);
    ns
}

/// The configuration of `text`, read as keepalived reads it, on a host with `ifaces`.
fn load(text: &str, ifaces: &[&str]) -> Config {
    let dir = std::env::temp_dir().join(format!(
        "ka-nl-{}-{}",
        std::process::id(),
        ifaces.len() + text.len()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, text).expect("write config");
    let mut host = FakeHost::new();
    host.interfaces.extend(ifaces.iter().map(|s| s.to_string()));
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: None,
        all_config: false,
    };
    let loaded = config::load(&opts, &host);
    let _ = std::fs::remove_dir_all(&dir);
    loaded.config.expect("configuration loads")
}

fn kernel_errno(r: Result<(), Error>) -> i32 {
    match r {
        Err(Error::Kernel { errno, .. }) => errno,
        other => panic!("expected a kernel error, got {other:?}"),
    }
}

fn addrs_of(cmd: &mut Command, ifindex: u32) -> Vec<AddrInfo> {
    let mut v = Vec::new();
    cmd.dump_addresses(libc::AF_UNSPEC as u8, |a| {
        if a.ifindex == ifindex {
            v.push(*a)
        }
    })
    .expect("dump addresses");
    v
}

#[test]
fn addresses_as_keepalived_sets_them() {
    if !system_ready(&["ip"]) {
        return;
    }
    let ns = namespace("nladdr");
    let _in = ns.enter();
    let mut cmd = Command::open().expect("command socket");
    let a0 = Links::dump(&mut cmd).get("a0").ifindex;
    let cfg = load(
        "static_ipaddress {\n\
         169.254.5.5/16 dev a0 brd + scope link label a0:vip\n\
         10.0.0.6 dev a0 peer 10.9.9.9\n\
         2001:db8::5/64 dev a0\n\
         2001:db8::6 dev a0\n\
         2001:db8::7/64 dev a0 -nodad noprefixroute\n\
         }\n",
        &["a0"],
    );
    let specs: Vec<AddrSpec<'_>> = cfg
        .vrrp
        .static_addresses
        .iter()
        .map(AddrSpec::from)
        .collect();
    assert_eq!(specs.len(), 5);
    for s in &specs {
        cmd.add_address(a0, s)
            .unwrap_or_else(|e| panic!("add {s:?}: {e}"));
    }
    let v4 = ns.ip(&["-d", "-4", "addr", "show", "dev", "a0"]);
    assert!(
        v4.contains("inet 169.254.5.5/16 brd 169.254.255.255 scope link a0:vip"),
        "{v4}"
    );
    assert!(
        v4.contains("inet 10.0.0.6 peer 10.9.9.9/32 scope global a0"),
        "{v4}"
    );
    let v6 = ns.ip(&["-d", "-6", "addr", "show", "dev", "a0"]);
    // keepalived turns DAD off for IPv6 VIPs, and a /128 gets preferred_lft 0.
    assert!(
        v6.contains("inet6 2001:db8::5/64 scope global nodad"),
        "{v6}"
    );
    assert!(
        v6.contains("inet6 2001:db8::6/128 scope global nodad deprecated"),
        "{v6}"
    );
    assert!(v6.contains("preferred_lft 0sec"), "{v6}");
    let seven = v6
        .lines()
        .find(|l| l.contains("2001:db8::7/64"))
        .expect("2001:db8::7 present");
    assert!(
        !seven.contains("nodad") && seven.contains("noprefixroute"),
        "{seven}"
    );

    // The dump reads them back.
    let dumped = addrs_of(&mut cmd, a0);
    // (This kernel refuses a scope other than global for most IPv4 addresses, not for
    // link-local ones.)
    let five = dumped
        .iter()
        .find(|a| a.addr == "169.254.5.5".parse::<IpAddr>().unwrap())
        .expect("169.254.5.5 dumped");
    assert_eq!((five.prefix, five.scope), (16, 253));
    assert_eq!(five.label.map(|l| l.to_string()).as_deref(), Some("a0:vip"));
    let six = dumped
        .iter()
        .find(|a| a.addr == "10.0.0.6".parse::<IpAddr>().unwrap())
        .expect("10.0.0.6 dumped");
    assert_eq!(six.peer, Some("10.9.9.9".parse().unwrap()));

    // Adding an address that exists is not an error (keepalived's rule).
    cmd.add_address(a0, &specs[0]).expect("add again");

    for s in &specs {
        cmd.del_address(a0, s).expect("delete address");
    }
    let after = ns.ip(&["addr", "show", "dev", "a0"]);
    for gone in [
        "169.254.5.5",
        "10.0.0.6",
        "2001:db8::5",
        "2001:db8::6",
        "2001:db8::7",
    ] {
        assert!(!after.contains(&format!("{gone}/")), "{gone} left: {after}");
    }
    // Deleting what is not there (EADDRNOTAVAIL) is forgiven.
    cmd.del_address(a0, &specs[0]).expect("IPv4 delete again");
    cmd.del_address(a0, &specs[2]).expect("IPv6 delete again");

    // A missing device is an error with keepalived's text.
    let e = cmd.add_address(9999, &specs[0]).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENODEV));
    let text = e.to_string();
    assert!(
        text.starts_with("Netlink: error: No such device(19), type=RTM_NEWADDR(20), seq="),
        "{text}"
    );
}

#[test]
fn dumps_links_and_addresses() {
    if !system_ready(&["ip"]) {
        return;
    }
    let ns = namespace("nldump");
    ns.ip(&[
        "link", "add", "link", "a0", "name", "mv0", "type", "macvlan", "mode", "private",
    ]);
    ns.ip(&["link", "set", "a1", "arp", "off"]);
    let _in = ns.enter();
    let mut cmd = Command::open().expect("command socket");
    let links = Links::dump(&mut cmd);
    let lo = links.get("lo");
    assert_eq!((lo.ifindex, lo.arphrd), (1, 772));
    assert!(lo.usable());
    let a0 = links.get("a0");
    assert_eq!(a0.arphrd, 1);
    assert!(a0.usable() && !a0.noarp());
    let mac = ns.ip(&["link", "show", "a0"]);
    assert!(
        mac.contains(&format!("link/ether {:?} ", a0.hw_addr)),
        "{mac} vs {:?}",
        a0.hw_addr
    );
    assert!(links.get("a1").noarp());
    let mv = links.get("mv0");
    assert_eq!(mv.parent, Some(a0.ifindex));
    assert_eq!(mv.kind, LinkKind::Macvlan(Some(1)));
    assert!(!mv.up());
    // eth0's peer is in another namespace: no parent here.
    assert_eq!(links.get("eth0").parent, None);

    let by_name = cmd.link_by_name("a0").expect("lookup").expect("a0 found");
    assert_eq!(by_name.ifindex, a0.ifindex);
    assert_eq!(cmd.link_by_name("nosuch0").expect("lookup"), None);

    let addrs = addrs_of(&mut cmd, a0.ifindex);
    let v4: Vec<_> = addrs.iter().filter(|a| a.addr.is_ipv4()).collect();
    assert_eq!(v4.len(), 1);
    assert_eq!(
        (v4[0].addr, v4[0].prefix),
        ("10.0.0.1".parse().unwrap(), 24)
    );
    assert!(addrs
        .iter()
        .any(|a| a.addr == "2001:db8::1".parse::<IpAddr>().unwrap() && a.prefix == 64));
}

#[test]
fn routes_as_keepalived_sets_them() {
    if !system_ready(&["ip"]) {
        return;
    }
    let ns = namespace("nlroute");
    let _in = ns.enter();
    let mut cmd = Command::open().expect("command socket");
    let links = Links::dump(&mut cmd);
    let cfg = load(
        "static_routes {\n\
         10.9.0.0/16 via 10.0.0.254 dev a0 table 100 metric 50 src 10.0.0.1\n\
         10.10.0.0/16 table 200 nexthop via 10.0.0.253 dev a0 weight 2 nexthop via 10.0.0.252 dev a0 weight 3\n\
         blackhole 10.11.0.0/16 table 300\n\
         2001:db8:1::/64 via 2001:db8::fe dev a0 metric 1024 table 100\n\
         10.12.0.0/16 via 10.0.0.254 dev a0 table 100 mtu lock 1400 advmss 1300\n\
         10.14.0.0/16 dev a0 table 1000 scope link append\n\
         }\n",
        &["a0"],
    );
    let routes = &cfg.vrrp.static_routes;
    assert_eq!(routes.len(), 6);
    for r in routes {
        cmd.add_route(r, &links)
            .unwrap_or_else(|e| panic!("add {r}: {e}"));
    }
    let t100 = ns.ip(&["-d", "route", "show", "table", "100"]);
    assert!(
        t100.contains("unicast 10.9.0.0/16 via 10.0.0.254 dev a0 proto keepalived scope global src 10.0.0.1 metric 50"),
        "{t100}"
    );
    assert!(
        t100.contains("10.12.0.0/16 via 10.0.0.254 dev a0 proto keepalived scope global mtu lock 1400 advmss 1300"),
        "{t100}"
    );
    let t100v6 = ns.ip(&["-d", "-6", "route", "show", "table", "100"]);
    assert!(
        t100v6.contains(
            "2001:db8:1::/64 via 2001:db8::fe dev a0 proto keepalived scope global metric 1024"
        ),
        "{t100v6}"
    );
    let t200 = ns.ip(&["-d", "route", "show", "table", "200"]);
    assert!(
        t200.contains("10.10.0.0/16 proto keepalived scope global"),
        "{t200}"
    );
    assert!(
        t200.contains("nexthop via 10.0.0.253 dev a0 weight 2"),
        "{t200}"
    );
    assert!(
        t200.contains("nexthop via 10.0.0.252 dev a0 weight 3"),
        "{t200}"
    );
    let t300 = ns.ip(&["-d", "route", "show", "table", "300"]);
    assert!(
        t300.contains("blackhole 10.11.0.0/16 proto keepalived"),
        "{t300}"
    );
    let t1000 = ns.ip(&["-d", "route", "show", "table", "1000"]);
    assert!(
        t1000.contains("10.14.0.0/16 dev a0 proto keepalived scope link"),
        "{t1000}"
    );

    // keepalived prepends by default: adding the same route again is no error.
    cmd.add_route(&routes[0], &links).expect("add again");

    for r in routes {
        cmd.del_route(r, &links)
            .unwrap_or_else(|e| panic!("delete {r}: {e}"));
    }
    for table in ["100", "200", "300", "1000"] {
        let left = ns.ip(&["route", "show", "table", table]);
        assert!(left.is_empty(), "table {table}: {left}");
    }
    assert_eq!(kernel_errno(cmd.del_route(&routes[0], &links)), libc::ESRCH);

    // An interface that does not exist here is an error before anything is sent; one the
    // kernel refuses comes back as its error.
    let cfg = load(
        "static_routes {\n10.13.0.0/16 dev ghost0 table 100\n10.15.0.0/16 via 10.99.0.1 dev a0\n}\n",
        &["a0", "ghost0"],
    );
    match cmd.add_route(&cfg.vrrp.static_routes[0], &links) {
        Err(Error::NoInterface(n)) => assert_eq!(n.as_str(), "ghost0"),
        other => panic!("expected NoInterface, got {other:?}"),
    }
    assert_eq!(
        kernel_errno(cmd.add_route(&cfg.vrrp.static_routes[1], &links)),
        libc::ENETUNREACH
    );
}

#[test]
fn rules_as_keepalived_sets_them() {
    if !system_ready(&["ip"]) {
        return;
    }
    let ns = namespace("nlrule");
    let _in = ns.enter();
    let mut cmd = Command::open().expect("command socket");
    let cfg = load(
        "static_rules {\n\
         from 10.0.0.5 table 100 priority 100\n\
         to 10.20.0.0/16 table 200 priority 101\n\
         from all fwmark 0x10/0xff lookup 300 priority 102\n\
         iif a0 table 100 priority 104\n\
         from 10.0.0.0/24 priority 105 blackhole\n\
         not from 10.0.0.7 table 1000 priority 106\n\
         from 2001:db8::5 table 100 priority 103\n\
         }\n",
        &["a0"],
    );
    let rules = &cfg.vrrp.static_rules;
    assert_eq!(rules.len(), 7);
    for r in rules {
        cmd.add_rule(r).unwrap_or_else(|e| panic!("add {r}: {e}"));
    }
    let v4 = ns.ip(&["rule", "show"]);
    for want in [
        "100:\tfrom 10.0.0.5 lookup 100 proto keepalived",
        "101:\tfrom all to 10.20.0.0/16 lookup 200 proto keepalived",
        "102:\tfrom all fwmark 0x10/0xff lookup 300 proto keepalived",
        "104:\tfrom all iif a0 lookup 100 proto keepalived",
        "105:\tfrom 10.0.0.0/24 blackhole proto keepalived",
        "106:\tnot from 10.0.0.7 lookup 1000 proto keepalived",
    ] {
        assert!(v4.contains(want), "{want:?} not in {v4}");
    }
    let v6 = ns.ip(&["-6", "rule", "show"]);
    assert!(
        v6.contains("103:\tfrom 2001:db8::5 lookup 100 proto keepalived"),
        "{v6}"
    );

    // Rules are created exclusively: a duplicate is an error.
    let e = cmd.add_rule(&rules[0]);
    assert_eq!(kernel_errno(e), libc::EEXIST);

    for r in rules {
        cmd.del_rule(r)
            .unwrap_or_else(|e| panic!("delete {r}: {e}"));
    }
    let v4 = ns.ip(&["rule", "show"]);
    assert!(!v4.contains("keepalived"), "{v4}");
    assert_eq!(kernel_errno(cmd.del_rule(&rules[0])), libc::ENOENT);
}
