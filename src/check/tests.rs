//! Checker timelines in virtual time: keepalived's scheduling to the microsecond.

use super::*;
use crate::config::host::FakeHost;
use crate::config::testutil::load_text;

fn checkers(conf: &str) -> Checkers {
    let l = load_text(conf, &FakeHost::new());
    let cfg = l.config.as_ref().expect("configuration");
    Checkers::new(&cfg.lvs, 42)
}

fn at(s: f64) -> Instant {
    Instant::from_micros((s * 1e6).round() as u64)
}

struct Run {
    c: Checkers,
    a: Actions,
}

impl Run {
    fn new(conf: &str) -> Run {
        let c = checkers(conf);
        let a = Actions::with_capacity(c.action_capacity());
        Run { c, a }
    }

    fn start(&mut self) -> Vec<String> {
        self.a.clear();
        self.c.start(at(0.0), &mut self.a);
        self.out()
    }

    /// Runs the deadline, which must be `t`.
    fn tick(&mut self, t: f64) -> Vec<String> {
        assert_eq!(self.c.poll_at(), Some(at(t)), "next deadline");
        self.a.clear();
        self.c.handle_timeout(at(t), &mut self.a);
        self.out()
    }

    fn ev(&mut self, t: f64, id: u32, ev: ProbeEvent) -> Vec<String> {
        self.a.clear();
        self.c.probe_event(at(t), CheckerId(id), ev, &mut self.a);
        self.out()
    }

    fn misc(&mut self, t: f64, id: u32, e: MiscExit) -> Vec<String> {
        self.a.clear();
        self.c.misc_result(at(t), CheckerId(id), e, &mut self.a);
        self.out()
    }

    fn out(&self) -> Vec<String> {
        self.a
            .iter()
            .map(|a| match a {
                Action::Log(m) => self.c.text(*m).to_string(),
                Action::Probe { checker, kind } => format!("probe {} {kind:?}", checker.0),
                Action::CancelProbe(c) => format!("cancel {}", c.0),
                Action::RealServerUp(r) => format!("up {}/{}", r.vs, r.rs),
                Action::RealServerDown(r) => format!("down {}/{}", r.vs, r.rs),
                Action::NotifyUp(r) => format!("notify_up {}/{}", r.vs, r.rs),
                Action::NotifyDown(r) => format!("notify_down {}/{}", r.vs, r.rs),
                Action::Weight { rs, weight } => format!("weight {}/{} {weight}", rs.vs, rs.rs),
            })
            .collect()
    }
}

const REFUSED: ProbeEvent = ProbeEvent::Failed(libc::ECONNREFUSED);

fn tcp(opts: &str) -> String {
    format!(
        "virtual_server 10.0.0.1 80 {{\n delay_loop 10\n protocol TCP\n real_server 10.0.0.2 80 {{\n  TCP_CHECK {{\n   connect_timeout 3\n   warmup 0\n{opts}\n  }}\n }}\n}}\n"
    )
}

