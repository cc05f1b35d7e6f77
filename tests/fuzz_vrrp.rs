//! Property-based fuzzing of the VRRP receive path and state machine: arbitrary bytes,
//! mutated real adverts and well-formed adverts with arbitrary fields, interleaved with
//! timeouts and tracking events, go through view → Repr → receive ladder → state machine.
//! The properties: nothing panics, and the core's state stays coherent (priorities within
//! keepalived's bounds, each state with exactly its timer, no action lost, no deadline left
//! behind).
//!
//! Cases: `FUZZ_CASES` (default 200; `make test` runs more).

mod sim;

use std::net::{IpAddr, Ipv4Addr};

use keepalived_rs::config::model::vrrp::{Family, Version};
use keepalived_rs::time::{Duration, Instant};
use keepalived_rs::vrrp::action::{Actions, SockId};
use keepalived_rs::vrrp::instance::State;
use keepalived_rs::vrrp::router::Router;
use keepalived_rs::vrrp::rx::Received;
use keepalived_rs::vrrp::timer::Timer;
use keepalived_rs::vrrp::track::ScriptExit;
use keepalived_rs::vrrp::wire::{
    checksum_v2, emit_ipv4_advert, Addrs, AdvertRepr, AuthField, Ipv4Fields, GROUP_V4,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

const SCRIPT: &str = "vrrp_script chk {\n script \"/bin/chk\"\n interval 1\n weight -30\n}\n";

/// Configurations covering the ladder's branches: plain v2, PASS, AH, v3, unicast with
/// source checks and a tracked source, an owner, preempt_delay, a sync group, a tracked script, IPv6.
fn configs() -> Vec<String> {
    let one = |extra: &str| sim::conf(150, extra);
    vec![
        one(""),
        one("authentication {\n auth_type PASS\n auth_pass secret\n}"),
        one("authentication {\n auth_type AH\n auth_pass secret\n}"),
        one("version 3\nadvert_int 0.5"),
        one("version 3\nunicast_src_ip 10.0.0.1\nunicast_peer {\n 10.0.0.2 min_ttl 10 max_ttl 200\n}\ncheck_unicast_src\ntrack_src_ip"),
        sim::conf(255, "").replace("state BACKUP", "state MASTER"),
        one("preempt_delay 1.5\nskip_check_adv_addr\nhigher_prio_send_advert"),
        format!(
            "vrrp_sync_group G {{\n group {{\n VI_1\n VI_2\n }}\n}}\n{}{}",
            one("lower_prio_no_advert"),
            one("").replace("VI_1", "VI_2").replace("router_id 51", "router_id 52")
        ),
        format!("{SCRIPT}{}", one("track_script {\n chk\n}\ntrack_interface {\n lo weight 20\n}")),
        "vrrp_instance V6 {\n interface eth0\n virtual_router_id 51\n priority 120\n virtual_ipaddress {\n fe80::100/64\n 2001:db8::100/64\n }\n}\n".into(),
    ]
}

/// A started router for configuration `k`, with its v6 address known too.
fn router(k: usize) -> (Router, Actions) {
    let text = &configs()[k % configs().len()];
    let mut r = sim::load(text);
    let mut out = Actions::with_capacity(r.action_capacity());
    let t0 = Instant::from_micros(0);
    let v4 = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    r.interface_address(t0, "eth0", Family::V4, Some(v4), &mut out);
    let v6: IpAddr = "fe80::1".parse().expect("address");
    r.interface_address(t0, "eth0", Family::V6, Some(v6), &mut out);
    r.start(t0, &mut out);
    (r, out)
}

/// The fields of a well-formed advert to build.
struct Fields<'a> {
    version: Version,
    vrid: u8,
    priority: u8,
    interval: u16,
    vips: &'a [IpAddr],
    src: u8,
    /// AH (VRRPv2 only), signed with `secret`, with this sequence number.
    ah: Option<u32>,
    pass: bool,
}

