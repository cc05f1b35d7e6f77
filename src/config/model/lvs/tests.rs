//! LVS builder tests. Expected messages and exit codes were checked against keepalived
//! 2.2.7 (`keepalived -t`); messages keepalived prints without a line are given the line
//! of the object they are about.

use std::net::IpAddr;

use super::*;
use crate::config::diag::{Diagnostics, Level};
use crate::config::host::{FakeHost, User};
use crate::config::testutil::{load_text, messages};
use crate::config::Loaded;
use crate::limits;

/// Exit code and (line, message) pairs of everything but plain log lines.
fn check(text: &str) -> (i32, Vec<(u32, String)>) {
    let l = load_text(text, &FakeHost::new());
    let msgs = messages(&l)
        .into_iter()
        .filter(|(_, level, _)| *level != Level::Info)
        .map(|(line, _, m)| (line, m))
        .collect();
    (l.exit_code(), msgs)
}

fn pairs(v: &[(u32, &str)]) -> Vec<(u32, String)> {
    v.iter().map(|(l, m)| (*l, m.to_string())).collect()
}

fn lvs_of(l: &Loaded) -> &Lvs {
    &l.config.as_ref().expect("configuration").lvs
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

const TUTORIAL: &str = "\
virtual_server 192.168.1.100 80 {
  delay_loop 6
  lb_algo rr
  lb_kind DR
  persistence_timeout 50
  protocol TCP
  real_server 192.168.1.11 8080 {
    weight 3
    TCP_CHECK {
      connect_timeout 3
      nb_get_retry 3
      delay_before_retry 3
    }
  }
}
";

#[test]
fn tutorial_dr_service() {
    let l = load_text(TUTORIAL, &FakeHost::new());
    assert_eq!(l.exit_code(), 5);
    let vs = &lvs_of(&l).virtual_servers[0];
    assert_eq!(
        vs.service,
        Service::Addr {
            ip: ip("192.168.1.100"),
            port: 80
        }
    );
    assert_eq!(vs.protocol, Some(Protocol::Tcp));
    assert_eq!(vs.scheduler, Scheduler::Rr);
    assert_eq!(vs.forwarding, Forwarding::Dr);
    assert_eq!(vs.persistence_timeout, Some(50));
    assert_eq!(vs.family, Some(Family::Inet));
    let rs = &vs.real_servers[0];
    // DR: the real server port is forced to the service port; the checker keeps 8080.
    assert_eq!((rs.port, rs.weight, rs.forwarding), (80, 3, Forwarding::Dr));
    let c = &rs.checkers[0];
    assert_eq!(c.kind, CheckKind::Tcp);
    // `nb_get_retry` is unknown in TCP_CHECK: retry stays at the default 1.
    assert_eq!((c.retry, c.delay_before_retry), (1, secs(3)));
    assert_eq!((c.delay_loop, c.warmup), (secs(6), secs(6)));
    let conn = c.conn.as_ref().unwrap();
    assert_eq!(
        (conn.ip, conn.port, conn.timeout),
        (ip("192.168.1.11"), 8080, secs(3))
    );
    assert_eq!(
        check(TUTORIAL).1,
        pairs(&[
            (11, "Unknown keyword 'nb_get_retry'"),
            (7, "WARNING - virtual server [192.168.1.100]:tcp:80 and real server [192.168.1.11]:tcp:8080 ports don't match - resetting"),
        ])
    );
}

#[test]
fn missing_settings_get_keepalived_defaults() {
    let text = "virtual_server 10.0.0.1 53 {\n real_server 10.0.0.2 {\n }\n}\n";
    assert_eq!(
        check(text),
        (
            5,
            pairs(&[
                (1, "Virtual server [10.0.0.1]:none:53: no protocol set - defaulting to UDP"),
                (1, "Virtual server [10.0.0.1]:udp:53: no scheduler set, setting default 'wlc'"),
                (1, "Virtual server [10.0.0.1]:udp:53: no forwarding method set, setting default NAT"),
            ])
        )
    );
    let l = load_text(text, &FakeHost::new());
    let vs = &lvs_of(&l).virtual_servers[0];
    assert_eq!(
        (vs.protocol, vs.scheduler, vs.forwarding),
        (Some(Protocol::Udp), Scheduler::Wlc, Forwarding::Nat)
    );
    assert_eq!((vs.quorum, vs.hysteresis, vs.smtp_alert), (1, 0, false));
    let rs = &vs.real_servers[0];
    assert_eq!((rs.port, rs.weight, rs.smtp_alert), (53, 1, true));
    assert_eq!(rs.defaults.delay_loop, secs(60));
    assert_eq!(rs.defaults.connect_timeout, secs(5));
}

#[test]
fn zero_port_forces_persistence() {
    let text = "virtual_server 10.0.0.1 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 {\n }\n}\n";
    let (code, msgs) = check(text);
    assert_eq!(code, 5);
    assert_eq!(
        msgs,
        pairs(&[(
            1,
            "Virtual server [10.0.0.1]:tcp:0: zero port only valid for persistent services - setting"
        )])
    );
    let l = load_text(text, &FakeHost::new());
    assert_eq!(lvs_of(&l).virtual_servers[0].persistence_timeout, Some(360));
}

