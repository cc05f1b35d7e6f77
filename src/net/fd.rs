//! The libc calls the socket modules share. Every socket is nonblocking and close-on-exec
//! from birth; interrupted calls are retried.

use std::io;
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `socket(2)` with SOCK_NONBLOCK and SOCK_CLOEXEC.
pub fn socket(domain: libc::c_int, kind: libc::c_int, proto: libc::c_int) -> io::Result<OwnedFd> {
    let kind = kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket has no memory arguments; a non-negative result is a new descriptor
    // that nothing else owns.
    let fd = unsafe { libc::socket(domain, kind, proto) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket and is owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `setsockopt(2)` with a value of type `T`.
pub fn setsockopt<T>(
    fd: &OwnedFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    // SAFETY: `value` points to a live `T` of the length passed.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub fn set_int(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, v: i32) -> io::Result<()> {
    setsockopt(fd, level, name, &(v as libc::c_int))
}

/// SO_BINDTODEVICE: the socket sees and uses only interface `name`.
pub fn bind_to_device(fd: &OwnedFd, name: &str) -> io::Result<()> {
    let mut buf = [0u8; libc::IFNAMSIZ];
    let name = name.as_bytes();
    if name.is_empty() || name.len() >= buf.len() {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    buf[..name.len()].copy_from_slice(name);
    // SAFETY: `buf` is a NUL-terminated name of at most IFNAMSIZ bytes.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            buf.as_ptr().cast(),
            (name.len() + 1) as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// SO_ATTACH_FILTER; libc does not export it for every target, and it is 26 on all the
/// architectures we build for.
const SO_ATTACH_FILTER: libc::c_int = 26;

/// A socket filter that accepts nothing: send-only sockets never queue input.
pub fn drop_all_input(fd: &OwnedFd) -> io::Result<()> {
    // BPF "ret #0": keep zero bytes of every packet.
    let mut code = [libc::sock_filter {
        code: 0x06, // BPF_RET | BPF_K
        jt: 0,
        jf: 0,
        k: 0,
    }];
    let prog = libc::sock_fprog {
        len: 1,
        filter: code.as_mut_ptr(),
    };
    setsockopt(fd, libc::SOL_SOCKET, SO_ATTACH_FILTER, &prog)
}

/// Runs a system call until it is not interrupted; a negative result is the error in errno.
pub fn retry(mut call: impl FnMut() -> isize) -> io::Result<usize> {
    loop {
        let r = call();
        if r >= 0 {
            return Ok(r as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

pub fn sockaddr_in(addr: Ipv4Addr) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(addr.octets()),
        },
        sin_zero: [0; 8],
    }
}

pub fn sockaddr_in6(addr: Ipv6Addr, scope_id: u32) -> libc::sockaddr_in6 {
    libc::sockaddr_in6 {
        sin6_family: libc::AF_INET6 as libc::sa_family_t,
        sin6_port: 0,
        sin6_flowinfo: 0,
        sin6_addr: libc::in6_addr {
            s6_addr: addr.octets(),
        },
        sin6_scope_id: scope_id,
    }
}

/// Link-local unicast addresses need an interface to mean anything, and so do link- and
/// interface-local multicast groups; keepalived scopes every multicast group, as we do.
pub fn needs_scope(a: &Ipv6Addr) -> bool {
    (a.segments()[0] & 0xffc0) == 0xfe80 || a.is_multicast()
}

/// `bind(2)` to `addr`; IPv6 link-scope addresses are scoped to `ifindex`.
pub fn bind(fd: &OwnedFd, addr: IpAddr, ifindex: u32) -> io::Result<()> {
    let r = match addr {
        IpAddr::V4(a) => {
            let sa = sockaddr_in(a);
            // SAFETY: `sa` is a live sockaddr_in of the length passed.
            unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    (&sa as *const libc::sockaddr_in).cast(),
                    size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            }
        }
        IpAddr::V6(a) => {
            let scope = if needs_scope(&a) { ifindex } else { 0 };
            let sa = sockaddr_in6(a, scope);
            // SAFETY: `sa` is a live sockaddr_in6 of the length passed.
            unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    (&sa as *const libc::sockaddr_in6).cast(),
                    size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            }
        }
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_local_unicast_and_multicast_are_scoped() {
        let scoped = |s: &str| needs_scope(&s.parse().expect("address"));
        assert!(scoped("fe80::1"));
        assert!(scoped("febf::1"));
        assert!(scoped("ff02::12"));
        assert!(scoped("ff05::12"));
        assert!(!scoped("2001:db8::1"));
        assert!(!scoped("fec0::1"));
    }

    #[test]
    fn sockaddrs_hold_the_address_in_network_order() {
        let sa = sockaddr_in(Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(sa.sin_addr.s_addr.to_ne_bytes(), [10, 0, 0, 1]);
        let sa6 = sockaddr_in6("fe80::2".parse().expect("address"), 7);
        assert_eq!(sa6.sin6_addr.s6_addr[0], 0xfe);
        assert_eq!(sa6.sin6_addr.s6_addr[15], 2);
        assert_eq!(sa6.sin6_scope_id, 7);
    }
}
