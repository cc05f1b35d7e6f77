//! The daemon's life as an init system and an operator see it: it daemonizes and writes
//! its pid files, tells systemd when it is ready, announces the VIPs with gratuitous ARPs
//! and unsolicited NAs (seen in a packet capture), leaves the VIPs in place with `-V`, and
//! leaves nothing behind after SIGTERM.

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};

use common::{has_addr, scratch_dir, system_ready, wait_until, Kind, Lan, Vrrpd};

fn conf(priority: u8, vips: &[&str]) -> String {
    let vips: String = vips.iter().map(|v| format!(" {v}\n")).collect();
    format!(
        "vrrp_instance VI_1 {{\n state BACKUP\n interface eth0\n virtual_router_id 51\n\
         priority {priority}\n advert_int 1\n virtual_ipaddress {{\n{vips} }}\n}}\n"
    )
}

fn pid_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[test]
fn it_daemonizes_and_writes_its_pid_files() {
    if !system_ready(&["ip"]) {
        return;
    }
    let lan = Lan::new("fork", 1, 93);
    let dir = scratch_dir("fork");
    let path = |f: &str| dir.join(f).to_string_lossy().into_owned();
    std::fs::write(path("k.conf"), conf(255, &["10.93.0.100/24"])).expect("config");
    let status = Command::new("ip")
        .args([
            "netns",
            "exec",
            &lan.hosts[0],
            env!("CARGO_BIN_EXE_keepalived-rs"),
        ])
        .args([
            "-P",
            "-f",
            &path("k.conf"),
            "-p",
            &path("k.pid"),
            "-r",
            &path("v.pid"),
        ])
        .stdin(Stdio::null())
        .status()
        .expect("start");
    assert!(status.success(), "the parent should exit 0 after forking");
    assert!(
        wait_until(5.0, || has_addr(&lan.hosts[0], "10.93.0.100")),
        "owner not MASTER"
    );
    let pid: i32 = std::fs::read_to_string(path("k.pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("a pid");
    assert!(pid_alive(pid), "the pid file names no live process");
    // SAFETY: kill only signals; the pid is the daemon this test started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert!(
        wait_until(5.0, || !pid_alive(pid)),
        "the daemon did not stop"
    );
    assert!(!has_addr(&lan.hosts[0], "10.93.0.100"), "VIP left behind");
    assert!(!dir.join("k.pid").exists(), "pid file left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn it_tells_systemd_when_it_is_ready_and_stopping() {
    if !system_ready(&["ip"]) {
        return;
    }
    let lan = Lan::new("sdn", 1, 94);
    let dir = scratch_dir("sdnotify");
    let sock_path = dir.join("notify");
    let sock = UnixDatagram::bind(&sock_path).expect("notify socket");
    sock.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    let socket = sock_path.to_string_lossy().into_owned();
    let mut d = Vrrpd::start_with(
        Kind::Ours,
        &lan.hosts[0],
        &conf(100, &["10.94.0.100/24"]),
        &["-P"],
        &[("NOTIFY_SOCKET", &socket)],
    );
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf).expect("READY=1 within 5 s");
    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(msg.contains("READY=1"), "{msg}");
    d.signal(libc::SIGHUP);
    let n = sock.recv(&mut buf).expect("RELOADING=1");
    assert!(String::from_utf8_lossy(&buf[..n]).contains("RELOADING=1"));
    let n = sock.recv(&mut buf).expect("READY=1 after the reload");
    assert!(String::from_utf8_lossy(&buf[..n]).contains("READY=1"));
    d.stop(libc::SIGTERM);
    let n = sock.recv(&mut buf).expect("STOPPING=1");
    assert!(String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dont_release_vrrp_keeps_the_vips() {
    if !system_ready(&["ip"]) {
        return;
    }
    let lan = Lan::new("keep", 1, 95);
    let mut d = Vrrpd::start_with(
        Kind::Ours,
        &lan.hosts[0],
        &conf(255, &["10.95.0.100/24"]),
        &["-P", "-V"],
        &[],
    );
    assert!(
        wait_until(5.0, || has_addr(&lan.hosts[0], "10.95.0.100")),
        "owner not MASTER"
    );
    d.stop(libc::SIGTERM);
    assert!(
        has_addr(&lan.hosts[0], "10.95.0.100"),
        "-V: the VIP should stay"
    );
}

#[test]
fn gratuitous_arps_and_unsolicited_nas_are_on_the_wire() {
    if !system_ready(&["ip", "tcpdump"]) {
        return;
    }
    let lan = Lan::new("garp", 2, 96);
    lan.ip(0, &["addr", "add", "fd00:96::1/64", "dev", "eth0", "nodad"]);
    let capture = |filter: &str| {
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &lan.hosts[1],
                "timeout",
                "8",
                "tcpdump",
                "-l",
                "-n",
                "-i",
            ])
            .args(["eth0", filter])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tcpdump")
    };
    let arp = capture("arp");
    let na = capture("icmp6 and ip6[40] == 136");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let text = "vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n\
                priority 255\n advert_int 1\n virtual_ipaddress {\n 10.96.0.100/24\n }\n\
                virtual_ipaddress_excluded {\n fd00:96::100/64\n }\n}\n";
    let _d = Vrrpd::start(Kind::Ours, &lan.hosts[0], text);
    let arp = arp.wait_with_output().expect("tcpdump");
    let na = na.wait_with_output().expect("tcpdump");
    let arp = String::from_utf8_lossy(&arp.stdout);
    let na = String::from_utf8_lossy(&na.stdout);
    // keepalived's gratuitous ARP is a request for the VIP from the VIP.
    let garps = arp
        .lines()
        .filter(|l| l.contains("who-has 10.96.0.100") && l.contains("tell 10.96.0.100"))
        .count();
    // garp_master_repeat 5 at becoming MASTER (and 5 more after garp_master_delay 5 s,
    // outside this capture's window).
    assert!(garps >= 5, "{garps} gratuitous ARPs:\n{arp}");
    assert!(
        na.contains("neighbor advertisement") && na.contains("tgt is fd00:96::100"),
        "no unsolicited NA:\n{na}"
    );
}

#[test]
fn static_addresses_and_routes_live_as_long_as_the_daemon() {
    if !system_ready(&["ip"]) {
        return;
    }
    let lan = Lan::new("stat", 1, 98);
    let text = format!(
        "static_ipaddress {{\n 10.98.0.50/24 dev eth0\n}}\n\
         static_routes {{\n 10.98.5.0/24 via 10.98.0.254 dev eth0\n}}\n{}",
        conf(100, &["10.98.0.100/24"])
    );
    let mut d = Vrrpd::start(Kind::Ours, &lan.hosts[0], &text);
    let routes = || {
        let out = Command::new("ip")
            .args(["-n", &lan.hosts[0], "route", "show"])
            .output()
            .expect("ip route");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        wait_until(3.0, || has_addr(&lan.hosts[0], "10.98.0.50")
            && routes().contains("10.98.5.0/24 via 10.98.0.254")),
        "static address or route missing: {}",
        routes()
    );
    d.stop(libc::SIGTERM);
    assert!(
        !has_addr(&lan.hosts[0], "10.98.0.50"),
        "static address left behind"
    );
    assert!(
        !routes().contains("10.98.5.0/24"),
        "static route left behind"
    );
}

#[test]
fn a_vip_deleted_behind_the_masters_back_comes_back() {
    if !system_ready(&["ip"]) {
        return;
    }
    let lan = Lan::new("vdel", 1, 99);
    let d = Vrrpd::start(Kind::Ours, &lan.hosts[0], &conf(100, &["10.99.0.100/24"]));
    assert!(
        wait_until(6.0, || has_addr(&lan.hosts[0], "10.99.0.100")),
        "not MASTER"
    );
    lan.ip(0, &["addr", "del", "10.99.0.100/24", "dev", "eth0"]);
    assert!(
        wait_until(6.0, || has_addr(&lan.hosts[0], "10.99.0.100")),
        "the deleted VIP was not restored:\n{}",
        d.log()
    );
}

#[test]
fn without_ipvs_in_the_kernel_one_line_and_vrrp_goes_on() {
    if !system_ready(&["ip"]) {
        return;
    }
    if std::path::Path::new("/proc/net/ip_vs").exists() {
        eprintln!("SKIPPED: this kernel has IPVS");
        return;
    }
    let lan = Lan::new("noipvs", 1, 104);
    let text = format!(
        "{}virtual_server 10.104.0.200 80 {{\n lb_algo rr\n lb_kind NAT\n protocol TCP\n\
         real_server 10.104.0.2 80 {{\n weight 1\n }}\n}}\n",
        conf(255, &["10.104.0.100/24"])
    );
    let d = Vrrpd::start_with(Kind::Ours, &lan.hosts[0], &text, &[], &[]);
    assert!(
        wait_until(5.0, || has_addr(&lan.hosts[0], "10.104.0.100")),
        "VRRP did not go on:\n{}",
        d.log()
    );
    let log = d.log();
    // A build without LVS says that instead, once.
    let line = if cfg!(feature = "lvs") {
        "Can't initialize ipvs"
    } else {
        "built without the lvs feature"
    };
    assert_eq!(
        log.matches(line).count(),
        1,
        "one error line about IPVS:\n{log}"
    );
}
