//! The interfaces of the namespace as the daemon follows them: index, name, up, what GARPs
//! need, and the primary addresses VRRP takes its source from. Filled from netlink dumps at
//! start-up and kept current from the monitor's events; the table's capacity is fixed then.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::model::vrrp::Family;
use crate::limits;
use crate::net::ifinfo::Link;
use crate::net::nl::{self, AddrInfo, IfName, LinkInfo};

const IFF_UP: u32 = libc::IFF_UP as u32;
const IFF_RUNNING: u32 = libc::IFF_RUNNING as u32;
const IFF_NOARP: u32 = libc::IFF_NOARP as u32;
const IFA_F_SECONDARY: u32 = 0x01;
const ARPHRD_ETHER: u16 = 1;

#[derive(Clone, Copy, Debug)]
pub struct Iface {
    pub name: IfName,
    pub index: u32,
    pub flags: u32,
    pub mac: Option<[u8; 6]>,
    /// The IPv4 address adverts leave from: the first primary one that is not a VIP.
    pub v4: Option<Ipv4Addr>,
    /// The IPv6 link-local address adverts leave from.
    pub v6: Option<Ipv6Addr>,
    /// IPv6 forwarding on: unsolicited NAs carry the Router flag.
    pub forwarding: bool,
}

impl Iface {
    /// Up and running, as keepalived reads a link (IFF_UP and IFF_RUNNING).
    pub fn up(&self) -> bool {
        self.flags & (IFF_UP | IFF_RUNNING) == IFF_UP | IFF_RUNNING
    }

    pub fn link(&self) -> Link {
        Link {
            index: self.index,
            mac: self.mac,
            noarp: self.flags & IFF_NOARP != 0,
        }
    }

    pub fn primary(&self, family: Family) -> Option<IpAddr> {
        match family {
            Family::V4 => self.v4.map(IpAddr::V4),
            Family::V6 => self.v6.map(IpAddr::V6),
        }
    }
}

/// What an address event changed for VRRP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrimaryChange {
    pub iface: usize,
    pub family: Family,
    pub addr: Option<IpAddr>,
}

pub struct Ifaces {
    list: Vec<Iface>,
    /// Interfaces not kept because the table was full.
    pub overflow: u64,
}

fn mac_of(l: &LinkInfo) -> Option<[u8; 6]> {
    let b = l.hw_addr.as_bytes();
    if l.arphrd != ARPHRD_ETHER || b.len() != 6 {
        return None;
    }
    let mut m = [0u8; 6];
    m.copy_from_slice(b);
    Some(m)
}

impl Ifaces {
    /// Every link and address of the namespace. `is_vip` tells the addresses the daemon
    /// itself adds, never taken as a source.
    pub fn load(
        cmd: &mut nl::Command,
        is_vip: &dyn Fn(IpAddr) -> bool,
    ) -> Result<Ifaces, nl::Error> {
        let mut t = Ifaces {
            list: Vec::with_capacity(limits::MAX_INTERFACES),
            overflow: 0,
        };
        cmd.dump_links(|l| {
            t.link(l);
        })?;
        let mut addrs = Vec::new();
        cmd.dump_addresses(libc::AF_UNSPEC as u8, |a| addrs.push(*a))?;
        for a in &addrs {
            t.address_added(a, is_vip);
        }
        Ok(t)
    }

