//! Pidfiles on a real file system with real processes: a live process in any pidfile stops
//! the start-up, a dead one's file is removed; ours are written 0644 whatever the umask and
//! removed when the guard drops. sd_notify datagrams reach a socket named by path or in the
//! abstract namespace.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::Command;

use keepalived_rs::cli::{Options, Subsystems};
use keepalived_rs::daemon::{set_umask, Notifier, PidFiles};

const VRRP: Subsystems = Subsystems {
    vrrp: true,
    check: false,
};

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ka-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn files(dir: &std::path::Path) -> PidFiles {
    let o = Options {
        pid_file: dir.join("k.pid").display().to_string(),
        vrrp_pid_file: dir.join("kv.pid").display().to_string(),
        ..Options::default()
    };
    PidFiles::names(&o, false, None, VRRP)
}

#[test]
fn a_live_process_in_a_pidfile_stops_the_start_up() {
    let dir = scratch("pid-live");
    let p = files(&dir);
    assert!(!p.already_running(), "no files");
    let mut sleeper = Command::new("sleep").arg("30").spawn().expect("sleep");
    let vrrp = p.vrrp.clone().expect("vrrp pidfile");
    std::fs::write(&vrrp, format!("{}\n", sleeper.id())).expect("write");
    assert!(p.already_running(), "the VRRP pidfile names a live process");
    assert!(vrrp.exists(), "and is left alone");
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(!p.already_running(), "its process is gone");
    assert!(!vrrp.exists(), "the zombie pid file is removed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn our_pidfiles_live_as_long_as_the_guard() {
    let dir = scratch("pid-guard");
    let p = files(&dir);
    // Restrictive, yet leaves directories made by parallel tests usable by their owner.
    set_umask(0o077);
    let guard = p.clone().create().expect("create");
    for f in [&p.main, p.vrrp.as_ref().expect("vrrp")] {
        let text = std::fs::read_to_string(f).expect("read");
        assert_eq!(text, format!("{}\n", std::process::id()));
        let mode = std::fs::metadata(f).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }
    assert!(!p.already_running(), "our own pid is not another daemon");
    drop(guard);
    assert!(!p.main.exists() && !p.vrrp.as_ref().expect("vrrp").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sd_notify_reaches_path_and_abstract_sockets() {
    let dir = scratch("notify");
    let path = dir.join("notify.sock");
    let server = UnixDatagram::bind(&path).expect("bind");
    let n = Notifier::new(path.as_os_str()).expect("notifier");
    n.ready().expect("ready");
    n.reloading().expect("reloading");
    n.stopping().expect("stopping");
    let mut buf = [0u8; 256];
    let mut got = Vec::new();
    for _ in 0..3 {
        let k = server.recv(&mut buf).expect("datagram");
        got.push(String::from_utf8_lossy(&buf[..k]).into_owned());
    }
    assert_eq!(
        got,
        [
            format!("READY=1\nMAINPID={}", std::process::id()),
            "RELOADING=1".to_string(),
            "STOPPING=1".to_string()
        ]
    );

    use std::os::linux::net::SocketAddrExt;
    let name = format!("ka-notify-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).expect("addr");
    let abs = UnixDatagram::bind_addr(&addr).expect("bind abstract");
    let n = Notifier::new(format!("@{name}").as_ref()).expect("notifier");
    n.errno(5).expect("errno");
    let k = abs.recv(&mut buf).expect("datagram");
    assert_eq!(&buf[..k], b"ERRNO=5");
    assert!(Notifier::new("/nonexistent/dir/sock".as_ref())
        .and_then(|n| n.ready())
        .is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
