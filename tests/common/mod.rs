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

/// Debian's keepalived running VRRP only (`-P -n -l -D`) in namespace `ns`, its pid files
/// and log in a scratch directory; stopped on drop (TERM, then KILL after 5 s).
pub struct Keepalived {
    child: std::process::Child,
    dir: PathBuf,
}

impl Keepalived {
    pub fn start(ns: &str, conf: &str) -> Keepalived {
        let dir = scratch_dir("ka-run");
        let path = |f: &str| dir.join(f).to_string_lossy().into_owned();
        std::fs::write(path("keepalived.conf"), conf).expect("write configuration");
        let log = std::fs::File::create(path("log")).expect("log file");
        let ka = ["/usr/sbin/keepalived", "-P", "-n", "-l", "-D"];
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(ka)
            .args(["-f", &path("keepalived.conf")])
            .args(["-p", &path("keepalived.pid"), "-r", &path("vrrp.pid")])
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start keepalived");
        Keepalived { child, dir }
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Keepalived {
    fn drop(&mut self) {
        use std::time::{Duration, Instant};
        // SAFETY: kill only signals; the pid is our own child, not yet reaped.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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
