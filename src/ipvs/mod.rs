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
//! `net::ipvs` owns the socket, dumps the kernel's table and executes the ops.
//!
//! How the runtime drives it:
//!
//! - start: `Model::new`, `Ipvs::open` (a kernel without IPVS: one error line, VRRP goes
//!   on), `Ipvs::dump` into a table, `diff(desired, kernel, Scope::DesiredServices)`:
//!   services that are not ours stay; ours get exactly the desired destinations;
//! - checker verdict: `fill_vs` before, `set_alive` / `set_weight`, `fill_vs` after,
//!   `diff(after, before, Scope::Owned)` — one virtual server's ops, no allocation;
//! - reload: a new `Model`, `adopt(old)`, `diff(new.fill, old.fill, Scope::Owned)`: only
//!   what changed;
//! - stop (without `-I`): `remove_all(old.fill)`.
//!
//! Ops that fail are logged with what was being done; the next reconcile (the kernel's
//! table dumped again) retries them.

pub mod genl;
pub mod model;
pub mod reconcile;
