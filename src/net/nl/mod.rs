//! rtnetlink and nf_tables over netlink, with fixed buffers.
//!
//! - [`Command`]: the command socket. Addresses, routes and rules are added and deleted as
//!   keepalived 2.2.7 does it (the same attributes and flags, the same errors forgiven),
//!   each acknowledged before the call returns; links and addresses are dumped at
//!   start-up; macvlans are made, brought up and deleted.
//! - [`Monitor`]: link and address events read into the caller's buffer.
//! - [`create_vmac`] / [`delete_vmac`]: keepalived's VMACs (private macvlans) with the
//!   interface sysctls it sets for them ([`VmacSysctls`] puts them back).
//! - [`Firewall`]: keepalived's nf_tables table for `vrrp_strict` / `no_accept` (VIPs in
//!   sets, traffic to and from them dropped), deleted on close.
//!
//! Buffers are allocated when a socket opens (sizes in [`crate::limits`]) and reused: no
//! request, answer or event allocates. Every socket is nonblocking and close-on-exec.
//! Errors carry keepalived's texts in their `Display`.

pub mod addr;
pub mod attr;
mod command;
mod error;
pub mod link;
pub mod monitor;
pub mod msg;
pub mod nft;
pub mod route;
pub mod rule;
pub mod socket;
pub mod sysctl;
pub mod vmac;

pub use addr::{AddrInfo, AddrSpec};
pub use command::Command;
pub use error::{Error, ParseError, Strerror};
pub use link::{HwAddr, IfName, LinkInfo, LinkKind, MacvlanSpec};
pub use monitor::{Event, Events, Monitor};
pub use nft::{Firewall, Vip};
pub use route::Interfaces;
pub use sysctl::VmacSysctls;
pub use vmac::{create_vmac, delete_vmac, VmacOrigin, VmacSpec};
