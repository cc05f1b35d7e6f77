//! The typed, immutable configuration and the builders that make it from the block tree.
//!
//! Builders follow keepalived's handlers: they walk the nodes in file order (definitions
//! must come before their use, as in keepalived), apply its defaults and report with its
//! texts. Validation then does what keepalived's processes do at start-up.

pub mod global;
pub mod ipaddr;
pub mod lvs;
pub mod route;
pub mod rule;
pub mod script;
pub mod vrrp;

use super::ctx::Ctx;
use super::diag::Fatal;
use super::dump::Dump;
use super::parser::Node;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub global: global::Global,
    pub vrrp: vrrp::Vrrp,
    pub lvs: lvs::Lvs,
}

/// Builds and validates the whole configuration.
pub fn build(ctx: &mut Ctx, nodes: &[Node]) -> Result<Config, Fatal> {
    let mut global = global::build(ctx, nodes)?;
    ctx.dynamic_interfaces = global.dynamic_interfaces;
    let mut vrrp = vrrp::build(ctx, &global, nodes)?;
    let mut lvs = lvs::build(ctx, &global, &vrrp, nodes)?;
    script::check_all(
        ctx,
        nodes,
        &mut global,
        vrrp.scripts_mut(),
        lvs.scripts_mut(),
    );
    Ok(Config { global, vrrp, lvs })
}

impl Config {
    /// The `-d` text.
    pub fn dump(&self) -> String {
        let mut d = Dump::new();
        global::dump(&self.global, &mut d);
        vrrp::dump(&self.vrrp, &mut d);
        lvs::dump(&self.lvs, &mut d);
        d.finish()
    }
}
