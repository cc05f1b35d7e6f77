//! VRRP configuration: `vrrp_instance`, `vrrp_sync_group`, `vrrp_script`, `track_file`,
//! `vrrp_track_process`, `static_ipaddress/routes/rules`, and their validation.
//!
//! Blocks are read in file order, as keepalived's handlers run: a tracked object must be
//! defined before the instance or group that tracks it. Then the configuration is completed
//! and checked as keepalived's VRRP process does at start-up; the model holds the effective
//! values the VRRP state machine runs with.

use std::collections::HashSet;
use std::rc::Rc;

mod complete;
mod conflicts;
mod dump;
mod instance;
mod read_instance;
mod sync_group;
mod track;
mod trackers;
mod tracking;
mod vmac;

#[cfg(test)]
mod tests;

pub use instance::{
    Auth, AuthType, ChecksumCompat, ConfigFault, Family, Garp, InitialState, Instance,
    LvsSyncInterface, NotifyScripts, Transport, UnicastPeer, Version,
};
pub use sync_group::SyncGroup;
pub use track::{TrackRef, Tracking};
pub use trackers::{ParamMatch, TrackFile, TrackFileInit, TrackProcess, VrrpScript};
pub use vmac::Vmac;

use super::global::Global;
use super::ipaddr::{self, AddrUse, IpAddress, LineEnv};
use super::route::{self, Route};
use super::rule::{self, Rule};
use super::script::Script;
use crate::config::ctx::Ctx;
use crate::config::diag::{Fatal, Level, Loc};
use crate::config::dump::Dump;
use crate::config::host::Host;
use crate::config::parser::Node;
use crate::config::reader::Line;
use crate::limits;
use read_instance::{AllocDefaults, Draft, Env};
use sync_group::GroupDraft;
use track::Defined;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vrrp {
    /// Names of the `track_group` blocks (their contents are not supported), which
    /// static address, route and rule lines may name.
    pub track_groups: Vec<String>,
    /// `static_ipaddress`: added at start-up, whatever the VRRP states.
    pub static_addresses: Vec<IpAddress>,
    pub static_routes: Vec<Route>,
    pub static_rules: Vec<Rule>,
    pub scripts: Vec<VrrpScript>,
    pub track_files: Vec<TrackFile>,
    pub track_processes: Vec<TrackProcess>,
    pub sync_groups: Vec<SyncGroup>,
    pub instances: Vec<Instance>,
    /// The deprecated per-instance `lvs_sync_daemon_interface`.
    pub lvs_sync_interface: Option<LvsSyncInterface>,
    /// keepalived's VRRP process would stop at start-up with this configuration (the reason
    /// was reported); `instances` and `sync_groups` are then empty.
    pub stopped: bool,
    /// Scripts keepalived checks for security but never runs: those of sync groups it
    /// removed, and of instances when it stops.
    pub held_scripts: Vec<Script>,
    /// keepalived checks the VRRP scripts: its VRRP process got past the interface check
    /// and has instances.
    pub scripts_checked: bool,
}

impl Vrrp {
    /// Every script of the VRRP side, for the security check: `vrrp_script` scripts, notify
    /// scripts of instances and sync groups, and held ones. Empty when keepalived would not
    /// check them (no instance, or a non-existent interface stopped the VRRP process).
    pub fn scripts_mut(&mut self) -> Vec<&mut Script> {
        if !self.scripts_checked {
            return Vec::new();
        }
        let mut out: Vec<&mut Script> = self.scripts.iter_mut().map(|s| &mut s.script).collect();
        for i in &mut self.instances {
            out.extend(i.notify.all_mut());
            out.extend(i.notify_deleted_script.as_deref_mut());
            out.extend(i.notify_master_rx_lower_pri.as_deref_mut());
        }
        for g in &mut self.sync_groups {
            out.extend(g.notify.all_mut());
        }
        out.extend(self.held_scripts.iter_mut());
        out
    }
}

/// Interfaces named by the configuration; under `dynamic_interfaces` a missing one is
/// accepted (and announced) once, as keepalived creates it on first use.
#[derive(Debug, Default)]
pub struct Ifaces {
    dynamic: Vec<String>,
}

impl Ifaces {
    /// Whether `name` may be used: it exists, or is accepted under `dynamic_interfaces`.
    /// Otherwise the context remembers that a missing interface was named.
    pub fn lookup(&mut self, ctx: &mut Ctx, loc: Loc, name: &str) -> bool {
        if ctx.host.interface_exists(name) || self.dynamic.iter().any(|d| d == name) {
            return true;
        }
        if !ctx.interface(loc, name) {
            return false;
        }
        self.dynamic.push(name.to_string());
        true
    }