#[test]
fn tcp_retries_then_down_then_up() {
    let mut r = Run::new(&tcp("retry 2\ndelay_before_retry 2"));
    assert!(r.c.rs_alive(RsId { vs: 0, rs: 0 }));
    assert_eq!(
        r.start(),
        ["Activating healthchecker for service [10.0.0.2]:tcp:80 for VS [10.0.0.1]:tcp:80"]
    );
    // BOOTSTRAP_DELAY, no warm-up.
    assert_eq!(r.tick(1.0), ["probe 0 Tcp"]);
    assert_eq!(
        r.c.target(CheckerId(0)).map(|t| t.dst),
        Some("10.0.0.2:80".parse().unwrap())
    );
    // Two failures are retried delay_before_retry apart, silently.
    assert_eq!(r.ev(1.001, 0, REFUSED), ["cancel 0"]);
    assert_eq!(r.tick(3.001), ["probe 0 Tcp"]);
    assert_eq!(r.ev(3.002, 0, REFUSED), ["cancel 0"]);
    assert_eq!(r.tick(5.002), ["probe 0 Tcp"]);
    // The third is final.
    assert_eq!(
        r.ev(5.003, 0, REFUSED),
        [
            "cancel 0",
            "TCP_CHECK on service [10.0.0.2]:tcp:80 failed after 2 retries.",
            "Removing service [10.0.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80",
            "down 0/0",
            "notify_down 0/0"
        ]
    );
    assert!(!r.c.rs_alive(RsId { vs: 0, rs: 0 }));
    // Then every delay_loop; one success brings it back.
    assert_eq!(r.tick(15.003), ["probe 0 Tcp"]);
    assert_eq!(
        r.ev(15.004, 0, ProbeEvent::Connected),
        [
            "cancel 0",
            "TCP connection to [10.0.0.2]:tcp:80 success.",
            "Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80",
            "up 0/0",
            "notify_up 0/0"
        ]
    );
    assert_eq!(r.tick(25.004), ["probe 0 Tcp"]);
    // Up and succeeding: nothing to say.
    assert_eq!(r.ev(25.005, 0, ProbeEvent::Connected), ["cancel 0"]);
    // A probe nobody answers times out after connect_timeout, to the microsecond.
    assert_eq!(r.tick(35.005), ["probe 0 Tcp"]);
    assert_eq!(r.tick(38.005), ["cancel 0"]);
    assert_eq!(r.c.poll_at(), Some(at(40.005)));
    // A late event for a finished attempt is ignored.
    assert!(r.ev(38.5, 0, ProbeEvent::Connected).is_empty());
}

#[test]
fn ha_suspend_skips_attempts_while_the_address_is_away() {
    let mut r = Run::new(&tcp(""));
    r.c.start_suspended(0);
    assert_eq!(
        r.start(),
        ["Deactivating healthchecker for service [10.0.0.2]:tcp:80 for VS [10.0.0.1]:tcp:80"]
    );
    // Suspended: each attempt is skipped and rescheduled a delay_loop later.
    assert!(r.tick(1.0).is_empty());
    assert!(r.tick(11.0).is_empty());
    r.a.clear();
    r.c.set_enabled(0, true, &mut r.a);
    assert_eq!(
        r.out(),
        ["Activating healthchecker for service [10.0.0.2]:tcp:80 for VS [10.0.0.1]:tcp:80"]
    );
    assert_eq!(r.tick(21.0), ["probe 0 Tcp"]);
    assert_eq!(
        r.ev(21.001, 0, ProbeEvent::Connected),
        ["cancel 0", "TCP connection to [10.0.0.2]:tcp:80 success."]
    );
    r.a.clear();
    r.c.set_enabled(0, false, &mut r.a);
    assert_eq!(
        r.out(),
        ["Suspending healthchecker for service [10.0.0.2]:tcp:80 for VS [10.0.0.1]:tcp:80"]
    );
    // Another virtual server's address, or no change: nothing.
    r.a.clear();
    r.c.set_enabled(1, true, &mut r.a);
    r.c.set_enabled(0, false, &mut r.a);
    assert!(r.out().is_empty());
    assert!(r.tick(31.001).is_empty());
    // The verdict stays what it was.
    assert!(r.c.rs_alive(RsId { vs: 0, rs: 0 }));
}

#[test]
fn first_failure_without_retry_and_log_all_failures() {
    let mut r = Run::new(&tcp("retry 0\nlog_all_failures"));
    r.start();
    r.tick(1.0);
    assert_eq!(
        r.tick(4.0),
        [
            "TCP connection to [10.0.0.2]:tcp:80 timeout.",
            "cancel 0",
            "TCP_CHECK on service [10.0.0.2]:tcp:80 failed.",
            "Removing service [10.0.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80",
            "down 0/0",
            "notify_down 0/0"
        ]
    );
    assert_eq!(r.c.poll_at(), Some(at(14.0)));
}

