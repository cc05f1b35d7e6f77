//! The daemon's sockets onto the network. Only this module opens sockets.
//!
//! - `vrrp_sock` — the VRRP core's socket pool: raw IP protocol 112 (51 with AH) sockets per
//!   interface, family, protocol and group or unicast source; receive into
//!   `vrrp::rx::Received`, send what `Router::emit_advert` built.
//! - `garp` — gratuitous ARP and unsolicited neighbour advertisements on AF_PACKET, and the
//!   `Pacer` that spaces them per interface (`vrrp_garp_interval`, `vrrp_gna_interval`).
//! - `ifinfo` — the few interface facts these need (index, MAC, IFF_NOARP, IPv6
//!   forwarding).
//! - `fd` — the libc calls they share: sockets, options, EINTR.
//! - `nl` — rtnetlink (addresses, routes, rules, links, VMACs, link and address monitoring)
//!   and nf_tables (`vrrp_strict` / `no_accept`), with fixed buffers.

mod fd;
pub mod garp;
pub mod ifinfo;
#[cfg(feature = "lvs")]
pub mod ipvs;
pub mod nl;
#[cfg(feature = "lvs")]
pub mod probe;
pub mod vrrp_sock;
