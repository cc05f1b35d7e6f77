//! The LVS side's scripts in the running daemon (`-C`), on this machine's kernel (no IPVS:
//! the checkers still run, which is all these tests look at): MISC_CHECK through the shared
//! script runner (exit status, timeout), notify_up/notify_down and quorum_up/quorum_down
//! scripts, the `RS`/`VS` FIFO lines in `notify_fifo` and `lvs_notify_fifo`, FILE_CHECK
//! reading a `track_file`.

#![cfg(feature = "lvs")]

mod common;

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use common::{system_ready, wait_until, Kind, Lan, Vrrpd};

fn config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"global_defs {{
    notify_fifo {d}/all.fifo
    lvs_notify_fifo {d}/lvs.fifo
}}
track_file weight_file {{
    file {d}/weight
}}
virtual_server 10.105.0.200 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 2
    sorry_server 10.105.0.9 80
    quorum_up "/bin/sh -c 'echo quorum_up >> {d}/events'"
    quorum_down "/bin/sh -c 'echo quorum_down >> {d}/events'"
    real_server 10.105.0.2 80 {{
        weight 1
        notify_up "/bin/sh -c 'echo rs2_up >> {d}/events'"
        notify_down "/bin/sh -c 'echo rs2_down >> {d}/events'"
        MISC_CHECK {{
            misc_path "{d}/check.sh"
            misc_timeout 1
        }}
    }}
    real_server 10.105.0.3 80 {{
        weight 1
        notify_down "/bin/sh -c 'echo rs3_down >> {d}/events'"
        FILE_CHECK {{
            track_file weight_file
            weight 0
        }}
    }}
}}
"#
    )
}

const CHECK: &str = "#!/bin/sh\n\
    d=$(dirname \"$0\")\n\
    [ -f \"$d/hang\" ] && exec sleep 30\n\
    exit \"$(cat \"$d/misc_rc\")\"\n";

fn events(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("events")).unwrap_or_default()
}

/// What the FIFO holds now (the daemon keeps it open read-write, so lines wait there).
fn drain(fifo: &mut std::fs::File) -> String {
    let mut buf = vec![0u8; 4096];
    let mut s = String::new();
    while let Ok(n) = fifo.read(&mut buf) {
        if n == 0 {
            break;
        }
        s.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    s
}

#[test]
fn misc_check_notify_scripts_fifo_lines_and_file_check() {
    if !system_ready(&["ip"]) {
        return;
    }
    let lan = Lan::new("chk", 1, 105);
    let dir = common::scratch_dir("checkers");
    let write = |f: &str, text: &str| std::fs::write(dir.join(f), text).expect("write");
    write("check.sh", CHECK);
    write("misc_rc", "0\n");
    write("weight", "0\n");
    let mut chmod = std::process::Command::new("chmod");
    assert!(chmod
        .args(["755", &dir.join("check.sh").to_string_lossy()])
        .status()
        .is_ok_and(|s| s.success()));
    let pidfile = dir.join("checkers.pid").to_string_lossy().into_owned();
    let mut d = Vrrpd::start_with(
        Kind::Ours,
        &lan.hosts[0],
        &config(&dir),
        &["-C", "-c", &pidfile],
        &[],
    );
    let open = |name: &str| {
        let path = dir.join(name);
        assert!(
            wait_until(5.0, || path.exists()),
            "the daemon made no {name}:\n{}",
            d.log()
        );
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .expect("open the FIFO")
    };
    let (mut all, mut lvs) = (open("all.fifo"), open("lvs.fifo"));
    let vs = "[10.105.0.200]:tcp:80";
    let rs2 = "[10.105.0.2]:tcp:80";

    // The script passes: the real server stays up, quietly.
    assert!(
        wait_until(5.0, || d.log().contains("Misc check for")
            || d.log().contains("Check on")),
        "no MISC_CHECK ran:\n{}",
        d.log()
    );

    // It fails: down, notify_down, quorum lost, both FIFOs told.
    write("misc_rc", "1\n");
    assert!(
        wait_until(6.0, || events(&dir).contains("rs2_down")
            && events(&dir).contains("quorum_down")),
        "no notify_down / quorum_down: {:?}\n{}",
        events(&dir),
        d.log()
    );
    let log = d.log();
    assert!(
        log.contains(&format!("Misc check for [{rs2} VS {vs}] by [")),
        "{log}"
    );
    assert!(log.contains("(exited with status 1)"), "{log}");
    assert!(
        log.contains(&format!("Lost quorum 2-0=2 > 1 for VS {vs}")),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "Adding sorry server [10.105.0.9]:tcp:80 to VS {vs}"
        )),
        "{log}"
    );
    let down = format!("RS {rs2} {vs} DOWN\n");
    let vs_down = format!("VS {vs} DOWN\n");
    for (name, fifo) in [("notify_fifo", &mut all), ("lvs_notify_fifo", &mut lvs)] {
        let text = drain(fifo);
        assert!(text.contains(&down), "{name}: {text:?}");
        assert!(text.contains(&vs_down), "{name}: {text:?}");
    }

    // It passes again: up, notify_up, quorum gained.
    write("misc_rc", "0\n");
    assert!(
        wait_until(6.0, || events(&dir).contains("rs2_up")
            && events(&dir).contains("quorum_up")),
        "no notify_up / quorum_up: {:?}\n{}",
        events(&dir),
        d.log()
    );
    let log = d.log();
    assert!(
        log.contains(&format!("Gained quorum 2+0=2 <= 2 for VS {vs}")),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "Removing sorry server [10.105.0.9]:tcp:80 from VS {vs}"
        )),
        "{log}"
    );
    let text = drain(&mut lvs);
    assert!(text.contains(&format!("RS {rs2} {vs} UP\n")), "{text:?}");
    assert!(text.contains(&format!("VS {vs} UP\n")), "{text:?}");

    // A script that hangs is killed at misc_timeout and counted as timed out.
    write("hang", "");
    assert!(
        wait_until(8.0, || d.log().contains("timed out")),
        "no timeout:\n{}",
        d.log()
    );
    std::fs::remove_file(dir.join("hang")).expect("remove");

    // FILE_CHECK: a non-zero value with weight 0 puts its real server down.
    write("weight", "1\n");
    assert!(
        wait_until(5.0, || events(&dir).contains("rs3_down")),
        "FILE_CHECK did not follow the file: {:?}\n{}",
        events(&dir),
        d.log()
    );
    let text = drain(&mut all);
    assert!(
        text.contains(&format!("RS [10.105.0.3]:tcp:80 {vs} DOWN\n")),
        "{text:?}"
    );
    // Scripts, FIFO lines, reaping and file events: none of it allocates in the loop.
    assert_eq!(d.loop_allocations(), 0, "{}", d.log());
    let _ = std::fs::remove_dir_all(&dir);
}

