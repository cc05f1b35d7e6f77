//! How keepalived names services in its messages: `[ip]:tcp:port`, `FWM n`, `[group]:n`.

use std::fmt;
use std::net::IpAddr;

use super::draft::Svc;
use super::{GroupEntry, Protocol};

/// `[ip]:proto:port`, keepalived's `inet_sockaddrtotrio()`; "none" without a protocol.
/// Formatted only when shown: most names are never printed.
pub struct Trio<'a> {
    ip: &'a IpAddr,
    protocol: Option<Protocol>,
    port: u16,
}

impl fmt::Display for Trio<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = match self.protocol {
            Some(Protocol::Tcp) => "tcp",
            Some(Protocol::Udp) => "udp",
            Some(Protocol::Sctp) => "sctp",
            None => "none",
        };
        write!(f, "[{}]:{proto}:{}", self.ip, self.port)
    }
}

pub fn trio(ip: &IpAddr, protocol: Option<Protocol>, port: u16) -> Trio<'_> {
    Trio { ip, protocol, port }
}

/// A virtual server as keepalived's `FMT_VS` shows it; `seq` numbers group users.
pub struct VsName<'a> {
    svc: &'a Svc,
    protocol: Option<Protocol>,
    seq: u16,
}

impl fmt::Display for VsName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.svc {
            Svc::Group(name) => write!(f, "[{name}]:{}", self.seq),
            Svc::Fwmark(mark) => write!(f, "FWM {mark}"),
            Svc::Addr { ip, port } => trio(ip, self.protocol, *port).fmt(f),
        }
    }
}

pub fn vs(svc: &Svc, protocol: Option<Protocol>, seq: u16) -> VsName<'_> {
    VsName { svc, protocol, seq }
}

/// A group entry as keepalived's `format_vsge()` shows it.
pub fn group_entry(e: &GroupEntry) -> String {
    match e {
        GroupEntry::Fwmark { mark, .. } => format!("FWM {mark}"),
        GroupEntry::Range {
            first, last, port, ..
        } if first != last => format!("{first}-{last},{port}"),
        GroupEntry::Range { first, port, .. } => format!("{first},{port}"),
    }
}