#[test]
fn fwmark_service_ignores_protocol_and_clears_ports() {
    let text = "\
virtual_server fwmark 10 {
  protocol TCP
  lvs_sched rr
  lvs_method DR
  real_server 10.0.0.2 80 {
  }
  sorry_server 10.0.0.9 8080
}
virtual_server fwmark 11 {
  lb_algo rr
  ha_suspend
  real_server 10.0.0.2 80 {
  }
}
";
    assert_eq!(
        check(text),
        (
            5,
            pairs(&[
                (1, "Warning: Virtual server FWM 10: protocol specified for fwmark - protocol will be ignored"),
                (5, "WARNING - fwmark virtual server FWM 10, real server [10.0.0.2]:none:80 has port specified - clearing"),
                (7, "WARNING - virtual server FWM 10, sorry server has port specified - clearing"),
                (9, "Virtual server FWM 11: cannot use ha_suspend with fwmarks - clearing ha_suspend"),
                (9, "Virtual server FWM 11: no forwarding method set, setting default NAT"),
            ])
        )
    );
    let l = load_text(text, &FakeHost::new());
    let vs = &lvs_of(&l).virtual_servers;
    assert_eq!(vs[0].protocol, None);
    assert_eq!(vs[0].real_servers[0].port, 0);
    assert_eq!(vs[0].sorry_server.as_ref().unwrap().port, 0);
    // NAT keeps the configured port of a fwmark service.
    assert_eq!(vs[1].real_servers[0].port, 80);
    assert!(!vs[1].ha_suspend);
}

#[test]
fn duplicate_real_servers_are_removed() {
    let text = "\
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 80 {
  }
  real_server 10.0.0.2 80 {
  }
  real_server 10.0.0.2 {
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[(
            7,
            "VS [10.0.0.1]:tcp:80: real server [10.0.0.2]:tcp:80 is duplicated - removing second rs"
        )])
    );
    let l = load_text(text, &FakeHost::new());
    // The port-less one is not a duplicate when compared, then takes port 80.
    let ports: Vec<u16> = lvs_of(&l).virtual_servers[0]
        .real_servers
        .iter()
        .map(|r| r.port)
        .collect();
    assert_eq!(ports, [80, 80]);
}

#[test]
fn quorum_and_hysteresis_are_bounded() {
    let text = "\
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  quorum 5
  hysteresis 3
  real_server 10.0.0.2 80 {
    weight 2
  }
}
virtual_server 10.0.0.1 81 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 81 {
    weight 0
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[
            (5, "Warning - quorum 5 for [10.0.0.1]:tcp:80 exceeds total weight of real servers 2, reducing quorum to 2"),
            (1, "Virtual server [10.0.0.1]:tcp:80: hysteresis 3 >= quorum 2; setting hysteresis to 1"),
            (11, "Warning - quorum 1 for [10.0.0.1]:tcp:81 exceeds total weight of real servers 0, reducing quorum to 0"),
            (11, "Virtual server [10.0.0.1]:tcp:81: hysteresis 0 >= quorum 0; setting hysteresis to 4294967295"),
        ])
    );
}

#[test]
fn parse_errors_of_virtual_server_keywords() {
    let text = "\
virtual_server 10.0.0.1 80 {
  delay_loop 5abc
  connect_timeout 0
  retry 0
  lb_algo foo
  sh-port
  hashed
  lb_kind TUN type foo
  persistence_engine abcdefghijklmnopqrstuvwxyz
  protocol tcp
  quorum 0
  weight 0
  lb_algo sh
  real_server 10.0.0.2 80 {
     notify_up /bin/true
     notify_up /bin/false
  }
}
";
    let (code, msgs) = check(text);
    assert_eq!(code, 5);
    assert_eq!(
        msgs,
        pairs(&[
            (2, "invalid number '5abc'"),
            (3, "number '0' outside range [0.000001, 4294.967295]"),
            (3, "virtual server connect_timeout 0 invalid - ignoring"),
            (4, "number '0' outside range [1, 4294967295]"),
            (4, "retry value invalid - 0"),
            (5, "Invalid lvs_scheduler 'foo' - ignoring"),
            (6, "sh-port only applies to sh scheduler - ignoring"),
            (7, "hashed only applies to sh scheduler - ignoring"),
            (8, "Unknown tunnel type foo for virtual server."),
            (
                9,
                "persistence_name too long, truncating - abcdefghijklmnopqrstuvwxyz"
            ),
            (11, "number '0' outside range [1, 4294967295]"),
            (11, "Quorum 0 must be in [1, 4294967295]. Setting to 1."),
            (12, "number '0' outside range [1, 2147483647]"),
            (12, "Virtual server weight 0 is outside range 1-2147483647"),
            (
                16,
                "((null)) notify_up script already specified - ignoring /bin/false"
            ),
        ])
    );
    let l = load_text(text, &FakeHost::new());
    let vs = &lvs_of(&l).virtual_servers[0];
    // keepalived keeps the leading number of a malformed timer: 5 µs.
    assert_eq!(vs.defaults.delay_loop, Duration::from_micros(5));
    assert_eq!(vs.persistence_engine.as_deref(), Some("abcdefghijklmnop"));
    assert_eq!(vs.forwarding, Forwarding::Tun(Tunnel::default()));
    assert_eq!(vs.scheduler, Scheduler::Sh);
    assert_eq!(vs.sched_flags, SchedFlags::default());
}

#[test]
fn scheduler_flags_follow_the_scheduler() {
    let text = "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind NAT\n lb_algo sh\n sh-port\n sh-fallback\n mh-port\n flag-3\n real_server 10.0.0.2 80 {\n }\n}\n";
    let (code, msgs) = check(text);
    assert_eq!((code, msgs), (0, vec![]));
    let l = load_text(text, &FakeHost::new());
    let f = lvs_of(&l).virtual_servers[0].sched_flags;
    assert_eq!((f.flag1, f.flag2, f.flag3), (true, true, true));
}

