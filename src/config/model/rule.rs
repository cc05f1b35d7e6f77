//! Rule lines of `virtual_rules` and `static_rules` (`ip rule` syntax).
//!
//! CONTRACT (stub to be completed): `Rule` and `parse` are used by the VRRP builder.

use crate::config::ctx::Ctx;
use crate::config::diag::{Fatal, Loc};
use crate::config::reader::Line;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub loc: Loc,
}

/// Parses one rule line; `is_static` for `static_rules`. None when rejected (reported).
pub fn parse(_ctx: &mut Ctx, _line: &Line, _is_static: bool) -> Result<Option<Rule>, Fatal> {
    Ok(None)
}
