//! Tests of the VRRP builders against keepalived 2.2.7 behaviour. Every expectation below
//! was checked with `keepalived -t` on the same configuration.
//!
//! Most configurations have no `virtual_ipaddress` block, to keep them short; keepalived then
//! reports "No VIP specified" (twice, as error and warning) at the end of the instance.

use super::*;
use crate::config::diag::Level;
use crate::config::host::FakeHost;
use crate::config::testutil::{load_text, messages};
use crate::config::Loaded;
use crate::time::Duration;

/// Loads `text` on a host with eth0 and the scripts /bin/true and /bin/false.
fn load(text: &str) -> Loaded {
    let mut host = FakeHost::new();
    host.add_script("/bin/true");
    host.add_script("/bin/false");
    load_text(text, &host)
}

const SECURITY: &str =
    "SECURITY VIOLATION - scripts are being executed but script_security not enabled.";

/// (line, text) of every message that changes keepalived's exit status.
fn errors(l: &Loaded) -> Vec<(u32, String)> {
    messages(l)
        .into_iter()
        .filter(|(_, level, _)| *level != Level::Info)
        .map(|(line, _, msg)| (line, msg))
        .collect()
}

fn expect(l: &Loaded, exit: i32, want: &[(u32, &str)]) {
    let mut want: Vec<(u32, String)> = want.iter().map(|(n, m)| (*n, m.to_string())).collect();
    let mut got = errors(l);
    want.sort();
    got.sort();
    assert_eq!(got, want, "all messages: {:?}", l.messages());
    assert_eq!(l.exit_code(), exit);
}

fn vrrp(l: &Loaded) -> &Vrrp {
    &l.config.as_ref().expect("a configuration").vrrp
}

/// keepalived's two messages for an instance without addresses, at its closing line.
fn no_vip(name: &str, line: u32) -> [(u32, String); 2] {
    let m = format!("({name}) No VIP specified; at least one is sensible");
    [(line, m.clone()), (line, m)]
}

fn expect_with_no_vip(l: &Loaded, want: &[(u32, &str)], name: &str, end: u32) {
    expect_with_no_vip_exit(l, want, name, end, 5);
}

fn expect_with_no_vip_exit(l: &Loaded, want: &[(u32, &str)], name: &str, end: u32, exit: i32) {
    let mut all: Vec<(u32, String)> = want.iter().map(|(n, m)| (*n, m.to_string())).collect();
    all.extend(no_vip(name, end));
    let mut got = errors(l);
    got.sort();
    all.sort();
    assert_eq!(got, all, "all messages: {:?}", l.messages());
    assert_eq!(l.exit_code(), exit);
}

#[test]
fn state_master_without_priority_is_address_owner() {
    let l =
        load("vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n}\n");
    expect_with_no_vip(&l, &[], "VI_1", 5);
    let i = &vrrp(&l).instances[0];
    assert_eq!((i.priority, i.initial_state), (255, InitialState::Master));
    assert_eq!((i.version, i.family, i.vrid), (Version::V2, Family::V4, 51));
    assert_eq!(i.advert_int, Duration::from_secs(1));
    assert!(i.accept && !i.strict && !i.nopreempt);
    assert_eq!(
        i.transport,
        Transport::Multicast {
            group: "224.0.0.18".parse().unwrap()
        }
    );
    assert_eq!(i.garp.master_repeat, 5);
    assert_eq!(i.garp.lower_prio_delay, Duration::from_secs(5));
    assert_eq!(i.tracking.interfaces[0].name, "eth0");
}

#[test]
fn state_words() {
    let l = load("vrrp_instance VI_1 {\n state MASTER\n state BACKUP\n priority 100\n interface eth0\n virtual_router_id 1\n}\nvrrp_instance VI_2 {\n state FOO\n interface eth0\n virtual_router_id 2\n}\n");
    let mut want = vec![
        (3, "(VI_1) state previously set as MASTER - ignoring BACKUP"),
        (9, "(VI_2) unknown state 'FOO', defaulting to BACKUP"),
    ];
    let n2 = no_vip("VI_2", 12);
    want.extend(n2.iter().map(|(n, m)| (*n, m.as_str())));
    expect_with_no_vip(&l, &want, "VI_1", 7);
    let v = vrrp(&l);
    assert_eq!(v.instances[0].initial_state, InitialState::Master);
    assert_eq!(v.instances[0].priority, 100);
    assert_eq!(v.instances[1].initial_state, InitialState::Backup);
}