#[test]
fn tunnel_options() {
    let text = "\
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind TUN type gue port 6080 csum
  real_server 10.0.0.2 80 {
  }
  real_server 10.0.0.3 80 {
    lvs_method TUN type ipip csum
  }
  real_server 10.0.0.4 80 {
    lvs_method TUN type gre remcsum
  }
  real_server 10.0.0.5 80 {
    lvs_method TUN type gue
  }
  real_server 10.0.0.6 80 {
    lvs_method MASQ
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[
            (8, "ipip tunnels do not support checksum option."),
            (11, "gre tunnels do not support remote checksum option."),
            (14, "gue tunnels require port, otherwise cannot have port."),
            (
                17,
                "PARSER : unknown [MASQ] routing method for real server."
            ),
        ])
    );
    let l = load_text(text, &FakeHost::new());
    let gue = Forwarding::Tun(Tunnel {
        kind: TunnelKind::Gue { port: 6080 },
        checksum: TunnelChecksum::Csum,
    });
    let fwd: Vec<Forwarding> = lvs_of(&l).virtual_servers[0]
        .real_servers
        .iter()
        .map(|r| r.forwarding)
        .collect();
    // A rejected option list keeps the method and the tunnel settings from before.
    assert_eq!(fwd, [gue, gue, gue, gue, gue]);
}

#[test]
fn group_entries_and_their_errors() {
    let text = "\
virtual_server_group G {
  10.0.0.1 80
  10.0.0.10-12 80
  10.0.1.0/30
  2001:db8::10-12 443
  fwmark 7 inet
  10.0.0.5-5 80
  10.0.0.5-300 80
  10.0.0.1/24 80
  10.0.0.9-10.0.0.2 80
  10.0.0.x 80
  fwmark 5 ipx
}
virtual_server_group EMPTY {
}
";
    assert_eq!(
        check(text),
        (
            5,
            pairs(&[
                (7, "Address range end is not greater than address range start - 10.0.0.5-5 - skipping"),
                (8, "Virtual server group range '10.0.0.5-300' end '300' too large"),
                (9, "Address mask bits not empty - 10.0.0.1/24 - skipping"),
                (10, "Address range end is less than address range start - 10.0.0.9-10.0.0.2 - skipping"),
                (11, "Invalid virtual server group IP address 10.0.0.x /port/80 - skipping"),
                (12, "(G): fwmark '5' family ipx unknown - ignoring"),
                (15, "virtual server group EMPTY has no entries - removing"),
            ])
        )
    );
    let l = load_text(text, &FakeHost::new());
    let g = &lvs_of(&l).groups;
    assert_eq!(g.len(), 1);
    let e = &g[0].entries;
    assert_eq!(e.len(), 5);
    let a: Vec<IpAddr> = e[1].addresses().collect();
    assert_eq!(a, [ip("10.0.0.10"), ip("10.0.0.11"), ip("10.0.0.12")]);
    assert_eq!(e[2].addresses().count(), 4);
    assert_eq!(e[2].address_count(), 4);
    assert!(matches!(e[2], GroupEntry::Range { port: 0, .. }));
    assert_eq!(e[3].addresses().nth(2), Some(ip("2001:db8::12")));
    assert_eq!(
        e[4],
        GroupEntry::Fwmark {
            mark: 7,
            family: Some(Family::Inet),
            loc: e[4].clone().loc()
        }
    );
}

impl GroupEntry {
    fn loc(self) -> Loc {
        match self {
            GroupEntry::Range { loc, .. } | GroupEntry::Fwmark { loc, .. } => loc,
        }
    }
}

#[test]
fn group_address_capacity() {
    let text = "virtual_server_group G {\n 10.0.0.0/17 80\n 11.0.0.0/15 80\n 12.0.0.1 80\n}\n";
    assert_eq!(
        check(text).1,
        [(
            3,
            format!(
                "virtual server group G has more than MAX_VSG_ADDRESSES ({}) addresses - skipping 11.0.0.0/15 80",
                limits::MAX_VSG_ADDRESSES
            )
        )]
    );
}

#[test]
fn group_users_are_linked_and_numbered() {
    let text = "\
virtual_server_group G {
  10.0.0.1 80
}
virtual_server group NOPE {
  protocol TCP
  real_server 10.0.0.2 80 {
  }
}
virtual_server group G {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 80 {
  }
}
virtual_server group G {
  protocol UDP
  lb_algo rr
  lb_kind DR
  real_server 10.0.0.3 81 {
  }
}
";
    // A missing group is only logged by keepalived.
    let l = load_text(text, &FakeHost::new());
    assert_eq!(
        messages(&l)[0],
        (
            4,
            Level::Info,
            "Virtual server group NOPE specified but not configured - ignoring virtual server [NOPE]:0".into()
        )
    );
    assert_eq!(
        check(text).1,
        pairs(&[(
            20,
            "virtual server [G]:1:[10.0.0.1,80] and real server [10.0.0.3]:udp:81 ports don't match"
        )])
    );
    let vs = &lvs_of(&l).virtual_servers;
    assert_eq!(vs.len(), 2);
    assert_eq!(
        vs[1].service,
        Service::Group {
            name: "G".into(),
            seq: 1
        }
    );
    assert_eq!(vs[1].family, Some(Family::Inet));
    assert_eq!(vs[1].name(), "[G]:1");
    assert_eq!(vs[1].real_servers[0].name(&vs[1]), "[10.0.0.3]:udp:81");
    // Group services keep the configured real server ports.
    assert_eq!(vs[1].real_servers[0].port, 81);
}

#[test]
fn address_families_must_match() {
    let text = "\
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 2001:db8::2 80 {
  }
  real_server 2001:db8::3 80 {
    lvs_method TUN
  }
}
virtual_server fwmark 4 {
  lb_algo rr
  ip_family inet6
  real_server 10.0.0.2 {
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[
            (6, "Address family of virtual server and real server 2001:db8::2 don't match - skipping real server."),
            (15, "Address family of virtual server and real server 10.0.0.2 don't match - skipping real server."),
            (11, "Virtual server FWM 4 has no real servers - ignoring"),
        ])
    );
    let l = load_text(text, &FakeHost::new());
    let vs = &lvs_of(&l).virtual_servers;
    assert_eq!(vs.len(), 1);
    // A tunnelled real server may be of the other family.
    assert_eq!(vs[0].real_servers[0].ip, ip("2001:db8::3"));
}

