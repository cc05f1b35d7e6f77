//! The checker core and `net::probe` together on the real kernel, inside a network
//! namespace the test makes: local listeners (a TCP port, an HTTP server, a UDP echo, a DNS
//! responder, a garbage-speaking and a slow-loris HTTP server, closed TCP and UDP ports,
//! ICMP and ICMPv6 echo) checked through a small poll loop in real time. A listener closing takes its server down, reopening brings it
//! back; the garbage and slow-loris servers fail their checks and never hold up the others.

#![cfg(feature = "lvs")]

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration as StdDuration;

use common::{in_netns, system_ready, Netns};
use keepalived_rs::check::{Action, Actions, CheckerId, Checkers, ProbeEvent, ProbeKind};
use keepalived_rs::config::model::lvs::Lvs;
use keepalived_rs::config::{self, LoadOptions};
use keepalived_rs::limits;
use keepalived_rs::net::probe::{Probe, Recv};
use keepalived_rs::sys::RealHost;
use keepalived_rs::time::Instant;

/// MD5 of "hello".
const HELLO_MD5: &str = "5d41402abc4b2a76b9719d911017c592";

fn conf() -> String {
    let c = "connect_timeout 1\n retry 0\n warmup 0";
    let ssl = if cfg!(feature = "tls") {
        format!(
            "virtual_server 10.9.9.9 443 {{
 delay_loop 1
 protocol TCP
 real_server 127.0.0.1 9011 {{
  SSL_GET {{
   url {{
    path /ok
    digest {HELLO_MD5}
   }}
   {c}
   alpha
  }}
 }}
}}
"
        )
    } else {
        String::new()
    };
    format!(
        "virtual_server 10.9.9.9 80 {{
 delay_loop 1
 protocol TCP
 real_server 127.0.0.1 9001 {{
  TCP_CHECK {{ {c} }}
 }}
 real_server 127.0.0.1 9002 {{
  HTTP_GET {{
   url {{
    path /ok
    digest {HELLO_MD5}
   }}
   {c}
  }}
 }}
 real_server 127.0.0.1 9003 {{
  HTTP_GET {{
   url {{
    path /
   }}
   {c}
  }}
 }}
 real_server 127.0.0.1 9004 {{
  HTTP_GET {{
   url {{
    path /
   }}
   {c}
  }}
 }}
 real_server 127.0.0.1 9005 {{
  TCP_CHECK {{ {c} }}
 }}
 real_server 127.0.0.1 9006 {{
  PING_CHECK {{
   {c}
   alpha
  }}
 }}
}}
{ssl}virtual_server fd00::9 80 {{
 delay_loop 1
 protocol TCP
 real_server ::1 9008 {{
  PING_CHECK {{
   {c}
   alpha
  }}
 }}
}}
virtual_server 10.9.9.9 53 {{
 delay_loop 1
 protocol UDP
 real_server 127.0.0.1 9007 {{
  UDP_CHECK {{
   {c}
   payload 6869
   require_reply 4f4b
   alpha
  }}
 }}
 real_server 127.0.0.1 9009 {{
  DNS_CHECK {{
   {c}
   name example.com
   alpha
  }}
 }}
 real_server 127.0.0.1 9010 {{
  UDP_CHECK {{
   {c}
   payload 6869
  }}
 }}
}}
"
    )
    .replace("{ connect", "{\n connect")
}

fn serve_http(l: TcpListener) {
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut req = Vec::new();
            let mut b = [0u8; 512];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut b) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&b[..n]),
                }
            }
            let ok = req.starts_with(b"GET /ok HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\n");
            let resp: &[u8] = if ok {
                b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"
            } else {
                b"HTTP/1.0 400 Bad\r\n\r\n"
            };
            let _ = s.write_all(resp);
        }
    });
}

fn serve_garbage(l: TcpListener) {
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let junk = [b'z'; 4096];
                while s.write_all(&junk).is_ok() {}
            });
        }
    });
}

fn serve_slow_loris(l: TcpListener) {
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                // A byte every 300 ms: each read step is well inside connect_timeout.
                while s.write_all(b"H").is_ok() {
                    std::thread::sleep(StdDuration::from_millis(300));
                }
            });
        }
    });
}

