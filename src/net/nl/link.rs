//! Links: the start-up dump, lookups by name, and the changes keepalived makes to links
//! (macvlan creation and deletion, up/down, IPv6 address generation off).

use std::fmt;

use super::attr::{Attrs, Str, Writer};
use super::command::Command;
use super::error::{Error, ParseError};
use super::msg::{Message, NLM_F_CREATE, NLM_F_EXCL, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK};

pub const IFF_UP: u32 = 0x1;
pub const IFF_RUNNING: u32 = 0x40;
pub const IFF_NOARP: u32 = 0x80;
/// `ifi_change` of a link the kernel just registered.
const CHANGE_NEW: u32 = u32::MAX;

const IFINFOMSG_LEN: usize = 16;

const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_AF_SPEC: u16 = 26;
const IFLA_EXT_MASK: u16 = 29;
const IFLA_LINK_NETNSID: u16 = 37;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const IFLA_MACVLAN_MODE: u16 = 1;
const IFLA_VRF_TABLE: u16 = 1;
const IFLA_INET6_ADDR_GEN_MODE: u16 = 8;
const IN6_ADDR_GEN_MODE_NONE: u8 = 1;
/// Dumps without the per-link statistics: smaller messages, and keepalived asks the same.
const RTEXT_FILTER_SKIP_STATS: u32 = 1 << 3;

/// The macvlan mode keepalived's VMACs use: frames are not switched between macvlans
/// of the same parent.
pub const MACVLAN_MODE_PRIVATE: u32 = 1;

/// An interface name: at most 15 bytes, kept inline.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct IfName {
    len: u8,
    bytes: [u8; 15],
}

impl IfName {
    /// None if the name is empty or longer than the kernel allows (IFNAMSIZ - 1).
    pub fn new(name: &str) -> Option<IfName> {
        let b = name.as_bytes();
        if b.is_empty() || b.len() > 15 {
            return None;
        }
        let mut n = IfName {
            len: b.len() as u8,
            bytes: [0; 15],
        };
        n.bytes[..b.len()].copy_from_slice(b);
        Some(n)
    }

