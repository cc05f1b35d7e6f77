//! Helpers for tests that need the real system: root, network namespaces, Debian's keepalived.
//!
//! Every namespace a test makes has a unique name and is deleted when the guard drops, on
//! every path. Such tests skip (saying so) when not root or a tool is missing, unless
//! `KA_REQUIRE_SYSTEM=1` (set by `make test`), which turns a missing requirement into a failure.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// True if the system test can run; otherwise explains why and, under `make test`, fails.
pub fn system_ready(needs: &[&str]) -> bool {
    let required = std::env::var("KA_REQUIRE_SYSTEM").is_ok_and(|v| v == "1");
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let missing: Vec<&str> = needs
        .iter()
        .copied()
        .filter(|t| which(t).is_none())
        .collect();
    if root && missing.is_empty() {
        return true;
    }
    let why = if root {
        format!("missing tools: {}", missing.join(", "))
    } else {
        "not root".to_string()
    };
    assert!(!required, "system test cannot run: {why}");
    eprintln!("SKIPPED: system test needs root and {needs:?}: {why}");
    false
}

pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let sys = "/usr/local/sbin:/usr/sbin:/sbin";
    path.split(':')
        .chain(sys.split(':'))
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

fn sh(args: &[&str]) -> Output {
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("run command")
}

/// A network namespace with `lo` up and an `eth0` (one end of a veth pair whose other end
/// stays in the root namespace). Deleted on drop.
pub struct Netns {
    pub name: String,
    peer: String,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}{n}", std::process::id() % 100_000);
        let ns = Netns {
            name: format!("ka-{tag}-{id}"),
            peer: format!("kp{id}"),
        };
        let out = sh(&["ip", "netns", "add", &ns.name]);
        assert!(
            out.status.success(),
            "ip netns add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let steps: [&[&str]; 3] = [
            &[
                "ip", "link", "add", &ns.peer, "type", "veth", "peer", "name", "eth0", "netns",
                &ns.name,
            ],
            &["ip", "-n", &ns.name, "link", "set", "lo", "up"],
            &["ip", "-n", &ns.name, "link", "set", "eth0", "up"],
        ];
        for s in steps {
            let out = sh(s);
            assert!(
                out.status.success(),
                "{s:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        ns
    }

    /// Runs a command inside the namespace.
    pub fn run(&self, cmd: &[&str]) -> Output {
        let mut args = vec!["ip", "netns", "exec", &self.name];
        args.extend_from_slice(cmd);
        sh(&args)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = sh(&["ip", "link", "del", &self.peer]);
        let _ = sh(&["ip", "netns", "del", &self.name]);
    }
}

/// A root-owned, mode 0755 scratch directory under /run (script security accepts scripts
/// there), removed on drop.
pub struct SecureDir(pub PathBuf);