    /// Whether keepalived knows an interface of that name (without creating one).
    pub fn known(&self, host: &dyn Host, name: &str) -> bool {
        host.interface_exists(name) || self.dynamic.iter().any(|d| d == name)
    }
}

/// Reads the VRRP root nodes as they come, then completes and validates them as keepalived's
/// VRRP process does at start-up.
pub struct Builder {
    vrrp: Vrrp,
    drafts: Vec<Draft>,
    /// Their names, for the duplicate check.
    names: HashSet<Rc<str>>,
    groups: Vec<GroupDraft>,
    ifaces: Ifaces,
    /// State of address, route and rule lines, carried in file order.
    lines: LineEnv,
    /// Where messages without a better place go: the first instance, else the first root.
    first_instance: Option<Loc>,
    first_root: Option<Loc>,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder {
            vrrp: Vrrp::default(),
            drafts: Vec::new(),
            names: HashSet::new(),
            groups: Vec::new(),
            ifaces: Ifaces::default(),
            lines: LineEnv::new(None),
            first_instance: None,
            first_root: None,
        }
    }
}

impl Builder {
    /// One root node, read against the globals read so far; non-VRRP roots are ignored.
    pub fn root(&mut self, ctx: &mut Ctx, global: &Global, n: &Node) -> Result<(), Fatal> {
        if n.kw == "vrrp_instance" {
            self.first_instance.get_or_insert(n.loc);
        }
        self.first_root.get_or_insert(n.loc);
        if let Some(dev) = &global.default_interface {
            if self.lines.default_interface != *dev {
                self.lines.default_interface.clone_from(dev);
            }
        }
        root_node(ctx, global, n, self)
    }

    /// The `track_file`s read so far (FILE_CHECK may use those defined before it).
    pub fn track_files(&self) -> &[TrackFile] {
        &self.vrrp.track_files
    }

    /// Completes and validates everything read.
    pub fn finish(self, ctx: &mut Ctx, global: &Global) -> Result<Vrrp, Fatal> {
        let Builder {
            mut vrrp,
            drafts,
            groups,
            first_instance,
            first_root,
            ..
        } = self;
        if ctx.missing_interface {
            // keepalived's VRRP process stops here, before any other check.
            ctx.report(
                first_instance.or(first_root).unwrap_or_default(),
                Level::BadIf,
                "Non-existent interface specified in configuration",
            );
            vrrp.stopped = true;
            return Ok(vrrp);
        }
        vrrp.scripts_checked = !drafts.is_empty();
        let instance_scripts: Vec<Script> = drafts.iter().flat_map(draft_scripts).collect();
        let group_scripts: Vec<(String, Script)> = groups
            .iter()
            .flat_map(|g| {
                let mut n = g.notify.clone();
                let s: Vec<Script> = n.all_mut().map(|s| s.clone()).collect();
                s.into_iter().map(|s| (g.name.clone(), s))
            })
            .collect();
        match complete::complete_all(ctx, global, drafts, groups) {
            Ok((instances, sync_groups)) => {
                // Scripts of the groups keepalived removed were checked but never run.
                vrrp.held_scripts = group_scripts
                    .into_iter()
                    .filter(|(g, _)| !sync_groups.iter().any(|k| &k.name == g))
                    .map(|(_, s)| s)
                    .collect();
                vrrp.instances = instances;
                vrrp.sync_groups = sync_groups;
            }
            Err(complete::Stopped) => {
                vrrp.held_scripts = instance_scripts;
                vrrp.held_scripts
                    .extend(group_scripts.into_iter().map(|(_, s)| s));
                vrrp.stopped = true;
            }
        }
        Ok(vrrp)
    }
}