fn serve_udp(u: UdpSocket) {
    std::thread::spawn(move || {
        let mut b = [0u8; 64];
        while let Ok((n, from)) = u.recv_from(&mut b) {
            if &b[..n] == b"hi" {
                let _ = u.send_to(b"OK", from);
            }
        }
    });
}

/// Answers every query with its own header, QR set, RCODE 0.
fn serve_dns(u: UdpSocket) {
    std::thread::spawn(move || {
        let mut b = [0u8; 512];
        while let Ok((n, from)) = u.recv_from(&mut b) {
            if n >= 12 {
                b[2] |= 0x80;
                let _ = u.send_to(&b[..n], from);
            }
        }
    });
}

/// An HTTPS server with a self-signed certificate (made with openssl for this test).
#[cfg(feature = "tls")]
fn serve_https(l: TcpListener) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBhjCCASugAwIBAgIUIquMccBzOJh0LXTf3TgjzKcHOFcwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMY2hlY2tlci10ZXN0MCAXDTI2MTEyMzA4NTEzMloYDzIxMjYx
MDMwMDg1MTMyWjAXMRUwEwYDVQQDDAxjaGVja2VyLXRlc3QwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAARZJlcuT7680PR6nAgVc+4WPg5uepq6EffDZy+yLUU8msF/
c3E9hv1/rI5Se9qoM4I8veifvW3230D11DCk/AVEo1MwUTAdBgNVHQ4EFgQU28gH
qqfcpAK5UufIOfZ40kuWulowHwYDVR0jBBgwFoAU28gHqqfcpAK5UufIOfZ40kuW
ulowDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA3r0Iy4UA5yhc
ELH/WEy0Yudfby7W8+EwZIqDvpWsYD8CIQDxIKKvn4DQLq9IuyMWPTu9fePl+f8n
2fUvxy5gCL7yHw==
-----END CERTIFICATE-----
";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgO8qDy9qT4k3WQU+P
nygHEP/T4xboekKF1KzFiH0iGoOhRANCAARZJlcuT7680PR6nAgVc+4WPg5uepq6
EffDZy+yLUU8msF/c3E9hv1/rI5Se9qoM4I8veifvW3230D11DCk/AVE
-----END PRIVATE KEY-----
";
    let certs = vec![CertificateDer::from_pem_slice(CERT.as_bytes()).expect("cert")];
    let key = PrivateKeyDer::from_pem_slice(KEY.as_bytes()).expect("key");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let cfg = std::sync::Arc::new(cfg);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { continue };
            let Ok(conn) = rustls::ServerConnection::new(cfg.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, s);
            let mut req = Vec::new();
            let mut b = [0u8; 512];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut b) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&b[..n]),
                }
            }
            if req.starts_with(b"GET /ok HTTP/1.0\r\n") {
                let _ = tls.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            }
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
}

struct Driver {
    c: Checkers,
    probes: HashMap<u32, Probe>,
    t0: std::time::Instant,
    /// (seconds since start, line)
    log: Vec<(f64, String)>,
    probe_count: HashMap<u32, usize>,
    buf: Vec<u8>,
}

impl Driver {
    /// The checkers of `lvs`, started now, their first actions executed.
    fn start(lvs: &Lvs) -> Driver {
        let mut d = Driver {
            c: Checkers::new(lvs, 7),
            probes: HashMap::new(),
            t0: std::time::Instant::now(),
            log: Vec::new(),
            probe_count: HashMap::new(),
            buf: vec![0u8; limits::PROBE_RECV_BUFFER],
        };
        let mut a = Actions::with_capacity(d.c.action_capacity());
        d.c.start(d.now(), &mut a);
        d.exec(&a);
        d
    }

    fn now(&self) -> Instant {
        Instant::from_micros(self.t0.elapsed().as_micros() as u64)
    }

    fn secs(&self) -> f64 {
        self.t0.elapsed().as_secs_f64()
    }

