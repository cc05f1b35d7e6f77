//! keepalived-rs: a drop-in replacement for keepalived.
//!
//! The protocol cores are sans-IO: they take `now` and an input and push actions; only the
//! runtime performs IO. This crate currently holds the configuration front end (`config`), the
//! command line (`cli`) and the VRRP wire format and authentication (`vrrp`).

pub mod bounded;
#[cfg(feature = "lvs")]
pub mod check;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod event;
#[cfg(feature = "lvs")]
pub mod genhash;
#[cfg(feature = "lvs")]
pub mod ipvs;
pub mod limits;
pub mod log;
pub mod net;
pub mod runtime;
pub mod script;
pub mod status;
pub mod sys;
pub mod time;
pub mod vrrp;