#[test]
fn sorry_server_rules() {
    let text = "\
virtual_server 10.0.0.1 81 {
  protocol TCP
  lb_algo rr
  sorry_server_inhibit
  sorry_server 10.0.0.2 81
  sorry_server_lvs_method DR
  real_server 10.0.0.2 81 {
    inhibit_on_failure yes
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[
            (4, "Ignoring sorry_server inhibit used before or without sorry_server"),
            (1, "Virtual server [10.0.0.1]:tcp:81: no forwarding method set, setting default NAT"),
            (5, "Virtual server [10.0.0.1]:tcp:81: real server [10.0.0.2]:tcp:81 matches sorry server, but inhibit setting differs, setting on sorry server"),
        ])
    );
    let l = load_text(text, &FakeHost::new());
    let s = lvs_of(&l).virtual_servers[0].sorry_server.clone().unwrap();
    assert_eq!(
        (s.forwarding, s.inhibit, s.duplicates_rs),
        (Forwarding::Dr, true, true)
    );
}

#[test]
fn checker_values_are_inherited_vs_rs_checker() {
    let text = "\
virtual_server 10.0.0.1 25 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  virtualhost vs.example
  real_server 10.0.0.2 25 {
    SMTP_CHECK {
    }
    TCP_CHECK {
      alpha
    }
    HTTP_GET {
      url {
        path /
      }
    }
    DNS_CHECK {
    }
    connect_timeout 9
    delay_loop 7
  }
  connect_timeout 3
  warmup 2
  alpha
}
";
    assert_eq!(check(text), (0, vec![]));
    let l = load_text(text, &FakeHost::new());
    let c = &lvs_of(&l).virtual_servers[0].real_servers[0].checkers;
    // SMTP_CHECK settles its timeout at the end of its block, from what was read so far.
    assert_eq!(c[0].conn.as_ref().unwrap().timeout, secs(5));
    assert_eq!(c[1].conn.as_ref().unwrap().timeout, secs(9));
    assert_eq!(
        (c[1].delay_loop, c[1].warmup, c[1].alpha),
        (secs(7), secs(2), true)
    );
    assert_eq!((c[1].retry, c[1].delay_before_retry), (1, secs(1)));
    assert_eq!((c[2].retry, c[2].delay_before_retry), (1, secs(3)));
    let CheckKind::Http(h) = &c[2].kind else {
        panic!("HTTP_GET expected")
    };
    assert_eq!(h.urls[0].host_header.as_deref(), Some("vs.example"));
    assert_eq!(h.urls[0].status_codes.ranges(), [(200, 299)]);
    // DNS: retry 3, delay_before_retry = delay_loop.
    assert_eq!((c[3].retry, c[3].delay_before_retry), (3, secs(7)));
    assert_eq!(
        c[3].kind,
        CheckKind::Dns(Box::new(DnsCheck {
            qtype: DnsType::Soa,
            name: String::new()
        }))
    );
}

#[test]
fn http_checker_errors() {
    let text = "\
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 80 {
    HTTP_GET {
      nb_get_retry 2
      url {
        digest 0123456789abcdef0123456789abcdeg
        status_code 200 300-299 99
      }
      url {
        path /
        digest 0123456789abcdef
        digest 0123456789ABCDEF0123456789abcdef
        digest 0123456789abcdef0123456789abcdef
      }
      http_protocol 2.0
      enable_sni maybe
      connect_ip fe80::1
    }
    SSL_GET {
    }
  }
}
";
    assert_eq!(
        check(text),
        (
            5,
            pairs(&[
                (7, "nb_get_retry is deprecated - please use 'retry'"),
                (9, "Unable to interpret hex digit in '0123456789abcdef0123456789abcdeg' at offset 30/31"),
                (10, "Invalid HTTP_GET status code '300-299'"),
                (10, "Invalid HTTP_GET status code '99'"),
                (11, "HTTP/SSL_GET checker url has no path - ignoring"),
                (14, "digest '0123456789abcdef' character length should be 32 rather than 16"),
                (16, "Digest '0123456789abcdef0123456789abcdef' is a duplicate"),
                (18, "Invalid http_protocol version 2.0"),
                (19, "Invalid enable_sni parameter maybe"),
                (21, "Checker link local address fe80::1 requires a bind_if"),
                (23, "HTTP/SSL_GET checker has no urls specified - ignoring"),
            ])
        )
    );
    let l = load_text(text, &FakeHost::new());
    assert!(lvs_of(&l).virtual_servers[0].real_servers[0]
        .checkers
        .is_empty());
}

#[test]
fn misc_check() {
    let text = "\
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 4
  real_server 10.0.0.2 80 {
    MISC_CHECK {
      misc_path \"/bin/true -a 'b c'\" nobody
      misc_dynamic
    }
    MISC_CHECK {
      misc_path /bin/false
      user nobody nogroup
      misc_timeout 1.5
    }
    MISC_CHECK {
      user
    }
    MISC_CHECK {
      misc_path /bin/false
      user nobody nosuchgroup
    }
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[
            (14, "invalid number '1.5'"),
            (14, "Invalid misc_timeout value '1.5'"),
            (17, "No user specified for misc checker script "),
            (
                18,
                "No script path has been specified for MISC_CHECKER - skipping"
            ),
            (
                21,
                "Failed to set uid/gid for misc checker script '/bin/false' - removing"
            ),
        ])
    );
    let l = load_text(text, &FakeHost::new());
    let c = &lvs_of(&l).virtual_servers[0].real_servers[0].checkers;
    assert_eq!(c.len(), 2);
    let CheckKind::Misc(m) = &c[0].kind else {
        panic!("MISC_CHECK expected")
    };
    // Words after the quoted command line are ignored; no user means the default one.
    assert_eq!(m.script.args, ["/bin/true", "-a", "b c"]);
    assert_eq!(m.script.user, User { uid: 0, gid: 0 });
    assert_eq!((m.timeout, m.dynamic), (secs(4), true));
    assert_eq!((c[0].retry, c[0].conn.clone()), (0, None));
    let CheckKind::Misc(m) = &c[1].kind else {
        panic!("MISC_CHECK expected")
    };
    assert_eq!(m.script.user.uid, 65534);
}