impl SecureDir {
    pub fn new(tag: &str) -> SecureDir {
        use std::os::unix::fs::PermissionsExt;
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = PathBuf::from(format!("/run/ka-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create /run scratch dir");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        SecureDir(p)
    }

    /// Copies `src` (a directory tree) into this directory.
    pub fn copy_tree(&self, src: &Path) {
        copy_dir(src, &self.0);
    }
}

fn copy_dir(src: &Path, dst: &Path) {
    for e in std::fs::read_dir(src).expect("read dir") {
        let e = e.expect("dir entry");
        let to = dst.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

impl Drop for SecureDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Two network namespaces joined by a veth pair: `eth0` in each, up, with IPv6 duplicate
/// address detection off so addresses are usable at once. Both are deleted on drop.
pub struct NetnsPair {
    pub a: String,
    pub b: String,
}

impl NetnsPair {
    pub fn new(tag: &str) -> NetnsPair {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}-{n}", std::process::id());
        let pair = NetnsPair {
            a: format!("ka-{tag}-a{id}"),
            b: format!("ka-{tag}-b{id}"),
        };
        for ns in [&pair.a, &pair.b] {
            pair.must(&["ip", "netns", "add", ns]);
            for conf in ["all", "default"] {
                let dad = format!("echo 0 > /proc/sys/net/ipv6/conf/{conf}/accept_dad");
                pair.must(&["ip", "netns", "exec", ns, "sh", "-c", &dad]);
            }
        }
        pair.must(&[
            "ip", "-n", &pair.a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
            "netns", &pair.b,
        ]);
        for ns in [&pair.a, &pair.b] {
            pair.must(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            pair.must(&["ip", "-n", ns, "link", "set", "eth0", "up"]);
        }
        pair
    }

    /// Runs a command; a failure fails the test.
    pub fn must(&self, args: &[&str]) {
        let out = sh(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for NetnsPair {
    fn drop(&mut self) {
        let _ = sh(&["ip", "netns", "del", &self.a]);
        let _ = sh(&["ip", "netns", "del", &self.b]);
    }
}

/// Runs `f` with the calling thread inside network namespace `name`, so sockets and
/// interface lookups made there belong to it; the thread returns to its own namespace
/// afterwards, on every path.
pub fn in_netns<T>(name: &str, f: impl FnOnce() -> T) -> T {
    use std::os::fd::AsRawFd;
    struct Back(std::fs::File);
    impl Drop for Back {
        fn drop(&mut self) {
            // SAFETY: setns with a namespace descriptor we opened.
            let r = unsafe { libc::setns(self.0.as_raw_fd(), libc::CLONE_NEWNET) };
            if r != 0 {
                // A thread stuck in a test namespace must not run other tests.
                std::process::abort();
            }
        }
    }
    let back = Back(std::fs::File::open("/proc/thread-self/ns/net").expect("own namespace"));
    let target = std::fs::File::open(format!("/run/netns/{name}")).expect("namespace");
    // SAFETY: setns with a namespace descriptor we opened.
    let r = unsafe { libc::setns(target.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(r, 0, "setns {name}: {}", std::io::Error::last_os_error());
    let out = f();
    drop(back);
    out
}

/// A fresh scratch directory under the system's temporary directory.
pub fn scratch_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ka-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The calling thread inside a network namespace until dropped: sockets it opens belong
/// to the namespace, and so does /proc/sys/net as it sees it. Drop it before the
/// [`Netns`] (declare it after).
pub struct InNetns {
    orig: std::fs::File,
}

impl Netns {
    pub fn enter(&self) -> InNetns {
        use std::os::fd::AsRawFd;
        let orig = std::fs::File::open("/proc/thread-self/ns/net").expect("own netns");
        let target = std::fs::File::open(format!("/run/netns/{}", self.name)).expect("open netns");
        // SAFETY: setns on a valid namespace descriptor; it affects this thread only.
        let rc = unsafe { libc::setns(target.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
        InNetns { orig }
    }

    /// `ip -n <ns> <args>`, its output as text; panics if it fails.
    pub fn ip(&self, args: &[&str]) -> String {
        let mut all = vec!["ip", "-n", &self.name];
        all.extend_from_slice(args);
        let out = sh(&all);
        assert!(
            out.status.success(),
            "{all:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for InNetns {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: setns back to the descriptor of the thread's original namespace.
        let r = unsafe { libc::setns(self.orig.as_raw_fd(), libc::CLONE_NEWNET) };
        if r != 0 {
            // A thread stuck in a test namespace must not run other tests.
            std::process::abort();
        }
    }
}

/// Which VRRP daemon a test runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Our binary.
    Ours,
    /// Debian's keepalived 2.2.7.
    Keepalived,
}

/// A daemon (`-n -l -D`, and `-P` unless started with other arguments) running in
/// namespace `ns`, its configuration, pid files and log in a scratch directory. Stopped on drop (TERM, then KILL after 5 s); only the
/// pid it started is ever signalled.
pub struct Vrrpd {
    pub kind: Kind,
    pub ns: String,
    /// More command-line arguments (e.g. `-V`).
    pub args: Vec<String>,
    /// More environment (e.g. `NOTIFY_SOCKET`).
    pub env: Vec<(String, String)>,
    child: Option<std::process::Child>,
    pub dir: PathBuf,
}

impl Vrrpd {
    pub fn start(kind: Kind, ns: &str, conf: &str) -> Vrrpd {
        Vrrpd::start_with(kind, ns, conf, &["-P"], &[])
    }

    /// Like `start` (which passes `-P`), with these arguments and environment.
    pub fn start_with(
        kind: Kind,
        ns: &str,
        conf: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Vrrpd {
        let dir = scratch_dir("vrrpd");
        std::fs::write(dir.join("keepalived.conf"), conf).expect("write configuration");
        let mut d = Vrrpd {
            kind,
            ns: ns.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
            dir,
        };
        d.restart();
        d
    }

    fn path(&self, f: &str) -> String {
        self.dir.join(f).to_string_lossy().into_owned()
    }

    /// Starts it (again) with the same configuration; the log is appended to.
    pub fn restart(&mut self) {
        self.stop(libc::SIGKILL);
        // A killed keepalived's VRRP child can stay a zombie until init reaps it, and
        // keepalived counts a zombie in its pid file as running: start afresh.
        for f in ["keepalived.pid", "vrrp.pid"] {
            let _ = std::fs::remove_file(self.dir.join(f));
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("log"))
            .expect("log file");
        let bin = match self.kind {
            Kind::Ours => env!("CARGO_BIN_EXE_keepalived-rs"),
            Kind::Keepalived => "/usr/sbin/keepalived",
        };
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns, bin, "-n", "-l", "-D"])
            .args(["-f", &self.path("keepalived.conf")])
            .args(["-p", &self.path("keepalived.pid")])
            .args(["-r", &self.path("vrrp.pid")])
            // Status dumps (keepalived.data, .stats, .json) go to $TMPDIR: its own directory.
            .env("TMPDIR", &self.dir)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start the daemon");
        self.child = Some(child);
    }

    /// The pid of the daemon (`ip netns exec` execs it in place).
    pub fn pid(&self) -> Option<i32> {
        self.child.as_ref().map(|c| c.id() as i32)
    }

    /// Sends `sig` to the daemon.
    pub fn signal(&self, sig: i32) {
        if let Some(pid) = self.pid() {
            // SAFETY: kill only signals; the pid is our own child, not yet reaped.
            unsafe { libc::kill(pid, sig) };
        }
    }

    /// Signals it and waits for it to end (KILL after 5 s); how long it took.
    pub fn stop(&mut self, sig: i32) -> std::time::Duration {
        use std::time::{Duration, Instant};
        let start = Instant::now();
        let Some(mut child) = self.child.take() else {
            return Duration::ZERO;
        };
        if matches!(child.try_wait(), Ok(Some(_))) {
            return Duration::ZERO;
        }
        // keepalived's VRRP process is a child of the one we started: a SIGKILL must reach
        // it too (its pid file names it), as it would not outlive a killed keepalived.
        let vrrp_child = std::fs::read_to_string(self.path("vrrp.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .filter(|&p| self.kind == Kind::Keepalived && sig == libc::SIGKILL && p > 0);
        // SAFETY: as in `signal`.
        unsafe { libc::kill(child.id() as i32, sig) };
        if let Some(p) = vrrp_child {
            // SAFETY: kill only signals; the pid is the VRRP child of our keepalived.
            unsafe { libc::kill(p, sig) };
        }
        let until = start + Duration::from_secs(5);
        while Instant::now() < until && !matches!(child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let took = start.elapsed();
        if !matches!(child.try_wait(), Ok(Some(_))) {
            let _ = child.kill();
            let _ = child.wait();
        }
        // The killed VRRP child is reaped by init, not by us: wait until it is gone, or a
        // restarted keepalived would find it alive in the pid file and refuse to start.
        if let Some(p) = vrrp_child {
            let gone = || {
                std::fs::read_to_string(format!("/proc/{p}/stat")).map_or(true, |s| {
                    s.rsplit(')')
                        .next()
                        .is_some_and(|r| r.trim_start().starts_with('Z'))
                })
            };
            let until = Instant::now() + Duration::from_secs(5);
            while Instant::now() < until && !gone() {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        took
    }

    /// Still running.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// Stops ours with SIGTERM and returns the allocations its event loop made since
    /// start-up or the last reload, as it logs them with `-D`.
    pub fn loop_allocations(&mut self) -> u64 {
        assert_eq!(self.kind, Kind::Ours);
        self.stop(libc::SIGTERM);
        let log = self.log();
        let line = log
            .lines()
            .rev()
            .find(|l| l.contains("Heap allocations in the event loop"))
            .unwrap_or_else(|| panic!("no allocation count logged:\n{log}"));
        line.rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a count")
    }

    /// Sends `sig` and returns the dump file `name` it writes (waits up to 3 s for it).
    pub fn dump(&self, sig: i32, name: &str) -> String {
        let path = self.dir.join(name);
        let _ = std::fs::remove_file(&path);
        self.signal(sig);
        let mut text = String::new();
        wait_until(3.0, || {
            text = std::fs::read_to_string(&path).unwrap_or_default();
            !text.is_empty()
        });
        text
    }

    /// Rewrites the configuration (for a reload).
    pub fn set_config(&self, conf: &str) {
        std::fs::write(self.dir.join("keepalived.conf"), conf).expect("write configuration");
    }
}

impl Drop for Vrrpd {
    fn drop(&mut self) {
        self.stop(libc::SIGTERM);
        if std::thread::panicking() {
            eprintln!("--- {:?} log in {}:\n{}", self.kind, self.ns, self.log());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// True when address `addr` (without prefix) is on an interface of namespace `ns`.
pub fn has_addr(ns: &str, addr: &str) -> bool {
    let out = sh(&["ip", "-n", ns, "-o", "addr", "show"]);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .any(|w| w.split('/').next() == Some(addr))
}

/// Polls `cond` every 10 ms until it holds (true) or `secs` pass (false).
pub fn wait_until(secs: f64, mut cond: impl FnMut() -> bool) -> bool {
    let until = std::time::Instant::now() + std::time::Duration::from_secs_f64(secs);
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= until {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Namespaces `<tag>-<n>` with an `eth0` each, all on one bridge in a switch namespace
/// (a LAN of any size); `10.<net>.0.<n+1>/24` on host n. Everything is deleted on drop.
pub struct Lan {
    pub hosts: Vec<String>,
    switch: String,
}

impl Lan {
    pub fn new(tag: &str, n: usize, net: u8) -> Lan {
        static N: AtomicUsize = AtomicUsize::new(0);
        let id = format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let lan = Lan {
            hosts: (0..n).map(|k| format!("ka-{tag}{k}-{id}")).collect(),
            switch: format!("ka-{tag}sw-{id}"),
        };
        let must = |args: &[&str]| {
            let out = sh(args);
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        must(&["ip", "netns", "add", &lan.switch]);
        must(&[
            "ip",
            "-n",
            &lan.switch,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
        ]);
        must(&["ip", "-n", &lan.switch, "link", "set", "br0", "up"]);
        for (k, ns) in lan.hosts.iter().enumerate() {
            must(&["ip", "netns", "add", ns]);
            let dad = "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad";
            must(&["ip", "netns", "exec", ns, "sh", "-c", dad]);
            must(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            let port = format!("p{k}");
            must(&[
                "ip",
                "-n",
                &lan.switch,
                "link",
                "add",
                &port,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                ns,
            ]);
            must(&[
                "ip",
                "-n",
                &lan.switch,
                "link",
                "set",
                &port,
                "master",
                "br0",
                "up",
            ]);
            let addr = format!("10.{net}.0.{}/24", k + 1);
            must(&["ip", "-n", ns, "addr", "add", &addr, "dev", "eth0"]);
            must(&["ip", "-n", ns, "link", "set", "eth0", "up"]);
        }
        lan
    }

    /// Runs `ip -n <host k> args`; a failure fails the test.
    pub fn ip(&self, k: usize, args: &[&str]) {
        let mut all = vec!["ip", "-n", &self.hosts[k]];
        all.extend_from_slice(args);
        let out = sh(&all);
        assert!(
            out.status.success(),
            "{all:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in self.hosts.iter().chain(std::iter::once(&self.switch)) {
            let _ = sh(&["ip", "netns", "del", ns]);
        }
    }
}
