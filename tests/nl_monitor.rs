//! The monitor socket against the real kernel: `ip link set down/up`, `ip addr add/del`,
//! `ip link add/del` in a test namespace produce the events the runtime feeds to the VRRP
//! core; our own address changes are skipped; a flooded queue reports Overrun.

mod common;

use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use common::{system_ready, Netns};
use keepalived_rs::limits;
use keepalived_rs::net::nl::{AddrSpec, Command, Error, Event, Monitor};

/// Reads events until `done` says so (or two seconds pass); returns them all.
fn collect(mon: &mut Monitor, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
    let mut buf = vec![0u8; limits::NL_RECV_BUFFER];
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(2);
    while !done(&got) && Instant::now() < end {
        let mut p = libc::pollfd {
            fd: mon.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, 100) };
        while let Some(events) = mon.read(&mut buf).expect("monitor read") {
            for e in events {
                got.push(e.expect("well-formed event"));
            }
        }
    }
    got
}

fn link<'a>(events: &'a [Event], name: &str) -> impl Iterator<Item = &'a Event> + 'a {
    let name = name.to_string();
    events.iter().filter(move |e| match e {
        Event::Link(l) | Event::LinkDeleted(l) => l.name.as_str() == name,
        _ => false,
    })
}

#[test]
fn link_and_address_changes_become_events() {
    if !system_ready(&["ip"]) {
        return;
    }
    let ns = Netns::new("nlmon");
    ns.ip(&["link", "add", "a0", "type", "veth", "peer", "name", "a1"]);
    ns.ip(&["link", "set", "a0", "up"]);
    ns.ip(&["link", "set", "a1", "up"]);
    let _in = ns.enter();
    let mut mon = Monitor::open().expect("monitor socket");
    let a0 = Command::open()
        .expect("command socket")
        .link_by_name("a0")
        .expect("lookup")
        .expect("a0")
        .ifindex;

    // The peer going down takes a0's carrier: a0 stays up but stops running.
    ns.ip(&["link", "set", "a1", "down"]);
    let ev = collect(&mut mon, |ev| {
        link(ev, "a0").any(|e| matches!(e, Event::Link(l) if l.up() && !l.running()))
    });
    assert!(
        link(&ev, "a1").any(|e| matches!(e, Event::Link(l) if !l.up())),
        "{ev:?}"
    );
    assert!(
        link(&ev, "a0").any(|e| matches!(e, Event::Link(l) if l.ifindex == a0 && !l.usable())),
        "{ev:?}"
    );

    ns.ip(&["link", "set", "a1", "up"]);
    let ev = collect(&mut mon, |ev| {
        link(ev, "a0").any(|e| matches!(e, Event::Link(l) if l.usable()))
    });
    assert!(
        link(&ev, "a0").any(|e| matches!(e, Event::Link(l) if l.usable())),
        "{ev:?}"
    );

    ns.ip(&["link", "set", "a0", "down"]);
    let ev = collect(&mut mon, |ev| {
        link(ev, "a0").any(|e| matches!(e, Event::Link(l) if !l.up()))
    });
    assert!(
        link(&ev, "a0").any(|e| matches!(e, Event::Link(l) if !l.up() && !l.created)),
        "{ev:?}"
    );
    ns.ip(&["link", "set", "a0", "up"]);

    let nine: IpAddr = "10.0.0.9".parse().unwrap();
    ns.ip(&["addr", "add", "10.0.0.9/24", "dev", "a0"]);
    let ev = collect(&mut mon, |ev| {
        ev.iter()
            .any(|e| matches!(e, Event::AddrAdded(a) if a.addr == nine))
    });
    assert!(
        ev.iter().any(|e| matches!(e, Event::AddrAdded(a)
            if a.addr == nine && a.prefix == 24 && a.ifindex == a0)),
        "{ev:?}"
    );
    ns.ip(&["addr", "del", "10.0.0.9/24", "dev", "a0"]);
    let ev = collect(&mut mon, |ev| {
        ev.iter()
            .any(|e| matches!(e, Event::AddrRemoved(a) if a.addr == nine))
    });
    assert!(
        ev.iter().any(|e| matches!(e, Event::AddrRemoved(a)
            if a.addr == nine && a.prefix == 24 && a.ifindex == a0)),
        "{ev:?}"
    );
    let v6: IpAddr = "2001:db8::9".parse().unwrap();
    ns.ip(&["addr", "add", "2001:db8::9/64", "dev", "a0", "nodad"]);
    let ev = collect(&mut mon, |ev| {
        ev.iter()
            .any(|e| matches!(e, Event::AddrAdded(a) if a.addr == v6))
    });
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::AddrAdded(a) if a.addr == v6 && a.prefix == 64)),
        "{ev:?}"
    );

    ns.ip(&["link", "add", "b0", "type", "veth", "peer", "name", "b1"]);
    let ev = collect(&mut mon, |ev| link(ev, "b1").next().is_some());
    assert!(
        link(&ev, "b0").any(|e| matches!(e, Event::Link(l) if l.created)),
        "{ev:?}"
    );

    // A port leaving a bridge: the kernel's AF_BRIDGE RTM_DELLINK is not a deletion.
    ns.ip(&["link", "add", "br0", "type", "bridge"]);
    ns.ip(&["link", "set", "b0", "master", "br0"]);
    ns.ip(&["link", "set", "b0", "nomaster"]);
    ns.ip(&["link", "del", "br0"]);
    let ev = collect(&mut mon, |ev| {
        link(ev, "br0").any(|e| matches!(e, Event::LinkDeleted(_)))
    });
    assert!(
        !link(&ev, "b0").any(|e| matches!(e, Event::LinkDeleted(_))),
        "{ev:?}"
    );
    assert!(
        link(&ev, "b0").any(|e| matches!(e, Event::Link(l) if l.master.is_none())),
        "{ev:?}"
    );

    ns.ip(&["link", "del", "a0"]);
    let ev = collect(&mut mon, |ev| {
        link(ev, "a1").any(|e| matches!(e, Event::LinkDeleted(_)))
    });
    assert!(
        link(&ev, "a0").any(|e| matches!(e, Event::LinkDeleted(l) if l.ifindex == a0)),
        "{ev:?}"
    );
}

