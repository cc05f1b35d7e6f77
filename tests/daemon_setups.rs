//! The setups of the keepalived tutorials, end to end with our daemon in network
//! namespaces on a bridge: nopreempt, preempt_delay, notify scripts, master/master, three
//! routers with three VRIDs, a sync group, a tracking script with a weight, a tracked
//! interface, and SIGHUP reloads (flap-free, and a bad configuration kept out).

mod common;

use std::os::unix::fs::OpenOptionsExt;
use std::time::Instant;

use common::{has_addr, scratch_dir, system_ready, wait_until, Kind, Lan, Vrrpd};

fn ready() -> bool {
    system_ready(&["ip"])
}

/// One instance block.
fn instance(name: &str, vrid: u8, priority: u8, vip: &str, extra: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n state BACKUP\n interface eth0\n virtual_router_id {vrid}\n\
         priority {priority}\n advert_int 1\n {extra}\n virtual_ipaddress {{\n {vip}/24\n }}\n}}\n"
    )
}

fn config(blocks: &[String]) -> String {
    let mut c = String::from("global_defs {\n script_user root\n}\n");
    for b in blocks {
        c.push_str(b);
    }
    c
}

fn start(lan: &Lan, k: usize, conf: &str) -> Vrrpd {
    Vrrpd::start(Kind::Ours, &lan.hosts[k], conf)
}

/// `addr` is on host `k` for the whole of `secs`.
fn stays(lan: &Lan, k: usize, addr: &str, secs: f64) -> bool {
    !wait_until(secs, || !has_addr(&lan.hosts[k], addr))
}

#[test]
fn nopreempt_keeps_the_running_master() {
    if !ready() {
        return;
    }
    let lan = Lan::new("nop", 2, 81);
    let vip = "10.81.0.100";
    let _b = start(
        &lan,
        1,
        &config(&[instance("VI_1", 51, 100, vip, "nopreempt")]),
    );
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[1], vip)),
        "B not elected alone"
    );
    let _a = start(
        &lan,
        0,
        &config(&[instance("VI_1", 51, 150, vip, "nopreempt")]),
    );
    assert!(
        stays(&lan, 1, vip, 6.0),
        "the higher priority preempted despite nopreempt"
    );
    assert!(!has_addr(&lan.hosts[0], vip));
}

#[test]
fn preempt_delay_holds_preemption_back() {
    if !ready() {
        return;
    }
    let lan = Lan::new("pd", 2, 82);
    let vip = "10.82.0.100";
    let _b = start(&lan, 1, &config(&[instance("VI_1", 51, 100, vip, "")]));
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[1], vip)),
        "B not elected alone"
    );
    let started = Instant::now();
    let _a = start(
        &lan,
        0,
        &config(&[instance("VI_1", 51, 150, vip, "preempt_delay 4")]),
    );
    assert!(
        wait_until(12.0, || has_addr(&lan.hosts[0], vip)),
        "A never preempted"
    );
    let after = started.elapsed().as_secs_f64();
    assert!(
        after >= 3.9,
        "A preempted after {after:.2} s, before its 4 s delay"
    );
}

#[test]
fn notify_scripts_write_their_arguments() {
    if !ready() {
        return;
    }
    let lan = Lan::new("ntf", 1, 83);
    let dir = scratch_dir("notify");
    let f = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let extra = format!(
        "notify_master \"/bin/sh -c 'echo master >> {m}'\"\n\
         notify \"/bin/sh -c 'echo $1 $2 $3 $4 >> {all}' --\"",
        m = f("master"),
        all = f("all")
    );
    let mut a = start(
        &lan,
        0,
        &config(&[instance("VI_1", 51, 150, "10.83.0.100", &extra)]),
    );
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap_or_default();
    assert!(
        wait_until(8.0, || read("all").contains("INSTANCE VI_1 MASTER 150")),
        "generic notify: {:?}",
        read("all")
    );
    assert!(
        wait_until(2.0, || read("master") == "master\n"),
        "notify_master: {:?}",
        read("master")
    );
    assert_eq!(a.loop_allocations(), 0, "notifying allocated");
    assert!(
        read("all").ends_with("INSTANCE VI_1 STOP 150\n"),
        "STOP is notified before exit: {:?}",
        read("all")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn master_master_with_two_instances() {
    if !ready() {
        return;
    }
    let lan = Lan::new("mm", 2, 84);
    let (v1, v2) = ("10.84.0.100", "10.84.0.200");
    let a = config(&[
        instance("VI_1", 51, 150, v1, ""),
        instance("VI_2", 52, 100, v2, ""),
    ]);
    let b = config(&[
        instance("VI_1", 51, 100, v1, ""),
        instance("VI_2", 52, 150, v2, ""),
    ]);
    let _a = start(&lan, 0, &a);
    let _b = start(&lan, 1, &b);
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], v1)
            && has_addr(&lan.hosts[1], v2)
            && !has_addr(&lan.hosts[0], v2)
            && !has_addr(&lan.hosts[1], v1)),
        "each router should be master of one instance"
    );
}

