//! Interoperability with FRR's vrrpd (Debian's `frr`): two network namespaces joined by a
//! veth pair, FRR (zebra and vrrpd) in one and our daemon in the other, VRRPv3 (and v2 for
//! IPv4), through election, SIGKILL failover, preemption back and SIGTERM handover (both send a
//! priority-0 advert), in both directions, for IPv4 and IPv6, ours on `eth0` or on its
//! own VMAC (`use_vmac`).
//!
//! FRR does not make its own interfaces: it needs, before it starts, a macvlan in bridge
//! mode on the parent (`vrrp4-2-5` or `vrrp6-2-5` here) with the virtual MAC
//! (00:00:5e:00:01:VRID, or :02: for IPv6), a random-mode IPv6 link-local and the virtual
//! address already on it. It keeps the address there in every state and marks the macvlan
//! `protodown on` (NO-CARRIER) when not MASTER, so "FRR holds the VIP" means here: its
//! macvlan is not protodown.
//!
//! FRR 8.4 loses its first IPv6 advert as MASTER (vrrpd logs "Failed to find address to
//! bind on vrrp6-2-5": protodown took the macvlan's link-local away), so with IPv6 a lower
//! priority ours is MASTER for about a second before FRR's next advert: elections are
//! checked as settled (one state for 2.5 s on end), not as a first sighting.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{has_addr, scratch_dir, system_ready, wait_until, Kind, NetnsPair, Vrrpd};

const ZEBRA: &str = "/usr/lib/frr/zebra";
const VRRPD: &str = "/usr/lib/frr/vrrpd";
const VRID: u8 = 5;

fn ready() -> bool {
    // `which` takes an absolute path as it is.
    system_ready(&["ip", ZEBRA, VRRPD])
}

/// The address family of a test and the /24 (or /64) it uses.
#[derive(Clone, Copy, Debug)]
struct Fam {
    v6: bool,
    net: u8,
    /// Ours with `use_vmac` (a private-mode macvlan `vrrp.5` with the same virtual MAC),
    /// mirroring FRR.
    vmac: bool,
    /// VRRP version (FRR speaks 2 and 3).
    version: u8,
}

impl Fam {
    fn name(&self) -> &'static str {
        if self.version == 2 {
            return "v2 IPv4";
        }
        match (self.v6, self.vmac) {
            (false, false) => "v3 IPv4",
            (true, false) => "v3 IPv6",
            (false, true) => "v3 IPv4 use_vmac",
            (true, true) => "v3 IPv6 use_vmac",
        }
    }

    fn vip(&self) -> String {
        if self.v6 {
            format!("fd00:{}::100", self.net)
        } else {
            format!("10.{}.0.100", self.net)
        }
    }

    fn prefix(&self) -> u8 {
        if self.v6 {
            64
        } else {
            24
        }
    }

    /// FRR's macvlan for this family.
    fn macvlan(&self) -> String {
        format!("vrrp{}-2-{VRID}", if self.v6 { 6 } else { 4 })
    }

    fn vmac(&self) -> String {
        format!("00:00:5e:00:0{}:{VRID:02x}", if self.v6 { 2 } else { 1 })
    }

    /// Our configuration (on `eth0`, or on a VMAC over it).
    fn ours(&self, priority: u8) -> String {
        let vmac = if self.vmac { "use_vmac" } else { "" };
        format!(
            "global_defs {{\n router_id OURS\n vrrp_version {}\n}}\n\
             vrrp_instance VI_1 {{\n state BACKUP\n interface eth0\n virtual_router_id {VRID}\n\
             priority {priority}\n advert_int 1\n {vmac}\n\
             virtual_ipaddress {{\n {}/{}\n }}\n}}\n",
            self.version,
            self.vip(),
            self.prefix()
        )
    }

    /// FRR's vrrpd configuration.
    fn frr(&self, priority: u8) -> String {
        let ip = if self.v6 { "ipv6" } else { "ip" };
        format!(
            "interface eth0\n vrrp {VRID} version {}\n vrrp {VRID} priority {priority}\n\
             vrrp {VRID} advertisement-interval 1000\n vrrp {VRID} {ip} {}\n",
            self.version,
            self.vip()
        )
    }
}

