//! The checker core allocates nothing after start-up: with a counting global allocator
//! (this file is its own test binary), every kind of checker runs attempts for 300 virtual
//! seconds — successes, failures, retries, timeouts, garbage, endless and lying HTTP
//! responses (through a url regex too), SMTP dialogues, DNS and UDP replies, ICMP echoes, MISC results with dynamic
//! weights — and this thread's allocation count stays at zero.

#![cfg(feature = "lvs")]

mod sim;

use keepalived_rs::check::{
    Action, Actions, CheckerId, Checkers, FileCheckId, MiscExit, ProbeEvent, ProbeKind,
};
use keepalived_rs::runtime::heap::{self, Counting};
use keepalived_rs::time::{Duration, Instant};

#[global_allocator]
static HEAP: Counting = Counting;

const CONF: &str = "
vrrp_track_file tf {
 file /tmp/ka-check-alloc-none
}
virtual_server 10.0.0.1 80 {
 delay_loop 1
 protocol TCP
 real_server 10.0.0.2 80 {
  weight 3
  TCP_CHECK {
   connect_timeout 1
   retry 1
   delay_before_retry 1
  }
  HTTP_GET {
   url {
    path /a
    digest 5d41402abc4b2a76b9719d911017c592
   }
   url {
    path /b
    regex \"HEL+O|^nothing\"
    regex_options caseless
   }
   connect_timeout 1
   retry 1
   delay_before_retry 1
  }
  SMTP_CHECK {
   connect_timeout 1
  }
  DNS_CHECK {
   connect_timeout 1
   name example.com
  }
  UDP_CHECK {
   connect_timeout 1
   require_reply 4f4b
  }
  PING_CHECK {
   connect_timeout 1
  }
  MISC_CHECK {
   misc_path /bin/chk
   misc_dynamic
  }
  FILE_CHECK {
   track_file tf
   weight 2
  }
 }
}
";

/// A canned answer to every kind of probe, varied by `round`.
fn answer(
    c: &mut Checkers,
    now: Instant,
    id: CheckerId,
    kind: ProbeKind,
    round: u64,
    a: &mut Actions,
) {
    let ok = round % 3 != 0;
    match kind {
        ProbeKind::Tcp => {
            let ev = if ok {
                ProbeEvent::Connected
            } else {
                ProbeEvent::Failed(111)
            };
            c.probe_event(now, id, ev, a);
        }
        ProbeKind::Http | ProbeKind::Ssl => {
            c.probe_event(now, id, ProbeEvent::Connected, a);
            let n = c.pending_tx(id).len();
            c.sent(id, n);
            match round % 5 {
                0 => {
                    let junk = [b'z'; 4096];
                    for _ in 0..4 {
                        c.probe_event(now, id, ProbeEvent::Data(&junk), a);
                    }
                }
                1 => {
                    c.probe_event(
                        now,
                        id,
                        ProbeEvent::Data(b"HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\nhello"),
                        a,
                    );
                    c.probe_event(now, id, ProbeEvent::Closed, a);
                }
                2 => {
                    c.probe_event(now, id, ProbeEvent::Data(b"HTTP/1.0 200 OK\r\n\r\n"), a);
                    let body = [b'x'; 8192];
                    for _ in 0..200 {
                        c.probe_event(now, id, ProbeEvent::Data(&body), a);
                    }
                }
                _ => {
                    c.probe_event(
                        now,
                        id,
                        ProbeEvent::Data(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
                        a,
                    );
                    c.probe_event(now, id, ProbeEvent::Closed, a);
                }
            }
        }
        ProbeKind::Smtp => {
            c.probe_event(now, id, ProbeEvent::Connected, a);
            c.probe_event(now, id, ProbeEvent::Data(b"220 hi\r\n"), a);
            let n = c.pending_tx(id).len();
            c.sent(id, n);
            let r: &[u8] = if ok { b"250 ok\r\n" } else { b"500 no\r\n" };
            c.probe_event(now, id, ProbeEvent::Data(r), a);
            c.probe_event(now, id, ProbeEvent::Data(b"221 bye\r\n"), a);
        }
        ProbeKind::Dns => {
            let mut reply = [0u8; 64];
            let q = c.pending_tx(id);
            let n = q.len().min(reply.len());
            reply[..n].copy_from_slice(&q[..n]);
            reply[2] |= 0x80;
            if !ok {
                reply[3] |= 3;
            }
            c.probe_event(now, id, ProbeEvent::Data(&reply[..n]), a);
        }
        ProbeKind::Udp => {
            if ok {
                c.probe_event(now, id, ProbeEvent::Data(b"OK"), a);
            }
            // Otherwise silence: the timeout fails it.
        }
        ProbeKind::Ping => {
            let mut r = [0u8; 64];
            let q = c.pending_tx(id);
            let n = q.len().min(r.len());
            r[..n].copy_from_slice(&q[..n]);
            r[0] = 0;
            r[2] = 0;
            r[3] = 0;
            let sum = keepalived_rs::check::icmp::checksum(&r[..n]);
            r[2..4].copy_from_slice(&sum.to_be_bytes());
            if ok {
                c.probe_event(now, id, ProbeEvent::Data(&r[..n]), a);
            }
        }
        ProbeKind::Misc => {
            let e = match round % 4 {
                0 => MiscExit::Exited(1),
                1 => MiscExit::Exited(7),
                2 => MiscExit::TimedOut,
                _ => MiscExit::Exited(0),
            };
            c.misc_result(now, id, e, a);
        }
    }
}

#[test]
fn the_checker_core_allocates_nothing_after_start_up() {
    let config = sim::load_config(CONF);
    let mut c = Checkers::new(&config.lvs, 3);
    let mut a = Actions::with_capacity(c.action_capacity());
    let mut due: Vec<(CheckerId, ProbeKind)> = Vec::with_capacity(64);
    c.start(Instant::from_micros(0), &mut a);
    let mut now = Instant::from_micros(0);
    let end = Instant::from_micros(300_000_000);
    let mut rounds = 0u64;
    let mut actions = 0usize;
    heap::start_counting();
    while let Some(t) = c.poll_at() {
        if t > end {
            break;
        }
        now = t;
        a.clear();
        c.handle_timeout(now, &mut a);
        due.clear();
        for act in a.iter() {
            if let Action::Probe { checker, kind } = act {
                due.push((*checker, *kind));
            }
        }
        actions += a.len();
        for &(id, kind) in &due {
            rounds += 1;
            a.clear();
            answer(
                &mut c,
                now + Duration::from_micros(100),
                id,
                kind,
                rounds,
                &mut a,
            );
            actions += a.len();
        }
        a.clear();
        c.file_value(now, FileCheckId(0), (rounds % 3) as i64, &mut a);
    }
    let n = heap::stop_counting();
    assert!(rounds > 1000, "{rounds} attempts");
    assert!(actions > 1000);
    assert!(now > Instant::from_micros(290_000_000));
    assert_eq!(n, 0, "allocations in the checker core's loop");
}