#[test]
fn three_routers_three_vrids() {
    if !ready() {
        return;
    }
    let lan = Lan::new("tri", 3, 85);
    let vips = ["10.85.0.101", "10.85.0.102", "10.85.0.103"];
    let _d: Vec<Vrrpd> = (0..3)
        .map(|k| {
            let blocks: Vec<String> = (0..3)
                .map(|v| {
                    let prio = if v == k {
                        150
                    } else {
                        100 - 10 * ((v + 3 - k) % 3) as u8
                    };
                    instance(&format!("VI_{v}"), 60 + v as u8, prio, vips[v], "")
                })
                .collect();
            start(&lan, k, &config(&blocks))
        })
        .collect();
    for (k, vip) in vips.iter().enumerate() {
        assert!(
            wait_until(8.0, || (0..3)
                .all(|h| has_addr(&lan.hosts[h], vip) == (h == k))),
            "{vip} should be on router {k} only"
        );
    }
}

#[test]
fn a_sync_group_fails_over_together() {
    if !ready() {
        return;
    }
    let lan = Lan::new("sg", 2, 86);
    for k in 0..2 {
        lan.ip(
            k,
            &["link", "add", "up0", "type", "veth", "peer", "name", "up0p"],
        );
        lan.ip(k, &["link", "set", "up0", "up"]);
        lan.ip(k, &["link", "set", "up0p", "up"]);
    }
    let (v1, v2) = ("10.86.0.100", "10.86.0.200");
    let conf = |prio: u8| {
        let mut c = config(&[
            instance("VI_1", 51, prio, v1, "track_interface {\n up0\n }"),
            instance("VI_2", 52, prio, v2, ""),
        ]);
        c.push_str("vrrp_sync_group G {\n group {\n VI_1\n VI_2\n }\n}\n");
        c
    };
    let mut a = start(&lan, 0, &conf(150));
    let _b = start(&lan, 1, &conf(100));
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], v1)
            && has_addr(&lan.hosts[0], v2)),
        "A should hold both"
    );
    lan.ip(0, &["link", "set", "up0", "down"]);
    assert!(
        wait_until(5.0, || has_addr(&lan.hosts[1], v1)
            && has_addr(&lan.hosts[1], v2)
            && !has_addr(&lan.hosts[0], v1)
            && !has_addr(&lan.hosts[0], v2)),
        "both instances should move to B when one faults"
    );
    lan.ip(0, &["link", "set", "up0", "up"]);
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], v1)
            && has_addr(&lan.hosts[0], v2)),
        "A should take both back"
    );
    assert_eq!(
        a.loop_allocations(),
        0,
        "link events and group moves allocated"
    );
}

