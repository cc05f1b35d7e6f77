//! The IPVS generic netlink codec against bytes derived by hand from the uapi headers.
//!
//! How the expected bytes were derived: `linux/netlink.h` gives `struct nlmsghdr` (u32
//! length, u16 type, u16 flags, u32 sequence, u32 port id; NLM_F_REQUEST 0x1, NLM_F_ACK
//! 0x4, NLM_F_DUMP 0x300), `linux/genetlink.h` `struct genlmsghdr` (u8 cmd, u8 version,
//! u16 reserved), GENL_ID_CTRL 0x10, CTRL_CMD_GETFAMILY 3, CTRL_ATTR_FAMILY_NAME 2;
//! `struct nlattr` is u16 length (header included, padding excluded), u16 type, the value
//! padded to 4 bytes. `linux/ip_vs.h` gives the command and attribute numbers (enum order:
//! IPVS_CMD_NEW_SERVICE 1, IPVS_CMD_NEW_DEST 5, IPVS_CMD_NEW_DAEMON 9, IPVS_CMD_DEL_DAEMON
//! 10; IPVS_CMD_ATTR_SERVICE 1, _DEST 2, _DAEMON 3; IPVS_SVC_ATTR_AF 1 ... _NETMASK 9;
//! IPVS_DEST_ATTR_ADDR 1 ... _L_THRESH 6, _ADDR_FAMILY 11, _TUN_TYPE 13, _TUN_PORT 14,
//! _TUN_FLAGS 15; IPVS_DAEMON_ATTR_STATE 1, _MCAST_IFN 2, _SYNC_ID 3, _SYNC_MAXLEN 4,
//! _MCAST_PORT 7), IPVS_GENL_VERSION 1, `struct ip_vs_flags` (u32 flags, u32 mask) and the
//! value types from the kernel's netlink policy in `net/netfilter/ipvs/ip_vs_ctl.c`
//! (addresses as 16-byte `union nf_inet_addr`, ports big-endian `__be16`, the rest
//! host-order integers). libipvs (ipvsadm, keepalived) fills the same attributes in the
//! same order. Host-order values are written for a little-endian machine.

#![cfg(feature = "lvs")]
#![cfg(target_endian = "little")]

use std::net::{IpAddr, Ipv4Addr};

use keepalived_rs::ipvs::genl::{self, parse_dest, parse_family, parse_service};
use keepalived_rs::ipvs::model::{
    Dest, DestAttrs, DestKey, Fwd, Name, Netmask, Service, ServiceAttrs, ServiceKey, AF_INET,
    AF_INET6, SVC_F_HASHED, SVC_F_PERSISTENT, TUN_FLAG_CSUM, TUN_TYPE_GUE,
};
use keepalived_rs::ipvs::reconcile::Op;
use keepalived_rs::net::nl::attr::Writer;
use keepalived_rs::net::nl::msg::{Message, Messages};
use keepalived_rs::vrrp::action::InstanceId;
use keepalived_rs::vrrp::lvs_syncd::{SyncDaemon, SyncdRole};

const FAMILY: u16 = 0x23;

fn service() -> Service {
    Service {
        key: ServiceKey::Addr {
            protocol: 6,
            addr: IpAddr::from([10, 0, 0, 1]),
            port: 80,
        },
        attrs: ServiceAttrs {
            scheduler: Name::new("wrr").expect("name"),
            pe_name: Name::default(),
            flags: 0,
            timeout: 0,
            netmask: Netmask::full(AF_INET),
        },
    }
}

fn dest() -> Dest {
    Dest {
        key: DestKey {
            addr: IpAddr::from([192, 168, 0, 2]),
            port: 8080,
        },
        attrs: DestAttrs {
            fwd: Fwd::Masq,
            weight: 3,
            u_threshold: 0,
            l_threshold: 0,
        },
    }
}

fn encode(op: &Op) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let n = genl::encode_op(&mut buf, FAMILY, 7, op).expect("fits");
    buf[..n].to_vec()
}

fn one_message(bytes: &[u8]) -> Message<'_> {
    let mut it = Messages::new(bytes);
    let m = it.next().expect("a message").expect("well formed");
    assert!(it.next().is_none());
    m
}

#[test]
fn get_family_asks_the_controller_for_ipvs() {
    let mut buf = [0u8; 64];
    let n = genl::encode_get_family(&mut buf, 9).expect("fits");
    #[rustfmt::skip]
    let want: &[u8] = &[
        32, 0, 0, 0,   0x10, 0,   5, 0,   9, 0, 0, 0,   0, 0, 0, 0, // nlmsghdr: GENL_ID_CTRL, REQUEST|ACK
        3, 1, 0, 0,                                                 // CTRL_CMD_GETFAMILY, version 1
        9, 0, 2, 0,   b'I', b'P', b'V', b'S', 0, 0, 0, 0,           // CTRL_ATTR_FAMILY_NAME "IPVS\0"
    ];
    assert_eq!(&buf[..n], want);
}