#[test]
fn alpha_starts_down() {
    let mut r = Run::new(&tcp("alpha\nretry 1"));
    assert!(!r.c.rs_alive(RsId { vs: 0, rs: 0 }));
    r.start();
    r.tick(1.0);
    // An alpha checker's first failure only confirms it: notify_down, no IPVS change.
    assert_eq!(r.ev(1.5, 0, REFUSED), ["cancel 0"]);
    r.tick(2.5); // delay_before_retry defaults to 1 s
                 // keepalived's tcp_epilog: the retry made has_run true, and a checker that is down
                 // and has run says nothing more.
    assert_eq!(r.ev(2.6, 0, REFUSED), ["cancel 0"]);
    r.tick(12.6);
    assert_eq!(
        r.ev(12.7, 0, ProbeEvent::Connected),
        [
            "cancel 0",
            "TCP connection to [10.0.0.2]:tcp:80 success.",
            "Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80",
            "up 0/0",
            "notify_up 0/0"
        ]
    );
}

#[test]
fn alpha_first_success_adds_the_server() {
    let mut r = Run::new(&tcp("alpha"));
    r.start();
    r.tick(1.0);
    assert_eq!(
        r.ev(1.1, 0, ProbeEvent::Connected),
        [
            "cancel 0",
            "TCP connection to [10.0.0.2]:tcp:80 success.",
            "Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80",
            "up 0/0",
            "notify_up 0/0"
        ]
    );
}

#[test]
fn warmup_is_a_seeded_fraction_of_its_bound() {
    let conf = tcp("").replace("warmup 0", "warmup 4");
    let mut seen = Vec::new();
    for seed in 1..20u64 {
        let l = load_text(&conf, &FakeHost::new());
        let mut c = Checkers::new(&l.config.as_ref().unwrap().lvs, seed);
        let mut a = Actions::with_capacity(c.action_capacity());
        c.start(at(0.0), &mut a);
        let t = c.poll_at().unwrap().as_micros();
        assert!((1_000_000..=5_000_000).contains(&t), "{t}");
        seen.push(t);
        // The same seed, the same start.
        let mut c2 = Checkers::new(&l.config.as_ref().unwrap().lvs, seed);
        c2.start(at(0.0), &mut a);
        assert_eq!(c2.poll_at().unwrap().as_micros(), t);
    }
    seen.dedup();
    assert!(seen.len() > 10, "jitter: {seen:?}");
}

#[test]
fn two_checkers_one_server() {
    let conf = "virtual_server 10.0.0.1 80 {\n delay_loop 10\n protocol TCP\n real_server 10.0.0.2 80 {\n  TCP_CHECK {\n   warmup 0\n   retry 0\n  }\n  TCP_CHECK {\n   warmup 0\n   retry 0\n   connect_port 81\n  }\n }\n}\n";
    let mut r = Run::new(conf);
    r.start();
    assert_eq!(r.tick(1.0), ["probe 0 Tcp", "probe 1 Tcp"]);
    let down = r.ev(1.1, 0, REFUSED);
    assert!(down.contains(&"down 0/0".to_string()), "{down:?}");
    // The second failing changes nothing more.
    let second = r.ev(1.2, 1, REFUSED);
    assert!(!second
        .iter()
        .any(|l| l.starts_with("down") || l.starts_with("notify")));
    r.tick(11.1);
    // One back: still one down.
    let one = r.ev(11.15, 0, ProbeEvent::Connected);
    assert!(!one.iter().any(|l| l.starts_with("up")), "{one:?}");
    r.tick(11.2);
    let both = r.ev(11.3, 1, ProbeEvent::Connected);
    assert!(both.contains(&"up 0/0".to_string()), "{both:?}");
}

const HTTP: &str = "virtual_server 10.0.0.1 80 {
 delay_loop 10
 protocol TCP
 real_server 10.0.0.2 80 {
  HTTP_GET {
   url {
    path /a
   }
   url {
    path /b
    status_code 200-299 404
   }
   connect_timeout 2
   retry 1
   delay_before_retry 3
   warmup 0
  }
 }
}
";

fn http_ok(r: &mut Run, t: f64, status: &str) -> Vec<String> {
    r.ev(t, 0, ProbeEvent::Connected);
    let resp = format!("HTTP/1.0 {status} X\r\n\r\nbody");
    assert!(r.ev(t, 0, ProbeEvent::Data(resp.as_bytes())).is_empty());
    r.ev(t, 0, ProbeEvent::Closed)
}

