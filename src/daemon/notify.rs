//! systemd's notification protocol (`sd_notify`) without libsystemd: one datagram to the
//! unix socket named by `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace).
//! keepalived sends `READY=1` with `MAINPID` once running, `RELOADING=1` when a reload
//! starts (and `READY=1` when it is done), `STOPPING=1` on the way out and `ERRNO=` on a
//! failure. Debian's unit is `Type=notify`.
//!
//! keepalived only notifies when its parent is systemd itself (pid 1 named "systemd");
//! keepalived-rs notifies whenever the variable is set, as sd_notify(3) documents, so that
//! other supervisors speaking the protocol work too.

use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

#[derive(Debug)]
pub struct Notifier {
    sock: UnixDatagram,
    addr: SocketAddr,
}

impl Notifier {
    /// From `$NOTIFY_SOCKET`; None when unset or unusable.
    pub fn from_env() -> Option<Notifier> {
        Notifier::new(&std::env::var_os("NOTIFY_SOCKET")?).ok()
    }

    /// For the socket `name` (a path or `@abstract`).
    pub fn new(name: &OsStr) -> io::Result<Notifier> {
        let bytes = name.as_bytes();
        let addr = match bytes.strip_prefix(b"@") {
            Some(abs) => SocketAddr::from_abstract_name(abs)?,
            None => SocketAddr::from_pathname(name)?,
        };
        let sock = UnixDatagram::unbound()?;
        sock.set_nonblocking(true)?;
        Ok(Notifier { sock, addr })
    }

    fn send(&self, msg: &str) -> io::Result<()> {
        self.sock
            .send_to_addr(msg.as_bytes(), &self.addr)
            .map(|_| ())
    }

    pub fn ready(&self) -> io::Result<()> {
        self.send(&format!("READY=1\nMAINPID={}", std::process::id()))
    }

    pub fn reloading(&self) -> io::Result<()> {
        self.send("RELOADING=1")
    }

    pub fn stopping(&self) -> io::Result<()> {
        self.send("STOPPING=1")
    }

    /// The daemon is failing with `errno`.
    pub fn errno(&self, errno: i32) -> io::Result<()> {
        self.send(&format!("ERRNO={errno}"))
    }
}
