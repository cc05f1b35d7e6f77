//! Address lines of `virtual_ipaddress`, `virtual_ipaddress_excluded` and `static_ipaddress`:
//! `ADDR[/PREFIX] [dev IF] [brd IP|+|-] [scope S] [label L] [peer IP] [flags...] ...`.
//!
//! CONTRACT (stub to be completed): `IpAddress` and `parse` are used by the VRRP builder.

use std::net::IpAddr;

use crate::config::ctx::Ctx;
use crate::config::diag::{Fatal, Loc};
use crate::config::reader::Line;

/// Where an address line appears; the allowed words differ a little.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrUse {
    Vip,
    Evip,
    Static,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpAddress {
    pub addr: IpAddr,
    pub prefix: u8,
    /// `dev IF` as configured; VIPs without it use the instance interface.
    pub dev: Option<String>,
    pub loc: Loc,
}

/// Parses one address line. None when the line is rejected (reported).
pub fn parse(_ctx: &mut Ctx, _line: &Line, _use: AddrUse) -> Result<Option<IpAddress>, Fatal> {
    Ok(None)
}