#[test]
fn http_urls_one_per_cycle_retry_then_down() {
    let mut r = Run::new(HTTP);
    r.start();
    assert_eq!(r.tick(1.0), ["probe 0 Http"]);
    assert_eq!(
        r.c.pending_tx(CheckerId(0)),
        b"GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.2:80\r\n\r\n"
    );
    // The first url passes; the next url is fetched a delay_loop later.
    assert_eq!(http_ok(&mut r, 1.1, "200"), ["cancel 0"]);
    assert_eq!(r.tick(11.1), ["probe 0 Http"]);
    assert!(r.c.pending_tx(CheckerId(0)).starts_with(b"GET /b "));
    r.c.sent(CheckerId(0), 6);
    assert!(r.c.pending_tx(CheckerId(0)).starts_with(b" HTTP/1.0"));
    // 404 is in /b's status_code.
    assert_eq!(
        http_ok(&mut r, 11.2, "404"),
        [
            "cancel 0",
            "Remote Web server [10.0.0.2]:tcp:80 succeed on service."
        ]
    );
    // Back to /a; it fails (500), is retried delay_before_retry later, fails again: down.
    assert_eq!(r.tick(21.2), ["probe 0 Http"]);
    assert_eq!(http_ok(&mut r, 21.3, "500"), ["cancel 0"]);
    assert_eq!(r.tick(24.3), ["probe 0 Http"]);
    assert_eq!(
        http_ok(&mut r, 24.4, "500"),
        [
            "cancel 0",
            "HTTP_CHECK on service [10.0.0.2]:tcp:80 failed after 1 retries.",
            "Removing service [10.0.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80",
            "down 0/0",
            "notify_down 0/0"
        ]
    );
    // The failed url is re-tried every max(delay_before_retry, delay_loop).
    assert_eq!(r.tick(34.4), ["probe 0 Http"]);
    assert!(r.c.pending_tx(CheckerId(0)).starts_with(b"GET /a "));
    // It passes: every url is checked again before the server is up.
    assert_eq!(
        http_ok(&mut r, 34.5, "200"),
        [
            "cancel 0",
            "HTTP status code success to [10.0.0.2]:tcp:80 url(/a)"
        ]
    );
    assert_eq!(r.tick(44.5), ["probe 0 Http"]);
    assert!(r.c.pending_tx(CheckerId(0)).starts_with(b"GET /a "));
    http_ok(&mut r, 44.6, "200");
    r.tick(54.6);
    assert_eq!(
        http_ok(&mut r, 54.7, "200"),
        [
            "cancel 0",
            "HTTP status code success to [10.0.0.2]:tcp:80 url(/b)",
            "Remote Web server [10.0.0.2]:tcp:80 succeed on service.",
            "Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80",
            "up 0/0",
            "notify_up 0/0"
        ]
    );
}

#[test]
fn http_fast_recovery_checks_the_next_url_at_once() {
    let conf = HTTP.replace("warmup 0", "warmup 0\n   fast_recovery");
    let mut r = Run::new(&conf);
    r.start();
    r.tick(1.0);
    // Not run yet: the next url follows at once, not a delay_loop later.
    assert_eq!(http_ok(&mut r, 1.1, "200"), ["cancel 0"]);
    assert_eq!(r.tick(1.1), ["probe 0 Http"]);
    assert!(r.c.pending_tx(CheckerId(0)).starts_with(b"GET /b "));
    http_ok(&mut r, 1.2, "200");
    // Up: back to delay_loop.
    assert_eq!(r.c.poll_at(), Some(at(11.2)));
}

#[test]
fn http_refused_connection_is_a_failed_attempt() {
    let mut r = Run::new(HTTP);
    r.start();
    r.tick(1.0);
    assert_eq!(r.ev(1.1, 0, REFUSED), ["cancel 0"]);
    // Retried after delay_before_retry.
    assert_eq!(r.c.poll_at(), Some(at(4.1)));
    r.tick(4.1);
    let out = r.ev(4.2, 0, REFUSED);
    assert!(out.contains(&"down 0/0".to_string()), "{out:?}");
    // Down with a failed url: every max(delay_before_retry, delay_loop).
    assert_eq!(r.c.poll_at(), Some(at(14.2)));
}

