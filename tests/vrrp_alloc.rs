//! The VRRP core allocates nothing after start-up: with a counting global allocator (this
//! file is its own test binary, so the allocator is process-wide here), two routers elect,
//! fail over and recover for 200 virtual seconds through `handle_advert`, `handle_timeout`
//! and `emit_advert` (plus the tracking inputs), on valid and invalid packets, and the count
//! of allocations on this thread stays at zero.

mod sim;

use keepalived_rs::runtime::heap::{self, Counting};
use std::net::{IpAddr, Ipv4Addr};

use keepalived_rs::config::model::vrrp::Family;
use keepalived_rs::time::Instant;
use keepalived_rs::vrrp::action::{Action, Actions, SockId};
use keepalived_rs::vrrp::instance::State;
use keepalived_rs::vrrp::router::Router;
use keepalived_rs::vrrp::rx::Received;
use keepalived_rs::vrrp::track::ScriptExit;
use keepalived_rs::vrrp::tx::MAX_ADVERT_LEN;

#[global_allocator]
static HEAP: Counting = Counting;

fn node(text: &str, last: u8) -> (Router, Actions) {
    let mut r = sim::load(text);
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
    out.clear();
    (r, out)
}

/// Emits every advert `from` asked for and hands it to `to`.
fn carry(
    from: &Router,
    from_out: &mut Actions,
    to: &mut Router,
    to_out: &mut Actions,
    now: Instant,
    buf: &mut [u8],
) -> usize {
    let mut sent = 0;
    for a in from_out.iter() {
        let Action::SendAdvert(adv) = a else {
            continue;
        };
        for dest in 0..from.advert_destinations(adv.instance) {
            let Ok(e) = from.emit_advert(adv, dest, buf) else {
                continue;
            };
            let rx = Received {
                bytes: &buf[..e.len],
                src: e.src,
                hop_limit: None,
                multicast: false,
            };
            to.handle_advert(now, SockId(0), &rx, to_out);
            sent += 1;
        }
    }
    from_out.clear();
    sent
}

#[test]
fn the_hot_paths_allocate_nothing_after_start_up() {
    let script = "vrrp_script chk {\n script \"/bin/chk\"\n interval 1\n weight -60\n}\n";
    let auth = "authentication {\n auth_type AH\n auth_pass secret\n}";
    let a_text = format!(
        "{script}{}",
        sim::conf(150, &format!("{auth}\ntrack_script {{\n chk\n}}"))
    );
    let (mut a, mut a_out) = node(&a_text, 1);
    let (mut b, mut b_out) = node(&sim::conf(100, auth), 2);
    let chk = a.find_script("chk").expect("script");
    let garbage: Vec<Vec<u8>> = vec![vec![0x45; 40], vec![0; 7], vec![0xff; 300]];
    let mut buf = vec![0u8; MAX_ADVERT_LEN];
    let mut sent = 0;
    let mut masters = [0usize; 2];

    heap::start_counting();
    let mut now = Instant::from_micros(0);
    let end = sim::secs(200.0);
    while now < end {
        let next = [a.poll_at(), b.poll_at()].into_iter().flatten().min();
        let Some(t) = next else {
            break;
        };
        now = t;
        a.handle_timeout(now, &mut a_out);
        b.handle_timeout(now, &mut b_out);
        let at = now.as_micros() / 1_000_000;
        if at == 60 {
            // A's script fails: priority 90, B takes over; at 120 s it recovers.
            a.script_result(now, chk, ScriptExit::Exited(1), &mut a_out);
        }
        if at == 120 {
            a.script_result(now, chk, ScriptExit::Exited(0), &mut a_out);
            a.link_changed(now, "eth0", false, &mut a_out);
        }
        if at == 130 {
            a.link_changed(now, "eth0", true, &mut a_out);
        }
        for g in &garbage {
            let rx = Received {
                bytes: g,
                src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)),
                hop_limit: None,
                multicast: true,
            };
            b.handle_advert(now, SockId(0), &rx, &mut b_out);
        }
        sent += carry(&a, &mut a_out, &mut b, &mut b_out, now, &mut buf);
        sent += carry(&b, &mut b_out, &mut a, &mut a_out, now, &mut buf);
        a_out.clear();
        b_out.clear();
        for (k, r) in [&a, &b].into_iter().enumerate() {
            if r.instances()[0].state() == State::Master {
                masters[k] += 1;
            }
        }
    }
    let allocations = heap::stop_counting();
    assert!(sent > 150, "only {sent} adverts exchanged");
    assert!(masters[0] > 0 && masters[1] > 0, "no failover: {masters:?}");
    assert_eq!(allocations, 0, "the VRRP core allocated after start-up");
}

/// The counter behind these assertions sees allocations (a zero above means something).
#[test]
fn the_counter_counts_this_threads_allocations() {
    heap::start_counting();
    let v = std::hint::black_box(vec![1u8; 64]);
    drop(v);
    assert!(heap::stop_counting() >= 1);
    assert_eq!(heap::stop_counting(), 0, "stopped counting");
}