    fn exec(&mut self, a: &Actions) {
        let list: Vec<Action> = a.iter().copied().collect();
        assert_eq!(a.dropped(), 0);
        for act in list {
            let t = self.secs();
            match act {
                Action::Probe { checker, kind } => {
                    *self.probe_count.entry(checker.0).or_default() += 1;
                    if kind == ProbeKind::Misc {
                        continue;
                    }
                    let target = self.c.target(checker).expect("target").clone();
                    match Probe::open(&target) {
                        Ok(p) => {
                            let connected = !p.connecting();
                            self.probes.insert(checker.0, p);
                            if connected {
                                self.event(checker, ProbeEvent::Connected);
                            }
                        }
                        Err(e) => {
                            let errno = e.raw_os_error().unwrap_or(libc::EIO);
                            self.event(checker, ProbeEvent::Failed(errno));
                        }
                    }
                }
                Action::CancelProbe(c) => {
                    self.probes.remove(&c.0);
                }
                Action::Log(m) => self.log.push((t, self.c.text(m).to_string())),
                other => self.log.push((t, format!("{other:?}"))),
            }
        }
    }

    fn event(&mut self, id: CheckerId, ev: ProbeEvent) {
        let mut a = Actions::with_capacity(self.c.action_capacity());
        let now = self.now();
        self.c.probe_event(now, id, ev, &mut a);
        self.flush(id);
        self.exec(&a);
    }

    fn flush(&mut self, id: CheckerId) {
        let Some(p) = self.probes.get(&id.0) else {
            return;
        };
        if p.connecting() {
            return;
        }
        let tx = self.c.pending_tx(id);
        if tx.is_empty() {
            return;
        }
        match p.send(tx) {
            Ok(n) => self.c.sent(id, n),
            Err(e) => self.event(id, ProbeEvent::Failed(e)),
        }
    }

    fn ready(&mut self, id: CheckerId, revents: i16) {
        let Some(p) = self.probes.get_mut(&id.0) else {
            return;
        };
        if p.connecting() {
            if revents & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP) != 0 {
                match p.connect_result() {
                    Ok(()) => self.event(id, ProbeEvent::Connected),
                    Err(e) => self.event(id, ProbeEvent::Failed(e)),
                }
            }
            return;
        }
        if revents & libc::POLLOUT != 0 {
            self.flush(id);
        }
        // Drain to EAGAIN (or until the core ends the attempt).
        loop {
            let Some(p) = self.probes.get(&id.0) else {
                return;
            };
            let mut buf = std::mem::take(&mut self.buf);
            let r = p.recv(&mut buf);
            match r {
                Recv::Data { start, end } => self.event(id, ProbeEvent::Data(&buf[start..end])),
                Recv::WouldBlock => {
                    self.buf = buf;
                    return;
                }
                Recv::Eof => self.event(id, ProbeEvent::Closed),
                Recv::Error(e) => self.event(id, ProbeEvent::Failed(e)),
            }
            self.buf = buf;
            if matches!(r, Recv::Eof | Recv::Error(_)) {
                return;
            }
        }
    }

    /// Runs the loop until `until` seconds; `hook` runs on every turn.
    fn run(&mut self, until: f64, mut hook: impl FnMut(f64)) {
        loop {
            let t = self.secs();
            if t >= until {
                return;
            }
            hook(t);
            let mut fds: Vec<libc::pollfd> = Vec::new();
            let mut ids = Vec::new();
            for (id, p) in &self.probes {
                let mut events = libc::POLLIN;
                if p.connecting() || !self.c.pending_tx(CheckerId(*id)).is_empty() {
                    events |= libc::POLLOUT;
                }
                fds.push(libc::pollfd {
                    fd: p.as_raw_fd(),
                    events,
                    revents: 0,
                });
                ids.push(*id);
            }
            let now = self.now().as_micros();
            let wait_us = self
                .c
                .poll_at()
                .map_or(50_000, |d| d.as_micros().saturating_sub(now).min(50_000));
            let ms = wait_us.div_ceil(1000) as i32;
            // SAFETY: `fds` is a live array of its length.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            assert!(
                n >= 0 || std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
            );
            for (pfd, id) in fds.iter().zip(&ids) {
                if pfd.revents != 0 {
                    self.ready(CheckerId(*id), pfd.revents);
                }
            }
            let mut a = Actions::with_capacity(self.c.action_capacity());
            let now = self.now();
            self.c.handle_timeout(now, &mut a);
            self.exec(&a);
        }
    }

    fn when(&self, line: &str) -> Option<f64> {
        self.log.iter().find(|(_, l)| l == line).map(|(t, _)| *t)
    }
}