#[test]
fn http_slow_server_times_out_per_step() {
    let mut r = Run::new(HTTP);
    r.start();
    r.tick(1.0);
    r.ev(1.5, 0, ProbeEvent::Connected);
    // Each step re-arms connect_timeout.
    assert!(r.ev(2.0, 0, ProbeEvent::Data(b"HTTP/1.0 2")).is_empty());
    assert_eq!(r.c.poll_at(), Some(at(4.0)));
    assert_eq!(r.tick(4.0), ["cancel 0"]);
    // Retry after delay_before_retry.
    assert_eq!(r.c.poll_at(), Some(at(7.0)));
}

#[test]
fn a_trickling_server_cannot_hold_an_attempt_open() {
    let mut r = Run::new(HTTP);
    r.start();
    r.tick(1.0);
    r.ev(1.5, 0, ProbeEvent::Connected);
    // One byte every second keeps each step alive ...
    let mut t = 2.0;
    while t < 9.0 {
        assert!(r.ev(t, 0, ProbeEvent::Data(b"H")).is_empty());
        t += 1.0;
        if r.c.poll_at() == Some(at(9.0)) {
            break;
        }
    }
    // ... but the attempt ends 4 connect_timeouts (2 s) after it began.
    assert_eq!(r.c.poll_at(), Some(at(9.0)));
    assert_eq!(r.tick(9.0), ["cancel 0"]);
}

#[test]
fn http_garbage_fails_at_once() {
    let mut r = Run::new(HTTP);
    r.start();
    r.tick(1.0);
    r.ev(1.1, 0, ProbeEvent::Connected);
    let junk = [b'z'; 4096];
    let mut out = Vec::new();
    for _ in 0..4 {
        out = r.ev(1.2, 0, ProbeEvent::Data(&junk));
        if !out.is_empty() {
            break;
        }
    }
    assert_eq!(out, ["cancel 0"]);
    assert_eq!(r.c.poll_at(), Some(at(4.2)));
}

#[cfg(not(feature = "tls"))]
#[test]
fn ssl_get_without_tls_says_so_and_fails() {
    let conf = HTTP
        .replace("HTTP_GET", "SSL_GET")
        .replace("retry 1", "retry 0");
    let mut r = Run::new(&conf);
    r.start();
    let out = r.tick(1.0);
    assert!(out[0].contains("SSL_GET needs the tls feature"), "{out:?}");
    assert!(out.contains(&"down 0/0".to_string()), "{out:?}");
}

#[test]
fn smtp_dialogue_and_failure() {
    let conf = "virtual_server 10.0.0.1 25 {\n delay_loop 10\n protocol TCP\n real_server 10.0.0.2 25 {\n  SMTP_CHECK {\n   warmup 0\n   retry 0\n   helo_name me.example\n  }\n }\n}\n";
    let mut r = Run::new(conf);
    r.start();
    assert_eq!(r.tick(1.0), ["probe 0 Smtp"]);
    r.ev(1.1, 0, ProbeEvent::Connected);
    assert!(r.c.pending_tx(CheckerId(0)).is_empty());
    r.ev(1.2, 0, ProbeEvent::Data(b"220 hi\r\n"));
    assert_eq!(r.c.pending_tx(CheckerId(0)), b"HELO me.example\r\n");
    r.c.sent(CheckerId(0), 17);
    r.ev(1.3, 0, ProbeEvent::Data(b"250 ok\r\n"));
    assert_eq!(r.c.pending_tx(CheckerId(0)), b"QUIT\r\n");
    // The first result is logged even when it confirms the initial state.
    assert_eq!(
        r.ev(1.4, 0, ProbeEvent::Data(b"221 bye\r\n")),
        [
            "cancel 0",
            "Remote SMTP server [10.0.0.2]:tcp:25 succeed on service."
        ]
    );
    r.tick(11.4);
    r.ev(11.5, 0, ProbeEvent::Connected);
    assert_eq!(
        r.ev(11.6, 0, ProbeEvent::Data(b"554 go away\r\n")),
        [
            "cancel 0",
            "SMTP_CHECK Bad greeting banner from server [10.0.0.2]:tcp:25",
            "Removing service [10.0.0.2]:tcp:25 from VS [10.0.0.1]:tcp:25",
            "down 0/0",
            "notify_down 0/0"
        ]
    );
}

