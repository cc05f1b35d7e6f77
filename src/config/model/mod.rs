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
use super::host::Host;
use super::parser;
use super::reader::Reader;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub global: global::Global,
    pub vrrp: vrrp::Vrrp,
    pub lvs: lvs::Lvs,
}

/// Reads the configuration root by root (only one top-level block is in memory at a time)
/// and builds it as keepalived's handlers do, in file order, each seeing what was read
/// before; then completes and validates it, and checks its scripts.
pub fn build(reader: &mut Reader, host: &dyn Host) -> Result<Config, Fatal> {
    let mut global = global::Builder::new(host.hostname());
    let mut vrrp = vrrp::Builder::default();
    let mut lvs = lvs::Builder::default();
    let mut active = script::Processes::default();
    let (mut dynamic_interfaces, mut missing_interface) = (false, false);
    let mut roots = parser::Roots::default();
    while let Some(node) = roots.next(reader) {
        let first_message = reader.diags.list.len();
        let mut ctx = Ctx::new(reader.diags, host);
        ctx.dynamic_interfaces = dynamic_interfaces;
        ctx.missing_interface = missing_interface;
        let g = global.current();
        let done = match node.kw {
            "use_pid_dir" | "global_defs" => global.root(&mut ctx, &node),
            "SSL" | "virtual_server_group" | "virtual_server" => {
                active.checker |= node.kw == "virtual_server";
                lvs.root(&mut ctx, g, vrrp.track_files(), &node)
            }
            _ => {
                active.vrrp |= node.kw == "vrrp_instance";
                vrrp.root(&mut ctx, g, &node)
            }
        };
        missing_interface = ctx.missing_interface;
        dynamic_interfaces = global.current().dynamic_interfaces;
        if let Err(f) = done {
            // keepalived stops reading at the fatal line: nothing after it is reported.
            let after = |l: super::diag::Loc| l.file == f.loc.file && l.line > f.loc.line;
            let mut i = 0;
            reader.diags.list.retain(|d| {
                i += 1;
                i <= first_message || !after(d.loc)
            });
            return Err(f);
        }
    }
    parser::finish(reader);
    let mut ctx = Ctx::new(reader.diags, host);
    ctx.dynamic_interfaces = dynamic_interfaces;
    ctx.missing_interface = missing_interface;
    let mut global = global.finish(&mut ctx);
    let mut vrrp = vrrp.finish(&mut ctx, &global)?;
    let mut lvs = lvs.finish(&mut ctx, &global)?;
    script::check_all(
        &mut ctx,
        active,
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
