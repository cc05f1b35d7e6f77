//! The VM benchmark's real servers and stopwatch (board/qemu-x86_64/bench.sh), built static
//! into the VM's files: std and libc only.
//!
//! `vm_sink accept PORT COUNT_FILE`: one listener on 0.0.0.0:PORT (with 10.1.0.1/22 on `lo`
//! every address of that prefix is local, so one socket answers 1,000 real servers) that
//! accepts and closes each connection; the number accepted so far is written to COUNT_FILE
//! at most every half second.
//!
//! `vm_sink latency ADDR PORT TRIALS`: times the removal of the real server ADDR:PORT from
//! IPVS after its listener closes. Each trial listens on ADDR:PORT (accepting and closing)
//! until the daemon has the server in /proc/net/ip_vs, keeps listening a pseudo-random
//! 0-999 ms (so the close falls anywhere in the checker's delay_loop; the same sequence for
//! every run), closes the listener
//! and reads /proc/net/ip_vs every millisecond until the server is gone. Prints one line per
//! trial: `removal_ms MS added_after_ms MS kept_ms MS` (the removal, how long the
//! server took to be added, and how long the listener was kept after that).

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Longest wait for the daemon to add (or remove) the real server in one trial.
const TRIAL_TIMEOUT: Duration = Duration::from_secs(30);

fn usage() -> ExitCode {
    eprintln!("usage: vm_sink accept PORT COUNT_FILE | latency ADDR PORT TRIALS");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["accept", port, file] => match port.parse() {
            Ok(port) => accept_forever(port, file),
            Err(_) => return usage(),
        },
        ["latency", addr, port, trials] => match (addr.parse(), port.parse(), trials.parse()) {
            (Ok(addr), Ok(port), Ok(trials)) => latency(SocketAddrV4::new(addr, port), trials),
            _ => return usage(),
        },
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vm_sink: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A listener on ADDR with a backlog of 4096 (std's is 128; listen again to raise it).
fn listen(addr: SocketAddrV4) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    // SAFETY: listen(2) on a socket this process owns.
    if unsafe { libc::listen(listener.as_raw_fd(), 4096) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Waits up to `timeout` for a connection on `listener`; true when one may be pending.
fn readable(listener: &TcpListener, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, ms) > 0 }
}

/// Accepts and closes every pending connection; returns how many.
fn drain(listener: &TcpListener) -> std::io::Result<u64> {
    let mut n = 0;
    loop {
        match listener.accept() {
            Ok(_) => n += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(n),
            Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
            Err(e) => return Err(e),
        }
    }
}

fn accept_forever(port: u16, file: &str) -> std::io::Result<()> {
    let listener = listen(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))?;
    let mut count = 0u64;
    let mut written = u64::MAX;
    let mut last = Instant::now();
    loop {
        if readable(&listener, Duration::from_millis(500)) {
            count += drain(&listener)?;
        }
        if count != written && last.elapsed() >= Duration::from_millis(500) {
            std::fs::write(file, format!("{count}\n"))?;
            written = count;
            last = Instant::now();
        }
    }
}

/// ADDR:PORT as /proc/net/ip_vs prints a real server: "-> 0A010001:0051".
fn ipvs_key(addr: SocketAddrV4) -> String {
    format!("-> {:08X}:{:04X}", u32::from(*addr.ip()), addr.port())
}

fn in_ipvs(key: &str) -> std::io::Result<bool> {
    Ok(std::fs::read_to_string("/proc/net/ip_vs")?.contains(key))
}

fn latency(addr: SocketAddrV4, trials: u32) -> std::io::Result<()> {
    let key = ipvs_key(addr);
    // A fixed seed: every daemon measured gets the same sequence of close times.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for trial in 0..trials {
        let listener = listen(addr)?;
        let start = Instant::now();
        while !in_ipvs(&key)? {
            if start.elapsed() > TRIAL_TIMEOUT {
                return Err(std::io::Error::new(
                    ErrorKind::TimedOut,
                    format!("trial {trial}: {addr} never added"),
                ));
            }
            if readable(&listener, Duration::from_millis(5)) {
                drain(&listener)?;
            }
        }
        // xorshift64: where in the delay_loop the listener closes.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let kept = seed % 1000;
        let keep = Instant::now() + Duration::from_millis(kept);
        while let Some(left) = keep.checked_duration_since(Instant::now()) {
            if left.is_zero() {
                break;
            }
            if readable(&listener, left) {
                drain(&listener)?;
            }
        }
        drop(listener);
        let closed = Instant::now();
        while in_ipvs(&key)? {
            if closed.elapsed() > TRIAL_TIMEOUT {
                return Err(std::io::Error::new(
                    ErrorKind::TimedOut,
                    format!("trial {trial}: {addr} never removed"),
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        println!(
            "removal_ms {:.1} added_after_ms {:.1} kept_ms {kept}",
            closed.elapsed().as_secs_f64() * 1000.0,
            (closed - start).as_secs_f64() * 1000.0 - kept as f64
        );
    }
    Ok(())
}