#[test]
fn own_changes_are_skipped_and_a_flood_is_an_overrun() {
    if !system_ready(&["ip"]) {
        return;
    }
    let ns = Netns::new("nlmon2");
    let _in = ns.enter();
    let mut mon = Monitor::open().expect("monitor socket");
    let mut cmd = Command::open().expect("command socket");
    mon.ignore_port(cmd.port());
    let lo = cmd.link_by_name("lo").expect("lookup").expect("lo").ifindex;

    let ours: IpAddr = "10.7.0.1".parse().unwrap();
    cmd.add_address(lo, &AddrSpec::plain(ours, 32))
        .expect("add address");
    ns.ip(&["addr", "add", "10.7.0.2/32", "dev", "lo"]);
    let theirs: IpAddr = "10.7.0.2".parse().unwrap();
    let ev = collect(&mut mon, |ev| {
        ev.iter()
            .any(|e| matches!(e, Event::AddrAdded(a) if a.addr == theirs))
    });
    assert!(
        !ev.iter()
            .any(|e| matches!(e, Event::AddrAdded(a) if a.addr == ours)),
        "{ev:?}"
    );

    // More notifications than the queue holds, unread: the next read says events were lost,
    // and reading goes on afterwards.
    for i in 0..6000u32 {
        let a = IpAddr::from([10, 8, (i >> 8) as u8, i as u8]);
        cmd.add_address(lo, &AddrSpec::plain(a, 32))
            .expect("flood address");
    }
    let mut buf = vec![0u8; limits::NL_RECV_BUFFER];
    // (The flood is ours: its events are skipped.)
    let mut seen = 0;
    let r = mon.drain(&mut buf, |e| {
        assert!(e.is_ok(), "{e:?}");
        seen += 1;
    });
    assert_eq!(r, Err(Error::Overrun), "no overrun reported");
    assert_eq!(seen, 0);
    // Drained: the queue is empty now.
    assert!(mon.read(&mut buf).expect("read").is_none());
    ns.ip(&["addr", "add", "10.7.0.3/32", "dev", "lo"]);
    let three: IpAddr = "10.7.0.3".parse().unwrap();
    let ev = collect(&mut mon, |ev| {
        ev.iter()
            .any(|e| matches!(e, Event::AddrAdded(a) if a.addr == three))
    });
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::AddrAdded(a) if a.addr == three)),
        "{ev:?}"
    );
}