#[test]
fn dns_ignores_strangers_and_fails_on_rcode() {
    let conf = "virtual_server 10.0.0.1 53 {\n delay_loop 10\n protocol UDP\n real_server 10.0.0.2 53 {\n  DNS_CHECK {\n   warmup 0\n   retry 0\n   type A\n   name example.com\n  }\n }\n}\n";
    let mut r = Run::new(conf);
    r.start();
    assert_eq!(r.tick(1.0), ["probe 0 Dns"]);
    assert_eq!(
        r.c.target(CheckerId(0)).unwrap().transport,
        Transport::Datagram
    );
    let q = r.c.pending_tx(CheckerId(0)).to_vec();
    assert_eq!(&q[12..], b"\x07example\x03com\x00\x00\x01\x00\x01");
    let mut reply = q.clone();
    reply[2] |= 0x80;
    let mut other = reply.clone();
    other[0] ^= 0xff;
    assert!(r.ev(1.1, 0, ProbeEvent::Data(&other)).is_empty());
    assert_eq!(r.ev(1.2, 0, ProbeEvent::Data(&reply)), ["cancel 0"]);
    r.tick(11.2);
    let q = r.c.pending_tx(CheckerId(0)).to_vec();
    let mut bad = q.clone();
    bad[2] |= 0x80;
    bad[3] = 2;
    assert_eq!(
        r.ev(11.3, 0, ProbeEvent::Data(&bad)),
        [
            "cancel 0",
            "DNS_CHECK ([10.0.0.2]:udp:53) read error occurred. (rcode = 2)",
            "Removing service [10.0.0.2]:udp:53 from VS [10.0.0.1]:udp:53",
            "down 0/0",
            "notify_down 0/0"
        ]
    );
}

#[test]
fn udp_silence_is_success_unless_a_reply_is_required() {
    let conf = "virtual_server 10.0.0.1 53 {\n delay_loop 10\n protocol UDP\n real_server 10.0.0.2 53 {\n  UDP_CHECK {\n   warmup 0\n   retry 0\n   connect_timeout 2\n   payload 0102\n  }\n }\n}\n";
    let mut r = Run::new(conf);
    r.start();
    r.tick(1.0);
    assert_eq!(r.c.pending_tx(CheckerId(0)), [1, 2]);
    assert_eq!(
        r.tick(3.0),
        ["cancel 0", "UDP connection to [10.0.0.2]:udp:53 success."]
    );
    r.tick(13.0);
    // An ICMP port unreachable fails it.
    let out = r.ev(13.1, 0, REFUSED);
    assert!(out.contains(&"down 0/0".to_string()), "{out:?}");
    let req = conf.replace("payload 0102", "payload 0102\n   require_reply 4f4b");
    let mut r = Run::new(&req);
    r.start();
    r.tick(1.0);
    assert!(r.tick(3.0).contains(&"down 0/0".to_string()));
    r.tick(13.0);
    assert!(r
        .ev(13.1, 0, ProbeEvent::Data(b"OK"))
        .contains(&"up 0/0".to_string()));
}

#[test]
fn ping_echo() {
    let conf = "virtual_server 10.0.0.1 80 {\n delay_loop 10\n protocol TCP\n real_server 10.0.0.2 80 {\n  PING_CHECK {\n   warmup 0\n   alpha\n  }\n }\n}\n";
    let mut r = Run::new(conf);
    r.start();
    assert_eq!(r.tick(1.0), ["probe 0 Ping"]);
    let mut reply = r.c.pending_tx(CheckerId(0)).to_vec();
    assert_eq!(reply[0], 8);
    reply[0] = 0;
    reply[2] = 0;
    reply[3] = 0;
    let c = icmp::checksum(&reply);
    reply[2..4].copy_from_slice(&c.to_be_bytes());
    let out = r.ev(1.1, 0, ProbeEvent::Data(&reply));
    assert_eq!(out[1], "ICMP connection to [10.0.0.2]:tcp:80 success.");
}

