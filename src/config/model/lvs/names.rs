//! How keepalived names services in its messages: `[ip]:tcp:port`, `FWM n`, `[group]:n`.

use std::net::IpAddr;

use super::draft::Svc;
use super::{GroupEntry, Protocol};

/// `[ip]:proto:port`, keepalived's `inet_sockaddrtotrio()`; "none" without a protocol.
pub fn trio(ip: &IpAddr, protocol: Option<Protocol>, port: u16) -> String {
    let proto = match protocol {
        Some(Protocol::Tcp) => "tcp",
        Some(Protocol::Udp) => "udp",
        Some(Protocol::Sctp) => "sctp",
        None => "none",
    };
    format!("[{ip}]:{proto}:{port}")
}

/// A virtual server as keepalived's `FMT_VS` shows it; `seq` numbers group users.
pub fn vs(svc: &Svc, protocol: Option<Protocol>, seq: u16) -> String {
    match svc {
        Svc::Group(name) => format!("[{name}]:{seq}"),
        Svc::Fwmark(mark) => format!("FWM {mark}"),
        Svc::Addr { ip, port } => trio(ip, protocol, *port),
    }
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
