//! LVS configuration: `SSL`, `virtual_server_group`, `virtual_server`, `real_server` and the
//! health checkers, and their validation.
//!
//! CONTRACT (stub to be completed).

use super::global::Global;
use super::script::Script;
use super::vrrp::Vrrp;
use crate::config::ctx::Ctx;
use crate::config::diag::Fatal;
use crate::config::dump::Dump;
use crate::config::parser::Node;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lvs {}

impl Lvs {
    /// Every script of the LVS side, for the security check.
    pub fn scripts_mut(&mut self) -> Vec<&mut Script> {
        Vec::new()
    }
}

/// Builds the LVS configuration from the root nodes (`vrrp` gives the `track_file`s that
/// FILE_CHECK refers to), then validates it as keepalived's checker process does.
pub fn build(
    _ctx: &mut Ctx,
    _global: &Global,
    _vrrp: &Vrrp,
    _nodes: &[Node],
) -> Result<Lvs, Fatal> {
    Ok(Lvs::default())
}

pub fn dump(_l: &Lvs, _d: &mut Dump) {}
