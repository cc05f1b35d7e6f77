//! The desired table for the configuration features keepalived programs IPVS with, and
//! how checker verdicts move it.

use super::*;
use crate::config::host::FakeHost;
use crate::config::testutil::load_text;
use crate::ipvs::reconcile::{diff, Op, Ops, Scope};

fn model(text: &str) -> Model {
    let l = load_text(text, &FakeHost::new());
    let c = l.config.expect("configuration loads");
    Model::new(&c.lvs).expect("model")
}

fn table(m: &Model) -> Table {
    let (s, d) = m.capacity();
    let mut t = Table::with_capacity(s, d);
    m.fill(&mut t).expect("fits");
    t
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn tcp(addr: &str, port: u16) -> ServiceKey {
    ServiceKey::Addr {
        protocol: 6,
        addr: ip(addr),
        port,
    }
}

/// (address, port, weight) of a service's destinations.
fn dests(t: &Table, key: &ServiceKey) -> Vec<(IpAddr, u16, u32)> {
    t.dests_of(key)
        .iter()
        .map(|d| (d.dest.key.addr, d.dest.key.port, d.dest.attrs.weight))
        .collect()
}

fn rs(vs: u16, index: u16) -> RsId {
    RsId {
        vs: VsId(vs),
        index,
    }
}

const BASIC: &str = "
virtual_server 10.0.0.1 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  real_server 192.168.0.2 8080 {
    weight 3
    TCP_CHECK {
    }
  }
  real_server 192.168.0.3 8080 {
    weight 1
    inhibit_on_failure
    TCP_CHECK {
    }
  }
}
";

#[test]
fn an_address_service_with_its_scheduler_persistence_and_real_servers() {
    let m = model(BASIC);
    let t = table(&m);
    let key = tcp("10.0.0.1", 80);
    assert_eq!(t.services().len(), 1);
    let s = t.service(&key).expect("service");
    assert_eq!(s.attrs.scheduler.as_str(), "wrr");
    assert_eq!(s.attrs.flags, SVC_F_PERSISTENT);
    assert_eq!(s.attrs.timeout, 300);
    assert_eq!(
        s.attrs.netmask,
        Netmask::v4(Ipv4Addr::new(255, 255, 255, 0))
    );
    assert_eq!(
        dests(&t, &key),
        [(ip("192.168.0.2"), 8080, 3), (ip("192.168.0.3"), 8080, 1)]
    );
    assert_eq!(t.dests_of(&key)[0].dest.attrs.fwd, Fwd::Masq);
    assert!(m.virtual_servers()[0].quorum_up);
}

#[test]
fn a_failed_server_goes_and_an_inhibited_one_stays_with_weight_zero() {
    let mut m = model(BASIC);
    let key = tcp("10.0.0.1", 80);
    assert_eq!(m.set_alive(rs(0, 0), false), None);
    assert_eq!(
        m.set_alive(rs(0, 1), false),
        Some(QuorumChange::Lost {
            quorum: 1,
            hysteresis: 0,
            threshold: 1,
            weight_sum: 0,
        })
    );
    let t = table(&m);
    assert_eq!(dests(&t, &key), [(ip("192.168.0.3"), 8080, 0)]);
    assert!(matches!(
        m.set_alive(rs(0, 1), true),
        Some(QuorumChange::Gained { .. })
    ));
    assert_eq!(dests(&table(&m), &key), [(ip("192.168.0.3"), 8080, 1)]);
    // A dynamic weight is clamped as keepalived's real_weight() does.
    m.set_weight(rs(0, 1), -5);
    assert_eq!(dests(&table(&m), &key), [(ip("192.168.0.3"), 8080, 0)]);
}