#[test]
fn a_tracking_script_weight_moves_the_master() {
    if !ready() {
        return;
    }
    let lan = Lan::new("scr", 2, 87);
    let dir = scratch_dir("down");
    let flag = dir.join("down");
    let script = format!(
        "vrrp_script chk_down {{\n script \"/bin/sh -c '[ ! -f {} ]'\"\n interval 1\n weight -60\n fall 1\n rise 1\n}}\n",
        flag.display()
    );
    let vip = "10.87.0.100";
    let a = config(&[
        script,
        instance("VI_1", 51, 150, vip, "track_script {\n chk_down\n }"),
    ]);
    let _a = start(&lan, 0, &a);
    let _b = start(&lan, 1, &config(&[instance("VI_1", 51, 100, vip, "")]));
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], vip)),
        "A not elected"
    );
    std::fs::write(&flag, "").expect("flag file");
    assert!(
        wait_until(6.0, || has_addr(&lan.hosts[1], vip)
            && !has_addr(&lan.hosts[0], vip)),
        "A at 150-60 should lose to B at 100"
    );
    std::fs::remove_file(&flag).expect("flag file");
    assert!(
        wait_until(6.0, || has_addr(&lan.hosts[0], vip)),
        "A should take it back"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tracked_interface_down_is_fault() {
    if !ready() {
        return;
    }
    let lan = Lan::new("tif", 2, 88);
    lan.ip(
        0,
        &["link", "add", "up0", "type", "veth", "peer", "name", "up0p"],
    );
    lan.ip(0, &["link", "set", "up0", "up"]);
    lan.ip(0, &["link", "set", "up0p", "up"]);
    let vip = "10.88.0.100";
    let a = config(&[instance(
        "VI_1",
        51,
        150,
        vip,
        "track_interface {\n up0\n }",
    )]);
    let a = start(&lan, 0, &a);
    let _b = start(&lan, 1, &config(&[instance("VI_1", 51, 100, vip, "")]));
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], vip)),
        "A not elected"
    );
    lan.ip(0, &["link", "set", "up0", "down"]);
    assert!(
        wait_until(5.0, || has_addr(&lan.hosts[1], vip)
            && !has_addr(&lan.hosts[0], vip)),
        "A in FAULT should hand over"
    );
    assert!(
        wait_until(2.0, || a.log().contains("Entering FAULT STATE")),
        "{}",
        a.log()
    );
    lan.ip(0, &["link", "set", "up0", "up"]);
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], vip)),
        "A should recover"
    );
}

#[test]
fn reload_keeps_the_master_and_refuses_a_broken_configuration() {
    if !ready() {
        return;
    }
    let lan = Lan::new("rld", 2, 89);
    let (vip, added) = ("10.89.0.100", "10.89.0.101");
    let mut a_conf = config(&[instance("VI_1", 51, 150, vip, "")]);
    let a = start(&lan, 0, &a_conf);
    let b = start(&lan, 1, &config(&[instance("VI_1", 51, 100, vip, "")]));
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], vip)),
        "A not elected"
    );

    // A reload of the same configuration: no state transition, no address removed (the
    // flap keepalived is known for). `ip monitor` sees every address change.
    let monitor = std::process::Command::new("ip")
        .args(["-n", &lan.hosts[0], "monitor", "address"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ip monitor");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = a.log().len();
    a.signal(libc::SIGHUP);
    assert!(
        wait_until(3.0, || a.log()[before..].contains("Reloading")),
        "no reload logged"
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    // SAFETY: kill only signals; the pid is the `ip monitor` this test started.
    unsafe { libc::kill(monitor.id() as i32, libc::SIGTERM) };
    let seen = monitor.wait_with_output().expect("ip monitor");
    let seen = String::from_utf8_lossy(&seen.stdout);
    assert!(
        !seen.contains("Deleted"),
        "an address was removed by the reload:\n{seen}"
    );
    let after = &a.log()[before..];
    assert!(
        !after.contains("Entering"),
        "a state transition on reload:\n{after}"
    );
    assert!(has_addr(&lan.hosts[0], vip) && !has_addr(&lan.hosts[1], vip));

    // A reload that adds an address: the master stays master, no priority-0 advert.
    a_conf = a_conf.replace(&format!("{vip}/24"), &format!("{vip}/24\n {added}/24"));
    a.set_config(&a_conf);
    a.signal(libc::SIGHUP);
    assert!(
        wait_until(4.0, || has_addr(&lan.hosts[0], added)),
        "new VIP not added"
    );
    assert!(stays(&lan, 0, vip, 3.0), "the VIP left during the reload");
    assert!(
        !has_addr(&lan.hosts[1], vip),
        "B took over during the reload"
    );
    assert!(
        !b.log().contains("priority 0"),
        "a priority-0 advert was sent:\n{}",
        b.log()
    );

    // A broken configuration: logged, and the running one stays.
    a.set_config("vrrp_instance VI_1 {\n virtual_router_id 300\n");
    a.signal(libc::SIGHUP);
    assert!(
        wait_until(4.0, || a.log().contains("keeping the running one")),
        "{}",
        a.log()
    );
    assert!(stays(&lan, 0, added, 3.0) && has_addr(&lan.hosts[0], vip));
    let mut a = a;
    assert_eq!(
        a.loop_allocations(),
        0,
        "the loop allocated after the reload"
    );
}

fn ping(lan: &Lan, from: usize, addr: &str) -> bool {
    std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            &lan.hosts[from],
            "ping",
            "-c",
            "1",
            "-W",
            "1",
            addr,
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(ns: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", ns])
        .args(args)
        .output()
        .expect("run");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_vmac_master_answers_from_the_virtual_mac() {
    if !system_ready(&["ip", "ping"]) {
        return;
    }
    let lan = Lan::new("vmac", 2, 90);
    let vip = "10.90.0.100";
    // B learns addresses from gratuitous ARPs.
    run(
        &lan.hosts[1],
        &["sysctl", "-qw", "net.ipv4.conf.eth0.arp_accept=1"],
    );
    let mut a = start(
        &lan,
        0,
        &config(&[instance("VI_1", 51, 150, vip, "use_vmac")]),
    );
    let _b = start(&lan, 1, &config(&[instance("VI_1", 51, 100, vip, "")]));
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], vip)),
        "A not elected"
    );
    let link = run(&lan.hosts[0], &["ip", "link", "show", "vrrp.51"]);
    assert!(link.contains("00:00:5e:00:01:33"), "VMAC: {link}");
    assert!(
        link.contains("macvlan") || link.contains("@eth0"),
        "VMAC: {link}"
    );
    let neigh = run(&lan.hosts[1], &["ip", "neigh", "show", vip]);
    assert!(
        neigh.contains("00:00:5e:00:01:33"),
        "B learnt the VIP from the gratuitous ARP at {neigh}"
    );
    assert!(ping(&lan, 1, vip), "the VIP does not answer");
    a.stop(libc::SIGTERM);
    assert!(
        !run(&lan.hosts[0], &["ip", "link", "show"]).contains("vrrp.51"),
        "the VMAC is left behind"
    );
}