    pub fn as_str(&self) -> &str {
        // Only built from a &str, whole.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// A name for an error message about `name`, cut if it cannot be an interface name.
    pub(super) fn lossy(name: &str) -> IfName {
        let mut end = name.len().min(15);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        IfName::new(&name[..end]).unwrap_or_default()
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// A link-layer address (up to MAX_ADDR_LEN, 32 bytes).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct HwAddr {
    len: u8,
    bytes: [u8; 32],
}

impl HwAddr {
    pub fn new(b: &[u8]) -> Option<HwAddr> {
        let mut a = HwAddr {
            len: u8::try_from(b.len()).ok().filter(|&n| n <= 32)?,
            bytes: [0; 32],
        };
        a.bytes[..b.len()].copy_from_slice(b);
        Some(a)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl fmt::Debug for HwAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.as_bytes().iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// What kind of link it is, where keepalived cares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkKind {
    #[default]
    Other,
    /// A macvlan, with its mode (MACVLAN_MODE_*), if the kernel said.
    Macvlan(Option<u32>),
    Ipvlan,
    /// A VRF device and its routing table.
    Vrf(Option<u32>),
}

/// One link, from a dump or an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub ifindex: u32,
    pub name: IfName,
    /// IFF_* flags.
    pub flags: u32,
    /// ARPHRD_* type.
    pub arphrd: u16,
    pub hw_addr: HwAddr,
    pub mtu: u32,
    /// The lower device (a macvlan's parent), when it is in this namespace.
    pub parent: Option<u32>,
    /// The master device (VRF, bridge, bond).
    pub master: Option<u32>,
    pub kind: LinkKind,
    /// The kernel just created it (a RTM_NEWLINK with every flag marked changed).
    pub created: bool,
}

impl LinkInfo {
    pub fn up(&self) -> bool {
        self.flags & IFF_UP != 0
    }

    pub fn running(&self) -> bool {
        self.flags & IFF_RUNNING != 0
    }

    /// Up and running: what keepalived calls the link being up.
    pub fn usable(&self) -> bool {
        self.up() && self.running()
    }

    pub fn noarp(&self) -> bool {
        self.flags & IFF_NOARP != 0
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses a RTM_NEWLINK/RTM_DELLINK message.
pub fn parse_link(m: &Message<'_>) -> Result<LinkInfo, ParseError> {
    let (fixed, attrs) = m.split(IFINFOMSG_LEN)?;
    let mut info = LinkInfo {
        ifindex: u32_at(fixed, 4),
        name: IfName::default(),
        flags: u32_at(fixed, 8),
        arphrd: u16::from_ne_bytes([fixed[2], fixed[3]]),
        hw_addr: HwAddr::default(),
        mtu: 0,
        parent: None,
        master: None,
        kind: LinkKind::Other,
        created: u32_at(fixed, 12) == CHANGE_NEW,
    };
    let mut other_ns = false;
    let mut name = None;
    for a in attrs {
        let a = a?;
        match a.kind() {
            IFLA_IFNAME => name = Some(IfName::new(a.str()?).ok_or(ParseError("link name"))?),
            IFLA_ADDRESS => {
                info.hw_addr = HwAddr::new(a.value()).ok_or(ParseError("link address"))?;
            }
            IFLA_MTU => info.mtu = a.u32()?,
            IFLA_LINK => info.parent = Some(a.u32()?).filter(|&p| p != 0),
            IFLA_LINK_NETNSID => other_ns = true,
            IFLA_MASTER => info.master = Some(a.u32()?).filter(|&p| p != 0),
            IFLA_LINKINFO => info.kind = link_kind(a.nested())?,
            _ => {}
        }
    }
    if other_ns {
        info.parent = None;
    }
    info.name = name.ok_or(ParseError("link without a name"))?;
    Ok(info)
}

fn link_kind(attrs: Attrs<'_>) -> Result<LinkKind, ParseError> {
    let mut kind = "";
    let mut data = None;
    for a in attrs {
        let a = a?;
        match a.kind() {
            IFLA_INFO_KIND => kind = a.str()?,
            IFLA_INFO_DATA => data = Some(a.nested()),
            _ => {}
        }
    }
    let find = |want: u16| -> Result<Option<u32>, ParseError> {
        for a in data.clone().into_iter().flatten() {
            let a = a?;
            if a.kind() == want {
                return a.u32().map(Some);
            }
        }
        Ok(None)
    };
    Ok(match kind {
        "macvlan" => LinkKind::Macvlan(find(IFLA_MACVLAN_MODE)?),
        "ipvlan" => LinkKind::Ipvlan,
        "vrf" => LinkKind::Vrf(find(IFLA_VRF_TABLE)?),
        _ => LinkKind::Other,
    })
}

/// `ifinfomsg` for a request about `ifindex`, changing the flags in `change` to `flags`.
fn ifinfomsg(family: u8, ifindex: u32, flags: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut h = [0u8; IFINFOMSG_LEN];
    h[0] = family;
    h[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

/// A macvlan for a VRRP instance (`use_vmac`).
#[derive(Clone, Copy, Debug)]
pub struct MacvlanSpec<'a> {
    pub name: &'a str,
    pub parent: u32,
    pub mac: [u8; 6],
}

impl Command {
    /// Every link, at start-up (or after an [`Error::Overrun`] of the monitor).
    pub fn dump_links(&mut self, mut each: impl FnMut(&LinkInfo)) -> Result<(), Error> {
        self.dump(
            RTM_GETLINK,
            |w| {
                w.fixed(&ifinfomsg(libc::AF_UNSPEC as u8, 0, 0, 0))?;
                w.attr(IFLA_EXT_MASK, &RTEXT_FILTER_SKIP_STATS)
            },
            |m| {
                if m.header.kind == RTM_NEWLINK {
                    each(&parse_link(m)?);
                }
                Ok(())
            },
        )
    }

    /// The link called `name`, if there is one.
    pub fn link_by_name(&mut self, name: &str) -> Result<Option<LinkInfo>, Error> {
        let mut found = None;
        let r = self.request(
            RTM_GETLINK,
            0,
            |w| {
                w.fixed(&ifinfomsg(libc::AF_UNSPEC as u8, 0, 0, 0))?;
                w.attr(IFLA_EXT_MASK, &RTEXT_FILTER_SKIP_STATS)?;
                w.attr(IFLA_IFNAME, &Str(name))
            },
            |m| {
                if m.header.kind == RTM_NEWLINK {
                    found = Some(parse_link(m)?);
                }
                Ok(())
            },
        );
        match r {
            Err(Error::Kernel { errno, .. }) if errno == libc::ENODEV => Ok(None),
            Err(e) => Err(e),
            Ok(()) => Ok(found),
        }
    }

    /// Sets a link up or down.
    pub fn set_link_up(&mut self, ifindex: u32, up: bool) -> Result<(), Error> {
        let flags = if up { IFF_UP } else { 0 };
        self.request(
            RTM_NEWLINK,
            0,
            |w| w.fixed(&ifinfomsg(libc::AF_UNSPEC as u8, ifindex, flags, IFF_UP)),
            |_| Ok(()),
        )
    }

    /// Creates a private-mode macvlan (keepalived's VMAC) and returns its index. The
    /// kernel does not take IPv6 settings with the creation: see
    /// [`Command::set_addr_gen_mode_none`].
    pub fn create_macvlan(&mut self, spec: &MacvlanSpec<'_>) -> Result<u32, Error> {
        self.request(
            RTM_NEWLINK,
            NLM_F_CREATE | NLM_F_EXCL,
            |w| {
                w.fixed(&ifinfomsg(libc::AF_UNSPEC as u8, 0, 0, 0))?;
                macvlan_attrs(w)?;
                w.attr(IFLA_LINK, &spec.parent)?;
                w.attr(IFLA_IFNAME, spec.name.as_bytes())?;
                w.attr(IFLA_ADDRESS, &spec.mac)
            },
            |_| Ok(()),
        )?;
        match self.link_by_name(spec.name)? {
            Some(l) => Ok(l.ifindex),
            None => Err(Error::NoInterface(IfName::lossy(spec.name))),
        }
    }

    /// Makes an existing macvlan private with address `mac` (keepalived updates a VMAC
    /// left by an earlier run rather than recreating it).
    pub fn update_macvlan(&mut self, ifindex: u32, mac: [u8; 6]) -> Result<(), Error> {
        self.request(
            RTM_NEWLINK,
            0,
            |w| {
                w.fixed(&ifinfomsg(libc::AF_UNSPEC as u8, ifindex, 0, 0))?;
                macvlan_attrs(w)?;
                w.attr(IFLA_ADDRESS, &mac)
            },
            |_| Ok(()),
        )
    }

    /// Stops the kernel from generating IPv6 link-local addresses on the link (RFC 5798
    /// 7.4: a VMAC must not have one derived from the virtual MAC).
    pub fn set_addr_gen_mode_none(&mut self, ifindex: u32) -> Result<(), Error> {
        self.request(
            RTM_NEWLINK,
            0,
            |w| {
                w.fixed(&ifinfomsg(libc::AF_UNSPEC as u8, ifindex, 0, 0))?;
                let spec = w.nest(IFLA_AF_SPEC)?;
                let inet6 = w.nest(libc::AF_INET6 as u16)?;
                w.attr(IFLA_INET6_ADDR_GEN_MODE, &IN6_ADDR_GEN_MODE_NONE)?;
                w.end_nest(inet6)?;
                w.end_nest(spec)
            },
            |_| Ok(()),
        )
    }

    /// Deletes a link (a VMAC). keepalived sends the request with family AF_INET.
    pub fn delete_link(&mut self, ifindex: u32) -> Result<(), Error> {
        self.request(
            RTM_DELLINK,
            0,
            |w| w.fixed(&ifinfomsg(libc::AF_INET as u8, ifindex, 0, 0)),
            |_| Ok(()),
        )
    }
}

fn macvlan_attrs(w: &mut Writer<'_>) -> Result<(), Error> {
    let info = w.nest(IFLA_LINKINFO)?;
    w.attr(IFLA_INFO_KIND, &b"macvlan"[..])?;
    let data = w.nest(IFLA_INFO_DATA)?;
    w.attr(IFLA_MACVLAN_MODE, &MACVLAN_MODE_PRIVATE)?;
    w.end_nest(data)?;
    w.end_nest(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names() {
        assert_eq!(IfName::new("eth0").unwrap().as_str(), "eth0");
        assert_eq!(IfName::new("vrrp.51").unwrap().to_string(), "vrrp.51");
        assert!(IfName::new("").is_none());
        assert!(IfName::new("abcdefghijklmnop").is_none());
        assert_eq!(
            IfName::lossy("abcdefghijklmnop").as_str(),
            "abcdefghijklmno"
        );
        assert_eq!(IfName::lossy("ééééééééé").as_str(), "ééééééé");
    }
}