#[test]
fn the_family_id_is_read_from_the_controllers_answer() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf);
    let m = w.begin_msg(0x10, 0, 9).expect("fits");
    w.fixed(&[1u8, 2, 0, 0]).expect("fits"); // CTRL_CMD_NEWFAMILY
    w.attr(2, &keepalived_rs::net::nl::attr::Str("IPVS"))
        .expect("fits");
    w.attr(1, &0x23u16).expect("fits"); // CTRL_ATTR_FAMILY_ID
    w.end_msg(m);
    let n = w.len();
    assert_eq!(parse_family(&one_message(&buf[..n])), Ok(0x23));
}

#[test]
fn new_service_bytes() {
    #[rustfmt::skip]
    let want: &[u8] = &[
        104, 0, 0, 0,  0x23, 0,  5, 0,  7, 0, 0, 0,  0, 0, 0, 0, // nlmsghdr: IPVS family, REQUEST|ACK, seq 7
        1, 1, 0, 0,                                             // IPVS_CMD_NEW_SERVICE, version 1
        84, 0, 1, 0,                                            // IPVS_CMD_ATTR_SERVICE
        6, 0, 1, 0,   2, 0, 0, 0,                               //   AF = AF_INET
        6, 0, 2, 0,   6, 0, 0, 0,                               //   PROTOCOL = TCP
        20, 0, 3, 0,  10, 0, 0, 1,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, // ADDR (nf_inet_addr)
        6, 0, 4, 0,   0, 80, 0, 0,                              //   PORT = htons(80)
        8, 0, 6, 0,   b'w', b'r', b'r', 0,                      //   SCHED_NAME "wrr"
        12, 0, 7, 0,  0, 0, 0, 0,  0xff, 0xff, 0xff, 0xff,      //   FLAGS {0, ~0}
        8, 0, 8, 0,   0, 0, 0, 0,                               //   TIMEOUT 0
        8, 0, 9, 0,   0xff, 0xff, 0xff, 0xff,                   //   NETMASK 255.255.255.255
    ];
    assert_eq!(encode(&Op::NewService(service())), want);
}

#[test]
fn new_dest_bytes() {
    #[rustfmt::skip]
    let want: &[u8] = &[
        140, 0, 0, 0,  0x23, 0,  5, 0,  7, 0, 0, 0,  0, 0, 0, 0,
        5, 1, 0, 0,                                             // IPVS_CMD_NEW_DEST
        48, 0, 1, 0,                                            // IPVS_CMD_ATTR_SERVICE (identifying)
        6, 0, 1, 0,   2, 0, 0, 0,
        6, 0, 2, 0,   6, 0, 0, 0,
        20, 0, 3, 0,  10, 0, 0, 1,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
        6, 0, 4, 0,   0, 80, 0, 0,
        72, 0, 2, 0,                                            // IPVS_CMD_ATTR_DEST
        6, 0, 11, 0,  2, 0, 0, 0,                               //   ADDR_FAMILY = AF_INET
        20, 0, 1, 0,  192, 168, 0, 2,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, // ADDR
        6, 0, 2, 0,   0x1f, 0x90, 0, 0,                         //   PORT = htons(8080)
        8, 0, 3, 0,   0, 0, 0, 0,                               //   FWD_METHOD = IP_VS_CONN_F_MASQ
        8, 0, 4, 0,   3, 0, 0, 0,                               //   WEIGHT 3
        8, 0, 5, 0,   0, 0, 0, 0,                               //   U_THRESH
        8, 0, 6, 0,   0, 0, 0, 0,                               //   L_THRESH
    ];
    assert_eq!(encode(&Op::NewDest(service().key, dest())), want);
}