#[test]
fn authentication_rules() {
    let l = load(
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n authentication {\n  auth_type PASS\n  auth_pass 1234567890\n }\n}\n\
         vrrp_instance B {\n interface eth0\n virtual_router_id 2\n version 3\n authentication {\n  auth_type PASS\n  auth_pass x\n }\n}\n\
         vrrp_instance C {\n interface eth0\n virtual_router_id 3\n state MASTER\n priority 100\n authentication {\n  auth_type AH\n  auth_pass secret\n }\n}\n",
    );
    // B (VRRPv3) has no VIP: keepalived stops there, so C is never completed.
    expect(
        &l,
        5,
        &[
            (6, "Truncating auth_pass to 8 characters"),
            (8, "(A) No VIP specified; at least one is sensible"),
            (8, "(A) No VIP specified; at least one is sensible"),
            (17, "(B) No VIP specified; at least one is required"),
        ],
    );
    assert!(vrrp(&l).stopped && vrrp(&l).instances.is_empty());
}

#[test]
fn auth_kept_truncated_and_ah_forces_backup() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n authentication {\n  auth_type PASS\n  auth_pass 1234567890\n }\n}\nvrrp_instance C {\n interface eth0\n virtual_router_id 3\n state MASTER\n priority 100\n authentication {\n  auth_type AH\n  auth_pass secret\n }\n}\n");
    let mut want = vec![
        (6, "Truncating auth_pass to 8 characters"),
        (
            15,
            "(C) Initial state master is incompatible with AH authentication - clearing",
        ),
    ];
    let n = no_vip("C", 18);
    want.extend(n.iter().map(|(a, m)| (*a, m.as_str())));
    expect_with_no_vip(&l, &want, "A", 8);
    let v = vrrp(&l);
    assert_eq!(v.instances[0].auth.unwrap().key, *b"12345678");
    let c = &v.instances[1];
    assert_eq!(c.auth.unwrap().kind, AuthType::Ah);
    assert_eq!(c.initial_state, InitialState::Backup);
}

#[test]
fn preemption_rules() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n state MASTER\n priority 100\n nopreempt\n preempt_delay 5\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n nopreempt\n preempt_delay 3\n priority 255\n state BACKUP\n}\n");
    let mut want = vec![
        (
            6,
            "(A) Warning - nopreempt will not work with initial state MASTER - clearing",
        ),
        (
            7,
            "(A) Warning - preempt delay will not work with initial state MASTER - clearing",
        ),
        (
            12,
            "(B) nopreempt is incompatible with priority 255. resetting nopreempt",
        ),
    ];
    let n = no_vip("B", 16);
    want.extend(n.iter().map(|(a, m)| (*a, m.as_str())));
    expect_with_no_vip(&l, &want, "A", 8);
    let v = vrrp(&l);
    assert!(!v.instances[0].nopreempt);
    assert_eq!(v.instances[0].preempt_delay, Duration::ZERO);
    // B keeps its delay: neither nopreempt (cleared) nor MASTER applies any more.
    assert_eq!(v.instances[1].preempt_delay, Duration::from_secs(3));
    assert_eq!(v.instances[1].initial_state, InitialState::Backup);
}

#[test]
fn preempt_delay_needs_a_value() {
    let l = load("vrrp_instance A {\n interface eth0\n preempt_delay\n}\n");
    assert_eq!(l.exit_code(), 2);
    let f = l.fatal.as_ref().unwrap();
    assert_eq!(f.loc.line, 3);
    assert!(f
        .msg
        .contains("missing a parameter after keyword `preempt_delay`"));
}

#[test]
fn advert_interval_normalisation() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n advert_int 1.5\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n version 2\n advert_int 0\n}\n");
    let mut want = vec![
        (
            4,
            "(A) VRRPv2 advertisement interval 1.500000s must be an integer. rounding",
        ),
        (10, "number '0' outside range [0.010000, 255.000000]"),
        (
            10,
            "(B) Advert interval (0) not valid! Must be > 0 - ignoring",
        ),
    ];
    let n = no_vip("B", 11);
    want.extend(n.iter().map(|(a, m)| (*a, m.as_str())));
    expect_with_no_vip(&l, &want, "A", 5);
    let v = vrrp(&l);
    assert_eq!(v.instances[0].advert_int, Duration::from_secs(2));
    assert_eq!(v.instances[1].advert_int, Duration::from_secs(1));
}

#[test]
fn ipv6_source_makes_a_v3_instance_that_needs_vips() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n mcast_src_ip fe80::1\n advert_int 0.123\n}\n");
    expect(
        &l,
        5,
        &[(6, "(A) No VIP specified; at least one is required")],
    );
    assert!(vrrp(&l).stopped);
}

