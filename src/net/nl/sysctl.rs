//! The interface sysctls keepalived sets for VMACs, through /proc/sys, with the values
//! they replaced remembered and put back (keepalived's `set_interface_parameters`,
//! `reset_interface_parameters`, `clear_rp_filter`, `restore_rp_filter`).
//!
//! - On a VMAC: arp_ignore=1, accept_local=1, rp_filter=0, promote_secondaries=1 (not
//!   restored: the VMAC goes away).
//! - On its parent: arp_ignore=1, arp_filter=1, restored when its last VMAC is released.
//! - If all.rp_filter is set: default.rp_filter and every interface's rp_filter are raised
//!   to it, then all.rp_filter is set to 0 (rp_filter=0 on the VMAC would be overridden
//!   otherwise); at exit each is put back if it still holds what was set.
//!
//! Paths are built on the stack; the tables have a capacity fixed when made.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};

use super::error::Error;
use super::link::IfName;

/// `/proc/sys/net/<proto>/conf/<iface>/<param>`, on the stack.
struct Path {
    buf: [u8; 96],
    len: usize,
}

impl Path {
    fn new(proto: &str, iface: &str, param: &str) -> Result<Path, Error> {
        let mut p = Path {
            buf: [0; 96],
            len: 0,
        };
        for part in ["/proc/sys/net/", proto, "/conf/", iface, "/", param] {
            let end = p.len + part.len();
            p.buf
                .get_mut(p.len..end)
                .ok_or(Error::NoSpace)?
                .copy_from_slice(part.as_bytes());
            p.len = end;
        }
        Ok(p)
    }

    fn as_str(&self) -> &str {
        // Built from &str parts only.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

fn io_error(call: &'static str, e: &std::io::Error) -> Error {
    Error::Sys {
        call,
        errno: e.raw_os_error().unwrap_or(libc::EIO),
    }
}

/// Reads a small unsigned sysctl of `net.<proto>.conf.<iface>`.
pub fn read(proto: &str, iface: &str, param: &str) -> Result<u32, Error> {
    let path = Path::new(proto, iface, param)?;
    let mut f = File::open(path.as_str()).map_err(|e| io_error("open", &e))?;
    let mut buf = [0u8; 16];
    let n = f.read(&mut buf).map_err(|e| io_error("read", &e))?;
    let text = std::str::from_utf8(&buf[..n]).unwrap_or("");
    text.trim().parse().map_err(|_| Error::Sys {
        call: "read",
        errno: libc::EINVAL,
    })
}

/// Writes a sysctl of `net.<proto>.conf.<iface>`.
pub fn write(proto: &str, iface: &str, param: &str, value: u32) -> Result<(), Error> {
    let path = Path::new(proto, iface, param)?;
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut v = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let mut f = OpenOptions::new()
        .write(true)
        .open(path.as_str())
        .map_err(|e| io_error("open", &e))?;
    f.write_all(&digits[at..])
        .map_err(|e| io_error("write", &e))
}

/// keepalived turns IPv6 off on a VMAC whose instance has no IPv6 addresses.
pub fn set_ipv6(iface: &str, enabled: bool) -> Result<(), Error> {
    write("ipv6", iface, "disable_ipv6", u32::from(!enabled))
}

struct Parent {
    name: IfName,
    /// VMACs on it.
    users: u32,
    arp_ignore: Option<u32>,
    arp_filter: Option<u32>,
}

struct RpFilter {
    all: u32,
    /// default.rp_filter before it was raised.
    default: Option<u32>,
    /// Interfaces whose rp_filter was raised, with what they had.
    raised: Vec<(IfName, u32)>,
}

/// What was changed for VMACs, to put back.
pub struct VmacSysctls {
    parents: Vec<Parent>,
    rp_filter: Option<RpFilter>,
    capacity: usize,
}

impl VmacSysctls {
    /// Room for `capacity` parents and as many interfaces with a raised rp_filter.
    pub fn new(capacity: usize) -> VmacSysctls {
        VmacSysctls {
            parents: Vec::with_capacity(capacity),
            rp_filter: None,
            capacity,
        }
    }

    /// Sets the sysctls for a new IPv4 VMAC `vmac` on `parent`; `interfaces` are all the
    /// interfaces there are (their rp_filter may have to be raised).
    pub fn configure<'n>(
        &mut self,
        vmac: &str,
        parent: &str,
        interfaces: impl IntoIterator<Item = &'n str>,
    ) -> Result<(), Error> {
        if self.rp_filter.is_none() {
            self.clear_rp_filter(interfaces)?;
        }
        for (param, value) in [
            ("arp_ignore", 1),
            ("accept_local", 1),
            ("rp_filter", 0),
            ("promote_secondaries", 1),
        ] {
            write("ipv4", vmac, param, value)?;
        }
        let name = IfName::new(parent).ok_or(Error::NoInterface(IfName::lossy(parent)))?;
        if let Some(p) = self.parents.iter_mut().find(|p| p.name == name) {
            p.users += 1;
            return Ok(());
        }
        if self.parents.len() == self.capacity {
            return Err(Error::Full("VMAC parent sysctl"));
        }
        let mut p = Parent {
            name,
            users: 1,
            arp_ignore: None,
            arp_filter: None,
        };
        for (param, saved) in [
            ("arp_ignore", &mut p.arp_ignore),
            ("arp_filter", &mut p.arp_filter),
        ] {
            let old = read("ipv4", parent, param)?;
            if old != 1 {
                write("ipv4", parent, param, 1)?;
                *saved = Some(old);
            }
        }
        self.parents.push(p);
        Ok(())
    }

    /// A VMAC on `parent` was deleted; the parent's settings go back with its last one.
    pub fn release(&mut self, parent: &str) -> Result<(), Error> {
        let Some(i) = self.parents.iter().position(|p| p.name.as_str() == parent) else {
            return Ok(());
        };
        self.parents[i].users -= 1;
        if self.parents[i].users > 0 {
            return Ok(());
        }
        let p = self.parents.swap_remove(i);
        restore_parent(&p)
    }

    /// At exit: parents still held and the rp_filter settings go back.
    pub fn restore(&mut self) -> Result<(), Error> {
        let mut first = Ok(());
        for p in self.parents.drain(..) {
            first = first.and(restore_parent(&p));
        }
        if let Some(rp) = self.rp_filter.take() {
            first = first.and(restore_rp_filter(&rp));
        }
        first
    }

    fn clear_rp_filter<'n>(
        &mut self,
        interfaces: impl IntoIterator<Item = &'n str>,
    ) -> Result<(), Error> {
        let all = read("ipv4", "all", "rp_filter")?;
        if all == 0 {
            return Ok(());
        }
        let mut rp = RpFilter {
            all,
            default: None,
            raised: Vec::with_capacity(self.capacity),
        };
        let default = read("ipv4", "default", "rp_filter")?;
        if default < all {
            write("ipv4", "default", "rp_filter", all)?;
            rp.default = Some(default);
        }
        for name in interfaces {
            // An interface that went away since the caller listed it is skipped.
            let Ok(old) = read("ipv4", name, "rp_filter") else {
                continue;
            };
            if old >= all {
                continue;
            }
            let Some(n) = IfName::new(name) else {
                continue;
            };
            if rp.raised.len() == self.capacity {
                return Err(Error::Full("rp_filter"));
            }
            write("ipv4", name, "rp_filter", all)?;
            rp.raised.push((n, old));
        }
        write("ipv4", "all", "rp_filter", 0)?;
        self.rp_filter = Some(rp);
        Ok(())
    }
}

