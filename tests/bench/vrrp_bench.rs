//! `make bench`: nanoseconds the VRRP core spends to receive, validate and process one advert
//! (a BACKUP hearing its master: wire views, the receive ladder, the state machine) and to emit
//! one (a MASTER's advert into a buffer), with no IO. Release build; best of several runs.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant as Clock;

use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::model::vrrp::Family;
use keepalived_rs::config::{load, LoadOptions};
use keepalived_rs::time::Instant;
use keepalived_rs::vrrp::action::{Action, Actions, InstanceId, SendAdvert, SockId};
use keepalived_rs::vrrp::router::Router;
use keepalived_rs::vrrp::rx::Received;
use keepalived_rs::vrrp::tx::MAX_ADVERT_LEN;

const RUNS: usize = 5;
const PACKETS: usize = 200_000;

fn router(priority: u8, extra: &str, last: u8) -> Router {
    let text = format!(
        "vrrp_instance VI_1 {{
            state BACKUP
            interface eth0
            virtual_router_id 51
            priority {priority}
            {extra}
            virtual_ipaddress {{
                10.0.0.100/24
                10.0.0.101/24
            }}
        }}\n"
    );
    let dir = std::env::temp_dir().join(format!("ka-vrrp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, text).expect("write configuration");
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: None,
        all_config: false,
    };
    let loaded = load(&opts, &FakeHost::new());
    let _ = std::fs::remove_dir_all(&dir);
    let config = loaded.config.expect("configuration loads");
    let mut r = Router::new(&config.vrrp, &config.global);
    let mut out = Actions::with_capacity(r.action_capacity());
    let addr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, last));
    r.interface_address(
        Instant::from_micros(0),
        "eth0",
        Family::V4,
        Some(addr),
        &mut out,
    );
    r.start(Instant::from_micros(0), &mut out);
    r
}

/// A MASTER's adverts as bytes (each with the next IP ID and AH sequence number).
fn adverts(master: &mut Router, n: usize) -> Vec<Vec<u8>> {
    let mut out = Actions::with_capacity(master.action_capacity());
    let mut packets = Vec::with_capacity(n);
    let mut buf = [0u8; MAX_ADVERT_LEN];
    while packets.len() < n {
        let Some(t) = master.poll_at() else {
            break;
        };
        master.handle_timeout(t, &mut out);
        for a in out.iter() {
            if let Action::SendAdvert(adv) = a {
                if let Ok(e) = master.emit_advert(adv, 0, &mut buf) {
                    packets.push(buf[..e.len].to_vec());
                }
            }
        }
        out.clear();
    }
    packets
}

/// Best-of-runs nanoseconds per call of `f` over `n` calls.
fn time(n: usize, mut f: impl FnMut(usize)) -> f64 {
    (0..RUNS)
        .map(|_| {
            let start = Clock::now();
            for k in 0..n {
                f(k);
            }
            start.elapsed().as_nanos() as f64 / n as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// ns per receive+validate+process and per emit, for one kind of instance.
fn measure(extra: &str, distinct: bool) -> (f64, f64) {
    let mut master = router(150, extra, 1);
    let packets = adverts(&mut master, if distinct { PACKETS * RUNS } else { 1 });
    let mut backup = router(100, extra, 2);
    let mut out = Actions::with_capacity(backup.action_capacity());
    let mut clock = 1_000_000u64;
    let mut next = 0usize;
    let recv = time(PACKETS, |k| {
        // AH refuses a replayed sequence number: every packet must be new.
        let p = if distinct {
            next += 1;
            &packets[next - 1]
        } else {
            &packets[0]
        };
        clock += 1_000;
        let rx = Received {
            bytes: p,
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            hop_limit: None,
            multicast: true,
        };
        backup.handle_advert(Instant::from_micros(clock), SockId(0), &rx, &mut out);
        black_box(k);
        out.clear();
    });
    let stats = backup.instances()[0].stats();
    assert_eq!(
        stats.advert_rcvd as usize,
        PACKETS * RUNS,
        "every advert accepted ({extra})"
    );
    let a = SendAdvert {
        instance: InstanceId(0),
        priority: 150,
        ip_id: 1,
        ah_seq: 1,
        src: master.instances()[0].source(),
    };
    let mut buf = [0u8; MAX_ADVERT_LEN];
    let emit = time(PACKETS, |k| {
        let e = master.emit_advert(black_box(&a), 0, &mut buf);
        let _ = black_box((e, k));
    });
    (recv, emit)
}

fn main() {
    let kinds = [
        ("VRRPv2, no authentication", "advert_int 1", false),
        (
            "VRRPv3, 10 ms interval",
            "version 3\nadvert_int 0.01",
            false,
        ),
        (
            "VRRPv2, IPsec AH",
            "advert_int 1\nauthentication {\n auth_type AH\n auth_pass secret\n}",
            true,
        ),
    ];
    println!("VRRP core (release build, no IO), one instance, 2 VIPs; ns per advert, best of {RUNS} x {PACKETS}:");
    let mut worst: f64 = 0.0;
    for (name, extra, distinct) in kinds {
        let (recv, emit) = measure(extra, distinct);
        worst = worst.max(recv).max(emit);
        println!("  {name:<28} receive+validate+process {recv:>7.0} ns   emit {emit:>7.0} ns");
    }
    let verdict = if worst <= 2_000.0 { "met" } else { "NOT met" };
    println!("  goal <= 2000 ns each: {verdict}");
}