#[test]
fn vrrp_strict_drops_traffic_to_the_vips_with_nftables() {
    if !system_ready(&["ip", "ping", "nft"]) {
        return;
    }
    let lan = Lan::new("strict", 2, 91);
    let vip = "10.91.0.100";
    let strict = config(&[instance("VI_1", 51, 150, vip, "")])
        .replace("script_user root\n", "script_user root\n vrrp_strict\n");
    let mut a = start(&lan, 0, &strict);
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], vip)),
        "A not elected"
    );
    let rules = run(&lan.hosts[0], &["nft", "list", "ruleset"]);
    assert!(
        rules.contains("table ip keepalived") && rules.contains(vip),
        "{rules}"
    );
    assert!(!ping(&lan, 1, vip), "no_accept: the VIP must not answer");
    assert!(
        ping(&lan, 1, "10.91.0.1"),
        "the host's own address must answer"
    );
    a.stop(libc::SIGTERM);
    let rules = run(&lan.hosts[0], &["nft", "list", "ruleset"]);
    assert!(!rules.contains("keepalived"), "table left behind: {rules}");
}

#[test]
fn status_dumps_on_signals() {
    if !ready() {
        return;
    }
    let lan = Lan::new("dump", 1, 92);
    let a = start(
        &lan,
        0,
        &config(&[instance("VI_1", 51, 150, "10.92.0.100", "")]),
    );
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], "10.92.0.100")),
        "not MASTER"
    );
    let data = a.dump(libc::SIGUSR1, "keepalived.data");
    assert!(
        data.contains("VRRP Instance = VI_1") && data.contains("State = MASTER"),
        "{data}"
    );
    let stats = a.dump(libc::SIGUSR2, "keepalived.stats");
    assert!(
        stats.contains("VRRP Instance: VI_1") && stats.contains("Became master: 1"),
        "{stats}"
    );
    let json = a.dump(36, "keepalived.json");
    assert!(
        json.starts_with('[') && json.contains("\"iname\":\"VI_1\""),
        "{json}"
    );
}

