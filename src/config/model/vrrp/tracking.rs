//! The effective tracking of each instance: its configured `track_*` lists after the sync
//! group and address owner rules, the interfaces it follows implicitly (its own, its VMAC,
//! its addresses'), and its sync group's tracking merged in, as keepalived links them.

use super::complete::PRIO_OWNER;
use super::instance::Instance;
use super::read_instance::Draft;
use super::sync_group::SyncGroup;
use super::track::{Origin, TrackRef, Tracking};
use crate::config::ctx::Ctx;
use crate::config::diag::Loc;

/// How an interface came to be tracked (keepalived's `TRACK_*` kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// A `track_interface` line of the instance.
    Configured,
    /// The instance's own interface or VMAC.
    Own,
    /// A `track_interface` line of the sync group.
    Group,
    /// The interface of a VIP or eVIP.
    Address,
}

impl Via {
    fn origin(self) -> Origin {
        match self {
            Via::Configured => Origin::Configured,
            Via::Group => Origin::SyncGroup,
            Via::Own | Via::Address => Origin::Implicit,
        }
    }
}

/// An interface's effect: None = followed but never changes the instance
/// (`dont_track_primary`); Some(0) = FAULT while down; Some(w) = weighted.
pub type IfWeight = Option<i32>;

#[derive(Clone, Debug)]
struct IfEntry {
    name: String,
    weight: IfWeight,
    reverse: bool,
    /// Tracked as the instance's own interface, a configured or a group track.
    declared: bool,
    /// The most explicit way it was tracked.
    origin: Origin,
    loc: Loc,
}

/// The interfaces an instance follows, merged as keepalived's `add_vrrp_to_interface()`.
#[derive(Clone, Debug, Default)]
pub struct IfTracker {
    entries: Vec<IfEntry>,
}

impl IfTracker {
    /// Adds or merges one interface. Returns true when it was declared twice by the
    /// instance and its sync group (keepalived reports that).
    pub fn add(&mut self, name: &str, weight: IfWeight, reverse: bool, via: Via, loc: Loc) -> bool {
        let declared = via != Via::Address;
        let Some(e) = self.entries.iter_mut().find(|e| e.name == name) else {
            self.entries.push(IfEntry {
                name: name.to_string(),
                weight,
                reverse,
                declared,
                origin: via.origin(),
                loc,
            });
            return false;
        };
        let conflict = e.declared && declared && e.weight.is_some() && weight.is_some();
        // A weighted entry takes the later weight; an unweighted one stays unweighted.
        if e.weight != Some(0) && weight.is_some() {
            e.weight = weight;
            e.reverse = reverse;
        }
        e.declared |= declared;
        e.origin = e.origin.max(via.origin());
        conflict
    }

    /// The interfaces that affect the instance.
    pub fn into_refs(self) -> Vec<TrackRef> {
        self.entries
            .into_iter()
            .filter_map(|e| {
                e.weight.map(|weight| TrackRef {
                    name: e.name,
                    weight,
                    reverse: e.reverse,
                    loc: e.loc,
                    origin: e.origin,
                })
            })
            .collect()
    }
}

/// Drops a `track_interface` of the instance's own interface (it is tracked anyway).
pub fn drop_own_interface(ctx: &mut Ctx, d: &mut Draft, configured: Option<&str>) {
    let iname = d.name.clone();
    d.tracking.interfaces.retain(|t| {
        if Some(t.name.as_str()) != configured {
            return true;
        }
        let msg = format!(
            "({iname}) Ignoring track_interface {} since own interface",
            t.name
        );
        ctx.error(t.loc, msg);
        false
    });
}

/// Tracks the configured interfaces, the instance's own interface and its VMAC.
pub fn own_interfaces(
    d: &Draft,
    ift: &mut IfTracker,
    configured: Option<&str>,
    run_if: Option<&str>,
) {
    for t in &d.tracking.interfaces {
        ift.add(&t.name, Some(t.weight), t.reverse, Via::Configured, t.loc);
    }
    let own: IfWeight = if d.dont_track_primary { None } else { Some(0) };
    if let Some(c) = configured {
        ift.add(c, own, false, Via::Own, d.at("interface"));
    }
    if let Some(v) = run_if.filter(|&v| Some(v) != configured) {
        ift.add(v, own, false, Via::Own, d.at("use_vmac"));
    }
}