/// A well-formed IPv4 advert (empty if the fields cannot be sent).
fn advert(f: &Fields) -> Vec<u8> {
    let auth = match (f.ah, f.pass) {
        (Some(_), _) => AuthField::Ah,
        (None, true) => AuthField::Pass(*b"secret\0\0"),
        _ => AuthField::None,
    };
    let adver_int = match f.version {
        Version::V2 => Duration::from_secs(u64::from(f.interval % 256)),
        Version::V3 => Duration::from_micros(u64::from(f.interval % 4096) * 10_000),
    };
    let repr = AdvertRepr {
        version: f.version,
        vrid: f.vrid,
        priority: f.priority,
        adver_int,
        addrs: Addrs::List(f.vips),
        auth: if f.version == Version::V3 {
            AuthField::None
        } else {
            auth
        },
    };
    let ip = Ipv4Fields {
        src: Ipv4Addr::new(10, 0, 0, f.src),
        dst: GROUP_V4,
        ttl: 255,
        id: 1,
    };
    let key = *b"secret\0\0";
    let mut buf = [0u8; 2048];
    let ah =
        f.ah.filter(|_| f.version == Version::V2)
            .map(|seq| (&key, seq));
    match emit_ipv4_advert(&repr, &ip, ah, false, &mut buf) {
        Ok(n) => buf[..n].to_vec(),
        Err(_) => Vec::new(),
    }
}

#[derive(Clone, Debug)]
enum Op {
    Bytes(Vec<u8>, bool),
    Mutated {
        fields: (u8, u8, u16, u8),
        edits: Vec<(usize, u8)>,
        cut: usize,
    },
    Advert {
        v3: bool,
        vrid: u8,
        priority: u8,
        interval: u16,
        src: u8,
        seq: u32,
        vips: u8,
    },
    Advance(u32),
    Link(bool),
    Script(i32),
    /// A VIP (or the configured source address) deleted from eth0.
    AddressRemoved(bool),
    /// eth0 (or lo) deleted.
    Deleted(bool),
    /// eth0 back: up, with its primary address and the configured source.
    Restored,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            proptest::collection::vec(any::<u8>(), 0..128),
            any::<bool>()
        )
            .prop_map(|(b, v6)| Op::Bytes(b, v6)),
        (
            any::<(u8, u8, u16, u8)>(),
            proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
            any::<usize>()
        )
            .prop_map(|(fields, edits, cut)| Op::Mutated { fields, edits, cut }),
        (
            any::<bool>(),
            prop_oneof![Just(51u8), Just(52u8), any::<u8>()],
            any::<u8>(),
            prop_oneof![Just(1u16), Just(50), Just(100), any::<u16>()],
            0u8..4,
            any::<u32>(),
            0u8..3
        )
            .prop_map(
                |(v3, vrid, priority, interval, src, seq, vips)| Op::Advert {
                    v3,
                    vrid,
                    priority,
                    interval,
                    src,
                    seq,
                    vips
                }
            ),
        (0u32..5_000_000).prop_map(Op::Advance),
        any::<bool>().prop_map(Op::Link),
        (0i32..3).prop_map(Op::Script),
        any::<bool>().prop_map(Op::AddressRemoved),
        any::<bool>().prop_map(Op::Deleted),
        Just(Op::Restored),
    ]
}

fn deliver(r: &mut Router, now: Instant, bytes: &[u8], v6: bool, out: &mut Actions) {
    let family = if v6 { Family::V6 } else { Family::V4 };
    let sock = r
        .sockets()
        .iter()
        .position(|s| s.family == family)
        .unwrap_or(0);
    let rx = Received {
        bytes,
        src: if v6 {
            "fe80::2".parse().expect("address")
        } else {
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))
        },
        hop_limit: Some(255),
        multicast: true,
    };
    r.handle_advert(now, SockId(sock as u16), &rx, out);
}

/// The coherence the core must keep whatever it was fed; `timed`: all deadlines up to
/// `now` were just handled.
fn coherent(r: &Router, now: Instant, out: &Actions, timed: bool) -> Result<(), TestCaseError> {
    prop_assert_eq!(out.dropped(), 0);
    for i in r.instances() {
        let p = i.effective_priority();
        if i.base_priority() == 255 {
            prop_assert_eq!(p, 255);
        } else {
            prop_assert!((1..=254).contains(&p), "priority {}", p);
        }
        let (advert, down) = (i.deadline(Timer::Advert), i.deadline(Timer::MasterDown));
        match i.state() {
            State::Master => prop_assert!(advert.is_some() && down.is_none()),
            State::Backup => prop_assert!(advert.is_none() && down.is_some()),
            State::Fault => prop_assert!(advert.is_none() && down.is_none()),
            State::Init => prop_assert!(false, "INIT after start"),
        }
    }
    if let Some(t) = r.poll_at().filter(|_| timed) {
        prop_assert!(t > now, "a deadline left behind: {:?} <= {:?}", t, now);
    }
    Ok(())
}