#[test]
fn dr_and_tunnels_take_the_service_port_and_their_tunnel_settings() {
    let m = model(
        "
virtual_server 10.0.0.1 443 {
  lb_algo sh
  sh-port
  sh-fallback
  lb_kind DR
  protocol TCP
  real_server 192.168.0.2 443 {
  }
  real_server 192.168.0.3 {
    lvs_method TUN type gue port 6080 csum
  }
  real_server 192.168.0.4 {
    lvs_method TUN type gre
  }
}
",
    );
    let t = table(&m);
    let key = tcp("10.0.0.1", 443);
    let s = t.service(&key).expect("service");
    assert_eq!(s.attrs.flags, SVC_F_SCHED1 | SVC_F_SCHED2);
    assert_eq!(s.attrs.scheduler.as_str(), "sh");
    let fwd: Vec<(u16, Fwd)> = t
        .dests_of(&key)
        .iter()
        .map(|d| (d.dest.key.port, d.dest.attrs.fwd))
        .collect();
    assert_eq!(
        fwd,
        [
            (443, Fwd::Route),
            (
                443,
                Fwd::Tunnel {
                    kind: TUN_TYPE_GUE,
                    port: 6080,
                    flags: TUN_FLAG_CSUM
                }
            ),
            (
                443,
                Fwd::Tunnel {
                    kind: TUN_TYPE_GRE,
                    port: 0,
                    flags: 0
                }
            ),
        ]
    );
}

#[test]
fn a_fwmark_service_has_no_protocol_and_dr_destinations_no_port() {
    let m = model(
        "
virtual_server fwmark 7 {
  lb_algo mh
  mh-port
  lb_kind DR
  ip_family inet6
  real_server fe80::2 {
  }
}
",
    );
    let t = table(&m);
    let key = ServiceKey::Fwmark {
        af: AF_INET6,
        mark: 7,
    };
    let s = t.service(&key).expect("service");
    assert_eq!(
        (s.attrs.flags, s.attrs.netmask),
        (SVC_F_SCHED2, Netmask::v6(128))
    );
    assert_eq!(dests(&t, &key), [(ip("fe80::2"), 0, 1)]);
}

const GROUP: &str = "
virtual_server_group G {
  10.0.0.1-3 80
  10.0.1.9 8080
  fwmark 5
}
virtual_server group G {
  lb_algo rr
  lb_kind DR
  protocol TCP
  persistence_timeout 60
  persistence_granularity 255.255.0.0
  real_server 192.168.0.2 {
    weight 2
  }
  real_server 192.168.0.3 80 {
  }
}
";

#[test]
fn a_group_expands_ranges_then_fwmarks_as_keepalived_walks_them() {
    let m = model(GROUP);
    assert_eq!(
        m.services_of(VsId(0)),
        [
            tcp("10.0.0.1", 80),
            tcp("10.0.0.2", 80),
            tcp("10.0.0.3", 80),
            tcp("10.0.1.9", 8080),
            ServiceKey::Fwmark {
                af: AF_INET,
                mark: 5
            },
        ]
    );
    let t = table(&m);
    assert_eq!(t.services().len(), 5);
    // Every group service gets the real servers; DR ports follow each entry's port.
    assert_eq!(
        dests(&t, &tcp("10.0.1.9", 8080)),
        [(ip("192.168.0.2"), 8080, 2), (ip("192.168.0.3"), 8080, 1)]
    );
    let fwm = ServiceKey::Fwmark {
        af: AF_INET,
        mark: 5,
    };
    assert_eq!(
        dests(&t, &fwm),
        [(ip("192.168.0.2"), 0, 2), (ip("192.168.0.3"), 0, 1)]
    );
    // keepalived resets the netmask of group entries.
    let s = t.service(&tcp("10.0.0.2", 80)).expect("service");
    assert_eq!(
        (s.attrs.timeout, s.attrs.netmask),
        (60, Netmask::full(AF_INET))
    );
    assert_eq!(m.capacity(), (5, 10));
}

const QUORUM: &str = "
virtual_server 10.0.0.1 80 {
  lb_algo wlc
  lb_kind NAT
  protocol TCP
  quorum 4
  hysteresis 1
  sorry_server 192.168.9.9 80
  real_server 192.168.0.2 80 {
    weight 3
    TCP_CHECK {
    }
  }
  real_server 192.168.0.3 80 {
    weight 3
    inhibit_on_failure
    TCP_CHECK {
    }
  }
}
";