#[test]
fn track_script_resolution_in_file_order() {
    let l = load(
        "vrrp_script chk_http_ port {\n script \"/bin/true\"\n weight -20\n}\n\
         vrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_script {\n  chk_http_ port\n  chk_http_\n  chk_http_ weight 254\n  later\n }\n}\n\
         vrrp_script later {\n script \"/bin/true\"\n}\n",
    );
    // /bin/true would run as root without script security: keepalived exits 6.
    expect_with_no_vip_exit(
        &l,
        &[
            (2, SECURITY),
            (9, "(A) unknown track script option port - ignoring"),
            (11, "(A) duplicate track_script chk_http_ - ignoring"),
            (12, "(A) track script later not found, ignoring..."),
        ],
        "A",
        14,
        6,
    );
    let v = vrrp(&l);
    assert_eq!(v.scripts.len(), 2);
    assert_eq!(v.scripts[0].name, "chk_http_");
    let t = &v.instances[0].tracking.scripts;
    assert_eq!((t[0].name.as_str(), t[0].weight), ("chk_http_", -20));
}

#[test]
fn vrrp_script_values() {
    let l = load("vrrp_script chk {\n script \"/bin/true arg\"\n interval 0\n timeout abc\n weight 300 rev\n rise 0\n user nosuchuser\n user root\n init_fail\n}\nvrrp_script empty {\n interval 3\n}\n");
    expect(
        &l,
        5,
        &[
            (
                3,
                "(chk): vrrp script interval must be greater than 0, setting to 1",
            ),
            (4, "invalid number 'abc'"),
            (4, "(chk): vrrp script timeout 'abc' invalid - ignoring"),
            (5, "number '300' outside range [-253, 253]"),
            (5, "vrrp_script chk weight 300 must be in [-253, 253]"),
            (5, "vrrp_script chk unknown weight option rev"),
            (6, "number '0' outside range [1, 2147483647]"),
            (
                6,
                "(chk): vrrp script rise value '0' invalid, defaulting to 1",
            ),
            (7, "Unable to set uid/gid for script '/bin/true' 'arg'"),
            (13, "No script set for vrrp_script empty - removing"),
        ],
    );
    let v = vrrp(&l);
    assert_eq!(v.scripts.len(), 1);
    let s = &v.scripts[0];
    // keepalived keeps the out-of-range weight it read.
    assert_eq!((s.weight, s.rise, s.fall, s.init_fail), (300, 1, 1, true));
    assert_eq!(s.interval, Duration::from_secs(1));
    assert_eq!(s.timeout, Duration::from_secs(1));
    assert_eq!(s.script.args, ["/bin/true", "arg"]);
}

#[test]
fn track_interface_entries() {
    let mut host = FakeHost::new();
    host.interfaces.push("eth1".into());
    let l = load_text("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_interface {\n  eth0\n  eth1 weight 10\n  eth1\n  lo weight\n  lo weight 254 reverse\n }\n}\n", &host);
    expect_with_no_vip(
        &l,
        &[
            (7, "(A) duplicate track_interface eth1 - ignoring"),
            (
                8,
                "(A) weight without value specified for track_interface lo - ignoring",
            ),
            (9, "(A) weight for lo cannot be +/-254. Setting to +/-253"),
            (5, "(A) Ignoring track_interface eth0 since own interface"),
        ],
        "A",
        11,
    );
    let t = &vrrp(&l).instances[0].tracking.interfaces;
    let got: Vec<(&str, i32, bool)> = t
        .iter()
        .map(|t| (t.name.as_str(), t.weight, t.reverse))
        .collect();
    assert_eq!(
        got,
        [("eth1", 10, false), ("lo", 253, true), ("eth0", 0, false)]
    );
}

#[test]
fn missing_interface_stops_vrrp_validation() {
    let l = load("vrrp_instance A {\n interface eth9\n track_interface {\n  eth8\n }\n}\n");
    expect(
        &l,
        5,
        &[
            (
                2,
                "WARNING - interface eth9 for vrrp_instance A doesn't exist",
            ),
            (4, "(A) tracked interface eth8 doesn't exist"),
            (1, "Non-existent interface specified in configuration"),
        ],
    );
    assert_eq!(messages(&l)[2].1, Level::BadIf);
    let v = vrrp(&l);
    assert!(v.stopped && v.instances.is_empty());
}