fn restore_parent(p: &Parent) -> Result<(), Error> {
    let name = p.name.as_str();
    let mut first = Ok(());
    for (param, saved) in [("arp_ignore", p.arp_ignore), ("arp_filter", p.arp_filter)] {
        if let Some(v) = saved {
            first = first.and(write("ipv4", name, param, v));
        }
    }
    first
}

/// Puts back only what still holds the value keepalived set.
fn restore_rp_filter(rp: &RpFilter) -> Result<(), Error> {
    let mut first = Ok(());
    if read("ipv4", "all", "rp_filter")? == 0 {
        first = write("ipv4", "all", "rp_filter", rp.all);
    }
    if let Some(d) = rp.default {
        if read("ipv4", "default", "rp_filter")? == rp.all {
            first = first.and(write("ipv4", "default", "rp_filter", d));
        }
    }
    for (name, old) in &rp.raised {
        if read("ipv4", name.as_str(), "rp_filter").ok() == Some(rp.all) {
            first = first.and(write("ipv4", name.as_str(), "rp_filter", *old));
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_built_on_the_stack() {
        let p = Path::new("ipv4", "vrrp.51", "arp_ignore").unwrap();
        assert_eq!(p.as_str(), "/proc/sys/net/ipv4/conf/vrrp.51/arp_ignore");
        let long = "x".repeat(100);
        assert!(Path::new("ipv4", &long, "rp_filter").is_err());
    }

    #[test]
    fn reads_a_sysctl_of_this_machine() {
        // lo always exists; rp_filter is 0, 1 or 2.
        if let Ok(v) = read("ipv4", "lo", "rp_filter") {
            assert!(v <= 2);
        }
        assert!(read("ipv4", "no-such-if", "rp_filter").is_err());
    }
}