/// keepalived ignores tracking weights of sync group members (unless the group allows them)
/// and of address owners: weighted scripts are dropped, files keep only an implicit weight
/// as 0, owners drop weighted interfaces. For a sync group member keepalived 2.2.7 reports
/// a weighted interface but has already linked it with its weight, which then applies: the
/// weight is kept here too.
pub fn force_weights(ctx: &mut Ctx, iname: &str, t: &mut Tracking, sync: bool, owner: bool) {
    if !sync && !owner {
        return;
    }
    let why = if sync { "SYNC group" } else { "address_owner" };
    t.interfaces.retain(|i| {
        if i.weight == 0 {
            return true;
        }
        let (what, why) = if sync {
            ("weight ", "SYNC group")
        } else {
            ("", "address owner")
        };
        let msg = format!(
            "({iname}) ignoring {} tracked interface {what}due to {why}",
            i.name
        );
        ctx.error(i.loc, msg);
        sync
    });
    t.scripts.retain(|s| {
        if s.weight == 0 {
            return true;
        }
        let msg = format!(
            "({iname}) ignoring tracked script {} with weights due to {why}",
            s.name
        );
        ctx.error(s.loc, msg);
        false
    });
    t.files.retain_mut(|f| {
        if f.weight == 1 {
            let msg = format!(
                "({iname}) ignoring weight from tracked file {} due to {why}. specify weight 0",
                f.name
            );
            ctx.error(f.loc, msg);
            f.weight = 0;
        } else if f.weight != 0 {
            let msg = format!(
                "({iname}) ignoring tracked file {} with weight {} due to {why}",
                f.name, f.weight
            );
            ctx.error(f.loc, msg);
            return false;
        }
        true
    });
}

/// keepalived's `sync_group_tracking_init()`: clears group weights when a member is address
/// owner, then gives every member the group's tracking.
pub fn sync_groups(
    ctx: &mut Ctx,
    mut groups: Vec<SyncGroup>,
    done: &mut [(Instance, IfTracker)],
) -> Vec<SyncGroup> {
    for g in &mut groups {
        let owner = done
            .iter()
            .any(|(i, _)| g.members.contains(&i.name) && i.priority == PRIO_OWNER);
        if owner {
            clear_group_weights(ctx, g);
        }
        for (inst, ift) in done.iter_mut() {
            if g.members.contains(&inst.name) {
                merge_group(ctx, &g.tracking, inst, ift);
            }
        }
    }
    groups
}

fn clear_group_weights(ctx: &mut Ctx, g: &mut SyncGroup) {
    let gname = g.name.clone();
    let kinds: [(&str, &str, &mut Vec<TrackRef>); 4] = [
        ("script", "clearing weight", &mut g.tracking.scripts),
        ("file", "setting weight 0", &mut g.tracking.files),
        ("process", "setting weight 0", &mut g.tracking.processes),
        ("interface", "clearing weight", &mut g.tracking.interfaces),
    ];
    for (what, action, list) in kinds {
        for t in list.iter_mut().filter(|t| t.weight != 0) {
            let msg = format!("({gname}) Cannot have weighted track {what} '{}' with member having priority 255 - {action}", t.name);
            ctx.error(t.loc, msg);
            t.weight = 0;
        }
    }
}

/// Adds a group's tracking to one member, merging objects the member tracks itself.
fn merge_group(ctx: &mut Ctx, gt: &Tracking, inst: &mut Instance, ift: &mut IfTracker) {
    let iname = inst.name.clone();
    let lists: [(&str, &Vec<TrackRef>, &mut Vec<TrackRef>, bool); 3] = [
        (
            "track_script",
            &gt.scripts,
            &mut inst.tracking.scripts,
            true,
        ),
        ("track_file", &gt.files, &mut inst.tracking.files, true),
        // keepalived keeps the member's direction for processes.
        (
            "track_process",
            &gt.processes,
            &mut inst.tracking.processes,
            false,
        ),
    ];
    for (kw, from, into, with_reverse) in lists {
        for t in from {
            match into.iter_mut().find(|e| e.name == t.name) {
                Some(e) => {
                    let msg = format!("({iname}) {kw} {} is configured on VRRP instance and sync group. Remove vrrp instance config", t.name);
                    ctx.info(t.loc, msg);
                    if e.weight != 0 {
                        e.weight = t.weight;
                        if with_reverse {
                            e.reverse = t.reverse;
                        }
                    }
                }
                None => into.push(TrackRef {
                    origin: Origin::SyncGroup,
                    ..t.clone()
                }),
            }
        }
    }
    for t in &gt.interfaces {
        if ift.add(&t.name, Some(t.weight), t.reverse, Via::Group, t.loc) {
            let msg = format!("({iname}) track_interface {} is configured on VRRP instance and sync group. Remove vrrp instance or sync group config", t.name);
            ctx.error(t.loc, msg);
        }
    }
}
