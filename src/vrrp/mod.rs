//! VRRP (RFC 3768 version 2, RFC 5798 version 3) as keepalived 2.2.7 speaks it.
//!
//! - `wire` — packets in two steps: byte views that check lengths once and read fields by
//!   name, then `AdvertRepr`, what an advert means; checksums; the whole IPv4 advert.
//! - `auth` — VRRPv2 authentication: PASS and IPsec AH (HMAC-MD5-96).
//!
//! Nothing here does IO or allocates: packets are read in place and written into the
//! caller's buffer.

pub mod auth;
pub mod wire;

#[cfg(test)]
mod fixtures;
