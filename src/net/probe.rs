//! The health checkers' sockets: one per attempt, nonblocking from birth, driven by the
//! poll loop. `check::Checkers` says where to connect (`check::Target`); this module opens
//! the socket, reports the connection's end, and moves bytes between the socket and the
//! runtime's fixed buffers.
//!
//! - `Stream`: a TCP connection (connect returns EINPROGRESS; wait for POLLOUT, then
//!   `connect_result`). SO_LINGER 0: closing an attempt resets it, so thousands of checks
//!   leave no TIME_WAIT behind.
//! - `Datagram`: a connected UDP socket; ICMP errors for it come back as ECONNREFUSED and
//!   friends on `send`/`recv`.
//! - `Echo`: an ICMP or ICMPv6 socket: datagram (`net.ipv4.ping_group_range`) when the
//!   kernel allows it, raw otherwise; `recv` hands back the ICMP message without the IPv4
//!   header a raw socket adds.
//!
//! Options: `bind_if` (SO_BINDTODEVICE, and the scope of link-local addresses), `bindto` /
//! `bind_port`, `fwmark` (SO_MARK). Every call retries EINTR; `recv` and `send` report
//! EAGAIN as `WouldBlock` so callers drain to it.

use std::io;
use std::mem::size_of;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::fd;
use crate::check::{Target, Transport};

/// What a read gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recv {
    /// The message is `buf[start..end]`.
    Data { start: usize, end: usize },
    /// Nothing more for now (EAGAIN).
    WouldBlock,
    /// The peer closed the stream.
    Eof,
    /// A socket error (errno), e.g. ECONNREFUSED from an ICMP port unreachable.
    Error(i32),
}

/// One attempt's socket.
#[derive(Debug)]
pub struct Probe {
    fd: OwnedFd,
    connecting: bool,
    /// A TCP socket: a read of 0 bytes is the end of the stream (a datagram socket can
    /// receive an empty datagram).
    stream: bool,
    /// A raw IPv4 ICMP socket: received messages start with the IP header.
    raw_v4: bool,
}

