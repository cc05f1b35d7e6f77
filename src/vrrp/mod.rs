//! VRRP (RFC 3768 version 2, RFC 5798 version 3) as keepalived 2.2.7 speaks and runs it,
//! with no IO: entry points take `now` and an input and push [`action::Action`]s.
//!
//! - `wire` — packets in two steps: byte views that check lengths once and read fields by
//!   name, then `AdvertRepr`, what an advert means; checksums; the whole IPv4 advert.
//! - `auth` — VRRPv2 authentication: PASS and IPsec AH (HMAC-MD5-96).
//! - `router` — every instance, sync group and tracked object, built once from the
//!   configuration; the entry points and `poll_at`.
//! - `fsm`, `instance`, `sync_group`, `track`, `timer` — the state machines.
//! - `rx`, `tx` — the receive ladder and advert emission, on the wire views.
//! - `lvs_syncd` — the IPVS sync daemon that follows one instance's state.
//! - `action`, `msg`, `stats` — what comes out: actions, log lines, counters.
//!
//! Nothing here does IO or allocates after start-up: packets are read in place and written
//! into the caller's buffer.

pub mod action;
pub mod auth;
pub mod fsm;
pub mod instance;
pub mod lvs_syncd;
pub mod msg;
pub mod router;
pub mod rx;
pub mod stats;
pub mod sync_group;
pub mod timer;
pub mod track;
pub mod tx;
pub mod wire;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod testutil;