    pub fn get(&self, k: usize) -> Option<&Iface> {
        self.list.get(k)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Iface> {
        self.list.iter()
    }

    pub fn find(&self, name: &str) -> Option<usize> {
        self.list.iter().position(|i| i.name.as_str() == name)
    }

    pub fn by_index(&self, index: u32) -> Option<usize> {
        self.list.iter().position(|i| i.index == index)
    }

    pub fn named(&self, name: &str) -> Option<&Iface> {
        self.find(name).and_then(|k| self.list.get(k))
    }

    /// A link was created or changed: its slot, and whether its up state changed.
    pub fn link(&mut self, l: &LinkInfo) -> Option<(usize, bool)> {
        let forwarding = crate::net::ifinfo::ipv6_forwarding(l.name.as_str()).unwrap_or(false);
        let slot = self.by_index(l.ifindex).or_else(|| {
            let k = self.find(l.name.as_str())?;
            (self.list[k].index == 0).then_some(k)
        });
        if let Some(k) = slot {
            let i = &mut self.list[k];
            i.index = l.ifindex;
            let was = i.up();
            i.name = l.name;
            i.flags = l.flags;
            i.mac = mac_of(l);
            i.forwarding = forwarding;
            return Some((k, was != i.up()));
        }
        if self.list.len() == self.list.capacity() {
            self.overflow += 1;
            return None;
        }
        self.list.push(Iface {
            name: l.name,
            index: l.ifindex,
            flags: l.flags,
            mac: mac_of(l),
            v4: None,
            v6: None,
            forwarding,
        });
        Some((self.list.len() - 1, true))
    }

    /// A link was deleted: its slot is kept (the name may come back) with no index.
    pub fn link_deleted(&mut self, l: &LinkInfo) -> Option<usize> {
        let k = self.by_index(l.ifindex)?;
        let i = &mut self.list[k];
        i.index = 0;
        i.flags = 0;
        i.v4 = None;
        i.v6 = None;
        Some(k)
    }

    pub fn address_added(
        &mut self,
        a: &AddrInfo,
        is_vip: &dyn Fn(IpAddr) -> bool,
    ) -> Option<PrimaryChange> {
        let k = self.by_index(a.ifindex)?;
        let i = &mut self.list[k];
        if is_vip(a.addr) {
            return None;
        }
        match a.addr {
            IpAddr::V4(v4) if i.v4.is_none() && a.flags & IFA_F_SECONDARY == 0 => {
                i.v4 = Some(v4);
                Some(PrimaryChange {
                    iface: k,
                    family: Family::V4,
                    addr: Some(a.addr),
                })
            }
            IpAddr::V6(v6) if i.v6.is_none() && (v6.segments()[0] & 0xffc0) == 0xfe80 => {
                i.v6 = Some(v6);
                Some(PrimaryChange {
                    iface: k,
                    family: Family::V6,
                    addr: Some(a.addr),
                })
            }
            _ => None,
        }
    }

    /// An address went; when it was a primary one, the next one is looked up with `cmd`.
    pub fn address_removed(
        &mut self,
        a: &AddrInfo,
        cmd: &mut nl::Command,
        is_vip: &dyn Fn(IpAddr) -> bool,
    ) -> Option<PrimaryChange> {
        let k = self.by_index(a.ifindex)?;
        let family = match a.addr {
            IpAddr::V4(v) if self.list[k].v4 == Some(v) => Family::V4,
            IpAddr::V6(v) if self.list[k].v6 == Some(v) => Family::V6,
            _ => return None,
        };
        let index = self.list[k].index;
        let mut next = None;
        let af = match family {
            Family::V4 => libc::AF_INET,
            Family::V6 => libc::AF_INET6,
        } as u8;
        let found = cmd.dump_addresses(af, |b| {
            if next.is_some() || b.ifindex != index || b.addr == a.addr || is_vip(b.addr) {
                return;
            }
            next = match b.addr {
                IpAddr::V4(_) if b.flags & IFA_F_SECONDARY == 0 => Some(b.addr),
                IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => Some(b.addr),
                _ => None,
            };
        });
        if found.is_err() {
            next = None;
        }
        let i = &mut self.list[k];
        match next {
            Some(IpAddr::V4(v)) => i.v4 = Some(v),
            Some(IpAddr::V6(v)) => i.v6 = Some(v),
            None if family == Family::V4 => i.v4 = None,
            None => i.v6 = None,
        }
        Some(PrimaryChange {
            iface: k,
            family,
            addr: next,
        })
    }
}

impl nl::Interfaces for Ifaces {
    fn ifindex(&self, name: &str) -> Option<u32> {
        self.named(name).map(|i| i.index).filter(|&i| i != 0)
    }

    fn vrf_table(&self, _name: &str) -> Option<u32> {
        None
    }
}