fn root_node(ctx: &mut Ctx, global: &Global, n: &Node, r: &mut Builder) -> Result<(), Fatal> {
    let v = &mut r.vrrp;
    match n.kw {
        "static_ipaddress" => {
            let (max, limit) = (limits::MAX_STATIC_ENTRIES, "MAX_STATIC_ENTRIES");
            let list = &mut v.static_addresses;
            read_list(ctx, n.kw, n.values(), list, max, limit, |ctx, l| {
                ipaddr::parse(ctx, l, AddrUse::Static, &mut r.lines)
            })?;
        }
        "static_routes" => {
            let (max, limit) = (limits::MAX_STATIC_ENTRIES, "MAX_STATIC_ENTRIES");
            read_list(
                ctx,
                n.kw,
                n.values(),
                &mut v.static_routes,
                max,
                limit,
                |ctx, l| route::parse(ctx, l, true, &mut r.lines),
            )?;
        }
        "static_rules" => {
            let (max, limit) = (limits::MAX_STATIC_ENTRIES, "MAX_STATIC_ENTRIES");
            read_list(
                ctx,
                n.kw,
                n.values(),
                &mut v.static_rules,
                max,
                limit,
                |ctx, l| rule::parse(ctx, l, true, &mut r.lines),
            )?;
        }
        "vrrp_script" => {
            let s = trackers::vrrp_script(ctx, n, global)?;
            let fits = trackers::within(
                ctx,
                n.loc,
                v.scripts.len(),
                limits::MAX_VRRP_SCRIPTS,
                "vrrp_script",
                "MAX_VRRP_SCRIPTS",
            );
            v.scripts.extend(s.filter(|_| fits));
        }
        "vrrp_track_process" => {
            let p = trackers::track_process(ctx, n)?;
            let fits = trackers::within(
                ctx,
                n.loc,
                v.track_processes.len(),
                limits::MAX_TRACK_PROCESSES,
                "vrrp_track_process",
                "MAX_TRACK_PROCESSES",
            );
            v.track_processes.extend(p.filter(|_| fits));
        }
        "track_file" | "vrrp_track_file" => {
            let f = trackers::track_file(ctx, n)?;
            let fits = trackers::within(
                ctx,
                n.loc,
                v.track_files.len(),
                limits::MAX_TRACK_FILES,
                "track_file",
                "MAX_TRACK_FILES",
            );
            v.track_files.extend(f.filter(|_| fits));
        }
        // keepalived resolves `track_group` names on address lines in file order.
        "track_group" => {
            r.lines.track_groups.extend(n.arg(0).map(str::to_string));
            v.track_groups.extend(n.arg(0).map(str::to_string));
        }
        "vrrp_sync_group" => {
            let defined = Defined {
                scripts: &v.scripts,
                files: &v.track_files,
                processes: &v.track_processes,
            };
            let g = sync_group::read(ctx, &mut r.ifaces, n, &r.groups, &defined, global)?;
            let fits = trackers::within(
                ctx,
                n.loc,
                r.groups.len(),
                limits::MAX_SYNC_GROUPS,
                "vrrp_sync_group",
                "MAX_SYNC_GROUPS",
            );
            r.groups.extend(g.filter(|_| fits));
        }
        "vrrp_instance" => {
            let env = Env {
                global,
                defined: Defined {
                    scripts: &v.scripts,
                    files: &v.track_files,
                    processes: &v.track_processes,
                },
                earlier: &r.drafts,
                names: &r.names,
                alloc: AllocDefaults::from(global),
            };
            let d = read_instance::read(
                ctx,
                &mut r.ifaces,
                n,
                &env,
                &mut r.lines,
                &mut v.lvs_sync_interface,
            )?;
            let fits = trackers::within(
                ctx,
                n.loc,
                r.drafts.len(),
                limits::MAX_VRRP_INSTANCES,
                "vrrp_instance",
                "MAX_VRRP_INSTANCES",
            );
            if let Some(d) = d.filter(|_| fits) {
                r.names.insert(Rc::clone(&d.name));
                r.drafts.push(d);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Reads the lines of a `{ ... }` list into `list` with `parse`, keeping at most `max`
/// entries (`limit` names the capacity in the message).
fn read_list<T>(
    ctx: &mut Ctx,
    what: &str,
    lines: &[Line],
    list: &mut Vec<T>,
    max: usize,
    limit: &str,
    mut parse: impl FnMut(&mut Ctx, &Line) -> Result<Option<T>, Fatal>,
) -> Result<(), Fatal> {
    for line in lines {
        if trackers::within(ctx, line.loc, list.len(), max, what, limit) {
            list.extend(parse(ctx, line)?);
        }
    }
    Ok(())
}

/// Every notify script of an instance as read.
fn draft_scripts(d: &Draft) -> Vec<Script> {
    let mut n = d.notify.clone();
    let mut out: Vec<Script> = n.all_mut().map(|s| s.clone()).collect();
    out.extend(d.notify_deleted_script.as_deref().cloned());
    out.extend(d.notify_master_rx_lower_pri.as_deref().cloned());
    out
}

pub fn dump(v: &Vrrp, d: &mut Dump) {
    dump::all(v, d);
}
