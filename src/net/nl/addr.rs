//! Addresses: added and deleted as keepalived's `netlink_ipaddress` does, dumped at
//! start-up, and parsed from the monitor's events.

use std::net::{IpAddr, Ipv4Addr};

use super::attr::{Str, Writer};
use super::command::Command;
use super::error::{Error, ParseError};
use super::link::IfName;
use super::msg::{Message, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR};
use crate::config::model::ipaddr::{IpAddress, Lifetime};

const IFADDRMSG_LEN: usize = 8;

const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;
const IFA_BROADCAST: u16 = 4;
const IFA_CACHEINFO: u16 = 6;
const IFA_FLAGS: u16 = 8;

pub const IFA_F_SECONDARY: u32 = 0x01;
pub const IFA_F_NODAD: u32 = 0x02;
pub const IFA_F_HOMEADDRESS: u32 = 0x10;
pub const IFA_F_DEPRECATED: u32 = 0x20;
pub const IFA_F_TENTATIVE: u32 = 0x40;
pub const IFA_F_MANAGETEMPADDR: u32 = 0x100;
pub const IFA_F_NOPREFIXROUTE: u32 = 0x200;
pub const IFA_F_MCAUTOJOIN: u32 = 0x400;

const INFINITY_LIFE_TIME: u32 = u32::MAX;

/// An address as the kernel is asked to add or delete it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrSpec<'a> {
    pub addr: IpAddr,
    /// The prefix length (of the peer's prefix when there is a peer).
    pub prefix: u8,
    pub peer: Option<IpAddr>,
    pub broadcast: Option<Ipv4Addr>,
    pub scope: u8,
    pub label: Option<&'a str>,
    /// IFA_F_* flags beyond the NODAD keepalived adds to IPv6 addresses.
    pub flags: u32,
    /// Let the kernel run duplicate address detection (`-nodad`); keepalived otherwise
    /// turns it off for IPv6 addresses.
    pub dad: bool,
    /// IPv6 preferred lifetime in seconds (None: forever). keepalived gives a /128 VIP 0,
    /// deprecating it so that it is not picked as a source address.
    pub preferred_lft: Option<u32>,
}

impl<'a> AddrSpec<'a> {
    /// A plain address: no peer, broadcast, label or flags.
    pub fn plain(addr: IpAddr, prefix: u8) -> AddrSpec<'a> {
        AddrSpec {
            addr,
            prefix,
            peer: None,
            broadcast: None,
            scope: 0,
            label: None,
            flags: 0,
            dad: false,
            preferred_lft: None,
        }
    }
}

impl<'a> From<&'a IpAddress> for AddrSpec<'a> {
    fn from(a: &'a IpAddress) -> AddrSpec<'a> {
        let flag = |on: bool, f: u32| if on { f } else { 0 };
        AddrSpec {
            addr: a.addr,
            prefix: a.prefix,
            peer: a.peer,
            broadcast: a.broadcast,
            scope: a.scope.0,
            label: a.label.as_deref(),
            flags: flag(a.home, IFA_F_HOMEADDRESS)
                | flag(a.mngtmpaddr, IFA_F_MANAGETEMPADDR)
                | flag(a.noprefixroute, IFA_F_NOPREFIXROUTE)
                | flag(a.autojoin, IFA_F_MCAUTOJOIN),
            dad: a.dad,
            preferred_lft: match a.preferred_lft {
                Lifetime::Forever => None,
                Lifetime::Secs(s) => Some(s),
            },
        }
    }
}

/// One address, from a dump or an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrInfo {
    pub ifindex: u32,
    /// The local address.
    pub addr: IpAddr,
    pub prefix: u8,
    /// The other end of a point-to-point address.
    pub peer: Option<IpAddr>,
    pub scope: u8,
    /// IFA_F_* flags.
    pub flags: u32,
    pub label: Option<IfName>,
}

fn family(a: &IpAddr) -> u8 {
    match a {
        IpAddr::V4(_) => libc::AF_INET as u8,
        IpAddr::V6(_) => libc::AF_INET6 as u8,
    }
}

