//! IPVS: the table keepalived's checker process keeps in the kernel, without IO.
//!
//! - [`model`] — the desired table from the configuration and the checkers' verdicts:
//!   services (addresses, fwmarks, every address and fwmark of a `virtual_server_group`),
//!   their destinations with keepalived's rules for `inhibit_on_failure`, quorum with
//!   hysteresis and the sorry server. [`model::Table`] is the flat, sorted form both the
//!   desired and the kernel's table take.
//! - [`reconcile`] — `diff(desired, current)` into ordered [`reconcile::Op`] values: what
//!   differs and nothing else.
//! - [`genl`] — the IPVS generic netlink codec: family resolution, every command the daemon
//!   sends, encoded into a caller's buffer, and the dump replies parsed back into the
//!   model's types.
//!
//! `net::ipvs` owns the socket and executes the ops.

pub mod genl;
pub mod model;
pub mod reconcile;