#[test]
fn minimal_configuration_checks() {
    let l = load("vrrp_instance A {\n interface lo\n virtual_router_id 1\n}\n");
    expect(
        &l,
        5,
        &[
            (
                2,
                "(A) cannot use a loopback interface (lo) for vrrp - ignoring",
            ),
            (2, "(A) Unknown interface!"),
        ],
    );
    // keepalived 2.2.7 asks for an interface before it knows an instance is unicast.
    let l = load("vrrp_instance A {\n virtual_router_id 1\n unicast_src_ip 10.0.0.1\n unicast_peer {\n  10.0.0.2\n }\n}\n");
    expect(&l, 5, &[(1, "(A) Unknown interface!")]);
    let l = load("vrrp_instance A {\n interface eth0\n}\n");
    expect(&l, 5, &[(1, "(A) the virtual router id must be set")]);
}

#[test]
fn duplicate_and_unnamed_instances_are_skipped() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\nvrrp_instance A {\n interface eth0\n}\nvrrp_instance {\n interface eth0\n}\n");
    expect_with_no_vip(
        &l,
        &[
            (5, "vrrp instance A already defined"),
            (8, "vrrp_instance must have a name"),
        ],
        "A",
        4,
    );
    assert_eq!(vrrp(&l).instances.len(), 1);
}

#[test]
fn vrid_conflicts_stop_the_vrrp_process() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 1\n}\nvrrp_instance C {\n interface eth0\n virtual_router_id 1\n mcast_dst_ip 224.0.0.19\n}\n");
    let mut want = vec![(5, "A and B both use VRID 1 with IPv4 on interface eth0")];
    let (nb, nc) = (no_vip("B", 8), no_vip("C", 13));
    want.extend(nb.iter().chain(&nc).map(|(a, m)| (*a, m.as_str())));
    expect_with_no_vip(&l, &want, "A", 4);
    assert!(vrrp(&l).stopped);
}

#[test]
fn unicast_rules() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n unicast_src_ip 10.0.0.1\n unicast_ttl 5\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n unicast_src_ip 10.0.0.1\n mcast_dst_ip 224.0.0.19\n unicast_peer {\n  10.0.0.2 min_ttl 10 max_ttl 5\n  10.0.0.3 max_ttl\n  fe80::1\n }\n}\n");
    let mut want = vec![
        (6, "(A): Cannot use unicast_ttl without unicast peers - resetting"),
        (4, "(A) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration."),
        (13, "(B) min_ttl 10 > max_ttl 5 - all packets will be discarded"),
        (14, "(B) max_ttl is missing a value"),
        (15, "Configuration error: VRRP instance[B] and unicast peer address[fe80::1] MUST be of the same family !!! Skipping..."),
        (11, "(B) multicast destination specified with unicast - ignoring"),
    ];
    let n = no_vip("B", 17);
    want.extend(n.iter().map(|(a, m)| (*a, m.as_str())));
    expect_with_no_vip(&l, &want, "A", 6);
    let v = vrrp(&l);
    assert!(matches!(
        v.instances[0].transport,
        Transport::Multicast { .. }
    ));
    let Transport::Unicast {
        peers,
        ttl,
        check_src,
    } = &v.instances[1].transport
    else {
        panic!("unicast expected");
    };
    assert_eq!(peers.len(), 2);
    assert_eq!((peers[0].min_ttl, peers[0].max_ttl), (10, 5));
    assert_eq!(*ttl, Some(255));
    assert!(*check_src);
}

#[test]
fn sync_group_membership() {
    let l = load(
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n\
         vrrp_sync_group G1 {\n group {\n  A\n  X\n }\n}\n\
         vrrp_sync_group G2 {\n group {\n  A\n }\n}\n\
         vrrp_sync_group G3 {\n group {\n }\n}\n\
         vrrp_sync_group G1 {\n}\n",
    );
    expect_with_no_vip(
        &l,
        &[
            (18, "Warning - sync group G3 has empty group block"),
            (20, "vrrp sync group G1 already defined"),
            (
                8,
                "Virtual router X specified in sync group G1 doesn't exist - ignoring",
            ),
            (
                5,
                "Sync group G1 has only 1 virtual router(s) - this probably isn't what you want",
            ),
            (
                13,
                "Virtual router A cannot exist in more than one sync group; ignoring G2",
            ),
            (
                11,
                "Sync group G2, no matching virtual router found in group declaration - removing",
            ),
            (16, "Sync group G3 has no virtual router(s). removing"),
        ],
        "A",
        4,
    );
    let v = vrrp(&l);
    assert_eq!(v.sync_groups.len(), 1);
    assert_eq!(v.sync_groups[0].members, ["A"]);
    assert_eq!(v.instances[0].sync_group.as_deref(), Some("G1"));
}

