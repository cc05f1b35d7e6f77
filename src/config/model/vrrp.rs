//! VRRP configuration: `vrrp_instance`, `vrrp_sync_group`, `vrrp_script`, `track_file`,
//! `vrrp_track_process`, `static_ipaddress/routes/rules`, and their validation.
//!
//! CONTRACT (stub to be completed).

use super::global::Global;
use super::script::Script;
use crate::config::ctx::Ctx;
use crate::config::diag::Fatal;
use crate::config::dump::Dump;
use crate::config::parser::Node;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vrrp {}

impl Vrrp {
    /// Every script of the VRRP side, for the security check.
    pub fn scripts_mut(&mut self) -> Vec<&mut Script> {
        Vec::new()
    }
}

/// Builds the VRRP configuration from the root nodes, then validates it as keepalived's
/// VRRP process does at start-up.
pub fn build(_ctx: &mut Ctx, _global: &Global, _nodes: &[Node]) -> Result<Vrrp, Fatal> {
    Ok(Vrrp::default())
}

pub fn dump(_v: &Vrrp, _d: &mut Dump) {}
