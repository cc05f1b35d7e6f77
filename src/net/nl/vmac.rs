//! VMACs (`use_vmac`): the macvlan keepalived puts an instance on, brought up the way
//! `netlink_link_add_vmac` does it, and taken down again.

use std::net::{IpAddr, Ipv6Addr};

use super::addr::AddrSpec;
use super::command::Command;
use super::error::Error;
use super::link::{IfName, LinkKind, MacvlanSpec, MACVLAN_MODE_PRIVATE};
use super::sysctl::{self, VmacSysctls};

/// A VMAC to make for an instance.
#[derive(Clone, Copy, Debug)]
pub struct VmacSpec<'a> {
    pub name: &'a str,
    pub mac: [u8; 6],
    pub parent: u32,
    pub parent_name: &'a str,
    /// An IPv4 instance: the ARP and rp_filter sysctls are needed.
    pub ipv4: bool,
    /// Addresses of IPv6 go on it (an IPv6 instance, or IPv6 eVIPs): IPv6 stays enabled.
    pub ipv6: bool,
    /// The link-local address an IPv6 instance gets on it (keepalived: the instance's
    /// source address, else the parent's link-local address, else one made from the
    /// parent's MAC; see [`link_local_from_mac`]).
    pub link_local: Option<Ipv6Addr>,
}

/// What was found under the VMAC's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmacOrigin {
    Created,
    /// A macvlan of an earlier run, on this parent: kept.
    Reused,
    /// Same, but with another MAC or mode: keepalived logs "(%s) Update old VMAC interface
    /// %s due to wrong MAC/mode".
    Updated,
    /// A macvlan on another parent, deleted and made again: keepalived logs "(%s) Removing
    /// old VMAC interface %s due to conflicting interface".
    Replaced,
}

/// keepalived's virtual MAC for `vrid`: 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID
/// (IPv6).
pub fn vmac_mac(vrid: u8, ipv6: bool) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, if ipv6 { 0x02 } else { 0x01 }, vrid]
}

/// keepalived's default VMAC name, `<prefix>.<vrid>` (`vrrp.51`); None if it is longer than
/// an interface name can be.
pub fn vmac_name(prefix: &str, vrid: u8) -> Option<IfName> {
    let mut buf = [0u8; 15];
    let p = prefix.as_bytes();
    let mut digits = [0u8; 3];
    let mut n = 0;
    let mut v = vrid;
    loop {
        digits[n] = b'0' + v % 10;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let len = p.len() + 1 + n;
    let out = buf.get_mut(..len)?;
    out[..p.len()].copy_from_slice(p);
    out[p.len()] = b'.';
    for (i, d) in digits[..n].iter().rev().enumerate() {
        out[p.len() + 1 + i] = *d;
    }
    IfName::new(std::str::from_utf8(out).ok()?)
}

/// The EUI-64 link-local address keepalived derives from a MAC.
pub fn link_local_from_mac(mac: [u8; 6]) -> Ipv6Addr {
    Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([mac[0] ^ 0x02, mac[1]]),
        u16::from_be_bytes([mac[2], 0xff]),
        u16::from_be_bytes([0xfe, mac[3]]),
        u16::from_be_bytes([mac[4], mac[5]]),
    )
}

/// Creates (or takes over) the VMAC, sets its sysctls, turns off IPv6 address generation,
/// brings it up and gives an IPv6 instance its link-local address. `interfaces` are all the
/// interfaces there are (for rp_filter). Returns its index. Call it once per VMAC per run:
/// each IPv4 VMAC holds its parent's ARP settings until [`delete_vmac`].
pub fn create_vmac<'n>(
    cmd: &mut Command,
    sysctls: &mut VmacSysctls,
    spec: &VmacSpec<'_>,
    interfaces: impl IntoIterator<Item = &'n str>,
) -> Result<(u32, VmacOrigin), Error> {
    let mac = MacvlanSpec {
        name: spec.name,
        parent: spec.parent,
        mac: spec.mac,
    };
    let (ifindex, origin) = match cmd.link_by_name(spec.name)? {
        None => (cmd.create_macvlan(&mac)?, VmacOrigin::Created),
        Some(l) => {
            let LinkKind::Macvlan(mode) = l.kind else {
                return Err(Error::VmacConflict(IfName::lossy(spec.name)));
            };
            if l.parent != Some(spec.parent) {
                cmd.delete_link(l.ifindex)?;
                (cmd.create_macvlan(&mac)?, VmacOrigin::Replaced)
            } else if l.hw_addr.as_bytes() != spec.mac || mode != Some(MACVLAN_MODE_PRIVATE) {
                cmd.update_macvlan(l.ifindex, spec.mac)?;
                (l.ifindex, VmacOrigin::Updated)
            } else {
                (l.ifindex, VmacOrigin::Reused)
            }
        }
    };
    if spec.ipv4 {
        sysctls.configure(spec.name, spec.parent_name, interfaces)?;
    }
    match sysctl::set_ipv6(spec.name, spec.ipv6) {
        // A kernel without IPv6 has no such setting.
        Err(Error::Sys { errno, .. }) if errno == libc::ENOENT => {}
        other => other?,
    }
    cmd.set_addr_gen_mode_none(ifindex)?;
    // Not with the previous request: the kernel would add an EUI-64 address on the way up
    // before taking the mode.
    cmd.set_link_up(ifindex, true)?;
    if let Some(ll) = spec.link_local {
        cmd.add_address(ifindex, &AddrSpec::plain(IpAddr::V6(ll), 64))?;
    }
    Ok((ifindex, origin))
}

/// Deletes the VMAC, and for an IPv4 instance gives its parent back its ARP settings when
/// it was the parent's last VMAC.
pub fn delete_vmac(
    cmd: &mut Command,
    sysctls: &mut VmacSysctls,
    ifindex: u32,
    parent_name: &str,
    ipv4: bool,
) -> Result<(), Error> {
    let released = if ipv4 {
        sysctls.release(parent_name)
    } else {
        Ok(())
    };
    cmd.delete_link(ifindex)?;
    released
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_macs() {
        assert_eq!(vmac_name("vrrp", 51).unwrap().as_str(), "vrrp.51");
        assert_eq!(vmac_name("vrrp", 0).unwrap().as_str(), "vrrp.0");
        assert_eq!(vmac_name("vrrp6", 255).unwrap().as_str(), "vrrp6.255");
        assert_eq!(
            vmac_name("abcdefghijk", 255).unwrap().as_str(),
            "abcdefghijk.255"
        );
        assert!(vmac_name("abcdefghijkl", 255).is_none());
        assert_eq!(vmac_mac(51, false), [0, 0, 0x5e, 0, 1, 51]);
        assert_eq!(vmac_mac(7, true), [0, 0, 0x5e, 0, 2, 7]);
    }

    #[test]
    fn eui64_link_local() {
        let ll = link_local_from_mac([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
        assert_eq!(ll.to_string(), "fe80::5054:ff:fe12:3456");
    }
}
