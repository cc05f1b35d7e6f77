//! Notifications for real, from a keepalived.conf: the scripts' argv for every form, their
//! order, the FIFO lines a reader gets, the FIFO reader script, FIFO creation and removal.
//!
//! The runner reaps with `waitpid(-1)`, so the tests of this file run one at a time.

mod common;

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration as StdDuration;

use common::SecureDir;
use keepalived_rs::config::{self, Config, LoadOptions};
use keepalived_rs::script::runner::EVENT_BATCH;
use keepalived_rs::script::{Event, Notifier, Runner};
use keepalived_rs::sys::RealHost;
use keepalived_rs::time::Instant;
use keepalived_rs::vrrp::action::{Action, GroupId, InstanceId, NotifyState, Target};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn now() -> Instant {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    Instant::from_micros(ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000)
}

fn load(dir: &SecureDir, text: &str) -> Config {
    let path = dir.0.join("keepalived.conf");
    std::fs::write(&path, text).unwrap();
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: None,
        all_config: false,
    };
    let loaded = config::load(&opts, &RealHost::default());
    let msgs = loaded.messages();
    loaded
        .config
        .unwrap_or_else(|| panic!("configuration does not load: {msgs:?}"))
}

/// An interface VRRP may use here (not a loopback): the configuration checks it exists.
fn iface() -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            let flags = std::fs::read_to_string(format!("/sys/class/net/{n}/flags"));
            let flags = flags
                .ok()
                .and_then(|f| u32::from_str_radix(f.trim().trim_start_matches("0x"), 16).ok());
            flags.is_some_and(|f| f & libc::IFF_LOOPBACK as u32 == 0)
        })
        .collect();
    names.sort();
    names.into_iter().next()
}

fn script(dir: &SecureDir, name: &str, text: &str) -> String {
    let p = dir.0.join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.to_string_lossy().into_owned()
}

/// Opens a FIFO for reading without waiting for a writer.
fn reader(path: &str) -> OwnedFd {
    let c = std::ffi::CString::new(path).unwrap();
    // SAFETY: a plain open of a NUL-terminated path.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    assert!(fd >= 0, "open {path}");
    // SAFETY: just opened, owned here.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// What is in the FIFO now.
fn drain(fd: &OwnedFd) -> String {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: the buffer is valid for its length.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        all.extend_from_slice(&buf[..n as usize]);
    }
    String::from_utf8(all).unwrap()
}

