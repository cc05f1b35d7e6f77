//! VRRP configuration: `vrrp_instance`, `vrrp_sync_group`, `vrrp_script`, `track_file`,
//! `vrrp_track_process`, `static_ipaddress/routes/rules`, and their validation.
//!
//! CONTRACT (stub to be completed).

use super::global::Global;
use super::script::Script;
use crate::config::ctx::Ctx;
use crate::config::diag::{Fatal, Loc};
use crate::config::dump::Dump;
use crate::config::parser::Node;

/// `track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] }`,
/// shared by VRRP tracking and FILE_CHECK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFile {
    pub name: String,
    pub path: String,
    pub weight: i32,
    pub reverse: bool,
    pub loc: Loc,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vrrp {
    pub track_files: Vec<TrackFile>,
}

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