#[test]
fn quorum_lost_puts_the_sorry_server_in_and_regained_takes_it_out() {
    let mut m = model(QUORUM);
    let key = tcp("10.0.0.1", 80);
    let full = [(ip("192.168.0.2"), 80, 3), (ip("192.168.0.3"), 80, 3)];
    assert_eq!(dests(&table(&m), &key), full);
    // 3 alive: below quorum - hysteresis = 3? No: 3 is not < 3, the quorum holds.
    assert_eq!(m.set_alive(rs(0, 0), false), None);
    assert_eq!(dests(&table(&m), &key), [(ip("192.168.0.3"), 80, 3)]);
    // 0 alive: lost; the inhibited server stays at weight 0 beside the sorry server.
    assert!(matches!(
        m.set_alive(rs(0, 1), false),
        Some(QuorumChange::Lost {
            threshold: 3,
            weight_sum: 0,
            ..
        })
    ));
    assert!(m.virtual_servers()[0].sorry_active());
    assert_eq!(
        dests(&table(&m), &key),
        [(ip("192.168.0.3"), 80, 0), (ip("192.168.9.9"), 80, 1)]
    );
    // 3 alive: below quorum + hysteresis = 5, still the sorry server (the alive one is
    // kept at weight 0 while the sorry server serves).
    assert_eq!(m.set_alive(rs(0, 0), true), None);
    assert_eq!(
        dests(&table(&m), &key),
        [(ip("192.168.0.3"), 80, 0), (ip("192.168.9.9"), 80, 1)]
    );
    // 6 alive: gained; the sorry server goes.
    assert!(matches!(
        m.set_alive(rs(0, 1), true),
        Some(QuorumChange::Gained {
            threshold: 5,
            weight_sum: 6,
            ..
        })
    ));
    assert_eq!(dests(&table(&m), &key), full);
}

#[test]
fn alpha_servers_start_failed_and_a_sorry_server_inhibit_is_kept_at_zero() {
    let text = QUORUM
        .replace("quorum 4", "quorum 4\n  alpha")
        .replace(
            "80\n  real_server 192.168.0.2",
            "80\n  sorry_server_inhibit\n  real_server 192.168.0.2",
        )
        .replace("hysteresis 1", "hysteresis 0");
    let mut m = model(&text);
    let key = tcp("10.0.0.1", 80);
    // Alpha: nothing alive, the quorum is down from the start.
    assert!(!m.virtual_servers()[0].quorum_up);
    assert_eq!(
        dests(&table(&m), &key),
        [(ip("192.168.0.3"), 80, 0), (ip("192.168.9.9"), 80, 1)]
    );
    m.set_alive(rs(0, 0), true);
    assert!(matches!(
        m.set_alive(rs(0, 1), true),
        Some(QuorumChange::Gained { .. })
    ));
    assert_eq!(
        dests(&table(&m), &key),
        [
            (ip("192.168.0.2"), 80, 3),
            (ip("192.168.0.3"), 80, 3),
            (ip("192.168.9.9"), 80, 0)
        ]
    );
}

#[test]
fn a_checker_verdict_reconciles_to_one_destination_command() {
    let mut m = model(QUORUM);
    let (s, d) = m.vs_capacity();
    let mut before = Table::with_capacity(s, d);
    let mut after = Table::with_capacity(s, d);
    let mut ops = Ops::with_capacity(s + 2 * d);
    m.fill_vs(VsId(0), &mut before).expect("fits");
    m.set_alive(rs(0, 1), false);
    m.fill_vs(VsId(0), &mut after).expect("fits");
    diff(&after, &before, Scope::Owned, &mut ops);
    assert_eq!(ops.len(), 1);
    assert!(matches!(ops.as_slice()[0], Op::SetDest(_, d) if d.attrs.weight == 0));
}