#[test]
fn misc_dynamic_weights_and_retries() {
    let conf = "virtual_server 10.0.0.1 80 {\n delay_loop 10\n protocol TCP\n real_server 10.0.0.2 80 {\n  weight 5\n  MISC_CHECK {\n   misc_path \"/bin/check arg\"\n   misc_dynamic\n   warmup 0\n   retry 1\n   delay_before_retry 2\n  }\n }\n}\n";
    let mut r = Run::new(conf);
    r.start();
    assert_eq!(r.tick(1.0), ["probe 0 Misc"]);
    let (script, timeout) = r.c.misc(CheckerId(0)).unwrap();
    assert_eq!(script.args[0], "/bin/check");
    assert_eq!(timeout, Duration::from_secs(10));
    // Exit 12 with misc_dynamic: weight 10.
    assert_eq!(
        r.misc(1.5, 0, MiscExit::Exited(12)),
        [
            "weight 0/0 10",
            "Misc check for [[10.0.0.2]:tcp:80 VS [10.0.0.1]:tcp:80] by [/bin/check] succeeded."
        ]
    );
    // The next run counts from the last start.
    assert_eq!(r.tick(11.0), ["probe 0 Misc"]);
    // Exit 1 fails: retried (silently, no log_all_failures) ...
    assert!(r.misc(11.5, 0, MiscExit::Exited(1)).is_empty());
    assert_eq!(r.tick(13.0), ["probe 0 Misc"]);
    // ... then down, the dynamic part of the weight dropped.
    assert_eq!(
        r.misc(13.1, 0, MiscExit::TimedOut),
        [
            "weight 0/0 5",
            "Misc check for [[10.0.0.2]:tcp:80 VS [10.0.0.1]:tcp:80] by [/bin/check] timed out after 1 retry.",
            "Removing service [10.0.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80",
            "down 0/0",
            "notify_down 0/0"
        ]
    );
    assert_eq!(r.tick(23.0), ["probe 0 Misc"]);
    assert_eq!(
        r.misc(23.2, 0, MiscExit::Exited(0)),
        [
            "Misc check for [[10.0.0.2]:tcp:80 VS [10.0.0.1]:tcp:80] by [/bin/check] succeeded.",
            "Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80",
            "up 0/0",
            "notify_up 0/0"
        ]
    );
}

#[test]
fn no_allocation_in_the_loop_capacity_holds() {
    // Many checkers due at once fit the action list.
    let mut conf = String::from("virtual_server 10.0.0.1 80 {\n delay_loop 1\n protocol TCP\n");
    for i in 0..200 {
        conf.push_str(&format!(
            " real_server 10.0.{}.{} 80 {{\n  TCP_CHECK {{\n   warmup 0\n   retry 0\n  }}\n }}\n",
            i / 250 + 1,
            i % 250 + 1
        ));
    }
    conf.push_str("}\n");
    let mut r = Run::new(&conf);
    r.start();
    r.a.clear();
    r.c.handle_timeout(at(1.0), &mut r.a);
    assert_eq!(r.a.len(), 200);
    // All fail at once: every line fits.
    r.a.clear();
    for i in 0..200 {
        r.c.probe_event(at(1.1), CheckerId(i), REFUSED, &mut r.a);
    }
    assert_eq!(r.a.dropped(), 0);
    // Thousands of cycles keep the heap within its capacity.
    let cap = r.c.heap.capacity();
    for k in 0..2000u64 {
        let t = at(2.1) + Duration::from_micros(k * 1_000_000);
        r.a.clear();
        r.c.handle_timeout(t, &mut r.a);
        for i in 0..200 {
            r.c.probe_event(t, CheckerId(i), ProbeEvent::Connected, &mut r.a);
        }
    }
    assert_eq!(r.c.heap.capacity(), cap);
}