/// Reaps for a while; the log lines seen.
fn reap_logs(r: &mut Runner, until: impl Fn(&Runner) -> bool) -> Vec<String> {
    let mut logs = Vec::new();
    for _ in 0..1000 {
        let mut out = Vec::with_capacity(EVENT_BATCH);
        while r.reap(&mut out) {}
        for e in &out {
            if let Event::Log(m) = e {
                logs.push(r.show(m).to_string());
            }
        }
        if until(r) {
            return logs;
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    panic!("children still running: {logs:?}");
}

#[test]
fn notifications_run_their_scripts_in_order_and_write_fifo_lines() {
    if !common::system_ready(&["sh"]) {
        return;
    }
    let Some(ifc) = iface() else {
        return;
    };
    let _g = serial();
    let dir = SecureDir::new("notify");
    let d = dir.0.to_string_lossy().into_owned();
    let log = format!("{d}/log");
    let n = script(
        &dir,
        "n.sh",
        &format!("#!/bin/sh\necho \"$$ $*\" >> {log}\n"),
    );
    let reader_out = format!("{d}/reader.out");
    let rd = script(
        &dir,
        "reader.sh",
        &format!("#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" > {reader_out}.tmp\nmv {reader_out}.tmp {reader_out}\n"),
    );
    let conf = format!(
        r#"
global_defs {{
    script_user root
    notify_fifo {d}/global.fifo
    vrrp_notify_fifo {d}/vrrp.fifo
    vrrp_notify_fifo_script "{rd} arg1"
}}
vrrp_sync_group VG_1 {{
    group {{
        VI_1
    }}
    notify_master "{n} gmaster"
    notify "{n} ggeneric"
}}
vrrp_instance VI_1 {{
    interface {ifc}
    virtual_router_id 51
    priority 100
    virtual_ipaddress {{
        192.0.2.1/32
    }}
    notify_master "{n} master"
    notify "{n} generic x"
    notify_master_rx_lower_pri "{n} rx"
}}
"#
    );
    let c = load(&dir, &conf);
    let mut r = Runner::new(&c.vrrp, &c.global).unwrap();
    let mut notifier = Notifier::new(&c.vrrp, &mut r);
    let t = now();
    assert!(notifier.open_fifos(&c.global, &mut r, t, None).is_empty());
    let fifos = [format!("{d}/global.fifo"), format!("{d}/vrrp.fifo")];
    let readers = fifos.each_ref().map(|p| reader(p));

    // The reader script got the FIFO path after its own arguments.
    let logs = reap_logs(&mut r, |_| std::path::Path::new(&reader_out).exists());
    let got = std::fs::read_to_string(&reader_out).unwrap();
    assert_eq!(got, format!("{rd}\narg1\n{d}/vrrp.fifo\n"));
    let logs = [logs, reap_logs(&mut r, |r| r.running() == 0)].concat();
    assert_eq!(logs, ["vrrp notify fifo script terminated"]);

    let vi1 = Target::Instance(InstanceId(0));
    let vg1 = Target::Group(GroupId(0));
    let notify = |target, state, priority| Action::Notify {
        target,
        state,
        priority,
    };
    let steps = [
        (
            notify(vi1, NotifyState::Backup, 100),
            "INSTANCE \"VI_1\" BACKUP 100\n",
        ),
        (
            notify(vi1, NotifyState::Master, 110),
            "INSTANCE \"VI_1\" MASTER 110\n",
        ),
        (
            notify(vg1, NotifyState::Master, 110),
            "GROUP \"VG_1\" MASTER 0\n",
        ),
        (
            Action::MasterRxLowerPri {
                instance: InstanceId(0),
                priority: 110,
            },
            "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 110\n",
        ),
        (
            Action::PriorityChanged {
                instance: InstanceId(0),
                priority: 105,
                master: true,
            },
            "INSTANCE \"VI_1\" MASTER_PRIORITY 105\n",
        ),
        (
            notify(vi1, NotifyState::Stop, 105),
            "INSTANCE \"VI_1\" STOP 105\n",
        ),
        (
            notify(vg1, NotifyState::Stop, 105),
            "GROUP \"VG_1\" STOP 0\n",
        ),
    ];
    let mut out = Vec::with_capacity(EVENT_BATCH);
    for (action, line) in &steps {
        notifier.notify(now(), action, &mut r, &mut out);
        // The line is there as soon as the notification returns, in both FIFOs.
        for fd in &readers {
            assert_eq!(drain(fd), *line, "{action:?}");
        }
    }
    assert!(out.is_empty(), "{out:?}");
    // STOP notifications are waited for; the others are not.
    assert!(r.busy());
    reap_logs(&mut r, |r| r.running() == 0);
    assert!(!r.busy());

    // Every script saw keepalived's argv; in pid order, which is fork order.
    let text = std::fs::read_to_string(&log).unwrap();
    let by_pid: BTreeMap<u32, String> = text
        .lines()
        .map(|l| {
            let (pid, args) = l.split_once(' ').unwrap();
            (pid.parse().unwrap(), args.to_string())
        })
        .collect();
    let runs: Vec<&str> = by_pid.values().map(String::as_str).collect();
    assert_eq!(
        runs,
        [
            "generic x INSTANCE VI_1 BACKUP 100",
            "master",
            "generic x INSTANCE VI_1 MASTER 110",
            "gmaster",
            "ggeneric GROUP VG_1 MASTER 0",
            "rx",
            "generic x INSTANCE VI_1 STOP 105",
            "ggeneric GROUP VG_1 STOP 0",
        ]
    );
    notifier.close_fifos();
    for f in &fifos {
        assert!(!std::path::Path::new(f).exists(), "{f} removed");
    }
}

#[test]
fn fifos_are_created_for_their_user_and_only_ours_are_removed() {
    if !common::system_ready(&["sh"]) {
        return;
    }
    let Some(ifc) = iface() else {
        return;
    };
    let _g = serial();
    let dir = SecureDir::new("fifo");
    let d = dir.0.to_string_lossy().into_owned();
    let existing = format!("{d}/existing.fifo");
    let c = std::ffi::CString::new(existing.as_str()).unwrap();
    // SAFETY: a plain mkfifo of a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let conf = format!(
        r#"
global_defs {{
    notify_fifo {d}/made.fifo nobody nogroup
    vrrp_notify_fifo {existing}
}}
vrrp_instance VI_1 {{
    interface {ifc}
    virtual_router_id 51
    priority 100
    virtual_ipaddress {{
        192.0.2.1/32
    }}
}}
"#
    );
    let cfg = load(&dir, &conf);
    let mut r = Runner::new(&cfg.vrrp, &cfg.global).unwrap();
    let mut notifier = Notifier::new(&cfg.vrrp, &mut r);
    // SAFETY: umask only reads and restores the process's mask.
    let umask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    };
    assert!(notifier
        .open_fifos(&cfg.global, &mut r, now(), None)
        .is_empty());
    let meta = std::fs::metadata(format!("{d}/made.fifo")).unwrap();
    assert!(meta.file_type().is_fifo());
    assert_eq!(meta.mode() & 0o777, 0o644 & !umask);
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    let rd = reader(&existing);
    let action = Action::Notify {
        target: Target::Instance(InstanceId(0)),
        state: NotifyState::Fault,
        priority: 100,
    };
    let mut out = Vec::with_capacity(EVENT_BATCH);
    notifier.notify(now(), &action, &mut r, &mut out);
    assert_eq!(drain(&rd), "INSTANCE \"VI_1\" FAULT 100\n");
    assert_eq!(notifier.fifo_dropped(), 0);

    // Nobody reads: once the FIFO is full, lines are lost whole and counted, never waited
    // for. One page of pipe, so it fills quickly.
    // SAFETY: fcntl on a descriptor we own.
    let size = unsafe { libc::fcntl(rd.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) };
    assert!(size >= 4096);
    let sent = 2 * size as usize / "INSTANCE \"VI_1\" FAULT 100\n".len();
    let start = std::time::Instant::now();
    for _ in 0..sent {
        notifier.notify(now(), &action, &mut r, &mut out);
    }
    assert!(start.elapsed() < StdDuration::from_secs(2));
    let got = drain(&rd);
    let lines = got.lines().count();
    assert!(got.lines().all(|l| l == "INSTANCE \"VI_1\" FAULT 100"));
    assert!(lines > 0 && lines < sent, "{lines} of {sent}");
    // The other FIFO (64 KiB) took every line.
    assert_eq!(notifier.fifo_dropped(), (sent - lines) as u64);
    notifier.notify(now(), &action, &mut r, &mut out);
    assert_eq!(drain(&rd), "INSTANCE \"VI_1\" FAULT 100\n", "room again");
    notifier.close_fifos();
    assert!(!std::path::Path::new(&format!("{d}/made.fifo")).exists());
    assert!(
        std::path::Path::new(&existing).exists(),
        "not ours to remove"
    );
}