#[test]
fn sync_group_members_lose_tracking_weights() {
    let mut host = FakeHost::new();
    host.interfaces.push("eth1".into());
    host.add_script("/bin/true");
    let l = load_text(
        "vrrp_script chk {\n script \"/bin/true\"\n weight 10\n}\n\
         track_file tf {\n file /tmp/tf\n}\n\
         vrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_script {\n  chk\n }\n track_interface {\n  eth1 weight 5\n }\n track_file {\n  tf\n }\n}\n\
         vrrp_instance B {\n interface eth0\n virtual_router_id 2\n priority 255\n}\n\
         vrrp_sync_group G {\n group {\n  A\n  B\n }\n track_script {\n  chk weight 5\n }\n}\n",
        &host,
    );
    let mut want = vec![
        (2, SECURITY),
        (12, "(A) ignoring tracked script chk with weights due to SYNC group"),
        (15, "(A) ignoring eth1 tracked interface weight due to SYNC group"),
        (
            18,
            "(A) ignoring weight from tracked file tf due to SYNC group. specify weight 0",
        ),
        (
            32,
            "(G) Cannot have weighted track script 'chk' with member having priority 255 - clearing weight",
        ),
    ];
    let n = no_vip("B", 25);
    want.extend(n.iter().map(|(a, m)| (*a, m.as_str())));
    expect_with_no_vip_exit(&l, &want, "A", 20, 6);
    let a = &vrrp(&l).instances[0];
    assert_eq!(a.tracking.scripts[0].weight, 0);
    assert_eq!(a.tracking.files[0].weight, 0);
    // keepalived reports the interface weight but still applies it.
    assert_eq!(a.tracking.interfaces[0].weight, 5);
}

#[test]
fn use_vmac_names_and_addresses() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 51\n use_vmac vm1 02:11:22:33:44\n use_vmac eth0 00:00:5e:00:01:02\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 52\n use_vmac vm1 01:11:22:33:44:55\n}\nvrrp_instance C {\n interface eth0\n virtual_router_id 53\n use_vmac\n vmac_xmit_base\n}\n");
    let mut want = vec![
        (5, "VMAC interface name already specified"),
        (5, "VMAC interface address already specified"),
        (
            10,
            "(B) VRRP instance A is already using vm1 - ignoring name",
        ),
        (
            10,
            "VMAC MAC address is multicast 01:11:22:33:44:55 - ignoring",
        ),
    ];
    let (nb, nc) = (no_vip("B", 11), no_vip("C", 17));
    want.extend(nb.iter().chain(&nc).map(|(a, m)| (*a, m.as_str())));
    expect_with_no_vip(&l, &want, "A", 6);
    let v = vrrp(&l);
    let a = v.instances[0].vmac.as_ref().unwrap();
    assert_eq!(
        (a.name.as_str(), a.mac),
        ("vm1", [2, 0x11, 0x22, 0x33, 0x44, 51])
    );
    let b = v.instances[1].vmac.as_ref().unwrap();
    assert_eq!((b.name.as_str(), b.mac_configured), ("vrrp.52", false));
    assert_eq!(b.mac, [0, 0, 0x5e, 0, 1, 52]);
    assert!(v.instances[2].vmac.as_ref().unwrap().xmit_base);
}

/// A VMAC left on the parent by an earlier run (a SIGKILL) or made by the running daemon (a
/// reload) is taken over under its own name, as keepalived does: a second macvlan with the
/// same MAC on the same parent cannot be brought up (EADDRINUSE), so a new name
/// (`vrrp1.5`) would leave the instance in FAULT.
#[test]
fn an_existing_vmac_is_taken_over() {
    let mut host = FakeHost::new();
    host.interfaces.extend(["vrrp.5".into(), "vm6".into()]);
    let v4 = [0, 0, 0x5e, 0, 1, 5];
    host.vmacs.push(("vrrp.5".into(), "eth0".into(), v4));
    host.vmacs
        .push(("vm6".into(), "eth0".into(), [0, 0, 0x5e, 0, 2, 5]));
    let l = load_text(
        "vrrp_instance A {\n interface eth0\n virtual_router_id 5\n use_vmac\n virtual_ipaddress {\n  10.0.0.1/24\n }\n}\n\
         vrrp_instance B {\n interface eth0\n virtual_router_id 5\n use_vmac other6\n virtual_ipaddress {\n  fd00::1/64\n }\n}\n\
         vrrp_instance C {\n interface eth0\n virtual_router_id 6\n use_vmac\n virtual_ipaddress {\n  10.0.0.2/24\n }\n}\n",
        &host,
    );
    let v = vrrp(&l);
    let names: Vec<&str> = v
        .instances
        .iter()
        .map(|i| i.vmac.as_ref().unwrap().name.as_str())
        .collect();
    // C's VRID has no VMAC yet: a new one, under the usual name.
    assert_eq!(names, ["vrrp.5", "vm6", "vrrp.6"]);
    let infos: Vec<String> = messages(&l).into_iter().map(|(_, _, m)| m).collect();
    for m in [
        "(A) Found matching interface vrrp.5",
        "(B) Found matching interface vm6",
        "(B) vmac name mismatch other6 <=> vm6. changing to vm6.",
    ] {
        assert!(infos.iter().any(|i| i == m), "no {m:?} in {infos:?}");
    }
}