/// The segment: FRR in `a` (x.1) with its macvlan, ours in `b` (x.2). FRR needs an IPv4
/// address on the parent even for IPv6 (its v4 router then just refuses to start).
fn segment(tag: &str, f: &Fam) -> NetnsPair {
    let net = NetnsPair::new(tag);
    for (ns, n) in [(&net.a, 1), (&net.b, 2)] {
        let v4 = format!("10.{}.0.{n}/24", f.net);
        net.must(&["ip", "-n", ns, "addr", "add", &v4, "dev", "eth0"]);
        if f.v6 {
            let v6 = format!("fd00:{}::{n}/64", f.net);
            net.must(&["ip", "-n", ns, "addr", "add", &v6, "dev", "eth0"]);
        }
    }
    let (a, mv) = (net.a.as_str(), f.macvlan());
    let vip = format!("{}/{}", f.vip(), f.prefix());
    let vmac = f.vmac();
    // `addrgenmode` is refused at creation here ("Address family not supported"): set after.
    let steps: [&[&str]; 5] = [
        &[
            "ip", "-n", a, "link", "add", &mv, "link", "eth0", "type", "macvlan", "mode", "bridge",
        ],
        &["ip", "-n", a, "link", "set", &mv, "addrgenmode", "random"],
        &["ip", "-n", a, "link", "set", &mv, "address", &vmac],
        &["ip", "-n", a, "addr", "add", &vip, "dev", &mv],
        &["ip", "-n", a, "link", "set", &mv, "up"],
    ];
    for s in steps {
        net.must(s);
    }
    net
}

/// The uid and gid of user `frr` (FRR's daemons refuse to run as root unless root is in
/// group `frrvty`; as `frr`, they keep the capabilities they need).
fn frr_ids() -> (u32, u32) {
    let name = std::ffi::CString::new("frr").expect("name");
    // SAFETY: getpwnam with a valid C string; the result is read at once, on this thread.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(!pw.is_null(), "no user frr (is the frr package installed?)");
    // SAFETY: pw is non-null and points to libc's static passwd record.
    unsafe { ((*pw).pw_uid, (*pw).pw_gid) }
}

/// zebra and vrrpd running in namespace `ns` as user `frr`, their configuration, pid files,
/// sockets (zserv, vty) and logs in a private scratch directory. Both are stopped on drop
/// (TERM, then KILL after 5 s); only the pids started here are ever signalled.
struct Frr {
    ns: String,
    /// Its macvlan.
    macvlan: String,
    dir: PathBuf,
    zebra: Option<Child>,
    vrrpd: Option<Child>,
}

impl Frr {
    fn start(ns: &str, vrrpd_conf: &str, macvlan: &str) -> Frr {
        let dir = scratch_dir("frr");
        let (uid, gid) = frr_ids();
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown scratch dir");
        std::fs::write(dir.join("zebra.conf"), "hostname frr-test\n").expect("zebra.conf");
        std::fs::write(dir.join("vrrpd.conf"), vrrpd_conf).expect("vrrpd.conf");
        let mut frr = Frr {
            ns: ns.to_string(),
            macvlan: macvlan.to_string(),
            dir,
            zebra: None,
            vrrpd: None,
        };
        frr.zebra = Some(frr.spawn(ZEBRA, "zebra"));
        let api = frr.dir.join("zserv.api");
        assert!(
            wait_until(10.0, || api.exists()),
            "zebra did not open its socket:\n{}",
            frr.log("zebra")
        );
        frr.start_vrrpd();
        frr
    }

    fn path(&self, f: &str) -> String {
        self.dir.join(f).to_string_lossy().into_owned()
    }

    /// One FRR daemon in the foreground: private config, pid file, zserv and vty sockets,
    /// no TCP vty (`-P 0`), its log in `<name>.log`.
    fn spawn(&self, bin: &str, name: &str) -> Child {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{name}.out")))
            .expect("output file");
        Command::new("ip")
            .args(["netns", "exec", &self.ns, bin])
            .args(["-u", "frr", "-g", "frr"])
            .args(["-f", &self.path(&format!("{name}.conf"))])
            .args(["-i", &self.path(&format!("{name}.pid"))])
            .args(["-z", &self.path("zserv.api")])
            .args(["--vty_socket", &self.path("")])
            .args(["-A", "127.0.0.1", "-P", "0"])
            .arg(format!("--log=file:{}", self.path(&format!("{name}.log"))))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("output file"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start {bin}: {e}"))
    }

    /// Starts vrrpd (again) and waits for it to take the macvlan down: FRR starts as Backup
    /// (a macvlan left up by a killed vrrpd, or just made, does not mean MASTER).
    fn start_vrrpd(&mut self) {
        self.stop_vrrpd(libc::SIGKILL);
        self.vrrpd = Some(self.spawn(VRRPD, "vrrpd"));
        assert!(
            wait_until(3.0, || protodown(&self.ns, &self.macvlan) == Some(true)),
            "vrrpd did not put {} in protodown (Backup) on start:\n{}",
            self.macvlan,
            self.log("vrrpd")
        );
    }

    /// Signals vrrpd and waits for it to end (KILL after 5 s); how long it took.
    fn stop_vrrpd(&mut self, sig: i32) -> Duration {
        stop(self.vrrpd.take(), sig)
    }

    /// What daemon `name` logged (and printed).
    fn log(&self, name: &str) -> String {
        let read = |f: String| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        read(format!("{name}.out")) + &read(format!("{name}.log"))
    }

    /// `show vrrp` through vtysh on the private vty socket, for diagnostics.
    fn show(&self) -> String {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns, "vtysh"])
            .args([
                "--vty_socket",
                &self.path(""),
                "-d",
                "vrrpd",
                "-c",
                "show vrrp",
            ])
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
            Err(e) => format!("vtysh: {e}"),
        }
    }
}

