//! Route lines of `virtual_routes` and `static_routes` (`ip route` syntax).
//!
//! CONTRACT (stub to be completed): `Route` and `parse` are used by the VRRP builder.

use crate::config::ctx::Ctx;
use crate::config::diag::{Fatal, Loc};
use crate::config::reader::Line;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub loc: Loc,
}

/// Parses one route line; `is_static` for `static_routes`. None when rejected (reported).
pub fn parse(_ctx: &mut Ctx, _line: &Line, _is_static: bool) -> Result<Option<Route>, Fatal> {
    Ok(None)
}