#[test]
fn trackers_definitions() {
    let l = load("track_file tf1 {\n file /tmp/tf1\n weight 5 reverse\n weight 6\n init_file 300 overwrite foo\n}\ntrack_file tf2 {\n weight\n}\nvrrp_track_process p1 {\n process sshd -D\n param_match partial\n weight 10 reverse\n quorum 3\n quorum_max 2\n delay 1.5\n}\nvrrp_track_process p2 {\n quorum 2\n}\n");
    expect(
        &l,
        5,
        &[
            (4, "Weight already set for track file tf1 - ignoring 6"),
            (
                5,
                "Track file tf1 init value 300 is outside sensible range [-254, 254]",
            ),
            (5, "Unknown track file init option foo"),
            (8, "No weight specified for track file tf2 - ignoring"),
            (9, "No file set for track_file tf2 - ignoring"),
            (15, "quorum_max is less than quorum - ignoring"),
            (20, "track process 'p2' process name not specified"),
        ],
    );
    let v = vrrp(&l);
    let f = &v.track_files[0];
    assert_eq!((f.name.as_str(), f.weight, f.reverse), ("tf1", 5, true));
    assert_eq!(
        f.init,
        Some(TrackFileInit {
            value: 300,
            overwrite: true
        })
    );
    let p = &v.track_processes[0];
    assert_eq!(p.params, ["-D"]);
    assert_eq!(p.param_match, ParamMatch::Partial);
    assert_eq!(
        (p.weight, p.reverse, p.quorum, p.quorum_max),
        (10, true, 3, None)
    );
    assert_eq!(p.fork_delay, Duration::from_micros(1_500_000));
}

#[test]
fn strict_mode_forces_rfc_behaviour() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n strict_mode\n state MASTER\n priority 100\n preempt_delay 3\n down_timer_adverts 5\n garp_lower_prio_repeat 3\n lower_prio_no_advert false\n higher_prio_send_advert\n accept\n authentication {\n  auth_type PASS\n  auth_pass 1111\n }\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n");
    expect(
        &l,
        5,
        &[
            (5, "(A) State MASTER must match being address owner"),
            (14, "(A) Strict mode does not support authentication. Ignoring."),
            (7, "(A) preempt_delay is incompatible with strict mode - resetting"),
            (8, "(A) down_timer_adverts is incompatible with strict mode - resetting"),
            (12, "(A) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting"),
            (9, "(A) Strict mode requires no repeat garps. resetting"),
            (10, "(A) Strict mode requires no lower priority advert. resetting"),
            (11, "(A) strict mode requires higher_prio_send_advert to be clear. resetting"),
        ],
    );
    let i = &vrrp(&l).instances[0];
    assert_eq!(i.initial_state, InitialState::Backup);
    assert!(i.auth.is_none() && !i.accept && i.lower_prio_no_advert);
    assert_eq!((i.down_timer_adverts, i.garp.lower_prio_repeat), (3, 0));
}

#[test]
fn tutorial_instance_is_clean() {
    let l = load("vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n priority 100\n advert_int 1\n authentication {\n  auth_type PASS\n  auth_pass 1111\n }\n virtual_ipaddress {\n  192.168.200.16\n  192.168.200.17\n }\n}\n");
    expect(&l, 0, &[]);
    let i = &vrrp(&l).instances[0];
    assert_eq!(i.vips.len(), 2);
    assert_eq!(i.vips[0].dev.as_deref(), Some("eth0"));
    assert_eq!(i.auth.unwrap().kind, AuthType::Pass);
}