#[test]
fn probes_in_a_namespace() {
    if !system_ready(&["ip"]) {
        return;
    }
    let ns = Netns::new("chk");
    let dir = std::env::temp_dir().join(format!("ka-check-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, conf()).expect("config");
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: Some("node1".into()),
        all_config: false,
    };
    let loaded = config::load(&opts, &RealHost::default());
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = loaded.config.expect("configuration");
    let log = in_netns(&ns.name, || {
        let tcp = TcpListener::bind("127.0.0.1:9001").expect("9001");
        serve_http(TcpListener::bind("127.0.0.1:9002").expect("9002"));
        serve_garbage(TcpListener::bind("127.0.0.1:9003").expect("9003"));
        serve_slow_loris(TcpListener::bind("127.0.0.1:9004").expect("9004"));
        serve_udp(UdpSocket::bind("127.0.0.1:9007").expect("9007"));
        serve_dns(UdpSocket::bind("127.0.0.1:9009").expect("9009"));
        #[cfg(feature = "tls")]
        serve_https(TcpListener::bind("127.0.0.1:9011").expect("9011"));
        let mut d = Driver::start(&cfg.lvs);
        let mut tcp = Some(tcp);
        let mut reopened = None;
        d.run(8.5, |t| {
            // The TCP listener closes at 3.5 s and comes back at 6 s.
            if t >= 3.5 && tcp.is_some() {
                tcp = None;
            }
            if t >= 6.0 && reopened.is_none() {
                reopened = Some(TcpListener::bind("127.0.0.1:9001").expect("9001 again"));
            }
        });
        let count = d.probe_count.get(&0).copied().unwrap_or(0);
        (d.log.clone(), count, d)
    });
    let (lines, tcp_probes, d) = log;
    let text: Vec<String> = lines.iter().map(|(t, l)| format!("{t:6.3} {l}")).collect();
    let show = text.join("\n");
    let when = |l: &str| d.when(l).unwrap_or_else(|| panic!("no {l:?} in\n{show}"));

    eprintln!("{show}");
    // The good ones.
    assert!(
        when("TCP connection to [127.0.0.1]:tcp:9001 success.") < 1.5,
        "{show}"
    );
    assert!(when("Remote Web server [127.0.0.1]:tcp:9002 succeed on service.") < 1.5);
    assert!(when("Adding service [127.0.0.1]:tcp:9006 to VS [10.9.9.9]:tcp:80") < 1.5);
    assert!(when("Adding service [127.0.0.1]:udp:9007 to VS [10.9.9.9]:udp:53") < 1.5);
    assert!(when("Adding service [::1]:tcp:9008 to VS [fd00::9]:tcp:80") < 1.5);
    assert!(when("Adding service [127.0.0.1]:udp:9009 to VS [10.9.9.9]:udp:53") < 1.5);
    if cfg!(feature = "tls") {
        assert!(when("Adding service [127.0.0.1]:tcp:9011 to VS [10.9.9.9]:tcp:443") < 1.5);
    }
    // The bad ones.
    // A UDP port nobody listens on: the ICMP port unreachable fails it.
    assert!(when("Removing service [127.0.0.1]:udp:9010 from VS [10.9.9.9]:udp:53") < 1.5);
    assert!(when("Removing service [127.0.0.1]:tcp:9005 from VS [10.9.9.9]:tcp:80") < 1.5);
    assert!(when("Removing service [127.0.0.1]:tcp:9003 from VS [10.9.9.9]:tcp:80") < 1.5);
    let loris = when("Removing service [127.0.0.1]:tcp:9004 from VS [10.9.9.9]:tcp:80");
    assert!((4.9..5.6).contains(&loris), "slow loris at {loris}\n{show}");
    // The listener closing and coming back.
    let down = when("Removing service [127.0.0.1]:tcp:9001 from VS [10.9.9.9]:tcp:80");
    assert!((3.5..4.6).contains(&down), "down at {down}\n{show}");
    let up = when("Adding service [127.0.0.1]:tcp:9001 to VS [10.9.9.9]:tcp:80");
    assert!((6.0..7.6).contains(&up), "up at {up}\n{show}");
    // Meanwhile the TCP check ran every delay_loop: the slow loris held nothing up.
    assert!(tcp_probes >= 7, "{tcp_probes} TCP probes\n{show}");
    // The good HTTP server never went down.
    assert!(!show.contains("9002 from VS"), "{show}");
    drop(ns);
}

#[cfg(feature = "tls")]
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server and a client certificate it signed, in `dir`.
#[cfg(feature = "tls")]
fn make_pki(dir: &std::path::Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-subj", "/CN=test-ca", "-days", "2"];
    ca.extend_from_slice(&ec);
    ca.extend_from_slice(&["-keyout", "ca.key", "-out", "ca.pem"]);
    openssl(dir, &ca);
    for who in ["server", "client"] {
        let (key, csr, pem) = (
            format!("{who}.key"),
            format!("{who}.csr"),
            format!("{who}.pem"),
        );
        let subj = format!("/CN={who}");
        let mut req = vec!["req", "-new", "-subj", &subj];
        req.extend_from_slice(&ec);
        req.extend_from_slice(&["-keyout", &key, "-out", &csr]);
        openssl(dir, &req);
        openssl(
            dir,
            &[
                "x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "2",
                "-out", &pem,
            ],
        );
    }
}

/// Loads `conf` and runs its checkers in namespace `ns` for `secs` seconds; the log.
fn run_config(ns: &str, dir: &std::path::Path, conf: &str, secs: f64) -> Vec<(f64, String)> {
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, conf).expect("config");
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: Some("node1".into()),
        all_config: false,
    };
    let loaded = config::load(&opts, &RealHost::default());
    let msgs = loaded.messages();
    let cfg = loaded
        .config
        .unwrap_or_else(|| panic!("configuration: {msgs:?}"));
    in_netns(ns, || {
        let mut d = Driver::start(&cfg.lvs);
        d.run(secs, |_| {});
        d.log
    })
}