#[test]
fn smtp_host_blocks_make_more_checkers() {
    let text = "\
virtual_server 10.0.0.1 25 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 25 {
    SMTP_CHECK {
      helo_name mail.example.com
      connect_timeout 10
      host {
        connect_ip 10.0.0.3
        connect_port 2525
        retry 3
      }
      host {
        connect_ip fe80::3
      }
    }
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[(16, "Checker link local address fe80::3 requires a bind_if")])
    );
    let l = load_text(text, &FakeHost::new());
    let c = &lvs_of(&l).virtual_servers[0].real_servers[0].checkers;
    assert_eq!(c.len(), 2);
    let targets: Vec<(IpAddr, u16, Duration, u32)> = c
        .iter()
        .map(|c| {
            let k = c.conn.as_ref().unwrap();
            (k.ip, k.port, k.timeout, c.retry)
        })
        .collect();
    // A host's timeout stays 0 unless it sets one (keepalived 2.2.7).
    assert_eq!(
        targets,
        [
            (ip("10.0.0.2"), 25, secs(10), 3),
            (ip("10.0.0.3"), 2525, Duration::ZERO, 3)
        ]
    );
    assert_eq!(
        c[1].kind,
        CheckKind::Smtp {
            helo_name: "mail.example.com".into()
        }
    );
}

#[test]
fn udp_and_ping_checks() {
    let text = "\
virtual_server 10.0.0.1 53 {
  protocol UDP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 53 {
    UDP_CHECK {
      payload
      payload 01 02 0a0b
      require_reply 0X fF
      require_reply 0X Fe
      min_reply_length 70000
      max_reply_length 1
    }
    PING_CHECK {
      bind_if eth0eth0eth0eth0
    }
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[
            (7, "UDP_CHECK payload requires a payload"),
            (9, "Invalid hex string for UDP_CHECK reply"),
            (11, "number '70000' outside range [0, 65535]"),
            (
                11,
                "UDP_CHECK min length 70000 not valid - must be between 0 & 65535"
            ),
            (15, "Interface name eth0eth0eth0eth0 is too long - ignoring"),
        ])
    );
    let l = load_text(text, &FakeHost::new());
    let c = &lvs_of(&l).virtual_servers[0].real_servers[0].checkers;
    let CheckKind::Udp(u) = &c[0].kind else {
        panic!("UDP_CHECK expected")
    };
    assert_eq!(u.payload.as_deref(), Some(&[1u8, 2, 0x0a, 0x0b][..]));
    let reply = u.reply.as_ref().unwrap();
    assert_eq!(
        (reply.data.as_slice(), reply.mask.as_deref()),
        (&[0u8, 0xfe][..], Some(&[0x0fu8, 0][..]))
    );
    assert_eq!(
        (u.require_reply, u.min_reply_len, u.max_reply_len),
        (true, 0, 1)
    );
    assert_eq!(c[1].kind, CheckKind::Ping);
}

#[test]
fn dns_name_label_quirk() {
    let text = "\
virtual_server 10.0.0.1 53 {
  protocol UDP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 53 {
    DNS_CHECK {
      type aaaa
      type FOO
      name a.example.com
      name example..com
      name example.com
      name other.com
    }
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[
            (8, "Unknown DNS check type FOO - ignoring"),
            (
                9,
                "DNS_CHECK name 'a.example.com' has empty label - ignoring"
            ),
            (
                10,
                "DNS_CHECK name 'example..com' has empty label - ignoring"
            ),
            (12, "DNS_CHECK name already specified - ignoring"),
        ])
    );
}

#[test]
fn common_checker_keyword_errors() {
    let text = "\
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 80 {
    TCP_CHECK {
      connect_ip 10.0.0.x
      connect_port 0
      bindto 2001:db8::1
      bind_port abc
      fwmark -1
      retry -1
      delay_before_retry -1
      delay_loop 0
      alpha maybe
      log_all_failures perhaps
    }
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[
            (7, "Invalid connect_ip address 10.0.0.x - ignoring"),
            (8, "number '0' outside range [1, 65535]"),
            (8, "Invalid checker connect_port '0'"),
            (10, "invalid number 'abc'"),
            (10, "Invalid checker bind_port 'abc'"),
            (11, "negative number '-1'"),
            (11, "Invalid fwmark connection value '-1'"),
            (12, "negative number '-1'"),
            (12, "Invalid retry connection value '-1'"),
            (13, "negative number '-1'"),
            (13, "Invalid delay_before_retry connection value '-1'"),
            (
                14,
                "number '0' outside range [0.000001, 18446744073709.551614]"
            ),
            (14, "delay_loop '0' is invalid - ignoring"),
            (15, "Invalid alpha parameter maybe"),
            (16, "Invalid log_all_failures parameter perhaps"),
        ])
    );
}

#[test]
fn real_server_keyword_errors() {
    let text = "\
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 80 {
    weight -1
    uthreshold x
    inhibit_on_failure maybe
    retry 0
    warmup -2
    virtualhost
  }
  real_server 10.0.0.x {
    foo
  }
}
";
    assert_eq!(
        check(text).1,
        pairs(&[
            // keepalived skips the block silently; our parser has already read it.
            (14, "Unknown keyword 'foo'"),
            (6, "negative number '-1'"),
            (6, "Real server weight -1 is outside range 0-2147483647"),
            (7, "invalid number 'x'"),
            (7, "Invalid real_server uthreshold 'x' - ignoring"),
            (8, "Invalid inhibit_on_failure parameter maybe"),
            (9, "number '0' outside range [1, 4294967295]"),
            (9, "retry value invalid - 0"),
            (10, "negative number '-2'"),
            (10, "real server warmup '-2' invalid - ignoring"),
            (11, "real server virtualhost missing"),
            (
                13,
                "Invalid real server ip address/port 10.0.0.x/(null) - skipping"
            ),
        ])
    );
}

