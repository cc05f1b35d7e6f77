//! The logger against a real datagram socket standing in for /dev/log: one datagram per
//! line in syslog()'s format with keepalived's idents, the facility from -S, detail lines only
//! with -D, nothing with -G. One test: the logger is process-wide.

use std::os::unix::net::UnixDatagram;
use std::time::Duration as StdDuration;

use keepalived_rs::log::{self as klog, Options, PARENT};
use keepalived_rs::vrrp::action::{FileId, GroupId, IfaceId, InstanceId, ProcessId, ScriptId};
use keepalived_rs::vrrp::instance::State;
use keepalived_rs::vrrp::msg::{Msg, Names};

struct One;

impl Names for One {
    fn instance(&self, _: InstanceId) -> &str {
        "VI_1"
    }
    fn group(&self, _: GroupId) -> &str {
        "G"
    }
    fn script(&self, _: ScriptId) -> &str {
        "chk"
    }
    fn file(&self, _: FileId) -> &str {
        "f"
    }
    fn process(&self, _: ProcessId) -> &str {
        "p"
    }
    fn interface(&self, _: IfaceId) -> &str {
        "eth0"
    }
}

fn recv(s: &UnixDatagram) -> Option<String> {
    let mut buf = [0u8; 4096];
    s.recv(&mut buf)
        .ok()
        .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// "<PRI>Mmm dd hh:mm:ss IDENT[PID]: text" → (PRI, IDENT[PID], text)
fn parts(d: &str) -> (String, String, String) {
    let (pri, rest) = d[1..].split_once('>').expect("priority");
    assert_eq!(rest.as_bytes()[3], b' ', "{d}");
    assert_eq!(&rest[6..7], " ", "{d}");
    assert_eq!(&rest[15..16], " ", "{d}");
    let (ident, text) = rest[16..].split_once(": ").expect("ident");
    (pri.into(), ident.into(), text.into())
}

#[test]
fn lines_reach_syslog_as_keepalived_s_would() {
    let dir = std::env::temp_dir().join(format!("ka-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("log");
    let server = UnixDatagram::bind(&path).expect("bind");
    server
        .set_read_timeout(Some(StdDuration::from_secs(2)))
        .expect("timeout");
    let pid = std::process::id();
    let mut opts = Options {
        console: false,
        detail: false,
        syslog: true,
        facility: libc::LOG_LOCAL6,
        socket: path.clone(),
    };
    klog::init(opts.clone());

    log::info!(target: PARENT, "Starting Keepalived v2.2.7 (01/16,2022)");
    let (pri, ident, text) = parts(&recv(&server).expect("a datagram"));
    assert_eq!(pri, (libc::LOG_LOCAL6 | libc::LOG_INFO).to_string());
    assert_eq!(ident, format!("Keepalived[{pid}]"));
    assert_eq!(text, "Starting Keepalived v2.2.7 (01/16,2022)");

    let entering = Msg::Entering {
        inst: InstanceId(0),
        state: State::Master,
        init: false,
    };
    let sent_zero = Msg::SentPriorityZero(InstanceId(0));
    klog::msg(&sent_zero, &One);
    klog::msg(&entering, &One);
    let (_, ident, text) = parts(&recv(&server).expect("a datagram"));
    assert_eq!(ident, format!("Keepalived_vrrp[{pid}]"));
    assert_eq!(
        text, "(VI_1) Entering MASTER STATE",
        "the -D line is not sent"
    );

    log::warn!("{}", "x".repeat(5000));
    let (pri, _, text) = parts(&recv(&server).expect("a datagram"));
    assert_eq!(pri, (libc::LOG_LOCAL6 | libc::LOG_WARNING).to_string());
    assert_eq!(text.len(), keepalived_rs::limits::MAX_LOG_LINE);

    opts.detail = true;
    klog::init(opts.clone());
    assert!(klog::detail());
    klog::msg(&sent_zero, &One);
    let (_, _, text) = parts(&recv(&server).expect("a datagram"));
    assert_eq!(text, "(VI_1) sent 0 priority");

    opts.syslog = false;
    klog::init(opts.clone());
    log::info!("not sent");
    server.set_nonblocking(true).expect("nonblocking");
    assert_eq!(recv(&server), None, "-G sends nothing");

    // syslog gone: lines are dropped and counted, never waited for.
    opts.syslog = true;
    klog::init(opts);
    drop(server);
    let _ = std::fs::remove_file(&path);
    let before = klog::dropped();
    log::info!("lost");
    assert_eq!(klog::dropped(), before + 1);
    let _ = std::fs::remove_dir_all(&dir);
}