/// SSL_GET with the `SSL` block's client certificate against `openssl s_server -Verify 1`,
/// which refuses clients without a certificate: with the block the server comes up, without
/// it the handshake fails and it stays down. The server's certificate is signed by the CA
/// given as `ca`; keepalived does not verify it and neither do we (a CA that did not sign it
/// changes nothing).
#[cfg(feature = "tls")]
#[test]
fn ssl_get_with_a_client_certificate() {
    if !system_ready(&["ip", "openssl"]) {
        return;
    }
    let ns = Netns::new("tls");
    let dir = common::scratch_dir("check-tls");
    make_pki(&dir);
    let www = dir.join("www");
    std::fs::create_dir_all(&www).expect("www");
    std::fs::write(www.join("ok"), "hello").expect("page");
    let d = dir.to_string_lossy().into_owned();
    let (cert, key, ca) = (
        format!("{d}/server.pem"),
        format!("{d}/server.key"),
        format!("{d}/ca.pem"),
    );
    let server = serve(
        &ns,
        &[
            "openssl",
            "s_server",
            "-quiet",
            "-WWW",
            "-accept",
            "127.0.0.1:9443",
            "-Verify",
            "1",
            "-cert",
            &cert,
            "-key",
            &key,
            "-CAfile",
            &ca,
        ],
        &www,
        9443,
    );
    let conf = |ssl: &str| {
        format!(
            "{ssl}virtual_server 10.9.9.9 443 {{
 delay_loop 1
 protocol TCP
 real_server 127.0.0.1 9443 {{
  SSL_GET {{
   url {{
    path /ok
    digest {HELLO_MD5}
   }}
   connect_timeout 1
   retry 0
   warmup 0
   alpha
  }}
 }}
}}
"
        )
    };
    let up = "Adding service [127.0.0.1]:tcp:9443 to VS [10.9.9.9]:tcp:443";
    let shown = |log: &[(f64, String)]| {
        log.iter()
            .map(|(t, l)| format!("{t:6.3} {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // With the client certificate (and the CA that signed the server's).
    let block =
        format!("SSL {{\n ca {d}/ca.pem\n certificate {d}/client.pem\n key {d}/client.key\n}}\n");
    let log = run_config(&ns.name, &dir, &conf(&block), 2.5);
    assert!(
        log.iter().any(|(t, l)| l == up && *t < 2.0),
        "{}",
        shown(&log)
    );
    // The server's CA is not verified: a CA that did not sign it changes nothing.
    let block2 = format!(
        "SSL {{\n ca {d}/client.pem\n certificate {d}/client.pem\n key {d}/client.key\n}}\n"
    );
    let log = run_config(&ns.name, &dir, &conf(&block2), 2.5);
    assert!(log.iter().any(|(_, l)| l == up), "{}", shown(&log));
    // Without one the server refuses the handshake: never up.
    let log = run_config(&ns.name, &dir, &conf(""), 2.5);
    assert!(!log.iter().any(|(_, l)| l == up), "{}", shown(&log));
    assert!(
        log.iter().any(|(_, l)| l.contains("9443")),
        "{}",
        shown(&log)
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    drop(ns);
}

/// HTTP_GET `regex` against a real web server (python3's http.server) in a namespace: a
/// 40 KB page whose marker sits past the first read and across the matcher's window; one
/// server's url wants it (up), another's wants a word the page lacks (stays down), a
/// third's must not find the marker (`regex_no_match`: stays down).
#[test]
fn http_get_regex_against_a_real_server() {
    if !system_ready(&["ip", "python3"]) {
        return;
    }
    let ns = Netns::new("rgx");
    let dir = common::scratch_dir("check-regex");
    let www = dir.join("www");
    std::fs::create_dir_all(&www).expect("www");
    let mut page = "x".repeat(limits::REGEX_WINDOW - 5);
    page.push_str("Service: HEALTHY\n");
    page.push_str(&"y".repeat(24_000));
    std::fs::write(www.join("status"), &page).expect("page");
    let server = serve(
        &ns,
        &[
            "python3",
            "-m",
            "http.server",
            "9080",
            "--bind",
            "127.0.0.1",
        ],
        &www,
        9080,
    );
    let vs = |port: u16, regex: &str| {
        format!(
            "virtual_server 10.9.9.9 {port} {{
 delay_loop 1
 protocol TCP
 real_server 127.0.0.1 9080 {{
  HTTP_GET {{
   url {{
    path /status
    {regex}
   }}
   connect_timeout 1
   retry 0
   warmup 0
   alpha
  }}
 }}
}}
"
        )
    };
    let conf = [
        vs(
            80,
            "regex \"service: (healthy|ok)\"\n    regex_options caseless",
        ),
        vs(81, "regex \"service: sick\"\n    regex_options caseless"),
        vs(82, "regex HEALTHY\n    regex_no_match"),
    ]
    .concat();
    let log = run_config(&ns.name, &dir, &conf, 2.5);
    let shown = log
        .iter()
        .map(|(t, l)| format!("{t:6.3} {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    let up = |port: u16| {
        let line = format!("Adding service [127.0.0.1]:tcp:9080 to VS [10.9.9.9]:tcp:{port}");
        log.iter().any(|(_, l)| *l == line)
    };
    assert!(up(80), "{shown}");
    assert!(
        log.iter()
            .any(|(_, l)| l == "Regex match success to [127.0.0.1]:tcp:9080 url(/status)"),
        "{shown}"
    );
    assert!(!up(81), "{shown}");
    assert!(!up(82), "{shown}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    drop(ns);
}

/// Kills the server it holds (a child this test started) on every path.
struct ServerChild(std::process::Child);

/// Runs `cmd` in namespace `ns` from directory `dir`, output discarded, and waits until it
/// accepts connections on 127.0.0.1:`port` there; killed when dropped.
fn serve(ns: &Netns, cmd: &[&str], dir: &std::path::Path, port: u16) -> ServerChild {
    let server = ServerChild(
        std::process::Command::new("ip")
            .args(["netns", "exec", &ns.name])
            .args(cmd)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", cmd[0])),
    );
    let listening = common::wait_until(10.0, || {
        in_netns(&ns.name, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
    });
    assert!(listening, "{} did not start", cmd[0]);
    server
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