fn storage(a: SocketAddr, scope: u32) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all zeroes is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match a {
        SocketAddr::V4(v) => {
            let mut sa = fd::sockaddr_in(*v.ip());
            sa.sin_port = v.port().to_be();
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sa) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(v) => {
            let scope = if fd::needs_scope(v.ip()) { scope } else { 0 };
            let mut sa = fd::sockaddr_in6(*v.ip(), scope);
            sa.sin6_port = v.port().to_be();
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sa) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

/// The index of interface `name`, without allocating; 0 if unknown.
fn ifindex(name: &str) -> u32 {
    let mut buf = [0u8; libc::IFNAMSIZ];
    let b = name.as_bytes();
    if b.is_empty() || b.len() >= buf.len() {
        return 0;
    }
    buf[..b.len()].copy_from_slice(b);
    // SAFETY: `buf` is NUL-terminated.
    unsafe { libc::if_nametoindex(buf.as_ptr().cast()) }
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

impl Probe {
    /// Opens the socket for `t` and starts connecting. Errors are the socket's (the caller
    /// reports them to the core as a failed attempt).
    pub fn open(t: &Target) -> io::Result<Probe> {
        let v6 = t.dst.is_ipv6();
        let domain = if v6 { libc::AF_INET6 } else { libc::AF_INET };
        let (sock, raw_v4) = match t.transport {
            Transport::Stream => (
                fd::socket(domain, libc::SOCK_STREAM, libc::IPPROTO_TCP)?,
                false,
            ),
            Transport::Datagram => (
                fd::socket(domain, libc::SOCK_DGRAM, libc::IPPROTO_UDP)?,
                false,
            ),
            Transport::Echo => {
                let proto = if v6 {
                    libc::IPPROTO_ICMPV6
                } else {
                    libc::IPPROTO_ICMP
                };
                match fd::socket(domain, libc::SOCK_DGRAM, proto) {
                    Ok(s) => (s, false),
                    Err(e)
                        if matches!(
                            e.raw_os_error(),
                            Some(libc::EACCES | libc::EPERM | libc::EPROTONOSUPPORT)
                        ) =>
                    {
                        (fd::socket(domain, libc::SOCK_RAW, proto)?, !v6)
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let mut scope = 0;
        if let Some(name) = &t.bind_if {
            fd::bind_to_device(&sock, name)?;
            scope = ifindex(name);
        }
        if t.fwmark != 0 {
            fd::set_int(&sock, libc::SOL_SOCKET, libc::SO_MARK, t.fwmark as i32)?;
        }
        if t.transport == Transport::Stream {
            let l = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            fd::setsockopt(&sock, libc::SOL_SOCKET, libc::SO_LINGER, &l)?;
        }
        if let Some(b) = t.bind {
            let b = if t.transport == Transport::Echo {
                SocketAddr::new(b.ip(), 0)
            } else {
                b
            };
            let (ss, len) = storage(b, scope);
            // SAFETY: `ss` holds a sockaddr of `len` bytes.
            let r = unsafe {
                libc::bind(
                    sock.as_raw_fd(),
                    (&ss as *const libc::sockaddr_storage).cast(),
                    len,
                )
            };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        let dst = if t.transport == Transport::Echo {
            SocketAddr::new(t.dst.ip(), 0)
        } else {
            t.dst
        };
        let (ss, len) = storage(dst, scope);
        let r = fd::retry(|| {
            // SAFETY: `ss` holds a sockaddr of `len` bytes.
            unsafe {
                libc::connect(
                    sock.as_raw_fd(),
                    (&ss as *const libc::sockaddr_storage).cast(),
                    len,
                ) as isize
            }
        });
        let connecting = match r {
            Ok(_) => false,
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => true,
            Err(e) => return Err(e),
        };
        Ok(Probe {
            fd: sock,
            connecting,
            stream: t.transport == Transport::Stream,
            raw_v4,
        })
    }

    /// Still connecting: wait for POLLOUT, then call `connect_result`.
    pub fn connecting(&self) -> bool {
        self.connecting
    }

    /// The end of a nonblocking connect (SO_ERROR): Ok once connected.
    pub fn connect_result(&mut self) -> Result<(), i32> {
        let mut err: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `err` and `len` are live and sized as passed.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut err as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        if r < 0 {
            return Err(errno(&io::Error::last_os_error()));
        }
        if err != 0 {
            return Err(err);
        }
        self.connecting = false;
        Ok(())
    }

    /// Sends what it can of `buf`: Ok(0) when the socket is full (EAGAIN).
    pub fn send(&self, buf: &[u8]) -> Result<usize, i32> {
        if buf.is_empty() {
            return Ok(0);
        }
        let r = fd::retry(|| {
            // SAFETY: `buf` is live for its length.
            unsafe {
                libc::send(
                    self.fd.as_raw_fd(),
                    buf.as_ptr().cast(),
                    buf.len(),
                    libc::MSG_NOSIGNAL,
                )
            }
        });
        match r {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(errno(&e)),
        }
    }

    /// One read into `buf`.
    pub fn recv(&self, buf: &mut [u8]) -> Recv {
        let r = fd::retry(|| {
            // SAFETY: `buf` is live and writable for its length.
            unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) }
        });
        match r {
            Ok(0) if buf.is_empty() => Recv::WouldBlock,
            Ok(0) if self.stream => Recv::Eof,
            Ok(0) => Recv::Data { start: 0, end: 0 },
            Ok(n) if self.raw_v4 => {
                // Skip the IPv4 header (IHL words).
                let ihl = usize::from(buf[0] & 0x0f) * 4;
                if ihl < 20 || ihl > n {
                    return Recv::Data { start: n, end: n };
                }
                Recv::Data { start: ihl, end: n }
            }
            Ok(n) => Recv::Data { start: 0, end: n },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Recv::WouldBlock,
            Err(e) => Recv::Error(errno(&e)),
        }
    }
}

impl AsRawFd for Probe {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl std::os::fd::AsFd for Probe {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddrs_carry_the_port_and_scope() {
        let (ss, len) = storage("10.1.2.3:8080".parse().unwrap(), 0);
        assert_eq!(len as usize, size_of::<libc::sockaddr_in>());
        // SAFETY: storage wrote a sockaddr_in.
        let sa: libc::sockaddr_in =
            unsafe { std::ptr::read((&ss as *const libc::sockaddr_storage).cast()) };
        assert_eq!(u16::from_be(sa.sin_port), 8080);
        let (ss, _) = storage("[fe80::1]:80".parse().unwrap(), 3);
        // SAFETY: storage wrote a sockaddr_in6.
        let sa6: libc::sockaddr_in6 =
            unsafe { std::ptr::read((&ss as *const libc::sockaddr_storage).cast()) };
        assert_eq!(sa6.sin6_scope_id, 3);
        assert_eq!(u16::from_be(sa6.sin6_port), 80);
        assert_eq!(ifindex("lo"), ifindex("lo"));
        assert_eq!(ifindex(""), 0);
    }

    #[test]
    fn a_refused_loopback_connection_is_reported() {
        // A port nobody listens on, on loopback, in this process's namespace.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dst = l.local_addr().unwrap();
        drop(l);
        let t = Target {
            transport: Transport::Stream,
            dst,
            bind: None,
            bind_if: None,
            fwmark: 0,
        };
        let mut p = match Probe::open(&t) {
            Ok(p) => p,
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED));
                return;
            }
        };
        let mut pfd = libc::pollfd {
            fd: p.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one live pollfd.
        unsafe { libc::poll(&mut pfd, 1, 2000) };
        assert_eq!(p.connect_result(), Err(libc::ECONNREFUSED));
    }
}