#[test]
fn missing_words_are_fatal() {
    for text in [
        "virtual_server 10.0.0.1 80 {\n lb_algo\n}\n",
        "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  weight\n }\n}\n",
        "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  HTTP_GET {\n   url {\n    path\n   }\n  }\n }\n}\n",
        "virtual_server group {\n}\n",
        "virtual_server_group G extra {\n 10.0.0.1 80\n}\n",
    ] {
        assert_eq!(load_text(text, &FakeHost::new()).exit_code(), 2, "{text}");
    }
}

#[test]
fn ssl_block() {
    let text = "SSL {\n password secret\n certificate\n key /a\n key /b\n}\nSSL {\n ca /x\n}\n";
    assert_eq!(
        check(text).1,
        pairs(&[
            (3, "SSL certfile missing"),
            (5, "SSL keyfile already specified - replacing"),
            (7, "SSL context already specified - replacing"),
        ])
    );
    let l = load_text(text, &FakeHost::new());
    let ssl = lvs_of(&l).ssl.clone().unwrap();
    assert_eq!((ssl.ca.as_deref(), ssl.key), (Some("/x"), None));
}

/// Loads `text` and returns the LVS part with every message (errors and notes).
fn build_with(text: &str, host: &FakeHost) -> (Lvs, Diagnostics) {
    let l = crate::config::testutil::load_text(text, host);
    (l.config.expect("a configuration").lvs, l.diags)
}

/// The messages that change the exit status.
fn errors_of(d: &Diagnostics) -> Vec<(u32, String)> {
    d.list
        .iter()
        .filter(|x| x.level != crate::config::diag::Level::Info)
        .map(|x| (x.loc.line, x.msg.clone()))
        .collect()
}

#[test]
fn file_check_uses_track_files_defined_before() {
    let text = "\
track_file tf1 {
  file /tmp/tf1
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 10.0.0.2 80 {
    FILE_CHECK {
      track_file tf1
    }
    FILE_CHECK {
      track_file tf1
      weight 10 reverse
    }
    FILE_CHECK {
      track_file tf2
      weight 3000000000
    }
  }
}
track_file tf2 {
  file /tmp/tf2
}
";
    let mut host = FakeHost::new();
    host.add_file("/tmp/tf1", 0o644);
    host.add_file("/tmp/tf2", 0o644);
    let (lvs, d) = build_with(text, &host);
    assert_eq!(
        errors_of(&d),
        pairs(&[
            (17, "track_file tf2 not found"),
            (18, "number '3000000000' outside integer range"),
            (
                18,
                "weight for track file must be in [-2147483647..2147483647] inclusive. Ignoring..."
            ),
            (19, "FILE_CHECK has no track_file specified - ignoring"),
        ])
    );
    let f = &lvs.virtual_servers[0].real_servers[0].file_checks;
    let got: Vec<(&str, i32, bool)> = f
        .iter()
        .map(|f| (f.track_file.as_str(), f.weight, f.reverse))
        .collect();
    // tf1 has keepalived's default weight, 1.
    assert_eq!(got, [("tf1", 1, false), ("tf1", 10, true)]);
}

#[test]
fn default_script_user_failure_is_reported_once() {
    let text = "\
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  quorum_up /bin/up
  real_server 10.0.0.2 80 {
    notify_up /bin/up
    notify_down /bin/down nobody
  }
}
";
    let text = format!("global_defs {{\n  enable_script_security\n}}\n{text}");
    let mut host = FakeHost::new();
    host.add_script("/bin/down");
    let (lvs, d) = build_with(&text, &host);
    let lines: Vec<(u32, String)> = d.list.iter().map(|x| (x.loc.line, x.msg.clone())).collect();
    assert_eq!(
        lines,
        pairs(&[
            (8, "Script user 'keepalived_script' does not exist"),
            (8, "Unable to set default user keepalived_script for script"),
            (
                8,
                "Failed to set default user for quorum script /bin/up - ignoring"
            ),
            (
                10,
                "Failed to set default user for notify script /bin/up - ignoring"
            ),
        ])
    );
    let vs = &lvs.virtual_servers[0];
    assert!(vs.quorum_up.is_none());
    let rs = &vs.real_servers[0];
    assert!(rs.notify_up.is_none());
    assert_eq!(rs.notify_down.as_ref().unwrap().user.uid, 65534);
    let mut lvs = lvs;
    assert_eq!(lvs.scripts_mut().len(), 1);
}

#[test]
fn capacity_of_checkers_per_real_server() {
    let checks = "    TCP_CHECK {\n    }\n".repeat(limits::MAX_CHECKERS_PER_RS + 1);
    let text = format!(
        "virtual_server 10.0.0.1 80 {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80 {{\n{checks} }}\n}}\n"
    );
    let (code, msgs) = check(&text);
    assert_eq!(code, 5);
    assert_eq!(
        msgs,
        [(
            6 + 2 * limits::MAX_CHECKERS_PER_RS as u32,
            format!(
                "TCP_CHECK: this real server has more than MAX_CHECKERS_PER_RS ({}) checkers - ignoring",
                limits::MAX_CHECKERS_PER_RS
            )
        )]
    );
}