#[test]
fn a_reload_with_one_changed_weight_is_one_set_dest_and_a_removed_service_one_del() {
    let two = format!(
        "{BASIC}
virtual_server 10.0.0.2 53 {{
  lb_algo rr
  lb_kind NAT
  protocol UDP
  ops
  real_server 192.168.0.5 53 {{
  }}
}}"
    );
    let old = table(&model(&two));
    let mut ops = Ops::with_capacity(64);
    diff(&old, &Table::default(), Scope::Owned, &mut ops);
    assert_eq!(ops.len(), 5, "{ops:?}");
    let udp = ServiceKey::Addr {
        protocol: 17,
        addr: ip("10.0.0.2"),
        port: 53,
    };
    assert_eq!(
        old.service(&udp).map(|s| s.attrs.flags),
        Some(SVC_F_ONEPACKET)
    );

    let new = table(&model(&two.replace("weight 3", "weight 7")));
    ops.clear();
    diff(&new, &old, Scope::Owned, &mut ops);
    assert_eq!(ops.len(), 1);
    match ops.as_slice()[0] {
        Op::SetDest(k, d) => {
            assert_eq!(k, tcp("10.0.0.1", 80));
            assert_eq!((d.key.addr, d.attrs.weight), (ip("192.168.0.2"), 7));
        }
        ref other => panic!("{other:?}"),
    }

    let one = table(&model(BASIC));
    ops.clear();
    diff(&one, &old, Scope::Owned, &mut ops);
    assert_eq!(ops.as_slice(), [Op::DelService(udp)]);
}

#[test]
fn names_longer_than_the_kernel_takes_are_refused() {
    assert!(Name::new("0123456789abcde").is_some());
    assert!(Name::new("0123456789abcdef").is_none());
    assert_eq!(
        Name::new("wlc").map(|n| n.as_str().to_string()),
        Some("wlc".into())
    );
}

#[test]
fn a_reload_keeps_checker_verdicts_and_dynamic_weights() {
    let mut old = model(QUORUM);
    old.set_alive(rs(0, 0), false);
    old.set_weight(rs(0, 1), 5);
    let mut new = model(&QUORUM.replace("weight 3\n    inhibit", "weight 4\n    inhibit"));
    let mut changes = Vec::new();
    new.adopt(&old, &mut changes);
    assert!(changes.is_empty());
    let key = tcp("10.0.0.1", 80);
    // The failed server stays out; the other keeps its +2 over its new weight of 4.
    assert_eq!(dests(&table(&new), &key), [(ip("192.168.0.3"), 80, 6)]);
    let mut ops = Ops::with_capacity(8);
    diff(&table(&new), &table(&old), Scope::Owned, &mut ops);
    assert_eq!(ops.len(), 1);
    assert!(matches!(ops.as_slice()[0], Op::SetDest(_, d) if d.attrs.weight == 6));
}

#[test]
fn ipv6_ranges_walk_the_last_16_bits_and_group_fwmarks_take_their_family() {
    let m = model(
        "
virtual_server_group G6 {
  2001:db8::a-c 443
  fwmark 9 inet6
}
virtual_server group G6 {
  lb_algo lc
  lb_kind NAT
  protocol TCP
  real_server 2001:db8:1::2 8443 {
  }
}
",
    );
    assert_eq!(
        m.services_of(VsId(0)),
        [
            tcp("2001:db8::a", 443),
            tcp("2001:db8::b", 443),
            tcp("2001:db8::c", 443),
            ServiceKey::Fwmark {
                af: AF_INET6,
                mark: 9
            },
        ]
    );
    let t = table(&m);
    let s = t.service(&tcp("2001:db8::b", 443)).expect("service");
    assert_eq!(s.attrs.netmask, Netmask::v6(128));
    // NAT keeps the real server's own port on every service of the group.
    assert_eq!(
        dests(
            &t,
            &ServiceKey::Fwmark {
                af: AF_INET6,
                mark: 9
            }
        ),
        [(ip("2001:db8:1::2"), 8443, 1)]
    );
}

#[test]
fn more_services_than_the_limit_is_an_error_naming_it() {
    let mut text = String::new();
    for g in 0..3 {
        text += &format!(
            "virtual_server_group G{g} {{\n  10.{g}.0.0/17 80\n}}\n\
             virtual_server group G{g} {{\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  \
             real_server 192.168.0.2 80 {{\n  }}\n}}\n"
        );
    }
    let l = load_text(&text, &FakeHost::new());
    let c = l.config.expect("configuration loads");
    match Model::new(&c.lvs) {
        Err(e @ Error::TooMany("MAX_IPVS_SERVICES", _)) => {
            assert!(e.to_string().contains("MAX_IPVS_SERVICES"))
        }
        other => panic!("{other:?}"),
    }
}