#[test]
fn a_gue_tunnel_destination_carries_type_port_and_flags() {
    let mut d = dest();
    d.attrs.fwd = Fwd::tunnel(TUN_TYPE_GUE, 6080, TUN_FLAG_CSUM);
    let bytes = encode(&Op::SetDest(service().key, d));
    assert_eq!(bytes[16], 6); // IPVS_CMD_SET_DEST
    #[rustfmt::skip]
    let tail: &[u8] = &[
        8, 0, 3, 0,   2, 0, 0, 0,                               // FWD_METHOD = IP_VS_CONN_F_TUNNEL
        8, 0, 4, 0,   3, 0, 0, 0,                               // WEIGHT
        5, 0, 13, 0,  1, 0, 0, 0,                               // TUN_TYPE = GUE (u8)
        6, 0, 14, 0,  0x17, 0xc0, 0, 0,                         // TUN_PORT = htons(6080)
        6, 0, 15, 0,  1, 0, 0, 0,                               // TUN_FLAGS = CSUM (u16)
        8, 0, 5, 0,   0, 0, 0, 0,
        8, 0, 6, 0,   0, 0, 0, 0,
    ];
    assert!(bytes.ends_with(tail), "{bytes:?}");
}

#[test]
fn deletes_carry_only_what_identifies() {
    let bytes = encode(&Op::DelService(ServiceKey::Fwmark {
        af: AF_INET6,
        mark: 5,
    }));
    #[rustfmt::skip]
    let want: &[u8] = &[
        40, 0, 0, 0,  0x23, 0,  5, 0,  7, 0, 0, 0,  0, 0, 0, 0,
        3, 1, 0, 0,                                             // IPVS_CMD_DEL_SERVICE
        20, 0, 1, 0,
        6, 0, 1, 0,   10, 0, 0, 0,                              //   AF = AF_INET6
        8, 0, 5, 0,   5, 0, 0, 0,                               //   FWMARK 5
    ];
    assert_eq!(bytes, want);
    let bytes = encode(&Op::DelDest(service().key, dest().key));
    assert_eq!(bytes[16], 7); // IPVS_CMD_DEL_DEST
    assert_eq!(bytes.len(), 16 + 4 + 48 + 4 + 8 + 20 + 8);
}

#[test]
fn dumps_ask_for_every_service_and_one_services_destinations() {
    let mut buf = [0u8; 128];
    let n = genl::encode_get_services(&mut buf, FAMILY, 3).expect("fits");
    #[rustfmt::skip]
    let want: &[u8] = &[
        20, 0, 0, 0,  0x23, 0,  0x01, 0x03,  3, 0, 0, 0,  0, 0, 0, 0, // REQUEST|DUMP
        4, 1, 0, 0,                                             // IPVS_CMD_GET_SERVICE
    ];
    assert_eq!(&buf[..n], want);
    let n = genl::encode_get_dests(&mut buf, FAMILY, 4, &service().key).expect("fits");
    #[rustfmt::skip]
    let want: &[u8] = &[
        56, 0, 0, 0,  0x23, 0,  0x01, 0x03,  4, 0, 0, 0,  0, 0, 0, 0,
        8, 1, 0, 0,                                             // IPVS_CMD_GET_DEST
        36, 0, 1, 0,
        6, 0, 1, 0,   2, 0, 0, 0,
        6, 0, 2, 0,   6, 0, 0, 0,
        8, 0, 3, 0,   10, 0, 0, 1,                              //   ADDR, 4 bytes for IPv4
        6, 0, 4, 0,   0, 80, 0, 0,
    ];
    assert_eq!(&buf[..n], want);
}

fn syncd() -> SyncDaemon {
    SyncDaemon {
        instance: InstanceId(0),
        interface: "eth1".into(),
        sync_id: 51,
        max_len: Some(1400),
        port: Some(8848),
        ttl: None,
        group: None,
    }
}

#[test]
fn sync_daemon_start_and_stop_bytes() {
    let mut buf = [0u8; 128];
    let n =
        genl::encode_new_daemon(&mut buf, FAMILY, 1, &syncd(), SyncdRole::Master).expect("fits");
    #[rustfmt::skip]
    let want: &[u8] = &[
        68, 0, 0, 0,  0x23, 0,  5, 0,  1, 0, 0, 0,  0, 0, 0, 0,
        9, 1, 0, 0,                                             // IPVS_CMD_NEW_DAEMON
        48, 0, 3, 0,                                            // IPVS_CMD_ATTR_DAEMON
        8, 0, 1, 0,   1, 0, 0, 0,                               //   STATE = IP_VS_STATE_MASTER
        9, 0, 2, 0,   b'e', b't', b'h', b'1', 0, 0, 0, 0,       //   MCAST_IFN "eth1"
        8, 0, 3, 0,   51, 0, 0, 0,                              //   SYNC_ID 51
        6, 0, 4, 0,   0x78, 0x05, 0, 0,                         //   SYNC_MAXLEN 1400
        6, 0, 7, 0,   0x90, 0x22, 0, 0,                         //   MCAST_PORT 8848 (host order)
    ];
    assert_eq!(&buf[..n], want);
    let n = genl::encode_del_daemon(&mut buf, FAMILY, 2, SyncdRole::Backup, 51).expect("fits");
    #[rustfmt::skip]
    let want: &[u8] = &[
        40, 0, 0, 0,  0x23, 0,  5, 0,  2, 0, 0, 0,  0, 0, 0, 0,
        10, 1, 0, 0,                                            // IPVS_CMD_DEL_DAEMON
        20, 0, 3, 0,
        8, 0, 1, 0,   2, 0, 0, 0,                               //   STATE = IP_VS_STATE_BACKUP
        8, 0, 3, 0,   51, 0, 0, 0,                              //   SYNC_ID
    ];
    assert_eq!(&buf[..n], want);
    let mut long = syncd();
    long.interface = "a-very-long-ifname".into();
    assert!(genl::encode_new_daemon(&mut buf, FAMILY, 1, &long, SyncdRole::Master).is_err());
}