#[test]
fn instances_from_an_included_conf_d() {
    if !ready() {
        return;
    }
    let lan = Lan::new("inc", 1, 97);
    let dir = scratch_dir("include");
    std::fs::create_dir_all(dir.join("conf.d")).expect("conf.d");
    std::fs::write(
        dir.join("conf.d/vi1.conf"),
        instance("VI_1", 51, 255, "10.97.0.101", ""),
    )
    .expect("vi1");
    std::fs::write(
        dir.join("conf.d/vi2.conf"),
        instance("VI_2", 52, 255, "10.97.0.102", ""),
    )
    .expect("vi2");
    let main = format!(
        "global_defs {{\n script_user root\n}}\ninclude {}/conf.d/*.conf\n",
        dir.display()
    );
    let _a = start(&lan, 0, &main);
    assert!(
        wait_until(5.0, || has_addr(&lan.hosts[0], "10.97.0.101")
            && has_addr(&lan.hosts[0], "10.97.0.102")),
        "the included instances did not start"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_track_file_weight_moves_the_master() {
    if !ready() {
        return;
    }
    let lan = Lan::new("tf", 2, 100);
    let dir = scratch_dir("trackfile");
    let file = dir.join("state");
    std::fs::write(&file, "0\n").expect("track file");
    let vip = "10.100.0.100";
    let tf = format!(
        "vrrp_track_file tf {{\n file {}\n weight -60\n}}\n",
        file.display()
    );
    let a = config(&[tf, instance("VI_1", 51, 150, vip, "track_file {\n tf\n }")]);
    let mut a = start(&lan, 0, &a);
    let _b = start(&lan, 1, &config(&[instance("VI_1", 51, 100, vip, "")]));
    assert!(
        wait_until(8.0, || has_addr(&lan.hosts[0], vip)),
        "A not elected"
    );
    std::fs::write(&file, "1\n").expect("track file");
    assert!(
        wait_until(6.0, || has_addr(&lan.hosts[1], vip)
            && !has_addr(&lan.hosts[0], vip)),
        "A at 150-60 should lose to B"
    );
    std::fs::write(&file, "0\n").expect("track file");
    assert!(
        wait_until(6.0, || has_addr(&lan.hosts[0], vip)),
        "A should take it back"
    );
    assert_eq!(a.loop_allocations(), 0, "file events allocated");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tracked_process_holds_the_instance_in_fault_while_it_is_missing() {
    if !ready() {
        return;
    }
    let lan = Lan::new("tp", 1, 101);
    let dir = scratch_dir("trackproc");
    // A process name nothing else on the machine has.
    let name = format!("kap{}", std::process::id() % 100_000);
    let exe = dir.join(&name);
    std::fs::copy("/bin/sleep", &exe).expect("copy sleep");
    let vip = "10.101.0.100";
    let tp = format!("vrrp_track_process tp {{\n process {name}\n}}\n");
    let a = config(&[
        tp,
        instance("VI_1", 51, 150, vip, "track_process {\n tp\n }"),
    ]);
    let mut a = start(&lan, 0, &a);
    assert!(
        !wait_until(5.0, || has_addr(&lan.hosts[0], vip)),
        "MASTER without the tracked process"
    );
    let mut p = std::process::Command::new(&exe)
        .arg("60")
        .spawn()
        .expect("start it");
    assert!(
        wait_until(6.0, || has_addr(&lan.hosts[0], vip)),
        "the process runs, the instance should be MASTER:\n{}",
        a.log()
    );
    let _ = p.kill();
    let _ = p.wait();
    assert!(
        wait_until(4.0, || !has_addr(&lan.hosts[0], vip)),
        "the process is gone, the instance should be in FAULT"
    );
    // Counting /proc again every second (no proc connector in a network namespace)
    // allocates nothing either.
    assert_eq!(a.loop_allocations(), 0, "process tracking allocated");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_hung_script_is_killed_at_its_timeout_and_counts_as_failed() {
    if !ready() {
        return;
    }
    let lan = Lan::new("hung", 1, 102);
    let vip = "10.102.0.100";
    let script = "vrrp_script hang {\n script \"/bin/sleep 100\"\n interval 2\n timeout 1\n fall 1\n rise 1\n}\n";
    let a = config(&[
        script.to_string(),
        instance("VI_1", 51, 150, vip, "track_script {\n hang\n }"),
    ]);
    let d = start(&lan, 0, &a);
    assert!(
        wait_until(6.0, || d.log().contains("VRRP_Script(hang) timed_out")),
        "{}",
        d.log()
    );
    assert!(
        !has_addr(&lan.hosts[0], vip),
        "a failing weight-0 script means FAULT"
    );
    // The loop went on: its children are the scripts it is running now, never a pile of
    // hung ones (each run is killed before the next).
    let pid = d.pid().expect("running");
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    assert!(
        children.split_whitespace().count() <= 1,
        "hung scripts pile up: {children}"
    );
}

/// `dir/notify.fifo`, made here and opened for reading first, nonblocking, so the daemon's
/// writes always land.
fn fifo_reader(dir: &std::path::Path) -> (std::path::PathBuf, std::fs::File) {
    let fifo = dir.join("notify.fifo");
    let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).expect("path");
    // SAFETY: mkfifo with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .expect("open fifo");
    (fifo, reader)
}

#[test]
fn notify_fifo_lines_as_keepalived_writes_them() {
    if !ready() {
        return;
    }
    let lan = Lan::new("fifo", 1, 103);
    let dir = scratch_dir("fifo");
    let (fifo, mut reader) = fifo_reader(&dir);
    let text = config(&[instance("VI_1", 51, 150, "10.103.0.100", "")]).replace(
        "script_user root\n",
        &format!("script_user root\n notify_fifo {}\n", fifo.display()),
    );
    let mut d = start(&lan, 0, &text);
    let mut got = String::new();
    let ok = wait_until(8.0, || {
        let mut buf = [0u8; 4096];
        if let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        got.contains("INSTANCE \"VI_1\" MASTER 150\n")
    });
    assert!(ok, "FIFO lines: {got:?}");
    assert!(got.starts_with("INSTANCE \"VI_1\" BACKUP 150\n"), "{got:?}");
    d.stop(libc::SIGTERM);
    let mut buf = [0u8; 4096];
    if let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.ends_with("INSTANCE \"VI_1\" STOP 150\n"), "{got:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `fifo_write_vrrp_states_on_reload`: after a SIGHUP the FIFO gets the state of each sync
/// group and of each instance not MASTER, exactly the lines keepalived 2.2.7 writes.
#[test]
fn fifo_states_on_reload_as_keepalived() {
    if !ready() || !std::path::Path::new("/usr/sbin/keepalived").exists() {
        return;
    }
    let mut seen = Vec::new();
    for kind in [Kind::Keepalived, Kind::Ours] {
        let lan = Lan::new("fsr", 1, 107);
        let dir = scratch_dir("fifo-reload");
        let (fifo, mut reader) = fifo_reader(&dir);
        std::fs::write(dir.join("down"), "1\n").expect("track file");
        let text = format!(
            "global_defs {{\n script_user root\n notify_fifo {}\n fifo_write_vrrp_states_on_reload\n}}\n\
             track_file down {{\n file {}\n weight 0\n}}\n\
             vrrp_sync_group G {{\n group {{\n  VI_F\n  VI_G\n }}\n}}\n{}{}{}",
            fifo.display(),
            dir.join("down").display(),
            instance("VI_M", 61, 150, "10.107.0.100", ""),
            instance("VI_F", 62, 120, "10.107.0.101", "track_file {\n  down\n }"),
            instance("VI_G", 63, 110, "10.107.0.102", ""),
        );
        let d = Vrrpd::start(kind, &lan.hosts[0], &text);
        let mut got = String::new();
        let mut read = |got: &mut String| {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
                if n == 0 {
                    break;
                }
                got.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        };
        let up = wait_until(8.0, || {
            read(&mut got);
            got.contains("INSTANCE \"VI_M\" MASTER 150\n")
        });
        assert!(
            up,
            "{kind:?}: FIFO lines before the reload: {got:?}\n{}",
            d.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
        read(&mut got);
        got.clear();
        d.signal(libc::SIGHUP);
        std::thread::sleep(std::time::Duration::from_secs(3));
        read(&mut got);
        let mut lines: Vec<&str> = got.lines().collect();
        lines.sort_unstable();
        seen.push(lines.join("\n"));
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        seen[1].contains("INSTANCE \"VI_F\" FAULT 120") && !seen[1].contains("VI_M"),
        "after the reload, ours: {:?}, keepalived: {:?}",
        seen[1],
        seen[0]
    );
    assert_eq!(seen[1], seen[0], "ours (right) against keepalived (left)");
}
