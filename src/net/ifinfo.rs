//! The few interface facts the VRRP sockets and GARP need, asked of the kernel by name
//! (ioctl and /proc/sys). The netlink module keeps the full, live picture; these are for
//! start-up and for the moment a socket is opened.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::fd;

/// What sending a gratuitous ARP or NA on an interface needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    /// The Ethernet address; None when the interface is not Ethernet.
    pub mac: Option<[u8; 6]>,
    /// IFF_NOARP: no ARP, so no gratuitous ARP or NA either.
    pub noarp: bool,
}

/// An ifreq naming `name`, or InvalidInput when it cannot be an interface name.
fn ifreq(name: &str) -> io::Result<libc::ifreq> {
    // SAFETY: ifreq is plain data (a name and a union of integers and sockaddrs); all zero
    // is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= req.ifr_name.len() || bytes.contains(&0) {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    for (d, s) in req.ifr_name.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    Ok(req)
}

fn ioctl(sock: &OwnedFd, request: libc::c_ulong, req: &mut libc::ifreq) -> io::Result<()> {
    // SAFETY: the SIOCGIF* requests used here read the name from and write one union member
    // into `req`, a live ifreq.
    let r = unsafe { libc::ioctl(sock.as_raw_fd(), request as libc::Ioctl, req as *mut _) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn ioctl_socket() -> io::Result<OwnedFd> {
    fd::socket(libc::AF_INET, libc::SOCK_DGRAM, 0)
}

/// The interface index of `name` (NotFound when there is no such interface).
pub fn index(name: &str) -> io::Result<u32> {
    let sock = ioctl_socket()?;
    let mut req = ifreq(name)?;
    ioctl(&sock, libc::SIOCGIFINDEX, &mut req)?;
    // SAFETY: SIOCGIFINDEX filled the ifindex member.
    Ok(unsafe { req.ifr_ifru.ifru_ifindex } as u32)
}

/// Index, Ethernet address and IFF_NOARP of `name`.
pub fn link(name: &str) -> io::Result<Link> {
    let sock = ioctl_socket()?;
    let mut req = ifreq(name)?;
    ioctl(&sock, libc::SIOCGIFINDEX, &mut req)?;
    // SAFETY: SIOCGIFINDEX filled the ifindex member.
    let index = unsafe { req.ifr_ifru.ifru_ifindex } as u32;
    ioctl(&sock, libc::SIOCGIFFLAGS, &mut req)?;
    // SAFETY: SIOCGIFFLAGS filled the flags member.
    let flags = unsafe { req.ifr_ifru.ifru_flags } as libc::c_int;
    ioctl(&sock, libc::SIOCGIFHWADDR, &mut req)?;
    // SAFETY: SIOCGIFHWADDR filled the hwaddr member.
    let hw = unsafe { req.ifr_ifru.ifru_hwaddr };
    let mac = (hw.sa_family == libc::ARPHRD_ETHER).then(|| {
        let mut m = [0u8; 6];
        for (d, s) in m.iter_mut().zip(hw.sa_data) {
            *d = s as u8;
        }
        m
    });
    Ok(Link {
        index,
        mac,
        noarp: flags & libc::IFF_NOARP != 0,
    })
}

/// Whether IPv6 forwarding is on for `name` (an unsolicited NA then carries the Router
/// flag, as keepalived sends it).
pub fn ipv6_forwarding(name: &str) -> io::Result<bool> {
    const DIR: &[u8] = b"/proc/sys/net/ipv6/conf/";
    const FILE: &[u8] = b"/forwarding";
    let n = name.as_bytes();
    if n.is_empty() || n.len() >= libc::IFNAMSIZ || n.contains(&b'/') || n.starts_with(b".") {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    let mut path = [0u8; DIR.len() + libc::IFNAMSIZ + FILE.len()];
    let len = DIR.len() + n.len() + FILE.len();
    path[..DIR.len()].copy_from_slice(DIR);
    path[DIR.len()..DIR.len() + n.len()].copy_from_slice(n);
    path[DIR.len() + n.len()..len].copy_from_slice(FILE);
    let mut value = [0u8; 8];
    let got = File::open(Path::new(OsStr::from_bytes(&path[..len])))?.read(&mut value)?;
    Ok(value[..got].first().is_some_and(|&c| c != b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_found_and_is_not_ethernet() {
        let lo = link("lo").expect("lo exists");
        assert_eq!(index("lo").expect("lo"), lo.index);
        assert!(lo.index > 0);
        assert_eq!(lo.mac, None);
    }

    #[test]
    fn bad_or_missing_names_are_errors() {
        assert_eq!(
            index("").map_err(|e| e.kind()),
            Err(io::ErrorKind::InvalidInput)
        );
        assert!(index("no-such-if-x").is_err());
        assert!(link("a-name-far-too-long-for-linux").is_err());
        assert_eq!(
            ipv6_forwarding("../x").map_err(|e| e.kind()),
            Err(io::ErrorKind::InvalidInput)
        );
    }
}