#[test]
fn what_is_encoded_parses_back() {
    let mut s = service();
    s.key = ServiceKey::Addr {
        protocol: 132,
        addr: "2001:db8::1".parse().expect("address"),
        port: 5060,
    };
    s.attrs.flags = SVC_F_PERSISTENT;
    s.attrs.timeout = 360;
    s.attrs.netmask = Netmask::v6(64);
    s.attrs.pe_name = Name::new("sip").expect("name");
    for svc in [service(), s] {
        let bytes = encode(&Op::NewService(svc));
        assert_eq!(parse_service(&one_message(&bytes)), Ok(svc));
    }
    let mut tun = dest();
    tun.attrs.fwd = Fwd::tunnel(TUN_TYPE_GUE, 6080, TUN_FLAG_CSUM);
    tun.attrs.u_threshold = 100;
    tun.attrs.l_threshold = 10;
    for d in [dest(), tun] {
        let bytes = encode(&Op::NewDest(service().key, d));
        assert_eq!(parse_dest(&one_message(&bytes), AF_INET), Ok(d));
    }
    let fwm = ServiceKey::Fwmark {
        af: AF_INET,
        mark: 9,
    };
    let svc = Service {
        key: fwm,
        attrs: service().attrs,
    };
    assert_eq!(
        parse_service(&one_message(&encode(&Op::SetService(svc)))),
        Ok(svc)
    );
}

#[test]
fn a_kernel_dump_reply_parses_without_its_bookkeeping() {
    // As ip_vs_genl_fill_service() writes it: the HASHED flag set, statistics nested.
    let mut buf = [0u8; 256];
    let mut w = Writer::new(&mut buf);
    let m = w.begin_msg(FAMILY, 2, 3).expect("fits"); // NLM_F_MULTI
    w.fixed(&[1u8, 1, 0, 0]).expect("fits");
    let n = w.nest(1).expect("fits");
    w.attr(1, &AF_INET).expect("fits");
    w.attr(2, &6u16).expect("fits");
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&Ipv4Addr::new(10, 0, 0, 1).octets());
    w.attr(3, &addr).expect("fits");
    w.attr(4, &80u16.to_be_bytes()).expect("fits");
    w.attr(6, &keepalived_rs::net::nl::attr::Str("wrr"))
        .expect("fits");
    let mut flags = [0u8; 8];
    flags[..4].copy_from_slice(&SVC_F_HASHED.to_ne_bytes());
    flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    w.attr(7, &flags).expect("fits");
    w.attr(8, &0u32).expect("fits");
    w.attr(9, &u32::MAX).expect("fits");
    let st = w.nest(10).expect("fits");
    w.attr(1, &12u32).expect("fits");
    w.end_nest(st).expect("fits");
    w.end_nest(n).expect("fits");
    w.end_msg(m);
    let len = w.len();
    assert_eq!(parse_service(&one_message(&buf[..len])), Ok(service()));
}

#[test]
fn malformed_replies_are_errors_not_panics() {
    let bytes = encode(&Op::NewService(service()));
    for cut in [20, 30, 60] {
        let mut b = bytes[..cut].to_vec();
        b[..4].copy_from_slice(&(cut as u32).to_ne_bytes());
        if let Some(Ok(m)) = Messages::new(&b).next() {
            assert!(parse_service(&m).is_err());
        }
    }
    // A destination message is not a service.
    let d = encode(&Op::DelDest(service().key, dest().key));
    assert!(parse_dest(&one_message(&d), AF_INET).is_err());
    let mut small = [0u8; 40];
    assert!(genl::encode_op(&mut small, FAMILY, 1, &Op::NewService(service())).is_err());
}