fn ifaddrmsg(family: u8, prefix: u8, scope: u8, ifindex: u32) -> [u8; IFADDRMSG_LEN] {
    let mut h = [0u8; IFADDRMSG_LEN];
    h[0] = family;
    h[1] = prefix;
    h[3] = scope;
    h[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    h
}

/// `struct ifa_cacheinfo`: preferred and valid lifetimes, then two timestamps.
fn cacheinfo(preferred: u32) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[..4].copy_from_slice(&preferred.to_ne_bytes());
    c[4..8].copy_from_slice(&INFINITY_LIFE_TIME.to_ne_bytes());
    c
}

fn write_add(w: &mut Writer<'_>, ifindex: u32, a: &AddrSpec<'_>) -> Result<(), Error> {
    w.fixed(&ifaddrmsg(family(&a.addr), a.prefix, a.scope, ifindex))?;
    let mut flags = a.flags;
    if a.addr.is_ipv6() {
        if let Some(p) = a.preferred_lft.filter(|&p| p != INFINITY_LIFE_TIME) {
            w.attr(IFA_CACHEINFO, &cacheinfo(p))?;
        }
        if !a.dad {
            flags |= IFA_F_NODAD;
        }
    }
    w.attr(IFA_LOCAL, &a.addr)?;
    if let (IpAddr::V4(_), Some(b)) = (a.addr, a.broadcast) {
        w.attr(IFA_BROADCAST, &b)?;
    }
    if flags != 0 {
        w.attr(IFA_FLAGS, &flags)?;
    }
    if let Some(l) = a.label {
        w.attr(IFA_LABEL, &Str(l))?;
    }
    if let Some(p) = a.peer {
        w.attr(IFA_ADDRESS, &p)?;
    }
    Ok(())
}

fn write_del(w: &mut Writer<'_>, ifindex: u32, a: &AddrSpec<'_>) -> Result<(), Error> {
    w.fixed(&ifaddrmsg(family(&a.addr), a.prefix, a.scope, ifindex))?;
    w.attr(IFA_LOCAL, &a.addr)?;
    if a.addr.is_ipv4() {
        // keepalived sends the local address here even for a peer address, which the kernel
        // then cannot match; the peer is what identifies such an address.
        w.attr(IFA_ADDRESS, &a.peer.unwrap_or(a.addr))?;
    }
    Ok(())
}

/// Parses a RTM_NEWADDR/RTM_DELADDR message.
pub fn parse_addr(m: &Message<'_>) -> Result<AddrInfo, ParseError> {
    let (fixed, attrs) = m.split(IFADDRMSG_LEN)?;
    let mut address = None;
    let mut local = None;
    let mut flags = u32::from(fixed[2]);
    let mut label = None;
    for a in attrs {
        let a = a?;
        match a.kind() {
            IFA_ADDRESS => address = Some(a.ip()?),
            IFA_LOCAL => local = Some(a.ip()?),
            IFA_FLAGS => flags = a.u32()?,
            IFA_LABEL => label = IfName::new(a.str()?),
            _ => {}
        }
    }
    // IFA_LOCAL is the address itself when present; IFA_ADDRESS is then the peer.
    let addr = local
        .or(address)
        .ok_or(ParseError("address without IFA_ADDRESS"))?;
    let expected = match addr {
        IpAddr::V4(_) => libc::AF_INET,
        IpAddr::V6(_) => libc::AF_INET6,
    };
    if i32::from(fixed[0]) != expected {
        return Err(ParseError("address family"));
    }
    Ok(AddrInfo {
        ifindex: u32::from_ne_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
        addr,
        prefix: fixed[1],
        peer: address.filter(|p| local.is_some() && Some(*p) != local),
        scope: fixed[3],
        flags,
        label,
    })
}

