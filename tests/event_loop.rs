//! The poll loop against the real kernel: process-directed signals arrive through the
//! signalfd, a deadline fires on time, fds report readiness. Its own binary without the test
//! harness (Cargo.toml: harness = false), so that the loop's thread is the only one and a
//! signal sent to the process can only be taken from the signalfd.

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

use keepalived_rs::event::{now, Interest, Loop, Signal, Token};
use keepalived_rs::time::Duration;

fn signals_sent_to_the_process_show_up() {
    let mut ev = Loop::new(0).expect("loop");
    let all = [
        (Signal::Reload, libc::SIGHUP),
        (Signal::Term, libc::SIGTERM),
        (Signal::Int, libc::SIGINT),
        (Signal::Data, libc::SIGUSR1),
        (Signal::Stats, libc::SIGUSR2),
        (Signal::StatsClear, 63),
        (Signal::Json, 36),
        (Signal::Child, libc::SIGCHLD),
    ];
    for (_, n) in all {
        // SAFETY: signalling ourselves; every one of these is blocked and read by the loop.
        assert_eq!(unsafe { libc::kill(libc::getpid(), n) }, 0);
    }
    let mut seen = keepalived_rs::event::Signals::default();
    for _ in 0..10 {
        let r = ev.wait(Some(now() + Duration::from_secs(1))).expect("wait");
        for s in r.signals.iter() {
            seen.insert(s);
        }
        if all.iter().all(|(s, _)| seen.contains(*s)) {
            break;
        }
    }
    for (s, n) in all {
        assert!(seen.contains(s), "signal {n} ({s:?}) not seen");
        assert_eq!(s.number(), n);
    }
}

fn a_deadline_fires_after_it_and_soon() {
    let mut ev = Loop::new(0).expect("loop");
    for _ in 0..5 {
        let deadline = now() + Duration::from_micros(300);
        let r = loop {
            let r = ev.wait(Some(deadline)).expect("wait");
            if r.deadline_passed {
                break r.now;
            }
        };
        let late = r.saturating_since(deadline);
        assert!(r >= deadline, "woke before the deadline");
        assert!(late < Duration::from_micros(50_000), "{late:?} late");
    }
    // A deadline in the past fires at once; None waits for nothing else.
    let r = ev.wait(Some(now())).expect("wait");
    assert!(r.deadline_passed);
}

fn fds_report_readiness_until_deregistered() {
    let mut ev = Loop::new(2).expect("loop");
    let (mut a, b) = UnixStream::pair().expect("pair");
    a.set_nonblocking(true).expect("nonblocking");
    let (c, _d) = UnixStream::pair().expect("pair");
    ev.register(b.as_fd(), Token(7), Interest::READABLE)
        .expect("register");
    ev.register(c.as_fd(), Token(9), Interest::READABLE)
        .expect("register");
    let (x, _y) = UnixStream::pair().expect("pair");
    assert!(
        ev.register(x.as_fd(), Token(11), Interest::READABLE)
            .is_err(),
        "table full"
    );

    a.write_all(b"x").expect("write");
    let r = ev.wait(Some(now() + Duration::from_secs(1))).expect("wait");
    let events: Vec<_> = r.events().collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].token == Token(7) && events[0].readable() && !events[0].error());
    let mut byte = [0u8; 1];
    (&b).read_exact(&mut byte).expect("read");

    // Nothing ready: the deadline ends the wait with no events.
    let r = ev
        .wait(Some(now() + Duration::from_micros(1_000)))
        .expect("wait");
    assert_eq!(r.events().count(), 0);

    assert!(ev.set_interest(Token(9), Interest::BOTH));
    let r = ev.wait(Some(now() + Duration::from_secs(1))).expect("wait");
    let w: Vec<_> = r.events().collect();
    assert!(w.len() == 1 && w[0].token == Token(9) && w[0].writable() && !w[0].readable());

    assert!(ev.deregister(Token(7)));
    assert!(!ev.deregister(Token(7)));
    assert!(ev.set_interest(Token(9), Interest::READABLE));
    a.write_all(b"y").expect("write");
    let r = ev
        .wait(Some(now() + Duration::from_micros(2_000)))
        .expect("wait");
    assert_eq!(r.events().count(), 0, "a deregistered fd reports nothing");
    drop(a);
    // The peer closed: the remaining fd reports readable (EOF), freed slot reusable.
    ev.register(b.as_fd(), Token(7), Interest::READABLE)
        .expect("slot freed");
    let r = ev.wait(Some(now() + Duration::from_secs(1))).expect("wait");
    assert!(r.events().any(|e| e.token == Token(7) && e.readable()));
}

fn main() {
    let tests: [(&str, fn()); 3] = [
        (
            "signals_sent_to_the_process_show_up",
            signals_sent_to_the_process_show_up,
        ),
        (
            "a_deadline_fires_after_it_and_soon",
            a_deadline_fires_after_it_and_soon,
        ),
        (
            "fds_report_readiness_until_deregistered",
            fds_report_readiness_until_deregistered,
        ),
    ];
    for (name, f) in tests {
        f();
        println!("test {name} ... ok");
    }
    println!("event_loop: {} passed, 0 failed", tests.len());
}
