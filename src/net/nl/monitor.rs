//! The monitor socket: link and address changes as the kernel announces them
//! (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR), read into the caller's buffer
//! and yielded as [`Event`] values without allocating.
//!
//! Events say what the link or address is now; whether a link went up, down or stopped
//! running is for the caller to see against what it knew (the kernel marks few of those
//! changes). After [`Error::Overrun`] events were lost and the caller dumps again.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use super::addr::{parse_addr, AddrInfo};
use super::error::{Error, ParseError};
use super::link::{parse_link, LinkInfo};
use super::msg::{Messages, RTM_DELADDR, RTM_DELLINK, RTM_NEWADDR, RTM_NEWLINK};
use super::socket::Socket;
use crate::limits;

const RTNLGRP_LINK: u32 = 1;
const RTNLGRP_IPV4_IFADDR: u32 = 5;
const RTNLGRP_IPV6_IFADDR: u32 = 9;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A link was created (`created`) or changed: its state now.
    Link(LinkInfo),
    LinkDeleted(LinkInfo),
    AddrAdded(AddrInfo),
    AddrRemoved(AddrInfo),
}

pub struct Monitor {
    sock: Socket,
    /// Address changes made through this port (our command socket) are not reported, as
    /// keepalived skips the reflection of its own commands.
    own_port: Option<u32>,
}

impl Monitor {
    pub fn open() -> Result<Monitor, Error> {
        let sock = Socket::open(libc::NETLINK_ROUTE)?;
        for g in [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR] {
            sock.join(g)?;
        }
        sock.set_recv_buffer(limits::NL_MONITOR_QUEUE)?;
        Ok(Monitor {
            sock,
            own_port: None,
        })
    }

    /// Skip address events caused by requests from `port` (see [`super::Command::port`]).
    pub fn ignore_port(&mut self, port: u32) {
        self.own_port = Some(port);
    }

    /// Reads one datagram into `buf` (see [`limits::NL_RECV_BUFFER`]): its events, or None
    /// when nothing is queued.
    pub fn read<'b>(&mut self, buf: &'b mut [u8]) -> Result<Option<Events<'b>>, Error> {
        let Some(n) = self.sock.recv(buf)? else {
            return Ok(None);
        };
        let buf: &'b [u8] = buf;
        Ok(Some(Events {
            msgs: Messages::new(&buf[..n]),
            own_port: self.own_port,
        }))
    }

    /// Reads until nothing is queued (EAGAIN), handing every event (or malformed message)
    /// to `each`. An overrun does not stop the draining: it is returned at the end, and the
    /// caller dumps links and addresses again.
    pub fn drain(
        &mut self,
        buf: &mut [u8],
        mut each: impl FnMut(Result<Event, ParseError>),
    ) -> Result<(), Error> {
        let mut overrun = false;
        loop {
            match self.read(buf) {
                Ok(Some(events)) => events.for_each(&mut each),
                Ok(None) => break,
                Err(Error::Overrun) => overrun = true,
                Err(e) => return Err(e),
            }
        }
        if overrun {
            Err(Error::Overrun)
        } else {
            Ok(())
        }
    }
}

/// The events of one datagram. A malformed message yields its error and ends the datagram.
pub struct Events<'b> {
    msgs: Messages<'b>,
    own_port: Option<u32>,
}

impl<'b> Events<'b> {
    /// The events in a datagram read some other way.
    pub fn parse(datagram: &'b [u8]) -> Events<'b> {
        Events {
            msgs: Messages::new(datagram),
            own_port: None,
        }
    }
}

impl Iterator for Events<'_> {
    type Item = Result<Event, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let m = match self.msgs.next()? {
                Ok(m) => m,
                Err(e) => return Some(Err(e)),
            };
            let ours = Some(m.header.pid) == self.own_port;
            // Bridge port notifications (AF_BRIDGE) share the link group: a port leaving
            // its bridge is an RTM_DELLINK of a link that still exists.
            let is_link = matches!(m.header.kind, RTM_NEWLINK | RTM_DELLINK);
            if is_link && m.payload.first() != Some(&(libc::AF_UNSPEC as u8)) {
                continue;
            }
            let event = match m.header.kind {
                RTM_NEWLINK => parse_link(&m).map(Event::Link),
                RTM_DELLINK => parse_link(&m).map(Event::LinkDeleted),
                RTM_NEWADDR if !ours => parse_addr(&m).map(Event::AddrAdded),
                RTM_DELADDR if !ours => parse_addr(&m).map(Event::AddrRemoved),
                _ => continue,
            };
            return Some(event);
        }
    }
}