fn run(k: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let (mut r, mut out) = router(k);
    let mut now = Instant::from_micros(0);
    let vips: Vec<IpAddr> = ["10.0.0.100", "10.0.0.101"]
        .iter()
        .map(|a| a.parse().expect("address"))
        .collect();
    for op in ops {
        out.clear();
        match op {
            Op::Bytes(b, v6) => deliver(&mut r, now, b, *v6, &mut out),
            Op::Mutated {
                fields: (vrid, prio, int, src),
                edits,
                cut,
            } => {
                let mut p = advert(&Fields {
                    version: Version::V2,
                    vrid: 51 + vrid % 2,
                    priority: *prio,
                    interval: *int % 3,
                    vips: &vips[..1],
                    src: src % 4,
                    ah: None,
                    pass: false,
                });
                for &(at, x) in edits {
                    if !p.is_empty() {
                        let n = p.len();
                        p[at % n] ^= x;
                    }
                }
                // Keep the checksum right half the time, so later steps are reached.
                if cut % 2 == 0 && p.len() > 28 {
                    p[26] = 0;
                    p[27] = 0;
                    let sum = checksum_v2(&p[20..]);
                    p[26..28].copy_from_slice(&sum.to_be_bytes());
                }
                let n = p.len();
                p.truncate(n - (cut % 4).min(n));
                deliver(&mut r, now, &p, false, &mut out);
            }
            Op::Advert {
                v3,
                vrid,
                priority,
                interval,
                src,
                seq,
                vips: n,
            } => {
                let version = if *v3 { Version::V3 } else { Version::V2 };
                let ah = (seq % 2 == 0).then_some(*seq);
                let p = advert(&Fields {
                    version,
                    vrid: *vrid,
                    priority: *priority,
                    interval: *interval,
                    vips: &vips[..usize::from(*n % 3).min(2)],
                    src: 1 + src,
                    ah,
                    pass: seq % 3 == 0,
                });
                deliver(&mut r, now, &p, false, &mut out);
            }
            Op::Advance(d) => {
                now = now + Duration::from_micros(u64::from(*d));
                while let Some(t) = r.poll_at().filter(|&t| t <= now) {
                    r.handle_timeout(t, &mut out);
                    prop_assert_eq!(out.dropped(), 0);
                    out.clear();
                }
                r.handle_timeout(now, &mut out);
            }
            Op::Link(up) => r.link_changed(now, if *up { "lo" } else { "eth0" }, *up, &mut out),
            Op::Script(code) => {
                if let Some(s) = r.find_script("chk") {
                    r.script_result(now, s, ScriptExit::Exited(*code), &mut out);
                }
            }
            Op::AddressRemoved(source) => {
                let addr = if *source {
                    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))
                } else {
                    vips[0]
                };
                r.address_removed(now, "eth0", addr, &mut out)
            }
            Op::Deleted(lo) => r.interface_deleted(now, if *lo { "lo" } else { "eth0" }, &mut out),
            Op::Restored => {
                let me = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
                r.link_changed(now, "eth0", true, &mut out);
                r.interface_address(now, "eth0", Family::V4, Some(me), &mut out);
                r.address_added(now, "eth0", me, &mut out);
            }
        }
        coherent(&r, now, &out, matches!(op, Op::Advance(_)))?;
    }
    out.clear();
    r.stop(now, &mut out);
    prop_assert_eq!(r.poll_at(), None);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_input_keeps_the_core_coherent(k in 0usize..10, ops in proptest::collection::vec(op(), 1..80)) {
        run(k, &ops)?;
    }
}

#[test]
fn every_configuration_loads_and_runs() {
    for k in 0..configs().len() {
        let ops = [Op::Advance(4_000_000), Op::Advance(4_000_000)];
        run(k, &ops).unwrap_or_else(|e| panic!("configuration {k}: {e}"));
    }
}