#[test]
fn scripts_for_the_security_check() {
    let mut l = load("vrrp_script chk {\n script \"/bin/true\"\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n notify_master \"/bin/x.sh master\"\n notify /bin/n.sh\n}\nvrrp_sync_group G {\n group {\n }\n notify_fault /bin/f.sh\n}\n");
    let v = &mut l.config.as_mut().unwrap().vrrp;
    let mut names: Vec<String> = v.scripts_mut().iter().map(|s| s.args[0].clone()).collect();
    names.sort();
    assert_eq!(names, ["/bin/f.sh", "/bin/n.sh", "/bin/true", "/bin/x.sh"]);
    // Without instances keepalived does not look at the scripts.
    let mut l = load("vrrp_script chk {\n script \"/bin/true\"\n}\n");
    assert!(l.config.as_mut().unwrap().vrrp.scripts_mut().is_empty());
}

#[test]
fn dump_shows_effective_values() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 7\n version 3\n advert_int 0.5\n mcast_src_ip fe80::1\n}\n");
    assert!(vrrp(&l).stopped);
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 7\n advert_int 3\n nopreempt\n garp_master_refresh 60\n}\n");
    let text = l.config.as_ref().unwrap().dump();
    for line in [
        "vrrp_instance A {",
        "  state BACKUP",
        "  virtual_router_id 7",
        "  priority 100",
        "  advert_int 3",
        "  mcast_dst_ip 224.0.0.18",
        "  nopreempt",
        "  garp_master_refresh 60",
        "  garp_lower_prio_repeat 5",
        "  # track_interface eth0 weight 0 (implicit)",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
}

#[test]
fn sync_group_starts_master_only_when_all_members_would() {
    let l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n state MASTER\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n state MASTER\n priority 100\n}\nvrrp_sync_group G {\n group {\n  A\n  B\n }\n}\n");
    let n = no_vip("B", 11);
    let want: Vec<(u32, &str)> = n.iter().map(|(a, m)| (*a, m.as_str())).collect();
    expect_with_no_vip(&l, &want, "A", 5);
    let v = vrrp(&l);
    assert!(v
        .instances
        .iter()
        .all(|i| i.initial_state == InitialState::Backup));
    assert_eq!(v.instances[0].priority, 255);
}

#[test]
fn dynamic_interfaces_are_announced_once() {
    crate::config::ctx::tests::ctx_with(|c| {
        c.dynamic_interfaces = true;
        let mut ifaces = Ifaces::default();
        let loc = crate::config::diag::Loc::default();
        assert!(ifaces.lookup(c, loc, "eth9"));
        assert!(ifaces.lookup(c, loc, "eth9"));
        assert!(ifaces.lookup(c, loc, "eth0"));
        assert_eq!(c.diags().list.len(), 1);
        assert!(!c.missing_interface);
        c.dynamic_interfaces = false;
        assert!(!ifaces.lookup(c, loc, "eth8"));
        assert!(c.missing_interface);
    });
}

#[test]
fn capacities_are_enforced() {
    let peers: String = (1..=crate::limits::MAX_UNICAST_PEERS + 1)
        .map(|n| format!("  10.1.{}.{}\n", n / 250, n % 250 + 1))
        .collect();
    let text = format!("vrrp_instance A {{\n interface eth0\n virtual_router_id 1\n unicast_peer {{\n{peers} }}\n}}\n");
    let l = load(&text);
    let over = 5 + crate::limits::MAX_UNICAST_PEERS as u32;
    let msg = format!(
        "(A) more than MAX_UNICAST_PEERS ({}) - ignoring",
        crate::limits::MAX_UNICAST_PEERS
    );
    expect_with_no_vip(&l, &[(over, msg.as_str())], "A", over + 2);
    let Transport::Unicast { peers, .. } = &vrrp(&l).instances[0].transport else {
        panic!("unicast expected");
    };
    assert_eq!(peers.len(), crate::limits::MAX_UNICAST_PEERS);
}

mod robustness {
    use super::*;
    use crate::config::schema::{
        SYNC_GROUP, TRACK_FILE, TRACK_PROCESS, VRRP_INSTANCE, VRRP_SCRIPT,
    };
    use proptest::prelude::*;

    /// Words that exercise numbers, addresses, booleans, names and odd bytes.
    const WORDS: &[&str] = &[
        "0",
        "1",
        "2",
        "3",
        "51",
        "100",
        "254",
        "255",
        "256",
        "-1",
        "-254",
        "1.5",
        "0.004",
        "40.96",
        "1x",
        "abc",
        "true",
        "off",
        "all",
        "weight",
        "reverse",
        "noreverse",
        "MASTER",
        "BACKUP",
        "PASS",
        "AH",
        "eth0",
        "lo",
        "eth9",
        "10.0.0.1",
        "224.0.0.19",
        "fe80::1",
        "ff02::12",
        "02:11:22:33:44",
        "01:00:5e:00:01:02",
        "chk",
        "tf",
        "pr",
        "VI_1",
        "G",
        "min_ttl",
        "max_ttl",
        "\"/bin/true x\"",
        "overwrite",
        "never",
        "\u{e9}\u{e9}",
        "1.a\u{e9}",
    ];