impl AsRawFd for Monitor {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl AsFd for Monitor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::nl::attr::{Str, Writer};

    fn link_msg(w: &mut Writer<'_>, kind: u16, ifindex: u32, flags: u32, name: &str) {
        let m = w.begin_msg(kind, 0, 0).unwrap();
        let mut h = [0u8; 16];
        h[4..8].copy_from_slice(&ifindex.to_ne_bytes());
        h[8..12].copy_from_slice(&flags.to_ne_bytes());
        w.fixed(&h).unwrap();
        w.attr(3, &Str(name)).unwrap();
        w.end_msg(m);
    }

    fn addr_msg(w: &mut Writer<'_>, kind: u16, pid: u32, ifindex: u32, a: [u8; 4], prefix: u8) {
        let m = w.begin_msg(kind, 0, 0).unwrap();
        let mut h = [0u8; 8];
        h[0] = libc::AF_INET as u8;
        h[1] = prefix;
        h[4..8].copy_from_slice(&ifindex.to_ne_bytes());
        w.fixed(&h).unwrap();
        w.attr(2, &a).unwrap();
        w.attr(1, &a).unwrap();
        w.end_msg(m);
        // The sender's port, as the kernel sets it in notifications.
        let at = w.len() - (16 + 8 + 8 + 8);
        w.patch(at + 12, &pid.to_ne_bytes());
    }

    #[test]
    fn datagrams_become_events() {
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        link_msg(&mut w, RTM_NEWLINK, 3, 0x41, "eth0");
        link_msg(&mut w, RTM_DELLINK, 4, 0, "vrrp.7");
        // A bridge port leaving its bridge: not a deletion.
        link_msg(&mut w, RTM_DELLINK, 3, 0x41, "eth0");
        let len = w.len();
        // Its ifinfomsg follows the 16-byte header; the name attribute takes 12 bytes.
        w.patch(len - 28, &[libc::AF_BRIDGE as u8]);
        addr_msg(&mut w, RTM_NEWADDR, 0, 3, [10, 0, 0, 1], 24);
        addr_msg(&mut w, RTM_DELADDR, 99, 3, [10, 0, 0, 2], 24);
        addr_msg(&mut w, RTM_DELADDR, 0, 3, [10, 0, 0, 3], 8);
        let len = w.len();
        let mut ev = Events::parse(&buf[..len]);
        ev.own_port = Some(99);
        let ev: Vec<Event> = ev.collect::<Result<_, _>>().unwrap();
        assert_eq!(ev.len(), 4, "{ev:?}");
        assert!(matches!(ev[0], Event::Link(l)
            if l.ifindex == 3 && l.name.as_str() == "eth0" && l.usable()));
        assert!(matches!(ev[1], Event::LinkDeleted(l) if l.ifindex == 4 && !l.up()));
        assert!(matches!(ev[2], Event::AddrAdded(a)
            if a.ifindex == 3 && a.prefix == 24 && a.addr.to_string() == "10.0.0.1"));
        assert!(matches!(ev[3], Event::AddrRemoved(a)
            if a.prefix == 8 && a.addr.to_string() == "10.0.0.3"));
    }

    #[test]
    fn malformed_datagrams_are_errors() {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        link_msg(&mut w, RTM_NEWLINK, 3, 0, "eth0");
        let len = w.len();
        // Every truncation is an error or nothing, never a panic.
        for cut in 0..len {
            for e in Events::parse(&buf[..cut]) {
                assert!(e.is_err());
            }
        }
        // A link without a name.
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        let m = w.begin_msg(RTM_NEWLINK, 0, 0).unwrap();
        w.fixed(&[0u8; 16]).unwrap();
        w.end_msg(m);
        let len = w.len();
        assert!(Events::parse(&buf[..len]).next().unwrap().is_err());
    }
}
