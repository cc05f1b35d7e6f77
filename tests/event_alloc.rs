//! `Loop::wait` allocates nothing: with a counting global allocator (this file is its own
//! test binary), a thousand iterations woken by deadlines, readable fds and signals (sent to
//! this thread, which the loop blocked them in) leave the count at zero; so do log lines.

use keepalived_rs::runtime::heap::{self, Counting};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

use keepalived_rs::event::{now, Interest, Loop, Signal, Token};
use keepalived_rs::time::Duration;

#[global_allocator]
static HEAP: Counting = Counting;

#[test]
fn wait_allocates_nothing() {
    let mut ev = Loop::new(8).expect("loop");
    let (mut a, b) = UnixStream::pair().expect("pair");
    b.set_nonblocking(true).expect("nonblocking");
    ev.register(b.as_fd(), Token(1), Interest::READABLE)
        .expect("register");
    let mut buf = [0u8; 16];
    let (mut deadlines, mut reads, mut signals) = (0, 0, 0);

    heap::start_counting();
    for i in 0..1000u32 {
        match i % 3 {
            0 => {
                let _ = a.write(b"x");
            }
            // SAFETY: a signal to this thread, where the loop blocked it.
            1 => unsafe {
                libc::pthread_kill(libc::pthread_self(), libc::SIGUSR2);
            },
            _ => {}
        }
        let r = ev
            .wait(Some(now() + Duration::from_micros(200)))
            .expect("wait");
        if r.deadline_passed {
            deadlines += 1;
        }
        if r.signals.contains(Signal::Stats) {
            signals += 1;
        }
        let readable = r.events().filter(|e| e.readable()).count();
        if readable > 0 {
            reads += 1;
            while (&b).read(&mut buf).is_ok_and(|n| n > 0) {}
        }
    }
    let counted = heap::stop_counting();

    assert_eq!(counted, 0);
    assert!(deadlines > 0 && reads > 0 && signals > 0);
}

#[test]
fn log_lines_allocate_nothing() {
    use keepalived_rs::log::{self as klog, Options};
    let dir = std::env::temp_dir().join(format!("ka-alloc-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("log");
    let server = std::os::unix::net::UnixDatagram::bind(&path).expect("bind");
    klog::init(Options {
        console: false,
        detail: true,
        syslog: true,
        facility: libc::LOG_DAEMON,
        socket: path,
    });
    log::info!("connects once");
    let mut buf = [0u8; 4096];
    heap::start_counting();
    for i in 0..100 {
        log::info!("(VI_{i}) Entering MASTER STATE");
        let _ = server.recv(&mut buf);
    }
    let counted = heap::stop_counting();
    assert_eq!(counted, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