#[cfg(feature = "tls")]
#[test]
fn ssl_get_through_tls() {
    use std::io::{Read, Write};
    let conf = HTTP.replace("HTTP_GET", "SSL_GET").replace(
        "    path /a\n",
        "    path /a\n    digest 5d41402abc4b2a76b9719d911017c592\n",
    );
    let mut r = Run::new(&conf);
    r.start();
    assert_eq!(r.tick(1.0), ["probe 0 Ssl"]);
    // Nothing in clear before the handshake.
    assert!(r.c.pending_tx(CheckerId(0)).is_empty());
    assert!(r.ev(1.1, 0, ProbeEvent::Connected).is_empty());
    let mut server = tls::testing::server();
    let mut out = Vec::new();
    let mut answered = false;
    for _ in 0..20 {
        let tx = r.c.pending_tx(CheckerId(0)).to_vec();
        r.c.sent(CheckerId(0), tx.len());
        let mut rd = &tx[..];
        while !rd.is_empty() {
            server.read_tls(&mut rd).unwrap();
            server.process_new_packets().unwrap();
        }
        let mut req = Vec::new();
        let _ = server.reader().read_to_end(&mut req);
        if !answered && req.starts_with(b"GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\n") {
            answered = true;
            server
                .writer()
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                .unwrap();
        }
        let mut back = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut back).unwrap();
        }
        if !back.is_empty() {
            out = r.ev(1.2, 0, ProbeEvent::Data(&back));
            if !out.is_empty() {
                break;
            }
        }
    }
    assert!(answered);
    assert_eq!(out, ["cancel 0"]);
    // The next url a delay_loop later.
    assert_eq!(r.c.poll_at(), Some(at(11.2)));
}

#[test]
fn http_regex_verdicts_in_virtual_time() {
    let conf = HTTP
        .replace(
            "    path /a\n",
            "    path /a\n    regex \"state: (up|ready)\"\n    regex_options caseless\n",
        )
        .replace(
            "    status_code 200-299 404\n",
            "    regex maintenance\n    regex_no_match\n",
        )
        .replace("retry 1", "retry 0")
        .replace("  HTTP_GET {", "  HTTP_GET {\n   alpha");
    let mut r = Run::new(&conf);
    r.start();
    let page = |r: &mut Run, t: f64, chunks: &[&[u8]]| {
        r.ev(t, 0, ProbeEvent::Connected);
        for c in chunks {
            assert!(r.ev(t, 0, ProbeEvent::Data(c)).is_empty());
        }
        r.ev(t, 0, ProbeEvent::Closed)
    };
    // /a: the match is cut across reads (and in another case).
    assert_eq!(r.tick(1.0), ["probe 0 Http"]);
    assert_eq!(
        page(
            &mut r,
            1.1,
            &[b"HTTP/1.0 200 OK\r\n\r\nSTATE: ", b"Rea", b"dy\n"]
        ),
        [
            "cancel 0",
            "Regex match success to [10.0.0.2]:tcp:80 url(/a)"
        ]
    );
    // /b must not say "maintenance": it does, so the url fails (no success line).
    assert_eq!(r.tick(11.1), ["probe 0 Http"]);
    let out = page(&mut r, 11.2, &[b"HTTP/1.0 200 OK\r\n\r\nmainten", b"ance"]);
    assert!(!out.iter().any(|l| l.contains("success")), "{out:?}");
    // /b again: without the word it passes; then every url once more before it is up.
    let next = |r: &Run| r.c.poll_at().expect("next").as_micros() as f64 / 1e6;
    let t = next(&r);
    assert_eq!(r.tick(t), ["probe 0 Http"]);
    let out = page(&mut r, t + 0.1, &[b"HTTP/1.0 200 OK\r\n\r\nall fine"]);
    assert_eq!(
        out,
        [
            "cancel 0",
            "Regex match success to [10.0.0.2]:tcp:80 url(/b)"
        ]
    );
    let mut up = false;
    for _ in 0..2 {
        let t = next(&r);
        let path = if r.tick(t) == ["probe 0 Http"] {
            ""
        } else {
            "?"
        };
        assert_eq!(path, "");
        let out = page(&mut r, t + 0.1, &[b"HTTP/1.0 200 OK\r\n\r\nstate: up"]);
        up |= out.contains(&"up 0/0".to_string());
    }
    assert!(up, "the server came up");
}
