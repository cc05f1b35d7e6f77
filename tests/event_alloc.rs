//! `Loop::wait` allocates nothing: with a counting global allocator (this file is its own
//! test binary), a thousand iterations woken by deadlines, readable fds and signals (sent to
//! this thread, which the loop blocked them in) leave the count at zero; so do log lines.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};

use keepalived_rs::event::{now, Interest, Loop, Signal, Token};
use keepalived_rs::time::Duration;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting has no effect
// on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn wait_allocates_nothing() {
    let mut ev = Loop::new(8).expect("loop");
    let (mut a, b) = UnixStream::pair().expect("pair");
    b.set_nonblocking(true).expect("nonblocking");
    ev.register(b.as_fd(), Token(1), Interest::READABLE)
        .expect("register");
    let mut buf = [0u8; 16];
    let (mut deadlines, mut reads, mut signals) = (0, 0, 0);

    COUNTING.with(|c| c.set(true));
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
    COUNTING.with(|c| c.set(false));

    assert_eq!(ALLOCATIONS.load(Ordering::Relaxed), 0);
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
    COUNTING.with(|c| c.set(true));
    for i in 0..100 {
        log::info!("(VI_{i}) Entering MASTER STATE");
        let _ = server.recv(&mut buf);
    }
    COUNTING.with(|c| c.set(false));
    assert_eq!(ALLOCATIONS.load(Ordering::Relaxed), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