#[test]
fn dump_shows_effective_values() {
    let text = "\
virtual_server_group G {
  10.0.0.1 80
  10.0.0.10-12 80
  fwmark 3 inet
}
virtual_server group G {
  protocol TCP
  lb_algo sh
  sh-port
  lb_kind TUN type gue port 6080 csum
  real_server 10.0.0.2 80 {
    weight 2
    HTTP_GET {
      url {
        path /
        status_code 200 404
      }
    }
  }
}
";
    let l = load_text(text, &FakeHost::new());
    let mut d = Dump::new();
    dump(lvs_of(&l), &mut d);
    let out = d.finish();
    for line in [
        "virtual_server_group G {\n  10.0.0.1 80\n  10.0.0.10-10.0.0.12 80\n  fwmark 3 inet\n}\n",
        "virtual_server group G {\n  ip_family inet\n  protocol TCP\n  lvs_sched sh\n  sh-port\n  lvs_method TUN type gue port 6080 csum\n",
        "  real_server 10.0.0.2 80 {\n    weight 2\n",
        "    HTTP_GET {\n      connect_ip 10.0.0.2\n      connect_port 80\n      connect_timeout 5\n      retry 1\n      delay_before_retry 3\n      warmup 60\n      delay_loop 60\n",
        "      url {\n        path /\n        status_code 200 404\n      }\n",
    ] {
        assert!(out.contains(line), "{line}\nnot in\n{out}");
    }
}

#[test]
fn dump_keeps_what_no_keyword_can_say() {
    // A checker of a real server without port connects to port 0 (keepalived fills in the
    // server's port later); an SMTP host block without timeout has timeout 0; a DR sorry
    // server without port does not match a real server, whose inhibit_on_failure it would
    // take.
    let text = "\
virtual_server 10.0.0.1 81 {
  protocol TCP
  lb_algo rr
  lb_kind DR
  sorry_server 10.0.0.2
  real_server 10.0.0.2 81 {
    inhibit_on_failure
  }
}
virtual_server 10.0.0.1 25 {
  protocol TCP
  lb_algo rr
  real_server 10.0.0.2 {
    TCP_CHECK {
    }
    SMTP_CHECK {
      host {
        connect_ip 10.0.0.3
      }
    }
  }
}
";
    let l = load_text(text, &FakeHost::new());
    let out = l.config.as_ref().expect("configuration").dump();
    for line in [
        "  sorry_server 10.0.0.2 # port 81\n",
        "  real_server 10.0.0.2 { # port 25\n",
        "    TCP_CHECK {\n      connect_ip 10.0.0.2\n      connect_timeout 5\n",
        "    SMTP_CHECK {\n      host {\n        connect_ip 10.0.0.3\n      }\n      # connect_timeout 0\n",
    ] {
        assert!(out.contains(line), "{line}\nnot in\n{out}");
    }
    let again = load_text(&out, &FakeHost::new());
    assert_eq!(again.config.as_ref().expect("configuration").dump(), out);
}

/// Every keyword of a rich configuration, given odd words: nothing may panic.
#[test]
fn odd_values_never_panic() {
    let base = "\
SSL {
  password p
}
virtual_server_group G {
  10.0.0.1 80
  fwmark 3 inet
}
virtual_server group G {
  protocol TCP
  lb_algo sh
  sh-port
  lb_kind TUN type gue port 1 csum
  persistence_granularity 24
  quorum_up /bin/x
  sorry_server 10.0.0.9 80
  sorry_server_lvs_method DR
  real_server 10.0.0.2 80 {
    weight 1
    uthreshold 1
    notify_up /bin/x
    connect_timeout 1
    HTTP_GET {
      url {
        path /
        digest 00000000000000000000000000000000
        status_code 200
        virtualhost v
      }
      http_protocol 1.1
      connect_ip 10.0.0.3
      bindto 10.0.0.4
      bind_port 1
      connect_port 1
      bind_if lo
      fwmark 1
      retry 1
      warmup 1
    }
    SMTP_CHECK {
      host {
        connect_ip 10.0.0.5
      }
    }
    MISC_CHECK {
      misc_path /bin/x
      misc_timeout 1
      user nobody
    }
    UDP_CHECK {
      payload 00
      require_reply 0X
      min_reply_length 1
    }
    DNS_CHECK {
      type A
      name a
    }
    FILE_CHECK {
      track_file t
      weight 1 reverse
    }
  }
}
virtual_server 10.0.0.1 80 {
  real_server 10.0.0.2 {
  }
}
";
    let odd = [
        "",
        "-",
        "0",
        "0x",
        "-1",
        "+5",
        "99999999999999999999",
        "4294967296",
        "::",
        "a-b",
        "/",
        "1-",
        "0.0.0.0/1",
        "::/1",
        "fe80::1",
        "10.0.0.1-2001:db8::1",
        "1.5.5",
        "\"\"",
        "é",
        "{",
        "}",
        "XX",
        "ff",
        "10.0.0.1-0",
        "10.0.0.255-254",
    ];
    let lines: Vec<&str> = base.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(kw) = line.split_whitespace().next() else {
            continue;
        };
        if kw == "}" {
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        for w in odd {
            let mut text = lines.clone();
            let changed = format!(
                "{indent}{kw} {w}{}",
                if line.ends_with('{') { " {" } else { "" }
            );
            text[i] = &changed;
            let _ = load_text(&(text.join("\n") + "\n"), &FakeHost::new());
            let leading = format!("{indent}{w} 80");
            text[i] = &leading;
            let _ = load_text(&(text.join("\n") + "\n"), &FakeHost::new());
        }
    }
}

#[test]
fn capacity_of_real_servers_per_virtual_server() {
    let n = limits::MAX_REAL_SERVERS_PER_VS;
    let servers: String = (0..=n)
        .map(|i| format!(" real_server 10.1.{}.{} 80 {{\n }}\n", i / 256, i % 256))
        .collect();
    let text = format!(
        "virtual_server 10.0.0.1 80 {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n{servers}}}\n"
    );
    let l = load_text(&text, &FakeHost::new());
    assert_eq!(l.exit_code(), 5);
    assert_eq!(lvs_of(&l).virtual_servers[0].real_servers.len(), n);
    assert_eq!(
        check(&text).1,
        [(
            5 + 2 * n as u32,
            format!(
                "real server: this virtual server has more than MAX_REAL_SERVERS_PER_VS ({n}) real servers - skipping"
            )
        )]
    );
}