/// ha_suspend: a virtual server's checkers run only while its address is on this host —
/// added by hand (`-C`), or as the VIP of our own VRRP instance becoming MASTER.
#[test]
fn ha_suspend_follows_the_virtual_servers_address() {
    if !system_ready(&["ip"]) {
        return;
    }
    let lan = Lan::new("has", 1, 106);
    let ns = &lan.hosts[0];
    let dir = common::scratch_dir("ha-suspend");
    let vs = |addr: &str| {
        format!(
            "virtual_server {addr} 80 {{\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n \
             protocol TCP\n ha_suspend\n real_server 10.106.0.9 80 {{\n  weight 1\n  \
             TCP_CHECK {{\n   connect_timeout 1\n  }}\n }}\n}}\n"
        )
    };
    let pidfile = dir.join("checkers.pid").to_string_lossy().into_owned();
    let d = Vrrpd::start_with(
        Kind::Ours,
        ns,
        &vs("10.106.0.200"),
        &["-C", "-c", &pidfile],
        &[],
    );
    let rs = "service [10.106.0.9]:tcp:80 for VS [10.106.0.200]:tcp:80";
    assert!(
        wait_until(5.0, || d
            .log()
            .contains(&format!("Deactivating healthchecker for {rs}"))),
        "{}",
        d.log()
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert!(
        !d.log().contains("TCP_CHECK on"),
        "it checked while suspended:\n{}",
        d.log()
    );
    lan.ip(0, &["addr", "add", "10.106.0.200/32", "dev", "lo"]);
    assert!(
        wait_until(5.0, || d
            .log()
            .contains(&format!("Activating healthchecker for {rs}"))
            && d.log().contains("TCP_CHECK on service [10.106.0.9]:tcp:80")),
        "{}",
        d.log()
    );
    lan.ip(0, &["addr", "del", "10.106.0.200/32", "dev", "lo"]);
    assert!(
        wait_until(5.0, || d
            .log()
            .contains(&format!("Suspending healthchecker for {rs}"))),
        "{}",
        d.log()
    );
    drop(d);

    // Both subsystems: the VIP our VRRP instance adds as MASTER wakes the checkers.
    let conf = format!(
        "vrrp_instance VI_1 {{\n state BACKUP\n interface eth0\n virtual_router_id 61\n \
         priority 100\n advert_int 1\n virtual_ipaddress {{\n  10.106.0.201/32\n }}\n}}\n{}",
        vs("10.106.0.201")
    );
    let d = Vrrpd::start_with(Kind::Ours, ns, &conf, &["-c", &pidfile], &[]);
    let rs = "service [10.106.0.9]:tcp:80 for VS [10.106.0.201]:tcp:80";
    assert!(
        wait_until(8.0, || d.log().contains("Entering MASTER STATE")
            && d.log()
                .contains(&format!("Activating healthchecker for {rs}"))),
        "{}",
        d.log()
    );
    let log = d.log();
    let deactivated = log
        .find("Deactivating healthchecker")
        .expect("suspended at start");
    let master = log.find("Entering MASTER STATE").expect("master");
    let activated = log
        .find(&format!("Activating healthchecker for {rs}"))
        .expect("active");
    assert!(deactivated < master && master < activated, "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
