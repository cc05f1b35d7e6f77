//! `vrrp_sync_group NAME { group { ... } ... }`: instances that change state together.

use super::instance::NotifyScripts;
use super::track::{Defined, Tracking};
use super::Ifaces;
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Loc};
use crate::config::model::global::Global;
use crate::config::model::script;
use crate::config::parser::Node;
use crate::config::value;

/// A sync group after validation: only existing members remain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncGroup {
    pub name: String,
    pub loc: Loc,
    /// Member instance names, in `group` order.
    pub members: Vec<String>,
    /// Tracking applied to every member (weights cleared when a member is address owner).
    pub tracking: Tracking,
    pub notify: NotifyScripts,
    pub smtp_alert: bool,
    /// Members keep their own tracking weights (`sync_group_tracking_weight`).
    pub tracking_weight: bool,
    /// `notify_priority_changes` for members that do not set it; None: the global value.
    pub notify_priority_changes: Option<bool>,
}

/// A `vrrp_sync_group` block as read.
#[derive(Clone, Debug)]
pub struct GroupDraft {
    pub name: String,
    pub loc: Loc,
    /// The `group` list (None when absent or empty), each name with its line.
    pub members: Option<Vec<(String, Loc)>>,
    pub tracking: Tracking,
    pub notify: NotifyScripts,
    pub smtp_alert: Option<bool>,
    pub tracking_weight: bool,
    pub notify_priority_changes: Option<bool>,
}

/// Reads one `vrrp_sync_group` block; None when keepalived skips it.
pub fn read(
    ctx: &mut Ctx,
    ifaces: &mut Ifaces,
    node: &Node,
    earlier: &[GroupDraft],
    defined: &Defined,
    global: &Global,
) -> Result<Option<GroupDraft>, Fatal> {
    if node.nargs() != 1 {
        ctx.error(node.loc, "vrrp_sync_group must have a name - skipping");
        return Ok(None);
    }
    let name = node.arg(0).unwrap_or_default();
    if earlier.iter().any(|g| g.name == name) {
        ctx.error(node.loc, format!("vrrp sync group {name} already defined"));
        return Ok(None);
    }
    let mut g = GroupDraft {
        name: name.to_string(),
        loc: node.loc,
        members: None,
        tracking: Tracking::default(),
        notify: NotifyScripts::default(),
        smtp_alert: None,
        tracking_weight: false,
        notify_priority_changes: None,
    };
    for c in node.children() {
        keyword(ctx, ifaces, &c, &mut g, defined, global)?;
    }
    Ok(Some(g))
}

fn keyword(
    ctx: &mut Ctx,
    ifaces: &mut Ifaces,
    c: &Node,
    g: &mut GroupDraft,
    defined: &Defined,
    global: &Global,
) -> Result<(), Fatal> {
    let gname = g.name.clone();
    match c.kw {
        "group" => {
            if g.members.is_some() {
                let msg = format!("Group list already specified for sync group {gname}");
                ctx.error(c.loc, msg);
                return Ok(());
            }
            let names: Vec<(String, Loc)> = c
                .values()
                .iter()
                .flat_map(|l| l.words().map(|w| (w.to_string(), l.loc)))
                .collect();
            if names.is_empty() {
                let msg = format!("Warning - sync group {gname} has empty group block");
                ctx.error(c.end, msg);
            } else {
                g.members = Some(names);
            }
        }
        "track_interface" | "track_script" | "track_file" | "track_process" => {
            g.tracking
                .add_list(ctx, ifaces, &gname, c.kw, c.values(), defined)
        }
        "notify_backup" | "notify_master" | "notify_fault" | "notify_stop" | "notify" => {
            if let Some(slot) = g.notify.slot(c.kw) {
                // keepalived names the script in its messages, so a bare keyword is fatal.
                let w = ctx::arg(c, 0)?;
                if slot.is_some() {
                    let msg = format!(
                        "vrrp group {gname}: {} script already specified - ignoring {w}",
                        c.kw
                    );
                    ctx.error(c.loc, msg);
                } else {
                    *slot = script::parse(ctx, c, "notify", global)?.map(Box::new);
                }
            }
        }
        "smtp_alert" => match c.arg(0) {
            None => g.smtp_alert = Some(true),
            Some(w) => match value::true_false(w) {
                Some(b) => g.smtp_alert = Some(b),
                None => ctx.error(
                    c.loc,
                    format!("Invalid vrrp_group smtp_alert parameter {w}"),
                ),
            },
        },
        "global_tracking" => {
            let msg = format!("({gname}) global_tracking is deprecated. Use track_interface/script/file on the sync group");
            ctx.error(c.loc, msg);
            g.tracking_weight = true;
        }
        "sync_group_tracking_weight" => g.tracking_weight = true,
        "notify_priority_changes" => match c.arg(0) {
            None => g.notify_priority_changes = Some(true),
            Some(w) => match value::true_false(w) {
                Some(b) => g.notify_priority_changes = Some(b),
                None => {
                    let msg = format!(
                        "({gname}) Invalid value '{w}' for sync group notify_priority_changes specified"
                    );
                    ctx.error(c.loc, msg);
                }
            },
        },
        _ => {}
    }
    Ok(())
}