/// Signals a child and waits for it to end (KILL after 5 s); how long it took.
fn stop(child: Option<Child>, sig: i32) -> Duration {
    let start = Instant::now();
    let Some(mut child) = child else {
        return Duration::ZERO;
    };
    if matches!(child.try_wait(), Ok(Some(_))) {
        return Duration::ZERO;
    }
    // SAFETY: kill only signals; the pid is our own child (`ip netns exec` execs the
    // daemon in place), not yet reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    let until = start + Duration::from_secs(5);
    while Instant::now() < until && !matches!(child.try_wait(), Ok(Some(_))) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = start.elapsed();
    if !matches!(child.try_wait(), Ok(Some(_))) {
        let _ = child.kill();
        let _ = child.wait();
    }
    took
}

impl Drop for Frr {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- FRR show vrrp in {}:\n{}", self.ns, self.show());
        }
        self.stop_vrrpd(libc::SIGTERM);
        stop(self.zebra.take(), libc::SIGTERM);
        if std::thread::panicking() {
            eprintln!("--- FRR vrrpd log in {}:\n{}", self.ns, self.log("vrrpd"));
            eprintln!("--- FRR zebra log in {}:\n{}", self.ns, self.log("zebra"));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether interface `dev` of namespace `ns` is protodown (None: no such interface).
fn protodown(ns: &str, dev: &str) -> Option<bool> {
    let out = Command::new("ip")
        .args(["-n", ns, "-d", "link", "show", "dev", dev])
        .output()
        .expect("ip link show");
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success().then(|| text.contains("protodown on"))
}

/// FRR acts as MASTER: its macvlan (which always carries the VIP) is not protodown.
fn frr_holds(ns: &str, f: &Fam) -> bool {
    protodown(ns, &f.macvlan()) == Some(false) && has_addr(ns, &f.vip())
}

/// Within `secs`, FRR (in `net.a`) is MASTER and ours (in `net.b`) does not hold the VIP,
/// or the other way round.
fn frr_wins(net: &NetnsPair, f: &Fam, secs: f64) -> bool {
    wait_until(secs, || frr_holds(&net.a, f) && !has_addr(&net.b, &f.vip()))
}

fn ours_wins(net: &NetnsPair, f: &Fam, secs: f64) -> bool {
    wait_until(secs, || has_addr(&net.b, &f.vip()) && !frr_holds(&net.a, f))
}

/// Within `secs`, `cond` comes to hold for `STABLE` seconds on end: a settled election, not
/// a moment of it (the loser's own Master_Down timer may still be running when the winner
/// first shows, and FRR's first IPv6 advert as MASTER is lost). Returns when that stretch
/// began, in seconds from the call.
fn settles(secs: f64, mut cond: impl FnMut() -> bool) -> Option<f64> {
    const STABLE: Duration = Duration::from_millis(2500);
    let start = Instant::now();
    let mut since: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if cond() {
            let s = *since.get_or_insert(now);
            if now - s >= STABLE {
                return Some((s - start).as_secs_f64());
            }
        } else {
            since = None;
        }
        if now - start >= Duration::from_secs_f64(secs) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// FRR (150) over ours (100): FRR is elected; its vrrpd killed, ours takes over; vrrpd
/// restarted, FRR preempts; vrrpd stopped with SIGTERM (priority 0), ours takes over at
/// once. Ours lives through it all without allocating in its event loop.
fn frr_over_ours(tag: &str, f: Fam) {
    if !ready() {
        return;
    }
    let net = segment(tag, &f);
    let what = format!("{} FRR (150) x ours (100)", f.name());
    let mut ours = Vrrpd::start(Kind::Ours, &net.b, &f.ours(100));
    let mut frr = Frr::start(&net.a, &f.frr(150), &f.macvlan());

    let t = settles(12.0, || frr_wins(&net, &f, 0.0));
    let t = t.unwrap_or_else(|| panic!("{what}: the election does not settle on FRR"));
    eprintln!("{what}: FRR elected after {t:.2} s");

    let t = Instant::now();
    frr.stop_vrrpd(libc::SIGKILL);
    // Master_Down_Interval 3 s + skew (256-100)/256 s. A killed vrrpd leaves its macvlan up.
    assert!(
        wait_until(6.0, || has_addr(&net.b, &f.vip())),
        "{what}: no failover after SIGKILL of vrrpd"
    );
    eprintln!("{what}: failover after {:.2} s", t.elapsed().as_secs_f64());

    frr.start_vrrpd();
    // FRR starts as Backup, ignores the lower priority and waits its Master_Down_Interval.
    let t = settles(12.0, || frr_wins(&net, &f, 0.0));
    let t = t.unwrap_or_else(|| panic!("{what}: FRR does not preempt back"));
    eprintln!("{what}: preempted back after {t:.2} s");

    let t = Instant::now();
    frr.stop_vrrpd(libc::SIGTERM);
    assert!(
        ours_wins(&net, &f, 3.0),
        "{what}: no takeover after SIGTERM of vrrpd (priority 0)"
    );
    let handover = t.elapsed().as_secs_f64();
    eprintln!("{what}: handover after SIGTERM {handover:.2} s");
    // Skew_Time after a priority-0 advert: (256-100)/256 s.
    assert!(
        handover < 2.5,
        "{what}: handover after SIGTERM took {handover:.2} s"
    );
    assert!(ours.running(), "{what}: ours died");
    assert_eq!(
        ours.loop_allocations(),
        0,
        "{what}: our event loop allocated"
    );
}

/// Ours (150) over FRR (100): ours is elected; killed, FRR takes over; restarted, ours
/// preempts; stopped with SIGTERM (priority 0), FRR takes over at once.
fn ours_over_frr(tag: &str, f: Fam) {
    if !ready() {
        return;
    }
    let net = segment(tag, &f);
    let what = format!("{} ours (150) x FRR (100)", f.name());
    let _frr = Frr::start(&net.a, &f.frr(100), &f.macvlan());
    let mut ours = Vrrpd::start(Kind::Ours, &net.b, &f.ours(150));

    let t = settles(12.0, || ours_wins(&net, &f, 0.0));
    let t = t.unwrap_or_else(|| panic!("{what}: the election does not settle on ours"));
    eprintln!("{what}: ours elected after {t:.2} s");

    let t = Instant::now();
    ours.stop(libc::SIGKILL);
    // Ours killed leaves its VIP behind: FRR's macvlan coming out of protodown is the sign.
    assert!(
        wait_until(6.0, || frr_holds(&net.a, &f)),
        "{what}: no failover after SIGKILL of ours"
    );
    eprintln!("{what}: failover after {:.2} s", t.elapsed().as_secs_f64());

    ours.restart();
    let t = settles(12.0, || ours_wins(&net, &f, 0.0));
    let t = t.unwrap_or_else(|| panic!("{what}: ours does not preempt back"));
    eprintln!("{what}: preempted back after {t:.2} s");

    let t = Instant::now();
    let took = ours.stop(libc::SIGTERM);
    assert!(
        frr_wins(&net, &f, 3.0),
        "{what}: no takeover by FRR after SIGTERM of ours (priority 0)"
    );
    let handover = t.elapsed().as_secs_f64();
    eprintln!("{what}: handover after SIGTERM {handover:.2} s");
    assert!(
        handover < 2.5,
        "{what}: handover after SIGTERM took {handover:.2} s"
    );
    assert!(
        took < Duration::from_secs(1),
        "ours took {took:?} to exit on SIGTERM"
    );
}

const V4: Fam = Fam {
    v6: false,
    net: 91,
    vmac: false,
    version: 3,
};
const V6: Fam = Fam {
    v6: true,
    net: 92,
    vmac: false,
    version: 3,
};
const V4_V2: Fam = Fam {
    net: 95,
    version: 2,
    ..V4
};
const V4_VMAC: Fam = Fam {
    net: 93,
    vmac: true,
    ..V4
};
const V6_VMAC: Fam = Fam {
    net: 94,
    vmac: true,
    ..V6
};

#[test]
fn frr_over_ours_v2() {
    frr_over_ours("fo2", V4_V2);
}

#[test]
fn ours_over_frr_v2() {
    ours_over_frr("of2", V4_V2);
}

#[test]
fn frr_over_ours_v3() {
    frr_over_ours("fo4", V4);
}

#[test]
fn ours_over_frr_v3() {
    ours_over_frr("of4", V4);
}

#[test]
fn frr_over_ours_v3_ipv6() {
    frr_over_ours("fo6", V6);
}

#[test]
fn ours_over_frr_v3_ipv6() {
    ours_over_frr("of6", V6);
}

#[test]
fn frr_over_ours_v3_use_vmac() {
    frr_over_ours("fo4m", V4_VMAC);
}

#[test]
fn ours_over_frr_v3_use_vmac() {
    ours_over_frr("of4m", V4_VMAC);
}

#[test]
fn frr_over_ours_v3_ipv6_use_vmac() {
    frr_over_ours("fo6m", V6_VMAC);
}

#[test]
fn ours_over_frr_v3_ipv6_use_vmac() {
    ours_over_frr("of6m", V6_VMAC);
}