#[test]
fn ssl_files_are_read_when_an_ssl_get_needs_them() {
    let conf = |checker: &str| {
        format!(
            "SSL {{\n ca /c.pem\n certificate /crt.pem\n key /k.pem\n}}\n\
             virtual_server 10.0.0.1 443 {{\n real_server 10.0.0.2 443 {{\n  {checker} {{\n   url {{\n    path /\n   }}\n  }}\n }}\n}}\n"
        )
    };
    let mut host = FakeHost::new();
    // Without an SSL_GET the files are not read: missing ones are no error.
    let l = load_text(&conf("HTTP_GET"), &host);
    assert!(l.fatal.is_none());
    assert!(lvs_of(&l).ssl.as_ref().unwrap().pem.key.is_empty());
    // With one, a missing file stops the load with its name and why.
    let l = load_text(&conf("SSL_GET"), &host);
    let f = l.fatal.as_ref().expect("fatal");
    assert_eq!(f.loc.line, 1);
    assert_eq!(
        f.msg,
        "SSL error: cannot read CA file '/c.pem': No such file or directory"
    );
    #[cfg(feature = "tls")]
    {
        use crate::check::tls::testing::{CERT, KEY};
        host.contents.insert("/c.pem".into(), CERT.into());
        host.contents.insert("/crt.pem".into(), CERT.into());
        host.contents.insert("/k.pem".into(), KEY.into());
        let l = load_text(&conf("SSL_GET"), &host);
        assert!(l.fatal.is_none(), "{:?}", l.fatal);
        let pem = &lvs_of(&l).ssl.as_ref().unwrap().pem;
        assert_eq!(pem.key, KEY.as_bytes());
        assert!(
            !format!("{pem:?}").contains("BEGIN"),
            "a key is never shown"
        );
        let fatal = |host: &FakeHost| {
            let l = load_text(&conf("SSL_GET"), host);
            l.fatal.map(|f| f.msg).unwrap_or_default()
        };
        let mut bad = host.clone();
        bad.contents
            .insert("/c.pem".into(), b"not a certificate".to_vec());
        assert_eq!(fatal(&bad), "SSL error: no certificate in CA file '/c.pem'");
        let mut bad = host.clone();
        bad.contents.insert("/crt.pem".into(), KEY.into());
        assert_eq!(
            fatal(&bad),
            "SSL error: no certificate in certificate file '/crt.pem'"
        );
        let mut bad = host.clone();
        let enc =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
        bad.contents.insert("/k.pem".into(), enc.into());
        assert!(
            fatal(&bad).contains("'/k.pem' is encrypted"),
            "{}",
            fatal(&bad)
        );
        let mut bad = host.clone();
        bad.contents.insert("/k.pem".into(), CERT.into());
        assert!(fatal(&bad).starts_with("SSL error: no usable key in key file '/k.pem'"));
    }
    #[cfg(not(feature = "tls"))]
    let _ = &mut host;
}

#[test]
fn url_regex_keywords() {
    let text = "virtual_server 10.0.0.1 80 {
 real_server 10.0.0.2 80 {
  HTTP_GET {
   url {
    path /a
    regex \"up (now|soon)\"
    regex_options caseless bogus ucp caseless
    regex_no_match
    regex_min_offset 5
    regex_max_offset 100
    regex_stack 10 20
   }
   url {
    path /b
    regex \"(unclosed\"
   }
   url {
    path /c
    regex_no_match
    regex_max_offset x
   }
   url {
    path /d
    regex ok
    regex_min_offset 50
    regex_max_offset 20
   }
  }
 }
}
";
    let l = load_text(text, &FakeHost::new());
    let m: Vec<(u32, Level, String)> = messages(&l);
    let has = |line: u32, level: Level, start: &str| {
        m.iter()
            .any(|(l, lv, t)| *l == line && *lv == level && t.starts_with(start))
    };
    assert!(
        has(7, Level::Info, "Unknown regex option 'bogus' - ignoring"),
        "{m:?}"
    );
    // Only a build with LVS compiles patterns.
    assert_eq!(
        has(15, Level::GeneralError, "Invalid regex: '(unclosed': "),
        cfg!(feature = "lvs"),
        "{m:?}"
    );
    assert!(
        has(20, Level::Info, "Invalid regex_max_offset x specified"),
        "{m:?}"
    );
    assert!(
        has(21, Level::Info, "regex parameters specified without regex"),
        "{m:?}"
    );
    assert!(
        has(
            27,
            Level::Info,
            "regex min offset 50 > regex_max_offset 20 - ignoring"
        ),
        "{m:?}"
    );
    assert_eq!(l.exit_code(), 5);
    let CheckKind::Http(h) = &lvs_of(&l).virtual_servers[0].real_servers[0].checkers[0].kind else {
        panic!("HTTP_GET");
    };
    let r = h.urls[0].regex.clone().expect("regex");
    assert_eq!(
        r,
        RegexConf {
            pattern: "up (now|soon)".into(),
            options: vec!["caseless".into(), "ucp".into()],
            no_match: true,
            min_offset: 5,
            max_offset: Some(100),
        }
    );
    assert_eq!(
        (h.urls[1].regex.is_some(), h.urls[2].regex.as_ref()),
        (!cfg!(feature = "lvs"), None)
    );
    let d = h.urls[3].regex.as_ref().expect("regex /d");
    assert_eq!((d.min_offset, d.max_offset), (0, None));
    // The dump reads back to the same regex.
    let dumped = l.config.as_ref().expect("config").dump();
    assert!(dumped.contains("regex \"up (now|soon)\""), "{dumped}");
    let again = load_text(&dumped, &FakeHost::new());
    let CheckKind::Http(h2) = &lvs_of(&again).virtual_servers[0].real_servers[0].checkers[0].kind
    else {
        panic!("HTTP_GET");
    };
    assert_eq!(h2.urls[0].regex, h.urls[0].regex);
}
