//! A netlink socket: nonblocking and close-on-exec, bound to a kernel-chosen port, with
//! its own sequence numbers. EINTR is retried; ENOBUFS (the kernel dropped messages for a
//! full receive queue) is [`Error::Overrun`].

use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::error::Error;

const SOL_NETLINK: libc::c_int = 270;
const NETLINK_ADD_MEMBERSHIP: libc::c_int = 1;
/// Acknowledgements carry only the request's header, not the whole request: they fit
/// small fixed buffers whatever was sent.
const NETLINK_CAP_ACK: libc::c_int = 10;

pub struct Socket {
    fd: OwnedFd,
    port: u32,
    seq: u32,
}

fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn sys(call: &'static str) -> Error {
    Error::Sys {
        call,
        errno: errno(),
    }
}

fn kernel_addr() -> libc::sockaddr_nl {
    // SAFETY: sockaddr_nl is plain data; all zeroes is a valid value (the kernel's address).
    let mut sa: libc::sockaddr_nl = unsafe { mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    sa
}

impl Socket {
    /// Opens a socket of netlink `protocol` (NETLINK_ROUTE, NETLINK_NETFILTER).
    pub fn open(protocol: libc::c_int) -> Result<Socket, Error> {
        // SAFETY: socket() has no memory preconditions; the result is checked.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                protocol,
            )
        };
        if raw < 0 {
            return Err(sys("socket"));
        }
        // SAFETY: raw is a freshly opened descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut sa = kernel_addr();
        let sa_len = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: sa is a valid sockaddr_nl of the length given.
        let rc = unsafe { libc::bind(raw, (&sa as *const libc::sockaddr_nl).cast(), sa_len) };
        if rc < 0 {
            return Err(sys("bind"));
        }
        let mut len = sa_len;
        // SAFETY: sa and len describe a writable sockaddr_nl.
        let rc =
            unsafe { libc::getsockname(raw, (&mut sa as *mut libc::sockaddr_nl).cast(), &mut len) };
        if rc < 0 || len != sa_len {
            return Err(sys("getsockname"));
        }
        let s = Socket {
            fd,
            port: sa.nl_pid,
            seq: initial_seq(),
        };
        // Older kernels lack it; acknowledgements are then only longer.
        let _ = s.set_int(SOL_NETLINK, NETLINK_CAP_ACK, 1);
        Ok(s)
    }

    fn set_int(&self, level: libc::c_int, opt: libc::c_int, v: libc::c_int) -> Result<(), Error> {
        // SAFETY: v is a c_int that outlives the call; its size is passed.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                opt,
                (&v as *const libc::c_int).cast(),
                mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(sys("setsockopt"));
        }
        Ok(())
    }

    /// Joins multicast group `group` (an RTNLGRP_* number).
    pub fn join(&self, group: u32) -> Result<(), Error> {
        let group = libc::c_int::try_from(group).map_err(|_| Error::Sys {
            call: "setsockopt",
            errno: libc::EINVAL,
        })?;
        self.set_int(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group)
    }

    /// Sizes the kernel's receive queue; as root beyond `rmem_max`.
    pub fn set_recv_buffer(&self, bytes: usize) -> Result<(), Error> {
        let v = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        self.set_int(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, v)
            .or_else(|_| self.set_int(libc::SOL_SOCKET, libc::SO_RCVBUF, v))
    }

    /// The port id the kernel gave this socket (the `pid` in its requests' echoes).
    pub fn port(&self) -> u32 {
        self.port
    }

    pub fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Records that numbers up to `last` were used (by a batch numbered in place).
    pub fn seq_used_to(&mut self, last: u32) {
        self.seq = last;
    }

    /// Sends one datagram to the kernel.
    pub fn send(&self, bytes: &[u8]) -> Result<(), Error> {
        let sa = kernel_addr();
        loop {
            // SAFETY: bytes and sa are valid for the lengths given.
            let n = unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    0,
                    (&sa as *const libc::sockaddr_nl).cast(),
                    mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
                )
            };
            if n >= 0 {
                return if n as usize == bytes.len() {
                    Ok(())
                } else {
                    Err(Error::Sys {
                        call: "sendto",
                        errno: libc::EMSGSIZE,
                    })
                };
            }
            if errno() != libc::EINTR {
                return Err(sys("sendto"));
            }
        }
    }

    /// Receives one datagram from the kernel into `buf`: its length, or None when nothing
    /// is queued. Datagrams from other sockets are dropped; one longer than `buf` is an
    /// error.
    pub fn recv(&self, buf: &mut [u8]) -> Result<Option<usize>, Error> {
        loop {
            let mut sa = kernel_addr();
            let mut sa_len = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            // SAFETY: buf, sa and sa_len are valid and writable for the lengths given.
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_TRUNC,
                    (&mut sa as *mut libc::sockaddr_nl).cast(),
                    &mut sa_len,
                )
            };
            if n < 0 {
                match errno() {
                    libc::EINTR => continue,
                    libc::EAGAIN => return Ok(None),
                    libc::ENOBUFS => return Err(Error::Overrun),
                    _ => return Err(sys("recvfrom")),
                }
            }
            let n = n as usize;
            if n > buf.len() {
                return Err(Error::Parse(super::error::ParseError(
                    "datagram larger than the receive buffer",
                )));
            }
            if sa.nl_pid != 0 {
                continue;
            }
            return Ok(Some(n));
        }
    }

    /// Waits up to `timeout_ms` for something to read; false on timeout.
    pub fn wait(&self, timeout_ms: i32) -> Result<bool, Error> {
        let mut p = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: p is one valid pollfd.
            let rc = unsafe { libc::poll(&mut p, 1, timeout_ms) };
            if rc >= 0 {
                return Ok(rc > 0);
            }
            if errno() != libc::EINTR {
                return Err(sys("poll"));
            }
        }
    }
}

/// keepalived starts its sequence numbers at the time, so replies to an earlier process's
/// requests on a reused port are not taken for ours.
fn initial_seq() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() as u32)
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
