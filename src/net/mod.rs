//! The daemon's sockets onto the network. Only this module opens sockets.
//!
//! - `vrrp_sock` — the VRRP core's socket pool: raw IP protocol 112 (51 with AH) sockets per
//!   interface, family, protocol and group or unicast source; receive into
//!   `vrrp::rx::Received`, send what `Router::emit_advert` built.
//! - `ifinfo` — the few interface facts the sockets need (index, MAC, IFF_NOARP, IPv6
//!   forwarding).
//! - `fd` — the libc calls they share: sockets, options, EINTR.

mod fd;
pub mod ifinfo;
pub mod vrrp_sock;