    fn line(kws: &'static [crate::config::schema::Kw]) -> impl Strategy<Value = String> {
        (
            0..kws.len(),
            prop::collection::vec(0..WORDS.len(), 0..4),
            prop::collection::vec(prop::collection::vec(0..WORDS.len(), 1..4), 0..3),
        )
            .prop_map(move |(k, args, values)| {
                let kw = kws[k];
                let args: Vec<&str> = args.iter().map(|&i| WORDS[i]).collect();
                match kw.kind {
                    crate::config::schema::Kind::Leaf => {
                        format!("{} {}\n", kw.name, args.join(" "))
                    }
                    _ => {
                        let body: Vec<String> = values
                            .iter()
                            .map(|v| v.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" "))
                            .collect();
                        format!("{} {{\n{}\n}}\n", kw.name, body.join("\n"))
                    }
                }
            })
    }

    fn block(
        head: &'static str,
        kws: &'static [crate::config::schema::Kw],
    ) -> impl Strategy<Value = String> {
        prop::collection::vec(line(kws), 0..10)
            .prop_map(move |lines| format!("{head} {{\n{}}}\n", lines.concat()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any mix of VRRP keywords and values loads without panicking.
        #[test]
        fn arbitrary_vrrp_blocks_never_panic(
            s in block("vrrp_script chk", VRRP_SCRIPT),
            f in block("track_file tf", TRACK_FILE),
            p in block("vrrp_track_process pr", TRACK_PROCESS),
            i in block("vrrp_instance VI_1", VRRP_INSTANCE),
            j in block("vrrp_instance VI_2", VRRP_INSTANCE),
            g in block("vrrp_sync_group G", SYNC_GROUP),
        ) {
            let l = load(&format!("{s}{f}{p}{i}{j}{g}"));
            if let Some(c) = &l.config {
                let _ = c.dump();
            }
        }
    }
}

#[test]
fn dump_writes_configured_tracking_and_comments_the_rest() {
    let l = load("vrrp_script chk {\n script /bin/true\n user nobody\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_interface {\n  eth0\n  lo weight 0\n }\n notify_master \"/bin/true x\" root\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n}\nvrrp_sync_group G {\n group {\n  A\n  B\n }\n track_script {\n  chk\n }\n}\n");
    let text = l.config.as_ref().unwrap().dump();
    for line in [
        "  user nobody # uid:gid 65534:65534",
        "  track_interface {",
        "    lo weight 0",
        "  # track_interface eth0 weight 0 (implicit)",
        "  # track_script chk weight 0 (from the sync group)",
        "  notify_master \"/bin/true x\" root # uid:gid 0:0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
    // keepalived's "Ignoring track_interface eth0 since own interface" is not repeated.
    let again = load(&text);
    assert!(again
        .messages()
        .iter()
        .all(|m| !m.contains("own interface")));
    assert_eq!(again.config.as_ref().unwrap().dump(), text);
}

#[test]
fn dump_names_a_default_user_that_a_later_script_user_changed() {
    let l = load("vrrp_script chk {\n script /bin/true\n}\nglobal_defs {\n script_user nobody\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n notify /bin/true\n}\n");
    let text = l.config.as_ref().unwrap().dump();
    for line in [
        "  script_user nobody # uid:gid 65534:65534",
        "  user root # uid:gid 0:0",
        "  notify \"/bin/true\" # uid:gid 65534:65534",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
    assert_eq!(load(&text).config.as_ref().unwrap().dump(), text);
}

#[test]
fn notify_deleted_takes_an_optional_script() {
    let conf = |extra: &str| {
        format!("vrrp_instance A {{\n interface eth0\n virtual_router_id 1\n notify_deleted{extra}\n virtual_ipaddress {{\n  10.0.0.1\n }}\n}}\n")
    };
    let l = load(&conf(" /bin/true"));
    let i = &vrrp(&l).instances[0];
    assert!(i.notify_deleted);
    let script = i.notify_deleted_script.as_ref().expect("a script");
    assert_eq!(script.args[0], "/bin/true");
    let l = load(&conf(""));
    let i = &vrrp(&l).instances[0];
    assert!(i.notify_deleted && i.notify_deleted_script.is_none());
}