impl Command {
    /// Adds `a` to interface `ifindex`. An address already there is not an error
    /// (keepalived's rule).
    pub fn add_address(&mut self, ifindex: u32, a: &AddrSpec<'_>) -> Result<(), Error> {
        // keepalived sets neither CREATE nor EXCL: the kernel creates addresses anyway.
        self.request(RTM_NEWADDR, 0, |w| write_add(w, ifindex, a), |_| Ok(()))
    }

    /// Deletes `a` from interface `ifindex`. An address the kernel already removed is not
    /// an error (keepalived's rule).
    pub fn del_address(&mut self, ifindex: u32, a: &AddrSpec<'_>) -> Result<(), Error> {
        self.request(RTM_DELADDR, 0, |w| write_del(w, ifindex, a), |_| Ok(()))
    }

    /// Every address of the family (`AF_INET`, `AF_INET6`, or `AF_UNSPEC` for both).
    pub fn dump_addresses(
        &mut self,
        family: u8,
        mut each: impl FnMut(&AddrInfo),
    ) -> Result<(), Error> {
        self.dump(
            RTM_GETADDR,
            |w| w.fixed(&ifaddrmsg(family, 0, 0, 0)),
            |m| {
                if m.header.kind == RTM_NEWADDR {
                    each(&parse_addr(m)?);
                }
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::nl::attr::Attrs;
    use std::net::Ipv6Addr;

    fn attrs_of(bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
        Attrs::new(&bytes[IFADDRMSG_LEN..])
            .map(|a| {
                let a = a.unwrap();
                (a.kind(), a.value().to_vec())
            })
            .collect()
    }

    #[test]
    fn ipv4_add_has_keepalived_s_attributes() {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        let a = AddrSpec {
            broadcast: Some(Ipv4Addr::new(10, 0, 0, 255)),
            label: Some("eth0:vip"),
            scope: 253,
            flags: IFA_F_NOPREFIXROUTE,
            ..AddrSpec::plain("10.0.0.5".parse().unwrap(), 24)
        };
        write_add(&mut w, 7, &a).unwrap();
        let len = w.len();
        let b = &buf[..len];
        assert_eq!(&b[..8], &[2, 24, 0, 253, 7, 0, 0, 0]);
        assert_eq!(
            attrs_of(b),
            vec![
                (IFA_LOCAL, vec![10, 0, 0, 5]),
                (IFA_BROADCAST, vec![10, 0, 0, 255]),
                (IFA_FLAGS, IFA_F_NOPREFIXROUTE.to_ne_bytes().to_vec()),
                (IFA_LABEL, b"eth0:vip\0".to_vec()),
            ]
        );
    }

    #[test]
    fn ipv6_add_turns_dad_off_and_deprecates() {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        let a = AddrSpec {
            preferred_lft: Some(0),
            ..AddrSpec::plain(IpAddr::V6(Ipv6Addr::LOCALHOST), 128)
        };
        write_add(&mut w, 3, &a).unwrap();
        let len = w.len();
        let got = attrs_of(&buf[..len]);
        assert_eq!(got[0].0, IFA_CACHEINFO);
        assert_eq!(&got[0].1[4..8], &[0xff; 4]);
        assert_eq!(got[1].0, IFA_LOCAL);
        assert_eq!(got[2], (IFA_FLAGS, IFA_F_NODAD.to_ne_bytes().to_vec()));
        // -nodad: DAD stays on, and forever needs no cacheinfo.
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        let a = AddrSpec {
            dad: true,
            ..AddrSpec::plain(IpAddr::V6(Ipv6Addr::LOCALHOST), 64)
        };
        write_add(&mut w, 3, &a).unwrap();
        let len = w.len();
        assert_eq!(attrs_of(&buf[..len]).len(), 1);
    }

    #[test]
    fn deletes_name_local_and_address() {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        let a = AddrSpec::plain("10.0.0.5".parse().unwrap(), 24);
        write_del(&mut w, 2, &a).unwrap();
        let len = w.len();
        assert_eq!(
            attrs_of(&buf[..len]),
            vec![
                (IFA_LOCAL, vec![10, 0, 0, 5]),
                (IFA_ADDRESS, vec![10, 0, 0, 5])
            ]
        );
    }
}
